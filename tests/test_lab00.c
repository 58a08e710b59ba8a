/*
 * Lab 0's graded tests: the verification program's checks (part A) and the
 * fixed-delay retry (part B). The unit tests use the fake transport and the
 * fake clock, so "wait 2 seconds" is checked without waiting; the
 * integration tests run the same code against the mock server and read the
 * server's journal.
 */
#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakes.h"
#include "fixed_retry.h"
#include "kit_chat.h"
#include "verify.h"

/* The variable the tests keep their key in, so a learner's own
 * ANTHROPIC_API_KEY is never read or changed. */
#define TEST_KEY_VAR  "LAB00_TEST_API_KEY"
#define FAKE_BASE_URL "http://fake.invalid:9"

static const char auth_error_body[] =
    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
    "\"message\":\"invalid x-api-key\"}}";
static const char rate_limit_body[] =
    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
    "\"message\":\"rate limited\"}}";
static const char server_error_body[] =
    "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
    "\"message\":\"service unavailable\"}}";

/* ---- Capturing what the code prints ------------------------------------- */

typedef struct capture {
    FILE *f;
    char *buf;
    size_t len;
} capture;

static void capture_open(capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

/* What was printed so far, NUL-terminated. */
static const char *capture_text(capture *c)
{
    fflush(c->f);
    return c->buf ? c->buf : "";
}

static void capture_close(capture *c)
{
    fclose(c->f);
    free(c->buf);
}

/* True when some line of text starts with prefix and contains needle
 * (needle NULL: any line starting with prefix). */
static bool has_line(const char *text, const char *prefix, const char *needle)
{
    const char *line = text;

    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            if (!needle)
                return true;
            for (const char *p = line; p + strlen(needle) <= line + len; p++)
                if (strncmp(p, needle, strlen(needle)) == 0)
                    return true;
        }
        if (!end)
            break;
        line = end + 1;
    }
    return false;
}

/* ---- Part A: verify_key -------------------------------------------------- */

static void test_verify_key_missing_names_the_variable_and_dotenv(void **state)
{
    static const char *const empty_values[] = {NULL, "", "  \n"};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        capture out;
        kit_status st;
        const char *text;

        capture_open(&out);
        st = verify_key("ANTHROPIC_API_KEY", empty_values[i], out.f);
        text = capture_text(&out);
        expect_that(st == KIT_ERR_NO_KEY,
                    "verify_key with %s returned '%s'; a missing key must "
                    "return KIT_ERR_NO_KEY",
                    empty_values[i] ? "an empty or blank value"
                                    : "NULL "
                                      "(variable unset)",
                    kit_strerror(st));
        expect_that(has_line(text, "error: ", "ANTHROPIC_API_KEY"),
                    "a missing key needs an \"error: \" line that names the "
                    "variable ANTHROPIC_API_KEY; verify_key printed:\n%s",
                    text);
        expect_that(has_line(text, "fix: ", ".env"),
                    "a missing key needs a \"fix: \" line that mentions the "
                    ".env file option; verify_key printed:\n%s",
                    text);
        capture_close(&out);
    }
}

static void test_verify_key_warns_about_stray_whitespace(void **state)
{
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    capture_open(&out);
    st = verify_key("ANTHROPIC_API_KEY", " sk-ant-api03-FAKE-0000\n", out.f);
    text = capture_text(&out);
    expect_that(st == KIT_OK,
                "a key with spaces around it is still usable (it is "
                "trimmed): verify_key must return KIT_OK, not '%s'",
                kit_strerror(st));
    expect_that(has_line(text, "warning: ", "whitespace"),
                "a key with a leading space and a trailing newline needs a "
                "\"warning: \" line that says \"whitespace\"; verify_key "
                "printed:\n%s",
                text);
    capture_close(&out);

    capture_open(&out);
    st = verify_key("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE-0000", out.f);
    text = capture_text(&out);
    expect_that(st == KIT_OK && !strstr(text, "whitespace"),
                "a clean key must not get a whitespace warning; verify_key "
                "returned '%s' and printed:\n%s",
                kit_strerror(st), text);
    capture_close(&out);
}

