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

kit_status kit_anthropic_parse_reply(const char *body, size_t len,
                                     kit_chat_reply *reply, char *err,
                                     size_t errlen)
{
    cJSON *root = NULL;
    const cJSON *content, *block, *usage, *model, *stop, *type;
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
    root = cJSON_ParseWithLengthOpts(body, len, NULL, false);
    if (!cJSON_IsObject(root)) {
        set_err(err, errlen, "the response body is not a JSON object");
        goto out;
    }
    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (type &&
        !(cJSON_IsString(type) && strcmp(type->valuestring, "message") == 0)) {
        set_err(err, errlen, "\"type\" is not \"message\"");
        goto out;
    }
    content = cJSON_GetObjectItemCaseSensitive(root, "content");
    if (!cJSON_IsArray(content)) {
        set_err(err, errlen, "\"content\" is missing or not an array");
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
    in_tokens =
        count_of(cJSON_GetObjectItemCaseSensitive(usage, "input_tokens"));
    out_tokens =
        count_of(cJSON_GetObjectItemCaseSensitive(usage, "output_tokens"));
    if (!cJSON_IsObject(usage) || in_tokens < 0 || out_tokens < 0) {
        set_err(err, errlen,
                "\"usage\" lacks whole input_tokens and "
                "output_tokens");
        goto out;
    }
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
            snprintf(info->message, sizeof(info->message),
                     "HTTP %ld without an error envelope", resp.status);
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
