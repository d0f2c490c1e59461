/* Unit tests for config.c: the INI parser of the shared config/credentials files and the
 * resolution of profile, region, endpoint, max_attempts and CA bundle. Every test runs with all
 * AWS_* variables cleared and HOME pointing at a fresh temporary directory. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cmfa_int.h"


static char tmpdir[] = "/tmp/cmfa-test-config-XXXXXX";

#include "check_env.h"

/* Fresh environment: no AWS_*, HOME = tmpdir, config and credentials files given (NULL: the
 * variable points at a file that does not exist). */
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
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);   /* never reach for 169.254.169.254 */
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* ------------------------------------------------------------------------- INI parser */

static void test_ini_basic(void)
{
    static const char text[] =
        "\xEF\xBB\xBF# leading comment\r\n"
        "; another comment\r\n"
        "[default]\r\n"
        "region = us-west-2\r\n"
        "  # indented comment\r\n"
        "output=json   \r\n"
        "\r\n"
        "[profile   dev]  ; comment after header\n"
        "Region\t=\teu-west-1 # Ireland\n"
        "name = a#b;c\n"
        "empty =\n"
        "multi = first\n"
        "  second line\n"
        "[services local]\n"
        "cognito_identity_provider =\n"
        "  endpoint_url = http://127.0.0.1:5000 ; local\n"
        "  other = x\n"
        "s3 =\n"
        "\tendpoint_url = http://s3.local\n"
        "[profile dev]\n"
        "region = eu-central-1\n";
    struct cmfa_error err;
    struct cmfa__ini *ini;

    cmfa_error_init(&err);
    ini = cmfa__ini_parse(text, strlen(text), &err);
    CHECK_MSG(ini != NULL, "%s", err.message);
    CHECK_INT(err.code, CMFA_OK);
    CHECK_STR(cmfa__ini_get(ini, "default", NULL, "region"), "us-west-2");
    CHECK_STR(cmfa__ini_get(ini, "default", NULL, "output"), "json");
    CHECK_STR(cmfa__ini_get(ini, "default", NULL, "OUTPUT"), "json");
    /* Later duplicate section wins; keys compare case-insensitively; blanks collapsed. */
    CHECK_STR(cmfa__ini_get(ini, "profile dev", NULL, "region"), "eu-central-1");
    CHECK_STR(cmfa__ini_get(ini, "profile dev", NULL, "name"), "a#b;c");
    CHECK_STR(cmfa__ini_get(ini, "profile dev", NULL, "empty"), "");
    CHECK_STR(cmfa__ini_get(ini, "profile dev", NULL, "multi"), "first\nsecond line");
    CHECK_STR(cmfa__ini_get(ini, "services local", "cognito_identity_provider", "endpoint_url"),
              "http://127.0.0.1:5000");
    CHECK_STR(cmfa__ini_get(ini, "services local", "cognito_identity_provider", "other"), "x");
    CHECK_STR(cmfa__ini_get(ini, "services local", "s3", "endpoint_url"), "http://s3.local");
    CHECK_STR(cmfa__ini_get(ini, "services local", NULL, "cognito_identity_provider"), "");
    /* Nested keys are not top-level keys and vice versa. */
    CHECK(cmfa__ini_get(ini, "services local", NULL, "endpoint_url") == NULL);
    CHECK(cmfa__ini_get(ini, "services local", "s3", "other") == NULL);
    CHECK(cmfa__ini_get(ini, "default", "x", "region") == NULL);
    CHECK(cmfa__ini_get(ini, "nosuch", NULL, "region") == NULL);
    CHECK(cmfa__ini_get(ini, "profile", NULL, "region") == NULL);
    CHECK(cmfa__ini_get(NULL, "default", NULL, "region") == NULL);
    cmfa__ini_free(ini);

    /* Empty text is an empty file. */
    ini = cmfa__ini_parse("", 0, &err);
    CHECK(ini != NULL);
    CHECK(cmfa__ini_get(ini, "default", NULL, "region") == NULL);
    cmfa__ini_free(ini);
    cmfa__ini_free(NULL);
    cmfa_error_cleanup(&err);
}

static void expect_parse_error(const char *text, const char *line_text, const char *what)
{
    struct cmfa_error err;
    struct cmfa__ini *ini;

    cmfa_error_init(&err);
    ini = cmfa__ini_parse(text, strlen(text), &err);
    CHECK_MSG(ini == NULL, "parsed: %s", text);
    CHECK_INT(err.code, CMFA_E_CONFIG);
    CHECK_MSG(strstr(err.message, line_text) != NULL, "message '%s' lacks '%s'", err.message,
              line_text);
    CHECK_MSG(strstr(err.message, what) != NULL, "message '%s' lacks '%s'", err.message, what);
    cmfa__ini_free(ini);
    cmfa_error_cleanup(&err);
}

