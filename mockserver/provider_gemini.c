/*
 * The Gemini generateContent API as the mock server speaks it: POST
 * /v1beta/models/{model}:generateContent (and :streamGenerateContent, and
 * the same under /v1/), key in x-goog-api-key or ?key=, errors in
 * {"error":{"code","message","status"}} with Google's canonical statuses.
 */
#include "provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static enum endpoint endpoint(const char *path, char *model, size_t n)
{
    const char *rest, *colon;
    enum endpoint ep;
    size_t len;

    if (strncmp(path, "/v1beta/models/", 15) == 0)
        rest = path + 15;
    else if (strncmp(path, "/v1/models/", 11) == 0)
        rest = path + 11;
    else
        return ENDPOINT_NONE;
    colon = strchr(rest, ':');
    if (!colon || colon == rest || memchr(rest, '/', (size_t)(colon - rest)))
        return ENDPOINT_NONE;
    if (strcmp(colon, ":generateContent") == 0)
        ep = ENDPOINT_CHAT;
    else if (strcmp(colon, ":streamGenerateContent") == 0)
        ep = ENDPOINT_STREAM;
    else
        return ENDPOINT_NONE;
    len = (size_t)(colon - rest);
    if (len >= n)
        len = n - 1;
    memcpy(model, rest, len);
    model[len] = '\0';
    return ep;
}

static bool resembles(const req_view *v)
{
    return strncmp(v->path, "/v1beta/", 8) == 0 ||
           strncmp(v->path, "/v1/models/", 11) == 0 ||
           strstr(v->path, "GenerateContent") != NULL ||
           strstr(v->path, "generateContent") != NULL ||
           v->header(v->ctx, "x-goog-api-key") != NULL;
}

static const char *api_key(const req_view *v)
{
    const char *k = v->header(v->ctx, "x-goog-api-key");

    /* The header wins over ?key=, as with the real API. */
    if (k && k[0])
        return k;
    k = v->query(v->ctx, "key");
    return (k && k[0]) ? k : NULL;
}

static void missing_key(provider_error *e)
{
    /* The real API answers a request without a key with 403, not 401. */
    provider_error_set(e, 403,
                       "Method doesn't allow unregistered callers (callers "
                       "without established identity). Please use API Key "
                       "or other form of API consumer identity to call this "
                       "API.");
}

static int check_headers(const req_view *v, provider_error *e)
{
    (void)v;
    (void)e;
    return 0;
}

static const cJSON *get2(const cJSON *o, const char *camel, const char *snake)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, camel);

    return f ? f : cJSON_GetObjectItemCaseSensitive(o, snake);
}

/* Adds the text parts of a Content object ({"role","parts":[...]}). */
static int add_parts(const cJSON *content, const char *field, chat_request *rq,
                     buf *last, provider_error *e)
{
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(content, "parts");
    const cJSON *part;

    if (!cJSON_IsObject(content)) {
        provider_error_set(e, 400,
                           "Invalid value at '%s': expected a "
                           "Content object",
                           field);
        return -1;
    }
    if (!cJSON_IsArray(parts)) {
        provider_error_set(e, 400,
                           "* GenerateContentRequest.%s.parts: "
                           "parts must be a list",
                           field);
        return -1;
    }
    cJSON_ArrayForEach(part, parts)
    {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");

        if (!text)
            continue; /* inline data and the like carry no text */
        if (!cJSON_IsString(text)) {
            provider_error_set(e, 400,
                               "Invalid value at '%s.parts.text' "
                               "(TYPE_STRING)",
                               field);
            return -1;
        }
        if (buf_adds(&rq->text, text->valuestring) ||
            (last && buf_adds(last, text->valuestring))) {
            provider_error_set(e, 400, "request too large");
            return -1;
        }
    }
    return 0;
}

