/* Regression tests for the faults a fixture trial found (issue 10): JSON
 * objects with a repeated key, timestamps finer than -F pcap holds written
 * cut, convert/merge hints that do not work, options a command accepted and
 * ignored (arp --ttl) and fields of other protocols in its --help, and the
 * UDP length of a first fragment's text line (against tcpdump). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

#include "helpers.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(fixes10, .init = setup, .fini = teardown, .timeout = 1800);

/* Run "pktcraft ARGS" through the shell with stderr kept in err (at most
 * cap bytes); returns the exit status. */
static int run(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *err, size_t cap, const char *fmt, ...)
{
    char *e;
    va_list ap;
    va_start(ap, fmt);
    int st = th_cli_vrun(dir, &e, fmt, ap);
    va_end(ap);
    snprintf(err, cap, "%s", e);
    free(e);
    return st;
}

/* ------------------------------------------------------------ JSON keys */

/* The ipv6-frag layer wrote "offset" twice (its byte offset and the
 * fragment offset): a JSON parser keeps one.  Every object of read
 * --format jsonl over the golden captures and corpus captures must have
 * distinct keys; the fragment offset is frag_off, as for IPv4. */
Test(fixes10, read_json_has_no_repeated_key)
{
    char log[128];
    snprintf(log, sizeof log, "%s/dupkeys.log", dir);
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/json-dupkeys --pktcraft '%s' --min-files 60 --min-objects 3000 "
                   "> '%s' 2>&1", th_root(), th_cli(), log);
    char *out = th_slurp_text(log);
    cr_assert(out, "no output from scripts/json-dupkeys");
    cr_assert_eq(st, 0, "scripts/json-dupkeys found problems:\n%s", out);
    cr_log_info("%s", out);
    free(out);
    char err[2048];
    cr_assert_eq(run(err, sizeof err, "read --format jsonl %s/golden/udp-frag6.pcap", th_root()), 0, "%s", err);
    char path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    char *j = th_slurp_text(path);
    cr_assert(j && strstr(j, "\"proto\":\"ipv6-frag\"") && strstr(j, "\"frag_off\":1024"), "no frag_off in:\n%s", j);
    free(j);
}

/* ------------------------------------------------------ time resolution */

/* --gap 10ns with microsecond pcap wrote three equal timestamps; a
 * nanosecond --start was cut.  Refused, naming -F nsecpcap; with it the
 * times are kept. */
