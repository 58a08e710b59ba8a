/*
 * ratelimit.h - per-key requests-per-minute and tokens-per-minute buckets
 * for the mock server, on a clock that can run faster than real time.
 *
 * A rate limit here works like QoS policing on a router: the committed rate
 * is the per-minute limit, the burst is the bucket's capacity, and the
 * exceed action is HTTP 429. Each key has two token buckets:
 *
 *   - a requests bucket holding up to `rpm` requests, and
 *   - a tokens bucket holding up to `tpm` model tokens.
 *
 * Both start full and refill continuously at limit/60 per second of the
 * provider's clock. The table's time scale shrinks that clock: at scale 0.01
 * a one-minute window lasts 0.6 s of real time, so a free-tier test finishes
 * in seconds. Every duration this module reports (retry_after_ms, the reset
 * times, the header values) is in real, already-scaled milliseconds.
 *
 * A request is admitted only when both buckets hold enough for it: one
 * request and its token cost (the server charges input tokens plus the
 * max_tokens the request asked for). A request that does not fit is refused
 * and charged nothing; the decision says how long until it would fit.
 *
 * Ownership: a table is an opaque handle from rl_table_create(), freed with
 * rl_table_destroy(). Functions copy the key strings they are given; nothing
 * the caller passes is kept. Every rl_table_* function is thread-safe: the
 * table has its own lock.
 *
 * Time enters as an argument (now_ms), never from a clock read inside the
 * module, so unit tests can feed exact times and assert exact figures.
 */
#ifndef MOCKSERVER_RATELIMIT_H
#define MOCKSERVER_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The most keys a table tracks buckets for, and separately the most keys it
 * holds limits of their own for. Past either cap the least recently used
 * key is forgotten: a forgotten key's buckets start full again next time it
 * is seen, and a forgotten key's own limits fall back to the "*" limits.
 */
#define RL_MAX_KEYS 10000

/* The two limits of one key. 0 means that dimension is unlimited. */
typedef struct rl_limits {
    uint32_t rpm; /* requests per minute */
    uint32_t tpm; /* tokens per minute */
} rl_limits;

/*
 * Looks up one of the course's tier presets by name:
 *
 *   name              rpm       tpm
 *   anthropic-free      5    10,000
 *   anthropic-tier1    50    40,000
 *   anthropic-tier2 1,000   400,000
 *   openai-free         3    40,000
 *   openai-tier1      500   200,000
 *   openai-tier2    5,000 2,000,000
 *
 * name: the tier's name, exactly as above (NULL is allowed and not found).
 * out:  receives the tier's limits when found; untouched otherwise. May be
 *       NULL to ask only whether the name exists.
 * Returns true when the name is a known tier.
 */
bool rl_tier_lookup(const char *name, rl_limits *out);

/* Opaque: a set of per-key limits and the buckets they govern. */
typedef struct rl_table rl_table;

/*
 * Creates an empty table: no limits, so every key is unlimited.
 *
 * time_scale: how much faster than real time the provider's clock runs,
 *             0 < time_scale <= 1. A 60 s window lasts 60 s * time_scale
 *             of real time.
 * Returns the table (caller owns; free with rl_table_destroy), or NULL when
 * time_scale is out of range or memory runs out.
 */
rl_table *rl_table_create(double time_scale);

/* Frees the table and everything in it. NULL is a no-op. */
void rl_table_destroy(rl_table *t);

/*
 * Sets the limits of one key, replacing any it had.
 *
 * key: the API key (copied). The key "*" sets the limits of every key that
 *      has none of its own. A key of its own with {0, 0} is therefore
 *      exempt from the "*" limits.
 * l:   the limits (copied).
 * Setting limits, even to the same values, gives every key they govern full
 * buckets again: a test that sets a limit starts from a known state.
 * May allocate; if memory runs out the limits are not set (the server's
 * control API has no way to report that, and it does not happen in
 * practice at RL_MAX_KEYS entries).
 */
void rl_table_set(rl_table *t, const char *key, const rl_limits *l);

