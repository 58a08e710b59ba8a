/*
 * Fakes for unit tests: a clock and a scripted transport. See fakes.h.
 */
#include "fakes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fc_now_ms(void *ctx)
{
    fake_clock *fc = ctx;
    uint64_t now;

    pthread_mutex_lock(&fc->lock);
    now = fc->now_ms;
    pthread_mutex_unlock(&fc->lock);
    return now;
}

static int64_t fc_wall_s(void *ctx)
{
    fake_clock *fc = ctx;
    int64_t wall;

    pthread_mutex_lock(&fc->lock);
    wall = fc->wall_start_s + (int64_t)((fc->now_ms - fc->start_ms) / 1000);
    pthread_mutex_unlock(&fc->lock);
    return wall;
}

static void fc_sleep_ms(void *ctx, uint64_t ms)
{
    fake_clock *fc = ctx;

    pthread_mutex_lock(&fc->lock);
    if (fc->n_sleeps < FAKE_MAX_RECORDS)
        fc->sleeps[fc->n_sleeps] = ms;
    fc->n_sleeps++;
    fc->slept_ms += ms;
    fc->now_ms += ms;
    pthread_mutex_unlock(&fc->lock);
}

static uint32_t fc_random_u32(void *ctx)
{
    fake_clock *fc = ctx;
    uint32_t x;

    pthread_mutex_lock(&fc->lock);
    if (fc->fixed_random) {
        x = fc->random_value;
    } else {
        x = fc->rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fc->rng = x;
    }
    pthread_mutex_unlock(&fc->lock);
    return x;
}

static const kit_clock_ops fake_clock_ops = {
    .now_ms = fc_now_ms,
    .wall_s = fc_wall_s,
    .sleep_ms = fc_sleep_ms,
    .random_u32 = fc_random_u32,
};

void fake_clock_init(fake_clock *fc, uint64_t start_ms, int64_t wall_s)
{
    memset(fc, 0, sizeof(*fc));
    pthread_mutex_init(&fc->lock, NULL);
    fc->clock.ops = &fake_clock_ops;
    fc->clock.ctx = fc;
    fc->now_ms = start_ms;
    fc->start_ms = start_ms;
    fc->wall_start_s = wall_s;
    fc->wall_s = wall_s;
    fc->rng = 2463534242u;
}

void fake_clock_destroy(fake_clock *fc)
{
    pthread_mutex_destroy(&fc->lock);
}

void fake_clock_advance(fake_clock *fc, uint64_t ms)
{
    pthread_mutex_lock(&fc->lock);
    fc->now_ms += ms;
    pthread_mutex_unlock(&fc->lock);
}

fake_step fake_ok(const char *body, uint64_t takes_ms)
{
    fake_step s = {KIT_OK, 200, body, -1, NULL, takes_ms};

    return s;
}

fake_step fake_http(long status, const char *body, long retry_after_ms,
                    uint64_t takes_ms)
{
    fake_step s = {KIT_OK, status, body, retry_after_ms, NULL, takes_ms};

    return s;
}

fake_step fake_fail(kit_status failure, uint64_t takes_ms)
{
    fake_step s = {failure, 0, NULL, -1, NULL, takes_ms};

    return s;
}