static void test_verify_key_warns_without_the_provider_prefix(void **state)
{
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    capture_open(&out);
    st = verify_key("ANTHROPIC_API_KEY", "mock-key-lab0-0001", out.f);
    text = capture_text(&out);
    expect_that(st == KIT_OK,
                "a key without the sk-ant-api03- prefix still works with "
                "the mock server: verify_key must return KIT_OK (with a "
                "warning), not '%s'",
                kit_strerror(st));
    expect_that(has_line(text, "warning: ", VERIFY_ANTHROPIC_PREFIX),
                "a key without the provider's prefix needs a \"warning: \" "
                "line that names the prefix " VERIFY_ANTHROPIC_PREFIX
                "; verify_key printed:\n%s",
                text);
    capture_close(&out);

    capture_open(&out);
    st = verify_key("ANTHROPIC_API_KEY", "sk-ant-api03-FAKE-0000", out.f);
    text = capture_text(&out);
    expect_that(st == KIT_OK && !has_line(text, "warning: ", NULL),
                "a clean key with the right prefix must pass without any "
                "warning; verify_key returned '%s' and printed:\n%s",
                kit_strerror(st), text);
    capture_close(&out);
}

static void test_verify_key_never_prints_the_key(void **state)
{
    static const char key[] = "sk-ant-api03-FAKE-do-not-show";
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    capture_open(&out);
    st = verify_key("ANTHROPIC_API_KEY", key, out.f);
    text = capture_text(&out);
    expect_that(st == KIT_OK && has_line(text, "ok: ", "ANTHROPIC_API_KEY"),
                "a good key needs an \"ok: \" line naming the variable; "
                "verify_key returned '%s' and printed:\n%s",
                kit_strerror(st), text);
    expect_that(!strstr(text, "FAKE-do-not-show"),
                "verify_key printed the key itself; terminals and logs are "
                "not safe places for a secret. Show it redacted with "
                "kit_redact_key. It printed:\n%s",
                text);
    capture_close(&out);
}

/* ---- Part A: verify_run on the fake transport --------------------------- */

/* Runs verify_run with key in TEST_KEY_VAR (NULL: unset) over steps. */
static kit_status run_verify(const char *key, const fake_step *steps, size_t n,
                             fake_transport *ft, capture *out)
{
    verify_config cfg = VERIFY_CONFIG_DEFAULT;

    if (key)
        setenv(TEST_KEY_VAR, key, 1);
    else
        unsetenv(TEST_KEY_VAR);
    fake_transport_init(ft, steps, n, NULL);
    cfg.key_var = TEST_KEY_VAR;
    cfg.base_url = FAKE_BASE_URL;
    cfg.transport = &ft->transport;
    capture_open(out);
    return verify_run(&cfg, out->f);
}

static void test_verify_run_prints_the_reply_and_tokens(void **state)
{
    fake_step ok = {
        .transport = KIT_OK, .status = 200, .retry_after_ms = -1, .body = NULL};
    fake_transport ft;
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    ok.body = fake_anthropic_ok("Hello from the fake transport", 12, 7);
    st = run_verify("mock-key-lab0-ok-000001", &ok, 1, &ft, &out);
    text = capture_text(&out);
    expect_that(st == KIT_OK,
                "a 200 answer must make verify_run return KIT_OK, not "
                "'%s'. It printed:\n%s",
                kit_strerror(st), text);
    expect_that(ft.calls == 1,
                "verify_run made %zu calls; the check is exactly one test "
                "call",
                ft.calls);
    expect_that(has_line(text, "reply: ", "Hello from the fake transport"),
                "verify_run must print the model's answer on a \"reply: \" "
                "line; it printed:\n%s",
                text);
    expect_that(has_line(text, "tokens: 12 in, 7 out", NULL),
                "verify_run must print the usage as \"tokens: 12 in, 7 "
                "out\" (input_tokens, output_tokens from the reply); it "
                "printed:\n%s",
                text);
    capture_close(&out);
}

