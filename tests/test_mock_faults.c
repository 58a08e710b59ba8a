/*
 * Black-box tests of the mock server's scripted faults: every status a step
 * may ask for, every fault with the exact libcurl error a client sees,
 * delay_ms, retry-after headers, "then", the "*" script, seeded chaos,
 * early-retry judging, and concurrency (a delayed request must not hold up
 * a fast one). One real build/mockserver answers for the whole group.
 */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static mockproc server;

/* ---- helpers ---------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    return mockproc_start(&server, NULL);
}

static int teardown(void **state)
{
    (void)state;
    return mockproc_stop(&server) == 0 ? 0 : -1;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000.0) * 1e6);
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

enum provider { ANTHROPIC, OPENAI, GEMINI };

/*
 * One small chat request with key; stream asks for server-sent events.
 * timeout_ms 0 means the harness default. Frees nothing: the caller frees
 * *r with http_result_free.
 */
static void call_ex(enum provider p, const char *key, bool stream,
                    long timeout_ms, http_result *r)
{
    char url[256], auth[160], body[320];
    const char *headers[] = {auth, "anthropic-version: 2023-06-01",
                             "Content-Type: application/json", NULL};

    switch (p) {
    case ANTHROPIC:
        snprintf(url, sizeof(url), "%s/v1/messages", server.base_url);
        snprintf(auth, sizeof(auth), "x-api-key: %s", key);
        snprintf(body, sizeof(body),
                 "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":64,"
                 "\"stream\":%s,\"messages\":[{\"role\":\"user\","
                 "\"content\":\"Say hello\"}]}",
                 stream ? "true" : "false");
        break;
    case OPENAI:
        snprintf(url, sizeof(url), "%s/v1/chat/completions", server.base_url);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
        snprintf(body, sizeof(body),
                 "{\"model\":\"gpt-4o-mini\",\"stream\":%s,\"messages\":"
                 "[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
                 stream ? "true" : "false");
        break;
    case GEMINI:
        snprintf(url, sizeof(url), "%s/v1beta/models/gemini-1.5-flash:%s",
                 server.base_url,
                 stream ? "streamGenerateContent?alt=sse" : "generateContent");
        snprintf(auth, sizeof(auth), "x-goog-api-key: %s", key);
        snprintf(body, sizeof(body),
                 "{\"contents\":[{\"parts\":[{\"text\":\"Say hello\"}]}]}");
        break;
    }
    assert_int_equal(http_do("POST", url, headers, body, timeout_ms, r), 0);
}

static void call(const char *key, http_result *r)
{
    call_ex(ANTHROPIC, key, false, 0, r);
}

static void put_script(const char *key, const char *script)
{
    long st = mockctl_put_script(&server, key, script);

    expect_that(st == 200, "PUT /_mock/scripts should accept %s, got %ld",
                script, st);
}

/* A new key with a script installed. */
static void scripted_key(char *key, size_t n, const char *tag,
                         const char *script)
{
    unique_key(key, n, tag);
    put_script(key, script);
}

/* The journal's requests array for key (the caller frees *journal). */
static const cJSON *journal_requests(const char *key, cJSON **journal)
{
    *journal = mockctl_journal(&server, key);
    expect_that(*journal != NULL, "GET /_mock/journal should answer");
    return cJSON_GetObjectItemCaseSensitive(*journal, "requests");
}

/* ---- statuses ------------------------------------------------------------ */

static const int all_statuses[] = {200, 400, 401, 403, 404, 408, 413,
                                   429, 500, 502, 503, 504, 529};
#define N_STATUSES (sizeof(all_statuses) / sizeof(all_statuses[0]))

static const char *anthropic_type(int status)
{
    switch (status) {
    case 400:
    case 408:
        return "invalid_request_error";
    case 401:
        return "authentication_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 504:
        return "timeout_error";
    case 529:
        return "overloaded_error";
    default:
        return "api_error";
    }
}

