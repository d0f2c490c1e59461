/* The credential provider chain, in the order the AWS SDKs use:
 *
 *   explicit options > environment > shared credentials file > config file > credential_process
 *   > container endpoint (ECS/EKS) > EC2 instance metadata (IMDSv2)
 *
 * The first provider that has credentials wins. A provider that is configured but fails
 * (a credential_process that exits non-zero, a container endpoint that answers 500) stops the
 * chain with CMFA_E_CREDENTIALS; half-configured settings are CMFA_E_CONFIG. Temporary
 * credentials (with an expiration) are cached and fetched again, starting from the provider
 * that produced them, once they expire within 5 minutes; if that fails while the old ones are
 * still valid, the old ones are kept.
 *
 * Secrets (secret access key, session token, container authorization token, IMDS token, the
 * output of credential_process, and its command line) never appear in error messages; buffers
 * that held them are wiped before they are freed.
 *
 * Timeouts: credential_process gets the client's read_timeout_ms (default 60 s) to finish; the
 * container endpoint 2 s per attempt, 3 attempts; IMDS AWS_METADATA_SERVICE_TIMEOUT seconds
 * (default 1) per request and AWS_METADATA_SERVICE_NUM_ATTEMPTS attempts (default 1), so a
 * machine without IMDS fails fast. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmfa_int.h"

extern char **environ;

#define REFRESH_WINDOW_S 300
#define PROCESS_OUTPUT_MAX ((size_t)1024 * 1024)
#define PROCESS_DEFAULT_TIMEOUT_MS 60000L
#define CONTAINER_TIMEOUT_MS 2000L
#define CONTAINER_ATTEMPTS 3
#define METADATA_BODY_MAX ((size_t)64 * 1024)
#define TOKEN_FILE_MAX ((size_t)16 * 1024)
#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_DEFAULT_ENDPOINT_V6 "http://[fd00:ec2::254]"
#define IMDS_CREDS_PATH "/latest/meta-data/iam/security-credentials/"

/* Provider result meaning "nothing here, try the next one"; err is not touched. */
#define NOT_FOUND CMFA_E_NO_CREDENTIALS

enum provider {
    P_EXPLICIT,
    P_ENVIRONMENT,
    P_CREDENTIALS_FILE,
    P_CONFIG_FILE,
    P_PROCESS,
    P_CONTAINER,
    P_IMDS,
    P_COUNT
};

struct cmfa__cred_chain {
    const struct cmfa__config *cfg;
    char *access_key_id;          /* explicit credentials, NULL when not given */
    char *secret_access_key;
    char *session_token;
    long process_timeout_ms;
    struct cmfa__credentials current;
    int have;
    enum provider provider;       /* which provider produced current */
};

/* What each provider saw, for the "no credentials" message. Never holds secrets. */
struct tried {
    char text[CMFA_ERROR_SIZE];
    size_t len;
};

/* Test hook (declared in cmfa_int.h): the unit tests point the relative URI at a loopback
 * server. */
static const char *container_base = "http://169.254.170.2";

const char *cmfa__cred_test_container_base(const char *base)
{
    const char *old = container_base;

    container_base = base ? base : "http://169.254.170.2";
    return old;
}

/* ------------------------------------------------------------------------- helpers */

static void tried_add(struct tried *t, const char *fmt, ...) CMFA__PRINTF(2, 3);

static void tried_add(struct tried *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->len + 1 >= sizeof(t->text))
        return;
    if (t->len) {
        n = snprintf(t->text + t->len, sizeof(t->text) - t->len, "; ");
        if (n < 0)
            return;
        t->len += (size_t)n;
        if (t->len >= sizeof(t->text)) {
            t->len = sizeof(t->text) - 1;
            return;
        }
    }
    va_start(ap, fmt);
    n = vsnprintf(t->text + t->len, sizeof(t->text) - t->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    t->len += (size_t)n;
    if (t->len >= sizeof(t->text))
        t->len = sizeof(t->text) - 1;
}

void cmfa__credentials_cleanup(struct cmfa__credentials *c)
{
    if (!c)
        return;
    cmfa_free(c->access_key_id);
    cmfa__free_secret(c->secret_access_key);
    cmfa__free_secret(c->session_token);
    memset(c, 0, sizeof(*c));
}

static cmfa_code creds_set(struct cmfa__credentials *c, const char *akid, const char *secret,
                           const char *token, time_t expiration, const char *source,
                           struct cmfa_error *err)
{
    memset(c, 0, sizeof(*c));
    c->access_key_id = cmfa__strdup(akid);
    c->secret_access_key = cmfa__strdup(secret);
    c->session_token = token && *token ? cmfa__strdup(token) : NULL;
    c->expiration = expiration;
    c->source = source;
    if (!c->access_key_id || !c->secret_access_key || (token && *token && !c->session_token)) {
        cmfa__credentials_cleanup(c);
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    return CMFA_OK;
}

static int is_digits(const char *s, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* ISO 8601 / RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM]; 't', 'z' and a
 * space separator accepted; no zone means UTC. Returns 1 and *out on success. */
static int parse_iso8601(const char *s, time_t *out)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    struct tm tm;
    int year, mon, day, hour, min, sec, leap, offset = 0;
    time_t t;

