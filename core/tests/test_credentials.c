/* Unit tests for credentials.c and http.c: the provider chain in order, credential_process,
 * the container endpoint and IMDSv2 against a loopback stand-in (servers/metadata_server.py),
 * refresh of temporary credentials, and that no secret ever shows up in an error message.
 *
 * Nothing here reaches beyond loopback: every test clears all AWS_* variables and points
 * AWS_EC2_METADATA_SERVICE_ENDPOINT at a local server or sets AWS_EC2_METADATA_DISABLED. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check.h"
#include "cmfa_int.h"


/* Test hook in credentials.c (deliberately not in cmfa_int.h). */

#define SERVER_SCRIPT CMFA_TESTS_DIR "/servers/metadata_server.py"
#define PROCESS_SCRIPT CMFA_TESTS_DIR "/servers/cred_process.py"

static char tmpdir[] = "/tmp/cmfa-test-creds-XXXXXX";

/* Every secret the tests hand out or the servers serve; none may appear in a message. */
static const char *const secrets[] = {
    "explicit-secret", "explicit-session", "env-secret", "env-session", "legacy-token",
    "file-secret", "file-session", "config-secret", "half-secret", "-secret-1", "-secret-2",
    "-secret-3", "session-token-", "process-secret-output", "container-auth-token",
    "imds-session-secret-token", "wrong-token-value",
};

static void check_no_secrets(const char *msg)
{
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(secrets); i++)
        CHECK_MSG(strstr(msg, secrets[i]) == NULL, "secret '%s' in message: %s", secrets[i],
                  msg);
}

/* ------------------------------------------------------------------------- environment */

#include "check_env.h"
#define CHECK_ALLOC_TEST "test_credentials"
#include "check_alloc.h"

static int count_lines(const char *name)
{
    size_t len = 0, i;
    char *text = check_read_file(path_of(name), &len);
    int n = 0;

    if (!text)
        return 0;
    for (i = 0; i < len; i++)
        n += text[i] == '\n';
    free(text);
    return n;
}

/* No AWS_*, HOME = tmpdir, the given files, IMDS disabled (tests that want it set
 * AWS_EC2_METADATA_SERVICE_ENDPOINT and unset the switch). */
