/* pktcraft diff: compare two captures packet by packet, field by field.
 *
 * Both files are read in step (one packet of each at a time, constant
 * memory), each pair decoded by the library decoder, and every header
 * field compared under the names --set uses (ip.ttl, tcp.seq, ...), so a
 * difference reads as a field, not as a byte offset.  Exit status as
 * diff(1) and cmp(1): 0 same, 1 different, 2 trouble. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/dns.h"
#include "pktcraft/wire/tcp.h"

enum { DIFF_SAME = 0, DIFF_DIFFERENT = 1, DIFF_TROUBLE = 2 };
enum out_fmt { OUT_TEXT, OUT_JSON, OUT_JSONL };

/* ------------------------------------------------------------ field tables */

/* How a field's value is shown. */
enum vkind { V_DEC, V_HEX, V_MAC, V_IP4, V_IP6, V_BYTES, V_TCPFLAGS };

/* A field: width bytes at off in the header, big-endian; numbers of up to
 * 4 bytes are (value >> shift) & mask (mask 0: the whole width). */
struct fdef {
    const char *name;
    uint8_t off, width, kind, shift;
    uint32_t mask;
};

/* A kind of layer: its name in field names (as --set spells it), its
 * name in a layer list, its fields, and the name of the header bytes past
 * them (options and the like) compared as bytes from rest_from. */
struct ldef {
    const char *kind, *show;
    const struct fdef *f;
    uint8_t nf;
    const char *rest;
    uint8_t rest_from;
};

#define F(n, o, w, k) { n, o, w, k, 0, 0 }
#define FB(n, o, w, k, sh, m) { n, o, w, k, sh, m }
#define L(kind, show, tab, rest, from) { kind, show, tab, sizeof(tab) / sizeof((tab)[0]), rest, from }

static const struct fdef f_eth[] = { F("dst", 0, 6, V_MAC), F("src", 6, 6, V_MAC), F("type", 12, 2, V_HEX) };
static const struct fdef f_vlan[] = { FB("pcp", 0, 2, V_DEC, 13, 7), FB("dei", 0, 2, V_DEC, 12, 1),
                                      FB("id", 0, 2, V_DEC, 0, 0xFFF), F("type", 2, 2, V_HEX) };
static const struct fdef f_ip[] = {
    FB("version", 0, 1, V_DEC, 4, 0xF), FB("ihl", 0, 1, V_DEC, 0, 0xF), F("tos", 1, 1, V_HEX),
    F("len", 2, 2, V_DEC), F("id", 4, 2, V_HEX), FB("flags", 6, 2, V_DEC, 13, 7),
    FB("frag", 6, 2, V_DEC, 0, 0x1FFF), F("ttl", 8, 1, V_DEC), F("proto", 9, 1, V_DEC),
    F("csum", 10, 2, V_HEX), F("src", 12, 4, V_IP4), F("dst", 16, 4, V_IP4),
};
static const struct fdef f_ip6[] = {
    FB("version", 0, 1, V_DEC, 4, 0xF), FB("tclass", 0, 2, V_HEX, 4, 0xFF), FB("flow", 0, 4, V_HEX, 0, 0xFFFFF),
    F("plen", 4, 2, V_DEC), F("nh", 6, 1, V_DEC), F("hlim", 7, 1, V_DEC),
    F("src", 8, 16, V_IP6), F("dst", 24, 16, V_IP6),
};
static const struct fdef f_ip6opts[] = { F("nh", 0, 1, V_DEC), F("len", 1, 1, V_DEC) };
static const struct fdef f_ip6rt[] = { F("nh", 0, 1, V_DEC), F("len", 1, 1, V_DEC), F("type", 2, 1, V_DEC),
                                       F("segleft", 3, 1, V_DEC) };
static const struct fdef f_ip6frag[] = { F("nh", 0, 1, V_DEC), F("res", 1, 1, V_HEX),
                                         FB("frag", 2, 2, V_DEC, 3, 0x1FFF), FB("mf", 2, 2, V_DEC, 0, 1),
                                         F("id", 4, 4, V_HEX) };
static const struct fdef f_tcp[] = {
    F("sport", 0, 2, V_DEC), F("dport", 2, 2, V_DEC), F("seq", 4, 4, V_DEC), F("ack", 8, 4, V_DEC),
    FB("doff", 12, 1, V_DEC, 4, 0xF), FB("res", 12, 1, V_DEC, 1, 7), FB("flags", 12, 2, V_TCPFLAGS, 0, 0x1FF),
    F("win", 14, 2, V_DEC), F("csum", 16, 2, V_HEX), F("urp", 18, 2, V_DEC),
};
static const struct fdef f_udp[] = { F("sport", 0, 2, V_DEC), F("dport", 2, 2, V_DEC), F("len", 4, 2, V_DEC),
                                     F("csum", 6, 2, V_HEX) };
static const struct fdef f_icmp_echo[] = { F("type", 0, 1, V_DEC), F("code", 1, 1, V_DEC), F("csum", 2, 2, V_HEX),
                                           F("id", 4, 2, V_DEC), F("seq", 6, 2, V_DEC) };
