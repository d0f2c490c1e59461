/* Result codes, error records and the table of known AWS error codes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmfa_int.h"

struct code_info {
    const char *name;
    const char *text;
    cmfa_kind kind;
};

/* Indexed by cmfa_code; appended, never renumbered. */
static const struct code_info codes[] = {
    {"CMFA_OK", "no error", CMFA_KIND_NONE},
    {"CMFA_E_NOMEM", "out of memory", CMFA_KIND_INTERNAL},
    {"CMFA_E_BAD_ARGUMENT", "bad argument", CMFA_KIND_USAGE},
    {"CMFA_E_UNKNOWN_OPERATION", "unknown operation", CMFA_KIND_USAGE},
    {"CMFA_E_VALIDATION", "validation failed", CMFA_KIND_VALIDATION},
    {"CMFA_E_CONFIG", "invalid configuration", CMFA_KIND_CREDENTIALS},
    {"CMFA_E_NO_CREDENTIALS", "no credentials found", CMFA_KIND_CREDENTIALS},
    {"CMFA_E_CREDENTIALS", "credentials provider failed", CMFA_KIND_CREDENTIALS},
    {"CMFA_E_TRANSPORT", "connection failed", CMFA_KIND_TRANSPORT},
    {"CMFA_E_TIMEOUT", "timed out", CMFA_KIND_TRANSPORT},
    {"CMFA_E_TLS", "TLS failure", CMFA_KIND_TRANSPORT},
    {"CMFA_E_TOO_LARGE", "response too large", CMFA_KIND_TRANSPORT},
    {"CMFA_E_BAD_RESPONSE", "malformed response", CMFA_KIND_TRANSPORT},
    {"CMFA_E_SERVICE", "service error", CMFA_KIND_SERVICE},
    {"CMFA_E_INTERNAL", "internal error", CMFA_KIND_INTERNAL},
    {"CMFA_E_CANCELLED", "cancelled", CMFA_KIND_USAGE},
    {"CMFA_E_QUERY_SYNTAX", "query syntax error", CMFA_KIND_USAGE},
    {"CMFA_E_QUERY_INVALID_TYPE", "query function argument of the wrong type", CMFA_KIND_USAGE},
    {"CMFA_E_QUERY_INVALID_ARITY", "query function called with a wrong number of arguments",
     CMFA_KIND_USAGE},
    {"CMFA_E_QUERY_UNKNOWN_FUNCTION", "unknown query function", CMFA_KIND_USAGE},
    {"CMFA_E_QUERY_INVALID_VALUE", "invalid value in a query", CMFA_KIND_USAGE},
    {"CMFA_E_QUERY_LIMIT", "query exceeds a limit", CMFA_KIND_USAGE},
};

static const struct code_info *code_info(cmfa_code code)
{
    if ((unsigned)code >= CMFA__ARRAY_LEN(codes))
        return NULL;
    return &codes[code];
}

const char *cmfa_strerror(cmfa_code code)
{
    const struct code_info *ci = code_info(code);
    return ci ? ci->text : "unknown error code";
}

const char *cmfa_code_name(cmfa_code code)
{
    const struct code_info *ci = code_info(code);
    return ci ? ci->name : "CMFA_E_UNKNOWN";
}

cmfa_kind cmfa_code_kind(cmfa_code code)
{
    const struct code_info *ci = code_info(code);
    return ci ? ci->kind : CMFA_KIND_INTERNAL;
}

const char *cmfa_kind_name(cmfa_kind kind)
{
    switch (kind) {
    case CMFA_KIND_NONE: return "none";
    case CMFA_KIND_USAGE: return "usage";
    case CMFA_KIND_VALIDATION: return "validation";
    case CMFA_KIND_CREDENTIALS: return "credentials";
    case CMFA_KIND_TRANSPORT: return "transport";
    case CMFA_KIND_SERVICE: return "service";
    case CMFA_KIND_INTERNAL: return "internal";
    }
    return "internal";
}

