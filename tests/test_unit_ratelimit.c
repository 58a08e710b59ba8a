/*
 * White-box tests of mockserver/ratelimit.c: the token buckets and the
 * providers' rate-limit headers. No server and no real clock: every test
 * feeds now_ms itself and asserts the exact figures a client would see.
 */
#include "harness.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../mockserver/ratelimit.h"

/* 2026-11-30T03:04:05Z, a wall clock for the header tests. */
#define WALL_NOW_S 1796007845.0

/* ---- helpers ---------------------------------------------------------- */

static rl_table *table_with(double scale, const char *key, uint32_t rpm,
                            uint32_t tpm)
{
    rl_table *t = rl_table_create(scale);
    rl_limits l = {.rpm = rpm, .tpm = tpm};

    assert_non_null(t);
    if (key)
        rl_table_set(t, key, &l);
    return t;
}

/* Admits n requests of `tokens` at now_ms and expects every one to fit. */
static void admit_n(rl_table *t, const char *key, int n, uint32_t tokens,
                    double now_ms)
{
    rl_decision d;

    for (int i = 1; i <= n; i++) {
        rl_table_admit(t, key, tokens, now_ms, &d);
        expect_that(d.active && !d.limited,
                    "request %d of %d for key %s at t=%.0f ms should fit; "
                    "it was %s",
                    i, n, key, now_ms, d.active ? "limited" : "unlimited");
    }
}

/* The headers one rl_headers call produced, in order. */
struct headers {
    int n;
    char name[16][64];
    char value[16][64];
};

static void collect(void *ctx, const char *name, const char *value)
{
    struct headers *h = ctx;

    assert_true(h->n < 16);
    snprintf(h->name[h->n], sizeof(h->name[0]), "%s", name);
    snprintf(h->value[h->n], sizeof(h->value[0]), "%s", value);
    h->n++;
}

static const char *header(const struct headers *h, const char *name)
{
    for (int i = 0; i < h->n; i++) {
        if (strcmp(h->name[i], name) == 0)
            return h->value[i];
    }
    return NULL;
}

static void expect_header(const struct headers *h, const char *name,
                          const char *want)
{
    const char *got = header(h, name);

    expect_that(got != NULL, "expected the header %s: %s; it is missing", name,
                want);
    expect_that(strcmp(got, want) == 0, "expected the header %s: %s; got %s",
                name, want, got);
}

/* ---- tiers and tables ------------------------------------------------- */

static void test_tier_lookup_knows_every_course_tier(void **state)
{
    static const struct {
        const char *name;
        uint32_t rpm, tpm;
    } want[] = {
        {"anthropic-free", 5, 10000},      {"anthropic-tier1", 50, 40000},
        {"anthropic-tier2", 1000, 400000}, {"openai-free", 3, 40000},
        {"openai-tier1", 500, 200000},     {"openai-tier2", 5000, 2000000},
    };
    rl_limits l;

    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        expect_that(rl_tier_lookup(want[i].name, &l),
                    "the tier %s should be known", want[i].name);
        expect_that(l.rpm == want[i].rpm && l.tpm == want[i].tpm,
                    "the tier %s should be %u RPM / %u TPM; got %u / %u",
                    want[i].name, want[i].rpm, want[i].tpm, l.rpm, l.tpm);
    }
    expect_that(!rl_tier_lookup("anthropic-tier3", &l),
                "anthropic-tier3 is not a course tier and must not be found");
    expect_that(!rl_tier_lookup(NULL, &l), "a NULL tier name must not match");
    expect_that(rl_tier_lookup("openai-free", NULL),
                "a lookup with no out-parameter should still say found");
}

static void test_create_rejects_a_time_scale_out_of_range(void **state)
{
    const double bad[] = {0.0, -0.5, 1.5, NAN, INFINITY};
    rl_table *t;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = rl_table_create(bad[i]);
        expect_that(t == NULL, "a time scale of %g must be refused", bad[i]);
        rl_table_destroy(t);
    }
    t = rl_table_create(1.0);
    expect_that(t != NULL, "a time scale of 1 (real time) must be accepted");
    rl_table_destroy(t);
    t = rl_table_create(0.001);
    expect_that(t != NULL, "a time scale of 0.001 must be accepted");
    rl_table_destroy(t);
    rl_table_destroy(NULL); /* must be a no-op */
}

