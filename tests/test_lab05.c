/*
 * Lab 5's graded tests: the daily budget. Every test runs on the fake
 * clock, so "tomorrow" is one fake_clock_advance away and every figure is
 * exact. The concurrency test uses real threads against one budget.
 */
#include "harness.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "fakes.h"

/* 2026-11-30T00:00:00Z and 09:00 the same day. */
#define MIDNIGHT_S 1795996800LL
#define NINE_AM_S  (MIDNIGHT_S + 9 * 3600)
#define HOUR_MS    (3600 * 1000ULL)

/* The chapter's model and call: a 400-byte prompt (100 tokens) and
 * max_tokens 1000 at claude-haiku-4.5's $1 / $5 per million tokens. */
#define MODEL      "claude-haiku-4.5"
#define EST_USD    0.0051 /* 100 in, 1000 out */
#define ACTUAL_USD 0.0031 /* 100 in, 600 out: what the reply really used */

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

/* One budget on a fake clock, with $limit for every environment. */
struct fixture {
    fake_clock fc;
    budget *b;
    char log_path[64];
};

static void start(struct fixture *fx, double limit, const char *log)
{
    budget_config cfg = {.daily_limit_usd = {limit, limit, limit}};
    kit_status st;

    memset(fx, 0, sizeof(*fx));
    fake_clock_init(&fx->fc, 0, NINE_AM_S);
    cfg.clock = &fx->fc.clock;
    cfg.usage_log = log;
    cfg.append_to_log = log != NULL;
    st = budget_create(&cfg, &fx->b);
    expect_that(st == KIT_OK && fx->b != NULL,
                "budget_create with a valid config returned \"%s\" and %s "
                "budget; it should return KIT_OK and the new budget",
                kit_strerror(st), fx->b ? "a" : "no");
}

static void stop(struct fixture *fx)
{
    budget_destroy(fx->b);
    fx->b = NULL;
    fake_clock_destroy(&fx->fc);
}

static budget_spending spending(budget *b, budget_env env)
{
    budget_spending s;
    kit_status st = budget_daily_spending(b, env, &s);

    expect_that(st == KIT_OK,
                "budget_daily_spending returned \"%s\"; it "
                "should return KIT_OK for a valid environment",
                kit_strerror(st));
    return s;
}

/* Reserves est and expects the call to be allowed. */
static budget_reservation reserve_ok(budget *b, budget_env env, double est,
                                     budget_notice *notice)
{
    budget_reservation res;
    kit_status st = budget_reserve(b, env, est, &res, notice);

    expect_that(st == KIT_OK,
                "budget_reserve of $%.4f in %s returned \"%s\" (message: "
                "\"%s\"); there was room for it, so it should return KIT_OK",
                est, budget_env_name(env), kit_strerror(st),
                notice ? notice->message : "");
    expect_that(res.active,
                "budget_reserve returned KIT_OK but left the "
                "reservation inactive; an allowed call holds its estimate");
    return res;
}

static void settle_ok(budget *b, budget_reservation *res, double actual)
{
    kit_status st = budget_settle(b, res, MODEL, actual);

    expect_that(st == KIT_OK,
                "budget_settle of $%.4f returned \"%s\"; it "
                "should return KIT_OK",
                actual, kit_strerror(st));
}

/* One whole call: reserve the estimate, settle the actual. */
static void call_ok(budget *b, budget_env env, double est, double actual)
{
    budget_reservation res = reserve_ok(b, env, est, NULL);

    settle_ok(b, &res, actual);
}

