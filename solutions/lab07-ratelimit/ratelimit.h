/*
 * ratelimit: a client-side rate limiter, the policer on our side of the
 * link. Lab 7.
 *
 * A provider polices each key like a router polices a class: a committed
 * rate (requests and tokens per minute), a burst, and an exceed action
 * (HTTP 429). A client that shapes its own traffic to fit never meets the
 * exceed action, and leaves room on the key for the other tools using it.
 *
 * Two dimensions are limited, each over a window of window_ms (a minute):
 *
 *   - REQUESTS, in one of two ways (ratelimit_mode):
 *       RATELIMIT_SLIDING_WINDOW, the chapter's: the limiter remembers the
 *       start time of the last requests_per_window calls, and a call may
 *       start at time t only when fewer than requests_per_window calls
 *       started in (t - window_ms, t]. No window of that length, wherever
 *       it is placed, ever holds more calls than the limit; in particular
 *       nothing bursts through where two fixed minutes meet.
 *       RATELIMIT_TOKEN_BUCKET, the server's: a bucket of
 *       requests_per_window requests that starts full and refills
 *       continuously at requests_per_window per window_ms. A full bucket
 *       lets a burst through at once, then the committed rate.
 *   - TOKENS, always as a token bucket of tokens_per_window tokens that
 *     starts full and refills at tokens_per_window per window_ms. A call
 *     takes the tokens it asks for when it starts (its estimate: prompt
 *     bytes / 4 plus max_tokens is the safe one).
 *
 * Refill arithmetic is exact: a bucket of L per W ms gains L units every
 * ms, measured in 1/W of a token, so "200 tokens per 60000 ms" refills one
 * token in exactly 300 ms and no rounding ever lets a call in early.
 *
 * The server's headers slow the limiter down (ratelimit_observe). The rule:
 * when a reply says that remaining is at most low_remaining_percent of the
 * limit (requests or tokens), the limiter spreads what remains evenly over
 * the time until the server's reset: no call starts before
 *     now + reset_ms / (remaining + 1)
 * so remaining 0 waits for the whole reset, remaining 1 for half of it. The
 * server knows about the key's other users; our own count does not.
 *
 * Typical use, one limiter shared by every thread that uses one key:
 *
 *     ratelimit_config cfg = RATELIMIT_CONFIG_DEFAULT;
 *     cfg.requests_per_window = 50;     Anthropic tier 1: 50 RPM,
 *     cfg.tokens_per_window = 40000;    40,000 TPM
 *     ratelimit_create(&cfg, &rl);
 *     ...
 *     ratelimit_acquire(rl, estimate_tokens, NULL);   blocks until it fits
 *     status = kit_anthropic_call(..., &info);
 *     ratelimit_observe(rl, &info.ratelimit);         what the server said
 *
 * Every wait goes through the clock seam (kit_clock), so a test on the
 * fake clock checks a 60-second wait in microseconds. Every function is
 * thread-safe on one limiter; acquire never sleeps while it holds the lock.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "kit_clock.h"
#include "kit_http.h"
#include "kit_status.h"

/* The longest request window the limiter will remember (RPM ceiling). */
#define RATELIMIT_MAX_REQUESTS 100000

typedef enum ratelimit_mode {
    RATELIMIT_SLIDING_WINDOW = 0, /* the chapter's: request start times */
    RATELIMIT_TOKEN_BUCKET,       /* the server's: burst, then the rate */
} ratelimit_mode;

typedef struct ratelimit_config {
    long requests_per_window; /* >= 0; 0: requests are not limited */
    long tokens_per_window;   /* >= 0; 0: tokens are not limited */
    uint64_t window_ms;       /* > 0; 60000 is the providers' minute */
    ratelimit_mode mode;      /* how requests are limited */
    /*
     * 0..100: ratelimit_observe slows down when remaining is at most this
     * share of the server's limit. 0 ignores the headers.
     */
    int low_remaining_percent;
    const kit_clock *clock; /* borrowed, must outlive the limiter; NULL: real */
} ratelimit_config;

/* A minute's window, the sliding window, headers read below 10 %. */
#define RATELIMIT_CONFIG_DEFAULT                                               \
    {                                                                          \
        .requests_per_window = 0, .tokens_per_window = 0, .window_ms = 60000,  \
        .mode = RATELIMIT_SLIDING_WINDOW, .low_remaining_percent = 10,         \
        .clock = NULL,                                                         \
    }

typedef struct ratelimit ratelimit; /* opaque: see ratelimit_create */

/* What one acquire did: when the call was let through, and how long the
 * caller was held back. */
typedef struct ratelimit_ticket {
    uint64_t at_ms;     /* kit_clock_now_ms when the call was let through */
    uint64_t waited_ms; /* at_ms minus the time acquire was called */
} ratelimit_ticket;

/*
 * Creates a limiter from cfg (copied; the clock stays borrowed). On success
 * *out is the caller's: free it with ratelimit_destroy. KIT_ERR_INVALID_ARG
 * for a NULL argument, a negative limit, requests_per_window above
 * RATELIMIT_MAX_REQUESTS, window_ms 0, a mode outside the enum or a percent
 * outside 0..100; KIT_ERR_NO_MEMORY. *out is NULL on failure.
 */
kit_status ratelimit_create(const ratelimit_config *cfg, ratelimit **out);

/* Frees rl. No thread may be inside acquire. NULL is a no-op. */
void ratelimit_destroy(ratelimit *rl);

/*
 * Blocks until one call of `tokens` tokens fits every limit (requests,
 * tokens, and any slowdown the headers asked for), then counts it and
 * returns KIT_OK. It sleeps on the clock for exactly the time the tightest
 * limit needs, never holding the lock while it sleeps, and checks again
 * after each sleep (another thread may have taken the room). ticket may be
 * NULL. KIT_ERR_INVALID_ARG, without waiting, for a NULL rl, tokens < 0,
 * or tokens above a non-zero tokens_per_window (such a call never fits).
 */
kit_status ratelimit_acquire(ratelimit *rl, long tokens,
                             ratelimit_ticket *ticket);

/*
 * How long, in ms, a call of `tokens` tokens would wait if acquire were
 * called now; 0 when it would go at once. Counts nothing. Returns
 * UINT64_MAX for a NULL rl, tokens < 0 or a call that never fits.
 */
uint64_t ratelimit_wait_ms(ratelimit *rl, long tokens);

/*
 * Reads what the server said in one reply's rate-limit headers (fields of
 * -1 are absent and ignored) and applies the slowdown rule at the top of
 * this file. Never speeds the limiter up: a later call can only push the
 * earliest start further out. KIT_ERR_INVALID_ARG for a NULL argument.
 */
kit_status ratelimit_observe(ratelimit *rl, const kit_ratelimit *headers);

#endif
