/*
 * scaled_clock: a kit_clock on which the provider's minute lasts
 * 60000 x scale real ms, the way the mock server's `--time-scale` runs its
 * rate-limit clock. Given in lab 8 (you do not write it).
 *
 * A limiter planned in the provider's own units (40 calls a minute) and
 * run on this clock keeps the server's scaled pace: at scale 0.01 its
 * "1500 ms" is 15 real ms. now_ms is scaled time since the clock was made
 * plus one hour (so it never starts at 0); sleep_ms(ms) sleeps ms x scale
 * real ms. Wall time and randomness are the real clock's. Scale 1 is the
 * real clock's pace. Thread-safe.
 */
#ifndef SCALED_CLOCK_H
#define SCALED_CLOCK_H

#include <stdint.h>

#include "kit_clock.h"
#include "kit_status.h"

typedef struct scaled_clock {
    kit_clock clock;    /* pass &sc->clock wherever a kit_clock is wanted */
    double scale;       /* 0 < scale <= 1 */
    uint64_t origin_ns; /* CLOCK_MONOTONIC when it was made */
} scaled_clock;

/* Makes *sc tick at 1/scale times real time from now. KIT_ERR_INVALID_ARG
 * for a NULL sc or a scale outside (0, 1]. Nothing to free. */
kit_status scaled_clock_init(scaled_clock *sc, double scale);

#endif
