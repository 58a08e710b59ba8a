/*
 * Black-box tests of the mock server's rate limits: tier presets on a
 * shrunk clock, accurate retry-after on 429, each provider's rate-limit
 * headers, per-key and "*" limits, the control API's bad input, and the
 * --tier flag. A real build/mockserver answers over HTTP.
 *
 * Most tests share one server started with --time-scale 0.02: a provider
 * minute lasts 1.2 s, so the free tier (5 RPM) refills one request every
 * 240 ms. That is slow enough that a burst of requests on this machine
 * lands inside one refill, and fast enough that waiting one out is quick.
 */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TIME_SCALE       "0.02"
#define SCALED_MINUTE_MS 1200.0 /* 60 s x 0.02 */

static mockproc server;

/* ---- helpers ---------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - ts.tv_sec * 1000.0) * 1e6);
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

enum provider { ANTHROPIC, OPENAI, GEMINI };

static const char *const provider_names[] = {"Anthropic", "OpenAI", "Gemini"};

/*
 * Sends one small chat request to a provider's endpoint with key, asking for
 * max_tokens output tokens. The caller frees *r with http_result_free.
 */
static void call(const mockproc *m, enum provider p, const char *key,
                 int max_tokens, http_result *r)
{
    char url[256], auth[320], body[256];
    const char *headers[4] = {"Content-Type: application/json", auth, NULL,
                              NULL};

    if (p == ANTHROPIC) {
        snprintf(url, sizeof(url), "%s/v1/messages", m->base_url);
        snprintf(auth, sizeof(auth), "x-api-key: %s", key);
        headers[2] = "anthropic-version: 2023-06-01";
        snprintf(body, sizeof(body),
                 "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":%d,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}",
                 max_tokens);
    } else if (p == OPENAI) {
        snprintf(url, sizeof(url), "%s/v1/chat/completions", m->base_url);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
        snprintf(body, sizeof(body),
                 "{\"model\":\"gpt-4o-mini\",\"max_tokens\":%d,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}",
                 max_tokens);
    } else {
        snprintf(url, sizeof(url),
                 "%s/v1beta/models/gemini-1.5-flash:generateContent",
                 m->base_url);
        snprintf(auth, sizeof(auth), "x-goog-api-key: %s", key);
        snprintf(body, sizeof(body),
                 "{\"contents\":[{\"role\":\"user\",\"parts\":"
                 "[{\"text\":\"ping\"}]}],"
                 "\"generationConfig\":{\"maxOutputTokens\":%d}}",
                 max_tokens);
    }
    assert_int_equal(http_do("POST", url, headers, body, 5000, r), 0);
    if (r->curl != CURLE_OK) {
        CURLcode curl = r->curl;

        http_result_free(r); /* the failure below skips the caller's free */
        fail_msg("a request to the %s endpoint got no answer: %s",
                 provider_names[p], curl_easy_strerror(curl));
    }
}

/* Sends one request and returns only its HTTP status. */
static long status_of(const mockproc *m, enum provider p, const char *key,
                      int max_tokens)
{
    http_result r;
    long status;

    call(m, p, key, max_tokens, &r);
    status = r.status;
    http_result_free(&r);
    return status;
}

/* Sends n requests and expects every one to succeed. */
static void expect_n_ok(const mockproc *m, enum provider p, const char *key,
                        int n, const char *why)
{
    for (int i = 1; i <= n; i++) {
        long status = status_of(m, p, key, 16);
        expect_that(status == 200,
                    "expected a 200 on request %d of %d (%s); got %ld", i, n,
                    why, status);
    }
}

/* A header's value as a number; fails the test when it is missing. */
static long long header_number(const http_result *r, const char *name)
{
    char buf[64] = "", *end;
    long long v;

    expect_that(http_header(r, name, buf, sizeof(buf)) != NULL,
                "expected a %s header (status %ld); it is missing", name,
                r->status);
    v = strtoll(buf, &end, 10);
    expect_that(end != buf && *end == '\0',
                "the %s header should be a whole number; got \"%s\"", name,
                buf);
    return v;
}

