/* IAM Identity Center (SSO) and the AWS CLI's credential cache, without network I/O:
 *
 *   token cache   ~/.aws/sso/cache/<sha1 hex>.json, the file `aws sso login` writes: sha1 of
 *                 the sso-session NAME for sso-session profiles, of the start URL for legacy
 *                 ones (botocore SSOTokenLoader). Fields accessToken, expiresAt (ISO 8601 UTC),
 *                 and for sso-session logins refreshToken, clientId, clientSecret,
 *                 registrationExpiresAt, region, startUrl.
 *   refresh       botocore's SSOTokenProvider: a token with less than 15 minutes left is
 *                 refreshed (sso-oidc CreateToken, grantType refresh_token) when it came from an
 *                 sso-session login and its client registration has not expired; a legacy token
 *                 is used until it expires. The refreshed token is written back atomically.
 *   portal        GetRoleCredentials: GET /federation/credentials?role_name=&account_id= with
 *                 x-amz-sso_bearer_token; roleCredentials.expiration is epoch MILLISECONDS.
 *   device login  sso-oidc RegisterClient (/client/register), StartDeviceAuthorization
 *                 (/device_authorization), CreateToken with the device_code grant
 *                 (authorization_pending, slow_down, expired_token answers).
 *   CLI cache     ~/.aws/cli/cache/<key>.json of assumed-role and web-identity credentials;
 *                 key = sha1 hex of json.dumps(args, sort_keys=True) (Python's default
 *                 separators ", " and ": ", non-ASCII as \uXXXX) over RoleArn and the optional
 *                 RoleSessionName (only when configured), ExternalId, SerialNumber,
 *                 DurationSeconds (a number); ':' and '/' would become '_' (a hex digest has
 *                 neither).
 * Files are written atomically (temporary file in the same directory, O_CREAT|O_EXCL, 0600,
 * fsync, rename). Tokens, client secrets and keys are wiped before memory is released and never
 * appear in messages. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "cmfa_int.h"

#define FILE_MAX ((size_t)1024 * 1024)
#define SSO_REFRESH_WINDOW_S (15 * 60)
#define SSO_CACHE_DIR "~/.aws/sso/cache"
#define CLI_CACHE_DIR "~/.aws/cli/cache"
#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

/* ------------------------------------------------------------------------- files */

cmfa_code cmfa__file_read(const char *path, struct cmfa__buf *out, int *errnum)
{
    char chunk[4096];
    cmfa_code rc = CMFA_OK;
    int fd;

    *errnum = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *errnum = errno;
        return CMFA_E_CONFIG;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *errnum = errno;
            rc = CMFA_E_CONFIG;
            break;
        }
        if (n == 0)
            break;
        rc = cmfa__buf_add(out, chunk, (size_t)n);
        if (rc != CMFA_OK)
            break;
    }
    cmfa__wipe(chunk, sizeof(chunk));
    close(fd);
    return rc;
}

static int mkdir_p(char *dir)
{
    char *p;

    for (p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return mkdir(dir, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

cmfa_code cmfa__file_write_atomic(const char *path, const char *data, size_t len, int *errnum)
{
    const char *slash = strrchr(path, '/');
    struct cmfa__buf tmp;
    unsigned long r;
    int fd = -1, tries;
    size_t done = 0;
    cmfa_code rc = CMFA_OK;

    *errnum = 0;
    cmfa__buf_init(&tmp, 0);
    if (slash && slash != path) {
        if (cmfa__buf_add(&tmp, path, (size_t)(slash - path)) != CMFA_OK)
            return CMFA_E_NOMEM;
        if (mkdir_p(tmp.data) != 0) {
            *errnum = errno;
            cmfa__buf_cleanup(&tmp);
            return CMFA_E_CONFIG;
        }
    }
    r = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^ (unsigned long)(size_t)&tmp;
    for (tries = 0; tries < 100; tries++) {
        cmfa__buf_reset(&tmp);
        r = r * 6364136223846793005UL + 1442695040888963407UL;
        if (cmfa__buf_printf(&tmp, "%s.%08lx.tmp", path, (r >> 20) & 0xffffffffUL) != CMFA_OK) {
            cmfa__buf_cleanup(&tmp);
            return CMFA_E_NOMEM;
        }
        fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        *errnum = errno;
        cmfa__buf_cleanup(&tmp);
        return CMFA_E_CONFIG;
    }
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *errnum = errno;
            rc = CMFA_E_CONFIG;
            break;
        }
        done += (size_t)n;
    }
    if (rc == CMFA_OK && fsync(fd) != 0) {
        *errnum = errno;
        rc = CMFA_E_CONFIG;
    }
    if (close(fd) != 0 && rc == CMFA_OK) {
        *errnum = errno;
        rc = CMFA_E_CONFIG;
    }
    if (rc == CMFA_OK && rename(tmp.data, path) != 0) {
        *errnum = errno;
        rc = CMFA_E_CONFIG;
    }
    if (rc != CMFA_OK)
        unlink(tmp.data);
    cmfa__buf_cleanup(&tmp);
    return rc;
}

/* "~/..." with $HOME; dir NULL: default. Caller frees. */
static char *cache_path(const char *dir, const char *def, const char *key, struct cmfa_error *err)
{
    struct cmfa__buf b;
    const char *home;

    cmfa__buf_init(&b, 0);
    if (!dir) {
        home = cmfa__env_get("HOME");
        if (!home) {
            cmfa__fail(err, CMFA_E_CONFIG, "HOME is not set: cannot find %s", def);
            return NULL;
        }
        if (cmfa__buf_printf(&b, "%s%s/%s.json", home, def + 1, key) != CMFA_OK)
            goto nomem;
    } else if (cmfa__buf_printf(&b, "%s/%s.json", dir, key) != CMFA_OK) {
        goto nomem;
    }
    return cmfa__buf_take(&b, NULL);
nomem:
    cmfa__buf_cleanup(&b);
    cmfa__fail(err, CMFA_E_NOMEM, NULL);
    return NULL;
}

static void sha1_hex(const char *s, size_t len, char out[41])
{
    unsigned char d[SHA_DIGEST_LENGTH];
    static const char hex[] = "0123456789abcdef";
    size_t i;

    SHA1((const unsigned char *)s, len, d);
    for (i = 0; i < SHA_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}

/* ------------------------------------------------------------------------- JSON helpers */

/* Appends s as a JSON string. ascii_only: non-ASCII as \uXXXX (UTF-16), as Python's
 * json.dumps does by default; invalid UTF-8 is refused (CMFA_E_BAD_ARGUMENT). */
static cmfa_code json_string(struct cmfa__buf *b, const char *s, size_t len, int ascii_only)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    cmfa_code rc = cmfa__buf_addc(b, '"');

    while (rc == CMFA_OK && i < len) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = cmfa__buf_add(b, e, 2);
            i++;
        } else if (c == '\n') {
            rc = cmfa__buf_add(b, "\\n", 2), i++;
        } else if (c == '\r') {
            rc = cmfa__buf_add(b, "\\r", 2), i++;
        } else if (c == '\t') {
            rc = cmfa__buf_add(b, "\\t", 2), i++;
        } else if (c == '\b') {
            rc = cmfa__buf_add(b, "\\b", 2), i++;
        } else if (c == '\f') {
            rc = cmfa__buf_add(b, "\\f", 2), i++;
        } else if (c < 0x20 || c == 0x7f) {
            rc = cmfa__buf_printf(b, "\\u%04x", c), i++;
        } else if (c < 0x80 || !ascii_only) {
            rc = cmfa__buf_addc(b, (char)c), i++;
        } else {
            unsigned long cp;
            size_t n, k;
            if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
            else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
            else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
            else
                return CMFA_E_BAD_ARGUMENT;
            if (i + n > len)
                return CMFA_E_BAD_ARGUMENT;
            for (k = 1; k < n; k++) {
                if ((u[i + k] & 0xc0) != 0x80)
                    return CMFA_E_BAD_ARGUMENT;
                cp = (cp << 6) | (u[i + k] & 0x3f);
            }
            if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return CMFA_E_BAD_ARGUMENT;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                rc = cmfa__buf_printf(b, "\\u%04lx\\u%04lx", 0xd800 + (cp >> 10),
                                      0xdc00 + (cp & 0x3ff));
            } else {
                rc = cmfa__buf_printf(b, "\\u%04lx", cp);
            }
            i += n;
        }
    }
    return rc == CMFA_OK ? cmfa__buf_addc(b, '"') : rc;
}

