/*
 * The OpenAI Chat Completions API as the mock server speaks it: POST
 * /v1/chat/completions, key in Authorization: Bearer, errors in
 * {"error":{"message","type","param","code"}}.
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
    return strcmp(path, "/v1/chat/completions") == 0 ? ENDPOINT_CHAT
                                                     : ENDPOINT_NONE;
}

static bool resembles(const req_view *v)
{
    return strncmp(v->path, "/v1/", 4) == 0;
}

static const char *api_key(const req_view *v)
{
    const char *auth = v->header(v->ctx, "authorization");

    if (auth && strncmp(auth, "Bearer ", 7) == 0 && auth[7])
        return auth + 7;
    return NULL;
}

static void missing_key(provider_error *e)
{
    provider_error_set(e, 401,
                       "You didn't provide an API key. You need to provide "
                       "your API key in an Authorization header using Bearer "
                       "auth (i.e. Authorization: Bearer YOUR_KEY).");
}

static int check_headers(const req_view *v, provider_error *e)
{
    (void)v;
    (void)e;
    return 0;
}

/* Adds a message's content: a string, null, or an array of parts. */
static int add_content(const cJSON *c, int i, chat_request *rq, buf *last,
                       provider_error *e)
{
    const cJSON *part;
    int j = 0;

    if (cJSON_IsNull(c))
        return 0;
    if (cJSON_IsString(c)) {
        if (buf_adds(&rq->text, c->valuestring) ||
            (last && buf_adds(last, c->valuestring)))
            goto out_nomem;
        return 0;
    }
    if (!cJSON_IsArray(c)) {
        provider_error_set(e, 400,
                           "Invalid type for 'messages[%d].content': "
                           "expected one of a string or an array of objects.",
                           i);
        e->param = "messages";
        return -1;
    }
    cJSON_ArrayForEach(part, c)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");

        if (!cJSON_IsString(type)) {
            provider_error_set(e, 400,
                               "Missing required parameter: "
                               "'messages[%d].content[%d].type'.",
                               i, j);
            e->param = "messages";
            return -1;
        }
        if (strcmp(type->valuestring, "text") == 0) {
            if (!cJSON_IsString(text)) {
                provider_error_set(e, 400,
                                   "Missing required parameter: "
                                   "'messages[%d].content[%d].text'.",
                                   i, j);
                e->param = "messages";
                return -1;
            }
            if (buf_adds(&rq->text, text->valuestring) ||
                (last && buf_adds(last, text->valuestring)))
                goto out_nomem;
        }
        j++;
    }
    return 0;

out_nomem:
    provider_error_set(e, 413, "request too large");
    return -1;
}

static bool valid_role(const char *r)
{
    return strcmp(r, "system") == 0 || strcmp(r, "developer") == 0 ||
           strcmp(r, "user") == 0 || strcmp(r, "assistant") == 0 ||
           strcmp(r, "tool") == 0;
}

