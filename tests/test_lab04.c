/*
 * Lab 4's graded tests: three providers behind one interface. Unit tests
 * drive each provider's call through the fake transport, so the request
 * it puts on the wire and what it makes of each answer are checked byte by
 * byte; integration tests run the lab 3 client over each provider against
 * one mock server (started once for the program) and read the server's
 * journal and bill to see what really happened.
 *
 * Graded builds link the reference labs 1, 2 and 3, so these tests judge
 * openai.c, gemini.c and providers.c alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"
#include "client.h"
#include "fakes.h"
#include "harness.h"
#include "providers.h"

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

/* ---- Bodies the fake transport answers with -------------------------------
 */

static const char openai_ok[] =
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"OSPF floods "
    "\\\"LSAs\\\".\\nThen SPF.\"},\"finish_reason\":\"length\"}],"
    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,"
    "\"total_tokens\":46}}";
static const char openai_ok_text[] = "OSPF floods \"LSAs\".\nThen SPF.";

static const char gemini_ok[] =
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
    "{\"text\":\"Hello, \"},{\"text\":\"world\"}]},\"finishReason\":"
    "\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,"
    "\"candidatesTokenCount\":21,\"totalTokenCount\":30},"
    "\"modelVersion\":\"gemini-1.5-flash-002\",\"responseId\":\"r1\"}";
/* The real API leaves candidatesTokenCount and modelVersion out at times. */
static const char gemini_ok_sparse[] =
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[]},"
    "\"finishReason\":\"SAFETY\",\"index\":0}],\"usageMetadata\":"
    "{\"promptTokenCount\":5,\"totalTokenCount\":5}}";

#define OPENAI_ERR(message, type, code)                                        \
    "{\"error\":{\"message\":\"" message "\",\"type\":\"" type "\","           \
    "\"param\":null,\"code\":" code "}}"
#define GEMINI_ERR(code, message, status)                                      \
    "{\"error\":{\"code\":" #code ",\"message\":\"" message "\","              \
    "\"status\":\"" status "\"}}"
#define GEMINI_429(delay)                                                      \
    "{\"error\":{\"code\":429,\"message\":\"Quota exceeded\",\"status\":"      \
    "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"                          \
    "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"" delay     \
    "\"}]}}"

/* ---- Unit rig: one provider call over the fake transport ----------------- */

typedef struct wire {
    fake_transport ft;
    kit_chat_reply reply;
    kit_attempt info;
    kit_status st;
} wire;

static kit_chat_request request_for(const char *model)
{
    kit_chat_request req = {
        .model = model,
        .system = "Be brief.",
        .prompt = "What is OSPF?",
        .max_tokens = 123,
        .temperature = 0.5,
        .timeout_ms = 0,
    };

    return req;
}

/* The base URL ends in '/' on purpose: the path must not double it. */
#define FAKE_BASE "http://fake.invalid/"

static kit_status wire_call(wire *w, const kit_provider_ops *p,
                            const fake_step *steps, size_t n,
                            const kit_chat_request *req, const char *key)
{
    kit_endpoint ep = {.base_url = FAKE_BASE, .api_key = key};

    kit_chat_reply_clear(&w->reply);
    memset(w, 0, sizeof(*w));
    fake_transport_init(&w->ft, steps, n, NULL);
    w->st = p->call(&w->ft.transport, &ep, req, &w->reply, &w->info);
    return w->st;
}

static void wire_done(wire *w)
{
    kit_chat_reply_clear(&w->reply);
}

/* The JSON the provider sent, parsed; the caller frees it. */
static cJSON *sent_body(const wire *w, const char *who)
{
    cJSON *body = cJSON_Parse(w->ft.last_body);

    expect_that(cJSON_IsObject(body),
                "the %s request body is not a JSON object: %s", who,
                w->ft.last_body);
    return body;
}

