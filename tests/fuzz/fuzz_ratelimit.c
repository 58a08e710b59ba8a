/*
 * Fuzzes the client's reading of response headers: rate-limit headers
 * (kit_ratelimit_parse, Anthropic's and OpenAI's), the retry-after hint
 * (kit_http_retry_after_ms) and header lookup (kit_http_header), on a
 * synthetic kit_http_response whose raw header block is the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "kit_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kit_http_response resp;
    kit_ratelimit rl;
    char val[64];

    memset(&resp, 0, sizeof(resp));
    resp.transport = KIT_OK;
    resp.status = 429;
    resp.retry_after_ms = -1;
    resp.headers = fuzz_strdup(data, size);
    if (!resp.headers)
        return 0;
    kit_ratelimit_parse(&resp, 1796007845LL, &rl);
    kit_ratelimit_parse(&resp, 0, &rl);
    kit_http_retry_after_ms(&resp);
    kit_http_header(&resp, "retry-after", val, sizeof(val));
    kit_http_header(&resp, "x-ratelimit-reset-tokens", val, 2);
    free(resp.headers);
    return 0;
}
