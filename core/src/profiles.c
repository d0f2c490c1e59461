/* Profile resolution: what a profile of the shared config/credentials files says about where
 * its credentials come from, as a plan of steps, checked the way botocore checks it. No I/O
 * beyond the files already loaded into struct cmfa__config; nothing is fetched here.
 *
 * Order (botocore's credential chain, after the environment keys the chain handles itself):
 *   1. role_arn without web_identity_token_file: assume a role. Exactly one of source_profile
 *      (any depth, each source resolved as in 3-5 or again as an assume-role profile) and
 *      credential_source (Environment, Ec2InstanceMetadata, EcsContainer; case-sensitive as in
 *      botocore). A profile may name itself as source_profile only when it has static keys
 *      (the keys are the source, the role is assumed with them); any other repetition is a
 *      loop.
 *   2. web identity: web_identity_token_file and role_arn (+ role_session_name); for the
 *      profile in use, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME
 *      come first (not for source profiles, and not when the caller turns the environment off).
 *   3. SSO: sso_account_id or sso_role_name. With sso_session, the "[sso-session NAME]"
 *      section gives sso_start_url and sso_region (and sso_registration_scopes); a value set in
 *      both places must be equal. Without it (legacy), the profile has sso_start_url and
 *      sso_region itself. All four of sso_start_url, sso_region, sso_account_id, sso_role_name
 *      are required.
 *   4. static keys in the credentials file, 5. credential_process, 6. static keys in the
 *      config file.
 * A profile with none of these is "no credentials here" for the top-level profile
 * (CMFA_E_NO_CREDENTIALS, so the chain goes on) and an error for a source profile.
 *
 * Every error is CMFA_E_CONFIG and names the profile, the key at fault and the rule. Secrets
 * (static keys) are copied into the plan and wiped when it is cleaned up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmfa_int.h"

#define MAX_CHAIN 32    /* steps in one plan; a longer source_profile chain is refused */

static const char *step_names[] = {
    "none",        "static keys", "credential_process", "environment",
    "EC2 instance metadata", "container", "web identity", "SSO", "assume role",
};

const char *cmfa__cred_step_name(enum cmfa__step_kind kind)
{
    return (size_t)kind < CMFA__ARRAY_LEN(step_names) ? step_names[kind] : "?";
}

static void step_cleanup(struct cmfa__cred_step *s)
{
    cmfa_free(s->profile);
    cmfa_free(s->access_key_id);
    cmfa__free_secret(s->secret_access_key);
    cmfa__free_secret(s->session_token);
    cmfa__free_secret(s->command);
    cmfa_free(s->role_arn);
    cmfa_free(s->role_session_name);
    cmfa_free(s->external_id);
    cmfa_free(s->mfa_serial);
    cmfa_free(s->token_file);
    cmfa_free(s->sso_session);
    cmfa_free(s->sso_start_url);
    cmfa_free(s->sso_region);
    cmfa_free(s->sso_account_id);
    cmfa_free(s->sso_role_name);
    cmfa_free(s->sso_registration_scopes);
    memset(s, 0, sizeof(*s));
}

void cmfa__cred_plan_cleanup(struct cmfa__cred_plan *plan)
{
    size_t i;

    if (!plan)
        return;
    for (i = 0; i < plan->n; i++)
        step_cleanup(&plan->steps[i]);
    cmfa_free(plan->steps);
    memset(plan, 0, sizeof(*plan));
}

/* ------------------------------------------------------------------------- helpers */

struct ctx {
    const struct cmfa__config *cfg;
    struct cmfa__cred_plan *plan;
    const char *visited[MAX_CHAIN];
    size_t nvisited;
    struct cmfa_error *err;
};

static const char *get(const struct ctx *c, const char *profile, const char *key)
{
    return cmfa__config_named_get(c->cfg, profile, key);
}

static int has(const struct ctx *c, const char *profile, const char *key)
{
    return get(c, profile, key) != NULL;
}

