/*
 * retry_budget: a limit on retries across all calls, so that a failing
 * provider is not hit with three times the load. Lab 7.
 *
 * Backoff (lab 1) spaces out the retries of one call. It does not stop a
 * thousand calls from each retrying three times when the provider is down:
 * the client then sends four times its normal load to a server that is
 * already failing. The AWS SDKs' retry quota and gRPC's retry throttling
 * add one shared bucket of retry tokens:
 *
 *   - the bucket holds up to `capacity` retries and starts full;
 *   - each retry takes one whole token, and is refused when there is none
 *     (KIT_ERR_RETRY_BUDGET: the call fails fast with its first error);
 *   - each successful call puts back 1 / successes_per_token of a token.
 *
 * While most calls succeed the bucket stays full and retries flow freely.
 * When most calls fail, the bucket drains after `capacity` retries and the
 * client stops multiplying the load: each call makes one attempt, until
 * successes have earned retries back. First attempts are never refused.
 *
 * Tokens are counted in units of 1 / successes_per_token, so the sums are
 * exact: with successes_per_token 10, ten successes give back exactly one
 * retry.
 *
 * Wiring it into lab 1's backoff_run: wrap the attempt function.
 *
 *     retry_budget_call rc = { .budget = rb, .fn = my_attempt, .arg = &ctx };
 *     status = backoff_run(&policy, clock, retry_budget_attempt, &rc, NULL);
 *
 * When an attempt fails with a transient error and the bucket holds less
 * than one token, retry_budget_attempt reports KIT_ERR_RETRY_BUDGET instead,
 * which backoff_run treats as permanent: the call ends at once, without
 * sleeping a backoff it will not use. A success is credited to the budget.
 *
 * Every function is thread-safe on one budget.
 */
#ifndef RETRY_BUDGET_H
#define RETRY_BUDGET_H

#include <stdbool.h>

#include "kit_chat.h"
#include "kit_status.h"

typedef struct retry_budget_config {
    int capacity;            /* > 0: the most retries the bucket holds */
    int successes_per_token; /* > 0: successes that earn back one retry */
} retry_budget_config;

/* The AWS-like default: 10 retries in hand, 10 successes earn one back. */
#define RETRY_BUDGET_CONFIG_DEFAULT                                            \
    {                                                                          \
        .capacity = 10, .successes_per_token = 10,                             \
    }

typedef struct retry_budget retry_budget; /* opaque: see retry_budget_create */

/*
 * Creates a full budget from cfg (copied). On success *out is the
 * caller's: free it with retry_budget_destroy. KIT_ERR_INVALID_ARG for a
 * NULL argument or a field <= 0; KIT_ERR_NO_MEMORY. *out is NULL on
 * failure.
 */
kit_status retry_budget_create(const retry_budget_config *cfg,
                               retry_budget **out);

/* Frees rb. NULL is a no-op. */
void retry_budget_destroy(retry_budget *rb);

/*
 * Asks for one retry. KIT_OK takes one whole token; KIT_ERR_RETRY_BUDGET
 * when less than one token is left (nothing is taken).
 * KIT_ERR_INVALID_ARG for a NULL rb.
 */
kit_status retry_budget_take(retry_budget *rb);

/* Credits one successful call: 1 / successes_per_token of a token, up to
 * capacity. NULL is a no-op. */
void retry_budget_on_success(retry_budget *rb);

/* The tokens in the bucket now, whole and fractional: 2.5 is two retries
 * and half of a third. 0 for a NULL rb. */
double retry_budget_tokens(retry_budget *rb);

/*
 * One call's attempts through a budget. Fill budget, fn and arg;
 * retry_budget_attempt keeps `attempts` (set it to 0 before each call).
 */
typedef struct retry_budget_call {
    retry_budget *budget;                           /* borrowed */
    kit_status (*fn)(void *arg, kit_attempt *info); /* the real attempt */
    void *arg;                                      /* passed to fn */
    int attempts;                                   /* attempts made so far */
} retry_budget_call;

/*
 * A backoff_attempt_fn (lab 1) that runs call->fn through call->budget
 * (call is a retry_budget_call *):
 *   - the first attempt of a call always runs;
 *   - a later attempt (a retry) first takes one token; when it cannot, fn
 *     is not called and the attempt reports KIT_ERR_RETRY_BUDGET;
 *   - an attempt that fails with a transient error (backoff_is_transient)
 *     while the bucket holds less than one token reports
 *     KIT_ERR_RETRY_BUDGET instead, so backoff_run stops without sleeping;
 *     info keeps the attempt's http_status;
 *   - a KIT_OK attempt is credited with retry_budget_on_success.
 * Whenever it reports KIT_ERR_RETRY_BUDGET, info->status is that too and
 * info->message says "retry budget spent". It returns info->status.
 */
kit_status retry_budget_attempt(void *call, kit_attempt *info);

#endif
