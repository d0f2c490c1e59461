/* Codec: request encoding (types kept, nulls dropped), response decoding (empty body, unknown
 * members kept, JSON types of known members checked, enums/patterns not enforced), the AWS
 * documentation example round trip, and allocation failures. */
#include "check.h"

#include "cmfa_int.h"

#define CHECK_ALLOC_TEST "test_codec"
#include "check_alloc.h"

#define GET "GetUserPoolMfaConfig"
#define SETOP "SetUserPoolMfaConfig"
#define LIST "ListUserPools"
#define DESC "DescribeUserPool"

static struct cmfa_value *parse(const char *json)
{
    struct cmfa_value *v = cmfa_value_parse(json, strlen(json), NULL);

    if (!v) {
        fprintf(stderr, "test input does not parse: %s\n", json);
        abort();
    }
    return v;
}

/* ------------------------------------------------------------------ encode */

static void check_encode(const char *op, const char *in, const char *out)
{
    struct cmfa_value *v = in ? parse(in) : NULL;
    struct cmfa_error err;
    size_t len = 0;
    char *body, *before = v ? cmfa_value_to_json(v, 0, NULL) : NULL;

    cmfa_error_init(&err);
    body = cmfa__encode_request(op ? cmfa_model_operation(op) : NULL, v, &len, &err);
    CHECK_STR(body, out);
    if (body)
        CHECK_INT(len, strlen(out));
    CHECK_INT(err.code, CMFA_OK);
    if (v) { /* the input is left as it was */
        char *after = cmfa_value_to_json(v, 0, NULL);
        CHECK_STR(after, before);
        cmfa_free(after);
    }
    cmfa_free(before);
    cmfa_free(body);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
}

static void test_encode(void)
{
    static const struct {
        const char *op, *in, *out;
    } table[] = {
        {GET, NULL, "{}"},
        {NULL, NULL, "{}"},
        {GET, "{}", "{}"},
        {GET, "{ \"UserPoolId\" : \"us-east-1_abc\" }", "{\"UserPoolId\":\"us-east-1_abc\"}"},
        /* booleans stay booleans, {} stays an object */
        {SETOP, "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":false},\"SmsMfaConfiguration\":{}}",
         "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":false},\"SmsMfaConfiguration\":{}}"},
        {SETOP, "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true}}",
         "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true}}"},
        /* integers are JSON numbers without a fraction */
        {LIST, "{\"MaxResults\":60}", "{\"MaxResults\":60}"},
        {LIST, "{\"MaxResults\":10.0,\"NextToken\":\"a+/=\"}",
         "{\"MaxResults\":10,\"NextToken\":\"a+/=\"}"},
        /* null members are not sent, at any depth; nulls inside arrays stay */
        {SETOP,
         "{\"UserPoolId\":\"x_y\",\"MfaConfiguration\":null,\"SmsMfaConfiguration\":"
         "{\"SmsConfiguration\":null,\"SmsAuthenticationMessage\":\"{####}\"},"
         "\"L\":[null,{\"a\":null,\"b\":1}],\"E\":{\"only\":null}}",
         "{\"UserPoolId\":\"x_y\",\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"{####}\"},"
         "\"L\":[null,{\"b\":1}],\"E\":{}}"},
        {SETOP, "{\"a\":null}", "{}"},
        /* strings: escapes, UTF-8 passes through */
        {SETOP, "{\"S\":\"caf\\u00e9 \\\"q\\\" \\\\ \\n\\t/\"}",
         "{\"S\":\"caf\xc3\xa9 \\\"q\\\" \\\\ \\n\\t/\"}"},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++)
        check_encode(table[i].op, table[i].in, table[i].out);

    /* Only objects are request bodies. */
    {
        static const char *const bad[] = {"[]", "\"x\"", "1", "null", "true"};
        for (i = 0; i < CMFA__ARRAY_LEN(bad); i++) {
            struct cmfa_value *v = parse(bad[i]);
            struct cmfa_error err;
            size_t len = 7;

            cmfa_error_init(&err);
            CHECK(cmfa__encode_request(cmfa_model_operation(GET), v, &len, &err) == NULL);
            CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
            CHECK_INT(len, 0);
            cmfa_error_cleanup(&err);
            cmfa_value_free(v);
        }
    }
    /* Values built through the API encode the same way. */
    {
        struct cmfa_value *v = cmfa_value_new_object(), *totp = cmfa_value_new_object();
        char *body;

        cmfa_value_set(v, "UserPoolId", cmfa_value_new_string("us-east-1_abc", 13));
        cmfa_value_set(totp, "Enabled", cmfa_value_new_bool(1));
        cmfa_value_set(v, "SoftwareTokenMfaConfiguration", totp);
        cmfa_value_set(v, "EmailMfaConfiguration", cmfa_value_new_object());
        cmfa_value_set(v, "MfaConfiguration", cmfa_value_new_null());
        body = cmfa__encode_request(cmfa_model_operation(SETOP), v, NULL, NULL);
        CHECK_STR(body, "{\"UserPoolId\":\"us-east-1_abc\",\"SoftwareTokenMfaConfiguration\":"
                        "{\"Enabled\":true},\"EmailMfaConfiguration\":{}}");
        cmfa_free(body);
        cmfa_value_free(v);
    }
}

