/*
 * White-box tests of mockserver/shorthand.c: which keys are shorthand, the
 * exact script JSON each one spells, and the error that names a bad token.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mockserver/shorthand.h"

/* Parses key and expects SHORTHAND_OK with exactly the JSON want. */
static void expect_script(const char *key, const char *want)
{
    char *json = NULL;
    char err[256];
    shorthand_result r = shorthand_parse(key, &json, err, sizeof(err));

    expect_that(r == SHORTHAND_OK,
                "the key %s should spell a script; got result %d (%s)", key,
                (int)r, err);
    expect_that(json && strcmp(json, want) == 0,
                "the key %s should spell\n  %s\ngot\n  %s", key, want,
                json ? json : "(null)");
    expect_that(err[0] == '\0', "a good key must leave err empty; got %s", err);
    free(json);
}

/*
 * Parses key and expects SHORTHAND_BAD with an error that contains each of
 * the fragments (NULL-terminated).
 */
static void expect_bad(const char *key, const char *const *fragments)
{
    char *json = (char *)"untouched";
    char err[256];
    shorthand_result r = shorthand_parse(key, &json, err, sizeof(err));

    expect_that(r == SHORTHAND_BAD,
                "the key %s should be bad shorthand; got result %d", key,
                (int)r);
    expect_that(json == NULL, "a bad key must set *script_json to NULL");
    for (size_t i = 0; fragments[i]; i++) {
        expect_that(strstr(err, fragments[i]) != NULL,
                    "the error for %s should mention '%s'; it reads: %s", key,
                    fragments[i], err);
    }
}

static void test_ordinary_keys_are_not_shorthand(void **state)
{
    static const char *const keys[] = {
        "sk-ant-api03-abcdef",
        "test-abc",
        "mock-key-lab3",
        "mock-okapi",
        "mock-2024-lab",
        "mock-42-ok",
        "mock-repeat",
        "mock-okd",
        "mock-closet-1",
        "mock-",
        "mock",
        "",
        "MOCK-429",
        "xmock-429",
        "mock-Timeout",
    };
    char err[64] = "stale";
    char *json = (char *)"stale";

    (void)state;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        shorthand_result r = shorthand_parse(keys[i], &json, err, sizeof(err));
        expect_that(r == SHORTHAND_NONE,
                    "the key \"%s\" is an ordinary key; got result %d", keys[i],
                    (int)r);
        expect_that(json == NULL && err[0] == '\0',
                    "an ordinary key must give a NULL script and empty err");
    }
    expect_that(shorthand_parse(NULL, &json, err, sizeof(err)) ==
                    SHORTHAND_NONE,
                "a NULL key is an ordinary (absent) key");
}

static void test_statuses_become_steps_then_ok(void **state)
{
    (void)state;
    expect_script("mock-429-429-ok", "{\"steps\":[{\"status\":429},"
                                     "{\"status\":429},{\"status\":200}],"
                                     "\"then\":\"ok\"}");
    expect_script("mock-529", "{\"steps\":[{\"status\":529}],\"then\":\"ok\"}");
}

static void test_every_status_the_server_answers_is_a_step(void **state)
{
    static const int statuses[] = {200, 400, 401, 403, 404, 408, 413,
                                   429, 500, 502, 503, 504, 529};
    char key[32], want[96];

    (void)state;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        snprintf(key, sizeof(key), "mock-%d", statuses[i]);
        snprintf(want, sizeof(want),
                 "{\"steps\":[{\"status\":%d}],\"then\":\"ok\"}", statuses[i]);
        expect_script(key, want);
    }
}

static void test_fault_words_become_fault_steps(void **state)
{
    (void)state;
    expect_script("mock-timeout-reset-close-malformed-partial-empty",
                  "{\"steps\":[{\"fault\":\"timeout\"},{\"fault\":\"reset\"},"
                  "{\"fault\":\"close\"},{\"fault\":\"malformed\"},"
                  "{\"fault\":\"partial\"},{\"fault\":\"empty\"}],"
                  "\"then\":\"ok\"}");
}

static void test_modifiers_set_retry_after_and_delay(void **state)
{
    (void)state;
    expect_script("mock-429r2-429r1500ms-503d150-okd20ms",
                  "{\"steps\":[{\"status\":429,\"retry_after\":2},"
                  "{\"status\":429,\"retry_after_ms\":1500},"
                  "{\"status\":503,\"delay_ms\":150},"
                  "{\"status\":200,\"delay_ms\":20}],\"then\":\"ok\"}");
    expect_script("mock-timeoutd2000",
                  "{\"steps\":[{\"delay_ms\":2000,\"fault\":\"timeout\"}],"
                  "\"then\":\"ok\"}");
}

static void test_modifiers_combine_in_any_order(void **state)
{
    (void)state;
    expect_script("mock-429x2r1d5",
                  "{\"steps\":[{\"status\":429,\"delay_ms\":5,"
                  "\"retry_after\":1},{\"status\":429,\"delay_ms\":5,"
                  "\"retry_after\":1}],\"then\":\"ok\"}");
    expect_script("mock-503d150x3-ok",
                  "{\"steps\":[{\"status\":503,\"delay_ms\":150},"
                  "{\"status\":503,\"delay_ms\":150},"
                  "{\"status\":503,\"delay_ms\":150},{\"status\":200}],"
                  "\"then\":\"ok\"}");
}

