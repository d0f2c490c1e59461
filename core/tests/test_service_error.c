/* errors.c: AWS JSON 1.1 error responses (Smithy awsJson1_1 error tests, real Cognito, moto,
 * cognito-local), the 2xx "Output" envelope, non-JSON bodies, truncation and cleaning. */
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "cmfa_int.h"

#define URI ":http://internal.amazon.com/coral/com.amazon.coral.validate/"

/* Parses a response made of status, NULL-terminated name/value pairs and a body (NULL: none)
 * into err, which is NOT reset first (tests of reuse rely on that). Not inlined: at -O3 GCC
 * would unroll the loop past the NULL terminator and warn (-Warray-bounds) about a read that
 * never happens. */
__attribute__((noinline)) static cmfa_code parse_into(struct cmfa_error *err, long status, const char *const *pairs,
                            const char *body)
{
    struct cmfa_header h[16];
    struct cmfa_response resp;
    size_t n = 0;
    cmfa_code rc;

    while (pairs && pairs[2 * n] && n < CMFA__ARRAY_LEN(h)) {
        h[n].name = pairs[2 * n];
        h[n].value = pairs[2 * n + 1];
        n++;
    }
    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    resp.headers = n ? h : NULL;
    resp.nheaders = n;
    resp.body = body;
    resp.body_len = body ? strlen(body) : 0;
    rc = cmfa__error_from_response(&resp, err);
    err->retryable = cmfa__retry_is_retryable(err);   /* as cmfa_parse_response classifies it */
    return rc;
}

static cmfa_code parse(struct cmfa_error *err, long status, const char *const *pairs,
                       const char *body)
{
    cmfa_error_init(err);
    return parse_into(err, status, pairs, body);
}

static int valid_utf8_no_controls(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        size_t len, i;
        if (*p < 0x20 || *p == 0x7F)
            return 0;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xC2 && *p <= 0xDF)
            len = 2;
        else if (*p >= 0xE0 && *p <= 0xEF)
            len = 3;
        else if (*p >= 0xF0 && *p <= 0xF4)
            len = 4;
        else
            return 0;
        for (i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        if (len == 2 && p[0] == 0xC2 && p[1] < 0xA0)
            return 0;   /* C1 control */
        p += len;
    }
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void test_sanitize(void)
{
    static const struct {
        const char *raw, *want;
    } cases[] = {
        {"FooError", "FooError"},
        {"FooError" URI, "FooError"},
        {"aws.protocoltests.restjson#FooError", "FooError"},
        {"aws.protocoltests.restjson#FooError" URI, "FooError"},
        {"NotAuthorizedException:", "NotAuthorizedException"},
        {"com.amazon.coral.service#SerializationException", "SerializationException"},
        {"CognitoLocal#Unsupported", "Unsupported"},
        {"a#b#c", "b#c"},            /* after the FIRST '#' */
        {"x:y#z", "x"},              /* the ':' cut comes first */
        {"ns#", ""},
        {":FooError", ""},
        {"", ""},
        {"  FooError\r\n", "FooError"},
        {"Foo\x01" "Error", "FooError"},
    };
    char out[128];
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(cases); i++) {
        memset(out, 'x', sizeof(out));
        cmfa__sanitize_error_code(cases[i].raw, strlen(cases[i].raw), out, sizeof(out));
        CHECK_STR(out, cases[i].want);
    }
    /* Length-bounded input: no NUL needed after len. */
    cmfa__sanitize_error_code("FooErrorGarbage", 8, out, sizeof(out));
    CHECK_STR(out, "FooError");
    /* Output capped. */
    cmfa__sanitize_error_code("ns#ABCDEFGH", 11, out, 5);
    CHECK_STR(out, "ABCD");
    cmfa__sanitize_error_code("ABC", 3, out, 1);
    CHECK_STR(out, "");
    cmfa__sanitize_error_code(NULL, 5, out, sizeof(out));
    CHECK_STR(out, "");
    cmfa__sanitize_error_code("ABC", 3, NULL, 0);   /* no crash */
}

static void test_header_get(void)
{
    const struct cmfa_header h[] = {
        {"Content-Type", "application/x-amz-json-1.1"},
        {NULL, "ignored"},
        {"x-amzn-requestid", "rid-1"},
        {"X-Empty", NULL},
        {"X-AMZN-REQUESTID", "rid-2"},
    };

    CHECK_STR(cmfa__header_get(h, 5, "x-amzn-RequestId"), "rid-1");   /* first match */
    CHECK_STR(cmfa__header_get(h, 5, "CONTENT-TYPE"), "application/x-amz-json-1.1");
    CHECK_STR(cmfa__header_get(h, 5, "x-empty"), "");
    CHECK(cmfa__header_get(h, 5, "X-Amzn-ErrorType") == NULL);
    CHECK(cmfa__header_get(h, 1, "x-amzn-requestid") == NULL);       /* n honoured */
    CHECK(cmfa__header_get(NULL, 3, "x") == NULL);
    CHECK(cmfa__header_get(h, 5, NULL) == NULL);
}

