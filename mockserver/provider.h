/*
 * provider.h - what the mock server needs from each provider API it speaks:
 * which paths are its, where the key is, how its requests parse, and how its
 * answers, streams and errors are written. Each provider is one
 * `static const provider_ops` table in its own file (provider_anthropic.c,
 * provider_openai.c, provider_gemini.c); provider.c holds the one list of
 * them. Adding a provider touches one new file and one row.
 *
 * None of this touches the network or libmicrohttpd: a request arrives as a
 * req_view and answers leave as bytes in a buf, so fuzzers and unit tests
 * can drive the providers directly. All functions are thread-safe.
 */
#ifndef MOCKSERVER_PROVIDER_H
#define MOCKSERVER_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "buf.h"
#include "models.h"
#include "ratelimit.h"
#include "reply.h"

/* The parts of an HTTP request a provider may look at. */
typedef struct req_view {
    const char *method;
    const char *path; /* URL-decoded, without the query string */
    /* A request header by name (case-insensitive), or NULL. */
    const char *(*header)(void *ctx, const char *name);
    /* A query-string argument by name, or NULL. */
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
} req_view;

enum endpoint {
    ENDPOINT_NONE,   /* not a path this provider serves */
    ENDPOINT_CHAT,   /* the chat call: answer whole or, if asked, streamed */
    ENDPOINT_STREAM, /* Gemini's streamGenerateContent: always streamed */
};

#define PROVIDER_MAX_STOPS 4

/* A chat request, parsed; the same shape for every provider. */
typedef struct chat_request {
    char model[80];      /* as the client spelled it */
    uint32_t max_tokens; /* 0 when the request set none */
    bool stream;         /* answer with server-sent events */
    bool stream_usage;   /* OpenAI stream_options.include_usage */
    bool sse;            /* Gemini alt=sse (else a JSON array) */
    buf text;            /* system + every message's text */
    char *last_user;     /* the last user message's text (owned) */
    size_t last_user_len;
    char *stops[PROVIDER_MAX_STOPS]; /* stop sequences (owned) */
    size_t n_stops;
} chat_request;

/* Frees what a parse put in rq. NULL is a no-op. */
void chat_request_free(chat_request *rq);

/* Everything a provider needs to write a successful answer. */
typedef struct chat_answer {
    const chat_request *rq;
    const model_info *info;
    const reply *reply;
    uint32_t input_tokens;
    const char *id;    /* "msg_…", "chatcmpl-…", or Gemini's responseId */
    long long created; /* Unix seconds */
} chat_answer;

/* An error answer, in whichever provider's envelope. */
typedef struct provider_error {
    int status;
    char message[320];
    const char *param;      /* OpenAI's "param", or NULL */
    const char *code;       /* OpenAI's "code", or NULL */
    int64_t retry_delay_ms; /* Gemini RetryInfo.retryDelay; -1 for none */
    const char *request_id; /* Anthropic's "request_id", or NULL */
} provider_error;

/* Sets e to status with a printf-style message and no extras. */
void provider_error_set(provider_error *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct provider_ops {
    enum provider_id id;
    const char *name;              /* "anthropic", "openai", "gemini" */
    enum rl_style rl_style;        /* whose rate-limit headers */
    const char *request_id_header; /* header carrying the request id */
    const char *answer_id_prefix;  /* "msg_", "chatcmpl-", "" */

    /* Which of this provider's endpoints path is. Gemini's paths carry the
       model: it is copied into model (size n); others leave it alone. */
    enum endpoint (*endpoint)(const char *path, char *model, size_t n);
    /* True when an unknown path looks like this provider's API, so its
       404 should come in this provider's envelope. */
    bool (*resembles)(const req_view *v);
    /* The API key the request carries (borrowed from v), or NULL when
       there is none or it is empty. */
    const char *(*api_key)(const req_view *v);
    /* Writes the error for a missing key. */
    void (*missing_key)(provider_error *e);
    /* Checks headers the provider requires besides the key.
       Returns 0, or -1 with e set. */
    int (*check_headers)(const req_view *v, provider_error *e);
    /* Parses a chat request body. Returns 0, or -1 with e set (400). */
    int (*parse)(const req_view *v, enum endpoint ep, const char *body,
                 size_t len, chat_request *rq, provider_error *e);
    /* Writes the error for an unknown model. */
    void (*unknown_model)(const char *model, provider_error *e);
    /* The status to answer a body over the size limit with (413; Gemini
       says 400), with e set. */
    void (*too_large)(provider_error *e);
    /* Writes the whole JSON answer. Returns 0, or -1 on no memory. */
    int (*format_answer)(const chat_answer *a, buf *out);
    /* Writes the streamed answer: server-sent events, each ending in a
       blank line (Gemini without alt=sse: one JSON array). Same return. */
    int (*format_stream)(const chat_answer *a, buf *out);
    /* Writes the error envelope. Same return. */
    int (*format_error)(const provider_error *e, buf *out);
} provider_ops;

extern const provider_ops provider_anthropic;
extern const provider_ops provider_openai;
extern const provider_ops provider_gemini;

/*
 * The provider whose endpoint path is (setting *ep and, for Gemini, model),
 * else the provider the path most resembles with *ep = ENDPOINT_NONE.
 * Never NULL: a path like no provider's gets OpenAI's envelope, the most
 * generic of the three.
 */
const provider_ops *provider_route(const req_view *v, enum endpoint *ep,
                                   char *model, size_t n);

/* ---- Helpers the provider files share (provider.c) ---------------------- */

/* Splits reply text into pieces for stream events, about `words` words
   each. Calls piece(ctx, start, len) in order; stops at the first
   non-zero return and returns it. */
int provider_split_text(const char *text, size_t len, int words,
                        int (*piece)(void *ctx, const char *s, size_t n),
                        void *ctx);

/* Appends one server-sent event: "event: NAME\n" (when name is not NULL),
   "data: " the unformatted JSON of obj, "\n\n". Frees nothing. */
int provider_sse_json(buf *out, const char *name, const cJSON *obj);

/* Appends the unformatted JSON of obj. */
int provider_put_json(buf *out, const cJSON *obj);

/* Copies a JSON string value into dst (size n); false if not a string or
   too long. */
bool provider_copy_string(const cJSON *item, char *dst, size_t n);

/* Reads a JSON number that must be a whole number in [lo, hi]. */
bool provider_get_int(const cJSON *item, double lo, double hi, int64_t *out);

#endif /* MOCKSERVER_PROVIDER_H */
