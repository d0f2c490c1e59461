/* YAML: emitting as the AWS CLI v2 prints (quoting, sorting, numbers, yaml-stream, top-level
 * scalars as JSON), reading --cli-input-yaml guided by the model (typing, every refusal with
 * its line and column), round trips, the yaml-input skeleton, and allocation failures.
 * Expected texts were taken from the AWS CLI's own YAML dumper (ruamel.yaml) and are checked
 * against /usr/bin/aws itself by spec/yaml_spec.lua. */
#include "check.h"

#include "cmfa_int.h"

#define CHECK_ALLOC_TEST "test_yaml"
#include "check_alloc.h"

static struct cmfa_value *parse_json(const char *json)
{
    struct cmfa_value *v = cmfa_value_parse(json, strlen(json), NULL);

    if (!v) {
        fprintf(stderr, "test input does not parse: %s\n", json);
        abort();
    }
    return v;
}

static const struct cmfa_shape *shape(const char *name)
{
    const struct cmfa_shape *s = name ? cmfa_model_shape(name) : NULL;

    if (name && !s) {
        fprintf(stderr, "no shape %s\n", name);
        abort();
    }
    return s;
}

/* Structural equality, member order ignored (YAML output sorts keys). */
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
        n = cmfa_value_count(a);
        if (n != cmfa_value_count(b))
            return 0;
        for (i = 0; i < n; i++)
            if (!same(cmfa_value_at(a, i, NULL), cmfa_value_at(b, i, NULL)))
                return 0;
        return 1;
    case CMFA_TYPE_OBJECT:
        n = cmfa_value_count(a);
        if (n != cmfa_value_count(b))
            return 0;
        for (i = 0; i < n; i++) {
            const struct cmfa_value *m = cmfa_value_at(a, i, &key);
            if (!same(m, cmfa_value_get(b, key)))
                return 0;
        }
        return 1;
    default:
        return 1;
    }
}

/* ------------------------------------------------------------------ emit */

static void check_emit(const char *json, const char *shape_name, int stream, const char *want)
{
    struct cmfa_value *v = parse_json(json);
    struct cmfa_error err;
    size_t len = 99;
    char *text;

    cmfa_error_init(&err);
    text = cmfa_value_to_yaml(v, shape(shape_name), stream, &len, &err);
    CHECK_MSG(text != NULL, "%s: %s", json, err.message);
    CHECK_STR(text, want);
    if (text)
        CHECK_INT(len, strlen(want));
    CHECK_INT(err.code, CMFA_OK);
    cmfa_free(text);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
}

static const char *const describe_json =
    "{\"UserPool\":{\"Id\":\"us-east-1_abc\",\"Name\":\"pool one\",\"EstimatedNumberOfUsers\":3,"
    "\"Policies\":{\"PasswordPolicy\":{\"MinimumLength\":8,\"RequireUppercase\":true,"
    "\"TemporaryPasswordValidityDays\":7}},\"UserPoolTags\":{},\"SchemaAttributes\":[{\"Name\":"
    "\"sub\",\"AttributeDataType\":\"String\",\"Mutable\":false,\"StringAttributeConstraints\":"
    "{\"MinLength\":\"1\",\"MaxLength\":\"2048\"}}],\"AutoVerifiedAttributes\":[],"
    "\"CreationDate\":\"2026-12-02T06:37:15.056000+00:00\",\"MfaConfiguration\":\"OFF\","
    "\"EmailVerificationMessage\":\"Your verification code is {####}. \","
    "\"AccountRecoverySetting\":{\"RecoveryMechanisms\":[{\"Priority\":1,\"Name\":"
    "\"verified_email\"},{\"Priority\":2,\"Name\":\"verified_phone_number\"}]}}}";

static const char *const describe_yaml =
    "UserPool:\n"
    "  AccountRecoverySetting:\n"
    "    RecoveryMechanisms:\n"
    "    - Name: verified_email\n"
    "      Priority: 1\n"
    "    - Name: verified_phone_number\n"
    "      Priority: 2\n"
    "  AutoVerifiedAttributes: []\n"
    "  CreationDate: '2026-12-02T06:37:15.056000+00:00'\n"
    "  EmailVerificationMessage: 'Your verification code is {####}. '\n"
    "  EstimatedNumberOfUsers: 3\n"
    "  Id: us-east-1_abc\n"
    "  MfaConfiguration: OFF\n"
    "  Name: pool one\n"
    "  Policies:\n"
    "    PasswordPolicy:\n"
    "      MinimumLength: 8\n"
    "      RequireUppercase: true\n"
    "      TemporaryPasswordValidityDays: 7\n"
    "  SchemaAttributes:\n"
    "  - AttributeDataType: String\n"
    "    Mutable: false\n"
    "    Name: sub\n"
    "    StringAttributeConstraints:\n"
    "      MaxLength: '2048'\n"
    "      MinLength: '1'\n"
    "  UserPoolTags: {}\n";

