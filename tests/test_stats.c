/* pktcraft stats: the protocol hierarchy, totals, hosts and 1 s intervals
 * agree with tshark (-z io,phs, -z endpoints,ip/ipv6, -z io,stat,1 and
 * its frame times), and the packets of every TCP/UDP 5-tuple of `flows`
 * with tshark's -z conv,tcp/udp, over the corpus (scripts/stats-check,
 * one tshark run per file, cached); --format json is valid JSON for every
 * corpus file, and every corpus file goes through the sanitized CLI
 * (stats and flows) without a crash. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "helpers.h"
#include "oracle.h"

TestSuite(stats, .timeout = 1800);

/* The last run: 288 files compared (42 skipped: tshark cannot read them
 * or pktcraft reports them damaged), 638 protocol paths, 719 hosts, 23626
 * intervals, 2209 TCP/UDP 5-tuples equal; 48 known differences in the 25
 * files of tests/stats-known.tsv, each with its reason; 0 others.  The
 * minimums are a little under those figures. */
Test(stats, agrees_with_tshark_over_the_corpus)
{
    th_tshark_require();
    char corpus[4200], dir[64], log[128];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    th_tmpdir(dir);
    snprintf(log, sizeof log, "%s/stats.txt", dir);
    const char *rel = getenv("PKTCRAFT_REL");
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/stats-check --pktcraft '%s' --jobs 2 --cache '%s/stats-check' "
                   "--known tests/stats-known.tsv --min-files 280 --min-paths 600 --min-hosts 700 --min-intervals 23000 --min-convs 2150 '%s' > '%s' "
                   "2>&1",
                   th_root(), rel && *rel ? rel : th_cli(), th_cache_root(), corpus, log);
    char *out = th_slurp_text(log);
    th_rmdir(dir);
    cr_assert(out, "stats-check wrote no output");
    char *sum = strstr(out, "stats: ");
    cr_assert_eq(st, 0, "stats-check failed (exit %d):\n%s", st, out);
    cr_assert(sum, "%s", out);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    free(out);
}

/* Every corpus capture through the CLI under test (the sanitized build):
 * stats exits 0 with valid JSON, or 1 with a message (damaged file, or a
 * capture spanning more than a million intervals), never anything else;
 * flows likewise. */
Test(stats, every_corpus_file_json_and_no_crash)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd,
             "find '%s/../shared/corpus' -type f ! -name MANIFEST.tsv ! -name '*.md' ! -path '*/holdout/*' | sort",
             th_root());
    char *list = th_cmd_output(cmd, NULL);
    char dir[64];
    th_tmpdir(dir);
    int files = 0, json = 0, refused = 0;
    for (char *p = list, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl) break;
        *nl = 0;
        files++;
        int rc = th_sh("'%s' stats --format json '%s' > '%s/s.json' 2> '%s/s.err'", th_cli(), p, dir, dir);
        cr_assert(rc == 0 || rc == 1, "stats exit %d on %s", rc, p);
        int valid = th_sh("/usr/bin/python3 -m json.tool '%s/s.json' > /dev/null 2>&1", dir);
        char ep[128];
        snprintf(ep, sizeof ep, "%s/s.err", dir);
        char *err = th_slurp_text(ep);
        cr_assert_not_null(err);
        if (rc == 0) cr_assert_eq(valid, 0, "stats --format json on %s is not valid JSON", p);
        else cr_assert(!strncmp(err, "pktcraft: ", 10), "stats exit 1 on %s without a message: %s", p, err);
        free(err);
        json += valid == 0;
        refused += rc == 1;
        rc = th_sh("'%s' flows --format jsonl '%s' > /dev/null 2> '%s/f.err'", th_cli(), p, dir);
        cr_assert(rc == 0 || rc == 1, "flows exit %d on %s", rc, p);
    }
    free(list);
    th_rmdir(dir);
    cr_log_info("stats: %d corpus files, %d with valid JSON, %d refused with a message", files, json, refused);
    cr_assert_geq(files, 300, "the corpus was not found");
    cr_assert_geq(json, 280, "only %d files gave JSON", json);
}

