/* Values: constructors, accessors, set/append ownership, paths, JSON text in and out,
 * and behaviour under allocation failure. */
#include "check.h"

#include "cmfa_int.h"

#define CHECK_ALLOC_TEST "test_value"
#include "check_alloc.h"

static struct cmfa_value *parse(const char *json)
{
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa_value_parse(json, strlen(json), &err);
    CHECK_MSG(v != NULL, "parse %s: %s", json, err.message);
    cmfa_error_cleanup(&err);
    return v;
}

/* Compact JSON of v, compared with expected. */
static void check_json(const struct cmfa_value *v, const char *expected)
{
    size_t len = 0;
    char *text = cmfa_value_to_json(v, 0, &len);

    CHECK_STR(text, expected);
    if (text)
        CHECK_INT(len, strlen(expected));
    cmfa_free(text);
}

static void test_scalars(void)
{
    struct cmfa_value *v;
    const char *s;
    size_t len = 99;

    v = cmfa_value_new_string("abcdef", 3);
    CHECK_INT(cmfa_value_type(v), CMFA_TYPE_STRING);
    s = cmfa_value_string(v, &len);
    CHECK_STR(s, "abc");
    CHECK_INT(len, 3);
    CHECK(cmfa_value_number(v) == 0.0);
    CHECK_INT(cmfa_value_bool(v), 0);
    CHECK_INT(cmfa_value_count(v), 0);
    CHECK(cmfa_value_at(v, 0, NULL) == NULL);
    check_json(v, "\"abc\"");
    cmfa_value_free(v);

    v = cmfa_value_new_string(NULL, 0);
    CHECK_STR(cmfa_value_string(v, &len), "");
    CHECK_INT(len, 0);
    cmfa_value_free(v);
    CHECK(cmfa_value_new_string(NULL, 1) == NULL);
    CHECK(cmfa_value_new_string("a\0b", 3) == NULL); /* NUL bytes are not representable */

    v = cmfa_value_new_string("caf\xc3\xa9 \"q\"\n", 10);
    check_json(v, "\"caf\xc3\xa9 \\\"q\\\"\\n\"");
    cmfa_value_free(v);

    v = cmfa_value_new_number(60);
    CHECK_INT(cmfa_value_type(v), CMFA_TYPE_NUMBER);
    CHECK(cmfa_value_number(v) == 60.0);
    CHECK(cmfa_value_string(v, &len) == NULL);
    CHECK_INT(len, 0);
    check_json(v, "60");
    cmfa_value_free(v);

    v = cmfa_value_new_number(1547763720.822);
    check_json(v, "1547763720.822");
    cmfa_value_free(v);

    v = cmfa_value_new_bool(5);
    CHECK_INT(cmfa_value_type(v), CMFA_TYPE_BOOL);
    CHECK_INT(cmfa_value_bool(v), 1);
    check_json(v, "true");
    cmfa_value_free(v);
    v = cmfa_value_new_bool(0);
    CHECK_INT(cmfa_value_bool(v), 0);
    check_json(v, "false");
    cmfa_value_free(v);

    v = cmfa_value_new_null();
    CHECK_INT(cmfa_value_type(v), CMFA_TYPE_NULL);
    check_json(v, "null");
    cmfa_value_free(v);

    CHECK_INT(cmfa_value_type(NULL), CMFA_TYPE_INVALID);
    CHECK(cmfa_value_string(NULL, NULL) == NULL);
    CHECK(cmfa_value_number(NULL) == 0.0);
    CHECK_INT(cmfa_value_bool(NULL), 0);
    CHECK(cmfa_value_to_json(NULL, 0, &len) == NULL);
    CHECK_INT(len, 0);
    cmfa_value_free(NULL);
}

