/*
 * crash_test: nothing lost, nothing overspent (issue 7). Built and run by
 * `make crash-test`, which `make test` includes. It links the reference
 * solutions of lab 7 (usage log), lab 5 (budget) and lab 2 (pricing).
 *
 * 1. A writer process appends usage-log lines with lab 7's usage_log_append
 *    and, after each completed call, tells the parent "done N" through a
 *    pipe. The parent SIGKILLs it after a random 0-3 ms, many times over,
 *    all rounds appending to one file. After each kill: every completed
 *    call's line is in the log, at most one line beyond them (the call whose
 *    "done" the kill swallowed), at most one torn line, which the reader
 *    skips and reports; and lab 5's budget, rebuilt from the same file,
 *    holds exactly the spend of the lines present.
 *
 *    A single write() to a regular file is not cut short by SIGKILL in
 *    practice, so lab 7's writer alone never shows the reader a torn line.
 *    One round in four therefore uses a deliberately bad writer that puts
 *    each line out in two write()s, as a buffered or careless writer would:
 *    that is the torn line a power cut leaves, and it proves the reader
 *    skips it and the next usage_log_open ends it so no later line is lost.
 *
 * 2. Lab 5's budget: 8 threads making 1,000 calls each against a small
 *    limit; no thread ever sees committed money past the limit, and the
 *    spend, the call count and the log rebuilt afterwards all agree.
 *
 * usage: crash_test [ROUNDS [SEED]]   (default 200 rounds, seed 7; the
 * environment variables CRASH_ROUNDS and CRASH_SEED do the same)
 * Prints one line per test and "N passed, N failed" last.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "pricing.h"
#include "usage_log.h"

/* Every record and the budget's clock share one fixed day, so the test
 * means the same at any hour (2026-11-30T12:00:00Z). */
#define FIXED_WALL_S 1796040000
#define MODEL        "claude-haiku-4.5"
#define MAX_SEQ      (1 << 22)
/* Each round rereads the whole log; a fresh file every so many rounds keeps
 * that short while still letting many writers in turn share one file. */
enum { ROUNDS_PER_FILE = 25 };

static int64_t fixed_wall_s(void *ctx)
{
    (void)ctx;
    return FIXED_WALL_S;
}

static uint64_t fixed_now_ms(void *ctx)
{
    (void)ctx;
    return 0;
}

static void no_sleep(void *ctx, uint64_t ms)
{
    (void)ctx;
    (void)ms;
}

static uint32_t fixed_random(void *ctx)
{
    (void)ctx;
    return 4;
}

static const kit_clock_ops fixed_ops = {
    .now_ms = fixed_now_ms,
    .wall_s = fixed_wall_s,
    .sleep_ms = no_sleep,
    .random_u32 = fixed_random,
};
static const kit_clock fixed_clock = {.ops = &fixed_ops, .ctx = NULL};

/* ---- reporting ------------------------------------------------------------
 */

static int failures; /* in the current test */

