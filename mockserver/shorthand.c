/*
 * shorthand.c - turns keys like "mock-429r2-429-ok" into the control API's
 * script JSON, so learners can trigger faults from lab 0 on by setting
 * nothing but an environment variable. The grammar is in shorthand.h.
 */
#include "shorthand.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "mock-"

#define MAX_RETRY_AFTER    3600    /* seconds */
#define MAX_RETRY_AFTER_MS 3600000 /* milliseconds */
#define MAX_DELAY_MS       60000   /* milliseconds */

#define SHOWN_TOKEN_MAX 24 /* longest token quoted whole in an error */

static const int statuses[] = {200, 400, 401, 403, 404, 408, 413,
                               429, 500, 502, 503, 504, 529};

/* "ok" first: it is the one word that is a status, not a fault. */
static const char *const words[] = {"ok",        "timeout", "reset", "close",
                                    "malformed", "partial", "empty"};

/* One token's worth of script. Absent numbers are -1. */
struct step {
    int status;        /* 0 for a fault step */
    const char *fault; /* NULL for a status step */
    long delay_ms, retry_after, retry_after_ms;
    long count;
};

/* A token: a slice of the key, not NUL-terminated. */
struct token {
    const char *p;
    size_t len;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_modifier(char c)
{
    return c == 'r' || c == 'd' || c == 'x';
}

/* Length of the step word the token starts with, or 0. */
static size_t word_prefix(struct token t, size_t *which)
{
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i]);
        if (t.len >= n && memcmp(t.p, words[i], n) == 0) {
            *which = i;
            return n;
        }
    }
    return 0;
}

/*
 * Whether a first token means the key is meant as shorthand: see "Which
 * keys are shorthand" in shorthand.h. Lenient on purpose, so that a typo
 * such as "mock-430-ok" is reported instead of silently succeeding, yet
 * strict enough that "mock-okapi" or "mock-2024-lab" stay ordinary keys.
 */
static bool looks_like_step(struct token t)
{
    size_t which;
    size_t n;

    if (t.len >= 3 && is_digit(t.p[0]) && is_digit(t.p[1]) && is_digit(t.p[2]))
        return t.len == 3 || !is_digit(t.p[3]);
    n = word_prefix(t, &which);
    if (n == 0)
        return false;
    return t.len == n ||
           (t.len > n + 1 && is_modifier(t.p[n]) && is_digit(t.p[n + 1]));
}

/*
 * Reads a decimal number at *pos (advancing it) no larger than max.
 * Returns false when there is no digit or the number is too large.
 */
static bool read_number(struct token t, size_t *pos, long max, long *out)
{
    long v = 0;
    size_t start = *pos;

    while (*pos < t.len && is_digit(t.p[*pos])) {
        v = v * 10 + (t.p[*pos] - '0');
        if (v > max)
            return false;
        (*pos)++;
    }
    *out = v;
    return *pos > start;
}

/* Whether the token continues with "ms" at *pos; consumes it if so. */
static bool read_ms(struct token t, size_t *pos)
{
    if (t.len - *pos >= 2 && t.p[*pos] == 'm' && t.p[*pos + 1] == 's') {
        *pos += 2;
        return true;
    }
    return false;
}