static void test_ini_errors(void)
{
    struct cmfa_error err;
    struct cmfa__ini *ini;

    expect_parse_error("[default\nregion = x\n", "<text>, line 1", "closing ']'");
    expect_parse_error("[default]\nregion\n", "line 2", "expected 'key = value'");
    expect_parse_error("region = us-east-1\n", "line 1", "outside a [section]");
    expect_parse_error("[default]\n  region = x\n", "line 2", "indented line");
    expect_parse_error("\n\n[ ]\n", "line 3", "empty section name");
    expect_parse_error("[default] junk\n", "line 1", "after the section header");
    expect_parse_error("[s]\nsvc =\n  no equals here\n", "line 3", "nested");
    expect_parse_error("[s]\n= value\n", "line 2", "expected 'key = value'");
    expect_parse_error("[s]\r\na = 1\r\nsecret_line_without_equals\r\n", "line 3", "key = value");

    /* The message never repeats the line (it may be a secret). */
    cmfa_error_init(&err);
    ini = cmfa__ini_parse("[c]\nSECRETVALUE\n", 13, &err);
    CHECK(ini == NULL);
    CHECK(strstr(err.message, "SECRETVALUE") == NULL);
    cmfa_error_cleanup(&err);

    /* NUL bytes are refused. */
    ini = cmfa__ini_parse("[a]\nb = c\0d\n", 12, &err);
    CHECK(ini == NULL);
    CHECK_INT(err.code, CMFA_E_CONFIG);
    cmfa_error_cleanup(&err);
}

static void test_ini_load(void)
{
    struct cmfa_error err;
    struct cmfa__ini *ini;
    char expect[600];

    cmfa_error_init(&err);
    ini = cmfa__ini_load(path_of("does-not-exist"), &err);
    CHECK(ini == NULL);
    CHECK_INT(err.code, CMFA_OK);
    ini = cmfa__ini_load(tmpdir, &err);   /* a directory counts as missing */
    CHECK(ini == NULL);
    CHECK_INT(err.code, CMFA_OK);

    write_file("good.ini", "[default]\nregion = ap-south-1\n");
    ini = cmfa__ini_load(path_of("good.ini"), &err);
    CHECK(ini != NULL);
    CHECK_STR(cmfa__ini_get(ini, "default", NULL, "region"), "ap-south-1");
    cmfa__ini_free(ini);

    write_file("bad.ini", "[default]\nregion = x\n\n[broken\n");
    ini = cmfa__ini_load(path_of("bad.ini"), &err);
    CHECK(ini == NULL);
    CHECK_INT(err.code, CMFA_E_CONFIG);
    snprintf(expect, sizeof(expect), "%s, line 4", path_of("bad.ini"));
    CHECK_MSG(strstr(err.message, expect) != NULL, "%s", err.message);
    cmfa_error_cleanup(&err);
}

/* ------------------------------------------------------------------------- resolution */

static const char base_config[] =
    "[default]\n"
    "region = us-west-1\n"
    "max_attempts = 5\n"
    "ca_bundle = /etc/default-ca.pem\n"
    "\n"
    "[profile dev]\n"
    "region = eu-west-1\n"
    "services = local-svc\n"
    "endpoint_url = http://profile-endpoint.test:4000\n"
    "\n"
    "[profile plain]\n"
    "region = ap-northeast-1\n"
    "endpoint_url = https://plain-endpoint.test\n"
    "\n"
    "[profile noregion]\n"
    "output = json\n"
    "\n"
    "[profile fips]\n"
    "region = us-east-2\n"
    "use_fips_endpoint = true\n"
    "\n"
    "[profile ignore]\n"
    "region = us-east-1\n"
    "ignore_configured_endpoint_urls = true\n"
    "services = local-svc\n"
    "endpoint_url = http://ignored.test\n"
    "\n"
    "[profile badregion]\n"
    "region = eu west 1\n"
    "\n"
    "[profile badattempts]\n"
    "region = us-east-1\n"
    "max_attempts = three\n"
    "\n"
    "[profile badurl]\n"
    "region = us-east-1\n"
    "endpoint_url = ftp://example.com\n"
    "\n"
    "[profile china]\n"
    "region = cn-north-1\n"
    "\n"
    "[services local-svc]\n"
    "cognito_identity_provider =\n"
    "  endpoint_url = http://127.0.0.1:5000\n"
    "s3 =\n"
    "  endpoint_url = http://127.0.0.1:9000\n";

