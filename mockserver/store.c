/*
 * Per-key state of the mock server: scripts and their cursors, retry-after
 * deadlines for judging early retries, and the bill. One open-addressing
 * hash table under one mutex; entries are only ever removed all at once
 * (store_clear), which keeps the table simple.
 */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct bill_row {
    uint64_t requests;
    uint64_t in_tokens;
    uint64_t out_tokens;
} bill_row;

typedef struct key_state {
    char *key;
    uint64_t hash;
    script *own;          /* the key's own script, or NULL */
    uint64_t wild_gen;    /* which "*" script the cursor below belongs to */
    size_t cursor;        /* steps taken in the current script */
    uint64_t rng;         /* chaos generator state */
    bool shorthand_done;  /* its shorthand script was installed once */
    double not_before_ms; /* early-retry deadline; 0 = none */
    bill_row *bill;       /* model_count() rows, or NULL until billed */
} key_state;

struct store {
    pthread_mutex_t lock;
    key_state **slots; /* open addressing, linear probing */
    size_t cap;        /* a power of two */
    size_t n;
    script *wild;      /* the "*" script, or NULL */
    uint64_t wild_gen; /* bumped whenever "*" changes */
    bill_row *overflow;
};

uint64_t store_key_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull;

    while (*key) {
        h ^= (unsigned char)*key++;
        h *= 1099511628211ull;
    }
    return h;
}

store *store_create(void)
{
    store *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->cap = 64;
    s->slots = calloc(s->cap, sizeof(*s->slots));
    s->overflow = calloc(model_count(), sizeof(*s->overflow));
    if (!s->slots || !s->overflow || pthread_mutex_init(&s->lock, NULL)) {
        free(s->slots);
        free(s->overflow);
        free(s);
        return NULL;
    }
    return s;
}

static void free_state(key_state *k)
{
    if (!k)
        return;
    free(k->key);
    script_free(k->own);
    free(k->bill);
    free(k);
}

static void clear_locked(store *s)
{
    size_t i;

    for (i = 0; i < s->cap; i++) {
        free_state(s->slots[i]);
        s->slots[i] = NULL;
    }
    s->n = 0;
    script_free(s->wild);
    s->wild = NULL;
    s->wild_gen++;
    memset(s->overflow, 0, model_count() * sizeof(*s->overflow));
}

void store_destroy(store *s)
{
    if (!s)
        return;
    clear_locked(s);
    pthread_mutex_destroy(&s->lock);
    free(s->slots);
    free(s->overflow);
    free(s);
}

void store_clear(store *s)
{
    pthread_mutex_lock(&s->lock);
    clear_locked(s);
    pthread_mutex_unlock(&s->lock);
}