static const cJSON *at(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static bool is_string(const cJSON *item, const char *want)
{
    return cJSON_IsString(item) && strcmp(item->valuestring, want) == 0;
}

static bool is_number(const cJSON *item, double want)
{
    return cJSON_IsNumber(item) && fabs(item->valuedouble - want) < 1e-9;
}

/* ---- OpenAI -----------------------------------------------------------------
 */

static void test_openai_request_has_the_url_bearer_key_and_body(void **state)
{
    fake_step steps[1];
    kit_chat_request req = request_for("gpt-4o-mini");
    const cJSON *messages, *m0, *m1;
    cJSON *body;
    wire w = {0};

    (void)state;
    steps[0] = fake_ok(openai_ok, 5);
    wire_call(&w, &provider_openai, steps, 1, &req, "test-key-openai");
    expect_that(w.ft.calls == 1,
                "provider_openai.call made %zu requests; one call is exactly "
                "one HTTP exchange",
                w.ft.calls);
    expect_that(
        strcmp(w.ft.last_url, "http://fake.invalid/v1/chat/completions") == 0,
        "the request went to %s; Chat Completions is POST "
        "{base}/v1/chat/completions (kit_provider_url joins them "
        "without doubling the '/')",
        w.ft.last_url);
    expect_that(strstr(w.ft.last_headers,
                       "Authorization: Bearer test-key-openai") != NULL,
                "OpenAI takes the key as \"Authorization: Bearer KEY\"; the "
                "request sent:\n%s",
                w.ft.last_headers);
    body = sent_body(&w, "OpenAI");
    messages = at(body, "messages");
    m0 = cJSON_GetArrayItem(messages, 0);
    m1 = cJSON_GetArrayItem(messages, 1);
    expect_that(is_string(at(body, "model"), "gpt-4o-mini") &&
                    is_number(at(body, "max_tokens"), 123) &&
                    is_number(at(body, "temperature"), 0.5),
                "the body must carry model, max_tokens and temperature from "
                "the request; it was %s",
                w.ft.last_body);
    expect_that(cJSON_GetArraySize(messages) == 2 &&
                    is_string(at(m0, "role"), "system") &&
                    is_string(at(m0, "content"), "Be brief.") &&
                    is_string(at(m1, "role"), "user") &&
                    is_string(at(m1, "content"), "What is OSPF?"),
                "OpenAI has no \"system\" field: messages must be "
                "[{role: system, content: SYSTEM}, {role: user, content: "
                "PROMPT}]; the body was %s",
                w.ft.last_body);
    cJSON_Delete(body);

    /* No system prompt, the provider's default temperature. */
    req.system = NULL;
    req.temperature = -1.0;
    wire_call(&w, &provider_openai, steps, 1, &req, "test-key-openai");
    body = sent_body(&w, "OpenAI");
    expect_that(cJSON_GetArraySize(at(body, "messages")) == 1 &&
                    !at(body, "temperature"),
                "with no system prompt send only the user message, and with "
                "a negative temperature send none; the body was %s",
                w.ft.last_body);
    cJSON_Delete(body);
    wire_done(&w);
}

static void
test_openai_reply_gives_text_tokens_model_and_finish_reason(void **state)
{
    fake_step steps[1];
    kit_chat_request req = request_for("gpt-4o-mini");
    wire w = {0};

    (void)state;
    steps[0] = fake_ok(openai_ok, 5);
    steps[0].headers = "x-request-id: req_openai_42\r\n";
    wire_call(&w, &provider_openai, steps, 1, &req, "test-key-openai");
    expect_that(w.st == KIT_OK && w.info.status == KIT_OK,
                "a 200 chat completion returned \"%s\" (info.status \"%s\", "
                "%s); it must be KIT_OK in both",
                kit_strerror(w.st), kit_strerror(w.info.status),
                w.info.message);
    expect_that(w.reply.text && strcmp(w.reply.text, openai_ok_text) == 0,
                "reply.text is \"%s\"; it must be choices[0].message.content, "
                "unescaped: \"%s\"",
                w.reply.text ? w.reply.text : "(null)", openai_ok_text);
    expect_that(w.reply.input_tokens == 12 && w.reply.output_tokens == 34,
                "the tokens are %ld in and %ld out; OpenAI calls them "
                "usage.prompt_tokens (12) and usage.completion_tokens (34)",
                w.reply.input_tokens, w.reply.output_tokens);
    expect_that(strcmp(w.reply.model, "gpt-4o-mini-2024-07-18") == 0 &&
                    strcmp(w.reply.stop_reason, "length") == 0,
                "model \"%s\" and stop reason \"%s\"; they must be the "
                "reply's model and choices[0].finish_reason",
                w.reply.model, w.reply.stop_reason);
    expect_that(w.info.http_status == 200 &&
                    strcmp(w.reply.request_id, "req_openai_42") == 0,
                "info.http_status is %ld and reply.request_id \"%s\"; they "
                "must be 200 and the x-request-id header (kit_provider_post "
                "reads it into info)",
                w.info.http_status, w.reply.request_id);
    wire_done(&w);
}

typedef struct error_case {
    long http;
    const char *body;
    kit_status want;
    const char *type; /* the error_type wanted */
    const char *message;
} error_case;

static void expect_error_case(const kit_provider_ops *p, const char *model,
                              const error_case *c)
{
    fake_step steps[1];
    kit_chat_request req = request_for(model);
    wire w = {0};

    steps[0] = fake_http(c->http, c->body, -1, 5);
    wire_call(&w, p, steps, 1, &req, "test-key-errors");
    expect_that(w.st == c->want && w.info.status == c->want,
                "%s: HTTP %ld gave \"%s\"; it must be \"%s\" (%s's envelope "
                "maps to the same kit_status as every provider's)",
                p->name, c->http, kit_strerror(w.st), kit_strerror(c->want),
                p->name);
    expect_that(w.info.http_status == c->http,
                "%s: info.http_status is %ld for an HTTP %ld answer", p->name,
                w.info.http_status, c->http);
    expect_that(strcmp(w.info.error_type, c->type) == 0,
                "%s: HTTP %ld: info.error_type is \"%s\"; from this envelope "
                "it must be \"%s\"",
                p->name, c->http, w.info.error_type, c->type);
    expect_that(strcmp(w.info.message, c->message) == 0,
                "%s: HTTP %ld: info.message is \"%s\"; it must be the "
                "envelope's message, \"%s\"",
                p->name, c->http, w.info.message, c->message);
    expect_that(w.reply.text == NULL,
                "%s: a failed call must leave the reply empty", p->name);
    wire_done(&w);
}

static void test_openai_error_envelopes_map_to_kit_status(void **state)
{
    static const error_case cases[] = {
        {400,
         OPENAI_ERR("max_tokens is too large", "invalid_request_error", "null"),
         KIT_ERR_BAD_REQUEST, "invalid_request_error",
         "max_tokens is too large"},
        {401,
         OPENAI_ERR("Incorrect API key provided", "invalid_request_error",
                    "\"invalid_api_key\""),
         KIT_ERR_AUTH, "invalid_api_key", "Incorrect API key provided"},
        {403, OPENAI_ERR("Not allowed", "request_forbidden", "null"),
         KIT_ERR_PERMISSION, "request_forbidden", "Not allowed"},
        {404,
         OPENAI_ERR("The model does not exist", "invalid_request_error",
                    "\"model_not_found\""),
         KIT_ERR_NOT_FOUND, "model_not_found", "The model does not exist"},
        {429,
         OPENAI_ERR("Rate limit reached", "requests",
                    "\"rate_limit_exceeded\""),
         KIT_ERR_RATE_LIMIT, "rate_limit_exceeded", "Rate limit reached"},
        {500, OPENAI_ERR("The server had an error", "server_error", "null"),
         KIT_ERR_SERVER, "server_error", "The server had an error"},
        {503, OPENAI_ERR("Overloaded", "server_error", "null"), KIT_ERR_SERVER,
         "server_error", "Overloaded"},
    };
    fake_step steps[1];
    kit_chat_request req = request_for("gpt-4o");
    wire w = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error_case(&provider_openai, "gpt-4o", &cases[i]);

    /* The wait the server asks for reaches the retry engine. */
    steps[0] = fake_http(429, cases[4].body, 1500, 5);
    wire_call(&w, &provider_openai, steps, 1, &req, "test-key-errors");
    expect_that(w.info.retry_after_ms == 1500,
                "a 429 with retry-after-ms 1500 gave info.retry_after_ms "
                "%ld; kit_provider_post fills it, so keep it",
                w.info.retry_after_ms);
    wire_done(&w);
}

static void test_openai_refuses_a_reply_that_is_not_a_completion(void **state)
{
    static const char *const bodies[] = {
        "{\"choices\":[{\"message\":{\"content\":\"cut",
        ("{\"choices\":[],\"usage\":{\"prompt_tokens\":1,"
         "\"completion_tokens\":1}}"),
        ("{\"model\":\"gpt-4o\",\"choices\":[{\"message\":{\"role\":"
         "\"assistant\",\"content\":\"no usage\"}}]}"),
        "",
    };
    fake_step steps[1];
    kit_chat_request req = request_for("gpt-4o");
    wire w = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        steps[0] = fake_ok(bodies[i], 5);
        wire_call(&w, &provider_openai, steps, 1, &req, "test-key-bad");
        expect_that(w.st == KIT_ERR_BAD_RESPONSE && w.reply.text == NULL,
                    "a 200 whose body is %s gave \"%s\"; a body without "
                    "choices[0].message or whole usage counts is "
                    "KIT_ERR_BAD_RESPONSE, with the reply left empty",
                    bodies[i][0] ? bodies[i] : "empty", kit_strerror(w.st));
        wire_done(&w);
    }
}

/* ---- Gemini -----------------------------------------------------------------
 */

static void test_gemini_request_keeps_the_key_out_of_the_url(void **state)
{
    fake_step steps[1];
    kit_chat_request req = request_for("gemini-1.5-flash");
    wire w = {0};

    (void)state;
    steps[0] = fake_ok(gemini_ok, 5);
    wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-gemini");
    expect_that(w.ft.calls == 1,
                "provider_gemini.call made %zu requests; "
                "one call is one HTTP exchange",
                w.ft.calls);
    expect_that(strstr(w.ft.last_url, "test-key-gemini") == NULL &&
                    strstr(w.ft.last_url, "key=") == NULL,
                "the key is in the URL, %s: URLs end up in proxy and access "
                "logs. Send it in the x-goog-api-key header only",
                w.ft.last_url);
    expect_that(strcmp(w.ft.last_url, "http://fake.invalid/v1beta/models/"
                                      "gemini-1.5-flash:generateContent") == 0,
                "the request went to %s; Gemini is POST "
                "{base}/v1beta/models/{model}:generateContent",
                w.ft.last_url);
    expect_that(strstr(w.ft.last_headers, "x-goog-api-key: test-key-gemini") !=
                    NULL,
                "Gemini takes the key in the header \"x-goog-api-key: KEY\"; "
                "the request sent:\n%s",
                w.ft.last_headers);
    wire_done(&w);
}

