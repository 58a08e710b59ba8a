/*
 * The bad-reply matrix of issue 7: every way a server (or a proxy in front
 * of it) can answer badly, played to the provided library's Anthropic call
 * twice over, once through the scripted fake transport and once through the
 * real libcurl transport against a tiny canned HTTP server in this process.
 * Each answer must end in the exact kit_status, with a message that names
 * the problem, no reply text left behind, and no crash or leak (run it under
 * SANITIZE=1 and valgrind).
 *
 * What "clear" means here:
 *   - an error status keeps its class (502 is KIT_ERR_SERVER, 429 is
 *     KIT_ERR_RATE_LIMIT) whatever the body, and a body that is no envelope
 *     is described ("empty body", "a 160-byte text/html body");
 *   - a 2xx whose body is not a Messages reply is KIT_ERR_BAD_RESPONSE, and
 *     the message says why: HTML, invalid JSON and where it breaks, another
 *     provider's shape, an error envelope, the member that is wrong;
 *   - token counts that are negative, fractional or above 10^15 are
 *     rejected (KIT_ERR_BAD_RESPONSE naming the field), never clamped: a
 *     clamped count would be a bill the provider never sent;
 *   - an empty content array is a valid, empty answer: KIT_OK with text ""
 *     (never NULL);
 *   - a body over the size cap is KIT_ERR_TOO_LARGE naming the cap, and the
 *     transport works again for the next call.
 *
 * The OpenAI and Gemini providers are lab 4's reference solutions, which
 * test_common* programs do not link; they are not covered here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakes.h"
#include "harness.h"
#include "kit_chat.h"
#include "kit_http.h"
#include "kit_provider.h"
#include "kit_status.h"

/* ---- The matrix ------------------------------------------------------------
 */

typedef struct bad_reply {
    const char *what;      /* the row, as a failure message names it */
    long status;           /* the HTTP status sent */
    const char *headers;   /* extra raw headers ("a: 1\r\n"), or NULL */
    const char *body;      /* sent as is */
    kit_status want;       /* the one right outcome */
    const char *want_msg;  /* words info.message must hold */
    const char *want_type; /* info.error_type, or NULL for "" */
} bad_reply;

#define HTML "content-type: text/html; charset=utf-8\r\n"
#define JSON "content-type: application/json\r\n"

/* A Messages reply with this usage block (or none). */
#define WITH_USAGE(usage)                                                      \
    "{\"type\":\"message\",\"model\":\"claude-haiku-4-5\",\"content\":"        \
    "[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\"" usage \
    "}"

