/*
 * Lab 0, part B: retry a rate-limited call after a fixed wait. Lab 1 turns
 * the fixed wait into exponential backoff.
 */
#include "fixed_retry.h"

#include <inttypes.h>

kit_status fixed_retry_call(const fixed_retry_config *cfg,
                            const kit_transport *t, const kit_endpoint *ep,
                            const kit_chat_request *req, kit_chat_reply *reply,
                            kit_attempt *info)
{
    /* TODO(lab 0): try, and on a 429 wait cfg->delay_ms and try again.
     * See README.md step 6. */
    (void)cfg;
    (void)t;
    (void)ep;
    (void)req;
    (void)reply;
    (void)info;
    return KIT_ERR_NOT_IMPLEMENTED;
}