static void
test_gemini_request_body_has_contents_and_generation_config(void **state)
{
    fake_step steps[1];
    kit_chat_request req = request_for("gemini-1.5-pro");
    const cJSON *content, *config, *system;
    cJSON *body;
    wire w = {0};

    (void)state;
    steps[0] = fake_ok(gemini_ok, 5);
    req.max_tokens = 77;
    req.temperature = 0.25;
    wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-gemini");
    body = sent_body(&w, "Gemini");
    content = cJSON_GetArrayItem(at(body, "contents"), 0);
    config = at(body, "generationConfig");
    system = at(body, "systemInstruction");
    expect_that(
        is_string(at(content, "role"), "user") &&
            is_string(at(cJSON_GetArrayItem(at(content, "parts"), 0), "text"),
                      "What is OSPF?"),
        "Gemini wants the prompt as contents[0] = {role: user, "
        "parts: [{text: PROMPT}]}; the body was %s",
        w.ft.last_body);
    expect_that(
        is_string(at(cJSON_GetArrayItem(at(system, "parts"), 0), "text"),
                  "Be brief."),
        "the system prompt goes in systemInstruction = {parts: "
        "[{text: SYSTEM}]}; the body was %s",
        w.ft.last_body);
    expect_that(is_number(at(config, "maxOutputTokens"), 77) &&
                    is_number(at(config, "temperature"), 0.25),
                "max_tokens and temperature go in generationConfig as "
                "maxOutputTokens and temperature; the body was %s",
                w.ft.last_body);
    expect_that(!at(body, "model"),
                "Gemini names the model in the URL, not in the body; the "
                "body was %s",
                w.ft.last_body);
    cJSON_Delete(body);

    req.system = NULL;
    req.temperature = -1.0;
    wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-gemini");
    body = sent_body(&w, "Gemini");
    expect_that(!at(body, "systemInstruction") &&
                    !at(at(body, "generationConfig"), "temperature"),
                "with no system prompt send no systemInstruction, and with "
                "a negative temperature send none; the body was %s",
                w.ft.last_body);
    cJSON_Delete(body);
    wire_done(&w);
}

static void test_gemini_reply_joins_parts_and_reads_usage_metadata(void **state)
{
    fake_step steps[1];
    kit_chat_request req = request_for("gemini-1.5-flash");
    wire w = {0};

    (void)state;
    steps[0] = fake_ok(gemini_ok, 5);
    wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-gemini");
    expect_that(w.st == KIT_OK && w.info.status == KIT_OK,
                "a 200 generateContent answer returned \"%s\" (%s); it must "
                "be KIT_OK",
                kit_strerror(w.st), w.info.message);
    expect_that(w.reply.text && strcmp(w.reply.text, "Hello, world") == 0,
                "reply.text is \"%s\"; it must join every part of "
                "candidates[0].content.parts in order: \"Hello, world\"",
                w.reply.text ? w.reply.text : "(null)");
    expect_that(w.reply.input_tokens == 9 && w.reply.output_tokens == 21,
                "the tokens are %ld in and %ld out; Gemini calls them "
                "usageMetadata.promptTokenCount (9) and candidatesTokenCount "
                "(21)",
                w.reply.input_tokens, w.reply.output_tokens);
    expect_that(strcmp(w.reply.model, "gemini-1.5-flash-002") == 0 &&
                    strcmp(w.reply.stop_reason, "STOP") == 0,
                "model \"%s\" and stop reason \"%s\"; they must be "
                "modelVersion and candidates[0].finishReason",
                w.reply.model, w.reply.stop_reason);

    /* No answer tokens, no modelVersion: both are left out by the API. */
    steps[0] = fake_ok(gemini_ok_sparse, 5);
    wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-gemini");
    expect_that(
        w.st == KIT_OK && w.reply.text && strcmp(w.reply.text, "") == 0 &&
            w.reply.input_tokens == 5 && w.reply.output_tokens == 0,
        "an answer with no parts and no candidatesTokenCount gave "
        "\"%s\", %ld in and %ld out; the API leaves the count out "
        "when it is 0: read that as 0 and the text as \"\"",
        kit_strerror(w.st), w.reply.input_tokens, w.reply.output_tokens);
    expect_that(strcmp(w.reply.model, "gemini-1.5-flash") == 0,
                "with no modelVersion, reply.model must be the request's "
                "model; it is \"%s\"",
                w.reply.model);
    wire_done(&w);
}

static void test_gemini_error_envelopes_map_to_kit_status(void **state)
{
    static const error_case cases[] = {
        {400, GEMINI_ERR(400, "Invalid JSON payload", "INVALID_ARGUMENT"),
         KIT_ERR_BAD_REQUEST, "INVALID_ARGUMENT", "Invalid JSON payload"},
        {401, GEMINI_ERR(401, "API key not valid", "UNAUTHENTICATED"),
         KIT_ERR_AUTH, "UNAUTHENTICATED", "API key not valid"},
        {403, GEMINI_ERR(403, "Permission denied", "PERMISSION_DENIED"),
         KIT_ERR_PERMISSION, "PERMISSION_DENIED", "Permission denied"},
        {404, GEMINI_ERR(404, "models/x is not found", "NOT_FOUND"),
         KIT_ERR_NOT_FOUND, "NOT_FOUND", "models/x is not found"},
        {429, GEMINI_429("2s"), KIT_ERR_RATE_LIMIT, "RESOURCE_EXHAUSTED",
         "Quota exceeded"},
        {500, GEMINI_ERR(500, "Internal error", "INTERNAL"), KIT_ERR_SERVER,
         "INTERNAL", "Internal error"},
        {503, GEMINI_ERR(503, "The model is overloaded", "UNAVAILABLE"),
         KIT_ERR_SERVER, "UNAVAILABLE", "The model is overloaded"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error_case(&provider_gemini, "gemini-1.5-flash", &cases[i]);
}

static void test_gemini_resource_exhausted_gives_its_retry_delay(void **state)
{
    static const struct {
        const char *body;
        long want_ms;
    } cases[] = {
        {GEMINI_429("2s"), 2000},
        {GEMINI_429("1.500s"), 1500},
        {GEMINI_429("0.150s"), 150},
        {GEMINI_429("2.007s"), 2007}, /* 2007.0000000000002 as a double */
        {GEMINI_429("0.0004s"), 1},
        {GEMINI_ERR(429, "Quota exceeded", "RESOURCE_EXHAUSTED"), -1},
    };
    fake_step steps[1];
    kit_chat_request req = request_for("gemini-1.5-flash");
    wire w = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        steps[0] = fake_http(429, cases[i].body, -1, 5);
        wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-quota");
        expect_that(w.st == KIT_ERR_RATE_LIMIT,
                    "RESOURCE_EXHAUSTED gave \"%s\"; it must be "
                    "KIT_ERR_RATE_LIMIT",
                    kit_strerror(w.st));
        expect_that(w.info.retry_after_ms == cases[i].want_ms,
                    "a 429 whose body is %s, with no retry-after header, gave "
                    "info.retry_after_ms %ld; it must be %ld: read the "
                    "RetryInfo detail's retryDelay (seconds, with decimals, "
                    "then 's'), rounded up to the millisecond, and leave -1 "
                    "when there is none",
                    cases[i].body, w.info.retry_after_ms, cases[i].want_ms);
        wire_done(&w);
    }
}

static void test_gemini_refuses_a_reply_that_is_not_an_answer(void **state)
{
    static const char *const bodies[] = {
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"cut",
        /* A blocked prompt: no candidates at all. */
        ("{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},"
         "\"usageMetadata\":{\"promptTokenCount\":3}}"),
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}",
        "",
    };
    fake_step steps[1];
    kit_chat_request req = request_for("gemini-1.5-flash");
    wire w = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        steps[0] = fake_ok(bodies[i], 5);
        wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-bad");
        expect_that(w.st == KIT_ERR_BAD_RESPONSE && w.reply.text == NULL,
                    "a 200 whose body is %s gave \"%s\"; a body without "
                    "candidates[0] or usageMetadata.promptTokenCount is "
                    "KIT_ERR_BAD_RESPONSE, with the reply left empty",
                    bodies[i][0] ? bodies[i] : "empty", kit_strerror(w.st));
        wire_done(&w);
    }
    /* A model name that would rewrite the URL never reaches the wire. */
    req.model = "gemini-1.5-flash:generateContent?key=x#";
    steps[0] = fake_ok(gemini_ok, 5);
    wire_call(&w, &provider_gemini, steps, 1, &req, "test-key-bad");
    expect_that(w.st == KIT_ERR_INVALID_ARG && w.ft.calls == 0,
                "the model \"%s\" would change the URL's path and query; "
                "refuse it with KIT_ERR_INVALID_ARG before sending (it gave "
                "\"%s\" after %zu requests)",
                req.model, kit_strerror(w.st), w.ft.calls);
    wire_done(&w);
}

