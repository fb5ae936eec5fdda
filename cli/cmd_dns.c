/* pktcraft dns: DNS queries and responses over UDP or TCP; with --exchange
 * a query and its response as one conversation (cli/conv.h), over UDP or
 * over TCP with its handshake. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conv.h"
#include "pktcraft/wire/dns.h"

#define DNS_LAYERS (CL_NET | CL_UDP | CL_TCP | CL_DNS)
#define MAX_RR 32
#define MAX_TOK 16

struct rr_text {                /* storage behind one record's pointers */
    char tok[MAX_TOK][256];
    const char *txt[MAX_TOK];
    uint8_t raw[512];
};

struct dns_args {
    struct conv_cli v;  /* v.c: the crafting options (every mode) */
    bool exchange;
    long sport;
    uint16_t dport;
    bool tcp, response, no_compress;
    long id;
    uint8_t opcode, rcode, aa, tc, rd, ra, ad, cd;
    char qname[256];
    uint16_t qtype;
    bool have_q;
    struct pc_dns_record rr[3][MAX_RR];
    struct rr_text (*rt)[MAX_RR]; /* [3]: dns_store's */
    size_t nrr[3];
    bool edns;
    struct pc_dns_edns e;
    struct pc_dns_ednsopt ecs;
    uint8_t malform;
    /* --exchange: the two messages (TCP: with their length prefix) */
    uint16_t xid;
    uint8_t (*msg)[65537]; /* [2]: dns_store's */
    size_t msglen[2];
};

/* Storage that is always written before it is read (a record's text as
 * its option is parsed, a message as it is encoded), kept out of
 * dns_args: clearing 600 KB for every run would fault in 150 pages, which
 * cost a one-packet `pktcraft dns` more than all the rest of its work. */
static struct dns_store {
    struct rr_text rt[3][MAX_RR];
    uint8_t msg[2][65537];
} store;

enum {
    O_QNAME = CONV_OPT_END, O_QTYPE, O_ANSWER, O_AUTH, O_ADDL, O_RCODE, O_EDNS, O_EDNS_SIZE, O_EDNS_DO,
    O_ECS, O_TCP, O_ID, O_RESPONSE, O_OPCODE, O_AA, O_TC, O_NORD, O_RA, O_AD, O_CD, O_NOCOMP, O_MALFORM,
    O_EXCHANGE,
};

/* --sport and --dport are CONV_LONGOPTS' own; the other conversation
 * options are refused without --exchange. */
static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    CONV_LONGOPTS,
    { "qname", required_argument, 0, O_QNAME }, { "qtype", required_argument, 0, O_QTYPE },
    { "answer", required_argument, 0, O_ANSWER }, { "authority", required_argument, 0, O_AUTH },
    { "additional", required_argument, 0, O_ADDL }, { "rcode", required_argument, 0, O_RCODE },
    { "edns", no_argument, 0, O_EDNS }, { "edns-size", required_argument, 0, O_EDNS_SIZE },
    { "edns-do", no_argument, 0, O_EDNS_DO }, { "ecs", required_argument, 0, O_ECS },
    { "tcp", no_argument, 0, O_TCP }, { "id", required_argument, 0, O_ID },
    { "response", no_argument, 0, O_RESPONSE }, { "opcode", required_argument, 0, O_OPCODE },
    { "aa", no_argument, 0, O_AA }, { "tc", no_argument, 0, O_TC }, { "no-rd", no_argument, 0, O_NORD },
    { "ra", no_argument, 0, O_RA }, { "ad", no_argument, 0, O_AD }, { "cd", no_argument, 0, O_CD },
    { "no-compress", no_argument, 0, O_NOCOMP }, { "malform", required_argument, 0, O_MALFORM },
    { "exchange", no_argument, 0, O_EXCHANGE },
    { 0, 0, 0, 0 },
};

