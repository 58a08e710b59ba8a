/*
 * capstone: the night of the course, replayed on the mock server. The
 * 2,847-router compliance batch (batch.c, yours) runs on a tier-1 key
 * while the NOC chatbot (chatbot.c) asks a question every so often on the
 * same key. With the limiter, the batch keeps to its share and the chatbot
 * never fails; with --outage, the limiter is off and the chatbot's calls
 * fail, as they did that night. `make demo` runs it on the reference
 * solution, `make demo OUTAGE=1` the outage; build/lab/lab08/capstone
 * runs your code (with the mock server running at the same --tier and
 * --time-scale, see the README).
 *
 *   capstone [--configs N] [--tier NAME] [--time-scale F] [--headroom P]
 *            [--workers N] [--chatbot-every S] [--outage] [--chart PATH]
 *            [--log PATH]
 *
 * --time-scale must be the mock server's: the program plans in the
 * provider's minutes and runs on a clock scaled to match (scaled_clock.h).
 * Exit status: 0 when the run showed what it is meant to show (limiter on:
 * no failed config, no failed chatbot call, elapsed within 10 % of the
 * share's minimum; --outage: the chatbot failed), 1 otherwise, 2 for a
 * usage error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "chart.h"
#include "chatbot.h"
#include "kit_env.h"
#include "prom.h"
#include "scaled_clock.h"
#include "usage_log.h"

/* The course's tiers, as the mock server knows them. */
static const struct tier {
    const char *name;
    long rpm, tpm;
} tiers[] = {
    {"anthropic-free", 5, 10000},      {"anthropic-tier1", 50, 40000},
    {"anthropic-tier2", 1000, 400000}, {"openai-free", 3, 40000},
    {"openai-tier1", 500, 200000},     {"openai-tier2", 5000, 2000000},
};

struct options {
    long configs;
    const struct tier *tier;
    double scale;
    int headroom;
    int workers;
    double chatbot_every_s;
    bool outage;
    const char *chart;
    const char *log;
};

/* The progress display: fed by batch_run's events (one at a time). */
struct progress {
    const struct options *opt;
    chart *chart;
    bool tty;
    long n, done, failed, attempts, rate_limited, retries;
    double cost;
    uint64_t t_ms;         /* the last event's batch-clock time */
    uint64_t interval_ms;  /* the plan's pace, for the time left */
    uint64_t last_draw_ms; /* batch clock of the last redraw */
    long next_line;        /* plain output: the next done count to print */
};

static void usage(void)
{
    fprintf(stderr,
            "usage: capstone [--configs N] [--tier NAME] [--time-scale F] "
            "[--headroom P] [--workers N] [--chatbot-every S] [--outage] "
            "[--chart PATH] [--log PATH]\n");
}

static bool parse(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--outage") == 0) {
            o->outage = true;
            continue;
        }
        if (!v)
            return false;
        i++;
        if (strcmp(a, "--configs") == 0)
            o->configs = strtol(v, NULL, 10);
        else if (strcmp(a, "--time-scale") == 0)
            o->scale = strtod(v, NULL);
        else if (strcmp(a, "--headroom") == 0)
            o->headroom = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--workers") == 0)
            o->workers = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--chatbot-every") == 0)
            o->chatbot_every_s = strtod(v, NULL);
        else if (strcmp(a, "--chart") == 0)
            o->chart = v;
        else if (strcmp(a, "--log") == 0)
            o->log = v;
        else if (strcmp(a, "--tier") == 0) {
            o->tier = NULL;
            for (size_t t = 0; t < sizeof(tiers) / sizeof(tiers[0]); t++)
                if (strcmp(v, tiers[t].name) == 0)
                    o->tier = &tiers[t];
            if (!o->tier) {
                fprintf(stderr, "capstone: unknown tier %s\n", v);
                return false;
            }
        } else
            return false;
    }
    return o->configs > 0 && o->scale > 0 && o->scale <= 1 &&
           o->headroom >= 0 && o->headroom <= 99 && o->workers >= 1 &&
           o->workers <= BATCH_MAX_WORKERS && o->chatbot_every_s > 0;
}

/* This program scripts nothing, but it does send thousands of calls to
 * whatever ANTHROPIC_BASE_URL names: only ever with a mock key. */
