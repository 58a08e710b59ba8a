/*
 * kit_status: the one status code every function of the kit's client side
 * returns. KIT_OK is zero; everything else names what went wrong. Human
 * detail (the server's message, the variable that is missing) travels beside
 * the code in an error buffer, never as more codes.
 */
#ifndef KIT_STATUS_H
#define KIT_STATUS_H

typedef enum kit_status {
    KIT_OK = 0,

    /* Usage and local failures. */
    KIT_ERR_NOT_IMPLEMENTED, /* starter code: the lab's TODO is not done */
    KIT_ERR_INVALID_ARG,     /* a NULL or out-of-range argument */
    KIT_ERR_NO_MEMORY,       /* malloc failed */
    KIT_ERR_NO_KEY,          /* the API key variable is not set or empty */
    KIT_ERR_IO,              /* a file could not be read or written */

    /* The transport: no usable HTTP response arrived. */
    KIT_ERR_TIMEOUT,      /* connect or total timeout (curl 28); HTTP 408 */
    KIT_ERR_CONNECT,      /* refused, unreachable, DNS (curl 6, 7) */
    KIT_ERR_RESET,        /* reset or closed without a reply (curl 52, 56) */
    KIT_ERR_NETWORK,      /* any other transfer failure (curl 18, ...) */
    KIT_ERR_TOO_LARGE,    /* the response passed the size cap */
    KIT_ERR_BAD_RESPONSE, /* a 2xx whose body is not what the API sends */

    /* The provider answered with an error status. */
    KIT_ERR_BAD_REQUEST, /* 400, 413, 422: malformed or too long */
    KIT_ERR_AUTH,        /* 401: bad, revoked or missing key */
    KIT_ERR_PERMISSION,  /* 403: the key may not use this model */
    KIT_ERR_NOT_FOUND,   /* 404: unknown model or path */
    KIT_ERR_RATE_LIMIT,  /* 429 */
    KIT_ERR_SERVER,      /* 500, 502, 503, 504 and other 5xx */
    KIT_ERR_OVERLOADED,  /* 529: Anthropic is overloaded */
    KIT_ERR_HTTP,        /* any other unexpected status */

    /* Decisions the client makes on its own. */
    KIT_ERR_CIRCUIT_OPEN, /* the circuit breaker refused the call */
    KIT_ERR_BUDGET,       /* the budget refused the call */
    KIT_ERR_RETRY_BUDGET, /* the retry budget is spent */
} kit_status;

/*
 * Returns a short English description of status ("rate limited (HTTP 429)").
 * Never NULL; the string is static.
 */
const char *kit_strerror(kit_status status);

/*
 * Maps an HTTP status to the kit's code: 2xx to KIT_OK, 429 to
 * KIT_ERR_RATE_LIMIT, and so on (see the enum). It does not decide whether
 * to retry: that is lab 1's job.
 */
kit_status kit_status_from_http(long http_status);

#endif
