/*
 * pricing: what each model costs, kept as data. Lab 2.
 *
 * Prices change, so they live in one table (pricing.c) and nowhere else: a
 * price rise is a one-line change, and no dollar figure hides in the code
 * that adds up the bill. The table is given; the lookup and the arithmetic
 * are the lab's to write.
 *
 * Everything here is read-only: thread-safe, nothing to free.
 */
#ifndef PRICING_H
#define PRICING_H

#include <stddef.h>

/* One row of the price table: USD per million tokens, in and out. */
typedef struct pricing_row {
    const char *model;       /* the course's spelling: "claude-haiku-4.5" */
    const char *provider;    /* "anthropic", "openai" or "gemini" */
    double usd_in_per_mtok;  /* per million input (prompt) tokens */
    double usd_out_per_mtok; /* per million output (completion) tokens */
} pricing_row;

/* The table, in pricing.c, and its number of rows. */
extern const pricing_row pricing_table[];
extern const size_t pricing_table_len;

/*
 * Finds the row for a model name as a provider spells it. A name matches a
 * row when, reading every '.' in either as '-', it is the row's name,
 * optionally followed by a snapshot suffix: "-latest", or a '-' and three or
 * more characters that are all digits or '-' (a date or a version):
 *
 *     "claude-haiku-4.5", "claude-haiku-4-5", "claude-haiku-4-5-20251001",
 *     "gpt-4o-2024-08-06", "gemini-1.5-flash-latest"   match their rows;
 *     "gpt-4o-mini" matches gpt-4o-mini, never gpt-4o;
 *     "claude-haiku", "llama-3", "" and NULL             match nothing.
 *
 * Returns the row (static, never to be freed), or NULL when no row matches.
 */
const pricing_row *pricing_find(const char *model);

/*
 * The USD cost of a call at row's prices:
 *     in_tokens / 1e6 * usd_in_per_mtok + out_tokens / 1e6 * usd_out_per_mtok
 * Returns -1.0 when row is NULL or a token count is negative.
 */
double pricing_cost_usd(const pricing_row *row, long in_tokens,
                        long out_tokens);

#endif