static void test_verify_run_makes_no_call_without_a_key(void **state)
{
    fake_step ok = {.transport = KIT_OK, .status = 200, .retry_after_ms = -1};
    fake_transport ft;
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    ok.body = fake_anthropic_ok("unused", 1, 1);
    st = run_verify(NULL, &ok, 1, &ft, &out);
    text = capture_text(&out);
    expect_that(st == KIT_ERR_NO_KEY,
                "with " TEST_KEY_VAR " unset verify_run must return "
                "KIT_ERR_NO_KEY, not '%s'",
                kit_strerror(st));
    expect_that(ft.calls == 0,
                "verify_run sent %zu requests without a key; stop at the "
                "first failed check",
                ft.calls);
    expect_that(has_line(text, "error: ", TEST_KEY_VAR),
                "the error must name the variable " TEST_KEY_VAR
                " (cfg->key_var); verify_run printed:\n%s",
                text);
    capture_close(&out);
}

static void test_verify_run_sends_the_trimmed_key(void **state)
{
    fake_step ok = {.transport = KIT_OK, .status = 200, .retry_after_ms = -1};
    fake_transport ft;
    capture out;
    kit_status st;

    (void)state;
    ok.body = fake_anthropic_ok("hi", 1, 1);
    st = run_verify("  mock-key-trim-me-000001 \n", &ok, 1, &ft, &out);
    expect_that(st == KIT_OK && ft.calls == 1,
                "a key with stray whitespace must still work (trim it): "
                "verify_run returned '%s' after %zu calls",
                kit_strerror(st), ft.calls);
    expect_that(strstr(ft.last_headers, "mock-key-trim-me-000001\n") &&
                    !strstr(ft.last_headers, "  mock-key-trim-me-000001"),
                "the request must carry the key without the spaces and "
                "newline around it (read it with kit_env_api_key); the "
                "headers were:\n%s",
                ft.last_headers);
    expect_that(strncmp(ft.last_url, FAKE_BASE_URL, strlen(FAKE_BASE_URL)) == 0,
                "the request went to %s; it must go to cfg->base_url (%s)",
                ft.last_url, FAKE_BASE_URL);
    capture_close(&out);
}

static void test_verify_run_explains_a_401(void **state)
{
    fake_step denied = {.transport = KIT_OK,
                        .status = 401,
                        .body = auth_error_body,
                        .retry_after_ms = -1};
    fake_transport ft;
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    st = run_verify("mock-key-lab0-revoked-01", &denied, 1, &ft, &out);
    text = capture_text(&out);
    expect_that(st == KIT_ERR_AUTH,
                "a 401 must make verify_run return KIT_ERR_AUTH, not '%s'",
                kit_strerror(st));
    expect_that(has_line(text, "error: ", NULL),
                "a failed call needs an \"error: \" line; verify_run "
                "printed:\n%s",
                text);
    expect_that(has_line(text, "fix: ", TEST_KEY_VAR) &&
                    has_line(text, "fix: ", "rotate"),
                "after a 401 the \"fix: \" line must name the key variable "
                "(" TEST_KEY_VAR ") and say to check or rotate the key; "
                "verify_run printed:\n%s",
                text);
    capture_close(&out);
}

static void test_verify_run_explains_connection_refused(void **state)
{
    fake_step refused = {.transport = KIT_ERR_CONNECT, .retry_after_ms = -1};
    fake_transport ft;
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    st = run_verify("mock-key-lab0-refused-1", &refused, 1, &ft, &out);
    text = capture_text(&out);
    expect_that(st == KIT_ERR_CONNECT,
                "a refused connection must make verify_run return "
                "KIT_ERR_CONNECT, not '%s'",
                kit_strerror(st));
    expect_that(has_line(text, "fix: ", FAKE_BASE_URL) &&
                    has_line(text, "fix: ", "mock server"),
                "when nothing answers, the \"fix: \" line must show the "
                "base URL that was tried (" FAKE_BASE_URL ") and ask "
                "whether the mock server is running; verify_run "
                "printed:\n%s",
                text);
    capture_close(&out);
}

