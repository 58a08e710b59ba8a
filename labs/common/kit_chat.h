/*
 * kit_chat: one chat request to a provider, in the provider-neutral shape
 * every lab uses, and the Anthropic Messages API as the provided worked
 * example. One call here is exactly one HTTP attempt: retrying is the
 * learner's job (labs 0 and 1).
 */
#ifndef KIT_CHAT_H
#define KIT_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "kit_http.h"
#include "kit_status.h"

/* What to ask. All pointers are borrowed for the duration of the call. */
typedef struct kit_chat_request {
    const char *model;  /* "claude-haiku-4.5" */
    const char *system; /* system prompt, or NULL */
    const char *prompt; /* the user's message */
    int max_tokens;     /* > 0 */
    double temperature; /* 0.0 to 1.0; negative: the provider's default */
    long timeout_ms;    /* for this attempt; 0: the transport's default */
} kit_chat_request;

/* What came back on success. */
typedef struct kit_chat_reply {
    char *text;     /* owned; kit_chat_reply_clear frees it */
    char model[64]; /* the model the provider says answered */
    long input_tokens;
    long output_tokens;
    char stop_reason[32]; /* "end_turn", "max_tokens", "stop", "length"... */
    char request_id[96];
} kit_chat_reply;

/* Frees what reply owns and zeroes it. NULL is a no-op. */
void kit_chat_reply_clear(kit_chat_reply *reply);

/*
 * What one attempt told us, on success or failure: everything a retry policy
 * needs to decide, and nothing it has to parse itself.
 */
typedef struct kit_attempt {
    kit_status status; /* KIT_OK, a transport error, or from the HTTP status */
    long http_status;  /* 0 when no response arrived */
    long retry_after_ms; /* the server's retry-after(-ms); -1 when none */
    char error_type[48]; /* the envelope's type: "rate_limit_error" */
    char message[256];   /* the envelope's message, or curl's */
    char request_id[96];
    kit_ratelimit ratelimit; /* the provider's rate-limit headers */
} kit_attempt;

/* Where to send it. Borrowed. */
typedef struct kit_endpoint {
    const char *base_url; /* "https://api.anthropic.com", or the mock server */
    const char *api_key;
} kit_endpoint;

/*
 * Builds the Anthropic Messages request body for req. On success *body_out
 * is a NUL-terminated JSON string the caller frees with free().
 */
kit_status kit_anthropic_build_body(const kit_chat_request *req,
                                    char **body_out);

/*
 * Parses a 200 response body of the Messages API into *reply (text from all
 * text blocks, model, usage, stop reason). KIT_ERR_BAD_RESPONSE, with the
 * reason in err, for a body that is not one.
 */
kit_status kit_anthropic_parse_reply(const char *body, size_t len,
                                     kit_chat_reply *reply, char *err,
                                     size_t errlen);

/*
 * Reads the error envelope {"type":"error","error":{"type","message"}} into
 * type and message (truncated to typelen and msglen). Returns false when the
 * body is not one (both are then empty strings). It also reads OpenAI's
 * {"error":{"message","type",...}} and Gemini's {"error":{"status",
 * "message",...}} (status as the type).
 */
bool kit_anthropic_parse_error(const char *body, size_t len, char *type,
                               size_t typelen, char *message, size_t msglen);

/*
 * One attempt: POST {base_url}/v1/messages with the key and version headers,
 * then parse. Returns and stores in info->status KIT_OK (reply filled) or the
 * failure (reply left empty, info says why). info is always filled; reply is
 * the caller's to clear on success.
 */
kit_status kit_anthropic_call(const kit_transport *t, const kit_endpoint *ep,
                              const kit_chat_request *req,
                              kit_chat_reply *reply, kit_attempt *info);

#endif
