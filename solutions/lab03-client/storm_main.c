/*
 * storm: runs the lab 3 client through a scripted storm on the mock server
 * and shows, attempt by attempt, what the client did about it. `make demo`
 * runs it on the reference client; `make run LAB=3 PROG=storm` on yours
 * (start `make mock` in another terminal and export ANTHROPIC_BASE_URL and
 * a mock key first, see the README).
 *
 * The storm is a script the mock server plays for our key, one step per
 * request: two 429s with retry-after, a 503, a 529, a timeout and a reset
 * around them, then answers; the last call meets a 401. Everything here is
 * one program talking to the client through its public header: exactly
 * what a NOC tool would do.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "kit_env.h"
#include "kit_http.h"
#include "metrics.h"

/* One request per step. Call 1 meets the first seven steps, call 2 the
 * eighth, call 3 the ninth. */
static const char storm_script[] = "{\"steps\":["
                                   "{\"status\":429,\"retry_after_ms\":120},"
                                   "{\"status\":503},"
                                   "{\"status\":529},"
                                   "{\"fault\":\"timeout\"},"
                                   "{\"fault\":\"reset\"},"
                                   "{\"status\":429,\"retry_after_ms\":50},"
                                   "{\"status\":200},"
                                   "{\"status\":200},"
                                   "{\"status\":401}"
                                   "],\"then\":\"ok\"}";

/* What each call should end as, so the program can say whether the client
 * behaved: the exit status is 0 only when all three did. */
static const struct storm_call {
    const char *title;
    const char *prompt;
    kit_status expect;
    int attempts;
} storm_calls[] = {
    {"the storm: 429, 503, 529, timeout, reset, 429, then an answer",
     "Why does BGP need a keepalive timer?", KIT_OK, 7},
    {"calm again", "What is OSPF, in one paragraph?", KIT_OK, 1},
    {"the key is revoked: 401 must not be retried", "Explain VLAN trunking.",
     KIT_ERR_AUTH, 1},
};

#define N_CALLS (sizeof(storm_calls) / sizeof(storm_calls[0]))

/* The demo sends its key to whatever ANTHROPIC_BASE_URL names and scripts
 * failures for it: refuse anything that could be a real key. */
