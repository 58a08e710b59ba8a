/*
 * retry: lab 0's second program. Sends one prompt with the fixed-delay
 * retry of part B and prints each attempt. Against the mock server, a key
 * that spells a script shows the retries:
 *
 *     ANTHROPIC_API_KEY=mock-429-429-ok make run LAB=0 PROG=retry
 */
#include <stdio.h>

#include "fixed_retry.h"
#include "kit_env.h"

int main(int argc, char **argv)
{
    fixed_retry_config cfg = FIXED_RETRY_DEFAULT;
    kit_transport t = {0};
    kit_endpoint ep;
    kit_chat_request req = {
        .model = "claude-haiku-4.5",
        .prompt = argc > 1 ? argv[1] : "In one sentence, what is OSPF?",
        .max_tokens = 100,
        .temperature = -1.0,
    };
    kit_chat_reply reply = {0};
    kit_attempt info = {0};
    char key[256], err[256];
    kit_status status;
    int rc = 1;

    /* .env is optional here; verify reports its problems. */
    (void)kit_env_load_dotenv(".env", false, NULL, err, sizeof(err));
    status = kit_env_api_key("ANTHROPIC_API_KEY", key, sizeof(key), err,
                             sizeof(err));
    if (status != KIT_OK) {
        fprintf(stderr, "retry: %s\n", err);
        return 1;
    }
    ep.base_url = kit_env_base_url("anthropic");
    ep.api_key = key;
    status = kit_curl_create(NULL, &t);
    if (status != KIT_OK) {
        fprintf(stderr, "retry: %s\n", kit_strerror(status));
        return 1;
    }

    cfg.out = stdout;
    status = fixed_retry_call(&cfg, &t, &ep, &req, &reply, &info);
    if (status == KIT_OK) {
        printf("%s\n(%ld tokens in, %ld out)\n", reply.text, reply.input_tokens,
               reply.output_tokens);
        rc = 0;
    } else {
        printf("Failed: %s%s%s\n", kit_strerror(status),
               info.message[0] ? ": " : "", info.message);
    }
    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&t);
    return rc;
}
