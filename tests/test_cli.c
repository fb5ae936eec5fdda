/* The CLI as a user meets it: exit codes, messages that name the option or
 * file, determinism, stdout/stdin, append, and other readers of our files. */
#include <criterion/criterion.h>

#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }

/* Run the CLI with args; stderr captured to dir/err; returns exit status. */
static int cli(const char *args)
{
    return th_sh("%s %s 2>'%s/err' >'%s/out'", th_cli(), args, dir, dir);
}

static char *file_text(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *s = th_slurp_text(p);
    cr_assert(s, "%s not written", p);
    return s;
}

static void expect_fail(const char *args, int code, const char *needle)
{
    int st = cli(args);
    char *err = file_text("err");
    cr_assert_eq(st, code, "'%s' exited %d, want %d; stderr: %s", args, st, code, err);
    cr_assert(strstr(err, needle), "'%s': stderr lacks '%s': %s", args, needle, err);
    cr_assert(!strncmp(err, "pktcraft: ", 10), "message must start with 'pktcraft: ': %s", err);
    free(err);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 1800);

Test(cli, usage_errors_exit_2_and_name_the_option)
{
    char a[512];
    expect_fail("", 2, "COMMAND");
    expect_fail("frobnicate", 2, "unknown command 'frobnicate'");
    expect_fail("syn --dst 1.2.3.4 -o x.pcap", 2, "--src is required");
    expect_fail("syn --src 1.2.3.4 -o x.pcap", 2, "--dst is required");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8", 2, "-o FILE is required");
    expect_fail("syn --src 1.2.3.400 --dst 5.6.7.8 -o x", 2, "--src: '1.2.3.400' is not an IPv4 or IPv6 address");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --sport 70000 -o x", 2, "--sport: 70000 is over the maximum of 65535");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --dport x -o x", 2, "--dport: 'x' is not a number");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --gap 10 -o x", 2, "--gap: '10' is not a duration");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --gap 5parsecs -o x", 2, "--gap");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --start yesterday -o x", 2, "--start: 'yesterday' is not a time");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --smac 00:11 -o x", 2, "--smac");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 -F pcapx -o x", 2, "-F: 'pcapx'");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --bogus -o x", 2, "unrecognized option '--bogus'");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 -c 0 -o x", 2, "--count");
    expect_fail("syn --src 1.2.3.4 --dst 5.6.7.8 --sack 1-2,3-4,5-6,7-8 --ts 1 --mss 1 -o x", 2, "TCP options take more than 40 bytes");
    expect_fail("read", 2, "FILE");
    expect_fail("read --format xml x.pcap", 2, "--format: 'xml'");
    snprintf(a, sizeof a, "syn --src 1.1.1.1 --dst 2.2.2.2 --start 1 -o %s/f.pcap", dir);
    cr_assert_eq(cli(a), 0);
    snprintf(a, sizeof a, "read %s/f.pcap 'tcp port port'", dir);
    expect_fail(a, 2, "filter");
}

