/*
 * metrics: what a client did and what it cost. Lab 2.
 *
 * Two things are counted apart, and the difference matters:
 *   - a CALL is what the user asked for: one prompt, one answer or one
 *     failure;
 *   - an ATTEMPT is one HTTP exchange on the wire. A call that met two 429s
 *     and then succeeded is 1 call and 3 attempts.
 * The success rate is successful calls over calls. Dividing by attempts
 * would make every retry look like a failure.
 *
 * The metrics struct is plain data: read its fields directly. It owns no
 * memory and needs no destroy. It is not thread-safe: keep one per thread,
 * or hold a lock around every function here.
 *
 * The usual sequence for one call:
 *
 *     metrics_call call;
 *     metrics_call_begin(&m, &call);              start the stopwatch
 *     for each HTTP attempt:
 *         kit_anthropic_call(..., &reply, &info);
 *         metrics_record_attempt(&m, &info);      count what went on the wire
 *     metrics_call_end(&m, &call, status, reply.model,
 *                      reply.input_tokens, reply.output_tokens);
 *     call.latency_ms and call.cost_usd now describe this call.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kit_chat.h"
#include "kit_clock.h"
#include "kit_status.h"

/* How many models the per-model breakdown holds; more are only totalled. */
enum { METRICS_MAX_MODELS = 16 };

/* One model's share of the successful calls (the per-model extra). */
typedef struct metrics_model {
    char model[48]; /* the price table's name, or the name as given */
    long calls;     /* successful calls answered by this model */
    long input_tokens;
    long output_tokens;
    double cost_usd;
} metrics_model;

typedef struct metrics {
    const kit_clock *clock; /* borrowed; NULL means the real clock */

    long calls;           /* finished calls: successes + failures */
    long successes;       /* calls that ended with KIT_OK */
    long failures;        /* calls that ended with any error */
    long attempts;        /* HTTP attempts, retries included */
    long rate_limit_hits; /* attempts answered with HTTP 429 */
    long input_tokens;    /* over successful calls */
    long output_tokens;
    double cost_usd;           /* over successful calls, from the price table */
    uint64_t total_latency_ms; /* over every finished call, failed ones too */
    /* Successful calls whose model has no price: their tokens count,
     * their cost is unknown and counted as 0. */
    long unpriced_calls;

    metrics_model models[METRICS_MAX_MODELS]; /* in order of first success */
    size_t n_models;
} metrics;

/* A call in progress, from metrics_call_begin to metrics_call_end. */
typedef struct metrics_call {
    uint64_t started_ms; /* set by begin: the clock's now_ms */
    uint64_t latency_ms; /* set by end: now_ms - started_ms */
    double cost_usd;     /* set by end: this call's cost (0 if it failed) */
} metrics_call;

/* Derived figures, for a report. */
typedef struct metrics_summary {
    long calls, successes, failures, attempts, rate_limit_hits;
    long total_tokens;   /* input + output */
    double success_rate; /* successes / calls, 0.0 to 1.0; 0 with no calls */
    double cost_usd;
    double avg_latency_ms; /* total_latency_ms / calls; 0 with no calls */
} metrics_summary;

/*
 * Zeroes every counter of *m and keeps clock (borrowed: it must outlive m;
 * NULL for the real clock). Returns KIT_OK, or KIT_ERR_INVALID_ARG when m is
 * NULL.
 */
kit_status metrics_init(metrics *m, const kit_clock *clock);

/* Zeroes every counter and keeps m's clock. KIT_ERR_INVALID_ARG for NULL. */
kit_status metrics_reset(metrics *m);

/*
 * Starts timing one call: call->started_ms = the clock's now, the other
 * fields 0. Counts nothing yet. KIT_ERR_INVALID_ARG for a NULL argument.
 */
kit_status metrics_call_begin(const metrics *m, metrics_call *call);

/*
 * Counts one HTTP attempt, whatever its outcome, and a rate-limit hit when
 * its HTTP status was 429. KIT_ERR_INVALID_ARG for a NULL argument.
 */
kit_status metrics_record_attempt(metrics *m, const kit_attempt *attempt);

/*
 * Finishes the call begun on call: counts the call, as a success when
 * outcome is KIT_OK and as a failure otherwise, and adds its latency (the
 * clock's now minus call->started_ms) to total_latency_ms.
 * On success it also adds the tokens and the cost at the price of model
 * (looked up with pricing_find, any spelling): the cost goes into the
 * totals, the model's row of the breakdown and call->cost_usd. A model
 * with no price adds its tokens, 0 USD, and one to unpriced_calls.
 * A failed call adds no tokens and no cost; model may then be NULL.
 * Sets call->latency_ms and call->cost_usd.
 * Returns KIT_OK, or KIT_ERR_INVALID_ARG (nothing counted) when m or call is
 * NULL, or the call succeeded with a NULL model or negative token counts.
 */
kit_status metrics_call_end(metrics *m, metrics_call *call, kit_status outcome,
                            const char *model, long input_tokens,
                            long output_tokens);

/* Fills *out from m. KIT_ERR_INVALID_ARG for a NULL argument. */
kit_status metrics_summarize(const metrics *m, metrics_summary *out);

/*
 * Writes the summary as five lines of text into buf (NUL-terminated),
 * numbers formatted as shown:
 *
 *     calls: 3 (2 ok, 1 failed, success rate 66.7%)
 *     attempts: 7 (3 rate-limited)
 *     tokens: 1234 (1000 in, 234 out)
 *     cost: $0.002170
 *     avg latency: 412.3 ms
 *
 * Returns KIT_OK; KIT_ERR_TOO_LARGE when it did not fit (buf then holds as
 * much as fits, still NUL-terminated); KIT_ERR_INVALID_ARG for a NULL
 * argument or len 0.
 */
kit_status metrics_format(const metrics *m, char *buf, size_t len);

/*
 * Writes the same five lines to out (a FILE the caller owns and keeps
 * open). Returns KIT_OK, KIT_ERR_IO when the write failed, or
 * KIT_ERR_INVALID_ARG for a NULL argument.
 */
kit_status metrics_print(const metrics *m, FILE *out);

/* ---- Extras (bonus points) ----------------------------------------------- */

/*
 * The per-model breakdown: finds the row of the model, by any spelling
 * pricing_find accepts ("claude-haiku-4-5" finds "claude-haiku-4.5"), or by
 * its exact name for a model with no price. Returns a pointer into m
 * (valid until m changes), or NULL when the model had no successful call.
 */
const metrics_model *metrics_find_model(const metrics *m, const char *model);

/*
 * Exports m as one JSON object into buf (NUL-terminated):
 *
 *   {"calls":3,"successes":2,"failures":1,"attempts":7,
 *    "rate_limit_hits":3,"input_tokens":1000,"output_tokens":234,
 *    "cost_usd":0.00217,"total_latency_ms":1237,"unpriced_calls":0,
 *    "success_rate":0.666667,"avg_latency_ms":412.333,
 *    "models":[{"model":"claude-haiku-4.5","calls":2,"input_tokens":1000,
 *               "output_tokens":234,"cost_usd":0.00217}]}
 *
 * Every member shown is present, numbers as JSON numbers, "models" in the
 * breakdown's order (the whitespace and the key order are free).
 * Returns KIT_OK; KIT_ERR_TOO_LARGE when it does not fit in len bytes;
 * KIT_ERR_NO_MEMORY; KIT_ERR_INVALID_ARG for a NULL argument or len 0.
 */
kit_status metrics_to_json(const metrics *m, char *buf, size_t len);

#endif
