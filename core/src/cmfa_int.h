/*
 * Internal declarations shared between core files. Never installed.
 * Functions here start with cmfa__ and are not exported from the shared library.
 */
#ifndef CMFA_INT_H
#define CMFA_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmfa/cmfa.h"

#if defined(__GNUC__)
#define CMFA__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CMFA__PRINTF(f, a)
#endif

#define CMFA__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- alloc.c
 * Test hooks: count allocations and fail the Nth one (torture mode). */
void cmfa__alloc_fail_after(long n);   /* n <= 0: never fail; n: the nth next call fails */
long cmfa__alloc_count(void);          /* allocations since the last reset */
void cmfa__alloc_reset(void);
char *cmfa__strdup(const char *s);     /* NULL in, NULL out */
char *cmfa__strndup(const char *s, size_t len);
/* Secrets in memory: cmfa__wipe overwrites n bytes with zeros in a way the compiler cannot
 * drop (OPENSSL_cleanse); every buffer that held a secret key, session token, token file,
 * Authorization header or credentials file goes through it before it is freed. */
void cmfa__wipe(void *p, size_t n);              /* NULL or 0: nothing */
void cmfa__free_secret(char *s);                 /* wipes strlen(s) bytes, then cmfa_free */
/* Test hook: called with every block the library is about to free or move (cmfa_free,
 * cmfa_realloc), before it goes. NULL turns it off. */
void cmfa__alloc_set_release_hook(void (*hook)(void *ptr));

/* ---------------------------------------------------------------- buf.c
 * Growable byte buffer with a cap (like curl's dynbuf). Always NUL-terminated when non-empty. */
struct cmfa__buf {
    char *data;
    size_t len;
    size_t cap;       /* allocated */
    size_t max;       /* hard cap on len; 0 means the default (64 MiB) */
    int secret;       /* cmfa__buf_init_secret: grows without realloc, wiped when freed */
};

void cmfa__buf_init(struct cmfa__buf *b, size_t max);
/* A buffer for secrets: growth copies into a new block and wipes the old one (no realloc
 * leaves a copy behind), cleanup wipes the whole allocation. cmfa__buf_take hands the data
 * over as is: the taker wipes it. */
void cmfa__buf_init_secret(struct cmfa__buf *b, size_t max);
void cmfa__buf_cleanup(struct cmfa__buf *b);
void cmfa__buf_reset(struct cmfa__buf *b);      /* len = 0, keeps memory */
/* CMFA_E_NOMEM, or CMFA_E_TOO_LARGE past the cap. */
cmfa_code cmfa__buf_add(struct cmfa__buf *b, const void *data, size_t len);
cmfa_code cmfa__buf_addstr(struct cmfa__buf *b, const char *s);
cmfa_code cmfa__buf_addc(struct cmfa__buf *b, char c);
cmfa_code cmfa__buf_printf(struct cmfa__buf *b, const char *fmt, ...) CMFA__PRINTF(2, 3);
/* Hands the data to the caller (cmfa_free) and re-initialises b. Never NULL on success:
 * an empty buffer yields "". */
char *cmfa__buf_take(struct cmfa__buf *b, size_t *len);
/* Lowercase hex of n bytes. */
cmfa_code cmfa__buf_addhex(struct cmfa__buf *b, const unsigned char *bytes, size_t n);

/* ---------------------------------------------------------------- error.c */
/* Sets code and message unless err already holds an error (the first error wins).
 * Returns code so callers can `return cmfa__fail(err, CMFA_E_..., "...")`. err may be NULL. */
cmfa_code cmfa__fail(struct cmfa_error *err, cmfa_code code, const char *fmt, ...)
    CMFA__PRINTF(3, 4);
cmfa_code cmfa__vfail(struct cmfa_error *err, cmfa_code code, const char *fmt, va_list ap)
    CMFA__PRINTF(3, 0);
/* Appends a violation (path and message copied). Sets err->code to CMFA_E_VALIDATION.
 * Returns CMFA_OK or CMFA_E_NOMEM. */
cmfa_code cmfa__add_violation(struct cmfa_error *err, const char *path, const char *rule,
                              const char *fmt, ...) CMFA__PRINTF(4, 5);
/* After all violations are added: composes err->message ("N validation errors: first ...").*/
void cmfa__finish_violations(struct cmfa_error *err);
/* Bounded copy into a fixed field, always NUL-terminated. */
void cmfa__copy_field(char *dst, size_t dstsize, const char *src, size_t len);

/* Known service error codes (documented for the four operations, plus common AWS codes). */
struct cmfa__service_error {
    const char *name;
    int throttling;    /* a throttling code: retried and backs off */
    int transient;     /* a transient code: retried */
};
const struct cmfa__service_error *cmfa__service_error_find(const char *name);

/* ---------------------------------------------------------------- utf8.c */
/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if it is not valid. */
size_t cmfa__utf8_seq_len(const unsigned char *s, size_t n);
/* Number of Unicode code points in s, or (size_t)-1 if s is not valid UTF-8. */
size_t cmfa__utf8_length(const char *s, size_t len);
/* Appends a cleaned copy of src[0..n) to dst (which holds *len bytes, size dstsize, always
 * NUL-terminated afterwards). Control characters (C0, DEL, C1) collapse to one space, leading
 * and trailing spaces from them are dropped, invalid UTF-8 bytes become '?'. Returns 1 when
 * src did not fit entirely (cut at a character boundary), 0 otherwise. */
int cmfa__utf8_append_clean(char *dst, size_t dstsize, size_t *len, const char *src, size_t n);
/* dst = the cleaned text, as one line (see cmfa__utf8_append_clean). */
void cmfa__utf8_copy_line(char *dst, size_t dstsize, const char *text);

/* ---------------------------------------------------------------- value.c
 * struct cmfa_value is a cJSON node; these convert without copying. */
