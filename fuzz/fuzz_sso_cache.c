/* libFuzzer target: the SSO token cache file and the JSON answers of SSO (sso.c). Every input
 * is read as a token cache file (and, when accepted, written to JSON and read back: the same
 * token must come out), as a GetRoleCredentials answer, an OIDC CreateToken answer, a
 * RegisterClient answer and a StartDeviceAuthorization answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmfa_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmfa__sso_token t, back;
    struct cmfa__credentials c;
    struct cmfa__oidc_client oc;
    struct cmfa__oidc_device od;
    struct cmfa__cred_step s;
    struct cmfa_response resp;
    struct cmfa_error err;
    const char *text = (const char *)data;
    char *json;
    size_t len = 0;

    cmfa_error_init(&err);
    if (cmfa__sso_token_parse(text, size, "fuzz", &t, &err) == CMFA_OK) {
        json = cmfa__sso_token_json(&t, &len);
        if (json) {
            if (cmfa__sso_token_parse(json, len, "fuzz", &back, &err) != CMFA_OK ||
                strcmp(back.access_token, t.access_token) != 0 ||
                back.expires_at != t.expires_at ||
                !back.refresh_token != !t.refresh_token)
                abort();
            cmfa__sso_token_cleanup(&back);
            cmfa_free(json);
        }
        (void)cmfa__sso_token_decide(&t, 1, 1796191200);
        cmfa__sso_token_cleanup(&t);
    }
    cmfa_error_cleanup(&err);

    memset(&resp, 0, sizeof(resp));
    resp.body = text;
    resp.body_len = size;
    memset(&s, 0, sizeof(s));
    s.profile = (char *)"fuzz";
    for (resp.status = 200; resp.status <= 401; resp.status += 201) {
        if (cmfa__sso_role_credentials_parse(&resp, &s, 0, &c, &err) == CMFA_OK)
            cmfa__credentials_cleanup(&c);
        cmfa_error_cleanup(&err);
        memset(&t, 0, sizeof(t));
        (void)cmfa__oidc_device_token_parse(&resp, 0, &t, &err);
        cmfa__sso_token_cleanup(&t);
        cmfa_error_cleanup(&err);
        if (cmfa__oidc_register_parse(&resp, &oc, &err) == CMFA_OK)
            cmfa__oidc_client_cleanup(&oc);
        cmfa_error_cleanup(&err);
        if (cmfa__oidc_device_auth_parse(&resp, 0, &od, &err) == CMFA_OK)
            cmfa__oidc_device_cleanup(&od);
        cmfa_error_cleanup(&err);
    }
    return 0;
}
