/* DNS messages (RFC 1035, EDNS(0) RFC 6891, client subnet RFC 7871,
 * SRV RFC 2782, CAA RFC 8659, DNS over TCP RFC 7766).
 *
 * Three parts:
 *  - a builder that serialises a whole message from a spec at push time
 *    (names are written with compression unless switched off, and a few
 *    deliberate malformations are available for test fixtures);
 *  - a zero-copy parser (no allocation): pc_dns_name for one possibly
 *    compressed name, an iterator over questions and records, and a
 *    formatter for RDATA values;
 *  - the decoder layer (UDP port 53/5353, TCP port 53) and its describer,
 *    declared in lib/internal.h.  One PC_P_DNS layer per message: over UDP
 *    off is the message, hlen 12, plen the rest of the datagram; over TCP
 *    off is the two-byte length prefix, hlen 14, plen the prefix's length
 *    minus 12, one layer per message in the segment.  The whole message is
 *    walked: a lie (a count larger than the records, a bad pointer, RDATA
 *    that does not fit its type) is MALFORMED with a reason; bytes missing
 *    because the capture or the TCP segment ended are TRUNC ("dns: message
 *    continues in the next tcp segment").  Bytes after the last record are
 *    allowed (some stacks pad) and noted in the layer's why, unflagged, as
 *    tshark notes "Extraneous data".
 *
 * Name text, both ways: labels joined with '.', no trailing dot (as tshark
 * prints dns.qry.name); the root name is ".".  Inside a label a '.' or any
 * of  " ( ) ; \ @ $  is written with a backslash before it and bytes below
 * 0x21 or above 0x7E as \DDD (three decimal digits), as dig does.  The
 * builder reads the same syntax and also accepts a trailing dot. */
#ifndef PKTCRAFT_DNS_H
#define PKTCRAFT_DNS_H

#include <stdbool.h>
#include "../core/common.h"

#define PC_DNS_HLEN 12
#define PC_DNS_PORT 53
#define PC_MDNS_PORT 5353
#define PC_DNS_MAXNAME 255      /* wire bytes of a name, root byte included */
#define PC_DNS_MAXLABEL 63
#define PC_DNS_MAXLABELS 127    /* what 255 bytes hold with one-byte labels */
/* Text of the longest name: one label of 253 bytes all written \DDD, plus
 * the NUL.  A buffer this size never makes pc_dns_name fail for space. */
#define PC_DNS_NAME_TEXTMAX 1024

/* Header field offsets. */
#define PC_DNS_OFF_ID 0
#define PC_DNS_OFF_FLAGS 2
#define PC_DNS_OFF_QDCOUNT 4
#define PC_DNS_OFF_ANCOUNT 6
#define PC_DNS_OFF_NSCOUNT 8
#define PC_DNS_OFF_ARCOUNT 10

/* Flag bits of the 16-bit flags word. */
#define PC_DNS_F_QR 0x8000
#define PC_DNS_F_AA 0x0400
#define PC_DNS_F_TC 0x0200
#define PC_DNS_F_RD 0x0100
#define PC_DNS_F_RA 0x0080
#define PC_DNS_F_Z 0x0040
#define PC_DNS_F_AD 0x0020
#define PC_DNS_F_CD 0x0010

enum pc_dns_type {
    PC_DNS_T_A = 1, PC_DNS_T_NS = 2, PC_DNS_T_CNAME = 5, PC_DNS_T_SOA = 6, PC_DNS_T_PTR = 12,
    PC_DNS_T_HINFO = 13, PC_DNS_T_MX = 15, PC_DNS_T_TXT = 16, PC_DNS_T_AAAA = 28, PC_DNS_T_SRV = 33,
    PC_DNS_T_NAPTR = 35, PC_DNS_T_OPT = 41, PC_DNS_T_DS = 43, PC_DNS_T_RRSIG = 46, PC_DNS_T_NSEC = 47,
    PC_DNS_T_DNSKEY = 48, PC_DNS_T_SVCB = 64, PC_DNS_T_HTTPS = 65, PC_DNS_T_ANY = 255, PC_DNS_T_CAA = 257,
};
#define PC_DNS_C_IN 1

