/* The one XML parser of the project (expat underneath): reads a whole document into a flat
 * list of elements, each with its path from the root ("ErrorResponse/Error/Code") and the
 * character data directly inside it. Enough for the query protocol's answers (STS) and the
 * XML error bodies of AWS front ends.
 *
 * Rules:
 *   - Namespace prefixes are dropped from element names ("sts:Code" is "Code"); attributes are
 *     ignored.
 *   - A document with a DOCTYPE or an entity declaration is refused (no entity expansion, no
 *     external resources, ever).
 *   - At most XML_MAX_DEPTH levels and XML_MAX_ELEMENTS elements; input at most
 *     XML_MAX_INPUT bytes.
 *   - Every allocation goes through cmfa_malloc (expat's memory suite), and the text of every
 *     element is wiped before it is freed: answers carry secret keys and session tokens.
 * Errors are CMFA_E_BAD_RESPONSE with expat's reason, line and column (never the text). */
#include <string.h>

#include <expat.h>

#include "cmfa_int.h"

#define XML_MAX_DEPTH 32
#define XML_MAX_ELEMENTS 10000
#define XML_MAX_INPUT ((size_t)16 * 1024 * 1024)

struct xml_element {
    char *path;
    struct cmfa__buf text;
};

struct cmfa__xml {
    struct xml_element *elements;
    size_t n, cap;
};

struct xml_state {
    XML_Parser parser;
    struct cmfa__xml *doc;
    struct cmfa__buf path;
    size_t path_len[XML_MAX_DEPTH + 1];   /* path length before each level was added */
    size_t open[XML_MAX_DEPTH];           /* element index of each open level */
    int depth;
    cmfa_code rc;                         /* CMFA_OK, or why the handlers stopped the parser */
    const char *why;                      /* static reason when rc is CMFA_E_BAD_RESPONSE */
};

void cmfa__xml_free(struct cmfa__xml *doc)
{
    size_t i;

    if (!doc)
        return;
    for (i = 0; i < doc->n; i++) {
        cmfa_free(doc->elements[i].path);
        cmfa__buf_cleanup_secret(&doc->elements[i].text);
    }
    cmfa_free(doc->elements);
    cmfa_free(doc);
}

