/*
 * control.h - the mock server's control API under /_mock/, and scenario
 * files, which say the same things at start-up.
 *
 *   GET    /_mock/health             {"status":"ok"}
 *   PUT    /_mock/scripts/{key}      a script (see script.h); "*" = all keys
 *   DELETE /_mock/scripts/{key}
 *   PUT    /_mock/limits/{key}       {"rpm":N,"tpm":N} or {"tier":"NAME"}
 *   DELETE /_mock/limits/{key}
 *   GET    /_mock/journal[?key=K]    {"requests":[...],"count","dropped"}
 *   DELETE /_mock/journal
 *   GET    /_mock/bill[?key=K]       tokens and USD by model
 *   POST   /_mock/reset              forget scripts, limits, bills, journal
 *
 * Invalid input gets 400 with {"error":"FIELD: what is wrong","field":
 * "FIELD"}. No libmicrohttpd here; thread-safe like the state it changes.
 */
#ifndef MOCKSERVER_CONTROL_H
#define MOCKSERVER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "mockstate.h"

/* True when path belongs to the control API ("/_mock" or below). */
bool control_owns(const char *path);

/*
 * Handles one control request.
 * method, path: as received (path URL-decoded, no query string).
 * query_key:    the ?key= argument, or NULL.
 * body, len:    the request body (may be NULL/0).
 * body_out:     receives the JSON answer (caller frees with free()).
 * Returns the HTTP status.
 */
int control_handle(mockstate *st, const char *method, const char *path,
                   const char *query_key, const char *body, size_t len,
                   char **body_out, size_t *len_out);

/*
 * Applies a scenario: {"scripts":{KEY:SCRIPT,...},"limits":{KEY:LIMITS,...}}
 * (both optional). Everything is checked before anything is applied.
 * Returns 0, or -1 with err set to one line naming the bad field.
 */
int control_load_scenario(mockstate *st, const char *json, size_t len,
                          char *err, size_t errlen);

#endif /* MOCKSERVER_CONTROL_H */
