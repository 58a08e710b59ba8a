/*
 * batch: lab 8's compliance batch, the capstone. It plans a pace that
 * leaves the key's headroom to the other tools, and runs the fleet through
 * every piece the course has built. The contract is batch.h.
 */
#include "batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "fleet.h"
#include "kit_provider.h"
#include "usage_log.h"

const char batch_system_prompt[] =
    "You audit router configurations against a security baseline. "
    "TELNET: telnet must not be enabled for management. "
    "SNMP: no SNMP community may be \"public\". "
    "NOAAA: logins must go through AAA (TACACS+ or RADIUS). "
    "PLAINTEXT: no password may be stored in plain text. "
    "Answer with one line per violation, or NONE.";

kit_status batch_prompt(const char *hostname, const char *vendor,
                        const char *config_text, int max_tokens, char *buf,
                        size_t len, long *tokens_out)
{
    int n;

    if (!hostname || !vendor || !config_text || !buf || len == 0 ||
        max_tokens <= 0)
        return KIT_ERR_INVALID_ARG;
    n = snprintf(buf, len,
                 "Check this router configuration against the baseline.\n"
                 "Router: %s (%s)\n"
                 "---\n"
                 "%s"
                 "---\n"
                 "List each violation as RULE: line.",
                 hostname, vendor, config_text);
    if (n < 0 || (size_t)n >= len)
        return KIT_ERR_TOO_LARGE;
    if (tokens_out)
        *tokens_out =
            (long)((strlen(batch_system_prompt) + (size_t)n + 3) / 4) +
            max_tokens;
    return KIT_OK;
}

/* ceil(a / b) for b > 0. */
static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

kit_status batch_plan_make(const batch_share *share, batch_plan *out)
{
    uint64_t pct, burst, window;

    if (!share || !out || share->rpm <= 0 || share->tpm < 0 ||
        share->headroom_percent < 0 || share->headroom_percent > 99 ||
        share->tokens_per_call <= 0)
        return KIT_ERR_INVALID_ARG;
    pct = 100 - (uint64_t)share->headroom_percent;

    /* A tenth of a minute's share may go back to back, no more. */
    burst = (uint64_t)share->rpm * pct / 1000;
    if (burst < 1)
        burst = 1;
    window = div_up(burst * 60000 * 100, (uint64_t)share->rpm * pct);
    if (share->tpm > 0) {
        /* Large calls: the tokens' share may be the tighter pace. */
        uint64_t tok =
            div_up(burst * 60000 * 100 * (uint64_t)share->tokens_per_call,
                   (uint64_t)share->tpm * pct);
        if (tok > window)
            window = tok;
    }

    memset(out, 0, sizeof(*out));
    out->limiter = (ratelimit_config)RATELIMIT_CONFIG_DEFAULT;
    out->limiter.requests_per_window = (long)burst;
    out->limiter.window_ms = window;
    out->limiter.tokens_per_window =
        share->tpm > 0
            ? (long)((uint64_t)share->tpm * pct * window / (100 * 60000))
            : 0;
    out->limiter.mode = RATELIMIT_TOKEN_BUCKET;
    out->limiter.low_remaining_percent = 10;
    out->limiter.clock = NULL;
    out->interval_ms = div_up(window, burst);
    out->calls_per_minute = (double)burst * 60000.0 / (double)window;
    return KIT_OK;
}

/* ---- The run ------------------------------------------------------------- */

/* What the workers share. Everything but the counters is thread-safe on
 * its own; the lock guards the queue, the report and the events. */
struct shared {
    const batch_config *cfg;
    const char *model;
    ratelimit *rl; /* NULL with limiter_off */
    retry_budget *rb;
    budget *b;
    usage_log *log;
    pthread_mutex_t lock;
    long next; /* the next config to take */
    uint64_t start_ms;
    batch_report *rep;
};

