/* SSO against tools/sso_server.py (started by tools/peer.py): the prepared requests of sso.c
 * sent over the built-in libcurl transport, their answers parsed. Device login (RegisterClient,
 * StartDeviceAuthorization, CreateToken polls: pending, slow_down, pending, token), the token
 * cache written and read back, GetRoleCredentials, a refresh with the refresh token (a reused
 * refresh token is refused), an unknown token (log in again), and the server's request counts.
 * Endpoints come from AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC through the same
 * resolution as the client's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cmfa_int.h"
#include "../check.h"

static const char *endpoint;
static struct cmfa_client *client;

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct cmfa__buf *b = userdata;
    return cmfa__buf_add(b, data, size * nmemb) == CMFA_OK ? size * nmemb : 0;
}

static char *control(const char *path, const char *post_body)
{
    CURL *h = curl_easy_init();
    struct cmfa__buf b;
    char url[256];

    cmfa__buf_init(&b, 0);
    snprintf(url, sizeof(url), "%s%s", endpoint, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (post_body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body);
    CHECK(curl_easy_perform(h) == CURLE_OK);
    curl_easy_cleanup(h);
    return cmfa__buf_take(&b, NULL);
}

static double stat_of(const char *path)
{
    char *text = control("/__stats", NULL);
    struct cmfa_value *v = cmfa_value_parse(text, strlen(text), NULL);
    const struct cmfa_value *paths = cmfa_value_get(v, "paths");
    const struct cmfa_value *n = cmfa_value_get(paths, path);
    double r = n ? cmfa_value_number(n) : 0;

    cmfa_value_free(v);
    cmfa_free(text);
    return r;
}

/* Sends req (freed here) and hands the response to the caller. */
static int send_req(struct cmfa_request *req, struct cmfa__http_response *out)
{
    char msg[CMFA_ERROR_SIZE] = "";
    cmfa_code rc;

    cmfa__http_response_init(out, 1 << 20);
    CHECK(req != NULL);
    if (!req)
        return 0;
    rc = cmfa__transport_send(client, req, out, msg, sizeof(msg));
    CHECK_MSG(rc == CMFA_OK, "%s", msg);
    cmfa_request_free(req);
    return rc == CMFA_OK;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void)
{
    char tmpdir[] = "/tmp/cmfa-it-sso-XXXXXX";
    struct cmfa_client_options o;
    struct cmfa__endpoint oidc, portal;
    struct cmfa__oidc_client reg;
    struct cmfa__oidc_device dev;
    struct cmfa__sso_token tok, back;
    struct cmfa__cred_step step;
    struct cmfa__credentials creds;
    struct cmfa__http_response resp;
    struct cmfa_error err;
    enum cmfa__oidc_poll polls[6];
    char *path, *old_refresh;
    int npolls = 0;
    time_t now;

    endpoint = getenv("CMFA_TEST_ENDPOINT");
    if (!endpoint) {
        fprintf(stderr, "it_sso: CMFA_TEST_ENDPOINT is not set (run under tools/peer.py)\n");
        return 2;
    }
    if (!mkdtemp(tmpdir))
        return 2;
    cmfa_global_init();
    setenv("AWS_ENDPOINT_URL_SSO", endpoint, 1);
    setenv("AWS_ENDPOINT_URL_SSO_OIDC", endpoint, 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    memset(&o, 0, sizeof(o));
    o.region = "us-east-1";
    o.endpoint_url = "http://127.0.0.1:9";    /* the client's own service is not used */
    o.access_key_id = "AKIDUNUSED";
    o.secret_access_key = "unused-secret";
    cmfa_error_init(&err);
    client = cmfa_client_new(&o, &err);
    CHECK_MSG(client != NULL, "%s", err.message);
    if (!client)
        return check_done("it_sso");

    CHECK_INT(cmfa__endpoint_resolve(&client->cfg, &cmfa__svc_sso_oidc, "us-east-1", &oidc, &err),
              CMFA_OK);
    CHECK_INT(cmfa__endpoint_resolve(&client->cfg, &cmfa__svc_sso, "us-east-1", &portal, &err),
              CMFA_OK);
    CHECK_STR(oidc.url, endpoint);

    /* device login */
    memset(&reg, 0, sizeof(reg));
    memset(&dev, 0, sizeof(dev));
    memset(&tok, 0, sizeof(tok));
    if (send_req(cmfa__oidc_register_request(&oidc, "cognito-mfa", "sso:account:access", "it",
                                             &err), &resp))
        CHECK_INT(cmfa__oidc_register_parse(&resp.resp, &reg, &err), CMFA_OK);
    cmfa__http_response_cleanup(&resp);
    if (send_req(cmfa__oidc_device_auth_request(&oidc, &reg, "https://corp.awsapps.com/start",
                                                "it", &err), &resp))
        CHECK_INT(cmfa__oidc_device_auth_parse(&resp.resp, time(NULL), &dev, &err), CMFA_OK);
    cmfa__http_response_cleanup(&resp);
    CHECK(dev.user_code != NULL && dev.interval_s == 1);
    while (npolls < 6) {
        enum cmfa__oidc_poll p = CMFA__POLL_FAILED;
        if (send_req(cmfa__oidc_device_token_request(&oidc, &reg, dev.device_code, "it", &err),
                     &resp))
            p = cmfa__oidc_device_token_parse(&resp.resp, time(NULL), &tok, &err);
        cmfa__http_response_cleanup(&resp);
        cmfa_error_cleanup(&err);
        polls[npolls++] = p;
        if (p == CMFA__POLL_TOKEN || p == CMFA__POLL_FAILED)
            break;
        /* the second poll comes at once, to be told to slow down */
        if (npolls >= 2)
            sleep_ms(350);
    }
    CHECK_INT(npolls, 4);
    CHECK(npolls == 4 && polls[0] == CMFA__POLL_PENDING && polls[1] == CMFA__POLL_SLOW_DOWN &&
          polls[2] == CMFA__POLL_PENDING && polls[3] == CMFA__POLL_TOKEN);
    CHECK(tok.access_token != NULL && tok.refresh_token != NULL);

    /* the token cache, as `sso login` leaves it */
    memset(&step, 0, sizeof(step));
    step.kind = CMFA__STEP_SSO;
    step.profile = (char *)"dev";
    step.sso_session = (char *)"corp";
    step.sso_start_url = (char *)"https://corp.awsapps.com/start";
    step.sso_region = (char *)"us-east-1";
    step.sso_account_id = (char *)"123456789012";
    step.sso_role_name = (char *)"Admin";
    tok.client_id = cmfa__strdup(reg.client_id);
    tok.client_secret = cmfa__strdup(reg.client_secret);
    tok.registration_expires_at = reg.expires_at;
    tok.region = cmfa__strdup("us-east-1");
    tok.start_url = cmfa__strdup(step.sso_start_url);
    path = cmfa__sso_token_path(tmpdir, &step, &err);
    CHECK_INT(cmfa__sso_token_save(path, &tok, &err), CMFA_OK);
    CHECK_INT(cmfa__sso_token_load(path, "dev", &back, &err), CMFA_OK);
    now = time(NULL);
    CHECK_INT(cmfa__sso_token_decide(&back, 1, now), CMFA__SSO_USE);
    CHECK_INT(cmfa__sso_token_decide(&back, 1, now + 3600 - 60), CMFA__SSO_REFRESH);

    /* role credentials */
    if (send_req(cmfa__sso_role_credentials_request(&portal, &step, back.access_token, "it", &err),
                 &resp)) {
        CHECK_INT(cmfa__sso_role_credentials_parse(&resp.resp, &step, time(NULL), &creds, &err),
                  CMFA_OK);
        CHECK(creds.expiration > now + 3000 && creds.expiration < now + 3700);
        CHECK(creds.session_token && strncmp(creds.session_token, "portal-session-", 15) == 0);
        cmfa__credentials_cleanup(&creds);
    }
    cmfa__http_response_cleanup(&resp);

    /* refresh: a new access token that the portal accepts; the old refresh token is spent */
    old_refresh = cmfa__strdup(back.refresh_token);
    if (send_req(cmfa__oidc_refresh_request(&oidc, &back, "it", &err), &resp))
        CHECK_INT(cmfa__oidc_token_parse(&resp.resp, time(NULL), &back, &err), CMFA_OK);
    cmfa__http_response_cleanup(&resp);
    CHECK(strcmp(back.access_token, tok.access_token) != 0);
    CHECK_INT(cmfa__sso_token_save(path, &back, &err), CMFA_OK);
    if (send_req(cmfa__sso_role_credentials_request(&portal, &step, back.access_token, "it", &err),
                 &resp)) {
        CHECK_INT(cmfa__sso_role_credentials_parse(&resp.resp, &step, time(NULL), &creds, &err),
                  CMFA_OK);
        cmfa__credentials_cleanup(&creds);
    }
    cmfa__http_response_cleanup(&resp);
    cmfa__free_secret(back.refresh_token);
    back.refresh_token = old_refresh;
    if (send_req(cmfa__oidc_refresh_request(&oidc, &back, "it", &err), &resp)) {
        CHECK_INT(cmfa__oidc_token_parse(&resp.resp, time(NULL), &back, &err),
                  CMFA_E_CREDENTIALS);
        CHECK_STR(err.service_code, "InvalidGrantException");
        cmfa_error_cleanup(&err);
    }
    cmfa__http_response_cleanup(&resp);

    /* a token the portal does not know: log in again */
    if (send_req(cmfa__sso_role_credentials_request(&portal, &step, "no-such-token", "it", &err),
                 &resp)) {
        CHECK_INT(cmfa__sso_role_credentials_parse(&resp.resp, &step, time(NULL), &creds, &err),
                  CMFA_E_CREDENTIALS);
        CHECK(strstr(err.message, "cognito-mfa sso login --profile dev") != NULL);
        cmfa_error_cleanup(&err);
    }
    cmfa__http_response_cleanup(&resp);

    CHECK(stat_of("/client/register") == 1);
    CHECK(stat_of("/device_authorization") == 1);
    CHECK(stat_of("/token") == 6);
    CHECK(stat_of("/federation/credentials") == 3);

    unlink(path);
    rmdir(tmpdir);
    cmfa_free(path);
    cmfa__sso_token_cleanup(&tok);
    cmfa__sso_token_cleanup(&back);
    cmfa__oidc_client_cleanup(&reg);
    cmfa__oidc_device_cleanup(&dev);
    cmfa__endpoint_cleanup(&oidc);
    cmfa__endpoint_cleanup(&portal);
    cmfa_error_cleanup(&err);
    cmfa_client_free(client);
    cmfa_global_cleanup();
    return check_done("it_sso");
}