static void test_providers_pass_transport_failures_through(void **state)
{
    static const kit_status failures[] = {KIT_ERR_TIMEOUT, KIT_ERR_RESET,
                                          KIT_ERR_CONNECT};
    const kit_provider_ops *const ps[] = {&provider_openai, &provider_gemini};
    const char *const models[] = {"gpt-4o", "gemini-1.5-flash"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < 3; j++) {
            fake_step steps[1];
            kit_chat_request req = request_for(models[i]);
            wire w = {0};

            steps[0] = fake_fail(failures[j], 5);
            wire_call(&w, ps[i], steps, 1, &req, "test-key-wire");
            expect_that(w.st == failures[j] && w.info.status == failures[j] &&
                            w.info.http_status == 0,
                        "%s: a transport failure \"%s\" came back as \"%s\" "
                        "(http_status %ld); return kit_provider_post's "
                        "status unchanged so lab 1 can retry it",
                        ps[i]->name, kit_strerror(failures[j]),
                        kit_strerror(w.st), w.info.http_status);
            wire_done(&w);
        }
        {
            kit_chat_request req = request_for(models[i]);
            fake_step steps[1];
            wire w = {0};

            steps[0] = fake_ok(openai_ok, 5);
            wire_call(&w, ps[i], steps, 1, &req, "");
            expect_that(w.st == KIT_ERR_NO_KEY && w.ft.calls == 0,
                        "%s: an empty key gave \"%s\" after %zu requests; "
                        "it must be KIT_ERR_NO_KEY, with nothing sent",
                        ps[i]->name, kit_strerror(w.st), w.ft.calls);
            wire_done(&w);
        }
    }
}

/* ---- The table and the prices -------------------------------------------- */

static void test_provider_lookup_finds_each_provider_by_name(void **state)
{
    static const char *const names[] = {"anthropic", "openai", "gemini"};
    const kit_provider_ops *const want[] = {&kit_provider_anthropic,
                                            &provider_openai, &provider_gemini};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        expect_that(provider_lookup(names[i]) == want[i],
                    "provider_lookup(\"%s\") did not return its ops table; "
                    "the table in providers.c needs one row per provider",
                    names[i]);
        expect_that(provider_at(i) == want[i],
                    "provider_at(%zu) must be the %s provider (the order is "
                    "anthropic, openai, gemini)",
                    i, names[i]);
    }
    expect_that(provider_at(3) == NULL,
                "provider_at(3) must be NULL: there are three providers");
    expect_that(provider_lookup("mistral") == NULL &&
                    provider_lookup("") == NULL &&
                    provider_lookup(NULL) == NULL,
                "provider_lookup must return NULL for a name no provider "
                "has, and for NULL");
    expect_that(strcmp(provider_openai.key_env, "OPENAI_API_KEY") == 0 &&
                    strcmp(provider_gemini.key_env, "GOOGLE_API_KEY") == 0 &&
                    strcmp(provider_openai.name, "openai") == 0 &&
                    strcmp(provider_gemini.name, "gemini") == 0,
                "the ops tables must name their provider (\"openai\", "
                "\"gemini\": the names kit_env_base_url knows) and their "
                "key variable (OPENAI_API_KEY, GOOGLE_API_KEY)");
}

static void test_provider_pricing_reads_the_one_price_table(void **state)
{
    static const struct {
        const char *provider, *model;
        double in, out;
    } cases[] = {
        {"openai", "gpt-4o", 2.50, 10.00},
        {"openai", "gpt-4o-mini-2024-07-18", 0.15, 0.60},
        {"gemini", "gemini-1.5-pro", 1.25, 5.00},
        {"gemini", "gemini-1.5-flash-latest", 0.075, 0.30},
        {"anthropic", "claude-haiku-4-5", 1.00, 5.00},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const kit_provider_ops *p = provider_lookup(cases[i].provider);
        double in = -1, out = -1;
        kit_status st = provider_pricing(p, cases[i].model, &in, &out);

        expect_that(st == KIT_OK && in == cases[i].in && out == cases[i].out,
                    "provider_pricing(%s, \"%s\") gave \"%s\", $%g in and $%g "
                    "out; lab 2's table says $%g and $%g per million tokens "
                    "(use pricing_find, which knows every spelling)",
                    cases[i].provider, cases[i].model, kit_strerror(st), in,
                    out, cases[i].in, cases[i].out);
    }
    {
        double in = -1, out = -1;

        expect_that(provider_pricing(&provider_gemini, "gpt-4o", &in, &out) ==
                            KIT_ERR_NOT_FOUND &&
                        in == -1,
                    "provider_pricing(gemini, \"gpt-4o\") must be "
                    "KIT_ERR_NOT_FOUND: the row belongs to openai, and the "
                    "out-parameters stay untouched");
        expect_that(provider_pricing(&provider_openai, "llama-3", &in, &out) ==
                        KIT_ERR_NOT_FOUND,
                    "a model the table lacks must be KIT_ERR_NOT_FOUND");
        expect_that(provider_pricing(NULL, "gpt-4o", &in, &out) ==
                            KIT_ERR_INVALID_ARG &&
                        provider_pricing(&provider_openai, "gpt-4o", NULL,
                                         &out) == KIT_ERR_INVALID_ARG,
                    "provider_pricing with a NULL argument must be "
                    "KIT_ERR_INVALID_ARG");
    }
}

/* ---- The lab 3 client over any provider (unit) --------------------------- */

typedef struct rig {
    fake_clock fc;
    fake_transport ft;
    client *c;
    client_result r;
} rig;

static void rig_open(rig *g, const kit_provider_ops *p, const fake_step *steps,
                     size_t n, int retries)
{
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    char err[256] = "";
    kit_status st;

    memset(g, 0, sizeof(*g));
    fake_clock_init(&g->fc, 10000, 1700000000);
    fake_transport_init(&g->ft, steps, n, &g->fc);
    cfg.provider = p;
    cfg.api_key = "test-key-rig";
    cfg.base_url = FAKE_BASE;
    cfg.retry.max_retries = retries;
    cfg.retry.initial_delay_ms = 100;
    cfg.retry.max_delay_ms = 1000;
    cfg.timeout_ms = 2000;
    cfg.clock = &g->fc.clock;
    cfg.transport = &g->ft.transport;
    st = client_create(&cfg, &g->c, err, sizeof(err));
    expect_that(st == KIT_OK && g->c,
                "client_create for provider %s failed: %s (%s)", p->name,
                kit_strerror(st), err);
}

static kit_status rig_call(rig *g, const char *prompt)
{
    client_call_params params = {
        .prompt = prompt, .max_tokens = 100, .temperature = -1.0};

    client_result_clear(&g->r);
    return client_call(g->c, &params, &g->r);
}

static void rig_close(rig *g)
{
    client_result_clear(&g->r);
    client_destroy(g->c);
    g->c = NULL;
    fake_clock_destroy(&g->fc);
}

