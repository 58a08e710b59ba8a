/*
 * retry: lab 1's program. Sends one prompt through backoff_run and prints
 * every attempt the observer hears about. Against the mock server, a key
 * that spells a script shows the schedule:
 *
 *     ANTHROPIC_API_KEY=mock-429-503-timeout-ok make run LAB=1 PROG=retry
 */
#include <inttypes.h>
#include <stdio.h>

#include "backoff.h"
#include "kit_env.h"

/* What one attempt needs: backoff_run passes it back to attempt(). */
struct call {
    const kit_transport *t;
    const kit_endpoint *ep;
    const kit_chat_request *req;
    kit_chat_reply *reply;
};

static kit_status attempt(void *arg, kit_attempt *info)
{
    struct call *c = arg;

    /* A failed attempt leaves the reply empty; a success fills it once. */
    return kit_anthropic_call(c->t, c->ep, c->req, c->reply, info);
}

static void print_attempt(void *ctx, const backoff_event *ev)
{
    (void)ctx;
    printf("attempt %d/%d: %s", ev->attempt, ev->max_attempts,
           ev->status == KIT_OK ? "ok" : kit_strerror(ev->status));
    if (ev->verdict == BACKOFF_RETRY)
        printf(", waiting %" PRIu64 " ms%s\n", ev->wait_ms,
               ev->from_retry_after ? " (the server's retry-after)" : "");
    else
        printf(" -> %s\n", backoff_verdict_name(ev->verdict));
}

int main(int argc, char **argv)
{
    backoff_policy policy = BACKOFF_POLICY_DEFAULT;
    backoff_observer obs = {.on_attempt = print_attempt, .ctx = NULL};
    kit_curl_config curl_cfg = {.timeout_ms = 5000};
    kit_transport t = {0};
    kit_endpoint ep;
    kit_chat_request req = {
        .model = "claude-haiku-4.5",
        .prompt = argc > 1 ? argv[1] : "In one sentence, what is EIGRP?",
        .max_tokens = 100,
        .temperature = -1.0,
    };
    kit_chat_reply reply = {0};
    struct call call = {&t, &ep, &req, &reply};
    char key[256], err[256];
    kit_status status;

    (void)kit_env_load_dotenv(".env", false, NULL, err, sizeof(err));
    status = kit_env_api_key("ANTHROPIC_API_KEY", key, sizeof(key), err,
                             sizeof(err));
    if (status != KIT_OK) {
        fprintf(stderr, "retry: %s\n", err);
        return 1;
    }
    ep.base_url = kit_env_base_url("anthropic");
    ep.api_key = key;
    status = kit_curl_create(&curl_cfg, &t);
    if (status != KIT_OK) {
        fprintf(stderr, "retry: %s\n", kit_strerror(status));
        return 1;
    }

    status = backoff_run(&policy, NULL, attempt, &call, &obs);
    if (status == KIT_OK)
        printf("%s\n(%ld tokens in, %ld out)\n", reply.text, reply.input_tokens,
               reply.output_tokens);
    else
        printf("Failed: %s\n", kit_strerror(status));
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&t);
    return status == KIT_OK ? 0 : 1;
}