/* smithy-aws-protocol-tests awsJson1_1 errors.smithy, FooError cases (status 500). */
static void test_smithy_foo_error(void)
{
    static const char *const json_ct[] = {"Content-Type", "application/x-amz-json-1.1", NULL};
    static const struct {
        const char *name, *header, *body;
    } cases[] = {
        {"AwsJson11FooErrorUsingXAmznErrorType", "FooError", NULL},
        {"AwsJson11FooErrorUsingXAmznErrorTypeWithUri", "FooError" URI, NULL},
        {"AwsJson11FooErrorUsingXAmznErrorTypeWithUriAndNamespace",
         "aws.protocoltests.json#FooError" URI, NULL},
        {"AwsJson11FooErrorUsingCode", NULL, "{\n    \"code\": \"FooError\"\n}"},
        {"AwsJson11FooErrorUsingCodeAndNamespace", NULL,
         "{\n    \"code\": \"aws.protocoltests.json#FooError\"\n}"},
        {"AwsJson11FooErrorUsingCodeUriAndNamespace", NULL,
         "{\n    \"code\": \"aws.protocoltests.json#FooError" URI "\"\n}"},
        {"AwsJson11FooErrorWithDunderType", NULL, "{\n    \"__type\": \"FooError\"\n}"},
        {"AwsJson11FooErrorWithDunderTypeAndNamespace", NULL,
         "{\n    \"__type\": \"aws.protocoltests.json#FooError\"\n}"},
        {"AwsJson11FooErrorWithDunderTypeUriAndNamespace", NULL,
         "{\n    \"__type\": \"aws.protocoltests.json#FooError" URI "\"\n}"},
        {"AwsJson11FooErrorWithNestedTypeProperty", NULL,
         "{\n    \"__type\": \"aws.protocoltests.json#FooError\",\n"
         "    \"ErrorDetails\": [\n      {\n"
         "          \"__type\": \"com.amazon.internal#ErrorDetails\",\n"
         "          \"reason\": \"Some reason\"\n      }\n    ]\n}"},
    };
    struct cmfa_error err;
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(cases); i++) {
        const char *hdr[] = {"X-Amzn-Errortype", cases[i].header, NULL};
        cmfa_code rc = parse(&err, 500, cases[i].header ? hdr : json_ct, cases[i].body);
        CHECK_MSG(rc == CMFA_E_SERVICE, "%s", cases[i].name);
        CHECK_MSG(err.code == CMFA_E_SERVICE, "%s", cases[i].name);
        CHECK_MSG(strcmp(err.service_code, "FooError") == 0, "%s: got %s", cases[i].name,
                  err.service_code);
        CHECK_MSG(err.status == 500, "%s", cases[i].name);
        CHECK_MSG(err.retryable == 1, "%s (HTTP 500 is transient)", cases[i].name);
        CHECK_MSG(strncmp(err.message, "FooError: ", 10) == 0, "%s: %s", cases[i].name,
                  err.message);
        CHECK_MSG(ends_with(err.message, " (HTTP 500)"), "%s: %s", cases[i].name, err.message);
        CHECK(valid_utf8_no_controls(err.message));
        cmfa_error_cleanup(&err);
    }

    /* Header only, no body at all. */
    {
        const char *hdr[] = {"X-Amzn-Errortype", "FooError", NULL};
        parse(&err, 500, hdr, NULL);
        CHECK_STR(err.message, "FooError: HTTP 500 with an empty body (HTTP 500)");
    }
    /* Nested only: the nested __type must not be taken for the error. */
    parse(&err, 400, NULL,
          "{\"ErrorDetails\":[{\"__type\":\"com.amazon.internal#ErrorDetails\"}],"
          "\"Nested\":{\"__type\":\"Inner\",\"code\":\"Inner\"}}");
    CHECK_STR(err.service_code, "HttpStatus400");
}

static void test_smithy_other_errors(void)
{
    static const char *const ct[] = {"Content-Type", "application/x-amz-json-1.1", NULL};
    struct cmfa_error err;

    /* AwsJson11InvalidGreetingError: "Message" capitalised. */
    parse(&err, 400, ct, "{\n    \"__type\": \"InvalidGreeting\",\n    \"Message\": \"Hi\"\n}");
    CHECK_STR(err.service_code, "InvalidGreeting");
    CHECK_STR(err.message, "InvalidGreeting: Hi (HTTP 400)");
    CHECK_INT(err.status, 400);
    CHECK_INT(err.retryable, 0);

    /* AwsJson11ComplexError: no message member. */
    parse(&err, 400, ct,
          "{\"__type\": \"ComplexError\", \"TopLevel\": \"Top level\", "
          "\"Nested\": {\"Foo\": \"bar\"}}");
    CHECK_STR(err.service_code, "ComplexError");
    CHECK_STR(err.message, "ComplexError: the service sent no error message (HTTP 400)");

    /* AwsJson11EmptyComplexError */
    parse(&err, 400, ct, "{\n    \"__type\": \"ComplexError\"\n}");
    CHECK_STR(err.service_code, "ComplexError");

    /* Cognito's SerializationException with capital Message (aws-contract 3.6). */
    parse(&err, 400, ct, "{\"__type\":\"SerializationException\",\"Message\":\"Expected map or null\"}");
    CHECK_STR(err.message, "SerializationException: Expected map or null (HTTP 400)");
    /* Coral framework error, namespaced, no message at all. */
    parse(&err, 400, ct, "{\"__type\":\"com.amazon.coral.service#SerializationException\"}");
    CHECK_STR(err.service_code, "SerializationException");
}

