/*
 * Parsing and checking fault scripts for the mock server's control API and
 * scenario files. Every rejection names the field at fault, because the
 * person reading it is a learner who mistyped one.
 */
#include "script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const int allowed_statuses[] = {200, 400, 401, 403, 404, 408, 413,
                                       429, 500, 502, 503, 504, 529};

static const char *const fault_names[] = {
    [FAULT_NONE] = NULL,
    [FAULT_TIMEOUT] = "timeout",
    [FAULT_RESET] = "reset",
    [FAULT_CLOSE] = "close",
    [FAULT_MALFORMED] = "malformed",
    [FAULT_PARTIAL] = "partial",
    [FAULT_EMPTY] = "empty",
};

#define N_ALLOWED (sizeof(allowed_statuses) / sizeof(allowed_statuses[0]))
#define N_FAULTS  (sizeof(fault_names) / sizeof(fault_names[0]))

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

bool script_status_allowed(int status)
{
    size_t i;

    for (i = 0; i < N_ALLOWED; i++) {
        if (allowed_statuses[i] == status)
            return true;
    }
    return false;
}

const char *script_fault_name(enum fault_kind f)
{
    return (size_t)f < N_FAULTS ? fault_names[f] : NULL;
}

static bool fault_from_name(const char *name, enum fault_kind *out)
{
    size_t i;

    for (i = 1; i < N_FAULTS; i++) {
        if (strcmp(fault_names[i], name) == 0) {
            *out = (enum fault_kind)i;
            return true;
        }
    }
    return false;
}

void script_step_ok(script_step *s)
{
    s->status = 200;
    s->delay_ms = 0;
    s->retry_after_s = -1;
    s->retry_after_ms = -1;
    s->fault = FAULT_NONE;
}

/*
 * Reads a whole number in [0, max] from a JSON number. JSON has no integer
 * type, so 1.5 or 1e300 must be caught here rather than cast blindly.
 */
