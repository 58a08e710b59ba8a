/*
 * budget: a daily spending limit in USD that no call can get past. Lab 5.
 *
 * A budget is like a policer with a daily committed volume instead of a
 * committed rate: every call asks for room before it goes on the wire, and
 * the call is refused (the exceed action) when the room is not there. Three
 * environments (dev, staging, prod) each have their own limit, as a router
 * polices each class apart.
 *
 * The words, defined once:
 *   - SPENT is what settled calls really cost today;
 *   - IN FLIGHT is what reserved calls may still cost: their estimates;
 *   - COMMITTED is spent + in flight. The limit is checked against it.
 *
 * One call is one reservation, taken and given back under one lock:
 *
 *     budget_reservation res;
 *     budget_notice notice;
 *     double est;
 *
 *     budget_estimate_usd(model, strlen(prompt), max_tokens, &est);
 *     if (budget_reserve(b, BUDGET_DEV, est, &res, &notice) != KIT_OK) {
 *         puts(notice.message);               refused: no call is made
 *         return KIT_ERR_BUDGET;
 *     }
 *     if (notice.warning)
 *         puts(notice.message);               80 % reached: warn once
 *     status = call the provider...
 *     if (status == KIT_OK)
 *         budget_settle(b, &res, model, reply_cost_usd);
 *     else
 *         budget_release(b, &res);            nothing was billed
 *
 * Checking and recording in two separate steps lets eight threads all pass
 * the check before any of them records: that is how a budget is overspent.
 * A reservation cannot be overspent that way, because the estimate counts
 * against the limit from the moment the check succeeds.
 *
 * Days are UTC days of the clock's wall time: day = wall_s / 86400. At a new
 * day every environment starts again from zero, and the warning may fire
 * again. A call reserved yesterday and settled today counts today (that is
 * when it was billed); its hold vanished with yesterday.
 *
 * The usage log is a JSON-lines file, one line per settled call:
 *
 *     {"ts":1796007845,"env":"dev","model":"claude-haiku-4.5","cost_usd":0.0031}
 *
 * ts is the wall time in seconds, env one of "dev", "staging", "prod". Other
 * members are allowed (lab 7's usage log adds tokens, latency and more) and
 * ignored here. When the budget is created it rebuilds today's spend from
 * the log, so a restart does not hand out the day's money a second time. A
 * line that is not such an object (a torn last line after a crash) is
 * skipped.
 *
 * Money is compared to the nano-dollar: 0.0031 + 0.0031 is 0.0062, not
 * 0.006200000000000001, so a limit that fits 32 calls exactly fits 32.
 *
 * Every function here is thread-safe on one budget.
 */
#ifndef BUDGET_H
#define BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kit_clock.h"
#include "kit_status.h"

/* The warning fires once a day when committed reaches this share. */
#define BUDGET_WARN_PERCENT 80

/* The environments, each with its own daily limit. */
typedef enum budget_env {
    BUDGET_DEV = 0,
    BUDGET_STAGING,
    BUDGET_PROD,
    BUDGET_ENV_COUNT
} budget_env;

typedef struct budget_config {
    /*
     * The daily limit of each environment, indexed by budget_env, in USD,
     * >= 0. A limit of 0 refuses every call in that environment.
     */
    double daily_limit_usd[BUDGET_ENV_COUNT];
    const kit_clock *clock; /* borrowed, must outlive the budget; NULL: real */
    /*
     * The usage log's path (borrowed: copied by budget_create), or NULL for
     * none. A missing file is an empty log.
     */
    const char *usage_log;
    /*
     * When true, budget_settle appends one line per call to usage_log. Leave
     * it false when another module (lab 7's usage log) writes that file.
     */
    bool append_to_log;
} budget_config;

typedef struct budget budget; /* opaque: see budget_create */

/* One call's hold on the budget, from budget_reserve to settle or release. */
typedef struct budget_reservation {
    budget_env env;
    double estimate_usd; /* what is held */
    int64_t day;         /* the UTC day it was taken: wall_s / 86400 */
    bool active;         /* true until settled or released */
} budget_reservation;

/*
 * What budget_reserve tells the caller: the figures it decided on and, when
 * there is something to say, one line for a person to read.
 */
typedef struct budget_notice {
    bool warning;         /* this call took the day past the 80 % mark */
    double spent_usd;     /* spent today before this call */
    double in_flight_usd; /* held by other calls before this one */
    double estimate_usd;  /* this call's estimate */
    double limit_usd;
    char message[256]; /* "" when there is nothing to say */
} budget_notice;

