/*
 * The control API of the mock server: how tests and graders script faults,
 * set rate limits, and read the journal and the bill. Every rejection names
 * the field at fault.
 */
#include "control.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"
#include "reqlog.h"
#include "script.h"

#define SCRIPTS_PREFIX "/_mock/scripts/"
#define LIMITS_PREFIX  "/_mock/limits/"

bool control_owns(const char *path)
{
    return strncmp(path, "/_mock", 6) == 0 &&
           (path[6] == '\0' || path[6] == '/');
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Answers with a cJSON object, which it frees. */
static int reply_json(cJSON *o, int status, char **body_out, size_t *len_out)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;

    cJSON_Delete(o);
    if (!s) {
        *body_out = strdup("{\"error\":\"out of memory\"}");
        *len_out = *body_out ? strlen(*body_out) : 0;
        return 500;
    }
    /* cJSON_PrintUnformatted allocates with malloc unless hooks are set,
       so the caller's free() matches. */
    *body_out = s;
    *len_out = strlen(s);
    return status;
}

/* 4xx with {"error": msg, "field": the part of msg before ": "}. */
static int reply_error(int status, const char *msg, char **body_out,
                       size_t *len_out)
{
    cJSON *o = cJSON_CreateObject();
    const char *colon = strstr(msg, ": ");

    cJSON_AddStringToObject(o, "error", msg);
    if (colon) {
        char field[160];
        size_t n = (size_t)(colon - msg);

        if (n >= sizeof(field))
            n = sizeof(field) - 1;
        memcpy(field, msg, n);
        field[n] = '\0';
        cJSON_AddStringToObject(o, "field", field);
    }
    return reply_json(o, status, body_out, len_out);
}

static int reply_ok(char **body_out, size_t *len_out)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "status", "ok");
    return reply_json(o, 200, body_out, len_out);
}

/*
 * Reads {"rpm":N,"tpm":N} and/or {"tier":"NAME"} (a tier first, then rpm
 * and tpm override it). where prefixes field names. Returns 0 or -1.
 */
static int parse_limits(const cJSON *o, const char *where, rl_limits *out,
                        char *err, size_t errlen)
{
    const cJSON *f;
    const cJSON *tier = cJSON_GetObjectItemCaseSensitive(o, "tier");
    bool any = false;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(o)) {
        set_err(err, errlen, "%s(limits): must be a JSON object", where);
        return -1;
    }
    if (tier) {
        if (!cJSON_IsString(tier) || !rl_tier_lookup(tier->valuestring, out)) {
            set_err(err, errlen,
                    "%stier: unknown tier (use anthropic-free, "
                    "anthropic-tier1, anthropic-tier2, openai-free, "
                    "openai-tier1 or openai-tier2)",
                    where);
            return -1;
        }
        any = true;
    }
    cJSON_ArrayForEach(f, o)
    {
        uint32_t *dst;

        if (strcmp(f->string, "tier") == 0)
            continue;
        if (strcmp(f->string, "rpm") == 0) {
            dst = &out->rpm;
        } else if (strcmp(f->string, "tpm") == 0) {
            dst = &out->tpm;
        } else {
            set_err(err, errlen,
                    "%s%s: unknown field (limits have rpm, tpm, tier)", where,
                    f->string);
            return -1;
        }
        if (!cJSON_IsNumber(f) || !(f->valuedouble >= 0) ||
            f->valuedouble > 4294967295.0 ||
            (double)(uint32_t)f->valuedouble != f->valuedouble) {
            set_err(err, errlen,
                    "%s%s: must be a whole number >= 0 (0 = unlimited)", where,
                    f->string);
            return -1;
        }
        *dst = (uint32_t)f->valuedouble;
        any = true;
    }
    if (!any) {
        set_err(err, errlen, "%srpm: give rpm and/or tpm, or a tier", where);
        return -1;
    }
    return 0;
}

static int handle_scripts(mockstate *st, const char *method, const char *key,
                          const char *body, size_t len, char **body_out,
                          size_t *len_out)
{
    char err[300];

    if (strcmp(method, "PUT") == 0) {
        script *s = script_parse(body ? body : "", len, err, sizeof(err));

        if (!s)
            return reply_error(400, err, body_out, len_out);
        if (store_set_script(st->store, key, s) != 0)
            return reply_error(507, "key: too many keys", body_out, len_out);
        return reply_ok(body_out, len_out);
    }
    if (strcmp(method, "DELETE") == 0) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "status", "ok");
        cJSON_AddBoolToObject(o, "removed",
                              store_remove_script(st->store, key));
        return reply_json(o, 200, body_out, len_out);
    }
    return reply_error(405, "method: use PUT or DELETE", body_out, len_out);
}

static int handle_limits(mockstate *st, const char *method, const char *key,
                         const char *body, size_t len, char **body_out,
                         size_t *len_out)
{
    char err[300];

    if (strcmp(method, "PUT") == 0) {
        cJSON *root = json_parse(body, len);
        rl_limits l;

        if (!root)
            return reply_error(400, "(body): not valid JSON", body_out,
                               len_out);
        if (parse_limits(root, "", &l, err, sizeof(err)) != 0) {
            cJSON_Delete(root);
            return reply_error(400, err, body_out, len_out);
        }
        cJSON_Delete(root);
        rl_table_set(st->rl, key, &l);
        return reply_ok(body_out, len_out);
    }
    if (strcmp(method, "DELETE") == 0) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "status", "ok");
        cJSON_AddBoolToObject(o, "removed", rl_table_remove(st->rl, key));
        return reply_json(o, 200, body_out, len_out);
    }
    return reply_error(405, "method: use PUT or DELETE", body_out, len_out);
}

