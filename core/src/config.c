/* Shared config/credentials files (INI with nested sub-sections) and the resolution of the
 * profile, region, endpoint, max_attempts and CA bundle, in the order the AWS SDKs use.
 *
 * File format, as the AWS SDKs read it:
 *   - "[name]" starts a section; text after "]" may only be a comment. Section names are kept
 *     as written, with the run of blanks after a "profile"/"services"/"sso-session" prefix
 *     collapsed to one space ("[profile   x]" is "profile x").
 *   - "key = value": key and value trimmed. Keys compare case-insensitively.
 *   - Lines whose first non-blank character is '#' or ';' are comments. In a value, '#' or ';'
 *     preceded by a blank starts a comment ("region = eu-west-1 # Ireland"); without the blank
 *     it is part of the value ("a#b").
 *   - An indented line continues the property above it. When that property's value is empty,
 *     indented "key = value" lines are its sub-properties:
 *         [services local]
 *         cognito_identity_provider =
 *           endpoint_url = http://127.0.0.1:5000
 *     otherwise the line is appended to the value after a newline.
 *   - CRLF line ends and a UTF-8 byte order mark are accepted.
 * Duplicate sections merge; for a key set twice the later one wins. Errors name the file and
 * line, never the line's text (the credentials file holds secrets). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmfa_int.h"

#define INI_MAX_FILE_BYTES ((size_t)16 * 1024 * 1024)
#define DEFAULT_MAX_ATTEMPTS 3

struct ini_prop {
    char *key;
    char *value;          /* "" when empty */
    const char *parent;   /* key of the property this one is nested under (borrowed), or NULL */
};

struct ini_section {
    char *name;
    struct ini_prop *props;
    size_t nprops, cap;
};

struct cmfa__ini {
    struct ini_section *sections;
    size_t nsections, cap;
};

/* ------------------------------------------------------------------------- small helpers */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_blank((*s)[*len - 1]))
        (*len)--;
}

/* Cuts a value at a '#' or ';' that follows a blank. */
static void cut_value_comment(const char *s, size_t *len)
{
    size_t i;

    for (i = 1; i < *len; i++) {
        if ((s[i] == '#' || s[i] == ';') && is_blank(s[i - 1])) {
            *len = i;
            break;
        }
    }
    while (*len && is_blank(s[*len - 1]))
        (*len)--;
}

/* Copies s into out (size outsize) with anything but printable ASCII replaced by '?', cut with
 * "..." when long. For names and values that are not secret (profile, region, URL). */
const char *cmfa__printable(const char *s, char *out, size_t outsize)
{
    size_t i, n = 0;

    for (i = 0; s[i] && n + 4 < outsize; i++)
        out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i]) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