static void reset_env(const char *config_text, const char *credentials_text)
{
    clear_aws_env();
    setenv("HOME", tmpdir, 1);
    unlink(path_of("config"));
    unlink(path_of("credentials"));
    if (config_text)
        write_file("config", config_text);
    if (credentials_text)
        write_file("credentials", credentials_text);
    setenv("AWS_CONFIG_FILE", path_of("config"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("credentials"), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* ------------------------------------------------------------------------- local server */

struct server {
    pid_t pid;
    int in_fd;      /* its stdin: closing it makes the server exit */
    int out_fd;
    int port;
    char base[64];  /* http://127.0.0.1:PORT */
};

/* Starts metadata_server.py with up to two extra arguments; returns 0 on success. */
static int server_start(struct server *s, const char *arg1, const char *arg2)
{
    posix_spawn_file_actions_t fa;
    char *argv[6];
    int in[2], out[2], argc = 0, e;
    char line[32];
    size_t n = 0;

    memset(s, 0, sizeof(*s));
    s->pid = -1;
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        return -1;
    argv[argc++] = (char *)"python3";
    argv[argc++] = (char *)SERVER_SCRIPT;
    if (arg1)
        argv[argc++] = (char *)arg1;
    if (arg2)
        argv[argc++] = (char *)arg2;
    argv[argc] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    e = posix_spawnp(&s->pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    s->in_fd = in[1];
    s->out_fd = out[0];
    if (e != 0) {
        fprintf(stderr, "cannot start python3: %s\n", strerror(e));
        s->pid = -1;
        return -1;
    }
    /* First line: the port. */
    while (n + 1 < sizeof(line)) {
        struct pollfd pfd = {s->out_fd, POLLIN, 0};
        ssize_t r;

        if (poll(&pfd, 1, 15000) <= 0)
            break;
        r = read(s->out_fd, line + n, 1);
        if (r <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    s->port = atoi(line);
    if (s->port <= 0) {
        fprintf(stderr, "metadata server did not report a port\n");
        return -1;
    }
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
    return 0;
}

static void server_stop(struct server *s)
{
    int status;

    if (s->in_fd > 0)
        close(s->in_fd);
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (s->out_fd > 0)
        close(s->out_fd);
    s->pid = -1;
    s->in_fd = s->out_fd = -1;
}

/* GET base + path_and_query; returns the body as a number (or -1). */
static long server_get(const struct server *s, const char *path_and_query)
{
    struct cmfa__buf body;
    struct cmfa_error err;
    char url[512];
    long status = 0, v = -1;

    snprintf(url, sizeof(url), "%s%s", s->base, path_and_query);
    cmfa__buf_init(&body, 4096);
    cmfa_error_init(&err);
    if (cmfa__http_simple("GET", url, NULL, 5000, NULL, &status, &body, &err) == CMFA_OK &&
        status == 200)
        v = body.data ? strtol(body.data, NULL, 10) : 0;
    cmfa__buf_cleanup(&body);
    cmfa_error_cleanup(&err);
    return v;
}

static long server_count(const struct server *s, const char *kind)
{
    char q[128];

    snprintf(q, sizeof(q), "/_count?kind=%s", kind);
    return server_get(s, q);
}

/* GET /_set?query, with everything but [A-Za-z0-9=&_.-] percent-encoded. */
static void server_set(const struct server *s, const char *query)
{
    char q[1024];
    size_t n;

    n = (size_t)snprintf(q, sizeof(q), "/_set?");
    for (; *query && n + 4 < sizeof(q); query++) {
        unsigned char ch = (unsigned char)*query;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("=&_.-", ch))
            q[n++] = (char)ch;
        else
            n += (size_t)snprintf(q + n, sizeof(q) - n, "%%%02X", ch);
    }
    q[n] = '\0';
    CHECK_INT(server_get(s, q), 0);   /* body "ok" parses as 0 */
}

/* ------------------------------------------------------------------------- chain helpers */

struct fixture {
    struct cmfa__config cfg;
    struct cmfa__cred_chain *chain;
    struct cmfa_error err;
};

/* Resolves config and makes a chain; returns the code of whichever failed. */
static cmfa_code fixture_new(struct fixture *f, const struct cmfa_client_options *o)
{
    cmfa_code rc;

    memset(f, 0, sizeof(*f));
    cmfa_error_init(&f->err);
    rc = cmfa__config_resolve(o, &f->cfg, &f->err);
    if (rc != CMFA_OK)
        return rc;
    f->chain = cmfa__cred_chain_new(o, &f->cfg, &f->err);
    if (!f->chain) {
        check_no_secrets(f->err.message);
        return f->err.code;
    }
    return CMFA_OK;
}

static void fixture_free(struct fixture *f)
{
    cmfa__cred_chain_free(f->chain);
    cmfa__config_cleanup(&f->cfg);
    cmfa_error_cleanup(&f->err);
}

static cmfa_code get(struct fixture *f, time_t now, const struct cmfa__credentials **c)
{
    cmfa_code rc;

    cmfa_error_cleanup(&f->err);
    rc = cmfa__cred_chain_get(f->chain, now, c, &f->err);
    if (rc != CMFA_OK) {
        CHECK(*c == NULL);
        CHECK_INT(f->err.code, rc);
        check_no_secrets(f->err.message);
    }
    return rc;
}

static struct cmfa_client_options base_options(void)
{
    struct cmfa_client_options o;

    memset(&o, 0, sizeof(o));
    o.region = "us-east-1";
    return o;
}

/* ------------------------------------------------------------------------- static providers */

static void test_explicit_and_environment(void)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c;
    struct fixture f;
    time_t now = time(NULL);

    reset_env(NULL, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = "
                    "file-secret\n");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    setenv("AWS_SESSION_TOKEN", "env-session", 1);

    /* Explicit beats everything. */
    o.access_key_id = "AKIDEXPLICIT";
    o.secret_access_key = "explicit-secret";
    o.session_token = "explicit-session";
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->source, "explicit");
    CHECK_STR(c->access_key_id, "AKIDEXPLICIT");
    CHECK_STR(c->secret_access_key, "explicit-secret");
    CHECK_STR(c->session_token, "explicit-session");
    CHECK_INT(c->expiration, 0);
    /* Static credentials stay put, whatever the time. */
    CHECK_INT(get(&f, now + 100000, &c), CMFA_OK);
    CHECK_STR(c->source, "explicit");
    fixture_free(&f);

    /* Half explicit credentials. */
    o.secret_access_key = NULL;
    o.session_token = NULL;
    CHECK_INT(fixture_new(&f, &o), CMFA_E_CONFIG);
    CHECK(strstr(f.err.message, "only access_key_id") != NULL);
    fixture_free(&f);
    o.access_key_id = NULL;
    o.secret_access_key = "half-secret";
    CHECK_INT(fixture_new(&f, &o), CMFA_E_CONFIG);
    CHECK(strstr(f.err.message, "only secret_access_key") != NULL);
    fixture_free(&f);
    o.secret_access_key = NULL;
    o.session_token = "explicit-session";
    CHECK_INT(fixture_new(&f, &o), CMFA_E_CONFIG);
    fixture_free(&f);
    o.session_token = NULL;

    /* Environment beats the files. */
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->source, "environment");
    CHECK_STR(c->access_key_id, "AKIDENV");
    CHECK_STR(c->secret_access_key, "env-secret");
    CHECK_STR(c->session_token, "env-session");
    fixture_free(&f);

    /* AWS_SECURITY_TOKEN is the legacy name of the session token. */
    unsetenv("AWS_SESSION_TOKEN");
    setenv("AWS_SECURITY_TOKEN", "legacy-token", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->session_token, "legacy-token");
    fixture_free(&f);
    unsetenv("AWS_SECURITY_TOKEN");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK(c->session_token == NULL);
    fixture_free(&f);

    /* Half environment credentials are a configuration error. */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    CHECK(strstr(f.err.message, "AWS_SECRET_ACCESS_KEY") != NULL);
    fixture_free(&f);
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    fixture_free(&f);
}

static void test_files(void)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c;
    struct fixture f;
    time_t now = time(NULL);
    static const char config[] =
        "[default]\n"
        "aws_access_key_id = AKIDCONFIG\n"
        "aws_secret_access_key = config-secret\n"
        "[profile cfgonly]\n"
        "aws_access_key_id = AKIDCFGONLY\n"
        "aws_secret_access_key = config-secret\n"
        "aws_session_token = file-session\n"
        "credential_process = false\n"
        "[profile halfcfg]\n"
        "aws_access_key_id = AKIDHALF\n";
    static const char credentials[] =
        "[default]\n"
        "aws_access_key_id = AKIDFILE\n"
        "aws_secret_access_key = file-secret\n"
        "aws_session_token = file-session\n"
        "[half]\n"
        "aws_secret_access_key = half-secret\n";

    /* The credentials file beats the config file. */
    reset_env(config, credentials);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->source, "shared-credentials-file");
    CHECK_STR(c->access_key_id, "AKIDFILE");
    CHECK_STR(c->secret_access_key, "file-secret");
    CHECK_STR(c->session_token, "file-session");
    fixture_free(&f);

    /* The config file's keys when the credentials file has none; they beat
     * credential_process. */
    o.profile = "cfgonly";
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->source, "config-file");
    CHECK_STR(c->access_key_id, "AKIDCFGONLY");
    CHECK_STR(c->session_token, "file-session");
    fixture_free(&f);
    reset_env(config, NULL);
    o.profile = NULL;
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->source, "config-file");
    CHECK_STR(c->access_key_id, "AKIDCONFIG");
    fixture_free(&f);

    /* Half keys in either file. */
    reset_env(config, credentials);
    o.profile = "half";
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    CHECK(strstr(f.err.message, "shared credentials file") != NULL);
    fixture_free(&f);
    o.profile = "halfcfg";
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    CHECK(strstr(f.err.message, "config file") != NULL);
    fixture_free(&f);
}

