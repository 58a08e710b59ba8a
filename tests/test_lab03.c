/*
 * Lab 3's graded tests: the resilient client. Unit tests drive it through
 * the fake clock and the fake transport, so schedules and latencies are
 * exact and nothing sleeps; integration tests run it against one mock
 * server (started once for the program) and read the server's journal to
 * see what the client really did on the wire.
 *
 * Graded builds link the reference labs 1 and 2, so these tests judge
 * client.c alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fakes.h"
#include "harness.h"

static mockproc server;
static bool server_up;

static void make_bodies(void);

static int group_setup(void **state)
{
    (void)state;
    make_bodies();
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

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-12;
}

/* ---- Unit rig: a client on the fake clock and the fake transport -------- */

#define ERR_BODY(type, msg)                                                    \
    "{\"type\":\"error\",\"error\":{\"type\":\"" type "\",\"message\":\"" msg  \
    "\"}}"

static const char body_400[] =
    ERR_BODY("invalid_request_error", "prompt is too long");
static const char body_401[] =
    ERR_BODY("authentication_error", "invalid x-api-key");
static const char body_403[] =
    ERR_BODY("permission_error", "this key may not use the model");
static const char body_404[] = ERR_BODY("not_found_error", "model: nope");
static const char body_429[] = ERR_BODY("rate_limit_error", "slow down");
static const char body_503[] = ERR_BODY("api_error", "upstream unavailable");

/* fake_anthropic_ok reuses one buffer: each reply the tests need is copied
 * here once. */
static char ok_hello[4096], ok_small[4096];

static void make_bodies(void)
{
    snprintf(ok_hello, sizeof(ok_hello), "%s",
             fake_anthropic_ok("Hello from the fake", 1200, 300));
    snprintf(ok_small, sizeof(ok_small), "%s", fake_anthropic_ok("ok", 10, 2));
}

typedef struct rig {
    fake_clock fc;
    fake_transport ft;
    client *c;
    client_result r;
} rig;

/* The unit tests' config: 100 ms doubling to a 1000 ms cap. */
static client_config rig_config(rig *g, int max_retries)
{
    client_config cfg = CLIENT_CONFIG_DEFAULT;

    cfg.api_key = "test-key-unit";
    cfg.base_url = "http://fake.invalid";
    cfg.retry.max_retries = max_retries;
    cfg.retry.initial_delay_ms = 100;
    cfg.retry.max_delay_ms = 1000;
    cfg.timeout_ms = 2000;
    cfg.clock = &g->fc.clock;
    cfg.transport = &g->ft.transport;
    return cfg;
}

static void rig_start(rig *g, const fake_step *steps, size_t n)
{
    memset(g, 0, sizeof(*g));
    fake_clock_init(&g->fc, 10000, 1700000000);
    fake_transport_init(&g->ft, steps, n, &g->fc);
}

static void rig_create(rig *g, const client_config *cfg)
{
    char err[256] = "";
    kit_status st = client_create(cfg, &g->c, err, sizeof(err));

    expect_that(st == KIT_OK && g->c != NULL,
                "client_create returned \"%s\" "
                "(%s) for a valid config; it must return KIT_OK and a client",
                kit_strerror(st), err);
}

static void rig_open(rig *g, const fake_step *steps, size_t n, int retries)
{
    client_config cfg;

    rig_start(g, steps, n);
    cfg = rig_config(g, retries);
    rig_create(g, &cfg);
}

static kit_status rig_call(rig *g, const char *prompt)
{
    client_call_params p = {
        .prompt = prompt,
        .max_tokens = 100,
        .temperature = -1.0,
    };

    client_result_clear(&g->r);
    return client_call(g->c, &p, &g->r);
}

static void rig_close(rig *g)
{
    client_result_clear(&g->r);
    client_destroy(g->c);
    g->c = NULL;
    fake_clock_destroy(&g->fc);
}

static void expect_sleeps(const rig *g, const uint64_t *want, size_t n)
{
    char got[256] = "", expected[256] = "";
    size_t used = 0;
    bool same = g->fc.n_sleeps == n;

    for (size_t i = 0; i < g->fc.n_sleeps && i < 16; i++) {
        int w = snprintf(got + used, sizeof(got) - used, "%s%llu",
                         i ? ", " : "", (unsigned long long)g->fc.sleeps[i]);
        if (w > 0 && (size_t)w < sizeof(got) - used)
            used += (size_t)w;
        if (i < n && g->fc.sleeps[i] != want[i])
            same = false;
    }
    used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(expected + used, sizeof(expected) - used, "%s%llu",
                         i ? ", " : "", (unsigned long long)want[i]);
        if (w > 0 && (size_t)w < sizeof(expected) - used)
            used += (size_t)w;
    }
    expect_that(same,
                "the client slept [%s] ms; with 100 ms doubling and "
                "the server's retry-after it must sleep [%s], through the "
                "clock in the config (never sleep() or the real clock)",
                got, expected);
}

/* ---- Creating a client ----------------------------------------------------
 */

