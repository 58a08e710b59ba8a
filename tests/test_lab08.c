/*
 * Lab 8's graded tests: the capstone batch. The prompt and the plan are
 * checked exactly; the plan's limiter runs on the fake clock against a
 * simulation of the provider's bucket; batch_run runs against the mock
 * server twice: once on a scripted key to check its counting, and once as
 * the course's story in small (200 configs at anthropic-tier1, scaled so a
 * provider minute lasts 300 ms, through a storm, with the NOC chatbot on
 * the same key). The storm run happens once and its four tests share it.
 */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "chatbot.h"
#include "fakes.h"
#include "fleet.h"
#include "ratelimit.h"
#include "scaled_clock.h"
#include "usage_log.h"

#define MINUTE_MS 60000ULL

static void temp_path(char *path, size_t n)
{
    int fd;

    snprintf(path, n, "/tmp/lab08-usage-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static long count_records(const char *path, long *ok_out)
{
    usage_summary sum;

    memset(&sum, 0, sizeof(sum));
    usage_log_daily_summary(path, (int64_t)time(NULL) / 86400, &sum);
    if (ok_out)
        *ok_out = sum.ok;
    return sum.requests;
}

/* ---- The prompt ---------------------------------------------------------- */

static void
test_batch_prompt_is_deterministic_and_carries_the_config(void **state)
{
    static fleet_router a, b, c;
    char want[2048], got[2048], tiny[64];
    long tokens = -1, want_tokens;
    int vendors[FLEET_VENDOR_COUNT] = {0};
    kit_status st;

    (void)state;
    /* The given generator: router i is always the same router. */
    assert_int_equal(fleet_generate(2847, 42, &a), KIT_OK);
    assert_int_equal(fleet_generate(2847, 42, &b), KIT_OK);
    fleet_generate(2847, 43, &c);
    expect_that(memcmp(&a, &b, sizeof(a)) == 0 && strcmp(a.config, c.config),
                "fleet_generate must give the same router for the same "
                "seed and index, and another for the next index");
    for (long i = 0; i < 60; i++) {
        fleet_generate(2847, i, &c);
        vendors[c.vendor]++;
    }
    expect_that(vendors[FLEET_IOS] && vendors[FLEET_JUNOS] &&
                    vendors[FLEET_EOS],
                "the fleet's first 60 routers should include all three "
                "vendors");

    /* Your prompt: exactly the text of batch.h, and the estimate. */
    snprintf(want, sizeof(want),
             "Check this router configuration against the baseline.\n"
             "Router: %s (%s)\n---\n%s---\nList each violation as RULE: "
             "line.",
             a.hostname, fleet_vendor_name(a.vendor), a.config);
    want_tokens =
        (long)((strlen(batch_system_prompt) + strlen(want) + 3) / 4) + 200;
    memset(got, 0, sizeof(got));
    st = batch_prompt(a.hostname, fleet_vendor_name(a.vendor), a.config, 200,
                      got, sizeof(got), &tokens);
    expect_that(st == KIT_OK,
                "batch_prompt for router 42 returned \"%s\"; it should "
                "return KIT_OK",
                kit_strerror(st));
    expect_that(strcmp(got, want) == 0,
                "batch_prompt wrote\n%s\nbut batch.h asks for\n%s", got, want);
    expect_that(tokens == want_tokens,
                "the estimate was %ld tokens; it must be ceil((%zu bytes of "
                "system prompt + %zu bytes of prompt) / 4) + max_tokens 200 "
                "= %ld, the most the call can cost in tokens",
                tokens, strlen(batch_system_prompt), strlen(want), want_tokens);
    st = batch_prompt(a.hostname, "ios", a.config, 200, tiny, sizeof(tiny),
                      NULL);
    expect_that(st == KIT_ERR_TOO_LARGE,
                "a 64-byte buffer cannot hold the prompt: batch_prompt must "
                "return KIT_ERR_TOO_LARGE, not \"%s\"",
                kit_strerror(st));
    st = batch_prompt(a.hostname, "ios", a.config, 0, got, sizeof(got), NULL);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "max_tokens 0 must be KIT_ERR_INVALID_ARG, not \"%s\"",
                kit_strerror(st));
}

/* ---- The plan ------------------------------------------------------------ */

static batch_plan plan_ok(long rpm, long tpm, int headroom, long tokens)
{
    batch_share s = {.rpm = rpm,
                     .tpm = tpm,
                     .headroom_percent = headroom,
                     .tokens_per_call = tokens};
    batch_plan p;
    kit_status st;

    memset(&p, 0, sizeof(p));
    st = batch_plan_make(&s, &p);
    expect_that(st == KIT_OK,
                "batch_plan_make(%ld RPM, %ld TPM, %d %% headroom, %ld "
                "tokens a call) returned \"%s\"; it should return KIT_OK",
                rpm, tpm, headroom, tokens, kit_strerror(st));
    return p;
}

static void test_batch_plan_paces_tier1_at_its_share(void **state)
{
    batch_plan p;

    (void)state;
    p = plan_ok(50, 40000, 20, 500);
    expect_that(
        p.limiter.mode == RATELIMIT_TOKEN_BUCKET &&
            p.limiter.requests_per_window == 4 && p.limiter.window_ms == 6000,
        "tier 1 (50 RPM) with 20 %% headroom: the batch's share is "
        "40 calls a minute, spread as a token bucket of 4 calls per "
        "6000 ms (a tenth of a minute's share); the plan said %s, "
        "%ld calls per %llu ms",
        p.limiter.mode == RATELIMIT_TOKEN_BUCKET ? "token bucket"
                                                 : "sliding window",
        p.limiter.requests_per_window, (unsigned long long)p.limiter.window_ms);
    expect_that(p.limiter.tokens_per_window == 3200,
                "80 %% of 40,000 TPM over a 6000 ms window is 3200 tokens; "
                "the plan said %ld",
                p.limiter.tokens_per_window);
    expect_that(p.interval_ms == 1500 && fabs(p.calls_per_minute - 40) < 1e-9,
                "one call every 1500 ms, 40 a minute; the plan said %llu ms "
                "and %.4f a minute",
                (unsigned long long)p.interval_ms, p.calls_per_minute);
    expect_that(p.limiter.low_remaining_percent == 10 &&
                    p.limiter.clock == NULL,
                "the plan's limiter reads the headers below 10 %% and leaves "
                "the clock NULL for batch_run to set");
}

static void
test_batch_plan_slows_down_for_large_calls_and_refuses_bad_shares(void **state)
{
    batch_share bad = {.rpm = 50,
                       .tpm = 40000,
                       .headroom_percent = 20,
                       .tokens_per_call = 500};
    batch_plan p;

    (void)state;
    /* 4 calls of 2000 tokens are 8000 tokens; 80 % of 40,000 TPM brings
     * 8000 in 15 s. The tokens set the pace. */
    p = plan_ok(50, 40000, 20, 2000);
    expect_that(
        p.limiter.requests_per_window == 4 && p.limiter.window_ms == 15000 &&
            p.limiter.tokens_per_window == 8000 && p.interval_ms == 3750,
        "calls of 2000 tokens at 80 %% of 40,000 TPM: 16 a minute, "
        "so 4 per 15000 ms with 8000 tokens, one every 3750 ms; the "
        "plan said %ld per %llu ms, %ld tokens, every %llu ms. When "
        "the tokens' window is longer, it wins",
        p.limiter.requests_per_window, (unsigned long long)p.limiter.window_ms,
        p.limiter.tokens_per_window, (unsigned long long)p.interval_ms);
    /* The free tier: 4 calls a minute is less than one per 6 s. */
    p = plan_ok(5, 10000, 20, 500);
    expect_that(
        p.limiter.requests_per_window == 1 && p.limiter.window_ms == 15000 &&
            p.limiter.tokens_per_window == 2000,
        "the free tier (5 RPM) with 20 %% headroom: 4 calls a "
        "minute, a burst of at least 1, so 1 per 15000 ms and 2000 "
        "tokens; the plan said %ld per %llu ms, %ld tokens",
        p.limiter.requests_per_window, (unsigned long long)p.limiter.window_ms,
        p.limiter.tokens_per_window);
    /* No TPM: tokens are not limited. */
    p = plan_ok(1000, 0, 10, 500);
    expect_that(
        p.limiter.requests_per_window == 90 && p.limiter.window_ms == 6000 &&
            p.limiter.tokens_per_window == 0,
        "1000 RPM, no TPM, 10 %% headroom: 90 per 6000 ms and no "
        "token limit; the plan said %ld per %llu ms, %ld tokens",
        p.limiter.requests_per_window, (unsigned long long)p.limiter.window_ms,
        p.limiter.tokens_per_window);

    bad.headroom_percent = 100;
    expect_that(batch_plan_make(&bad, &p) == KIT_ERR_INVALID_ARG,
                "100 %% headroom leaves the batch nothing: "
                "KIT_ERR_INVALID_ARG");
    bad.headroom_percent = -1;
    expect_that(batch_plan_make(&bad, &p) == KIT_ERR_INVALID_ARG,
                "a negative headroom is KIT_ERR_INVALID_ARG");
    bad.headroom_percent = 20;
    bad.rpm = 0;
    expect_that(batch_plan_make(&bad, &p) == KIT_ERR_INVALID_ARG,
                "rpm 0 is KIT_ERR_INVALID_ARG");
    bad.rpm = 50;
    bad.tokens_per_call = 0;
    expect_that(batch_plan_make(&bad, &p) == KIT_ERR_INVALID_ARG,
                "tokens_per_call 0 is KIT_ERR_INVALID_ARG");
    expect_that(batch_plan_make(NULL, &p) == KIT_ERR_INVALID_ARG,
                "a NULL share is KIT_ERR_INVALID_ARG");
}

/*
 * The plan's limiter on the fake clock, 400 calls in a row, against a
 * simulation of the provider's bucket (tier 1: 50 requests, refilled at
 * 50 a minute). The bucket must stay at least 80 % full, so another tool
 * always finds room, and the batch must still keep its whole share.
 */
static void test_batch_plan_leaves_the_headroom_free(void **state)
{
    const int n = 400;
    fake_clock fc;
    ratelimit *rl = NULL;
    batch_plan p;
    double level = 50, lowest = 50;
    uint64_t start, last = 0, first_at = 0;
    kit_status st;

    (void)state;
    p = plan_ok(50, 40000, 20, 500);
    fake_clock_init(&fc, 1000000, 1795996800);
    p.limiter.clock = &fc.clock;
    st = ratelimit_create(&p.limiter, &rl);
    if (st != KIT_OK) {
        fake_clock_destroy(&fc);
        fail_msg("ratelimit_create refused the plan's limiter (\"%s\"): "
                 "requests_per_window %ld, window_ms %llu",
                 kit_strerror(st), p.limiter.requests_per_window,
                 (unsigned long long)p.limiter.window_ms);
    }
    start = kit_clock_now_ms(&fc.clock);
    last = start;
    for (int i = 0; i < n; i++) {
        ratelimit_ticket t = {0, 0};

        ratelimit_acquire(rl, 500, &t);
        /* The provider's bucket refills continuously, then takes 1. */
        level += (double)(t.at_ms - last) * 50.0 / MINUTE_MS;
        if (level > 50)
            level = 50;
        level -= 1;
        if (level < lowest)
            lowest = level;
        last = t.at_ms;
        if (i == 0)
            first_at = t.at_ms;
    }
    ratelimit_destroy(rl);
    fake_clock_destroy(&fc);
    expect_that(first_at == start,
                "the first call of the batch waited %llu ms; the limiter "
                "starts with room",
                (unsigned long long)(first_at - start));
    expect_that(lowest >= 40.0,
                "the provider's bucket (50 requests, refilled at 50 a "
                "minute) fell to %.1f requests under the plan's limiter. "
                "The batch must never take more than a tenth of a minute's "
                "share at once, so the bucket stays at least 80 %% full "
                "(40) and the other tools always find room: a burst of 40 "
                "in one go is exactly what the headroom is for",
                lowest);
    expect_that(last - start >= 590000 && last - start <= 600000,
                "400 calls at 40 a minute should take about 10 minutes "
                "(the first 4 at once, then one every 1500 ms: %d ms); the "
                "last one started after %llu ms. Faster takes the others' "
                "headroom; slower wastes the share",
                (n - 4) * 1500, (unsigned long long)(last - start));
}

/* ---- batch_run on a scripted key ----------------------------------------- */

struct tally {
    long attempts, configs, retries, rate_limited;
    double cost;
    int seen[8];
    uint64_t last_t;
    bool t_backwards;
};

static void tally_event(void *ctx, const batch_event *ev)
{
    struct tally *t = ctx;

    if (ev->t_ms < t->last_t)
        t->t_backwards = true;
    t->last_t = ev->t_ms;
    if (ev->kind == BATCH_EVENT_ATTEMPT) {
        t->attempts++;
        t->retries += ev->attempt > 1;
        t->rate_limited += ev->http_status == 429;
        return;
    }
    t->configs++;
    t->cost += ev->cost_usd;
    if (ev->index >= 0 && ev->index < 8)
        t->seen[ev->index]++;
}

/* The client's retry policy for a scaled run: short real delays. */
static void fast_retries(client_config *cc, const char *base_url,
                         const char *key)
{
    cc->base_url = base_url;
    cc->api_key = key;
    cc->model = "claude-haiku-4.5";
    cc->retry.max_retries = 3;
    cc->retry.initial_delay_ms = 10;
    cc->retry.max_delay_ms = 600;
    cc->retry.max_retry_after_ms = 2000;
    cc->timeout_ms = 5000;
}

static mockproc plain;

static int stop_plain(void **state)
{
    (void)state;
    mockproc_stop(&plain);
    return 0;
}

static void test_batch_run_reports_every_attempt_and_config(void **state)
{
    batch_config cfg = BATCH_CONFIG_DEFAULT;
    batch_report rep;
    struct tally t;
    char key[64], path[64];
    long lines, ok_lines;
    int journal_n;
    kit_status st;

    (void)state;
    if (mockproc_start(&plain, NULL) != 0)
        fail_msg("the mock server did not start; build it with make");
    unique_key(key, sizeof(key), "lab08-count");
    /* Config 0 meets a 429 and a 503 before its answer. */
    assert_int_equal(
        mockctl_put_script(&plain, key,
                           "{\"steps\":[{\"status\":429,\"retry_after_ms\":5},"
                           "{\"status\":503}],\"then\":\"ok\"}"),
        200);
    temp_path(path, sizeof(path));
    memset(&t, 0, sizeof(t));
    cfg.n_configs = 6;
    cfg.workers = 1;
    cfg.share.rpm = 6000; /* plenty: this test is about counting */
    cfg.share.tpm = 0;
    fast_retries(&cfg.client, plain.base_url, key);
    cfg.usage_log = path;
    cfg.on_event = tally_event;
    cfg.event_ctx = &t;

    st = batch_run(&cfg, &rep);
    expect_that(st == KIT_OK,
                "batch_run over 6 configs returned \"%s\"; it should return "
                "KIT_OK",
                kit_strerror(st));
    expect_that(rep.configs == 6 && rep.ok == 6 && rep.failed == 0,
                "6 configs, every one answered in the end: the report says "
                "%ld configs, %ld ok, %ld failed",
                rep.configs, rep.ok, rep.failed);
    journal_n = mockctl_count(&plain, key);
    expect_that(rep.attempts == 8 && rep.retries == 2 &&
                    rep.rate_limited == 1 && journal_n == 8,
                "the server saw %d requests (config 0: 429, 503, answer; "
                "then 5 answers); the report says %ld attempts, %ld retries, "
                "%ld 429s, and should say 8, 2 and 1. Count in the client's "
                "observer, once per attempt that went on the wire",
                journal_n, rep.attempts, rep.retries, rep.rate_limited);
    expect_that(t.attempts == 8 && t.retries == 2 && t.rate_limited == 1 &&
                    t.configs == 6,
                "on_event heard %ld attempts (%ld retries, %ld 429s) and %ld "
                "configs; it must hear each of the 8 attempts and each of "
                "the 6 configs once",
                t.attempts, t.retries, t.rate_limited, t.configs);
    for (int i = 0; i < 6; i++)
        expect_that(t.seen[i] == 1,
                    "config %d was reported %d times by BATCH_EVENT_CONFIG; "
                    "every config exactly once",
                    i, t.seen[i]);
    expect_that(!t.t_backwards,
                "event times went backwards: t_ms is the batch clock since "
                "the start, and events are reported one at a time");
    expect_that(rep.cost_usd > 0 && fabs(rep.cost_usd - t.cost) < 1e-12,
                "the report's cost ($%.6f) must be the sum of the configs' "
                "costs in the events ($%.6f), and more than 0",
                rep.cost_usd, t.cost);
    lines = count_records(path, &ok_lines);
    expect_that(lines == 6 && ok_lines == 6,
                "the usage log holds %ld records (%ld ok); one line per "
                "config, 6",
                lines, ok_lines);
    unlink(path);
}

/* ---- The story, in small: the storm run ---------------------------------- */

#define STORM_CONFIGS   200
#define STORM_SCALE     0.005
#define STORM_SCALE_ARG "0.005"

/* A few failures up front, then 2 % chaos, for every request of the key
 * (the chatbot's too). */
static const char storm_script[] =
    "{\"steps\":[{\"status\":429,\"retry_after_ms\":20},{\"status\":503},"
    "{\"fault\":\"reset\"}],"
    "\"chaos\":{\"seed\":7,\"rate\":0.02,\"statuses\":[503,529],"
    "\"faults\":[\"reset\"]}}";

static struct storm {
    bool ran;
    char error[512];
    kit_status st;
    batch_report rep;
    chatbot_stats bot;
    long log_records, log_ok;
    double log_cost;
    double bill_usd;
    long journal_haiku, journal_rate_limited;
    double span_ms; /* first to last batch request, scaled */
} storm;

static void run_storm(void)
{
    const char *const args[] = {"--tier", "anthropic-tier1", "--time-scale",
                                STORM_SCALE_ARG, NULL};
    batch_config cfg = BATCH_CONFIG_DEFAULT;
    chatbot_config bcfg;
    chatbot *bot = NULL;
    scaled_clock sc;
    usage_summary sum;
    mockproc m;
    char key[64], path[64], err[256];
    cJSON *journal = NULL, *bill = NULL, *it;
    double first = -1, last = -1;

    if (storm.ran)
        return;
    storm.ran = true;
    if (mockproc_start(&m, args) != 0) {
        snprintf(storm.error, sizeof(storm.error),
                 "the mock server did not start with --tier "
                 "anthropic-tier1 --time-scale " STORM_SCALE_ARG);
        return;
    }
    unique_key(key, sizeof(key), "lab08-storm");
    mockctl_put_script(&m, key, storm_script);
    temp_path(path, sizeof(path));
    scaled_clock_init(&sc, STORM_SCALE);

    memset(&bcfg, 0, sizeof(bcfg));
    bcfg.client = (client_config)CLIENT_CONFIG_DEFAULT;
    fast_retries(&bcfg.client, m.base_url, key);
    bcfg.client.model = "claude-sonnet-4.5";
    bcfg.client.retry.max_retries = 2;
    bcfg.period_ms = 20000; /* every 20 s on the provider's clock */
    bcfg.clock = &sc.clock;
    if (chatbot_start(&bcfg, &bot, err, sizeof(err)) != KIT_OK) {
        snprintf(storm.error, sizeof(storm.error),
                 "the chatbot did not start: %s", err);
        goto out;
    }

    cfg.n_configs = STORM_CONFIGS;
    cfg.workers = 4;
    fast_retries(&cfg.client, m.base_url, key);
    cfg.clock = &sc.clock;
    cfg.usage_log = path;
    storm.st = batch_run(&cfg, &storm.rep);
    chatbot_stop(bot, &storm.bot);

    memset(&sum, 0, sizeof(sum));
    usage_log_daily_summary(path, (int64_t)time(NULL) / 86400, &sum);
    storm.log_records = sum.requests;
    storm.log_ok = sum.ok;
    storm.log_cost = sum.cost_usd;

    journal = mockctl_journal(&m, key);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(journal, "requests"))
    {
        const cJSON *model = cJSON_GetObjectItem(it, "model");
        double t = cJSON_GetNumberValue(cJSON_GetObjectItem(it, "t_ms"));

        if (cJSON_IsTrue(cJSON_GetObjectItem(it, "rate_limited")))
            storm.journal_rate_limited++;
        if (!cJSON_IsString(model) ||
            strcmp(model->valuestring, "claude-haiku-4.5") != 0)
            continue;
        storm.journal_haiku++;
        if (first < 0)
            first = t;
        last = t;
    }
    storm.span_ms = first < 0 ? 0 : (last - first) / STORM_SCALE;
    bill = mockctl_bill(&m, key);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(bill, "models"))
    {
        const cJSON *model = cJSON_GetObjectItem(it, "model");

        if (cJSON_IsString(model) &&
            strcmp(model->valuestring, "claude-haiku-4.5") == 0)
            storm.bill_usd =
                cJSON_GetNumberValue(cJSON_GetObjectItem(it, "usd"));
    }
    if (!journal || !bill)
        snprintf(storm.error, sizeof(storm.error),
                 "the mock server's journal or bill could not be read");
