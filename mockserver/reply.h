/*
 * reply.h - the mock server's deterministic answers and its token rule.
 *
 * The token rule: one token per 4 bytes of text, rounded up (an empty text is
 * 0 tokens). A request's input tokens are the tokens of all its text counted
 * as one string: the system prompt plus every message's text, concatenated
 * without separators. A reply's output tokens are the tokens of its text.
 *
 * The answer depends only on the prompt it is given (the server passes the
 * last user message): questions about BGP, OSPF, EIGRP or VLANs get a canned
 * paragraph, anything else gets sentences picked by a hash of the prompt.
 * The same prompt therefore always gets the same text and the same counts.
 *
 * Thread-safe (no shared state).
 */
#ifndef MOCKSERVER_REPLY_H
#define MOCKSERVER_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPLY_BYTES_PER_TOKEN 4

/* Tokens for `bytes` bytes of text: bytes / 4, rounded up. */
uint32_t reply_tokens(size_t bytes);

enum reply_stop {
    REPLY_STOP_END,      /* the whole answer was given */
    REPLY_STOP_MAX,      /* cut at max_tokens */
    REPLY_STOP_SEQUENCE, /* cut before one of the stop sequences */
};

typedef struct reply {
    char *text;             /* NUL-terminated ASCII; owned, reply_free */
    size_t len;             /* strlen(text) */
    uint32_t output_tokens; /* reply_tokens(len) */
    enum reply_stop stop;   /* why the answer ended */
    const char *stop_seq;   /* with REPLY_STOP_SEQUENCE: which one
                               (borrowed from the caller's array) */
} reply;

/*
 * Builds the answer to `prompt` (len bytes, need not be NUL-terminated).
 * max_tokens: 0 for no limit; otherwise the text is cut to max_tokens * 4
 *             bytes and stop is REPLY_STOP_MAX when that cut anything.
 * stops/n_stops: stop sequences (borrowed), or NULL/0. The answer ends
 *             before the earliest one it contains.
 * Returns 0, or -1 when memory runs out (out is then zeroed).
 */
int reply_make(const char *prompt, size_t len, uint32_t max_tokens,
               const char *const *stops, size_t n_stops, reply *out);

/* Frees the text. NULL is a no-op. */
void reply_free(reply *r);

#endif /* MOCKSERVER_REPLY_H */
