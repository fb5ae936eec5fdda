/* Output targets and their undo on signals (outfile.h, pcap.h).
 *
 * A capture is written under a temporary name and renamed into place, so
 * that a failure never leaves half a file; an append is truncated back.
 * That is only right for regular files: a device, a FIFO or a socket is
 * written straight into (renaming over /dev/null would replace it, and a
 * FIFO's reader would never see the data).  A symbolic link is followed:
 * the file it points at is replaced and the link is kept.
 *
 * When the process is stopped by SIGINT, SIGTERM or SIGHUP in the middle
 * of a write, the temporary file must not stay behind: every writer
 * registers what to undo in a fixed table that the signal handler walks
 * with async-signal-safe calls only (unlink, ftruncate). */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

#include "outfile.h"
#include "pktcraft/capture/pcap.h"

static void set_err(struct pc_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(struct pc_err *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    e->offset = e->packet = 0;
}

static const char *kind_name(mode_t m)
{
    if (S_ISCHR(m)) return "character device";
    if (S_ISBLK(m)) return "block device";
    if (S_ISFIFO(m)) return "FIFO";
    if (S_ISSOCK(m)) return "socket";
    return "special file";
}

int pc_out_classify(const char *path, char **target, struct pc_err *err)
{
    *target = NULL;
    struct stat st, lst;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            set_err(err, PC_EINVAL, "%s: is a directory", path);
            return PC_EINVAL;
        }
        if (!S_ISREG(st.st_mode)) return PC_OUT_DIRECT;
        /* A regular file, maybe behind links: replace what they point at. */
        *target = realpath(path, NULL);
    } else if (errno == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        set_err(err, PC_EINVAL, "%s: is a symbolic link to a file that does not exist (remove the link or create the file)",
                path);
        return PC_EINVAL;
    } else {
        *target = strdup(path);
    }
    if (!*target) {
        set_err(err, PC_ENOMEM, "%s: cannot resolve the path: %s", path, strerror(errno));
        return PC_ENOMEM;
    }
    return PC_OUT_FILE;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int pc_out_open_direct(const char *path, struct pc_err *err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        set_err(err, PC_EIO, "%s: cannot open: %s", path, strerror(errno));
        return PC_EIO;
    }
    int fd = S_ISSOCK(st.st_mode) ? connect_unix(path) : open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, PC_EIO, "%s: cannot open %s for writing: %s", path, kind_name(st.st_mode), strerror(errno));
        return PC_EIO;
    }
    return fd;
}

/* ------------------------------------------------------------- undo */

#define UNDO_SLOTS 32

static struct undo {
    volatile sig_atomic_t state; /* 0 free, 1 being filled, 2 armed */
    bool append;
    int fd;
    off_t orig;
    char tmp[PATH_MAX];
} undo[UNDO_SLOTS];

static int claim(void)
{
    for (int i = 0; i < UNDO_SLOTS; i++) {
        if (__sync_bool_compare_and_swap(&undo[i].state, 0, 1)) return i;
    }
    return -1;
}

int pc_undo_add_tmp(const char *tmp)
{
    size_t n = strlen(tmp);
    if (n >= PATH_MAX) return -1;
    int i = claim();
    if (i < 0) return -1;
    undo[i].append = false;
    memcpy(undo[i].tmp, tmp, n + 1);
    __sync_synchronize();
    undo[i].state = 2;
    return i;
}

int pc_undo_add_append(int fd, off_t orig_size)
{
    int i = claim();
    if (i < 0) return -1;
    undo[i].append = true;
    undo[i].fd = fd;
    undo[i].orig = orig_size;
    __sync_synchronize();
    undo[i].state = 2;
    return i;
}

void pc_undo_remove(int slot)
{
    if (slot >= 0 && slot < UNDO_SLOTS) undo[slot].state = 0;
}

void pc_writer_discard_all(void)
{
    for (int i = 0; i < UNDO_SLOTS; i++) {
        if (undo[i].state != 2) continue;
        if (undo[i].append) (void)ftruncate(undo[i].fd, undo[i].orig);
        else (void)unlink(undo[i].tmp);
        undo[i].state = 0;
    }
}

static void on_signal(int sig)
{
    int saved = errno;
    pc_writer_discard_all();
    /* Die of the same signal, so the parent (a shell: $? = 128 + sig) sees
     * how the program ended. */
    signal(sig, SIG_DFL);
    errno = saved;
    raise(sig);
}

int pc_writer_cleanup_on_signals(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        struct sigaction old, sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        for (size_t j = 0; j < sizeof sigs / sizeof sigs[0]; j++) sigaddset(&sa.sa_mask, sigs[j]);
        if (sigaction(sigs[k], NULL, &old) < 0) return PC_EIO;
        /* nohup and friends ignore SIGHUP on purpose: leave that alone */
        if (old.sa_handler == SIG_IGN) continue;
        if (sigaction(sigs[k], &sa, NULL) < 0) return PC_EIO;
    }
    return 0;
}