/* One worker: its client, and the transport under it that polices every
 * attempt before it goes on the wire. */
struct worker {
    struct shared *sh;
    kit_transport curl;    /* the wire */
    kit_transport policed; /* what the client sends through */
    client *c;
    pthread_t thread;
    bool started;
    long index;    /* the config in progress */
    long estimate; /* its tokens */
    int sent;      /* attempts of this config that went on the wire */
    int reported;  /* of those, the ones the observer has counted */
};

static void emit(struct shared *sh, batch_event *ev)
{
    ev->t_ms = kit_clock_now_ms(sh->cfg->clock) - sh->start_ms;
    if (sh->cfg->on_event)
        sh->cfg->on_event(sh->cfg->event_ctx, ev);
}

/*
 * The policed transport: every attempt, the first and each retry, waits
 * for the limiter, and a retry pays the retry budget first. A refused
 * retry never reaches the wire: its status is KIT_ERR_RETRY_BUDGET, which
 * backoff_run treats as permanent.
 */
static kit_status policed_send(void *self, const kit_http_request *req,
                               kit_http_response *resp)
{
    struct worker *w = self;
    struct shared *sh = w->sh;
    kit_status st;

    if (w->sent > 0 && retry_budget_take(sh->rb) != KIT_OK) {
        memset(resp, 0, sizeof(*resp));
        resp->retry_after_ms = -1;
        resp->transport = KIT_ERR_RETRY_BUDGET;
        snprintf(resp->error, sizeof(resp->error),
                 "retry budget spent: not retried");
        return resp->transport;
    }
    if (sh->rl)
        ratelimit_acquire(sh->rl, w->estimate, NULL);
    w->sent++;
    st = kit_transport_send(&w->curl, req, resp);
    if (st == KIT_OK && resp->status >= 200 && resp->status < 300)
        retry_budget_on_success(sh->rb);
    return st;
}

static const kit_transport_ops policed_ops = {.send = policed_send};

/* The client's observer: counts each attempt that went on the wire, tells
 * the limiter what the server's headers said, and reports it. */
static void on_attempt(void *ctx, const backoff_event *ev)
{
    struct worker *w = ctx;
    struct shared *sh = w->sh;
    batch_report *rep = sh->rep;
    long http = ev->info ? ev->info->http_status : 0;
    batch_event be;

    if (w->sent == w->reported)
        return; /* refused by the retry budget: nothing was sent */
    w->reported = w->sent;
    if (sh->rl && ev->info)
        ratelimit_observe(sh->rl, &ev->info->ratelimit);
    if (sh->cfg->prom)
        prom_record_attempt(sh->cfg->prom, sh->model, ev->attempt, ev->status);

    pthread_mutex_lock(&sh->lock);
    rep->attempts++;
    if (http == 429)
        rep->rate_limited++;
    if (ev->attempt > 1)
        rep->retries++;
    memset(&be, 0, sizeof(be));
    be.kind = BATCH_EVENT_ATTEMPT;
    be.index = w->index;
    be.attempt = ev->attempt;
    be.http_status = http;
    be.status = ev->status;
    emit(sh, &be);
    pthread_mutex_unlock(&sh->lock);
}

