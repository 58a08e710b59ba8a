/*
 * The model and price table. The course's prices (COURSE.md) come first; a
 * few current models follow at their public list prices so that official
 * SDK examples that name them work too.
 */
#include "models.h"

#include <string.h>

static const model_info models[] = {
    /* The course's models, at the course's prices (USD per million). */
    {"claude-sonnet-4.5", PROVIDER_ANTHROPIC, 3.00, 15.00},
    {"claude-haiku-4.5", PROVIDER_ANTHROPIC, 1.00, 5.00},
    {"claude-opus-4.5", PROVIDER_ANTHROPIC, 5.00, 25.00},
    {"gpt-4o", PROVIDER_OPENAI, 2.50, 10.00},
    {"gpt-4o-mini", PROVIDER_OPENAI, 0.15, 0.60},
    {"gemini-1.5-pro", PROVIDER_GEMINI, 1.25, 5.00},
    {"gemini-1.5-flash", PROVIDER_GEMINI, 0.075, 0.30},
    /* A few current models, at public list prices. */
    {"claude-sonnet-4", PROVIDER_ANTHROPIC, 3.00, 15.00},
    {"claude-opus-4.1", PROVIDER_ANTHROPIC, 15.00, 75.00},
    {"claude-3.5-haiku", PROVIDER_ANTHROPIC, 0.80, 4.00},
    {"gpt-4.1", PROVIDER_OPENAI, 2.00, 8.00},
    {"gpt-4.1-mini", PROVIDER_OPENAI, 0.40, 1.60},
    {"gpt-5", PROVIDER_OPENAI, 1.25, 10.00},
    {"gemini-2.0-flash", PROVIDER_GEMINI, 0.10, 0.40},
    {"gemini-2.5-flash", PROVIDER_GEMINI, 0.30, 2.50},
    {"gemini-2.5-pro", PROVIDER_GEMINI, 1.25, 10.00},
};

/* Other spellings the real APIs accept, each mapped to a canonical name. */
static const struct {
    const char *alias;
    const char *name;
} aliases[] = {
    {"claude-sonnet-4-5", "claude-sonnet-4.5"},
    {"claude-sonnet-4-5-20250929", "claude-sonnet-4.5"},
    {"claude-sonnet-4-5-latest", "claude-sonnet-4.5"},
    {"claude-haiku-4-5", "claude-haiku-4.5"},
    {"claude-haiku-4-5-20251001", "claude-haiku-4.5"},
    {"claude-haiku-4-5-latest", "claude-haiku-4.5"},
    {"claude-opus-4-5", "claude-opus-4.5"},
    {"claude-opus-4-5-20251101", "claude-opus-4.5"},
    {"claude-opus-4-5-latest", "claude-opus-4.5"},
    {"claude-sonnet-4-0", "claude-sonnet-4"},
    {"claude-sonnet-4-20250514", "claude-sonnet-4"},
    {"claude-opus-4-1", "claude-opus-4.1"},
    {"claude-opus-4-1-20250805", "claude-opus-4.1"},
    {"claude-3-5-haiku-latest", "claude-3.5-haiku"},
    {"claude-3-5-haiku-20241022", "claude-3.5-haiku"},
    {"gpt-4o-2024-08-06", "gpt-4o"},
    {"gpt-4o-2024-11-20", "gpt-4o"},
    {"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
    {"gpt-4.1-2025-04-14", "gpt-4.1"},
    {"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
    {"gemini-1.5-pro-latest", "gemini-1.5-pro"},
    {"gemini-1.5-pro-002", "gemini-1.5-pro"},
    {"gemini-1.5-flash-latest", "gemini-1.5-flash"},
    {"gemini-1.5-flash-002", "gemini-1.5-flash"},
    {"gemini-2.0-flash-001", "gemini-2.0-flash"},
};

#define N_MODELS  (sizeof(models) / sizeof(models[0]))
#define N_ALIASES (sizeof(aliases) / sizeof(aliases[0]))

const model_info *model_lookup(enum provider_id provider, const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < N_ALIASES; i++) {
        if (strcmp(aliases[i].alias, name) == 0) {
            name = aliases[i].name;
            break;
        }
    }
    for (i = 0; i < N_MODELS; i++) {
        if (models[i].provider == provider && strcmp(models[i].name, name) == 0)
            return &models[i];
    }
    return NULL;
}

size_t model_count(void)
{
    return N_MODELS;
}

const model_info *model_at(size_t i)
{
    return i < N_MODELS ? &models[i] : NULL;
}

size_t model_index(const model_info *m)
{
    return (size_t)(m - models);
}

double model_cost_usd(const model_info *m, unsigned long long in_tokens,
                      unsigned long long out_tokens)
{
    return (double)in_tokens / 1e6 * m->usd_in_per_mtok +
           (double)out_tokens / 1e6 * m->usd_out_per_mtok;
}
