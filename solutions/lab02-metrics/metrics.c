/*
 * Usage metrics for lab 2: calls and HTTP attempts counted apart, tokens,
 * cost from the price table, and latency on the clock seam, so a test's
 * fake clock gives exact figures.
 */
#include "metrics.h"

#include <limits.h>
#include <string.h>

#include <cJSON.h>

#include "pricing.h"

kit_status metrics_init(metrics *m, const kit_clock *clock)
{
    if (!m)
        return KIT_ERR_INVALID_ARG;
    memset(m, 0, sizeof(*m));
    m->clock = clock;
    return KIT_OK;
}

kit_status metrics_reset(metrics *m)
{
    if (!m)
        return KIT_ERR_INVALID_ARG;
    return metrics_init(m, m->clock);
}

kit_status metrics_call_begin(const metrics *m, metrics_call *call)
{
    if (!m || !call)
        return KIT_ERR_INVALID_ARG;
    memset(call, 0, sizeof(*call));
    call->started_ms = kit_clock_now_ms(m->clock);
    return KIT_OK;
}

kit_status metrics_record_attempt(metrics *m, const kit_attempt *attempt)
{
    if (!m || !attempt)
        return KIT_ERR_INVALID_ARG;
    m->attempts++;
    if (attempt->http_status == 429)
        m->rate_limit_hits++;
    return KIT_OK;
}

/*
 * The breakdown row for name, added at the end on first use. NULL when the
 * breakdown is full: the totals still count the call.
 */
static metrics_model *model_row(metrics *m, const char *name)
{
    metrics_model *row;

    for (size_t i = 0; i < m->n_models; i++)
        if (strcmp(m->models[i].model, name) == 0)
            return &m->models[i];
    if (m->n_models == METRICS_MAX_MODELS)
        return NULL;
    row = &m->models[m->n_models++];
    memset(row, 0, sizeof(*row));
    snprintf(row->model, sizeof(row->model), "%s", name);
    return row;
}

kit_status metrics_call_end(metrics *m, metrics_call *call, kit_status outcome,
                            const char *model, long input_tokens,
                            long output_tokens)
{
    const pricing_row *price;
    metrics_model *row;
    uint64_t now;
    double cost = 0.0;

    if (!m || !call)
        return KIT_ERR_INVALID_ARG;
    if (outcome == KIT_OK && (!model || input_tokens < 0 || output_tokens < 0))
        return KIT_ERR_INVALID_ARG;

    /* A monotonic clock never runs back, but a call begun on another
     * clock could: report 0 rather than a wrapped-around figure. */
    now = kit_clock_now_ms(m->clock);
    call->latency_ms = now >= call->started_ms ? now - call->started_ms : 0;
    call->cost_usd = 0.0;
    m->calls++;
    m->total_latency_ms += call->latency_ms;
    if (outcome != KIT_OK) {
        m->failures++;
        return KIT_OK;
    }

    m->successes++;
    m->input_tokens += input_tokens;
    m->output_tokens += output_tokens;
    price = pricing_find(model);
    if (price)
        cost = pricing_cost_usd(price, input_tokens, output_tokens);
    else
        m->unpriced_calls++;
    m->cost_usd += cost;
    call->cost_usd = cost;

    /* Rows are keyed by the table's spelling, so "claude-haiku-4-5" and
     * "claude-haiku-4.5" share one. */
    row = model_row(m, price ? price->model : model);
    if (row) {
        row->calls++;
        row->input_tokens += input_tokens;
        row->output_tokens += output_tokens;
        row->cost_usd += cost;
    }
    return KIT_OK;
}

kit_status metrics_summarize(const metrics *m, metrics_summary *out)
{
    if (!m || !out)
        return KIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    out->calls = m->calls;
    out->successes = m->successes;
    out->failures = m->failures;
    out->attempts = m->attempts;
    out->rate_limit_hits = m->rate_limit_hits;
    out->total_tokens = m->input_tokens + m->output_tokens;
    out->cost_usd = m->cost_usd;
    if (m->calls > 0) {
        out->success_rate = (double)m->successes / (double)m->calls;
        out->avg_latency_ms = (double)m->total_latency_ms / (double)m->calls;
    }
    return KIT_OK;
}