static void test_nothing_found(void)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c;
    struct fixture f;
    static const char *const tried[] = {
        "explicit options", "environment", "shared credentials file", "config file",
        "credential_process", "container", "EC2 instance metadata (disabled",
    };
    size_t i;

    reset_env("[default]\nregion = us-east-1\n", NULL);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, time(NULL), &c), CMFA_E_NO_CREDENTIALS);
    CHECK(strstr(f.err.message, "No credentials found for profile default") != NULL);
    for (i = 0; i < CMFA__ARRAY_LEN(tried); i++)
        CHECK_MSG(strstr(f.err.message, tried[i]) != NULL, "'%s' not in: %s", tried[i],
                  f.err.message);
    fixture_free(&f);

    /* Bad arguments. */
    CHECK_INT(cmfa__cred_chain_get(NULL, 0, &c, NULL), CMFA_E_BAD_ARGUMENT);
    CHECK(cmfa__cred_chain_new(&o, NULL, NULL) == NULL);
    cmfa__cred_chain_free(NULL);
    cmfa__credentials_cleanup(NULL);
}

/* ------------------------------------------------------------------------- credential_process */

static void process_config(const char *args)
{
    char text[2048];

    snprintf(text, sizeof(text),
             "[default]\nregion = us-east-1\n"
             "credential_process = exec python3 %s %s --count-file %s --mode-file %s\n",
             PROCESS_SCRIPT, args, path_of("process-count"), path_of("process-mode"));
    reset_env(text, NULL);
    unlink(path_of("process-count"));
    unlink(path_of("process-mode"));
}

static void expect_process_error(const char *args, const char *what)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c;
    struct fixture f;

    process_config(args);
    o.read_timeout_ms = 3000;
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, time(NULL), &c), CMFA_E_CREDENTIALS);
    CHECK_MSG(strstr(f.err.message, what) != NULL, "'%s' not in: %s", what, f.err.message);
    CHECK(strstr(f.err.message, "python3") == NULL);   /* nor the command line */
    fixture_free(&f);
}