static void test_objects_and_arrays(void)
{
    struct cmfa_value *o = cmfa_value_new_object(), *a = cmfa_value_new_array();
    const struct cmfa_value *m;
    const char *key;

    CHECK_INT(cmfa_value_type(o), CMFA_TYPE_OBJECT);
    CHECK_INT(cmfa_value_type(a), CMFA_TYPE_ARRAY);
    check_json(o, "{}");
    check_json(a, "[]");

    CHECK_INT(cmfa_value_set(o, "MfaConfiguration", cmfa_value_new_string("ON", 2)), CMFA_OK);
    CHECK_INT(cmfa_value_set(o, "Enabled", cmfa_value_new_bool(1)), CMFA_OK);
    CHECK_INT(cmfa_value_set(o, "Empty", cmfa_value_new_object()), CMFA_OK);
    check_json(o, "{\"MfaConfiguration\":\"ON\",\"Enabled\":true,\"Empty\":{}}");
    /* set replaces in place, keeping the order */
    CHECK_INT(cmfa_value_set(o, "MfaConfiguration", cmfa_value_new_string("OPTIONAL", 8)),
              CMFA_OK);
    CHECK_INT(cmfa_value_count(o), 3);
    check_json(o, "{\"MfaConfiguration\":\"OPTIONAL\",\"Enabled\":true,\"Empty\":{}}");
    CHECK_INT(cmfa_value_set(o, "Empty", cmfa_value_new_null()), CMFA_OK);
    check_json(o, "{\"MfaConfiguration\":\"OPTIONAL\",\"Enabled\":true,\"Empty\":null}");

    m = cmfa_value_get(o, "Enabled");
    CHECK_INT(cmfa_value_bool(m), 1);
    CHECK(cmfa_value_get(o, "enabled") == NULL); /* keys are case-sensitive */
    CHECK(cmfa_value_get(o, NULL) == NULL);
    CHECK(cmfa_value_get(a, "x") == NULL);
    m = cmfa_value_at(o, 1, &key);
    CHECK_STR(key, "Enabled");
    CHECK(m == cmfa_value_get(o, "Enabled"));
    CHECK(cmfa_value_at(o, 3, &key) == NULL);
    CHECK(key == NULL);

    CHECK_INT(cmfa_value_append(a, cmfa_value_new_number(1)), CMFA_OK);
    CHECK_INT(cmfa_value_append(a, cmfa_value_new_string("two", 3)), CMFA_OK);
    CHECK_INT(cmfa_value_append(a, cmfa_value_new_array()), CMFA_OK);
    CHECK_INT(cmfa_value_count(a), 3);
    m = cmfa_value_at(a, 1, &key);
    CHECK(key == NULL);
    CHECK_STR(cmfa_value_string(m, NULL), "two");
    check_json(a, "[1,\"two\",[]]");

    /* Ownership: set/append take the member even when they fail (ASan/valgrind see leaks). */
    CHECK_INT(cmfa_value_set(a, "k", cmfa_value_new_string("leak?", 5)), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_value_set(NULL, "k", cmfa_value_new_number(1)), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_value_set(o, NULL, cmfa_value_new_number(1)), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_value_set(o, "k", NULL), CMFA_E_NOMEM); /* a failed constructor */
    CHECK_INT(cmfa_value_append(o, cmfa_value_new_number(1)), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_value_append(NULL, cmfa_value_new_number(1)), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_value_append(a, NULL), CMFA_E_NOMEM);
    CHECK_INT(cmfa_value_set(o, "self", o), CMFA_E_BAD_ARGUMENT); /* not freed */
    CHECK_INT(cmfa_value_count(o), 3);

    /* A copy of a member moved into an array or another object loses its old name. */
    {
        struct cmfa_value *c = cmfa_value_copy(cmfa_value_get(o, "MfaConfiguration"));
        struct cmfa_value *o2 = cmfa_value_new_object();
        check_json(c, "\"OPTIONAL\"");
        CHECK_INT(cmfa_value_set(o2, "Renamed", c), CMFA_OK);
        check_json(o2, "{\"Renamed\":\"OPTIONAL\"}");
        CHECK_INT(cmfa_value_append(a, cmfa_value_copy(cmfa_value_get(o, "Enabled"))), CMFA_OK);
        check_json(a, "[1,\"two\",[],true]");
        cmfa_value_free(o2);
    }
    cmfa_value_free(o);
    cmfa_value_free(a);
}

static void test_set_replaces_duplicates(void)
{
    struct cmfa_value *v = parse("{\"a\":1,\"b\":2,\"a\":3,\"c\":4,\"a\":5}");

    CHECK_INT(cmfa_value_set(v, "a", cmfa_value_new_bool(0)), CMFA_OK);
    check_json(v, "{\"a\":false,\"b\":2,\"c\":4}");
    CHECK_INT(cmfa_value_set(v, "c", cmfa_value_new_number(7)), CMFA_OK);
    check_json(v, "{\"a\":false,\"b\":2,\"c\":7}");
    cmfa_value_free(v);
}

static void test_copy(void)
{
    struct cmfa_value *v = parse("{\"A\":{\"B\":[1,{\"C\":true},{}]},\"D\":null}");
    struct cmfa_value *c = cmfa_value_copy(v);

    CHECK(c != NULL && c != v);
    check_json(c, "{\"A\":{\"B\":[1,{\"C\":true},{}]},\"D\":null}");
    CHECK_INT(cmfa_value_set(c, "D", cmfa_value_new_number(2)), CMFA_OK);
    check_json(v, "{\"A\":{\"B\":[1,{\"C\":true},{}]},\"D\":null}");
    CHECK(cmfa_value_copy(NULL) == NULL);
    cmfa_value_free(c);
    cmfa_value_free(v);
}

