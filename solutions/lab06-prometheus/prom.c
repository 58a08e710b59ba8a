/*
 * prom: lab 6's registry of counters and a histogram, and its text
 * exposition. One mutex guards every figure: recording is a few additions,
 * and rendering under the same lock makes every page a consistent snapshot.
 */
#include "prom.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One slot per kit_status value; RETRY_BUDGET is the enum's last. */
enum { N_STATUS = KIT_ERR_RETRY_BUDGET + 1 };

static const double bucket_le[PROM_N_BUCKETS] = PROM_DURATION_BUCKETS;

/* Every series of one model label value. */
struct model_series {
    char name[PROM_MAX_MODEL_LEN + 1];
    unsigned long long requests[N_STATUS];
    /* Per bucket, the observations that fell in it alone; rendering adds
     * them up into Prometheus' cumulative counts. */
    unsigned long long in_bucket[PROM_N_BUCKETS + 1]; /* last: above all */
    double duration_sum;
    unsigned long long duration_count;
    unsigned long long input_tokens, output_tokens;
    double cost_usd;
    unsigned long long rate_limit_hits, retries;
};

struct prom_registry {
    pthread_mutex_t lock;
    struct model_series models[PROM_MAX_MODELS];
    size_t n_models;
};

kit_status prom_registry_create(prom_registry **out)
{
    prom_registry *r;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return KIT_ERR_NO_MEMORY;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return KIT_ERR_NO_MEMORY;
    }
    *out = r;
    return KIT_OK;
}

