/* TLS: certificates are verified unless the caller turns it off. Runs against
 * tools/fault_server.py over HTTPS with a self-signed certificate made for the run
 * (tools/peer.py run fault-tls; its path is in CMFA_TEST_CA). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmfa_int.h"
#include "../check.h"

static cmfa_code get_with(const char *ca_file, int insecure, struct cmfa_error *err)
{
    struct cmfa_client_options o;
    struct cmfa_client *c;
    struct cmfa_value *out = NULL;
    cmfa_code rc;

    memset(&o, 0, sizeof(o));
    o.endpoint_url = getenv("CMFA_TEST_ENDPOINT");
    o.region = "us-east-1";
    o.access_key_id = "AKIDEXAMPLE";
    o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    o.ca_file = ca_file;
    o.insecure = insecure;
    o.retry_seed = 5;
    cmfa_error_init(err);
    c = cmfa_client_new(&o, err);
    CHECK_MSG(c != NULL, "%s", err->message);
    if (!c)
        return err->code;
    rc = cmfa_get_user_pool_mfa_config(c, "us-east-1_Tls1", &out, err);
    cmfa_value_free(out);
    cmfa_client_free(c);
    return rc;
}

int main(void)
{
    const char *ca = getenv("CMFA_TEST_CA");
    struct cmfa_error err;
    cmfa_code rc;

    if (!ca || !getenv("CMFA_TEST_ENDPOINT") || strncmp(getenv("CMFA_TEST_ENDPOINT"), "https:", 6)) {
        fprintf(stderr, "run me through tools/peer.py run fault-tls\n");
        return 2;
    }
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    unsetenv("AWS_CA_BUNDLE");

    /* default: verification on, the self-signed certificate is refused, not retried */
    rc = get_with(NULL, 0, &err);
    CHECK_INT(rc, CMFA_E_TLS);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_TRANSPORT);
    CHECK_INT(err.attempts, 1);
    CHECK_INT(err.retryable, 0);
    CHECK_MSG(strstr(err.message, "TLS") != NULL, "%s", err.message);
    cmfa_error_cleanup(&err);

    /* the CA bundle option trusts it */
    rc = get_with(ca, 0, &err);
    CHECK_MSG(rc == CMFA_OK, "%s", err.message);
    cmfa_error_cleanup(&err);

    /* so does AWS_CA_BUNDLE */
    setenv("AWS_CA_BUNDLE", ca, 1);
    rc = get_with(NULL, 0, &err);
    CHECK_MSG(rc == CMFA_OK, "AWS_CA_BUNDLE: %s", err.message);
    cmfa_error_cleanup(&err);
    unsetenv("AWS_CA_BUNDLE");

    /* turning verification off on purpose */
    rc = get_with(NULL, 1, &err);
    CHECK_MSG(rc == CMFA_OK, "insecure: %s", err.message);
    cmfa_error_cleanup(&err);

    cmfa_global_cleanup();
    return check_done("it_tls");
}