/* ,"name":"value" (or without the comma for the first member). */
static cmfa_code json_member(struct cmfa__buf *b, int *first, const char *name,
                             const char *value)
{
    cmfa_code rc = cmfa__buf_addstr(b, *first ? "" : ",");

    *first = 0;
    if (rc == CMFA_OK)
        rc = json_string(b, name, strlen(name), 0);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(b, ':');
    return rc == CMFA_OK ? json_string(b, value, strlen(value), 0) : rc;
}

static void json_wipe(cJSON *j)
{
    cJSON *c;

    for (c = j; c; c = c->next) {
        if (c->valuestring)
            cmfa__wipe(c->valuestring, strlen(c->valuestring));
        if (c->child)
            json_wipe(c->child);
    }
}

/* Wipes every string of a cJSON tree, then deletes it. */
static void json_delete_secret(cJSON *j)
{
    if (!j)
        return;
    json_wipe(j);
    cJSON_Delete(j);
}

/* Parses a JSON object; NULL when it is not one. *nomem (may be NULL) tells out-of-memory
 * apart from bad JSON. */
static cJSON *json_parse(const char *text, size_t len, int *nomem)
{
    struct cmfa_error perr;
    struct cmfa_value *v;
    cJSON *j;

    if (nomem)
        *nomem = 0;
    cmfa_error_init(&perr);
    v = cmfa_value_parse(text ? text : "", len, &perr);
    if (!v && nomem)
        *nomem = perr.code == CMFA_E_NOMEM;
    cmfa_error_cleanup(&perr);
    j = CMFA__JSON(v);
    if (j && !cJSON_IsObject(j)) {
        json_delete_secret(j);
        return NULL;
    }
    return j;
}

static const char *jstr(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(m) && m->valuestring[0] ? m->valuestring : NULL;
}

static int jnum(const cJSON *obj, const char *name, double *out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!cJSON_IsNumber(m))
        return 0;
    *out = m->valuedouble;
    return 1;
}

/* ISO 8601, also with the "UTC"/"GMT" suffix Python's strftime("%Z") leaves in the CLI's
 * cache files. Times before 1970 are refused (never valid here, and not writable back). */
static int parse_time_any(const char *s, time_t *out);

static int parse_time(const char *s, time_t *out)
{
    return parse_time_any(s, out) && *out >= 0;
}

static int parse_time_any(const char *s, time_t *out)
{
    char tmp[64];
    size_t n;

    if (!s)
        return 0;
    n = strlen(s);
    if (n > 3 && n < sizeof(tmp) && (strcmp(s + n - 3, "UTC") == 0 || strcmp(s + n - 3, "GMT") == 0)) {
        memcpy(tmp, s, n - 3);
        tmp[n - 3] = 'Z';
        tmp[n - 2] = '\0';
        return cmfa__parse_iso8601(tmp, out);
    }
    return cmfa__parse_iso8601(s, out);
}

