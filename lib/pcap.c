/* pcap capture files: a buffered writer and a streaming reader.
 *
 * Format (all fields 32-bit unless noted, in the byte order of the magic):
 *   file header (24 bytes): magic, version major (16), version minor (16),
 *     thiszone, sigfigs, snaplen, linktype
 *   record header (16 bytes): ts seconds, ts fraction (us or ns),
 *     caplen, original length; then caplen bytes of data.
 *
 * Both halves do their own buffering on top of read(2)/write(2) so that the
 * per-packet cost is a memcpy (writer) or nothing at all (reader: the data
 * pointer handed out points into the buffer), with no allocation and no
 * system call per packet. */
#include "pktcraft/pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR 16u
#define PCAP_MAGIC_NG 0x0A0D0D0Au /* pcapng Section Header Block type */
#define PCAP_DEFAULT_SNAPLEN 262144u

/* Writer buffer: big enough that a flush is rare, small enough not to care.
 * Records larger than the buffer are simply copied through in pieces. */
#define WBUF_SIZE (256u * 1024u)
/* Reader buffer: must hold one maximal record (header + 256 KiB) so that a
 * record is always contiguous; 1 MiB keeps read(2) calls large. */
#define RBUF_SIZE (1024u * 1024u)

_Static_assert(RBUF_SIZE >= PCAP_REC_HDR + PC_PCAP_MAX_CAPLEN, "reader buffer must hold a maximal record");

/* ---------------------------------------------------------------- errors */

/* Fill *e (which may be NULL when the caller does not want detail). */
__attribute__((format(printf, 5, 6)))
static void set_err(struct pc_err *e, int code, uint64_t packet, uint64_t offset, const char *fmt, ...)
{
    if (!e) return;
    e->code = code;
    e->packet = packet;
    e->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

static void clear_err(struct pc_err *e)
{
    if (!e) return;
    memset(e, 0, sizeof *e);
}

/* -------------------------------------------------------- byte order I/O */

static uint32_t get32(const uint8_t *p, bool big) { return big ? pc_get32(p) : pc_get32le(p); }
static uint16_t get16(const uint8_t *p, bool big) { return big ? pc_get16(p) : pc_get16le(p); }

static void put32(uint8_t *p, uint32_t v, bool big)
{
    if (big) pc_put32(p, v);
    else pc_put32le(p, v);
}

static void put16(uint8_t *p, uint16_t v, bool big)
{
    if (big) pc_put16(p, v);
    else pc_put16le(p, v);
}

/* Classify the first four bytes of a file read as little-endian.  Returns
 * true for a pcap magic and sets *big (the file is big-endian) and *prec. */
static bool classify_magic(const uint8_t *p, bool *big, int *prec)
{
    uint32_t le = pc_get32le(p), be = pc_get32(p);
    if (le == PC_PCAP_MAGIC_US || le == PC_PCAP_MAGIC_NS) {
        *big = false;
        *prec = le == PC_PCAP_MAGIC_NS ? PC_TSPREC_NS : PC_TSPREC_US;
        return true;
    }
    if (be == PC_PCAP_MAGIC_US || be == PC_PCAP_MAGIC_NS) {
        *big = true;
        *prec = be == PC_PCAP_MAGIC_NS ? PC_TSPREC_NS : PC_TSPREC_US;
        return true;
    }
    return false;
}

/* The magic as it is usually quoted: the first four bytes read big-endian
 * (the pcapng block type is a palindrome so either order names it). */
static uint32_t quoted_magic(const uint8_t *p) { return pc_get32(p); }

static bool host_is_big(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 0;
}

static const char *prec_name(int prec) { return prec == PC_TSPREC_NS ? "nanosecond" : "microsecond"; }

/* ---------------------------------------------------------------- writer */

struct pc_writer {
    int fd;
    bool to_stdout;   /* fd 1: never closed, nothing to commit or undo */
    bool appending;   /* writing in place at the end of an existing file */
    bool big;         /* records in big-endian order (appending to such a file) */
    int tsprec;
    uint32_t snaplen;
    off_t orig_size;  /* appending: size to truncate back to on failure */
    char *path;       /* final name, for messages and the rename */
    char *tmp;        /* temporary name while writing a new file, else NULL */
    struct pc_err fail; /* first write failure; sticky until close */
    size_t used;
    uint8_t *buf;
};

/* write(2) all of p, retrying on EINTR and short writes.  0 or an errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (k == 0) return EIO; /* cannot happen for n > 0, but never spin */
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int wflush(struct pc_writer *w)
{
    if (w->fail.code) return w->fail.code;
    int e = write_all(w->fd, w->buf, w->used);
    w->used = 0;
    if (e) {
        set_err(&w->fail, PC_EIO, 0, 0, "%s: write failed: %s", w->path, strerror(e));
        return PC_EIO;
    }
    return 0;
}

/* Append n bytes to the output buffer, flushing whenever it fills. */
static int wput(struct pc_writer *w, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t room = WBUF_SIZE - w->used;
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->used, p, k);
        w->used += k;
        p += k;
        n -= k;
        if (w->used == WBUF_SIZE) {
            int rc = wflush(w);
            if (rc) return rc;
        }
    }
    return 0;
}

