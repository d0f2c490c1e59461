/* Validation: every constraint of the four input shapes has a passing and a failing case (a
 * coverage check against the botocore extract proves none is missing), all violations are
 * reported at once, Unicode lengths, Java regex semantics, invalid UTF-8, unknown members,
 * null handling, deep nesting, and allocation failures. */
#include "check.h"

#include "cmfa_int.h"

#define CHECK_ALLOC_TEST "test_validate"
#include "check_alloc.h"

/* ------------------------------------------------------------------ helpers */

/* Expands "@N:text@" into N copies of text. Caller frees. */
static char *expand(const char *t)
{
    struct cmfa__buf b;
    char *out;

    cmfa__buf_init(&b, 0);
    cmfa__buf_add(&b, "", 0);
    while (*t) {
        const char *colon, *end;
        long n;

        if (*t != '@') {
            cmfa__buf_addc(&b, *t++);
            continue;
        }
        n = strtol(t + 1, (char **)&colon, 10);
        end = strchr(colon + 1, '@');
        if (*colon != ':' || !end) {
            fprintf(stderr, "bad template near %s\n", t);
            abort();
        }
        while (n-- > 0)
            cmfa__buf_add(&b, colon + 1, (size_t)(end - colon - 1));
        t = end + 1;
    }
    out = cmfa__buf_take(&b, NULL);
    return out;
}

static struct cmfa_value *parse_t(const char *templ)
{
    char *json = expand(templ);
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa_value_parse(json, strlen(json), &err);
    if (!v) {
        fprintf(stderr, "test input does not parse: %s (%.200s)\n", err.message, json);
        abort();
    }
    cmfa_error_cleanup(&err);
    cmfa_free(json);
    return v;
}

static const struct cmfa_violation *find_violation(const struct cmfa_error *err,
                                                   const char *path, const char *rule)
{
    size_t i;

    for (i = 0; i < err->nviolations; i++)
        if (strcmp(err->violations[i].path, path) == 0 &&
            strcmp(err->violations[i].rule, rule) == 0)
            return &err->violations[i];
    return NULL;
}

static void dump_violations(const struct cmfa_error *err)
{
    size_t i;

    for (i = 0; i < err->nviolations; i++)
        fprintf(stderr, "    [%s] %s: %.300s\n", err->violations[i].rule,
                err->violations[i].path, err->violations[i].message);
}

/* ------------------------------------------------------------------ the constraint table */

#define POOL "\"UserPoolId\":\"us-east-1_aBc123\""
#define SET(x) "{" POOL "," x "}"
#define SMS(x) SET("\"SmsMfaConfiguration\":{" x "}")
#define SMSCFG(x) SMS("\"SmsConfiguration\":{" x "}")
#define EUMS(x) SMSCFG("\"EumsSms\":{\"CallerArn\":\"" ARN "\"," x "}")
#define TOTP(x) SET("\"SoftwareTokenMfaConfiguration\":{" x "}")
#define EMAIL(x) SET("\"EmailMfaConfiguration\":{" x "}")
#define WEBAUTHN(x) SET("\"WebAuthnConfiguration\":{" x "}")
#define ID(x) "{\"UserPoolId\":" x "}"

#define ARN "arn:aws:iam::123456789012:role/sms-role"
#define ARN_2048 "arn:aws:iam::123456789012:role/@2017:a@" /* 31 + 2017 characters */
#define ARN_2049 "arn:aws:iam::123456789012:role/@2018:a@"
#define STR_MAX "\"@131072:x@\""                             /* StringType max */
#define STR_OVER "\"@131073:x@\""

#define P_SMS "SmsMfaConfiguration"
#define P_SMSCFG P_SMS ".SmsConfiguration"
#define P_EUMS P_SMSCFG ".EumsSms"

struct vcase {
    const char *op;
    const char *path; /* constraint under test: where it is reported */
    const char *rule;
    int fail;         /* 0: valid input; else the number of violations expected */
    const char *json; /* template for expand() */
};

#define PASS(op, path, rule, json) {op, path, rule, 0, json}
#define FAIL(op, path, rule, json) {op, path, rule, 1, json}
#define FAILN(op, path, rule, n, json) {op, path, rule, n, json}

#define GET "GetUserPoolMfaConfig"
#define SETOP "SetUserPoolMfaConfig"
#define LIST "ListUserPools"
#define DESC "DescribeUserPool"

/* UserPoolId rows, the same for the three operations that take it. */
#define USER_POOL_ID_ROWS(op)                                                             \
    PASS(op, "UserPoolId", "required", ID("\"us-east-1_abc\"")),                          \
    FAIL(op, "UserPoolId", "required", "{}"),                                             \
    FAIL(op, "UserPoolId", "required", ID("null")),                                       \
    PASS(op, "UserPoolId", "type", ID("\"eu-west-3_Z9\"")),                               \
    FAIL(op, "UserPoolId", "type", ID("42")),                                             \
    FAIL(op, "UserPoolId", "type", ID("[\"us-east-1_abc\"]")),                            \
    PASS(op, "UserPoolId", "min_length", ID("\"a_b\"")),                                  \
    FAILN(op, "UserPoolId", "min_length", 2, ID("\"\"")),                                 \
    PASS(op, "UserPoolId", "max_length", ID("\"@53:a@_b\"")),                             \
    FAIL(op, "UserPoolId", "max_length", ID("\"@54:a@_b\"")),                             \
    PASS(op, "UserPoolId", "pattern", ID("\"us-east-1_aBc123\"")),                        \
    PASS(op, "UserPoolId", "pattern", ID("\"a_b_c\"")), /* \w includes _ */               \
    FAIL(op, "UserPoolId", "pattern", ID("\" us-east-1_abc\"")),                          \
    FAIL(op, "UserPoolId", "pattern", ID("\"us-east-1_abc \"")),                          \
    FAIL(op, "UserPoolId", "pattern", ID("\"us-east-1_abc\\n\"")),                        \
    FAIL(op, "UserPoolId", "pattern", ID("\"us-east-1-abc\"")),                           \
    FAIL(op, "UserPoolId", "pattern", ID("\"us-east-1_ab-c\"")),                          \
    FAIL(op, "UserPoolId", "pattern", ID("\"us-east-1_\"")),                              \
    FAIL(op, "UserPoolId", "pattern", ID("\"\xc3\xbc-east-1_abc\"")), /* \w is ASCII */   \
    FAIL(op, "UserPoolId", "pattern", ID("\"us-east-1_\xc3\xa9t\xc3\xa9\""))

/* StringType members (min 0, max 131072, no pattern). */
#define STRING_TYPE_ROWS(path, wrap, name)                                                \
    PASS(SETOP, path, "type", wrap("\"" name "\":\"x\"")),                                \
    FAIL(SETOP, path, "type", wrap("\"" name "\":7")),                                    \
    PASS(SETOP, path, "min_length", wrap("\"" name "\":\"\"")),                           \
    PASS(SETOP, path, "max_length", wrap("\"" name "\":" STR_MAX)),                       \
    FAIL(SETOP, path, "max_length", wrap("\"" name "\":" STR_OVER))

