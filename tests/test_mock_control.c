/*
 * Black-box tests of the mock server's control API and program: bad input
 * named by field, the journal's fields and filtering, connection reuse in
 * `conn`, the bill at the course's prices, reset, scenario files, the
 * command-line flags, the first stdout line, and the log's key redaction.
 * One real build/mockserver serves most tests; the program tests start
 * their own, by pid.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static mockproc server;

/* ---- helpers ---------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    return mockproc_start(&server, NULL);
}

static int teardown(void **state)
{
    (void)state;
    return mockproc_stop(&server) == 0 ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static const char *mockserver_path(void)
{
    const char *exe = getenv("MOCKSERVER");

    return exe && *exe ? exe : "build/mockserver";
}

static const char *str_at(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* An Anthropic call on m with key and model; extra is one more header. */
static void call_on(const mockproc *m, const char *key, const char *model,
                    const char *extra, http_result *r)
{
    char url[256], auth[160], body[320];
    const char *headers[] = {auth, "anthropic-version: 2023-06-01", extra,
                             NULL};

    snprintf(url, sizeof(url), "%s/v1/messages", m->base_url);
    snprintf(auth, sizeof(auth), "x-api-key: %s", key);
    snprintf(body, sizeof(body),
             "{\"model\":\"%s\",\"max_tokens\":200,\"messages\":[{\"role\":"
             "\"user\",\"content\":\"Summarise this router log\"}]}",
             model);
    assert_int_equal(http_do("POST", url, headers, body, 0, r), 0);
}

static void call(const char *key, http_result *r)
{
    call_on(&server, key, "claude-haiku-4.5", NULL, r);
}

/*
 * Sends a control request that must fail with 400 and checks the answer
 * names field in both "error" and "field".
 */
static void expect_bad_field(const char *method, const char *path,
                             const char *body, const char *field)
{
    cJSON *j = NULL;
    long st = mockctl(&server, method, path, body, &j);
    const char *err = str_at(j, "error");
    const char *f = str_at(j, "field");

    expect_that(st == 400,
                "%s %s with %s is invalid and should get 400, got %ld", method,
                path, body, st);
    expect_that(err && strstr(err, field) && f && strcmp(f, field) == 0,
                "the 400 for %s should name the field %s (in \"error\" and "
                "\"field\"); got error \"%s\" field \"%s\"",
                body, field, err ? err : "(none)", f ? f : "(none)");
    cJSON_Delete(j);
}

/* ---- the control API --------------------------------------------------- */

static void test_health_answers_ok(void **state)
{
    cJSON *j = NULL;
    long st;

    (void)state;
    st = mockctl(&server, "GET", "/_mock/health", NULL, &j);
    expect_that(st == 200 && str_at(j, "status") &&
                    strcmp(str_at(j, "status"), "ok") == 0,
                "GET /_mock/health is 200 {\"status\":\"ok\"}, got %ld", st);
    cJSON_Delete(j);
}

static void test_bad_scripts_are_400_naming_the_field(void **state)
{
    (void)state;
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"steps\":[{\"status\":200},{\"status\":418}]}",
                     "steps[1].status");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"steps\":[{\"fault\":\"explode\"}]}", "steps[0].fault");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"steps\":[{\"delay\":100}]}", "steps[0].delay");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"steps\":[{\"delay_ms\":-5}]}", "steps[0].delay_ms");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"steps\":[{\"retry_after\":\"soon\"}]}",
                     "steps[0].retry_after");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"steps\":[],\"then\":\"again\"}", "then");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"steps\":{\"status\":429}}", "steps");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"chaos\":{\"seed\":1,\"rate\":1.5,"
                     "\"statuses\":[429]}}",
                     "chaos.rate");
    expect_bad_field("PUT", "/_mock/scripts/test-bad",
                     "{\"chaos\":{\"seed\":1,\"rate\":0.5,"
                     "\"statuses\":[429,999]}}",
                     "chaos.statuses[1]");
    expect_bad_field("PUT", "/_mock/scripts/test-bad", "{\"steps\":[",
                     "(body)");
}