static void test_emit_documents(void)
{
    static const char *const mfa_json =
        "{\"MfaConfiguration\":\"ON\",\"SoftwareTokenMfaConfiguration\":{\"Enabled\":false},"
        "\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"Your code is {####}\","
        "\"SmsConfiguration\":{\"SnsCallerArn\":\"arn:aws:iam::123456789012:role/sms\","
        "\"ExternalId\":\"00123\"}}}";
    static const char *const mfa_yaml =
        "MfaConfiguration: ON\n"
        "SmsMfaConfiguration:\n"
        "  SmsAuthenticationMessage: Your code is {####}\n"
        "  SmsConfiguration:\n"
        "    ExternalId: '00123'\n"
        "    SnsCallerArn: arn:aws:iam::123456789012:role/sms\n"
        "SoftwareTokenMfaConfiguration:\n"
        "  Enabled: false\n";
    static const char *const mfa_stream =
        "- MfaConfiguration: ON\n"
        "  SmsMfaConfiguration:\n"
        "    SmsAuthenticationMessage: Your code is {####}\n"
        "    SmsConfiguration:\n"
        "      ExternalId: '00123'\n"
        "      SnsCallerArn: arn:aws:iam::123456789012:role/sms\n"
        "  SoftwareTokenMfaConfiguration:\n"
        "    Enabled: false\n";
    struct cmfa__buf b;

    check_emit(mfa_json, "GetUserPoolMfaConfigResponse", 0, mfa_yaml);
    check_emit(mfa_json, NULL, 0, mfa_yaml);
    check_emit(mfa_json, "GetUserPoolMfaConfigResponse", 1, mfa_stream);
    check_emit(describe_json, "DescribeUserPoolResponse", 0, describe_yaml);
    /* yaml-stream: the same, one level down in a list */
    cmfa__buf_init(&b, 0);
    {
        const char *p = describe_yaml;
        int first = 1;
        while (*p) {
            const char *nl = strchr(p, '\n');
            cmfa__buf_addstr(&b, first ? "- " : "  ");
            cmfa__buf_add(&b, p, (size_t)(nl - p + 1));
            p = nl + 1;
            first = 0;
        }
    }
    check_emit(describe_json, "DescribeUserPoolResponse", 1, b.data);
    cmfa__buf_cleanup(&b);

    /* lists of pools, with and without NextToken; empty containers stay flow */
    check_emit("{\"UserPools\":[{\"Id\":\"us-east-1_a\",\"Name\":\"a\",\"LambdaConfig\":{},"
               "\"CreationDate\":\"2026-12-02T06:37:15+00:00\"},{\"Id\":\"us-east-1_b\","
               "\"Name\":\"true\",\"LambdaConfig\":{}}],\"NextToken\":\"abc/+=\"}",
               "ListUserPoolsResponse", 0,
               "NextToken: abc/+=\n"
               "UserPools:\n"
               "- CreationDate: '2026-12-02T06:37:15+00:00'\n"
               "  Id: us-east-1_a\n"
               "  LambdaConfig: {}\n"
               "  Name: a\n"
               "- Id: us-east-1_b\n"
               "  LambdaConfig: {}\n"
               "  Name: 'true'\n");
    check_emit("{\"UserPools\":[]}", "ListUserPoolsResponse", 0, "UserPools: []\n");
    check_emit("{}", NULL, 0, "{}\n");
    check_emit("{}", NULL, 1, "- {}\n");
    check_emit("[]", NULL, 0, "[]\n");
    check_emit("[\"a\",1,null,true,[],{\"b\":[1]}]", NULL, 0,
               "- a\n- 1\n- null\n- true\n- []\n- b:\n  - 1\n");
    check_emit("[\"a\",1]", NULL, 1, "- - a\n  - 1\n");
    /* keys sorted by code point, quoted like values */
    check_emit("{\"b\":1,\"B\":2,\"a\":3,\"\xc3\xa9\":4,\"true\":5,\"1\":6,\"\":7}", NULL, 0,
               "'': 7\n'1': 6\nB: 2\na: 3\nb: 1\n'true': 5\n\xc3\xa9: 4\n");
    /* a long key becomes a complex key, as libyaml does for ruamel */
    {
        char json[400], want[400];
        char key[140];
        memset(key, 'k', 130);
        key[130] = '\0';
        snprintf(json, sizeof(json), "{\"%s\":1}", key);
        snprintf(want, sizeof(want), "? %s\n: 1\n", key);
        check_emit(json, NULL, 0, want);
    }
}

static void test_emit_scalars(void)
{
    /* top level scalars: JSON, as the AWS CLI writes them (json.dump, ensure_ascii off) */
    check_emit("\"OFF\"", NULL, 0, "\"OFF\"\n");
    check_emit("\"caf\\u00e9 \\\"q\\\"\\n\\u0001\\u001f\\t\\b\\f\\r\\\\/\"", NULL, 0,
               "\"caf\xc3\xa9 \\\"q\\\"\\n\\u0001\\u001f\\t\\b\\f\\r\\\\/\"\n");
    check_emit("3", NULL, 0, "3\n");
    check_emit("1.5", NULL, 0, "1.5\n");
    check_emit("null", NULL, 0, "null\n");
    check_emit("true", NULL, 0, "true\n");
    check_emit("false", NULL, 0, "false\n");
    /* yaml-stream: the scalar in a list, as YAML */
    check_emit("\"OFF\"", NULL, 1, "- OFF\n");
    check_emit("\"true\"", NULL, 1, "- 'true'\n");
    check_emit("3", NULL, 1, "- 3\n");
    check_emit("null", NULL, 1, "- null\n");
    check_emit("\"caf\\u00e9\\u0001\"", NULL, 1, "- \"caf\xc3\xa9\\x01\"\n");
}

static void test_emit_numbers(void)
{
    static const struct cmfa_shape dbl = {.name = "D", .type = CMFA_SHAPE_DOUBLE};
    static const struct {
        const char *json, *want;
    } table[] = {
        {"0", "K: 0\n"},
        {"-0", "K: 0\n"},
        {"123456789", "K: 123456789\n"},
        {"-42", "K: -42\n"},
        {"1.5", "K: 1.5\n"},
        {"-0.5", "K: -0.5\n"},
        {"0.1", "K: 0.1\n"},
        {"0.0001", "K: 0.0001\n"},
        {"0.00001", "K: 1e-05\n"},
        {"1.5e-7", "K: 1.5e-07\n"},
        {"123456789012.5", "K: 123456789012.5\n"},
        {"3.141592653589793", "K: 3.141592653589793\n"},
        {"1733121435.056", "K: 1733121435.056\n"},
        {"4503599627370497", "K: 4503599627370497\n"},
        {"1e300", "K: 1e+300\n"},
        {"1e16", "K: 1e+16\n"},
        {"9999999999999998", "K: 9999999999999998\n"},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        char json[400];
        snprintf(json, sizeof(json), "{\"K\":%s}", table[i].json);
        check_emit(json, NULL, 0, table[i].want);
    }
    /* values built in C: non-finite numbers as YAML's .nan / .inf, JSON's NaN / Infinity */
    {
        struct cmfa_value *v = cmfa_value_new_object();
        char *t;

        cmfa_value_set(v, "a", cmfa_value_new_number(1.0 / 0.0));
        cmfa_value_set(v, "b", cmfa_value_new_number(-1.0 / 0.0));
        cmfa_value_set(v, "c", cmfa_value_new_number(0.0 / 0.0));
        t = cmfa_value_to_yaml(v, NULL, 0, NULL, NULL);
        CHECK_STR(t, "a: .inf\nb: -.inf\nc: .nan\n");
        cmfa_free(t);
        t = cmfa_value_to_yaml(cmfa_value_get(v, "b"), NULL, 0, NULL, NULL);
        CHECK_STR(t, "-Infinity\n");
        cmfa_free(t);
        t = cmfa_value_to_yaml(cmfa_value_get(v, "c"), NULL, 0, NULL, NULL);
        CHECK_STR(t, "NaN\n");
        cmfa_free(t);
        cmfa_value_free(v);
    }
    /* the model decides: a double member keeps its fraction, an integer member has none */
    {
        struct cmfa_value *v = parse_json("{\"EstimatedNumberOfUsers\":7.0,\"X\":7.0}");
        struct cmfa_value *d = parse_json("2");
        char *t = cmfa_value_to_yaml(v, shape("UserPoolType"), 0, NULL, NULL);

        CHECK_STR(t, "EstimatedNumberOfUsers: 7\nX: 7\n");
        cmfa_free(t);
        t = cmfa_value_to_yaml(d, &dbl, 0, NULL, NULL);
        CHECK_STR(t, "2.0\n");
        cmfa_free(t);
        t = cmfa_value_to_yaml(d, &dbl, 1, NULL, NULL);
        CHECK_STR(t, "- 2.0\n");
        cmfa_free(t);
        cmfa_value_free(d);
        cmfa_value_free(v);
        /* an integer member holding a fraction is not rounded: nothing is lost */
        v = parse_json("{\"EstimatedNumberOfUsers\":7.25}");
        t = cmfa_value_to_yaml(v, shape("UserPoolType"), 0, NULL, NULL);
        CHECK_STR(t, "EstimatedNumberOfUsers: 7.25\n");
        cmfa_free(t);
        cmfa_value_free(v);
    }
}

/* Strings: plain when they read back as the same string, quoted otherwise. Expected texts
 * from the AWS CLI's dumper. */
static void test_emit_quoting(void)
{
    static const struct {
        const char *in, *want;
    } table[] = {
        {"true", "K: 'true'\n"},
        {"True", "K: 'True'\n"},
        {"TRUE", "K: 'TRUE'\n"},
        {"false", "K: 'false'\n"},
        {"123", "K: '123'\n"},
        {"-12", "K: '-12'\n"},
        {"+7", "K: '+7'\n"},
        {"0x1F", "K: '0x1F'\n"},
        {"0o17", "K: '0o17'\n"},
        {"0b101", "K: '0b101'\n"},
        {"1_000", "K: '1_000'\n"},
        {"1.5", "K: '1.5'\n"},
        {"1e3", "K: '1e3'\n"},
        {".5", "K: '.5'\n"},
        {".inf", "K: '.inf'\n"},
        {"-.Inf", "K: '-.Inf'\n"},
        {".NaN", "K: '.NaN'\n"},
        {"~", "K: '~'\n"},
        {"null", "K: 'null'\n"},
        {"NULL", "K: 'NULL'\n"},
        {"", "K: ''\n"},
        {"2024-01-02", "K: '2024-01-02'\n"},
        {"2024-1-2 3:04:05", "K: '2024-1-2 3:04:05'\n"},
        {"2024-01-02T10:20:30.5Z", "K: '2024-01-02T10:20:30.5Z'\n"},
        {"<<", "K: '<<'\n"},
        {"=", "K: '='\n"},
        {"!", "K: '!'\n"},
        {"&", "K: '&'\n"},
        {"*", "K: '*'\n"},
        {"OFF", "K: OFF\n"},
        {"ON", "K: ON\n"},
        {"yes", "K: yes\n"},
        {"no", "K: no\n"},
        {"y", "K: y\n"},
        {"-x", "K: -x\n"},
        {"- x", "K: '- x'\n"},
        {"a: b", "K: 'a: b'\n"},
        {"a:b", "K: a:b\n"},
        {"#x", "K: '#x'\n"},
        {"x #y", "K: 'x #y'\n"},
        {"x# y", "K: x# y\n"},
        {" lead", "K: ' lead'\n"},
        {"trail ", "K: 'trail '\n"},
        {"a\nb", "K: 'a\n\n  b'\n"},
        {"\xc3""\xa9""t\xc3""\xa9""", "K: \xc3""\xa9""t\xc3""\xa9""\n"},
        {"\x07""bell", "K: \"\\abell\"\n"},
        {"_", "K: _\n"},
        {"-_", "K: '-_'\n"},
        {"._5", "K: '._5'\n"},
        {"[a]", "K: '[a]'\n"},
        {"{a}", "K: '{a}'\n"},
        {"a,b", "K: a,b\n"},
        {"@at", "K: '@at'\n"},
        {"`tick", "K: '`tick'\n"},
        {"%pct", "K: '%pct'\n"},
        {"'q'", "K: '''q'''\n"},
        {"\"dq\"", "K: '\"dq\"'\n"},
        {"|pipe", "K: '|pipe'\n"},
        {">gt", "K: '>gt'\n"},
        {"?q", "K: ?q\n"},
        {"? q", "K: '? q'\n"},
        {"key:", "K: 'key:'\n"},
        {"Your code is {####}", "K: Your code is {####}\n"},
        {"{####} is your code", "K: '{####} is your code'\n"},
        {"arn:aws:iam::123456789012:role/sms", "K: arn:aws:iam::123456789012:role/sms\n"},
        {"us-east-1_AbC123", "K: us-east-1_AbC123\n"},
        {"http://x/y?a=b#c", "K: http://x/y?a=b#c\n"},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "K: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"},
        {"a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a ", "K: 'a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a\n  a a a a a a '\n"},
        {"tab\there", "K: \"tab\\there\"\n"},
        {"\xe2""\x80""\xa8""", "K: '\xe2""\x80""\xa8""  '\n"},
        {"\xef""\xbb""\xbf""", "K: \"\\uFEFF\"\n"},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        struct cmfa_value *v = cmfa_value_new_object(), *back;
        struct cmfa_error err;
        char *t;

        cmfa_value_set(v, "K", cmfa_value_new_string(table[i].in, strlen(table[i].in)));
        t = cmfa_value_to_yaml(v, NULL, 0, NULL, NULL);
        CHECK_MSG(t && strcmp(t, table[i].want) == 0, "case %zu (%s): got %s", i, table[i].in,
                  t ? t : "(null)");
        /* and it reads back as the same string, with or without a model */
        cmfa_error_init(&err);
        back = t ? cmfa_value_parse_yaml(t, strlen(t), NULL, &err) : NULL;
        CHECK_MSG(back && same(back, v), "case %zu (%s) does not read back: %s", i,
                  table[i].in, err.message);
        cmfa_value_free(back);
        cmfa_error_cleanup(&err);
        cmfa_free(t);
        cmfa_value_free(v);
    }
}

