/* LAYER[K].FIELD for --set and --corrupt (issue 10): under --tunnel gre and
 * vxlan, over IPv4 and IPv6 outer headers, an indexed field reaches one
 * layer (K from the outermost, negative from the innermost), an unindexed
 * one every layer of its kind, @N one packet; the headers an ICMP error
 * quotes are layers too; conversations and dns keep working; a bad or
 * too large index is refused with exit 2 and no file.  The oracle is
 * tshark, one call per capture: every occurrence of a field, outermost
 * first, and its IPv4 checksum verdicts. */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "oracle.h"

static char dir[64];
static const char *tshark;
static struct th_rows rows;

static void setup(void) { tshark = th_tshark_setup(dir, NULL, NULL, 0, NULL); }
static void teardown(void) { th_tshark_cleanup(dir, &rows); }

TestSuite(fieldidx, .init = setup, .fini = teardown, .timeout = 1800);

/* The columns read from every frame; '|' joins a field's occurrences. */
static const char *const FIELDS[] = { "ip.ttl",      "ip.id",       "ip.flags", "ip.checksum.status",
                                      "ipv6.hlim",   "udp.srcport", "udp.dstport", "eth.src",
                                      "_ws.expert.message", "_ws.malformed" };
enum { C_TTL, C_ID, C_FLAGS, C_CSUM, C_HLIM, C_SPORT, C_DPORT, C_ESRC, C_EXPERT, C_MALFORMED, NCOL };
#define NCHECK C_EXPERT /* the columns a frame's expectation lists */

/* One frame as tshark must show it: a string a column (NULL: not looked
 * at).  The checksum verdicts are 1 good, 0 bad, one per IPv4 header. */
struct fi_frame { const char *col[NCHECK]; };

/* Run pktcraft with args; stderr in dir/err.  The exit status. */
static int fi_run(const char *args)
{
    return th_sh("'%s' %s 2>'%s/err' >/dev/null", th_cli(), args, dir);
}

/* Craft dir/NAME with args (which must succeed), then dissect it once. */
static void fi_craft(const char *name, const char *args)
{
    char cmd[4096], pcap[256];
    snprintf(pcap, sizeof pcap, "%s/%s", dir, name);
    snprintf(cmd, sizeof cmd, "%s --start 1700000000 -o '%s'", args, pcap);
    int st = fi_run(cmd);
    char ep[128];
    snprintf(ep, sizeof ep, "%s/err", dir);
    char *err = th_slurp_text(ep);
    cr_assert_eq(st, 0, "pktcraft %s: exit %d: %s", cmd, st, err ? err : "");
    free(err);
    th_tshark_fields_occ(&rows, tshark, dir, pcap, NULL, "-o ip.check_checksum:TRUE", 'a', FIELDS, NCOL);
}

/* Frame k's columns, split in place (rows is read once per frame). */
static void fi_cols(size_t k, char **cols)
{
    cr_assert_lt(k, rows.n, "tshark printed %zu frames, frame %zu wanted", rows.n, k + 1);
    th_split_cols(rows.row[k], cols, NCOL, k + 1);
    cr_assert_str_empty(cols[C_MALFORMED], "frame %zu malformed: %s", k + 1, cols[C_EXPERT]);
}

/* The frames of the last capture are exactly want[0..n): every column
 * listed, and tshark's expert info reports a bad checksum exactly in the
 * frames where a verdict is 0 (the corrupted one). */
static void fi_expect(const char *what, const struct fi_frame *want, size_t n)
{
    static const char *const names[NCHECK] = { "ip.ttl", "ip.id", "ip.flags", "ip.checksum.status", "ipv6.hlim",
                                               "udp.srcport", "udp.dstport", "eth.src" };
    cr_assert_eq(rows.n, n, "%s: %zu frames, want %zu", what, rows.n, n);
    for (size_t k = 0; k < n; k++) {
        char *cols[NCOL];
        fi_cols(k, cols);
        for (int c = 0; c < NCHECK; c++)
            if (want[k].col[c])
                cr_expect_str_eq(cols[c], want[k].col[c], "%s: frame %zu %s is '%s', want '%s'", what, k + 1,
                                 names[c], cols[c], want[k].col[c]);
        bool bad = want[k].col[C_CSUM] && strchr(want[k].col[C_CSUM], '0');
        cr_expect_eq(strstr(cols[C_EXPERT], "Bad checksum") != NULL, bad, "%s: frame %zu expert info '%s' (%s)", what,
                     k + 1, cols[C_EXPERT], bad ? "a bad checksum wanted" : "no bad checksum wanted");
    }
}