static void test_bad_limits_are_400_naming_the_field(void **state)
{
    (void)state;
    expect_bad_field("PUT", "/_mock/limits/test-bad", "{\"rpm\":\"five\"}",
                     "rpm");
    expect_bad_field("PUT", "/_mock/limits/test-bad", "{\"tpm\":-1}", "tpm");
    expect_bad_field("PUT", "/_mock/limits/test-bad", "{\"tier\":\"platinum\"}",
                     "tier");
    expect_bad_field("PUT", "/_mock/limits/test-bad", "{\"rps\":5}", "rps");
}

static void test_unknown_control_paths_and_methods(void **state)
{
    long st;

    (void)state;
    st = mockctl(&server, "GET", "/_mock/nothing-here", NULL, NULL);
    expect_that(st == 404, "an unknown control path is 404, got %ld", st);
    st = mockctl(&server, "GET", "/_mock/reset", NULL, NULL);
    expect_that(st == 405, "GET /_mock/reset is 405 (use POST), got %ld", st);
    st = mockctl(&server, "POST", "/_mock/journal", "{}", NULL);
    expect_that(st == 405, "POST /_mock/journal is 405, got %ld", st);
}

static void test_delete_script_restores_success(void **state)
{
    char key[64], path[128];
    http_result r;
    cJSON *j = NULL;

    (void)state;
    unique_key(key, sizeof(key), "delete");
    assert_int_equal(mockctl_put_script(&server, key,
                                        "{\"steps\":[{\"status\":500}],"
                                        "\"then\":\"repeat\"}"),
                     200);
    snprintf(path, sizeof(path), "/_mock/scripts/%s", key);
    expect_that(
        mockctl(&server, "DELETE", path, NULL, &j) == 200 &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "removed")),
        "DELETE of an installed script is 200 with removed:true");
    cJSON_Delete(j);
    call(key, &r);
    expect_that(r.status == 200,
                "with its script deleted the key succeeds, "
                "got %ld",
                r.status);
    http_result_free(&r);
}

static void test_journal_records_every_field(void **state)
{
    char key[64], json_key[64];
    http_result r;
    cJSON *journal, *resp;
    const cJSON *requests, *e;
    const cJSON *usage;

    (void)state;
    unique_key(key, sizeof(key), "fields");
    assert_int_equal(mockctl_put_script(&server, key,
                                        "{\"steps\":[{\"status\":503,"
                                        "\"delay_ms\":20},{}]}"),
                     200);
    call(key, &r);
    http_result_free(&r);
    call_on(&server, key, "claude-haiku-4-5", "x-stainless-retry-count: 1", &r);
    resp = cJSON_Parse(r.body);
    usage = cJSON_GetObjectItemCaseSensitive(resp, "usage");
    journal = mockctl_journal(&server, key);
    requests = cJSON_GetObjectItemCaseSensitive(journal, "requests");
    expect_that(cJSON_GetArraySize(requests) == 2,
                "the journal for one key holds exactly its 2 requests, not "
                "%d",
                cJSON_GetArraySize(requests));
    e = cJSON_GetArrayItem(requests, 0);
    expect_that(
        num_at(e, "status") == 503 && num_at(e, "delay_ms") == 20 &&
            cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "retry_count")),
        "entry 1: status 503, delay_ms 20, retry_count null (no "
        "header)");
    e = cJSON_GetArrayItem(requests, 1);
    expect_that(
        num_at(e, "seq") > num_at(cJSON_GetArrayItem(requests, 0), "seq") &&
            num_at(e, "t_ms") > num_at(cJSON_GetArrayItem(requests, 0), "t_ms"),
        "seq and t_ms grow in arrival order");
    expect_that(
        str_at(e, "provider") &&
            strcmp(str_at(e, "provider"), "anthropic") == 0 &&
            strcmp(str_at(e, "path"), "/v1/messages") == 0 &&
            strcmp(str_at(e, "model"), "claude-haiku-4-5") == 0 &&
            num_at(e, "status") == 200 &&
            cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "fault")) &&
            num_at(e, "delay_ms") == 0 && num_at(e, "conn") >= 1 &&
            cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "early_retry")) &&
            num_at(e, "retry_count") == 1,
        "entry 2 should have provider, path, model as sent, status "
        "200, fault null, delay_ms 0, conn, early_retry false, "
        "retry_count 1 (from x-stainless-retry-count)");
    expect_that(num_at(e, "input_tokens") == num_at(usage, "input_tokens") &&
                    num_at(e, "output_tokens") ==
                        num_at(usage, "output_tokens") &&
                    num_at(e, "output_tokens") > 0,
                "the journal's tokens equal the answer's usage: %s", r.body);
    /* The journal never holds a key: not in this entry, not anywhere. */
    {
        char *text = cJSON_PrintUnformatted(journal);

        snprintf(json_key, sizeof(json_key), "%s", key);
        expect_that(strstr(text, json_key) == NULL,
                    "the journal must never contain an API key");
        cJSON_free(text);
    }
    cJSON_Delete(journal);
    cJSON_Delete(resp);
    http_result_free(&r);
}