static void test_process(void)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c;
    struct fixture f;
    time_t now = time(NULL);
    struct {
        const char *text;
        time_t expect;
    } stamps[] = {
        {"2030-01-02T03:04:05Z", 1893553445},
        {"2030-01-02T03:04:05.123456Z", 1893553445},
        {"2030-01-02t03:04:05z", 1893553445},
        {"2030-01-02 03:04:05", 1893553445},
        {"2030-01-02T05:04:05+02:00", 1893553445},
        {"2030-01-01T22:34:05-0430", 1893553445},
        {"2032-02-29T00:00:00Z", 1961625600},
    };
    static const char *const bad_stamps[] = {
        "2030-01-02", "2030-13-02T03:04:05Z", "2030-02-30T03:04:05Z", "2030-01-02T24:00:00Z",
        "2030-01-02T03:04:05Q", "2030-01-02T03:04:05+2", "2030-01-02T03:04:05.Z", "soon",
    };
    char args[256];
    size_t i;

    /* Success, with a session token and an expiration. */
    process_config("--expires-in 3600");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->source, "process");
    CHECK_STR(c->access_key_id, "ASIAPROCESS1");
    CHECK_STR(c->secret_access_key, "process-secret-1");
    CHECK_STR(c->session_token, "process-session-token-1");
    CHECK(c->expiration >= now + 3590 && c->expiration <= now + 3610);
    /* Far from expiry: cached. */
    CHECK_INT(get(&f, now + 60, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIAPROCESS1");
    CHECK_INT(count_lines("process-count"), 1);
    /* Within 5 minutes of expiry: run again. */
    CHECK_INT(get(&f, now + 3400, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIAPROCESS2");
    CHECK_INT(count_lines("process-count"), 2);
    fixture_free(&f);

    /* Credentials without an expiration never refresh. */
    process_config("--expires-in -1");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_INT(c->expiration, 0);
    CHECK_INT(get(&f, now + 1000000, &c), CMFA_OK);
    CHECK_INT(count_lines("process-count"), 1);
    fixture_free(&f);

    /* Expiring in 2 minutes: every get runs the process again, from the process provider on
     * (environment credentials that appear later do not take over). */
    process_config("--expires-in 120");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIAPROCESS1");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    CHECK_INT(get(&f, now + 10, &c), CMFA_OK);
    CHECK_STR(c->source, "process");
    CHECK_STR(c->access_key_id, "ASIAPROCESS2");
    CHECK_INT(count_lines("process-count"), 2);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    /* A failed refresh keeps the old credentials while they are valid... */
    write_file("process-mode", "fail\n");
    CHECK_INT(get(&f, now + 20, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIAPROCESS2");
    CHECK_INT(count_lines("process-count"), 3);
    /* ...and fails once they have expired. */
    CHECK_INT(get(&f, now + 600, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "exited with status 3") != NULL);
    fixture_free(&f);

    /* Timestamp formats. */
    for (i = 0; i < CMFA__ARRAY_LEN(stamps); i++) {
        snprintf(args, sizeof(args), "--expiration '%s'", stamps[i].text);
        process_config(args);
        CHECK_INT(fixture_new(&f, &o), CMFA_OK);
        CHECK_MSG(get(&f, 1700000000, &c) == CMFA_OK, "%s: %s", stamps[i].text, f.err.message);
        if (c)
            CHECK_MSG(c->expiration == stamps[i].expect, "%s: %lld", stamps[i].text,
                      (long long)c->expiration);
        fixture_free(&f);
    }
    for (i = 0; i < CMFA__ARRAY_LEN(bad_stamps); i++) {
        snprintf(args, sizeof(args), "--expiration '%s'", bad_stamps[i]);
        expect_process_error(args, "Expiration is not an ISO 8601 timestamp");
    }
    expect_process_error("--expiration 2001-01-01T00:00:00Z", "already expired");

    /* Failures: exit status, bad JSON, wrong version, missing keys, too much output. */
    expect_process_error("--mode fail", "exited with status 3");
    expect_process_error("--mode badjson", "not a JSON object");
    expect_process_error("--mode version2", "Version");
    expect_process_error("--mode nokeys", "lacks AccessKeyId");
    expect_process_error("--mode big", "more than");
    reset_env("[default]\ncredential_process = kill -9 $$\n", NULL);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "signal 9") != NULL);
    fixture_free(&f);

    /* A process that does not finish in time is killed. */
    reset_env("[default]\ncredential_process = exec sleep 30\n", NULL);
    o.read_timeout_ms = 300;
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    {
        time_t start = time(NULL);
        CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
        CHECK(strstr(f.err.message, "did not finish within 300 ms") != NULL);
        CHECK(time(NULL) - start < 5);
    }
    fixture_free(&f);
    /* Output closed early but the process lingers: also a timeout. */
    reset_env("[default]\ncredential_process = exec >&-; exec sleep 30\n", NULL);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "did not finish") != NULL);
    fixture_free(&f);
}

/* ------------------------------------------------------------------------- container */

static void test_container(void)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c;
    struct fixture f;
    struct server s;
    time_t now = time(NULL);
    char url[256];
    const char *old;

    if (server_start(&s, "--auth-token", "container-auth-token-1") != 0) {
        CHECK_MSG(0, "metadata server did not start");
        server_stop(&s);
        return;
    }

    /* FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN. */
    reset_env(NULL, NULL);
    snprintf(url, sizeof(url), "%s/container/full", s.base);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token-1", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->source, "container");
    CHECK_STR(c->access_key_id, "ASIACONTAINER1");
    CHECK_STR(c->secret_access_key, "container-secret-1");
    CHECK_STR(c->session_token, "container-session-token-1");
    CHECK(c->expiration > now + 3000);
    CHECK_INT(get(&f, now + 60, &c), CMFA_OK);   /* cached */
    CHECK_INT(server_count(&s, "container"), 1);
    fixture_free(&f);

    /* The wrong token: 401, and the token stays out of the message. */
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token-value", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "HTTP 401") != NULL);
    fixture_free(&f);
    CHECK_INT(server_count(&s, "unauthorized"), 1);

    /* The token file beats the variable and is read on every fetch. */
    write_file("token", "container-auth-token-1\n");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_of("token"), 1);
    server_set(&s, "expires_in=120");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIACONTAINER2");
    server_set(&s, "auth_token=container-auth-token-2");
    write_file("token", "container-auth-token-2");
    CHECK_INT(get(&f, now + 10, &c), CMFA_OK);   /* expires within 5 minutes: fetched again */
    CHECK_STR(c->access_key_id, "ASIACONTAINER3");
    CHECK_INT(server_count(&s, "container"), 3);
    fixture_free(&f);
    /* A missing token file is an error naming the file. */
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_of("no-token"), 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "no-token") != NULL);
    fixture_free(&f);
    /* A token with a line break inside is refused before sending. */
    write_file("token", "container-auth-token-2\r\nX-Injected: 1\n");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_of("token"), 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    fixture_free(&f);
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token-2", 1);
    server_set(&s, "expires_in=3600");

    /* Error status (retried, then a failure) and a body that is not JSON. */
    server_set(&s, "status_container=500");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "HTTP 500") != NULL);
    fixture_free(&f);
    CHECK_INT(server_count(&s, "container"), 6);
    server_set(&s, "status_container=200&body_container=not-json-container-secret-1");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "not a JSON object") != NULL);
    fixture_free(&f);
    server_set(&s, "body_container={\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"container-secret-2\","
                   "\"Token\":\"t\",\"Expiration\":\"never\"}");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "Expiration") != NULL);
    fixture_free(&f);
    server_set(&s, "body_container=");

    /* Refusal of plain http to hosts that are not loopback or the container hosts. */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    CHECK(strstr(f.err.message, "not allowed") != NULL);
    fixture_free(&f);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.example.com/creds", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    fixture_free(&f);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://user@127.0.0.1/creds", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    fixture_free(&f);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "file:///etc/passwd", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    fixture_free(&f);

    /* RELATIVE_URI: the default base is the ECS endpoint; the test points it at the server. */
    old = cmfa__cred_test_container_base(s.base);
    CHECK_STR(old, "http://169.254.170.2");
    server_set(&s, "auth_token=&status_container=200");
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/container/v2/credentials/abc", 1);
    /* RELATIVE_URI wins over FULL_URI (still set to the refused URL above). */
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_MSG(get(&f, now, &c) == CMFA_OK, "%s", f.err.message);
    if (c)
        CHECK_STR(c->source, "container");
    fixture_free(&f);
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "container/no-slash", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    fixture_free(&f);
    CHECK_STR(cmfa__cred_test_container_base(NULL), s.base);
    CHECK_STR(cmfa__cred_test_container_base(NULL), "http://169.254.170.2");

    /* Unreachable endpoint: a credentials error naming curl's reason. */
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "127.0.0.1:1") != NULL);
    fixture_free(&f);

    server_stop(&s);
}

