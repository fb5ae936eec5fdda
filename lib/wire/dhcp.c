/* DHCP (RFC 2131/2132): encode a message from a spec, walk and read its
 * options back, bounds-checked. */
#include <string.h>

#include "pktcraft/wire/dhcp.h"

/* ------------------------------------------------------------- encoder */

/* Output cursor: writes stop at cap and remember that they did. */
struct dhcp_w {
    uint8_t *p;
    size_t cap, n;
    bool full;
};

static void w_put(struct dhcp_w *w, const void *src, size_t len)
{
    if (w->full || len > w->cap - w->n) { w->full = true; return; }
    if (len) memcpy(w->p + w->n, src, len);
    w->n += len;
}

static void w_zero(struct dhcp_w *w, size_t len)
{
    if (w->full || len > w->cap - w->n) { w->full = true; return; }
    memset(w->p + w->n, 0, len);
    w->n += len;
}

static void w_byte(struct dhcp_w *w, uint8_t b) { w_put(w, &b, 1); }

/* One option: code, length, value (len <= 255, checked by the caller). */
static void w_opt(struct dhcp_w *w, uint8_t code, const void *data, size_t len)
{
    w_byte(w, code);
    w_byte(w, (uint8_t)len);
    w_put(w, data, len);
}

static void w_opt32(struct dhcp_w *w, uint8_t code, uint32_t v)
{
    uint8_t b[4];
    pc_put32(b, v);
    w_opt(w, code, b, 4);
}

/* A NUL-padded fixed field: the text, then zeros up to size. */
static void w_text_field(struct dhcp_w *w, const char *s, size_t size)
{
    size_t n = s ? strlen(s) : 0;
    w_put(w, s, n);
    w_zero(w, size - n);
}

/* A string option value must fit one option and say something. */
static bool str_ok(const char *s) { return !s || (s[0] && strlen(s) <= 255); }

static bool spec_ok(const struct pc_dhcp *s)
{
    if (s->sname && strlen(s->sname) >= PC_DHCP_SNAME_LEN) return false;
    if (s->file && strlen(s->file) >= PC_DHCP_FILE_LEN) return false;
    if (!str_ok(s->domain) || !str_ok(s->hostname) || !str_ok(s->message)) return false;
    if (s->client_id && !s->client_id_len) return false;
    if (s->prl && !s->nprl) return false;
    if (s->nrouters > PC_DHCP_MAX_ADDRS || s->ndns > PC_DHCP_MAX_ADDRS) return false;
    if (s->nextra && !s->extra) return false;
    for (size_t i = 0; i < s->nextra; i++) {
        const struct pc_dhcp_opt *o = &s->extra[i];
        if (o->code == PC_DHCPO_PAD || o->code == PC_DHCPO_END || (o->len && !o->data)) return false;
    }
    return true;
}

bool pc_dhcp_msgtype_is_client(uint8_t t)
{
    return t == PC_DHCP_DISCOVER || t == PC_DHCP_REQUEST || t == PC_DHCP_DECLINE || t == PC_DHCP_RELEASE ||
           t == PC_DHCP_INFORM;
}

static void w_header(struct dhcp_w *w, const struct pc_dhcp *s)
{
    uint8_t h[PC_DHCP_OFF_SNAME];
    uint32_t op = s->msgtype && !pc_dhcp_msgtype_is_client(s->msgtype) ? PC_BOOTP_REPLY : PC_BOOTP_REQUEST;
    h[PC_DHCP_OFF_OP] = (uint8_t)pc_field_value(s->op, op, 0xFF);
    h[PC_DHCP_OFF_HTYPE] = (uint8_t)pc_field_value(s->htype, PC_DHCP_HTYPE_ETHER, 0xFF);
    h[PC_DHCP_OFF_HLEN] = (uint8_t)pc_field_value(s->hlen, 6, 0xFF);
    h[PC_DHCP_OFF_HOPS] = s->hops;
    pc_put32(h + PC_DHCP_OFF_XID, s->xid);
    pc_put16(h + PC_DHCP_OFF_SECS, s->secs);
    pc_put16(h + PC_DHCP_OFF_FLAGS, s->flags);
    memcpy(h + PC_DHCP_OFF_CIADDR, s->ciaddr, 4);
    memcpy(h + PC_DHCP_OFF_YIADDR, s->yiaddr, 4);
    memcpy(h + PC_DHCP_OFF_SIADDR, s->siaddr, 4);
    memcpy(h + PC_DHCP_OFF_GIADDR, s->giaddr, 4);
    memcpy(h + PC_DHCP_OFF_CHADDR, s->chaddr, 16);
    w_put(w, h, sizeof h);
    w_text_field(w, s->sname, PC_DHCP_SNAME_LEN);
    w_text_field(w, s->file, PC_DHCP_FILE_LEN);
}