static void format_time(time_t t, char out[32])
{
    struct tm tm;

    if (t < 0 || !gmtime_r(&t, &tm)) {
        snprintf(out, 32, "1970-01-01T00:00:00Z");
        return;
    }
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (tm.tm_year + 1900) % 10000,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Shows a profile name in messages. */
#define PSHOW(p, buf) cmfa__printable((p) ? (p) : "default", (buf), sizeof(buf))

static cmfa_code login_hint(struct cmfa_error *err, const char *profile, const char *why)
{
    char shown[80];

    return cmfa__fail(err, CMFA_E_CREDENTIALS,
                      "profile \"%s\": %s: run `cognito-mfa sso login --profile %s` (or `aws sso "
                      "login --profile %s`)",
                      PSHOW(profile, shown), why, shown, shown);
}

/* ------------------------------------------------------------------------- token cache */

void cmfa__sso_token_cleanup(struct cmfa__sso_token *t)
{
    if (!t)
        return;
    cmfa__free_secret(t->access_token);
    cmfa__free_secret(t->refresh_token);
    cmfa_free(t->client_id);
    cmfa__free_secret(t->client_secret);
    cmfa_free(t->region);
    cmfa_free(t->start_url);
    memset(t, 0, sizeof(*t));
}

char *cmfa__sso_token_path(const char *dir, const struct cmfa__cred_step *s,
                           struct cmfa_error *err)
{
    const char *input;
    char key[41];

    if (!s || (!s->sso_session && !s->sso_start_url)) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "SSO token path without a session or start URL");
        return NULL;
    }
    input = s->sso_session ? s->sso_session : s->sso_start_url;
    sha1_hex(input, strlen(input), key);
    return cache_path(dir, SSO_CACHE_DIR, key, err);
}

cmfa_code cmfa__sso_token_parse(const char *json, size_t len, const char *profile,
                                struct cmfa__sso_token *t, struct cmfa_error *err)
{
    cJSON *j;
    const char *at, *exp, *rt, *cid, *cs, *rexp, *region, *url;
    char shown[80];
    int nomem = 0;
    cmfa_code rc = CMFA_OK;

    memset(t, 0, sizeof(*t));
    j = json_parse(json, len, &nomem);
    if (!j && nomem)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    if (!j)
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "profile \"%s\": the SSO token cache file is not a JSON object: run "
                          "`cognito-mfa sso login --profile %s` (or `aws sso login`)",
                          PSHOW(profile, shown), shown);
    at = jstr(j, "accessToken");
    exp = jstr(j, "expiresAt");
    if (!at || !exp) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "profile \"%s\": the SSO token cache file has no %s: run `cognito-mfa "
                        "sso login --profile %s` (or `aws sso login`)",
                        PSHOW(profile, shown), at ? "expiresAt" : "accessToken", shown);
        goto cleanup;
    }
    if (!parse_time(exp, &t->expires_at)) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "profile \"%s\": expiresAt in the SSO token cache file is not an ISO "
                        "8601 time",
                        PSHOW(profile, shown));
        goto cleanup;
    }
    rexp = jstr(j, "registrationExpiresAt");
    if (rexp && !parse_time(rexp, &t->registration_expires_at)) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "profile \"%s\": registrationExpiresAt in the SSO token cache file is "
                        "not an ISO 8601 time",
                        PSHOW(profile, shown));
        goto cleanup;
    }
    rt = jstr(j, "refreshToken");
    cid = jstr(j, "clientId");
    cs = jstr(j, "clientSecret");
    region = jstr(j, "region");
    url = jstr(j, "startUrl");
    t->access_token = cmfa__strdup(at);
    t->refresh_token = rt ? cmfa__strdup(rt) : NULL;
    t->client_id = cid ? cmfa__strdup(cid) : NULL;
    t->client_secret = cs ? cmfa__strdup(cs) : NULL;
    t->region = region ? cmfa__strdup(region) : NULL;
    t->start_url = url ? cmfa__strdup(url) : NULL;
    if (!t->access_token || (rt && !t->refresh_token) || (cid && !t->client_id) ||
        (cs && !t->client_secret) || (region && !t->region) || (url && !t->start_url)) {
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }

cleanup:
    if (rc != CMFA_OK)
        cmfa__sso_token_cleanup(t);
    json_delete_secret(j);
    return rc;
}

cmfa_code cmfa__sso_token_load(const char *path, const char *profile, struct cmfa__sso_token *t,
                               struct cmfa_error *err)
{
    struct cmfa__buf b;
    char shown[200];
    int errnum = 0;
    cmfa_code rc;

    memset(t, 0, sizeof(*t));
    cmfa__buf_init(&b, FILE_MAX);
    rc = cmfa__file_read(path, &b, &errnum);
    if (rc == CMFA_E_NOMEM) {
        rc = cmfa__fail(err, rc, NULL);
    } else if (rc != CMFA_OK && errnum == ENOENT) {
        rc = login_hint(err, profile, "there is no cached SSO token (not logged in)");
    } else if (rc == CMFA_E_TOO_LARGE) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS, "SSO token cache file %s is too large",
                        cmfa__printable(path, shown, sizeof(shown)));
    } else if (rc != CMFA_OK) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS, "cannot read SSO token cache file %s: %s",
                        cmfa__printable(path, shown, sizeof(shown)), strerror(errnum));
    } else {
        rc = cmfa__sso_token_parse(b.data, b.len, profile, t, err);
    }
    cmfa__buf_cleanup_secret(&b);
    return rc;
}

enum cmfa__sso_decision cmfa__sso_token_decide(const struct cmfa__sso_token *t, int sso_session,
                                               time_t now)
{
    long long remaining = (long long)t->expires_at - (long long)now;
    int refreshable = sso_session && t->refresh_token && t->client_id && t->client_secret &&
                      t->registration_expires_at > now;

    if (remaining >= SSO_REFRESH_WINDOW_S)
        return CMFA__SSO_USE;
    if (refreshable)
        return CMFA__SSO_REFRESH;
    return remaining > 0 ? CMFA__SSO_USE : CMFA__SSO_LOGIN;
}

