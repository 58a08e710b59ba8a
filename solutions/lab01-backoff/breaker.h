/*
 * breaker: a circuit breaker, lab 1's second extra. After a run of
 * failures it stops calling a provider that is plainly down, for a while,
 * instead of adding load while it tries to recover; then it lets one probe
 * through to see whether the provider is back. Like a routing protocol's
 * dampening of a flapping route: suppress, wait, then try the route again.
 *
 *   CLOSED    calls pass. failure_threshold consecutive failures -> OPEN.
 *   OPEN      calls are refused with KIT_ERR_CIRCUIT_OPEN. open_ms after it
 *             opened, the next breaker_allow moves to HALF_OPEN.
 *   HALF_OPEN one probe passes; other calls are refused until its outcome
 *             is recorded. Success -> CLOSED; failure -> OPEN again, for
 *             another open_ms from now.
 *
 * A failure is an outcome for which backoff_is_transient() is true: the
 * provider did not serve us. Success and permanent errors (a 401 is a
 * healthy server refusing a bad key) count as successes.
 *
 * The breaker guards each attempt: call breaker_allow before it and
 * breaker_record after it. Inside a backoff_run attempt, KIT_ERR_CIRCUIT_OPEN
 * is not transient, so the call ends at once instead of retrying into an
 * open circuit.
 *
 * Not thread-safe: one breaker per thread, or a lock around it.
 */
#ifndef BREAKER_H
#define BREAKER_H

#include <stdint.h>

#include "kit_clock.h"
#include "kit_status.h"

typedef enum breaker_state {
    BREAKER_CLOSED = 0,
    BREAKER_OPEN,
    BREAKER_HALF_OPEN,
} breaker_state;

typedef struct breaker_config {
    int failure_threshold; /* consecutive failures that open it, >= 1 */
    uint64_t open_ms;      /* how long it stays open before a probe */
} breaker_config;

typedef struct breaker breaker; /* opaque */

/*
 * Creates a closed breaker. clock is borrowed for the breaker's life (NULL:
 * the real clock). On success *out is the caller's: free it with
 * breaker_destroy. KIT_ERR_INVALID_ARG for a NULL cfg or out, or
 * failure_threshold < 1; KIT_ERR_NO_MEMORY.
 */
kit_status breaker_create(const breaker_config *cfg, const kit_clock *clock,
                          breaker **out);

/* Frees b. NULL is a no-op. */
void breaker_destroy(breaker *b);

/*
 * Asks to make one attempt now. KIT_OK: go ahead, then report the outcome
 * with breaker_record. KIT_ERR_CIRCUIT_OPEN: do not call the provider.
 */
kit_status breaker_allow(breaker *b);

/* Records the outcome of an attempt that breaker_allow let through. */
void breaker_record(breaker *b, kit_status outcome);

/*
 * The state now. An OPEN breaker reports OPEN until the breaker_allow that
 * finds open_ms elapsed moves it to HALF_OPEN.
 */
breaker_state breaker_get_state(const breaker *b);

/* "closed", "open" or "half-open". */
const char *breaker_state_name(breaker_state state);

#endif
