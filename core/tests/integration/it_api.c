/* Integration test of get, set, list, describe and the generic call against a real local
 * Cognito emulator, started by tools/peer.py: moto (replace semantics), moto with signature
 * checking (moto-auth), or cognito-local (merge semantics). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmfa_int.h"
#include "../check.h"

static const char *peer;
static int is_moto, is_cognito_local;

static struct cmfa_client *make_client(const char *akid, const char *secret)
{
    struct cmfa_client_options o;
    struct cmfa_error err;
    struct cmfa_client *c;

    memset(&o, 0, sizeof(o));
    o.endpoint_url = getenv("CMFA_TEST_ENDPOINT");
    o.region = "us-east-1";
    o.access_key_id = akid;
    o.secret_access_key = secret;
    o.retry_seed = 42;
    o.read_timeout_ms = 20000;
    cmfa_error_init(&err);
    c = cmfa_client_new(&o, &err);
    CHECK_MSG(c != NULL, "client: %s", err.message);
    cmfa_error_cleanup(&err);
    return c;
}

/* Creates a pool through the generic call; returns its id (free()). */
static char *create_pool(struct cmfa_client *c, const char *name)
{
    struct cmfa_error err;
    char body[256], *out = NULL, *id = NULL;
    struct cmfa_value *v;
    size_t len = 0;
    cmfa_code rc;

    cmfa_error_init(&err);
    snprintf(body, sizeof(body), "{\"PoolName\":\"%s\"}", name);
    rc = cmfa_call_json(c, "CreateUserPool", body, strlen(body), &out, &len, &err);
    CHECK_MSG(rc == CMFA_OK, "CreateUserPool: %s", err.message);
    if (rc == CMFA_OK) {
        v = cmfa_value_parse(out, len, &err);
        CHECK(v != NULL);
        if (v) {
            const char *s = cmfa_value_string(cmfa_value_path(v, "UserPool.Id"), NULL);
            CHECK(s != NULL);
            id = s ? strdup(s) : NULL;
            cmfa_value_free(v);
        }
    }
    cmfa_free(out);
    cmfa_error_cleanup(&err);
    return id;
}

static struct cmfa_value *json(const char *text)
{
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa_value_parse(text, strlen(text), &err);
    CHECK_MSG(v != NULL, "parse %s: %s", text, err.message);
    cmfa_error_cleanup(&err);
    return v;
}

static const char *str_at(const struct cmfa_value *v, const char *path)
{
    const char *s = cmfa_value_string(cmfa_value_path(v, path), NULL);
    return s ? s : "(absent)";
}

static void test_get_new_pool(struct cmfa_client *c, const char *pool)
{
    struct cmfa_error err;
    struct cmfa_value *out = NULL;
    cmfa_code rc;

    cmfa_error_init(&err);
    rc = cmfa_get_user_pool_mfa_config(c, pool, &out, &err);
    CHECK_MSG(rc == CMFA_OK, "get: %s", err.message);
    CHECK_STR(str_at(out, "MfaConfiguration"), "OFF");
    CHECK_INT(err.attempts, 1);
    cmfa_value_free(out);
    cmfa_error_cleanup(&err);
}

static void test_set_then_get(struct cmfa_client *c, const char *pool)
{
    struct cmfa_error err;
    struct cmfa_value *in, *out = NULL;
    char text[1024];
    cmfa_code rc;

    cmfa_error_init(&err);
    /* TOTP only, ON */
    snprintf(text, sizeof(text),
             "{\"UserPoolId\":\"%s\",\"MfaConfiguration\":\"ON\","
             "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true}}", pool);
    in = json(text);
    rc = cmfa_set_user_pool_mfa_config(c, in, &out, &err);
    CHECK_MSG(rc == CMFA_OK, "set: %s", err.message);
    cmfa_value_free(in);
    cmfa_value_free(out);
    out = NULL;
    rc = cmfa_get_user_pool_mfa_config(c, pool, &out, &err);
    CHECK_MSG(rc == CMFA_OK, "get: %s", err.message);
    CHECK_STR(str_at(out, "MfaConfiguration"), "ON");
    CHECK(cmfa_value_type(cmfa_value_path(out, "SoftwareTokenMfaConfiguration.Enabled")) ==
          CMFA_TYPE_BOOL);
    CHECK(cmfa_value_bool(cmfa_value_path(out, "SoftwareTokenMfaConfiguration.Enabled")) == 1);
    cmfa_value_free(out);
    out = NULL;

    /* SMS + TOTP (enabled=false stays a JSON false), OPTIONAL */
    snprintf(text, sizeof(text),
             "{\"UserPoolId\":\"%s\",\"MfaConfiguration\":\"OPTIONAL\","
             "\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"Your code is {####}\","
             "\"SmsConfiguration\":{\"SnsCallerArn\":\"arn:aws:iam::123456789012:role/sms\","
             "\"ExternalId\":\"ext-1\",\"SnsRegion\":\"us-east-1\"}},"
             "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":false}}", pool);
    in = json(text);
    rc = cmfa_set_user_pool_mfa_config(c, in, &out, &err);
    CHECK_MSG(rc == CMFA_OK, "set sms: %s", err.message);
    cmfa_value_free(in);
    cmfa_value_free(out);
    out = NULL;
    rc = cmfa_get_user_pool_mfa_config(c, pool, &out, &err);
    CHECK_MSG(rc == CMFA_OK, "get: %s", err.message);
    CHECK_STR(str_at(out, "MfaConfiguration"), "OPTIONAL");
    CHECK_STR(str_at(out, "SmsMfaConfiguration.SmsAuthenticationMessage"), "Your code is {####}");
    CHECK_STR(str_at(out, "SmsMfaConfiguration.SmsConfiguration.SnsCallerArn"),
              "arn:aws:iam::123456789012:role/sms");
    CHECK_STR(str_at(out, "SmsMfaConfiguration.SmsConfiguration.ExternalId"), "ext-1");
    CHECK(cmfa_value_type(cmfa_value_path(out, "SoftwareTokenMfaConfiguration.Enabled")) ==
          CMFA_TYPE_BOOL);
    CHECK(cmfa_value_bool(cmfa_value_path(out, "SoftwareTokenMfaConfiguration.Enabled")) == 0);
    cmfa_value_free(out);
    cmfa_error_cleanup(&err);
}