static void check(bool ok, const char *fmt, ...)
{
    va_list ap;

    if (ok)
        return;
    failures++;
    if (failures > 10)
        return; /* the first ten say enough */
    fputs("    FAIL: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* xorshift64*: the test's own seeded PRNG, so a failing run can be rerun. */
static uint64_t rng_state;

static uint32_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

/* ---- part 1: the usage log under SIGKILL ----------------------------------
 */

/* Call number seq's record: its tokens, and so its cost, follow from seq, so
 * the parent knows what every call cost without being told. */
static void record_of(long seq, usage_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->ts = FIXED_WALL_S;
    snprintf(rec->env, sizeof(rec->env), "dev");
    snprintf(rec->provider, sizeof(rec->provider), "anthropic");
    snprintf(rec->model, sizeof(rec->model), MODEL);
    rec->tokens_in = seq; /* the call's identity, read back by the parent */
    rec->tokens_out = 1 + seq % 500;
    rec->cost_usd =
        pricing_cost_usd(pricing_find(MODEL), rec->tokens_in, rec->tokens_out);
    rec->latency_ms = 100;
    rec->ok = true;
    rec->http_status = 200;
}

static int64_t nano_of(double usd)
{
    return (int64_t)llround(usd * 1e9);
}

/* What call seq cost, in nano-dollars, as record_of priced it. */
static int64_t cost_n_of(long seq)
{
    usage_record rec;

    record_of(seq, &rec);
    return nano_of(rec.cost_usd);
}

/* The deliberately bad writer: the same line, in two write()s. */
static bool append_in_two_writes(int fd, const usage_record *rec)
{
    char line[512];
    int len = snprintf(line, sizeof(line),
                       "{\"ts\":%" PRId64 ",\"env\":\"%s\",\"provider\":\"%s\","
                       "\"model\":\"%s\",\"tokens_in\":%ld,\"tokens_out\":%ld,"
                       "\"cost_usd\":%.17g,\"latency_ms\":%" PRIu64 ","
                       "\"outcome\":\"ok\",\"http_status\":%ld}\n",
                       rec->ts, rec->env, rec->provider, rec->model,
                       rec->tokens_in, rec->tokens_out, rec->cost_usd,
                       rec->latency_ms, rec->http_status);
    int half = len / 2;

    if (len <= 0 || (size_t)len >= sizeof(line))
        return false;
    if (write(fd, line, (size_t)half) != half)
        return false;
    /* A moment between the halves, for the kill to land in. */
    for (volatile int spin = 0; spin < 20000; spin++)
        ;
    return write(fd, line + half, (size_t)(len - half)) == len - half;
}

/* The writer process: appends calls first_seq, first_seq + 1, ... until it
 * is killed, reporting each completed one on fd_done. Never returns. */
static void writer(const char *path, long first_seq, bool torn_mode,
                   int fd_done)
{
    usage_log *log = NULL;
    int raw_fd = -1;
    char msg[32];

    /* usage_log_open ends a torn last line left by the previous round. */
    if (usage_log_open(path, &log) != KIT_OK)
        _exit(3);
    if (torn_mode) {
        raw_fd = open(path, O_WRONLY | O_APPEND);
        if (raw_fd < 0)
            _exit(3);
    }
    for (long seq = first_seq; seq < MAX_SEQ; seq++) {
        usage_record rec;
        int n;

        record_of(seq, &rec);
        if (torn_mode ? !append_in_two_writes(raw_fd, &rec)
                      : usage_log_append(log, &rec) != KIT_OK)
            _exit(4);
        n = snprintf(msg, sizeof(msg), "done %ld\n", seq);
        if (write(fd_done, msg, (size_t)n) != n)
            _exit(5);
    }
    _exit(6);
}

/* Whether the file's last byte is not a newline: a torn last line, seen
 * without the reader. */
static bool file_ends_torn(const char *path)
{
    struct stat st;
    char last = '\n';
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return false;
    if (fstat(fd, &st) == 0 && st.st_size > 0 &&
        pread(fd, &last, 1, st.st_size - 1) != 1)
        last = '\n';
    close(fd);
    return last != '\n';
}

/* What the log holds, as the reader sees it. */
struct log_view {
    unsigned char *seen; /* seen[seq] counts the records of call seq */
    long records;
    int64_t spend_n; /* nano-dollars of every record */
};

static void collect(void *ctx, const usage_record *rec)
{
    struct log_view *v = ctx;

    if (rec->tokens_in >= 0 && rec->tokens_in < MAX_SEQ &&
        v->seen[rec->tokens_in] < 255)
        v->seen[rec->tokens_in]++;
    v->records++;
    v->spend_n += nano_of(rec->cost_usd);
}

static bool test_usage_log_survives_sigkill(const char *dir, int rounds)
{
    char path[512];
    unsigned char *done = calloc(MAX_SEQ, 1);
    struct log_view view = {.seen = calloc(MAX_SEQ, 1)};
    long next_seq = 0, first_seq = 0, completed = 0, written_not_done = 0;
    long total_completed = 0, total_not_done = 0, total_torn = 0;
    /* Torn lines: each distinct one, and the lines count of the file the
     * last round saw, so a torn line a quick kill left in place (the next
     * writer died before usage_log_open ended it) counts once. */
    long distinct_torn = 0, torn_good_writer = 0, prev_lines = -1;
    bool prev_torn = false;
    int64_t done_spend_n = 0, extra_spend_n = 0;
    budget_config cfg = {.daily_limit_usd = {1e6, 1e6, 1e6},
                         .clock = &fixed_clock};

    failures = 0;
    if (!done || !view.seen) {
        check(false, "out of memory");
        goto out;
    }
    cfg.usage_log = path;

    for (int round = 0; round < rounds; round++) {
        bool torn_mode = round % 4 == 3;
        unsigned delay_us = rng_next() % 3001;
        struct timespec ts = {0, (long)delay_us * 1000};
        usage_read_report rep;
        budget *b = NULL;
        budget_spending s;
        char buf[4096];
        size_t have = 0;
        long last_done = next_seq - 1, beyond = 0;
        int fds[2], wstatus;
        pid_t pid;
        ssize_t n;

        if (round % ROUNDS_PER_FILE == 0) {
            snprintf(path, sizeof(path), "%s/usage-%d.jsonl", dir,
                     round / ROUNDS_PER_FILE);
            total_completed += completed;
            total_not_done += written_not_done;
            total_torn += distinct_torn;
            completed = written_not_done = distinct_torn = 0;
            done_spend_n = extra_spend_n = 0;
            prev_torn = false;
            prev_lines = -1;
            first_seq = next_seq;
        }
        if (pipe(fds) != 0) {
            check(false, "pipe: %s", strerror(errno));
            break;
        }
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
            check(false, "fork: %s", strerror(errno));
            break;
        }
        if (pid == 0) {
            close(fds[0]);
            writer(path, next_seq, torn_mode, fds[1]);
        }
        close(fds[1]);
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &wstatus, 0);
        check(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL,
              "round %d: the writer ended on its own (status %d) before "
              "the kill",
              round, wstatus);

        /* Every "done N" the writer got out before it died. */
        while ((n = read(fds[0], buf + have, sizeof(buf) - 1 - have)) > 0) {
            char *p = buf, *nl;

            have += (size_t)n;
            buf[have] = '\0';
            while ((nl = strchr(p, '\n'))) {
                long seq;

                *nl = '\0';
                if (sscanf(p, "done %ld", &seq) == 1 && seq >= 0 &&
                    seq < MAX_SEQ) {
                    done[seq] = 1;
                    completed++;
                    done_spend_n += cost_n_of(seq);
                    if (seq > last_done)
                        last_done = seq;
                }
                p = nl + 1;
            }
            have = strlen(p);
            memmove(buf, p, have);
        }
        close(fds[0]);

        /* The reader's view of the whole file. */
        memset(view.seen, 0, MAX_SEQ);
        view.records = 0;
        view.spend_n = 0;
        check(usage_log_read(path, collect, &view, &rep) == KIT_OK,
              "round %d: usage_log_read failed", round);
        check(rep.torn_last_line == file_ends_torn(path),
              "round %d: the file %s in a newline, yet the reader says "
              "torn_last_line %d",
              round, file_ends_torn(path) ? "does not end" : "ends",
              (int)rep.torn_last_line);
        if (rep.torn_last_line && !(prev_torn && rep.lines == prev_lines)) {
            distinct_torn++;
            /* Allowed by usage_log.h ("a crash may leave a torn last
             * line"): a kill can land between the pages of one write(). */
            if (!torn_mode) {
                struct stat st;

                torn_good_writer++;
                if (stat(path, &st) == 0)
                    printf("    round %d: lab 7's writer left a torn line: "
                           "the file ends at byte %lld, %s\n",
                           round, (long long)st.st_size,
                           st.st_size % 4096 == 0 ? "a page boundary"
                                                  : "mid-page");
            }
            /* What a program prints; the library only reports. Once. */
            if (total_torn + distinct_torn == 1)
                printf("    warning: usage log ends in a torn line "
                       "(skipped; later ones are counted, not printed)\n");
        }
        /* Every torn line but a current one has been ended with a newline
         * by the next usage_log_open: a complete line the reader skips. */
        check(rep.skipped == distinct_torn - (rep.torn_last_line ? 1 : 0),
              "round %d: the reader skipped %ld complete lines; the %ld "
              "ended torn lines of earlier rounds should be the only ones",
              round, rep.skipped, distinct_torn - (rep.torn_last_line ? 1 : 0));
        check(rep.lines ==
                  rep.records + rep.skipped + (rep.torn_last_line ? 1 : 0),
              "round %d: %ld lines = %ld records + %ld skipped + torn %d "
              "does not add up",
              round, rep.lines, rep.records, rep.skipped,
              (int)rep.torn_last_line);

        /* Every completed call is there once; at most one more line,
         * the call whose "done" the kill swallowed. */
        for (long seq = first_seq; seq <= last_done + 1; seq++) {
            if (done[seq] && view.seen[seq] != 1)
                check(false, "round %d: completed call %ld has %d lines", round,
                      seq, view.seen[seq]);
        }
        for (long seq = last_done + 1; seq < MAX_SEQ && view.seen[seq]; seq++)
            beyond++;
        check(beyond <= 1,
              "round %d: %ld lines past the last completed call %ld; at "
              "most one call can have been written and not reported",
              round, beyond, last_done);
        check(view.records == completed + written_not_done + beyond,
              "round %d: %ld records in the log, %ld completed calls + %ld "
              "written unreported",
              round, view.records, completed, written_not_done + beyond);

        /* Lab 5 rebuilds the same day's spend from the same file. */
        check(budget_create(&cfg, &b) == KIT_OK &&
                  budget_daily_spending(b, BUDGET_DEV, &s) == KIT_OK,
              "round %d: budget_create from the log failed", round);
        if (b) {
            check(nano_of(s.spent_usd) == view.spend_n &&
                      s.calls == view.records,
                  "round %d: the rebuilt budget holds $%.9f in %ld calls; "
                  "the log's records are $%.9f in %ld",
                  round, s.spent_usd, s.calls, (double)view.spend_n / 1e9,
                  view.records);
            check(nano_of(s.spent_usd) ==
                      done_spend_n + extra_spend_n +
                          (beyond ? cost_n_of(last_done + 1) : 0),
                  "round %d: the rebuilt budget holds $%.9f; the completed "
                  "calls cost $%.9f, plus $%.9f written but not reported",
                  round, s.spent_usd, (double)done_spend_n / 1e9,
                  (double)(extra_spend_n +
                           (beyond ? cost_n_of(last_done + 1) : 0)) /
                      1e9);
        }
        budget_destroy(b);

        if (beyond)
            extra_spend_n += cost_n_of(last_done + 1);
        written_not_done += beyond;
        next_seq = last_done + 1 + beyond;
        prev_torn = rep.torn_last_line;
        prev_lines = rep.lines;
        if (failures)
            break;
    }
    total_completed += completed;
    total_not_done += written_not_done;
    total_torn += distinct_torn;
    printf("    %d rounds in %d files, %ld completed calls, %ld written but "
           "not reported, %ld torn lines seen (%ld from lab 7's one-write "
           "writer)\n",
           rounds, (rounds + ROUNDS_PER_FILE - 1) / ROUNDS_PER_FILE,
           total_completed, total_not_done, total_torn, torn_good_writer);
    check(rounds < 8 || total_torn > 0,
          "no round left a torn line: the reader's skip went untested");
out:
    free(done);
    free(view.seen);
    return failures == 0;
}

