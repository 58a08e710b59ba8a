/*
 * The test harness every test program in tests/ shares: it starts and stops
 * the mock server by pid, talks to its control API, makes raw HTTP requests,
 * and gives each test program a command line (`--list`, one test by name).
 *
 * Ownership follows one rule: whatever a function hands back through an
 * out-parameter or return value belongs to the caller, and the comment names
 * the function that frees it.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <cJSON.h>
#include <curl/curl.h>

/* ---- The mock server as a child process -------------------------------- */

typedef struct mockproc {
    pid_t pid;         /* 0 when not running or shared */
    int port;          /* the port it bound (it is started with --port 0) */
    char base_url[64]; /* "http://127.0.0.1:PORT" */
} mockproc;

/*
 * Starts $MOCKSERVER (default "build/mockserver") with `--port 0 --quiet
 * --port-file TMP` followed by extra_args (a NULL-terminated array, or NULL),
 * and waits until GET /_mock/health answers. Returns 0, or -1 after printing
 * the reason on stderr; on failure nothing is left running.
 * $MOCKSERVER_WRAP, when set, is a command put in front of the server
 * (words split on spaces), e.g. "valgrind --error-exitcode=99"; the waits
 * then grow to suit a slow tool.
 * $MOCKSERVER_SHARED_URL, when set and extra_args is NULL, attaches to a
 * server that is already running there instead (the grader starts one per
 * lab, since every test uses keys of its own); mockproc_stop then leaves it
 * running.
 */
int mockproc_start(mockproc *m, const char *const *extra_args);

/*
 * Stops the server started by mockproc_start: SIGTERM, a bounded wait, then
 * SIGKILL. Never kills by name. Safe on a mockproc that is not running.
 * Returns the server's exit status (0 for a clean stop), or -1 if it had to be
 * killed or was not running.
 */
int mockproc_stop(mockproc *m);

/*
 * Points the provided library at the server: sets ANTHROPIC_BASE_URL,
 * OPENAI_BASE_URL and GEMINI_BASE_URL to m->base_url.
 */
void mockproc_export_env(const mockproc *m);

/* ---- Raw HTTP ------------------------------------------------------------ */

typedef struct http_result {
    CURLcode curl; /* CURLE_OK when a whole response arrived */
    long status;   /* HTTP status, 0 when none arrived */
    char *body;    /* NUL-terminated; caller frees with http_result_free */
    size_t body_len;
    char *headers;   /* the raw response header block, NUL-terminated */
    double total_s;  /* curl's total time */
    long local_port; /* our side's TCP port */
} http_result;

/*
 * Makes one request with a fresh curl handle. headers is a NULL-terminated
 * list of "Name: value" strings, or NULL. body NULL sends no body. timeout_ms
 * 0 means 10 seconds. Returns 0 when the request was attempted, whatever
 * curl's outcome (see out->curl), or -1 if it could not be set up. The caller
 * frees *out with http_result_free, on both paths.
 */
int http_do(const char *method, const char *url, const char *const *headers,
            const char *body, long timeout_ms, http_result *out);

/*
 * Finds a response header by name, case-insensitively, and copies its value
 * (trimmed) into buf. Returns buf, or NULL if the header is absent.
 */
const char *http_header(const http_result *r, const char *name, char *buf,
                        size_t buflen);

/* Releases what http_do stored in r and zeroes it. NULL is a no-op. */
void http_result_free(http_result *r);

/* ---- The control API ----------------------------------------------------- */

/*
 * Sends METHOD base_url+path with an optional JSON body. When json_out is not
 * NULL, *json_out receives the parsed response (caller frees with
 * cJSON_Delete; NULL if the body is not JSON). Returns the HTTP status, or -1
 * if no response arrived.
 */
long mockctl(const mockproc *m, const char *method, const char *path,
             const char *json_body, cJSON **json_out);

/* PUT /_mock/scripts/{key}. Returns the HTTP status. */
long mockctl_put_script(const mockproc *m, const char *key,
                        const char *script_json);

/* PUT /_mock/limits/{key}. Returns the HTTP status. */
long mockctl_put_limits(const mockproc *m, const char *key,
                        const char *limits_json);

/*
 * GET /_mock/journal (filtered by key unless key is NULL). Returns the whole
 * response object, whose "requests" member is the array; caller frees with
 * cJSON_Delete. NULL on any failure.
 */
cJSON *mockctl_journal(const mockproc *m, const char *key);

/* GET /_mock/bill?key=K. Caller frees with cJSON_Delete; NULL on failure. */
cJSON *mockctl_bill(const mockproc *m, const char *key);

/* POST /_mock/reset. Returns the HTTP status. */
long mockctl_reset(const mockproc *m);

/* The number of requests the journal holds for key, or -1 on failure. */
int mockctl_count(const mockproc *m, const char *key);

/*
 * Writes a key unique to this process and call into buf:
 * "test-TAG-PID-N". It never spells a mock-server shorthand script.
 */
void unique_key(char *buf, size_t n, const char *tag);

/*
 * Writes the journal's attempt timeline for a learner to read, one attempt
 * per line: "  #1  t=+0 ms    429 (retry-after honoured?)" with the gap since
 * the previous attempt. journal is what mockctl_journal returned. Returns buf.
 */
const char *journal_timeline(const cJSON *journal, char *buf, size_t n);

/* ---- Assertions that speak ---------------------------------------------- */

/*
 * Fails the current test with a sentence when cond is false:
 *     expect_that(n == 3, "the server saw %d requests; a 429 must be "
 *                 "retried, so it should see 3", n);
 */
#define expect_that(cond, ...)                                                 \
    do {                                                                       \
        if (!(cond))                                                           \
            fail_msg(__VA_ARGS__);                                             \
    } while (0)

/* ---- The command line every test program has ---------------------------- */

/*
 * Runs the group with CMocka. With no argument every test runs; with
 * `--list` the test names are printed one per line; with one or more names
 * only those run (an unknown name is an error, exit 2, never a silent pass).
 * Returns the process exit status.
 */
int harness_main(int argc, char **argv, const char *group,
                 const struct CMUnitTest *tests, size_t n,
                 CMFixtureFunction setup, CMFixtureFunction teardown);

#define HARNESS_MAIN(group, tests, setup, teardown)                            \
    harness_main(argc, argv, (group), (tests),                                 \
                 sizeof(tests) / sizeof((tests)[0]), (setup), (teardown))

#endif
