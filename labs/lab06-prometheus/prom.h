/*
 * prom: the client's metrics, kept as Prometheus counters and a histogram
 * and written in Prometheus' text exposition format (version 0.0.4). Lab 6.
 *
 * A router exports interface counters over SNMP and a poller reads them
 * every few minutes; Prometheus works the same way, over HTTP. The client
 * only ever adds to its counters. Prometheus scrapes them (prom_server.h)
 * and computes the rates itself, so a scrape that is missed loses nothing.
 *
 * The families, in the order prom_render writes them:
 *
 *   ai_requests_total{model,status}           counter    finished calls
 *   ai_request_duration_seconds{model}        histogram  time per call
 *   ai_tokens_total{model,direction}          counter    "input", "output"
 *   ai_cost_usd_total{model}                  counter    USD
 *   ai_rate_limit_hits_total{model}           counter    attempts with a 429
 *   ai_retries_total{model}                   counter    attempts after the 1st
 *
 * A call is what the user asked for; an attempt is one HTTP exchange (lab
 * 1's words). So ai_requests_total counts calls, and
 * ai_requests_total + ai_retries_total counts attempts: the 429 rate is
 * rate(ai_rate_limit_hits_total) over that sum.
 *
 * Each family has one "# HELP" and one "# TYPE" line, then its samples, and
 * no other family's lines in between. Models appear in the order they were
 * first recorded; a model seen by prom_record_call or prom_record_attempt
 * has a sample in every family but ai_requests_total, whose samples are the
 * (model, status) pairs recorded at least once, statuses in the order of
 * the kit_status enum. Histogram samples are, per model, the buckets of
 * PROM_DURATION_BUCKETS then le="+Inf", then _sum, then _count.
 * Label values are escaped (prom_escape_label_value) and labels are written
 * in the order shown: model first.
 *
 * Everything here is thread-safe on one registry: any number of threads
 * may record while another renders.
 */
#ifndef PROM_H
#define PROM_H

#include <stddef.h>

#include "kit_status.h"

/* How many distinct model label values a registry holds. Every label value
 * is a new time series in Prometheus: keep the cardinality bounded. */
enum { PROM_MAX_MODELS = 32 };

/* A model name is at most this many bytes, NUL excluded. */
enum { PROM_MAX_MODEL_LEN = 127 };

/*
 * The upper bounds (le) of the duration histogram, in seconds, for API
 * latencies: a short answer takes well under a second, a long one tens of
 * seconds, and a call that waited through backoff up to minutes.
 */
enum { PROM_N_BUCKETS = 10 };
#define PROM_DURATION_BUCKETS                                                  \
    {                                                                          \
        0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120                             \
    }

typedef struct prom_registry prom_registry; /* opaque */

/* One finished call, as the client saw it. Borrowed for the call. */
typedef struct prom_call {
    const char *model;  /* NULL or "": "unknown" */
    kit_status status;  /* how the call ended: the status label */
    double duration_s;  /* the whole call, retries and waits included; >= 0 */
    long input_tokens;  /* >= 0 (0 for a failed call) */
    long output_tokens; /* >= 0 */
    double cost_usd;    /* >= 0 */
} prom_call;

/*
 * Creates an empty registry. On success *out is the caller's: free it with
 * prom_registry_destroy. KIT_ERR_INVALID_ARG for NULL, KIT_ERR_NO_MEMORY.
 */
kit_status prom_registry_create(prom_registry **out);

/* Frees r. NULL is a no-op. No thread may use r any more. */
void prom_registry_destroy(prom_registry *r);

/*
 * Records one finished call: ai_requests_total{model,status} += 1, one
 * observation of duration_s in the histogram, the tokens, the cost.
 * KIT_ERR_INVALID_ARG (nothing recorded) for a NULL argument, a negative
 * figure or a model name longer than PROM_MAX_MODEL_LEN; KIT_ERR_TOO_LARGE
 * (nothing recorded) for a new model when PROM_MAX_MODELS are known.
 */
kit_status prom_record_call(prom_registry *r, const prom_call *call);

/*
 * Records one HTTP attempt of a call to model (NULL or "": "unknown"):
 * attempt is 1 for the first try, so attempt >= 2 is a retry and adds one
 * to ai_retries_total; status KIT_ERR_RATE_LIMIT (a 429) adds one to
 * ai_rate_limit_hits_total. Lab 1's observer calls it with ev->attempt and
 * ev->status. Errors as for prom_record_call, and KIT_ERR_INVALID_ARG for
 * attempt < 1.
 */
kit_status prom_record_attempt(prom_registry *r, const char *model, int attempt,
                               kit_status status);

/*
 * Writes every family in the text exposition format, as described above,
 * each line ending in "\n". On success *text_out is a NUL-terminated string
 * the caller frees with free(), and *len_out (when not NULL) its length.
 * Integer-valued samples are written as integers ("3"); others with enough
 * digits to read back the same double. KIT_ERR_INVALID_ARG,
 * KIT_ERR_NO_MEMORY (*text_out is then NULL).
 */
kit_status prom_render(prom_registry *r, char **text_out, size_t *len_out);

/*
 * The status label of a kit_status: "ok" for KIT_OK, otherwise the enum's
 * name without KIT_ERR_, in lower case: "rate_limit", "timeout", "server",
 * "overloaded", "budget"... "unknown" for a value outside the enum. Static.
 */
const char *prom_status_label(kit_status status);

/*
 * Escapes a label value for the exposition format: a backslash becomes \\,
 * a double quote \", a newline \n; every other byte is copied. Writes at
 * most outlen bytes including the NUL (out may be NULL when outlen is 0)
 * and returns the length the whole escaped value needs, NUL excluded, like
 * snprintf: the output was cut short when the result is >= outlen.
 */
size_t prom_escape_label_value(const char *value, char *out, size_t outlen);

#endif
