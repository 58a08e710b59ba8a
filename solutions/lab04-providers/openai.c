/*
 * OpenAI Chat Completions as a provider, lab 4: the twin of the library's
 * Anthropic worked example. Only what differs from Anthropic lives here:
 * the path, the Bearer header, the body, the reply and the error envelope.
 */
#include "providers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

/* The body both the plain and the streamed request send. Caller frees. */
static char *build_body(const kit_chat_request *req, bool stream)
{
    cJSON *root = cJSON_CreateObject(), *messages, *msg;
    char *printed = NULL, *body = NULL;

    if (!root || !cJSON_AddStringToObject(root, "model", req->model) ||
        !cJSON_AddNumberToObject(root, "max_tokens", req->max_tokens))
        goto out;
    if (req->temperature >= 0 &&
        !cJSON_AddNumberToObject(root, "temperature", req->temperature))
        goto out;
    messages = cJSON_AddArrayToObject(root, "messages");
    if (!messages)
        goto out;
    /* OpenAI has no "system" field: the system prompt is the first
     * message, with role "system". */
    if (req->system && req->system[0]) {
        msg = cJSON_CreateObject();
        if (!msg || !cJSON_AddItemToArray(messages, msg)) {
            cJSON_Delete(msg);
            goto out;
        }
        if (!cJSON_AddStringToObject(msg, "role", "system") ||
            !cJSON_AddStringToObject(msg, "content", req->system))
            goto out;
    }
    msg = cJSON_CreateObject();
    if (!msg || !cJSON_AddItemToArray(messages, msg)) {
        cJSON_Delete(msg);
        goto out;
    }
    if (!cJSON_AddStringToObject(msg, "role", "user") ||
        !cJSON_AddStringToObject(msg, "content", req->prompt))
        goto out;
    if (stream) {
        cJSON *opts;

        /* Without include_usage a stream never says what it cost. */
        if (!cJSON_AddTrueToObject(root, "stream"))
            goto out;
        opts = cJSON_AddObjectToObject(root, "stream_options");
        if (!opts || !cJSON_AddTrueToObject(opts, "include_usage"))
            goto out;
    }
    printed = cJSON_PrintUnformatted(root);
    if (printed)
        body = strdup(printed);
out:
    cJSON_free(printed);
    cJSON_Delete(root);
    return body;
}

/* A JSON number that is a whole count >= 0, or -1. */
static long count_of(const cJSON *item)
{
    double v;

    if (!cJSON_IsNumber(item))
        return -1;
    v = item->valuedouble;
    if (v < 0 || v > 1e15 || floor(v) != v)
        return -1;
    return (long)v;
}

/* Reads usage.prompt_tokens and completion_tokens; false when absent. */
static bool read_usage(const cJSON *usage, kit_chat_reply *reply)
{
    long in =
        count_of(cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens"));
    long out =
        count_of(cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens"));

    if (in < 0 || out < 0)
        return false;
    reply->input_tokens = in;
    reply->output_tokens = out;
    return true;
}

static void copy_string(char *dst, size_t n, const cJSON *item)
{
    snprintf(dst, n, "%s", cJSON_IsString(item) ? item->valuestring : "");
}

/* A 200 answer: text, model, usage, finish reason. */
static kit_status parse_reply(const char *body, size_t len,
                              kit_chat_reply *reply, char *err, size_t errlen)
{
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, NULL, false);
    const cJSON *choice, *message, *content;
    kit_status rc = KIT_ERR_BAD_RESPONSE;

    choice = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    message = cJSON_GetObjectItemCaseSensitive(choice, "message");
    content = cJSON_GetObjectItemCaseSensitive(message, "content");
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "the body is not a JSON object");
        goto out;
    }
    if (!cJSON_IsObject(message)) {
        snprintf(err, errlen, "it has no choices[0].message");
        goto out;
    }
    /* content is null when the model only refused or called a tool: an
     * empty answer, not a broken one. */
    if (!cJSON_IsString(content) && !cJSON_IsNull(content)) {
        snprintf(err, errlen, "choices[0].message.content is not a string");
        goto out;
    }
    if (!read_usage(cJSON_GetObjectItemCaseSensitive(root, "usage"), reply)) {
        snprintf(err, errlen,
                 "usage lacks whole prompt_tokens and "
                 "completion_tokens");
        goto out;
    }
    reply->text = strdup(cJSON_IsString(content) ? content->valuestring : "");
    if (!reply->text) {
        rc = KIT_ERR_NO_MEMORY;
        goto out;
    }
    copy_string(reply->model, sizeof(reply->model),
                cJSON_GetObjectItemCaseSensitive(root, "model"));
    copy_string(reply->stop_reason, sizeof(reply->stop_reason),
                cJSON_GetObjectItemCaseSensitive(choice, "finish_reason"));
    rc = KIT_OK;