    if (strlen(s) < 19 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) ||
        s[7] != '-' || !is_digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !is_digits(s + 11, 2) || s[13] != ':' || !is_digits(s + 14, 2) || s[16] != ':' ||
        !is_digits(s + 17, 2))
        return 0;
    year = num(s, 4);
    mon = num(s + 5, 2);
    day = num(s + 8, 2);
    hour = num(s + 11, 2);
    min = num(s + 14, 2);
    sec = num(s + 17, 2);
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (mon < 1 || mon > 12 || day < 1 ||
        day > mdays[mon - 1] + (mon == 2 && leap) || hour > 23 || min > 59 || sec > 60)
        return 0;
    s += 19;
    if (*s == '.' || *s == ',') {
        s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, oh, om;
        s++;
        if (!is_digits(s, 2))
            return 0;
        oh = num(s, 2);
        s += 2;
        if (*s == ':')
            s++;
        if (!is_digits(s, 2))
            return 0;
        om = num(s, 2);
        s += 2;
        if (oh > 23 || om > 59)
            return 0;
        offset = sign * (oh * 3600 + om * 60);
    }
    if (*s != '\0')
        return 0;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    t = timegm(&tm);
    if (t == (time_t)-1 && !(year == 1969 && mon == 12 && day == 31))
        return 0;
    *out = t - offset;
    return 1;
}

int cmfa__parse_iso8601(const char *s, time_t *out)
{
    return s && out ? parse_iso8601(s, out) : 0;
}

/* Credentials JSON of credential_process (Version 1, SessionToken), the container endpoint and
 * IMDS (Token). Messages name the provider and the problem, never the content. */
struct json_format {
    const char *what;         /* "credential_process output", ... */
    const char *token_key;    /* "SessionToken" or "Token" */
    int version;              /* require "Version": 1 */
    int code;                 /* IMDS: "Code" must be "Success" when present */
    const char *source;
};

static cmfa_code parse_credentials_json(const struct json_format *f, const char *body, size_t len,
                                        time_t now, struct cmfa__credentials *out,
                                        struct cmfa_error *err)
{
    cJSON *root;
    const cJSON *akid, *secret, *token, *exp, *item;
    const char *end = NULL;
    time_t expiration = 0;
    cmfa_code rc;

    root = cJSON_ParseWithLengthOpts(body ? body : "", len, &end, 0);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "%s is not a JSON object", f->what);
    }
    if (f->version) {
        item = cJSON_GetObjectItemCaseSensitive(root, "Version");
        if (!cJSON_IsNumber(item) || item->valuedouble != 1.0) {
            cJSON_Delete(root);
            return cmfa__fail(err, CMFA_E_CREDENTIALS,
                              "%s: unsupported or missing Version (expected 1)", f->what);
        }
    }
    if (f->code) {
        item = cJSON_GetObjectItemCaseSensitive(root, "Code");
        if (item && (!cJSON_IsString(item) || strcmp(item->valuestring, "Success") != 0)) {
            cJSON_Delete(root);
            return cmfa__fail(err, CMFA_E_CREDENTIALS, "%s: Code is not \"Success\"", f->what);
        }
    }
    akid = cJSON_GetObjectItemCaseSensitive(root, "AccessKeyId");
    secret = cJSON_GetObjectItemCaseSensitive(root, "SecretAccessKey");
    token = cJSON_GetObjectItemCaseSensitive(root, f->token_key);
    exp = cJSON_GetObjectItemCaseSensitive(root, "Expiration");
    if (!cJSON_IsString(akid) || !*akid->valuestring || !cJSON_IsString(secret) ||
        !*secret->valuestring) {
        cJSON_Delete(root);
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "%s lacks AccessKeyId or SecretAccessKey", f->what);
    }
    if (token && !cJSON_IsNull(token) && !cJSON_IsString(token)) {
        cJSON_Delete(root);
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "%s: %s is not a string", f->what,
                          f->token_key);
    }
    if (exp && !cJSON_IsNull(exp)) {
        if (!cJSON_IsString(exp) || !parse_iso8601(exp->valuestring, &expiration)) {
            cJSON_Delete(root);
            return cmfa__fail(err, CMFA_E_CREDENTIALS,
                              "%s: Expiration is not an ISO 8601 timestamp", f->what);
        }
        if (expiration <= now) {
            cJSON_Delete(root);
            return cmfa__fail(err, CMFA_E_CREDENTIALS,
                              "%s: the credentials have already expired", f->what);
        }
    }
    rc = creds_set(out, akid->valuestring, secret->valuestring,
                   cJSON_IsString(token) ? token->valuestring : NULL, expiration, f->source, err);
    /* cJSON keeps copies of the secrets: wipe them before the tree goes. */
    cmfa__wipe(secret->valuestring, strlen(secret->valuestring));
    if (cJSON_IsString(token))
        cmfa__wipe(token->valuestring, strlen(token->valuestring));
    cJSON_Delete(root);
    return rc;
}

static const struct json_format json_formats[] = {
    [CMFA__CRED_JSON_PROCESS] = {"credential_process output", "SessionToken", 1, 0, "process"},
    [CMFA__CRED_JSON_CONTAINER] = {"container credentials response", "Token", 0, 0, "container"},
    [CMFA__CRED_JSON_IMDS] = {"EC2 instance metadata credentials", "Token", 0, 1, "imds"},
};

cmfa_code cmfa__credentials_from_json(enum cmfa__cred_json kind, const char *body, size_t len,
                                      time_t now, struct cmfa__credentials *out,
                                      struct cmfa_error *err)
{
    if ((size_t)kind >= CMFA__ARRAY_LEN(json_formats) || !out)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "unknown credentials format");
    return parse_credentials_json(&json_formats[kind], body, len, now, out, err);
}