static const char base_credentials[] =
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key = default-secret\n"
    "\n"
    "[credonly]\n"
    "aws_access_key_id = AKIDCREDONLY\n"
    "aws_secret_access_key = credonly-secret\n"
    "region = sa-east-1\n"
    "\n"
    "[dev]\n"
    "region = should-not-win\n"
    "output = text\n";

static cmfa_code resolve(const struct cmfa_client_options *o, struct cmfa__config *cfg,
                         struct cmfa_error *err)
{
    cmfa_error_cleanup(err);
    return cmfa__config_resolve(o, cfg, err);
}

static void test_profile(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa_error err;

    cmfa_error_init(&err);
    reset_env(base_config, base_credentials);
    memset(&o, 0, sizeof(o));

    /* Default profile. */
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.profile, "default");
    CHECK_STR(cfg.region, "us-west-1");
    CHECK(cfg.config_file != NULL && cfg.credentials_file != NULL);
    cmfa__config_cleanup(&cfg);

    /* AWS_PROFILE beats default; the option beats AWS_PROFILE. */
    setenv("AWS_PROFILE", "plain", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.profile, "plain");
    CHECK_STR(cfg.region, "ap-northeast-1");
    cmfa__config_cleanup(&cfg);
    o.profile = "dev";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.profile, "dev");
    CHECK_STR(cfg.region, "eu-west-1");
    /* Config file first, then credentials file. */
    CHECK_STR(cmfa__config_profile_get(&cfg, "region"), "eu-west-1");
    CHECK_STR(cmfa__config_profile_get(&cfg, "output"), "text");
    CHECK(cmfa__config_profile_get(&cfg, "nosuch") == NULL);
    cmfa__config_cleanup(&cfg);

    /* A profile only in the credentials file exists. */
    o.profile = "credonly";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "sa-east-1");
    CHECK_STR(cmfa__config_profile_get(&cfg, "aws_access_key_id"), "AKIDCREDONLY");
    cmfa__config_cleanup(&cfg);

    /* An explicit profile that exists nowhere is an error, from the option and from env. */
    o.profile = "missing";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK_STR(err.message, "The config profile (missing) could not be found");
    CHECK(cfg.profile == NULL && cfg.config_file == NULL);
    cmfa__config_cleanup(&cfg);   /* harmless after a failure */
    o.profile = NULL;
    setenv("AWS_PROFILE", "gone", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "(gone)") != NULL);
    /* "[credonly]" in the config file is not "[profile credonly]", but "[default]" is the
     * default profile; an empty option or variable means unset. */
    o.profile = "";
    setenv("AWS_PROFILE", "", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.profile, "default");
    cmfa__config_cleanup(&cfg);

    /* No files at all: the implicit default profile is fine, an explicit one is not. */
    reset_env(NULL, NULL);
    o.profile = NULL;
    o.region = "us-east-1";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK(cfg.config_file == NULL && cfg.credentials_file == NULL);
    cmfa__config_cleanup(&cfg);
    o.profile = "default";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "(default)") != NULL);

    /* "[profile default]" also names the default profile in the config file. */
    reset_env("[profile default]\nregion = eu-north-1\n", NULL);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "us-east-1");
    CHECK_STR(cmfa__config_profile_get(&cfg, "region"), "eu-north-1");
    cmfa__config_cleanup(&cfg);

    /* NULL options behave like zeroed options. */
    reset_env(base_config, NULL);
    CHECK_INT(resolve(NULL, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "us-west-1");
    cmfa__config_cleanup(&cfg);
    cmfa_error_cleanup(&err);
}