static const bad_reply matrix[] = {
    /* Error statuses with bodies that are not the provider's envelope. */
    {"an HTML 502 page from a proxy", 502, HTML,
     "<html><head><title>502 Bad Gateway</title></head><body><center><h1>"
     "502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
     KIT_ERR_SERVER, "HTTP 502 without an error envelope (a 136-byte text/html",
     NULL},
    {"a 503 with an empty body", 503, NULL, "", KIT_ERR_SERVER,
     "HTTP 503 without an error envelope (empty body)", NULL},
    {"a 429 whose envelope is an HTML page", 429, HTML "retry-after: 7\r\n",
     "<html><body>Too Many Requests</body></html>", KIT_ERR_RATE_LIMIT,
     "HTTP 429 without an error envelope", NULL},
    {"a 301 with no envelope", 301, "content-type: text/plain\r\n", "Moved",
     KIT_ERR_HTTP, "HTTP 301 without an error envelope (a 5-byte text/plain",
     NULL},
    /* Error statuses in another provider's envelope: read all the same. */
    {"a 401 in OpenAI's envelope", 401, JSON,
     "{\"error\":{\"message\":\"Incorrect API key provided.\","
     "\"type\":\"invalid_request_error\",\"param\":null,"
     "\"code\":\"invalid_api_key\"}}",
     KIT_ERR_AUTH, "Incorrect API key provided.", "invalid_request_error"},
    {"a 401 in Gemini's envelope", 401, JSON,
     "{\"error\":{\"code\":401,\"message\":\"API key not valid. Please pass "
     "a valid API key.\",\"status\":\"UNAUTHENTICATED\"}}",
     KIT_ERR_AUTH, "API key not valid", "UNAUTHENTICATED"},
    /* A 2xx whose body is no Messages reply. */
    {"a 200 with an HTML page", 200, HTML,
     "\n<!DOCTYPE html><html><body>Captive portal: please log in</body>"
     "</html>",
     KIT_ERR_BAD_RESPONSE, "the response body is HTML, not JSON", NULL},
    {"a 204 with no body", 204, NULL, "", KIT_ERR_BAD_RESPONSE,
     "the response body is empty", NULL},
    {"a 200 with truncated JSON", 200, JSON,
     "{\"type\":\"message\",\"model\":\"m\",\"content\":[{\"type\":\"te",
     KIT_ERR_BAD_RESPONSE, "not valid JSON (it breaks at byte", NULL},
    {"a 200 whose body is JSON null", 200, JSON, "null", KIT_ERR_BAD_RESPONSE,
     "JSON but not an object (it is null)", NULL},
    {"a 200 with OpenAI's reply", 200, JSON,
     "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":"
     "\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
     "\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
     "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}",
     KIT_ERR_BAD_RESPONSE, "an OpenAI-style reply", NULL},
    {"a 200 with Gemini's reply", 200, JSON,
     "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hi\"}],"
     "\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":"
     "{\"promptTokenCount\":3,\"candidatesTokenCount\":1}}",
     KIT_ERR_BAD_RESPONSE, "a Gemini-style reply", NULL},
    {"a 200 with an Anthropic error envelope", 200, JSON,
     "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
     "\"message\":\"Overloaded\"}}",
     KIT_ERR_BAD_RESPONSE, "an error envelope (overloaded_error: Overloaded)",
     NULL},
    {"a 200 whose content is a string", 200, JSON,
     "{\"type\":\"message\",\"model\":\"m\",\"content\":\"hi\","
     "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
     KIT_ERR_BAD_RESPONSE, "\"content\" is not an array", NULL},
    {"a 200 whose content is an object", 200, JSON,
     "{\"type\":\"message\",\"model\":\"m\",\"content\":{\"type\":\"text\"},"
     "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
     KIT_ERR_BAD_RESPONSE, "\"content\" is not an array", NULL},
    {"a text block whose text is a number", 200, JSON,
     "{\"type\":\"message\",\"model\":\"m\",\"content\":[{\"type\":\"text\","
     "\"text\":42}],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
     KIT_ERR_BAD_RESPONSE, "a text block has no \"text\" string", NULL},
    {"a text block whose text is null", 200, JSON,
     "{\"type\":\"message\",\"model\":\"m\",\"content\":[{\"type\":\"text\","
     "\"text\":null}],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
     KIT_ERR_BAD_RESPONSE, "a text block has no \"text\" string", NULL},
    /* Usage blocks with nonsense in them. */
    {"negative input tokens", 200, JSON,
     WITH_USAGE(",\"usage\":{\"input_tokens\":-5,\"output_tokens\":1}"),
     KIT_ERR_BAD_RESPONSE, "usage.input_tokens is negative (-5)", NULL},
    {"1e300 output tokens", 200, JSON,
     WITH_USAGE(",\"usage\":{\"input_tokens\":1,\"output_tokens\":1e300}"),
     KIT_ERR_BAD_RESPONSE, "usage.output_tokens (1e+300) is above 1e+15", NULL},
    {"2^63 input tokens", 200, JSON,
     WITH_USAGE(",\"usage\":{\"input_tokens\":9223372036854775808,"
                "\"output_tokens\":1}"),
     KIT_ERR_BAD_RESPONSE, "usage.input_tokens (9.22337e+18) is above", NULL},
    {"an overflowing 1e400 tokens", 200, JSON,
     WITH_USAGE(",\"usage\":{\"input_tokens\":1,\"output_tokens\":1e400}"),
     KIT_ERR_BAD_RESPONSE, "usage.output_tokens (inf) is above", NULL},
    {"fractional tokens", 200, JSON,
     WITH_USAGE(",\"usage\":{\"input_tokens\":2.5,\"output_tokens\":1}"),
     KIT_ERR_BAD_RESPONSE, "usage.input_tokens (2.5) is not a whole number",
     NULL},
    {"no usage block", 200, JSON, WITH_USAGE(""), KIT_ERR_BAD_RESPONSE,
     "\"usage\" is missing or not an object", NULL},
    {"usage as a string", 200, JSON, WITH_USAGE(",\"usage\":\"lots\""),
     KIT_ERR_BAD_RESPONSE, "\"usage\" is missing or not an object", NULL},
    {"tokens as strings", 200, JSON,
     WITH_USAGE(",\"usage\":{\"input_tokens\":1,\"output_tokens\":\"7\"}"),
     KIT_ERR_BAD_RESPONSE, "usage.output_tokens is missing or not a number",
     NULL},
    {"output tokens missing", 200, JSON,
     WITH_USAGE(",\"usage\":{\"input_tokens\":1}"), KIT_ERR_BAD_RESPONSE,
     "usage.output_tokens is missing or not a number", NULL},
};

