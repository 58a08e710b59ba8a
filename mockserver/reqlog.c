/*
 * The mock server's request log. Of the library-like modules only this one
 * prints; it never sees a key except to redact it.
 */
#include "reqlog.h"

#include <stdio.h>
#include <string.h>

char *reqlog_redact(const char *key, char *out, size_t n)
{
    size_t len = key ? strlen(key) : 0;

    if (len <= 10)
        snprintf(out, n, "\xe2\x80\xa6");
    else
        snprintf(out, n, "%.6s\xe2\x80\xa6%s", key, key + len - 2);
    return out;
}

void reqlog_request(const journal_entry *e, double latency_ms)
{
    fprintf(stderr,
            "%s %s provider=%s model=%s status=%d fault=%s delay_ms=%u "
            "conn=%llu %.1f ms%s%s\n",
            e->method, e->path, e->provider ? e->provider : "-",
            e->model[0] ? e->model : "-", e->status, e->fault ? e->fault : "-",
            e->delay_ms, (unsigned long long)e->conn, latency_ms,
            e->early_retry ? " early_retry" : "",
            e->rate_limited ? " rate_limited" : "");
}

void reqlog_control(const char *method, const char *path, int status)
{
    static const char *const keyed[] = {"/_mock/scripts/", "/_mock/limits/"};
    char red[64];
    size_t i;

    /* The last segment of a keyed path is a key: never print it whole. */
    for (i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
        size_t n = strlen(keyed[i]);

        if (strncmp(path, keyed[i], n) == 0) {
            const char *key = path + n;

            fprintf(
                stderr, "%s %.*s%s control status=%d\n", method, (int)n, path,
                strcmp(key, "*") == 0 ? "*"
                                      : reqlog_redact(key, red, sizeof(red)),
                status);
            return;
        }
    }
    fprintf(stderr, "%s %s control status=%d\n", method, path, status);
}
