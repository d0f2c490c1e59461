/*
 * libcmfa: Amazon Cognito user-pool MFA configuration client.
 *
 * Operations (AWS JSON 1.1, SigV4 service "cognito-idp"): GetUserPoolMfaConfig,
 * SetUserPoolMfaConfig, ListUserPools, DescribeUserPool, and a generic call for any
 * other cognito-idp operation.
 *
 * Conventions
 *  - Fallible functions return cmfa_code (CMFA_OK is 0) or a pointer (NULL on failure) and
 *    fill a caller-provided struct cmfa_error. The first error of an operation wins.
 *  - Strings are copied when the library keeps them; no borrowed pointer is kept past a call.
 *  - Memory returned to the caller is freed with the matching *_free function or cmfa_free().
 *  - Secrets (secret access key, session token, Authorization header) never appear in any
 *    error message or debug text.
 */
#ifndef CMFA_CMFA_H
#define CMFA_CMFA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CMFA_BUILDING) && defined(__GNUC__)
#define CMFA_API __attribute__((visibility("default")))
#else
#define CMFA_API
#endif

#define CMFA_VERSION "0.1.0"
#define CMFA_VERSION_NUM 0x000100

/* ------------------------------------------------------------------------------------------
 * Result codes. Appended, never renumbered. Each has exactly one kind.
 * ------------------------------------------------------------------------------------------ */
typedef enum cmfa_code {
    CMFA_OK = 0,
    CMFA_E_NOMEM = 1,             /* internal: out of memory */
    CMFA_E_BAD_ARGUMENT = 2,      /* usage: a NULL or malformed argument */
    CMFA_E_UNKNOWN_OPERATION = 3, /* usage: operation name not known to the model */
    CMFA_E_VALIDATION = 4,        /* validation: input violates the model; see violations */
    CMFA_E_CONFIG = 5,            /* credentials: region/profile/endpoint configuration invalid */
    CMFA_E_NO_CREDENTIALS = 6,    /* credentials: no provider in the chain had credentials */
    CMFA_E_CREDENTIALS = 7,       /* credentials: a provider failed (process, container, IMDS) */
    CMFA_E_TRANSPORT = 8,         /* transport: connection failed, reset, DNS ... */
    CMFA_E_TIMEOUT = 9,           /* transport: connect or read timeout */
    CMFA_E_TLS = 10,              /* transport: TLS handshake or certificate verification */
    CMFA_E_TOO_LARGE = 11,        /* transport: response larger than max_response_bytes */
    CMFA_E_BAD_RESPONSE = 12,     /* transport: response body is not what the protocol says */
    CMFA_E_SERVICE = 13,          /* service: the service returned an error (see service_code) */
    CMFA_E_INTERNAL = 14,         /* internal: a bug or an unexpected library failure */
    CMFA_E_CANCELLED = 15,        /* usage: the caller cancelled the operation */
    CMFA_E_QUERY_SYNTAX = 16,     /* usage: JMESPath expression is malformed */
    CMFA_E_QUERY_INVALID_TYPE = 17,     /* usage: JMESPath function argument of the wrong type */
    CMFA_E_QUERY_INVALID_ARITY = 18,    /* usage: JMESPath function called with a wrong count */
    CMFA_E_QUERY_UNKNOWN_FUNCTION = 19, /* usage: JMESPath function that does not exist */
    CMFA_E_QUERY_INVALID_VALUE = 20,    /* usage: JMESPath value out of range (slice step 0) */
    CMFA_E_QUERY_LIMIT = 21       /* usage: JMESPath expression too deep, too long or too costly */
} cmfa_code;

typedef enum cmfa_kind {
    CMFA_KIND_NONE = 0,
    CMFA_KIND_USAGE,
    CMFA_KIND_VALIDATION,
    CMFA_KIND_CREDENTIALS,
    CMFA_KIND_TRANSPORT,
    CMFA_KIND_SERVICE,
    CMFA_KIND_INTERNAL
} cmfa_kind;

/* Static strings; never NULL. */
CMFA_API const char *cmfa_strerror(cmfa_code code);  /* "validation failed" */
CMFA_API const char *cmfa_code_name(cmfa_code code); /* "CMFA_E_VALIDATION" */
CMFA_API cmfa_kind cmfa_code_kind(cmfa_code code);
CMFA_API const char *cmfa_kind_name(cmfa_kind kind); /* "usage", "validation", ... */

