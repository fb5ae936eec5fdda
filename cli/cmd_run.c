/* pktcraft run SCRIPT: a scenario script (cli/script.h) made into one
 * capture.  Each packet statement runs the crafting command it names, in
 * this process, with its frames handed to a sink (craft.h) instead of a
 * file; the run keeps every frame, sorts them by time (statements in a
 * parallel block overlap) and writes the capture at the end, so a failing
 * statement leaves no output behind. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "capfile.h"
#include "craft.h"
#include "parse.h"
#include "script.h"
#include "pktcraft/core/decode.h"
#include "pktcraft/wire/tcp.h"

#define RUN_MAX_PARAMS 256
#define RUN_MAX_HOSTS 256
#define RUN_MAX_BYTES (UINT64_C(512) << 20) /* frames kept in memory to interleave them */
#define RUN_MAX_ARGS (SC_MAX_WORDS + 32)

static const struct {
    const char *name;
    int (*fn)(int, char **);
    bool conv; /* a conversation: takes --rtt */
} commands[] = {
    { "syn", cmd_syn, false }, { "tcp", cmd_tcp, false }, { "udp", cmd_udp, false },
    { "icmp", cmd_icmp, false }, { "icmp6", cmd_icmp6, false }, { "arp", cmd_arp, false },
    { "dns", cmd_dns, false }, { "raw", cmd_raw, false }, { "session", cmd_session, true },
    { "http", cmd_http, true }, { "tls", cmd_tls, true }, { "dhcp", cmd_dhcp, true }, { "ntp", cmd_ntp, true },
};

struct param {
    char name[SC_MAX_NAME];
    const char *value;
    bool from_cli;
    bool declared;
};

struct host {
    const struct sc_node *decl;
    const char *name, *ip, *mac, *vlan; /* words of the declaration, unexpanded */
};

struct rpkt {
    pc_time_ns ts;
    uint64_t seq;    /* ties keep the order they were made in */
    uint64_t off;    /* frame bytes, then comment bytes, in the arena */
    uint32_t caplen, len, flags, comment_len;
    bool has_comment;
    uint32_t stmt;   /* index into run.stmts */
};

struct stmt {
    int line;
    char *cmdline;   /* the command as it ran, for --explain */
    pc_time_ns first, last;
    uint64_t npkts;
};

struct run {
    const char *path, *out;
    int format;
    bool explain;
    const char *ifname;
    struct script sc;
    char *text;
    struct param params[RUN_MAX_PARAMS];
    int nparams;
    struct host hosts[RUN_MAX_HOSTS];
    int nhosts;
    struct { const char *name; char value[256]; } vars[SC_MAX_DEPTH];
    int nvars;
    pc_time_ns t0;
    bool have_start;     /* --start given (it beats the script's start) */
    uint64_t seed;
    bool have_seed;
    bool started;        /* a packet statement ran: start may no longer change */
    uint64_t executed;   /* packet statements run so far: each gets its own seed */
    /* frames */
    struct rpkt *pk;
    size_t npk, cappk;
    uint8_t *data;
    uint64_t dlen, dcap;
    int linktype;        /* -1 until the first statement opens */
    struct stmt *stmts;
    size_t nstmts, capstmts;
    /* where messages point */
    const struct sc_node *cur;
    char **argv;
    const struct sc_word **argw; /* the word each argv entry came from (NULL: added by run) */
    int argc;
};

static struct run R;

/* Timing that blocks scope: a block's gap or rtt ends with the block. */
struct clock {
    pc_time_ns t;
    int64_t gap;
    int64_t rtt;         /* -1: the command's default */
    uint64_t rate;       /* 0: the command's default */
};

