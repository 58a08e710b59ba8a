/*
 * usage_log: lab 7's JSON-lines log of every call and its daily summary.
 * Read README.md steps 8 to 10. The contract is usage_log.h; do not change
 * it.
 */
#include "usage_log.h"

#include <stdlib.h>
#include <string.h>

/* TODO(lab 7): what an open log holds: its file descriptor (step 8). */
struct usage_log {
    int todo;
};

kit_status usage_log_open(const char *path, usage_log **out)
{
    /* TODO(lab 7): open with O_APPEND (never O_TRUNC), end a torn last
     * line (step 8). */
    (void)path;
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void usage_log_close(usage_log *log)
{
    /* TODO(lab 7): close the descriptor (step 8). */
    free(log);
}

kit_status usage_log_append(usage_log *log, const usage_record *rec)
{
    /* TODO(lab 7): build the line with cJSON, add the newline, write it
     * in one write() (step 8). */
    (void)log;
    (void)rec;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status usage_log_read(const char *path,
                          void (*fn)(void *ctx, const usage_record *rec),
                          void *ctx, usage_read_report *report)
{
    /* TODO(lab 7): getline, skip and count what is not a record, report a
     * torn last line (step 9). */
    (void)path;
    (void)fn;
    (void)ctx;
    if (report)
        memset(report, 0, sizeof(*report));
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status usage_log_daily_summary(const char *path, int64_t day,
                                   usage_summary *out)
{
    /* TODO(lab 7): usage_log_read with a callback that adds the day's
     * records (step 10). */
    (void)path;
    (void)day;
    if (out)
        memset(out, 0, sizeof(*out));
    return KIT_ERR_NOT_IMPLEMENTED;
}