Test(cli, crafting_options_are_checked)
{
    expect_fail("udp --src 1.1.1.1 --dst ::1 -o x", 2, "--dst: ::1 is IPv6 but the other address is IPv4");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --set ip.bogus=1 -o x", 2, "--set: unknown field 'ip.bogus'");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --set ip.ttl=256 -o x", 2, "--set ip.ttl: 256 is over the maximum of 255");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --set ip.ttl -o x", 2, "is not FIELD=VALUE");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --corrupt ip.ttl -o x", 2, "--corrupt: ip.ttl is not a computed field");
    expect_fail("tcp --src 1.1.1.1 --dst 2.2.2.2 --set udp.len=3 -o x", 2, "--set udp.len does not apply to tcp");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --set ip6.hlim=3 -o x", 2, "--set ip6.hlim: this packet has no such layer");
    expect_fail("tcp --src 1.1.1.1 --dst 2.2.2.2 --flags SX -o x", 2, "--flags: 'X' is not one of");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --vlan 4096 -o x", 2, "--vlan: 4096 is over the maximum of 4095");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --vlan 1,2,3 -o x", 2, "--vlan: at most two tags");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --ipv6-ext hop -o x", 2, "--ipv6-ext needs IPv6 addresses");
    expect_fail("udp --src ::1 --dst ::2 --ipv6-ext rt9:1::1 -o x", 2, "--ipv6-ext: 'rt9' is not");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --frag 100 -o x", 2, "--frag: 100 is not a positive multiple of 8");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --hex abc -o x", 2, "--hex");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --data '\\q' -o x", 2, "--data: unknown escape");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --tunnel vxlan:1 -o x", 2, "--tunnel needs --outer-src and --outer-dst");
    expect_fail("udp --src 1.1.1.1 --dst 2.2.2.2 --tunnel ipip -o x", 2, "--tunnel: 'ipip' is not");
    expect_fail("icmp --src ::1 --dst ::2 -o x", 2, "icmp needs IPv4");
    expect_fail("icmp6 --src 1.1.1.1 --dst 2.2.2.2 -o x", 2, "icmp6 needs IPv6");
    expect_fail("icmp --src 1.1.1.1 --dst 2.2.2.2 --type unreach --code nowhere -o x", 2, "--code: unknown name 'nowhere'");
    expect_fail("arp --src ::1 --dst ::2 -o x", 2, "ARP carries IPv4 addresses");
    expect_fail("dns --src 1.1.1.1 --dst 2.2.2.2 -o x", 2, "--qname is required");
    expect_fail("dns --src 1.1.1.1 --dst 2.2.2.2 --qname a --qtype BOGUS -o x", 2, "--qtype: 'BOGUS' is not a DNS type");
    expect_fail("dns --src 1.1.1.1 --dst 2.2.2.2 --qname a --answer 'a MX 10' -o x", 2, "a MX value takes 2 words");
    expect_fail("dns --src 1.1.1.1 --dst 2.2.2.2 --qname a --answer 'a A 1.2.3' -o x", 2, "is not an IPv4 address");
    expect_fail("raw -o x", 2, "the frame is required");
    char a[512];
    snprintf(a, sizeof a, "dns --src 1.1.1.1 --dst 2.2.2.2 --qname %0100d -o %s/d.pcap", 1, dir);
    expect_fail(a, 2, "cannot encode the DNS message");
    snprintf(a, sizeof a, "%s/d.pcap", dir);
    cr_assert_neq(access(a, F_OK), 0, "a refused command must leave no file");
}

/* What every crafting command writes reads back with the fields asked for. */
Test(cli, every_command_round_trips_through_read)
{
    static const char *const cmds[][2] = {
        { "tcp --src 10.0.0.1 --dst 10.0.0.2 --flags SEW --seq 7 --ack 9 --urp 3 --sport 1111 --dport 2222",
          "\"tcp_flags\":\"SEW\",\"seq\":7,\"ack\":9" },
        { "udp --src 2001:db8::1 --dst 2001:db8::2 --sport 1111 --dport 2222 --data abc --vlan 7:3",
          "\"proto\":\"vlan\",\"offset\":14,\"header_len\":4,\"data_len\":" },
        { "icmp --src 10.0.0.1 --dst 10.0.0.2 --type time-exceeded", "\"icmp_type\":11,\"icmp_code\":0" },
        { "icmp6 --src fe80::1 --dst ff02::1 --type ns --target fe80::9", "\"icmp_type\":135" },
        { "arp --op reply --src 10.0.0.2 --dst 10.0.0.1", "\"op\":2" },
        { "dns --src 10.0.0.1 --dst 10.0.0.53 --qname example.com --qtype MX", "\"name\":\"example.com\",\"type\":\"MX\"" },
        { "dns --src 10.0.0.1 --dst 10.0.0.53 --qname example.com --tcp", "\"proto\":\"dns\"" },
        { "udp --src 10.0.0.1 --dst 10.0.0.2 --data-file /etc/services --frag 1000", "\"errors\":[]" },
        { "tcp --src 10.9.0.1 --dst 10.9.0.2 --tunnel vxlan:99 --outer-src 10.0.0.1 --outer-dst 10.0.0.2", "\"vni\":99" },
        { "udp --src 1.1.1.1 --dst 2.2.2.2 --set udp.csum=0 --set ip.ttl=0", "\"ttl\":0" },
    };
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        char a[1024];
        snprintf(a, sizeof a, "%s --start 1 -o %s/r.pcap", cmds[k][0], dir);
        cr_assert_eq(cli(a), 0, "%s", cmds[k][0]);
        snprintf(a, sizeof a, "read --format jsonl %s/r.pcap", dir);
        cr_assert_eq(cli(a), 0, "%s: read failed", cmds[k][0]);
        char *out = file_text("out");
        cr_assert(strstr(out, cmds[k][1]), "%s: output lacks %s:\n%s", cmds[k][0], cmds[k][1], out);
        cr_assert(!strstr(out, "\"malformed") && !strstr(out, "bad checksum"), "%s: %s", cmds[k][0], out);
        free(out);
    }
}