char *cmfa__sso_token_json(const struct cmfa__sso_token *t, size_t *len)
{
    struct cmfa__buf b;
    char when[32];
    int first = 1;
    cmfa_code rc;

    cmfa__buf_init(&b, 0);
    rc = cmfa__buf_addc(&b, '{');
    if (rc == CMFA_OK && t->start_url)
        rc = json_member(&b, &first, "startUrl", t->start_url);
    if (rc == CMFA_OK && t->region)
        rc = json_member(&b, &first, "region", t->region);
    if (rc == CMFA_OK)
        rc = json_member(&b, &first, "accessToken", t->access_token ? t->access_token : "");
    format_time(t->expires_at, when);
    if (rc == CMFA_OK)
        rc = json_member(&b, &first, "expiresAt", when);
    if (rc == CMFA_OK && t->client_id)
        rc = json_member(&b, &first, "clientId", t->client_id);
    if (rc == CMFA_OK && t->client_secret)
        rc = json_member(&b, &first, "clientSecret", t->client_secret);
    if (rc == CMFA_OK && t->registration_expires_at) {
        format_time(t->registration_expires_at, when);
        rc = json_member(&b, &first, "registrationExpiresAt", when);
    }
    if (rc == CMFA_OK && t->refresh_token)
        rc = json_member(&b, &first, "refreshToken", t->refresh_token);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&b, '}');
    if (rc != CMFA_OK) {
        cmfa__buf_cleanup_secret(&b);
        return NULL;
    }
    return cmfa__buf_take(&b, len);
}

cmfa_code cmfa__sso_token_save(const char *path, const struct cmfa__sso_token *t,
                               struct cmfa_error *err)
{
    char shown[200];
    size_t len = 0;
    char *json = cmfa__sso_token_json(t, &len);
    int errnum = 0;
    cmfa_code rc;

    if (!json)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    rc = cmfa__file_write_atomic(path, json, len, &errnum);
    cmfa__wipe(json, len);
    cmfa_free(json);
    if (rc == CMFA_E_NOMEM)
        return cmfa__fail(err, rc, NULL);
    if (rc != CMFA_OK)
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "cannot write SSO token cache file %s: %s",
                          cmfa__printable(path, shown, sizeof(shown)), strerror(errnum));
    return CMFA_OK;
}

/* ------------------------------------------------------------------------- OIDC */

/* POST <oidc endpoint><path> with a JSON body. */
static struct cmfa_request *json_post(const struct cmfa__endpoint *ep, const char *path,
                                      struct cmfa__buf *body, const char *user_agent,
                                      struct cmfa_error *err)
{
    struct cmfa__buf url;
    struct cmfa_request *req = NULL;
    char clen[32];
    size_t base_len;
    cmfa_code rc;

    cmfa__buf_init(&url, 0);
    base_len = strlen(ep->url);
    while (base_len && ep->url[base_len - 1] == '/')
        base_len--;
    rc = cmfa__buf_add(&url, ep->url, base_len);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addstr(&url, path);
    if (rc == CMFA_OK) {
        req = cmfa__request_new("POST", url.data, ep->host);
        rc = req ? CMFA_OK : CMFA_E_NOMEM;
    }
    snprintf(clen, sizeof(clen), "%zu", body->len);
    if (rc == CMFA_OK)
        rc = cmfa__request_add_header(req, "Host", ep->host);
    if (rc == CMFA_OK)
        rc = cmfa__request_add_header(req, "Content-Type", "application/json");
    if (rc == CMFA_OK && user_agent)
        rc = cmfa__request_add_header(req, "User-Agent", user_agent);
    if (rc == CMFA_OK)
        rc = cmfa__request_add_header(req, "Content-Length", clen);
    if (rc == CMFA_OK)
        rc = cmfa__request_set_body(req, body->data, body->len);
    cmfa__buf_cleanup(&url);
    if (rc != CMFA_OK) {
        cmfa_request_free(req);
        cmfa__fail(err, rc, NULL);
        return NULL;
    }
    return req;
}

struct cmfa_request *cmfa__oidc_refresh_request(const struct cmfa__endpoint *ep,
                                                const struct cmfa__sso_token *t,
                                                const char *user_agent, struct cmfa_error *err)
{
    struct cmfa__buf body;
    struct cmfa_request *req = NULL;
    int first = 1;
    cmfa_code rc;

    if (!ep || !t || !t->client_id || !t->client_secret || !t->refresh_token) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "token refresh without client or refresh token");
        return NULL;
    }
    cmfa__buf_init(&body, 0);
    rc = cmfa__buf_addc(&body, '{');
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientId", t->client_id);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientSecret", t->client_secret);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "grantType", "refresh_token");
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "refreshToken", t->refresh_token);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&body, '}');
    if (rc != CMFA_OK)
        cmfa__fail(err, rc, NULL);
    else
        req = json_post(ep, "/token", &body, user_agent, err);
    cmfa__buf_cleanup_secret(&body);
    return req;
}