static void check_emit_fails(struct cmfa_value *v, int stream, const char *message)
{
    struct cmfa_error err;
    size_t len = 5;
    char *t;

    cmfa_error_init(&err);
    t = cmfa_value_to_yaml(v, NULL, stream, &len, &err);
    CHECK(t == NULL);
    CHECK_INT(len, 0);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    CHECK_MSG(strstr(err.message, message) != NULL, "message: %s (want %s)", err.message,
              message);
    cmfa_free(t);
    cmfa_error_cleanup(&err);
}

static void test_emit_errors(void)
{
    struct cmfa_value *v, *inner, *cur;
    int i;

    check_emit_fails(NULL, 0, "no value");
    /* invalid UTF-8 (cJSON passes raw bytes through): refused, not mangled, path named */
    v = parse_json("{\"A\":{\"B\":[\"ok\",\"\xff\xfe\"]}}");
    check_emit_fails(v, 0, "A.B[1]");
    check_emit_fails(v, 0, "not valid UTF-8");
    cmfa_value_free(v);
    v = parse_json("{\"\xc3\x28\":1}");
    check_emit_fails(v, 1, "not valid UTF-8");
    cmfa_value_free(v);
    v = parse_json("\"\xed\xa0\x80\""); /* a UTF-16 surrogate in UTF-8 */
    check_emit_fails(v, 0, "not valid UTF-8");
    check_emit_fails(v, 1, "not valid UTF-8");
    cmfa_value_free(v);
    /* deeper than 64 levels */
    v = cmfa_value_new_object();
    cur = v;
    for (i = 0; i < 70; i++) {
        inner = cmfa_value_new_object();
        cmfa_value_set(cur, "k", inner);
        cur = inner;
    }
    check_emit_fails(v, 0, "deeper than 64");
    cmfa_value_free(v);
    /* 63 levels below the root are fine */
    v = cmfa_value_new_object();
    cur = v;
    for (i = 0; i < 63; i++) {
        inner = cmfa_value_new_object();
        cmfa_value_set(cur, "k", inner);
        cur = inner;
    }
    {
        char *t = cmfa_value_to_yaml(v, NULL, 0, NULL, NULL);
        CHECK(t != NULL);
        cmfa_free(t);
    }
    cmfa_value_free(v);
}