/* ------------------------------------------------------------------------- static providers */

static cmfa_code from_explicit(struct cmfa__cred_chain *chain, time_t now,
                               struct cmfa__credentials *out, struct tried *t,
                               struct cmfa_error *err)
{
    (void)now;
    if (!chain->access_key_id) {
        tried_add(t, "explicit options (not set)");
        return NOT_FOUND;
    }
    return creds_set(out, chain->access_key_id, chain->secret_access_key, chain->session_token,
                     0, "explicit", err);
}

static cmfa_code from_environment(struct cmfa__cred_chain *chain, time_t now,
                                  struct cmfa__credentials *out, struct tried *t,
                                  struct cmfa_error *err)
{
    const char *akid = cmfa__env_get("AWS_ACCESS_KEY_ID");
    const char *secret = cmfa__env_get("AWS_SECRET_ACCESS_KEY");
    const char *token = cmfa__env_get("AWS_SESSION_TOKEN");

    (void)chain;
    (void)now;
    if (!token)
        token = cmfa__env_get("AWS_SECURITY_TOKEN");
    if (!akid && !secret) {
        tried_add(t, "environment (AWS_ACCESS_KEY_ID not set)");
        return NOT_FOUND;
    }
    if (!akid || !secret)
        return cmfa__fail(err, CMFA_E_CONFIG, "%s is set in the environment but %s is not",
                          akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                          akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    return creds_set(out, akid, secret, token, 0, "environment", err);
}

static cmfa_code from_profile_keys(const char *akid, const char *secret, const char *token,
                                   const char *where, const char *profile, const char *source,
                                   struct cmfa__credentials *out, struct tried *t,
                                   struct cmfa_error *err)
{
    char shown[80];

    akid = cmfa__nonempty(akid);
    secret = cmfa__nonempty(secret);
    if (!akid && !secret) {
        tried_add(t, "%s (no keys for profile %s)", where,
                  cmfa__printable(profile, shown, sizeof(shown)));
        return NOT_FOUND;
    }
    if (!akid || !secret)
        return cmfa__fail(err, CMFA_E_CONFIG,
                          "profile %s in the %s has %s but no %s",
                          cmfa__printable(profile, shown, sizeof(shown)), where,
                          akid ? "aws_access_key_id" : "aws_secret_access_key",
                          akid ? "aws_secret_access_key" : "aws_access_key_id");
    return creds_set(out, akid, secret, token, 0, source, err);
}

static cmfa_code from_credentials_file(struct cmfa__cred_chain *chain, time_t now,
                                       struct cmfa__credentials *out, struct tried *t,
                                       struct cmfa_error *err)
{
    const struct cmfa__ini *ini = chain->cfg->credentials_file;
    const char *p = chain->cfg->profile;

    (void)now;
    if (!ini) {
        tried_add(t, "shared credentials file (not found)");
        return NOT_FOUND;
    }
    return from_profile_keys(cmfa__ini_get(ini, p, NULL, "aws_access_key_id"),
                             cmfa__ini_get(ini, p, NULL, "aws_secret_access_key"),
                             cmfa__ini_get(ini, p, NULL, "aws_session_token"),
                             "shared credentials file", p, "shared-credentials-file", out, t, err);
}

/* Value from the config file's profile section only. */
static cmfa_code config_file_get(const struct cmfa__config *cfg, const char *key,
                                 const char **value, struct cmfa_error *err)
{
    struct cmfa__buf name;

    *value = NULL;
    cmfa__buf_init(&name, 0);
    if (cmfa__buf_printf(&name, "profile %s", cfg->profile) != CMFA_OK) {
        cmfa__buf_cleanup(&name);
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    *value = cmfa__ini_get(cfg->config_file, name.data, NULL, key);
    if (!*value && strcmp(cfg->profile, "default") == 0)
        *value = cmfa__ini_get(cfg->config_file, "default", NULL, key);
    cmfa__buf_cleanup(&name);
    return CMFA_OK;
}

static cmfa_code from_config_file(struct cmfa__cred_chain *chain, time_t now,
                                  struct cmfa__credentials *out, struct tried *t,
                                  struct cmfa_error *err)
{
    const struct cmfa__config *cfg = chain->cfg;
    const char *akid, *secret, *token;
    cmfa_code rc;

    (void)now;
    if (!cfg->config_file) {
        tried_add(t, "config file (not found)");
        return NOT_FOUND;
    }
    if ((rc = config_file_get(cfg, "aws_access_key_id", &akid, err)) != CMFA_OK ||
        (rc = config_file_get(cfg, "aws_secret_access_key", &secret, err)) != CMFA_OK ||
        (rc = config_file_get(cfg, "aws_session_token", &token, err)) != CMFA_OK)
        return rc;
    return from_profile_keys(akid, secret, token, "config file", cfg->profile, "config-file",
                             out, t, err);
}

/* ------------------------------------------------------------------------- credential_process */

static long monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Runs cmd through /bin/sh -c with stdout captured into out (at most PROCESS_OUTPUT_MAX) and
 * stdin/stderr inherited. Kills it when it runs longer than timeout_ms. */
static cmfa_code run_process(const char *cmd, long timeout_ms, struct cmfa__buf *out,
                             struct cmfa_error *err)
{
    posix_spawn_file_actions_t fa;
    char *argv[4];
    char chunk[4096];
    int fds[2], status = 0, timed_out = 0, too_large = 0, have_status = 0, e;
    long deadline;
    pid_t pid;
    cmfa_code rc = CMFA_OK;

    if (pipe2(fds, O_CLOEXEC) != 0)
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "credential_process: cannot create a pipe: %s",
                          strerror(errno));
    e = posix_spawn_file_actions_init(&fa);
    if (e == 0) {
        e = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        if (e == 0) {
            argv[0] = (char *)"sh";
            argv[1] = (char *)"-c";
            argv[2] = (char *)cmd;
            argv[3] = NULL;
            e = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    close(fds[1]);
    if (e != 0) {
        close(fds[0]);
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "credential_process: cannot start /bin/sh: %s",
                          strerror(e));
    }

    deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        struct pollfd pfd;
        long left = deadline - monotonic_ms();
        ssize_t n;
        int pr;

        if (left <= 0) {
            timed_out = 1;
            break;
        }
        pfd.fd = fds[0];
        pfd.events = POLLIN;
        pfd.revents = 0;
        pr = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            rc = cmfa__fail(err, CMFA_E_CREDENTIALS, "credential_process: poll failed: %s",
                            strerror(errno));
            break;
        }
        if (pr == 0)
            continue;   /* the deadline check above ends the loop */
        n = read(fds[0], chunk, sizeof(chunk));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            rc = cmfa__fail(err, CMFA_E_CREDENTIALS, "credential_process: read failed: %s",
                            strerror(errno));
            break;
        }
        if (n == 0)
            break;
        e = cmfa__buf_add(out, chunk, (size_t)n);
        if (e == CMFA_E_TOO_LARGE) {
            too_large = 1;
            break;
        }
        if (e != CMFA_OK) {
            rc = cmfa__fail(err, (cmfa_code)e, NULL);
            break;
        }
    }
    cmfa__wipe(chunk, sizeof(chunk));
    close(fds[0]);
    if (timed_out || too_large || rc != CMFA_OK)
        kill(pid, SIGKILL);

    /* Output is complete; give the process the rest of the time to exit. */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            have_status = 1;
            break;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;   /* ECHILD: someone else reaped it (SIGCHLD ignored); status unknown */
        if (monotonic_ms() >= deadline) {
            timed_out = 1;
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (rc != CMFA_OK)
        return rc;
    if (timed_out)
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "credential_process did not finish within %ld ms", timeout_ms);
    if (too_large)
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "credential_process wrote more than %zu bytes", PROCESS_OUTPUT_MAX);
    if (have_status && WIFSIGNALED(status))
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "credential_process was killed by signal %d",
                          WTERMSIG(status));
    if (have_status && WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return cmfa__fail(err, CMFA_E_CREDENTIALS, "credential_process exited with status %d",
                          WEXITSTATUS(status));
    return CMFA_OK;
}