static void help(void)
{
    printf("Usage: pktcraft dns --src ADDR --dst ADDR --qname NAME -o FILE [OPTIONS]\n\n"
           "Craft DNS messages (RFC 1035) over UDP, or over TCP with --tcp (a two-byte\n"
           "length prefix in a PSH/ACK segment). Counts, lengths and checksums are\n"
           "computed; names are compressed unless --no-compress.\n\n"
           "DNS:\n"
           "      --qname NAME          question name (e.g. example.com)\n"
           "      --qtype TYPE          question type: A, AAAA, MX, ..., TYPE65280 or a number\n"
           "                            (default A)\n"
           "      --answer \"NAME TYPE VALUE [TTL]\"   an answer record (repeatable); makes a\n"
           "                            response. VALUE by type: A 1.2.3.4; AAAA 2001:db8::1;\n"
           "                            CNAME/NS/PTR name; MX \"10 mail.x\"; TXT \"\\\"one\\\" \\\"two\\\"\";\n"
           "                            SRV \"PRIO WEIGHT PORT TARGET\"; SOA \"MNAME RNAME SERIAL\n"
           "                            REFRESH RETRY EXPIRE MINIMUM\"; CAA \"FLAGS TAG VALUE\";\n"
           "                            any other type: hex RDATA. TTL defaults to 300\n"
           "      --authority RR, --additional RR   records in those sections, same syntax\n"
           "      --response            set QR even without answers\n"
           "      --rcode NAME|N        NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED or 0-4095\n"
           "                            (values over 15 need --edns)\n"
           "      --id N                message id (default: from the seed)\n"
           "      --opcode N, --aa, --tc, --no-rd, --ra, --ad, --cd   header flags (RD is on\n"
           "                            by default, as resolvers send it)\n"
           "      --edns                add an OPT record (EDNS0); --edns-size N (default 1232),\n"
           "                            --edns-do, --ecs ADDR/PREFIX (client subnet)\n"
           "      --tcp                 DNS over TCP\n"
           "      --sport PORT, --dport PORT   (default: from the seed, 53)\n"
           "      --no-compress         write every name in full\n"
           "      --malform loop|fwdptr|longlabel   a deliberately broken message (fixtures);\n"
           "                            a count larger than the records: --set dns.ancount=N\n"
           "      --exchange            the query and its response as one conversation: same\n"
           "                            id and question, addresses and ports swapped, QR and\n"
           "                            RA set; the records, --aa/--tc/--ad and --rcode go to\n"
           "                            the response, --set/--corrupt dns.* and --malform too.\n"
           "                            UDP, or TCP with --tcp (handshake, length prefixes,\n"
           "                            teardown); the client port from the seed or --sport.\n"
           "                            Takes the conversation options below (--rtt, --fault,\n"
           "                            --truth, ...)\n");
    craft_help_common(DNS_LAYERS);
    printf("\nWith --exchange:\n");
    conv_help(false);
    printf("\nExamples:\n"
           "  pktcraft dns --src 10.0.0.1 --dst 10.0.0.53 --qname example.com --qtype AAAA -o q.pcap\n"
           "  pktcraft dns --src 10.0.0.53 --dst 10.0.0.1 --sport 53 --dport 33000 --qname example.com \\\n"
           "      --answer \"example.com A 93.184.216.34 3600\" --answer \"example.com MX 10 mail.example.com\" -o r.pcap\n"
           "  pktcraft dns --src 10.0.0.1 --dst 10.0.0.53 --qname example.com --answer \"example.com A 93.184.216.34\" \\\n"
           "      --exchange --tcp --truth -o x.pcap\n");
}

/* TYPE by name (A, AAAA, ...), TYPEnnn or a number. */
static uint16_t parse_type(const char *opt, const char *s)
{
    if (isdigit((unsigned char)s[0])) return (uint16_t)cli_parse_uint(opt, s, 65535);
    if (!strncasecmp(s, "TYPE", 4) && isdigit((unsigned char)s[4])) return (uint16_t)cli_parse_uint(opt, s + 4, 65535);
    for (uint32_t t = 1; t <= 65535; t++) {
        const char *n = pc_dns_type_name((uint16_t)t);
        if (!strncmp(n, "TYPE", 4)) continue;
        if (!strcasecmp(n, s)) return (uint16_t)t;
    }
    cli_usage_error("%s: '%s' is not a DNS type", opt, s);
}