/* ------------------------------------------------------------------ decode */

static void test_decode_empty(void)
{
    static const struct {
        const char *body;
        size_t len;
    } table[] = {{NULL, 0}, {"", 0}, {"  \r\n\t", 5}, {"{}", 0}, {"{}", 2}, {" {} ", 4}};
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        struct cmfa_error err;
        struct cmfa_value *v;

        cmfa_error_init(&err);
        v = cmfa__decode_response(cmfa_model_operation(GET), table[i].body, table[i].len, &err);
        CHECK_MSG(v != NULL, "case %zu: %s", i, err.message);
        CHECK_INT(cmfa_value_type(v), CMFA_TYPE_OBJECT);
        CHECK_INT(cmfa_value_count(v), 0);
        CHECK_INT(err.code, CMFA_OK);
        cmfa_value_free(v);
        cmfa_error_cleanup(&err);
    }
}

static void check_decode_fails(const char *op, const char *body, const char *message)
{
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa__decode_response(op ? cmfa_model_operation(op) : NULL, body, strlen(body), &err);
    CHECK_MSG(v == NULL, "%s", body);
    CHECK_INT(err.code, CMFA_E_BAD_RESPONSE);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_TRANSPORT);
    if (message)
        CHECK_STR(err.message, message);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
}

static void test_decode_malformed(void)
{
    check_decode_fails(GET, "<html><body>502 Bad Gateway</body></html>",
                       "malformed response: body is not JSON (invalid JSON at byte offset 0)");
    check_decode_fails(GET, "{\"MfaConfiguration\":\"ON\"",
                       "malformed response: body is not JSON (invalid JSON at byte offset 23)");
    check_decode_fails(GET, "{} trailing",
                       "malformed response: body is not JSON (invalid JSON: unexpected data "
                       "after the value at byte offset 3)");
    check_decode_fails(GET, "[]", "malformed response: body should be a JSON object but is a array");
    check_decode_fails(LIST, "null", "malformed response: body should be a JSON object but is a null");
    check_decode_fails(DESC, "\"x\"", NULL);
    check_decode_fails(NULL, "{\"a\":", NULL); /* generic: still JSON */
}