static void help(void)
{
    printf("Usage: pktcraft run SCRIPT -o FILE [OPTIONS]\n"
           "       pktcraft run --explain SCRIPT\n\n"
           "Make one capture from a scenario script: hosts, packets and conversations,\n"
           "timing, repetition, parallel flows. Each packet statement is a crafting command\n"
           "(syn tcp udp icmp icmp6 arp dns raw session http tls dhcp ntp) with its options,\n"
           "written as on the command line. See the README, \"Scenario scripts\".\n\n"
           "Options:\n"
           "  -o, --output FILE          capture file ('-' for stdout; alias -w)\n"
           "  -F pcap|nsecpcap|pcapng    capture format (default pcap)\n"
           "      --param NAME=VALUE     set a parameter the script declares (repeatable)\n"
           "      --start TIME           the script's start time (beats its 'start')\n"
           "      --seed N               the script's seed (beats its 'seed'; default 1)\n"
           "      --interface NAME       the interface name recorded (pcapng if_name)\n"
           "      --explain              print the plan (statements, then packets), write nothing\n"
           "  -h, --help                 show this help\n\n"
           "Script statements, one per line ('#' comments, '\\' continues a line):\n"
           "  param NAME = VALUE         a parameter; $NAME or ${NAME} in any later word\n"
           "  host NAME ip=ADDR [mac=MAC] [vlan=ID]   a host to name in FROM -> TO\n"
           "  start TIME, seed N         the first timestamp; the seed of every statement\n"
           "  gap DURATION               time after a statement's last packet (default 1ms)\n"
           "  rtt DURATION               the conversations' round-trip time\n"
           "  rate PPS                   packets per second of the single-packet commands\n"
           "  wait DURATION, at OFFSET   move the clock on; jump to start + OFFSET\n"
           "  repeat N [as VAR] { ... }  N times; $VAR (default $i) counts 1..N\n"
           "  for VAR in ITEM,... { ... } once per item: a word, 1-100, 10.0.0.1-10.0.0.9\n"
           "  parallel { ... }           every member starts at the same time ('{ ... }'\n"
           "                             groups statements into one member)\n"
           "  COMMAND [FROM -> TO] [OPTION ...]   FROM/TO: HOST[:PORTS] or ADDR[:PORTS]\n\n"
           "Examples:\n"
           "  pktcraft run examples/scripts/web-page.pcs -o web.pcapng -F pcapng\n"
           "  pktcraft run examples/scripts/port-scan.pcs --param target=10.0.0.9 -o scan.pcap\n"
           "  pktcraft run --explain examples/scripts/tls-loss.pcs\n");
}

/* ------------------------------------------------------------ messages */

static int word_col(const struct sc_word *w) { return w ? w->col : 0; }

/* The column a command's message is about: the word getopt was reading,
 * else the first option the message names, else the statement. */
static void where_cmd(const char *msg, int *line, int *col)
{
    *line = R.cur->line;
    *col = R.cur->col;
    if (!R.argv) return;
    if (!craft_args_done && optind > 0 && optind <= R.argc && R.argw[optind - 1]) {
        *line = R.argw[optind - 1]->line;
        *col = word_col(R.argw[optind - 1]);
        return;
    }
    for (const char *p = strstr(msg, "--"); p; p = strstr(p + 2, "--")) {
        size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-") + 2;
        for (int i = 1; i < R.argc; i++) {
            if (!R.argw[i] || strncmp(R.argv[i], p, n) || (R.argv[i][n] && R.argv[i][n] != '=')) continue;
            *line = R.argw[i]->line;
            *col = R.argw[i]->col;
            return;
        }
    }
}

static void run_where(const char *msg, char *out, size_t cap)
{
    if (!R.cur) { snprintf(out, cap, "%s: ", R.path); return; }
    int line, col;
    where_cmd(msg, &line, &col);
    snprintf(out, cap, "%s:%d:%d: %s%s", R.path, line, col, R.argv ? R.argv[0] : "", R.argv ? ": " : "");
}