/* The options the server speaks of the lease (and the client asks for). */
static void w_lease_opts(struct dhcp_w *w, const struct pc_dhcp *s)
{
    if (s->has_lease) w_opt32(w, PC_DHCPO_LEASE, s->lease);
    if (s->has_t1) w_opt32(w, PC_DHCPO_T1, s->t1);
    if (s->has_t2) w_opt32(w, PC_DHCPO_T2, s->t2);
    if (s->has_mask) w_opt(w, PC_DHCPO_MASK, s->mask, 4);
    if (s->nrouters) w_opt(w, PC_DHCPO_ROUTER, s->routers, 4u * s->nrouters);
    if (s->ndns) w_opt(w, PC_DHCPO_DNS, s->dns, 4u * s->ndns);
    if (s->domain) w_opt(w, PC_DHCPO_DOMAIN, s->domain, strlen(s->domain));
}

static void w_options(struct dhcp_w *w, const struct pc_dhcp *s)
{
    uint8_t cookie[4];
    pc_put32(cookie, PC_DHCP_COOKIE);
    w_put(w, cookie, 4);
    if (s->msgtype) w_opt(w, PC_DHCPO_MSGTYPE, &s->msgtype, 1);
    if (s->has_server_id) w_opt(w, PC_DHCPO_SERVERID, s->server_id, 4);
    if (s->has_reqip) w_opt(w, PC_DHCPO_REQIP, s->reqip, 4);
    if (s->client_id) w_opt(w, PC_DHCPO_CLIENTID, s->client_id, s->client_id_len);
    w_lease_opts(w, s);
    if (s->hostname) w_opt(w, PC_DHCPO_HOSTNAME, s->hostname, strlen(s->hostname));
    if (s->max_size) {
        uint8_t b[2];
        pc_put16(b, s->max_size);
        w_opt(w, PC_DHCPO_MAXSIZE, b, 2);
    }
    if (s->prl) w_opt(w, PC_DHCPO_PRL, s->prl, s->nprl);
    if (s->message) w_opt(w, PC_DHCPO_MESSAGE, s->message, strlen(s->message));
    for (size_t i = 0; i < s->nextra; i++) w_opt(w, s->extra[i].code, s->extra[i].data, s->extra[i].len);
    if (!s->no_end) w_byte(w, PC_DHCPO_END);
}

int pc_dhcp_encode(const struct pc_dhcp *s, uint8_t *out, size_t cap)
{
    if (!s || (!out && cap)) return PC_EINVAL;
    if (!spec_ok(s)) return PC_EINVAL;
    struct dhcp_w w = { .p = out, .cap = cap };
    w_header(&w, s);
    if (!s->no_cookie) w_options(&w, s);
    if (!s->no_pad && w.n < PC_DHCP_MIN_LEN) w_zero(&w, PC_DHCP_MIN_LEN - w.n);
    if (w.full) return PC_ENOSPC;
    return w.n > INT32_MAX ? PC_ELIMIT : (int)w.n;
}

void pc_dhcp_client_id_mac(const uint8_t mac[6], uint8_t out[7])
{
    out[0] = PC_DHCP_HTYPE_ETHER;
    memcpy(out + 1, mac, 6);
}

