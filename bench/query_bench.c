/* query_bench: what --query costs. Compile time per expression and evaluation time per call
 * for typical AWS CLI expressions, on a 60-pool ListUserPools answer and a
 * GetUserPoolMfaConfig answer, through the public API only (links libcmfa).
 *
 *   cmake --build build --target query_bench && ./build/query_bench [rounds]
 *
 * Each figure is the best of `rounds` rounds (default 5) of many repetitions, in microseconds.
 * Figures only; nothing is asserted. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmfa/cmfa.h>

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A ListUserPools answer with n pools, as the service returns it. */
static char *list_user_pools(int n)
{
    size_t cap = (size_t)n * 512 + 256, used = 0;
    char *s = malloc(cap);
    int i;

    if (!s)
        return NULL;
    used += (size_t)snprintf(s + used, cap - used, "{\"UserPools\":[");
    for (i = 0; i < n; i++)
        used += (size_t)snprintf(
            s + used, cap - used,
            "%s{\"Id\":\"eu-west-1_Pool%04d\",\"Name\":\"pool-%d\",\"LambdaConfig\":"
            "{\"PreSignUp\":\"arn:aws:lambda:eu-west-1:123456789012:function:signup\"},"
            "\"Status\":\"%s\",\"LastModifiedDate\":1.700000%03d123E9,"
            "\"CreationDate\":1.600000%03d456E9}",
            i ? "," : "", i, i, i % 3 ? "Enabled" : "Disabled", i, i);
    snprintf(s + used, cap - used, "],\"NextToken\":\"abc\"}");
    return s;
}

static const char mfa_config[] =
    "{\"SmsMfaConfiguration\":{\"SmsAuthenticationMessage\":\"Your code is {####}\","
    "\"SmsConfiguration\":{\"SnsCallerArn\":\"arn:aws:iam::123456789012:role/sms\","
    "\"ExternalId\":\"x\",\"SnsRegion\":\"eu-west-1\"}},"
    "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},"
    "\"EmailMfaConfiguration\":{\"Message\":\"{####}\",\"Subject\":\"Code\"},"
    "\"MfaConfiguration\":\"ON\"}";

struct bench_case {
    const char *expr;
    int on_pools;     /* 1: the ListUserPools answer, 0: the MFA configuration */
};

static const struct bench_case cases[] = {
    {"UserPools[].Id", 1},
    {"UserPools[?Status=='Enabled'].{id:Id,name:Name}", 1},
    {"length(UserPools)", 1},
    {"SoftwareTokenMfaConfiguration.Enabled", 0},
};

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    const int compile_reps = 20000, eval_reps = 5000;
    struct cmfa_value *pools, *mfa;
    struct cmfa_error err;
    char *pools_json;
    size_t i;
    int r, k;

    if (rounds < 1)
        rounds = 1;
    cmfa_error_init(&err);
    pools_json = list_user_pools(60);
    pools = pools_json ? cmfa_value_parse(pools_json, strlen(pools_json), &err) : NULL;
    mfa = cmfa_value_parse(mfa_config, sizeof(mfa_config) - 1, &err);
    if (!pools || !mfa) {
        fprintf(stderr, "query_bench: %s\n", err.message);
        return 1;
    }
    printf("documents: ListUserPools with %zu pools (%zu bytes of JSON), "
           "GetUserPoolMfaConfig (%zu bytes)\n",
           cmfa_value_count(cmfa_value_get(pools, "UserPools")), strlen(pools_json),
           sizeof(mfa_config) - 1);
    printf("best of %d rounds; compile x%d, evaluate x%d per round\n\n", rounds, compile_reps,
           eval_reps);
    printf("%-52s %12s %12s %14s\n", "expression", "compile us", "eval us", "result bytes");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *expr = cases[i].expr;
        const struct cmfa_value *doc = cases[i].on_pools ? pools : mfa;
        double best_compile = 1e30, best_eval = 1e30, t;
        struct cmfa_query *q;
        struct cmfa_value *out;
        size_t out_len = 0;
        char *text;

        for (r = 0; r < rounds; r++) {
            t = now_us();
            for (k = 0; k < compile_reps; k++) {
                q = cmfa_query_compile(expr, strlen(expr), &err);
                if (!q) {
                    fprintf(stderr, "query_bench: %s: %s\n", expr, err.message);
                    return 1;
                }
                cmfa_query_free(q);
            }
            t = (now_us() - t) / compile_reps;
            if (t < best_compile)
                best_compile = t;
        }
        q = cmfa_query_compile(expr, strlen(expr), &err);
        for (r = 0; q && r < rounds; r++) {
            t = now_us();
            for (k = 0; k < eval_reps; k++) {
                out = cmfa_query_eval(q, doc, &err);
                if (!out) {
                    fprintf(stderr, "query_bench: %s: %s\n", expr, err.message);
                    return 1;
                }
                cmfa_value_free(out);
            }
            t = (now_us() - t) / eval_reps;
            if (t < best_eval)
                best_eval = t;
        }
        out = cmfa_query_eval(q, doc, &err);
        text = out ? cmfa_value_to_json(out, 0, &out_len) : NULL;
        printf("%-52s %12.2f %12.2f %14zu\n", expr, best_compile, best_eval, out_len);
        cmfa_free(text);
        cmfa_value_free(out);
        cmfa_query_free(q);
    }
    cmfa_value_free(pools);
    cmfa_value_free(mfa);
    free(pools_json);
    cmfa_error_cleanup(&err);
    return 0;
}