static uint32_t magic_for(int prec) { return prec == PC_TSPREC_NS ? PC_PCAP_MAGIC_NS : PC_PCAP_MAGIC_US; }

static void put_file_header(struct pc_writer *w, uint32_t linktype)
{
    uint8_t h[PCAP_FILE_HDR];
    put32(h, magic_for(w->tsprec), w->big);
    put16(h + 4, 2, w->big);  /* version 2.4 */
    put16(h + 6, 4, w->big);
    put32(h + 8, 0, w->big);  /* thiszone: timestamps are UTC */
    put32(h + 12, 0, w->big); /* sigfigs */
    put32(h + 16, w->snaplen, w->big);
    put32(h + 20, linktype, w->big);
    memcpy(w->buf, h, sizeof h); /* only ever the first bytes of a fresh buffer */
    w->used = sizeof h;
}

static void writer_free(struct pc_writer *w)
{
    free(w->buf);
    free(w->path);
    free(w->tmp);
    free(w);
}

/* Create "<path>.tmpXXXXXX" next to the target so the final rename stays
 * within one file system and is therefore atomic. */
static int open_temp(struct pc_writer *w, struct pc_err *err)
{
    size_t n = strlen(w->path);
    w->tmp = malloc(n + sizeof ".tmpXXXXXX");
    if (!w->tmp) {
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", w->path);
        return PC_ENOMEM;
    }
    memcpy(w->tmp, w->path, n);
    memcpy(w->tmp + n, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
    w->fd = mkstemp(w->tmp);
    if (w->fd < 0) {
        set_err(err, PC_EIO, 0, 0, "%s: cannot create temporary file: %s", w->path, strerror(errno));
        free(w->tmp);
        w->tmp = NULL;
        return PC_EIO;
    }
    (void)fcntl(w->fd, F_SETFD, FD_CLOEXEC);
    /* mkstemp makes the file 0600; a capture is an ordinary output file. */
    if (fchmod(w->fd, 0644) < 0) {
        set_err(err, PC_EIO, 0, 0, "%s: cannot set mode of temporary file: %s", w->path, strerror(errno));
        close(w->fd);
        unlink(w->tmp);
        return PC_EIO;
    }
    return 0;
}

/* Check an existing file's header against what we are asked to write. */
static int check_append_header(struct pc_writer *w, const uint8_t *h, const struct pc_writer_opts *o,
                               struct pc_err *err)
{
    int prec;
    if (pc_get32le(h) == PCAP_MAGIC_NG) {
        set_err(err, PC_EUNSUPP, 0, 0, "%s: cannot append: pcapng files are not supported yet", w->path);
        return PC_EUNSUPP;
    }
    if (!classify_magic(h, &w->big, &prec)) {
        set_err(err, PC_EFORMAT, 0, 0, "%s: cannot append: not a pcap file (magic 0x%08x at offset 0)", w->path,
                (unsigned)quoted_magic(h));
        return PC_EFORMAT;
    }
    uint32_t lt = get32(h + 20, w->big);
    if (lt != (uint32_t)o->linktype) {
        set_err(err, PC_EINVAL, 0, 0, "%s: cannot append: link type %d differs from %u", w->path, o->linktype,
                (unsigned)lt);
        return PC_EINVAL;
    }
    if (prec != o->tsprec) {
        set_err(err, PC_EINVAL, 0, 0, "%s: cannot append: %s timestamps differ from the file's %s ones", w->path,
                prec_name(o->tsprec), prec_name(prec));
        return PC_EINVAL;
    }
    /* Records must also respect the snaplen that readers will check. */
    uint32_t file_snap = get32(h + 16, w->big);
    if (file_snap != 0 && file_snap < w->snaplen) w->snaplen = file_snap;
    return 0;
}

/* Read exactly n bytes at offset 0 (pread: the file offset is untouched). */
static ssize_t pread_full(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, p + got, n - got, (off_t)got);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* Open an existing file for appending.  Returns 1 if it does not exist (the
 * caller then creates it as a new file), 0 on success, or a PC_E* code. */
static int open_append(struct pc_writer *w, const struct pc_writer_opts *o, uint32_t linktype,
                       struct pc_err *err)
{
    w->fd = open(w->path, O_RDWR | O_CLOEXEC);
    if (w->fd < 0) {
        if (errno == ENOENT) return 1;
        set_err(err, PC_EIO, 0, 0, "%s: cannot open for appending: %s", w->path, strerror(errno));
        return PC_EIO;
    }
    struct stat st;
    if (fstat(w->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        set_err(err, PC_EINVAL, 0, 0, "%s: cannot append: not a regular file", w->path);
        goto fail;
    }
    uint8_t h[PCAP_FILE_HDR];
    ssize_t got = pread_full(w->fd, h, sizeof h);
    if (got < 0) {
        set_err(err, PC_EIO, 0, 0, "%s: cannot append: read error: %s", w->path, strerror(errno));
        goto fail;
    }
    if (got == 0) {
        /* An empty file (e.g. made by touch) simply gets a header. */
        put_file_header(w, linktype);
    } else if ((size_t)got < sizeof h) {
        set_err(err, PC_ETRUNC, 0, 0, "%s: cannot append: file too short for a pcap header (got %zd of %u bytes)",
                w->path, got, PCAP_FILE_HDR);
        goto fail;
    } else if (check_append_header(w, h, o, err) != 0) {
        goto fail;
    }
    off_t end = lseek(w->fd, 0, SEEK_END);
    if (end < 0) {
        set_err(err, PC_EIO, 0, 0, "%s: cannot append: seek failed: %s", w->path, strerror(errno));
        goto fail;
    }
    w->appending = true;
    w->orig_size = end;
    return 0;
fail:
    close(w->fd);
    return err->code;
}

static int check_opts(const char *path, const struct pc_writer_opts *o, struct pc_err *err)
{
    if (!path || !o) {
        set_err(err, PC_EINVAL, 0, 0, "pcap writer: missing path or options");
        return PC_EINVAL;
    }
    if (o->tsprec != PC_TSPREC_US && o->tsprec != PC_TSPREC_NS) {
        set_err(err, PC_EINVAL, 0, 0, "%s: invalid timestamp precision %d", path, o->tsprec);
        return PC_EINVAL;
    }
    if (o->linktype < 0) {
        set_err(err, PC_EINVAL, 0, 0, "%s: invalid link type %d", path, o->linktype);
        return PC_EINVAL;
    }
    /* Our reader (and libpcap) refuse records above this, so never write one. */
    if (o->snaplen > PC_PCAP_MAX_CAPLEN) {
        set_err(err, PC_EINVAL, 0, 0, "%s: snaplen %u exceeds the maximum %u", path, (unsigned)o->snaplen,
                PC_PCAP_MAX_CAPLEN);
        return PC_EINVAL;
    }
    if (o->append && strcmp(path, "-") == 0) {
        set_err(err, PC_EINVAL, 0, 0, "-: cannot append to standard output");
        return PC_EINVAL;
    }
    return 0;
}

struct pc_writer *pc_writer_open(const char *path, const struct pc_writer_opts *o, struct pc_err *err)
{
    struct pc_err scratch; /* the helpers below always have somewhere to write */
    if (!err) err = &scratch;
    clear_err(err);
    if (check_opts(path, o, err) != 0) return NULL;
    struct pc_writer *w = calloc(1, sizeof *w);
    if (w) w->buf = malloc(WBUF_SIZE);
    /* Messages about standard output name it rather than "-". */
    if (w) w->path = strdup(strcmp(path, "-") == 0 ? "<stdout>" : path);
    if (!w || !w->buf || !w->path) {
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", path);
        if (w) writer_free(w);
        return NULL;
    }
    w->fd = -1;
    w->tsprec = o->tsprec;
    w->snaplen = o->snaplen ? o->snaplen : PCAP_DEFAULT_SNAPLEN;

    int rc = 1;
    if (strcmp(path, "-") == 0) {
        w->to_stdout = true;
        w->fd = STDOUT_FILENO;
        put_file_header(w, (uint32_t)o->linktype);
        return w;
    }
    if (o->append) rc = open_append(w, o, (uint32_t)o->linktype, err);
    if (rc == 1) {
        rc = open_temp(w, err);
        if (rc == 0) put_file_header(w, (uint32_t)o->linktype);
    }
    if (rc != 0) {
        writer_free(w);
        return NULL;
    }
    return w;
}

/* Split a timestamp into pcap's unsigned 32-bit seconds and fraction. */
static int split_ts(pc_time_ns ts, int prec, uint32_t *sec, uint32_t *frac)
{
    if (ts < 0 || ts / PC_NS_PER_SEC > (pc_time_ns)UINT32_MAX) return PC_EINVAL;
    *sec = (uint32_t)(ts / PC_NS_PER_SEC);
    int64_t ns = ts % PC_NS_PER_SEC;
    *frac = (uint32_t)(prec == PC_TSPREC_NS ? ns : ns / 1000); /* truncate, as libpcap does */
    return 0;
}

int pc_writer_write(struct pc_writer *w, pc_time_ns ts, const uint8_t *data, uint32_t caplen, uint32_t len)
{
    if (!w || (!data && caplen > 0)) return PC_EINVAL;
    if (w->fail.code) return w->fail.code;
    uint32_t sec, frac;
    /* A bad timestamp is the caller's mistake, not a broken file: refuse
     * this record only and leave the output consistent. */
    if (split_ts(ts, w->tsprec, &sec, &frac) != 0) return PC_EINVAL;
    if (len < caplen) len = caplen; /* the wire held at least what we have */
    if (caplen > w->snaplen) caplen = w->snaplen;

    uint8_t h[PCAP_REC_HDR];
    put32(h, sec, w->big);
    put32(h + 4, frac, w->big);
    put32(h + 8, caplen, w->big);
    put32(h + 12, len, w->big);
    int rc = wput(w, h, sizeof h);
    if (rc == 0) rc = wput(w, data, caplen);
    return rc;
}

const struct pc_err *pc_writer_err(const struct pc_writer *w) { return &w->fail; }

/* Undo whatever reached the disk; used by abort and by a failed close. */
static void writer_discard(struct pc_writer *w)
{
    if (w->to_stdout) return;
    if (w->appending) {
        (void)ftruncate(w->fd, w->orig_size);
        close(w->fd);
    } else {
        close(w->fd);
        unlink(w->tmp);
    }
}

/* Make the data visible under its final name. */
static int writer_commit(struct pc_writer *w)
{
    if (w->to_stdout) return 0;
    /* No fsync: it would cost more than writing a whole capture of SYNs,
     * and write(2)/close(2) already report a full disk or quota on local
     * file systems.  The rename still never exposes a half-written file. */
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) < 0) {
        set_err(&w->fail, PC_EIO, 0, 0, "%s: write failed: %s", w->path, strerror(errno));
        if (w->appending) {
            /* Reopen just to roll back; the close error may have lost data. */
            int rfd = open(w->path, O_WRONLY | O_CLOEXEC);
            if (rfd >= 0) {
                (void)ftruncate(rfd, w->orig_size);
                close(rfd);
            }
        } else {
            unlink(w->tmp);
        }
        return PC_EIO;
    }
    if (!w->appending && rename(w->tmp, w->path) < 0) {
        set_err(&w->fail, PC_EIO, 0, 0, "%s: cannot rename temporary file into place: %s", w->path,
                strerror(errno));
        unlink(w->tmp);
        return PC_EIO;
    }
    return 0;
}

