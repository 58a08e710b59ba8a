/*
 * kit_clock: the real clock behind the time/sleep/randomness seam, and the
 * four calls that pick the real or a fake one. Labs 1, 2, 3 and 5 take time
 * only through here, so their tests can run on a fake clock.
 */
#include "kit_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

static uint64_t real_now_ms(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t real_wall_s(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

/* nanosleep stops early when a signal arrives; carry on with what is left. */
static void real_sleep_ms(void *ctx, uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    (void)ctx;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/*
 * One generator for the process (xorshift64*), seeded once from the time and
 * pid, behind a mutex: good enough for jitter, and safe across threads.
 */
static pthread_once_t rng_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rng_state;

static void rng_seed(void)
{
    struct timespec ts;
    uint64_t seed;

    clock_gettime(CLOCK_REALTIME, &ts);
    seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
           ((uint64_t)getpid() << 32);
    /* splitmix64 spreads the bits; xorshift must not start at zero. */
    seed += 0x9e3779b97f4a7c15u;
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9u;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebu;
    seed ^= seed >> 31;
    rng_state = seed ? seed : 0x2545f4914f6cdd1du;
}

static uint32_t real_random_u32(void *ctx)
{
    uint64_t x;

    (void)ctx;
    pthread_once(&rng_once, rng_seed);
    pthread_mutex_lock(&rng_lock);
    x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    pthread_mutex_unlock(&rng_lock);
    return (uint32_t)((x * 0x2545f4914f6cdd1du) >> 32);
}

static const kit_clock_ops real_ops = {
    .now_ms = real_now_ms,
    .wall_s = real_wall_s,
    .sleep_ms = real_sleep_ms,
    .random_u32 = real_random_u32,
};

const kit_clock kit_clock_real = {.ops = &real_ops, .ctx = NULL};

static const kit_clock *pick(const kit_clock *clock)
{
    return clock && clock->ops ? clock : &kit_clock_real;
}

uint64_t kit_clock_now_ms(const kit_clock *clock)
{
    const kit_clock *c = pick(clock);

    return c->ops->now_ms(c->ctx);
}

int64_t kit_clock_wall_s(const kit_clock *clock)
{
    const kit_clock *c = pick(clock);

    return c->ops->wall_s(c->ctx);
}

void kit_clock_sleep_ms(const kit_clock *clock, uint64_t ms)
{
    const kit_clock *c = pick(clock);

    c->ops->sleep_ms(c->ctx, ms);
}

uint32_t kit_clock_random_u32(const kit_clock *clock)
{
    const kit_clock *c = pick(clock);

    return c->ops->random_u32(c->ctx);
}
