/*
 * The Anthropic Messages API as the mock server speaks it: POST
 * /v1/messages, key in x-api-key or Authorization: Bearer, the
 * anthropic-version header required, errors in {"type":"error",...}.
 */
#include "provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static enum endpoint endpoint(const char *path, char *model, size_t n)
{
    (void)model;
    (void)n;
    return strcmp(path, "/v1/messages") == 0 ? ENDPOINT_CHAT : ENDPOINT_NONE;
}

static bool resembles(const req_view *v)
{
    return strncmp(v->path, "/v1/messages", 12) == 0 ||
           strncmp(v->path, "/v1/complete", 12) == 0 ||
           v->header(v->ctx, "anthropic-version") != NULL;
}

static const char *api_key(const req_view *v)
{
    const char *k = v->header(v->ctx, "x-api-key");
    const char *auth;

    if (k && k[0])
        return k;
    auth = v->header(v->ctx, "authorization");
    if (auth && strncmp(auth, "Bearer ", 7) == 0 && auth[7])
        return auth + 7;
    return NULL;
}

static void missing_key(provider_error *e)
{
    provider_error_set(e, 401, "x-api-key header is required");
}

static int check_headers(const req_view *v, provider_error *e)
{
    const char *ver = v->header(v->ctx, "anthropic-version");

    if (!ver || !ver[0]) {
        provider_error_set(e, 400, "anthropic-version: header is required");
        return -1;
    }
    return 0;
}

/*
 * Adds the text of a content value (a string, or an array of blocks whose
 * text blocks count) to rq->text and, for the last user message, to *last.
 * field names the value in error messages ("messages.0.content", "system").
 */
static int add_content(const cJSON *c, const char *field, chat_request *rq,
                       buf *last, provider_error *e)
{
    const cJSON *block;
    int i = 0;

    if (cJSON_IsString(c)) {
        if (buf_adds(&rq->text, c->valuestring) ||
            (last && buf_adds(last, c->valuestring)))
            goto out_nomem;
        return 0;
    }
    if (!cJSON_IsArray(c)) {
        provider_error_set(e, 400,
                           "%s: Input should be a valid string or "
                           "a list of content blocks",
                           field);
        return -1;
    }
    cJSON_ArrayForEach(block, c)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");

        if (!cJSON_IsObject(block) || !cJSON_IsString(type)) {
            provider_error_set(e, 400, "%s.%d.type: Field required", field, i);
            return -1;
        }
        if (strcmp(type->valuestring, "text") == 0) {
            if (!cJSON_IsString(text)) {
                provider_error_set(e, 400,
                                   "%s.%d.text: Input should be a valid "
                                   "string",
                                   field, i);
                return -1;
            }
            if (buf_adds(&rq->text, text->valuestring) ||
                (last && buf_adds(last, text->valuestring)))
                goto out_nomem;
        }
        /* Other block types (images, tool results) carry no text the
           mock counts; the real API accepts them, so the mock does too. */
        i++;
    }
    return 0;

out_nomem:
    provider_error_set(e, 413, "request too large");
    return -1;
}

