/* libFuzzer target for the YAML unit (core/src/yaml.c): reads the input as --cli-input-yaml
 * text, with no shape or with one of the model's shapes (chosen by the first byte), and for
 * every document it accepts checks that
 *  - it writes as YAML, plain and as a yaml-stream (nothing it read is unwritable),
 *  - what it writes reads back to the same value, with and without the shape.
 * A failed check aborts, which the fuzzer reports as a crash.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include -Icore/src \
 *     fuzz/fuzz_yaml.c core/src/\*.c \
 *     $(pkg-config --cflags --libs libcurl libcjson libpcre2-8 yaml-0.1 libcrypto) -lpthread \
 *     -o fuzz_yaml
 *   ./fuzz_yaml -dict=fuzz/yaml.dict -max_total_time=60 fuzz/corpus/yaml */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmfa/cmfa.h>

static const char *const shapes[] = {
    NULL,
    "SetUserPoolMfaConfigRequest",
    "ListUserPoolsRequest",
    "DescribeUserPoolResponse",
    "ListUserPoolsResponse",
    "GetUserPoolMfaConfigResponse",
};

/* Structural equality, member order ignored; NaN equals NaN. */
static int same(const struct cmfa_value *a, const struct cmfa_value *b)
{
    size_t i, n, la, lb;
    const char *key, *sa, *sb;

    if (cmfa_value_type(a) != cmfa_value_type(b))
        return 0;
    switch (cmfa_value_type(a)) {
    case CMFA_TYPE_BOOL: return cmfa_value_bool(a) == cmfa_value_bool(b);
    case CMFA_TYPE_NUMBER: {
        double x = cmfa_value_number(a), y = cmfa_value_number(b);
        return x == y || (x != x && y != y);
    }
    case CMFA_TYPE_STRING:
        sa = cmfa_value_string(a, &la);
        sb = cmfa_value_string(b, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    case CMFA_TYPE_ARRAY:
    case CMFA_TYPE_OBJECT:
        n = cmfa_value_count(a);
        if (n != cmfa_value_count(b))
            return 0;
        for (i = 0; i < n; i++) {
            const struct cmfa_value *m = cmfa_value_at(a, i, &key);
            const struct cmfa_value *o = key ? cmfa_value_get(b, key) : cmfa_value_at(b, i, NULL);
            if (!same(m, o))
                return 0;
        }
        return 1;
    default:
        return 1;
    }
}

static void fail(const char *what, const char *text, const struct cmfa_error *err)
{
    fprintf(stderr, "fuzz_yaml: %s\n--- text ---\n%s\n--- error: %s\n", what,
            text ? text : "(none)", err ? err->message : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct cmfa_shape *shape = NULL;
    struct cmfa_error err;
    struct cmfa_value *v, *back;
    char *text, *stream;
    size_t len = 0, slen = 0;

    if (size)
        shape = cmfa_model_shape(shapes[data[0] % (sizeof(shapes) / sizeof(shapes[0]))]);
    cmfa_error_init(&err);
    v = cmfa_value_parse_yaml((const char *)data, size, shape, &err);
    if (!v) {
        if (err.code != CMFA_E_BAD_ARGUMENT || !err.message[0])
            fail("a refusal without a usage error and message", NULL, &err);
        cmfa_error_cleanup(&err);
        return 0;
    }
    text = cmfa_value_to_yaml(v, shape, 0, &len, &err);
    if (!text || strlen(text) != len)
        fail("an accepted document does not write", NULL, &err);
    stream = cmfa_value_to_yaml(v, shape, 1, &slen, &err);
    if (!stream || strlen(stream) != slen)
        fail("an accepted document does not write as a stream", NULL, &err);

    back = cmfa_value_parse_yaml(text, len, NULL, &err);
    if (!back || !same(v, back))
        fail("what was written does not read back the same", text, &err);
    cmfa_value_free(back);
    back = cmfa_value_parse_yaml(text, len, shape, &err);
    if (!back || !same(v, back))
        fail("what was written does not read back the same with the shape", text, &err);
    cmfa_value_free(back);

    cmfa_free(stream);
    cmfa_free(text);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
    return 0;
}
