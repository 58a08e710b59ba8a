/*
 * budget: lab 5's daily spending limit. Read README.md first: it walks
 * through these functions in order. The contract is budget.h; do not
 * change it.
 */
#include "budget.h"

#include <stdlib.h>
#include <string.h>

#include "pricing.h"

/*
 * TODO(lab 5): decide what a budget holds. You will need a lock, the clock,
 * the day the figures belong to, and for each environment its limit, what
 * is spent, what is in flight, the calls settled, the time of the day's
 * first settled call and whether the warning has fired. README step 2
 * suggests keeping money in integer nano-dollars.
 */
struct budget {
    int todo;
};

const char *budget_env_name(budget_env env)
{
    /* TODO(lab 5): "dev", "staging", "prod"; "unknown" otherwise (step 1). */
    (void)env;
    return "unknown";
}

bool budget_env_parse(const char *name, budget_env *out)
{
    /* TODO(lab 5): the reverse of budget_env_name (step 1). */
    (void)name;
    (void)out;
    return false;
}

kit_status budget_estimate_usd(const char *model, size_t prompt_bytes,
                               int max_tokens, double *usd_out)
{
    /* TODO(lab 5): ceil(prompt_bytes / 4) tokens in, max_tokens out, at the
     * prices pricing_find gives (step 1). */
    (void)model;
    (void)prompt_bytes;
    (void)max_tokens;
    (void)usd_out;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status budget_create(const budget_config *cfg, budget **out)
{
    /* TODO(lab 5): check cfg, allocate, copy the limits and the log path,
     * start today, rebuild today's spend from the usage log (steps 2
     * and 7). */
    (void)cfg;
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void budget_destroy(budget *b)
{
    /* TODO(lab 5): free what budget_create allocated (step 2). */
    free(b);
}

kit_status budget_reserve(budget *b, budget_env env, double estimate_usd,
                          budget_reservation *res, budget_notice *notice)
{
    /* TODO(lab 5): under one lock: roll the day, check committed +
     * estimate against the limit, hold the estimate, warn once at 80 %
     * (steps 3, 4 and 5). */
    (void)b;
    (void)env;
    (void)estimate_usd;
    (void)res;
    (void)notice;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status budget_settle(budget *b, budget_reservation *res, const char *model,
                         double actual_usd)
{
    /* TODO(lab 5): replace the hold by the actual cost, count the call,
     * append the usage log line (steps 3 and 7). */
    (void)b;
    (void)res;
    (void)model;
    (void)actual_usd;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status budget_release(budget *b, budget_reservation *res)
{
    /* TODO(lab 5): give the hold back (step 3). */
    (void)b;
    (void)res;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status budget_daily_spending(budget *b, budget_env env,
                                 budget_spending *out)
{
    /* TODO(lab 5): today's figures for env (step 3). */
    (void)b;
    (void)env;
    if (out)
        memset(out, 0, sizeof(*out));
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status budget_project(budget *b, budget_env env, budget_projection *out)
{
    /* TODO(lab 5): spent per hour since the day's first call, and when
     * the rest runs out (step 8). */
    (void)b;
    (void)env;
    if (out)
        memset(out, 0, sizeof(*out));
    return KIT_ERR_NOT_IMPLEMENTED;
}