enum pc_dns_opcode { PC_DNS_OP_QUERY = 0, PC_DNS_OP_IQUERY = 1, PC_DNS_OP_STATUS = 2, PC_DNS_OP_NOTIFY = 4,
                     PC_DNS_OP_UPDATE = 5 };
enum pc_dns_rcode { PC_DNS_RC_NOERROR = 0, PC_DNS_RC_FORMERR = 1, PC_DNS_RC_SERVFAIL = 2, PC_DNS_RC_NXDOMAIN = 3,
                    PC_DNS_RC_NOTIMP = 4, PC_DNS_RC_REFUSED = 5 };

/* EDNS option codes with a typed form (others are raw). */
#define PC_EDNS_OPT_ECS 8  /* client subnet, RFC 7871 */

/* Message sections, in wire order. */
enum pc_dns_section { PC_DNS_SEC_QD = 0, PC_DNS_SEC_AN, PC_DNS_SEC_NS, PC_DNS_SEC_AR };

/* ------------------------------------------------------------- builder */

struct pc_dns_question {
    const char *name;   /* text as above; NULL or "" is the root */
    uint16_t type;
    uint16_t qclass;    /* 0 is written as 0: set PC_DNS_C_IN */
};

/* One resource record.  RDATA comes from raw.data when it is non-NULL
 * (any type, written verbatim: unknown types and fixtures), else from the
 * typed member that matches type; a type with no typed form and no raw
 * data gets empty RDATA. */
struct pc_dns_record {
    const char *name;
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    pc_field rdlength;               /* AUTO: the RDATA bytes written */
    uint8_t a[4];                    /* A */
    uint8_t aaaa[16];                /* AAAA */
    const char *target;              /* CNAME, NS, PTR */
    struct { uint16_t pref; const char *exchange; } mx;
    struct { uint16_t prio, weight, port; const char *target; } srv;  /* target never compressed (RFC 2782) */
    struct {
        const char *mname, *rname;
        uint32_t serial, refresh, retry, expire, minimum;
    } soa;
    struct {
        const char *const *s;        /* character-strings, each <= 255 bytes */
        const uint8_t *len;          /* lengths, or NULL to use strlen */
        size_t n;
    } txt;
    struct {
        uint8_t flags;
        const char *tag;             /* 1..255 bytes */
        const char *value;
        size_t value_len;            /* 0: strlen(value) */
    } caa;
    struct { const uint8_t *data; size_t len; } raw;
};

/* One EDNS option: client subnet when code is PC_EDNS_OPT_ECS and data is
 * NULL, else code + data verbatim. */
struct pc_dns_ednsopt {
    uint16_t code;
    struct {
        uint16_t family;             /* 1 IPv4, 2 IPv6 */
        uint8_t source, scope;       /* prefix lengths */
        uint8_t addr[16];            /* written truncated to source bits, the rest zeroed */
    } ecs;
    const uint8_t *data;
    uint16_t len;
};

/* The OPT pseudo-record (RFC 6891), written last in the additional
 * section: owner root, CLASS = udp_size, TTL = ext_rcode, version, DO, z. */
struct pc_dns_edns {
    uint16_t udp_size;
    uint8_t ext_rcode;               /* upper 8 bits of the 12-bit RCODE */
    uint8_t version;
    uint8_t do_bit;
    uint16_t z;                      /* the 15 other flag bits, normally 0 */
    const struct pc_dns_ednsopt *opts;
    size_t nopts;
};

/* Deliberately malformed messages (test fixtures).  They act on the first
 * name written in the message (the first question's, else the first
 * record's owner). */
enum pc_dns_malform {
    PC_DNS_MAL_NONE = 0,
    PC_DNS_MAL_LOOP,       /* its first label, then a pointer back to that label */
    PC_DNS_MAL_FWDPTR,     /* a pointer to the next name in the message (needs one) */
    PC_DNS_MAL_LONGLABEL,  /* labels of 64..191 bytes in any name are written, not refused
                              (length byte 0x40..0xBF); compression is off */
};