/* A script error at a word (or the statement when w is NULL): exit 2. */
static _Noreturn void werr(const struct sc_word *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void werr(const struct sc_word *w, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_where = NULL;
    cli_usage_error("%s:%d:%d: %s", R.path, w ? w->line : R.cur ? R.cur->line : 1, w ? w->col : R.cur ? R.cur->col : 1, msg);
}

/* ------------------------------------------------------------ words */

static const char *lookup(void *ctx, const char *name)
{
    (void)ctx;
    for (int i = R.nvars - 1; i >= 0; i--)
        if (!strcmp(R.vars[i].name, name)) return R.vars[i].value;
    for (int i = 0; i < R.nparams; i++)
        if (!strcmp(R.params[i].name, name)) return R.params[i].value;
    return NULL;
}

/* A word with its $NAME references replaced: a new string. */
static char *expand(const struct sc_word *w)
{
    static char buf[SC_MAX_EXPANDED];
    size_t bad = 0;
    int n = sc_expand(w->text, lookup, NULL, buf, sizeof buf, &bad);
    if (n == -1) {
        const char *s = w->text + bad + 1 + (w->text[bad + 1] == '{');
        werr(w, "$%.*s: no such parameter or variable", (int)strcspn(s, "}$ ./:,-"), s);
    }
    if (n == -3) werr(w, "a '$' not followed by a name (write \\$ or '$' for a dollar sign)");
    if (n < 0) werr(w, "longer than %d bytes once $NAMEs are expanded", SC_MAX_EXPANDED - 1);
    char *s = strdup(buf);
    if (!s) cli_runtime_error("out of memory");
    return s;
}

/* ------------------------------------------------------------ declarations */

static struct param *find_param(const char *name)
{
    for (int i = 0; i < R.nparams; i++)
        if (!strcmp(R.params[i].name, name)) return &R.params[i];
    return NULL;
}

/* --param NAME=VALUE, before the script is read: checked against the
 * script's declarations once they are known. */
static void cli_param(const char *arg)
{
    const char *eq = strchr(arg, '=');
    char name[SC_MAX_NAME];
    if (!eq || (size_t)(eq - arg) >= sizeof name) cli_usage_error("--param: '%s' is not NAME=VALUE", arg);
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    if (!sc_is_name(name)) cli_usage_error("--param: '%s' is not a parameter name", name);
    struct param *p = find_param(name);
    if (!p) {
        if (R.nparams == RUN_MAX_PARAMS) cli_usage_error("--param: at most %d parameters", RUN_MAX_PARAMS);
        p = &R.params[R.nparams++];
        snprintf(p->name, sizeof p->name, "%s", name);
    }
    p->value = eq + 1;
    p->from_cli = true;
}

static void declare_param(const struct sc_node *n)
{
    struct param *p = find_param(n->w[1].text);
    if (p && p->declared) werr(&n->w[1], "param %s is declared twice", n->w[1].text);
    if (!p) {
        if (R.nparams == RUN_MAX_PARAMS) werr(&n->w[0], "at most %d parameters", RUN_MAX_PARAMS);
        p = &R.params[R.nparams++];
        snprintf(p->name, sizeof p->name, "%s", n->w[1].text);
    }
    p->declared = true;
    if (!p->from_cli) p->value = expand(&n->w[2]); /* earlier parameters may be used */
}

static struct host *find_host(const char *name)
{
    for (int i = 0; i < R.nhosts; i++)
        if (!strcmp(R.hosts[i].name, name)) return &R.hosts[i];
    return NULL;
}

static void declare_host(const struct sc_node *n)
{
    if (find_host(n->w[1].text)) werr(&n->w[1], "host %s is declared twice", n->w[1].text);
    if (R.nhosts == RUN_MAX_HOSTS) werr(&n->w[0], "at most %d hosts", RUN_MAX_HOSTS);
    struct host *h = &R.hosts[R.nhosts++];
    *h = (struct host){ .decl = n, .name = n->w[1].text };
    for (int i = 2; i < n->nw; i++) {
        const char *t = n->w[i].text;
        if (!strncmp(t, "ip=", 3)) h->ip = t + 3;
        else if (!strncmp(t, "mac=", 4)) h->mac = t + 4;
        else h->vlan = t + 5;
    }
}

static void set_time(const struct sc_node *n, pc_time_ns *out)
{
    char *v = expand(&n->w[1]), msg[512];
    if (cli_try_time(n->w[0].text, v, out, msg, sizeof msg) < 0) werr(&n->w[1], "%s", msg);
    free(v);
}

/* The top level's declarations, in a first pass: a parameter or host may
 * be used before the line that declares it. */
static void declarations(void)
{
    for (const struct sc_node *n = R.sc.first; n; n = n->next) {
        if (n->kind == SC_PARAM) declare_param(n);
        else if (n->kind == SC_HOST) declare_host(n);
    }
    for (int i = 0; i < R.nparams; i++)
        if (!R.params[i].declared)
            cli_usage_error("--param %s: %s declares no such parameter", R.params[i].name, R.path);
    bool start = false, seed = false;
    for (const struct sc_node *n = R.sc.first; n; n = n->next) {
        if (n->kind == SC_START) {
            if (start) werr(&n->w[0], "start is given twice");
            start = true;
            pc_time_ns t;
            set_time(n, &t);
            if (!R.have_start) R.t0 = t;
        } else if (n->kind == SC_SEED) {
            if (seed) werr(&n->w[0], "seed is given twice");
            seed = true;
            char *v = expand(&n->w[1]), msg[512];
            uint64_t s;
            if (cli_try_uint("seed", v, UINT64_MAX, &s, msg, sizeof msg) < 0) werr(&n->w[1], "%s", msg);
            if (!R.have_seed) R.seed = s;
            free(v);
        }
    }
}

/* ------------------------------------------------------------ statements */

struct args {
    char *v[RUN_MAX_ARGS + 1];
    const struct sc_word *w[RUN_MAX_ARGS + 1];
    int n;
};

static void add_arg(struct args *a, const struct sc_word *w, char *s)
{
    if (a->n == RUN_MAX_ARGS) werr(w, "too many words once hosts and options are filled in");
    a->v[a->n] = s;
    a->w[a->n] = w;
    a->n++;
}

static void add_arg2(struct args *a, const struct sc_word *w, const char *opt, const char *val)
{
    char *o = strdup(opt), *v = strdup(val);
    if (!o || !v) cli_runtime_error("out of memory");
    add_arg(a, w, o);
    add_arg(a, w, v);
}

static bool given(const struct args *a, const char *opt)
{
    size_t n = strlen(opt);
    for (int i = 1; i < a->n; i++)
        if (!strncmp(a->v[i], opt, n) && (!a->v[i][n] || a->v[i][n] == '=')) return true;
    return false;
}

/* FROM or TO: HOST[:PORTS], [ADDR]:PORTS, ADDR:PORTS (IPv4) or ADDR (IPv6,
 * a range, a CIDR, random[:CIDR]).  Fills the options for that end. */
static void endpoint(struct args *a, const struct sc_word *w, bool from, const char **vlan)
{
    char *s = expand(w), *ports = NULL, *addr = s;
    struct host *h = NULL;
    char *colon = strchr(s, ':');
    if (s[0] == '[') {
        char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':')) werr(w, "'%s' is not [ADDRESS] or [ADDRESS]:PORTS", s);
        *close = 0;
        addr = s + 1;
        if (close[1]) ports = close + 2;
    } else {
        if (colon) *colon = 0;
        h = find_host(s);
        if (colon && (h || (!strchr(colon + 1, ':') && strcmp(s, "random")))) ports = colon + 1;
        else if (colon) *colon = ':';
    }
    if (!h && sc_is_name(addr) && strcmp(addr, "random") && !strchr(addr, '.'))
        werr(w, "'%s' is not a declared host (declare it: host %s ip=ADDR)", addr, addr);
    if (ports && !*ports) werr(w, "'%s': no port after ':'", w->text);
    if (h) {
        struct sc_word hw = *w;
        hw.text = (char *)h->ip;
        char *ip = expand(&hw);
        add_arg2(a, w, from ? "--src" : "--dst", ip);
        free(ip);
        if (h->mac) {
            hw.text = (char *)h->mac;
            char *mac = expand(&hw);
            add_arg2(a, w, from ? "--smac" : "--dmac", mac);
            free(mac);
        }
        if (h->vlan && !*vlan) *vlan = h->vlan;
    } else {
        add_arg2(a, w, from ? "--src" : "--dst", addr);
    }
    if (ports) add_arg2(a, w, from ? "--sport" : "--dport", ports);
    free(s);
}