struct cJSON;
#define CMFA__JSON(v) ((struct cJSON *)(v))
#define CMFA__VALUE(j) ((struct cmfa_value *)(j))
/* Installs cJSON hooks so cJSON allocates through cmfa_malloc/cmfa_free. */
void cmfa__value_global_init(void);

/* ---------------------------------------------------------------- query.c */
/* Test hook: the per-evaluation limits on values created and AST nodes visited (<= 0: the
 * defaults, 4M values and 64M steps). */
void cmfa__query_set_limits(long max_nodes, long max_steps);

/* ---------------------------------------------------------------- model.c / validate.c */
const struct cmfa_member *cmfa__shape_member(const struct cmfa_shape *s, const char *name);
/* Prepares pattern matching (patterns are compiled on first use). */
cmfa_code cmfa__regex_global_init(void);
void cmfa__regex_global_cleanup(void);
/* Full-match test of a UTF-8 string against a model pattern: 1 match, 0 no match,
 * -1 on error (invalid UTF-8 or regex failure). */
int cmfa__regex_full_match(const char *pattern, const char *s, size_t len);
/* Validates v against shape, appending violations under path prefix (may be ""). */
cmfa_code cmfa__validate_shape(const struct cmfa_shape *shape, const struct cmfa_value *v,
                               const char *path, struct cmfa_error *err);

/* ---------------------------------------------------------------- codec.c */
/* Request body for an operation: compact JSON ("{}" for NULL input). cmfa_free. */
char *cmfa__encode_request(const struct cmfa_operation *op, const struct cmfa_value *input,
                           size_t *len, struct cmfa_error *err);
/* Decodes a 2xx response body (empty body decodes to {}). Unknown members are kept. Members the
 * model knows are checked for JSON type; a mismatch is CMFA_E_BAD_RESPONSE. op may be NULL
 * (generic call): only JSON well-formedness is checked. */
struct cmfa_value *cmfa__decode_response(const struct cmfa_operation *op, const char *body,
                                         size_t len, struct cmfa_error *err);

/* ---------------------------------------------------------------- sigv4.c */
struct cmfa__sig_header {
    const char *name;
    const char *value;
};

struct cmfa__sigv4_request {
    const char *method;                     /* "POST" */
    const char *path;                       /* raw path, e.g. "/" */
    const char *query;                      /* raw query without '?', or NULL */
    const struct cmfa__sig_header *headers; /* every header to sign (Host included) */
    size_t nheaders;
    const char *body;
    size_t body_len;
};

struct cmfa__sigv4_params {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;
    const char *service;
    const char *amz_date;                   /* "YYYYMMDDTHHMMSSZ" */
    int normalize_path;                     /* 1 for every service but S3 */
};

/* Signing key cache: one key per (date, region, service, secret). */
struct cmfa__sigv4_cache {
    int valid;
    char date[9];
    char region[64];
    char service[64];
    unsigned char secret_digest[32];        /* SHA-256 of the secret, never the secret itself */
    unsigned char key[32];
    unsigned long hits, misses;             /* for tests */
};

/* Stages, each testable on its own. Output buffers are appended to. */
cmfa_code cmfa__sigv4_canonical_request(const struct cmfa__sigv4_request *req,
                                        int normalize_path, struct cmfa__buf *creq,
                                        struct cmfa__buf *signed_headers);
cmfa_code cmfa__sigv4_string_to_sign(const struct cmfa__sigv4_params *p, const char *creq,
                                     size_t creq_len, struct cmfa__buf *sts);
cmfa_code cmfa__sigv4_signing_key(struct cmfa__sigv4_cache *cache,
                                  const struct cmfa__sigv4_params *p, unsigned char key[32]);
/* The whole thing: Authorization header value into out. cache may be NULL. */
cmfa_code cmfa__sigv4_authorization(struct cmfa__sigv4_cache *cache,
                                    const struct cmfa__sigv4_params *p,
                                    const struct cmfa__sigv4_request *req,
                                    struct cmfa__buf *out);
/* Hex SHA-256 (65 bytes with NUL). */
void cmfa__sha256_hex(const void *data, size_t len, char out[65]);
/* "YYYYMMDDTHHMMSSZ" for t (UTC). */
void cmfa__amz_date(time_t t, char out[17]);

/* ---------------------------------------------------------------- config.c
 * Shared config/credentials files and the resolution of region, endpoint and settings. */
struct cmfa__ini;   /* parsed INI file: sections of key = value, with nested sub-sections */

struct cmfa__ini *cmfa__ini_load(const char *path, struct cmfa_error *err); /* NULL + no error
                                                                               when missing */
struct cmfa__ini *cmfa__ini_parse(const char *text, size_t len, struct cmfa_error *err);
void cmfa__ini_free(struct cmfa__ini *ini);
/* Value of key in section, NULL if absent. sub: nested key (e.g. "cognito_identity_provider"
 * under "[services x]"), or NULL for a top-level key. */
const char *cmfa__ini_get(const struct cmfa__ini *ini, const char *section, const char *sub,
                          const char *key);

struct cmfa__config {
    char *profile;            /* "default" unless set */
    char *region;             /* NULL if unresolved */
    char *endpoint_url;       /* full URL, never NULL after resolve */
    int endpoint_is_custom;   /* 1: from option/env/profile, 0: derived from region */
    int max_attempts;
    int adaptive;             /* retry_mode adaptive: client-side rate limiting */
    char *ca_file;            /* NULL: system default */
    struct cmfa__ini *config_file;       /* may be NULL */
    struct cmfa__ini *credentials_file;  /* may be NULL */
};

/* Resolves everything but credentials. Fails with CMFA_E_CONFIG (named setting and why). */
cmfa_code cmfa__config_resolve(const struct cmfa_client_options *opts, struct cmfa__config *cfg,
                               struct cmfa_error *err);
