/*
 * Black-box tests of the mock server's wire formats: each provider's
 * success shape, streamed and not; the token rule and max_tokens; error
 * envelopes; both Anthropic auth forms and both Gemini key forms; unknown
 * models, paths and methods; bad bodies; Content-Type on every answer.
 * One real build/mockserver answers over HTTP for the whole group.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The token rule the server documents: one token per 4 bytes, rounded up. */
static int tokens_of(size_t bytes)
{
    return (int)((bytes + 3) / 4);
}

static void request(const char *method, const char *path,
                    const char *const *headers, const char *body,
                    http_result *r)
{
    char url[512];

    snprintf(url, sizeof(url), "%s%s", server.base_url, path);
    assert_int_equal(http_do(method, url, headers, body, 0, r), 0);
    expect_that(r->curl == CURLE_OK,
                "%s %s failed in curl (%s); the server should answer", method,
                path, curl_easy_strerror(r->curl));
}

static void anthropic(const char *key, const char *body, http_result *r)
{
    char auth[160];
    const char *headers[] = {auth, "anthropic-version: 2023-06-01",
                             "Content-Type: application/json", NULL};

    snprintf(auth, sizeof(auth), "x-api-key: %s", key);
    request("POST", "/v1/messages", headers, body, r);
}

static void openai(const char *key, const char *body, http_result *r)
{
    char auth[160];
    const char *headers[] = {auth, "Content-Type: application/json", NULL};

    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    request("POST", "/v1/chat/completions", headers, body, r);
}

/* method is "generateContent" or "streamGenerateContent?alt=sse". */
static void gemini(const char *key, const char *model, const char *method,
                   const char *body, http_result *r)
{
    char auth[160], path[256];
    const char *headers[] = {auth, "Content-Type: application/json", NULL};

    snprintf(auth, sizeof(auth), "x-goog-api-key: %s", key);
    snprintf(path, sizeof(path), "/v1beta/models/%s:%s", model, method);
    request("POST", path, headers, body, r);
}

/* Parses the body as JSON; fails the test with the body if it is not. */
static cJSON *body_json(const http_result *r)
{
    cJSON *j = cJSON_Parse(r->body);

    expect_that(j != NULL, "the body should be JSON but is: %.300s", r->body);
    return j;
}

static void expect_json_content_type(const http_result *r)
{
    char ct[128];

    expect_that(http_header(r, "Content-Type", ct, sizeof(ct)) &&
                    strncmp(ct, "application/json", 16) == 0,
                "a %ld answer must say Content-Type: application/json (the "
                "SDKs return raw text without it); headers were:\n%s",
                r->status, r->headers);
}

static const char *str_at(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int int_at(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static const char *const BGP_BODY =
    "{\"model\":\"claude-sonnet-4.5\",\"max_tokens\":1000,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"What is BGP?\"}]}";

/* The text of the first content block of an Anthropic answer (copied). */
static char *anthropic_text(const cJSON *j)
{
    const cJSON *block =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "content"), 0);
    const char *t = str_at(block, "text");

    return strdup(t ? t : "");
}

/*
 * Walks a server-sent-event body, calling on_event(name, data JSON, ctx)
 * for each event ("" when it has no event: line). data is NULL when the
 * data line is not JSON ("[DONE]").
 */
static void each_event(const char *body,
                       void (*on_event)(const char *name, const cJSON *data,
                                        const char *raw, void *ctx),
                       void *ctx)
{
    char *copy = strdup(body);
    char *save = NULL;
    char name[64] = "";

    for (char *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "event: ", 7) == 0) {
            snprintf(name, sizeof(name), "%s", line + 7);
        } else if (strncmp(line, "data: ", 6) == 0) {
            cJSON *data = cJSON_Parse(line + 6);

            on_event(name, data, line + 6, ctx);
            cJSON_Delete(data);
            name[0] = '\0';
        }
    }
    free(copy);
}

typedef struct collected {
    char names[2048];
    char text[8192];
    int output_tokens;
    int input_tokens;
    int events;
    bool done;
    char finish[32];
} collected;

static void append(char *dst, size_t n, const char *s)
{
    size_t used = strlen(dst);

    snprintf(dst + used, n - used, "%s", s);
}

static void on_anthropic_event(const char *name, const cJSON *data,
                               const char *raw, void *ctx)
{
    collected *c = ctx;
    const char *type = str_at(data, "type");

    (void)raw;
    c->events++;
    if (strcmp(name, "content_block_delta") != 0 ||
        strstr(c->names, "content_block_delta") == NULL) {
        append(c->names, sizeof(c->names), name);
        append(c->names, sizeof(c->names), ",");
    }
    expect_that(type && strcmp(type, name) == 0,
                "each Anthropic event's data.type must equal its event "
                "name; event %s had type %s",
                name, type ? type : "(none)");
    if (strcmp(name, "message_start") == 0) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(data, "message");

        c->input_tokens = int_at(cJSON_GetObjectItemCaseSensitive(msg, "usage"),
                                 "input_tokens");
    } else if (strcmp(name, "content_block_delta") == 0) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(data, "delta");

        append(c->text, sizeof(c->text), str_at(delta, "text"));
    } else if (strcmp(name, "message_delta") == 0) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(data, "delta");

        c->output_tokens = int_at(
            cJSON_GetObjectItemCaseSensitive(data, "usage"), "output_tokens");
        snprintf(c->finish, sizeof(c->finish), "%s",
                 str_at(delta, "stop_reason") ? str_at(delta, "stop_reason")
                                              : "");
    }
}