/* Options a statement may not give: the run owns them. */
static void refuse_owned(const struct args *a)
{
    static const struct { const char *opt, *why; } owned[] = {
        { "-o", "the run writes one capture: give -o to 'pktcraft run'" },
        { "-w", "the run writes one capture: give -o to 'pktcraft run'" },
        { "--output", "the run writes one capture: give -o to 'pktcraft run'" },
        { "-F", "the capture format is the run's: give -F to 'pktcraft run'" },
        { "--append", "the run writes one capture" },
        { "--start", "a statement starts where the script's clock is: use 'at OFFSET' or 'wait DURATION'" },
        { "--interface", "the interface name is the run's: give --interface to 'pktcraft run'" },
        { "-h", "help is 'pktcraft COMMAND --help'" },
        { "--help", "help is 'pktcraft COMMAND --help'" },
    };
    for (int i = 1; i < a->n; i++) {
        if (!a->w[i]) continue;
        for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++) {
            size_t n = strlen(owned[k].opt);
            bool hit = !strncmp(a->v[i], owned[k].opt, n) &&
                       (!a->v[i][n] || a->v[i][n] == '=' || (owned[k].opt[1] != '-' && a->v[i][1] != '-'));
            if (hit) werr(a->w[i], "%s: %s", owned[k].opt, owned[k].why);
        }
    }
}

static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static char *fmt_start(pc_time_ns t)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%lld.%09lld", (long long)(t / 1000000000), (long long)(t % 1000000000));
    return strdup(buf);
}

/* The command line of a statement: the command, FROM -> TO made into
 * options, the words as written, then what the run fills in. */
