/* Unit tests for sso.c: the SSO token cache (file name, reading, malformed files, the refresh
 * decision, atomic 0600 write-back), sso-oidc requests and answers (refresh, RegisterClient,
 * StartDeviceAuthorization, device-code polling), the portal's GetRoleCredentials, and the AWS
 * CLI credential cache (key computed as botocore does: expected values were computed with
 * Python's json.dumps(sort_keys=True) and hashlib.sha1). No network; no secret in messages. */
#define _GNU_SOURCE
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cmfa_int.h"

static char tmpdir[] = "/tmp/cmfa-test-sso-XXXXXX";

#include "check_env.h"
#define CHECK_ALLOC_TEST "test_sso"
#include "check_alloc.h"

#define NOW ((time_t)1796191200)   /* 2026-12-02T06:00:00Z */

static const char *const secrets[] = {"ACCESStokenSSO", "REFRESHtokenSSO", "CLIENTsecretSSO",
                                      "ROLEsecretKEY", "ROLEsessionTOKEN", "DEVICEcodeSECRET",
                                      "NEWaccessTOKEN", NULL};

static void check_no_secrets(const char *msg)
{
    size_t i;

    for (i = 0; secrets[i]; i++)
        CHECK_MSG(strstr(msg, secrets[i]) == NULL, "secret '%s' in message: %s", secrets[i],
                  msg);
}

static struct cmfa__cred_step sso_step(int session)
{
    struct cmfa__cred_step s;

    memset(&s, 0, sizeof(s));
    s.kind = CMFA__STEP_SSO;
    s.profile = (char *)"dev";
    s.sso_session = session ? (char *)"corp" : NULL;
    s.sso_start_url = (char *)(session ? "https://corp.awsapps.com/start"
                                       : "https://legacy.awsapps.com/start");
    s.sso_region = (char *)"us-east-1";
    s.sso_account_id = (char *)"123456789012";
    s.sso_role_name = (char *)"Admin Role";
    return s;
}

static struct cmfa_response response(long status, const char *body)
{
    struct cmfa_response r;

    memset(&r, 0, sizeof(r));
    r.status = status;
    r.body = body;
    r.body_len = strlen(body);
    return r;
}

static const char token_json[] =
    "{\"startUrl\": \"https://corp.awsapps.com/start\", \"region\": \"us-east-1\", "
    "\"accessToken\": \"ACCESStokenSSO\", \"expiresAt\": \"2026-12-02T07:00:00Z\", "
    "\"clientId\": \"client-1\", \"clientSecret\": \"CLIENTsecretSSO\", "
    "\"registrationExpiresAt\": \"2027-03-01T00:00:00Z\", \"refreshToken\": \"REFRESHtokenSSO\"}";

