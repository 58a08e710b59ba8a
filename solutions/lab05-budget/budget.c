/*
 * budget: lab 5's daily spending limit. One mutex guards every figure, so a
 * check and the hold it grants are one step; money is kept in integer
 * nano-dollars so that sums and comparisons are exact.
 */
#include "budget.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "pricing.h"

#define SECONDS_PER_DAY 86400
#define NANO_PER_USD    1e9

/* A log line longer than this is not one of ours; it is skipped. */
enum { MAX_LOG_LINE = 4096 };
/* A line whose ts or cost_usd is past these is not one of ours either. */
#define MAX_LOG_TS       1e15 /* seconds: some 30 million years */
#define MAX_LOG_COST_USD 1e6  /* one call */

/* One environment's day. */
struct env_day {
    int64_t limit_n; /* nano-dollars */
    int64_t spent_n;
    int64_t in_flight_n;
    long calls;
    int64_t first_spend_s; /* wall time of the day's first settled call; -1 */
    bool warned;
};

struct budget {
    pthread_mutex_t lock;
    const kit_clock *clock;
    char *usage_log; /* owned copy, or NULL */
    bool append_to_log;
    int64_t day; /* the day the figures below belong to */
    struct env_day env[BUDGET_ENV_COUNT];
};

static const char *const env_names[BUDGET_ENV_COUNT] = {
    [BUDGET_DEV] = "dev",
    [BUDGET_STAGING] = "staging",
    [BUDGET_PROD] = "prod",
};

static int64_t to_nano(double usd)
{
    return (int64_t)llround(usd * NANO_PER_USD);
}

static double to_usd(int64_t nano)
{
    return (double)nano / NANO_PER_USD;
}

/* Floor division, so that a wall time before 1970 still finds its day. */
static int64_t day_of(int64_t wall_s)
{
    int64_t d = wall_s / SECONDS_PER_DAY;

    return (wall_s % SECONDS_PER_DAY < 0) ? d - 1 : d;
}

static bool env_valid(budget_env env)
{
    return (int)env >= 0 && env < BUDGET_ENV_COUNT;
}

const char *budget_env_name(budget_env env)
{
    return env_valid(env) ? env_names[env] : "unknown";
}

bool budget_env_parse(const char *name, budget_env *out)
{
    if (!name || !out)
        return false;
    for (int i = 0; i < BUDGET_ENV_COUNT; i++) {
        if (strcmp(name, env_names[i]) == 0) {
            *out = (budget_env)i;
            return true;
        }
    }
    return false;
}

kit_status budget_estimate_usd(const char *model, size_t prompt_bytes,
                               int max_tokens, double *usd_out)
{
    const pricing_row *row = pricing_find(model);
    /* About four bytes of English per token; round up so that no prompt
     * is estimated as free. */
    long in_tokens = (long)((prompt_bytes + 3) / 4);

    if (!row || max_tokens <= 0 || !usd_out)
        return KIT_ERR_INVALID_ARG;
    *usd_out = pricing_cost_usd(row, in_tokens, max_tokens);
    return KIT_OK;
}

/*
 * Starts a new day when the clock has moved past the one the figures belong
 * to. Holds vanish with the day; limits stay. Called with the lock held.
 */
static void roll_day(budget *b)
{
    int64_t today = day_of(kit_clock_wall_s(b->clock));

    if (today == b->day)
        return;
    b->day = today;
    for (int i = 0; i < BUDGET_ENV_COUNT; i++) {
        struct env_day *e = &b->env[i];

        e->spent_n = 0;
        e->in_flight_n = 0;
        e->calls = 0;
        e->first_spend_s = -1;
        e->warned = false;
    }
}

/* Adds one settled call to today's figures. Called with the lock held. */
static void add_spend(struct env_day *e, int64_t nano, int64_t wall_s)
{
    e->spent_n += nano;
    e->calls++;
    if (e->first_spend_s < 0 || wall_s < e->first_spend_s)
        e->first_spend_s = wall_s;
}

/*
 * Reads one log line. Returns true, with its fields, when it is a complete
 * line of the format budget.h gives; anything else (a torn line, a blank
 * line, another program's line) returns false.
 */
