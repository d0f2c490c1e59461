/* STS over the query protocol, without I/O: AssumeRole (signed with SigV4 for service "sts"
 * with the source credentials) and AssumeRoleWithWebIdentity (unsigned) as prepared requests,
 * and their XML answers (credentials, assumed-role ARN, account id) or ErrorResponse.
 *
 * Body: form-encoded, "Action=...&Version=2011-06-15&" then the parameters, each value
 * percent-encoded except the RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~), as the
 * query protocol serializers of the SDKs do.
 *
 * Endpoint: cmfa__config_endpoint for STS (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the
 * services section's "sts", the profile's endpoint_url), else https://sts.REGION.<partition
 * suffix>, or https://sts.amazonaws.com (signed for us-east-1) without a region.
 *
 * Errors are credentials-kind (CMFA_E_CREDENTIALS) and keep the STS code in service_code, the
 * request id, the status and whether a retry can help; messages name the profile and role and
 * never carry a secret, token or MFA code (they are scrubbed from what the service sends). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmfa_int.h"

#define STS_VERSION "2011-06-15"
#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define WEB_TOKEN_MAX ((size_t)64 * 1024)

/* ------------------------------------------------------------------------- endpoint */

void cmfa__endpoint_cleanup(struct cmfa__endpoint *ep)
{
    if (!ep)
        return;
    cmfa_free(ep->url);
    cmfa_free(ep->host);
    cmfa_free(ep->path);
    cmfa_free(ep->signing_region);
    memset(ep, 0, sizeof(*ep));
}

cmfa_code cmfa__endpoint_resolve(const struct cmfa__config *cfg, const struct cmfa__service *svc,
                                 const char *region, struct cmfa__endpoint *ep,
                                 struct cmfa_error *err)
{
    cmfa_code rc;

    memset(ep, 0, sizeof(*ep));
    rc = cmfa__config_endpoint(cfg, svc, NULL, NULL, region, &ep->url, &ep->is_custom, err);
    if (rc == CMFA_OK)
        rc = cmfa__url_split(ep->url, &ep->host, &ep->path, err);
    if (rc == CMFA_OK) {
        ep->signing_region = cmfa__strdup(region ? region : "us-east-1");
        if (!ep->signing_region)
            rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    if (rc != CMFA_OK)
        cmfa__endpoint_cleanup(ep);
    return rc;
}

/* ------------------------------------------------------------------------- encoding */

cmfa_code cmfa__percent_encode(struct cmfa__buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    cmfa_code rc = CMFA_OK;

    for (i = 0; i < len && rc == CMFA_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            rc = cmfa__buf_addc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = cmfa__buf_add(b, e, 3);
        }
    }
    return rc;
}

static cmfa_code form_param(struct cmfa__buf *b, const char *name, const char *value,
                            size_t len)
{
    cmfa_code rc = cmfa__buf_printf(b, "&%s=", name);

    return rc == CMFA_OK ? cmfa__percent_encode(b, value, len) : rc;
}

void cmfa__sts_session_name(time_t now, char out[64])
{
    snprintf(out, 64, "cognito-mfa-%lld", (long long)now);
}

static cmfa_code common_params(struct cmfa__buf *body, const char *action,
                               const struct cmfa__sts_params *p)
{
    cmfa_code rc = cmfa__buf_printf(body, "Action=%s&Version=%s", action, STS_VERSION);

    if (rc == CMFA_OK)
        rc = form_param(body, "RoleArn", p->role_arn, strlen(p->role_arn));
    if (rc == CMFA_OK)
        rc = form_param(body, "RoleSessionName", p->role_session_name,
                        strlen(p->role_session_name));
    return rc;
}

static cmfa_code check_params(const struct cmfa__sts_params *p, struct cmfa_error *err)
{
    if (!p || !p->role_arn || !p->role_arn[0] || !p->role_session_name ||
        !p->role_session_name[0])
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                          "STS request without a role ARN or role session name");
    if (p->duration_seconds < 0)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "STS request with a negative duration");
    return CMFA_OK;
}