struct cmfa_request *cmfa__oidc_register_request(const struct cmfa__endpoint *ep,
                                                 const char *client_name, const char *scopes,
                                                 const char *user_agent, struct cmfa_error *err)
{
    struct cmfa__buf body;
    struct cmfa_request *req = NULL;
    int first = 1;
    cmfa_code rc;

    if (!ep || !client_name) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "RegisterClient without endpoint or client name");
        return NULL;
    }
    cmfa__buf_init(&body, 0);
    rc = cmfa__buf_addc(&body, '{');
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientName", client_name);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientType", "public");
    if (rc == CMFA_OK && scopes && *scopes) {
        /* sso_registration_scopes: comma-separated list */
        const char *p = scopes;
        int n = 0;
        rc = cmfa__buf_addstr(&body, ",\"scopes\":[");
        while (rc == CMFA_OK && *p) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            const char *s = p;
            while (len && (*s == ' ' || *s == '\t'))
                s++, len--;
            while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
            if (len) {
                if (n++)
                    rc = cmfa__buf_addc(&body, ',');
                if (rc == CMFA_OK)
                    rc = json_string(&body, s, len, 0);
            }
            p = end ? end + 1 : p + strlen(p);
        }
        if (rc == CMFA_OK)
            rc = cmfa__buf_addc(&body, ']');
    }
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&body, '}');
    if (rc != CMFA_OK)
        cmfa__fail(err, rc, NULL);
    else
        req = json_post(ep, "/client/register", &body, user_agent, err);
    cmfa__buf_cleanup(&body);
    return req;
}

struct cmfa_request *cmfa__oidc_device_auth_request(const struct cmfa__endpoint *ep,
                                                    const struct cmfa__oidc_client *c,
                                                    const char *start_url,
                                                    const char *user_agent,
                                                    struct cmfa_error *err)
{
    struct cmfa__buf body;
    struct cmfa_request *req = NULL;
    int first = 1;
    cmfa_code rc;

    if (!ep || !c || !c->client_id || !c->client_secret || !start_url) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                   "StartDeviceAuthorization without client or start URL");
        return NULL;
    }
    cmfa__buf_init(&body, 0);
    rc = cmfa__buf_addc(&body, '{');
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientId", c->client_id);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientSecret", c->client_secret);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "startUrl", start_url);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&body, '}');
    if (rc != CMFA_OK)
        cmfa__fail(err, rc, NULL);
    else
        req = json_post(ep, "/device_authorization", &body, user_agent, err);
    cmfa__buf_cleanup_secret(&body);
    return req;
}

struct cmfa_request *cmfa__oidc_device_token_request(const struct cmfa__endpoint *ep,
                                                     const struct cmfa__oidc_client *c,
                                                     const char *device_code,
                                                     const char *user_agent,
                                                     struct cmfa_error *err)
{
    struct cmfa__buf body;
    struct cmfa_request *req = NULL;
    int first = 1;
    cmfa_code rc;

    if (!ep || !c || !c->client_id || !c->client_secret || !device_code) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "CreateToken without client or device code");
        return NULL;
    }
    cmfa__buf_init(&body, 0);
    rc = cmfa__buf_addc(&body, '{');
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientId", c->client_id);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "clientSecret", c->client_secret);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "deviceCode", device_code);
    if (rc == CMFA_OK)
        rc = json_member(&body, &first, "grantType", DEVICE_GRANT);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&body, '}');
    if (rc != CMFA_OK)
        cmfa__fail(err, rc, NULL);
    else
        req = json_post(ep, "/token", &body, user_agent, err);
    cmfa__buf_cleanup_secret(&body);
    return req;
}

/* OIDC error answers: {"error":"authorization_pending","error_description":...} and the
 * x-amzn-ErrorType header (AuthorizationPendingException ...). Fills err (service kind via
 * errors.c, secrets scrubbed) and returns the OAuth error name, or "" when none. */
static const char *oidc_error(const struct cmfa_response *resp, const char *what,
                              struct cmfa_error *err, char *name, size_t name_size)
{
    static const struct {
        const char *oauth, *exception;
    } map[] = {
        {"authorization_pending", "AuthorizationPendingException"},
        {"slow_down", "SlowDownException"},
        {"expired_token", "ExpiredTokenException"},
        {"access_denied", "AccessDeniedException"},
        {"invalid_grant", "InvalidGrantException"},
        {"invalid_client", "InvalidClientException"},
        {"unauthorized_client", "UnauthorizedClientException"},
    };
    cJSON *j = json_parse(resp->body, resp->body_len, NULL);
    const char *e = j ? jstr(j, "error") : NULL;
    size_t i;

    name[0] = '\0';
    cmfa__error_from_response(resp, err);
    for (i = 0; i < CMFA__ARRAY_LEN(map); i++) {
        if ((e && strcmp(e, map[i].oauth) == 0) ||
            (err && strcmp(err->service_code, map[i].exception) == 0)) {
            snprintf(name, name_size, "%s", map[i].oauth);
            if (err && strncmp(err->service_code, "HttpStatus", 10) == 0)
                snprintf(err->service_code, sizeof(err->service_code), "%s", map[i].exception);
            break;
        }
    }
    json_delete_secret(j);
    if (err) {
        cmfa__error_prefix(err, what);
        err->code = CMFA_E_CREDENTIALS;
    }
    return name;
}

cmfa_code cmfa__oidc_token_parse(const struct cmfa_response *resp, time_t now,
                                 struct cmfa__sso_token *t, struct cmfa_error *err)
{
    cJSON *j;
    int nomem = 0;
    const char *at, *rt;
    double expires_in = 0;
    char name[32];
    cmfa_code rc = CMFA_OK;

