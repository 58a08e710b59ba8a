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
    /* TODO(lab 1): validate cfg, allocate a closed breaker.
     * See README.md extra B. */
    (void)cfg;
    (void)clock;
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void breaker_destroy(breaker *b)
{
    free(b);
}

kit_status breaker_allow(breaker *b)
{
    /* TODO(lab 1): closed passes, open refuses until open_ms have passed,
     * then one probe. See README.md extra B. */
    (void)b;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void breaker_record(breaker *b, kit_status outcome)
{
    /* TODO(lab 1): count failures, trip, close after a good probe.
     * See README.md extra B. */
    (void)b;
    (void)outcome;
}

breaker_state breaker_get_state(const breaker *b)
{
    /* TODO(lab 1): report the state. See README.md extra B. */
    (void)b;
    return BREAKER_OPEN;
}
