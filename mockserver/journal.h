/*
 * journal.h - the record of every provider request the mock server
 * answered, for graders: a ring buffer with a cap, oldest dropped first.
 *
 * An entry never holds an API key: it holds a hash of the key
 * (store_key_hash), which is enough to filter by key when the caller
 * names the key.
 *
 * Ownership: an opaque handle from journal_create, freed with
 * journal_destroy. Every function is thread-safe.
 */
#ifndef MOCKSERVER_JOURNAL_H
#define MOCKSERVER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#define JOURNAL_DEFAULT_CAP 10000

typedef struct journal_entry {
    uint64_t seq;         /* set by journal_add: 1, 2, 3 ... */
    double t_ms;          /* monotonic ms since the server started */
    uint64_t key_hash;    /* 0 when the request had no key */
    uint64_t conn;        /* TCP connection id, 1, 2, 3 ... */
    const char *provider; /* static: "anthropic", "openai", "gemini" */
    char method[8];
    char path[160];    /* without the query string */
    char model[80];    /* as the client spelled it; "" if none */
    int status;        /* 0 when no HTTP response was sent */
    const char *fault; /* static fault name, or NULL */
    uint32_t delay_ms;
    bool early_retry;
    bool rate_limited; /* the 429 came from the rate limiter */
    bool stream;
    int retry_count; /* x-stainless-retry-count, -1 when absent */
    uint32_t input_tokens;
    uint32_t output_tokens;
} journal_entry;

typedef struct journal journal;

/* Creates a journal holding at most cap entries (0 = the default). */
journal *journal_create(size_t cap);

/* Frees the journal. NULL is a no-op. */
void journal_destroy(journal *j);

/* Copies e in, giving it the next seq. Returns the seq. */
uint64_t journal_add(journal *j, const journal_entry *e);

/*
 * The journal as JSON, oldest first:
 *   {"requests":[{...}], "dropped":N, "count":N}
 * Only the entries whose key_hash equals key_hash when `filter` is true.
 * "dropped" counts entries pushed out by the cap since the last clear.
 * Returns a new object (caller frees with cJSON_Delete), or NULL.
 */
cJSON *journal_json(journal *j, bool filter, uint64_t key_hash);

/* Removes every entry and zeroes the dropped count; seq keeps counting. */
void journal_clear(journal *j);

#endif /* MOCKSERVER_JOURNAL_H */