static int build_args(struct args *a, const struct sc_node *n, const struct clock *ck, size_t *cmd)
{
    a->n = 0;
    *cmd = SIZE_MAX;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (!strcmp(commands[k].name, n->w[0].text)) *cmd = k;
    if (*cmd == SIZE_MAX)
        werr(&n->w[0], "'%s' is not a keyword or a crafting command (syn tcp udp icmp icmp6 arp dns raw session "
                       "http tls dhcp ntp)", n->w[0].text);
    add_arg(a, &n->w[0], strdup(n->w[0].text));
    int first = 1;
    const char *vlan = NULL;
    if (n->nw >= 4 && !n->w[2].quoted && !strcmp(n->w[2].text, "->")) {
        endpoint(a, &n->w[1], true, &vlan);
        endpoint(a, &n->w[3], false, &vlan);
        first = 4;
    }
    for (int i = first; i < n->nw; i++) add_arg(a, &n->w[i], expand(&n->w[i]));
    refuse_owned(a);
    if (vlan && !given(a, "--vlan")) add_arg2(a, NULL, "--vlan", vlan);
    /* pcap holds microseconds: a statement starts on the next one */
    pc_time_ns t = R.format == PC_FORMAT_PCAP_US ? (ck->t + 999) / 1000 * 1000 : ck->t;
    add_arg(a, NULL, strdup("--start"));
    add_arg(a, NULL, fmt_start(t));
    if (!given(a, "--seed")) {
        char s[24];
        snprintf(s, sizeof s, "%llu", (unsigned long long)mix(R.seed ^ mix(R.executed)));
        add_arg2(a, NULL, "--seed", s);
    }
    bool conv = commands[*cmd].conv || (!strcmp(n->w[0].text, "dns") && given(a, "--exchange"));
    bool packets = !conv && strcmp(n->w[0].text, "raw");
    if (ck->rate && packets && !given(a, "--rate") && !given(a, "--gap")) {
        char s[32];
        snprintf(s, sizeof s, "%llu", (unsigned long long)ck->rate);
        add_arg2(a, NULL, "--rate", s);
    }
    if (ck->rtt >= 0 && conv && !given(a, "--rtt")) {
        char s[32];
        snprintf(s, sizeof s, "%lldns", (long long)ck->rtt);
        add_arg2(a, NULL, "--rtt", s);
    }
    a->v[a->n] = NULL;
    for (int i = 0; i < a->n; i++)
        if (!a->v[i]) cli_runtime_error("out of memory");
    return a->n;
}

static char *join(const struct args *a)
{
    size_t len = 1;
    for (int i = 0; i < a->n; i++) len += strlen(a->v[i]) * 4 + 3;
    char *s = malloc(len), *p = s;
    if (!s) cli_runtime_error("out of memory");
    for (int i = 0; i < a->n; i++) {
        bool q = !*a->v[i] || strpbrk(a->v[i], " \t'\"\\$#*?;&|<>(){}") != NULL;
        if (i) *p++ = ' ';
        if (q) *p++ = '\'';
        for (const char *c = a->v[i]; *c; c++) {
            if (*c == '\'' && q) { memcpy(p, "'\\''", 4); p += 4; }
            else *p++ = *c;
        }
        if (q) *p++ = '\'';
    }
    *p = 0;
    return s;
}

/* ------------------------------------------------------------ the sink */

static void sink_open(void *ctx, int linktype)
{
    (void)ctx;
    if (R.linktype < 0) R.linktype = linktype;
    else if (R.linktype != linktype)
        cli_usage_error("this statement makes link type %d, earlier ones %d: one capture has one link type", linktype,
                        R.linktype);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return p;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(p, n * size);
    if (!q) cli_runtime_error("out of memory");
    *cap = n;
    return q;
}

static void sink_write(void *ctx, const struct pc_wpacket *p)
{
    (void)ctx;
    uint64_t need = R.dlen + p->caplen + (p->comment ? p->comment_len : 0);
    if (need > RUN_MAX_BYTES)
        cli_runtime_error("the script makes more than %llu MiB of packets: a run keeps them in memory to interleave "
                          "parallel statements; split the script", (unsigned long long)(RUN_MAX_BYTES >> 20));
    if (need > R.dcap) {
        size_t cap = (size_t)R.dcap;
        R.data = grow(R.data, &cap, (size_t)need, 1);
        R.dcap = cap;
    }
    R.pk = grow(R.pk, &R.cappk, R.npk + 1, sizeof *R.pk);
    struct rpkt *k = &R.pk[R.npk];
    *k = (struct rpkt){ .ts = p->ts, .seq = R.npk, .off = R.dlen, .caplen = p->caplen, .len = p->len,
                        .flags = p->flags, .has_comment = p->comment != NULL,
                        .comment_len = p->comment ? p->comment_len : 0, .stmt = (uint32_t)R.nstmts - 1 };
    memcpy(R.data + R.dlen, p->data, p->caplen);
    if (p->comment) memcpy(R.data + R.dlen + p->caplen, p->comment, p->comment_len);
    R.dlen = need;
    R.npk++;
    struct stmt *s = &R.stmts[R.nstmts - 1];
    if (!s->npkts || p->ts < s->first) s->first = p->ts;
    if (!s->npkts || p->ts > s->last) s->last = p->ts;
    s->npkts++;
}

/* ------------------------------------------------------------ running */

static void exec_list(const struct sc_node *n, struct clock *ck);
static void exec_one(const struct sc_node *n, struct clock *ck);

