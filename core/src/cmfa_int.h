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

/* ---------------------------------------------------------------- buf.c
 * Growable byte buffer with a cap (like curl's dynbuf). Always NUL-terminated when non-empty. */
struct cmfa__buf {
    char *data;
    size_t len;
    size_t cap;       /* allocated */
    size_t max;       /* hard cap on len; 0 means the default (64 MiB) */
};

void cmfa__buf_init(struct cmfa__buf *b, size_t max);
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
/* Compiles the model's patterns (once). */
cmfa_code cmfa__regex_global_init(void);
void cmfa__regex_global_cleanup(void);
/* Full-match test of a UTF-8 string against a model pattern: 1 match, 0 no match,
 * -1 on error (invalid UTF-8 or regex failure). */
int cmfa__regex_full_match(const char *pattern, const char *s, size_t len);
/* Number of Unicode code points in s, or (size_t)-1 if s is not valid UTF-8. */
size_t cmfa__utf8_length(const char *s, size_t len);
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
/* The cached credentials, without resolving or refreshing anything; NULL if none yet. */
const struct cmfa__credentials *cmfa__cred_chain_peek(const struct cmfa__cred_chain *chain);
/* Test hook: replaces the container-credentials base URL (http://169.254.170.2) used with
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; NULL restores the default. Returns the previous
 * base. */
const char *cmfa__cred_test_container_base(const char *base);

/* ---------------------------------------------------------------- errors.c
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

/* ---------------------------------------------------------------- client.c / transport.c */
struct cmfa_client {
    struct cmfa__config cfg;
    struct cmfa__cred_chain *creds;
    struct cmfa__sigv4_cache sigcache;
    struct cmfa__retry_quota quota;
    struct cmfa__rng rng;
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
cmfa_code cmfa__transport_send(struct cmfa_client *client, const struct cmfa_request *req,
                               struct cmfa__http_response *out, struct cmfa_error *err);

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
cmfa_code cmfa__xfer_setup(struct cmfa_client *client, void *curl, const struct cmfa_request *req,
                           struct cmfa__xfer *x, struct cmfa__http_response *out,
                           struct cmfa_error *err);
cmfa_code cmfa__xfer_finish(struct cmfa_client *client, void *curl, int curl_code,
                            struct cmfa__xfer *x, struct cmfa_error *err);
void cmfa__transport_cleanup(struct cmfa_client *client);
/* Hands the request (redacted) to the client's debug hook, if any. */
void cmfa__debug_request(struct cmfa_client *client, const struct cmfa_request *req, int attempt);

/* Redacts secrets from free text: Authorization values, X-Amz-Security-Token, the given secrets.
 * Used for all debug output. */
cmfa_code cmfa__redact(const char *text, size_t len, const char *const *secrets,
                       struct cmfa__buf *out);
/* The client's current secret key and session token (NULL-terminated list, up to 2 entries),
 * for redaction of what a server sends back. */
void cmfa__client_secrets(const struct cmfa_client *client, const char *secrets[3]);
/* Replaces every occurrence of the client's secrets in a fixed, NUL-terminated field. */
void cmfa__scrub_field(const struct cmfa_client *client, char *field, size_t size);

/* Simple HTTP GET/PUT for credential providers (container, IMDS) via libcurl.
 * headers: "Name: value" strings, NULL-terminated. */
cmfa_code cmfa__http_simple(const char *method, const char *url, const char *const *headers,
                            long timeout_ms, const char *ca_file, long *status,
                            struct cmfa__buf *body, struct cmfa_error *err);

#endif /* CMFA_INT_H */
