/*
 * The provided library's own tests (labs/common). Unit tests run on the fake
 * clock and the scripted fake transport; integration tests drive the libcurl
 * transport and kit_anthropic_call against one real build/mockserver,
 * started in the group setup and stopped by pid.
 *
 * Run from the repository root: build/tests/test_common [--list] [NAME...]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakes.h"
#include "harness.h"
#include "kit_chat.h"
#include "kit_clock.h"
#include "kit_env.h"
#include "kit_http.h"
#include "kit_log.h"
#include "kit_provider.h"
#include "kit_status.h"

/* ---- Helpers --------------------------------------------------------------
 */

static mockproc mock;
static bool mock_up;

static int group_setup(void **state)
{
    (void)state;
    /* The unit tests run even when the server cannot start; each
     * integration test then fails with the reason. */
    mock_up = mockproc_start(&mock, NULL) == 0;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (mock_up)
        mockproc_stop(&mock);
    return 0;
}

#define NEED_MOCK()                                                            \
    expect_that(mock_up, "the mock server did not start (is "                  \
                         "build/mockserver built? set MOCKSERVER=...)")

static kit_chat_request simple_request(const char *prompt)
{
    kit_chat_request req = {
        .model = "claude-haiku-4.5",
        .system = NULL,
        .prompt = prompt,
        .max_tokens = 256,
        .temperature = -1,
        .timeout_ms = 0,
    };
    return req;
}

static kit_http_response canned(const char *headers)
{
    kit_http_response r;

    memset(&r, 0, sizeof(r));
    r.retry_after_ms = -1;
    r.headers = (char *)headers; /* borrowed: never cleared */
    return r;
}

/* ---- kit_status -----------------------------------------------------------
 */

static void test_strerror_names_every_status(void **state)
{
    (void)state;
    for (int s = KIT_OK; s <= KIT_ERR_RETRY_BUDGET; s++) {
        const char *msg = kit_strerror((kit_status)s);

        expect_that(msg && msg[0], "kit_strerror(%d) is empty", s);
        expect_that(strcmp(msg, "unknown status") != 0,
                    "kit_strerror(%d) has no message of its own", s);
        for (int t = KIT_OK; t < s; t++)
            expect_that(strcmp(msg, kit_strerror((kit_status)t)) != 0,
                        "codes %d and %d share the message \"%s\"", t, s, msg);
    }
    assert_string_equal(kit_strerror((kit_status)9999), "unknown status");
    assert_non_null(strstr(kit_strerror(KIT_ERR_RATE_LIMIT), "429"));
}

static void test_status_from_http_maps_each_class(void **state)
{
    static const struct {
        long http;
        kit_status want;
    } table[] = {
        {200, KIT_OK},
        {201, KIT_OK},
        {299, KIT_OK},
        {400, KIT_ERR_BAD_REQUEST},
        {413, KIT_ERR_BAD_REQUEST},
        {422, KIT_ERR_BAD_REQUEST},
        {401, KIT_ERR_AUTH},
        {403, KIT_ERR_PERMISSION},
        {404, KIT_ERR_NOT_FOUND},
        {408, KIT_ERR_TIMEOUT},
        {429, KIT_ERR_RATE_LIMIT},
        {500, KIT_ERR_SERVER},
        {502, KIT_ERR_SERVER},
        {503, KIT_ERR_SERVER},
        {504, KIT_ERR_SERVER},
        {529, KIT_ERR_OVERLOADED},
        {599, KIT_ERR_SERVER},
        {0, KIT_ERR_HTTP},
        {100, KIT_ERR_HTTP},
        {302, KIT_ERR_HTTP},
        {409, KIT_ERR_HTTP},
        {418, KIT_ERR_HTTP},
        {600, KIT_ERR_HTTP},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        kit_status got = kit_status_from_http(table[i].http);

        expect_that(got == table[i].want,
                    "HTTP %ld mapped to %d (%s), expected %d (%s)",
                    table[i].http, got, kit_strerror(got), table[i].want,
                    kit_strerror(table[i].want));
    }
}

/* ---- kit_clock ------------------------------------------------------------
 */

static void test_clock_real_is_monotonic_and_sleeps(void **state)
{
    uint64_t t0, t1;
    int64_t wall = kit_clock_wall_s(NULL);

    (void)state;
    t0 = kit_clock_now_ms(NULL);
    kit_clock_sleep_ms(&kit_clock_real, 20);
    t1 = kit_clock_now_ms(&kit_clock_real);
    expect_that(t1 >= t0 + 20 && t1 < t0 + 1000,
                "sleeping 20 ms moved the clock by %llu ms",
                (unsigned long long)(t1 - t0));
    expect_that(wall > 1600000000, "wall time %lld is not now",
                (long long)wall);
}

static void test_clock_null_ops_means_real(void **state)
{
    kit_clock empty = {NULL, NULL};
    uint64_t a = kit_clock_now_ms(&empty), b = kit_clock_now_ms(NULL);

    (void)state;
    expect_that(b >= a && b - a < 1000, "NULL ops did not give the real clock");
}

static void test_clock_random_varies(void **state)
{
    uint32_t first = kit_clock_random_u32(NULL);
    bool differs = false;

    (void)state;
    for (int i = 0; i < 16 && !differs; i++)
        differs = kit_clock_random_u32(NULL) != first;
    expect_that(differs, "17 random numbers in a row were all %u", first);
}

static void test_clock_uses_the_fake_when_given(void **state)
{
    fake_clock fc;

    (void)state;
    fake_clock_init(&fc, 1000, 1700000000);
    kit_clock_sleep_ms(&fc.clock, 4000);
    assert_int_equal(kit_clock_now_ms(&fc.clock), 5000);
    assert_int_equal(kit_clock_wall_s(&fc.clock), 1700000004);
    assert_int_equal(fc.n_sleeps, 1);
    assert_int_equal(fc.sleeps[0], 4000);
    fc.fixed_random = true;
    fc.random_value = 42;
    assert_int_equal(kit_clock_random_u32(&fc.clock), 42);
    fake_clock_destroy(&fc);
}

/* ---- Building the request body ------------------------------------------- */

static cJSON *build_parsed(const kit_chat_request *req)
{
    char *body = NULL;
    cJSON *json;

    assert_int_equal(kit_anthropic_build_body(req, &body), KIT_OK);
    assert_non_null(body);
    json = cJSON_Parse(body);
    expect_that(json != NULL, "the body is not JSON: %s", body);
    free(body);
    return json;
}

static void test_build_body_has_model_tokens_and_user_message(void **state)
{
    kit_chat_request req = simple_request("What is BGP?");
    cJSON *json = build_parsed(&req);
    const cJSON *messages = cJSON_GetObjectItem(json, "messages");
    const cJSON *msg = cJSON_GetArrayItem(messages, 0);

    (void)state;
    assert_string_equal(cJSON_GetObjectItem(json, "model")->valuestring,
                        "claude-haiku-4.5");
    assert_int_equal(cJSON_GetObjectItem(json, "max_tokens")->valueint, 256);
    assert_int_equal(cJSON_GetArraySize(messages), 1);
    assert_string_equal(cJSON_GetObjectItem(msg, "role")->valuestring, "user");
    assert_string_equal(cJSON_GetObjectItem(msg, "content")->valuestring,
                        "What is BGP?");
    expect_that(!cJSON_HasObjectItem(json, "system"),
                "a NULL system prompt must not be sent");
    expect_that(!cJSON_HasObjectItem(json, "temperature"),
                "a negative temperature means the provider's default: "
                "the field must be left out");
    cJSON_Delete(json);
}

static void test_build_body_sends_system_and_temperature(void **state)
{
    kit_chat_request req = simple_request("hi");
    cJSON *json;

    (void)state;
    req.system = "You are a network engineer.";
    req.temperature = 0.0;
    json = build_parsed(&req);
    assert_string_equal(cJSON_GetObjectItem(json, "system")->valuestring,
                        "You are a network engineer.");
    expect_that(cJSON_IsNumber(cJSON_GetObjectItem(json, "temperature")) &&
                    cJSON_GetObjectItem(json, "temperature")->valuedouble ==
                        0.0,
                "temperature 0.0 is a real value and must be sent");
    cJSON_Delete(json);

    req.temperature = 0.7;
    json = build_parsed(&req);
    assert_true(fabs(cJSON_GetObjectItem(json, "temperature")->valuedouble -
                     0.7) < 1e-9);
    cJSON_Delete(json);
}

