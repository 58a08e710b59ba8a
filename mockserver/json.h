/*
 * json.h - the one way the mock server parses JSON text.
 *
 * cJSON_ParseWithLengthOpts with require_null_terminated set demands a NUL
 * *inside* the given length, which bodies received off the wire do not
 * have; without it, trailing garbage passes. json_parse gets both right:
 * exactly len bytes, one JSON value, nothing after it but whitespace.
 */
#ifndef MOCKSERVER_JSON_H
#define MOCKSERVER_JSON_H

#include <stddef.h>

#include <cJSON.h>

/*
 * Parses len bytes of text (need not be NUL-terminated; NULL with len 0 is
 * an empty document, which is not JSON). Returns the value (caller frees
 * with cJSON_Delete), or NULL when the text is not exactly one JSON value.
 * Thread-safe, apart from cJSON's global error pointer, which it does not
 * use.
 */
cJSON *json_parse(const char *text, size_t len);

#endif /* MOCKSERVER_JSON_H */