static cmfa_code from_process(struct cmfa__cred_chain *chain, time_t now,
                              struct cmfa__credentials *out, struct tried *t,
                              struct cmfa_error *err)
{
    const char *cmd = cmfa__nonempty(cmfa__config_profile_get(chain->cfg, "credential_process"));
    struct cmfa__buf output;
    cmfa_code rc;

    if (!cmd) {
        tried_add(t, "credential_process (not set)");
        return NOT_FOUND;
    }
    cmfa__buf_init_secret(&output, PROCESS_OUTPUT_MAX);
    rc = run_process(cmd, chain->process_timeout_ms, &output, err);
    if (rc == CMFA_OK)
        rc = cmfa__credentials_from_json(CMFA__CRED_JSON_PROCESS, output.data, output.len, now,
                                         out, err);
    cmfa__buf_cleanup(&output);
    return rc;
}

/* ------------------------------------------------------------------------- container */

/* http: only for loopback and the ECS/EKS container hosts; https: any host. */
int cmfa__container_url_allowed(const char *url)
{
    static const char *const hosts[] = {"localhost", "169.254.170.2", "169.254.170.23",
                                        "[fd00:ec2::23]", "[::1]"};
    const char *h, *hend, *port;
    size_t len, i;

    if (strncasecmp(url, "https://", 8) == 0)
        return strlen(url) > 8;
    if (strncasecmp(url, "http://", 7) != 0)
        return 0;
    h = url + 7;
    hend = h + strcspn(h, "/?#");
    if (memchr(h, '@', (size_t)(hend - h)))
        return 0;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(hend - h));
        if (!close)
            return 0;
        port = close + 1;
    } else {
        port = memchr(h, ':', (size_t)(hend - h));
        if (!port)
            port = hend;
    }
    len = (size_t)(port - h);
    if (port < hend && *port != ':')
        return 0;
    for (i = 0; i < CMFA__ARRAY_LEN(hosts); i++)
        if (strlen(hosts[i]) == len && strncasecmp(h, hosts[i], len) == 0)
            return 1;
    /* 127.0.0.0/8 as a dotted quad. */
    if (len >= 9 && strncmp(h, "127.", 4) == 0) {
        int dots = 0;
        for (i = 0; i < len; i++) {
            if (h[i] == '.')
                dots++;
            else if (h[i] < '0' || h[i] > '9')
                return 0;
        }
        return dots == 3;
    }
    return 0;
}

/* Reads the container authorization token (file first, read on every call) into tok;
 * tok stays empty when none is configured. */