/* ------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------ */
#define CMFA_ERROR_SIZE 512

struct cmfa_violation {
    char *path;          /* dotted path, e.g. "SmsMfaConfiguration.SmsConfiguration.SnsCallerArn" */
    const char *rule;    /* static: "required", "type", "min_length", "max_length", "min", "max",
                            "pattern", "enum", "unknown", "utf8" */
    char *message;       /* readable sentence naming the path and the rule */
};

struct cmfa_error {
    cmfa_code code;
    char message[CMFA_ERROR_SIZE];   /* one readable line, never contains secrets */
    char service_code[128];          /* AWS error code ("ResourceNotFoundException"), or "" */
    char request_id[128];            /* x-amzn-RequestId, or "" */
    long status;                     /* HTTP status of the last response, or 0 */
    int retryable;                   /* the last failure was of a retryable sort */
    int attempts;                    /* attempts made (0 when nothing was sent) */
    struct cmfa_violation *violations; /* CMFA_E_VALIDATION: all violations found */
    size_t nviolations;
};

CMFA_API void cmfa_error_init(struct cmfa_error *err);
/* Frees the violations and resets the record to the state of cmfa_error_init. */
CMFA_API void cmfa_error_cleanup(struct cmfa_error *err);
CMFA_API cmfa_kind cmfa_error_kind(const struct cmfa_error *err);
/* Whether name is one of the error codes documented for these operations (or a common AWS
 * code such as ThrottlingException); the mapping by name for callers that switch on codes. */
CMFA_API int cmfa_service_error_known(const char *name);

/* ------------------------------------------------------------------------------------------
 * Memory. Every heap block of the library goes through these.
 * ------------------------------------------------------------------------------------------ */
CMFA_API void *cmfa_malloc(size_t size);
CMFA_API void *cmfa_realloc(void *ptr, size_t size);
CMFA_API void cmfa_free(void *ptr);

/* Process-wide set-up of the libraries used underneath (libcurl, cJSON hooks, regexes).
 * cmfa_client_new calls cmfa_global_init itself; call cmfa_global_cleanup once at exit if
 * you want every byte returned (valgrind). Not reference-counted: call cleanup only when no
 * client exists any more and nothing else in the process uses the library (a plugin that is
 * unloaded and loaded again should stay loaded instead, as the Lua module does). Not
 * thread-safe against concurrent clients. */
CMFA_API cmfa_code cmfa_global_init(void);
CMFA_API void cmfa_global_cleanup(void);

/* ------------------------------------------------------------------------------------------
 * Values: a JSON-like tree, shaped exactly as the AWS API (PascalCase keys).
 * ------------------------------------------------------------------------------------------ */
struct cmfa_value;

typedef enum cmfa_type {
    CMFA_TYPE_INVALID = 0,
    CMFA_TYPE_NULL,
    CMFA_TYPE_BOOL,
    CMFA_TYPE_NUMBER,
    CMFA_TYPE_STRING,
    CMFA_TYPE_OBJECT,
    CMFA_TYPE_ARRAY
} cmfa_type;

CMFA_API struct cmfa_value *cmfa_value_new_object(void);
CMFA_API struct cmfa_value *cmfa_value_new_array(void);
CMFA_API struct cmfa_value *cmfa_value_new_string(const char *s, size_t len);
CMFA_API struct cmfa_value *cmfa_value_new_number(double n);
CMFA_API struct cmfa_value *cmfa_value_new_bool(int b);
CMFA_API struct cmfa_value *cmfa_value_new_null(void);
CMFA_API void cmfa_value_free(struct cmfa_value *v);
/* Deep copy; NULL when out of memory. */
CMFA_API struct cmfa_value *cmfa_value_copy(const struct cmfa_value *v);

/* Adds or replaces obj[key]; takes ownership of member, also on failure (it is freed). */
CMFA_API cmfa_code cmfa_value_set(struct cmfa_value *obj, const char *key, struct cmfa_value *member);
/* Appends to an array; takes ownership of member, also on failure. */
CMFA_API cmfa_code cmfa_value_append(struct cmfa_value *arr, struct cmfa_value *member);

