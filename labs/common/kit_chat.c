/*
 * kit_chat: the Anthropic Messages API as the kit's worked example of a
 * provider: build the request body, parse the reply and the error envelope,
 * and make one attempt. Lab 0 calls it directly; labs 1 to 3 wrap it in
 * their retry loops; lab 4 writes the OpenAI and Gemini twins of it.
 */
#include "kit_chat.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "kit_clock.h"
#include "kit_provider.h"

#define ANTHROPIC_VERSION "2023-06-01"

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copies a JSON string member into a fixed buffer, truncating. */
static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

void kit_chat_reply_clear(kit_chat_reply *reply)
{
    if (!reply)
        return;
    free(reply->text);
    memset(reply, 0, sizeof(*reply));
}

/* ---- The request body -----------------------------------------------------
 */

kit_status kit_anthropic_build_body(const kit_chat_request *req,
                                    char **body_out)
{
    cJSON *root = NULL, *messages, *msg;
    char *printed = NULL;
    kit_status rc = KIT_ERR_NO_MEMORY;

    if (body_out)
        *body_out = NULL;
    if (!req || !body_out || !req->model || !req->prompt ||
        req->max_tokens <= 0)
        return KIT_ERR_INVALID_ARG;

    /* cJSON escapes every string it prints, so a prompt holding quotes,
     * backslashes or newlines cannot break the JSON. */
    root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "model", req->model) ||
        !cJSON_AddNumberToObject(root, "max_tokens", req->max_tokens))
        goto out;
    if (req->system && req->system[0] &&
        !cJSON_AddStringToObject(root, "system", req->system))
        goto out;
    /* A negative temperature means "not sent": the provider's default. */
    if (req->temperature >= 0 &&
        !cJSON_AddNumberToObject(root, "temperature", req->temperature))
        goto out;
    messages = cJSON_AddArrayToObject(root, "messages");
    if (!messages)
        goto out;
    msg = cJSON_CreateObject();
    if (!msg || !cJSON_AddItemToArray(messages, msg)) {
        cJSON_Delete(msg); /* not in the tree, so ours to free */
        goto out;
    }
    if (!cJSON_AddStringToObject(msg, "role", "user") ||
        !cJSON_AddStringToObject(msg, "content", req->prompt))
        goto out;

    printed = cJSON_PrintUnformatted(root);
    if (!printed)
        goto out;
    /* The caller frees with free(), so hand over a malloc'd copy and give
     * cJSON's memory back to cJSON. */
    *body_out = strdup(printed);
    if (!*body_out)
        goto out;
    rc = KIT_OK;
out:
    cJSON_free(printed);
    cJSON_Delete(root);
    return rc;
}

/* ---- The reply -------------------------------------------------------------
 */

/*
 * The largest token count a reply may claim. No model reads or writes
 * anywhere near 10^15 tokens in one call, and below 2^53 the count is exact
 * in a double and fits a 64-bit long, so anything larger is a broken or
 * hostile server, not a bill. Lab 4's reference providers use the same
 * bound.
 */
#define MAX_TOKEN_COUNT 1e15

/*
 * Reads usage.<name> into *out when it is a whole count from 0 to
 * MAX_TOKEN_COUNT. Otherwise returns false with the reason in err: a
 * negative or absurd count is rejected, never clamped, since a clamped
 * number would be a bill the provider never sent.
 */
static bool read_count(const cJSON *usage, const char *name, long *out,
                       char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(usage, name);
    double v;

    if (!cJSON_IsNumber(item)) {
        set_err(err, errlen, "usage.%s is missing or not a number", name);
        return false;
    }
    v = item->valuedouble;
    if (v < 0) {
        set_err(err, errlen, "usage.%s is negative (%.6g)", name, v);
        return false;
    }
    if (!(v <= MAX_TOKEN_COUNT)) {
        set_err(err, errlen,
                "usage.%s (%.6g) is above %.0g, not a believable count", name,
                v, MAX_TOKEN_COUNT);
        return false;
    }
    if (floor(v) != v) {
        set_err(err, errlen, "usage.%s (%.6g) is not a whole number", name, v);
        return false;
    }
    *out = (long)v;
    return true;
}

