/*
 * kit_curl: the real transport, one libcurl easy handle per transport so
 * that successive exchanges reuse the TCP connection, as an SDK's client
 * does. Every lab that talks to the mock server (0 to 3) sends through it.
 *
 * Two limits keep it honest: the response is bounded (a body past the cap
 * is KIT_ERR_TOO_LARGE, not an ever-growing buffer), and it never retries.
 * libcurl on its own resends a request, once, when a reused connection
 * closes before any byte of the answer arrives; a pre-request callback
 * refuses that second send, so one call here is always one attempt and the
 * retry decision stays with the learner's code. A request's on_body hears
 * each piece of the body as libcurl delivers it, which is how lab 4's
 * streams are read while they arrive.
 */
#include "kit_http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

enum {
    DEFAULT_CONNECT_TIMEOUT_MS = 10000,
    DEFAULT_TIMEOUT_MS = 60000,
    DEFAULT_MAX_RESPONSE = 4 * 1024 * 1024,
    MAX_HEADER_BYTES = 64 * 1024,
};

/* A buffer that grows up to max bytes (plus the NUL) and then refuses. */
struct growbuf {
    char *data;
    size_t len, cap, max;
    bool over;
};

struct curl_transport {
    CURL *easy;
    kit_curl_config cfg;
    struct growbuf body, head;
    const kit_http_request *req; /* during an exchange: its on_body */
    bool aborted;                /* the caller's on_body stopped it */
    int sends;           /* pre-request callbacks during this exchange */
    bool refused_resend; /* we stopped libcurl's own retry */
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool growbuf_append(struct growbuf *b, const char *p, size_t n)
{
    if (n > b->max - b->len) {
        b->over = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *grown;

        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        grown = realloc(b->data, cap);
        if (!grown)
            return false;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

/* Hands the buffer's text to the caller (always a string, maybe empty). */
static char *growbuf_take(struct growbuf *b, size_t *len)
{
    char *s = b->data ? b->data : calloc(1, 1);

    if (len)
        *len = b->data ? b->len : 0;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

static void growbuf_reset(struct growbuf *b, size_t max)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->over = false;
}

/* Returning less than asked makes libcurl stop with CURLE_WRITE_ERROR. The
 * caller's on_body hears each piece only once it is safely collected. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct curl_transport *ct = userdata;
    const kit_http_request *req = ct->req;
    size_t n = size * nmemb;

    if (!growbuf_append(&ct->body, ptr, n))
        return 0;
    if (req->on_body && req->on_body(req->on_body_ctx, ptr, n) != n) {
        ct->aborted = true;
        return 0;
    }
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct curl_transport *ct = userdata;
    size_t n = size * nmemb;

    /* A new status line (after a "100 Continue") starts a new block: keep
     * only the final response's headers. */
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
        ct->head.len = 0;
    return growbuf_append(&ct->head, ptr, n) ? n : 0;
}

static int on_prereq(void *clientp, char *primary_ip, char *local_ip,
                     int primary_port, int local_port)
{
    struct curl_transport *ct = clientp;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (++ct->sends > 1) {
        ct->refused_resend = true;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

static kit_status status_from_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return KIT_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return KIT_ERR_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return KIT_ERR_CONNECT;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return KIT_ERR_RESET;
    case CURLE_FILESIZE_EXCEEDED:
        return KIT_ERR_TOO_LARGE;
    case CURLE_OUT_OF_MEMORY:
        return KIT_ERR_NO_MEMORY;
    default:
        return KIT_ERR_NETWORK;
    }
}

static void set_method(CURL *easy, const kit_http_request *req)
{
    const char *method = req->method;

    if (!method)
        method = req->body ? "POST" : "GET";
    if (strcmp(method, "GET") == 0 && !req->body) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
        return;
    }
    /* POST and the rest send the body (possibly empty) as given. */
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(req->body ? req->body_len : 0));
    if (strcmp(method, "POST") != 0)
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
}

