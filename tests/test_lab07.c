/*
 * Lab 7's graded tests: the rate limiter, the retry budget and the usage
 * log. The limiter runs on the fake clock, so a 60-second wait is checked to
 * the millisecond without waiting; the thread tests use real threads on
 * one limiter or one log; the last test runs a limited and an unlimited
 * client against the mock server at the Anthropic free tier, scaled.
 */
#include "harness.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "fakes.h"
#include "kit_chat.h"
#include "ratelimit.h"
#include "retry_budget.h"
#include "usage_log.h"

/* 2026-11-30T00:00:00Z and 09:00 the same day. */
#define MIDNIGHT_S 1795996800LL
#define NINE_AM_S  (MIDNIGHT_S + 9 * 3600)
#define TODAY      (MIDNIGHT_S / 86400)
#define MINUTE_MS  60000ULL

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

/* ---- The limiter on the fake clock --------------------------------------- */

struct fixture {
    fake_clock fc;
    ratelimit *rl;
};

static void start_limiter(struct fixture *fx, long rpm, long tpm,
                          ratelimit_mode mode, int low_percent)
{
    ratelimit_config cfg = RATELIMIT_CONFIG_DEFAULT;
    kit_status st;

    memset(fx, 0, sizeof(*fx));
    fake_clock_init(&fx->fc, 0, NINE_AM_S);
    cfg.requests_per_window = rpm;
    cfg.tokens_per_window = tpm;
    cfg.mode = mode;
    cfg.low_remaining_percent = low_percent;
    cfg.clock = &fx->fc.clock;
    st = ratelimit_create(&cfg, &fx->rl);
    expect_that(st == KIT_OK && fx->rl != NULL,
                "ratelimit_create with %ld RPM and %ld TPM returned \"%s\" "
                "and %s limiter; it should return KIT_OK and the new limiter",
                rpm, tpm, kit_strerror(st), fx->rl ? "a" : "no");
}

static void stop_limiter(struct fixture *fx)
{
    ratelimit_destroy(fx->rl);
    fx->rl = NULL;
    fake_clock_destroy(&fx->fc);
}

/* Acquires and expects KIT_OK; returns the ticket. */
static ratelimit_ticket acquire_ok(ratelimit *rl, long tokens, int call)
{
    ratelimit_ticket t = {0, 0};
    kit_status st = ratelimit_acquire(rl, tokens, &t);

    expect_that(st == KIT_OK,
                "ratelimit_acquire for call %d (%ld tokens) returned \"%s\"; "
                "a call that fits the limits sooner or later must get "
                "KIT_OK",
                call, tokens, kit_strerror(st));
    return t;
}

static void
test_ratelimit_waits_exactly_until_the_oldest_call_leaves_the_window(
    void **state)
{
    struct fixture fx;
    ratelimit_ticket t;

    (void)state;
    start_limiter(&fx, 5, 0, RATELIMIT_SLIDING_WINDOW, 0);
    /* Five calls 10 ms apart fill the window: none of them waits. */
    for (int i = 1; i <= 5; i++) {
        t = acquire_ok(fx.rl, 0, i);
        expect_that(t.waited_ms == 0 && fx.fc.n_sleeps == 0,
                    "call %d of 5 at 5 RPM waited %llu ms; the window has "
                    "room for 5 calls, so it must go at once",
                    i, (unsigned long long)t.waited_ms);
        fake_clock_advance(&fx.fc, 10);
    }
    /* Now t = 50 ms. The oldest call (t = 0) leaves the window at 60000. */
    t = acquire_ok(fx.rl, 0, 6);
    expect_that(t.waited_ms == 59950 && t.at_ms == 60000,
                "call 6 at 5 RPM came at t = 50 ms with the window full "
                "since t = 0; it must wait until the oldest call leaves the "
                "window, 59950 ms (to t = 60000), but it waited %llu ms (to "
                "t = %llu). Sleeping a whole window wastes the time the "
                "oldest call has already served",
                (unsigned long long)t.waited_ms, (unsigned long long)t.at_ms);
    expect_that(fx.fc.n_sleeps >= 1 && fx.fc.slept_ms == 59950,
                "the limiter slept %llu ms in %zu sleeps on the clock; it "
                "must wait through the clock seam, 59950 ms in all",
                (unsigned long long)fx.fc.slept_ms, fx.fc.n_sleeps);
    /* The next oldest (t = 10) leaves at 60010. */
    t = acquire_ok(fx.rl, 0, 7);
    expect_that(t.waited_ms == 10 && t.at_ms == 60010,
                "call 7 came right after call 6 (t = 60000); the window's "
                "oldest call is then the one of t = 10, so it must wait "
                "10 ms, to t = 60010, but it waited %llu ms",
                (unsigned long long)t.waited_ms);
    expect_that(ratelimit_wait_ms(fx.rl, 0) == 10,
                "ratelimit_wait_ms says %llu ms before call 8; the next "
                "oldest call (t = 20) leaves at 60020, 10 ms from now",
                (unsigned long long)ratelimit_wait_ms(fx.rl, 0));
    stop_limiter(&fx);
}