static const struct fdef f_icmp_other[] = { F("type", 0, 1, V_DEC), F("code", 1, 1, V_DEC), F("csum", 2, 2, V_HEX),
                                            F("rest", 4, 4, V_HEX) };
static const struct fdef f_arp_ip4[] = {
    F("htype", 0, 2, V_DEC), F("ptype", 2, 2, V_HEX), F("hlen", 4, 1, V_DEC), F("plen", 5, 1, V_DEC),
    F("op", 6, 2, V_DEC), F("sha", 8, 6, V_MAC), F("spa", 14, 4, V_IP4), F("tha", 18, 6, V_MAC),
    F("tpa", 24, 4, V_IP4),
};
static const struct fdef f_arp_other[] = { F("htype", 0, 2, V_DEC), F("ptype", 2, 2, V_HEX), F("hlen", 4, 1, V_DEC),
                                           F("plen", 5, 1, V_DEC), F("op", 6, 2, V_DEC) };
static const struct fdef f_dns[] = { F("id", 0, 2, V_HEX), F("flags", 2, 2, V_HEX), F("qdcount", 4, 2, V_DEC),
                                     F("ancount", 6, 2, V_DEC), F("nscount", 8, 2, V_DEC), F("arcount", 10, 2, V_DEC) };
static const struct fdef f_dns_tcp[] = { F("len", 0, 2, V_DEC), F("id", 2, 2, V_HEX), F("flags", 4, 2, V_HEX),
                                         F("qdcount", 6, 2, V_DEC), F("ancount", 8, 2, V_DEC),
                                         F("nscount", 10, 2, V_DEC), F("arcount", 12, 2, V_DEC) };
static const struct fdef f_gre[] = { F("flags", 0, 2, V_HEX), F("proto", 2, 2, V_HEX) };
static const struct fdef f_vxlan[] = { F("flags", 0, 1, V_HEX), FB("res", 0, 4, V_HEX, 0, 0xFFFFFF),
                                       FB("vni", 4, 4, V_DEC, 8, 0xFFFFFF), FB("res", 4, 4, V_HEX, 0, 0xFF) };
static const struct fdef f_sll[] = { F("pkttype", 0, 2, V_DEC), F("hatype", 2, 2, V_DEC), F("halen", 4, 2, V_DEC),
                                     F("addr", 6, 8, V_BYTES), F("proto", 14, 2, V_HEX) };
static const struct fdef f_sll2[] = { F("proto", 0, 2, V_HEX), F("res", 2, 2, V_HEX), F("ifindex", 4, 4, V_DEC),
                                      F("hatype", 8, 2, V_DEC), F("pkttype", 10, 1, V_DEC), F("halen", 11, 1, V_DEC),
                                      F("addr", 12, 8, V_BYTES) };
static const struct fdef f_null[] = { F("family", 0, 4, V_BYTES) };

enum {
    LD_ETH, LD_VLAN, LD_IP, LD_IP6, LD_HOP, LD_DEST, LD_RT, LD_FRAG, LD_TCP, LD_UDP, LD_ICMP_ECHO, LD_ICMP,
    LD_ICMP6_ECHO, LD_ICMP6, LD_ARP_IP4, LD_ARP, LD_DNS, LD_DNS_TCP, LD_GRE, LD_VXLAN, LD_SLL, LD_SLL2, LD_NULL,
    LD__COUNT
};

static const struct ldef ldefs[LD__COUNT] = {
    [LD_ETH] = L("eth", "eth", f_eth, NULL, 0),
    [LD_VLAN] = L("vlan", "vlan", f_vlan, NULL, 0),
    [LD_IP] = L("ip", "ip", f_ip, "options", 20),
    [LD_IP6] = L("ip6", "ip6", f_ip6, NULL, 0),
    [LD_HOP] = L("ip6ext", "ip6ext(hop)", f_ip6opts, "data", 2),
    [LD_DEST] = L("ip6ext", "ip6ext(dest)", f_ip6opts, "data", 2),
    [LD_RT] = L("ip6ext", "ip6ext(routing)", f_ip6rt, "data", 4),
    [LD_FRAG] = L("ip6ext", "ip6ext(frag)", f_ip6frag, NULL, 0),
    [LD_TCP] = L("tcp", "tcp", f_tcp, "options", 20),
    [LD_UDP] = L("udp", "udp", f_udp, NULL, 0),
    [LD_ICMP_ECHO] = L("icmp", "icmp", f_icmp_echo, "data", 8),
    [LD_ICMP] = L("icmp", "icmp", f_icmp_other, "data", 8),
    [LD_ICMP6_ECHO] = L("icmp6", "icmp6", f_icmp_echo, "data", 8),
    [LD_ICMP6] = L("icmp6", "icmp6", f_icmp_other, "data", 8),
    [LD_ARP_IP4] = L("arp", "arp", f_arp_ip4, NULL, 0),
    [LD_ARP] = L("arp", "arp", f_arp_other, "data", 8),
    [LD_DNS] = L("dns", "dns", f_dns, NULL, 0),
    [LD_DNS_TCP] = L("dns", "dns", f_dns_tcp, NULL, 0),
    [LD_GRE] = L("gre", "gre", f_gre, "data", 4),
    [LD_VXLAN] = L("vxlan", "vxlan", f_vxlan, NULL, 0),
    [LD_SLL] = L("sll", "sll", f_sll, NULL, 0),
    [LD_SLL2] = L("sll2", "sll2", f_sll2, NULL, 0),
    [LD_NULL] = L("null", "null", f_null, NULL, 0),
};

