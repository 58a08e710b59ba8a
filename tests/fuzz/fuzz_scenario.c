/*
 * Fuzzes scenario files (control_load_scenario): the whole input is the
 * file's text, checked in full and, when valid, applied to a state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "mockstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mockstate *state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    char *text;

    if (!state && mockstate_create(1.0, 64, &state) != 0)
        abort();
    text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    if (control_load_scenario(state, text, size, err, sizeof(err)) == 0)
        mockstate_reset(state);
    free(text);
    return 0;
}