static bool parse_log_line(const char *line, size_t len, int64_t *ts,
                           budget_env *env, int64_t *cost_n)
{
    cJSON *json = cJSON_ParseWithLengthOpts(line, len, NULL, false);
    const cJSON *j_ts = cJSON_GetObjectItemCaseSensitive(json, "ts");
    const cJSON *j_env = cJSON_GetObjectItemCaseSensitive(json, "env");
    const cJSON *j_cost = cJSON_GetObjectItemCaseSensitive(json, "cost_usd");
    bool ok = cJSON_IsObject(json) && cJSON_IsNumber(j_ts) &&
              cJSON_IsString(j_env) && cJSON_IsNumber(j_cost) &&
              j_cost->valuedouble >= 0 &&
              /* Figures no real call has (a corrupt log) would overflow
                 the conversions and sums below: skip such a line. */
              fabs(j_ts->valuedouble) <= MAX_LOG_TS &&
              j_cost->valuedouble <= MAX_LOG_COST_USD &&
              budget_env_parse(j_env->valuestring, env);

    if (ok) {
        *ts = (int64_t)j_ts->valuedouble;
        *cost_n = to_nano(j_cost->valuedouble);
    }
    cJSON_Delete(json);
    return ok;
}

/*
 * Rebuilds today's spend from the usage log. A missing log is an empty one.
 * Only a line that ends in a newline is complete: a last line without one
 * was torn by a crash and is skipped, like any line that does not parse.
 */
static kit_status load_log(budget *b)
{
    FILE *f = fopen(b->usage_log, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (!f)
        return errno == ENOENT ? KIT_OK : KIT_ERR_IO;
    while ((n = getline(&line, &cap, f)) > 0) {
        int64_t ts, cost_n;
        budget_env env;

        if (line[n - 1] != '\n' || n > MAX_LOG_LINE)
            continue;
        if (!parse_log_line(line, (size_t)n - 1, &ts, &env, &cost_n))
            continue;
        if (day_of(ts) == b->day)
            add_spend(&b->env[env], cost_n, ts);
    }
    free(line);
    if (ferror(f)) {
        fclose(f);
        return KIT_ERR_IO;
    }
    fclose(f);
    return KIT_OK;
}

kit_status budget_create(const budget_config *cfg, budget **out)
{
    budget *b = NULL;
    kit_status st;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    *out = NULL;
    if (!cfg)
        return KIT_ERR_INVALID_ARG;
    for (int i = 0; i < BUDGET_ENV_COUNT; i++) {
        if (!(cfg->daily_limit_usd[i] >= 0)) /* also refuses NaN */
            return KIT_ERR_INVALID_ARG;
    }

    b = calloc(1, sizeof(*b));
    if (!b)
        return KIT_ERR_NO_MEMORY;
    b->clock = cfg->clock;
    b->append_to_log = cfg->append_to_log;
    if (cfg->usage_log) {
        b->usage_log = strdup(cfg->usage_log);
        if (!b->usage_log) {
            st = KIT_ERR_NO_MEMORY;
            goto out_free;
        }
    }
    for (int i = 0; i < BUDGET_ENV_COUNT; i++)
        b->env[i].limit_n = to_nano(cfg->daily_limit_usd[i]);
    /* Force roll_day to start "today" from scratch. */
    b->day = INT64_MIN;
    roll_day(b);
    if (b->usage_log) {
        st = load_log(b);
        if (st != KIT_OK)
            goto out_free;
    }
    if (pthread_mutex_init(&b->lock, NULL) != 0) {
        st = KIT_ERR_NO_MEMORY;
        goto out_free;
    }
    *out = b;
    return KIT_OK;

out_free:
    free(b->usage_log);
    free(b);
    return st;
}

void budget_destroy(budget *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lock);
    free(b->usage_log);
    free(b);
}

