/*
 * The circuit breaker of lab 1's extras: closed, open, half-open, with the
 * open period measured on the clock seam so tests can step through it. The
 * lab 3 client can put one in front of its attempts.
 */
#include "breaker.h"

#include <stdbool.h>
#include <stdlib.h>

#include "backoff.h"

struct breaker {
    breaker_config cfg;
    const kit_clock *clock;
    breaker_state state;
    int failures;          /* consecutive, while CLOSED */
    uint64_t opened_at_ms; /* when it last opened */
};

const char *breaker_state_name(breaker_state state)
{
    switch (state) {
    case BREAKER_CLOSED:
        return "closed";
    case BREAKER_OPEN:
        return "open";
    case BREAKER_HALF_OPEN:
        return "half-open";
    }
    return "unknown";
}

kit_status breaker_create(const breaker_config *cfg, const kit_clock *clock,
                          breaker **out)
{
    breaker *b;

    if (!cfg || !out || cfg->failure_threshold < 1)
        return KIT_ERR_INVALID_ARG;
    b = calloc(1, sizeof(*b));
    if (!b)
        return KIT_ERR_NO_MEMORY;
    b->cfg = *cfg;
    b->clock = clock;
    b->state = BREAKER_CLOSED;
    *out = b;
    return KIT_OK;
}

void breaker_destroy(breaker *b)
{
    free(b);
}

static void trip(breaker *b)
{
    b->state = BREAKER_OPEN;
    b->opened_at_ms = kit_clock_now_ms(b->clock);
}

kit_status breaker_allow(breaker *b)
{
    switch (b->state) {
    case BREAKER_CLOSED:
        return KIT_OK;
    case BREAKER_OPEN:
        if (kit_clock_now_ms(b->clock) - b->opened_at_ms < b->cfg.open_ms)
            return KIT_ERR_CIRCUIT_OPEN;
        /* This caller's attempt is the probe. */
        b->state = BREAKER_HALF_OPEN;
        return KIT_OK;
    case BREAKER_HALF_OPEN:
        /* The probe is out: everyone else waits for its verdict. */
        return KIT_ERR_CIRCUIT_OPEN;
    }
    return KIT_ERR_CIRCUIT_OPEN;
}

void breaker_record(breaker *b, kit_status outcome)
{
    bool failed = backoff_is_transient(outcome);

    switch (b->state) {
    case BREAKER_CLOSED:
        if (!failed)
            b->failures = 0;
        else if (++b->failures >= b->cfg.failure_threshold)
            trip(b);
        break;
    case BREAKER_HALF_OPEN:
        if (failed) {
            trip(b);
        } else {
            b->state = BREAKER_CLOSED;
            b->failures = 0;
        }
        break;
    case BREAKER_OPEN:
        /* An attempt allowed before the breaker opened has finished late:
         * the breaker already knows the provider is down. */
        break;
    }
}

breaker_state breaker_get_state(const breaker *b)
{
    return b->state;
}