/* The one row that succeeds: content [] is an empty answer, not an error. */
static const char empty_content[] =
    "{\"type\":\"message\",\"model\":\"claude-haiku-4-5\",\"content\":[],"
    "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":4,"
    "\"output_tokens\":0}}";

/* ---- A canned HTTP server ---------------------------------------------
 *
 * One thread, one connection at a time, one answer per connection
 * (Connection: close). The mock server cannot send a proxy's HTML page or a
 * wrong provider's body, so this is what puts those on a real socket.
 */

typedef struct canned {
    pthread_mutex_t lock;
    int listen_fd;
    int port;
    bool stop;
    pthread_t thread;
    /* The next answer; borrowed from the test, guarded by lock. */
    long status;
    const char *headers;
    const char *body;
    size_t body_len;
    bool chunked;
} canned;

static canned srv = {.lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1};
static bool srv_up;
static mockproc mock;
static bool mock_up;

/* Writes all of buf, or gives up when the peer has gone (the cap hit). */
static bool send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads the request's headers and its Content-Length body, and drops them. */
static void read_request(int fd)
{
    char buf[8192];
    size_t used = 0;
    long want = -1;

    for (;;) {
        ssize_t n = recv(fd, buf + used, sizeof(buf) - 1 - used, 0);
        char *end, *cl;

        if (n <= 0)
            return;
        used += (size_t)n;
        buf[used] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end) {
            if (used == sizeof(buf) - 1)
                return;
            continue;
        }
        for (cl = buf; cl < end; cl++)
            if (strncasecmp(cl, "\r\ncontent-length:", 17) == 0)
                break;
        want = cl < end ? strtol(cl + 17, NULL, 10) : 0;
        want -= (long)(used - (size_t)(end + 4 - buf));
        break;
    }
    while (want > 0) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);

        if (n <= 0)
            return;
        want -= n;
    }
}

static void answer(int fd)
{
    char head[1024];
    long status;
    const char *headers, *body;
    size_t body_len;
    bool chunked;
    int n;

    pthread_mutex_lock(&srv.lock);
    status = srv.status;
    headers = srv.headers;
    body = srv.body;
    body_len = srv.body_len;
    chunked = srv.chunked;
    pthread_mutex_unlock(&srv.lock);

    read_request(fd);
    /* The extra headers go out on their own, so a test can send a header
     * block of any size. */
    n = snprintf(head, sizeof(head), "HTTP/1.1 %ld Canned\r\n", status);
    if (!send_all(fd, head, (size_t)n) ||
        (headers && !send_all(fd, headers, strlen(headers))))
        return;
    if (chunked)
        n = snprintf(head, sizeof(head),
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n"
                     "request-id: req_canned\r\n\r\n");
    else
        n = snprintf(head, sizeof(head),
                     "Content-Length: %zu\r\nConnection: close\r\n"
                     "request-id: req_canned\r\n\r\n",
                     body_len);
    if (n < 0 || (size_t)n >= sizeof(head) || !send_all(fd, head, (size_t)n))
        return;
    if (!chunked) {
        send_all(fd, body, body_len);
        return;
    }
    for (size_t off = 0; off < body_len;) {
        size_t piece = body_len - off < 65536 ? body_len - off : 65536;

        n = snprintf(head, sizeof(head), "%zx\r\n", piece);
        if (!send_all(fd, head, (size_t)n) ||
            !send_all(fd, body + off, piece) || !send_all(fd, "\r\n", 2))
            return;
        off += piece;
    }
    send_all(fd, "0\r\n\r\n", 5);
}

