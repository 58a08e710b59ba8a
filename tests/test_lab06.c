/*
 * Lab 6's graded tests: the Prometheus registry, its exposition text and
 * the /metrics server. The text is checked three ways: exact sample values,
 * `promtool check metrics` (Prometheus' own linter), and a structural check
 * of the kit's own for what promtool lets through (histogram buckets,
 * repeated series, families split in two).
 */
#include "harness.h"

#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prom.h"
#include "prom_server.h"

#define HAIKU  "claude-haiku-4.5"
#define SONNET "claude-sonnet-4.5"

/* Where the lab's given files are, from the top of the kit. */
#define ALERTS_FILE      "labs/lab06-prometheus/alerts.yml"
#define SCRAPE_FILE      "labs/lab06-prometheus/prometheus.yml"
#define DASHBOARD_FILE   "labs/lab06-prometheus/grafana-dashboard.json"
#define ALERTS_TEST_FILE "tests/tools/lab06-alerts.test.yml"

/* ---- Helpers ---------------------------------------------------------- */

static prom_registry *new_registry(void)
{
    prom_registry *r = NULL;
    kit_status st = prom_registry_create(&r);

    expect_that(st == KIT_OK && r != NULL,
                "prom_registry_create returned \"%s\"; it should return "
                "KIT_OK and a registry",
                kit_strerror(st));
    return r;
}

/* The registry's page; the caller frees it. Fails the test on error. */
static char *render(prom_registry *r)
{
    char *text = NULL;
    size_t len = 0;
    kit_status st = prom_render(r, &text, &len);

    expect_that(st == KIT_OK && text != NULL,
                "prom_render returned \"%s\"; it should return KIT_OK and "
                "the exposition text",
                kit_strerror(st));
    expect_that(strlen(text) == len,
                "prom_render's length is %zu but the "
                "text is %zu bytes long",
                len, strlen(text));
    return text;
}

static void record(prom_registry *r, const char *model, kit_status status,
                   double seconds, long in, long out, double usd)
{
    prom_call c = {model, status, seconds, in, out, usd};
    kit_status st = prom_record_call(r, &c);

    expect_that(st == KIT_OK,
                "prom_record_call for model %s returned "
                "\"%s\"; it should return KIT_OK",
                model, kit_strerror(st));
}

/*
 * Finds the sample whose name and labels are exactly series (as in
 * `ai_retries_total{model="x"}`) and reads its value. Returns false when
 * no line holds it.
 */