/* ---- part 2: the budget under 8 threads -----------------------------------
 */

enum { THREADS = 8, CALLS_PER_THREAD = 1000 };
#define STRESS_LIMIT_USD 0.25

struct caller {
    budget *b;
    pthread_barrier_t *go;
    uint64_t rng;
    long allowed, settled, released, over_limit_seen;
    int64_t settled_n;
};

static void *call_loop(void *arg)
{
    struct caller *c = arg;

    pthread_barrier_wait(c->go);
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        budget_reservation res;
        budget_spending s;
        double est, actual;
        uint32_t r;

        c->rng ^= c->rng >> 12;
        c->rng ^= c->rng << 25;
        c->rng ^= c->rng >> 27;
        r = (uint32_t)((c->rng * 2685821657736338717ULL) >> 32);
        est = 0.0001 * (1 + r % 20); /* $0.0001 .. $0.0020 */
        if (budget_reserve(c->b, BUDGET_PROD, est, &res, NULL) != KIT_OK)
            continue;
        c->allowed++;
        if (budget_daily_spending(c->b, BUDGET_PROD, &s) == KIT_OK &&
            nano_of(s.spent_usd + s.in_flight_usd) > nano_of(STRESS_LIMIT_USD))
            c->over_limit_seen++;
        sched_yield();    /* "the call": let the others run */
        if (r % 8 == 0) { /* a failed call: nothing billed */
            budget_release(c->b, &res);
            c->released++;
            continue;
        }
        /* The bill is the estimate or, half the time, less. */
        actual = (r & 0x100) ? est : est / 2;
        if (budget_settle(c->b, &res, MODEL, actual) == KIT_OK) {
            c->settled++;
            c->settled_n += nano_of(actual);
        }
    }
    return NULL;
}

