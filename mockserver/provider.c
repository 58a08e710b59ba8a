/*
 * The list of providers the mock server speaks, path routing between them,
 * and small helpers their files share.
 */
#include "provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one list of providers. Order matters only for resemblance: the first
   provider that claims an unknown path gets to answer its 404. */
static const provider_ops *const providers[] = {
    &provider_anthropic,
    &provider_gemini,
    &provider_openai,
};

#define N_PROVIDERS (sizeof(providers) / sizeof(providers[0]))

const provider_ops *provider_route(const req_view *v, enum endpoint *ep,
                                   char *model, size_t n)
{
    size_t i;

    for (i = 0; i < N_PROVIDERS; i++) {
        *ep = providers[i]->endpoint(v->path, model, n);
        if (*ep != ENDPOINT_NONE)
            return providers[i];
    }
    *ep = ENDPOINT_NONE;
    for (i = 0; i < N_PROVIDERS; i++) {
        if (providers[i]->resembles(v))
            return providers[i];
    }
    return &provider_openai;
}

void chat_request_free(chat_request *rq)
{
    size_t i;

    if (!rq)
        return;
    buf_free(&rq->text);
    free(rq->last_user);
    rq->last_user = NULL;
    for (i = 0; i < rq->n_stops; i++)
        free(rq->stops[i]);
    rq->n_stops = 0;
}

void provider_error_set(provider_error *e, int status, const char *fmt, ...)
{
    va_list ap;

    e->status = status;
    e->param = NULL;
    e->code = NULL;
    e->retry_delay_ms = -1;
    e->request_id = NULL;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

int provider_split_text(const char *text, size_t len, int words,
                        int (*piece)(void *ctx, const char *s, size_t n),
                        void *ctx)
{
    size_t start = 0, i;
    int seen = 0;
    int rc;

    for (i = 0; i < len; i++) {
        if (text[i] == ' ' && ++seen == words) {
            /* The space goes with the piece before it, as real streams
               tend to put it. */
            rc = piece(ctx, text + start, i + 1 - start);
            if (rc)
                return rc;
            start = i + 1;
            seen = 0;
        }
    }
    if (start < len)
        return piece(ctx, text + start, len - start);
    return 0;
}

int provider_put_json(buf *out, const cJSON *obj)
{
    char *s = cJSON_PrintUnformatted(obj);
    int rc;

    if (!s)
        return -1;
    rc = buf_adds(out, s);
    cJSON_free(s);
    return rc;
}

int provider_sse_json(buf *out, const char *name, const cJSON *obj)
{
    if (name && buf_addf(out, "event: %s\n", name) != 0)
        return -1;
    if (buf_adds(out, "data: ") != 0 || provider_put_json(out, obj) != 0 ||
        buf_adds(out, "\n\n") != 0)
        return -1;
    return 0;
}

bool provider_copy_string(const cJSON *item, char *dst, size_t n)
{
    size_t len;

    if (!cJSON_IsString(item))
        return false;
    len = strlen(item->valuestring);
    if (len >= n)
        return false;
    memcpy(dst, item->valuestring, len + 1);
    return true;
}

bool provider_get_int(const cJSON *item, double lo, double hi, int64_t *out)
{
    double d;

    if (!cJSON_IsNumber(item))
        return false;
    d = item->valuedouble;
    if (!(d >= lo && d <= hi) || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}
