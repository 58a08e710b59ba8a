/*
 * Lab 2's graded tests: the price table lookup, the metrics counters, the
 * summary, and, against the mock server, the cost compared with what the
 * server billed and the attempts compared with what it saw.
 *
 * Unit tests run on the fake clock, so every latency figure is exact. The
 * integration tests share one mock server, started once for the program.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fakes.h"
#include "harness.h"
#include "kit_chat.h"
#include "kit_http.h"
#include "metrics.h"
#include "pricing.h"

static mockproc server;
static bool server_up;

static int group_setup(void **state)
{
    (void)state;
    server_up = mockproc_start(&server, NULL) == 0;
    if (server_up)
        mockproc_export_env(&server);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mockproc_stop(&server);
    return 0;
}

static void require_server(void)
{
    expect_that(server_up, "the mock server did not start (see the message "
                           "above); run the tests with make so that "
                           "build/mockserver exists");
}

/* An attempt as kit_anthropic_call reports it. */
static kit_attempt attempt_with(kit_status status, long http_status)
{
    kit_attempt a;

    memset(&a, 0, sizeof(a));
    a.status = status;
    a.http_status = http_status;
    a.retry_after_ms = -1;
    return a;
}

static void record(metrics *m, kit_status status, long http_status)
{
    kit_attempt a = attempt_with(status, http_status);
    kit_status st = metrics_record_attempt(m, &a);

    expect_that(st == KIT_OK,
                "metrics_record_attempt returned \"%s\"; it "
                "must count the attempt and return KIT_OK",
                kit_strerror(st));
}

static void begin(metrics *m, metrics_call *call)
{
    kit_status st = metrics_call_begin(m, call);

    expect_that(st == KIT_OK,
                "metrics_call_begin returned \"%s\"; it must "
                "start the call's stopwatch and return KIT_OK",
                kit_strerror(st));
}

static void end(metrics *m, metrics_call *call, kit_status outcome,
                const char *model, long in, long out)
{
    kit_status st = metrics_call_end(m, call, outcome, model, in, out);

    expect_that(st == KIT_OK,
                "metrics_call_end(%s, %s, %ld in, %ld out) "
                "returned \"%s\"; it must record the call and return KIT_OK",
                kit_strerror(outcome), model ? model : "NULL", in, out,
                kit_strerror(st));
}

/* One whole call on the fake clock: begin, the attempts, `takes` ms, end. */
static void call_on(metrics *m, fake_clock *fc, const long *http_statuses,
                    size_t n, uint64_t takes, kit_status outcome,
                    const char *model, long in, long out)
{
    metrics_call call;

    begin(m, &call);
    for (size_t i = 0; i < n; i++)
        record(m, kit_status_from_http(http_statuses[i]), http_statuses[i]);
    fake_clock_advance(fc, takes);
    end(m, &call, outcome, model, in, out);
}

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-12;
}

/* ---- The price table ---------------------------------------------------- */

static void check_price(const char *name, const char *row_name, double in,
                        double out)
{
    const pricing_row *row = pricing_find(name);

    expect_that(row != NULL,
                "pricing_find(\"%s\") returned NULL; it must "
                "find the row of %s (read '.' as '-' and allow a snapshot "
                "suffix, see pricing.h)",
                name, row_name);
    expect_that(strcmp(row->model, row_name) == 0,
                "pricing_find(\"%s\") returned the row of %s; it must return "
                "the row of %s",
                name, row->model, row_name);
    expect_that(row->usd_in_per_mtok == in && row->usd_out_per_mtok == out,
                "the row of %s says %.3f / %.3f USD; the course's prices are "
                "%.3f / %.3f per million tokens",
                row_name, row->usd_in_per_mtok, row->usd_out_per_mtok, in, out);
}