/* ---- tunnels: GRE and VXLAN over an IPv4 and an IPv6 outer header ---- */

struct fi_tunnel {
    const char *name, *opts;
    bool vxlan, outer6;
};
static const struct fi_tunnel TUNNELS[] = {
    { "gre over IPv4", "--tunnel gre:7 --outer-src 192.0.2.1 --outer-dst 192.0.2.2", false, false },
    { "vxlan over IPv4", "--tunnel vxlan:42 --outer-src 192.0.2.1 --outer-dst 192.0.2.2", true, false },
    { "gre over IPv6", "--tunnel gre:7 --outer-src 2001:db8:ff::1 --outer-dst 2001:db8:ff::2", false, true },
    { "vxlan over IPv6", "--tunnel vxlan:42 --outer-src 2001:db8:ff::1 --outer-dst 2001:db8:ff::2", true, true },
};
#define BASE "udp --src 10.1.0.1 --dst 10.1.0.2 --sport 3000 --dport 5000 -c 3 --seed 3"
#define ETH0 "02:00:00:00:00:01"

/* Indexed: ip[0]/ip[1]/ip[-1]/ip[-2] reach one IPv4 header each (with an
 * IPv6 outer header the inner IPv4 one is both ip[0] and ip[-1]), @N one
 * packet, udp[0]/udp[1] and eth[1] the two UDP and Ethernet headers of
 * VXLAN; --corrupt ip[0].csum@2 breaks packet 2's outermost IPv4 only. */
Test(fieldidx, indexed_fields_reach_one_layer)
{
    char args[2048];
    for (size_t t = 0; t < sizeof TUNNELS / sizeof TUNNELS[0]; t++) {
        const struct fi_tunnel *tu = &TUNNELS[t];
        const char *vx = tu->vxlan ? " --set udp[0].sport=1111 --set udp[1].sport=2222 --set eth[1].src=02:00:00:00:aa:01"
                                   : " --set udp[-1].sport=2222";
        if (!tu->outer6)
            snprintf(args, sizeof args,
                     BASE " %s --set ip[0].ttl=5 --set ip[1].ttl=6 --set ip[1].ttl=9@3 --set ip[-2].id=17"
                          " --set ip[-1].id=34 --set ip[0].flags=2 --corrupt ip[0].csum@2%s",
                     tu->opts, vx);
        else
            snprintf(args, sizeof args,
                     BASE " %s --set ip6[0].hlim=5 --set ip[0].ttl=6 --set ip[-1].ttl=9@3 --set ip[-1].id=34"
                          " --set ip[0].flags=2 --corrupt ip[0].csum@2%s",
                     tu->opts, vx);
        fi_craft("idx.pcap", args);
        const char *sport = tu->vxlan ? "1111|2222" : "2222", *dport = tu->vxlan ? "4789|5000" : "5000";
        const char *esrc = tu->vxlan ? ETH0 "|02:00:00:00:aa:01" : ETH0;
        if (!tu->outer6) {
            struct fi_frame want[3] = {
                { { "5|6", "0x0011|0x0022", "0x02|0x00", "1|1", "", sport, dport, esrc } },
                { { "5|6", "0x0011|0x0022", "0x02|0x00", "0|1", "", sport, dport, esrc } },
                { { "5|9", "0x0011|0x0022", "0x02|0x00", "1|1", "", sport, dport, esrc } },
            };
            fi_expect(tu->name, want, 3);
        } else {
            struct fi_frame want[3] = {
                { { "6", "0x0022", "0x02", "1", "5", sport, dport, esrc } },
                { { "6", "0x0022", "0x02", "0", "5", sport, dport, esrc } },
                { { "9", "0x0022", "0x02", "1", "5", sport, dport, esrc } },
            };
            fi_expect(tu->name, want, 3);
        }
    }
}