static void *canned_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd p = {.fd = srv.listen_fd, .events = POLLIN};
        bool stop;
        int fd;

        pthread_mutex_lock(&srv.lock);
        stop = srv.stop;
        pthread_mutex_unlock(&srv.lock);
        if (stop)
            break;
        if (poll(&p, 1, 50) <= 0)
            continue;
        fd = accept(srv.listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        answer(fd);
        /* Half-close, then let the client finish reading before the close,
         * so a reset never eats the end of the answer. */
        shutdown(fd, SHUT_WR);
        {
            char drain[4096];
            struct pollfd d = {.fd = fd, .events = POLLIN};

            while (poll(&d, 1, 1000) > 0 &&
                   recv(fd, drain, sizeof(drain), 0) > 0)
                ;
        }
        close(fd);
    }
    return NULL;
}

static bool canned_start(void)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return false;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return false;
    }
    srv.listen_fd = fd;
    srv.port = ntohs(addr.sin_port);
    srv.stop = false;
    if (pthread_create(&srv.thread, NULL, canned_main, NULL) != 0) {
        close(fd);
        srv.listen_fd = -1;
        return false;
    }
    return true;
}

static void canned_stop(void)
{
    pthread_mutex_lock(&srv.lock);
    srv.stop = true;
    pthread_mutex_unlock(&srv.lock);
    pthread_join(srv.thread, NULL);
    close(srv.listen_fd);
    srv.listen_fd = -1;
}

static void canned_set(long status, const char *headers, const char *body,
                       size_t body_len, bool chunked)
{
    pthread_mutex_lock(&srv.lock);
    srv.status = status;
    srv.headers = headers;
    srv.body = body;
    srv.body_len = body_len;
    srv.chunked = chunked;
    pthread_mutex_unlock(&srv.lock);
}

/* ---- Helpers ---------------------------------------------------------------
 */

static int group_setup(void **state)
{
    (void)state;
    /* Each test that needs a server fails with the reason when it is not
     * up; the others still run. */
    srv_up = canned_start();
    mock_up = mockproc_start(&mock, NULL) == 0;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (srv_up)
        canned_stop();
    if (mock_up)
        mockproc_stop(&mock);
    return 0;
}

static kit_chat_request simple_request(void)
{
    kit_chat_request req = {
        .model = "claude-haiku-4.5",
        .prompt = "What is OSPF?",
        .max_tokens = 64,
        .temperature = -1,
    };
    return req;
}

/*
 * Checks one failed attempt against its row: the status, stored in info
 * too, the HTTP status, the message's words, the error type, and no text.
 */
static void check_row(const bad_reply *row, const char *how, kit_status got,
                      const kit_attempt *info, const kit_chat_reply *reply)
{
    expect_that(got == row->want,
                "%s over %s ended in \"%s\" (%s); it should be \"%s\"",
                row->what, how, kit_strerror(got), info->message,
                kit_strerror(row->want));
    expect_that(info->status == got,
                "%s over %s: info.status says \"%s\" but the call returned "
                "\"%s\"",
                row->what, how, kit_strerror(info->status), kit_strerror(got));
    expect_that(info->http_status == row->status,
                "%s over %s: info.http_status is %ld, the server sent %ld",
                row->what, how, info->http_status, row->status);
    expect_that(strstr(info->message, row->want_msg) != NULL,
                "%s over %s: the message \"%s\" should say \"%s\"", row->what,
                how, info->message, row->want_msg);
    expect_that(
        strcmp(info->error_type, row->want_type ? row->want_type : "") == 0,
        "%s over %s: the error type is \"%s\", expected \"%s\"", row->what, how,
        info->error_type, row->want_type ? row->want_type : "");
    expect_that(reply->text == NULL,
                "%s over %s: a failed call left reply text \"%s\" behind",
                row->what, how, reply->text);
}