static void run_cmd(const struct sc_node *n, struct clock *ck)
{
    static struct args a;
    size_t cmd;
    R.cur = n;
    build_args(&a, n, ck, &cmd);
    R.stmts = grow(R.stmts, &R.capstmts, R.nstmts + 1, sizeof *R.stmts);
    R.stmts[R.nstmts++] = (struct stmt){ .line = n->line, .cmdline = join(&a) };
    R.argv = a.v;
    R.argw = a.w;
    R.argc = a.n;
    craft_args_done = false;
    cli_where = run_where;
    optind = 0; /* a fresh getopt for each command */
    R.started = true;
    R.executed++;
    int rc = commands[cmd].fn(a.n, a.v);
    cli_where = NULL;
    R.argv = NULL;
    if (rc) exit(rc);
    for (int i = 0; i < a.n; i++) free(a.v[i]);
    const struct stmt *s = &R.stmts[R.nstmts - 1];
    if (s->npkts) ck->t = s->last + ck->gap;
}

static int64_t duration(const struct sc_node *n)
{
    char *v = expand(&n->w[1]), msg[512];
    int64_t d;
    if (cli_try_duration(n->w[0].text, v, &d, msg, sizeof msg) < 0) werr(&n->w[1], "%s", msg);
    free(v);
    return d;
}

static uint64_t rate(const struct sc_node *n)
{
    char *v = expand(&n->w[1]), msg[512];
    uint64_t r;
    if (cli_try_uint("rate", v, 1000000000, &r, msg, sizeof msg) < 0 || !r)
        werr(&n->w[1], "rate: '%s' is not a packet rate from 1 to 1000000000 per second", v);
    free(v);
    return r;
}

static uint64_t repeat_count(const struct sc_node *n)
{
    char *v = expand(&n->w[1]);
    char *end;
    errno = 0;
    unsigned long long c = strtoull(v, &end, 10);
    if (!*v || *end || errno || *v == '-' || c > 1000000) werr(&n->w[1], "repeat: '%s' is not a count from 0 to 1000000", v);
    free(v);
    return c;
}

/* A loop's body: its own scope for gap and rtt, the clock carried on. */
static void body(const struct sc_node *n, struct clock *ck)
{
    struct clock inner = *ck;
    exec_list(n->child, &inner);
    ck->t = inner.t;
}

static void exec_repeat(const struct sc_node *n, struct clock *ck)
{
    uint64_t count = repeat_count(n);
    int slot = R.nvars++;
    R.vars[slot].name = n->nw == 5 ? n->w[3].text : "i";
    for (uint64_t k = 1; k <= count; k++) {
        snprintf(R.vars[slot].value, sizeof R.vars[slot].value, "%llu", (unsigned long long)k);
        body(n, ck);
    }
    R.nvars--;
}

#define RUN_MAX_ITEMS 1000000

/* A-B with two decimal numbers, A <= B. */
static bool num_range(const char *s, uint64_t *lo, uint64_t *hi)
{
    char *end;
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    *lo = strtoull(s, &end, 10);
    if (*end != '-' || end[1] < '0' || end[1] > '9' || errno) return false;
    *hi = strtoull(end + 1, &end, 10);
    return !*end && !errno && *lo <= *hi;
}

/* A-B with two IPv4 addresses, A <= B. */
static bool ip4_range(const char *s, uint32_t *lo, uint32_t *hi)
{
    const char *dash = strchr(s, '-');
    char a[32], err[256];
    uint8_t x[4], y[4];
    if (!dash || (size_t)(dash - s) >= sizeof a) return false;
    memcpy(a, s, (size_t)(dash - s));
    a[dash - s] = 0;
    if (cli_try_ipv4("for", a, x, err, sizeof err) < 0 || cli_try_ipv4("for", dash + 1, y, err, sizeof err) < 0)
        return false;
    *lo = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | x[3];
    *hi = (uint32_t)y[0] << 24 | (uint32_t)y[1] << 16 | (uint32_t)y[2] << 8 | y[3];
    return *lo <= *hi;
}

static void for_value(const struct sc_node *n, int slot, const char *v, struct clock *ck, uint64_t *count)
{
    if (++*count > RUN_MAX_ITEMS) werr(&n->w[3], "for: more than %d items", RUN_MAX_ITEMS);
    if (strlen(v) >= sizeof R.vars[slot].value) werr(&n->w[3], "for: the item '%.40s...' is too long", v);
    snprintf(R.vars[slot].value, sizeof R.vars[slot].value, "%s", v);
    body(n, ck);
}

