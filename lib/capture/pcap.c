/* Capture files: a buffered writer (pcap and pcapng) and one streaming
 * reader (pcap, pcapng, either of them gzip-compressed).
 *
 * pcap format (all fields 32-bit unless noted, in the byte order of the magic):
 *   file header (24 bytes): magic, version major (16), version minor (16),
 *     thiszone, sigfigs, snaplen, linktype
 *   record header (16 bytes): ts seconds, ts fraction (us or ns),
 *     caplen, original length; then caplen bytes of data.
 * pcapng is described in pcapng.c, which decodes and encodes its blocks;
 * this file does the I/O for both formats.
 *
 * Both halves do their own buffering on top of read(2)/write(2) so that the
 * per-packet cost is a memcpy (writer) or nothing at all (reader: the data
 * pointer handed out points into the buffer), with no allocation and no
 * system call per packet.  gzip input is inflated into the same buffer, so
 * the code above the input layer cannot tell the difference. */
#include "pktcraft/capture/pcap.h"
#include "pktcraft/core/limits.h"
#include "outfile.h"
#include "pcapng_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR 16u
#define PCAP_MAGIC_NG 0x0A0D0D0Au /* pcapng Section Header Block type */
#define PCAP_DEFAULT_SNAPLEN 262144u

/* Writer buffer: big enough that a flush is rare and that any one pcapng
 * block we write (a 256 KiB packet with comments up to the rest of the
 * buffer, or an IDB/SHB with a few 64 KiB strings) fits whole after a
 * flush, so blocks are always encoded in place. */
#define WBUF_SIZE (512u * 1024u)
/* Reader buffer: must hold one maximal pcap record (header + 256 KiB) so
 * that a record is always contiguous; 1 MiB keeps read(2) calls large.  A
 * pcapng block larger than this grows it (once, up to PC_NG_MAX_BLOCK). */
#define RBUF_SIZE (1024u * 1024u)
/* ...but each read(2) asks for about this much, and the unconsumed tail is
 * moved to the front first: the part of the buffer in use then stays in
 * the CPU's L2 cache, where the kernel's copy and the decoder's reads of
 * the same bytes meet (1 MiB reads evict their own start before the
 * decoder gets to it: 30-40% more time than `cat` for the walk alone). */
#define RCHUNK (256u * 1024u)
/* gzip: compressed bytes are read in chunks of this size. */
#define ZBUF_SIZE (256u * 1024u)

_Static_assert(RBUF_SIZE >= PCAP_REC_HDR + PC_PCAP_MAX_CAPLEN, "reader buffer must hold a maximal record");
_Static_assert(WBUF_SIZE >= 32 + PC_PCAP_MAX_CAPLEN + 4 + 65536 + 16, "writer buffer must hold an EPB with a comment");

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

const char *pc_format_name(int format)
{
    switch (format) {
    case PC_FORMAT_PCAP_US: return "pcap-us";
    case PC_FORMAT_PCAP_NS: return "pcap-ns";
    case PC_FORMAT_PCAPNG: return "pcapng";
    default: return "?";
    }
}

/* -------------------------------------------------------- byte order I/O */

static uint32_t get32(const uint8_t *p, bool big) { return big ? pc_get32(p) : pc_get32le(p); }
static uint16_t get16(const uint8_t *p, bool big) { return big ? pc_get16(p) : pc_get16le(p); }

/* One 4-byte store in the file's byte order: every record header takes
 * four, and GCC does not merge pc_put32's byte stores behind the branch. */
static void put32(uint8_t *p, uint32_t v, bool big)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (big) v = __builtin_bswap32(v);
#else
    if (!big) v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, sizeof v);
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

static bool is_gzip(const uint8_t *p) { return p[0] == 0x1F && p[1] == 0x8B; }

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

/* "x.pcap: what" -> "what", for messages quoted inside another one. */
static const char *strip_name(const char *msg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(msg, name, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') return msg + n + 2;
    return msg;
}

/* ---------------------------------------------------------------- writer */

/* One interface of the writer.  For pcapng its index is the EPB's
 * interface id (appending, the last section's IDBs come first). */
struct wif {
    int linktype;
    uint32_t snaplen;
    uint8_t tsresol;
    int64_t tsoffset;
    bool fast;     /* if_tsresol 9 and no offset: units are the nanoseconds */
    bool existing; /* an IDB already in the file we append to */
    int fcslen;
    char *name, *desc;
};

struct pc_writer {
    int fd;
    bool to_stdout;   /* fd 1: never closed, nothing to commit or undo */
    bool direct;      /* a device, FIFO or socket: written straight, closed at the end */
    bool appending;   /* writing in place at the end of an existing file */
    bool big;         /* records in big-endian order (appending to such a file) */
    int format;       /* PC_FORMAT_PCAP_US, _NS or _PCAPNG */
    int tsprec;       /* pcap */
    int linktype;     /* pcap: the file's; pcapng: the implicit interface's */
    uint32_t snaplen; /* pcap: the file's; pcapng: the implicit interface's */
    off_t orig_size;  /* appending: size to truncate back to on failure */
    char *path;       /* final name, for messages and the rename */
    char *tmp;        /* temporary name while writing a new file, else NULL */
    char *target;     /* the file the rename replaces (path, or a symbolic link's target) */
    int undo;         /* slot in the signal-time undo registry, -1 when none */
    char *if_name;    /* pcapng: if_name of the implicit interface */
    struct pc_err fail; /* first write failure; sticky until close */
    struct pc_err last; /* most recent failed call */
    struct wif *ifs;
    uint32_t nifs, capifs;
    bool caller_ifs;  /* pc_writer_add_interface() was called */
    int implicit;     /* index of the implicit interface, -1 until made */
    bool verbatim;    /* lengths as given (pc_writer_opts.verbatim) */
    /* pcapng append: the last SHB's section length, updated at close. */
    bool patch_len;
    uint64_t shb_off;
    int64_t seclen;
    uint64_t added;   /* bytes written after the existing ones */
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
        w->last = w->fail;
        return PC_EIO;
    }
    return 0;
}

/* Make room for n contiguous bytes at buf + used (n <= WBUF_SIZE). */
static int wroom(struct pc_writer *w, size_t n)
{
    if (w->used + n <= WBUF_SIZE) return 0;
    return wflush(w);
}