/* ---- Anthropic ---------------------------------------------------------- */

static void test_anthropic_success_has_the_messages_shape(void **state)
{
    http_result r;
    cJSON *j;
    const cJSON *usage, *block;
    char key[64], rid[128];
    char *text;

    (void)state;
    unique_key(key, sizeof(key), "ant-shape");
    anthropic(key, BGP_BODY, &r);
    expect_that(r.status == 200,
                "a valid Messages request should get 200, "
                "got %ld: %s",
                r.status, r.body);
    expect_json_content_type(&r);
    expect_that(http_header(&r, "request-id", rid, sizeof(rid)) &&
                    strncmp(rid, "req_", 4) == 0,
                "an Anthropic answer carries a request-id: req_... header");
    j = body_json(&r);
    expect_that(strncmp(str_at(j, "id") ? str_at(j, "id") : "", "msg_", 4) == 0,
                "the message id should start with msg_: %s", r.body);
    expect_that(str_at(j, "type") && strcmp(str_at(j, "type"), "message") == 0,
                "type should be \"message\"");
    expect_that(str_at(j, "role") &&
                    strcmp(str_at(j, "role"), "assistant") == 0,
                "role should be \"assistant\"");
    expect_that(str_at(j, "model") &&
                    strcmp(str_at(j, "model"), "claude-sonnet-4.5") == 0,
                "model should echo the model asked for");
    block =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "content"), 0);
    expect_that(str_at(block, "type") &&
                    strcmp(str_at(block, "type"), "text") == 0 &&
                    str_at(block, "text") && str_at(block, "text")[0],
                "content[0] should be a non-empty text block: %s", r.body);
    expect_that(str_at(j, "stop_reason") &&
                    strcmp(str_at(j, "stop_reason"), "end_turn") == 0,
                "a whole answer stops with end_turn");
    expect_that(
        cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "stop_sequence")),
        "stop_sequence should be null");
    usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
    text = anthropic_text(j);
    expect_that(int_at(usage, "input_tokens") ==
                    tokens_of(strlen("What is BGP?")),
                "input_tokens should be ceil(12 bytes / 4) = 3, got %d",
                int_at(usage, "input_tokens"));
    expect_that(int_at(usage, "output_tokens") == tokens_of(strlen(text)),
                "output_tokens should be ceil(%zu bytes / 4) = %d, got %d",
                strlen(text), tokens_of(strlen(text)),
                int_at(usage, "output_tokens"));
    expect_that(strstr(text, "Border Gateway Protocol") != NULL,
                "a BGP question gets the canned BGP answer, got: %s", text);
    free(text);
    cJSON_Delete(j);
    http_result_free(&r);
}

static void test_anthropic_accepts_bearer_auth(void **state)
{
    http_result r;
    char key[64], auth[160];
    const char *headers[] = {auth, "anthropic-version: 2023-06-01", NULL};

    (void)state;
    unique_key(key, sizeof(key), "ant-bearer");
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    request("POST", "/v1/messages", headers, BGP_BODY, &r);
    expect_that(r.status == 200,
                "current Anthropic SDKs send Authorization: Bearer; the "
                "server must accept it, got %ld: %s",
                r.status, r.body);
    http_result_free(&r);
}

static void test_anthropic_without_key_is_401_authentication_error(void **s)
{
    http_result r;
    const char *headers[] = {"anthropic-version: 2023-06-01", NULL};
    const char *empty[] = {"x-api-key: ", "anthropic-version: 2023-06-01",
                           NULL};
    cJSON *j, *err;

    (void)s;
    request("POST", "/v1/messages", headers, BGP_BODY, &r);
    expect_that(r.status == 401, "no key should get 401, got %ld", r.status);
    expect_json_content_type(&r);
    j = body_json(&r);
    err = cJSON_GetObjectItemCaseSensitive(j, "error");
    expect_that(str_at(j, "type") && strcmp(str_at(j, "type"), "error") == 0 &&
                    str_at(err, "type") &&
                    strcmp(str_at(err, "type"), "authentication_error") == 0 &&
                    str_at(err, "message"),
                "the 401 must be {\"type\":\"error\",\"error\":{\"type\":"
                "\"authentication_error\",\"message\":...}}, got %s",
                r.body);
    expect_that(cJSON_GetObjectItemCaseSensitive(j, "request_id") != NULL,
                "Anthropic errors carry a request_id");
    cJSON_Delete(j);
    http_result_free(&r);

    request("POST", "/v1/messages", empty, BGP_BODY, &r);
    expect_that(r.status == 401,
                "an empty x-api-key should get 401 too, got "
                "%ld",
                r.status);
    http_result_free(&r);
}