static bool is_mock_key(const char *key)
{
    if (strncmp(key, "mock-", 5) != 0 && strncmp(key, "test-", 5) != 0)
        return false;
    return strspn(key,
                  "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(key);
}

/* Provider-clock minutes and the real seconds they take at this scale. */
static void print_span(const struct options *o, uint64_t ms)
{
    printf("%.1f min on the provider's clock (%.1f s real)",
           (double)ms / 60000.0, (double)ms * o->scale / 1000.0);
}

static void draw(struct progress *p, bool final)
{
    const int width = 28;
    int fill = (int)(p->n ? p->done * width / p->n : 0);
    double minutes = (double)p->t_ms / 60000.0;
    double rate = minutes > 0 ? (double)p->done / minutes : 0;
    double left_s = p->interval_ms
                        ? (double)(p->n - p->done) * (double)p->interval_ms *
                              p->opt->scale / 1000.0
                        : 0;
    char bar[64];

    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    printf("%s[%s] %4ld/%ld  %5.1f/min  429s %ld  retries %ld  $%.4f  "
           "left %4.1f s%s",
           p->tty ? "\r" : "  ", bar, p->done, p->n, rate, p->rate_limited,
           p->retries, p->cost, left_s, p->tty && !final ? "" : "\n");
    fflush(stdout);
}

static void on_event(void *ctx, const batch_event *ev)
{
    struct progress *p = ctx;

    p->t_ms = ev->t_ms;
    if (ev->kind == BATCH_EVENT_ATTEMPT) {
        p->attempts++;
        p->rate_limited += ev->http_status == 429;
        p->retries += ev->attempt > 1;
        chart_add_attempt(p->chart, ev->t_ms, ev->http_status, ev->attempt > 1);
        return;
    }
    p->done++;
    p->failed += ev->status != KIT_OK;
    p->cost += ev->cost_usd;
    if (p->tty) {
        /* A redraw every 100 real ms is smooth enough. */
        if ((double)(ev->t_ms - p->last_draw_ms) * p->opt->scale >= 100 ||
            p->done == p->n) {
            p->last_draw_ms = ev->t_ms;
            draw(p, p->done == p->n);
        }
    } else if (p->done >= p->next_line) {
        draw(p, true);
        p->next_line += p->n / 10 > 0 ? p->n / 10 : 1;
    }
}

static void write_metrics(prom_registry *reg, const char *chart_path)
{
    char path[512];
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%.*s.prom",
             (int)(strlen(chart_path) > 4 ? strlen(chart_path) - 4
                                          : strlen(chart_path)),
             chart_path);
    if (prom_render(reg, &text, &len) != KIT_OK)
        return;
    f = fopen(path, "w");
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
        printf("  metrics      %s (lab 6's Prometheus text)\n", path);
    }
    free(text);
}