/* ------------------------------------------------------------------ parse */

static struct cmfa_value *yaml(const char *text, const char *shape_name)
{
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa_value_parse_yaml(text, strlen(text), shape(shape_name), &err);
    CHECK_MSG(v != NULL, "%s: %s", text, err.message);
    CHECK_INT(err.code, CMFA_OK);
    cmfa_error_cleanup(&err);
    return v;
}

/* Parses text and compares with the JSON value want. */
static void check_parse(const char *text, const char *shape_name, const char *want)
{
    struct cmfa_value *v = yaml(text, shape_name), *w = parse_json(want);
    char *got = v ? cmfa_value_to_json(v, 0, NULL) : NULL;

    CHECK_MSG(v && same(v, w), "%s\n  got:  %s\n  want: %s", text, got ? got : "(null)", want);
    cmfa_free(got);
    cmfa_value_free(v);
    cmfa_value_free(w);
}

static void test_parse_typing(void)
{
    const char *set = "SetUserPoolMfaConfigRequest", *list = "ListUserPoolsRequest";

    /* guided by the model: a string member keeps the text, boolean and number members convert */
    check_parse("UserPoolId: us-east-1_abc\n"
                "MfaConfiguration: OFF\n"
                "SoftwareTokenMfaConfiguration:\n"
                "  Enabled: true\n"
                "SmsMfaConfiguration:\n"
                "  SmsAuthenticationMessage: Your code is {####}\n"
                "  SmsConfiguration:\n"
                "    ExternalId: 00123\n"
                "    SnsCallerArn: arn:aws:iam::123456789012:role/sms\n"
                "    SnsRegion: 2024-01-02\n",
                set,
                "{\"UserPoolId\":\"us-east-1_abc\",\"MfaConfiguration\":\"OFF\","
                "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},\"SmsMfaConfiguration\":"
                "{\"SmsAuthenticationMessage\":\"Your code is {####}\",\"SmsConfiguration\":"
                "{\"ExternalId\":\"00123\",\"SnsCallerArn\":\"arn:aws:iam::123456789012:role/sms\","
                "\"SnsRegion\":\"2024-01-02\"}}}");
    check_parse("UserPoolId: true\nMfaConfiguration: null\nSmsMfaConfiguration: ~\n"
                "EmailMfaConfiguration:\n", set,
                "{\"UserPoolId\":\"true\",\"MfaConfiguration\":null,\"SmsMfaConfiguration\":null,"
                "\"EmailMfaConfiguration\":null}");
    /* quoted: always a string, even where the model wants a boolean or a number (validation
     * then names it); plain text that is no boolean stays text */
    check_parse("SoftwareTokenMfaConfiguration: {Enabled: 'true'}", set,
                "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":\"true\"}}");
    check_parse("SoftwareTokenMfaConfiguration: {Enabled: yes}", set,
                "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":\"yes\"}}");
    check_parse("SoftwareTokenMfaConfiguration: {Enabled: False}", set,
                "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":false}}");
    check_parse("MaxResults: 10\nNextToken: 123", list,
                "{\"MaxResults\":10,\"NextToken\":\"123\"}");
    check_parse("MaxResults: '10'\nNextToken: \"abc\"", list,
                "{\"MaxResults\":\"10\",\"NextToken\":\"abc\"}");
    check_parse("MaxResults: 1_000", list, "{\"MaxResults\":1000}");
    check_parse("MaxResults: 99999999999", list, "{\"MaxResults\":99999999999}");
    /* no model: YAML 1.2 core types */
    check_parse("a: 0x1F\nb: 0o17\nc: 0b101\nd: 1_000\ne: -12\nf: +7\ng: 012\n", NULL,
                "{\"a\":31,\"b\":15,\"c\":5,\"d\":1000,\"e\":-12,\"f\":7,\"g\":12}");
    check_parse("a: 1.5\nb: 1e3\nc: .5\nd: -1.25e-2\ne: 1.\n", NULL,
                "{\"a\":1.5,\"b\":1000,\"c\":0.5,\"d\":-0.0125,\"e\":1}");
    check_parse("a: true\nb: FALSE\nc: yes\nd: on\ne: OFF\nf: ~\ng: Null\nh:\n", NULL,
                "{\"a\":true,\"b\":false,\"c\":\"yes\",\"d\":\"on\",\"e\":\"OFF\",\"f\":null,"
                "\"g\":null,\"h\":null}");
    check_parse("a: 2024-01-02\nb: 2024-01-02T10:20:30Z\nc: <<x\nd: '='\n", NULL,
                "{\"a\":\"2024-01-02\",\"b\":\"2024-01-02T10:20:30Z\",\"c\":\"<<x\",\"d\":\"=\"}");
    check_parse("a: [1, 'x', [true]]\nb: {c: {}}\nd: []\n", NULL,
                "{\"a\":[1,\"x\",[true]],\"b\":{\"c\":{}},\"d\":[]}");
    check_parse("a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n", NULL,
                "{\"a\":\"line one\\nline two\\n\",\"b\":\"folded text\"}");
    check_parse("a: \"caf\\u00e9 \\t \\x41\"\n# a comment\nb: 'it''s' # another\n", NULL,
                "{\"a\":\"caf\\u00e9 \\t A\",\"b\":\"it's\"}");
    /* explicit standard tags */
    check_parse("a: !!str 12\nb: !!int \"12\"\nc: !!float 3\nd: !!bool true\ne: !!null ''\n"
                "f: !!map {x: 1}\ng: !!seq [1]\nh: ! 12\n", NULL,
                "{\"a\":\"12\",\"b\":12,\"c\":3,\"d\":true,\"e\":null,\"f\":{\"x\":1},"
                "\"g\":[1],\"h\":\"12\"}");
    /* members the model does not know are kept (validation reports them) */
    check_parse("UserPoolId: x_y\nBogus: 12\n", set, "{\"UserPoolId\":\"x_y\",\"Bogus\":12}");
    /* quoted keys that look like other types are strings; complex keys are fine */
    check_parse("'1': a\n\"true\": b\n? long key\n: c\n", NULL,
                "{\"1\":\"a\",\"true\":\"b\",\"long key\":\"c\"}");
    /* one document with markers, a BOM, CRLF line ends, a %YAML directive */
    check_parse("\xef\xbb\xbf%YAML 1.2\n---\r\na: 1\r\n...\n", NULL, "{\"a\":1}");
    /* what the skeleton prints reads back, and validates once filled in */
    {
        struct cmfa_error err;
        struct cmfa_value *v = yaml("UserPoolId: us-east-1_abc  # [REQUIRED] x\n"
                                    "SoftwareTokenMfaConfiguration: # y\n"
                                    "  Enabled: true  # z\n"
                                    "MfaConfiguration: OFF # Valid values are: OFF, ON.\n",
                                    set);
        cmfa_error_init(&err);
        CHECK_INT(cmfa_validate("SetUserPoolMfaConfig", v, &err), CMFA_OK);
        cmfa_error_cleanup(&err);
        cmfa_value_free(v);
        v = yaml("UserPoolId: us-east-1_abc\nSoftwareTokenMfaConfiguration: {Enabled: 'true'}\n",
                 set);
        cmfa_error_init(&err);
        CHECK_INT(cmfa_validate("SetUserPoolMfaConfig", v, &err), CMFA_E_VALIDATION);
        CHECK_INT(err.nviolations, 1);
        if (err.nviolations)
            CHECK_STR(err.violations[0].path, "SoftwareTokenMfaConfiguration.Enabled");
        cmfa_error_cleanup(&err);
        cmfa_value_free(v);
    }
}