/* Split into tokens; "quoted strings" are one token (for TXT). */
static int tokenize(const char *opt, const char *s, struct rr_text *rt, bool quoted[MAX_TOK])
{
    int n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        if (n == MAX_TOK) cli_usage_error("%s: too many words", opt);
        size_t k = 0;
        quoted[n] = *s == '"';
        if (quoted[n]) {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1]) s++;
                if (k < 255) rt->tok[n][k++] = *s;
            }
            if (*s != '"') cli_usage_error("%s: unterminated quote", opt);
            s++;
        } else {
            while (*s && *s != ' ' && *s != '\t' && k < 255) rt->tok[n][k++] = *s++;
        }
        rt->tok[n][k] = 0;
        n++;
    }
    return n;
}

static uint32_t num(const char *opt, const char *s, uint64_t max) { return (uint32_t)cli_parse_uint(opt, s, max); }

/* Tokens a value of this type takes (0: variable, TXT). */
static int value_words(uint16_t type)
{
    switch (type) {
    case PC_DNS_T_MX: return 2;
    case PC_DNS_T_SRV: return 4;
    case PC_DNS_T_SOA: return 7;
    case PC_DNS_T_CAA: return 3;
    case PC_DNS_T_TXT: return 0;
    default: return 1;
    }
}

static void parse_rr(struct dns_args *a, int sec, const char *opt, const char *arg)
{
    if (a->nrr[sec] == MAX_RR) cli_usage_error("%s: at most %d records", opt, MAX_RR);
    struct pc_dns_record *r = &a->rr[sec][a->nrr[sec]];
    struct rr_text *rt = &a->rt[sec][a->nrr[sec]++];
    bool quoted[MAX_TOK];
    int n = tokenize(opt, arg, rt, quoted);
    if (n < 3) cli_usage_error("%s: '%s' is not \"NAME TYPE VALUE [TTL]\"", opt, arg);
    memset(r, 0, sizeof *r);
    r->name = rt->tok[0];
    r->type = parse_type(opt, rt->tok[1]);
    r->rclass = PC_DNS_C_IN;
    r->ttl = 300;
    int words = value_words(r->type), vals = n - 2;
    if (words == 0) { /* TXT: quoted strings, then an optional TTL */
        if (!quoted[n - 1] && vals > 1) { r->ttl = num(opt, rt->tok[n - 1], UINT32_MAX); vals--; }
    } else if (vals == words + 1) {
        r->ttl = num(opt, rt->tok[n - 1], UINT32_MAX);
        vals--;
    } else if (vals != words) {
        cli_usage_error("%s: a %s value takes %d word%s: '%s'", opt, rt->tok[1], words, words > 1 ? "s" : "", arg);
    }
    const char *const *v = (const char *const *)&rt->txt[0];
    for (int k = 0; k < vals; k++) rt->txt[k] = rt->tok[2 + k];
    switch (r->type) {
    case PC_DNS_T_A: cli_parse_ipv4(opt, v[0], r->a); break;
    case PC_DNS_T_AAAA: cli_parse_ipv6(opt, v[0], r->aaaa); break;
    case PC_DNS_T_CNAME: case PC_DNS_T_NS: case PC_DNS_T_PTR: r->target = v[0]; break;
    case PC_DNS_T_MX: r->mx.pref = (uint16_t)num(opt, v[0], 65535); r->mx.exchange = v[1]; break;
    case PC_DNS_T_SRV:
        r->srv.prio = (uint16_t)num(opt, v[0], 65535);
        r->srv.weight = (uint16_t)num(opt, v[1], 65535);
        r->srv.port = (uint16_t)num(opt, v[2], 65535);
        r->srv.target = v[3];
        break;
    case PC_DNS_T_SOA:
        r->soa.mname = v[0];
        r->soa.rname = v[1];
        r->soa.serial = num(opt, v[2], UINT32_MAX);
        r->soa.refresh = num(opt, v[3], UINT32_MAX);
        r->soa.retry = num(opt, v[4], UINT32_MAX);
        r->soa.expire = num(opt, v[5], UINT32_MAX);
        r->soa.minimum = num(opt, v[6], UINT32_MAX);
        break;
    case PC_DNS_T_TXT: r->txt.s = v; r->txt.n = (size_t)vals; break;
    case PC_DNS_T_CAA:
        r->caa.flags = (uint8_t)num(opt, v[0], 255);
        r->caa.tag = v[1];
        r->caa.value = v[2];
        break;
    default:
        r->raw.len = cli_parse_hex(opt, v[0], rt->raw, sizeof rt->raw);
        r->raw.data = rt->raw;
    }
}