Test(cli, runtime_errors_exit_1_and_name_the_file)
{
    char a[512];
    expect_fail("read /nonexistent/x.pcap", 1, "/nonexistent/x.pcap");
    snprintf(a, sizeof a, "syn --src 1.2.3.4 --dst 5.6.7.8 -o %s/no/such/dir/x.pcap", dir);
    expect_fail(a, 1, "no/such/dir/x.pcap");
    /* A truncated capture: packets before the damage are printed, then an
     * error naming the packet and the byte offset. */
    snprintf(a, sizeof a, "syn --src 1.2.3.4 --dst 5.6.7.8 -c 3 --start 5 -o %s/t.pcap", dir);
    cr_assert_eq(cli(a), 0);
    cr_assert_eq(th_sh("head -c 200 %s/t.pcap > %s/cut.pcap", dir, dir), 0);
    snprintf(a, sizeof a, "read %s/cut.pcap", dir);
    expect_fail(a, 1, "packet 3 at byte offset 164: truncated");
    char *out = file_text("out");
    int lines = 0;
    for (char *p = out; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 2, "the two complete packets must be printed: %s", out);
    free(out);
    th_sh("printf 'garbage-garbage-garbage-garbage' > %s/g.pcap", dir);
    snprintf(a, sizeof a, "read %s/g.pcap", dir);
    expect_fail(a, 1, "not a pcap file");
}

Test(cli, help_and_version)
{
    cr_assert_eq(cli("--version"), 0);
    char *out = file_text("out");
    cr_assert(strstr(out, "pktcraft 0."));
    free(out);
    const char *cmds[] = { "--help", "syn --help", "read --help", "syn -h", "tcp --help", "udp --help", "icmp --help",
                           "icmp6 --help", "arp --help", "dns --help", "raw --help" };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        cr_assert_eq(cli(cmds[i]), 0, "%s", cmds[i]);
        out = file_text("out");
        cr_assert(strstr(out, "Usage: pktcraft"), "%s", cmds[i]);
        cr_assert(strstr(out, "Examples:\n  pktcraft "), "%s lacks an example", cmds[i]);
        free(out);
    }
}

Test(cli, same_arguments_same_bytes_and_seed_matters)
{
    char a[512];
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "syn --src 10.0.0.1 --dst 10.0.0.2 -c 50 --seed 42 --start 1700000000 -o %s/r%d.pcap", dir, i);
        cr_assert_eq(cli(a), 0);
    }
    snprintf(a, sizeof a, "syn --src 10.0.0.1 --dst 10.0.0.2 -c 50 --seed 43 --start 1700000000 -o %s/r2.pcap", dir);
    cr_assert_eq(cli(a), 0);
    cr_assert_eq(th_sh("cmp -s %s/r0.pcap %s/r1.pcap", dir, dir), 0, "same arguments gave different bytes");
    cr_assert_neq(th_sh("cmp -s %s/r0.pcap %s/r2.pcap", dir, dir), 0, "a different seed gave the same bytes");
}

Test(cli, stdout_stdin_and_append)
{
    char a[512];
    snprintf(a, sizeof a, "syn --src 10.0.0.1 --dst 10.0.0.2 -c 4 --start 1 -o - | %s read - > %s/piped.txt", th_cli(), dir);
    cr_assert_eq(th_sh("%s %s", th_cli(), a), 0);
    char *out = file_text("piped.txt");
    cr_assert(strstr(out, "1.003000000 IP 10.0.0.1."), "%s", out);
    free(out);
    snprintf(a, sizeof a, "syn --src 10.0.0.1 --dst 10.0.0.2 -c 2 --start 1 -o %s/ap.pcap", dir);
    cr_assert_eq(cli(a), 0);
    snprintf(a, sizeof a, "syn --src 10.0.0.3 --dst 10.0.0.4 -c 3 --start 2 --append -o %s/ap.pcap", dir);
    cr_assert_eq(cli(a), 0);
    snprintf(a, sizeof a, "read %s/ap.pcap", dir);
    cr_assert_eq(cli(a), 0);
    out = file_text("out");
    int lines = 0;
    for (char *p = out; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 5);
    free(out);
    snprintf(a, sizeof a, "syn --src 10.0.0.3 --dst 10.0.0.4 -F nsecpcap --append -o %s/ap.pcap", dir);
    expect_fail(a, 1, "ap.pcap");
    struct stat st;
    char p[256];
    snprintf(p, sizeof p, "%s/ap.pcap", dir);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 24 + 5 * (16 + 54), "a refused append must leave the file as it was");
}