static void test_build_body_escapes_the_prompt(void **state)
{
    const char *nasty = "say \"hi\"\\ then\n\ttab \x01 and caf\xc3\xa9 "
                        "\"},{\"role\":\"assistant";
    kit_chat_request req = simple_request(nasty);
    cJSON *json = build_parsed(&req);
    const cJSON *msg =
        cJSON_GetArrayItem(cJSON_GetObjectItem(json, "messages"), 0);

    (void)state;
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "messages")),
                     1);
    assert_string_equal(cJSON_GetObjectItem(msg, "content")->valuestring,
                        nasty);
    cJSON_Delete(json);
}

static void test_build_body_rejects_bad_requests(void **state)
{
    kit_chat_request req = simple_request("hi");
    char *body = (char *)"untouched";

    (void)state;
    assert_int_equal(kit_anthropic_build_body(NULL, &body),
                     KIT_ERR_INVALID_ARG);
    assert_null(body);
    assert_int_equal(kit_anthropic_build_body(&req, NULL), KIT_ERR_INVALID_ARG);
    req.max_tokens = 0;
    assert_int_equal(kit_anthropic_build_body(&req, &body),
                     KIT_ERR_INVALID_ARG);
    req = simple_request(NULL);
    assert_int_equal(kit_anthropic_build_body(&req, &body),
                     KIT_ERR_INVALID_ARG);
    req = simple_request("hi");
    req.model = NULL;
    assert_int_equal(kit_anthropic_build_body(&req, &body),
                     KIT_ERR_INVALID_ARG);
    assert_null(body);
}

/* ---- Parsing the reply ----------------------------------------------------
 */

static kit_status parse(const char *body, kit_chat_reply *reply, char *err,
                        size_t errlen)
{
    return kit_anthropic_parse_reply(body, body ? strlen(body) : 0, reply, err,
                                     errlen);
}

static void test_parse_reply_joins_text_blocks_and_reads_usage(void **state)
{
    const char *body =
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
        "\"model\":\"claude-haiku-4-5\",\"content\":["
        "{\"type\":\"text\",\"text\":\"Hello, \"},"
        "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"x\",\"input\":{}},"
        "{\"type\":\"text\",\"text\":\"world.\"}],"
        "\"stop_reason\":\"max_tokens\",\"stop_sequence\":null,"
        "\"usage\":{\"input_tokens\":12,\"output_tokens\":34}}";
    kit_chat_reply reply;
    char err[128];

    (void)state;
    assert_int_equal(parse(body, &reply, err, sizeof(err)), KIT_OK);
    assert_string_equal(reply.text, "Hello, world.");
    assert_string_equal(reply.model, "claude-haiku-4-5");
    assert_string_equal(reply.stop_reason, "max_tokens");
    assert_int_equal(reply.input_tokens, 12);
    assert_int_equal(reply.output_tokens, 34);
    kit_chat_reply_clear(&reply);
    assert_null(reply.text);
    kit_chat_reply_clear(NULL);
}

static void test_parse_reply_reads_the_fake_body(void **state)
{
    kit_chat_reply reply;

    (void)state;
    assert_int_equal(
        parse(fake_anthropic_ok("OSPF is a link-state protocol.", 7, 8), &reply,
              NULL, 0),
        KIT_OK);
    assert_string_equal(reply.text, "OSPF is a link-state protocol.");
    assert_string_equal(reply.stop_reason, "end_turn");
    kit_chat_reply_clear(&reply);
}

static void test_parse_reply_accepts_empty_content(void **state)
{
    const char *body = "{\"type\":\"message\",\"model\":\"m\",\"content\":[],"
                       "\"stop_reason\":\"end_turn\","
                       "\"usage\":{\"input_tokens\":3,\"output_tokens\":0}}";
    kit_chat_reply reply;

    (void)state;
    assert_int_equal(parse(body, &reply, NULL, 0), KIT_OK);
    assert_non_null(reply.text);
    assert_string_equal(reply.text, "");
    assert_int_equal(reply.output_tokens, 0);
    kit_chat_reply_clear(&reply);
}

static void test_parse_reply_rejects_malformed_bodies(void **state)
{
    static const struct {
        const char *body;
        const char *why;
    } bad[] = {
        {"", "empty body"},
        {"{\"type\":\"message\",\"content\":[{\"type\":\"te", "truncated"},
        {"[1,2,3]", "an array"},
        {"not json", "plain text"},
        {"{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
         "\"message\":\"x\"}}",
         "an error envelope"},
        {"{\"model\":\"m\",\"content\":\"hi\","
         "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
         "content is a string"},
        {"{\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":5}],"
         "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
         "text is a number"},
        {"{\"model\":\"m\",\"content\":[{\"text\":\"a\"}],"
         "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
         "a block without type"},
        {"{\"model\":\"m\",\"content\":[7],"
         "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
         "a block that is a number"},
        {"{\"model\":\"m\",\"content\":[]}", "no usage"},
        {"{\"model\":\"m\",\"content\":[],"
         "\"usage\":{\"input_tokens\":\"1\",\"output_tokens\":1}}",
         "tokens as a string"},
        {"{\"model\":\"m\",\"content\":[],"
         "\"usage\":{\"input_tokens\":-1,\"output_tokens\":1}}",
         "negative tokens"},
        {"{\"model\":\"m\",\"content\":[],"
         "\"usage\":{\"input_tokens\":1.5,\"output_tokens\":1}}",
         "fractional tokens"},
        {"{\"model\":7,\"content\":[],"
         "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
         "model is a number"},
        {"{\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
         "no model"},
        {"{\"model\":\"m\",\"content\":[],\"stop_reason\":3,"
         "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
         "stop_reason is a number"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kit_chat_reply reply;
        char err[128] = "";
        kit_status got = parse(bad[i].body, &reply, err, sizeof(err));

        expect_that(got == KIT_ERR_BAD_RESPONSE,
                    "a body with %s parsed as %s, expected a bad response",
                    bad[i].why, kit_strerror(got));
        expect_that(err[0] != '\0', "no reason given for a body with %s",
                    bad[i].why);
        expect_that(reply.text == NULL, "text was left for a body with %s",
                    bad[i].why);
    }
    /* A length shorter than the string: only the first bytes count. */
    {
        const char *body = fake_anthropic_ok("abc", 1, 1);
        kit_chat_reply reply;

        assert_int_equal(
            kit_anthropic_parse_reply(body, strlen(body) - 1, &reply, NULL, 0),
            KIT_ERR_BAD_RESPONSE);
    }
}

/* ---- The error envelope ---------------------------------------------------
 */

static void test_parse_error_reads_the_envelope(void **state)
{
    const char *body = "{\"type\":\"error\",\"error\":{\"type\":"
                       "\"rate_limit_error\",\"message\":\"Number of requests "
                       "has exceeded your rate limit\"},\"request_id\":\"r\"}";
    char type[48], msg[256];

    (void)state;
    assert_true(kit_anthropic_parse_error(body, strlen(body), type,
                                          sizeof(type), msg, sizeof(msg)));
    assert_string_equal(type, "rate_limit_error");
    assert_string_equal(msg, "Number of requests has exceeded your rate limit");

    /* Small buffers truncate, never overflow. */
    assert_true(kit_anthropic_parse_error(body, strlen(body), type, 5, msg, 7));
    assert_string_equal(type, "rate");
    assert_string_equal(msg, "Number");
}

static void test_parse_error_rejects_what_is_not_one(void **state)
{
    static const char *const bodies[] = {
        "",
        "<html>502 Bad Gateway</html>",
        "{\"error\":\"x\"}",
        "{\"error\":{\"type\":1,\"message\":\"m\"}}",
        "{\"error\":{\"type\":\"t\"}}",
    };
    char type[48], msg[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        strcpy(type, "junk");
        strcpy(msg, "junk");
        expect_that(!kit_anthropic_parse_error(bodies[i], strlen(bodies[i]),
                                               type, sizeof(type), msg,
                                               sizeof(msg)),
                    "\"%s\" read as an error envelope", bodies[i]);
        assert_string_equal(type, "");
        assert_string_equal(msg, "");
    }
}

/* ---- kit_anthropic_call over the fake transport -------------------------- */