/* Record a refusal of one call: the output stays consistent. */
__attribute__((format(printf, 3, 4)))
static int refuse(struct pc_writer *w, int code, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    set_err(&w->last, code, 0, 0, "%s: %s", w->path, what);
    return code;
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

/* The Section Header Block of a new pcapng, at the start of the buffer. */
static int put_section_header(struct pc_writer *w, const struct pc_writer_opts *o, struct pc_err *err)
{
    const char *appl = o->shb_userappl ? o->shb_userappl : "pktcraft " PC_VERSION_STRING;
    size_t k = pc_ng_put_shb(w->buf, WBUF_SIZE, w->big, o->comment, o->shb_hardware, o->shb_os, appl);
    if (!k) {
        set_err(err, PC_EINVAL, 0, 0, "%s: section header options too long (at most 65535 bytes each)", w->path);
        return PC_EINVAL;
    }
    w->used = k;
    return 0;
}

static void writer_free(struct pc_writer *w)
{
    for (uint32_t i = 0; i < w->nifs; i++) {
        free(w->ifs[i].name);
        free(w->ifs[i].desc);
    }
    free(w->ifs);
    free(w->buf);
    free(w->path);
    free(w->tmp);
    free(w->target);
    free(w->if_name);
    free(w);
}

/* Create "<target>.tmpXXXXXX" next to the target so the final rename stays
 * within one file system and is therefore atomic. */
static int open_temp(struct pc_writer *w, struct pc_err *err)
{
    size_t n = strlen(w->target);
    w->tmp = malloc(n + sizeof ".tmpXXXXXX");
    if (!w->tmp) {
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", w->path);
        return PC_ENOMEM;
    }
    memcpy(w->tmp, w->target, n);
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
    w->undo = pc_undo_add_tmp(w->tmp);
    return 0;
}

/* Check an existing pcap file's header against what we are asked to write. */
static int check_append_header(struct pc_writer *w, const uint8_t *h, const struct pc_writer_opts *o,
                               struct pc_err *err)
{
    int prec;
    if (!classify_magic(h, &w->big, &prec)) {
        set_err(err, PC_EFORMAT, 0, 0, "%s: cannot append: not a pcap file (magic 0x%08x at offset 0)", w->path,
                (unsigned)quoted_magic(h));
        return PC_EFORMAT;
    }
    if (o->format == PC_FORMAT_PCAPNG) {
        set_err(err, PC_EINVAL, 0, 0, "%s: cannot append pcapng to a pcap file", w->path);
        return PC_EINVAL;
    }
    uint32_t lt = get32(h + 20, w->big);
    if (lt != (uint32_t)o->linktype) {
        set_err(err, PC_EINVAL, 0, 0, "%s: cannot append: link type %d differs from %u", w->path, o->linktype,
                (unsigned)lt);
        return PC_EINVAL;
    }
    if (prec != w->tsprec) {
        set_err(err, PC_EINVAL, 0, 0, "%s: cannot append: %s timestamps differ from the file's %s ones", w->path,
                prec_name(w->tsprec), prec_name(prec));
        return PC_EINVAL;
    }
    /* Records must also respect the snaplen that readers will check. */
    uint32_t file_snap = get32(h + 16, w->big);
    if (file_snap != 0 && file_snap < w->snaplen) w->snaplen = file_snap;
    return 0;
}

/* Read up to n bytes at offset 0 (pread: the file offset is untouched). */
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

static bool grow_ifs(struct pc_writer *w)
{
    if (w->nifs < w->capifs) return true;
    uint32_t cap = w->capifs ? w->capifs * 2 : 4;
    void *q = realloc(w->ifs, cap * sizeof *w->ifs);
    if (!q) return false;
    w->ifs = q;
    w->capifs = cap;
    return true;
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *ok = false;
    return d;
}

/* Read the whole existing pcapng (streaming, so any size) to learn its last
 * section: byte order, interfaces, section length.  A file we cannot read
 * to its end cleanly is not appended to. */
static int scan_pcapng(struct pc_writer *w, struct pc_err *err)
{
    struct pc_err rerr;
    struct pc_reader *r = pc_reader_fdopen(w->fd, w->path, &rerr);
    if (!r) {
        set_err(err, rerr.code, 0, 0, "%s: cannot append: %s", w->path, strip_name(rerr.msg, w->path));
        return rerr.code;
    }
    int rc;
    while ((rc = pc_reader_next(r, NULL, NULL)) == 1) {}
    if (rc < 0) {
        set_err(err, rc, 0, 0, "%s: cannot append to a damaged file: %s", w->path,
                strip_name(pc_reader_err(r)->msg, w->path));
        pc_reader_close(r);
        return rc;
    }
    const struct pc_shb *s = pc_reader_section(r, pc_reader_nsections(r) - 1);
    w->big = s->big;
    if (s->section_len != -1) {
        w->patch_len = true;
        w->shb_off = s->offset;
        w->seclen = s->section_len;
    }
    bool ok = true;
    for (uint32_t i = 0; ok && i < s->niface; i++) {
        const struct pc_iface *f = pc_reader_interface(r, s->first_iface + i);
        if (!grow_ifs(w)) {
            ok = false;
            break;
        }
        struct wif *x = &w->ifs[w->nifs++];
        memset(x, 0, sizeof *x);
        x->linktype = f->linktype;
        x->snaplen = f->snaplen;
        x->tsresol = f->tsresol;
        x->tsoffset = f->tsoffset;
        x->fast = f->tsresol == 9 && f->tsoffset == 0;
        x->existing = true;
        x->fcslen = f->fcslen;
        x->name = dup_or_null(f->name, &ok);
        x->desc = dup_or_null(f->description, &ok);
    }
    pc_reader_close(r);
    if (!ok) {
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", w->path);
        return PC_ENOMEM;
    }
    return 0;
}

/* Open an existing file for appending.  Returns 1 if it does not exist (the
 * caller then creates it as a new file), 0 on success, or a PC_E* code. */
static int open_append(struct pc_writer *w, const struct pc_writer_opts *o, struct pc_err *err)
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
        if (w->format == PC_FORMAT_PCAPNG) {
            if (put_section_header(w, o, err) != 0) goto fail;
        } else {
            put_file_header(w, (uint32_t)o->linktype);
        }
    } else if (got >= 2 && is_gzip(h)) {
        set_err(err, PC_EUNSUPP, 0, 0, "%s: cannot append to a gzip-compressed file", w->path);
        goto fail;
    } else if (got >= 4 && pc_get32le(h) == PCAP_MAGIC_NG) {
        if (o->format == PC_FORMAT_PCAP_US || o->format == PC_FORMAT_PCAP_NS) {
            set_err(err, PC_EINVAL, 0, 0, "%s: cannot append pcap to a pcapng file", w->path);
            goto fail;
        }
        w->format = PC_FORMAT_PCAPNG;
        if (scan_pcapng(w, err) != 0) goto fail;
    } else if (got >= 4 && (size_t)got < sizeof h && classify_magic(h, &w->big, &(int){ 0 })) {
        set_err(err, PC_ETRUNC, 0, 0, "%s: cannot append: file too short for a pcap header (got %zd of %u bytes)",
                w->path, got, PCAP_FILE_HDR);
        goto fail;
    } else if ((size_t)got < 4) {
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
    w->undo = pc_undo_add_append(w->fd, end);
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
    if (o->format == PC_FORMAT_DEFAULT && o->tsprec != PC_TSPREC_US && o->tsprec != PC_TSPREC_NS) {
        set_err(err, PC_EINVAL, 0, 0, "%s: invalid timestamp precision %d", path, o->tsprec);
        return PC_EINVAL;
    }
    if (o->format < PC_FORMAT_DEFAULT || o->format > PC_FORMAT_PCAPNG) {
        set_err(err, PC_EINVAL, 0, 0, "%s: invalid capture format %d", path, o->format);
        return PC_EINVAL;
    }
    if (o->linktype < 0 || (o->format == PC_FORMAT_PCAPNG && o->linktype > 0xFFFF)) {
        set_err(err, PC_EINVAL, 0, 0, "%s: invalid link type %d", path, o->linktype);
        return PC_EINVAL;
    }
    if (o->append && strcmp(path, "-") == 0) {
        set_err(err, PC_EINVAL, 0, 0, "-: cannot append to standard output");
        return PC_EINVAL;
    }
    return 0;
}

