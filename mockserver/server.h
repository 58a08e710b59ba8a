/*
 * server.h - the mock server's HTTP side, on libmicrohttpd: a pool of
 * worker threads polling with epoll, connections suspended (not slept on)
 * while a scripted delay or a held connection runs, and one timer thread
 * that resumes them when due. Requests go to control.c or exchange.c; this
 * file carries their answers and faults to the wire.
 *
 * Ownership: server_start hands back a server the caller stops and frees
 * with server_stop. The server borrows the mockstate, which must outlive
 * it. server_stop must be called from one thread, once.
 */
#ifndef MOCKSERVER_SERVER_H
#define MOCKSERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mockstate.h"

typedef struct server_config {
    const char *host; /* an IP address literal, or "localhost" */
    uint16_t port;    /* 0 binds a free port */
    unsigned threads; /* worker threads; 0 = the default (4) */
    bool quiet;       /* no per-request log lines */
} server_config;

typedef struct server server;

/*
 * Binds and starts serving. Returns 0 with *out set, or -1 with err set to
 * one line (for example "cannot bind 127.0.0.1:80: ...").
 */
int server_start(const server_config *cfg, mockstate *st, server **out,
                 char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
uint16_t server_port(const server *s);

/*
 * Stops accepting, ends every held or delayed connection, stops the
 * workers and frees the server. NULL is a no-op.
 */
void server_stop(server *s);

/* True when host is a loopback address (127.0.0.0/8, ::1, "localhost"). */
bool server_host_is_loopback(const char *host);

#endif /* MOCKSERVER_SERVER_H */