static void temp_log(char *path, size_t n)
{
    int fd;

    snprintf(path, n, "/tmp/lab05-usage-XXXXXX");
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

/* ---- Step 1: names and the estimate -------------------------------------- */

static void test_budget_estimates_from_prompt_bytes_and_max_tokens(void **state)
{
    double usd = -1;
    kit_status st;
    budget_env env = BUDGET_PROD;

    (void)state;
    st = budget_estimate_usd(MODEL, 400, 1000, &usd);
    expect_that(st == KIT_OK && near(usd, EST_USD),
                "the estimate of a 400-byte prompt with max_tokens 1000 on "
                "%s is $%.6f (status \"%s\"); it should be 100 tokens in "
                "and 1000 out: $%.6f",
                MODEL, usd, kit_strerror(st), EST_USD);
    st = budget_estimate_usd(MODEL, 401, 1000, &usd);
    expect_that(st == KIT_OK && near(usd, 0.005101),
                "the estimate of a 401-byte prompt is $%.6f; 401 bytes are "
                "ceil(401 / 4) = 101 tokens, so it should be $0.005101 "
                "(round up: no prompt is free)",
                usd);
    st = budget_estimate_usd("gpt-4o-mini", 4000, 500, &usd);
    expect_that(st == KIT_OK && near(usd, 0.00045),
                "the estimate of 4000 bytes and max_tokens 500 on "
                "gpt-4o-mini is $%.6f; at $0.15 / $0.60 per million it "
                "should be $0.000450",
                usd);
    usd = 42;
    st = budget_estimate_usd("no-such-model", 400, 1000, &usd);
    expect_that(st == KIT_ERR_INVALID_ARG && usd == 42,
                "the estimate for a model with no price returned \"%s\"; it "
                "should be KIT_ERR_INVALID_ARG, leaving the amount alone",
                kit_strerror(st));
    st = budget_estimate_usd(MODEL, 400, 0, &usd);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "the estimate with max_tokens 0 "
                "returned \"%s\"; it should be KIT_ERR_INVALID_ARG",
                kit_strerror(st));

    expect_that(strcmp(budget_env_name(BUDGET_DEV), "dev") == 0 &&
                    strcmp(budget_env_name(BUDGET_STAGING), "staging") == 0 &&
                    strcmp(budget_env_name(BUDGET_PROD), "prod") == 0,
                "budget_env_name should give \"dev\", \"staging\", \"prod\"; "
                "it gave \"%s\", \"%s\", \"%s\"",
                budget_env_name(BUDGET_DEV), budget_env_name(BUDGET_STAGING),
                budget_env_name(BUDGET_PROD));
    expect_that(budget_env_parse("staging", &env) && env == BUDGET_STAGING,
                "budget_env_parse(\"staging\") should give BUDGET_STAGING");
    expect_that(!budget_env_parse("qa", &env) && env == BUDGET_STAGING,
                "budget_env_parse(\"qa\") should return false and leave the "
                "environment alone");
}

/* ---- Step 3: reserve, settle, release ------------------------------------ */

static void test_budget_reserves_then_settles_to_the_actual_cost(void **state)
{
    struct fixture fx;
    budget_reservation res;
    budget_notice notice;
    budget_spending s;

    (void)state;
    start(&fx, 0.10, NULL);
    res = reserve_ok(fx.b, BUDGET_DEV, EST_USD, &notice);
    expect_that(!notice.warning && notice.message[0] == '\0',
                "the first call of the day on a $0.10 budget got a notice "
                "(\"%s\"); a call at 5%% of the budget needs none",
                notice.message);
    expect_that(near(res.estimate_usd, EST_USD) && res.env == BUDGET_DEV,
                "the reservation holds $%.4f in %s; it should hold the "
                "estimate $%.4f in dev",
                res.estimate_usd, budget_env_name(res.env), EST_USD);
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.in_flight_usd, EST_USD) && near(s.spent_usd, 0),
                "while the call is in flight the budget shows spent $%.4f "
                "and in flight $%.4f; it should show $0 spent and the "
                "estimate $%.4f in flight",
                s.spent_usd, s.in_flight_usd, EST_USD);
    expect_that(near(s.remaining_usd, 0.10 - EST_USD),
                "remaining is $%.4f while $%.4f is in flight on a $0.10 "
                "budget; it should be $%.4f",
                s.remaining_usd, EST_USD, 0.10 - EST_USD);

    settle_ok(fx.b, &res, ACTUAL_USD);
    expect_that(!res.active, "budget_settle should make the reservation "
                             "inactive");
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, ACTUAL_USD) && near(s.in_flight_usd, 0) &&
                    s.calls == 1,
                "after settling, spent is $%.4f, in flight $%.4f, calls %ld; "
                "the hold should be replaced by the actual $%.4f (in flight "
                "$0, 1 call)",
                s.spent_usd, s.in_flight_usd, s.calls, ACTUAL_USD);
    expect_that(budget_settle(fx.b, &res, MODEL, ACTUAL_USD) ==
                    KIT_ERR_INVALID_ARG,
                "settling the same reservation twice should return "
                "KIT_ERR_INVALID_ARG: the call was counted once already");

    res = reserve_ok(fx.b, BUDGET_DEV, EST_USD, NULL);
    expect_that(budget_release(fx.b, &res) == KIT_OK && !res.active,
                "budget_release of an active reservation should return "
                "KIT_OK and make it inactive");
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, ACTUAL_USD) && near(s.in_flight_usd, 0) &&
                    s.calls == 1,
                "after a released (failed) call spent is $%.4f, in flight "
                "$%.4f, calls %ld; a failed call costs nothing, so they "
                "should stay $%.4f, $0 and 1",
                s.spent_usd, s.in_flight_usd, s.calls, ACTUAL_USD);
    stop(&fx);
}

