/*
 * The retry engine of lab 1: exponential backoff with a cap, optional full
 * jitter, and the server's retry-after honoured within a bound. Labs 3 and 4
 * run every provider call through backoff_run.
 */
#include "backoff.h"

#include <string.h>

bool backoff_is_transient(kit_status status)
{
    /* TODO(lab 1): true for the failures worth retrying.
     * See README.md step 1. */
    (void)status;
    return false;
}

uint64_t backoff_delay_ms(const backoff_policy *p, int retry_index,
                          uint32_t random)
{
    /* TODO(lab 1): the capped exponential delay (step 2), then full jitter
     * (extra A). See README.md. */
    (void)p;
    (void)retry_index;
    (void)random;
    return UINT64_MAX;
}

kit_status backoff_run(const backoff_policy *p, const kit_clock *clock,
                       backoff_attempt_fn fn, void *arg,
                       const backoff_observer *obs)
{
    /* TODO(lab 1): the retry loop. See README.md steps 3 to 5. */
    (void)p;
    (void)clock;
    (void)fn;
    (void)arg;
    (void)obs;
    return KIT_ERR_NOT_IMPLEMENTED;
}

const char *backoff_verdict_name(backoff_verdict verdict)
{
    switch (verdict) {
    case BACKOFF_RETRY:
        return "retry";
    case BACKOFF_DONE:
        return "done";
    case BACKOFF_GIVE_UP_PERMANENT:
        return "gave up: permanent error";
    case BACKOFF_GIVE_UP_EXHAUSTED:
        return "gave up: no retries left";
    case BACKOFF_GIVE_UP_RETRY_AFTER:
        return "gave up: retry-after longer than the policy allows";
    }
    return "unknown verdict";
}