static void test_path(void)
{
    struct cmfa_value *v = parse(
        "{\"UserPools\":[{\"Id\":\"us-east-1_a\"},{\"Id\":\"us-east-1_b\",\"Tags\":{\"0\":\"z\"}}],"
        "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},\"n\":5}");
    static const struct {
        const char *path;
        const char *json; /* expected value as JSON, NULL when absent */
    } table[] = {
        {"SoftwareTokenMfaConfiguration.Enabled", "true"},
        {"UserPools.0.Id", "\"us-east-1_a\""},
        {"UserPools.1.Id", "\"us-east-1_b\""},
        {"UserPools.1.Tags.0", "\"z\""}, /* numeric key of an object */
        {"UserPools.1", "{\"Id\":\"us-east-1_b\",\"Tags\":{\"0\":\"z\"}}"},
        {"n", "5"},
        {"", NULL}, /* the value itself, checked below */
        {"UserPools.2.Id", NULL},
        {"UserPools.x", NULL},
        {"UserPools.-1", NULL},
        {"UserPools.01", "{\"Id\":\"us-east-1_b\",\"Tags\":{\"0\":\"z\"}}"},
        {"UserPools.99999999999999999999999", NULL},
        {"n.0", NULL},
        {"SoftwareTokenMfaConfiguration..Enabled", NULL},
        {"SoftwareTokenMfaConfiguration.", NULL},
        {".SoftwareTokenMfaConfiguration", NULL},
        {"softwareTokenMfaConfiguration", NULL},
        {"SoftwareTokenMfaConfiguration.EnabledX", NULL},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        const struct cmfa_value *m = cmfa_value_path(v, table[i].path);
        if (!*table[i].path) {
            CHECK(m == v);
            continue;
        }
        if (!table[i].json) {
            CHECK_MSG(m == NULL, "path %s", table[i].path);
            continue;
        }
        CHECK_MSG(m != NULL, "path %s", table[i].path);
        if (m)
            check_json(m, table[i].json);
    }
    CHECK(cmfa_value_path(NULL, "a") == NULL);
    CHECK(cmfa_value_path(v, NULL) == NULL);
    cmfa_value_free(v);
}

static void test_parse_ok(void)
{
    static const struct {
        const char *in, *out;
    } table[] = {
        {"{}", "{}"},
        {"  {\"a\" : [ true , false , null , {} , [] ] }\n\t\r ", "{\"a\":[true,false,null,{},[]]}"},
        {"[1,2.5,-3e2]", "[1,2.5,-300]"},
        {"\"caf\\u00e9 \\ud83d\\ude00\"", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""},
        {"true", "true"},
        {"null", "null"},
        {"{\"MaxResults\":60,\"NextToken\":\"abc\"}", "{\"MaxResults\":60,\"NextToken\":\"abc\"}"},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        struct cmfa_value *v = parse(table[i].in);
        if (v)
            check_json(v, table[i].out);
        cmfa_value_free(v);
    }
}

static void test_parse_errors(void)
{
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        const char *message;
    } table[] = {
        {"", 0, "JSON text is empty"},
        {"   \n", 0, "JSON text is empty"},
        {"{}x", 0, "invalid JSON: unexpected data after the value at byte offset 2"},
        {"{} {}", 0, "invalid JSON: unexpected data after the value at byte offset 3"},
        {"{}\0{}", 5, "invalid JSON: unexpected data after the value at byte offset 2"},
        {"{\"a\":}", 0, "invalid JSON at byte offset 5"},
        {"{\"a\":1,}", 0, "invalid JSON at byte offset 7"},
        {"[1,2", 0, "invalid JSON at byte offset 3"},
        {"nul", 0, "invalid JSON at byte offset 0"},
        {"{\"a\":\"x\\u0000y\"}", 0,
         "invalid JSON: \\u0000 in a string at byte offset 7 is not supported"},
        {"{\"a\":1}", 5, "invalid JSON at byte offset 4"}, /* cut short by len */
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        struct cmfa_error err;
        size_t len = table[i].len ? table[i].len : strlen(table[i].in);
        struct cmfa_value *v;

        cmfa_error_init(&err);
        v = cmfa_value_parse(table[i].in, len, &err);
        CHECK_MSG(v == NULL, "parse %s", table[i].in);
        CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
        CHECK_STR(err.message, table[i].message);
        cmfa_value_free(v);
        cmfa_error_cleanup(&err);
    }
    {
        struct cmfa_error err;
        cmfa_error_init(&err);
        CHECK(cmfa_value_parse(NULL, 0, &err) == NULL);
        CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
        cmfa_error_cleanup(&err);
        CHECK(cmfa_value_parse("{", 1, NULL) == NULL); /* err may be NULL */
    }
}