static void
test_ratelimit_lets_no_burst_through_at_the_window_edge(void **state)
{
    struct fixture fx;
    ratelimit_ticket t;
    uint64_t at[20];

    (void)state;
    start_limiter(&fx, 5, 0, RATELIMIT_SLIDING_WINDOW, 0);
    /* Five calls just before a minute boundary... */
    fake_clock_advance(&fx.fc, 59000);
    for (int i = 0; i < 5; i++)
        at[i] = acquire_ok(fx.rl, 0, i + 1).at_ms;
    /* ...and five more just after it. A fixed window that resets on the
     * minute would let them through: 10 calls in one second. */
    fake_clock_advance(&fx.fc, 1000);
    t = acquire_ok(fx.rl, 0, 6);
    at[5] = t.at_ms;
    expect_that(t.at_ms == 119000,
                "5 calls went at t = 59 s; call 6 came at t = 60 s, a new "
                "minute on a fixed window, and went at t = %.3f s. A sliding "
                "window still holds those 5 calls until t = 119 s, so it "
                "must wait until then: no burst at the window edge",
                (double)t.at_ms / 1000.0);
    for (int i = 6; i < 20; i++)
        at[i] = acquire_ok(fx.rl, 0, i + 1).at_ms;
    for (int i = 0; i + 5 < 20; i++) {
        expect_that(at[i + 5] - at[i] >= MINUTE_MS,
                    "calls %d and %d started %llu ms apart; at 5 RPM no "
                    "60-second window may hold 6 calls",
                    i + 1, i + 6, (unsigned long long)(at[i + 5] - at[i]));
    }
    stop_limiter(&fx);
}

static void
test_ratelimit_token_bucket_refills_at_the_committed_rate(void **state)
{
    struct fixture fx;
    ratelimit_ticket t;
    uint64_t w;

    (void)state;
    /* 10,000 TPM (Anthropic free): one token refills every 6 ms. */
    start_limiter(&fx, 0, 10000, RATELIMIT_SLIDING_WINDOW, 0);
    t = acquire_ok(fx.rl, 10000, 1);
    expect_that(t.waited_ms == 0,
                "a full bucket of 10,000 tokens must let a 10,000-token call "
                "go at once; it waited %llu ms",
                (unsigned long long)t.waited_ms);
    w = ratelimit_wait_ms(fx.rl, 600);
    expect_that(w == 3600,
                "with the bucket empty, 600 tokens at 10,000 per minute take "
                "600 x 6 ms = 3600 ms to refill; ratelimit_wait_ms said %llu",
                (unsigned long long)w);
    fake_clock_advance(&fx.fc, 1200);
    w = ratelimit_wait_ms(fx.rl, 600);
    expect_that(w == 2400,
                "1200 ms later 200 tokens are back, so 600 tokens need 2400 "
                "ms more; ratelimit_wait_ms said %llu",
                (unsigned long long)w);
    t = acquire_ok(fx.rl, 600, 2);
    expect_that(t.waited_ms == 2400,
                "the 600-token call should wait exactly 2400 ms for the "
                "bucket to refill; it waited %llu ms",
                (unsigned long long)t.waited_ms);
    w = ratelimit_wait_ms(fx.rl, 1);
    expect_that(w == 6,
                "right after it the bucket is empty again: 1 token needs "
                "6 ms; ratelimit_wait_ms said %llu",
                (unsigned long long)w);
    expect_that(ratelimit_acquire(fx.rl, 10001, NULL) == KIT_ERR_INVALID_ARG,
                "a call of 10,001 tokens never fits a 10,000 TPM bucket; "
                "ratelimit_acquire must refuse it with KIT_ERR_INVALID_ARG "
                "instead of waiting forever");
    stop_limiter(&fx);

    /* Requests as a bucket: a burst of 5, then one every 12 s. */
    start_limiter(&fx, 5, 0, RATELIMIT_TOKEN_BUCKET, 0);
    for (int i = 1; i <= 5; i++) {
        t = acquire_ok(fx.rl, 0, i);
        expect_that(t.waited_ms == 0,
                    "a full bucket of 5 requests lets a burst of 5 through; "
                    "call %d waited %llu ms",
                    i, (unsigned long long)t.waited_ms);
    }
    t = acquire_ok(fx.rl, 0, 6);
    expect_that(t.waited_ms == 12000,
                "after the burst, 5 RPM refills one request every 12000 ms; "
                "call 6 waited %llu ms",
                (unsigned long long)t.waited_ms);
    stop_limiter(&fx);
}

static kit_ratelimit headers(long req_limit, long req_left, long req_reset,
                             long tok_limit, long tok_left, long tok_reset)
{
    kit_ratelimit h = {
        .requests_limit = req_limit,
        .requests_remaining = req_left,
        .requests_reset_ms = req_reset,
        .tokens_limit = tok_limit,
        .tokens_remaining = tok_left,
        .tokens_reset_ms = tok_reset,
    };

    return h;
}