/* ------------------------------------------------------------------------- IMDS */

static void imds_env(const struct server *s)
{
    reset_env(NULL, NULL);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s->base, 1);
}

static void test_imds(void)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c;
    struct fixture f;
    struct server s, v1;
    struct cmfa__buf body;
    struct cmfa_error err;
    char url[256];
    const char *hdr[] = {"X-aws-ec2-metadata-token: imds-session-secret-token", NULL};
    long status = 0;
    time_t now = time(NULL);

    if (server_start(&s, NULL, NULL) != 0) {
        CHECK_MSG(0, "metadata server did not start");
        server_stop(&s);
        return;
    }

    /* The server insists on the session token. */
    cmfa__buf_init(&body, 4096);
    cmfa_error_init(&err);
    snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/", s.base);
    CHECK_INT(cmfa__http_simple("GET", url, NULL, 2000, NULL, &status, &body, &err), CMFA_OK);
    CHECK_INT(status, 401);
    CHECK_INT(cmfa__http_simple("GET", url, hdr, 2000, NULL, &status, &body, &err), CMFA_OK);
    CHECK_INT(status, 200);
    CHECK_STR(body.data, "test-role");
    cmfa__buf_cleanup(&body);
    cmfa_error_cleanup(&err);
    CHECK_INT(server_count(&s, "unauthorized"), 1);

    /* Token, role, credentials. */
    imds_env(&s);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_MSG(get(&f, now, &c) == CMFA_OK, "%s", f.err.message);
    if (c) {
        CHECK_STR(c->source, "imds");
        CHECK_STR(c->access_key_id, "ASIAIMDS1");
        CHECK_STR(c->secret_access_key, "imds-secret-1");
        CHECK_STR(c->session_token, "imds-session-token-1");
        CHECK(c->expiration > now + 3000);
    }
    CHECK_INT(server_count(&s, "token"), 1);
    CHECK_INT(server_count(&s, "role"), 2);   /* the probe and the chain */
    CHECK_INT(server_count(&s, "creds"), 1);
    CHECK_INT(server_count(&s, "unauthorized"), 1);   /* only the probe above */
    /* Cached far from expiry, fetched again close to it. */
    CHECK_INT(get(&f, now + 60, &c), CMFA_OK);
    CHECK_INT(server_count(&s, "creds"), 1);
    CHECK_INT(get(&f, now + 3500, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIAIMDS2");
    CHECK_INT(server_count(&s, "token"), 2);
    CHECK_INT(server_count(&s, "creds"), 2);
    fixture_free(&f);

    /* Credentials that expire in 2 minutes are fetched on every get. */
    server_set(&s, "expires_in=120");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIAIMDS3");
    CHECK_INT(get(&f, now + 30, &c), CMFA_OK);
    CHECK_STR(c->access_key_id, "ASIAIMDS4");
    CHECK_INT(server_count(&s, "creds"), 4);
    fixture_free(&f);
    server_set(&s, "expires_in=3600");

    /* The profile's endpoint setting; the environment wins over it. */
    {
        char text[256];
        snprintf(text, sizeof(text), "[default]\nec2_metadata_service_endpoint = %s/\n", s.base);
        reset_env(text, NULL);
        unsetenv("AWS_EC2_METADATA_DISABLED");
        CHECK_INT(fixture_new(&f, &o), CMFA_OK);
        CHECK_INT(get(&f, now, &c), CMFA_OK);
        fixture_free(&f);
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ftp://nope", 1);
        CHECK_INT(fixture_new(&f, &o), CMFA_OK);
        CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
        fixture_free(&f);
    }

    /* AWS_EC2_METADATA_DISABLED: nothing is asked. */
    imds_env(&s);
    setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_NO_CREDENTIALS);
    CHECK(strstr(f.err.message, "disabled by AWS_EC2_METADATA_DISABLED") != NULL);
    fixture_free(&f);
    CHECK_INT(server_count(&s, "token"), 5);

    /* No instance profile (404 on the role list): no credentials. */
    imds_env(&s);
    server_set(&s, "status_role=404");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_NO_CREDENTIALS);
    CHECK(strstr(f.err.message, "no instance profile") != NULL);
    fixture_free(&f);
    server_set(&s, "status_role=200");

    /* Broken credentials document: a credentials error. */
    server_set(&s, "status_creds=500");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "HTTP 500") != NULL);
    fixture_free(&f);
    server_set(&s, "status_creds=200&body_creds={\"Code\":\"Failure\",\"AccessKeyId\":\"A\","
                   "\"SecretAccessKey\":\"imds-secret-3\"}");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "Code") != NULL);
    fixture_free(&f);
    server_set(&s, "role=bad/role");
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CREDENTIALS);
    CHECK(strstr(f.err.message, "malformed role name") != NULL);
    fixture_free(&f);
    server_set(&s, "role=test-role");

    /* A slow IMDS fails fast (1 s default timeout) and the chain reports no credentials. */
    server_set(&s, "delay_token=4");
    {
        time_t start = time(NULL);
        CHECK_INT(fixture_new(&f, &o), CMFA_OK);
        CHECK_INT(get(&f, now, &c), CMFA_E_NO_CREDENTIALS);
        CHECK(strstr(f.err.message, "EC2 instance metadata") != NULL);
        CHECK(time(NULL) - start <= 3);
        fixture_free(&f);
    }
    server_set(&s, "delay_token=0");
    setenv("AWS_METADATA_SERVICE_TIMEOUT", "zero", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_CONFIG);
    fixture_free(&f);
    unsetenv("AWS_METADATA_SERVICE_TIMEOUT");

    /* Nothing listening: no credentials, with curl's reason. */
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
    CHECK_INT(fixture_new(&f, &o), CMFA_OK);
    CHECK_INT(get(&f, now, &c), CMFA_E_NO_CREDENTIALS);
    CHECK(strstr(f.err.message, "127.0.0.1:1") != NULL);
    fixture_free(&f);

    /* IMDSv1 fallback when the token PUT is not supported, unless v1 is disabled. */
    if (server_start(&v1, "--imds-v1", NULL) == 0) {
        imds_env(&v1);
        CHECK_INT(fixture_new(&f, &o), CMFA_OK);
        CHECK_MSG(get(&f, now, &c) == CMFA_OK, "%s", f.err.message);
        if (c)
            CHECK_STR(c->source, "imds");
        fixture_free(&f);
        setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
        CHECK_INT(fixture_new(&f, &o), CMFA_OK);
        CHECK_INT(get(&f, now, &c), CMFA_E_NO_CREDENTIALS);
        CHECK(strstr(f.err.message, "IMDSv1 is disabled") != NULL);
        fixture_free(&f);
    } else {
        CHECK_MSG(0, "second metadata server did not start");
    }
    server_stop(&v1);
    server_stop(&s);
}