/*
 * Removes the limits of one key and forgets its buckets. The key then falls
 * back to the "*" limits, with full buckets; removing "*" itself makes
 * every key without limits of its own unlimited.
 * Returns true when the key had limits of its own.
 */
bool rl_table_remove(rl_table *t, const char *key);

/* Removes every limit and forgets every bucket, as after create. */
void rl_table_clear(rl_table *t);

/* The outcome of one rl_table_admit call. Plain data: copy it freely. */
typedef struct rl_decision {
    bool active;             /* some limit applies to this key */
    bool limited;            /* the request must get 429 */
    uint64_t retry_after_ms; /* scaled real ms until it would fit; >= 1
                                when limited, 0 otherwise */
    rl_limits limits;        /* the limits that applied */
    uint32_t requests_remaining, tokens_remaining; /* after this request */
    uint64_t requests_reset_ms, tokens_reset_ms;   /* scaled real ms until
                                                      the bucket is full */
} rl_decision;

/*
 * Admits one request and charges it to the key's buckets.
 *
 * key:    the API key the request came with (not kept).
 * tokens: what the request costs in tokens (input tokens + max_tokens).
 * now_ms: the current time in real milliseconds on any monotonic clock;
 *         the same clock for every call on one table. A time earlier than
 *         the key's last one counts as no time passing.
 * out:    written in full on every call.
 *
 * When no limit applies, out->active is false and the rest is zero. When
 * the request fits both buckets it is charged (one request, `tokens`
 * tokens) and out->limited is false. Otherwise nothing is charged,
 * out->limited is true and out->retry_after_ms is the real time, rounded
 * up to the millisecond, until both buckets would hold enough. A request
 * costing more tokens than the whole tpm never fits (the real APIs answer
 * that with 429 too); retry_after_ms is then the time until the tokens
 * bucket is full. Remaining figures are rounded down; reset times are
 * rounded up. For an unlimited dimension (limit 0) its remaining and reset
 * figures are 0.
 * May allocate (the first request of a key); if memory runs out the request
 * is decided on fresh, full buckets and nothing is recorded.
 */
void rl_table_admit(rl_table *t, const char *key, uint32_t tokens,
                    double now_ms, rl_decision *out);

/* Whose rate-limit headers to write. */
enum rl_style { RL_STYLE_ANTHROPIC, RL_STYLE_OPENAI, RL_STYLE_GEMINI };

/*
 * Calls add(ctx, name, value) once per rate-limit response header of a
 * provider's style, for the decision d. Headers of a dimension whose limit
 * is 0 are left out; nothing at all is emitted when !d->active.
 *
 *   RL_STYLE_ANTHROPIC: anthropic-ratelimit-requests-{limit,remaining,reset}
 *       and anthropic-ratelimit-tokens-{limit,remaining,reset}; a reset is
 *       the RFC 3339 UTC time when the bucket will be full, wall_now_s plus
 *       the reset time, rounded up to the second ("2026-11-30T03:04:05Z").
 *   RL_STYLE_OPENAI: x-ratelimit-{limit,remaining,reset}-{requests,tokens};
 *       a reset is a duration as the real API writes it ("6m0s", "1s",
 *       "1.5s", "120ms", "0s").
 *   RL_STYLE_GEMINI: no rate-limit headers (the server puts a RetryInfo
 *       retryDelay in the error body instead).
 *
 * Every style adds, when d->limited, `retry-after` (whole seconds, rounded
 * up, at least 1); Anthropic and OpenAI also add `retry-after-ms`.
 *
 * wall_now_s: the current wall-clock time, seconds since the Unix epoch.
 * add:        called with names and values that are only valid during the
 *             call (copy them). ctx is passed through untouched.
 */
void rl_headers(const rl_decision *d, enum rl_style style, double wall_now_s,
                void (*add)(void *ctx, const char *name, const char *value),
                void *ctx);

/*
 * Writes a duration in the OpenAI header form ("6m0s", "1.5s", "120ms",
 * "0s") into buf, always NUL-terminated. Exposed for the unit tests and for
 * the server's own messages.
 * Returns buf.
 */
char *rl_format_duration(uint64_t ms, char *buf, size_t buflen);

#endif /* MOCKSERVER_RATELIMIT_H */
