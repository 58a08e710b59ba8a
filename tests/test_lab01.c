/*
 * Lab 1's graded tests: exponential backoff. The unit tests drive
 * backoff_run with a scripted attempt function and the fake clock, so each
 * one checks an exact schedule of waits without sleeping. The integration
 * tests run backoff_run over the provided Anthropic call against the mock
 * server, with millisecond delays, and read what really happened from the
 * server's journal. The extras (full jitter, the circuit breaker) are bonus
 * tests.
 */
#include "harness.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "breaker.h"
#include "fakes.h"
#include "kit_chat.h"

/* ---- A scripted attempt function ---------------------------------------- */

/* One scripted outcome. retry_after_ms 0 means the server sent none. */
typedef struct step {
    kit_status status;
    long http_status;
    long retry_after_ms;
} step;

#define OK_200                                                                 \
    {                                                                          \
        KIT_OK, 200, 0                                                         \
    }

enum { MAX_CALLS = 64 };

typedef struct script {
    const step *steps;
    size_t n_steps; /* after the last step, the last one repeats */
    fake_clock *clock;
    int calls;
    uint64_t call_at_ms[MAX_CALLS];
} script;

static void script_init(script *s, const step *steps, size_t n,
                        fake_clock *clock)
{
    memset(s, 0, sizeof(*s));
    s->steps = steps;
    s->n_steps = n;
    s->clock = clock;
}

/* Plays the next step. Like a real attempt it leaves retry_after_ms alone
 * when the server sent none: backoff_run must have set it to -1. */
static kit_status scripted_attempt(void *arg, kit_attempt *info)
{
    script *s = arg;
    const step *st = &s->steps[(size_t)s->calls < s->n_steps ? (size_t)s->calls
                                                             : s->n_steps - 1];

    if (s->calls < MAX_CALLS)
        s->call_at_ms[s->calls] = kit_clock_now_ms(&s->clock->clock);
    s->calls++;
    info->status = st->status;
    info->http_status = st->http_status;
    if (st->retry_after_ms > 0)
        info->retry_after_ms = st->retry_after_ms;
    return st->status;
}

/* Formats a list of waits as "1000, 2000, 4000". */
static const char *format_waits(const uint64_t *w, size_t n, char *buf,
                                size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    if (n == 0)
        snprintf(buf, len, "none");
    for (size_t i = 0; i < n && used < len; i++) {
        int k =
            snprintf(buf + used, len - used, "%s%" PRIu64, i ? ", " : "", w[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    return buf;
}

/* Fails with both schedules when the fake clock's sleeps differ from want. */
static void expect_waits(const fake_clock *fc, const uint64_t *want, size_t n,
                         const char *why)
{
    char w[256], g[256];
    size_t got =
        fc->n_sleeps < FAKE_MAX_RECORDS ? fc->n_sleeps : FAKE_MAX_RECORDS;
    bool same = fc->n_sleeps == n;

    for (size_t i = 0; same && i < n; i++)
        same = fc->sleeps[i] == want[i];
    expect_that(same,
                "%s: the waits should be [%s] ms, but backoff_run slept "
                "[%s] ms on the clock it was given",
                why, format_waits(want, n, w, sizeof(w)),
                format_waits(fc->sleeps, got, g, sizeof(g)));
}

static backoff_policy test_policy(int max_retries)
{
    backoff_policy p = BACKOFF_POLICY_DEFAULT;

    p.max_retries = max_retries;
    p.initial_delay_ms = 1000;
    p.max_delay_ms = 60000;
    p.multiplier = 2;
    p.max_retry_after_ms = 60000;
    p.jitter = BACKOFF_JITTER_NONE;
    return p;
}

/* ---- Classification ------------------------------------------------------ */

static void test_backoff_classifies_transient_and_permanent(void **state)
{
    static const kit_status transient[] = {
        KIT_ERR_RATE_LIMIT, KIT_ERR_SERVER, KIT_ERR_OVERLOADED, KIT_ERR_TIMEOUT,
        KIT_ERR_CONNECT,    KIT_ERR_RESET,  KIT_ERR_NETWORK,
    };
    static const kit_status permanent[] = {
        KIT_OK,
        KIT_ERR_BAD_REQUEST,
        KIT_ERR_AUTH,
        KIT_ERR_PERMISSION,
        KIT_ERR_NOT_FOUND,
        KIT_ERR_BAD_RESPONSE,
        KIT_ERR_INVALID_ARG,
        KIT_ERR_NO_KEY,
        KIT_ERR_CIRCUIT_OPEN,
    };

    (void)state;
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        expect_that(backoff_is_transient(transient[i]),
                    "backoff_is_transient says '%s' is permanent; it is "
                    "transient (it may succeed later), so it must be "
                    "retried",
                    kit_strerror(transient[i]));
    for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
        expect_that(!backoff_is_transient(permanent[i]),
                    "backoff_is_transient says '%s' is transient; the same "
                    "request would get the same answer, so retrying it only "
                    "costs time and money",
                    kit_strerror(permanent[i]));
}

/* ---- backoff_delay_ms ---------------------------------------------------- */

static void test_backoff_delay_doubles_from_initial_delay(void **state)
{
    backoff_policy p = test_policy(10);
    static const uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000};

    (void)state;
    for (int k = 0; k < 6; k++) {
        uint64_t got = backoff_delay_ms(&p, k, 0);

        expect_that(got == want[k],
                    "backoff_delay_ms(retry_index %d) returned %" PRIu64
                    " ms; with an initial delay of 1000 ms and multiplier "
                    "2 it must be 1000 * 2^%d = %" PRIu64 " ms",
                    k, got, k, want[k]);
    }
}

static void test_backoff_delay_caps_at_max_delay(void **state)
{
    backoff_policy p = test_policy(10);
    static const int indexes[] = {6, 7, 10, 20};

    (void)state;
    for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
        uint64_t got = backoff_delay_ms(&p, indexes[i], 0);

        expect_that(got == 60000,
                    "backoff_delay_ms(retry_index %d) returned %" PRIu64
                    " ms; 1000 * 2^%d is over max_delay_ms, so the wait "
                    "must be capped at 60000 ms",
                    indexes[i], got, indexes[i]);
    }
    p.initial_delay_ms = 90000;
    expect_that(backoff_delay_ms(&p, 0, 0) == 60000,
                "an initial delay of 90000 ms above a 60000 ms cap must "
                "still be capped: the first wait was %" PRIu64 " ms",
                backoff_delay_ms(&p, 0, 0));
}

static void test_backoff_delay_survives_huge_retry_index(void **state)
{
    backoff_policy p = test_policy(10);
    static const int indexes[] = {63, 64, 65, 100, 1000, INT_MAX};

    (void)state;
    for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
        uint64_t got = backoff_delay_ms(&p, indexes[i], 0);

        expect_that(got == 60000,
                    "backoff_delay_ms(retry_index %d) returned %" PRIu64
                    " ms instead of the 60000 ms cap: 1000 * 2^%d overflows "
                    "64 bits (or 2^k is not representable); stop "
                    "multiplying once you reach the cap",
                    indexes[i], got, indexes[i]);
    }
}