/* for VAR in ITEM,...: each item a word, a number range or an address range. */
static void exec_for(const struct sc_node *n, struct clock *ck)
{
    char *list = expand(&n->w[3]);
    int slot = R.nvars++;
    R.vars[slot].name = n->w[1].text;
    uint64_t count = 0;
    char *save = NULL;
    for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        uint64_t lo, hi;
        uint32_t a, b;
        char v[32];
        if (num_range(item, &lo, &hi)) {
            for (uint64_t k = lo; k <= hi && count <= RUN_MAX_ITEMS; k++) {
                snprintf(v, sizeof v, "%llu", (unsigned long long)k);
                for_value(n, slot, v, ck, &count);
            }
        } else if (ip4_range(item, &a, &b)) {
            for (uint64_t k = a; k <= b && count <= RUN_MAX_ITEMS; k++) {
                snprintf(v, sizeof v, "%u.%u.%u.%u", (unsigned)(k >> 24), (unsigned)(k >> 16 & 255),
                         (unsigned)(k >> 8 & 255), (unsigned)(k & 255));
                for_value(n, slot, v, ck, &count);
            }
        } else {
            for_value(n, slot, item, ck, &count);
        }
    }
    if (!count) werr(&n->w[3], "for: no items");
    R.nvars--;
    free(list);
}

/* Every member starts at the block's time; the clock goes on from the
 * member that ends last. */
static void exec_parallel(const struct sc_node *n, struct clock *ck)
{
    pc_time_ns end = ck->t;
    for (const struct sc_node *m = n->child; m; m = m->next) {
        struct clock member = *ck;
        exec_one(m, &member);
        if (member.t > end) end = member.t;
    }
    ck->t = end;
}

static void exec_one(const struct sc_node *n, struct clock *ck)
{
    switch (n->kind) {
    case SC_CMD: run_cmd(n, ck); break;
    case SC_GAP: ck->gap = duration(n); break;
    case SC_RTT: ck->rtt = duration(n); break;
    case SC_RATE: ck->rate = rate(n); break;
    case SC_WAIT: ck->t += duration(n); break;
    case SC_AT: ck->t = R.t0 + duration(n); break;
    case SC_REPEAT: exec_repeat(n, ck); break;
    case SC_FOR: exec_for(n, ck); break;
    case SC_PARALLEL: exec_parallel(n, ck); break;
    case SC_BLOCK: body(n, ck); break;
    default: break; /* declarations: done before the run */
    }
}

static void exec_list(const struct sc_node *n, struct clock *ck)
{
    for (; n; n = n->next) exec_one(n, ck);
}

/* ------------------------------------------------------------ output */