static void test_journal_filters_by_key(void **state)
{
    char a[64], b[64];
    http_result r;
    cJSON *all;
    int na, nb, n_all;

    (void)state;
    unique_key(a, sizeof(a), "filter-a");
    unique_key(b, sizeof(b), "filter-b");
    for (int i = 0; i < 3; i++) {
        call(a, &r);
        http_result_free(&r);
    }
    call(b, &r);
    http_result_free(&r);
    na = mockctl_count(&server, a);
    nb = mockctl_count(&server, b);
    all = mockctl_journal(&server, NULL);
    n_all =
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(all, "requests"));
    expect_that(na == 3 && nb == 1 && n_all >= 4,
                "?key= filters: key a made 3 requests, b 1, all >= 4; got "
                "%d, %d, %d",
                na, nb, n_all);
    cJSON_Delete(all);
}

/* Two requests on one curl handle reuse its connection. */
static void test_conn_shows_connection_reuse(void **state)
{
    char key[64], url[256], auth[160];
    struct curl_slist *h = NULL;
    CURL *curl = curl_easy_init();
    FILE *devnull = fopen("/dev/null", "w");
    http_result r;
    cJSON *journal;
    const cJSON *req;
    double c1, c2, c3;
    const char *body = "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":5,"
                       "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    (void)state;
    assert_non_null(curl);
    assert_non_null(devnull);
    unique_key(key, sizeof(key), "conn");
    snprintf(url, sizeof(url), "%s/v1/messages", server.base_url);
    snprintf(auth, sizeof(auth), "x-api-key: %s", key);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "anthropic-version: 2023-06-01");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, devnull);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    expect_that(curl_easy_perform(curl) == CURLE_OK, "first call works");
    expect_that(curl_easy_perform(curl) == CURLE_OK, "second call works");
    curl_easy_cleanup(curl);
    curl_slist_free_all(h);
    fclose(devnull);
    call(key, &r); /* a fresh handle: a new connection */
    http_result_free(&r);

    journal = mockctl_journal(&server, key);
    req = cJSON_GetObjectItemCaseSensitive(journal, "requests");
    c1 = num_at(cJSON_GetArrayItem(req, 0), "conn");
    c2 = num_at(cJSON_GetArrayItem(req, 1), "conn");
    c3 = num_at(cJSON_GetArrayItem(req, 2), "conn");
    expect_that(c1 > 0 && c1 == c2,
                "two requests on one keep-alive curl handle share a "
                "connection, so their conn is equal: %.0f vs %.0f",
                c1, c2);
    expect_that(c3 > 0 && c3 != c1,
                "a fresh handle opens a new connection with a new conn: "
                "%.0f vs %.0f",
                c3, c1);
    cJSON_Delete(journal);
}