static void test_key_without_limits_is_inactive(void **state)
{
    rl_table *t = table_with(1.0, NULL, 0, 0);
    rl_decision d;

    (void)state;
    memset(&d, 0xff, sizeof(d));
    rl_table_admit(t, "k", 1000000, 0, &d);
    expect_that(!d.active && !d.limited && d.retry_after_ms == 0 &&
                    d.limits.rpm == 0 && d.requests_remaining == 0,
                "a key with no limits must get an inactive, zeroed "
                "decision");
    rl_table_destroy(t);
}

/* ---- the requests bucket ---------------------------------------------- */

static void test_anthropic_free_admits_five_then_limits_the_sixth(void **state)
{
    rl_limits free_tier;
    rl_table *t = table_with(1.0, NULL, 0, 0);
    rl_decision d;

    (void)state;
    assert_true(rl_tier_lookup("anthropic-free", &free_tier));
    rl_table_set(t, "k", &free_tier);
    for (uint32_t i = 1; i <= 5; i++) {
        rl_table_admit(t, "k", 100, 0, &d);
        expect_that(!d.limited, "request %u of 5 should fit the free tier", i);
        expect_that(d.requests_remaining == 5 - i,
                    "after request %u, %u requests should remain; got %u", i,
                    5 - i, d.requests_remaining);
        expect_that(d.tokens_remaining == 10000 - 100 * i,
                    "after request %u, %u tokens should remain; got %u", i,
                    10000 - 100 * i, d.tokens_remaining);
    }
    rl_table_admit(t, "k", 100, 0, &d);
    expect_that(d.limited, "the 6th request in the same instant must be "
                           "limited at the anthropic-free tier");
    expect_that(d.retry_after_ms == 12000,
                "one request refills every 60 s / 5 = 12000 ms; "
                "retry_after_ms was %llu",
                (unsigned long long)d.retry_after_ms);
    expect_that(d.requests_reset_ms == 60000,
                "an empty 5 RPM bucket is full again after 60000 ms; "
                "requests_reset_ms was %llu",
                (unsigned long long)d.requests_reset_ms);
    expect_that(d.tokens_remaining == 9500,
                "a limited request must not be charged: 9500 tokens should "
                "remain; got %u",
                d.tokens_remaining);
    rl_table_destroy(t);
}

static void test_requests_refill_continuously(void **state)
{
    rl_table *t = table_with(1.0, "k", 5, 0);
    rl_decision d;

    (void)state;
    admit_n(t, "k", 5, 0, 0);
    rl_table_admit(t, "k", 0, 11999, &d);
    expect_that(d.limited && d.retry_after_ms == 1,
                "1 ms before the refill, the wait should be 1 ms; got %s "
                "with %llu ms",
                d.limited ? "limited" : "admitted",
                (unsigned long long)d.retry_after_ms);
    rl_table_admit(t, "k", 0, 12000, &d);
    expect_that(!d.limited && d.requests_remaining == 0,
                "12000 ms after the bucket emptied one request should fit "
                "(and leave 0); got %s with %u left",
                d.limited ? "limited" : "admitted", d.requests_remaining);
    rl_table_admit(t, "k", 0, 18000, &d);
    expect_that(d.limited && d.retry_after_ms == 6000,
                "half-way to the next refill the wait should be 6000 ms; "
                "got %llu",
                (unsigned long long)d.retry_after_ms);
    rl_table_admit(t, "k", 0, 1e9, &d);
    expect_that(!d.limited && d.requests_remaining == 4,
                "long after, the bucket is full (capped at 5): 4 should "
                "remain after one more; got %u",
                d.requests_remaining);
    rl_table_destroy(t);
}