static void test_files(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa_error err;
    char aws_dir[600];

    cmfa_error_init(&err);
    memset(&o, 0, sizeof(o));
    reset_env(NULL, NULL);
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    /* Defaults: ~/.aws/config and ~/.aws/credentials with ~ = $HOME. */
    snprintf(aws_dir, sizeof(aws_dir), "%s/.aws", tmpdir);
    mkdir(aws_dir, 0700);
    write_file(".aws/config", "[default]\nregion = ca-central-1\n");
    write_file(".aws/credentials", "[home]\naws_access_key_id = AKIDHOME\n");
    o.profile = "home";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);   /* no region for "home" */
    CHECK(strstr(err.message, "You must specify a region") != NULL);
    o.profile = NULL;
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "ca-central-1");
    CHECK(cfg.credentials_file != NULL);
    CHECK_STR(cmfa__ini_get(cfg.credentials_file, "home", NULL, "aws_access_key_id"), "AKIDHOME");
    cmfa__config_cleanup(&cfg);

    /* "~/" in the variables is $HOME too. */
    write_file("alt-config", "[default]\nregion = me-south-1\n");
    setenv("AWS_CONFIG_FILE", "~/alt-config", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "me-south-1");
    cmfa__config_cleanup(&cfg);

    /* Without HOME the default files are simply not there. */
    unsetenv("HOME");
    unsetenv("AWS_CONFIG_FILE");
    o.region = "us-east-1";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK(cfg.config_file == NULL);
    cmfa__config_cleanup(&cfg);
    setenv("HOME", tmpdir, 1);

    /* A malformed file is an error naming the file and line. */
    write_file("broken-config", "[default]\nregion = us-east-1\nthis line is wrong\n");
    setenv("AWS_CONFIG_FILE", path_of("broken-config"), 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK_MSG(strstr(err.message, "broken-config, line 3") != NULL, "%s", err.message);
    write_file("broken-creds", "[default]\naws_secret_access_key = hush-hush\n  oops\n[x\n");
    setenv("AWS_CONFIG_FILE", path_of("missing-config"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("broken-creds"), 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK_MSG(strstr(err.message, "broken-creds, line 4") != NULL, "%s", err.message);
    CHECK(strstr(err.message, "hush") == NULL);
    cmfa_error_cleanup(&err);
}

static void test_region(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa_error err;

    cmfa_error_init(&err);
    memset(&o, 0, sizeof(o));
    reset_env(base_config, NULL);

    /* option > AWS_REGION > AWS_DEFAULT_REGION > profile. */
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "us-west-1");
    cmfa__config_cleanup(&cfg);
    setenv("AWS_DEFAULT_REGION", "eu-south-1", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "eu-south-1");
    cmfa__config_cleanup(&cfg);
    setenv("AWS_REGION", "af-south-1", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "af-south-1");
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp.af-south-1.amazonaws.com");
    CHECK_INT(cfg.endpoint_is_custom, 0);
    cmfa__config_cleanup(&cfg);
    o.region = "il-central-1";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.region, "il-central-1");
    cmfa__config_cleanup(&cfg);

    /* Invalid regions name their source. */
    o.region = "us-east-1/evil";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "the region option") != NULL);
    CHECK(strstr(err.message, "us-east-1/evil") != NULL);
    o.region = "a123456789012345678901234567890123456789012345678901234567890123"; /* 64 */
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    o.region = "a12345678901234567890123456789012345678901234567890123456789012"; /* 63 */
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    cmfa__config_cleanup(&cfg);
    o.region = NULL;
    setenv("AWS_REGION", "us east", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "AWS_REGION") != NULL);
    unsetenv("AWS_REGION");
    setenv("AWS_DEFAULT_REGION", "\x01", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "AWS_DEFAULT_REGION") != NULL);
    unsetenv("AWS_DEFAULT_REGION");
    o.profile = "badregion";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "profile's region") != NULL);

    /* No region and no custom endpoint. */
    o.profile = "noregion";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "You must specify a region") != NULL);
    CHECK(cfg.profile == NULL);
    /* A custom endpoint without a region leaves the region NULL. */
    o.endpoint_url = "http://localhost:9229";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK(cfg.region == NULL);
    CHECK_STR(cfg.endpoint_url, "http://localhost:9229");
    CHECK_INT(cfg.endpoint_is_custom, 1);
    cmfa__config_cleanup(&cfg);
    cmfa_error_cleanup(&err);
}