static bool sample(const char *text, const char *series, double *value)
{
    size_t n = strlen(series);

    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');

        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            *value = strtod(line + n + 1, NULL);
            return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

static void expect_sample(const char *text, const char *series, double want)
{
    double got = -1;

    expect_that(sample(text, series, &got),
                "the exposition has no sample %s (it should be %g). The "
                "page begins:\n%.600s",
                series, want, text);
    expect_that(fabs(got - want) < 1e-9,
                "the sample %s is %.10g; it should be %.10g", series, got,
                want);
}

/*
 * Runs promtool with args on the text (through a temporary file on
 * stdin). Returns its exit status and its output in out.
 */
static int promtool(const char *args, const char *text, char *out, size_t n)
{
    char path[] = "/tmp/lab06-metrics-XXXXXX", cmd[512];
    int fd = mkstemp(path), status;
    size_t used = 0;
    FILE *p;

    assert_true(fd >= 0);
    if (text)
        assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    out[0] = '\0';
    snprintf(cmd, sizeof(cmd), "promtool %s < %s 2>&1", args, path);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (used + 1 < n) {
        size_t got = fread(out + used, 1, n - used - 1, p);

        if (got == 0)
            break;
        used += got;
    }
    out[used] = '\0';
    status = pclose(p);
    unlink(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* promtool is part of the grading: its absence is a failure, not a pass. */
static void require_promtool(void)
{
    expect_that(system("command -v promtool >/dev/null 2>&1") == 0,
                "promtool is not installed, so the exposition cannot be "
                "checked. Install the Debian package prometheus "
                "(sudo apt-get install prometheus), or run `make deps`");
}

static void expect_promtool_accepts(const char *text)
{
    char out[4096];
    int rc;

    require_promtool();
    rc = promtool("check metrics", text, out, sizeof(out));
    expect_that(rc == 0,
                "promtool check metrics rejected the exposition "
                "(exit %d):\n%.500s\nThe page begins:\n%.300s",
                rc, out, text);
}

/* ---- The kit's structural check --------------------------------------- */

enum { MAX_SERIES = 1024, MAX_FAMILIES = 32 };

struct family {
    char name[128];
    char type[16];
};

/* One histogram series (labels without le) while its buckets are read. */
struct hist {
    char key[700];
    double last_le;
    double last_count;
    bool saw_inf;
    double inf_count;
    bool saw_count;
    double count;
};

struct checker {
    struct family fam[MAX_FAMILIES];
    int n_fam;
    char *series[MAX_SERIES];
    int n_series;
    struct hist hist[64];
    int n_hist;
    char why[1024];
};

/* Keeps the first reason the page is unsound, for the failure message. */
static bool fail_check(struct checker *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->why, sizeof(c->why), fmt, ap);
    va_end(ap);
    return false;
}

/* Splits `le="0.5"` out of a label set, leaving the others in rest. */
static void split_le(const char *labels, char *le, size_t le_n, char *rest,
                     size_t rest_n)
{
    const char *p = strstr(labels, "le=\"");
    size_t before;

    le[0] = '\0';
    if (!p) {
        snprintf(rest, rest_n, "%s", labels);
        return;
    }
    before = (size_t)(p - labels);
    const char *q = strchr(p + 4, '"');
    snprintf(le, le_n, "%.*s", q ? (int)(q - p - 4) : 0, p + 4);
    snprintf(rest, rest_n, "%.*s%s", (int)before, labels,
             q ? q + 1 + (q[1] == ',') : "");
    /* le was last: drop the comma that led to it. */
    before = strlen(rest);
    if (before && rest[before - 1] == ',')
        rest[before - 1] = '\0';
}

static struct hist *hist_for(struct checker *c, const char *key)
{
    struct hist *h;

    for (int i = 0; i < c->n_hist; i++)
        if (strcmp(c->hist[i].key, key) == 0)
            return &c->hist[i];
    if (c->n_hist == 64)
        return NULL;
    h = &c->hist[c->n_hist++];
    memset(h, 0, sizeof(*h));
    snprintf(h->key, sizeof(h->key), "%s", key);
    h->last_le = -INFINITY;
    return h;
}

/*
 * Checks what promtool does not: each family is one contiguous group, no
 * series appears twice, and every histogram's buckets are ordered by le,
 * cumulative, end with +Inf, and +Inf equals _count.
 */
static bool structure_ok(const char *text, struct checker *c)
{
    char line[1024];
    const char *p = text;
    int cur = -1;
    bool ok = true;

    memset(c, 0, sizeof(*c));
    while (ok && *p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[128], labels[512] = "", key[700];
        const char *brace, *space;
        double value;

        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        p = end ? end + 1 : p + len;
        if (!end)
            return fail_check(c, "the last line \"%s\" has no newline", line);
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char fname[128], type[16];

            if (sscanf(line + 7, "%127s %15s", fname, type) != 2)
                return fail_check(c, "bad TYPE line \"%s\"", line);
            for (int i = 0; i < c->n_fam; i++)
                if (strcmp(c->fam[i].name, fname) == 0)
                    return fail_check(c,
                                      "the family %s has two TYPE lines: "
                                      "each family must be one group",
                                      fname);
            if (c->n_fam == MAX_FAMILIES)
                return fail_check(c, "too many families");
            cur = c->n_fam++;
            snprintf(c->fam[cur].name, sizeof(c->fam[cur].name), "%s", fname);
            snprintf(c->fam[cur].type, sizeof(c->fam[cur].type), "%s", type);
            continue;
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;

        brace = strchr(line, '{');
        space = strchr(line, ' ');
        if (!space)
            return fail_check(c, "the sample line \"%s\" has no value", line);
        if (brace && brace < space) {
            const char *close = strrchr(line, '}');

            if (!close)
                return fail_check(c, "unclosed labels in \"%s\"", line);
            snprintf(name, sizeof(name), "%.*s", (int)(brace - line), line);
            snprintf(labels, sizeof(labels), "%.*s", (int)(close - brace - 1),
                     brace + 1);
            space = strchr(close, ' ');
            if (!space)
                return fail_check(c, "no value in \"%s\"", line);
        } else {
            snprintf(name, sizeof(name), "%.*s", (int)(space - line), line);
        }
        value = strtod(space + 1, NULL);

        /* The sample must belong to the family whose group this is. */
        if (cur < 0)
            return fail_check(c,
                              "the sample \"%s\" comes before any "
                              "TYPE line",
                              line);
        {
            const struct family *f = &c->fam[cur];
            size_t fl = strlen(f->name);
            bool mine = strcmp(name, f->name) == 0;

            if (strcmp(f->type, "histogram") == 0)
                mine = strncmp(name, f->name, fl) == 0 &&
                       (strcmp(name + fl, "_bucket") == 0 ||
                        strcmp(name + fl, "_sum") == 0 ||
                        strcmp(name + fl, "_count") == 0);
            if (!mine)
                return fail_check(c,
                                  "the sample \"%s\" sits in the group "
                                  "of the family %s: each family's samples "
                                  "must follow its own HELP and TYPE lines",
                                  line, f->name);
        }

        snprintf(key, sizeof(key), "%s{%s}", name, labels);
        for (int i = 0; i < c->n_series; i++)
            if (strcmp(c->series[i], key) == 0)
                return fail_check(c, "the series %s appears twice", key);
        if (c->n_series < MAX_SERIES)
            c->series[c->n_series++] = strdup(key);

        if (strcmp(c->fam[cur].type, "histogram") == 0) {
            char le[64], rest[512], hkey[700];
            const char *suffix = name + strlen(c->fam[cur].name);
            struct hist *h;

            split_le(labels, le, sizeof(le), rest, sizeof(rest));
            snprintf(hkey, sizeof(hkey), "%s{%s}", c->fam[cur].name, rest);
            h = hist_for(c, hkey);
            if (!h)
                return fail_check(c, "too many histogram series");
            if (strcmp(suffix, "_bucket") == 0) {
                double bound =
                    strcmp(le, "+Inf") == 0 ? INFINITY : strtod(le, NULL);

                if (!le[0])
                    return fail_check(c,
                                      "the bucket \"%s\" has no le "
                                      "label",
                                      line);
                if (h->saw_inf || !(bound > h->last_le))
                    return fail_check(c,
                                      "the bucket \"%s\" is out of order: "
                                      "buckets go by increasing le, +Inf "
                                      "last",
                                      line);
                if (value < h->last_count)
                    return fail_check(c,
                                      "the bucket \"%s\" counts fewer "
                                      "than the one before: buckets are "
                                      "cumulative",
                                      line);
                h->last_le = bound;
                h->last_count = value;
                if (isinf(bound)) {
                    h->saw_inf = true;
                    h->inf_count = value;
                }
            } else if (strcmp(suffix, "_count") == 0) {
                h->saw_count = true;
                h->count = value;
            }
        }
    }
    for (int i = 0; ok && i < c->n_hist; i++) {
        const struct hist *h = &c->hist[i];
        char n1[64];

        if (!h->saw_inf)
            return fail_check(c,
                              "the histogram %s has no le=\"+Inf\" "
                              "bucket",
                              h->key);
        if (!h->saw_count)
            return fail_check(c, "the histogram %s has no _count", h->key);
        if (h->inf_count != h->count) {
            snprintf(n1, sizeof(n1), "%g != %g", h->inf_count, h->count);
            return fail_check(c,
                              "the histogram %s: its +Inf bucket must "
                              "equal its _count (%s)",
                              h->key, n1);
        }
    }
    return ok;
}

static void checker_free(struct checker *c)
{
    for (int i = 0; i < c->n_series; i++)
        free(c->series[i]);
    c->n_series = 0;
}

static void expect_structure_ok(const char *text)
{
    struct checker *c = calloc(1, sizeof(*c));
    bool ok;

    assert_non_null(c);
    ok = structure_ok(text, c);
    checker_free(c);
    expect_that(ok, "the exposition is not sound: %s. The page begins:\n%.600s",
                c->why, text);
    free(c);
}

/* A registry with a little of everything, as after a stormy minute. */
static void record_a_storm(prom_registry *r)
{
    record(r, HAIKU, KIT_OK, 0.42, 120, 80, 0.00052);
    record(r, HAIKU, KIT_OK, 1.7, 300, 500, 0.0028);
    record(r, HAIKU, KIT_ERR_RATE_LIMIT, 7.5, 0, 0, 0);
    record(r, SONNET, KIT_OK, 12.25, 1000, 2000, 0.033);
    record(r, SONNET, KIT_ERR_AUTH, 0.05, 0, 0, 0);
    prom_record_attempt(r, HAIKU, 1, KIT_ERR_RATE_LIMIT);
    prom_record_attempt(r, HAIKU, 2, KIT_ERR_RATE_LIMIT);
    prom_record_attempt(r, HAIKU, 3, KIT_OK);
    prom_record_attempt(r, SONNET, 1, KIT_ERR_OVERLOADED);
    prom_record_attempt(r, SONNET, 2, KIT_OK);
}

/* ---- Unit tests: the registry and its text ---------------------------- */

static void test_prom_names_statuses_and_escapes_label_values(void **state)
{
    char buf[64];
    size_t n;

    (void)state;
    expect_that(
        strcmp(prom_status_label(KIT_OK), "ok") == 0 &&
            strcmp(prom_status_label(KIT_ERR_RATE_LIMIT), "rate_limit") == 0 &&
            strcmp(prom_status_label(KIT_ERR_SERVER), "server") == 0 &&
            strcmp(prom_status_label(KIT_ERR_OVERLOADED), "overloaded") == 0 &&
            strcmp(prom_status_label(KIT_ERR_TIMEOUT), "timeout") == 0 &&
            strcmp(prom_status_label(KIT_ERR_BUDGET), "budget") == 0,
        "the status labels are \"%s\", \"%s\", \"%s\", \"%s\", "
        "\"%s\", \"%s\"; they should be ok, rate_limit, server, "
        "overloaded, timeout, budget (the enum name without "
        "KIT_ERR_, in lower case)",
        prom_status_label(KIT_OK), prom_status_label(KIT_ERR_RATE_LIMIT),
        prom_status_label(KIT_ERR_SERVER),
        prom_status_label(KIT_ERR_OVERLOADED),
        prom_status_label(KIT_ERR_TIMEOUT), prom_status_label(KIT_ERR_BUDGET));

    n = prom_escape_label_value("a\\b\"c\nd", buf, sizeof(buf));
    expect_that(strcmp(buf, "a\\\\b\\\"c\\nd") == 0 && n == 10,
                "escaping a\\b\"c<newline>d gave \"%s\" (length %zu); it "
                "should give a\\\\b\\\"c\\nd (10 bytes): backslash, double "
                "quote and newline are escaped with a backslash",
                buf, n);
    n = prom_escape_label_value("claude-haiku-4.5", buf, sizeof(buf));
    expect_that(strcmp(buf, "claude-haiku-4.5") == 0 && n == 16,
                "escaping a plain model name changed it to \"%s\"", buf);
    n = prom_escape_label_value("q\"q\"q", buf, 4);
    expect_that(n == 7 && strcmp(buf, "q\\\"") == 0,
                "escaping q\"q\"q into 4 bytes returned %zu and \"%s\"; like "
                "snprintf it should write what fits (\"q\\\\\\\"\") and return "
                "the whole length, 7",
                n, buf);
}

static void test_prom_counts_requests_by_model_and_status(void **state)
{
    prom_registry *r = new_registry();
    char *text;

    (void)state;
    record(r, HAIKU, KIT_OK, 0.5, 10, 20, 0.0001);
    record(r, HAIKU, KIT_OK, 0.5, 10, 20, 0.0001);
    record(r, HAIKU, KIT_ERR_RATE_LIMIT, 3, 0, 0, 0);
    record(r, SONNET, KIT_ERR_SERVER, 2, 0, 0, 0);
    text = render(r);
    expect_sample(text, "ai_requests_total{model=\"" HAIKU "\",status=\"ok\"}",
                  2);
    expect_sample(
        text, "ai_requests_total{model=\"" HAIKU "\",status=\"rate_limit\"}",
        1);
    expect_sample(
        text, "ai_requests_total{model=\"" SONNET "\",status=\"server\"}", 1);
    expect_that(strstr(text, "# TYPE ai_requests_total counter\n") != NULL,
                "the page lacks the line \"# TYPE ai_requests_total "
                "counter\"; every family needs its TYPE line");
    free(text);
    prom_registry_destroy(r);
}

static void test_prom_counts_tokens_and_cost_by_model(void **state)
{
    prom_registry *r = new_registry();
    char *text;

    (void)state;
    record(r, HAIKU, KIT_OK, 0.5, 100, 600, 0.0031);
    record(r, HAIKU, KIT_OK, 0.5, 100, 600, 0.0031);
    record(r, SONNET, KIT_OK, 4, 1000, 2000, 0.033);
    text = render(r);
    expect_sample(
        text, "ai_tokens_total{model=\"" HAIKU "\",direction=\"input\"}", 200);
    expect_sample(text,
                  "ai_tokens_total{model=\"" HAIKU "\",direction=\"output\"}",
                  1200);
    expect_sample(text,
                  "ai_tokens_total{model=\"" SONNET "\",direction=\"output\"}",
                  2000);
    expect_sample(text, "ai_cost_usd_total{model=\"" HAIKU "\"}", 0.0062);
    expect_sample(text, "ai_cost_usd_total{model=\"" SONNET "\"}", 0.033);
    expect_that(strstr(text, "# TYPE ai_cost_usd_total counter\n") &&
                    strstr(text, "# TYPE ai_tokens_total counter\n"),
                "the cost and token families need TYPE counter lines");
    free(text);
    prom_registry_destroy(r);
}

static void test_prom_histogram_buckets_are_cumulative(void **state)
{
    prom_registry *r = new_registry();
    static const double seen[] = {0.05, 0.1, 0.3, 1.0, 1.2, 45, 200};
    char *text;

    (void)state;
    for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
        record(r, HAIKU, KIT_OK, seen[i], 1, 1, 0);
    text = render(r);
#define BUCKET(le)                                                             \
    "ai_request_duration_seconds_bucket{model=\"" HAIKU "\",le=\"" le "\"}"
    /* 0.1 and 1.0 land in le="0.1" and le="1": le means <=. */
    expect_sample(text, BUCKET("0.1"), 2);
    expect_sample(text, BUCKET("0.25"), 2);
    expect_sample(text, BUCKET("0.5"), 3);
    expect_sample(text, BUCKET("1"), 4);
    expect_sample(text, BUCKET("2.5"), 5);
    expect_sample(text, BUCKET("30"), 5);
    expect_sample(text, BUCKET("60"), 6);
    expect_sample(text, BUCKET("120"), 6);
    expect_sample(text, BUCKET("+Inf"), 7);
#undef BUCKET
    expect_sample(text,
                  "ai_request_duration_seconds_count{model=\"" HAIKU "\"}", 7);
    expect_sample(text, "ai_request_duration_seconds_sum{model=\"" HAIKU "\"}",
                  247.65);
    expect_that(strstr(text, "# TYPE ai_request_duration_seconds histogram\n"),
                "the page lacks \"# TYPE ai_request_duration_seconds "
                "histogram\"");
    expect_structure_ok(text);
    free(text);
    prom_registry_destroy(r);
}

static void test_prom_counts_rate_limit_hits_and_retries(void **state)
{
    prom_registry *r = new_registry();
    char *text;
    kit_status st;

    (void)state;
    /* One call: 429, 429, then success; another: 529 then success. */
    prom_record_attempt(r, HAIKU, 1, KIT_ERR_RATE_LIMIT);
    prom_record_attempt(r, HAIKU, 2, KIT_ERR_RATE_LIMIT);
    prom_record_attempt(r, HAIKU, 3, KIT_OK);
    prom_record_attempt(r, HAIKU, 1, KIT_ERR_OVERLOADED);
    st = prom_record_attempt(r, HAIKU, 2, KIT_OK);
    expect_that(st == KIT_OK, "prom_record_attempt returned \"%s\"",
                kit_strerror(st));
    text = render(r);
    expect_sample(text, "ai_rate_limit_hits_total{model=\"" HAIKU "\"}", 2);
    expect_sample(text, "ai_retries_total{model=\"" HAIKU "\"}", 3);
    expect_that(prom_record_attempt(r, HAIKU, 0, KIT_OK) == KIT_ERR_INVALID_ARG,
                "attempt 0 should be KIT_ERR_INVALID_ARG: the first try is "
                "attempt 1");
    free(text);
    prom_registry_destroy(r);
}

static void test_prom_escapes_label_values_in_the_page(void **state)
{
    prom_registry *r = new_registry();
    char *text;

    (void)state;
    record(r, "we\"ird\\model\nv2", KIT_OK, 1, 1, 1, 0.5);
    text = render(r);
    expect_sample(text, "ai_cost_usd_total{model=\"we\\\"ird\\\\model\\nv2\"}",
                  0.5);
    expect_promtool_accepts(text);
    free(text);
    prom_registry_destroy(r);
}

static void test_prom_page_passes_promtool_check_metrics(void **state)
{
    prom_registry *r = new_registry();
    char *text;

    (void)state;
    text = render(r);
    expect_promtool_accepts(text); /* empty, before any call */
    expect_that(strstr(text, "# TYPE ai_retries_total counter\n") != NULL,
                "the empty registry's page should still describe every "
                "family (HELP and TYPE lines)");
    free(text);
    record_a_storm(r);
    text = render(r);
    expect_promtool_accepts(text);
    free(text);
    prom_registry_destroy(r);
}

static void test_prom_page_is_structurally_sound(void **state)
{
    prom_registry *r = new_registry();
    char *text;

    (void)state;
    record_a_storm(r);
    record(r, "gpt-4o-mini", KIT_ERR_TIMEOUT, 60, 0, 0, 0);
    prom_record_attempt(r, "gemini-1.5-flash", 1, KIT_ERR_RATE_LIMIT);
    text = render(r);
    expect_structure_ok(text);
    expect_sample(text,
                  "ai_request_duration_seconds_bucket{model=\"gemini-1.5-"
                  "flash\",le=\"+Inf\"}",
                  0);
    free(text);
    prom_registry_destroy(r);
}

static void test_prom_bounds_models_and_rejects_bad_figures(void **state)
{
    prom_registry *r = new_registry();
    char name[200];
    prom_call c = {HAIKU, KIT_OK, 1, 1, 1, 0.1};
    kit_status st;
    char *text;
    double v;

    (void)state;
    for (int i = 0; i < PROM_MAX_MODELS; i++) {
        snprintf(name, sizeof(name), "model-%d", i);
        record(r, name, KIT_OK, 1, 1, 1, 0);
    }
    c.model = "one-too-many";
    st = prom_record_call(r, &c);
    expect_that(st == KIT_ERR_TOO_LARGE,
                "recording a %dth distinct model returned \"%s\"; past "
                "PROM_MAX_MODELS it must be KIT_ERR_TOO_LARGE (every label "
                "value is a new series in Prometheus)",
                PROM_MAX_MODELS + 1, kit_strerror(st));
    c.model = "model-3";
    st = prom_record_call(r, &c);
    expect_that(st == KIT_OK,
                "a model already known must still record when "
                "the table is full; it returned \"%s\"",
                kit_strerror(st));
    memset(name, 'm', PROM_MAX_MODEL_LEN + 1);
    name[PROM_MAX_MODEL_LEN + 1] = '\0';
    c.model = name;
    expect_that(prom_record_call(r, &c) == KIT_ERR_INVALID_ARG,
                "a model name longer than PROM_MAX_MODEL_LEN should be "
                "KIT_ERR_INVALID_ARG");
    c.model = HAIKU;
    c.cost_usd = -1;
    expect_that(prom_record_call(r, &c) == KIT_ERR_INVALID_ARG,
                "a negative cost should be KIT_ERR_INVALID_ARG: a counter "
                "only goes up");
    c.cost_usd = 0;
    c.input_tokens = -5;
    expect_that(prom_record_call(r, &c) == KIT_ERR_INVALID_ARG,
                "negative tokens should be KIT_ERR_INVALID_ARG");
    text = render(r);
    expect_that(!sample(text, "ai_cost_usd_total{model=\"one-too-many\"}", &v),
                "a model refused with KIT_ERR_TOO_LARGE appears in the page");
    expect_sample(text, "ai_requests_total{model=\"model-3\",status=\"ok\"}",
                  2);
    free(text);
    prom_registry_destroy(r);
}

/* ---- Threads --------------------------------------------------------------
 */

enum { THREADS = 8, CALLS_PER_THREAD = 2000 };

struct recorder {
    prom_registry *r;
    const char *model;
};

static void *record_many(void *arg)
{
    struct recorder *rec = arg;
    prom_call c = {rec->model, KIT_OK, 0.75, 3, 5, 0.25};

    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        prom_record_call(rec->r, &c);
        prom_record_attempt(rec->r, rec->model, 2, KIT_ERR_RATE_LIMIT);
    }
    return NULL;
}

static void run_recorders(prom_registry *r, pthread_t *tid,
                          struct recorder *recs)
{
    for (int i = 0; i < THREADS; i++) {
        recs[i] = (struct recorder){r, i % 2 ? HAIKU : SONNET};
        assert_int_equal(pthread_create(&tid[i], NULL, record_many, &recs[i]),
                         0);
    }
}

static void expect_totals(const char *text)
{
    const double per_model = THREADS / 2 * CALLS_PER_THREAD;

    expect_sample(text, "ai_requests_total{model=\"" HAIKU "\",status=\"ok\"}",
                  per_model);
    expect_sample(text, "ai_requests_total{model=\"" SONNET "\",status=\"ok\"}",
                  per_model);
    expect_sample(text,
                  "ai_tokens_total{model=\"" HAIKU "\",direction=\"output\"}",
                  5 * per_model);
    expect_sample(text, "ai_cost_usd_total{model=\"" SONNET "\"}",
                  0.25 * per_model);
    expect_sample(text,
                  "ai_request_duration_seconds_bucket{model=\"" HAIKU
                  "\",le=\"1\"}",
                  per_model);
    expect_sample(text, "ai_retries_total{model=\"" SONNET "\"}", per_model);
    expect_sample(text, "ai_rate_limit_hits_total{model=\"" HAIKU "\"}",
                  per_model);
}

static void test_prom_loses_no_count_across_8_threads(void **state)
{
    prom_registry *r = new_registry();
    pthread_t tid[THREADS];
    struct recorder recs[THREADS];
    char *text;

    (void)state;
    run_recorders(r, tid, recs);
    for (int i = 0; i < 20; i++) /* render while they record */
        free(render(r));
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    text = render(r);
    expect_totals(text); /* a lost update shows as a short count */
    expect_structure_ok(text);
    free(text);
    prom_registry_destroy(r);
}

/* ---- The /metrics server ---------------------------------------------- */

static prom_server *serve(prom_registry *r)
{
    prom_server_config cfg = {.port = 0, .loopback_only = true};
    prom_server *s = NULL;
    kit_status st = prom_server_start(&cfg, r, &s);

    expect_that(st == KIT_OK && s != NULL,
                "prom_server_start on port 0 returned \"%s\"; it should "
                "listen on a free port and return KIT_OK",
                kit_strerror(st));
    expect_that(prom_server_port(s) != 0,
                "prom_server_port returned 0; after binding port 0 it "
                "should read the real port back (MHD_DAEMON_INFO_BIND_PORT)");
    return s;
}

static void scrape(prom_server *s, const char *method, const char *path,
                   http_result *res)
{
    char url[128];

    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s",
             (unsigned)prom_server_port(s), path);
    assert_int_equal(http_do(method, url, NULL, NULL, 5000, res), 0);
    expect_that(res->curl == CURLE_OK, "%s %s failed: %s", method, url,
                curl_easy_strerror(res->curl));
}

