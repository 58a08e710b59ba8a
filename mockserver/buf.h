/*
 * buf.h - a growable, bounded byte buffer (the mock server's small cousin of
 * curl's dynbuf).
 *
 * A buf starts empty and zeroed ({0} is a valid empty buf). Appends grow it
 * with realloc until `limit` bytes; an append that would pass the limit
 * fails and leaves the buffer as it was. The content is always
 * NUL-terminated once anything was appended, so b->data can be used as a
 * string when only text went in.
 *
 * Ownership: the buf owns b->data; free it with buf_free, or take it with
 * buf_steal (then the caller frees it with free()). Not thread-safe: one
 * buf belongs to one thread at a time.
 */
#ifndef MOCKSERVER_BUF_H
#define MOCKSERVER_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct buf {
    char *data;   /* NULL until the first append */
    size_t len;   /* bytes in use, not counting the NUL */
    size_t cap;   /* bytes allocated */
    size_t limit; /* the most bytes it may hold; 0 means 16 MiB */
} buf;

/* Sets up an empty buffer that may grow to `limit` bytes (0 = 16 MiB). */
void buf_init(buf *b, size_t limit);

/*
 * Appends len bytes. May reallocate b->data.
 * Returns 0, or -1 when the limit would be passed or memory runs out (the
 * buffer is then unchanged).
 */
int buf_add(buf *b, const void *data, size_t len);

/* Appends a NUL-terminated string. Same return as buf_add. */
int buf_adds(buf *b, const char *s);

/* Appends printf-style formatted text. Same return as buf_add. */
int buf_addf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Hands the content to the caller (who frees it with free()) and leaves the
 * buffer empty. Returns "" duplicated when nothing was appended, or NULL when
 * that allocation fails.
 */
char *buf_steal(buf *b, size_t *len_out);

/* Frees the content and leaves the buffer empty. NULL is a no-op. */
void buf_free(buf *b);

#endif /* MOCKSERVER_BUF_H */
