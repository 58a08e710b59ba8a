/*
 * kit_provider: the part of an attempt every provider shares (the wire and
 * the headers a retry policy reads), so that a provider file, lab 4's
 * openai.c or gemini.c, holds only what differs between APIs.
 */
#include "kit_provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_clock.h"

void kit_provider_begin(kit_attempt *info, kit_chat_reply *reply)
{
    if (reply)
        memset(reply, 0, sizeof(*reply));
    if (!info)
        return;
    memset(info, 0, sizeof(*info));
    info->retry_after_ms = -1;
    info->ratelimit.requests_limit = info->ratelimit.requests_remaining = -1;
    info->ratelimit.tokens_limit = info->ratelimit.tokens_remaining = -1;
    info->ratelimit.requests_reset_ms = info->ratelimit.tokens_reset_ms = -1;
}

/* vsnprintf twice: once to measure, once to write. */
static char *vformat(const char *prefix, size_t prefix_len, const char *fmt,
                     va_list ap)
{
    va_list again;
    char *s;
    int n;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0)
        return NULL;
    s = malloc(prefix_len + (size_t)n + 1);
    if (!s)
        return NULL;
    memcpy(s, prefix, prefix_len);
    vsnprintf(s + prefix_len, (size_t)n + 1, fmt, ap);
    return s;
}

char *kit_provider_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (!fmt)
        return NULL;
    va_start(ap, fmt);
    s = vformat("", 0, fmt, ap);
    va_end(ap);
    return s;
}

char *kit_provider_url(const char *base_url, const char *path_fmt, ...)
{
    size_t n;
    va_list ap;
    char *s;

    if (!base_url || !path_fmt)
        return NULL;
    n = strlen(base_url);
    while (n && base_url[n - 1] == '/')
        n--;
    va_start(ap, path_fmt);
    s = vformat(base_url, n, path_fmt, ap);
    va_end(ap);
    return s;
}

kit_status kit_provider_post(const kit_transport *t, const char *url,
                             const char *const *headers, const char *body,
                             long timeout_ms, kit_http_response *resp,
                             kit_attempt *info)
{
    return kit_provider_post_stream(t, url, headers, body, timeout_ms, NULL,
                                    NULL, resp, info);
}

kit_status kit_provider_post_stream(
    const kit_transport *t, const char *url, const char *const *headers,
    const char *body, long timeout_ms,
    size_t (*on_body)(void *ctx, const char *data, size_t len),
    void *on_body_ctx, kit_http_response *resp, kit_attempt *info)
{
    /* Room for the caller's headers and our two. */
    enum { MAX_HEADERS = 16 };
    const char *all[MAX_HEADERS + 3];
    size_t n = 0;
    kit_http_request hreq;
    kit_status rc;

    if (!t || !url || !body || !resp || !info)
        return KIT_ERR_INVALID_ARG;
    for (; headers && headers[n]; n++) {
        if (n == MAX_HEADERS)
            return KIT_ERR_INVALID_ARG;
        all[n] = headers[n];
    }
    all[n++] = "content-type: application/json";
    all[n++] = "accept: application/json";
    all[n] = NULL;

    memset(&hreq, 0, sizeof(hreq));
    hreq.method = "POST";
    hreq.url = url;
    hreq.headers = all;
    hreq.body = body;
    hreq.body_len = strlen(body);
    hreq.timeout_ms = timeout_ms;
    hreq.on_body = on_body;
    hreq.on_body_ctx = on_body_ctx;

    rc = kit_transport_send(t, &hreq, resp);
    if (rc != KIT_OK) {
        snprintf(info->message, sizeof(info->message), "%s",
                 resp->error[0] ? resp->error : kit_strerror(rc));
        return rc;
    }
    info->http_status = resp->status;
    info->retry_after_ms = resp->retry_after_ms;
    /* A transport that left these to us (a fake, say) still has the
     * headers. */
    if (info->retry_after_ms < 0)
        info->retry_after_ms = kit_http_retry_after_ms(resp);
    snprintf(info->request_id, sizeof(info->request_id), "%s",
             resp->request_id);
    if (!info->request_id[0] &&
        !kit_http_header(resp, "request-id", info->request_id,
                         sizeof(info->request_id)))
        kit_http_header(resp, "x-request-id", info->request_id,
                        sizeof(info->request_id));
    kit_ratelimit_parse(resp, (long long)kit_clock_wall_s(NULL),
                        &info->ratelimit);
    return kit_status_from_http(resp->status);
}

bool kit_provider_sse_next(const char **pos, const char *end, const char **data,
                           size_t *len)
{
    const char *p;

    if (!pos || !*pos || !end || !data || !len)
        return false;
    p = *pos;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;

        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        if ((size_t)(line_end - p) >= 5 && memcmp(p, "data:", 5) == 0) {
            p += 5;
            if (p < line_end && *p == ' ')
                p++;
            *data = p;
            *len = (size_t)(line_end - p);
            *pos = next;
            return true;
        }
        p = next;
    }
    *pos = end;
    return false;
}

/* One complete line (its "\n" already gone): hands over its data, if any. */
static void sse_line(char *line, size_t n, kit_sse_fn on_data, void *ctx)
{
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (n < 5 || memcmp(line, "data:", 5) != 0)
        return;
    line += 5;
    n -= 5;
    if (n > 0 && *line == ' ') {
        line++;
        n--;
    }
    on_data(ctx, line, n);
}

kit_status kit_sse_feed(kit_sse *s, const char *data, size_t len,
                        kit_sse_fn on_data, void *ctx)
{
    if (!s || !on_data || (!data && len > 0))
        return KIT_ERR_INVALID_ARG;
    while (len > 0 && !s->over) {
        const char *eol = memchr(data, '\n', len);
        size_t take = eol ? (size_t)(eol - data) : len;

        /* Every line is copied whole before it is read, so a piece that
         * ends mid-line simply leaves the start here for the next one. */
        if (take > sizeof(s->line) - s->len) {
            s->over = true;
            break;
        }
        memcpy(s->line + s->len, data, take);
        s->len += take;
        data += take;
        len -= take;
        if (eol) {
            sse_line(s->line, s->len, on_data, ctx);
            s->len = 0;
            data++;
            len--;
        }
    }
    return s->over ? KIT_ERR_TOO_LARGE : KIT_OK;
}