static void test_anthropic_without_version_header_is_400(void **state)
{
    http_result r;
    char key[64], auth[160];
    const char *headers[] = {auth, NULL};

    (void)state;
    unique_key(key, sizeof(key), "ant-nover");
    snprintf(auth, sizeof(auth), "x-api-key: %s", key);
    request("POST", "/v1/messages", headers, BGP_BODY, &r);
    expect_that(r.status == 400 && strstr(r.body, "invalid_request_error") &&
                    strstr(r.body, "anthropic-version: header is required"),
                "without anthropic-version the answer is 400 "
                "invalid_request_error \"anthropic-version: header is "
                "required\"; got %ld %s",
                r.status, r.body);
    http_result_free(&r);
}

static void test_anthropic_counts_system_and_content_blocks(void **state)
{
    http_result r;
    cJSON *j;
    char key[64];
    /* system "Be brief." (9) + "Hello " (6) + "there" (5) + "OK" (2) +
       "Again" (5) = 27 bytes = 7 tokens. */
    const char *body =
        "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":50,"
        "\"system\":\"Be brief.\",\"temperature\":0.5,\"some_new_field\":1,"
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Hello \"},{\"type\":\"text\",\"text\":\"there\"}]},"
        "{\"role\":\"assistant\",\"content\":\"OK\"},"
        "{\"role\":\"user\",\"content\":\"Again\"}]}";

    (void)state;
    unique_key(key, sizeof(key), "ant-blocks");
    anthropic(key, body, &r);
    expect_that(r.status == 200,
                "content blocks, system, a dashed model name "
                "and an unknown field are all valid; got "
                "%ld %s",
                r.status, r.body);
    j = body_json(&r);
    expect_that(
        int_at(cJSON_GetObjectItemCaseSensitive(j, "usage"), "input_tokens") ==
            7,
        "input counts system + every message's text: 27 bytes = 7 "
        "tokens, got %d",
        int_at(cJSON_GetObjectItemCaseSensitive(j, "usage"), "input_tokens"));
    cJSON_Delete(j);
    http_result_free(&r);
}

static void test_anthropic_max_tokens_truncates_with_stop_reason(void **s)
{
    http_result r;
    cJSON *j;
    char key[64];
    char *text;
    const char *body =
        "{\"model\":\"claude-sonnet-4.5\",\"max_tokens\":5,"
        "\"messages\":[{\"role\":\"user\",\"content\":\"What is BGP?\"}]}";

    (void)s;
    unique_key(key, sizeof(key), "ant-max");
    anthropic(key, body, &r);
    j = body_json(&r);
    text = anthropic_text(j);
    expect_that(strcmp(str_at(j, "stop_reason") ? str_at(j, "stop_reason") : "",
                       "max_tokens") == 0,
                "a reply cut by max_tokens stops with \"max_tokens\": %s",
                r.body);
    expect_that(
        int_at(cJSON_GetObjectItemCaseSensitive(j, "usage"), "output_tokens") ==
                5 &&
            strlen(text) == 20,
        "max_tokens 5 allows 5 tokens = 20 bytes; got %d tokens, "
        "%zu bytes",
        int_at(cJSON_GetObjectItemCaseSensitive(j, "usage"), "output_tokens"),
        strlen(text));
    free(text);
    cJSON_Delete(j);
    http_result_free(&r);
}

static void test_anthropic_stream_has_named_events_and_same_text(void **s)
{
    http_result plain, streamed;
    collected c;
    cJSON *j;
    char key[64], ct[64];
    char *text;
    const char *body =
        "{\"model\":\"claude-sonnet-4.5\",\"max_tokens\":1000,\"stream\":true,"
        "\"messages\":[{\"role\":\"user\",\"content\":\"What is BGP?\"}]}";

    (void)s;
    memset(&c, 0, sizeof(c));
    unique_key(key, sizeof(key), "ant-stream");
    anthropic(key, BGP_BODY, &plain);
    anthropic(key, body, &streamed);
    expect_that(streamed.status == 200 &&
                    http_header(&streamed, "Content-Type", ct, sizeof(ct)) &&
                    strncmp(ct, "text/event-stream", 17) == 0,
                "a streamed answer is 200 text/event-stream; got %ld, %s",
                streamed.status, streamed.headers);
    each_event(streamed.body, on_anthropic_event, &c);
    expect_that(strcmp(c.names, "message_start,content_block_start,ping,"
                                "content_block_delta,content_block_stop,"
                                "message_delta,message_stop,") == 0,
                "Anthropic's stream runs message_start, content_block_start, "
                "ping, content_block_delta..., content_block_stop, "
                "message_delta, message_stop; got %s",
                c.names);
    j = body_json(&plain);
    text = anthropic_text(j);
    expect_that(strcmp(c.text, text) == 0,
                "the deltas must add up to the non-streamed text:\n"
                "streamed: %s\nplain:    %s",
                c.text, text);
    expect_that(c.output_tokens ==
                        int_at(cJSON_GetObjectItemCaseSensitive(j, "usage"),
                               "output_tokens") &&
                    c.input_tokens == 3,
                "the stream's usage must match the plain answer's; got in %d "
                "out %d",
                c.input_tokens, c.output_tokens);
    expect_that(strcmp(c.finish, "end_turn") == 0,
                "message_delta carries stop_reason end_turn, got %s", c.finish);
    free(text);
    cJSON_Delete(j);
    http_result_free(&plain);
    http_result_free(&streamed);
}