/* Copies of (non-secret) names for messages. */
#define SHOW(s, buf) cmfa__printable((s), (buf), sizeof(buf))

static cmfa_code nomem(struct ctx *c)
{
    return cmfa__fail(c->err, CMFA_E_NOMEM, NULL);
}

/* Appends an empty step of kind for profile. */
static struct cmfa__cred_step *add_step(struct ctx *c, enum cmfa__step_kind kind,
                                        const char *profile)
{
    struct cmfa__cred_step *s;

    if (c->plan->n >= MAX_CHAIN) {
        char shown[80], tshown[80];
        cmfa__fail(c->err, CMFA_E_CONFIG,
                   "profile \"%s\": the source_profile chain from profile \"%s\" is longer "
                   "than %d profiles",
                   SHOW(profile, shown), SHOW(c->visited[0], tshown), MAX_CHAIN);
        return NULL;
    }
    if (!c->plan->steps) {
        c->plan->steps = cmfa_malloc(MAX_CHAIN * sizeof(*s));
        if (!c->plan->steps) {
            nomem(c);
            return NULL;
        }
    }
    s = &c->plan->steps[c->plan->n];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->profile = cmfa__strdup(profile);
    if (!s->profile) {
        nomem(c);
        return NULL;
    }
    c->plan->n++;
    return s;
}

/* *dst = copy of v (NULL stays NULL). */
static cmfa_code dup_opt(struct ctx *c, char **dst, const char *v)
{
    if (!v)
        return CMFA_OK;
    *dst = cmfa__strdup(v);
    return *dst ? CMFA_OK : nomem(c);
}

static int has_static_keys(const struct ctx *c, const char *profile)
{
    return has(c, profile, "aws_access_key_id") || has(c, profile, "aws_secret_access_key");
}

/* botocore: role_arn set and no web_identity_token_file. */
static int is_assume_role(const struct ctx *c, const char *profile)
{
    return has(c, profile, "role_arn") && !has(c, profile, "web_identity_token_file");
}

/* duration_seconds: an integer of seconds, 900 to 43200 (what STS accepts). */
static cmfa_code parse_duration(struct ctx *c, const char *profile, const char *v, long *out)
{
    char shown[80], vshown[40];
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (errno || end == v || *end || n < 900 || n > 43200)
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\": duration_seconds \"%s\" is not valid: expected an "
                          "integer number of seconds from 900 to 43200",
                          SHOW(profile, shown), SHOW(v, vshown));
    *out = n;
    return CMFA_OK;
}

static int arn_ok(const char *v)
{
    size_t i;

    if (strncmp(v, "arn:", 4) != 0 || strlen(v) < 20 || strlen(v) > 2048)
        return 0;
    for (i = 0; v[i]; i++)
        if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
            return 0;
    return 1;
}

/* role_session_name: 2 to 64 of [\w+=,.@-] (the STS pattern). */
static int session_name_ok(const char *v)
{
    size_t i, n = strlen(v);

    if (n < 2 || n > 64)
        return 0;
    for (i = 0; i < n; i++) {
        char ch = v[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr("_+=,.@-", ch)))
            return 0;
    }
    return 1;
}

/* Fills the role fields shared by assume-role and web identity steps. */
static cmfa_code role_fields(struct ctx *c, struct cmfa__cred_step *s, const char *profile,
                             const char *role_arn, const char *role_arn_key,
                             const char *session_name, const char *session_key)
{
    char shown[80], vshown[80];

    if (!arn_ok(role_arn))
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\": %s \"%s\" is not a role ARN (arn:PARTITION:iam::"
                          "ACCOUNT:role/NAME)",
                          SHOW(profile, shown), role_arn_key, SHOW(role_arn, vshown));
    if (session_name && !session_name_ok(session_name))
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\": %s \"%s\" is not valid: 2 to 64 letters, digits "
                          "or any of _+=,.@-",
                          SHOW(profile, shown), session_key, SHOW(session_name, vshown));
    if (dup_opt(c, &s->role_arn, role_arn) != CMFA_OK ||
        dup_opt(c, &s->role_session_name, session_name) != CMFA_OK)
        return CMFA_E_NOMEM;
    return CMFA_OK;
}

