/*
 * kit_provider: one interface, many providers. A provider is a static const
 * ops table (Linux's file_operations, SQLite's VFS): its name, where its key
 * lives, and how to make one attempt. Code above it (lab 3's client, lab 4's
 * fallback) holds a `const kit_provider_ops *` and never asks which provider
 * it is, the way a RIB holds routes without caring which protocol
 * redistributed them.
 *
 * The library gives one provider, Anthropic, as the worked example; lab 4
 * writes OpenAI and Gemini with the helpers below, which do the part of an
 * attempt that is the same for every provider (the wire, the headers a
 * retry policy reads), so a provider file holds only what differs: the URL,
 * the key header, the body, the reply and the error envelope.
 *
 * Prices are not in the ops table: they are data, and they live in one table
 * (lab 2's pricing.c) with a provider column. Lab 4's provider_pricing reads
 * a provider's rows from there.
 */
#ifndef KIT_PROVIDER_H
#define KIT_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "kit_chat.h"
#include "kit_http.h"
#include "kit_status.h"

/*
 * Receives streamed text as it is parsed: len bytes at piece, not
 * NUL-terminated, borrowed for the duration of the callback. ctx is the
 * caller's, passed back untouched.
 */
typedef void (*kit_stream_fn)(void *ctx, const char *piece, size_t len);

typedef struct kit_provider_ops {
    /* "anthropic", "openai", "gemini": the name kit_env_base_url knows and
     * the provider column of the price table. */
    const char *name;
    /* The variable the key is read from: "ANTHROPIC_API_KEY". */
    const char *key_env;
    /* A cheap model of this provider, for programs that name none. */
    const char *default_model;
    /*
     * One attempt, exactly like kit_anthropic_call: one HTTP exchange, no
     * retry. Returns and stores in info->status KIT_OK (reply filled, the
     * caller's to clear) or the failure (reply left empty). info is always
     * filled: http_status, retry_after_ms (-1: none), error_type and
     * message from the provider's error envelope, request_id.
     */
    kit_status (*call)(const kit_transport *t, const kit_endpoint *ep,
                       const kit_chat_request *req, kit_chat_reply *reply,
                       kit_attempt *info);
    /*
     * Optional (NULL: the provider does not stream). The same attempt with
     * the answer asked for as server-sent events: on_text (may be NULL)
     * hears each piece of text in order, then reply holds the whole text,
     * the model, the stop reason and the usage, which arrive at the end.
     * Returns and fills info as call does.
     */
    kit_status (*stream)(const kit_transport *t, const kit_endpoint *ep,
                         const kit_chat_request *req, kit_stream_fn on_text,
                         void *ctx, kit_chat_reply *reply, kit_attempt *info);
} kit_provider_ops;

/* The Anthropic Messages API (kit_anthropic_call) as a provider. */
extern const kit_provider_ops kit_provider_anthropic;

/* ---- Helpers for writing a provider --------------------------------------
 */

/*
 * Starts an attempt: zeroes *reply (when not NULL) and *info, with
 * info->retry_after_ms and every rate-limit field set to -1 ("none").
 */
void kit_provider_begin(kit_attempt *info, kit_chat_reply *reply);

/*
 * Formats a string into new memory, like sprintf. Returns NULL when out of
 * memory. The caller frees it with free():
 *     char *auth = kit_provider_printf("Authorization: Bearer %s", key);
 */
char *kit_provider_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/*
 * base_url followed by the formatted path, without doubling the slash
 * ("http://h:1/" + "/v1/x" is "http://h:1/v1/x"). The caller frees it with
 * free(); NULL when out of memory.
 */
char *kit_provider_url(const char *base_url, const char *path_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * POSTs body (JSON) to url with headers (NULL-terminated "Name: value";
 * the function adds content-type and accept) and fills *resp and *info
 * from what came back: http_status, retry_after_ms (retry-after-ms, else
 * retry-after), request_id (request-id or x-request-id), the rate-limit
 * headers, and on a transport failure the transport's words in message.
 * Returns the transport's failure, or kit_status_from_http(status): KIT_OK
 * for a 2xx, KIT_ERR_RATE_LIMIT for a 429, and so on. It does not read
 * the body: the error envelope is the provider's to parse. resp is the
 * caller's to clear with kit_http_response_clear on every path.
 */
kit_status kit_provider_post(const kit_transport *t, const char *url,
                             const char *const *headers, const char *body,
                             long timeout_ms, kit_http_response *resp,
                             kit_attempt *info);

/*
 * kit_provider_post for a streamed answer: the same exchange, and on_body
 * (see kit_http_request) hears each piece of the body during it, as the
 * piece arrives, whatever the status turns out to be; resp->body still holds
 * the whole body at the end. A provider's on_body usually feeds a kit_sse.
 * on_body NULL is exactly kit_provider_post.
 */
kit_status kit_provider_post_stream(
    const kit_transport *t, const char *url, const char *const *headers,
    const char *body, long timeout_ms,
    size_t (*on_body)(void *ctx, const char *data, size_t len),
    void *on_body_ctx, kit_http_response *resp, kit_attempt *info);

/*
 * Walks a body of server-sent events one data line at a time. *pos starts
 * at the body and moves past each line read; end is one past its last
 * byte. On each call it finds the next line that starts with "data:" and
 * sets *data and *len to what follows (one leading space dropped, the line
 * ending excluded); event:, id: and comment lines and the blank lines
 * between events are skipped. Returns false when no data line is left.
 * The three providers send one data line per event.
 */
bool kit_provider_sse_next(const char **pos, const char *end, const char **data,
                           size_t *len);

/* ---- Server-sent events as they arrive ----------------------------------- */

enum { KIT_SSE_MAX_LINE = 32 * 1024 };

/*
 * An incremental reader of server-sent events: feed it the body in pieces
 * of any size, split anywhere (even inside a line or between "\r" and
 * "\n"), and it hands over each data line once the line is complete. A
 * zeroed kit_sse is ready to use; it owns no memory (one line is held in
 * the struct, up to KIT_SSE_MAX_LINE bytes), so there is nothing to free.
 */
typedef struct kit_sse {
    char line[KIT_SSE_MAX_LINE]; /* the line received so far */
    size_t len;
    bool over; /* a line passed KIT_SSE_MAX_LINE: the reader stopped */
} kit_sse;

/*
 * Receives one data line's payload, as kit_provider_sse_next gives it: len
 * bytes at data ("data:" and one leading space dropped, the line ending
 * excluded), not NUL-terminated, borrowed for the duration of the call.
 */
typedef void (*kit_sse_fn)(void *ctx, const char *data, size_t len);

/*
 * Reads len bytes of the body into s and calls on_data(ctx, ...) for every
 * data line completed by them, in order; event:, id:, comment and blank
 * lines are skipped, and a line still unfinished waits in s for the next
 * piece (a last line without its ending is never handed over). Returns
 * KIT_OK; KIT_ERR_TOO_LARGE when a line passes KIT_SSE_MAX_LINE bytes
 * (then and on every later call: the stream cannot be read further);
 * KIT_ERR_INVALID_ARG when s or on_data is NULL, or data is NULL with len
 * > 0.
 */
kit_status kit_sse_feed(kit_sse *s, const char *data, size_t len,
                        kit_sse_fn on_data, void *ctx);

#endif