/* RegionCodeType members (5..32). */
#define REGION_ROWS(path, wrap, name)                                                     \
    PASS(SETOP, path, "type", wrap("\"" name "\":\"us-west-2\"")),                        \
    FAIL(SETOP, path, "type", wrap("\"" name "\":{}")),                                   \
    PASS(SETOP, path, "min_length", wrap("\"" name "\":\"us-e1\"")),                      \
    PASS(SETOP, path, "min_length", wrap("\"" name "\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"")), \
    FAIL(SETOP, path, "min_length", wrap("\"" name "\":\"us-e\"")),                       \
    FAIL(SETOP, path, "min_length", wrap("\"" name "\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"")), \
    FAIL(SETOP, path, "min_length", wrap("\"" name "\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"")), \
    PASS(SETOP, path, "max_length", wrap("\"" name "\":\"@32:r@\"")),                     \
    FAIL(SETOP, path, "max_length", wrap("\"" name "\":\"@33:r@\""))

static const struct vcase cases[] = {
    USER_POOL_ID_ROWS(GET),
    USER_POOL_ID_ROWS(SETOP),
    USER_POOL_ID_ROWS(DESC),

    /* ---- SetUserPoolMfaConfig: SmsMfaConfiguration */
    PASS(SETOP, P_SMS, "type", SET("\"SmsMfaConfiguration\":{}")),
    FAIL(SETOP, P_SMS, "type", SET("\"SmsMfaConfiguration\":\"on\"")),
    FAIL(SETOP, P_SMS, "type", SET("\"SmsMfaConfiguration\":[]")),
    PASS(SETOP, P_SMS ".SmsAuthenticationMessage", "type",
         SMS("\"SmsAuthenticationMessage\":\"Code {####}\"")),
    FAIL(SETOP, P_SMS ".SmsAuthenticationMessage", "type", SMS("\"SmsAuthenticationMessage\":123456")),
    PASS(SETOP, P_SMS ".SmsAuthenticationMessage", "min_length",
         SMS("\"SmsAuthenticationMessage\":\"{####}\"")),
    FAILN(SETOP, P_SMS ".SmsAuthenticationMessage", "min_length", 2,
          SMS("\"SmsAuthenticationMessage\":\"{###}\"")),
    PASS(SETOP, P_SMS ".SmsAuthenticationMessage", "max_length",
         SMS("\"SmsAuthenticationMessage\":\"{####}@134:a@\"")),
    PASS(SETOP, P_SMS ".SmsAuthenticationMessage", "max_length",
         SMS("\"SmsAuthenticationMessage\":\"{####}@134:\xc3\xa9@\"")), /* 140 chars, 274 bytes */
    FAIL(SETOP, P_SMS ".SmsAuthenticationMessage", "max_length",
         SMS("\"SmsAuthenticationMessage\":\"{####}@135:a@\"")),
    FAIL(SETOP, P_SMS ".SmsAuthenticationMessage", "max_length",
         SMS("\"SmsAuthenticationMessage\":\"{####}@135:\xc3\xa9@\"")),
    PASS(SETOP, P_SMS ".SmsAuthenticationMessage", "pattern",
         SMS("\"SmsAuthenticationMessage\":\"Your OTP for MFA or sign-in: use {####}.\"")),
    PASS(SETOP, P_SMS ".SmsAuthenticationMessage", "pattern",
         SMS("\"SmsAuthenticationMessage\":\"C\xc3\xb3" "digo {####} \xe2\x9c\x93\"")),
    FAIL(SETOP, P_SMS ".SmsAuthenticationMessage", "pattern",
         SMS("\"SmsAuthenticationMessage\":\"Your code is {###}#\"")),
    FAIL(SETOP, P_SMS ".SmsAuthenticationMessage", "pattern",
         SMS("\"SmsAuthenticationMessage\":\"Your code:\\n{####}\"")), /* '.' stops at \n */
    FAIL(SETOP, P_SMS ".SmsAuthenticationMessage", "pattern",
         SMS("\"SmsAuthenticationMessage\":\"{####}\\r\\n\"")),
    FAIL(SETOP, P_SMS ".SmsAuthenticationMessage", "pattern",
         SMS("\"SmsAuthenticationMessage\":\"{####}\xe2\x80\xa8x\"")), /* U+2028 */

    PASS(SETOP, P_SMSCFG, "type", SMS("\"SmsConfiguration\":{}")),
    FAIL(SETOP, P_SMSCFG, "type", SMS("\"SmsConfiguration\":true")),
    PASS(SETOP, P_SMSCFG ".SnsCallerArn", "type", SMSCFG("\"SnsCallerArn\":\"" ARN "\"")),
    FAIL(SETOP, P_SMSCFG ".SnsCallerArn", "type", SMSCFG("\"SnsCallerArn\":false")),
    PASS(SETOP, P_SMSCFG ".SnsCallerArn", "min_length", SMSCFG("\"SnsCallerArn\":\"\"")),
    PASS(SETOP, P_SMSCFG ".SnsCallerArn", "max_length",
         SMSCFG("\"SnsCallerArn\":\"" ARN_2048 "\"")),
    FAIL(SETOP, P_SMSCFG ".SnsCallerArn", "max_length",
         SMSCFG("\"SnsCallerArn\":\"" ARN_2049 "\"")),
    PASS(SETOP, P_SMSCFG ".SnsCallerArn", "pattern", SMSCFG("\"SnsCallerArn\":\"" ARN "\"")),
    PASS(SETOP, P_SMSCFG ".SnsCallerArn", "pattern", SMSCFG("\"SnsCallerArn\":\"\"")),
    PASS(SETOP, P_SMSCFG ".SnsCallerArn", "pattern",
         SMSCFG("\"SnsCallerArn\":\"arn:aws:sns:us-east-1:123456789012:topic:a:b\"")),
    FAIL(SETOP, P_SMSCFG ".SnsCallerArn", "pattern",
         SMSCFG("\"SnsCallerArn\":\"arn:aws:iam::acct:role/x\"")),
    FAIL(SETOP, P_SMSCFG ".SnsCallerArn", "pattern", SMSCFG("\"SnsCallerArn\":\"role/x\"")),
    FAIL(SETOP, P_SMSCFG ".SnsCallerArn", "pattern",
         SMSCFG("\"SnsCallerArn\":\" " ARN "\"")),
    STRING_TYPE_ROWS(P_SMSCFG ".ExternalId", SMSCFG, "ExternalId"),
    REGION_ROWS(P_SMSCFG ".SnsRegion", SMSCFG, "SnsRegion"),

    PASS(SETOP, P_EUMS, "type", SMSCFG("\"EumsSms\":{\"CallerArn\":\"" ARN "\"}")),
    FAIL(SETOP, P_EUMS, "type", SMSCFG("\"EumsSms\":\"" ARN "\"")),
    PASS(SETOP, P_EUMS ".CallerArn", "required", EUMS("\"Region\":\"eu-central-1\"")),
    FAIL(SETOP, P_EUMS ".CallerArn", "required", SMSCFG("\"EumsSms\":{}")),
    FAIL(SETOP, P_EUMS ".CallerArn", "required", SMSCFG("\"EumsSms\":{\"CallerArn\":null}")),
    FAIL(SETOP, P_EUMS ".CallerArn", "required", SMSCFG("\"EumsSms\":{\"Region\":\"eu-central-1\"}")),
    PASS(SETOP, P_EUMS ".CallerArn", "type", SMSCFG("\"EumsSms\":{\"CallerArn\":\"" ARN "\"}")),
    FAIL(SETOP, P_EUMS ".CallerArn", "type", SMSCFG("\"EumsSms\":{\"CallerArn\":[]}")),
    PASS(SETOP, P_EUMS ".CallerArn", "min_length",
         SMSCFG("\"EumsSms\":{\"CallerArn\":\"arn:aws:sns::1:abcde\"}")), /* 20 */
    FAIL(SETOP, P_EUMS ".CallerArn", "min_length",
         SMSCFG("\"EumsSms\":{\"CallerArn\":\"arn:aws:sns::1:abcd\"}")), /* 19 */
    FAILN(SETOP, P_EUMS ".CallerArn", "min_length", 2, SMSCFG("\"EumsSms\":{\"CallerArn\":\"\"}")),
    PASS(SETOP, P_EUMS ".CallerArn", "max_length",
         SMSCFG("\"EumsSms\":{\"CallerArn\":\"" ARN_2048 "\"}")),
    FAIL(SETOP, P_EUMS ".CallerArn", "max_length",
         SMSCFG("\"EumsSms\":{\"CallerArn\":\"" ARN_2049 "\"}")),
    PASS(SETOP, P_EUMS ".CallerArn", "pattern",
         SMSCFG("\"EumsSms\":{\"CallerArn\":\"arn:aws:iam::123456789012:role/eums\"}")),
    FAIL(SETOP, P_EUMS ".CallerArn", "pattern",
         SMSCFG("\"EumsSms\":{\"CallerArn\":\"arn:aws:sns:us-east-1:abc:topic/x\"}")),
    FAIL(SETOP, P_EUMS ".CallerArn", "pattern",
         SMSCFG("\"EumsSms\":{\"CallerArn\":\"arn:aws:iam::123456789012:role/a b\"}")),
    STRING_TYPE_ROWS(P_EUMS ".ExternalId", EUMS, "ExternalId"),
    STRING_TYPE_ROWS(P_EUMS ".OriginationIdentity", EUMS, "OriginationIdentity"),
    STRING_TYPE_ROWS(P_EUMS ".ConfigurationSetName", EUMS, "ConfigurationSetName"),
    STRING_TYPE_ROWS(P_EUMS ".InEntityId", EUMS, "InEntityId"),
    STRING_TYPE_ROWS(P_EUMS ".InTemplateId", EUMS, "InTemplateId"),
    REGION_ROWS(P_EUMS ".Region", EUMS, "Region"),

    /* ---- SoftwareTokenMfaConfiguration */
    PASS(SETOP, "SoftwareTokenMfaConfiguration", "type", TOTP("")),
    FAIL(SETOP, "SoftwareTokenMfaConfiguration", "type",
         SET("\"SoftwareTokenMfaConfiguration\":true")),
    PASS(SETOP, "SoftwareTokenMfaConfiguration.Enabled", "type", TOTP("\"Enabled\":true")),
    PASS(SETOP, "SoftwareTokenMfaConfiguration.Enabled", "type", TOTP("\"Enabled\":false")),
    FAIL(SETOP, "SoftwareTokenMfaConfiguration.Enabled", "type", TOTP("\"Enabled\":\"true\"")),
    FAIL(SETOP, "SoftwareTokenMfaConfiguration.Enabled", "type", TOTP("\"Enabled\":1")),
    FAIL(SETOP, "SoftwareTokenMfaConfiguration.Enabled", "type", TOTP("\"Enabled\":{}")),

    /* ---- EmailMfaConfiguration */
    PASS(SETOP, "EmailMfaConfiguration", "type", EMAIL("")),
    FAIL(SETOP, "EmailMfaConfiguration", "type", SET("\"EmailMfaConfiguration\":1")),
    PASS(SETOP, "EmailMfaConfiguration.Message", "type", EMAIL("\"Message\":\"Code {####}\"")),
    FAIL(SETOP, "EmailMfaConfiguration.Message", "type", EMAIL("\"Message\":[\"{####}\"]")),
    PASS(SETOP, "EmailMfaConfiguration.Message", "min_length", EMAIL("\"Message\":\"{####}\"")),
    FAILN(SETOP, "EmailMfaConfiguration.Message", "min_length", 2,
          EMAIL("\"Message\":\"{#\xc3\xa9#}\"")), /* 5 characters, 6 bytes */
    PASS(SETOP, "EmailMfaConfiguration.Message", "max_length",
         EMAIL("\"Message\":\"{####}@19994:a@\"")),
    FAIL(SETOP, "EmailMfaConfiguration.Message", "max_length",
         EMAIL("\"Message\":\"{####}@19995:a@\"")),
    PASS(SETOP, "EmailMfaConfiguration.Message", "pattern",
         EMAIL("\"Message\":\"Your OTP for MFA or sign-in: use {####}\"")),
    PASS(SETOP, "EmailMfaConfiguration.Message", "pattern",
         EMAIL("\"Message\":\"C\xc3\xb3" "digo: {####} \xe2\x80\x94 \xc2\xa1gracias! "
               "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe2\x9c\x93 e\xcc\x81\\n\\t*\"")),
    FAIL(SETOP, "EmailMfaConfiguration.Message", "pattern",
         EMAIL("\"Message\":\"no placeholder here\"")),
    FAIL(SETOP, "EmailMfaConfiguration.Message", "pattern",
         EMAIL("\"Message\":\"Code {####}\\u0007\"")), /* a control character */
    FAIL(SETOP, "EmailMfaConfiguration.Message", "pattern",
         EMAIL("\"Message\":\"Code\xc2\xa0{####}\"")), /* NBSP: not \s (ASCII), not L/M/S/N/P */
    PASS(SETOP, "EmailMfaConfiguration.Subject", "type", EMAIL("\"Subject\":\"OTP test\"")),
    FAIL(SETOP, "EmailMfaConfiguration.Subject", "type", EMAIL("\"Subject\":5")),
    PASS(SETOP, "EmailMfaConfiguration.Subject", "pattern", EMAIL("\"Subject\":\"OTP test\"")),
    PASS(SETOP, "EmailMfaConfiguration.Subject", "pattern",
         EMAIL("\"Subject\":\"\xd0\x92\xd0\xb0\xd1\x88 \xd0\xba\xd0\xbe\xd0\xb4!\"")),
    FAIL(SETOP, "EmailMfaConfiguration.Subject", "pattern", EMAIL("\"Subject\":\"\"")),
    FAIL(SETOP, "EmailMfaConfiguration.Subject", "pattern",
         EMAIL("\"Subject\":\"zero\xe2\x80\x8bwidth\"")), /* U+200B, category Cf */

    /* ---- MfaConfiguration */
    PASS(SETOP, "MfaConfiguration", "type", SET("\"MfaConfiguration\":\"OFF\"")),
    FAIL(SETOP, "MfaConfiguration", "type", SET("\"MfaConfiguration\":false")),
    PASS(SETOP, "MfaConfiguration", "enum", SET("\"MfaConfiguration\":\"OFF\"")),
    PASS(SETOP, "MfaConfiguration", "enum", SET("\"MfaConfiguration\":\"ON\"")),
    PASS(SETOP, "MfaConfiguration", "enum", SET("\"MfaConfiguration\":\"OPTIONAL\"")),
    FAIL(SETOP, "MfaConfiguration", "enum", SET("\"MfaConfiguration\":\"on\"")),
    FAIL(SETOP, "MfaConfiguration", "enum", SET("\"MfaConfiguration\":\"\"")),
    FAIL(SETOP, "MfaConfiguration", "enum", SET("\"MfaConfiguration\":\"OPTIONAL \"")),

    /* ---- WebAuthnConfiguration */
    PASS(SETOP, "WebAuthnConfiguration", "type", WEBAUTHN("")),
    FAIL(SETOP, "WebAuthnConfiguration", "type", SET("\"WebAuthnConfiguration\":\"preferred\"")),
    PASS(SETOP, "WebAuthnConfiguration.RelyingPartyId", "type",
         WEBAUTHN("\"RelyingPartyId\":\"auth.example.com\"")),
    FAIL(SETOP, "WebAuthnConfiguration.RelyingPartyId", "type", WEBAUTHN("\"RelyingPartyId\":1")),
    PASS(SETOP, "WebAuthnConfiguration.RelyingPartyId", "min_length",
         WEBAUTHN("\"RelyingPartyId\":\"a\"")),
    FAIL(SETOP, "WebAuthnConfiguration.RelyingPartyId", "min_length",
         WEBAUTHN("\"RelyingPartyId\":\"\"")),
    PASS(SETOP, "WebAuthnConfiguration.RelyingPartyId", "max_length",
         WEBAUTHN("\"RelyingPartyId\":\"@127:a@\"")),
    PASS(SETOP, "WebAuthnConfiguration.RelyingPartyId", "max_length",
         WEBAUTHN("\"RelyingPartyId\":\"@127:\xe6\x97\xa5@\"")), /* 127 chars, 381 bytes */
    FAIL(SETOP, "WebAuthnConfiguration.RelyingPartyId", "max_length",
         WEBAUTHN("\"RelyingPartyId\":\"@128:a@\"")),
    FAIL(SETOP, "WebAuthnConfiguration.RelyingPartyId", "max_length",
         WEBAUTHN("\"RelyingPartyId\":\"@128:\xe6\x97\xa5@\"")),
    PASS(SETOP, "WebAuthnConfiguration.UserVerification", "type",
         WEBAUTHN("\"UserVerification\":\"required\"")),
    FAIL(SETOP, "WebAuthnConfiguration.UserVerification", "type",
         WEBAUTHN("\"UserVerification\":true")),
    PASS(SETOP, "WebAuthnConfiguration.UserVerification", "enum",
         WEBAUTHN("\"UserVerification\":\"required\"")),
    PASS(SETOP, "WebAuthnConfiguration.UserVerification", "enum",
         WEBAUTHN("\"UserVerification\":\"preferred\"")),
    FAIL(SETOP, "WebAuthnConfiguration.UserVerification", "enum",
         WEBAUTHN("\"UserVerification\":\"REQUIRED\"")),
    FAIL(SETOP, "WebAuthnConfiguration.UserVerification", "enum",
         WEBAUTHN("\"UserVerification\":\"discouraged\"")),
    PASS(SETOP, "WebAuthnConfiguration.FactorConfiguration", "type",
         WEBAUTHN("\"FactorConfiguration\":\"SINGLE_FACTOR\"")),
    FAIL(SETOP, "WebAuthnConfiguration.FactorConfiguration", "type",
         WEBAUTHN("\"FactorConfiguration\":2")),
    PASS(SETOP, "WebAuthnConfiguration.FactorConfiguration", "enum",
         WEBAUTHN("\"FactorConfiguration\":\"SINGLE_FACTOR\"")),
    PASS(SETOP, "WebAuthnConfiguration.FactorConfiguration", "enum",
         WEBAUTHN("\"FactorConfiguration\":\"MULTI_FACTOR_WITH_USER_VERIFICATION\"")),
    FAIL(SETOP, "WebAuthnConfiguration.FactorConfiguration", "enum",
         WEBAUTHN("\"FactorConfiguration\":\"single_factor\"")),
    FAIL(SETOP, "WebAuthnConfiguration.FactorConfiguration", "enum",
         WEBAUTHN("\"FactorConfiguration\":\"MULTI_FACTOR\"")),

    /* ---- ListUserPools */
    PASS(LIST, "MaxResults", "required", "{\"MaxResults\":10}"),
    FAIL(LIST, "MaxResults", "required", "{}"),
    FAIL(LIST, "MaxResults", "required", "{\"MaxResults\":null,\"NextToken\":\"abc\"}"),
    PASS(LIST, "MaxResults", "type", "{\"MaxResults\":60}"),
    PASS(LIST, "MaxResults", "type", "{\"MaxResults\":10.0}"),
    FAIL(LIST, "MaxResults", "type", "{\"MaxResults\":\"10\"}"),
    FAIL(LIST, "MaxResults", "type", "{\"MaxResults\":1.5}"),
    FAIL(LIST, "MaxResults", "type", "{\"MaxResults\":true}"),
    FAIL(LIST, "MaxResults", "type", "{\"MaxResults\":1e300}"),
    PASS(LIST, "MaxResults", "min", "{\"MaxResults\":1}"),
    FAIL(LIST, "MaxResults", "min", "{\"MaxResults\":0}"),
    FAIL(LIST, "MaxResults", "min", "{\"MaxResults\":-5}"),
    PASS(LIST, "MaxResults", "max", "{\"MaxResults\":60}"),
    FAIL(LIST, "MaxResults", "max", "{\"MaxResults\":61}"),
    FAIL(LIST, "MaxResults", "max", "{\"MaxResults\":10000000000}"),
    PASS(LIST, "NextToken", "type", "{\"MaxResults\":5,\"NextToken\":\"abc\"}"),
    FAIL(LIST, "NextToken", "type", "{\"MaxResults\":5,\"NextToken\":5}"),
    PASS(LIST, "NextToken", "min_length", "{\"MaxResults\":5,\"NextToken\":\"a\"}"),
    FAILN(LIST, "NextToken", "min_length", 2, "{\"MaxResults\":5,\"NextToken\":\"\"}"),
    PASS(LIST, "NextToken", "pattern", "{\"MaxResults\":5,\"NextToken\":\"eyJ2IjoxfQ+/==\"}"),
    PASS(LIST, "NextToken", "pattern", "{\"MaxResults\":5,\"NextToken\":\"t\xc3\xb6ken\"}"),
    PASS(LIST, "NextToken", "pattern", /* NBSP is \S in Java: \s is ASCII */
         "{\"MaxResults\":5,\"NextToken\":\"a\xc2\xa0" "b\"}"),
    FAIL(LIST, "NextToken", "pattern", "{\"MaxResults\":5,\"NextToken\":\"abc def\"}"),
    FAIL(LIST, "NextToken", "pattern", "{\"MaxResults\":5,\"NextToken\":\"abc\\n\"}"),
    FAIL(LIST, "NextToken", "pattern", "{\"MaxResults\":5,\"NextToken\":\"\\tabc\"}"),
    FAIL(LIST, "NextToken", "pattern", "{\"MaxResults\":5,\"NextToken\":\"a\\u000bb\"}"),
};

