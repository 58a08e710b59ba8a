/*
 * providers: lab 4. One interface, three providers. Each provider is a
 * static const ops table (kit_provider.h) in a file of its own: Anthropic is
 * given in the provided library, OpenAI (openai.c) and Gemini (gemini.c) are
 * the lab's. providers.c holds the one table that maps a name to its ops,
 * and what every provider shares: its prices, read from lab 2's table, and
 * (extra A) a fallback that moves a call down an ordered list of providers.
 *
 *     const kit_provider_ops *p = provider_lookup("gemini");
 *     client_config cfg = CLIENT_CONFIG_DEFAULT;
 *     cfg.provider = p;                   key from GOOGLE_API_KEY, URL from
 *     client_create(&cfg, &c, err, n);    GEMINI_BASE_URL, gemini-1.5-flash
 *
 * Adding a provider touches one new file and one row of providers.c.
 *
 * Every provider turns its own error envelope into the same kit_status, so
 * the code above never asks which provider failed:
 *     HTTP 400 / INVALID_ARGUMENT        KIT_ERR_BAD_REQUEST
 *     HTTP 401 / UNAUTHENTICATED         KIT_ERR_AUTH
 *     HTTP 403 / PERMISSION_DENIED       KIT_ERR_PERMISSION
 *     HTTP 404 / NOT_FOUND               KIT_ERR_NOT_FOUND
 *     HTTP 429 / RESOURCE_EXHAUSTED      KIT_ERR_RATE_LIMIT
 *     HTTP 500, 502, 503, 504            KIT_ERR_SERVER
 *     HTTP 529 (Anthropic overloaded)    KIT_ERR_OVERLOADED
 * with info->error_type the envelope's own word (OpenAI: its "code" when
 * that is a string, else its "type"; Gemini: its "status") and
 * info->message its message; Gemini's RetryInfo retryDelay ("2s",
 * "1.500s") becomes info->retry_after_ms when no retry-after header came.
 *
 * Everything here is read-only and thread-safe, except fallback_call, which
 * is as thread-safe as the clients and breakers it is given.
 */
#ifndef PROVIDERS_H
#define PROVIDERS_H

#include <stddef.h>

#include "breaker.h"
#include "client.h"
#include "kit_provider.h"
#include "kit_status.h"

/*
 * OpenAI Chat Completions (openai.c): POST {base}/v1/chat/completions with
 * "Authorization: Bearer KEY"; body {model, messages: [system?, user],
 * max_tokens, temperature?}; text from choices[0].message.content, usage
 * from prompt_tokens and completion_tokens, stop reason from finish_reason;
 * errors in {"error":{"message","type","param","code"}}.
 * Name "openai", key OPENAI_API_KEY, default model gpt-4o-mini.
 */
extern const kit_provider_ops provider_openai;

/*
 * Google Gemini generateContent (gemini.c): POST
 * {base}/v1beta/models/{model}:generateContent with the key in the
 * "x-goog-api-key" header, never in the URL (URLs end up in logs); body
 * {contents: [{role: user, parts: [{text}]}], systemInstruction?,
 * generationConfig: {maxOutputTokens, temperature?}}; text from every
 * candidates[0].content.parts[].text joined, usage from usageMetadata
 * promptTokenCount and candidatesTokenCount, stop reason from finishReason;
 * errors in {"error":{"code","message","status","details"}}.
 * Name "gemini", key GOOGLE_API_KEY, default model gemini-1.5-flash.
 */
extern const kit_provider_ops provider_gemini;

/*
 * The provider called name ("anthropic", "openai", "gemini"), or NULL for
 * NULL or a name no provider has. The pointer is static: never freed.
 */
const kit_provider_ops *provider_lookup(const char *name);

/*
 * The i-th provider of the table, in a fixed order (anthropic, openai,
 * gemini), or NULL when i is past the end: for (i = 0; (p =
 * provider_at(i)); i++) visits them all.
 */
const kit_provider_ops *provider_at(size_t i);

/*
 * A provider's prices for model, in USD per million tokens, read from lab
 * 2's one price table (pricing_find, any spelling it accepts). A row of
 * another provider does not count: gemini's price for "gpt-4o" is
 * KIT_ERR_NOT_FOUND, as is a model the table lacks. KIT_ERR_INVALID_ARG for
 * a NULL argument. The out-parameters are written only on KIT_OK.
 */
kit_status provider_pricing(const kit_provider_ops *p, const char *model,
                            double *usd_in_per_mtok, double *usd_out_per_mtok);

/* ---- Extra A: an ordered fallback list ------------------------------------
 */

/* One provider to try: a client built for it (its provider, key, model and
 * retry policy) and, optionally, a breaker that guards it. Both borrowed. */
typedef struct fallback_route {
    client *client;
    breaker *breaker; /* NULL: no breaker */
} fallback_route;

/*
 * Makes one call down an ordered list of routes. Each route is tried in
 * turn with client_call (its own retries first); the call moves to the next
 * route when this one's retries are exhausted (a transient failure, see
 * backoff_is_transient) or its breaker is open (breaker_allow refuses; no
 * request is sent). A breaker hears each call's outcome (breaker_record).
 * A permanent failure (400, 401, 403, 404) ends the call at once: it is
 * the caller's to fix, and another provider would only hide it. params
 * should name no model, so that each route uses its client's model.
 *
 * *out is the result of the route that answered, or of the last route
 * tried; out->provider names it. When every breaker is open, out->status
 * is KIT_ERR_CIRCUIT_OPEN with a sentence in out->error. Returns
 * out->status. KIT_ERR_INVALID_ARG for NULL routes, params or out, or n 0.
 * The caller frees out with client_result_clear, on every path.
 */
kit_status fallback_call(const fallback_route *routes, size_t n,
                         const client_call_params *params, client_result *out);

#endif