/* Shared tail: the request record with the given headers and body. */
static struct cmfa_request *finish(const struct cmfa__endpoint *ep, const char *method,
                                   const struct cmfa__sig_header *h, size_t nh,
                                   const char *authz, const char *user_agent,
                                   const struct cmfa__buf *body, struct cmfa_error *err)
{
    struct cmfa_request *req = cmfa__request_new(method, ep->url, ep->host);
    char clen[32];
    size_t i;
    cmfa_code rc = req ? CMFA_OK : CMFA_E_NOMEM;

    for (i = 0; rc == CMFA_OK && i < nh; i++)
        rc = cmfa__request_add_header(req, h[i].name, h[i].value);
    if (rc == CMFA_OK && authz)
        rc = cmfa__request_add_header(req, "Authorization", authz);
    if (rc == CMFA_OK && user_agent)
        rc = cmfa__request_add_header(req, "User-Agent", user_agent);
    snprintf(clen, sizeof(clen), "%zu", body->len);
    if (rc == CMFA_OK && strcmp(method, "GET") != 0)
        rc = cmfa__request_add_header(req, "Content-Length", clen);
    if (rc == CMFA_OK && body->len)
        rc = cmfa__request_set_body(req, body->data, body->len);
    if (rc != CMFA_OK) {
        cmfa_request_free(req);
        cmfa__fail(err, rc, NULL);
        return NULL;
    }
    return req;
}

struct cmfa_request *cmfa__sts_assume_role_request(const struct cmfa__endpoint *ep,
                                                   const struct cmfa__sts_params *p,
                                                   const struct cmfa__credentials *source,
                                                   time_t now, const char *user_agent,
                                                   struct cmfa_error *err)
{
    struct cmfa__buf body, authz;
    struct cmfa__sig_header h[4];
    struct cmfa__sigv4_request sreq;
    struct cmfa__sigv4_params sp;
    struct cmfa_request *req = NULL;
    char amz_date[17];
    size_t nh = 0;
    cmfa_code rc;

    if (check_params(p, err) != CMFA_OK)
        return NULL;
    if (!ep || !ep->url || !source || !source->access_key_id || !source->secret_access_key) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "AssumeRole needs an endpoint and source credentials");
        return NULL;
    }
    cmfa__buf_init(&body, 0);
    cmfa__buf_init(&authz, 4096);
    rc = common_params(&body, "AssumeRole", p);
    if (rc == CMFA_OK && p->external_id)
        rc = form_param(&body, "ExternalId", p->external_id, strlen(p->external_id));
    if (rc == CMFA_OK && p->duration_seconds)
        rc = cmfa__buf_printf(&body, "&DurationSeconds=%ld", p->duration_seconds);
    if (rc == CMFA_OK && p->serial_number)
        rc = form_param(&body, "SerialNumber", p->serial_number, strlen(p->serial_number));
    if (rc == CMFA_OK && p->token_code)
        rc = form_param(&body, "TokenCode", p->token_code, strlen(p->token_code));
    if (rc == CMFA_OK && p->policy)
        rc = form_param(&body, "Policy", p->policy, strlen(p->policy));
    if (rc != CMFA_OK) {
        cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    cmfa__amz_date(now, amz_date);
    h[nh].name = "Content-Type", h[nh++].value = FORM_TYPE;
    h[nh].name = "Host", h[nh++].value = ep->host;
    h[nh].name = "X-Amz-Date", h[nh++].value = amz_date;
    if (source->session_token && source->session_token[0])
        h[nh].name = "X-Amz-Security-Token", h[nh++].value = source->session_token;
    memset(&sreq, 0, sizeof(sreq));
    sreq.method = "POST";
    sreq.path = ep->path;
    sreq.headers = h;
    sreq.nheaders = nh;
    sreq.body = body.data ? body.data : "";
    sreq.body_len = body.len;
    memset(&sp, 0, sizeof(sp));
    sp.access_key_id = source->access_key_id;
    sp.secret_access_key = source->secret_access_key;
    sp.region = ep->signing_region;
    sp.service = "sts";
    sp.amz_date = amz_date;
    sp.normalize_path = 1;
    rc = cmfa__sigv4_authorization(NULL, &sp, &sreq, &authz);
    if (rc != CMFA_OK) {
        cmfa__fail(err, rc, "signing the AssumeRole request failed: %s", cmfa_strerror(rc));
        goto cleanup;
    }
    req = finish(ep, "POST", h, nh, authz.data, user_agent, &body, err);

cleanup:
    cmfa__buf_cleanup_secret(&body);   /* holds the MFA code */
    cmfa__buf_cleanup_secret(&authz);
    return req;
}

struct cmfa_request *cmfa__sts_web_identity_request(const struct cmfa__endpoint *ep,
                                                    const struct cmfa__sts_params *p,
                                                    const char *token, size_t token_len,
                                                    const char *user_agent,
                                                    struct cmfa_error *err)
{
    struct cmfa__buf body;
    struct cmfa__sig_header h[2];
    struct cmfa_request *req = NULL;
    cmfa_code rc;