/* Whole-packet names --ignore takes besides the layers' fields. */
static const char *const specials[] = { "ts", "caplen", "len", "linktype", "comment", "payload" };
#define NSPECIALS (sizeof specials / sizeof specials[0])

static bool icmp_echo_like(uint8_t type) { return type == 0 || type == 8 || (type >= 13 && type <= 18); }

/* The table for layer i of d; h: its header when at least a byte of it is
 * captured (the variant of ICMP and ARP depends on it), else NULL.  NULL
 * for a payload or a protocol without a table. */
static const struct ldef *layer_def(const struct pc_decoded *d, int i)
{
    const struct pc_layer *l = &d->l[i];
    uint32_t cap = pc_layer_caphdr(d, i);
    const uint8_t *h = cap ? pc_layer_hdr(d, i) : NULL;
    switch (l->proto) {
    case PC_P_ETH: return &ldefs[LD_ETH];
    case PC_P_VLAN: return &ldefs[LD_VLAN];
    case PC_P_IPV4: return &ldefs[LD_IP];
    case PC_P_IPV6: return &ldefs[LD_IP6];
    case PC_P_IP6_HOP: return &ldefs[LD_HOP];
    case PC_P_IP6_DEST: return &ldefs[LD_DEST];
    case PC_P_IP6_ROUTING: return &ldefs[LD_RT];
    case PC_P_IP6_FRAG: return &ldefs[LD_FRAG];
    case PC_P_TCP: return &ldefs[LD_TCP];
    case PC_P_UDP: return &ldefs[LD_UDP];
    case PC_P_ICMP: return &ldefs[h && icmp_echo_like(h[0]) ? LD_ICMP_ECHO : LD_ICMP];
    case PC_P_ICMP6: return &ldefs[h && (h[0] == 128 || h[0] == 129) ? LD_ICMP6_ECHO : LD_ICMP6];
    case PC_P_ARP: return &ldefs[cap >= 6 && h[4] == 6 && h[5] == 4 ? LD_ARP_IP4 : LD_ARP];
    case PC_P_DNS: return &ldefs[l->hlen > PC_DNS_HLEN ? LD_DNS_TCP : LD_DNS];
    case PC_P_GRE: return &ldefs[LD_GRE];
    case PC_P_VXLAN: return &ldefs[LD_VXLAN];
    case PC_P_SLL: return &ldefs[LD_SLL];
    case PC_P_SLL2: return &ldefs[LD_SLL2];
    case PC_P_NULL: return &ldefs[LD_NULL];
    default: return NULL;
    }
}

/* The name of layer i in a layer list ("eth", "ip6ext(frag)", "payload"). */
static const char *layer_show(const struct pc_decoded *d, int i)
{
    const struct ldef *ld = layer_def(d, i);
    return ld ? ld->show : pc_proto_name(d->l[i].proto);
}

static const char *layer_kind(const struct pc_decoded *d, int i)
{
    const struct ldef *ld = layer_def(d, i);
    return ld ? ld->kind : pc_proto_name(d->l[i].proto);
}

/* ------------------------------------------------------------ --ignore */

/* One --ignore name: a special (layer holds it, field empty), a layer, or
 * LAYER.FIELD; idx (with has_idx) limits it to one occurrence, negative
 * counting from the innermost as --set's ip[-1] does. */
struct ignore {
    char layer[16], field[24];
    bool has_idx;
    int idx;
};

#define MAX_IGNORES 256

struct diff {
    const char *path[2];
    struct pc_reader *r[2];
    enum out_fmt fmt;
    bool quiet;
    uint64_t max;
    struct ignore ign[MAX_IGNORES];
    int nign;
    struct pc_fmt *out;
    /* progress */
    uint64_t packet, count[2], differing, shown;
    bool cur_counted, cur_shown;
    struct pc_decoded dec[2];
};

static bool known_kind(const char *k)
{
    for (int i = 0; i < LD__COUNT; i++)
        if (!strcmp(ldefs[i].kind, k)) return true;
    return false;
}

static bool known_field(const char *k, const char *field)
{
    for (int i = 0; i < LD__COUNT; i++) {
        if (strcmp(ldefs[i].kind, k)) continue;
        if (ldefs[i].rest && !strcmp(ldefs[i].rest, field)) return true;
        for (int j = 0; j < ldefs[i].nf; j++)
            if (!strcmp(ldefs[i].f[j].name, field)) return true;
    }
    return false;
}