/* One config, start to end: budget, call, settle, log, metrics, event. */
static void check_one(struct worker *w, long index)
{
    struct shared *sh = w->sh;
    const batch_config *cfg = sh->cfg;
    fleet_router router;
    char prompt[FLEET_MAX_CONFIG + 512];
    budget_reservation res;
    client_result r;
    usage_record rec;
    batch_event be;
    double est_usd = 0;
    kit_status st;

    memset(&r, 0, sizeof(r));
    fleet_generate(cfg->seed, index, &router);
    st = batch_prompt(router.hostname, fleet_vendor_name(router.vendor),
                      router.config, cfg->max_tokens, prompt, sizeof(prompt),
                      &w->estimate);
    if (st == KIT_OK)
        st = budget_estimate_usd(sh->model,
                                 strlen(batch_system_prompt) + strlen(prompt),
                                 cfg->max_tokens, &est_usd);
    if (st == KIT_OK)
        st = budget_reserve(sh->b, BUDGET_PROD, est_usd, &res, NULL);
    if (st == KIT_OK) {
        client_call_params p = {
            .prompt = prompt,
            .model = sh->model,
            .system = batch_system_prompt,
            .max_tokens = cfg->max_tokens,
            .temperature = 0.0,
        };

        w->index = index;
        w->sent = 0;
        w->reported = 0;
        st = client_call(w->c, &p, &r);
        if (st == KIT_OK)
            budget_settle(sh->b, &res, r.model, r.cost_usd);
        else
            budget_release(sh->b, &res);
    } else {
        r.status = st;
        r.timestamp_s = kit_clock_wall_s(NULL);
    }

    memset(&rec, 0, sizeof(rec));
    rec.ts = r.timestamp_s;
    snprintf(rec.env, sizeof(rec.env), "%s", budget_env_name(BUDGET_PROD));
    snprintf(rec.provider, sizeof(rec.provider), "%s",
             r.provider[0] ? r.provider : "anthropic");
    snprintf(rec.model, sizeof(rec.model), "%s",
             st == KIT_OK ? r.model : sh->model);
    rec.tokens_in = r.input_tokens;
    rec.tokens_out = r.output_tokens;
    rec.cost_usd = r.cost_usd;
    rec.latency_ms = r.latency_ms;
    rec.ok = st == KIT_OK;
    rec.http_status = r.http_status;
    usage_log_append(sh->log, &rec);

    if (cfg->prom) {
        prom_call pc = {
            .model = sh->model,
            .status = st,
            .duration_s = (double)r.latency_ms / 1000.0,
            .input_tokens = r.input_tokens,
            .output_tokens = r.output_tokens,
            .cost_usd = r.cost_usd,
        };
        prom_record_call(cfg->prom, &pc);
    }

    pthread_mutex_lock(&sh->lock);
    sh->rep->configs++;
    if (st == KIT_OK) {
        sh->rep->ok++;
        sh->rep->cost_usd += r.cost_usd;
    } else {
        sh->rep->failed++;
    }
    memset(&be, 0, sizeof(be));
    be.kind = BATCH_EVENT_CONFIG;
    be.index = index;
    be.attempt = r.attempts;
    be.http_status = r.http_status;
    be.status = st;
    be.cost_usd = r.cost_usd;
    emit(sh, &be);
    pthread_mutex_unlock(&sh->lock);
    client_result_clear(&r);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;

    for (;;) {
        long index;

        pthread_mutex_lock(&sh->lock);
        index = sh->next < sh->cfg->n_configs ? sh->next++ : -1;
        pthread_mutex_unlock(&sh->lock);
        if (index < 0)
            break;
        check_one(w, index);
    }
    return NULL;
}

/* The largest estimate among the fleet's first n prompts. */
static long largest_estimate(const batch_config *cfg)
{
    fleet_router router;
    char prompt[FLEET_MAX_CONFIG + 512];
    long most = 0, t;

    for (long i = 0; i < cfg->n_configs; i++) {
        fleet_generate(cfg->seed, i, &router);
        if (batch_prompt(router.hostname, fleet_vendor_name(router.vendor),
                         router.config, cfg->max_tokens, prompt, sizeof(prompt),
                         &t) == KIT_OK &&
            t > most)
            most = t;
    }
    return most;
}