out:
    cJSON_Delete(journal);
    cJSON_Delete(bill);
    mockproc_stop(&m);
    unlink(path);
}

/* Runs the storm once for the four tests below, and fails the test when
 * batch_run did not even run. */
static void storm_ran(void)
{
    run_storm();
    if (storm.error[0])
        fail_msg("%s", storm.error);
    expect_that(storm.st == KIT_OK,
                "batch_run over %d configs at anthropic-tier1 returned "
                "\"%s\"; it should return KIT_OK",
                STORM_CONFIGS, kit_strerror(storm.st));
}

static void test_batch_storm_ends_with_no_failed_config(void **state)
{
    (void)state;
    storm_ran();
    expect_that(storm.rep.ok == STORM_CONFIGS && storm.rep.failed == 0,
                "through a storm (a 429, a 503, a reset, then 2 %% chaos) "
                "every one of the %d configs must be checked in the end; "
                "the report says %ld ok and %ld failed (%ld attempts, %ld "
                "retries, %ld 429s)",
                STORM_CONFIGS, storm.rep.ok, storm.rep.failed,
                storm.rep.attempts, storm.rep.retries, storm.rep.rate_limited);
    expect_that(storm.log_records == STORM_CONFIGS &&
                    storm.log_ok == STORM_CONFIGS,
                "the usage log holds %ld records, %ld ok; one per config, "
                "%d ok",
                storm.log_records, storm.log_ok, STORM_CONFIGS);
}

