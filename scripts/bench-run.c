/* bench-run: the stopwatch of scripts/bench.
 *   bench-run RUNS ERRFILE CMD [ARG...]
 * Runs CMD RUNS times, one after the other, standard input and output on
 * /dev/null and standard error into ERRFILE (truncated each run), and prints
 * one line per run: wall seconds, peak RSS in KiB (wait4's ru_maxrss), exit
 * status (128+N for signal N).  It stops after the first run that fails.
 * Why not time it from Python: Linux carries the parent's resident size into
 * a child's ru_maxrss across exec, so a child of the 20 MB interpreter never
 * shows less than 20 MB; this program is about 1 MB.  And a start-up run of
 * a few milliseconds wants a spawn that costs microseconds. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench-run RUNS ERRFILE CMD [ARG...]\n");
        return 2;
    }
    long runs = strtol(argv[1], NULL, 10);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (long i = 0; i < runs; i++) {
        double t0 = now();
        pid_t pid;
        if (posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ) != 0) {
            perror(argv[3]);
            return 1;
        }
        int status;
        struct rusage ru;
        if (wait4(pid, &status, 0, &ru) < 0) {
            perror("wait4");
            return 1;
        }
        double secs = now() - t0;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        printf("%.9f %ld %d\n", secs, ru.ru_maxrss, code);
        fflush(stdout);
        if (code != 0) break;
    }
    posix_spawn_file_actions_destroy(&fa);
    return 0;
}