static void test_bill_uses_the_course_prices(void **state)
{
    static const struct {
        const char *model;
        const char *billed_as;
        double in_price, out_price; /* USD per million tokens */
    } calls[] = {
        {"claude-sonnet-4.5", "claude-sonnet-4.5", 3.00, 15.00},
        {"claude-sonnet-4-5", "claude-sonnet-4.5", 3.00, 15.00},
        {"claude-opus-4.5", "claude-opus-4.5", 5.00, 25.00},
    };
    char key[64];
    double want_usd = 0, sonnet_in = 0, sonnet_out = 0;
    cJSON *bill;
    const cJSON *row, *models;
    bool found = false;

    (void)state;
    unique_key(key, sizeof(key), "bill");
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        http_result r;
        cJSON *j;
        const cJSON *usage;
        double in, out;

        call_on(&server, key, calls[i].model, NULL, &r);
        j = cJSON_Parse(r.body);
        usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
        in = num_at(usage, "input_tokens");
        out = num_at(usage, "output_tokens");
        expect_that(r.status == 200 && in > 0 && out > 0,
                    "%s answers with usage, got %ld %s", calls[i].model,
                    r.status, r.body);
        want_usd +=
            in / 1e6 * calls[i].in_price + out / 1e6 * calls[i].out_price;
        if (strcmp(calls[i].billed_as, "claude-sonnet-4.5") == 0) {
            sonnet_in += in;
            sonnet_out += out;
        }
        cJSON_Delete(j);
        http_result_free(&r);
    }
    bill = mockctl_bill(&server, key);
    expect_that(bill != NULL, "GET /_mock/bill?key= answers JSON");
    expect_that(fabs(num_at(bill, "usd") - want_usd) < 1e-9,
                "the bill's total must be priced at the course's prices: "
                "want %.9f USD, got %.9f",
                want_usd, num_at(bill, "usd"));
    models = cJSON_GetObjectItemCaseSensitive(bill, "models");
    cJSON_ArrayForEach(row, models)
    {
        if (str_at(row, "model") &&
            strcmp(str_at(row, "model"), "claude-sonnet-4.5") == 0) {
            found = true;
            expect_that(num_at(row, "requests") == 2 &&
                            num_at(row, "input_tokens") == sonnet_in &&
                            num_at(row, "output_tokens") == sonnet_out,
                        "both spellings of Sonnet 4.5 bill to one row with 2 "
                        "requests and their tokens");
        }
    }
    expect_that(found && cJSON_GetArraySize(models) == 2,
                "the bill has one row per model (sonnet, opus), got %d rows",
                cJSON_GetArraySize(models));
    cJSON_Delete(bill);
}

static void test_reset_clears_scripts_journal_and_bill(void **state)
{
    char key[64];
    http_result r;
    cJSON *bill;

    (void)state;
    unique_key(key, sizeof(key), "reset");
    call(key, &r);
    http_result_free(&r);
    assert_int_equal(
        mockctl_put_script(&server, key, "{\"steps\":[{\"status\":500}]}"),
        200);
    expect_that(mockctl_reset(&server) == 200, "POST /_mock/reset is 200");
    expect_that(mockctl_count(&server, NULL) == 0,
                "after reset the journal is empty, it holds %d",
                mockctl_count(&server, NULL));
    bill = mockctl_bill(&server, NULL);
    expect_that(num_at(bill, "usd") == 0 && num_at(bill, "requests") == 0,
                "after reset nothing is billed");
    cJSON_Delete(bill);
    call(key, &r);
    expect_that(r.status == 200,
                "after reset the key's script is gone, got "
                "%ld",
                r.status);
    http_result_free(&r);
    expect_that(mockctl(&server, "DELETE", "/_mock/journal", NULL, NULL) ==
                        200 &&
                    mockctl_count(&server, NULL) == 0,
                "DELETE /_mock/journal empties the journal");
}

/* ---- the program --------------------------------------------------------- */

/*
 * Runs the mock server with args (NULL-terminated) and waits up to 3 s for
 * it to exit. Its stderr goes to err_path. Returns its exit status, or -1
 * if it did not exit (it is then killed by pid).
 */
