/*
 * Fuzzes the mock server's whole request path without the network:
 * exchange_handle routes, checks the key and headers, parses the body,
 * consults scripts and limits, and writes the answer and journal entry.
 * Input: a first line "METHOD PATH KEY" (any part may be missing), then the
 * body. The state is reset every so often so memory stays bounded.
 */
#include <stdint.h>
#include <string.h>

#include "exchange.h"
#include "fuzz_common.h"
#include "mockstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mockstate *state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned runs;
    const char *headers[] = {"x-api-key",
                             NULL,
                             "anthropic-version",
                             "2023-06-01",
                             "authorization",
                             NULL,
                             "x-goog-api-key",
                             NULL,
                             NULL};
    char auth[300];
    char method[16] = "POST", path[256] = "/v1/messages", key[256] = "";
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - data) : 0;
    const uint8_t *body = nl ? nl + 1 : data;
    size_t body_len = size - (size_t)(body - data);
    char *line, *save = NULL, *tok, *copy;
    fuzz_req fr = {headers, NULL};
    req_view v;
    exchange_result r;

    if (!state && mockstate_create(1.0, 64, &state) != 0)
        abort();
    if (++runs % 1000 == 0)
        mockstate_reset(state);
    line = fuzz_strdup(data, head);
    if (!line)
        return 0;
    if ((tok = strtok_r(line, " ", &save)))
        snprintf(method, sizeof(method), "%s", tok);
    if ((tok = strtok_r(NULL, " ", &save)))
        snprintf(path, sizeof(path), "%s", tok);
    if ((tok = strtok_r(NULL, " ", &save)))
        snprintf(key, sizeof(key), "%s", tok);
    free(line);
    snprintf(auth, sizeof(auth), "Bearer %s", key);
    headers[1] = key;
    headers[5] = auth;
    headers[7] = key;
    v = (req_view){method, path, fuzz_header, fuzz_query, &fr};
    copy = malloc(body_len ? body_len : 1);
    if (!copy)
        return 0;
    memcpy(copy, body, body_len);
    exchange_handle(state, &v, copy, body_len, false, 1, &r);
    exchange_result_free(&r);
    free(copy);
    return 0;
}