static void test_pricing_finds_models_by_every_spelling(void **state)
{
    (void)state;
    check_price("claude-haiku-4.5", "claude-haiku-4.5", 1.00, 5.00);
    check_price("claude-haiku-4-5", "claude-haiku-4.5", 1.00, 5.00);
    check_price("claude-haiku-4-5-20251001", "claude-haiku-4.5", 1.00, 5.00);
    check_price("claude-sonnet-4-5", "claude-sonnet-4.5", 3.00, 15.00);
    check_price("claude-opus-4-5-latest", "claude-opus-4.5", 5.00, 25.00);
    check_price("gpt-4o", "gpt-4o", 2.50, 10.00);
    check_price("gpt-4o-2024-08-06", "gpt-4o", 2.50, 10.00);
    check_price("gemini-1.5-pro-002", "gemini-1.5-pro", 1.25, 5.00);
    check_price("gemini-1-5-flash", "gemini-1.5-flash", 0.075, 0.30);
}

static void test_pricing_tells_similar_names_apart(void **state)
{
    static const char *const unknown[] = {
        "claude-haiku", "claude-haiku-4", "claude-haiku-4.5x", "gpt-4",
        "gpt-4o-turbo", "gpt-4o-5",       "llama-3",           "",
        NULL,
    };

    (void)state;
    check_price("gpt-4o-mini", "gpt-4o-mini", 0.15, 0.60);
    check_price("gpt-4o-mini-2024-07-18", "gpt-4o-mini", 0.15, 0.60);
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        const pricing_row *row = pricing_find(unknown[i]);

        expect_that(row == NULL,
                    "pricing_find(\"%s\") returned the row of "
                    "%s; a name must match a row whole, plus at most a "
                    "snapshot suffix (\"-latest\" or digits), or nothing",
                    unknown[i] ? unknown[i] : "NULL", row ? row->model : "");
    }
}

static void check_cost(const char *model, long in, long out, double want)
{
    double got = pricing_cost_usd(pricing_find(model), in, out);

    expect_that(near(got, want),
                "pricing_cost_usd(%s, %ld in, %ld out) "
                "gave %.9f USD; prices are per MILLION tokens, so it costs "
                "in/1e6 x in_price + out/1e6 x out_price = %.9f",
                model, in, out, got, want);
}

static void test_pricing_cost_is_per_million_tokens(void **state)
{
    (void)state;
    check_cost("claude-haiku-4.5", 1000, 500, 0.0035);
    check_cost("claude-sonnet-4.5", 1000000, 1000000, 18.0);
    check_cost("claude-opus-4.5", 0, 2000, 0.05);
    check_cost("gpt-4o-mini", 2000, 1000, 0.0009);
    check_cost("gemini-1.5-flash", 4000, 0, 0.0003);
    expect_that(pricing_cost_usd(pricing_find("gpt-4o"), -1, 10) == -1.0,
                "pricing_cost_usd with a negative token count must return "
                "-1.0, not a price");
}

/* ---- Counting ------------------------------------------------------------ */

static void test_metrics_counts_calls_and_attempts_apart(void **state)
{
    static const long storm[] = {429, 0, 429, 200};
    fake_clock fc;
    metrics m;
    metrics_call call;

    (void)state;
    fake_clock_init(&fc, 1000, 1700000000);
    metrics_init(&m, &fc.clock);
    begin(&m, &call);
    record(&m, KIT_ERR_RATE_LIMIT, storm[0]);
    record(&m, KIT_ERR_TIMEOUT, storm[1]);
    record(&m, KIT_ERR_RATE_LIMIT, storm[2]);
    record(&m, KIT_OK, storm[3]);
    end(&m, &call, KIT_OK, "claude-haiku-4.5", 100, 50);

    expect_that(m.calls == 1,
                "one call that needed 4 attempts counted as %ld "
                "calls; a call is what the user asked for, count it once",
                m.calls);
    expect_that(m.attempts == 4,
                "the call made 4 HTTP attempts (429, "
                "timeout, 429, 200) but attempts is %ld; count every attempt, "
                "failed ones included",
                m.attempts);
    expect_that(m.successes == 1 && m.failures == 0,
                "the call succeeded in "
                "the end, yet successes = %ld and failures = %ld; a retried "
                "attempt is not a failed call",
                m.successes, m.failures);
    expect_that(m.rate_limit_hits == 2,
                "two attempts were answered 429 but "
                "rate_limit_hits is %ld; count attempts whose http_status is "
                "429 (a timeout has no HTTP status)",
                m.rate_limit_hits);
    fake_clock_destroy(&fc);
}