/* ------------------------------------------------------------------------- web identity */

static cmfa_code web_identity(struct ctx *c, const char *profile, int use_env, int *found)
{
    const char *file = NULL, *arn = NULL, *name = NULL;
    const char *file_key = "web_identity_token_file", *arn_key = "role_arn",
               *name_key = "role_session_name";
    struct cmfa__cred_step *s;
    char shown[80];

    *found = 0;
    if (use_env) {
        if ((file = cmfa__env_get("AWS_WEB_IDENTITY_TOKEN_FILE")))
            file_key = "AWS_WEB_IDENTITY_TOKEN_FILE";
        if ((arn = cmfa__env_get("AWS_ROLE_ARN")))
            arn_key = "AWS_ROLE_ARN";
        if ((name = cmfa__env_get("AWS_ROLE_SESSION_NAME")))
            name_key = "AWS_ROLE_SESSION_NAME";
    }
    if (!file)
        file = cmfa__nonempty(get(c, profile, "web_identity_token_file"));
    if (!file)
        return CMFA_OK;
    if (!arn)
        arn = cmfa__nonempty(get(c, profile, "role_arn"));
    if (!name)
        name = cmfa__nonempty(get(c, profile, "role_session_name"));
    if (!arn)
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\" is configured to assume a role with web identity (%s) "
                          "but has no role ARN: set role_arn in the profile or AWS_ROLE_ARN",
                          SHOW(profile, shown), file_key);
    s = add_step(c, CMFA__STEP_WEB_IDENTITY, profile);
    if (!s)
        return c->err ? c->err->code : CMFA_E_NOMEM;
    s->from_env = strcmp(file_key, "AWS_WEB_IDENTITY_TOKEN_FILE") == 0;
    if (role_fields(c, s, profile, arn, arn_key, name, name_key) != CMFA_OK ||
        dup_opt(c, &s->token_file, file) != CMFA_OK)
        return c->err ? c->err->code : CMFA_E_NOMEM;
    *found = 1;
    return CMFA_OK;
}

/* ------------------------------------------------------------------------- SSO */

cmfa_code cmfa__profile_sso(const struct cmfa__config *cfg, const char *profile, int need_role,
                            struct cmfa__cred_step *s, struct cmfa_error *err)
{
    static const char *const session_keys[] = {"sso_start_url", "sso_region",
                                               "sso_registration_scopes"};
    const char *session = NULL, *vals[3] = {NULL, NULL, NULL};
    const char *account, *role;
    struct cmfa__buf section, missing;
    char shown[80], sshown[80];
    size_t i;
    cmfa_code rc = CMFA_OK;

