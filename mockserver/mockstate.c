/*
 * The mock server's shared state: creation, reset and the clock.
 */
#include "mockstate.h"

#include <stdlib.h>
#include <time.h>

double mockstate_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int mockstate_create(double time_scale, size_t journal_cap, mockstate **out)
{
    mockstate *st = calloc(1, sizeof(*st));

    *out = NULL;
    if (!st)
        return -1;
    st->time_scale = time_scale;
    st->start_ms = mockstate_now_ms();
    st->store = store_create();
    st->journal = journal_create(journal_cap);
    st->rl = rl_table_create(time_scale);
    if (!st->store || !st->journal || !st->rl) {
        mockstate_destroy(st);
        return -1;
    }
    *out = st;
    return 0;
}

void mockstate_destroy(mockstate *st)
{
    if (!st)
        return;
    store_destroy(st->store);
    journal_destroy(st->journal);
    rl_table_destroy(st->rl);
    free(st);
}

void mockstate_reset(mockstate *st)
{
    store_clear(st->store);
    journal_clear(st->journal);
    rl_table_clear(st->rl);
}
