/* libFuzzer target for the JMESPath engine (core/src/query.c).
 *
 * Input: an expression, a NUL byte, then a JSON document. Without a NUL byte the whole input is
 * the expression and it runs on a small ListUserPools-shaped document. Each run compiles the
 * expression, evaluates it when both compiled/parsed, renders the result as JSON and frees
 * everything; ASan/UBSan/LeakSanitizer report what goes wrong.
 *
 * Standalone build (the fuzz/CMakeLists.txt harness builds every fuzz/fuzz_<name>.c too):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include -Icore/src \
 *     fuzz/fuzz_query.c core/src/(all .c files) \
 *     $(pkg-config --cflags --libs libcjson libcurl libpcre2-8) -lcrypto -lm -o fuzz_query
 *   ./fuzz_query -dict=fuzz/query.dict fuzz/corpus/query
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cmfa/cmfa.h"

static const char default_doc[] =
    "{\"UserPools\":[{\"Id\":\"eu-west-1_A\",\"Name\":\"one\",\"Status\":\"Enabled\","
    "\"LambdaConfig\":{},\"Tags\":[1,2.5,\"x\",null,true]},{\"Id\":\"eu-west-1_B\","
    "\"Name\":\"two\",\"Status\":\"Disabled\",\"LambdaConfig\":{\"PreSignUp\":\"arn\"}}],"
    "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},\"MfaConfiguration\":\"ON\","
    "\"NextToken\":null}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t expr_len = nul ? (size_t)(nul - text) : size;
    struct cmfa_value *doc, *out = NULL;
    struct cmfa_query *q;
    struct cmfa_error err;
    char *json;

    cmfa_error_init(&err);
    q = cmfa_query_compile(text, expr_len, &err);
    if (!q) {
        cmfa_error_cleanup(&err);
        return 0;
    }
    if (nul)
        doc = cmfa_value_parse(nul + 1, size - expr_len - 1, &err);
    else
        doc = cmfa_value_parse(default_doc, sizeof(default_doc) - 1, &err);
    if (doc || !nul) {
        out = cmfa_query_eval(q, doc, &err);
        /* a second evaluation of the same compiled query must give the same answer */
        if (out) {
            struct cmfa_error err2;
            struct cmfa_value *again;
            char *a, *b;

            cmfa_error_init(&err2);
            again = cmfa_query_eval(q, doc, &err2);
            a = cmfa_value_to_json(out, 0, NULL);
            b = again ? cmfa_value_to_json(again, 0, NULL) : NULL;
            if (!again || !a || !b || strcmp(a, b) != 0)
                __builtin_trap();
            cmfa_free(a);
            cmfa_free(b);
            cmfa_value_free(again);
            cmfa_error_cleanup(&err2);
        }
    }
    json = out ? cmfa_value_to_json(out, 1, NULL) : NULL;
    cmfa_free(json);
    cmfa_value_free(out);
    cmfa_value_free(doc);
    cmfa_query_free(q);
    cmfa_error_cleanup(&err);
    return 0;
}
