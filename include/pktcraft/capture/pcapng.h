/* pcapng: what the one reader (pc_reader, pcap.h) tells about pcapng files,
 * what the writer (pc_writer, pcap.h) can put into them, and the low-level
 * block codec both are built on.
 *
 * Reading.  pc_reader_open() detects pcap, pcapng and gzip by content.  A
 * pcapng file may hold several sections, each with its own byte order; the
 * reader keeps one global list of interfaces across all of them, so a
 * packet's pc_pkthdr.ifindex indexes pc_reader_interface().  The number an
 * Enhanced Packet Block itself carries (tshark 4.0's frame.interface_id) is
 * pc_iface.local_id, counted from 0 in each section.
 *
 * Limits (memory stays bounded whatever the file): a block is held whole in
 * the read buffer, so blocks above PC_NG_MAX_BLOCK bytes are refused
 * (PC_ELIMIT); packets above PC_PCAP_MAX_CAPLEN likewise, as tshark does; at
 * most PC_NG_MAX_INTERFACES interfaces and PC_NG_MAX_SECTIONS sections.
 *
 * Where we differ from tshark 4.0 on purpose: a block length that is not a
 * multiple of 4 is an error (tshark rounds it up and reads on); a Simple
 * Packet Block shorter than its packet yields what it holds (tshark stops);
 * resolutions finer than 10^-10 s are converted exactly (tshark's 64-bit
 * product overflows); an instant outside int64 nanoseconds is clamped and
 * flagged (pc_pkthdr.ts_clamped) rather than printed past the year 2262.
 * Everything else -- versions 1.0 and 1.2 only, option and NRB record
 * overruns, interface ids, trailing lengths, if_tsoffset -- is as tshark.
 *
 * Writing.  pc_writer_opts.format = PC_FORMAT_PCAPNG writes one little-endian
 * section (byte-identical on every host) with shb_userappl "pktcraft 0.1.0"
 * unless told otherwise, one IDB per interface (if_tsresol 9 by default, so
 * nanoseconds are kept) and Enhanced Packet Blocks. */
#ifndef PKTCRAFT_PCAPNG_H
#define PKTCRAFT_PCAPNG_H

#include <stdbool.h>
#include "../core/common.h"
#include "pcap.h"

/* Block types. */
#define PC_NG_SHB 0x0A0D0D0Au  /* Section Header */
#define PC_NG_IDB 0x00000001u  /* Interface Description */
#define PC_NG_PB 0x00000002u   /* Packet (obsolete) */
#define PC_NG_SPB 0x00000003u  /* Simple Packet */
#define PC_NG_NRB 0x00000004u  /* Name Resolution */
#define PC_NG_ISB 0x00000005u  /* Interface Statistics */
#define PC_NG_EPB 0x00000006u  /* Enhanced Packet */
#define PC_NG_SJE 0x00000009u  /* systemd Journal Export */
#define PC_NG_DSB 0x0000000Au  /* Decryption Secrets */
#define PC_NG_CB 0x00000BADu   /* Custom, may be copied */
#define PC_NG_DCB 0x40000BADu  /* Custom, do not copy */
#define PC_NG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* Option codes used here (any other code is passed through untouched). */
#define PC_NG_OPT_END 0
#define PC_NG_OPT_COMMENT 1
#define PC_NG_SHB_HARDWARE 2
#define PC_NG_SHB_OS 3
#define PC_NG_SHB_USERAPPL 4
#define PC_NG_IF_NAME 2
#define PC_NG_IF_DESCRIPTION 3
#define PC_NG_IF_TSRESOL 9
#define PC_NG_IF_OS 12
#define PC_NG_IF_FCSLEN 13
#define PC_NG_IF_TSOFFSET 14
#define PC_NG_IF_HARDWARE 15
#define PC_NG_EPB_FLAGS 2
#define PC_NG_EPB_DROPCOUNT 4

/* epb_flags bits 0-1: direction. */
#define PC_DIR_MASK 0x3u
#define PC_DIR_UNKNOWN 0u
#define PC_DIR_INBOUND 1u
#define PC_DIR_OUTBOUND 2u

/* The writer's fixed limits; the reader's are run-time (core/limits.h)
 * with these as defaults. */
#define PC_NG_MAX_BLOCK (16u * 1024u * 1024u)
#define PC_NG_MAX_INTERFACES 65536u
#define PC_NG_MAX_SECTIONS 65536u
#define PC_NG_DEFAULT_TSRESOL 6  /* pcapng's default if_tsresol: microseconds */