static void expect_no_header(const http_result *r, const char *name,
                             const char *why)
{
    char buf[64];

    expect_that(http_header(r, name, buf, sizeof(buf)) == NULL,
                "expected no %s header (%s); got \"%s\"", name, why, buf);
}

/* A member of the JSON body, by a path of names; NULL when absent. */
static const cJSON *body_number(const cJSON *root, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, a);

    v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsNumber(v) ? v : NULL;
}

/*
 * Parses an RFC 3339 UTC time with whole seconds ("2026-11-30T03:04:05Z")
 * into Unix seconds. Returns false when s is not in that form.
 */
static bool parse_rfc3339(const char *s, long long *out)
{
    int y, mo, d, h, mi, sec, n = 0;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec,
               &n) != 6 ||
        n != 20 || s[n] != '\0')
        return false;
    /* Days from 1970-01-01 to y-mo-d in the proleptic Gregorian calendar
     * (H. Hinnant's days_from_civil). */
    y -= mo <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = era * 146097 + doe - 719468;
    *out = days * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

/*
 * Parses an OpenAI reset duration ("6m0s", "1.5s", "120ms", "0s") into
 * milliseconds. Returns false when s is not in that form.
 */
static bool parse_duration(const char *s, double *ms)
{
    double total = 0;
    bool any = false;
    char *end;

    while (*s) {
        double v = strtod(s, &end);
        if (end == s || v < 0)
            return false;
        if (strncmp(end, "ms", 2) == 0) {
            total += v;
            end += 2;
        } else if (*end == 'h') {
            total += v * 3600000;
            end++;
        } else if (*end == 'm') {
            total += v * 60000;
            end++;
        } else if (*end == 's') {
            total += v * 1000;
            end++;
        } else {
            return false;
        }
        any = true;
        s = end;
    }
    *ms = total;
    return any;
}

/* The tokens the server charges: input tokens + max_tokens. */
static long long charged_tokens(const http_result *r, enum provider p,
                                int max_tokens)
{
    cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *in = p == ANTHROPIC
                          ? body_number(root, "usage", "input_tokens")
                          : body_number(root, "usage", "prompt_tokens");
    long long n = in ? (long long)in->valuedouble : -1;

    cJSON_Delete(root);
    expect_that(n >= 0, "the %s answer should report its input tokens: %s",
                provider_names[p], r->body);
    return n + max_tokens;
}

static long put_limits(const mockproc *m, const char *key, const char *json)
{
    return mockctl_put_limits(m, key, json);
}

static long delete_limits(const mockproc *m, const char *key)
{
    char path[256];

    /* The tests' keys need no escaping in a path; neither does "*". */
    snprintf(path, sizeof(path), "/_mock/limits/%s", key);
    return mockctl(m, "DELETE", path, NULL, NULL);
}

/* ---- fixtures --------------------------------------------------------- */

static int start_server(void **state)
{
    const char *const args[] = {"--time-scale", TIME_SCALE, NULL};

    (void)state;
    return mockproc_start(&server, args);
}

static int stop_server(void **state)
{
    (void)state;
    mockproc_stop(&server);
    return 0;
}

/* Every test starts from a server with no limits and no scripts. */
static int reset_server(void **state)
{
    (void)state;
    return mockctl_reset(&server) == 200 ? 0 : -1;
}

/* ---- presets and 429 -------------------------------------------------- */

