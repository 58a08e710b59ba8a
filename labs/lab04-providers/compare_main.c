/*
 * compare: the same prompt to every provider, side by side. Lab 4's
 * program: one client per provider, each built from the same config but
 * for its provider, then one call each, then a table of text, tokens, cost
 * and latency.
 *
 *     make run LAB=4 PROG=compare                  (against the mock server)
 *     build/lab/lab04/compare "What is OSPF?"      (the keys and base URLs
 *                                                   from the environment)
 *     build/lab/lab04/compare --stream "What is BGP?"
 *
 * A provider whose key is not set is skipped with the fix-it message, so
 * the program is useful with one key as well as three.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "kit_env.h"
#include "kit_log.h"
#include "providers.h"

#define DEFAULT_PROMPT "What is BGP, in two sentences?"

/* Prints streamed pieces as they arrive. */
static void print_piece(void *ctx, const char *piece, size_t len)
{
    (void)ctx;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
}

/* The one streamed attempt of extra B, no retries: what arrives, as it
 * arrives. */
static int stream_one(const kit_provider_ops *p, const char *prompt)
{
    char key[256], err[256];
    kit_transport t = {0};
    kit_endpoint ep;
    kit_chat_request req = {.model = p->default_model,
                            .prompt = prompt,
                            .max_tokens = 300,
                            .temperature = -1};
    kit_chat_reply reply = {0};
    kit_attempt info;
    kit_status st;

    if (kit_env_api_key(p->key_env, key, sizeof(key), err, sizeof(err)) !=
        KIT_OK) {
        printf("  skipped: %s\n", err);
        return 0;
    }
    if (kit_curl_create(NULL, &t) != KIT_OK) {
        printf("  could not set up libcurl\n");
        return 1;
    }
    ep.base_url = kit_env_base_url(p->name);
    ep.api_key = key;
    printf("  ");
    st = p->stream(&t, &ep, &req, print_piece, NULL, &reply, &info);
    if (st == KIT_OK)
        printf("\n  [%ld tokens in, %ld out, %s]\n", reply.input_tokens,
               reply.output_tokens, reply.stop_reason);
    else
        printf("failed: %s (HTTP %ld %s: %s)\n", kit_strerror(st),
               info.http_status, info.error_type, info.message);
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&t);
    memset(key, 0, sizeof(key));
    return st == KIT_OK ? 0 : 1;
}

static int call_one(const kit_provider_ops *p, const char *prompt)
{
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    client_call_params params = {
        .prompt = prompt, .max_tokens = 300, .temperature = -1};
    client_result r = {0};
    char err[256];
    double in_price, out_price;
    client *c = NULL;
    int failed = 0;

    /* The only line that differs between providers. */
    cfg.provider = p;
    if (client_create(&cfg, &c, err, sizeof(err)) != KIT_OK) {
        printf("  skipped: %s\n", err);
        return 0;
    }
    if (client_call(c, &params, &r) == KIT_OK) {
        printf("  %s\n", r.text);
        printf("  model %s: %ld tokens in, %ld out, $%.6f, %llu ms, "
               "%d attempt%s\n",
               r.model, r.input_tokens, r.output_tokens, r.cost_usd,
               (unsigned long long)r.latency_ms, r.attempts,
               r.attempts == 1 ? "" : "s");
        if (provider_pricing(p, r.model, &in_price, &out_price) == KIT_OK)
            printf("  prices: $%.3f in, $%.3f out per million tokens\n",
                   in_price, out_price);
    } else {
        printf("  failed: %s\n", r.error);
        failed = 1;
    }
    client_result_clear(&r);
    client_destroy(c);
    return failed;
}

int main(int argc, char **argv)
{
    const char *prompt = DEFAULT_PROMPT;
    const kit_provider_ops *p;
    int stream = 0, failures = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--stream") == 0)
            stream = 1;
        else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: %s [--stream] [PROMPT]\n", argv[0]);
            return 0;
        } else
            prompt = argv[i];
    }
    kit_log_set_sink(stderr, KIT_LOG_WARN);
    kit_env_load_dotenv(".env", false, NULL, NULL, 0); /* optional */

    printf("prompt: %s\n", prompt);
    for (size_t i = 0; (p = provider_at(i)) != NULL; i++) {
        printf("\n== %s (%s, key from %s)\n", p->name, p->default_model,
               p->key_env);
        if (stream && p->stream)
            failures += stream_one(p, prompt);
        else
            failures += call_one(p, prompt);
    }
    return failures ? 1 : 0;
}
