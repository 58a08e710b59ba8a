/*
 * The mock server's bad-input matrix: a table of requests the server must
 * refuse (malformed and truncated JSON, wrong types, missing fields, huge
 * numbers, deep nesting, a body over 1 MiB, an oversized header, unknown
 * paths and methods, a bad key shorthand, invalid scripts and limits), each
 * checked against the status and error envelope mockserver/README.md
 * documents, and each followed by a normal request that must still succeed.
 * A client that sends headers and then stalls must not hold up others.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static mockproc server;

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

/* Whose error envelope an answer must come in. */
enum envelope { ENV_ANTHROPIC, ENV_OPENAI, ENV_GEMINI, ENV_CONTROL };

/* Bodies too big or too deep to write out in the table. */
enum gen {
    GEN_NONE,
    GEN_BIG_BODY,   /* a valid request padded past 1 MiB */
    GEN_DEEP_NEST,  /* 10,000 '[' where content goes */
    GEN_BIG_HEADER, /* a 64 KiB header on an otherwise good request */
};

typedef struct bad_case {
    const char *name;
    enum envelope env;
    const char *method;
    const char *path;
    const char *key; /* NULL: send no key */
    bool version;    /* send anthropic-version (Anthropic paths) */
    const char *body;
    enum gen gen;
    long status;      /* documented status */
    const char *type; /* Anthropic error.type, OpenAI error.type, Gemini
                         error.status, or the control API's "field";
                         NULL: no envelope to check */
} bad_case;

#define ANT      "/v1/messages"
#define OAI      "/v1/chat/completions"
#define GEM      "/v1beta/models/gemini-1.5-flash:generateContent"
#define ANT_MSGS "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
#define OAI_OK   "{\"model\":\"gpt-4o-mini\"," ANT_MSGS "}"
#define GEM_OK   "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}"
#define K        "test-badinput"