static void
test_anthropic_free_tier_gives_429_on_the_sixth_request(void **state)
{
    char key[64];
    http_result r;

    (void)state;
    unique_key(key, sizeof(key), "free");
    assert_int_equal(put_limits(&server, key, "{\"tier\":\"anthropic-free\"}"),
                     200);
    expect_n_ok(&server, ANTHROPIC, key, 5,
                "the anthropic-free tier allows "
                "5 requests per minute");
    call(&server, ANTHROPIC, key, 16, &r);
    expect_that(r.status == 429,
                "expected a 429 on the 6th request at the anthropic-free "
                "tier; got %ld",
                r.status);
    expect_that(strstr(r.body, "rate_limit_error") != NULL,
                "the 429 should be Anthropic's rate_limit_error; got %s",
                r.body);
    expect_that(header_number(&r, "anthropic-ratelimit-requests-remaining") ==
                    0,
                "the 429 should say no requests remain");
    http_result_free(&r);
}

static void test_retry_after_ms_is_accurate_enough_to_wait_on(void **state)
{
    char key[64];
    http_result r;
    long long wait_ms, retry_after;
    double limited_at, elapsed;

    (void)state;
    unique_key(key, sizeof(key), "accurate");
    assert_int_equal(put_limits(&server, key, "{\"tier\":\"anthropic-free\"}"),
                     200);
    expect_n_ok(&server, ANTHROPIC, key, 5, "the free tier's burst");
    call(&server, ANTHROPIC, key, 16, &r);
    limited_at = now_ms();
    expect_that(r.status == 429,
                "expected a 429 after the burst of 5; got "
                "%ld",
                r.status);
    wait_ms = header_number(&r, "retry-after-ms");
    retry_after = header_number(&r, "retry-after");
    http_result_free(&r);

    /* One request refills in 60 s / 5 x 0.02 = 240 ms, less what the burst
     * took; a burst on loopback takes far less than half of that. */
    expect_that(wait_ms > 120 && wait_ms <= 240,
                "retry-after-ms should be the scaled time until a request "
                "refills, between 120 and 240 ms; got %lld",
                wait_ms);
    expect_that(retry_after == 1,
                "retry-after is whole seconds rounded up: %lld ms should "
                "read 1; got %lld",
                wait_ms, retry_after);

    sleep_ms(wait_ms / 2.0 - (now_ms() - limited_at));
    elapsed = now_ms() - limited_at;
    expect_that(status_of(&server, ANTHROPIC, key, 16) == 429,
                "%.0f ms into a %lld ms retry-after the request should "
                "still get 429",
                elapsed, wait_ms);

    sleep_ms(wait_ms + 5 - (now_ms() - limited_at));
    elapsed = now_ms() - limited_at;
    expect_that(status_of(&server, ANTHROPIC, key, 16) == 200,
                "after waiting the advertised %lld ms (%.0f ms in fact) the "
                "request should succeed",
                wait_ms, elapsed);
}

static void test_a_scaled_minute_refills_the_whole_tier(void **state)
{
    char key[64];

    (void)state;
    unique_key(key, sizeof(key), "window");
    assert_int_equal(put_limits(&server, key, "{\"tier\":\"anthropic-free\"}"),
                     200);
    expect_n_ok(&server, ANTHROPIC, key, 5, "the first burst");
    expect_that(status_of(&server, ANTHROPIC, key, 16) == 429,
                "the 6th request of the burst should get 429");
    sleep_ms(SCALED_MINUTE_MS + 20);
    expect_n_ok(&server, ANTHROPIC, key, 5,
                "at --time-scale " TIME_SCALE " one minute lasts 1.2 s, "
                "after which the bucket is full again");
}