static void test_metrics_measures_latency_on_the_injected_clock(void **state)
{
    fake_clock fc;
    metrics m;
    metrics_call call;

    (void)state;
    fake_clock_init(&fc, 5000, 1700000000);
    metrics_init(&m, &fc.clock);

    begin(&m, &call);
    expect_that(call.started_ms == 5000,
                "call.started_ms is %llu but the "
                "clock you were given says 5000; read the time with "
                "kit_clock_now_ms(m->clock), never the real clock",
                (unsigned long long)call.started_ms);
    fake_clock_advance(&fc, 250);
    end(&m, &call, KIT_OK, "claude-haiku-4.5", 10, 10);
    expect_that(call.latency_ms == 250,
                "the call took 250 ms on the test's "
                "clock but call.latency_ms is %llu; latency is now_ms at the "
                "end minus started_ms",
                (unsigned long long)call.latency_ms);

    /* A failed call kept the user waiting too: its time counts. */
    begin(&m, &call);
    kit_clock_sleep_ms(&fc.clock, 1000);
    end(&m, &call, KIT_ERR_SERVER, NULL, 0, 0);
    expect_that(call.latency_ms == 1000,
                "the second call took 1000 ms but "
                "call.latency_ms is %llu",
                (unsigned long long)call.latency_ms);
    expect_that(m.total_latency_ms == 1250,
                "two calls took 250 and 1000 ms "
                "but total_latency_ms is %llu; add every finished call's "
                "latency, failed calls included",
                (unsigned long long)m.total_latency_ms);
    fake_clock_destroy(&fc);
}

static void test_metrics_failed_call_adds_no_tokens_or_cost(void **state)
{
    static const long auth[] = {401};
    fake_clock fc;
    metrics m;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    metrics_init(&m, &fc.clock);
    call_on(&m, &fc, auth, 1, 30, KIT_ERR_AUTH, NULL, 0, 0);
    call_on(&m, &fc, auth, 1, 30, KIT_ERR_AUTH, "claude-opus-4.5", 500, 500);

    expect_that(m.calls == 2 && m.failures == 2 && m.successes == 0,
                "two calls failed with 401, yet calls = %ld, failures = %ld, "
                "successes = %ld",
                m.calls, m.failures, m.successes);
    expect_that(m.input_tokens == 0 && m.output_tokens == 0 &&
                    m.cost_usd == 0.0,
                "failed calls added %ld input tokens, %ld output tokens and "
                "%.6f USD; a failed call is not billed, add nothing for it",
                m.input_tokens, m.output_tokens, m.cost_usd);
    fake_clock_destroy(&fc);
}

static void test_metrics_rejects_a_success_without_a_model(void **state)
{
    metrics m;
    metrics_call call;
    kit_status st;

    (void)state;
    metrics_init(&m, NULL);
    begin(&m, &call);
    st = metrics_call_end(&m, &call, KIT_OK, NULL, 10, 10);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "metrics_call_end of a success "
                "with a NULL model returned \"%s\"; without a model there is "
                "no price, so it must refuse with KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    st = metrics_call_end(&m, &call, KIT_OK, "claude-haiku-4.5", -5, 10);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "metrics_call_end with -5 input "
                "tokens returned \"%s\"; it must refuse negative counts with "
                "KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    expect_that(m.calls == 0 && m.input_tokens == 0,
                "a refused metrics_call_end still counted (calls = %ld, "
                "input tokens = %ld); check the arguments before counting",
                m.calls, m.input_tokens);
}