/* ---- Tests -----------------------------------------------------------------
 */

static void test_anthropic_provider_is_the_library_call(void **state)
{
    (void)state;
    /* The rows below go through both names; they must be one function. */
    expect_that(kit_provider_anthropic.call == kit_anthropic_call,
                "kit_provider_anthropic.call is not kit_anthropic_call, so "
                "the provider's bad-reply handling is untested");
}

static void test_each_bad_reply_is_a_clear_failure_over_the_fake(void **state)
{
    kit_endpoint ep = {"http://mock.invalid", "sk-ant-test"};
    kit_chat_request req = simple_request();

    (void)state;
    for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
        const bad_reply *row = &matrix[i];
        fake_step step = {KIT_OK, row->status, row->body, -1, row->headers, 0};
        fake_transport ft;
        kit_chat_reply reply;
        kit_attempt info;
        kit_status got;

        fake_transport_init(&ft, &step, 1, NULL);
        got = kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info);
        check_row(row, "the fake transport", got, &info, &reply);
        kit_chat_reply_clear(&reply);
    }
}

static void test_each_bad_reply_is_a_clear_failure_over_curl(void **state)
{
    char url[64];
    kit_endpoint ep = {url, "sk-ant-test"};
    kit_chat_request req = simple_request();
    kit_transport t;

    (void)state;
    expect_that(srv_up, "the canned HTTP server did not start");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
        const bad_reply *row = &matrix[i];
        kit_chat_reply reply;
        kit_attempt info;
        kit_status got;

        canned_set(row->status, row->headers, row->body, strlen(row->body),
                   false);
        got = kit_provider_anthropic.call(&t, &ep, &req, &reply, &info);
        check_row(row, "libcurl", got, &info, &reply);
        expect_that(strcmp(info.request_id, "req_canned") == 0,
                    "%s over libcurl: the request id \"%s\" was lost",
                    row->what, info.request_id);
        if (row->status == 429)
            expect_that(info.retry_after_ms == 7000,
                        "%s over libcurl: retry-after: 7 read as %ld ms",
                        row->what, info.retry_after_ms);
        kit_chat_reply_clear(&reply);
    }
    kit_curl_destroy(&t);
}

static void test_empty_content_is_an_empty_answer_not_a_crash(void **state)
{
    char url[64];
    kit_endpoint ep = {url, "sk-ant-test"};
    kit_chat_request req = simple_request();
    fake_step step = {KIT_OK, 200, empty_content, -1, JSON, 0};
    fake_transport ft;
    kit_transport t;
    kit_chat_reply reply;
    kit_attempt info;

    (void)state;
    fake_transport_init(&ft, &step, 1, NULL);
    ep.base_url = "http://mock.invalid";
    assert_int_equal(
        kit_anthropic_call(&ft.transport, &ep, &req, &reply, &info), KIT_OK);
    expect_that(reply.text != NULL && reply.text[0] == '\0',
                "content [] should give the text \"\" (never NULL), not %s",
                reply.text ? reply.text : "NULL");
    expect_that(reply.input_tokens == 4 && reply.output_tokens == 0,
                "content [] lost its usage: %ld in, %ld out",
                reply.input_tokens, reply.output_tokens);
    kit_chat_reply_clear(&reply);

    expect_that(srv_up, "the canned HTTP server did not start");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    ep.base_url = url;
    canned_set(200, JSON, empty_content, strlen(empty_content), false);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    expect_that(kit_provider_anthropic.call(&t, &ep, &req, &reply, &info) ==
                        KIT_OK &&
                    reply.text && reply.text[0] == '\0',
                "content [] over libcurl gave \"%s\" (%s), not an empty "
                "answer",
                kit_strerror(info.status), info.message);
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&t);
}

