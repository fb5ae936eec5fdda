/* fuzz_reader: the capture reader on a byte stream (pcap, pcapng, either
 * gzip-compressed).  The input goes into a memfd and is read with
 * pc_reader_fdopen(), as a pipe or a file would be; every packet is
 * iterated with its comments, options, interface and section looked up,
 * every non-packet block's options walked, and every packet decoded.  The
 * reader must neither crash nor leak (libFuzzer's leak check runs after
 * each input), and its accessors must agree with each other. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

/* gzip lets a small input inflate to a long stream of tiny records; the
 * reader is streaming and bounded in memory, so the only cost is time.
 * Past this many packets the harness stops iterating (not a reader limit). */
#define RD_MAX_PACKETS 20000

/* Options of a non-packet block, walked as a library caller would. */
static int rd_block(void *ctx, const struct pc_block *b)
{
    (void)ctx;
    FZ_CHECK(b->body != NULL || b->len == 0, "block without a body");
    if (!b->len) return 0;
    /* Each block type's options start after its fixed fields; walking from
     * any offset must stay inside the body whatever the bytes are. */
    for (uint32_t skip = 0; skip <= 16 && skip <= b->len; skip += 4) {
        struct pc_ng_opts it;
        uint16_t code, len;
        const uint8_t *val;
        pc_ng_opts_init(&it, b->body + skip, b->len - skip, b->big);
        while (pc_ng_opt_next(&it, &code, &val, &len) == 1)
            if (len) FZ_CHECK(val >= b->body && val + len <= b->body + b->len, "option value outside the block");
    }
    fz_touch(b->body, b->len);
    return 0;
}

static void rd_interfaces(const struct pc_reader *r)
{
    uint32_t n = pc_reader_ninterfaces(r);
    for (uint32_t i = 0; i < n && i < 64; i++) {
        const struct pc_iface *f = pc_reader_interface(r, i);
        FZ_CHECK(f != NULL, "interface %u of %u missing", i, n);
        if (f->name) (void)strlen(f->name);
        if (f->description) (void)strlen(f->description);
        if (f->os) (void)strlen(f->os);
        if (f->hardware) (void)strlen(f->hardware);
    }
    FZ_CHECK(pc_reader_interface(r, n) == NULL, "interface past the count");
    uint32_t ns = pc_reader_nsections(r);
    for (uint32_t i = 0; i < ns && i < 64; i++) {
        const struct pc_shb *s = pc_reader_section(r, i);
        FZ_CHECK(s != NULL, "section %u of %u missing", i, ns);
        for (uint32_t c = 0; c < s->ncomments; c++) (void)strlen(s->comments[c]);
        if (s->userappl) (void)strlen(s->userappl);
    }
    FZ_CHECK(pc_reader_section(r, ns) == NULL, "section past the count");
}

static void rd_packet(struct pc_reader *r, const struct pc_pkthdr *h, const uint8_t *data)
{
    FZ_CHECK(h->caplen <= PC_PCAP_MAX_CAPLEN, "caplen %u over the maximum", h->caplen);
    const struct pc_iface *f = pc_reader_interface(r, h->ifindex);
    FZ_CHECK(f != NULL, "packet on interface %u, which does not exist", h->ifindex);
    const uint8_t *p;
    uint32_t len;
    for (uint32_t i = 0; i < h->ncomments && i < 16; i++) {
        FZ_CHECK(pc_reader_comment(r, i, &p, &len) == 1, "comment %u of %u missing", i, h->ncomments);
        fz_touch(p, len);
    }
    FZ_CHECK(pc_reader_comment(r, h->ncomments, &p, &len) == 0, "a comment past ncomments");
    for (uint16_t code = 0; code < 8; code++)
        for (uint32_t idx = 0; idx < 3; idx++) {
            uint16_t olen;
            if (pc_reader_pkt_option(r, code, idx, &p, &olen) == 1) fz_touch(p, olen);
        }
    fz_touch(data, h->caplen);
    struct pc_decoded d;
    pc_decode(&d, data, h->caplen, h->len, h->linktype);
}

static void rd_stream(struct pc_reader *r)
{
    struct pc_pkthdr h;
    const uint8_t *data;
    int rc = 0;
    pc_reader_set_block_cb(r, rd_block, NULL);
    (void)pc_reader_linktype(r);
    (void)pc_reader_linktype_field(r);
    (void)pc_reader_snaplen(r);
    (void)pc_reader_tsprec(r);
    (void)pc_reader_swapped(r);
    (void)pc_reader_gzip(r);
    (void)pc_reader_thiszone(r);
    (void)pc_reader_sigfigs(r);
    int fmt = pc_reader_format(r);
    FZ_CHECK(fmt == PC_FORMAT_PCAP_US || fmt == PC_FORMAT_PCAP_NS || fmt == PC_FORMAT_PCAPNG, "format %d", fmt);
    for (uint64_t n = 0; n < RD_MAX_PACKETS && (rc = pc_reader_next(r, &h, &data)) == 1; n++) {
        rd_packet(r, &h, data);
        FZ_CHECK(pc_reader_count(r) == n + 1, "count %llu after %llu packets",
                 (unsigned long long)pc_reader_count(r), (unsigned long long)n + 1);
    }
    rd_interfaces(r);
    if (rc < 0) {
        const struct pc_err *e = pc_reader_err(r);
        FZ_CHECK(e->code == rc, "error %d but pc_reader_err says %d", rc, e->code);
        FZ_CHECK(memchr(e->msg, 0, sizeof e->msg) != NULL && e->msg[0], "error without a message");
        FZ_CHECK(pc_reader_next(r, &h, &data) == rc, "error not sticky");
    }
}

static int FUZZ_NAME(reader)(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_reader", MFD_CLOEXEC);
    if (fd < 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) abort();
        done += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) abort();
    struct pc_err err;
    struct pc_reader *r = pc_reader_fdopen(fd, "fuzz", &err);
    if (r) {
        rd_stream(r);
        pc_reader_close(r);
    } else {
        FZ_CHECK(err.code < 0 && memchr(err.msg, 0, sizeof err.msg) != NULL && err.msg[0], "open failed silently");
    }
    close(fd);
    return 0;
}

FUZZ_ENTRY(reader)