static void test_metrics_adds_cost_from_the_price_table(void **state)
{
    static const long ok[] = {200};
    fake_clock fc;
    metrics m;
    metrics_call call;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    metrics_init(&m, &fc.clock);

    begin(&m, &call);
    record(&m, KIT_OK, 200);
    end(&m, &call, KIT_OK, "claude-haiku-4.5", 1200, 300);
    expect_that(near(call.cost_usd, 0.0027),
                "a claude-haiku-4.5 call of 1200 "
                "in and 300 out costs 0.0012 + 0.0015 = 0.0027 USD, but "
                "call.cost_usd is %.9f",
                call.cost_usd);
    call_on(&m, &fc, ok, 1, 10, KIT_OK, "claude-sonnet-4-5", 800, 400);
    call_on(&m, &fc, ok, 1, 10, KIT_OK, "gpt-4o", 1000, 1000);

    expect_that(near(m.cost_usd, 0.0027 + 0.0084 + 0.0125),
                "three calls cost 0.0027 (haiku) + 0.0084 (sonnet, spelled "
                "claude-sonnet-4-5) + 0.0125 (gpt-4o) = 0.0236 USD, but "
                "cost_usd is %.9f",
                m.cost_usd);
    expect_that(m.input_tokens == 3000 && m.output_tokens == 1700,
                "the calls used 3000 input and 1700 output tokens, but the "
                "metrics say %ld and %ld",
                m.input_tokens, m.output_tokens);
    expect_that(m.unpriced_calls == 0,
                "every model had a price, yet "
                "unpriced_calls is %ld",
                m.unpriced_calls);
    fake_clock_destroy(&fc);
}

static void test_metrics_counts_unpriced_models_apart(void **state)
{
    static const long ok[] = {200};
    fake_clock fc;
    metrics m;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    metrics_init(&m, &fc.clock);
    call_on(&m, &fc, ok, 1, 10, KIT_OK, "llama-3-70b", 400, 100);
    call_on(&m, &fc, ok, 1, 10, KIT_OK, "claude-haiku-4.5", 1000, 0);

    expect_that(m.successes == 2,
                "two calls succeeded but successes is %ld; "
                "a model with no price still answered",
                m.successes);
    expect_that(m.unpriced_calls == 1,
                "one call used llama-3-70b, which has "
                "no price, but unpriced_calls is %ld",
                m.unpriced_calls);
    expect_that(m.input_tokens == 1400 && m.output_tokens == 100,
                "the unpriced call's tokens must still count: expected 1400 "
                "in and 100 out, got %ld and %ld",
                m.input_tokens, m.output_tokens);
    expect_that(near(m.cost_usd, 0.001),
                "the cost is %.9f; only the "
                "haiku call has a price (0.001 USD), the unpriced one adds 0",
                m.cost_usd);
    fake_clock_destroy(&fc);
}

/* ---- The summary --------------------------------------------------------- */

/* The example of metrics.h: 3 calls (2 ok), 7 attempts (3 were 429),
 * 1000 + 234 tokens of claude-haiku-4.5, 1237 ms in all. */
static void fill_example(metrics *m, fake_clock *fc)
{
    static const long first[] = {429, 429, 200};
    static const long second[] = {200};
    static const long third[] = {503, 429, 503};

    fake_clock_init(fc, 0, 1700000000);
    metrics_init(m, &fc->clock);
    call_on(m, fc, first, 3, 600, KIT_OK, "claude-haiku-4.5", 700, 200);
    call_on(m, fc, second, 1, 137, KIT_OK, "claude-haiku-4-5", 300, 34);
    call_on(m, fc, third, 3, 500, KIT_ERR_SERVER, NULL, 0, 0);
}

static void test_metrics_success_rate_is_over_calls_not_attempts(void **state)
{
    fake_clock fc;
    metrics m;
    metrics_summary s;
    kit_status st;

    (void)state;
    fill_example(&m, &fc);
    st = metrics_summarize(&m, &s);
    expect_that(st == KIT_OK, "metrics_summarize returned \"%s\"",
                kit_strerror(st));
    expect_that(s.calls == 3 && s.successes == 2 && s.failures == 1 &&
                    s.attempts == 7 && s.rate_limit_hits == 3,
                "the summary counts %ld calls (%ld ok, %ld failed), %ld "
                "attempts, %ld rate-limited; expected 3 (2, 1), 7, 3",
                s.calls, s.successes, s.failures, s.attempts,
                s.rate_limit_hits);
    expect_that(fabs(s.success_rate - 2.0 / 3.0) < 1e-9,
                "the success rate is %.4f; it is successful CALLS over calls, "
                "2/3 = 0.6667 (over attempts it would be 2/7, and every retry "
                "would look like a failure)",
                s.success_rate);
    fake_clock_destroy(&fc);
}