static void test_decode_type_mismatches(void)
{
    static const struct {
        const char *op, *body, *path, *want, *is;
    } table[] = {
        {GET, "{\"SoftwareTokenMfaConfiguration\":{\"Enabled\":\"true\"}}",
         "SoftwareTokenMfaConfiguration.Enabled", "a boolean", "string"},
        {GET, "{\"MfaConfiguration\":1}", "MfaConfiguration", "a string", "number"},
        {GET, "{\"SmsMfaConfiguration\":[]}", "SmsMfaConfiguration", "an object", "array"},
        {SETOP, "{\"SmsMfaConfiguration\":{\"SmsConfiguration\":{\"EumsSms\":{\"CallerArn\":{}}}}}",
         "SmsMfaConfiguration.SmsConfiguration.EumsSms.CallerArn", "a string", "object"},
        {SETOP, "{\"WebAuthnConfiguration\":{\"UserVerification\":false}}",
         "WebAuthnConfiguration.UserVerification", "a string", "boolean"},
        {LIST,
         "{\"UserPools\":[{\"Id\":\"a_b\",\"CreationDate\":1547763720.822},"
         "{\"Id\":\"c_d\",\"CreationDate\":\"2019-01-17T22:22:00Z\"}]}",
         "UserPools[1].CreationDate", "a number (epoch seconds)", "string"},
        {LIST, "{\"UserPools\":{}}", "UserPools", "an array", "object"},
        {LIST, "{\"UserPools\":[{\"ReplicaRegions\":[\"us-east-1\",5]}]}",
         "UserPools[0].ReplicaRegions[1]", "a string", "number"},
        {LIST, "{\"UserPools\":[\"us-east-1_abc\"]}", "UserPools[0]", "an object", "string"},
        {LIST, "{\"NextToken\":5}", "NextToken", "a string", "number"},
        {LIST, "{\"UserPools\":[{\"LambdaConfig\":\"none\"}]}", "UserPools[0].LambdaConfig",
         "an object", "string"},
        {DESC, "{\"UserPool\":{\"EstimatedNumberOfUsers\":\"12\"}}",
         "UserPool.EstimatedNumberOfUsers", "a number", "string"},
        {DESC, "{\"UserPool\":{\"UserPoolTags\":{\"team\":\"a\",\"cost\":1}}}",
         "UserPool.UserPoolTags.cost", "a string", "number"},
        {DESC, "{\"UserPool\":{\"Policies\":{\"SignInPolicy\":{\"AllowedFirstAuthFactors\":\"PASSWORD\"}}}}",
         "UserPool.Policies.SignInPolicy.AllowedFirstAuthFactors", "an array", "string"},
        {DESC, "{\"UserPool\":{\"LambdaConfig\":{\"PreTokenGenerationConfig\":{\"LambdaVersion\":2}}}}",
         "UserPool.LambdaConfig.PreTokenGenerationConfig.LambdaVersion", "a string", "number"},
        {DESC, "{\"UserPool\":{\"UserPoolAddOns\":{\"AdvancedSecurityMode\":true}}}",
         "UserPool.UserPoolAddOns.AdvancedSecurityMode", "a string", "boolean"},
        {DESC, "{\"UserPool\":{\"AccountRecoverySetting\":{\"RecoveryMechanisms\":[{\"Priority\":\"1\"}]}}}",
         "UserPool.AccountRecoverySetting.RecoveryMechanisms[0].Priority", "a number", "string"},
        {DESC, "{\"UserPool\":{\"Policies\":{\"PasswordPolicy\":{\"RequireSymbols\":\"yes\"}}}}",
         "UserPool.Policies.PasswordPolicy.RequireSymbols", "a boolean", "string"},
        {DESC, "{\"UserPool\":[]}", "UserPool", "an object", "array"},
        /* Found by fuzz_errors: a map key is the server's text and reached the message raw
         * (terminal escapes, invalid UTF-8); now anything but printable ASCII is '?'. */
        {DESC, "{\"UserPool\":{\"UserPoolTags\":{\"a\\u001b[31mb\":5}}}",
         "UserPool.UserPoolTags.a?[31mb", "a string", "number"},
        {DESC, "{\"UserPool\":{\"UserPoolTags\":{\"\xff\xfe\\n\":true}}}",
         "UserPool.UserPoolTags.???", "a string", "boolean"},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        struct cmfa__buf msg;

        cmfa__buf_init(&msg, 0);
        cmfa__buf_printf(&msg, "malformed response: member %s should be %s but is a %s",
                         table[i].path, table[i].want, table[i].is);
        check_decode_fails(table[i].op, table[i].body, msg.data);
        cmfa__buf_cleanup(&msg);
    }
}