/* An 8 MiB Messages reply: valid JSON, so only the cap can stop it. */
static char *big_reply(size_t size)
{
    static const char head[] = "{\"type\":\"message\",\"model\":\"m\","
                               "\"content\":[{\"type\":\"text\",\"text\":\"";
    static const char tail[] = "\"}],\"usage\":{\"input_tokens\":1,"
                               "\"output_tokens\":1}}";
    char *body = malloc(size + 1);

    if (!body)
        return NULL;
    memcpy(body, head, sizeof(head) - 1);
    memset(body + sizeof(head) - 1, 'a',
           size - sizeof(head) - sizeof(tail) + 2);
    memcpy(body + size - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    body[size] = '\0';
    return body;
}

static void test_a_reply_over_the_size_cap_is_too_large(void **state)
{
    enum { BIG = 8 * 1024 * 1024 };
    static const struct {
        bool chunked;
        const char *how;
    } ways[] = {
        {false, "announced by Content-Length"},
        {true, "chunked, with no length announced"},
    };
    char url[64];
    kit_endpoint ep = {url, "sk-ant-test"};
    kit_chat_request req = simple_request();
    kit_transport t;
    char *body;

    (void)state;
    expect_that(srv_up, "the canned HTTP server did not start");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    body = big_reply(BIG);
    assert_non_null(body);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        kit_chat_reply reply;
        kit_attempt info;
        kit_status got;

        canned_set(200, JSON, body, BIG, ways[i].chunked);
        got = kit_provider_anthropic.call(&t, &ep, &req, &reply, &info);
        expect_that(got == KIT_ERR_TOO_LARGE,
                    "an 8 MiB reply %s ended in \"%s\" (%s); the default "
                    "4 MiB cap should make it \"%s\"",
                    ways[i].how, kit_strerror(got), info.message,
                    kit_strerror(KIT_ERR_TOO_LARGE));
        expect_that(strstr(info.message, "4194304-byte limit") != NULL,
                    "an 8 MiB reply %s: the message \"%s\" should name the "
                    "4194304-byte limit",
                    ways[i].how, info.message);
        expect_that(reply.text == NULL,
                    "an 8 MiB reply %s left reply text behind", ways[i].how);
        kit_chat_reply_clear(&reply);

        /* The same transport must work again after the cap tripped. */
        canned_set(200, JSON, empty_content, strlen(empty_content), false);
        got = kit_provider_anthropic.call(&t, &ep, &req, &reply, &info);
        expect_that(got == KIT_OK,
                    "after an 8 MiB reply %s, the next call on the same "
                    "transport ended in \"%s\" (%s)",
                    ways[i].how, kit_strerror(got), info.message);
        kit_chat_reply_clear(&reply);
    }
    kit_curl_destroy(&t);
    free(body);
}

static void test_an_oversized_header_block_is_too_large(void **state)
{
    enum { HEADER = 100 * 1024 };
    char url[64];
    kit_endpoint ep = {url, "sk-ant-test"};
    kit_chat_request req = simple_request();
    kit_transport t;
    kit_chat_reply reply;
    kit_attempt info;
    kit_status got;
    char *headers = malloc(HEADER);
    size_t used = 0;

    (void)state;
    expect_that(srv_up, "the canned HTTP server did not start");
    assert_non_null(headers);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    /* Headers of 1 KiB each: no single line is absurd, the block is. */
    for (int i = 0; used + 1100 < HEADER; i++) {
        used +=
            (size_t)snprintf(headers + used, HEADER - used, "x-pad-%d: ", i);
        memset(headers + used, 'p', 1000);
        used += 1000;
        memcpy(headers + used, "\r\n", 3);
        used += 2;
    }
    canned_set(200, headers, empty_content, strlen(empty_content), false);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    got = kit_provider_anthropic.call(&t, &ep, &req, &reply, &info);
    expect_that(got == KIT_ERR_TOO_LARGE,
                "a 100 KiB header block ended in \"%s\" (%s); it should be "
                "\"%s\"",
                kit_strerror(got), info.message,
                kit_strerror(KIT_ERR_TOO_LARGE));
    expect_that(strstr(info.message, "65536-byte limit") != NULL,
                "a 100 KiB header block: the message \"%s\" should name the "
                "65536-byte header limit",
                info.message);
    expect_that(reply.text == NULL,
                "a 100 KiB header block left reply text behind");
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&t);
    free(headers);
}