/* ---- Step 4: the warning ------------------------------------------------- */

static void test_budget_warns_once_at_80_percent(void **state)
{
    struct fixture fx;
    budget_notice notice;
    budget_reservation res;

    (void)state;
    start(&fx, 0.10, NULL);
    call_ok(fx.b, BUDGET_DEV, 0.07, 0.07);
    res = reserve_ok(fx.b, BUDGET_DEV, 0.0099, &notice);
    expect_that(!notice.warning,
                "a call taking the day to $0.0799 of "
                "$0.10 (79.9%%) warned; the warning is for 80%% and more");
    settle_ok(fx.b, &res, 0.0001);
    res = reserve_ok(fx.b, BUDGET_DEV, 0.0099, &notice);
    expect_that(notice.warning,
                "a call that takes committed spend to $0.0800 of $0.10 "
                "(80%%) did not warn; the warning fires when committed "
                "(spent + in flight + this estimate) reaches 80%%");
    expect_that(strcmp(notice.message,
                       "warning: dev budget 80% used: spent $0.0701 + in "
                       "flight $0.0000 + this call up to $0.0099 of $0.1000 "
                       "today") == 0,
                "the warning reads \"%s\"; budget.h gives its exact words",
                notice.message);
    expect_that(near(notice.spent_usd, 0.0701) &&
                    near(notice.estimate_usd, 0.0099) &&
                    near(notice.limit_usd, 0.10),
                "the notice's figures are spent $%.4f, estimate $%.4f, "
                "limit $%.4f; they should be $0.0701, $0.0099, $0.1000",
                notice.spent_usd, notice.estimate_usd, notice.limit_usd);
    settle_ok(fx.b, &res, 0.0099);
    reserve_ok(fx.b, BUDGET_DEV, 0.001, &notice);
    expect_that(!notice.warning && notice.message[0] == '\0',
                "the next call warned again (\"%s\"); the warning fires "
                "once a day per environment",
                notice.message);
    stop(&fx);
}

/* ---- Step 5: refusals ---------------------------------------------------- */

static void test_budget_refuses_a_call_that_would_pass_the_limit(void **state)
{
    struct fixture fx;
    budget_notice notice;
    budget_reservation res;
    budget_spending s;
    kit_status st;

    (void)state;
    start(&fx, 0.10, NULL);
    call_ok(fx.b, BUDGET_DEV, 0.095, 0.095);
    st = budget_reserve(fx.b, BUDGET_DEV, 0.0075, &res, &notice);
    expect_that(st == KIT_ERR_BUDGET,
                "a call estimated at $0.0075 with $0.0950 of $0.10 spent "
                "returned \"%s\"; it would pass the limit, so it must be "
                "refused with KIT_ERR_BUDGET",
                kit_strerror(st));
    expect_that(!res.active, "a refused call must hold nothing, but the "
                             "reservation is active");
    expect_that(strcmp(notice.message,
                       "refused: dev budget would be passed: spent $0.0950 "
                       "+ in flight $0.0000 + this call up to $0.0075 > "
                       "limit $0.1000") == 0,
                "the refusal reads \"%s\"; it should give spent, in flight, "
                "the estimate and the limit as budget.h words it, and must "
                "not call the budget exceeded or exhausted: $0.0950 is "
                "below $0.1000",
                notice.message);
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 0.095) && near(s.in_flight_usd, 0),
                "after a refusal spent is $%.4f and in flight $%.4f; a "
                "refused call changes nothing ($0.0950 and $0)",
                s.spent_usd, s.in_flight_usd);

    /* What still fits is allowed: exactly up to the limit. */
    res = reserve_ok(fx.b, BUDGET_DEV, 0.005, &notice);
    expect_that(res.active, "a call of $0.0050 with $0.0950 spent fits "
                            "exactly in $0.10 and must be allowed");
    stop(&fx);
}

