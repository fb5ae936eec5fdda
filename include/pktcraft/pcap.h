/* pcap capture files: a buffered writer and a streaming reader.
 * File headers are written little-endian explicitly so output is
 * byte-identical on every host; the reader accepts both byte orders. */
#ifndef PKTCRAFT_PCAP_H
#define PKTCRAFT_PCAP_H

#include <stdbool.h>
#include "common.h"

#define PC_PCAP_MAGIC_US 0xA1B2C3D4u
#define PC_PCAP_MAGIC_NS 0xA1B23C4Du
#define PC_PCAP_MAX_CAPLEN (256u * 1024u)

enum pc_tsprec { PC_TSPREC_US = 0, PC_TSPREC_NS = 1 };

/* ---- writer ---- */
struct pc_writer;

struct pc_writer_opts {
    int linktype;        /* LINKTYPE_*; 1 for Ethernet */
    uint32_t snaplen;    /* 0 means 262144 */
    int tsprec;          /* PC_TSPREC_US or PC_TSPREC_NS */
    bool append;         /* add to an existing pcap of the same link type and precision */
};

/* path "-" writes to stdout.  A file is written under a temporary name and
 * renamed by pc_writer_close(), so a failure never leaves a half file; an
 * append is rolled back to the original size on failure. */
struct pc_writer *pc_writer_open(const char *path, const struct pc_writer_opts *o, struct pc_err *err);
/* Write one record; caplen bytes of data, wire length len (>= caplen).
 * caplen is cut to the snaplen. */
int pc_writer_write(struct pc_writer *w, pc_time_ns ts, const uint8_t *data, uint32_t caplen, uint32_t len);
/* Detail of the first failed write (code 0 when none), e.g.
 * "out.pcap: write failed: No space left on device". */
const struct pc_err *pc_writer_err(const struct pc_writer *w);
/* Flush and commit.  Frees w.  Returns 0 or a PC_E* code with err set. */
int pc_writer_close(struct pc_writer *w, struct pc_err *err);
/* Discard everything written.  Frees w. */
void pc_writer_abort(struct pc_writer *w);

/* ---- reader ---- */
struct pc_reader;

struct pc_pkthdr {
    pc_time_ns ts;
    uint32_t caplen;
    uint32_t len;
    int linktype;
    uint32_t ifindex;
};

/* path "-" reads stdin.  Memory is constant whatever the file size. */
struct pc_reader *pc_reader_open(const char *path, struct pc_err *err);
/* Open over an already open descriptor (not closed by the reader). */
struct pc_reader *pc_reader_fdopen(int fd, const char *name, struct pc_err *err);
/* Next packet: 1 and *data pointing into the reader's buffer (valid until
 * the next call), 0 at a clean end of file, or a negative PC_E* code with
 * the detail in pc_reader_err(). */
int pc_reader_next(struct pc_reader *r, struct pc_pkthdr *h, const uint8_t **data);
const struct pc_err *pc_reader_err(const struct pc_reader *r);
int pc_reader_linktype(const struct pc_reader *r);
uint32_t pc_reader_snaplen(const struct pc_reader *r);
int pc_reader_tsprec(const struct pc_reader *r);
bool pc_reader_swapped(const struct pc_reader *r);
uint64_t pc_reader_count(const struct pc_reader *r);
void pc_reader_close(struct pc_reader *r);

#endif
