/*
 * client: the resilient client, lab 3. One reusable object that holds the
 * key, one HTTP connection, the retry policy of lab 1 and the metrics of
 * lab 2, and turns a prompt into an answer or a clear failure:
 *
 *     client_config cfg = CLIENT_CONFIG_DEFAULT;
 *     client *c;
 *     char err[256];
 *     if (client_create(&cfg, &c, err, sizeof(err)) != KIT_OK) {
 *         fprintf(stderr, "%s\n", err);     names the missing variable
 *         return 1;
 *     }
 *     client_call_params p = {.prompt = "What is BGP?", .max_tokens = 300};
 *     client_result r;
 *     if (client_call(c, &p, &r) == KIT_OK)
 *         printf("%s\n(%ld+%ld tokens, $%.6f, %llu ms)\n", r.text,
 *                r.input_tokens, r.output_tokens, r.cost_usd,
 *                (unsigned long long)r.latency_ms);
 *     else
 *         fprintf(stderr, "%s\n", r.error);
 *     client_result_clear(&r);
 *     client_destroy(c);
 *
 * One call is lab 1's backoff_run over attempts of the provider's call
 * (kit_anthropic_call unless the config names another provider, see
 * kit_provider.h), timed and counted with lab 2's metrics. The words call,
 * attempt, retry and max_retries mean what backoff.h says they mean.
 *
 * Thread-safety: a client is not thread-safe (it owns one connection).
 * Use one client per thread; clients share nothing.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "kit_clock.h"
#include "kit_http.h"
#include "kit_provider.h"
#include "kit_status.h"
#include "metrics.h"

/* The variable the key is read from when neither the config nor its
 * provider names one. */
#define CLIENT_DEFAULT_KEY_ENV "ANTHROPIC_API_KEY"

/*
 * How to build a client. Start from CLIENT_CONFIG_DEFAULT and change what
 * you need. Every pointer is borrowed: strings only during client_create
 * (the client keeps copies), clock and transport for the client's life.
 */
typedef struct client_config {
    const kit_provider_ops *provider; /* NULL: kit_provider_anthropic */
    const char *api_key;    /* the key; NULL or "": read it from key_env */
    const char *key_env;    /* NULL: the provider's (ANTHROPIC_API_KEY) */
    const char *base_url;   /* NULL: kit_env_base_url(provider name), i.e. */
                            /* ANTHROPIC_BASE_URL when set, else the real API */
    const char *model;      /* for calls whose params name no model; */
                            /* NULL: the provider's default_model */
    backoff_policy retry;   /* max_retries, initial and max delay, ... */
    long timeout_ms;        /* total time of one attempt, > 0 */
    const kit_clock *clock; /* NULL: the real clock */
    const kit_transport *transport; /* NULL: the client makes its own */
                                    /* libcurl transport (one connection) */
    backoff_observer observer;      /* optional: hears every attempt */
} client_config;

/* The course's client: Anthropic's claude-haiku-4.5, 3 retries from 1 s
 * capped at 60 s, 60 s per attempt. */
#define CLIENT_CONFIG_DEFAULT                                                  \
    {                                                                          \
        .provider = NULL, .api_key = NULL, .key_env = NULL, .base_url = NULL,  \
        .model = NULL, .retry = BACKOFF_POLICY_DEFAULT, .timeout_ms = 60000,   \
        .clock = NULL, .transport = NULL, .observer = {NULL, NULL},            \
    }

/* What to ask. Borrowed for the duration of client_call. */
typedef struct client_call_params {
    const char *prompt; /* the user's message; required */
    const char *model;  /* NULL: the config's model */
    const char *system; /* the system prompt, or NULL for none */
    int max_tokens;     /* > 0: the longest answer to pay for */
    double temperature; /* 0.0 to 1.0; negative: the provider's default */
} client_call_params;