static void test_endpoint(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa_error err;
    static const char *const bad_urls[] = {
        "ftp://example.com", "example.com", "http://", "https:///path", "http://host:port/",
        "http://:80/", "http://user@host/", "http://ho st/", "http://[::1/", "http://host:/",
        "mailto:x@y",
    };
    static const char *const good_urls[] = {
        "http://127.0.0.1:5000", "https://cognito.example.com/", "HTTP://LOCALHOST",
        "http://[::1]:9229/path?x=1", "https://a.b.c:443",
    };
    size_t i;

    cmfa_error_init(&err);
    memset(&o, 0, sizeof(o));
    reset_env(base_config, NULL);

    /* profile "dev": services section beats the profile's endpoint_url. */
    o.profile = "dev";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "http://127.0.0.1:5000");
    CHECK_INT(cfg.endpoint_is_custom, 1);
    cmfa__config_cleanup(&cfg);
    /* profile "plain": its endpoint_url. */
    o.profile = "plain";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://plain-endpoint.test");
    cmfa__config_cleanup(&cfg);
    /* A services section without cognito_identity_provider falls through to endpoint_url. */
    reset_env("[profile p]\nregion = us-east-1\nservices = s\nendpoint_url = http://fallback\n"
              "[services s]\ns3 =\n  endpoint_url = http://s3only\n",
              NULL);
    o.profile = "p";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "http://fallback");
    cmfa__config_cleanup(&cfg);
    reset_env(base_config, NULL);

    /* AWS_ENDPOINT_URL beats the profile; the service-specific variable beats it. */
    o.profile = "dev";
    setenv("AWS_ENDPOINT_URL", "http://global.test:1", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "http://global.test:1");
    cmfa__config_cleanup(&cfg);
    setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://service.test:2", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "http://service.test:2");
    cmfa__config_cleanup(&cfg);
    /* The option beats everything. */
    o.endpoint_url = "https://option.test";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://option.test");
    cmfa__config_cleanup(&cfg);

    /* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: env and profile endpoints ignored, not the option. */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://option.test");
    cmfa__config_cleanup(&cfg);
    o.endpoint_url = NULL;
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp.eu-west-1.amazonaws.com");
    CHECK_INT(cfg.endpoint_is_custom, 0);
    cmfa__config_cleanup(&cfg);
    /* "false" does not ignore. */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "http://service.test:2");
    cmfa__config_cleanup(&cfg);
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER");
    /* The profile's ignore_configured_endpoint_urls. */
    o.profile = "ignore";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp.us-east-1.amazonaws.com");
    cmfa__config_cleanup(&cfg);
    setenv("AWS_ENDPOINT_URL", "http://env-ignored.test", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp.us-east-1.amazonaws.com");
    cmfa__config_cleanup(&cfg);
    o.endpoint_url = "http://127.0.0.1:1";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "http://127.0.0.1:1");
    cmfa__config_cleanup(&cfg);
    o.endpoint_url = NULL;
    unsetenv("AWS_ENDPOINT_URL");

    /* FIPS from the profile and from the environment; China partition. */
    o.profile = "fips";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp-fips.us-east-2.amazonaws.com");
    cmfa__config_cleanup(&cfg);
    setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);   /* the environment wins over the profile */
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp.us-east-2.amazonaws.com");
    cmfa__config_cleanup(&cfg);
    setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
    o.profile = NULL;
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp-fips.us-west-1.amazonaws.com");
    cmfa__config_cleanup(&cfg);
    o.profile = "china";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp-fips.cn-north-1.amazonaws.com.cn");
    cmfa__config_cleanup(&cfg);
    /* FIPS with a custom endpoint is a configuration error, as in the AWS endpoint rules */
    o.endpoint_url = "http://127.0.0.1:1";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "FIPS") != NULL && strstr(err.message, "endpoint_url option"));
    cmfa_error_cleanup(&err);
    cmfa__config_cleanup(&cfg);
    o.endpoint_url = NULL;
    unsetenv("AWS_USE_FIPS_ENDPOINT");
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.endpoint_url, "https://cognito-idp.cn-north-1.amazonaws.com.cn");
    cmfa__config_cleanup(&cfg);

    /* Bad URLs, from each source. */
    o.profile = NULL;
    for (i = 0; i < CMFA__ARRAY_LEN(bad_urls); i++) {
        o.endpoint_url = bad_urls[i];
        CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
        CHECK_MSG(strstr(err.message, "the endpoint_url option") != NULL, "%s: %s", bad_urls[i],
                  err.message);
    }
    for (i = 0; i < CMFA__ARRAY_LEN(good_urls); i++) {
        o.endpoint_url = good_urls[i];
        CHECK_MSG(resolve(&o, &cfg, &err) == CMFA_OK, "%s: %s", good_urls[i], err.message);
        CHECK_STR(cfg.endpoint_url, good_urls[i]);
        cmfa__config_cleanup(&cfg);
    }
    o.endpoint_url = NULL;
    setenv("AWS_ENDPOINT_URL", "localhost:5000", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "AWS_ENDPOINT_URL") != NULL);
    unsetenv("AWS_ENDPOINT_URL");
    o.profile = "badurl";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "profile's endpoint_url") != NULL);
    reset_env("[default]\nregion = us-east-1\nservices = bad\n"
              "[services bad]\ncognito_identity_provider =\n  endpoint_url = nope\n",
              NULL);
    o.profile = NULL;
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "services section") != NULL);
    cmfa_error_cleanup(&err);
}