    if (resp->status < 200 || resp->status > 299) {
        oidc_error(resp, "SSO OIDC CreateToken", err, name, sizeof(name));
        return CMFA_E_CREDENTIALS;
    }
    j = json_parse(resp->body, resp->body_len, &nomem);
    if (!j && nomem)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    at = j ? jstr(j, "accessToken") : NULL;
    if (!at || !jnum(j, "expiresIn", &expires_in) || expires_in <= 0 || expires_in > 1e9) {
        json_delete_secret(j);
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "SSO OIDC CreateToken: the answer is malformed: %s",
                          !j ? "not a JSON object" : !at ? "accessToken is missing"
                                                          : "expiresIn is missing or invalid");
    }
    rt = jstr(j, "refreshToken");
    cmfa__free_secret(t->access_token);
    t->access_token = cmfa__strdup(at);
    t->expires_at = now + (time_t)expires_in;
    if (rt) {
        cmfa__free_secret(t->refresh_token);
        t->refresh_token = cmfa__strdup(rt);
    }
    if (!t->access_token || (rt && !t->refresh_token))
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
    json_delete_secret(j);
    return rc;
}

enum cmfa__oidc_poll cmfa__oidc_device_token_parse(const struct cmfa_response *resp, time_t now,
                                                   struct cmfa__sso_token *t,
                                                   struct cmfa_error *err)
{
    char name[32];

    if (resp->status >= 200 && resp->status <= 299)
        return cmfa__oidc_token_parse(resp, now, t, err) == CMFA_OK ? CMFA__POLL_TOKEN
                                                                    : CMFA__POLL_FAILED;
    oidc_error(resp, "SSO OIDC CreateToken (device code)", err, name, sizeof(name));
    if (strcmp(name, "authorization_pending") == 0)
        return CMFA__POLL_PENDING;
    if (strcmp(name, "slow_down") == 0)
        return CMFA__POLL_SLOW_DOWN;
    if (err && strcmp(name, "expired_token") == 0)
        snprintf(err->message, sizeof(err->message),
                 "SSO device authorization expired before it was approved: run `cognito-mfa "
                 "sso login` again");
    return CMFA__POLL_FAILED;
}

void cmfa__oidc_client_cleanup(struct cmfa__oidc_client *c)
{
    if (!c)
        return;
    cmfa_free(c->client_id);
    cmfa__free_secret(c->client_secret);
    memset(c, 0, sizeof(*c));
}

cmfa_code cmfa__oidc_register_parse(const struct cmfa_response *resp,
                                    struct cmfa__oidc_client *c, struct cmfa_error *err)
{
    cJSON *j;
    int nomem = 0;
    const char *id, *secret;
    double exp = 0;
    char name[32];
    cmfa_code rc = CMFA_OK;

    memset(c, 0, sizeof(*c));
    if (resp->status < 200 || resp->status > 299) {
        oidc_error(resp, "SSO OIDC RegisterClient", err, name, sizeof(name));
        return CMFA_E_CREDENTIALS;
    }
    j = json_parse(resp->body, resp->body_len, &nomem);
    if (!j && nomem)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    id = j ? jstr(j, "clientId") : NULL;
    secret = j ? jstr(j, "clientSecret") : NULL;
    if (!id || !secret || !jnum(j, "clientSecretExpiresAt", &exp) || exp <= 0) {
        json_delete_secret(j);
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "SSO OIDC RegisterClient: the answer is malformed: clientId, "
                          "clientSecret or clientSecretExpiresAt is missing");
    }
    c->client_id = cmfa__strdup(id);
    c->client_secret = cmfa__strdup(secret);
    c->expires_at = (time_t)exp;
    if (!c->client_id || !c->client_secret) {
        cmfa__oidc_client_cleanup(c);
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    json_delete_secret(j);
    return rc;
}

void cmfa__oidc_device_cleanup(struct cmfa__oidc_device *d)
{
    if (!d)
        return;
    cmfa__free_secret(d->device_code);
    cmfa_free(d->user_code);
    cmfa_free(d->verification_uri);
    cmfa_free(d->verification_uri_complete);
    memset(d, 0, sizeof(*d));
}

cmfa_code cmfa__oidc_device_auth_parse(const struct cmfa_response *resp, time_t now,
                                       struct cmfa__oidc_device *d, struct cmfa_error *err)
{
    cJSON *j;
    int nomem = 0;
    const char *dc, *uc, *uri, *uric;
    double expires_in = 0, interval = 5;
    char name[32];
    cmfa_code rc = CMFA_OK;

    memset(d, 0, sizeof(*d));
    if (resp->status < 200 || resp->status > 299) {
        oidc_error(resp, "SSO OIDC StartDeviceAuthorization", err, name, sizeof(name));
        return CMFA_E_CREDENTIALS;
    }
    j = json_parse(resp->body, resp->body_len, &nomem);
    if (!j && nomem)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    dc = j ? jstr(j, "deviceCode") : NULL;
    uc = j ? jstr(j, "userCode") : NULL;
    uri = j ? jstr(j, "verificationUri") : NULL;
    uric = j ? jstr(j, "verificationUriComplete") : NULL;
    if (!dc || !uc || !uri || !jnum(j, "expiresIn", &expires_in) || expires_in <= 0) {
        json_delete_secret(j);
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "SSO OIDC StartDeviceAuthorization: the answer is malformed: "
                          "deviceCode, userCode, verificationUri or expiresIn is missing");
    }
    if (jnum(j, "interval", &interval) && (interval < 1 || interval > 60))
        interval = 5;
    d->device_code = cmfa__strdup(dc);
    d->user_code = cmfa__strdup(uc);
    d->verification_uri = cmfa__strdup(uri);
    d->verification_uri_complete = uric ? cmfa__strdup(uric) : NULL;
    d->expires_at = now + (time_t)expires_in;
    d->interval_s = (int)interval;
    if (!d->device_code || !d->user_code || !d->verification_uri ||
        (uric && !d->verification_uri_complete)) {
        cmfa__oidc_device_cleanup(d);
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    json_delete_secret(j);
    return rc;
}

/* ------------------------------------------------------------------------- portal */

