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

kit_status client_create(const client_config *cfg, client **out, char *err,
                         size_t errlen)
{
    /* TODO(lab 3): check cfg, pick the provider (cfg->provider, else
     * &kit_provider_anthropic), then fill a calloc'ed client: the key from
     * cfg->api_key, else kit_env_api_key(cfg->key_env or the provider's
     * key_env, ...) which names the variable in err; the base URL (cfg's,
     * else kit_env_base_url(provider->name)); the model (cfg's, else the
     * provider's default_model), policy, timeout, clock and observer; a
     * kit_curl_create transport unless cfg->transport is given;
     * metrics_init. One out: label frees what was made on failure.
     * See README.md steps 1 and 2. */
    (void)cfg;
    (void)err;
    (void)errlen;
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

void client_destroy(client *c)
{
    /* TODO(lab 3): free the transport if the client made it, then the
     * client. NULL is a no-op. See README.md step 3. */
    (void)c;
}

/* TODO(lab 3): write the attempt function backoff_run calls, kit_status
 * attempt_once(void *arg, kit_attempt *info): one call of the client's
 * provider (c->provider->call, which is kit_anthropic_call for Anthropic),
 * counted with metrics_record_attempt. See README.md step 4. */

kit_status client_call(client *c, const client_call_params *p,
                       client_result *out)
{
    /* TODO(lab 3): zero *out, check the arguments, fill a call_state, then
     * timestamp, metrics_call_begin, backoff_run(attempt_once),
     * metrics_call_end, and fill *out (the provider's name; the text moves
     * from the reply to the result; a failure gets a sentence in
     * out->error).
     * See README.md steps 5 and 6. */
    (void)c;
    (void)p;
    if (out) {
        memset(out, 0, sizeof(*out));
        out->status = KIT_ERR_NOT_IMPLEMENTED;
    }
    return KIT_ERR_NOT_IMPLEMENTED;
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
    /* TODO(lab 3): copy the client's metrics into *out.
     * See README.md step 7. */
    (void)c;
    (void)out;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status client_reset_metrics(client *c)
{
    /* TODO(lab 3): zero the client's metrics, keeping its clock.
     * See README.md step 7. */
    (void)c;
    return KIT_ERR_NOT_IMPLEMENTED;
}