static void test_backoff_delay_follows_the_multiplier(void **state)
{
    backoff_policy p = test_policy(10);
    static const uint64_t triple[] = {100, 300, 900, 2700, 8100};

    (void)state;
    p.initial_delay_ms = 100;
    p.multiplier = 3;
    for (int k = 0; k < 5; k++) {
        uint64_t got = backoff_delay_ms(&p, k, 0);

        expect_that(got == triple[k],
                    "with initial 100 ms and multiplier 3, retry %d must "
                    "wait %" PRIu64 " ms, not %" PRIu64
                    " ms: use p->multiplier, not a hard-coded 2",
                    k, triple[k], got);
    }
    p.multiplier = 1;
    for (int k = 0; k < 5; k++)
        expect_that(backoff_delay_ms(&p, k, 0) == 100,
                    "with multiplier 1 every wait is the initial 100 ms; "
                    "retry %d waited %" PRIu64 " ms",
                    k, backoff_delay_ms(&p, k, 0));
}

static void test_backoff_delay_without_jitter_ignores_random(void **state)
{
    backoff_policy p = test_policy(10);
    static const uint32_t randoms[] = {0, 1, 12345, 0x80000000u, UINT32_MAX};

    (void)state;
    for (size_t i = 0; i < sizeof(randoms) / sizeof(randoms[0]); i++) {
        uint64_t got = backoff_delay_ms(&p, 2, randoms[i]);

        expect_that(got == 4000,
                    "with jitter off, retry 2 must wait exactly 4000 ms "
                    "whatever the random argument; with random %" PRIu32
                    " it waited %" PRIu64 " ms",
                    randoms[i], got);
    }
}

/* ---- backoff_run on the fake clock -------------------------------------- */

static void test_backoff_run_returns_first_success_without_waiting(void **state)
{
    static const step steps[] = {OK_200};
    backoff_policy p = test_policy(3);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 1, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_OK,
                "backoff_run returned '%s' for an attempt that succeeded "
                "at once; it must return KIT_OK",
                kit_strerror(st));
    expect_that(s.calls == 1,
                "the attempt ran %d times; a success on the first try "
                "must end the call",
                s.calls);
    expect_waits(&fc, NULL, 0, "a first-try success waits for nothing");
    fake_clock_destroy(&fc);
}

static void test_backoff_run_doubles_the_wait_between_retries(void **state)
{
    static const step steps[] = {
        {KIT_ERR_RATE_LIMIT, 429, 0},
        {KIT_ERR_RATE_LIMIT, 429, 0},
        {KIT_ERR_RATE_LIMIT, 429, 0},
        OK_200,
    };
    static const uint64_t want[] = {1000, 2000, 4000};
    static const uint64_t at[] = {0, 1000, 3000, 7000};
    backoff_policy p = test_policy(5);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 4, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_OK,
                "three 429s then a 200 must end in KIT_OK; backoff_run "
                "returned '%s'",
                kit_strerror(st));
    expect_that(s.calls == 4,
                "the attempt ran %d times; three 429s then a 200 take 4 "
                "attempts",
                s.calls);
    expect_waits(&fc, want, 3,
                 "after three 429s (no retry-after) the waits double from "
                 "the initial delay");
    for (int i = 0; i < 4 && i < s.calls; i++)
        expect_that(s.call_at_ms[i] == at[i],
                    "attempt %d started at %" PRIu64 " ms on the clock; it "
                    "should start at %" PRIu64 " ms (sleep on the clock you "
                    "are given, between attempts)",
                    i + 1, s.call_at_ms[i], at[i]);
    fake_clock_destroy(&fc);
}

static void test_backoff_run_makes_max_retries_plus_one_attempts(void **state)
{
    static const step steps[] = {{KIT_ERR_SERVER, 503, 0}};
    static const uint64_t want[] = {1000, 2000, 4000};
    backoff_policy p = test_policy(3);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 1, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(s.calls == 4,
                "with max_retries = 3 and a server that always answers 503, "
                "the attempt ran %d times; it must run 4 times (the first "
                "try plus 3 retries)",
                s.calls);
    expect_that(st == KIT_ERR_SERVER,
                "when the retries are spent, backoff_run must return the "
                "last attempt's status (KIT_ERR_SERVER), not '%s'",
                kit_strerror(st));
    expect_waits(&fc, want, 3,
                 "3 retries mean 3 waits, and none after the last attempt");
    fake_clock_destroy(&fc);
}

static void test_backoff_run_zero_retries_means_one_attempt(void **state)
{
    static const step steps[] = {{KIT_ERR_RATE_LIMIT, 429, 0}};
    backoff_policy p = test_policy(0);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 1, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(s.calls == 1 && st == KIT_ERR_RATE_LIMIT,
                "max_retries = 0 means one attempt and no retry: the "
                "attempt ran %d times and backoff_run returned '%s' "
                "(want 1 and the 429's KIT_ERR_RATE_LIMIT)",
                s.calls, kit_strerror(st));
    expect_waits(&fc, NULL, 0, "with no retry there is nothing to wait for");
    fake_clock_destroy(&fc);
}