static bool is_mock_key(const char *key)
{
    if (strncmp(key, "mock-", 5) != 0 && strncmp(key, "test-", 5) != 0)
        return false;
    return strspn(key,
                  "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(key);
}

/* PUT /_mock/scripts/{key}: tell the mock server what to do to our key. */
static kit_status install_script(const char *base_url, const char *key)
{
    static const char *const headers[] = {"Content-Type: application/json",
                                          NULL};
    kit_transport t = {0};
    kit_http_response resp = {0};
    char url[640];
    kit_status st;

    snprintf(url, sizeof(url), "%s/_mock/scripts/%s", base_url, key);
    st = kit_curl_create(NULL, &t);
    if (st != KIT_OK)
        return st;
    kit_http_request req = {
        .method = "PUT",
        .url = url,
        .headers = headers,
        .body = storm_script,
        .body_len = strlen(storm_script),
        .timeout_ms = 5000,
    };
    st = kit_transport_send(&t, &req, &resp);
    if (st == KIT_OK && resp.status != 200) {
        fprintf(stderr,
                "storm: the mock server refused the script (HTTP "
                "%ld): %s\n",
                resp.status, resp.body ? resp.body : "");
        st = KIT_ERR_HTTP;
    }
    kit_http_response_clear(&resp);
    kit_curl_destroy(&t);
    return st;
}

/* What an attempt that got no HTTP answer ran into, in a few words. */
static const char *wire_failure(kit_status st)
{
    switch (st) {
    case KIT_ERR_TIMEOUT:
        return "timed out";
    case KIT_ERR_RESET:
        return "connection reset";
    case KIT_ERR_CONNECT:
        return "connection refused";
    default:
        return kit_strerror(st);
    }
}

/*
 * The observer: backoff_run calls it after every attempt, before waiting.
 * ctx is the client's retry policy, so a backoff wait can be shown as the
 * formula that produced it.
 */
static void print_attempt(void *ctx, const backoff_event *ev)
{
    const backoff_policy *p = ctx;
    char what[64];

    if (ev->info && ev->info->http_status != 0)
        snprintf(what, sizeof(what), "HTTP %ld %s", ev->info->http_status,
                 ev->info->error_type);
    else
        snprintf(what, sizeof(what), "%s", wire_failure(ev->status));

    printf("  attempt %d/%d  %-26s ", ev->attempt, ev->max_attempts, what);
    if (ev->verdict != BACKOFF_RETRY)
        printf("%s\n", backoff_verdict_name(ev->verdict));
    else if (ev->from_retry_after)
        printf("wait %4llu ms (the server's retry-after)\n",
               (unsigned long long)ev->wait_ms);
    else
        printf("wait %4llu ms (backoff: %llu x %u^%d, capped at %llu)\n",
               (unsigned long long)ev->wait_ms,
               (unsigned long long)p->initial_delay_ms, p->multiplier,
               ev->attempt - 1, (unsigned long long)p->max_delay_ms);
    fflush(stdout);
}

/* Prints the answer's first line, shortened to fit one line. */
static void print_answer(const char *text)
{
    size_t len = strcspn(text, "\n");

    if (len > 66)
        printf("     \"%.63s...\"\n", text);
    else
        printf("     \"%.*s\"\n", (int)len, text);
}

int main(void)
{
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    client *c = NULL;
    metrics m;
    char err[256], key[128];
    const char *base_url = getenv("ANTHROPIC_BASE_URL");
    int as_scripted = 0;
    kit_status st;

    /* 1. This program makes failures happen, so it only ever talks to the
     *    mock server, with a mock key. */
    if (!base_url || !*base_url) {
        fprintf(stderr, "storm: ANTHROPIC_BASE_URL is not set. Run `make "
                        "demo`, or start `make mock` and export "
                        "ANTHROPIC_BASE_URL=http://127.0.0.1:8080 and "
                        "ANTHROPIC_API_KEY=mock-key-storm.\n");
        return 2;
    }
    st = kit_env_api_key("ANTHROPIC_API_KEY", key, sizeof(key), err,
                         sizeof(err));
    if (st != KIT_OK) {
        fprintf(stderr, "storm: %s\n", err);
        return 2;
    }
    if (!is_mock_key(key)) {
        fprintf(stderr, "storm: ANTHROPIC_API_KEY does not look like a mock "
                        "key (mock-... or test-...); this demo scripts "
                        "failures on the mock server and never sends a real "
                        "key. Try ANTHROPIC_API_KEY=mock-key-storm.\n");
        return 2;
    }

    /* 2. Script the storm for our key. */
    st = install_script(base_url, key);
    if (st != KIT_OK) {
        fprintf(stderr,
                "storm: could not script the mock server at %s: "
                "%s\n",
                base_url, kit_strerror(st));
        return 1;
    }
    printf("storm: the mock server at %s will answer our key with:\n"
           "  %s\n\n",
           base_url, storm_script);

    /* 3. One client for every call: the key comes from ANTHROPIC_API_KEY,
     *    the URL from ANTHROPIC_BASE_URL. Small delays, so the storm passes
     *    in seconds: 100 ms doubling to a 400 ms cap, 300 ms per attempt. */
    cfg.retry.max_retries = 6;
    cfg.retry.initial_delay_ms = 100;
    cfg.retry.max_delay_ms = 400;
    cfg.retry.max_retry_after_ms = 2000;
    cfg.timeout_ms = 300;
    cfg.observer.on_attempt = print_attempt;
    cfg.observer.ctx = &cfg.retry;
    st = client_create(&cfg, &c, err, sizeof(err));
    if (st != KIT_OK) {
        fprintf(stderr, "storm: client_create failed: %s\n",
                err[0] ? err : kit_strerror(st));
        return 1;
    }

    /* 4. The calls, each attempt printed by the observer as it happens. */
    for (size_t i = 0; i < N_CALLS; i++) {
        const struct storm_call *sc = &storm_calls[i];
        client_call_params p = {
            .prompt = sc->prompt,
            .max_tokens = 120,
            .temperature = 0.0,
        };
        client_result r;
        bool ok;

        printf("call %zu: %s\n", i + 1, sc->title);
        fflush(stdout);
        client_call(c, &p, &r);
        if (r.status == KIT_OK) {
            printf("  => ok in %llu ms after %d attempt%s: %ld in + %ld out "
                   "tokens, $%.6f\n",
                   (unsigned long long)r.latency_ms, r.attempts,
                   r.attempts == 1 ? "" : "s", r.input_tokens, r.output_tokens,
                   r.cost_usd);
            print_answer(r.text ? r.text : "");
        } else {
            printf("  => failed in %llu ms: %s\n",
                   (unsigned long long)r.latency_ms, r.error);
        }
        ok = r.status == sc->expect && r.attempts == sc->attempts;
        if (ok)
            as_scripted++;
        else
            printf("  !! expected %s after %d attempt%s, got %s after %d\n",
                   kit_strerror(sc->expect), sc->attempts,
                   sc->attempts == 1 ? "" : "s", kit_strerror(r.status),
                   r.attempts);
        printf("\n");
        client_result_clear(&r);
    }

    /* 5. What it all cost: lab 2's summary of the client's metrics. */
    printf("metrics:\n");
    if (client_get_metrics(c, &m) == KIT_OK)
        metrics_print(&m, stdout);
    else
        printf("  (client_get_metrics is not implemented yet)\n");
    client_destroy(c);

    printf("\nstorm: %d of %zu calls ended as scripted\n", as_scripted,
           (size_t)N_CALLS);
    return as_scripted == (int)N_CALLS ? 0 : 1;
}