const char *cmfa__env_get(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

const char *cmfa__nonempty(const char *v)
{
    return v && *v ? v : NULL;
}

int cmfa__is_true(const char *v)
{
    const char *s = v;
    size_t len = strlen(v);

    trim(&s, &len);
    return len == 4 && strncasecmp(s, "true", 4) == 0;
}

/* ------------------------------------------------------------------------- INI model */

void cmfa__ini_free(struct cmfa__ini *ini)
{
    size_t i, j;

    if (!ini)
        return;
    for (i = 0; i < ini->nsections; i++) {
        struct ini_section *sec = &ini->sections[i];
        for (j = 0; j < sec->nprops; j++) {
            cmfa_free(sec->props[j].key);
            cmfa__free_secret(sec->props[j].value);   /* aws_secret_access_key, ... */
        }
        cmfa_free(sec->props);
        cmfa_free(sec->name);
    }
    cmfa_free(ini->sections);
    cmfa_free(ini);
}

static struct ini_section *ini_add_section(struct cmfa__ini *ini, const char *name, size_t len)
{
    struct ini_section *sec;
    static const char *const prefixes[] = {"profile", "services", "sso-session"};
    struct cmfa__buf nb;
    size_t i;

    cmfa__buf_init(&nb, 0);
    for (i = 0; i < CMFA__ARRAY_LEN(prefixes); i++) {
        size_t plen = strlen(prefixes[i]);
        if (len > plen && memcmp(name, prefixes[i], plen) == 0 && is_blank(name[plen])) {
            const char *rest = name + plen;
            size_t rlen = len - plen;
            trim(&rest, &rlen);
            if (cmfa__buf_add(&nb, name, plen) != CMFA_OK || cmfa__buf_addc(&nb, ' ') != CMFA_OK ||
                cmfa__buf_add(&nb, rest, rlen) != CMFA_OK) {
                cmfa__buf_cleanup(&nb);
                return NULL;
            }
            break;
        }
    }
    if (!nb.data && cmfa__buf_add(&nb, name, len) != CMFA_OK) {
        cmfa__buf_cleanup(&nb);
        return NULL;
    }
    if (ini->nsections == ini->cap) {
        size_t ncap = ini->cap ? ini->cap * 2 : 8;
        struct ini_section *ns = cmfa_realloc(ini->sections, ncap * sizeof(*ns));
        if (!ns) {
            cmfa__buf_cleanup(&nb);
            return NULL;
        }
        ini->sections = ns;
        ini->cap = ncap;
    }
    sec = &ini->sections[ini->nsections];
    memset(sec, 0, sizeof(*sec));
    sec->name = cmfa__buf_take(&nb, NULL);
    if (!sec->name)
        return NULL;
    ini->nsections++;
    return sec;
}

static struct ini_prop *ini_add_prop(struct ini_section *sec, const char *key, size_t klen,
                                     const char *value, size_t vlen, const char *parent)
{
    struct ini_prop *p;

    if (sec->nprops == sec->cap) {
        size_t ncap = sec->cap ? sec->cap * 2 : 8;
        struct ini_prop *np = cmfa_realloc(sec->props, ncap * sizeof(*np));
        if (!np)
            return NULL;
        sec->props = np;
        sec->cap = ncap;
    }
    p = &sec->props[sec->nprops];
    p->key = cmfa__strndup(key, klen);
    p->value = cmfa__strndup(value, vlen);
    p->parent = parent;
    if (!p->key || !p->value) {
        cmfa_free(p->key);
        cmfa_free(p->value);
        return NULL;
    }
    sec->nprops++;
    return p;
}

/* Appends "\n" + text to a property's value. */
static cmfa_code prop_append(struct ini_prop *p, const char *text, size_t len)
{
    size_t old = strlen(p->value);
    char *nv = cmfa_malloc(old + 1 + len + 1);   /* not realloc: values may be secrets */

    if (!nv)
        return CMFA_E_NOMEM;
    memcpy(nv, p->value, old);
    nv[old] = '\n';
    memcpy(nv + old + 1, text, len);
    nv[old + 1 + len] = '\0';
    cmfa__free_secret(p->value);
    p->value = nv;
    return CMFA_OK;
}

/* Splits "key = value" (already trimmed, non-empty). */
static int split_property(const char *s, size_t len, const char **key, size_t *klen,
                          const char **val, size_t *vlen)
{
    const char *eq = memchr(s, '=', len);

    if (!eq)
        return 0;
    *key = s;
    *klen = (size_t)(eq - s);
    trim(key, klen);
    *val = eq + 1;
    *vlen = len - (size_t)(eq - s) - 1;
    trim(val, vlen);
    cut_value_comment(*val, vlen);
    return *klen > 0;
}

static cmfa_code parse_error(struct cmfa_error *err, const char *source, unsigned long line,
                             const char *what)
{
    return cmfa__fail(err, CMFA_E_CONFIG, "%s, line %lu: %s", source, line, what);
}

static cmfa_code ini_parse_into(struct cmfa__ini *ini, const char *text, size_t len,
                                const char *source, struct cmfa_error *err)
{
    struct ini_section *sec = NULL;
    struct ini_prop *last = NULL;     /* last top-level property of the current section */
    size_t last_index = 0;
    const char *p = text, *end = text + len;
    unsigned long lineno = 0;

    if (memchr(text, '\0', len))
        return cmfa__fail(err, CMFA_E_CONFIG, "%s: contains a NUL byte", source);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line = p;
        size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int indented;
        const char *key, *val;
        size_t klen, vlen;

        p = nl ? nl + 1 : end;
        lineno++;
        indented = llen > 0 && (line[0] == ' ' || line[0] == '\t');
        trim(&line, &llen);
        if (llen == 0 || line[0] == '#' || line[0] == ';')
            continue;
        if (line[0] == '[') {
            const char *close = memchr(line, ']', llen);
            const char *name = line + 1, *after;
            size_t nlen, alen;

            if (!close)
                return parse_error(err, source, lineno, "section header without a closing ']'");
            nlen = (size_t)(close - name);
            trim(&name, &nlen);
            if (nlen == 0)
                return parse_error(err, source, lineno, "empty section name");
            after = close + 1;
            alen = llen - (size_t)(after - line);
            trim(&after, &alen);
            if (alen && after[0] != '#' && after[0] != ';')
                return parse_error(err, source, lineno, "unexpected text after the section header");
            sec = ini_add_section(ini, name, nlen);
            if (!sec)
                return cmfa__fail(err, CMFA_E_NOMEM, NULL);
            last = NULL;
            continue;
        }
        if (!sec)
            return parse_error(err, source, lineno, "property outside a [section]");
        if (indented && last) {
            last = &sec->props[last_index];   /* props may have moved */
            if (last->value[0] == '\0') {
                if (!split_property(line, llen, &key, &klen, &val, &vlen))
                    return parse_error(err, source, lineno,
                                       "expected 'key = value' in a nested property");
                if (!ini_add_prop(sec, key, klen, val, vlen, last->key))
                    return cmfa__fail(err, CMFA_E_NOMEM, NULL);
            } else {
                vlen = llen;
                cut_value_comment(line, &vlen);
                if (prop_append(last, line, vlen) != CMFA_OK)
                    return cmfa__fail(err, CMFA_E_NOMEM, NULL);
            }
            continue;
        }
        if (indented && !last)
            return parse_error(err, source, lineno, "indented line without a property above it");
        if (!split_property(line, llen, &key, &klen, &val, &vlen))
            return parse_error(err, source, lineno, "expected 'key = value'");
        last_index = sec->nprops;
        last = ini_add_prop(sec, key, klen, val, vlen, NULL);
        if (!last)
            return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    return CMFA_OK;
}

static cmfa_code ini_parse_named(const char *text, size_t len, const char *source,
                                 struct cmfa__ini **out, struct cmfa_error *err)
{
    struct cmfa__ini *ini = cmfa_malloc(sizeof(*ini));
    cmfa_code rc;

    *out = NULL;
    if (!ini)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    memset(ini, 0, sizeof(*ini));
    rc = ini_parse_into(ini, text, len, source, err);
    if (rc != CMFA_OK) {
        cmfa__ini_free(ini);
        return rc;
    }
    *out = ini;
    return CMFA_OK;
}

struct cmfa__ini *cmfa__ini_parse(const char *text, size_t len, struct cmfa_error *err)
{
    struct cmfa__ini *ini;

    if (!text && len) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "ini text is NULL");
        return NULL;
    }
    ini_parse_named(text ? text : "", len, "<text>", &ini, err);
    return ini;
}

