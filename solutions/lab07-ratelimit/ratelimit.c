/*
 * ratelimit: lab 7's client-side limiter. One mutex guards the window of
 * request start times, the two buckets and the header slowdown; acquire
 * computes the wait under the lock and sleeps outside it, in a loop rather
 * than by calling itself again.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>

/*
 * A token bucket of `limit` per window_ms ms. The level is kept in units
 * of 1/window_ms of a token, so one millisecond adds exactly `limit` units
 * and every figure is an integer: no rounding lets a call in early.
 */
struct bucket {
    int64_t limit;    /* per window; 0: this bucket does not limit */
    int64_t level_u;  /* units of 1/window_ms token */
    uint64_t last_ms; /* when level_u was last brought up to date */
};

struct ratelimit {
    pthread_mutex_t lock;
    ratelimit_config cfg;
    /* Sliding window: a ring of the last requests' start times. */
    uint64_t *starts;
    size_t head;            /* the oldest start */
    size_t count;           /* starts held, at most requests_per_window */
    struct bucket requests; /* used in RATELIMIT_TOKEN_BUCKET mode */
    struct bucket tokens;
    uint64_t not_before_ms; /* the headers' slowdown: no start before it */
};

static void bucket_init(struct bucket *b, long limit, uint64_t window_ms,
                        uint64_t now_ms)
{
    b->limit = limit;
    b->level_u = (int64_t)limit * (int64_t)window_ms; /* starts full */
    b->last_ms = now_ms;
}

static void bucket_refill(struct bucket *b, uint64_t window_ms, uint64_t now_ms)
{
    int64_t cap_u = b->limit * (int64_t)window_ms;
    uint64_t elapsed = now_ms - b->last_ms;

    b->last_ms = now_ms;
    /* A long idle time fills the bucket; compare before multiplying so
     * that the product cannot overflow. */
    if (elapsed >= window_ms ||
        b->level_u + (int64_t)elapsed * b->limit > cap_u) {
        b->level_u = cap_u;
        return;
    }
    b->level_u += (int64_t)elapsed * b->limit;
}

/* The ms until n fits the bucket (refilled to now): 0 when it fits now. */
static uint64_t bucket_wait(const struct bucket *b, uint64_t window_ms, long n)
{
    int64_t need_u = (int64_t)n * (int64_t)window_ms;

    if (b->limit == 0 || b->level_u >= need_u)
        return 0;
    /* Round up: a call let in a fraction of a ms early would not fit. */
    return (uint64_t)((need_u - b->level_u + b->limit - 1) / b->limit);
}

/* Forgets the starts that have left the window (t - W, t]. */
static void window_expire(ratelimit *rl, uint64_t now_ms)
{
    size_t cap = (size_t)rl->cfg.requests_per_window;

    while (rl->count > 0 &&
           rl->starts[rl->head] + rl->cfg.window_ms <= now_ms) {
        rl->head = (rl->head + 1) % cap;
        rl->count--;
    }
}

/*
 * The ms until one more call may start in the sliding window: when it is
 * full, until its oldest start leaves it, not a whole window from now.
 */
static uint64_t window_wait(const ratelimit *rl, uint64_t now_ms)
{
    if (rl->count < (size_t)rl->cfg.requests_per_window)
        return 0;
    return rl->starts[rl->head] + rl->cfg.window_ms - now_ms;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/*
 * The wait the tightest limit needs before a call of `tokens` may start
 * at now_ms. Brings the buckets and the window up to date. Called with
 * the lock held.
 */
static uint64_t wait_locked(ratelimit *rl, long tokens, uint64_t now_ms)
{
    uint64_t w = 0, win = rl->cfg.window_ms;

    if (rl->cfg.requests_per_window > 0) {
        if (rl->cfg.mode == RATELIMIT_SLIDING_WINDOW) {
            window_expire(rl, now_ms);
            w = window_wait(rl, now_ms);
        } else {
            bucket_refill(&rl->requests, win, now_ms);
            w = bucket_wait(&rl->requests, win, 1);
        }
    }
    if (rl->tokens.limit > 0) {
        bucket_refill(&rl->tokens, win, now_ms);
        w = max_u64(w, bucket_wait(&rl->tokens, win, tokens));
    }
    if (rl->not_before_ms > now_ms)
        w = max_u64(w, rl->not_before_ms - now_ms);
    return w;
}

/* Counts a call that starts now. Called with the lock held, right after
 * wait_locked returned 0 for the same now_ms. */
static void commit_locked(ratelimit *rl, long tokens, uint64_t now_ms)
{
    size_t cap = (size_t)rl->cfg.requests_per_window;

    if (cap > 0) {
        if (rl->cfg.mode == RATELIMIT_SLIDING_WINDOW) {
            rl->starts[(rl->head + rl->count) % cap] = now_ms;
            rl->count++;
        } else {
            rl->requests.level_u -= (int64_t)rl->cfg.window_ms;
        }
    }
    if (rl->tokens.limit > 0)
        rl->tokens.level_u -= (int64_t)tokens * (int64_t)rl->cfg.window_ms;
}

kit_status ratelimit_create(const ratelimit_config *cfg, ratelimit **out)
{
    ratelimit *rl = NULL;
    uint64_t now_ms;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    *out = NULL;
    if (!cfg || cfg->requests_per_window < 0 || cfg->tokens_per_window < 0 ||
        cfg->requests_per_window > RATELIMIT_MAX_REQUESTS ||
        cfg->window_ms == 0 ||
        (cfg->mode != RATELIMIT_SLIDING_WINDOW &&
         cfg->mode != RATELIMIT_TOKEN_BUCKET) ||
        cfg->low_remaining_percent < 0 || cfg->low_remaining_percent > 100)
        return KIT_ERR_INVALID_ARG;
    /* Keeps limit x window inside an int64_t with room to spare. */
    if ((uint64_t)cfg->tokens_per_window > INT64_MAX / 4 / cfg->window_ms)
        return KIT_ERR_INVALID_ARG;

    rl = calloc(1, sizeof(*rl));
    if (!rl)
        return KIT_ERR_NO_MEMORY;
    rl->cfg = *cfg;
    if (cfg->mode == RATELIMIT_SLIDING_WINDOW && cfg->requests_per_window > 0) {
        rl->starts =
            calloc((size_t)cfg->requests_per_window, sizeof(*rl->starts));
        if (!rl->starts)
            goto out_free;
    }
    if (pthread_mutex_init(&rl->lock, NULL) != 0)
        goto out_free;
    now_ms = kit_clock_now_ms(cfg->clock);
    bucket_init(&rl->requests, cfg->requests_per_window, cfg->window_ms,
                now_ms);
    bucket_init(&rl->tokens, cfg->tokens_per_window, cfg->window_ms, now_ms);
    *out = rl;
    return KIT_OK;

out_free:
    free(rl->starts);
    free(rl);
    return KIT_ERR_NO_MEMORY;
}

void ratelimit_destroy(ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->starts);
    free(rl);
}