/* ------------------------------------------------------------- reading */

/* One interface (an IDB; for a pcap file the single implicit one).  Strings
 * are NUL-terminated copies owned by the reader, NULL when the option is
 * absent; everything stays valid until pc_reader_close(). */
struct pc_iface {
    int linktype;        /* LINKTYPE_* (the IDB's 16-bit field) */
    uint32_t snaplen;    /* 0: no limit */
    uint8_t tsresol;     /* raw if_tsresol byte (6 when absent): bit 7 clear 10^-n s, set 2^-n s */
    int64_t tsoffset;    /* if_tsoffset, seconds added to every timestamp */
    int fcslen;          /* if_fcslen in bytes, -1 when unknown */
    const char *name;    /* if_name */
    const char *description; /* if_description */
    const char *os;      /* if_os */
    const char *hardware; /* if_hardware */
    uint32_t section;    /* 0-based section that holds the IDB */
    uint32_t local_id;   /* the interface id packets of that section use */
    uint64_t offset;     /* byte offset of the IDB (uncompressed) */
};

/* One section (an SHB).  For a pcap file there are none. */
struct pc_shb {
    uint16_t major, minor;
    int64_t section_len; /* -1: not given */
    bool big;            /* the section is big-endian */
    uint64_t offset;     /* byte offset of the SHB (uncompressed) */
    const char *hardware, *os, *userappl; /* shb_* options, NULL when absent */
    const char *const *comments;          /* every opt_comment, in order */
    uint32_t ncomments;
    uint32_t first_iface; /* global index of the section's first interface */
    uint32_t niface;      /* interfaces in the section so far */
};

/* A non-packet block handed to the block callback: body is everything
 * between the 8-byte block header and the trailing length, in the byte
 * order of its section (parse its options with pc_ng_opt_next()). */
struct pc_block {
    uint32_t type;
    uint32_t section;
    bool big;
    const uint8_t *body;
    uint32_t len;
    uint64_t offset;
};
/* Return 0 to go on; a negative PC_E* code stops the reader with that code. */
typedef int (*pc_block_cb)(void *ctx, const struct pc_block *b);

/* Interfaces seen so far (pcap: 1).  pc_reader_open() has already read
 * every IDB that precedes the first packet of the first section. */
uint32_t pc_reader_ninterfaces(const struct pc_reader *r);
/* NULL when i is out of range. */
const struct pc_iface *pc_reader_interface(const struct pc_reader *r, uint32_t i);
uint32_t pc_reader_nsections(const struct pc_reader *r);
const struct pc_shb *pc_reader_section(const struct pc_reader *r, uint32_t i);
/* Called for every non-packet block, SHB and IDB included, custom and
 * unknown ones too (which are otherwise skipped).  Set it before the first
 * pc_reader_next(): the blocks pc_reader_open() read ahead are delivered on
 * that first call.  body points into the read buffer: copy what you keep. */
void pc_reader_set_block_cb(struct pc_reader *r, pc_block_cb cb, void *ctx);
/* The i-th opt_comment of the packet last returned (0 <= i < h.ncomments):
 * 1 with *p and *len pointing into the buffer, 0 when there is no such
 * comment.  Asking for 0, 1, 2, ... in turn is linear: each call goes on
 * from where the previous one stopped. */
int pc_reader_comment(const struct pc_reader *r, uint32_t i, const uint8_t **p, uint32_t *len);
/* The idx-th option with this code of the packet last returned (EPB and PB
 * options, e.g. epb_hash, epb_packetid): 1 and the value, or 0. */
int pc_reader_pkt_option(const struct pc_reader *r, uint16_t code, uint32_t idx, const uint8_t **val, uint16_t *len);

/* Every option of the packet last returned, in order: initialises it for
 * pc_ng_opt_next() (no options for pcap). */
struct pc_ng_opts;
void pc_reader_pkt_options(const struct pc_reader *r, struct pc_ng_opts *it);

/* What the metadata limits (core/limits.h: pcapng-meta, pcapng-meta-item)
 * left out of the section and interface strings kept so far. */
struct pc_ng_dropped {
    uint64_t items;  /* strings not kept (the total budget was spent) */
    uint64_t bytes;  /* their bytes */
    uint64_t cut;    /* strings kept but cut to pcapng-meta-item bytes */
};
const struct pc_ng_dropped *pc_reader_meta_dropped(const struct pc_reader *r);