/* The header of a new file, in the buffer. */
static int put_header(struct pc_writer *w, const struct pc_writer_opts *o, struct pc_err *err)
{
    if (w->format == PC_FORMAT_PCAPNG) return put_section_header(w, o, err);
    put_file_header(w, (uint32_t)o->linktype);
    return 0;
}

static int open_target(struct pc_writer *w, const struct pc_writer_opts *o, struct pc_err *err);

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
    bool ok = w && w->buf && w->path;
    if (ok) w->if_name = dup_or_null(o->if_name, &ok);
    if (!ok) {
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", path);
        if (w) writer_free(w);
        return NULL;
    }
    w->fd = -1;
    w->undo = -1;
    w->implicit = -1;
    w->format = o->format;
    if (w->format == PC_FORMAT_DEFAULT) w->format = o->tsprec == PC_TSPREC_NS ? PC_FORMAT_PCAP_NS : PC_FORMAT_PCAP_US;
    w->tsprec = w->format == PC_FORMAT_PCAP_NS ? PC_TSPREC_NS : PC_TSPREC_US;
    w->linktype = o->linktype;
    w->verbatim = o->verbatim;
    w->snaplen = o->snaplen || o->verbatim ? o->snaplen : PCAP_DEFAULT_SNAPLEN;

    int rc = 1;
    if (strcmp(path, "-") == 0) {
        w->to_stdout = true;
        w->fd = STDOUT_FILENO;
        rc = put_header(w, o, err);
    } else {
        rc = open_target(w, o, err);
    }
    if (rc != 0) {
        writer_free(w);
        return NULL;
    }
    return w;
}

/* A path other than "-": straight into a device, FIFO or socket; else a
 * regular file, appended to or written under a temporary name. */
static int open_target(struct pc_writer *w, const struct pc_writer_opts *o, struct pc_err *err)
{
    int rc = 1;
    int kind = pc_out_classify(w->path, &w->target, err);
    if (kind < 0) return kind;
    if (kind == PC_OUT_DIRECT) {
        if (o->append) {
            set_err(err, PC_EINVAL, 0, 0, "%s: cannot append: not a regular file", w->path);
            return PC_EINVAL;
        }
        w->fd = pc_out_open_direct(w->path, err);
        if (w->fd < 0) return w->fd;
        w->direct = true;
        rc = put_header(w, o, err);
        if (rc != 0) close(w->fd);
        return rc;
    }
    if (o->append) rc = open_append(w, o, err);
    if (rc != 1) return rc;
    rc = open_temp(w, err);
    if (rc != 0) return rc;
    rc = put_header(w, o, err);
    if (rc != 0) {
        pc_undo_remove(w->undo);
        close(w->fd);
        unlink(w->tmp);
    }
    return rc;
}

int pc_writer_format(const struct pc_writer *w) { return w->format; }

static uint8_t spec_tsresol(const struct pc_iface_spec *s)
{
    return s->tsresol == 0 ? 9 : s->tsresol == PC_TSRESOL_SECONDS ? 0 : (uint8_t)s->tsresol;
}

static bool same_str(const char *a, const char *b)
{
    if (!a || !*a) return !b || !*b;
    return b && strcmp(a, b) == 0;
}

/* Add interface s; for pcapng its IDB goes into the output now. */
static int add_iface(struct pc_writer *w, const struct pc_iface_spec *s)
{
    if (!s || s->linktype < 0 || (w->format == PC_FORMAT_PCAPNG && s->linktype > 0xFFFF) || s->tsresol < 0 ||
        (s->tsresol > 0xFF && s->tsresol != PC_TSRESOL_SECONDS))
        return refuse(w, PC_EINVAL, "invalid interface (link type %d, if_tsresol %d)", s ? s->linktype : 0,
                      s ? s->tsresol : 0);
    uint8_t res = spec_tsresol(s);
    /* Appending: an identical IDB of the last section is reused. */
    for (uint32_t i = 0; i < w->nifs; i++) {
        const struct wif *x = &w->ifs[i];
        if (x->existing && x->linktype == s->linktype && x->snaplen == s->snaplen && x->tsresol == res &&
            x->tsoffset == s->tsoffset && same_str(x->name, s->name) && same_str(x->desc, s->description) &&
            (x->fcslen == s->fcslen || (x->fcslen <= 0 && s->fcslen <= 0)))
            return (int)i;
    }
    if (w->nifs >= PC_NG_MAX_INTERFACES) return refuse(w, PC_ELIMIT, "more than %u interfaces", PC_NG_MAX_INTERFACES);
    bool ok = grow_ifs(w);
    struct wif x = { .linktype = s->linktype, .snaplen = s->snaplen, .tsresol = res, .tsoffset = s->tsoffset,
                     .fast = res == 9 && s->tsoffset == 0, .fcslen = s->fcslen };
    if (ok) x.name = dup_or_null(s->name, &ok);
    if (ok) x.desc = dup_or_null(s->description, &ok);
    if (!ok) {
        free(x.name);
        return refuse(w, PC_ENOMEM, "out of memory");
    }
    if (w->format == PC_FORMAT_PCAPNG) {
        if (w->fail.code) {
            free(x.name);
            free(x.desc);
            w->last = w->fail;
            return w->fail.code;
        }
        size_t k = pc_ng_put_idb(w->buf + w->used, WBUF_SIZE - w->used, w->big, s);
        if (!k && w->used) {
            int rc = wflush(w);
            if (rc == 0) k = pc_ng_put_idb(w->buf, WBUF_SIZE, w->big, s);
            else k = SIZE_MAX;
        }
        if (!k || k == SIZE_MAX) {
            free(x.name);
            free(x.desc);
            if (k == SIZE_MAX) return w->fail.code;
            return refuse(w, PC_EINVAL, "interface options too long (at most 65535 bytes each)");
        }
        w->used += k;
        w->added += k;
    }
    w->ifs[w->nifs] = x;
    return (int)w->nifs++;
}

int pc_writer_add_interface(struct pc_writer *w, const struct pc_iface_spec *s)
{
    if (!w) return PC_EINVAL;
    int rc = add_iface(w, s);
    if (rc >= 0) w->caller_ifs = true;
    return rc;
}

/* The interface a packet without explicit interfaces goes to: made from
 * the opts on first use (appending to a pcapng, a matching IDB of the last
 * section: same link type, nanosecond resolution, same name). */
