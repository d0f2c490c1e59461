/* JMESPath queries: every case of the compliance suite (read from CMFA_SHARED_DATA), results
 * compared structurally and errors by class; negative cases of our own (messages with columns,
 * limits, hostile input); regressions found by fuzzing; the allocation-failure loop. */
#include <dirent.h>
#include <math.h>

#include "check.h"

#include "cmfa_int.h"

#define CHECK_ALLOC_TEST "test_query"
#include "check_alloc.h"

static struct cmfa_value *parse(const char *json)
{
    struct cmfa_error err;
    struct cmfa_value *v;

    cmfa_error_init(&err);
    v = cmfa_value_parse(json, strlen(json), &err);
    CHECK_MSG(v != NULL, "parse %s: %s", json, err.message);
    cmfa_error_cleanup(&err);
    return v;
}

/* Structural equality: numbers by value, objects without regard to member order. */
static int same(const struct cmfa_value *a, const struct cmfa_value *b)
{
    size_t i, n;
    const char *key, *sa, *sb;
    size_t la, lb;

    if (cmfa_value_type(a) != cmfa_value_type(b))
        return 0;
    switch (cmfa_value_type(a)) {
    case CMFA_TYPE_NULL: return 1;
    case CMFA_TYPE_BOOL: return cmfa_value_bool(a) == cmfa_value_bool(b);
    case CMFA_TYPE_NUMBER: return cmfa_value_number(a) == cmfa_value_number(b);
    case CMFA_TYPE_STRING:
        sa = cmfa_value_string(a, &la);
        sb = cmfa_value_string(b, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    case CMFA_TYPE_ARRAY:
        n = cmfa_value_count(a);
        if (n != cmfa_value_count(b))
            return 0;
        for (i = 0; i < n; i++)
            if (!same(cmfa_value_at(a, i, NULL), cmfa_value_at(b, i, NULL)))
                return 0;
        return 1;
    case CMFA_TYPE_OBJECT:
        n = cmfa_value_count(a);
        if (n != cmfa_value_count(b))
            return 0;
        for (i = 0; i < n; i++) {
            const struct cmfa_value *m = cmfa_value_at(a, i, &key);
            if (!same(m, cmfa_value_get(b, key)))
                return 0;
        }
        return 1;
    default:
        return 0;
    }
}

static char *to_json(const struct cmfa_value *v)
{
    char *s = v ? cmfa_value_to_json(v, 0, NULL) : NULL;
    return s;
}

/* ------------------------------------------------------------------ compliance suite */

static int suite_cases, suite_errors, suite_files;

static void run_case(const char *file, const struct cmfa_value *given,
                     const struct cmfa_value *c)
{
    const struct cmfa_value *expr_v = cmfa_value_get(c, "expression");
    const struct cmfa_value *result = cmfa_value_get(c, "result");
    const struct cmfa_value *error = cmfa_value_get(c, "error");
    const struct cmfa_value *bench = cmfa_value_get(c, "bench");
    struct cmfa_error err;
    struct cmfa_query *q;
    struct cmfa_value *got = NULL;
    const char *expr, *want_class;
    size_t len;

    expr = cmfa_value_string(expr_v, &len);
    CHECK_MSG(expr != NULL, "%s: a case without an expression", file);
    if (!expr)
        return;
    suite_cases++;
    cmfa_error_init(&err);
    q = cmfa_query_compile(expr, len, &err);
    if (q && !(bench && !result && !error && strcmp(cmfa_value_string(bench, NULL), "parse") == 0))
        got = cmfa_query_eval(q, given, &err);
    if (error) {
        suite_errors++;
        want_class = cmfa_value_string(error, NULL);
        CHECK_MSG(!got, "%s: %s: expected a %s error, got %s", file, expr, want_class,
                  to_json(got) ? "a result" : "?");
        CHECK_MSG(cmfa_query_error_class(err.code) &&
                      strcmp(cmfa_query_error_class(err.code), want_class) == 0,
                  "%s: %s: expected a %s error, got %s (%s)", file, expr, want_class,
                  cmfa_code_name(err.code), err.message);
        CHECK_MSG(cmfa_code_kind(err.code) == CMFA_KIND_USAGE, "%s: %s: kind %s", file, expr,
                  cmfa_kind_name(cmfa_code_kind(err.code)));
        CHECK_MSG(strstr(err.message, "at column ") != NULL, "%s: %s: no column in '%s'", file,
                  expr, err.message);
    } else if (result) {
        char *gj = to_json(got), *wj = to_json(result);
        CHECK_MSG(got && same(got, result), "%s: %s:\n  got:      %s%s%s\n  expected: %s", file,
                  expr, gj ? gj : "(error: ", gj ? "" : err.message, gj ? "" : ")", wj);
        cmfa_free(gj);
        cmfa_free(wj);
    } else {
        /* benchmark case with no expected result: it compiles (and evaluates) */
        CHECK_MSG(q != NULL, "%s: %s: %s", file, expr, err.message);
    }
    cmfa_value_free(got);
    cmfa_query_free(q);
    cmfa_error_cleanup(&err);
}

static void run_file(const char *dir, const char *name)
{
    char path[1024];
    struct cmfa_value *doc;
    struct cmfa_error err;
    size_t len, i, j;
    char *text;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
        CHECK_MSG(0, "path too long: %s/%s", dir, name);
        return;
    }
    text = check_read_file(path, &len);
    CHECK_MSG(text != NULL, "cannot read %s", path);
    if (!text)
        return;
    cmfa_error_init(&err);
    doc = cmfa_value_parse(text, len, &err);
    CHECK_MSG(doc != NULL, "%s: %s", path, err.message);
    free(text);
    cmfa_error_cleanup(&err);
    if (!doc)
        return;
    suite_files++;
    for (i = 0; i < cmfa_value_count(doc); i++) {
        const struct cmfa_value *suite = cmfa_value_at(doc, i, NULL);
        const struct cmfa_value *given = cmfa_value_get(suite, "given");
        const struct cmfa_value *cases = cmfa_value_get(suite, "cases");
        for (j = 0; j < cmfa_value_count(cases); j++)
            run_case(name, given, cmfa_value_at(cases, j, NULL));
    }
    cmfa_value_free(doc);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_compliance(void)
{
    char dir[1024], *names[64];
    size_t n = 0, i;
    struct dirent *d;
    DIR *dh;

    snprintf(dir, sizeof(dir), "%s/jmespath-compliance", CMFA_SHARED_DATA);
    dh = opendir(dir);
    if (!dh) {
        CHECK_SKIP("JMESPath compliance suite not found in %s", dir);
        return;
    }
    while ((d = readdir(dh)) != NULL && n < CMFA__ARRAY_LEN(names)) {
        size_t l = strlen(d->d_name);
        if (l > 5 && strcmp(d->d_name + l - 5, ".json") == 0)
            names[n++] = strdup(d->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof(names[0]), by_name);
    for (i = 0; i < n; i++) {
        run_file(dir, names[i]);
        free(names[i]);
    }
    printf("test_query: compliance suite: %d files, %d cases (%d expecting errors)\n",
           suite_files, suite_cases, suite_errors);
    CHECK(suite_files >= 16);
    CHECK(suite_cases >= 908);
}

/* ------------------------------------------------------------------ our own cases */

/* expr on json gives expected (JSON text). */
static void check_query(const char *json, const char *expr, const char *expected)
{
    struct cmfa_value *in = parse(json), *want = parse(expected), *got;
    struct cmfa_error err;

    cmfa_error_init(&err);
    got = cmfa_query(expr, strlen(expr), in, &err);
    {
        char *gj = to_json(got);
        CHECK_MSG(got && same(got, want), "%s on %s: got %s, expected %s", expr, json,
                  gj ? gj : err.message, expected);
        cmfa_free(gj);
    }
    cmfa_value_free(got);
    cmfa_value_free(in);
    cmfa_value_free(want);
    cmfa_error_cleanup(&err);
}

/* expr (len bytes) fails with code and a message containing part. */
static void check_fails_n(const char *json, const char *expr, size_t len, cmfa_code code,
                          const char *part)
{
    struct cmfa_value *in = parse(json), *got;
    struct cmfa_error err;

    cmfa_error_init(&err);
    got = cmfa_query(expr, len, in, &err);
    CHECK_MSG(got == NULL, "%s: expected an error", expr);
    CHECK_MSG(err.code == code, "%s: expected %s, got %s (%s)", expr, cmfa_code_name(code),
              cmfa_code_name(err.code), err.message);
    CHECK_MSG(strstr(err.message, part) != NULL, "%s: message '%s' lacks '%s'", expr,
              err.message, part);
    cmfa_value_free(got);
    cmfa_value_free(in);
    cmfa_error_cleanup(&err);
}

static void check_fails(const char *json, const char *expr, cmfa_code code, const char *part)
{
    check_fails_n(json, expr, strlen(expr), code, part);
}

static const char *POOLS =
    "{\"UserPools\":[{\"Id\":\"eu-west-1_A\",\"Name\":\"one\",\"Status\":\"Enabled\","
    "\"LambdaConfig\":{}},{\"Id\":\"eu-west-1_B\",\"Name\":\"two\",\"Status\":\"Disabled\"},"
    "{\"Id\":\"eu-west-1_C\",\"Name\":\"three\",\"Status\":\"Enabled\"}],"
    "\"SoftwareTokenMfaConfiguration\":{\"Enabled\":true},\"MfaConfiguration\":\"ON\"}";

static void test_cli_expressions(void)
{
    check_query(POOLS, "UserPools[].Id", "[\"eu-west-1_A\",\"eu-west-1_B\",\"eu-west-1_C\"]");
    check_query(POOLS, "UserPools[?Status=='Enabled'].{id:Id,name:Name}",
                "[{\"id\":\"eu-west-1_A\",\"name\":\"one\"},"
                "{\"id\":\"eu-west-1_C\",\"name\":\"three\"}]");
    check_query(POOLS, "length(UserPools)", "3");
    check_query(POOLS, "SoftwareTokenMfaConfiguration.Enabled", "true");
    check_query(POOLS, "UserPools[0].LambdaConfig", "{}");
    check_query(POOLS, "Missing", "null");
    check_query(POOLS, "sort_by(UserPools, &Name)[-1].Id", "\"eu-west-1_B\"");
    check_query(POOLS, "UserPools[?Status!='Enabled'] | [0].Name", "\"two\"");
    check_query(POOLS, "max_by(UserPools, &Name).Name", "\"two\"");
    check_query(POOLS, "join(', ', UserPools[].Name)", "\"one, two, three\"");
    check_query(POOLS, "[MfaConfiguration, `1`, 'x'][1:]", "[1, \"x\"]");
    /* input NULL is JSON null */
    {
        struct cmfa_error err;
        struct cmfa_value *v;
        cmfa_error_init(&err);
        v = cmfa_query("@", 1, NULL, &err);
        CHECK(v && cmfa_value_type(v) == CMFA_TYPE_NULL);
        cmfa_value_free(v);
        cmfa_error_cleanup(&err);
    }
}

static void test_semantics(void)
{
    /* results built from owned intermediate values stay valid after those are freed */
    check_query("{\"a\":[{\"b\":1},{\"b\":2}]}", "[a, a][0][1].b", "2");
    check_query("{\"a\":{\"b\":[1,2,3]}}", "to_array(a)[0].b | [2]", "3");
    check_query("{\"a\":[3,1,2]}", "max(sort(a))", "3");
    check_query("{\"a\":[[1,2],[3]]}", "not_null(`null`, a[])[1:]", "[2,3]");
    check_query("{\"a\":[{\"n\":\"x\",\"v\":2},{\"n\":\"y\",\"v\":1}]}",
                "min_by(sort_by(a, &v), &v).n", "\"y\"");
    check_query("[1, 2]", "map(&[@, @], @)[1]", "[2,2]");
    check_query("{\"a\":{\"x\":1,\"y\":[2]}}", "values(a)[1][0]", "2");
    check_query("{\"a\":[1,\"1\",true,null,{},[]]}", "a[?@ == `1`]", "[1]");
    check_query("{\"a\":1}", "a == `1.0`", "true");
    check_query("{\"a\":{\"x\":[1,{\"y\":2}]}}", "a == `{\"x\":[1,{\"y\":2.0}]}`", "true");
    check_query("{}", "'abc' < 'abd'", "true");
    check_query("{}", "`1` < 'abd'", "null");
    check_query("{}", "reverse('h\xc3\xa9llo')", "\"oll\xc3\xa9h\"");
    check_query("{}", "length('h\xc3\xa9llo')", "5");
    check_query("{}", "to_number(' 12.5 ')", "12.5");
    check_query("{}", "to_number('1e400')", "null");
    check_query("{}", "to_number('nan')", "null");
    check_query("{}", "merge(`{\"a\":1,\"b\":2}`, `{\"b\":3}`)", "{\"a\":1,\"b\":3}");
    check_query("{}", "{a: `1`, a: `2`}", "{\"a\":2}");
    check_query("{}", "`foo`", "\"foo\"");
    check_query("[0,1,2,3,4,5,6,7,8,9]", "[99999999999999999999:]", "[]");
    check_query("[0,1,2,3,4,5,6,7,8,9]", "[-99999999999999999999:2]", "[0,1]");
    check_query("{\"a\":[1,2]}", "to_string(a)", "\"[1,2]\"");
    check_query("{}", "to_string(`null`)", "\"null\"");
    /* to_string writes JSON as jmespath.py (json.dumps) does: shortest round-trip numbers,
     * non-ASCII escaped */
    check_query("{}", "to_string(`0.30000000000000004`)", "\"0.30000000000000004\"");
    check_query("{}", "to_string(`[1, 1.5, -0.0, 1e300, 1e-7]`)", "\"[1,1.5,-0.0,1e+300,1e-07]\"");
    check_query("{}", "to_string(`[\"\\u00e9\", \"\\ud83d\\ude00\", \"a\\\"b\\n\"]`)",
                "\"[\\\"\\\\u00e9\\\",\\\"\\\\ud83d\\\\ude00\\\",\\\"a\\\\\\\"b\\\\n\\\"]\"");
    check_query("{}", "to_string(`{\"k\": {\"a\": [true, null]}}`)",
                "\"{\\\"k\\\":{\\\"a\\\":[true,null]}}\"");
    /* the deprecated literal form drops leading blanks of any ASCII kind, as str.lstrip() */
    check_query("{}", "`\f\v x`", "\"x\"");
    check_query("{}", "type(`null`)", "\"null\"");
}

static void test_errors(void)
{
    static const char doc[] = "{\"a\":{\"b\":[1,2]}}";

    check_fails(doc, "a.", CMFA_E_QUERY_SYNTAX,
                "syntax error at column 3: expected an identifier, '*', '[' or '{' after '.', "
                "found the end of the expression");
    check_fails(doc, "foo.1", CMFA_E_QUERY_SYNTAX, "at column 5");
    check_fails(doc, "a[?b==]", CMFA_E_QUERY_SYNTAX, "column 7");
    check_fails(doc, "", CMFA_E_QUERY_SYNTAX, "empty");
    check_fails(doc, "   ", CMFA_E_QUERY_SYNTAX, "empty");
    check_fails(doc, "a = b", CMFA_E_QUERY_SYNTAX, "'=' is not an operator");
    check_fails(doc, "'abc", CMFA_E_QUERY_SYNTAX, "unterminated raw string");
    check_fails(doc, "`\"abc`", CMFA_E_QUERY_SYNTAX, "invalid JSON literal");
    check_query("{}", "`[1,`", "\"[1,\""); /* not JSON: the deprecated string form */
    check_fails(doc, "\"a\\u0000\"", CMFA_E_QUERY_SYNTAX, "\\u0000 is not supported");
    check_fails(doc, "\"\\ud800\"", CMFA_E_QUERY_SYNTAX, "surrogate");
    check_fails(doc, "a #", CMFA_E_QUERY_SYNTAX, "unexpected character '#'");
    check_fails(doc, "f(a,)", CMFA_E_QUERY_SYNTAX, "an argument after ','");
    check_fails(doc, "length(a b)", CMFA_E_QUERY_SYNTAX, "',' or ')'");
    check_fails(doc, "\xc3\xa9 == a", CMFA_E_QUERY_SYNTAX, "column 1: unexpected character");
    check_fails(doc, "'\xc3\xa9' == #", CMFA_E_QUERY_SYNTAX, "column 8");
    check_fails_n(doc, "a\0b", 3, CMFA_E_QUERY_SYNTAX, "NUL byte");
    check_fails(doc, "a\xff", CMFA_E_QUERY_SYNTAX, "not valid UTF-8");
    check_fails(doc, "nope(a)", CMFA_E_QUERY_UNKNOWN_FUNCTION,
                "unknown function at column 1: unknown function nope()");
    check_fails(doc, "a.length(b, b)", CMFA_E_QUERY_INVALID_ARITY,
                "at column 3: length() takes 1 argument, got 2");
    check_fails(doc, "merge()", CMFA_E_QUERY_INVALID_ARITY, "at least 1 argument");
    check_fails(doc, "a.b[::0]", CMFA_E_QUERY_INVALID_VALUE, "slice step cannot be 0");
    /* a syntax error anywhere wins over function and slice checks, as in jmespath.py; then the
     * first problem in the expression is reported */
    check_fails(doc, "nope(a) | [", CMFA_E_QUERY_SYNTAX, "column 12");
    check_fails(doc, "a[::0] | [", CMFA_E_QUERY_SYNTAX, "column 11");
    check_fails(doc, "abs(a, b) || nope(a)", CMFA_E_QUERY_INVALID_ARITY, "column 1");
    check_fails(doc, "a[::0] || nope(a)", CMFA_E_QUERY_INVALID_VALUE, "column 2");
    check_fails(doc, "length(`1`)", CMFA_E_QUERY_INVALID_TYPE,
                "invalid type at column 1: length() expects a string, an array or an object "
                "as argument 1, got number");
    check_fails(doc, "sum(`[1, \"a\"]`)", CMFA_E_QUERY_INVALID_TYPE,
                "got an array with other elements");
    check_fails(doc, "sort_by(`[{\"k\":1},{\"k\":\"x\"}]`, &k)", CMFA_E_QUERY_INVALID_TYPE,
                "number for every element, got string");
    check_fails(doc, "max_by(`[{\"k\":true}]`, &k)", CMFA_E_QUERY_INVALID_TYPE,
                "number or a string, got boolean");
    check_fails(doc, "&a", CMFA_E_QUERY_INVALID_TYPE, "only be a function argument");
    check_fails(doc, "not_null(&a)", CMFA_E_QUERY_INVALID_TYPE, "expression reference");
    check_fails(doc, "map(a, a)", CMFA_E_QUERY_INVALID_TYPE, "expression reference");
    /* a type error deep in a projection stops the evaluation */
    check_fails("[[1],[2],[\"x\"]]", "[*].sum(@)", CMFA_E_QUERY_INVALID_TYPE, "sum()");
    {
        struct cmfa_error err;
        cmfa_error_init(&err);
        CHECK(cmfa_query_compile(NULL, 0, &err) == NULL);
        CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
        cmfa_error_cleanup(&err);
        CHECK(cmfa_query_eval(NULL, NULL, &err) == NULL);
        CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
        cmfa_error_cleanup(&err);
        cmfa_query_free(NULL);
    }
    CHECK_STR(cmfa_query_error_class(CMFA_E_QUERY_INVALID_ARITY), "invalid-arity");
    CHECK(cmfa_query_error_class(CMFA_E_VALIDATION) == NULL);
    CHECK_STR(cmfa_code_name(CMFA_E_QUERY_LIMIT), "CMFA_E_QUERY_LIMIT");
    CHECK_INT(cmfa_code_kind(CMFA_E_QUERY_SYNTAX), CMFA_KIND_USAGE);
    CHECK_INT(cmfa_code_kind(CMFA_E_QUERY_LIMIT), CMFA_KIND_USAGE);
}

/* Builds "<prefix> x N <suffix> x N" expressions. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail,
                    size_t tail_n)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i, k = 0;
    char *s = malloc(hl + ul * n + tl * tail_n + 1);

    memcpy(s, head, hl);
    k = hl;
    for (i = 0; i < n; i++, k += ul)
        memcpy(s + k, unit, ul);
    for (i = 0; i < tail_n; i++, k += tl)
        memcpy(s + k, tail, tl);
    s[k] = '\0';
    return s;
}

static void test_limits(void)
{
    char *s;

    /* deep nesting is refused, not a stack overflow */
    s = repeat("", "(", 100000, ")", 100000);
    check_fails("{}", s, CMFA_E_QUERY_LIMIT, "nested more than 256 levels");
    free(s);
    s = repeat("", "!", 100000, "a", 1);
    check_fails("{}", s, CMFA_E_QUERY_LIMIT, "nested more than 256 levels");
    free(s);
    s = repeat("a", " || a", 1000, "", 0);
    check_fails("{}", s, CMFA_E_QUERY_LIMIT, "nested more than 256 levels");
    free(s);
    s = repeat("a", "[*].a", 1000, "", 0);
    check_fails("{}", s, CMFA_E_QUERY_LIMIT, "nested more than 256 levels");
    free(s);
    s = repeat("", "[", 300, "]", 300);
    check_fails("{}", s, CMFA_E_QUERY_LIMIT, "nested");
    free(s);
    /* long flat chains are fine: subexpressions and pipes do not nest */
    s = repeat("a", ".a", 5000, "", 0);
    check_query("{}", s, "null");
    free(s);
    s = repeat("@", " | @", 5000, "", 0);
    check_query("[1]", s, "[1]");
    free(s);
    /* an expression that doubles its value at each step hits the value limit */
    s = repeat("@", " | [@, @]", 40, "", 0);
    check_fails("[1]", s, CMFA_E_QUERY_LIMIT, "more than");
    free(s);
    /* so does text: a string doubled again and again (join) and then copied many times */
    s = repeat("'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'",
               " | join('', [@, @])", 14, " | [@, @, @, @, @, @, @, @]", 1);
    cmfa__query_set_limits(100000, 0);
    check_fails("{}", s, CMFA_E_QUERY_LIMIT, "more than 100000 values (counting 64 bytes");
    cmfa__query_set_limits(0, 0);
    s[strlen(s) - 27] = '\0'; /* without the copies: a 1 MiB string is fine */
    {
        struct cmfa_error err;
        struct cmfa_value *v;
        cmfa_error_init(&err);
        v = cmfa_query(s, strlen(s), NULL, &err);
        CHECK_MSG(v && strlen(cmfa_value_string(v, NULL)) == 64u << 14, "%s", err.message);
        cmfa_value_free(v);
        cmfa_error_cleanup(&err);
    }
    free(s);
    /* nested projections over the same data hit the step limit */
    cmfa__query_set_limits(0, 20);
    check_fails("[1,2,3,4,5,6,7,8,9,10]", "[?@ > `0`]", CMFA_E_QUERY_LIMIT,
                "more than 20 evaluation steps");
    cmfa__query_set_limits(0, 0);
    check_query("[1,2,3,4,5,6,7,8,9,10]", "[?@ > `8`]", "[9,10]");
}

/* Regressions found by fuzzing (fuzz/fuzz_query.c): each once crashed or leaked. */
static void test_fuzz_regressions(void)
{
    check_query("{}", "`[1,2]`[0]", "1");
}

/* ------------------------------------------------------------------ allocation failures */

static const char *const alloc_exprs[] = {
    "UserPools[?Status=='Enabled'].{id:Id,name:Name}",
    "sort_by(UserPools, &Name)[::-1].Id | join(',', @)",
    "merge(UserPools[0], `{\"x\":[1,2]}`).to_string(@)",
    "[UserPools[].Name, keys(@), values(SoftwareTokenMfaConfiguration)][][]",
    "max_by(UserPools, &to_number(length(Name))).Id",
    "reverse(UserPools[*].Name[0:2]) | map(&reverse(@), @)",
    "\"UserPools\"[?contains(Id, '_B') || !starts_with(Name, 't')] | length(@)",
    "[?a] | `\"lit\"`.x || `foo` | type(@)",
};
static size_t alloc_expr_i;

static cmfa_code alloc_compile_eval(void)
{
    const char *expr = alloc_exprs[alloc_expr_i];
    struct cmfa_error err;
    struct cmfa_value *in, *out = NULL;
    struct cmfa_query *q = NULL;
    cmfa_code rc;

    cmfa_error_init(&err);
    in = cmfa_value_parse(POOLS, strlen(POOLS), &err);
    if (in)
        q = cmfa_query_compile(expr, strlen(expr), &err);
    if (q)
        out = cmfa_query_eval(q, in, &err);
    rc = out ? CMFA_OK : err.code;
    cmfa_value_free(out);
    cmfa_query_free(q);
    cmfa_value_free(in);
    cmfa_error_cleanup(&err);
    return rc;
}

static void test_alloc_failures(void)
{
    for (alloc_expr_i = 0; alloc_expr_i < CMFA__ARRAY_LEN(alloc_exprs); alloc_expr_i++)
        alloc_loop(alloc_exprs[alloc_expr_i], alloc_compile_eval);
}

int main(void)
{
    test_compliance();
    test_cli_expressions();
    test_semantics();
    test_errors();
    test_limits();
    test_fuzz_regressions();
    test_alloc_failures();
    return check_done("test_query");
}