static uint8_t parse_rcode(const char *s, uint16_t *ext)
{
    static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
    uint32_t v = 0;
    bool found = false;
    for (uint32_t k = 0; k < 6; k++)
        if (!strcasecmp(s, names[k])) { v = k; found = true; }
    if (!found) v = num("--rcode", s, 4095);
    *ext = (uint16_t)(v >> 4);
    return (uint8_t)(v & 15);
}

static void parse_ecs(struct dns_args *a, const char *arg)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", arg);
    char *slash = strchr(buf, '/');
    if (!slash) cli_usage_error("--ecs: '%s' is not ADDR/PREFIX", arg);
    *slash = 0;
    int v = cli_parse_ip("--ecs", buf, a->ecs.ecs.addr);
    a->ecs.code = PC_EDNS_OPT_ECS;
    a->ecs.ecs.family = v == 4 ? 1 : 2;
    a->ecs.ecs.source = (uint8_t)num("--ecs", slash + 1, v == 4 ? 32 : 128);
    a->e.opts = &a->ecs;
    a->e.nopts = 1;
    a->edns = true;
}

static void parse_opt(struct dns_args *a, int opt, const char *arg)
{
    uint16_t ext = 0;
    switch (opt) {
    case O_QNAME: snprintf(a->qname, sizeof a->qname, "%s", arg); a->have_q = true; break;
    case O_QTYPE: a->qtype = parse_type("--qtype", arg); break;
    case O_ANSWER: parse_rr(a, 0, "--answer", arg); break;
    case O_AUTH: parse_rr(a, 1, "--authority", arg); break;
    case O_ADDL: parse_rr(a, 2, "--additional", arg); break;
    case O_RCODE: a->rcode = parse_rcode(arg, &ext); a->e.ext_rcode = (uint8_t)ext; if (ext) a->edns = true; break;
    case O_EDNS: a->edns = true; break;
    case O_EDNS_SIZE: a->e.udp_size = (uint16_t)num("--edns-size", arg, 65535); a->edns = true; break;
    case O_EDNS_DO: a->e.do_bit = 1; a->edns = true; break;
    case O_ECS: parse_ecs(a, arg); break;
    case O_TCP: a->tcp = true; break;
    case O_ID: a->id = (long)num("--id", arg, 65535); break;
    case O_RESPONSE: a->response = true; break;
    case O_OPCODE: a->opcode = (uint8_t)num("--opcode", arg, 15); break;
    case O_AA: a->aa = 1; break;
    case O_TC: a->tc = 1; break;
    case O_NORD: a->rd = 0; break;
    case O_RA: a->ra = 1; break;
    case O_AD: a->ad = 1; break;
    case O_CD: a->cd = 1; break;
    case O_NOCOMP: a->no_compress = true; break;
    case O_MALFORM:
        if (!strcmp(arg, "loop")) a->malform = PC_DNS_MAL_LOOP;
        else if (!strcmp(arg, "fwdptr")) a->malform = PC_DNS_MAL_FWDPTR;
        else if (!strcmp(arg, "longlabel")) a->malform = PC_DNS_MAL_LONGLABEL;
        else cli_usage_error("--malform: '%s' is not loop, fwdptr or longlabel", arg);
        break;
    case CONV_OPT_SPORT: a->sport = craft_port_opt(&a->v.c, VF_SPORT, "--sport", arg); break;
    case CONV_OPT_DPORT: a->dport = craft_port_opt(&a->v.c, VF_DPORT, "--dport", arg); break;
    case O_EXCHANGE: break;
    default: cli_usage_error("bad option");
    }
}