static void
test_metrics_summary_totals_tokens_and_averages_latency(void **state)
{
    fake_clock fc;
    metrics m;
    metrics_summary s;
    kit_status st;

    (void)state;
    fill_example(&m, &fc);
    st = metrics_summarize(&m, &s);
    expect_that(st == KIT_OK, "metrics_summarize returned \"%s\"",
                kit_strerror(st));
    expect_that(s.total_tokens == 1234,
                "total_tokens is %ld; it is input "
                "plus output tokens, 1000 + 234 = 1234",
                s.total_tokens);
    expect_that(fabs(s.avg_latency_ms - 1237.0 / 3.0) < 1e-9,
                "avg_latency_ms is %.4f; three calls took 600, 137 and 500 "
                "ms, so the average over calls is 412.3333",
                s.avg_latency_ms);
    expect_that(near(s.cost_usd, 0.00217),
                "the summary's cost is %.9f; "
                "expected 0.002170 USD",
                s.cost_usd);
    fake_clock_destroy(&fc);
}

static void test_metrics_summary_of_no_calls_is_zero(void **state)
{
    metrics m;
    metrics_summary s;
    kit_status st;

    (void)state;
    metrics_init(&m, NULL);
    memset(&s, 0xff, sizeof(s));
    st = metrics_summarize(&m, &s);
    expect_that(st == KIT_OK,
                "metrics_summarize of fresh metrics returned "
                "\"%s\"",
                kit_strerror(st));
    expect_that(s.success_rate == 0.0 && s.avg_latency_ms == 0.0 &&
                    s.calls == 0 && s.total_tokens == 0,
                "with no calls the success rate is %f and the average latency "
                "%f; both must be 0 (dividing by zero calls gives NaN)",
                s.success_rate, s.avg_latency_ms);
}

static void test_metrics_format_writes_the_five_summary_lines(void **state)
{
    static const char want[] = "calls: 3 (2 ok, 1 failed, success rate 66.7%)\n"
                               "attempts: 7 (3 rate-limited)\n"
                               "tokens: 1234 (1000 in, 234 out)\n"
                               "cost: $0.002170\n"
                               "avg latency: 412.3 ms\n";
    fake_clock fc;
    metrics m;
    char buf[512];
    kit_status st;

    (void)state;
    fill_example(&m, &fc);
    memset(buf, 0, sizeof(buf));
    st = metrics_format(&m, buf, sizeof(buf));
    expect_that(st == KIT_OK, "metrics_format returned \"%s\"",
                kit_strerror(st));
    expect_that(strcmp(buf, want) == 0,
                "metrics_format wrote:\n%s\nbut "
                "metrics.h asks for exactly:\n%s",
                buf, want);
    fake_clock_destroy(&fc);
}

static void test_metrics_format_reports_a_short_buffer(void **state)
{
    fake_clock fc;
    metrics m;
    char buf[21];
    kit_status st;

    (void)state;
    fill_example(&m, &fc);
    memset(buf, 'X', sizeof(buf));
    st = metrics_format(&m, buf, 20);
    expect_that(st == KIT_ERR_TOO_LARGE,
                "metrics_format into 20 bytes "
                "returned \"%s\"; the summary does not fit, so it must say "
                "KIT_ERR_TOO_LARGE (snprintf returns the length it needed)",
                kit_strerror(st));
    expect_that(memchr(buf, '\0', 20) != NULL && strlen(buf) == 19 &&
                    buf[20] == 'X',
                "a short buffer must hold as much as fits, NUL-terminated, "
                "and nothing past its end");
    expect_that(strncmp(buf, "calls: 3 (2 ok, 1 f", 19) == 0,
                "the short buffer holds \"%s\"; it must hold the start of "
                "the summary",
                buf);
    fake_clock_destroy(&fc);
}

/* ---- Against the mock server ----------------------------------------------
 * The test plays the client: one kit_anthropic_call per attempt, retried at
 * once on a transient status, every attempt recorded in the metrics. */