static void test_call_sends_headers_url_and_body(void **state)
{
    fake_step ok = {KIT_OK, 200, NULL, -1, "request-id: req_abc\r\n", 0};
    fake_transport ft;
    kit_endpoint ep = {"http://mock.invalid/", "sk-ant-test-key"};
    kit_chat_request req = simple_request("ping");
    kit_chat_reply reply;
    kit_attempt info;
    cJSON *sent;

    (void)state;
    ok.body = fake_anthropic_ok("pong", 1, 1);
    fake_transport_init(&ft, &ok, 1, NULL);
    assert_int_equal(
        kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info), KIT_OK);
    expect_that(strcmp(ft.last_url, "http://mock.invalid/v1/messages") == 0,
                "a trailing slash on the base URL gave %s", ft.last_url);
    assert_non_null(strstr(ft.last_headers, "x-api-key: sk-ant-test-key\n"));
    assert_non_null(strstr(ft.last_headers, "anthropic-version: 2023-06-01\n"));
    assert_non_null(
        strstr(ft.last_headers, "content-type: application/json\n"));
    sent = cJSON_Parse(ft.last_body);
    assert_non_null(sent);
    assert_string_equal(cJSON_GetObjectItem(sent, "model")->valuestring,
                        "claude-haiku-4.5");
    cJSON_Delete(sent);

    assert_int_equal(info.status, KIT_OK);
    assert_int_equal(info.http_status, 200);
    assert_int_equal(info.retry_after_ms, -1);
    assert_string_equal(reply.text, "pong");
    assert_string_equal(reply.request_id, "req_abc");
    assert_string_equal(info.request_id, "req_abc");
    kit_chat_reply_clear(&reply);
}

static void test_call_reports_an_error_status_with_its_envelope(void **state)
{
    fake_step steps[] = {
        {KIT_OK, 429,
         "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
         "\"message\":\"slow down\"}}",
         2000,
         "anthropic-ratelimit-requests-limit: 50\r\n"
         "anthropic-ratelimit-requests-remaining: 0\r\n",
         0},
        {KIT_OK, 502, "<html>bad gateway</html>", -1, NULL, 0},
    };
    fake_transport ft;
    kit_endpoint ep = {"http://mock.invalid", "k"};
    kit_chat_request req = simple_request("ping");
    kit_chat_reply reply;
    kit_attempt info;

    (void)state;
    fake_transport_init(&ft, steps, 2, NULL);
    assert_int_equal(
        kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info),
        KIT_ERR_RATE_LIMIT);
    assert_int_equal(info.status, KIT_ERR_RATE_LIMIT);
    assert_int_equal(info.http_status, 429);
    assert_int_equal(info.retry_after_ms, 2000);
    assert_string_equal(info.error_type, "rate_limit_error");
    assert_string_equal(info.message, "slow down");
    assert_int_equal(info.ratelimit.requests_limit, 50);
    assert_int_equal(info.ratelimit.requests_remaining, 0);
    assert_null(reply.text);

    assert_int_equal(
        kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info),
        KIT_ERR_SERVER);
    assert_int_equal(info.http_status, 502);
    assert_string_equal(info.error_type, "");
    assert_non_null(strstr(info.message, "502"));
}

static void test_call_passes_transport_failures_through(void **state)
{
    fake_step steps[] = {
        {KIT_ERR_TIMEOUT, 0, NULL, -1, NULL, 0},
        {KIT_OK, 200, "{\"oops\"", -1, NULL, 0},
    };
    fake_transport ft;
    kit_endpoint ep = {"http://mock.invalid", "k"};
    kit_chat_request req = simple_request("ping");
    kit_chat_reply reply;
    kit_attempt info;

    (void)state;
    fake_transport_init(&ft, steps, 2, NULL);
    assert_int_equal(
        kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info),
        KIT_ERR_TIMEOUT);
    assert_int_equal(info.http_status, 0);
    assert_non_null(strstr(info.message, "fake"));

    assert_int_equal(
        kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info),
        KIT_ERR_BAD_RESPONSE);
    assert_int_equal(info.http_status, 200);
    assert_true(info.message[0] != '\0');
    assert_null(reply.text);
}

static void test_call_without_a_key_sends_nothing(void **state)
{
    fake_step ok = {KIT_OK, 200, NULL, -1, NULL, 0};
    fake_transport ft;
    kit_endpoint ep = {"http://mock.invalid", ""};
    kit_chat_request req = simple_request("ping");
    kit_chat_reply reply;
    kit_attempt info;

    (void)state;
    fake_transport_init(&ft, &ok, 1, NULL);
    assert_int_equal(
        kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info),
        KIT_ERR_NO_KEY);
    assert_int_equal(info.status, KIT_ERR_NO_KEY);
    assert_int_equal(ft.calls, 0);
    assert_int_equal(kit_anthropic_call(NULL, &ep, &req, &reply, &info),
                     KIT_ERR_INVALID_ARG);
    assert_int_equal(kit_anthropic_call(&ft.transport, &ep, &req, &reply, NULL),
                     KIT_ERR_INVALID_ARG);
}

/* ---- Headers, retry-after and rate limits -------------------------------- */

static void test_header_lookup_is_case_insensitive_and_trimmed(void **state)
{
    kit_http_response r = canned("HTTP/1.1 200 OK\r\n"
                                 "Content-Type:  application/json \r\n"
                                 "Request-Id: req_1\r\n"
                                 "x-dup: first\r\n"
                                 "X-Dup: second\r\n"
                                 "\r\n");
    char buf[64], small[4];

    (void)state;
    assert_string_equal(kit_http_header(&r, "content-type", buf, sizeof(buf)),
                        "application/json");
    assert_string_equal(kit_http_header(&r, "REQUEST-ID", buf, sizeof(buf)),
                        "req_1");
    assert_string_equal(kit_http_header(&r, "x-dup", buf, sizeof(buf)),
                        "second");
    assert_null(kit_http_header(&r, "content", buf, sizeof(buf)));
    assert_null(kit_http_header(&r, "missing", buf, sizeof(buf)));
    assert_string_equal(kit_http_header(&r, "request-id", small, sizeof(small)),
                        "req");
    assert_null(kit_http_header(NULL, "x", buf, sizeof(buf)));
}

