/* Secrets at rest in memory: every block the library frees or moves (cmfa_free, cmfa_realloc)
 * is searched, just before it goes, for the secret access key, the session token and the
 * request signature (through the cmfa__alloc_set_release_hook test hook). None may be found:
 * buffers that held them are wiped first (cmfa__wipe, OPENSSL_cleanse).
 *
 * Covered: explicit credentials, a shared credentials file, credential_process output, a
 * signed request and its debug text, a call that goes through the libcurl transport (to a
 * closed loopback port), secret buffers that grow. The detector itself is checked first: a
 * plain buffer freed with a secret in it is reported.
 *
 * Not covered here: copies libcurl makes of the request headers in its own memory (its
 * allocations do not go through cmfa_malloc), Lua strings in the binding (immutable). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, malloc_usable_size */
#endif
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#include <cmfa/cmfa.h>

#include "check.h"
#include "cmfa_int.h"

static char tmpdir[] = "/tmp/cmfa-test-secrets-XXXXXX";
#include "check_env.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETzKEY"
#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLEzSESSIONzTOKENzVALUEz0123456789"
#define FILE_SECRET "fileSecretKeyzzzz0123456789abcdefghijklmn"
#define FILE_TOKEN "FileSessionTokenzzzz0123456789abcdefghijklmnop"
#define PROCESS_SECRET "processSecretKeyzz0123456789abcdefghijklm"
#define PROCESS_TOKEN "ProcessSessionTokenzz0123456789abcdefghijkl"

static const char *needles[8];
static size_t nneedles;
static int found;                /* blocks released with a needle inside */
static char first_found[128];

static void watch(const char *needle)
{
    if (nneedles < sizeof(needles) / sizeof(needles[0]))
        needles[nneedles++] = needle;
}

static void on_release(void *p)
{
    size_t n = malloc_usable_size(p), i;

    /* spare capacity may never have been written: that is fine to read here */
    VALGRIND_MAKE_MEM_DEFINED(p, n);
    for (i = 0; i < nneedles; i++) {
        if (memmem(p, n, needles[i], strlen(needles[i]))) {
            if (found++ == 0)
                snprintf(first_found, sizeof(first_found), "%.40s...", needles[i]);
        }
    }
}

static void watch_start(void)
{
    nneedles = 0;
    found = 0;
    first_found[0] = '\0';
    cmfa__alloc_set_release_hook(on_release);
}

static int watch_stop(void)
{
    cmfa__alloc_set_release_hook(NULL);
    nneedles = 0;
    return found;
}

static void test_detector(void)
{
    struct cmfa__buf b;

    /* a plain buffer holding a secret when freed: reported (the detector works) */
    watch_start();
    watch(SECRET);
    cmfa__buf_init(&b, 0);
    CHECK_INT(cmfa__buf_addstr(&b, "key=" SECRET), CMFA_OK);
    cmfa__buf_cleanup(&b);
    CHECK_INT(watch_stop(), 1);

    /* a plain buffer that grows: the realloc moves a block with the secret in it */
    watch_start();
    watch(SECRET);
    cmfa__buf_init(&b, 0);
    CHECK_INT(cmfa__buf_addstr(&b, SECRET), CMFA_OK);
    while (b.cap < 4096)
        CHECK_INT(cmfa__buf_addc(&b, 'x'), CMFA_OK);
    cmfa__free_secret(cmfa__buf_take(&b, NULL));
    CHECK_MSG(watch_stop() >= 1, "a realloc of a secret went unnoticed");
}

static void test_secret_buffer(void)
{
    struct cmfa__buf b;
    char *taken;
    int i;

    watch_start();
    watch(SECRET);
    cmfa__buf_init_secret(&b, 0);
    CHECK_INT(cmfa__buf_addstr(&b, SECRET), CMFA_OK);
    for (i = 0; i < 5000; i++)   /* several growths */
        CHECK_INT(cmfa__buf_addc(&b, 'x'), CMFA_OK);
    CHECK(memcmp(b.data, SECRET, strlen(SECRET)) == 0);
    CHECK_INT(b.len, strlen(SECRET) + 5000);
    cmfa__buf_cleanup(&b);
    CHECK(b.secret);   /* still a secret buffer after cleanup, for reuse */
    CHECK_INT(cmfa__buf_addstr(&b, SECRET), CMFA_OK);
    taken = cmfa__buf_take(&b, NULL);
    CHECK_STR(taken, SECRET);
    cmfa__free_secret(taken);
    cmfa__buf_cleanup(&b);
    CHECK_MSG(watch_stop() == 0, "found %s", first_found);

    /* cmfa__wipe itself, and NULL / 0 */
    {
        char s[] = SECRET;
        size_t k;
        int zero = 1;

        cmfa__wipe(s, sizeof(s));
        for (k = 0; k < sizeof(s); k++)
            zero = zero && s[k] == 0;
        CHECK(zero);
        cmfa__wipe(NULL, 10);
        cmfa__wipe(s, 0);
        cmfa__free_secret(NULL);
    }
}