static void test_replies_are_deterministic_and_canned_for_networking(void **s)
{
    static const struct {
        const char *question;
        const char *expect;
    } canned[] = {
        {"Explain OSPF areas", "link-state"},
        {"how does eigrp converge", "DUAL"},
        {"What is a VLAN trunk?", "802.1Q"},
    };
    char key[64], body[512];
    char *first = NULL;

    (void)s;
    unique_key(key, sizeof(key), "ant-det");
    for (int i = 0; i < 2; i++) {
        http_result r;
        cJSON *j;

        anthropic(key,
                  "{\"model\":\"claude-opus-4.5\",\"max_tokens\":500,"
                  "\"messages\":[{\"role\":\"user\",\"content\":\"Write a "
                  "change plan for router R1\"}]}",
                  &r);
        j = body_json(&r);
        if (i == 0) {
            first = strdup(r.body + (strstr(r.body, "\"type\"") - r.body));
        } else {
            expect_that(strcmp(first, r.body + (strstr(r.body, "\"type\"") -
                                                r.body)) == 0,
                        "the same request must get the same text and usage "
                        "every time (ids aside):\n%s\n%s",
                        first, r.body);
        }
        cJSON_Delete(j);
        http_result_free(&r);
    }
    free(first);
    for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++) {
        http_result r;
        cJSON *j;
        char *text;

        snprintf(body, sizeof(body),
                 "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":500,"
                 "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                 canned[i].question);
        anthropic(key, body, &r);
        j = body_json(&r);
        text = anthropic_text(j);
        expect_that(strstr(text, canned[i].expect) != NULL,
                    "\"%s\" should get the canned answer mentioning %s, got: "
                    "%s",
                    canned[i].question, canned[i].expect, text);
        free(text);
        cJSON_Delete(j);
        http_result_free(&r);
    }
}

/* ---- OpenAI ------------------------------------------------------------- */

static const char *const OPENAI_BODY =
    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":"
    "\"You are terse.\"},{\"role\":\"user\",\"content\":\"What is OSPF?\"}]}";

static void test_openai_success_has_the_chat_completion_shape(void **state)
{
    http_result r;
    cJSON *j;
    const cJSON *choice, *msg, *usage;
    char key[64], rid[128];
    int in, out;

    (void)state;
    unique_key(key, sizeof(key), "oai-shape");
    openai(key, OPENAI_BODY, &r);
    expect_that(r.status == 200,
                "a valid chat completion should get 200, "
                "got %ld: %s",
                r.status, r.body);
    expect_json_content_type(&r);
    expect_that(http_header(&r, "x-request-id", rid, sizeof(rid)) != NULL,
                "an OpenAI answer carries x-request-id");
    j = body_json(&r);
    expect_that(
        strncmp(str_at(j, "id") ? str_at(j, "id") : "", "chatcmpl-", 9) == 0 &&
            strcmp(str_at(j, "object"), "chat.completion") == 0 &&
            cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "created")) &&
            strcmp(str_at(j, "model"), "gpt-4o") == 0,
        "id chatcmpl-..., object chat.completion, created, model: %s", r.body);
    choice =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
    msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
    expect_that(int_at(choice, "index") == 0 &&
                    strcmp(str_at(msg, "role"), "assistant") == 0 &&
                    strstr(str_at(msg, "content"), "link-state") &&
                    strcmp(str_at(choice, "finish_reason"), "stop") == 0,
                "choices[0] = {index 0, message {assistant, the OSPF "
                "answer}, finish_reason stop}: %s",
                r.body);
    usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
    in = int_at(usage, "prompt_tokens");
    out = int_at(usage, "completion_tokens");
    expect_that(in == tokens_of(strlen("You are terse.What is OSPF?")) &&
                    out == tokens_of(strlen(str_at(msg, "content"))) &&
                    int_at(usage, "total_tokens") == in + out,
                "usage: prompt 7 (system + user = 27 bytes), completion by "
                "the rule, total = sum; got %d %d %d",
                in, out, int_at(usage, "total_tokens"));
    cJSON_Delete(j);
    http_result_free(&r);
}