static void test_budget_refuses_every_call_once_exhausted(void **state)
{
    struct fixture fx;
    budget_notice notice;
    budget_reservation res;
    kit_status st;

    (void)state;
    start(&fx, 0.10, NULL);
    /* An actual above the estimate still counts: the money is gone. */
    res = reserve_ok(fx.b, BUDGET_DEV, 0.09, NULL);
    settle_ok(fx.b, &res, 0.1020);
    st = budget_reserve(fx.b, BUDGET_DEV, 0.0001, &res, &notice);
    expect_that(st == KIT_ERR_BUDGET,
                "with $0.1020 spent of $0.10 a call of $0.0001 returned "
                "\"%s\"; once the limit is reached every call is refused",
                kit_strerror(st));
    expect_that(strcmp(notice.message, "refused: dev budget exhausted: "
                                       "spent $0.1020 of $0.1000 today") == 0,
                "the refusal reads \"%s\"; with the limit reached it should "
                "read \"refused: dev budget exhausted: spent $0.1020 of "
                "$0.1000 today\"",
                notice.message);
    st = budget_reserve(fx.b, BUDGET_DEV, 0, &res, &notice);
    expect_that(st == KIT_ERR_BUDGET,
                "a call estimated at $0 with the limit used up returned "
                "\"%s\"; at 100%% nothing more is allowed",
                kit_strerror(st));
    stop(&fx);

    /* Spend landing exactly on the limit is 100 % too: "<= limit" lets a
     * free call through, and then another, and another. */
    start(&fx, 0.10, NULL);
    res = reserve_ok(fx.b, BUDGET_DEV, 0.10, NULL);
    settle_ok(fx.b, &res, 0.10);
    st = budget_reserve(fx.b, BUDGET_DEV, 0, &res, &notice);
    expect_that(st == KIT_ERR_BUDGET,
                "with exactly $0.1000 spent of $0.10 a call estimated at $0 "
                "returned \"%s\"; spend equal to the limit is 100%%, and "
                "at 100%% every call is refused",
                kit_strerror(st));
    stop(&fx);
}

/* ---- Step 6: days and environments --------------------------------------- */

static void test_budget_starts_again_at_midnight(void **state)
{
    struct fixture fx;
    budget_notice notice;
    budget_reservation res;
    budget_spending s;
    kit_status st;

    (void)state;
    start(&fx, 0.10, NULL);
    /* 23:59:30, then the day's limit is spent. */
    fake_clock_advance(&fx.fc, (15 * 3600 - 30) * 1000ULL);
    call_ok(fx.b, BUDGET_DEV, 0.09, 0.09);
    reserve_ok(fx.b, BUDGET_DEV, 0.005, &notice);
    st = budget_reserve(fx.b, BUDGET_DEV, 0.01, &res, NULL);
    expect_that(st == KIT_ERR_BUDGET,
                "a call passing the limit at 23:59 "
                "returned \"%s\"; it should be refused",
                kit_strerror(st));

    fake_clock_advance(&fx.fc, 30 * 1000ULL); /* 00:00:00 */
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 0) && near(s.in_flight_usd, 0) &&
                    s.calls == 0 && s.day == MIDNIGHT_S / 86400 + 1,
                "at midnight UTC the day's figures are spent $%.4f, in "
                "flight $%.4f, %ld calls, day %lld; a new day starts from "
                "$0, 0 calls, day %lld (wall_s / 86400)",
                s.spent_usd, s.in_flight_usd, s.calls, (long long)s.day,
                MIDNIGHT_S / 86400 + 1);
    res = reserve_ok(fx.b, BUDGET_DEV, 0.085, &notice);
    expect_that(notice.warning,
                "the first call past 80%% of the new day "
                "did not warn; the warning fires once per day, so it "
                "fires again tomorrow");
    settle_ok(fx.b, &res, 0.085);
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 0.085) && s.calls == 1,
                "the new day's spend is $%.4f over %ld calls; it should be "
                "$0.0850 over 1",
                s.spent_usd, s.calls);
    stop(&fx);
}