static const bad_case cases[] = {
    /* Anthropic: bodies */
    {"ant malformed json", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":", GEN_NONE, 400, "invalid_request_error"},
    {"ant truncated json", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,\"messages\":[{\"role\""
     ":\"user\",\"content\":\"hi\"}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant empty body", ENV_ANTHROPIC, "POST", ANT, K, true, "", GEN_NONE, 400,
     "invalid_request_error"},
    {"ant body is an array", ENV_ANTHROPIC, "POST", ANT, K, true, "[1,2,3]",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant model is a number", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":7,\"max_tokens\":16," ANT_MSGS "}", GEN_NONE, 400,
     "invalid_request_error"},
    {"ant max_tokens missing", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\"," ANT_MSGS "}", GEN_NONE, 400,
     "invalid_request_error"},
    {"ant max_tokens a string", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":\"16\"," ANT_MSGS "}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant max_tokens zero", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":0," ANT_MSGS "}", GEN_NONE,
     400, "invalid_request_error"},
    {"ant max_tokens huge", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":1e308," ANT_MSGS "}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant max_tokens 2^64", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":"
     "18446744073709551617," ANT_MSGS "}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant messages empty", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,\"messages\":[]}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant messages an object", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,\"messages\":{}}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant bad role", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,\"messages\":[{\"role"
     "\":\"wizard\",\"content\":\"hi\"}]}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant content a number", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,\"messages\":[{\"role"
     "\":\"user\",\"content\":42}]}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant temperature out of range", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16,\"temperature\":"
     "5," ANT_MSGS "}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant 10000 nested [", ENV_ANTHROPIC, "POST", ANT, K, true, NULL,
     GEN_DEEP_NEST, 400, "invalid_request_error"},
    {"ant body over 1 MiB", ENV_ANTHROPIC, "POST", ANT, K, true, NULL,
     GEN_BIG_BODY, 413, "request_too_large"},
    /* Anthropic: headers, keys, paths, methods */
    {"ant no anthropic-version", ENV_ANTHROPIC, "POST", ANT, K, false,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16," ANT_MSGS "}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant no key", ENV_ANTHROPIC, "POST", ANT, NULL, true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16," ANT_MSGS "}",
     GEN_NONE, 401, "authentication_error"},
    {"ant empty key", ENV_ANTHROPIC, "POST", ANT, "", true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16," ANT_MSGS "}",
     GEN_NONE, 401, "authentication_error"},
    {"ant bad key shorthand", ENV_ANTHROPIC, "POST", ANT, "mock-429-foo", true,
     "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16," ANT_MSGS "}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant bad shorthand modifier", ENV_ANTHROPIC, "POST", ANT, "mock-429q-ok",
     true, "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16," ANT_MSGS "}",
     GEN_NONE, 400, "invalid_request_error"},
    {"ant unknown model", ENV_ANTHROPIC, "POST", ANT, K, true,
     "{\"model\":\"claude-nonesuch\",\"max_tokens\":16," ANT_MSGS "}", GEN_NONE,
     404, "not_found_error"},
    {"ant unknown path", ENV_ANTHROPIC, "POST", "/v1/messages/nope", K, true,
     "{}", GEN_NONE, 404, "not_found_error"},
    {"ant GET is 405", ENV_ANTHROPIC, "GET", ANT, K, true, NULL, GEN_NONE, 405,
     "invalid_request_error"},
    /* OpenAI */
    {"oai malformed json", ENV_OPENAI, "POST", OAI, K, false, "{{{", GEN_NONE,
     400, "invalid_request_error"},
    {"oai messages missing", ENV_OPENAI, "POST", OAI, K, false,
     "{\"model\":\"gpt-4o-mini\"}", GEN_NONE, 400, "invalid_request_error"},
    {"oai messages a string", ENV_OPENAI, "POST", OAI, K, false,
     "{\"model\":\"gpt-4o-mini\",\"messages\":\"hi\"}", GEN_NONE, 400,
     "invalid_request_error"},
    {"oai max_tokens negative", ENV_OPENAI, "POST", OAI, K, false,
     "{\"model\":\"gpt-4o-mini\",\"max_tokens\":-5," ANT_MSGS "}", GEN_NONE,
     400, "invalid_request_error"},
    {"oai model of another provider", ENV_OPENAI, "POST", OAI, K, false,
     "{\"model\":\"claude-haiku-4.5\"," ANT_MSGS "}", GEN_NONE, 404,
     "invalid_request_error"},
    {"oai no key", ENV_OPENAI, "POST", OAI, NULL, false, OAI_OK, GEN_NONE, 401,
     "invalid_request_error"},
    {"oai body over 1 MiB", ENV_OPENAI, "POST", OAI, K, false, NULL,
     GEN_BIG_BODY, 413, "invalid_request_error"},
    {"oai unknown path", ENV_OPENAI, "POST", "/v2/nothing", K, false, "{}",
     GEN_NONE, 404, "invalid_request_error"},
    {"oai DELETE is 405", ENV_OPENAI, "DELETE", OAI, K, false, NULL, GEN_NONE,
     405, "invalid_request_error"},
    {"oai oversized 64 KiB header", ENV_OPENAI, "POST", OAI, K, false, OAI_OK,
     GEN_BIG_HEADER, 431, NULL},
    /* Gemini */
    {"gem malformed json", ENV_GEMINI, "POST", GEM, K, false, "{\"contents\":[",
     GEN_NONE, 400, "INVALID_ARGUMENT"},
    {"gem contents empty", ENV_GEMINI, "POST", GEM, K, false,
     "{\"contents\":[]}", GEN_NONE, 400, "INVALID_ARGUMENT"},
    {"gem parts a number", ENV_GEMINI, "POST", GEM, K, false,
     "{\"contents\":[{\"parts\":3}]}", GEN_NONE, 400, "INVALID_ARGUMENT"},
    {"gem no key", ENV_GEMINI, "POST", GEM, NULL, false, GEM_OK, GEN_NONE, 403,
     "PERMISSION_DENIED"},
    {"gem body over 1 MiB", ENV_GEMINI, "POST", GEM, K, false, NULL,
     GEN_BIG_BODY, 400, "INVALID_ARGUMENT"},
    {"gem unknown path", ENV_GEMINI, "POST", "/v1beta/nothing", K, false, "{}",
     GEN_NONE, 404, "NOT_FOUND"},
    {"gem GET is 405", ENV_GEMINI, "GET", GEM, K, false, NULL, GEN_NONE, 405,
     "UNIMPLEMENTED"},
    /* The control API */
    {"ctl script malformed", ENV_CONTROL, "PUT", "/_mock/scripts/" K, NULL,
     false, "{\"steps\":[", GEN_NONE, 400, NULL},
    {"ctl script status 418", ENV_CONTROL, "PUT", "/_mock/scripts/" K, NULL,
     false, "{\"steps\":[{\"status\":418}]}", GEN_NONE, 400, "steps[0].status"},
    {"ctl script unknown field", ENV_CONTROL, "PUT", "/_mock/scripts/" K, NULL,
     false, "{\"steps\":[{\"delay\":5}]}", GEN_NONE, 400, "steps[0].delay"},
    {"ctl script steps not array", ENV_CONTROL, "PUT", "/_mock/scripts/" K,
     NULL, false, "{\"steps\":{}}", GEN_NONE, 400, "steps"},
    {"ctl script bad then", ENV_CONTROL, "PUT", "/_mock/scripts/" K, NULL,
     false, "{\"then\":\"sometimes\"}", GEN_NONE, 400, "then"},
    {"ctl script delay too long", ENV_CONTROL, "PUT", "/_mock/scripts/" K, NULL,
     false, "{\"steps\":[{\"delay_ms\":600001}]}", GEN_NONE, 400,
     "steps[0].delay_ms"},
    {"ctl script chaos rate 2", ENV_CONTROL, "PUT", "/_mock/scripts/" K, NULL,
     false, "{\"chaos\":{\"seed\":1,\"rate\":2,\"statuses\":[503]}}", GEN_NONE,
     400, "chaos.rate"},
    {"ctl limits rpm negative", ENV_CONTROL, "PUT", "/_mock/limits/" K, NULL,
     false, "{\"rpm\":-1}", GEN_NONE, 400, "rpm"},
    {"ctl limits rpm fractional", ENV_CONTROL, "PUT", "/_mock/limits/" K, NULL,
     false, "{\"rpm\":1.5}", GEN_NONE, 400, "rpm"},
    {"ctl limits tpm huge", ENV_CONTROL, "PUT", "/_mock/limits/" K, NULL, false,
     "{\"tpm\":1e300}", GEN_NONE, 400, "tpm"},
    {"ctl limits unknown tier", ENV_CONTROL, "PUT", "/_mock/limits/" K, NULL,
     false, "{\"tier\":\"platinum\"}", GEN_NONE, 400, "tier"},
    {"ctl unknown path", ENV_CONTROL, "GET", "/_mock/nothing", NULL, false,
     NULL, GEN_NONE, 404, NULL},
    {"ctl wrong method", ENV_CONTROL, "POST", "/_mock/journal", NULL, false,
     "{}", GEN_NONE, 405, NULL},
};

