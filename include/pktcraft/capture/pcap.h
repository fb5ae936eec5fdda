/* Capture files: a buffered writer and one streaming reader.
 * The reader detects by content pcap (microsecond or nanosecond, either
 * byte order), pcapng (pcapng.h has its interfaces, sections, comments and
 * blocks) and either of them gzip-compressed.  The writer writes pcap or
 * pcapng; headers are little-endian explicitly so output is byte-identical
 * on every host. */
#ifndef PKTCRAFT_PCAP_H
#define PKTCRAFT_PCAP_H

#include <stdbool.h>
#include "../core/common.h"

#define PC_PCAP_MAGIC_US 0xA1B2C3D4u
#define PC_PCAP_MAGIC_NS 0xA1B23C4Du
/* Largest packet either reader accepts (tshark's and libpcap's limit for
 * ordinary link types).  A pcap record's caplen may exceed the file's
 * snaplen (tshark reads such files); it may not exceed this. */
#define PC_PCAP_MAX_CAPLEN (256u * 1024u)

enum pc_tsprec { PC_TSPREC_US = 0, PC_TSPREC_NS = 1 };

/* File formats.  PC_FORMAT_DEFAULT (0) in pc_writer_opts means pcap with
 * the precision in tsprec, as before formats existed. */
enum pc_format { PC_FORMAT_DEFAULT = 0, PC_FORMAT_PCAP_US = 1, PC_FORMAT_PCAP_NS = 2, PC_FORMAT_PCAPNG = 3 };
/* "pcap-us", "pcap-ns", "pcapng" ("?" for anything else). */
const char *pc_format_name(int format);

/* ---- writer ---- */
struct pc_writer;

struct pc_writer_opts {
    int linktype;        /* LINKTYPE_*; 1 for Ethernet */
    uint32_t snaplen;    /* 0 means 262144 (unless verbatim); records never exceed 262144 bytes */
    int tsprec;          /* PC_TSPREC_US or PC_TSPREC_NS (pcap with format PC_FORMAT_DEFAULT) */
    bool append;         /* add to an existing capture: see below */
    int format;          /* enum pc_format; PC_FORMAT_DEFAULT: pcap in tsprec */
    /* pcapng only (ignored for pcap): */
    const char *shb_userappl;   /* NULL: "pktcraft 0.1.0"; "": left out */
    const char *shb_os;         /* NULL or "": left out (so output does not depend on the host) */
    const char *shb_hardware;   /* NULL or "": left out */
    const char *comment;        /* file comment (SHB opt_comment), NULL for none */
    const char *if_name;        /* if_name of the implicit interface 0, NULL for none */
    /* A copy of another capture: the snaplen is written as given (0
     * included) and every record's caplen and len as given, even a caplen
     * over the snaplen or a len below the caplen (fuzzed files have them);
     * only a caplen over PC_PCAP_MAX_CAPLEN is refused.  Without it the
     * writer cuts caplen to the snaplen and raises len to caplen. */
    bool verbatim;
};

/* path "-" writes to stdout.  A regular file is written under a temporary
 * name next to it and renamed by pc_writer_close(), so a failure never
 * leaves a half file; an append is rolled back to the original size on
 * failure.  A device, FIFO or socket (a Unix stream socket is connected
 * to) is written straight into, so /dev/null stays a sink and /dev/full
 * reports "No space left on device"; it cannot be appended to.  A symbolic
 * link is followed: the file it points at is replaced (the link stays); a
 * link to a missing file and a directory are refused.
 *
 * Appending.  A missing or empty file is created in the asked format.  An
 * existing pcap needs the same link type and precision (format DEFAULT, or
 * the matching PCAP_US/PCAP_NS).  An existing pcapng (format DEFAULT or
 * PCAPNG) gets Enhanced Packet Blocks at the end of its last section, in
 * that section's byte order; interfaces are matched against the section's
 * IDBs (pc_writer_add_interface) or, for the implicit interface, the first
 * IDB of opts->linktype, and new IDBs are added where nothing matches.  A
 * damaged or gzip-compressed file is refused, as is asking for one format
 * when the file is the other.  If the last SHB gives a section length, it
 * is updated when the writer is closed. */
struct pc_writer *pc_writer_open(const char *path, const struct pc_writer_opts *o, struct pc_err *err);
/* Write one record on interface 0; caplen bytes of data, wire length len
 * (>= caplen).  caplen is cut to the snaplen.  pcap.h's whole-file
 * operations; pcapng.h adds interfaces, comments and flags. */
int pc_writer_write(struct pc_writer *w, pc_time_ns ts, const uint8_t *data, uint32_t caplen, uint32_t len);
/* Detail of the first failed write (code 0 when none), e.g.
 * "out.pcap: write failed: No space left on device". */
const struct pc_err *pc_writer_err(const struct pc_writer *w);
/* Flush and commit.  Frees w.  Returns 0 or a PC_E* code with err set. */
int pc_writer_close(struct pc_writer *w, struct pc_err *err);
/* Discard everything written.  Frees w. */
void pc_writer_abort(struct pc_writer *w);
/* Discard what every open writer wrote (temporary files removed, appends
 * truncated back) using only async-signal-safe calls: for a signal
 * handler.  The writers themselves stay allocated. */