/* Unindexed: every layer of the kind, outer and inner (the README's rule);
 * under an IPv6 outer header ip.* has only the inner header to reach and
 * ip6.hlim only the outer one. */
Test(fieldidx, unindexed_fields_reach_every_layer)
{
    char args[2048];
    for (size_t t = 0; t < sizeof TUNNELS / sizeof TUNNELS[0]; t++) {
        const struct fi_tunnel *tu = &TUNNELS[t];
        snprintf(args, sizeof args,
                 BASE " %s --set ip.ttl=7 --set ip.id=99 --set ip.flags=2 --corrupt ip.csum@3 --set udp.sport=3333"
                      " --set eth.src=02:00:00:00:bb:01%s",
                 tu->opts, tu->outer6 ? " --set ip6.hlim=8" : "");
        fi_craft("all.pcap", args);
        const char *sport = tu->vxlan ? "3333|3333" : "3333", *dport = tu->vxlan ? "4789|5000" : "5000";
        const char *esrc = tu->vxlan ? "02:00:00:00:bb:01|02:00:00:00:bb:01" : "02:00:00:00:bb:01";
        if (!tu->outer6) {
            struct fi_frame want[3] = {
                { { "7|7", "0x0063|0x0063", "0x02|0x02", "1|1", "", sport, dport, esrc } },
                { { "7|7", "0x0063|0x0063", "0x02|0x02", "1|1", "", sport, dport, esrc } },
                { { "7|7", "0x0063|0x0063", "0x02|0x02", "0|0", "", sport, dport, esrc } },
            };
            fi_expect(tu->name, want, 3);
        } else {
            struct fi_frame want[3] = {
                { { "7", "0x0063", "0x02", "1", "8", sport, dport, esrc } },
                { { "7", "0x0063", "0x02", "1", "8", sport, dport, esrc } },
                { { "7", "0x0063", "0x02", "0", "8", sport, dport, esrc } },
            };
            fi_expect(tu->name, want, 3);
        }
    }
}

/* --ttl, --ip-id, --df, --tos describe the crafted (inner) packet; the
 * outer header keeps TTL 64 and no flags unless ip[0] says otherwise.  An
 * IPv6 packet in an IPv4 tunnel has one IPv4 header: ip[-1] is the outer. */
Test(fieldidx, shared_options_are_the_inner_header)
{
    fi_craft("inner.pcap", "udp --src 10.1.0.1 --dst 10.1.0.2 --dport 5000 --tunnel gre --outer-src 192.0.2.1"
                           " --outer-dst 192.0.2.2 --ttl 40 --ip-id 5 --df --set ip[0].id=1");
    fi_expect("--ttl/--ip-id/--df", (struct fi_frame[]){ { { "64|40", "0x0001|0x0005", "0x00|0x02", "1|1" } } }, 1);
    fi_craft("v6in4.pcap", "udp --src 2001:db8::1 --dst 2001:db8::2 --dport 5000 --tunnel vxlan:9 --outer-src 192.0.2.1"
                           " --outer-dst 192.0.2.2 --hop-limit 20 --set ip[-1].ttl=3 --set ip[0].flags=2");
    fi_expect("IPv6 in IPv4", (struct fi_frame[]){ { { "3", NULL, "0x02", "1", "20" } } }, 1);
}

/* An ICMP error's quoted probe (made up when no --quote) is ip[1] and
 * udp[0] (ip6[1] for icmp6); under a tunnel the quote is ip[2]. */