CMFA_API cmfa_type cmfa_value_type(const struct cmfa_value *v);
/* Member of an object, NULL when absent or v is not an object. */
CMFA_API const struct cmfa_value *cmfa_value_get(const struct cmfa_value *obj, const char *key);
/* Member by dotted path ("SoftwareTokenMfaConfiguration.Enabled", "UserPools.0.Id"). */
CMFA_API const struct cmfa_value *cmfa_value_path(const struct cmfa_value *v, const char *path);
/* Number of members of an object or elements of an array; 0 otherwise. */
CMFA_API size_t cmfa_value_count(const struct cmfa_value *v);
/* The i-th member or element; *key (may be NULL) receives the member name for objects. */
CMFA_API const struct cmfa_value *cmfa_value_at(const struct cmfa_value *v, size_t i, const char **key);
/* Scalars. The string pointer is valid as long as the value lives. */
CMFA_API const char *cmfa_value_string(const struct cmfa_value *v, size_t *len);
CMFA_API double cmfa_value_number(const struct cmfa_value *v);
CMFA_API int cmfa_value_bool(const struct cmfa_value *v);

/* JSON text in and out. cmfa_value_to_json: caller frees with cmfa_free(). */
CMFA_API struct cmfa_value *cmfa_value_parse(const char *json, size_t len, struct cmfa_error *err);
CMFA_API char *cmfa_value_to_json(const struct cmfa_value *v, int pretty, size_t *len);

/* ------------------------------------------------------------------------------------------
 * Model: a read-only description of every shape used by the supported operations.
 * ------------------------------------------------------------------------------------------ */
typedef enum cmfa_shape_type {
    CMFA_SHAPE_STRUCTURE = 1,
    CMFA_SHAPE_LIST,
    CMFA_SHAPE_MAP,
    CMFA_SHAPE_STRING,
    CMFA_SHAPE_INTEGER,
    CMFA_SHAPE_LONG,
    CMFA_SHAPE_BOOLEAN,
    CMFA_SHAPE_TIMESTAMP,
    CMFA_SHAPE_DOUBLE
} cmfa_shape_type;

struct cmfa_shape;

struct cmfa_member {
    const char *name;              /* PascalCase wire name */
    const struct cmfa_shape *shape;
    int required;
};

struct cmfa_shape {
    const char *name;              /* model shape name, e.g. "SmsVerificationMessageType" */
    cmfa_shape_type type;
    /* structure */
    const struct cmfa_member *members;
    size_t nmembers;
    /* list element / map value */
    const struct cmfa_shape *element;
    /* string length in characters, list length, or integer range */
    int has_min, has_max;
    long long min, max;
    /* strings */
    const char *pattern;           /* AWS regex, applied as a full match; NULL if none */
    const char *const *enums;      /* NULL-terminated; NULL if not an enum */
    int sensitive;                 /* value is redacted in debug output */
};

struct cmfa_operation {
    const char *name;              /* "SetUserPoolMfaConfig" */
    const struct cmfa_shape *input;
    const struct cmfa_shape *output;
    const char *const *errors;     /* NULL-terminated list of documented error codes */
};

/* NULL when unknown. */
CMFA_API const struct cmfa_operation *cmfa_model_operation(const char *name);
CMFA_API const struct cmfa_shape *cmfa_model_shape(const char *name);
/* The i-th modelled operation, NULL past the end. */
CMFA_API const struct cmfa_operation *cmfa_model_operation_at(size_t i);
CMFA_API const char *cmfa_shape_type_name(cmfa_shape_type t); /* "structure", "string", ... */

/* Validates input against operation's input shape. Reports ALL violations in err
 * (code CMFA_E_VALIDATION). No I/O. */
CMFA_API cmfa_code cmfa_validate(const char *operation, const struct cmfa_value *input,
                                 struct cmfa_error *err);

/* ------------------------------------------------------------------------------------------
 * Client
 * ------------------------------------------------------------------------------------------ */

/* Debug hook: receives request/response text with secrets redacted. */
typedef void (*cmfa_debug_fn)(void *userdata, const char *text, size_t len);