void cmfa__config_cleanup(struct cmfa__config *cfg);
/* Environment variable name's value, NULL when unset or empty. */
const char *cmfa__env_get(const char *name);
/* v, or NULL when v is NULL or empty. */
const char *cmfa__nonempty(const char *v);
/* "true" in any case, surrounding blanks ignored. */
int cmfa__is_true(const char *v);
/* A setting from the environment first, then the active profile; NULL when unset or empty. */
const char *cmfa__config_setting(const struct cmfa__config *cfg, const char *env_name,
                                 const char *key);
/* Copy of a non-secret string (profile, region, URL, path) for messages: anything but
 * printable ASCII becomes '?', cut with "..." when long. Returns out. */
const char *cmfa__printable(const char *s, char *out, size_t outsize);
/* Profile value: config file "[profile NAME]" (or "[default]"), then the credentials file's
 * "[NAME]". NULL if absent. */
const char *cmfa__config_profile_get(const struct cmfa__config *cfg, const char *key);
/* Same for any profile by name. */
const char *cmfa__config_named_get(const struct cmfa__config *cfg, const char *profile,
                                   const char *key);
/* Whether the profile has a section in either file ("[default]" counts for "default"). */
int cmfa__config_has_profile(const struct cmfa__config *cfg, const char *profile);
/* Whether a section of exactly that name exists ("sso-session corp"). */
int cmfa__ini_has_section(const struct cmfa__ini *ini, const char *section);

/* Endpoint settings of a service the core talks to. */
struct cmfa__service {
    const char *env_suffix;     /* AWS_ENDPOINT_URL_<env_suffix> ("STS", "SSO_OIDC") */
    const char *services_key;   /* key under "[services NAME]" ("sts", "sso_oidc") */
    const char *host_prefix;    /* https://<host_prefix>.<region>.<dns suffix> */
    const char *fips_prefix;    /* host prefix with FIPS, NULL: the service has none */
    const char *global_host;    /* host without a region ("sts.amazonaws.com"); NULL: a region
                                   is required */
};
extern const struct cmfa__service cmfa__svc_cognito_idp, cmfa__svc_sts, cmfa__svc_sso,
    cmfa__svc_sso_oidc;
/* The partition's DNS suffix for a region ("amazonaws.com", "amazonaws.com.cn", ...). */
const char *cmfa__dns_suffix(const char *region);
/* Endpoint URL of svc, as the SDKs resolve it: explicit_url (named explicit_src in messages;
 * NULL: "the endpoint_url option"), then unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS /
 * ignore_configured_endpoint_urls: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 * services section, the profile's endpoint_url; else the regional (FIPS) URL for region (or the
 * global host when region is NULL). *url: caller frees (cmfa_free). CMFA_E_CONFIG names the
 * setting at fault. */
cmfa_code cmfa__config_endpoint(const struct cmfa__config *cfg, const struct cmfa__service *svc,
                                const char *explicit_url, const char *explicit_src,
                                const char *region, char **url, int *is_custom,
                                struct cmfa_error *err);

/* ---------------------------------------------------------------- credentials.c */
struct cmfa__credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;      /* NULL when none */
    time_t expiration;        /* 0: does not expire */
    const char *source;       /* static: "explicit", "environment", "shared-credentials-file",
                                 "config-file", "process", "container", "imds" */
};

struct cmfa__cred_chain;

/* The chain keeps pointers into cfg (cfg outlives it). Options give explicit credentials,
 * timeouts and the CA file. */
struct cmfa__cred_chain *cmfa__cred_chain_new(const struct cmfa_client_options *opts,
                                              const struct cmfa__config *cfg,
                                              struct cmfa_error *err);
void cmfa__cred_chain_free(struct cmfa__cred_chain *chain);
/* Current credentials; resolves on first use, refreshes temporary credentials when they expire
 * within 5 minutes of now (and after expiry). The pointer stays valid until the next call. */
cmfa_code cmfa__cred_chain_get(struct cmfa__cred_chain *chain, time_t now,
                               const struct cmfa__credentials **out, struct cmfa_error *err);
void cmfa__credentials_cleanup(struct cmfa__credentials *c);
/* ISO 8601 / RFC 3339 timestamp ("2026-12-02T07:00:00Z", fractions, offsets; no zone is UTC)
 * into *out; 1 on success, 0 when malformed. */
int cmfa__parse_iso8601(const char *s, time_t *out);
/* Wiping of secrets before memory is released (volatile stores, not optimised away). */
void cmfa__buf_cleanup_secret(struct cmfa__buf *b);  /* wipes the whole allocation, cleans */
/* The cached credentials, without resolving or refreshing anything; NULL if none yet. */
const struct cmfa__credentials *cmfa__cred_chain_peek(const struct cmfa__cred_chain *chain);
/* The JSON answers of credential_process (Version 1, SessionToken), the container endpoint
 * (Token) and IMDS (Token, Code "Success"), parsed as the providers do; messages name the
 * source and the problem, never the content. An Expiration at or before now is refused. */
enum cmfa__cred_json {
    CMFA__CRED_JSON_PROCESS,
    CMFA__CRED_JSON_CONTAINER,
    CMFA__CRED_JSON_IMDS
};
cmfa_code cmfa__credentials_from_json(enum cmfa__cred_json kind, const char *body, size_t len,
                                      time_t now, struct cmfa__credentials *out,
                                      struct cmfa_error *err);
/* IMDS role-name answer: its first line without trailing blanks, 1..128 characters of
 * [A-Za-z0-9+=,.@_-], into role. 1 when valid, 0 (role "") otherwise. */
int cmfa__imds_role_name(const char *body, size_t len, char role[129]);
/* Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may be used: https to any host, http only to
 * loopback, 169.254.170.2, 169.254.170.23 or [fd00:ec2::23]. */