/* One getopt result, kept for the second pass. */
struct seen_opt {
    int opt;
    char *arg;
    int optind, optopt;   /* as getopt left them, for cli_bad_option */
};

/* The long name of an option code, for messages. */
static const char *opt_name(int opt)
{
    for (const struct option *o = longopts; o->name; o++)
        if (o->val == opt) return o->name;
    return "?";
}

/* Without --exchange: the crafting options, --sport/--dport and the DNS
 * options, as before --exchange existed; the conversation's are refused. */
static void single_opt(struct dns_args *a, const struct seen_opt *s, char **argv)
{
    if (s->opt >= OPT_COMMON_END && s->opt < CONV_OPT_END && s->opt != CONV_OPT_SPORT && s->opt != CONV_OPT_DPORT)
        cli_usage_error("--%s: a conversation option, it needs --exchange", opt_name(s->opt));
    if (!craft_opt(&a->v.c, s->opt, s->arg, argv)) parse_opt(a, s->opt, s->arg);
}

static void exchange_opt(struct dns_args *a, const struct seen_opt *s, char **argv)
{
    if (s->opt == O_RESPONSE) cli_usage_error("--response: --exchange writes the response itself");
    if (s->opt < CONV_OPT_END && conv_opt(&a->v, s->opt, s->arg, argv)) return;
    parse_opt(a, s->opt, s->arg);
}

/* Two passes: the first finds --exchange and --tcp (which decide how the
 * options are taken), the second takes them in order, so that errors and
 * --help come out as they did in one pass. */
static void parse_args(struct dns_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->rt = store.rt;
    a->msg = store.msg;
    a->sport = a->id = -1;
    a->dport = 53;
    a->qtype = PC_DNS_T_A;
    a->rd = 1;
    a->e.udp_size = 1232;
    struct seen_opt *seen = calloc((size_t)argc + 1, sizeof *seen);
    if (!seen) cli_runtime_error("out of memory");
    size_t n = 0;
    bool tcp = false;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        seen[n++] = (struct seen_opt){ opt, optarg, optind, optopt };
        if (opt == O_EXCHANGE) a->exchange = true;
        if (opt == O_TCP) tcp = true;
    }
    int end = optind;
    if (a->exchange) {
        conv_init(&a->v, tcp ? 6 : 17, 53);
        a->v.layers |= CL_DNS;
    }
    else craft_init(&a->v.c);
    for (size_t i = 0; i < n; i++) {
        if (seen[i].opt == 'h') { help(); exit(EXIT_OK); }
        if (seen[i].opt == '?' || seen[i].opt == ':') {
            optind = seen[i].optind;
            optopt = seen[i].optopt;
            cli_bad_option(seen[i].opt, argv);
        }
        if (a->exchange) exchange_opt(a, &seen[i], argv);
        else single_opt(a, &seen[i], argv);
    }
    free(seen);
    if (end < argc) cli_usage_error("unexpected argument '%s'", argv[end]);
    if (a->exchange && !a->have_q) cli_usage_error("--exchange needs --qname (the question both messages carry)");
    if (!a->have_q && !a->nrr[0] && !a->nrr[1] && !a->nrr[2]) cli_usage_error("--qname is required (or records)");
    if (a->v.c.have_payload) cli_usage_error("the DNS message is the payload: --data/--hex do not apply");
    if (a->malform == PC_DNS_MAL_FWDPTR && !(a->nrr[0] + a->nrr[1] + a->nrr[2]) )
        cli_usage_error("--malform fwdptr needs a second name to point at: add an --answer");
    if (!a->exchange) craft_finish_args(&a->v.c, DNS_LAYERS);
}