static void test_openai_both_max_token_fields_truncate_with_length(void **s)
{
    static const char *const fields[] = {"max_tokens", "max_completion_tokens"};
    char key[64], body[256];

    (void)s;
    unique_key(key, sizeof(key), "oai-max");
    for (int i = 0; i < 2; i++) {
        http_result r;
        cJSON *j;
        const cJSON *choice;

        snprintf(body, sizeof(body),
                 "{\"model\":\"gpt-4o-mini\",\"%s\":3,\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"What is BGP?\"}]}",
                 fields[i]);
        openai(key, body, &r);
        j = body_json(&r);
        choice = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
        expect_that(strcmp(str_at(choice, "finish_reason"), "length") == 0 &&
                        int_at(cJSON_GetObjectItemCaseSensitive(j, "usage"),
                               "completion_tokens") == 3,
                    "%s 3 must cut the reply to 3 tokens with "
                    "finish_reason length: %s",
                    fields[i], r.body);
        cJSON_Delete(j);
        http_result_free(&r);
    }
}

static void on_openai_event(const char *name, const cJSON *data,
                            const char *raw, void *ctx)
{
    collected *c = ctx;
    const cJSON *choice = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(data, "choices"), 0);
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(data, "usage");

    (void)name;
    c->events++;
    expect_that(!c->done, "nothing may follow data: [DONE]");
    if (strcmp(raw, "[DONE]") == 0) {
        c->done = true;
        return;
    }
    expect_that(
        data && strcmp(str_at(data, "object"), "chat.completion.chunk") == 0,
        "every data: line but [DONE] is a chat.completion.chunk: %s", raw);
    if (str_at(delta, "content"))
        append(c->text, sizeof(c->text), str_at(delta, "content"));
    if (str_at(choice, "finish_reason"))
        snprintf(c->finish, sizeof(c->finish), "%s",
                 str_at(choice, "finish_reason"));
    if (cJSON_IsObject(usage)) {
        c->input_tokens = int_at(usage, "prompt_tokens");
        c->output_tokens = int_at(usage, "completion_tokens");
    }
}

static void test_openai_stream_has_chunks_usage_and_done(void **state)
{
    http_result plain, streamed;
    collected c;
    cJSON *j;
    const cJSON *msg;
    char key[64], ct[64];
    const char *body =
        "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":"
        "{\"include_usage\":true},\"messages\":[{\"role\":\"system\","
        "\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":"
        "\"What is OSPF?\"}]}";

    (void)state;
    memset(&c, 0, sizeof(c));
    unique_key(key, sizeof(key), "oai-stream");
    openai(key, OPENAI_BODY, &plain);
    openai(key, body, &streamed);
    expect_that(http_header(&streamed, "Content-Type", ct, sizeof(ct)) &&
                    strncmp(ct, "text/event-stream", 17) == 0,
                "a streamed answer is text/event-stream: %s", streamed.headers);
    each_event(streamed.body, on_openai_event, &c);
    j = body_json(&plain);
    msg = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0),
        "message");
    expect_that(c.done, "an OpenAI stream ends with data: [DONE]");
    expect_that(strcmp(c.text, str_at(msg, "content")) == 0,
                "the chunks must add up to the plain text:\n%s\n%s", c.text,
                str_at(msg, "content"));
    expect_that(strcmp(c.finish, "stop") == 0, "finish_reason stop");
    expect_that(c.input_tokens == 7 &&
                    c.output_tokens == tokens_of(strlen(c.text)),
                "with include_usage a usage chunk carries the same counts; "
                "got %d %d",
                c.input_tokens, c.output_tokens);
    cJSON_Delete(j);
    http_result_free(&plain);
    http_result_free(&streamed);
}

static void test_openai_without_key_is_401(void **state)
{
    http_result r;
    const char *headers[] = {"Content-Type: application/json", NULL};
    cJSON *j, *err;

    (void)state;
    request("POST", "/v1/chat/completions", headers, OPENAI_BODY, &r);
    expect_that(r.status == 401, "no key should get 401, got %ld", r.status);
    expect_json_content_type(&r);
    j = body_json(&r);
    err = cJSON_GetObjectItemCaseSensitive(j, "error");
    expect_that(str_at(err, "message") && str_at(err, "type") &&
                    cJSON_HasObjectItem(err, "param") &&
                    cJSON_HasObjectItem(err, "code"),
                "OpenAI's envelope is {\"error\":{message,type,param,code}}: "
                "%s",
                r.body);
    cJSON_Delete(j);
    http_result_free(&r);
}

/* ---- Gemini ------------------------------------------------------------- */

static const char *const GEMINI_BODY =
    "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},"
    "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"What is a "
    "VLAN?\"}]}]}";