/* Why a body is not a JSON object, in words a learner can act on. */
static void say_not_an_object(const cJSON *root, const char *body, size_t len,
                              const char *parse_end, char *err, size_t errlen)
{
    size_t i = 0;

    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                       body[i] == '\n'))
        i++;
    if (i < len && body[i] == '<')
        set_err(err, errlen,
                "the response body is HTML, not JSON (a proxy's or load "
                "balancer's page?)");
    else if (!root && parse_end && parse_end >= body && parse_end <= body + len)
        set_err(err, errlen,
                "the response body is not valid JSON (it breaks at byte "
                "%zu of %zu)",
                (size_t)(parse_end - body), len);
    else if (!root)
        set_err(err, errlen, "the response body is not valid JSON");
    else
        set_err(err, errlen,
                "the response body is JSON but not an object (it is %s)",
                cJSON_IsNull(root)     ? "null"
                : cJSON_IsArray(root)  ? "an array"
                : cJSON_IsString(root) ? "a string"
                : cJSON_IsNumber(root) ? "a number"
                                       : "a boolean");
}

/*
 * Explains a body with no content array: another provider's reply (the base
 * URL points at the wrong API) or an error envelope sent with a 2xx.
 */
static void say_no_content(const cJSON *root, char *err, size_t errlen)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");

    if (cJSON_GetObjectItemCaseSensitive(root, "choices"))
        set_err(err, errlen,
                "it has \"choices\", not \"content\": an OpenAI-style "
                "reply (does the base URL point at another provider?)");
    else if (cJSON_GetObjectItemCaseSensitive(root, "candidates"))
        set_err(err, errlen,
                "it has \"candidates\", not \"content\": a Gemini-style "
                "reply (does the base URL point at another provider?)");
    else if (cJSON_IsObject(error))
        set_err(err, errlen, "it is an error envelope, not a reply");
    else
        set_err(err, errlen, "\"content\" is missing or not an array");
}

