/* Model: lookups, facts the rest of the library relies on, and a cross-check of every shape
 * against the botocore model extract in CMFA_SHARED_DATA (read at test time, when present). */
#include "check.h"

#include "cmfa_int.h"

static void test_operations(void)
{
    static const char *const names[] = {"GetUserPoolMfaConfig", "SetUserPoolMfaConfig",
                                        "ListUserPools", "DescribeUserPool"};
    static const char *const inputs[] = {"GetUserPoolMfaConfigRequest",
                                         "SetUserPoolMfaConfigRequest", "ListUserPoolsRequest",
                                         "DescribeUserPoolRequest"};
    static const char *const outputs[] = {"GetUserPoolMfaConfigResponse",
                                          "SetUserPoolMfaConfigResponse", "ListUserPoolsResponse",
                                          "DescribeUserPoolResponse"};
    static const size_t nerrors[] = {5, 10, 4, 7};
    size_t i, n;

    for (i = 0; i < 4; i++) {
        const struct cmfa_operation *op = cmfa_model_operation(names[i]);
        CHECK(op != NULL);
        if (!op)
            continue;
        CHECK(cmfa_model_operation_at(i) == op);
        CHECK_STR(op->name, names[i]);
        CHECK_STR(op->input->name, inputs[i]);
        CHECK_STR(op->output->name, outputs[i]);
        CHECK_INT(op->input->type, CMFA_SHAPE_STRUCTURE);
        for (n = 0; op->errors[n]; n++)
            CHECK(cmfa_service_error_known(op->errors[n]));
        CHECK_INT(n, nerrors[i]);
    }
    CHECK(cmfa_model_operation_at(4) == NULL);
    CHECK(cmfa_model_operation("CreateUserPool") == NULL);
    CHECK(cmfa_model_operation("getUserPoolMfaConfig") == NULL);
    CHECK(cmfa_model_operation("") == NULL);
    CHECK(cmfa_model_operation(NULL) == NULL);
}