static void test_every_tier_preset_has_the_course_limits(void **state)
{
    static const struct {
        const char *tier;
        long long rpm, tpm;
    } tiers[] = {
        {"anthropic-free", 5, 10000},      {"anthropic-tier1", 50, 40000},
        {"anthropic-tier2", 1000, 400000}, {"openai-free", 3, 40000},
        {"openai-tier1", 500, 200000},     {"openai-tier2", 5000, 2000000},
    };
    char key[64], json[96];
    http_result r;

    (void)state;
    for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
        unique_key(key, sizeof(key), "tier");
        snprintf(json, sizeof(json), "{\"tier\":\"%s\"}", tiers[i].tier);
        expect_that(put_limits(&server, key, json) == 200,
                    "PUT /_mock/limits with the tier %s should succeed",
                    tiers[i].tier);
        call(&server, ANTHROPIC, key, 16, &r);
        expect_that(r.status == 200, "the first request at %s should pass",
                    tiers[i].tier);
        expect_that(header_number(&r, "anthropic-ratelimit-requests-limit") ==
                            tiers[i].rpm &&
                        header_number(&r, "anthropic-ratelimit-tokens-limit") ==
                            tiers[i].tpm,
                    "the tier %s should be %lld RPM / %lld TPM", tiers[i].tier,
                    tiers[i].rpm, tiers[i].tpm);
        http_result_free(&r);
    }
}

static void test_the_tokens_limit_counts_input_plus_max_tokens(void **state)
{
    char key[64];
    http_result r;
    long long cost, remaining, wait_ms;

    (void)state;
    unique_key(key, sizeof(key), "tpm");
    assert_int_equal(put_limits(&server, key, "{\"rpm\":100,\"tpm\":1000}"),
                     200);
    call(&server, ANTHROPIC, key, 600, &r);
    expect_that(r.status == 200, "a first request of about 600 tokens "
                                 "should fit 1000 TPM");
    cost = charged_tokens(&r, ANTHROPIC, 600);
    remaining = header_number(&r, "anthropic-ratelimit-tokens-remaining");
    expect_that(remaining == 1000 - cost,
                "the server charges input + max_tokens (%lld), so %lld "
                "tokens should remain; the header says %lld",
                cost, 1000 - cost, remaining);
    http_result_free(&r);

    call(&server, ANTHROPIC, key, 600, &r);
    expect_that(r.status == 429,
                "a second request of %lld tokens with about %lld left "
                "should get 429; got %ld",
                cost, remaining, r.status);
    wait_ms = header_number(&r, "retry-after-ms");
    /* The shortfall refills at 1000 tokens per 1.2 s. */
    expect_that(wait_ms > 0 && wait_ms <= (cost - remaining) * 1.2 + 1,
                "retry-after-ms should be the time to refill the %lld "
                "missing tokens (at most %.0f ms); got %lld",
                cost - remaining, (cost - remaining) * 1.2 + 1, wait_ms);
    http_result_free(&r);

    expect_that(status_of(&server, ANTHROPIC, key, 10) == 200,
                "a small request should still fit: the refused one must "
                "not have been charged");
}

/* ---- headers ---------------------------------------------------------- */

static void test_anthropic_headers_have_rfc3339_resets(void **state)
{
    char key[64], buf[64] = "";
    http_result r;
    long long cost, reset_s;
    time_t before = time(NULL), after;

    (void)state;
    unique_key(key, sizeof(key), "ant-headers");
    assert_int_equal(put_limits(&server, key, "{\"rpm\":10,\"tpm\":5000}"),
                     200);
    call(&server, ANTHROPIC, key, 100, &r);
    after = time(NULL);
    assert_int_equal(r.status, 200);
    cost = charged_tokens(&r, ANTHROPIC, 100);

    expect_that(header_number(&r, "anthropic-ratelimit-requests-limit") == 10,
                "anthropic-ratelimit-requests-limit should be 10");
    expect_that(header_number(&r, "anthropic-ratelimit-requests-remaining") ==
                    9,
                "after the first of 10 RPM, 9 requests should remain");
    expect_that(header_number(&r, "anthropic-ratelimit-tokens-limit") == 5000,
                "anthropic-ratelimit-tokens-limit should be 5000");
    expect_that(header_number(&r, "anthropic-ratelimit-tokens-remaining") ==
                    5000 - cost,
                "after a request of %lld tokens, %lld of 5000 should "
                "remain",
                cost, 5000 - cost);

    static const char *const resets[] = {"anthropic-ratelimit-requests-reset",
                                         "anthropic-ratelimit-tokens-reset"};
    for (int i = 0; i < 2; i++) {
        expect_that(http_header(&r, resets[i], buf, sizeof(buf)) != NULL,
                    "expected a %s header", resets[i]);
        expect_that(parse_rfc3339(buf, &reset_s),
                    "%s should be an RFC 3339 UTC time like "
                    "2026-11-30T03:04:05Z; got \"%s\"",
                    resets[i], buf);
        /* Scaled, a bucket refills within 1.2 s; rounded up to a second. */
        expect_that(reset_s >= before && reset_s <= after + 2,
                    "%s should be within 2 s of now at --time-scale %s; "
                    "got %s, %lld s from now",
                    resets[i], TIME_SCALE, buf, reset_s - (long long)after);
    }
    expect_no_header(&r, "retry-after", "a 200 is not told to retry");
    http_result_free(&r);
}

