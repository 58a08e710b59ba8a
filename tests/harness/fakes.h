/*
 * Fakes for unit tests: a clock whose sleep only moves its own time, and a
 * transport that plays back a script of responses. With them a test asserts
 * the exact schedule a retry loop keeps (1000 ms, 2000 ms, 4000 ms...)
 * without sleeping at all.
 */
#ifndef FAKES_H
#define FAKES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kit_clock.h"
#include "kit_http.h"

enum { FAKE_MAX_RECORDS = 256 };

typedef struct fake_clock {
    kit_clock clock;      /* pass &fc->clock wherever a kit_clock is wanted */
    pthread_mutex_t lock; /* the fake is safe across threads */
    uint64_t now_ms;
    int64_t wall_s; /* moves with now_ms: wall = start + now/1000 */
    int64_t wall_start_s;
    uint64_t start_ms;
    uint64_t sleeps[FAKE_MAX_RECORDS]; /* each sleep asked for, in order */
    size_t n_sleeps;   /* may exceed FAKE_MAX_RECORDS; only the first kept */
    uint64_t slept_ms; /* total */
    uint32_t rng;      /* xorshift state for random_u32 */
    bool fixed_random; /* when true random_u32 returns random_value */
    uint32_t random_value;
} fake_clock;

/* Starts the fake at monotonic start_ms and wall time wall_s. */
void fake_clock_init(fake_clock *fc, uint64_t start_ms, int64_t wall_s);
/* Releases the fake's mutex. */
void fake_clock_destroy(fake_clock *fc);
/* Moves time forward without recording a sleep (time passing elsewhere). */
void fake_clock_advance(fake_clock *fc, uint64_t ms);

/* One scripted exchange. */
typedef struct fake_step {
    kit_status transport; /* KIT_OK for an HTTP answer, else the failure */
    long status;          /* HTTP status when transport is KIT_OK */
    const char *body;     /* response body, or NULL for "" */
    long retry_after_ms;  /* -1 for none */
    const char
        *headers; /* raw extra header block ("a: 1\r\nb: 2\r\n"), or NULL */
    uint64_t takes_ms; /* how long the exchange takes on the fake clock */
} fake_step;

/*
 * Step constructors, so a script reads as what happens. takes_ms is how long
 * the exchange takes on the fake clock.
 */
fake_step fake_ok(const char *body, uint64_t takes_ms);
fake_step fake_http(long status, const char *body, long retry_after_ms,
                    uint64_t takes_ms);
fake_step fake_fail(kit_status failure, uint64_t takes_ms);

typedef struct fake_transport {
    kit_transport transport; /* pass &ft->transport wherever one is wanted */
    const fake_step *steps;
    size_t n_steps;    /* after the last step, the last repeats */
    fake_clock *clock; /* optional: records times, advances takes_ms */
    size_t calls;
    uint64_t call_at_ms[FAKE_MAX_RECORDS]; /* the fake time of each call */
    char last_url[512];
    char last_body[8192];
    char last_headers[2048]; /* the request headers, one per line */
    /*
     * A request with on_body hears the body during send, split after each
     * blank line ("\n\n" or "\n\r\n"), so a stream arrives event by event.
     * in_send is true while those calls run (a callback can check it is
     * called during send); chunks_delivered counts them over every call.
     */
    bool in_send;
    size_t chunks_delivered;
} fake_transport;

void fake_transport_init(fake_transport *ft, const fake_step *steps,
                         size_t n_steps, fake_clock *clock);

/* A 200 body of the Anthropic Messages API with the given text and usage.
 * Returns a static buffer overwritten by the next call. */
const char *fake_anthropic_ok(const char *text, long in_tokens,
                              long out_tokens);

#endif
