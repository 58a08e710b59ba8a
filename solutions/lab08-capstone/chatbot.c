/*
 * chatbot: lab 8's other tool on the key, a thread that asks a question
 * every so often and remembers what it got.
 */
#include "chatbot.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const questions[] = {
    "Is BGP to AS 64512 on ams-pe-0001 flapping?",
    "What does OSPF state EXSTART mean on fra-core-0012?",
    "Which VLAN is the management VLAN on lon-agg-0007?",
    "Why would an EIGRP neighbour go stuck-in-active?",
};

struct chatbot {
    chatbot_config cfg;
    client *c;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stop and stats */
    bool stop;
    chatbot_stats stats;
    int rate_limited; /* of the call in progress, from the observer */
};

static bool stopping(chatbot *bot)
{
    bool stop;

    pthread_mutex_lock(&bot->lock);
    stop = bot->stop;
    pthread_mutex_unlock(&bot->lock);
    return stop;
}

/* The client's observer: counts the 429s of the call in progress. */
static void on_attempt(void *ctx, const backoff_event *ev)
{
    chatbot *bot = ctx;

    if (ev->info && ev->info->http_status == 429)
        bot->rate_limited++;
}

static void ask(chatbot *bot, unsigned n)
{
    client_call_params p = {
        .prompt = questions[n % (sizeof(questions) / sizeof(questions[0]))],
        .max_tokens = 120,
        .temperature = 0.0,
    };
    client_result r;
    uint64_t at = kit_clock_now_ms(bot->cfg.clock);
    chatbot_stats *s = &bot->stats;

    bot->rate_limited = 0;
    client_call(bot->c, &p, &r);
    pthread_mutex_lock(&bot->lock);
    s->calls++;
    if (r.status == KIT_OK) {
        s->ok++;
    } else {
        s->failed++;
        snprintf(s->last_error, sizeof(s->last_error), "%s", r.error);
    }
    s->attempts += r.attempts;
    s->rate_limited += bot->rate_limited;
    if (s->n_log < CHATBOT_MAX_CALLS) {
        chatbot_call *cc = &s->log[s->n_log++];

        cc->at_ms = at;
        cc->ok = r.status == KIT_OK;
        cc->attempts = r.attempts;
        cc->rate_limited = bot->rate_limited;
        cc->http_status = r.http_status;
    }
    pthread_mutex_unlock(&bot->lock);
    client_result_clear(&r);
}

static void *run(void *arg)
{
    chatbot *bot = arg;
    uint64_t next = kit_clock_now_ms(bot->cfg.clock);
    /* Sleep in slices, so chatbot_stop never waits a whole period. */
    uint64_t slice = bot->cfg.period_ms / 20 ? bot->cfg.period_ms / 20 : 1;

    for (unsigned n = 0; !stopping(bot); n++) {
        ask(bot, n);
        next += bot->cfg.period_ms;
        for (;;) {
            uint64_t now = kit_clock_now_ms(bot->cfg.clock);

            if (now >= next || stopping(bot))
                break;
            kit_clock_sleep_ms(bot->cfg.clock,
                               next - now < slice ? next - now : slice);
        }
    }
    return NULL;
}

kit_status chatbot_start(const chatbot_config *cfg, chatbot **out, char *err,
                         size_t errlen)
{
    chatbot *bot = NULL;
    client_config cc;
    kit_status st;

    if (out)
        *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!cfg || !out || cfg->period_ms == 0)
        return KIT_ERR_INVALID_ARG;
    bot = calloc(1, sizeof(*bot));
    if (!bot)
        return KIT_ERR_NO_MEMORY;
    bot->cfg = *cfg;
    cc = cfg->client;
    cc.observer.on_attempt = on_attempt;
    cc.observer.ctx = bot;
    st = client_create(&cc, &bot->c, err, errlen);
    if (st != KIT_OK) {
        free(bot);
        return st;
    }
    pthread_mutex_init(&bot->lock, NULL);
    if (pthread_create(&bot->thread, NULL, run, bot) != 0) {
        pthread_mutex_destroy(&bot->lock);
        client_destroy(bot->c);
        free(bot);
        if (err && errlen)
            snprintf(err, errlen, "chatbot: could not start its thread");
        return KIT_ERR_NO_MEMORY;
    }
    *out = bot;
    return KIT_OK;
}

void chatbot_stop(chatbot *bot, chatbot_stats *stats)
{
    if (!bot)
        return;
    pthread_mutex_lock(&bot->lock);
    bot->stop = true;
    pthread_mutex_unlock(&bot->lock);
    pthread_join(bot->thread, NULL);
    if (stats)
        *stats = bot->stats;
    pthread_mutex_destroy(&bot->lock);
    client_destroy(bot->c);
    free(bot);
}