static void test_retry_after_prefers_ms_then_seconds(void **state)
{
    static const struct {
        const char *headers;
        long want;
    } table[] = {
        {"retry-after-ms: 1500\r\n", 1500},
        {"retry-after-ms: 2.25\r\n", 3},
        {"Retry-After-Ms: 1500\r\nRetry-After: 9\r\n", 1500},
        {"retry-after: 2\r\n", 2000},
        {"retry-after: 1.5\r\n", 1500},
        {"retry-after: 0\r\n", 0},
        {"retry-after-ms: soon\r\nretry-after: 3\r\n", 3000},
        {"retry-after: Wed, 21 Oct 2015 07:28:00 GMT\r\n", -1},
        {"retry-after: -5\r\n", -1},
        {"retry-after: 5s\r\n", -1},
        {"content-type: text/plain\r\n", -1},
        {"", -1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        kit_http_response r = canned(table[i].headers);
        long got = kit_http_retry_after_ms(&r);

        expect_that(got == table[i].want,
                    "headers \"%s\" gave %ld ms, "
                    "expected %ld",
                    table[i].headers, got, table[i].want);
    }
}

static void test_ratelimit_reads_anthropic_headers(void **state)
{
    /* now = 2025-01-02T03:04:05Z */
    const long long now = 1735787045;
    kit_http_response r = canned(
        "anthropic-ratelimit-requests-limit: 50\r\n"
        "anthropic-ratelimit-requests-remaining: 49\r\n"
        "anthropic-ratelimit-requests-reset: 2025-01-02T03:04:06Z\r\n"
        "anthropic-ratelimit-tokens-limit: 40000\r\n"
        "anthropic-ratelimit-tokens-remaining: 39000\r\n"
        "anthropic-ratelimit-tokens-reset: 2025-01-02T03:05:05.500Z\r\n");
    kit_ratelimit rl;

    (void)state;
    assert_true(kit_ratelimit_parse(&r, now, &rl));
    assert_int_equal(rl.requests_limit, 50);
    assert_int_equal(rl.requests_remaining, 49);
    assert_int_equal(rl.requests_reset_ms, 1000);
    assert_int_equal(rl.tokens_limit, 40000);
    assert_int_equal(rl.tokens_remaining, 39000);
    assert_int_equal(rl.tokens_reset_ms, 60500);

    /* An offset, and a reset already in the past. */
    r = canned(
        "anthropic-ratelimit-requests-reset: 2025-01-02T04:04:07+01:00\r\n"
        "anthropic-ratelimit-tokens-reset: 2025-01-02T03:00:00Z\r\n");
    assert_true(kit_ratelimit_parse(&r, now, &rl));
    assert_int_equal(rl.requests_reset_ms, 2000);
    assert_int_equal(rl.tokens_reset_ms, 0);
    assert_int_equal(rl.requests_limit, -1);

    r = canned("anthropic-ratelimit-requests-reset: tomorrow\r\n"
               "anthropic-ratelimit-requests-limit: lots\r\n");
    assert_true(kit_ratelimit_parse(&r, now, &rl));
    assert_int_equal(rl.requests_reset_ms, -1);
    assert_int_equal(rl.requests_limit, -1);
}

static void test_ratelimit_reads_openai_durations(void **state)
{
    kit_http_response r = canned("x-ratelimit-limit-requests: 500\r\n"
                                 "x-ratelimit-remaining-requests: 499\r\n"
                                 "x-ratelimit-reset-requests: 120ms\r\n"
                                 "x-ratelimit-limit-tokens: 200000\r\n"
                                 "x-ratelimit-remaining-tokens: 199000\r\n"
                                 "x-ratelimit-reset-tokens: 6m0s\r\n");
    static const struct {
        const char *value;
        long want;
    } durations[] = {
        {"6m0s", 360000},    {"1.5s", 1500},     {"120ms", 120},     {"0s", 0},
        {"1h2m3s", 3723000}, {"17.312s", 17312}, {"1m30.5s", 90500}, {"", -1},
        {"6x", -1},          {"s", -1},          {"-1s", -1},        {"12", -1},
    };
    kit_ratelimit rl;

    (void)state;
    assert_true(kit_ratelimit_parse(&r, 0, &rl));
    assert_int_equal(rl.requests_limit, 500);
    assert_int_equal(rl.requests_remaining, 499);
    assert_int_equal(rl.requests_reset_ms, 120);
    assert_int_equal(rl.tokens_limit, 200000);
    assert_int_equal(rl.tokens_remaining, 199000);
    assert_int_equal(rl.tokens_reset_ms, 360000);

    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        char block[128];

        snprintf(block, sizeof(block), "x-ratelimit-reset-tokens: %s\r\n",
                 durations[i].value);
        r = canned(block);
        kit_ratelimit_parse(&r, 0, &rl);
        expect_that(rl.tokens_reset_ms == durations[i].want,
                    "duration \"%s\" read as %ld ms, expected %ld",
                    durations[i].value, rl.tokens_reset_ms, durations[i].want);
    }
}

static void test_ratelimit_absent_is_all_minus_one(void **state)
{
    kit_http_response r = canned("content-type: application/json\r\n");
    kit_ratelimit rl;

    (void)state;
    assert_false(kit_ratelimit_parse(&r, 0, &rl));
    assert_int_equal(rl.requests_limit, -1);
    assert_int_equal(rl.requests_remaining, -1);
    assert_int_equal(rl.tokens_limit, -1);
    assert_int_equal(rl.tokens_remaining, -1);
    assert_int_equal(rl.requests_reset_ms, -1);
    assert_int_equal(rl.tokens_reset_ms, -1);
    r.headers = NULL;
    assert_false(kit_ratelimit_parse(&r, 0, &rl));
    assert_false(kit_ratelimit_parse(NULL, 0, &rl));
}

/* ---- .env and keys ------------------------------------------------------- */

static char tmpdir[64];

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    FILE *f;

    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/test_common-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void remove_file(const char *path)
{
    unlink(path);
    rmdir(tmpdir); /* fails while other files remain, which is fine */
    if (access(tmpdir, F_OK) != 0)
        tmpdir[0] = '\0';
}

static void test_dotenv_loads_comments_quotes_and_export(void **state)
{
    const char *path =
        write_file("ok.env",
                   "# a comment\n"
                   "\n"
                   "KT_PLAIN=sk-ant-api03-plain\n"
                   "export KT_EXPORTED=exported-value\n"
                   "KT_DOUBLE=\"two words # not a comment\"\n"
                   "KT_SINGLE='single $quoted'\n"
                   "KT_ESCAPED=\"say \\\"hi\\\"\"\n"
                   "  KT_SPACED = spaced value   # trailing comment\n"
                   "KT_EMPTY=\n"
                   "KT_CRLF=windows\r\n",
                   0600);
    char err[128];
    bool warn = true;

    (void)state;
    unsetenv("KT_PLAIN");
    unsetenv("KT_EXPORTED");
    unsetenv("KT_DOUBLE");
    unsetenv("KT_SINGLE");
    unsetenv("KT_ESCAPED");
    unsetenv("KT_SPACED");
    unsetenv("KT_EMPTY");
    unsetenv("KT_CRLF");
    assert_int_equal(kit_env_load_dotenv(path, false, &warn, err, sizeof(err)),
                     KIT_OK);
    expect_that(!warn, "a 0600 file must not warn");
    assert_string_equal(getenv("KT_PLAIN"), "sk-ant-api03-plain");
    assert_string_equal(getenv("KT_EXPORTED"), "exported-value");
    assert_string_equal(getenv("KT_DOUBLE"), "two words # not a comment");
    assert_string_equal(getenv("KT_SINGLE"), "single $quoted");
    assert_string_equal(getenv("KT_ESCAPED"), "say \"hi\"");
    assert_string_equal(getenv("KT_SPACED"), "spaced value");
    assert_string_equal(getenv("KT_EMPTY"), "");
    assert_string_equal(getenv("KT_CRLF"), "windows");
    remove_file(path);
}

static void test_dotenv_override_flag(void **state)
{
    const char *path = write_file("override.env", "KT_OVR=from-file\n", 0600);

    (void)state;
    setenv("KT_OVR", "from-shell", 1);
    assert_int_equal(kit_env_load_dotenv(path, false, NULL, NULL, 0), KIT_OK);
    expect_that(strcmp(getenv("KT_OVR"), "from-shell") == 0,
                "without override a variable already set must be kept");
    assert_int_equal(kit_env_load_dotenv(path, true, NULL, NULL, 0), KIT_OK);
    assert_string_equal(getenv("KT_OVR"), "from-file");
    remove_file(path);
}

static void
test_dotenv_malformed_line_names_the_line_not_the_value(void **state)
{
    static const char *const bad_lines[] = {
        "sk-ant-SECRETVALUE\n",            /* no '=' */
        "KT_Q=\"sk-ant-SECRETVALUE\n",     /* unterminated quote */
        "1KT=sk-ant-SECRETVALUE\n",        /* a name cannot start with 1 */
        "KT_X=\"a\" sk-ant-SECRETVALUE\n", /* junk after the quote */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
        char text[256], err[160] = "";
        const char *path;

        snprintf(text, sizeof(text), "# ok\nKT_BEFORE=set\n%s", bad_lines[i]);
        path = write_file("bad.env", text, 0600);
        unsetenv("KT_BEFORE");
        assert_int_equal(
            kit_env_load_dotenv(path, true, NULL, err, sizeof(err)),
            KIT_ERR_INVALID_ARG);
        expect_that(strstr(err, ":3:") != NULL,
                    "the error \"%s\" does not name line 3", err);
        expect_that(strstr(err, "SECRET") == NULL,
                    "the error \"%s\" repeats the line's value", err);
        expect_that(getenv("KT_BEFORE") == NULL,
                    "a malformed file must not change the environment");
        remove_file(path);
    }
}

static void test_dotenv_warns_when_others_can_read_it(void **state)
{
    const char *path = write_file("open.env", "KT_OPEN=1\n", 0644);
    bool warn = false;

    (void)state;
    assert_int_equal(kit_env_load_dotenv(path, true, &warn, NULL, 0), KIT_OK);
    expect_that(warn, "a 0644 .env must set warn: others can read the key");
    chmod(path, 0640);
    assert_int_equal(kit_env_load_dotenv(path, true, &warn, NULL, 0), KIT_OK);
    expect_that(warn, "a 0640 .env must set warn: the group can read it");
    remove_file(path);
}

