/*
 * prom_server: serves a registry's metrics at GET /metrics over HTTP, from
 * an embedded libmicrohttpd daemon with its own thread. Lab 6.
 *
 * Prometheus pulls: it connects to this port every scrape_interval and
 * reads the page, the way an SNMP poller walks a router's counters. The
 * program carries on with its calls meanwhile; each scrape renders the
 * registry under its lock, so a page is always one consistent snapshot.
 *
 *   GET (or HEAD) /metrics   200, Content-Type PROM_CONTENT_TYPE, the
 *                            registry as prom_render writes it
 *   GET any other path       404
 *   any other method         405, with an Allow: GET, HEAD header
 */
#ifndef PROM_SERVER_H
#define PROM_SERVER_H

#include <stdbool.h>

#include "kit_status.h"
#include "prom.h"

/* The chapter's port, and the content type of exposition format 0.0.4. */
#define PROM_DEFAULT_PORT 8000
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct prom_server_config {
    unsigned short port; /* 0: any free port (read it with prom_server_port) */
    bool loopback_only;  /* listen on 127.0.0.1 only, not on every address */
} prom_server_config;

typedef struct prom_server prom_server; /* opaque */

/*
 * Starts serving reg (borrowed: it must outlive the server) as cfg says;
 * cfg NULL means PROM_DEFAULT_PORT on every address. On success *out is the
 * caller's: stop it with prom_server_stop. KIT_ERR_INVALID_ARG for a NULL
 * reg or out; KIT_ERR_IO when the port cannot be listened on (in use,
 * privileged); KIT_ERR_NO_MEMORY. *out is NULL on failure.
 */
kit_status prom_server_start(const prom_server_config *cfg, prom_registry *reg,
                             prom_server **out);

/* The TCP port the server listens on (the one bound for port 0); 0 for
 * NULL. */
unsigned short prom_server_port(const prom_server *s);

/*
 * Stops listening, waits for the server's thread and frees s. The registry
 * is left alone. NULL is a no-op.
 */
void prom_server_stop(prom_server *s);

#endif
