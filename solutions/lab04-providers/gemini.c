/*
 * Google Gemini generateContent as a provider, lab 4. The model is part of
 * the path, the key travels in the x-goog-api-key header (never in a
 * ?key= query string, which proxies and access logs keep), and a 429
 * carries its wait in the body, as RetryInfo's retryDelay.
 */
#include "providers.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

/*
 * A model name goes into the URL's path as is, so it may hold only what
 * model names hold: a '/', '?' or '#' would send the request somewhere else.
 */
static bool model_fits_in_path(const char *model)
{
    size_t n = strlen(model);

    return n > 0 && strspn(model, "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789.-_") == n;
}

static char *build_body(const kit_chat_request *req)
{
    cJSON *root = cJSON_CreateObject(), *contents, *content, *parts, *part;
    cJSON *config;
    char *printed = NULL, *body = NULL;

    if (!root)
        goto out;
    contents = cJSON_AddArrayToObject(root, "contents");
    content = cJSON_CreateObject();
    if (!contents || !content || !cJSON_AddItemToArray(contents, content)) {
        cJSON_Delete(content);
        goto out;
    }
    if (!cJSON_AddStringToObject(content, "role", "user") ||
        !(parts = cJSON_AddArrayToObject(content, "parts")) ||
        !(part = cJSON_CreateObject()) || !cJSON_AddItemToArray(parts, part) ||
        !cJSON_AddStringToObject(part, "text", req->prompt))
        goto out;
    if (req->system && req->system[0]) {
        cJSON *instruction = cJSON_AddObjectToObject(root, "systemInstruction");

        if (!instruction ||
            !(parts = cJSON_AddArrayToObject(instruction, "parts")) ||
            !(part = cJSON_CreateObject()) ||
            !cJSON_AddItemToArray(parts, part) ||
            !cJSON_AddStringToObject(part, "text", req->system))
            goto out;
    }
    config = cJSON_AddObjectToObject(root, "generationConfig");
    if (!config ||
        !cJSON_AddNumberToObject(config, "maxOutputTokens", req->max_tokens))
        goto out;
    if (req->temperature >= 0 &&
        !cJSON_AddNumberToObject(config, "temperature", req->temperature))
        goto out;
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

static void copy_string(char *dst, size_t n, const cJSON *item)
{
    snprintf(dst, n, "%s", cJSON_IsString(item) ? item->valuestring : "");
}

/*
 * usageMetadata: promptTokenCount always; candidatesTokenCount is left out
 * when the answer has no tokens (and in a stream's early events), so its
 * absence reads as 0.
 */
static bool read_usage(const cJSON *usage, kit_chat_reply *reply)
{
    const cJSON *out_item =
        cJSON_GetObjectItemCaseSensitive(usage, "candidatesTokenCount");
    long in =
        count_of(cJSON_GetObjectItemCaseSensitive(usage, "promptTokenCount"));
    long out = out_item ? count_of(out_item) : 0;

    if (in < 0 || out < 0)
        return false;
    reply->input_tokens = in;
    reply->output_tokens = out;
    return true;
}

/* Calls fn on every text part of candidates[0], in order. */
static bool each_part(const cJSON *root,
                      bool (*fn)(void *arg, const char *text), void *arg)
{
    const cJSON *candidate = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "candidates"), 0);
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(candidate, "content"), "parts");
    const cJSON *part;

    cJSON_ArrayForEach(part, parts)
    {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");

        if (cJSON_IsString(text) && !fn(arg, text->valuestring))
            return false;
    }
    return true;
}

/* A growing text. */
typedef struct text_buf {
    char *s;
    size_t len, cap;
    kit_stream_fn on_text; /* when streaming: hears each piece */
    void *ctx;
} text_buf;

static bool text_append(void *arg, const char *piece)
{
    text_buf *b = arg;
    size_t n = strlen(piece);

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
    if (b->on_text && n)
        b->on_text(b->ctx, piece, n);
    return true;
}

/*
 * Reads one GenerateContentResponse (a whole answer, or one event of a
 * stream) into reply and text: the pieces, the model, the finish reason,
 * the usage. Returns KIT_OK, or KIT_ERR_BAD_RESPONSE with err set.
 */