static bool never_fits(const ratelimit *rl, long tokens)
{
    return tokens < 0 || (rl->cfg.tokens_per_window > 0 &&
                          tokens > rl->cfg.tokens_per_window);
}

kit_status ratelimit_acquire(ratelimit *rl, long tokens,
                             ratelimit_ticket *ticket)
{
    uint64_t asked_ms, now_ms, wait;

    if (!rl || never_fits(rl, tokens))
        return KIT_ERR_INVALID_ARG;
    asked_ms = kit_clock_now_ms(rl->cfg.clock);

    pthread_mutex_lock(&rl->lock);
    /*
     * A loop, not a recursive call: each pass sleeps for what the tightest
     * limit needs, outside the lock so that other threads (and observe) go
     * on, then looks again, since another thread may have taken the room.
     */
    for (;;) {
        now_ms = kit_clock_now_ms(rl->cfg.clock);
        wait = wait_locked(rl, tokens, now_ms);
        if (wait == 0)
            break;
        pthread_mutex_unlock(&rl->lock);
        kit_clock_sleep_ms(rl->cfg.clock, wait);
        pthread_mutex_lock(&rl->lock);
    }
    commit_locked(rl, tokens, now_ms);
    pthread_mutex_unlock(&rl->lock);

    if (ticket) {
        ticket->at_ms = now_ms;
        ticket->waited_ms = now_ms > asked_ms ? now_ms - asked_ms : 0;
    }
    return KIT_OK;
}

uint64_t ratelimit_wait_ms(ratelimit *rl, long tokens)
{
    uint64_t wait;

    if (!rl || never_fits(rl, tokens))
        return UINT64_MAX;
    pthread_mutex_lock(&rl->lock);
    wait = wait_locked(rl, tokens, kit_clock_now_ms(rl->cfg.clock));
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

/*
 * The slowdown for one dimension, per the rule in ratelimit.h: 0 when the
 * server did not say, or says there is plenty left.
 */
static uint64_t slowdown_ms(long limit, long remaining, long reset_ms,
                            int percent)
{
    if (percent == 0 || limit <= 0 || remaining < 0 || reset_ms < 0)
        return 0;
    if ((int64_t)remaining * 100 > (int64_t)limit * percent)
        return 0;
    return (uint64_t)reset_ms / ((uint64_t)remaining + 1);
}

kit_status ratelimit_observe(ratelimit *rl, const kit_ratelimit *headers)
{
    int pct;
    uint64_t pause, now_ms;

    if (!rl || !headers)
        return KIT_ERR_INVALID_ARG;
    pct = rl->cfg.low_remaining_percent;
    pause = max_u64(
        slowdown_ms(headers->requests_limit, headers->requests_remaining,
                    headers->requests_reset_ms, pct),
        slowdown_ms(headers->tokens_limit, headers->tokens_remaining,
                    headers->tokens_reset_ms, pct));
    if (pause == 0)
        return KIT_OK;
    pthread_mutex_lock(&rl->lock);
    now_ms = kit_clock_now_ms(rl->cfg.clock);
    /* Only ever later: an old, hopeful reply must not cancel a newer,
     * gloomier one. */
    rl->not_before_ms = max_u64(rl->not_before_ms, now_ms + pause);
    pthread_mutex_unlock(&rl->lock);
    return KIT_OK;
}