static cmfa_code container_token(struct cmfa__buf *tok, struct cmfa_error *err)
{
    const char *file = cmfa__env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *value = cmfa__env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char shown[200];
    size_t i;
    cmfa_code rc = CMFA_OK;

    if (file) {
        char chunk[1024];
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return cmfa__fail(err, CMFA_E_CREDENTIALS,
                              "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
                              cmfa__printable(file, shown, sizeof(shown)), strerror(errno));
        for (;;) {
            ssize_t n = read(fd, chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                                "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
                                cmfa__printable(file, shown, sizeof(shown)), strerror(errno));
                break;
            }
            if (n == 0)
                break;
            rc = cmfa__buf_add(tok, chunk, (size_t)n);
            if (rc != CMFA_OK) {
                rc = rc == CMFA_E_TOO_LARGE
                         ? cmfa__fail(err, CMFA_E_CREDENTIALS,
                                      "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s is too large",
                                      cmfa__printable(file, shown, sizeof(shown)))
                         : cmfa__fail(err, rc, NULL);
                break;
            }
        }
        cmfa__wipe(chunk, sizeof(chunk));
        close(fd);
        if (rc != CMFA_OK)
            return rc;
        /* A trailing newline is how most tools write the file. */
        while (tok->len && (tok->data[tok->len - 1] == '\n' || tok->data[tok->len - 1] == '\r' ||
                            tok->data[tok->len - 1] == ' ' || tok->data[tok->len - 1] == '\t'))
            tok->data[--tok->len] = '\0';
    } else if (value) {
        rc = cmfa__buf_addstr(tok, value);
        if (rc != CMFA_OK)
            return cmfa__fail(err, rc == CMFA_E_TOO_LARGE ? CMFA_E_CONFIG : rc,
                              "AWS_CONTAINER_AUTHORIZATION_TOKEN is too large");
    }
    for (i = 0; i < tok->len; i++)
        if ((unsigned char)tok->data[i] < 0x20 || tok->data[i] == 0x7f)
            return cmfa__fail(err, CMFA_E_CONFIG,
                              "the container authorization token contains control characters "
                              "or line breaks");
    return CMFA_OK;
}

