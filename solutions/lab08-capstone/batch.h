/*
 * batch: the capstone's compliance batch, lab 8. Every router config of the
 * fleet (fleet.h) goes to the model with a prompt asking for violations of
 * the security baseline, through the whole client the course has built: lab
 * 3's client (lab 1's backoff, lab 2's metrics), lab 5's budget, lab 6's
 * metrics registry, lab 7's limiter, retry budget and usage log.
 *
 * The night the course opens with, a batch like this one took the key's
 * whole rate and every other tool on the key got 429. This one takes a
 * SHARE of the key and leaves the rest, the HEADROOM, to the others:
 *
 *     share = 100 - headroom_percent        (80 % with 20 % of headroom)
 *
 * and it spreads its share evenly instead of bursting: at 40 of tier 1's
 * 50 RPM, 4 calls every 6 s, never the 40 in one go that a minute's window
 * would let through. A policer's bucket (the provider's) that is never
 * drained stays nearly full, so a call from the NOC chatbot always finds
 * room. The same shaping, in QoS words: shape the bulk class below the
 * committed rate with a small burst, and the interactive class never meets
 * the exceed action.
 *
 * Typical use (capstone_main.c is the whole program):
 *
 *     batch_config cfg = BATCH_CONFIG_DEFAULT;
 *     cfg.share.rpm = 50;  cfg.share.tpm = 40000;     tier 1
 *     cfg.usage_log = "build/lab08-usage.jsonl";
 *     cfg.client.retry.initial_delay_ms = ...;
 *     batch_report rep;
 *     st = batch_run(&cfg, &rep);
 *
 * Times: the limiter and every time in an event or a report run on the
 * batch clock, cfg.clock. Against the mock server started with
 * `--time-scale F` that is a scaled clock (scaled_clock.h) on which the
 * provider's minute is 60000 ms again; against a real provider it is the
 * real clock. The client's own backoff runs on real time (the server's
 * retry-after is real time), so give it delays in real milliseconds.
 */
#ifndef BATCH_H
#define BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "kit_clock.h"
#include "kit_status.h"
#include "prom.h"
#include "ratelimit.h"
#include "retry_budget.h"

/* The most worker threads batch_run starts. */
#define BATCH_MAX_WORKERS 16

/* ---- The prompt ------------------------------------------------------------
 */

/* The system prompt every call of the batch sends: the baseline. */
extern const char batch_system_prompt[];

/*
 * Writes the user prompt for one router config into buf (NUL-terminated):
 *
 *     Check this router configuration against the baseline.
 *     Router: HOSTNAME (VENDOR)
 *     ---
 *     CONFIG TEXT, as given
 *     ---
 *     List each violation as RULE: line.
 *
 * where HOSTNAME and VENDOR are the arguments as given. Stores in
 * *tokens_out (when not NULL) the call's token estimate, the one the
 * limiter and lab 5's budget are given:
 *     ceil((strlen(batch_system_prompt) + strlen(prompt)) / 4) + max_tokens
 * (the mock server's rule: one token per 4 bytes, rounded up; the answer
 * may use all of max_tokens). Returns KIT_OK; KIT_ERR_TOO_LARGE when the
 * prompt does not fit in len bytes; KIT_ERR_INVALID_ARG for a NULL
 * argument, len 0 or max_tokens <= 0.
 */
kit_status batch_prompt(const char *hostname, const char *vendor,
                        const char *config_text, int max_tokens, char *buf,
                        size_t len, long *tokens_out);

/* ---- The plan: how fast the batch may go ----------------------------------
 */

/* The key's limits (a tier) and the part of them the batch leaves free. */
typedef struct batch_share {
    long rpm;             /* the key's requests per minute, > 0 */
    long tpm;             /* the key's tokens per minute, >= 0; 0: unlimited */
    int headroom_percent; /* 0..99: the share of the key left to the others */
    long tokens_per_call; /* > 0: the largest call's estimate (batch_prompt) */
} batch_share;

/*
 * The pace of the batch: a token bucket of requests (lab 7's
 * RATELIMIT_TOKEN_BUCKET) that refills at exactly the share's rate, with a
 * burst of a tenth of a minute's share. The burst is small enough to leave
 * the provider's bucket nearly full, and large enough that a call which
 * started late (a busy machine) is made up for instead of lost. With
 * share = 100 - headroom_percent:
 *
 *   burst = rpm * share / 1000, rounded down, at least 1
 *   window_ms = the larger of
 *       ceil(burst * 60000 * 100 / (rpm * share))            the requests'
 *       ceil(burst * 60000 * 100 * tokens_per_call / (tpm * share))
 *                                      the tokens' (only when tpm > 0)
 *   limiter.requests_per_window = burst
 *   limiter.window_ms = window_ms
 *   limiter.tokens_per_window = floor(tpm * share * window_ms / (100 * 60000))
 *                               (0 when tpm is 0)
 *   limiter.mode = RATELIMIT_TOKEN_BUCKET, low_remaining_percent = 10,
 *   clock = NULL (batch_run sets its own)
 *   interval_ms = window_ms / burst, rounded up: one call per interval
 *
 * Tier 1 (50 RPM, 40,000 TPM) with 20 % of headroom and calls of 500
 * tokens: burst 4, window 6000 ms, 3200 tokens per window, interval 1500.
 * Integer arithmetic throughout (64 bits), so 80 % of 50 RPM is exactly
 * 40, not 39.99999; rounding up only ever slows the batch.
 */
typedef struct batch_plan {
    ratelimit_config limiter; /* the limiter that keeps the pace */
    uint64_t interval_ms;     /* the mean time between two calls */
    double calls_per_minute;  /* burst * 60000 / window_ms, for a report */
} batch_plan;