void cmfa_error_init(struct cmfa_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

void cmfa_error_cleanup(struct cmfa_error *err)
{
    size_t i;

    if (!err)
        return;
    for (i = 0; i < err->nviolations; i++) {
        cmfa_free(err->violations[i].path);
        cmfa_free(err->violations[i].message);
    }
    cmfa_free(err->violations);
    cmfa_error_init(err);
}

cmfa_kind cmfa_error_kind(const struct cmfa_error *err)
{
    return err ? cmfa_code_kind(err->code) : CMFA_KIND_NONE;
}

void cmfa__copy_field(char *dst, size_t dstsize, const char *src, size_t len)
{
    if (!dstsize)
        return;
    if (!src)
        len = 0;
    if (len >= dstsize)
        len = dstsize - 1;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

cmfa_code cmfa__vfail(struct cmfa_error *err, cmfa_code code, const char *fmt, va_list ap)
{
    if (!err || err->code != CMFA_OK)
        return code;
    err->code = code;
    if (fmt)
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
    else
        cmfa__copy_field(err->message, sizeof(err->message), cmfa_strerror(code),
                         strlen(cmfa_strerror(code)));
    return code;
}

cmfa_code cmfa__fail(struct cmfa_error *err, cmfa_code code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cmfa__vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

cmfa_code cmfa__add_violation(struct cmfa_error *err, const char *path, const char *rule,
                              const char *fmt, ...)
{
    struct cmfa_violation *nv, *v;
    struct cmfa__buf msg;
    va_list ap;
    int n;
    cmfa_code rc;

    if (!err)
        return CMFA_OK;
    if (err->code != CMFA_OK && err->code != CMFA_E_VALIDATION)
        return err->code;
    nv = cmfa_realloc(err->violations, (err->nviolations + 1) * sizeof(*nv));
    if (!nv)
        return CMFA_E_NOMEM;
    err->violations = nv;
    v = &nv[err->nviolations];
    v->rule = rule;
    v->path = cmfa__strdup(path ? path : "");
    cmfa__buf_init(&msg, 4096);
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    rc = n < 0 ? CMFA_E_INTERNAL : cmfa__buf_add(&msg, "", 0);
    if (rc == CMFA_OK && n > 0) {
        char *tmp = cmfa_malloc((size_t)n + 1);
        if (!tmp) {
            rc = CMFA_E_NOMEM;
        } else {
            va_start(ap, fmt);
            vsnprintf(tmp, (size_t)n + 1, fmt, ap);
            va_end(ap);
            rc = cmfa__buf_add(&msg, tmp, (size_t)n);
            cmfa_free(tmp);
        }
    }
    v->message = rc == CMFA_OK ? cmfa__buf_take(&msg, NULL) : NULL;
    cmfa__buf_cleanup(&msg);
    if (!v->path || !v->message) {
        cmfa_free(v->path);
        cmfa_free(v->message);
        return CMFA_E_NOMEM;
    }
    err->nviolations++;
    err->code = CMFA_E_VALIDATION;
    return CMFA_OK;
}

void cmfa__finish_violations(struct cmfa_error *err)
{
    size_t i, used;
    int n;

    if (!err || err->code != CMFA_E_VALIDATION || !err->nviolations)
        return;
    n = snprintf(err->message, sizeof(err->message), "%zu validation error%s: ",
                 err->nviolations, err->nviolations == 1 ? "" : "s");
    used = n > 0 ? (size_t)n : 0;
    for (i = 0; i < err->nviolations && used < sizeof(err->message) - 1; i++) {
        n = snprintf(err->message + used, sizeof(err->message) - used, "%s%s",
                     i ? "; " : "", err->violations[i].message);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Documented for GetUserPoolMfaConfig, SetUserPoolMfaConfig, ListUserPools,
 * DescribeUserPool, then codes common to AWS JSON services, then the throttling and transient
 * codes of the standard retry mode. */
static const struct cmfa__service_error service_errors[] = {
    {"ConcurrentModificationException", 0, 0},
    {"FeatureUnavailableInTierException", 0, 0},
    {"InternalErrorException", 0, 0},
    {"InvalidParameterException", 0, 0},
    {"InvalidSmsRoleAccessPolicyException", 0, 0},
    {"InvalidSmsRoleTrustRelationshipException", 0, 0},
    {"NotAuthorizedException", 0, 0},
    {"OperationNotEnabledException", 0, 0},
    {"ResourceNotFoundException", 0, 0},
    {"TooManyRequestsException", 1, 0},
    {"UserPoolTaggingException", 0, 0},
    {"AccessDeniedException", 0, 0},
    {"ExpiredTokenException", 0, 0},
    {"IncompleteSignature", 0, 0},
    {"InternalFailure", 0, 0},
    {"InvalidClientTokenId", 0, 0},
    {"InvalidSignatureException", 0, 0},
    {"MissingAuthenticationToken", 0, 0},
    {"RequestExpired", 0, 0},
    {"SerializationException", 0, 0},
    {"ServiceUnavailable", 0, 0},
    {"SignatureDoesNotMatch", 0, 0},
    {"UnknownOperationException", 0, 0},
    {"UnrecognizedClientException", 0, 0},
    {"ValidationException", 0, 0},
    {"BandwidthLimitExceeded", 1, 0},
    {"EC2ThrottledException", 1, 0},
    {"LimitExceededException", 1, 0},
    {"PriorRequestNotComplete", 1, 1},
    {"ProvisionedThroughputExceededException", 1, 0},
    {"RequestLimitExceeded", 1, 0},
    {"RequestThrottled", 1, 0},
    {"RequestThrottledException", 1, 0},
    {"SlowDown", 1, 0},
    {"Throttling", 1, 0},
    {"ThrottledException", 1, 0},
    {"ThrottlingException", 1, 0},
    {"TransactionInProgressException", 1, 0},
    {"RequestTimeout", 0, 1},
    {"RequestTimeoutException", 0, 1},
};

const struct cmfa__service_error *cmfa__service_error_find(const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < CMFA__ARRAY_LEN(service_errors); i++)
        if (strcmp(service_errors[i].name, name) == 0)
            return &service_errors[i];
    return NULL;
}

int cmfa_service_error_known(const char *name)
{
    return cmfa__service_error_find(name) != NULL;
}