static void test_gemini_success_has_the_generate_content_shape(void **s)
{
    http_result r;
    cJSON *j;
    const cJSON *cand, *content, *usage;
    const char *text;
    char key[64];
    int in, out;

    (void)s;
    unique_key(key, sizeof(key), "gem-shape");
    gemini(key, "gemini-1.5-pro", "generateContent", GEMINI_BODY, &r);
    expect_that(r.status == 200, "Gemini success is exactly 200, got %ld: %s",
                r.status, r.body);
    expect_json_content_type(&r);
    j = body_json(&r);
    cand = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "candidates"),
                              0);
    content = cJSON_GetObjectItemCaseSensitive(cand, "content");
    text = str_at(cJSON_GetArrayItem(
                      cJSON_GetObjectItemCaseSensitive(content, "parts"), 0),
                  "text");
    expect_that(text && strstr(text, "802.1Q") &&
                    strcmp(str_at(content, "role"), "model") == 0 &&
                    strcmp(str_at(cand, "finishReason"), "STOP") == 0 &&
                    int_at(cand, "index") == 0,
                "candidates[0] = {content {role model, parts [{text}]}, "
                "finishReason STOP, index 0}: %s",
                r.body);
    usage = cJSON_GetObjectItemCaseSensitive(j, "usageMetadata");
    in = int_at(usage, "promptTokenCount");
    out = int_at(usage, "candidatesTokenCount");
    expect_that(in == tokens_of(strlen("Be brief.What is a VLAN?")) &&
                    out == tokens_of(strlen(text ? text : "")) &&
                    int_at(usage, "totalTokenCount") == in + out,
                "usageMetadata follows the token rule; got %d %d %d", in, out,
                int_at(usage, "totalTokenCount"));
    expect_that(str_at(j, "modelVersion") && str_at(j, "responseId"),
                "modelVersion and responseId are present: %s", r.body);
    cJSON_Delete(j);
    http_result_free(&r);
}

static void test_gemini_takes_the_key_in_header_or_query(void **state)
{
    http_result r;
    char key[64], scripted[64], path[256], auth[160];
    const char *no_headers[] = {"Content-Type: application/json", NULL};
    const char *headers[] = {auth, NULL};

    (void)state;
    unique_key(key, sizeof(key), "gem-query");
    snprintf(path, sizeof(path),
             "/v1beta/models/gemini-1.5-flash:generateContent?key=%s", key);
    request("POST", path, no_headers, GEMINI_BODY, &r);
    expect_that(r.status == 200,
                "?key= is a valid Gemini key form; got %ld "
                "%s",
                r.status, r.body);
    http_result_free(&r);

    request("POST", "/v1beta/models/gemini-1.5-flash:generateContent",
            no_headers, GEMINI_BODY, &r);
    expect_that(r.status == 403 && strstr(r.body, "PERMISSION_DENIED"),
                "no Gemini key at all gets the real API's 403 "
                "PERMISSION_DENIED; got %ld %s",
                r.status, r.body);
    http_result_free(&r);

    /* Header and query both: the header wins. */
    unique_key(scripted, sizeof(scripted), "gem-header");
    assert_int_equal(
        mockctl_put_script(&server, scripted, "{\"steps\":[{\"status\":503}]}"),
        200);
    snprintf(auth, sizeof(auth), "x-goog-api-key: %s", scripted);
    request("POST", path, headers, GEMINI_BODY, &r);
    expect_that(r.status == 503,
                "with x-goog-api-key and ?key= both given the header's key "
                "must be used (its script says 503); got %ld",
                r.status);
    http_result_free(&r);
}

typedef struct gemini_collected {
    char text[8192];
    int chunks;
    char finish[32];
    int total;
} gemini_collected;

static void on_gemini_event(const char *name, const cJSON *data,
                            const char *raw, void *ctx)
{
    gemini_collected *c = ctx;
    const cJSON *cand = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(data, "candidates"), 0);
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cand, "content"), "parts");
    const char *t = str_at(cJSON_GetArrayItem(parts, 0), "text");

    (void)name;
    expect_that(data != NULL, "every Gemini SSE data line is JSON: %s", raw);
    c->chunks++;
    if (t)
        append(c->text, sizeof(c->text), t);
    if (str_at(cand, "finishReason")) {
        snprintf(c->finish, sizeof(c->finish), "%s",
                 str_at(cand, "finishReason"));
        c->total =
            int_at(cJSON_GetObjectItemCaseSensitive(data, "usageMetadata"),
                   "totalTokenCount");
    }
}

static void test_gemini_stream_sse_has_the_same_text(void **state)
{
    http_result plain, streamed;
    gemini_collected c;
    cJSON *j;
    const cJSON *cand;
    char key[64], ct[64];

    (void)state;
    memset(&c, 0, sizeof(c));
    unique_key(key, sizeof(key), "gem-stream");
    gemini(key, "gemini-1.5-flash", "generateContent", GEMINI_BODY, &plain);
    gemini(key, "gemini-1.5-flash", "streamGenerateContent?alt=sse",
           GEMINI_BODY, &streamed);
    expect_that(streamed.status == 200 &&
                    http_header(&streamed, "Content-Type", ct, sizeof(ct)) &&
                    strncmp(ct, "text/event-stream", 17) == 0,
                "streamGenerateContent?alt=sse answers text/event-stream: "
                "%ld %s",
                streamed.status, streamed.headers);
    each_event(streamed.body, on_gemini_event, &c);
    j = body_json(&plain);
    cand = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "candidates"),
                              0);
    expect_that(c.chunks > 1, "the answer should come in several events");
    expect_that(
        strcmp(c.text,
               str_at(cJSON_GetArrayItem(
                          cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(cand, "content"),
                              "parts"),
                          0),
                      "text")) == 0,
        "the streamed parts add up to the plain text: %s", c.text);
    expect_that(strcmp(c.finish, "STOP") == 0 &&
                    c.total == int_at(cJSON_GetObjectItemCaseSensitive(
                                          j, "usageMetadata"),
                                      "totalTokenCount"),
                "the last chunk has finishReason STOP and the same usage");
    cJSON_Delete(j);
    http_result_free(&plain);
    http_result_free(&streamed);
}

