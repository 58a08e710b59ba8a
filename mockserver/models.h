/*
 * models.h - the models the mock server knows, which provider serves each,
 * and what each costs. Prices are data, kept in one table in models.c.
 *
 * Everything here is read-only static data: thread-safe, nothing to free.
 */
#ifndef MOCKSERVER_MODELS_H
#define MOCKSERVER_MODELS_H

#include <stddef.h>

/* The three provider APIs the server speaks. */
enum provider_id {
    PROVIDER_ANTHROPIC,
    PROVIDER_OPENAI,
    PROVIDER_GEMINI,
    PROVIDER_COUNT
};

typedef struct model_info {
    const char *name;          /* canonical name, e.g. "claude-sonnet-4.5" */
    enum provider_id provider; /* who serves it */
    double usd_in_per_mtok;    /* USD per million input tokens */
    double usd_out_per_mtok;   /* USD per million output tokens */
} model_info;

/*
 * Finds a model by any of its spellings ("claude-sonnet-4.5",
 * "claude-sonnet-4-5", "claude-sonnet-4-5-20250929") for one provider.
 * Returns the table row (static), or NULL when the provider has no such
 * model.
 */
const model_info *model_lookup(enum provider_id provider, const char *name);

/* The number of rows in the table, and row i (0 <= i < model_count()). */
size_t model_count(void);
const model_info *model_at(size_t i);

/* The row's index, for per-model arrays sized model_count(). */
size_t model_index(const model_info *m);

/* The USD cost of a number of tokens at the model's prices. */
double model_cost_usd(const model_info *m, unsigned long long in_tokens,
                      unsigned long long out_tokens);

#endif /* MOCKSERVER_MODELS_H */