static void test_backoff_run_caps_the_wait(void **state)
{
    static const step steps[] = {{KIT_ERR_OVERLOADED, 529, 0}};
    static const uint64_t want[] = {1000, 2000, 4000, 5000, 5000, 5000};
    backoff_policy p = test_policy(6);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    p.max_delay_ms = 5000;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 1, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_ERR_OVERLOADED && s.calls == 7,
                "an always-overloaded server with max_retries = 6 takes 7 "
                "attempts and returns KIT_ERR_OVERLOADED; got %d attempts "
                "and '%s'",
                s.calls, kit_strerror(st));
    expect_waits(&fc, want, 6,
                 "with max_delay_ms = 5000 the doubling stops "
                 "at 5000 ms");
    fake_clock_destroy(&fc);
}

static void test_backoff_run_retries_transport_failures(void **state)
{
    static const step steps[] = {
        {KIT_ERR_TIMEOUT, 0, 0},  {KIT_ERR_CONNECT, 0, 0},
        {KIT_ERR_RESET, 0, 0},    {KIT_ERR_NETWORK, 0, 0},
        {KIT_ERR_SERVER, 502, 0}, OK_200,
    };
    backoff_policy p = test_policy(5);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 6, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_OK && s.calls == 6,
                "a timeout, a refused connection, a reset, a network error "
                "and a 502 are all transient: with max_retries = 5 the "
                "sixth attempt succeeds. Got %d attempts and '%s'; the "
                "attempt that stopped the loop was #%d",
                s.calls, kit_strerror(st), s.calls);
    fake_clock_destroy(&fc);
}

static void test_backoff_run_permanent_error_returns_at_once(void **state)
{
    static const step permanent[] = {
        {KIT_ERR_BAD_REQUEST, 400, 0},
        {KIT_ERR_AUTH, 401, 0},
        {KIT_ERR_PERMISSION, 403, 0},
        {KIT_ERR_NOT_FOUND, 404, 0},
    };
    backoff_policy p = test_policy(5);

    (void)state;
    for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++) {
        fake_clock fc;
        script s;
        kit_status st;

        fake_clock_init(&fc, 0, 1700000000);
        script_init(&s, &permanent[i], 1, &fc);
        st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
        expect_that(s.calls == 1,
                    "an HTTP %ld was attempted %d times; a permanent error "
                    "must end the call after one attempt",
                    permanent[i].http_status, s.calls);
        expect_that(st == permanent[i].status,
                    "after an HTTP %ld backoff_run must return '%s', not "
                    "'%s'",
                    permanent[i].http_status, kit_strerror(permanent[i].status),
                    kit_strerror(st));
        expect_waits(&fc, NULL, 0, "a permanent error waits for nothing");
        fake_clock_destroy(&fc);
    }
}

static void test_backoff_run_honours_retry_after(void **state)
{
    static const step steps[] = {
        {KIT_ERR_RATE_LIMIT, 429, 3500},
        {KIT_ERR_SERVER, 503, 0},
        OK_200,
    };
    static const uint64_t want[] = {3500, 2000};
    backoff_policy p = test_policy(5);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 3, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_OK && s.calls == 3,
                "a 429, a 503, then a 200 take 3 attempts and end in "
                "KIT_OK; got %d attempts and '%s'",
                s.calls, kit_strerror(st));
    expect_waits(&fc, want, 2,
                 "a 429 with retry-after 3500 ms waits exactly 3500 ms; "
                 "the 503 after it, with no retry-after, is retry 1 of the "
                 "schedule and waits 2000 ms");
    fake_clock_destroy(&fc);
}

static void
test_backoff_run_gives_up_when_retry_after_exceeds_bound(void **state)
{
    static const step steps[] = {{KIT_ERR_RATE_LIMIT, 429, 120000}, OK_200};
    backoff_policy p = test_policy(5);
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    p.max_retry_after_ms = 30000;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 2, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(s.calls == 1 && st == KIT_ERR_RATE_LIMIT,
                "a retry-after of 120 s is longer than max_retry_after_ms "
                "(30 s): the call must give up at once with "
                "KIT_ERR_RATE_LIMIT. Got %d attempts and '%s'",
                s.calls, kit_strerror(st));
    expect_waits(&fc, NULL, 0,
                 "giving up on a long retry-after means not waiting at all");
    fake_clock_destroy(&fc);
}

/* The observer used by the tests: it records every event. */
typedef struct recorder {
    int n;
    backoff_event ev[MAX_CALLS];
    long http[MAX_CALLS]; /* ev->info->http_status, read during the call */
} recorder;

static void record_event(void *ctx, const backoff_event *ev)
{
    recorder *r = ctx;

    if (r->n < MAX_CALLS) {
        r->ev[r->n] = *ev;
        r->http[r->n] = ev->info ? ev->info->http_status : -1;
    }
    r->n++;
}