static void test_dotenv_missing_file_is_io(void **state)
{
    char err[160];

    (void)state;
    assert_int_equal(
        kit_env_load_dotenv("/nonexistent/.env", false, NULL, err, sizeof(err)),
        KIT_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/.env"));
    assert_int_equal(kit_env_load_dotenv(NULL, false, NULL, NULL, 0),
                     KIT_ERR_INVALID_ARG);
}

static void test_api_key_missing_names_the_variable(void **state)
{
    char key[128] = "junk", err[256];

    (void)state;
    unsetenv("KT_API_KEY");
    assert_int_equal(
        kit_env_api_key("KT_API_KEY", key, sizeof(key), err, sizeof(err)),
        KIT_ERR_NO_KEY);
    expect_that(strstr(err, "KT_API_KEY") != NULL,
                "the message \"%s\" does not name the variable", err);
    assert_string_equal(key, "");

    setenv("KT_API_KEY", "", 1);
    assert_int_equal(
        kit_env_api_key("KT_API_KEY", key, sizeof(key), err, sizeof(err)),
        KIT_ERR_NO_KEY);
    assert_non_null(strstr(err, "KT_API_KEY"));
    setenv("KT_API_KEY", " \t\n", 1);
    assert_int_equal(
        kit_env_api_key("KT_API_KEY", key, sizeof(key), err, sizeof(err)),
        KIT_ERR_NO_KEY);
    unsetenv("KT_API_KEY");
}

static void test_api_key_trims_copy_paste_whitespace(void **state)
{
    char key[128], small[8], err[256];

    (void)state;
    setenv("KT_API_KEY", "  sk-ant-api03-abc\r\n", 1);
    assert_int_equal(
        kit_env_api_key("KT_API_KEY", key, sizeof(key), err, sizeof(err)),
        KIT_OK);
    assert_string_equal(key, "sk-ant-api03-abc");
    assert_int_equal(
        kit_env_api_key("KT_API_KEY", small, sizeof(small), err, sizeof(err)),
        KIT_ERR_INVALID_ARG);
    assert_null(strstr(err, "sk-ant"));
    unsetenv("KT_API_KEY");
}

static void test_base_url_env_overrides_the_default(void **state)
{
    static const struct {
        const char *provider, *var, *def;
    } table[] = {
        {"anthropic", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"},
        {"openai", "OPENAI_BASE_URL", "https://api.openai.com"},
        {"gemini", "GEMINI_BASE_URL",
         "https://generativelanguage.googleapis.com"},
    };

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        const char *saved = getenv(table[i].var);
        char *copy = saved ? strdup(saved) : NULL;

        unsetenv(table[i].var);
        assert_string_equal(kit_env_base_url(table[i].provider), table[i].def);
        setenv(table[i].var, "", 1);
        assert_string_equal(kit_env_base_url(table[i].provider), table[i].def);
        setenv(table[i].var, "http://127.0.0.1:9", 1);
        assert_string_equal(kit_env_base_url(table[i].provider),
                            "http://127.0.0.1:9");
        if (copy)
            setenv(table[i].var, copy, 1);
        else
            unsetenv(table[i].var);
        free(copy);
    }
    assert_null(kit_env_base_url("azure"));
    assert_null(kit_env_base_url(NULL));
}

/* ---- Redaction and logging ------------------------------------------------
 */

static void test_redact_never_shows_the_whole_key(void **state)
{
    const char *key = "sk-ant-api03-FAKE-TEST-KEY-9x";
    char out[64], tiny[4];

    (void)state;
    assert_string_equal(kit_redact_key(key, out, sizeof(out)),
                        "sk-ant\xe2\x80\xa6"
                        "9x");
    assert_null(strstr(out, "api03"));
    assert_string_equal(kit_redact_key("abcdefghij", out, sizeof(out)),
                        "(short)");
    assert_string_equal(kit_redact_key("abcdefghijklmno", out, sizeof(out)),
                        "(short)");
    assert_string_equal(kit_redact_key("", out, sizeof(out)), "(unset)");
    assert_string_equal(kit_redact_key(NULL, out, sizeof(out)), "(unset)");
    kit_redact_key(key, tiny, sizeof(tiny));
    assert_int_equal(strlen(tiny), 3);
    assert_null(kit_redact_key(key, NULL, 0));
}

/* Reads a whole stream back into buf. */
static void slurp(FILE *f, char *buf, size_t n)
{
    size_t got;

    fflush(f);
    rewind(f);
    got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
}

static void test_log_prints_nothing_without_a_sink(void **state)
{
    FILE *capture = tmpfile();
    int saved_out, saved_err;
    char buf[256];

    (void)state;
    assert_non_null(capture);
    kit_log_set_sink(NULL, KIT_LOG_DEBUG);
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    dup2(fileno(capture), STDOUT_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
    kit_log(KIT_LOG_ERROR, "this must go nowhere %d", 1);
    kit_log(KIT_LOG_DEBUG, "nor this");
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    slurp(capture, buf, sizeof(buf));
    fclose(capture);
    expect_that(buf[0] == '\0', "kit_log printed without a sink: %s", buf);
}

static void test_log_filters_by_level_and_prefixes_lines(void **state)
{
    FILE *sink = tmpfile();
    char buf[512];

    (void)state;
    assert_non_null(sink);
    kit_log_set_sink(sink, KIT_LOG_WARN);
    kit_log(KIT_LOG_DEBUG, "debug %d", 1);
    kit_log(KIT_LOG_INFO, "info %d", 2);
    kit_log(KIT_LOG_WARN, "warn %d", 3);
    kit_log(KIT_LOG_ERROR, "error %s", "four");
    kit_log(KIT_LOG_OFF, "never");
    kit_log_set_sink(NULL, KIT_LOG_OFF);
    kit_log(KIT_LOG_ERROR, "after the sink was removed");
    slurp(sink, buf, sizeof(buf));
    fclose(sink);
    assert_string_equal(buf, "WARN warn 3\nERROR error four\n");
}

static void test_log_redacts_keys_it_is_given(void **state)
{
    FILE *sink = tmpfile();
    char buf[512];

    (void)state;
    assert_non_null(sink);
    kit_log_set_sink(sink, KIT_LOG_DEBUG);
    kit_log(KIT_LOG_INFO, "using %s", "sk-ant-api03-SECRET-FAKE-xy");
    kit_log(KIT_LOG_INFO, "header x-api-key: mock-secret-key-0123456789");
    kit_log(KIT_LOG_INFO, "url ?key=AIzaSECRETSECRETSECRET");
    kit_log(KIT_LOG_INFO, "monkey=banana stays");
    kit_log_set_sink(NULL, KIT_LOG_OFF);
    slurp(sink, buf, sizeof(buf));
    fclose(sink);
    expect_that(strstr(buf, "SECRET") == NULL && strstr(buf, "secret") == NULL,
                "a key reached the log whole:\n%s", buf);
    assert_non_null(strstr(buf, "sk-ant\xe2\x80\xa6xy"));
    assert_non_null(strstr(buf, "monkey=banana stays"));
}

enum { LOG_THREADS = 4, LOG_LINES = 250 };

static void *log_worker(void *arg)
{
    long id = (long)(intptr_t)arg;

    for (int i = 0; i < LOG_LINES; i++)
        kit_log(KIT_LOG_INFO, "thread %ld line %d %s", id, i,
                "padding-padding-padding-padding-padding-padding");
    return NULL;
}

static void test_log_lines_stay_whole_across_threads(void **state)
{
    FILE *sink = tmpfile();
    pthread_t threads[LOG_THREADS];
    char line[256];
    int lines = 0;

    (void)state;
    assert_non_null(sink);
    kit_log_set_sink(sink, KIT_LOG_INFO);
    for (long i = 0; i < LOG_THREADS; i++)
        assert_int_equal(
            pthread_create(&threads[i], NULL, log_worker, (void *)(intptr_t)i),
            0);
    for (int i = 0; i < LOG_THREADS; i++)
        pthread_join(threads[i], NULL);
    kit_log_set_sink(NULL, KIT_LOG_OFF);
    fflush(sink);
    rewind(sink);
    while (fgets(line, sizeof(line), sink)) {
        long id;
        int n;
        char pad[64];

        expect_that(
            sscanf(line, "INFO thread %ld line %d %63s", &id, &n, pad) == 3 &&
                strcmp(pad, "padding-padding-padding-padding-"
                            "padding-padding") == 0,
            "a torn log line: %s", line);
        lines++;
    }
    fclose(sink);
    assert_int_equal(lines, LOG_THREADS * LOG_LINES);
}

/* ---- The libcurl transport against the mock server ------------------------
 */

static kit_endpoint mock_endpoint(const char *key)
{
    kit_endpoint ep = {mock.base_url, key};
    return ep;
}

/* One attempt with a fresh transport for key, whose script is steps_json. */
static kit_status call_scripted(const char *key, const char *steps_json,
                                const kit_curl_config *cfg, long timeout_ms,
                                kit_attempt *info)
{
    char script[512];
    kit_transport t;
    kit_endpoint ep = mock_endpoint(key);
    kit_chat_request req = simple_request("hello");
    kit_chat_reply reply;
    kit_status rc;

    if (steps_json) {
        snprintf(script, sizeof(script), "{\"steps\":%s}", steps_json);
        expect_that(mockctl_put_script(&mock, key, script) == 200,
                    "the mock server refused the script %s", script);
    }
    assert_int_equal(kit_curl_create(cfg, &t), KIT_OK);
    req.timeout_ms = timeout_ms;
    rc = kit_anthropic_call(&t, &ep, &req, &reply, info);
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&t);
    return rc;
}

static void test_curl_call_succeeds_end_to_end(void **state)
{
    char key[64];
    kit_transport t;
    kit_endpoint ep;
    kit_chat_request req = simple_request("What is OSPF?");
    kit_chat_reply reply, again;
    kit_attempt info;
    cJSON *journal;
    const cJSON *first;
    long want_in;

    (void)state;
    NEED_MOCK();
    unique_key(key, sizeof(key), "common-ok");
    ep = mock_endpoint(key);
    req.system = "Answer briefly.";
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    assert_int_equal(kit_anthropic_call(&t, &ep, &req, &reply, &info), KIT_OK);
    assert_int_equal(info.status, KIT_OK);
    assert_int_equal(info.http_status, 200);
    assert_non_null(reply.text);
    expect_that(strlen(reply.text) > 0, "the reply has no text");
    /* The mock's rule: a token per 4 bytes, rounded up, of system+prompt in
     * and of the reply out. */
    want_in = (long)((strlen(req.system) + strlen(req.prompt) + 3) / 4);
    assert_int_equal(reply.input_tokens, want_in);
    assert_int_equal(reply.output_tokens, (long)((strlen(reply.text) + 3) / 4));
    expect_that(strncmp(reply.request_id, "req_", 4) == 0,
                "request id \"%s\" is not the mock's req_...",
                reply.request_id);
    assert_string_equal(info.request_id, reply.request_id);
    assert_true(reply.model[0] != '\0');
    assert_true(reply.stop_reason[0] != '\0');

    /* The same request again: the same answer. */
    assert_int_equal(kit_anthropic_call(&t, &ep, &req, &again, &info), KIT_OK);
    assert_string_equal(again.text, reply.text);

    journal = mockctl_journal(&mock, key);
    first = cJSON_GetArrayItem(cJSON_GetObjectItem(journal, "requests"), 0);
    assert_non_null(first);
    assert_int_equal(cJSON_GetObjectItem(first, "input_tokens")->valueint,
                     want_in);
    assert_int_equal(cJSON_GetObjectItem(first, "output_tokens")->valueint,
                     reply.output_tokens);
    cJSON_Delete(journal);
    kit_chat_reply_clear(&reply);
    kit_chat_reply_clear(&again);
    kit_curl_destroy(&t);
}

static void test_curl_reuses_the_connection(void **state)
{
    char key[64];
    kit_transport t;
    kit_endpoint ep;
    kit_chat_request req = simple_request("ping");
    kit_chat_reply reply;
    kit_attempt info;
    cJSON *journal;
    const cJSON *reqs;
    double conn0, conn1;

    (void)state;
    NEED_MOCK();
    unique_key(key, sizeof(key), "common-reuse");
    ep = mock_endpoint(key);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kit_anthropic_call(&t, &ep, &req, &reply, &info),
                         KIT_OK);
        kit_chat_reply_clear(&reply);
    }
    kit_curl_destroy(&t);
    kit_curl_destroy(&t); /* a second destroy is harmless */
    kit_curl_destroy(NULL);

    journal = mockctl_journal(&mock, key);
    reqs = cJSON_GetObjectItem(journal, "requests");
    assert_int_equal(cJSON_GetArraySize(reqs), 2);
    conn0 =
        cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "conn")->valuedouble;
    conn1 =
        cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 1), "conn")->valuedouble;
    expect_that(conn0 == conn1,
                "two calls on one transport used connections "
                "%.0f and %.0f: the handle is not reused",
                conn0, conn1);
    cJSON_Delete(journal);
}