/* ---- helpers ---------------------------------------------------------- */

/* The body a generated case sends; caller frees with free(). */
static char *generated_body(const bad_case *c)
{
    size_t n = 1024u * 1024u + 4096u, i;
    char *b;

    switch (c->gen) {
    case GEN_DEEP_NEST:
        b = malloc(10000 + 1);
        assert_non_null(b);
        memset(b, '[', 10000);
        b[10000] = '\0';
        return b;
    case GEN_BIG_BODY:
        /* Valid JSON, so only the size is wrong: a long user message. */
        b = malloc(n + 256);
        assert_non_null(b);
        i = (size_t)sprintf(
            b,
            c->env == ENV_GEMINI ? "{\"contents\":[{\"parts\":[{\"text\":\""
                                 : "{\"model\":\"%s\",\"max_tokens\":16,"
                                   "\"messages\":[{\"role\":\"user\","
                                   "\"content\":\"",
            c->env == ENV_ANTHROPIC ? "claude-haiku-4.5" : "gpt-4o-mini");
        memset(b + i, 'a', n);
        strcpy(b + i + n, c->env == ENV_GEMINI ? "\"}]}]}" : "\"}]}");
        return b;
    case GEN_BIG_HEADER:
    case GEN_NONE:
        break;
    }
    return c->body ? strdup(c->body) : NULL;
}

/* The error type the envelope carries, per the table in README "Errors". */
static const char *envelope_type(const bad_case *c, const cJSON *root)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *t = NULL;

    switch (c->env) {
    case ENV_ANTHROPIC:
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "type")))
            return NULL;
        t = cJSON_GetObjectItemCaseSensitive(err, "type");
        break;
    case ENV_OPENAI:
        t = cJSON_GetObjectItemCaseSensitive(err, "type");
        break;
    case ENV_GEMINI:
        t = cJSON_GetObjectItemCaseSensitive(err, "status");
        break;
    case ENV_CONTROL:
        t = cJSON_GetObjectItemCaseSensitive(root, "field");
        break;
    }
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

static void send_case(const bad_case *c, http_result *r)
{
    char url[512], auth[128], *big_header = NULL, *body = generated_body(c);
    const char *headers[6];
    size_t h = 0;

    snprintf(url, sizeof(url), "%s%s", server.base_url, c->path);
    if (c->key) {
        if (c->env == ENV_GEMINI)
            snprintf(auth, sizeof(auth), "x-goog-api-key: %s", c->key);
        else if (c->env == ENV_ANTHROPIC)
            snprintf(auth, sizeof(auth), "x-api-key: %s", c->key);
        else
            snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->key);
        headers[h++] = auth;
    }
    if (c->version)
        headers[h++] = "anthropic-version: 2023-06-01";
    if (body)
        headers[h++] = "Content-Type: application/json";
    if (c->gen == GEN_BIG_HEADER) {
        size_t n = 64u * 1024u;

        big_header = malloc(n + 16);
        assert_non_null(big_header);
        memcpy(big_header, "X-Padding: ", 11);
        memset(big_header + 11, 'p', n);
        big_header[11 + n] = '\0';
        headers[h++] = big_header;
    }
    headers[h] = NULL;
    assert_int_equal(http_do(c->method, url, headers, body, 10000, r), 0);
    free(big_header);
    free(body);
}