static bool get_uint(const cJSON *item, double max, int64_t *out)
{
    double d;

    if (!cJSON_IsNumber(item))
        return false;
    d = item->valuedouble;
    if (!(d >= 0 && d <= max) || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

static int parse_status(const cJSON *v, const char *field, int *out, char *err,
                        size_t errlen)
{
    int64_t n;

    if (!get_uint(v, 999, &n)) {
        set_err(err, errlen, "%s: must be an HTTP status number", field);
        return -1;
    }
    if (!script_status_allowed((int)n)) {
        set_err(err, errlen,
                "%s: %lld is not a status the server can return (use 200, "
                "400, 401, 403, 404, 408, 413, 429, 500, 502, 503, 504 or "
                "529)",
                field, (long long)n);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int parse_fault(const cJSON *v, const char *field, enum fault_kind *out,
                       char *err, size_t errlen)
{
    if (!cJSON_IsString(v) || !fault_from_name(v->valuestring, out)) {
        set_err(err, errlen,
                "%s: must be one of \"timeout\", \"reset\", \"close\", "
                "\"malformed\", \"partial\", \"empty\"",
                field);
        return -1;
    }
    return 0;
}

static int parse_step(const cJSON *obj, const char *where, size_t idx,
                      script_step *st, char *err, size_t errlen)
{
    const cJSON *f;
    char field[160];
    int64_t n;

    script_step_ok(st);
    if (!cJSON_IsObject(obj)) {
        set_err(err, errlen, "%ssteps[%zu]: must be an object", where, idx);
        return -1;
    }
    cJSON_ArrayForEach(f, obj)
    {
        snprintf(field, sizeof(field), "%ssteps[%zu].%s", where, idx,
                 f->string);
        if (strcmp(f->string, "status") == 0) {
            if (parse_status(f, field, &st->status, err, errlen) != 0)
                return -1;
        } else if (strcmp(f->string, "delay_ms") == 0) {
            if (!get_uint(f, SCRIPT_MAX_DELAY_MS, &n)) {
                set_err(err, errlen,
                        "%s: must be a whole number of milliseconds from 0 "
                        "to %u",
                        field, SCRIPT_MAX_DELAY_MS);
                return -1;
            }
            st->delay_ms = (uint32_t)n;
        } else if (strcmp(f->string, "retry_after") == 0) {
            if (!get_uint(f, SCRIPT_MAX_RETRY_AFTER_MS / 1000, &n)) {
                set_err(err, errlen,
                        "%s: must be a whole number of seconds from 0 to %u",
                        field, SCRIPT_MAX_RETRY_AFTER_MS / 1000);
                return -1;
            }
            st->retry_after_s = n;
        } else if (strcmp(f->string, "retry_after_ms") == 0) {
            if (!get_uint(f, SCRIPT_MAX_RETRY_AFTER_MS, &n)) {
                set_err(err, errlen,
                        "%s: must be a whole number of milliseconds from 0 "
                        "to %u",
                        field, SCRIPT_MAX_RETRY_AFTER_MS);
                return -1;
            }
            st->retry_after_ms = n;
        } else if (strcmp(f->string, "fault") == 0) {
            if (parse_fault(f, field, &st->fault, err, errlen) != 0)
                return -1;
        } else {
            set_err(err, errlen,
                    "%s: unknown field (a step has status, delay_ms, "
                    "retry_after, retry_after_ms, fault)",
                    field);
            return -1;
        }
    }
    return 0;
}

static int parse_chaos(const cJSON *obj, const char *where, script *s,
                       char *err, size_t errlen)
{
    const cJSON *f, *item;
    const cJSON *statuses = NULL, *faults = NULL;
    bool have_seed = false, have_rate = false;
    size_t n = 0, i = 0;
    int64_t seed;

    if (!cJSON_IsObject(obj)) {
        set_err(err, errlen, "%schaos: must be an object", where);
        return -1;
    }
    cJSON_ArrayForEach(f, obj)
    {
        if (strcmp(f->string, "seed") == 0) {
            /* 2^53: the largest integer a JSON number carries exactly. */
            if (!get_uint(f, 9007199254740992.0, &seed)) {
                set_err(err, errlen,
                        "%schaos.seed: must be a whole number >= 0", where);
                return -1;
            }
            s->chaos_seed = (uint64_t)seed;
            have_seed = true;
        } else if (strcmp(f->string, "rate") == 0) {
            if (!cJSON_IsNumber(f) || !(f->valuedouble >= 0.0) ||
                !(f->valuedouble <= 1.0)) {
                set_err(err, errlen,
                        "%schaos.rate: must be a number from 0 to 1", where);
                return -1;
            }
            s->chaos_rate = f->valuedouble;
            have_rate = true;
        } else if (strcmp(f->string, "statuses") == 0) {
            statuses = f;
        } else if (strcmp(f->string, "faults") == 0) {
            faults = f;
        } else {
            set_err(err, errlen,
                    "%schaos.%s: unknown field (chaos has seed, rate, "
                    "statuses, faults)",
                    where, f->string);
            return -1;
        }
    }
    if (!have_seed || !have_rate) {
        set_err(err, errlen, "%schaos.%s: required", where,
                have_seed ? "rate" : "seed");
        return -1;
    }
    if (statuses && !cJSON_IsArray(statuses)) {
        set_err(err, errlen, "%schaos.statuses: must be an array", where);
        return -1;
    }
    if (faults && !cJSON_IsArray(faults)) {
        set_err(err, errlen, "%schaos.faults: must be an array", where);
        return -1;
    }
    n = (size_t)cJSON_GetArraySize(statuses) +
        (size_t)cJSON_GetArraySize(faults);
    if (n == 0) {
        set_err(err, errlen,
                "%schaos.statuses: must list at least one status (or give "
                "chaos.faults)",
                where);
        return -1;
    }
    if (n > 64) {
        set_err(err, errlen, "%schaos.statuses: at most 64 choices", where);
        return -1;
    }
    s->chaos_choices = calloc(n, sizeof(*s->chaos_choices));
    if (!s->chaos_choices) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    cJSON_ArrayForEach(item, statuses)
    {
        char field[96];

        snprintf(field, sizeof(field), "%schaos.statuses[%zu]", where, i);
        script_step_ok(&s->chaos_choices[i]);
        if (parse_status(item, field, &s->chaos_choices[i].status, err,
                         errlen) != 0)
            return -1;
        i++;
    }
    cJSON_ArrayForEach(item, faults)
    {
        char field[96];

        snprintf(field, sizeof(field), "%schaos.faults[%zu]", where,
                 i - (size_t)cJSON_GetArraySize(statuses));
        script_step_ok(&s->chaos_choices[i]);
        if (parse_fault(item, field, &s->chaos_choices[i].fault, err, errlen) !=
            0)
            return -1;
        i++;
    }
    s->n_chaos_choices = n;
    s->has_chaos = true;
    return 0;
}

script *script_from_json(const cJSON *obj, const char *where, char *err,
                         size_t errlen)
{
    script *s = NULL;
    const cJSON *f;
    const cJSON *steps = NULL;
    size_t i = 0;

    if (!cJSON_IsObject(obj)) {
        set_err(err, errlen, "%s(script): must be a JSON object", where);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    cJSON_ArrayForEach(f, obj)
    {
        if (strcmp(f->string, "steps") == 0) {
            steps = f;
        } else if (strcmp(f->string, "then") == 0) {
            if (!cJSON_IsString(f) || (strcmp(f->valuestring, "ok") != 0 &&
                                       strcmp(f->valuestring, "repeat") != 0)) {
                set_err(err, errlen, "%sthen: must be \"ok\" or \"repeat\"",
                        where);
                goto out_fail;
            }
            s->repeat = strcmp(f->valuestring, "repeat") == 0;
        } else if (strcmp(f->string, "early_retry") == 0) {
            if (!cJSON_IsString(f) || (strcmp(f->valuestring, "mark") != 0 &&
                                       strcmp(f->valuestring, "429") != 0)) {
                set_err(err, errlen,
                        "%searly_retry: must be \"mark\" or \"429\"", where);
                goto out_fail;
            }
            s->early_429 = strcmp(f->valuestring, "429") == 0;
        } else if (strcmp(f->string, "chaos") == 0) {
            if (parse_chaos(f, where, s, err, errlen) != 0)
                goto out_fail;
        } else {
            set_err(err, errlen,
                    "%s%s: unknown field (a script has steps, then, chaos, "
                    "early_retry)",
                    where, f->string);
            goto out_fail;
        }
    }
    if (steps) {
        const cJSON *item;
        int n = cJSON_GetArraySize(steps);

        if (!cJSON_IsArray(steps)) {
            set_err(err, errlen, "%ssteps: must be an array of steps", where);
            goto out_fail;
        }
        if (n > SCRIPT_MAX_STEPS) {
            set_err(err, errlen, "%ssteps: at most %d steps", where,
                    SCRIPT_MAX_STEPS);
            goto out_fail;
        }
        if (n > 0) {
            s->steps = calloc((size_t)n, sizeof(*s->steps));
            if (!s->steps) {
                set_err(err, errlen, "out of memory");
                goto out_fail;
            }
        }
        cJSON_ArrayForEach(item, steps)
        {
            if (parse_step(item, where, i, &s->steps[i], err, errlen) != 0)
                goto out_fail;
            i++;
        }
        s->n_steps = i;
    }
    if (s->repeat && s->has_chaos) {
        set_err(err, errlen,
                "%sthen: \"repeat\" cannot be combined with chaos (after the "
                "steps, chaos takes over)",
                where);
        goto out_fail;
    }
    if (s->repeat && s->n_steps == 0) {
        set_err(err, errlen, "%sthen: \"repeat\" needs at least one step",
                where);
        goto out_fail;
    }
    return s;

out_fail:
    script_free(s);
    return NULL;
}

script *script_parse(const char *text, size_t len, char *err, size_t errlen)
{
    cJSON *root;
    script *s;

    root = json_parse(text, len);
    if (!root) {
        set_err(err, errlen, "(body): not valid JSON");
        return NULL;
    }
    s = script_from_json(root, "", err, errlen);
    cJSON_Delete(root);
    return s;
}

void script_free(script *s)
{
    if (!s)
        return;
    free(s->steps);
    free(s->chaos_choices);
    free(s);
}

uint64_t script_rand_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void script_chaos_draw(const script *s, uint64_t *rng, script_step *out)
{
    /* 53 random bits make a uniform double in [0, 1). */
    double u = (double)(script_rand_next(rng) >> 11) * 0x1.0p-53;
    uint64_t pick = script_rand_next(rng);

    script_step_ok(out);
    if (s->n_chaos_choices > 0 && u < s->chaos_rate)
        *out = s->chaos_choices[pick % s->n_chaos_choices];
}
