/*
 * kit_http: what every transport shares: the response's lifetime, header
 * lookup, the retry-after headers, and the one call through the ops table.
 * Labs 0 to 3 see HTTP only through here; kit_curl.c is the real transport.
 */
#include "kit_http.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

kit_status kit_transport_send(const kit_transport *t,
                              const kit_http_request *req,
                              kit_http_response *resp)
{
    if (!resp)
        return KIT_ERR_INVALID_ARG;
    if (!t || !t->ops || !t->ops->send || !req || !req->url) {
        memset(resp, 0, sizeof(*resp));
        resp->retry_after_ms = -1;
        resp->transport = KIT_ERR_INVALID_ARG;
        return KIT_ERR_INVALID_ARG;
    }
    return t->ops->send(t->self, req, resp);
}

void kit_http_response_clear(kit_http_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    free(resp->headers);
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_ms = -1;
}

const char *kit_http_header(const kit_http_response *resp, const char *name,
                            char *buf, size_t buflen)
{
    const char *line, *found = NULL;
    size_t name_len, found_len = 0;

    if (!resp || !resp->headers || !name || !buf || buflen == 0)
        return NULL;
    name_len = strlen(name);
    /* If a header repeats, the last one wins. */
    for (line = resp->headers; *line;) {
        const char *end = strpbrk(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len > name_len && line[name_len] == ':' &&
            strncasecmp(line, name, name_len) == 0) {
            found = line + name_len + 1;
            found_len = len - name_len - 1;
            while (found_len && (*found == ' ' || *found == '\t')) {
                found++;
                found_len--;
            }
            while (found_len && (found[found_len - 1] == ' ' ||
                                 found[found_len - 1] == '\t'))
                found_len--;
        }
        if (!end)
            break;
        line = end + strspn(end, "\r\n");
    }
    if (!found)
        return NULL;
    if (found_len >= buflen)
        found_len = buflen - 1;
    memcpy(buf, found, found_len);
    buf[found_len] = '\0';
    return buf;
}

/* A whole string that is a finite number >= 0, or -1. */
static double parse_nonneg(const char *s)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v < 0)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    return *end == '\0' ? v : -1;
}

/* Clamped so a silly header cannot overflow a long: a day is plenty. */
static long ms_from(double ms)
{
    const double cap = 24.0 * 3600 * 1000;

    return (long)ceil(ms < cap ? ms : cap);
}

long kit_http_retry_after_ms(const kit_http_response *resp)
{
    char buf[64];
    double v;

    if (kit_http_header(resp, "retry-after-ms", buf, sizeof(buf)) &&
        (v = parse_nonneg(buf)) >= 0)
        return ms_from(v);
    /* Seconds, integer or decimal. The HTTP-date form is not handled (no
     * provider API sends it): it reads as absent. */
    if (kit_http_header(resp, "retry-after", buf, sizeof(buf)) &&
        (v = parse_nonneg(buf)) >= 0)
        return ms_from(v * 1000.0);
    return -1;
}
