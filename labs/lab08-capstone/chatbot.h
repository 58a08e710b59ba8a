/*
 * chatbot: the NOC chatbot of the course's story, the other tool on the
 * batch's key. Given in lab 8 (you do not write it).
 *
 * A thread with a client of its own asks a short question every period_ms
 * of its clock, as an engineer on shift would, and keeps what each call
 * got. It is an interactive tool: someone is waiting for the answer, so its
 * retry policy is short, and it knows nothing of the batch. Whether its
 * calls fail is the measure of the batch's manners.
 */
#ifndef CHATBOT_H
#define CHATBOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "kit_clock.h"
#include "kit_status.h"

/* The most calls a chatbot keeps one by one (it counts them all). */
#define CHATBOT_MAX_CALLS 4096

typedef struct chatbot_config {
    client_config client;   /* key, URL, model, retry policy: its own client */
    uint64_t period_ms;     /* > 0: one question every period_ms of clock */
    const kit_clock *clock; /* borrowed; NULL: the real clock */
} chatbot_config;

/* One of its calls. */
typedef struct chatbot_call {
    uint64_t at_ms; /* the clock's now_ms when the call started */
    bool ok;
    int attempts;
    int rate_limited; /* attempts answered 429 */
    long http_status; /* the last attempt's, 0 when none came */
} chatbot_call;

/* What it saw, all calls together. Plain data (large: keep it static or
 * on the heap). */
typedef struct chatbot_stats {
    long calls, ok, failed;
    long attempts, rate_limited;
    chatbot_call log[CHATBOT_MAX_CALLS]; /* the first CHATBOT_MAX_CALLS */
    size_t n_log;
    char last_error[256]; /* the last failed call's sentence, or "" */
} chatbot_stats;

typedef struct chatbot chatbot; /* opaque */

/*
 * Creates the chatbot's client from cfg (copied) and starts its thread,
 * which asks its first question at once. On success *out is the caller's:
 * end it with chatbot_stop. On failure *out is NULL and err (when not NULL)
 * says why: client_create's failures, KIT_ERR_INVALID_ARG, KIT_ERR_NO_MEMORY.
 */
kit_status chatbot_start(const chatbot_config *cfg, chatbot **out, char *err,
                         size_t errlen);

/*
 * Stops the thread (a call in progress is finished first), copies what it
 * saw into *stats (when not NULL) and frees the chatbot. NULL is a no-op.
 */
void chatbot_stop(chatbot *bot, chatbot_stats *stats);

#endif