static void test_time_scale_shrinks_windows_and_waits(void **state)
{
    rl_table *t = table_with(0.01, "k", 5, 10000);
    rl_decision d;

    (void)state;
    admit_n(t, "k", 5, 1000, 0);
    rl_table_admit(t, "k", 1000, 0, &d);
    expect_that(d.limited && d.retry_after_ms == 120,
                "at scale 0.01 one request refills in 120 ms; the 6th "
                "request was %s with retry_after_ms %llu",
                d.limited ? "limited" : "admitted",
                (unsigned long long)d.retry_after_ms);
    expect_that(d.requests_reset_ms == 600 && d.tokens_reset_ms == 300,
                "at scale 0.01 the requests bucket is full in 600 ms and "
                "the half-empty tokens bucket in 300 ms; got %llu and %llu",
                (unsigned long long)d.requests_reset_ms,
                (unsigned long long)d.tokens_reset_ms);
    rl_table_admit(t, "k", 1000, 120, &d);
    expect_that(!d.limited, "120 ms later (scale 0.01) a request must fit");
    rl_table_destroy(t);
}

static void test_waits_round_up_and_remaining_rounds_down(void **state)
{
    /* 7 RPM refills a request every 60000 / 7 = 8571.43 ms. */
    rl_table *t = table_with(1.0, "k", 7, 0);
    rl_decision d;

    (void)state;
    admit_n(t, "k", 7, 0, 0);
    rl_table_admit(t, "k", 0, 0, &d);
    expect_that(d.limited && d.retry_after_ms == 8572,
                "8571.43 ms must round up to 8572, so a client that waits "
                "it is never early; got %llu",
                (unsigned long long)d.retry_after_ms);
    rl_table_admit(t, "k", 0, 8572, &d);
    expect_that(!d.limited && d.requests_remaining == 0,
                "a request 8572 ms later should fit, leaving 0 (0.0001 of "
                "a request rounds down); got %u",
                d.requests_remaining);
    expect_that(d.requests_reset_ms == 60000,
                "the bucket now holds a hair over 0 requests, so it is full "
                "in just under 60000 ms, rounded up to 60000; got %llu",
                (unsigned long long)d.requests_reset_ms);
    rl_table_destroy(t);
}

/* ---- the tokens bucket ------------------------------------------------ */

static void test_tokens_bucket_limits_and_reports_the_wait(void **state)
{
    rl_table *t = table_with(1.0, "k", 0, 10000);
    rl_decision d;

    (void)state;
    rl_table_admit(t, "k", 6000, 0, &d);
    expect_that(!d.limited && d.tokens_remaining == 4000 &&
                    d.tokens_reset_ms == 36000,
                "6000 of 10000 TPM should leave 4000, full in 36000 ms; got "
                "%u, %llu ms",
                d.tokens_remaining, (unsigned long long)d.tokens_reset_ms);
    expect_that(d.requests_remaining == 0 && d.requests_reset_ms == 0,
                "with no RPM limit the request figures should be 0");
    rl_table_admit(t, "k", 6000, 0, &d);
    expect_that(d.limited && d.retry_after_ms == 12000,
                "2000 missing tokens at 10000 TPM take 12000 ms; got %s "
                "with %llu ms",
                d.limited ? "limited" : "admitted",
                (unsigned long long)d.retry_after_ms);
    expect_that(d.tokens_remaining == 4000,
                "the refused request must not be charged; %u tokens left",
                d.tokens_remaining);
    rl_table_admit(t, "k", 4000, 0, &d);
    expect_that(!d.limited && d.tokens_remaining == 0,
                "exactly the 4000 remaining tokens should fit");
    rl_table_destroy(t);
}

static void test_a_refused_request_charges_neither_bucket(void **state)
{
    rl_table *t = table_with(1.0, "k", 2, 100);
    rl_decision d;

    (void)state;
    admit_n(t, "k", 1, 80, 0);
    rl_table_admit(t, "k", 50, 0, &d);
    expect_that(d.limited, "50 tokens with 20 left must be limited");
    expect_that(d.requests_remaining == 1 && d.tokens_remaining == 20,
                "the refused request must charge nothing: 1 request and 20 "
                "tokens should remain; got %u and %u",
                d.requests_remaining, d.tokens_remaining);
    rl_table_admit(t, "k", 20, 0, &d);
    expect_that(!d.limited && d.requests_remaining == 0,
                "the request slot the refused one did not use should fit "
                "20 tokens");
    rl_table_destroy(t);
}