Test(fixes10, sub_microsecond_times_need_nsecpcap)
{
    static const char *const refused[] = {
        "udp --src 10.0.0.1 --dst 10.0.0.2 -c 3 --gap 10ns --start 1 -o a.pcap",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --start 1.000000001 -o a.pcap",
        "syn --src 10.0.0.1 --dst 10.0.0.2 --start 2024-01-01T00:00:00.000000500Z -o a.pcap",
        "arp --src 10.0.0.1 --dst 10.0.0.2 -c 2 --gap 1500ns -o a.pcap",
        "raw --hex 00 -c 2 --gap 1ns -o a.pcap",
        "session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send x --rtt 10500ns --start 1 -o a.pcap",
        "session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send x --think 1ns --start 1 -o a.pcap",
        "session --src 10.0.0.1 --dst 10.0.0.2 --dport 53 --udp --send x --timeout 1000001ns --start 1 -o a.pcap",
        "session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send x --fault delay:1:1500ns --start 1 -o a.pcap",
        "http --src 10.0.0.1 --dst 10.0.0.2 --rtt 100ns --start 1 -o a.pcap",
        "ntp --src 10.0.0.1 --dst 10.0.0.2 --processing 1500ns --start 100 -o a.pcap",
        "dns --exchange --src 10.0.0.1 --dst 10.0.0.2 --qname a.example --start 1.0000001 -o a.pcap",
    };
    char err[2048];
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int st = run(err, sizeof err, "%s", refused[i]);
        cr_expect_eq(st, 2, "pktcraft %s: exit %d, not 2:\n%s", refused[i], st, err);
        cr_expect(strstr(err, "-F nsecpcap"), "pktcraft %s: the message does not suggest -F nsecpcap:\n%s", refused[i], err);
        /* the same with nanosecond pcap is fine */
        st = run(err, sizeof err, "%s -F nsecpcap", refused[i]);
        cr_expect_eq(st, 0, "pktcraft %s -F nsecpcap: exit %d:\n%s", refused[i], st, err);
    }
    /* the times are kept to the nanosecond */
    cr_assert_eq(run(err, sizeof err, "udp --src 10.0.0.1 --dst 10.0.0.2 -c 3 --gap 10ns --start 1.000000001 -F nsecpcap "
                                      "-o n.pcap"), 0, "%s", err);
    cr_assert_eq(th_sh("cd '%s' && %s read n.pcap | cut -d' ' -f1 | tr '\\n' ' ' > ts.txt", dir, th_cli()), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/ts.txt", dir);
    char *ts = th_slurp_text(path);
    cr_assert_str_eq(ts, "1.000000001 1.000000011 1.000000021 ", "timestamps: %s", ts);
    free(ts);
    /* whole microseconds, and the default start ("now"), still go to pcap */
    static const char *const fine[] = {
        "udp --src 10.0.0.1 --dst 10.0.0.2 -c 3 --gap 250us --start 1.000001 -o a.pcap",
        "udp --src 10.0.0.1 --dst 10.0.0.2 -c 3 -o a.pcap",
        "session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send x --rtt 10001us -o a.pcap",
        "ntp --src 10.0.0.1 --dst 10.0.0.2 -o a.pcap",
        "tls --src 10.0.0.1 --dst 10.0.0.2 -o a.pcap",
        "http --src 10.0.0.1 --dst 10.0.0.2 -o a.pcap",
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
        cr_expect_eq(run(err, sizeof err, "%s", fine[i]), 0, "pktcraft %s:\n%s", fine[i], err);
}

/* ------------------------------------------------- convert/merge hints */

/* The remedies a refusal names, "(use -F X or Y, or --lossy)": each
 * format named (after -F or alone after "or") and --lossy, as arguments
 * into out (at most 4). */
static int hints(const char *err, char out[4][32])
{
    const char *h = strstr(err, "(use ");
    cr_assert(h, "no '(use ...)' hint in:\n%s", err);
    char text[256];
    snprintf(text, sizeof text, "%.*s", (int)strcspn(h + 5, ")"), h + 5);
    int n = 0;
    for (char *save = NULL, *t = strtok_r(text, " ,", &save); t && n < 4; t = strtok_r(NULL, " ,", &save)) {
        if (!strcmp(t, "pcap") || !strcmp(t, "nsecpcap") || !strcmp(t, "pcapng")) snprintf(out[n++], 32, "-F %s", t);
        else if (!strcmp(t, "--lossy")) snprintf(out[n++], 32, "-F pcap --lossy");
    }
    return n;
}

/* Every refusal of a pcap output by convert and merge names remedies that
 * work: the command with each of them succeeds. */
static void hints_work(const char *cmd, const char *why)
{
    char err[4096];
    int st = run(err, sizeof err, "%s -F pcap -o out.pcap", cmd);
    cr_assert_eq(st, 1, "pktcraft %s -F pcap (%s): exit %d, not 1:\n%s", cmd, why, st, err);
    char h[4][32];
    int n = hints(err, h);
    cr_assert_geq(n, 2, "%s: fewer than two remedies in:\n%s", why, err);
    for (int k = 0; k < n; k++) {
        char again[4096];
        st = run(again, sizeof again, "%s %s -o fixed.out", cmd, h[k]);
        cr_expect_eq(st, 0, "%s: the hint '%s' does not work (pktcraft %s %s: exit %d):\n%s\nafter:\n%s", why, h[k], cmd,
                     h[k], st, again, err);
    }
    cr_log_info("%s: %s", why, strstr(err, "(use "));
}

Test(fixes10, convert_and_merge_hints_work)
{
    char err[2048];
    /* the inputs: comments, direction flags, nanoseconds (pcap and pcapng),
     * two link types */
    static const char *const make[] = {
        "udp --src 10.0.0.1 --dst 10.0.0.2 -c 2 -F pcapng --comment hello --start 1 -o comment.pcapng",
        "session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send x -F pcapng --start 1 -o flags.pcapng",
        "udp --src 10.0.0.1 --dst 10.0.0.2 -c 2 --gap 1ns -F nsecpcap --start 1 -o ns.pcap",
        "udp --src 10.0.0.3 --dst 10.0.0.4 -c 2 --gap 1ns -F nsecpcap --start 2 -o ns2.pcap",
        "udp --src 10.0.0.1 --dst 10.0.0.2 -c 2 --gap 1ns -F pcapng --start 1 -o ns.pcapng",
        "udp --src 10.0.0.1 --dst 10.0.0.2 -c 2 --start 1 -o eth.pcap",
        "raw --linktype raw --hex 4500001c0001000040117cce7f0000017f00000100010002000801d9 --start 1.5 -o raw.pcap",
    };
    for (size_t i = 0; i < sizeof make / sizeof make[0]; i++)
        cr_assert_eq(run(err, sizeof err, "%s", make[i]), 0, "pktcraft %s:\n%s", make[i], err);
    hints_work("convert comment.pcapng", "convert: a packet comment");
    hints_work("convert flags.pcapng", "convert: direction flags");
    hints_work("convert ns.pcap", "convert: nanoseconds of a pcap");
    hints_work("convert ns.pcapng", "convert: nanoseconds of a pcapng");
    hints_work("merge comment.pcapng eth.pcap", "merge: a packet comment");
    hints_work("merge eth.pcap flags.pcapng", "merge: direction flags");
    hints_work("merge ns.pcap ns2.pcap", "merge: nanoseconds of pcaps");
    hints_work("merge ns.pcapng eth.pcap", "merge: nanoseconds of a pcapng");
    hints_work("merge eth.pcap raw.pcap", "merge: two link types");
    /* the nanoseconds of a pcap input: nsecpcap is named (it holds them all) */
    run(err, sizeof err, "convert ns.pcap -F pcap -o out.pcap");
    cr_expect(strstr(err, "nsecpcap"), "convert of a nanosecond pcap does not suggest nsecpcap:\n%s", err);
    /* a comment: nsecpcap (which cannot hold it either) is not */
    run(err, sizeof err, "convert comment.pcapng -F pcap -o out.pcap");
    cr_expect(!strstr(err, "nsecpcap"), "convert of a comment suggests nsecpcap:\n%s", err);
}

/* ---------------------------------------------- what applies to a command */

struct cmd_case {
    const char *cmd;     /* a command line that works, without -o */
    const char *layers;  /* the field prefixes its --help may list, space-separated */
    const char *refused[24]; /* options that do not apply: each must be refused */
};

static const struct cmd_case cmds[] = {
    { "arp --src 10.0.0.1 --dst 10.0.0.2", "eth vlan arp",
      { "--ttl 3", "--hop-limit 3", "--tos 1", "--tclass 1", "--ip-id 1", "--df", "--flowlabel 1", "--ipv6-ext hop",
        "--frag 8", "--frag-order reverse", "--tunnel gre", "--outer-src 10.9.9.9", "--outer-dst 10.9.9.8",
        "--data x", "--data-file /dev/null", "--hex 00", "--set ip.ttl=1", "--set tcp.sport=1",
        "--corrupt udp.csum", "--set dns.id=1", "--set icmp.type=1", "--set ip6.hlim=1", NULL } },
    { "syn --src 10.0.0.1 --dst 10.0.0.2", "eth vlan ip ip6 ip6ext tcp",
      { "--set udp.sport=1", "--set icmp.type=1", "--set arp.op=1", "--set dns.id=1", "--corrupt icmp6.csum", NULL } },
    { "tcp --src 10.0.0.1 --dst 10.0.0.2", "eth vlan ip ip6 ip6ext tcp",
      { "--set udp.sport=1", "--set icmp.type=1", "--set arp.op=1", "--set dns.id=1", NULL } },
    { "udp --src 10.0.0.1 --dst 10.0.0.2", "eth vlan ip ip6 ip6ext udp",
      { "--set tcp.seq=1", "--set icmp.type=1", "--set arp.op=1", "--set dns.id=1", NULL } },
    { "icmp --src 10.0.0.1 --dst 10.0.0.2", "eth vlan ip udp icmp", /* udp: an error's synthesized quote */
      { "--flowlabel 1", "--ipv6-ext hop", "--set ip6.hlim=1", "--set ip6ext.segleft=1", "--set tcp.sport=1",
        "--set udp.sport=1", "--set icmp6.type=1", "--set arp.op=1", "--set dns.id=1", NULL } },
    { "icmp6 --src 2001:db8::1 --dst 2001:db8::2", "eth vlan ip6 ip6ext udp icmp6",
      { "--ip-id 1", "--df", "--set ip.ttl=1", "--set icmp.type=1", "--set tcp.sport=1", "--set udp.sport=1",
        "--set arp.op=1", NULL } },
    { "dns --src 10.0.0.1 --dst 10.0.0.2 --qname a.example", "eth vlan ip ip6 ip6ext udp tcp dns",
      { "--set icmp.type=1", "--set arp.op=1", "--data x", NULL } },
    { "dns --exchange --src 10.0.0.1 --dst 10.0.0.2 --qname a.example", "eth vlan ip ip6 ip6ext udp tcp dns",
      { "--set icmp.type=1", "--set arp.op=1", "--data x", "-c 2", "--gap 2ms", NULL } },
    { "session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send x", "eth vlan ip ip6 ip6ext tcp udp",
      { "--set icmp.type=1", "--set arp.op=1", "--set dns.id=1", "--data x", "--hex 00", "-c 2", "--gap 2ms",
        "--frag 8", NULL } },
    { "http --src 10.0.0.1 --dst 10.0.0.2", "eth vlan ip ip6 ip6ext tcp",
      { "--set udp.sport=1", "--set dns.id=1", "--set icmp.type=1", "--data x", NULL } },
    { "tls --src 10.0.0.1 --dst 10.0.0.2", "eth vlan ip ip6 ip6ext tcp",
      { "--set udp.sport=1", "--set dns.id=1", "--data x", NULL } },
    { "dhcp", "eth vlan ip udp",
      { "--flowlabel 1", "--ipv6-ext hop", "--set ip6.hlim=1", "--set tcp.sport=1", "--set dns.id=1", NULL } },
    { "ntp --src 10.0.0.1 --dst 10.0.0.2", "eth vlan ip ip6 ip6ext udp",
      { "--set tcp.sport=1", "--set dns.id=1", "--set icmp.type=1", NULL } },
    { "raw --hex 00", "",
      { "--ttl 3", "--df", "--src 10.0.0.1", "--vlan 5", "--smac 02:00:00:00:00:09", "--set ip.ttl=1",
        "--tunnel gre", NULL } },
};

static bool listed(const char *layers, const char *field)
{
    size_t n = strcspn(field, ".");
    for (const char *p = layers; *p; p += strspn(p, " ")) {
        size_t k = strcspn(p, " ");
        if (k == n && !strncmp(p, field, n)) return true;
        p += k;
    }
    return false;
}

/* arp took --ttl and --df and ignored them, and its --help listed the
 * fields of every protocol: --help lists the fields of the command's own
 * layers (each of them), and every option that does not apply is refused
 * with exit 2, naming the option and the command. */
Test(fixes10, commands_refuse_what_does_not_apply)
{
    char err[4096], path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const struct cmd_case *c = &cmds[i];
        char name[16];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(c->cmd, " "), c->cmd);
        cr_assert_eq(run(err, sizeof err, "%s -o a.pcap", c->cmd), 0, "pktcraft %s:\n%s", c->cmd, err);
        cr_assert_eq(run(err, sizeof err, "%s --help", name), 0);
        char *help = th_slurp_text(path);
        cr_assert(help);
        const char *f = strstr(help, "FIELDS for");
        cr_assert(!*c->layers || f, "%s --help lists no FIELDS", name);
        char seen[128] = " ";
        /* the fields follow the header, whose last line ends with ':' */
        for (const char *line = f ? strstr(f, ":\n") + 1 : NULL; line && line[1] == ' ' && line[2] == ' ' && line[3] != ' ';
             line = strchr(line + 1, '\n')) {
            char field[32];
            if (sscanf(line + 1, "%31s", field) != 1) break;
            cr_expect(listed(c->layers, field), "%s --help lists %s, a field of a layer it does not build", name, field);
            char layer[24];
            snprintf(layer, sizeof layer, " %.*s ", (int)strcspn(field, "."), field);
            if (!strstr(seen, layer) && strlen(seen) + strlen(layer) < sizeof seen) strcat(seen, layer + 1);
        }
        for (const char *p = c->layers; *p;) { /* and each of its layers */
            size_t k = strcspn(p, " ");
            char layer[24];
            snprintf(layer, sizeof layer, " %.*s ", (int)k, p);
            cr_expect(strstr(seen, layer), "%s --help lists no field of its layer%s", name, layer);
            p += k + strspn(p + k, " ");
        }
        free(help);
        for (int k = 0; c->refused[k]; k++) {
            const char *o = c->refused[k];
            int st = run(err, sizeof err, "%s %s -o a.pcap", c->cmd, o);
            cr_expect_eq(st, 2, "pktcraft %s %s: exit %d, not 2:\n%s", c->cmd, o, st, err);
            /* the message names the command and the option (or the field) */
            char prefix[32], what[32];
            snprintf(prefix, sizeof prefix, "pktcraft: %s: ", name);
            const char *sp = strchr(o, ' ');
            bool field = !strncmp(o, "--set ", 6) || !strncmp(o, "--corrupt ", 10);
            if (field) snprintf(what, sizeof what, "%.*s", (int)strcspn(sp + 1, "="), sp + 1);
            else if (!strcmp(o, "-c 2")) snprintf(what, sizeof what, "--count");
            else snprintf(what, sizeof what, "%.*s", sp ? (int)(sp - o) : (int)strlen(o), o);
            /* raw has no --set at all: "unrecognized option '--set'" */
            bool named = strstr(err, what) || (field && strstr(err, "unrecognized option '--"));
            cr_expect(strstr(err, prefix) && named, "pktcraft %s %s: the message does not name %s and %s:\n%s", c->cmd,
                      o, name, what, err);
        }
    }
}