/* Plain option record; zero-initialise it, set what you need. Missing values are resolved the
 * way the AWS SDKs do (environment, shared config and credentials files, providers). */
struct cmfa_client_options {
    const char *region;
    const char *profile;
    const char *endpoint_url;
    const char *access_key_id;      /* explicit credentials: all three copied */
    const char *secret_access_key;
    const char *session_token;
    long connect_timeout_ms;        /* 0: default 10000 */
    long read_timeout_ms;           /* 0: default 60000 (no byte received for this long) */
    int max_attempts;               /* 0: AWS_MAX_ATTEMPTS, the profile's max_attempts, else 3 */
    int insecure;                   /* 1: do NOT verify TLS certificates (default: verify) */
    const char *ca_file;            /* CA bundle; else AWS_CA_BUNDLE, the profile's ca_bundle */
    size_t max_response_bytes;      /* 0: default 16 MiB */
    const char *user_agent_suffix;  /* appended to "cognito-mfa/<version>" */
    cmfa_debug_fn debug;
    void *debug_userdata;
    unsigned long retry_seed;       /* 0: seeded from time; non-zero: deterministic jitter */
    const char *retry_mode;         /* "standard" or "adaptive" (client-side rate limiting);
                                       NULL: AWS_RETRY_MODE, the profile's retry_mode, else
                                       standard */
    double max_rate;                /* > 0: at most this many requests per second, always */
};

struct cmfa_client;

CMFA_API struct cmfa_client *cmfa_client_new(const struct cmfa_client_options *opts,
                                             struct cmfa_error *err);
CMFA_API void cmfa_client_free(struct cmfa_client *client);

/* Resolved settings, valid until cmfa_client_free. */
CMFA_API const char *cmfa_client_region(const struct cmfa_client *client);
CMFA_API const char *cmfa_client_endpoint(const struct cmfa_client *client);
CMFA_API int cmfa_client_max_attempts(const struct cmfa_client *client);
/* "standard" or "adaptive". */
CMFA_API const char *cmfa_client_retry_mode(const struct cmfa_client *client);
/* The rate the client's limiter lets requests out at, in requests per second; 0 while nothing
 * limits it (standard mode without max_rate, or adaptive mode before the first throttle). */
CMFA_API double cmfa_client_send_rate(const struct cmfa_client *client);
/* Where the credentials come from ("explicit", "environment", "shared-credentials-file",
 * "config-file", "process", "container", "imds"), resolving them if needed; NULL on failure. */
CMFA_API const char *cmfa_client_credentials_source(struct cmfa_client *client,
                                                    struct cmfa_error *err);

/* Text with the client's secret key and session token, and Authorization /
 * X-Amz-Security-Token header values, replaced by "[redacted]". Caller frees with cmfa_free;
 * NULL when out of memory. For debug output of transports other than the built-in one. */
CMFA_API char *cmfa_client_redact(const struct cmfa_client *client, const char *text,
                                  size_t len, size_t *out_len);

/* Calls an operation: validates (modelled operations), signs, sends over libcurl with
 * retries, parses. *output receives the response (caller frees with cmfa_value_free). */
CMFA_API cmfa_code cmfa_call(struct cmfa_client *client, const char *operation,
                             const struct cmfa_value *input, struct cmfa_value **output,
                             struct cmfa_error *err);
/* Generic call: JSON body in, JSON body out (caller frees *out_json with cmfa_free).
 * Works for any cognito-idp operation; modelled ones are validated as well. */
CMFA_API cmfa_code cmfa_call_json(struct cmfa_client *client, const char *operation,
                                  const char *json, size_t json_len,
                                  char **out_json, size_t *out_len, struct cmfa_error *err);

/* Convenience wrappers. */
CMFA_API cmfa_code cmfa_get_user_pool_mfa_config(struct cmfa_client *client,
                                                 const char *user_pool_id,
                                                 struct cmfa_value **output,
                                                 struct cmfa_error *err);
CMFA_API cmfa_code cmfa_set_user_pool_mfa_config(struct cmfa_client *client,
                                                 const struct cmfa_value *input,
                                                 struct cmfa_value **output,
                                                 struct cmfa_error *err);