static int run_case(const struct vcase *c)
{
    struct cmfa_value *v = parse_t(c->json);
    struct cmfa_error err;
    cmfa_code rc;
    int ok = 1;

    cmfa_error_init(&err);
    rc = cmfa_validate(c->op, v, &err);
    if (!c->fail) {
        ok = rc == CMFA_OK && err.nviolations == 0 && err.code == CMFA_OK;
    } else {
        ok = rc == CMFA_E_VALIDATION && err.code == CMFA_E_VALIDATION &&
             err.nviolations == (size_t)c->fail && find_violation(&err, c->path, c->rule);
    }
    CHECK_MSG(ok, "%s %s %s %s: rc %s, %zu violations", c->op, c->path, c->rule,
              c->fail ? "should fail" : "should pass", cmfa_code_name(rc), err.nviolations);
    if (!ok)
        dump_violations(&err);
    cmfa_error_cleanup(&err);
    cmfa_value_free(v);
    return ok;
}

static void test_table(void)
{
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(cases); i++)
        run_case(&cases[i]);
    printf("test_validate: %zu constraint cases\n", CMFA__ARRAY_LEN(cases));
}

/* ------------------------------------------------------------------ coverage check
 *
 * Walks every input shape of the botocore extract and lists each constraint a value can
 * violate (required, type, min/max, pattern, enum). The table above must hold a passing
 * case for each, and a failing case for each that can fail (a minimum length of 0 cannot). */

