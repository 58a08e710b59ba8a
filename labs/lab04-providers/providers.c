/*
 * The providers of lab 4 by name, their prices from lab 2's one table, and
 * extra A: a call that falls back down an ordered list of providers.
 */
#include "providers.h"

#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "pricing.h"

/* TODO(lab 4): the one name -> ops table, a static const array of
 * pointers: &kit_provider_anthropic, &provider_openai, &provider_gemini.
 * See README.md step 8. */

const kit_provider_ops *provider_lookup(const char *name)
{
    /* TODO(lab 4): the row whose name is name; NULL for NULL or none.
     * See README.md step 8. */
    (void)name;
    return NULL;
}

const kit_provider_ops *provider_at(size_t i)
{
    /* TODO(lab 4): row i, or NULL past the end. See README.md step 8. */
    (void)i;
    return NULL;
}

kit_status provider_pricing(const kit_provider_ops *p, const char *model,
                            double *usd_in_per_mtok, double *usd_out_per_mtok)
{
    /* TODO(lab 4): pricing_find(model) from lab 2, and only a row whose
     * provider is p->name counts (else KIT_ERR_NOT_FOUND).
     * See README.md step 9. */
    (void)p;
    (void)model;
    (void)usd_in_per_mtok;
    (void)usd_out_per_mtok;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status fallback_call(const fallback_route *routes, size_t n,
                         const client_call_params *params, client_result *out)
{
    /* TODO(lab 4, extra A): try each route in order: skip one whose
     * breaker refuses (breaker_allow), client_call the others and tell
     * the breaker the outcome (breaker_record); stop at a success or a
     * permanent error, move on after a transient one
     * (backoff_is_transient). All breakers open: KIT_ERR_CIRCUIT_OPEN.
     * See README.md extra A. */
    (void)routes;
    (void)n;
    (void)params;
    if (out) {
        memset(out, 0, sizeof(*out));
        out->status = KIT_ERR_NOT_IMPLEMENTED;
    }
    return KIT_ERR_NOT_IMPLEMENTED;
}
