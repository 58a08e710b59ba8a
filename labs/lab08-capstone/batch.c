/*
 * batch: lab 8's compliance batch, the capstone. Read README.md first; the
 * contract is batch.h, do not change it. The other files of this folder
 * (fleet, chatbot, chart, scaled_clock, capstone_main.c) are given.
 */
#include "batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "fleet.h"
#include "kit_provider.h"
#include "usage_log.h"

/* Given: the baseline, as the model is told it. */
const char batch_system_prompt[] =
    "You audit router configurations against a security baseline. "
    "TELNET: telnet must not be enabled for management. "
    "SNMP: no SNMP community may be \"public\". "
    "NOAAA: logins must go through AAA (TACACS+ or RADIUS). "
    "PLAINTEXT: no password may be stored in plain text. "
    "Answer with one line per violation, or NONE.";

kit_status batch_prompt(const char *hostname, const char *vendor,
                        const char *config_text, int max_tokens, char *buf,
                        size_t len, long *tokens_out)
{
    /* TODO(lab 8): the prompt of batch.h with snprintf, and the estimate
     * (see README.md step 1). */
    (void)hostname;
    (void)vendor;
    (void)config_text;
    (void)max_tokens;
    (void)buf;
    (void)len;
    (void)tokens_out;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status batch_plan_make(const batch_share *share, batch_plan *out)
{
    /* TODO(lab 8): the burst, the window and the tokens of batch.h, in
     * 64-bit integers (see README.md step 2). */
    (void)share;
    (void)out;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status batch_run(const batch_config *cfg, batch_report *out)
{
    /*
     * TODO(lab 8): the run (see README.md steps 3 to 6):
     *   - plan the pace and create the limiter (unless limiter_off), the
     *     retry budget, the usage log and the budget;
     *   - per worker: a libcurl transport, wrapped in a transport of your
     *     own whose send() waits for the limiter and makes a retry pay the
     *     retry budget; a client over it with your observer;
     *   - threads that take the configs in order: reserve, client_call,
     *     settle or release, log, record, report the events;
     *   - join, fill *out, free everything on every path.
     */
    (void)cfg;
    if (out)
        memset(out, 0, sizeof(*out));
    return KIT_ERR_NOT_IMPLEMENTED;
}
