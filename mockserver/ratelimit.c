/*
 * ratelimit.c - the mock server's per-key rate limits: two token buckets per
 * key (requests and tokens) on a scaled clock, and the providers' rate-limit
 * headers. Learners meet it in labs 0 and 1 (the 429s they must survive) and
 * in the chapter's client-side rate limiter, which polices the same way.
 */
#include "ratelimit.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Bucket levels are doubles because refill is continuous. A refill that
 * should land exactly on a whole number can land a hair below it (0.01 has
 * no exact binary form), so comparisons and roundings allow this much slack:
 * a millionth of a token or of a millisecond, far below anything observable.
 */
#define SLACK 1e-6

#define SLOTS 8192 /* hash slots, a power of two: short chains at the caps */

struct entry {
    struct entry *hnext;       /* next in the same hash slot */
    struct entry *prev, *next; /* neighbours in its LRU list */
    bool has_limits;           /* limits of its own: lives in t->own */
    rl_limits limits;
    uint64_t limits_gen;
    bool has_bucket;
    uint64_t bucket_gen; /* generation of the limits the buckets were
                            filled under; a mismatch refills them */
    double requests, tokens;
    double last_ms;
    char key[]; /* NUL-terminated copy */
};

/* A least-recently-used list: head is the most recent. */
struct lru {
    struct entry *head, *tail;
    size_t count;
};

struct rl_table {
    pthread_mutex_t lock;
    double window_ms; /* one provider minute, in real ms */
    struct entry *slots[SLOTS];
    struct lru own;   /* keys with limits of their own */
    struct lru plain; /* keys with buckets only, governed by "*" */
    bool has_star;
    rl_limits star;
    uint64_t star_gen;
    uint64_t next_gen;
};

static const struct tier {
    const char *name;
    rl_limits limits;
} tiers[] = {
    {"anthropic-free", {.rpm = 5, .tpm = 10000}},
    {"anthropic-tier1", {.rpm = 50, .tpm = 40000}},
    {"anthropic-tier2", {.rpm = 1000, .tpm = 400000}},
    {"openai-free", {.rpm = 3, .tpm = 40000}},
    {"openai-tier1", {.rpm = 500, .tpm = 200000}},
    {"openai-tier2", {.rpm = 5000, .tpm = 2000000}},
};

bool rl_tier_lookup(const char *name, rl_limits *out)
{
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
        if (strcmp(tiers[i].name, name) == 0) {
            if (out)
                *out = tiers[i].limits;
            return true;
        }
    }
    return false;
}

/* FNV-1a: short, good enough for keys chosen by tests and learners. */
static size_t slot_of(const char *key)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h & (SLOTS - 1);
}

static void lru_unlink(struct lru *l, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
    l->count--;
}

static void lru_push_front(struct lru *l, struct entry *e)
{
    e->prev = NULL;
    e->next = l->head;
    if (l->head)
        l->head->prev = e;
    else
        l->tail = e;
    l->head = e;
    l->count++;
}

static struct lru *list_of(rl_table *t, const struct entry *e)
{
    return e->has_limits ? &t->own : &t->plain;
}