kit_status batch_run(const batch_config *cfg, batch_report *out)
{
    struct worker workers[BATCH_MAX_WORKERS];
    struct shared sh;
    batch_share share;
    budget_config bcfg;
    ratelimit_config rcfg;
    int n_workers = 0, started = 0;
    kit_status st;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    if (!cfg || cfg->n_configs <= 0 || cfg->workers < 1 ||
        cfg->workers > BATCH_MAX_WORKERS || cfg->max_tokens <= 0 ||
        !(cfg->budget_usd > 0) || !cfg->usage_log)
        return KIT_ERR_INVALID_ARG;

    memset(&sh, 0, sizeof(sh));
    memset(workers, 0, sizeof(workers));
    sh.cfg = cfg;
    sh.rep = out;
    sh.model = cfg->client.model      ? cfg->client.model
               : cfg->client.provider ? cfg->client.provider->default_model
                                      : kit_provider_anthropic.default_model;
    pthread_mutex_init(&sh.lock, NULL);

    /* 1. The pace: the share of the key, for the largest call. */
    share = cfg->share;
    if (share.tokens_per_call <= 0)
        share.tokens_per_call = largest_estimate(cfg);
    st = batch_plan_make(&share, &out->plan);
    if (st != KIT_OK)
        goto out;

    /* 2. The shared pieces: limiter, retry budget, budget, usage log. */
    if (!cfg->limiter_off) {
        rcfg = out->plan.limiter;
        rcfg.clock = cfg->clock;
        st = ratelimit_create(&rcfg, &sh.rl);
        if (st != KIT_OK)
            goto out;
    }
    st = retry_budget_create(&cfg->retry_budget, &sh.rb);
    if (st != KIT_OK)
        goto out;
    st = usage_log_open(cfg->usage_log, &sh.log);
    if (st != KIT_OK)
        goto out;
    memset(&bcfg, 0, sizeof(bcfg));
    bcfg.daily_limit_usd[BUDGET_PROD] = cfg->budget_usd;
    bcfg.usage_log = cfg->usage_log; /* today's spend survives a restart */
    bcfg.append_to_log = false;      /* the usage log writes the lines */
    st = budget_create(&bcfg, &sh.b);
    if (st != KIT_OK)
        goto out;

    /* 3. One client per worker, over its own policed transport. */
    for (n_workers = 0; n_workers < cfg->workers; n_workers++) {
        struct worker *w = &workers[n_workers];
        client_config cc = cfg->client;

        w->sh = &sh;
        st = kit_curl_create(NULL, &w->curl);
        if (st != KIT_OK)
            goto out;
        w->policed.ops = &policed_ops;
        w->policed.self = w;
        cc.transport = &w->policed;
        cc.observer.on_attempt = on_attempt;
        cc.observer.ctx = w;
        st = client_create(&cc, &w->c, NULL, 0);
        if (st != KIT_OK) {
            n_workers++; /* its transport is ours to free */
            goto out;
        }
    }

    /* 4. Go. A worker that cannot start leaves its share of the queue to
     *    the others. */
    sh.start_ms = kit_clock_now_ms(cfg->clock);
    for (int i = 0; i < n_workers; i++) {
        workers[i].started =
            pthread_create(&workers[i].thread, NULL, work, &workers[i]) == 0;
        started += workers[i].started;
    }
    if (started == 0) {
        st = KIT_ERR_NO_MEMORY;
        goto out;
    }
    for (int i = 0; i < n_workers; i++)
        if (workers[i].started)
            pthread_join(workers[i].thread, NULL);
    out->elapsed_ms = kit_clock_now_ms(cfg->clock) - sh.start_ms;
    out->min_elapsed_ms =
        cfg->limiter_off ? 0 : (uint64_t)cfg->n_configs * out->plan.interval_ms;
    st = KIT_OK;

out:
    for (int i = 0; i < n_workers; i++) {
        client_destroy(workers[i].c);
        kit_curl_destroy(&workers[i].curl);
    }
    budget_destroy(sh.b);
    usage_log_close(sh.log);
    retry_budget_destroy(sh.rb);
    ratelimit_destroy(sh.rl);
    pthread_mutex_destroy(&sh.lock);
    return st;
}
