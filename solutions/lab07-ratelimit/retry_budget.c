/*
 * retry_budget: lab 7's shared bucket of retries, as the AWS SDKs' retry
 * quota and gRPC's retry throttling keep one. Tokens are counted in units
 * of 1 / successes_per_token so that every sum is exact.
 */
#include "retry_budget.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backoff.h"

struct retry_budget {
    pthread_mutex_t lock;
    long unit;    /* units per token: successes_per_token */
    long cap_u;   /* capacity in units */
    long level_u; /* tokens in units */
};

kit_status retry_budget_create(const retry_budget_config *cfg,
                               retry_budget **out)
{
    retry_budget *rb;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    *out = NULL;
    if (!cfg || cfg->capacity <= 0 || cfg->successes_per_token <= 0)
        return KIT_ERR_INVALID_ARG;
    rb = calloc(1, sizeof(*rb));
    if (!rb)
        return KIT_ERR_NO_MEMORY;
    if (pthread_mutex_init(&rb->lock, NULL) != 0) {
        free(rb);
        return KIT_ERR_NO_MEMORY;
    }
    rb->unit = cfg->successes_per_token;
    rb->cap_u = (long)cfg->capacity * cfg->successes_per_token;
    rb->level_u = rb->cap_u; /* starts full */
    *out = rb;
    return KIT_OK;
}

void retry_budget_destroy(retry_budget *rb)
{
    if (!rb)
        return;
    pthread_mutex_destroy(&rb->lock);
    free(rb);
}

kit_status retry_budget_take(retry_budget *rb)
{
    kit_status st = KIT_ERR_RETRY_BUDGET;

    if (!rb)
        return KIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&rb->lock);
    if (rb->level_u >= rb->unit) {
        rb->level_u -= rb->unit;
        st = KIT_OK;
    }
    pthread_mutex_unlock(&rb->lock);
    return st;
}

void retry_budget_on_success(retry_budget *rb)
{
    if (!rb)
        return;
    pthread_mutex_lock(&rb->lock);
    if (rb->level_u < rb->cap_u)
        rb->level_u++;
    pthread_mutex_unlock(&rb->lock);
}

double retry_budget_tokens(retry_budget *rb)
{
    double tokens;

    if (!rb)
        return 0;
    pthread_mutex_lock(&rb->lock);
    tokens = (double)rb->level_u / (double)rb->unit;
    pthread_mutex_unlock(&rb->lock);
    return tokens;
}

static kit_status refuse(kit_attempt *info)
{
    info->status = KIT_ERR_RETRY_BUDGET;
    snprintf(info->message, sizeof(info->message),
             "retry budget spent: too many calls are failing to retry "
             "this one");
    return KIT_ERR_RETRY_BUDGET;
}

kit_status retry_budget_attempt(void *call, kit_attempt *info)
{
    retry_budget_call *rc = call;
    kit_status st;
    bool empty;

    if (!rc || !rc->budget || !rc->fn || !info)
        return KIT_ERR_INVALID_ARG;
    rc->attempts++;
    /* A retry pays first; a first attempt never does. */
    if (rc->attempts > 1 && retry_budget_take(rc->budget) != KIT_OK)
        return refuse(info);

    st = rc->fn(rc->arg, info);
    if (st == KIT_OK) {
        retry_budget_on_success(rc->budget);
        return st;
    }
    /*
     * Say "no more retries" now, while backoff_run is deciding, rather
     * than after it has slept a backoff for a retry that will be refused.
     */
    if (backoff_is_transient(st)) {
        empty = retry_budget_tokens(rc->budget) < 1.0;
        if (empty)
            return refuse(info);
    }
    return st;
}