/* Loads path into *out; a missing file is CMFA_OK with *out NULL. */
static cmfa_code ini_load(const char *path, struct cmfa__ini **out, struct cmfa_error *err)
{
    struct cmfa__buf b;
    char chunk[8192];
    char shown[256];
    int fd, missing = 0;
    cmfa_code rc = CMFA_OK;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return CMFA_OK;
        return cmfa__fail(err, CMFA_E_CONFIG, "cannot open %s: %s",
                          cmfa__printable(path, shown, sizeof(shown)), strerror(errno));
    }
    cmfa__buf_init_secret(&b, INI_MAX_FILE_BYTES);   /* a credentials file holds secrets */
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno == EISDIR) {   /* a directory is as good as no file */
                missing = 1;
                break;
            }
            rc = cmfa__fail(err, CMFA_E_CONFIG, "cannot read %s: %s",
                            cmfa__printable(path, shown, sizeof(shown)), strerror(errno));
            break;
        }
        if (n == 0)
            break;
        rc = cmfa__buf_add(&b, chunk, (size_t)n);
        if (rc == CMFA_E_TOO_LARGE) {
            rc = cmfa__fail(err, CMFA_E_CONFIG, "%s is larger than %zu bytes",
                            cmfa__printable(path, shown, sizeof(shown)), INI_MAX_FILE_BYTES);
            break;
        }
        if (rc != CMFA_OK) {
            rc = cmfa__fail(err, rc, NULL);
            break;
        }
    }
    close(fd);
    cmfa__wipe(chunk, sizeof(chunk));
    if (rc == CMFA_OK && !missing)
        rc = ini_parse_named(b.data ? b.data : "", b.len, cmfa__printable(path, shown, sizeof(shown)),
                             out, err);
    cmfa__buf_cleanup(&b);
    return rc;
}

struct cmfa__ini *cmfa__ini_load(const char *path, struct cmfa_error *err)
{
    struct cmfa__ini *ini = NULL;

    if (!path) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "ini path is NULL");
        return NULL;
    }
    ini_load(path, &ini, err);
    return ini;
}

/* Whether a section is named prefix + name (prefix may be ""). */
static int section_is(const struct ini_section *sec, const char *prefix, const char *name)
{
    size_t plen = strlen(prefix);

    return strncmp(sec->name, prefix, plen) == 0 && strcmp(sec->name + plen, name) == 0;
}

/* Lookup without allocating: section named prefix + name. Later sections and later
 * properties win. */
static const char *ini_lookup(const struct cmfa__ini *ini, const char *prefix, const char *name,
                              const char *sub, const char *key)
{
    size_t i, j;

    if (!ini || !name || !key)
        return NULL;
    for (i = ini->nsections; i-- > 0;) {
        const struct ini_section *sec = &ini->sections[i];
        if (!section_is(sec, prefix, name))
            continue;
        for (j = sec->nprops; j-- > 0;) {
            const struct ini_prop *p = &sec->props[j];
            if (strcasecmp(p->key, key) != 0)
                continue;
            if (!sub && !p->parent)
                return p->value;
            if (sub && p->parent && strcasecmp(p->parent, sub) == 0)
                return p->value;
        }
    }
    return NULL;
}

const char *cmfa__ini_get(const struct cmfa__ini *ini, const char *section, const char *sub,
                          const char *key)
{
    return ini_lookup(ini, "", section, sub, key);
}

