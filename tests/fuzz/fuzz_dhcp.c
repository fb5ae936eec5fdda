/* fuzz_dhcp: the DHCP parser (pktcraft/wire/dhcp.h).  The input is one
 * DHCP message, copied to memory of exactly its length so that ASan sees
 * any read past it.
 *
 * Checked: the option walk and pc_dhcp_parse agree (the same verdict, the
 * same option count, END at the same place); every option's value lies
 * inside the message and inside its field; an error always has a reason;
 * and a message that parses is encoded again from what was read (its
 * header and typed options) and parses back to the same values. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pktcraft/wire/dhcp.h"

/* The bounds of the field an option was found in. */
static void dhcp_field_bounds(uint8_t field, size_t len, size_t *lo, size_t *hi)
{
    *lo = field == 0 ? PC_DHCP_OPTIONS : field == 1 ? PC_DHCP_OFF_FILE : PC_DHCP_OFF_SNAME;
    *hi = field == 0 ? len : field == 1 ? PC_DHCP_OFF_FILE + PC_DHCP_FILE_LEN : PC_DHCP_OFF_SNAME + PC_DHCP_SNAME_LEN;
}

/* Walk every option; returns the walk's verdict and counts them. */
static int dhcp_walk(const uint8_t *msg, size_t len, uint32_t *nopts, uint32_t *end_off)
{
    struct pc_dhcp_iter it;
    struct pc_dhcp_opt o;
    int rc = pc_dhcp_iter_init(&it, msg, len);
    *nopts = 0;
    if (rc < 0) {
        FZ_CHECK(it.why && *it.why, "init %d without a reason", rc);
        FZ_CHECK(pc_dhcp_iter_next(&it, &o) == rc, "init error not sticky");
        return rc;
    }
    uint8_t last_field = 0;
    while ((rc = pc_dhcp_iter_next(&it, &o)) == 1) {
        FZ_CHECK(o.code != PC_DHCPO_PAD && o.code != PC_DHCPO_END, "PAD or END returned as an option");
        FZ_CHECK(o.field <= 2 && o.field >= last_field, "field %u after %u", o.field, last_field);
        last_field = o.field;
        size_t lo, hi;
        dhcp_field_bounds(o.field, len, &lo, &hi);
        FZ_CHECK(o.off >= lo && (size_t)o.off + 2 + o.len <= hi && hi <= len, "option %u at %u+%u outside [%zu,%zu)",
                 o.code, o.off, o.len, lo, hi);
        FZ_CHECK(o.data == msg + o.off + 2, "option data pointer");
        fz_touch(o.data, o.len);
        FZ_CHECK(++*nopts <= len / 2, "more options than bytes");
    }
    if (rc < 0) FZ_CHECK(it.why && *it.why, "walk error %d without a reason", rc);
    FZ_CHECK(pc_dhcp_iter_next(&it, &o) == rc, "the walk's end is not sticky");
    *end_off = it.end_off;
    return rc;
}

/* A NUL-terminated copy of an option value, or NULL when it holds a NUL
 * (the spec takes C strings) or is absent. */
static const char *dhcp_cstr(struct pc_dhcp_bytes b, char out[256])
{
    if (!b.p || memchr(b.p, 0, b.len)) return NULL;
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    return out;
}

static void dhcp_bytes_same(struct pc_dhcp_bytes a, struct pc_dhcp_bytes b, const char *what)
{
    FZ_CHECK(a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)), "%s differs after the round trip", what);
}

static void dhcp_spec_from(struct pc_dhcp *s, const struct pc_dhcp_info *m, char txt[3][256])
{
    *s = (struct pc_dhcp){ .op = PC_PIN(m->op), .htype = PC_PIN(m->htype), .hlen = PC_PIN(m->hlen), .hops = m->hops,
                           .xid = m->xid, .secs = m->secs, .flags = m->flags, .msgtype = m->msgtype,
                           .has_server_id = m->has_server_id, .has_reqip = m->has_reqip, .has_lease = m->has_lease,
                           .has_t1 = m->has_t1, .has_t2 = m->has_t2, .has_mask = m->has_mask, .lease = m->lease,
                           .t1 = m->t1, .t2 = m->t2, .max_size = m->max_size, .client_id = m->client_id.p,
                           .client_id_len = m->client_id.len, .prl = m->prl.p, .nprl = m->prl.len };
    memcpy(s->ciaddr, m->ciaddr, 4), memcpy(s->yiaddr, m->yiaddr, 4);
    memcpy(s->siaddr, m->siaddr, 4), memcpy(s->giaddr, m->giaddr, 4);
    memcpy(s->chaddr, m->chaddr, 16);
    memcpy(s->server_id, m->server_id, 4), memcpy(s->reqip, m->reqip, 4), memcpy(s->mask, m->mask, 4);
    s->nrouters = (uint8_t)(m->routers.len / 4);
    s->ndns = (uint8_t)(m->dns.len / 4);
    if (s->nrouters) memcpy(s->routers, m->routers.p, m->routers.len);
    if (s->ndns) memcpy(s->dns, m->dns.p, m->dns.len);
    s->hostname = dhcp_cstr(m->hostname, txt[0]);
    s->domain = dhcp_cstr(m->domain, txt[1]);
    s->message = dhcp_cstr(m->message, txt[2]);
}