int pc_writer_close(struct pc_writer *w, struct pc_err *err)
{
    clear_err(err);
    if (!w) {
        set_err(err, PC_EINVAL, 0, 0, "pcap writer: close of a NULL writer");
        return PC_EINVAL;
    }
    int rc = wflush(w);
    if (rc != 0) {
        writer_discard(w);
    } else {
        rc = writer_commit(w); /* cleans up after itself on failure */
    }
    if (rc != 0 && err) *err = w->fail;
    writer_free(w);
    return rc;
}

void pc_writer_abort(struct pc_writer *w)
{
    if (!w) return;
    writer_discard(w);
    writer_free(w);
}

/* ---------------------------------------------------------------- reader */

struct pc_reader {
    int fd;
    bool own_fd;
    bool eof;         /* read(2) has returned 0 */
    bool big;
    int tsprec;
    int linktype;     /* low 16 bits of the header field */
    uint32_t snaplen;
    uint64_t count;   /* packets returned so far */
    uint64_t offset;  /* file offset of buf[start] */
    size_t start, end; /* unconsumed bytes are buf[start, end) */
    char *name;
    struct pc_err err; /* sticky: once set, every next() returns it */
    uint8_t *buf;
};

/* Make at least `need` bytes available from buf[start] unless the input
 * ends first.  Returns 0 (check end - start for what was got) or an errno. */