static bool test_budget_8_threads_never_pass_limit(const char *dir)
{
    char path[512];
    budget_config cfg = {.daily_limit_usd = {1, 1, STRESS_LIMIT_USD},
                         .clock = &fixed_clock,
                         .append_to_log = true};
    struct caller callers[THREADS];
    pthread_t tid[THREADS];
    pthread_barrier_t go;
    budget *b = NULL, *rebuilt = NULL;
    budget_spending s, r;
    long allowed = 0, settled = 0, released = 0, over = 0;
    int64_t settled_n = 0;
    int started = 0;

    failures = 0;
    snprintf(path, sizeof(path), "%s/budget.jsonl", dir);
    cfg.usage_log = path;
    if (budget_create(&cfg, &b) != KIT_OK) {
        check(false, "budget_create failed");
        return false;
    }
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        callers[i] =
            (struct caller){.b = b,
                            .go = &go,
                            .rng = rng_state + 0x9e3779b97f4a7c15ULL * (i + 1)};
        if (pthread_create(&tid[i], NULL, call_loop, &callers[i]) != 0)
            break;
        started++;
    }
    check(started == THREADS, "only %d threads started", started);
    for (int i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        allowed += callers[i].allowed;
        settled += callers[i].settled;
        released += callers[i].released;
        over += callers[i].over_limit_seen;
        settled_n += callers[i].settled_n;
    }
    pthread_barrier_destroy(&go);

    budget_daily_spending(b, BUDGET_PROD, &s);
    check(over == 0,
          "%ld times a thread saw spent + in flight past the $%.2f limit", over,
          STRESS_LIMIT_USD);
    check(nano_of(s.spent_usd) <= nano_of(STRESS_LIMIT_USD),
          "spent $%.9f passed the $%.2f limit", s.spent_usd, STRESS_LIMIT_USD);
    check(nano_of(s.spent_usd) == settled_n && s.calls == settled,
          "the budget holds $%.9f in %ld calls; the threads settled "
          "$%.9f in %ld",
          s.spent_usd, s.calls, (double)settled_n / 1e9, settled);
    check(nano_of(s.in_flight_usd) == 0, "$%.9f still in flight",
          s.in_flight_usd);
    check(allowed < (long)THREADS * CALLS_PER_THREAD,
          "every one of the %d calls was allowed: the limit was never "
          "reached, so the test proved nothing",
          THREADS * CALLS_PER_THREAD);
    /* The log it wrote rebuilds the same day after a restart. */
    check(budget_create(&cfg, &rebuilt) == KIT_OK &&
              budget_daily_spending(rebuilt, BUDGET_PROD, &r) == KIT_OK &&
              nano_of(r.spent_usd) == nano_of(s.spent_usd) &&
              r.calls == s.calls,
          "the budget rebuilt from its own log does not match the spend");
    printf("    %d threads x %d calls: %ld allowed, %ld settled, %ld "
           "released, spent $%.6f of $%.2f\n",
           THREADS, CALLS_PER_THREAD, allowed, settled, released, s.spent_usd,
           STRESS_LIMIT_USD);
    budget_destroy(rebuilt);
    budget_destroy(b);
    return failures == 0;
}