static void test_token_path(void)
{
    struct cmfa__cred_step s = sso_step(1);
    struct cmfa_error err;
    char *p;
    char want[600];

    cmfa_error_init(&err);
    setenv("HOME", tmpdir, 1);
    p = cmfa__sso_token_path(NULL, &s, &err);
    snprintf(want, sizeof(want), "%s/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
             tmpdir);
    CHECK_STR(p, want);   /* sha1("corp") */
    cmfa_free(p);
    s = sso_step(0);
    p = cmfa__sso_token_path("/x", &s, &err);
    CHECK_STR(p, "/x/79e435d7a515078e81c9dffc35f38d5687ebd3a7.json");   /* sha1(start URL) */
    cmfa_free(p);
    unsetenv("HOME");
    CHECK(cmfa__sso_token_path(NULL, &s, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_CONFIG);
    CHECK(strstr(err.message, "HOME") != NULL);
    cmfa_error_cleanup(&err);
    setenv("HOME", tmpdir, 1);
}

/* SSO and SSO OIDC endpoints through the same resolution as every service. */
static void test_endpoints(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa__endpoint ep;
    struct cmfa_error err;

    clear_aws_env();
    setenv("HOME", tmpdir, 1);
    write_file("config", "[default]\nservices = s\n[services s]\nsso_oidc =\n"
                         "  endpoint_url = http://127.0.0.1:7001\n");
    setenv("AWS_CONFIG_FILE", path_of("config"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("none"), 1);
    memset(&o, 0, sizeof(o));
    o.region = "eu-west-1";
    cmfa_error_init(&err);
    CHECK_INT(cmfa__config_resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_INT(cmfa__endpoint_resolve(&cfg, &cmfa__svc_sso, "eu-central-1", &ep, &err), CMFA_OK);
    CHECK_STR(ep.url, "https://portal.sso.eu-central-1.amazonaws.com");
    cmfa__endpoint_cleanup(&ep);
    CHECK_INT(cmfa__endpoint_resolve(&cfg, &cmfa__svc_sso_oidc, "eu-central-1", &ep, &err),
              CMFA_OK);
    CHECK_STR(ep.url, "http://127.0.0.1:7001");   /* the services section's sso_oidc key */
    cmfa__endpoint_cleanup(&ep);
    CHECK_INT(cmfa__endpoint_resolve(&cfg, &cmfa__svc_sso, "cn-north-1", &ep, &err), CMFA_OK);
    CHECK_STR(ep.url, "https://portal.sso.cn-north-1.amazonaws.com.cn");
    cmfa__endpoint_cleanup(&ep);
    setenv("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:7002", 1);
    setenv("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:7003", 1);
    CHECK_INT(cmfa__endpoint_resolve(&cfg, &cmfa__svc_sso, "eu-central-1", &ep, &err), CMFA_OK);
    CHECK_STR(ep.url, "http://127.0.0.1:7002");
    CHECK_STR(ep.host, "127.0.0.1:7002");
    cmfa__endpoint_cleanup(&ep);
    CHECK_INT(cmfa__endpoint_resolve(&cfg, &cmfa__svc_sso_oidc, "eu-central-1", &ep, &err),
              CMFA_OK);
    CHECK_STR(ep.url, "http://127.0.0.1:7003");
    cmfa__endpoint_cleanup(&ep);
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    CHECK_INT(cmfa__endpoint_resolve(&cfg, &cmfa__svc_sso_oidc, "eu-central-1", &ep, &err),
              CMFA_OK);
    CHECK_STR(ep.url, "https://oidc.eu-central-1.amazonaws.com");
    cmfa__endpoint_cleanup(&ep);
    /* a region is required: SSO has no global endpoint */
    CHECK_INT(cmfa__endpoint_resolve(&cfg, &cmfa__svc_sso, NULL, &ep, &err), CMFA_E_CONFIG);
    cmfa_error_cleanup(&err);
    cmfa__config_cleanup(&cfg);
    clear_aws_env();
    setenv("HOME", tmpdir, 1);
}

static void expect_bad_cache(const char *text, const char *fragment)
{
    struct cmfa__sso_token t;
    struct cmfa_error err;

    cmfa_error_init(&err);
    write_file("bad.json", text);
    CHECK_INT(cmfa__sso_token_load(path_of("bad.json"), "dev", &t, &err), CMFA_E_CREDENTIALS);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_CREDENTIALS);
    CHECK_MSG(strstr(err.message, "profile \"dev\"") != NULL, "%s", err.message);
    CHECK_MSG(strstr(err.message, fragment) != NULL, "'%s' not in %s", fragment, err.message);
    check_no_secrets(err.message);
    CHECK(t.access_token == NULL);
    cmfa_error_cleanup(&err);
}

static void test_token_cache(void)
{
    struct cmfa__sso_token t;
    struct cmfa_error err;

    cmfa_error_init(&err);
    write_file("tok.json", token_json);
    CHECK_INT(cmfa__sso_token_load(path_of("tok.json"), "dev", &t, &err), CMFA_OK);
    CHECK_STR(t.access_token, "ACCESStokenSSO");
    CHECK_INT(t.expires_at, NOW + 3600);
    CHECK_STR(t.refresh_token, "REFRESHtokenSSO");
    CHECK_STR(t.client_id, "client-1");
    CHECK_STR(t.client_secret, "CLIENTsecretSSO");
    CHECK_STR(t.region, "us-east-1");
    CHECK_STR(t.start_url, "https://corp.awsapps.com/start");
    CHECK(t.registration_expires_at > NOW);
    cmfa__sso_token_cleanup(&t);

    /* a legacy token as `aws sso login` wrote it years ago: only the access token */
    write_file("legacy.json", "{\"startUrl\": \"https://legacy.awsapps.com/start\", \"region\": "
                              "\"us-east-1\", \"accessToken\": \"ACCESStokenSSO\", "
                              "\"expiresAt\": \"2026-12-02T06:30:00UTC\"}");
    CHECK_INT(cmfa__sso_token_load(path_of("legacy.json"), "dev", &t, &err), CMFA_OK);
    CHECK_INT(t.expires_at, NOW + 1800);
    CHECK(t.refresh_token == NULL);
    cmfa__sso_token_cleanup(&t);

    /* missing file: run sso login */
    CHECK_INT(cmfa__sso_token_load(path_of("nope.json"), "dev", &t, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "run `cognito-mfa sso login --profile dev` (or `aws sso login") !=
          NULL);
    cmfa_error_cleanup(&err);

    expect_bad_cache("not json", "not a JSON object");
    expect_bad_cache("[1,2]", "not a JSON object");
    expect_bad_cache("{\"expiresAt\": \"2026-12-02T07:00:00Z\"}", "no accessToken");
    expect_bad_cache("{\"accessToken\": \"ACCESStokenSSO\"}", "no expiresAt");
    expect_bad_cache("{\"accessToken\": \"ACCESStokenSSO\", \"expiresAt\": \"tomorrow\"}",
                     "expiresAt in the SSO token cache file is not an ISO 8601 time");
    expect_bad_cache("{\"accessToken\": \"ACCESStokenSSO\", \"expiresAt\": "
                     "\"2026-12-02T07:00:00Z\", \"registrationExpiresAt\": \"soon\"}",
                     "registrationExpiresAt in the SSO token cache file is not an ISO 8601");
    /* found by fuzz_sso_cache: a year before 1970 could not be written back */
    expect_bad_cache("{\"accessToken\": \"ACCESStokenSSO\", \"expiresAt\": "
                     "\"2026-12-02T07:00:00Z\", \"registrationExpiresAt\": "
                     "\"0026-03-01T00:00:00Z\"}",
                     "registrationExpiresAt in the SSO token cache file is not an ISO 8601");
}

static void test_decision(void)
{
    struct cmfa__sso_token t;

    memset(&t, 0, sizeof(t));
    t.access_token = (char *)"a";
    t.refresh_token = (char *)"r";
    t.client_id = (char *)"c";
    t.client_secret = (char *)"s";
    t.registration_expires_at = NOW + 86400;

    t.expires_at = NOW + 15 * 60;
    CHECK_INT(cmfa__sso_token_decide(&t, 1, NOW), CMFA__SSO_USE);
    t.expires_at = NOW + 15 * 60 - 1;                /* inside botocore's 15-minute window */
    CHECK_INT(cmfa__sso_token_decide(&t, 1, NOW), CMFA__SSO_REFRESH);
    t.expires_at = NOW - 10;                         /* expired but refreshable */
    CHECK_INT(cmfa__sso_token_decide(&t, 1, NOW), CMFA__SSO_REFRESH);
    /* legacy tokens are never refreshed: used until they expire */
    t.expires_at = NOW + 60;
    CHECK_INT(cmfa__sso_token_decide(&t, 0, NOW), CMFA__SSO_USE);
    t.expires_at = NOW;
    CHECK_INT(cmfa__sso_token_decide(&t, 0, NOW), CMFA__SSO_LOGIN);
    /* registration expired: no refresh */
    t.registration_expires_at = NOW;
    t.expires_at = NOW + 60;
    CHECK_INT(cmfa__sso_token_decide(&t, 1, NOW), CMFA__SSO_USE);
    t.expires_at = NOW - 1;
    CHECK_INT(cmfa__sso_token_decide(&t, 1, NOW), CMFA__SSO_LOGIN);
    /* no refresh token */
    t.registration_expires_at = NOW + 86400;
    t.refresh_token = NULL;
    CHECK_INT(cmfa__sso_token_decide(&t, 1, NOW), CMFA__SSO_LOGIN);
}

static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    return n;
}

static void test_refresh_and_write_back(void)
{
    struct cmfa__endpoint ep;
    struct cmfa__sso_token t, back;
    struct cmfa_request *req;
    struct cmfa_response r;
    struct cmfa_error err;
    struct stat st;
    char dir[600], path[700];

    cmfa_error_init(&err);
    memset(&ep, 0, sizeof(ep));
    ep.url = (char *)"https://oidc.us-east-1.amazonaws.com";
    ep.host = (char *)"oidc.us-east-1.amazonaws.com";
    CHECK_INT(cmfa__sso_token_parse(token_json, strlen(token_json), "dev", &t, &err), CMFA_OK);
    req = cmfa__oidc_refresh_request(&ep, &t, "ua", &err);
    CHECK(req != NULL);
    if (req) {
        CHECK_STR(req->method, "POST");
        CHECK_STR(req->url, "https://oidc.us-east-1.amazonaws.com/token");
        CHECK_STR(req->body, "{\"clientId\":\"client-1\",\"clientSecret\":\"CLIENTsecretSSO\","
                             "\"grantType\":\"refresh_token\",\"refreshToken\":\"REFRESHtokenSSO\"}");
        CHECK_STR(cmfa__header_get(req->headers, req->nheaders, "Content-Type"),
                  "application/json");
        CHECK(cmfa__header_get(req->headers, req->nheaders, "Authorization") == NULL);
    }
    cmfa_request_free(req);

    /* the answer updates the token; no new refresh token keeps the old one */
    r = response(200, "{\"accessToken\":\"NEWaccessTOKEN\",\"expiresIn\":28800,"
                      "\"tokenType\":\"Bearer\"}");
    CHECK_INT(cmfa__oidc_token_parse(&r, NOW, &t, &err), CMFA_OK);
    CHECK_STR(t.access_token, "NEWaccessTOKEN");
    CHECK_INT(t.expires_at, NOW + 28800);
    CHECK_STR(t.refresh_token, "REFRESHtokenSSO");
    r = response(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid refresh "
                      "token provided\"}");
    CHECK_INT(cmfa__oidc_token_parse(&r, NOW, &t, &err), CMFA_E_CREDENTIALS);
    CHECK_STR(err.service_code, "InvalidGrantException");
    CHECK(strstr(err.message, "SSO OIDC CreateToken failed") == err.message);
    check_no_secrets(err.message);
    cmfa_error_cleanup(&err);
    r = response(200, "{\"expiresIn\":28800}");
    CHECK_INT(cmfa__oidc_token_parse(&r, NOW, &t, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "accessToken is missing") != NULL);
    cmfa_error_cleanup(&err);
    CHECK_STR(t.access_token, "NEWaccessTOKEN");   /* untouched by failures */

    /* write back: directory created, mode 0600, nothing left behind, readable again */
    snprintf(dir, sizeof(dir), "%s/cache/sso", tmpdir);
    snprintf(path, sizeof(path), "%s/abc.json", dir);
    CHECK_INT(cmfa__sso_token_save(path, &t, &err), CMFA_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_INT(count_tmp_files(dir), 0);
    CHECK_INT(cmfa__sso_token_load(path, "dev", &back, &err), CMFA_OK);
    CHECK_STR(back.access_token, "NEWaccessTOKEN");
    CHECK_INT(back.expires_at, NOW + 28800);
    CHECK_STR(back.refresh_token, "REFRESHtokenSSO");
    CHECK_STR(back.client_secret, "CLIENTsecretSSO");
    CHECK_INT(back.registration_expires_at, t.registration_expires_at);
    CHECK_STR(back.start_url, "https://corp.awsapps.com/start");
    cmfa__sso_token_cleanup(&back);
    {
        size_t len = 0;
        char *text = check_read_file(path, &len);
        CHECK_STR(text, "{\"startUrl\":\"https://corp.awsapps.com/start\",\"region\":\"us-east-1\","
                        "\"accessToken\":\"NEWaccessTOKEN\",\"expiresAt\":\"2026-12-02T14:00:00Z\","
                        "\"clientId\":\"client-1\",\"clientSecret\":\"CLIENTsecretSSO\","
                        "\"registrationExpiresAt\":\"2027-03-01T00:00:00Z\","
                        "\"refreshToken\":\"REFRESHtokenSSO\"}");
        free(text);
    }
    /* replacing an existing file keeps 0600 even if the old one was wider */
    chmod(path, 0644);
    CHECK_INT(cmfa__sso_token_save(path, &t, &err), CMFA_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    /* an unwritable directory: error names the file, the old content stays */
    if (geteuid() != 0) {
        chmod(dir, 0500);
        CHECK_INT(cmfa__sso_token_save(path, &t, &err), CMFA_E_CREDENTIALS);
        CHECK(strstr(err.message, "cannot write SSO token cache file") != NULL);
        check_no_secrets(err.message);
        cmfa_error_cleanup(&err);
        chmod(dir, 0700);
    } else {
        CHECK_SKIP("unwritable cache directory (running as root)");
    }
    /* a path under a regular file cannot be created */
    snprintf(path, sizeof(path), "%s/abc.json/x.json", dir);
    CHECK_INT(cmfa__sso_token_save(path, &t, &err), CMFA_E_CREDENTIALS);
    cmfa_error_cleanup(&err);
    cmfa__sso_token_cleanup(&t);
}

static void test_device_flow(void)
{
    struct cmfa__endpoint ep;
    struct cmfa__oidc_client c;
    struct cmfa__oidc_device d;
    struct cmfa__sso_token t;
    struct cmfa_request *req;
    struct cmfa_response r;
    struct cmfa_error err;

    cmfa_error_init(&err);
    memset(&ep, 0, sizeof(ep));
    ep.url = (char *)"http://127.0.0.1:9999/";
    ep.host = (char *)"127.0.0.1:9999";
    req = cmfa__oidc_register_request(&ep, "cognito-mfa", "sso:account:access, openid", NULL,
                                      &err);
    CHECK(req != NULL);
    if (req) {
        CHECK_STR(req->url, "http://127.0.0.1:9999/client/register");
        CHECK_STR(req->body, "{\"clientName\":\"cognito-mfa\",\"clientType\":\"public\","
                             "\"scopes\":[\"sso:account:access\",\"openid\"]}");
    }
    cmfa_request_free(req);
    r = response(200, "{\"clientId\":\"client-1\",\"clientSecret\":\"CLIENTsecretSSO\","
                      "\"clientIdIssuedAt\":1796191200,\"clientSecretExpiresAt\":1803967200}");
    CHECK_INT(cmfa__oidc_register_parse(&r, &c, &err), CMFA_OK);
    CHECK_STR(c.client_id, "client-1");
    CHECK_INT(c.expires_at, 1803967200);

    req = cmfa__oidc_device_auth_request(&ep, &c, "https://corp.awsapps.com/start", NULL, &err);
    CHECK(req != NULL);
    if (req) {
        CHECK_STR(req->url, "http://127.0.0.1:9999/device_authorization");
        CHECK_STR(req->body, "{\"clientId\":\"client-1\",\"clientSecret\":\"CLIENTsecretSSO\","
                             "\"startUrl\":\"https://corp.awsapps.com/start\"}");
    }
    cmfa_request_free(req);
    r = response(200, "{\"deviceCode\":\"DEVICEcodeSECRET\",\"userCode\":\"ABCD-EFGH\","
                      "\"verificationUri\":\"https://device.sso.us-east-1.amazonaws.com/\","
                      "\"verificationUriComplete\":\"https://device.sso.us-east-1.amazonaws.com/"
                      "?user_code=ABCD-EFGH\",\"expiresIn\":600,\"interval\":1}");
    CHECK_INT(cmfa__oidc_device_auth_parse(&r, NOW, &d, &err), CMFA_OK);
    CHECK_STR(d.user_code, "ABCD-EFGH");
    CHECK_INT(d.interval_s, 1);
    CHECK_INT(d.expires_at, NOW + 600);

    req = cmfa__oidc_device_token_request(&ep, &c, d.device_code, NULL, &err);
    CHECK(req != NULL);
    if (req)
        CHECK_STR(req->body, "{\"clientId\":\"client-1\",\"clientSecret\":\"CLIENTsecretSSO\","
                             "\"deviceCode\":\"DEVICEcodeSECRET\",\"grantType\":"
                             "\"urn:ietf:params:oauth:grant-type:device_code\"}");
    cmfa_request_free(req);

    memset(&t, 0, sizeof(t));
    r = response(400, "{\"error\":\"authorization_pending\",\"error_description\":null}");
    CHECK_INT(cmfa__oidc_device_token_parse(&r, NOW, &t, &err), CMFA__POLL_PENDING);
    CHECK_STR(err.service_code, "AuthorizationPendingException");
    cmfa_error_cleanup(&err);
    {
        static const char *const hdr_names[] = {"x-amzn-ErrorType"};
        struct cmfa_header h = {hdr_names[0], "SlowDownException:http://internal.amazon.com/"};
        r = response(400, "{\"error\":\"slow_down\"}");
        r.headers = &h;
        r.nheaders = 1;
        CHECK_INT(cmfa__oidc_device_token_parse(&r, NOW, &t, &err), CMFA__POLL_SLOW_DOWN);
        CHECK_STR(err.service_code, "SlowDownException");
        cmfa_error_cleanup(&err);
    }
    r = response(400, "{\"error\":\"expired_token\"}");
    CHECK_INT(cmfa__oidc_device_token_parse(&r, NOW, &t, &err), CMFA__POLL_FAILED);
    CHECK_INT(err.code, CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "expired before it was approved") != NULL);
    cmfa_error_cleanup(&err);
    r = response(400, "{\"error\":\"access_denied\"}");
    CHECK_INT(cmfa__oidc_device_token_parse(&r, NOW, &t, &err), CMFA__POLL_FAILED);
    CHECK_STR(err.service_code, "AccessDeniedException");
    cmfa_error_cleanup(&err);
    r = response(200, "{\"accessToken\":\"ACCESStokenSSO\",\"expiresIn\":3600,"
                      "\"refreshToken\":\"REFRESHtokenSSO\",\"tokenType\":\"Bearer\"}");
    CHECK_INT(cmfa__oidc_device_token_parse(&r, NOW, &t, &err), CMFA__POLL_TOKEN);
    CHECK_STR(t.access_token, "ACCESStokenSSO");
    CHECK_STR(t.refresh_token, "REFRESHtokenSSO");
    CHECK_INT(t.expires_at, NOW + 3600);
    cmfa__sso_token_cleanup(&t);

    /* malformed answers */
    cmfa__oidc_client_cleanup(&c);
    r = response(200, "{\"clientId\":\"x\"}");
    CHECK_INT(cmfa__oidc_register_parse(&r, &c, &err), CMFA_E_CREDENTIALS);
    CHECK(c.client_id == NULL);
    cmfa_error_cleanup(&err);
    cmfa__oidc_device_cleanup(&d);
    r = response(200, "{\"deviceCode\":\"DEVICEcodeSECRET\"}");
    CHECK_INT(cmfa__oidc_device_auth_parse(&r, NOW, &d, &err), CMFA_E_CREDENTIALS);
    check_no_secrets(err.message);
    cmfa_error_cleanup(&err);
    cmfa__oidc_client_cleanup(&c);
}

static void test_portal(void)
{
    struct cmfa__cred_step s = sso_step(1);
    struct cmfa__endpoint ep;
    struct cmfa__credentials cr;
    struct cmfa_request *req;
    struct cmfa_response r;
    struct cmfa_error err;

    cmfa_error_init(&err);
    memset(&ep, 0, sizeof(ep));
    ep.url = (char *)"https://portal.sso.us-east-1.amazonaws.com";
    ep.host = (char *)"portal.sso.us-east-1.amazonaws.com";
    req = cmfa__sso_role_credentials_request(&ep, &s, "ACCESStokenSSO", "ua", &err);
    CHECK(req != NULL);
    if (req) {
        char *dbg;
        CHECK_STR(req->method, "GET");
        CHECK_STR(req->url, "https://portal.sso.us-east-1.amazonaws.com/federation/credentials"
                            "?role_name=Admin%20Role&account_id=123456789012");
        CHECK_STR(cmfa__header_get(req->headers, req->nheaders, "x-amz-sso_bearer_token"),
                  "ACCESStokenSSO");
        CHECK_INT(req->body_len, 0);
        CHECK(cmfa__header_get(req->headers, req->nheaders, "Content-Length") == NULL);
        dbg = cmfa_request_debug_text(req, NULL);
        CHECK_MSG(dbg && !strstr(dbg, "ACCESStokenSSO"), "%s", dbg ? dbg : "(null)");
        cmfa_free(dbg);
    }
    cmfa_request_free(req);
    CHECK(cmfa__sso_role_credentials_request(&ep, &s, "", NULL, &err) == NULL);
    cmfa_error_cleanup(&err);

    r = response(200, "{\"roleCredentials\":{\"accessKeyId\":\"ASIAROLE\",\"secretAccessKey\":"
                      "\"ROLEsecretKEY\",\"sessionToken\":\"ROLEsessionTOKEN\","
                      "\"expiration\":1796194800000}}");
    CHECK_INT(cmfa__sso_role_credentials_parse(&r, &s, NOW, &cr, &err), CMFA_OK);
    CHECK_STR(cr.access_key_id, "ASIAROLE");
    CHECK_STR(cr.secret_access_key, "ROLEsecretKEY");
    CHECK_STR(cr.session_token, "ROLEsessionTOKEN");
    CHECK_INT(cr.expiration, NOW + 3600);   /* milliseconds */
    CHECK_STR(cr.source, "sso");
    cmfa__credentials_cleanup(&cr);

    /* expiration in seconds by mistake reads as 1970: refused */
    r = response(200, "{\"roleCredentials\":{\"accessKeyId\":\"ASIAROLE\",\"secretAccessKey\":"
                      "\"ROLEsecretKEY\",\"sessionToken\":\"ROLEsessionTOKEN\","
                      "\"expiration\":1796194800}}");
    CHECK_INT(cmfa__sso_role_credentials_parse(&r, &s, NOW, &cr, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "milliseconds") != NULL);
    cmfa_error_cleanup(&err);
    r = response(200, "{\"roleCredentials\":{\"accessKeyId\":\"ASIAROLE\"}}");
    CHECK_INT(cmfa__sso_role_credentials_parse(&r, &s, NOW, &cr, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "roleCredentials.secretAccessKey is missing") != NULL);
    CHECK(strstr(err.message, "profile \"dev\"") != NULL);
    cmfa_error_cleanup(&err);
    r = response(200, "<html/>");
    CHECK_INT(cmfa__sso_role_credentials_parse(&r, &s, NOW, &cr, &err), CMFA_E_CREDENTIALS);
    cmfa_error_cleanup(&err);

    /* an expired or revoked token: log in again */
    {
        struct cmfa_header h = {"x-amzn-ErrorType", "UnauthorizedException"};
        r = response(401, "{\"message\":\"Session token not found or invalid\"}");
        r.headers = &h;
        r.nheaders = 1;
        CHECK_INT(cmfa__sso_role_credentials_parse(&r, &s, NOW, &cr, &err), CMFA_E_CREDENTIALS);
        CHECK(strstr(err.message, "profile \"dev\": the SSO session has expired") != NULL);
        CHECK(strstr(err.message, "cognito-mfa sso login --profile dev") != NULL);
        cmfa_error_cleanup(&err);
        h.value = "ForbiddenException";
        r = response(403, "{\"message\":\"No access\"}");
        r.headers = &h;
        r.nheaders = 1;
        CHECK_INT(cmfa__sso_role_credentials_parse(&r, &s, NOW, &cr, &err), CMFA_E_CREDENTIALS);
        CHECK_STR(err.service_code, "ForbiddenException");
        CHECK(strstr(err.message, "SSO GetRoleCredentials for profile \"dev\" failed: "
                                  "ForbiddenException: No access") == err.message);
        cmfa_error_cleanup(&err);
    }
}

static void test_cli_cache(void)
{
    struct cmfa__sts_params p;
    struct cmfa__sts_result res, back;
    struct cmfa_error err;
    struct stat st;
    char key[41];
    char *path;

    memset(&p, 0, sizeof(p));
    p.role_arn = "arn:aws:iam::123456789012:role/x";
    p.role_session_name = "generated-name";
    CHECK_INT(cmfa__cli_cache_key(&p, 0, key), CMFA_OK);
    CHECK_STR(key, "f84d75ff2dd3e8682912dae5e7be77540d9d68d0");
    p.role_session_name = "sess";
    p.external_id = "ext \xC3\xA9\"\\\n\xF0\x9F\x98\x80";
    p.serial_number = "arn:aws:iam::123456789012:mfa/me";
    p.duration_seconds = 3600;
    p.token_code = "123456";   /* never part of the key */
    CHECK_INT(cmfa__cli_cache_key(&p, 1, key), CMFA_OK);
    CHECK_STR(key, "5afff934aa880411c9754884f7954ebdcae8d200");
    p.external_id = "bad \xC3";
    CHECK_INT(cmfa__cli_cache_key(&p, 1, key), CMFA_E_BAD_ARGUMENT);

    cmfa_error_init(&err);
    path = cmfa__cli_cache_path(NULL, "f84d75ff2dd3e8682912dae5e7be77540d9d68d0", &err);
    memset(&res, 0, sizeof(res));
    res.creds.access_key_id = (char *)"ASIACACHE";
    res.creds.secret_access_key = (char *)"ROLEsecretKEY";
    res.creds.session_token = (char *)"ROLEsessionTOKEN";
    res.creds.expiration = NOW + 3600;
    res.assumed_role_arn = (char *)"arn:aws:sts::123456789012:assumed-role/x/sess";
    memcpy(res.account_id, "123456789012", 13);
    CHECK_INT(cmfa__cli_cache_save(path, &res, &err), CMFA_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    {
        char *text = check_read_file(path, NULL);
        CHECK_STR(text, "{\"Credentials\": {\"AccessKeyId\":\"ASIACACHE\",\"SecretAccessKey\":"
                        "\"ROLEsecretKEY\",\"SessionToken\":\"ROLEsessionTOKEN\",\"Expiration\":"
                        "\"2026-12-02T07:00:00Z\",\"AccountId\":\"123456789012\"}, "
                        "\"AssumedRoleUser\": {\"Arn\":\"arn:aws:sts::123456789012:assumed-role/"
                        "x/sess\"}, \"ResponseMetadata\": {}}");
        free(text);
    }
    CHECK_INT(cmfa__cli_cache_load(path, NOW, &back, &err), CMFA_OK);
    CHECK_STR(back.creds.access_key_id, "ASIACACHE");
    CHECK_STR(back.creds.session_token, "ROLEsessionTOKEN");
    CHECK_INT(back.creds.expiration, NOW + 3600);
    CHECK_STR(back.account_id, "123456789012");
    cmfa__sts_result_cleanup(&back);
    /* expiring within 15 minutes: a miss, as botocore */
    CHECK_INT(cmfa__cli_cache_load(path, NOW + 3600 - 899, &back, &err), CMFA_E_NO_CREDENTIALS);
    CHECK_INT(err.code, CMFA_OK);
    cmfa_free(path);

    /* the AWS CLI's own format ("...UTC" from Python's %Z) */
    write_file("cli.json", "{\"Credentials\": {\"AccessKeyId\": \"ASIACLI\", \"SecretAccessKey\": "
                           "\"ROLEsecretKEY\", \"SessionToken\": \"ROLEsessionTOKEN\", "
                           "\"Expiration\": \"2026-12-02T08:00:00UTC\"}, \"AssumedRoleUser\": "
                           "{\"AssumedRoleId\": \"AROA:x\", \"Arn\": \"arn:aws:sts::"
                           "210987654321:assumed-role/x/y\"}, \"ResponseMetadata\": "
                           "{\"RequestId\": \"r\", \"HTTPStatusCode\": 200}}");
    CHECK_INT(cmfa__cli_cache_load(path_of("cli.json"), NOW, &back, &err), CMFA_OK);
    CHECK_INT(back.creds.expiration, NOW + 7200);
    CHECK_STR(back.account_id, "210987654321");
    cmfa__sts_result_cleanup(&back);
    CHECK_INT(cmfa__cli_cache_load(path_of("missing.json"), NOW, &back, &err),
              CMFA_E_NO_CREDENTIALS);
    write_file("cli.json", "{\"Credentials\": {\"AccessKeyId\": \"ASIACLI\"}}");
    CHECK_INT(cmfa__cli_cache_load(path_of("cli.json"), NOW, &back, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "Credentials.SecretAccessKey is missing") != NULL);
    cmfa_error_cleanup(&err);
}

static cmfa_code sso_once(void)
{
    struct cmfa__cred_step s = sso_step(1);
    struct cmfa__endpoint ep;
    struct cmfa__sso_token t;
    struct cmfa__credentials cr;
    struct cmfa__sts_params p;
    struct cmfa__sts_result res;
    struct cmfa_request *req;
    struct cmfa_response r;
    struct cmfa_error err;
    char key[41];
    char *path = NULL;
    cmfa_code rc;

    cmfa_error_init(&err);
    memset(&ep, 0, sizeof(ep));
    ep.url = (char *)"https://oidc.us-east-1.amazonaws.com";
    ep.host = (char *)"oidc.us-east-1.amazonaws.com";
    rc = cmfa__sso_token_load(path_of("tok.json"), "dev", &t, &err);
    if (rc != CMFA_OK)
        goto out;
    req = cmfa__oidc_refresh_request(&ep, &t, "ua", &err);
    if (!req) {
        rc = err.code;
        goto out_tok;
    }
    cmfa_request_free(req);
    r = response(200, "{\"accessToken\":\"NEWaccessTOKEN\",\"expiresIn\":28800}");
    rc = cmfa__oidc_token_parse(&r, NOW, &t, &err);
    if (rc == CMFA_OK)
        rc = cmfa__sso_token_save(path_of("alloc.json"), &t, &err);
    if (rc != CMFA_OK)
        goto out_tok;
    req = cmfa__sso_role_credentials_request(&ep, &s, t.access_token, "ua", &err);
    if (!req) {
        rc = err.code;
        goto out_tok;
    }
    cmfa_request_free(req);
    r = response(200, "{\"roleCredentials\":{\"accessKeyId\":\"A\",\"secretAccessKey\":\"S\","
                      "\"sessionToken\":\"T\",\"expiration\":1796194800000}}");
    rc = cmfa__sso_role_credentials_parse(&r, &s, NOW, &cr, &err);
    if (rc != CMFA_OK)
        goto out_tok;
    memset(&p, 0, sizeof(p));
    p.role_arn = "arn:aws:iam::123456789012:role/x";
    rc = cmfa__cli_cache_key(&p, 0, key);
    if (rc == CMFA_OK) {
        path = cmfa__cli_cache_path(tmpdir, key, &err);
        rc = path ? CMFA_OK : err.code;
    }
    if (rc == CMFA_OK) {
        memset(&res, 0, sizeof(res));
        res.creds = cr;
        rc = cmfa__cli_cache_save(path, &res, &err);
    }
    if (rc == CMFA_OK) {
        rc = cmfa__cli_cache_load(path, NOW, &res, &err);
        if (rc == CMFA_OK)
            cmfa__sts_result_cleanup(&res);
    }
    cmfa_free(path);
    cmfa__credentials_cleanup(&cr);
out_tok:
    cmfa__sso_token_cleanup(&t);
out:
    cmfa_error_cleanup(&err);
    return rc;
}

static void test_alloc_failures(void)
{
    write_file("tok.json", token_json);
    alloc_loop("SSO token, refresh, portal and CLI cache", sso_once);
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
    clear_aws_env();
    setenv("HOME", tmpdir, 1);
    test_token_path();
    test_endpoints();
    test_token_cache();
    test_decision();
    test_refresh_and_write_back();
    test_device_flow();
    test_portal();
    test_cli_cache();
    test_alloc_failures();
    nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return check_done("test_sso");
}