static int parse(const req_view *v, enum endpoint ep, const char *body,
                 size_t len, chat_request *rq, provider_error *e)
{
    cJSON *root = NULL;
    const cJSON *f, *msg;
    buf last;
    int64_t n;
    int i = 0, rc = -1;

    (void)v;
    (void)ep;
    buf_init(&last, 0);
    buf_init(&rq->text, 0);
    root = json_parse(body, len);
    if (!cJSON_IsObject(root)) {
        provider_error_set(e, 400, "%s",
                           root ? "Request body must be a JSON object"
                                : "There was an error parsing the body of "
                                  "your request: it is not valid JSON");
        goto out;
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!f) {
        provider_error_set(e, 400, "model: Field required");
        goto out;
    }
    if (!provider_copy_string(f, rq->model, sizeof(rq->model))) {
        provider_error_set(e, 400, "model: Input should be a valid string");
        goto out;
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "max_tokens");
    if (!f) {
        provider_error_set(e, 400, "max_tokens: Field required");
        goto out;
    }
    if (!provider_get_int(f, 1, 1e9, &n)) {
        provider_error_set(e, 400,
                           "max_tokens: Input should be a valid "
                           "integer greater than or equal to 1");
        goto out;
    }
    rq->max_tokens = (uint32_t)n;
    f = cJSON_GetObjectItemCaseSensitive(root, "stream");
    if (f && !cJSON_IsBool(f) && !cJSON_IsNull(f)) {
        provider_error_set(e, 400, "stream: Input should be a valid boolean");
        goto out;
    }
    rq->stream = cJSON_IsTrue(f);
    f = cJSON_GetObjectItemCaseSensitive(root, "temperature");
    if (f && !cJSON_IsNull(f) &&
        (!cJSON_IsNumber(f) || f->valuedouble < 0 || f->valuedouble > 1)) {
        provider_error_set(e, 400,
                           "temperature: Input should be a number "
                           "from 0 to 1");
        goto out;
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "stop_sequences");
    if (f && !cJSON_IsNull(f)) {
        const cJSON *s;

        if (!cJSON_IsArray(f)) {
            provider_error_set(e, 400,
                               "stop_sequences: Input should be a valid list");
            goto out;
        }
        cJSON_ArrayForEach(s, f)
        {
            if (!cJSON_IsString(s)) {
                provider_error_set(e, 400,
                                   "stop_sequences.%zu: Input should be a "
                                   "valid string",
                                   rq->n_stops);
                goto out;
            }
            if (rq->n_stops < PROVIDER_MAX_STOPS) {
                rq->stops[rq->n_stops] = strdup(s->valuestring);
                if (rq->stops[rq->n_stops])
                    rq->n_stops++;
            }
        }
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "system");
    if (f && !cJSON_IsNull(f) && add_content(f, "system", rq, NULL, e) != 0)
        goto out;
    f = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!f) {
        provider_error_set(e, 400, "messages: Field required");
        goto out;
    }
    if (!cJSON_IsArray(f)) {
        provider_error_set(e, 400, "messages: Input should be a valid list");
        goto out;
    }
    if (cJSON_GetArraySize(f) == 0) {
        provider_error_set(e, 400,
                           "messages: at least one message is "
                           "required");
        goto out;
    }
    cJSON_ArrayForEach(msg, f)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
        char field[48];
        bool user;

        if (!cJSON_IsObject(msg)) {
            provider_error_set(e, 400,
                               "messages.%d: Input should be a "
                               "valid dictionary",
                               i);
            goto out;
        }
        if (!cJSON_IsString(role) ||
            (strcmp(role->valuestring, "user") != 0 &&
             strcmp(role->valuestring, "assistant") != 0)) {
            provider_error_set(e, 400,
                               "messages.%d.role: Input should be "
                               "'user' or 'assistant'",
                               i);
            goto out;
        }
        if (!content) {
            provider_error_set(e, 400, "messages.%d.content: Field required",
                               i);
            goto out;
        }
        user = strcmp(role->valuestring, "user") == 0;
        if (user)
            last.len = 0; /* only the last user message is kept */
        snprintf(field, sizeof(field), "messages.%d.content", i);
        if (add_content(content, field, rq, user ? &last : NULL, e) != 0)
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
    provider_error_set(e, 404, "model: %s", model);
}

static void too_large(provider_error *e)
{
    provider_error_set(e, 413,
                       "Request exceeds the maximum allowed number "
                       "of bytes.");
}

static const char *stop_reason(const reply *r)
{
    switch (r->stop) {
    case REPLY_STOP_END:
        return "end_turn";
    case REPLY_STOP_MAX:
        return "max_tokens";
    case REPLY_STOP_SEQUENCE:
        return "stop_sequence";
    }
    return "end_turn";
}

static void add_stop_sequence(cJSON *o, const reply *r)
{
    if (r->stop == REPLY_STOP_SEQUENCE && r->stop_seq)
        cJSON_AddStringToObject(o, "stop_sequence", r->stop_seq);
    else
        cJSON_AddNullToObject(o, "stop_sequence");
}

static int format_answer(const chat_answer *a, buf *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *content, *block, *usage;
    int rc;

    cJSON_AddStringToObject(o, "id", a->id);
    cJSON_AddStringToObject(o, "type", "message");
    cJSON_AddStringToObject(o, "role", "assistant");
    cJSON_AddStringToObject(o, "model", a->rq->model);
    content = cJSON_AddArrayToObject(o, "content");
    block = cJSON_CreateObject();
    cJSON_AddItemToArray(content, block);
    cJSON_AddStringToObject(block, "type", "text");
    cJSON_AddStringToObject(block, "text", a->reply->text);
    cJSON_AddStringToObject(o, "stop_reason", stop_reason(a->reply));
    add_stop_sequence(o, a->reply);
    usage = cJSON_AddObjectToObject(o, "usage");
    cJSON_AddNumberToObject(usage, "input_tokens", a->input_tokens);
    cJSON_AddNumberToObject(usage, "output_tokens", a->reply->output_tokens);
    rc = provider_put_json(out, o);
    cJSON_Delete(o);
    return rc;
}