static void test_the_wait_is_the_longer_of_both_buckets(void **state)
{
    /* 6 RPM refills a request every 10 s; 600 TPM refills 10 tokens/s. */
    rl_table *t = table_with(1.0, "k", 6, 600);
    rl_decision d;

    (void)state;
    admit_n(t, "k", 1, 300, 0);
    admit_n(t, "k", 5, 0, 0);
    rl_table_admit(t, "k", 0, 0, &d);
    expect_that(d.limited && d.retry_after_ms == 10000,
                "with no requests left and tokens to spare the wait is the "
                "requests bucket's 10000 ms; got %llu",
                (unsigned long long)d.retry_after_ms);
    rl_table_admit(t, "k", 600, 0, &d);
    expect_that(d.limited && d.retry_after_ms == 30000,
                "needing 300 more tokens (30000 ms) and a request (10000 "
                "ms), the wait is 30000 ms; got %llu",
                (unsigned long long)d.retry_after_ms);
    rl_table_destroy(t);
}

static void test_a_request_larger_than_the_tpm_never_fits(void **state)
{
    rl_table *t = table_with(1.0, "k", 0, 100);
    rl_decision d;

    (void)state;
    rl_table_admit(t, "k", 150, 0, &d);
    expect_that(d.limited && d.retry_after_ms == 1,
                "150 tokens can never fit 100 TPM: limited, with the "
                "smallest wait (1 ms) when the bucket is already full; got "
                "%s with %llu ms",
                d.limited ? "limited" : "admitted",
                (unsigned long long)d.retry_after_ms);
    admit_n(t, "k", 1, 50, 0);
    rl_table_admit(t, "k", 150, 0, &d);
    expect_that(d.limited && d.retry_after_ms == 30000,
                "with the bucket half empty the wait is until it is full "
                "(30000 ms); got %llu",
                (unsigned long long)d.retry_after_ms);
    rl_table_destroy(t);
}

static void test_a_clock_stepping_back_adds_nothing(void **state)
{
    rl_table *t = table_with(1.0, "k", 1, 0);
    rl_decision d;

    (void)state;
    admit_n(t, "k", 1, 0, 50000);
    rl_table_admit(t, "k", 0, 1000, &d);
    expect_that(d.limited && d.retry_after_ms == 60000,
                "a time before the last one must count as no time passing; "
                "retry_after_ms was %llu",
                (unsigned long long)d.retry_after_ms);
    rl_table_destroy(t);
}

/* ---- keys, "*", set/remove/clear -------------------------------------- */

static void test_star_limits_every_key_with_buckets_of_its_own(void **state)
{
    rl_table *t = table_with(1.0, "*", 1, 0);
    rl_limits vip = {.rpm = 3, .tpm = 0};
    rl_decision d;

    (void)state;
    rl_table_set(t, "vip", &vip);
    admit_n(t, "a", 1, 0, 0);
    rl_table_admit(t, "a", 0, 0, &d);
    expect_that(d.limited && d.limits.rpm == 1,
                "key a's second request must be limited by \"*\" (1 RPM)");
    admit_n(t, "b", 1, 0, 0); /* b has its own bucket */
    admit_n(t, "vip", 3, 0, 0);
    rl_table_admit(t, "vip", 0, 0, &d);
    expect_that(d.limited && d.limits.rpm == 3,
                "vip's own limit (3 RPM) must replace \"*\"");
    rl_table_destroy(t);
}

static void test_zero_limits_exempt_a_key_from_star(void **state)
{
    rl_table *t = table_with(1.0, "*", 1, 100);
    rl_limits none = {0, 0};
    rl_decision d;

    (void)state;
    rl_table_set(t, "free-pass", &none);
    rl_table_admit(t, "free-pass", 1000, 0, &d);
    expect_that(!d.active, "a key with its own {0,0} limits is unlimited, "
                           "whatever \"*\" says");
    rl_table_destroy(t);
}

