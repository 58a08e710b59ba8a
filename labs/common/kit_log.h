/*
 * kit_log: leveled logging that a program switches on and library code may
 * call freely. Nothing is printed until a program sets a sink, so library
 * code never prints on its own. Keys are redacted before they reach a sink.
 */
#ifndef KIT_LOG_H
#define KIT_LOG_H

#include <stddef.h>
#include <stdio.h>

typedef enum kit_log_level {
    KIT_LOG_DEBUG,
    KIT_LOG_INFO,
    KIT_LOG_WARN,
    KIT_LOG_ERROR,
    KIT_LOG_OFF
} kit_log_level;

/*
 * Sends messages at level min and above to sink (borrowed; NULL: nowhere).
 * The default is nowhere. Thread-safe.
 */
void kit_log_set_sink(FILE *sink, kit_log_level min);

/* Logs one line "LEVEL message". Thread-safe. */
void kit_log(kit_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * Writes a printable form of key that cannot be used: its first 6 and last 2
 * characters around an ellipsis ("sk-ant…9x"), or "(unset)" / "(short)" for
 * keys too short to show any of. Returns out.
 */
const char *kit_redact_key(const char *key, char *out, size_t outlen);

#endif