static kit_status curl_send(void *self, const kit_http_request *req,
                            kit_http_response *resp)
{
    struct curl_transport *ct = self;
    struct curl_slist *headers = NULL;
    CURL *easy = ct->easy;
    CURLcode rc;
    long timeout_ms;

    memset(resp, 0, sizeof(*resp));
    resp->retry_after_ms = -1;
    resp->transport = KIT_ERR_NO_MEMORY; /* pessimistic until it worked */

    /* libcurl keeps a pointer to the list, not a copy: it lives until
     * curl_easy_perform returns, and is freed at out. */
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        struct curl_slist *next = curl_slist_append(headers, req->headers[i]);

        if (!next)
            goto out;
        headers = next;
    }
    /* No "Expect: 100-continue" round trip for larger bodies. */
    {
        struct curl_slist *next = curl_slist_append(headers, "Expect:");

        if (!next)
            goto out;
        headers = next;
    }

    /* Resetting options keeps the handle's live connections. */
    curl_easy_reset(easy);
    growbuf_reset(&ct->body, ct->cfg.max_response_bytes);
    growbuf_reset(&ct->head, MAX_HEADER_BYTES);
    ct->sends = 0;
    ct->refused_resend = false;
    ct->req = req;
    ct->aborted = false;
    ct->errbuf[0] = '\0';
    timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : ct->cfg.timeout_ms;

    curl_easy_setopt(easy, CURLOPT_URL, req->url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, ct->errbuf);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     ct->cfg.connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "ai-lab-kit/1.0");
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                     (curl_off_t)ct->cfg.max_response_bytes);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, ct);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, ct);
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, ct);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    set_method(easy, req);

    rc = curl_easy_perform(easy);

    if (rc == CURLE_OK) {
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp->status);
        resp->body = growbuf_take(&ct->body, &resp->body_len);
        resp->headers = growbuf_take(&ct->head, NULL);
        if (!resp->body || !resp->headers) {
            kit_http_response_clear(resp);
            resp->transport = KIT_ERR_NO_MEMORY;
            goto out;
        }
        resp->retry_after_ms = kit_http_retry_after_ms(resp);
        if (!kit_http_header(resp, "request-id", resp->request_id,
                             sizeof(resp->request_id)))
            kit_http_header(resp, "x-request-id", resp->request_id,
                            sizeof(resp->request_id));
        resp->transport = KIT_OK;
        goto out;
    }

    /* No usable response: say which failure, in curl's words. */
    if (ct->refused_resend) {
        resp->transport = KIT_ERR_RESET;
        snprintf(resp->error, sizeof(resp->error),
                 "the server closed the reused connection without a reply");
    } else if (ct->aborted) {
        resp->transport = KIT_ERR_NETWORK;
        snprintf(resp->error, sizeof(resp->error),
                 "the body callback stopped the transfer");
    } else if (rc == CURLE_FILESIZE_EXCEEDED ||
               (rc == CURLE_WRITE_ERROR && (ct->body.over || ct->head.over))) {
        /* The first when Content-Length announced too much, the second when
         * the body grew past the cap as it came. */
        resp->transport = KIT_ERR_TOO_LARGE;
        snprintf(resp->error, sizeof(resp->error),
                 "the response passed the %zu-byte limit",
                 ct->head.over ? (size_t)MAX_HEADER_BYTES
                               : ct->cfg.max_response_bytes);
    } else {
        resp->transport =
            rc == CURLE_WRITE_ERROR ? KIT_ERR_NO_MEMORY : status_from_curl(rc);
        snprintf(resp->error, sizeof(resp->error), "curl error %d: %.200s",
                 (int)rc, ct->errbuf[0] ? ct->errbuf : curl_easy_strerror(rc));
    }
out:
    ct->req = NULL;
    /* The buffers are not kept between exchanges: a big answer's memory
     * goes back at once. */
    growbuf_reset(&ct->body, ct->cfg.max_response_bytes);
    growbuf_reset(&ct->head, MAX_HEADER_BYTES);
    curl_slist_free_all(headers);
    /* Drop the pointers to what was just freed or borrowed. */
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
    return resp->transport;
}

static const kit_transport_ops curl_ops = {.send = curl_send};

kit_status kit_curl_create(const kit_curl_config *cfg, kit_transport *out)
{
    struct curl_transport *ct = NULL;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return KIT_ERR_NO_MEMORY;

    ct = calloc(1, sizeof(*ct));
    if (!ct)
        return KIT_ERR_NO_MEMORY;
    if (cfg)
        ct->cfg = *cfg;
    if (ct->cfg.connect_timeout_ms <= 0)
        ct->cfg.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    if (ct->cfg.timeout_ms <= 0)
        ct->cfg.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (ct->cfg.max_response_bytes == 0)
        ct->cfg.max_response_bytes = DEFAULT_MAX_RESPONSE;
    ct->easy = curl_easy_init();
    if (!ct->easy) {
        free(ct);
        return KIT_ERR_NO_MEMORY;
    }
    out->ops = &curl_ops;
    out->self = ct;
    return KIT_OK;
}

void kit_curl_destroy(kit_transport *t)
{
    struct curl_transport *ct;

    if (!t || t->ops != &curl_ops || !t->self)
        return;
    ct = t->self;
    curl_easy_cleanup(ct->easy);
    free(ct->body.data);
    free(ct->head.data);
    free(ct);
    t->ops = NULL;
    t->self = NULL;
}