static kit_status read_response(const cJSON *root, const char *req_model,
                                text_buf *text, bool *usage_seen,
                                kit_chat_reply *reply, char *err, size_t errlen)
{
    const cJSON *candidate = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "candidates"), 0);
    const cJSON *finish =
        cJSON_GetObjectItemCaseSensitive(candidate, "finishReason");
    const cJSON *usage =
        cJSON_GetObjectItemCaseSensitive(root, "usageMetadata");
    const cJSON *version =
        cJSON_GetObjectItemCaseSensitive(root, "modelVersion");

    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "the body is not a JSON object");
        return KIT_ERR_BAD_RESPONSE;
    }
    /* No candidate at all: the prompt itself was blocked. */
    if (!cJSON_IsObject(candidate)) {
        snprintf(err, errlen, "it has no candidates[0]");
        return KIT_ERR_BAD_RESPONSE;
    }
    if (!each_part(root, text_append, text))
        return KIT_ERR_NO_MEMORY;
    if (cJSON_IsString(finish))
        copy_string(reply->stop_reason, sizeof(reply->stop_reason), finish);
    if (usage && read_usage(usage, reply))
        *usage_seen = true;
    snprintf(reply->model, sizeof(reply->model), "%s",
             cJSON_IsString(version) ? version->valuestring : req_model);
    return KIT_OK;
}

static kit_status parse_reply(const char *body, size_t len,
                              const char *req_model, kit_chat_reply *reply,
                              char *err, size_t errlen)
{
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, NULL, false);
    text_buf text = {0};
    bool usage = false;
    kit_status rc;

    rc = read_response(root, req_model, &text, &usage, reply, err, errlen);
    if (rc == KIT_OK && !usage) {
        snprintf(err, errlen, "usageMetadata lacks a whole promptTokenCount");
        rc = KIT_ERR_BAD_RESPONSE;
    }
    if (rc == KIT_OK) {
        reply->text = text.s ? text.s : strdup("");
        text.s = NULL;
        if (!reply->text)
            rc = KIT_ERR_NO_MEMORY;
    }
    free(text.s);
    cJSON_Delete(root);
    return rc;
}

/*
 * A stream is a series of GenerateContentResponse events, each with a
 * piece of the text; the finish reason and the full usage come in the
 * last. There is no [DONE]: the body simply ends. It is read as it
 * arrives: the transport hands each piece of the body to on_body, the
 * kit_sse reader each whole data line to on_event, and on_text hears the
 * text at once.
 */
typedef struct sse_stream {
    kit_sse sse;
    const char *req_model;
    kit_chat_reply *reply; /* model and stop reason, filled as they come */
    text_buf text;
    bool usage;
    kit_status rc; /* the first failure: the events after it are ignored */
    char err[160];
} sse_stream;

/* The reader's state is a whole line (KIT_SSE_MAX_LINE): on the heap, not
 * the stack. NULL when out of memory. */