typedef struct wire {
    kit_transport transport;
    kit_endpoint endpoint;
    char key[96];
} wire;

static void wire_open(wire *w, const char *tag)
{
    kit_status st;

    require_server();
    memset(w, 0, sizeof(*w));
    unique_key(w->key, sizeof(w->key), tag);
    w->endpoint.base_url = server.base_url;
    w->endpoint.api_key = w->key;
    st = kit_curl_create(NULL, &w->transport);
    expect_that(st == KIT_OK, "kit_curl_create failed: %s", kit_strerror(st));
}

static bool transient(long http_status)
{
    return http_status == 429 || http_status >= 500;
}

/* One call: up to 5 attempts. Returns the call's status. */
static kit_status wire_call(wire *w, metrics *m, const char *model,
                            const char *prompt, kit_chat_reply *reply)
{
    kit_chat_request req = {
        .model = model,
        .prompt = prompt,
        .max_tokens = 200,
        .temperature = -1.0,
        .timeout_ms = 5000,
    };
    metrics_call call;
    kit_attempt info;
    kit_status st = KIT_ERR_NOT_IMPLEMENTED;

    memset(reply, 0, sizeof(*reply));
    begin(m, &call);
    for (int i = 0; i < 5; i++) {
        st =
            kit_anthropic_call(&w->transport, &w->endpoint, &req, reply, &info);
        record(m, info.status, info.http_status);
        if (st == KIT_OK || !transient(info.http_status))
            break;
    }
    end(m, &call, st, st == KIT_OK ? reply->model : NULL,
        st == KIT_OK ? reply->input_tokens : 0,
        st == KIT_OK ? reply->output_tokens : 0);
    return st;
}

static double bill_number(const cJSON *bill, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(bill, name);

    return cJSON_IsNumber(item) ? item->valuedouble : -1.0;
}

static void test_metrics_cost_matches_the_mock_server_bill(void **state)
{
    static const struct {
        const char *model, *prompt;
    } calls[] = {
        {"claude-haiku-4.5", "What does BGP use to pick the best path?"},
        {"claude-sonnet-4-5", "Explain OSPF areas to a new NOC engineer."},
        {"claude-opus-4.5", "Summarise this config: interface Gi0/1, "
                            "switchport mode trunk, allowed vlan 10,20,30."},
        {"claude-haiku-4-5", "What is a VLAN?"},
    };
    wire w;
    metrics m;
    cJSON *bill;
    kit_chat_reply reply;

    (void)state;
    wire_open(&w, "bill");
    metrics_init(&m, NULL);
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        kit_status st =
            wire_call(&w, &m, calls[i].model, calls[i].prompt, &reply);

        expect_that(st == KIT_OK, "call %zu to the mock server failed: %s",
                    i + 1, kit_strerror(st));
        kit_chat_reply_clear(&reply);
    }
    kit_curl_destroy(&w.transport);

    bill = mockctl_bill(&server, w.key);
    expect_that(bill != NULL, "GET /_mock/bill did not answer");
    expect_that(m.input_tokens == (long)bill_number(bill, "input_tokens") &&
                    m.output_tokens == (long)bill_number(bill, "output_tokens"),
                "the server billed %.0f input and %.0f output tokens, the "
                "metrics counted %ld and %ld; add each reply's usage once per "
                "successful call",
                bill_number(bill, "input_tokens"),
                bill_number(bill, "output_tokens"), m.input_tokens,
                m.output_tokens);
    expect_that(fabs(m.cost_usd - bill_number(bill, "usd")) < 1e-9,
                "the server billed %.9f USD for these 4 calls, the metrics "
                "say %.9f; price each call by the model the reply names, "
                "from the table, per million tokens",
                bill_number(bill, "usd"), m.cost_usd);
    cJSON_Delete(bill);
}