static int by_time(const void *x, const void *y)
{
    const struct rpkt *a = x, *b = y;
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void fmt_rel(pc_time_ns t, char out[32])
{
    pc_time_ns d = t - R.t0;
    snprintf(out, 32, "%s%lld.%09lld", d < 0 ? "-" : "+", (long long)(d < 0 ? -d : d) / 1000000000,
             (long long)(d < 0 ? -d : d) % 1000000000);
}

/* One line per packet: addresses, ports and what the packet is. */
static void summary(const struct rpkt *k, char *out, size_t cap)
{
    static struct pc_decoded d;
    pc_decode(&d, R.data + k->off, k->caplen, k->len, R.linktype);
    struct pc_summary s;
    pc_decode_summary(&d, &s);
    size_t n = 0;
    for (int i = 0; i < d.n && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "/" : "", pc_proto_name(d.l[i].proto));
    if (s.ip < 0 || n >= cap) return;
    char src[46], dst[46];
    pc_summary_addr(&s, 0, src);
    pc_summary_addr(&s, 1, dst);
    if (s.l4_proto == PC_P_TCP || s.l4_proto == PC_P_UDP)
        n += (size_t)snprintf(out + n, cap - n, "  %s.%u > %s.%u", src, s.sport, dst, s.dport);
    else
        n += (size_t)snprintf(out + n, cap - n, "  %s > %s", src, dst);
    if (n >= cap) return;
    if (s.l4_proto == PC_P_TCP) {
        char f[16];
        pc_tcp_flagstr(s.tcp_flags, f);
        n += (size_t)snprintf(out + n, cap - n, " [%s]", f);
    } else if (s.l4_proto == PC_P_ICMP || s.l4_proto == PC_P_ICMP6) {
        n += (size_t)snprintf(out + n, cap - n, " type %u code %u", s.icmp_type, s.icmp_code);
    }
    if (n < cap && s.payload_len) snprintf(out + n, cap - n, " len %u", s.payload_len);
}

static void explain(void)
{
    char t[32];
    printf("# %s: %zu statements, %zu packets\n", R.path, R.nstmts, R.npk);
    printf("# line  first packet     packets  command\n");
    for (size_t i = 0; i < R.nstmts; i++) {
        const struct stmt *s = &R.stmts[i];
        fmt_rel(s->npkts ? s->first : R.t0, t);
        printf("%6d  %-16s %7llu  pktcraft %s\n", s->line, s->npkts ? t : "-", (unsigned long long)s->npkts,
               s->cmdline);
    }
    printf("\n# packet  time             line  summary\n");
    for (size_t i = 0; i < R.npk; i++) {
        char line[512];
        summary(&R.pk[i], line, sizeof line);
        fmt_rel(R.pk[i].ts, t);
        printf("%8zu  %-16s %5d  %s\n", i + 1, t, R.stmts[R.pk[i].stmt].line, line);
    }
}

static void write_capture(void)
{
    struct pc_err err = { 0 };
    struct pc_writer_opts o = { .linktype = R.linktype, .snaplen = 262144, .format = R.format, .if_name = R.ifname };
    struct pc_writer *w = pc_writer_open(R.out, &o, &err);
    if (!w) cli_runtime_error("%s", err.msg);
    for (size_t i = 0; i < R.npk; i++) {
        const struct rpkt *k = &R.pk[i];
        struct pc_wpacket p = { .ts = k->ts, .data = R.data + k->off, .caplen = k->caplen, .len = k->len,
                                .flags = k->flags, .comment_len = k->comment_len,
                                .comment = k->has_comment ? (const char *)R.data + k->off + k->caplen : NULL };
        if (pc_writer_write_ex(w, &p) < 0) {
            char msg[sizeof err.msg];
            snprintf(msg, sizeof msg, "%s", pc_writer_err(w)->msg);
            pc_writer_abort(w);
            cli_runtime_error("%s: packet %zu (line %d): %s", R.out, i + 1, R.stmts[k->stmt].line, msg);
        }
    }
    if (pc_writer_close(w, &err) < 0) cli_runtime_error("%s", err.msg);
}

/* ------------------------------------------------------------ main */

enum { O_PARAM = 1000, O_START, O_SEED, O_IFNAME, O_EXPLAIN };

static const struct option longopts[] = {
    { "output", required_argument, 0, 'o' }, { "param", required_argument, 0, O_PARAM },
    { "start", required_argument, 0, O_START }, { "seed", required_argument, 0, O_SEED },
    { "interface", required_argument, 0, O_IFNAME }, { "explain", no_argument, 0, O_EXPLAIN },
    { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
};

static void parse_args(int argc, char **argv)
{
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:w:F:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case 'o': case 'w': R.out = optarg; break;
        case 'F': R.format = cli_parse_format("-F", optarg); break;
        case O_PARAM: cli_param(optarg); break;
        case O_START: R.t0 = cli_parse_time("--start", optarg); R.have_start = true; break;
        case O_SEED: R.seed = cli_parse_uint("--seed", optarg, UINT64_MAX); R.have_seed = true; break;
        case O_IFNAME: R.ifname = optarg; break;
        case O_EXPLAIN: R.explain = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind >= argc) cli_usage_error("a SCRIPT is required ('-' for stdin)");
    R.path = argv[optind++];
    if (optind < argc) cli_usage_error("unexpected argument '%s' (one script)", argv[optind]);
    if (!R.out && !R.explain) cli_usage_error("-o FILE is required ('-' writes to stdout), or --explain");
    if (R.ifname && R.format != PC_FORMAT_PCAPNG) cli_usage_error("--interface needs -F pcapng");
}

static void load(void)
{
    FILE *f = strcmp(R.path, "-") ? fopen(R.path, "rb") : stdin;
    if (!f) cli_runtime_error("%s: %s", R.path, strerror(errno));
    R.text = malloc(SC_MAX_BYTES + 1);
    if (!R.text) cli_runtime_error("out of memory");
    size_t n = fread(R.text, 1, SC_MAX_BYTES + 1, f);
    bool bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) cli_runtime_error("%s: cannot read", R.path);
    struct sc_error e;
    if (sc_parse(R.text, n, &R.sc, &e) < 0) cli_usage_error("%s:%d:%d: %s", R.path, e.line, e.col, e.msg);
}

int cmd_run(int argc, char **argv)
{
    memset(&R, 0, sizeof R);
    R.format = PC_FORMAT_PCAP_US;
    R.seed = 1;
    R.linktype = -1;
    parse_args(argc, argv);
    load();
    if (!R.have_start) R.t0 = cli_now();
    declarations();
    static struct craft_sink sink = { .open = sink_open, .write = sink_write };
    sink.format = R.format;
    craft_sink = &sink;
    struct clock ck = { .t = R.t0, .gap = 1000000, .rtt = -1 };
    exec_list(R.sc.first, &ck);
    craft_sink = NULL;
    cli_cmd = "run";
    if (!R.npk) cli_runtime_error("%s: the script makes no packets", R.path);
    qsort(R.pk, R.npk, sizeof *R.pk, by_time);
    if (R.explain) explain();
    else write_capture();
    for (size_t i = 0; i < R.nstmts; i++) free(R.stmts[i].cmdline);
    free(R.stmts);
    free(R.pk);
    free(R.data);
    free(R.text);
    sc_free(&R.sc);
    return EXIT_OK;
}