int cmfa__container_url_allowed(const char *url);
/* Container credentials (ECS, EKS Pod Identity) as a prepared request: GET the RELATIVE_URI
 * (on http://169.254.170.2) or FULL_URI (https, or http to loopback, 169.254.170.2,
 * 169.254.170.23, [fd00:ec2::23]) with Accept: application/json and Authorization from
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read again at every call, preferred) or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN; a token with control characters or line breaks is refused.
 * CMFA_E_NO_CREDENTIALS (err untouched) when neither URI variable is set. cmfa_request_free. */
cmfa_code cmfa__container_request(struct cmfa_request **out, struct cmfa_error *err);
/* The endpoint's answer (200 with AccessKeyId, SecretAccessKey, Token, Expiration). */
cmfa_code cmfa__container_parse(const struct cmfa_response *resp, time_t now,
                                struct cmfa__credentials *out, struct cmfa_error *err);
/* Test hook: replaces the container-credentials base URL (http://169.254.170.2) used with
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; NULL restores the default. Returns the previous
 * base. */
const char *cmfa__cred_test_container_base(const char *base);

/* ---------------------------------------------------------------- profiles.c
 * What a profile says about where its credentials come from: a plan of steps, validated as
 * botocore validates it (see profiles.c). No I/O: the caller (the operation object) runs the
 * steps in order, each step's credentials being the source of the next ASSUME_ROLE. */
enum cmfa__step_kind {
    CMFA__STEP_NONE = 0,
    CMFA__STEP_STATIC,          /* static keys of `profile` (access_key_id, secret, token) */
    CMFA__STEP_PROCESS,         /* credential_process of `profile` (command) */
    CMFA__STEP_ENVIRONMENT,     /* credential_source = Environment */
    CMFA__STEP_IMDS,            /* credential_source = Ec2InstanceMetadata */
    CMFA__STEP_CONTAINER,       /* credential_source = EcsContainer */
    CMFA__STEP_WEB_IDENTITY,    /* AssumeRoleWithWebIdentity (role_arn, token_file, session) */
    CMFA__STEP_SSO,             /* SSO GetRoleCredentials (sso_*) */
    CMFA__STEP_ASSUME_ROLE      /* AssumeRole with the credentials of the step before */
};

struct cmfa__cred_step {
    enum cmfa__step_kind kind;
    char *profile;                 /* profile the step comes from */
    /* STATIC: secret and token are wiped when the plan is cleaned up */
    char *access_key_id, *secret_access_key, *session_token;
    const char *where;             /* static: "credentials file" or "config file" */
    /* PROCESS */
    char *command;
    /* ASSUME_ROLE and WEB_IDENTITY */
    char *role_arn;
    char *role_session_name;       /* NULL: the caller picks one (cmfa__sts_session_name) */
    char *external_id, *mfa_serial;  /* ASSUME_ROLE only; NULL when not set */
    long duration_seconds;         /* 0: not set (STS default) */
    char *token_file;              /* WEB_IDENTITY */
    int from_env;                  /* WEB_IDENTITY: AWS_WEB_IDENTITY_TOKEN_FILE was used */
    /* SSO */
    char *sso_session;             /* NULL: legacy profile (sso_start_url in the profile) */
    char *sso_start_url, *sso_region, *sso_account_id, *sso_role_name;
    char *sso_registration_scopes; /* from the sso-session, NULL when not set */
};

struct cmfa__cred_plan {
    struct cmfa__cred_step *steps; /* steps[0] gives the first credentials */
    size_t n;
};

/* Plans profile (NULL: cfg->profile). use_env: the profile in use also reads
 * AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME. CMFA_OK with plan->n >= 1;
 * CMFA_E_NO_CREDENTIALS (err untouched) when the profile has no credentials of its own (the
 * chain goes on with container and IMDS); CMFA_E_CONFIG naming profile, key and rule. The plan
 * owns copies of everything: cmfa__cred_plan_cleanup. */
cmfa_code cmfa__profile_plan(const struct cmfa__config *cfg, const char *profile, int use_env,
                             struct cmfa__cred_plan *plan, struct cmfa_error *err);
void cmfa__cred_plan_cleanup(struct cmfa__cred_plan *plan);
/* The SSO settings of a profile (sso-session merged, checked) into *step (kind SSO), also for
 * `sso login` (need_role 0: sso_account_id and sso_role_name are not required).
 * cmfa__cred_step_cleanup releases it. */
cmfa_code cmfa__profile_sso(const struct cmfa__config *cfg, const char *profile, int need_role,
                            struct cmfa__cred_step *step, struct cmfa_error *err);
void cmfa__cred_step_cleanup(struct cmfa__cred_step *step);
const char *cmfa__cred_step_name(enum cmfa__step_kind kind);   /* "assume role", ... */

/* ---------------------------------------------------------------- sts.c
 * STS AssumeRole / AssumeRoleWithWebIdentity as prepared requests and parsed answers (no I/O
 * but reading the web identity token file). */
struct cmfa__endpoint {
    char *url;                 /* base URL ("https://sts.eu-west-1.amazonaws.com") */
    char *host;                /* Host header value */
    char *path;                /* path of the base URL ("/") */
    char *signing_region;      /* region to sign for ("us-east-1" when none was given) */
    int is_custom;             /* from an endpoint setting rather than the region */
};
/* Endpoint of svc (cmfa__svc_sts, _sso, _sso_oidc) for region, through cmfa__config_endpoint.
 * cmfa__endpoint_cleanup releases it. */
cmfa_code cmfa__endpoint_resolve(const struct cmfa__config *cfg, const struct cmfa__service *svc,
                                 const char *region, struct cmfa__endpoint *ep,
                                 struct cmfa_error *err);
void cmfa__endpoint_cleanup(struct cmfa__endpoint *ep);
/* Appends s percent-encoded (all but A-Z a-z 0-9 - _ . ~). */
cmfa_code cmfa__percent_encode(struct cmfa__buf *b, const char *s, size_t len);