    cmfa__buf_init(&section, 0);
    cmfa__buf_init(&missing, 256);
    session = cmfa__nonempty(cmfa__config_named_get(cfg, profile, "sso_session"));
    for (i = 0; i < CMFA__ARRAY_LEN(session_keys); i++)
        vals[i] = cmfa__nonempty(cmfa__config_named_get(cfg, profile, session_keys[i]));
    if (session) {
        if (cmfa__buf_printf(&section, "sso-session %s", session) != CMFA_OK) {
            rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
            goto cleanup;
        }
        if (!cmfa__ini_has_section(cfg->config_file, section.data)) {
            rc = cmfa__fail(err, CMFA_E_CONFIG,
                            "profile \"%s\": sso_session \"%s\" names an [sso-session %s] "
                            "section that does not exist in the config file",
                            SHOW(profile, shown), SHOW(session, sshown), sshown);
            goto cleanup;
        }
        for (i = 0; i < CMFA__ARRAY_LEN(session_keys); i++) {
            const char *sv = cmfa__nonempty(
                cmfa__ini_get(cfg->config_file, section.data, NULL, session_keys[i]));
            if (!sv)
                continue;
            if (vals[i] && strcmp(vals[i], sv) != 0) {
                char a[120], b[120];
                rc = cmfa__fail(err, CMFA_E_CONFIG,
                                "profile \"%s\": %s is inconsistent between the profile "
                                "(%s) and [sso-session %s] (%s): they must be equal",
                                SHOW(profile, shown), session_keys[i], SHOW(vals[i], a),
                                SHOW(session, sshown), SHOW(sv, b));
                goto cleanup;
            }
            vals[i] = sv;
        }
    }
    account = cmfa__nonempty(cmfa__config_named_get(cfg, profile, "sso_account_id"));
    role = cmfa__nonempty(cmfa__config_named_get(cfg, profile, "sso_role_name"));
    if (!vals[0])
        rc = cmfa__buf_addstr(&missing, ", sso_start_url");
    if (rc == CMFA_OK && !vals[1])
        rc = cmfa__buf_addstr(&missing, ", sso_region");
    if (rc == CMFA_OK && need_role && !account)
        rc = cmfa__buf_addstr(&missing, ", sso_account_id");
    if (rc == CMFA_OK && need_role && !role)
        rc = cmfa__buf_addstr(&missing, ", sso_role_name");
    if (rc != CMFA_OK) {
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }
    if (missing.len) {
        rc = cmfa__fail(err, CMFA_E_CONFIG,
                        "profile \"%s\" is configured to use SSO but is missing required "
                        "configuration: %s%s",
                        SHOW(profile, shown), missing.data + 2,
                        session ? " (in the profile or its sso-session)" : "");
        goto cleanup;
    }
    if (strchr(vals[1], '/') || strlen(vals[1]) > 63) {
        rc = cmfa__fail(err, CMFA_E_CONFIG, "profile \"%s\": sso_region \"%s\" is not a region",
                        SHOW(profile, shown), SHOW(vals[1], sshown));
        goto cleanup;
    }
    if (account) {
        size_t n = strlen(account);
        for (i = 0; i < n && account[i] >= '0' && account[i] <= '9'; i++)
            ;
        if (n != 12 || i != n) {
            rc = cmfa__fail(err, CMFA_E_CONFIG,
                            "profile \"%s\": sso_account_id \"%s\" is not an account id (12 "
                            "digits)",
                            SHOW(profile, shown), SHOW(account, sshown));
            goto cleanup;
        }
    }
    memset(s, 0, sizeof(*s));
    s->kind = CMFA__STEP_SSO;
    s->profile = cmfa__strdup(profile);
    s->sso_session = session ? cmfa__strdup(session) : NULL;
    s->sso_start_url = cmfa__strdup(vals[0]);
    s->sso_region = cmfa__strdup(vals[1]);
    s->sso_registration_scopes = vals[2] ? cmfa__strdup(vals[2]) : NULL;
    s->sso_account_id = account ? cmfa__strdup(account) : NULL;
    s->sso_role_name = role ? cmfa__strdup(role) : NULL;
    if (!s->profile || (session && !s->sso_session) || !s->sso_start_url || !s->sso_region ||
        (vals[2] && !s->sso_registration_scopes) || (account && !s->sso_account_id) ||
        (role && !s->sso_role_name)) {
        step_cleanup(s);
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }

cleanup:
    cmfa__buf_cleanup(&section);
    cmfa__buf_cleanup(&missing);
    return rc;
}

void cmfa__cred_step_cleanup(struct cmfa__cred_step *s)
{
    if (s)
        step_cleanup(s);
}