static void base_env(void)
{
    clear_aws_env();
    setenv("AWS_CONFIG_FILE", path_of("config"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("credentials"), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    write_file("config", "[default]\nregion = us-east-1\n");
    write_file("credentials", "");
}

/* Signs a request, renders its debug text, and (with call) sends it to a closed port
 * through libcurl; then frees everything. Watches the signature too. */
static void sign_and_free(struct cmfa_client_options *o, int call)
{
    struct cmfa_error err;
    struct cmfa_client *c;
    struct cmfa_request *req;
    struct cmfa_value *out = NULL;
    char signature[80] = "";
    char *text;
    size_t i;

    cmfa_error_init(&err);
    o->endpoint_url = "http://127.0.0.1:9";   /* discard port: closed on a test machine */
    o->max_attempts = 1;
    o->connect_timeout_ms = 2000;
    c = cmfa_client_new(o, &err);
    CHECK_MSG(c != NULL, "%s", err.message);
    if (!c)
        return;
    req = cmfa_prepare_json(c, "GetUserPoolMfaConfig", "{\"UserPoolId\":\"us-east-1_Abc\"}", 30,
                            &err);
    CHECK_MSG(req != NULL, "%s", err.message);
    if (req) {
        for (i = 0; i < req->nheaders; i++) {
            const char *sig = strstr(req->headers[i].value, "Signature=");
            if (strcmp(req->headers[i].name, "Authorization") == 0 && sig)
                snprintf(signature, sizeof(signature), "%s", sig + 10);
        }
        CHECK_INT(strlen(signature), 64);
        watch(signature);
        text = cmfa_request_debug_text(req, NULL);
        CHECK(text != NULL);
        if (text) {
            CHECK(strstr(text, signature) == NULL);   /* redacted */
            cmfa_free(text);
        }
        cmfa_request_free(req);
    }
    if (call) {
        struct cmfa_value *in = cmfa_value_parse("{\"UserPoolId\":\"us-east-1_Abc\"}", 30, &err);

        CHECK(in != NULL);
        CHECK(cmfa_call(c, "GetUserPoolMfaConfig", in, &out, &err) != CMFA_OK);
        CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_TRANSPORT);
        cmfa_value_free(in);
        cmfa_value_free(out);
    }
    cmfa_client_free(c);
    cmfa_error_cleanup(&err);
}

static void test_explicit(void)
{
    struct cmfa_client_options o;

    base_env();
    memset(&o, 0, sizeof(o));
    o.access_key_id = "AKIDSECRETSTEST";
    o.secret_access_key = SECRET;
    o.session_token = TOKEN;
    watch_start();
    watch(SECRET);
    watch(TOKEN);
    sign_and_free(&o, 1);
    CHECK_MSG(watch_stop() == 0, "explicit credentials: found %s", first_found);
}

static void test_credentials_file(void)
{
    struct cmfa_client_options o;

    base_env();
    write_file("credentials", "[default]\naws_access_key_id = AKIDFILE\n"
               "aws_secret_access_key = " FILE_SECRET "\n"
               "aws_session_token = " FILE_TOKEN "\n"
               "[other]\naws_secret_access_key = " FILE_SECRET "\n  nested = x\n");
    memset(&o, 0, sizeof(o));
    watch_start();
    watch(FILE_SECRET);
    watch(FILE_TOKEN);
    sign_and_free(&o, 0);
    CHECK_MSG(watch_stop() == 0, "credentials file: found %s", first_found);
}

static void test_process(void)
{
    struct cmfa_client_options o;

    base_env();
    write_file("config", "[default]\nregion = us-east-1\ncredential_process = printf '%s' "
               "'{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \""
               PROCESS_SECRET "\", \"SessionToken\": \"" PROCESS_TOKEN "\", "
               "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
    memset(&o, 0, sizeof(o));
    watch_start();
    watch(PROCESS_SECRET);
    watch(PROCESS_TOKEN);
    sign_and_free(&o, 0);
    CHECK_MSG(watch_stop() == 0, "credential_process: found %s", first_found);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    CHECK_INT(cmfa_global_init(), CMFA_OK);
    test_detector();
    test_secret_buffer();
    test_explicit();
    test_credentials_file();
    test_process();
    cmfa_global_cleanup();
    unlink(path_of("config"));
    unlink(path_of("credentials"));
    rmdir(tmpdir);
    return check_done("test_secrets");
}