static void test_every_scripted_status_comes_back_in_order(void **state)
{
    char key[64], script[1024] = "{\"steps\":[";
    http_result r;

    (void)state;
    for (size_t i = 0; i < N_STATUSES; i++) {
        size_t used = strlen(script);

        snprintf(script + used, sizeof(script) - used, "%s{\"status\":%d}",
                 i ? "," : "", all_statuses[i]);
    }
    strcat(script, "]}");
    scripted_key(key, sizeof(key), "statuses", script);
    for (size_t i = 0; i < N_STATUSES; i++) {
        char want[64];
        char ct[64];

        call(key, &r);
        expect_that(r.curl == CURLE_OK && r.status == all_statuses[i],
                    "step %zu asks for %d; the client got curl %d status "
                    "%ld",
                    i, all_statuses[i], r.curl, r.status);
        expect_that(http_header(&r, "Content-Type", ct, sizeof(ct)) &&
                        strcmp(ct, "application/json") == 0,
                    "a scripted %d is still application/json", all_statuses[i]);
        if (all_statuses[i] != 200) {
            snprintf(want, sizeof(want), "\"type\":\"%s\"",
                     anthropic_type(all_statuses[i]));
            expect_that(strstr(r.body, "\"type\":\"error\"") &&
                            strstr(r.body, want),
                        "a scripted %d in Anthropic's envelope has %s: %s",
                        all_statuses[i], want, r.body);
        }
        http_result_free(&r);
    }
    call(key, &r);
    expect_that(r.status == 200,
                "after the steps a script succeeds "
                "(\"then\" defaults to \"ok\"), got %ld",
                r.status);
    http_result_free(&r);
}

static void test_scripted_errors_use_each_providers_envelope(void **s)
{
    static const struct {
        enum provider p;
        int status;
        const char *mark;
    } cases[] = {
        {OPENAI, 429, "\"code\":\"rate_limit_exceeded\""},
        {OPENAI, 500, "\"type\":\"server_error\""},
        {OPENAI, 401, "\"code\":\"invalid_api_key\""},
        {GEMINI, 429, "google.rpc.RetryInfo"},
        {GEMINI, 429, "\"status\":\"RESOURCE_EXHAUSTED\""},
        {GEMINI, 503, "\"status\":\"UNAVAILABLE\""},
        {GEMINI, 500, "\"status\":\"INTERNAL\""},
        {GEMINI, 401, "\"status\":\"UNAUTHENTICATED\""},
        {GEMINI, 403, "\"status\":\"PERMISSION_DENIED\""},
        {GEMINI, 400, "\"code\":400"},
    };
    char key[64], script[64];

    (void)s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_result r;

        snprintf(script, sizeof(script), "{\"steps\":[{\"status\":%d}]}",
                 cases[i].status);
        scripted_key(key, sizeof(key), "envelope", script);
        call_ex(cases[i].p, key, false, 0, &r);
        expect_that(r.status == cases[i].status &&
                        strstr(r.body, cases[i].mark),
                    "a scripted %d should carry %s; got %ld %s",
                    cases[i].status, cases[i].mark, r.status, r.body);
        http_result_free(&r);
    }
}

/* ---- faults ------------------------------------------------------------- */

static void expect_fault(const char *fault, bool stream, CURLcode want,
                         long want_status, const char *why)
{
    char key[64], script[96];
    http_result r;

    snprintf(script, sizeof(script), "{\"steps\":[{\"fault\":\"%s\"}]}", fault);
    scripted_key(key, sizeof(key), fault, script);
    call_ex(ANTHROPIC, key, stream, 0, &r);
    expect_that(r.curl == want,
                "fault %s%s should make curl fail with %d (%s) because %s; "
                "it got %d (%s)",
                fault, stream ? " on a stream" : "", want,
                curl_easy_strerror(want), why, r.curl,
                curl_easy_strerror(r.curl));
    expect_that(r.status == want_status,
                "fault %s: the client should see HTTP status %ld, saw %ld",
                fault, want_status, r.status);
    http_result_free(&r);
    /* The fault is one step: the next request is fine. */
    call(key, &r);
    expect_that(r.curl == CURLE_OK && r.status == 200,
                "after fault %s the key's next request succeeds; got curl "
                "%d status %ld",
                fault, r.curl, r.status);
    http_result_free(&r);
}

static void test_fault_reset_is_curl_56_connection_reset(void **state)
{
    (void)state;
    expect_fault("reset", false, CURLE_RECV_ERROR, 0,
                 "the server resets the TCP connection (RST)");
}

static void test_fault_close_is_curl_52_empty_reply(void **state)
{
    (void)state;
    expect_fault("close", false, CURLE_GOT_NOTHING, 0,
                 "the server closes without a response");
}

static void test_fault_partial_is_curl_18_whole_and_streamed(void **state)
{
    (void)state;
    expect_fault("partial", false, CURLE_PARTIAL_FILE, 200,
                 "the body stops short of its Content-Length");
    expect_fault("partial", true, CURLE_PARTIAL_FILE, 200,
                 "the chunked stream stops mid-way");
}