/* The three messages of budget.h. Called with the lock held. */
static void write_message(budget_notice *notice, budget_env env,
                          const struct env_day *e, int64_t est_n,
                          kit_status verdict)
{
    const char *name = budget_env_name(env);
    double spent = to_usd(e->spent_n), fl = to_usd(e->in_flight_n);
    double est = to_usd(est_n), limit = to_usd(e->limit_n);

    if (verdict == KIT_OK) {
        long long pct = e->limit_n > 0 ? (e->spent_n + e->in_flight_n + est_n) *
                                             100 / e->limit_n
                                       : 100;

        snprintf(notice->message, sizeof(notice->message),
                 "warning: %s budget %lld%% used: spent $%.4f + in flight "
                 "$%.4f + this call up to $%.4f of $%.4f today",
                 name, pct, spent, fl, est, limit);
    } else if (e->spent_n >= e->limit_n) {
        snprintf(notice->message, sizeof(notice->message),
                 "refused: %s budget exhausted: spent $%.4f of $%.4f today",
                 name, spent, limit);
    } else {
        snprintf(notice->message, sizeof(notice->message),
                 "refused: %s budget would be passed: spent $%.4f + in "
                 "flight $%.4f + this call up to $%.4f > limit $%.4f",
                 name, spent, fl, est, limit);
    }
}

kit_status budget_reserve(budget *b, budget_env env, double estimate_usd,
                          budget_reservation *res, budget_notice *notice)
{
    budget_notice scratch;
    struct env_day *e;
    int64_t est_n, committed_n;
    kit_status verdict;

    if (!b || !res || !env_valid(env) || !(estimate_usd >= 0))
        return KIT_ERR_INVALID_ARG;
    if (!notice)
        notice = &scratch;
    memset(notice, 0, sizeof(*notice));
    memset(res, 0, sizeof(*res));
    est_n = to_nano(estimate_usd);

    pthread_mutex_lock(&b->lock);
    roll_day(b);
    e = &b->env[env];
    notice->spent_usd = to_usd(e->spent_n);
    notice->in_flight_usd = to_usd(e->in_flight_n);
    notice->estimate_usd = to_usd(est_n);
    notice->limit_usd = to_usd(e->limit_n);

    /* The check and the hold below happen under the same lock: this is
     * what keeps eight concurrent callers within the limit. */
    committed_n = e->spent_n + e->in_flight_n + est_n;
    if (committed_n > e->limit_n || e->spent_n >= e->limit_n) {
        verdict = KIT_ERR_BUDGET;
        write_message(notice, env, e, est_n, verdict);
    } else {
        verdict = KIT_OK;
        if (!e->warned &&
            committed_n * 100 >= e->limit_n * BUDGET_WARN_PERCENT) {
            e->warned = true;
            notice->warning = true;
            write_message(notice, env, e, est_n, verdict);
        }
        e->in_flight_n += est_n;
        res->env = env;
        res->estimate_usd = to_usd(est_n);
        res->day = b->day;
        res->active = true;
    }
    pthread_mutex_unlock(&b->lock);
    return verdict;
}

/*
 * Gives back a reservation's hold, if it still belongs to today. Called
 * with the lock held, after roll_day.
 */
static void drop_hold(budget *b, budget_reservation *res)
{
    struct env_day *e = &b->env[res->env];

    if (res->day == b->day) {
        e->in_flight_n -= to_nano(res->estimate_usd);
        if (e->in_flight_n < 0)
            e->in_flight_n = 0;
    }
    res->active = false;
}

/*
 * Appends one line with a single write() on an O_APPEND descriptor: lines
 * from several threads or processes never interleave, and a crash loses at
 * most the line being written. line starts with a '\n' of its own; it is
 * skipped unless the file's last byte shows that a crash tore the previous
 * line, so the new line never glues itself to a torn one.
 */
static kit_status append_line(const char *path, const char *line)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0600);
    off_t size;
    char last = '\n';
    size_t len;
    ssize_t n;

    if (fd < 0)
        return KIT_ERR_IO;
    size = lseek(fd, 0, SEEK_END);
    if (size > 0 && pread(fd, &last, 1, size - 1) != 1)
        last = '\n';
    if (last == '\n')
        line++;
    len = strlen(line);
    n = write(fd, line, len);
    if (close(fd) != 0 || n != (ssize_t)len)
        return KIT_ERR_IO;
    return KIT_OK;
}

/* Formats the usage log line of budget.h, preceded by the '\n' that
 * append_line may need, into a malloc'ed string. */