static int add_stop(const cJSON *s, chat_request *rq)
{
    if (rq->n_stops >= PROVIDER_MAX_STOPS)
        return 0;
    rq->stops[rq->n_stops] = strdup(s->valuestring);
    if (!rq->stops[rq->n_stops])
        return -1;
    rq->n_stops++;
    return 0;
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
        provider_error_set(e, 400,
                           "We could not parse the JSON body of your request. "
                           "(HINT: This likely means you aren't using your "
                           "HTTP library correctly. The OpenAI API expects a "
                           "JSON payload.)");
        goto out;
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!f) {
        provider_error_set(e, 400, "Missing required parameter: 'model'.");
        e->param = "model";
        e->code = "missing_required_parameter";
        goto out;
    }
    if (!provider_copy_string(f, rq->model, sizeof(rq->model))) {
        provider_error_set(e, 400,
                           "Invalid type for 'model': expected a "
                           "string.");
        e->param = "model";
        e->code = "invalid_type";
        goto out;
    }
    /* max_completion_tokens is the current name; max_tokens the old one.
       Both are honoured, the new one first. */
    f = cJSON_GetObjectItemCaseSensitive(root, "max_completion_tokens");
    if (!f || cJSON_IsNull(f))
        f = cJSON_GetObjectItemCaseSensitive(root, "max_tokens");
    if (f && !cJSON_IsNull(f)) {
        if (!provider_get_int(f, 1, 1e9, &n)) {
            provider_error_set(e, 400,
                               "Invalid '%s': expected an integer "
                               "of at least 1.",
                               f->string);
            /* A static name: f->string dies with the parsed body. */
            e->param = strcmp(f->string, "max_tokens") == 0
                           ? "max_tokens"
                           : "max_completion_tokens";
            e->code = "invalid_value";
            goto out;
        }
        rq->max_tokens = (uint32_t)n;
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "stream");
    if (f && !cJSON_IsBool(f) && !cJSON_IsNull(f)) {
        provider_error_set(e, 400,
                           "Invalid type for 'stream': expected a "
                           "boolean.");
        e->param = "stream";
        e->code = "invalid_type";
        goto out;
    }
    rq->stream = cJSON_IsTrue(f);
    f = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
    rq->stream_usage =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "include_usage"));
    f = cJSON_GetObjectItemCaseSensitive(root, "temperature");
    if (f && !cJSON_IsNull(f) &&
        (!cJSON_IsNumber(f) || f->valuedouble < 0 || f->valuedouble > 2)) {
        provider_error_set(e, 400,
                           "Invalid 'temperature': expected a "
                           "number from 0 to 2.");
        e->param = "temperature";
        e->code = "invalid_value";
        goto out;
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "stop");
    if (cJSON_IsString(f)) {
        if (add_stop(f, rq) != 0)
            goto out;
    } else if (cJSON_IsArray(f)) {
        const cJSON *s;

        cJSON_ArrayForEach(s, f)
        {
            if (cJSON_IsString(s) && add_stop(s, rq) != 0)
                goto out;
        }
    }
    f = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!f) {
        provider_error_set(e, 400,
                           "Missing required parameter: "
                           "'messages'.");
        e->param = "messages";
        e->code = "missing_required_parameter";
        goto out;
    }
    if (!cJSON_IsArray(f)) {
        provider_error_set(e, 400,
                           "Invalid type for 'messages': expected "
                           "an array of objects.");
        e->param = "messages";
        e->code = "invalid_type";
        goto out;
    }
    if (cJSON_GetArraySize(f) == 0) {
        provider_error_set(e, 400,
                           "Invalid 'messages': empty array. Expected an "
                           "array with minimum length 1, but got an empty "
                           "array instead.");
        e->param = "messages";
        e->code = "empty_array";
        goto out;
    }
    cJSON_ArrayForEach(msg, f)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        bool user;

        if (!cJSON_IsString(role) || !valid_role(role->valuestring)) {
            provider_error_set(e, 400,
                               "Invalid value for 'messages[%d].role': "
                               "expected one of 'system', 'developer', "
                               "'user', 'assistant' or 'tool'.",
                               i);
            e->param = "messages";
            e->code = "invalid_value";
            goto out;
        }
        user = strcmp(role->valuestring, "user") == 0;
        if (user)
            last.len = 0;
        if (add_content(cJSON_GetObjectItemCaseSensitive(msg, "content"), i, rq,
                        user ? &last : NULL, e) != 0)
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
                       "The model `%s` does not exist or you do not have "
                       "access to it.",
                       model);
    e->code = "model_not_found";
}

static void too_large(provider_error *e)
{
    provider_error_set(e, 413,
                       "Request too large: the body is over the "
                       "1 MiB limit.");
}

static const char *finish_reason(const reply *r)
{
    return r->stop == REPLY_STOP_MAX ? "length" : "stop";
}

static void add_head(cJSON *o, const chat_answer *a, const char *object)
{
    cJSON_AddStringToObject(o, "id", a->id);
    cJSON_AddStringToObject(o, "object", object);
    cJSON_AddNumberToObject(o, "created", (double)a->created);
    cJSON_AddStringToObject(o, "model", a->rq->model);
    cJSON_AddStringToObject(o, "system_fingerprint", "fp_mock");
}

static void add_usage(cJSON *o, const chat_answer *a)
{
    cJSON *u = cJSON_AddObjectToObject(o, "usage");

    cJSON_AddNumberToObject(u, "prompt_tokens", a->input_tokens);
    cJSON_AddNumberToObject(u, "completion_tokens", a->reply->output_tokens);
    cJSON_AddNumberToObject(u, "total_tokens",
                            a->input_tokens + a->reply->output_tokens);
}