struct cmfa_request *cmfa__sso_role_credentials_request(const struct cmfa__endpoint *ep,
                                                        const struct cmfa__cred_step *s,
                                                        const char *access_token,
                                                        const char *user_agent,
                                                        struct cmfa_error *err)
{
    struct cmfa__buf url;
    struct cmfa_request *req = NULL;
    size_t base_len;
    cmfa_code rc;

    if (!ep || !s || !s->sso_role_name || !s->sso_account_id || !access_token ||
        !access_token[0]) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                   "GetRoleCredentials without role, account or access token");
        return NULL;
    }
    cmfa__buf_init(&url, 0);
    base_len = strlen(ep->url);
    while (base_len && ep->url[base_len - 1] == '/')
        base_len--;
    rc = cmfa__buf_add(&url, ep->url, base_len);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addstr(&url, "/federation/credentials?role_name=");
    if (rc == CMFA_OK)
        rc = cmfa__percent_encode(&url, s->sso_role_name, strlen(s->sso_role_name));
    if (rc == CMFA_OK)
        rc = cmfa__buf_addstr(&url, "&account_id=");
    if (rc == CMFA_OK)
        rc = cmfa__percent_encode(&url, s->sso_account_id, strlen(s->sso_account_id));
    if (rc == CMFA_OK) {
        req = cmfa__request_new("GET", url.data, ep->host);
        rc = req ? CMFA_OK : CMFA_E_NOMEM;
    }
    if (rc == CMFA_OK)
        rc = cmfa__request_add_header(req, "Host", ep->host);
    if (rc == CMFA_OK)
        rc = cmfa__request_add_header(req, "x-amz-sso_bearer_token", access_token);
    if (rc == CMFA_OK && user_agent)
        rc = cmfa__request_add_header(req, "User-Agent", user_agent);
    cmfa__buf_cleanup(&url);
    if (rc != CMFA_OK) {
        cmfa_request_free(req);
        req = NULL;
        cmfa__fail(err, rc, NULL);
    }
    return req;
}

cmfa_code cmfa__sso_role_credentials_parse(const struct cmfa_response *resp,
                                           const struct cmfa__cred_step *s, time_t now,
                                           struct cmfa__credentials *out, struct cmfa_error *err)
{
    const cJSON *rc_obj;
    const char *akid, *secret, *token;
    double exp_ms = 0;
    char shown[80], what[160];
    cJSON *j;
    int nomem = 0;
    cmfa_code rc = CMFA_OK;

    memset(out, 0, sizeof(*out));
    snprintf(what, sizeof(what), "SSO GetRoleCredentials for profile \"%s\"",
             PSHOW(s ? s->profile : NULL, shown));
    if (resp->status < 200 || resp->status > 299) {
        cmfa__error_from_response(resp, err);
        if (err && (resp->status == 401 ||
                    strcmp(err->service_code, "UnauthorizedException") == 0)) {
            cmfa_error_cleanup(err);
            return login_hint(err, s ? s->profile : NULL,
                              "the SSO session has expired or is not valid");
        }
        if (err) {
            cmfa__error_prefix(err, what);
            err->code = CMFA_E_CREDENTIALS;
        }
        return CMFA_E_CREDENTIALS;
    }
    j = json_parse(resp->body, resp->body_len, &nomem);
    if (!j && nomem)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    rc_obj = j ? cJSON_GetObjectItemCaseSensitive(j, "roleCredentials") : NULL;
    akid = jstr(rc_obj, "accessKeyId");
    secret = jstr(rc_obj, "secretAccessKey");
    token = jstr(rc_obj, "sessionToken");
    if (!akid || !secret || !token || !jnum(rc_obj, "expiration", &exp_ms) || exp_ms <= 0) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "%s: the answer is malformed: roleCredentials.%s is missing", what,
                        !akid ? "accessKeyId" : !secret ? "secretAccessKey"
                        : !token ? "sessionToken" : "expiration");
        goto cleanup;
    }
    if ((time_t)(exp_ms / 1000) <= now) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "%s: the answer holds credentials that have already expired (is "
                        "roleCredentials.expiration in milliseconds?)", what);
        goto cleanup;
    }
    out->access_key_id = cmfa__strdup(akid);
    out->secret_access_key = cmfa__strdup(secret);
    out->session_token = cmfa__strdup(token);
    out->expiration = (time_t)(exp_ms / 1000);
    out->source = "sso";
    if (!out->access_key_id || !out->secret_access_key || !out->session_token) {
        cmfa__credentials_cleanup(out);
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }

cleanup:
    json_delete_secret(j);
    return rc;
}

/* ------------------------------------------------------------------------- CLI cache */

cmfa_code cmfa__cli_cache_key(const struct cmfa__sts_params *p, int session_name_configured,
                              char out[41])
{
    struct cmfa__buf b;
    int first = 1;
    cmfa_code rc;
    size_t i;

    out[0] = '\0';
    if (!p || !p->role_arn)
        return CMFA_E_BAD_ARGUMENT;
    cmfa__buf_init(&b, 0);
    /* members in sorted order, Python's default separators */
#define MEMBER(name, value)                                                                   \
    do {                                                                                       \
        if (rc == CMFA_OK)                                                                     \
            rc = cmfa__buf_printf(&b, "%s\"" name "\": ", first ? "" : ", ");                \
        if (rc == CMFA_OK)                                                                     \
            rc = json_string(&b, (value), strlen(value), 1);                                   \
        first = 0;                                                                             \
    } while (0)
    rc = cmfa__buf_addc(&b, '{');
    if (rc == CMFA_OK && p->duration_seconds) {
        rc = cmfa__buf_printf(&b, "\"DurationSeconds\": %ld", p->duration_seconds);
        first = 0;
    }
    if (p->external_id)
        MEMBER("ExternalId", p->external_id);
    MEMBER("RoleArn", p->role_arn);
    if (session_name_configured && p->role_session_name)
        MEMBER("RoleSessionName", p->role_session_name);
    if (p->serial_number)
        MEMBER("SerialNumber", p->serial_number);
#undef MEMBER
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&b, '}');
    if (rc == CMFA_OK) {
        sha1_hex(b.data, b.len, out);
        for (i = 0; out[i]; i++)   /* botocore's _make_file_safe */
            if (out[i] == ':' || out[i] == '/')
                out[i] = '_';
    }
    cmfa__buf_cleanup(&b);
    return rc;
}