static int ini_has_section(const struct cmfa__ini *ini, const char *prefix, const char *name)
{
    size_t i;

    if (!ini)
        return 0;
    for (i = 0; i < ini->nsections; i++)
        if (section_is(&ini->sections[i], prefix, name))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------------- profiles */

/* Value of key in the config file's profile section: "[profile NAME]"; for "default" also
 * "[default]" ("[profile default]" first). */
static const char *config_section_get(const struct cmfa__ini *ini, const char *profile,
                                      const char *sub, const char *key)
{
    const char *v = ini_lookup(ini, "profile ", profile, sub, key);

    if (!v && strcmp(profile, "default") == 0)
        v = ini_lookup(ini, "", "default", sub, key);
    return v;
}

const char *cmfa__config_named_get(const struct cmfa__config *cfg, const char *profile,
                                   const char *key)
{
    const char *v;

    if (!cfg || !profile || !key)
        return NULL;
    v = config_section_get(cfg->config_file, profile, NULL, key);
    if (!v)
        v = cmfa__ini_get(cfg->credentials_file, profile, NULL, key);
    return v;
}

const char *cmfa__config_profile_get(const struct cmfa__config *cfg, const char *key)
{
    return cfg ? cmfa__config_named_get(cfg, cfg->profile, key) : NULL;
}

int cmfa__config_has_profile(const struct cmfa__config *cfg, const char *profile)
{
    if (!cfg || !profile)
        return 0;
    if (ini_has_section(cfg->credentials_file, "", profile) ||
        ini_has_section(cfg->config_file, "profile ", profile))
        return 1;
    return strcmp(profile, "default") == 0 && ini_has_section(cfg->config_file, "", "default");
}

int cmfa__ini_has_section(const struct cmfa__ini *ini, const char *section)
{
    return section && ini_has_section(ini, "", section);
}

static int profile_exists(const struct cmfa__config *cfg)
{
    return cmfa__config_has_profile(cfg, cfg->profile);
}

/* ------------------------------------------------------------------------- resolution */

/* "~" and "~/..." are $HOME; *out NULL (no error) when HOME is not set. */
static cmfa_code expand_home(const char *path, char **out)
{
    const char *home;
    struct cmfa__buf b;

    *out = NULL;
    if (path[0] != '~' || (path[1] != '\0' && path[1] != '/')) {
        *out = cmfa__strdup(path);
        return *out ? CMFA_OK : CMFA_E_NOMEM;
    }
    home = cmfa__env_get("HOME");
    if (!home)
        return CMFA_OK;
    cmfa__buf_init(&b, 0);
    if (cmfa__buf_addstr(&b, home) != CMFA_OK || cmfa__buf_addstr(&b, path + 1) != CMFA_OK) {
        cmfa__buf_cleanup(&b);
        return CMFA_E_NOMEM;
    }
    *out = cmfa__buf_take(&b, NULL);
    return *out ? CMFA_OK : CMFA_E_NOMEM;
}

static cmfa_code load_file(const char *env_name, const char *fallback, struct cmfa__ini **out,
                           struct cmfa_error *err)
{
    const char *path = cmfa__env_get(env_name);
    char *full = NULL;
    cmfa_code rc;

    *out = NULL;
    rc = expand_home(path ? path : fallback, &full);
    if (rc != CMFA_OK)
        return cmfa__fail(err, rc, NULL);
    if (!full)
        return CMFA_OK;
    rc = ini_load(full, out, err);
    cmfa_free(full);
    return rc;
}

static int valid_region(const char *r)
{
    size_t i;

    for (i = 0; r[i]; i++) {
        char c = r[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return 0;
    }
    return i >= 1 && i <= 63;
}

/* http:// or https:// with a non-empty host and, if present, a numeric port. No blanks or
 * control characters anywhere. */
static int valid_endpoint(const char *url)
{
    const char *p, *host, *hend;
    size_t i;

    for (i = 0; url[i]; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
            return 0;
    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else
        return 0;
    hend = p + strcspn(p, "/?#");
    host = p;
    for (i = 0; host + i < hend; i++)      /* user info is not an endpoint */
        if (host[i] == '@')
            return 0;
    if (host < hend && *host == '[') {
        const char *close = memchr(host, ']', (size_t)(hend - host));
        if (!close || close == host + 1)
            return 0;
        p = close + 1;
    } else {
        p = host;
        while (p < hend && *p != ':')
            p++;
        if (p == host)
            return 0;
    }
    if (p < hend) {
        if (*p != ':' || p + 1 == hend)
            return 0;
        for (p++; p < hend; p++)
            if (*p < '0' || *p > '9')
                return 0;
    }
    return 1;
}

/* Strict decimal integer >= 1 (blanks around allowed). */
static int parse_attempts(const char *s, int *out)
{
    const char *t = s;
    size_t len = strlen(s), i;
    long v = 0;

    trim(&t, &len);
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++) {
        if (t[i] < '0' || t[i] > '9')
            return 0;
        v = v * 10 + (t[i] - '0');
        if (v > INT_MAX)
            return 0;
    }
    if (v < 1)
        return 0;
    *out = (int)v;
    return 1;
}

const char *cmfa__config_setting(const struct cmfa__config *cfg, const char *env_name,
                                 const char *key)
{
    const char *v = cmfa__env_get(env_name);
    return v ? v : cmfa__nonempty(cmfa__config_profile_get(cfg, key));
}

/* A boolean setting: environment first, then the profile. */
static int setting_true(const struct cmfa__config *cfg, const char *env_name, const char *key)
{
    const char *v = cmfa__config_setting(cfg, env_name, key);
    return v && cmfa__is_true(v);
}

static cmfa_code resolve_region(const struct cmfa_client_options *opts, struct cmfa__config *cfg,
                                struct cmfa_error *err)
{
    const char *v, *src;
    char shown[80];

    if ((v = cmfa__nonempty(opts->region)))
        src = "the region option";
    else if ((v = cmfa__env_get("AWS_REGION")))
        src = "AWS_REGION";
    else if ((v = cmfa__env_get("AWS_DEFAULT_REGION")))
        src = "AWS_DEFAULT_REGION";
    else if ((v = cmfa__nonempty(cmfa__config_profile_get(cfg, "region"))))
        src = "the profile's region setting";
    else
        return CMFA_OK;
    if (!valid_region(v))
        return cmfa__fail(err, CMFA_E_CONFIG,
                          "Invalid region \"%s\" from %s: a region is 1 to 63 letters, digits "
                          "or '-'",
                          cmfa__printable(v, shown, sizeof(shown)), src);
    cfg->region = cmfa__strdup(v);
    return cfg->region ? CMFA_OK : cmfa__fail(err, CMFA_E_NOMEM, NULL);
}

/* ------------------------------------------------------------------------- endpoints */

const struct cmfa__service cmfa__svc_cognito_idp = {
    "COGNITO_IDENTITY_PROVIDER", "cognito_identity_provider", "cognito-idp", "cognito-idp-fips",
    NULL};
const struct cmfa__service cmfa__svc_sts = {"STS", "sts", "sts", "sts-fips", "sts.amazonaws.com"};
const struct cmfa__service cmfa__svc_sso = {"SSO", "sso", "portal.sso", NULL, NULL};
const struct cmfa__service cmfa__svc_sso_oidc = {"SSO_OIDC", "sso_oidc", "oidc", NULL, NULL};

/* The partitions' DNS suffixes (botocore data/partitions.json), by region prefix. */
const char *cmfa__dns_suffix(const char *region)
{
    static const struct {
        const char *prefix, *suffix;
    } partitions[] = {
        {"cn-", "amazonaws.com.cn"},   {"us-isob-", "sc2s.sgov.gov"},
        {"us-isof-", "csp.hci.ic.gov"}, {"us-iso-", "c2s.ic.gov"},
        {"eu-isoe-", "cloud.adc-e.uk"}, {"eusc-", "amazonaws.eu"},
    };
    size_t i;

    for (i = 0; region && i < CMFA__ARRAY_LEN(partitions); i++)
        if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0)
            return partitions[i].suffix;
    return "amazonaws.com";
}

cmfa_code cmfa__config_endpoint(const struct cmfa__config *cfg, const struct cmfa__service *svc,
                                const char *explicit_url, const char *explicit_src,
                                const char *region, char **url, int *is_custom,
                                struct cmfa_error *err)
{
    const char *v = NULL, *src = NULL;
    char shown[160], env_name[96];
    struct cmfa__buf b;
    int fips;

    *url = NULL;
    *is_custom = 0;
    if ((v = cmfa__nonempty(explicit_url))) {
        src = explicit_src ? explicit_src : "the endpoint_url option";
    } else if (!setting_true(cfg, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                             "ignore_configured_endpoint_urls")) {
        const char *services = cmfa__nonempty(cmfa__config_profile_get(cfg, "services"));

        snprintf(env_name, sizeof(env_name), "AWS_ENDPOINT_URL_%s", svc->env_suffix);
        if ((v = cmfa__env_get(env_name))) {
            src = env_name;
        } else if ((v = cmfa__env_get("AWS_ENDPOINT_URL"))) {
            src = "AWS_ENDPOINT_URL";
        } else if (services) {
            cmfa__buf_init(&b, 0);
            if (cmfa__buf_printf(&b, "services %s", services) != CMFA_OK) {
                cmfa__buf_cleanup(&b);
                return cmfa__fail(err, CMFA_E_NOMEM, NULL);
            }
            v = cmfa__nonempty(cmfa__ini_get(cfg->config_file, b.data, svc->services_key,
                                             "endpoint_url"));
            cmfa__buf_cleanup(&b);
            src = "the profile's services section";
        }
        if (!v && (v = cmfa__nonempty(cmfa__config_profile_get(cfg, "endpoint_url"))))
            src = "the profile's endpoint_url setting";
    }
    fips = setting_true(cfg, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint");
    if (v) {
        if (!valid_endpoint(v))
            return cmfa__fail(err, CMFA_E_CONFIG,
                              "Invalid endpoint URL \"%s\" from %s: expected http:// or "
                              "https:// followed by a host",
                              cmfa__printable(v, shown, sizeof(shown)), src);
        /* the AWS endpoint rules refuse FIPS together with a custom endpoint */
        if (fips)
            return cmfa__fail(err, CMFA_E_CONFIG,
                              "Invalid configuration: FIPS (AWS_USE_FIPS_ENDPOINT or "
                              "use_fips_endpoint) and a custom endpoint from %s are not "
                              "supported together", src);
        *url = cmfa__strdup(v);
        *is_custom = 1;
        return *url ? CMFA_OK : cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    cmfa__buf_init(&b, 0);
    if (!region && svc->global_host) {
        if (cmfa__buf_printf(&b, "https://%s", svc->global_host) != CMFA_OK) {
            cmfa__buf_cleanup(&b);
            return cmfa__fail(err, CMFA_E_NOMEM, NULL);
        }
        *url = cmfa__buf_take(&b, NULL);
        return *url ? CMFA_OK : cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    if (!region)
        return cmfa__fail(err, CMFA_E_CONFIG,
                          "You must specify a region: set the region option, AWS_REGION, "
                          "AWS_DEFAULT_REGION or region in the profile \"%s\"",
                          cmfa__printable(cfg->profile, shown, sizeof(shown)));
    if (cmfa__buf_printf(&b, "https://%s.%s.%s",
                         fips && svc->fips_prefix ? svc->fips_prefix : svc->host_prefix, region,
                         cmfa__dns_suffix(region)) != CMFA_OK) {
        cmfa__buf_cleanup(&b);
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    }
    *url = cmfa__buf_take(&b, NULL);
    return *url ? CMFA_OK : cmfa__fail(err, CMFA_E_NOMEM, NULL);
}

static cmfa_code resolve_endpoint(const struct cmfa_client_options *opts, struct cmfa__config *cfg,
                                  struct cmfa_error *err)
{
    return cmfa__config_endpoint(cfg, &cmfa__svc_cognito_idp, opts->endpoint_url, NULL,
                                 cfg->region, &cfg->endpoint_url, &cfg->endpoint_is_custom, err);
}

static cmfa_code resolve_max_attempts(const struct cmfa_client_options *opts,
                                      struct cmfa__config *cfg, struct cmfa_error *err)
{
    const char *v, *src;
    char shown[64];

    if (opts->max_attempts > 0) {
        cfg->max_attempts = opts->max_attempts;
        return CMFA_OK;
    }
    if (opts->max_attempts < 0)
        return cmfa__fail(err, CMFA_E_CONFIG,
                          "Invalid max_attempts %d from the max_attempts option: must be an "
                          "integer >= 1",
                          opts->max_attempts);
    if ((v = cmfa__env_get("AWS_MAX_ATTEMPTS")))
        src = "AWS_MAX_ATTEMPTS";
    else if ((v = cmfa__config_profile_get(cfg, "max_attempts")))
        src = "the profile's max_attempts setting";
    else {
        cfg->max_attempts = DEFAULT_MAX_ATTEMPTS;
        return CMFA_OK;
    }
    if (!parse_attempts(v, &cfg->max_attempts))
        return cmfa__fail(err, CMFA_E_CONFIG,
                          "Invalid max_attempts \"%s\" from %s: must be an integer >= 1",
                          cmfa__printable(v, shown, sizeof(shown)), src);
    return CMFA_OK;
}

/* retry_mode: the option, AWS_RETRY_MODE, the profile's retry_mode, else standard. "legacy" is
 * accepted as the SDKs accept it and behaves as standard (the only difference botocore's legacy
 * mode has is a shorter list of retried errors). */
static cmfa_code resolve_retry_mode(const struct cmfa_client_options *opts,
                                    struct cmfa__config *cfg, struct cmfa_error *err)
{
    const char *v, *src;
    char shown[64];

    if ((v = cmfa__nonempty(opts->retry_mode)))
        src = "the retry_mode option";
    else if ((v = cmfa__env_get("AWS_RETRY_MODE")))
        src = "AWS_RETRY_MODE";
    else if ((v = cmfa__nonempty(cmfa__config_profile_get(cfg, "retry_mode"))))
        src = "the profile's retry_mode setting";
    else
        return CMFA_OK;
    if (strcmp(v, "adaptive") == 0)
        cfg->adaptive = 1;
    else if (strcmp(v, "standard") != 0 && strcmp(v, "legacy") != 0)
        return cmfa__fail(err, CMFA_E_CONFIG,
                          "Invalid retry_mode \"%s\" from %s: must be standard, adaptive or legacy",
                          cmfa__printable(v, shown, sizeof(shown)), src);
    return CMFA_OK;
}

static cmfa_code resolve_ca_file(const struct cmfa_client_options *opts, struct cmfa__config *cfg,
                                 struct cmfa_error *err)
{
    const char *v = cmfa__nonempty(opts->ca_file);

    if (!v)
        v = cmfa__env_get("AWS_CA_BUNDLE");
    if (!v)
        v = cmfa__nonempty(cmfa__config_profile_get(cfg, "ca_bundle"));
    if (!v)
        return CMFA_OK;
    cfg->ca_file = cmfa__strdup(v);
    return cfg->ca_file ? CMFA_OK : cmfa__fail(err, CMFA_E_NOMEM, NULL);
}

void cmfa__config_cleanup(struct cmfa__config *cfg)
{
    if (!cfg)
        return;
    cmfa_free(cfg->profile);
    cmfa_free(cfg->region);
    cmfa_free(cfg->endpoint_url);
    cmfa_free(cfg->ca_file);
    cmfa__ini_free(cfg->config_file);
    cmfa__ini_free(cfg->credentials_file);
    memset(cfg, 0, sizeof(*cfg));
}

cmfa_code cmfa__config_resolve(const struct cmfa_client_options *opts, struct cmfa__config *cfg,
                               struct cmfa_error *err)
{
    static const struct cmfa_client_options none;
    const char *profile;
    int explicit_profile = 1;
    char shown[160];
    cmfa_code rc;

    if (!cfg)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "config is NULL");
    memset(cfg, 0, sizeof(*cfg));
    if (!opts)
        opts = &none;

    profile = cmfa__nonempty(opts->profile);
    if (!profile)
        profile = cmfa__env_get("AWS_PROFILE");
    if (!profile) {
        profile = "default";
        explicit_profile = 0;
    }
    cfg->profile = cmfa__strdup(profile);
    if (!cfg->profile) {
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }

    rc = load_file("AWS_CONFIG_FILE", "~/.aws/config", &cfg->config_file, err);
    if (rc != CMFA_OK)
        goto cleanup;
    rc = load_file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", &cfg->credentials_file,
                   err);
    if (rc != CMFA_OK)
        goto cleanup;

    if (explicit_profile) {
        if (!profile_exists(cfg)) {
            rc = cmfa__fail(err, CMFA_E_CONFIG, "The config profile (%s) could not be found",
                            cmfa__printable(cfg->profile, shown, sizeof(shown)));
            goto cleanup;
        }
    }

    if ((rc = resolve_region(opts, cfg, err)) != CMFA_OK ||
        (rc = resolve_endpoint(opts, cfg, err)) != CMFA_OK ||
        (rc = resolve_max_attempts(opts, cfg, err)) != CMFA_OK ||
        (rc = resolve_retry_mode(opts, cfg, err)) != CMFA_OK ||
        (rc = resolve_ca_file(opts, cfg, err)) != CMFA_OK)
        goto cleanup;
    return CMFA_OK;

cleanup:
    cmfa__config_cleanup(cfg);
    return rc;
}

/* ------------------------------------------------------------------------- settings (public) */

/* The AWS CLI's own settings, read as it reads them: the environment variables first (in
 * order), then the active profile, then env_last. A value of "" counts as unset, except where
 * empty_is_value says that "" means something (AWS_PAGER="" or "cli_pager =" turns the pager
 * off; the AWS CLI's pager chain is AWS_PAGER, cli_pager, PAGER, then its default). */
static const struct setting_def {
    const char *key;
    const char *env[2];
    const char *env_last;
    int empty_is_value;
} setting_defs[] = {
    {"region", {"AWS_REGION", "AWS_DEFAULT_REGION"}, NULL, 0},
    {"output", {"AWS_DEFAULT_OUTPUT", NULL}, NULL, 0},
    {"cli_pager", {"AWS_PAGER", NULL}, "PAGER", 1},
    {"cli_timestamp_format", {NULL, NULL}, NULL, 0},
    {"cli_binary_format", {NULL, NULL}, NULL, 0},
    {"ca_bundle", {"AWS_CA_BUNDLE", NULL}, NULL, 0},
    {"max_attempts", {"AWS_MAX_ATTEMPTS", NULL}, NULL, 0},
    {"retry_mode", {"AWS_RETRY_MODE", NULL}, NULL, 0},
    {"endpoint_url", {"AWS_ENDPOINT_URL", NULL}, NULL, 0},
};

struct cmfa_settings {
    struct cmfa__config cfg;   /* profile and both files; region and the rest unresolved */
    char **profiles;           /* profile names in both files, first appearance first */
    size_t nprofiles;
    int profile_found;
};

void cmfa_settings_free(struct cmfa_settings *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->nprofiles; i++)
        cmfa_free(s->profiles[i]);
    cmfa_free(s->profiles);
    cmfa__config_cleanup(&s->cfg);
    cmfa_free(s);
}

/* Adds name to the profile list unless it is there already. */
static cmfa_code add_profile(struct cmfa_settings *s, const char *name, size_t cap)
{
    size_t i;

    for (i = 0; i < s->nprofiles; i++)
        if (strcmp(s->profiles[i], name) == 0)
            return CMFA_OK;
    if (s->nprofiles >= cap)
        return CMFA_E_INTERNAL;
    s->profiles[s->nprofiles] = cmfa__strdup(name);
    if (!s->profiles[s->nprofiles])
        return CMFA_E_NOMEM;
    s->nprofiles++;
    return CMFA_OK;
}

/* Profiles: "[default]" and "[profile NAME]" in the config file, every section of the
 * credentials file. */
static cmfa_code list_profiles(struct cmfa_settings *s)
{
    const struct cmfa__ini *cf = s->cfg.config_file, *cr = s->cfg.credentials_file;
    size_t cap = (cf ? cf->nsections : 0) + (cr ? cr->nsections : 0), i;
    cmfa_code rc;

    if (cap == 0)
        return CMFA_OK;
    s->profiles = cmfa_malloc(cap * sizeof(*s->profiles));
    if (!s->profiles)
        return CMFA_E_NOMEM;
    for (i = 0; cf && i < cf->nsections; i++) {
        const char *name = cf->sections[i].name;
        if (strcmp(name, "default") == 0)
            rc = add_profile(s, name, cap);
        else if (strncmp(name, "profile ", 8) == 0 && name[8] != '\0')
            rc = add_profile(s, name + 8, cap);
        else
            continue;
        if (rc != CMFA_OK)
            return rc;
    }
    for (i = 0; cr && i < cr->nsections; i++)
        if ((rc = add_profile(s, cr->sections[i].name, cap)) != CMFA_OK)
            return rc;
    return CMFA_OK;
}

struct cmfa_settings *cmfa_settings_load(const char *profile, struct cmfa_error *err)
{
    struct cmfa_settings *s = cmfa_malloc(sizeof(*s));
    cmfa_code rc;

    if (!s) {
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        return NULL;
    }
    memset(s, 0, sizeof(*s));
    profile = cmfa__nonempty(profile);
    if (!profile)
        profile = cmfa__env_get("AWS_PROFILE");
    s->cfg.profile = cmfa__strdup(profile ? profile : "default");
    if (!s->cfg.profile) {
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }
    rc = load_file("AWS_CONFIG_FILE", "~/.aws/config", &s->cfg.config_file, err);
    if (rc != CMFA_OK)
        goto cleanup;
    rc = load_file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", &s->cfg.credentials_file,
                   err);
    if (rc != CMFA_OK)
        goto cleanup;
    if ((rc = list_profiles(s)) != CMFA_OK) {
        cmfa__fail(err, rc, NULL);
        goto cleanup;
    }
    s->profile_found = profile_exists(&s->cfg);
    return s;

cleanup:
    cmfa_settings_free(s);
    return NULL;
}