static void test_decode_lenient(void)
{
    static const struct {
        const char *op, *body;
    } table[] = {
        /* enums and patterns are the service's business: new values must decode */
        {GET, "{\"MfaConfiguration\":\"SOMETHING_NEW\",\"WebAuthnConfiguration\":"
              "{\"UserVerification\":\"discouraged\",\"FactorConfiguration\":\"TRIPLE\"}}"},
        {GET, "{\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"no placeholder\"}}"},
        {LIST, "{\"UserPools\":[{\"Id\":\" not an id \",\"Name\":\"\",\"Status\":\"Archived\"}]}"},
        /* lengths and ranges too */
        {DESC, "{\"UserPool\":{\"Policies\":{\"PasswordPolicy\":{\"MinimumLength\":1000}}}}"},
        /* missing "required" members of output structures are not an error */
        {DESC, "{\"UserPool\":{\"UserPoolAddOns\":{},\"UsernameConfiguration\":{}}}"},
        /* null means "no value" */
        {GET, "{\"SmsMfaConfiguration\":null,\"MfaConfiguration\":null,"
              "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":null}}"},
        {LIST, "{\"UserPools\":[null,{\"ReplicaRegions\":[null]}],\"NextToken\":null}"},
        /* timestamps: integer or fractional epoch seconds */
        {LIST, "{\"UserPools\":[{\"CreationDate\":1795327503,\"LastModifiedDate\":1795327503.996}]}"},
        /* the generic call accepts any JSON */
        {NULL, "[1,2,3]"},
        {NULL, "{\"MfaConfiguration\":5}"},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        struct cmfa_error err;
        struct cmfa_value *v;

        cmfa_error_init(&err);
        v = cmfa__decode_response(table[i].op ? cmfa_model_operation(table[i].op) : NULL,
                                  table[i].body, strlen(table[i].body), &err);
        CHECK_MSG(v != NULL, "case %zu: %s", i, err.message);
        CHECK_INT(err.code, CMFA_OK);
        if (v) {
            char *back = cmfa_value_to_json(v, 0, NULL);
            CHECK_STR(back, table[i].body); /* nothing altered */
            cmfa_free(back);
        }
        cmfa_value_free(v);
        cmfa_error_cleanup(&err);
    }
}

static void test_decode_unknown_members_kept(void)
{
    static const char body[] =
        "{\"MfaConfiguration\":\"OPTIONAL\","
        "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true,\"Future\":{\"x\":[1,\"two\"]}},"
        "\"NewFactorConfiguration\":{\"Enabled\":\"yes\",\"Level\":3},"
        "\"SmsMfaConfiguration\":{\"SmsConfiguration\":{\"SnsRegion\":\"us-east-1\",\"Extra\":null}}}";
    struct cmfa_error err;
    struct cmfa_value *v;
    char *back;

    cmfa_error_init(&err);
    v = cmfa__decode_response(cmfa_model_operation(GET), body, sizeof(body) - 1, &err);
    CHECK(v != NULL);
    CHECK_STR(cmfa_value_string(cmfa_value_path(v, "NewFactorConfiguration.Enabled"), NULL), "yes");
    CHECK(cmfa_value_number(cmfa_value_path(v, "NewFactorConfiguration.Level")) == 3);
    CHECK_STR(cmfa_value_string(cmfa_value_path(v, "SoftwareTokenMfaConfiguration.Future.x.1"),
                                NULL),
              "two");
    CHECK_INT(cmfa_value_type(cmfa_value_path(v, "SmsMfaConfiguration.SmsConfiguration.Extra")),
              CMFA_TYPE_NULL);
    CHECK_INT(cmfa_value_type(cmfa_value_path(v, "SoftwareTokenMfaConfiguration.Enabled")),
              CMFA_TYPE_BOOL);
    back = cmfa_value_to_json(v, 0, NULL);
    CHECK_STR(back, body);
    cmfa_free(back);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
}

/* Real-looking responses: the aws-cli list-user-pools example and a DescribeUserPool answer
 * carrying members the model has and some it does not. */
static const char list_body[] =
    "{\"UserPools\":[{\"CreationDate\":1547763720.822,\"LastModifiedDate\":1547763720.822,"
    "\"LambdaConfig\":{},\"Id\":\"us-west-2_aaaaaaaaa\",\"Name\":\"MyUserPool\"}],"
    "\"NextToken\":\"eyJ2IjoxfQ==\"}";