static void check_parse_fails(const char *text, size_t len, const char *message)
{
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa_value_parse_yaml(text, len, shape("SetUserPoolMfaConfigRequest"), &err);
    CHECK_MSG(v == NULL, "%s: parsed", text);
    CHECK_MSG(err.code == CMFA_E_BAD_ARGUMENT, "%s: code %s", text, cmfa_code_name(err.code));
    CHECK_MSG(strstr(err.message, message) != NULL, "%s\n  message: %s\n  want:    %s", text,
              err.message, message);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
}

#define FAILS(text, message) check_parse_fails(text, strlen(text), message)

static void test_parse_errors(void)
{
    char *big;
    size_t i;
    struct cmfa__buf b;

    FAILS("", "line 1, column 1: expected a mapping, found an empty document");
    FAILS("# only a comment\n", "expected a mapping, found an empty document");
    FAILS("---\n", "line 2, column 1: expected a mapping, found nothing");
    FAILS("null\n", "line 1, column 1: expected a mapping, found null");
    FAILS("- a\n- b\n", "line 1, column 1: expected a mapping, found a sequence");
    FAILS("hello", "line 1, column 1: expected a mapping, found a scalar");
    FAILS("\n\n  'x'\n", "line 3, column 3: expected a mapping, found a scalar");
    FAILS("a: 1\n---\nb: 2\n", "line 2, column 1: expected one document, found a second one");
    FAILS("a: 1\n...\n---\nb: 2\n", "line 3, column 1: expected one document");
    FAILS("a: &x 1\nb: *x\n", "line 1, column 4: anchors are not allowed");
    FAILS("a: &x [1]\n", "line 1, column 4: anchors are not allowed");
    FAILS("&x a: 1\n", "line 1, column 1: anchors are not allowed");
    FAILS("a:\n  - *x\n", "line 2, column 5: aliases are not allowed");
    FAILS("? *x\n: 1\n", "line 1, column 3: aliases are not allowed");
    FAILS("a: {b: 1}\n<<: {c: 2}\n", "line 2, column 1: merge keys (<<) are not allowed");
    FAILS("1: a\n", "line 1, column 1: keys must be strings, \"1\" reads as a integer (quote it)");
    FAILS("a:\n  true: x\n", "line 2, column 3: keys must be strings, \"true\" reads as a boolean");
    FAILS("~: x\n", "keys must be strings, \"~\" reads as a null");
    FAILS(": x\n", "line 1, column 1: did not find expected key");
    FAILS("?\n: x\n", "line 1, column 2: keys must be strings, \"\" reads as a null");
    FAILS("2024-01-02: x\n", "reads as a timestamp");
    FAILS("? [a]\n: b\n", "line 1, column 3: keys must be strings, found a sequence");
    FAILS("{a: 1}: b\n", "keys must be strings, found a mapping");
    FAILS("!!int '1': a\n", "line 1, column 1: keys must be strings (tag tag:yaml.org,2002:int)");
    FAILS("a: 1\nb: 2\na: 3\n", "line 3, column 1: duplicate key \"a\"");
    FAILS("x:\n  a: 1\n  'a': 2\n", "line 3, column 3: duplicate key \"a\"");
    FAILS("a: [1\n", "line 2, column 1: did not find expected ',' or ']'");
    FAILS("a: b: c\n", "line 1, column 5: mapping values are not allowed in this context");
    FAILS("a: 'open\n", "found unexpected end of stream");
    FAILS("a:\n\tb: 1\n", "line 2, column 1:");
    FAILS("a: 1\n b: 2\n", "line 2, column 3:");
    FAILS("a: !!binary aGVsbG8=\n", "line 1, column 4: the tag tag:yaml.org,2002:binary is not supported");
    FAILS("a: !custom x\n", "the tag !custom is not supported");
    FAILS("a: !!set {x}\n", "the tag tag:yaml.org,2002:set is not supported");
    FAILS("a: !!int abc\n", "line 1, column 4: \"abc\" is not a valid int");
    FAILS("a: !!bool yes\n", "\"yes\" is not a valid bool");
    FAILS("a: \"x\\0y\"\n", "line 1, column 4: a NUL character cannot be read into a string");
    FAILS("\"a\\0\": 1\n", "a NUL character cannot be read into a key");
    FAILS("a: \xff\n", "byte offset 3: invalid leading UTF-8 octet");
    FAILS("a: \xc3\n", "byte offset 4: invalid trailing UTF-8 octet");
    FAILS("a: \xc3", "incomplete UTF-8 octet sequence");
    check_parse_fails("a: x\0y\n", 7, "control characters are not allowed");
    FAILS("a: \x01\n", "control characters are not allowed");

    /* depth: 64 levels are fine, 65 are not */
    cmfa__buf_init(&b, 0);
    cmfa__buf_addstr(&b, "a: ");
    for (i = 0; i < 63; i++)
        cmfa__buf_addc(&b, '[');
    for (i = 0; i < 63; i++)
        cmfa__buf_addc(&b, ']');
    {
        struct cmfa_value *v = yaml(b.data, NULL);
        cmfa_value_free(v);
    }
    cmfa__buf_reset(&b);
    cmfa__buf_addstr(&b, "a: ");
    for (i = 0; i < 64; i++)
        cmfa__buf_addc(&b, '[');
    for (i = 0; i < 64; i++)
        cmfa__buf_addc(&b, ']');
    FAILS(b.data, "line 1, column 67: nested deeper than 64 levels");
    /* a deep unterminated nest stops at the limit, not at the end of memory */
    cmfa__buf_reset(&b);
    cmfa__buf_addstr(&b, "a: ");
    for (i = 0; i < 100000; i++)
        cmfa__buf_addc(&b, '[');
    FAILS(b.data, "nested deeper than 64 levels");
    /* too many values, too many keys */
    cmfa__buf_reset(&b);
    cmfa__buf_addstr(&b, "a: [");
    for (i = 0; i < 100001; i++)
        cmfa__buf_addstr(&b, "1,");
    cmfa__buf_addstr(&b, "]");
    FAILS(b.data, "more than 100000 values");
    cmfa__buf_reset(&b);
    for (i = 0; i < 10001; i++)
        cmfa__buf_printf(&b, "k%zu: 1\n", i);
    FAILS(b.data, "line 10001, column 1: more than 10000 keys in one mapping");
    cmfa__buf_cleanup(&b);
    /* size */
    big = malloc((size_t)16 * 1024 * 1024 + 2);
    if (big) {
        memset(big, ' ', (size_t)16 * 1024 * 1024 + 1);
        memcpy(big, "a: 1", 4);
        check_parse_fails(big, (size_t)16 * 1024 * 1024 + 1, "YAML text is larger than");
        free(big);
    }
    /* NULL text */
    {
        struct cmfa_error err;
        cmfa_error_init(&err);
        CHECK(cmfa_value_parse_yaml(NULL, 3, NULL, &err) == NULL);
        CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
        cmfa_error_cleanup(&err);
        cmfa_error_init(&err);
        CHECK(cmfa_value_parse_yaml(NULL, 0, NULL, &err) == NULL);
        CHECK_MSG(strstr(err.message, "empty document") != NULL, "%s", err.message);
        cmfa_error_cleanup(&err);
    }
    /* a billion laughs never gets going: the first anchor is refused */
    FAILS("a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n", "anchors are not allowed");
}

