/* Fuzz target: the shared config and credentials files (INI with nested sub-sections) and the
 * resolution of profile, region, endpoint (services sections), max_attempts and CA bundle
 * from them.
 *
 * Input:
 *     PROFILE\n             (empty: no profile option, so "default")
 *     config file text
 *     \n%%\n
 *     credentials file text
 *
 * Both texts go through cmfa__ini_parse, then to files that cmfa__config_resolve reads through
 * AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (in a private temporary folder, under
 * /dev/shm when it exists). No
 * credential provider runs: a credential_process line must never be executed here.
 *
 * Properties: no crash, leak or UB; a parse fails only with CMFA_E_CONFIG (or NOMEM) and a
 * message naming the line; a resolved configuration has an http(s) endpoint, max_attempts >= 1
 * and a region made of letters, digits and '-'; a failed one says why in printable ASCII. */
#include <strings.h>
#include <unistd.h>

#include "fuzz_common.h"

static char dir[64];
static char config_path[96], credentials_path[96];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_files(void)
{
    unlink(config_path);
    unlink(credentials_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const unset[] = {
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_USE_FIPS_ENDPOINT", "AWS_MAX_ATTEMPTS", "AWS_CA_BUNDLE"};
    size_t i;

    (void)argc;
    (void)argv;
    /* Memory-backed when there is one: rewriting two files per input on a disk is slow. */
    snprintf(dir, sizeof(dir), "%s/cmfa-fuzz-ini-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(config_path, sizeof(config_path), "%s/config", dir);
    snprintf(credentials_path, sizeof(credentials_path), "%s/credentials", dir);
    atexit(remove_files);
    for (i = 0; i < CMFA__ARRAY_LEN(unset); i++)
        unsetenv(unset[i]);
    setenv("AWS_CONFIG_FILE", config_path, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
    return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        abort();
}

static int printable(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s >= 0x7f)
            return 0;
    return 1;
}

/* Parses text on its own and looks a few things up. */
static void parse_alone(const uint8_t *data, size_t len)
{
    static const struct {
        const char *section, *sub, *key;
    } lookups[] = {
        {"default", NULL, "region"},
        {"profile default", NULL, "aws_access_key_id"},
        {"profile x", NULL, "services"},
        {"services x", "cognito_identity_provider", "endpoint_url"},
        {"services local", "cognito-identity-provider", "ENDPOINT_URL"},
        {"sso-session s", NULL, "sso_region"},
        {"", NULL, ""},
    };
    struct cmfa_error err;
    struct cmfa__ini *ini;
    char *text = malloc(len ? len : 1);   /* not terminated: over-reads show up */
    size_t i;

    if (!text)
        abort();
    if (len)
        memcpy(text, data, len);
    cmfa_error_init(&err);
    ini = cmfa__ini_parse(text, len, &err);
    fuzz_check_error(&err);
    if (!ini) {
        FUZZ_ASSERT(err.code == CMFA_E_CONFIG || err.code == CMFA_E_NOMEM);
        FUZZ_ASSERT(err.code == CMFA_E_NOMEM || strncmp(err.message, "<text>", 6) == 0);
    } else {
        FUZZ_ASSERT(err.code == CMFA_OK);
        for (i = 0; i < CMFA__ARRAY_LEN(lookups); i++) {
            const char *v = cmfa__ini_get(ini, lookups[i].section, lookups[i].sub,
                                          lookups[i].key);
            FUZZ_ASSERT(!v || strlen(v) <= len);
        }
    }
    cmfa__ini_free(ini);
    cmfa_error_cleanup(&err);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    const uint8_t *line, *config, *credentials;
    size_t llen, config_len, credentials_len;
    struct cmfa_client_options opts;
    struct cmfa__config cfg;
    struct cmfa_error err;
    char *profile;
    const char *p;
    cmfa_code rc;

    fuzz_split(&in, "\n", &line, &llen);
    profile = fuzz_strndup(line, llen);
    fuzz_split(&in, "\n%%\n", &config, &config_len);
    fuzz_split(&in, "\n%%\n", &credentials, &credentials_len);

    parse_alone(config, config_len);
    parse_alone(credentials, credentials_len);

    write_file(config_path, config, config_len);
    write_file(credentials_path, credentials, credentials_len);
    memset(&opts, 0, sizeof(opts));
    opts.profile = profile;
    cmfa_error_init(&err);
    rc = cmfa__config_resolve(&opts, &cfg, &err);
    fuzz_check_error(&err);
    FUZZ_ASSERT(rc == err.code);
    if (rc == CMFA_OK) {
        FUZZ_ASSERT(cfg.profile != NULL);
        FUZZ_ASSERT(cfg.endpoint_url != NULL);
        FUZZ_ASSERT(strncasecmp(cfg.endpoint_url, "http://", 7) == 0 ||
                    strncasecmp(cfg.endpoint_url, "https://", 8) == 0);
        FUZZ_ASSERT(cfg.max_attempts >= 1);
        for (p = cfg.region; p && *p; p++)
            FUZZ_ASSERT((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9') || *p == '-');
        (void)cmfa__config_profile_get(&cfg, "credential_process");
        (void)cmfa__config_setting(&cfg, "AWS_EC2_METADATA_DISABLED", "ec2_metadata_disabled");
        cmfa__config_cleanup(&cfg);
    } else {
        FUZZ_ASSERT(rc == CMFA_E_CONFIG || rc == CMFA_E_NOMEM);
        FUZZ_ASSERT(printable(err.message));
    }
    cmfa_error_cleanup(&err);
    free(profile);
    return 0;
}
