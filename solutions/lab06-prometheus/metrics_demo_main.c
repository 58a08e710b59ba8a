/*
 * metrics_demo: runs a short workload through the lab 3 client against the
 * mock server, records every call and attempt in a lab 6 registry, and
 * serves the metrics at http://localhost:8000/metrics until Ctrl-C (or for
 * --seconds N), so a real Prometheus can scrape it.
 *
 *     make mock                                  (another terminal)
 *     export ANTHROPIC_BASE_URL=http://127.0.0.1:8080
 *     make run LAB=6 PROG=metrics_demo
 *     curl -s localhost:8000/metrics
 *
 * Options: --port P (default 8000; 0 picks a free port), --seconds N (serve
 * for N seconds, then exit), --rounds N (times the workload runs, default
 * 3). The keys are mock-server shorthand keys, so the mock server plays a
 * 429 or a 503 on cue; the program refuses to run against a real API.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "kit_clock.h"
#include "prom.h"
#include "prom_server.h"

/* One call of the workload: the model asked for and the key that tells
 * the mock server what to do ("-repeat": the same again every round). */
static const struct work {
    const char *model;
    const char *key;
    const char *prompt;
} workload[] = {
    {"claude-haiku-4.5", "mock-ok-repeat", "What is a BGP keepalive?"},
    {"claude-haiku-4.5", "mock-429r100ms-ok-repeat", "Explain OSPF areas."},
    {"claude-sonnet-4.5", "mock-503-ok-repeat", "Summarise this ACL."},
    {"claude-haiku-4.5", "mock-429r50ms-429r50ms-ok-repeat",
     "What does a 429 mean?"},
    {"claude-opus-4.5", "mock-529-ok-repeat", "Review this QoS policy."},
    {"claude-haiku-4.5", "mock-401-repeat", "This key is revoked."},
};

#define N_WORK (sizeof(workload) / sizeof(workload[0]))

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* What the backoff observer needs to label an attempt. */
struct attempt_ctx {
    prom_registry *reg;
    const char *model;
};

/* Lab 1's observer hook: every attempt, retries and 429s included. */
static void record_attempt(void *ctx, const backoff_event *ev)
{
    const struct attempt_ctx *a = ctx;

    prom_record_attempt(a->reg, a->model, ev->attempt, ev->status);
}

/* One call through a client made for this key; the call lands in reg. */
static void run_one(prom_registry *reg, const struct work *w)
{
    struct attempt_ctx actx = {reg, w->model};
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    client_call_params p = {.prompt = w->prompt,
                            .model = w->model,
                            .max_tokens = 200,
                            .temperature = -1};
    client_result res = {0};
    client *c = NULL;
    char err[256];
    kit_status st;

    cfg.api_key = w->key;
    cfg.model = w->model;
    cfg.retry.initial_delay_ms = 100; /* a demo: short waits */
    cfg.retry.max_delay_ms = 1000;
    cfg.timeout_ms = 5000;
    cfg.observer.on_attempt = record_attempt;
    cfg.observer.ctx = &actx;
    st = client_create(&cfg, &c, err, sizeof(err));
    if (st != KIT_OK) {
        fprintf(stderr, "metrics_demo: %s\n", err);
        return;
    }
    st = client_call(c, &p, &res);
    prom_call call = {
        .model = w->model,
        .status = st,
        .duration_s = (double)res.latency_ms / 1000.0,
        .input_tokens = res.input_tokens,
        .output_tokens = res.output_tokens,
        .cost_usd = res.cost_usd,
    };
    prom_record_call(reg, &call);
    printf("  %-18s %-36s %-10s %d attempt%s, %.2f s, $%.6f\n", w->model,
           w->key, prom_status_label(st), res.attempts,
           res.attempts == 1 ? "" : "s", call.duration_s, res.cost_usd);
    client_result_clear(&res);
    client_destroy(c);
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--port P] [--seconds N] [--rounds N]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    prom_server_config scfg = {.port = PROM_DEFAULT_PORT};
    long seconds = -1, rounds = 3;
    prom_registry *reg = NULL;
    prom_server *srv = NULL;
    struct sigaction sa;
    kit_status st;
    uint64_t until_ms = 0;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--port") == 0)
            scfg.port = (unsigned short)atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0)
            seconds = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--rounds") == 0)
            rounds = atol(argv[++i]);
        else
            return usage(argv[0]);
    }
    /* The keys below script the mock server; sent to a real API they are
     * only noise in someone's logs. */
    if (!getenv("ANTHROPIC_BASE_URL")) {
        fprintf(stderr,
                "metrics_demo: ANTHROPIC_BASE_URL is not set. Start the mock "
                "server (make mock) and\n  export "
                "ANTHROPIC_BASE_URL=http://127.0.0.1:8080\n");
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    st = prom_registry_create(&reg);
    if (st != KIT_OK) {
        fprintf(stderr, "metrics_demo: could not create the registry: %s\n",
                kit_strerror(st));
        goto out;
    }
    st = prom_server_start(&scfg, reg, &srv);
    if (st != KIT_OK) {
        fprintf(stderr, "metrics_demo: could not serve on port %u: %s%s\n",
                (unsigned)scfg.port, kit_strerror(st),
                st == KIT_ERR_IO ? " (in use? try --port 0)" : "");
        goto out;
    }
    printf("metrics at http://localhost:%u/metrics\n",
           (unsigned)prom_server_port(srv));
    fflush(stdout);

    for (long r = 1; r <= rounds && !stop_requested; r++) {
        printf("round %ld of %ld against %s\n", r, rounds,
               getenv("ANTHROPIC_BASE_URL"));
        for (size_t i = 0; i < N_WORK && !stop_requested; i++)
            run_one(reg, &workload[i]);
        fflush(stdout);
    }

    if (seconds >= 0)
        printf("serving for %ld s more\n", seconds);
    else
        printf("serving until Ctrl-C; try:\n  curl -s "
               "http://localhost:%u/metrics | grep -v '^#'\n",
               (unsigned)prom_server_port(srv));
    fflush(stdout);
    until_ms =
        kit_clock_now_ms(NULL) + (uint64_t)(seconds > 0 ? seconds : 0) * 1000u;
    while (!stop_requested &&
           (seconds < 0 || kit_clock_now_ms(NULL) < until_ms))
        kit_clock_sleep_ms(NULL, 100);
    rc = 0;
out:
    prom_server_stop(srv);
    prom_registry_destroy(reg);
    return rc;
}