/* ------------------------------------------------------------- writing */

/* One interface of a pcapng being written.  Zero-initialised fields take
 * the defaults. */
struct pc_iface_spec {
    int linktype;
    uint32_t snaplen;        /* written as given; 0 means no limit (caplen is still capped at 256 KiB) */
    int tsresol;             /* 0: 9 (nanoseconds); else the if_tsresol byte; PC_TSRESOL_SECONDS for 10^0 */
    int64_t tsoffset;        /* if_tsoffset in seconds (0: option left out) */
    const char *name;        /* if_name, NULL for none */
    const char *description; /* if_description, NULL for none */
    int fcslen;              /* if_fcslen in bytes; 0 or below: option left out */
};
#define PC_TSRESOL_SECONDS 0x100

/* A further packet comment (pc_wpacket.more). */
struct pc_wcomment {
    const char *text;
    uint32_t len;
};

/* One packet for pc_writer_write_ex().  A comment is written iff comment
 * is not NULL (an empty one included); each is at most 65535 bytes. */
struct pc_wpacket {
    pc_time_ns ts;
    const uint8_t *data;
    uint32_t caplen;
    uint32_t len;            /* wire length; raised to caplen when below */
    uint32_t ifindex;        /* from pc_writer_add_interface(); 0 for the implicit interface */
    const char *comment;     /* opt_comment; NULL for none */
    uint32_t comment_len;    /* bytes of comment (it need not be NUL-terminated) */
    uint32_t flags;          /* epb_flags (direction in bits 0-1); 0: option left out */
    const struct pc_wcomment *more; /* further opt_comments, in order (copying a pcapng) */
    uint32_t nmore;
};

/* Add an interface; returns its index (>= 0) or a negative PC_E* code (the
 * detail in pc_writer_last_err()).  pcapng: an IDB is written at once.
 * pcap: the interface is only remembered; packets on it are refused if its
 * link type is not the file's.  Appending to a pcapng, an identical
 * interface of the last section is reused instead of adding a new one. */
int pc_writer_add_interface(struct pc_writer *w, const struct pc_iface_spec *s);
/* Write one packet with everything pcapng can hold.  Without any
 * pc_writer_add_interface(), interface 0 is made from the opts' link type
 * and snaplen on first use.  A pcap writer refuses (PC_EUNSUPP, detail in
 * pc_writer_last_err(), the file left consistent) what pcap cannot hold: a
 * comment, flags, or an interface whose link type is not the file's. */
int pc_writer_write_ex(struct pc_writer *w, const struct pc_wpacket *p);
/* Detail of the most recent failed call (refusal or I/O), code 0 if none. */
const struct pc_err *pc_writer_last_err(const struct pc_writer *w);
/* The output format being written (PC_FORMAT_PCAP_US/_NS/_PCAPNG). */
int pc_writer_format(const struct pc_writer *w);

/* ------------------------------------------------- low-level codec */

/* Timestamps.  units in if_tsresol resolution plus tsoffset seconds to
 * nanoseconds since the epoch, exactly: power-of-10 and power-of-2
 * resolutions of any exponent, rounding toward zero (as tshark does).
 * Returns 0, or PC_ELIMIT when the instant lies outside int64 nanoseconds
 * (before 1677 or after 2262); *ns is then INT64_MIN or INT64_MAX. */
int pc_ng_ts_to_ns(uint64_t units, uint8_t tsresol, int64_t tsoffset, pc_time_ns *ns);
/* The inverse for writing: units such that pc_ng_ts_to_ns() gives back ns
 * when the resolution can hold it (power of 10: truncated to the
 * resolution; power of 2: the smallest units not earlier than ns, so that
 * units -> ns -> units is exact).  PC_EINVAL when ns - tsoffset is before
 * the epoch or does not fit in 64 bits of units. */
int pc_ng_ns_to_ts(pc_time_ns ns, uint8_t tsresol, int64_t tsoffset, uint64_t *units);
/* Whole microseconds only (pcap-us can hold every timestamp)? */
bool pc_ng_tsresol_is_us(uint8_t tsresol);

/* Options: an iterator over the option list of a block body. */
struct pc_ng_opts {
    const uint8_t *p, *end;
    bool big;
};
void pc_ng_opts_init(struct pc_ng_opts *it, const uint8_t *p, size_t n, bool big);
/* 1 with the next option, 0 at opt_endofopt or at the end of the bytes,
 * PC_EMALFORMED when an option runs past the end (*code and *len then say
 * which).  A truncated option header (1-3 bytes) also counts as the end, as
 * tshark reads it. */
