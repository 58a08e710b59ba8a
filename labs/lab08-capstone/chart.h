/*
 * chart: one SVG picture of a batch run, for people who would rather look
 * than read. Given in lab 8 (you do not write it).
 *
 * Bars are the batch's HTTP attempts per (scaled) second, stacked by how
 * they ended: answered, 429, other failure. A solid line is the tier's
 * limit, a dashed one the batch's share; a thin line counts the retries.
 * Above the plot, one mark per chatbot call: a green dot when it got its
 * answer, a red cross when it failed. Times are batch-clock ms from the
 * start of the run. The file is plain SVG 1.1: open it in any browser.
 */
#ifndef CHART_H
#define CHART_H

#include <stdbool.h>
#include <stdint.h>

#include "kit_status.h"

typedef struct chart_config {
    const char *title; /* the first line of the picture; copied */
    long tier_rpm;     /* the tier's limit line, requests per minute */
    double share_rpm;  /* the batch's share line; 0: none */
} chart_config;

typedef struct chart chart; /* opaque */

/* KIT_ERR_INVALID_ARG, KIT_ERR_NO_MEMORY. Free *out with chart_destroy. */
kit_status chart_create(const chart_config *cfg, chart **out);

/* Frees c. NULL is a no-op. */
void chart_destroy(chart *c);

/* One batch attempt that ended at t_ms with http_status (0: no answer);
 * retry when it was not its config's first. Not thread-safe. */
kit_status chart_add_attempt(chart *c, uint64_t t_ms, long http_status,
                             bool retry);

/* One chatbot call that started at t_ms. Not thread-safe. */
kit_status chart_add_chatbot(chart *c, uint64_t t_ms, bool ok);

/* Writes the picture to path. KIT_ERR_IO when the file cannot be written. */
kit_status chart_write_svg(const chart *c, const char *path);

#endif
