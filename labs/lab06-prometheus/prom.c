/*
 * prom: lab 6's registry of counters and a histogram, and its text
 * exposition. Read README.md first: it walks through these functions in
 * order. The contract is prom.h; do not change it.
 */
#include "prom.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * TODO(lab 6): decide what a registry holds (step 2): a lock, and for each
 * model its name, a request count per kit_status, the histogram's bucket
 * counts with its sum and count, tokens in and out, cost, rate-limit hits
 * and retries.
 */
struct prom_registry {
    int todo;
};

kit_status prom_registry_create(prom_registry **out)
{
    /* TODO(lab 6): allocate and initialise the lock (step 2). */
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void prom_registry_destroy(prom_registry *r)
{
    /* TODO(lab 6): destroy the lock, free (step 2). */
    free(r);
}

const char *prom_status_label(kit_status status)
{
    /* TODO(lab 6): a switch over every kit_status, no default (step 1). */
    (void)status;
    return "unknown";
}

size_t prom_escape_label_value(const char *value, char *out, size_t outlen)
{
    /* TODO(lab 6): backslash, double quote, newline; snprintf's return
     * rule (step 1). */
    (void)value;
    if (outlen > 0)
        out[0] = '\0';
    return 0;
}

kit_status prom_record_call(prom_registry *r, const prom_call *call)
{
    /* TODO(lab 6): check the figures, find or add the model, count under
     * the lock (step 3). */
    (void)r;
    (void)call;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status prom_record_attempt(prom_registry *r, const char *model, int attempt,
                               kit_status status)
{
    /* TODO(lab 6): retries and rate-limit hits (step 3). */
    (void)r;
    (void)model;
    (void)attempt;
    (void)status;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status prom_render(prom_registry *r, char **text_out, size_t *len_out)
{
    /* TODO(lab 6): every family, HELP and TYPE then its samples, into a
     * growing buffer, under the lock (steps 4 and 5). */
    (void)r;
    (void)len_out;
    if (text_out)
        *text_out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}