static int implicit_iface(struct pc_writer *w)
{
    if (w->implicit >= 0) return w->implicit;
    struct pc_iface_spec s = { .linktype = w->linktype, .snaplen = w->snaplen, .name = w->if_name };
    for (uint32_t i = 0; i < w->nifs; i++) {
        const struct wif *x = &w->ifs[i];
        if (x->existing && x->linktype == s.linktype && x->tsresol == 9 && x->tsoffset == 0 &&
            same_str(x->name, s.name))
            return w->implicit = (int)i;
    }
    int rc = add_iface(w, &s);
    if (rc >= 0) w->implicit = rc;
    return rc;
}

/* The lengths a record is written with: as given when verbatim, else
 * the wire length raised to the captured one and the captured length cut
 * to the snaplen (0: none) and to the maximum.  False for a verbatim
 * caplen over the maximum, which the caller refuses (no reader would take
 * it back); kept apart from the refusal so this inlines into every write. */
static inline bool cut_lengths(const struct pc_writer *w, const struct pc_wpacket *p, uint32_t snaplen,
                               uint32_t *caplen, uint32_t *len)
{
    *caplen = p->caplen;
    *len = p->len;
    if (w->verbatim) return *caplen <= PC_PCAP_MAX_CAPLEN;
    if (*len < *caplen) *len = *caplen; /* the wire held at least what we have */
    if (snaplen && *caplen > snaplen) *caplen = snaplen;
    if (*caplen > PC_PCAP_MAX_CAPLEN) *caplen = PC_PCAP_MAX_CAPLEN;
    return true;
}