CMFA_API cmfa_code cmfa_list_user_pools(struct cmfa_client *client, int max_results,
                                        const char *next_token, struct cmfa_value **output,
                                        struct cmfa_error *err);
CMFA_API cmfa_code cmfa_describe_user_pool(struct cmfa_client *client,
                                           const char *user_pool_id,
                                           struct cmfa_value **output,
                                           struct cmfa_error *err);

/* ------------------------------------------------------------------------------------------
 * Many calls at once (libcurl multi interface): same validation, signing, retries and error
 * mapping as cmfa_call, with up to `concurrency` requests in flight.
 * ------------------------------------------------------------------------------------------ */
/* The most requests cmfa_call_many keeps in flight (and what every layer above allows). */
#define CMFA_MAX_CONCURRENCY 64

struct cmfa_batch_item {
    const struct cmfa_value *input;   /* set by the caller (NULL: {}) */
    struct cmfa_value *output;        /* filled on success; caller frees (cmfa_value_free) */
    struct cmfa_error err;            /* initialised here; caller cleans (cmfa_error_cleanup) */
};

/* Runs operation once per item. Returns CMFA_OK when the batch ran (each item's err.code says
 * how its call went); a failure only for the batch itself (bad arguments, out of memory). */
CMFA_API cmfa_code cmfa_call_many(struct cmfa_client *client, const char *operation,
                                  struct cmfa_batch_item *items, size_t nitems, int concurrency,
                                  struct cmfa_error *err);

/* ------------------------------------------------------------------------------------------
 * The operation object: one call, for transports other than the built-in libcurl one.
 *
 * It validates and encodes once; for each attempt it hands out a freshly signed request and
 * takes what came back; it keeps the attempt count, decides on retries and their backoff,
 * takes and refunds the client's retry quota and asks the client's rate limiter before each
 * send. cmfa_call and cmfa_call_many drive the same object over libcurl. A transport loop:
 *
 *     op = cmfa_op_new(client, "GetUserPoolMfaConfig", input, &err);   (NULL: err says why;
 *                                                                        nothing was sent)
 *     for (;;) {
 *         step = cmfa_op_next(op, &req, &delay_ms);
 *         if (step == CMFA_OP_SEND) {
 *             send req -> status, headers, body
 *             cmfa_op_response(op, &resp);                  or, when nothing usable came back,
 *             cmfa_op_transport_failed(op, CMFA_E_TIMEOUT, "read timed out");
 *         } else if (step == CMFA_OP_WAIT) {
 *             sleep delay_ms (or run other work and come back)
 *         } else break;                                     DONE or FAILED
 *     }
 *     DONE: out = cmfa_op_take_output(op);  FAILED: cmfa_op_error(op) (attempts included)
 *     cmfa_op_free(op);
 * ------------------------------------------------------------------------------------------ */
struct cmfa_header {
    const char *name;
    const char *value;
};

struct cmfa_request {
    const char *method;                /* "POST" */
    const char *url;                   /* full URL */
    const char *host;                  /* host[:port] as sent in the Host header */
    const struct cmfa_header *headers; /* includes Host, Content-Type, X-Amz-*, Authorization */
    size_t nheaders;
    const char *body;
    size_t body_len;
};

struct cmfa_response {
    long status;
    const struct cmfa_header *headers; /* names compared case-insensitively */
    size_t nheaders;
    const char *body;
    size_t body_len;
};

struct cmfa_op;

typedef enum cmfa_op_step {
    CMFA_OP_SEND = 1,   /* send *req (valid until the outcome is reported), then report it */
    CMFA_OP_WAIT,       /* wait *delay_ms (retry backoff or rate limit), then ask again */
    CMFA_OP_DONE,       /* succeeded: cmfa_op_take_output */
    CMFA_OP_FAILED      /* the error is final: cmfa_op_error */
} cmfa_op_step;

/* Checks the operation name and validates input against the model (every violation), then
 * encodes the body once. NULL on failure, with err filled; free with cmfa_op_free. input may
 * be NULL ({}). The client must outlive the operation. */
CMFA_API struct cmfa_op *cmfa_op_new(struct cmfa_client *client, const char *operation,
                                     const struct cmfa_value *input, struct cmfa_error *err);