cmfa_code cmfa__container_request(struct cmfa_request **out, struct cmfa_error *err)
{
    const char *rel = cmfa__env_get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = cmfa__env_get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    struct cmfa__buf url, tok;
    struct cmfa_request *req = NULL;
    char *host = NULL, *path = NULL;
    char shown[200];
    cmfa_code rc = CMFA_OK;

    *out = NULL;
    if (!rel && !full)
        return NOT_FOUND;
    cmfa__buf_init(&url, 0);
    cmfa__buf_init_secret(&tok, TOKEN_FILE_MAX);
    if (rel) {
        if (rel[0] != '/') {
            rc = cmfa__fail(err, CMFA_E_CONFIG,
                            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
            goto cleanup;
        }
        rc = cmfa__buf_printf(&url, "%s%s", container_base, rel);
    } else {
        if (!cmfa__container_url_allowed(full)) {
            rc = cmfa__fail(err, CMFA_E_CONFIG,
                            "AWS_CONTAINER_CREDENTIALS_FULL_URI %s is not allowed: use https, "
                            "or http to a loopback host, 169.254.170.2, 169.254.170.23 or "
                            "[fd00:ec2::23]",
                            cmfa__printable(full, shown, sizeof(shown)));
            goto cleanup;
        }
        rc = cmfa__buf_addstr(&url, full);
    }
    if (rc != CMFA_OK) {
        rc = cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    rc = cmfa__url_split(url.data, &host, &path, err);
    if (rc != CMFA_OK)
        goto cleanup;
    /* the token file is read again at every fetch: EKS rotates it */
    rc = container_token(&tok, err);
    if (rc != CMFA_OK)
        goto cleanup;
    req = cmfa__request_new("GET", url.data, host);
    rc = req ? cmfa__request_add_header(req, "Host", host) : CMFA_E_NOMEM;
    if (rc == CMFA_OK)
        rc = cmfa__request_add_header(req, "Accept", "application/json");
    if (rc == CMFA_OK && tok.len)
        rc = cmfa__request_add_header(req, "Authorization", tok.data);
    if (rc != CMFA_OK) {
        cmfa_request_free(req);
        req = NULL;
        rc = cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    *out = req;

cleanup:
    cmfa_free(host);
    cmfa_free(path);
    cmfa__buf_cleanup(&url);
    cmfa__buf_cleanup_secret(&tok);
    return rc;
}

cmfa_code cmfa__container_parse(const struct cmfa_response *resp, time_t now,
                                struct cmfa__credentials *out, struct cmfa_error *err)
{
    static const struct json_format fmt = {"container credentials response", "Token", 0, 0,
                                           "container"};

    memset(out, 0, sizeof(*out));
    if (!resp)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "no container response to parse");
    if (resp->status != 200)
        return cmfa__fail(err, CMFA_E_CREDENTIALS,
                          "container credentials endpoint returned HTTP %ld", resp->status);
    return parse_credentials_json(&fmt, resp->body, resp->body_len, now, out, err);
}

/* The blocking fetch of the built-in chain: the prepared request over cmfa__http_simple,
 * 3 attempts of 2 s. (Inside nginx the same request and parser go over a cosocket.) */
static cmfa_code from_container(struct cmfa__cred_chain *chain, time_t now,
                                struct cmfa__credentials *out, struct tried *t,
                                struct cmfa_error *err)
{
    struct cmfa_request *req = NULL;
    struct cmfa__buf header, body;
    struct cmfa_response resp;
    const char *headers[3] = {NULL, NULL, NULL};
    char shown[200];
    struct cmfa_error attempt_err;
    long status = 0;
    size_t i, nh = 0;
    int attempt;
    cmfa_code rc;

    rc = cmfa__container_request(&req, err);
    if (rc == NOT_FOUND) {
        tried_add(t, "container (AWS_CONTAINER_CREDENTIALS_* not set)");
        return NOT_FOUND;
    }
    if (rc != CMFA_OK)
        return rc;
    if (!req)
        return cmfa__fail(err, CMFA_E_INTERNAL, "container request missing");
    cmfa__buf_init_secret(&header, 0);
    cmfa__buf_init_secret(&body, METADATA_BODY_MAX);
    cmfa_error_init(&attempt_err);
    /* "Name: value" lines for libcurl (which writes Host itself), NUL-separated in header */
    for (i = 0; i < req->nheaders && nh < 2; i++) {
        if (strcasecmp(req->headers[i].name, "Host") == 0)
            continue;
        rc = cmfa__buf_printf(&header, "%s: %s", req->headers[i].name, req->headers[i].value);
        if (rc == CMFA_OK)
            rc = cmfa__buf_add(&header, "", 1);
        if (rc != CMFA_OK) {
            rc = cmfa__fail(err, rc, NULL);
            goto cleanup;
        }
        nh++;
    }
    for (i = 0, nh = 0; i < header.len; i += strlen(header.data + i) + 1)
        headers[nh++] = header.data + i;
    cmfa__printable(req->url, shown, sizeof(shown));
    for (attempt = 1; attempt <= CONTAINER_ATTEMPTS; attempt++) {
        cmfa_error_cleanup(&attempt_err);
        rc = cmfa__http_simple("GET", req->url, headers, CONTAINER_TIMEOUT_MS,
                               chain->cfg->ca_file, &status, &body, &attempt_err);
        if (rc == CMFA_E_NOMEM)
            break;
        if (rc == CMFA_OK && status < 500)
            break;
        if (attempt < CONTAINER_ATTEMPTS) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (rc != CMFA_OK) {
        rc = cmfa__fail(err, rc == CMFA_E_NOMEM ? CMFA_E_NOMEM : CMFA_E_CREDENTIALS,
                        "container credentials endpoint: %s", attempt_err.message);
        goto cleanup;
    }
    if (status != 200) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "container credentials endpoint %s returned HTTP %ld", shown, status);
        goto cleanup;
    }
    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    resp.body = body.data;
    resp.body_len = body.len;
    rc = cmfa__container_parse(&resp, now, out, err);

cleanup:
    cmfa_error_cleanup(&attempt_err);
    cmfa_request_free(req);
    cmfa__buf_cleanup_secret(&header);
    cmfa__buf_cleanup_secret(&body);
    return rc;
}

/* ------------------------------------------------------------------------- IMDS */

struct imds {
    const char *endpoint;       /* without trailing '/' */
    size_t endpoint_len;
    long timeout_ms;
    int attempts;
    const char *ca_file;
};

/* One IMDS request with up to im->attempts tries on transport failures and 5xx. */
static cmfa_code imds_request(const struct imds *im, const char *method, const char *path,
                              const char *const *headers, long *status, struct cmfa__buf *body,
                              struct cmfa_error *attempt_err)
{
    struct cmfa__buf url;
    cmfa_code rc;
    int i;

    cmfa__buf_init(&url, 0);
    rc = cmfa__buf_add(&url, im->endpoint, im->endpoint_len);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addstr(&url, path);
    if (rc != CMFA_OK) {
        cmfa__buf_cleanup(&url);
        return cmfa__fail(attempt_err, rc, NULL);
    }
    for (i = 0; i < im->attempts; i++) {
        cmfa_error_cleanup(attempt_err);
        rc = cmfa__http_simple(method, url.data, headers, im->timeout_ms, im->ca_file, status,
                               body, attempt_err);
        if (rc == CMFA_E_NOMEM || (rc == CMFA_OK && *status < 500))
            break;
    }
    cmfa__buf_cleanup(&url);
    return rc;
}

static int valid_role_name(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > 128)
        return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c && strchr("+=,.@_-", c))))
            return 0;
    }
    return 1;
}

int cmfa__imds_role_name(const char *body, size_t len, char role[129])
{
    size_t rlen = 0;

    role[0] = '\0';
    while (body && rlen < len && body[rlen] != '\r' && body[rlen] != '\n' && body[rlen] != '\0')
        rlen++;
    while (rlen && body[rlen - 1] == ' ')
        rlen--;
    if (!valid_role_name(body ? body : "", rlen))
        return 0;
    memcpy(role, body, rlen);
    role[rlen] = '\0';
    return 1;
}

static cmfa_code imds_settings(const struct cmfa__config *cfg, struct imds *im,
                               struct cmfa_error *err)
{
    const char *ep = cmfa__config_setting(cfg, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                             "ec2_metadata_service_endpoint");
    const char *mode = cmfa__config_setting(cfg, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
                               "ec2_metadata_service_endpoint_mode");
    const char *v;
    char shown[200];
    long n;
    char *end;

