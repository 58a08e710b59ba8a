/*
 * mockserver: the kit's mock AI-provider server. Anthropic, OpenAI and
 * Gemini on one port, with scripted faults, real rate limits and a request
 * journal. See mockserver/README.md. This file is only the program: flags,
 * signals, and start-up; the modules do the work.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "mockstate.h"
#include "ratelimit.h"
#include "server.h"

#define MAX_SCENARIO_BYTES (16L * 1024 * 1024)

typedef struct options {
    const char *host;
    long port;
    const char *port_file;
    const char *scenario;
    const char *tier;
    double time_scale;
    long threads;
    bool quiet;
    bool allow_remote;
} options;

static void usage(FILE *f)
{
    fputs(
        "usage: mockserver [--host 127.0.0.1] [--port N] [--port-file PATH]\n"
        "                  [--scenario FILE] [--tier NAME] [--time-scale F]\n"
        "                  [--threads N] [--quiet] [--allow-remote] [--help]\n"
        "\n"
        "  --host H        address to listen on (default 127.0.0.1); a\n"
        "                  non-loopback address needs --allow-remote\n"
        "  --port N        port (default 8080; 0 = any free port)\n"
        "  --port-file P   write the bound port to file P\n"
        "  --scenario F    load scripts and limits from JSON file F\n"
        "  --tier NAME     rate-limit every key at a tier: anthropic-free,\n"
        "                  anthropic-tier1, anthropic-tier2, openai-free,\n"
        "                  openai-tier1, openai-tier2\n"
        "  --time-scale F  run rate-limit clocks faster: 0 < F <= 1\n"
        "                  (0.01 makes a minute last 0.6 s)\n"
        "  --threads N     worker threads (default 4)\n"
        "  --quiet         no per-request log lines on stderr\n"
        "See mockserver/README.md for the API.\n",
        f);
}

/* Prints one line and returns the exit status for bad usage. */
static int bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, "mockserver: %s%s%s (see --help)\n", what, arg ? " " : "",
            arg ? arg : "");
    return 2;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Parses argv into o. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, options *o)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        char name[32];
        size_t n = eq ? (size_t)(eq - a) : strlen(a);

        if (n >= sizeof(name))
            return bad_usage("unknown option", a);
        memcpy(name, a, n);
        name[n] = '\0';
        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(name, "--quiet") == 0 && !eq) {
            o->quiet = true;
            continue;
        }
        if (strcmp(name, "--allow-remote") == 0 && !eq) {
            o->allow_remote = true;
            continue;
        }
        if (strcmp(name, "--host") != 0 && strcmp(name, "--port") != 0 &&
            strcmp(name, "--port-file") != 0 &&
            strcmp(name, "--scenario") != 0 && strcmp(name, "--tier") != 0 &&
            strcmp(name, "--time-scale") != 0 && strcmp(name, "--threads") != 0)
            return bad_usage("unknown option", a);
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return bad_usage("missing value for", name);

        if (strcmp(name, "--host") == 0) {
            o->host = val;
        } else if (strcmp(name, "--port") == 0) {
            if (!parse_long(val, 0, 65535, &o->port))
                return bad_usage("--port must be 0..65535, not", val);
        } else if (strcmp(name, "--port-file") == 0) {
            o->port_file = val;
        } else if (strcmp(name, "--scenario") == 0) {
            o->scenario = val;
        } else if (strcmp(name, "--tier") == 0) {
            if (!rl_tier_lookup(val, NULL))
                return bad_usage("--tier: unknown tier", val);
            o->tier = val;
        } else if (strcmp(name, "--time-scale") == 0) {
            char *end;

            o->time_scale = strtod(val, &end);
            if (end == val || *end || !(o->time_scale > 0) ||
                !(o->time_scale <= 1))
                return bad_usage("--time-scale must be > 0 and <= 1, not", val);
        } else {
            if (!parse_long(val, 1, 64, &o->threads))
                return bad_usage("--threads must be 1..64, not", val);
        }
    }
    return -1;
}

/* Reads a whole file into a malloc'd buffer. Returns NULL with errno. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size = 0;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        size > MAX_SCENARIO_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        errno = size > MAX_SCENARIO_BYTES ? EFBIG : EIO;
        goto out;
    }
    data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
        errno = EIO;
        goto out;
    }
    if (data) {
        data[size] = '\0';
        *len = (size_t)size;
    }
out:
    fclose(f);
    return data;
}

static int write_port_file(const char *path, unsigned port)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    fprintf(f, "%u\n", port);
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    options o = {"127.0.0.1", 8080, NULL, NULL, NULL, 1.0, 0, false, false};
    mockstate *st = NULL;
    server *srv = NULL;
    server_config cfg;
    sigset_t stop_signals;
    struct sigaction ign;
    char err[512];
    int rc, sig;

    rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (!o.allow_remote && !server_host_is_loopback(o.host)) {
        fprintf(stderr,
                "mockserver: refusing to listen on %s, which is not a "
                "loopback address: pass --allow-remote to expose the mock "
                "server to the network\n",
                o.host);
        return 2;
    }
    if (mockstate_create(o.time_scale, 0, &st) != 0) {
        fprintf(stderr, "mockserver: out of memory\n");
        return 1;
    }
    if (o.tier) {
        rl_limits l;

        rl_tier_lookup(o.tier, &l);
        rl_table_set(st->rl, "*", &l);
    }
    if (o.scenario) {
        size_t len = 0;
        char *text = read_file(o.scenario, &len);

        if (!text) {
            fprintf(stderr, "mockserver: --scenario %s: %s\n", o.scenario,
                    strerror(errno));
            mockstate_destroy(st);
            return 2;
        }
        rc = control_load_scenario(st, text, len, err, sizeof(err));
        free(text);
        if (rc != 0) {
            fprintf(stderr, "mockserver: --scenario %s: %s\n", o.scenario, err);
            mockstate_destroy(st);
            return 2;
        }
    }

    /* Block the stop signals before any thread starts, so every thread
       inherits the mask and only sigwait() below receives them. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, NULL);

    cfg.host = o.host;
    cfg.port = (uint16_t)o.port;
    cfg.threads = (unsigned)o.threads;
    cfg.quiet = o.quiet;
    if (server_start(&cfg, st, &srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "mockserver: %s\n", err);
        mockstate_destroy(st);
        return 2;
    }
    if (strchr(o.host, ':'))
        printf("mockserver listening on http://[%s]:%u\n", o.host,
               (unsigned)server_port(srv));
    else
        printf("mockserver listening on http://%s:%u\n", o.host,
               (unsigned)server_port(srv));
    fflush(stdout);
    if (o.port_file && write_port_file(o.port_file, server_port(srv)) != 0) {
        fprintf(stderr, "mockserver: --port-file %s: %s\n", o.port_file,
                strerror(errno));
        server_stop(srv);
        mockstate_destroy(st);
        return 2;
    }

    sigwait(&stop_signals, &sig);
    if (!o.quiet)
        fprintf(stderr, "mockserver: %s, stopping\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    server_stop(srv);
    mockstate_destroy(st);
    return 0;
}