    if (check_params(p, err) != CMFA_OK)
        return NULL;
    if (!ep || !ep->url || !token || !token_len) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                   "AssumeRoleWithWebIdentity needs an endpoint and a token");
        return NULL;
    }
    cmfa__buf_init(&body, 0);
    rc = common_params(&body, "AssumeRoleWithWebIdentity", p);
    if (rc == CMFA_OK)
        rc = form_param(&body, "WebIdentityToken", token, token_len);
    if (rc == CMFA_OK && p->duration_seconds)
        rc = cmfa__buf_printf(&body, "&DurationSeconds=%ld", p->duration_seconds);
    if (rc == CMFA_OK && p->policy)
        rc = form_param(&body, "Policy", p->policy, strlen(p->policy));
    if (rc != CMFA_OK) {
        cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    h[0].name = "Content-Type", h[0].value = FORM_TYPE;
    h[1].name = "Host", h[1].value = ep->host;
    req = finish(ep, "POST", h, 2, NULL, user_agent, &body, err);

cleanup:
    cmfa__buf_cleanup_secret(&body);
    return req;
}

/* ------------------------------------------------------------------------- web identity token */

cmfa_code cmfa__web_identity_token_read(const struct cmfa__cred_step *step,
                                        struct cmfa__buf *out, struct cmfa_error *err)
{
    char shown[200], pshown[80];
    const char *key;
    int errnum = 0;
    cmfa_code rc;
    size_t i;

    if (!step || !step->token_file || !out)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "no web identity token file");
    key = step->from_env ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "web_identity_token_file";
    cmfa__buf_reset(out);
    out->max = WEB_TOKEN_MAX;
    rc = cmfa__file_read(step->token_file, out, &errnum);
    if (rc == CMFA_E_TOO_LARGE)
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "profile \"%s\": %s %s is larger than %zu bytes",
                          cmfa__printable(step->profile, pshown, sizeof(pshown)), key,
                          cmfa__printable(step->token_file, shown, sizeof(shown)),
                          WEB_TOKEN_MAX);
    if (rc == CMFA_E_NOMEM)
        return cmfa__fail(err, rc, NULL);
    if (rc != CMFA_OK)
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "profile \"%s\": cannot read %s %s: %s",
                          cmfa__printable(step->profile, pshown, sizeof(pshown)), key,
                          cmfa__printable(step->token_file, shown, sizeof(shown)),
                          strerror(errnum));
    /* a trailing line end is how most tools write the file */
    while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r' ||
                        out->data[out->len - 1] == ' '))
        out->data[--out->len] = '\0';
    if (!out->len)
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "profile \"%s\": %s %s is empty",
                          cmfa__printable(step->profile, pshown, sizeof(pshown)), key,
                          cmfa__printable(step->token_file, shown, sizeof(shown)));
    for (i = 0; i < out->len; i++)
        if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
            return cmfa__fail(err, CMFA_E_CREDENTIALS,
                              "profile \"%s\": %s %s holds control characters or line breaks: "
                              "a token is one line",
                              cmfa__printable(step->profile, pshown, sizeof(pshown)), key,
                              cmfa__printable(step->token_file, shown, sizeof(shown)));
    return CMFA_OK;
}

/* ------------------------------------------------------------------------- answers */

void cmfa__sts_result_cleanup(struct cmfa__sts_result *r)
{
    if (!r)
        return;
    cmfa__credentials_cleanup(&r->creds);
    cmfa_free(r->assumed_role_arn);
    memset(r, 0, sizeof(*r));
}

