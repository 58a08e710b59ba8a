/*
 * client_bench: benchmark 3 of tests/bench (issue 8). Times N sequential
 * calls through the lab 3 reference client against a plain libcurl loop
 * that sends the same requests on one reused easy handle, both against the
 * mock server, and prints the two figures for tests/bench/run.sh.
 *
 * usage: client_bench BASE_URL N CLIENT_KEY CURL_KEY
 *
 * The loops alternate in rounds (curl, client, curl, client...) so that
 * noise from other work on the machine falls on both alike. A third loop,
 * for diagnosis only, resets the handle and sets its options again before
 * every request, as the kit's transport (kit_curl.c) does. Output, one
 * "name value" pair a line: calls, warmup, client_ms, curl_ms,
 * curl_reset_ms, median_ratio (the median over rounds of the client's
 * time over the plain loop's: a burst of outside noise moves one round, not
 * the figure), failures.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

enum { ROUNDS = 20, WARMUP = 20, MAX_BODY = 1 << 20 };

/* The body kit_anthropic_call builds for the client's call below, byte for
 * byte, so both loops move the same bytes. */
#define PROMPT     "What is BGP?"
#define MAX_TOKENS 64
#define BODY                                                                   \
    "{\"model\":\"claude-haiku-4.5\",\"max_tokens\":64,\"messages\":"          \
    "[{\"role\":\"user\",\"content\":\"What is BGP?\"}]}"

typedef struct sink {
    char *data;
    size_t len;
    size_t cap;
} sink;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Keeps the whole answer, as the client's transport does (bounded). */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;

    if (s->len + n + 1 > MAX_BODY)
        return 0;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        char *p;

        while (cap < s->len + n + 1)
            cap *= 2;
        p = realloc(s->data, cap);
        if (!p)
            return 0;
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

static void set_options(CURL *easy, const char *url, struct curl_slist *headers,
                        sink *s)
{
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "ai-lab-kit/1.0");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, BODY);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(BODY));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, s);
}

/* One plain request on the reused handle; 0 when it got a 200. */
static int curl_once(CURL *easy, sink *s)
{
    long status = 0;

    s->len = 0;
    if (curl_easy_perform(easy) != CURLE_OK)
        return -1;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return status == 200 && s->len > 0 ? 0 : -1;
}

static int client_once(client *c)
{
    client_call_params p = {
        .prompt = PROMPT, .max_tokens = MAX_TOKENS, .temperature = -1.0};
    client_result r;
    int rc = client_call(c, &p, &r) == KIT_OK ? 0 : -1;

    client_result_clear(&r);
    return rc;
}

int main(int argc, char **argv)
{
    client_config cfg = CLIENT_CONFIG_DEFAULT;
    client *c = NULL;
    CURL *easy = NULL;
    struct curl_slist *headers = NULL;
    char url[512], key_header[256], err[256];
    sink s = {NULL, 0, 0};
    double client_ms = 0, curl_ms = 0, reset_ms = 0, t0, t_curl;
    double round_ratio[ROUNDS];
    long n, per_round, failures = 0;
    int status = 1;

    if (argc != 5 || (n = strtol(argv[2], NULL, 10)) < ROUNDS) {
        fprintf(stderr, "usage: client_bench BASE_URL N CLIENT_KEY CURL_KEY\n");
        return 2;
    }
    per_round = n / ROUNDS;
    snprintf(url, sizeof(url), "%s/v1/messages", argv[1]);
    snprintf(key_header, sizeof(key_header), "x-api-key: %s", argv[4]);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;

    cfg.api_key = argv[3];
    cfg.base_url = argv[1];
    cfg.timeout_ms = 10000;
    if (client_create(&cfg, &c, err, sizeof(err)) != KIT_OK) {
        fprintf(stderr, "client_create: %s\n", err);
        goto out;
    }

    /* The reference loop: what any libcurl program would do, with the same
     * headers the client sends. */
    easy = curl_easy_init();
    headers = curl_slist_append(headers, key_header);
    headers = curl_slist_append(headers, "anthropic-version: 2023-06-01");
    headers = curl_slist_append(headers, "content-type: application/json");
    headers = curl_slist_append(headers, "accept: application/json");
    if (!easy || !headers)
        goto out;
    set_options(easy, url, headers, &s);

    for (int i = 0; i < WARMUP; i++) {
        failures += curl_once(easy, &s) != 0;
        failures += client_once(c) != 0;
    }
    for (int r = 0; r < ROUNDS; r++) {
        t0 = now_ms();
        for (long i = 0; i < per_round; i++)
            failures += curl_once(easy, &s) != 0;
        t_curl = now_ms() - t0;
        curl_ms += t_curl;
        t0 = now_ms();
        for (long i = 0; i < per_round; i++)
            failures += client_once(c) != 0;
        client_ms += now_ms() - t0;
        round_ratio[r] = t_curl > 0 ? (now_ms() - t0) / t_curl : 0;
        t0 = now_ms();
        for (long i = 0; i < per_round; i++) {
            curl_easy_reset(easy);
            set_options(easy, url, headers, &s);
            failures += curl_once(easy, &s) != 0;
        }
        reset_ms += now_ms() - t0;
    }
    printf("calls %ld\n", per_round * ROUNDS);
    printf("warmup %d\n", WARMUP);
    printf("client_ms %.1f\n", client_ms);
    printf("curl_ms %.1f\n", curl_ms);
    printf("curl_reset_ms %.1f\n", reset_ms);
    qsort(round_ratio, ROUNDS, sizeof(round_ratio[0]), cmp_double);
    printf("median_ratio %.3f\n",
           (round_ratio[ROUNDS / 2 - 1] + round_ratio[ROUNDS / 2]) / 2);
    printf("failures %ld\n", failures);
    status = failures ? 1 : 0;
out:
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    free(s.data);
    client_destroy(c);
    curl_global_cleanup();
    return status;
}
