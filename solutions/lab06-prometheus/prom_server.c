/*
 * prom_server: lab 6's /metrics endpoint, a libmicrohttpd daemon that
 * answers each scrape with a fresh rendering of the registry. The daemon
 * runs its own polling thread, so the program's calls never wait for it.
 */
#include "prom_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct prom_server {
    struct MHD_Daemon *daemon;
    prom_registry *reg; /* borrowed */
    unsigned short port;
};

/* Queues a short fixed answer (404, 405, 500). MUST_COPY: the text is a
 * literal, and libmicrohttpd keeps its own copy. */
static enum MHD_Result answer_text(struct MHD_Connection *conn,
                                   unsigned int status, const char *text,
                                   const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/*
 * libmicrohttpd calls this for each request (possibly more than once for a
 * request with a body; a scrape has none). Every answer is queued on the
 * first call.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    prom_server *s = cls;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char *text = NULL;
    size_t len = 0;

    (void)version;
    (void)upload;
    (void)con_cls;
    /* A client that sends a body gets its answer; the body is ignored. */
    *upload_size = 0;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                           "only GET and HEAD are allowed\n", "GET, HEAD");
    if (strcmp(url, "/metrics") != 0)
        return answer_text(conn, MHD_HTTP_NOT_FOUND,
                           "not found: the metrics are at /metrics\n", NULL);
    if (prom_render(s->reg, &text, &len) != KIT_OK)
        return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "could not render the metrics\n", NULL);

    /* MUST_FREE hands our malloc'ed page to libmicrohttpd, which calls
     * free() on it when the response is destroyed: no copy. */
    resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            PROM_CONTENT_TYPE);
    ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

kit_status prom_server_start(const prom_server_config *cfg, prom_registry *reg,
                             prom_server **out)
{
    prom_server_config defaults = {.port = PROM_DEFAULT_PORT};
    struct sockaddr_in addr;
    const union MHD_DaemonInfo *info;
    prom_server *s;

    if (!out)
        return KIT_ERR_INVALID_ARG;
    *out = NULL;
    if (!reg)
        return KIT_ERR_INVALID_ARG;
    if (!cfg)
        cfg = &defaults;
    s = calloc(1, sizeof(*s));
    if (!s)
        return KIT_ERR_NO_MEMORY;
    s->reg = reg;

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(cfg->port);
    addr.sin_addr.s_addr =
        htonl(cfg->loopback_only ? INADDR_LOOPBACK : INADDR_ANY);

    /*
     * No MHD_USE_ERROR_LOG: library code never prints. Port 0 asks the
     * kernel for a free port; MHD_DAEMON_INFO_BIND_PORT tells which.
     */
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, cfg->port, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
    if (!s->daemon) {
        free(s);
        return KIT_ERR_IO;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    *out = s;
    return KIT_OK;
}

unsigned short prom_server_port(const prom_server *s)
{
    return s ? s->port : 0;
}

void prom_server_stop(prom_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