/* Same from a JSON object text (the generic call). */
CMFA_API struct cmfa_op *cmfa_op_new_json(struct cmfa_client *client, const char *operation,
                                          const char *json, size_t json_len,
                                          struct cmfa_error *err);
CMFA_API void cmfa_op_free(struct cmfa_op *op);
/* What to do next; *req and *delay_ms as the step says (either pointer may be NULL). A
 * credentials failure while signing ends the operation (FAILED, nothing sent). */
CMFA_API cmfa_op_step cmfa_op_next(struct cmfa_op *op, const struct cmfa_request **req,
                                   long *delay_ms);
/* The answer to the request of the last SEND. Returns this attempt's code (CMFA_OK when it
 * succeeded); the next cmfa_op_next says whether the operation goes on. */
CMFA_API cmfa_code cmfa_op_response(struct cmfa_op *op, const struct cmfa_response *resp);
/* No usable answer to the last SEND: code is CMFA_E_TRANSPORT, CMFA_E_TIMEOUT, CMFA_E_TLS,
 * CMFA_E_TOO_LARGE or CMFA_E_BAD_RESPONSE (retried as standard mode says), or CMFA_E_NOMEM
 * (ends the operation). message: one line, for the error (no secrets in it, please). */
CMFA_API cmfa_code cmfa_op_transport_failed(struct cmfa_op *op, cmfa_code code,
                                            const char *message);
/* The last attempt's error (code CMFA_OK after success); attempts counts what was sent.
 * Valid until cmfa_op_free. */
CMFA_API const struct cmfa_error *cmfa_op_error(const struct cmfa_op *op);
CMFA_API int cmfa_op_attempts(const struct cmfa_op *op);
/* After DONE: the decoded answer, once; caller frees with cmfa_value_free. */
CMFA_API struct cmfa_value *cmfa_op_take_output(struct cmfa_op *op);

/* ------------------------------------------------------------------------------------------
 * Lower-level pieces: one prepared request at a time (validates on every call), the parse of
 * one answer, and the standard-mode retry records on a client's quota. The operation object
 * above is built from these and is what a transport loop should use.
 * ------------------------------------------------------------------------------------------ */

/* Validated, signed request; caller frees with cmfa_request_free. input may be NULL ({}).
 * Starts a new attempt: a previous attempt's error in err is cleared, err->attempts kept. */
CMFA_API struct cmfa_request *cmfa_prepare(struct cmfa_client *client, const char *operation,
                                           const struct cmfa_value *input,
                                           struct cmfa_error *err);
/* Same from a JSON body (the generic call). */
CMFA_API struct cmfa_request *cmfa_prepare_json(struct cmfa_client *client,
                                                const char *operation, const char *json,
                                                size_t json_len, struct cmfa_error *err);
CMFA_API void cmfa_request_free(struct cmfa_request *req);
/* The request as debug text (Authorization and X-Amz-Security-Token redacted); cmfa_free. */
CMFA_API char *cmfa_request_debug_text(const struct cmfa_request *req, size_t *len);

/* Parses a raw response. 2xx: *output gets the decoded body (may be NULL to skip decoding).
 * Otherwise err is filled from the AWS error (code, message, request id, status, retryable). */
CMFA_API cmfa_code cmfa_parse_response(struct cmfa_client *client, const char *operation,
                                       const struct cmfa_response *resp,
                                       struct cmfa_value **output, struct cmfa_error *err);
/* Records a transport failure (connect refused, reset, timeout) in err for the retry loop. */
CMFA_API cmfa_code cmfa_transport_failed(struct cmfa_error *err, cmfa_code code,
                                         const char *message);

/* Retries: AWS "standard" mode decisions on a client's retry quota. */
struct cmfa_retry {                    /* plain record, caller-owned, one per operation */
    int attempt;                       /* attempts made so far */
    int max_attempts;
    unsigned int last_cost;            /* quota tokens taken for the last retry */
};

CMFA_API void cmfa_retry_init(struct cmfa_client *client, struct cmfa_retry *r);
/* After a failed attempt (err filled): returns 1 and the backoff in *delay_ms when the
 * attempt should be retried; 0 when err is final. Always updates err->attempts and
 * err->retryable. */
