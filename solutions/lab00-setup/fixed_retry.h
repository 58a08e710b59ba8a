/*
 * fixed_retry: lab 0, part B. The simplest retry that helps: on HTTP 429
 * wait a fixed time and try again, a few times. Lab 1 replaces the fixed
 * wait with exponential backoff; the count means the same in both labs:
 * max_retries is the number of retries AFTER the first try, so a call makes
 * at most max_retries + 1 attempts.
 */
#ifndef FIXED_RETRY_H
#define FIXED_RETRY_H

#include <stdint.h>
#include <stdio.h>

#include "kit_chat.h"
#include "kit_clock.h"
#include "kit_status.h"

typedef struct fixed_retry_config {
    int max_retries;        /* retries after the first try, >= 0 */
    uint64_t delay_ms;      /* the wait between tries */
    const kit_clock *clock; /* NULL: the real clock; tests pass a fake */
    FILE *out;              /* where "Attempt i/N" goes; NULL: nowhere */
} fixed_retry_config;

/* The course's numbers: 3 tries in all, 2 seconds apart. */
#define FIXED_RETRY_DEFAULT                                                    \
    {                                                                          \
        .max_retries = 2, .delay_ms = 2000, .clock = NULL, .out = NULL,        \
    }

/*
 * Calls kit_anthropic_call(t, ep, req, reply, info) up to max_retries + 1
 * times. Before each try it writes a line that begins "Attempt i/N" (i from
 * 1, N = max_retries + 1) to cfg->out. After a 429 (KIT_ERR_RATE_LIMIT) with
 * tries left it sleeps cfg->delay_ms on cfg->clock and tries again; it never
 * sleeps after the last try. Any other failure returns at once.
 *
 * Returns KIT_OK with *reply filled (the caller clears it with
 * kit_chat_reply_clear), or the last attempt's status with *info saying why.
 * KIT_ERR_INVALID_ARG for a NULL cfg, t, ep, req, reply or info, or
 * max_retries < 0.
 */
kit_status fixed_retry_call(const fixed_retry_config *cfg,
                            const kit_transport *t, const kit_endpoint *ep,
                            const kit_chat_request *req, kit_chat_reply *reply,
                            kit_attempt *info);

#endif
