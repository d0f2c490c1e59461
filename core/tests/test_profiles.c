/* Unit tests for profiles.c: how a profile is classified (assume role with source_profile or
 * credential_source, web identity, SSO with and without sso-session, static keys,
 * credential_process), the steps of the plan, and every bad configuration: each an error of
 * kind credentials naming the profile, the key and the rule. No network, no secrets in
 * messages. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmfa_int.h"

static char tmpdir[] = "/tmp/cmfa-test-profiles-XXXXXX";

#include "check_env.h"
#define CHECK_ALLOC_TEST "test_profiles"
#include "check_alloc.h"

static const char *const secrets[] = {"SECRETsrc", "SECRETself", "SECRETcfg", "TOKENsrc"};

static void check_no_secrets(const char *msg)
{
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(secrets); i++)
        CHECK_MSG(strstr(msg, secrets[i]) == NULL, "secret '%s' in message: %s", secrets[i],
                  msg);
}

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
}

/* Resolves the config for profile and plans it. */
static cmfa_code plan_for(const char *profile, int use_env, struct cmfa__cred_plan *plan,
                          struct cmfa_error *err)
{
    struct cmfa_client_options o;
    struct cmfa__config cfg;
    cmfa_code rc;

    memset(&o, 0, sizeof(o));
    memset(plan, 0, sizeof(*plan));
    o.profile = profile;
    o.region = "eu-west-1";
    cmfa_error_init(err);
    rc = cmfa__config_resolve(&o, &cfg, err);
    if (rc != CMFA_OK)
        return rc;
    rc = cmfa__profile_plan(&cfg, NULL, use_env, plan, err);
    cmfa__config_cleanup(&cfg);
    return rc;
}

/* Expects a CMFA_E_CONFIG error whose message contains each of the given fragments. */
static void expect_error(const char *profile, const char *a, const char *b, const char *c)
{
    struct cmfa__cred_plan plan;
    struct cmfa_error err;
    cmfa_code rc = plan_for(profile, 1, &plan, &err);

    CHECK_MSG(rc == CMFA_E_CONFIG, "profile %s: got %s (%s)", profile, cmfa_code_name(rc),
              err.message);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_CREDENTIALS);
    CHECK_MSG(strstr(err.message, profile) != NULL, "profile not named: %s", err.message);
    CHECK_MSG(!a || strstr(err.message, a), "'%s' not in: %s", a, err.message);
    CHECK_MSG(!b || strstr(err.message, b), "'%s' not in: %s", b, err.message);
    CHECK_MSG(!c || strstr(err.message, c), "'%s' not in: %s", c, err.message);
    check_no_secrets(err.message);
    CHECK_INT(plan.n, 0);
    CHECK(plan.steps == NULL);
    cmfa_error_cleanup(&err);
}

