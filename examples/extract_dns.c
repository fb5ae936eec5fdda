/* extract_dns: the seed's extract_dns(): every DNS message in a UDP
 * datagram to or from port 53, IPv4 or IPv6, fragmented or not.  One
 * JSON line per message: packet number, time, endpoints, id, whether it
 * is a response, rcode, the questions and the answers with their data as
 * text (A, AAAA, CNAME, MX, TXT, SRV, SOA...; other types in hex).  A
 * malformed message gives the records before the damage and its reason.
 *
 *     extract_dns FILE
 */
#include <stdio.h>

#include <pktcraft/pktcraft.h>

static struct pc_fmt o;

static void record(const struct pc_dns_iter *it, const struct pc_dns_rr *rr)
{
    pc_fmt_kobj_open(&o, NULL);
    pc_fmt_kstr(&o, "name", rr->name);
    pc_fmt_kstr(&o, "type", pc_dns_type_name(rr->type));
    if (rr->section != PC_DNS_SEC_QD) {
        char data[4096];
        pc_fmt_kuint(&o, "ttl", rr->ttl);
        if (pc_dns_rdata_text(it->msg, it->len, rr, data, sizeof data, NULL) >= 0) pc_fmt_kstr(&o, "data", data);
        else pc_fmt_knull(&o, "data");
    }
    pc_fmt_kobj_close(&o);
}

/* The questions, then the answers; authority and additional records
 * are walked past. */
static void sections(struct pc_dns_iter *it)
{
    struct pc_dns_rr rr;
    int rc, open = -1;
    while ((rc = pc_dns_iter_next(it, &rr)) > 0 && rr.section <= PC_DNS_SEC_AN) {
        if (open != rr.section) {
            if (open >= 0) pc_fmt_karr_close(&o);
            pc_fmt_karr_open(&o, rr.section == PC_DNS_SEC_QD ? "queries" : "answers");
            open = rr.section;
        }
        record(it, &rr);
    }
    while (rc > 0) rc = pc_dns_iter_next(it, &rr);
    if (open >= 0) pc_fmt_karr_close(&o);
    if (rc < 0) pc_fmt_kstr(&o, "error", it->why);
}

static void on_datagram(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n,
                        const struct pc_apkt *pk)
{
    (void)ctx;
    if (f->sport != PC_DNS_PORT && f->cport != PC_DNS_PORT) return;
    struct pc_dns_iter it;
    if (pc_dns_iter_init(&it, p, n) < 0) return; /* shorter than a DNS header */
    char src[46], dst[46];
    pc_flow_addr_str(f, dir, src);
    pc_flow_addr_str(f, !dir, dst);
    pc_fmt_kobj_open(&o, NULL);
    pc_fmt_kuint(&o, "n", pk->n);
    pc_fmt_kts(&o, "timestamp", pk->h->ts);
    pc_fmt_kstr(&o, "src", src);
    pc_fmt_kstr(&o, "dst", dst);
    pc_fmt_kuint(&o, "id", it.id);
    pc_fmt_kbool(&o, "is_response", it.flags & PC_DNS_F_QR);
    pc_fmt_kstr(&o, "rcode", pc_dns_rcode_name(it.flags & 0xF));
    sections(&it);
    pc_fmt_kobj_close(&o);
    pc_fmt_newline(&o);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: extract_dns FILE\n");
        return 2;
    }
    static char buf[1 << 16];
    int fd = 1;
    pc_fmt_init_sink(&o, buf, sizeof buf, true, pc_fmt_fd_sink, &fd);
    struct pc_analyzer_opts opts = { .no_streams = true }; /* UDP only: no TCP bytes to reassemble */
    struct pc_analyzer_cbs cbs = { .datagram = on_datagram };
    struct pc_err err;
    int rc = pc_analyze_file(argv[1], &opts, &cbs, NULL, &err);
    pc_fmt_flush(&o);
    if (rc < 0) fprintf(stderr, "extract_dns: %s\n", err.msg);
    return rc < 0 || o.err ? 1 : 0;
}