static cmfa_code sso(struct ctx *c, const char *profile, int *found)
{
    struct cmfa__cred_step *s;
    cmfa_code rc;

    *found = 0;
    if (!has(c, profile, "sso_account_id") && !has(c, profile, "sso_role_name"))
        return CMFA_OK;
    s = add_step(c, CMFA__STEP_SSO, profile);
    if (!s)
        return c->err ? c->err->code : CMFA_E_NOMEM;
    step_cleanup(s);
    c->plan->n--;
    rc = cmfa__profile_sso(c->cfg, profile, 1, s, c->err);
    if (rc != CMFA_OK)
        return rc;
    c->plan->n++;
    *found = 1;
    return CMFA_OK;
}

/* ------------------------------------------------------------------------- static, process */

static cmfa_code static_keys(struct ctx *c, const char *profile, const struct cmfa__ini *ini,
                             int config_file, const char *where, int *found)
{
    const char *akid, *secret, *token;
    struct cmfa__cred_step *s;
    struct cmfa__buf name;
    char shown[80];

    *found = 0;
    if (!ini)
        return CMFA_OK;
    cmfa__buf_init(&name, 0);
    if (config_file && strcmp(profile, "default") != 0 &&
        cmfa__buf_printf(&name, "profile %s", profile) != CMFA_OK) {
        cmfa__buf_cleanup(&name);
        return nomem(c);
    }
    if (config_file && strcmp(profile, "default") == 0) {
        /* [profile default] first, then [default] */
        akid = cmfa__ini_get(ini, "profile default", NULL, "aws_access_key_id");
        secret = cmfa__ini_get(ini, "profile default", NULL, "aws_secret_access_key");
        token = cmfa__ini_get(ini, "profile default", NULL, "aws_session_token");
        if (!akid && !secret) {
            akid = cmfa__ini_get(ini, "default", NULL, "aws_access_key_id");
            secret = cmfa__ini_get(ini, "default", NULL, "aws_secret_access_key");
            token = cmfa__ini_get(ini, "default", NULL, "aws_session_token");
        }
    } else {
        const char *sec = config_file ? name.data : profile;
        akid = cmfa__ini_get(ini, sec, NULL, "aws_access_key_id");
        secret = cmfa__ini_get(ini, sec, NULL, "aws_secret_access_key");
        token = cmfa__ini_get(ini, sec, NULL, "aws_session_token");
    }
    cmfa__buf_cleanup(&name);
    akid = cmfa__nonempty(akid);
    secret = cmfa__nonempty(secret);
    if (!akid && !secret)
        return CMFA_OK;
    if (!akid || !secret)
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\" in the %s has %s but no %s: both keys are required",
                          SHOW(profile, shown), where,
                          akid ? "aws_access_key_id" : "aws_secret_access_key",
                          akid ? "aws_secret_access_key" : "aws_access_key_id");
    s = add_step(c, CMFA__STEP_STATIC, profile);
    if (!s)
        return c->err ? c->err->code : CMFA_E_NOMEM;
    s->where = where;
    if (dup_opt(c, &s->access_key_id, akid) != CMFA_OK ||
        dup_opt(c, &s->secret_access_key, secret) != CMFA_OK ||
        dup_opt(c, &s->session_token, cmfa__nonempty(token)) != CMFA_OK)
        return CMFA_E_NOMEM;
    *found = 1;
    return CMFA_OK;
}

static cmfa_code process(struct ctx *c, const char *profile, int *found)
{
    const char *cmd = cmfa__nonempty(get(c, profile, "credential_process"));
    struct cmfa__cred_step *s;

    *found = 0;
    if (!cmd)
        return CMFA_OK;
    s = add_step(c, CMFA__STEP_PROCESS, profile);
    if (!s)
        return c->err ? c->err->code : CMFA_E_NOMEM;
    if (dup_opt(c, &s->command, cmd) != CMFA_OK)
        return CMFA_E_NOMEM;
    *found = 1;
    return CMFA_OK;
}