static void test_batch_storm_leaves_the_chatbot_unharmed(void **state)
{
    (void)state;
    storm_ran();
    expect_that(storm.bot.calls >= 5,
                "the chatbot made only %ld calls; the run should last long "
                "enough for it to ask every 20 s of a 5-minute batch",
                storm.bot.calls);
    expect_that(storm.bot.failed == 0,
                "the NOC chatbot, on the same key, had %ld of its %ld calls "
                "fail (it met %ld 429s); last: %s. The batch must leave "
                "the key's headroom free",
                storm.bot.failed, storm.bot.calls, storm.bot.rate_limited,
                storm.bot.last_error);
    expect_that(storm.journal_rate_limited == 0,
                "the mock server's rate limiter refused %ld requests of the "
                "key (journal: rate_limited). A batch that keeps to its "
                "share never makes the provider police the key at all",
                storm.journal_rate_limited);
}

static void test_batch_storm_takes_the_time_its_share_allows(void **state)
{
    /* N / (share x rate): 200 calls at 80 % of 50 RPM is 5 minutes. */
    const double min_ms = STORM_CONFIGS * 60000.0 * 100 / (50 * 80);

    (void)state;
    storm_ran();
    expect_that(storm.journal_haiku >= STORM_CONFIGS,
                "the server saw only %ld batch requests for %d configs",
                storm.journal_haiku, STORM_CONFIGS);
    expect_that(storm.span_ms >= 0.9 * min_ms && storm.span_ms <= 1.1 * min_ms,
                "the server saw the batch's requests over %.0f ms of the "
                "provider's clock; %d configs at 80 %% of 50 RPM need %.0f "
                "ms, and the run must come within 10 %% of it. Faster "
                "means the batch took more than its share; slower, that "
                "the pace lost time (check every attempt goes through the "
                "limiter, and the limiter runs on cfg->clock)",
                storm.span_ms, STORM_CONFIGS, min_ms);
    print_message("the server saw the batch over %.0f ms of the provider's "
                  "clock: %.1f %% of the %.0f ms its share allows (%ld "
                  "retries)\n",
                  storm.span_ms, 100.0 * storm.span_ms / min_ms, min_ms,
                  storm.rep.retries);
    expect_that(storm.rep.min_elapsed_ms == STORM_CONFIGS * 1500ULL,
                "the report's min_elapsed_ms is %llu; it is n_configs x "
                "the plan's interval, %d x 1500",
                (unsigned long long)storm.rep.min_elapsed_ms, STORM_CONFIGS);
}