static void test_client_create_reads_the_key_from_the_environment(void **state)
{
    fake_step steps[1];
    client_config cfg;
    rig g;

    (void)state;
    steps[0] = fake_ok(ok_small, 1);
    rig_start(&g, steps, 1);
    setenv("ANTHROPIC_API_KEY", "  test-key-from-env\n", 1);
    cfg = rig_config(&g, 0);
    cfg.api_key = NULL;
    rig_create(&g, &cfg);
    expect_that(rig_call(&g, "ping") == KIT_OK,
                "a call on the fake transport "
                "failed: %s",
                g.r.error);
    expect_that(strstr(g.ft.last_headers, "x-api-key: test-key-from-env\n") !=
                    NULL,
                "with no api_key in the config the client must send the key "
                "from ANTHROPIC_API_KEY (trimmed); it sent these headers:\n%s",
                g.ft.last_headers);
    rig_close(&g);

    /* The configured key wins over the environment. */
    steps[0] = fake_ok(ok_small, 1);
    rig_start(&g, steps, 1);
    cfg = rig_config(&g, 0);
    cfg.api_key = "test-key-from-config";
    rig_create(&g, &cfg);
    expect_that(rig_call(&g, "ping") == KIT_OK, "a call failed: %s", g.r.error);
    expect_that(strstr(g.ft.last_headers, "x-api-key: test-key-from-config") !=
                    NULL,
                "the config names api_key, so the client must send it rather "
                "than the environment's; it sent:\n%s",
                g.ft.last_headers);
    rig_close(&g);

    /* Another variable, when the config says so. */
    steps[0] = fake_ok(ok_small, 1);
    rig_start(&g, steps, 1);
    setenv("LAB3_OTHER_KEY", "test-key-other-var", 1);
    cfg = rig_config(&g, 0);
    cfg.api_key = NULL;
    cfg.key_env = "LAB3_OTHER_KEY";
    rig_create(&g, &cfg);
    expect_that(rig_call(&g, "ping") == KIT_OK, "a call failed: %s", g.r.error);
    expect_that(strstr(g.ft.last_headers, "x-api-key: test-key-other-var") !=
                    NULL,
                "cfg.key_env = LAB3_OTHER_KEY, so the key must come from that "
                "variable; the client sent:\n%s",
                g.ft.last_headers);
    rig_close(&g);
    unsetenv("LAB3_OTHER_KEY");
    unsetenv("ANTHROPIC_API_KEY");
    client_destroy(NULL);
}

static void test_client_create_names_the_missing_key_variable(void **state)
{
    static const char *const empty_values[] = {NULL, "", "   "};
    fake_step steps[1];
    client_config cfg;
    char err[256];
    client *c;
    rig g;

    (void)state;
    steps[0] = fake_ok(ok_small, 1);
    rig_start(&g, steps, 1);
    cfg = rig_config(&g, 0);
    cfg.api_key = NULL;
    for (size_t i = 0; i < 3; i++) {
        kit_status st;

        if (empty_values[i])
            setenv("ANTHROPIC_API_KEY", empty_values[i], 1);
        else
            unsetenv("ANTHROPIC_API_KEY");
        c = (client *)&g; /* anything but NULL: it must be reset */
        strcpy(err, "untouched");
        st = client_create(&cfg, &c, err, sizeof(err));
        expect_that(st == KIT_ERR_NO_KEY,
                    "with ANTHROPIC_API_KEY %s and no "
                    "key in the config, client_create returned \"%s\"; it "
                    "must return KIT_ERR_NO_KEY",
                    empty_values[i] ? "empty" : "unset", kit_strerror(st));
        expect_that(c == NULL, "a failed client_create must set *out to NULL");
        expect_that(strstr(err, "ANTHROPIC_API_KEY") != NULL,
                    "the error was \"%s\"; it must name the variable to set, "
                    "ANTHROPIC_API_KEY, so the user knows the fix",
                    err);
    }
    cfg.key_env = "LAB3_MISSING_KEY";
    unsetenv("LAB3_MISSING_KEY");
    c = NULL;
    expect_that(client_create(&cfg, &c, err, sizeof(err)) == KIT_ERR_NO_KEY &&
                    strstr(err, "LAB3_MISSING_KEY") != NULL,
                "with cfg.key_env = LAB3_MISSING_KEY unset, the error must "
                "name LAB3_MISSING_KEY; it was \"%s\"",
                err);
    expect_that(g.ft.calls == 0, "client_create sent a request; it must not "
                                 "touch the network");
    fake_clock_destroy(&g.fc);
}