static int delta_event(void *ctx, const char *s, size_t n)
{
    buf *out = ctx;
    cJSON *o = cJSON_CreateObject();
    cJSON *delta;
    char *piece = strndup(s, n);
    int rc;

    cJSON_AddStringToObject(o, "type", "content_block_delta");
    cJSON_AddNumberToObject(o, "index", 0);
    delta = cJSON_AddObjectToObject(o, "delta");
    cJSON_AddStringToObject(delta, "type", "text_delta");
    cJSON_AddStringToObject(delta, "text", piece ? piece : "");
    rc = piece ? provider_sse_json(out, "content_block_delta", o) : -1;
    cJSON_Delete(o);
    free(piece);
    return rc;
}

static int format_stream(const chat_answer *a, buf *out)
{
    cJSON *o, *msg, *usage, *block, *delta;
    int rc = 0;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "message_start");
    msg = cJSON_AddObjectToObject(o, "message");
    cJSON_AddStringToObject(msg, "id", a->id);
    cJSON_AddStringToObject(msg, "type", "message");
    cJSON_AddStringToObject(msg, "role", "assistant");
    cJSON_AddStringToObject(msg, "model", a->rq->model);
    cJSON_AddArrayToObject(msg, "content");
    cJSON_AddNullToObject(msg, "stop_reason");
    cJSON_AddNullToObject(msg, "stop_sequence");
    usage = cJSON_AddObjectToObject(msg, "usage");
    cJSON_AddNumberToObject(usage, "input_tokens", a->input_tokens);
    cJSON_AddNumberToObject(usage, "output_tokens", 1);
    rc |= provider_sse_json(out, "message_start", o);
    cJSON_Delete(o);

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "content_block_start");
    cJSON_AddNumberToObject(o, "index", 0);
    block = cJSON_AddObjectToObject(o, "content_block");
    cJSON_AddStringToObject(block, "type", "text");
    cJSON_AddStringToObject(block, "text", "");
    rc |= provider_sse_json(out, "content_block_start", o);
    cJSON_Delete(o);

    rc |= buf_adds(out, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
    rc |=
        provider_split_text(a->reply->text, a->reply->len, 3, delta_event, out);
    rc |= buf_adds(out, "event: content_block_stop\ndata: "
                        "{\"type\":\"content_block_stop\",\"index\":0}\n\n");

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "message_delta");
    delta = cJSON_AddObjectToObject(o, "delta");
    cJSON_AddStringToObject(delta, "stop_reason", stop_reason(a->reply));
    add_stop_sequence(delta, a->reply);
    usage = cJSON_AddObjectToObject(o, "usage");
    cJSON_AddNumberToObject(usage, "output_tokens", a->reply->output_tokens);
    rc |= provider_sse_json(out, "message_delta", o);
    cJSON_Delete(o);

    rc |= buf_adds(out, "event: message_stop\ndata: "
                        "{\"type\":\"message_stop\"}\n\n");
    return rc ? -1 : 0;
}

static const char *error_type(int status)
{
    switch (status) {
    case 401:
        return "authentication_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 504:
        return "timeout_error";
    case 529:
        return "overloaded_error";
    default:
        return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static int format_error(const provider_error *e, buf *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *err;
    int rc;

    cJSON_AddStringToObject(o, "type", "error");
    err = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(err, "type", error_type(e->status));
    cJSON_AddStringToObject(err, "message", e->message);
    if (e->request_id)
        cJSON_AddStringToObject(o, "request_id", e->request_id);
    else
        cJSON_AddNullToObject(o, "request_id");
    rc = provider_put_json(out, o);
    cJSON_Delete(o);
    return rc;
}

const provider_ops provider_anthropic = {
    .id = PROVIDER_ANTHROPIC,
    .name = "anthropic",
    .rl_style = RL_STYLE_ANTHROPIC,
    .request_id_header = "request-id",
    .answer_id_prefix = "msg_",
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