static void test_openai_headers_have_duration_resets(void **state)
{
    char key[64], buf[64] = "";
    http_result r;
    long long cost;
    double ms = 0;

    (void)state;
    unique_key(key, sizeof(key), "oai-headers");
    assert_int_equal(put_limits(&server, key, "{\"rpm\":10,\"tpm\":5000}"),
                     200);
    call(&server, OPENAI, key, 100, &r);
    assert_int_equal(r.status, 200);
    cost = charged_tokens(&r, OPENAI, 100);

    expect_that(header_number(&r, "x-ratelimit-limit-requests") == 10 &&
                    header_number(&r, "x-ratelimit-remaining-requests") == 9,
                "x-ratelimit-limit/remaining-requests should read 10 and 9");
    expect_that(header_number(&r, "x-ratelimit-limit-tokens") == 5000 &&
                    header_number(&r, "x-ratelimit-remaining-tokens") ==
                        5000 - cost,
                "x-ratelimit-limit/remaining-tokens should read 5000 and "
                "%lld",
                5000 - cost);
    /* One request of 10 RPM refills in 6 s, scaled by 0.02: 120 ms. */
    expect_that(
        http_header(&r, "x-ratelimit-reset-requests", buf, sizeof(buf)) &&
            strcmp(buf, "120ms") == 0,
        "x-ratelimit-reset-requests should be the scaled 120ms; got %s", buf);
    expect_that(http_header(&r, "x-ratelimit-reset-tokens", buf, sizeof(buf)) &&
                    parse_duration(buf, &ms),
                "x-ratelimit-reset-tokens should be a duration like 6m0s or "
                "120ms; got %s",
                buf);
    expect_that(ms >= cost * 0.24 - 1 && ms <= cost * 0.24 + 1,
                "%lld tokens of 5000 TPM refill in %.1f scaled ms; "
                "x-ratelimit-reset-tokens says %s",
                cost, cost * 0.24, buf);
    expect_no_header(&r, "anthropic-ratelimit-requests-limit",
                     "OpenAI answers carry only OpenAI's headers");
    http_result_free(&r);
}

static void test_openai_429_carries_retry_after_and_remaining_zero(void **state)
{
    char key[64];
    http_result r;
    long long wait_ms;

    (void)state;
    unique_key(key, sizeof(key), "oai-429");
    assert_int_equal(put_limits(&server, key, "{\"tier\":\"openai-free\"}"),
                     200);
    expect_n_ok(&server, OPENAI, key, 3, "openai-free allows 3 RPM");
    call(&server, OPENAI, key, 16, &r);
    expect_that(r.status == 429,
                "expected a 429 on the 4th request at the openai-free tier; "
                "got %ld",
                r.status);
    expect_that(header_number(&r, "x-ratelimit-remaining-requests") == 0,
                "the 429 should say no requests remain");
    wait_ms = header_number(&r, "retry-after-ms");
    /* 60 s / 3 x 0.02 = 400 ms per request. */
    expect_that(wait_ms > 200 && wait_ms <= 400,
                "retry-after-ms should be up to the scaled 400 ms a "
                "request takes to refill; got %lld",
                wait_ms);
    expect_that(header_number(&r, "retry-after") == 1,
                "retry-after should be %lld ms rounded up to 1 s", wait_ms);
    expect_that(strstr(r.body, "\"error\"") != NULL,
                "the 429 should come in OpenAI's error envelope; got %s",
                r.body);
    http_result_free(&r);
}

