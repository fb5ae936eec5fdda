/* DHCP over IPv4 (RFC 2131, options RFC 2132, client identifier RFC
 * 2132 9.14, option overload RFC 2131 4.1): the BOOTP message (RFC 951)
 * with the magic cookie and options.
 *
 * Two parts, both over caller memory (no allocation):
 *  - pc_dhcp_encode writes a whole message from a spec: the fixed BOOTP
 *    header, the magic cookie, the common options in a fixed order (53,
 *    54, 50, 61, 51, 58, 59, 1, 3, 6, 15, 12, 57, 55, 56, then the raw
 *    extras), END, and zero padding up to the 300-byte BOOTP minimum that
 *    clients and servers keep to (RFC 1542 2.1);
 *  - pc_dhcp_iter walks the options of any message, bounds-checked:
 *    the options field, then (option 52, overload) the file and sname
 *    fields as RFC 2131 4.1 orders them; pc_dhcp_parse reads the fixed
 *    header and the common options into a struct pc_dhcp_info whose
 *    pointers point into the message.
 *
 * Only the options field may carry option 52; an option never crosses the
 * end of its field.  Every error comes with a reason text naming the byte
 * offset or the option. */
#ifndef PKTCRAFT_DHCP_H
#define PKTCRAFT_DHCP_H

#include <stdbool.h>
#include "../core/common.h"

#define PC_DHCP_SERVER_PORT 67
#define PC_DHCP_CLIENT_PORT 68
#define PC_DHCP_FIXED 236        /* op .. file: the BOOTP header before the options */
#define PC_DHCP_OPTIONS 240      /* the cookie's 4 bytes after it: first option */
#define PC_DHCP_MIN_LEN 300      /* the BOOTP minimum message (RFC 1542 2.1) */
#define PC_DHCP_COOKIE UINT32_C(0x63825363)  /* 99.130.83.99 */
#define PC_DHCP_MAX_ADDRS 63     /* addresses in one option (4 bytes each, 255 at most) */

/* Fixed header offsets. */
#define PC_DHCP_OFF_OP 0
#define PC_DHCP_OFF_HTYPE 1
#define PC_DHCP_OFF_HLEN 2
#define PC_DHCP_OFF_HOPS 3
#define PC_DHCP_OFF_XID 4
#define PC_DHCP_OFF_SECS 8
#define PC_DHCP_OFF_FLAGS 10
#define PC_DHCP_OFF_CIADDR 12
#define PC_DHCP_OFF_YIADDR 16
#define PC_DHCP_OFF_SIADDR 20
#define PC_DHCP_OFF_GIADDR 24
#define PC_DHCP_OFF_CHADDR 28    /* 16 bytes */
#define PC_DHCP_OFF_SNAME 44     /* 64 bytes */
#define PC_DHCP_OFF_FILE 108     /* 128 bytes */
#define PC_DHCP_OFF_COOKIE 236
#define PC_DHCP_SNAME_LEN 64
#define PC_DHCP_FILE_LEN 128

#define PC_BOOTP_REQUEST 1
#define PC_BOOTP_REPLY 2
#define PC_DHCP_FLAG_BROADCAST 0x8000
#define PC_DHCP_HTYPE_ETHER 1

enum pc_dhcp_msgtype {
    PC_DHCP_DISCOVER = 1, PC_DHCP_OFFER, PC_DHCP_REQUEST, PC_DHCP_DECLINE, PC_DHCP_ACK, PC_DHCP_NAK,
    PC_DHCP_RELEASE, PC_DHCP_INFORM,
};

enum pc_dhcp_optcode {
    PC_DHCPO_PAD = 0, PC_DHCPO_MASK = 1, PC_DHCPO_ROUTER = 3, PC_DHCPO_DNS = 6, PC_DHCPO_HOSTNAME = 12,
    PC_DHCPO_DOMAIN = 15, PC_DHCPO_REQIP = 50, PC_DHCPO_LEASE = 51, PC_DHCPO_OVERLOAD = 52, PC_DHCPO_MSGTYPE = 53,
    PC_DHCPO_SERVERID = 54, PC_DHCPO_PRL = 55, PC_DHCPO_MESSAGE = 56, PC_DHCPO_MAXSIZE = 57, PC_DHCPO_T1 = 58,
    PC_DHCPO_T2 = 59, PC_DHCPO_CLIENTID = 61, PC_DHCPO_END = 255,
};

/* One option as written or walked: code, length, value. */
struct pc_dhcp_opt {
    uint8_t code;
    uint8_t len;
    const uint8_t *data;
    uint8_t field;           /* walked: 0 options, 1 file, 2 sname (overload) */
    uint32_t off;            /* walked: offset of the code byte in the message */
};

/* ------------------------------------------------------------- encoder */

/* A message.  Options are written when present: a non-zero msgtype, a
 * has_ flag, a count, a non-NULL pointer or a non-zero max_size. */