static void test_budget_keeps_environments_apart(void **state)
{
    budget_config cfg = {.daily_limit_usd = {0.10, 0.50, 5.00}};
    fake_clock fc;
    budget *b = NULL;
    budget_reservation res;
    budget_spending s;
    kit_status st;

    (void)state;
    fake_clock_init(&fc, 0, NINE_AM_S);
    cfg.clock = &fc.clock;
    st = budget_create(&cfg, &b);
    expect_that(st == KIT_OK, "budget_create returned \"%s\"",
                kit_strerror(st));
    call_ok(b, BUDGET_DEV, 0.10, 0.10);
    st = budget_reserve(b, BUDGET_DEV, 0.01, &res, NULL);
    expect_that(st == KIT_ERR_BUDGET,
                "dev's $0.10 is spent, yet a dev call "
                "returned \"%s\"",
                kit_strerror(st));
    st = budget_reserve(b, BUDGET_STAGING, 0.40, &res, NULL);
    expect_that(st == KIT_OK,
                "a staging call of $0.40 returned \"%s\" "
                "after dev spent its $0.10; staging has its own $0.50",
                kit_strerror(st));
    budget_settle(b, &res, MODEL, 0.40);
    call_ok(b, BUDGET_PROD, 4.00, 4.00);
    s = spending(b, BUDGET_STAGING);
    expect_that(near(s.spent_usd, 0.40) && near(s.limit_usd, 0.50) &&
                    s.calls == 1,
                "staging shows $%.4f spent of $%.4f in %ld calls; it should "
                "be $0.4000 of $0.5000 in 1",
                s.spent_usd, s.limit_usd, s.calls);
    s = spending(b, BUDGET_PROD);
    expect_that(near(s.spent_usd, 4.00) && near(s.remaining_usd, 1.00),
                "prod shows $%.4f spent and $%.4f remaining; it should be "
                "$4.0000 and $1.0000",
                s.spent_usd, s.remaining_usd);
    s = spending(b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 0.10) && s.calls == 1,
                "dev shows $%.4f in %ld calls; the other environments' "
                "calls must not count in dev ($0.1000, 1)",
                s.spent_usd, s.calls);
    expect_that(budget_reserve(b, (budget_env)7, 0.01, &res, NULL) ==
                    KIT_ERR_INVALID_ARG,
                "an environment out of range should be KIT_ERR_INVALID_ARG");
    budget_destroy(b);
    fake_clock_destroy(&fc);
}

/* ---- Step 7: the concurrency proof ----------------------------------------
 */

enum { THREADS = 8, TRIES_PER_THREAD = 40, ROUNDS = 10 };
#define RACE_LIMIT 0.05
#define RACE_EST   0.001

struct racer {
    budget *b;
    pthread_barrier_t *go;
    int allowed;
};

/* Each try: reserve, "make the call" (yield so the others run in between,
 * as a real call would), settle at the estimate. */
static void *race(void *arg)
{
    struct racer *r = arg;

    pthread_barrier_wait(r->go);
    for (int i = 0; i < TRIES_PER_THREAD; i++) {
        budget_reservation res;

        if (budget_reserve(r->b, BUDGET_PROD, RACE_EST, &res, NULL) != KIT_OK)
            continue;
        r->allowed++;
        for (int y = 0; y < 3; y++)
            sched_yield();
        budget_settle(r->b, &res, MODEL, RACE_EST);
    }
    return NULL;
}