static size_t ncovered, nconstraints;

static int has_case(const char *op, const char *path, const char *rule, int want_fail)
{
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(cases); i++)
        if (strcmp(cases[i].op, op) == 0 && strcmp(cases[i].path, path) == 0 &&
            strcmp(cases[i].rule, rule) == 0 && (cases[i].fail != 0) == want_fail)
            return 1;
    return 0;
}

static void need(const char *op, const char *path, const char *rule, int can_fail)
{
    int pass = has_case(op, path, rule, 0), fail = has_case(op, path, rule, 1);

    nconstraints++;
    CHECK_MSG(pass, "no passing case for %s %s %s", op, path, rule);
    if (can_fail)
        CHECK_MSG(fail, "no failing case for %s %s %s", op, path, rule);
    if (pass && (fail || !can_fail))
        ncovered++;
}

static void cover_shape(const char *op, const struct cmfa_value *shapes, const char *name,
                        const char *path)
{
    const struct cmfa_value *s = cmfa_value_get(shapes, name), *lim;
    const char *type = cmfa_value_string(cmfa_value_get(s, "type"), NULL);
    int is_string = type && strcmp(type, "string") == 0;
    int is_list = type && strcmp(type, "list") == 0;

    CHECK_MSG(s != NULL && type != NULL, "shape %s", name);
    if (!s || !type)
        return;
    if (*path)
        need(op, path, "type", 1);
    if ((lim = cmfa_value_get(s, "min")))
        need(op, path, is_string || is_list ? "min_length" : "min",
             cmfa_value_number(lim) > 0);
    if ((lim = cmfa_value_get(s, "max")))
        need(op, path, is_string || is_list ? "max_length" : "max", 1);
    if (cmfa_value_get(s, "pattern"))
        need(op, path, "pattern", 1);
    if (cmfa_value_get(s, "enum"))
        need(op, path, "enum", 1);
    if (strcmp(type, "structure") == 0) {
        const struct cmfa_value *members = cmfa_value_get(s, "members");
        const struct cmfa_value *req = cmfa_value_get(s, "required");
        size_t i, k;

        for (i = 0; i < cmfa_value_count(members); i++) {
            const char *mname;
            const struct cmfa_value *m = cmfa_value_at(members, i, &mname);
            struct cmfa__buf sub;

            cmfa__buf_init(&sub, 0);
            if (*path)
                cmfa__buf_printf(&sub, "%s.", path);
            cmfa__buf_addstr(&sub, mname);
            for (k = 0; k < cmfa_value_count(req); k++)
                if (strcmp(cmfa_value_string(cmfa_value_at(req, k, NULL), NULL), mname) == 0)
                    need(op, sub.data, "required", 1);
            cover_shape(op, shapes, cmfa_value_string(cmfa_value_get(m, "shape"), NULL),
                        sub.data);
            cmfa__buf_cleanup(&sub);
        }
    } else if (is_list) {
        struct cmfa__buf sub;

        cmfa__buf_init(&sub, 0);
        cmfa__buf_printf(&sub, "%s[0]", path);
        cover_shape(op, shapes,
                    cmfa_value_string(cmfa_value_get(cmfa_value_get(s, "member"), "shape"), NULL),
                    sub.data);
        cmfa__buf_cleanup(&sub);
    }
}