static void test_fault_malformed_is_200_with_unparseable_json(void **state)
{
    char key[64];
    http_result r;
    cJSON *j;

    (void)state;
    scripted_key(key, sizeof(key), "malformed",
                 "{\"steps\":[{\"fault\":\"malformed\"}]}");
    call(key, &r);
    j = cJSON_Parse(r.body);
    expect_that(r.curl == CURLE_OK && r.status == 200 && r.body_len > 0 &&
                    j == NULL,
                "malformed is a clean 200 whose body is cut JSON; got curl "
                "%d status %ld body %s",
                r.curl, r.status, r.body);
    cJSON_Delete(j);
    http_result_free(&r);
}

static void test_fault_empty_is_200_with_no_body(void **state)
{
    (void)state;
    expect_fault("empty", false, CURLE_OK, 200,
                 "an empty 200 is a successful transfer");
}

static void test_fault_timeout_holds_until_the_client_gives_up(void **s)
{
    char key[64];
    http_result r;
    double t0;

    (void)s;
    scripted_key(key, sizeof(key), "timeout",
                 "{\"steps\":[{\"fault\":\"timeout\"}]}");
    t0 = now_ms();
    call_ex(ANTHROPIC, key, false, 200, &r);
    expect_that(r.curl == CURLE_OPERATION_TIMEDOUT && r.status == 0,
                "a held connection makes a 200 ms client time out with curl "
                "28; got curl %d status %ld",
                r.curl, r.status);
    expect_that(now_ms() - t0 < 1000,
                "the client gave up at 200 ms; the call took %.0f ms",
                now_ms() - t0);
    http_result_free(&r);
    call(key, &r);
    expect_that(r.status == 200, "the key's next request succeeds, got %ld",
                r.status);
    http_result_free(&r);
}

static void test_timeout_with_delay_ms_closes_after_that_hold(void **s)
{
    char key[64];
    http_result r;

    (void)s;
    scripted_key(key, sizeof(key), "timeout-hold",
                 "{\"steps\":[{\"fault\":\"timeout\",\"delay_ms\":150}]}");
    call_ex(ANTHROPIC, key, false, 3000, &r);
    expect_that(r.curl == CURLE_GOT_NOTHING && r.total_s >= 0.14,
                "a timeout held for delay_ms 150 then closes: a patient "
                "client sees curl 52 after >= 150 ms; got curl %d after "
                "%.3f s",
                r.curl, r.total_s);
    http_result_free(&r);
}

/* ---- timing and headers ---------------------------------------------- */

static void test_delay_ms_answers_late(void **state)
{
    char key[64];
    http_result r;
    cJSON *journal;
    const cJSON *first;

    (void)state;
    scripted_key(key, sizeof(key), "delay",
                 "{\"steps\":[{\"status\":200,\"delay_ms\":250}]}");
    call(key, &r);
    expect_that(r.status == 200 && r.total_s >= 0.245 && r.total_s < 2.0,
                "delay_ms 250 makes the 200 arrive about 250 ms late; it "
                "took %.3f s (status %ld)",
                r.total_s, r.status);
    http_result_free(&r);
    first = cJSON_GetArrayItem(journal_requests(key, &journal), 0);
    expect_that(
        cJSON_GetObjectItemCaseSensitive(first, "delay_ms") &&
            cJSON_GetObjectItemCaseSensitive(first, "delay_ms")->valueint ==
                250,
        "the journal records delay_ms 250");
    cJSON_Delete(journal);
}