struct pc_dns {
    uint16_t id;
    uint8_t qr, opcode, aa, tc, rd, ra, z, ad, cd, rcode;  /* bits masked to their width */
    pc_field flags;          /* AUTO: composed from the fields above; PIN: 16 bits verbatim */
    pc_field qdcount;        /* AUTO: nqd */
    pc_field ancount;        /* AUTO: nan */
    pc_field nscount;        /* AUTO: nns */
    pc_field arcount;        /* AUTO: nar, plus 1 with edns */
    const struct pc_dns_question *qd;
    size_t nqd;
    const struct pc_dns_record *an, *ns, *ar;
    size_t nan, nns, nar;
    const struct pc_dns_edns *edns;  /* NULL: no OPT record */
    uint8_t no_compress;     /* nonzero: every name written in full */
    uint8_t malform;         /* enum pc_dns_malform */
    uint8_t tcp;             /* nonzero: two-byte length prefix (RFC 7766) */
    pc_field tcp_len;        /* AUTO: the message length */
};

/* Serialise s into out (the prefix included when s->tcp), all computed
 * fields resolved.  Returns the byte count, or PC_EINVAL (bad name text, a
 * label over 63, a name over 255 bytes, an impossible option), PC_ENOSPC,
 * or PC_ELIMIT (message over 65535 bytes, a count over 65535).  Several
 * encodings back to back make one TCP segment's payload. */
int pc_dns_encode(const struct pc_dns *s, uint8_t *out, size_t cap);

/* Push a DNS message as one layer (after UDP, or TCP with s->tcp). */
struct pc_pkt;
int pc_push_dns(struct pc_pkt *pk, const struct pc_dns *s);

/* -------------------------------------------------------------- parser */

/* Read the name at off of the message msg[0..len) into out as text (see
 * above), NUL-terminated; out may be NULL (outcap 0) to only check it.
 * *next (may be NULL) is the offset after the name's bytes at off (after
 * the first pointer if there is one).  Returns the text length or:
 *   PC_ETRUNC      the name runs past len ("dns: name runs past the message")
 *   PC_EMALFORMED  "dns: compression pointer points forward" (target after
 *                  the pointer), "dns: compression pointer loop" (target
 *                  inside the labels already read since the name's start or
 *                  the last jump), "dns: label type 0x40 or 0x80",
 *                  "dns: name has more than 127 labels",
 *                  "dns: name longer than 255 bytes",
 *                  "dns: name follows more than 127 compression pointers
 *                  and labels"
 *   PC_ENOSPC      the name is valid but its text does not fit outcap
 * with the reason in *why (may be NULL).
 * A pointer must point strictly before the start of the label run that
 * contains it (the name's first byte, or the previous pointer's target).
 * That is stricter than "before the pointer itself", accepts every name a
 * real compressor writes (they point at earlier names, chains included)
 * and makes a loop impossible.  A chain of backward pointers can still be
 * thousands of hops long (each pointing just before the last), so hops
 * count with labels toward the 127 a name can hold: a name costs at most
 * 127 steps, and decoding a message stays linear in its size. */
int pc_dns_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t outcap, size_t *next,
                const char **why);

/* One question or record as the iterator returns it. */
struct pc_dns_rr {
    uint8_t section;           /* enum pc_dns_section */
    uint16_t index;            /* within its section */
    size_t off;                /* first byte of the entry (its owner name) */
    char name[PC_DNS_NAME_TEXTMAX];
    uint16_t type;
    uint16_t rclass;           /* CLASS; the UDP payload size for OPT */
    uint32_t ttl;              /* 0 for questions; ext-rcode/version/flags for OPT */
    size_t rdata_off;          /* 0 for questions */
    uint16_t rdlength;
};

struct pc_dns_iter {
    const uint8_t *msg;
    size_t len;
    uint16_t id, flags;
    uint16_t count[4];         /* qd, an, ns, ar as the header says */
    uint8_t section;           /* next entry's section (4 at the end) */
    uint16_t index;            /* next entry's index in it */
    size_t off;                /* next entry's offset */
    const char *why;           /* reason of the last error */
};