/* Parses the modifiers after a step's base. why gets the reason on false. */
static bool parse_modifiers(struct token t, size_t pos, struct step *st,
                            char *why, size_t whylen)
{
    bool seen_r = false, seen_d = false, seen_x = false;

    while (pos < t.len) {
        char m = t.p[pos++];
        bool *seen;
        long v;

        if (m == 'r')
            seen = &seen_r;
        else if (m == 'd')
            seen = &seen_d;
        else if (m == 'x')
            seen = &seen_x;
        else {
            snprintf(why, whylen,
                     "\"%c\" is not a modifier (use r<seconds>, "
                     "r<milliseconds>ms, d<milliseconds> or x<count>)",
                     (m > ' ' && m < 127) ? m : '?');
            return false;
        }
        if (*seen) {
            snprintf(why, whylen, "modifier \"%c\" is given twice", m);
            return false;
        }
        *seen = true;
        if (pos >= t.len || !is_digit(t.p[pos])) {
            snprintf(why, whylen, "modifier \"%c\" needs a number after it", m);
            return false;
        }

        /* Read with the loosest bound, then check the one that applies. */
        if (!read_number(t, &pos, MAX_RETRY_AFTER_MS, &v))
            v = MAX_RETRY_AFTER_MS + 1;
        while (pos < t.len && is_digit(t.p[pos]))
            pos++; /* skip the rest of a number too long to hold */

        if (m == 'r' && read_ms(t, &pos)) {
            if (v > MAX_RETRY_AFTER_MS) {
                snprintf(why, whylen, "r...ms can be at most %d",
                         MAX_RETRY_AFTER_MS);
                return false;
            }
            st->retry_after_ms = v;
        } else if (m == 'r') {
            if (v > MAX_RETRY_AFTER) {
                snprintf(why, whylen,
                         "r (retry-after in seconds) can be at most %d; "
                         "write r<N>ms for milliseconds",
                         MAX_RETRY_AFTER);
                return false;
            }
            st->retry_after = v;
        } else if (m == 'd') {
            read_ms(t, &pos); /* "d150ms" is the same as "d150" */
            if (v > MAX_DELAY_MS) {
                snprintf(why, whylen,
                         "d (delay in milliseconds) can be at most %d",
                         MAX_DELAY_MS);
                return false;
            }
            st->delay_ms = v;
        } else {
            if (v < 1 || v > SHORTHAND_MAX_STEPS) {
                snprintf(why, whylen, "x (repeat count) must be 1 to %d",
                         SHORTHAND_MAX_STEPS);
                return false;
            }
            st->count = v;
        }
    }
    return true;
}

/* Parses one step token. why gets the reason on false. */
static bool parse_step(struct token t, struct step *st, char *why,
                       size_t whylen)
{
    size_t which;
    size_t n;

    *st = (struct step){
        .delay_ms = -1, .retry_after = -1, .retry_after_ms = -1, .count = 1};

    if (t.len >= 3 && is_digit(t.p[0]) && is_digit(t.p[1]) &&
        is_digit(t.p[2]) && (t.len == 3 || !is_digit(t.p[3]))) {
        int code = (t.p[0] - '0') * 100 + (t.p[1] - '0') * 10 + (t.p[2] - '0');
        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
            if (statuses[i] == code)
                st->status = code;
        }
        if (st->status == 0) {
            snprintf(why, whylen,
                     "%d is not a status the mock server answers with "
                     "(200 400 401 403 404 408 413 429 500 502 503 504 529)",
                     code);
            return false;
        }
        return parse_modifiers(t, 3, st, why, whylen);
    }

    n = word_prefix(t, &which);
    if (n == 0 || (n < t.len && !is_modifier(t.p[n]))) {
        snprintf(why, whylen,
                 "not a step (use a status such as 429, ok, timeout, "
                 "reset, close, malformed, partial or empty, and repeat "
                 "only last)");
        return false;
    }
    if (which == 0)
        st->status = 200;
    else
        st->fault = words[which];
    return parse_modifiers(t, n, st, why, whylen);
}

/*
 * Writes the error sentence, quoting the token with anything that could
 * confuse a log or a JSON message replaced by '?', and cut short if long.
 */
static void describe(char *err, size_t errlen, unsigned index, struct token t,
                     const char *why)
{
    char shown[SHOWN_TOKEN_MAX + 4];
    size_t n = t.len > SHOWN_TOKEN_MAX ? SHOWN_TOKEN_MAX : t.len;

    if (errlen == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = t.p[i];
        shown[i] = (c > ' ' && c < 127 && c != '"' && c != '\\') ? c : '?';
    }
    if (n < t.len) {
        memcpy(shown + n, "...", 3);
        n += 3;
    }
    shown[n] = '\0';
    snprintf(err, errlen, "token %u \"%s\": %s", index, shown, why);
}

/* Longest JSON one step can take, with every field at its widest. */
#define STEP_JSON_MAX                                                          \
    sizeof("{\"status\":529,\"delay_ms\":60000,\"retry_after\":3600,"          \
           "\"retry_after_ms\":3600000,\"fault\":\"malformed\"},")

/*
 * Builds the script JSON from parsed steps. Returns a malloc'd string, or
 * NULL when memory runs out. Numbers are bounded by the grammar, so the
 * buffer is sized exactly rather than grown.
 */
