/*
 * The resilient client of lab 3: lab 1's retry engine around one attempt of
 * the configured provider (Anthropic unless told otherwise), lab 2's
 * metrics around the whole call, and one connection kept for the client's
 * life.
 */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_chat.h"
#include "kit_env.h"

struct client {
    const kit_provider_ops *provider; /* static: never freed */
    char api_key[256];
    char base_url[512];
    char model[64];
    backoff_policy retry;
    long timeout_ms;
    const kit_clock *clock; /* borrowed; NULL: the real clock */
    backoff_observer observer;
    kit_transport own_transport;    /* ours to destroy, when we made it */
    const kit_transport *transport; /* &own_transport or the caller's */
    metrics metrics;
};

/* What one call's attempts share: backoff_run hands it to each attempt. */
typedef struct call_state {
    client *c;
    kit_endpoint endpoint;
    kit_chat_request request;
    kit_chat_reply reply; /* filled by the attempt that succeeds */
    kit_attempt last;     /* what the latest attempt reported */
    int attempts;
} call_state;

/* snprintf into a fixed field, reporting whether the value fitted. */
static bool copy_field(char *dst, size_t n, const char *src)
{
    int len = snprintf(dst, n, "%s", src);

    return len >= 0 && (size_t)len < n;
}

static kit_status fail_create(kit_status st, char *err, size_t errlen,
                              const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", why);
    return st;
}

kit_status client_create(const client_config *cfg, client **out, char *err,
                         size_t errlen)
{
    client *c = NULL;
    const kit_provider_ops *provider;
    const char *base_url, *model, *key_env;
    kit_status st;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                           "client_create: out is NULL");
    *out = NULL;
    if (!cfg)
        return fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                           "client_create: cfg is NULL; start from "
                           "CLIENT_CONFIG_DEFAULT");
    if (cfg->retry.max_retries < 0 || cfg->retry.multiplier < 1 ||
        cfg->timeout_ms <= 0)
        return fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                           "client_create: the config needs max_retries >= "
                           "0, multiplier >= 1 and timeout_ms > 0; start "
                           "from CLIENT_CONFIG_DEFAULT");
    /* Every provider-specific default comes from the provider's table: the
     * rest of the client never asks which provider it has. */
    provider = cfg->provider ? cfg->provider : &kit_provider_anthropic;
    if (!provider->name || !provider->call)
        return fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                           "client_create: the provider's table needs a "
                           "name and a call function");
    model = cfg->model ? cfg->model : provider->default_model;
    if (!model || !model[0])
        return fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                           "client_create: the config names no model");
    key_env = cfg->key_env        ? cfg->key_env
              : provider->key_env ? provider->key_env
                                  : CLIENT_DEFAULT_KEY_ENV;

    c = calloc(1, sizeof(*c));
    if (!c)
        return fail_create(KIT_ERR_NO_MEMORY, err, errlen,
                           "client_create: out of memory");

    /* The key: the config's, else the environment's (level 2 of the
     * course: never in source code). kit_env_api_key names the variable
     * in err when it is missing. */
    if (cfg->api_key && cfg->api_key[0]) {
        if (!copy_field(c->api_key, sizeof(c->api_key), cfg->api_key)) {
            st = fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                             "client_create: the API key is too long");
            goto out_free;
        }
    } else {
        st = kit_env_api_key(key_env, c->api_key, sizeof(c->api_key), err,
                             errlen);
        if (st != KIT_OK)
            goto out_free;
    }

    base_url = cfg->base_url ? cfg->base_url : kit_env_base_url(provider->name);
    if (!base_url) {
        st = fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                         "client_create: no base URL for this provider; "
                         "set cfg->base_url");
        goto out_free;
    }
    if (!copy_field(c->base_url, sizeof(c->base_url), base_url) ||
        !copy_field(c->model, sizeof(c->model), model)) {
        st = fail_create(KIT_ERR_INVALID_ARG, err, errlen,
                         "client_create: the base URL or the model name is "
                         "too long");
        goto out_free;
    }
    c->provider = provider;
    c->retry = cfg->retry;
    c->timeout_ms = cfg->timeout_ms;
    c->clock = cfg->clock;
    c->observer = cfg->observer;

    if (cfg->transport) {
        c->transport = cfg->transport;
    } else {
        /* One transport, one curl handle, for every call: the TCP (and
         * TLS) connection is set up once and reused. */
        kit_curl_config curl_cfg = {
            .connect_timeout_ms =
                cfg->timeout_ms < 10000 ? cfg->timeout_ms : 10000,
            .timeout_ms = cfg->timeout_ms,
        };

        st = kit_curl_create(&curl_cfg, &c->own_transport);
        if (st != KIT_OK) {
            fail_create(st, err, errlen,
                        "client_create: could not set up libcurl");
            goto out_free;
        }
        c->transport = &c->own_transport;
    }
    metrics_init(&c->metrics, c->clock);
    *out = c;
    return KIT_OK;