static void test_real_cognito(void)
{
    static const char *const hdr[] = {
        "Date", "Tue, 08 Sep 2020 10:00:00 GMT",
        "Content-Type", "application/x-amz-json-1.1",
        "x-amzn-errortype", "NotAuthorizedException:",
        "x-amzn-errormessage", "Incorrect username or password.",
        "x-amzn-requestid", "55ae2950-f1d1-4ae5-8f6e-3b1c0e4d9a10",
        NULL};
    struct cmfa_error err;

    CHECK_INT(parse(&err, 400, hdr,
                    "{\"__type\":\"NotAuthorizedException\",\"message\":\"Incorrect username or "
                    "password.\"}"),
              CMFA_E_SERVICE);
    CHECK_STR(err.service_code, "NotAuthorizedException");
    CHECK_STR(err.request_id, "55ae2950-f1d1-4ae5-8f6e-3b1c0e4d9a10");
    CHECK_STR(err.message, "NotAuthorizedException: Incorrect username or password. "
                           "(HTTP 400, request id 55ae2950-f1d1-4ae5-8f6e-3b1c0e4d9a10)");
    CHECK_INT(err.status, 400);
    CHECK_INT(err.retryable, 0);
    CHECK_INT(err.attempts, 0);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_SERVICE);

    /* The same with an empty body: the message comes from x-amzn-errormessage. */
    parse(&err, 400, hdr, "");
    CHECK_STR(err.message, "NotAuthorizedException: Incorrect username or password. "
                           "(HTTP 400, request id 55ae2950-f1d1-4ae5-8f6e-3b1c0e4d9a10)");

    /* Real ResourceNotFoundException (aws-contract 3.6), 400. */
    {
        const char *h2[] = {"x-amzn-RequestId", "rid", NULL};
        parse(&err, 400, h2,
              "{\"__type\":\"ResourceNotFoundException\","
              "\"message\":\"User pool ap-southeast-1_ZZZZZZZZZ does not exist.\"}");
        CHECK_STR(err.message, "ResourceNotFoundException: User pool ap-southeast-1_ZZZZZZZZZ "
                               "does not exist. (HTTP 400, request id rid)");
    }
}

static void test_moto(void)
{
    static const char *const hdr[] = {
        "Content-Type", "application/json",
        "X-Amzn-ErrorType", "InvalidParameterException",
        "x-amzn-requestid", "WQSYYbBD7bR7b2Smdn3BTRbuvYG3Zqcx3dFv1oTNXuEkYf7Pqv5N",
        NULL};
    static const char *const html_hdr[] = {"Content-Type", "text/html; charset=utf-8", NULL};
    struct cmfa_error err;

    parse(&err, 400, hdr,
          "{\"__type\": \"InvalidParameterException\", \"message\": \"[MfaConfiguration] must "
          "be one of 'ON', 'OFF', or 'OPTIONAL'.\"}");
    CHECK_STR(err.service_code, "InvalidParameterException");
    CHECK_STR(err.request_id, "WQSYYbBD7bR7b2Smdn3BTRbuvYG3Zqcx3dFv1oTNXuEkYf7Pqv5N");
    CHECK_STR(err.message,
              "InvalidParameterException: [MfaConfiguration] must be one of 'ON', 'OFF', or "
              "'OPTIONAL'. (HTTP 400, request id WQSYYbBD7bR7b2Smdn3BTRbuvYG3Zqcx3dFv1oTNXuEkYf7"
              "Pqv5N)");
    CHECK_INT(err.retryable, 0);

    /* moto: unsupported protocol -> 500 HTML. A service error, retryable by status. */
    parse(&err, 500, html_hdr,
          "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
          "<h1>Internal Server Error</h1>\n<p>NotImplementedError: Unsupported protocol "
          "[rest-json] for service cognito-idp</p>\n");
    CHECK_STR(err.service_code, "HttpStatus500");
    CHECK(strstr(err.message, "HttpStatus500: HTTP 500 with a non-JSON body: <!doctype html> "
                              "<html lang=en> <title>500 Internal Server Error</title>") == err.message);
    CHECK(ends_with(err.message, "... (HTTP 500)"));
    CHECK(valid_utf8_no_controls(err.message));
    CHECK_INT(err.retryable, 1);
}

/* Query-protocol XML error bodies (moto's signature check, STS-style front ends). */
static void test_xml_error_body(void)
{
    static const char *const hdr[] = {"Content-Type", "text/xml", "x-amzn-requestid", "rid-1",
                                      NULL};
    struct cmfa_error err;

    parse(&err, 403, hdr,
          "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error>"
          "<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does "
          "not match the signature you provided.</Message></Error></Errors></ErrorResponse>");
    CHECK_STR(err.service_code, "SignatureDoesNotMatch");
    CHECK_STR(err.message, "SignatureDoesNotMatch: The request signature we calculated does not "
                           "match the signature you provided. (HTTP 403, request id rid-1)");
    CHECK_INT(err.retryable, 0);

    /* the header still wins over the XML code; an empty element is no code */
    static const char *const hdr2[] = {"X-Amzn-ErrorType", "InvalidClientTokenId", NULL};
    parse(&err, 403, hdr2, "<Error><Code>Other</Code></Error>");
    CHECK_STR(err.service_code, "InvalidClientTokenId");
    parse(&err, 403, NULL, "<Error><Code></Code></Error>");
    CHECK_STR(err.service_code, "HttpStatus403");
    parse(&err, 403, NULL, "<Error><Code>Unclosed");
    CHECK_STR(err.service_code, "HttpStatus403");
    cmfa_error_cleanup(&err);
}