static void test_coverage(void)
{
    const char *path = CMFA_SHARED_DATA "/cognito-idp-mfa-shapes.json";
    struct cmfa_value *root;
    const struct cmfa_value *ops;
    size_t len, i;
    char *text = check_read_file(path, &len);

    if (!text) {
        CHECK_SKIP("%s not found: constraint coverage not checked", path);
        return;
    }
    root = cmfa_value_parse(text, len, NULL);
    free(text);
    CHECK(root != NULL);
    ops = cmfa_value_get(root, "operations");
    for (i = 0; i < cmfa_value_count(ops); i++) {
        const char *op;
        const struct cmfa_value *jop = cmfa_value_at(ops, i, &op);
        cover_shape(op, cmfa_value_get(root, "shapes"),
                    cmfa_value_string(cmfa_value_get(cmfa_value_get(jop, "input"), "shape"), NULL),
                    "");
    }
    CHECK_INT(nconstraints, 81); /* as of botocore 1.43.56 */
    CHECK_INT(ncovered, nconstraints);
    printf("test_validate: %zu of %zu input constraints in the model extract have passing and "
           "failing cases\n",
           ncovered, nconstraints);
    cmfa_value_free(root);
}

/* ------------------------------------------------------------------ all violations at once */

struct expect {
    const char *path, *rule, *message; /* message NULL: not compared */
};

static void check_violations(const char *op, const char *templ, const struct expect *want,
                             size_t n)
{
    struct cmfa_value *v = parse_t(templ);
    struct cmfa_error err;
    cmfa_code rc;
    size_t i;

    cmfa_error_init(&err);
    rc = cmfa_validate(op, v, &err);
    CHECK_INT(rc, n ? CMFA_E_VALIDATION : CMFA_OK);
    CHECK_INT(err.nviolations, n);
    for (i = 0; i < n && i < err.nviolations; i++) {
        CHECK_STR(err.violations[i].path, want[i].path);
        CHECK_STR(err.violations[i].rule, want[i].rule);
        if (want[i].message)
            CHECK_STR(err.violations[i].message, want[i].message);
    }
    if (err.nviolations != n)
        dump_violations(&err);
    cmfa_error_cleanup(&err);
    cmfa_value_free(v);
}

static const char many_errors[] =
    "{\"UserPoolId\":\" us-east-1_abc\","
    "\"MfaConfiguration\":\"on\","
    "\"SoftwareTokenMfaConfiguration\":{\"Enable\":true},"
    "\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"no code\","
    "\"SmsConfiguration\":{\"EumsSms\":{\"Region\":\"eu\"}}},"
    "\"EmailMfaConfiguration\":{\"Subject\":5},"
    "\"WebAuthnConfiguration\":{\"RelyingPartyId\":\"\",\"UserVerification\":\"REQUIRED\"},"
    "\"Foo\":1}";

/* In the model's member order, then unknown members. */
static const struct expect many_expected[] = {
    {"UserPoolId", "pattern", "UserPoolId must match pattern [\\w-]+_[0-9a-zA-Z]+"},
    {"SmsMfaConfiguration.SmsAuthenticationMessage", "pattern",
     "SmsMfaConfiguration.SmsAuthenticationMessage must match pattern .*\\{####\\}.*"},
    {"SmsMfaConfiguration.SmsConfiguration.EumsSms.CallerArn", "required",
     "SmsMfaConfiguration.SmsConfiguration.EumsSms.CallerArn is required"},
    {"SmsMfaConfiguration.SmsConfiguration.EumsSms.Region", "min_length",
     "SmsMfaConfiguration.SmsConfiguration.EumsSms.Region must be at least 5 characters long "
     "(got 2)"},
    {"SoftwareTokenMfaConfiguration.Enable", "unknown",
     "SoftwareTokenMfaConfiguration.Enable is not a known member of SoftwareTokenMfaConfigType "
     "(expected one of: Enabled)"},
    {"EmailMfaConfiguration.Subject", "type",
     "EmailMfaConfiguration.Subject must be a string (got number)"},
    {"MfaConfiguration", "enum", "MfaConfiguration must be one of OFF, ON, OPTIONAL (got \"on\")"},
    {"WebAuthnConfiguration.RelyingPartyId", "min_length",
     "WebAuthnConfiguration.RelyingPartyId must be at least 1 characters long (got 0)"},
    {"WebAuthnConfiguration.UserVerification", "enum",
     "WebAuthnConfiguration.UserVerification must be one of required, preferred (got "
     "\"REQUIRED\")"},
    {"Foo", "unknown",
     "Foo is not a known member of SetUserPoolMfaConfigRequest (expected one of: UserPoolId, "
     "SmsMfaConfiguration, SoftwareTokenMfaConfiguration, EmailMfaConfiguration, "
     "MfaConfiguration, WebAuthnConfiguration)"},
};