static void test_max_attempts(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa_error err;
    static const char *const bad[] = {"0", "-1", "abc", "3x", "", " ", "1.5", "99999999999"};
    size_t i;

    cmfa_error_init(&err);
    memset(&o, 0, sizeof(o));
    reset_env(base_config, NULL);

    /* option > AWS_MAX_ATTEMPTS > profile > 3. */
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_INT(cfg.max_attempts, 5);
    cmfa__config_cleanup(&cfg);
    setenv("AWS_MAX_ATTEMPTS", " 7 ", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_INT(cfg.max_attempts, 7);
    cmfa__config_cleanup(&cfg);
    o.max_attempts = 2;
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_INT(cfg.max_attempts, 2);
    cmfa__config_cleanup(&cfg);
    o.max_attempts = 0;
    unsetenv("AWS_MAX_ATTEMPTS");
    o.profile = "plain";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_INT(cfg.max_attempts, 3);
    cmfa__config_cleanup(&cfg);

    /* Invalid values name their source. */
    for (i = 0; i < CMFA__ARRAY_LEN(bad); i++) {
        setenv("AWS_MAX_ATTEMPTS", bad[i], 1);
        if (bad[i][0] == '\0') {   /* empty means unset */
            CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
            cmfa__config_cleanup(&cfg);
            continue;
        }
        CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
        CHECK_MSG(strstr(err.message, "AWS_MAX_ATTEMPTS") != NULL, "%s", err.message);
    }
    unsetenv("AWS_MAX_ATTEMPTS");
    o.profile = "badattempts";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "profile's max_attempts") != NULL);
    CHECK(strstr(err.message, "three") != NULL);
    o.max_attempts = 4;   /* the option wins, the bad profile value is never looked at */
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_INT(cfg.max_attempts, 4);
    cmfa__config_cleanup(&cfg);
    o.max_attempts = -2;
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "max_attempts option") != NULL);
    cmfa_error_cleanup(&err);
}

static void test_ca_file(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa_error err;

    cmfa_error_init(&err);
    memset(&o, 0, sizeof(o));
    reset_env(base_config, NULL);

    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.ca_file, "/etc/default-ca.pem");
    cmfa__config_cleanup(&cfg);
    setenv("AWS_CA_BUNDLE", "/env/ca.pem", 1);
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.ca_file, "/env/ca.pem");
    cmfa__config_cleanup(&cfg);
    o.ca_file = "/option/ca.pem";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_STR(cfg.ca_file, "/option/ca.pem");
    cmfa__config_cleanup(&cfg);
    o.ca_file = NULL;
    unsetenv("AWS_CA_BUNDLE");
    o.profile = "plain";
    CHECK_INT(resolve(&o, &cfg, &err), CMFA_OK);
    CHECK(cfg.ca_file == NULL);
    cmfa__config_cleanup(&cfg);
    cmfa_error_cleanup(&err);
}

/* ------------------------------------------------------------------------- allocation failures */

static void test_alloc_failures(void)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    struct cmfa_error err;
    struct cmfa__ini *ini;
    size_t len = strlen(base_config);
    long n;
    int ok = 0;

    /* INI parser. */
    for (n = 1; n < 10000; n++) {
        cmfa_error_init(&err);
        cmfa__alloc_fail_after(n);
        ini = cmfa__ini_parse(base_config, len, &err);
        cmfa__alloc_reset();
        if (ini) {
            CHECK_INT(err.code, CMFA_OK);
            CHECK_STR(cmfa__ini_get(ini, "services local-svc", "s3", "endpoint_url"),
                      "http://127.0.0.1:9000");
            cmfa__ini_free(ini);
            ok = 1;
            break;
        }
        CHECK_MSG(err.code == CMFA_E_NOMEM, "n=%ld: %s", n, err.message);
        cmfa_error_cleanup(&err);
    }
    CHECK_MSG(ok && n > 1, "INI parse never succeeded (n=%ld)", n);

    /* Config resolution, through files, services section and every setting. */
    reset_env(base_config, base_credentials);
    setenv("AWS_MAX_ATTEMPTS", "4", 1);
    memset(&o, 0, sizeof(o));
    o.profile = "dev";
    o.ca_file = "/ca.pem";
    ok = 0;
    for (n = 1; n < 10000; n++) {
        cmfa_code rc;

        cmfa_error_init(&err);
        cmfa__alloc_fail_after(n);
        rc = cmfa__config_resolve(&o, &cfg, &err);
        cmfa__alloc_reset();
        if (rc == CMFA_OK) {
            CHECK_STR(cfg.endpoint_url, "http://127.0.0.1:5000");
            CHECK_STR(cfg.region, "eu-west-1");
            CHECK_INT(cfg.max_attempts, 4);
            CHECK_STR(cfg.ca_file, "/ca.pem");
            cmfa__config_cleanup(&cfg);
            cmfa_error_cleanup(&err);
            ok = 1;
            break;
        }
        CHECK_MSG(rc == CMFA_E_NOMEM && err.code == CMFA_E_NOMEM, "n=%ld: rc=%d %s", n, rc,
                  err.message);
        CHECK(cfg.profile == NULL && cfg.config_file == NULL);
        cmfa_error_cleanup(&err);
    }
    CHECK_MSG(ok && n > 1, "config resolution never succeeded (n=%ld)", n);

    /* Derived endpoint path too. */
    o.profile = "fips";
    ok = 0;
    for (n = 1; n < 10000; n++) {
        cmfa_code rc;

        cmfa_error_init(&err);
        cmfa__alloc_fail_after(n);
        rc = cmfa__config_resolve(&o, &cfg, &err);
        cmfa__alloc_reset();
        if (rc == CMFA_OK) {
            CHECK_STR(cfg.endpoint_url, "https://cognito-idp-fips.us-east-2.amazonaws.com");
            cmfa__config_cleanup(&cfg);
            ok = 1;
            break;
        }
        CHECK_MSG(rc == CMFA_E_NOMEM, "n=%ld: rc=%d %s", n, rc, err.message);
        cmfa_error_cleanup(&err);
    }
    CHECK(ok);
}