/* Start iterating over msg[0..len).  Returns 0, or PC_ETRUNC when len is
 * below the 12-byte header (it->why set). */
int pc_dns_iter_init(struct pc_dns_iter *it, const uint8_t *msg, size_t len);
/* Next question or record: 1 with *rr filled, 0 after the last one the
 * counts announce (it->off is then the end of the records; bytes after it
 * are trailing data), or a negative code with it->why:
 *   PC_ETRUNC      the entry needs bytes past len, e.g. "dns: answer count
 *                  exceeds records" (no byte of it left), "dns: answer record
 *                  runs past the message", "dns: rdata runs past the message"
 *   PC_EMALFORMED  from the owner name (see pc_dns_name).
 * The parser cannot tell a lying count from a message cut short: a caller
 * holding the whole message reads PC_ETRUNC as malformed (pc_decode
 * does).  After an error the iterator stays at the failing entry. */
int pc_dns_iter_next(struct pc_dns_iter *it, struct pc_dns_rr *rr);

/* Format rr's RDATA as tshark shows the value: A/AAAA addresses, CNAME/NS/
 * PTR names, MX "10 mail.example.com", TXT "\"s1\" \"s2\"" (each string
 * quoted, " and \ escaped, bytes outside 0x20..0x7E as \DDD), SRV
 * "prio weight port target", SOA "mname rname serial refresh retry expire
 * minimum", CAA "flags tag \"value\"", anything else (OPT included) as
 * lowercase hex.  out may be NULL (cap 0) to only validate.  Returns the
 * text length, PC_EMALFORMED when the RDATA does not fit its type (why via
 * the optional *why: "dns: A rdata is not 4 bytes", "dns: name runs past
 * the rdata", "dns: rdata longer than its fields", ...), or PC_ENOSPC. */
int pc_dns_rdata_text(const uint8_t *msg, size_t len, const struct pc_dns_rr *rr, char *out, size_t cap,
                      const char **why);

/* Walk the options of an OPT record's RDATA; cb gets each option.  Returns
 * 0, or PC_EMALFORMED ("dns: edns option runs past the rdata", "dns: client
 * subnet option invalid") with *why. */
typedef void (*pc_dns_opt_cb)(void *ctx, uint16_t code, const uint8_t *data, uint16_t len);
int pc_dns_opts_walk(const uint8_t *rdata, size_t len, pc_dns_opt_cb cb, void *ctx, const char **why);

/* "A", "AAAA", ..., or "TYPE65280" for a type without a mnemonic.  The
 * latter lives in a per-thread ring of 4 buffers: use it before the fifth
 * next call. */
const char *pc_dns_type_name(uint16_t type);
/* "NoError", "FormErr", "ServFail", "NXDomain", ... or "RCODE23" (same ring). */
const char *pc_dns_rcode_name(uint16_t rcode);

/* ---------------------------------------------------- header view */

static inline uint16_t pc_dns_id(const uint8_t *h) { return pc_get16(h + PC_DNS_OFF_ID); }
static inline uint16_t pc_dns_flags(const uint8_t *h) { return pc_get16(h + PC_DNS_OFF_FLAGS); }
static inline uint8_t pc_dns_qr(const uint8_t *h) { return h[2] >> 7; }
static inline uint8_t pc_dns_opcode(const uint8_t *h) { return (h[2] >> 3) & 0xF; }
static inline uint8_t pc_dns_rcode(const uint8_t *h) { return h[3] & 0xF; }
static inline uint16_t pc_dns_qdcount(const uint8_t *h) { return pc_get16(h + PC_DNS_OFF_QDCOUNT); }
static inline uint16_t pc_dns_ancount(const uint8_t *h) { return pc_get16(h + PC_DNS_OFF_ANCOUNT); }
static inline uint16_t pc_dns_nscount(const uint8_t *h) { return pc_get16(h + PC_DNS_OFF_NSCOUNT); }
static inline uint16_t pc_dns_arcount(const uint8_t *h) { return pc_get16(h + PC_DNS_OFF_ARCOUNT); }

#endif
