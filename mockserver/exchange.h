/*
 * exchange.h - one provider request in, one decision out: what the mock
 * server answers (status, headers, body), which fault it acts out, and how
 * late. This is where scripts, the rate limiter, early-retry judging, the
 * bill and the journal meet; server.c only carries the result to the wire.
 *
 * No libmicrohttpd here: a fuzzer can call exchange_handle with any bytes.
 * Thread-safe (the state's parts lock themselves).
 */
#ifndef MOCKSERVER_EXCHANGE_H
#define MOCKSERVER_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "journal.h"
#include "mockstate.h"
#include "provider.h"
#include "script.h"

/* Bodies over this many bytes are refused (413; Gemini 400). */
#define EXCHANGE_MAX_BODY (1024u * 1024u)

typedef struct exchange_result {
    int status;            /* HTTP status; 0 when no response is sent */
    enum fault_kind fault; /* what to act out instead of a plain answer */
    uint32_t delay_ms;     /* wait this long first; for FAULT_TIMEOUT, how
                              long to hold the connection before closing */
    char *body;            /* owned; may be NULL when body_len is 0 */
    size_t body_len;
    bool events;              /* body is a stream: send it chunked, one event
                                 (up to a blank line) at a time */
    size_t cut_at;            /* FAULT_PARTIAL: bytes sent before the cut */
    const char *content_type; /* static */
    buf headers;              /* extra headers: "name\0value\0" pairs */
    journal_entry entry;      /* the journal entry written for it */
} exchange_result;

/*
 * Decides the answer to one request.
 * st:        the server's state.
 * v:         the request (method, path, headers, query).
 * body, len: the request body as received (at most EXCHANGE_MAX_BODY
 *            bytes kept); too_large says more arrived than that.
 * conn:      the id of the TCP connection it came on (for the journal).
 * out:       written in full; free with exchange_result_free.
 */
void exchange_handle(mockstate *st, const req_view *v, const char *body,
                     size_t len, bool too_large, uint64_t conn,
                     exchange_result *out);

/* Frees what exchange_handle put in r. NULL is a no-op. */
void exchange_result_free(exchange_result *r);

/* Adds one "name\0value\0" pair to a header list. Returns 0 or -1. */
int exchange_add_header(buf *headers, const char *name, const char *value);

#endif /* MOCKSERVER_EXCHANGE_H */