void prom_registry_destroy(prom_registry *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* No default: a status added to the enum without a label warns here. */
const char *prom_status_label(kit_status status)
{
    switch (status) {
    case KIT_OK:
        return "ok";
    case KIT_ERR_NOT_IMPLEMENTED:
        return "not_implemented";
    case KIT_ERR_INVALID_ARG:
        return "invalid_arg";
    case KIT_ERR_NO_MEMORY:
        return "no_memory";
    case KIT_ERR_NO_KEY:
        return "no_key";
    case KIT_ERR_IO:
        return "io";
    case KIT_ERR_TIMEOUT:
        return "timeout";
    case KIT_ERR_CONNECT:
        return "connect";
    case KIT_ERR_RESET:
        return "reset";
    case KIT_ERR_NETWORK:
        return "network";
    case KIT_ERR_TOO_LARGE:
        return "too_large";
    case KIT_ERR_BAD_RESPONSE:
        return "bad_response";
    case KIT_ERR_BAD_REQUEST:
        return "bad_request";
    case KIT_ERR_AUTH:
        return "auth";
    case KIT_ERR_PERMISSION:
        return "permission";
    case KIT_ERR_NOT_FOUND:
        return "not_found";
    case KIT_ERR_RATE_LIMIT:
        return "rate_limit";
    case KIT_ERR_SERVER:
        return "server";
    case KIT_ERR_OVERLOADED:
        return "overloaded";
    case KIT_ERR_HTTP:
        return "http";
    case KIT_ERR_CIRCUIT_OPEN:
        return "circuit_open";
    case KIT_ERR_BUDGET:
        return "budget";
    case KIT_ERR_RETRY_BUDGET:
        return "retry_budget";
    }
    return "unknown";
}

size_t prom_escape_label_value(const char *value, char *out, size_t outlen)
{
    size_t need = 0;

    for (const char *p = value ? value : ""; *p; p++) {
        char plain[2] = {*p, '\0'};
        const char *rep;

        switch (*p) {
        case '\\':
            rep = "\\\\";
            break;
        case '"':
            rep = "\\\"";
            break;
        case '\n':
            rep = "\\n";
            break;
        default:
            rep = plain;
            break;
        }
        /* Count every byte, store those that fit with room for the NUL. */
        for (; *rep; rep++, need++) {
            if (need + 1 < outlen)
                out[need] = *rep;
        }
    }
    if (outlen > 0)
        out[need < outlen ? need : outlen - 1] = '\0';
    return need;
}

/*
 * Finds model's series, adding it when it is new. Returns NULL with *st set
 * when the name is too long or the table is full. Called with the lock held.
 */
static struct model_series *series_for(prom_registry *r, const char *model,
                                       kit_status *st)
{
    struct model_series *m;

    if (!model || !*model)
        model = "unknown";
    if (strlen(model) > PROM_MAX_MODEL_LEN) {
        *st = KIT_ERR_INVALID_ARG;
        return NULL;
    }
    for (size_t i = 0; i < r->n_models; i++) {
        if (strcmp(r->models[i].name, model) == 0)
            return &r->models[i];
    }
    if (r->n_models == PROM_MAX_MODELS) {
        *st = KIT_ERR_TOO_LARGE;
        return NULL;
    }
    m = &r->models[r->n_models++];
    memset(m, 0, sizeof(*m));
    strcpy(m->name, model); /* the length was checked above */
    return m;
}

static bool status_valid(kit_status status)
{
    return (int)status >= 0 && (int)status < N_STATUS;
}

kit_status prom_record_call(prom_registry *r, const prom_call *call)
{
    struct model_series *m;
    kit_status st = KIT_OK;
    size_t b = 0;

    if (!r || !call || !status_valid(call->status) ||
        !(call->duration_s >= 0) || call->input_tokens < 0 ||
        call->output_tokens < 0 || !(call->cost_usd >= 0))
        return KIT_ERR_INVALID_ARG;
    /* The bucket is the first whose bound is >= the value (le means
     * "less than or equal"); PROM_N_BUCKETS is the +Inf-only slot. */
    while (b < PROM_N_BUCKETS && call->duration_s > bucket_le[b])
        b++;

    pthread_mutex_lock(&r->lock);
    m = series_for(r, call->model, &st);
    if (m) {
        m->requests[call->status]++;
        m->in_bucket[b]++;
        m->duration_sum += call->duration_s;
        m->duration_count++;
        m->input_tokens += (unsigned long long)call->input_tokens;
        m->output_tokens += (unsigned long long)call->output_tokens;
        m->cost_usd += call->cost_usd;
    }
    pthread_mutex_unlock(&r->lock);
    return st;
}

kit_status prom_record_attempt(prom_registry *r, const char *model, int attempt,
                               kit_status status)
{
    struct model_series *m;
    kit_status st = KIT_OK;

    if (!r || attempt < 1 || !status_valid(status))
        return KIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&r->lock);
    m = series_for(r, model, &st);
    if (m) {
        if (attempt >= 2)
            m->retries++;
        if (status == KIT_ERR_RATE_LIMIT)
            m->rate_limit_hits++;
    }
    pthread_mutex_unlock(&r->lock);
    return st;
}

/* ---- Rendering ------------------------------------------------------------
 */

/* A growing text buffer; a failed append leaves failed set and the text
 * as it was, so the caller checks once at the end (curl's dynbuf idea). */
struct text {
    char *data;
    size_t len, cap;
    bool failed;
};

