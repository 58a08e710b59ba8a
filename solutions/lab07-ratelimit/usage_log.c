/*
 * usage_log: lab 7's JSON-lines log of every call, and the daily summary
 * read back from it. A line reaches the file in a single write() on an
 * O_APPEND descriptor, which is what keeps lines whole across threads and
 * limits a crash to one torn last line.
 */
#include "usage_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#define SECONDS_PER_DAY 86400

struct usage_log {
    int fd;
};

kit_status usage_log_open(const char *path, usage_log **out)
{
    usage_log *log = NULL;
    off_t size;
    char last = '\n';
    int fd;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    *out = NULL;
    if (!path)
        return KIT_ERR_INVALID_ARG;
    /* O_RDWR only to peek at the last byte; every write still appends. */
    fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
        return KIT_ERR_IO;
    /*
     * A crash may have torn the last line. End it now, so that our first
     * line does not glue itself to the torn one and get lost with it.
     */
    size = lseek(fd, 0, SEEK_END);
    if (size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n' &&
        write(fd, "\n", 1) != 1)
        goto out_close;
    log = malloc(sizeof(*log));
    if (!log) {
        close(fd);
        return KIT_ERR_NO_MEMORY;
    }
    log->fd = fd;
    *out = log;
    return KIT_OK;

out_close:
    close(fd);
    return KIT_ERR_IO;
}

void usage_log_close(usage_log *log)
{
    if (!log)
        return;
    close(log->fd);
    free(log);
}

/* The record as one JSON object (cJSON escapes the strings), with its
 * newline, in one malloc'ed string. NULL when out of memory. */
static char *format_line(const usage_record *rec)
{
    cJSON *obj = cJSON_CreateObject();
    char *text = NULL, *line = NULL;
    size_t len;

    if (!obj || !cJSON_AddNumberToObject(obj, "ts", (double)rec->ts) ||
        !cJSON_AddStringToObject(obj, "env", rec->env) ||
        !cJSON_AddStringToObject(obj, "provider", rec->provider) ||
        !cJSON_AddStringToObject(obj, "model", rec->model) ||
        !cJSON_AddNumberToObject(obj, "tokens_in", (double)rec->tokens_in) ||
        !cJSON_AddNumberToObject(obj, "tokens_out", (double)rec->tokens_out) ||
        !cJSON_AddNumberToObject(obj, "cost_usd", rec->cost_usd) ||
        !cJSON_AddNumberToObject(obj, "latency_ms", (double)rec->latency_ms) ||
        !cJSON_AddStringToObject(obj, "outcome", rec->ok ? "ok" : "error") ||
        !cJSON_AddNumberToObject(obj, "http_status", (double)rec->http_status))
        goto out;
    text = cJSON_PrintUnformatted(obj);
    if (!text)
        goto out;
    len = strlen(text);
    line = malloc(len + 2);
    if (line) {
        memcpy(line, text, len);
        memcpy(line + len, "\n", 2);
    }
out:
    cJSON_free(text);
    cJSON_Delete(obj);
    return line;
}

kit_status usage_log_append(usage_log *log, const usage_record *rec)
{
    char *line;
    size_t len;
    ssize_t n;

    if (!log || !rec)
        return KIT_ERR_INVALID_ARG;
    line = format_line(rec);
    if (!line)
        return KIT_ERR_NO_MEMORY;
    len = strlen(line);
    /* One write for the whole line: never a write per member, and never
     * a retry of the rest, which could interleave with another thread. */
    n = write(log->fd, line, len);
    free(line);
    return n == (ssize_t)len ? KIT_OK : KIT_ERR_IO;
}

static void copy_string(char *dst, size_t n, const cJSON *item)
{
    if (cJSON_IsString(item))
        snprintf(dst, n, "%s", item->valuestring);
    else
        dst[0] = '\0';
}

