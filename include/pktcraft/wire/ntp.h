/* NTP packets (RFC 5905; version 3, RFC 1305, has the same 48-byte
 * header), over UDP port 123.
 *
 *  - pc_ntp_encode writes the 48-byte header from a spec;
 *  - pc_ntp_parse reads it back and walks what follows, bounds-checked:
 *    version 4 extension fields (RFC 7822: type, length >= 16 and a
 *    multiple of 4) and a MAC (a 4-byte key id and a 16- or 20-byte
 *    digest; or a 4-byte crypto-NAK);
 *  - conversions between pc_time_ns and the 64-bit NTP timestamp format
 *    (seconds since 1900 in the upper 32 bits, fraction in the lower),
 *    and the 32-bit short format (16.16) of root delay and dispersion.
 *
 * Timestamps: era 0 ends in February 2036; a timestamp whose seconds have
 * the top bit clear is read as era 1 (RFC 4330 3), which covers 1968 to
 * 2104.  pc_ntp_from_ns rounds the fraction up, so that reading it back
 * (rounding down, as RFC 5905's examples and Wireshark do) gives the very
 * same nanosecond. */
#ifndef PKTCRAFT_NTP_H
#define PKTCRAFT_NTP_H

#include <stdbool.h>
#include "../core/common.h"

#define PC_NTP_PORT 123
#define PC_NTP_HLEN 48
/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch). */
#define PC_NTP_UNIX_OFFSET INT64_C(2208988800)

enum pc_ntp_mode {
    PC_NTP_MODE_RESERVED = 0, PC_NTP_MODE_SYMACTIVE, PC_NTP_MODE_SYMPASSIVE, PC_NTP_MODE_CLIENT,
    PC_NTP_MODE_SERVER, PC_NTP_MODE_BROADCAST, PC_NTP_MODE_CONTROL, PC_NTP_MODE_PRIVATE,
};
#define PC_NTP_LEAP_NONE 0
#define PC_NTP_LEAP_UNSYNC 3

/* Header offsets. */
#define PC_NTP_OFF_FLAGS 0      /* LI (2 bits), VN (3), mode (3) */
#define PC_NTP_OFF_STRATUM 1
#define PC_NTP_OFF_POLL 2
#define PC_NTP_OFF_PRECISION 3
#define PC_NTP_OFF_ROOTDELAY 4
#define PC_NTP_OFF_ROOTDISP 8
#define PC_NTP_OFF_REFID 12
#define PC_NTP_OFF_REF 16
#define PC_NTP_OFF_ORG 24
#define PC_NTP_OFF_REC 32
#define PC_NTP_OFF_XMT 40

/* A header.  Timestamps are in NTP format (pc_ntp_from_ns); 0 means "not
 * set" on the wire. */
struct pc_ntp {
    uint8_t leap;            /* 0..3 */
    uint8_t version;         /* 1..7; 3 or 4 */
    uint8_t mode;            /* enum pc_ntp_mode */
    uint8_t stratum;         /* 0 kiss-o'-death, 1 primary, 2..15, 16 unsynchronized */
    int8_t poll;             /* log2 seconds */
    int8_t precision;        /* log2 seconds */
    uint32_t root_delay;     /* short format (pc_ntp_short_from_ns) */
    uint32_t root_disp;
    uint8_t refid[4];        /* stratum 0/1: ASCII ("GPS", "RATE"); else an IPv4 address */
    uint64_t ref, org, rec, xmt;
};

/* 48 bytes into out.  Returns 48, PC_ENOSPC, or PC_EINVAL (leap > 3,
 * version or mode > 7). */
int pc_ntp_encode(const struct pc_ntp *s, uint8_t *out, size_t cap);

/* What follows the header. */
struct pc_ntp_info {
    struct pc_ntp h;
    uint32_t next;           /* extension fields: count */
    uint32_t ext_len;        /* their bytes */
    uint32_t mac_len;        /* 0, 4 (crypto-NAK), 20 or 24 */
    uint32_t keyid;          /* the MAC's key id */
};

/* Read msg[0..len): 0, or PC_ETRUNC (shorter than 48 bytes),
 * PC_EUNSUPP (a mode 6 or 7 control message, which has another header:
 * only the first byte is read), PC_EMALFORMED (trailing bytes that are
 * neither extension fields nor a MAC) with *why set (may be NULL). */
int pc_ntp_parse(const uint8_t *msg, size_t len, struct pc_ntp_info *m, const char **why);

/* Time conversions (see above).  Times before 1968-01-20 or after 2104
 * wrap around the 2^32-second era. */
uint64_t pc_ntp_from_ns(pc_time_ns t);
pc_time_ns pc_ntp_to_ns(uint64_t ts);
/* Short format (16.16 seconds) from a non-negative duration in ns,
 * rounded up, saturating at 0xFFFFFFFF; and back (rounded down). */
uint32_t pc_ntp_short_from_ns(int64_t ns);
int64_t pc_ntp_short_to_ns(uint32_t v);

/* The reference id as text: four printable ASCII characters (trailing
 * NULs dropped) for stratum 0 and 1, else a dotted quad.  out: 16 bytes. */
void pc_ntp_refid_text(const uint8_t refid[4], uint8_t stratum, char out[16]);
/* "client", "server", ... */
const char *pc_ntp_mode_name(uint8_t mode);

#endif