/* ------------------------------------------------------------------ round trips */

static void check_round_trip(const char *json, const char *shape_name, int with_shape_back)
{
    struct cmfa_value *v = parse_json(json), *back = NULL;
    struct cmfa_error err;
    char *t;

    cmfa_error_init(&err);
    t = cmfa_value_to_yaml(v, shape(shape_name), 0, NULL, &err);
    CHECK_MSG(t != NULL, "%s: %s", json, err.message);
    if (t)
        back = cmfa_value_parse_yaml(t, strlen(t), with_shape_back ? shape(shape_name) : NULL,
                                     &err);
    CHECK_MSG(back && same(v, back), "%s\n  yaml: %s\n  error: %s", json, t ? t : "(null)",
              err.message);
    cmfa_value_free(back);
    cmfa_free(t);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
}

static void test_round_trips(void)
{
    check_round_trip(describe_json, "DescribeUserPoolResponse", 1);
    check_round_trip(describe_json, "DescribeUserPoolResponse", 0);
    check_round_trip("{\"UserPoolId\":\"us-east-1_abc\",\"MfaConfiguration\":\"OPTIONAL\","
                     "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},"
                     "\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"{####} is it\","
                     "\"SmsConfiguration\":{\"SnsCallerArn\":\"arn:aws:iam::1:role/x\","
                     "\"ExternalId\":\"0x10\",\"SnsRegion\":\"\"}},"
                     "\"EmailMfaConfiguration\":{\"Message\":\"line\\nbreak {####}\","
                     "\"Subject\":\"  spaced  \"}}",
                     "SetUserPoolMfaConfigRequest", 1);
    check_round_trip("{\"a\":[[],[{}],{\"b\":null}],\"c\":-0.5,\"d\":1e-300,\"e\":12345678901234,"
                     "\"f\":\"\\u2028\\u0085\\u00a0\\ufeff \\u0001\\u007f\\ud83d\\ude00\","
                     "\"g\":\"'\\\"\\\\ # : - ? [ ] { } , & * ! | > % @ `\",\"h\":\"\\t x \\t\","
                     "\"i\":\"a\\n\\nb\\n\",\"j\":\"\\r\\n\",\"k\":\" \",\"l\":\"...\","
                     "\"m\":\"---\",\"n\":\"- \",\"o\":\"? \",\"p\":\"#\"}",
                     NULL, 0);
    {
        /* long lines are folded by the emitter and unfolded by the parser */
        struct cmfa__buf b;
        int i;

        cmfa__buf_init(&b, 0);
        cmfa__buf_addstr(&b, "{\"long\":\"");
        for (i = 0; i < 60; i++)
            cmfa__buf_addstr(&b, "word  w\\u00e9rd ");
        cmfa__buf_addstr(&b, "\",\"nospace\":\"");
        for (i = 0; i < 300; i++)
            cmfa__buf_addc(&b, 'x');
        cmfa__buf_addstr(&b, "\"}");
        check_round_trip(b.data, NULL, 0);
        cmfa__buf_cleanup(&b);
    }
}

/* ------------------------------------------------------------------ skeleton */

static void check_skeleton(const char *op, const struct cmfa_yaml_skeleton_options *opts,
                           const char *want)
{
    struct cmfa_error err;
    size_t len = 0;
    char *t;

    cmfa_error_init(&err);
    t = cmfa_yaml_skeleton(op, opts, &len, &err);
    CHECK_MSG(t != NULL, "%s: %s", op, err.message);
    CHECK_STR(t, want);
    if (t)
        CHECK_INT(len, strlen(want));
    cmfa_free(t);
    cmfa_error_cleanup(&err);
}

static void test_skeleton(void)
{
    /* the model alone: [REQUIRED] and enum values; the comment column as ruamel.yaml places it
     * (two spaces unless an earlier key of the mapping, up to the first that sorts at or after
     * this one, has a comment) */
    check_skeleton("SetUserPoolMfaConfig", NULL,
                   "UserPoolId: ''  # [REQUIRED]\n"
                   "SmsMfaConfiguration:\n"
                   "  SmsAuthenticationMessage: ''\n"
                   "  SmsConfiguration:\n"
                   "    SnsCallerArn: ''\n"
                   "    ExternalId: ''\n"
                   "    SnsRegion: ''\n"
                   "    EumsSms:\n"
                   "      CallerArn: ''  # [REQUIRED]\n"
                   "      ExternalId: ''\n"
                   "      OriginationIdentity: ''\n"
                   "      ConfigurationSetName: ''\n"
                   "      InEntityId: ''\n"
                   "      InTemplateId: ''\n"
                   "      Region: ''\n"
                   "SoftwareTokenMfaConfiguration:\n"
                   "  Enabled: true\n"
                   "EmailMfaConfiguration:\n"
                   "  Message: ''\n"
                   "  Subject: ''\n"
                   "MfaConfiguration: OFF  # Valid values are: OFF, ON, OPTIONAL.\n"
                   "WebAuthnConfiguration:\n"
                   "  RelyingPartyId: ''\n"
                   "  UserVerification: required  # Valid values are: required, preferred.\n"
                   "  FactorConfiguration: SINGLE_FACTOR # Valid values are: SINGLE_FACTOR, "
                   "MULTI_FACTOR_WITH_USER_VERIFICATION.\n");
    check_skeleton("GetUserPoolMfaConfig", NULL, "UserPoolId: ''  # [REQUIRED]\n");
    check_skeleton("DescribeUserPool", NULL, "UserPoolId: ''  # [REQUIRED]\n");
    check_skeleton("ListUserPools", NULL, "NextToken: ''\nMaxResults: 0  # [REQUIRED]\n");
    /* with documentation: every member gets a comment, the first two spaces */
    {
        static const struct cmfa_yaml_doc docs[] = {
            {"ListUserPoolsRequest.NextToken", "Where to go on."},
            {"ListUserPoolsRequest.MaxResults", "How many."},
            {"SetUserPoolMfaConfigRequest.UserPoolId", "The pool."},
            {"SetUserPoolMfaConfigRequest.MfaConfiguration", "MFA."},
            {"SetUserPoolMfaConfigRequest.SoftwareTokenMfaConfiguration", "TOTP."},
            {"SoftwareTokenMfaConfigType.Enabled", "On or off."},
        };
        struct cmfa_yaml_skeleton_options opts = {docs, CMFA__ARRAY_LEN(docs), 0};

        check_skeleton("ListUserPools", &opts,
                       "NextToken: ''  # Where to go on.\n"
                       "MaxResults: 0 # [REQUIRED] How many.\n");
        /* documented_only: the members an older model has, in this model's order */
        opts.documented_only = 1;
        check_skeleton("SetUserPoolMfaConfig", &opts,
                       "UserPoolId: ''  # [REQUIRED] The pool.\n"
                       "SoftwareTokenMfaConfiguration: # TOTP.\n"
                       "  Enabled: true  # On or off.\n"
                       "MfaConfiguration: OFF # MFA. Valid values are: OFF, ON, OPTIONAL.\n");
        check_skeleton("GetUserPoolMfaConfig", &opts, "{}\n");
        /* docs given but a member has none: an empty part, as the AWS CLI joins them */
        opts.documented_only = 0;
        opts.ndocs = 2;
        check_skeleton("GetUserPoolMfaConfig", &opts, "UserPoolId: ''  # [REQUIRED] \n");
    }
    {
        struct cmfa_error err;
        cmfa_error_init(&err);
        CHECK(cmfa_yaml_skeleton("NoSuchOperation", NULL, NULL, &err) == NULL);
        CHECK_INT(err.code, CMFA_E_UNKNOWN_OPERATION);
        cmfa_error_cleanup(&err);
        cmfa_error_init(&err);
        CHECK(cmfa_yaml_skeleton(NULL, NULL, NULL, &err) == NULL);
        CHECK_INT(err.code, CMFA_E_UNKNOWN_OPERATION);
        cmfa_error_cleanup(&err);
    }
    /* every skeleton reads back with the operation's input shape */
    {
        const struct cmfa_operation *op;
        size_t i;

        for (i = 0; (op = cmfa_model_operation_at(i)) != NULL; i++) {
            char *t = cmfa_yaml_skeleton(op->name, NULL, NULL, NULL);
            struct cmfa_value *v = t ? yaml(t, op->input->name) : NULL;
            CHECK_MSG(v != NULL, "%s skeleton does not read back", op->name);
            cmfa_value_free(v);
            cmfa_free(t);
        }
    }
}

/* ------------------------------------------------------------------ allocation failures */

static const char *alloc_json;
static const char *alloc_shape;
static int alloc_stream;

static cmfa_code op_emit(void)
{
    struct cmfa_value *v;
    struct cmfa_error err;
    cmfa_code rc;
    char *t;

    cmfa_error_init(&err);
    v = cmfa_value_parse(alloc_json, strlen(alloc_json), &err);
    if (!v) {
        rc = err.code;
        cmfa_error_cleanup(&err);
        return rc;
    }
    t = cmfa_value_to_yaml(v, alloc_shape ? cmfa_model_shape(alloc_shape) : NULL, alloc_stream,
                           NULL, &err);
    rc = t ? CMFA_OK : err.code;
    if (!t && rc == CMFA_OK)
        rc = CMFA_E_INTERNAL;
    if (t)
        CHECK_MSG(err.code == CMFA_OK, "error set on success: %s", err.message);
    cmfa_free(t);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
    return rc;
}

static const char *alloc_yaml;

static cmfa_code op_parse(void)
{
    struct cmfa_value *v;
    struct cmfa_error err;
    cmfa_code rc;

    cmfa_error_init(&err);
    v = cmfa_value_parse_yaml(alloc_yaml, strlen(alloc_yaml),
                              alloc_shape ? cmfa_model_shape(alloc_shape) : NULL, &err);
    rc = v ? CMFA_OK : err.code;
    if (!v && rc == CMFA_OK)
        rc = CMFA_E_INTERNAL;
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
    return rc;
}

static cmfa_code op_parse_error(void)
{
    cmfa_code rc = op_parse();

    /* the expected refusal counts as success; memory failures before it as NOMEM */
    return rc == CMFA_E_BAD_ARGUMENT ? CMFA_OK : rc;
}

static cmfa_code op_skeleton(void)
{
    static const struct cmfa_yaml_doc docs[] = {{"SetUserPoolMfaConfigRequest.UserPoolId", "x"}};
    struct cmfa_yaml_skeleton_options opts = {docs, 1, 0};
    struct cmfa_error err;
    cmfa_code rc;
    char *t;

    cmfa_error_init(&err);
    t = cmfa_yaml_skeleton("SetUserPoolMfaConfig", &opts, NULL, &err);
    rc = t ? CMFA_OK : err.code;
    cmfa_free(t);
    cmfa_error_cleanup(&err);
    return rc;
}

static void test_alloc(void)
{
    alloc_json = describe_json;
    alloc_shape = "DescribeUserPoolResponse";
    alloc_stream = 0;
    alloc_loop("emit DescribeUserPool", op_emit);
    alloc_stream = 1;
    alloc_loop("emit DescribeUserPool as a stream", op_emit);
    alloc_json = "\"caf\\u00e9\"";
    alloc_shape = NULL;
    alloc_stream = 0;
    alloc_loop("emit a top-level string", op_emit);
    alloc_json = "{\"b\":[1,2.5,null,true,\"x\"],\"a\":{}}";
    alloc_loop("emit a small document", op_emit);

    alloc_yaml = describe_yaml;
    alloc_shape = "DescribeUserPoolResponse";
    alloc_loop("parse DescribeUserPool", op_parse);
    alloc_yaml = "UserPoolId: x_y\nMfaConfiguration: ON\nSoftwareTokenMfaConfiguration: "
                 "{Enabled: true}\nList: [0x10, 1.5, ~, 'q', !!str 5]\n";
    alloc_shape = "SetUserPoolMfaConfigRequest";
    alloc_loop("parse SetUserPoolMfaConfig input", op_parse);
    alloc_yaml = "a: 1\nb: [1, {c: 2}]\na: 3\n";
    alloc_shape = NULL;
    alloc_loop("parse with a duplicate key", op_parse_error);

    alloc_loop("skeleton SetUserPoolMfaConfig", op_skeleton);
}

int main(void)
{
    test_emit_documents();
    test_emit_scalars();
    test_emit_numbers();
    test_emit_quoting();
    test_emit_errors();
    test_parse_typing();
    test_parse_errors();
    test_round_trips();
    test_skeleton();
    test_alloc();
    cmfa_global_cleanup();
    return check_done("test_yaml");
}
