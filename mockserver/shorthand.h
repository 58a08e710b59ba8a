/*
 * shorthand.h - API keys that spell a fault script, so a learner can make
 * the mock server fail with no control call at all:
 *
 *     ANTHROPIC_API_KEY=mock-429-429-ok ./lab1
 *
 * Grammar (tokens are separated by '-', lower case only):
 *
 *     key      = "mock-" step { "-" step } [ "-repeat" ]
 *     step     = base { modifier }
 *     base     = status | "ok" | fault
 *     status   = 200 | 400 | 401 | 403 | 404 | 408 | 413 | 429
 *              | 500 | 502 | 503 | 504 | 529
 *     fault    = "timeout" | "reset" | "close" | "malformed" | "partial"
 *              | "empty"
 *     modifier = "r" N        retry_after: N seconds       (N <= 3600)
 *              | "r" N "ms"   retry_after_ms: N ms          (N <= 3600000)
 *              | "d" N ["ms"] delay_ms: answer N ms late     (N <= 60000)
 *              | "x" N        the same step N times         (1 <= N <= 100)
 *
 * "ok" is status 200. Each modifier appears at most once per step, in any
 * order. A final "repeat" replays the steps for ever (then:"repeat");
 * without it the key succeeds once the steps are used up (then:"ok").
 * A key spells at most SHORTHAND_MAX_STEPS steps, counting x repeats.
 *
 *     mock-429-429-ok       429, 429, then success
 *     mock-429r2-ok         429 with retry-after: 2, then success
 *     mock-429r1500ms       429 with retry-after-ms: 1500, then success
 *     mock-503d150x3-ok     three 503s, each 150 ms late, then success
 *     mock-timeout-ok       no answer until the client gives up, then success
 *     mock-429-ok-repeat    429, 200, 429, 200, ... for ever
 *
 * Which keys are shorthand: a key is shorthand when it starts with "mock-"
 * and its first token starts with a three-digit number, or with a step word
 * (ok or a fault) followed by nothing or by a modifier letter and a digit.
 * Such a key must then parse completely, or the server answers 400 naming
 * the first bad token. Every other key ("mock-key-lab3", "mock-okapi",
 * "test-abc") is an ordinary key.
 */
#ifndef MOCKSERVER_SHORTHAND_H
#define MOCKSERVER_SHORTHAND_H

#include <stddef.h>

/* The most steps one key may spell, counting x repeats. */
#define SHORTHAND_MAX_STEPS 100

typedef enum {
    SHORTHAND_NONE, /* an ordinary key */
    SHORTHAND_OK,   /* a script, written to *script_json */
    SHORTHAND_BAD   /* looks like shorthand but does not parse */
} shorthand_result;

/*
 * Reads a key as shorthand.
 *
 * key:         the API key (NULL is an ordinary key). Not kept.
 * script_json: on SHORTHAND_OK receives the script in the control API's
 *              form, {"steps":[...],"then":"ok"|"repeat"}, with each step
 *              an object of the fields status, delay_ms, retry_after,
 *              retry_after_ms and fault that the key set (a fault step has
 *              no status). Caller owns it; free with free(). Set to NULL on
 *              the other results. May be NULL to only classify the key.
 * err, errlen: on SHORTHAND_BAD receives one line naming the first bad
 *              token (counted from 1 after "mock-") and why, e.g.
 *              token 2 "429q": "q" is not a modifier (...), for the
 *              server to put after its own words. The key itself never
 *              appears whole in it; a long token is cut short and odd
 *              characters show as '?'. Set to "" on the other results.
 *              err may be NULL when errlen is 0.
 * Returns which kind of key it is. When memory runs out the result is
 * SHORTHAND_BAD with err saying so.
 * Thread-safe: it keeps no state.
 */
shorthand_result shorthand_parse(const char *key, char **script_json, char *err,
                                 size_t errlen);

#endif /* MOCKSERVER_SHORTHAND_H */
