/*
 * mockstate.h - everything the mock server remembers between requests,
 * bundled: per-key scripts and bills (store), the journal, and the rate
 * limiter. The server, the control API and the scenario loader share one.
 *
 * Ownership: mockstate_create hands back a state the caller frees with
 * mockstate_destroy. The parts are each thread-safe, so the bundle is.
 */
#ifndef MOCKSERVER_MOCKSTATE_H
#define MOCKSERVER_MOCKSTATE_H

#include <stddef.h>

#include "journal.h"
#include "ratelimit.h"
#include "store.h"

typedef struct mockstate {
    store *store;
    journal *journal;
    rl_table *rl;
    double time_scale; /* the rate limiter's clock scale, 0 < s <= 1 */
    double start_ms;   /* monotonic ms when the state was created */
} mockstate;

/*
 * Creates the state. time_scale as for rl_table_create; journal_cap 0 for
 * the default. Returns 0 and sets *out, or -1 (bad scale or no memory).
 */
int mockstate_create(double time_scale, size_t journal_cap, mockstate **out);

/* Frees the state. NULL is a no-op. */
void mockstate_destroy(mockstate *st);

/* Clears scripts, limits, buckets, bills and the journal. */
void mockstate_reset(mockstate *st);

/* The monotonic clock, in milliseconds with sub-millisecond precision. */
double mockstate_now_ms(void);

#endif /* MOCKSERVER_MOCKSTATE_H */