static void test_cognito_local(void)
{
    static const char *const hdr[] = {"Content-Type", "application/json; charset=utf-8", NULL};
    struct cmfa_error err;

    parse(&err, 400, hdr,
          "{\"__type\":\"ResourceNotFoundException\",\"message\":\"User Pool local_abc not found\"}");
    CHECK_STR(err.service_code, "ResourceNotFoundException");
    CHECK_STR(err.request_id, "");
    CHECK_STR(err.message, "ResourceNotFoundException: User Pool local_abc not found (HTTP 400)");
    CHECK_INT(err.retryable, 0);

    parse(&err, 500, hdr,
          "{\"__type\":\"CognitoLocal#Unsupported\",\"message\":\"Cognito Local unsupported "
          "feature: Unsupported x-amz-target header \\\"NoSuchOperation\\\"\"}");
    CHECK_STR(err.service_code, "Unsupported");
    CHECK_STR(err.message, "Unsupported: Cognito Local unsupported feature: Unsupported "
                           "x-amz-target header \"NoSuchOperation\" (HTTP 500)");
    CHECK_INT(err.retryable, 1);   /* 500, as standard mode says */

    /* No type at all. */
    parse(&err, 400, hdr, "{\"message\":\"Missing x-amz-target header\"}");
    CHECK_STR(err.service_code, "HttpStatus400");
    CHECK_STR(err.message, "HttpStatus400: Missing x-amz-target header (HTTP 400)");
    CHECK_INT(err.retryable, 0);

    /* Content-Type application/json -> 500 with body {}. */
    parse(&err, 500, hdr, "{}");
    CHECK_STR(err.service_code, "HttpStatus500");
    CHECK_STR(err.message, "HttpStatus500: the service sent no error message (HTTP 500)");
}

static void test_header_code_body_message(void)
{
    static const char *const hdr[] = {"x-amzn-ErrorType", "InvalidSignatureException",
                                      "x-amzn-RequestId", "abc-123", NULL};
    struct cmfa_error err;

    parse(&err, 400, hdr,
          "{\"message\":\"Signature expired: 20190723T172834Z is now earlier than "
          "20190723T201503Z (20190723T203003Z - 15 min.)\"}");
    CHECK_STR(err.service_code, "InvalidSignatureException");
    CHECK_STR(err.message, "InvalidSignatureException: Signature expired: 20190723T172834Z is "
                           "now earlier than 20190723T201503Z (20190723T203003Z - 15 min.) "
                           "(HTTP 400, request id abc-123)");
    CHECK_INT(err.retryable, 0);
}

static void test_precedence(void)
{
    const char *hdr[] = {"X-Amzn-ErrorType", "HeaderCode", NULL};
    const char *empty_hdr[] = {"X-Amzn-ErrorType", "", NULL};
    const char *colon_hdr[] = {"X-Amzn-ErrorType", ":http://x/", NULL};
    const char *msg_hdr[] = {"x-amzn-errormessage", "from header", NULL};
    struct cmfa_error err;

    parse(&err, 400, hdr, "{\"__type\":\"TypeCode\",\"code\":\"BodyCode\"}");
    CHECK_STR(err.service_code, "HeaderCode");
    parse(&err, 400, NULL, "{\"code\":\"BodyCode\",\"__type\":\"TypeCode\"}");
    CHECK_STR(err.service_code, "TypeCode");
    parse(&err, 400, NULL, "{\"code\":\"BodyCode\"}");
    CHECK_STR(err.service_code, "BodyCode");
    /* A header that sanitizes to nothing does not count. */
    parse(&err, 400, empty_hdr, "{\"__type\":\"TypeCode\"}");
    CHECK_STR(err.service_code, "TypeCode");
    parse(&err, 400, colon_hdr, "{\"code\":\"BodyCode\"}");
    CHECK_STR(err.service_code, "BodyCode");
    /* Non-string or empty members are skipped. */
    parse(&err, 400, NULL, "{\"__type\":42,\"code\":\"BodyCode\"}");
    CHECK_STR(err.service_code, "BodyCode");
    parse(&err, 400, NULL, "{\"__type\":\"\",\"code\":\"BodyCode\"}");
    CHECK_STR(err.service_code, "BodyCode");
    /* Keys are case-sensitive: "Code" and "__TYPE" are not codes. */
    parse(&err, 400, NULL, "{\"Code\":\"X\",\"__TYPE\":\"Y\"}");
    CHECK_STR(err.service_code, "HttpStatus400");

    /* Message: message > Message > x-amzn-errormessage. */
    parse(&err, 400, msg_hdr, "{\"__type\":\"E\",\"Message\":\"upper\",\"message\":\"lower\"}");
    CHECK_STR(err.message, "E: lower (HTTP 400)");
    parse(&err, 400, msg_hdr, "{\"__type\":\"E\",\"Message\":\"upper\"}");
    CHECK_STR(err.message, "E: upper (HTTP 400)");
    parse(&err, 400, msg_hdr, "{\"__type\":\"E\"}");
    CHECK_STR(err.message, "E: from header (HTTP 400)");
    parse(&err, 400, msg_hdr, "{\"__type\":\"E\",\"message\":7,\"Message\":null}");
    CHECK_STR(err.message, "E: from header (HTTP 400)");
    /* Nested messages are not the error's message. */
    parse(&err, 400, NULL, "{\"__type\":\"E\",\"Nested\":{\"message\":\"inner\"}}");
    CHECK_STR(err.message, "E: the service sent no error message (HTTP 400)");
}

