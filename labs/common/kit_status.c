/*
 * kit_status: the kit's one error enum in words, and the mapping from an
 * HTTP status to it. Every lab reports failures through these codes.
 */
#include "kit_status.h"

/*
 * No default: label, on purpose: a code added to the enum without a message
 * here makes the compiler warn (-Wswitch, an error under -Werror).
 */
const char *kit_strerror(kit_status status)
{
    switch (status) {
    case KIT_OK:
        return "success";
    case KIT_ERR_NOT_IMPLEMENTED:
        return "not implemented yet (the lab's TODO is still open)";
    case KIT_ERR_INVALID_ARG:
        return "invalid argument";
    case KIT_ERR_NO_MEMORY:
        return "out of memory";
    case KIT_ERR_NO_KEY:
        return "API key not set";
    case KIT_ERR_IO:
        return "file could not be read or written";
    case KIT_ERR_TIMEOUT:
        return "timed out";
    case KIT_ERR_CONNECT:
        return "could not connect (refused, unreachable or DNS)";
    case KIT_ERR_RESET:
        return "connection reset or closed without a reply";
    case KIT_ERR_NETWORK:
        return "network transfer failed";
    case KIT_ERR_TOO_LARGE:
        return "response too large";
    case KIT_ERR_BAD_RESPONSE:
        return "malformed response from the server";
    case KIT_ERR_BAD_REQUEST:
        return "bad request (HTTP 400): malformed or too long";
    case KIT_ERR_AUTH:
        return "authentication failed (HTTP 401): check the API key";
    case KIT_ERR_PERMISSION:
        return "permission denied (HTTP 403)";
    case KIT_ERR_NOT_FOUND:
        return "not found (HTTP 404): unknown model or path";
    case KIT_ERR_RATE_LIMIT:
        return "rate limited (HTTP 429)";
    case KIT_ERR_SERVER:
        return "server error (HTTP 5xx)";
    case KIT_ERR_OVERLOADED:
        return "provider overloaded (HTTP 529)";
    case KIT_ERR_HTTP:
        return "unexpected HTTP status";
    case KIT_ERR_CIRCUIT_OPEN:
        return "circuit breaker open: call refused";
    case KIT_ERR_BUDGET:
        return "the budget refused the call";
    case KIT_ERR_RETRY_BUDGET:
        return "retry budget spent";
    }
    /* Only a value outside the enum gets here. */
    return "unknown status";
}

kit_status kit_status_from_http(long http_status)
{
    if (http_status >= 200 && http_status < 300)
        return KIT_OK;
    switch (http_status) {
    case 400:
    case 413:
    case 422:
        return KIT_ERR_BAD_REQUEST;
    case 401:
        return KIT_ERR_AUTH;
    case 403:
        return KIT_ERR_PERMISSION;
    case 404:
        return KIT_ERR_NOT_FOUND;
    case 408:
        /* The server gave up waiting for the request: a timeout. */
        return KIT_ERR_TIMEOUT;
    case 429:
        return KIT_ERR_RATE_LIMIT;
    case 529:
        return KIT_ERR_OVERLOADED;
    default:
        break;
    }
    if (http_status >= 500 && http_status < 600)
        return KIT_ERR_SERVER;
    return KIT_ERR_HTTP;
}