/* ------------------------------------------------------------------------- http.c */

static void test_http(void)
{
    struct cmfa__buf body;
    struct cmfa_error err;
    struct server s;
    char url[256];
    long status = -1;

    cmfa__buf_init(&body, 4096);
    cmfa_error_init(&err);
    CHECK_INT(cmfa__http_simple("POST", "http://127.0.0.1:1/", NULL, 100, NULL, &status, &body,
                                &err),
              CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa__http_simple("GET", "http://127.0.0.1:1/", NULL, 1000, NULL, &status, &body,
                                &err),
              CMFA_E_TRANSPORT);
    CHECK(strstr(err.message, "GET http://127.0.0.1:1/") != NULL);
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa__http_simple("GET", "file:///etc/hostname", NULL, 1000, NULL, &status, &body,
                                &err),
              CMFA_E_TRANSPORT);
    cmfa_error_cleanup(&err);

    if (server_start(&s, NULL, NULL) != 0) {
        CHECK_MSG(0, "metadata server did not start");
        server_stop(&s);
        cmfa__buf_cleanup(&body);
        return;
    }
    /* Body cap. */
    snprintf(url, sizeof(url), "%s/container/x", s.base);
    body.max = 16;
    CHECK_INT(cmfa__http_simple("GET", url, NULL, 2000, NULL, &status, &body, &err),
              CMFA_E_TOO_LARGE);
    cmfa_error_cleanup(&err);
    body.max = 4096;
    /* Timeout. */
    server_set(&s, "delay_container=3");
    CHECK_INT(cmfa__http_simple("GET", url, NULL, 300, NULL, &status, &body, &err),
              CMFA_E_TIMEOUT);
    cmfa_error_cleanup(&err);
    server_set(&s, "delay_container=0");
    /* PUT and status out. */
    snprintf(url, sizeof(url), "%s/latest/api/token", s.base);
    CHECK_INT(cmfa__http_simple("PUT", url, NULL, 2000, NULL, &status, &body, &err), CMFA_OK);
    CHECK_INT(status, 400);   /* no TTL header */
    snprintf(url, sizeof(url), "%s/nowhere?secret=1", s.base);
    CHECK_INT(cmfa__http_simple("GET", url, NULL, 2000, NULL, &status, &body, &err), CMFA_OK);
    CHECK_INT(status, 404);
    server_stop(&s);
    cmfa__buf_cleanup(&body);
    cmfa_error_cleanup(&err);
}