static void test_retry_after_headers_are_sent_as_scripted(void **state)
{
    char key[64], v[32];
    http_result r;

    (void)state;
    scripted_key(key, sizeof(key), "retry-after",
                 "{\"steps\":[{\"status\":429,\"retry_after\":2},"
                 "{\"status\":503,\"retry_after_ms\":1500},"
                 "{\"status\":529,\"retry_after\":1,\"retry_after_ms\":750},"
                 "{\"status\":429}]}");
    call(key, &r);
    expect_that(
        r.status == 429 && http_header(&r, "retry-after", v, sizeof(v)) &&
            strcmp(v, "2") == 0 &&
            !http_header(&r, "retry-after-ms", v, sizeof(v)),
        "step 1 sends retry-after: 2 and no retry-after-ms:\n%s", r.headers);
    http_result_free(&r);
    sleep_ms(5);
    call(key, &r);
    expect_that(r.status == 503 &&
                    http_header(&r, "retry-after-ms", v, sizeof(v)) &&
                    strcmp(v, "1500") == 0 &&
                    !http_header(&r, "retry-after", v, sizeof(v)),
                "step 2 sends retry-after-ms: 1500 only:\n%s", r.headers);
    http_result_free(&r);
    call(key, &r);
    expect_that(r.status == 529 &&
                    http_header(&r, "retry-after", v, sizeof(v)) &&
                    strcmp(v, "1") == 0 &&
                    http_header(&r, "retry-after-ms", v, sizeof(v)) &&
                    strcmp(v, "750") == 0,
                "step 3 sends both headers:\n%s", r.headers);
    http_result_free(&r);
    call(key, &r);
    expect_that(
        r.status == 429 && !http_header(&r, "retry-after", v, sizeof(v)),
        "a 429 step without retry values sends no retry-after:\n%s", r.headers);
    http_result_free(&r);
}

static void test_then_repeat_cycles_the_steps(void **state)
{
    static const long want[] = {503, 200, 503, 200, 503};
    char key[64];

    (void)state;
    scripted_key(key, sizeof(key), "repeat",
                 "{\"steps\":[{\"status\":503},{}],\"then\":\"repeat\"}");
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        http_result r;

        call(key, &r);
        expect_that(r.status == want[i],
                    "with then:repeat request %zu should get %ld, got %ld",
                    i + 1, want[i], r.status);
        http_result_free(&r);
    }
}

static void test_wildcard_script_is_walked_by_each_key_alone(void **state)
{
    char a[64], b[64], own[64];
    http_result r;

    (void)state;
    unique_key(a, sizeof(a), "wild-a");
    unique_key(b, sizeof(b), "wild-b");
    scripted_key(own, sizeof(own), "wild-own", "{\"steps\":[{}]}");
    put_script("*", "{\"steps\":[{\"status\":500}]}");
    call(a, &r);
    expect_that(r.status == 500,
                "key a has no script: \"*\" gives it 500, "
                "got %ld",
                r.status);
    http_result_free(&r);
    call(b, &r);
    expect_that(r.status == 500,
                "key b walks \"*\" from its own first step, "
                "so it gets 500 too, got %ld",
                r.status);
    http_result_free(&r);
    call(a, &r);
    expect_that(r.status == 200, "key a has used up the \"*\" steps, got %ld",
                r.status);
    http_result_free(&r);
    call(own, &r);
    expect_that(r.status == 200,
                "a key with its own script ignores \"*\", "
                "got %ld",
                r.status);
    http_result_free(&r);
    expect_that(mockctl(&server, "DELETE", "/_mock/scripts/*", NULL, NULL) ==
                    200,
                "DELETE /_mock/scripts/* removes the wildcard");
}

/* ---- chaos ----------------------------------------------------------------
 */

static void chaos_run(const char *script, char *out, size_t n)
{
    char key[64];

    scripted_key(key, sizeof(key), "chaos", script);
    out[0] = '\0';
    for (int i = 0; i < 30; i++) {
        http_result r;
        size_t used = strlen(out);

        call(key, &r);
        snprintf(out + used, n - used, "%ld ", r.status);
        http_result_free(&r);
    }
}

static void test_chaos_is_reproducible_by_seed(void **state)
{
    const char *seed7 = "{\"chaos\":{\"seed\":7,\"rate\":0.5,"
                        "\"statuses\":[429,503]}}";
    const char *seed8 = "{\"chaos\":{\"seed\":8,\"rate\":0.5,"
                        "\"statuses\":[429,503]}}";
    char first[256], second[256], other[256];
    int faults = 0;

    (void)state;
    chaos_run(seed7, first, sizeof(first));
    chaos_run(seed7, second, sizeof(second));
    chaos_run(seed8, other, sizeof(other));
    expect_that(strcmp(first, second) == 0,
                "the same seed must give the same sequence:\n%s\n%s", first,
                second);
    expect_that(strcmp(first, other) != 0,
                "a different seed should give a different sequence:\n%s\n%s",
                first, other);
    for (const char *p = first; (p = strstr(p, "429")) != NULL; p++)
        faults++;
    for (const char *p = first; (p = strstr(p, "503")) != NULL; p++)
        faults++;
    expect_that(faults >= 5 && faults <= 25,
                "rate 0.5 over 30 requests should fault about 15 times, not "
                "%d: %s",
                faults, first);
    expect_that(!strstr(first, " 0 "), "chaos only picks listed statuses");
}