/* A plain request that must succeed: the server is still fine. */
static void expect_server_still_works(const char *after)
{
    char url[256];
    const char *headers[] = {"x-api-key: " K "-after",
                             "anthropic-version: 2023-06-01",
                             "Content-Type: application/json", NULL};
    http_result r;

    snprintf(url, sizeof(url), "%s" ANT, server.base_url);
    assert_int_equal(
        http_do("POST", url, headers,
                "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":16," ANT_MSGS
                "}",
                5000, &r),
        0);
    expect_that(r.curl == CURLE_OK && r.status == 200,
                "after \"%s\", a normal request should get 200, got %ld (%s)",
                after, r.status, curl_easy_strerror(r.curl));
    http_result_free(&r);
}

/* ---- tests -------------------------------------------------------------- */

static void test_each_bad_request_gets_the_documented_error(void **state)
{
    size_t n = sizeof(cases) / sizeof(cases[0]), failures = 0;

    (void)state;
    assert_true(n >= 30);
    for (size_t i = 0; i < n; i++) {
        const bad_case *c = &cases[i];
        http_result r;
        cJSON *root;
        const char *type;
        char allow[64];
        bool ok;

        send_case(c, &r);
        if (c->gen == GEN_BIG_HEADER && r.curl != CURLE_OK) {
            /* Closing on a header past the server's buffer is acceptable
               too; the point is that the server survives. */
            print_message("note: \"%s\": connection closed (%s)\n", c->name,
                          curl_easy_strerror(r.curl));
            http_result_free(&r);
            expect_server_still_works(c->name);
            continue;
        }
        root = r.body ? cJSON_ParseWithLength(r.body, r.body_len) : NULL;
        type = envelope_type(c, root);
        ok = r.curl == CURLE_OK && r.status == c->status &&
             (!c->type || (type && strcmp(type, c->type) == 0));
        if (ok && c->env == ENV_CONTROL)
            ok =
                cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "error"));
        if (ok && c->status == 405 && c->env != ENV_CONTROL)
            ok = http_header(&r, "Allow", allow, sizeof(allow)) &&
                 strcmp(allow, "POST") == 0;
        if (!ok) {
            print_error("\"%s\": expected %ld %s, got %ld (curl: %s) %.300s\n",
                        c->name, c->status, c->type ? c->type : "", r.status,
                        curl_easy_strerror(r.curl), r.body ? r.body : "");
            failures++;
        }
        cJSON_Delete(root);
        http_result_free(&r);
        expect_server_still_works(c->name);
    }
    expect_that(failures == 0,
                "%zu of %zu bad requests did not get the documented error",
                failures, n);
}

/* Connects a raw TCP socket to the server, with a 1 s receive timeout. */
static int raw_connect(void)
{
    struct sockaddr_in sa;
    struct timeval tv = {1, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)server.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
                     0);
    return fd;
}

static void test_a_stalled_client_does_not_hold_up_others(void **state)
{
    static const char head[] = "POST /v1/messages HTTP/1.1\r\n"
                               "Host: 127.0.0.1\r\n"
                               "x-api-key: " K "-stall\r\n"
                               "anthropic-version: 2023-06-01\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: 200\r\n\r\n{\"model\":";
    int fds[8];
    char buf[64];
    ssize_t got;

    (void)state;
    /* More stalled clients than the server has worker threads. */
    for (int i = 0; i < 8; i++) {
        fds[i] = raw_connect();
        assert_int_equal(send(fds[i], head, sizeof(head) - 1, 0),
                         (ssize_t)(sizeof(head) - 1));
    }
    for (int i = 0; i < 3; i++)
        expect_server_still_works("8 clients that stall mid-body");
    got = recv(fds[0], buf, sizeof(buf), 0);
    expect_that(got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
                "a client that stalls mid-body should get no answer yet "
                "(the body is not complete), got %zd bytes",
                got);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    expect_server_still_works("stalled clients hung up");
}

static void test_a_client_that_stalls_in_the_headers(void **state)
{
    static const char head[] = "POST /v1/messages HTTP/1.1\r\n"
                               "Host: 127.0.0.1\r\nx-api-";
    int fd;

    (void)state;
    fd = raw_connect();
    assert_int_equal(send(fd, head, sizeof(head) - 1, 0),
                     (ssize_t)(sizeof(head) - 1));
    expect_server_still_works("a client stalled in its headers");
    close(fd);
    expect_server_still_works("a client stalled in its headers hung up");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_bad_request_gets_the_documented_error),
        cmocka_unit_test(test_a_stalled_client_does_not_hold_up_others),
        cmocka_unit_test(test_a_client_that_stalls_in_the_headers),
    };

    return HARNESS_MAIN("mock_badinput", tests, setup, teardown);
}