static void test_list_pages(struct cmfa_client *c, int created)
{
    struct cmfa_error err;
    struct cmfa_value *out = NULL;
    char *token = NULL;
    int total = 0, pages = 0;
    cmfa_code rc;

    cmfa_error_init(&err);
    do {
        rc = cmfa_list_user_pools(c, 2, token, &out, &err);
        CHECK_MSG(rc == CMFA_OK, "list: %s", err.message);
        free(token);
        token = NULL;
        if (rc != CMFA_OK)
            break;
        pages++;
        total += (int)cmfa_value_count(cmfa_value_get(out, "UserPools"));
        CHECK(cmfa_value_type(cmfa_value_get(out, "UserPools")) == CMFA_TYPE_ARRAY);
        if (cmfa_value_get(out, "NextToken"))
            token = strdup(cmfa_value_string(cmfa_value_get(out, "NextToken"), NULL));
        cmfa_value_free(out);
        out = NULL;
    } while (token && pages < 100);
    CHECK_MSG(total >= created, "listed %d pools, created %d", total, created);
    if (is_moto)
        CHECK_MSG(pages >= created / 2, "moto pages: %d", pages);
    free(token);
    cmfa_error_cleanup(&err);
}

static void test_describe(struct cmfa_client *c, const char *pool)
{
    struct cmfa_error err;
    struct cmfa_value *out = NULL;
    cmfa_code rc;

    cmfa_error_init(&err);
    rc = cmfa_describe_user_pool(c, pool, &out, &err);
    CHECK_MSG(rc == CMFA_OK, "describe: %s", err.message);
    CHECK_STR(str_at(out, "UserPool.Id"), pool);
    CHECK_STR(str_at(out, "UserPool.Name"), "cmfa-it-0");
    /* members outside the model are kept: the whole response passes through */
    CHECK(cmfa_value_count(cmfa_value_get(out, "UserPool")) > 4);
    cmfa_value_free(out);
    cmfa_error_cleanup(&err);
}

static void test_errors(struct cmfa_client *c)
{
    struct cmfa_error err;
    struct cmfa_value *out = NULL;
    cmfa_code rc;

    cmfa_error_init(&err);
    rc = cmfa_get_user_pool_mfa_config(c, "us-east-1_DoesNotExist0", &out, &err);
    CHECK_INT(rc, CMFA_E_SERVICE);
    CHECK_STR(err.service_code, "ResourceNotFoundException");
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_SERVICE);
    CHECK_INT(err.status, 400);
    CHECK_INT(err.retryable, 0);
    CHECK_INT(err.attempts, 1);
    CHECK(err.message[0] != '\0');
    if (is_moto)
        CHECK(err.request_id[0] != '\0');
    cmfa_error_cleanup(&err);

    /* a request that breaks the model is refused before anything is sent */
    rc = cmfa_get_user_pool_mfa_config(c, " bad pool", &out, &err);
    CHECK_INT(rc, CMFA_E_VALIDATION);
    CHECK_INT(err.attempts, 0);
    CHECK(err.nviolations >= 1);
    if (err.nviolations)
        CHECK_STR(err.violations[0].path, "UserPoolId");
    cmfa_error_cleanup(&err);
}