out:
    cJSON_Delete(root);
    return rc;
}

/*
 * {"error":{"message","type","param","code"}}: the code names the error
 * best ("rate_limit_exceeded", "invalid_api_key"), and is often null; the
 * type ("requests", "server_error") stands in then.
 */
static void parse_error(const kit_http_response *resp, kit_attempt *info)
{
    cJSON *root =
        cJSON_ParseWithLengthOpts(resp->body, resp->body_len, NULL, false);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(error, "type");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");

    if (cJSON_IsString(message)) {
        copy_string(info->error_type, sizeof(info->error_type),
                    cJSON_IsString(code) ? code : type);
        copy_string(info->message, sizeof(info->message), message);
    } else {
        snprintf(info->message, sizeof(info->message),
                 "HTTP %ld without an error envelope", resp->status);
    }
    cJSON_Delete(root);
}

/*
 * The attempt both entry points share. With stream set, the body is read
 * as server-sent events while it arrives and on_text hears each piece.
 */
static kit_status attempt(const kit_transport *t, const kit_endpoint *ep,
                          const kit_chat_request *req, bool stream,
                          kit_stream_fn on_text, void *ctx,
                          kit_chat_reply *reply, kit_attempt *info);

static kit_status openai_call(const kit_transport *t, const kit_endpoint *ep,
                              const kit_chat_request *req,
                              kit_chat_reply *reply, kit_attempt *info)
{
    return attempt(t, ep, req, false, NULL, NULL, reply, info);
}

static kit_status openai_stream(const kit_transport *t, const kit_endpoint *ep,
                                const kit_chat_request *req,
                                kit_stream_fn on_text, void *ctx,
                                kit_chat_reply *reply, kit_attempt *info)
{
    return attempt(t, ep, req, true, on_text, ctx, reply, info);
}

/* A growing text, for the pieces of a stream. */
typedef struct text_buf {
    char *s;
    size_t len, cap;
} text_buf;

static bool text_append(text_buf *b, const char *piece, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *s;

        while (cap < b->len + n + 1)
            cap *= 2;
        s = realloc(b->s, cap);
        if (!s)
            return false;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, piece, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

/*
 * A stream of chat.completion.chunk events: each delta.content is a piece;
 * the finish_reason comes in the last chunk with a choice, the usage in a
 * chunk with no choices, then "data: [DONE]". It is read as it arrives:
 * the transport hands each piece of the body to on_body, the kit_sse reader
 * each whole data line to on_event, and on_text hears the text at once.
 */
typedef struct sse_stream {
    kit_sse sse;
    kit_stream_fn on_text;
    void *ctx;
    kit_chat_reply *reply; /* model and stop reason, filled as they come */
    text_buf text;
    bool done, usage;
    kit_status rc; /* the first failure: the events after it are ignored */
    char err[160];
} sse_stream;

/* The reader's state is a whole line (KIT_SSE_MAX_LINE): on the heap, not
 * the stack. NULL when out of memory. */
static sse_stream *stream_new(kit_stream_fn on_text, void *ctx,
                              kit_chat_reply *reply)
{
    sse_stream *s = calloc(1, sizeof(*s));

    if (s) {
        s->on_text = on_text;
        s->ctx = ctx;
        s->reply = reply;
    }
    return s;
}

static void stream_free(sse_stream *s)
{
    if (s)
        free(s->text.s);
    free(s);
}

static void on_event(void *arg, const char *data, size_t n)
{
    sse_stream *s = arg;
    cJSON *chunk;
    const cJSON *choice, *piece, *finish;

    if (s->done || s->rc != KIT_OK)
        return;
    if (n == 6 && memcmp(data, "[DONE]", 6) == 0) {
        s->done = true;
        return;
    }
    chunk = cJSON_ParseWithLengthOpts(data, n, NULL, false);
    if (!cJSON_IsObject(chunk)) {
        snprintf(s->err, sizeof(s->err), "an event is not a JSON object");
        s->rc = KIT_ERR_BAD_RESPONSE;
        goto out;
    }
    if (!s->reply->model[0])
        copy_string(s->reply->model, sizeof(s->reply->model),
                    cJSON_GetObjectItemCaseSensitive(chunk, "model"));
    choice = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(chunk, "choices"), 0);
    piece = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(choice, "delta"), "content");
    if (cJSON_IsString(piece) && piece->valuestring[0]) {
        size_t m = strlen(piece->valuestring);

        if (!text_append(&s->text, piece->valuestring, m)) {
            s->rc = KIT_ERR_NO_MEMORY;
            goto out;
        }
        if (s->on_text)
            s->on_text(s->ctx, piece->valuestring, m);
    }
    finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    if (cJSON_IsString(finish))
        copy_string(s->reply->stop_reason, sizeof(s->reply->stop_reason),
                    finish);
    if (read_usage(cJSON_GetObjectItemCaseSensitive(chunk, "usage"), s->reply))
        s->usage = true;
