/*
 * kit_ratelimit: reads the rate-limit headers both provider styles send, so
 * a client can see its budget before it hits a 429 (the QoS counters of the
 * API). Anthropic writes absolute RFC 3339 reset times; OpenAI writes
 * durations such as "6m0s". Lab 1's retry and the course's rate limiter
 * read the result through kit_attempt.
 */
#include "kit_http.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A whole decimal integer >= 0, or -1. */
static long parse_count(const char *s)
{
    char *end;
    long v;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return -1;
    return v;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), so no
 * timegm(), which POSIX lacks. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool read_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/*
 * "2025-01-02T03:04:05Z", "...05.250Z" or "...05+01:00" to Unix time in
 * milliseconds. Returns false for anything else.
 */
static bool parse_rfc3339_ms(const char *s, int64_t *out_ms)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    double frac = 0;
    int64_t secs;

    if (!read_digits(&s, 4, &y) || *s++ != '-' || !read_digits(&s, 2, &mo) ||
        *s++ != '-' || !read_digits(&s, 2, &d) ||
        (*s != 'T' && *s != 't' && *s != ' '))
        return false;
    s++;
    if (!read_digits(&s, 2, &h) || *s++ != ':' || !read_digits(&s, 2, &mi) ||
        *s++ != ':' || !read_digits(&s, 2, &sec))
        return false;
    if (*s == '.') {
        double scale = 0.1;

        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        for (; isdigit((unsigned char)*s); s++, scale /= 10)
            frac += (*s - '0') * scale;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if (!read_digits(&s, 2, &oh) || *s++ != ':' || !read_digits(&s, 2, &om))
            return false;
    } else {
        return false;
    }
    if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60)
        return false;
    secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
           mi * 60 + sec - sign * (oh * 3600 + om * 60);
    *out_ms = secs * 1000 + (int64_t)llround(frac * 1000);
    return true;
}

/*
 * A Go-style duration as OpenAI sends it: "6m0s", "1.5s", "120ms", "1h2m3s",
 * "0s". Returns milliseconds, or -1.
 */
static long parse_duration_ms(const char *s)
{
    double total = 0;

    if (*s == '\0')
        return -1;
    while (*s) {
        char *end;
        double v;
        double unit;

        errno = 0;
        v = strtod(s, &end);
        if (end == s || errno == ERANGE || v < 0 || !isfinite(v) ||
            !(isdigit((unsigned char)*s) || *s == '.'))
            return -1;
        s = end;
        if (strncmp(s, "ms", 2) == 0) {
            unit = 1;
            s += 2;
        } else if (*s == 'h') {
            unit = 3600000;
            s++;
        } else if (*s == 'm') {
            unit = 60000;
            s++;
        } else if (*s == 's') {
            unit = 1000;
            s++;
        } else {
            return -1;
        }
        total += v * unit;
    }
    if (total > 1e12)
        return -1;
    return (long)ceil(total);
}

static long anthropic_reset_ms(const char *value, long long now_wall_s)
{
    int64_t at_ms, delta;

    if (!parse_rfc3339_ms(value, &at_ms))
        return -1;
    delta = at_ms - (int64_t)now_wall_s * 1000;
    return delta > 0 ? (long)delta : 0; /* a past reset: already reset */
}

bool kit_ratelimit_parse(const kit_http_response *resp, long long now_wall_s,
                         kit_ratelimit *out)
{
    /* Which header fills which field, for each style. */
    enum { F_RLIM, F_RREM, F_TLIM, F_TREM, F_RRESET, F_TRESET, N_FIELDS };
    static const char *const anthropic[N_FIELDS] = {
        "anthropic-ratelimit-requests-limit",
        "anthropic-ratelimit-requests-remaining",
        "anthropic-ratelimit-tokens-limit",
        "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-requests-reset",
        "anthropic-ratelimit-tokens-reset",
    };
    static const char *const openai[N_FIELDS] = {
        "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
        "x-ratelimit-limit-tokens",   "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
    };
    long *fields[N_FIELDS];
    bool any = false;

    if (!out)
        return false;
    out->requests_limit = out->requests_remaining = -1;
    out->tokens_limit = out->tokens_remaining = -1;
    out->requests_reset_ms = out->tokens_reset_ms = -1;
    if (!resp || !resp->headers)
        return false;
    fields[F_RLIM] = &out->requests_limit;
    fields[F_RREM] = &out->requests_remaining;
    fields[F_TLIM] = &out->tokens_limit;
    fields[F_TREM] = &out->tokens_remaining;
    fields[F_RRESET] = &out->requests_reset_ms;
    fields[F_TRESET] = &out->tokens_reset_ms;

    for (int f = 0; f < N_FIELDS; f++) {
        char buf[96];
        long v = -1;

        if (kit_http_header(resp, anthropic[f], buf, sizeof(buf))) {
            any = true;
            v = f < F_RRESET ? parse_count(buf)
                             : anthropic_reset_ms(buf, now_wall_s);
        } else if (kit_http_header(resp, openai[f], buf, sizeof(buf))) {
            any = true;
            v = f < F_RRESET ? parse_count(buf) : parse_duration_ms(buf);
        }
        *fields[f] = v;
    }
    return any;
}
