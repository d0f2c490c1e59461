/* Fuzz target: JSON text into values (cmfa_value_parse) and the model-guided conversions on
 * top of it: decoding a 2xx body against an operation's output shape, validating a value
 * against an operation's input shape (patterns, lengths in characters, enums, ranges), and
 * encoding a request body.
 *
 * Input: one byte choosing the operation (modulo the modelled operations + 1, the last
 * meaning "not modelled"), then the JSON text.
 *
 * Properties: no crash, leak or UB; printing a parsed value and parsing the print gives the
 * same print (compact and pretty); a decode either gives an object or fails with
 * CMFA_E_BAD_RESPONSE and a clean message; validation reports violations each with a path and
 * a rule, or passes; an encoded request body is JSON again. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_operations(void)
{
    size_t n = 0;

    while (cmfa_model_operation_at(n))
        n++;
    return n;
}

/* print(parse(print(v))) == print(v) */
static void check_round_trip(const struct cmfa_value *v, int pretty)
{
    struct cmfa_error err;
    struct cmfa_value *again;
    char *text, *text2;
    size_t len = 0, len2 = 0;

    text = cmfa_value_to_json(v, pretty, &len);
    FUZZ_ASSERT(text != NULL);
    FUZZ_ASSERT(strlen(text) == len);
    cmfa_error_init(&err);
    again = cmfa_value_parse(text, len, &err);
    FUZZ_ASSERT(again != NULL);
    text2 = cmfa_value_to_json(again, pretty, &len2);
    FUZZ_ASSERT(text2 != NULL);
    FUZZ_ASSERT(len == len2 && memcmp(text, text2, len) == 0);
    cmfa_free(text);
    cmfa_free(text2);
    cmfa_value_free(again);
    cmfa_error_cleanup(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static size_t nops;
    struct fuzz_input in = {data, size};
    const struct cmfa_operation *op;
    struct cmfa_value *v, *decoded, *copy;
    struct cmfa_error err;
    char *json, *body;
    size_t len, i, blen = 0;
    cmfa_code rc;

    if (!nops)
        nops = count_operations();
    op = cmfa_model_operation_at(fuzz_byte(&in) % (nops + 1));   /* NULL: not modelled */
    /* Exactly the input's bytes, with no terminator: reads past the end show up under ASan. */
    len = in.len;
    json = malloc(len ? len : 1);
    if (!json)
        abort();
    if (len)
        memcpy(json, in.data, len);

    /* Plain JSON values. */
    cmfa_error_init(&err);
    v = cmfa_value_parse(json, len, &err);
    fuzz_check_error(&err);
    if (!v) {
        FUZZ_ASSERT(err.code == CMFA_E_BAD_ARGUMENT || err.code == CMFA_E_NOMEM);
    } else {
        FUZZ_ASSERT(err.code == CMFA_OK);
        check_round_trip(v, 0);
        check_round_trip(v, 1);
        copy = cmfa_value_copy(v);
        FUZZ_ASSERT(copy != NULL);
        FUZZ_ASSERT(cmfa_value_type(copy) == cmfa_value_type(v));
        FUZZ_ASSERT(cmfa_value_count(copy) == cmfa_value_count(v));
        for (i = 0; i < cmfa_value_count(v); i++) {
            const char *key = NULL;
            const struct cmfa_value *m = cmfa_value_at(v, i, &key);
            FUZZ_ASSERT(m != NULL);
            if (cmfa_value_type(v) == CMFA_TYPE_OBJECT) {
                FUZZ_ASSERT(key != NULL);
                /* first member of that name */
                FUZZ_ASSERT(cmfa_value_get(v, key) != NULL);
            }
        }
        cmfa_value_free(copy);
        (void)cmfa_value_path(v, "UserPool.UserPoolTags.team");
        (void)cmfa_value_path(v, "UserPools.0.Id");
        (void)cmfa_value_path(v, "0.1.2");
    }
    cmfa_error_cleanup(&err);

    /* A 2xx response body of the operation. */
    cmfa_error_init(&err);
    decoded = cmfa__decode_response(op, json, len, &err);
    fuzz_check_error(&err);
    if (decoded) {
        FUZZ_ASSERT(err.code == CMFA_OK);
        FUZZ_ASSERT(!op || cmfa_value_type(decoded) == CMFA_TYPE_OBJECT);
    } else {
        FUZZ_ASSERT(err.code == CMFA_E_BAD_RESPONSE || err.code == CMFA_E_NOMEM);
        FUZZ_ASSERT(fuzz_clean_text(err.message));
    }
    cmfa_error_cleanup(&err);
    cmfa_value_free(decoded);

    /* The value as an operation's input: validated, then encoded as a request body. */
    if (v && op) {
        cmfa_error_init(&err);
        rc = cmfa__validate_shape(op->input, v, "", &err);
        fuzz_check_error(&err);
        FUZZ_ASSERT(rc == err.code);
        FUZZ_ASSERT(rc == CMFA_OK || rc == CMFA_E_VALIDATION || rc == CMFA_E_NOMEM);
        FUZZ_ASSERT((rc == CMFA_E_VALIDATION) == (err.nviolations > 0));
        for (i = 0; i < err.nviolations; i++)
            FUZZ_ASSERT(err.violations[i].message[0] != '\0');
        cmfa_error_cleanup(&err);

        cmfa_error_init(&err);
        rc = cmfa_validate(op->name, v, &err);
        FUZZ_ASSERT(rc == CMFA_OK || rc == CMFA_E_VALIDATION || rc == CMFA_E_NOMEM);
        cmfa_error_cleanup(&err);

        cmfa_error_init(&err);
        body = cmfa__encode_request(op, v, &blen, &err);
        fuzz_check_error(&err);
        if (body) {
            struct cmfa_value *back;
            struct cmfa_error perr;

            FUZZ_ASSERT(strlen(body) == blen);
            cmfa_error_init(&perr);
            back = cmfa_value_parse(body, blen, &perr);
            FUZZ_ASSERT(back != NULL);
            cmfa_value_free(back);
            cmfa_error_cleanup(&perr);
            cmfa_free(body);
        }
        cmfa_error_cleanup(&err);
    }
    cmfa_value_free(v);
    free(json);
    return 0;
}