/* One run of the file-based chain (resolve, make the chain, get): CMFA_OK or what failed. */
/* The container provider's request and parser on their own (no I/O): what the integrator sends
 * over a cosocket. */
static void test_container_request(void)
{
    struct cmfa_request *req = NULL;
    struct cmfa__credentials c;
    struct cmfa_response r;
    struct cmfa_error err;

    reset_env(NULL, NULL);
    cmfa_error_init(&err);
    CHECK_INT(cmfa__container_request(&req, &err), CMFA_E_NO_CREDENTIALS);
    CHECK(req == NULL && err.code == CMFA_OK);

    /* EKS Pod Identity: http to 169.254.170.23 and [fd00:ec2::23] is allowed */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token-value", 1);
    write_file("eks-token", "container-auth-token-1\n");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_of("eks-token"), 1);
    CHECK_INT(cmfa__container_request(&req, &err), CMFA_OK);
    if (req) {
        CHECK_STR(req->method, "GET");
        CHECK_STR(req->url, "http://169.254.170.23/v1/credentials");
        CHECK_STR(req->host, "169.254.170.23");
        CHECK_STR(cmfa__header_get(req->headers, req->nheaders, "Accept"), "application/json");
        /* the file wins over the variable */
        CHECK_STR(cmfa__header_get(req->headers, req->nheaders, "Authorization"),
                  "container-auth-token-1");
    }
    cmfa_request_free(req);
    /* read again at every fetch */
    write_file("eks-token", "container-auth-token-2");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[fd00:ec2::23]/v1/credentials", 1);
    CHECK_INT(cmfa__container_request(&req, &err), CMFA_OK);
    if (req) {
        CHECK_STR(req->host, "[fd00:ec2::23]");
        CHECK_STR(cmfa__header_get(req->headers, req->nheaders, "Authorization"),
                  "container-auth-token-2");
    }
    cmfa_request_free(req);
    /* CR or LF inside the token: refused, nothing sent */
    write_file("eks-token", "container-auth-token\r\nX-Injected: 1");
    CHECK_INT(cmfa__container_request(&req, &err), CMFA_E_CONFIG);
    CHECK(req == NULL && strstr(err.message, "line breaks") != NULL);
    check_no_secrets(err.message);
    cmfa_error_cleanup(&err);
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token\nX: y", 1);
    CHECK_INT(cmfa__container_request(&req, &err), CMFA_E_CONFIG);
    cmfa_error_cleanup(&err);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token", 1);
    CHECK_INT(cmfa__container_request(&req, &err), CMFA_OK);
    if (req)
        CHECK_STR(cmfa__header_get(req->headers, req->nheaders, "Authorization"),
                  "container-auth-token");
    cmfa_request_free(req);
    /* plain http elsewhere is refused */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.24/creds", 1);
    CHECK_INT(cmfa__container_request(&req, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "169.254.170.24") != NULL);
    cmfa_error_cleanup(&err);

    memset(&r, 0, sizeof(r));
    r.status = 200;
    r.body = "{\"AccessKeyId\":\"AKIDc\",\"SecretAccessKey\":\"-secret-1\",\"Token\":"
             "\"session-token-c\",\"Expiration\":\"2999-01-01T00:00:00Z\"}";
    r.body_len = strlen(r.body);
    CHECK_INT(cmfa__container_parse(&r, time(NULL), &c, &err), CMFA_OK);
    CHECK_STR(c.access_key_id, "AKIDc");
    CHECK_STR(c.session_token, "session-token-c");
    CHECK_STR(c.source, "container");
    cmfa__credentials_cleanup(&c);
    r.status = 403;
    CHECK_INT(cmfa__container_parse(&r, time(NULL), &c, &err), CMFA_E_CREDENTIALS);
    CHECK(strstr(err.message, "HTTP 403") != NULL);
    check_no_secrets(err.message);
    cmfa_error_cleanup(&err);
    reset_env(NULL, NULL);
}

