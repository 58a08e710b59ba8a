/*
 * The mock server's decision for one provider request. The order of the
 * checks follows the real services: route, method, key, required headers,
 * size, body, model; then the server judges the client (early retry), the
 * rate limiter admits or refuses, and only then does the key's script get
 * its say. A refused or invalid request never consumes a script step.
 */
#include "exchange.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shorthand.h"

/* Wait a Gemini 429 advertises in its RetryInfo when the step set none. */
#define GEMINI_DEFAULT_RETRY_MS 1000

/* Wall-clock seconds with the fraction kept, so reset timestamps are not up
 * to a second early. */
static double wall_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static atomic_uint_fast64_t id_counter;

/* Writes prefix + 24 hex digits, unique within the process. */
static void make_id(const char *prefix, char *out, size_t n)
{
    uint64_t c = (uint64_t)atomic_fetch_add(&id_counter, 1) + 1;
    uint64_t state = c;
    uint64_t r = script_rand_next(&state);

    snprintf(out, n, "%s%016llx%08llx", prefix, (unsigned long long)r,
             (unsigned long long)(c & 0xffffffffu));
}

int exchange_add_header(buf *headers, const char *name, const char *value)
{
    if (buf_add(headers, name, strlen(name) + 1) != 0 ||
        buf_add(headers, value, strlen(value) + 1) != 0)
        return -1;
    return 0;
}

static void add_header_cb(void *ctx, const char *name, const char *value)
{
    exchange_add_header(ctx, name, value);
}

static const char *status_message(int status)
{
    switch (status) {
    case 400:
        return "Invalid request";
    case 401:
        return "Invalid API key";
    case 403:
        return "Your API key does not have permission to use this model";
    case 404:
        return "Not found";
    case 408:
        return "Request timed out";
    case 413:
        return "Request too large";
    case 429:
        return "Rate limit exceeded";
    case 500:
        return "Internal server error";
    case 502:
        return "Bad gateway";
    case 503:
        return "Service unavailable";
    case 504:
        return "Gateway timeout";
    case 529:
        return "Overloaded";
    default:
        return "Error";
    }
}

static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);

    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static int retry_count(const req_view *v)
{
    const char *h = v->header(v->ctx, "x-stainless-retry-count");
    char *end;
    long n;

    if (!h || !h[0])
        return -1;
    n = strtol(h, &end, 10);
    if (*end || n < 0 || n > 1000000)
        return -1;
    return (int)n;
}

/* Adds retry-after (seconds, rounded up) and retry-after-ms for a wait. */
static void add_retry_headers(buf *h, uint64_t wait_ms)
{
    char v[32];

    snprintf(v, sizeof(v), "%llu",
             (unsigned long long)((wait_ms + 999) / 1000));
    exchange_add_header(h, "retry-after", v);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)wait_ms);
    exchange_add_header(h, "retry-after-ms", v);
}

/*
 * Sets out's body to the provider's error envelope for e. Returns nothing:
 * if even that cannot be built (no memory) the body stays empty.
 */
static void error_body(const provider_ops *ops, provider_error *e,
                       const char *rid, exchange_result *out)
{
    buf b;

    buf_init(&b, 0);
    e->request_id = rid;
    out->status = e->status;
    out->content_type = "application/json";
    if (ops->format_error(e, &b) == 0)
        out->body = buf_steal(&b, &out->body_len);
    buf_free(&b);
}