static void test_budget_never_overspends_with_8_threads(void **state)
{
    struct fixture fx;

    (void)state;
    start(&fx, RACE_LIMIT, NULL);
    for (int round = 0; round < ROUNDS; round++) {
        pthread_t tid[THREADS];
        struct racer racers[THREADS];
        pthread_barrier_t go;
        budget_spending s;
        int allowed = 0;

        pthread_barrier_init(&go, NULL, THREADS);
        for (int i = 0; i < THREADS; i++) {
            racers[i] = (struct racer){.b = fx.b, .go = &go};
            assert_int_equal(pthread_create(&tid[i], NULL, race, &racers[i]),
                             0);
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(tid[i], NULL);
            allowed += racers[i].allowed;
        }
        pthread_barrier_destroy(&go);
        s = spending(fx.b, BUDGET_PROD);
        expect_that(s.spent_usd <= RACE_LIMIT + 1e-9,
                    "round %d: 8 threads each making %d calls of $%.3f "
                    "spent $%.4f against a $%.2f limit (%d calls allowed); "
                    "the check and the hold must be one step under one "
                    "lock, counting the estimates of calls in flight",
                    round + 1, TRIES_PER_THREAD, RACE_EST, s.spent_usd,
                    RACE_LIMIT, allowed);
        expect_that(allowed == 50 && s.calls == 50,
                    "round %d: %d calls were allowed and %ld settled; "
                    "exactly 50 calls of $0.001 fit in $0.05 (compare "
                    "money in whole nano-dollars, not floating sums)",
                    round + 1, allowed, s.calls);
        expect_that(near(s.in_flight_usd, 0),
                    "round %d: $%.4f is still "
                    "in flight after every call settled",
                    round + 1, s.in_flight_usd);
        fake_clock_advance(&fx.fc, 24 * HOUR_MS); /* a fresh day */
    }
    stop(&fx);
}

/* ---- Step 8: restart from the usage log ---------------------------------- */

static void test_budget_survives_a_restart_through_the_usage_log(void **state)
{
    struct fixture fx;
    char path[64];
    budget_spending s;
    budget_reservation res;
    kit_status st;
    FILE *f;
    char line[512];
    int lines = 0;

    (void)state;
    temp_log(path, sizeof(path));
    start(&fx, 0.10, path);
    call_ok(fx.b, BUDGET_DEV, EST_USD, ACTUAL_USD);
    call_ok(fx.b, BUDGET_DEV, EST_USD, ACTUAL_USD);
    call_ok(fx.b, BUDGET_PROD, 0.02, 0.0125);
    res = reserve_ok(fx.b, BUDGET_DEV, EST_USD, NULL);
    budget_release(fx.b, &res); /* a failed call: no line */
    stop(&fx);

    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "ts");
        const cJSON *env = cJSON_GetObjectItemCaseSensitive(j, "env");
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(j, "model");
        const cJSON *cost = cJSON_GetObjectItemCaseSensitive(j, "cost_usd");

        lines++;
        expect_that(cJSON_IsNumber(ts) && ts->valuedouble == NINE_AM_S &&
                        cJSON_IsString(env) && cJSON_IsString(model) &&
                        strcmp(model->valuestring, MODEL) == 0 &&
                        cJSON_IsNumber(cost),
                    "usage log line %d is \"%s\"; it should be "
                    "{\"ts\":%lld,\"env\":...,\"model\":\"%s\","
                    "\"cost_usd\":...} and end with a newline",
                    lines, line, NINE_AM_S, MODEL);
        cJSON_Delete(j);
    }
    fclose(f);
    expect_that(lines == 3,
                "the usage log has %d lines after 3 settled "
                "calls and 1 failed one; it should have 3, one per settled "
                "call",
                lines);

    start(&fx, 0.10, path);
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 2 * ACTUAL_USD) && s.calls == 2,
                "after a restart dev shows $%.4f in %ld calls; it should be "
                "rebuilt from the usage log: $%.4f in 2 calls",
                s.spent_usd, s.calls, 2 * ACTUAL_USD);
    s = spending(fx.b, BUDGET_PROD);
    expect_that(near(s.spent_usd, 0.0125) && s.calls == 1,
                "after a restart prod shows $%.4f in %ld calls; it should "
                "be $0.0125 in 1",
                s.spent_usd, s.calls);
    call_ok(fx.b, BUDGET_DEV, 0.09, 0.09);
    st = budget_reserve(fx.b, BUDGET_DEV, 0.01, &res, NULL);
    expect_that(st == KIT_ERR_BUDGET,
                "after a restart, $%.4f + $0.0900 "
                "spent and a call of $0.0100 returned \"%s\"; the spend "
                "before the restart still counts, so it must be refused",
                2 * ACTUAL_USD, kit_strerror(st));
    stop(&fx);
    unlink(path);
}