out:
    cJSON_Delete(chunk);
}

/* The transport's body callback. It never stops the transfer: an error
 * answer's body must still arrive whole, for parse_error. */
static size_t on_body(void *arg, const char *data, size_t len)
{
    sse_stream *s = arg;

    if (s->rc == KIT_OK && !s->done &&
        kit_sse_feed(&s->sse, data, len, on_event, s) != KIT_OK) {
        snprintf(s->err, sizeof(s->err), "an event line passed %d bytes",
                 KIT_SSE_MAX_LINE);
        s->rc = KIT_ERR_BAD_RESPONSE;
    }
    return len;
}

/* Once the body has ended: the whole text into reply, or why not. */
static kit_status end_stream(sse_stream *s, char *err, size_t errlen)
{
    if (s->rc == KIT_OK && (!s->done || !s->usage)) {
        snprintf(s->err, sizeof(s->err), "the stream ended without %s",
                 s->done ? "its usage" : "data: [DONE]");
        s->rc = KIT_ERR_BAD_RESPONSE;
    }
    if (s->rc == KIT_OK) {
        s->reply->text = s->text.s ? s->text.s : strdup("");
        s->text.s = NULL;
        if (!s->reply->text)
            s->rc = KIT_ERR_NO_MEMORY;
    }
    snprintf(err, errlen, "%s", s->err);
    return s->rc;
}

static kit_status attempt(const kit_transport *t, const kit_endpoint *ep,
                          const kit_chat_request *req, bool stream,
                          kit_stream_fn on_text, void *ctx,
                          kit_chat_reply *reply, kit_attempt *info)
{
    char *body = NULL, *url = NULL, *auth = NULL;
    sse_stream *st = NULL;
    kit_http_response resp;
    kit_status rc;
    char err[160] = "";

    memset(&resp, 0, sizeof(resp));
    if (!info)
        return KIT_ERR_INVALID_ARG;
    kit_provider_begin(info, reply);
    if (!t || !ep || !ep->base_url || !req || !req->model || !req->prompt ||
        req->max_tokens <= 0 || !reply) {
        rc = KIT_ERR_INVALID_ARG;
        snprintf(info->message, sizeof(info->message),
                 "openai: needs a transport, an endpoint, a model, a prompt "
                 "and max_tokens > 0");
        goto out;
    }
    if (!ep->api_key || !ep->api_key[0]) {
        rc = KIT_ERR_NO_KEY;
        snprintf(info->message, sizeof(info->message),
                 "no API key given (is OPENAI_API_KEY set?)");
        goto out;
    }
    body = build_body(req, stream);
    url = kit_provider_url(ep->base_url, "/v1/chat/completions");
    auth = kit_provider_printf("Authorization: Bearer %s", ep->api_key);
    if (stream)
        st = stream_new(on_text, ctx, reply);
    if (!body || !url || !auth || (stream && !st)) {
        rc = KIT_ERR_NO_MEMORY;
        goto out;
    }
    {
        const char *headers[] = {auth, NULL};

        /* A stream is read during the exchange, so that on_text hears
         * each piece as it comes, not all of them once the body is in. */
        rc = kit_provider_post_stream(t, url, headers, body, req->timeout_ms,
                                      st ? on_body : NULL, st, &resp, info);
    }
    if (rc != KIT_OK) {
        if (resp.status != 0)
            parse_error(&resp, info);
        goto out;
    }
    if (stream)
        rc = end_stream(st, err, sizeof(err));
    else
        rc = parse_reply(resp.body, resp.body_len, reply, err, sizeof(err));
    if (rc != KIT_OK) {
        snprintf(info->message, sizeof(info->message),
                 "HTTP %ld but the body is not a chat completion: %s",
                 resp.status, err);
        goto out;
    }
    snprintf(reply->request_id, sizeof(reply->request_id), "%s",
             info->request_id);
out:
    info->status = rc;
    if (rc != KIT_OK)
        kit_chat_reply_clear(reply);
    kit_http_response_clear(&resp);
    stream_free(st);
    free(auth);
    free(url);
    free(body);
    return rc;
}

const kit_provider_ops provider_openai = {
    .name = "openai",
    .key_env = "OPENAI_API_KEY",
    .default_model = "gpt-4o-mini",
    .call = openai_call,
    .stream = openai_stream,
};