/* A buffer without a terminating NUL (ASan catches any read past it). */
static void test_parse_unterminated(void)
{
    static const char text[] = "{\"UserPoolId\":\"us-east-1_abc\",\"n\":12345}";
    size_t len = sizeof(text) - 1, cut;
    char *buf = malloc(len);
    struct cmfa_value *v;
    struct cmfa_error err;

    memcpy(buf, text, len);
    v = cmfa_value_parse(buf, len, NULL);
    CHECK(v != NULL);
    check_json(v, text);
    cmfa_value_free(v);
    for (cut = 1; cut < len; cut++) {
        char *part = malloc(cut);
        memcpy(part, text, cut);
        cmfa_error_init(&err);
        v = cmfa_value_parse(part, cut, &err);
        CHECK_MSG(v == NULL && err.code == CMFA_E_BAD_ARGUMENT, "prefix of %zu bytes", cut);
        cmfa_value_free(v);
        cmfa_error_cleanup(&err);
        free(part);
    }
    free(buf);
}

static void test_parse_deep_nesting(void)
{
    struct cmfa_error err;
    struct cmfa__buf b;
    struct cmfa_value *v;
    int i;

    /* Deep but within cJSON's nesting limit: fine. */
    cmfa__buf_init(&b, 0);
    for (i = 0; i < 500; i++)
        cmfa__buf_addstr(&b, "{\"a\":");
    cmfa__buf_addstr(&b, "1");
    for (i = 0; i < 500; i++)
        cmfa__buf_addc(&b, '}');
    v = cmfa_value_parse(b.data, b.len, NULL);
    CHECK(v != NULL);
    CHECK(cmfa_value_path(v, "a.a.a.a") != NULL);
    cmfa_value_free(v);
    cmfa__buf_cleanup(&b);

    /* Far beyond it: rejected, not a crash. */
    cmfa__buf_init(&b, 0);
    for (i = 0; i < 100000; i++)
        cmfa__buf_addc(&b, '[');
    cmfa_error_init(&err);
    v = cmfa_value_parse(b.data, b.len, &err);
    CHECK(v == NULL);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
    cmfa__buf_cleanup(&b);
}

static void test_pretty(void)
{
    struct cmfa_value *v = parse("{\"a\":[1],\"b\":{}}");
    size_t len;
    char *text = cmfa_value_to_json(v, 1, &len);

    CHECK(text != NULL);
    if (text) {
        CHECK(strchr(text, '\n') != NULL);
        CHECK_INT(len, strlen(text));
        cmfa_free(text);
    }
    cmfa_value_free(v);
}


static cmfa_code op_parse_print_copy(void)
{
    static const char text[] =
        "{\"UserPoolId\":\"us-west-2_EXAMPLE\",\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":"
        "\"Your OTP: {####}\"},\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},\"L\":[1,2,{}]}";
    struct cmfa_error err;
    struct cmfa_value *v, *c = NULL;
    char *out = NULL;
    cmfa_code rc = CMFA_OK;

    cmfa_error_init(&err);
    v = cmfa_value_parse(text, sizeof(text) - 1, &err);
    if (!v) {
        rc = err.code;
        goto cleanup;
    }
    c = cmfa_value_copy(v);
    if (!c) {
        rc = CMFA_E_NOMEM;
        goto cleanup;
    }
    rc = cmfa_value_set(c, "MfaConfiguration", cmfa_value_new_string("ON", 2));
    if (rc != CMFA_OK)
        goto cleanup;
    rc = cmfa_value_append((struct cmfa_value *)cmfa_value_get(c, "L"), cmfa_value_new_null());
    if (rc != CMFA_OK)
        goto cleanup;
    out = cmfa_value_to_json(c, 1, NULL);
    if (!out) {
        rc = CMFA_E_NOMEM;
        goto cleanup;
    }
cleanup:
    cmfa_free(out);
    cmfa_value_free(c);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
    return rc;
}

static void test_alloc_failures(void)
{
    /* Also checks the idiom cmfa_value_set(o, k, cmfa_value_new_...()): a constructor that
     * ran out of memory makes set/append return CMFA_E_NOMEM. */
    alloc_loop("parse/copy/set/append/print", op_parse_print_copy);
}

int main(void)
{
    test_scalars();
    test_objects_and_arrays();
    test_set_replaces_duplicates();
    test_copy();
    test_path();
    test_parse_ok();
    test_parse_errors();
    test_parse_unterminated();
    test_parse_deep_nesting();
    test_pretty();
    test_alloc_failures();
    return check_done("test_value");
}