static const char describe_body[] =
    "{\"UserPool\":{\"Id\":\"us-east-1_EXAMPLE\",\"Name\":\"pool\",\"Arn\":"
    "\"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_EXAMPLE\","
    "\"Policies\":{\"PasswordPolicy\":{\"MinimumLength\":8,\"RequireUppercase\":true,"
    "\"RequireLowercase\":true,\"RequireNumbers\":true,\"RequireSymbols\":false,"
    "\"TemporaryPasswordValidityDays\":7},\"SignInPolicy\":{\"AllowedFirstAuthFactors\":"
    "[\"PASSWORD\",\"WEB_AUTHN\"]}},\"DeletionProtection\":\"ACTIVE\",\"LambdaConfig\":{},"
    "\"LastModifiedDate\":1732000000.5,\"CreationDate\":1731000000,"
    "\"SchemaAttributes\":[{\"Name\":\"sub\",\"AttributeDataType\":\"String\","
    "\"DeveloperOnlyAttribute\":false,\"Mutable\":false,\"Required\":true,"
    "\"StringAttributeConstraints\":{\"MinLength\":\"1\",\"MaxLength\":\"2048\"}}],"
    "\"AutoVerifiedAttributes\":[\"email\"],\"UsernameAttributes\":[\"email\"],"
    "\"MfaConfiguration\":\"OPTIONAL\",\"SmsAuthenticationMessage\":\"Code {####}\","
    "\"EstimatedNumberOfUsers\":42,\"EmailConfiguration\":{\"EmailSendingAccount\":\"DEVELOPER\","
    "\"SourceArn\":\"arn:aws:ses:us-east-1:123456789012:identity/example.com\"},"
    "\"SmsConfiguration\":{\"SnsCallerArn\":\"arn:aws:iam::123456789012:role/sms\","
    "\"ExternalId\":\"x\",\"SnsRegion\":\"us-east-1\"},\"SmsConfigurationFailure\":\"SNSSandbox\","
    "\"UserPoolTags\":{\"team\":\"id\"},\"Domain\":\"my-domain\","
    "\"AdminCreateUserConfig\":{\"AllowAdminCreateUserOnly\":false,\"UnusedAccountValidityDays\":7},"
    "\"UserPoolAddOns\":{\"AdvancedSecurityMode\":\"OFF\"},"
    "\"UsernameConfiguration\":{\"CaseSensitive\":false},"
    "\"AccountRecoverySetting\":{\"RecoveryMechanisms\":[{\"Priority\":1,\"Name\":\"verified_email\"}]},"
    "\"UserPoolTier\":\"ESSENTIALS\",\"KeyConfiguration\":{\"KeyType\":\"AWS_OWNED_KEY\"},"
    "\"IssuerConfiguration\":{\"Type\":\"ORIGINAL\"},"
    "\"WebAuthnRelyingPartyID\":\"local\",\"ClientSecretRotation\":{\"Enabled\":true}}}";

static void test_decode_real_responses(void)
{
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa__decode_response(cmfa_model_operation(LIST), list_body, sizeof(list_body) - 1, &err);
    CHECK(v != NULL);
    CHECK_STR(cmfa_value_string(cmfa_value_path(v, "UserPools.0.Id"), NULL), "us-west-2_aaaaaaaaa");
    CHECK(cmfa_value_number(cmfa_value_path(v, "UserPools.0.CreationDate")) == 1547763720.822);
    CHECK_INT(cmfa_value_type(cmfa_value_path(v, "UserPools.0.LambdaConfig")), CMFA_TYPE_OBJECT);
    CHECK_STR(cmfa_value_string(cmfa_value_get(v, "NextToken"), NULL), "eyJ2IjoxfQ==");
    cmfa_value_free(v);

    v = cmfa__decode_response(cmfa_model_operation(DESC), describe_body, sizeof(describe_body) - 1,
                              &err);
    CHECK_MSG(v != NULL, "%s", err.message);
    CHECK_STR(cmfa_value_string(cmfa_value_path(v, "UserPool.UserPoolTier"), NULL), "ESSENTIALS");
    CHECK_STR(cmfa_value_string(cmfa_value_path(v, "UserPool.MfaConfiguration"), NULL), "OPTIONAL");
    CHECK_STR(cmfa_value_string(
                  cmfa_value_path(v, "UserPool.Policies.SignInPolicy.AllowedFirstAuthFactors.1"),
                  NULL),
              "WEB_AUTHN");
    CHECK_STR(cmfa_value_string(cmfa_value_path(v, "UserPool.WebAuthnRelyingPartyID"), NULL),
              "local");
    CHECK_INT(cmfa_value_bool(cmfa_value_path(v, "UserPool.ClientSecretRotation.Enabled")), 1);
    CHECK_INT(err.code, CMFA_OK);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
}