static void test_verify_run_explains_a_timeout(void **state)
{
    fake_step slow = {.transport = KIT_ERR_TIMEOUT, .retry_after_ms = -1};
    fake_transport ft;
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    st = run_verify("mock-key-lab0-timeout-1", &slow, 1, &ft, &out);
    text = capture_text(&out);
    expect_that(st == KIT_ERR_TIMEOUT,
                "a timeout must make verify_run return KIT_ERR_TIMEOUT, "
                "not '%s'",
                kit_strerror(st));
    expect_that(has_line(text, "fix: ", "timed out"),
                "after a timeout the \"fix: \" line must say the server "
                "\"timed out\" and what to try; verify_run printed:\n%s",
                text);
    capture_close(&out);
}

/* ---- Part B: fixed_retry_call on the fakes ------------------------------ */

typedef struct retry_run {
    fake_clock fc;
    fake_transport ft;
    capture out;
    kit_chat_reply reply;
    kit_attempt info;
    kit_status status;
} retry_run;

static const kit_endpoint fake_endpoint = {
    .base_url = FAKE_BASE_URL,
    .api_key = "mock-key-lab0-retry-0001",
};

static const kit_chat_request small_request = {
    .model = "claude-haiku-4.5",
    .prompt = "What is a VLAN?",
    .max_tokens = 50,
    .temperature = -1.0,
};

static void run_fixed(retry_run *r, const fixed_retry_config *base,
                      const fake_step *steps, size_t n)
{
    fixed_retry_config cfg = *base;

    memset(&r->reply, 0, sizeof(r->reply));
    memset(&r->info, 0, sizeof(r->info));
    fake_clock_init(&r->fc, 0, 1700000000);
    fake_transport_init(&r->ft, steps, n, &r->fc);
    capture_open(&r->out);
    cfg.clock = &r->fc.clock;
    cfg.out = r->out.f;
    r->status = fixed_retry_call(&cfg, &r->ft.transport, &fake_endpoint,
                                 &small_request, &r->reply, &r->info);
}

static void retry_run_clear(retry_run *r)
{
    kit_chat_reply_clear(&r->reply);
    capture_close(&r->out);
    fake_clock_destroy(&r->fc);
}

/* Checks the sleeps the fake clock recorded: n of them, each delay_ms. */
static void expect_fixed_sleeps(const retry_run *r, size_t n, uint64_t delay_ms,
                                const char *why)
{
    bool ok = r->fc.n_sleeps == n;

    for (size_t i = 0; ok && i < n; i++)
        ok = r->fc.sleeps[i] == delay_ms;
    expect_that(ok,
                "%s: expected %zu waits of %" PRIu64 " ms; the clock "
                "recorded %zu waits (first: %" PRIu64 " ms). Sleep with "
                "kit_clock_sleep_ms(cfg->clock, cfg->delay_ms), and never "
                "after the last try",
                why, n, delay_ms, r->fc.n_sleeps,
                r->fc.n_sleeps ? r->fc.sleeps[0] : 0);
}

/* Checks the "Attempt i/N" lines: exactly n of them, numbered 1..n of of. */
static void expect_attempt_lines(const char *text, int n, int of)
{
    const char *line = text;
    int seen = 0;

    while (*line) {
        const char *end = strchr(line, '\n');

        if (strncmp(line, "Attempt ", 8) == 0) {
            char want[32];

            seen++;
            snprintf(want, sizeof(want), "Attempt %d/%d", seen, of);
            expect_that(
                strncmp(line, want, strlen(want)) == 0 &&
                    (line[strlen(want)] < '0' || line[strlen(want)] > '9'),
                "attempt line %d should begin \"%s\"; the output "
                "was:\n%s",
                seen, want, text);
        }
        if (!end)
            break;
        line = end + 1;
    }
    expect_that(seen == n,
                "expected %d lines beginning \"Attempt i/%d\", one before "
                "each try; found %d in:\n%s",
                n, of, seen, text);
}

/* Two 429s, then a 200 carrying ok_body: the script of step 2's tests. */
static void two_429s_then_ok(fake_step steps[3], const char *ok_body)
{
    steps[0] = fake_http(429, rate_limit_body, -1, 0);
    steps[1] = fake_http(429, rate_limit_body, -1, 0);
    steps[2] = fake_ok(ok_body, 0);
}