int control_handle(mockstate *st, const char *method, const char *path,
                   const char *query_key, const char *body, size_t len,
                   char **body_out, size_t *len_out)
{
    *body_out = NULL;
    *len_out = 0;
    if (strcmp(path, "/_mock/health") == 0) {
        cJSON *o;

        if (strcmp(method, "GET") != 0)
            return reply_error(405, "method: use GET", body_out, len_out);
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "ok");
        return reply_json(o, 200, body_out, len_out);
    }
    if (strncmp(path, SCRIPTS_PREFIX, strlen(SCRIPTS_PREFIX)) == 0 ||
        strcmp(path, "/_mock/scripts") == 0) {
        const char *key = path + strlen("/_mock/scripts");

        if (*key == '/')
            key++;
        if (!*key)
            return reply_error(400,
                               "key: missing from the path, "
                               "/_mock/scripts/{key}",
                               body_out, len_out);
        return handle_scripts(st, method, key, body, len, body_out, len_out);
    }
    if (strncmp(path, LIMITS_PREFIX, strlen(LIMITS_PREFIX)) == 0 ||
        strcmp(path, "/_mock/limits") == 0) {
        const char *key = path + strlen("/_mock/limits");

        if (*key == '/')
            key++;
        if (!*key)
            return reply_error(400,
                               "key: missing from the path, "
                               "/_mock/limits/{key}",
                               body_out, len_out);
        return handle_limits(st, method, key, body, len, body_out, len_out);
    }
    if (strcmp(path, "/_mock/journal") == 0) {
        if (strcmp(method, "GET") == 0)
            return reply_json(
                journal_json(st->journal, query_key != NULL,
                             query_key ? store_key_hash(query_key) : 0),
                200, body_out, len_out);
        if (strcmp(method, "DELETE") == 0) {
            journal_clear(st->journal);
            return reply_ok(body_out, len_out);
        }
        return reply_error(405, "method: use GET or DELETE", body_out, len_out);
    }
    if (strcmp(path, "/_mock/bill") == 0) {
        if (strcmp(method, "GET") != 0)
            return reply_error(405, "method: use GET", body_out, len_out);
        return reply_json(store_bill_json(st->store, query_key), 200, body_out,
                          len_out);
    }
    if (strcmp(path, "/_mock/reset") == 0) {
        if (strcmp(method, "POST") != 0)
            return reply_error(405, "method: use POST", body_out, len_out);
        mockstate_reset(st);
        return reply_ok(body_out, len_out);
    }
    return reply_error(404,
                       "path: no such control endpoint (see "
                       "mockserver/README.md)",
                       body_out, len_out);
}

int control_load_scenario(mockstate *st, const char *json, size_t len,
                          char *err, size_t errlen)
{
    cJSON *root = NULL;
    const cJSON *f, *item;
    const cJSON *scripts = NULL, *limits = NULL;
    script **parsed = NULL;
    size_t n = 0, i;
    int rc = -1;
    char where[96], red[64];

    root = json_parse(json, len);
    if (!cJSON_IsObject(root)) {
        set_err(err, errlen, "scenario: not a JSON object");
        goto out;
    }
    cJSON_ArrayForEach(f, root)
    {
        if (strcmp(f->string, "scripts") == 0 && cJSON_IsObject(f)) {
            scripts = f;
        } else if (strcmp(f->string, "limits") == 0 && cJSON_IsObject(f)) {
            limits = f;
        } else if (strcmp(f->string, "scripts") == 0 ||
                   strcmp(f->string, "limits") == 0) {
            set_err(err, errlen, "%s: must be an object keyed by API key",
                    f->string);
            goto out;
        } else {
            set_err(err, errlen,
                    "%s: unknown field (a scenario has scripts, limits)",
                    f->string);
            goto out;
        }
    }
    /* Check everything first, so a bad file changes nothing. */
    n = (size_t)cJSON_GetArraySize(scripts);
    if (n) {
        parsed = calloc(n, sizeof(*parsed));
        if (!parsed) {
            set_err(err, errlen, "scenario: out of memory");
            goto out;
        }
    }
    i = 0;
    cJSON_ArrayForEach(item, scripts)
    {
        snprintf(where, sizeof(where), "scripts[\"%s\"].",
                 strcmp(item->string, "*") == 0
                     ? "*"
                     : reqlog_redact(item->string, red, sizeof(red)));
        parsed[i] = script_from_json(item, where, err, errlen);
        if (!parsed[i])
            goto out;
        i++;
    }
    cJSON_ArrayForEach(item, limits)
    {
        rl_limits l;

        snprintf(where, sizeof(where), "limits[\"%s\"].",
                 strcmp(item->string, "*") == 0
                     ? "*"
                     : reqlog_redact(item->string, red, sizeof(red)));
        if (parse_limits(item, where, &l, err, errlen) != 0)
            goto out;
    }
    i = 0;
    cJSON_ArrayForEach(item, scripts)
    {
        store_set_script(st->store, item->string, parsed[i]);
        parsed[i++] = NULL;
    }
    cJSON_ArrayForEach(item, limits)
    {
        rl_limits l;

        parse_limits(item, "", &l, err, errlen);
        rl_table_set(st->rl, item->string, &l);
    }
    rc = 0;

out:
    for (i = 0; parsed && i < n; i++)
        script_free(parsed[i]);
    free(parsed);
    cJSON_Delete(root);
    return rc;
}