static void test_ratelimit_slows_down_when_remaining_runs_low(void **state)
{
    struct fixture fx;
    kit_ratelimit h;
    ratelimit_ticket t;
    uint64_t w;

    (void)state;
    /* No limit of our own: only the server's headers slow us down. */
    start_limiter(&fx, 0, 0, RATELIMIT_SLIDING_WINDOW, 10);
    h = headers(50, 40, 3000, -1, -1, -1);
    assert_int_equal(ratelimit_observe(fx.rl, &h), KIT_OK);
    w = ratelimit_wait_ms(fx.rl, 0);
    expect_that(w == 0,
                "40 of 50 requests remaining is plenty (above 10 %%); the "
                "limiter must not slow down, but it would wait %llu ms",
                (unsigned long long)w);

    h = headers(50, 2, 3000, -1, -1, -1);
    ratelimit_observe(fx.rl, &h);
    w = ratelimit_wait_ms(fx.rl, 0);
    expect_that(w == 1000,
                "2 of 50 requests remaining (4 %%, below 10 %%) with the "
                "reset 3000 ms away: the rule spreads what is left, so the "
                "next call waits 3000 / (2 + 1) = 1000 ms; it would wait "
                "%llu ms",
                (unsigned long long)w);
    t = acquire_ok(fx.rl, 0, 1);
    expect_that(t.waited_ms == 1000,
                "ratelimit_acquire must wait the 1000 ms the headers asked "
                "for; it waited %llu ms",
                (unsigned long long)t.waited_ms);

    h = headers(50, 0, 5000, -1, -1, -1);
    ratelimit_observe(fx.rl, &h);
    h = headers(50, 45, 1000, -1, -1, -1);
    ratelimit_observe(fx.rl, &h); /* an older, hopeful reply */
    w = ratelimit_wait_ms(fx.rl, 0);
    expect_that(w == 5000,
                "0 requests remaining with the reset 5000 ms away means "
                "waiting the whole 5000 ms, and a later reply saying 45 are "
                "left must not cancel it (observe never speeds up); the "
                "limiter would wait %llu ms",
                (unsigned long long)w);
    fake_clock_advance(&fx.fc, 5000);

    h = headers(-1, -1, -1, 40000, 3, 8000);
    ratelimit_observe(fx.rl, &h);
    w = ratelimit_wait_ms(fx.rl, 0);
    expect_that(w == 2000,
                "3 of 40,000 tokens remaining with the reset 8000 ms away: "
                "tokens follow the same rule, 8000 / (3 + 1) = 2000 ms; the "
                "limiter would wait %llu ms",
                (unsigned long long)w);
    stop_limiter(&fx);

    /* low_remaining_percent 0 ignores the headers. */
    start_limiter(&fx, 0, 0, RATELIMIT_SLIDING_WINDOW, 0);
    h = headers(50, 0, 5000, 40000, 0, 5000);
    ratelimit_observe(fx.rl, &h);
    expect_that(ratelimit_wait_ms(fx.rl, 0) == 0,
                "with low_remaining_percent 0 the headers are ignored; the "
                "limiter must not wait");
    stop_limiter(&fx);
}

enum { THREADS = 8, CALLS_PER_THREAD = 10 };

/*
 * A fake clock for threads. The harness's fake adds every sleep to one
 * shared time, so eight threads sleeping 1000 ms at once move it 8000 ms
 * and every window has long expired when they wake: a race would hide.
 * Here sleepers overlap as in real time: a sleep of ms from now wakes at
 * now + ms, and time moves to the latest wake-up. The short real pause
 * lets the other threads reach their own sleep first.
 */
struct overlap_clock {
    kit_clock clock;
    pthread_mutex_t lock;
    uint64_t now_ms;
};

static uint64_t oc_now_ms(void *ctx)
{
    struct overlap_clock *oc = ctx;
    uint64_t now;

    pthread_mutex_lock(&oc->lock);
    now = oc->now_ms;
    pthread_mutex_unlock(&oc->lock);
    return now;
}

static int64_t oc_wall_s(void *ctx)
{
    return NINE_AM_S + (int64_t)(oc_now_ms(ctx) / 1000);
}

static void oc_sleep_ms(void *ctx, uint64_t ms)
{
    struct overlap_clock *oc = ctx;
    uint64_t wake = oc_now_ms(oc) + ms;
    struct timespec pause = {0, 200 * 1000};

    nanosleep(&pause, NULL);
    pthread_mutex_lock(&oc->lock);
    if (oc->now_ms < wake)
        oc->now_ms = wake;
    pthread_mutex_unlock(&oc->lock);
}

static uint32_t oc_random_u32(void *ctx)
{
    (void)ctx;
    return 4; /* the limiter draws no random numbers */
}

static const kit_clock_ops overlap_ops = {
    .now_ms = oc_now_ms,
    .wall_s = oc_wall_s,
    .sleep_ms = oc_sleep_ms,
    .random_u32 = oc_random_u32,
};

struct racer {
    ratelimit *rl;
    pthread_mutex_t *lock;
    uint64_t *at;
    size_t *n;
    pthread_barrier_t *go;
    int failures;
};

