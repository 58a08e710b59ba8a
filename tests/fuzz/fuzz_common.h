/*
 * Helpers the libFuzzer harnesses in tests/fuzz/ share: a fake request
 * view for the mock server's providers, and a way to hand fuzz bytes to a
 * parser that only reads files. Header-only so each harness stays one file.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A fixed set of request headers and query arguments, for a req_view. */
typedef struct fuzz_req {
    const char *const *headers; /* "name", "value", ..., NULL */
    const char *const *query;   /* the same, for ?name=value */
} fuzz_req;

static inline const char *fuzz_lookup(const char *const *kv, const char *name)
{
    for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
        if (strcasecmp(kv[i], name) == 0)
            return kv[i + 1];
    return NULL;
}

static inline const char *fuzz_header(void *ctx, const char *name)
{
    return fuzz_lookup(((const fuzz_req *)ctx)->headers, name);
}

static inline const char *fuzz_query(void *ctx, const char *name)
{
    return fuzz_lookup(((const fuzz_req *)ctx)->query, name);
}

/* A NUL-terminated copy of the input; caller frees with free(). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        return NULL;
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/*
 * Writes the input to a private temporary file whose path goes into path
 * (size n). Returns 0, or -1. The caller unlinks it.
 */
static inline int fuzz_write_temp(const uint8_t *data, size_t size, char *path,
                                  size_t n)
{
    const char *dir = getenv("TMPDIR");
    int fd;
    size_t off = 0;

    snprintf(path, n, "%s/fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            unlink(path);
            return -1;
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

#endif