/* botocore's profile providers in order: web identity, SSO, credentials file, process, config
 * file. *found 0: the profile has no credentials of these kinds. */
static cmfa_code profile_providers(struct ctx *c, const char *profile, int use_env, int *found)
{
    cmfa_code rc;

    if ((rc = web_identity(c, profile, use_env, found)) != CMFA_OK || *found)
        return rc;
    if ((rc = sso(c, profile, found)) != CMFA_OK || *found)
        return rc;
    if ((rc = static_keys(c, profile, c->cfg->credentials_file, 0, "credentials file", found)) !=
            CMFA_OK ||
        *found)
        return rc;
    if ((rc = process(c, profile, found)) != CMFA_OK || *found)
        return rc;
    return static_keys(c, profile, c->cfg->config_file, 1, "config file", found);
}

/* ------------------------------------------------------------------------- assume role */

static int visited(const struct ctx *c, const char *profile)
{
    size_t i;

    for (i = 0; i < c->nvisited; i++)
        if (strcmp(c->visited[i], profile) == 0)
            return 1;
    return 0;
}

static cmfa_code assume_role(struct ctx *c, const char *profile);

static cmfa_code source_profile(struct ctx *c, const char *parent, const char *src)
{
    char shown[80], sshown[80];
    int found = 0;
    cmfa_code rc;

    if (!cmfa__config_has_profile(c->cfg, src))
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\": source_profile \"%s\" does not exist",
                          SHOW(parent, shown), SHOW(src, sshown));
    if (visited(c, src)) {
        /* A profile may be its own source only to use its own static keys. */
        if (strcmp(src, parent) != 0 || !has_static_keys(c, src)) {
            struct cmfa__buf chain;
            size_t i;
            cmfa__buf_init(&chain, 400);
            for (i = 0; i < c->nvisited; i++)
                if (cmfa__buf_printf(&chain, "%s -> ", SHOW(c->visited[i], shown)) != CMFA_OK)
                    break;
            rc = cmfa__fail(c->err, CMFA_E_CONFIG,
                            "profile \"%s\": source_profile \"%s\" makes a loop (%s%s); a "
                            "profile may name itself only when it has static keys",
                            SHOW(parent, shown), SHOW(src, sshown),
                            chain.data ? chain.data : "", sshown);
            cmfa__buf_cleanup(&chain);
            return rc;
        }
    }
    if (c->nvisited >= MAX_CHAIN)
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\": the source_profile chain from profile \"%s\" is "
                          "longer than %d profiles",
                          SHOW(parent, shown), SHOW(c->visited[0], sshown), MAX_CHAIN);
    c->visited[c->nvisited++] = src;
    if (has_static_keys(c, src) || !is_assume_role(c, src)) {
        rc = profile_providers(c, src, 0, &found);
        if (rc != CMFA_OK)
            return rc;
        if (!found)
            return cmfa__fail(c->err, CMFA_E_CONFIG,
                              "profile \"%s\": source_profile \"%s\" must have credentials "
                              "(static keys, credential_process, web identity, SSO or a "
                              "role of its own)",
                              SHOW(parent, shown), SHOW(src, sshown));
        return CMFA_OK;
    }
    return assume_role(c, src);
}

static cmfa_code credential_source(struct ctx *c, const char *profile, const char *source)
{
    static const struct {
        const char *name;
        enum cmfa__step_kind kind;
    } sources[] = {
        {"Environment", CMFA__STEP_ENVIRONMENT},
        {"Ec2InstanceMetadata", CMFA__STEP_IMDS},
        {"EcsContainer", CMFA__STEP_CONTAINER},
    };
    char shown[80], sshown[80];
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(sources); i++)
        if (strcmp(source, sources[i].name) == 0)
            return add_step(c, sources[i].kind, profile) ? CMFA_OK
                                                         : (c->err ? c->err->code : CMFA_E_NOMEM);
    return cmfa__fail(c->err, CMFA_E_CONFIG,
                      "profile \"%s\": credential_source \"%s\" is not valid: expected "
                      "Environment, Ec2InstanceMetadata or EcsContainer",
                      SHOW(profile, shown), SHOW(source, sshown));
}