static void test_client_create_rejects_a_bad_config(void **state)
{
    fake_step steps[1];
    client_config cfg;
    client *c = NULL;
    char err[256];
    kit_status st;
    rig g;

    (void)state;
    steps[0] = fake_ok(ok_small, 1);
    rig_start(&g, steps, 1);

    st = client_create(NULL, &c, err, sizeof(err));
    expect_that(st == KIT_ERR_INVALID_ARG && c == NULL,
                "client_create(NULL "
                "config) returned \"%s\"; it must be KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    cfg = rig_config(&g, 3);
    cfg.retry.multiplier = 0;
    st = client_create(&cfg, &c, err, sizeof(err));
    expect_that(st == KIT_ERR_INVALID_ARG && c == NULL,
                "a config with "
                "retry.multiplier = 0 gave \"%s\"; backoff_run would refuse "
                "every call, so client_create must refuse it up front with "
                "KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    cfg = rig_config(&g, -1);
    st = client_create(&cfg, &c, err, sizeof(err));
    expect_that(st == KIT_ERR_INVALID_ARG && c == NULL,
                "max_retries = -1 "
                "gave \"%s\"; it must be KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    cfg = rig_config(&g, 3);
    cfg.timeout_ms = 0;
    st = client_create(&cfg, &c, err, sizeof(err));
    expect_that(st == KIT_ERR_INVALID_ARG && c == NULL,
                "timeout_ms = 0 gave "
                "\"%s\"; it must be KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    fake_clock_destroy(&g.fc);
}

/* ---- One call -------------------------------------------------------------
 */

static void
test_client_call_returns_text_tokens_cost_and_timestamp(void **state)
{
    fake_step steps[1];
    kit_status st;
    rig g;

    (void)state;
    steps[0] = fake_ok(ok_hello, 42);
    rig_start(&g, steps, 1);
    {
        client_config cfg = rig_config(&g, 3);

        rig_create(&g, &cfg);
    }
    fake_clock_advance(&g.fc, 5000); /* wall clock: 1700000005 */
    st = rig_call(&g, "hello?");
    expect_that(st == KIT_OK && g.r.status == KIT_OK,
                "the call returned "
                "\"%s\" (result status \"%s\"); the fake answered 200",
                kit_strerror(st), kit_strerror(g.r.status));
    expect_that(g.r.text && strcmp(g.r.text, "Hello from the fake") == 0,
                "result.text is \"%s\"; it must be the reply's text",
                g.r.text ? g.r.text : "(NULL)");
    expect_that(strcmp(g.r.model, "claude-haiku-4-5") == 0,
                "result.model is "
                "\"%s\"; it must be the model the reply names",
                g.r.model);
    expect_that(g.r.input_tokens == 1200 && g.r.output_tokens == 300,
                "the reply used 1200 input and 300 output tokens; the result "
                "says %ld and %ld",
                g.r.input_tokens, g.r.output_tokens);
    expect_that(near(g.r.cost_usd, 0.0027),
                "1200 in + 300 out on "
                "claude-haiku-4.5 costs 0.0027 USD; result.cost_usd is %.9f "
                "(use lab 2's metrics_call_end, it prices the call)",
                g.r.cost_usd);
    expect_that(g.r.latency_ms == 42,
                "the exchange took 42 ms on the fake "
                "clock; result.latency_ms is %llu (time the call on the "
                "config's clock)",
                (unsigned long long)g.r.latency_ms);
    expect_that(g.r.timestamp_s == 1700000005,
                "result.timestamp_s is %lld; "
                "it must be the config clock's wall time when the call "
                "started, 1700000005 (kit_clock_wall_s, not time())",
                (long long)g.r.timestamp_s);
    expect_that(g.r.attempts == 1 && g.r.http_status == 200 &&
                    g.r.error[0] == '\0',
                "a first-try success must report 1 attempt, HTTP 200 and no "
                "error; got %d, %ld, \"%s\"",
                g.r.attempts, g.r.http_status, g.r.error);
    rig_close(&g);
}

static void test_client_call_sends_model_system_and_sampling(void **state)
{
    fake_step steps[1];
    client_call_params p = {
        .prompt = "Show me the OSPF neighbours",
        .model = "claude-sonnet-4.5",
        .system = "You are a NOC assistant.",
        .max_tokens = 321,
        .temperature = 0.25,
    };
    cJSON *body, *item;
    rig g;

    (void)state;
    steps[0] = fake_ok(ok_small, 1);
    rig_open(&g, steps, 1, 0);
    expect_that(client_call(g.c, &p, &g.r) == KIT_OK, "the call failed: %s",
                g.r.error);
    expect_that(strcmp(g.ft.last_url, "http://fake.invalid/v1/messages") == 0,
                "the client posted to %s; with base_url http://fake.invalid "
                "it must post to http://fake.invalid/v1/messages",
                g.ft.last_url);
    body = cJSON_Parse(g.ft.last_body);
    expect_that(body != NULL, "the request body is not JSON: %s",
                g.ft.last_body);
    item = cJSON_GetObjectItemCaseSensitive(body, "model");
    expect_that(cJSON_IsString(item) &&
                    strcmp(item->valuestring, "claude-sonnet-4.5") == 0,
                "the request must name the params' model: %s", g.ft.last_body);
    item = cJSON_GetObjectItemCaseSensitive(body, "system");
    expect_that(cJSON_IsString(item) &&
                    strcmp(item->valuestring, "You are a NOC assistant.") == 0,
                "the request must carry the system prompt: %s", g.ft.last_body);
    item = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
    expect_that(cJSON_IsNumber(item) && item->valueint == 321,
                "the request must carry max_tokens 321: %s", g.ft.last_body);
    item = cJSON_GetObjectItemCaseSensitive(body, "temperature");
    expect_that(cJSON_IsNumber(item) && near(item->valuedouble, 0.25),
                "the request must carry temperature 0.25: %s", g.ft.last_body);
    expect_that(strstr(g.ft.last_body, "Show me the OSPF neighbours") != NULL,
                "the request must carry the prompt: %s", g.ft.last_body);
    cJSON_Delete(body);

    /* No model in the params: the config's. */
    p.model = NULL;
    p.system = NULL;
    client_result_clear(&g.r);
    expect_that(client_call(g.c, &p, &g.r) == KIT_OK, "the call failed: %s",
                g.r.error);
    expect_that(strstr(g.ft.last_body, "\"claude-haiku-4.5\"") != NULL,
                "params.model is NULL, so the request must name the config's "
                "model, claude-haiku-4.5: %s",
                g.ft.last_body);
    rig_close(&g);
}

static void test_client_call_rejects_bad_params_without_a_request(void **state)
{
    fake_step steps[1];
    client_call_params p = {.prompt = "x", .max_tokens = 0};
    kit_status st;
    metrics m;
    rig g;

    (void)state;
    steps[0] = fake_ok(ok_small, 1);
    rig_open(&g, steps, 1, 3);
    st = client_call(g.c, &p, &g.r);
    expect_that(st == KIT_ERR_INVALID_ARG && g.r.status == KIT_ERR_INVALID_ARG,
                "max_tokens = 0 gave \"%s\"; it must be KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    p.max_tokens = 10;
    p.prompt = NULL;
    client_result_clear(&g.r);
    st = client_call(g.c, &p, &g.r);
    expect_that(st == KIT_ERR_INVALID_ARG,
                "a NULL prompt gave \"%s\"; it "
                "must be KIT_ERR_INVALID_ARG",
                kit_strerror(st));
    expect_that(g.ft.calls == 0,
                "bad params reached the wire (%zu requests); "
                "check them before any attempt",
                g.ft.calls);
    expect_that(client_get_metrics(g.c, &m) == KIT_OK && m.calls == 0 &&
                    m.attempts == 0,
                "refused params must not be counted as calls");
    rig_close(&g);
}

/* ---- Retrying --------------------------------------------------------------
 */

static void test_client_retries_on_the_backoff_schedule(void **state)
{
    static const uint64_t want[] = {100, 200, 700};
    fake_step steps[4];
    rig g;

    (void)state;
    steps[0] = fake_http(503, body_503, -1, 5);
    steps[1] = fake_http(503, body_503, -1, 5);
    steps[2] = fake_http(429, body_429, 700, 5);
    steps[3] = fake_ok(ok_small, 5);
    rig_open(&g, steps, 4, 3);
    expect_that(rig_call(&g, "storm") == KIT_OK,
                "503, 503, 429, 200 with 3 "
                "retries must end in success; the call ended \"%s\": %s",
                kit_strerror(g.r.status), g.r.error);
    expect_that(g.ft.calls == 4 && g.r.attempts == 4,
                "the transport saw %zu "
                "attempts and the result says %d; both must be 4",
                g.ft.calls, g.r.attempts);
    expect_sleeps(&g, want, 3);
    expect_that(g.r.latency_ms == 1020,
                "the call's latency is %llu ms; four "
                "5 ms exchanges and 1000 ms of waiting make 1020 (latency "
                "covers the whole call, waits included)",
                (unsigned long long)g.r.latency_ms);
    rig_close(&g);
}

static void test_client_retries_transport_failures(void **state)
{
    static const uint64_t want[] = {100, 200, 400};
    fake_step steps[4];
    rig g;

    (void)state;
    steps[0] = fake_fail(KIT_ERR_TIMEOUT, 5);
    steps[1] = fake_fail(KIT_ERR_RESET, 5);
    steps[2] = fake_fail(KIT_ERR_CONNECT, 5);
    steps[3] = fake_ok(ok_small, 5);
    rig_open(&g, steps, 4, 3);
    expect_that(rig_call(&g, "flaky link") == KIT_OK,
                "a timeout, a reset and "
                "a refused connection are transient; the call must retry "
                "through them and succeed, but ended \"%s\": %s",
                kit_strerror(g.r.status), g.r.error);
    expect_that(g.ft.calls == 4, "the transport saw %zu attempts; expected 4",
                g.ft.calls);
    expect_sleeps(&g, want, 3);
    rig_close(&g);
}

static void test_client_does_not_retry_permanent_errors(void **state)
{
    static const struct {
        long status;
        const char *body;
        kit_status kind;
    } cases[] = {
        {400, body_400, KIT_ERR_BAD_REQUEST},
        {401, body_401, KIT_ERR_AUTH},
        {403, body_403, KIT_ERR_PERMISSION},
        {404, body_404, KIT_ERR_NOT_FOUND},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_step steps[2];
        char code[8];
        rig g;

        rig_open(&g, steps, 2, 3);
        steps[0] = fake_http(cases[i].status, cases[i].body, -1, 5);
        steps[1] = fake_ok(ok_small, 5);
        rig_call(&g, "permanent");
        expect_that(g.r.status == cases[i].kind,
                    "HTTP %ld must end the call "
                    "as \"%s\"; it ended \"%s\"",
                    cases[i].status, kit_strerror(cases[i].kind),
                    kit_strerror(g.r.status));
        expect_that(g.ft.calls == 1 && g.fc.n_sleeps == 0,
                    "HTTP %ld is "
                    "permanent: retrying only costs money, yet the client "
                    "made %zu attempts and slept %zu times",
                    cases[i].status, g.ft.calls, g.fc.n_sleeps);
        snprintf(code, sizeof(code), "%ld", cases[i].status);
        expect_that(g.r.text == NULL && g.r.http_status == cases[i].status &&
                        strstr(g.r.error, code) != NULL,
                    "a failed call must leave text NULL, http_status %ld and "
                    "an error sentence naming it; the error was \"%s\"",
                    cases[i].status, g.r.error);
        rig_close(&g);
    }
}

static void test_client_gives_up_after_max_retries(void **state)
{
    static const uint64_t want[] = {100, 200};
    fake_step steps[1];
    rig g;

    (void)state;
    steps[0] = fake_http(503, body_503, -1, 5); /* the last step repeats */
    rig_open(&g, steps, 1, 2);
    rig_call(&g, "down");
    expect_that(g.r.status == KIT_ERR_SERVER,
                "every attempt got 503; after "
                "the retries the call must fail with \"%s\", not \"%s\"",
                kit_strerror(KIT_ERR_SERVER), kit_strerror(g.r.status));
    expect_that(g.ft.calls == 3 && g.r.attempts == 3,
                "max_retries = 2 means "
                "3 attempts in all (the first try and 2 retries); the client "
                "made %zu",
                g.ft.calls);
    expect_sleeps(&g, want, 2);
    expect_that(g.r.text == NULL && g.r.cost_usd == 0.0 &&
                    strstr(g.r.error, "503") != NULL,
                "a failed call has no text, no cost, and an error naming "
                "HTTP 503; the error was \"%s\"",
                g.r.error);
    rig_close(&g);
}

/* ---- Metrics --------------------------------------------------------------
 */

static void test_client_counts_calls_and_attempts_in_its_metrics(void **state)
{
    fake_step steps[3];
    metrics m;
    rig g;

    (void)state;
    steps[0] = fake_http(429, body_429, -1, 5);
    steps[1] = fake_ok(ok_hello, 5);
    steps[2] = fake_http(401, body_401, -1, 5);
    rig_open(&g, steps, 3, 3);
    rig_call(&g, "first");
    rig_call(&g, "second");
    expect_that(client_get_metrics(g.c, &m) == KIT_OK, "client_get_metrics "
                                                       "must return KIT_OK");
    expect_that(m.calls == 2 && m.attempts == 3,
                "two calls took 3 attempts "
                "(429 then 200, then 401) but the metrics say %ld calls and "
                "%ld attempts; count each attempt in the attempt function and "
                "each call once",
                m.calls, m.attempts);
    expect_that(m.successes == 1 && m.failures == 1 && m.rate_limit_hits == 1,
                "expected 1 success, 1 failure, 1 rate-limit hit; got %ld, "
                "%ld, %ld",
                m.successes, m.failures, m.rate_limit_hits);
    expect_that(m.input_tokens == 1200 && m.output_tokens == 300 &&
                    near(m.cost_usd, 0.0027),
                "the successful call used 1200 + 300 tokens for 0.0027 USD; "
                "the metrics say %ld + %ld for %.9f",
                m.input_tokens, m.output_tokens, m.cost_usd);
    expect_that(m.total_latency_ms == 5 + 100 + 5 + 5,
                "the calls took 110 and "
                "5 ms on the fake clock; total_latency_ms is %llu",
                (unsigned long long)m.total_latency_ms);
    rig_close(&g);
}

static void test_client_reset_metrics_starts_from_zero(void **state)
{
    fake_step steps[1];
    metrics m;
    rig g;

    (void)state;
    steps[0] = fake_ok(ok_hello, 7);
    rig_open(&g, steps, 1, 3);
    rig_call(&g, "one");
    rig_call(&g, "two");
    expect_that(client_reset_metrics(g.c) == KIT_OK, "client_reset_metrics "
                                                     "must return KIT_OK");
    expect_that(client_get_metrics(g.c, &m) == KIT_OK && m.calls == 0 &&
                    m.attempts == 0 && m.input_tokens == 0 &&
                    m.cost_usd == 0.0 && m.total_latency_ms == 0,
                "after client_reset_metrics every counter must be 0; calls = "
                "%ld, attempts = %ld, cost = %.6f",
                m.calls, m.attempts, m.cost_usd);
    rig_call(&g, "three");
    client_get_metrics(g.c, &m);
    expect_that(m.calls == 1 && m.attempts == 1 && m.total_latency_ms == 7,
                "after a reset, one 7 ms call must show 1 call, 1 attempt and "
                "7 ms; got %ld, %ld, %llu ms (a reset keeps the clock: use "
                "metrics_reset)",
                m.calls, m.attempts, (unsigned long long)m.total_latency_ms);
    rig_close(&g);
}

typedef struct heard {
    int n;
    int attempt[8];
    backoff_verdict verdict[8];
} heard;

static void hear(void *ctx, const backoff_event *ev)
{
    heard *h = ctx;

    if (h->n < 8) {
        h->attempt[h->n] = ev->attempt;
        h->verdict[h->n] = ev->verdict;
    }
    h->n++;
}

static void test_client_reports_each_attempt_to_the_observer(void **state)
{
    fake_step steps[3];
    client_config cfg;
    heard h = {0};
    rig g;

    (void)state;
    steps[0] = fake_http(529, body_503, -1, 5);
    steps[1] = fake_fail(KIT_ERR_RESET, 5);
    steps[2] = fake_ok(ok_small, 5);
    rig_start(&g, steps, 3);
    cfg = rig_config(&g, 3);
    cfg.observer.on_attempt = hear;
    cfg.observer.ctx = &h;
    rig_create(&g, &cfg);
    rig_call(&g, "observed");
    expect_that(h.n == 3,
                "the observer in the config heard %d attempts; the "
                "call made 3: pass it to backoff_run",
                h.n);
    expect_that(h.attempt[0] == 1 && h.verdict[0] == BACKOFF_RETRY &&
                    h.attempt[2] == 3 && h.verdict[2] == BACKOFF_DONE,
                "the observer heard the wrong attempts or verdicts");
    rig_close(&g);
}

/* ---- Any provider -----------------------------------------------------------
 */

/* A provider of the test's own: it notes what the client handed it, then
 * speaks Anthropic over the fake transport, so only the ops table differs. */
static struct {
    int calls;
    char base_url[128];
    char api_key[64];
    char model[64];
} seen;

static kit_status noted_call(const kit_transport *t, const kit_endpoint *ep,
                             const kit_chat_request *req, kit_chat_reply *reply,
                             kit_attempt *info)
{
    seen.calls++;
    snprintf(seen.base_url, sizeof(seen.base_url), "%s",
             ep && ep->base_url ? ep->base_url : "(null)");
    snprintf(seen.api_key, sizeof(seen.api_key), "%s",
             ep && ep->api_key ? ep->api_key : "(null)");
    snprintf(seen.model, sizeof(seen.model), "%s",
             req && req->model ? req->model : "(null)");
    return kit_anthropic_call(t, ep, req, reply, info);
}

static const kit_provider_ops noted_provider = {
    .name = "noted",
    .key_env = "LAB3_NOTED_KEY",
    .default_model = "noted-model-1",
    .call = noted_call,
};

static void test_client_calls_through_the_configured_provider(void **state)
{
    static const uint64_t want[] = {100};
    fake_step steps[2];
    client_config cfg;
    metrics m;
    rig g;

    (void)state;
    memset(&seen, 0, sizeof(seen));
    steps[0] = fake_http(503, body_503, -1, 5);
    steps[1] = fake_ok(ok_small, 5);
    rig_start(&g, steps, 2);
    cfg = rig_config(&g, 3);
    cfg.provider = &noted_provider;
    cfg.api_key = NULL; /* from the provider's variable */
    cfg.key_env = NULL;
    setenv("LAB3_NOTED_KEY", "test-key-noted", 1);
    rig_create(&g, &cfg);
    unsetenv("LAB3_NOTED_KEY");
    expect_that(rig_call(&g, "via a provider") == KIT_OK,
                "a call through cfg.provider failed (%s): %s",
                kit_strerror(g.r.status), g.r.error);
    expect_that(seen.calls == 2,
                "the configured provider's call ran %d times for a 503 then "
                "a 200; every attempt must go through c->provider->call, "
                "never kit_anthropic_call directly",
                seen.calls);
    expect_that(strcmp(seen.api_key, "test-key-noted") == 0,
                "the provider got the key \"%s\"; with no key in the config "
                "it must come from the provider's key_env (LAB3_NOTED_KEY)",
                seen.api_key);
    expect_that(strcmp(seen.model, "noted-model-1") == 0,
                "the provider was asked for model \"%s\"; with no model in "
                "the config or the params, use the provider's default_model",
                seen.model);
    expect_that(strcmp(seen.base_url, "http://fake.invalid") == 0,
                "the provider got base URL \"%s\"; the config's base_url "
                "must reach it",
                seen.base_url);
    expect_that(g.r.attempts == 2 && strcmp(g.r.provider, "noted") == 0,
                "the result says %d attempts by provider \"%s\"; it must "
                "say 2 attempts and name the provider, \"noted\"",
                g.r.attempts, g.r.provider);
    expect_sleeps(&g, want, 1);
    expect_that(client_get_metrics(g.c, &m) == KIT_OK && m.calls == 1 &&
                    m.attempts == 2,
                "with another provider the metrics must count the same: "
                "1 call and 2 attempts");
    rig_close(&g);

    /* No provider in the config: Anthropic, and the result says so. */
    steps[0] = fake_ok(ok_small, 5);
    rig_open(&g, steps, 1, 0);
    rig_call(&g, "default");
    expect_that(g.r.status == KIT_OK && strcmp(g.r.provider, "anthropic") == 0,
                "with cfg.provider NULL the client must use "
                "kit_provider_anthropic and the result must name it; it "
                "named \"%s\"",
                g.r.provider);
    rig_close(&g);
}

/* ---- Against the mock server ------------------------------------------------
 */

static void require_server(void)
{
    expect_that(server_up, "the mock server did not start (see the message "
                           "above); run the tests with make so that "
                           "build/mockserver exists");
}

/* A client on the mock server with millisecond delays: 10 ms doubling to a
 * 40 ms cap, 300 ms per attempt. base_url NULL reads ANTHROPIC_BASE_URL. */
static client *mock_client(const char *key, int max_retries,
                           const char *base_url)
{
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    client *c = NULL;
    char err[256] = "";
    kit_status st;

    require_server();
    cfg.api_key = key;
    cfg.base_url = base_url;
    cfg.retry.max_retries = max_retries;
    cfg.retry.initial_delay_ms = 10;
    cfg.retry.max_delay_ms = 40;
    cfg.timeout_ms = 300;
    st = client_create(&cfg, &c, err, sizeof(err));
    expect_that(st == KIT_OK && c, "client_create failed: %s (%s)",
                kit_strerror(st), err);
    return c;
}

static void script(const char *key, const char *json)
{
    long status = mockctl_put_script(&server, key, json);

    expect_that(status == 200,
                "the mock server refused the test's script "
                "(HTTP %ld): %s",
                status, json);
}

static kit_status mock_call(client *c, const char *model, const char *prompt,
                            client_result *r)
{
    client_call_params p = {
        .prompt = prompt,
        .model = model,
        .max_tokens = 200,
        .temperature = 0.0,
    };

    return client_call(c, &p, r);
}

static const cJSON *journal_entry(const cJSON *journal, int i)
{
    return cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(journal, "requests"), i);
}

static double entry_number(const cJSON *entry, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(entry, name);

    return cJSON_IsNumber(item) ? item->valuedouble : -1.0;
}

static void test_client_survives_a_storm_on_the_mock_server(void **state)
{
    char key[96], timeline[2048];
    client_result r = {0};
    cJSON *journal;
    client *c;
    int n;

    (void)state;
    unique_key(key, sizeof(key), "storm");
    c = mock_client(key, 6, NULL);
    script(key, "{\"steps\":[{\"status\":429,\"retry_after_ms\":30},"
                "{\"status\":503},{\"status\":529},{\"fault\":\"timeout\"},"
                "{\"fault\":\"reset\"},{\"status\":200}],\"then\":\"ok\"}");
    mock_call(c, NULL, "Why do routers flap?", &r);
    journal = mockctl_journal(&server, key);
    n = mockctl_count(&server, key);
    journal_timeline(journal, timeline, sizeof(timeline));
    expect_that(r.status == KIT_OK,
                "429, 503, 529, a timeout and a reset are "
                "all transient; with 6 retries the call must succeed, but it "
                "ended \"%s\": %s\nThe server saw:\n%s",
                kit_strerror(r.status), r.error, timeline);
    expect_that(n == 6 && r.attempts == 6,
                "the server saw %d requests and "
                "the result says %d attempts; the storm needs exactly 6\n%s",
                n, r.attempts, timeline);
    for (int i = 0; i < n; i++)
        expect_that(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                        journal_entry(journal, i), "early_retry")),
                    "attempt %d came before the server's retry-after had "
                    "passed; honour retry-after\n%s",
                    i + 1, timeline);
    expect_that(r.text && r.text[0], "a successful call must carry the text");
    cJSON_Delete(journal);
    client_result_clear(&r);
    client_destroy(c);
}

static void test_client_spaces_retries_by_retry_after_then_backoff(void **state)
{
    char key[96], timeline[2048];
    client_result r = {0};
    cJSON *journal;
    double t1, t2, t3;
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    client *c = NULL;
    char err[256];

    (void)state;
    require_server();
    unique_key(key, sizeof(key), "spacing");
    cfg.api_key = key;
    cfg.base_url = server.base_url;
    cfg.retry.initial_delay_ms = 60;
    cfg.retry.max_delay_ms = 1000;
    cfg.timeout_ms = 2000;
    expect_that(client_create(&cfg, &c, err, sizeof(err)) == KIT_OK,
                "client_create failed: %s", err);
    script(key, "{\"steps\":[{\"status\":429,\"retry_after_ms\":150},"
                "{\"status\":503},{\"status\":200}],\"then\":\"ok\"}");
    mock_call(c, NULL, "spacing", &r);
    journal = mockctl_journal(&server, key);
    journal_timeline(journal, timeline, sizeof(timeline));
    expect_that(r.status == KIT_OK && mockctl_count(&server, key) == 3,
                "429, 503, 200 must take 3 attempts and succeed; the call "
                "ended \"%s\" and the server saw:\n%s",
                kit_strerror(r.status), timeline);
    t1 = entry_number(journal_entry(journal, 0), "t_ms");
    t2 = entry_number(journal_entry(journal, 1), "t_ms");
    t3 = entry_number(journal_entry(journal, 2), "t_ms");
    expect_that(t2 - t1 >= 149.0 && t2 - t1 < 1000.0,
                "the first retry came "
                "%.0f ms after the 429; the server said retry-after-ms 150, "
                "so wait that long (and not much longer)\n%s",
                t2 - t1, timeline);
    expect_that(t3 - t2 >= 119.0 && t3 - t2 < 1000.0,
                "the second retry came "
                "%.0f ms after the 503; retry 1 waits initial x 2 = 120 ms\n%s",
                t3 - t2, timeline);
    cJSON_Delete(journal);
    client_result_clear(&r);
    client_destroy(c);
}

static void test_client_sends_permanent_errors_once(void **state)
{
    static const struct {
        long status;
        kit_status kind;
    } cases[] = {
        {400, KIT_ERR_BAD_REQUEST},
        {401, KIT_ERR_AUTH},
        {403, KIT_ERR_PERMISSION},
        {404, KIT_ERR_NOT_FOUND},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char key[96], json[128], timeline[1024];
        client_result r = {0};
        cJSON *journal;
        client *c;
        int n;

        unique_key(key, sizeof(key), "permanent");
        c = mock_client(key, 3, server.base_url);
        snprintf(json, sizeof(json),
                 "{\"steps\":[{\"status\":%ld}],\"then\":\"ok\"}",
                 cases[i].status);
        script(key, json);
        mock_call(c, NULL, "permanent", &r);
        journal = mockctl_journal(&server, key);
        n = mockctl_count(&server, key);
        journal_timeline(journal, timeline, sizeof(timeline));
        expect_that(r.status == cases[i].kind && n == 1,
                    "HTTP %ld is permanent: the call must end \"%s\" after one "
                    "request; it ended \"%s\" and the server saw %d:\n%s",
                    cases[i].status, kit_strerror(cases[i].kind),
                    kit_strerror(r.status), n, timeline);
        cJSON_Delete(journal);
        client_result_clear(&r);
        client_destroy(c);
    }
}

static void test_client_unknown_model_is_one_404(void **state)
{
    char key[96];
    client_result r = {0};
    client *c;
    int n;

    (void)state;
    unique_key(key, sizeof(key), "model404");
    c = mock_client(key, 3, server.base_url);
    mock_call(c, "claude-no-such-model-9", "hi", &r);
    n = mockctl_count(&server, key);
    expect_that(r.status == KIT_ERR_NOT_FOUND && n == 1,
                "an unknown model "
                "is a 404 from the server, permanent: one request and "
                "\"%s\"; got \"%s\" after %d requests (%s)",
                kit_strerror(KIT_ERR_NOT_FOUND), kit_strerror(r.status), n,
                r.error);
    client_result_clear(&r);
    client_destroy(c);
}

static void
test_client_gives_up_on_the_mock_server_after_max_retries(void **state)
{
    char key[96], timeline[1024];
    client_result r = {0};
    cJSON *journal;
    client *c;
    int n;

    (void)state;
    unique_key(key, sizeof(key), "exhaust");
    c = mock_client(key, 2, server.base_url);
    script(key, "{\"steps\":[{\"status\":503}],\"then\":\"repeat\"}");
    mock_call(c, NULL, "down", &r);
    journal = mockctl_journal(&server, key);
    n = mockctl_count(&server, key);
    journal_timeline(journal, timeline, sizeof(timeline));
    expect_that(r.status == KIT_ERR_SERVER && n == 3,
                "with max_retries = 2 "
                "and a server that always answers 503, the server must see 3 "
                "requests and the call end \"%s\"; it saw %d and the call "
                "ended \"%s\":\n%s",
                kit_strerror(KIT_ERR_SERVER), n, kit_strerror(r.status),
                timeline);
    cJSON_Delete(journal);
    client_result_clear(&r);
    client_destroy(c);
}

static void test_client_reuses_one_connection_across_calls(void **state)
{
    char key[96], timeline[1024];
    client_result r = {0};
    cJSON *journal;
    double conn0;
    client *c;
    int n;

    (void)state;
    unique_key(key, sizeof(key), "reuse");
    c = mock_client(key, 3, server.base_url);
    script(key, "{\"steps\":[{\"status\":200},{\"status\":429,"
                "\"retry_after_ms\":10},{\"status\":200},{\"status\":200}],"
                "\"then\":\"ok\"}");
    for (int i = 0; i < 3; i++) {
        mock_call(c, NULL, "reuse", &r);
        expect_that(r.status == KIT_OK, "call %d failed: %s", i + 1, r.error);
        client_result_clear(&r);
    }
    journal = mockctl_journal(&server, key);
    n = mockctl_count(&server, key);
    journal_timeline(journal, timeline, sizeof(timeline));
    expect_that(n == 4,
                "three calls, one retried once, must make 4 requests; "
                "the server saw %d:\n%s",
                n, timeline);
    conn0 = entry_number(journal_entry(journal, 0), "conn");
    expect_that(conn0 >= 0, "the server's journal has no connection ids; "
                            "this test cannot judge reuse without them");
    for (int i = 1; i < n; i++) {
        double conn = entry_number(journal_entry(journal, i), "conn");

        expect_that(conn == conn0,
                    "request %d came on connection %.0f, the "
                    "first on %.0f; one client keeps one transport (one curl "
                    "handle) for all its calls so the connection is reused",
                    i + 1, conn, conn0);
    }
    cJSON_Delete(journal);
    client_destroy(c);
}

static void test_client_cost_matches_the_mock_server_bill(void **state)
{
    static const char *const models[] = {
        "claude-haiku-4.5", "claude-sonnet-4-5", "claude-opus-4.5"};
    char key[96];
    client_result r = {0};
    double sum = 0.0, billed;
    cJSON *bill;
    metrics m;
    client *c;

    (void)state;
    unique_key(key, sizeof(key), "bill");
    c = mock_client(key, 3, server.base_url);
    script(key, "{\"steps\":[{\"status\":429},{\"status\":200},"
                "{\"status\":503}],\"then\":\"ok\"}");
    for (size_t i = 0; i < 3; i++) {
        mock_call(c, models[i], "Compare OSPF and EIGRP convergence.", &r);
        expect_that(r.status == KIT_OK, "call %zu failed: %s", i + 1, r.error);
        sum += r.cost_usd;
        client_result_clear(&r);
    }
    expect_that(client_get_metrics(c, &m) == KIT_OK, "client_get_metrics "
                                                     "must return KIT_OK");
    bill = mockctl_bill(&server, key);
    expect_that(bill != NULL, "GET /_mock/bill did not answer");
    billed = entry_number(bill, "usd");
    expect_that(fabs(m.cost_usd - billed) < 1e-9 && fabs(sum - billed) < 1e-9,
                "the server billed %.9f USD; the client's metrics say %.9f "
                "and its results add up to %.9f. Failed attempts are not "
                "billed; successful ones are, at the answering model's price",
                billed, m.cost_usd, sum);
    expect_that(m.calls == 3 && m.attempts == 5,
                "3 calls met a 429 and a "
                "503 on the way: 3 calls, 5 attempts; the metrics say %ld and "
                "%ld",
                m.calls, m.attempts);
    cJSON_Delete(bill);
    client_destroy(c);
}

static void test_client_prefers_the_configured_base_url(void **state)
{
    char key[96];
    client_result r = {0};
    client *c;

    (void)state;
    require_server();
    unique_key(key, sizeof(key), "baseurl");
    /* The environment points nowhere; the config at the server. */
    setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9", 1);
    c = mock_client(key, 0, server.base_url);
    mock_call(c, NULL, "where am I?", &r);
    mockproc_export_env(&server);
    expect_that(r.status == KIT_OK && mockctl_count(&server, key) == 1,
                "cfg.base_url names the server, so the client must use it "
                "rather than ANTHROPIC_BASE_URL; the call ended \"%s\": %s",
                kit_strerror(r.status), r.error);
    client_result_clear(&r);
    client_destroy(c);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_create_reads_the_key_from_the_environment),
        cmocka_unit_test(test_client_create_names_the_missing_key_variable),
        cmocka_unit_test(test_client_create_rejects_a_bad_config),
        cmocka_unit_test(
            test_client_call_returns_text_tokens_cost_and_timestamp),
        cmocka_unit_test(test_client_call_sends_model_system_and_sampling),
        cmocka_unit_test(test_client_call_rejects_bad_params_without_a_request),
        cmocka_unit_test(test_client_retries_on_the_backoff_schedule),
        cmocka_unit_test(test_client_retries_transport_failures),
        cmocka_unit_test(test_client_does_not_retry_permanent_errors),
        cmocka_unit_test(test_client_gives_up_after_max_retries),
        cmocka_unit_test(test_client_counts_calls_and_attempts_in_its_metrics),
        cmocka_unit_test(test_client_reset_metrics_starts_from_zero),
        cmocka_unit_test(test_client_reports_each_attempt_to_the_observer),
        cmocka_unit_test(test_client_calls_through_the_configured_provider),
        cmocka_unit_test(test_client_survives_a_storm_on_the_mock_server),
        cmocka_unit_test(
            test_client_spaces_retries_by_retry_after_then_backoff),
        cmocka_unit_test(test_client_sends_permanent_errors_once),
        cmocka_unit_test(test_client_unknown_model_is_one_404),
        cmocka_unit_test(
            test_client_gives_up_on_the_mock_server_after_max_retries),
        cmocka_unit_test(test_client_reuses_one_connection_across_calls),
        cmocka_unit_test(test_client_cost_matches_the_mock_server_bill),
        cmocka_unit_test(test_client_prefers_the_configured_base_url),
    };

    return HARNESS_MAIN("lab03-client", tests, group_setup, group_teardown);
}
