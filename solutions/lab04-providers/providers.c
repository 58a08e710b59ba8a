/*
 * The providers of lab 4 by name, their prices from lab 2's one table, and
 * extra A: a call that falls back down an ordered list of providers.
 */
#include "providers.h"

#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "pricing.h"

/* The one name -> ops table. A new provider is one more row. */
static const kit_provider_ops *const providers[] = {
    &kit_provider_anthropic,
    &provider_openai,
    &provider_gemini,
};

enum { N_PROVIDERS = sizeof(providers) / sizeof(providers[0]) };

const kit_provider_ops *provider_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_PROVIDERS; i++)
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    return NULL;
}

const kit_provider_ops *provider_at(size_t i)
{
    return i < N_PROVIDERS ? providers[i] : NULL;
}

kit_status provider_pricing(const kit_provider_ops *p, const char *model,
                            double *usd_in_per_mtok, double *usd_out_per_mtok)
{
    const pricing_row *row;

    if (!p || !p->name || !model || !usd_in_per_mtok || !usd_out_per_mtok)
        return KIT_ERR_INVALID_ARG;
    row = pricing_find(model);
    /* The table holds every provider's models: one of another provider's
     * is not this provider's price. */
    if (!row || strcmp(row->provider, p->name) != 0)
        return KIT_ERR_NOT_FOUND;
    *usd_in_per_mtok = row->usd_in_per_mtok;
    *usd_out_per_mtok = row->usd_out_per_mtok;
    return KIT_OK;
}

kit_status fallback_call(const fallback_route *routes, size_t n,
                         const client_call_params *params, client_result *out)
{
    size_t skipped = 0;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    out->status = KIT_ERR_INVALID_ARG;
    if (!routes || n == 0 || !params) {
        snprintf(out->error, sizeof(out->error),
                 "fallback_call: needs at least one route and the params");
        return out->status;
    }
    for (size_t i = 0; i < n; i++) {
        const fallback_route *r = &routes[i];
        kit_status st;

        if (!r->client)
            continue;
        /* An open breaker: this provider is known to be down, so do not
         * spend a request (or a retry schedule) finding out again. */
        if (r->breaker && breaker_allow(r->breaker) != KIT_OK) {
            skipped++;
            continue;
        }
        client_result_clear(out);
        st = client_call(r->client, params, out);
        if (r->breaker)
            breaker_record(r->breaker, st);
        /* Success, or a permanent error another provider would only
         * hide: either way the call ends here. */
        if (st == KIT_OK || !backoff_is_transient(st))
            return st;
    }
    if (skipped == n) {
        out->status = KIT_ERR_CIRCUIT_OPEN;
        snprintf(out->error, sizeof(out->error),
                 "every provider's breaker is open: no request was sent");
    }
    return out->status;
}