static const char config_text[] =
    "[profile base]\n"
    "aws_access_key_id = AKIDcfg\n"
    "aws_secret_access_key = SECRETcfg\n"
    "[profile role1]\n"
    "role_arn = arn:aws:iam::111111111111:role/one\n"
    "source_profile = src\n"
    "role_session_name = sess-one\n"
    "external_id = ext-1\n"
    "duration_seconds = 3600\n"
    "mfa_serial = arn:aws:iam::111111111111:mfa/me\n"
    "[profile role2]\n"
    "role_arn = arn:aws:iam::222222222222:role/two\n"
    "source_profile = role1\n"
    "[profile role3]\n"
    "role_arn = arn:aws:iam::333333333333:role/three\n"
    "source_profile = role2\n"
    "[profile self]\n"
    "role_arn = arn:aws:iam::444444444444:role/self\n"
    "source_profile = self\n"
    "aws_access_key_id = AKIDself\n"
    "aws_secret_access_key = SECRETself\n"
    "[profile selfnokeys]\n"
    "role_arn = arn:aws:iam::444444444444:role/self\n"
    "source_profile = selfnokeys\n"
    "[profile loopa]\n"
    "role_arn = arn:aws:iam::555555555555:role/a\n"
    "source_profile = loopb\n"
    "[profile loopb]\n"
    "role_arn = arn:aws:iam::555555555555:role/b\n"
    "source_profile = loopa\n"
    "[profile nosource]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "[profile bothsources]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "source_profile = base\n"
    "credential_source = Environment\n"
    "[profile badsource]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "credential_source = environment\n"
    "[profile envsource]\n"
    "role_arn = arn:aws:iam::666666666666:role/env\n"
    "credential_source = Environment\n"
    "[profile imdssource]\n"
    "role_arn = arn:aws:iam::666666666666:role/imds\n"
    "credential_source = Ec2InstanceMetadata\n"
    "[profile ecssource]\n"
    "role_arn = arn:aws:iam::666666666666:role/ecs\n"
    "credential_source = EcsContainer\n"
    "[profile missingsource]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "source_profile = nowhere\n"
    "[profile emptysource]\n"
    "region = eu-west-1\n"
    "[profile usesempty]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "source_profile = emptysource\n"
    "[profile badduration]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "source_profile = base\n"
    "duration_seconds = 1h\n"
    "[profile shortduration]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "source_profile = base\n"
    "duration_seconds = 60\n"
    "[profile badarn]\n"
    "role_arn = not-an-arn\n"
    "source_profile = base\n"
    "[profile badsession]\n"
    "role_arn = arn:aws:iam::666666666666:role/x\n"
    "source_profile = base\n"
    "role_session_name = has space\n"
    "[profile webid]\n"
    "role_arn = arn:aws:iam::777777777777:role/web\n"
    "web_identity_token_file = /var/run/token\n"
    "role_session_name = web-sess\n"
    "[profile webnorole]\n"
    "web_identity_token_file = /var/run/token\n"
    "[profile viaweb]\n"
    "role_arn = arn:aws:iam::777777777777:role/after-web\n"
    "source_profile = webid\n"
    "[sso-session corp]\n"
    "sso_start_url = https://corp.awsapps.com/start\n"
    "sso_region = us-east-1\n"
    "sso_registration_scopes = sso:account:access\n"
    "[profile sso]\n"
    "sso_session = corp\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = Admin\n"
    "region = eu-west-1\n"
    "[profile ssolegacy]\n"
    "sso_start_url = https://legacy.awsapps.com/start\n"
    "sso_region = eu-central-1\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = ReadOnly\n"
    "[profile ssomissing]\n"
    "sso_account_id = 123456789012\n"
    "[profile ssonosession]\n"
    "sso_session = nope\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = Admin\n"
    "[profile ssomismatch]\n"
    "sso_session = corp\n"
    "sso_region = eu-west-1\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = Admin\n"
    "[profile ssosame]\n"
    "sso_session = corp\n"
    "sso_region = us-east-1\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = Admin\n"
    "[profile ssobadaccount]\n"
    "sso_session = corp\n"
    "sso_account_id = 1234\n"
    "sso_role_name = Admin\n"
    "[profile ssologin]\n"
    "sso_session = corp\n"
    "[profile viasso]\n"
    "role_arn = arn:aws:iam::888888888888:role/after-sso\n"
    "source_profile = sso\n"
    "[profile proc]\n"
    "credential_process = /bin/echo hello\n"
    "[profile half]\n"
    "aws_access_key_id = AKIDhalf\n"
    "[profile nothing]\n"
    "region = eu-west-1\n";

static const char credentials_text[] =
    "[src]\n"
    "aws_access_key_id = AKIDsrc\n"
    "aws_secret_access_key = SECRETsrc\n"
    "aws_session_token = TOKENsrc\n";