struct pc_dhcp {
    pc_field op;             /* AUTO: 1 for client types (DISCOVER, REQUEST,
                              * DECLINE, RELEASE, INFORM), 2 for the others */
    pc_field htype, hlen;    /* AUTO: 1 (Ethernet), 6 */
    uint8_t hops;
    uint32_t xid;
    uint16_t secs, flags;    /* flags: PC_DHCP_FLAG_BROADCAST */
    uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
    uint8_t chaddr[16];      /* the client MAC in the first 6 bytes */
    const char *sname, *file;  /* NUL-padded; NULL: all zero; at most 63 / 127 bytes */
    bool no_cookie;          /* plain BOOTP: no cookie, no options, no END */
    uint8_t msgtype;         /* option 53 (enum pc_dhcp_msgtype); 0: left out */
    bool has_server_id, has_reqip, has_lease, has_t1, has_t2, has_mask;
    uint8_t server_id[4];    /* 54 */
    uint8_t reqip[4];        /* 50 */
    uint32_t lease, t1, t2;  /* 51, 58, 59: seconds */
    uint8_t mask[4];         /* 1 */
    const uint8_t *client_id;  /* 61: type byte then the identifier (1 + MAC) */
    uint8_t client_id_len;
    uint8_t routers[PC_DHCP_MAX_ADDRS][4], nrouters;  /* 3 */
    uint8_t dns[PC_DHCP_MAX_ADDRS][4], ndns;          /* 6 */
    const char *domain;      /* 15: 1..255 bytes */
    const char *hostname;    /* 12: 1..255 bytes */
    uint16_t max_size;       /* 57; 0: left out (it must be >= 576 to mean anything) */
    const uint8_t *prl;      /* 55: parameter request list */
    uint8_t nprl;
    const char *message;     /* 56: error text (a NAK's reason) */
    const struct pc_dhcp_opt *extra;  /* written verbatim (code, len, data) before END */
    size_t nextra;
    bool no_end;             /* leave END out (a malformed fixture) */
    bool no_pad;             /* do not pad to PC_DHCP_MIN_LEN */
};

/* Write the message into out[0..cap).  Returns its length, PC_ENOSPC when
 * it does not fit, PC_EINVAL for a value that cannot be encoded (a string
 * longer than its field or 255, an empty one, an extra option with the
 * code PAD or END or a NULL value of non-zero length). */
int pc_dhcp_encode(const struct pc_dhcp *s, uint8_t *out, size_t cap);

/* The client identifier of an Ethernet client: type 1 and the MAC. */
void pc_dhcp_client_id_mac(const uint8_t mac[6], uint8_t out[7]);

/* "DISCOVER", "OFFER", ... ; "unknown" for others. */
const char *pc_dhcp_msgtype_name(uint8_t t);
/* Client message types (those sent with op 1). */
bool pc_dhcp_msgtype_is_client(uint8_t t);

/* -------------------------------------------------------------- parser */

/* Option walk.  Init checks the fixed header and the cookie; next returns
 * 1 with an option (PAD skipped), 0 after the END of the last field, or a
 * negative code (PC_ETRUNC: the message ends inside an option or before
 * END; PC_EMALFORMED: an option runs past its field, a bad overload
 * value) with why set.  The option data always lies inside the message. */
struct pc_dhcp_iter {
    const uint8_t *msg;
    size_t len;
    uint32_t off, end;       /* the field being walked: [off, end) */
    uint8_t field;           /* 0 options, 1 file, 2 sname, 3 done */
    uint8_t overload;        /* option 52's value, seen in the options field */
    bool overload_seen;
    uint32_t end_off;        /* just after the options field's END; 0 before */
    int err;                 /* the first error, returned again by later calls */
    const char *why;         /* static text */
};
int pc_dhcp_iter_init(struct pc_dhcp_iter *it, const uint8_t *msg, size_t len);
int pc_dhcp_iter_next(struct pc_dhcp_iter *it, struct pc_dhcp_opt *o);

/* Bytes of an option value inside the message. */
struct pc_dhcp_bytes {
    const uint8_t *p;
    uint8_t len;
};

/* A message read back.  Typed options have their RFC 2132 sizes: 53 one
 * byte, 50 51 54 58 59 1 four, 57 two, 3 and 6 a non-zero multiple of
 * four, 12 15 55 56 61 at least one; a wrong size or a typed option given
 * twice is PC_EMALFORMED (RFC 3396 concatenation is not done). */
struct pc_dhcp_info {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
    const uint8_t *chaddr;   /* 16 bytes */
    const uint8_t *sname;    /* 64 bytes (options when overloaded) */
    const uint8_t *file;     /* 128 bytes */
    bool cookie;             /* false: plain BOOTP (nothing below is set) */
    uint8_t overload;
    uint8_t msgtype;
    bool has_server_id, has_reqip, has_lease, has_t1, has_t2, has_mask;
    uint8_t server_id[4], reqip[4], mask[4];
    uint32_t lease, t1, t2;
    uint16_t max_size;
    struct pc_dhcp_bytes client_id, hostname, domain, prl, message;
    struct pc_dhcp_bytes routers, dns;  /* 4 bytes per address */
    uint32_t nopts;          /* options walked (PAD and END not counted) */
    uint32_t end_off;        /* offset just after the options field's END */
};

/* Read msg[0..len).  0 or a negative code with *why set (may be NULL). */
int pc_dhcp_parse(const uint8_t *msg, size_t len, struct pc_dhcp_info *m, const char **why);

#endif
