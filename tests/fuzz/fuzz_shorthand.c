/*
 * Fuzzes the key shorthand (shorthand_parse). Every script it writes must
 * itself parse as a script, and an error must never hold the key whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "script.h"
#include "shorthand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], serr[256];
    char *json = NULL;
    char *key = fuzz_strdup(data, size);
    shorthand_result r;

    if (!key)
        return 0;
    r = shorthand_parse(key, &json, err, sizeof(err));
    if (r == SHORTHAND_OK) {
        script *s = script_parse(json, strlen(json), serr, sizeof(serr));

        if (!s)
            abort(); /* shorthand wrote a script the server refuses */
        script_free(s);
    }
    if (r == SHORTHAND_BAD && strlen(key) > 16 && strstr(err, key))
        abort(); /* the key leaked whole into the message */
    free(json);
    free(key);
    return 0;
}
