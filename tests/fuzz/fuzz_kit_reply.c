/*
 * Fuzzes the provided library's reading of replies: the Messages API's
 * success body (kit_anthropic_parse_reply) and the error envelopes of all
 * three providers (kit_anthropic_parse_error).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kit_chat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kit_chat_reply reply;
    char err[256], type[48], message[256];
    char *body = malloc(size ? size : 1);

    if (!body)
        return 0;
    if (size)
        memcpy(body, data, size);
    memset(&reply, 0, sizeof(reply));
    kit_anthropic_parse_reply(body, size, &reply, err, sizeof(err));
    kit_chat_reply_clear(&reply);
    kit_anthropic_parse_error(body, size, type, sizeof(type), message,
                              sizeof(message));
    /* Tiny buffers exercise the truncation paths. */
    kit_anthropic_parse_error(body, size, type, 1, message, 2);
    free(body);
    return 0;
}