Test(fieldidx, icmp_quote_is_a_layer)
{
    fi_craft("q.pcap", "icmp --src 10.0.0.254 --dst 10.0.0.1 --type time-exceeded --set ip[1].ttl=9"
                       " --set udp[0].dport=4444 --set ip[0].id=1 --set ip[1].id=2 --corrupt ip[-1].csum");
    fi_expect("quote indexed", (struct fi_frame[]){ { { "64|9", "0x0001|0x0002", NULL, "1|0", NULL, NULL, "4444" } } }, 1);
    fi_craft("qall.pcap", "icmp --src 10.0.0.254 --dst 10.0.0.1 --type time-exceeded --set ip.ttl=7 --set ip.id=5");
    fi_expect("quote unindexed", (struct fi_frame[]){ { { "7|7", "0x0005|0x0005", NULL, "1|1" } } }, 1);
    fi_craft("qt.pcap", "icmp --src 10.0.0.254 --dst 10.0.0.1 --type unreach --code port --tunnel gre"
                        " --outer-src 192.0.2.1 --outer-dst 192.0.2.2 --set ip[-1].ttl=2 --set ip[1].ttl=3"
                        " --set ip[0].ttl=4");
    fi_expect("quote in a tunnel", (struct fi_frame[]){ { { "4|3|2", NULL, NULL, "1|1|1" } } }, 1);
    fi_craft("q6.pcap", "icmp6 --src 2001:db8::fe --dst 2001:db8::1 --type time-exceeded --set ip6[-1].hlim=9"
                        " --set udp[-1].sport=4444");
    fi_expect("icmp6 quote", (struct fi_frame[]){ { { "", NULL, NULL, "", "64|9", "4444", "33434" } } }, 1);
    /* a quote loaded from a capture is copied as it is: no layer */
    char args[512];
    snprintf(args, sizeof args, "icmp --src 10.0.0.254 --dst 10.0.0.1 --type time-exceeded --quote '%s/q.pcap'"
                                " --set ip[1].ttl=1 -o '%s/no.pcap'", dir, dir);
    cr_assert_eq(fi_run(args), 2);
}

/* The commands built on the conversation engine and dns count the same
 * layers: udp[-1] is the datagram the command makes, also under VXLAN. */
Test(fieldidx, conversations_and_dns)
{
    fi_craft("s.pcap", "session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send hello --recv world --tunnel gre"
                       " --outer-src 192.0.2.1 --outer-dst 192.0.2.2 --set ip[-1].ttl=33 --set ip[0].ttl=3@2");
    cr_assert_geq(rows.n, 4, "a TCP session has a handshake and data: %zu frames", rows.n);
    for (size_t k = 0; k < rows.n; k++) {
        char *cols[NCOL];
        fi_cols(k, cols);
        cr_expect_str_eq(cols[C_TTL], k == 1 ? "3|33" : "64|33", "session frame %zu ttl %s", k + 1, cols[C_TTL]);
    }
    fi_craft("u.pcap", "session --udp --src 10.0.0.1 --dst 10.0.0.2 --dport 7000 --send hello --recv world"
                       " --tunnel vxlan:3 --outer-src 192.0.2.1 --outer-dst 192.0.2.2 --set udp[-1].sport=6000"
                       " --set udp[0].dport=4789 --set eth[-1].dst=02:00:00:00:cc:02");
    cr_assert_eq(rows.n, 2);
    for (size_t k = 0; k < rows.n; k++) {
        char *cols[NCOL];
        fi_cols(k, cols);
        const char *bar = strchr(cols[C_SPORT], '|');
        cr_expect(bar && !strcmp(bar, "|6000"), "udp session frame %zu sport %s", k + 1, cols[C_SPORT]);
        cr_expect(!strncmp(cols[C_DPORT], "4789|", 5), "udp session frame %zu dport %s", k + 1, cols[C_DPORT]);
    }
    fi_craft("d.pcap", "dns --src 10.0.0.1 --dst 10.0.0.53 --qname example.com --tunnel vxlan:3 --outer-src 192.0.2.1"
                       " --outer-dst 192.0.2.2 --set udp[-1].sport=5300 --set udp[0].sport=1000 --set ip[-2].ttl=2");
    fi_expect("dns", (struct fi_frame[]){ { { "2|64", NULL, NULL, "1|1", "", "1000|5300", "4789|53" } } }, 1);
}

/* Refusals: exit 2, a message naming the field as typed, no file. */
static void fi_refused(const char *args, const char *needle)
{
    char cmd[2048], out[256], ep[128];
    snprintf(out, sizeof out, "%s/refused.pcap", dir);
    snprintf(cmd, sizeof cmd, "%s -o '%s'", args, out);
    int st = fi_run(cmd);
    snprintf(ep, sizeof ep, "%s/err", dir);
    char *err = th_slurp_text(ep);
    cr_assert_not_null(err);
    cr_expect_eq(st, 2, "'%s' exited %d, want 2: %s", args, st, err);
    cr_expect(strstr(err, needle), "'%s': stderr lacks '%s': %s", args, needle, err);
    cr_expect(!strncmp(err, "pktcraft: ", 10), "message must start with 'pktcraft: ': %s", err);
    free(err);
    struct stat sb;
    cr_expect_neq(stat(out, &sb), 0, "'%s' left %s behind", args, out);
}