const char *pc_dhcp_msgtype_name(uint8_t t)
{
    static const char *const names[] = { NULL, "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE",
                                         "INFORM" };
    return t && t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

/* -------------------------------------------------------------- parser */

static int iter_fail(struct pc_dhcp_iter *it, int code, const char *why)
{
    it->err = code;
    it->why = why;
    it->field = 3;
    return code;
}

int pc_dhcp_iter_init(struct pc_dhcp_iter *it, const uint8_t *msg, size_t len)
{
    memset(it, 0, sizeof *it);
    it->msg = msg;
    it->len = len;
    it->field = 3;
    if (!msg || len < PC_DHCP_FIXED) return iter_fail(it, PC_ETRUNC, "dhcp: message shorter than the 236-byte BOOTP header");
    if (len < PC_DHCP_OPTIONS || pc_get32(msg + PC_DHCP_OFF_COOKIE) != PC_DHCP_COOKIE)
        return iter_fail(it, PC_EUNSUPP, "dhcp: no magic cookie: a plain BOOTP message");
    if (len > UINT32_MAX) return iter_fail(it, PC_ELIMIT, "dhcp: message larger than 4 GiB");
    it->field = 0;
    it->off = PC_DHCP_OPTIONS;
    it->end = (uint32_t)len;
    return 0;
}

/* On to the next field the overload option names, in RFC 2131's order:
 * the options field, then file, then sname. */
static void iter_next_field(struct pc_dhcp_iter *it)
{
    if (it->field == 0 && (it->overload & 1)) {
        it->field = 1;
        it->off = PC_DHCP_OFF_FILE;
        it->end = PC_DHCP_OFF_FILE + PC_DHCP_FILE_LEN;
    } else if (it->field < 2 && (it->overload & 2)) {
        it->field = 2;
        it->off = PC_DHCP_OFF_SNAME;
        it->end = PC_DHCP_OFF_SNAME + PC_DHCP_SNAME_LEN;
    } else {
        it->field = 3;
    }
}

/* An option whose value does not fit: in the options field the message
 * ended (truncation); in file or sname the option lies about its field. */
static int iter_short(struct pc_dhcp_iter *it)
{
    if (it->field == 0) return iter_fail(it, PC_ETRUNC, "dhcp: the message ends inside an option");
    return iter_fail(it, PC_EMALFORMED, "dhcp: an option runs past the end of the overloaded file or sname field");
}

static int iter_overload(struct pc_dhcp_iter *it, const struct pc_dhcp_opt *o)
{
    if (it->overload_seen) return iter_fail(it, PC_EMALFORMED, "dhcp: option 52 (overload) repeated");
    if (o->len != 1) return iter_fail(it, PC_EMALFORMED, "dhcp: option 52 (overload) length is not 1");
    if (o->data[0] < 1 || o->data[0] > 3)
        return iter_fail(it, PC_EMALFORMED, "dhcp: option 52 (overload) value is not 1, 2 or 3");
    it->overload_seen = true;
    it->overload = o->data[0];
    return 1;
}

int pc_dhcp_iter_next(struct pc_dhcp_iter *it, struct pc_dhcp_opt *o)
{
    if (it->err) return it->err;
    while (it->field < 3) {
        if (it->off >= it->end) {
            /* file and sname may simply be full; the options field needs END */
            if (it->field == 0) return iter_fail(it, PC_ETRUNC, "dhcp: the options end without an END option");
            iter_next_field(it);
            continue;
        }
        uint8_t code = it->msg[it->off];
        if (code == PC_DHCPO_PAD) { it->off++; continue; }
        if (code == PC_DHCPO_END) {
            if (it->field == 0) it->end_off = it->off + 1;
            iter_next_field(it);
            continue;
        }
        if (it->end - it->off < 2) return iter_short(it);
        uint8_t len = it->msg[it->off + 1];
        if (it->end - it->off - 2 < len) return iter_short(it);
        *o = (struct pc_dhcp_opt){ .code = code, .len = len, .data = it->msg + it->off + 2, .field = it->field,
                                   .off = it->off };
        it->off += 2u + len;
        if (code == PC_DHCPO_OVERLOAD && it->field == 0) return iter_overload(it, o);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------- typed options */

static int bad(const char **why, const char *text)
{
    if (why) *why = text;
    return PC_EMALFORMED;
}

/* Options of a fixed size, and where their value goes. */
static int read_fixed(struct pc_dhcp_info *m, const struct pc_dhcp_opt *o, const char **why)
{
    switch (o->code) {
    case PC_DHCPO_MSGTYPE:
        if (o->len != 1) return bad(why, "dhcp: option 53 (message type) length is not 1");
        m->msgtype = o->data[0];
        return 1;
    case PC_DHCPO_MAXSIZE:
        if (o->len != 2) return bad(why, "dhcp: option 57 (maximum message size) length is not 2");
        m->max_size = pc_get16(o->data);
        return 1;
    case PC_DHCPO_SERVERID:
    case PC_DHCPO_REQIP:
    case PC_DHCPO_MASK:
        if (o->len != 4) return bad(why, "dhcp: an address option (1, 50 or 54) length is not 4");
        memcpy(o->code == PC_DHCPO_SERVERID ? m->server_id : o->code == PC_DHCPO_REQIP ? m->reqip : m->mask, o->data, 4);
        *(o->code == PC_DHCPO_SERVERID ? &m->has_server_id : o->code == PC_DHCPO_REQIP ? &m->has_reqip : &m->has_mask) = true;
        return 1;
    case PC_DHCPO_LEASE:
    case PC_DHCPO_T1:
    case PC_DHCPO_T2:
        if (o->len != 4) return bad(why, "dhcp: a time option (51, 58 or 59) length is not 4");
        *(o->code == PC_DHCPO_LEASE ? &m->lease : o->code == PC_DHCPO_T1 ? &m->t1 : &m->t2) = pc_get32(o->data);
        *(o->code == PC_DHCPO_LEASE ? &m->has_lease : o->code == PC_DHCPO_T1 ? &m->has_t1 : &m->has_t2) = true;
        return 1;
    default:
        return 0;
    }
}

/* Options of a variable size: where their bytes go (NULL: not typed). */
static struct pc_dhcp_bytes *var_slot(struct pc_dhcp_info *m, uint8_t code)
{
    switch (code) {
    case PC_DHCPO_CLIENTID: return &m->client_id;
    case PC_DHCPO_HOSTNAME: return &m->hostname;
    case PC_DHCPO_DOMAIN: return &m->domain;
    case PC_DHCPO_PRL: return &m->prl;
    case PC_DHCPO_MESSAGE: return &m->message;
    case PC_DHCPO_ROUTER: return &m->routers;
    case PC_DHCPO_DNS: return &m->dns;
    default: return NULL;
    }
}

static int read_opt(struct pc_dhcp_info *m, const struct pc_dhcp_opt *o, uint8_t seen[32], const char **why)
{
    int typed = read_fixed(m, o, why);
    if (typed < 0) return typed;
    struct pc_dhcp_bytes *b = typed ? NULL : var_slot(m, o->code);
    if (b) {
        if (!o->len) return bad(why, "dhcp: a text, list or identifier option (3, 6, 12, 15, 55, 56 or 61) is empty");
        if ((o->code == PC_DHCPO_ROUTER || o->code == PC_DHCPO_DNS) && o->len % 4)
            return bad(why, "dhcp: an address list option (3 or 6) length is not a multiple of 4");
        b->p = o->data;
        b->len = o->len;
        typed = 1;
    }
    if (typed) {
        if (seen[o->code / 8] >> (o->code % 8) & 1)
            return bad(why, "dhcp: a typed option is repeated (RFC 3396 concatenation is not done)");
        seen[o->code / 8] |= (uint8_t)(1u << (o->code % 8));
    }
    return 0;
}

static void read_header(struct pc_dhcp_info *m, const uint8_t *h)
{
    m->op = h[PC_DHCP_OFF_OP];
    m->htype = h[PC_DHCP_OFF_HTYPE];
    m->hlen = h[PC_DHCP_OFF_HLEN];
    m->hops = h[PC_DHCP_OFF_HOPS];
    m->xid = pc_get32(h + PC_DHCP_OFF_XID);
    m->secs = pc_get16(h + PC_DHCP_OFF_SECS);
    m->flags = pc_get16(h + PC_DHCP_OFF_FLAGS);
    memcpy(m->ciaddr, h + PC_DHCP_OFF_CIADDR, 4);
    memcpy(m->yiaddr, h + PC_DHCP_OFF_YIADDR, 4);
    memcpy(m->siaddr, h + PC_DHCP_OFF_SIADDR, 4);
    memcpy(m->giaddr, h + PC_DHCP_OFF_GIADDR, 4);
    m->chaddr = h + PC_DHCP_OFF_CHADDR;
    m->sname = h + PC_DHCP_OFF_SNAME;
    m->file = h + PC_DHCP_OFF_FILE;
}

int pc_dhcp_parse(const uint8_t *msg, size_t len, struct pc_dhcp_info *m, const char **why)
{
    memset(m, 0, sizeof *m);
    if (why) *why = NULL;
    struct pc_dhcp_iter it;
    int rc = pc_dhcp_iter_init(&it, msg, len);
    if (rc == PC_ETRUNC || rc == PC_ELIMIT) {
        if (why) *why = it.why;
        return rc;
    }
    read_header(m, msg);
    if (rc == PC_EUNSUPP) return 0; /* plain BOOTP: the header is all there is */
    m->cookie = true;
    uint8_t seen[32] = { 0 };
    struct pc_dhcp_opt o;
    while ((rc = pc_dhcp_iter_next(&it, &o)) == 1) {
        m->nopts++;
        int r = read_opt(m, &o, seen, why);
        if (r < 0) return r;
    }
    m->overload = it.overload;
    m->end_off = it.end_off;
    if (rc < 0 && why) *why = it.why;
    return rc;
}
