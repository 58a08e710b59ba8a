/*
 * reqlog.h - the mock server's one-line-per-request log on stderr, and the
 * redaction that keeps API keys out of everything the server prints.
 *
 * Thread-safe: each line is written with one stdio call, which POSIX
 * makes atomic with respect to other threads' stdio calls on stderr.
 */
#ifndef MOCKSERVER_REQLOG_H
#define MOCKSERVER_REQLOG_H

#include <stddef.h>

#include "journal.h"

/*
 * Writes a redacted form of key into out (size n): the first 6 characters,
 * "…", the last 2 ("mock-4…ok"); keys of 10 characters or fewer become
 * "…" alone, since showing 8 of them would show most of the key.
 * Returns out.
 */
char *reqlog_redact(const char *key, char *out, size_t n);

/*
 * Prints one line for a finished provider request:
 *   METHOD PATH provider=P model=M status=S fault=F delay_ms=D LAT ms
 * e is the request's journal entry; latency_ms the time from arrival to
 * the end of the response.
 */
void reqlog_request(const journal_entry *e, double latency_ms);

/* Prints one line for a control-API request: METHOD PATH status=S. */
void reqlog_control(const char *method, const char *path, int status);

#endif /* MOCKSERVER_REQLOG_H */