out_free:
    free(c);
    return st;
}

void client_destroy(client *c)
{
    if (!c)
        return;
    if (c->transport == &c->own_transport)
        kit_curl_destroy(&c->own_transport);
    /* The key was a secret: do not leave it in freed memory. */
    memset(c->api_key, 0, sizeof(c->api_key));
    free(c);
}

/* One attempt, as backoff_run calls it: one HTTP exchange, counted. */
static kit_status attempt_once(void *arg, kit_attempt *info)
{
    call_state *cs = arg;
    kit_status st;

    kit_chat_reply_clear(&cs->reply);
    st = cs->c->provider->call(cs->c->transport, &cs->endpoint, &cs->request,
                               &cs->reply, info);
    metrics_record_attempt(&cs->c->metrics, info);
    cs->last = *info;
    cs->attempts++;
    return st;
}

/*
 * The sentence a failed call leaves in out->error: the HTTP status and the
 * server's own words when an answer came, else what the transport said,
 * and whether retrying was tried. The server's message is cut at 120
 * characters so the sentence always ends in the buffer.
 */
static void describe_failure(const call_state *cs, kit_status st, char *buf,
                             size_t n)
{
    const kit_attempt *a = &cs->last;
    const char *verdict = backoff_is_transient(st)
                              ? "still failing after"
                              : "permanent, not retried; made";
    const char *plural = cs->attempts == 1 ? "" : "s";

    if (a->http_status != 0)
        snprintf(buf, n, "HTTP %ld %.47s: %.120s (%s %d attempt%s)",
                 a->http_status,
                 a->error_type[0] ? a->error_type : kit_strerror(st),
                 a->message[0] ? a->message : kit_strerror(st), verdict,
                 cs->attempts, plural);
    else
        snprintf(buf, n, "%s: %.120s (%s %d attempt%s)", kit_strerror(st),
                 a->message[0] ? a->message : "no HTTP response", verdict,
                 cs->attempts, plural);
}

kit_status client_call(client *c, const client_call_params *p,
                       client_result *out)
{
    call_state cs;
    metrics_call timing;
    kit_status st;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    out->status = KIT_ERR_INVALID_ARG;
    if (c)
        snprintf(out->provider, sizeof(out->provider), "%s", c->provider->name);
    if (!c || !p || !p->prompt || p->max_tokens <= 0) {
        snprintf(out->error, sizeof(out->error),
                 "client_call: needs a client, a prompt and max_tokens > 0");
        return out->status;
    }

    memset(&cs, 0, sizeof(cs));
    cs.c = c;
    cs.endpoint.base_url = c->base_url;
    cs.endpoint.api_key = c->api_key;
    cs.request.model = p->model ? p->model : c->model;
    cs.request.system = p->system;
    cs.request.prompt = p->prompt;
    cs.request.max_tokens = p->max_tokens;
    cs.request.temperature = p->temperature;
    cs.request.timeout_ms = c->timeout_ms;

    out->timestamp_s = kit_clock_wall_s(c->clock);
    metrics_call_begin(&c->metrics, &timing);
    st = backoff_run(&c->retry, c->clock, attempt_once, &cs,
                     c->observer.on_attempt ? &c->observer : NULL);
    if (st == KIT_OK)
        metrics_call_end(&c->metrics, &timing, st, cs.reply.model,
                         cs.reply.input_tokens, cs.reply.output_tokens);
    else
        metrics_call_end(&c->metrics, &timing, st, NULL, 0, 0);

    out->status = st;
    out->latency_ms = timing.latency_ms;
    out->attempts = cs.attempts;
    out->http_status = cs.last.http_status;
    snprintf(out->request_id, sizeof(out->request_id), "%s",
             cs.last.request_id);
    if (st == KIT_OK) {
        out->text = cs.reply.text; /* the result takes ownership */
        cs.reply.text = NULL;
        snprintf(out->model, sizeof(out->model), "%s", cs.reply.model);
        out->input_tokens = cs.reply.input_tokens;
        out->output_tokens = cs.reply.output_tokens;
        out->cost_usd = timing.cost_usd;
    } else {
        describe_failure(&cs, st, out->error, sizeof(out->error));
    }
    kit_chat_reply_clear(&cs.reply);
    return st;
}

void client_result_clear(client_result *r)
{
    if (!r)
        return;
    free(r->text);
    memset(r, 0, sizeof(*r));
}

kit_status client_get_metrics(const client *c, metrics *out)
{
    if (!c || !out)
        return KIT_ERR_INVALID_ARG;
    *out = c->metrics;
    return KIT_OK;
}

kit_status client_reset_metrics(client *c)
{
    if (!c)
        return KIT_ERR_INVALID_ARG;
    return metrics_reset(&c->metrics);
}