/* ---- early retries --------------------------------------------------------
 */

static bool early_at(const cJSON *requests, int i)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(requests, i), "early_retry"));
}

static void test_retry_before_retry_after_is_marked_early(void **state)
{
    char key[64], timeline[1024];
    http_result r;
    cJSON *journal;
    const cJSON *req;

    (void)state;
    scripted_key(key, sizeof(key), "early",
                 "{\"steps\":[{\"status\":429,\"retry_after_ms\":300},"
                 "{\"status\":429,\"retry_after_ms\":200}]}");
    call(key, &r); /* 429, come back in 300 ms */
    http_result_free(&r);
    call(key, &r); /* at once: early; 429, come back in 200 ms */
    http_result_free(&r);
    sleep_ms(260);
    call(key, &r); /* waited long enough: not early */
    expect_that(r.status == 200, "the third request succeeds, got %ld",
                r.status);
    http_result_free(&r);
    req = journal_requests(key, &journal);
    expect_that(cJSON_GetArraySize(req) == 3 && !early_at(req, 0) &&
                    early_at(req, 1) && !early_at(req, 2),
                "only the retry sent before its retry-after is early:\n%s",
                journal_timeline(journal, timeline, sizeof(timeline)));
    cJSON_Delete(journal);
}

static void test_early_retry_429_refuses_retries_that_come_too_soon(void **s)
{
    char key[64], v[32], timeline[1024];
    http_result r;
    cJSON *journal;
    const cJSON *req;

    (void)s;
    scripted_key(key, sizeof(key), "early429",
                 "{\"steps\":[{\"status\":429,\"retry_after_ms\":250}],"
                 "\"early_retry\":\"429\"}");
    call(key, &r);
    http_result_free(&r);
    call(key, &r);
    expect_that(r.status == 429 &&
                    http_header(&r, "retry-after-ms", v, sizeof(v)) &&
                    atoi(v) > 0 && atoi(v) <= 250,
                "a retry before the retry-after gets another 429 saying how "
                "long is left (<= 250 ms); got %ld, retry-after-ms %s",
                r.status, v);
    http_result_free(&r);
    sleep_ms(300);
    call(key, &r);
    expect_that(r.status == 200,
                "the refused early retry did not use up a step, and the "
                "script has no more: a patient retry gets 200, got %ld",
                r.status);
    http_result_free(&r);
    req = journal_requests(key, &journal);
    expect_that(cJSON_GetArraySize(req) == 3 && early_at(req, 1) &&
                    !early_at(req, 2),
                "the journal marks the second request only:\n%s",
                journal_timeline(journal, timeline, sizeof(timeline)));
    cJSON_Delete(journal);
}

/* ---- concurrency ------------------------------------------------------------
 */

typedef struct slow_call {
    const char *key;
    http_result r;
    double took_ms;
} slow_call;

static void *slow_thread(void *arg)
{
    slow_call *c = arg;
    double t0 = now_ms();

    call(c->key, &c->r);
    c->took_ms = now_ms() - t0;
    return NULL;
}