static void test_remove_falls_back_to_star_with_full_buckets(void **state)
{
    rl_table *t = table_with(1.0, "*", 5, 0);
    rl_limits one = {.rpm = 1, .tpm = 0};
    rl_decision d;

    (void)state;
    rl_table_set(t, "k", &one);
    admit_n(t, "k", 1, 0, 0);
    expect_that(rl_table_remove(t, "k"),
                "removing a key with limits of its own should say so");
    rl_table_admit(t, "k", 0, 0, &d);
    expect_that(!d.limited && d.limits.rpm == 5 && d.requests_remaining == 4,
                "after DELETE the key gets \"*\" (5 RPM) with a full bucket: "
                "4 left; got rpm %u, %u left",
                d.limits.rpm, d.requests_remaining);
    expect_that(!rl_table_remove(t, "k"),
                "a key governed by \"*\" has no limits of its own to remove");
    expect_that(rl_table_remove(t, "*"), "removing \"*\" should say so");
    rl_table_admit(t, "k", 0, 0, &d);
    expect_that(!d.active, "with \"*\" gone the key is unlimited");
    expect_that(!rl_table_remove(t, "*"), "\"*\" is already gone");
    rl_table_destroy(t);
}

static void test_setting_limits_again_refills_the_buckets(void **state)
{
    rl_table *t = table_with(1.0, "k", 1, 0);
    rl_limits one = {.rpm = 1, .tpm = 0};
    rl_decision d;

    (void)state;
    admit_n(t, "k", 1, 0, 0);
    rl_table_set(t, "k", &one);
    rl_table_admit(t, "k", 0, 0, &d);
    expect_that(!d.limited, "setting limits (even the same) must start the "
                            "key with full buckets");
    rl_table_set(t, "*", &one);
    admit_n(t, "other", 1, 0, 0);
    rl_table_set(t, "*", &one);
    admit_n(t, "other", 1, 0, 0);
    rl_table_destroy(t);
}

static void test_clear_forgets_every_limit(void **state)
{
    rl_table *t = table_with(1.0, "*", 1, 0);
    rl_limits one = {.rpm = 1, .tpm = 0};
    rl_decision d;

    (void)state;
    rl_table_set(t, "k", &one);
    rl_table_clear(t);
    rl_table_admit(t, "k", 0, 0, &d);
    expect_that(!d.active, "after clear no key has limits");
    rl_table_admit(t, "other", 0, 0, &d);
    expect_that(!d.active, "after clear \"*\" has no limits either");
    rl_table_destroy(t);
}

static void
test_least_recently_used_keys_are_forgotten_past_the_cap(void **state)
{
    rl_table *t = table_with(1.0, "*", 1, 0);
    rl_limits one = {.rpm = 1, .tpm = 0};
    rl_decision d;
    char key[32];

    (void)state;
    rl_table_set(t, "vip", &one);
    admit_n(t, "vip", 1, 0, 0);
    admit_n(t, "cold", 1, 0, 0);
    admit_n(t, "hot", 1, 0, 0);
    for (int i = 0; i < RL_MAX_KEYS - 2; i++) {
        snprintf(key, sizeof(key), "filler-%d", i);
        admit_n(t, key, 1, 0, 0);
    }
    rl_table_admit(t, "hot", 0, 0, &d); /* touch: now most recent */
    admit_n(t, "one-too-many", 1, 0, 0);

    rl_table_admit(t, "hot", 0, 0, &d);
    expect_that(d.limited, "a recently used key must keep its empty bucket");
    rl_table_admit(t, "vip", 0, 0, &d);
    expect_that(d.limited, "a key with limits of its own must not be "
                           "evicted by other keys' traffic");
    rl_table_admit(t, "cold", 0, 0, &d);
    expect_that(!d.limited,
                "the least recently used key must have been forgotten "
                "(full bucket again) once %d more keys arrived",
                RL_MAX_KEYS);
    rl_table_destroy(t);
}

/* ---- thread safety ---------------------------------------------------- */

struct race {
    rl_table *t;
    int admitted;
};

static void *hammer(void *arg)
{
    struct race *r = arg;
    rl_decision d;

    for (int i = 0; i < 500; i++) {
        rl_table_admit(r->t, "shared", 1, 0, &d);
        if (!d.limited)
            r->admitted++;
    }
    return NULL;
}