static void test_a_final_repeat_loops_the_steps(void **state)
{
    (void)state;
    expect_script("mock-429-ok-repeat",
                  "{\"steps\":[{\"status\":429},{\"status\":200}],"
                  "\"then\":\"repeat\"}");
}

static void test_the_longest_script_is_valid_json(void **state)
{
    char *json = NULL;
    char err[128];
    cJSON *root, *steps;

    (void)state;
    assert_int_equal(shorthand_parse("mock-529d60000r3600msx99-"
                                     "timeoutd60000-repeat",
                                     &json, err, sizeof(err)),
                     SHORTHAND_OK);
    root = cJSON_Parse(json);
    steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    expect_that(cJSON_IsArray(steps) && cJSON_GetArraySize(steps) == 100,
                "a key spelling %d steps should give a JSON array of them; "
                "got %s",
                SHORTHAND_MAX_STEPS, json);
    cJSON_Delete(root);
    free(json);
}

static void test_bad_shorthand_names_the_token(void **state)
{
    static const struct {
        const char *key;
        const char *const fragments[3];
    } cases[] = {
        {"mock-429-foo", {"token 2 \"foo\"", "not a step", NULL}},
        {"mock-430-ok", {"token 1 \"430\"", "430 is not a status", NULL}},
        {"mock-123-lab", {"token 1 \"123\"", NULL}},
        {"mock-429q-ok", {"\"429q\"", "\"q\" is not a modifier", NULL}},
        {"mock-500abc", {"\"500abc\"", "\"a\" is not a modifier", NULL}},
        {"mock-okd1z", {"\"okd1z\"", "\"z\" is not a modifier", NULL}},
        {"mock-429r-ok", {"\"429r\"", "needs a number", NULL}},
        {"mock-429r2r3", {"\"429r2r3\"", "given twice", NULL}},
        {"mock-429r3601", {"at most 3600", NULL}},
        {"mock-429r99999999999999999999", {"at most 3600", NULL}},
        {"mock-429r3600001ms", {"at most 3600000", NULL}},
        {"mock-503d60001", {"at most 60000", NULL}},
        {"mock-429x0", {"\"429x0\"", "1 to 100", NULL}},
        {"mock-429x101", {"1 to 100", NULL}},
        {"mock-429x60-503x41", {"token 2 \"503x41\"", "more than 100", NULL}},
        {"mock-429--ok", {"token 2 \"\"", "empty token", NULL}},
        {"mock-429-", {"token 2", "empty token", NULL}},
        {"mock-429-repeat-ok", {"token 2 \"repeat\"", "last", NULL}},
        {"mock-429-OK", {"token 2 \"OK\"", NULL}},
        {"mock-ok-okapi", {"token 2 \"okapi\"", NULL}},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_bad(cases[i].key, cases[i].fragments);
}

static void test_an_error_never_holds_the_whole_key(void **state)
{
    char key[256], err[256];
    char *json = NULL;

    (void)state;
    snprintf(key, sizeof(key), "mock-429-%s",
             "secretsecretsecretsecretsecretsecretsecretsecret");
    assert_int_equal(shorthand_parse(key, &json, err, sizeof(err)),
                     SHORTHAND_BAD);
    expect_that(strstr(err, "mock-429") == NULL,
                "the error must name the bad token, not the key: %s", err);
    expect_that(strstr(err, "secretsecretsecretsecretsecret") == NULL &&
                    strstr(err, "...") != NULL,
                "a long token must be cut short with ...: %s", err);

    assert_int_equal(
        shorthand_parse("mock-429-a\"b\\c\x01", &json, err, sizeof(err)),
        SHORTHAND_BAD);
    expect_that(strstr(err, "\"a?b?c?\"") != NULL,
                "quotes, backslashes and control characters in a token must "
                "show as '?': %s",
                err);
}

static void test_small_or_missing_outputs_are_safe(void **state)
{
    char err[12];

    (void)state;
    expect_that(shorthand_parse("mock-429-ok", NULL, NULL, 0) == SHORTHAND_OK,
                "a key can be classified without asking for the script");
    expect_that(shorthand_parse("mock-429-zzz", NULL, NULL, 0) == SHORTHAND_BAD,
                "a bad key is bad even with no error buffer");
    shorthand_parse("mock-429-zzz", NULL, err, sizeof(err));
    expect_that(strlen(err) == sizeof(err) - 1,
                "a short error buffer must be filled and terminated: %s", err);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_keys_are_not_shorthand),
        cmocka_unit_test(test_statuses_become_steps_then_ok),
        cmocka_unit_test(test_every_status_the_server_answers_is_a_step),
        cmocka_unit_test(test_fault_words_become_fault_steps),
        cmocka_unit_test(test_modifiers_set_retry_after_and_delay),
        cmocka_unit_test(test_modifiers_combine_in_any_order),
        cmocka_unit_test(test_a_final_repeat_loops_the_steps),
        cmocka_unit_test(test_the_longest_script_is_valid_json),
        cmocka_unit_test(test_bad_shorthand_names_the_token),
        cmocka_unit_test(test_an_error_never_holds_the_whole_key),
        cmocka_unit_test(test_small_or_missing_outputs_are_safe),
    };

    return HARNESS_MAIN("unit: key shorthand", tests, NULL, NULL);
}