int pc_ng_opt_next(struct pc_ng_opts *it, uint16_t *code, const uint8_t **val, uint16_t *len);

/* Block decoder: the pcapng half of pc_reader, usable on its own over
 * blocks in memory (each call gets one whole block).  It holds the
 * sections and interfaces and formats the errors. */
struct pc_ng;
/* name: for messages; gz: offsets are in the uncompressed stream (messages
 * then say "uncompressed byte offset"). */
struct pc_ng *pc_ng_new(const char *name, bool gz);
void pc_ng_free(struct pc_ng *ng);
/* Check the block header at p (avail bytes; fewer than 12 only at the end
 * of the input).  Returns the block's total length, or a negative PC_E*
 * code with *err set: truncated header, byte-order magic, length below 12
 * or not a multiple of 4, over PC_NG_MAX_BLOCK. */
int64_t pc_ng_block_len(struct pc_ng *ng, const uint8_t *p, size_t avail, uint64_t offset, struct pc_err *err);
/* Decode one whole block of n bytes (n from pc_ng_block_len()).  Returns
 * 1 for a packet (*h and *data filled, data pointing into p), 0 for any
 * other block, or a negative PC_E* code with *err set.  Nothing changes on
 * a malformed block.  With defer_cb the block callback is not called (see
 * pc_ng_deliver()); otherwise it is called for every non-packet block. */
int pc_ng_block(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool defer_cb, struct pc_pkthdr *h,
                const uint8_t **data, struct pc_err *err);
/* The type of the block at p (at least 12 bytes), in its byte order. */
uint32_t pc_ng_block_type(const struct pc_ng *ng, const uint8_t *p);
/* Hand a non-packet block decoded earlier with defer_cb to the callback. */
int pc_ng_deliver(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, struct pc_err *err);
/* The error for input that ends inside a block (PC_ETRUNC). */
int pc_ng_truncated(struct pc_ng *ng, const uint8_t *p, size_t have, size_t need, uint64_t offset, struct pc_err *err);
void pc_ng_set_block_cb(struct pc_ng *ng, pc_block_cb cb, void *ctx);
uint64_t pc_ng_count(const struct pc_ng *ng);
uint32_t pc_ng_ninterfaces(const struct pc_ng *ng);
const struct pc_iface *pc_ng_interface(const struct pc_ng *ng, uint32_t i);
uint32_t pc_ng_nsections(const struct pc_ng *ng);
const struct pc_shb *pc_ng_section(const struct pc_ng *ng, uint32_t i);
int pc_ng_comment(const struct pc_ng *ng, uint32_t i, const uint8_t **p, uint32_t *len);
int pc_ng_pkt_option(const struct pc_ng *ng, uint16_t code, uint32_t idx, const uint8_t **val, uint16_t *len);
void pc_ng_pkt_options(const struct pc_ng *ng, struct pc_ng_opts *it);
struct pc_limits;
void pc_ng_set_limits(struct pc_ng *ng, const struct pc_limits *l);
const struct pc_ng_dropped *pc_ng_meta_dropped(const struct pc_ng *ng);

/* Encoders for the writer, little- or big-endian (big: appending to a
 * big-endian section).  Each returns the bytes written to dst, or 0 when
 * dst (cap bytes) is too small or an option is longer than 65535 bytes. */
size_t pc_ng_put_shb(uint8_t *dst, size_t cap, bool big, const char *comment, const char *hardware, const char *os,
                     const char *userappl);
size_t pc_ng_put_idb(uint8_t *dst, size_t cap, bool big, const struct pc_iface_spec *s);
/* Bytes the EPB for p takes with caplen bytes of data (header, padded
 * data, comments, flags, trailer); 0 when a comment is over 65535 bytes or
 * the block would pass PC_NG_MAX_BLOCK. */
size_t pc_ng_epb_size(const struct pc_wpacket *p, uint32_t caplen);
/* Encode that EPB at dst (caplen bytes of p->data copied in, len as the
 * wire length, units as the timestamp). */
void pc_ng_put_epb(uint8_t *dst, bool big, uint32_t ifid, uint64_t units, const struct pc_wpacket *p, uint32_t caplen,
                   uint32_t len);

#endif