static void test_gemini_max_output_tokens_truncates_with_MAX_TOKENS(void **s)
{
    http_result r;
    cJSON *j;
    char key[64];

    (void)s;
    unique_key(key, sizeof(key), "gem-max");
    gemini(key, "gemini-1.5-flash", "generateContent",
           "{\"generationConfig\":{\"maxOutputTokens\":4},\"contents\":[{"
           "\"parts\":[{\"text\":\"What is BGP?\"}]}]}",
           &r);
    j = body_json(&r);
    expect_that(strstr(r.body, "\"finishReason\":\"MAX_TOKENS\"") &&
                    int_at(cJSON_GetObjectItemCaseSensitive(j, "usageMetadata"),
                           "candidatesTokenCount") == 4,
                "maxOutputTokens 4 cuts the reply to 4 tokens with "
                "finishReason MAX_TOKENS: %s",
                r.body);
    cJSON_Delete(j);
    http_result_free(&r);
}

/* ---- Errors common to all three ----------------------------------------- */

static void test_unknown_model_is_404_in_each_envelope(void **state)
{
    http_result r;
    char key[64];

    (void)state;
    unique_key(key, sizeof(key), "any-404");
    anthropic(key,
              "{\"model\":\"claude-nonexistent\",\"max_tokens\":5,"
              "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
              &r);
    expect_that(r.status == 404 && strstr(r.body, "\"not_found_error\""),
                "Anthropic: unknown model is 404 not_found_error: %ld %s",
                r.status, r.body);
    expect_json_content_type(&r);
    http_result_free(&r);
    openai(key,
           "{\"model\":\"gpt-99\",\"messages\":[{\"role\":\"user\","
           "\"content\":\"hi\"}]}",
           &r);
    expect_that(r.status == 404 && strstr(r.body, "model_not_found"),
                "OpenAI: unknown model is 404 code model_not_found: %ld %s",
                r.status, r.body);
    http_result_free(&r);
    gemini(key, "gemini-0.1-nano", "generateContent", GEMINI_BODY, &r);
    expect_that(r.status == 404 && strstr(r.body, "\"NOT_FOUND\"") &&
                    strstr(r.body, "\"code\":404"),
                "Gemini: unknown model is 404 NOT_FOUND with code 404: %ld %s",
                r.status, r.body);
    http_result_free(&r);
    /* A model of another provider is unknown here too. */
    anthropic(key,
              "{\"model\":\"gpt-4o\",\"max_tokens\":5,"
              "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
              &r);
    expect_that(r.status == 404, "gpt-4o is not an Anthropic model: got %ld",
                r.status);
    http_result_free(&r);
}

static void test_bad_json_and_wrong_types_are_400(void **state)
{
    static const struct {
        int provider; /* 0 anthropic, 1 openai, 2 gemini */
        const char *body;
        const char *names; /* the message must mention this */
    } cases[] = {
        {0, "{\"model\":", "JSON"},
        {0,
         "{\"model\":\"claude-haiku-4.5\",\"messages\":[{\"role\":\"user\","
         "\"content\":\"hi\"}]}",
         "max_tokens"},
        {0,
         "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":\"ten\","
         "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
         "max_tokens"},
        {0,
         "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":5,"
         "\"messages\":\"hi\"}",
         "messages"},
        {0,
         "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":5,"
         "\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}",
         "role"},
        {1, "not json", "JSON"},
        {1, "{\"model\":\"gpt-4o\"}", "messages"},
        {1,
         "{\"model\":\"gpt-4o\",\"max_tokens\":-1,\"messages\":[{\"role\":"
         "\"user\",\"content\":\"hi\"}]}",
         "max_tokens"},
        {2, "[1,2", "JSON"},
        {2, "{\"contents\":\"hi\"}", "contents"},
        {2, "{}", "contents"},
    };
    static const char *const envelope[] = {"\"invalid_request_error\"",
                                           "\"invalid_request_error\"",
                                           "\"INVALID_ARGUMENT\""};
    char key[64];

    (void)state;
    unique_key(key, sizeof(key), "any-400");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_result r;

        if (cases[i].provider == 0)
            anthropic(key, cases[i].body, &r);
        else if (cases[i].provider == 1)
            openai(key, cases[i].body, &r);
        else
            gemini(key, "gemini-1.5-flash", "generateContent", cases[i].body,
                   &r);
        expect_that(
            r.status == 400 && strstr(r.body, envelope[cases[i].provider]) &&
                strstr(r.body, cases[i].names),
            "body %s should get 400 %s naming %s; got %ld %s", cases[i].body,
            envelope[cases[i].provider], cases[i].names, r.status, r.body);
        expect_json_content_type(&r);
        http_result_free(&r);
    }
}