static void test_shape_facts(void)
{
    const struct cmfa_shape *s;
    const struct cmfa_member *m;

    s = cmfa_model_shape("UserPoolIdType");
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->type, CMFA_SHAPE_STRING);
        CHECK(s->has_min && s->min == 1);
        CHECK(s->has_max && s->max == 55);
        CHECK_STR(s->pattern, "[\\w-]+_[0-9a-zA-Z]+");
        CHECK(s->enums == NULL);
    }
    s = cmfa_model_shape("ListUserPoolsRequest");
    CHECK(s != NULL);
    m = cmfa__shape_member(s, "MaxResults");
    CHECK(m != NULL && m->required);
    if (m) {
        CHECK_INT(m->shape->type, CMFA_SHAPE_INTEGER);
        CHECK(m->shape->min == 1 && m->shape->max == 60);
    }
    m = cmfa__shape_member(s, "NextToken");
    CHECK(m != NULL && !m->required);
    if (m) {
        CHECK_STR(m->shape->pattern, "[\\S]+");
        CHECK(m->shape->has_min && m->shape->min == 1 && !m->shape->has_max);
    }
    CHECK(cmfa__shape_member(s, "maxResults") == NULL);
    CHECK(cmfa__shape_member(s, NULL) == NULL);
    CHECK(cmfa__shape_member(NULL, "MaxResults") == NULL);
    CHECK(cmfa__shape_member(cmfa_model_shape("UserPoolIdType"), "x") == NULL);

    /* Since botocore 1.43.51: SnsCallerArn optional (OptionalArnType), EumsSms.CallerArn
     * required. */
    s = cmfa_model_shape("SmsConfigurationType");
    m = cmfa__shape_member(s, "SnsCallerArn");
    CHECK(m != NULL && !m->required);
    if (m) {
        CHECK_STR(m->shape->name, "OptionalArnType");
        CHECK(m->shape->has_min && m->shape->min == 0);
    }
    m = cmfa__shape_member(s, "EumsSms");
    CHECK(m != NULL);
    if (m)
        CHECK(cmfa__shape_member(m->shape, "CallerArn") &&
              cmfa__shape_member(m->shape, "CallerArn")->required);

    s = cmfa_model_shape("UserPoolMfaType");
    CHECK(s != NULL && s->enums != NULL);
    if (s && s->enums) {
        CHECK_STR(s->enums[0], "OFF");
        CHECK_STR(s->enums[1], "ON");
        CHECK_STR(s->enums[2], "OPTIONAL");
        CHECK(s->enums[3] == NULL);
    }
    s = cmfa_model_shape("WebAuthnConfigurationType");
    CHECK(s && cmfa__shape_member(s, "FactorConfiguration"));
    s = cmfa_model_shape("UserPoolDescriptionType");
    CHECK(s && cmfa__shape_member(s, "ReplicaRegions"));
    m = cmfa__shape_member(s, "CreationDate");
    CHECK(m && m->shape->type == CMFA_SHAPE_TIMESTAMP);
    s = cmfa_model_shape("UserPoolType");
    CHECK(s != NULL);
    if (s) {
        static const char *const wanted[] = {
            "Id", "Name", "Arn", "MfaConfiguration", "SmsAuthenticationMessage",
            "SmsConfiguration", "SmsConfigurationFailure", "EmailConfiguration",
            "EmailConfigurationFailure", "UserPoolTier", "UserPoolAddOns", "Policies",
            "AccountRecoverySetting", "DeletionProtection", "Domain", "CustomDomain",
            "EstimatedNumberOfUsers", "CreationDate", "LastModifiedDate", "Status"};
        size_t i;
        for (i = 0; i < CMFA__ARRAY_LEN(wanted); i++)
            CHECK_MSG(cmfa__shape_member(s, wanted[i]) != NULL, "UserPoolType.%s", wanted[i]);
    }
    s = cmfa_model_shape("AllowedFirstAuthFactorsListType");
    CHECK(s && s->type == CMFA_SHAPE_LIST && s->min == 1 && s->max == 5 &&
          s->element == cmfa_model_shape("AuthFactorType"));
    s = cmfa_model_shape("UserPoolTagsType");
    CHECK(s && s->type == CMFA_SHAPE_MAP && s->element == cmfa_model_shape("TagValueType"));

    CHECK(cmfa_model_shape("NoSuchShape") == NULL);
    CHECK(cmfa_model_shape(NULL) == NULL);
    /* Error shapes are not part of the input/output closure. */
    CHECK(cmfa_model_shape("InvalidParameterException") == NULL);
}

static void test_type_names(void)
{
    static const struct {
        cmfa_shape_type t;
        const char *name;
    } table[] = {
        {CMFA_SHAPE_STRUCTURE, "structure"}, {CMFA_SHAPE_LIST, "list"},
        {CMFA_SHAPE_MAP, "map"},             {CMFA_SHAPE_STRING, "string"},
        {CMFA_SHAPE_INTEGER, "integer"},     {CMFA_SHAPE_LONG, "long"},
        {CMFA_SHAPE_BOOLEAN, "boolean"},     {CMFA_SHAPE_TIMESTAMP, "timestamp"},
        {CMFA_SHAPE_DOUBLE, "double"},
    };
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(table); i++)
        CHECK_STR(cmfa_shape_type_name(table[i].t), table[i].name);
    CHECK_STR(cmfa_shape_type_name((cmfa_shape_type)99), "unknown");
}

static void test_patterns_compile(void)
{
    CHECK_INT(cmfa__regex_global_init(), CMFA_OK);
    CHECK_INT(cmfa__regex_global_init(), CMFA_OK); /* idempotent */
}

/* ------------------------------------------------------------------ cross-check */

#define MAX_SEEN 256
static const char *seen[MAX_SEEN];
static size_t nseen;

static int was_seen(const char *name)
{
    size_t i;

    for (i = 0; i < nseen; i++)
        if (strcmp(seen[i], name) == 0)
            return 1;
    if (nseen < MAX_SEEN)
        seen[nseen++] = name;
    return 0;
}

static const char *jstr(const struct cmfa_value *v, const char *key)
{
    return cmfa_value_string(cmfa_value_get(v, key), NULL);
}