static char *script_json_of(const struct step *steps, size_t nsteps,
                            bool repeat)
{
    size_t total = 0;
    for (size_t i = 0; i < nsteps; i++)
        total += (size_t)steps[i].count;

    size_t cap =
        sizeof("{\"steps\":[],\"then\":\"repeat\"}") + total * STEP_JSON_MAX;
    char *json = malloc(cap);
    if (!json)
        return NULL;

    size_t len = (size_t)snprintf(json, cap, "{\"steps\":[");
    bool first = true;
    for (size_t i = 0; i < nsteps; i++) {
        const struct step *st = &steps[i];
        for (long k = 0; k < st->count; k++) {
            const char *sep = "";
            len += (size_t)snprintf(json + len, cap - len, "%s{",
                                    first ? "" : ",");
            first = false;
            if (st->status) {
                len += (size_t)snprintf(json + len, cap - len, "\"status\":%d",
                                        st->status);
                sep = ",";
            }
            if (st->delay_ms >= 0) {
                len +=
                    (size_t)snprintf(json + len, cap - len,
                                     "%s\"delay_ms\":%ld", sep, st->delay_ms);
                sep = ",";
            }
            if (st->retry_after >= 0) {
                len += (size_t)snprintf(json + len, cap - len,
                                        "%s\"retry_after\":%ld", sep,
                                        st->retry_after);
                sep = ",";
            }
            if (st->retry_after_ms >= 0) {
                len += (size_t)snprintf(json + len, cap - len,
                                        "%s\"retry_after_ms\":%ld", sep,
                                        st->retry_after_ms);
                sep = ",";
            }
            if (st->fault)
                len += (size_t)snprintf(json + len, cap - len,
                                        "%s\"fault\":\"%s\"", sep, st->fault);
            len += (size_t)snprintf(json + len, cap - len, "}");
        }
    }
    snprintf(json + len, cap - len, "],\"then\":\"%s\"}",
             repeat ? "repeat" : "ok");
    return json;
}

shorthand_result shorthand_parse(const char *key, char **script_json, char *err,
                                 size_t errlen)
{
    struct step steps[SHORTHAND_MAX_STEPS];
    size_t nsteps = 0;
    long total = 0;
    bool repeat = false;
    char why[192];
    unsigned index = 0;
    const char *p;

    if (script_json)
        *script_json = NULL;
    if (errlen)
        err[0] = '\0';

    if (!key || strncmp(key, PREFIX, strlen(PREFIX)) != 0)
        return SHORTHAND_NONE;
    p = key + strlen(PREFIX);

    for (;;) {
        const char *dash = strchr(p, '-');
        struct token t = {p, dash ? (size_t)(dash - p) : strlen(p)};
        bool last = !dash;

        index++;
        if (index == 1 && !looks_like_step(t))
            return SHORTHAND_NONE;

        if (t.len == 0) {
            describe(err, errlen, index, t,
                     "empty token (two dashes together, or a dash at the "
                     "end)");
            return SHORTHAND_BAD;
        }
        if (t.len == strlen("repeat") && memcmp(t.p, "repeat", t.len) == 0) {
            if (!last) {
                describe(err, errlen, index, t,
                         "repeat can only be the last token");
                return SHORTHAND_BAD;
            }
            repeat = true;
            break;
        }
        if (nsteps == SHORTHAND_MAX_STEPS) {
            describe(err, errlen, index, t, "too many steps");
            return SHORTHAND_BAD;
        }
        if (!parse_step(t, &steps[nsteps], why, sizeof(why))) {
            describe(err, errlen, index, t, why);
            return SHORTHAND_BAD;
        }
        total += steps[nsteps].count;
        nsteps++;
        if (total > SHORTHAND_MAX_STEPS) {
            snprintf(why, sizeof(why),
                     "the key spells more than %d steps in all",
                     SHORTHAND_MAX_STEPS);
            describe(err, errlen, index, t, why);
            return SHORTHAND_BAD;
        }
        if (last)
            break;
        p = dash + 1;
    }

    if (script_json) {
        *script_json = script_json_of(steps, nsteps, repeat);
        if (!*script_json) {
            if (errlen)
                snprintf(err, errlen, "out of memory reading the key");
            return SHORTHAND_BAD;
        }
    }
    return SHORTHAND_OK;
}