/*
 * Fills *out as above. KIT_ERR_INVALID_ARG for a NULL argument, rpm <= 0,
 * tpm < 0, headroom_percent outside 0..99 or tokens_per_call <= 0.
 */
kit_status batch_plan_make(const batch_share *share, batch_plan *out);

/* ---- The run ------------------------------------------------------------- */

typedef enum batch_event_kind {
    BATCH_EVENT_ATTEMPT = 0, /* one HTTP attempt of a config ended */
    BATCH_EVENT_CONFIG,      /* one config ended: checked, or failed */
} batch_event_kind;

/* What batch_run tells its caller as it goes. Borrowed for the callback. */
typedef struct batch_event {
    batch_event_kind kind;
    uint64_t t_ms;     /* batch clock, ms since batch_run started */
    long index;        /* the config, 0 .. n_configs - 1 */
    int attempt;       /* ATTEMPT: 1 for the first try; CONFIG: attempts made */
    long http_status;  /* the (last) attempt's status; 0 when none came */
    kit_status status; /* how the attempt, or the config, ended */
    double cost_usd;   /* CONFIG: what the config cost; 0 when it failed */
} batch_event;

/*
 * Hears every event. batch_run calls it from its worker threads, but
 * never two at once (it holds its lock), so the callback needs no lock of
 * its own; it must not call back into the batch.
 */
typedef void (*batch_event_fn)(void *ctx, const batch_event *ev);

typedef struct batch_config {
    long n_configs;    /* configs to check: fleet_generate(seed, 0..), > 0 */
    uint32_t seed;     /* the fleet's seed: the same seed, the same fleet */
    batch_share share; /* the key's tier and the headroom */
    bool limiter_off;  /* the outage: no limiter at all (the night itself) */
    int workers;       /* 1 .. BATCH_MAX_WORKERS threads, one client each */
    /*
     * The template of each worker's client (key, URL, model, retry
     * policy, timeout). Its observer and transport are batch_run's own:
     * leave them empty. Borrowed during batch_run.
     */
    client_config client;
    int max_tokens;         /* > 0: the longest answer to pay for */
    const kit_clock *clock; /* the batch clock; NULL: the real clock */
    retry_budget_config retry_budget; /* one budget shared by all workers */
    double budget_usd;       /* lab 5's daily limit (env "prod"), > 0 */
    const char *usage_log;   /* lab 7's log, one line per config; required */
    prom_registry *prom;     /* lab 6's registry, borrowed; NULL: none */
    batch_event_fn on_event; /* NULL: none */
    void *event_ctx;
} batch_config;

/* Four workers, 20 % of headroom, answers of up to 200 tokens, $5 a day. */
#define BATCH_CONFIG_DEFAULT                                                   \
    {                                                                          \
        .n_configs = 2847, .seed = 2847,                                       \
        .share = {.rpm = 50,                                                   \
                  .tpm = 40000,                                                \
                  .headroom_percent = 20,                                      \
                  .tokens_per_call = 0},                                       \
        .limiter_off = false, .workers = 4, .client = CLIENT_CONFIG_DEFAULT,   \
        .max_tokens = 200, .clock = NULL,                                      \
        .retry_budget = RETRY_BUDGET_CONFIG_DEFAULT, .budget_usd = 5.0,        \
        .usage_log = NULL, .prom = NULL, .on_event = NULL, .event_ctx = NULL,  \
    }

/* What a run did. Plain data. */
typedef struct batch_report {
    long configs;        /* configs finished: ok + failed */
    long ok;             /* configs the model checked */
    long failed;         /* configs that ended in an error (budget included) */
    long attempts;       /* HTTP attempts (retries included) */
    long rate_limited;   /* attempts answered 429 */
    long retries;        /* attempts after the first of their config */
    double cost_usd;     /* what the successful configs cost (lab 2's prices) */
    uint64_t elapsed_ms; /* batch clock, from the start to the last end */
    uint64_t min_elapsed_ms; /* n_configs x plan.interval_ms; 0 limiter off */
    batch_plan plan;         /* the pace it kept (filled even limiter off) */
} batch_report;

/*
 * Runs the batch: plans the pace (share.tokens_per_call, when 0, becomes
 * the largest estimate of the fleet's n_configs prompts), creates the
 * limiter on cfg->clock (none with limiter_off), the retry budget, the
 * budget and the usage log, and starts cfg->workers threads that take the
 * configs in order, each with its own client. For each config:
 *
 *   1. reserve its estimate in the budget (refused: the config fails with
 *      KIT_ERR_BUDGET, no call is made);
 *   2. client_call; every ATTEMPT, the first and each retry, first waits
 *      for the limiter (ratelimit_acquire with the estimate), and a retry
 *      first takes a token from the retry budget (none left: the attempt
 *      is not sent and fails with KIT_ERR_RETRY_BUDGET); a 2xx answer
 *      credits the retry budget;
 *   3. settle the budget with the call's cost (or release it), append one
 *      usage_log line (env "prod", ok or not), record the call and each
 *      attempt in cfg->prom, and report the events.
 *
 * Writes *out in full (zeroed first) and returns KIT_OK when every config
 * was tried, even if some failed (out->failed says how many).
 * KIT_ERR_INVALID_ARG for a NULL argument, n_configs <= 0, workers
 * outside 1..BATCH_MAX_WORKERS, max_tokens <= 0, budget_usd <= 0, no
 * usage_log, or a share batch_plan_make refuses; the module's own failure
 * (KIT_ERR_IO for the log, KIT_ERR_NO_KEY from client_create...) when it
 * could not start.
 */
kit_status batch_run(const batch_config *cfg, batch_report *out);

#endif