static bool is_special(const char *s)
{
    for (size_t i = 0; i < NSPECIALS; i++)
        if (!strcmp(specials[i], s)) return true;
    return false;
}

static _Noreturn void bad_ignore(const char *name)
{
    char kinds[256] = "";
    size_t n = 0;
    for (int i = 0; i < LD__COUNT && n < sizeof kinds; i++) /* the table keeps a kind's variants together */
        if (!i || strcmp(ldefs[i - 1].kind, ldefs[i].kind))
            n += (size_t)snprintf(kinds + n, sizeof kinds - n, "%s%s", n ? ", " : "", ldefs[i].kind);
    cli_usage_error("--ignore: unknown name '%s' (valid: ts, caplen, len, linktype, comment, payload; a layer: %s; "
                    "or LAYER.FIELD as --set names it, e.g. ip.ttl, tcp.seq, ip[1].id; all listed by --help)",
                    name, kinds);
}

/* "ip[1].ttl" -> layer ip, idx 1, field ttl; false when it is not of that shape. */
static bool split_name(const char *s, struct ignore *g)
{
    memset(g, 0, sizeof *g);
    size_t k = strcspn(s, "[.");
    if (!k || k >= sizeof g->layer) return false;
    memcpy(g->layer, s, k);
    s += k;
    if (*s == '[') {
        char *end;
        long v = strtol(s + 1, &end, 10);
        if (end == s + 1 || *end != ']' || v < -PC_MAX_LAYERS || v >= PC_MAX_LAYERS) return false;
        g->has_idx = true;
        g->idx = (int)v;
        s = end + 1;
    }
    if (!*s) return true;
    if (*s != '.' || !s[1] || strlen(s + 1) >= sizeof g->field) return false;
    snprintf(g->field, sizeof g->field, "%s", s + 1);
    return true;
}

static void add_ignore(struct diff *df, const char *name)
{
    struct ignore g;
    if (!split_name(name, &g)) bad_ignore(name);
    bool ok = is_special(g.layer) ? !g.has_idx && !g.field[0]
                                   : known_kind(g.layer) && (!g.field[0] || known_field(g.layer, g.field));
    if (!ok) bad_ignore(name);
    if (df->nign >= MAX_IGNORES) cli_usage_error("--ignore: more than %d names", MAX_IGNORES);
    df->ign[df->nign++] = g;
}

