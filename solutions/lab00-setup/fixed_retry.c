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
    kit_status status = KIT_ERR_INVALID_ARG;
    int tries;

    if (!cfg || !t || !ep || !req || !reply || !info || cfg->max_retries < 0)
        return KIT_ERR_INVALID_ARG;

    tries = cfg->max_retries + 1;
    for (int i = 1; i <= tries; i++) {
        if (cfg->out)
            fprintf(cfg->out, "Attempt %d/%d\n", i, tries);
        status = kit_anthropic_call(t, ep, req, reply, info);

        /* Lab 0 waits out a 429 and nothing else: success is done, and
         * telling the other errors apart is lab 1's job. */
        if (status != KIT_ERR_RATE_LIMIT || i == tries)
            break;
        if (cfg->out)
            fprintf(cfg->out,
                    "  rate limited (HTTP 429): waiting %" PRIu64 " ms\n",
                    cfg->delay_ms);
        kit_clock_sleep_ms(cfg->clock, cfg->delay_ms);
    }
    return status;
}