struct cmfa__sts_params {          /* all borrowed for the call */
    const char *role_arn;          /* required */
    const char *role_session_name; /* required (cmfa__sts_session_name makes a default) */
    const char *external_id;       /* AssumeRole; NULL: omitted */
    const char *serial_number;     /* AssumeRole: mfa_serial; NULL: omitted */
    const char *token_code;        /* AssumeRole: the MFA code (secret); NULL: omitted */
    const char *policy;            /* NULL: omitted */
    long duration_seconds;         /* 0: omitted */
};
/* "cognito-mfa-<unix time>", for profiles without role_session_name. */
void cmfa__sts_session_name(time_t now, char out[64]);
/* POST form request, signed (SigV4, service sts, the endpoint's signing region, time now)
 * with source (its session token goes in X-Amz-Security-Token). cmfa_request_free. */
struct cmfa_request *cmfa__sts_assume_role_request(const struct cmfa__endpoint *ep,
                                                   const struct cmfa__sts_params *p,
                                                   const struct cmfa__credentials *source,
                                                   time_t now, const char *user_agent,
                                                   struct cmfa_error *err);
/* Unsigned POST form request carrying token. cmfa_request_free. */
struct cmfa_request *cmfa__sts_web_identity_request(const struct cmfa__endpoint *ep,
                                                    const struct cmfa__sts_params *p,
                                                    const char *token, size_t token_len,
                                                    const char *user_agent,
                                                    struct cmfa_error *err);
/* Reads the step's token file into out (read again at every fetch; trailing line end cut; one
 * line, at most 64 KiB). Errors name the profile and the setting. Clean out with
 * cmfa__buf_cleanup_secret. */
cmfa_code cmfa__web_identity_token_read(const struct cmfa__cred_step *step,
                                        struct cmfa__buf *out, struct cmfa_error *err);

struct cmfa__sts_result {
    struct cmfa__credentials creds; /* source "assume-role" or "web-identity" */
    char *assumed_role_arn;         /* AssumedRoleUser/Arn, NULL when absent */
    char account_id[13];            /* from that ARN, "" when not derivable */
};
/* Parses the answer to action ("AssumeRole", "AssumeRoleWithWebIdentity"). Non-2xx: the STS
 * ErrorResponse as CMFA_E_CREDENTIALS with service_code (AccessDenied, ExpiredToken,
 * RegionDisabledException, InvalidIdentityToken ...), request_id, status and retryable kept;
 * secrets (NULL-terminated list: source secret key and session token, web identity token; not
 * the 6-digit MFA code, which would mangle account ids) scrubbed. Malformed 2xx answers
 * are CMFA_E_CREDENTIALS naming the missing element. cmfa__sts_result_cleanup. */
cmfa_code cmfa__sts_parse(const char *action, const struct cmfa_response *resp,
                          const char *profile, const char *role_arn, time_t now,
                          const char *const *secrets, struct cmfa__sts_result *out,
                          struct cmfa_error *err);
void cmfa__sts_result_cleanup(struct cmfa__sts_result *r);
/* err->message = "<what> failed: <err->message>" (cut to fit). */
void cmfa__error_prefix(struct cmfa_error *err, const char *what);
/* Account id (12 digits) of an ARN into out; 1 on success. */
int cmfa__arn_account(const char *arn, char out[13]);

/* ---------------------------------------------------------------- sso.c (files)
 * Whole-file read and atomic write, for the token and credential caches. */
/* Reads path into out (appending, up to out->max). CMFA_E_TOO_LARGE past the cap, CMFA_E_NOMEM,
 * or CMFA_E_CONFIG with *errnum set (ENOENT ...). */
cmfa_code cmfa__file_read(const char *path, struct cmfa__buf *out, int *errnum);
/* Writes data to path atomically: a temporary file in the same directory created with
 * O_CREAT|O_EXCL and mode 0600, written, fsync'd, renamed over path. The directory is created
 * (0700) when missing. CMFA_E_CONFIG with *errnum on failure (the temporary file is removed). */
cmfa_code cmfa__file_write_atomic(const char *path, const char *data, size_t len, int *errnum);

/* ---------------------------------------------------------------- sso.c
 * IAM Identity Center: the token cache, the refresh decision, sso-oidc requests (refresh and
 * device login) and the portal's GetRoleCredentials; the AWS CLI's credential cache. */
struct cmfa__sso_token {
    char *access_token;              /* secret */
    time_t expires_at;
    char *refresh_token;             /* secret; NULL for legacy logins */
    char *client_id;
    char *client_secret;             /* secret */
    time_t registration_expires_at;  /* 0: unknown */
    char *region, *start_url;        /* NULL when absent */
};
void cmfa__sso_token_cleanup(struct cmfa__sso_token *t);
/* <dir or ~/.aws/sso/cache>/<sha1 hex of the sso-session name, or of the start URL>.json.
 * cmfa_free. */
char *cmfa__sso_token_path(const char *dir, const struct cmfa__cred_step *sso,
                           struct cmfa_error *err);
/* Reads / parses a cache file. Missing file, missing accessToken/expiresAt, bad times:
 * CMFA_E_CREDENTIALS naming the profile and telling to run `cognito-mfa sso login`. */
cmfa_code cmfa__sso_token_load(const char *path, const char *profile, struct cmfa__sso_token *t,
                               struct cmfa_error *err);
cmfa_code cmfa__sso_token_parse(const char *json, size_t len, const char *profile,
                                struct cmfa__sso_token *t, struct cmfa_error *err);
enum cmfa__sso_decision {
    CMFA__SSO_USE,        /* good for 15 minutes or more (or not refreshable and not expired) */
    CMFA__SSO_REFRESH,    /* under 15 minutes left and refreshable: send the refresh request */
    CMFA__SSO_LOGIN       /* expired and not refreshable: the user must log in again */
};
/* sso_session: the token came from an sso-session login (legacy tokens are never refreshed).
 * After a failed refresh, a token that has not expired is still used (botocore). */