static void test_curl_reads_retry_after_headers(void **state)
{
    char key[64];
    kit_attempt info;

    (void)state;
    NEED_MOCK();
    unique_key(key, sizeof(key), "common-ra");
    assert_int_equal(call_scripted(key, "[{\"status\":429,\"retry_after\":2}]",
                                   NULL, 0, &info),
                     KIT_ERR_RATE_LIMIT);
    assert_int_equal(info.http_status, 429);
    assert_int_equal(info.retry_after_ms, 2000);
    assert_string_equal(info.error_type, "rate_limit_error");
    assert_true(info.message[0] != '\0');

    unique_key(key, sizeof(key), "common-ra-ms");
    assert_int_equal(call_scripted(key,
                                   "[{\"status\":429,\"retry_after_ms\":1500,"
                                   "\"retry_after\":9}]",
                                   NULL, 0, &info),
                     KIT_ERR_RATE_LIMIT);
    assert_int_equal(info.retry_after_ms, 1500);

    unique_key(key, sizeof(key), "common-ra-none");
    assert_int_equal(call_scripted(key, "[{\"status\":500}]", NULL, 0, &info),
                     KIT_ERR_SERVER);
    assert_int_equal(info.retry_after_ms, -1);
}

static void test_curl_maps_each_error_status(void **state)
{
    static const struct {
        int http;
        kit_status want;
        const char *type;
    } table[] = {
        {400, KIT_ERR_BAD_REQUEST, "invalid_request_error"},
        {401, KIT_ERR_AUTH, "authentication_error"},
        {403, KIT_ERR_PERMISSION, "permission_error"},
        {404, KIT_ERR_NOT_FOUND, "not_found_error"},
        {413, KIT_ERR_BAD_REQUEST, "request_too_large"},
        {429, KIT_ERR_RATE_LIMIT, "rate_limit_error"},
        {500, KIT_ERR_SERVER, "api_error"},
        {503, KIT_ERR_SERVER, NULL},
        {529, KIT_ERR_OVERLOADED, "overloaded_error"},
    };

    (void)state;
    NEED_MOCK();
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char key[64], steps[64];
        kit_attempt info;
        kit_status got;

        unique_key(key, sizeof(key), "common-status");
        snprintf(steps, sizeof(steps), "[{\"status\":%d}]", table[i].http);
        got = call_scripted(key, steps, NULL, 0, &info);
        expect_that(got == table[i].want && info.status == got,
                    "HTTP %d gave %s, expected %s", table[i].http,
                    kit_strerror(got), kit_strerror(table[i].want));
        assert_int_equal(info.http_status, table[i].http);
        expect_that(info.message[0] != '\0', "HTTP %d: no message",
                    table[i].http);
        if (table[i].type)
            expect_that(strcmp(info.error_type, table[i].type) == 0,
                        "HTTP %d: error type \"%s\", expected \"%s\"",
                        table[i].http, info.error_type, table[i].type);
        else
            expect_that(info.error_type[0] != '\0', "HTTP %d: no error type",
                        table[i].http);
        expect_that(strncmp(info.request_id, "req_", 4) == 0,
                    "HTTP %d: request id \"%s\"", table[i].http,
                    info.request_id);
    }
}