static void
test_client_takes_openai_and_gemini_and_behaves_the_same(void **state)
{
    static const char openai_429[] =
        OPENAI_ERR("Rate limit reached", "requests", "\"rate_limit_exceeded\"");
    static const char openai_503[] =
        OPENAI_ERR("Overloaded", "server_error", "null");
    static const char gemini_503[] =
        GEMINI_ERR(503, "The model is overloaded", "UNAVAILABLE");
    const struct {
        const kit_provider_ops *p;
        fake_step steps[3];
        uint64_t want_sleeps[2];
        long in, out;
        double cost;
    } cases[] = {
        {&provider_openai,
         {fake_http(429, openai_429, -1, 5), fake_http(503, openai_503, -1, 5),
          fake_ok(openai_ok, 5)},
         {100, 200},
         12,
         34,
         12 / 1e6 * 0.15 + 34 / 1e6 * 0.60},
        /* Gemini's 429 names its wait in the body: 2 s, not the 100 ms
         * backoff. */
        {&provider_gemini,
         {fake_http(429, GEMINI_429("2s"), -1, 5),
          fake_http(503, gemini_503, -1, 5), fake_ok(gemini_ok, 5)},
         {2000, 200},
         9,
         21,
         9 / 1e6 * 0.075 + 21 / 1e6 * 0.30},
    };

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        const char *name = cases[i].p->name;
        metrics m;
        rig g;

        rig_open(&g, cases[i].p, cases[i].steps, 3, 3);
        rig_call(&g, "Why do routers flap?");
        expect_that(g.r.status == KIT_OK && g.ft.calls == 3 &&
                        g.r.attempts == 3,
                    "%s: a 429, a 503, then a 200 must be 3 attempts and a "
                    "success through the lab 3 client; it ended \"%s\" after "
                    "%zu requests: %s",
                    name, kit_strerror(g.r.status), g.ft.calls, g.r.error);
        expect_that(g.fc.n_sleeps == 2 &&
                        g.fc.sleeps[0] == cases[i].want_sleeps[0] &&
                        g.fc.sleeps[1] == cases[i].want_sleeps[1],
                    "%s: the client slept %zu times (%llu, %llu ms); it must "
                    "sleep %llu then %llu ms: the provider's retry_after_ms "
                    "(-1 when there is none) drives the same backoff",
                    name, g.fc.n_sleeps, (unsigned long long)g.fc.sleeps[0],
                    (unsigned long long)g.fc.sleeps[1],
                    (unsigned long long)cases[i].want_sleeps[0],
                    (unsigned long long)cases[i].want_sleeps[1]);
        expect_that(g.r.input_tokens == cases[i].in &&
                        g.r.output_tokens == cases[i].out &&
                        fabs(g.r.cost_usd - cases[i].cost) < 1e-12,
                    "%s: the result has %ld in, %ld out, $%.9f; it must have "
                    "%ld, %ld and $%.9f, the same shape as Anthropic's",
                    name, g.r.input_tokens, g.r.output_tokens, g.r.cost_usd,
                    cases[i].in, cases[i].out, cases[i].cost);
        expect_that(strcmp(g.r.provider, name) == 0 && g.r.text && g.r.text[0],
                    "%s: the result must carry the text and name the "
                    "provider (it named \"%s\")",
                    name, g.r.provider);
        expect_that(client_get_metrics(g.c, &m) == KIT_OK && m.calls == 1 &&
                        m.attempts == 3 && m.rate_limit_hits == 1,
                    "%s: the metrics must count 1 call, 3 attempts and 1 "
                    "rate-limit hit, as for any provider",
                    name);
        rig_close(&g);
    }
}

/* ---- Against the mock server ------------------------------------------------
 */

static void require_server(void)
{
    expect_that(server_up, "the mock server did not start (see the message "
                           "above); run the tests with make so that "
                           "build/mockserver exists");
}

/* A client for provider p on the mock server: 10 ms doubling to 40 ms,
 * 300 ms per attempt; the base URL from the environment the harness set. */
static client *mock_client(const kit_provider_ops *p, const char *key,
                           int max_retries)
{
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    client *c = NULL;
    char err[256] = "";
    kit_status st;

    require_server();
    cfg.provider = p;
    cfg.api_key = key;
    cfg.retry.max_retries = max_retries;
    cfg.retry.initial_delay_ms = 10;
    cfg.retry.max_delay_ms = 40;
    cfg.timeout_ms =
        3000; /* generous: a slow machine must not turn a call into a retry */
    st = client_create(&cfg, &c, err, sizeof(err));
    expect_that(st == KIT_OK && c, "client_create for %s failed: %s (%s)",
                p->name, kit_strerror(st), err);
    return c;
}

static void script(const char *key, const char *json)
{
    long status = mockctl_put_script(&server, key, json);

    expect_that(status == 200,
                "the mock server refused the test's script (HTTP %ld): %s",
                status, json);
}

static kit_status mock_call(client *c, const char *prompt, client_result *r)
{
    client_call_params params = {
        .prompt = prompt, .max_tokens = 200, .temperature = 0.0};

    return client_call(c, &params, r);
}

static const cJSON *journal_entry(const cJSON *journal, int i)
{
    return cJSON_GetArrayItem(at(journal, "requests"), i);
}

static double number_of(const cJSON *obj, const char *name)
{
    const cJSON *item = at(obj, name);

    return cJSON_IsNumber(item) ? item->valuedouble : -1.0;
}

static bool any_early_retry(const cJSON *journal)
{
    const cJSON *entry;

    cJSON_ArrayForEach(entry, at(journal, "requests"))
    {
        if (cJSON_IsTrue(at(entry, "early_retry")))
            return true;
    }
    return false;
}

static void
test_three_providers_answer_one_prompt_and_match_the_bill(void **state)
{
    static const char *const paths[] = {
        "/v1/messages", "/v1/chat/completions",
        "/v1beta/models/gemini-1.5-flash:generateContent"};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        const kit_provider_ops *p = provider_at(i);
        char key[96], timeline[1024];
        client_result r = {0};
        cJSON *bill, *journal;
        const cJSON *entry;
        client *c;

        expect_that(p != NULL,
                    "provider_at(%zu) is NULL; the table must "
                    "hold anthropic, openai and gemini",
                    i);
        unique_key(key, sizeof(key), p->name);
        c = mock_client(p, key, 2);
        mock_call(c, "What is BGP?", &r);
        journal = mockctl_journal(&server, key);
        journal_timeline(journal, timeline, sizeof(timeline));
        entry = journal_entry(journal, 0);
        expect_that(r.status == KIT_OK,
                    "%s: the call on the mock server ended \"%s\": %s\nThe "
                    "server saw:\n%s",
                    p->name, kit_strerror(r.status), r.error, timeline);
        expect_that(r.text && strstr(r.text, "BGP"),
                    "%s: the answer to \"What is BGP?\" does not mention "
                    "BGP: \"%s\"",
                    p->name, r.text ? r.text : "(null)");
        expect_that(is_string(at(entry, "provider"), p->name) &&
                        is_string(at(entry, "path"), paths[i]),
                    "%s: the server saw the request as provider %s at %s; "
                    "it must be %s at %s",
                    p->name,
                    cJSON_IsString(at(entry, "provider"))
                        ? at(entry, "provider")->valuestring
                        : "?",
                    cJSON_IsString(at(entry, "path"))
                        ? at(entry, "path")->valuestring
                        : "?",
                    p->name, paths[i]);
        bill = mockctl_bill(&server, key);
        expect_that(bill != NULL, "GET /_mock/bill did not answer");
        expect_that(
            number_of(bill, "input_tokens") == (double)r.input_tokens &&
                number_of(bill, "output_tokens") == (double)r.output_tokens,
            "%s: the server billed %.0f tokens in and %.0f out; the "
            "result says %ld and %ld. Read the provider's own usage "
            "fields",
            p->name, number_of(bill, "input_tokens"),
            number_of(bill, "output_tokens"), r.input_tokens, r.output_tokens);
        expect_that(fabs(number_of(bill, "usd") - r.cost_usd) < 1e-9,
                    "%s: the server billed $%.9f; the result says $%.9f, "
                    "which must come from the same prices",
                    p->name, number_of(bill, "usd"), r.cost_usd);
        cJSON_Delete(bill);
        cJSON_Delete(journal);
        client_result_clear(&r);
        client_destroy(c);
    }
}

/*
 * One provider's error paths on the server: a 401 is one request and
 * names the provider's error type; a 429 (with the wait script gives) and
 * two 5xx are retried, spaced as the server asked, then succeed.
 */
