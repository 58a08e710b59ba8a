/*
 * prom_server: lab 6's /metrics endpoint on libmicrohttpd. Read README.md
 * first (step 6). The contract is prom_server.h; do not change it.
 */
#include "prom_server.h"

#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

/* TODO(lab 6): the daemon, the borrowed registry and the bound port. */
struct prom_server {
    int todo;
};

kit_status prom_server_start(const prom_server_config *cfg, prom_registry *reg,
                             prom_server **out)
{
    /* TODO(lab 6): MHD_start_daemon with an internal polling thread and a
     * handler that answers GET /metrics with prom_render's page; read the
     * bound port back with MHD_DAEMON_INFO_BIND_PORT (step 6). */
    (void)cfg;
    (void)reg;
    if (out)
        *out = NULL;
    return KIT_ERR_NOT_IMPLEMENTED;
}

unsigned short prom_server_port(const prom_server *s)
{
    /* TODO(lab 6): the port read back at start (step 6). */
    (void)s;
    return 0;
}

void prom_server_stop(prom_server *s)
{
    /* TODO(lab 6): MHD_stop_daemon, then free (step 6). */
    free(s);
}