static void test_budget_skips_a_torn_line_and_other_days(void **state)
{
    struct fixture fx;
    char path[64], text[1024];
    budget_spending s;
    FILE *f;
    long size;

    (void)state;
    temp_log(path, sizeof(path));
    snprintf(text, sizeof(text),
             /* yesterday: not today's money */
             "{\"ts\":%lld,\"env\":\"dev\",\"model\":\"m\",\"cost_usd\":0.05}\n"
             /* today, with lab 7's extra members */
             "{\"ts\":%lld,\"env\":\"dev\",\"model\":\"m\",\"cost_usd\":0.01,"
             "\"input_tokens\":100,\"latency_ms\":800}\n"
             /* not a usage line */
             "garbage\n"
             "{\"ts\":%lld,\"env\":\"staging\",\"model\":\"m\","
             "\"cost_usd\":0.02}\n"
             /* torn by a crash: no closing brace, no newline */
             "{\"ts\":%lld,\"env\":\"dev\",\"model\":\"m\",\"cost_usd\":0.0",
             MIDNIGHT_S - 10, NINE_AM_S - 3600, NINE_AM_S - 60, NINE_AM_S - 1);
    write_file(path, text);
    start(&fx, 0.10, path);
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 0.01) && s.calls == 1,
                "from a log with a line from yesterday ($0.05), one from "
                "today ($0.01) and a torn last line, dev shows $%.4f in %ld "
                "calls; it should count only today's complete line: "
                "$0.0100 in 1",
                s.spent_usd, s.calls);
    s = spending(fx.b, BUDGET_STAGING);
    expect_that(near(s.spent_usd, 0.02) && s.calls == 1,
                "staging shows $%.4f in %ld calls; its one line of today "
                "says $0.0200 in 1",
                s.spent_usd, s.calls);

    call_ok(fx.b, BUDGET_DEV, 0.001, 0.001);
    stop(&fx);
    /* The new line must not be glued to the torn one. */
    start(&fx, 0.10, path);
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 0.011) && s.calls == 2,
                "after one more call and a restart dev shows $%.4f in %ld "
                "calls; it should be $0.0110 in 2 (a line appended after a "
                "torn one must start on a new line)",
                s.spent_usd, s.calls);
    stop(&fx);
    f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    expect_that(size > (long)strlen(text),
                "the usage log did not grow; "
                "budget_settle must append, never rewrite it");
    unlink(path);
}

/* ---- Step 9: the projection ---------------------------------------------- */

static void test_budget_projects_when_the_money_runs_out(void **state)
{
    struct fixture fx;
    budget_projection p;
    kit_status st;

    (void)state;
    start(&fx, 0.10, NULL);
    st = budget_project(fx.b, BUDGET_DEV, &p);
    expect_that(st == KIT_OK && p.exhausted_at_s == -1 &&
                    p.rate_usd_per_hour == 0 && !p.exhausted_today,
                "with nothing spent the projection is rate $%.4f/h, "
                "exhausted at %lld (status \"%s\"); it should be rate 0 and "
                "-1: at no spend the money never runs out",
                p.rate_usd_per_hour, (long long)p.exhausted_at_s,
                kit_strerror(st));

    call_ok(fx.b, BUDGET_DEV, 0.01, 0.01); /* 09:00 */
    fake_clock_advance(&fx.fc, HOUR_MS);
    call_ok(fx.b, BUDGET_DEV, 0.01, 0.01); /* 10:00 */
    budget_project(fx.b, BUDGET_DEV, &p);
    expect_that(near(p.rate_usd_per_hour, 0.02) &&
                    p.exhausted_at_s == NINE_AM_S + 5 * 3600 &&
                    p.exhausted_today && near(p.spent_usd, 0.02),
                "$0.02 spent between 09:00 and 10:00 on a $0.10 budget "
                "projects rate $%.4f/h, exhausted at +%llds from 09:00; it "
                "should be $0.0200/h (spent / hours since the day's first "
                "call) and 14:00 today (+18000 s): $0.08 left at $0.02/h",
                p.rate_usd_per_hour, (long long)(p.exhausted_at_s - NINE_AM_S));

    fake_clock_advance(&fx.fc, 9 * HOUR_MS); /* 19:00, no more calls */
    budget_project(fx.b, BUDGET_DEV, &p);
    expect_that(near(p.rate_usd_per_hour, 0.002) &&
                    p.exhausted_at_s == NINE_AM_S + 50 * 3600 &&
                    !p.exhausted_today,
                "at 19:00 with $0.02 spent since 09:00 the projection is "
                "$%.4f/h, exhausted at +%llds from 09:00, today %s; it "
                "should be $0.0020/h, +180000 s (day after tomorrow), not "
                "today",
                p.rate_usd_per_hour, (long long)(p.exhausted_at_s - NINE_AM_S),
                p.exhausted_today ? "yes" : "no");
    stop(&fx);
}