static void parse_ignore(struct diff *df, const char *list)
{
    char buf[1024];
    if (strlen(list) >= sizeof buf) cli_usage_error("--ignore: list longer than %zu characters", sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        add_ignore(df, t);
}

/* Is field (of occurrence occ of nocc layers of kind) ignored?  kind is
 * a special name with field NULL for the whole-packet ones. */
static bool ignored(const struct diff *df, const char *kind, int occ, int nocc, const char *field)
{
    for (int i = 0; i < df->nign; i++) {
        const struct ignore *g = &df->ign[i];
        if (strcmp(g->layer, kind)) continue;
        if (g->has_idx && g->idx != occ && !(g->idx < 0 && nocc + g->idx == occ)) continue;
        if (!g->field[0] || (field && !strcmp(g->field, field))) return true;
    }
    return false;
}

/* ------------------------------------------------------------ output */

/* A difference of the current packet: counted once per packet, printed
 * while fewer than --max packets have been shown.  off >= 0: a byte offset
 * (payload, options).  NULL value: absent from that file. */
static bool count_difference(struct diff *df)
{
    if (!df->cur_counted) {
        df->cur_counted = true;
        df->differing++;
        df->cur_shown = !df->quiet && df->shown < df->max;
        if (df->cur_shown) df->shown++;
    }
    return df->cur_shown;
}

static void report(struct diff *df, const char *field, long long off, const char *va, const char *vb)
{
    if (!count_difference(df)) return;
    struct pc_fmt *f = df->out;
    if (df->fmt == OUT_TEXT) {
        pc_fmt_printf(f, "packet %llu: %s: ", (unsigned long long)df->packet, field);
        if (off >= 0) pc_fmt_printf(f, "byte %lld: ", off);
        pc_fmt_printf(f, "%s != %s\n", va ? va : "(none)", vb ? vb : "(none)");
        return;
    }
    pc_fmt_kobj_open(f, NULL);
    pc_fmt_kuint(f, "packet", df->packet);
    pc_fmt_kstr(f, "field", field);
    if (off >= 0) pc_fmt_kuint(f, "offset", (uint64_t)off);
    if (va) pc_fmt_kstr(f, "a", va);
    else pc_fmt_knull(f, "a");
    if (vb) pc_fmt_kstr(f, "b", vb);
    else pc_fmt_knull(f, "b");
    pc_fmt_kobj_close(f);
    if (df->fmt == OUT_JSONL) pc_fmt_newline(f);
}

/* ------------------------------------------------------------ values */

static uint32_t get_be(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

static void hex_bytes(const uint8_t *p, unsigned n, char *out)
{
    for (unsigned i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* fd's value in header h as text (out: at least 64 bytes). */
static void fmt_value(const struct fdef *fd, const uint8_t *h, char *out, size_t cap)
{
    const uint8_t *p = h + fd->off;
    if (fd->kind == V_MAC) { pc_fmt_mac(p, out); return; }
    if (fd->kind == V_IP4) { pc_fmt_ip4(p, out); return; }
    if (fd->kind == V_IP6) { pc_fmt_ip6(p, out); return; }
    if (fd->kind == V_BYTES) { hex_bytes(p, fd->width, out); return; }
    uint32_t v = get_be(p, fd->width) >> fd->shift;
    uint32_t mask = fd->mask ? fd->mask : (fd->width == 4 ? 0xFFFFFFFFu : (1u << 8 * fd->width) - 1);
    v &= mask;
    int digits = 0;
    for (uint32_t m = mask; m; m >>= 4) digits++;
    if (fd->kind == V_DEC) snprintf(out, cap, "%u", v);
    else if (fd->kind == V_HEX) snprintf(out, cap, "0x%0*x", digits, v);
    else {
        char fl[10];
        pc_tcp_flagstr((uint16_t)v, fl);
        snprintf(out, cap, "0x%03x (%s)", v, fl[0] ? fl : "none");
    }
}

/* Byte ranges a and b (lengths na, nb) compared: the first differing
 * offset reported under name, a missing byte as absent. */
static void bytes_diff(struct diff *df, const char *name, const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
    uint32_t n = na < nb ? na : nb, k = 0;
    while (k < n && a[k] == b[k]) k++;
    if (k == n && na == nb) return;
    char va[8], vb[8];
    if (k < na) snprintf(va, sizeof va, "0x%02x", a[k]);
    if (k < nb) snprintf(vb, sizeof vb, "0x%02x", b[k]);
    report(df, name, k, k < na ? va : NULL, k < nb ? vb : NULL);
}

/* ------------------------------------------------------------ packets */

/* "ip", "ip[1]": the layer's name in a field name; indexed when the
 * packet holds more than one layer of its kind. */
static void layer_prefix(char *out, size_t cap, const char *kind, int occ, int nocc)
{
    if (nocc > 1) snprintf(out, cap, "%s[%d]", kind, occ);
    else snprintf(out, cap, "%s", kind);
}

struct lpos {
    const char *kind;
    int occ, nocc;
};

static void compare_fields(struct diff *df, int i, const struct ldef *ld, const struct lpos *p)
{
    const struct pc_decoded *da = &df->dec[0], *db = &df->dec[1];
    uint32_t ca = pc_layer_caphdr(da, i), cb = pc_layer_caphdr(db, i);
    /* a header with nothing captured is never pointed at */
    const uint8_t *ha = ca ? pc_layer_hdr(da, i) : NULL, *hb = cb ? pc_layer_hdr(db, i) : NULL;
    char pre[32], name[64], va[64], vb[64];
    layer_prefix(pre, sizeof pre, p->kind, p->occ, p->nocc);
    for (int j = 0; j < ld->nf; j++) {
        const struct fdef *fd = &ld->f[j];
        bool in_a = ha && ca >= (uint32_t)fd->off + fd->width, in_b = hb && cb >= (uint32_t)fd->off + fd->width;
        if (!in_a && !in_b) continue;
        if (in_a) fmt_value(fd, ha, va, sizeof va);
        if (in_b) fmt_value(fd, hb, vb, sizeof vb);
        if (in_a && in_b && !strcmp(va, vb)) continue;
        if (ignored(df, p->kind, p->occ, p->nocc, fd->name)) continue;
        snprintf(name, sizeof name, "%s.%s", pre, fd->name);
        report(df, name, -1, in_a ? va : NULL, in_b ? vb : NULL);
    }
    if (!ld->rest || ignored(df, p->kind, p->occ, p->nocc, ld->rest)) return;
    uint32_t ra = ca > ld->rest_from ? ca - ld->rest_from : 0, rb = cb > ld->rest_from ? cb - ld->rest_from : 0;
    snprintf(name, sizeof name, "%s.%s", pre, ld->rest);
    bytes_diff(df, name, ra ? ha + ld->rest_from : NULL, ra, rb ? hb + ld->rest_from : NULL, rb);
}

static int count_kind(const struct pc_decoded *d, const char *kind, int upto)
{
    int n = 0;
    for (int i = 0; i < upto; i++) n += !strcmp(layer_kind(d, i), kind);
    return n;
}

/* "eth/ip/tcp" */
static void stack_str(const struct pc_decoded *d, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < d->n && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "/" : "", layer_show(d, i));
    if (!d->n) snprintf(out, cap, "(none)");
}

/* How many layers lead alike (the same protocols in the same order). */
static int common_layers(const struct pc_decoded *da, const struct pc_decoded *db)
{
    int n = da->n < db->n ? da->n : db->n, k = 0;
    while (k < n && da->l[k].proto == db->l[k].proto) k++;
    return k;
}

/* Where the bytes after the last header start: what no table names. */
static uint32_t payload_start(const struct pc_decoded *d)
{
    if (!d->n) return 0;
    const struct pc_layer *l = &d->l[d->n - 1];
    uint64_t end = (uint64_t)l->off + l->hlen;
    return end < d->caplen ? (uint32_t)end : d->caplen;
}

/* Layers that are headers: a trailing payload layer is left to the
 * payload comparison, so that a snaplen cut that ends the decoding before
 * the payload reads as a shorter payload, not as other layers. */
static int header_layers(const struct pc_decoded *d)
{
    return d->n && d->l[d->n - 1].proto == PC_P_PAYLOAD ? d->n - 1 : d->n;
}

static void compare_layers(struct diff *df)
{
    const struct pc_decoded *da = &df->dec[0], *db = &df->dec[1];
    int common = common_layers(da, db);
    bool same = common >= header_layers(da) && common >= header_layers(db);
    if (!same) {
        char sa[256], sb[256];
        stack_str(da, sa, sizeof sa);
        stack_str(db, sb, sizeof sb);
        report(df, "layers", -1, sa, sb);
    }
    for (int i = 0; i < common; i++) {
        /* A's table (an ICMP echo's id and seq) unless A's header is not captured */
        const struct ldef *ld = layer_def(pc_layer_caphdr(da, i) ? da : db, i);
        if (!ld) continue;
        struct lpos p = { ld->kind, count_kind(da, ld->kind, i), 0 };
        int na = count_kind(da, ld->kind, da->n), nb = count_kind(db, ld->kind, db->n);
        p.nocc = na > nb ? na : nb;
        if (ignored(df, p.kind, p.occ, p.nocc, NULL)) continue;
        compare_fields(df, i, ld, &p);
    }
    if (!same || ignored(df, "payload", 0, 1, NULL)) return;
    uint32_t pa = payload_start(da), pb = payload_start(db);
    bytes_diff(df, "payload", da->buf + pa, da->caplen - pa, db->buf + pb, db->caplen - pb);
}

/* A comment as text: quoted, control bytes as \xNN, cut at 60 characters. */
static void quote(const uint8_t *p, uint32_t n, char *out, size_t cap)
{
    size_t k = 0;
    out[k++] = '"';
    for (uint32_t i = 0; i < n && k + 8 < cap; i++) {
        if (i == 60) { k += (size_t)snprintf(out + k, cap - k, "..."); break; }
        if (p[i] < 0x20 || p[i] == 0x7F || p[i] == '"' || p[i] == '\\')
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", p[i]);
        else out[k++] = (char)p[i];
    }
    snprintf(out + k, cap - k, "\"");
}

static void compare_comments(struct diff *df, const struct pc_pkthdr *ha, const struct pc_pkthdr *hb)
{
    uint32_t n = ha->ncomments > hb->ncomments ? ha->ncomments : hb->ncomments;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *pa = NULL, *pb = NULL;
        uint32_t la = 0, lb = 0;
        int ina = pc_reader_comment(df->r[0], i, &pa, &la) > 0, inb = pc_reader_comment(df->r[1], i, &pb, &lb) > 0;
        if (ina && inb && la == lb && !memcmp(pa, pb, la)) continue;
        char va[256], vb[256], name[32];
        if (ina) quote(pa, la, va, sizeof va);
        if (inb) quote(pb, lb, vb, sizeof vb);
        if (n > 1) snprintf(name, sizeof name, "comment[%u]", i);
        else snprintf(name, sizeof name, "comment");
        report(df, name, -1, ina ? va : NULL, inb ? vb : NULL);
        return; /* the first differing comment says it */
    }
}

static void compare_num(struct diff *df, const char *name, long long a, long long b)
{
    if (a == b || ignored(df, name, 0, 1, NULL)) return;
    char va[24], vb[24];
    snprintf(va, sizeof va, "%lld", a);
    snprintf(vb, sizeof vb, "%lld", b);
    report(df, name, -1, va, vb);
}

static void compare_packet(struct diff *df, const struct pc_pkthdr *h, const uint8_t *const *data)
{
    if (h[0].ts != h[1].ts && !ignored(df, "ts", 0, 1, NULL)) {
        /* a clamped instant (outside int64 nanoseconds) says so: its true value is further out */
        char t[PC_FMT_TS_MAX], v[2][PC_FMT_TS_MAX + 12];
        for (int k = 0; k < 2; k++) {
            pc_fmt_ts(h[k].ts, t);
            snprintf(v[k], sizeof v[k], "%s%s", t, h[k].ts_clamped ? " (clamped)" : "");
        }
        report(df, "ts", -1, v[0], v[1]);
    }
    compare_num(df, "caplen", h[0].caplen, h[1].caplen);
    compare_num(df, "len", h[0].len, h[1].len);
    compare_num(df, "linktype", h[0].linktype, h[1].linktype);
    if (pc_reader_format(df->r[0]) == PC_FORMAT_PCAPNG && pc_reader_format(df->r[1]) == PC_FORMAT_PCAPNG &&
        !ignored(df, "comment", 0, 1, NULL))
        compare_comments(df, &h[0], &h[1]);
    for (int k = 0; k < 2; k++)
        pc_decode_flags(&df->dec[k], data[k], h[k].caplen, h[k].len, h[k].linktype, PC_DEC_NO_L4CSUM);
    compare_layers(df);
}

/* Packet df->packet is only in file k. */
static void only_in(struct diff *df, int k)
{
    if (df->fmt == OUT_TEXT) {
        if (count_difference(df))
            pc_fmt_printf(df->out, "packet %llu: only in %s (%s has %llu packets)\n", (unsigned long long)df->packet,
                      df->path[k], df->path[!k], (unsigned long long)df->count[!k]);
        return;
    }
    report(df, "packet", -1, k ? NULL : "present", k ? "present" : NULL);
}

/* ------------------------------------------------------------ command */

static void help(void)
{
    printf("Usage: pktcraft diff [OPTIONS] A B\n\n"
           "Compare two captures (pcap, nsecpcap, pcapng, any mix, '-' for stdin once)\n"
           "packet by packet: the timestamp, caplen, len, link type, pcapng comments (when\n"
           "both files are pcapng), then every header field layer by layer under the names\n"
           "--set uses (ip.ttl, tcp.seq, ...), and the bytes after the last header as\n"
           "'payload' with the first differing byte. A packet with two layers of a kind\n"
           "(a tunnel, an ICMP error's quote) names them ip[0] (outermost), ip[1], ...\n"
           "The file format itself (pcap or pcapng, byte order, timestamp resolution) is\n"
           "not compared. Both files are read in step, in constant memory.\n\n"
           "Options:\n"
           "      --ignore LIST         comma-separated names to leave out (repeatable):\n"
           "                            ts, caplen, len, linktype, comment, payload, a layer\n"
           "                            (tcp: all its fields), LAYER.FIELD, LAYER[N].FIELD\n"
           "                            (N from 0 outermost, negative from the innermost)\n"
           "      --max N               print the differences of at most N packets (default\n"
           "                            10; 0 prints only the summary)\n"
           "      --format text|json|jsonl  output format (default text); json: one object\n"
           "                            with \"differences\" and the counts; jsonl: one object\n"
           "                            per difference, then one with the counts\n"
           "  -q, --quiet               print nothing, stop at the first difference\n"
           "      --limit NAME=VALUE    change a resource limit (see below)\n"
           "  -h, --help                show this help\n\n"
           "Fields (LAYER: FIELD ...; options and data are header bytes past the fields):\n");
    for (int i = 0; i < LD__COUNT; i++) {
        if (i && !strcmp(ldefs[i - 1].kind, ldefs[i].kind) && ldefs[i - 1].f == ldefs[i].f) continue;
        printf("  %-7s", i && !strcmp(ldefs[i - 1].kind, ldefs[i].kind) ? "" : ldefs[i].kind);
        for (int j = 0; j < ldefs[i].nf; j++)
            if (!j || strcmp(ldefs[i].f[j].name, "res") || strcmp(ldefs[i].f[j - 1].name, "vni"))
                printf(" %s", ldefs[i].f[j].name);
        if (ldefs[i].rest) printf(" %s", ldefs[i].rest);
        putchar('\n');
    }
    printf("\nExamples:\n"
           "  pktcraft tcp --src 10.0.0.1 --dst 10.0.0.2 -c 5 --start 1700000000 --seed 1 -o a.pcap\n"
           "  pktcraft tcp --src 10.0.0.1 --dst 10.0.0.2 -c 5 --start 1700000000 --seed 1 --set ip.ttl=63@3 -o b.pcap\n"
           "  pktcraft diff a.pcap b.pcap                 # packet 3: ip.ttl: 64 != 63\n"
           "  pktcraft diff --ignore ip.ttl,ip.csum a.pcap b.pcap && echo same\n"
           "  pktcraft convert a.pcap -o a.pcapng && pktcraft diff a.pcap a.pcapng\n\n"
           "Exit status (as diff and cmp): 0 the captures are the same (after --ignore),\n"
           "1 they differ, 2 trouble: a usage error, or a file that cannot be read or is\n"
           "damaged (the message names the file and the packet or byte offset).\n\n");
    cli_limits_help(stdout);
}

static void parse_args(struct diff *df, int argc, char **argv)
{
    enum { O_IGNORE = 1000, O_MAX, O_FORMAT };
    static const struct option longopts[] = {
        { "ignore", required_argument, 0, O_IGNORE }, { "max", required_argument, 0, O_MAX },
        { "format", required_argument, 0, O_FORMAT }, { "quiet", no_argument, 0, 'q' },
        { "limit", required_argument, 0, CLI_OPT_LIMIT }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    df->max = 10;
    int opt;
    while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case 'q': df->quiet = true; break;
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case O_IGNORE: parse_ignore(df, optarg); break;
        case O_MAX: df->max = cli_parse_uint("--max", optarg, UINT64_MAX); break;
        case O_FORMAT:
            if (!strcmp(optarg, "text")) df->fmt = OUT_TEXT;
            else if (!strcmp(optarg, "json")) df->fmt = OUT_JSON;
            else if (!strcmp(optarg, "jsonl")) df->fmt = OUT_JSONL;
            else cli_usage_error("--format: '%s' is not text, json or jsonl", optarg);
            break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (argc - optind != 2)
        cli_usage_error("two captures to compare are required (A B), %d given", argc - optind < 0 ? 0 : argc - optind);
    df->path[0] = argv[optind];
    df->path[1] = argv[optind + 1];
    if (!strcmp(df->path[0], "-") && !strcmp(df->path[1], "-")) cli_usage_error("stdin ('-') can be only one of A and B");
}

static void start_output(struct diff *df)
{
    if (df->quiet) return;
    df->out = cli_out(df->fmt != OUT_TEXT);
    if (df->fmt != OUT_JSON) return;
    pc_fmt_kobj_open(df->out, NULL);
    pc_fmt_kstr(df->out, "a", df->path[0]);
    pc_fmt_kstr(df->out, "b", df->path[1]);
    pc_fmt_karr_open(df->out, "differences");
}

/* The counts, and the error (JSON) that cut the comparison short. */
static void finish_output(struct diff *df, const char *error)
{
    if (df->quiet || !df->out) return;
    struct pc_fmt *f = df->out;
    uint64_t total = df->count[0] > df->count[1] ? df->count[0] : df->count[1];
    if (df->fmt == OUT_TEXT) {
        if (error) return;
        if (!df->differing) pc_fmt_printf(f, "identical: %llu packets\n", (unsigned long long)total);
        else pc_fmt_printf(f, "%llu of %llu packets differ\n", (unsigned long long)df->differing, (unsigned long long)total);
        return;
    }
    if (df->fmt == OUT_JSON) pc_fmt_karr_close(f);
    else pc_fmt_kobj_open(f, NULL);
    pc_fmt_kuint(f, "packets_a", df->count[0]);
    pc_fmt_kuint(f, "packets_b", df->count[1]);
    pc_fmt_kuint(f, "packets", total);
    pc_fmt_kuint(f, "differing", df->differing);
    pc_fmt_kuint(f, "shown", df->shown);
    pc_fmt_kbool(f, "identical", !df->differing && !error);
    if (error) pc_fmt_kstr(f, "error", error);
    pc_fmt_kobj_close(f);
    pc_fmt_newline(f);
}

/* Output drained; a write error is trouble (2), not "different". */
static int flush_output(struct diff *df)
{
    if (df->quiet || !df->out || pc_fmt_flush(df->out) == 0) return 0;
    cli_warn("writing output: %s", pc_strerror(df->out->err));
    return -1;
}

static void close_all(struct diff *df)
{
    for (int k = 0; k < 2; k++)
        if (df->r[k]) pc_reader_close(df->r[k]);
}

/* Trouble: what is printed so far stays (JSON closed with the error), the
 * message names the file. */
static int trouble(struct diff *df, const char *msg)
{
    finish_output(df, msg);
    (void)flush_output(df);
    cli_warn("%s", msg);
    close_all(df);
    return DIFF_TROUBLE;
}

static int open_inputs(struct diff *df)
{
    for (int k = 0; k < 2; k++) {
        struct pc_err err = { 0 };
        df->r[k] = pc_reader_open_ex(df->path[k], cli_limits(), &err);
        if (!df->r[k]) return trouble(df, err.msg);
    }
    return 0;
}

/* Both files in step; a file that ended yields no more. */
static int run(struct diff *df)
{
    struct pc_pkthdr h[2];
    const uint8_t *data[2];
    bool live[2] = { true, true };
    for (;;) {
        for (int k = 0; k < 2; k++) {
            if (!live[k]) continue;
            int rc = pc_reader_next(df->r[k], &h[k], &data[k]);
            if (rc < 0) return trouble(df, pc_reader_err(df->r[k])->msg);
            live[k] = rc > 0;
            df->count[k] += live[k];
        }
        if (!live[0] && !live[1]) return 0;
        df->packet++;
        df->cur_counted = df->cur_shown = false;
        if (live[0] && live[1]) compare_packet(df, h, data);
        else only_in(df, live[1]);
        if (df->quiet && df->differing) return 0; /* cmp -s: the answer is known */
    }
}

int cmd_diff(int argc, char **argv)
{
    /* static: the decoded packets are large; reset for each call */
    static struct diff df;
    memset(&df, 0, sizeof df);
    parse_args(&df, argc, argv);
    int rc = open_inputs(&df);
    if (rc) return rc;
    start_output(&df);
    rc = run(&df);
    if (rc) return rc;
    finish_output(&df, NULL);
    close_all(&df);
    if (flush_output(&df) < 0) return DIFF_TROUBLE;
    return df.differing ? DIFF_DIFFERENT : DIFF_SAME;
}