static void test_all_at_once(void)
{
    struct cmfa_value *v = parse_t(many_errors);
    struct cmfa_error err;

    check_violations(SETOP, many_errors, many_expected, CMFA__ARRAY_LEN(many_expected));
    /* the same members given in another order: the same violations in the same order */
    check_violations(SETOP,
                     "{\"Foo\":1,"
                     "\"WebAuthnConfiguration\":{\"UserVerification\":\"REQUIRED\",\"RelyingPartyId\":\"\"},"
                     "\"EmailMfaConfiguration\":{\"Subject\":5},"
                     "\"SmsMfaConfiguration\":{\"SmsConfiguration\":{\"EumsSms\":{\"Region\":\"eu\"}},"
                     "\"SmsAuthenticationMessage\":\"no code\"},"
                     "\"SoftwareTokenMfaConfiguration\":{\"Enable\":true},"
                     "\"MfaConfiguration\":\"on\","
                     "\"UserPoolId\":\" us-east-1_abc\"}",
                     many_expected, CMFA__ARRAY_LEN(many_expected));

    /* The error message summarises them, and the kind is "validation". */
    cmfa_error_init(&err);
    CHECK_INT(cmfa_validate(SETOP, v, &err), CMFA_E_VALIDATION);
    CHECK(strncmp(err.message, "10 validation errors: UserPoolId must match pattern", 51) == 0);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_VALIDATION);
    cmfa_error_cleanup(&err);

    /* Without an error record the result code still says so. */
    CHECK_INT(cmfa_validate(SETOP, v, NULL), CMFA_E_VALIDATION);
    cmfa_value_free(v);
}

static void test_messages(void)
{
    static const struct expect max61[] = {
        {"MaxResults", "max", "MaxResults must be at most 60 (got 61)"}};
    static const struct expect min0[] = {
        {"MaxResults", "min", "MaxResults must be at least 1 (got 0)"}};
    static const struct expect frac[] = {
        {"MaxResults", "type", "MaxResults must be an integer (got 2.5)"}};
    static const struct expect str[] = {
        {"MaxResults", "type", "MaxResults must be an integer (got string)"}};
    static const struct expect required[] = {{"UserPoolId", "required", "UserPoolId is required"}};
    static const struct expect longenum[] = {
        {"MfaConfiguration", "enum",
         "MfaConfiguration must be one of OFF, ON, OPTIONAL (got a string of 100 characters)"}};
    static const struct expect quoted[] = {
        {"MfaConfiguration", "enum",
         "MfaConfiguration must be one of OFF, ON, OPTIONAL (got \"say \\\"hi\\\"\")"}};
    static const struct expect ctrl[] = {
        {"MfaConfiguration", "enum",
         "MfaConfiguration must be one of OFF, ON, OPTIONAL (got a string of 3 characters)"}};
    static const struct expect maxlen[] = {
        {"WebAuthnConfiguration.RelyingPartyId", "max_length",
         "WebAuthnConfiguration.RelyingPartyId must be at most 127 characters long (got 128)"}};
    static const struct expect arr[] = {
        {"", "type", "input must be an object (got array)"}};

    check_violations(LIST, "{\"MaxResults\":61}", max61, 1);
    check_violations(LIST, "{\"MaxResults\":0}", min0, 1);
    check_violations(LIST, "{\"MaxResults\":2.5}", frac, 1);
    check_violations(LIST, "{\"MaxResults\":\"2\"}", str, 1);
    check_violations(GET, "{}", required, 1);
    check_violations(SETOP, SET("\"MfaConfiguration\":\"@100:x@\""), longenum, 1);
    check_violations(SETOP, SET("\"MfaConfiguration\":\"say \\\"hi\\\"\""), quoted, 1);
    check_violations(SETOP, SET("\"MfaConfiguration\":\"a\\nb\""), ctrl, 1);
    check_violations(SETOP, WEBAUTHN("\"RelyingPartyId\":\"@128:a@\""), maxlen, 1);
    check_violations(GET, "[]", arr, 1);
}

/* ------------------------------------------------------------------ the API's edges */

static void test_api(void)
{
    struct cmfa_error err;
    struct cmfa_value *v = parse_t("{\"UserPoolId\":\"us-east-1_abc\"}");
    static const struct expect list_required[] = {{"MaxResults", "required", NULL}};
    static const struct expect set_required[] = {{"UserPoolId", "required", NULL}};

    cmfa_error_init(&err);
    CHECK_INT(cmfa_validate(NULL, v, &err), CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa_validate("NoSuchOperation", v, &err), CMFA_E_UNKNOWN_OPERATION);
    CHECK_STR(err.message, "unknown operation NoSuchOperation");
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa_validate(GET, v, &err), CMFA_OK);
    CHECK_INT(err.code, CMFA_OK);
    CHECK_INT(cmfa_validate(DESC, v, NULL), CMFA_OK);

    /* NULL input is {} */
    CHECK_INT(cmfa_validate(SETOP, NULL, &err), CMFA_E_VALIDATION);
    CHECK_INT(err.nviolations, 1);
    if (err.nviolations)
        CHECK_STR(err.violations[0].path, "UserPoolId");
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa_validate(LIST, NULL, &err), CMFA_E_VALIDATION);
    CHECK_INT(err.nviolations, 1);
    cmfa_error_cleanup(&err);
    check_violations(LIST, "{}", list_required, 1);
    check_violations(SETOP, "{}", set_required, 1);

    /* A path prefix for part of a value. */
    {
        struct cmfa_value *sms = parse_t("{\"SmsAuthenticationMessage\":\"x\",\"Bad\":1}");
        CHECK_INT(cmfa__validate_shape(cmfa_model_shape("SmsMfaConfigType"), sms,
                                       "SmsMfaConfiguration", &err),
                  CMFA_E_VALIDATION);
        CHECK_INT(err.nviolations, 3);
        CHECK(find_violation(&err, "SmsMfaConfiguration.SmsAuthenticationMessage", "min_length"));
        CHECK(find_violation(&err, "SmsMfaConfiguration.SmsAuthenticationMessage", "pattern"));
        CHECK(find_violation(&err, "SmsMfaConfiguration.Bad", "unknown"));
        cmfa_error_cleanup(&err);
        CHECK_INT(cmfa__validate_shape(NULL, sms, "", &err), CMFA_E_BAD_ARGUMENT);
        cmfa_error_cleanup(&err);
        cmfa_value_free(sms);
    }
    cmfa_value_free(v);
}