static void test_curl_tells_transport_failures_apart(void **state)
{
    static const struct {
        const char *fault;
        kit_status want;
    } table[] = {
        {"reset", KIT_ERR_RESET},        {"close", KIT_ERR_RESET},
        {"partial", KIT_ERR_NETWORK},    {"malformed", KIT_ERR_BAD_RESPONSE},
        {"empty", KIT_ERR_BAD_RESPONSE},
    };

    (void)state;
    NEED_MOCK();
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char key[64], steps[64];
        kit_attempt info;
        kit_status got;

        unique_key(key, sizeof(key), "common-fault");
        snprintf(steps, sizeof(steps), "[{\"fault\":\"%s\"}]", table[i].fault);
        got = call_scripted(key, steps, NULL, 0, &info);
        expect_that(got == table[i].want, "fault %s gave %s (%s), expected %s",
                    table[i].fault, kit_strerror(got), info.message,
                    kit_strerror(table[i].want));
        expect_that(info.message[0] != '\0', "fault %s: no message",
                    table[i].fault);
        expect_that(mockctl_count(&mock, key) == 1,
                    "fault %s: the server saw %d requests for one attempt",
                    table[i].fault, mockctl_count(&mock, key));
    }
}

static void test_curl_timeout_is_timeout(void **state)
{
    char key[64];
    kit_attempt info;
    uint64_t t0, took;

    (void)state;
    NEED_MOCK();
    unique_key(key, sizeof(key), "common-timeout");
    t0 = kit_clock_now_ms(NULL);
    assert_int_equal(
        call_scripted(key, "[{\"fault\":\"timeout\"}]", NULL, 200, &info),
        KIT_ERR_TIMEOUT);
    took = kit_clock_now_ms(NULL) - t0;
    expect_that(took >= 190 && took < 2000, "a 200 ms timeout took %llu ms",
                (unsigned long long)took);
    assert_int_equal(info.http_status, 0);
    assert_true(info.message[0] != '\0');

    /* The transport's own default applies when the request sets none. */
    {
        kit_curl_config cfg = {.timeout_ms = 150};

        unique_key(key, sizeof(key), "common-timeout-cfg");
        assert_int_equal(
            call_scripted(key, "[{\"fault\":\"timeout\"}]", &cfg, 0, &info),
            KIT_ERR_TIMEOUT);
    }
}

static void test_curl_refused_is_connect(void **state)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char url[64];
    kit_transport t;
    kit_endpoint ep = {url, "k"};
    kit_chat_request req = simple_request("hi");
    kit_chat_reply reply;
    kit_attempt info;

    (void)state;
    /* A port that was free a moment ago: bind port 0, read it, close. */
    assert_true(fd >= 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(addr.sin_port));

    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    assert_int_equal(kit_anthropic_call(&t, &ep, &req, &reply, &info),
                     KIT_ERR_CONNECT);
    assert_int_equal(info.http_status, 0);
    assert_true(info.message[0] != '\0');
    kit_curl_destroy(&t);
}

static void test_curl_caps_the_response(void **state)
{
    char key[64];
    kit_curl_config cfg = {.max_response_bytes = 64};
    kit_attempt info;

    (void)state;
    NEED_MOCK();
    unique_key(key, sizeof(key), "common-big");
    assert_int_equal(call_scripted(key, NULL, &cfg, 0, &info),
                     KIT_ERR_TOO_LARGE);
    assert_non_null(strstr(info.message, "64"));

    /* A streamed answer announces no length: the cap must stop it as it
     * grows. */
    {
        static const char body[] =
            "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":200,"
            "\"stream\":true,\"messages\":[{\"role\":\"user\","
            "\"content\":\"What is BGP?\"}]}";
        char url[128], auth[96];
        const char *headers[] = {auth, "anthropic-version: 2023-06-01",
                                 "content-type: application/json", NULL};
        kit_http_request req = {.method = "POST",
                                .url = url,
                                .headers = headers,
                                .body = body,
                                .body_len = sizeof(body) - 1};
        kit_http_response resp;
        kit_transport t;

        snprintf(url, sizeof(url), "%s/v1/messages", mock.base_url);
        snprintf(auth, sizeof(auth), "x-api-key: %s", key);
        assert_int_equal(kit_curl_create(&cfg, &t), KIT_OK);
        expect_that(kit_transport_send(&t, &req, &resp) == KIT_ERR_TOO_LARGE,
                    "a streamed body over the cap gave %s (%s)",
                    kit_strerror(resp.transport), resp.error);
        assert_non_null(strstr(resp.error, "64"));
        assert_null(resp.body);
        kit_http_response_clear(&resp);
        kit_curl_destroy(&t);
    }
}

/* What a kit_sse handed over: each data line, followed by '|'. */
typedef struct sse_lines {
    int n;
    char text[256];
} sse_lines;

static void note_line(void *ctx, const char *data, size_t len)
{
    sse_lines *sl = ctx;
    size_t used = strlen(sl->text);

    sl->n++;
    snprintf(sl->text + used, sizeof(sl->text) - used, "%.*s|", (int)len, data);
}

/* What a transport's on_body heard: the chunks, joined, and how many. */
typedef struct body_chunks {
    size_t n;
    char text[16384];
    size_t len;
    bool stop; /* answer 0 to the first chunk: stop the transfer */
} body_chunks;

static size_t note_chunk(void *ctx, const char *data, size_t len)
{
    body_chunks *bc = ctx;

    bc->n++;
    if (bc->stop)
        return 0;
    if (len < sizeof(bc->text) - bc->len) {
        memcpy(bc->text + bc->len, data, len);
        bc->len += len;
        bc->text[bc->len] = '\0';
    }
    return len;
}

static void test_sse_and_curl_read_a_stream_as_it_arrives(void **state)
{
    static const char sse[] = "event: a\r\ndata: one\r\n\r\n"
                              ": a comment\ndata:two\n\n"
                              "id: 3\ndata: {\"x\":1}\n\n"
                              "data: unfinished";
    const char *want = "one|two|{\"x\":1}|";
    size_t n = sizeof(sse) - 1;
    static kit_sse s; /* a whole line's room: not on the stack */
    static char big[KIT_SSE_MAX_LINE + 16];
    sse_lines got;

    (void)state;
    /* Byte by byte: every line crosses a chunk boundary. */
    memset(&s, 0, sizeof(s));
    memset(&got, 0, sizeof(got));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kit_sse_feed(&s, sse + i, 1, note_line, &got), KIT_OK);
    assert_string_equal(got.text, want);
    assert_int_equal(got.n, 3);
    /* Two pieces, split at every place, even between "\r" and "\n". */
    for (size_t cut = 0; cut <= n; cut++) {
        memset(&s, 0, sizeof(s));
        memset(&got, 0, sizeof(got));
        assert_int_equal(kit_sse_feed(&s, sse, cut, note_line, &got), KIT_OK);
        assert_int_equal(kit_sse_feed(&s, sse + cut, n - cut, note_line, &got),
                         KIT_OK);
        expect_that(strcmp(got.text, want) == 0,
                    "split at %zu, kit_sse_feed gave \"%s\"", cut, got.text);
    }
    /* A line longer than the reader holds is an error, and stays one. */
    memset(&s, 0, sizeof(s));
    memset(&got, 0, sizeof(got));
    memset(big, 'x', sizeof(big));
    memcpy(big, "data: ", 6);
    assert_int_equal(kit_sse_feed(&s, big, sizeof(big), note_line, &got),
                     KIT_ERR_TOO_LARGE);
    assert_int_equal(kit_sse_feed(&s, "\ndata: a\n", 10, note_line, &got),
                     KIT_ERR_TOO_LARGE);
    assert_int_equal(got.n, 0);

    /* The mock server sends a stream event by event: libcurl's on_body
     * hears it in several chunks, which join up to the body. */
    NEED_MOCK();
    for (int stop = 0; stop < 2; stop++) {
        static const char body[] =
            "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":200,"
            "\"stream\":true,\"messages\":[{\"role\":\"user\","
            "\"content\":\"What is BGP?\"}]}";
        char key[64], url[128], auth[96];
        const char *headers[] = {auth, "anthropic-version: 2023-06-01",
                                 "content-type: application/json", NULL};
        static body_chunks bc;
        kit_http_request req = {.method = "POST",
                                .url = url,
                                .headers = headers,
                                .body = body,
                                .body_len = sizeof(body) - 1,
                                .on_body = note_chunk,
                                .on_body_ctx = &bc};
        kit_http_response resp;
        kit_transport t;
        kit_status st;

        unique_key(key, sizeof(key), "common-chunks");
        snprintf(url, sizeof(url), "%s/v1/messages", mock.base_url);
        snprintf(auth, sizeof(auth), "x-api-key: %s", key);
        memset(&bc, 0, sizeof(bc));
        bc.stop = stop;
        assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
        st = kit_transport_send(&t, &req, &resp);
        if (stop) {
            /* Returning less than len stops the transfer. */
            expect_that(st == KIT_ERR_NETWORK && bc.n == 1,
                        "an on_body that stopped gave %s after %zu chunks",
                        kit_strerror(st), bc.n);
        } else {
            expect_that(st == KIT_OK && resp.status == 200,
                        "the streamed answer gave %s (%s), HTTP %ld",
                        kit_strerror(st), resp.error, resp.status);
            expect_that(bc.n > 1, "on_body heard the stream in %zu chunk(s)",
                        bc.n);
            expect_that(resp.body && bc.len == resp.body_len &&
                            memcmp(bc.text, resp.body, bc.len) == 0,
                        "the chunks (%zu bytes) do not join up to the body "
                        "(%zu bytes)",
                        bc.len, resp.body_len);
        }
        kit_http_response_clear(&resp);
        kit_curl_destroy(&t);
    }
}