static void test_prom_server_serves_metrics_over_http(void **state)
{
    prom_registry *r = new_registry();
    prom_server *s;
    http_result res;
    char ctype[128];

    (void)state;
    record_a_storm(r);
    s = serve(r);
    scrape(s, "GET", "/metrics", &res);
    expect_that(res.status == 200,
                "GET /metrics answered %ld; it should "
                "answer 200",
                res.status);
    expect_that(http_header(&res, "Content-Type", ctype, sizeof(ctype)) &&
                    strcmp(ctype, PROM_CONTENT_TYPE) == 0,
                "GET /metrics has Content-Type \"%s\"; Prometheus expects "
                "\"%s\"",
                http_header(&res, "Content-Type", ctype, sizeof(ctype))
                    ? ctype
                    : "(none)",
                PROM_CONTENT_TYPE);
    expect_sample(res.body,
                  "ai_requests_total{model=\"" HAIKU "\",status=\"ok\"}", 2);
    expect_promtool_accepts(res.body);
    expect_structure_ok(res.body);
    http_result_free(&res);

    record(r, HAIKU, KIT_OK, 1, 1, 1, 0);
    scrape(s, "GET", "/metrics", &res);
    expect_sample(res.body,
                  "ai_requests_total{model=\"" HAIKU "\",status=\"ok\"}", 3);
    http_result_free(&res);

    scrape(s, "GET", "/", &res);
    expect_that(res.status == 404,
                "GET / answered %ld; only /metrics "
                "exists, so it should be 404",
                res.status);
    http_result_free(&res);
    scrape(s, "POST", "/metrics", &res);
    expect_that(res.status == 405,
                "POST /metrics answered %ld; a scrape is "
                "a GET, so it should be 405 Method Not Allowed",
                res.status);
    http_result_free(&res);
    prom_server_stop(s);
    prom_registry_destroy(r);
}