static void *race(void *arg)
{
    struct racer *r = arg;

    pthread_barrier_wait(r->go);
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        ratelimit_ticket t;

        if (ratelimit_acquire(r->rl, 0, &t) != KIT_OK) {
            r->failures++;
            continue;
        }
        pthread_mutex_lock(r->lock);
        r->at[(*r->n)++] = t.at_ms;
        pthread_mutex_unlock(r->lock);
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static void test_ratelimit_holds_the_limit_across_8_threads(void **state)
{
    enum { LIMIT = 5 };
    const uint64_t window = 1000;
    ratelimit_config cfg = RATELIMIT_CONFIG_DEFAULT;
    struct overlap_clock oc = {
        {&overlap_ops, &oc}, PTHREAD_MUTEX_INITIALIZER, 0};
    ratelimit *rl = NULL;
    pthread_t tid[THREADS];
    struct racer racers[THREADS];
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_barrier_t go;
    uint64_t at[THREADS * CALLS_PER_THREAD];
    size_t n = 0;
    int failures = 0;

    (void)state;
    cfg.requests_per_window = LIMIT;
    cfg.window_ms = window;
    cfg.clock = &oc.clock;
    if (ratelimit_create(&cfg, &rl) != KIT_OK)
        fail_msg("ratelimit_create with 5 requests per 1000 ms failed; it "
                 "should return KIT_OK and the new limiter");
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        racers[i] = (struct racer){rl, &lock, at, &n, &go, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        failures += racers[i].failures;
    }
    pthread_barrier_destroy(&go);
    ratelimit_destroy(rl);

    expect_that(failures == 0 && n == THREADS * CALLS_PER_THREAD,
                "%d of %d acquires from 8 threads failed; each must "
                "eventually get KIT_OK",
                failures, THREADS * CALLS_PER_THREAD);
    qsort(at, n, sizeof(at[0]), cmp_u64);
    for (size_t i = 0; i + LIMIT < n; i++) {
        expect_that(at[i + LIMIT] - at[i] >= window,
                    "with 8 threads sharing a %d-per-%llu-ms limiter, calls "
                    "%zu and %zu (in time order) started %llu ms apart, so "
                    "one window held %d calls. Check and count a call under "
                    "one lock, and after every sleep take the lock and "
                    "compute the wait again",
                    LIMIT, (unsigned long long)window, i + 1, i + 1 + LIMIT,
                    (unsigned long long)(at[i + LIMIT] - at[i]), LIMIT + 1);
    }
    /* 80 calls at 5 per second need at least 15 s of (fake) time. */
    expect_that(at[n - 1] >= 15 * window,
                "80 calls at 5 per 1000 ms ended at t = %llu ms; they "
                "cannot end before t = 15000 ms",
                (unsigned long long)at[n - 1]);
}

/* ---- The retry budget -----------------------------------------------------
 */

static retry_budget *new_budget(int capacity, int per_token)
{
    retry_budget_config cfg = {.capacity = capacity,
                               .successes_per_token = per_token};
    retry_budget *rb = NULL;
    kit_status st = retry_budget_create(&cfg, &rb);

    expect_that(st == KIT_OK && rb != NULL,
                "retry_budget_create with capacity %d returned \"%s\"; it "
                "should return KIT_OK and the new budget",
                capacity, kit_strerror(st));
    return rb;
}

static void test_retry_budget_drains_and_refills(void **state)
{
    retry_budget *rb;
    kit_status st;

    (void)state;
    rb = new_budget(3, 4);
    expect_that(near(retry_budget_tokens(rb), 3),
                "a new budget of capacity 3 starts full, with 3 tokens; it "
                "has %.2f",
                retry_budget_tokens(rb));
    for (int i = 1; i <= 3; i++) {
        st = retry_budget_take(rb);
        expect_that(st == KIT_OK,
                    "retry %d of a full budget of 3 returned \"%s\"; it must "
                    "be allowed",
                    i, kit_strerror(st));
    }
    st = retry_budget_take(rb);
    expect_that(st == KIT_ERR_RETRY_BUDGET,
                "a 4th retry from a budget of 3 returned \"%s\"; the bucket "
                "is empty, so it must be KIT_ERR_RETRY_BUDGET",
                kit_strerror(st));
    for (int i = 0; i < 3; i++)
        retry_budget_on_success(rb);
    expect_that(near(retry_budget_tokens(rb), 0.75),
                "3 successes at 4 successes per token give back 0.75 of a "
                "token; the budget has %.2f",
                retry_budget_tokens(rb));
    expect_that(retry_budget_take(rb) == KIT_ERR_RETRY_BUDGET,
                "0.75 of a token is not a retry: take must refuse until a "
                "whole token is back");
    retry_budget_on_success(rb);
    expect_that(retry_budget_take(rb) == KIT_OK,
                "the 4th success makes a whole token: the retry must be "
                "allowed");
    for (int i = 0; i < 100; i++)
        retry_budget_on_success(rb);
    expect_that(near(retry_budget_tokens(rb), 3),
                "100 successes fill the budget only up to its capacity, 3; "
                "it has %.2f",
                retry_budget_tokens(rb));
    retry_budget_destroy(rb);
}

/* An attempt that fails with 503 until `healthy`, counting itself. */
struct flaky {
    int attempts;
    bool healthy;
};

static kit_status flaky_attempt(void *arg, kit_attempt *info)
{
    struct flaky *f = arg;

    f->attempts++;
    info->status = f->healthy ? KIT_OK : KIT_ERR_SERVER;
    info->http_status = f->healthy ? 200 : 503;
    return info->status;
}

static void test_retry_budget_makes_a_failing_client_fail_fast(void **state)
{
    backoff_policy p = BACKOFF_POLICY_DEFAULT;
    struct flaky f = {0, false};
    retry_budget_call rc;
    fake_clock fc;
    retry_budget *rb;
    kit_status st[10];
    int refused = 0;

    (void)state;
    p.max_retries = 3;
    p.initial_delay_ms = 100;
    fake_clock_init(&fc, 0, NINE_AM_S);
    rb = new_budget(5, 10);
    /* Ten calls to a provider that answers 503 to everything. */
    for (int i = 0; i < 10; i++) {
        rc = (retry_budget_call){.budget = rb, .fn = flaky_attempt, .arg = &f};
        st[i] = backoff_run(&p, &fc.clock, retry_budget_attempt, &rc, NULL);
        if (st[i] == KIT_ERR_RETRY_BUDGET)
            refused++;
    }
    expect_that(f.attempts == 15,
                "10 calls to a provider that always fails, 3 retries each, "
                "with a retry budget of 5, made %d attempts. Call 1 makes 4 "
                "(3 retries), call 2 makes 3 (2 retries: the budget is then "
                "empty) and calls 3 to 10 one each: 15, not the 40 that "
                "retries without a budget send to a failing server",
                f.attempts);
    expect_that(st[0] == KIT_ERR_SERVER && refused == 9,
                "call 1 should end with the server's error (its 3 retries "
                "were in the budget) and calls 2 to 10 with "
                "KIT_ERR_RETRY_BUDGET; call 1 ended \"%s\" and %d calls "
                "were refused",
                kit_strerror(st[0]), refused);
    expect_that(fc.n_sleeps == 5,
                "the backoff slept %zu times; with the budget empty a call "
                "must fail at once, without sleeping a backoff it will not "
                "use (3 sleeps in call 1, 2 in call 2)",
                fc.n_sleeps);

    /* The provider recovers: first attempts still go, and successes
     * earn retries back. */
    f.healthy = true;
    for (int i = 0; i < 10; i++) {
        kit_status s;

        rc = (retry_budget_call){.budget = rb, .fn = flaky_attempt, .arg = &f};
        s = backoff_run(&p, &fc.clock, retry_budget_attempt, &rc, NULL);
        expect_that(s == KIT_OK,
                    "with the budget empty a first attempt must still go; "
                    "call %d to a healthy provider returned \"%s\"",
                    i + 1, kit_strerror(s));
    }
    expect_that(near(retry_budget_tokens(rb), 1),
                "10 successes at 10 per token earn back exactly 1 retry; "
                "the budget has %.2f",
                retry_budget_tokens(rb));
    retry_budget_destroy(rb);
    fake_clock_destroy(&fc);
}

/* ---- The usage log --------------------------------------------------------
 */

static void temp_path(char *path, size_t n)
{
    int fd;

    snprintf(path, n, "/tmp/lab07-usage-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The file's text; caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 20);
    size_t n;

    assert_non_null(f);
    assert_non_null(buf);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static usage_record record(int64_t ts, const char *model, long in, long out,
                           double cost, bool ok)
{
    usage_record r;

    memset(&r, 0, sizeof(r));
    r.ts = ts;
    snprintf(r.env, sizeof(r.env), "dev");
    snprintf(r.provider, sizeof(r.provider), "anthropic");
    snprintf(r.model, sizeof(r.model), "%s", model);
    r.tokens_in = in;
    r.tokens_out = out;
    r.cost_usd = cost;
    r.latency_ms = ok ? 840 : 12;
    r.ok = ok;
    r.http_status = ok ? 200 : 429;
    return r;
}

static void append_ok(usage_log *log, const usage_record *rec)
{
    kit_status st = usage_log_append(log, rec);

    expect_that(st == KIT_OK,
                "usage_log_append returned \"%s\"; it should append the "
                "line and return KIT_OK",
                kit_strerror(st));
}

static usage_log *open_ok(const char *path)
{
    usage_log *log = NULL;
    kit_status st = usage_log_open(path, &log);

    if (st != KIT_OK || !log)
        unlink(path); /* the test ends here: leave no file behind */
    expect_that(st == KIT_OK && log != NULL,
                "usage_log_open(\"%s\") returned \"%s\"; it should open the "
                "file for appending and return KIT_OK",
                path, kit_strerror(st));
    return log;
}

static const cJSON *member(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static void test_usage_log_appends_one_json_line_per_call(void **state)
{
    char path[64], *text, *line, *save = NULL;
    usage_log *log;
    usage_record a =
        record(NINE_AM_S, "claude-haiku-4.5", 100, 600, 0.0031, true);
    usage_record b = record(NINE_AM_S + 5, "model \"quoted\"", 0, 0, 0, false);
    int n = 0;

    (void)state;
    temp_path(path, sizeof(path));
    write_file(path, "{\"ts\":1,\"env\":\"dev\",\"model\":\"old\","
                     "\"cost_usd\":0,\"outcome\":\"ok\"}\n");
    log = open_ok(path);
    append_ok(log, &a);
    append_ok(log, &b);
    usage_log_close(log);

    text = slurp(path);
    expect_that(strncmp(text, "{\"ts\":1,", 8) == 0,
                "the log's first line is gone after usage_log_open and two "
                "appends; the file must be opened with O_APPEND (never "
                "O_TRUNC or \"w\") so that yesterday's lines stay. It now "
                "starts: %.60s",
                text);
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        cJSON *obj = cJSON_Parse(line);
        const usage_record *want = n == 1 ? &a : &b;

        if (n++ == 0) {
            cJSON_Delete(obj);
            continue;
        }
        expect_that(cJSON_IsObject(obj),
                    "line %d of the log is not a JSON object: %s", n, line);
        expect_that(
            cJSON_IsNumber(member(obj, "ts")) &&
                member(obj, "ts")->valuedouble == (double)want->ts &&
                cJSON_IsString(member(obj, "env")) &&
                cJSON_IsString(member(obj, "provider")) &&
                cJSON_IsString(member(obj, "model")) &&
                strcmp(member(obj, "model")->valuestring, want->model) == 0 &&
                cJSON_IsNumber(member(obj, "tokens_in")) &&
                cJSON_IsNumber(member(obj, "tokens_out")) &&
                cJSON_IsNumber(member(obj, "cost_usd")) &&
                near(member(obj, "cost_usd")->valuedouble, want->cost_usd) &&
                cJSON_IsNumber(member(obj, "latency_ms")) &&
                cJSON_IsString(member(obj, "outcome")) &&
                strcmp(member(obj, "outcome")->valuestring,
                       want->ok ? "ok" : "error") == 0,
            "line %d of the log, %s, should hold the call's ts, env, "
            "provider, model (JSON-escaped), tokens_in, tokens_out, "
            "cost_usd, latency_ms and outcome (\"ok\" or \"error\")",
            n, line);
        cJSON_Delete(obj);
    }
    expect_that(n == 3,
                "the log has %d lines after one old line and two appends; "
                "it should have 3, one per call",
                n);
    free(text);
    unlink(path);
}

/* Appends from several threads. */
struct appender {
    usage_log *log;
    int id;
    int failures;
};

enum { APPENDS_PER_THREAD = 100 };

static void *append_many(void *arg)
{
    struct appender *a = arg;
    char model[32];

    snprintf(model, sizeof(model), "model-%d", a->id);
    for (int i = 0; i < APPENDS_PER_THREAD; i++) {
        usage_record r = record(NINE_AM_S + i, model, i, i, 0.001, true);

        if (usage_log_append(a->log, &r) != KIT_OK)
            a->failures++;
    }
    return NULL;
}

static void count_record(void *ctx, const usage_record *rec)
{
    (void)rec;
    (*(long *)ctx)++;
}

static void test_usage_log_keeps_lines_whole_across_threads(void **state)
{
    char path[64];
    usage_log *log;
    pthread_t tid[THREADS];
    struct appender ap[THREADS];
    usage_read_report rep;
    long seen = 0;
    int failures = 0;
    kit_status st;

    (void)state;
    temp_path(path, sizeof(path));
    log = open_ok(path);
    for (int i = 0; i < THREADS; i++) {
        ap[i] = (struct appender){log, i, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, append_many, &ap[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        failures += ap[i].failures;
    }
    usage_log_close(log);
    st = usage_log_read(path, count_record, &seen, &rep);
    expect_that(st == KIT_OK && failures == 0,
                "8 threads appending 100 lines each saw %d failed appends, "
                "and reading the log back returned \"%s\"; both should "
                "succeed",
                failures, kit_strerror(st));
    expect_that(seen == THREADS * APPENDS_PER_THREAD && rep.skipped == 0 &&
                    !rep.torn_last_line,
                "8 threads appended 800 lines; the reader found %ld records "
                "and skipped %ld lines. Every line must reach the file whole, "
                "in a single write() on an O_APPEND descriptor: lines written "
                "in pieces interleave",
                seen, rep.skipped);
    unlink(path);
}

static void test_usage_log_reader_skips_a_torn_last_line(void **state)
{
    char path[64], *text;
    usage_log *log;
    usage_read_report rep;
    usage_record r =
        record(NINE_AM_S + 60, "claude-haiku-4.5", 1, 1, 0.001, true);
    long seen = 0;
    kit_status st;

    (void)state;
    temp_path(path, sizeof(path));
    write_file(path, "{\"ts\":1796029200,\"env\":\"dev\",\"model\":\"m\","
                     "\"cost_usd\":0.5,\"outcome\":\"ok\"}\n"
                     "this is not json\n"
                     "{\"ts\":1796029201,\"env\":\"dev\",\"model\":\"m\","
                     "\"cost_usd\":0.5,\"outcome\":\"error\"}\n"
                     "{\"ts\":1796029202,\"env\":\"dev\",\"model\":\"m\","
                     "\"cost_usd\":0.5,\"outcome\":\"ok\"}\n"
                     "{\"ts\":1796029203,\"env\":\"dev\",\"mod");
    st = usage_log_read(path, count_record, &seen, &rep);
    if (st != KIT_OK)
        unlink(path);
    expect_that(st == KIT_OK,
                "usage_log_read of a log with a torn last line returned "
                "\"%s\"; a torn line is expected after a crash, so it must "
                "return KIT_OK and say so in the report",
                kit_strerror(st));
    expect_that(seen == 3 && rep.records == 3 && rep.lines == 5 &&
                    rep.skipped == 1 && rep.torn_last_line,
                "the log has 3 records, 1 line that is not JSON and a torn "
                "last line (no newline). The reader reported %ld records "
                "(callback saw %ld), %ld lines, %ld skipped, torn %s; it "
                "should report 3, 5, 1 skipped and torn true",
                rep.records, seen, rep.lines, rep.skipped,
                rep.torn_last_line ? "true" : "false");

    /* Appending after the crash: the new line must not glue itself to the
     * torn one. */
    log = open_ok(path);
    append_ok(log, &r);
    usage_log_close(log);
    seen = 0;
    usage_log_read(path, count_record, &seen, &rep);
    text = slurp(path);
    expect_that(seen == 4 && rep.skipped == 2 && !rep.torn_last_line,
                "after one more append the log should read as 4 records, 2 "
                "skipped lines (the old torn line now ended) and no torn "
                "line; it read %ld records and %ld skipped. Before the first "
                "append, end a torn last line with a newline. The file ends: "
                "%s",
                seen, rep.skipped,
                text + (strlen(text) > 160 ? strlen(text) - 160 : 0));
    free(text);
    unlink(path);
}

static void
test_usage_log_daily_summary_counts_requests_cost_and_models(void **state)
{
    char path[64];
    usage_log *log;
    usage_summary s;
    usage_record recs[] = {
        record(NINE_AM_S - 86400, "claude-haiku-4.5", 100, 100, 1.0, true),
        record(NINE_AM_S, "claude-haiku-4.5", 100, 600, 0.0031, true),
        record(NINE_AM_S + 10, "claude-sonnet-4.5", 200, 400, 0.0066, true),
        record(NINE_AM_S + 20, "claude-haiku-4.5", 0, 0, 0, false),
        record(NINE_AM_S + 30, "claude-haiku-4.5", 100, 600, 0.0031, true),
        record(MIDNIGHT_S + 86400, "gpt-4o", 10, 10, 2.0, true),
    };
    kit_status st;

    (void)state;
    temp_path(path, sizeof(path));
    log = open_ok(path);
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
        append_ok(log, &recs[i]);
    usage_log_close(log);

    st = usage_log_daily_summary(path, TODAY, &s);
    expect_that(st == KIT_OK,
                "usage_log_daily_summary returned \"%s\"; it should return "
                "KIT_OK",
                kit_strerror(st));
    expect_that(s.day == TODAY && s.requests == 4 && s.ok == 3 && s.failed == 1,
                "today the log has 4 calls, 3 ok and 1 failed (yesterday's "
                "and tomorrow's lines do not count: day = ts / 86400); the "
                "summary says %ld requests, %ld ok, %ld failed",
                s.requests, s.ok, s.failed);
    expect_that(near(s.cost_usd, 0.0128) && s.tokens_in == 400 &&
                    s.tokens_out == 1600 && s.latency_ms_total == 840 * 3 + 12,
                "today cost $0.0128 for 400 tokens in and 1600 out, over "
                "2532 ms; the summary says $%.4f, %ld in, %ld out, %llu ms",
                s.cost_usd, s.tokens_in, s.tokens_out,
                (unsigned long long)s.latency_ms_total);
    expect_that(
        s.n_models == 2 && strcmp(s.models[0].model, "claude-haiku-4.5") == 0 &&
            s.models[0].requests == 3 && near(s.models[0].cost_usd, 0.0062) &&
            strcmp(s.models[1].model, "claude-sonnet-4.5") == 0 &&
            s.models[1].requests == 1 && near(s.models[1].cost_usd, 0.0066),
        "by model, today is claude-haiku-4.5 (3 calls, $0.0062) then "
        "claude-sonnet-4.5 (1 call, $0.0066), in order of first "
        "appearance; the summary has %zu models, the first \"%s\" "
        "with %ld calls",
        s.n_models, s.n_models ? s.models[0].model : "",
        s.n_models ? s.models[0].requests : 0L);
    unlink(path);
}

/* ---- Against the mock server ----------------------------------------------
 */

struct burst {
    int ok, limited, other;
    long last_other;
};

/* Sends n calls on key, through rl when it is not NULL, logging each. */
static void send_calls(const mockproc *m, const char *key, int n, ratelimit *rl,
                       usage_log *log, struct burst *b)
{
    kit_transport t = {0};
    kit_endpoint ep = {.base_url = m->base_url, .api_key = key};
    kit_chat_request req = {.model = "claude-haiku-4.5",
                            .prompt = "Is ACL 101 too permissive?",
                            .max_tokens = 16,
                            .temperature = -1};

    memset(b, 0, sizeof(*b));
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    for (int i = 0; i < n; i++) {
        kit_chat_reply reply = {0};
        kit_attempt info;
        kit_status st;

        if (rl)
            ratelimit_acquire(rl, 7 + req.max_tokens, NULL);
        st = kit_anthropic_call(&t, &ep, &req, &reply, &info);
        if (rl)
            ratelimit_observe(rl, &info.ratelimit);
        if (log) {
            usage_record r = record(NINE_AM_S, req.model, reply.input_tokens,
                                    reply.output_tokens, 0, st == KIT_OK);

            r.http_status = info.http_status;
            usage_log_append(log, &r);
        }
        if (st == KIT_OK)
            b->ok++;
        else if (info.http_status == 429)
            b->limited++;
        else {
            b->other++;
            b->last_other = info.http_status;
        }
        kit_chat_reply_clear(&reply);
    }
    kit_curl_destroy(&t);
}

/* The tiered server, stopped by the teardown even when the test fails. */
static mockproc tiered;

static int stop_tiered(void **state)
{
    (void)state;
    mockproc_stop(&tiered);
    return 0;
}

static void test_ratelimit_keeps_a_free_tier_key_free_of_429s(void **state)
{
    /* Anthropic free tier (5 RPM) with a minute of 600 ms. */
    const char *const args[] = {"--tier", "anthropic-free", "--time-scale",
                                "0.01", NULL};
    ratelimit_config cfg = RATELIMIT_CONFIG_DEFAULT;
    char burst_key[64], polite_key[64], path[64];
    struct burst unlimited, limited;
    usage_read_report rep;
    ratelimit *rl = NULL;
    usage_log *log;
    const mockproc *m = &tiered;
    long seen = 0;

    (void)state;
    if (mockproc_start(&tiered, args) != 0)
        fail_msg("the mock server did not start with --tier anthropic-free "
                 "--time-scale 0.01; build it with make (build/mockserver)");
    unique_key(burst_key, sizeof(burst_key), "lab07-burst");
    unique_key(polite_key, sizeof(polite_key), "lab07-polite");

    send_calls(m, burst_key, 8, NULL, NULL, &unlimited);
    expect_that(unlimited.limited > 0,
                "8 calls at once to a 5 RPM key should meet at least one "
                "429 without a limiter; the server answered %d ok and %d "
                "429s, so the test's premise does not hold",
                unlimited.ok, unlimited.limited);

    /* The tier's 5 per (scaled) minute, with 10 % of headroom for the
     * time the request takes to reach the server. */
    cfg.requests_per_window = 5;
    cfg.tokens_per_window = 10000;
    cfg.window_ms = 660;
    if (ratelimit_create(&cfg, &rl) != KIT_OK)
        fail_msg("ratelimit_create with 5 requests and 10,000 tokens per "
                 "660 ms failed; it should return KIT_OK and the limiter");
    temp_path(path, sizeof(path));
    log = open_ok(path);
    send_calls(m, polite_key, 8, rl, log, &limited);
    usage_log_close(log);
    expect_that(limited.limited == 0 && limited.ok == 8,
                "the same 8 calls through a 5-per-660-ms limiter must all "
                "succeed with no 429; the server answered %d ok, %d 429s "
                "and %d other (last HTTP %ld)",
                limited.ok, limited.limited, limited.other, limited.last_other);
    usage_log_read(path, count_record, &seen, &rep);
    expect_that(seen == 8,
                "the usage log of the limited run should hold 8 records, "
                "one per call; it holds %ld",
                seen);
    ratelimit_destroy(rl);
    unlink(path);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_ratelimit_waits_exactly_until_the_oldest_call_leaves_the_window),
        cmocka_unit_test(
            test_ratelimit_lets_no_burst_through_at_the_window_edge),
        cmocka_unit_test(
            test_ratelimit_token_bucket_refills_at_the_committed_rate),
        cmocka_unit_test(test_ratelimit_slows_down_when_remaining_runs_low),
        cmocka_unit_test(test_ratelimit_holds_the_limit_across_8_threads),
        cmocka_unit_test(test_retry_budget_drains_and_refills),
        cmocka_unit_test(test_retry_budget_makes_a_failing_client_fail_fast),
        cmocka_unit_test(test_usage_log_appends_one_json_line_per_call),
        cmocka_unit_test(test_usage_log_keeps_lines_whole_across_threads),
        cmocka_unit_test(test_usage_log_reader_skips_a_torn_last_line),
        cmocka_unit_test(
            test_usage_log_daily_summary_counts_requests_cost_and_models),
        cmocka_unit_test_teardown(
            test_ratelimit_keeps_a_free_tier_key_free_of_429s, stop_tiered),
    };

    return HARNESS_MAIN("lab07-ratelimit", tests, NULL, NULL);
}