const char *cmfa_settings_profile(const struct cmfa_settings *s)
{
    return s ? s->cfg.profile : NULL;
}

int cmfa_settings_profile_found(const struct cmfa_settings *s)
{
    return s ? s->profile_found : 0;
}

/* v when it counts as set: not NULL, and not "" unless "" is a value for this setting. */
static const char *setting_value(const char *v, int empty_is_value)
{
    return v && (v[0] != '\0' || empty_is_value) ? v : NULL;
}

const char *cmfa_settings_get(const struct cmfa_settings *s, const char *key)
{
    const struct setting_def *d = NULL;
    const char *v;
    size_t i;

    if (!s || !key)
        return NULL;
    for (i = 0; i < sizeof(setting_defs) / sizeof(setting_defs[0]) && !d; i++)
        if (strcmp(setting_defs[i].key, key) == 0)
            d = &setting_defs[i];
    if (!d)
        return cmfa__nonempty(cmfa__config_profile_get(&s->cfg, key));
    for (i = 0; i < 2 && d->env[i]; i++)
        if ((v = setting_value(getenv(d->env[i]), d->empty_is_value)))
            return v;
    if ((v = setting_value(cmfa__config_profile_get(&s->cfg, key), d->empty_is_value)))
        return v;
    return d->env_last ? setting_value(getenv(d->env_last), d->empty_is_value) : NULL;
}

const char *cmfa_settings_key(size_t i)
{
    return i < sizeof(setting_defs) / sizeof(setting_defs[0]) ? setting_defs[i].key : NULL;
}

const char *cmfa_settings_profile_name(const struct cmfa_settings *s, size_t i)
{
    return s && i < s->nprofiles ? s->profiles[i] : NULL;
}
