/*
 * Secrets stay secret: runs the mock server (with its request log on), the
 * provided library and lab 3's storm program with one distinctive fake key
 * through every scripted status and fault, each provider's auth forms, rate
 * limits, a bad scenario file and a bad .env line, and fails if the key
 * appears whole in any output: the server's stdout and request log, the
 * answers, the journal, the bill, the library's messages or the storm's
 * stdout and stderr.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kit_chat.h"
#include "kit_env.h"
#include "kit_http.h"

/* Not shaped like any real provider's key; an ordinary (non-shorthand) key
   to the mock server. */
#define CANARY "mock-key-CANARY-7f3a9c2e"

static char dir[64];
static char out_path[128], err_path[128];
static mockproc server;

/* ---- helpers ------------------------------------------------------------ */

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Reads a whole file; caller frees with free(). "" when it is missing. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = NULL;
    size_t cap = 0, len = 0, n;

    if (f) {
        do {
            if (cap - len < 4096) {
                char *t = realloc(s, cap + 65536);

                assert_non_null(t);
                s = t;
                cap += 65536;
            }
            n = fread(s + len, 1, cap - len - 1, f);
            len += n;
        } while (n > 0);
        fclose(f);
    }
    if (!s) {
        s = malloc(1);
        assert_non_null(s);
    }
    s[len] = '\0';
    return s;
}

static void expect_no_canary(const char *where, const char *text)
{
    const char *hit = text ? strstr(text, CANARY) : NULL;

    expect_that(hit == NULL,
                "the fake key appeared whole in %s: \"...%.60s...\"", where,
                hit ? (hit > text + 20 ? hit - 20 : text) : "");
}

static void expect_file_has_no_canary(const char *what, const char *path)
{
    char *s = slurp(path);

    expect_no_canary(what, s);
    free(s);
}

/*
 * Starts $MOCKSERVER (or build/mockserver) without --quiet, its stdout and
 * stderr going to out_path and err_path, extra (may be NULL) appended to the
 * arguments. Fills server. Returns 0 when it answers health, else the exit
 * status it died with (>0) or -1.
 */
static int start_logged_server(const char *extra1, const char *extra2)
{
    const char *bin = getenv("MOCKSERVER");
    char port_file[128], url[128];
    pid_t pid;

    if (!bin || !*bin)
        bin = "build/mockserver";
    snprintf(port_file, sizeof(port_file), "%s/port", dir);
    unlink(port_file);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execl(bin, bin, "--port", "0", "--port-file", port_file, extra1, extra2,
              (char *)NULL);
        _exit(127);
    }
    memset(&server, 0, sizeof(server));
    server.pid = pid;
    for (int waited = 0; waited < 10000; waited += 20) {
        int status;
        char *p;

        if (waitpid(pid, &status, WNOHANG) == pid) {
            server.pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        p = slurp(port_file);
        server.port = atoi(p);
        free(p);
        if (server.port > 0) {
            http_result r;
            bool up;

            snprintf(server.base_url, sizeof(server.base_url),
                     "http://127.0.0.1:%d", server.port);
            snprintf(url, sizeof(url), "%s/_mock/health", server.base_url);
            up = http_do("GET", url, NULL, NULL, 1000, &r) == 0 &&
                 r.status == 200;
            http_result_free(&r);
            if (up)
                return 0;
        }
        nap_ms(20);
    }
    mockproc_stop(&server);
    return -1;
}

