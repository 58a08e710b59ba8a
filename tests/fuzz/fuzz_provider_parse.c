/*
 * Fuzzes each provider's chat-request parser (the `parse` member of the
 * provider_ops tables in mockserver/provider_*.c): the first byte picks the
 * provider and endpoint, the rest is the request body.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const headers[] = {
        "x-api-key",      "test-fuzz",     "anthropic-version",
        "2023-06-01",     "authorization", "Bearer test-fuzz",
        "x-goog-api-key", "test-fuzz",     NULL};
    static const char *const query_sse[] = {"alt", "sse", NULL};
    const provider_ops *ops;
    fuzz_req fr = {headers, NULL};
    req_view v = {"POST", "/", fuzz_header, fuzz_query, &fr};
    enum endpoint ep = ENDPOINT_CHAT;
    chat_request rq;
    provider_error e;
    char *body;

    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        ops = &provider_anthropic;
        v.path = "/v1/messages";
        break;
    case 1:
        ops = &provider_openai;
        v.path = "/v1/chat/completions";
        break;
    default:
        ops = &provider_gemini;
        v.path = "/v1beta/models/gemini-1.5-flash:generateContent";
        if (data[0] & 0x10) {
            ep = ENDPOINT_STREAM;
            fr.query = query_sse;
        }
        break;
    }
    /* The server hands parsers a body that is not NUL-terminated; so do we
       (a copy of exactly size - 1 bytes, so ASan sees any overread). */
    body = malloc(size - 1 ? size - 1 : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    memset(&rq, 0, sizeof(rq));
    memset(&e, 0, sizeof(e));
    ops->parse(&v, ep, body, size - 1, &rq, &e);
    chat_request_free(&rq);
    free(body);
    return 0;
}
