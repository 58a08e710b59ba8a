/*
 * The price table and its lookup, for lab 2's cost tracking. The table is
 * the one place a price is written; the course's figures, USD per million
 * tokens.
 */
#include "pricing.h"

#include <stdbool.h>
#include <string.h>

const pricing_row pricing_table[] = {
    /* model                provider     in      out */
    {"claude-sonnet-4.5", "anthropic", 3.00, 15.00},
    {"claude-haiku-4.5", "anthropic", 1.00, 5.00},
    {"claude-opus-4.5", "anthropic", 5.00, 25.00},
    {"gpt-4o", "openai", 2.50, 10.00},
    {"gpt-4o-mini", "openai", 0.15, 0.60},
    {"gemini-1.5-pro", "gemini", 1.25, 5.00},
    {"gemini-1.5-flash", "gemini", 0.075, 0.30},
};

const size_t pricing_table_len =
    sizeof(pricing_table) / sizeof(pricing_table[0]);

/* '.' and '-' both separate version numbers: "4.5" and "4-5" are one. */
static bool same_char(char a, char b)
{
    if (a == '.')
        a = '-';
    if (b == '.')
        b = '-';
    return a == b;
}

/*
 * What is left of a snapshot suffix once the row's name has matched:
 * nothing, "-latest", or '-' and three or more digits or dashes
 * ("-20251001", "-2024-08-06", "-002").
 */
static bool is_snapshot_suffix(const char *rest)
{
    size_t n;

    if (rest[0] == '\0' || strcmp(rest, "-latest") == 0)
        return true;
    if (rest[0] != '-')
        return false;
    n = strlen(rest + 1);
    return n >= 3 && strspn(rest + 1, "0123456789-") == n;
}

const pricing_row *pricing_find(const char *model)
{
    if (!model)
        return NULL;
    for (size_t i = 0; i < pricing_table_len; i++) {
        const char *name = pricing_table[i].model;
        size_t j = 0;

        while (name[j] && model[j] && same_char(name[j], model[j]))
            j++;
        if (name[j] == '\0' && is_snapshot_suffix(model + j))
            return &pricing_table[i];
    }
    return NULL;
}

double pricing_cost_usd(const pricing_row *row, long in_tokens, long out_tokens)
{
    if (!row || in_tokens < 0 || out_tokens < 0)
        return -1.0;
    return (double)in_tokens / 1e6 * row->usd_in_per_mtok +
           (double)out_tokens / 1e6 * row->usd_out_per_mtok;
}