/* What one call gave. client_call always writes it, success or failure. */
typedef struct client_result {
    kit_status status; /* KIT_OK, or why the call failed */
    char *text;        /* the answer; owned, see client_result_clear; */
                       /* NULL on failure */
    char provider[16]; /* the provider's name: "anthropic", "openai"... */
    char model[64];    /* the model that answered, as the reply names it */
    long input_tokens;
    long output_tokens;
    double cost_usd;     /* from lab 2's price table; 0 on failure */
    uint64_t latency_ms; /* the whole call: attempts and waits */
    int64_t timestamp_s; /* wall clock when the call started, Unix seconds */
    int attempts;        /* HTTP attempts this call made */
    long http_status;    /* the last attempt's status; 0 when none came */
    char request_id[96]; /* the last attempt's request id, or "" */
    char error[256];     /* on failure: one sentence for a human; else "" */
} client_result;

typedef struct client client; /* opaque */

/*
 * Builds a client from cfg for one provider (cfg->provider, NULL for
 * Anthropic): copies the key (cfg->api_key, else the variable cfg->key_env,
 * else the provider's key_env), the base URL (cfg->base_url, else
 * kit_env_base_url of the provider's name) and the model (cfg->model, else
 * the provider's default_model); takes the retry policy and timeout;
 * creates a libcurl transport unless cfg->transport is given. On success
 * *out is the caller's: free it with client_destroy.
 * On failure *out is NULL and err (when not NULL) holds one sentence:
 *   KIT_ERR_NO_KEY       no key in cfg and the variable is unset or empty;
 *                        err names the variable (ANTHROPIC_API_KEY)
 *   KIT_ERR_INVALID_ARG  NULL cfg or out, retry.max_retries < 0,
 *                        retry.multiplier < 1, timeout_ms <= 0, no model,
 *                        no base URL (a provider kit_env_base_url does not
 *                        know needs cfg->base_url), or a key or URL too long
 *   KIT_ERR_NO_MEMORY    and the transport's own failures.
 */
kit_status client_create(const client_config *cfg, client **out, char *err,
                         size_t errlen);

/* Frees the client and the transport it made. NULL is a no-op. */
void client_destroy(client *c);

/*
 * Makes one call: retries transient failures on the config's policy
 * (honouring retry-after), returns at once on a permanent one, and counts
 * the call and every attempt in the client's metrics. Writes *out in full
 * (zeroed first) and returns out->status:
 *   KIT_OK                 text, model, tokens, cost, latency, timestamp
 *   KIT_ERR_AUTH, KIT_ERR_BAD_REQUEST, KIT_ERR_PERMISSION,
 *   KIT_ERR_NOT_FOUND      permanent: one attempt, no retry
 *   KIT_ERR_RATE_LIMIT, KIT_ERR_SERVER, KIT_ERR_OVERLOADED,
 *   KIT_ERR_TIMEOUT, KIT_ERR_RESET, KIT_ERR_CONNECT, KIT_ERR_NETWORK
 *                          transient, still failing after max_retries
 *                          retries (or a retry-after beyond the bound)
 *   KIT_ERR_INVALID_ARG    NULL c, p, out or prompt, or max_tokens <= 0
 *                          (no attempt made, nothing counted)
 * On failure out->error says what happened in a sentence that names the
 * HTTP status when there was one ("HTTP 401 authentication_error: ...").
 * out->provider names the client's provider on every path. Whatever the
 * provider, the retries, the metrics and the result are the same.
 * The caller frees out->text with client_result_clear, on every path.
 */
kit_status client_call(client *c, const client_call_params *p,
                       client_result *out);

/* Frees what r owns and zeroes it. NULL is a no-op. */
void client_result_clear(client_result *r);

/*
 * Copies the client's metrics (lab 2) into *out: every call and attempt
 * since client_create or the last client_reset_metrics.
 * KIT_ERR_INVALID_ARG for a NULL argument.
 */
kit_status client_get_metrics(const client *c, metrics *out);

/* Zeroes the client's metrics, keeping the clock. KIT_ERR_INVALID_ARG: NULL. */
kit_status client_reset_metrics(client *c);

#endif