/* ------------------------------------------------------------------ documentation example */

static const char doc_request[] =
    "{\"UserPoolId\":\"us-west-2_EXAMPLE\","
    "\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"Your OTP for MFA or sign-in: use {####}.\","
    "\"SmsConfiguration\":{\"SnsCallerArn\":\"arn:aws:iam::123456789012:role/service-role/test-SMS-Role\","
    "\"ExternalId\":\"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111\",\"SnsRegion\":\"us-west-2\"}},"
    "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},"
    "\"EmailMfaConfiguration\":{\"Message\":\"Your OTP for MFA or sign-in: use {####}\","
    "\"Subject\":\"OTP test\"},"
    "\"MfaConfiguration\":\"OPTIONAL\","
    "\"WebAuthnConfiguration\":{\"RelyingPartyId\":\"auth.example.com\",\"UserVerification\":\"preferred\"}}";

static void test_doc_round_trip(void)
{
    const struct cmfa_operation *op = cmfa_model_operation(SETOP);
    struct cmfa_value *in, *out, *pretty_in;
    struct cmfa_error err;
    char *body, *pretty, *echo;
    size_t len, i;

    /* Pretty-printed input, as a user would write it, encodes to the compact request. */
    in = parse(doc_request);
    pretty = cmfa_value_to_json(in, 1, NULL);
    pretty_in = parse(pretty);
    cmfa_free(pretty);
    cmfa_error_init(&err);
    CHECK_INT(cmfa_validate(SETOP, pretty_in, &err), CMFA_OK);
    body = cmfa__encode_request(op, pretty_in, &len, &err);
    CHECK_STR(body, doc_request);
    CHECK_INT(len, sizeof(doc_request) - 1);

    /* The documented response echoes the five sections. Build it from the request minus
     * UserPoolId and decode it. */
    {
        struct cmfa_value *resp = cmfa_value_new_object();
        for (i = 0; i < cmfa_value_count(in); i++) {
            const char *key;
            const struct cmfa_value *m = cmfa_value_at(in, i, &key);
            if (strcmp(key, "UserPoolId") != 0)
                cmfa_value_set(resp, key, cmfa_value_copy(m));
        }
        echo = cmfa_value_to_json(resp, 0, NULL);
        cmfa_value_free(resp);
    }
    out = cmfa__decode_response(op, echo, strlen(echo), &err);
    CHECK(out != NULL);
    CHECK_INT(cmfa_value_count(out), 5);
    CHECK_STR(cmfa_value_string(cmfa_value_get(out, "MfaConfiguration"), NULL), "OPTIONAL");
    CHECK_INT(cmfa_value_type(cmfa_value_path(out, "SoftwareTokenMfaConfiguration.Enabled")),
              CMFA_TYPE_BOOL);
    CHECK_INT(cmfa_value_bool(cmfa_value_path(out, "SoftwareTokenMfaConfiguration.Enabled")), 1);
    CHECK_STR(cmfa_value_string(cmfa_value_path(out, "SmsMfaConfiguration.SmsConfiguration.SnsRegion"),
                                NULL),
              "us-west-2");
    CHECK_STR(cmfa_value_string(cmfa_value_path(out, "EmailMfaConfiguration.Subject"), NULL),
              "OTP test");
    CHECK_STR(cmfa_value_string(cmfa_value_path(out, "WebAuthnConfiguration.UserVerification"),
                                NULL),
              "preferred");
    /* Every section of the response is the one sent. */
    for (i = 0; i < cmfa_value_count(out); i++) {
        const char *key;
        const struct cmfa_value *m = cmfa_value_at(out, i, &key);
        char *a = cmfa_value_to_json(m, 0, NULL);
        char *b = cmfa_value_to_json(cmfa_value_get(in, key), 0, NULL);
        CHECK_STR(a, b);
        cmfa_free(a);
        cmfa_free(b);
    }
    /* And a response fed back as the next request (get -> modify -> set) is still valid. */
    CHECK_INT(cmfa_value_set(out, "UserPoolId", cmfa_value_new_string("us-west-2_EXAMPLE", 17)),
              CMFA_OK);
    CHECK_INT(cmfa_validate(SETOP, out, &err), CMFA_OK);
    CHECK_INT(err.code, CMFA_OK);

    cmfa_free(echo);
    cmfa_free(body);
    cmfa_value_free(out);
    cmfa_value_free(pretty_in);
    cmfa_value_free(in);
    cmfa_error_cleanup(&err);
}

/* ------------------------------------------------------------------ allocation failures */

static cmfa_code op_encode_nulls(void)
{
    static const char in[] =
        "{\"UserPoolId\":\"us-east-1_abc\",\"MfaConfiguration\":null,"
        "\"SmsMfaConfiguration\":{\"SmsConfiguration\":{\"SnsRegion\":\"us-east-1\",\"ExternalId\":null}}}";
    struct cmfa_value *v = cmfa_value_parse(in, sizeof(in) - 1, NULL);
    struct cmfa_error err;
    cmfa_code rc = CMFA_OK;
    char *body = NULL;

    cmfa_error_init(&err);
    if (!v) {
        rc = CMFA_E_NOMEM;
        goto cleanup;
    }
    body = cmfa__encode_request(cmfa_model_operation(SETOP), v, NULL, &err);
    if (!body) {
        rc = err.code;
        goto cleanup;
    }
    CHECK_STR(body, "{\"UserPoolId\":\"us-east-1_abc\",\"SmsMfaConfiguration\":"
                    "{\"SmsConfiguration\":{\"SnsRegion\":\"us-east-1\"}}}");
cleanup:
    cmfa_free(body);
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
    return rc;
}

static cmfa_code op_encode_null_input(void)
{
    struct cmfa_error err;
    char *body;
    cmfa_code rc;

    cmfa_error_init(&err);
    body = cmfa__encode_request(cmfa_model_operation(GET), NULL, NULL, &err);
    rc = body ? CMFA_OK : err.code;
    cmfa_free(body);
    cmfa_error_cleanup(&err);
    return rc;
}

static const char *decode_body;
static const char *decode_op;
static cmfa_code decode_expect;

static cmfa_code op_decode(void)
{
    struct cmfa_error err;
    struct cmfa_value *v;
    cmfa_code rc;

    cmfa_error_init(&err);
    v = cmfa__decode_response(cmfa_model_operation(decode_op), decode_body, strlen(decode_body),
                              &err);
    rc = v ? CMFA_OK : err.code;
    if (rc == decode_expect)
        rc = CMFA_OK; /* the outcome wanted when no allocation fails */
    else if (rc == CMFA_OK)
        rc = CMFA_E_INTERNAL;
    cmfa_value_free(v);
    cmfa_error_cleanup(&err);
    return rc;
}


static void test_alloc_failures(void)
{
    alloc_loop("encode with null members", op_encode_nulls);
    alloc_loop("encode NULL input", op_encode_null_input);

    decode_op = DESC;
    decode_body = describe_body;
    decode_expect = CMFA_OK;
    alloc_loop("decode DescribeUserPool", op_decode);

    decode_op = LIST;
    decode_body = "";
    alloc_loop("decode empty body", op_decode);

    decode_op = LIST;
    decode_body = "{\"UserPools\":[{\"Id\":\"a_b\"},{\"CreationDate\":\"yesterday\"}]}";
    decode_expect = CMFA_E_BAD_RESPONSE;
    alloc_loop("decode with a type mismatch", op_decode);

    decode_op = GET;
    decode_body = "{\"MfaConfiguration\":";
    decode_expect = CMFA_E_BAD_RESPONSE;
    alloc_loop("decode truncated JSON", op_decode);
}

int main(void)
{
    test_encode();
    test_decode_empty();
    test_decode_malformed();
    test_decode_type_mismatches();
    test_decode_lenient();
    test_decode_unknown_members_kept();
    test_decode_real_responses();
    test_doc_round_trip();
    test_alloc_failures();
    cmfa__regex_global_cleanup();
    return check_done("test_codec");
}