int main(int argc, char **argv)
{
    struct options o = {
        .configs = 2847,
        .tier = &tiers[1],
        .scale = 1.0,
        .headroom = 20,
        .workers = 4,
        .chatbot_every_s = 30,
        .outage = false,
        .chart = NULL,
        .log = NULL,
    };
    batch_config cfg = BATCH_CONFIG_DEFAULT;
    chatbot_config bcfg;
    static chatbot_stats bot_stats; /* large: not on the stack */
    struct progress prog;
    scaled_clock sc;
    batch_report rep;
    usage_summary sum;
    prom_registry *reg = NULL;
    chatbot *bot = NULL;
    chart *ch = NULL;
    chart_config ccfg;
    char key[128], err[256], title[160];
    const char *base_url = getenv("ANTHROPIC_BASE_URL");
    uint64_t origin;
    uint64_t fastest_tier_ms;
    int status = 1;
    bool as_designed;
    kit_status st;
    FILE *f;

    if (!parse(argc, argv, &o)) {
        usage();
        return 2;
    }
    if (!o.chart)
        o.chart = o.outage ? "build/lab08-outage.svg" : "build/lab08-batch.svg";
    if (!o.log)
        o.log = o.outage ? "build/lab08-outage-usage.jsonl"
                         : "build/lab08-batch-usage.jsonl";
    if (!base_url || !*base_url) {
        fprintf(stderr, "capstone: ANTHROPIC_BASE_URL is not set. Run `make "
                        "demo`, or start the mock server with --tier and "
                        "--time-scale and export ANTHROPIC_BASE_URL and "
                        "ANTHROPIC_API_KEY=mock-key-capstone.\n");
        return 2;
    }
    if (kit_env_api_key("ANTHROPIC_API_KEY", key, sizeof(key), err,
                        sizeof(err)) != KIT_OK) {
        fprintf(stderr, "capstone: %s\n", err);
        return 2;
    }
    if (!is_mock_key(key)) {
        fprintf(stderr, "capstone: ANTHROPIC_API_KEY does not look like a "
                        "mock key (mock-... or test-...); this batch sends "
                        "thousands of calls and belongs on the mock server. "
                        "Try ANTHROPIC_API_KEY=mock-key-capstone.\n");
        return 2;
    }

    /* 1. The clocks: the provider's minute, scaled like the server's. */
    scaled_clock_init(&sc, o.scale);

    /* 2. A fresh usage log for this run, so its spend is this run's. */
    f = fopen(o.log, "w");
    if (!f) {
        fprintf(stderr, "capstone: cannot write %s\n", o.log);
        return 1;
    }
    fclose(f);

    /* 3. The batch: the whole client, a share of the key. Backoff waits
     *    are real time, so they shrink with the scale. */
    cfg.n_configs = o.configs;
    cfg.share.rpm = o.tier->rpm;
    cfg.share.tpm = o.tier->tpm;
    cfg.share.headroom_percent = o.headroom;
    cfg.limiter_off = o.outage;
    cfg.workers = o.workers;
    cfg.client.api_key = key;
    cfg.client.model = "claude-haiku-4.5";
    cfg.client.retry.max_retries = 3;
    cfg.client.retry.initial_delay_ms = (uint64_t)(1000 * o.scale) + 1;
    cfg.client.retry.max_delay_ms = (uint64_t)(60000 * o.scale) + 1;
    cfg.client.retry.max_retry_after_ms = (uint64_t)(60000 * o.scale) + 1000;
    cfg.client.timeout_ms = 10000;
    cfg.clock = &sc.clock;
    cfg.usage_log = o.log;
    if (prom_registry_create(&reg) != KIT_OK) {
        fprintf(stderr, "capstone: out of memory\n");
        return 1;
    }
    cfg.prom = reg;

    /* Plan first, to draw the share line and print the pace. */
    memset(&prog, 0, sizeof(prog));
    {
        batch_share s = cfg.share;
        batch_plan plan;

        s.tokens_per_call = 1; /* only the requests' pace matters here */
        if (batch_plan_make(&s, &plan) != KIT_OK)
            memset(&plan, 0, sizeof(plan));
        if (o.outage)
            snprintf(title, sizeof(title),
                     "%ld router configs on %s, limiter OFF (the outage)",
                     o.configs, o.tier->name);
        else
            snprintf(title, sizeof(title),
                     "%ld router configs on %s, limiter on, %d %% headroom",
                     o.configs, o.tier->name, o.headroom);
        ccfg.title = title;
        ccfg.tier_rpm = o.tier->rpm;
        ccfg.share_rpm = o.outage ? 0 : plan.calls_per_minute;
        prog.interval_ms = o.outage ? 0 : plan.interval_ms;
    }
    if (chart_create(&ccfg, &ch) != KIT_OK) {
        fprintf(stderr, "capstone: out of memory\n");
        goto out;
    }

    /* 4. The chatbot: another tool on the same key, with a short retry
     *    policy because someone is waiting for its answer. */
    memset(&bcfg, 0, sizeof(bcfg));
    bcfg.client = (client_config)CLIENT_CONFIG_DEFAULT;
    bcfg.client.api_key = key;
    bcfg.client.model = "claude-sonnet-4.5";
    bcfg.client.retry.max_retries = 2;
    bcfg.client.retry.initial_delay_ms = (uint64_t)(1000 * o.scale) + 1;
    bcfg.client.retry.max_delay_ms = (uint64_t)(4000 * o.scale) + 1;
    bcfg.client.retry.max_retry_after_ms = (uint64_t)(10000 * o.scale) + 1;
    bcfg.client.timeout_ms = 10000;
    bcfg.period_ms = (uint64_t)(o.chatbot_every_s * 1000);
    bcfg.clock = &sc.clock;

    printf("capstone: %ld router configs, %s (%ld RPM, %ld TPM), time "
           "scale %g: a provider minute lasts %.0f ms\n",
           o.configs, o.tier->name, o.tier->rpm, o.tier->tpm, o.scale,
           60000 * o.scale);
    if (o.outage)
        printf("capstone: limiter OFF, %d workers as fast as they can: the "
               "night of the outage\n",
               o.workers);
    else
        printf("capstone: limiter on, %d %% of the key left to the others: "
               "one call every %llu ms (provider clock)\n",
               o.headroom, (unsigned long long)prog.interval_ms);
    printf("capstone: the NOC chatbot asks a question every %g s (provider "
           "clock) on the same key\n\n",
           o.chatbot_every_s);

    prog.opt = &o;
    prog.chart = ch;
    prog.tty = isatty(STDOUT_FILENO);
    prog.n = o.configs;
    prog.next_line = o.configs / 10 > 0 ? o.configs / 10 : 1;
    cfg.on_event = on_event;
    cfg.event_ctx = &prog;

    origin = kit_clock_now_ms(&sc.clock);
    st = chatbot_start(&bcfg, &bot, err, sizeof(err));
    if (st != KIT_OK) {
        fprintf(stderr, "capstone: the chatbot did not start: %s\n",
                err[0] ? err : kit_strerror(st));
        goto out;
    }

    /* 5. The batch. */
    st = batch_run(&cfg, &rep);
    chatbot_stop(bot, &bot_stats);
    bot = NULL;
    if (st != KIT_OK) {
        fprintf(stderr, "\ncapstone: batch_run failed: %s\n", kit_strerror(st));
        goto out;
    }
    if (prog.tty && prog.done < prog.n)
        printf("\n");
    for (size_t i = 0; i < bot_stats.n_log; i++)
        chart_add_chatbot(ch,
                          bot_stats.log[i].at_ms > origin
                              ? bot_stats.log[i].at_ms - origin
                              : 0,
                          bot_stats.log[i].ok);

    /* 6. The report. */
    memset(&sum, 0, sizeof(sum));
    usage_log_daily_summary(o.log, kit_clock_wall_s(NULL) / 86400, &sum);
    fastest_tier_ms = (uint64_t)o.configs * 60000 / (uint64_t)o.tier->rpm;
    printf("\nreport (%s):\n", o.outage ? "limiter OFF" : "limiter on");
    printf("  configs      %ld checked, %ld failed\n", rep.ok, rep.failed);
    printf("  attempts     %ld: %ld retries, %ld answered 429\n", rep.attempts,
           rep.retries, rep.rate_limited);
    printf("  cost         $%.4f; the usage log says $%.4f over %ld "
           "lines (%s)\n",
           rep.cost_usd, sum.cost_usd, sum.requests, o.log);
    printf("  elapsed      ");
    print_span(&o, rep.elapsed_ms);
    printf("\n  fastest      at the batch's share (%.0f RPM): ",
           rep.plan.calls_per_minute);
    print_span(&o, rep.min_elapsed_ms
                       ? rep.min_elapsed_ms
                       : (uint64_t)o.configs * rep.plan.interval_ms);
    printf("\n               at the whole tier (%ld RPM): ", o.tier->rpm);
    print_span(&o, fastest_tier_ms);
    printf("\n  chatbot      %ld calls: %ld answered, %ld failed; it met "
           "%ld 429s in %ld attempts\n",
           bot_stats.calls, bot_stats.ok, bot_stats.failed,
           bot_stats.rate_limited, bot_stats.attempts);
    if (bot_stats.failed)
        printf("               last failure: %s\n", bot_stats.last_error);
    if (chart_write_svg(ch, o.chart) == KIT_OK)
        printf("  chart        %s\n", o.chart);
    else
        printf("  chart        could not write %s\n", o.chart);
    write_metrics(reg, o.chart);
    printf("\n");

    /* 7. Did it show what it is meant to show? */
    if (o.outage) {
        as_designed = bot_stats.failed > 0;
        if (as_designed)
            printf("capstone: the outage, reproduced: without the limiter "
                   "the batch took the whole key and %ld of the chatbot's "
                   "%ld calls failed. That is the expected outcome of this "
                   "run; compare its chart with the limited run's.\n",
                   bot_stats.failed, bot_stats.calls);
        else
            printf("capstone: the chatbot got through this time: the "
                   "outage did not show (a loaded machine may slow the "
                   "batch below the tier); run it again\n");
    } else {
        bool on_time = rep.elapsed_ms * 10 <= rep.min_elapsed_ms * 11;

        as_designed = rep.failed == 0 && bot_stats.failed == 0 && on_time;
        if (as_designed)
            printf("capstone: every config checked, the chatbot never "
                   "failed, and the batch took %.1f %% of the minimum its "
                   "share allows\n",
                   100.0 * (double)rep.elapsed_ms / (double)rep.min_elapsed_ms);
        else
            printf("capstone: NOT as designed: %ld failed configs, %ld "
                   "failed chatbot calls, elapsed %.1f %% of the minimum "
                   "(at most 110 %%)\n",
                   rep.failed, bot_stats.failed,
                   100.0 * (double)rep.elapsed_ms /
                       (double)(rep.min_elapsed_ms ? rep.min_elapsed_ms : 1));
    }
    status = as_designed ? 0 : 1;

out:
    chatbot_stop(bot, NULL);
    chart_destroy(ch);
    prom_registry_destroy(reg);
    return status;
}