static void test_fixed_retry_waits_2000_ms_between_tries(void **state)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    fake_step steps[3];
    retry_run r;

    (void)state;
    two_429s_then_ok(steps, fake_anthropic_ok("Third time lucky", 9, 4));
    run_fixed(&r, &cfg, steps, 3);
    expect_that(r.status == KIT_OK,
                "two 429s then a 200 must end in KIT_OK; fixed_retry_call "
                "returned '%s'",
                kit_strerror(r.status));
    expect_that(r.ft.calls == 3,
                "two 429s then a 200 take 3 tries; fixed_retry_call made "
                "%zu",
                r.ft.calls);
    expect_fixed_sleeps(&r, 2, 2000, "two 429s with the default config");
    expect_that(r.ft.calls < 3 ||
                    (r.ft.call_at_ms[1] == 2000 && r.ft.call_at_ms[2] == 4000),
                "the tries started at %" PRIu64 ", %" PRIu64 " and %" PRIu64
                " ms on the clock; they should start at 0, 2000 and 4000",
                r.ft.call_at_ms[0], r.ft.call_at_ms[1], r.ft.call_at_ms[2]);
    expect_that(r.reply.text && strcmp(r.reply.text, "Third time lucky") == 0,
                "on success *reply must hold the answer (\"Third time "
                "lucky\"); it holds \"%s\"",
                r.reply.text ? r.reply.text : "(null)");
    retry_run_clear(&r);
}

static void test_fixed_retry_prints_attempt_i_of_n(void **state)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    fake_step steps[3];
    retry_run r;

    (void)state;
    two_429s_then_ok(steps, fake_anthropic_ok("ok", 1, 1));
    run_fixed(&r, &cfg, steps, 3);
    expect_that(r.status == KIT_OK,
                "two 429s then a 200 must end in KIT_OK; fixed_retry_call "
                "returned '%s'",
                kit_strerror(r.status));
    expect_attempt_lines(capture_text(&r.out), 3, 3);
    retry_run_clear(&r);
}

static void test_fixed_retry_fails_after_the_last_try(void **state)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    static const fake_step always_429 = {.transport = KIT_OK,
                                         .status = 429,
                                         .body = rate_limit_body,
                                         .retry_after_ms = -1};
    retry_run r;

    (void)state;
    run_fixed(&r, &cfg, &always_429, 1);
    expect_that(r.status == KIT_ERR_RATE_LIMIT,
                "when every try gets a 429, fixed_retry_call must return "
                "KIT_ERR_RATE_LIMIT after the last one, not '%s'",
                kit_strerror(r.status));
    expect_that(r.ft.calls == 3,
                "max_retries = 2 means 3 tries in all; fixed_retry_call "
                "made %zu",
                r.ft.calls);
    expect_fixed_sleeps(&r, 2, 2000, "3 tries have 2 waits between them");
    expect_that(r.info.http_status == 429,
                "*info must describe the last try (HTTP 429); its "
                "http_status is %ld",
                r.info.http_status);
    expect_attempt_lines(capture_text(&r.out), 3, 3);
    retry_run_clear(&r);
}

static void test_fixed_retry_does_not_retry_a_401(void **state)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    static const fake_step denied = {.transport = KIT_OK,
                                     .status = 401,
                                     .body = auth_error_body,
                                     .retry_after_ms = -1};
    retry_run r;

    (void)state;
    run_fixed(&r, &cfg, &denied, 1);
    expect_that(r.status == KIT_ERR_AUTH,
                "a 401 must be returned as KIT_ERR_AUTH, not '%s'",
                kit_strerror(r.status));
    expect_that(r.ft.calls == 1,
                "a 401 was tried %zu times; a bad key stays bad, so it must "
                "be tried once",
                r.ft.calls);
    expect_fixed_sleeps(&r, 0, 2000, "a 401 waits for nothing");
    retry_run_clear(&r);
}