/*
 * The messages, amounts as "$%.4f", ENV as budget_env_name gives it, PCT the
 * whole percent (rounded down) that committed reaches with this call:
 *
 * warning (the call goes ahead):
 *   "warning: ENV budget PCT% used: spent $S + in flight $F + this call
 *    up to $E of $L today"
 * refused because the call would pass the limit (spent < limit):
 *   "refused: ENV budget would be passed: spent $S + in flight $F + this
 *    call up to $E > limit $L"
 * refused because the day's limit is used up (spent >= limit):
 *   "refused: ENV budget exhausted: spent $S of $L today"
 *
 * Each is one line (no newline). Only the last may say "exhausted", and
 * only it is true when it does.
 */

/* Today's figures for one environment. */
typedef struct budget_spending {
    double limit_usd;
    double spent_usd;     /* settled calls today */
    double in_flight_usd; /* estimates held by calls not yet settled */
    double remaining_usd; /* limit - spent - in flight, never below 0 */
    long calls;           /* calls settled today */
    int64_t day;          /* the UTC day these figures belong to */
} budget_spending;

/* When the money runs out if the day goes on as it started. */
typedef struct budget_projection {
    double spent_usd;
    double limit_usd;
    /*
     * spent / hours since the day's first settled call; 0 when nothing was
     * spent yet or that call was less than a second ago.
     */
    double rate_usd_per_hour;
    /* Wall time (s) when spent reaches the limit at that rate; -1 when the
     * rate is 0. Now, when the limit is already reached. */
    int64_t exhausted_at_s;
    bool exhausted_today; /* exhausted_at_s is before the next UTC midnight */
} budget_projection;

/* "dev", "staging", "prod"; "unknown" for any other value. Static. */
const char *budget_env_name(budget_env env);

/*
 * Reads an environment name as budget_env_name writes it into *out.
 * Returns false (and leaves *out alone) for any other string or NULL.
 */
bool budget_env_parse(const char *name, budget_env *out);

/*
 * The most a call may cost, at the model's prices (pricing_find of lab 2):
 * input tokens are estimated as ceil(prompt_bytes / 4), output tokens as
 * max_tokens (the most the model may write). Stores the USD amount in
 * *usd_out. KIT_ERR_INVALID_ARG (and *usd_out untouched) for a model with
 * no price, max_tokens <= 0 or a NULL argument.
 */
kit_status budget_estimate_usd(const char *model, size_t prompt_bytes,
                               int max_tokens, double *usd_out);

/*
 * Creates a budget from cfg (copied; the clock stays borrowed). When
 * cfg->usage_log is set, today's spend and call counts are rebuilt from it.
 * On success *out is the caller's: free it with budget_destroy.
 * KIT_ERR_INVALID_ARG for a NULL argument or a negative limit;
 * KIT_ERR_IO when the log exists but cannot be read; KIT_ERR_NO_MEMORY.
 * *out is NULL on failure.
 */
kit_status budget_create(const budget_config *cfg, budget **out);

/* Frees b. Reservations still active are forgotten. NULL is a no-op. */
void budget_destroy(budget *b);

/*
 * Asks for estimate_usd of room in env today. When committed + estimate
 * stays within the limit, holds the estimate in *res (active) and returns
 * KIT_OK; notice->warning is then true for the first call of the day whose
 * committed + estimate reaches BUDGET_WARN_PERCENT of the limit, with the
 * warning message. Otherwise returns KIT_ERR_BUDGET, holds nothing
 * (res->active false) and puts the refusal message in notice.
 * notice's figures are filled in both cases; notice may be NULL.
 * KIT_ERR_INVALID_ARG for a NULL b or res, an env out of range or a
 * negative estimate.
 */
kit_status budget_reserve(budget *b, budget_env env, double estimate_usd,
                          budget_reservation *res, budget_notice *notice);

/*
 * The call ended and was billed actual_usd: the hold is replaced by the
 * real cost (which counts even when it is above the estimate: the money is
 * gone), one call is counted, and with append_to_log one line is appended
 * to the usage log (model as given, or "unknown" when NULL). res becomes
 * inactive. KIT_ERR_INVALID_ARG for a NULL b or res, an inactive res or a
 * negative amount; KIT_ERR_IO when the log line could not be written (the
 * spend still counts).
 */
kit_status budget_settle(budget *b, budget_reservation *res, const char *model,
                         double actual_usd);

/*
 * The call ended without a bill (it failed): the hold is given back and
 * nothing is counted. res becomes inactive. KIT_ERR_INVALID_ARG for a NULL
 * argument or an inactive res.
 */
kit_status budget_release(budget *b, budget_reservation *res);

/* Fills *out with today's figures for env. KIT_ERR_INVALID_ARG otherwise. */
kit_status budget_daily_spending(budget *b, budget_env env,
                                 budget_spending *out);

/* Fills *out with today's projection for env. KIT_ERR_INVALID_ARG
 * otherwise. */
kit_status budget_project(budget *b, budget_env env, budget_projection *out);

#endif