static void error_paths(const kit_provider_ops *p, const char *auth_type,
                        const char *storm, double first_gap_ms)
{
    char key[96], timeline[2048];
    client_result r = {0};
    cJSON *journal;
    double t1, t2;
    client *c;
    int n;

    unique_key(key, sizeof(key), "auth");
    c = mock_client(p, key, 3);
    script(key, "{\"steps\":[{\"status\":401}],\"then\":\"ok\"}");
    mock_call(c, "hello", &r);
    n = mockctl_count(&server, key);
    expect_that(r.status == KIT_ERR_AUTH && n == 1,
                "%s: a 401 gave \"%s\" after %d requests; it must be "
                "KIT_ERR_AUTH after exactly one (a bad key is permanent)",
                p->name, kit_strerror(r.status), n);
    expect_that(strstr(r.error, "401") && strstr(r.error, auth_type),
                "%s: the error \"%s\" must name the HTTP status and the "
                "envelope's %s",
                p->name, r.error, auth_type);
    client_result_clear(&r);
    client_destroy(c);

    unique_key(key, sizeof(key), "storm");
    c = mock_client(p, key, 3);
    script(key, storm);
    mock_call(c, "Why do routers flap?", &r);
    journal = mockctl_journal(&server, key);
    n = mockctl_count(&server, key);
    journal_timeline(journal, timeline, sizeof(timeline));
    expect_that(r.status == KIT_OK && n == 4 && r.attempts == 4,
                "%s: a 429, a 500 and a 503 are transient; with 3 retries the "
                "call must succeed on attempt 4, but it ended \"%s\" (%s) "
                "after %d requests:\n%s",
                p->name, kit_strerror(r.status), r.error, n, timeline);
    expect_that(!any_early_retry(journal),
                "%s: a retry came before the server's wait had passed; "
                "fill info->retry_after_ms from the answer\n%s",
                p->name, timeline);
    t1 = number_of(journal_entry(journal, 0), "t_ms");
    t2 = number_of(journal_entry(journal, 1), "t_ms");
    expect_that(t2 - t1 >= first_gap_ms - 1.0,
                "%s: the retry after the 429 came %.0f ms later; the server "
                "asked for %.0f ms\n%s",
                p->name, t2 - t1, first_gap_ms, timeline);
    cJSON_Delete(journal);
    client_result_clear(&r);
    client_destroy(c);
}

static void test_openai_error_paths_on_the_mock_server(void **state)
{
    (void)state;
    error_paths(&provider_openai, "invalid_api_key",
                "{\"steps\":[{\"status\":429,\"retry_after_ms\":120},"
                "{\"status\":500},{\"status\":503}],\"then\":\"ok\"}",
                120.0);
}

static void test_gemini_error_paths_on_the_mock_server(void **state)
{
    (void)state;
    /* A scripted 429 with no retry_after: Gemini says "retryDelay: 1s" in
     * the body and sends no header, so only the body tells the wait. */
    error_paths(&provider_gemini, "UNAUTHENTICATED",
                "{\"steps\":[{\"status\":429},{\"status\":500},"
                "{\"status\":503}],\"then\":\"ok\"}",
                1000.0);
}

static void test_openai_and_gemini_retry_faults_on_the_mock_server(void **state)
{
    const kit_provider_ops *const ps[] = {&provider_openai, &provider_gemini};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        char key[96], timeline[2048];
        client_result r = {0};
        cJSON *journal;
        client *c;
        int n;

        unique_key(key, sizeof(key), "faults");
        c = mock_client(ps[i], key, 3);
        script(key, "{\"steps\":[{\"fault\":\"reset\"},{\"fault\":"
                    "\"malformed\"},{\"status\":529}],\"then\":\"ok\"}");
        mock_call(c, "faults", &r);
        journal = mockctl_journal(&server, key);
        n = mockctl_count(&server, key);
        journal_timeline(journal, timeline, sizeof(timeline));
        /* A malformed 200 is KIT_ERR_BAD_RESPONSE, which is permanent. */
        expect_that(r.status == KIT_ERR_BAD_RESPONSE && n == 2,
                    "%s: a reset then a truncated 200 must be one retry and "
                    "then KIT_ERR_BAD_RESPONSE (never retried); it ended "
                    "\"%s\" after %d requests:\n%s",
                    ps[i]->name, kit_strerror(r.status), n, timeline);
        cJSON_Delete(journal);
        client_result_clear(&r);
        /* The 529 left in the script: overloaded, retried. */
        mock_call(c, "faults", &r);
        expect_that(r.status == KIT_OK && r.attempts == 2,
                    "%s: a 529 then a 200 must succeed in 2 attempts; it "
                    "ended \"%s\" after %d",
                    ps[i]->name, kit_strerror(r.status), r.attempts);
        client_result_clear(&r);
        client_destroy(c);
    }
}

/* ---- Extra A: fallback ----------------------------------------------------
 */

typedef struct route_rig {
    fake_clock fc;
    fake_transport ft[2];
    client *c[2];
} route_rig;

static void route_rig_open(route_rig *g, const fake_step *s0, size_t n0,
                           const fake_step *s1, size_t n1)
{
    const kit_provider_ops *const ps[] = {&kit_provider_anthropic,
                                          &provider_openai};
    const fake_step *steps[] = {s0, s1};
    size_t ns[] = {n0, n1};

    memset(g, 0, sizeof(*g));
    fake_clock_init(&g->fc, 10000, 1700000000);
    for (size_t i = 0; i < 2; i++) {
        client_config cfg = CLIENT_CONFIG_DEFAULT;
        char err[256] = "";

        fake_transport_init(&g->ft[i], steps[i], ns[i], &g->fc);
        cfg.provider = ps[i];
        cfg.api_key = "test-key-fallback";
        cfg.base_url = FAKE_BASE;
        cfg.retry.max_retries = 1;
        cfg.retry.initial_delay_ms = 100;
        cfg.timeout_ms = 2000;
        cfg.clock = &g->fc.clock;
        cfg.transport = &g->ft[i].transport;
        expect_that(client_create(&cfg, &g->c[i], err, sizeof(err)) == KIT_OK,
                    "client_create failed: %s", err);
    }
}

static void route_rig_close(route_rig *g)
{
    client_destroy(g->c[0]);
    client_destroy(g->c[1]);
    fake_clock_destroy(&g->fc);
}

static const char anthropic_503[] =
    "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"
    "\"upstream unavailable\"}}";
static const char anthropic_401[] =
    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
    "\"message\":\"invalid x-api-key\"}}";

static void
test_fallback_extra_moves_on_when_retries_are_exhausted(void **state)
{
    fake_step down[1], up[1], refused[1];
    client_call_params params = {
        .prompt = "fallback", .max_tokens = 50, .temperature = -1.0};
    fallback_route routes[2];
    client_result r = {0};
    route_rig g;

    (void)state;
    down[0] = fake_http(503, anthropic_503, -1, 5);
    up[0] = fake_ok(openai_ok, 5);
    route_rig_open(&g, down, 1, up, 1);
    routes[0] = (fallback_route){.client = g.c[0], .breaker = NULL};
    routes[1] = (fallback_route){.client = g.c[1], .breaker = NULL};
    fallback_call(routes, 2, &params, &r);
    expect_that(r.status == KIT_OK && strcmp(r.provider, "openai") == 0,
                "Anthropic kept answering 503; after its retries the call "
                "must move to OpenAI and succeed, and the result must say "
                "\"openai\" answered. It ended \"%s\", provider \"%s\": %s",
                kit_strerror(r.status), r.provider, r.error);
    expect_that(g.ft[0].calls == 2 && g.ft[1].calls == 1,
                "Anthropic got %zu requests and OpenAI %zu; with max_retries "
                "1 Anthropic must get 2 (its retries come first), then "
                "OpenAI 1",
                g.ft[0].calls, g.ft[1].calls);
    expect_that(r.text && strcmp(r.text, openai_ok_text) == 0,
                "the result must carry the answering provider's text");
    client_result_clear(&r);
    route_rig_close(&g);

    /* A permanent error stays where it happened. */
    refused[0] = fake_http(401, anthropic_401, -1, 5);
    route_rig_open(&g, refused, 1, up, 1);
    routes[0].client = g.c[0];
    routes[1].client = g.c[1];
    fallback_call(routes, 2, &params, &r);
    expect_that(r.status == KIT_ERR_AUTH && g.ft[1].calls == 0 &&
                    strcmp(r.provider, "anthropic") == 0,
                "a 401 from Anthropic is permanent: the call must end with "
                "KIT_ERR_AUTH from \"anthropic\" and never ask OpenAI; it "
                "ended \"%s\" from \"%s\" after %zu OpenAI requests",
                kit_strerror(r.status), r.provider, g.ft[1].calls);
    client_result_clear(&r);
    route_rig_close(&g);
}