static int rfill(struct pc_reader *r, size_t need)
{
    if (r->end - r->start >= need || r->eof) return 0;
    /* The tail is shorter than one record, so this copy is bounded, and it
     * leaves the whole rest of the buffer for one large read. */
    size_t have = r->end - r->start;
    memmove(r->buf, r->buf + r->start, have);
    r->start = 0;
    r->end = have;
    while (r->end < need) {
        ssize_t k = read(r->fd, r->buf + r->end, RBUF_SIZE - r->end);
        if (k < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (k == 0) {
            r->eof = true;
            break;
        }
        r->end += (size_t)k;
    }
    return 0;
}

/* Report a read(2) failure about the packet that was being read. */
static int read_failed(struct pc_reader *r, int e)
{
    uint64_t pkt = r->count + 1;
    set_err(&r->err, PC_EIO, pkt, r->offset, "%s: packet %llu at byte offset %llu: read error: %s", r->name,
            (unsigned long long)pkt, (unsigned long long)r->offset, strerror(e));
    return PC_EIO;
}

/* Validate the 24 bytes of file header (or fewer at a short file). */
static int parse_file_header(struct pc_reader *r, struct pc_err *err)
{
    int e = rfill(r, PCAP_FILE_HDR);
    if (e) {
        set_err(err, PC_EIO, 0, 0, "%s: read error: %s", r->name, strerror(e));
        return PC_EIO;
    }
    size_t have = r->end - r->start;
    const uint8_t *h = r->buf + r->start;
    /* With four bytes we can already say "not a pcap" more usefully than
     * "too short", so the magic is checked first. */
    if (have >= 4 && pc_get32le(h) == PCAP_MAGIC_NG) {
        set_err(err, PC_EUNSUPP, 0, 0, "%s: pcapng files are not supported yet", r->name);
        return PC_EUNSUPP;
    }
    if (have >= 4 && !classify_magic(h, &r->big, &r->tsprec)) {
        set_err(err, PC_EFORMAT, 0, 0, "%s: not a pcap file (magic 0x%08x at offset 0)", r->name,
                (unsigned)quoted_magic(h));
        return PC_EFORMAT;
    }
    if (have < PCAP_FILE_HDR) {
        set_err(err, PC_ETRUNC, 0, 0, "%s: file too short for a pcap header (got %zu of %u bytes)", r->name, have,
                PCAP_FILE_HDR);
        return PC_ETRUNC;
    }
    uint16_t major = get16(h + 4, r->big), minor = get16(h + 6, r->big);
    if (major != 2) {
        set_err(err, PC_EUNSUPP, 0, 4, "%s: unsupported pcap version %u.%u", r->name, major, minor);
        return PC_EUNSUPP;
    }
    r->snaplen = get32(h + 16, r->big);
    /* The upper bits of the link type field may carry FCS information. */
    r->linktype = (int)(get32(h + 20, r->big) & 0xFFFFu);
    r->start += PCAP_FILE_HDR;
    r->offset = PCAP_FILE_HDR;
    return 0;
}

struct pc_reader *pc_reader_fdopen(int fd, const char *name, struct pc_err *err)
{
    clear_err(err);
    if (!name) name = "<input>";
    struct pc_reader *r = calloc(1, sizeof *r);
    if (r) r->buf = malloc(RBUF_SIZE);
    if (r) r->name = strdup(name);
    if (!r || !r->buf || !r->name) {
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", name);
        if (r) {
            free(r->buf);
            free(r->name);
            free(r);
        }
        return NULL;
    }
    r->fd = fd;
    if (parse_file_header(r, err) != 0) {
        pc_reader_close(r);
        return NULL;
    }
    return r;
}

struct pc_reader *pc_reader_open(const char *path, struct pc_err *err)
{
    clear_err(err);
    if (!path) {
        set_err(err, PC_EINVAL, 0, 0, "pcap reader: missing path");
        return NULL;
    }
    if (strcmp(path, "-") == 0) return pc_reader_fdopen(STDIN_FILENO, "<stdin>", err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, PC_EIO, 0, 0, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* A hint only: larger read-ahead for a front-to-back scan. */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    struct pc_reader *r = pc_reader_fdopen(fd, path, err);
    if (!r) {
        close(fd);
        return NULL;
    }
    r->own_fd = true;
    return r;
}

/* Record the error for a bad record at r->offset and return its code. */
__attribute__((format(printf, 3, 4)))
static int rec_err(struct pc_reader *r, int code, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    uint64_t pkt = r->count + 1;
    set_err(&r->err, code, pkt, r->offset, "%s: packet %llu at byte offset %llu: %s; %llu packets read", r->name,
            (unsigned long long)pkt, (unsigned long long)r->offset, what, (unsigned long long)r->count);
    return code;
}

static int check_caplen(struct pc_reader *r, uint32_t caplen)
{
    if (caplen > PC_PCAP_MAX_CAPLEN)
        return rec_err(r, PC_EMALFORMED, "caplen %u exceeds the maximum %u", (unsigned)caplen,
                       PC_PCAP_MAX_CAPLEN);
    if (r->snaplen != 0 && caplen > r->snaplen)
        return rec_err(r, PC_EMALFORMED, "caplen %u exceeds the file's snaplen %u", (unsigned)caplen,
                       (unsigned)r->snaplen);
    return 0;
}

int pc_reader_next(struct pc_reader *r, struct pc_pkthdr *h, const uint8_t **data)
{
    if (!r) return PC_EINVAL;
    if (r->err.code) return r->err.code;
    int e = rfill(r, PCAP_REC_HDR);
    if (e) return read_failed(r, e);
    size_t have = r->end - r->start;
    if (have == 0) return 0; /* clean end exactly at a record boundary */
    if (have < PCAP_REC_HDR)
        return rec_err(r, PC_ETRUNC, "truncated record header (%zu of %u bytes)", have, PCAP_REC_HDR);

    const uint8_t *p = r->buf + r->start;
    uint32_t caplen = get32(p + 8, r->big);
    int rc = check_caplen(r, caplen);
    if (rc) return rc;
    /* check_caplen bounds caplen, so the record fits in the buffer. */
    size_t total = PCAP_REC_HDR + caplen;
    e = rfill(r, total);
    if (e) return read_failed(r, e);
    have = r->end - r->start;
    if (have < total)
        return rec_err(r, PC_ETRUNC, "truncated packet data (%zu of %u bytes)", have - PCAP_REC_HDR,
                       (unsigned)caplen);

    p = r->buf + r->start; /* rfill may have moved the bytes */
    /* Seconds are unsigned (good to 2106); the fraction is taken as given,
     * even if out of range, as tshark does. */
    uint32_t sec = get32(p, r->big), frac = get32(p + 4, r->big);
    int64_t unit = r->tsprec == PC_TSPREC_NS ? 1 : 1000;
    if (h) {
        h->ts = (pc_time_ns)sec * PC_NS_PER_SEC + (pc_time_ns)frac * unit;
        h->caplen = caplen;
        h->len = get32(p + 12, r->big);
        h->linktype = r->linktype;
        h->ifindex = 0;
    }
    if (data) *data = p + PCAP_REC_HDR;
    r->start += total;
    r->offset += total;
    r->count++;
    return 1;
}

const struct pc_err *pc_reader_err(const struct pc_reader *r) { return &r->err; }
int pc_reader_linktype(const struct pc_reader *r) { return r->linktype; }
uint32_t pc_reader_snaplen(const struct pc_reader *r) { return r->snaplen; }
int pc_reader_tsprec(const struct pc_reader *r) { return r->tsprec; }
/* As libpcap's pcap_is_swapped(): the file's byte order is not the host's. */
bool pc_reader_swapped(const struct pc_reader *r) { return r->big != host_is_big(); }
uint64_t pc_reader_count(const struct pc_reader *r) { return r->count; }

void pc_reader_close(struct pc_reader *r)
{
    if (!r) return;
    if (r->own_fd) close(r->fd);
    free(r->buf);
    free(r->name);
    free(r);
}