static void test_metrics_attempts_match_the_server_journal(void **state)
{
    wire w;
    metrics m;
    kit_chat_reply reply;
    kit_status first, second;
    int seen;

    (void)state;
    wire_open(&w, "journal");
    expect_that(mockctl_put_script(&server, w.key,
                                   "{\"steps\":[{\"status\":429},"
                                   "{\"status\":503},{\"status\":529},"
                                   "{\"status\":200},{\"status\":401}],"
                                   "\"then\":\"ok\"}") == 200,
                "the mock server refused the test's script");
    metrics_init(&m, NULL);
    first = wire_call(&w, &m, "claude-haiku-4.5", "ping", &reply);
    kit_chat_reply_clear(&reply);
    second = wire_call(&w, &m, "claude-haiku-4.5", "ping", &reply);
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&w.transport);

    expect_that(first == KIT_OK && second == KIT_ERR_AUTH,
                "the script gives 429, 503, 529, 200 then 401; the test's "
                "calls ended \"%s\" and \"%s\"",
                kit_strerror(first), kit_strerror(second));
    seen = mockctl_count(&server, w.key);
    expect_that(m.attempts == seen,
                "the server saw %d requests but the "
                "metrics counted %ld attempts; count each attempt once, "
                "whatever its outcome",
                seen, m.attempts);
    expect_that(m.calls == 2 && m.successes == 1 && m.failures == 1,
                "two calls were made (one succeeded after 3 retries, one got "
                "401), yet calls = %ld, successes = %ld, failures = %ld",
                m.calls, m.successes, m.failures);
    expect_that(m.rate_limit_hits == 1,
                "the server answered 429 once but "
                "rate_limit_hits is %ld; 503 and 529 are not rate limits",
                m.rate_limit_hits);
}

/* ---- Extras ----------------------------------------------------------------
 */

static void test_metrics_extra_breaks_cost_down_by_model(void **state)
{
    static const long ok[] = {200};
    fake_clock fc;
    metrics m;
    const metrics_model *haiku, *sonnet;

    (void)state;
    fake_clock_init(&fc, 0, 1700000000);
    metrics_init(&m, &fc.clock);
    call_on(&m, &fc, ok, 1, 10, KIT_OK, "claude-haiku-4.5", 1200, 300);
    call_on(&m, &fc, ok, 1, 10, KIT_OK, "claude-sonnet-4.5", 800, 400);
    call_on(&m, &fc, ok, 1, 10, KIT_OK, "claude-haiku-4-5-20251001", 1000, 0);
    call_on(&m, &fc, ok, 1, 10, KIT_ERR_SERVER, NULL, 0, 0);

    haiku = metrics_find_model(&m, "claude-haiku-4-5");
    sonnet = metrics_find_model(&m, "claude-sonnet-4.5");
    expect_that(haiku && sonnet,
                "metrics_find_model found %s for haiku and "
                "%s for sonnet; both answered calls",
                haiku ? "a row" : "NULL", sonnet ? "a row" : "NULL");
    expect_that(haiku->calls == 2 && near(haiku->cost_usd, 0.0037),
                "claude-haiku-4.5 answered 2 calls (one spelled "
                "claude-haiku-4-5-20251001) costing 0.0037 USD; its row says "
                "%ld calls and %.9f USD: key the rows by the table's name",
                haiku->calls, haiku->cost_usd);
    expect_that(sonnet->calls == 1 && near(sonnet->cost_usd, 0.0084) &&
                    sonnet->input_tokens == 800 && sonnet->output_tokens == 400,
                "claude-sonnet-4.5's row says %ld calls, %ld in, %ld out, "
                "%.9f USD; expected 1, 800, 400, 0.0084",
                sonnet->calls, sonnet->input_tokens, sonnet->output_tokens,
                sonnet->cost_usd);
    expect_that(m.n_models == 2,
                "the breakdown has %zu rows; two models "
                "answered (a failed call adds no row)",
                m.n_models);
    expect_that(metrics_find_model(&m, "gpt-4o") == NULL,
                "metrics_find_model(\"gpt-4o\") must be NULL: it answered no "
                "call");
    fake_clock_destroy(&fc);
}

static double json_number(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    expect_that(cJSON_IsNumber(item), "the JSON has no number \"%s\"", name);
    return item->valuedouble;
}