static void test_concurrent_admits_never_overspend(void **state)
{
    rl_table *t = table_with(1.0, "shared", 1000, 0);
    struct race r[4];
    pthread_t th[4];
    int total = 0;

    (void)state;
    for (int i = 0; i < 4; i++) {
        r[i] = (struct race){t, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += r[i].admitted;
    }
    expect_that(total == 1000,
                "4 threads x 500 requests in one instant at 1000 RPM must "
                "admit exactly 1000; admitted %d",
                total);
    rl_table_destroy(t);
}

/* ---- headers ---------------------------------------------------------- */

static void test_anthropic_headers_give_rfc3339_resets(void **state)
{
    rl_table *t = table_with(1.0, "k", 5, 10000);
    rl_decision d;
    struct headers h = {0};

    (void)state;
    rl_table_admit(t, "k", 6000, 0, &d);
    rl_headers(&d, RL_STYLE_ANTHROPIC, WALL_NOW_S + 0.25, collect, &h);
    expect_that(h.n == 6,
                "an admitted request gets six anthropic-ratelimit headers "
                "and no retry-after; got %d headers",
                h.n);
    expect_header(&h, "anthropic-ratelimit-requests-limit", "5");
    expect_header(&h, "anthropic-ratelimit-requests-remaining", "4");
    /* 12 s to refill one request, from 03:04:05.25, rounded up. */
    expect_header(&h, "anthropic-ratelimit-requests-reset",
                  "2026-11-30T03:04:18Z");
    expect_header(&h, "anthropic-ratelimit-tokens-limit", "10000");
    expect_header(&h, "anthropic-ratelimit-tokens-remaining", "4000");
    expect_header(&h, "anthropic-ratelimit-tokens-reset",
                  "2026-11-30T03:04:42Z");
    expect_that(header(&h, "retry-after") == NULL,
                "an admitted request must not carry retry-after");
    rl_table_destroy(t);
}

static void test_a_limited_anthropic_request_gets_retry_after(void **state)
{
    rl_table *t = table_with(0.01, "k", 5, 0);
    rl_decision d;
    struct headers h = {0};

    (void)state;
    admit_n(t, "k", 5, 0, 0);
    rl_table_admit(t, "k", 0, 0, &d);
    rl_headers(&d, RL_STYLE_ANTHROPIC, WALL_NOW_S, collect, &h);
    expect_header(&h, "retry-after", "1"); /* 120 ms rounds up to 1 s */
    expect_header(&h, "retry-after-ms", "120");
    expect_header(&h, "anthropic-ratelimit-requests-remaining", "0");
    expect_header(&h, "anthropic-ratelimit-requests-reset",
                  "2026-11-30T03:04:06Z");
    expect_that(header(&h, "anthropic-ratelimit-tokens-limit") == NULL,
                "with no TPM limit the tokens headers must be left out");
    rl_table_destroy(t);
}

static void test_openai_headers_give_duration_resets(void **state)
{
    rl_table *t = table_with(1.0, "k", 3, 40000);
    rl_decision d;
    struct headers h = {0};

    (void)state;
    admit_n(t, "k", 2, 1000, 0);
    rl_table_admit(t, "k", 30000, 0, &d);
    rl_headers(&d, RL_STYLE_OPENAI, WALL_NOW_S, collect, &h);
    expect_header(&h, "x-ratelimit-limit-requests", "3");
    expect_header(&h, "x-ratelimit-remaining-requests", "0");
    expect_header(&h, "x-ratelimit-reset-requests", "1m0s");
    expect_header(&h, "x-ratelimit-limit-tokens", "40000");
    expect_header(&h, "x-ratelimit-remaining-tokens", "8000");
    expect_header(&h, "x-ratelimit-reset-tokens", "48s");
    rl_table_admit(t, "k", 0, 0, &d);
    memset(&h, 0, sizeof(h));
    rl_headers(&d, RL_STYLE_OPENAI, WALL_NOW_S, collect, &h);
    expect_header(&h, "retry-after", "20");
    expect_header(&h, "retry-after-ms", "20000");
    rl_table_destroy(t);
}

static void test_durations_read_like_the_openai_headers(void **state)
{
    static const struct {
        uint64_t ms;
        const char *want;
    } cases[] = {
        {0, "0s"},        {1, "1ms"},          {120, "120ms"},
        {999, "999ms"},   {1000, "1s"},        {1500, "1.5s"},
        {1020, "1.02s"},  {60000, "1m0s"},     {61001, "1m1.001s"},
        {360000, "6m0s"}, {3600000, "1h0m0s"}, {3723400, "1h2m3.4s"},
    };
    char buf[32];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rl_format_duration(cases[i].ms, buf, sizeof(buf));
        expect_that(strcmp(buf, cases[i].want) == 0,
                    "%llu ms should read %s; got %s",
                    (unsigned long long)cases[i].ms, cases[i].want, buf);
    }
    rl_format_duration(3723400, buf, 4);
    expect_that(strlen(buf) == 3, "a short buffer must be cut and "
                                  "terminated");
}