static void
test_gemini_429_has_retry_after_and_no_ratelimit_headers(void **state)
{
    char key[64], buf[64] = "";
    http_result r;
    cJSON *root;
    const cJSON *error, *code, *status;

    (void)state;
    unique_key(key, sizeof(key), "gemini");
    assert_int_equal(put_limits(&server, key, "{\"rpm\":1,\"tpm\":100000}"),
                     200);
    call(&server, GEMINI, key, 16, &r);
    expect_that(r.status == 200, "the first Gemini request should pass");
    expect_no_header(&r, "x-ratelimit-limit-requests",
                     "Gemini sends no rate-limit headers");
    expect_no_header(&r, "anthropic-ratelimit-requests-limit",
                     "Gemini sends no rate-limit headers");
    http_result_free(&r);

    call(&server, GEMINI, key, 16, &r);
    expect_that(r.status == 429,
                "the second request at 1 RPM should get "
                "429; got %ld",
                r.status);
    expect_that(http_header(&r, "retry-after", buf, sizeof(buf)) != NULL,
                "a Gemini 429 should carry retry-after");
    expect_no_header(&r, "x-ratelimit-remaining-requests",
                     "Gemini sends no rate-limit headers, even on 429");
    root = cJSON_ParseWithLength(r.body, r.body_len);
    error = cJSON_GetObjectItemCaseSensitive(root, "error");
    code = cJSON_GetObjectItemCaseSensitive(error, "code");
    status = cJSON_GetObjectItemCaseSensitive(error, "status");
    expect_that(cJSON_IsNumber(code) && code->valueint == 429 &&
                    cJSON_IsString(status) &&
                    strcmp(status->valuestring, "RESOURCE_EXHAUSTED") == 0,
                "the body should be Gemini's 429 RESOURCE_EXHAUSTED; got %s",
                r.body);
    expect_that(strstr(r.body, "retryDelay") != NULL,
                "the body should hold a RetryInfo retryDelay; got %s", r.body);
    cJSON_Delete(root);
    http_result_free(&r);
}

static void test_unlimited_keys_get_no_ratelimit_headers(void **state)
{
    char key[64];
    http_result r;

    (void)state;
    unique_key(key, sizeof(key), "unlimited");
    call(&server, ANTHROPIC, key, 16, &r);
    expect_no_header(&r, "anthropic-ratelimit-requests-limit",
                     "limits are off by default");
    http_result_free(&r);
    call(&server, OPENAI, key, 16, &r);
    expect_no_header(&r, "x-ratelimit-limit-requests",
                     "limits are off by default");
    http_result_free(&r);
}

/* ---- per key, "*", DELETE, reset -------------------------------------- */

static void test_star_limits_each_key_on_its_own(void **state)
{
    char a[64], b[64], vip[64];

    (void)state;
    unique_key(a, sizeof(a), "star-a");
    unique_key(b, sizeof(b), "star-b");
    unique_key(vip, sizeof(vip), "star-vip");
    assert_int_equal(put_limits(&server, "*", "{\"rpm\":1,\"tpm\":100000}"),
                     200);
    assert_int_equal(put_limits(&server, vip, "{\"rpm\":3,\"tpm\":100000}"),
                     200);

    expect_n_ok(&server, ANTHROPIC, a, 1, "\"*\" allows 1 RPM");
    expect_that(status_of(&server, ANTHROPIC, a, 16) == 429,
                "key a's second request should get 429 from the \"*\" "
                "limit of 1 RPM");
    expect_n_ok(&server, ANTHROPIC, b, 1,
                "each key under \"*\" has buckets of its own, so key a's "
                "use must not limit key b");
    expect_n_ok(&server, ANTHROPIC, vip, 3,
                "a key's own limit (3 RPM) replaces \"*\"");
    expect_that(status_of(&server, ANTHROPIC, vip, 16) == 429,
                "the vip key's 4th request should get 429 at 3 RPM");
}