static void test_body_over_1_mib_is_413_and_400_for_gemini(void **state)
{
    size_t n = 1024 * 1024 + 100;
    char *big = malloc(n + 64);
    http_result r;
    char key[64];

    (void)state;
    assert_non_null(big);
    strcpy(big, "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":5,\"x\":\"");
    memset(big + strlen(big), 'a', n);
    strcpy(big + n, "\"}");
    unique_key(key, sizeof(key), "any-413");
    anthropic(key, big, &r);
    expect_that(r.status == 413 && strstr(r.body, "request_too_large"),
                "a body over 1 MiB gets Anthropic's 413 request_too_large: "
                "%ld %s",
                r.status, r.body);
    http_result_free(&r);
    openai(key, big, &r);
    expect_that(r.status == 413, "OpenAI: over 1 MiB is 413, got %ld",
                r.status);
    http_result_free(&r);
    gemini(key, "gemini-1.5-pro", "generateContent", big, &r);
    expect_that(r.status == 400 && strstr(r.body, "INVALID_ARGUMENT"),
                "Gemini answers an oversized body with 400 INVALID_ARGUMENT, "
                "as the real API does: %ld %s",
                r.status, r.body);
    http_result_free(&r);
    free(big);
    /* The server is still fine afterwards. */
    anthropic(key, BGP_BODY, &r);
    expect_that(r.status == 200,
                "after a huge body the server still "
                "answers, got %ld",
                r.status);
    http_result_free(&r);
}

static void test_unknown_path_is_404_in_the_envelope_it_resembles(void **s)
{
    static const struct {
        const char *path;
        const char *header;
        const char *mark;
    } cases[] = {
        {"/v1/messages/batches/x", "anthropic-version: 2023-06-01",
         "\"not_found_error\""},
        {"/v1/embeddings", "Authorization: Bearer test-x",
         "\"invalid_request_error\""},
        {"/v1beta/models/gemini-1.5-pro:countTokens", "x-goog-api-key: t",
         "\"NOT_FOUND\""},
    };

    (void)s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *headers[] = {cases[i].header, NULL};
        http_result r;

        request("POST", cases[i].path, headers, "{}", &r);
        expect_that(r.status == 404 && strstr(r.body, cases[i].mark),
                    "POST %s should get 404 with %s; got %ld %s", cases[i].path,
                    cases[i].mark, r.status, r.body);
        expect_json_content_type(&r);
        http_result_free(&r);
    }
}

static void test_wrong_method_is_405(void **state)
{
    http_result r;
    char allow[32];
    const char *headers[] = {"x-api-key: test-405",
                             "anthropic-version: 2023-06-01", NULL};

    (void)state;
    request("GET", "/v1/messages", headers, NULL, &r);
    expect_that(r.status == 405 && strstr(r.body, "\"type\":\"error\"") &&
                    http_header(&r, "Allow", allow, sizeof(allow)) &&
                    strcmp(allow, "POST") == 0,
                "GET /v1/messages is 405 with Allow: POST in Anthropic's "
                "envelope; got %ld %s",
                r.status, r.body);
    expect_json_content_type(&r);
    http_result_free(&r);
    request("DELETE", "/v1/chat/completions", NULL, NULL, &r);
    expect_that(r.status == 405, "DELETE on chat completions is 405, got %ld",
                r.status);
    http_result_free(&r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anthropic_success_has_the_messages_shape),
        cmocka_unit_test(test_anthropic_accepts_bearer_auth),
        cmocka_unit_test(
            test_anthropic_without_key_is_401_authentication_error),
        cmocka_unit_test(test_anthropic_without_version_header_is_400),
        cmocka_unit_test(test_anthropic_counts_system_and_content_blocks),
        cmocka_unit_test(test_anthropic_max_tokens_truncates_with_stop_reason),
        cmocka_unit_test(test_anthropic_stream_has_named_events_and_same_text),
        cmocka_unit_test(
            test_replies_are_deterministic_and_canned_for_networking),
        cmocka_unit_test(test_openai_success_has_the_chat_completion_shape),
        cmocka_unit_test(
            test_openai_both_max_token_fields_truncate_with_length),
        cmocka_unit_test(test_openai_stream_has_chunks_usage_and_done),
        cmocka_unit_test(test_openai_without_key_is_401),
        cmocka_unit_test(test_gemini_success_has_the_generate_content_shape),
        cmocka_unit_test(test_gemini_takes_the_key_in_header_or_query),
        cmocka_unit_test(test_gemini_stream_sse_has_the_same_text),
        cmocka_unit_test(
            test_gemini_max_output_tokens_truncates_with_MAX_TOKENS),
        cmocka_unit_test(test_unknown_model_is_404_in_each_envelope),
        cmocka_unit_test(test_bad_json_and_wrong_types_are_400),
        cmocka_unit_test(test_body_over_1_mib_is_413_and_400_for_gemini),
        cmocka_unit_test(test_unknown_path_is_404_in_the_envelope_it_resembles),
        cmocka_unit_test(test_wrong_method_is_405),
    };

    return HARNESS_MAIN("mock_wire", tests, setup, teardown);
}
