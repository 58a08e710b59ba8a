/*
 * The mock server's libmicrohttpd glue. Workers never sleep: a scripted
 * delay or a held (`timeout`) connection is suspended, and one timer thread
 * resumes it when due, so a slow answer never holds up a fast one.
 */
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "control.h"
#include "exchange.h"
#include "reqlog.h"

#define DEFAULT_THREADS  4
#define CONNECTION_LIMIT 4096
#define IDLE_TIMEOUT_S   120
#define STOP_WAIT_MS     3000

/* One TCP connection: its id, for the journal's `conn`. */
typedef struct conn_info {
    uint64_t id;
} conn_info;

enum phase {
    PHASE_RECEIVING, /* headers and body arriving */
    PHASE_WAITING,   /* suspended until the timer resumes it */
    PHASE_DUE,       /* resumed: act now */
};

/* One HTTP request, from its first byte to the end of its answer. */
typedef struct request {
    enum phase phase;
    bool provider; /* a provider request (else a control request) */
    bool abandon;  /* the server is stopping: close, do not answer */
    buf body;
    bool too_large;
    double t_start;
    exchange_result res;
} request;

/* A suspended connection waiting for its time. */
typedef struct timer_item {
    double due_ms;
    struct MHD_Connection *conn;
    request *req;
} timer_item;

struct server {
    struct MHD_Daemon *daemon;
    mockstate *st;
    bool quiet;
    uint16_t port;
    atomic_uint_fast64_t next_conn;
    atomic_int suspended; /* connections suspended right now */

    pthread_t timer_thread;
    bool timer_running;
    pthread_mutex_t timer_lock;
    pthread_cond_t timer_cond;
    bool stopping;
    timer_item *heap; /* min-heap on due_ms */
    size_t heap_n, heap_cap;
};

/* ---- The timer: a min-heap of suspended connections --------------------- */

static void heap_swap(timer_item *a, timer_item *b)
{
    timer_item t = *a;

    *a = *b;
    *b = t;
}