/* ------------------------------------------------------------------------- settings (public) */

static const char settings_config[] =
    "[default]\n"
    "output = table\n"
    "cli_pager = less -R\n"
    "\n"
    "[profile dev]\n"
    "output = text\n"
    "region = eu-west-1\n"
    "cli_timestamp_format = wire\n"
    "\n"
    "[foo]\n"                       /* not a profile in the config file: no "profile" prefix */
    "output = yaml\n"
    "\n"
    "[services x]\n"
    "cognito_identity_provider =\n"
    "  endpoint_url = http://127.0.0.1:1\n"
    "\n"
    "[profile empty]\n"
    "[profile nopager]\n"
    "cli_pager =\n"
    "output =\n";

static const char settings_credentials[] =
    "[default]\n"
    "aws_access_key_id = AKIDX\n"
    "aws_secret_access_key = secret\n"
    "[credonly]\n"
    "aws_access_key_id = AKIDY\n"
    "aws_secret_access_key = secret\n"
    "output = json\n";

static void test_settings(void)
{
    struct cmfa_error err;
    struct cmfa_settings *s;
    size_t i;

    cmfa_error_init(&err);
    reset_env(settings_config, settings_credentials);
    unsetenv("PAGER");

    /* default profile: the profile's values; unknown keys from the profile only */
    s = cmfa_settings_load(NULL, &err);
    CHECK(s != NULL);
    CHECK_STR(cmfa_settings_profile(s), "default");
    CHECK_INT(cmfa_settings_profile_found(s), 1);
    CHECK_STR(cmfa_settings_get(s, "output"), "table");
    CHECK_STR(cmfa_settings_get(s, "cli_pager"), "less -R");
    CHECK(cmfa_settings_get(s, "region") == NULL);
    CHECK(cmfa_settings_get(s, "no_such_key") == NULL);
    CHECK(cmfa_settings_get(s, NULL) == NULL);
    /* the environment wins; AWS_PAGER="" is a value (no pager), AWS_DEFAULT_OUTPUT="" is not */
    setenv("AWS_DEFAULT_OUTPUT", "text", 1);
    setenv("AWS_PAGER", "", 1);
    setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
    CHECK_STR(cmfa_settings_get(s, "output"), "text");
    CHECK_STR(cmfa_settings_get(s, "cli_pager"), "");
    CHECK_STR(cmfa_settings_get(s, "region"), "us-west-2");
    setenv("AWS_REGION", "ca-central-1", 1);
    CHECK_STR(cmfa_settings_get(s, "region"), "ca-central-1");
    setenv("AWS_DEFAULT_OUTPUT", "", 1);
    CHECK_STR(cmfa_settings_get(s, "output"), "table");
    /* profiles: [default], [profile NAME], every credentials section; [foo] and [services]
       are not profiles of the config file */
    {
        static const char *const want[] = {"default", "dev", "empty", "nopager", "credonly"};
        for (i = 0; i < 5; i++)
            CHECK_STR(cmfa_settings_profile_name(s, i), want[i]);
        CHECK(cmfa_settings_profile_name(s, 5) == NULL);
    }
    cmfa_settings_free(s);
    unsetenv("AWS_DEFAULT_OUTPUT");
    unsetenv("AWS_PAGER");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");

    /* named profiles, from the argument and from AWS_PROFILE */
    s = cmfa_settings_load("dev", &err);
    CHECK(s != NULL);
    CHECK_STR(cmfa_settings_get(s, "output"), "text");
    CHECK_STR(cmfa_settings_get(s, "region"), "eu-west-1");
    CHECK_STR(cmfa_settings_get(s, "cli_timestamp_format"), "wire");
    CHECK(cmfa_settings_get(s, "cli_pager") == NULL);
    setenv("PAGER", "more", 1);            /* after the profile's cli_pager, as the AWS CLI */
    CHECK_STR(cmfa_settings_get(s, "cli_pager"), "more");
    cmfa_settings_free(s);
    s = cmfa_settings_load("nopager", &err);
    CHECK(s != NULL);
    CHECK_STR(cmfa_settings_get(s, "cli_pager"), "");   /* "cli_pager =" turns it off */
    CHECK(cmfa_settings_get(s, "output") == NULL);
    cmfa_settings_free(s);
    s = cmfa_settings_load(NULL, &err);
    CHECK_STR(cmfa_settings_get(s, "cli_pager"), "less -R");
    cmfa_settings_free(s);
    unsetenv("PAGER");
    setenv("AWS_PROFILE", "credonly", 1);
    s = cmfa_settings_load("", &err);
    CHECK(s != NULL);
    CHECK_STR(cmfa_settings_profile(s), "credonly");
    CHECK_INT(cmfa_settings_profile_found(s), 1);
    CHECK_STR(cmfa_settings_get(s, "output"), "json");
    cmfa_settings_free(s);
    unsetenv("AWS_PROFILE");

    /* [foo] without the prefix is not the profile foo (as the core's client resolution) */
    s = cmfa_settings_load("foo", &err);
    CHECK(s != NULL);
    CHECK_INT(cmfa_settings_profile_found(s), 0);
    CHECK(cmfa_settings_get(s, "output") == NULL);
    cmfa_settings_free(s);

    /* no files at all: empty, the default profile not found */
    reset_env(NULL, NULL);
    s = cmfa_settings_load(NULL, &err);
    CHECK(s != NULL);
    CHECK_INT(cmfa_settings_profile_found(s), 0);
    CHECK(cmfa_settings_profile_name(s, 0) == NULL);
    cmfa_settings_free(s);

    /* a syntax error names the file and line */
    reset_env("[default]\nregion = x\n[broken\n", NULL);
    s = cmfa_settings_load(NULL, &err);
    CHECK(s == NULL);
    CHECK_INT(err.code, CMFA_E_CONFIG);
    CHECK_MSG(strstr(err.message, "config") && strstr(err.message, "line 3"), "%s", err.message);
    cmfa_error_cleanup(&err);

    /* NULL handles */
    CHECK(cmfa_settings_profile(NULL) == NULL);
    CHECK_INT(cmfa_settings_profile_found(NULL), 0);
    CHECK(cmfa_settings_get(NULL, "output") == NULL);
    CHECK(cmfa_settings_profile_name(NULL, 0) == NULL);
    CHECK_STR(cmfa_settings_key(0), "region");
    CHECK(cmfa_settings_key(1000) == NULL);
    cmfa_settings_free(NULL);
}

