/* Options and capture output shared by the crafting commands. */
#include <string.h>

#include "craft.h"

void craft_common_init(struct craft_common *c)
{
    memset(c, 0, sizeof *c);
    c->tsprec = PC_TSPREC_US;
    c->count = 1;
    c->start = -1;
    c->gap = 1000000;
    c->seed = 1;
    memcpy(c->smac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x01 }, 6);
    memcpy(c->dmac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x02 }, 6);
}

bool craft_common_opt(struct craft_common *c, int opt, const char *arg, char **argv)
{
    switch (opt) {
    case 'o': case 'w': c->out = arg; return true;
    case 'F': c->tsprec = cli_parse_capfmt("-F", arg); return true;
    case 'c':
        c->count = cli_parse_uint("--count", arg, UINT64_C(1) << 40);
        if (!c->count) cli_usage_error("--count: must be at least 1");
        return true;
    case OPT_START: c->start = cli_parse_time("--start", arg); return true;
    case OPT_GAP: c->gap = cli_parse_duration("--gap", arg); return true;
    case OPT_SEED: c->seed = cli_parse_uint("--seed", arg, UINT64_MAX); return true;
    case OPT_APPEND: c->append = true; return true;
    case OPT_SMAC: cli_parse_mac("--smac", arg, c->smac); return true;
    case OPT_DMAC: cli_parse_mac("--dmac", arg, c->dmac); return true;
    case '?': case ':': cli_bad_option(opt, argv);
    default: return false;
    }
}

void craft_common_finish(struct craft_common *c)
{
    if (!c->out) cli_usage_error("-o FILE is required ('-' writes to stdout)");
    if (c->start < 0) c->start = cli_now();
    pc_rng_seed(&c->rng, c->seed);
}

void craft_open(struct craft_common *c, int linktype)
{
    struct pc_err err = { 0 };
    struct pc_writer_opts o = { .linktype = linktype, .snaplen = 262144, .tsprec = c->tsprec, .append = c->append };
    c->w = pc_writer_open(c->out, &o, &err);
    if (!c->w) cli_runtime_error("%s", err.msg);
}

void craft_write(struct craft_common *c, uint64_t i, const uint8_t *frame, size_t len)
{
    pc_time_ns ts = c->start + (pc_time_ns)i * c->gap;
    int rc = pc_writer_write(c->w, ts, frame, (uint32_t)len, (uint32_t)len);
    if (rc < 0) {
        const struct pc_err *e = pc_writer_err(c->w);
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e->code ? e->msg : pc_strerror(rc));
        pc_writer_abort(c->w);
        cli_runtime_error("packet %llu: %s", (unsigned long long)i + 1, msg);
    }
}

void craft_close(struct craft_common *c)
{
    struct pc_err err = { 0 };
    if (pc_writer_close(c->w, &err) < 0) cli_runtime_error("%s", err.msg);
    c->w = NULL;
}