static void test_prom_server_scrapes_stay_sound_under_load(void **state)
{
    prom_registry *r = new_registry();
    pthread_t tid[THREADS];
    struct recorder recs[THREADS];
    prom_server *s;
    double last = -1;

    (void)state;
    s = serve(r);
    run_recorders(r, tid, recs);
    for (int i = 0; i < 15; i++) {
        http_result res;
        double now = 0;

        scrape(s, "GET", "/metrics", &res);
        expect_that(res.status == 200, "scrape %d answered %ld", i + 1,
                    res.status);
        expect_structure_ok(res.body);
        sample(res.body, "ai_requests_total{model=\"" HAIKU "\",status=\"ok\"}",
               &now);
        expect_that(now >= last,
                    "scrape %d saw %g calls after scrape %d saw "
                    "%g: a counter must never go down",
                    i + 1, now, i, last);
        last = now;
        http_result_free(&res);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    {
        http_result res;

        scrape(s, "GET", "/metrics", &res);
        expect_totals(res.body);
        http_result_free(&res);
    }
    prom_server_stop(s);
    prom_registry_destroy(r);
}

/* ---- The files for Prometheus and Grafana ------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;

    expect_that(f != NULL,
                "cannot open %s (run the tests from the top of "
                "the kit, as make does)",
                path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_true(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    return buf;
}

/* Every ai_* name in text must be a family of page (or one of a
 * histogram's _bucket/_sum/_count). */
static void expect_names_exported(const char *what, const char *text,
                                  const char *page)
{
    for (const char *p = strstr(text, "ai_"); p; p = strstr(p + 1, "ai_")) {
        char name[128], help[160];
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");

        if (p > text && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        for (const char *suf = "_bucket"; suf;
             suf = strcmp(suf, "_bucket") == 0 ? "_sum"
                   : strcmp(suf, "_sum") == 0  ? "_count"
                                               : NULL) {
            size_t sl = strlen(suf), nl = strlen(name);

            if (nl > sl && strcmp(name + nl - sl, suf) == 0) {
                name[nl - sl] = '\0';
                break;
            }
        }
        snprintf(help, sizeof(help), "# TYPE %s ", name);
        expect_that(strstr(page, help) != NULL,
                    "%s uses the metric %s, but the client's page has no "
                    "family of that name: an alert or panel on a name that "
                    "is never exported stays silent for ever",
                    what, name);
    }
}

static void test_prom_alert_rules_and_dashboard_match_the_page(void **state)
{
    prom_registry *r = new_registry();
    char out[8192], cmd[512];
    char *page, *rules, *dash;
    cJSON *json;
    int rc;

    (void)state;
    record_a_storm(r);
    page = render(r);
    require_promtool();

    snprintf(cmd, sizeof(cmd), "check rules %s", ALERTS_FILE);
    rc = promtool(cmd, NULL, out, sizeof(out));
    expect_that(rc == 0, "promtool check rules %s failed (exit %d):\n%s",
                ALERTS_FILE, rc, out);
    snprintf(cmd, sizeof(cmd), "test rules %s", ALERTS_TEST_FILE);
    rc = promtool(cmd, NULL, out, sizeof(out));
    expect_that(rc == 0,
                "promtool test rules %s failed (exit %d): the "
                "alerts do not fire as they should:\n%s",
                ALERTS_TEST_FILE, rc, out);
    snprintf(cmd, sizeof(cmd), "check config %s", SCRAPE_FILE);
    rc = promtool(cmd, NULL, out, sizeof(out));
    expect_that(rc == 0, "promtool check config %s failed (exit %d):\n%s",
                SCRAPE_FILE, rc, out);

    rules = read_text(ALERTS_FILE);
    expect_names_exported(ALERTS_FILE, rules, page);
    dash = read_text(DASHBOARD_FILE);
    json = cJSON_Parse(dash);
    expect_that(
        cJSON_IsObject(json) &&
            cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(json, "panels")),
        "%s is not a Grafana dashboard: JSON with a panels array",
        DASHBOARD_FILE);
    expect_names_exported(DASHBOARD_FILE, dash, page);
    cJSON_Delete(json);
    free(dash);
    free(rules);
    free(page);
    prom_registry_destroy(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prom_names_statuses_and_escapes_label_values),
        cmocka_unit_test(test_prom_counts_requests_by_model_and_status),
        cmocka_unit_test(test_prom_counts_tokens_and_cost_by_model),
        cmocka_unit_test(test_prom_histogram_buckets_are_cumulative),
        cmocka_unit_test(test_prom_counts_rate_limit_hits_and_retries),
        cmocka_unit_test(test_prom_escapes_label_values_in_the_page),
        cmocka_unit_test(test_prom_page_passes_promtool_check_metrics),
        cmocka_unit_test(test_prom_page_is_structurally_sound),
        cmocka_unit_test(test_prom_bounds_models_and_rejects_bad_figures),
        cmocka_unit_test(test_prom_loses_no_count_across_8_threads),
        cmocka_unit_test(test_prom_server_serves_metrics_over_http),
        cmocka_unit_test(test_prom_server_scrapes_stay_sound_under_load),
        cmocka_unit_test(test_prom_alert_rules_and_dashboard_match_the_page),
    };

    return HARNESS_MAIN("lab06-prometheus", tests, NULL, NULL);
}