Test(fieldidx, bad_indexes_are_refused)
{
    const char *v4 = "udp --src 10.1.0.1 --dst 10.1.0.2 --tunnel vxlan:42 --outer-src 192.0.2.1 --outer-dst 192.0.2.2";
    char a[1024];
    static const char *const beyond[][2] = {
        { "--set ip[2].ttl=1", "--set ip[2].ttl: this packet has 2 ip layers (ip[0] to ip[1], or ip[-2] to ip[-1])" },
        { "--set ip[-3].ttl=1", "--set ip[-3].ttl: this packet has 2 ip layers" },
        { "--corrupt ip[2].csum", "--corrupt ip[2].csum: this packet has 2 ip layers" },
        { "--set udp[2].sport=1", "--set udp[2].sport: this packet has 2 udp layers" },
        { "--set eth[2].src=02:00:00:00:00:09", "--set eth[2].src: this packet has 2 eth layers" },
        { "--set ip6[0].hlim=1", "--set ip6[0].hlim: this packet has no such layer" },
        { "--set ip[2].ttl=1@2 -c 3", "--set ip[2].ttl@2: packet 2 has no such layer" },
    };
    for (size_t k = 0; k < sizeof beyond / sizeof beyond[0]; k++) {
        snprintf(a, sizeof a, "%s %s", v4, beyond[k][0]);
        fi_refused(a, beyond[k][1]);
    }
    fi_refused("udp --src 10.1.0.1 --dst 10.1.0.2 --tunnel gre --outer-src 2001:db8::1 --outer-dst 2001:db8::2"
               " --set ip[1].ttl=1", "--set ip[1].ttl: this packet has 1 ip layer (ip[0], or ip[-1])");
    fi_refused("tcp --src 10.1.0.1 --dst 10.1.0.2 --tunnel gre --outer-src 192.0.2.1 --outer-dst 192.0.2.2"
               " --set eth[1].src=02:00:00:00:00:09", "--set eth[1].src: this packet has 1 eth layer");
    static const char *const syntax[] = { "ip[x].ttl=1", "ip[].ttl=1", "ip[0]ttl=1", "[0].ttl=1", "ip[-0].ttl=1",
                                          "ip[1.ttl=1", "ip.ttl[0]=1", "ip[+1].ttl=1", "ip[0].=1", "ip[0][1].ttl=1",
                                          "ip[ 1].ttl=1", "ip[1000].ttl=1" };
    for (size_t k = 0; k < sizeof syntax / sizeof syntax[0]; k++) {
        char needle[128];
        snprintf(needle, sizeof needle, "--set: '%.*s' is not LAYER[K].FIELD", (int)(strchr(syntax[k], '=') - syntax[k]),
                 syntax[k]);
        snprintf(a, sizeof a, "%s --set '%s'", v4, syntax[k]);
        fi_refused(a, needle);
    }
    snprintf(a, sizeof a, "%s --corrupt 'ip[a].csum'", v4);
    fi_refused(a, "--corrupt: 'ip[a].csum' is not LAYER[K].FIELD");
    snprintf(a, sizeof a, "%s --set 'ip[16].ttl=1'", v4);
    fi_refused(a, "--set: 'ip[16].ttl': index 16 is beyond the 16 layers a packet can have");
    snprintf(a, sizeof a, "%s --set 'ip[-17].ttl=1'", v4);
    fi_refused(a, "index -17 is beyond");
    snprintf(a, sizeof a, "%s --set 'ip[0].bogus=1'", v4);
    fi_refused(a, "--set: unknown field 'ip[0].bogus'");
    snprintf(a, sizeof a, "%s --set 'ip[0].ttl=256'", v4);
    fi_refused(a, "--set ip[0].ttl: 256 is over the maximum of 255");
    snprintf(a, sizeof a, "%s --corrupt 'ip[0].ttl'", v4);
    fi_refused(a, "--corrupt: ip[0].ttl is not a computed field");
}