enum cmfa__sso_decision cmfa__sso_token_decide(const struct cmfa__sso_token *t, int sso_session,
                                               time_t now);
/* The cache file's JSON (as the AWS CLI writes it); cmfa_free after wiping. */
char *cmfa__sso_token_json(const struct cmfa__sso_token *t, size_t *len);
/* Writes the token back atomically (0600). */
cmfa_code cmfa__sso_token_save(const char *path, const struct cmfa__sso_token *t,
                               struct cmfa_error *err);

/* sso-oidc (endpoint: cmfa__endpoint_resolve(cfg, &cmfa__svc_sso_oidc, sso_region)). */
struct cmfa__oidc_client {
    char *client_id;
    char *client_secret;             /* secret */
    time_t expires_at;               /* clientSecretExpiresAt */
};
struct cmfa__oidc_device {
    char *device_code;               /* secret */
    char *user_code, *verification_uri, *verification_uri_complete;
    time_t expires_at;
    int interval_s;                  /* polling interval (default 5) */
};
enum cmfa__oidc_poll {
    CMFA__POLL_TOKEN,                /* token filled */
    CMFA__POLL_PENDING,              /* authorization_pending: poll again after interval */
    CMFA__POLL_SLOW_DOWN,            /* slow_down: add 5 s to the interval, poll again */
    CMFA__POLL_FAILED                /* err filled (expired_token, access_denied, ...) */
};
/* POST /token {clientId, clientSecret, grantType: refresh_token, refreshToken}. */
struct cmfa_request *cmfa__oidc_refresh_request(const struct cmfa__endpoint *ep,
                                                const struct cmfa__sso_token *t,
                                                const char *user_agent, struct cmfa_error *err);
/* CreateToken answer {accessToken, expiresIn, refreshToken?}: updates t (access token,
 * expires_at = now + expiresIn, refresh token when a new one came). Errors: credentials kind
 * with the OIDC code (InvalidGrantException ...). */
cmfa_code cmfa__oidc_token_parse(const struct cmfa_response *resp, time_t now,
                                 struct cmfa__sso_token *t, struct cmfa_error *err);
/* POST /client/register {clientName, clientType: public, scopes: [sso_registration_scopes]}. */
struct cmfa_request *cmfa__oidc_register_request(const struct cmfa__endpoint *ep,
                                                 const char *client_name, const char *scopes,
                                                 const char *user_agent, struct cmfa_error *err);
cmfa_code cmfa__oidc_register_parse(const struct cmfa_response *resp,
                                    struct cmfa__oidc_client *c, struct cmfa_error *err);
void cmfa__oidc_client_cleanup(struct cmfa__oidc_client *c);
/* POST /device_authorization {clientId, clientSecret, startUrl}. */
struct cmfa_request *cmfa__oidc_device_auth_request(const struct cmfa__endpoint *ep,
                                                    const struct cmfa__oidc_client *c,
                                                    const char *start_url,
                                                    const char *user_agent,
                                                    struct cmfa_error *err);
cmfa_code cmfa__oidc_device_auth_parse(const struct cmfa_response *resp, time_t now,
                                       struct cmfa__oidc_device *d, struct cmfa_error *err);
void cmfa__oidc_device_cleanup(struct cmfa__oidc_device *d);
/* POST /token {clientId, clientSecret, deviceCode, grantType: urn:...:device_code}. */
struct cmfa_request *cmfa__oidc_device_token_request(const struct cmfa__endpoint *ep,
                                                     const struct cmfa__oidc_client *c,
                                                     const char *device_code,
                                                     const char *user_agent,
                                                     struct cmfa_error *err);
enum cmfa__oidc_poll cmfa__oidc_device_token_parse(const struct cmfa_response *resp, time_t now,
                                                   struct cmfa__sso_token *t,
                                                   struct cmfa_error *err);

/* Portal (endpoint: cmfa__endpoint_resolve(cfg, &cmfa__svc_sso, sso_region)):
 * GET /federation/credentials?role_name=R&account_id=A, header x-amz-sso_bearer_token. */
struct cmfa_request *cmfa__sso_role_credentials_request(const struct cmfa__endpoint *ep,
                                                        const struct cmfa__cred_step *sso,
                                                        const char *access_token,
                                                        const char *user_agent,
                                                        struct cmfa_error *err);
/* {roleCredentials: {accessKeyId, secretAccessKey, sessionToken, expiration (epoch ms)}}.
 * 401 / UnauthorizedException: CMFA_E_CREDENTIALS telling to run `cognito-mfa sso login`. */
cmfa_code cmfa__sso_role_credentials_parse(const struct cmfa_response *resp,
                                           const struct cmfa__cred_step *sso, time_t now,
                                           struct cmfa__credentials *out, struct cmfa_error *err);

/* AWS CLI credential cache (~/.aws/cli/cache). Key: see sso.c; session_name_configured 0 when
 * the session name was generated (botocore leaves it out of the key). */
cmfa_code cmfa__cli_cache_key(const struct cmfa__sts_params *p, int session_name_configured,
                              char out[41]);
char *cmfa__cli_cache_path(const char *dir, const char *key, struct cmfa_error *err);
/* CMFA_OK with out filled; CMFA_E_NO_CREDENTIALS (err untouched) for a miss (no file, or
 * expiring within 15 minutes); CMFA_E_CREDENTIALS for a malformed file. */
cmfa_code cmfa__cli_cache_load(const char *path, time_t now, struct cmfa__sts_result *out,
                               struct cmfa_error *err);
cmfa_code cmfa__cli_cache_save(const char *path, const struct cmfa__sts_result *r,
                               struct cmfa_error *err);

/* ---------------------------------------------------------------- xml.c
 * The project's one XML parser (expat): a document as a flat list of elements with their
 * path from the root ("ErrorResponse/Error/Code") and their direct character data. DOCTYPEs
 * and entity declarations are refused; texts are wiped when freed. */