/* A pcapng mixing link types: the filter is compiled for each (Ethernet
 * and raw IP here, whose DLT number differs from its LINKTYPE number). */
Test(cli, read_filter_per_link_type)
{
    char a[512];
    snprintf(a, sizeof a, "raw --linktype raw --hex 4500001c0001000040117cce7f0000017f00000100010002000801d9 --start 2 -o %s/r.pcap", dir);
    cr_assert_eq(cli(a), 0);
    snprintf(a, sizeof a, "udp --src 10.0.0.1 --dst 10.0.0.2 --dport 2 --start 1 -o %s/e.pcap", dir);
    cr_assert_eq(cli(a), 0);
    snprintf(a, sizeof a, "merge %s/e.pcap %s/r.pcap -o %s/two.pcapng", dir, dir, dir);
    cr_assert_eq(cli(a), 0);
    snprintf(a, sizeof a, "read %s/two.pcapng udp dst port 2", dir);
    cr_assert_eq(cli(a), 0);
    char *out = file_text("out");
    cr_assert(strstr(out, "10.0.0.2.2: UDP") && strstr(out, "127.0.0.1.2: UDP"), "%s", out);
    free(out);
    snprintf(a, sizeof a, "read %s/r.pcap host 10.9.9.9", dir);
    cr_assert_eq(cli(a), 0);
    out = file_text("out");
    cr_assert_str_eq(out, "");
    free(out);
}

Test(cli, read_filter_and_count)
{
    char a[512];
    snprintf(a, sizeof a, "syn --src 10.0.0.1 --dst 10.0.0.2 --sport 1000 -c 10 --start 1 -o %s/f.pcap", dir);
    cr_assert_eq(cli(a), 0);
    snprintf(a, sizeof a, "read --format jsonl %s/f.pcap src port 1003 or src port 1005", dir);
    cr_assert_eq(cli(a), 0);
    char *out = file_text("out");
    cr_assert(strstr(out, "\"n\":4,") && strstr(out, "\"n\":6,") && !strstr(out, "\"n\":5,"), "%s", out);
    free(out);
    snprintf(a, sizeof a, "read -c 2 %s/f.pcap", dir);
    cr_assert_eq(cli(a), 0);
    out = file_text("out");
    int lines = 0;
    for (char *p = out; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 2);
    free(out);
}

/* libpcap is not linked (it would load a dozen libraries into every run)
 * but opened on the first BPF filter: without it, everything but a filter
 * works, and a filter says which package is missing.  PKTCRAFT_LIBPCAP
 * names the file to open instead of the usual names. */