CMFA_API int cmfa_retry_next(struct cmfa_client *client, struct cmfa_retry *r,
                             struct cmfa_error *err, long *delay_ms);
/* After a successful attempt: refunds the retry quota. */
CMFA_API void cmfa_retry_success(struct cmfa_client *client, struct cmfa_retry *r);

/* ------------------------------------------------------------------------------------------
 * Queries: JMESPath 1.0.1 (the dialect of the AWS CLI's --query) over values.
 *
 * Compile once, evaluate many times; a compiled query is read-only, so one query may be
 * evaluated from several threads at once. Errors carry the column of the expression
 * ("syntax error at column 7: expected an identifier, '*', '[' or '{' after '.', found ...")
 * and one code per class of the JMESPath compliance suite:
 *   CMFA_E_QUERY_SYNTAX            "syntax"            (compile)
 *   CMFA_E_QUERY_UNKNOWN_FUNCTION  "unknown-function"  (compile)
 *   CMFA_E_QUERY_INVALID_ARITY     "invalid-arity"     (compile)
 *   CMFA_E_QUERY_INVALID_VALUE     "invalid-value"     (compile: a slice step of 0)
 *   CMFA_E_QUERY_INVALID_TYPE      "invalid-type"      (evaluation: a function argument)
 *   CMFA_E_QUERY_LIMIT             "limit"             (nesting deeper than 256, an expression
 *                                                       over 1 MiB, or an evaluation creating
 *                                                       more than 4M values, 64 bytes of
 *                                                       text counting as one)
 * All are of kind usage.
 * ------------------------------------------------------------------------------------------ */
struct cmfa_query;

/* Compiles expr (len bytes of UTF-8; NUL bytes are refused). Caller frees with
 * cmfa_query_free; NULL on error (err says why and where). */
CMFA_API struct cmfa_query *cmfa_query_compile(const char *expr, size_t len,
                                               struct cmfa_error *err);
/* Evaluates q on input (NULL is taken as JSON null). Returns a new value the caller frees
 * with cmfa_value_free; a JSON null result is a null value (CMFA_TYPE_NULL). NULL only on
 * error (a type error in a function call, a limit, out of memory). input is not changed. */
CMFA_API struct cmfa_value *cmfa_query_eval(const struct cmfa_query *q,
                                            const struct cmfa_value *input,
                                            struct cmfa_error *err);
CMFA_API void cmfa_query_free(struct cmfa_query *q);
/* Compile and evaluate once. */
CMFA_API struct cmfa_value *cmfa_query(const char *expr, size_t len,
                                       const struct cmfa_value *input, struct cmfa_error *err);
/* The compliance-suite class of a query error code ("syntax", "invalid-type", ...,
 * "limit"); NULL for codes that are not query errors. Static string. */
CMFA_API const char *cmfa_query_error_class(cmfa_code code);

/* ------------------------------------------------------------------------------------------
 * Settings: the shared config and credentials files as the AWS CLI reads them, for tools built
 * on the library (the cognito-mfa CLI's output format, pager, timestamp format, profiles).
 * ------------------------------------------------------------------------------------------ */
struct cmfa_settings;

/* Loads the files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and
 * ~/.aws/credentials; missing files are empty) for profile (NULL or "": AWS_PROFILE, else
 * "default"). NULL on failure (CMFA_E_CONFIG naming the file and line of a syntax error, or
 * CMFA_E_NOMEM). A profile that is in neither file is not an error: see profile_found. Caller
 * frees with cmfa_settings_free. */
CMFA_API struct cmfa_settings *cmfa_settings_load(const char *profile, struct cmfa_error *err);
CMFA_API void cmfa_settings_free(struct cmfa_settings *settings);
/* The active profile's name, valid until cmfa_settings_free. */
CMFA_API const char *cmfa_settings_profile(const struct cmfa_settings *settings);
/* 1 when the active profile has a section in either file ("default" also as "[default]"). */
CMFA_API int cmfa_settings_profile_found(const struct cmfa_settings *settings);
/* A setting as the AWS CLI resolves it: its environment variables first (region: AWS_REGION,
 * AWS_DEFAULT_REGION; output: AWS_DEFAULT_OUTPUT; cli_pager: AWS_PAGER, where "" is a value
 * that turns the pager off; ca_bundle, max_attempts, retry_mode, endpoint_url: AWS_<KEY>),
 * then the profile's key; any other key from the profile only. NULL when unset. Valid until
 * cmfa_settings_free or a change of the environment. */