static char *log_line(int64_t ts, budget_env env, const char *model,
                      double cost_usd)
{
    cJSON *obj = cJSON_CreateObject();
    char *text = NULL, *line = NULL;
    size_t len;

    if (!obj || !cJSON_AddNumberToObject(obj, "ts", (double)ts) ||
        !cJSON_AddStringToObject(obj, "env", budget_env_name(env)) ||
        !cJSON_AddStringToObject(obj, "model", model ? model : "unknown") ||
        !cJSON_AddNumberToObject(obj, "cost_usd", cost_usd))
        goto out;
    text = cJSON_PrintUnformatted(obj);
    if (!text)
        goto out;
    len = strlen(text);
    line = malloc(len + 3);
    if (line) {
        line[0] = '\n'; /* see append_line */
        memcpy(line + 1, text, len);
        memcpy(line + 1 + len, "\n", 2);
    }
out:
    cJSON_free(text);
    cJSON_Delete(obj);
    return line;
}

kit_status budget_settle(budget *b, budget_reservation *res, const char *model,
                         double actual_usd)
{
    int64_t now_s, actual_n;
    char *line = NULL;
    kit_status st = KIT_OK;

    if (!b || !res || !res->active || !env_valid(res->env) ||
        !(actual_usd >= 0))
        return KIT_ERR_INVALID_ARG;
    actual_n = to_nano(actual_usd);

    pthread_mutex_lock(&b->lock);
    roll_day(b);
    now_s = kit_clock_wall_s(b->clock);
    drop_hold(b, res);
    add_spend(&b->env[res->env], actual_n, now_s);
    pthread_mutex_unlock(&b->lock);

    /* The file is written outside the lock: other callers need not wait
     * for the disk, and O_APPEND keeps the lines whole. */
    if (b->usage_log && b->append_to_log) {
        line = log_line(now_s, res->env, model, to_usd(actual_n));
        st = line ? append_line(b->usage_log, line) : KIT_ERR_NO_MEMORY;
        free(line);
    }
    return st;
}

kit_status budget_release(budget *b, budget_reservation *res)
{
    if (!b || !res || !res->active || !env_valid(res->env))
        return KIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&b->lock);
    roll_day(b);
    drop_hold(b, res);
    pthread_mutex_unlock(&b->lock);
    return KIT_OK;
}

kit_status budget_daily_spending(budget *b, budget_env env,
                                 budget_spending *out)
{
    const struct env_day *e;
    int64_t remaining_n;

    if (!b || !out || !env_valid(env))
        return KIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&b->lock);
    roll_day(b);
    e = &b->env[env];
    remaining_n = e->limit_n - e->spent_n - e->in_flight_n;
    out->limit_usd = to_usd(e->limit_n);
    out->spent_usd = to_usd(e->spent_n);
    out->in_flight_usd = to_usd(e->in_flight_n);
    out->remaining_usd = to_usd(remaining_n > 0 ? remaining_n : 0);
    out->calls = e->calls;
    out->day = b->day;
    pthread_mutex_unlock(&b->lock);
    return KIT_OK;
}

kit_status budget_project(budget *b, budget_env env, budget_projection *out)
{
    const struct env_day *e;
    int64_t now_s, elapsed_s;

    if (!b || !out || !env_valid(env))
        return KIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&b->lock);
    roll_day(b);
    now_s = kit_clock_wall_s(b->clock);
    e = &b->env[env];
    out->spent_usd = to_usd(e->spent_n);
    out->limit_usd = to_usd(e->limit_n);
    out->rate_usd_per_hour = 0;
    out->exhausted_at_s = -1;
    elapsed_s = e->first_spend_s >= 0 ? now_s - e->first_spend_s : 0;
    if (e->spent_n >= e->limit_n) {
        out->exhausted_at_s = now_s;
    } else if (e->spent_n > 0 && elapsed_s >= 1) {
        /* Spent over elapsed is the rate; the rest lasts rest / rate
         * seconds, rounded to the nearest second. */
        out->rate_usd_per_hour =
            to_usd(e->spent_n) * 3600.0 / (double)elapsed_s;
        out->exhausted_at_s =
            now_s + (int64_t)llround((double)(e->limit_n - e->spent_n) *
                                     (double)elapsed_s / (double)e->spent_n);
    }
    out->exhausted_today = out->exhausted_at_s >= 0 &&
                           out->exhausted_at_s < (b->day + 1) * SECONDS_PER_DAY;
    pthread_mutex_unlock(&b->lock);
    return KIT_OK;
}
