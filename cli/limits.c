/* --limit NAME=VALUE, shared by every command that reads captures: one
 * set of resource limits (pktcraft/core/limits.h) for the whole run. */
#include "cli.h"
#include "pktcraft/core/limits.h"

static struct pc_limits limits;
static bool limits_ready;

const struct pc_limits *cli_limits(void)
{
    if (!limits_ready) {
        pc_limits_default(&limits);
        limits_ready = true;
    }
    return &limits;
}

void cli_limit_opt(const char *spec)
{
    cli_limits();
    char why[512];
    if (pc_limits_set(&limits, spec, why, sizeof why) != 0) cli_usage_error("--limit: %s", why);
}

void cli_limits_help(FILE *out)
{
    fputs("Limits (--limit NAME=VALUE, repeatable; sizes take k, M, G):\n", out);
    const struct pc_limit_info *t;
    for (size_t i = 0; (t = pc_limit_info(i)) != NULL; i++)
        fprintf(out, "  %-18s %10llu  %s\n", t->name, (unsigned long long)t->def, t->what);
}