static void
test_fallback_extra_skips_a_provider_whose_breaker_is_open(void **state)
{
    fake_step down[1], up[1];
    client_call_params params = {
        .prompt = "breaker", .max_tokens = 50, .temperature = -1.0};
    breaker_config bcfg = {.failure_threshold = 1, .open_ms = 60000};
    breaker *b[2] = {NULL, NULL};
    fallback_route routes[2];
    client_result r = {0};
    route_rig g;

    (void)state;
    down[0] = fake_http(503, anthropic_503, -1, 5);
    up[0] = fake_ok(openai_ok, 5);
    route_rig_open(&g, down, 1, up, 1);
    expect_that(breaker_create(&bcfg, &g.fc.clock, &b[0]) == KIT_OK &&
                    breaker_create(&bcfg, &g.fc.clock, &b[1]) == KIT_OK,
                "breaker_create failed");
    routes[0] = (fallback_route){.client = g.c[0], .breaker = b[0]};
    routes[1] = (fallback_route){.client = g.c[1], .breaker = b[1]};

    fallback_call(routes, 2, &params, &r);
    expect_that(r.status == KIT_OK && breaker_get_state(b[0]) == BREAKER_OPEN,
                "after Anthropic's retries failed its breaker (threshold 1) "
                "must be open and OpenAI must answer; the call ended \"%s\" "
                "and the breaker is %s: tell it each call's outcome with "
                "breaker_record",
                kit_strerror(r.status),
                breaker_state_name(breaker_get_state(b[0])));
    client_result_clear(&r);

    fallback_call(routes, 2, &params, &r);
    expect_that(r.status == KIT_OK && g.ft[0].calls == 2 &&
                    strcmp(r.provider, "openai") == 0,
                "with Anthropic's breaker open the second call must not send "
                "it a request (it got %zu in all, 2 from the first call) and "
                "OpenAI must answer (\"%s\", %s)",
                g.ft[0].calls, r.provider, kit_strerror(r.status));
    client_result_clear(&r);

    /* Every breaker open: nothing is sent. */
    breaker_record(b[1], KIT_ERR_SERVER);
    fallback_call(routes, 2, &params, &r);
    expect_that(r.status == KIT_ERR_CIRCUIT_OPEN && g.ft[1].calls == 2,
                "with every breaker open the call must end with "
                "KIT_ERR_CIRCUIT_OPEN and send nothing; it ended \"%s\"",
                kit_strerror(r.status));
    client_result_clear(&r);
    breaker_destroy(b[0]);
    breaker_destroy(b[1]);
    route_rig_close(&g);
}

static void test_fallback_extra_moves_to_gemini_on_the_mock_server(void **state)
{
    char key_o[96], key_g[96];
    client_call_params params = {
        .prompt = "What is OSPF?", .max_tokens = 100, .temperature = -1.0};
    fallback_route routes[2];
    client_result r = {0};
    client *co, *cg;
    int no, ng;

    (void)state;
    unique_key(key_o, sizeof(key_o), "fb-openai");
    unique_key(key_g, sizeof(key_g), "fb-gemini");
    co = mock_client(&provider_openai, key_o, 1);
    cg = mock_client(&provider_gemini, key_g, 1);
    script(key_o, "{\"steps\":[{\"status\":503}],\"then\":\"repeat\"}");
    routes[0] = (fallback_route){.client = co, .breaker = NULL};
    routes[1] = (fallback_route){.client = cg, .breaker = NULL};
    fallback_call(routes, 2, &params, &r);
    no = mockctl_count(&server, key_o);
    ng = mockctl_count(&server, key_g);
    expect_that(r.status == KIT_OK && strcmp(r.provider, "gemini") == 0 &&
                    no == 2 && ng == 1,
                "OpenAI always answers 503: the server must see 2 OpenAI "
                "requests (max_retries 1), then 1 Gemini request that "
                "answers; it saw %d and %d, and the call ended \"%s\" from "
                "\"%s\"",
                no, ng, kit_strerror(r.status), r.provider);
    client_result_clear(&r);
    client_destroy(co);
    client_destroy(cg);
}

/* ---- Extra B: streaming ---------------------------------------------------
 */

typedef struct pieces {
    int n;
    char text[1024];
    /* With a fake transport: was the first piece heard during send, and
     * how many chunks of the body had arrived by then? */
    const fake_transport *ft;
    bool first_in_send;
    size_t chunks_at_first;
} pieces;

static void collect(void *ctx, const char *piece, size_t len)
{
    pieces *ps = ctx;
    size_t used = strlen(ps->text);

    if (ps->n++ == 0 && ps->ft) {
        ps->first_in_send = ps->ft->in_send;
        ps->chunks_at_first = ps->ft->chunks_delivered;
    }
    if (used + len < sizeof(ps->text)) {
        memcpy(ps->text + used, piece, len);
        ps->text[used + len] = '\0';
    }
}

