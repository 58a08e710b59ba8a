/*
 * kit_env: API keys and base URLs from the environment, and the .env file
 * that keeps keys out of source code. Key security level 2 of the course: an
 * environment variable, optionally loaded from a .env that .gitignore
 * excludes.
 */
#ifndef KIT_ENV_H
#define KIT_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "kit_status.h"

/*
 * Loads NAME=value lines from path into the environment. Accepts comments
 * (#), blank lines, an `export ` prefix, and single or double quotes around
 * the value. Variables already set are kept unless override is true.
 * A missing file is KIT_ERR_IO; a malformed line is KIT_ERR_INVALID_ARG
 * with its line number in err (the value is never copied into err). When the
 * file is readable by group or others, warn is set to true (if not NULL).
 */
kit_status kit_env_load_dotenv(const char *path, bool override, bool *warn,
                               char *err, size_t errlen);

/*
 * Reads the key in variable var (e.g. "ANTHROPIC_API_KEY") into out,
 * trimming stray whitespace from copy-paste. KIT_ERR_NO_KEY when unset or
 * empty, with a fix-it sentence naming the variable in err.
 */
kit_status kit_env_api_key(const char *var, char *out, size_t outlen, char *err,
                           size_t errlen);

/*
 * The base URL for a provider ("anthropic", "openai", "gemini"): the SDK
 * variable (ANTHROPIC_BASE_URL, OPENAI_BASE_URL, GEMINI_BASE_URL) when set,
 * else the real API's. Returns a pointer into the environment or a static
 * string, valid until the environment changes; NULL for an unknown provider.
 */
const char *kit_env_base_url(const char *provider);

#endif