static sse_stream *stream_new(const char *req_model, kit_stream_fn on_text,
                              void *ctx, kit_chat_reply *reply)
{
    sse_stream *s = calloc(1, sizeof(*s));

    if (s) {
        s->req_model = req_model;
        s->reply = reply;
        s->text.on_text = on_text;
        s->text.ctx = ctx;
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
    cJSON *event;

    if (s->rc != KIT_OK)
        return;
    event = cJSON_ParseWithLengthOpts(data, n, NULL, false);
    s->rc = read_response(event, s->req_model, &s->text, &s->usage, s->reply,
                          s->err, sizeof(s->err));
    cJSON_Delete(event);
}

/* The transport's body callback. It never stops the transfer: an error
 * answer's body must still arrive whole, for parse_error. */
static size_t on_body(void *arg, const char *data, size_t len)
{
    sse_stream *s = arg;

    if (s->rc == KIT_OK &&
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
    if (s->rc == KIT_OK && !s->usage) {
        snprintf(s->err, sizeof(s->err),
                 "the stream ended without usageMetadata");
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

/*
 * A protobuf Duration as JSON: seconds with up to nine decimals and an 's',
 * "2s", "1.500s", "0.150s". Returns whole milliseconds, rounded up, or -1
 * when s is not one. Read digit by digit: 2.007 * 1000 in floating point is
 * 2007.0000000000002, which rounds up to the wrong millisecond.
 */
static long duration_ms(const char *s)
{
    long ms = 0;
    int frac_digits = 0;
    bool more = false;

    if (!s || !isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (ms > 86400000L)
            return -1;
        ms = ms * 10 + (*s - '0');
    }
    ms *= 1000;
    if (*s == '.') {
        long frac = 0;

        for (s++; isdigit((unsigned char)*s); s++, frac_digits++) {
            if (frac_digits < 3)
                frac = frac * 10 + (*s - '0');
            else if (*s != '0')
                more = true; /* below a millisecond: round up */
        }
        if (frac_digits == 0)
            return -1;
        for (int i = frac_digits; i < 3; i++)
            frac *= 10;
        ms += frac + (more ? 1 : 0);
    }
    return strcmp(s, "s") == 0 ? ms : -1;
}

/*
 * {"error":{"code","message","status","details":[...]}}: the status is
 * the canonical word (RESOURCE_EXHAUSTED, UNAUTHENTICATED...), and a 429's
 * details hold a google.rpc.RetryInfo with the wait.
 */
static void parse_error(const kit_http_response *resp, kit_attempt *info)
{
    cJSON *root =
        cJSON_ParseWithLengthOpts(resp->body, resp->body_len, NULL, false);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(error, "status");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    const cJSON *detail;

    if (cJSON_IsString(message)) {
        copy_string(info->error_type, sizeof(info->error_type), status);
        copy_string(info->message, sizeof(info->message), message);
    } else {
        snprintf(info->message, sizeof(info->message),
                 "HTTP %ld without an error envelope", resp->status);
    }
    /* A retry-after header, when the server sent one, already set the
     * wait; the body's is the one Gemini itself sends. */
    cJSON_ArrayForEach(detail,
                       cJSON_GetObjectItemCaseSensitive(error, "details"))
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(detail, "@type");
        const cJSON *delay =
            cJSON_GetObjectItemCaseSensitive(detail, "retryDelay");
        long ms;

        if (!cJSON_IsString(type) || !cJSON_IsString(delay) ||
            !strstr(type->valuestring, "google.rpc.RetryInfo"))
            continue;
        ms = duration_ms(delay->valuestring);
        if (ms >= 0 && info->retry_after_ms < 0)
            info->retry_after_ms = ms;
    }
    cJSON_Delete(root);
}

static kit_status attempt(const kit_transport *t, const kit_endpoint *ep,
                          const kit_chat_request *req, bool stream,
                          kit_stream_fn on_text, void *ctx,
                          kit_chat_reply *reply, kit_attempt *info)
{
    char *body = NULL, *url = NULL, *key = NULL;
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
                 "gemini: needs a transport, an endpoint, a model, a prompt "
                 "and max_tokens > 0");
        goto out;
    }
    if (!model_fits_in_path(req->model)) {
        rc = KIT_ERR_INVALID_ARG;
        snprintf(info->message, sizeof(info->message),
                 "gemini: a model name holds only letters, digits, '.', '-' "
                 "and '_'");
        goto out;
    }
    if (!ep->api_key || !ep->api_key[0]) {
        rc = KIT_ERR_NO_KEY;
        snprintf(info->message, sizeof(info->message),
                 "no API key given (is GOOGLE_API_KEY set?)");
        goto out;
    }
    body = build_body(req);
    url = stream ? kit_provider_url(ep->base_url,
                                    "/v1beta/models/%s:streamGenerateContent"
                                    "?alt=sse",
                                    req->model)
                 : kit_provider_url(ep->base_url,
                                    "/v1beta/models/%s:generateContent",
                                    req->model);
    key = kit_provider_printf("x-goog-api-key: %s", ep->api_key);
    if (stream)
        st = stream_new(req->model, on_text, ctx, reply);
    if (!body || !url || !key || (stream && !st)) {
        rc = KIT_ERR_NO_MEMORY;
        goto out;
    }
    {
        const char *headers[] = {key, NULL};

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
        rc = parse_reply(resp.body, resp.body_len, req->model, reply, err,
                         sizeof(err));
    if (rc != KIT_OK) {
        snprintf(info->message, sizeof(info->message),
                 "HTTP %ld but the body is not a generateContent answer: %s",
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
    free(key);
    free(url);
    free(body);
    return rc;
}

static kit_status gemini_call(const kit_transport *t, const kit_endpoint *ep,
                              const kit_chat_request *req,
                              kit_chat_reply *reply, kit_attempt *info)
{
    return attempt(t, ep, req, false, NULL, NULL, reply, info);
}

static kit_status gemini_stream(const kit_transport *t, const kit_endpoint *ep,
                                const kit_chat_request *req,
                                kit_stream_fn on_text, void *ctx,
                                kit_chat_reply *reply, kit_attempt *info)
{
    return attempt(t, ep, req, true, on_text, ctx, reply, info);
}

const kit_provider_ops provider_gemini = {
    .name = "gemini",
    .key_env = "GOOGLE_API_KEY",
    .default_model = "gemini-1.5-flash",
    .call = gemini_call,
    .stream = gemini_stream,
};