static void stop(struct xml_state *st, cmfa_code rc, const char *why)
{
    if (st->rc == CMFA_OK) {
        st->rc = rc;
        st->why = why;
    }
    XML_StopParser(st->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xml_state *st = ud;
    const char *local = strrchr(name, ':');
    struct xml_element *e;

    (void)atts;
    if (st->rc != CMFA_OK)
        return;
    local = local ? local + 1 : name;
    if (st->depth >= XML_MAX_DEPTH) {
        stop(st, CMFA_E_BAD_RESPONSE, "elements nested too deeply");
        return;
    }
    if (st->doc->n >= XML_MAX_ELEMENTS) {
        stop(st, CMFA_E_BAD_RESPONSE, "too many elements");
        return;
    }
    st->path_len[st->depth] = st->path.len;
    if ((st->depth && cmfa__buf_addc(&st->path, '/') != CMFA_OK) ||
        cmfa__buf_addstr(&st->path, local) != CMFA_OK) {
        stop(st, CMFA_E_NOMEM, NULL);
        return;
    }
    if (st->doc->n == st->doc->cap) {
        size_t ncap = st->doc->cap ? st->doc->cap * 2 : 16;
        struct xml_element *ne = cmfa_realloc(st->doc->elements, ncap * sizeof(*ne));
        if (!ne) {
            stop(st, CMFA_E_NOMEM, NULL);
            return;
        }
        st->doc->elements = ne;
        st->doc->cap = ncap;
    }
    e = &st->doc->elements[st->doc->n];
    e->path = cmfa__strndup(st->path.data, st->path.len);
    if (!e->path) {
        stop(st, CMFA_E_NOMEM, NULL);
        return;
    }
    cmfa__buf_init(&e->text, XML_MAX_INPUT);
    st->open[st->depth++] = st->doc->n++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xml_state *st = ud;

    (void)name;
    if (st->rc != CMFA_OK || st->depth == 0)
        return;
    st->depth--;
    st->path.len = st->path_len[st->depth];
    if (st->path.data)
        st->path.data[st->path.len] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xml_state *st = ud;

    if (st->rc != CMFA_OK || st->depth == 0 || len <= 0)
        return;
    if (cmfa__buf_add(&st->doc->elements[st->open[st->depth - 1]].text, s, (size_t)len) !=
        CMFA_OK)
        stop(st, CMFA_E_NOMEM, NULL);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    stop(ud, CMFA_E_BAD_RESPONSE, "a DOCTYPE is not accepted");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
                              const XML_Char *value, int value_len, const XML_Char *base,
                              const XML_Char *sysid, const XML_Char *pubid,
                              const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    stop(ud, CMFA_E_BAD_RESPONSE, "entity declarations are not accepted");
}

static void *xml_malloc(size_t n)
{
    return cmfa_malloc(n);
}

static void *xml_realloc(void *p, size_t n)
{
    return cmfa_realloc(p, n);
}

static void xml_free(void *p)
{
    cmfa_free(p);
}

struct cmfa__xml *cmfa__xml_parse(const char *text, size_t len, const char *what,
                                  struct cmfa_error *err)
{
    static const XML_Memory_Handling_Suite mem = {xml_malloc, xml_realloc, xml_free};
    struct xml_state st;
    struct cmfa__xml *doc = NULL;
    enum XML_Status status;

    if (!what)
        what = "XML document";
    if (!text && len) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "%s: text is NULL", what);
        return NULL;
    }
    if (len > XML_MAX_INPUT) {
        cmfa__fail(err, CMFA_E_BAD_RESPONSE, "%s is larger than %zu bytes", what, XML_MAX_INPUT);
        return NULL;
    }
    memset(&st, 0, sizeof(st));
    cmfa__buf_init(&st.path, 0);
    doc = cmfa_malloc(sizeof(*doc));
    if (!doc) {
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        return NULL;
    }
    memset(doc, 0, sizeof(*doc));
    st.doc = doc;
    st.parser = XML_ParserCreate_MM(NULL, &mem, NULL);
    if (!st.parser) {
        cmfa__xml_free(doc);
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        return NULL;
    }
    XML_SetUserData(st.parser, &st);
    XML_SetElementHandler(st.parser, on_start, on_end);
    XML_SetCharacterDataHandler(st.parser, on_text);
    XML_SetStartDoctypeDeclHandler(st.parser, on_doctype);
    XML_SetEntityDeclHandler(st.parser, on_entity);
    status = XML_Parse(st.parser, text ? text : "", (int)len, XML_TRUE);
    if (st.rc == CMFA_E_NOMEM || (status != XML_STATUS_OK && st.rc == CMFA_OK &&
                                  XML_GetErrorCode(st.parser) == XML_ERROR_NO_MEMORY)) {
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto fail;
    }
    if (st.rc != CMFA_OK) {
        cmfa__fail(err, st.rc, "%s is not accepted: %s (line %lu)", what, st.why,
                   (unsigned long)XML_GetCurrentLineNumber(st.parser));
        goto fail;
    }
    if (status != XML_STATUS_OK) {
        cmfa__fail(err, CMFA_E_BAD_RESPONSE, "%s is not well-formed XML: %s at line %lu, column %lu",
                   what, XML_ErrorString(XML_GetErrorCode(st.parser)),
                   (unsigned long)XML_GetCurrentLineNumber(st.parser),
                   (unsigned long)XML_GetCurrentColumnNumber(st.parser) + 1);
        goto fail;
    }
    XML_ParserFree(st.parser);
    cmfa__buf_cleanup(&st.path);
    return doc;

fail:
    XML_ParserFree(st.parser);
    cmfa__buf_cleanup(&st.path);
    cmfa__xml_free(doc);
    return NULL;
}

const char *cmfa__xml_root(const struct cmfa__xml *doc)
{
    return doc && doc->n ? doc->elements[0].path : NULL;
}

const char *cmfa__xml_get(const struct cmfa__xml *doc, const char *path, size_t *len)
{
    size_t i;

    if (len)
        *len = 0;
    if (!doc || !path)
        return NULL;
    for (i = 0; i < doc->n; i++) {
        if (strcmp(doc->elements[i].path, path) == 0) {
            if (len)
                *len = doc->elements[i].text.len;
            return doc->elements[i].text.data ? doc->elements[i].text.data : "";
        }
    }
    return NULL;
}

const char *cmfa__xml_find(const struct cmfa__xml *doc, const char *name, size_t *len)
{
    size_t i, nlen;

    if (len)
        *len = 0;
    if (!doc || !name)
        return NULL;
    nlen = strlen(name);
    for (i = 0; i < doc->n; i++) {
        const char *p = doc->elements[i].path;
        size_t plen = strlen(p);
        if (plen >= nlen && strcmp(p + plen - nlen, name) == 0 &&
            (plen == nlen || p[plen - nlen - 1] == '/')) {
            if (len)
                *len = doc->elements[i].text.len;
            return doc->elements[i].text.data ? doc->elements[i].text.data : "";
        }
    }
    return NULL;
}