static void test_batch_storm_spend_matches_the_usage_log(void **state)
{
    (void)state;
    storm_ran();
    expect_that(storm.rep.cost_usd > 0 &&
                    fabs(storm.rep.cost_usd - storm.log_cost) < 1e-9,
                "the report says the batch spent $%.9f, its usage log says "
                "$%.9f: append one line per config with the cost of that "
                "config (0 when it failed)",
                storm.rep.cost_usd, storm.log_cost);
    expect_that(fabs(storm.log_cost - storm.bill_usd) < 1e-6,
                "the usage log says $%.6f, the mock server billed the "
                "batch's model $%.6f: the cost of each line must be what "
                "the server charged for that call",
                storm.log_cost, storm.bill_usd);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_batch_prompt_is_deterministic_and_carries_the_config),
        cmocka_unit_test(test_batch_plan_paces_tier1_at_its_share),
        cmocka_unit_test(
            test_batch_plan_slows_down_for_large_calls_and_refuses_bad_shares),
        cmocka_unit_test(test_batch_plan_leaves_the_headroom_free),
        cmocka_unit_test_teardown(
            test_batch_run_reports_every_attempt_and_config, stop_plain),
        cmocka_unit_test(test_batch_storm_ends_with_no_failed_config),
        cmocka_unit_test(test_batch_storm_leaves_the_chatbot_unharmed),
        cmocka_unit_test(test_batch_storm_takes_the_time_its_share_allows),
        cmocka_unit_test(test_batch_storm_spend_matches_the_usage_log),
    };

    return HARNESS_MAIN("lab08-capstone", tests, NULL, NULL);
}