/* Doubles the table. May reallocate s->slots. Returns 0 or -1. */
static int grow(store *s)
{
    size_t cap = s->cap * 2;
    key_state **slots = calloc(cap, sizeof(*slots));
    size_t i;

    if (!slots)
        return -1;
    for (i = 0; i < s->cap; i++) {
        key_state *k = s->slots[i];
        size_t j;

        if (!k)
            continue;
        for (j = k->hash & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
            ;
        slots[j] = k;
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

/*
 * Finds the key's state; with `create`, adds it when absent (unless the
 * store is full or memory runs out). Call with the lock held.
 */
static key_state *find(store *s, const char *key, bool create)
{
    uint64_t h = store_key_hash(key);
    size_t i;
    key_state *k;

    for (i = h & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i]->hash == h && strcmp(s->slots[i]->key, key) == 0)
            return s->slots[i];
    }
    if (!create || s->n >= STORE_MAX_KEYS)
        return NULL;
    if ((s->n + 1) * 2 > s->cap) {
        if (grow(s) != 0)
            return NULL;
        for (i = h & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
            ;
    }
    k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->key = strdup(key);
    if (!k->key) {
        free(k);
        return NULL;
    }
    k->hash = h;
    k->wild_gen = s->wild_gen;
    k->rng = s->wild ? s->wild->chaos_seed : 0;
    s->slots[i] = k;
    s->n++;
    return k;
}

int store_set_script(store *s, const char *key, script *scr)
{
    key_state *k;
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    if (strcmp(key, "*") == 0) {
        script_free(s->wild);
        s->wild = scr;
        s->wild_gen++;
    } else if ((k = find(s, key, true)) != NULL) {
        script_free(k->own);
        k->own = scr;
        k->cursor = 0;
        k->rng = scr->chaos_seed;
    } else {
        script_free(scr);
        rc = -1;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

bool store_remove_script(store *s, const char *key)
{
    key_state *k;
    bool had = false;

    pthread_mutex_lock(&s->lock);
    if (strcmp(key, "*") == 0) {
        had = s->wild != NULL;
        script_free(s->wild);
        s->wild = NULL;
        s->wild_gen++;
    } else if ((k = find(s, key, false)) != NULL && k->own) {
        had = true;
        script_free(k->own);
        k->own = NULL;
        /* Back on "*" (if any), from its first step. */
        k->wild_gen = s->wild_gen - 1;
    }
    pthread_mutex_unlock(&s->lock);
    return had;
}

bool store_install_shorthand(store *s, const char *key, script *scr)
{
    key_state *k;
    bool installed = false;

    pthread_mutex_lock(&s->lock);
    k = find(s, key, true);
    if (k && !k->shorthand_done) {
        k->shorthand_done = true;
        /* A script set through the control API before the key's first
         * request is the more deliberate choice: it wins. */
        if (!k->own) {
            k->own = scr;
            k->cursor = 0;
            k->rng = scr->chaos_seed;
            installed = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!installed)
        script_free(scr);
    return installed;
}

void store_check_early(store *s, const char *key, double now_ms,
                       store_early *out)
{
    key_state *k;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->lock);
    k = find(s, key, false);
    if (k && k->not_before_ms > 0 && now_ms < k->not_before_ms) {
        const script *scr = k->own ? k->own : s->wild;

        out->early = true;
        out->answer_429 = scr && scr->early_429;
        out->wait_ms = (uint64_t)(k->not_before_ms - now_ms) + 1;
    }
    pthread_mutex_unlock(&s->lock);
}

void store_note_retry_after(store *s, const char *key, double now_ms,
                            uint64_t wait_ms)
{
    key_state *k;

    pthread_mutex_lock(&s->lock);
    k = find(s, key, wait_ms > 0);
    if (k)
        k->not_before_ms = wait_ms > 0 ? now_ms + (double)wait_ms : 0;
    pthread_mutex_unlock(&s->lock);
}

/* Takes the next step of scr for key state k. Call with the lock held. */
static void walk(const script *scr, key_state *k, script_step *out)
{
    if (k->cursor < scr->n_steps) {
        *out = scr->steps[k->cursor++];
    } else if (scr->repeat) {
        *out = scr->steps[k->cursor++ % scr->n_steps];
    } else if (scr->has_chaos) {
        script_chaos_draw(scr, &k->rng, out);
    } else {
        script_step_ok(out);
    }
}

bool store_next_step(store *s, const char *key, script_step *out)
{
    key_state *k;
    bool scripted = false;

    script_step_ok(out);
    pthread_mutex_lock(&s->lock);
    k = find(s, key, s->wild != NULL);
    if (k && k->own) {
        walk(k->own, k, out);
        scripted = true;
    } else if (k && s->wild) {
        if (k->wild_gen != s->wild_gen) {
            k->wild_gen = s->wild_gen;
            k->cursor = 0;
            k->rng = s->wild->chaos_seed;
        }
        walk(s->wild, k, out);
        scripted = true;
    }
    pthread_mutex_unlock(&s->lock);
    return scripted;
}

void store_bill_add(store *s, const char *key, const model_info *m,
                    uint32_t in_tokens, uint32_t out_tokens)
{
    key_state *k;
    bill_row *row;

    pthread_mutex_lock(&s->lock);
    k = find(s, key, true);
    if (k && !k->bill)
        k->bill = calloc(model_count(), sizeof(*k->bill));
    row = (k && k->bill) ? &k->bill[model_index(m)]
                         : &s->overflow[model_index(m)];
    row->requests++;
    row->in_tokens += in_tokens;
    row->out_tokens += out_tokens;
    pthread_mutex_unlock(&s->lock);
}

static void sum_rows(bill_row *acc, const bill_row *rows)
{
    size_t i;

    if (!rows)
        return;
    for (i = 0; i < model_count(); i++) {
        acc[i].requests += rows[i].requests;
        acc[i].in_tokens += rows[i].in_tokens;
        acc[i].out_tokens += rows[i].out_tokens;
    }
}

cJSON *store_bill_json(store *s, const char *key)
{
    bill_row *acc = calloc(model_count(), sizeof(*acc));
    cJSON *root = NULL, *arr;
    uint64_t req = 0, in = 0, out = 0;
    double usd = 0;
    size_t i;

    if (!acc)
        return NULL;
    pthread_mutex_lock(&s->lock);
    if (key) {
        key_state *k = find(s, key, false);

        if (k)
            sum_rows(acc, k->bill);
    } else {
        for (i = 0; i < s->cap; i++) {
            if (s->slots[i])
                sum_rows(acc, s->slots[i]->bill);
        }
        sum_rows(acc, s->overflow);
    }
    pthread_mutex_unlock(&s->lock);

    root = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(root, "models");
    for (i = 0; arr && i < model_count(); i++) {
        const model_info *m = model_at(i);
        double cost;
        cJSON *row;

        if (acc[i].requests == 0)
            continue;
        cost = model_cost_usd(m, acc[i].in_tokens, acc[i].out_tokens);
        row = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, row);
        cJSON_AddStringToObject(row, "model", m->name);
        cJSON_AddNumberToObject(row, "requests", (double)acc[i].requests);
        cJSON_AddNumberToObject(row, "input_tokens", (double)acc[i].in_tokens);
        cJSON_AddNumberToObject(row, "output_tokens",
                                (double)acc[i].out_tokens);
        cJSON_AddNumberToObject(row, "usd_per_mtok_in", m->usd_in_per_mtok);
        cJSON_AddNumberToObject(row, "usd_per_mtok_out", m->usd_out_per_mtok);
        cJSON_AddNumberToObject(row, "usd", cost);
        req += acc[i].requests;
        in += acc[i].in_tokens;
        out += acc[i].out_tokens;
        usd += cost;
    }
    cJSON_AddNumberToObject(root, "requests", (double)req);
    cJSON_AddNumberToObject(root, "input_tokens", (double)in);
    cJSON_AddNumberToObject(root, "output_tokens", (double)out);
    cJSON_AddNumberToObject(root, "usd", usd);
    free(acc);
    return root;
}
