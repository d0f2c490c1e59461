/* Demo: creates a few user pools on the configured endpoint, gives them different MFA
 * settings, then lists every pool and prints its MFA configuration. Meant for a local
 * emulator (scripts/demo); it creates pools, so do not point it at a real account. */
#include <stdio.h>
#include <string.h>

#include <cmfa/cmfa.h>

static const char *const settings[] = {
    "{\"MfaConfiguration\":\"OFF\"}",
    "{\"MfaConfiguration\":\"ON\",\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true}}",
    "{\"MfaConfiguration\":\"OPTIONAL\",\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":"
    "\"Your code is {####}\",\"SmsConfiguration\":{\"SnsCallerArn\":"
    "\"arn:aws:iam::123456789012:role/sms\",\"ExternalId\":\"demo\"}},"
    "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true}}",
};

static int fail(const struct cmfa_error *err, const char *what)
{
    fprintf(stderr, "%s: %s error: %s\n", what, cmfa_kind_name(cmfa_error_kind(err)),
            err->message);
    return 1;
}

int main(void)
{
    struct cmfa_client_options opts = {0};
    struct cmfa_error err;
    struct cmfa_client *c;
    struct cmfa_value *pools = NULL;
    int rc = 1;
    size_t i;

    cmfa_error_init(&err);
    c = cmfa_client_new(&opts, &err);
    if (!c)
        return fail(&err, "client");
    printf("endpoint %s, region %s\n", cmfa_client_endpoint(c),
           cmfa_client_region(c) ? cmfa_client_region(c) : "-");

    for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        char body[160], *out = NULL, text[1024];
        struct cmfa_value *created, *in, *set_out = NULL;
        const char *id;
        size_t len;

        snprintf(body, sizeof(body), "{\"PoolName\":\"demo-%zu\"}", i + 1);
        if (cmfa_call_json(c, "CreateUserPool", body, strlen(body), &out, &len, &err) != CMFA_OK) {
            fail(&err, "CreateUserPool");
            goto done;
        }
        created = cmfa_value_parse(out, len, &err);
        cmfa_free(out);
        id = created ? cmfa_value_string(cmfa_value_path(created, "UserPool.Id"), NULL) : NULL;
        if (!id) {
            cmfa_value_free(created);
            goto done;
        }
        /* settings[i] with the pool id added */
        snprintf(text, sizeof(text), "{\"UserPoolId\":\"%s\",%s", id, settings[i] + 1);
        in = cmfa_value_parse(text, strlen(text), &err);
        if (!in || cmfa_set_user_pool_mfa_config(c, in, &set_out, &err) != CMFA_OK) {
            fail(&err, "SetUserPoolMfaConfig");
            cmfa_value_free(in);
            cmfa_value_free(created);
            goto done;
        }
        printf("created %s with MFA %s\n", id,
               cmfa_value_string(cmfa_value_get(in, "MfaConfiguration"), NULL));
        cmfa_value_free(set_out);
        cmfa_value_free(in);
        cmfa_value_free(created);
    }

    if (cmfa_list_user_pools(c, 60, NULL, &pools, &err) != CMFA_OK) {
        fail(&err, "ListUserPools");
        goto done;
    }
    for (i = 0; i < cmfa_value_count(cmfa_value_get(pools, "UserPools")); i++) {
        const struct cmfa_value *p = cmfa_value_at(cmfa_value_get(pools, "UserPools"), i, NULL);
        const char *id = cmfa_value_string(cmfa_value_get(p, "Id"), NULL);
        struct cmfa_value *cfg = NULL;
        char *json;

        if (cmfa_get_user_pool_mfa_config(c, id, &cfg, &err) != CMFA_OK) {
            fail(&err, "GetUserPoolMfaConfig");
            goto done;
        }
        json = cmfa_value_to_json(cfg, 0, NULL);
        printf("%-45s %-12s %s\n", id, cmfa_value_string(cmfa_value_get(p, "Name"), NULL),
               json ? json : "?");
        cmfa_free(json);
        cmfa_value_free(cfg);
    }
    rc = 0;
done:
    cmfa_value_free(pools);
    cmfa_client_free(c);
    cmfa_error_cleanup(&err);
    cmfa_global_cleanup();
    return rc;
}
