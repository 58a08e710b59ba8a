/*
 * The mock server's request journal: a fixed ring of entries under a mutex.
 * Adding is a struct copy, so the lock is held for a few nanoseconds on the
 * hot path; building the JSON copies entries out first.
 */
#include "journal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct journal {
    pthread_mutex_t lock;
    journal_entry *ring;
    size_t cap;
    size_t head; /* index of the oldest entry */
    size_t n;    /* entries held */
    uint64_t next_seq;
    uint64_t dropped;
};

journal *journal_create(size_t cap)
{
    journal *j = calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    j->cap = cap ? cap : JOURNAL_DEFAULT_CAP;
    j->ring = calloc(j->cap, sizeof(*j->ring));
    if (!j->ring || pthread_mutex_init(&j->lock, NULL) != 0) {
        free(j->ring);
        free(j);
        return NULL;
    }
    j->next_seq = 1;
    return j;
}

void journal_destroy(journal *j)
{
    if (!j)
        return;
    pthread_mutex_destroy(&j->lock);
    free(j->ring);
    free(j);
}

uint64_t journal_add(journal *j, const journal_entry *e)
{
    uint64_t seq;
    size_t slot;

    pthread_mutex_lock(&j->lock);
    seq = j->next_seq++;
    if (j->n == j->cap) {
        slot = j->head;
        j->head = (j->head + 1) % j->cap;
        j->dropped++;
    } else {
        slot = (j->head + j->n) % j->cap;
        j->n++;
    }
    j->ring[slot] = *e;
    j->ring[slot].seq = seq;
    pthread_mutex_unlock(&j->lock);
    return seq;
}

void journal_clear(journal *j)
{
    pthread_mutex_lock(&j->lock);
    j->head = 0;
    j->n = 0;
    j->dropped = 0;
    pthread_mutex_unlock(&j->lock);
}

static cJSON *entry_json(const journal_entry *e)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "seq", (double)e->seq);
    cJSON_AddNumberToObject(o, "t_ms", e->t_ms);
    cJSON_AddStringToObject(o, "provider", e->provider ? e->provider : "");
    cJSON_AddStringToObject(o, "method", e->method);
    cJSON_AddStringToObject(o, "path", e->path);
    if (e->model[0])
        cJSON_AddStringToObject(o, "model", e->model);
    else
        cJSON_AddNullToObject(o, "model");
    cJSON_AddNumberToObject(o, "status", e->status);
    if (e->fault)
        cJSON_AddStringToObject(o, "fault", e->fault);
    else
        cJSON_AddNullToObject(o, "fault");
    cJSON_AddNumberToObject(o, "delay_ms", e->delay_ms);
    cJSON_AddNumberToObject(o, "conn", (double)e->conn);
    cJSON_AddBoolToObject(o, "early_retry", e->early_retry);
    cJSON_AddBoolToObject(o, "rate_limited", e->rate_limited);
    cJSON_AddBoolToObject(o, "stream", e->stream);
    if (e->retry_count >= 0)
        cJSON_AddNumberToObject(o, "retry_count", e->retry_count);
    else
        cJSON_AddNullToObject(o, "retry_count");
    cJSON_AddNumberToObject(o, "input_tokens", e->input_tokens);
    cJSON_AddNumberToObject(o, "output_tokens", e->output_tokens);
    return o;
}

cJSON *journal_json(journal *j, bool filter, uint64_t key_hash)
{
    journal_entry *copy = NULL;
    size_t n = 0, i;
    uint64_t dropped;
    cJSON *root, *arr;

    pthread_mutex_lock(&j->lock);
    if (j->n > 0)
        copy = malloc(j->n * sizeof(*copy));
    for (i = 0; copy && i < j->n; i++) {
        const journal_entry *e = &j->ring[(j->head + i) % j->cap];

        if (!filter || e->key_hash == key_hash)
            copy[n++] = *e;
    }
    dropped = j->dropped;
    pthread_mutex_unlock(&j->lock);

    root = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(root, "requests");
    for (i = 0; arr && i < n; i++)
        cJSON_AddItemToArray(arr, entry_json(&copy[i]));
    cJSON_AddNumberToObject(root, "count", (double)n);
    cJSON_AddNumberToObject(root, "dropped", (double)dropped);
    free(copy);
    return root;
}