/* ---------------------------------------------------------- exchange */

/* The response's records and rcode for the truth file, read back from
 * the encoded message as `extract dns` reads them. */
static void exchange_facts(void *ctx, struct pc_fmt *f)
{
    const struct dns_args *a = ctx;
    const uint8_t *m = a->msg[1] + (a->tcp ? 2 : 0);
    size_t len = a->msglen[1] - (a->tcp ? 2 : 0);
    static char data[65536];
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    pc_fmt_kobj_open(f, "dns");
    pc_fmt_kuint(f, "id", a->xid);
    pc_fmt_kstr(f, "qname", a->qname);
    pc_fmt_kstr(f, "qtype", pc_dns_type_name(a->qtype));
    char rc[16];
    snprintf(rc, sizeof rc, "%s", pc_dns_rcode_name((uint16_t)(a->e.ext_rcode << 4 | a->rcode)));
    for (char *p = rc; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
    pc_fmt_kstr(f, "rcode", rc);
    pc_fmt_karr_open(f, "answers");
    int st = pc_dns_iter_init(&it, m, len);
    while (st == 0 && pc_dns_iter_next(&it, &rr) == 1) {
        if (rr.section != PC_DNS_SEC_AN) continue;
        pc_fmt_kobj_open(f, NULL);
        pc_fmt_kstr(f, "name", rr.name);
        pc_fmt_kstr(f, "type", pc_dns_type_name(rr.type));
        char cls[16];
        if (rr.rclass == PC_DNS_C_IN) snprintf(cls, sizeof cls, "IN");
        else snprintf(cls, sizeof cls, "CLASS%u", rr.rclass);
        pc_fmt_kstr(f, "class", cls);
        pc_fmt_kuint(f, "ttl", rr.ttl);
        int n = pc_dns_rdata_text(m, len, &rr, data, sizeof data, NULL);
        if (n >= 0) pc_fmt_kbytes_str(f, "data", (const uint8_t *)data, (size_t)n);
        else pc_fmt_knull(f, "data");
        pc_fmt_kobj_close(f);
    }
    pc_fmt_karr_close(f);
    pc_fmt_kobj_close(f);
}

static void encode(struct dns_args *a, int which, const struct pc_dns *d)
{
    int n = pc_dns_encode(d, a->msg[which], sizeof a->msg[which]);
    if (n < 0)
        cli_usage_error("cannot encode the DNS %s: %s (check names: labels up to 63 bytes, names up to 255)",
                        which ? "response" : "query", pc_strerror(n));
    a->msglen[which] = (size_t)n;
}

/* The query (RD, CD and EDNS as the client sends them) and its response
 * (same id and question, QR and RA set, the records, the flags and rcode
 * of the options); --set/--corrupt dns.* act on the response. */
static int run_exchange(struct dns_args *a)
{
    struct pc_rng r;
    pc_rng_seed(&r, a->v.c.seed ^ UINT64_C(0x646e73));
    a->xid = a->id >= 0 ? (uint16_t)a->id : (uint16_t)pc_rng_next(&r);
    struct pc_dns_question q = { .name = a->qname, .type = a->qtype, .qclass = PC_DNS_C_IN };
    struct pc_dns_edns qe = a->e;
    qe.ext_rcode = 0;
    struct pc_dns qry = { .id = a->xid, .opcode = a->opcode, .rd = a->rd, .cd = a->cd, .qd = &q, .nqd = 1,
                          .edns = a->edns ? &qe : NULL, .no_compress = a->no_compress, .tcp = a->tcp };
    struct pc_dns rsp = { .id = a->xid, .qr = 1, .opcode = a->opcode, .aa = a->aa, .tc = a->tc, .rd = a->rd,
                          .ra = 1, .ad = a->ad, .cd = a->cd, .rcode = a->rcode, .qd = &q, .nqd = 1,
                          .an = a->rr[0], .nan = a->nrr[0], .ns = a->rr[1], .nns = a->nrr[1],
                          .ar = a->rr[2], .nar = a->nrr[2], .edns = a->edns ? &a->e : NULL,
                          .no_compress = a->no_compress, .malform = a->malform, .tcp = a->tcp };
    craft_apply(&a->v.c, "dns", &rsp);
    encode(a, 0, &qry);
    encode(a, 1, &rsp);
    conv_add_step(&a->v, PC_CONV_CLIENT, a->msg[0], a->msglen[0], 0);
    conv_add_step(&a->v, PC_CONV_SERVER, a->msg[1], a->msglen[1], 0);
    return conv_run(&a->v, exchange_facts, a);
}

int cmd_dns(int argc, char **argv)
{
    static struct dns_args a;
    parse_args(&a, argc, argv);
    if (a.exchange) return run_exchange(&a);
    if (!a.tcp) craft_expect(&a.v.c, "udp");
    uint32_t base = a.sport >= 0 ? (uint32_t)a.sport : 1024 + (uint32_t)pc_rng_below(&a.v.c.rng, 65536 - 1024);
    craft_open(&a.v.c, PC_LINK_ETHERNET);
    static uint8_t frame[CRAFT_FRAME_CAP];
    struct pc_dns_question q = { .name = a.qname, .type = a.qtype, .qclass = PC_DNS_C_IN };
    for (uint64_t i = 0; i < a.v.c.count; i++) {
        struct pc_pkt pk;
        craft_begin(&a.v.c, &pk, frame, sizeof frame, true);
        uint16_t r_id = (uint16_t)pc_rng_next(&a.v.c.rng);
        uint32_t r_seq = (uint32_t)pc_rng_next(&a.v.c.rng);
        long vs = craft_port(&a.v.c, VF_SPORT), vd = craft_port(&a.v.c, VF_DPORT);
        uint16_t sport = vs >= 0 ? (uint16_t)vs : (uint16_t)((base + i) & 0xFFFF);
        a.dport = vd >= 0 ? (uint16_t)vd : a.dport;
        if (a.tcp) {
            struct pc_tcp t = { .sport = sport, .dport = a.dport, .flags = PC_TCP_PSH | PC_TCP_ACK, .seq = r_seq,
                                .ack = 1, .win = 64240 };
            craft_apply(&a.v.c, "tcp", &t);
            pc_push_tcp(&pk, &t);
        } else {
            struct pc_udp u = { .sport = sport, .dport = a.dport };
            craft_apply(&a.v.c, "udp", &u);
            pc_push_udp(&pk, &u);
        }
        struct pc_dns d = { .id = a.id >= 0 ? (uint16_t)a.id : r_id,
                            .qr = (a.response || a.nrr[0] || a.nrr[1]) ? 1 : 0, .opcode = a.opcode,
                            .aa = a.aa, .tc = a.tc, .rd = a.rd, .ra = a.ra, .ad = a.ad, .cd = a.cd,
                            .rcode = a.rcode, .qd = a.have_q ? &q : NULL, .nqd = a.have_q ? 1 : 0,
                            .an = a.rr[0], .nan = a.nrr[0], .ns = a.rr[1], .nns = a.nrr[1],
                            .ar = a.rr[2], .nar = a.nrr[2], .edns = a.edns ? &a.e : NULL,
                            .no_compress = a.no_compress, .malform = a.malform, .tcp = a.tcp };
        craft_apply(&a.v.c, "dns", &d);
        if (pc_push_dns(&pk, &d) < 0 && i == 0) {
            pc_writer_abort(a.v.c.w);
            cli_usage_error("cannot encode the DNS message: %s (check names: labels up to 63 bytes, names up to 255)",
                            pc_strerror(pk.err));
        }
        craft_finish(&a.v.c, &pk, i);
    }
    craft_close(&a.v.c);
    return EXIT_OK;
}