static void test_backoff_run_reports_every_attempt_to_the_observer(void **state)
{
    static const step steps[] = {
        {KIT_ERR_RATE_LIMIT, 429, 500},
        {KIT_ERR_SERVER, 503, 0},
        OK_200,
    };
    static const struct {
        kit_status status;
        long http;
        backoff_verdict verdict;
        uint64_t wait_ms;
        bool from_retry_after;
    } want[] = {
        {KIT_ERR_RATE_LIMIT, 429, BACKOFF_RETRY, 500, true},
        {KIT_ERR_SERVER, 503, BACKOFF_RETRY, 2000, false},
        {KIT_OK, 200, BACKOFF_DONE, 0, false},
    };
    backoff_policy p = test_policy(3);
    recorder rec;
    backoff_observer obs = {.on_attempt = record_event, .ctx = &rec};
    fake_clock fc;
    script s;

    (void)state;
    memset(&rec, 0, sizeof(rec));
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 3, &fc);
    (void)backoff_run(&p, &fc.clock, scripted_attempt, &s, &obs);
    expect_that(rec.n == 3,
                "the observer heard about %d attempts; it must be called "
                "once per attempt (3 here: 429, 503, 200)",
                rec.n);
    for (int i = 0; i < 3; i++) {
        const backoff_event *ev = &rec.ev[i];

        expect_that(ev->attempt == i + 1 && ev->max_attempts == 4,
                    "event %d said attempt %d/%d; it should say %d/4 "
                    "(attempts count from 1, max_attempts is max_retries "
                    "+ 1)",
                    i + 1, ev->attempt, ev->max_attempts, i + 1);
        expect_that(ev->status == want[i].status && rec.http[i] == want[i].http,
                    "event %d carried status '%s' and HTTP %ld; the attempt "
                    "returned '%s' with HTTP %ld (pass the attempt's own "
                    "kit_attempt as ev->info)",
                    i + 1, kit_strerror(ev->status), rec.http[i],
                    kit_strerror(want[i].status), want[i].http);
        expect_that(ev->verdict == want[i].verdict,
                    "event %d had verdict '%s'; it should be '%s'", i + 1,
                    backoff_verdict_name(ev->verdict),
                    backoff_verdict_name(want[i].verdict));
        expect_that(ev->wait_ms == want[i].wait_ms &&
                        ev->from_retry_after == want[i].from_retry_after,
                    "event %d announced a wait of %" PRIu64
                    " ms (from retry-after: %s); it should be %" PRIu64
                    " ms (from retry-after: %s)",
                    i + 1, ev->wait_ms, ev->from_retry_after ? "yes" : "no",
                    want[i].wait_ms, want[i].from_retry_after ? "yes" : "no");
    }
    fake_clock_destroy(&fc);
}

/* Runs steps with policy p and returns the verdict of the last event. */
static backoff_verdict last_verdict(const backoff_policy *p, const step *steps,
                                    size_t n, int *events)
{
    recorder rec;
    backoff_observer obs = {.on_attempt = record_event, .ctx = &rec};
    fake_clock fc;
    script s;

    memset(&rec, 0, sizeof(rec));
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, n, &fc);
    (void)backoff_run(p, &fc.clock, scripted_attempt, &s, &obs);
    fake_clock_destroy(&fc);
    *events = rec.n;
    return rec.n > 0 && rec.n <= MAX_CALLS ? rec.ev[rec.n - 1].verdict
                                           : BACKOFF_RETRY;
}

static void test_backoff_run_tells_the_observer_why_it_stopped(void **state)
{
    static const step always_503[] = {{KIT_ERR_SERVER, 503, 0}};
    static const step auth[] = {{KIT_ERR_AUTH, 401, 0}};
    static const step long_wait[] = {{KIT_ERR_RATE_LIMIT, 429, 90000}};
    backoff_policy p = test_policy(2);
    backoff_verdict v;
    int n;

    (void)state;
    v = last_verdict(&p, always_503, 1, &n);
    expect_that(n == 3 && v == BACKOFF_GIVE_UP_EXHAUSTED,
                "after 3 failed attempts with max_retries = 2 the last "
                "event's verdict must be BACKOFF_GIVE_UP_EXHAUSTED; the "
                "observer heard %d events, the last with '%s'",
                n, backoff_verdict_name(v));
    v = last_verdict(&p, auth, 1, &n);
    expect_that(n == 1 && v == BACKOFF_GIVE_UP_PERMANENT,
                "a 401 must produce one event with verdict "
                "BACKOFF_GIVE_UP_PERMANENT; the observer heard %d events, "
                "the last with '%s'",
                n, backoff_verdict_name(v));
    v = last_verdict(&p, long_wait, 1, &n);
    expect_that(n == 1 && v == BACKOFF_GIVE_UP_RETRY_AFTER,
                "a retry-after of 90 s over a 60 s bound must produce one "
                "event with verdict BACKOFF_GIVE_UP_RETRY_AFTER; the "
                "observer heard %d events, the last with '%s'",
                n, backoff_verdict_name(v));
}