/* Pushes an item. May reallocate s->heap. Call with timer_lock held. */
static int heap_push(server *s, const timer_item *it)
{
    size_t i;

    if (s->heap_n == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        timer_item *h = realloc(s->heap, cap * sizeof(*h));

        if (!h)
            return -1;
        s->heap = h;
        s->heap_cap = cap;
    }
    i = s->heap_n++;
    s->heap[i] = *it;
    while (i > 0 && s->heap[(i - 1) / 2].due_ms > s->heap[i].due_ms) {
        heap_swap(&s->heap[(i - 1) / 2], &s->heap[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

/* Removes the earliest item into *out. Call with timer_lock held. */
static void heap_pop(server *s, timer_item *out)
{
    size_t i = 0;

    *out = s->heap[0];
    s->heap[0] = s->heap[--s->heap_n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < s->heap_n && s->heap[l].due_ms < s->heap[m].due_ms)
            m = l;
        if (r < s->heap_n && s->heap[r].due_ms < s->heap[m].due_ms)
            m = r;
        if (m == i)
            break;
        heap_swap(&s->heap[m], &s->heap[i]);
        i = m;
    }
}

static void ms_to_timespec(double ms, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ms / 1000.0);
    ts->tv_nsec = (long)((ms - (double)ts->tv_sec * 1000.0) * 1e6);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
    if (ts->tv_nsec < 0)
        ts->tv_nsec = 0;
}

static void *timer_main(void *arg)
{
    server *s = arg;
    timer_item it;

    pthread_mutex_lock(&s->timer_lock);
    for (;;) {
        double now = mockstate_now_ms();

        if (s->heap_n > 0 && (s->stopping || s->heap[0].due_ms <= now)) {
            heap_pop(s, &it);
            it.req->phase = PHASE_DUE;
            it.req->abandon = s->stopping;
            /* Resume outside our lock: MHD takes its own. */
            pthread_mutex_unlock(&s->timer_lock);
            MHD_resume_connection(it.conn);
            pthread_mutex_lock(&s->timer_lock);
            continue;
        }
        if (s->stopping)
            break;
        if (s->heap_n == 0) {
            pthread_cond_wait(&s->timer_cond, &s->timer_lock);
        } else {
            struct timespec ts;

            ms_to_timespec(s->heap[0].due_ms, &ts);
            pthread_cond_timedwait(&s->timer_cond, &s->timer_lock, &ts);
        }
    }
    pthread_mutex_unlock(&s->timer_lock);
    return NULL;
}

/*
 * Suspends the connection until due_ms. Returns false when the server is
 * stopping (the caller then acts at once instead).
 */
static bool suspend_until(server *s, struct MHD_Connection *c, request *r,
                          double due_ms)
{
    timer_item it = {due_ms, c, r};
    bool ok = false;

    pthread_mutex_lock(&s->timer_lock);
    if (!s->stopping) {
        r->phase = PHASE_WAITING;
        /* Suspending under the timer lock means the timer thread cannot
           see the item before the connection really is suspended. */
        MHD_suspend_connection(c);
        if (heap_push(s, &it) == 0) {
            atomic_fetch_add(&s->suspended, 1);
            pthread_cond_signal(&s->timer_cond);
            ok = true;
        } else {
            MHD_resume_connection(c);
            r->phase = PHASE_DUE;
        }
    }
    pthread_mutex_unlock(&s->timer_lock);
    return ok;
}

/* ---- Request views for the provider code ------------------------------- */

static const char *view_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *view_query(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- Acting out an answer or a fault ------------------------------------ */

/* What a callback response streams: a body sent event by event, and/or
   cut off after cut_at bytes. */
typedef struct stream_body {
    char *data;
    size_t len;
    size_t cut_at; /* 0 = no cut */
    bool events;
} stream_body;

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    stream_body *sb = cls;
    size_t limit = sb->cut_at ? sb->cut_at : sb->len;
    size_t p = (size_t)pos;
    size_t n;

    if (p >= limit)
        return sb->cut_at ? MHD_CONTENT_READER_END_WITH_ERROR
                          : MHD_CONTENT_READER_END_OF_STREAM;
    n = limit - p;
    if (sb->events) {
        /* One event per call, so each leaves as its own chunk. */
        const char *start = sb->data + p;
        const char *end = NULL;
        size_t i;

        for (i = 0; i + 1 < n; i++) {
            if (start[i] == '\n' && start[i + 1] == '\n') {
                end = start + i + 2;
                break;
            }
        }
        if (end)
            n = (size_t)(end - start);
    }
    if (n > max)
        n = max;
    memcpy(out, sb->data + p, n);
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    stream_body *sb = cls;

    free(sb->data);
    free(sb);
}

/*
 * Makes the peer see "connection reset by peer". libmicrohttpd shuts a
 * socket down with a FIN before closing it, which the client would read as
 * a clean close (curl 52), so the reset has to happen first: on Linux,
 * connect() with AF_UNSPEC disconnects a TCP socket at once with an RST.
 * SO_LINGER {1, 0} is set too, so a close without the connect() trick still
 * resets.
 */
static void reset_connection(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct linger lg = {1, 0};
    struct sockaddr sa;

    if (!ci)
        return;
    setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNSPEC;
    connect(ci->connect_fd, &sa, sizeof(sa));
}

static void add_headers(struct MHD_Response *resp, const exchange_result *res)
{
    const char *p = res->headers.data;
    const char *end = p ? p + res->headers.len : NULL;

    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            res->content_type);
    while (p && p < end) {
        const char *name = p;
        const char *value = name + strlen(name) + 1;

        MHD_add_response_header(resp, name, value);
        p = value + strlen(value) + 1;
    }
}

static enum MHD_Result act(struct MHD_Connection *c, request *r)
{
    exchange_result *res = &r->res;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (r->abandon)
        return MHD_NO;
    switch (res->fault) {
    case FAULT_TIMEOUT:
    case FAULT_CLOSE:
        return MHD_NO;
    case FAULT_RESET:
        reset_connection(c);
        return MHD_NO;
    default:
        break;
    }
    if (res->events || res->fault == FAULT_PARTIAL) {
        stream_body *sb = malloc(sizeof(*sb));

        if (!sb)
            return MHD_NO;
        sb->data = res->body;
        sb->len = res->body_len;
        sb->cut_at = res->fault == FAULT_PARTIAL ? res->cut_at : 0;
        sb->events = res->events;
        /* A partial answer announces its whole length, then falls short;
           a stream has no length and goes chunked. */
        resp = MHD_create_response_from_callback(
            res->events ? MHD_SIZE_UNKNOWN : res->body_len, 16 * 1024,
            stream_read, sb, stream_free);
        if (!resp) {
            free(sb);
            return MHD_NO;
        }
        res->body = NULL;
    } else if (res->body_len > 0) {
        resp = MHD_create_response_from_buffer(res->body_len, res->body,
                                               MHD_RESPMEM_MUST_FREE);
        if (!resp)
            return MHD_NO;
        res->body = NULL;
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"",
                                               MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
    }
    add_headers(resp, res);
    ret = MHD_queue_response(c, (unsigned int)res->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result answer_control(server *s, struct MHD_Connection *c,
                                      const char *url, const char *method,
                                      request *r)
{
    const char *key =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key");
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char *body = NULL;
    size_t len = 0;
    int status;

    if (r->too_large) {
        body = strdup("{\"error\":\"(body): over the 1 MiB limit\","
                      "\"field\":\"(body)\"}");
        len = body ? strlen(body) : 0;
        status = 413;
    } else {
        status = control_handle(s->st, method, url, key, r->body.data,
                                r->body.len, &body, &len);
    }
    if (!s->quiet && strcmp(url, "/_mock/health") != 0)
        reqlog_control(method, url, status);
    resp = MHD_create_response_from_buffer(len, body ? body : (void *)"",
                                           body ? MHD_RESPMEM_MUST_FREE
                                                : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    ret = MHD_queue_response(c, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static uint64_t connection_id(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const conn_info *info = ci ? ci->socket_context : NULL;

    return info ? info->id : 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    server *s = cls;
    request *r = *req_cls;

    (void)version;
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        r->t_start = mockstate_now_ms();
        buf_init(&r->body, EXCHANGE_MAX_BODY);
        *req_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* Past the limit the rest is read and dropped, so the client
           still gets its 413 rather than a broken connection. */
        if (!r->too_large &&
            buf_add(&r->body, upload_data, *upload_data_size) != 0) {
            r->too_large = true;
            buf_free(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->phase == PHASE_DUE) {
        atomic_fetch_sub(&s->suspended, 1);
        return act(c, r);
    }
    if (control_owns(url))
        return answer_control(s, c, url, method, r);

    {
        req_view v = {method, url, view_header, view_query, c};

        r->provider = true;
        exchange_handle(s->st, &v, r->body.data ? r->body.data : "",
                        r->body.len, r->too_large, connection_id(c), &r->res);
    }
    buf_free(&r->body);
    if (r->res.delay_ms > 0 &&
        suspend_until(s, c, r, mockstate_now_ms() + r->res.delay_ms))
        return MHD_YES;
    return act(c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    server *s = cls;
    request *r = *req_cls;

    (void)c;
    (void)toe;
    if (!r)
        return;
    if (r->provider && !s->quiet)
        reqlog_request(&r->res.entry, mockstate_now_ms() - r->t_start);
    exchange_result_free(&r->res);
    buf_free(&r->body);
    free(r);
    *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    server *s = cls;

    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_info *info = malloc(sizeof(*info));

        if (info)
            info->id = (uint64_t)atomic_fetch_add(&s->next_conn, 1) + 1;
        *socket_context = info;
    } else {
        free(*socket_context);
        *socket_context = NULL;
    }
}

/* ---- Starting and stopping --------------------------------------------- */

bool server_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
    return false;
}

int server_start(const server_config *cfg, mockstate *st, server **out,
                 char *err, size_t errlen)
{
    server *s = NULL;
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_ALLOW_SUSPEND_RESUME;
    const char *host = cfg->host ? cfg->host : "127.0.0.1";
    const union MHD_DaemonInfo *info;

    *out = NULL;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons(cfg->port);
        sa = (struct sockaddr *)&sin;
    } else if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(cfg->port);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "--host %s: not an IP address", host);
        return -1;
    }

    s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->st = st;
    s->quiet = cfg->quiet;
    pthread_mutex_init(&s->timer_lock, NULL);
    {
        pthread_condattr_t ca;

        /* The timer waits on the monotonic clock, as every due time is. */
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->timer_cond, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (pthread_create(&s->timer_thread, NULL, timer_main, s) != 0) {
        snprintf(err, errlen, "cannot start the timer thread");
        goto out_fail;
    }
    s->timer_running = true;

    s->daemon = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)(cfg->threads ? cfg->threads : DEFAULT_THREADS),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen,
                 "cannot listen on %s port %u (in use, or not an address of "
                 "this machine?)",
                 host, (unsigned)cfg->port);
        goto out_fail;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    *out = s;
    return 0;

out_fail:
    server_stop(s);
    return -1;
}

uint16_t server_port(const server *s)
{
    return s->port;
}

void server_stop(server *s)
{
    int waited = 0;

    if (!s)
        return;
    if (s->daemon)
        MHD_quiesce_daemon(s->daemon);
    if (s->timer_running) {
        pthread_mutex_lock(&s->timer_lock);
        s->stopping = true;
        pthread_cond_signal(&s->timer_cond);
        pthread_mutex_unlock(&s->timer_lock);
        pthread_join(s->timer_thread, NULL);
    }
    /* libmicrohttpd must not be stopped with connections suspended: give
       the workers a moment to pick up the ones the timer just resumed. */
    while (atomic_load(&s->suspended) > 0 && waited < STOP_WAIT_MS) {
        struct timespec ts = {0, 1000000L};

        nanosleep(&ts, NULL);
        waited++;
    }
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    pthread_cond_destroy(&s->timer_cond);
    pthread_mutex_destroy(&s->timer_lock);
    free(s->heap);
    free(s);
}