    if (!ep)
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_DEFAULT_ENDPOINT_V6
                                                   : IMDS_DEFAULT_ENDPOINT;
    if (strncasecmp(ep, "http://", 7) != 0 && strncasecmp(ep, "https://", 8) != 0)
        return cmfa__fail(err, CMFA_E_CONFIG,
                          "Invalid EC2 metadata endpoint \"%s\": expected an http:// or "
                          "https:// URL",
                          cmfa__printable(ep, shown, sizeof(shown)));
    im->endpoint = ep;
    im->endpoint_len = strlen(ep);
    while (im->endpoint_len && ep[im->endpoint_len - 1] == '/')
        im->endpoint_len--;
    im->timeout_ms = 1000;
    im->attempts = 1;
    im->ca_file = cfg->ca_file;
    v = cmfa__config_setting(cfg, "AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout");
    if (v) {
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 1 || n > 3600)
            return cmfa__fail(err, CMFA_E_CONFIG,
                              "Invalid metadata service timeout \"%s\": expected seconds >= 1",
                              cmfa__printable(v, shown, sizeof(shown)));
        im->timeout_ms = n * 1000;
    }
    v = cmfa__config_setting(cfg, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts");
    if (v) {
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 1 || n > 10)
            return cmfa__fail(err, CMFA_E_CONFIG,
                              "Invalid metadata service attempts \"%s\": expected 1 to 10",
                              cmfa__printable(v, shown, sizeof(shown)));
        im->attempts = (int)n;
    }
    return CMFA_OK;
}

static cmfa_code from_imds(struct cmfa__cred_chain *chain, time_t now,
                           struct cmfa__credentials *out, struct tried *t,
                           struct cmfa_error *err)
{
    const struct cmfa__config *cfg = chain->cfg;
    const char *v;
    const char *put_headers[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL};
    const char *get_headers[2] = {NULL, NULL};
    struct cmfa__buf token_header, body, path;
    struct cmfa_error aerr;
    struct imds im;
    char role[129];
    char shown[200];
    long status = 0;
    cmfa_code rc;

    v = cmfa__config_setting(cfg, "AWS_EC2_METADATA_DISABLED", "ec2_metadata_disabled");
    if (v && cmfa__is_true(v)) {
        tried_add(t, "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
        return NOT_FOUND;
    }
    rc = imds_settings(cfg, &im, err);
    if (rc != CMFA_OK)
        return rc;
    cmfa__printable(im.endpoint, shown, sizeof(shown));
    cmfa__buf_init_secret(&token_header, 0);
    cmfa__buf_init_secret(&body, METADATA_BODY_MAX);
    cmfa__buf_init(&path, 0);
    cmfa_error_init(&aerr);

    /* IMDSv2 session token. */
    rc = imds_request(&im, "PUT", "/latest/api/token", put_headers, &status, &body, &aerr);
    if (rc == CMFA_E_NOMEM) {
        rc = cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    if (rc != CMFA_OK) {
        tried_add(t, "EC2 instance metadata (%s)", aerr.message);
        rc = NOT_FOUND;
        goto cleanup;
    }
    if (status == 200 && body.len) {
        size_t n = body.len;
        while (n && (body.data[n - 1] == '\n' || body.data[n - 1] == '\r' ||
                     body.data[n - 1] == ' '))
            n--;
        rc = cmfa__buf_add(&token_header, "X-aws-ec2-metadata-token: ", 26);
        if (rc == CMFA_OK)
            rc = cmfa__buf_add(&token_header, body.data, n);
        if (rc != CMFA_OK) {
            rc = cmfa__fail(err, rc, NULL);
            goto cleanup;
        }
        if (memchr(body.data, '\n', n) || memchr(body.data, '\r', n)) {
            tried_add(t, "EC2 instance metadata (%s: malformed token)", shown);
            rc = NOT_FOUND;
            goto cleanup;
        }
        get_headers[0] = token_header.data;
    } else if (status == 403 || status == 404 || status == 405) {
        /* No IMDSv2 here: IMDSv1, unless turned off. */
        v = cmfa__config_setting(cfg, "AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled");
        if (v && cmfa__is_true(v)) {
            tried_add(t, "EC2 instance metadata (%s: token request returned HTTP %ld and "
                      "IMDSv1 is disabled)", shown, status);
            rc = NOT_FOUND;
            goto cleanup;
        }
    } else {
        tried_add(t, "EC2 instance metadata (%s: token request returned HTTP %ld)", shown,
                  status);
        rc = NOT_FOUND;
        goto cleanup;
    }

    /* Role name. */
    rc = imds_request(&im, "GET", IMDS_CREDS_PATH, get_headers, &status, &body, &aerr);
    if (rc == CMFA_E_NOMEM) {
        rc = cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    if (rc != CMFA_OK || status != 200) {
        if (rc != CMFA_OK)
            tried_add(t, "EC2 instance metadata (%s)", aerr.message);
        else
            tried_add(t, "EC2 instance metadata (%s: role request returned HTTP %ld%s)", shown,
                      status, status == 404 ? ", no instance profile" : "");
        rc = NOT_FOUND;
        goto cleanup;
    }
    if (!cmfa__imds_role_name(body.data, body.len, role)) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "EC2 instance metadata %s: malformed role name", shown);
        goto cleanup;
    }

    /* Credentials of the role. */
    rc = cmfa__buf_printf(&path, "%s%s", IMDS_CREDS_PATH, role);
    if (rc != CMFA_OK) {
        rc = cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    rc = imds_request(&im, "GET", path.data, get_headers, &status, &body, &aerr);
    if (rc != CMFA_OK) {
        rc = cmfa__fail(err, rc == CMFA_E_NOMEM ? CMFA_E_NOMEM : CMFA_E_CREDENTIALS,
                        "EC2 instance metadata: %s", aerr.message);
        goto cleanup;
    }
    if (status != 200) {
        rc = cmfa__fail(err, CMFA_E_CREDENTIALS,
                        "EC2 instance metadata %s: credentials request for role %s returned "
                        "HTTP %ld",
                        shown, role, status);
        goto cleanup;
    }
    rc = cmfa__credentials_from_json(CMFA__CRED_JSON_IMDS, body.data, body.len, now, out, err);

cleanup:
    cmfa_error_cleanup(&aerr);
    cmfa__buf_cleanup(&token_header);
    cmfa__buf_cleanup(&body);
    cmfa__buf_cleanup(&path);
    return rc;
}

/* ------------------------------------------------------------------------- the chain */

typedef cmfa_code (*provider_fn)(struct cmfa__cred_chain *chain, time_t now,
                                 struct cmfa__credentials *out, struct tried *t,
                                 struct cmfa_error *err);

static const provider_fn providers[P_COUNT] = {
    from_explicit, from_environment, from_credentials_file, from_config_file,
    from_process,  from_container,   from_imds,
};

struct cmfa__cred_chain *cmfa__cred_chain_new(const struct cmfa_client_options *opts,
                                              const struct cmfa__config *cfg,
                                              struct cmfa_error *err)
{
    struct cmfa__cred_chain *chain;
    const char *akid = NULL, *secret = NULL, *token = NULL;

    if (!cfg || !cfg->profile) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "credential chain without a resolved config");
        return NULL;
    }
    if (opts) {
        akid = cmfa__nonempty(opts->access_key_id);
        secret = cmfa__nonempty(opts->secret_access_key);
        token = cmfa__nonempty(opts->session_token);
    }
    if (!akid != !secret) {
        cmfa__fail(err, CMFA_E_CONFIG,
                   "access_key_id and secret_access_key must be given together (only %s is set)",
                   akid ? "access_key_id" : "secret_access_key");
        return NULL;
    }
    if (token && !akid) {
        cmfa__fail(err, CMFA_E_CONFIG,
                   "session_token needs access_key_id and secret_access_key as well");
        return NULL;
    }
    chain = cmfa_malloc(sizeof(*chain));
    if (!chain) {
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        return NULL;
    }
    memset(chain, 0, sizeof(*chain));
    chain->cfg = cfg;
    chain->process_timeout_ms =
        opts && opts->read_timeout_ms > 0 ? opts->read_timeout_ms : PROCESS_DEFAULT_TIMEOUT_MS;
    if (akid) {
        chain->access_key_id = cmfa__strdup(akid);
        chain->secret_access_key = cmfa__strdup(secret);
        chain->session_token = token ? cmfa__strdup(token) : NULL;
        if (!chain->access_key_id || !chain->secret_access_key ||
            (token && !chain->session_token)) {
            cmfa__cred_chain_free(chain);
            cmfa__fail(err, CMFA_E_NOMEM, NULL);
            return NULL;
        }
    }
    return chain;
}