static cmfa_code files_chain_once(void)
{
    struct cmfa_client_options o = base_options();
    const struct cmfa__credentials *c = NULL;
    struct fixture f;
    cmfa_code rc;

    o.profile = "alloc";
    rc = fixture_new(&f, &o);
    if (rc == CMFA_OK)
        rc = cmfa__cred_chain_get(f.chain, time(NULL), &c, &f.err);
    if (rc == CMFA_OK && (!c || strcmp(c->secret_access_key, "alloc-secret") != 0))
        rc = CMFA_E_INTERNAL;
    fixture_free(&f);
    return rc;
}

/* Every allocation of config resolution and of the file providers can fail cleanly. */
static void test_alloc_failures(void)
{
    reset_env("[profile alloc]\nregion = eu-west-1\n",
              "[alloc]\naws_access_key_id = AKIDALLOC\naws_secret_access_key = alloc-secret\n"
              "aws_session_token = alloc-token\n");
    alloc_loop("file credentials chain", files_chain_once);
}

/* The parsers of provider answers on their own (the fuzz_credential_json entry points). */
static void test_answer_parsers(void)
{
    static const struct {
        const char *body;
        size_t len;
        int ok;
        const char *role;
    } roles[] = {
        {"my-role\n", 8, 1, "my-role"},
        {"role+=,.@_-x   \r\nsecond\n", 24, 1, "role+=,.@_-x"},
        {"a/b", 3, 0, ""},
        {"", 0, 0, ""},
        {"\n", 1, 0, ""},
        {"ro\0le", 5, 1, "ro"},      /* the first line ends at a NUL as at a line break */
        {"\0role", 5, 0, ""},
    };
    static const struct {
        const char *url;
        int ok;
    } urls[] = {
        {"http://127.0.0.1:8080/creds", 1}, {"http://169.254.170.2/v2/x", 1},
        {"http://169.254.170.23/v1", 1},    {"http://[fd00:ec2::23]/v1", 1},
        {"http://[::1]:80/", 1},            {"HTTP://LOCALHOST/x", 1},
        {"https://any.example.com/x", 1},   {"http://localhost@evil.example/", 0},
        {"http://127.0.0.1.evil.example/", 0}, {"http://10.0.0.1/", 0},
        {"ftp://127.0.0.1/", 0},            {"https://", 0},
        {"http://127.0.0.1x/", 0},          {"http://[fd00:ec2::23/", 0},
    };
    char role[129], big[200];
    struct cmfa__credentials c;
    struct cmfa_error err;
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(roles); i++) {
        CHECK_MSG(cmfa__imds_role_name(roles[i].body, roles[i].len, role) == roles[i].ok,
                  "role case %zu", i);
        CHECK_STR(role, roles[i].role);
    }
    memset(big, 'a', sizeof(big));
    CHECK_INT(cmfa__imds_role_name(big, 128, role), 1);
    CHECK_INT(cmfa__imds_role_name(big, 129, role), 0);
    for (i = 0; i < CMFA__ARRAY_LEN(urls); i++)
        CHECK_MSG(cmfa__container_url_allowed(urls[i].url) == urls[i].ok, "%s", urls[i].url);

    memset(&c, 0, sizeof(c));
    cmfa_error_init(&err);
    CHECK_INT(cmfa__credentials_from_json(CMFA__CRED_JSON_IMDS,
                                          "{\"Code\":\"Success\",\"AccessKeyId\":\"A\","
                                          "\"SecretAccessKey\":\"s\",\"Token\":\"t\"}",
                                          70, 1000, &c, &err),
              CMFA_OK);
    CHECK_STR(c.source, "imds");
    CHECK_STR(c.session_token, "t");
    cmfa__credentials_cleanup(&c);
    CHECK_INT(cmfa__credentials_from_json(CMFA__CRED_JSON_PROCESS, "{\"Version\":1}", 13, 1000,
                                          &c, &err),
              CMFA_E_CREDENTIALS);
    CHECK_STR(err.message, "credential_process output lacks AccessKeyId or SecretAccessKey");
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa__credentials_from_json((enum cmfa__cred_json)7, "{}", 2, 1000, &c, &err),
              CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    clear_aws_env();
    test_explicit_and_environment();
    test_files();
    test_nothing_found();
    test_process();
    test_container();
    test_container_request();
    test_imds();
    test_http();
    test_answer_parsers();
    test_alloc_failures();
    clear_aws_env();
    curl_global_cleanup();
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_done("test_credentials");
}