static void test_request_id(void)
{
    struct cmfa_error err;
    const char *a[] = {"X-AMZN-REQUESTID", "amzn", NULL};
    const char *b[] = {"x-amz-request-id", "amz", NULL};
    const char *c[] = {"x-amz-id-2", "id2", NULL};
    const char *all[] = {"x-amz-id-2", "id2", "x-amz-request-id", "amz", "x-amzn-RequestId",
                         "amzn", NULL};
    const char *b_c[] = {"x-amz-id-2", "id2", "x-amz-request-id", "amz", NULL};
    const char *empty_first[] = {"x-amzn-RequestId", "", "x-amz-request-id", "amz", NULL};
    const char *body = "{\"__type\":\"E\",\"message\":\"m\"}";

    parse(&err, 400, a, body);
    CHECK_STR(err.request_id, "amzn");
    CHECK_STR(err.message, "E: m (HTTP 400, request id amzn)");
    parse(&err, 400, b, body);
    CHECK_STR(err.request_id, "amz");
    parse(&err, 400, c, body);
    CHECK_STR(err.request_id, "id2");
    parse(&err, 400, all, body);
    CHECK_STR(err.request_id, "amzn");
    parse(&err, 400, b_c, body);
    CHECK_STR(err.request_id, "amz");
    parse(&err, 400, empty_first, body);
    CHECK_STR(err.request_id, "amz");
    parse(&err, 400, NULL, body);
    CHECK_STR(err.request_id, "");
    CHECK_STR(err.message, "E: m (HTTP 400)");
}

static void test_non_json(void)
{
    struct cmfa_error err;
    const char *hdr[] = {"X-Amzn-ErrorType", "InvalidParameterException", NULL};
    const char *rid[] = {"x-amzn-requestid", "r-1", NULL};

    /* HTML from a proxy. */
    parse(&err, 502, rid,
          "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 "
          "Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n");
    CHECK_INT(err.code, CMFA_E_SERVICE);
    CHECK_STR(err.service_code, "HttpStatus502");
    CHECK_STR(err.message, "HttpStatus502: HTTP 502 with a non-JSON body: <html> <head><title>502 "
                           "Bad Gateway</title></head> <body> <center><h1>502 Bad "
                           "Gateway</h1></center> </body> </html> (HTTP 502, request id r-1)");
    CHECK_INT(err.retryable, 1);
    CHECK_INT(err.status, 502);

    /* Truncated JSON: code from the header, else the status. */
    parse(&err, 400, hdr, "{\"__type\":\"InvalidParameterException\",\"message\":\"cut");
    CHECK_STR(err.service_code, "InvalidParameterException");
    CHECK(strstr(err.message, "HTTP 400 with a non-JSON body: {\"__type\"") != NULL);
    CHECK_INT(err.retryable, 0);
    parse(&err, 400, NULL, "{\"__type\":\"InvalidParameterException\",\"message\":\"cut");
    CHECK_STR(err.service_code, "HttpStatus400");
    CHECK_INT(err.retryable, 0);

    /* Valid JSON followed by junk is not the protocol's JSON. */
    parse(&err, 400, NULL, "{\"__type\":\"E\"} trailing");
    CHECK_STR(err.service_code, "HttpStatus400");
    /* Trailing whitespace is fine. */
    parse(&err, 400, NULL, "{\"__type\":\"E\"}\r\n  ");
    CHECK_STR(err.service_code, "E");

    /* Empty and blank bodies. */
    parse(&err, 503, NULL, "");
    CHECK_STR(err.service_code, "HttpStatus503");
    CHECK_STR(err.message, "HttpStatus503: HTTP 503 with an empty body (HTTP 503)");
    CHECK_INT(err.retryable, 1);
    parse(&err, 504, NULL, NULL);
    CHECK_STR(err.message, "HttpStatus504: HTTP 504 with an empty body (HTTP 504)");
    CHECK_INT(err.retryable, 1);
    parse(&err, 400, NULL, " \r\n\t");
    CHECK_STR(err.message, "HttpStatus400: HTTP 400 with an empty body (HTTP 400)");
    /* JSON that is not an object. */
    parse(&err, 400, NULL, "[{\"__type\":\"E\"}]");
    CHECK_STR(err.service_code, "HttpStatus400");
    CHECK_STR(err.message, "HttpStatus400: HTTP 400 with a JSON body that is not an object "
                           "(HTTP 400)");
    parse(&err, 501, NULL, "\"text\"");
    CHECK_STR(err.service_code, "HttpStatus501");
    CHECK_INT(err.retryable, 0);   /* 501 is not transient */
    /* Only control characters: nothing to quote. */
    parse(&err, 502, NULL, "\x01\x02\x03");
    CHECK_STR(err.message, "HttpStatus502: HTTP 502 with a non-JSON body (HTTP 502)");

    /* A body that is not NUL-terminated: only body_len bytes are read. */
    {
        struct cmfa_response resp;
        char raw[] = {'{', '"', '_', '_', 't', 'y', 'p', 'e', '"', ':', '"', 'E', '"', '}',
                      'X', 'X'};
        memset(&resp, 0, sizeof(resp));
        resp.status = 400;
        resp.body = raw;
        resp.body_len = 14;
        cmfa_error_init(&err);
        cmfa__error_from_response(&resp, &err);
        CHECK_STR(err.service_code, "E");
        resp.body_len = 10;   /* cut inside */
        cmfa__error_from_response(&resp, &err);
        CHECK_STR(err.service_code, "HttpStatus400");
        CHECK(strstr(err.message, "non-JSON body: {\"__type\": (HTTP 400)") != NULL);
    }

    /* A big non-JSON body: at most 120 bytes quoted. */
    {
        size_t n = 100000;
        char *big = malloc(n + 1);
        CHECK(big != NULL);
        if (big) {
            const char *quote;
            size_t i;
            for (i = 0; i < n; i++)
                big[i] = (char)('a' + (char)(i % 26));
            big[n] = '\0';
            parse(&err, 502, NULL, big);
            quote = strstr(err.message, "body: ");
            CHECK(quote != NULL);
            if (quote)
                CHECK_INT(strlen(quote + 6), 120 + 3 + strlen(" (HTTP 502)"));
            free(big);
        }
    }
}

