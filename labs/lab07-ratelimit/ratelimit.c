/*
 * ratelimit: lab 7's client-side limiter. Read README.md first: it walks
 * through these functions in order. The contract is ratelimit.h; do not
 * change it.
 */
#include "ratelimit.h"

#include <stdlib.h>

/*
 * TODO(lab 7): decide what a limiter holds (README step 1). You will need
 * a lock, a copy of the config, a ring of the last requests' start times
 * for the sliding window, two token buckets (requests and tokens, each a
 * level and the time it was last refilled) and the earliest time the
 * server's headers allow the next call.
 */
struct ratelimit {
    int todo;
};

kit_status ratelimit_create(const ratelimit_config *cfg, ratelimit **out)
{
    /* TODO(lab 7): check cfg, allocate the limiter and its ring, fill both
     * buckets (step 1). */
    (void)cfg;
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void ratelimit_destroy(ratelimit *rl)
{
    /* TODO(lab 7): free what ratelimit_create allocated (step 1). */
    free(rl);
}

kit_status ratelimit_acquire(ratelimit *rl, long tokens,
                             ratelimit_ticket *ticket)
{
    /* TODO(lab 7): under the lock, compute the wait the tightest limit
     * needs; sleep outside the lock and look again, in a loop; count the
     * call when the wait is 0 (steps 2, 3 and 5). */
    (void)rl;
    (void)tokens;
    (void)ticket;
    return KIT_ERR_NOT_IMPLEMENTED;
}

uint64_t ratelimit_wait_ms(ratelimit *rl, long tokens)
{
    /* TODO(lab 7): the same wait as acquire computes, without counting a
     * call (step 2). */
    (void)rl;
    (void)tokens;
    return UINT64_MAX;
}

kit_status ratelimit_observe(ratelimit *rl, const kit_ratelimit *headers)
{
    /* TODO(lab 7): the slowdown rule of ratelimit.h (step 4). */
    (void)rl;
    (void)headers;
    return KIT_ERR_NOT_IMPLEMENTED;
}
