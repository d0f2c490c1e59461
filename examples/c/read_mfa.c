/* Reads a user pool's MFA configuration and prints it as JSON.
 *
 *   cc read_mfa.c $(pkg-config --cflags --libs cmfa) -o read_mfa
 *   AWS_REGION=us-east-1 ./read_mfa us-east-1_EXAMPLE
 *
 * Region, credentials and endpoint come from the usual AWS settings (environment, ~/.aws). */
#include <stdio.h>

#include <cmfa/cmfa.h>

int main(int argc, char **argv)
{
    struct cmfa_client_options opts = {0};
    struct cmfa_error err;
    struct cmfa_client *client;
    struct cmfa_value *config = NULL;
    char *text;
    int status = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s USER_POOL_ID\n", argv[0]);
        return 2;
    }
    cmfa_error_init(&err);
    client = cmfa_client_new(&opts, &err);
    if (!client) {
        fprintf(stderr, "%s error: %s\n", cmfa_kind_name(cmfa_error_kind(&err)), err.message);
        goto done;
    }
    if (cmfa_get_user_pool_mfa_config(client, argv[1], &config, &err) != CMFA_OK) {
        fprintf(stderr, "%s error: %s\n", cmfa_kind_name(cmfa_error_kind(&err)), err.message);
        goto done;
    }
    printf("MFA is %s\n", cmfa_value_string(cmfa_value_get(config, "MfaConfiguration"), NULL));
    text = cmfa_value_to_json(config, 1, NULL);
    if (text) {
        printf("%s\n", text);
        cmfa_free(text);
    }
    status = 0;
done:
    cmfa_value_free(config);
    cmfa_client_free(client);
    cmfa_error_cleanup(&err);
    cmfa_global_cleanup();
    return status;
}