static int refuse_caplen(struct pc_writer *w, uint32_t caplen)
{
    return refuse(w, PC_ELIMIT, "caplen %u exceeds the maximum %u", (unsigned)caplen, PC_PCAP_MAX_CAPLEN);
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

static int write_pcap_rec(struct pc_writer *w, const struct pc_wpacket *p)
{
    if (p->comment || p->nmore) return refuse(w, PC_EUNSUPP, "pcap cannot hold packet comments (pcapng can)");
    if (p->flags) return refuse(w, PC_EUNSUPP, "pcap cannot hold packet flags such as the direction (pcapng can)");
    if (w->caller_ifs) {
        if (p->ifindex >= w->nifs) return refuse(w, PC_EINVAL, "no interface %u", (unsigned)p->ifindex);
        /* The header's upper 16 bits are FCS information, not the type. */
        if (w->ifs[p->ifindex].linktype != (w->linktype & 0xFFFF))
            return refuse(w, PC_EUNSUPP, "pcap holds one link type: interface %u has link type %d, the file %d",
                          (unsigned)p->ifindex, w->ifs[p->ifindex].linktype, w->linktype);
    } else if (p->ifindex != 0) {
        return refuse(w, PC_EINVAL, "no interface %u", (unsigned)p->ifindex);
    }
    uint32_t sec, frac;
    /* A bad timestamp is the caller's mistake, not a broken file: refuse
     * this record only and leave the output consistent. */
    if (split_ts(p->ts, w->tsprec, &sec, &frac) != 0)
        return refuse(w, PC_EINVAL, "timestamp %lld ns is outside what pcap holds (1970 to 2106)", (long long)p->ts);
    uint32_t caplen, len;
    if (!cut_lengths(w, p, w->snaplen, &caplen, &len)) return refuse_caplen(w, caplen);

    /* The buffer holds any whole record (see WBUF_SIZE): header and data
     * go straight into it, one bounds check per packet. */
    int rc = wroom(w, PCAP_REC_HDR + caplen);
    if (rc) return rc;
    uint8_t *h = w->buf + w->used;
    const bool big = w->big; /* read once: the stores below may alias *w */
    put32(h, sec, big);
    put32(h + 4, frac, big);
    put32(h + 8, caplen, big);
    put32(h + 12, len, big);
    if (caplen) memcpy(h + PCAP_REC_HDR, p->data, caplen);
    w->used += PCAP_REC_HDR + caplen;
    return 0;
}

static int write_epb(struct pc_writer *w, const struct pc_wpacket *p)
{
    int idx;
    if (w->caller_ifs) {
        if (p->ifindex >= w->nifs) return refuse(w, PC_EINVAL, "no interface %u", (unsigned)p->ifindex);
        idx = (int)p->ifindex;
    } else {
        if (p->ifindex != 0) return refuse(w, PC_EINVAL, "no interface %u", (unsigned)p->ifindex);
        idx = implicit_iface(w);
        if (idx < 0) return idx;
    }
    const struct wif *f = &w->ifs[idx];
    uint64_t units;
    if (f->fast) {
        if (p->ts < 0) return refuse(w, PC_EINVAL, "timestamp %lld ns is before 1970", (long long)p->ts);
        units = (uint64_t)p->ts;
    } else if (pc_ng_ns_to_ts(p->ts, f->tsresol, f->tsoffset, &units) != 0) {
        return refuse(w, PC_EINVAL, "timestamp %lld ns cannot be written at if_tsresol 0x%02x with if_tsoffset %lld",
                      (long long)p->ts, f->tsresol, (long long)f->tsoffset);
    }
    uint32_t caplen, len;
    if (!cut_lengths(w, p, f->snaplen, &caplen, &len)) return refuse_caplen(w, caplen);
    size_t size = pc_ng_epb_size(p, caplen);
    if (!size) return refuse(w, PC_EINVAL, "a packet comment is longer than 65535 bytes");
    if (size > WBUF_SIZE)
        return refuse(w, PC_EINVAL, "packet comments make the block %zu bytes, over the writer's limit of %u", size,
                      WBUF_SIZE);
    /* The block is encoded in place; it always fits after a flush. */
    int rc = wroom(w, size);
    if (rc) return rc;
    pc_ng_put_epb(w->buf + w->used, w->big, (uint32_t)idx, units, p, caplen, len);
    w->used += size;
    w->added += size;
    return 0;
}

int pc_writer_write_ex(struct pc_writer *w, const struct pc_wpacket *p)
{
    if (!w) return PC_EINVAL;
    if (!p || (!p->data && p->caplen > 0) || (!p->comment && p->comment_len > 0) || (!p->more && p->nmore))
        return refuse(w, PC_EINVAL, "invalid packet (missing data or comment)");
    if (w->fail.code) {
        w->last = w->fail;
        return w->fail.code;
    }
    return w->format == PC_FORMAT_PCAPNG ? write_epb(w, p) : write_pcap_rec(w, p);
}

int pc_writer_write(struct pc_writer *w, pc_time_ns ts, const uint8_t *data, uint32_t caplen, uint32_t len)
{
    struct pc_wpacket p = { .ts = ts, .data = data, .caplen = caplen, .len = len };
    return pc_writer_write_ex(w, &p);
}

const struct pc_err *pc_writer_err(const struct pc_writer *w) { return &w->fail; }
const struct pc_err *pc_writer_last_err(const struct pc_writer *w) { return &w->last; }

/* Write the section length of the appended-to SHB (old + added bytes). */
static int patch_section_len(struct pc_writer *w, int64_t v)
{
    uint8_t b[8];
    uint64_t u = (uint64_t)v;
    if (w->big) {
        pc_put32(b, (uint32_t)(u >> 32));
        pc_put32(b + 4, (uint32_t)u);
    } else {
        pc_put32le(b, (uint32_t)u);
        pc_put32le(b + 4, (uint32_t)(u >> 32));
    }
    ssize_t k = pwrite(w->fd, b, 8, (off_t)(w->shb_off + 16));
    return k == 8 ? 0 : (k < 0 ? errno : EIO);
}

/* Undo whatever reached the disk; used by abort and by a failed close. */
static void writer_discard(struct pc_writer *w)
{
    if (w->to_stdout) return;
    pc_undo_remove(w->undo);
    if (w->direct) {
        close(w->fd); /* what the device or reader has taken cannot be taken back */
    } else if (w->appending) {
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
    /* From here on every path ends the undo itself. */
    pc_undo_remove(w->undo);
    if (w->direct) {
        if (close(w->fd) < 0) {
            set_err(&w->fail, PC_EIO, 0, 0, "%s: write failed: %s", w->path, strerror(errno));
            return PC_EIO;
        }
        return 0;
    }
    if (w->appending && w->patch_len && w->added) {
        int e = patch_section_len(w, w->seclen + (int64_t)w->added);
        if (e) {
            set_err(&w->fail, PC_EIO, 0, 0, "%s: write failed: %s", w->path, strerror(e));
            (void)ftruncate(w->fd, w->orig_size);
            (void)patch_section_len(w, w->seclen);
            close(w->fd);
            return PC_EIO;
        }
    }
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
                if (w->patch_len && w->added) {
                    w->fd = rfd;
                    (void)patch_section_len(w, w->seclen);
                }
                close(rfd);
            }
        } else {
            unlink(w->tmp);
        }
        return PC_EIO;
    }
    if (!w->appending && rename(w->tmp, w->target) < 0) {
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
    int rc = 0;
    /* A new pcapng always gets an interface, so that an empty capture still
     * says its link type (as an empty pcap's header does). */
    if (w->format == PC_FORMAT_PCAPNG && !w->appending && w->nifs == 0 && !w->fail.code) {
        int k = implicit_iface(w);
        if (k < 0) rc = k;
    }
    if (rc == 0) rc = wflush(w);
    if (rc != 0) {
        writer_discard(w);
    } else {
        rc = writer_commit(w); /* cleans up after itself on failure */
    }
    if (rc != 0 && err) *err = w->fail.code ? w->fail : w->last;
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

/* gzip input: compressed bytes are read into zin and inflated into the
 * reader's buffer, exactly where read(2) would have put them. */
struct gzin {
    z_stream zs;
    uint8_t *zin;
    size_t zcap;
    uint64_t zread;     /* compressed bytes read so far */
    bool zeof;          /* read(2) of the compressed file returned 0 */
    bool member_done;   /* a gzip member ended; another may follow */
    uint64_t member_at; /* compressed offset where the current member starts */
};

struct pc_reader {
    int fd;
    bool own_fd;
    bool eof;         /* no more input bytes will come (end, or an input error) */
    int format;       /* PC_FORMAT_* */
    bool big;
    int tsprec;
    int linktype;     /* pcap: low 16 bits of the header field */
    uint32_t ltfield; /* pcap: the whole field */
    uint32_t snaplen;
    int32_t thiszone;
    uint32_t sigfigs;
    uint64_t count;   /* packets returned so far */
    uint64_t offset;  /* (uncompressed) file offset of buf[start] */
    size_t start, end, cap; /* unconsumed bytes are buf[start, end) */
    char *name;
    const char *offword; /* "byte offset" or "uncompressed byte offset" */
    struct pc_err err;   /* sticky: once set, every next() returns it */
    /* An input failure (read error, bad or cut gzip data) is held here
     * until the bytes before it are used up, then reported with the
     * packet count, so every packet before it is still delivered. */
    struct pc_err pend;
    int pend_errno;      /* read(2) failure: formatted where it is reported */
    struct gzin *gz;
    struct pc_ng *ng;    /* pcapng decoder */
    uint64_t la_end;     /* pcapng: blocks before this offset were read ahead by open */
    struct pc_iface pcap_if; /* pcap: the one implicit interface */
    struct pc_limits lim;
    uint8_t *buf;
};

static void set_pend_errno(struct pc_reader *r, int e)
{
    r->pend.code = PC_EIO;
    r->pend_errno = e;
    r->eof = true;
}

/* Inflate into dst (room bytes); returns the bytes produced, 0 at the end
 * of the data or after an error (then held in r->pend). */
static size_t gz_fill(struct pc_reader *r, uint8_t *dst, size_t room)
{
    struct gzin *g = r->gz;
    z_stream *z = &g->zs;
    z->next_out = dst;
    z->avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
    uInt want = z->avail_out;
    while (z->avail_out == want) {
        if (z->avail_in == 0 && !g->zeof) {
            ssize_t k = read(r->fd, g->zin, g->zcap);
            if (k < 0) {
                if (errno == EINTR) continue;
                set_pend_errno(r, errno);
                break;
            }
            if (k == 0) {
                g->zeof = true;
            } else {
                z->next_in = g->zin;
                z->avail_in = (uInt)k;
                g->zread += (uint64_t)k;
            }
            continue;
        }
        uint64_t zoff = g->zread - z->avail_in; /* compressed bytes consumed */
        if (g->member_done) {
            /* Concatenated members are one stream (as gzip -d reads them). */
            if (z->avail_in == 0) break; /* zeof: a clean end */
            if (z->avail_in == 1 && !g->zeof && z->next_in[0] == 0x1F) {
                /* Keep the lone byte and read what follows it. */
                g->zin[0] = 0x1F;
                ssize_t k = read(r->fd, g->zin + 1, g->zcap - 1);
                if (k < 0) {
                    if (errno == EINTR) continue;
                    set_pend_errno(r, errno);
                    break;
                }
                if (k == 0) g->zeof = true;
                g->zread += (uint64_t)(k > 0 ? k : 0);
                z->next_in = g->zin;
                z->avail_in = 1 + (uInt)(k > 0 ? k : 0);
                continue;
            }
            if (z->avail_in >= 2 && is_gzip(z->next_in)) {
                inflateReset(z);
                g->member_done = false;
                g->member_at = zoff;
                continue;
            }
            set_err(&r->pend, PC_EMALFORMED, 0, zoff, "trailing garbage after the gzip data at compressed byte offset %llu",
                    (unsigned long long)zoff);
            r->eof = true;
            break;
        }
        if (z->avail_in == 0 && g->zeof) {
            set_err(&r->pend, PC_ETRUNC, 0, zoff,
                    "gzip data cut short: the compressed file ends at byte %llu inside the member that starts at byte %llu",
                    (unsigned long long)zoff, (unsigned long long)g->member_at);
            r->eof = true;
            break;
        }
        int zr = inflate(z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            g->member_done = true;
        } else if (zr == Z_MEM_ERROR) {
            set_err(&r->pend, PC_ENOMEM, 0, zoff, "out of memory inflating gzip data");
            r->eof = true;
            break;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            uint64_t at = g->zread - z->avail_in;
            set_err(&r->pend, PC_EMALFORMED, 0, at, "gzip data error at compressed byte offset %llu: %s",
                    (unsigned long long)at, z->msg ? z->msg : "invalid data");
            r->eof = true;
            break;
        }
    }
    return want - z->avail_out;
}

/* Some more input at dst; 0 at the end (or error, held in r->pend). */
static size_t fill_some(struct pc_reader *r, uint8_t *dst, size_t room)
{
    if (r->gz) return gz_fill(r, dst, room);
    for (;;) {
        ssize_t k = read(r->fd, dst, room);
        if (k >= 0) return (size_t)k;
        if (errno == EINTR) continue;
        set_pend_errno(r, errno);
        return 0;
    }
}

/* Make at least `need` bytes available from buf[start] unless the input
 * ends first (then check end - start for what was got).  Returns 0 or
 * PC_ENOMEM when a pcapng block needs a larger buffer than we can get. */
static int rfill(struct pc_reader *r, size_t need)
{
    if (r->end - r->start >= need || r->eof) return 0;
    /* The tail is shorter than one record or block, so this copy is
     * bounded, and it leaves the whole rest of the buffer for one large
     * read. */
    size_t have = r->end - r->start;
    memmove(r->buf, r->buf + r->start, have);
    r->start = 0;
    r->end = have;
    if (need > r->cap) {
        /* Only a pcapng block over 1 MiB gets here, and pc_ng_block_len()
         * capped it at PC_NG_MAX_BLOCK: memory stays bounded. */
        size_t cap = (need + RBUF_SIZE - 1) / RBUF_SIZE * RBUF_SIZE;
        uint8_t *nb = realloc(r->buf, cap);
        if (!nb) return PC_ENOMEM;
        r->buf = nb;
        r->cap = cap;
    }
    while (r->end < need) {
        size_t want = need - r->end > RCHUNK ? need - r->end : RCHUNK;
        if (want > r->cap - r->end) want = r->cap - r->end;
        size_t k = fill_some(r, r->buf + r->end, want);
        if (k == 0) {
            r->eof = true;
            break;
        }
        r->end += k;
    }
    return 0;
}

/* Report the held input failure, naming where reading stopped. */
static int report_pend(struct pc_reader *r)
{
    uint64_t pkt = r->count + 1;
    char what[sizeof r->pend.msg + 16];
    if (r->pend_errno)
        snprintf(what, sizeof what, "read error: %s", strerror(r->pend_errno));
    else
        memcpy(what, r->pend.msg, sizeof r->pend.msg);
    if (r->format == PC_FORMAT_PCAPNG)
        set_err(&r->err, r->pend.code, pkt, r->offset, "%s: block at %s %llu: %s; %llu packets read", r->name,
                r->offword, (unsigned long long)r->offset, what, (unsigned long long)r->count);
    else if (r->pend_errno)
        set_err(&r->err, r->pend.code, pkt, r->offset, "%s: packet %llu at %s %llu: %s", r->name,
                (unsigned long long)pkt, r->offword, (unsigned long long)r->offset, what);
    else
        set_err(&r->err, r->pend.code, pkt, r->offset, "%s: packet %llu at %s %llu: %s; %llu packets read", r->name,
                (unsigned long long)pkt, r->offword, (unsigned long long)r->offset, what,
                (unsigned long long)r->count);
    return r->err.code;
}

/* The same, before any packet (file header): no packet context. */
static int report_pend_header(struct pc_reader *r, struct pc_err *err)
{
    if (r->pend_errno)
        set_err(err, PC_EIO, 0, 0, "%s: read error: %s", r->name, strerror(r->pend_errno));
    else
        set_err(err, r->pend.code, 0, r->pend.offset, "%s: %s", r->name, r->pend.msg);
    return err->code;
}

static int nomem(struct pc_reader *r)
{
    set_err(&r->err, PC_ENOMEM, r->count + 1, r->offset, "%s: out of memory", r->name);
    return PC_ENOMEM;
}

/* Validate the 24 bytes of pcap file header. */
static int parse_pcap_header(struct pc_reader *r, struct pc_err *err)
{
    int e = rfill(r, PCAP_FILE_HDR);
    if (e) {
        set_err(err, e, 0, 0, "%s: out of memory", r->name);
        return e;
    }
    size_t have = r->end - r->start;
    const uint8_t *h = r->buf + r->start;
    if (have < PCAP_FILE_HDR) {
        if (r->pend.code) return report_pend_header(r, err);
        set_err(err, PC_ETRUNC, 0, 0, "%s: file too short for a pcap header (got %zu of %u bytes)", r->name, have,
                PCAP_FILE_HDR);
        return PC_ETRUNC;
    }
    uint16_t major = get16(h + 4, r->big), minor = get16(h + 6, r->big);
    if (major != 2) {
        set_err(err, PC_EUNSUPP, 0, 4, "%s: unsupported pcap version %u.%u", r->name, major, minor);
        return PC_EUNSUPP;
    }
    r->thiszone = (int32_t)get32(h + 8, r->big);
    r->sigfigs = get32(h + 12, r->big);
    r->snaplen = get32(h + 16, r->big);
    r->ltfield = get32(h + 20, r->big);
    /* The upper bits of the link type field may carry FCS information;
     * tshark and libpcap take the link type from the low 16 bits. */
    r->linktype = (int)(r->ltfield & 0xFFFFu);
    r->start += PCAP_FILE_HDR;
    r->offset = PCAP_FILE_HDR;
    r->pcap_if = (struct pc_iface){
        .linktype = r->linktype,
        .snaplen = r->snaplen,
        .tsresol = r->tsprec == PC_TSPREC_NS ? 9 : 6,
        /* "F" bit 26 set: bits 28-31 give the FCS length in 16-bit words. */
        .fcslen = (r->ltfield & 0x04000000u) ? (int)(r->ltfield >> 28) * 2 : -1,
    };
    return 0;
}

/* pcapng: the first SHB, then read ahead over the blocks before the first
 * packet (IDBs above all) so that link type and interfaces are known when
 * open returns.  The blocks stay in the buffer (nothing is consumed, so
 * nothing is moved out) and are handed to the block callback by next(). */
static int parse_pcapng_head(struct pc_reader *r, struct pc_err *err)
{
    r->ng = pc_ng_new(r->name, r->gz != NULL);
    if (!r->ng) {
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", r->name);
        return PC_ENOMEM;
    }
    pc_ng_set_limits(r->ng, &r->lim);
    size_t la = 0; /* look-ahead, relative to start (which stays 0) */
    for (;;) {
        struct pc_err e = { 0 };
        if (la + 12 > r->cap) break;
        if (rfill(r, la + 12) != 0) break;
        size_t have = r->end - r->start - la;
        if (have == 0) break;
        const uint8_t *p = r->buf + r->start + la;
        int64_t len = pc_ng_block_len(r->ng, p, have, la, &e);
        if (len >= 0 && la > 0) {
            uint32_t t = pc_ng_block_type(r->ng, p);
            if (t == PC_NG_SHB || t == PC_NG_EPB || t == PC_NG_SPB || t == PC_NG_PB) break;
        }
        if (len >= 0 && la + (size_t)len > r->cap && la > 0) break;
        if (len >= 0) {
            if (rfill(r, la + (size_t)len) != 0) {
                set_err(&e, PC_ENOMEM, 0, 0, "%s: out of memory", r->name);
                len = PC_ENOMEM;
            } else {
                p = r->buf + r->start + la;
                have = r->end - r->start - la;
                if (have < (size_t)len) {
                    if (la > 0) break; /* next() reports it, after any packets */
                    len = pc_ng_truncated(r->ng, p, have, (size_t)len, 0, &e);
                } else {
                    len = pc_ng_block(r->ng, p, (size_t)len, la, true, NULL, NULL, &e) < 0 ? e.code : len;
                }
            }
        }
        if (len < 0) {
            if (la > 0) break; /* a later bad block is next()'s to report */
            if (r->pend.code && e.code == PC_ETRUNC) return report_pend_header(r, err);
            *err = e;
            err->packet = 0;
            return e.code;
        }
        la += (size_t)len;
        r->la_end = la;
    }
    if (r->la_end == 0) {
        /* Could not even read the SHB: cut short before 12 bytes. */
        if (r->pend.code) return report_pend_header(r, err);
        set_err(err, PC_ETRUNC, 0, 0, "%s: file too short for a pcapng section header (got %zu of 28 bytes)", r->name,
                r->end - r->start);
        return PC_ETRUNC;
    }
    const struct pc_shb *s = pc_ng_section(r->ng, 0);
    r->big = s->big;
    const struct pc_iface *f = pc_ng_interface(r->ng, 0);
    r->linktype = f ? f->linktype : -1;
    r->ltfield = f ? (uint32_t)f->linktype : UINT32_MAX;
    r->snaplen = f ? f->snaplen : 0;
    r->tsprec = !f || pc_ng_tsresol_is_us(f->tsresol) ? PC_TSPREC_US : PC_TSPREC_NS;
    return 0;
}

/* Switch to gzip: the bytes read so far become the first compressed
 * input, and the buffer starts over for the inflated data. */
static int start_gzip(struct pc_reader *r, struct pc_err *err)
{
    struct gzin *g = calloc(1, sizeof *g);
    uint8_t *zin = g ? malloc(ZBUF_SIZE > r->end - r->start ? ZBUF_SIZE : r->end - r->start) : NULL;
    if (!g || !zin) {
        free(g);
        set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", r->name);
        return PC_ENOMEM;
    }
    size_t have = r->end - r->start;
    memcpy(zin, r->buf + r->start, have);
    g->zin = zin;
    g->zcap = ZBUF_SIZE > have ? ZBUF_SIZE : have;
    g->zread = have;
    g->zeof = r->eof;
    g->zs.next_in = zin;
    g->zs.avail_in = (uInt)have;
    if (inflateInit2(&g->zs, 16 + MAX_WBITS) != Z_OK) {
        free(zin);
        free(g);
        set_err(err, PC_ENOMEM, 0, 0, "%s: cannot start gzip decompression", r->name);
        return PC_ENOMEM;
    }
    r->gz = g;
    r->start = r->end = 0;
    r->eof = false;
    r->offword = "uncompressed byte offset";
    return 0;
}

/* Detect the format by content and read the file header(s). */
static int open_input(struct pc_reader *r, struct pc_err *err)
{
    int e = rfill(r, 4);
    if (e) {
        set_err(err, e, 0, 0, "%s: out of memory", r->name);
        return e;
    }
    if (r->end - r->start >= 2 && is_gzip(r->buf + r->start)) {
        if (start_gzip(r, err) != 0) return err->code;
        if (rfill(r, 4) != 0) {
            set_err(err, PC_ENOMEM, 0, 0, "%s: out of memory", r->name);
            return PC_ENOMEM;
        }
    }
    size_t have = r->end - r->start;
    const uint8_t *h = r->buf + r->start;
    /* With four bytes we can already say "not a capture" more usefully
     * than "too short", so the magic is checked first. */
    if (have >= 4 && pc_get32le(h) == PCAP_MAGIC_NG) {
        r->format = PC_FORMAT_PCAPNG;
        return parse_pcapng_head(r, err);
    }
    if (have >= 4 && !classify_magic(h, &r->big, &r->tsprec)) {
        set_err(err, PC_EFORMAT, 0, 0, "%s: not a pcap file (magic 0x%08x at offset 0%s)", r->name,
                (unsigned)quoted_magic(h), r->gz ? " of the gzip-compressed data" : "");
        return PC_EFORMAT;
    }
    if (have < 4) {
        if (r->pend.code) return report_pend_header(r, err);
        set_err(err, PC_ETRUNC, 0, 0, "%s: file too short for a pcap header (got %zu of %u bytes)", r->name, have,
                PCAP_FILE_HDR);
        return PC_ETRUNC;
    }
    r->format = r->tsprec == PC_TSPREC_NS ? PC_FORMAT_PCAP_NS : PC_FORMAT_PCAP_US;
    return parse_pcap_header(r, err);
}

struct pc_reader *pc_reader_fdopen(int fd, const char *name, struct pc_err *err)
{
    return pc_reader_fdopen_ex(fd, name, NULL, err);
}

struct pc_reader *pc_reader_fdopen_ex(int fd, const char *name, const struct pc_limits *lim, struct pc_err *err)
{
    clear_err(err);
    struct pc_err scratch;
    if (!err) err = &scratch;
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
    r->cap = RBUF_SIZE;
    if (lim) r->lim = *lim;
    else pc_limits_default(&r->lim);
    r->offword = "byte offset";
    if (open_input(r, err) != 0) {
        pc_reader_close(r);
        return NULL;
    }
    return r;
}

struct pc_reader *pc_reader_open(const char *path, struct pc_err *err)
{
    return pc_reader_open_ex(path, NULL, err);
}

struct pc_reader *pc_reader_open_ex(const char *path, const struct pc_limits *lim, struct pc_err *err)
{
    clear_err(err);
    if (!path) {
        set_err(err, PC_EINVAL, 0, 0, "pcap reader: missing path");
        return NULL;
    }
    if (strcmp(path, "-") == 0) return pc_reader_fdopen_ex(STDIN_FILENO, "<stdin>", lim, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, PC_EIO, 0, 0, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* A hint only: larger read-ahead for a front-to-back scan. */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    struct pc_reader *r = pc_reader_fdopen_ex(fd, path, lim, err);
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
    set_err(&r->err, code, pkt, r->offset, "%s: packet %llu at %s %llu: %s; %llu packets read", r->name,
            (unsigned long long)pkt, r->offword, (unsigned long long)r->offset, what, (unsigned long long)r->count);
    return code;
}

static int pcap_next(struct pc_reader *r, struct pc_pkthdr *h, const uint8_t **data)
{
    /* rfill only when the buffer runs dry: most records are already in. */
    if (r->end - r->start < PCAP_REC_HDR) rfill(r, PCAP_REC_HDR); /* cannot fail: a record fits the initial buffer */
    size_t have = r->end - r->start;
    if (have < PCAP_REC_HDR) {
        if (r->pend.code) return report_pend(r);
        if (have == 0) return 0; /* clean end exactly at a record boundary */
        return rec_err(r, PC_ETRUNC, "truncated record header (%zu of %u bytes)", have, PCAP_REC_HDR);
    }
    const uint8_t *p = r->buf + r->start;
    uint32_t caplen = get32(p + 8, r->big);
    /* A caplen above the file's snaplen is accepted, as tshark and libpcap
     * accept it; only the absolute maximum is a hard limit. */
    if (caplen > PC_PCAP_MAX_CAPLEN)
        return rec_err(r, PC_EMALFORMED, "caplen %u exceeds the maximum %u", (unsigned)caplen, PC_PCAP_MAX_CAPLEN);
    /* caplen is bounded, so the record fits in the buffer. */
    size_t total = PCAP_REC_HDR + caplen;
    if (have < total) {
        rfill(r, total);
        have = r->end - r->start;
    }
    if (have < total) {
        if (r->pend.code) return report_pend(r);
        return rec_err(r, PC_ETRUNC, "truncated packet data (%zu of %u bytes)", have - PCAP_REC_HDR,
                       (unsigned)caplen);
    }
    p = r->buf + r->start; /* rfill may have moved the bytes */
    /* Seconds are unsigned (good to 2106); the fraction is taken as given,
     * even if out of range, as tshark does. */
    uint32_t sec = get32(p, r->big), frac = get32(p + 4, r->big);
    int64_t unit = r->tsprec == PC_TSPREC_NS ? 1 : 1000;
    if (h) {
        *h = (struct pc_pkthdr){
            .ts = (pc_time_ns)sec * PC_NS_PER_SEC + (pc_time_ns)frac * unit,
            .caplen = caplen,
            .len = get32(p + 12, r->big),
            .linktype = r->linktype,
            .drops = -1,
            .has_ts = true,
            .offset = r->offset,
        };
    }
    if (data) *data = p + PCAP_REC_HDR;
    r->start += total;
    r->offset += total;
    r->count++;
    return 1;
}

static int pcapng_next(struct pc_reader *r, struct pc_pkthdr *h, const uint8_t **data)
{
    for (;;) {
        if (r->end - r->start < 12) rfill(r, 12); /* 12 bytes always fit */
        size_t have = r->end - r->start;
        if (have == 0) return r->pend.code ? report_pend(r) : 0;
        const uint8_t *p = r->buf + r->start;
        if (have < 12 && r->pend.code) return report_pend(r);
        int64_t len = pc_ng_block_len(r->ng, p, have, r->offset, &r->err);
        if (len < 0) return (int)len;
        if (have < (size_t)len) { /* rfill only when the buffer runs dry */
            if (rfill(r, (size_t)len) != 0) return nomem(r);
            have = r->end - r->start;
        }
        p = r->buf + r->start;
        if (have < (size_t)len) {
            if (r->pend.code) return report_pend(r);
            return pc_ng_truncated(r->ng, p, have, (size_t)len, r->offset, &r->err);
        }
        int rc;
        if (r->offset < r->la_end) rc = pc_ng_deliver(r->ng, p, (size_t)len, r->offset, &r->err);
        else rc = pc_ng_block_whole(r->ng, p, (size_t)len, r->offset, false, h, data, &r->err);
        if (rc < 0) return rc;
        r->start += (size_t)len;
        r->offset += (uint64_t)len;
        if (rc == 1) {
            r->count++;
            return 1;
        }
    }
}

int pc_reader_next(struct pc_reader *r, struct pc_pkthdr *h, const uint8_t **data)
{
    if (!r) return PC_EINVAL;
    if (r->err.code) return r->err.code;
    return r->format == PC_FORMAT_PCAPNG ? pcapng_next(r, h, data) : pcap_next(r, h, data);
}

const struct pc_err *pc_reader_err(const struct pc_reader *r) { return &r->err; }
int pc_reader_linktype(const struct pc_reader *r) { return r->linktype; }
uint32_t pc_reader_linktype_field(const struct pc_reader *r) { return r->ltfield; }
uint32_t pc_reader_snaplen(const struct pc_reader *r) { return r->snaplen; }
int pc_reader_tsprec(const struct pc_reader *r) { return r->tsprec; }
/* As libpcap's pcap_is_swapped(): the file's byte order is not the host's. */
bool pc_reader_swapped(const struct pc_reader *r) { return r->big != host_is_big(); }
uint64_t pc_reader_count(const struct pc_reader *r) { return r->count; }
int pc_reader_format(const struct pc_reader *r) { return r->format; }
bool pc_reader_gzip(const struct pc_reader *r) { return r->gz != NULL; }
int32_t pc_reader_thiszone(const struct pc_reader *r) { return r->thiszone; }
uint32_t pc_reader_sigfigs(const struct pc_reader *r) { return r->sigfigs; }

uint32_t pc_reader_ninterfaces(const struct pc_reader *r) { return r->ng ? pc_ng_ninterfaces(r->ng) : 1; }

const struct pc_iface *pc_reader_interface(const struct pc_reader *r, uint32_t i)
{
    if (r->ng) return pc_ng_interface(r->ng, i);
    return i == 0 ? &r->pcap_if : NULL;
}

uint32_t pc_reader_nsections(const struct pc_reader *r) { return r->ng ? pc_ng_nsections(r->ng) : 0; }

const struct pc_shb *pc_reader_section(const struct pc_reader *r, uint32_t i)
{
    return r->ng ? pc_ng_section(r->ng, i) : NULL;
}

void pc_reader_set_block_cb(struct pc_reader *r, pc_block_cb cb, void *ctx)
{
    if (r->ng) pc_ng_set_block_cb(r->ng, cb, ctx);
}

int pc_reader_comment(const struct pc_reader *r, uint32_t i, const uint8_t **p, uint32_t *len)
{
    return r->ng ? pc_ng_comment(r->ng, i, p, len) : 0;
}

int pc_reader_pkt_option(const struct pc_reader *r, uint16_t code, uint32_t idx, const uint8_t **val, uint16_t *len)
{
    return r->ng ? pc_ng_pkt_option(r->ng, code, idx, val, len) : 0;
}

void pc_reader_pkt_options(const struct pc_reader *r, struct pc_ng_opts *it)
{
    if (r->ng) pc_ng_pkt_options(r->ng, it);
    else pc_ng_opts_init(it, NULL, 0, false);
}

const struct pc_ng_dropped *pc_reader_meta_dropped(const struct pc_reader *r)
{
    static const struct pc_ng_dropped none;
    return r->ng ? pc_ng_meta_dropped(r->ng) : &none;
}

void pc_reader_close(struct pc_reader *r)
{
    if (!r) return;
    if (r->own_fd) close(r->fd);
    if (r->gz) {
        inflateEnd(&r->gz->zs);
        free(r->gz->zin);
        free(r->gz);
    }
    pc_ng_free(r->ng);
    free(r->buf);
    free(r->name);
    free(r);
}