static void test_curl_reset_on_a_reused_connection_is_one_attempt(void **state)
{
    char key[64];
    kit_transport t;
    kit_endpoint ep;
    kit_chat_request req = simple_request("ping");
    kit_chat_reply reply;
    kit_attempt info;
    static const char *const faults[] = {"reset", "close"};

    (void)state;
    NEED_MOCK();
    for (size_t i = 0; i < 2; i++) {
        char script[128];
        int seen;

        unique_key(key, sizeof(key), "common-reused");
        ep = mock_endpoint(key);
        snprintf(script, sizeof(script),
                 "{\"steps\":[{},{\"fault\":\"%s\"},{}]}", faults[i]);
        assert_int_equal(mockctl_put_script(&mock, key, script), 200);
        assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
        assert_int_equal(kit_anthropic_call(&t, &ep, &req, &reply, &info),
                         KIT_OK);
        kit_chat_reply_clear(&reply);
        /* The second call goes over the kept-alive connection; libcurl would
         * resend it on its own after the fault. It must not. */
        assert_int_equal(kit_anthropic_call(&t, &ep, &req, &reply, &info),
                         KIT_ERR_RESET);
        seen = mockctl_count(&mock, key);
        expect_that(seen == 2,
                    "after a %s on a reused connection the server saw %d "
                    "requests; the transport must not retry (want 2)",
                    faults[i], seen);
        /* And the transport still works afterwards. */
        assert_int_equal(kit_anthropic_call(&t, &ep, &req, &reply, &info),
                         KIT_OK);
        kit_chat_reply_clear(&reply);
        kit_curl_destroy(&t);
    }
}

static void test_curl_reads_ratelimit_headers_from_the_mock(void **state)
{
    char key[64];
    kit_attempt info;

    (void)state;
    NEED_MOCK();
    unique_key(key, sizeof(key), "common-rl");
    assert_int_equal(
        mockctl_put_limits(&mock, key, "{\"tier\":\"anthropic-tier1\"}"), 200);
    assert_int_equal(call_scripted(key, NULL, NULL, 0, &info), KIT_OK);
    assert_int_equal(info.ratelimit.requests_limit, 50);
    assert_int_equal(info.ratelimit.requests_remaining, 49);
    assert_int_equal(info.ratelimit.tokens_limit, 40000);
    expect_that(info.ratelimit.requests_reset_ms >= 0 &&
                    info.ratelimit.requests_reset_ms <= 61000,
                "requests reset in %ld ms", info.ratelimit.requests_reset_ms);
}

static void test_curl_sends_get_and_reports_status(void **state)
{
    char url[128];
    kit_transport t;
    kit_http_request req = {.method = "GET", .url = url};
    kit_http_response resp;

    (void)state;
    NEED_MOCK();
    snprintf(url, sizeof(url), "%s/_mock/health", mock.base_url);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    assert_int_equal(kit_transport_send(&t, &req, &resp), KIT_OK);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "ok"));
    assert_int_equal(resp.body_len, strlen(resp.body));
    assert_non_null(resp.headers);
    kit_http_response_clear(&resp);
    assert_null(resp.body);
    kit_http_response_clear(NULL);
    assert_int_equal(kit_transport_send(NULL, &req, &resp),
                     KIT_ERR_INVALID_ARG);
    kit_curl_destroy(&t);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_names_every_status),
        cmocka_unit_test(test_status_from_http_maps_each_class),
        cmocka_unit_test(test_clock_real_is_monotonic_and_sleeps),
        cmocka_unit_test(test_clock_null_ops_means_real),
        cmocka_unit_test(test_clock_random_varies),
        cmocka_unit_test(test_clock_uses_the_fake_when_given),
        cmocka_unit_test(test_build_body_has_model_tokens_and_user_message),
        cmocka_unit_test(test_build_body_sends_system_and_temperature),
        cmocka_unit_test(test_build_body_escapes_the_prompt),
        cmocka_unit_test(test_build_body_rejects_bad_requests),
        cmocka_unit_test(test_parse_reply_joins_text_blocks_and_reads_usage),
        cmocka_unit_test(test_parse_reply_reads_the_fake_body),
        cmocka_unit_test(test_parse_reply_accepts_empty_content),
        cmocka_unit_test(test_parse_reply_rejects_malformed_bodies),
        cmocka_unit_test(test_parse_error_reads_the_envelope),
        cmocka_unit_test(test_parse_error_rejects_what_is_not_one),
        cmocka_unit_test(test_call_sends_headers_url_and_body),
        cmocka_unit_test(test_call_reports_an_error_status_with_its_envelope),
        cmocka_unit_test(test_call_passes_transport_failures_through),
        cmocka_unit_test(test_call_without_a_key_sends_nothing),
        cmocka_unit_test(test_header_lookup_is_case_insensitive_and_trimmed),
        cmocka_unit_test(test_retry_after_prefers_ms_then_seconds),
        cmocka_unit_test(test_ratelimit_reads_anthropic_headers),
        cmocka_unit_test(test_ratelimit_reads_openai_durations),
        cmocka_unit_test(test_ratelimit_absent_is_all_minus_one),
        cmocka_unit_test(test_dotenv_loads_comments_quotes_and_export),
        cmocka_unit_test(test_dotenv_override_flag),
        cmocka_unit_test(
            test_dotenv_malformed_line_names_the_line_not_the_value),
        cmocka_unit_test(test_dotenv_warns_when_others_can_read_it),
        cmocka_unit_test(test_dotenv_missing_file_is_io),
        cmocka_unit_test(test_api_key_missing_names_the_variable),
        cmocka_unit_test(test_api_key_trims_copy_paste_whitespace),
        cmocka_unit_test(test_base_url_env_overrides_the_default),
        cmocka_unit_test(test_redact_never_shows_the_whole_key),
        cmocka_unit_test(test_log_prints_nothing_without_a_sink),
        cmocka_unit_test(test_log_filters_by_level_and_prefixes_lines),
        cmocka_unit_test(test_log_redacts_keys_it_is_given),
        cmocka_unit_test(test_log_lines_stay_whole_across_threads),
        cmocka_unit_test(test_curl_refused_is_connect),
        cmocka_unit_test(test_curl_call_succeeds_end_to_end),
        cmocka_unit_test(test_curl_reuses_the_connection),
        cmocka_unit_test(test_curl_reads_retry_after_headers),
        cmocka_unit_test(test_curl_maps_each_error_status),
        cmocka_unit_test(test_curl_tells_transport_failures_apart),
        cmocka_unit_test(test_curl_timeout_is_timeout),
        cmocka_unit_test(test_curl_caps_the_response),
        cmocka_unit_test(test_sse_and_curl_read_a_stream_as_it_arrives),
        cmocka_unit_test(test_curl_reset_on_a_reused_connection_is_one_attempt),
        cmocka_unit_test(test_curl_reads_ratelimit_headers_from_the_mock),
        cmocka_unit_test(test_curl_sends_get_and_reports_status),
    };

    return HARNESS_MAIN("common", tests, group_setup, group_teardown);
}
