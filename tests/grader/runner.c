/*
 * runner: the grader's process launcher. It runs graded tests, each in its
 * own process (and process group) with a timeout, several at once, and
 * leaves what happened in files the grader's shell script reads. It exists
 * because forking a shell, `date` and `timeout` per test cost more than the
 * tests themselves; this is one process for a whole lab.
 *
 *   usage: runner [-j JOBS] [-t SECONDS] [-C DIR] -o PREFIX PROG INDEX:NAME...
 *
 * For each INDEX:NAME it runs `PROG NAME` in DIR with stdin from /dev/null,
 * stdout to PREFIX.INDEX.out and stderr to PREFIX.INDEX.err, and writes
 * PREFIX.INDEX.rc holding three lines:
 *   the exit status (128+N when killed by signal N; 124 when it timed out,
 *   as timeout(1) reports it),
 *   the wall time in milliseconds,
 *   what CMocka printed about NAME: any of "run", "ok", "skipped" and
 *   "crash" (it caught a signal), separated by spaces.
 * A test that outlives its timeout gets SIGTERM, then SIGKILL 2 s later,
 * sent to its whole process group (so its mock server goes too).
 * Exits 0 when every test could be started, 2 on a usage or system error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { KILL_GRACE_MS = 2000, POLL_MS = 2 };

struct job {
    const char *index;
    const char *name;
    pid_t pid;
    long long start_ms;
    bool timed_out;
    bool killed;
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static void path_of(char *buf, size_t n, const char *prefix, const char *index,
                    const char *ext)
{
    snprintf(buf, n, "%s.%s.%s", prefix, index, ext);
}

/* Starts one test. Returns its pid, or -1. */
static pid_t start(const char *dir, const char *prefix, const char *prog,
                   const struct job *j)
{
    char out[4096], err[4096];
    pid_t pid;

    path_of(out, sizeof(out), prefix, j->index, "out");
    path_of(err, sizeof(err), prefix, j->index, "err");
    fflush(NULL);
    pid = fork();
    if (pid != 0) {
        if (pid > 0)
            setpgid(pid, pid); /* as the child does: no race with kill */
        return pid;
    }

    /* The child: its own process group, so a timeout takes every process
     * the test started. */
    setpgid(0, 0);
    int in = open("/dev/null", O_RDONLY);
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
        dup2(e, 2) < 0)
        _exit(127);
    close(in);
    close(o);
    close(e);
    if (dir && chdir(dir) != 0) {
        perror(dir);
        _exit(127);
    }
    execl(prog, prog, j->name, (char *)NULL);
    perror(prog);
    _exit(127);
}

/* True when the file holds a line that is head followed by name (any line
 * starting with head when name is NULL). */
static bool has_line(const char *path, const char *head, const char *name)
{
    char line[4096];
    size_t hl = strlen(head);
    bool found = false;
    FILE *f = fopen(path, "r");

    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        found = strncmp(line, head, hl) == 0 &&
                (!name || strcmp(line + hl, name) == 0);
    }
    fclose(f);
    return found;
}

/* What CMocka printed about the test: its verdict lines, and whether it
 * caught a signal. */
static void verdict(const char *prefix, const struct job *j, char *buf,
                    size_t n)
{
    char out[4096], err[4096];

    path_of(out, sizeof(out), prefix, j->index, "out");
    path_of(err, sizeof(err), prefix, j->index, "err");
    snprintf(
        buf, n, "%s%s%s%s",
        has_line(out, "[ RUN      ] ", j->name) ? " run" : "",
        has_line(out, "[       OK ] ", j->name) ? " ok" : "",
        has_line(out, "[  SKIPPED ] ", j->name) ? " skipped" : "",
        has_line(err, "[  ERROR   ] --- Test failed with exception: ", NULL)
            ? " crash"
            : "");
}

static void finish(const char *prefix, const struct job *j, int status)
{
    char path[4096], seen[64];
    long long ms = now_ms() - j->start_ms;
    int rc;
    FILE *f;

    if (j->timed_out)
        rc = 124;
    else if (WIFSIGNALED(status))
        rc = 128 + WTERMSIG(status);
    else
        rc = WEXITSTATUS(status);
    verdict(prefix, j, seen, sizeof(seen));
    path_of(path, sizeof(path), prefix, j->index, "rc");
    f = fopen(path, "w");
    if (!f) {
        perror(path);
        return;
    }
    fprintf(f, "%d\n%lld\n%s\n", rc, ms, seen);
    fclose(f);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *prefix = NULL, *prog;
    long jobs = 1, timeout_s = 30;
    struct job *all;
    size_t n, next = 0, done = 0, running = 0;
    int opt;

    while ((opt = getopt(argc, argv, "j:t:C:o:")) != -1) {
        switch (opt) {
        case 'j':
            jobs = strtol(optarg, NULL, 10);
            break;
        case 't':
            timeout_s = strtol(optarg, NULL, 10);
            break;
        case 'C':
            dir = optarg;
            break;
        case 'o':
            prefix = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!prefix || argc - optind < 2 || jobs < 1 || timeout_s < 1) {
        fprintf(stderr, "usage: runner [-j JOBS] [-t SECONDS] [-C DIR] "
                        "-o PREFIX PROG INDEX:NAME...\n");
        return 2;
    }
    prog = argv[optind++];
    n = (size_t)(argc - optind);
    all = calloc(n, sizeof(*all));
    if (!all) {
        perror("runner");
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        char *arg = argv[optind + (int)i];
        char *colon = strchr(arg, ':');

        if (!colon) {
            fprintf(stderr, "runner: %s is not INDEX:NAME\n", arg);
            free(all);
            return 2;
        }
        *colon = '\0';
        all[i].index = arg;
        all[i].name = colon + 1;
    }

    while (done < n) {
        int status;
        pid_t pid;
        long long now;

        while (running < (size_t)jobs && next < n) {
            all[next].start_ms = now_ms();
            all[next].pid = start(dir, prefix, prog, &all[next]);
            if (all[next].pid < 0) {
                perror("runner: fork");
                free(all);
                return 2;
            }
            next++;
            running++;
        }
        pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (size_t i = 0; i < next; i++) {
                if (all[i].pid != pid)
                    continue;
                finish(prefix, &all[i], status);
                all[i].pid = 0;
                running--;
                done++;
                break;
            }
            continue;
        }
        now = now_ms();
        for (size_t i = 0; i < next; i++) {
            if (all[i].pid <= 0)
                continue;
            if (!all[i].timed_out &&
                now - all[i].start_ms >= timeout_s * 1000) {
                all[i].timed_out = true;
                kill(-all[i].pid, SIGTERM);
            } else if (all[i].timed_out && !all[i].killed &&
                       now - all[i].start_ms >=
                           timeout_s * 1000 + KILL_GRACE_MS) {
                all[i].killed = true;
                kill(-all[i].pid, SIGKILL);
            }
        }
        sleep_ms(POLL_MS);
    }
    free(all);
    return 0;
}
