/*
 * The retry engine of lab 1: exponential backoff with a cap, optional full
 * jitter, and the server's retry-after honoured within a bound. Labs 3 and 4
 * run every provider call through backoff_run.
 */
#include "backoff.h"

#include <string.h>

bool backoff_is_transient(kit_status status)
{
    /*
     * No default: when someone adds a status to kit_status, the compiler
     * makes them decide here which side it falls on.
     */
    switch (status) {
    case KIT_ERR_RATE_LIMIT: /* 429: the bucket refills */
    case KIT_ERR_SERVER:     /* 5xx: a replica restarts, a deploy ends */
    case KIT_ERR_OVERLOADED: /* 529: the load drops */
    case KIT_ERR_TIMEOUT:    /* a slow network or server, or a 408 */
    case KIT_ERR_CONNECT:    /* refused or unreachable: it may come back */
    case KIT_ERR_RESET:      /* the connection died mid-exchange */
    case KIT_ERR_NETWORK:    /* any other transfer failure */
        return true;

    /* The provider judged the request itself: it will judge it the same. */
    case KIT_ERR_BAD_REQUEST:
    case KIT_ERR_AUTH:
    case KIT_ERR_PERMISSION:
    case KIT_ERR_NOT_FOUND:
    case KIT_ERR_HTTP:
    /* A 2xx we cannot read: the provider did the work and billed it, so
     * asking again pays twice for what is most likely the same answer. */
    case KIT_ERR_BAD_RESPONSE:
    case KIT_ERR_TOO_LARGE:
    /* Local failures and the client's own refusals: no server involved. */
    case KIT_OK:
    case KIT_ERR_NOT_IMPLEMENTED:
    case KIT_ERR_INVALID_ARG:
    case KIT_ERR_NO_MEMORY:
    case KIT_ERR_NO_KEY:
    case KIT_ERR_IO:
    case KIT_ERR_CIRCUIT_OPEN:
    case KIT_ERR_BUDGET:
    case KIT_ERR_RETRY_BUDGET:
        return false;
    }
    return false;
}

uint64_t backoff_delay_ms(const backoff_policy *p, int retry_index,
                          uint32_t random)
{
    uint64_t delay = p->initial_delay_ms;

    /*
     * Multiply one step at a time and stop at the cap: initial * 2^k
     * overflows 64 bits long before k reaches 64, and a wrapped delay
     * would be tiny, the opposite of backing off. The loop also ends as
     * soon as the delay can no longer change, so a huge retry_index costs
     * no time.
     */
    for (int k = 0; k < retry_index; k++) {
        if (delay == 0 || delay >= p->max_delay_ms || p->multiplier <= 1)
            break;
        if (delay > p->max_delay_ms / p->multiplier) {
            delay = p->max_delay_ms;
            break;
        }
        delay *= p->multiplier;
    }
    if (delay > p->max_delay_ms)
        delay = p->max_delay_ms;

    /*
     * Full jitter: any value from 0 to the capped delay, so clients that
     * failed together do not all come back together. The modulo favours
     * small values by at most delay / 2^32: about 1e-5 for a 60 s cap.
     */
    if (p->jitter == BACKOFF_JITTER_FULL && delay < UINT64_MAX)
        delay = random % (delay + 1);
    return delay;
}

/* Tells the observer, if there is one. */
static void notify(const backoff_observer *obs, const backoff_event *ev)
{
    if (obs && obs->on_attempt)
        obs->on_attempt(obs->ctx, ev);
}

kit_status backoff_run(const backoff_policy *p, const kit_clock *clock,
                       backoff_attempt_fn fn, void *arg,
                       const backoff_observer *obs)
{
    kit_status status = KIT_ERR_INVALID_ARG;

    if (!p || !fn || p->max_retries < 0 || p->multiplier < 1)
        return KIT_ERR_INVALID_ARG;

    for (int attempt = 1; attempt <= p->max_retries + 1; attempt++) {
        kit_attempt info;
        backoff_event ev;

        memset(&info, 0, sizeof(info));
        info.retry_after_ms = -1;
        status = fn(arg, &info);

        memset(&ev, 0, sizeof(ev));
        ev.attempt = attempt;
        ev.max_attempts = p->max_retries + 1;
        ev.status = status;
        ev.info = &info;

        if (status == KIT_OK) {
            ev.verdict = BACKOFF_DONE;
        } else if (!backoff_is_transient(status)) {
            ev.verdict = BACKOFF_GIVE_UP_PERMANENT;
        } else if (attempt > p->max_retries) {
            ev.verdict = BACKOFF_GIVE_UP_EXHAUSTED;
        } else if (info.retry_after_ms >= 0) {
            /* The server knows when it will have room: wait exactly that
             * long, or give up if it is longer than we will wait. */
            if ((uint64_t)info.retry_after_ms > p->max_retry_after_ms) {
                ev.verdict = BACKOFF_GIVE_UP_RETRY_AFTER;
            } else {
                ev.verdict = BACKOFF_RETRY;
                ev.wait_ms = (uint64_t)info.retry_after_ms;
                ev.from_retry_after = true;
            }
        } else {
            /* Retry k = attempt - 1 follows attempt number `attempt`. */
            ev.verdict = BACKOFF_RETRY;
            ev.wait_ms =
                backoff_delay_ms(p, attempt - 1, kit_clock_random_u32(clock));
        }

        notify(obs, &ev);
        if (ev.verdict != BACKOFF_RETRY)
            break;
        kit_clock_sleep_ms(clock, ev.wait_ms);
    }
    return status;
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
