/*
 * Black-box tests of the key shorthand: an API key such as
 * "mock-429-429-ok" makes the mock server follow that script with no
 * control call, on every provider; a key that looks like shorthand but does
 * not parse is answered 400 naming the bad token. The grammar is in
 * mockserver/shorthand.h and mockserver/README.md.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mockproc server;

/* ---- helpers ---------------------------------------------------------- */

enum provider { ANTHROPIC, OPENAI, GEMINI, GEMINI_QUERY_KEY };

static const char *const provider_names[] = {"Anthropic", "OpenAI", "Gemini",
                                             "Gemini (key in ?key=)"};

/* Sends one small chat request with key. Frees with http_result_free. */
static void call(enum provider p, const char *key, http_result *r)
{
    char url[256], auth[320];
    const char *headers[4] = {"Content-Type: application/json", auth, NULL,
                              NULL};
    const char *body;

    if (p == ANTHROPIC) {
        snprintf(url, sizeof(url), "%s/v1/messages", server.base_url);
        snprintf(auth, sizeof(auth), "x-api-key: %s", key);
        headers[2] = "anthropic-version: 2023-06-01";
        body = "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,"
               "\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}";
    } else if (p == OPENAI) {
        snprintf(url, sizeof(url), "%s/v1/chat/completions", server.base_url);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
        body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,"
               "\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}";
    } else {
        const char *query = p == GEMINI_QUERY_KEY ? "?key=" : "";
        snprintf(url, sizeof(url),
                 "%s/v1beta/models/gemini-1.5-flash:generateContent%s%s",
                 server.base_url, query, p == GEMINI_QUERY_KEY ? key : "");
        if (p == GEMINI)
            snprintf(auth, sizeof(auth), "x-goog-api-key: %s", key);
        else
            headers[1] = NULL;
        body = "{\"contents\":[{\"role\":\"user\",\"parts\":"
               "[{\"text\":\"ping\"}]}]}";
    }
    assert_int_equal(http_do("POST", url, headers, body, 5000, r), 0);
}

/* Sends one request per expected status and checks each in turn. */
static void expect_statuses(enum provider p, const char *key, const long *want,
                            size_t n)
{
    http_result r;

    for (size_t i = 0; i < n; i++) {
        call(p, key, &r);
        CURLcode curl = r.curl;
        long status = r.status;

        http_result_free(&r); /* before a failure can skip it */
        expect_that(curl == CURLE_OK && status == want[i],
                    "with the %s key %s, request %zu should get %ld; got %ld "
                    "(%s)",
                    provider_names[p], key, i + 1, want[i], status,
                    curl_easy_strerror(curl));
    }
}

/* The error message in any provider's envelope, or "" when there is none. */
static const char *error_message(const cJSON *root)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");

    return cJSON_IsString(message) ? message->valuestring : "";
}

/* ---- fixtures --------------------------------------------------------- */

static int start_server(void **state)
{
    (void)state;
    return mockproc_start(&server, NULL);
}

static int stop_server(void **state)
{
    (void)state;
    mockproc_stop(&server);
    return 0;
}

/* Shorthand scripts start on a key's first request: reset before each. */
static int reset_server(void **state)
{
    (void)state;
    return mockctl_reset(&server) == 200 ? 0 : -1;
}

/* ---- the shorthand works ---------------------------------------------- */

static void test_a_shorthand_key_answers_429_twice_then_succeeds(void **state)
{
    const long want[] = {429, 429, 200, 200};

    (void)state;
    expect_statuses(ANTHROPIC, "mock-429-429-ok", want, 4);
}

static void test_shorthand_works_with_every_provider_and_key_form(void **state)
{
    const long want503[] = {503, 200};
    const long want500[] = {500, 200};
    const long want502[] = {502, 200};

    (void)state;
    expect_statuses(OPENAI, "mock-503-ok", want503, 2);
    expect_statuses(GEMINI, "mock-500-ok", want500, 2);
    expect_statuses(GEMINI_QUERY_KEY, "mock-502-ok", want502, 2);
}