/* ---- The chapter's scenario ---------------------------------------------- */

static void test_budget_chapter_scenario_warns_then_blocks(void **state)
{
    struct fixture fx;
    int call, warned_at = 0, blocked_at = 0;
    char warning[256] = "", refusal[256] = "";
    budget_spending s;

    (void)state;
    start(&fx, 0.10, NULL);
    /* Call after call, as the chapter does: estimate, reserve, "call",
     * settle at what the reply really cost, until the budget says no. */
    for (call = 1; call <= 100 && !blocked_at; call++) {
        budget_reservation res;
        budget_notice notice;
        double est = 0;
        kit_status st;

        budget_estimate_usd(MODEL, 400, 1000, &est);
        st = budget_reserve(fx.b, BUDGET_DEV, est, &res, &notice);
        if (st != KIT_OK) {
            blocked_at = call;
            snprintf(refusal, sizeof(refusal), "%s", notice.message);
            break;
        }
        if (notice.warning) {
            expect_that(!warned_at,
                        "call %d warned again after call %d; "
                        "warn once",
                        call, warned_at);
            warned_at = call;
            snprintf(warning, sizeof(warning), "%s", notice.message);
        }
        budget_settle(fx.b, &res, MODEL, ACTUAL_USD);
        fake_clock_advance(&fx.fc, 60 * 1000); /* one call a minute */
    }
    expect_that(warned_at == 26,
                "with a $0.10 budget, calls estimated at $0.0051 that cost "
                "$0.0031 should warn at call 26 (spent $0.0775 + $0.0051 = "
                "82%%); the warning came at call %d",
                warned_at);
    expect_that(strcmp(warning, "warning: dev budget 82% used: spent $0.0775 "
                                "+ in flight $0.0000 + this call up to "
                                "$0.0051 of $0.1000 today") == 0,
                "the warning at call 26 reads \"%s\"", warning);
    expect_that(blocked_at == 32,
                "the block should come at call 32 (spent $0.0961 + $0.0051 "
                "> $0.10); it came at call %d",
                blocked_at);
    expect_that(strcmp(refusal, "refused: dev budget would be passed: spent "
                                "$0.0961 + in flight $0.0000 + this call up "
                                "to $0.0051 > limit $0.1000") == 0,
                "the refusal at call 32 reads \"%s\"; spent is still below "
                "the limit, so it must say \"would be passed\", never "
                "\"exhausted\"",
                refusal);
    s = spending(fx.b, BUDGET_DEV);
    expect_that(near(s.spent_usd, 0.0961) && s.calls == 31 &&
                    s.spent_usd <= 0.10,
                "after the block dev shows $%.4f in %ld calls; it should be "
                "$0.0961 in 31",
                s.spent_usd, s.calls);
    stop(&fx);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_budget_estimates_from_prompt_bytes_and_max_tokens),
        cmocka_unit_test(test_budget_reserves_then_settles_to_the_actual_cost),
        cmocka_unit_test(test_budget_warns_once_at_80_percent),
        cmocka_unit_test(test_budget_refuses_a_call_that_would_pass_the_limit),
        cmocka_unit_test(test_budget_refuses_every_call_once_exhausted),
        cmocka_unit_test(test_budget_starts_again_at_midnight),
        cmocka_unit_test(test_budget_keeps_environments_apart),
        cmocka_unit_test(test_budget_never_overspends_with_8_threads),
        cmocka_unit_test(test_budget_survives_a_restart_through_the_usage_log),
        cmocka_unit_test(test_budget_skips_a_torn_line_and_other_days),
        cmocka_unit_test(test_budget_projects_when_the_money_runs_out),
        cmocka_unit_test(test_budget_chapter_scenario_warns_then_blocks),
    };

    return HARNESS_MAIN("lab05-budget", tests, NULL, NULL);
}
