/*
 * Fuzzes the control API (control_handle): the first byte picks the method
 * and path (scripts, limits, journal, bill, reset, health, and an unknown
 * one), the rest is the JSON body. Keys come from a small fixed set so the
 * state stays bounded; it is reset every so often anyway.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fuzz_common.h"
#include "mockstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mockstate *state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const char *method, *path;
    } routes[] = {
        {"PUT", "/_mock/scripts/test-fuzz"},
        {"PUT", "/_mock/scripts/*"},
        {"PUT", "/_mock/limits/test-fuzz"},
        {"PUT", "/_mock/limits/*"},
        {"DELETE", "/_mock/scripts/test-fuzz"},
        {"DELETE", "/_mock/limits/test-fuzz"},
        {"GET", "/_mock/journal"},
        {"GET", "/_mock/bill"},
        {"DELETE", "/_mock/journal"},
        {"POST", "/_mock/reset"},
        {"GET", "/_mock/health"},
        {"PATCH", "/_mock/scripts/"},
        {"PUT", "/_mock/"},
        {"GET", "/_mock/nope"},
    };
    static unsigned runs;
    const size_t n_routes = sizeof(routes) / sizeof(routes[0]);
    char *body, *out = NULL;
    size_t out_len = 0, i;

    if (!state && mockstate_create(1.0, 64, &state) != 0)
        abort();
    if (++runs % 1000 == 0)
        mockstate_reset(state);
    if (size < 1)
        return 0;
    i = data[0] % n_routes;
    body = malloc(size - 1 ? size - 1 : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    control_handle(state, routes[i].method, routes[i].path,
                   (data[0] & 0x80) ? "test-fuzz" : NULL, body, size - 1, &out,
                   &out_len);
    free(out);
    free(body);
    return 0;
}
