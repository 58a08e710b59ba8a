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
    /* TODO(lab 2): start the stopwatch: zero *call and set
     * call->started_ms to the clock's now (kit_clock_now_ms(m->clock)).
     * See README.md step 3. */
    (void)m;
    (void)call;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status metrics_record_attempt(metrics *m, const kit_attempt *attempt)
{
    /* TODO(lab 2): count one HTTP attempt, and a rate-limit hit when it
     * was answered 429. See README.md step 4. */
    (void)m;
    (void)attempt;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status metrics_call_end(metrics *m, metrics_call *call, kit_status outcome,
                            const char *model, long input_tokens,
                            long output_tokens)
{
    /* TODO(lab 2): count the call as a success or a failure, add its
     * latency, and for a success its tokens and its cost from the price
     * table (and its model's row of the breakdown, for the extra).
     * See README.md step 5. */
    (void)m;
    (void)call;
    (void)outcome;
    (void)model;
    (void)input_tokens;
    (void)output_tokens;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status metrics_summarize(const metrics *m, metrics_summary *out)
{
    /* TODO(lab 2): fill *out from m: success rate over CALLS, average
     * latency over calls, total tokens. See README.md step 6. */
    (void)m;
    (void)out;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status metrics_format(const metrics *m, char *buf, size_t len)
{
    /* TODO(lab 2): write the five summary lines of metrics.h into buf with
     * one snprintf, and tell a short buffer apart. See README.md step 7. */
    (void)m;
    (void)buf;
    (void)len;
    return KIT_ERR_NOT_IMPLEMENTED;
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
    /* TODO(lab 2, extra A): find the model's row of the breakdown, by any
     * spelling pricing_find accepts. See README.md extra A. */
    (void)m;
    (void)model;
    return NULL;
}

kit_status metrics_to_json(const metrics *m, char *buf, size_t len)
{
    /* TODO(lab 2, extra B): build the object of metrics.h with cJSON and
     * print it into buf (cJSON_PrintPreallocated). See README.md extra B. */
    (void)m;
    (void)buf;
    (void)len;
    return KIT_ERR_NOT_IMPLEMENTED;
}