static const char openai_sse[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":"
    "\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
    "\"assistant\",\"content\":\"\"},\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":"
    "0,\"delta\":{\"content\":\"Link-state \"},\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":"
    "0,\"delta\":{\"content\":\"routing, \"},\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":"
    "0,\"delta\":{\"content\":\"area 0.\"},\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":"
    "0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":6,"
    "\"total_tokens\":10}}\n\n"
    "data: [DONE]\n\n";

static const char gemini_sse[] =
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Link-state "
    "\"}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":"
    "{\"promptTokenCount\":4,\"totalTokenCount\":4},\"modelVersion\":"
    "\"gemini-1.5-flash\"}\r\n\r\n"
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"routing, "
    "\"}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":"
    "{\"promptTokenCount\":4,\"totalTokenCount\":4},\"modelVersion\":"
    "\"gemini-1.5-flash\"}\r\n\r\n"
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"area 0.\"}],"
    "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
    "\"usageMetadata\":{\"promptTokenCount\":4,\"candidatesTokenCount\":6,"
    "\"totalTokenCount\":10},\"modelVersion\":\"gemini-1.5-flash\"}\r\n\r\n";

static void expect_stream(const kit_provider_ops *p, const char *model,
                          const char *sse, const char *want_url_end,
                          const char *want_stop)
{
    kit_chat_request req = request_for(model);
    kit_endpoint ep = {.base_url = FAKE_BASE, .api_key = "test-key-stream"};
    kit_chat_reply reply = {0};
    kit_attempt info;
    fake_transport ft;
    fake_step steps[1];
    pieces got = {0};
    size_t url_len, end_len = strlen(want_url_end);
    kit_status st;

    expect_that(p->stream != NULL, "%s has no stream function", p->name);
    steps[0] = fake_ok(sse, 5);
    fake_transport_init(&ft, steps, 1, NULL);
    got.ft = &ft;
    st = p->stream(&ft.transport, &ep, &req, collect, &got, &reply, &info);
    url_len = strlen(ft.last_url);
    expect_that(st == KIT_OK,
                "%s: a streamed answer gave \"%s\" (%s); it must be KIT_OK",
                p->name, kit_strerror(st), info.message);
    expect_that(url_len >= end_len &&
                    strcmp(ft.last_url + url_len - end_len, want_url_end) == 0,
                "%s: the stream request went to %s; it must end in %s", p->name,
                ft.last_url, want_url_end);
    expect_that(got.n == 3 &&
                    strcmp(got.text, "Link-state routing, area 0.") == 0,
                "%s: the callback heard %d pieces, \"%s\"; it must hear the 3 "
                "non-empty pieces in order, \"Link-state \", \"routing, \", "
                "\"area 0.\"",
                p->name, got.n, got.text);
    /* The fake hands the body over one event at a time, during send: the
     * first piece must be passed on then, before the rest has arrived. */
    expect_that(got.first_in_send && got.chunks_at_first > 0 &&
                    got.chunks_at_first < ft.chunks_delivered,
                "%s: the first piece must reach the callback as its event "
                "arrives, during the exchange; it came %s, after %zu of the "
                "body's %zu chunks (read the body as it arrives: "
                "kit_provider_post_stream with an on_body that feeds "
                "kit_sse_feed)",
                p->name,
                got.n == 0          ? "never"
                : got.first_in_send ? "during send"
                                    : "after send returned",
                got.chunks_at_first, ft.chunks_delivered);
    expect_that(reply.text && strcmp(reply.text, got.text) == 0 &&
                    reply.input_tokens == 4 && reply.output_tokens == 6 &&
                    strcmp(reply.stop_reason, want_stop) == 0,
                "%s: at the end the reply must hold the whole text, the "
                "usage that came last (4 in, 6 out) and the stop reason %s; "
                "it has \"%s\", %ld in, %ld out, \"%s\"",
                p->name, want_stop, reply.text ? reply.text : "(null)",
                reply.input_tokens, reply.output_tokens, reply.stop_reason);
    kit_chat_reply_clear(&reply);
}

static void test_openai_extra_stream_delivers_pieces_then_usage(void **state)
{
    fake_transport ft;
    fake_step steps[1];
    kit_chat_request req = request_for("gpt-4o-mini");
    kit_endpoint ep = {.base_url = FAKE_BASE, .api_key = "test-key-stream"};
    kit_chat_reply reply = {0};
    kit_attempt info;
    cJSON *body;

    (void)state;
    expect_stream(&provider_openai, "gpt-4o-mini", openai_sse,
                  "/v1/chat/completions", "stop");
    steps[0] = fake_ok(openai_sse, 5);
    fake_transport_init(&ft, steps, 1, NULL);
    provider_openai.stream(&ft.transport, &ep, &req, NULL, NULL, &reply, &info);
    body = cJSON_Parse(ft.last_body);
    expect_that(
        cJSON_IsTrue(at(body, "stream")) &&
            cJSON_IsTrue(at(at(body, "stream_options"), "include_usage")),
        "an OpenAI stream must ask for \"stream\": true and "
        "\"stream_options\": {\"include_usage\": true} (without it "
        "no usage arrives); the body was %s",
        ft.last_body);
    cJSON_Delete(body);
    kit_chat_reply_clear(&reply);
}

static void test_gemini_extra_stream_delivers_pieces_then_usage(void **state)
{
    (void)state;
    expect_stream(&provider_gemini, "gemini-1.5-flash", gemini_sse,
                  "/v1beta/models/gemini-1.5-flash:streamGenerateContent"
                  "?alt=sse",
                  "STOP");
}

static void test_stream_extra_matches_the_mock_server_bill(void **state)
{
    const kit_provider_ops *const ps[] = {&provider_openai, &provider_gemini};
    const char *const models[] = {"gpt-4o-mini", "gemini-1.5-flash"};

    (void)state;
    require_server();
    for (size_t i = 0; i < 2; i++) {
        char key[96];
        kit_transport t = {0};
        kit_endpoint ep;
        kit_chat_request req = request_for(models[i]);
        kit_chat_reply reply = {0};
        kit_attempt info;
        pieces got = {0};
        cJSON *bill, *journal;
        kit_status st;

        unique_key(key, sizeof(key), "stream");
        expect_that(kit_curl_create(NULL, &t) == KIT_OK,
                    "kit_curl_create failed");
        ep.base_url = server.base_url;
        ep.api_key = key;
        req.prompt = "What is BGP?";
        st = ps[i]->stream
                 ? ps[i]->stream(&t, &ep, &req, collect, &got, &reply, &info)
                 : KIT_ERR_NOT_IMPLEMENTED;
        bill = mockctl_bill(&server, key);
        journal = mockctl_journal(&server, key);
        expect_that(st == KIT_OK && got.n > 1 && reply.text &&
                        strcmp(reply.text, got.text) == 0,
                    "%s: a stream from the mock server gave \"%s\" (%s) in "
                    "%d pieces; it must succeed in several pieces that join "
                    "to reply.text",
                    ps[i]->name, kit_strerror(st), info.message, got.n);
        expect_that(cJSON_IsTrue(at(journal_entry(journal, 0), "stream")),
                    "%s: the server did not see a stream request", ps[i]->name);
        expect_that(
            number_of(bill, "input_tokens") == (double)reply.input_tokens &&
                number_of(bill, "output_tokens") == (double)reply.output_tokens,
            "%s: the server billed %.0f in and %.0f out for the "
            "stream; the reply says %ld and %ld",
            ps[i]->name, number_of(bill, "input_tokens"),
            number_of(bill, "output_tokens"), reply.input_tokens,
            reply.output_tokens);
        cJSON_Delete(bill);
        cJSON_Delete(journal);
        kit_chat_reply_clear(&reply);
        kit_curl_destroy(&t);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai_request_has_the_url_bearer_key_and_body),
        cmocka_unit_test(
            test_openai_reply_gives_text_tokens_model_and_finish_reason),
        cmocka_unit_test(test_openai_error_envelopes_map_to_kit_status),
        cmocka_unit_test(test_openai_refuses_a_reply_that_is_not_a_completion),
        cmocka_unit_test(test_gemini_request_keeps_the_key_out_of_the_url),
        cmocka_unit_test(
            test_gemini_request_body_has_contents_and_generation_config),
        cmocka_unit_test(
            test_gemini_reply_joins_parts_and_reads_usage_metadata),
        cmocka_unit_test(test_gemini_error_envelopes_map_to_kit_status),
        cmocka_unit_test(test_gemini_resource_exhausted_gives_its_retry_delay),
        cmocka_unit_test(test_gemini_refuses_a_reply_that_is_not_an_answer),
        cmocka_unit_test(test_providers_pass_transport_failures_through),
        cmocka_unit_test(test_provider_lookup_finds_each_provider_by_name),
        cmocka_unit_test(test_provider_pricing_reads_the_one_price_table),
        cmocka_unit_test(
            test_client_takes_openai_and_gemini_and_behaves_the_same),
        cmocka_unit_test(
            test_three_providers_answer_one_prompt_and_match_the_bill),
        cmocka_unit_test(test_openai_error_paths_on_the_mock_server),
        cmocka_unit_test(test_gemini_error_paths_on_the_mock_server),
        cmocka_unit_test(
            test_openai_and_gemini_retry_faults_on_the_mock_server),
        cmocka_unit_test(
            test_fallback_extra_moves_on_when_retries_are_exhausted),
        cmocka_unit_test(
            test_fallback_extra_skips_a_provider_whose_breaker_is_open),
        cmocka_unit_test(
            test_fallback_extra_moves_to_gemini_on_the_mock_server),
        cmocka_unit_test(test_openai_extra_stream_delivers_pieces_then_usage),
        cmocka_unit_test(test_gemini_extra_stream_delivers_pieces_then_usage),
        cmocka_unit_test(test_stream_extra_matches_the_mock_server_bill),
    };

    return HARNESS_MAIN("lab04-providers", tests, group_setup, group_teardown);
}
