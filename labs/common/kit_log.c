/*
 * kit_log: leveled logging for the labs' programs, silent until a program
 * chooses a sink, and key redaction. Every lab may log; only a main()
 * decides whether anything is printed.
 *
 * As a safety net, each line is scrubbed before it is written: anything that
 * looks like a provider key ("sk-...", "AIza...") or follows "x-api-key:",
 * "Bearer " or "key=" is replaced by its redacted form. Callers should still
 * pass keys through kit_redact_key themselves.
 */
#include "kit_log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

enum { LINE_MAX_BYTES = 2048, MIN_SHOWN_LEN = 16 };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_sink;
static kit_log_level log_min = KIT_LOG_OFF;

void kit_log_set_sink(FILE *sink, kit_log_level min)
{
    pthread_mutex_lock(&log_lock);
    log_sink = sink;
    log_min = min;
    pthread_mutex_unlock(&log_lock);
}

const char *kit_redact_key(const char *key, char *out, size_t outlen)
{
    size_t len;

    if (!out || outlen == 0)
        return out;
    len = key ? strlen(key) : 0;
    if (len == 0)
        snprintf(out, outlen, "(unset)");
    else if (len < MIN_SHOWN_LEN)
        snprintf(out, outlen, "(short)"); /* 8 of 15 would be too many */
    else
        snprintf(out, outlen, "%.6s\xe2\x80\xa6%s", key, key + len - 2);
    return out;
}

static bool is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Does a key-shaped token start at s? */
static bool looks_like_key(const char *s, size_t len)
{
    return len >= MIN_SHOWN_LEN &&
           (strncmp(s, "sk-", 3) == 0 || strncmp(s, "AIza", 4) == 0);
}

/* Is s just after a marker that introduces a key, whatever the key's shape? */
static bool after_marker(const char *start, const char *s)
{
    static const char *const markers[] = {
        "x-api-key: ", "x-api-key:", "x-goog-api-key: ",
        "Bearer ",     "key=",       "api_key="};

    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
        size_t n = strlen(markers[i]);

        const char *m = s - n;

        /* "monkey=banana" is not a key: the marker must start a word. */
        if ((size_t)(s - start) >= n && strncasecmp(m, markers[i], n) == 0 &&
            (m == start || !isalnum((unsigned char)m[-1])))
            return true;
    }
    return false;
}

/* Copies in to out (outlen bytes), replacing key-shaped tokens. */
static void scrub(const char *in, char *out, size_t outlen)
{
    const char *p = in;
    size_t used = 0;

    while (*p && used + 1 < outlen) {
        size_t tok = 0;

        if (is_key_char(*p) && (p == in || !is_key_char(p[-1])))
            while (is_key_char(p[tok]))
                tok++;
        if (tok && (looks_like_key(p, tok) || after_marker(in, p))) {
            char key[LINE_MAX_BYTES], red[32];
            size_t n;

            memcpy(key, p, tok);
            key[tok] = '\0';
            kit_redact_key(key, red, sizeof(red));
            n = strlen(red);
            if (used + n >= outlen)
                break;
            memcpy(out + used, red, n);
            used += n;
            p += tok;
            continue;
        }
        out[used++] = *p++;
    }
    out[used] = '\0';
}

static const char *level_name(kit_log_level level)
{
    switch (level) {
    case KIT_LOG_DEBUG:
        return "DEBUG";
    case KIT_LOG_INFO:
        return "INFO";
    case KIT_LOG_WARN:
        return "WARN";
    case KIT_LOG_ERROR:
        return "ERROR";
    case KIT_LOG_OFF:
        break;
    }
    return "?";
}

void kit_log(kit_log_level level, const char *fmt, ...)
{
    char raw[LINE_MAX_BYTES], clean[LINE_MAX_BYTES];
    va_list ap;

    if (level >= KIT_LOG_OFF || !fmt)
        return;
    /* One lock around the check and the write keeps lines whole. */
    pthread_mutex_lock(&log_lock);
    if (log_sink && level >= log_min) {
        va_start(ap, fmt);
        vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        scrub(raw, clean, sizeof(clean));
        fprintf(log_sink, "%s %s\n", level_name(level), clean);
        fflush(log_sink);
    }
    pthread_mutex_unlock(&log_lock);
}