kit_status kit_anthropic_parse_reply(const char *body, size_t len,
                                     kit_chat_reply *reply, char *err,
                                     size_t errlen)
{
    cJSON *root = NULL;
    const cJSON *content, *block, *usage, *model, *stop, *type;
    const char *parse_end = NULL;
    size_t text_len = 0;
    char *text = NULL;
    long in_tokens, out_tokens;
    kit_status rc = KIT_ERR_BAD_RESPONSE;

    if (err && errlen)
        err[0] = '\0';
    if (!reply)
        return KIT_ERR_INVALID_ARG;
    memset(reply, 0, sizeof(*reply));
    if (!body || len == 0) {
        set_err(err, errlen, "the response body is empty");
        return KIT_ERR_BAD_RESPONSE;
    }
    root = cJSON_ParseWithLengthOpts(body, len, &parse_end, false);
    if (!cJSON_IsObject(root)) {
        say_not_an_object(root, body, len, parse_end, err, errlen);
        goto out;
    }
    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "error") == 0) {
        char etype[48], emsg[96];

        /* An error envelope behind a 2xx: say what it said. */
        if (kit_anthropic_parse_error(body, len, etype, sizeof(etype), emsg,
                                      sizeof(emsg)))
            set_err(err, errlen, "it is an error envelope (%s: %s)", etype,
                    emsg);
        else
            set_err(err, errlen, "it is an error envelope, not a reply");
        goto out;
    }
    if (type &&
        !(cJSON_IsString(type) && strcmp(type->valuestring, "message") == 0)) {
        set_err(err, errlen, "\"type\" is not \"message\"");
        goto out;
    }
    content = cJSON_GetObjectItemCaseSensitive(root, "content");
    if (!content) {
        say_no_content(root, err, errlen);
        goto out;
    }
    if (!cJSON_IsArray(content)) {
        set_err(err, errlen, "\"content\" is not an array");
        goto out;
    }
    /* First pass: check every block and add up the text's length. Blocks
     * other than text (tool use, thinking) are skipped. */
    cJSON_ArrayForEach(block, content)
    {
        const cJSON *btype = cJSON_GetObjectItemCaseSensitive(block, "type");
        const cJSON *btext = cJSON_GetObjectItemCaseSensitive(block, "text");

        if (!cJSON_IsObject(block) || !cJSON_IsString(btype)) {
            set_err(err, errlen, "a content block has no \"type\" string");
            goto out;
        }
        if (strcmp(btype->valuestring, "text") != 0)
            continue;
        if (!cJSON_IsString(btext)) {
            set_err(err, errlen, "a text block has no \"text\" string");
            goto out;
        }
        text_len += strlen(btext->valuestring);
    }
    usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (!cJSON_IsObject(usage)) {
        set_err(err, errlen, "\"usage\" is missing or not an object");
        goto out;
    }
    if (!read_count(usage, "input_tokens", &in_tokens, err, errlen) ||
        !read_count(usage, "output_tokens", &out_tokens, err, errlen))
        goto out;
    model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsString(model)) {
        set_err(err, errlen, "\"model\" is missing or not a string");
        goto out;
    }
    stop = cJSON_GetObjectItemCaseSensitive(root, "stop_reason");
    if (stop && !cJSON_IsString(stop) && !cJSON_IsNull(stop)) {
        set_err(err, errlen, "\"stop_reason\" is not a string");
        goto out;
    }

    /* Second pass: join the text blocks in order. An empty content array
     * is a valid, empty answer. */
    text = malloc(text_len + 1);
    if (!text) {
        rc = KIT_ERR_NO_MEMORY;
        goto out;
    }
    text_len = 0;
    cJSON_ArrayForEach(block, content)
    {
        const cJSON *btype = cJSON_GetObjectItemCaseSensitive(block, "type");
        const char *s;
        size_t n;

        if (strcmp(btype->valuestring, "text") != 0)
            continue;
        s = cJSON_GetObjectItemCaseSensitive(block, "text")->valuestring;
        n = strlen(s);
        memcpy(text + text_len, s, n);
        text_len += n;
    }
    text[text_len] = '\0';

    reply->text = text;
    text = NULL;
    copy_str(reply->model, sizeof(reply->model), model->valuestring);
    copy_str(reply->stop_reason, sizeof(reply->stop_reason),
             cJSON_IsString(stop) ? stop->valuestring : "");
    reply->input_tokens = in_tokens;
    reply->output_tokens = out_tokens;
    rc = KIT_OK;
out:
    free(text);
    cJSON_Delete(root);
    return rc;
}

bool kit_anthropic_parse_error(const char *body, size_t len, char *type,
                               size_t typelen, char *message, size_t msglen)
{
    cJSON *root = NULL;
    const cJSON *error, *etype, *emsg;
    bool ok = false;

    if (type && typelen)
        type[0] = '\0';
    if (message && msglen)
        message[0] = '\0';
    if (!body || len == 0)
        return false;
    root = cJSON_ParseWithLengthOpts(body, len, NULL, false);
    error = cJSON_GetObjectItemCaseSensitive(root, "error");
    etype = cJSON_GetObjectItemCaseSensitive(error, "type");
    emsg = cJSON_GetObjectItemCaseSensitive(error, "message");
    /* OpenAI's envelope has the same two members; Gemini's names the
     * type "status". Reading those too costs nothing. */
    if (!cJSON_IsString(etype))
        etype = cJSON_GetObjectItemCaseSensitive(error, "status");
    if (cJSON_IsObject(error) && cJSON_IsString(etype) &&
        cJSON_IsString(emsg)) {
        if (type && typelen)
            copy_str(type, typelen, etype->valuestring);
        if (message && msglen)
            copy_str(message, msglen, emsg->valuestring);
        ok = true;
    }
    cJSON_Delete(root);
    return ok;
}

