/* Unit tests for sts.c and xml.c: STS endpoint resolution, AssumeRole and
 * AssumeRoleWithWebIdentity requests byte for byte (the AssumeRole signature for a fixed time
 * was computed independently with botocore's SigV4Auth), answers and ErrorResponses of the
 * shape STS sends, malformed answers, the web identity token file, the XML parser's limits,
 * and that no secret reaches a message. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmfa_int.h"

static char tmpdir[] = "/tmp/cmfa-test-sts-XXXXXX";

#include "check_env.h"
#define CHECK_ALLOC_TEST "test_sts"
#include "check_alloc.h"

#define NOW ((time_t)1796191200)   /* 2026-12-02T06:00:00Z */
/* botocore.auth.SigV4Auth(Credentials("AKIDSOURCE", "SRCSECRETkey0123456789",
 * "SRCSESSIONtoken"), "sts", "eu-west-1") over the request of test_assume_role_request, clock
 * fixed at NOW. */
#define EXPECTED_ASSUME_ROLE_SIGNATURE \
    "84d262e34c15c8a76df0ab6b7cf72c134c1176f630be23c2f9bdeeafcca31877"

/* What the caller passes to cmfa__sts_parse for scrubbing (not the 6-digit MFA code: STS never
 * echoes it, and masking it would mangle account ids in messages). */
static const char *const secrets[] = {"SRCSECRETkey0123456789", "SRCSESSIONtoken",
                                      "eyJWEBidentityTOKEN", "STSsecretKEY", "STSsessionTOKEN",
                                      NULL};

static void check_no_secrets(const char *msg)
{
    size_t i;

    for (i = 0; secrets[i]; i++)
        CHECK_MSG(strstr(msg, secrets[i]) == NULL, "secret '%s' in message: %s", secrets[i],
                  msg);
}