static double number_or_zero(const cJSON *item)
{
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

/* Reads one complete line (without its newline) into *rec. Returns false
 * when it is not a record of ours. */
static bool parse_record(const char *line, size_t len, usage_record *rec)
{
    cJSON *json = cJSON_ParseWithLengthOpts(line, len, NULL, false);
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(json, "ts");
    const cJSON *cost = cJSON_GetObjectItemCaseSensitive(json, "cost_usd");
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(json, "env");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(json, "model");
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(json, "outcome");
    bool ok = cJSON_IsObject(json) && cJSON_IsNumber(ts) &&
              cJSON_IsNumber(cost) && cJSON_IsString(env) &&
              cJSON_IsString(model) && cJSON_IsString(outcome);

    if (ok) {
        memset(rec, 0, sizeof(*rec));
        rec->ts = (int64_t)ts->valuedouble;
        rec->cost_usd = cost->valuedouble;
        copy_string(rec->env, sizeof(rec->env), env);
        copy_string(rec->model, sizeof(rec->model), model);
        copy_string(rec->provider, sizeof(rec->provider),
                    cJSON_GetObjectItemCaseSensitive(json, "provider"));
        rec->tokens_in = (long)number_or_zero(
            cJSON_GetObjectItemCaseSensitive(json, "tokens_in"));
        rec->tokens_out = (long)number_or_zero(
            cJSON_GetObjectItemCaseSensitive(json, "tokens_out"));
        rec->latency_ms = (uint64_t)number_or_zero(
            cJSON_GetObjectItemCaseSensitive(json, "latency_ms"));
        rec->http_status = (long)number_or_zero(
            cJSON_GetObjectItemCaseSensitive(json, "http_status"));
        rec->ok = strcmp(outcome->valuestring, "ok") == 0;
    }
    cJSON_Delete(json);
    return ok;
}

kit_status usage_log_read(const char *path,
                          void (*fn)(void *ctx, const usage_record *rec),
                          void *ctx, usage_read_report *report)
{
    usage_read_report scratch;
    usage_record rec;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    kit_status st = KIT_OK;

    if (!report)
        report = &scratch;
    memset(report, 0, sizeof(*report));
    if (!path || !fn)
        return KIT_ERR_INVALID_ARG;
    f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? KIT_OK : KIT_ERR_IO;
    while ((n = getline(&line, &cap, f)) > 0) {
        report->lines++;
        /* getline keeps the newline: a line without one can only be the
         * last, cut short by a crash. */
        if (line[n - 1] != '\n') {
            report->torn_last_line = true;
            break;
        }
        if (n > USAGE_LOG_MAX_LINE ||
            !parse_record(line, (size_t)n - 1, &rec)) {
            report->skipped++;
            continue;
        }
        report->records++;
        fn(ctx, &rec);
    }
    if (ferror(f))
        st = KIT_ERR_IO;
    free(line);
    fclose(f);
    return st;
}

/* Floor division, so that a time before 1970 still finds its day. */
static int64_t day_of(int64_t ts)
{
    int64_t d = ts / SECONDS_PER_DAY;

    return (ts % SECONDS_PER_DAY < 0) ? d - 1 : d;
}

/* The summary's row for model, added when new; the last row is "other". */
static usage_model_total *model_row(usage_summary *s, const char *model)
{
    usage_model_total *row;

    for (size_t i = 0; i < s->n_models; i++) {
        if (strcmp(s->models[i].model, model) == 0)
            return &s->models[i];
    }
    if (s->n_models == USAGE_SUMMARY_MAX_MODELS)
        return &s->models[USAGE_SUMMARY_MAX_MODELS - 1];
    row = &s->models[s->n_models++];
    snprintf(row->model, sizeof(row->model), "%s",
             s->n_models == USAGE_SUMMARY_MAX_MODELS ? "other" : model);
    return row;
}

static void add_to_summary(void *ctx, const usage_record *rec)
{
    usage_summary *s = ctx;
    usage_model_total *row;

    if (day_of(rec->ts) != s->day)
        return;
    s->requests++;
    if (rec->ok)
        s->ok++;
    else
        s->failed++;
    s->tokens_in += rec->tokens_in;
    s->tokens_out += rec->tokens_out;
    s->cost_usd += rec->cost_usd;
    s->latency_ms_total += rec->latency_ms;
    row = model_row(s, rec->model);
    row->requests++;
    row->cost_usd += rec->cost_usd;
}

kit_status usage_log_daily_summary(const char *path, int64_t day,
                                   usage_summary *out)
{
    if (!out)
        return KIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    out->day = day;
    if (!path)
        return KIT_ERR_INVALID_ARG;
    return usage_log_read(path, add_to_summary, out, &out->report);
}