static void test_assume_role_chain(void)
{
    struct cmfa__cred_plan plan;
    struct cmfa_error err;

    reset_env(config_text, credentials_text);
    CHECK_INT(plan_for("role3", 1, &plan, &err), CMFA_OK);
    CHECK_INT(plan.n, 4);
    if (plan.n == 4) {
        CHECK_INT(plan.steps[0].kind, CMFA__STEP_STATIC);
        CHECK_STR(plan.steps[0].profile, "src");
        CHECK_STR(plan.steps[0].access_key_id, "AKIDsrc");
        CHECK_STR(plan.steps[0].secret_access_key, "SECRETsrc");
        CHECK_STR(plan.steps[0].session_token, "TOKENsrc");
        CHECK_STR(plan.steps[0].where, "credentials file");
        CHECK_INT(plan.steps[1].kind, CMFA__STEP_ASSUME_ROLE);
        CHECK_STR(plan.steps[1].profile, "role1");
        CHECK_STR(plan.steps[1].role_arn, "arn:aws:iam::111111111111:role/one");
        CHECK_STR(plan.steps[1].role_session_name, "sess-one");
        CHECK_STR(plan.steps[1].external_id, "ext-1");
        CHECK_STR(plan.steps[1].mfa_serial, "arn:aws:iam::111111111111:mfa/me");
        CHECK_INT(plan.steps[1].duration_seconds, 3600);
        CHECK_INT(plan.steps[2].kind, CMFA__STEP_ASSUME_ROLE);
        CHECK_STR(plan.steps[2].profile, "role2");
        CHECK(plan.steps[2].role_session_name == NULL);
        CHECK(plan.steps[2].external_id == NULL);
        CHECK_INT(plan.steps[2].duration_seconds, 0);
        CHECK_INT(plan.steps[3].kind, CMFA__STEP_ASSUME_ROLE);
        CHECK_STR(plan.steps[3].role_arn, "arn:aws:iam::333333333333:role/three");
    }
    cmfa__cred_plan_cleanup(&plan);
    CHECK_INT(plan.n, 0);

    /* A profile that is its own source uses its static keys, then assumes its role. */
    CHECK_INT(plan_for("self", 1, &plan, &err), CMFA_OK);
    CHECK_INT(plan.n, 2);
    if (plan.n == 2) {
        CHECK_INT(plan.steps[0].kind, CMFA__STEP_STATIC);
        CHECK_STR(plan.steps[0].access_key_id, "AKIDself");
        CHECK_STR(plan.steps[0].where, "config file");
        CHECK_INT(plan.steps[1].kind, CMFA__STEP_ASSUME_ROLE);
        CHECK_STR(plan.steps[1].role_arn, "arn:aws:iam::444444444444:role/self");
    }
    cmfa__cred_plan_cleanup(&plan);

    /* credential_source */
    CHECK_INT(plan_for("envsource", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 2 && plan.steps[0].kind == CMFA__STEP_ENVIRONMENT &&
          plan.steps[1].kind == CMFA__STEP_ASSUME_ROLE);
    cmfa__cred_plan_cleanup(&plan);
    CHECK_INT(plan_for("imdssource", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 2 && plan.steps[0].kind == CMFA__STEP_IMDS);
    cmfa__cred_plan_cleanup(&plan);
    CHECK_INT(plan_for("ecssource", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 2 && plan.steps[0].kind == CMFA__STEP_CONTAINER);
    CHECK_STR(cmfa__cred_step_name(plan.steps[0].kind), "container");
    cmfa__cred_plan_cleanup(&plan);

    /* web identity and SSO as sources */
    CHECK_INT(plan_for("viaweb", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 2 && plan.steps[0].kind == CMFA__STEP_WEB_IDENTITY &&
          plan.steps[1].kind == CMFA__STEP_ASSUME_ROLE);
    cmfa__cred_plan_cleanup(&plan);
    CHECK_INT(plan_for("viasso", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 2 && plan.steps[0].kind == CMFA__STEP_SSO &&
          plan.steps[1].kind == CMFA__STEP_ASSUME_ROLE);
    cmfa__cred_plan_cleanup(&plan);
    cmfa_error_cleanup(&err);
}

static void test_assume_role_errors(void)
{
    reset_env(config_text, credentials_text);
    expect_error("nosource", "role_arn", "source_profile", "credential_source");
    expect_error("bothsources", "both source_profile and credential_source", "exactly one",
                 NULL);
    expect_error("badsource", "credential_source \"environment\"", "not valid",
                 "Ec2InstanceMetadata");
    expect_error("loopa", "source_profile", "loop", "loopa -> loopb -> loopa");
    expect_error("selfnokeys", "source_profile \"selfnokeys\"", "loop", "static keys");
    expect_error("missingsource", "source_profile \"nowhere\"", "does not exist", NULL);
    expect_error("usesempty", "source_profile \"emptysource\"", "must have credentials", NULL);
    expect_error("badduration", "duration_seconds \"1h\"", "900 to 43200", NULL);
    expect_error("shortduration", "duration_seconds \"60\"", "900 to 43200", NULL);
    expect_error("badarn", "role_arn \"not-an-arn\"", "role ARN", NULL);
    expect_error("badsession", "role_session_name", "2 to 64", NULL);
    expect_error("half", "aws_access_key_id", "aws_secret_access_key", "both keys");
}

static void test_web_identity(void)
{
    struct cmfa__cred_plan plan;
    struct cmfa_error err;

    reset_env(config_text, credentials_text);
    CHECK_INT(plan_for("webid", 1, &plan, &err), CMFA_OK);
    CHECK_INT(plan.n, 1);
    if (plan.n == 1) {
        CHECK_INT(plan.steps[0].kind, CMFA__STEP_WEB_IDENTITY);
        CHECK_STR(plan.steps[0].role_arn, "arn:aws:iam::777777777777:role/web");
        CHECK_STR(plan.steps[0].token_file, "/var/run/token");
        CHECK_STR(plan.steps[0].role_session_name, "web-sess");
        CHECK_INT(plan.steps[0].from_env, 0);
    }
    cmfa__cred_plan_cleanup(&plan);

    expect_error("webnorole", "web_identity_token_file", "role_arn", "AWS_ROLE_ARN");

    /* The environment comes first for the profile in use... */
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/env/token", 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::999999999999:role/env", 1);
    setenv("AWS_ROLE_SESSION_NAME", "env-sess", 1);
    CHECK_INT(plan_for("nothing", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 1 && plan.steps[0].kind == CMFA__STEP_WEB_IDENTITY);
    if (plan.n == 1) {
        CHECK_STR(plan.steps[0].token_file, "/env/token");
        CHECK_STR(plan.steps[0].role_arn, "arn:aws:iam::999999999999:role/env");
        CHECK_STR(plan.steps[0].role_session_name, "env-sess");
        CHECK_INT(plan.steps[0].from_env, 1);
    }
    cmfa__cred_plan_cleanup(&plan);
    /* ... not when turned off, and a role_arn profile still assumes its role */
    CHECK_INT(plan_for("nothing", 0, &plan, &err), CMFA_E_NO_CREDENTIALS);
    CHECK_INT(err.code, CMFA_OK);
    CHECK_INT(plan_for("role1", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 2 && plan.steps[0].kind == CMFA__STEP_STATIC);
    cmfa__cred_plan_cleanup(&plan);
    unsetenv("AWS_ROLE_ARN");
    expect_error("nothing", "AWS_WEB_IDENTITY_TOKEN_FILE", "role ARN", NULL);
    setenv("AWS_ROLE_ARN", "bad arn", 1);
    expect_error("nothing", "AWS_ROLE_ARN", "not a role ARN", NULL);
    cmfa_error_cleanup(&err);
}

static void test_sso(void)
{
    struct cmfa__cred_plan plan;
    struct cmfa__cred_step step;
    struct cmfa_error err;
    struct cmfa__config cfg;
    struct cmfa_client_options o;

    reset_env(config_text, credentials_text);
    CHECK_INT(plan_for("sso", 1, &plan, &err), CMFA_OK);
    CHECK_INT(plan.n, 1);
    if (plan.n == 1) {
        const struct cmfa__cred_step *s = &plan.steps[0];
        CHECK_INT(s->kind, CMFA__STEP_SSO);
        CHECK_STR(s->sso_session, "corp");
        CHECK_STR(s->sso_start_url, "https://corp.awsapps.com/start");
        CHECK_STR(s->sso_region, "us-east-1");
        CHECK_STR(s->sso_account_id, "123456789012");
        CHECK_STR(s->sso_role_name, "Admin");
        CHECK_STR(s->sso_registration_scopes, "sso:account:access");
    }
    cmfa__cred_plan_cleanup(&plan);

    CHECK_INT(plan_for("ssolegacy", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 1 && plan.steps[0].sso_session == NULL);
    if (plan.n == 1) {
        CHECK_STR(plan.steps[0].sso_start_url, "https://legacy.awsapps.com/start");
        CHECK_STR(plan.steps[0].sso_region, "eu-central-1");
        CHECK_STR(plan.steps[0].sso_role_name, "ReadOnly");
    }
    cmfa__cred_plan_cleanup(&plan);

    /* equal values in both places are fine */
    CHECK_INT(plan_for("ssosame", 1, &plan, &err), CMFA_OK);
    cmfa__cred_plan_cleanup(&plan);

    expect_error("ssomissing", "missing required configuration",
                 "sso_start_url, sso_region, sso_role_name", NULL);
    expect_error("ssonosession", "sso_session \"nope\"", "does not exist", NULL);
    expect_error("ssomismatch", "sso_region", "inconsistent", "eu-west-1");
    expect_error("ssobadaccount", "sso_account_id \"1234\"", "12 digits", NULL);

    /* sso login: a session-only profile is enough when no role is needed */
    memset(&o, 0, sizeof(o));
    o.profile = "ssologin";
    o.region = "eu-west-1";
    cmfa_error_init(&err);
    CHECK_INT(cmfa__config_resolve(&o, &cfg, &err), CMFA_OK);
    CHECK_INT(cmfa__profile_sso(&cfg, "ssologin", 0, &step, &err), CMFA_OK);
    CHECK_STR(step.sso_session, "corp");
    CHECK(step.sso_role_name == NULL);
    cmfa__cred_step_cleanup(&step);
    CHECK_INT(cmfa__profile_sso(&cfg, "ssologin", 1, &step, &err), CMFA_E_CONFIG);
    CHECK(strstr(err.message, "sso_account_id, sso_role_name") != NULL);
    /* the profile without SSO settings: no plan */
    cmfa__config_cleanup(&cfg);
    CHECK_INT(plan_for("ssologin", 1, &plan, &err), CMFA_E_NO_CREDENTIALS);
    cmfa_error_cleanup(&err);
}

static void test_static_and_process(void)
{
    struct cmfa__cred_plan plan;
    struct cmfa_error err;

    reset_env(config_text, credentials_text);
    CHECK_INT(plan_for("proc", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 1 && plan.steps[0].kind == CMFA__STEP_PROCESS);
    if (plan.n == 1)
        CHECK_STR(plan.steps[0].command, "/bin/echo hello");
    cmfa__cred_plan_cleanup(&plan);
    CHECK_INT(plan_for("base", 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 1 && plan.steps[0].kind == CMFA__STEP_STATIC);
    cmfa__cred_plan_cleanup(&plan);
    CHECK_INT(plan_for("nothing", 1, &plan, &err), CMFA_E_NO_CREDENTIALS);
    CHECK(plan.steps == NULL);
    /* [default] in the config file */
    reset_env("[default]\naws_access_key_id = AKIDdef\naws_secret_access_key = SECRETcfg\n",
              NULL);
    CHECK_INT(plan_for(NULL, 1, &plan, &err), CMFA_OK);
    CHECK(plan.n == 1 && plan.steps[0].kind == CMFA__STEP_STATIC);
    if (plan.n == 1)
        CHECK_STR(plan.steps[0].access_key_id, "AKIDdef");
    cmfa__cred_plan_cleanup(&plan);
    cmfa_error_cleanup(&err);
}

static void test_long_chain(void)
{
    struct cmfa__buf b;
    struct cmfa__cred_plan plan;
    struct cmfa_error err;
    int i;

    cmfa__buf_init(&b, 0);
    cmfa__buf_addstr(&b, "[profile p0]\naws_access_key_id = A\naws_secret_access_key = S\n");
    for (i = 1; i <= 40; i++)
        cmfa__buf_printf(&b, "[profile p%d]\nrole_arn = arn:aws:iam::123456789012:role/r%d\n"
                             "source_profile = p%d\n", i, i, i - 1);
    reset_env(b.data, NULL);
    CHECK_INT(plan_for("p20", 1, &plan, &err), CMFA_OK);
    CHECK_INT(plan.n, 21);
    cmfa__cred_plan_cleanup(&plan);
    cmfa_error_cleanup(&err);
    expect_error("p40", "longer than", NULL, NULL);
    cmfa__buf_cleanup(&b);
}

static cmfa_code plan_once(void)
{
    struct cmfa__cred_plan plan;
    struct cmfa_error err;
    cmfa_code rc = plan_for("role3", 1, &plan, &err);

    if (rc == CMFA_OK) {
        cmfa__cred_plan_cleanup(&plan);
        rc = plan_for("viasso", 1, &plan, &err);
    }
    if (rc == CMFA_OK) {
        cmfa__cred_plan_cleanup(&plan);
        rc = plan_for("webid", 1, &plan, &err);
    }
    cmfa__cred_plan_cleanup(&plan);
    cmfa_error_cleanup(&err);
    return rc;
}

static void test_alloc_failures(void)
{
    reset_env(config_text, credentials_text);
    alloc_loop("profile plans", plan_once);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_assume_role_chain();
    test_assume_role_errors();
    test_web_identity();
    test_sso();
    test_static_and_process();
    test_long_chain();
    test_alloc_failures();
    nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return check_done("test_profiles");
}