char *cmfa__cli_cache_path(const char *dir, const char *key, struct cmfa_error *err)
{
    return cache_path(dir, CLI_CACHE_DIR, key, err);
}

cmfa_code cmfa__cli_cache_load(const char *path, time_t now, struct cmfa__sts_result *out,
                               struct cmfa_error *err)
{
    struct cmfa__buf b;
    const cJSON *creds, *user;
    const char *akid, *secret, *token, *exp, *arn;
    char shown[200];
    int errnum = 0;
    cJSON *j = NULL;
    int nomem = 0;
    time_t expiration = 0;
    cmfa_code rc;

    memset(out, 0, sizeof(*out));
    cmfa__buf_init(&b, FILE_MAX);
    rc = cmfa__file_read(path, &b, &errnum);
    if (rc == CMFA_E_NOMEM) {
        rc = cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    if (rc != CMFA_OK) {
        rc = CMFA_E_NO_CREDENTIALS;   /* a miss: missing, unreadable or huge */
        goto cleanup;
    }
    j = json_parse(b.data, b.len, &nomem);
    if (!j && nomem) {
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }
    creds = j ? cJSON_GetObjectItemCaseSensitive(j, "Credentials") : NULL;
    akid = jstr(creds, "AccessKeyId");
    secret = jstr(creds, "SecretAccessKey");
    token = jstr(creds, "SessionToken");
    exp = jstr(creds, "Expiration");
    if (!akid || !secret || !token || !exp || !parse_time(exp, &expiration)) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "credential cache file %s is malformed: Credentials.%s is missing or "
                        "invalid (delete the file to fetch new credentials)",
                        cmfa__printable(path, shown, sizeof(shown)),
                        !akid ? "AccessKeyId" : !secret ? "SecretAccessKey"
                        : !token ? "SessionToken" : "Expiration");
        goto cleanup;
    }
    /* botocore's CachedCredentialFetcher: expired within 15 minutes counts as a miss */
    if (expiration - now < SSO_REFRESH_WINDOW_S) {
        rc = CMFA_E_NO_CREDENTIALS;
        goto cleanup;
    }
    user = cJSON_GetObjectItemCaseSensitive(j, "AssumedRoleUser");
    arn = jstr(user, "Arn");
    out->creds.access_key_id = cmfa__strdup(akid);
    out->creds.secret_access_key = cmfa__strdup(secret);
    out->creds.session_token = cmfa__strdup(token);
    out->creds.expiration = expiration;
    out->creds.source = "cli-cache";
    out->assumed_role_arn = arn ? cmfa__strdup(arn) : NULL;
    if (!out->creds.access_key_id || !out->creds.secret_access_key ||
        !out->creds.session_token || (arn && !out->assumed_role_arn)) {
        cmfa__sts_result_cleanup(out);
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }
    cmfa__arn_account(out->assumed_role_arn, out->account_id);

cleanup:
    json_delete_secret(j);
    cmfa__buf_cleanup_secret(&b);
    return rc;
}

cmfa_code cmfa__cli_cache_save(const char *path, const struct cmfa__sts_result *r,
                               struct cmfa_error *err)
{
    struct cmfa__buf b;
    char when[32], shown[200];
    int first = 1, errnum = 0;
    cmfa_code rc;

    if (!r || !r->creds.access_key_id || !r->creds.secret_access_key)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "nothing to cache");
    cmfa__buf_init(&b, 0);
    format_time(r->creds.expiration, when);
    rc = cmfa__buf_addstr(&b, "{\"Credentials\": {");
    if (rc == CMFA_OK)
        rc = json_member(&b, &first, "AccessKeyId", r->creds.access_key_id);
    if (rc == CMFA_OK)
        rc = json_member(&b, &first, "SecretAccessKey", r->creds.secret_access_key);
    if (rc == CMFA_OK)
        rc = json_member(&b, &first, "SessionToken",
                         r->creds.session_token ? r->creds.session_token : "");
    if (rc == CMFA_OK)
        rc = json_member(&b, &first, "Expiration", when);
    if (rc == CMFA_OK && r->account_id[0])
        rc = json_member(&b, &first, "AccountId", r->account_id);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&b, '}');
    if (rc == CMFA_OK && r->assumed_role_arn) {
        first = 1;
        rc = cmfa__buf_addstr(&b, ", \"AssumedRoleUser\": {");
        if (rc == CMFA_OK)
            rc = json_member(&b, &first, "Arn", r->assumed_role_arn);
        if (rc == CMFA_OK)
            rc = cmfa__buf_addc(&b, '}');
    }
    if (rc == CMFA_OK)
        rc = cmfa__buf_addstr(&b, ", \"ResponseMetadata\": {}}");
    if (rc != CMFA_OK) {
        cmfa__buf_cleanup_secret(&b);
        return cmfa__fail(err, rc, NULL);
    }
    rc = cmfa__file_write_atomic(path, b.data, b.len, &errnum);
    cmfa__buf_cleanup_secret(&b);
    if (rc == CMFA_E_NOMEM)
        return cmfa__fail(err, rc, NULL);
    if (rc != CMFA_OK)
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "cannot write credential cache file %s: %s",
                          cmfa__printable(path, shown, sizeof(shown)), strerror(errnum));
    return CMFA_OK;
}