static struct entry *find(rl_table *t, const char *key)
{
    for (struct entry *e = t->slots[slot_of(key)]; e; e = e->hnext) {
        if (strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

/* Unlinks an entry from its hash slot and its list, and frees it. */
static void forget(rl_table *t, struct entry *e)
{
    struct entry **pp = &t->slots[slot_of(e->key)];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(list_of(t, e), e);
    free(e);
}

/* Keeps a list within RL_MAX_KEYS by forgetting its least recent keys. */
static void trim(rl_table *t, struct lru *l)
{
    while (l->count > RL_MAX_KEYS)
        forget(t, l->tail);
}

/* Adds a key with no limits and no buckets; NULL when out of memory. */
static struct entry *insert(rl_table *t, const char *key)
{
    size_t len = strlen(key);
    struct entry *e = calloc(1, sizeof(*e) + len + 1);

    if (!e)
        return NULL;
    memcpy(e->key, key, len + 1);
    size_t s = slot_of(key);
    e->hnext = t->slots[s];
    t->slots[s] = e;
    lru_push_front(&t->plain, e);
    trim(t, &t->plain);
    return e;
}

rl_table *rl_table_create(double time_scale)
{
    /* Written so that NaN fails too. */
    if (!(time_scale > 0.0 && time_scale <= 1.0))
        return NULL;

    rl_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return NULL;
    }
    t->window_ms = 60000.0 * time_scale;
    t->next_gen = 1;
    return t;
}

static void forget_all(rl_table *t)
{
    for (size_t s = 0; s < SLOTS; s++) {
        struct entry *e = t->slots[s];
        while (e) {
            struct entry *next = e->hnext;
            free(e);
            e = next;
        }
        t->slots[s] = NULL;
    }
    memset(&t->own, 0, sizeof(t->own));
    memset(&t->plain, 0, sizeof(t->plain));
    t->has_star = false;
}

void rl_table_destroy(rl_table *t)
{
    if (!t)
        return;
    forget_all(t);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

void rl_table_set(rl_table *t, const char *key, const rl_limits *l)
{
    pthread_mutex_lock(&t->lock);
    if (strcmp(key, "*") == 0) {
        t->has_star = true;
        t->star = *l;
        t->star_gen = t->next_gen++;
        goto out;
    }

    struct entry *e = find(t, key);
    if (!e)
        e = insert(t, key);
    if (!e)
        goto out;
    lru_unlink(list_of(t, e), e);
    e->has_limits = true;
    e->limits = *l;
    e->limits_gen = t->next_gen++;
    lru_push_front(&t->own, e);
    trim(t, &t->own);
out:
    pthread_mutex_unlock(&t->lock);
}

bool rl_table_remove(rl_table *t, const char *key)
{
    bool had = false;

    pthread_mutex_lock(&t->lock);
    if (strcmp(key, "*") == 0) {
        had = t->has_star;
        t->has_star = false;
    } else {
        struct entry *e = find(t, key);
        if (e) {
            had = e->has_limits;
            forget(t, e);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return had;
}

void rl_table_clear(rl_table *t)
{
    pthread_mutex_lock(&t->lock);
    forget_all(t);
    pthread_mutex_unlock(&t->lock);
}

/* Real ms, rounded up, ignoring float noise below SLACK. */
static uint64_t ceil_ms(double ms)
{
    return ms <= SLACK ? 0 : (uint64_t)ceil(ms - SLACK);
}

static uint32_t floor_level(double level)
{
    return (uint32_t)floor(level + SLACK);
}

/* Real ms until a bucket of capacity cap refills from level to want. */
static double ms_to_reach(const rl_table *t, uint32_t cap, double level,
                          double want)
{
    return want <= level ? 0.0 : (want - level) * t->window_ms / cap;
}

/* Starts a key's buckets full under the given limits. */
static void fill(struct entry *e, const rl_limits *lim, uint64_t gen,
                 double now_ms)
{
    e->has_bucket = true;
    e->bucket_gen = gen;
    e->requests = lim->rpm;
    e->tokens = lim->tpm;
    e->last_ms = now_ms;
}

/* Adds what the buckets earned since the key was last seen, up to full. */
static void refill(const rl_table *t, struct entry *e, const rl_limits *lim,
                   double now_ms)
{
    double elapsed = now_ms - e->last_ms;

    if (elapsed <= 0.0)
        return; /* a clock that steps back adds nothing */
    e->last_ms = now_ms;
    e->requests += elapsed * lim->rpm / t->window_ms;
    e->requests = fmin(e->requests, lim->rpm);
    e->tokens += elapsed * lim->tpm / t->window_ms;
    e->tokens = fmin(e->tokens, lim->tpm);
}

/*
 * The decision for one request against buckets already refilled to now.
 * Charges them when it fits.
 */
static void decide(const rl_table *t, struct entry *e, const rl_limits *lim,
                   uint32_t tokens, rl_decision *out)
{
    double wait_ms = 0.0;
    bool fits = true;

    if (lim->rpm && e->requests + SLACK < 1.0) {
        fits = false;
        wait_ms = ms_to_reach(t, lim->rpm, e->requests, 1.0);
    }
    if (lim->tpm && e->tokens + SLACK < tokens) {
        fits = false;
        /* A request bigger than the whole bucket never fits: report the
         * time until the bucket is full, the best it will ever get. */
        double want = tokens > lim->tpm ? lim->tpm : tokens;
        wait_ms = fmax(wait_ms, ms_to_reach(t, lim->tpm, e->tokens, want));
    }

    if (fits) {
        if (lim->rpm)
            e->requests = fmax(0.0, e->requests - 1.0);
        if (lim->tpm)
            e->tokens = fmax(0.0, e->tokens - tokens);
    } else {
        out->limited = true;
        out->retry_after_ms = ceil_ms(wait_ms);
        if (out->retry_after_ms == 0)
            out->retry_after_ms = 1;
    }

    if (lim->rpm) {
        out->requests_remaining = floor_level(e->requests);
        out->requests_reset_ms =
            ceil_ms(ms_to_reach(t, lim->rpm, e->requests, lim->rpm));
    }
    if (lim->tpm) {
        out->tokens_remaining = floor_level(e->tokens);
        out->tokens_reset_ms =
            ceil_ms(ms_to_reach(t, lim->tpm, e->tokens, lim->tpm));
    }
}

void rl_table_admit(rl_table *t, const char *key, uint32_t tokens,
                    double now_ms, rl_decision *out)
{
    rl_limits lim;
    uint64_t gen;
    struct entry scratch;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&t->lock);

    struct entry *e = find(t, key);
    if (e && e->has_limits) {
        lim = e->limits;
        gen = e->limits_gen;
    } else if (t->has_star) {
        lim = t->star;
        gen = t->star_gen;
    } else {
        goto out;
    }
    if (lim.rpm == 0 && lim.tpm == 0)
        goto out; /* exempt: nothing to track */

    if (!e)
        e = insert(t, key);
    if (e) {
        struct lru *l = list_of(t, e);
        lru_unlink(l, e);
        lru_push_front(l, e);
    } else {
        /* Out of memory: decide on fresh buckets, remember nothing. */
        memset(&scratch, 0, sizeof(scratch));
        e = &scratch;
    }

    if (!e->has_bucket || e->bucket_gen != gen)
        fill(e, &lim, gen, now_ms);
    refill(t, e, &lim, now_ms);
    out->active = true;
    out->limits = lim;
    decide(t, e, &lim, tokens, out);
out:
    pthread_mutex_unlock(&t->lock);
}

/*
 * Go's time.Duration notation, which the OpenAI headers use, at millisecond
 * resolution: "0s", "120ms", "1s", "1.5s", "6m0s", "1h0m0s".
 */
char *rl_format_duration(uint64_t ms, char *buf, size_t buflen)
{
    uint64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60;
    unsigned frac = (unsigned)(ms % 1000);
    char sec[32];
    char *p;

    if (buflen == 0)
        return buf;
    if (ms == 0) {
        snprintf(buf, buflen, "0s");
        return buf;
    }
    if (ms < 1000) {
        snprintf(buf, buflen, "%ums", frac);
        return buf;
    }
    snprintf(sec, sizeof(sec), "%" PRIu64 ".%03u", s, frac);
    /* Trim the fraction's trailing zeros, and its dot if nothing is left. */
    p = sec + strlen(sec) - 1;
    while (*p == '0')
        *p-- = '\0';
    if (*p == '.')
        *p = '\0';

    if (h)
        snprintf(buf, buflen, "%" PRIu64 "h%" PRIu64 "m%ss", h, m, sec);
    else if (m)
        snprintf(buf, buflen, "%" PRIu64 "m%ss", m, sec);
    else
        snprintf(buf, buflen, "%ss", sec);
    return buf;
}

/* RFC 3339 UTC, whole seconds rounded up: "2026-11-30T03:04:05Z". */
static void format_reset_time(double wall_now_s, uint64_t reset_ms, char *buf,
                              size_t buflen)
{
    time_t when = (time_t)ceil(wall_now_s + reset_ms / 1000.0 - SLACK);
    struct tm tm;

    if (!gmtime_r(&when, &tm) ||
        strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, buflen, "1970-01-01T00:00:00Z");
}

static const char *const anthropic_names[2][3] = {
    {"anthropic-ratelimit-requests-limit",
     "anthropic-ratelimit-requests-remaining",
     "anthropic-ratelimit-requests-reset"},
    {"anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining",
     "anthropic-ratelimit-tokens-reset"},
};

static const char *const openai_names[2][3] = {
    {"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
     "x-ratelimit-reset-requests"},
    {"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
     "x-ratelimit-reset-tokens"},
};

void rl_headers(const rl_decision *d, enum rl_style style, double wall_now_s,
                void (*add)(void *ctx, const char *name, const char *value),
                void *ctx)
{
    /* Row 0 is requests, row 1 tokens, in the order the real APIs send. */
    const uint32_t limit[2] = {d->limits.rpm, d->limits.tpm};
    const uint32_t remaining[2] = {d->requests_remaining, d->tokens_remaining};
    const uint64_t reset_ms[2] = {d->requests_reset_ms, d->tokens_reset_ms};
    const char *const(*names)[3] = NULL;
    char value[64];

    if (!d->active)
        return;
    if (style == RL_STYLE_ANTHROPIC)
        names = anthropic_names;
    else if (style == RL_STYLE_OPENAI)
        names = openai_names;

    for (int i = 0; names && i < 2; i++) {
        if (limit[i] == 0)
            continue;
        snprintf(value, sizeof(value), "%" PRIu32, limit[i]);
        add(ctx, names[i][0], value);
        snprintf(value, sizeof(value), "%" PRIu32, remaining[i]);
        add(ctx, names[i][1], value);
        if (style == RL_STYLE_ANTHROPIC)
            format_reset_time(wall_now_s, reset_ms[i], value, sizeof(value));
        else
            rl_format_duration(reset_ms[i], value, sizeof(value));
        add(ctx, names[i][2], value);
    }

    if (d->limited) {
        uint64_t secs = (d->retry_after_ms + 999) / 1000;
        snprintf(value, sizeof(value), "%" PRIu64, secs ? secs : 1);
        add(ctx, "retry-after", value);
        if (style != RL_STYLE_GEMINI) {
            snprintf(value, sizeof(value), "%" PRIu64, d->retry_after_ms);
            add(ctx, "retry-after-ms", value);
        }
    }
}