Test(cli, libpcap_is_opened_only_for_a_filter)
{
    char a[1024];
    cr_assert_eq(th_sh("readelf -d '%s' | grep -q 'NEEDED.*libpcap'", th_cli()), 1,
                 "%s links libpcap: it must be opened with dlopen, only for a filter", th_cli());
    snprintf(a, sizeof a, "syn --src 10.0.0.1 --dst 10.0.0.2 -c 3 --start 1 -o %s/f.pcap", dir);
    cr_assert_eq(cli(a), 0);

    /* a file that does not exist, then a library without libpcap's functions */
    static const char *const libs[][2] = {
        { "/nonexistent/libpcap.so.0.8", "/nonexistent/libpcap.so.0.8: cannot open shared object file" },
        { "libc.so.6", "undefined symbol: pcap_" },
    };
    for (size_t k = 0; k < sizeof libs / sizeof libs[0]; k++) {
        int st = th_sh("PKTCRAFT_LIBPCAP='%s' %s read %s/f.pcap tcp port 80 2>'%s/err' >'%s/out'", libs[k][0], th_cli(),
                       dir, dir, dir);
        char *err = file_text("err");
        cr_assert_eq(st, 1, "%s: exit %d: %s", libs[k][0], st, err);
        cr_assert(strstr(err, "pktcraft: read: BPF filters need libpcap (libpcap0.8): ") && strstr(err, libs[k][1]),
                  "%s: %s", libs[k][0], err);
        free(err);
        /* no filter: libpcap is never opened */
        snprintf(a, sizeof a, "PKTCRAFT_LIBPCAP='%s' %s read %s/f.pcap >'%s/out' 2>'%s/err'", libs[k][0], th_cli(), dir,
                 dir, dir);
        cr_assert_eq(th_sh("%s", a), 0, "%s", a);
        char *out = file_text("out");
        cr_assert(strstr(out, "Flags [S]"), "%s", out);
        free(out);
    }
    /* the same for the other reading commands that take a filter */
    static const char *const cmds[] = { "stats", "flows", "verify", "extract http" };
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        int st = th_sh("PKTCRAFT_LIBPCAP=/nonexistent/x.so %s %s %s/f.pcap tcp 2>'%s/err' >'%s/out'", th_cli(), cmds[k],
                       dir, dir, dir);
        char *err = file_text("err");
        cr_assert_eq(st, 1, "%s: exit %d: %s", cmds[k], st, err);
        cr_assert(strstr(err, "BPF filters need libpcap (libpcap0.8): "), "%s: %s", cmds[k], err);
        free(err);
    }
    /* an empty PKTCRAFT_LIBPCAP is as if it were not set */
    int st = th_sh("PKTCRAFT_LIBPCAP= %s read %s/f.pcap tcp port 80 >'%s/out' 2>'%s/err'", th_cli(), dir, dir, dir);
    cr_assert_eq(st, 0);
    char *out = file_text("out");
    cr_assert(strstr(out, "Flags [S]"), "%s", out);
    free(out);
}

/* The README's command, read by tcpdump and by Python's dpkt and scapy
 * (Debian's python3 with python3-dpkt and python3-scapy). */
Test(cli, syn_file_read_by_tcpdump_dpkt_and_scapy)
{
    char a[512];
    snprintf(a, sizeof a, "syn --src 192.168.1.1 --dst 192.168.1.2 -o %s/out.pcap", dir);
    cr_assert_eq(cli(a), 0);
    cr_assert_eq(th_sh("command -v tcpdump >/dev/null"), 0, "tcpdump not found: run scripts/deps.sh (Debian package tcpdump)");
    cr_assert_eq(th_sh("tcpdump -vv -nr %s/out.pcap 2>/dev/null > %s/td.txt", dir, dir), 0);
    char *td = file_text("td.txt");
    cr_assert(strstr(td, "192.168.1.1.") && strstr(td, "> 192.168.1.2.80: Flags [S], cksum") && strstr(td, "(correct)"), "%s", td);
    cr_assert(!strstr(td, "incorrect"), "%s", td);
    free(td);
    cr_assert_eq(th_sh("/usr/bin/python3 -c 'import dpkt, scapy' 2>/dev/null"), 0,
                 "python3-dpkt / python3-scapy missing: run scripts/deps.sh");
    int st = th_sh("/usr/bin/python3 - '%s/out.pcap' <<'EOF'\n"
                   "import sys, dpkt\n"
                   "pk = list(dpkt.pcap.Reader(open(sys.argv[1], 'rb')))\n"
                   "assert len(pk) == 1\n"
                   "eth = dpkt.ethernet.Ethernet(pk[0][1]); ip = eth.data; tcp = ip.data\n"
                   "assert isinstance(tcp, dpkt.tcp.TCP) and tcp.flags == dpkt.tcp.TH_SYN and tcp.dport == 80\n"
                   "s = ip.sum; ip.sum = 0; assert dpkt.in_cksum(ip.pack_hdr() + bytes(ip.opts)) == s\n"
                   "from scapy.all import rdpcap, TCP, IP\n"
                   "p = rdpcap(sys.argv[1])[0]; ipc = p[IP].chksum; tc = p[TCP].chksum\n"
                   "del p[IP].chksum; del p[TCP].chksum; q = p.__class__(bytes(p))\n"
                   "assert q[IP].chksum == ipc and q[TCP].chksum == tc and q[TCP].flags == 'S'\n"
                   "EOF", dir);
    cr_assert_eq(st, 0, "dpkt/scapy did not read the SYN as one correct TCP SYN");
}