static void test_a_delayed_request_does_not_hold_up_fast_ones(void **state)
{
    char slow_key[64], fast_key[64];
    slow_call slow[6];
    pthread_t th[6];

    (void)state;
    /* More delayed requests than the server has worker threads: if a
       worker slept through a delay, fast requests would queue behind. */
    scripted_key(slow_key, sizeof(slow_key), "slow",
                 "{\"steps\":[{\"delay_ms\":800}],\"then\":\"repeat\"}");
    unique_key(fast_key, sizeof(fast_key), "fast");
    for (int i = 0; i < 6; i++) {
        slow[i].key = slow_key;
        assert_int_equal(pthread_create(&th[i], NULL, slow_thread, &slow[i]),
                         0);
    }
    sleep_ms(100); /* let the slow requests arrive and be suspended */
    for (int i = 0; i < 10; i++) {
        http_result r;
        double t0 = now_ms();

        call(fast_key, &r);
        expect_that(r.status == 200 && now_ms() - t0 < 300,
                    "fast request %d took %.0f ms while 6 requests were "
                    "being delayed 800 ms; a delay must not hold a worker",
                    i + 1, now_ms() - t0);
        http_result_free(&r);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        expect_that(slow[i].r.status == 200 && slow[i].took_ms >= 790 &&
                        slow[i].took_ms < 1600,
                    "each delayed request answers after ~800 ms, all in "
                    "parallel; one took %.0f ms (status %ld)",
                    slow[i].took_ms, slow[i].r.status);
        http_result_free(&slow[i].r);
    }
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/*
 * 256 clients at once, each on its own connection and each held for
 * 300 ms, so all 256 are open together: every one must get its 200.
 */
static void test_holds_256_concurrent_connections(void **state)
{
    enum { N = 256 };
    CURL *easy[N];
    CURLM *multi = curl_multi_init();
    struct curl_slist *h = NULL;
    char key[64], url[256], auth[160];
    const char *body = "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":5,"
                       "\"messages\":[{\"role\":\"user\",\"content\":"
                       "\"hi\"}]}";
    int running = 0, ok = 0, msgs;
    double t0 = now_ms();
    CURLMsg *msg;
    cJSON *journal;
    const cJSON *req, *e;
    double conns[N];
    int n_conns = 0, distinct = 0;

    (void)state;
    assert_non_null(multi);
    scripted_key(key, sizeof(key), "many",
                 "{\"steps\":[{\"delay_ms\":300}],\"then\":\"repeat\"}");
    snprintf(url, sizeof(url), "%s/v1/messages", server.base_url);
    snprintf(auth, sizeof(auth), "x-api-key: %s", key);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "anthropic-version: 2023-06-01");
    for (int i = 0; i < N; i++) {
        easy[i] = curl_easy_init();
        assert_non_null(easy[i]);
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, 10000L);
        curl_multi_add_handle(multi, easy[i]);
    }
    do {
        curl_multi_perform(multi, &running);
        if (running)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    } while (running);
    while ((msg = curl_multi_info_read(multi, &msgs)) != NULL) {
        long status = 0;

        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK &&
            status == 200)
            ok++;
    }
    for (int i = 0; i < N; i++) {
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(multi);
    curl_slist_free_all(h);
    expect_that(ok == N, "all %d concurrent clients should get 200; %d did", N,
                ok);
    expect_that(now_ms() - t0 < 3000,
                "256 requests delayed 300 ms each, all at once, should take "
                "well under 3 s in total, not %.0f ms",
                now_ms() - t0);
    journal = mockctl_journal(&server, key);
    req = cJSON_GetObjectItemCaseSensitive(journal, "requests");
    cJSON_ArrayForEach(e, req)
    {
        double c = cJSON_GetObjectItemCaseSensitive(e, "conn")->valuedouble;
        bool seen = false;

        for (int i = 0; i < n_conns; i++)
            seen = seen || conns[i] == c;
        if (!seen && n_conns < N) {
            conns[n_conns++] = c;
            distinct++;
        }
    }
    expect_that(distinct == N,
                "the %d requests came on %d different connections; the "
                "journal's conn should show %d",
                N, N, distinct);
    cJSON_Delete(journal);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_scripted_status_comes_back_in_order),
        cmocka_unit_test(test_scripted_errors_use_each_providers_envelope),
        cmocka_unit_test(test_fault_reset_is_curl_56_connection_reset),
        cmocka_unit_test(test_fault_close_is_curl_52_empty_reply),
        cmocka_unit_test(test_fault_partial_is_curl_18_whole_and_streamed),
        cmocka_unit_test(test_fault_malformed_is_200_with_unparseable_json),
        cmocka_unit_test(test_fault_empty_is_200_with_no_body),
        cmocka_unit_test(test_fault_timeout_holds_until_the_client_gives_up),
        cmocka_unit_test(test_timeout_with_delay_ms_closes_after_that_hold),
        cmocka_unit_test(test_delay_ms_answers_late),
        cmocka_unit_test(test_retry_after_headers_are_sent_as_scripted),
        cmocka_unit_test(test_then_repeat_cycles_the_steps),
        cmocka_unit_test(test_wildcard_script_is_walked_by_each_key_alone),
        cmocka_unit_test(test_chaos_is_reproducible_by_seed),
        cmocka_unit_test(test_retry_before_retry_after_is_marked_early),
        cmocka_unit_test(
            test_early_retry_429_refuses_retries_that_come_too_soon),
        cmocka_unit_test(test_a_delayed_request_does_not_hold_up_fast_ones),
        cmocka_unit_test(test_holds_256_concurrent_connections),
    };

    return HARNESS_MAIN("mock_faults", tests, setup, teardown);
}