static void test_anthropic_bearer_keys_spell_shorthand_too(void **state)
{
    const char *const headers[] = {"Content-Type: application/json",
                                   "Authorization: Bearer mock-529-ok",
                                   "anthropic-version: 2023-06-01", NULL};
    const char *body =
        "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,"
        "\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}";
    char url[256];
    http_result r;

    (void)state;
    snprintf(url, sizeof(url), "%s/v1/messages", server.base_url);
    assert_int_equal(http_do("POST", url, headers, body, 5000, &r), 0);
    expect_that(r.status == 529 && strstr(r.body, "overloaded_error"),
                "the Bearer key mock-529-ok should get Anthropic's 529 "
                "overloaded_error; got %ld %s",
                r.status, r.body);
    http_result_free(&r);
}

static void test_retry_modifiers_set_the_retry_headers(void **state)
{
    char buf[32] = "";
    http_result r;

    (void)state;
    call(ANTHROPIC, "mock-429r2-ok", &r);
    expect_that(r.status == 429 &&
                    http_header(&r, "retry-after", buf, sizeof(buf)) &&
                    strcmp(buf, "2") == 0,
                "the key mock-429r2-ok should get 429 with retry-after: 2; "
                "got %ld with \"%s\"",
                r.status, buf);
    http_result_free(&r);

    buf[0] = '\0';
    call(OPENAI, "mock-429r1500ms-ok", &r);
    expect_that(r.status == 429 &&
                    http_header(&r, "retry-after-ms", buf, sizeof(buf)) &&
                    strcmp(buf, "1500") == 0,
                "the key mock-429r1500ms-ok should get 429 with "
                "retry-after-ms: 1500; got %ld with \"%s\"",
                r.status, buf);
    http_result_free(&r);
}

static void test_the_delay_modifier_answers_late(void **state)
{
    http_result r;

    (void)state;
    call(ANTHROPIC, "mock-503d300-ok", &r);
    expect_that(r.status == 503 && r.total_s >= 0.3,
                "the key mock-503d300-ok should get a 503 after at least "
                "300 ms; got %ld after %.0f ms",
                r.status, r.total_s * 1000);
    http_result_free(&r);
    call(ANTHROPIC, "mock-503d300-ok", &r);
    expect_that(r.status == 200 && r.total_s < 0.3,
                "the step after the delayed one should succeed at once; got "
                "%ld after %.0f ms",
                r.status, r.total_s * 1000);
    http_result_free(&r);
}

static void test_the_count_modifier_repeats_a_step(void **state)
{
    const long want[] = {429, 429, 429, 200};

    (void)state;
    expect_statuses(OPENAI, "mock-429x3-ok", want, 4);
}

static void test_a_final_repeat_loops_the_steps(void **state)
{
    const long want[] = {429, 200, 429, 200, 429};

    (void)state;
    expect_statuses(ANTHROPIC, "mock-429-ok-repeat", want, 5);
}

static void test_fault_words_reach_the_client(void **state)
{
    http_result r;

    (void)state;
    call(ANTHROPIC, "mock-close-empty-ok", &r);
    expect_that(r.curl == CURLE_GOT_NOTHING,
                "the step close should end the connection with no answer "
                "(curl error 52); got curl %d (%s), status %ld",
                (int)r.curl, curl_easy_strerror(r.curl), r.status);
    http_result_free(&r);
    call(ANTHROPIC, "mock-close-empty-ok", &r);
    expect_that(r.curl == CURLE_OK && r.status == 200 && r.body_len == 0,
                "the step empty should be a 200 with an empty body; got "
                "%ld with %zu bytes",
                r.status, r.body_len);
    http_result_free(&r);
    call(ANTHROPIC, "mock-close-empty-ok", &r);
    expect_that(r.status == 200 && r.body_len > 0,
                "after the script the key should get a normal answer");
    http_result_free(&r);
}

static void test_ordinary_mock_keys_are_not_shorthand(void **state)
{
    const long want[] = {200, 200};

    (void)state;
    expect_statuses(ANTHROPIC, "mock-key-lab3", want, 2);
    expect_statuses(OPENAI, "mock-okapi", want, 2);
    expect_statuses(GEMINI, "mock-2024-lab", want, 2);
}

static void test_reset_starts_a_shorthand_script_again(void **state)
{
    const long want[] = {429, 200};

    (void)state;
    expect_statuses(ANTHROPIC, "mock-429-ok", want, 2);
    assert_int_equal(mockctl_reset(&server), 200);
    expect_statuses(ANTHROPIC, "mock-429-ok", want, 2);
}

