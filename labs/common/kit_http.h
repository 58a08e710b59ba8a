/*
 * kit_http: one HTTP exchange, behind an ops table so the code above it can
 * be tested with a scripted fake and run for real over libcurl. This is the
 * part of an official SDK that a learner is given rather than asked to write.
 */
#ifndef KIT_HTTP_H
#define KIT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "kit_status.h"

typedef struct kit_http_request {
    const char *method;         /* "POST", "GET" */
    const char *url;            /* borrowed */
    const char *const *headers; /* "Name: value", NULL-terminated; borrowed */
    const char *body;           /* borrowed; NULL for none */
    size_t body_len;
    long timeout_ms; /* total time for this exchange; 0: default */
    /*
     * Optional (NULL: none). Called with each piece of the response body as
     * it arrives, in order, during send(), in addition to the body being
     * collected into resp->body; the pieces are borrowed for the call. It
     * hears every answer's body, whatever the HTTP status. Returning less
     * than len aborts the transfer, which then fails as KIT_ERR_NETWORK.
     * on_body_ctx is passed back untouched.
     */
    size_t (*on_body)(void *ctx, const char *data, size_t len);
    void *on_body_ctx;
} kit_http_request;

typedef struct kit_http_response {
    /*
     * KIT_OK when an HTTP response arrived, whatever its status. Otherwise
     * the transport failure: KIT_ERR_TIMEOUT, KIT_ERR_CONNECT, KIT_ERR_RESET,
     * KIT_ERR_NETWORK or KIT_ERR_TOO_LARGE, and error says what curl said.
     */
    kit_status transport;
    long status; /* the HTTP status; 0 when none arrived */
    char *body;  /* NUL-terminated; owned, see kit_http_response_clear */
    size_t body_len;
    char *headers;       /* the raw header block, NUL-terminated; owned */
    long retry_after_ms; /* retry-after-ms, else retry-after x 1000; -1: none */
    char request_id[96]; /* request-id or x-request-id; "" when none */
    char error[256];     /* human detail for a transport failure */
} kit_http_response;

/*
 * Finds a response header by name, case-insensitively, and copies its value
 * (trimmed) into buf. Returns buf, or NULL when the header is absent.
 */
const char *kit_http_header(const kit_http_response *resp, const char *name,
                            char *buf, size_t buflen);

/*
 * The server's wait hint from resp's headers, in milliseconds: retry-after-ms
 * (a number, decimals allowed) when present, else retry-after in seconds
 * (integer or decimal; the HTTP-date form is not handled and reads as
 * absent). Fractions round up. Returns -1 when neither is usable.
 * Transports use it to fill retry_after_ms.
 */
long kit_http_retry_after_ms(const kit_http_response *resp);

/* Frees what resp owns and zeroes it (retry_after_ms becomes -1). NULL is a
 * no-op. */
void kit_http_response_clear(kit_http_response *resp);

/*
 * The transport interface. send() performs one exchange and fills *resp
 * (which it zeroes first; the caller clears it afterwards on every path). It
 * returns resp->transport. Implementations must not retry.
 */
typedef struct kit_transport_ops {
    kit_status (*send)(void *self, const kit_http_request *req,
                       kit_http_response *resp);
} kit_transport_ops;

typedef struct kit_transport {
    const kit_transport_ops *ops;
    void *self;
} kit_transport;

/* Calls t->ops->send. KIT_ERR_INVALID_ARG for a NULL argument. */
kit_status kit_transport_send(const kit_transport *t,
                              const kit_http_request *req,
                              kit_http_response *resp);

/* ---- The libcurl transport ------------------------------------------------
 */

typedef struct kit_curl_config {
    long connect_timeout_ms; /* 0: 10 s */
    long timeout_ms;         /* default total per exchange; 0: 60 s */
    size_t
        max_response_bytes; /* 0: 4 MiB; a bigger body is KIT_ERR_TOO_LARGE */
} kit_curl_config;

/*
 * Creates a libcurl transport with one reusable easy handle, so successive
 * exchanges reuse the TCP connection. cfg may be NULL for the defaults.
 * On success *out is a transport the caller owns: free it with
 * kit_curl_destroy. Not thread-safe: one transport per thread.
 * Calls curl_global_init the first time (thread-safe).
 */
kit_status kit_curl_create(const kit_curl_config *cfg, kit_transport *out);

/* Frees a transport made by kit_curl_create. NULL or zeroed is a no-op. */
void kit_curl_destroy(kit_transport *t);

/* ---- Rate-limit headers -------------------------------------------------- */

/* What the provider's rate-limit headers said; -1 for each field absent. */
typedef struct kit_ratelimit {
    long requests_limit, requests_remaining;
    long tokens_limit, tokens_remaining;
    long requests_reset_ms, tokens_reset_ms; /* from now until the reset */
} kit_ratelimit;

/*
 * Reads Anthropic's anthropic-ratelimit-* headers (RFC 3339 resets, taken
 * relative to now_wall_s) or OpenAI's x-ratelimit-* (durations such as
 * "6m0s", "1.5s", "120ms") from resp into *out. Returns true when any was
 * present.
 */
bool kit_ratelimit_parse(const kit_http_response *resp, long long now_wall_s,
                         kit_ratelimit *out);

#endif