static int run_to_exit(const char *const *args, const char *err_path)
{
    const char *argv[16];
    size_t n = 0;
    pid_t pid;
    int status;

    argv[n++] = mockserver_path();
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_WRONLY);

        dup2(fd, STDERR_FILENO);
        dup2(null, STDOUT_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (int waited = 0; waited < 3000; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Reads a small file into buf; returns the number of lines in it. */
static int read_lines(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(buf, 1, n - 1, f) : 0;
    int lines = 0;

    if (f)
        fclose(f);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    return lines;
}

static void expect_exit_2_with_one_line(const char *const *args,
                                        const char *mention, const char *what)
{
    char err_path[] = "/tmp/mock-control-err-XXXXXX";
    char text[2048];
    int fd = mkstemp(err_path);
    int code, lines;

    assert_true(fd >= 0);
    close(fd);
    code = run_to_exit(args, err_path);
    lines = read_lines(err_path, text, sizeof(text));
    unlink(err_path);
    expect_that(code == 2, "%s: the server must exit with status 2, got %d",
                what, code);
    expect_that(lines == 1 && strstr(text, mention),
                "%s: the server must print one line mentioning %s; it "
                "printed %d: %s",
                what, mention, lines, text);
}

static void test_bad_flags_exit_2_with_one_line(void **state)
{
    const char *unknown[] = {"--port", "0", "--frobnicate", NULL};
    const char *scale[] = {"--port", "0", "--time-scale", "2", NULL};
    const char *tier[] = {"--port", "0", "--tier", "gold", NULL};
    const char *port[] = {"--port", "http", NULL};

    (void)state;
    expect_exit_2_with_one_line(unknown, "--frobnicate", "an unknown flag");
    expect_exit_2_with_one_line(scale, "--time-scale", "--time-scale 2");
    expect_exit_2_with_one_line(tier, "gold", "an unknown tier");
    expect_exit_2_with_one_line(port, "--port", "a port that is not a number");
}

static void test_non_loopback_host_needs_allow_remote(void **state)
{
    const char *args[] = {"--port", "0", "--host", "0.0.0.0", NULL};

    (void)state;
    expect_exit_2_with_one_line(args, "--allow-remote",
                                "--host 0.0.0.0 without --allow-remote");
}

/* Writes text to a new temporary file whose name goes into path. */
static void write_temp(char *path, const char *text)
{
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static void test_bad_scenario_exits_2_naming_the_field(void **state)
{
    char path[] = "/tmp/mock-scenario-bad-XXXXXX";
    const char *args[] = {"--port", "0", "--scenario", path, NULL};

    (void)state;
    write_temp(path, "{\"scripts\":{\"test-scn\":{\"steps\":[{\"status\":"
                     "200},{\"fault\":\"nope\"}]}}}");
    expect_exit_2_with_one_line(args, "steps[1].fault",
                                "a scenario with a bad fault");
    unlink(path);
}

static void test_scenario_file_loads_scripts_and_limits(void **state)
{
    char path[] = "/tmp/mock-scenario-XXXXXX";
    const char *args[] = {"--scenario", path, NULL};
    mockproc other;
    http_result r;
    char v[64];

    (void)state;
    write_temp(path,
               "{\"scripts\":{\"test-scenario-key\":{\"steps\":[{\"status\":"
               "529},{\"status\":200}]}},"
               "\"limits\":{\"test-scenario-key\":{\"tier\":"
               "\"anthropic-free\"}}}");
    assert_int_equal(mockproc_start(&other, args), 0);
    call_on(&other, "test-scenario-key", "claude-haiku-4.5", NULL, &r);
    expect_that(r.status == 529,
                "the scenario's script gives 529 first, got "
                "%ld",
                r.status);
    expect_that(
        http_header(&r, "anthropic-ratelimit-requests-limit", v, sizeof(v)) &&
            strcmp(v, "5") == 0,
        "the scenario's anthropic-free limit shows in "
        "anthropic-ratelimit-requests-limit: 5:\n%s",
        r.headers);
    http_result_free(&r);
    call_on(&other, "test-scenario-key", "claude-haiku-4.5", NULL, &r);
    expect_that(r.status == 200, "then 200, got %ld", r.status);
    http_result_free(&r);
    expect_that(mockproc_stop(&other) == 0, "the server stops with status 0");
    unlink(path);
}

static void test_listening_line_log_redaction_and_clean_stop(void **state)
{
    char port_path[] = "/tmp/mock-port-XXXXXX";
    char out_path[] = "/tmp/mock-out-XXXXXX";
    char err_path[] = "/tmp/mock-err-XXXXXX";
    const char *secret = "mock-key-lab3-s3cr3t-value";
    char out[512], err[4096], want[96];
    mockproc m;
    http_result r;
    pid_t pid;
    int status = -1, fd;

    (void)state;
    fd = mkstemp(port_path);
    close(fd);
    fd = mkstemp(out_path);
    close(fd);
    fd = mkstemp(err_path);
    close(fd);
    unlink(port_path);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[] = {mockserver_path(), "--port",  "0",
                              "--port-file",     port_path, NULL};
        int o = open(out_path, O_WRONLY | O_TRUNC);
        int e = open(err_path, O_WRONLY | O_TRUNC);

        dup2(o, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    memset(&m, 0, sizeof(m));
    for (int waited = 0; waited < 3000 && !m.port; waited += 10) {
        FILE *f = fopen(port_path, "r");

        if (f) {
            if (fscanf(f, "%d", &m.port) != 1)
                m.port = 0;
            fclose(f);
        }
        sleep_ms(10);
    }
    assert_true(m.port > 0);
    snprintf(m.base_url, sizeof(m.base_url), "http://127.0.0.1:%d", m.port);
    call_on(&m, secret, "claude-haiku-4.5", NULL, &r);
    expect_that(r.status == 200, "the request works, got %ld", r.status);
    http_result_free(&r);
    /* SIGTERM stops it cleanly, with status 0. */
    kill(pid, SIGTERM);
    for (int waited = 0; waited < 3000; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        sleep_ms(10);
    }
    if (!WIFEXITED(status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    expect_that(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "SIGTERM must stop the server with status 0");
    read_lines(out_path, out, sizeof(out));
    read_lines(err_path, err, sizeof(err));
    unlink(port_path);
    unlink(out_path);
    unlink(err_path);
    snprintf(want, sizeof(want),
             "mockserver listening on http://127.0.0.1:%d\n", m.port);
    expect_that(strncmp(out, want, strlen(want)) == 0,
                "the first stdout line must be \"%.*s\"; got \"%s\"",
                (int)strlen(want) - 1, want, out);
    expect_that(strstr(err, "POST /v1/messages") != NULL,
                "without --quiet each request is logged on stderr: %s", err);
    expect_that(strstr(err, secret) == NULL && strstr(err, "s3cr3t") == NULL,
                "the log must never print the key; it printed: %s", err);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_answers_ok),
        cmocka_unit_test(test_bad_scripts_are_400_naming_the_field),
        cmocka_unit_test(test_bad_limits_are_400_naming_the_field),
        cmocka_unit_test(test_unknown_control_paths_and_methods),
        cmocka_unit_test(test_delete_script_restores_success),
        cmocka_unit_test(test_journal_records_every_field),
        cmocka_unit_test(test_journal_filters_by_key),
        cmocka_unit_test(test_conn_shows_connection_reuse),
        cmocka_unit_test(test_bill_uses_the_course_prices),
        cmocka_unit_test(test_reset_clears_scripts_journal_and_bill),
        cmocka_unit_test(test_bad_flags_exit_2_with_one_line),
        cmocka_unit_test(test_non_loopback_host_needs_allow_remote),
        cmocka_unit_test(test_bad_scenario_exits_2_naming_the_field),
        cmocka_unit_test(test_scenario_file_loads_scripts_and_limits),
        cmocka_unit_test(test_listening_line_log_redaction_and_clean_stop),
    };

    return HARNESS_MAIN("mock_control", tests, setup, teardown);
}
