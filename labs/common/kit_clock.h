/*
 * kit_clock: the seam through which time, sleep and randomness reach the
 * retry, rate-limit and budget code. Production code passes NULL and gets the
 * real clock; a test passes a fake whose sleep only moves its own time
 * forward, so a backoff schedule of 1 s, 2 s, 4 s is checked in microseconds.
 * SQLite's VFS bundles the same three things for the same reason.
 */
#ifndef KIT_CLOCK_H
#define KIT_CLOCK_H

#include <stdint.h>

typedef struct kit_clock_ops {
    /* Monotonic milliseconds from an arbitrary origin. */
    uint64_t (*now_ms)(void *ctx);
    /* Wall-clock time, seconds since the Unix epoch (for days, timestamps). */
    int64_t (*wall_s)(void *ctx);
    /* Waits ms milliseconds (a fake one just advances its time). */
    void (*sleep_ms)(void *ctx, uint64_t ms);
    /* A uniformly distributed 32-bit random number (for jitter). */
    uint32_t (*random_u32)(void *ctx);
} kit_clock_ops;

/* A clock is an ops table and its context. Both are borrowed. */
typedef struct kit_clock {
    const kit_clock_ops *ops;
    void *ctx;
} kit_clock;

/*
 * The four calls below accept clock == NULL (or clock->ops == NULL) and then
 * use the real clock: CLOCK_MONOTONIC, time(), nanosleep() (resumed after
 * signals) and a thread-safe PRNG seeded once from the time and pid.
 * They are thread-safe when the clock's ops are.
 */
uint64_t kit_clock_now_ms(const kit_clock *clock);
int64_t kit_clock_wall_s(const kit_clock *clock);
void kit_clock_sleep_ms(const kit_clock *clock, uint64_t ms);
uint32_t kit_clock_random_u32(const kit_clock *clock);

/* The real clock as a value, for code that wants to hold one explicitly. */
extern const kit_clock kit_clock_real;

#endif