static char *dup_or_empty(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char *copy = malloc(n + 1);

    if (copy) {
        if (n)
            memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

/* The length of body's first chunk: up to and including its first blank
 * line, or all of it. */
static size_t first_chunk(const char *body, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (body[i] != '\n')
            continue;
        if (body[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && body[i + 1] == '\r' && body[i + 2] == '\n')
            return i + 3;
    }
    return len;
}

/* Hands the body to req->on_body chunk by chunk, as a network would.
 * Returns false when the callback stopped the transfer. */
static bool deliver_body(fake_transport *ft, const kit_http_request *req,
                         const char *body, size_t len)
{
    bool ok = true;

    ft->in_send = true;
    while (len > 0) {
        size_t n = first_chunk(body, len);

        ft->chunks_delivered++;
        if (req->on_body(req->on_body_ctx, body, n) != n) {
            ok = false;
            break;
        }
        body += n;
        len -= n;
    }
    ft->in_send = false;
    return ok;
}

static kit_status ft_send(void *self, const kit_http_request *req,
                          kit_http_response *resp)
{
    fake_transport *ft = self;
    const fake_step *step;
    size_t used = 0;

    memset(resp, 0, sizeof(*resp));
    resp->retry_after_ms = -1;
    if (ft->n_steps == 0) {
        resp->transport = KIT_ERR_CONNECT;
        snprintf(resp->error, sizeof(resp->error), "fake: no steps");
        return resp->transport;
    }
    step = &ft->steps[ft->calls < ft->n_steps ? ft->calls : ft->n_steps - 1];
    if (ft->calls < FAKE_MAX_RECORDS)
        ft->call_at_ms[ft->calls] =
            ft->clock ? kit_clock_now_ms(&ft->clock->clock) : 0;
    ft->calls++;

    snprintf(ft->last_url, sizeof(ft->last_url), "%s",
             req->url ? req->url : "");
    snprintf(ft->last_body, sizeof(ft->last_body), "%.*s",
             (int)(req->body_len < sizeof(ft->last_body)
                       ? req->body_len
                       : sizeof(ft->last_body) - 1),
             req->body ? req->body : "");
    ft->last_headers[0] = '\0';
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        int n =
            snprintf(ft->last_headers + used, sizeof(ft->last_headers) - used,
                     "%s\n", req->headers[i]);
        if (n < 0 || (size_t)n >= sizeof(ft->last_headers) - used)
            break;
        used += (size_t)n;
    }
    if (ft->clock && step->takes_ms)
        fake_clock_advance(ft->clock, step->takes_ms);

    resp->transport = step->transport;
    if (step->transport != KIT_OK) {
        snprintf(resp->error, sizeof(resp->error), "fake: %s",
                 kit_strerror(step->transport));
        return resp->transport;
    }
    resp->status = step->status;
    resp->retry_after_ms = step->retry_after_ms;
    resp->body = dup_or_empty(step->body);
    resp->headers = dup_or_empty(step->headers);
    if (!resp->body || !resp->headers) {
        kit_http_response_clear(resp);
        resp->transport = KIT_ERR_NO_MEMORY;
        return resp->transport;
    }
    resp->body_len = strlen(resp->body);
    if (req->on_body && !deliver_body(ft, req, resp->body, resp->body_len)) {
        kit_http_response_clear(resp);
        resp->transport = KIT_ERR_NETWORK;
        snprintf(resp->error, sizeof(resp->error),
                 "fake: the body callback stopped the transfer");
        return resp->transport;
    }
    return KIT_OK;
}

static const kit_transport_ops fake_transport_ops = {.send = ft_send};

void fake_transport_init(fake_transport *ft, const fake_step *steps,
                         size_t n_steps, fake_clock *clock)
{
    memset(ft, 0, sizeof(*ft));
    ft->transport.ops = &fake_transport_ops;
    ft->transport.self = ft;
    ft->steps = steps;
    ft->n_steps = n_steps;
    ft->clock = clock;
}

const char *fake_anthropic_ok(const char *text, long in_tokens, long out_tokens)
{
    static char buf[4096];

    snprintf(buf, sizeof(buf),
             "{\"id\":\"msg_fake\",\"type\":\"message\",\"role\":\"assistant\","
             "\"model\":\"claude-haiku-4-5\",\"content\":[{\"type\":\"text\","
             "\"text\":\"%s\"}],\"stop_reason\":\"end_turn\","
             "\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
             "\"output_tokens\":%ld}}",
             text, in_tokens, out_tokens);
    return buf;
}