static void test_truncation_and_cleaning(void)
{
    struct cmfa_error err;
    char body[8192], rid[400], code[400];
    const char *hdrs[] = {"x-amzn-RequestId", "rid-42", NULL};
    size_t i, used;

    /* A 5000-byte message: cut with "...", the suffix kept. */
    used = (size_t)snprintf(body, sizeof(body), "{\"__type\":\"E\",\"message\":\"");
    for (i = 0; i < 5000; i++)
        body[used++] = 'a';
    memcpy(body + used, "\"}", 3);
    parse(&err, 400, hdrs, body);
    CHECK_INT(strlen(err.message), CMFA_ERROR_SIZE - 1);
    CHECK(ends_with(err.message, "aaa... (HTTP 400, request id rid-42)"));
    CHECK(strncmp(err.message, "E: aaaa", 7) == 0);

    /* Multibyte characters: the cut never splits one. */
    used = (size_t)snprintf(body, sizeof(body), "{\"__type\":\"E\",\"message\":\"x");
    for (i = 0; i < 1000; i++) {
        memcpy(body + used, "\xc3\xa9", 2);   /* é */
        used += 2;
    }
    memcpy(body + used, "\"}", 3);
    parse(&err, 400, NULL, body);
    CHECK(valid_utf8_no_controls(err.message));
    CHECK(ends_with(err.message, "\xc3\xa9... (HTTP 400)"));
    CHECK(strlen(err.message) < CMFA_ERROR_SIZE);
    /* Three- and four-byte characters too. */
    used = (size_t)snprintf(body, sizeof(body), "{\"__type\":\"E\",\"message\":\"");
    for (i = 0; i < 600; i++) {
        memcpy(body + used, i % 2 ? "\xe2\x82\xac" : "\xf0\x9f\x98\x80", i % 2 ? 3 : 4);
        used += i % 2 ? 3 : 4;
    }
    memcpy(body + used, "\"}", 3);
    parse(&err, 400, NULL, body);
    CHECK(valid_utf8_no_controls(err.message));
    CHECK(ends_with(err.message, "... (HTTP 400)"));

    /* Over-long request id and code: capped to their fields. */
    memset(rid, 'r', sizeof(rid) - 1);
    rid[sizeof(rid) - 1] = '\0';
    memset(code, 'C', sizeof(code) - 1);
    code[sizeof(code) - 1] = '\0';
    {
        const char *h[] = {"x-amzn-RequestId", rid, "X-Amzn-ErrorType", code, NULL};
        parse(&err, 400, h, "{\"message\":\"m\"}");
        CHECK_INT(strlen(err.request_id), sizeof(err.request_id) - 1);
        CHECK_INT(strlen(err.service_code), sizeof(err.service_code) - 1);
        CHECK(strlen(err.message) < CMFA_ERROR_SIZE);
        CHECK(strstr(err.message, ": m (HTTP 400, request id rrrr") != NULL);
        CHECK(ends_with(err.message, "rrr)"));
    }

    /* Control characters: each run becomes one space; no leading/trailing space. */
    parse(&err, 400, NULL,
          "{\"__type\":\"E\",\"message\":\"\\n\\tline1\\nline2\\r\\n\\tend\\u001b[31m\\u007f"
          "\\u0085x\\n\"}");
    CHECK_STR(err.message, "E: line1 line2 end [31m x (HTTP 400)");
    /* From headers too. */
    {
        const char *h[] = {"x-amzn-errormessage", "bad\r\nInjected: header", "x-amzn-RequestId",
                           "id\x1b" "1", NULL};
        parse(&err, 400, h, "{\"__type\":\"E\"}");
        CHECK_STR(err.message, "E: bad Injected: header (HTTP 400, request id id 1)");
        CHECK_STR(err.request_id, "id 1");
    }
    /* Invalid UTF-8 becomes '?'. */
    parse(&err, 400, NULL, "{\"__type\":\"E\",\"message\":\"a\xff" "b\xc3(\xed\xa0\x80z\"}");
    CHECK(valid_utf8_no_controls(err.message));
    CHECK_STR(err.message, "E: a?b?(???z (HTTP 400)");
    /* Code with control characters and spaces: dropped. */
    {
        const char *h[] = {"X-Amzn-ErrorType", " Bad\tCode\r\n", NULL};
        parse(&err, 400, h, "");
        CHECK_STR(err.service_code, "BadCode");
    }
}

