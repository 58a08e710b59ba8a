/*
 * Fuzzes the .env loader (kit_env_load_dotenv): the input is written to a
 * temporary file and loaded with override on. Variables it set are removed
 * again afterwards, so the environment does not grow run after run.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "kit_env.h"

extern char **environ;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char **initial; /* names present before the first run */
static size_t n_initial;

static void snapshot(void)
{
    size_t n = 0;

    while (environ[n])
        n++;
    initial = calloc(n + 1, sizeof(*initial));
    if (!initial)
        abort();
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);

        initial[i] = strndup(environ[i], len);
    }
    n_initial = n;
}

static bool was_there(const char *name, size_t len)
{
    for (size_t i = 0; i < n_initial; i++)
        if (initial[i] && strlen(initial[i]) == len &&
            memcmp(initial[i], name, len) == 0)
            return true;
    return false;
}

/* Removes the variables the loader added (values it overrode stay). */
static void restore(void)
{
    bool again = true;

    while (again) {
        again = false;
        for (size_t i = 0; environ[i]; i++) {
            const char *eq = strchr(environ[i], '=');
            size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
            char *name;

            if (was_there(environ[i], len))
                continue;
            name = strndup(environ[i], len);
            if (!name)
                abort();
            unsetenv(name);
            free(name);
            again = true; /* environ changed under us: start over */
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256], err[256];
    bool warn = false;

    if (!initial)
        snapshot();
    if (fuzz_write_temp(data, size, path, sizeof(path)) != 0)
        return 0;
    kit_env_load_dotenv(path, true, &warn, err, sizeof(err));
    unlink(path);
    restore();
    return 0;
}
