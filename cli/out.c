/* Standard output through the one writer (pktcraft/core/fmt.h): every
 * command's JSON, and bulk text, goes through one 1 MiB buffer drained to
 * file descriptor 1, so a token is never cut and output of any size
 * streams in constant memory. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "pktcraft/core/fmt.h"

static char out_buf[1 << 20];
static int out_fd = 1;
static struct pc_fmt out;
static bool out_ready;

/* A sink that keeps errno for the message. */
static int errno_seen;
static int fd_sink(void *ctx, const char *p, size_t n)
{
    int rc = pc_fmt_fd_sink(ctx, p, n);
    if (rc) errno_seen = errno;
    return rc;
}

struct pc_fmt *cli_out(bool json)
{
    if (!out_ready) {
        /* stdio output written before (usage text, say) goes first */
        fflush(stdout);
        pc_fmt_init_sink(&out, out_buf, sizeof out_buf, json, fd_sink, &out_fd);
        out_ready = true;
    }
    out.json = json;
    return &out;
}

void cli_out_flush(void)
{
    if (!out_ready) return;
    if (pc_fmt_flush(&out) != 0) cli_runtime_error("writing output: %s", strerror(errno_seen ? errno_seen : EIO));
}
