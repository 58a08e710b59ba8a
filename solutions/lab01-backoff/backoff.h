/*
 * backoff: a retry engine with exponential backoff, written in lab 1 and
 * reused by every later lab. It knows nothing about HTTP or providers: it
 * calls an attempt function, reads what the attempt reported (a kit_status,
 * the HTTP status, the server's retry-after) and decides whether to try
 * again and how long to wait first. Labs 3 and 4 hand it an attempt that
 * calls Anthropic, OpenAI or Gemini.
 *
 * The words, defined once for the whole kit:
 *   - a *call* is what the caller asked for: one prompt, one answer or one
 *     failure;
 *   - an *attempt* (or try) is one HTTP exchange made for a call;
 *   - a *retry* is any attempt after the first. max_retries counts retries,
 *     so a call makes at most max_retries + 1 attempts.
 * Retry k (k = 0 for the first retry) waits
 *     min(initial_delay_ms * multiplier^k, max_delay_ms)
 * before it starts, unless the server said how long to wait (retry-after).
 *
 * Thread-safety: every function here is safe to call from several threads
 * at once when the clock, the attempt function and the observer are.
 */
#ifndef BACKOFF_H
#define BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#include "kit_chat.h"
#include "kit_clock.h"
#include "kit_status.h"

/* How the computed delay is randomised (lab 1's first extra). */
typedef enum backoff_jitter {
    BACKOFF_JITTER_NONE = 0, /* the delay is exactly the capped schedule */
    BACKOFF_JITTER_FULL,     /* uniform in [0, capped delay] (AWS "full") */
} backoff_jitter;

/*
 * A retry policy: plain data, copied freely. Start from
 * BACKOFF_POLICY_DEFAULT and change the fields you need:
 *     backoff_policy p = BACKOFF_POLICY_DEFAULT;
 *     p.initial_delay_ms = 10;
 * No field has a "0 means default" rule: 0 means 0.
 */
typedef struct backoff_policy {
    int max_retries;           /* retries after the first try, >= 0 */
    uint64_t initial_delay_ms; /* the wait before retry 0 */
    uint64_t max_delay_ms;     /* the cap on any computed wait */
    unsigned multiplier;       /* growth per retry, >= 1 (2: doubling) */
    /*
     * The longest server retry-after the caller will honour. A transient
     * failure that carries a longer one ends the call at once with that
     * failure: the server has said it will not serve us sooner, and
     * retrying earlier only earns another 429 (and an early_retry mark in
     * the mock server's journal). 0 gives up on every retry-after.
     */
    uint64_t max_retry_after_ms;
    backoff_jitter jitter;
} backoff_policy;

/* The course's policy: 3 retries, 1 s, 2 s, 4 s..., capped at 60 s. */
#define BACKOFF_POLICY_DEFAULT                                                 \
    {                                                                          \
        .max_retries = 3, .initial_delay_ms = 1000, .max_delay_ms = 60000,     \
        .multiplier = 2, .max_retry_after_ms = 60000,                          \
        .jitter = BACKOFF_JITTER_NONE,                                         \
    }

/*
 * Returns true when a call that failed with status may succeed if tried
 * again: KIT_ERR_RATE_LIMIT, KIT_ERR_SERVER, KIT_ERR_OVERLOADED,
 * KIT_ERR_TIMEOUT, KIT_ERR_CONNECT, KIT_ERR_RESET and KIT_ERR_NETWORK.
 * Every other status, KIT_OK included, returns false (lab 1's README
 * justifies each one).
 */
bool backoff_is_transient(kit_status status);

/*
 * The wait, in milliseconds, before retry number retry_index (0 for the
 * first retry): min(initial_delay_ms * multiplier^retry_index,
 * max_delay_ms), computed without overflow for any retry_index. With
 * BACKOFF_JITTER_FULL the result is then drawn uniformly from [0, that
 * capped value] using random (any 32-bit value); without jitter random is
 * ignored. A pure function: the same arguments give the same answer.
 */
uint64_t backoff_delay_ms(const backoff_policy *p, int retry_index,
                          uint32_t random);

/* Why backoff_run did what it did after an attempt. */
typedef enum backoff_verdict {
    BACKOFF_RETRY = 0,          /* transient: it waits wait_ms, then retries */
    BACKOFF_DONE,               /* the attempt succeeded */
    BACKOFF_GIVE_UP_PERMANENT,  /* a permanent error: retrying cannot help */
    BACKOFF_GIVE_UP_EXHAUSTED,  /* transient, but max_retries are spent */
    BACKOFF_GIVE_UP_RETRY_AFTER /* retry-after longer than the policy bound */
} backoff_verdict;

/* What the observer hears after each attempt. Borrowed for the callback. */
typedef struct backoff_event {
    int attempt;             /* 1 for the first try */
    int max_attempts;        /* max_retries + 1 */
    kit_status status;       /* what the attempt returned */
    const kit_attempt *info; /* what the attempt reported (http_status...) */
    backoff_verdict verdict; /* what happens next */
    uint64_t wait_ms;        /* the wait before the next try; 0 unless RETRY */
    bool from_retry_after;   /* wait_ms is the server's retry-after */
} backoff_event;

/*
 * An observer: on_attempt is called once per attempt, after the verdict and
 * before any wait, so a program can print "attempt 2/4: HTTP 429, waiting
 * 2000 ms (retry-after)" and a client can count attempts and retries. ctx is
 * the caller's and passed back untouched.
 */
typedef struct backoff_observer {
    void (*on_attempt)(void *ctx, const backoff_event *ev);
    void *ctx;
} backoff_observer;

/*
 * One attempt of the call. It fills *info (backoff_run zeroes it and sets
 * info->retry_after_ms to -1 before each attempt) and returns the attempt's
 * status, which should equal info->status. arg is the caller's, passed back
 * untouched. kit_anthropic_call wrapped in a small function is the classic
 * attempt.
 */
typedef kit_status (*backoff_attempt_fn)(void *arg, kit_attempt *info);

/*
 * Runs one call: attempts fn until it succeeds, fails permanently, or
 * p->max_retries retries are spent. Between attempts it sleeps on clock
 * (NULL: the real clock), for the server's retry-after when the failed
 * attempt carried one (info->retry_after_ms >= 0; no jitter, and more than
 * p->max_retry_after_ms ends the call), else for backoff_delay_ms(p, k,
 * kit_clock_random_u32(clock)) before retry k. It never sleeps after the
 * last attempt. obs may be NULL.
 *
 * Returns KIT_OK, or the status of the last attempt. KIT_ERR_INVALID_ARG,
 * without calling fn, when p or fn is NULL, p->max_retries < 0 or
 * p->multiplier < 1.
 */
kit_status backoff_run(const backoff_policy *p, const kit_clock *clock,
                       backoff_attempt_fn fn, void *arg,
                       const backoff_observer *obs);

/* A short name for a verdict ("retry", "gave up: permanent error"...). */
const char *backoff_verdict_name(backoff_verdict verdict);

#endif
