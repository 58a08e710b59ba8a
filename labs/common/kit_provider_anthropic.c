/*
 * The Anthropic Messages API as a provider: the worked example of an ops
 * table. Its one attempt is kit_anthropic_call (kit_chat.c), which already
 * has the ops signature; lab 4's openai.c and gemini.c are its twins.
 */
#include "kit_provider.h"

const kit_provider_ops kit_provider_anthropic = {
    .name = "anthropic",
    .key_env = "ANTHROPIC_API_KEY",
    .default_model = "claude-haiku-4.5",
    .call = kit_anthropic_call,
    .stream = NULL, /* lab 4 streams OpenAI and Gemini (extra B) */
};