/* ---- main -----------------------------------------------------------------
 */

static long arg_or_env(int argc, char **argv, int i, const char *env, long dflt)
{
    const char *v = argc > i ? argv[i] : getenv(env);

    return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void remove_dir(const char *dir, int rounds)
{
    char path[512];

    for (int i = 0; i * ROUNDS_PER_FILE < rounds; i++) {
        snprintf(path, sizeof(path), "%s/usage-%d.jsonl", dir, i);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/budget.jsonl", dir);
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/crash_test.XXXXXX";
    int rounds = (int)arg_or_env(argc, argv, 1, "CRASH_ROUNDS", 200);
    uint64_t seed = (uint64_t)arg_or_env(argc, argv, 2, "CRASH_SEED", 7);
    int passed = 0, failed = 0;
    bool ok;

    if (!mkdtemp(dir)) {
        perror("crash_test: mkdtemp");
        return 1;
    }
    rng_state = seed ? seed : 7;
    printf("crash_test: seed %" PRIu64 ", %d rounds, files in %s\n", seed,
           rounds, dir);

    ok = test_usage_log_survives_sigkill(dir, rounds);
    printf("%s test_usage_log_survives_sigkill\n", ok ? "PASS" : "FAIL");
    ok ? passed++ : failed++;

    ok = test_budget_8_threads_never_pass_limit(dir);
    printf("%s test_budget_8_threads_never_pass_limit\n", ok ? "PASS" : "FAIL");
    ok ? passed++ : failed++;

    if (failed == 0)
        remove_dir(dir, rounds);
    else
        printf("crash_test: files kept in %s (rerun with seed %" PRIu64 ")\n",
               dir, seed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