/* The AWS documentation example (SMS + TOTP + Email + WebAuthn, OPTIONAL) is valid. */
static const char doc_example[] =
    "{\"UserPoolId\":\"us-west-2_EXAMPLE\","
    "\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"Your OTP for MFA or sign-in: use {####}.\","
    "\"SmsConfiguration\":{\"SnsCallerArn\":\"arn:aws:iam::123456789012:role/service-role/test-SMS-Role\","
    "\"ExternalId\":\"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111\",\"SnsRegion\":\"us-west-2\"}},"
    "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},"
    "\"EmailMfaConfiguration\":{\"Message\":\"Your OTP for MFA or sign-in: use {####}\","
    "\"Subject\":\"OTP test\"},"
    "\"MfaConfiguration\":\"OPTIONAL\","
    "\"WebAuthnConfiguration\":{\"RelyingPartyId\":\"auth.example.com\",\"UserVerification\":\"preferred\"}}";

static void test_doc_example(void)
{
    check_violations(SETOP, doc_example, NULL, 0);
    check_violations(SETOP,
                     SET("\"SmsMfaConfiguration\":{\"SmsConfiguration\":{\"EumsSms\":{"
                         "\"CallerArn\":\"arn:aws:iam::123456789012:role/eums\","
                         "\"ExternalId\":\"x\",\"OriginationIdentity\":\"+12065550100\","
                         "\"ConfigurationSetName\":\"set\",\"InEntityId\":\"1\","
                         "\"InTemplateId\":\"2\",\"Region\":\"eu-central-1\"}}},"
                         "\"WebAuthnConfiguration\":{\"FactorConfiguration\":"
                         "\"MULTI_FACTOR_WITH_USER_VERIFICATION\"},\"MfaConfiguration\":\"ON\""),
                     NULL, 0);
}

/* ------------------------------------------------------------------ nulls, unknowns, UTF-8 */

static void test_nulls(void)
{
    static const struct expect id_required[] = {{"UserPoolId", "required", NULL}};
    static const struct expect arn_required[] = {{P_EUMS ".CallerArn", "required", NULL}};
    static const struct expect unknown_null[] = {{"Typo", "unknown", NULL}};

    /* optional members given as null are "not given" */
    check_violations(SETOP,
                     SET("\"MfaConfiguration\":null,\"SmsMfaConfiguration\":null,"
                         "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":null},"
                         "\"WebAuthnConfiguration\":{\"RelyingPartyId\":null}"),
                     NULL, 0);
    check_violations(LIST, "{\"MaxResults\":1,\"NextToken\":null}", NULL, 0);
    /* required ones are missing */
    check_violations(SETOP, "{\"UserPoolId\":null,\"MfaConfiguration\":null}", id_required, 1);
    check_violations(SETOP, SMSCFG("\"EumsSms\":{\"CallerArn\":null}"), arn_required, 1);
    /* a null under an unknown name is still an unknown name */
    check_violations(GET, "{\"UserPoolId\":\"us-east-1_abc\",\"Typo\":null}", unknown_null, 1);
}

static void test_unknown_members(void)
{
    static const struct expect typo[] = {
        {"SoftwareTokenMfaConfiguration.Enable", "unknown", NULL}};
    static const struct expect wrong_case[] = {{"UserPoolId", "required", NULL},
                                               {"userPoolId", "unknown", NULL}};
    static const struct expect deep[] = {{P_EUMS ".Extra", "unknown", NULL}};
    static const struct expect two[] = {{"A", "unknown", NULL}, {"B", "unknown", NULL}};

    /* {"Enable": false} would otherwise send a section that turns TOTP off */
    check_violations(SETOP, TOTP("\"Enable\":true"), typo, 1);
    check_violations(GET, "{\"userPoolId\":\"us-east-1_abc\"}", wrong_case, 2);
    check_violations(SETOP, EUMS("\"Extra\":{\"x\":[1,2,3]}"), deep, 1);
    check_violations(DESC, "{\"UserPoolId\":\"us-east-1_abc\",\"A\":1,\"B\":{}}", two, 2);
}

static void test_deep_nesting(void)
{
    static const struct expect junk[] = {{"Junk", "unknown", NULL}};
    static const struct expect enabled[] = {
        {"SoftwareTokenMfaConfiguration.Enabled", "type", NULL}};
    struct cmfa__buf b;
    int i;

    /* Values nested far below an unknown or mistyped member are not walked. */
    cmfa__buf_init(&b, 0);
    cmfa__buf_addstr(&b, "{\"UserPoolId\":\"us-east-1_abc\",\"Junk\":");
    for (i = 0; i < 450; i++)
        cmfa__buf_addstr(&b, "{\"a\":[");
    for (i = 0; i < 450; i++)
        cmfa__buf_addstr(&b, "]}");
    cmfa__buf_addstr(&b, "}");
    check_violations(GET, b.data, junk, 1);
    cmfa__buf_reset(&b);
    cmfa__buf_addstr(&b, TOTP("\"Enabled\":"));
    b.len--; /* drop the closing braces */
    b.len--;
    b.data[b.len] = '\0';
    for (i = 0; i < 900; i++)
        cmfa__buf_addstr(&b, "[");
    for (i = 0; i < 900; i++)
        cmfa__buf_addstr(&b, "]");
    cmfa__buf_addstr(&b, "}}");
    check_violations(SETOP, b.data, enabled, 1);
    cmfa__buf_cleanup(&b);
}

static void test_invalid_utf8(void)
{
    static const char *const bad[] = {
        "\xff",             /* never valid */
        "ab\xc0\xaf",       /* overlong '/' */
        "\xed\xa0\x80",     /* UTF-16 surrogate */
        "\xe2\x82",         /* truncated */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "a\x80z",           /* stray continuation byte */
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(bad); i++) {
        struct cmfa_value *v = cmfa_value_new_object(), *email = cmfa_value_new_object();
        struct cmfa_error err;

        cmfa_value_set(v, "UserPoolId", cmfa_value_new_string("us-east-1_abc", 13));
        cmfa_value_set(email, "Subject", cmfa_value_new_string(bad[i], strlen(bad[i])));
        cmfa_value_set(email, "Message", cmfa_value_new_string(bad[i], strlen(bad[i])));
        cmfa_value_set(v, "EmailMfaConfiguration", email);
        cmfa_value_set(v, "MfaConfiguration", cmfa_value_new_string(bad[i], strlen(bad[i])));
        cmfa_error_init(&err);
        CHECK_INT(cmfa_validate(SETOP, v, &err), CMFA_E_VALIDATION);
        CHECK_INT(err.nviolations, 3);
        CHECK(find_violation(&err, "EmailMfaConfiguration.Subject", "utf8") != NULL);
        CHECK(find_violation(&err, "EmailMfaConfiguration.Message", "utf8") != NULL);
        CHECK(find_violation(&err, "MfaConfiguration", "utf8") != NULL);
        if (err.nviolations)
            CHECK_STR(err.violations[0].message, "EmailMfaConfiguration.Message is not valid UTF-8");
        cmfa_error_cleanup(&err);
        cmfa_value_free(v);
    }
    /* Raw bytes in JSON text reach validation the same way. */
    {
        static const struct expect rid[] = {{"WebAuthnConfiguration.RelyingPartyId", "utf8", NULL}};
        check_violations(SETOP, WEBAUTHN("\"RelyingPartyId\":\"ex\xe9mple.com\""), rid, 1);
    }
}