void cmfa__cred_chain_free(struct cmfa__cred_chain *chain)
{
    if (!chain)
        return;
    cmfa_free(chain->access_key_id);
    cmfa__free_secret(chain->secret_access_key);
    cmfa__free_secret(chain->session_token);
    cmfa__credentials_cleanup(&chain->current);
    cmfa_free(chain);
}

static cmfa_code run_chain(struct cmfa__cred_chain *chain, enum provider start, time_t now,
                           struct cmfa__credentials *out, enum provider *used,
                           struct cmfa_error *err)
{
    struct tried t;
    char shown[80];
    int i;

    t.len = 0;
    t.text[0] = '\0';
    for (i = start; i < P_COUNT; i++) {
        cmfa_code rc = providers[i](chain, now, out, &t, err);
        if (rc == NOT_FOUND)
            continue;
        if (rc == CMFA_OK)
            *used = (enum provider)i;
        return rc;
    }
    return cmfa__fail(err, CMFA_E_NO_CREDENTIALS, "No credentials found for profile %s; tried: %s",
                      cmfa__printable(chain->cfg->profile, shown, sizeof(shown)), t.text);
}

static int needs_refresh(const struct cmfa__credentials *c, time_t now)
{
    return c->expiration != 0 && c->expiration - now <= REFRESH_WINDOW_S;
}

const struct cmfa__credentials *cmfa__cred_chain_peek(const struct cmfa__cred_chain *chain)
{
    return chain && chain->have ? &chain->current : NULL;
}

cmfa_code cmfa__cred_chain_get(struct cmfa__cred_chain *chain, time_t now,
                               const struct cmfa__credentials **out, struct cmfa_error *err)
{
    struct cmfa__credentials fresh;
    struct cmfa_error local;
    enum provider used = P_EXPLICIT;
    cmfa_code rc;

    if (out)
        *out = NULL;
    if (!chain || !out)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "credential chain or output is NULL");
    if (chain->have && !needs_refresh(&chain->current, now)) {
        *out = &chain->current;
        return CMFA_OK;
    }
    memset(&fresh, 0, sizeof(fresh));
    cmfa_error_init(&local);
    rc = run_chain(chain, chain->have ? chain->provider : P_EXPLICIT, now, &fresh, &used, &local);
    if (rc == CMFA_OK) {
        cmfa__credentials_cleanup(&chain->current);
        chain->current = fresh;
        chain->provider = used;
        chain->have = 1;
        *out = &chain->current;
        return CMFA_OK;
    }
    if (chain->have && now < chain->current.expiration) {
        /* Refresh failed but the old credentials are still good for a while. */
        cmfa_error_cleanup(&local);
        *out = &chain->current;
        return CMFA_OK;
    }
    cmfa__fail(err, rc, "%s", local.message);
    cmfa_error_cleanup(&local);
    return rc;
}