void exchange_handle(mockstate *st, const req_view *v, const char *body,
                     size_t len, bool too_large, uint64_t conn,
                     exchange_result *out)
{
    journal_entry *je = &out->entry;
    const provider_ops *ops;
    enum endpoint ep;
    char path_model[80] = "";
    char rid[48];
    char answer_id[48];
    const char *key;
    chat_request rq;
    reply rp;
    provider_error err;
    rl_decision dec;
    store_early early;
    script_step step;
    const model_info *info;
    double now;
    buf b;

    memset(out, 0, sizeof(*out));
    memset(&rq, 0, sizeof(rq));
    memset(&rp, 0, sizeof(rp));
    memset(&dec, 0, sizeof(dec));
    buf_init(&out->headers, 64 * 1024);
    buf_init(&b, 0);
    out->content_type = "application/json";
    provider_error_set(&err, 500, "Internal server error");

    now = mockstate_now_ms();
    je->t_ms = now - st->start_ms;
    je->conn = conn;
    je->retry_count = retry_count(v);
    copy_str(je->method, sizeof(je->method), v->method);
    copy_str(je->path, sizeof(je->path), v->path);

    ops = provider_route(v, &ep, path_model, sizeof(path_model));
    je->provider = ops->name;
    make_id("req_", rid, sizeof(rid));
    if (ops->request_id_header)
        exchange_add_header(&out->headers, ops->request_id_header, rid);
    key = ops->api_key(v);
    je->key_hash = key ? store_key_hash(key) : 0;

    if (ep == ENDPOINT_NONE) {
        provider_error_set(&err, 404, "Not found: %s %s", v->method, v->path);
        goto out_error;
    }
    if (strcmp(v->method, "POST") != 0) {
        provider_error_set(&err, 405,
                           "Method %s not allowed for %s: use "
                           "POST",
                           v->method, v->path);
        exchange_add_header(&out->headers, "allow", "POST");
        goto out_error;
    }
    if (!key) {
        ops->missing_key(&err);
        goto out_error;
    }

    /* A key that spells a script installs it the first time it is seen. */
    {
        char *json = NULL;
        char why[200];

        switch (shorthand_parse(key, &json, why, sizeof(why))) {
        case SHORTHAND_NONE:
            break;
        case SHORTHAND_BAD:
            provider_error_set(&err, 400,
                               "API key looks like mock-server "
                               "shorthand but is not: %s",
                               why);
            goto out_error;
        case SHORTHAND_OK: {
            script *scr = script_parse(json, strlen(json), why, sizeof(why));

            free(json);
            if (!scr) {
                provider_error_set(&err, 400, "shorthand key: %s", why);
                goto out_error;
            }
            store_install_shorthand(st->store, key, scr);
            break;
        }
        }
    }

    if (ops->check_headers(v, &err) != 0)
        goto out_error;
    if (too_large) {
        ops->too_large(&err);
        goto out_error;
    }
    if (ops->parse(v, ep, body, len, &rq, &err) != 0)
        goto out_error;
    if (path_model[0])
        copy_str(rq.model, sizeof(rq.model), path_model);
    copy_str(je->model, sizeof(je->model), rq.model);
    je->stream = rq.stream;
    info = model_lookup(ops->id, rq.model);
    if (!info) {
        ops->unknown_model(rq.model, &err);
        goto out_error;
    }
    je->input_tokens = reply_tokens(rq.text.len);
    if (reply_make(rq.last_user, rq.last_user_len, rq.max_tokens,
                   (const char *const *)rq.stops, rq.n_stops, &rp) != 0) {
        provider_error_set(&err, 500, "out of memory");
        goto out_error;
    }

    /* The server judges the client: did it come back too soon? */
    store_check_early(st->store, key, now, &early);
    je->early_retry = early.early;
    if (early.answer_429) {
        provider_error_set(&err, 429,
                           "Rate limit exceeded: retried %llu ms "
                           "before the retry-after this key was "
                           "given",
                           (unsigned long long)early.wait_ms);
        err.retry_delay_ms = (int64_t)early.wait_ms;
        add_retry_headers(&out->headers, early.wait_ms);
        goto out_error;
    }

    /* The rate limiter charges input tokens plus the max_tokens asked for
       (the reply's length when the request set no max). */
    rl_table_admit(st->rl, key,
                   je->input_tokens +
                       (rq.max_tokens ? rq.max_tokens : rp.output_tokens),
                   now, &dec);
    if (dec.active)
        rl_headers(&dec, ops->rl_style, wall_now_s(), add_header_cb,
                   &out->headers);
    if (dec.limited) {
        char d[32];

        je->rate_limited = true;
        store_note_retry_after(st->store, key, now, dec.retry_after_ms);
        provider_error_set(
            &err, 429,
            "Rate limit reached for %s: limit %u requests "
            "and %u tokens per minute. Please try again in "
            "%s.",
            rq.model, dec.limits.rpm, dec.limits.tpm,
            rl_format_duration(dec.retry_after_ms, d, sizeof(d)));
        err.retry_delay_ms = (int64_t)dec.retry_after_ms;
        goto out_error;
    }

    store_next_step(st->store, key, &step);
    je->delay_ms = step.delay_ms;
    out->delay_ms = step.delay_ms;
    {
        int64_t wait = -1;
        char val[32];

        if (step.retry_after_s >= 0) {
            snprintf(val, sizeof(val), "%lld", (long long)step.retry_after_s);
            exchange_add_header(&out->headers, "retry-after", val);
            wait = step.retry_after_s * 1000;
        }
        if (step.retry_after_ms >= 0) {
            snprintf(val, sizeof(val), "%lld", (long long)step.retry_after_ms);
            exchange_add_header(&out->headers, "retry-after-ms", val);
            wait = step.retry_after_ms; /* SDKs prefer the ms header */
        }
        if (wait < 0 && ops->id == PROVIDER_GEMINI && step.status == 429 &&
            step.fault == FAULT_NONE)
            wait = GEMINI_DEFAULT_RETRY_MS;
        if (wait >= 0)
            store_note_retry_after(st->store, key, now, (uint64_t)wait);
        err.retry_delay_ms = wait;
    }

    if (step.fault == FAULT_NONE && step.status != 200) {
        int64_t wait = err.retry_delay_ms;

        provider_error_set(&err, step.status,
                           "%s (scripted by the mock "
                           "server)",
                           status_message(step.status));
        err.retry_delay_ms = wait;
        goto out_error;
    }

    /* A success, or a fault acted out in place of one. */
    out->fault = step.fault;
    je->fault = script_fault_name(step.fault);
    if (step.fault == FAULT_TIMEOUT || step.fault == FAULT_RESET ||
        step.fault == FAULT_CLOSE) {
        out->status = 0;
        if (step.fault == FAULT_TIMEOUT && out->delay_ms == 0)
            out->delay_ms = SCRIPT_HOLD_DEFAULT_MS;
        goto out_journal;
    }
    {
        chat_answer a = {
            &rq, info, &rp, je->input_tokens, answer_id, (long long)time(NULL)};
        int rc;

        make_id(ops->answer_id_prefix, answer_id, sizeof(answer_id));
        if (rq.stream && step.fault != FAULT_MALFORMED &&
            step.fault != FAULT_EMPTY) {
            rc = ops->format_stream(&a, &b);
            out->events = true;
            out->content_type = rq.sse || ops->id != PROVIDER_GEMINI
                                    ? "text/event-stream"
                                    : "application/json";
            exchange_add_header(&out->headers, "cache-control", "no-cache");
        } else {
            rc = ops->format_answer(&a, &b);
        }
        if (rc != 0) {
            out->events = false;
            out->content_type = "application/json";
            provider_error_set(&err, 500, "out of memory");
            goto out_error;
        }
    }
    out->status = 200;
    out->body = buf_steal(&b, &out->body_len);
    switch (step.fault) {
    case FAULT_MALFORMED:
        /* Half a JSON document: curl is happy, the JSON parser is not. */
        out->body_len /= 2;
        break;
    case FAULT_PARTIAL:
        out->cut_at = out->body_len / 2;
        break;
    case FAULT_EMPTY:
        out->body_len = 0;
        break;
    default:
        je->output_tokens = rp.output_tokens;
        store_bill_add(st->store, key, info, je->input_tokens,
                       rp.output_tokens);
        break;
    }
    goto out_journal;

out_error:
    if (err.status == 429 && ops->id == PROVIDER_GEMINI &&
        err.retry_delay_ms < 0)
        err.retry_delay_ms = 0;
    out->events = false;
    error_body(ops, &err, rid, out);

out_journal:
    je->status = out->status;
    journal_add(st->journal, je);
    chat_request_free(&rq);
    reply_free(&rp);
    buf_free(&b);
}

void exchange_result_free(exchange_result *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    buf_free(&r->headers);
}
