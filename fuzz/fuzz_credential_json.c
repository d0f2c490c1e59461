/* Fuzz target: what credential providers read from outside the process: the JSON printed by a
 * credential_process command, the container credentials endpoint's answer, the instance
 * metadata service's role-name and credentials answers, and the container URL taken from
 * AWS_CONTAINER_CREDENTIALS_FULL_URI.
 *
 * Input: one byte choosing the parser (modulo 5: process, container, IMDS credentials JSON,
 * IMDS role name, container URL), then the answer.
 *
 * Properties: no crash, leak or UB; parsed credentials have a key id and a secret, the source
 * of the provider and an expiration of 0 or after "now"; a refusal is CMFA_E_CREDENTIALS with a
 * message naming the source and never quoting the answer; a role name is the answer's first
 * line made of the allowed characters; an allowed http container URL has no user info. */
#include <strings.h>

#include "fuzz_common.h"

#define NOW ((time_t)1700000000)   /* 2023-11-14T22:13:20Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(enum cmfa__cred_json kind, const char *body, size_t len)
{
    static const char *const what[] = {"credential_process output",
                                       "container credentials response",
                                       "EC2 instance metadata credentials"};
    static const char *const source[] = {"process", "container", "imds"};
    struct cmfa__credentials creds;
    struct cmfa_error err;
    cmfa_code rc;
    const char *p;

    memset(&creds, 0, sizeof(creds));
    cmfa_error_init(&err);
    rc = cmfa__credentials_from_json(kind, body, len, NOW, &creds, &err);
    fuzz_check_error(&err);
    FUZZ_ASSERT(rc == err.code);
    if (rc == CMFA_OK) {
        FUZZ_ASSERT(creds.access_key_id && creds.access_key_id[0]);
        FUZZ_ASSERT(creds.secret_access_key && creds.secret_access_key[0]);
        FUZZ_ASSERT(!creds.session_token || creds.session_token[0]);
        FUZZ_ASSERT(creds.source && strcmp(creds.source, source[kind]) == 0);
        FUZZ_ASSERT(creds.expiration == 0 || creds.expiration > NOW);
    } else {
        FUZZ_ASSERT(rc == CMFA_E_CREDENTIALS || rc == CMFA_E_NOMEM);
        FUZZ_ASSERT(creds.access_key_id == NULL && creds.secret_access_key == NULL);
        if (rc == CMFA_E_CREDENTIALS)
            FUZZ_ASSERT(strncmp(err.message, what[kind], strlen(what[kind])) == 0);
        for (p = err.message; *p; p++)
            FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f);
    }
    cmfa__credentials_cleanup(&creds);
    cmfa_error_cleanup(&err);
}

static void check_role(const char *body, size_t len)
{
    char role[129];
    size_t n, i;

    memset(role, 'x', sizeof(role));
    if (!cmfa__imds_role_name(body, len, role)) {
        FUZZ_ASSERT(role[0] == '\0');
        return;
    }
    n = strlen(role);
    FUZZ_ASSERT(n >= 1 && n <= 128 && n <= len);
    FUZZ_ASSERT(memcmp(role, body, n) == 0);
    for (i = 0; i < n; i++)
        FUZZ_ASSERT((role[i] >= 'a' && role[i] <= 'z') || (role[i] >= 'A' && role[i] <= 'Z') ||
                    (role[i] >= '0' && role[i] <= '9') || strchr("+=,.@_-", role[i]));
}

static void check_container_url(const uint8_t *data, size_t len)
{
    char *url = fuzz_strndup(data, len);
    int ok = cmfa__container_url_allowed(url);

    FUZZ_ASSERT(ok == 0 || ok == 1);
    if (ok && strncasecmp(url, "http://", 7) == 0) {
        const char *h = url + 7;
        size_t n = strcspn(h, "/?#");
        FUZZ_ASSERT(memchr(h, '@', n) == NULL);
        FUZZ_ASSERT(n > 0);
    }
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    unsigned which = fuzz_byte(&in) % 5;
    char *body;

    if (which == 4) {
        check_container_url(in.data, in.len);
        return 0;
    }
    /* The answer's exact bytes, without a terminator: over-reads show up under ASan. */
    body = malloc(in.len ? in.len : 1);
    if (!body)
        abort();
    if (in.len)
        memcpy(body, in.data, in.len);
    if (which == 3)
        check_role(body, in.len);
    else
        check_json((enum cmfa__cred_json)which, body, in.len);
    free(body);
    return 0;
}