struct cmfa__xml;
/* NULL on failure: CMFA_E_BAD_RESPONSE ("<what> is not well-formed XML: ... at line L, column
 * C") or CMFA_E_NOMEM. err may be NULL. */
struct cmfa__xml *cmfa__xml_parse(const char *text, size_t len, const char *what,
                                  struct cmfa_error *err);
void cmfa__xml_free(struct cmfa__xml *doc);
/* Name of the root element, NULL for an empty document. */
const char *cmfa__xml_root(const struct cmfa__xml *doc);
/* Text of the first element at exactly path ("A/B/C", no namespace prefixes), "" when empty,
 * NULL when absent. Valid while doc lives. */
const char *cmfa__xml_get(const struct cmfa__xml *doc, const char *path, size_t *len);
/* Same, for the first element named name at any depth. */
const char *cmfa__xml_find(const struct cmfa__xml *doc, const char *name, size_t *len);

/* ---------------------------------------------------------------- service_error.c
 * AWS JSON 1.1 error responses. */
/* Cuts "prefix#Name:suffix" to "Name" (first ':' cut, then after first '#'). Writes into out. */
void cmfa__sanitize_error_code(const char *raw, size_t len, char *out, size_t outsize);
/* Fills err (code CMFA_E_SERVICE, service_code, message, request_id, status, retryable) from a
 * non-2xx response: code from X-Amzn-ErrorType, else body __type, else body code; message from
 * message/Message (or x-amzn-errormessage), request id from x-amzn-RequestId / x-amz-request-id.
 * A body that is not JSON still yields an error (code from the header or "HttpStatus<NNN>"). */
cmfa_code cmfa__error_from_response(const struct cmfa_response *resp, struct cmfa_error *err);
/* A 2xx body of the form {"Output":{"__type":...}} is an error in disguise: fills err and
 * returns CMFA_E_SERVICE; CMFA_OK otherwise. */
cmfa_code cmfa__error_from_success_envelope(const struct cmfa_value *body,
                                            const struct cmfa_response *resp,
                                            struct cmfa_error *err);
/* The same two, with every occurrence of the given secrets (NULL-terminated list, may be NULL)
 * masked in the code, message and request id before they are cut to their fields' sizes. */
cmfa_code cmfa__error_from_response_masked(const struct cmfa_response *resp,
                                           const char *const *secrets, struct cmfa_error *err);
cmfa_code cmfa__error_from_success_envelope_masked(const struct cmfa_value *body,
                                                   const struct cmfa_response *resp,
                                                   const char *const *secrets,
                                                   struct cmfa_error *err);
/* Case-insensitive header lookup; NULL if absent. */
const char *cmfa__header_get(const struct cmfa_header *h, size_t n, const char *name);

/* ---------------------------------------------------------------- retry.c */
struct cmfa__retry_quota {
    unsigned int capacity;       /* tokens available, starts at 500 */
    unsigned int max_capacity;
};

struct cmfa__rng {
    uint64_t state;              /* xorshift64* */
};

void cmfa__retry_quota_init(struct cmfa__retry_quota *q);
void cmfa__rng_seed(struct cmfa__rng *rng, uint64_t seed);
double cmfa__rng_uniform(struct cmfa__rng *rng);   /* [0, 1) */
/* Whether the failure in err is retryable under standard mode (throttling and transient codes,
 * HTTP 500/502/503/504, transport failures). */
int cmfa__retry_is_retryable(const struct cmfa_error *err);
int cmfa__retry_is_throttling(const struct cmfa_error *err);
/* Core of cmfa_retry_next, independent of the client: decides, takes quota, computes backoff
 * (full jitter, base 2 s... min(2^(attempt-1), 20 s) * uniform). */
int cmfa__retry_decide(struct cmfa__retry_quota *q, struct cmfa__rng *rng,
                       struct cmfa_retry *r, struct cmfa_error *err, long *delay_ms);
void cmfa__retry_succeeded(struct cmfa__retry_quota *q, struct cmfa_retry *r);

/* ---------------------------------------------------------------- ratelimit.c
 * Adaptive mode's token bucket with CUBIC rate adjustment, and the explicit max_rate cap.
 * Times are seconds on a monotonic clock. */
struct cmfa__rate_limiter {
    int adaptive;
    int enabled;                 /* the adaptive bucket gates requests (after a throttle) */
    double fill_rate, max_capacity, tokens, last_refill;
    int has_last;
    double w_max, k, last_fail;  /* CUBIC */
    double measured_rate, last_bucket, count;
    double cap_rate, cap_tokens, cap_last;   /* max_rate (0: none) */
    unsigned long throttles;     /* throttling answers seen */
};
void cmfa__rate_init(struct cmfa__rate_limiter *l, int adaptive, double max_rate, double now);
/* 0 when a request may go now (its tokens taken); otherwise milliseconds to wait first. */
long cmfa__rate_acquire(struct cmfa__rate_limiter *l, double now);
/* Every answer: throttled or not (adaptive mode only). */
void cmfa__rate_update(struct cmfa__rate_limiter *l, int throttled, double now);
/* The limiting rate in requests per second, 0 when nothing limits. */
double cmfa__rate_current(const struct cmfa__rate_limiter *l);

/* ---------------------------------------------------------------- request.c / operation.c */
/* CMFA_OK when client is set and operation is a cognito-idp operation name. */
cmfa_code cmfa__check_operation(struct cmfa_client *client, const char *operation,
                                struct cmfa_error *err);
/* The body of a call: operation name checked, input (NULL: {}) an object and valid against
 * the model (every violation in err), encoded. cmfa_free. */
char *cmfa__request_body(struct cmfa_client *client, const char *operation,
                         const struct cmfa_value *input, size_t *len, struct cmfa_error *err);
