/* safe_parse: the seed's safe_parse().  Any capture format is detected
 * from the file's content (no pcap-then-pcapng guessing), every packet is
 * decoded, and every problem is reported where it is: one JSON line per
 * truncated or malformed layer (packet number, layer, reason), then a
 * summary line.  A damaged file is not an exception: the packets before
 * the damage are all decoded, and the damage is reported by file, packet
 * and byte offset, with exit status 1.
 *
 *     safe_parse FILE
 */
#include <stdio.h>

#include <pktcraft/pktcraft.h>

static struct pc_fmt o;

static void report(uint64_t n, const char *layer, const char *kind, const char *why)
{
    pc_fmt_kobj_open(&o, NULL);
    pc_fmt_kuint(&o, "n", n);
    pc_fmt_kstr(&o, "layer", layer);
    pc_fmt_kstr(&o, "error", kind);
    pc_fmt_kstr(&o, "why", why);
    pc_fmt_kobj_close(&o);
    pc_fmt_newline(&o);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: safe_parse FILE\n");
        return 2;
    }
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(argv[1], &err);
    if (!r) {
        fprintf(stderr, "safe_parse: %s\n", err.msg);
        return 1;
    }
    static char buf[1 << 16];
    int fd = 1;
    pc_fmt_init_sink(&o, buf, sizeof buf, true, pc_fmt_fd_sink, &fd);

    uint64_t bad[2] = { 0, 0 }; /* packets truncated, malformed (by their first problem) */
    struct pc_pkthdr h;
    const uint8_t *data;
    struct pc_decoded d;
    int rc;
    while ((rc = pc_reader_next(r, &h, &data)) > 0) {
        uint64_t n = pc_reader_count(r);
        if (pc_decode(&d, data, h.caplen, h.len, h.linktype) == 0) continue;
        bad[d.err != PC_ETRUNC]++;
        for (int i = 0; i < d.n; i++) {
            const struct pc_layer *l = &d.l[i];
            /* a payload cut by the capture is flagged without a reason of its own */
            if (!l->why) continue;
            if (l->flags & PC_LF_MALFORMED) report(n, pc_proto_name(l->proto), "malformed", l->why);
            else if (l->flags & PC_LF_TRUNC) report(n, pc_proto_name(l->proto), "truncated", l->why);
        }
        if (d.err == PC_ELIMIT) report(n, "-", "malformed", "too many layers");
    }
    pc_fmt_kobj_open(&o, NULL);
    pc_fmt_kstr(&o, "file", argv[1]);
    pc_fmt_kstr(&o, "format", pc_format_name(pc_reader_format(r)));
    pc_fmt_kuint(&o, "packets", pc_reader_count(r));
    pc_fmt_kuint(&o, "truncated", bad[0]);
    pc_fmt_kuint(&o, "malformed", bad[1]);
    if (rc < 0) pc_fmt_kstr(&o, "file_error", pc_reader_err(r)->msg);
    else pc_fmt_knull(&o, "file_error");
    pc_fmt_kobj_close(&o);
    pc_fmt_newline(&o);
    pc_fmt_flush(&o);
    if (rc < 0) fprintf(stderr, "safe_parse: %s\n", pc_reader_err(r)->msg);
    pc_reader_close(r);
    return rc < 0 || o.err ? 1 : 0;
}