static void test_metrics_extra_exports_json(void **state)
{
    fake_clock fc;
    metrics m;
    char buf[2048], tiny[16];
    const char *end = NULL;
    cJSON *root, *models, *row;
    kit_status st;

    (void)state;
    fill_example(&m, &fc);
    st = metrics_to_json(&m, buf, sizeof(buf));
    expect_that(st == KIT_OK, "metrics_to_json returned \"%s\"",
                kit_strerror(st));
    root = cJSON_ParseWithLengthOpts(buf, strlen(buf) + 1, &end, true);
    expect_that(root != NULL,
                "metrics_to_json wrote text that is not JSON: "
                "%s",
                buf);
    expect_that(json_number(root, "calls") == 3 &&
                    json_number(root, "successes") == 2 &&
                    json_number(root, "failures") == 1 &&
                    json_number(root, "attempts") == 7 &&
                    json_number(root, "rate_limit_hits") == 3 &&
                    json_number(root, "input_tokens") == 1000 &&
                    json_number(root, "output_tokens") == 234 &&
                    json_number(root, "total_latency_ms") == 1237 &&
                    json_number(root, "unpriced_calls") == 0,
                "the JSON's counters do not match the metrics: %s", buf);
    expect_that(
        near(json_number(root, "cost_usd"), m.cost_usd) &&
            fabs(json_number(root, "success_rate") - 2.0 / 3.0) < 1e-6 &&
            fabs(json_number(root, "avg_latency_ms") - 1237.0 / 3.0) < 1e-3,
        "the JSON's cost, success rate or average latency is off: %s", buf);
    models = cJSON_GetObjectItemCaseSensitive(root, "models");
    row = cJSON_GetArrayItem(models, 0);
    expect_that(
        cJSON_IsArray(models) && cJSON_GetArraySize(models) == 1 &&
            cJSON_IsString(cJSON_GetObjectItemCaseSensitive(row, "model")),
        "\"models\" must be an array with one row for "
        "claude-haiku-4.5: %s",
        buf);
    expect_that(
        strcmp(cJSON_GetObjectItemCaseSensitive(row, "model")->valuestring,
               "claude-haiku-4.5") == 0 &&
            json_number(row, "calls") == 2 &&
            json_number(row, "input_tokens") == 1000 &&
            json_number(row, "output_tokens") == 234 &&
            near(json_number(row, "cost_usd"), 0.00217),
        "the model row is wrong: %s", buf);
    cJSON_Delete(root);

    st = metrics_to_json(&m, tiny, sizeof(tiny));
    expect_that(st == KIT_ERR_TOO_LARGE,
                "metrics_to_json into 16 bytes "
                "returned \"%s\"; it must say KIT_ERR_TOO_LARGE",
                kit_strerror(st));
    fake_clock_destroy(&fc);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pricing_finds_models_by_every_spelling),
        cmocka_unit_test(test_pricing_tells_similar_names_apart),
        cmocka_unit_test(test_pricing_cost_is_per_million_tokens),
        cmocka_unit_test(test_metrics_counts_calls_and_attempts_apart),
        cmocka_unit_test(test_metrics_measures_latency_on_the_injected_clock),
        cmocka_unit_test(test_metrics_failed_call_adds_no_tokens_or_cost),
        cmocka_unit_test(test_metrics_rejects_a_success_without_a_model),
        cmocka_unit_test(test_metrics_adds_cost_from_the_price_table),
        cmocka_unit_test(test_metrics_counts_unpriced_models_apart),
        cmocka_unit_test(test_metrics_success_rate_is_over_calls_not_attempts),
        cmocka_unit_test(
            test_metrics_summary_totals_tokens_and_averages_latency),
        cmocka_unit_test(test_metrics_summary_of_no_calls_is_zero),
        cmocka_unit_test(test_metrics_format_writes_the_five_summary_lines),
        cmocka_unit_test(test_metrics_format_reports_a_short_buffer),
        cmocka_unit_test(test_metrics_cost_matches_the_mock_server_bill),
        cmocka_unit_test(test_metrics_attempts_match_the_server_journal),
        cmocka_unit_test(test_metrics_extra_breaks_cost_down_by_model),
        cmocka_unit_test(test_metrics_extra_exports_json),
    };

    return HARNESS_MAIN("lab02-metrics", tests, group_setup, group_teardown);
}