int cmfa__arn_account(const char *arn, char out[13])
{
    /* arn:partition:service:region:account:resource */
    const char *p = arn;
    int i;

    out[0] = '\0';
    if (!arn || strncmp(arn, "arn:", 4) != 0)
        return 0;
    for (i = 0; i < 4; i++) {
        p = strchr(p, ':');
        if (!p)
            return 0;
        p++;
    }
    for (i = 0; i < 12; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    if (p[12] != ':')
        return 0;
    memcpy(out, p, 12);
    out[12] = '\0';
    return 1;
}

/* Replaces the secrets in a NUL-terminated field with "[redacted]". */
static void scrub(char *field, size_t size, const char *const *secrets)
{
    struct cmfa__buf out;

    if (!secrets || !secrets[0] || !field[0])
        return;
    cmfa__buf_init(&out, 0);
    if (cmfa__redact(field, strlen(field), secrets, &out) == CMFA_OK && out.data)
        cmfa__copy_field(field, size, out.data, out.len);
    else
        cmfa__copy_field(field, size, "[message withheld: it could not be checked for secrets]",
                         55);
    cmfa__buf_cleanup(&out);
}

void cmfa__error_prefix(struct cmfa_error *err, const char *what)
{
    char old[CMFA_ERROR_SIZE];
    size_t n, m, size = sizeof(err->message);

    memcpy(old, err->message, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    n = strlen(what);
    if (n > size - 10)
        n = size - 10;
    memcpy(err->message, what, n);
    memcpy(err->message + n, " failed: ", 9);
    n += 9;
    m = strlen(old);
    if (m > size - 1 - n)
        m = size - 1 - n;
    memcpy(err->message + n, old, m);
    err->message[n + m] = '\0';
}

/* Turns the service error in err into a credentials error that names the call. */
static cmfa_code as_credentials_error(struct cmfa_error *err, const char *what,
                                      const char *const *secrets)
{
    int retryable;

    if (!err)
        return CMFA_E_CREDENTIALS;
    scrub(err->message, sizeof(err->message), secrets);
    scrub(err->service_code, sizeof(err->service_code), secrets);
    scrub(err->request_id, sizeof(err->request_id), secrets);
    retryable = err->retryable;
    cmfa__error_prefix(err, what);
    err->code = CMFA_E_CREDENTIALS;
    err->retryable = retryable;
    return CMFA_E_CREDENTIALS;
}

cmfa_code cmfa__sts_parse(const char *action, const struct cmfa_response *resp,
                          const char *profile, const char *role_arn, time_t now,
                          const char *const *secrets, struct cmfa__sts_result *out,
                          struct cmfa_error *err)
{
    static const char *const fields[] = {"AccessKeyId", "SecretAccessKey", "SessionToken",
                                         "Expiration"};
    const char *val[4];
    struct cmfa__xml *xml = NULL;
    struct cmfa_error xerr;
    char what[400], pshown[80], rshown[200], path[160];
    const char *arn;
    size_t i, alen = 0;
    time_t expiration = 0;
    cmfa_code rc;

    memset(out, 0, sizeof(*out));
    if (!action || !resp)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "STS answer without action or response");
    snprintf(what, sizeof(what), "STS %s for profile \"%s\" (role %s)", action,
             cmfa__printable(profile ? profile : "?", pshown, sizeof(pshown)),
             cmfa__printable(role_arn ? role_arn : "?", rshown, sizeof(rshown)));
    if (resp->status < 200 || resp->status > 299) {
        cmfa__error_from_response(resp, err);
        err->retryable = cmfa__retry_is_retryable(err);   /* as cmfa_parse_response does */
        return as_credentials_error(err, what, secrets);
    }
    cmfa_error_init(&xerr);
    xml = cmfa__xml_parse(resp->body, resp->body_len, "the answer", &xerr);
    if (!xml) {
        rc = xerr.code == CMFA_E_NOMEM
                 ? cmfa__fail(err, CMFA_E_NOMEM, NULL)
                 : cmfa__fail(err, CMFA_E_CREDENTIALS, "%s: %s", what, xerr.message);
        cmfa_error_cleanup(&xerr);
        return rc;
    }
    for (i = 0; i < CMFA__ARRAY_LEN(fields); i++) {
        size_t n = 0;
        snprintf(path, sizeof(path), "%sResponse/%sResult/Credentials/%s", action, action,
                 fields[i]);
        val[i] = cmfa__xml_get(xml, path, &n);
        if (!val[i] || !n || memchr(val[i], '\0', n)) {
            rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                            "%s: the answer is malformed: %sResult/Credentials/%s is %s", what,
                            action, fields[i], val[i] ? "empty" : "missing");
            goto cleanup;
        }
    }
    if (!cmfa__parse_iso8601(val[3], &expiration)) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "%s: the answer is malformed: Credentials/Expiration is not an ISO 8601 "
                        "timestamp", what);
        goto cleanup;
    }
    if (expiration <= now) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "%s: the answer holds credentials that have already expired", what);
        goto cleanup;
    }
    snprintf(path, sizeof(path), "%sResponse/%sResult/AssumedRoleUser/Arn", action, action);
    arn = cmfa__xml_get(xml, path, &alen);
    out->creds.access_key_id = cmfa__strdup(val[0]);
    out->creds.secret_access_key = cmfa__strdup(val[1]);
    out->creds.session_token = cmfa__strdup(val[2]);
    out->creds.expiration = expiration;
    out->creds.source = strcmp(action, "AssumeRole") == 0 ? "assume-role" : "web-identity";
    if (arn && alen)
        out->assumed_role_arn = cmfa__strndup(arn, alen);
    if (!out->creds.access_key_id || !out->creds.secret_access_key ||
        !out->creds.session_token || (arn && alen && !out->assumed_role_arn)) {
        cmfa__sts_result_cleanup(out);
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }
    cmfa__arn_account(out->assumed_role_arn, out->account_id);
    rc = CMFA_OK;

cleanup:
    cmfa__xml_free(xml);
    return rc;
}