CMFA_API const char *cmfa_settings_get(const struct cmfa_settings *settings, const char *key);
/* The i-th setting cmfa_settings_get knows environment variables for, NULL past the end. */
CMFA_API const char *cmfa_settings_key(size_t i);
/* The i-th profile named in the files (first appearance first), NULL past the end. */
CMFA_API const char *cmfa_settings_profile_name(const struct cmfa_settings *settings, size_t i);

/* ------------------------------------------------------------------------------------------
 * YAML (libyaml), as the AWS CLI v2 writes and reads it.
 * ------------------------------------------------------------------------------------------ */

/* v as YAML text, byte for byte what `aws --output yaml` prints for the same value (stream = 0)
 * or what `--output yaml-stream` prints for one response (stream = 1: the value as the single
 * element of a list). shape (may be NULL) is the value's model shape, e.g. an operation's
 * output: it decides how numbers are written (integers as integers, doubles with a fraction).
 * Mapping keys are sorted; strings that would read back as another type (true, 123, '', null,
 * dates) or cannot be plain are quoted; timestamps are written as they are in v (format them
 * first, e.g. as ISO 8601 strings, as the AWS CLI does). With stream = 0 a scalar v is written
 * as JSON, as the AWS CLI does. The AWS CLI prints nothing at all for an empty response ({})
 * with --output yaml: that choice is the caller's. Nothing is lost: a string that is not valid
 * UTF-8 or a value nested deeper than 64 levels fails (CMFA_E_BAD_ARGUMENT) instead.
 * Returns NUL-terminated text (caller frees with cmfa_free), its length in *len (may be NULL);
 * NULL on failure (err filled; err may be NULL). */
CMFA_API char *cmfa_value_to_yaml(const struct cmfa_value *v, const struct cmfa_shape *shape,
                                  int stream, size_t *len, struct cmfa_error *err);

/* Reads YAML text (e.g. for --cli-input-yaml): exactly one document whose root is a mapping.
 * shape (may be NULL), e.g. an operation's input shape, guides plain scalars: a string member
 * keeps the text as written (OFF, 00123, true), a boolean member reads true/false, a number
 * member reads numbers; members the model does not know read by the YAML 1.2 core rules.
 * Quoted scalars are always strings; null, ~ or nothing is null (a member not given). Refused
 * with CMFA_E_BAD_ARGUMENT and a message "line L, column C: <rule>": syntax errors, a root
 * that is not a mapping, more than one document, anchors and aliases, merge keys, keys that are
 * not strings, duplicate keys, unsupported tags, NUL characters, more than 64 levels, more than
 * 100000 values or 1000 keys in one mapping, text over 16 MiB. Types are not checked against
 * the model here: cmfa_validate does that. Caller frees the result with cmfa_value_free. */
CMFA_API struct cmfa_value *cmfa_value_parse_yaml(const char *text, size_t len,
                                                  const struct cmfa_shape *shape,
                                                  struct cmfa_error *err);

/* Documentation for the skeleton's comments, keyed "ShapeName.MemberName". */
struct cmfa_yaml_doc {
    const char *key;
    const char *text;
};

struct cmfa_yaml_skeleton_options {   /* plain option record; zero-initialise */
    const struct cmfa_yaml_doc *docs; /* NULL: comments carry [REQUIRED] and enum values only */
    size_t ndocs;
    int documented_only;              /* 1: members without an entry in docs are left out */
};

/* The text `aws cognito-idp <operation> --generate-cli-skeleton yaml-input` prints, built from
 * the model: every input member in model order with a placeholder value and a comment.
 * opts may be NULL. Caller frees with cmfa_free; NULL on failure (CMFA_E_UNKNOWN_OPERATION,
 * CMFA_E_NOMEM). */
CMFA_API char *cmfa_yaml_skeleton(const char *operation,
                                  const struct cmfa_yaml_skeleton_options *opts, size_t *len,
                                  struct cmfa_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CMFA_CMFA_H */
