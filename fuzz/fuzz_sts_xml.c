/* libFuzzer target: STS answers and XML error bodies (xml.c, sts.c, errors.c). Every input is
 * parsed as an AssumeRole and an AssumeRoleWithWebIdentity answer (2xx) and as an error body
 * (4xx); nothing may crash, leak or read out of bounds, and a successful parse must give
 * non-empty credentials. Build: see fuzz/README or the report of the credentials branch. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmfa_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const actions[] = {"AssumeRole", "AssumeRoleWithWebIdentity"};
    static const char *const secrets[] = {"SECRET", NULL};
    struct cmfa_response resp;
    struct cmfa__sts_result res;
    struct cmfa_error err;
    struct cmfa__xml *x;
    size_t i, len;

    memset(&resp, 0, sizeof(resp));
    resp.body = (const char *)data;
    resp.body_len = size;
    for (i = 0; i < 2; i++) {
        resp.status = 200;
        cmfa_error_init(&err);
        if (cmfa__sts_parse(actions[i], &resp, "fuzz", "arn:aws:iam::123456789012:role/f", 0,
                            secrets, &res, &err) == CMFA_OK) {
            if (!res.creds.access_key_id || !res.creds.access_key_id[0] ||
                !res.creds.secret_access_key || !res.creds.session_token)
                abort();
            cmfa__sts_result_cleanup(&res);
        } else if (err.code == CMFA_OK || strlen(err.message) >= sizeof(err.message)) {
            abort();
        }
        cmfa_error_cleanup(&err);
        resp.status = 403;
        if (cmfa__sts_parse(actions[i], &resp, "fuzz", NULL, 0, secrets, &res, &err) !=
            CMFA_E_CREDENTIALS)
            abort();
        cmfa_error_cleanup(&err);
    }
    x = cmfa__xml_parse((const char *)data, size, "fuzz input", NULL);
    if (x) {
        const char *v = cmfa__xml_find(x, "Code", &len);
        if (v && strlen(v) > len)
            abort();
        (void)cmfa__xml_root(x);
        cmfa__xml_free(x);
    }
    return 0;
}
