/*
 * usage_log: one JSON line per call, appended to a file, and the daily
 * summary read back from it. Lab 7.
 *
 * Each call, successful or not, becomes one line (JSON Lines):
 *
 *     {"ts":1796029200,"env":"dev","provider":"anthropic",
 *      "model":"claude-haiku-4.5","tokens_in":100,"tokens_out":600,
 *      "cost_usd":0.0031,"latency_ms":840,"outcome":"ok","http_status":200}
 *
 * (one line in the file; wrapped here). ts is the wall time in seconds,
 * outcome is "ok" or "error". The first four members are lab 5's usage log
 * format, so lab 5's budget can rebuild the day's spend from this file. The
 * API key is never written: a log is copied, mailed and backed up like any
 * config, and a key in it is a key leaked.
 *
 * Crash safety: each line goes to the file in one write() on a descriptor
 * opened with O_APPEND. The kernel puts each such write at the end of the
 * file, whole, so lines from several threads never interleave, and a crash
 * loses at most the line being written: it may leave a torn last line, one
 * that does not end in a newline. The reader skips a torn last line and
 * says so through its report (the library never prints); the next append
 * starts a fresh line after it. A line that is complete but not one of
 * ours (a blank line, another program's line, JSON without the members) is
 * skipped and counted too.
 *
 * Every function is thread-safe on one log.
 */
#ifndef USAGE_LOG_H
#define USAGE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kit_status.h"

/* The longest line the reader accepts; longer ones are skipped. */
#define USAGE_LOG_MAX_LINE 4096

/*
 * How many rows a daily summary's by-model table has. The first
 * USAGE_SUMMARY_MAX_MODELS - 1 models of the day each get a row; any more
 * share the last row, named "other".
 */
#define USAGE_SUMMARY_MAX_MODELS 16

/* One call, as it is written to the log. Plain data. */
typedef struct usage_record {
    int64_t ts;          /* wall time, seconds since the epoch */
    char env[16];        /* "dev", "staging", "prod" (lab 5's environments) */
    char provider[16];   /* "anthropic", "openai", "gemini" */
    char model[64];      /* the model asked for */
    long tokens_in;      /* >= 0; 0 when the call failed */
    long tokens_out;     /* >= 0 */
    double cost_usd;     /* >= 0 */
    uint64_t latency_ms; /* the whole call, retries and waits included */
    bool ok;             /* written as "outcome":"ok" or "error" */
    long http_status;    /* the last attempt's status; 0 when none arrived */
} usage_record;

typedef struct usage_log usage_log; /* opaque: see usage_log_open */

/*
 * Opens (creating it with mode 0600 if needed) the log at path for
 * appending. path is copied. When the file ends in a torn line, the next
 * append first ends it with a newline so the new line stays whole. On
 * success *out is the caller's: close it with usage_log_close.
 * KIT_ERR_INVALID_ARG for a NULL argument; KIT_ERR_IO when the file cannot
 * be opened; KIT_ERR_NO_MEMORY. *out is NULL on failure.
 */
kit_status usage_log_open(const char *path, usage_log **out);

/* Closes the log. NULL is a no-op. */
void usage_log_close(usage_log *log);

/*
 * Appends rec as one line, in exactly one write() of the whole line and
 * its newline. Strings are JSON-escaped. KIT_ERR_INVALID_ARG for a NULL
 * argument; KIT_ERR_IO when the write fails or is short;
 * KIT_ERR_NO_MEMORY.
 */
kit_status usage_log_append(usage_log *log, const usage_record *rec);

/* What a read found, beside the records themselves. */
typedef struct usage_read_report {
    long lines;          /* lines in the file, the torn last one included */
    long records;        /* lines that were records (handed to the callback) */
    long skipped;        /* complete lines that were not records */
    bool torn_last_line; /* the file ended in a line without a newline */
} usage_read_report;

/*
 * Reads every record of the log at path, in file order, and calls
 * fn(ctx, &rec) for each (rec is borrowed for the callback). A line is a
 * record when it ends in a newline and parses as a JSON object with a
 * number ts and cost_usd, and strings env, model and outcome; the other
 * members default to 0 or "" when absent. Other lines are skipped and
 * counted in *report (which may be NULL). A missing file is an empty log.
 * KIT_ERR_INVALID_ARG for a NULL path or fn; KIT_ERR_IO when the file
 * exists but cannot be read.
 */
kit_status usage_log_read(const char *path,
                          void (*fn)(void *ctx, const usage_record *rec),
                          void *ctx, usage_read_report *report);

/* One model's share of a day. */
typedef struct usage_model_total {
    char model[64]; /* the model, or "other" (see USAGE_SUMMARY_MAX_MODELS) */
    long requests;
    double cost_usd;
} usage_model_total;

/* One UTC day of the log: day = ts / 86400. */
typedef struct usage_summary {
    int64_t day;
    long requests; /* every record of the day, ok or not */
    long ok;
    long failed;
    long tokens_in, tokens_out;
    double cost_usd;
    uint64_t latency_ms_total;
    /* By model, in the order each model first appears that day. */
    usage_model_total models[USAGE_SUMMARY_MAX_MODELS];
    size_t n_models;
    usage_read_report report; /* what the read of the whole file found */
} usage_summary;

/*
 * Fills *out with the day's totals from the log at path (records of other
 * days are read but not counted). KIT_ERR_INVALID_ARG for a NULL argument;
 * KIT_ERR_IO as usage_log_read.
 */
kit_status usage_log_daily_summary(const char *path, int64_t day,
                                   usage_summary *out);

#endif
