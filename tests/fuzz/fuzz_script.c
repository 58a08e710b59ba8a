/*
 * Fuzzes script parsing (script_parse), and draws a few chaos steps from
 * what parses, since the draw reads the parsed choices.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    char *text = malloc(size ? size : 1);
    script *s;

    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    s = script_parse(text, size, err, sizeof(err));
    if (s && s->has_chaos) {
        uint64_t rng = s->chaos_seed;
        script_step st;

        for (int i = 0; i < 8; i++)
            script_chaos_draw(s, &rng, &st);
    }
    script_free(s);
    free(text);
    return 0;
}