kit_status metrics_format(const metrics *m, char *buf, size_t len)
{
    metrics_summary s;
    int n;

    if (!m || !buf || len == 0)
        return KIT_ERR_INVALID_ARG;
    metrics_summarize(m, &s);
    n = snprintf(buf, len,
                 "calls: %ld (%ld ok, %ld failed, success rate %.1f%%)\n"
                 "attempts: %ld (%ld rate-limited)\n"
                 "tokens: %ld (%ld in, %ld out)\n"
                 "cost: $%.6f\n"
                 "avg latency: %.1f ms\n",
                 s.calls, s.successes, s.failures, s.success_rate * 100.0,
                 s.attempts, s.rate_limit_hits, s.total_tokens, m->input_tokens,
                 m->output_tokens, s.cost_usd, s.avg_latency_ms);
    if (n < 0)
        return KIT_ERR_INVALID_ARG;
    return (size_t)n < len ? KIT_OK : KIT_ERR_TOO_LARGE;
}

kit_status metrics_print(const metrics *m, FILE *out)
{
    char text[512];
    kit_status st;

    if (!m || !out)
        return KIT_ERR_INVALID_ARG;
    st = metrics_format(m, text, sizeof(text));
    if (st != KIT_OK)
        return st;
    if (fputs(text, out) == EOF || fflush(out) == EOF)
        return KIT_ERR_IO;
    return KIT_OK;
}

const metrics_model *metrics_find_model(const metrics *m, const char *model)
{
    const pricing_row *price;
    const char *name;

    if (!m || !model)
        return NULL;
    price = pricing_find(model);
    name = price ? price->model : model;
    for (size_t i = 0; i < m->n_models; i++)
        if (strcmp(m->models[i].model, name) == 0)
            return &m->models[i];
    return NULL;
}

/* A JSON member that is a number: the exports below are tables of these. */
typedef struct json_number {
    const char *name;
    double value;
} json_number;

/* Adds each member to obj. Returns false when memory ran out. */
static bool add_numbers(cJSON *obj, const json_number *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!cJSON_AddNumberToObject(obj, fields[i].name, fields[i].value))
            return false;
    return true;
}

/* One row of the breakdown as a JSON object; NULL when out of memory. */
static cJSON *model_json(const metrics_model *row)
{
    const json_number fields[] = {
        {"calls", (double)row->calls},
        {"input_tokens", (double)row->input_tokens},
        {"output_tokens", (double)row->output_tokens},
        {"cost_usd", row->cost_usd},
    };
    cJSON *obj = cJSON_CreateObject();

    if (!obj || !cJSON_AddStringToObject(obj, "model", row->model) ||
        !add_numbers(obj, fields, sizeof(fields) / sizeof(fields[0]))) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

kit_status metrics_to_json(const metrics *m, char *buf, size_t len)
{
    metrics_summary s;
    cJSON *root = NULL, *models;
    kit_status st = KIT_ERR_NO_MEMORY;

    if (!m || !buf || len == 0)
        return KIT_ERR_INVALID_ARG;
    metrics_summarize(m, &s);
    const json_number fields[] = {
        {"calls", (double)m->calls},
        {"successes", (double)m->successes},
        {"failures", (double)m->failures},
        {"attempts", (double)m->attempts},
        {"rate_limit_hits", (double)m->rate_limit_hits},
        {"input_tokens", (double)m->input_tokens},
        {"output_tokens", (double)m->output_tokens},
        {"cost_usd", m->cost_usd},
        {"total_latency_ms", (double)m->total_latency_ms},
        {"unpriced_calls", (double)m->unpriced_calls},
        {"success_rate", s.success_rate},
        {"avg_latency_ms", s.avg_latency_ms},
    };

    root = cJSON_CreateObject();
    if (!root || !add_numbers(root, fields, sizeof(fields) / sizeof(fields[0])))
        goto out;
    models = cJSON_AddArrayToObject(root, "models");
    if (!models)
        goto out;
    for (size_t i = 0; i < m->n_models; i++) {
        cJSON *row = model_json(&m->models[i]);

        if (!row)
            goto out;
        if (!cJSON_AddItemToArray(models, row)) {
            cJSON_Delete(row);
            goto out;
        }
    }

    /* cJSON checks the bound itself and fails cleanly when it is hit. */
    if (!cJSON_PrintPreallocated(root, buf, len > INT_MAX ? INT_MAX : (int)len,
                                 0)) {
        buf[0] = '\0';
        st = KIT_ERR_TOO_LARGE;
        goto out;
    }
    st = KIT_OK;
out:
    cJSON_Delete(root);
    return st;
}