static void test_fixed_retry_retries_only_429(void **state)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    static const fake_step unavailable = {.transport = KIT_OK,
                                          .status = 503,
                                          .body = server_error_body,
                                          .retry_after_ms = -1};
    static const fake_step timeout = {.transport = KIT_ERR_TIMEOUT,
                                      .retry_after_ms = -1};
    retry_run r;

    (void)state;
    run_fixed(&r, &cfg, &unavailable, 1);
    expect_that(r.status == KIT_ERR_SERVER && r.ft.calls == 1,
                "lab 0 retries a 429 only (lab 1 handles the rest): a 503 "
                "must return KIT_ERR_SERVER after one try; got '%s' after "
                "%zu tries",
                kit_strerror(r.status), r.ft.calls);
    retry_run_clear(&r);

    run_fixed(&r, &cfg, &timeout, 1);
    expect_that(r.status == KIT_ERR_TIMEOUT && r.ft.calls == 1,
                "lab 0 retries a 429 only: a timeout must return "
                "KIT_ERR_TIMEOUT after one try; got '%s' after %zu tries",
                kit_strerror(r.status), r.ft.calls);
    retry_run_clear(&r);
}

static void test_fixed_retry_uses_the_configured_delay_and_count(void **state)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    static const fake_step always_429 = {.transport = KIT_OK,
                                         .status = 429,
                                         .body = rate_limit_body,
                                         .retry_after_ms = -1};
    retry_run r;

    (void)state;
    cfg.max_retries = 4;
    cfg.delay_ms = 50;
    run_fixed(&r, &cfg, &always_429, 1);
    expect_that(r.status == KIT_ERR_RATE_LIMIT && r.ft.calls == 5,
                "with max_retries = 4 an always-429 call makes 5 tries and "
                "returns KIT_ERR_RATE_LIMIT; got %zu tries and '%s' (use "
                "cfg->max_retries, not a constant)",
                r.ft.calls, kit_strerror(r.status));
    expect_fixed_sleeps(&r, 4, 50,
                        "with delay_ms = 50 and 5 tries (use cfg->delay_ms)");
    expect_attempt_lines(capture_text(&r.out), 5, 5);
    retry_run_clear(&r);
}

/* ---- Against the mock server -------------------------------------------- */

static mockproc mock;

/* Starts this program's one mock server the first time a test needs it, so
 * the unit tests run even when the server cannot start. */
static int mock_up(void **state)
{
    (void)state;
    if (mock.base_url[0] == '\0') {
        if (mockproc_start(&mock, NULL) != 0)
            return -1;
        mockproc_export_env(&mock);
    }
    return 0;
}

static int stop_mock(void **state)
{
    (void)state;
    if (mock.base_url[0] != '\0')
        mockproc_stop(&mock); /* leaves a shared server running */
    return 0;
}

static void script_key(const char *key, const char *json)
{
    long code = mockctl_put_script(&mock, key, json);

    expect_that(code >= 200 && code < 300,
                "the test could not script the mock server (HTTP %ld): this "
                "is a problem with the kit, not with your code",
                code);
}

/* Reads one number field of the journal's request i. */
static double journal_num(const cJSON *j, int i, const char *field)
{
    const cJSON *req =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "requests"), i);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, field);

    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int journal_len(const cJSON *j)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "requests"));
}

/* verify_run against the mock server with a fresh key in TEST_KEY_VAR. */
static kit_status run_verify_live(const char *key, const char *base_url,
                                  long timeout_ms, capture *out)
{
    verify_config cfg = VERIFY_CONFIG_DEFAULT;

    setenv(TEST_KEY_VAR, key, 1);
    cfg.key_var = TEST_KEY_VAR;
    cfg.base_url = base_url; /* NULL: ANTHROPIC_BASE_URL, set to the mock */
    cfg.timeout_ms = timeout_ms;
    capture_open(out);
    return verify_run(&cfg, out->f);
}

