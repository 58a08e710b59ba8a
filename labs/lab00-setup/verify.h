/*
 * verify: lab 0, part A. Checks that everything a client needs is in
 * place, in the order an engineer would troubleshoot a new VPN peer: is the
 * key configured, can we build the client, does one real exchange work? Each
 * check prints one line; a failed check also prints what to do about it.
 *
 * Output contract (the tests read it): every line starts with one of
 *     "ok: "       a check passed
 *     "warning: "  something to fix that does not stop the check
 *     "error: "    the check failed; the next line or lines start "fix: "
 *     "reply: "    the model's answer
 *     "tokens: "   exactly "tokens: IN in, OUT out"
 * The functions write only to the stream the caller passes: verify_main.c
 * passes stdout, the tests pass a memory stream.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdio.h>

#include "kit_http.h"
#include "kit_status.h"

/* The prefix of a real Anthropic API key. */
#define VERIFY_ANTHROPIC_PREFIX "sk-ant-api03-"

/* What verify_run checks. Pointers are borrowed for the call. */
typedef struct verify_config {
    const char *key_var;            /* "ANTHROPIC_API_KEY" */
    const char *base_url;           /* NULL: kit_env_base_url("anthropic") */
    const kit_transport *transport; /* NULL: verify_run makes a libcurl one */
    const char *model;              /* "claude-haiku-4.5" */
    const char *prompt;             /* a short question */
    int max_tokens;                 /* > 0 */
    long timeout_ms;                /* the test call's; 0: the default */
} verify_config;

#define VERIFY_CONFIG_DEFAULT                                                  \
    {                                                                          \
        .key_var = "ANTHROPIC_API_KEY", .base_url = NULL, .transport = NULL,   \
        .model = "claude-haiku-4.5",                                           \
        .prompt = "In one sentence, what is BGP?", .max_tokens = 200,          \
        .timeout_ms = 0,                                                       \
    }

/*
 * Checks the raw value of the key variable var (value is getenv(var): NULL
 * when unset). Writes to out:
 *   - unset, empty or only whitespace: an "error: " line naming var, then
 *     "fix: " lines telling how to set it: `export var=...` in the shell, or
 *     a line var=... in a .env file (which .gitignore must exclude); returns
 *     KIT_ERR_NO_KEY.
 *   - leading or trailing whitespace (a copy-paste accident): a "warning: "
 *     line that says "whitespace".
 *   - no VERIFY_ANTHROPIC_PREFIX: a "warning: " line naming the prefix (a
 *     real key has it; a mock server key need not).
 *   - then "ok: " with var and the key redacted (kit_redact_key): the key
 *     itself is never printed.
 * Returns KIT_OK when the key is usable, warnings or not.
 */
kit_status verify_key(const char *var, const char *value, FILE *out);

/*
 * The whole verification: verify_key(cfg->key_var, getenv(...)); the key
 * read with kit_env_api_key (trimmed); the transport (cfg->transport, or a
 * libcurl transport created here and destroyed before returning); one
 * kit_anthropic_call. On success it prints "reply: TEXT" and "tokens: IN in,
 * OUT out". On failure it prints "error: " and "fix: " lines:
 *   KIT_ERR_AUTH     the fix names cfg->key_var and says to check or rotate
 *                    the key;
 *   KIT_ERR_CONNECT  the fix names the base URL and asks whether the mock
 *                    server is running ("make mock");
 *   KIT_ERR_TIMEOUT  the fix says the server did not answer in time ("timed
 *                    out") and to raise the timeout or check the network;
 *   anything else    kit_strerror and the server's message.
 * Stops at the first failed check and makes no call without a key.
 * Returns KIT_OK or the status of the failed step.
 */
kit_status verify_run(const verify_config *cfg, FILE *out);

#endif