void pc_writer_discard_all(void);
/* Install handlers for SIGINT, SIGTERM and SIGHUP (those not ignored) that
 * call pc_writer_discard_all() and then die of the same signal, so that an
 * interrupted program leaves no temporary file and its parent sees the
 * signal (a shell's $? is 130, 143 or 129).  0 or PC_EIO. */
int pc_writer_cleanup_on_signals(void);

/* ---- reader ---- */
struct pc_reader;

struct pc_pkthdr {
    pc_time_ns ts;       /* nanoseconds since the epoch, exact */
    uint32_t caplen;
    uint32_t len;        /* original (wire) length */
    int linktype;        /* of the packet's own interface */
    uint32_t ifindex;    /* pcapng: global interface index (pc_reader_interface); pcap: 0 */
    /* pcapng only; zero/NULL for pcap: */
    const uint8_t *comment; /* first opt_comment, pointing into the buffer (not NUL-terminated) */
    uint32_t comment_len;
    uint32_t ncomments;  /* all of them via pc_reader_comment() */
    uint32_t flags;      /* epb_flags, 0 when absent; direction = flags & PC_DIR_MASK */
    int64_t drops;       /* PB drops count or epb_dropcount, -1 when absent */
    uint32_t section;    /* 0-based section */
    uint32_t block;      /* PC_NG_EPB, PC_NG_SPB or PC_NG_PB; 0 for pcap */
    bool has_ts;         /* false for a Simple Packet Block, which has no timestamp (ts is 0) */
    bool ts_clamped;     /* the file's instant lies outside int64 nanoseconds (before 1677 or
                          * after 2262; seen in real files with garbage timestamps): ts is
                          * INT64_MIN or INT64_MAX, and copying it would change the instant */
    uint64_t offset;     /* byte offset of the record (uncompressed) */
};

/* path "-" reads stdin.  Memory is bounded whatever the file: one buffer
 * of 1 MiB that grows only for a pcapng block larger than that (up to the
 * pcapng-block limit, 16 MiB by default), the interface and section tables
 * (at most pcapng-interfaces and pcapng-sections entries, 65,536 each by
 * default, about 150 bytes an entry), and the strings they keep (comments,
 * names: pcapng-meta bytes in all, 1 MiB by default; see
 * pc_reader_meta_dropped for what that left out).  gzip input
 * (magic 1f 8b) is inflated as it streams; errors in it name the byte
 * offset in the compressed file, format errors the offset in the
 * uncompressed data ("uncompressed byte offset").  Concatenated gzip
 * members read as one stream (as gzip -d reads them); any other bytes
 * after the gzip data are an error, as is a stream cut short. */
struct pc_reader *pc_reader_open(const char *path, struct pc_err *err);
/* Open over an already open descriptor (not closed by the reader). */
struct pc_reader *pc_reader_fdopen(int fd, const char *name, struct pc_err *err);
/* The same with resource limits (core/limits.h; NULL: the defaults). */
struct pc_limits;
struct pc_reader *pc_reader_open_ex(const char *path, const struct pc_limits *lim, struct pc_err *err);
struct pc_reader *pc_reader_fdopen_ex(int fd, const char *name, const struct pc_limits *lim, struct pc_err *err);
/* Next packet: 1 and *data pointing into the reader's buffer (valid until
 * the next call), 0 at a clean end of file, or a negative PC_E* code with
 * the detail in pc_reader_err().  Errors are sticky. */
int pc_reader_next(struct pc_reader *r, struct pc_pkthdr *h, const uint8_t **data);
const struct pc_err *pc_reader_err(const struct pc_reader *r);
/* pcap: the header's link type (low 16 bits; the upper bits carry FCS
 * information, as tshark and libpcap read them).  pcapng: the first
 * interface's, or -1 when no IDB precedes the first packet. */
int pc_reader_linktype(const struct pc_reader *r);
/* pcap: the raw 32-bit link type field, FCS bits included; pcapng: as above. */
uint32_t pc_reader_linktype_field(const struct pc_reader *r);
/* pcap: the header's snaplen; pcapng: the first interface's (0 if none). */
uint32_t pc_reader_snaplen(const struct pc_reader *r);
/* pcap: the file's; pcapng: PC_TSPREC_US when the first interface's
 * resolution is whole microseconds or coarser (decimal), else NS. */
int pc_reader_tsprec(const struct pc_reader *r);
/* The (first section's) byte order is not the host's. */
bool pc_reader_swapped(const struct pc_reader *r);
uint64_t pc_reader_count(const struct pc_reader *r);
/* PC_FORMAT_PCAP_US, PC_FORMAT_PCAP_NS or PC_FORMAT_PCAPNG. */
int pc_reader_format(const struct pc_reader *r);
/* The input was gzip-compressed. */
bool pc_reader_gzip(const struct pc_reader *r);
/* pcap header fields thiszone and sigfigs (0 for pcapng), for callers
 * that rewrite a pcap byte for byte. */
int32_t pc_reader_thiszone(const struct pc_reader *r);
uint32_t pc_reader_sigfigs(const struct pc_reader *r);
void pc_reader_close(struct pc_reader *r);

/* Interfaces, sections, comments, flags, block callback, the pcapng writer
 * and the low-level codec. */
#include "pcapng.h"

#endif