/* One provider request with the canary key; checks the answer too. */
static void provider_call(const char *provider, bool stream)
{
    char url[512], auth[128], what[96];
    const char *headers[4] = {auth, "Content-Type: application/json", NULL,
                              NULL};
    const char *body;
    http_result r;

    if (strcmp(provider, "anthropic") == 0) {
        snprintf(url, sizeof(url), "%s/v1/messages", server.base_url);
        snprintf(auth, sizeof(auth), "x-api-key: " CANARY);
        headers[2] = "anthropic-version: 2023-06-01";
        body = stream ? "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":32,"
                        "\"stream\":true,\"messages\":[{\"role\":\"user\","
                        "\"content\":\"What is BGP?\"}]}"
                      : "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":32,"
                        "\"messages\":[{\"role\":\"user\",\"content\":"
                        "\"What is BGP?\"}]}";
    } else if (strcmp(provider, "anthropic-bearer") == 0) {
        snprintf(url, sizeof(url), "%s/v1/messages", server.base_url);
        snprintf(auth, sizeof(auth), "Authorization: Bearer " CANARY);
        headers[2] = "anthropic-version: 2023-06-01";
        body = "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":32,"
               "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    } else if (strcmp(provider, "openai") == 0) {
        snprintf(url, sizeof(url), "%s/v1/chat/completions", server.base_url);
        snprintf(auth, sizeof(auth), "Authorization: Bearer " CANARY);
        body = stream ? "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
                        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                      : "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":"
                        "\"user\",\"content\":\"hi\"}]}";
    } else { /* gemini, the key in the query string */
        snprintf(url, sizeof(url),
                 "%s/v1beta/models/gemini-1.5-flash:%s?key=" CANARY,
                 server.base_url,
                 stream ? "streamGenerateContent&alt=sse" : "generateContent");
        snprintf(auth, sizeof(auth), "X-Unused: 1");
        body = "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}";
    }
    assert_int_equal(http_do("POST", url, headers, body, 3000, &r), 0);
    snprintf(what, sizeof(what), "a %s answer's body", provider);
    expect_no_canary(what, r.body);
    snprintf(what, sizeof(what), "a %s answer's headers", provider);
    expect_no_canary(what, r.headers);
    http_result_free(&r);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/kit-secrets-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(out_path, sizeof(out_path), "%s/server.out", dir);
    snprintf(err_path, sizeof(err_path), "%s/server.err", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    mockproc_stop(&server);
    /* Keep the evidence when something failed? The paths are printed on
       failure; a clean run leaves nothing behind. */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests -------------------------------------------------------------- */

static void test_server_log_journal_and_bill_never_hold_the_key(void **state)
{
    static const char *const providers[] = {"anthropic", "anthropic-bearer",
                                            "openai", "gemini"};
    /* Every status a step can ask for and every fault, then successes. */
    static const char script[] =
        "{\"steps\":[{\"status\":400},{\"status\":401},{\"status\":403},"
        "{\"status\":404},{\"status\":408},{\"status\":413},"
        "{\"status\":429,\"retry_after\":1,\"retry_after_ms\":5},"
        "{\"status\":500},{\"status\":502},{\"status\":503},{\"status\":504},"
        "{\"status\":529},{\"fault\":\"timeout\",\"delay_ms\":50},"
        "{\"fault\":\"reset\"},{\"fault\":\"close\"},"
        "{\"fault\":\"malformed\"},{\"fault\":\"partial\"},"
        "{\"fault\":\"empty\"},{}],\"then\":\"repeat\"}";
    char path[160], url[256];
    cJSON *j;
    char *text;
    http_result r;

    (void)state;
    assert_int_equal(start_logged_server(NULL, NULL), 0);
    assert_int_equal(mockctl_put_script(&server, CANARY, script), 200);
    for (size_t p = 0; p < 4; p++)
        for (int i = 0; i < 19; i++)
            provider_call(providers[p], i % 2 == 1);
    /* The rate limiter's 429 and its headers. */
    assert_int_equal(mockctl_put_limits(&server, CANARY, "{\"rpm\":1}"), 200);
    assert_int_equal(
        mockctl(&server, "DELETE", "/_mock/scripts/" CANARY, NULL, NULL), 200);
    for (int i = 0; i < 3; i++)
        provider_call("openai", false);
    /* A bad control request naming the key, and a bad limits body. */
    mockctl(&server, "PUT", "/_mock/scripts/" CANARY,
            "{\"steps\":[{\"st\":1}]}", NULL);
    mockctl(&server, "PUT", "/_mock/limits/" CANARY, "{\"rpm\":-1}", NULL);

    j = mockctl_journal(&server, NULL);
    assert_non_null(j);
    text = cJSON_PrintUnformatted(j);
    expect_no_canary("the journal", text);
    free(text);
    cJSON_Delete(j);
    j = mockctl_journal(&server, CANARY);
    assert_non_null(j);
    expect_that(cJSON_GetArraySize(cJSON_GetObjectItem(j, "requests")) > 0,
                "the journal should hold the key's requests (by its hash)");
    text = cJSON_PrintUnformatted(j);
    expect_no_canary("the journal filtered by key", text);
    free(text);
    cJSON_Delete(j);
    j = mockctl_bill(&server, CANARY);
    assert_non_null(j);
    text = cJSON_PrintUnformatted(j);
    expect_no_canary("the bill", text);
    free(text);
    cJSON_Delete(j);
    snprintf(url, sizeof(url), "%s/_mock/bill", server.base_url);
    assert_int_equal(http_do("GET", url, NULL, NULL, 3000, &r), 0);
    expect_no_canary("the whole bill", r.body);
    http_result_free(&r);

    assert_int_equal(mockproc_stop(&server), 0);
    snprintf(path, sizeof(path), "%s", err_path);
    text = slurp(path);
    expect_that(strstr(text, "provider=") != NULL,
                "the request log (stderr without --quiet) should have lines");
    free(text);
    expect_file_has_no_canary("the server's request log (stderr)", err_path);
    expect_file_has_no_canary("the server's stdout", out_path);
}

static void test_a_bad_scenario_file_does_not_print_the_key(void **state)
{
    char scen[128];
    FILE *f;
    int rc;

    (void)state;
    snprintf(scen, sizeof(scen), "%s/scenario.json", dir);
    f = fopen(scen, "w");
    assert_non_null(f);
    fputs("{\"scripts\":{\"" CANARY "\":{\"steps\":[{\"status\":418}]}},"
          "\"limits\":{\"" CANARY "\":{\"tier\":\"platinum\"}}}",
          f);
    fclose(f);
    unlink(err_path);
    rc = start_logged_server("--scenario", scen);
    expect_that(rc == 2, "a bad scenario file should exit 2, got %d", rc);
    expect_file_has_no_canary("the scenario error", err_path);
    expect_file_has_no_canary("the server's stdout", out_path);
}

static void test_the_library_never_repeats_the_key(void **state)
{
    static const char script[] =
        "{\"steps\":[{\"status\":401},{\"status\":429,\"retry_after\":1},"
        "{\"status\":529},{\"fault\":\"timeout\",\"delay_ms\":2000},"
        "{\"fault\":\"reset\"},{\"fault\":\"close\"},{\"fault\":\"malformed\"},"
        "{\"fault\":\"partial\"},{\"fault\":\"empty\"},{}],\"then\":\"ok\"}";
    char env_path[128], err[256];
    kit_transport t;
    kit_endpoint ep;
    kit_chat_request req = {
        "claude-haiku-4.5", NULL, "What is BGP?", 32, -1, 500};
    FILE *f;

    (void)state;
    assert_int_equal(start_logged_server(NULL, NULL), 0);
    assert_int_equal(mockctl_put_script(&server, CANARY, script), 200);
    assert_int_equal(kit_curl_create(NULL, &t), KIT_OK);
    ep.base_url = server.base_url;
    ep.api_key = CANARY;
    for (int i = 0; i < 10; i++) {
        kit_chat_reply reply;
        kit_attempt info;
        kit_status st;

        memset(&reply, 0, sizeof(reply));
        st = kit_anthropic_call(&t, &ep, &req, &reply, &info);
        expect_no_canary("kit_attempt.message", info.message);
        expect_no_canary("kit_attempt.error_type", info.error_type);
        expect_no_canary("kit_strerror", kit_strerror(st));
        if (st == KIT_OK)
            expect_no_canary("the reply", reply.text);
        kit_chat_reply_clear(&reply);
    }
    kit_curl_destroy(&t);
    assert_int_equal(mockproc_stop(&server), 0);
    expect_file_has_no_canary("the server's request log (stderr)", err_path);

    /* A malformed .env line holding the key: the error names the line. */
    snprintf(env_path, sizeof(env_path), "%s/dotenv", dir);
    f = fopen(env_path, "w");
    assert_non_null(f);
    fputs("GOOD=1\nANTHROPIC_API_KEY \"" CANARY "\n", f);
    fclose(f);
    chmod(env_path, 0600);
    err[0] = '\0';
    kit_env_load_dotenv(env_path, false, NULL, err, sizeof(err));
    expect_no_canary("the .env loader's error", err);
}

/* Runs prog with the canary key against the server, output to files. */
static int run_storm(const char *prog, const char *sout, const char *serr)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(sout, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(serr, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        setenv("ANTHROPIC_API_KEY", CANARY, 1);
        setenv("ANTHROPIC_BASE_URL", server.base_url, 1);
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    for (int waited = 0; waited < 120000; waited += 50) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        nap_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static void test_the_storm_program_never_prints_the_key(void **state)
{
    const char *bin = getenv("MOCKSERVER");
    char prog[256], sout[128], serr[128];
    const char *slash;
    int rc;

    (void)state;
    /* The storm is built next to the server: $BUILD/sol/lab03/storm. */
    if (!bin || !*bin)
        bin = "build/mockserver";
    slash = strrchr(bin, '/');
    snprintf(prog, sizeof(prog), "%.*s/sol/lab03/storm",
             slash ? (int)(slash - bin) : 1, slash ? bin : ".");
    if (access(prog, X_OK) != 0) {
        print_message("skipped: %s is not built (make %s)\n", prog, prog);
        skip();
    }
    snprintf(sout, sizeof(sout), "%s/storm.out", dir);
    snprintf(serr, sizeof(serr), "%s/storm.err", dir);
    unlink(err_path);
    assert_int_equal(start_logged_server(NULL, NULL), 0);
    rc = run_storm(prog, sout, serr);
    expect_that(rc >= 0, "the storm program did not finish in 120 s");
    expect_file_has_no_canary("the storm's stdout", sout);
    expect_file_has_no_canary("the storm's stderr", serr);
    assert_int_equal(mockproc_stop(&server), 0);
    expect_file_has_no_canary("the server's request log (stderr)", err_path);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_log_journal_and_bill_never_hold_the_key),
        cmocka_unit_test(test_a_bad_scenario_file_does_not_print_the_key),
        cmocka_unit_test(test_the_library_never_repeats_the_key),
        cmocka_unit_test(test_the_storm_program_never_prints_the_key),
    };

    return HARNESS_MAIN("common_secrets", tests, setup, teardown);
}