static void test_verify_mock_call_succeeds(void **state)
{
    char key[64], want[64], timeline[2048];
    capture out;
    cJSON *j;
    kit_status st;
    const char *text;

    (void)state;
    unique_key(key, sizeof(key), "l0-ok");
    st = run_verify_live(key, NULL, 5000, &out);
    text = capture_text(&out);
    j = mockctl_journal(&mock, key);
    journal_timeline(j, timeline, sizeof(timeline));
    expect_that(st == KIT_OK,
                "verify_run against the mock server returned '%s'. It "
                "printed:\n%s",
                kit_strerror(st), text);
    expect_that(journal_len(j) == 1,
                "the server saw %d requests; the verification makes exactly "
                "one test call (did you use cfg->base_url or "
                "kit_env_base_url?). The server saw:\n%s",
                journal_len(j), timeline);
    snprintf(want, sizeof(want), "tokens: %.0f in, %.0f out",
             journal_num(j, 0, "input_tokens"),
             journal_num(j, 0, "output_tokens"));
    expect_that(has_line(text, want, NULL),
                "the server counted the usage as \"%s\"; verify_run must "
                "print that line. It printed:\n%s",
                want, text);
    cJSON_Delete(j);
    capture_close(&out);
}

static void test_verify_mock_explains_a_401(void **state)
{
    char key[64];
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    unique_key(key, sizeof(key), "l0-401");
    script_key(key, "{\"steps\":[{\"status\":401}],\"then\":\"repeat\"}");
    st = run_verify_live(key, NULL, 5000, &out);
    text = capture_text(&out);
    expect_that(st == KIT_ERR_AUTH && has_line(text, "fix: ", "rotate"),
                "a 401 from the server must return KIT_ERR_AUTH with a "
                "\"fix: \" line about rotating the key; verify_run "
                "returned '%s' and printed:\n%s",
                kit_strerror(st), text);
    expect_that(mockctl_count(&mock, key) == 1,
                "the server saw %d requests; the verification makes one "
                "call and never retries a 401",
                mockctl_count(&mock, key));
    capture_close(&out);
}

static void test_verify_mock_explains_connection_refused(void **state)
{
    /* Port 1 (tcpmux) is closed on any machine that runs these tests. */
    static const char closed[] = "http://127.0.0.1:1";
    char key[64];
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    unique_key(key, sizeof(key), "l0-refused");
    st = run_verify_live(key, closed, 5000, &out);
    text = capture_text(&out);
    expect_that(st == KIT_ERR_CONNECT,
                "nothing listens on %s: verify_run must return "
                "KIT_ERR_CONNECT, not '%s'. It printed:\n%s",
                closed, kit_strerror(st), text);
    expect_that(has_line(text, "fix: ", closed),
                "the \"fix: \" line must show the URL that refused (%s); "
                "verify_run printed:\n%s",
                closed, text);
    capture_close(&out);
}

static void test_verify_mock_explains_a_timeout(void **state)
{
    char key[64];
    capture out;
    kit_status st;
    const char *text;

    (void)state;
    unique_key(key, sizeof(key), "l0-timeout");
    script_key(key, "{\"steps\":[{\"fault\":\"timeout\"}],\"then\":\"ok\"}");
    st = run_verify_live(key, NULL, 300, &out);
    text = capture_text(&out);
    expect_that(st == KIT_ERR_TIMEOUT && has_line(text, "fix: ", "timed out"),
                "a server that never answers must give KIT_ERR_TIMEOUT and "
                "a \"fix: \" line saying it timed out (pass "
                "cfg->timeout_ms in the request); verify_run returned '%s' "
                "and printed:\n%s",
                kit_strerror(st), text);
    capture_close(&out);
}

/* fixed_retry_call against the mock server with the given script. */
static kit_status run_fixed_live(const char *key, const char *script,
                                 uint64_t delay_ms, kit_attempt *info,
                                 capture *out)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    kit_endpoint ep = {.base_url = mock.base_url, .api_key = key};
    kit_transport t;
    kit_chat_reply reply = {0};
    kit_status st;

    script_key(key, script);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    capture_open(out);
    cfg.delay_ms = delay_ms;
    cfg.out = out->f;
    st = fixed_retry_call(&cfg, &t, &ep, &small_request, &reply, info);
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&t);
    return st;
}