static void put(struct text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    size_t cap;
    char *grown;
    int n;

    if (t->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->data ? t->data + t->len : NULL, t->cap - t->len, fmt,
                      ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        /* It did not fit: double the buffer until it does, then format
         * again (a va_list cannot be replayed, so start over). */
        cap = t->cap ? t->cap * 2 : 4096;
        while (cap - t->len <= (size_t)n)
            cap *= 2;
        grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
}

/*
 * A double with as few digits as read back the same value: an integer as
 * "3", 0.1 + 0.2 as "0.30000000000000004", 0.0062 as "0.0062".
 */
static void format_double(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
}

static void put_family(struct text *t, const char *name, const char *type,
                       const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes every family. Called with the lock held. */
static void render_locked(const prom_registry *r, struct text *t)
{
    char model[2 * PROM_MAX_MODEL_LEN + 1], num[32];
    size_t i;

    put_family(t, "ai_requests_total", "counter",
               "Calls to the AI provider that finished, by model and "
               "outcome.");
    for (i = 0; i < r->n_models; i++) {
        const struct model_series *m = &r->models[i];

        prom_escape_label_value(m->name, model, sizeof(model));
        for (int s = 0; s < N_STATUS; s++) {
            if (m->requests[s])
                put(t, "ai_requests_total{model=\"%s\",status=\"%s\"} %llu\n",
                    model, prom_status_label((kit_status)s), m->requests[s]);
        }
    }

    put_family(t, "ai_request_duration_seconds", "histogram",
               "Time per call, retries and waits included.");
    for (i = 0; i < r->n_models; i++) {
        const struct model_series *m = &r->models[i];
        unsigned long long cumulative = 0;

        prom_escape_label_value(m->name, model, sizeof(model));
        for (int b = 0; b < PROM_N_BUCKETS; b++) {
            cumulative += m->in_bucket[b];
            format_double(num, sizeof(num), bucket_le[b]);
            put(t,
                "ai_request_duration_seconds_bucket{model=\"%s\",le=\"%s\"} "
                "%llu\n",
                model, num, cumulative);
        }
        put(t,
            "ai_request_duration_seconds_bucket{model=\"%s\",le=\"+Inf\"} "
            "%llu\n",
            model, m->duration_count);
        format_double(num, sizeof(num), m->duration_sum);
        put(t, "ai_request_duration_seconds_sum{model=\"%s\"} %s\n", model,
            num);
        put(t, "ai_request_duration_seconds_count{model=\"%s\"} %llu\n", model,
            m->duration_count);
    }

    put_family(t, "ai_tokens_total", "counter",
               "Tokens used, by model and direction (input or output).");
    for (i = 0; i < r->n_models; i++) {
        const struct model_series *m = &r->models[i];

        prom_escape_label_value(m->name, model, sizeof(model));
        put(t, "ai_tokens_total{model=\"%s\",direction=\"input\"} %llu\n",
            model, m->input_tokens);
        put(t, "ai_tokens_total{model=\"%s\",direction=\"output\"} %llu\n",
            model, m->output_tokens);
    }

    put_family(t, "ai_cost_usd_total", "counter",
               "Cost of the calls in US dollars, at the model's prices.");
    for (i = 0; i < r->n_models; i++) {
        prom_escape_label_value(r->models[i].name, model, sizeof(model));
        format_double(num, sizeof(num), r->models[i].cost_usd);
        put(t, "ai_cost_usd_total{model=\"%s\"} %s\n", model, num);
    }

    put_family(t, "ai_rate_limit_hits_total", "counter",
               "HTTP attempts answered with 429 Too Many Requests.");
    for (i = 0; i < r->n_models; i++) {
        prom_escape_label_value(r->models[i].name, model, sizeof(model));
        put(t, "ai_rate_limit_hits_total{model=\"%s\"} %llu\n", model,
            r->models[i].rate_limit_hits);
    }

    put_family(t, "ai_retries_total", "counter",
               "HTTP attempts after the first of a call.");
    for (i = 0; i < r->n_models; i++) {
        prom_escape_label_value(r->models[i].name, model, sizeof(model));
        put(t, "ai_retries_total{model=\"%s\"} %llu\n", model,
            r->models[i].retries);
    }
}

kit_status prom_render(prom_registry *r, char **text_out, size_t *len_out)
{
    struct text t = {NULL, 0, 0, false};

    if (!r || !text_out)
        return KIT_ERR_INVALID_ARG;
    *text_out = NULL;
    pthread_mutex_lock(&r->lock);
    render_locked(r, &t);
    pthread_mutex_unlock(&r->lock);
    if (t.failed || !t.data) {
        free(t.data);
        return KIT_ERR_NO_MEMORY;
    }
    *text_out = t.data;
    if (len_out)
        *len_out = t.len;
    return KIT_OK;
}