static void test_generic(struct cmfa_client *c, const char *pool)
{
    struct cmfa_error err;
    char body[256], *out = NULL;
    size_t len = 0;
    cmfa_code rc;

    cmfa_error_init(&err);
    snprintf(body, sizeof(body), "{\"UserPoolId\":\"%s\",\"ClientName\":\"cmfa-app\"}", pool);
    rc = cmfa_call_json(c, "CreateUserPoolClient", body, strlen(body), &out, &len, &err);
    CHECK_MSG(rc == CMFA_OK, "CreateUserPoolClient: %s", err.message);
    CHECK(out && strstr(out, "cmfa-app") != NULL);
    cmfa_free(out);
    out = NULL;
    /* a modelled operation through the generic call is validated too */
    rc = cmfa_call_json(c, "ListUserPools", "{\"MaxResults\":0}", 16, &out, &len, &err);
    CHECK_INT(rc, CMFA_E_VALIDATION);
    CHECK(out == NULL);
    cmfa_error_cleanup(&err);
}

static void test_bad_signature(void)
{
    struct cmfa_client *c = make_client(getenv("CMFA_TEST_ACCESS_KEY_ID"), "wrong-secret");
    struct cmfa_error err;
    char *out = NULL;
    size_t len;
    cmfa_code rc;

    if (!c)
        return;
    cmfa_error_init(&err);
    rc = cmfa_call_json(c, "ListUserPools", "{\"MaxResults\":5}", 16, &out, &len, &err);
    CHECK_INT(rc, CMFA_E_SERVICE);
    CHECK_MSG(strcmp(err.service_code, "SignatureDoesNotMatch") == 0 ||
              strcmp(err.service_code, "InvalidSignatureException") == 0,
              "code %s: %s", err.service_code, err.message);
    CHECK(strstr(err.message, "wrong-secret") == NULL);
    CHECK_INT(err.attempts, 1);
    cmfa_error_cleanup(&err);
    cmfa_client_free(c);
}

/* cmfa_call_many gives the same answers as one call after another. */
static void test_call_many(struct cmfa_client *c, char **pools, int npools)
{
    struct cmfa_batch_item items[8];
    struct cmfa_value *inputs[8];
    struct cmfa_error err;
    int i, n = npools + 1;
    cmfa_code rc;

    cmfa_error_init(&err);
    for (i = 0; i < n; i++) {
        const char *id = i < npools ? pools[i] : "us-east-1_Missing000";
        inputs[i] = cmfa_value_new_object();
        cmfa_value_set(inputs[i], "UserPoolId", cmfa_value_new_string(id, strlen(id)));
        items[i].input = inputs[i];
    }
    rc = cmfa_call_many(c, "GetUserPoolMfaConfig", items, (size_t)n, 3, &err);
    CHECK_INT(rc, CMFA_OK);
    for (i = 0; i < n; i++) {
        struct cmfa_value *serial = NULL;
        struct cmfa_error serr;
        cmfa_error_init(&serr);
        cmfa_call(c, "GetUserPoolMfaConfig", inputs[i], &serial, &serr);
        CHECK_INT(items[i].err.code, serr.code);
        CHECK_STR(items[i].err.service_code, serr.service_code);
        if (serial && items[i].output) {
            char *a = cmfa_value_to_json(serial, 0, NULL), *b = cmfa_value_to_json(items[i].output, 0, NULL);
            CHECK_STR(a, b);
            cmfa_free(a);
            cmfa_free(b);
        }
        if (i == npools)
            CHECK_STR(items[i].err.service_code, "ResourceNotFoundException");
        cmfa_value_free(serial);
        cmfa_error_cleanup(&serr);
        cmfa_value_free(items[i].output);
        cmfa_error_cleanup(&items[i].err);
        cmfa_value_free(inputs[i]);
    }
}

int main(void)
{
    struct cmfa_client *c;
    char *pools[5];
    int i;

    peer = getenv("CMFA_TEST_PEER");
    if (!peer || !getenv("CMFA_TEST_ENDPOINT")) {
        fprintf(stderr, "run me through tools/peer.py\n");
        return 2;
    }
    is_moto = strncmp(peer, "moto", 4) == 0;
    is_cognito_local = strcmp(peer, "cognito-local") == 0;
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    if (strcmp(peer, "moto-auth") == 0)
        c = make_client(getenv("CMFA_TEST_ACCESS_KEY_ID"), getenv("CMFA_TEST_SECRET_ACCESS_KEY"));
    else
        c = make_client("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    if (!c)
        return check_done(peer);
    for (i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "cmfa-it-%d", i);
        pools[i] = create_pool(c, name);
    }
    if (pools[0]) {
        test_get_new_pool(c, pools[0]);
        test_set_then_get(c, pools[0]);
        test_describe(c, pools[0]);
        test_generic(c, pools[0]);
    }
    test_list_pages(c, 5);
    test_call_many(c, pools, 5);
    test_errors(c);
    if (strcmp(peer, "moto-auth") == 0)
        test_bad_signature();
    (void)is_cognito_local;
    for (i = 0; i < 5; i++)
        free(pools[i]);
    cmfa_client_free(c);
    cmfa_global_cleanup();
    return check_done(peer);
}
