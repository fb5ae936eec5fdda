/* reconstruct_flows: the seed's reconstruct_flows(), with real TCP
 * reassembly: each direction's bytes in sequence order whatever the
 * arrival order, retransmissions and overlaps counted once, sequence
 * numbers followed across 2^32, holes reported as gaps, connections
 * picked up mid-stream.  One JSON line per TCP connection as it ends:
 * endpoints (client by the SYN, else the higher port), packets and bytes
 * each way, and the SHA-256 of each direction's reassembled bytes.  The
 * bytes are hashed as they stream by, so memory does not grow with the
 * capture (the seed keeps every byte of every flow).
 *
 *     reconstruct_flows FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include <pktcraft/pktcraft.h>

static struct pc_fmt o;

static void *on_start(void *ctx, const struct pc_flow *f)
{
    (void)ctx;
    if (f->proto != PC_IPPROTO_TCP) return NULL;
    struct pc_sha256 *h = malloc(2 * sizeof *h);
    if (h) pc_sha256_init(&h[0]), pc_sha256_init(&h[1]);
    return h;
}

static void on_data(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n, uint64_t off,
                    pc_time_ns ts)
{
    (void)ctx, (void)off, (void)ts;
    struct pc_sha256 *h = pc_flow_user(f);
    if (h) pc_sha256_update(&h[dir], p, n);
}

static void sha(const char *key, struct pc_sha256 *h)
{
    uint8_t md[32];
    char hex[65];
    pc_sha256_final(h, md);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    pc_fmt_kstr(&o, key, hex);
}

static void on_end(void *ctx, const struct pc_flow *f)
{
    (void)ctx;
    struct pc_sha256 *h = pc_flow_user(f);
    if (!h) return; /* UDP, or no memory for the hashes */
    char client[46], server[46];
    pc_flow_addr_str(f, 0, client);
    pc_flow_addr_str(f, 1, server);
    pc_fmt_kobj_open(&o, NULL);
    pc_fmt_kuint(&o, "id", f->id);
    pc_fmt_kstr(&o, "client", client);
    pc_fmt_kuint(&o, "cport", f->cport);
    pc_fmt_kstr(&o, "server", server);
    pc_fmt_kuint(&o, "sport", f->sport);
    pc_fmt_kstr(&o, "state", pc_flow_state_name(f->state));
    for (int dir = 0; dir < 2; dir++) {
        const struct pc_flow_dir *d = &f->dir[dir];
        pc_fmt_kuint(&o, dir ? "s2c_packets" : "c2s_packets", d->packets);
        pc_fmt_kuint(&o, dir ? "s2c_bytes" : "c2s_bytes", d->bytes);
        pc_fmt_kuint(&o, dir ? "s2c_gap_bytes" : "c2s_gap_bytes", d->gap_bytes);
        sha(dir ? "s2c_sha256" : "c2s_sha256", &h[dir]);
    }
    pc_fmt_kobj_close(&o);
    pc_fmt_newline(&o);
}

static void on_free(void *ctx, const struct pc_flow *f, void *user)
{
    (void)ctx, (void)f;
    free(user);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: reconstruct_flows FILE\n");
        return 2;
    }
    static char buf[1 << 16];
    int fd = 1;
    pc_fmt_init_sink(&o, buf, sizeof buf, true, pc_fmt_fd_sink, &fd);
    struct pc_analyzer_cbs cbs = { .flow_start = on_start, .data = on_data, .flow_end = on_end, .flow_free = on_free };
    struct pc_err err;
    int rc = pc_analyze_file(argv[1], NULL, &cbs, NULL, &err);
    pc_fmt_flush(&o);
    if (rc < 0) fprintf(stderr, "reconstruct_flows: %s\n", err.msg);
    return rc < 0 || o.err ? 1 : 0;
}