static void test_delete_removes_a_keys_limits(void **state)
{
    char key[64];
    http_result r;
    long status;

    (void)state;
    unique_key(key, sizeof(key), "delete");
    assert_int_equal(put_limits(&server, key, "{\"rpm\":1,\"tpm\":100000}"),
                     200);
    expect_n_ok(&server, ANTHROPIC, key, 1, "1 RPM");
    expect_that(status_of(&server, ANTHROPIC, key, 16) == 429,
                "the second request at 1 RPM should get 429");
    status = delete_limits(&server, key);
    expect_that(status == 200 || status == 204,
                "DELETE /_mock/limits/KEY should succeed; got %ld", status);
    call(&server, ANTHROPIC, key, 16, &r);
    expect_that(r.status == 200,
                "after DELETE the key is unlimited again; got %ld", r.status);
    expect_no_header(&r, "anthropic-ratelimit-requests-limit",
                     "the key has no limits after DELETE");
    http_result_free(&r);
}

static void test_delete_star_lifts_the_default_limit(void **state)
{
    char key[64];
    long status;

    (void)state;
    unique_key(key, sizeof(key), "delete-star");
    assert_int_equal(put_limits(&server, "*", "{\"rpm\":1,\"tpm\":100000}"),
                     200);
    expect_n_ok(&server, OPENAI, key, 1, "\"*\" allows 1 RPM");
    expect_that(status_of(&server, OPENAI, key, 16) == 429,
                "the second request under \"*\" at 1 RPM should get 429");
    status = delete_limits(&server, "*");
    expect_that(status == 200 || status == 204,
                "DELETE /_mock/limits/* should succeed; got %ld", status);
    expect_n_ok(&server, OPENAI, key, 3, "with \"*\" deleted nothing limits");
}

static void test_reset_clears_limits_and_buckets(void **state)
{
    char key[64];

    (void)state;
    unique_key(key, sizeof(key), "reset");
    assert_int_equal(put_limits(&server, key, "{\"rpm\":1,\"tpm\":100000}"),
                     200);
    expect_n_ok(&server, ANTHROPIC, key, 1, "1 RPM");
    expect_that(mockctl_reset(&server) == 200, "POST /_mock/reset failed");
    expect_n_ok(&server, ANTHROPIC, key, 3,
                "POST /_mock/reset clears every limit");
}

/* ---- bad input -------------------------------------------------------- */

static void test_bad_limits_are_400_naming_the_field(void **state)
{
    static const struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"{\"rpm\":\"ten\",\"tpm\":1000}", "rpm"},
        {"{\"rpm\":-1,\"tpm\":1000}", "rpm"},
        {"{\"rpm\":10,\"tpm\":1.5}", "tpm"},
        {"{\"rpm\":10,\"tpm\":true}", "tpm"},
        {"{\"tier\":\"anthropic-tier9\"}", "tier"},
        {"{\"tier\":5}", "tier"},
    };
    char key[64], path[128];
    cJSON *reply = NULL;
    char *text;
    long status;

    (void)state;
    unique_key(key, sizeof(key), "bad");
    snprintf(path, sizeof(path), "/_mock/limits/%s", key);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        status = mockctl(&server, "PUT", path, cases[i].json, &reply);
        text = reply ? cJSON_PrintUnformatted(reply) : NULL;
        expect_that(status == 400,
                    "PUT /_mock/limits with %s should be 400; got %ld",
                    cases[i].json, status);
        expect_that(text && strstr(text, cases[i].field) != NULL,
                    "the 400 for %s should name the field %s; got %s",
                    cases[i].json, cases[i].field, text ? text : "no JSON");
        cJSON_free(text);
        cJSON_Delete(reply);
    }

    status = mockctl(&server, "PUT", path, "{\"rpm\":", NULL);
    expect_that(status == 400,
                "a PUT body that is not JSON should be 400; "
                "got %ld",
                status);
    expect_n_ok(&server, ANTHROPIC, key, 6,
                "rejected limits must not have been applied");
}

