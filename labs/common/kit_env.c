/*
 * kit_env: API keys and base URLs from the environment, and the .env loader.
 * This is key security level 2 of the course: the key lives in the
 * environment (perhaps loaded from a .env file that .gitignore excludes),
 * never in source code. Lab 0 checks the key with it; lab 3 creates its
 * client from it.
 */
#include "kit_env.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- .env ---------------------------------------------------------------- */

static char *skip_blank(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static void trim_right(char *s)
{
    size_t n = strlen(s);

    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

/*
 * Parses one line in place. Returns 1 with *name and *value set for an
 * assignment, 0 for a blank or comment line, -1 for a malformed one.
 */
static int parse_line(char *line, char **name, char **value)
{
    char *p = skip_blank(line), *v, *w;

    trim_right(p);
    if (*p == '\0' || *p == '#')
        return 0;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
        p = skip_blank(p + 6);

    *name = p;
    if (!(isalpha((unsigned char)*p) || *p == '_'))
        return -1;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    v = skip_blank(p);
    if (*v != '=')
        return -1;
    *p = '\0'; /* ends the name (p is at or before the '=') */
    v = skip_blank(v + 1);

    if (*v == '"' || *v == '\'') {
        char quote = *v++;

        /* Inside double quotes \" \\ and \n are escapes; single quotes
         * are literal, as in a shell. */
        *value = w = v;
        while (*v && *v != quote) {
            if (quote == '"' && *v == '\\' && v[1]) {
                v++;
                *w++ = *v == 'n' ? '\n' : *v;
                v++;
                continue;
            }
            *w++ = *v++;
        }
        if (*v != quote)
            return -1; /* unterminated */
        v = skip_blank(v + 1);
        if (*v != '\0' && *v != '#')
            return -1; /* something after the closing quote */
        *w = '\0';
        return 1;
    }

    /* Unquoted: a # after a blank starts a comment. */
    *value = v;
    for (w = v; *w; w++) {
        if (*w == '#' && (w == v || w[-1] == ' ' || w[-1] == '\t')) {
            *w = '\0';
            break;
        }
    }
    trim_right(v);
    return 1;
}

/*
 * Runs over the whole file; sets variables only when apply is true, so a
 * malformed file is rejected before it changes the environment.
 */
static kit_status scan(FILE *f, const char *path, bool apply, bool override,
                       char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    kit_status rc = KIT_OK;

    while (getline(&line, &cap, f) != -1) {
        char *name = NULL, *value = NULL;
        int kind;

        lineno++;
        kind = parse_line(line, &name, &value);
        if (kind < 0) {
            /* The value may be a key: name the line, never its text. */
            set_err(err, errlen, "%s:%ld: malformed line (expected NAME=value)",
                    path, lineno);
            rc = KIT_ERR_INVALID_ARG;
            goto out;
        }
        if (kind == 0 || !apply)
            continue;
        if (!override && getenv(name))
            continue;
        if (setenv(name, value, 1) != 0) {
            set_err(err, errlen, "%s:%ld: could not set the variable", path,
                    lineno);
            rc = KIT_ERR_NO_MEMORY;
            goto out;
        }
    }
    if (ferror(f)) {
        set_err(err, errlen, "%s: read error after line %ld", path, lineno);
        rc = KIT_ERR_IO;
    }
out:
    free(line);
    return rc;
}

kit_status kit_env_load_dotenv(const char *path, bool override, bool *warn,
                               char *err, size_t errlen)
{
    FILE *f = NULL;
    struct stat st;
    kit_status rc;

    if (warn)
        *warn = false;
    if (err && errlen)
        err[0] = '\0';
    if (!path) {
        set_err(err, errlen, "kit_env_load_dotenv: no path given");
        return KIT_ERR_INVALID_ARG;
    }
    f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return KIT_ERR_IO;
    }
    /* A key file others can read is a key others can use. */
    if (warn && fstat(fileno(f), &st) == 0 &&
        (st.st_mode & (S_IRGRP | S_IROTH)))
        *warn = true;

    rc = scan(f, path, false, override, err, errlen);
    if (rc == KIT_OK) {
        rewind(f);
        rc = scan(f, path, true, override, err, errlen);
    }
    fclose(f);
    return rc;
}

/* ---- Keys and base URLs ---------------------------------------------------
 */

kit_status kit_env_api_key(const char *var, char *out, size_t outlen, char *err,
                           size_t errlen)
{
    const char *value, *end;
    size_t len;

    if (err && errlen)
        err[0] = '\0';
    if (out && outlen)
        out[0] = '\0';
    if (!var || !out || outlen == 0) {
        set_err(err, errlen, "kit_env_api_key: invalid argument");
        return KIT_ERR_INVALID_ARG;
    }
    value = getenv(var);
    if (!value) {
        set_err(err, errlen,
                "%s is not set. Set it in your shell (export %s=...) "
                "or in a .env file that .gitignore excludes; never put "
                "the key in source code.",
                var, var);
        return KIT_ERR_NO_KEY;
    }
    /* Copy-paste brings stray spaces and newlines: trim both ends. */
    while (isspace((unsigned char)*value))
        value++;
    end = value + strlen(value);
    while (end > value && isspace((unsigned char)end[-1]))
        end--;
    len = (size_t)(end - value);
    if (len == 0) {
        set_err(err, errlen,
                "%s is set but empty. Put your key in it "
                "(export %s=...) or in a .env file.",
                var, var);
        return KIT_ERR_NO_KEY;
    }
    if (len >= outlen) {
        set_err(err, errlen,
                "%s is longer (%zu characters) than the buffer for it", var,
                len);
        return KIT_ERR_INVALID_ARG;
    }
    memcpy(out, value, len);
    out[len] = '\0';
    return KIT_OK;
}

const char *kit_env_base_url(const char *provider)
{
    static const struct {
        const char *provider, *var, *url;
    } table[] = {
        {"anthropic", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"},
        {"openai", "OPENAI_BASE_URL", "https://api.openai.com"},
        {"gemini", "GEMINI_BASE_URL",
         "https://generativelanguage.googleapis.com"},
    };

    if (!provider)
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(provider, table[i].provider) == 0) {
            const char *v = getenv(table[i].var);

            return v && *v ? v : table[i].url;
        }
    }
    return NULL;
}