static int json_required(const struct cmfa_value *js, const char *member)
{
    const struct cmfa_value *req = cmfa_value_get(js, "required");
    size_t i;

    for (i = 0; i < cmfa_value_count(req); i++)
        if (strcmp(cmfa_value_string(cmfa_value_at(req, i, NULL), NULL), member) == 0)
            return 1;
    return 0;
}

static void compare_limit(const struct cmfa_shape *cs, const struct cmfa_value *js,
                          const char *key, int has, long long val)
{
    const struct cmfa_value *j = cmfa_value_get(js, key);

    CHECK_MSG((j != NULL) == (has != 0), "%s: %s present in JSON %d, in C %d", cs->name, key,
              j != NULL, has);
    if (j && has)
        CHECK_MSG((long long)cmfa_value_number(j) == val, "%s: %s JSON %.0f, C %lld", cs->name,
                  key, cmfa_value_number(j), val);
}

static void compare_shape(const struct cmfa_shape *cs, const struct cmfa_value *shapes)
{
    static const char *const understood[] = {"type",    "members", "required", "min",
                                             "max",     "pattern", "enum",     "member",
                                             "key",     "value",   "documentation",
                                             "sensitive"};
    const struct cmfa_value *js;
    const char *key, *pat;
    size_t i, k;

    if (was_seen(cs->name))
        return;
    CHECK_MSG(cmfa_model_shape(cs->name) == cs, "cmfa_model_shape(%s)", cs->name);
    js = cmfa_value_get(shapes, cs->name);
    CHECK_MSG(js != NULL, "shape %s is not in the JSON extract", cs->name);
    if (!js)
        return;
    /* Every attribute of the JSON shape is one this comparison knows about. */
    for (i = 0; i < cmfa_value_count(js); i++) {
        int known = 0;
        cmfa_value_at(js, i, &key);
        for (k = 0; k < CMFA__ARRAY_LEN(understood); k++)
            known |= strcmp(key, understood[k]) == 0;
        CHECK_MSG(known, "%s: attribute %s not understood", cs->name, key);
    }
    CHECK_MSG(strcmp(jstr(js, "type"), cmfa_shape_type_name(cs->type)) == 0,
              "%s: type JSON %s, C %s", cs->name, jstr(js, "type"),
              cmfa_shape_type_name(cs->type));
    compare_limit(cs, js, "min", cs->has_min, cs->min);
    compare_limit(cs, js, "max", cs->has_max, cs->max);
    pat = jstr(js, "pattern");
    CHECK_MSG((pat == NULL) == (cs->pattern == NULL) &&
                  (!pat || strcmp(pat, cs->pattern) == 0),
              "%s: pattern JSON %s, C %s", cs->name, pat ? pat : "(none)",
              cs->pattern ? cs->pattern : "(none)");
    CHECK_MSG((cmfa_value_get(js, "sensitive") && cmfa_value_bool(cmfa_value_get(js, "sensitive"))) ==
                  (cs->sensitive != 0),
              "%s: sensitive", cs->name);
    {
        const struct cmfa_value *en = cmfa_value_get(js, "enum");
        CHECK_MSG((en == NULL) == (cs->enums == NULL), "%s: enum present", cs->name);
        if (en && cs->enums) {
            for (i = 0; cs->enums[i]; i++) {
                const char *jv = cmfa_value_string(cmfa_value_at(en, i, NULL), NULL);
                CHECK_MSG(jv && strcmp(jv, cs->enums[i]) == 0, "%s: enum[%zu] JSON %s, C %s",
                          cs->name, i, jv ? jv : "(none)", cs->enums[i]);
            }
            CHECK_MSG(i == cmfa_value_count(en), "%s: %zu enum values in C, %zu in JSON",
                      cs->name, i, cmfa_value_count(en));
        }
    }
    switch (cs->type) {
    case CMFA_SHAPE_STRUCTURE: {
        const struct cmfa_value *members = cmfa_value_get(js, "members");
        CHECK_MSG(cmfa_value_count(members) == cs->nmembers, "%s: %zu members in JSON, %zu in C",
                  cs->name, cmfa_value_count(members), cs->nmembers);
        for (i = 0; i < cs->nmembers; i++) {
            const struct cmfa_member *m = &cs->members[i];
            const struct cmfa_value *jm = cmfa_value_at(members, i, &key);
            CHECK_MSG(jm && strcmp(key, m->name) == 0, "%s: member %zu JSON %s, C %s",
                      cs->name, i, jm ? key : "(none)", m->name);
            jm = cmfa_value_get(members, m->name);
            if (!jm)
                continue;
            CHECK_MSG(strcmp(jstr(jm, "shape"), m->shape->name) == 0,
                      "%s.%s: shape JSON %s, C %s", cs->name, m->name, jstr(jm, "shape"),
                      m->shape->name);
            CHECK_MSG(json_required(js, m->name) == (m->required != 0), "%s.%s: required",
                      cs->name, m->name);
            compare_shape(m->shape, shapes);
        }
        for (k = 0, i = 0; i < cs->nmembers; i++)
            k += cs->members[i].required != 0;
        CHECK_MSG(cmfa_value_count(cmfa_value_get(js, "required")) == k,
                  "%s: number of required members", cs->name);
        CHECK(cs->element == NULL);
        break;
    }
    case CMFA_SHAPE_LIST:
        CHECK_MSG(cs->element && strcmp(jstr(cmfa_value_get(js, "member"), "shape"),
                                        cs->element->name) == 0,
                  "%s: list element", cs->name);
        if (cs->element)
            compare_shape(cs->element, shapes);
        break;
    case CMFA_SHAPE_MAP:
        /* The key shape is not modelled (struct cmfa_shape has no key). */
        CHECK_MSG(cs->element && strcmp(jstr(cmfa_value_get(js, "value"), "shape"),
                                        cs->element->name) == 0,
                  "%s: map value", cs->name);
        if (cs->element)
            compare_shape(cs->element, shapes);
        break;
    default:
        CHECK_MSG(cs->nmembers == 0 && cs->element == NULL, "%s: scalar with members",
                  cs->name);
        break;
    }
}