static int format_answer(const chat_answer *a, buf *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *choices, *choice, *msg;
    int rc;

    add_head(o, a, "chat.completion");
    choices = cJSON_AddArrayToObject(o, "choices");
    choice = cJSON_CreateObject();
    cJSON_AddItemToArray(choices, choice);
    cJSON_AddNumberToObject(choice, "index", 0);
    msg = cJSON_AddObjectToObject(choice, "message");
    cJSON_AddStringToObject(msg, "role", "assistant");
    cJSON_AddStringToObject(msg, "content", a->reply->text);
    cJSON_AddNullToObject(msg, "refusal");
    cJSON_AddNullToObject(choice, "logprobs");
    cJSON_AddStringToObject(choice, "finish_reason", finish_reason(a->reply));
    add_usage(o, a);
    rc = provider_put_json(out, o);
    cJSON_Delete(o);
    return rc;
}

typedef struct stream_ctx {
    const chat_answer *a;
    buf *out;
} stream_ctx;

/*
 * Appends one chat.completion.chunk. delta_text NULL with role: the first
 * chunk; finish non-NULL: the last choice chunk; usage_only: the usage
 * chunk with no choices.
 */
static int chunk(const stream_ctx *c, const char *text, size_t n, bool first,
                 const char *finish, bool usage_only)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *choices, *choice, *delta;
    char *piece = NULL;
    int rc;

    add_head(o, c->a, "chat.completion.chunk");
    choices = cJSON_AddArrayToObject(o, "choices");
    if (!usage_only) {
        choice = cJSON_CreateObject();
        cJSON_AddItemToArray(choices, choice);
        cJSON_AddNumberToObject(choice, "index", 0);
        delta = cJSON_AddObjectToObject(choice, "delta");
        if (first) {
            cJSON_AddStringToObject(delta, "role", "assistant");
            cJSON_AddStringToObject(delta, "content", "");
        } else if (text) {
            piece = strndup(text, n);
            cJSON_AddStringToObject(delta, "content", piece ? piece : "");
        }
        cJSON_AddNullToObject(choice, "logprobs");
        if (finish)
            cJSON_AddStringToObject(choice, "finish_reason", finish);
        else
            cJSON_AddNullToObject(choice, "finish_reason");
    }
    /* With include_usage every chunk carries "usage": null but the last. */
    if (usage_only)
        add_usage(o, c->a);
    else if (c->a->rq->stream_usage)
        cJSON_AddNullToObject(o, "usage");
    rc = provider_sse_json(c->out, NULL, o);
    cJSON_Delete(o);
    free(piece);
    return rc;
}

static int text_chunk(void *ctx, const char *s, size_t n)
{
    return chunk(ctx, s, n, false, NULL, false);
}

static int format_stream(const chat_answer *a, buf *out)
{
    stream_ctx c = {a, out};
    int rc = 0;

    rc |= chunk(&c, NULL, 0, true, NULL, false);
    rc |= provider_split_text(a->reply->text, a->reply->len, 3, text_chunk, &c);
    rc |= chunk(&c, NULL, 0, false, finish_reason(a->reply), false);
    if (a->rq->stream_usage)
        rc |= chunk(&c, NULL, 0, false, NULL, true);
    rc |= buf_adds(out, "data: [DONE]\n\n");
    return rc ? -1 : 0;
}

static const char *error_type(int status)
{
    switch (status) {
    case 403:
        return "request_forbidden";
    case 429:
        return "requests";
    default:
        return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

static const char *default_code(int status)
{
    switch (status) {
    case 401:
        return "invalid_api_key";
    case 429:
        return "rate_limit_exceeded";
    default:
        return NULL;
    }
}

static int format_error(const provider_error *e, buf *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(o, "error");
    const char *code = e->code ? e->code : default_code(e->status);
    int rc;

    cJSON_AddStringToObject(err, "message", e->message);
    cJSON_AddStringToObject(err, "type", error_type(e->status));
    if (e->param)
        cJSON_AddStringToObject(err, "param", e->param);
    else
        cJSON_AddNullToObject(err, "param");
    if (code)
        cJSON_AddStringToObject(err, "code", code);
    else
        cJSON_AddNullToObject(err, "code");
    rc = provider_put_json(out, o);
    cJSON_Delete(o);
    return rc;
}

const provider_ops provider_openai = {
    .id = PROVIDER_OPENAI,
    .name = "openai",
    .rl_style = RL_STYLE_OPENAI,
    .request_id_header = "x-request-id",
    .answer_id_prefix = "chatcmpl-",
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
