/*
 * scaled_clock: lab 8's clock that runs at the mock server's time scale.
 */
#include "scaled_clock.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* Scaled time starts an hour in, so a limiter never sees time 0. */
#define ORIGIN_MS 3600000ULL

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t scaled_now_ms(void *ctx)
{
    const scaled_clock *sc = ctx;
    double real_ms = (double)(mono_ns() - sc->origin_ns) / 1e6;

    return ORIGIN_MS + (uint64_t)(real_ms / sc->scale);
}

static int64_t scaled_wall_s(void *ctx)
{
    (void)ctx;
    return kit_clock_wall_s(NULL);
}

static void scaled_sleep_ms(void *ctx, uint64_t ms)
{
    const scaled_clock *sc = ctx;
    double ns = (double)ms * sc->scale * 1e6;
    struct timespec req, rem;

    /* Round up: waking early would only make the limiter look again. */
    req.tv_sec = (time_t)(ns / 1e9);
    req.tv_nsec = (long)(ns - (double)req.tv_sec * 1e9) + 1;
    if (req.tv_nsec >= 1000000000L) {
        req.tv_sec++;
        req.tv_nsec -= 1000000000L;
    }
    while (nanosleep(&req, &rem) != 0 && errno == EINTR)
        req = rem;
}

static uint32_t scaled_random_u32(void *ctx)
{
    (void)ctx;
    return kit_clock_random_u32(NULL);
}

static const kit_clock_ops scaled_ops = {
    .now_ms = scaled_now_ms,
    .wall_s = scaled_wall_s,
    .sleep_ms = scaled_sleep_ms,
    .random_u32 = scaled_random_u32,
};

kit_status scaled_clock_init(scaled_clock *sc, double scale)
{
    if (!sc || !(scale > 0.0 && scale <= 1.0))
        return KIT_ERR_INVALID_ARG;
    memset(sc, 0, sizeof(*sc));
    sc->scale = scale;
    sc->origin_ns = mono_ns();
    sc->clock.ops = &scaled_ops;
    sc->clock.ctx = sc;
    return KIT_OK;
}
