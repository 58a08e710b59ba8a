/*
 * The shared test harness: the mock server as a child process, raw HTTP, the
 * control API and the test programs' command line. See harness.h.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* ---- Raw HTTP ------------------------------------------------------------ */

/* A growable buffer for curl's write callbacks, capped so a runaway server
 * cannot eat the test's memory. */
struct sink {
    char *data;
    size_t len;
};

enum { SINK_MAX = 16 * 1024 * 1024 };

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    char *grown;

    if (s->len + n > SINK_MAX)
        return 0;
    grown = realloc(s->data, s->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + s->len, ptr, n);
    s->data = grown;
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

int http_do(const char *method, const char *url, const char *const *headers,
            const char *body, long timeout_ms, http_result *out)
{
    CURL *curl = NULL;
    struct curl_slist *list = NULL;
    struct sink body_sink = {NULL, 0}, head_sink = {NULL, 0};
    int rc = -1;

    memset(out, 0, sizeof(*out));
    curl = curl_easy_init();
    if (!curl)
        goto out;
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *next = curl_slist_append(list, headers[i]);

        if (!next)
            goto out;
        list = next;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, sink_write);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &head_sink);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);

    out->curl = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &out->total_s);
    curl_easy_getinfo(curl, CURLINFO_LOCAL_PORT, &out->local_port);
    out->body = body_sink.data ? body_sink.data : calloc(1, 1);
    out->body_len = body_sink.len;
    out->headers = head_sink.data ? head_sink.data : calloc(1, 1);
    body_sink.data = NULL;
    head_sink.data = NULL;
    rc = 0;
out:
    free(body_sink.data);
    free(head_sink.data);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return rc;
}

const char *http_header(const http_result *r, const char *name, char *buf,
                        size_t buflen)
{
    size_t name_len = strlen(name);
    const char *line = r->headers;

    /* A redirect or 100-continue leaves several blocks: the last one wins,
     * so scan them all and keep the final match. */
    const char *found = NULL;
    size_t found_len = 0;

    while (line && *line) {
        const char *end = strpbrk(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len > name_len && line[name_len] == ':' &&
            strncasecmp(line, name, name_len) == 0) {
            found = line + name_len + 1;
            found_len = len - name_len - 1;
            while (found_len && (*found == ' ' || *found == '\t')) {
                found++;
                found_len--;
            }
            while (found_len && (found[found_len - 1] == ' ' ||
                                 found[found_len - 1] == '\t'))
                found_len--;
        }
        if (!end)
            break;
        line = end + strspn(end, "\r\n");
    }
    if (!found || buflen == 0)
        return NULL;
    if (found_len >= buflen)
        found_len = buflen - 1;
    memcpy(buf, found, found_len);
    buf[found_len] = '\0';
    return buf;
}

void http_result_free(http_result *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

/* ---- The mock server as a child process -------------------------------- */

static int read_port_file(const char *path)
{
    char buf[32] = {0};
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0 || buf[n - 1] != '\n')
        return 0; /* not written completely yet */
    return atoi(buf);
}

static bool health_ok(const mockproc *m)
{
    char url[128];
    http_result r;
    bool ok;

    snprintf(url, sizeof(url), "%s/_mock/health", m->base_url);
    if (http_do("GET", url, NULL, NULL, 1000, &r) != 0)
        return false;
    ok = r.curl == CURLE_OK && r.status == 200;
    http_result_free(&r);
    return ok;
}

/* Uses the server at $MOCKSERVER_SHARED_URL when the caller asks for no
 * special flags. Returns true when attached. */
static bool attach_shared(mockproc *m, const char *const *extra_args)
{
    const char *url = getenv("MOCKSERVER_SHARED_URL");
    const char *colon;

    if (extra_args || !url || strncmp(url, "http://", 7) != 0)
        return false;
    colon = strrchr(url + 7, ':');
    if (!colon)
        return false;
    m->port = atoi(colon + 1);
    snprintf(m->base_url, sizeof(m->base_url), "%s", url);
    if (m->port > 0 && health_ok(m))
        return true;
    fprintf(stderr, "harness: no healthy mock server at %s; starting one\n",
            url);
    memset(m, 0, sizeof(*m));
    return false;
}