static void test_the_journal_shows_the_steps_but_never_the_key(void **state)
{
    const long want[] = {429, 200};
    cJSON *journal, *requests, *all;
    char *text;

    (void)state;
    expect_statuses(OPENAI, "mock-429-ok", want, 2);
    journal = mockctl_journal(&server, "mock-429-ok");
    requests = cJSON_GetObjectItemCaseSensitive(journal, "requests");
    expect_that(cJSON_GetArraySize(requests) == 2,
                "the journal for the key should hold its 2 requests");
    cJSON_Delete(journal);

    all = mockctl_journal(&server, NULL);
    text = all ? cJSON_PrintUnformatted(all) : NULL;
    expect_that(text && strstr(text, "mock-429") == NULL,
                "the journal must never hold a key, shorthand or not: %s",
                text ? text : "(no journal)");
    cJSON_free(text);
    cJSON_Delete(all);
}

/* ---- bad shorthand ---------------------------------------------------- */

static void test_bad_shorthand_is_400_naming_the_token(void **state)
{
    static const struct {
        enum provider p;
        const char *key, *token;
    } cases[] = {
        {ANTHROPIC, "mock-429-foo", "foo"},
        {OPENAI, "mock-430-ok", "430"},
        {GEMINI, "mock-429q-ok", "429q"},
        {ANTHROPIC, "mock-429-repeat-ok", "repeat"},
    };
    http_result r;
    cJSON *root;
    const char *message;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        call(cases[i].p, cases[i].key, &r);
        root = cJSON_ParseWithLength(r.body, r.body_len);
        message = error_message(root);
        expect_that(r.status == 400,
                    "the %s key %s is bad shorthand and should get 400; got "
                    "%ld",
                    provider_names[cases[i].p], cases[i].key, r.status);
        expect_that(strstr(message, cases[i].token) != NULL,
                    "the 400 for %s should name the token %s; its message "
                    "is \"%s\"",
                    cases[i].key, cases[i].token, message);
        expect_that(strstr(r.body, cases[i].key) == NULL,
                    "the 400 must not repeat the whole key %s: %s",
                    cases[i].key, r.body);
        cJSON_Delete(root);
        http_result_free(&r);
    }
}

static void test_bad_shorthand_uses_each_providers_envelope(void **state)
{
    http_result r;
    cJSON *root;
    const cJSON *error, *type, *status;

    (void)state;
    call(ANTHROPIC, "mock-429-bogus", &r);
    root = cJSON_ParseWithLength(r.body, r.body_len);
    error = cJSON_GetObjectItemCaseSensitive(root, "error");
    type = cJSON_GetObjectItemCaseSensitive(error, "type");
    expect_that(cJSON_IsString(type) &&
                    strcmp(type->valuestring, "invalid_request_error") == 0,
                "Anthropic's 400 should be an invalid_request_error; got %s",
                r.body);
    cJSON_Delete(root);
    http_result_free(&r);

    call(GEMINI, "mock-429-bogus", &r);
    root = cJSON_ParseWithLength(r.body, r.body_len);
    error = cJSON_GetObjectItemCaseSensitive(root, "error");
    status = cJSON_GetObjectItemCaseSensitive(error, "status");
    expect_that(cJSON_IsString(status) &&
                    strcmp(status->valuestring, "INVALID_ARGUMENT") == 0,
                "Gemini's 400 should be INVALID_ARGUMENT; got %s", r.body);
    cJSON_Delete(root);
    http_result_free(&r);
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup(name, reset_server)
    const struct CMUnitTest tests[] = {
        T(test_a_shorthand_key_answers_429_twice_then_succeeds),
        T(test_shorthand_works_with_every_provider_and_key_form),
        T(test_anthropic_bearer_keys_spell_shorthand_too),
        T(test_retry_modifiers_set_the_retry_headers),
        T(test_the_delay_modifier_answers_late),
        T(test_the_count_modifier_repeats_a_step),
        T(test_a_final_repeat_loops_the_steps),
        T(test_fault_words_reach_the_client),
        T(test_ordinary_mock_keys_are_not_shorthand),
        T(test_reset_starts_a_shorthand_script_again),
        T(test_the_journal_shows_the_steps_but_never_the_key),
        T(test_bad_shorthand_is_400_naming_the_token),
        T(test_bad_shorthand_uses_each_providers_envelope),
    };
#undef T

    return HARNESS_MAIN("mock server: key shorthand", tests, start_server,
                        stop_server);
}