static void test_backoff_run_rejects_an_invalid_policy(void **state)
{
    static const step steps[] = {OK_200};
    backoff_policy good = test_policy(3), bad;
    fake_clock fc;
    script s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    script_init(&s, steps, 1, &fc);

    st = backoff_run(NULL, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "backoff_run(NULL policy) returned '%s'; it must return "
                "KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    st = backoff_run(&good, &fc.clock, NULL, &s, NULL);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "backoff_run(NULL attempt function) returned '%s'; it must "
                "return KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    bad = good;
    bad.max_retries = -1;
    st = backoff_run(&bad, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "max_retries = -1 makes no sense; backoff_run returned '%s' "
                "instead of KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    bad = good;
    bad.multiplier = 0;
    st = backoff_run(&bad, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "multiplier = 0 would make every wait 0; backoff_run "
                "returned '%s' instead of KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    expect_that(s.calls == 0,
                "the attempt ran %d times although every policy was "
                "invalid: check the arguments before the first attempt",
                s.calls);
    fake_clock_destroy(&fc);
}

/* ---- Against the mock server -------------------------------------------- */

static mockproc mock;

/* Starts the one mock server of this program, the first time it is needed,
 * so the unit tests above run even when the server cannot start. */
static int mock_up(void **state)
{
    (void)state;
    if (mock.base_url[0] == '\0' && mockproc_start(&mock, NULL) != 0)
        return -1;
    return 0;
}

static int stop_mock(void **state)
{
    (void)state;
    if (mock.base_url[0] != '\0')
        mockproc_stop(&mock); /* leaves a shared server running */
    return 0;
}

/* One call's worth of state for the attempt function: a curl transport
 * kept across attempts, as a real client keeps it. */
typedef struct live {
    kit_transport t;
    kit_endpoint ep;
    kit_chat_request req;
    kit_chat_reply reply;
    char key[64];
} live;

static void live_init(live *l, const char *tag, long timeout_ms)
{
    kit_status st;

    memset(l, 0, sizeof(*l));
    unique_key(l->key, sizeof(l->key), tag);
    st = kit_curl_create(NULL, &l->t);
    assert_int_equal(st, KIT_OK);
    l->ep.base_url = mock.base_url;
    l->ep.api_key = l->key;
    l->req.model = "claude-haiku-4.5";
    l->req.prompt = "What does OSPF use to elect a DR?";
    l->req.max_tokens = 64;
    l->req.temperature = -1.0;
    l->req.timeout_ms = timeout_ms;
}

static void live_clear(live *l)
{
    kit_chat_reply_clear(&l->reply);
    kit_curl_destroy(&l->t);
}

static kit_status live_attempt(void *arg, kit_attempt *info)
{
    live *l = arg;

    kit_chat_reply_clear(&l->reply);
    return kit_anthropic_call(&l->t, &l->ep, &l->req, &l->reply, info);
}

static void script_key(const char *key, const char *json)
{
    long code = mockctl_put_script(&mock, key, json);

    expect_that(code == 200 || code == 201 || code == 204,
                "the test could not script the mock server (HTTP %ld): this "
                "is a problem with the kit, not with your code",
                code);
}

/* What the journal recorded for one key. */
typedef struct seen {
    int n;
    double t_ms[MAX_CALLS];
    long status[MAX_CALLS];
    long conn[MAX_CALLS];
    bool early[MAX_CALLS];
    char timeline[4096];
} seen;

static void journal_read(const char *key, seen *out)
{
    cJSON *j = mockctl_journal(&mock, key);
    const cJSON *req;

    memset(out, 0, sizeof(*out));
    expect_that(j != NULL, "the mock server's journal could not be read");
    cJSON_ArrayForEach(req, cJSON_GetObjectItemCaseSensitive(j, "requests"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(req, "t_ms");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(req, "status");
        const cJSON *conn = cJSON_GetObjectItemCaseSensitive(req, "conn");
        const cJSON *early =
            cJSON_GetObjectItemCaseSensitive(req, "early_retry");

        if (out->n < MAX_CALLS) {
            out->t_ms[out->n] = cJSON_IsNumber(t) ? t->valuedouble : 0;
            out->status[out->n] =
                cJSON_IsNumber(status) ? (long)status->valuedouble : 0;
            out->conn[out->n] =
                cJSON_IsNumber(conn) ? (long)conn->valuedouble : -1;
            out->early[out->n] = cJSON_IsTrue(early);
        }
        out->n++;
    }
    journal_timeline(j, out->timeline, sizeof(out->timeline));
    cJSON_Delete(j);
}

/* Scheduling noise allowed in the gaps the server measures. */
enum { GAP_SLACK_BELOW_MS = 2, GAP_SLACK_ABOVE_MS = 400 };

static void expect_gap(const seen *s, int i, double want_ms, const char *why)
{
    double gap = s->t_ms[i] - s->t_ms[i - 1];

    expect_that(gap >= want_ms - GAP_SLACK_BELOW_MS,
                "attempt %d came %.1f ms after attempt %d; %s, so it must "
                "wait at least %.0f ms. The server saw:\n%s",
                i + 1, gap, i, why, want_ms, s->timeline);
    expect_that(gap <= want_ms + GAP_SLACK_ABOVE_MS,
                "attempt %d came %.1f ms after attempt %d; %s, so about "
                "%.0f ms was expected (are you sleeping in seconds, or "
                "twice?). The server saw:\n%s",
                i + 1, gap, i, why, want_ms, s->timeline);
}

static backoff_policy live_policy(int max_retries)
{
    backoff_policy p = BACKOFF_POLICY_DEFAULT;

    p.max_retries = max_retries;
    p.initial_delay_ms = 20;
    p.max_delay_ms = 1000;
    p.max_retry_after_ms = 1000;
    return p;
}

static void test_backoff_mock_retries_429_until_success(void **state)
{
    backoff_policy p = live_policy(3);
    live l;
    seen s;
    kit_status st;

    (void)state;
    live_init(&l, "l1-429", 2000);
    script_key(l.key, "{\"steps\":[{\"status\":429},{\"status\":429},"
                      "{\"status\":200}],\"then\":\"ok\"}");
    st = backoff_run(&p, NULL, live_attempt, &l, NULL);
    journal_read(l.key, &s);
    expect_that(st == KIT_OK,
                "two 429s then a 200 must end in KIT_OK; backoff_run "
                "returned '%s'. The server saw:\n%s",
                kit_strerror(st), s.timeline);
    expect_that(s.n == 3,
                "the server saw %d requests; two 429s then a 200 take "
                "exactly 3. The server saw:\n%s",
                s.n, s.timeline);
    if (s.n >= 3) {
        expect_gap(&s, 1, 20, "retry 0 waits the initial delay (20 ms)");
        expect_gap(&s, 2, 40, "retry 1 waits twice the initial delay");
        expect_that(s.conn[0] == s.conn[1] && s.conn[1] == s.conn[2],
                    "the retries used new TCP connections (conn %ld, %ld, "
                    "%ld): keep one transport for the whole call",
                    s.conn[0], s.conn[1], s.conn[2]);
    }
    live_clear(&l);
}

static void test_backoff_mock_gives_up_after_max_retries(void **state)
{
    backoff_policy p = live_policy(2);
    live l;
    seen s;
    kit_status st;

    (void)state;
    live_init(&l, "l1-503", 2000);
    script_key(l.key, "{\"steps\":[{\"status\":503}],\"then\":\"repeat\"}");
    st = backoff_run(&p, NULL, live_attempt, &l, NULL);
    journal_read(l.key, &s);
    expect_that(s.n == 3,
                "the server saw %d requests; a server that always answers "
                "503 must see max_retries + 1 = 3. The server saw:\n%s",
                s.n, s.timeline);
    expect_that(st == KIT_ERR_SERVER,
                "after the last 503 backoff_run must return KIT_ERR_SERVER, "
                "not '%s'",
                kit_strerror(st));
    live_clear(&l);
}

static void test_backoff_mock_does_not_retry_permanent_errors(void **state)
{
    static const struct {
        int http;
        kit_status status;
    } cases[] = {
        {400, KIT_ERR_BAD_REQUEST},
        {401, KIT_ERR_AUTH},
        {403, KIT_ERR_PERMISSION},
        {404, KIT_ERR_NOT_FOUND},
    };
    backoff_policy p = live_policy(3);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char script_json[128];
        live l;
        seen s;
        kit_status st;

        live_init(&l, "l1-perm", 2000);
        snprintf(script_json, sizeof(script_json),
                 "{\"steps\":[{\"status\":%d}],\"then\":\"repeat\"}",
                 cases[i].http);
        script_key(l.key, script_json);
        st = backoff_run(&p, NULL, live_attempt, &l, NULL);
        journal_read(l.key, &s);
        expect_that(s.n == 1,
                    "the server saw %d requests for an HTTP %d; a permanent "
                    "error must not be retried. The server saw:\n%s",
                    s.n, cases[i].http, s.timeline);
        expect_that(st == cases[i].status,
                    "after an HTTP %d backoff_run must return '%s', not "
                    "'%s'",
                    cases[i].http, kit_strerror(cases[i].status),
                    kit_strerror(st));
        live_clear(&l);
    }
}

static void test_backoff_mock_honours_retry_after(void **state)
{
    backoff_policy p = live_policy(3);
    live l;
    seen s;
    kit_status st;

    (void)state;
    live_init(&l, "l1-ra", 2000);
    script_key(l.key, "{\"steps\":[{\"status\":429,\"retry_after_ms\":150}],"
                      "\"then\":\"ok\"}");
    st = backoff_run(&p, NULL, live_attempt, &l, NULL);
    journal_read(l.key, &s);
    expect_that(st == KIT_OK && s.n == 2,
                "a 429 with retry-after-ms 150 then a 200: backoff_run "
                "returned '%s' after %d requests (want KIT_OK after 2). "
                "The server saw:\n%s",
                kit_strerror(st), s.n, s.timeline);
    if (s.n >= 2) {
        expect_that(!s.early[1],
                    "the retry arrived before the server's retry-after had "
                    "passed: wait info->retry_after_ms when the server "
                    "sends it. The server saw:\n%s",
                    s.timeline);
        expect_gap(&s, 1, 150, "the server asked for 150 ms (retry-after)");
    }
    live_clear(&l);
}

static void test_backoff_mock_retries_timeouts_resets_and_overload(void **state)
{
    backoff_policy p = live_policy(4);
    live l;
    seen s;
    kit_status st;

    (void)state;
    live_init(&l, "l1-net", 300);
    script_key(l.key, "{\"steps\":[{\"fault\":\"timeout\"},"
                      "{\"fault\":\"reset\"},{\"status\":529},"
                      "{\"status\":502}],\"then\":\"ok\"}");
    st = backoff_run(&p, NULL, live_attempt, &l, NULL);
    journal_read(l.key, &s);
    expect_that(st == KIT_OK && s.n == 5,
                "a timeout, a reset, a 529 and a 502 are all transient: "
                "the fifth request succeeds. backoff_run returned '%s' "
                "after %d requests. The server saw:\n%s",
                kit_strerror(st), s.n, s.timeline);
    live_clear(&l);
}

static void test_backoff_mock_gives_up_on_a_long_retry_after(void **state)
{
    backoff_policy p = live_policy(3);
    live l;
    seen s;
    kit_status st;

    (void)state;
    live_init(&l, "l1-longra", 2000);
    script_key(l.key, "{\"steps\":[{\"status\":429,\"retry_after\":30}],"
                      "\"then\":\"ok\"}");
    st = backoff_run(&p, NULL, live_attempt, &l, NULL);
    journal_read(l.key, &s);
    expect_that(s.n == 1 && st == KIT_ERR_RATE_LIMIT,
                "the server asked for 30 s, over the policy's 1 s "
                "max_retry_after_ms: give up at once with "
                "KIT_ERR_RATE_LIMIT. backoff_run returned '%s' after %d "
                "requests. The server saw:\n%s",
                kit_strerror(st), s.n, s.timeline);
    live_clear(&l);
}

/* ---- Extra A: full jitter ------------------------------------------------ */

static void test_backoff_extra_full_jitter_stays_within_the_cap(void **state)
{
    static const uint32_t randoms[] = {
        0, 1, 999, 1000, 65535, 0x7fffffffu, 0x80000000u, UINT32_MAX};
    backoff_policy p = test_policy(10);

    (void)state;
    p.jitter = BACKOFF_JITTER_FULL;
    for (int k = 0; k < 10; k++) {
        uint64_t cap = k < 6 ? 1000u << k : 60000;

        for (size_t i = 0; i < sizeof(randoms) / sizeof(randoms[0]); i++) {
            uint64_t got = backoff_delay_ms(&p, k, randoms[i]);

            expect_that(got <= cap,
                        "with full jitter retry %d must wait between 0 and "
                        "%" PRIu64 " ms; with random %" PRIu32
                        " it waited %" PRIu64 " ms",
                        k, cap, randoms[i], got);
        }
    }
}

static void test_backoff_extra_full_jitter_spreads_the_waits(void **state)
{
    backoff_policy p = test_policy(10);
    uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
    uint32_t x = 2463534242u;
    const int n = 2000;

    (void)state;
    p.jitter = BACKOFF_JITTER_FULL;
    for (int i = 0; i < n; i++) {
        uint64_t d;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        d = backoff_delay_ms(&p, 3, x); /* the capped delay is 8000 ms */
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        sum += d;
    }
    expect_that(lo < 2000 && hi > 6000 && hi <= 8000,
                "over %d random values, full jitter on an 8000 ms delay "
                "gave waits from %" PRIu64 " to %" PRIu64
                " ms; they must spread over [0, 8000]",
                n, lo, hi);
    expect_that(sum / (uint64_t)n > 3200 && sum / (uint64_t)n < 4800,
                "the average full-jitter wait on an 8000 ms delay was %" PRIu64
                " ms; a uniform draw from [0, 8000] averages about 4000",
                sum / (uint64_t)n);
}

static void test_backoff_extra_run_draws_jitter_from_the_clock(void **state)
{
    static const step steps[] = {{KIT_ERR_RATE_LIMIT, 429, 0}};
    static const uint64_t caps[] = {1000, 2000, 4000, 8000, 16000};
    backoff_policy p = test_policy(5);
    fake_clock fc;
    script s;
    kit_status st;
    bool all_capped = true;

    (void)state;
    p.jitter = BACKOFF_JITTER_FULL;
    fake_clock_init(&fc, 0, 1700000000);
    /* Every random number the clock hands out is this one (0.618 of the
     * range), so each wait must be backoff_delay_ms(p, k, it). */
    fc.fixed_random = true;
    fc.random_value = 0x9E3779B9u;
    script_init(&s, steps, 1, &fc);
    st = backoff_run(&p, &fc.clock, scripted_attempt, &s, NULL);
    expect_that(st == KIT_ERR_RATE_LIMIT && s.calls == 6 && fc.n_sleeps == 5,
                "with jitter on, an always-429 call with max_retries = 5 "
                "still makes 6 attempts and 5 waits; got '%s', %d attempts, "
                "%zu waits",
                kit_strerror(st), s.calls, fc.n_sleeps);
    for (size_t i = 0; i < 5 && i < fc.n_sleeps; i++) {
        uint64_t want = backoff_delay_ms(&p, (int)i, fc.random_value);

        expect_that(fc.sleeps[i] <= caps[i],
                    "jittered wait %zu was %" PRIu64 " ms, over its "
                    "capped delay of %" PRIu64 " ms",
                    i + 1, fc.sleeps[i], caps[i]);
        expect_that(fc.sleeps[i] == want,
                    "jittered wait %zu was %" PRIu64 " ms, but the clock's "
                    "random number gives backoff_delay_ms(p, %zu, random) = "
                    "%" PRIu64 " ms: pass kit_clock_random_u32(clock) as "
                    "random",
                    i + 1, fc.sleeps[i], i, want);
        all_capped = all_capped && fc.sleeps[i] == caps[i];
    }
    expect_that(!all_capped,
                "with jitter on, every wait equalled the plain schedule: "
                "draw the random number with kit_clock_random_u32(clock) "
                "and pass it to backoff_delay_ms");
    fake_clock_destroy(&fc);
}

/* ---- Extra B: the circuit breaker --------------------------------------- */

static breaker *new_breaker(fake_clock *fc, int threshold, uint64_t open_ms)
{
    breaker_config cfg = {.failure_threshold = threshold, .open_ms = open_ms};
    breaker *b = NULL;
    kit_status st = breaker_create(&cfg, &fc->clock, &b);

    expect_that(st == KIT_OK && b != NULL,
                "breaker_create returned '%s'; it must create a closed "
                "breaker",
                kit_strerror(st));
    return b;
}

/* Opens b with threshold failures, checking each was allowed. */
static void trip_breaker(breaker *b, int threshold)
{
    for (int i = 0; i < threshold; i++) {
        kit_status st = breaker_allow(b);

        expect_that(st == KIT_OK,
                    "a closed breaker refused attempt %d with '%s'; it must "
                    "let calls through until %d failures in a row",
                    i + 1, kit_strerror(st), threshold);
        breaker_record(b, KIT_ERR_SERVER);
    }
}

static void test_breaker_extra_opens_after_threshold_failures(void **state)
{
    fake_clock fc;
    breaker *b;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    b = new_breaker(&fc, 3, 5000);
    expect_that(breaker_get_state(b) == BREAKER_CLOSED,
                "a new breaker must be closed, not %s",
                breaker_state_name(breaker_get_state(b)));
    trip_breaker(b, 3);
    expect_that(breaker_get_state(b) == BREAKER_OPEN,
                "after 3 failures in a row with failure_threshold 3 the "
                "breaker must be open, not %s",
                breaker_state_name(breaker_get_state(b)));
    st = breaker_allow(b);
    expect_that(st == KIT_ERR_CIRCUIT_OPEN,
                "an open breaker must refuse with KIT_ERR_CIRCUIT_OPEN; "
                "breaker_allow returned '%s'",
                kit_strerror(st));
    breaker_destroy(b);
    fake_clock_destroy(&fc);
}

static void test_breaker_extra_success_resets_the_failure_count(void **state)
{
    fake_clock fc;
    breaker *b;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    b = new_breaker(&fc, 3, 5000);
    trip_breaker(b, 2);
    expect_that(breaker_allow(b) == KIT_OK,
                "after 2 failures (threshold 3) the breaker must still "
                "let a call through");
    breaker_record(b, KIT_OK);
    trip_breaker(b, 2);
    expect_that(breaker_get_state(b) == BREAKER_CLOSED,
                "2 failures, a success, 2 failures: the failures must be "
                "consecutive to open the breaker, so it must be closed, "
                "not %s",
                breaker_state_name(breaker_get_state(b)));
    breaker_destroy(b);
    fake_clock_destroy(&fc);
}

static void
test_breaker_extra_lets_one_probe_through_after_open_period(void **state)
{
    fake_clock fc;
    breaker *b;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    b = new_breaker(&fc, 2, 5000);
    trip_breaker(b, 2);
    fake_clock_advance(&fc, 4999);
    st = breaker_allow(b);
    expect_that(st == KIT_ERR_CIRCUIT_OPEN,
                "4999 ms into a 5000 ms open period the breaker must still "
                "refuse; breaker_allow returned '%s'",
                kit_strerror(st));
    fake_clock_advance(&fc, 1);
    st = breaker_allow(b);
    expect_that(st == KIT_OK,
                "once open_ms (5000 ms) have passed on the clock, one probe "
                "must be let through; breaker_allow returned '%s'",
                kit_strerror(st));
    expect_that(breaker_get_state(b) == BREAKER_HALF_OPEN,
                "while the probe is out the breaker must be half-open, not "
                "%s",
                breaker_state_name(breaker_get_state(b)));
    st = breaker_allow(b);
    expect_that(st == KIT_ERR_CIRCUIT_OPEN,
                "a half-open breaker lets ONE probe through; a second "
                "breaker_allow returned '%s' instead of "
                "KIT_ERR_CIRCUIT_OPEN",
                kit_strerror(st));
    breaker_destroy(b);
    fake_clock_destroy(&fc);
}

static void test_breaker_extra_probe_success_closes(void **state)
{
    fake_clock fc;
    breaker *b;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    b = new_breaker(&fc, 2, 5000);
    trip_breaker(b, 2);
    fake_clock_advance(&fc, 5000);
    expect_that(breaker_allow(b) == KIT_OK, "the probe must be let through");
    breaker_record(b, KIT_OK);
    expect_that(breaker_get_state(b) == BREAKER_CLOSED,
                "a successful probe must close the breaker; it is %s",
                breaker_state_name(breaker_get_state(b)));
    for (int i = 0; i < 3; i++)
        expect_that(breaker_allow(b) == KIT_OK,
                    "a closed breaker must let every call through");
    breaker_destroy(b);
    fake_clock_destroy(&fc);
}

static void test_breaker_extra_probe_failure_reopens(void **state)
{
    fake_clock fc;
    breaker *b;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    b = new_breaker(&fc, 2, 5000);
    trip_breaker(b, 2);
    fake_clock_advance(&fc, 6000);
    expect_that(breaker_allow(b) == KIT_OK, "the probe must be let through");
    breaker_record(b, KIT_ERR_TIMEOUT);
    expect_that(breaker_get_state(b) == BREAKER_OPEN,
                "a failed probe must open the breaker again; it is %s",
                breaker_state_name(breaker_get_state(b)));
    fake_clock_advance(&fc, 4999);
    st = breaker_allow(b);
    expect_that(st == KIT_ERR_CIRCUIT_OPEN,
                "after a failed probe the breaker stays open for a full "
                "open_ms from the failure; 4999 ms later breaker_allow "
                "returned '%s'",
                kit_strerror(st));
    fake_clock_advance(&fc, 1);
    expect_that(breaker_allow(b) == KIT_OK,
                "5000 ms after the failed probe the next probe must be let "
                "through");
    breaker_destroy(b);
    fake_clock_destroy(&fc);
}

static void test_breaker_extra_permanent_errors_do_not_trip(void **state)
{
    fake_clock fc;
    breaker *b;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    b = new_breaker(&fc, 2, 5000);
    for (int i = 0; i < 5; i++) {
        expect_that(breaker_allow(b) == KIT_OK,
                    "a breaker that has seen only 401s must stay closed");
        breaker_record(b, KIT_ERR_AUTH);
    }
    expect_that(breaker_get_state(b) == BREAKER_CLOSED,
                "five 401s opened the breaker; a 401 means the provider is "
                "up and judged our key, so it is not a failure of the "
                "provider (count only transient errors)");
    breaker_destroy(b);
    fake_clock_destroy(&fc);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_classifies_transient_and_permanent),
        cmocka_unit_test(test_backoff_delay_doubles_from_initial_delay),
        cmocka_unit_test(test_backoff_delay_caps_at_max_delay),
        cmocka_unit_test(test_backoff_delay_survives_huge_retry_index),
        cmocka_unit_test(test_backoff_delay_follows_the_multiplier),
        cmocka_unit_test(test_backoff_delay_without_jitter_ignores_random),
        cmocka_unit_test(
            test_backoff_run_returns_first_success_without_waiting),
        cmocka_unit_test(test_backoff_run_doubles_the_wait_between_retries),
        cmocka_unit_test(test_backoff_run_makes_max_retries_plus_one_attempts),
        cmocka_unit_test(test_backoff_run_zero_retries_means_one_attempt),
        cmocka_unit_test(test_backoff_run_caps_the_wait),
        cmocka_unit_test(test_backoff_run_retries_transport_failures),
        cmocka_unit_test(test_backoff_run_permanent_error_returns_at_once),
        cmocka_unit_test(test_backoff_run_honours_retry_after),
        cmocka_unit_test(
            test_backoff_run_gives_up_when_retry_after_exceeds_bound),
        cmocka_unit_test(
            test_backoff_run_reports_every_attempt_to_the_observer),
        cmocka_unit_test(test_backoff_run_tells_the_observer_why_it_stopped),
        cmocka_unit_test(test_backoff_run_rejects_an_invalid_policy),
        cmocka_unit_test_setup_teardown(
            test_backoff_mock_retries_429_until_success, mock_up, NULL),
        cmocka_unit_test_setup_teardown(
            test_backoff_mock_gives_up_after_max_retries, mock_up, NULL),
        cmocka_unit_test_setup_teardown(
            test_backoff_mock_does_not_retry_permanent_errors, mock_up, NULL),
        cmocka_unit_test_setup_teardown(test_backoff_mock_honours_retry_after,
                                        mock_up, NULL),
        cmocka_unit_test_setup_teardown(
            test_backoff_mock_retries_timeouts_resets_and_overload, mock_up,
            NULL),
        cmocka_unit_test_setup_teardown(
            test_backoff_mock_gives_up_on_a_long_retry_after, mock_up, NULL),
        cmocka_unit_test(test_backoff_extra_full_jitter_stays_within_the_cap),
        cmocka_unit_test(test_backoff_extra_full_jitter_spreads_the_waits),
        cmocka_unit_test(test_backoff_extra_run_draws_jitter_from_the_clock),
        cmocka_unit_test(test_breaker_extra_opens_after_threshold_failures),
        cmocka_unit_test(test_breaker_extra_success_resets_the_failure_count),
        cmocka_unit_test(
            test_breaker_extra_lets_one_probe_through_after_open_period),
        cmocka_unit_test(test_breaker_extra_probe_success_closes),
        cmocka_unit_test(test_breaker_extra_probe_failure_reopens),
        cmocka_unit_test(test_breaker_extra_permanent_errors_do_not_trip),
    };

    return HARNESS_MAIN("lab01", tests, NULL, stop_mock);
}