static void test_settings_alloc_failures(void)
{
    struct cmfa_error err;
    struct cmfa_settings *s;
    long n;
    int ok = 0;

    reset_env(settings_config, settings_credentials);
    for (n = 1; n < 10000; n++) {
        cmfa_error_init(&err);
        cmfa__alloc_fail_after(n);
        s = cmfa_settings_load("dev", &err);
        cmfa__alloc_reset();
        if (s) {
            CHECK_STR(cmfa_settings_get(s, "output"), "text");
            CHECK_STR(cmfa_settings_profile_name(s, 4), "credonly");
            cmfa_settings_free(s);
            cmfa_error_cleanup(&err);
            ok = 1;
            break;
        }
        CHECK_MSG(err.code == CMFA_E_NOMEM, "n=%ld: %s", n, err.message);
        cmfa_error_cleanup(&err);
    }
    CHECK_MSG(ok && n > 1, "settings never loaded (n=%ld)", n);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    clear_aws_env();
    test_ini_basic();
    test_ini_errors();
    test_ini_load();
    test_profile();
    test_files();
    test_region();
    test_endpoint();
    test_max_attempts();
    test_ca_file();
    test_alloc_failures();
    test_settings();
    test_settings_alloc_failures();
    clear_aws_env();
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_done("test_config");
}