static void test_fixed_retry_mock_retries_429_then_succeeds(void **state)
{
    char key[64], timeline[2048];
    kit_attempt info;
    capture out;
    cJSON *j;
    kit_status st;

    (void)state;
    unique_key(key, sizeof(key), "l0-429");
    st = run_fixed_live(key,
                        "{\"steps\":[{\"status\":429},{\"status\":429}],"
                        "\"then\":\"ok\"}",
                        25, &info, &out);
    j = mockctl_journal(&mock, key);
    journal_timeline(j, timeline, sizeof(timeline));
    expect_that(st == KIT_OK && journal_len(j) == 3,
                "two 429s then a 200: fixed_retry_call returned '%s' and "
                "the server saw %d requests (want KIT_OK after 3). The "
                "server saw:\n%s",
                kit_strerror(st), journal_len(j), timeline);
    for (int i = 1; i < 3 && i < journal_len(j); i++) {
        double gap = journal_num(j, i, "t_ms") - journal_num(j, i - 1, "t_ms");

        expect_that(gap >= 23,
                    "try %d came %.1f ms after try %d; with delay_ms = 25 "
                    "it must wait 25 ms. The server saw:\n%s",
                    i + 1, gap, i, timeline);
    }
    expect_that(journal_len(j) < 3 ||
                    (journal_num(j, 0, "conn") == journal_num(j, 1, "conn") &&
                     journal_num(j, 1, "conn") == journal_num(j, 2, "conn")),
                "the tries used several TCP connections: use the transport "
                "you were given for every try. The server saw:\n%s",
                timeline);
    expect_attempt_lines(capture_text(&out), 3, 3);
    cJSON_Delete(j);
    capture_close(&out);
}

static void test_fixed_retry_mock_does_not_retry_401(void **state)
{
    char key[64];
    kit_attempt info;
    capture out;
    kit_status st;

    (void)state;
    unique_key(key, sizeof(key), "l0-401r");
    st = run_fixed_live(key,
                        "{\"steps\":[{\"status\":401}],\"then\":"
                        "\"repeat\"}",
                        25, &info, &out);
    expect_that(st == KIT_ERR_AUTH && mockctl_count(&mock, key) == 1,
                "a 401 must be returned as KIT_ERR_AUTH after one request; "
                "fixed_retry_call returned '%s' and the server saw %d",
                kit_strerror(st), mockctl_count(&mock, key));
    capture_close(&out);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_key_missing_names_the_variable_and_dotenv),
        cmocka_unit_test(test_verify_key_warns_about_stray_whitespace),
        cmocka_unit_test(test_verify_key_warns_without_the_provider_prefix),
        cmocka_unit_test(test_verify_key_never_prints_the_key),
        cmocka_unit_test(test_verify_run_prints_the_reply_and_tokens),
        cmocka_unit_test(test_verify_run_makes_no_call_without_a_key),
        cmocka_unit_test(test_verify_run_sends_the_trimmed_key),
        cmocka_unit_test(test_verify_run_explains_a_401),
        cmocka_unit_test(test_verify_run_explains_connection_refused),
        cmocka_unit_test(test_verify_run_explains_a_timeout),
        cmocka_unit_test(test_fixed_retry_waits_2000_ms_between_tries),
        cmocka_unit_test(test_fixed_retry_prints_attempt_i_of_n),
        cmocka_unit_test(test_fixed_retry_fails_after_the_last_try),
        cmocka_unit_test(test_fixed_retry_does_not_retry_a_401),
        cmocka_unit_test(test_fixed_retry_retries_only_429),
        cmocka_unit_test(test_fixed_retry_uses_the_configured_delay_and_count),
        cmocka_unit_test_setup_teardown(test_verify_mock_call_succeeds, mock_up,
                                        NULL),
        cmocka_unit_test_setup_teardown(test_verify_mock_explains_a_401,
                                        mock_up, NULL),
        cmocka_unit_test_setup_teardown(
            test_verify_mock_explains_connection_refused, mock_up, NULL),
        cmocka_unit_test_setup_teardown(test_verify_mock_explains_a_timeout,
                                        mock_up, NULL),
        cmocka_unit_test_setup_teardown(
            test_fixed_retry_mock_retries_429_then_succeeds, mock_up, NULL),
        cmocka_unit_test_setup_teardown(
            test_fixed_retry_mock_does_not_retry_401, mock_up, NULL),
    };

    return HARNESS_MAIN("lab00", tests, NULL, stop_mock);
}