int mockproc_start(mockproc *m, const char *const *extra_args)
{
    const char *exe = getenv("MOCKSERVER");
    const char *wrap = getenv("MOCKSERVER_WRAP");
    char port_file[] = "/tmp/mockserver-port-XXXXXX";
    char wrap_words[512];
    const char *argv[64];
    size_t argc = 0;
    int fd, status;
    int patience_ms = 10000;

    memset(m, 0, sizeof(*m));
    if (attach_shared(m, extra_args))
        return 0;
    if (!exe || !*exe)
        exe = "build/mockserver";
    if (access(exe, X_OK) != 0) {
        fprintf(stderr,
                "harness: the mock server %s is missing; "
                "run the tests through make\n",
                exe);
        return -1;
    }
    fd = mkstemp(port_file);
    if (fd < 0) {
        perror("harness: mkstemp");
        return -1;
    }
    close(fd);

    /* MOCKSERVER_WRAP runs the server under a tool, e.g. valgrind: its
     * words go first, split on spaces. */
    if (wrap && *wrap) {
        snprintf(wrap_words, sizeof(wrap_words), "%s", wrap);
        for (char *w = strtok(wrap_words, " "); w && argc < 32;
             w = strtok(NULL, " "))
            argv[argc++] = w;
        patience_ms = 60000;
    }
    argv[argc++] = exe;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--quiet";
    argv[argc++] = "--port-file";
    argv[argc++] = port_file;
    for (size_t i = 0; extra_args && extra_args[i] && argc < 63; i++)
        argv[argc++] = extra_args[i];
    argv[argc] = NULL;

    fflush(NULL);
    m->pid = fork();
    if (m->pid < 0) {
        perror("harness: fork");
        m->pid = 0;
        unlink(port_file);
        return -1;
    }
    if (m->pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        /* If the test program dies, take the server with it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }

    for (int waited = 0; waited < patience_ms; waited += 10) {
        if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
            fprintf(stderr,
                    "harness: the mock server exited at start "
                    "(status %d)\n",
                    WEXITSTATUS(status));
            m->pid = 0;
            unlink(port_file);
            return -1;
        }
        if (!m->port)
            m->port = read_port_file(port_file);
        if (m->port) {
            snprintf(m->base_url, sizeof(m->base_url), "http://127.0.0.1:%d",
                     m->port);
            if (health_ok(m)) {
                unlink(port_file);
                return 0;
            }
        }
        sleep_ms(10);
    }
    fprintf(stderr,
            "harness: the mock server did not become healthy "
            "within %d s\n",
            patience_ms / 1000);
    unlink(port_file);
    mockproc_stop(m);
    return -1;
}

int mockproc_stop(mockproc *m)
{
    const char *wrap = getenv("MOCKSERVER_WRAP");
    int patience_ms = wrap && *wrap ? 30000 : 3000;
    int status;

    if (!m)
        return -1;
    if (m->pid <= 0)
        return m->port > 0 ? 0 : -1; /* shared: not ours to stop */
    kill(m->pid, SIGTERM);
    for (int waited = 0; waited < patience_ms; waited += 10) {
        if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

            m->pid = 0;
            if (code != 0)
                fprintf(stderr,
                        "harness: the mock server stopped with "
                        "status %d, not 0\n",
                        code);
            return code;
        }
        sleep_ms(10);
    }
    fprintf(stderr,
            "harness: the mock server ignored SIGTERM for %d s; "
            "killing pid %d\n",
            patience_ms / 1000, (int)m->pid);
    kill(m->pid, SIGKILL);
    waitpid(m->pid, &status, 0);
    m->pid = 0;
    return -1;
}

void mockproc_export_env(const mockproc *m)
{
    setenv("ANTHROPIC_BASE_URL", m->base_url, 1);
    setenv("OPENAI_BASE_URL", m->base_url, 1);
    setenv("GEMINI_BASE_URL", m->base_url, 1);
}

/* ---- The control API ----------------------------------------------------- */

long mockctl(const mockproc *m, const char *method, const char *path,
             const char *json_body, cJSON **json_out)
{
    static const char *const json_headers[] = {"Content-Type: application/json",
                                               NULL};
    char url[512];
    http_result r;
    long status;

    if (json_out)
        *json_out = NULL;
    snprintf(url, sizeof(url), "%s%s", m->base_url, path);
    if (http_do(method, url, json_headers, json_body, 5000, &r) != 0)
        return -1;
    status = r.curl == CURLE_OK ? r.status : -1;
    if (json_out && status > 0)
        *json_out = cJSON_ParseWithLength(r.body, r.body_len);
    http_result_free(&r);
    return status;
}

/* Keys travel in the path and query, so escape them the way a URL needs. */
static void escape_into(char *buf, size_t n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;

    for (; *s && j + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~' || c == '*') {
            buf[j++] = (char)c;
        } else {
            buf[j++] = '%';
            buf[j++] = hex[c >> 4];
            buf[j++] = hex[c & 15];
        }
    }
    buf[j] = '\0';
}