/* One UDP datagram a -> b with n payload bytes. */
static void st_udp(struct th_pcapw *w, const uint8_t a[4], const uint8_t b[4], uint16_t sport, uint16_t dport, size_t n)
{
    static uint8_t buf[2048], pay[1400];
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, sizeof buf);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    struct pc_ipv4 ip = { .ttl = 64 };
    memcpy(ip.src, a, 4);
    memcpy(ip.dst, b, 4);
    pc_push_ipv4(&pk, &ip);
    pc_push_udp(&pk, &(struct pc_udp){ .sport = sport, .dport = dport });
    pc_push_payload(&pk, pay, n);
    int len = pc_pkt_finalize(&pk);
    cr_assert_gt(len, 0, "%s", pc_strerror(len));
    th_pcapw_put(w, buf, (uint32_t)len);
}

/* The number after "key": at or after obj (the first such key). */
static unsigned long long st_num(const char *obj, const char *key)
{
    char k[32];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(obj, k);
    cr_assert_not_null(p, "no %s in %s", key, obj);
    return strtoull(p + strlen(k), NULL, 10);
}

/* Past --limit stats-keys the top lists turn to Space-Saving: the output
 * says they are approximate, and the true heavy hitters are still listed
 * first, with counts that are upper bounds no more than their error too
 * high.  3000 one-packet talkers on distinct ports (6000 hosts, 3000
 * conversations and ports) against a bound of 64, around one heavy
 * conversation (10.9.0.1 <-> 10.9.0.2 on udp/53, 300 packets of 1042
 * bytes) and a second one (10.9.0.3 -> 10.9.0.4, 100 packets). */
Test(stats, top_lists_past_stats_keys_keep_the_heavy_hitters)
{
    char dir[64], path[128];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/many.pcap", dir);
    struct th_pcapw w;
    th_pcapw_open(&w, path, PC_LINK_ETHERNET, PC_TSPREC_US);
    const uint8_t h1[4] = { 10, 9, 0, 1 }, h2[4] = { 10, 9, 0, 2 }, h3[4] = { 10, 9, 0, 3 }, h4[4] = { 10, 9, 0, 4 };
    for (int i = 0; i < 3000; i++) {
        uint8_t a[4] = { 10, 8, (uint8_t)(i >> 8), (uint8_t)i }, b[4] = { 10, 7, (uint8_t)(i >> 8), (uint8_t)i };
        st_udp(&w, a, b, (uint16_t)(30000 + i), (uint16_t)(1000 + i), 10);
        if (i % 10 == 0) st_udp(&w, h1, h2, 40000, 53, 1000);
        if (i % 30 == 0) st_udp(&w, h3, h4, 40001, 5353, 1000);
    }
    th_pcapw_close(&w);
    char out[160];
    snprintf(out, sizeof out, "%s/s.json", dir);
    cr_assert_eq(th_sh("'%s' stats --format json --top 3 --limit stats-keys=64 '%s' > '%s'", th_cli(), path, out), 0);
    char *js = th_slurp_text(out);
    cr_assert_not_null(js);
    cr_assert(strstr(js, "\"top_approximate\":{\"hosts\":true,\"conversations\":true,\"ports\":true}"), "%s", js);
    /* the heavy ones first: counts at least the truth, at most error above it */
    const char *c = strstr(js, "\"top_conversations\":[{\"key\":\"10.9.0.1 <-> 10.9.0.2\"");
    cr_assert(c, "%s", js);
    unsigned long long by = st_num(c, "bytes"), er = st_num(c, "error");
    cr_assert(by >= 300ull * 1042 && by - er <= 300ull * 1042, "bytes %llu error %llu", by, er);
    cr_assert(strstr(c, "},{\"key\":\"10.9.0.3 <-> 10.9.0.4\""), "%s", c);
    const char *h = strstr(js, "\"top_hosts\":[{\"key\":\"10.9.0.");
    cr_assert(h && strstr(h, "},{\"key\":\"10.9.0."), "%s", js);
    const char *p = strstr(js, "\"top_ports\":[{\"key\":\"udp/53\",\"packets\":");
    cr_assert(p, "%s", js);
    unsigned long long pk = st_num(p, "packets");
    er = st_num(p, "error");
    cr_assert(pk >= 300 && pk - er <= 300, "packets %llu error %llu", pk, er);
    free(js);
    /* the text says so too */
    cr_assert_eq(th_sh("'%s' stats --top 3 --limit stats-keys=64 '%s' | grep -q 'Top hosts (by bytes) (approximate: more keys "
                       "than --limit stats-keys)'",
                       th_cli(), path),
                 0);
    th_rmdir(dir);
}