/* --------------------------------------------- first fragments vs tcpdump */

/* The "length N" after anchor in line (0 when absent). */
static unsigned length_after(const char *line, const char *anchor)
{
    const char *a = strstr(line, anchor);
    const char *l = a ? strstr(a, "length ") : NULL;
    return l ? (unsigned)strtoul(l + 7, NULL, 10) : 0;
}

/* The text line of a first fragment printed the UDP payload of the
 * fragment (992) where tcpdump prints the length the UDP header gives
 * (3000); TCP and ICMP, over IPv4 and IPv6, agreed and must still agree. */
Test(fixes10, first_fragment_lengths_match_tcpdump)
{
    cr_assert_eq(th_sh("command -v tcpdump >/dev/null"), 0, "tcpdump not found (apt-get install tcpdump)");
    static const struct { const char *cmd, *anchor; } cases[] = {
        { "udp --src 10.0.0.1 --dst 10.0.0.2 --frag 1000", "UDP, " },
        { "udp --src 10.0.0.1 --dst 10.0.0.2 --frag 1000 --frag-order reverse", "UDP, " },
        { "udp --src 10.0.0.1 --dst 10.0.0.2", "UDP, " },
        { "tcp --src 10.0.0.1 --dst 10.0.0.2 --flags PA --frag 1000", "Flags [" },
        { "icmp --src 10.0.0.1 --dst 10.0.0.2 --frag 1000", "ICMP" },
        { "udp --src 2001:db8::1 --dst 2001:db8::2 --frag 1000", "UDP, " },
        { "tcp --src 2001:db8::1 --dst 2001:db8::2 --flags PA --frag 1000", "Flags [" },
        { "icmp6 --src 2001:db8::1 --dst 2001:db8::2 --frag 1000", "ICMP6" },
    };
    cr_assert_eq(th_sh("head -c 3000 /dev/zero > %s/z", dir), 0);
    char err[2048], path[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(run(err, sizeof err, "%s --data-file z --start 1 -o f.pcap", cases[i].cmd), 0, "%s", err);
        cr_assert_eq(th_sh("cd '%s' && %s read f.pcap > ours.txt && tcpdump -nr f.pcap > theirs.txt 2>/dev/null", dir,
                           th_cli()), 0);
        snprintf(path, sizeof path, "%s/ours.txt", dir);
        char *ours = th_slurp_text(path);
        snprintf(path, sizeof path, "%s/theirs.txt", dir);
        char *theirs = th_slurp_text(path);
        cr_assert(ours && theirs);
        /* line by line: the packet whose transport header is there */
        int compared = 0;
        for (char *o = ours, *t = theirs; *o && *t; o = strchr(o, '\n') + 1, t = strchr(t, '\n') + 1) {
            char *oe = strchr(o, '\n'), *te = strchr(t, '\n');
            if (!oe || !te) break;
            *oe = *te = 0;
            unsigned a = length_after(o, cases[i].anchor), b = length_after(t, cases[i].anchor);
            cr_expect_eq(a, b, "%s: pktcraft read says length %u, tcpdump %u:\n  %s\n  %s", cases[i].cmd, a, b, o, t);
            compared += a && b;
            *oe = *te = '\n';
        }
        cr_expect_eq(compared, 1, "%s: %d packets with a transport length, not 1:\n%s\n%s", cases[i].cmd, compared, ours,
                     theirs);
        free(ours);
        free(theirs);
    }
}