static void test_utf8_length(void)
{
    static const struct {
        const char *s;
        size_t len; /* 0: strlen */
        size_t chars;
    } table[] = {
        {"", 0, 0},
        {"abc", 0, 3},
        {"\xc3\xa9", 0, 1},
        {"\xe6\x97\xa5\xe6\x9c\xac", 0, 2},
        {"\xf0\x9f\x98\x80", 0, 1},
        {"e\xcc\x81", 0, 2}, /* e + combining acute: two code points */
        {"a\0b", 3, 3},
        {"\xef\xbf\xbf", 0, 1},     /* U+FFFF */
        {"\xf4\x8f\xbf\xbf", 0, 1}, /* U+10FFFF */
        {"\xee\x80\x80", 0, 1},     /* U+E000, after the surrogates */
        {"\xff", 0, (size_t)-1},
        {"\xc1\xbf", 0, (size_t)-1},
        {"\xe0\x9f\xbf", 0, (size_t)-1},
        {"\xed\xbf\xbf", 0, (size_t)-1},
        {"\xf0\x8f\xbf\xbf", 0, (size_t)-1},
        {"\xf4\x90\x80\x80", 0, (size_t)-1},
        {"\xf5\x80\x80\x80", 0, (size_t)-1},
        {"\xc3", 0, (size_t)-1},
        {"\xe6\x97", 0, (size_t)-1},
        {"\xf0\x9f\x98", 0, (size_t)-1},
        {"\xc3\x28", 0, (size_t)-1},
        {"\xe6\x28\xa5", 0, (size_t)-1},
        {"\xf0\x9f\x28\x80", 0, (size_t)-1},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++) {
        size_t len = table[i].len ? table[i].len : strlen(table[i].s);
        CHECK_MSG(cmfa__utf8_length(table[i].s, len) == table[i].chars, "case %zu", i);
    }
    CHECK(cmfa__utf8_length(NULL, 0) == 0);
    CHECK(cmfa__utf8_length(NULL, 1) == (size_t)-1);
    /* A buffer cut inside a character (the length bounds the read). */
    CHECK(cmfa__utf8_length("\xe6\x97\xa5", 2) == (size_t)-1);
}

/* ------------------------------------------------------------------ regex semantics */

static void test_regex(void)
{
    static const struct {
        const char *pattern, *subject;
        int want;
    } table[] = {
        {"a+", "aaa", 1},
        {"a+", "aab", 0},
        {"a+", "", 0},
        {"a|ab", "ab", 1}, /* full match backtracks into the other branch */
        {"[\\w-]+_[0-9a-zA-Z]+", "us-east-1_abc", 1},
        {"[\\w-]+_[0-9a-zA-Z]+", "xus-east-1_abc!", 0},
        {".*", "a\tb", 1},
        {".*", "a\nb", 0},
        {".*", "a\rb", 0},
        {".*", "a\xc2\x85" "b", 0},     /* NEL */
        {".*", "a\xe2\x80\xa8" "b", 0}, /* LINE SEPARATOR */
        {".*", "a\xe2\x80\xa9" "b", 0}, /* PARAGRAPH SEPARATOR */
        {".*", "\xe6\x97\xa5\xe6\x9c\xac", 1},
        {"(?s).*", "a\nb", 1},
        {"\\w+", "abc_123", 1},
        {"\\w+", "\xc3\xa9", 0},                 /* \w is ASCII (no UCP) */
        {"\\d", "\xd9\xa3", 0},                  /* ARABIC-INDIC DIGIT THREE */
        {"\\s", "\xc2\xa0", 0},                  /* NBSP */
        {"\\s", "\x0b", 1},                      /* VT is \s, as in Java */
        {"\\p{L}+", "\xc3\xa9\xe6\x97\xa5", 1},  /* é日 */
        {"\\p{N}", "\xd9\xa3", 1},
        {"\\p{S}", "\xe2\x9c\x93", 1},           /* ✓ */
        {"\\p{P}", "\xc2\xa1", 1},               /* ¡ */
        {"\\p{M}", "\xcc\x81", 1},               /* combining acute */
        {"\\p{L}", "\xf0\x9f\x98\x80", 0},       /* 😀 is a symbol */
        {"^[a-z]+$", "abc", 1},
        {"^[a-z]+$", "abc\n", 0},                /* $ before a final newline is not the end */
        {"^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$", "my-domain", 1},
        {"^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$", "-my-domain", 0},
    };
    size_t i;

    cmfa__regex_global_cleanup(); /* compile lazily, without cmfa__regex_global_init */
    for (i = 0; i < CMFA__ARRAY_LEN(table); i++)
        CHECK_MSG(cmfa__regex_full_match(table[i].pattern, table[i].subject,
                                         strlen(table[i].subject)) == table[i].want,
                  "/%s/ on case %zu", table[i].pattern, i);
    /* The length bounds the subject: "abc" of "abcdef". */
    CHECK_INT(cmfa__regex_full_match("abc", "abcdef", 3), 1);
    CHECK_INT(cmfa__regex_full_match("a*", NULL, 0), 1);
    CHECK_INT(cmfa__regex_full_match("(", "x", 1), -1);    /* bad pattern */
    CHECK_INT(cmfa__regex_full_match("(", "x", 1), -1);    /* and not cached */
    CHECK_INT(cmfa__regex_full_match(".*", "\xff", 1), -1); /* invalid UTF-8 */
    CHECK_INT(cmfa__regex_full_match(NULL, "x", 1), -1);
    CHECK_INT(cmfa__regex_full_match("a", NULL, 1), -1);
    /* After the global init, the same answers. */
    CHECK_INT(cmfa__regex_global_init(), CMFA_OK);
    CHECK_INT(cmfa__regex_full_match("[\\w-]+_[0-9a-zA-Z]+", " us-east-1_abc", 14), 0);
    CHECK_INT(cmfa__regex_full_match("[\\w-]+_[0-9a-zA-Z]+", "us-east-1_abc", 13), 1);
}

/* ------------------------------------------------------------------ allocation failures */

static struct cmfa_value *alloc_input;
static size_t alloc_expect; /* violations expected when nothing fails */

static cmfa_code op_validate(void)
{
    struct cmfa_error err;
    cmfa_code rc;

    cmfa__regex_global_cleanup(); /* so pattern compilation is exercised every run */
    cmfa_error_init(&err);
    rc = cmfa_validate(SETOP, alloc_input, &err);
    if (rc == CMFA_E_VALIDATION) {
        CHECK_INT(err.nviolations, alloc_expect);
        CHECK_INT(err.code, CMFA_E_VALIDATION);
        rc = err.nviolations == alloc_expect ? CMFA_OK : CMFA_E_INTERNAL;
    } else if (rc == CMFA_E_NOMEM) {
        CHECK_INT(err.code, CMFA_E_NOMEM);
    } else if (rc == CMFA_OK) {
        CHECK_INT(alloc_expect, 0);
    }
    cmfa_error_cleanup(&err);
    return rc;
}


static void test_alloc_failures(void)
{
    alloc_input = parse_t(doc_example);
    alloc_expect = 0;
    alloc_loop("valid input", op_validate);
    cmfa_value_free(alloc_input);

    alloc_input = parse_t(many_errors);
    alloc_expect = CMFA__ARRAY_LEN(many_expected);
    alloc_loop("input with 10 violations", op_validate);
    cmfa_value_free(alloc_input);
    alloc_input = NULL;
}

int main(void)
{
    test_table();
    test_coverage();
    test_all_at_once();
    test_messages();
    test_api();
    test_doc_example();
    test_nulls();
    test_unknown_members();
    test_deep_nesting();
    test_invalid_utf8();
    test_utf8_length();
    test_regex();
    test_alloc_failures();
    cmfa__regex_global_cleanup();
    return check_done("test_validate");
}
