/*
 * retry_budget: lab 7's shared bucket of retries. Read README.md step 6.
 * The contract is retry_budget.h; do not change it.
 */
#include "retry_budget.h"

#include <stdlib.h>

#include "backoff.h"

/*
 * TODO(lab 7): a lock, the units per token (successes_per_token), the
 * capacity and the level, both in units (step 6).
 */
struct retry_budget {
    int todo;
};

kit_status retry_budget_create(const retry_budget_config *cfg,
                               retry_budget **out)
{
    /* TODO(lab 7): check cfg, allocate, start full (step 6). */
    (void)cfg;
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void retry_budget_destroy(retry_budget *rb)
{
    /* TODO(lab 7): free what retry_budget_create allocated (step 6). */
    free(rb);
}

kit_status retry_budget_take(retry_budget *rb)
{
    /* TODO(lab 7): take one whole token, or refuse (step 6). */
    (void)rb;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void retry_budget_on_success(retry_budget *rb)
{
    /* TODO(lab 7): add one unit, up to the capacity (step 6). */
    (void)rb;
}

double retry_budget_tokens(retry_budget *rb)
{
    /* TODO(lab 7): the level in tokens (step 6). */
    (void)rb;
    return -1;
}

kit_status retry_budget_attempt(void *call, kit_attempt *info)
{
    /* TODO(lab 7): a retry pays first; a transient failure with an empty
     * bucket becomes KIT_ERR_RETRY_BUDGET; a success is credited
     * (step 7). */
    (void)call;
    (void)info;
    return KIT_ERR_NOT_IMPLEMENTED;
}