/* Encode what was read, parse that, compare. */
static void dhcp_round_trip(const struct pc_dhcp_info *m)
{
    static char txt[3][256];
    static uint8_t out[4096];
    struct pc_dhcp s;
    dhcp_spec_from(&s, m, txt);
    int n = pc_dhcp_encode(&s, out, sizeof out);
    FZ_CHECK(n >= PC_DHCP_MIN_LEN, "re-encoding a parsed message failed: %d", n);
    struct pc_dhcp_info b;
    const char *why = NULL;
    int rc = pc_dhcp_parse(out, (size_t)n, &b, &why);
    FZ_CHECK(rc == 0, "our own encoding does not parse: %d %s", rc, why ? why : "");
    FZ_CHECK(b.op == m->op && b.htype == m->htype && b.hlen == m->hlen && b.hops == m->hops && b.xid == m->xid &&
                 b.secs == m->secs && b.flags == m->flags && !memcmp(b.chaddr, m->chaddr, 16) &&
                 !memcmp(b.ciaddr, m->ciaddr, 4) && !memcmp(b.yiaddr, m->yiaddr, 4) && !memcmp(b.siaddr, m->siaddr, 4) &&
                 !memcmp(b.giaddr, m->giaddr, 4),
             "header differs after the round trip");
    FZ_CHECK(b.msgtype == m->msgtype && b.max_size == m->max_size, "53 or 57 differs");
    FZ_CHECK(b.has_server_id == m->has_server_id && b.has_reqip == m->has_reqip && b.has_mask == m->has_mask &&
                 b.has_lease == m->has_lease && b.has_t1 == m->has_t1 && b.has_t2 == m->has_t2,
             "presence of a fixed option differs");
    FZ_CHECK(!memcmp(b.server_id, m->server_id, 4) && !memcmp(b.reqip, m->reqip, 4) && !memcmp(b.mask, m->mask, 4) &&
                 b.lease == m->lease && b.t1 == m->t1 && b.t2 == m->t2,
             "a fixed option's value differs");
    dhcp_bytes_same(b.client_id, m->client_id, "client id");
    dhcp_bytes_same(b.prl, m->prl, "parameter request list");
    dhcp_bytes_same(b.routers, m->routers, "routers");
    dhcp_bytes_same(b.dns, m->dns, "dns");
    if (s.hostname) dhcp_bytes_same(b.hostname, m->hostname, "hostname");
    if (s.domain) dhcp_bytes_same(b.domain, m->domain, "domain");
    if (s.message) dhcp_bytes_same(b.message, m->message, "message");
}

static int FUZZ_NAME(dhcp)(const uint8_t *data, size_t size)
{
    uint8_t *msg = calloc(size ? size : 1, 1);
    if (!msg) abort();
    if (size) memcpy(msg, data, size);
    uint32_t nopts = 0, end_off = 0;
    int walk = dhcp_walk(msg, size, &nopts, &end_off);
    struct pc_dhcp_info m;
    const char *why = NULL;
    int rc = pc_dhcp_parse(msg, size, &m, &why);
    if (rc < 0) {
        FZ_CHECK(why && *why, "parse error %d without a reason", rc);
        /* the walk fails the same way, or the parser's size checks did */
        FZ_CHECK(walk == rc || rc == PC_EMALFORMED, "parse %d, walk %d", rc, walk);
    } else {
        FZ_CHECK(walk == 0 || (walk == PC_EUNSUPP && !m.cookie), "parse ok, walk %d", walk);
        if (m.cookie) {
            FZ_CHECK(m.nopts == nopts && m.end_off == end_off, "parse %u options END %u, walk %u END %u", m.nopts,
                     m.end_off, nopts, end_off);
            dhcp_round_trip(&m);
        }
    }
    (void)strlen(pc_dhcp_msgtype_name(m.msgtype));
    free(msg);
    return 0;
}

FUZZ_ENTRY(dhcp)