static void reset_env(const char *config_text)
{
    clear_aws_env();
    setenv("HOME", tmpdir, 1);
    unlink(path_of("config"));
    write_file("config", config_text ? config_text : "");
    setenv("AWS_CONFIG_FILE", path_of("config"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("credentials-none"), 1);
}

static cmfa_code resolve(const char *profile, const char *region, struct cmfa__config *cfg,
                         struct cmfa__endpoint *ep, struct cmfa_error *err)
{
    struct cmfa_client_options o;
    cmfa_code rc;

    memset(&o, 0, sizeof(o));
    o.profile = profile;
    o.region = "eu-west-1";    /* the client's region; STS gets its own below */
    cmfa_error_init(err);
    rc = cmfa__config_resolve(&o, cfg, err);
    if (rc != CMFA_OK)
        return rc;
    rc = cmfa__endpoint_resolve(cfg, &cmfa__svc_sts, region, ep, err);
    if (rc != CMFA_OK)
        cmfa__config_cleanup(cfg);
    return rc;
}

static void expect_endpoint(const char *profile, const char *region, const char *url,
                            const char *host, const char *signing_region)
{
    struct cmfa__config cfg;
    struct cmfa__endpoint ep;
    struct cmfa_error err;

    CHECK_INT(resolve(profile, region, &cfg, &ep, &err), CMFA_OK);
    if (err.code != CMFA_OK) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    CHECK_STR(ep.url, url);
    CHECK_STR(ep.host, host);
    CHECK_STR(ep.path, strstr(url, "/sts/") ? "/sts/" : "/");
    CHECK_STR(ep.signing_region, signing_region);
    cmfa__endpoint_cleanup(&ep);
    cmfa__config_cleanup(&cfg);
}

static void test_endpoint(void)
{
    struct cmfa__config cfg;
    struct cmfa__endpoint ep;
    struct cmfa_error err;

    reset_env("[default]\n"
              "[profile local]\nservices = loc\n"
              "[services loc]\nsts =\n  endpoint_url = http://127.0.0.1:4566\n"
              "cognito_identity_provider =\n  endpoint_url = http://127.0.0.1:9229\n"
              "[profile bad]\nservices = b\n[services b]\nsts =\n  endpoint_url = ftp://x\n");
    expect_endpoint(NULL, "eu-west-1", "https://sts.eu-west-1.amazonaws.com",
                    "sts.eu-west-1.amazonaws.com", "eu-west-1");
    expect_endpoint(NULL, "cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn",
                    "sts.cn-north-1.amazonaws.com.cn", "cn-north-1");
    expect_endpoint(NULL, "us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com",
                    "sts.us-gov-west-1.amazonaws.com", "us-gov-west-1");
    expect_endpoint(NULL, "us-iso-east-1", "https://sts.us-iso-east-1.c2s.ic.gov",
                    "sts.us-iso-east-1.c2s.ic.gov", "us-iso-east-1");
    expect_endpoint(NULL, NULL, "https://sts.amazonaws.com", "sts.amazonaws.com", "us-east-1");
    /* the services section's sts key, not cognito_identity_provider */
    expect_endpoint("local", "eu-west-1", "http://127.0.0.1:4566", "127.0.0.1:4566",
                    "eu-west-1");
    setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
    expect_endpoint(NULL, "us-east-2", "https://sts-fips.us-east-2.amazonaws.com",
                    "sts-fips.us-east-2.amazonaws.com", "us-east-2");
    unsetenv("AWS_USE_FIPS_ENDPOINT");
    setenv("AWS_ENDPOINT_URL", "http://all.test:1", 1);
    expect_endpoint(NULL, "eu-west-1", "http://all.test:1", "all.test:1", "eu-west-1");
    setenv("AWS_ENDPOINT_URL_STS", "http://[::1]:8443/sts/", 1);
    expect_endpoint("local", "eu-west-1", "http://[::1]:8443/sts/", "[::1]:8443", "eu-west-1");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    expect_endpoint("local", "eu-west-1", "https://sts.eu-west-1.amazonaws.com",
                    "sts.eu-west-1.amazonaws.com", "eu-west-1");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_STS");
    CHECK_INT(resolve("bad", "eu-west-1", &cfg, &ep, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "ftp://x") && strstr(err.message, "services section"));
    cmfa_error_cleanup(&err);
}

static const struct cmfa__credentials source = {
    (char *)"AKIDSOURCE", (char *)"SRCSECRETkey0123456789", (char *)"SRCSESSIONtoken", 0,
    "test"};

static struct cmfa__endpoint test_ep(void)
{
    struct cmfa__endpoint ep;

    memset(&ep, 0, sizeof(ep));
    ep.url = (char *)"https://sts.eu-west-1.amazonaws.com";
    ep.host = (char *)"sts.eu-west-1.amazonaws.com";
    ep.path = (char *)"/";
    ep.signing_region = (char *)"eu-west-1";
    return ep;
}

static const char *header(const struct cmfa_request *r, const char *name)
{
    return cmfa__header_get(r->headers, r->nheaders, name);
}

static void test_assume_role_request(void)
{
    struct cmfa__endpoint ep = test_ep();
    struct cmfa__sts_params p;
    struct cmfa_request *req;
    struct cmfa_error err;
    char *dbg;
    char name[64];

    memset(&p, 0, sizeof(p));
    p.role_arn = "arn:aws:iam::123456789012:role/Admin Role+x";
    p.role_session_name = "sess@corp.example";
    p.external_id = "ext id/é";
    p.serial_number = "arn:aws:iam::123456789012:mfa/me";
    p.token_code = "123456";
    p.duration_seconds = 3600;
    cmfa_error_init(&err);
    req = cmfa__sts_assume_role_request(&ep, &p, &source, NOW, "cognito-mfa/test", &err);
    CHECK(req != NULL);
    if (!req)
        return;
    CHECK_STR(req->method, "POST");
    CHECK_STR(req->url, "https://sts.eu-west-1.amazonaws.com");
    CHECK_STR(req->host, "sts.eu-west-1.amazonaws.com");
    CHECK_STR(req->body,
              "Action=AssumeRole&Version=2011-06-15"
              "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FAdmin%20Role%2Bx"
              "&RoleSessionName=sess%40corp.example&ExternalId=ext%20id%2F%C3%A9"
              "&DurationSeconds=3600"
              "&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fme&TokenCode=123456");
    CHECK_INT(req->body_len, strlen(req->body));
    CHECK_STR(header(req, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
    CHECK_STR(header(req, "X-Amz-Date"), "20261202T060000Z");
    CHECK_STR(header(req, "X-Amz-Security-Token"), "SRCSESSIONtoken");
    CHECK_STR(header(req, "User-Agent"), "cognito-mfa/test");
    CHECK_STR(header(req, "Host"), "sts.eu-west-1.amazonaws.com");
    {
        char clen[16];
        snprintf(clen, sizeof(clen), "%zu", req->body_len);
        CHECK_STR(header(req, "Content-Length"), clen);
    }
    /* computed with botocore.auth.SigV4Auth("sts", "eu-west-1") over the same request */
    CHECK_STR(header(req, "Authorization"),
              "AWS4-HMAC-SHA256 Credential=AKIDSOURCE/20261202/eu-west-1/sts/aws4_request, "
              "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
              "Signature=" EXPECTED_ASSUME_ROLE_SIGNATURE);
    dbg = cmfa_request_debug_text(req, NULL);
    CHECK(dbg && !strstr(dbg, "SRCSESSIONtoken") && !strstr(dbg, "Signature="));
    cmfa_free(dbg);
    cmfa_request_free(req);

    /* minimal: no optional parameters, no session token */
    memset(&p, 0, sizeof(p));
    p.role_arn = "arn:aws:iam::123456789012:role/R";
    cmfa__sts_session_name(NOW, name);
    CHECK_STR(name, "cognito-mfa-1796191200");
    p.role_session_name = name;
    {
        struct cmfa__credentials plain = source;
        plain.session_token = NULL;
        req = cmfa__sts_assume_role_request(&ep, &p, &plain, NOW, NULL, &err);
    }
    CHECK(req != NULL);
    if (req) {
        CHECK_STR(req->body, "Action=AssumeRole&Version=2011-06-15"
                             "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FR"
                             "&RoleSessionName=cognito-mfa-1796191200");
        CHECK(header(req, "X-Amz-Security-Token") == NULL);
        CHECK(header(req, "User-Agent") == NULL);
        CHECK(strstr(header(req, "Authorization"), "SignedHeaders=content-type;host;x-amz-date,") !=
              NULL);
    }
    cmfa_request_free(req);

    /* misuse */
    p.role_arn = NULL;
    CHECK(cmfa__sts_assume_role_request(&ep, &p, &source, NOW, NULL, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
    p.role_arn = "arn:aws:iam::123456789012:role/R";
    CHECK(cmfa__sts_assume_role_request(&ep, &p, NULL, NOW, NULL, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
}

static void test_web_identity_request(void)
{
    struct cmfa__endpoint ep = test_ep();
    struct cmfa__sts_params p;
    struct cmfa_request *req;
    struct cmfa_error err;
    static const char token[] = "eyJWEBidentityTOKEN.pay+load/x=";

    memset(&p, 0, sizeof(p));
    p.role_arn = "arn:aws:iam::123456789012:role/web";
    p.role_session_name = "web-sess";
    p.duration_seconds = 900;
    cmfa_error_init(&err);
    req = cmfa__sts_web_identity_request(&ep, &p, token, strlen(token), "ua", &err);
    CHECK(req != NULL);
    if (req) {
        CHECK_STR(req->body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
                             "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb"
                             "&RoleSessionName=web-sess"
                             "&WebIdentityToken=eyJWEBidentityTOKEN.pay%2Bload%2Fx%3D"
                             "&DurationSeconds=900");
        CHECK(header(req, "Authorization") == NULL);
        CHECK(header(req, "X-Amz-Date") == NULL);
        CHECK_STR(header(req, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
    }
    cmfa_request_free(req);
    CHECK(cmfa__sts_web_identity_request(&ep, &p, "", 0, NULL, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
}

static const char assume_role_ok[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <SourceIdentity>DevUser123</SourceIdentity>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>\n"
    "      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>STSsecretKEY</SecretAccessKey>\n"
    "      <SessionToken>STSsessionTOKEN</SessionToken>\n"
    "      <Expiration>2026-12-02T07:00:00Z</Expiration>\n"
    "    </Credentials>\n"
    "    <PackedPolicySize>8</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

static struct cmfa_response response(long status, const char *body)
{
    struct cmfa_response r;

    memset(&r, 0, sizeof(r));
    r.status = status;
    r.body = body;
    r.body_len = strlen(body);
    return r;
}

static cmfa_code parse(const char *action, long status, const char *body,
                       struct cmfa__sts_result *out, struct cmfa_error *err)
{
    struct cmfa_response r = response(status, body);

    cmfa_error_init(err);
    return cmfa__sts_parse(action, &r, "dev", "arn:aws:iam::123456789012:role/demo", NOW,
                           secrets, out, err);
}

static void test_answers(void)
{
    struct cmfa__sts_result res;
    struct cmfa_error err;
    static const char web_ok[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<AssumeRoleWithWebIdentityResult>"
        "<SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>"
        "<Audience>client.5498841531868486423.1548@apps.example.com</Audience>"
        "<AssumedRoleUser><Arn>arn:aws-cn:sts::210987654321:assumed-role/FederatedWebIdentityRole/app1</Arn>"
        "<AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId></AssumedRoleUser>"
        "<Credentials><SessionToken>STSsessionTOKEN</SessionToken>"
        "<SecretAccessKey>STSsecretKEY</SecretAccessKey>"
        "<Expiration>2026-12-02T06:15:00.123+00:00</Expiration>"
        "<AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId></Credentials>"
        "<SourceIdentity>SourceIdentityValue</SourceIdentity>"
        "<Provider>www.amazon.com</Provider></AssumeRoleWithWebIdentityResult>"
        "<ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>"
        "</ResponseMetadata></AssumeRoleWithWebIdentityResponse>";

    CHECK_INT(parse("AssumeRole", 200, assume_role_ok, &res, &err), CMFA_OK);
    CHECK_STR(res.creds.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    CHECK_STR(res.creds.secret_access_key, "STSsecretKEY");
    CHECK_STR(res.creds.session_token, "STSsessionTOKEN");
    CHECK_INT(res.creds.expiration, NOW + 3600);
    CHECK_STR(res.creds.source, "assume-role");
    CHECK_STR(res.assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/demo/John");
    CHECK_STR(res.account_id, "123456789012");
    cmfa__sts_result_cleanup(&res);

    CHECK_INT(parse("AssumeRoleWithWebIdentity", 200, web_ok, &res, &err), CMFA_OK);
    CHECK_STR(res.creds.access_key_id, "ASgeIAIOSFODNN7EXAMPLE");
    CHECK_INT(res.creds.expiration, NOW + 900);
    CHECK_STR(res.creds.source, "web-identity");
    CHECK_STR(res.account_id, "210987654321");
    cmfa__sts_result_cleanup(&res);

    /* the answer to another action is not this one's */
    CHECK_INT(parse("AssumeRoleWithWebIdentity", 200, assume_role_ok, &res, &err),
              CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "AssumeRoleWithWebIdentityResult/Credentials/AccessKeyId is "
                              "missing") != NULL);
    cmfa_error_cleanup(&err);

    /* account id only from a well-formed ARN */
    {
        char acct[13];
        CHECK_INT(cmfa__arn_account("arn:aws:sts::123456789012:assumed-role/x/y", acct), 1);
        CHECK_STR(acct, "123456789012");
        CHECK_INT(cmfa__arn_account("arn:aws:sts::12345:assumed-role/x", acct), 0);
        CHECK_STR(acct, "");
        CHECK_INT(cmfa__arn_account("arn:aws:sts", acct), 0);
        CHECK_INT(cmfa__arn_account(NULL, acct), 0);
    }
}

static void expect_error(long status, const char *body, const char *code, int retryable,
                         const char *fragment)
{
    struct cmfa__sts_result res;
    struct cmfa_error err;

    CHECK_INT(parse("AssumeRole", status, body, &res, &err), CMFA_E_CREDENTIALS);
    CHECK_INT(err.code, CMFA_E_CREDENTIALS);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_CREDENTIALS);
    CHECK_STR(err.service_code, code);
    CHECK_INT(err.status, status);
    CHECK_INT(err.retryable, retryable);
    CHECK_MSG(strstr(err.message, "STS AssumeRole for profile \"dev\" (role "
                                  "arn:aws:iam::123456789012:role/demo) failed: ") == err.message,
              "%s", err.message);
    CHECK_MSG(!fragment || strstr(err.message, fragment), "'%s' not in %s", fragment,
              err.message);
    check_no_secrets(err.message);
    CHECK(res.creds.access_key_id == NULL);
    cmfa_error_cleanup(&err);
}

#define STS_ERROR(type, code, msg)                                                          \
    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"                 \
    "  <Error>\n    <Type>" type "</Type>\n    <Code>" code "</Code>\n"                    \
    "    <Message>" msg "</Message>\n  </Error>\n"                                          \
    "  <RequestId>4b2c8a0e-0000-4e5c-9a6b-example</RequestId>\n</ErrorResponse>\n"

static void test_errors(void)
{
    expect_error(403,
                 STS_ERROR("Sender", "AccessDenied",
                           "User: arn:aws:iam::123456789012:user/dev is not authorized to "
                           "perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:"
                           "role/demo"),
                 "AccessDenied", 0, "is not authorized to perform: sts:AssumeRole");
    expect_error(400, STS_ERROR("Sender", "ExpiredToken",
                                "The security token included in the request is expired"),
                 "ExpiredToken", 0, "(HTTP 400, request id 4b2c8a0e-0000-4e5c-9a6b-example)");
    expect_error(403, STS_ERROR("Sender", "RegionDisabledException",
                                "STS is not activated in this region for account:123456789012."),
                 "RegionDisabledException", 0, "not activated");
    expect_error(400, STS_ERROR("Sender", "InvalidIdentityToken",
                                "Couldn't retrieve verification key from your identity provider"),
                 "InvalidIdentityToken", 0, NULL);
    expect_error(400, STS_ERROR("Sender", "Throttling", "Rate exceeded"), "Throttling", 1,
                 "Rate exceeded");
    expect_error(500, STS_ERROR("Receiver", "InternalFailure", "internal"), "InternalFailure", 1,
                 NULL);
    /* a service that echoes the MFA code or the token: scrubbed */
    expect_error(400, STS_ERROR("Sender", "ValidationError",
                                "bad token for eyJWEBidentityTOKEN from SRCSESSIONtoken"),
                 "ValidationError", 0, "[redacted]");
    /* no XML at all (a proxy) */
    expect_error(502, "<html>Bad gateway</html", "HttpStatus502", 1, NULL);
    expect_error(503, "", "HttpStatus503", 1, "empty body");
}

static void expect_malformed(const char *body, const char *fragment)
{
    struct cmfa__sts_result res;
    struct cmfa_error err;

    CHECK_INT(parse("AssumeRole", 200, body, &res, &err), CMFA_E_CREDENTIALS);
    CHECK_MSG(strstr(err.message, "STS AssumeRole for profile \"dev\"") == err.message, "%s",
              err.message);
    CHECK_MSG(strstr(err.message, fragment) != NULL, "'%s' not in %s", fragment, err.message);
    check_no_secrets(err.message);
    cmfa_error_cleanup(&err);
}

static void test_malformed(void)
{
    char buf[2048];

    expect_malformed("", "not well-formed XML");
    expect_malformed("{\"json\": true}", "not well-formed XML");
    expect_malformed("<AssumeRoleResponse><AssumeRoleResult>", "not well-formed XML");
    expect_malformed("<a>\x01</a>", "not well-formed XML");
    expect_malformed("<AssumeRoleResponse/>", "AssumeRoleResult/Credentials/AccessKeyId is missing");
    expect_malformed("<!DOCTYPE x [<!ENTITY a \"STSsecretKEY\">]><x>&a;</x>", "DOCTYPE");
    /* each credential member missing or empty */
    snprintf(buf, sizeof(buf), "%s", assume_role_ok);
    {
        char *p = strstr(buf, "<SessionToken>");
        memcpy(p + 1, "Xession", 7);
        p = strstr(buf, "</SessionToken>");
        memcpy(p + 2, "Xession", 7);
        expect_malformed(buf, "Credentials/SessionToken is missing");
    }
    snprintf(buf, sizeof(buf), "%s", assume_role_ok);
    {
        char *p = strstr(buf, "2026-12-02T07:00:00Z");
        memcpy(p, "yesterday at noon   ", 20);
        expect_malformed(buf, "Expiration is not an ISO 8601 timestamp");
    }
    snprintf(buf, sizeof(buf), "%s", assume_role_ok);
    {
        char *p = strstr(buf, "2026-12-02T07:00:00Z");
        memcpy(p, "2026-12-02T05:00:00Z", 20);
        expect_malformed(buf, "already expired");
    }
    {
        static const char empty_key[] =
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId></AccessKeyId>"
            "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
        expect_malformed(empty_key, "Credentials/AccessKeyId is empty");
    }
}

static void test_xml(void)
{
    struct cmfa_error err;
    struct cmfa__xml *x;
    struct cmfa__buf deep;
    size_t len = 0;
    int i;

    cmfa_error_init(&err);
    {
        static const char doc[] =
            "<a:Root xmlns:a=\"urn:x\"><a:B k=\"v\">one<C/>two</a:B><B>2</B></a:Root>";
        x = cmfa__xml_parse(doc, strlen(doc), "doc", &err);
    }
    CHECK(x != NULL);
    CHECK_STR(cmfa__xml_root(x), "Root");
    CHECK_STR(cmfa__xml_get(x, "Root/B", &len), "onetwo");
    CHECK_INT(len, 6);
    CHECK_STR(cmfa__xml_get(x, "Root/B/C", &len), "");
    CHECK(cmfa__xml_get(x, "Root/X", &len) == NULL);
    CHECK_STR(cmfa__xml_find(x, "C", &len), "");
    CHECK(cmfa__xml_find(x, "oot", &len) == NULL);
    cmfa__xml_free(x);

    /* entities that are predefined are fine; character references too */
    x = cmfa__xml_parse("<m>a &amp; b &#x263A;</m>", strlen("<m>a &amp; b &#x263A;</m>"), "doc",
                        &err);
    CHECK(x && strcmp(cmfa__xml_get(x, "m", NULL), "a & b \xE2\x98\xBA") == 0);
    cmfa__xml_free(x);

    cmfa__buf_init(&deep, 0);
    for (i = 0; i < 40; i++)
        cmfa__buf_addstr(&deep, "<d>");
    for (i = 0; i < 40; i++)
        cmfa__buf_addstr(&deep, "</d>");
    x = cmfa__xml_parse(deep.data, deep.len, "deep doc", &err);
    CHECK(x == NULL);
    CHECK_INT(err.code, CMFA_E_BAD_RESPONSE);
    CHECK(strstr(err.message, "deep doc") && strstr(err.message, "nested too deeply"));
    cmfa_error_cleanup(&err);
    cmfa__buf_cleanup(&deep);

    x = cmfa__xml_parse("<a></b>", 7, "the answer", &err);
    CHECK(x == NULL);
    CHECK_MSG(strstr(err.message, "the answer is not well-formed XML: mismatched tag at line 1, "
                                  "column 6") != NULL, "%s", err.message);
    cmfa_error_cleanup(&err);
}

static void test_token_file(void)
{
    struct cmfa__cred_step s;
    struct cmfa__buf tok;
    struct cmfa_error err;

    memset(&s, 0, sizeof(s));
    s.kind = CMFA__STEP_WEB_IDENTITY;
    s.profile = (char *)"web";
    s.token_file = (char *)path_of("token");
    cmfa__buf_init(&tok, 0);
    cmfa_error_init(&err);

    unlink(path_of("token"));
    CHECK_INT(cmfa__web_identity_token_read(&s, &tok, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "profile \"web\"") && strstr(err.message, "web_identity_token_file") &&
          strstr(err.message, "No such file"));
    cmfa_error_cleanup(&err);
    s.from_env = 1;
    CHECK_INT(cmfa__web_identity_token_read(&s, &tok, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "AWS_WEB_IDENTITY_TOKEN_FILE") != NULL);
    cmfa_error_cleanup(&err);

    write_file("token", "eyJWEBidentityTOKEN\n");
    CHECK_INT(cmfa__web_identity_token_read(&s, &tok, &err), CMFA_OK);
    CHECK_STR(tok.data, "eyJWEBidentityTOKEN");
    /* read again at every fetch: a rotated token is picked up */
    write_file("token", "eyJWEBidentityTOKEN-rotated");
    CHECK_INT(cmfa__web_identity_token_read(&s, &tok, &err), CMFA_OK);
    CHECK_STR(tok.data, "eyJWEBidentityTOKEN-rotated");
    write_file("token", "eyJWEBidentityTOKEN\r\nsecond line");
    CHECK_INT(cmfa__web_identity_token_read(&s, &tok, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "line breaks") != NULL);
    check_no_secrets(err.message);
    cmfa_error_cleanup(&err);
    write_file("token", "\n");
    CHECK_INT(cmfa__web_identity_token_read(&s, &tok, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "is empty") != NULL);
    cmfa_error_cleanup(&err);
    cmfa__buf_cleanup_secret(&tok);
}

static cmfa_code sts_once(void)
{
    struct cmfa__endpoint ep = test_ep();
    struct cmfa__sts_params p;
    struct cmfa__sts_result res;
    struct cmfa_request *req;
    struct cmfa_error err;
    cmfa_code rc;

    memset(&p, 0, sizeof(p));
    p.role_arn = "arn:aws:iam::123456789012:role/R";
    p.role_session_name = "s1";
    p.external_id = "x";
    cmfa_error_init(&err);
    req = cmfa__sts_assume_role_request(&ep, &p, &source, NOW, "ua", &err);
    if (!req)
        return err.code;
    cmfa_request_free(req);
    req = cmfa__sts_web_identity_request(&ep, &p, "tok", 3, "ua", &err);
    if (!req)
        return err.code;
    cmfa_request_free(req);
    rc = parse("AssumeRole", 200, assume_role_ok, &res, &err);
    cmfa__sts_result_cleanup(&res);
    if (rc != CMFA_OK)
        return rc;
    rc = parse("AssumeRole", 403, STS_ERROR("Sender", "AccessDenied", "no"), &res, &err);
    /* an out-of-memory inside the error path still yields the credentials error */
    cmfa_error_cleanup(&err);
    if (rc != CMFA_E_CREDENTIALS)
        return rc == CMFA_E_NOMEM ? rc : CMFA_E_INTERNAL;
    return CMFA_OK;
}

static void test_alloc_failures(void)
{
    alloc_loop("STS requests and answers", sts_once);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_endpoint();
    test_assume_role_request();
    test_web_identity_request();
    test_answers();
    test_errors();
    test_malformed();
    test_xml();
    test_token_file();
    test_alloc_failures();
    nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return check_done("test_sts");
}