static int parse(const req_view *v, enum endpoint ep, const char *body,
                 size_t len, chat_request *rq, provider_error *e)
{
    cJSON *root = NULL;
    const cJSON *f, *cfg, *c;
    const char *alt = v->query(v->ctx, "alt");
    buf last;
    int64_t n;
    int i = 0, rc = -1;

    buf_init(&last, 0);
    buf_init(&rq->text, 0);
    rq->stream = ep == ENDPOINT_STREAM;
    rq->sse = alt && strcmp(alt, "sse") == 0;
    root = json_parse(body, len);
    if (!cJSON_IsObject(root)) {
        provider_error_set(e, 400,
                           "Invalid JSON payload received. Expected "
                           "a JSON object.");
        goto out;
    }
    cfg = get2(root, "generationConfig", "generation_config");
    if (cfg && !cJSON_IsObject(cfg)) {
        provider_error_set(e, 400,
                           "Invalid value at 'generation_config': "
                           "expected an object");
        goto out;
    }
    f = get2(cfg, "maxOutputTokens", "max_output_tokens");
    if (f && !cJSON_IsNull(f)) {
        if (!provider_get_int(f, 1, 1e9, &n)) {
            provider_error_set(e, 400,
                               "Invalid value at "
                               "'generation_config.max_output_tokens' "
                               "(TYPE_INT32): expected an integer >= 1");
            goto out;
        }
        rq->max_tokens = (uint32_t)n;
    }
    f = get2(cfg, "stopSequences", "stop_sequences");
    cJSON_ArrayForEach(c, f)
    {
        if (cJSON_IsString(c) && rq->n_stops < PROVIDER_MAX_STOPS) {
            rq->stops[rq->n_stops] = strdup(c->valuestring);
            if (rq->stops[rq->n_stops])
                rq->n_stops++;
        }
    }
    f = get2(root, "systemInstruction", "system_instruction");
    if (f && add_parts(f, "system_instruction", rq, NULL, e) != 0)
        goto out;
    f = cJSON_GetObjectItemCaseSensitive(root, "contents");
    if (!f) {
        provider_error_set(e, 400,
                           "* GenerateContentRequest.contents: "
                           "contents is not specified");
        goto out;
    }
    if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) == 0) {
        provider_error_set(e, 400,
                           "* GenerateContentRequest.contents: "
                           "contents must be a non-empty list");
        goto out;
    }
    cJSON_ArrayForEach(c, f)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(c, "role");
        char field[40];
        bool user;

        if (role && (!cJSON_IsString(role) ||
                     (strcmp(role->valuestring, "user") != 0 &&
                      strcmp(role->valuestring, "model") != 0))) {
            provider_error_set(e, 400,
                               "* GenerateContentRequest.contents[%d]"
                               ".role: must be 'user' or 'model'",
                               i);
            goto out;
        }
        user = !role || strcmp(role->valuestring, "user") == 0;
        if (user)
            last.len = 0;
        snprintf(field, sizeof(field), "contents[%d]", i);
        if (add_parts(c, field, rq, user ? &last : NULL, e) != 0)
            goto out;
        i++;
    }
    rq->last_user = buf_steal(&last, &rq->last_user_len);
    rc = rq->last_user ? 0 : -1;

out:
    buf_free(&last);
    cJSON_Delete(root);
    return rc;
}

static void unknown_model(const char *model, provider_error *e)
{
    provider_error_set(e, 404,
                       "models/%s is not found for API version v1beta, or is "
                       "not supported for generateContent. Call ListModels "
                       "to see the list of available models and their "
                       "supported methods.",
                       model);
}

static void too_large(provider_error *e)
{
    /* The real API says 400, not 413, for an oversized payload. */
    provider_error_set(e, 400,
                       "Request payload size exceeds the limit: "
                       "1048576 bytes.");
}

static cJSON *response_object(const chat_answer *a, const char *text, bool last)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
    cJSON *cand = cJSON_CreateObject();
    cJSON *content, *parts, *part, *usage;

    cJSON_AddItemToArray(cands, cand);
    content = cJSON_AddObjectToObject(cand, "content");
    parts = cJSON_AddArrayToObject(content, "parts");
    part = cJSON_CreateObject();
    cJSON_AddItemToArray(parts, part);
    cJSON_AddStringToObject(part, "text", text);
    cJSON_AddStringToObject(content, "role", "model");
    if (last)
        cJSON_AddStringToObject(cand, "finishReason",
                                a->reply->stop == REPLY_STOP_MAX ? "MAX_TOKENS"
                                                                 : "STOP");
    cJSON_AddNumberToObject(cand, "index", 0);
    usage = cJSON_AddObjectToObject(o, "usageMetadata");
    cJSON_AddNumberToObject(usage, "promptTokenCount", a->input_tokens);
    if (last) {
        cJSON_AddNumberToObject(usage, "candidatesTokenCount",
                                a->reply->output_tokens);
        cJSON_AddNumberToObject(usage, "totalTokenCount",
                                a->input_tokens + a->reply->output_tokens);
    } else {
        cJSON_AddNumberToObject(usage, "totalTokenCount", a->input_tokens);
    }
    cJSON_AddStringToObject(o, "modelVersion", a->info->name);
    cJSON_AddStringToObject(o, "responseId", a->id);
    return o;
}