/* The top lists' table grows with the keys (from 64 buckets) and, past
 * --limit stats-keys, keys come and go (each going one shifts the keys
 * after it back in the table): below the bound every count stays exact,
 * and past it no key is ever listed twice (a key the table lost would be
 * counted again in a second slot) and the heavy conversation stays first.
 * 4000 conversations 10.6.x.y <-> 10.5.x.y, conversation i with i % 5 + 1
 * packets (of 10 bytes of payload: 52 bytes a frame), both ways, with a
 * heavy one (10.9.0.1 <-> 10.9.0.2) every 20th. */
Test(stats, top_lists_grow_exact_and_churn_without_duplicates)
{
    char dir[64], path[128];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/churn.pcap", dir);
    struct th_pcapw w;
    th_pcapw_open(&w, path, PC_LINK_ETHERNET, PC_TSPREC_US);
    const uint8_t h1[4] = { 10, 9, 0, 1 }, h2[4] = { 10, 9, 0, 2 };
    unsigned long long heavy = 0;
    for (int i = 0; i < 4000; i++) {
        uint8_t a[4] = { 10, 6, (uint8_t)(i >> 8), (uint8_t)i }, b[4] = { 10, 5, (uint8_t)(i >> 8), (uint8_t)i };
        for (int j = 0; j <= i % 5; j++) {
            if (j % 2) st_udp(&w, b, a, 53, (uint16_t)(20000 + i), 10);
            else st_udp(&w, a, b, (uint16_t)(20000 + i), 53, 10);
        }
        if (i % 20 == 0) {
            st_udp(&w, h1, h2, 40000, 5353, 200);
            heavy++;
        }
    }
    th_pcapw_close(&w);
    char out[160];
    snprintf(out, sizeof out, "%s/s.json", dir);
    /* exact: every conversation listed once with its own count */
    cr_assert_eq(th_sh("'%s' stats --format json --top 10000 '%s' > '%s'", th_cli(), path, out), 0);
    cr_assert_eq(th_sh("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d[\"top_conversations\"];"
                       " assert not any(d[\"top_approximate\"].values());"
                       " assert len(c) == 4001 and len({x[\"key\"] for x in c}) == 4001, len(c);"
                       " n={int(x[\"key\"].split(\" \")[0].split(\".\")[2])*256+int(x[\"key\"].split(\" \")[0].split(\".\")[3]):x"
                       " for x in c if x[\"key\"].startswith(\"10.5.\")};"
                       " assert all(n[i][\"packets\"] == i%%5+1 and n[i][\"bytes\"] == 52*(i%%5+1) and n[i][\"error\"] == 0"
                       " for i in range(4000)), \"counts\";"
                       " assert len(d[\"top_hosts\"]) == 8002' '%s'",
                       out),
                 0);
    /* past the bound: no key twice, the heavy one first and bounded */
    cr_assert_eq(th_sh("'%s' stats --format json --top 64 --limit stats-keys=64 '%s' > '%s'", th_cli(), path, out), 0);
    cr_assert_eq(th_sh("python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));"
                       " a=d[\"top_approximate\"]; assert a[\"hosts\"] and a[\"conversations\"] and not a[\"ports\"];"
                       " assert all(len(d[l]) == 64 and len({x[\"key\"] for x in d[l]}) == 64"
                       " for l in (\"top_hosts\", \"top_conversations\")), \"duplicates\";"
                       " c=d[\"top_conversations\"][0];"
                       " assert c[\"key\"] == \"10.9.0.1 <-> 10.9.0.2\" and c[\"packets\"] >= %llu"
                       " and c[\"packets\"] - c[\"error\"] <= %llu, c' '%s'",
                       heavy, heavy, out),
                 0);
    th_rmdir(dir);
}