static void test_gemini_gets_only_retry_after(void **state)
{
    rl_table *t = table_with(1.0, "k", 1, 100);
    rl_decision d;
    struct headers h = {0};

    (void)state;
    rl_table_admit(t, "k", 10, 0, &d);
    rl_headers(&d, RL_STYLE_GEMINI, WALL_NOW_S, collect, &h);
    expect_that(h.n == 0,
                "Gemini sends no rate-limit headers on success; got %d", h.n);
    rl_table_admit(t, "k", 10, 1500, &d);
    rl_headers(&d, RL_STYLE_GEMINI, WALL_NOW_S, collect, &h);
    expect_that(h.n == 1,
                "a limited Gemini request gets retry-after only; got %d "
                "headers",
                h.n);
    expect_header(&h, "retry-after", "59"); /* 58.5 s rounded up */
    rl_table_destroy(t);
}

static void test_an_inactive_decision_emits_nothing(void **state)
{
    rl_decision d = {0};
    struct headers h = {0};

    (void)state;
    d.limited = true; /* even so: no limit applies */
    rl_headers(&d, RL_STYLE_ANTHROPIC, WALL_NOW_S, collect, &h);
    rl_headers(&d, RL_STYLE_OPENAI, WALL_NOW_S, collect, &h);
    rl_headers(&d, RL_STYLE_GEMINI, WALL_NOW_S, collect, &h);
    expect_that(h.n == 0, "an inactive decision must emit no header; got %d",
                h.n);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tier_lookup_knows_every_course_tier),
        cmocka_unit_test(test_create_rejects_a_time_scale_out_of_range),
        cmocka_unit_test(test_key_without_limits_is_inactive),
        cmocka_unit_test(test_anthropic_free_admits_five_then_limits_the_sixth),
        cmocka_unit_test(test_requests_refill_continuously),
        cmocka_unit_test(test_time_scale_shrinks_windows_and_waits),
        cmocka_unit_test(test_waits_round_up_and_remaining_rounds_down),
        cmocka_unit_test(test_tokens_bucket_limits_and_reports_the_wait),
        cmocka_unit_test(test_a_refused_request_charges_neither_bucket),
        cmocka_unit_test(test_the_wait_is_the_longer_of_both_buckets),
        cmocka_unit_test(test_a_request_larger_than_the_tpm_never_fits),
        cmocka_unit_test(test_a_clock_stepping_back_adds_nothing),
        cmocka_unit_test(test_star_limits_every_key_with_buckets_of_its_own),
        cmocka_unit_test(test_zero_limits_exempt_a_key_from_star),
        cmocka_unit_test(test_remove_falls_back_to_star_with_full_buckets),
        cmocka_unit_test(test_setting_limits_again_refills_the_buckets),
        cmocka_unit_test(test_clear_forgets_every_limit),
        cmocka_unit_test(
            test_least_recently_used_keys_are_forgotten_past_the_cap),
        cmocka_unit_test(test_concurrent_admits_never_overspend),
        cmocka_unit_test(test_anthropic_headers_give_rfc3339_resets),
        cmocka_unit_test(test_a_limited_anthropic_request_gets_retry_after),
        cmocka_unit_test(test_openai_headers_give_duration_resets),
        cmocka_unit_test(test_durations_read_like_the_openai_headers),
        cmocka_unit_test(test_gemini_gets_only_retry_after),
        cmocka_unit_test(test_an_inactive_decision_emits_nothing),
    };

    return HARNESS_MAIN("unit: rate limits", tests, NULL, NULL);
}
