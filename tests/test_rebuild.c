/* pc_rebuild (lib/core/rebuild.c) over real traffic: every packet of every
 * golden capture and of every capture in ../shared/corpus is decoded,
 * rebuilt with the builder, finalized, and must come back byte for byte.
 * The tests report how many packets every header of which was rebuilt by
 * its protocol's push, and how many had some header carried as raw bytes;
 * a minimum count of packets compared keeps them from passing vacuously. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

#include "helpers.h"

struct rb_stats {
    unsigned long files, unreadable, packets, exact, raw, raw_headers;
};

/* One packet: rebuilt frame equal to the captured bytes.  Returns the
 * headers carried raw. */
static int rb_check(const char *path, uint64_t pkt, const struct pc_pkthdr *h, const uint8_t *data)
{
    static uint8_t out[PC_PCAP_MAX_CAPLEN];
    struct pc_decoded d;
    pc_decode(&d, data, h->caplen, h->len, h->linktype);
    struct pc_pkt pk;
    pc_pkt_init(&pk, out, sizeof out);
    int raw = pc_rebuild(&pk, &d);
    cr_assert_geq(raw, 0, "%s: packet %llu: pc_rebuild: %s", path, (unsigned long long)pkt + 1, pc_strerror(raw));
    int n = pc_pkt_finalize(&pk);
    cr_assert_geq(n, 0, "%s: packet %llu: finalize: %s", path, (unsigned long long)pkt + 1, pc_strerror(n));
    size_t k = th_first_diff(out, (size_t)n, data, h->caplen);
    cr_assert((uint32_t)n == h->caplen && k == h->caplen,
              "%s: packet %llu (link type %d, %u layers): rebuilt %d bytes of %u, first difference at byte %zu",
              path, (unsigned long long)pkt + 1, h->linktype, d.n, n, h->caplen, k);
    return raw;
}

static bool rb_has(const uint8_t *data, const struct pc_pkthdr *h, uint8_t proto)
{
    struct pc_decoded d;
    pc_decode(&d, data, h->caplen, h->len, h->linktype);
    for (int i = 0; i < d.n; i++)
        if (d.l[i].proto == proto) return true;
    return false;
}

/* Every packet of one capture, up to a damage the reader reports. */
static void rb_file(const char *path, struct rb_stats *st, bool builder_made)
{
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    st->files++;
    if (!r) {
        st->unreadable++;
        return;
    }
    struct pc_pkthdr h;
    const uint8_t *data;
    for (uint64_t pkt = 0; pc_reader_next(r, &h, &data) == 1; pkt++) {
        int raw = rb_check(path, pkt, &h, data);
        st->packets++;
        st->raw_headers += (unsigned long)raw;
        if (raw) st->raw++;
        else st->exact++;
        /* pktcraft made these frames with its builder: every header but a
         * DNS message (which has no byte-for-byte push) must map back. */
        if (builder_made && !rb_has(data, &h, PC_P_DNS))
            cr_assert_eq(raw, 0, "%s: packet %llu: %d headers carried raw in a frame the builder made", path,
                         (unsigned long long)pkt + 1, raw);
    }
    pc_reader_close(r);
}

static void rb_report(const char *what, const struct rb_stats *st)
{
    cr_log_info("rebuild %s: %lu packets from %lu files (%lu unreadable) compared byte for byte: %lu rebuilt by "
                "their builders, %lu with some header carried raw (%lu raw headers)",
                what, st->packets, st->files, st->unreadable, st->exact, st->raw, st->raw_headers);
    fprintf(stderr, "rebuild %s: %lu packets compared: %lu rebuilt exactly by the builders, %lu with raw-carried headers\n",
            what, st->packets, st->exact, st->raw);
}

TestSuite(rebuild, .timeout = 1800);

Test(rebuild, golden_captures_rebuild_byte_for_byte)
{
    struct rb_stats st = { 0 };
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/golden", th_root());
    DIR *dp = opendir(pat);
    cr_assert_not_null(dp, "no golden directory at %s", pat);
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".pcap")) continue;
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", pat, e->d_name);
        rb_file(path, &st, true);
    }
    closedir(dp);
    rb_report("golden", &st);
    cr_assert_eq(st.unreadable, 0);
    cr_assert_geq(st.packets, 50, "only %lu golden packets compared", st.packets);
    cr_assert_geq(st.exact, 40, "only %lu golden packets rebuilt by the builders", st.exact);
}

/* nftw has no context argument: the walk's state is file-scope. */
static struct rb_stats rb_corpus_st;

static int rb_visit(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag != FTW_F) return 0;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!strcmp(base, "MANIFEST.tsv") || strstr(base, ".md") || strstr(path, "/holdout/")) return 0;
    rb_file(path, &rb_corpus_st, false);
    return 0;
}

Test(rebuild, shared_corpus_rebuilds_byte_for_byte)
{
    char corpus[4096];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    cr_assert_eq(th_sh("test -f '%s/MANIFEST.tsv'", corpus), 0,
                 "the capture corpus is missing at %s (it is shared/corpus beside the project)", corpus);
    memset(&rb_corpus_st, 0, sizeof rb_corpus_st);
    cr_assert_eq(nftw(corpus, rb_visit, 16, FTW_PHYS), 0, "walking %s", corpus);
    rb_report("corpus", &rb_corpus_st);
    cr_assert_geq(rb_corpus_st.files, 300, "only %lu corpus files", rb_corpus_st.files);
    cr_assert_geq(rb_corpus_st.packets, 30000, "only %lu corpus packets compared", rb_corpus_st.packets);
    cr_assert_geq(rb_corpus_st.exact, 25000, "only %lu corpus packets rebuilt by the builders", rb_corpus_st.exact);
}