/* Every error code documented for the four operations: name kept, retryable as standard
 * mode says. InternalErrorException is retried through its status (500): standard mode keys
 * transient errors on HTTP 500/502/503/504, not on this name; with 400 it is not retried. */
static void test_documented_codes(void)
{
    static const struct {
        const char *name;
        long status;
        int retryable;
    } cases[] = {
        {"ConcurrentModificationException", 400, 0},
        {"FeatureUnavailableInTierException", 400, 0},
        {"FeatureUnavailableInTierException", 403, 0},
        {"InternalErrorException", 500, 1},
        {"InternalErrorException", 400, 0},
        {"InvalidParameterException", 400, 0},
        {"InvalidSmsRoleAccessPolicyException", 400, 0},
        {"InvalidSmsRoleTrustRelationshipException", 400, 0},
        {"NotAuthorizedException", 400, 0},
        {"NotAuthorizedException", 403, 0},
        {"OperationNotEnabledException", 400, 0},
        {"ResourceNotFoundException", 400, 0},
        {"ResourceNotFoundException", 404, 0},
        {"TooManyRequestsException", 400, 1},
        {"TooManyRequestsException", 429, 1},
        {"UserPoolTaggingException", 400, 0},
        /* Never retried, even with a transient status. */
        {"InvalidParameterException", 500, 0},
        {"NotAuthorizedException", 503, 0},
        {"ResourceNotFoundException", 502, 0},
        {"ConcurrentModificationException", 504, 0},
        {"FeatureUnavailableInTierException", 500, 0},
    };
    struct cmfa_error err;
    char body[256];
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(cases); i++) {
        snprintf(body, sizeof(body), "{\"__type\":\"%s\",\"message\":\"text\"}", cases[i].name);
        parse(&err, cases[i].status, NULL, body);
        CHECK_MSG(strcmp(err.service_code, cases[i].name) == 0, "%s", cases[i].name);
        CHECK_MSG(cmfa_service_error_known(err.service_code), "%s", cases[i].name);
        CHECK_MSG(err.retryable == cases[i].retryable, "%s %ld: retryable %d", cases[i].name,
                  cases[i].status, err.retryable);
        CHECK_MSG(err.status == cases[i].status, "%s", cases[i].name);
        CHECK_MSG(cmfa__retry_is_retryable(&err) == cases[i].retryable, "%s", cases[i].name);
    }
    /* Unknown codes follow the status. */
    parse(&err, 400, NULL, "{\"__type\":\"SomethingNew\"}");
    CHECK_INT(err.retryable, 0);
    CHECK(!cmfa_service_error_known("SomethingNew"));
    parse(&err, 503, NULL, "{\"__type\":\"SomethingNew\"}");
    CHECK_INT(err.retryable, 1);
    parse(&err, 400, NULL, "{\"__type\":\"ThrottlingException\"}");
    CHECK_INT(err.retryable, 1);
    parse(&err, 400, NULL, "{\"__type\":\"RequestTimeoutException\"}");
    CHECK_INT(err.retryable, 1);
}

static void test_envelope(void)
{
    struct cmfa_header h[1] = {{"x-amzn-RequestId", "env-1"}};
    struct cmfa_response resp;
    struct cmfa_error err;
    static const char *const ok_bodies[] = {
        "{\"MfaConfiguration\":\"OFF\"}",
        "{}",
        "[]",
        "\"Output\"",
        "{\"Output\":\"x\"}",
        "{\"Output\":{}}",
        "{\"Output\":{\"__type\":\"\"}}",
        "{\"Output\":{\"__type\":7}}",
        "{\"Output\":{\"__type\":\"ns#\"}}",
        "{\"Nested\":{\"Output\":{\"__type\":\"E\"}}}",
    };
    cJSON *j;
    size_t i;

    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    resp.headers = h;
    resp.nheaders = 1;

    j = cJSON_Parse("{\"Output\":{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"},"
                    "\"Version\":\"1.0\"}");
    CHECK(j != NULL);
    cmfa_error_init(&err);
    CHECK_INT(cmfa__error_from_success_envelope(CMFA__VALUE(j), &resp, &err), CMFA_E_SERVICE);
    CHECK_INT(err.code, CMFA_E_SERVICE);
    CHECK_STR(err.service_code, "UnknownOperationException");
    CHECK_STR(err.request_id, "env-1");
    CHECK_INT(err.status, 200);
    CHECK_INT(err.retryable, 0);
    CHECK(strncmp(err.message, "UnknownOperationException: the service answered with an error "
                               "envelope", 66) == 0);
    CHECK(ends_with(err.message, " (HTTP 200, request id env-1)"));
    CHECK_INT(cmfa__error_from_success_envelope(CMFA__VALUE(j), NULL, NULL), CMFA_E_SERVICE);
    /* Without a response: status 0, no request id. */
    CHECK_INT(cmfa__error_from_success_envelope(CMFA__VALUE(j), NULL, &err), CMFA_E_SERVICE);
    CHECK_STR(err.request_id, "");
    CHECK_INT(err.status, 0);
    cJSON_Delete(j);

    /* With a message inside the envelope. */
    j = cJSON_Parse("{\"Output\":{\"__type\":\"UnknownOperationException\",\"message\":\"no\"}}");
    cmfa_error_init(&err);
    CHECK_INT(cmfa__error_from_success_envelope(CMFA__VALUE(j), &resp, &err), CMFA_E_SERVICE);
    CHECK_STR(err.message, "UnknownOperationException: no (HTTP 200, request id env-1)");
    cJSON_Delete(j);

    for (i = 0; i < CMFA__ARRAY_LEN(ok_bodies); i++) {
        j = cJSON_Parse(ok_bodies[i]);
        CHECK_MSG(j != NULL, "%s", ok_bodies[i]);
        cmfa_error_init(&err);
        CHECK_MSG(cmfa__error_from_success_envelope(CMFA__VALUE(j), &resp, &err) == CMFA_OK,
                  "%s", ok_bodies[i]);
        CHECK_INT(err.code, CMFA_OK);
        CHECK_STR(err.message, "");
        cJSON_Delete(j);
    }
    CHECK_INT(cmfa__error_from_success_envelope(NULL, &resp, &err), CMFA_OK);
    CHECK_INT(err.code, CMFA_OK);
}