static int format_answer(const chat_answer *a, buf *out)
{
    cJSON *o = response_object(a, a->reply->text, true);
    int rc = provider_put_json(out, o);

    cJSON_Delete(o);
    return rc;
}

typedef struct stream_ctx {
    const chat_answer *a;
    buf *out;
    size_t sent; /* bytes of text streamed so far */
    int chunks;
} stream_ctx;

static int chunk(void *ctx, const char *s, size_t n)
{
    stream_ctx *c = ctx;
    char *piece = strndup(s, n);
    cJSON *o;
    int rc;

    if (!piece)
        return -1;
    c->sent += n;
    o = response_object(c->a, piece, c->sent >= c->a->reply->len);
    free(piece);
    if (c->a->rq->sse) {
        rc = provider_sse_json(c->out, NULL, o);
    } else {
        rc = buf_adds(c->out, c->chunks ? ",\n" : "[");
        rc |= provider_put_json(c->out, o);
    }
    cJSON_Delete(o);
    c->chunks++;
    return rc;
}

static int format_stream(const chat_answer *a, buf *out)
{
    stream_ctx c = {a, out, 0, 0};
    int rc;

    /* An empty answer still needs its one, final, chunk. */
    if (a->reply->len == 0)
        rc = chunk(&c, "", 0);
    else
        rc = provider_split_text(a->reply->text, a->reply->len, 3, chunk, &c);
    if (rc == 0 && !a->rq->sse)
        rc = buf_adds(out, "]");
    return rc;
}

static const char *canonical_status(int status)
{
    switch (status) {
    case 400:
    case 413:
        return "INVALID_ARGUMENT";
    case 401:
        return "UNAUTHENTICATED";
    case 403:
        return "PERMISSION_DENIED";
    case 404:
        return "NOT_FOUND";
    case 405:
        return "UNIMPLEMENTED";
    case 408:
    case 504:
        return "DEADLINE_EXCEEDED";
    case 429:
        return "RESOURCE_EXHAUSTED";
    case 500:
        return "INTERNAL";
    default:
        return status >= 500 ? "UNAVAILABLE" : "INVALID_ARGUMENT";
    }
}

/* Google's Duration form: "12s", "1.5s", "0.250s". */
static void duration(int64_t ms, char *out, size_t n)
{
    if (ms % 1000 == 0)
        snprintf(out, n, "%llds", (long long)(ms / 1000));
    else
        snprintf(out, n, "%lld.%03llds", (long long)(ms / 1000),
                 (long long)(ms % 1000));
}

static int format_error(const provider_error *e, buf *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(o, "error");
    int rc;

    cJSON_AddNumberToObject(err, "code", e->status);
    cJSON_AddStringToObject(err, "message", e->message);
    cJSON_AddStringToObject(err, "status", canonical_status(e->status));
    if (e->status == 429 && e->retry_delay_ms >= 0) {
        cJSON *details = cJSON_AddArrayToObject(err, "details");
        cJSON *info = cJSON_CreateObject();
        char d[32];

        duration(e->retry_delay_ms, d, sizeof(d));
        cJSON_AddItemToArray(details, info);
        cJSON_AddStringToObject(info, "@type",
                                "type.googleapis.com/google.rpc.RetryInfo");
        cJSON_AddStringToObject(info, "retryDelay", d);
    }
    rc = provider_put_json(out, o);
    cJSON_Delete(o);
    return rc;
}

const provider_ops provider_gemini = {
    .id = PROVIDER_GEMINI,
    .name = "gemini",
    .rl_style = RL_STYLE_GEMINI,
    .request_id_header = NULL,
    .answer_id_prefix = "",
    .endpoint = endpoint,
    .resembles = resembles,
    .api_key = api_key,
    .missing_key = missing_key,
    .check_headers = check_headers,
    .parse = parse,
    .unknown_model = unknown_model,
    .too_large = too_large,
    .format_answer = format_answer,
    .format_stream = format_stream,
    .format_error = format_error,
};