/* A signed request carrying a copy of body. Fails with credentials errors. */
struct cmfa_request *cmfa__request_sign(struct cmfa_client *client, const char *operation,
                                       const char *body, size_t body_len,
                                       struct cmfa_error *err);
/* cmfa_call_json's needs: keep the raw 2xx body, take it (cmfa_free) after DONE. */
void cmfa__op_keep_raw(struct cmfa_op *op);
char *cmfa__op_take_raw(struct cmfa_op *op, size_t *len);
/* Moves the operation's error record (violations included) into dst (cleaned first). */
void cmfa__op_take_error(struct cmfa_op *op, struct cmfa_error *dst);

/* ---------------------------------------------------------------- client.c / transport.c */
struct cmfa_client {
    struct cmfa__config cfg;
    struct cmfa__cred_chain *creds;
    struct cmfa__sigv4_cache sigcache;
    struct cmfa__retry_quota quota;
    struct cmfa__rng rng;
    struct cmfa__rate_limiter limiter;
    long connect_timeout_ms;
    long read_timeout_ms;
    size_t max_response_bytes;
    int insecure;
    char *user_agent;
    char *host;               /* host[:port] of the endpoint */
    char *path;               /* path of the endpoint URL ("/" usually) */
    char *signing_region;
    cmfa_debug_fn debug;
    void *debug_userdata;
    void *curl;               /* CURL *, created on first send */
    time_t (*now)(void);      /* clock, replaceable in tests */
    long long (*clock_ms)(void); /* monotonic milliseconds, replaceable in tests */
};

/* Sends a prepared request with the client's libcurl handle; fills resp (owned by the caller,
 * release with cmfa__http_response_cleanup). Transport failures fill err. */
struct cmfa__http_response {
    struct cmfa_response resp;
    struct cmfa__buf body;
    struct cmfa_header *headers;
    size_t nheaders, cap_headers;
    struct cmfa__buf header_store;
};
void cmfa__http_response_init(struct cmfa__http_response *r, size_t max_body);
void cmfa__http_response_cleanup(struct cmfa__http_response *r);
/* On failure returns the transport code (or CMFA_E_NOMEM) with a one-line message in msg,
 * for cmfa_op_transport_failed. */
cmfa_code cmfa__transport_send(struct cmfa_client *client, const struct cmfa_request *req,
                               struct cmfa__http_response *out, char *msg, size_t msgsize);

/* One libcurl transfer, shared by the single-call path and cmfa_call_many (multi interface):
 * setup configures an easy handle (CURL *) for req; finish (after the transfer ended with
 * curl_code) fills out->resp or maps the failure into err, and releases the header list. */
struct cmfa__xfer {
    struct cmfa__http_response *out;
    void *headers;            /* struct curl_slist * */
    long read_timeout_ms;
    long long last_activity_ms;
    long long last_dl, last_ul;
    int too_large;
    int read_timed_out;
    cmfa_code header_rc;
    char errbuf[256];         /* CURL_ERROR_SIZE */
};
/* Sets the options every transfer on a new handle shares (once per handle). */
cmfa_code cmfa__xfer_handle_init(struct cmfa_client *client, void *curl);
cmfa_code cmfa__xfer_setup(struct cmfa_client *client, void *curl, const struct cmfa_request *req,
                           struct cmfa__xfer *x, struct cmfa__http_response *out);
cmfa_code cmfa__xfer_finish(struct cmfa_client *client, void *curl, int curl_code,
                            struct cmfa__xfer *x, char *msg, size_t msgsize);
/* Monotonic milliseconds. */
long long cmfa__monotonic_ms(void);
void cmfa__transport_cleanup(struct cmfa_client *client);
/* ---------------------------------------------------------------- redact.c */
/* Hands the request / response (redacted) to the client's debug hook, if any. */
void cmfa__debug_request(struct cmfa_client *client, const struct cmfa_request *req, int attempt);
void cmfa__debug_response(struct cmfa_client *client, const struct cmfa_response *resp);

/* Redacts secrets from free text: Authorization values, X-Amz-Security-Token, the given secrets.
 * Used for all debug output. */
cmfa_code cmfa__redact(const char *text, size_t len, const char *const *secrets,
                       struct cmfa__buf *out);
/* The client's current secret key and session token (NULL-terminated list, up to 2 entries),
 * for redaction of what a server sends back. */
void cmfa__client_secrets(const struct cmfa_client *client, const char *secrets[3]);
/* Replaces every occurrence of the client's secrets in a fixed, NUL-terminated field. */
void cmfa__scrub_field(const struct cmfa_client *client, char *field, size_t size);

/* Splits a URL into the Host header value (host[:port]) and its path ("/" when none); both
 * caller-freed. CMFA_E_CONFIG when it is not a URL. */
cmfa_code cmfa__url_split(const char *url, char **host, char **path, struct cmfa_error *err);
/* Request records for the credential providers (freed with cmfa_request_free, which wipes
 * every string): method, url and host copied; body "" until set. NULL when out of memory. */
struct cmfa_request *cmfa__request_new(const char *method, const char *url, const char *host);
cmfa_code cmfa__request_add_header(struct cmfa_request *req, const char *name,
                                   const char *value);       /* at most 12 headers */
cmfa_code cmfa__request_set_body(struct cmfa_request *req, const char *body, size_t len);

/* Simple HTTP GET/PUT for credential providers (container, IMDS) via libcurl.
 * headers: "Name: value" strings, NULL-terminated. */
cmfa_code cmfa__http_simple(const char *method, const char *url, const char *const *headers,
                            long timeout_ms, const char *ca_file, long *status,
                            struct cmfa__buf *body, struct cmfa_error *err);

/* Frees a libcurl header list after wiping each entry (they hold Authorization, the session
 * token and the container authorization token). NULL: nothing. */
struct curl_slist;
void cmfa__slist_free_secret(struct curl_slist *list);

#endif /* CMFA_INT_H */
