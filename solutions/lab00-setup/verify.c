/*
 * Lab 0, part A: the checks behind the verification program. Each check
 * says what it found in one line and, when it fails, what to do next, so
 * the first run of the kit tells a learner exactly what is missing.
 */
#include "verify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kit_chat.h"
#include "kit_env.h"
#include "kit_log.h"

enum { KEY_MAX = 256 };

kit_status verify_key(const char *var, const char *value, FILE *out)
{
    const char *start = value ? value : "";
    size_t len;
    char key[KEY_MAX], shown[32];

    if (!var || !out)
        return KIT_ERR_INVALID_ARG;

    while (isspace((unsigned char)*start))
        start++;
    len = strlen(start);
    while (len > 0 && isspace((unsigned char)start[len - 1]))
        len--;

    if (len == 0) {
        fprintf(out, "error: %s is %s\n", var,
                value ? "set but empty" : "not set");
        fprintf(out, "fix: set it in your shell: export %s=...\n", var);
        fprintf(out,
                "fix: or put the line %s=... in a .env file, and check "
                "that .gitignore lists .env\n",
                var);
        return KIT_ERR_NO_KEY;
    }
    if (start != value || start[len] != '\0')
        fprintf(out,
                "warning: %s has whitespace around the key (a copy-paste "
                "accident?); the kit trims it, but fix the value\n",
                var);
    if (strncmp(start, VERIFY_ANTHROPIC_PREFIX,
                strlen(VERIFY_ANTHROPIC_PREFIX)) != 0)
        fprintf(out,
                "warning: %s does not start with %s: fine for the mock "
                "server, but every real Anthropic key does\n",
                var, VERIFY_ANTHROPIC_PREFIX);

    /* Even a fake key is never printed whole: logs outlive terminals. */
    snprintf(key, sizeof(key), "%.*s", (int)len, start);
    fprintf(out, "ok: %s is set: %s\n", var,
            kit_redact_key(key, shown, sizeof(shown)));
    return KIT_OK;
}

/* Prints the failed call and the fix-it for the failures a learner meets
 * first. */
static void explain_failure(FILE *out, const verify_config *cfg,
                            const char *base_url, kit_status status,
                            const kit_attempt *info)
{
    fprintf(out, "error: the test call failed: %s", kit_strerror(status));
    if (info->message[0])
        fprintf(out, " (%s)", info->message);
    fprintf(out, "\n");

    switch (status) {
    case KIT_ERR_AUTH:
        fprintf(out,
                "fix: the server refused the key in %s: check that it "
                "was copied whole, or rotate it (create a new key in the "
                "console, revoke the old one)\n",
                cfg->key_var);
        break;
    case KIT_ERR_CONNECT:
        fprintf(out,
                "fix: nothing answered at %s: is the base URL right "
                "(ANTHROPIC_BASE_URL), and is the mock server running "
                "(make mock)?\n",
                base_url);
        break;
    case KIT_ERR_TIMEOUT:
        fprintf(out, "fix: the server timed out without answering: raise the "
                     "timeout, or check the path to it (proxy, firewall)\n");
        break;
    default:
        fprintf(out, "fix: read the server's message above; the status "
                     "tells which part of the request to look at\n");
        break;
    }
}

kit_status verify_run(const verify_config *cfg, FILE *out)
{
    kit_transport own = {0};
    const kit_transport *t;
    kit_endpoint ep;
    kit_chat_request req;
    kit_chat_reply reply = {0};
    kit_attempt info;
    char key[KEY_MAX], err[256];
    kit_status status;

    if (!cfg || !cfg->key_var || !out)
        return KIT_ERR_INVALID_ARG;

    /* Check 1: the key, before anything goes on the wire. */
    status = verify_key(cfg->key_var, getenv(cfg->key_var), out);
    if (status != KIT_OK)
        return status;
    status = kit_env_api_key(cfg->key_var, key, sizeof(key), err, sizeof(err));
    if (status != KIT_OK) {
        fprintf(out, "error: %s\n", err);
        return status;
    }

    /* Check 2: where the requests go, and a client to send them. */
    ep.base_url = cfg->base_url ? cfg->base_url : kit_env_base_url("anthropic");
    ep.api_key = key;
    fprintf(out, "ok: base URL %s\n", ep.base_url);
    t = cfg->transport;
    if (!t) {
        status = kit_curl_create(NULL, &own);
        if (status != KIT_OK) {
            fprintf(out, "error: could not create the HTTP client: %s\n",
                    kit_strerror(status));
            return status;
        }
        t = &own;
    }
    fprintf(out, "ok: HTTP client created\n");

    /* Check 3: one real exchange. */
    memset(&req, 0, sizeof(req));
    req.model = cfg->model;
    req.prompt = cfg->prompt;
    req.max_tokens = cfg->max_tokens;
    req.temperature = -1.0; /* the provider's default */
    req.timeout_ms = cfg->timeout_ms;
    status = kit_anthropic_call(t, &ep, &req, &reply, &info);
    if (status == KIT_OK) {
        fprintf(out, "ok: %s answered\n", reply.model);
        fprintf(out, "reply: %s\n", reply.text);
        fprintf(out, "tokens: %ld in, %ld out\n", reply.input_tokens,
                reply.output_tokens);
    } else {
        explain_failure(out, cfg, ep.base_url, status, &info);
    }

    kit_chat_reply_clear(&reply);
    kit_curl_destroy(&own); /* a no-op when the caller lent a transport */
    return status;
}