static void test_cross_check(void)
{
    const char *path = CMFA_SHARED_DATA "/cognito-idp-mfa-shapes.json";
    struct cmfa_error err;
    struct cmfa_value *root;
    const struct cmfa_value *ops, *shapes;
    const struct cmfa_operation *op;
    size_t len, i, k;
    char *text;

    text = check_read_file(path, &len);
    if (!text) {
        CHECK_SKIP("%s not found: model not cross-checked against botocore", path);
        return;
    }
    cmfa_error_init(&err);
    root = cmfa_value_parse(text, len, &err);
    free(text);
    CHECK(root != NULL);
    if (!root)
        return;
    ops = cmfa_value_get(root, "operations");
    shapes = cmfa_value_get(root, "shapes");
    CHECK_INT(cmfa_value_count(ops), 4);
    for (i = 0; i < cmfa_value_count(ops); i++) {
        const char *name;
        const struct cmfa_value *jop = cmfa_value_at(ops, i, &name), *errs;

        op = cmfa_model_operation(name);
        CHECK_MSG(op != NULL, "operation %s missing", name);
        if (!op)
            continue;
        CHECK_STR(jstr(cmfa_value_get(jop, "input"), "shape"), op->input->name);
        CHECK_STR(jstr(cmfa_value_get(jop, "output"), "shape"), op->output->name);
        errs = cmfa_value_get(jop, "errors");
        for (k = 0; op->errors[k]; k++)
            CHECK_STR(jstr(cmfa_value_at(errs, k, NULL), "shape"), op->errors[k]);
        CHECK_INT(k, cmfa_value_count(errs));
        compare_shape(op->input, shapes);
        compare_shape(op->output, shapes);
    }
    /* The transitive closure of the four operations: 106 shapes, less the one map key shape
     * (TagKeysType) that struct cmfa_shape does not describe. */
    CHECK_INT(nseen, 105);
    printf("test_model: cross-checked %zu shapes against %s\n", nseen, path);
    cmfa_value_free(root);
    cmfa_error_cleanup(&err);
}

int main(void)
{
    test_operations();
    test_shape_facts();
    test_type_names();
    test_patterns_compile();
    test_cross_check();
    cmfa__regex_global_cleanup();
    return check_done("test_model");
}
