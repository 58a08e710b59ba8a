/*
 * Google Gemini generateContent as a provider, lab 4. The model is part of
 * the path, the key travels in the x-goog-api-key header (never in a
 * ?key= query string, which proxies and access logs keep), and a 429
 * carries its wait in the body, as RetryInfo's retryDelay.
 */
#include "providers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

static kit_status gemini_call(const kit_transport *t, const kit_endpoint *ep,
                              const kit_chat_request *req,
                              kit_chat_reply *reply, kit_attempt *info)
{
    /* TODO(lab 4): one attempt, like openai.c:
     *   the URL kit_provider_url(base, "/v1beta/models/%s:generateContent",
     *   model), refusing a model name that could change the path; the key
     *   in the header "x-goog-api-key: KEY", never in the URL; the body
     *   {"contents":[{"role":"user","parts":[{"text":PROMPT}]}],
     *    "systemInstruction":{"parts":[{"text":SYSTEM}]} (when given),
     *    "generationConfig":{"maxOutputTokens":N,"temperature":T}}.
     *   On an HTTP error read {"error":{"code","message","status",
     *   "details"}} (error_type: status) and, when no retry-after header
     *   came, the RetryInfo retryDelay ("2s", "1.500s") into
     *   info->retry_after_ms. On 200 join every candidates[0].content
     *   .parts[].text; usageMetadata.promptTokenCount and
     *   candidatesTokenCount (absent means 0); modelVersion (else the
     *   request's model); finishReason.
     * See README.md steps 5 to 7. */
    (void)t;
    (void)ep;
    (void)req;
    if (reply)
        memset(reply, 0, sizeof(*reply));
    if (info) {
        kit_provider_begin(info, NULL);
        info->status = KIT_ERR_NOT_IMPLEMENTED;
    }
    return KIT_ERR_NOT_IMPLEMENTED;
}

static kit_status gemini_stream(const kit_transport *t, const kit_endpoint *ep,
                                const kit_chat_request *req,
                                kit_stream_fn on_text, void *ctx,
                                kit_chat_reply *reply, kit_attempt *info)
{
    /* TODO(lab 4, extra B): the same attempt to
     * ":streamGenerateContent?alt=sse", read as it arrives: send with
     * kit_provider_post_stream and an on_body callback that feeds each
     * piece of the body to a kit_sse (kit_sse_feed). Each data line is a
     * whole generateContent answer holding one piece of the text: hand
     * it to on_text there and then; the last one has the finishReason and
     * the full usage. The body just ends (no [DONE]). See README.md
     * extra B. */
    (void)t;
    (void)ep;
    (void)req;
    (void)on_text;
    (void)ctx;
    if (reply)
        memset(reply, 0, sizeof(*reply));
    if (info) {
        kit_provider_begin(info, NULL);
        info->status = KIT_ERR_NOT_IMPLEMENTED;
    }
    return KIT_ERR_NOT_IMPLEMENTED;
}

const kit_provider_ops provider_gemini = {
    .name = "gemini",
    .key_env = "GOOGLE_API_KEY",
    .default_model = "gemini-1.5-flash",
    .call = gemini_call,
    .stream = gemini_stream,
};