/* ---- the --tier flag -------------------------------------------------- */

static void test_tier_flag_limits_every_key_in_real_time(void **state)
{
    /* No --time-scale: real minutes, so nothing here waits one out. */
    const char *const args[] = {"--tier", "openai-free", NULL};
    mockproc tiered;
    char key[64], other[64], buf[64] = "";
    http_result r;
    long long wait_ms;
    double reset_ms = 0;

    (void)state;
    assert_int_equal(mockproc_start(&tiered, args), 0);
    unique_key(key, sizeof(key), "flag");
    unique_key(other, sizeof(other), "flag-other");

    expect_n_ok(&tiered, OPENAI, key, 3, "--tier openai-free allows 3 RPM");
    call(&tiered, OPENAI, key, 16, &r);
    expect_that(r.status == 429,
                "expected a 429 on the 4th request with --tier openai-free; "
                "got %ld",
                r.status);
    wait_ms = header_number(&r, "retry-after-ms");
    expect_that(wait_ms > 19000 && wait_ms <= 20000,
                "at real time one request of 3 RPM refills in 20 s; "
                "retry-after-ms was %lld",
                wait_ms);
    expect_that(header_number(&r, "retry-after") == 20,
                "retry-after should be %lld ms rounded up to 20 s", wait_ms);
    expect_that(
        http_header(&r, "x-ratelimit-reset-requests", buf, sizeof(buf)) &&
            parse_duration(buf, &reset_ms) && reset_ms > 59000 &&
            reset_ms <= 60000,
        "an empty 3 RPM bucket is full in about a minute; "
        "x-ratelimit-reset-requests says %s",
        buf);
    http_result_free(&r);

    call(&tiered, ANTHROPIC, other, 16, &r);
    expect_that(r.status == 200 &&
                    header_number(&r, "anthropic-ratelimit-requests-limit") ==
                        3,
                "another key gets its own openai-free bucket (limit 3) on "
                "any provider");
    http_result_free(&r);
    expect_that(mockproc_stop(&tiered) == 0,
                "the server should stop cleanly on SIGTERM");
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup(name, reset_server)
    const struct CMUnitTest tests[] = {
        T(test_anthropic_free_tier_gives_429_on_the_sixth_request),
        T(test_retry_after_ms_is_accurate_enough_to_wait_on),
        T(test_a_scaled_minute_refills_the_whole_tier),
        T(test_every_tier_preset_has_the_course_limits),
        T(test_the_tokens_limit_counts_input_plus_max_tokens),
        T(test_anthropic_headers_have_rfc3339_resets),
        T(test_openai_headers_have_duration_resets),
        T(test_openai_429_carries_retry_after_and_remaining_zero),
        T(test_gemini_429_has_retry_after_and_no_ratelimit_headers),
        T(test_unlimited_keys_get_no_ratelimit_headers),
        T(test_star_limits_each_key_on_its_own),
        T(test_delete_removes_a_keys_limits),
        T(test_delete_star_lifts_the_default_limit),
        T(test_reset_clears_limits_and_buckets),
        T(test_bad_limits_are_400_naming_the_field),
        T(test_tier_flag_limits_every_key_in_real_time),
    };
#undef T

    return HARNESS_MAIN("mock server: rate limits", tests, start_server,
                        stop_server);
}
