/*
 * store.h - the mock server's per-key memory: each key's script and where
 * it is in it, when the key was last told to come back (retry-after), and
 * what the key has been billed.
 *
 * Keys are kept here, in memory only, because scripts are matched by key;
 * nothing in this module prints or exports them (the bill and the journal
 * identify a key only when the caller names it).
 *
 * Ownership: a store is an opaque handle from store_create, freed with
 * store_destroy. Every function is thread-safe (one lock inside; each call
 * holds it briefly and never calls out while holding it).
 */
#ifndef MOCKSERVER_STORE_H
#define MOCKSERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "models.h"
#include "script.h"

/* The most keys the store remembers; later keys get no per-key memory
   (no shorthand script, no early-retry judging), and their bill is kept
   in a shared overflow row that only the unfiltered bill shows. */
#define STORE_MAX_KEYS 65536

typedef struct store store;

/* Creates an empty store. Returns it (caller owns), or NULL on no memory. */
store *store_create(void);

/* Frees the store and every script in it. NULL is a no-op. */
void store_destroy(store *s);

/*
 * Installs a script for key, replacing any, and restarts the key at its
 * first step. Key "*" sets the script of every key without one of its own;
 * each such key walks it on its own, from the first step.
 * Takes ownership of scr (also on failure). Returns 0, or -1 on no memory.
 */
int store_set_script(store *s, const char *key, script *scr);

/* Removes the key's script. Returns true when it had one. */
bool store_remove_script(store *s, const char *key);

/*
 * Installs a shorthand key's script the first time the key is seen: when
 * the key has never had a script installed this way, takes scr (ownership)
 * and installs it; otherwise frees scr. Returns true when installed.
 */
bool store_install_shorthand(store *s, const char *key, script *scr);

/* What the store says about one request, from store_check_early. */
typedef struct store_early {
    bool early;       /* it came before the advertised retry-after */
    bool answer_429;  /* and the key's script says to refuse it */
    uint64_t wait_ms; /* how much of that wait was left, rounded up */
} store_early;

/* Judges whether a request of key at monotonic now_ms is an early retry. */
void store_check_early(store *s, const char *key, double now_ms,
                       store_early *out);

/*
 * Records that the server just told key to wait wait_ms (from now_ms):
 * requests before then are early retries. A wait of 0 clears it.
 */
void store_note_retry_after(store *s, const char *key, double now_ms,
                            uint64_t wait_ms);

/*
 * Takes the key's next step: its own script, else the "*" script, else
 * success. *out is always written. Returns true when a script gave it.
 */
bool store_next_step(store *s, const char *key, script_step *out);

/* Adds a successful answer's tokens to key's bill for model m. */
void store_bill_add(store *s, const char *key, const model_info *m,
                    uint32_t in_tokens, uint32_t out_tokens);

/*
 * The bill as JSON: for key, or for every key when key is NULL:
 *   {"models":[{"model","requests","input_tokens","output_tokens","usd"}],
 *    "requests","input_tokens","output_tokens","usd"}
 * Models with no requests are left out. Returns a new object (caller
 * frees with cJSON_Delete), or NULL on no memory.
 */
cJSON *store_bill_json(store *s, const char *key);

/* Forgets every key, script and bill: the state after store_create. */
void store_clear(store *s);

/* A 64-bit hash of a key, stable for the life of the process: the journal
   stores this instead of the key. */
uint64_t store_key_hash(const char *key);

#endif /* MOCKSERVER_STORE_H */