static cmfa_code assume_role(struct ctx *c, const char *profile)
{
    const char *arn = cmfa__nonempty(get(c, profile, "role_arn"));
    const char *src = cmfa__nonempty(get(c, profile, "source_profile"));
    const char *csrc = cmfa__nonempty(get(c, profile, "credential_source"));
    const char *dur = cmfa__nonempty(get(c, profile, "duration_seconds"));
    const char *mfa = cmfa__nonempty(get(c, profile, "mfa_serial"));
    struct cmfa__cred_step *s;
    char shown[80];
    long duration = 0;
    cmfa_code rc;

    if (!arn)
        return cmfa__fail(c->err, CMFA_E_CONFIG, "profile \"%s\": role_arn is empty",
                          SHOW(profile, shown));
    if (src && csrc)
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\" contains both source_profile and credential_source: "
                          "a role_arn profile needs exactly one of them",
                          SHOW(profile, shown));
    if (!src && !csrc)
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\" has role_arn but neither source_profile nor "
                          "credential_source: a role_arn profile needs exactly one of them",
                          SHOW(profile, shown));
    if (dur && (rc = parse_duration(c, profile, dur, &duration)) != CMFA_OK)
        return rc;
    if (mfa && strlen(mfa) < 9)
        return cmfa__fail(c->err, CMFA_E_CONFIG,
                          "profile \"%s\": mfa_serial is not valid: expected an MFA device ARN "
                          "or serial number of 9 to 256 characters",
                          SHOW(profile, shown));
    rc = csrc ? credential_source(c, profile, csrc) : source_profile(c, profile, src);
    if (rc != CMFA_OK)
        return rc;
    s = add_step(c, CMFA__STEP_ASSUME_ROLE, profile);
    if (!s)
        return c->err ? c->err->code : CMFA_E_NOMEM;
    s->duration_seconds = duration;
    if (role_fields(c, s, profile, arn, "role_arn",
                    cmfa__nonempty(get(c, profile, "role_session_name")),
                    "role_session_name") != CMFA_OK ||
        dup_opt(c, &s->external_id, cmfa__nonempty(get(c, profile, "external_id"))) !=
            CMFA_OK ||
        dup_opt(c, &s->mfa_serial, mfa) != CMFA_OK)
        return c->err ? c->err->code : CMFA_E_NOMEM;
    return CMFA_OK;
}

/* ------------------------------------------------------------------------- entry point */

cmfa_code cmfa__profile_plan(const struct cmfa__config *cfg, const char *profile, int use_env,
                             struct cmfa__cred_plan *plan, struct cmfa_error *err)
{
    struct ctx c;
    int found = 0;
    cmfa_code rc;

    if (!plan)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "plan is NULL");
    memset(plan, 0, sizeof(*plan));
    if (!cfg)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "config is NULL");
    if (!profile)
        profile = cfg->profile ? cfg->profile : "default";
    memset(&c, 0, sizeof(c));
    c.cfg = cfg;
    c.plan = plan;
    c.err = err;
    c.visited[c.nvisited++] = profile;
    if (is_assume_role(&c, profile))
        rc = assume_role(&c, profile);
    else {
        rc = profile_providers(&c, profile, use_env, &found);
        if (rc == CMFA_OK && !found)
            rc = CMFA_E_NO_CREDENTIALS;   /* nothing here: the chain goes on; err untouched */
    }
    if (rc != CMFA_OK) {
        if (err && rc != CMFA_E_NO_CREDENTIALS && err->code == CMFA_OK)
            cmfa__fail(err, rc, NULL);
        cmfa__cred_plan_cleanup(plan);
    }
    return rc;
}
