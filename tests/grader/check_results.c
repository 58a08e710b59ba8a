/*
 * check_results: the grader self-test's parser for Gradescope's
 * results.json. It parses the file with cJSON and checks every key the
 * Gradescope contract and the kit's grader promise, so the format is checked
 * by a parser and never by eye.
 *
 *   usage: check_results FILE [SCORE MAX_SCORE]
 *
 * With SCORE and MAX_SCORE it also checks the totals ("-" skips one). It
 * prints "results.json: N tests, score S / M" and exits 0 when all is well;
 * otherwise it names each problem on stderr and exits 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

static int problems;

static void problem(const char *what, int test)
{
    if (test >= 0)
        fprintf(stderr, "check_results: tests[%d]: %s\n", test, what);
    else
        fprintf(stderr, "check_results: %s\n", what);
    problems++;
}

/* Reads the whole file into a NUL-terminated buffer the caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)size + 1);
    if (!buf)
        goto out;
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[size] = '\0';
    *len = (size_t)size;
out:
    fclose(f);
    return buf;
}

static const cJSON *need(const cJSON *obj, const char *key, int test,
                         cJSON_bool (*is)(const cJSON *), const char *type)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char what[128];

    if (!item) {
        snprintf(what, sizeof(what), "no \"%s\"", key);
        problem(what, test);
        return NULL;
    }
    if (!is(item)) {
        snprintf(what, sizeof(what), "\"%s\" is not a %s", key, type);
        problem(what, test);
        return NULL;
    }
    return item;
}

static void check_test(const cJSON *t, int i)
{
    static const char *const visibilities[] = {
        "hidden", "after_due_date", "after_published", "visible", NULL};
    const cJSON *status, *vis, *score, *max;
    int ok = 0;

    if (!cJSON_IsObject(t)) {
        problem("not an object", i);
        return;
    }
    need(t, "name", i, cJSON_IsString, "string");
    need(t, "number", i, cJSON_IsString, "string");
    need(t, "output", i, cJSON_IsString, "string");
    score = need(t, "score", i, cJSON_IsNumber, "number");
    max = need(t, "max_score", i, cJSON_IsNumber, "number");
    status = need(t, "status", i, cJSON_IsString, "string");
    vis = need(t, "visibility", i, cJSON_IsString, "string");
    if (status && strcmp(status->valuestring, "passed") != 0 &&
        strcmp(status->valuestring, "failed") != 0)
        problem("\"status\" is neither passed nor failed", i);
    for (size_t k = 0; vis && visibilities[k]; k++)
        ok |= strcmp(vis->valuestring, visibilities[k]) == 0;
    if (vis && !ok)
        problem("\"visibility\" is not a Gradescope visibility", i);
    if (score && score->valuedouble < 0)
        problem("negative score", i);
    if (max && max->valuedouble < 0)
        problem("negative max_score", i);
    if (status && score && strcmp(status->valuestring, "failed") == 0 &&
        score->valuedouble != 0)
        problem("a failed test scored points", i);
}

int main(int argc, char **argv)
{
    const cJSON *tests, *score, *max, *t;
    cJSON *root = NULL;
    size_t len = 0;
    char *text = NULL;
    double sum = 0;
    int n = 0, status = 1;

    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: check_results FILE [SCORE MAX_SCORE]\n");
        return 2;
    }
    text = slurp(argv[1], &len);
    if (!text) {
        perror(argv[1]);
        return 1;
    }
    /* len + 1: the NUL is part of the buffer, which "require null
     * terminated" needs to see (it rejects trailing garbage). */
    root = cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1);
    if (!cJSON_IsObject(root)) {
        problem("not a JSON object (or not valid JSON)", -1);
        goto out;
    }
    score = need(root, "score", -1, cJSON_IsNumber, "number");
    max = need(root, "max_score", -1, cJSON_IsNumber, "number");
    need(root, "execution_time", -1, cJSON_IsNumber, "number");
    need(root, "output", -1, cJSON_IsString, "string");
    tests = need(root, "tests", -1, cJSON_IsArray, "array");
    cJSON_ArrayForEach(t, tests)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "score");

        check_test(t, n++);
        if (cJSON_IsNumber(s))
            sum += s->valuedouble;
    }
    if (tests && n == 0)
        problem("\"tests\" is empty: no test ran", -1);
    if (score && fabs(score->valuedouble - sum) > 1e-6)
        problem("\"score\" is not the sum of the tests' scores", -1);
    if (argc == 4 && score && strcmp(argv[2], "-") != 0 &&
        fabs(score->valuedouble - atof(argv[2])) > 1e-6) {
        fprintf(stderr, "check_results: score %g, expected %s\n",
                score->valuedouble, argv[2]);
        problems++;
    }
    if (argc == 4 && max && strcmp(argv[3], "-") != 0 &&
        fabs(max->valuedouble - atof(argv[3])) > 1e-6) {
        fprintf(stderr, "check_results: max_score %g, expected %s\n",
                max->valuedouble, argv[3]);
        problems++;
    }
    if (problems == 0) {
        printf("results.json: %d tests, score %g / %g\n", n,
               score ? score->valuedouble : 0, max ? max->valuedouble : 0);
        status = 0;
    }
out:
    cJSON_Delete(root);
    free(text);
    return status;
}
