/*
 * Strict JSON parsing for request bodies, control calls and scenario files.
 */
#include "json.h"

cJSON *json_parse(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *v;

    if (!text || len == 0)
        return NULL;
    v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!v)
        return NULL;
    while (end && (size_t)(end - text) < len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (!end || (size_t)(end - text) != len) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}