/*
 * The mock server's faults and gateway statuses, each followed by a good
 * answer on the same transport: every one ends in its status with curl's or
 * the envelope's words, and the next call succeeds.
 */
static void test_mock_faults_end_clearly_and_the_next_call_works(void **state)
{
    static const struct {
        const char *step;
        kit_status want;
        const char *want_msg;
    } table[] = {
        {"{\"fault\":\"reset\"}", KIT_ERR_RESET,
         "curl error 56: Recv failure: Connection reset by peer"},
        {"{\"fault\":\"close\"}", KIT_ERR_RESET,
         "curl error 52: Empty reply from server"},
        {"{\"fault\":\"partial\"}", KIT_ERR_NETWORK,
         "curl error 18: transfer closed with"},
        {"{\"fault\":\"malformed\"}", KIT_ERR_BAD_RESPONSE,
         "the response body is not valid JSON (it breaks at byte"},
        {"{\"fault\":\"empty\"}", KIT_ERR_BAD_RESPONSE,
         "the response body is empty"},
        {"{\"status\":502}", KIT_ERR_SERVER, "Bad gateway"},
        {"{\"status\":504}", KIT_ERR_SERVER, "Gateway timeout"},
        {"{\"status\":408}", KIT_ERR_TIMEOUT, "Request timed out"},
        {"{\"status\":413}", KIT_ERR_BAD_REQUEST, "Request too large"},
    };

    (void)state;
    expect_that(mock_up, "the mock server did not start (is build/mockserver "
                         "built? set MOCKSERVER=...)");
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char key[64], script[128];
        kit_endpoint ep = {mock.base_url, key};
        kit_chat_request req = simple_request();
        kit_transport t;
        kit_chat_reply reply;
        kit_attempt info;
        kit_status got;

        unique_key(key, sizeof(key), "badreply-mock");
        snprintf(script, sizeof(script), "{\"steps\":[%s]}", table[i].step);
        expect_that(mockctl_put_script(&mock, key, script) == 200,
                    "the mock server refused the script %s", script);
        assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
        got = kit_provider_anthropic.call(&t, &ep, &req, &reply, &info);
        expect_that(got == table[i].want,
                    "the mock step %s ended in \"%s\" (%s); it should be "
                    "\"%s\"",
                    table[i].step, kit_strerror(got), info.message,
                    kit_strerror(table[i].want));
        expect_that(strstr(info.message, table[i].want_msg) != NULL,
                    "the mock step %s: the message \"%s\" should say \"%s\"",
                    table[i].step, info.message, table[i].want_msg);
        expect_that(reply.text == NULL,
                    "the mock step %s left reply text behind", table[i].step);
        kit_chat_reply_clear(&reply);

        got = kit_provider_anthropic.call(&t, &ep, &req, &reply, &info);
        expect_that(got == KIT_OK && reply.text && reply.text[0],
                    "after the mock step %s, the next call on the same "
                    "transport ended in \"%s\" (%s)",
                    table[i].step, kit_strerror(got), info.message);
        kit_chat_reply_clear(&reply);
        kit_curl_destroy(&t);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anthropic_provider_is_the_library_call),
        cmocka_unit_test(test_each_bad_reply_is_a_clear_failure_over_the_fake),
        cmocka_unit_test(test_each_bad_reply_is_a_clear_failure_over_curl),
        cmocka_unit_test(test_empty_content_is_an_empty_answer_not_a_crash),
        cmocka_unit_test(test_a_reply_over_the_size_cap_is_too_large),
        cmocka_unit_test(test_an_oversized_header_block_is_too_large),
        cmocka_unit_test(test_mock_faults_end_clearly_and_the_next_call_works),
    };

    return HARNESS_MAIN("common_badreply", tests, group_setup, group_teardown);
}