/* ---- One attempt ------------------------------------------------------------
 */

/*
 * An error status whose body is no envelope: name what came instead (an
 * empty body, or its content type: a proxy's text/html page, say), so the
 * learner can tell a gateway's 502 from the provider's.
 */
static void say_no_envelope(const kit_http_response *resp, char *msg,
                            size_t msglen)
{
    char ctype[64];

    if (resp->body_len == 0)
        snprintf(msg, msglen, "HTTP %ld without an error envelope (empty body)",
                 resp->status);
    else if (kit_http_header(resp, "content-type", ctype, sizeof(ctype)))
        snprintf(msg, msglen,
                 "HTTP %ld without an error envelope (a %zu-byte %s body)",
                 resp->status, resp->body_len, ctype);
    else
        snprintf(msg, msglen,
                 "HTTP %ld without an error envelope (a %zu-byte body)",
                 resp->status, resp->body_len);
}

kit_status kit_anthropic_call(const kit_transport *t, const kit_endpoint *ep,
                              const kit_chat_request *req,
                              kit_chat_reply *reply, kit_attempt *info)
{
    char *body = NULL, *url = NULL, *key_header = NULL;
    kit_http_response resp;
    kit_status rc;
    char err[160];

    memset(&resp, 0, sizeof(resp));
    if (!info)
        return KIT_ERR_INVALID_ARG;
    kit_provider_begin(info, reply);
    if (!t || !ep || !ep->base_url || !req || !reply) {
        rc = KIT_ERR_INVALID_ARG;
        copy_str(info->message, sizeof(info->message),
                 "kit_anthropic_call: a required argument is NULL");
        goto out;
    }
    if (!ep->api_key || !ep->api_key[0]) {
        rc = KIT_ERR_NO_KEY;
        copy_str(info->message, sizeof(info->message),
                 "no API key given (is ANTHROPIC_API_KEY set?)");
        goto out;
    }
    rc = kit_anthropic_build_body(req, &body);
    if (rc != KIT_OK) {
        copy_str(info->message, sizeof(info->message),
                 "could not build the request body (model, prompt and "
                 "max_tokens > 0 are required)");
        goto out;
    }
    url = kit_provider_url(ep->base_url, "/v1/messages");
    key_header = kit_provider_printf("x-api-key: %s", ep->api_key);
    if (!url || !key_header) {
        rc = KIT_ERR_NO_MEMORY;
        goto out;
    }

    {
        const char *headers[] = {key_header,
                                 "anthropic-version: " ANTHROPIC_VERSION, NULL};

        rc = kit_provider_post(t, url, headers, body, req->timeout_ms, &resp,
                               info);
    }
    if (rc != KIT_OK) {
        /* A transport failure already left its words in info->message;
         * an HTTP error's are in the envelope. */
        if (resp.status != 0 &&
            !kit_anthropic_parse_error(
                resp.body, resp.body_len, info->error_type,
                sizeof(info->error_type), info->message, sizeof(info->message)))
            say_no_envelope(&resp, info->message, sizeof(info->message));
        goto out;
    }

    rc = kit_anthropic_parse_reply(resp.body, resp.body_len, reply, err,
                                   sizeof(err));
    if (rc != KIT_OK) {
        snprintf(info->message, sizeof(info->message),
                 "HTTP %ld but the body is not a Messages reply: %s",
                 resp.status, err);
        goto out;
    }
    copy_str(reply->request_id, sizeof(reply->request_id), info->request_id);
out:
    info->status = rc;
    if (rc != KIT_OK && reply)
        kit_chat_reply_clear(reply);
    kit_http_response_clear(&resp);
    free(key_header);
    free(url);
    free(body);
    return rc;
}