static long put_keyed(const mockproc *m, const char *what, const char *key,
                      const char *json)
{
    char path[512], esc[384];

    escape_into(esc, sizeof(esc), key);
    snprintf(path, sizeof(path), "/_mock/%s/%s", what, esc);
    return mockctl(m, "PUT", path, json, NULL);
}

long mockctl_put_script(const mockproc *m, const char *key,
                        const char *script_json)
{
    return put_keyed(m, "scripts", key, script_json);
}

long mockctl_put_limits(const mockproc *m, const char *key,
                        const char *limits_json)
{
    return put_keyed(m, "limits", key, limits_json);
}

static cJSON *get_keyed(const mockproc *m, const char *what, const char *key)
{
    char path[512], esc[384];
    cJSON *json = NULL;

    if (key) {
        escape_into(esc, sizeof(esc), key);
        snprintf(path, sizeof(path), "/_mock/%s?key=%s", what, esc);
    } else {
        snprintf(path, sizeof(path), "/_mock/%s", what);
    }
    if (mockctl(m, "GET", path, NULL, &json) != 200) {
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

cJSON *mockctl_journal(const mockproc *m, const char *key)
{
    return get_keyed(m, "journal", key);
}

cJSON *mockctl_bill(const mockproc *m, const char *key)
{
    return get_keyed(m, "bill", key);
}

long mockctl_reset(const mockproc *m)
{
    return mockctl(m, "POST", "/_mock/reset", "{}", NULL);
}

int mockctl_count(const mockproc *m, const char *key)
{
    cJSON *journal = mockctl_journal(m, key);
    cJSON *requests = cJSON_GetObjectItemCaseSensitive(journal, "requests");
    int n = cJSON_IsArray(requests) ? cJSON_GetArraySize(requests) : -1;

    cJSON_Delete(journal);
    return n;
}

const char *journal_timeline(const cJSON *journal, char *buf, size_t n)
{
    const cJSON *requests =
        cJSON_GetObjectItemCaseSensitive(journal, "requests");
    const cJSON *req;
    double first = -1, prev = -1;
    size_t used = 0;
    int i = 0;

    if (n == 0)
        return buf;
    buf[0] = '\0';
    cJSON_ArrayForEach(req, requests)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(req, "t_ms");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(req, "status");
        const cJSON *fault = cJSON_GetObjectItemCaseSensitive(req, "fault");
        const cJSON *early =
            cJSON_GetObjectItemCaseSensitive(req, "early_retry");
        double at = cJSON_IsNumber(t) ? t->valuedouble : 0;
        char what[64];
        int w;

        if (cJSON_IsString(fault) && fault->valuestring[0])
            snprintf(what, sizeof(what), "fault %s", fault->valuestring);
        else
            snprintf(what, sizeof(what), "status %d",
                     cJSON_IsNumber(status) ? status->valueint : 0);
        if (first < 0)
            first = prev = at;
        w = snprintf(buf + used, n - used,
                     "  #%d  t=+%.0f ms  (waited %.0f ms)  %s%s\n", ++i,
                     at - first, at - prev, what,
                     cJSON_IsTrue(early) ? "  EARLY: before retry-after" : "");
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
        prev = at;
    }
    if (i == 0)
        snprintf(buf, n, "  (the server saw no request)\n");
    return buf;
}

void unique_key(char *buf, size_t n, const char *tag)
{
    static unsigned counter;

    snprintf(buf, n, "test-%s-%ld-%u", tag, (long)getpid(), ++counter);
}

/* ---- The command line every test program has ---------------------------- */

static const struct CMUnitTest *find_test(const struct CMUnitTest *tests,
                                          size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tests[i].name, name) == 0)
            return &tests[i];
    return NULL;
}

int harness_main(int argc, char **argv, const char *group,
                 const struct CMUnitTest *tests, size_t n,
                 CMFixtureFunction setup, CMFixtureFunction teardown)
{
    struct CMUnitTest *chosen;
    size_t count = 0;
    int failed;

    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    if (argc > 1 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s [--list] [TEST_NAME...]\n"
               "  with no names, runs every test of the group %s\n",
               argv[0], group);
        return 0;
    }
    if (argc == 1)
        return _cmocka_run_group_tests(group, tests, n, setup, teardown) ? 1
                                                                         : 0;

    chosen = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*chosen));
    if (!chosen) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const struct CMUnitTest *t = find_test(tests, n, argv[i]);

        if (!t) {
            fprintf(stderr, "%s: no test named '%s' (try --list)\n", argv[0],
                    argv[i]);
            free(chosen);
            return 2;
        }
        chosen[count++] = *t;
    }
    failed = _cmocka_run_group_tests(group, chosen, count, setup, teardown);
    free(chosen);
    return failed ? 1 : 0;
}