/* A retry loop reuses one record: nothing of the previous attempt leaks, attempts is kept. */
static void test_overwrite_previous_attempt(void)
{
    struct cmfa_error err;
    const char *h1[] = {"x-amzn-RequestId", "first", "X-Amzn-ErrorType", "ThrottlingException",
                        NULL};

    cmfa_error_init(&err);
    CHECK_INT(parse_into(&err, 400, h1, "{\"message\":\"slow down\"}"), CMFA_E_SERVICE);
    CHECK_STR(err.request_id, "first");
    CHECK_INT(err.retryable, 1);
    err.attempts = 2;
    CHECK_INT(parse_into(&err, 400, NULL, "{\"__type\":\"InvalidParameterException\"}"),
              CMFA_E_SERVICE);
    CHECK_STR(err.service_code, "InvalidParameterException");
    CHECK_STR(err.request_id, "");
    CHECK_INT(err.retryable, 0);
    CHECK_INT(err.attempts, 2);
    CHECK(strstr(err.message, "slow down") == NULL);

    /* Over a different error kind, violations included (freed, no leak). */
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa__add_violation(&err, "UserPoolId", "required", "UserPoolId is required"),
              CMFA_OK);
    cmfa__finish_violations(&err);
    err.attempts = 1;
    parse_into(&err, 503, NULL, "");
    CHECK_INT(err.code, CMFA_E_SERVICE);
    CHECK_INT(err.nviolations, 0);
    CHECK(err.violations == NULL);
    CHECK_INT(err.attempts, 1);
    CHECK_INT(err.status, 503);
    cmfa_error_cleanup(&err);

    /* Over a transport failure. */
    cmfa_transport_failed(&err, CMFA_E_TIMEOUT, "read timed out");
    parse_into(&err, 400, NULL, "{\"__type\":\"E\",\"message\":\"m\"}");
    CHECK_INT(err.code, CMFA_E_SERVICE);
    CHECK_STR(err.message, "E: m (HTTP 400)");
    cmfa_error_cleanup(&err);
}

static void test_arguments(void)
{
    struct cmfa_error err;
    struct cmfa_response resp;

    memset(&resp, 0, sizeof(resp));
    resp.status = 400;
    CHECK_INT(cmfa__error_from_response(&resp, NULL), CMFA_E_SERVICE);
    cmfa_error_init(&err);
    CHECK_INT(cmfa__error_from_response(NULL, &err), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa__error_from_response(NULL, NULL), CMFA_E_BAD_ARGUMENT);
}

/* cJSON allocating through cmfa_malloc (as value.c arranges): a failing allocation while
 * parsing the body still yields a service error, never a crash or leak. */
static void *hook_malloc(size_t n)
{
    return cmfa_malloc(n);
}

static void test_alloc_failures(void)
{
    cJSON_Hooks hooks = {hook_malloc, cmfa_free};
    const char *hdr[] = {"X-Amzn-ErrorType", "TooManyRequestsException", "x-amzn-RequestId",
                         "r", NULL};
    const char *body = "{\"__type\":\"TooManyRequestsException\",\"message\":\"Too many "
                       "requests\",\"Nested\":{\"a\":[1,2,3]}}";
    struct cmfa_error err;
    long n, total;

    cJSON_InitHooks(&hooks);
    cmfa__alloc_reset();
    parse(&err, 400, hdr, body);
    total = cmfa__alloc_count();
    CHECK(total > 0);
    for (n = 1; n <= total; n++) {
        cmfa__alloc_fail_after(n);
        CHECK_INT(parse(&err, 400, hdr, body), CMFA_E_SERVICE);
        CHECK_STR(err.service_code, "TooManyRequestsException");
        CHECK_STR(err.request_id, "r");
        CHECK_INT(err.retryable, 1);
        CHECK(valid_utf8_no_controls(err.message));
    }
    cmfa__alloc_reset();
    cJSON_InitHooks(NULL);
}

int main(void)
{
    (void)check_read_file;   /* part of check.h, unused here */
    test_sanitize();
    test_header_get();
    test_smithy_foo_error();
    test_smithy_other_errors();
    test_real_cognito();
    test_moto();
    test_xml_error_body();
    test_cognito_local();
    test_header_code_body_message();
    test_precedence();
    test_request_id();
    test_non_json();
    test_truncation_and_cleaning();
    test_documented_codes();
    test_envelope();
    test_overwrite_previous_attempt();
    test_arguments();
    test_alloc_failures();
    return check_done("test_errors");
}
