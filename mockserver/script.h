/*
 * script.h - fault scripts: what the mock server does with the next
 * requests of one API key.
 *
 * A script is a list of steps, consumed one per request, then a fallback:
 * succeed ("then":"ok", the default), start the list again
 * ("then":"repeat"), or, when the script has a "chaos" object, seeded random
 * faults from then on. The JSON form, as the control API takes it:
 *
 *   {"steps":[{"status":429,"retry_after":1},{"fault":"reset"},{}],
 *    "then":"ok",
 *    "early_retry":"mark",
 *    "chaos":{"seed":7,"rate":0.2,"statuses":[429,503],"faults":["reset"]}}
 *
 * Step fields: status (200 or an error status the server can return),
 * delay_ms, retry_after (seconds), retry_after_ms, fault (timeout, reset,
 * close, malformed, partial, empty). "early_retry":"429" answers a request
 * that comes before the advertised retry-after with another 429 instead of
 * only marking it in the journal.
 *
 * Parsing is pure: no shared state, thread-safe. A parsed script is
 * immutable; who walks it (and where they are) is the store's business.
 */
#ifndef MOCKSERVER_SCRIPT_H
#define MOCKSERVER_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

/* The limits a script may ask for. */
#define SCRIPT_MAX_STEPS          10000
#define SCRIPT_MAX_DELAY_MS       600000u   /* 10 minutes */
#define SCRIPT_MAX_RETRY_AFTER_MS 86400000u /* one day */
/* How long a `timeout` fault holds the connection when it has no delay_ms. */
#define SCRIPT_HOLD_DEFAULT_MS 30000u

enum fault_kind {
    FAULT_NONE,
    FAULT_TIMEOUT,   /* hold the connection, never answer, then close */
    FAULT_RESET,     /* TCP reset (curl 56) */
    FAULT_CLOSE,     /* close with no response (curl 52) */
    FAULT_MALFORMED, /* 200 with a truncated JSON body (curl 0) */
    FAULT_PARTIAL,   /* body shorter than its Content-Length (curl 18) */
    FAULT_EMPTY,     /* 200 with an empty body (curl 0) */
};

/* One step. retry values are -1 when the step does not set them. */
typedef struct script_step {
    int status;             /* HTTP status; 200 = answer normally */
    uint32_t delay_ms;      /* answer this late */
    int64_t retry_after_s;  /* `retry-after` header, seconds */
    int64_t retry_after_ms; /* `retry-after-ms` header */
    enum fault_kind fault;
} script_step;

typedef struct script {
    script_step *steps;
    size_t n_steps;
    bool repeat;    /* "then":"repeat" */
    bool early_429; /* "early_retry":"429" */
    bool has_chaos;
    uint64_t chaos_seed;
    double chaos_rate;          /* 0..1: chance a request gets a fault */
    script_step *chaos_choices; /* drawn from uniformly */
    size_t n_chaos_choices;
} script;

/* A step that answers normally: status 200, nothing else. */
void script_step_ok(script_step *s);

/*
 * Builds a script from its JSON object.
 * obj:    the parsed object (borrowed).
 * where:  prefix for field names in error messages ("" or "scripts.KEY.").
 * err:    receives one sentence naming the bad field, e.g.
 *         "steps[1].status: 418 is not a status the server can return".
 * Returns the script (caller owns; script_free), or NULL with err set.
 */
script *script_from_json(const cJSON *obj, const char *where, char *err,
                         size_t errlen);

/* Same, from JSON text of len bytes. */
script *script_parse(const char *text, size_t len, char *err, size_t errlen);

/* Frees a script. NULL is a no-op. */
void script_free(script *s);

/* True for the statuses a step may ask for. */
bool script_status_allowed(int status);

/* "timeout", "reset", ... or NULL for FAULT_NONE. */
const char *script_fault_name(enum fault_kind f);

/*
 * The seeded generator chaos draws from (splitmix64): the same seed gives
 * the same sequence on every machine. *state is the generator's state.
 */
uint64_t script_rand_next(uint64_t *state);

/*
 * Draws the step for one request from a chaos script: a fault with
 * probability chaos_rate, else a plain success. *rng is the per-key state,
 * started at the script's chaos_seed.
 */
void script_chaos_draw(const script *s, uint64_t *rng, script_step *out);

#endif /* MOCKSERVER_SCRIPT_H */
