/* JMESPath 1.0.1 (the version the AWS CLI uses): a lexer, a Pratt parser into an AST, and a
 * tree evaluator over struct cmfa_value (cJSON nodes).
 *
 * Compile once, evaluate many times: a struct cmfa_query is immutable after compilation, so
 * one query may be evaluated from several threads at once.
 *
 * Semantics follow the specification and, where it is silent, jmespath.py 1.0.1 (the
 * reference implementation and the source of the compliance suite):
 *  - subexpressions, index expressions and pipes feed their left result into the right side;
 *    a projection (`[*]`, `[]`, `*`, `[?...]`, slices) applies its right side to each element
 *    and drops null results; `|`, `||`, `&&` and comparators end a projection;
 *  - false values: null, false, "", [], {}; numbers (0 included) are true;
 *  - == and != compare structurally (numbers by value, objects without regard to order,
 *    true is not 1); <, <=, >, >= order two numbers or two strings (by code point) and give
 *    null for anything else;
 *  - function arity, unknown functions and zero slice steps are found at compile time; type
 *    errors at evaluation time.
 *
 * Values during evaluation are either borrowed (pointing into the input document, a literal
 * of the query, or an owned value still alive) or owned (built here, freed by whoever holds
 * them). Containers built here hold copies or moved owned values, never borrowed nodes. An
 * owned value whose result may still be borrowed from is parked on a garbage list freed when
 * the evaluation ends.
 *
 * Limits keep hostile expressions harmless: nesting depth of the expression (parser recursion
 * and AST depth), values created per evaluation, and evaluation steps.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmfa_int.h"

#define MAX_DEPTH 256                  /* parser recursion and AST depth */
#define MAX_EXPRESSION_BYTES (1 << 20) /* 1 MiB of expression text */
#define DEFAULT_MAX_NODES (1L << 22)   /* values created by one evaluation */
#define DEFAULT_MAX_STEPS (1L << 26)   /* AST nodes visited by one evaluation */
#define INLINE_ARGS 4
#define TEXT_UNIT 64                   /* bytes of text counted as one value */

static long max_nodes = DEFAULT_MAX_NODES;
static long max_steps = DEFAULT_MAX_STEPS;

void cmfa__query_set_limits(long nodes, long steps)
{
    max_nodes = nodes > 0 ? nodes : DEFAULT_MAX_NODES;
    max_steps = steps > 0 ? steps : DEFAULT_MAX_STEPS;
}

/* =========================================================================== tokens */

enum tok {
    T_EOF,
    T_UNQUOTED,
    T_QUOTED,
    T_LITERAL,    /* `json` or 'raw string' */
    T_NUMBER,
    T_DOT,
    T_STAR,
    T_LBRACKET,
    T_RBRACKET,
    T_FLATTEN,    /* [] */
    T_FILTER,     /* [? */
    T_LBRACE,
    T_RBRACE,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_COLON,
    T_PIPE,
    T_OR,
    T_AND,
    T_NOT,
    T_EXPREF,
    T_CURRENT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_COUNT
};

/* Binding powers (jmespath.py's table). */
static const int binding_power[T_COUNT] = {
    [T_PIPE] = 1,  [T_OR] = 2,      [T_AND] = 3,     [T_EQ] = 5,     [T_NE] = 5,
    [T_LT] = 5,    [T_LE] = 5,      [T_GT] = 5,      [T_GE] = 5,     [T_FLATTEN] = 9,
    [T_STAR] = 20, [T_FILTER] = 21, [T_DOT] = 40,    [T_NOT] = 45,   [T_LBRACE] = 50,
    [T_LBRACKET] = 55, [T_LPAREN] = 60,
};
#define PROJECTION_STOP 10

static const char *const token_names[T_COUNT] = {
    [T_EOF] = "the end of the expression",
    [T_UNQUOTED] = "identifier",
    [T_QUOTED] = "quoted identifier",
    [T_LITERAL] = "literal",
    [T_NUMBER] = "number",
    [T_DOT] = "'.'",
    [T_STAR] = "'*'",
    [T_LBRACKET] = "'['",
    [T_RBRACKET] = "']'",
    [T_FLATTEN] = "'[]'",
    [T_FILTER] = "'[?'",
    [T_LBRACE] = "'{'",
    [T_RBRACE] = "'}'",
    [T_LPAREN] = "'('",
    [T_RPAREN] = "')'",
    [T_COMMA] = "','",
    [T_COLON] = "':'",
    [T_PIPE] = "'|'",
    [T_OR] = "'||'",
    [T_AND] = "'&&'",
    [T_NOT] = "'!'",
    [T_EXPREF] = "'&'",
    [T_CURRENT] = "'@'",
    [T_EQ] = "'=='",
    [T_NE] = "'!='",
    [T_LT] = "'<'",
    [T_LE] = "'<='",
    [T_GT] = "'>'",
    [T_GE] = "'>='",
};

struct token {
    enum tok type;
    size_t pos;          /* byte offset in the expression */
    size_t len;          /* bytes of expression text */
    char *str;           /* identifiers: decoded name (NUL-terminated, owned until moved) */
    size_t str_len;
    cJSON *lit;          /* literals (owned until moved) */
    long long num;       /* numbers (saturated) */
};

/* =========================================================================== AST */

enum ntype {
    N_CURRENT,
    N_FIELD,
    N_LITERAL,
    N_INDEX,
    N_SLICE,
    N_CHAIN,      /* kids applied left to right: a.b, a[0], a | b */
    N_PROJECT,    /* a = left (a list), b = right, applied to each element */
    N_VPROJECT,   /* a = left (an object's values), b = right */
    N_FILTER,     /* a = left, b = right, c = condition */
    N_FLATTEN,    /* a */
    N_OR,
    N_AND,
    N_NOT,
    N_CMP,        /* op = T_EQ ... T_GE */
    N_LIST,       /* [a, b]: kids */
    N_HASH,       /* {k: a}: kids are N_KEYVAL */
    N_KEYVAL,     /* name: a */
    N_FUNCTION,   /* fn, kids are the arguments */
    N_EXPREF      /* &a */
};

struct qfunc;

struct qnode {
    enum ntype type;
    enum tok op;
    int depth;
    size_t pos;
    struct qnode *a, *b, *c;
    struct qnode *first, *last, *next; /* list of kids, and this node's sibling */
    size_t count;
    const char *name;
    cJSON *literal;
    long long idx[3];
    unsigned char has[3];
    const struct qfunc *fn;
};

/* Bump allocator for the nodes and names of one query. */
struct chunk {
    struct chunk *next;
    size_t used, cap;
    union {
        long long ll;
        double d;
        void *p;
    } data[];
};

struct cmfa_query {
    struct qnode *root;
    struct chunk *chunks;
    cJSON *literals;       /* an array owning every literal node */
    char *text;            /* the expression (for messages) */
    size_t text_len;
};

static void *arena_alloc(struct cmfa_query *q, size_t n)
{
    struct chunk *c = q->chunks;
    size_t units = (n + sizeof(c->data[0]) - 1) / sizeof(c->data[0]);
    void *p;

    if (!c || c->cap - c->used < units) {
        size_t cap = units > 256 ? units : 256;
        c = cmfa_malloc(sizeof(*c) + cap * sizeof(c->data[0]));
        if (!c)
            return NULL;
        c->next = q->chunks;
        c->used = 0;
        c->cap = cap;
        q->chunks = c;
    }
    p = &c->data[c->used];
    c->used += units;
    memset(p, 0, units * sizeof(c->data[0]));
    return p;
}

void cmfa_query_free(struct cmfa_query *q)
{
    struct chunk *c, *next;

    if (!q)
        return;
    for (c = q->chunks; c; c = next) {
        next = c->next;
        cmfa_free(c);
    }
    cJSON_Delete(q->literals);
    cmfa_free(q->text);
    cmfa_free(q);
}

/* =========================================================================== functions */

enum {
    TY_NULL = 1 << 0,
    TY_BOOL = 1 << 1,
    TY_NUMBER = 1 << 2,
    TY_STRING = 1 << 3,
    TY_ARRAY = 1 << 4,
    TY_OBJECT = 1 << 5,
    TY_EXPREF = 1 << 6,
    TY_ARRAY_NUMBER = 1 << 7,
    TY_ARRAY_STRING = 1 << 8,
    TY_ANY = TY_NULL | TY_BOOL | TY_NUMBER | TY_STRING | TY_ARRAY | TY_OBJECT
};

struct rv {
    cJSON *j;     /* NULL: JSON null */
    int owned;
};

struct farg {
    struct rv v;
    const struct qnode *expref;
};

struct ev;
typedef int (*func_impl)(struct ev *e, const struct qnode *call, struct farg *args, size_t n,
                         struct rv *out);

struct qfunc {
    const char *name;
    int nparams;        /* fixed parameters; variadic: the minimum */
    int variadic;       /* the last parameter repeats */
    unsigned types[3];
    func_impl impl;
};

static const struct qfunc *find_function(const char *name);

/* =========================================================================== errors */

/* Column (1-based, in characters) of byte offset pos. */
static size_t column_of(const char *text, size_t len, size_t pos)
{
    size_t i, col = 1;

    if (pos > len)
        pos = len;
    for (i = 0; i < pos; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static const char *class_text(cmfa_code code)
{
    switch ((int)code) {
    case CMFA_E_QUERY_SYNTAX: return "syntax error";
    case CMFA_E_QUERY_INVALID_TYPE: return "invalid type";
    case CMFA_E_QUERY_INVALID_ARITY: return "invalid arity";
    case CMFA_E_QUERY_UNKNOWN_FUNCTION: return "unknown function";
    case CMFA_E_QUERY_INVALID_VALUE: return "invalid value";
    case CMFA_E_QUERY_LIMIT: return "limit exceeded";
    default: return "error";
    }
}

static int query_fail(struct cmfa_error *err, const char *text, size_t len, size_t pos,
                      cmfa_code code, const char *fmt, ...) CMFA__PRINTF(6, 7);

/* "syntax error at column 7: expected ..." */
static int query_fail(struct cmfa_error *err, const char *text, size_t len, size_t pos,
                      cmfa_code code, const char *fmt, ...)
{
    char detail[CMFA_ERROR_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (code == CMFA_E_NOMEM)
        cmfa__fail(err, code, "out of memory in a JMESPath query");
    else
        cmfa__fail(err, code, "%s at column %zu: %s", class_text(code),
                   column_of(text, len, pos), detail);
    return -1;
}

const char *cmfa_query_error_class(cmfa_code code)
{
    switch ((int)code) {
    case CMFA_E_QUERY_SYNTAX: return "syntax";
    case CMFA_E_QUERY_INVALID_TYPE: return "invalid-type";
    case CMFA_E_QUERY_INVALID_ARITY: return "invalid-arity";
    case CMFA_E_QUERY_UNKNOWN_FUNCTION: return "unknown-function";
    case CMFA_E_QUERY_INVALID_VALUE: return "invalid-value";
    case CMFA_E_QUERY_LIMIT: return "limit";
    default: return NULL;
    }
}

/* =========================================================================== lexer */

struct lexer {
    const char *s;
    size_t len;
    struct token *toks;
    size_t ntok, cap;
    struct cmfa_error *err;
};

static int lex_fail(struct lexer *lx, size_t pos, const char *fmt, ...) CMFA__PRINTF(3, 4);

static int lex_fail(struct lexer *lx, size_t pos, const char *fmt, ...)
{
    char detail[CMFA_ERROR_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return query_fail(lx->err, lx->s, lx->len, pos, CMFA_E_QUERY_SYNTAX, "%s", detail);
}

static int lex_nomem(struct lexer *lx)
{
    return query_fail(lx->err, lx->s, lx->len, 0, CMFA_E_NOMEM, "%s", "");
}

static struct token *lex_push(struct lexer *lx, enum tok type, size_t pos, size_t len)
{
    struct token *t;

    if (lx->ntok == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 16;
        struct token *grown = cmfa_realloc(lx->toks, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        lx->toks = grown;
        lx->cap = cap;
    }
    t = &lx->toks[lx->ntok++];
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->pos = pos;
    t->len = len;
    return t;
}

static void tokens_free(struct token *toks, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        cmfa_free(toks[i].str);
        cJSON_Delete(toks[i].lit);
    }
    cmfa_free(toks);
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need, i;
    unsigned long cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need;
}

static void put_utf8(struct cmfa__buf *b, unsigned long cp, cmfa_code *rc)
{
    char out[4];
    size_t n;

    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (*rc == CMFA_OK)
        *rc = cmfa__buf_add(b, out, n);
}

static int hex4(const char *s, unsigned long *out)
{
    int i;
    unsigned long v = 0;

    for (i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned long)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* Decodes the inside of a JSON string (s[0..n), no surrounding quotes) into b.
 * Returns 0 on success, -1 on a syntax problem (*why set, *where the offset), -2 out of
 * memory. NUL characters are refused (values cannot hold them). */
static int json_unescape(const char *s, size_t n, struct cmfa__buf *b, const char **why,
                         size_t *where)
{
    cmfa_code rc = CMFA_OK;
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        unsigned long cp, lo;

        *where = i;
        if (c == '"') {
            *why = "an unescaped '\"' inside a quoted string";
            return -1;
        }
        if (c < 0x20) {
            *why = "a control character inside a quoted string (escape it)";
            return -1;
        }
        if (c != '\\') {
            size_t k = i;
            while (k < n && s[k] != '\\' && s[k] != '"' && (unsigned char)s[k] >= 0x20)
                k++;
            if (rc == CMFA_OK)
                rc = cmfa__buf_add(b, s + i, k - i);
            i = k;
            continue;
        }
        if (i + 1 >= n) {
            *why = "a '\\' at the end of a quoted string";
            return -1;
        }
        switch (s[i + 1]) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (i + 6 > n || !hex4(s + i + 2, &cp)) {
                *why = "\\u must be followed by four hex digits";
                return -1;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                *why = "a lone low surrogate in a \\u escape";
                return -1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
                    !hex4(s + i + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    *why = "a high surrogate \\u escape without its low surrogate";
                    return -1;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            if (cp == 0) {
                *why = "\\u0000 is not supported";
                return -1;
            }
            i += 4;
            break;
        default:
            *why = "an unknown escape sequence";
            return -1;
        }
        put_utf8(b, cp, &rc);
        i += 2;
    }
    return rc == CMFA_OK ? 0 : -2;
}

/* Scans a delimited lexeme starting at lx->s[start] (the opening delimiter). A backslash
 * escapes the next character. On return *end is the offset of the closing delimiter. */
static int scan_delimited(struct lexer *lx, size_t start, char delim, size_t *end)
{
    size_t i = start + 1;

    while (i < lx->len && lx->s[i] != delim) {
        if (lx->s[i] == '\\')
            i++;
        i++;
    }
    if (i >= lx->len) {
        const char *what = delim == '\'' ? "raw string" : delim == '`' ? "literal"
                                                                        : "quoted identifier";
        return lex_fail(lx, start, "unterminated %s (missing closing %c)", what, delim);
    }
    *end = i;
    return 0;
}

/* Copies s[0..n) replacing "\<delim>" by "<delim>" (other escapes kept as they are). */
static int copy_unescaping(const char *s, size_t n, char delim, struct cmfa__buf *b)
{
    size_t i;
    cmfa_code rc = CMFA_OK;

    for (i = 0; i < n && rc == CMFA_OK; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == delim) {
                rc = cmfa__buf_addc(b, delim);
            } else {
                rc = cmfa__buf_add(b, s + i, 2);
            }
            i++;
            continue;
        }
        rc = cmfa__buf_addc(b, s[i]);
    }
    if (rc == CMFA_OK)
        rc = cmfa__buf_add(b, "", 0);
    return rc == CMFA_OK ? 0 : -2;
}

static int lex_quoted(struct lexer *lx, size_t start, size_t *next)
{
    struct cmfa__buf b;
    const char *why = NULL;
    size_t end = 0, where = 0;
    struct token *t;
    int r;

    if (scan_delimited(lx, start, '"', &end) < 0)
        return -1;
    cmfa__buf_init(&b, 0);
    r = json_unescape(lx->s + start + 1, end - start - 1, &b, &why, &where);
    if (r == 0 && cmfa__buf_add(&b, "", 0) != CMFA_OK)
        r = -2;
    if (r < 0) {
        cmfa__buf_cleanup(&b);
        if (r == -2)
            return lex_nomem(lx);
        return lex_fail(lx, start + 1 + where, "invalid quoted identifier: %s", why);
    }
    t = lex_push(lx, T_QUOTED, start, end + 1 - start);
    if (!t) {
        cmfa__buf_cleanup(&b);
        return lex_nomem(lx);
    }
    t->str_len = b.len;
    t->str = cmfa__buf_take(&b, NULL);
    cmfa__buf_cleanup(&b);
    if (!t->str)
        return lex_nomem(lx);
    *next = end + 1;
    return 0;
}

static int lex_raw_string(struct lexer *lx, size_t start, size_t *next)
{
    struct cmfa__buf b;
    size_t end = 0;
    struct token *t;

    if (scan_delimited(lx, start, '\'', &end) < 0)
        return -1;
    cmfa__buf_init(&b, 0);
    if (copy_unescaping(lx->s + start + 1, end - start - 1, '\'', &b) < 0) {
        cmfa__buf_cleanup(&b);
        return lex_nomem(lx);
    }
    t = lex_push(lx, T_LITERAL, start, end + 1 - start);
    if (!t) {
        cmfa__buf_cleanup(&b);
        return lex_nomem(lx);
    }
    t->lit = CMFA__JSON(cmfa_value_new_string(b.data ? b.data : "", b.len));
    cmfa__buf_cleanup(&b);
    if (!t->lit)
        return lex_nomem(lx);
    *next = end + 1;
    return 0;
}

/* `json`: JSON text; text that is not JSON is taken as the inside of a JSON string (the
 * deprecated form jmespath.py 1.0.1 still accepts, e.g. `foo`). */
static int lex_literal(struct lexer *lx, size_t start, size_t *next)
{
    struct cmfa__buf b, sb;
    struct cmfa_error perr;
    struct cmfa_value *v;
    const char *why = NULL, *text;
    size_t end = 0, where = 0, n;
    struct token *t;
    int r;

    if (scan_delimited(lx, start, '`', &end) < 0)
        return -1;
    cmfa__buf_init(&b, 0);
    if (copy_unescaping(lx->s + start + 1, end - start - 1, '`', &b) < 0) {
        cmfa__buf_cleanup(&b);
        return lex_nomem(lx);
    }
    text = b.data ? b.data : "";
    cmfa_error_init(&perr);
    v = cmfa_value_parse(text, b.len, &perr);
    if (!v && perr.code == CMFA_E_NOMEM) {
        cmfa__buf_cleanup(&b);
        return lex_nomem(lx);
    }
    if (!v) {
        /* the deprecated form: leading blanks dropped, the rest a JSON string's inside */
        n = 0;
        while (n < b.len && (text[n] == ' ' || (text[n] >= '\t' && text[n] <= '\r') ||
                             (text[n] >= 0x1C && text[n] <= 0x1F)))
            n++;
        cmfa__buf_init(&sb, 0);
        r = json_unescape(text + n, b.len - n, &sb, &why, &where);
        if (r == 0)
            v = cmfa_value_new_string(sb.data ? sb.data : "", sb.len);
        cmfa__buf_cleanup(&sb);
        if (r == -2 || (r == 0 && !v)) {
            cmfa__buf_cleanup(&b);
            return lex_nomem(lx);
        }
        if (r < 0) {
            cmfa__buf_cleanup(&b);
            return lex_fail(lx, start, "invalid JSON literal (%s)", perr.message);
        }
    }
    cmfa__buf_cleanup(&b);
    t = lex_push(lx, T_LITERAL, start, end + 1 - start);
    if (!t) {
        cmfa_value_free(v);
        return lex_nomem(lx);
    }
    t->lit = CMFA__JSON(v);
    *next = end + 1;
    return 0;
}

static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int lex(struct lexer *lx)
{
    size_t i = 0;

    while (i < lx->len) {
        char c = lx->s[i];
        enum tok type = T_EOF;
        size_t tlen = 1;
        struct token *t;

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        if (is_ident_start(c)) {
            size_t k = i + 1;
            while (k < lx->len && is_ident_char(lx->s[k]))
                k++;
            t = lex_push(lx, T_UNQUOTED, i, k - i);
            if (!t || !(t->str = cmfa__strndup(lx->s + i, k - i)))
                return lex_nomem(lx);
            t->str_len = k - i;
            i = k;
            continue;
        }
        if ((c >= '0' && c <= '9') || c == '-') {
            size_t k = i + (c == '-');
            long long v = 0;
            if (k >= lx->len || lx->s[k] < '0' || lx->s[k] > '9')
                return lex_fail(lx, i, "'-' must be followed by digits");
            while (k < lx->len && lx->s[k] >= '0' && lx->s[k] <= '9') {
                if (v < (1LL << 53))
                    v = v * 10 + (lx->s[k] - '0');
                k++;
            }
            t = lex_push(lx, T_NUMBER, i, k - i);
            if (!t)
                return lex_nomem(lx);
            t->num = c == '-' ? -v : v;
            i = k;
            continue;
        }
        switch (c) {
        case '.': type = T_DOT; break;
        case '*': type = T_STAR; break;
        case ']': type = T_RBRACKET; break;
        case ',': type = T_COMMA; break;
        case ':': type = T_COLON; break;
        case '@': type = T_CURRENT; break;
        case '(': type = T_LPAREN; break;
        case ')': type = T_RPAREN; break;
        case '{': type = T_LBRACE; break;
        case '}': type = T_RBRACE; break;
        case '[':
            if (i + 1 < lx->len && lx->s[i + 1] == ']') {
                type = T_FLATTEN;
                tlen = 2;
            } else if (i + 1 < lx->len && lx->s[i + 1] == '?') {
                type = T_FILTER;
                tlen = 2;
            } else {
                type = T_LBRACKET;
            }
            break;
        case '|':
            if (i + 1 < lx->len && lx->s[i + 1] == '|') {
                type = T_OR;
                tlen = 2;
            } else {
                type = T_PIPE;
            }
            break;
        case '&':
            if (i + 1 < lx->len && lx->s[i + 1] == '&') {
                type = T_AND;
                tlen = 2;
            } else {
                type = T_EXPREF;
            }
            break;
        case '<':
        case '>':
        case '!':
        case '=':
            if (i + 1 < lx->len && lx->s[i + 1] == '=') {
                type = c == '<' ? T_LE : c == '>' ? T_GE : c == '!' ? T_NE : T_EQ;
                tlen = 2;
            } else if (c == '=') {
                return lex_fail(lx, i, "'=' is not an operator (use '==')");
            } else {
                type = c == '<' ? T_LT : c == '>' ? T_GT : T_NOT;
            }
            break;
        case '"':
            if (lex_quoted(lx, i, &i) < 0)
                return -1;
            continue;
        case '\'':
            if (lex_raw_string(lx, i, &i) < 0)
                return -1;
            continue;
        case '`':
            if (lex_literal(lx, i, &i) < 0)
                return -1;
            continue;
        default:
            if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7F)
                return lex_fail(lx, i, "unexpected character '%c'", c);
            return lex_fail(lx, i, "unexpected character (byte 0x%02X)", (unsigned char)c);
        }
        if (!lex_push(lx, type, i, tlen))
            return lex_nomem(lx);
        i += tlen;
    }
    if (!lex_push(lx, T_EOF, lx->len, 0))
        return lex_nomem(lx);
    return 0;
}

/* =========================================================================== parser */

struct parser {
    struct cmfa_query *q;
    const char *s;
    size_t len;
    struct token *toks;
    size_t i;
    int depth;
    struct cmfa_error *err;
};

static struct qnode *expression(struct parser *p, int rbp);

static enum tok cur(const struct parser *p)
{
    return p->toks[p->i].type;
}

static enum tok peek(const struct parser *p, size_t k)
{
    size_t j;

    for (j = 0; j < k && p->toks[p->i + j].type != T_EOF; j++)
        ;
    return p->toks[p->i + j].type;
}

static void advance(struct parser *p)
{
    if (p->toks[p->i].type != T_EOF)
        p->i++;
}

static struct qnode *parse_fail(struct parser *p, size_t pos, cmfa_code code, const char *fmt,
                                ...) CMFA__PRINTF(4, 5);

static struct qnode *parse_fail(struct parser *p, size_t pos, cmfa_code code, const char *fmt,
                                ...)
{
    char detail[CMFA_ERROR_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    query_fail(p->err, p->s, p->len, pos, code, "%s", detail);
    return NULL;
}

/* Describes a token for messages: "identifier 'foo'", "']'", "the end of the expression". */
static void describe(const struct parser *p, const struct token *t, char *out, size_t size)
{
    if (t->type == T_UNQUOTED || t->type == T_NUMBER || t->type == T_LITERAL ||
        t->type == T_QUOTED) {
        int n = t->len > 40 ? 40 : (int)t->len;
        snprintf(out, size, "%s %.*s%s", token_names[t->type], n, p->s + t->pos,
                 t->len > 40 ? "..." : "");
    } else {
        snprintf(out, size, "%s", token_names[t->type]);
    }
}

static struct qnode *unexpected(struct parser *p, const char *expected)
{
    const struct token *t = &p->toks[p->i];
    char what[128];

    describe(p, t, what, sizeof(what));
    if (expected)
        return parse_fail(p, t->pos, CMFA_E_QUERY_SYNTAX, "expected %s, found %s", expected,
                          what);
    return parse_fail(p, t->pos, CMFA_E_QUERY_SYNTAX, "unexpected %s", what);
}

static int match(struct parser *p, enum tok type, const char *expected)
{
    if (cur(p) != type) {
        unexpected(p, expected);
        return -1;
    }
    advance(p);
    return 0;
}

static struct qnode *node_new(struct parser *p, enum ntype type, size_t pos)
{
    struct qnode *n = arena_alloc(p->q, sizeof(*n));

    if (!n) {
        query_fail(p->err, p->s, p->len, pos, CMFA_E_NOMEM, "%s", "");
        return NULL;
    }
    n->type = type;
    n->pos = pos;
    n->depth = 1;
    return n;
}

/* Records that kid hangs under n; fails past the depth limit. */
static int adopt(struct parser *p, struct qnode *n, const struct qnode *kid)
{
    if (!kid)
        return 0;
    if (kid->depth + 1 > n->depth)
        n->depth = kid->depth + 1;
    if (n->depth > MAX_DEPTH) {
        query_fail(p->err, p->s, p->len, n->pos, CMFA_E_QUERY_LIMIT,
                   "the expression is nested more than %d levels deep", MAX_DEPTH);
        return -1;
    }
    return 0;
}

static struct qnode *node2(struct parser *p, enum ntype type, size_t pos, struct qnode *a,
                           struct qnode *b)
{
    struct qnode *n = node_new(p, type, pos);

    if (!n || adopt(p, n, a) < 0 || adopt(p, n, b) < 0)
        return NULL;
    n->a = a;
    n->b = b;
    return n;
}

static int append_kid(struct parser *p, struct qnode *n, struct qnode *kid)
{
    if (adopt(p, n, kid) < 0)
        return -1;
    kid->next = NULL;
    if (n->last)
        n->last->next = kid;
    else
        n->first = kid;
    n->last = kid;
    n->count++;
    return 0;
}

/* left then right, as one flat chain (a.b.c and a | b | c do not nest). */
static struct qnode *chain(struct parser *p, struct qnode *left, struct qnode *right)
{
    struct qnode *n, *k, *next;

    if (left->type == N_CHAIN) {
        n = left;
    } else {
        n = node_new(p, N_CHAIN, left->pos);
        if (!n || append_kid(p, n, left) < 0)
            return NULL;
    }
    if (right->type == N_CHAIN) {
        for (k = right->first; k; k = next) {
            next = k->next;
            if (append_kid(p, n, k) < 0)
                return NULL;
        }
        return n;
    }
    if (append_kid(p, n, right) < 0)
        return NULL;
    return n;
}

static const char *arena_strdup(struct parser *p, const char *s, size_t len)
{
    char *copy = arena_alloc(p->q, len + 1);

    if (!copy) {
        query_fail(p->err, p->s, p->len, 0, CMFA_E_NOMEM, "%s", "");
        return NULL;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static struct qnode *field_node(struct parser *p, struct token *t)
{
    struct qnode *n = node_new(p, N_FIELD, t->pos);

    if (!n || !(n->name = arena_strdup(p, t->str, t->str_len)))
        return NULL;
    return n;
}

static struct qnode *literal_node(struct parser *p, struct token *t)
{
    struct qnode *n = node_new(p, N_LITERAL, t->pos);

    if (!n)
        return NULL;
    /* the query's literal list owns the node from here on */
    n->literal = t->lit;
    cJSON_AddItemToArray(p->q->literals, t->lit);
    t->lit = NULL;
    return n;
}

static struct qnode *identity(struct parser *p)
{
    return node_new(p, N_CURRENT, p->toks[p->i].pos);
}

static struct qnode *parse_dot_rhs(struct parser *p, int bp);
static struct qnode *parse_multi_list(struct parser *p, size_t pos);
static struct qnode *parse_multi_hash(struct parser *p, size_t pos);

/* What follows a projection: nothing (identity), [..], [?..] or .rhs. */
static struct qnode *parse_projection_rhs(struct parser *p, int bp)
{
    enum tok t = cur(p);

    if (binding_power[t] < PROJECTION_STOP)
        return identity(p);
    if (t == T_LBRACKET || t == T_FILTER)
        return expression(p, bp);
    if (t == T_DOT) {
        advance(p);
        return parse_dot_rhs(p, bp);
    }
    return unexpected(p, "'.', '[' or the end of the projection");
}

static struct qnode *parse_dot_rhs(struct parser *p, int bp)
{
    size_t pos = p->toks[p->i].pos;

    switch (cur(p)) {
    case T_UNQUOTED:
    case T_QUOTED:
    case T_STAR:
        return expression(p, bp);
    case T_LBRACKET:
        advance(p);
        return parse_multi_list(p, pos);
    case T_LBRACE:
        advance(p);
        return parse_multi_hash(p, pos);
    default:
        return unexpected(p, "an identifier, '*', '[' or '{' after '.'");
    }
}

/* After '[' with a number or ':' next: [n] or a slice [a:b:c]. */
static struct qnode *parse_index(struct parser *p, size_t pos)
{
    struct qnode *n;
    int part = 0;

    if (cur(p) == T_NUMBER && peek(p, 1) != T_COLON) {
        n = node_new(p, N_INDEX, pos);
        if (!n)
            return NULL;
        n->idx[0] = p->toks[p->i].num;
        advance(p);
        if (match(p, T_RBRACKET, "']' after the index") < 0)
            return NULL;
        return n;
    }
    n = node_new(p, N_SLICE, pos);
    if (!n)
        return NULL;
    while (cur(p) != T_RBRACKET) {
        if (cur(p) == T_COLON) {
            if (++part == 3)
                return unexpected(p, "']' (a slice has at most three parts)");
            advance(p);
        } else if (cur(p) == T_NUMBER && !n->has[part]) {
            n->idx[part] = p->toks[p->i].num;
            n->has[part] = 1;
            advance(p);
        } else {
            return unexpected(p, "a number, ':' or ']' in the slice");
        }
    }
    advance(p);
    return n;
}

/* left[index]: a slice projects what follows it. */
static struct qnode *project_if_slice(struct parser *p, struct qnode *left, struct qnode *right)
{
    struct qnode *c = left ? chain(p, left, right) : right, *rhs;

    if (!c)
        return NULL;
    if (right->type != N_SLICE)
        return c;
    rhs = parse_projection_rhs(p, binding_power[T_STAR]);
    if (!rhs)
        return NULL;
    return node2(p, N_PROJECT, right->pos, c, rhs);
}

static struct qnode *parse_multi_list(struct parser *p, size_t pos)
{
    struct qnode *n = node_new(p, N_LIST, pos), *e;

    if (!n)
        return NULL;
    for (;;) {
        e = expression(p, 0);
        if (!e || append_kid(p, n, e) < 0)
            return NULL;
        if (cur(p) == T_RBRACKET)
            break;
        if (match(p, T_COMMA, "',' or ']' in the multi-select list") < 0)
            return NULL;
    }
    advance(p);
    return n;
}

static struct qnode *parse_multi_hash(struct parser *p, size_t pos)
{
    struct qnode *n = node_new(p, N_HASH, pos), *kv, *e;
    struct token *key;

    if (!n)
        return NULL;
    for (;;) {
        key = &p->toks[p->i];
        if (key->type != T_UNQUOTED && key->type != T_QUOTED)
            return unexpected(p, "a key (an identifier) in the multi-select hash");
        advance(p);
        if (match(p, T_COLON, "':' after the key") < 0)
            return NULL;
        e = expression(p, 0);
        if (!e)
            return NULL;
        kv = node_new(p, N_KEYVAL, key->pos);
        if (!kv || !(kv->name = arena_strdup(p, key->str, key->str_len)) ||
            adopt(p, kv, e) < 0)
            return NULL;
        kv->a = e;
        if (append_kid(p, n, kv) < 0)
            return NULL;
        if (cur(p) == T_COMMA) {
            advance(p);
        } else if (cur(p) == T_RBRACE) {
            advance(p);
            break;
        } else {
            return unexpected(p, "',' or '}' in the multi-select hash");
        }
    }
    return n;
}

static struct qnode *parse_function(struct parser *p, struct qnode *left, size_t lparen_pos)
{
    struct qnode *n, *e;

    if (left->type != N_FIELD)
        return parse_fail(p, lparen_pos, CMFA_E_QUERY_SYNTAX,
                          "'(' must follow a function name");
    n = node_new(p, N_FUNCTION, left->pos);
    if (!n)
        return NULL;
    n->name = left->name;
    while (cur(p) != T_RPAREN) {
        e = expression(p, 0);
        if (!e || append_kid(p, n, e) < 0)
            return NULL;
        if (cur(p) == T_COMMA) {
            advance(p);
            if (cur(p) == T_RPAREN)
                return unexpected(p, "an argument after ','");
        } else if (cur(p) != T_RPAREN) {
            return unexpected(p, "',' or ')' in the argument list");
        }
    }
    advance(p);
    n->fn = find_function(n->name); /* NULL: reported by check_tree once the parse is done */
    return n;
}

/* After a successful parse: unknown functions, wrong argument counts and zero slice steps,
 * the first one in the expression reported (syntax errors anywhere come first). */
static void check_tree(const struct qnode *n, const struct qnode **bad)
{
    const struct qnode *k;
    const struct qfunc *fn;

    if (!n)
        return;
    if (n->type == N_FUNCTION) {
        fn = n->fn;
        if (!fn || (fn->variadic ? n->count < (size_t)fn->nparams
                                 : n->count != (size_t)fn->nparams)) {
            if (!*bad || n->pos < (*bad)->pos)
                *bad = n;
        }
    } else if (n->type == N_SLICE && n->has[2] && n->idx[2] == 0) {
        if (!*bad || n->pos < (*bad)->pos)
            *bad = n;
    }
    check_tree(n->a, bad);
    check_tree(n->b, bad);
    check_tree(n->c, bad);
    for (k = n->first; k; k = k->next)
        check_tree(k, bad);
}

static int report_bad(struct parser *p, const struct qnode *n)
{
    const struct qfunc *fn = n->fn;

    if (n->type == N_SLICE)
        parse_fail(p, n->pos, CMFA_E_QUERY_INVALID_VALUE, "a slice step cannot be 0");
    else if (!fn)
        parse_fail(p, n->pos, CMFA_E_QUERY_UNKNOWN_FUNCTION, "unknown function %s()", n->name);
    else
        parse_fail(p, n->pos, CMFA_E_QUERY_INVALID_ARITY, "%s() takes %s%d argument%s, got %zu",
                   fn->name, fn->variadic ? "at least " : "", fn->nparams,
                   fn->nparams == 1 ? "" : "s", n->count);
    return -1;
}

static struct qnode *nud(struct parser *p, struct token *t)
{
    struct qnode *left, *right, *n;

    switch (t->type) {
    case T_LITERAL:
        return literal_node(p, t);
    case T_UNQUOTED:
        return field_node(p, t);
    case T_QUOTED:
        if (cur(p) == T_LPAREN)
            return parse_fail(p, t->pos, CMFA_E_QUERY_SYNTAX,
                              "a function name cannot be a quoted identifier");
        return field_node(p, t);
    case T_STAR:
        left = node_new(p, N_CURRENT, t->pos);
        if (!left)
            return NULL;
        right = cur(p) == T_RBRACKET ? identity(p)
                                      : parse_projection_rhs(p, binding_power[T_STAR]);
        if (!right)
            return NULL;
        return node2(p, N_VPROJECT, t->pos, left, right);
    case T_FILTER:
        left = node_new(p, N_CURRENT, t->pos);
        if (!left)
            return NULL;
        goto filter;
    case T_LBRACE:
        return parse_multi_hash(p, t->pos);
    case T_LPAREN:
        n = expression(p, 0);
        if (!n || match(p, T_RPAREN, "')'") < 0)
            return NULL;
        return n;
    case T_FLATTEN:
        left = node_new(p, N_CURRENT, t->pos);
        if (!left)
            return NULL;
        left = node2(p, N_FLATTEN, t->pos, left, NULL);
        if (!left)
            return NULL;
        right = parse_projection_rhs(p, binding_power[T_FLATTEN]);
        if (!right)
            return NULL;
        return node2(p, N_PROJECT, t->pos, left, right);
    case T_NOT:
        n = expression(p, binding_power[T_NOT]);
        if (!n)
            return NULL;
        return node2(p, N_NOT, t->pos, n, NULL);
    case T_LBRACKET:
        if (cur(p) == T_NUMBER || cur(p) == T_COLON) {
            right = parse_index(p, t->pos);
            if (!right)
                return NULL;
            return project_if_slice(p, NULL, right);
        }
        if (cur(p) == T_STAR && peek(p, 1) == T_RBRACKET) {
            advance(p);
            advance(p);
            left = node_new(p, N_CURRENT, t->pos);
            if (!left)
                return NULL;
            right = parse_projection_rhs(p, binding_power[T_STAR]);
            if (!right)
                return NULL;
            return node2(p, N_PROJECT, t->pos, left, right);
        }
        return parse_multi_list(p, t->pos);
    case T_CURRENT:
        return node_new(p, N_CURRENT, t->pos);
    case T_EXPREF:
        n = expression(p, 0);
        if (!n)
            return NULL;
        return node2(p, N_EXPREF, t->pos, n, NULL);
    default:
        p->i--; /* report the token itself */
        return unexpected(p, NULL);
    }

filter:
    /* [? condition ] rhs, left already set */
    {
        struct qnode *cond = expression(p, 0);
        if (!cond || match(p, T_RBRACKET, "']' to close the filter") < 0)
            return NULL;
        right = cur(p) == T_FLATTEN ? identity(p)
                                    : parse_projection_rhs(p, binding_power[T_FILTER]);
        if (!right)
            return NULL;
        n = node2(p, N_FILTER, t->pos, left, right);
        if (!n || adopt(p, n, cond) < 0)
            return NULL;
        n->c = cond;
        return n;
    }
}

static struct qnode *led(struct parser *p, struct token *t, struct qnode *left)
{
    struct qnode *right, *n;

    switch (t->type) {
    case T_DOT:
        if (cur(p) == T_STAR) {
            advance(p);
            right = parse_projection_rhs(p, binding_power[T_DOT]);
            if (!right)
                return NULL;
            return node2(p, N_VPROJECT, t->pos, left, right);
        }
        right = parse_dot_rhs(p, binding_power[T_DOT]);
        if (!right)
            return NULL;
        return chain(p, left, right);
    case T_PIPE:
        right = expression(p, binding_power[T_PIPE]);
        if (!right)
            return NULL;
        return chain(p, left, right);
    case T_OR:
    case T_AND:
        right = expression(p, binding_power[t->type]);
        if (!right)
            return NULL;
        return node2(p, t->type == T_OR ? N_OR : N_AND, t->pos, left, right);
    case T_LPAREN:
        return parse_function(p, left, t->pos);
    case T_FILTER: {
        struct qnode *cond = expression(p, 0);
        if (!cond || match(p, T_RBRACKET, "']' to close the filter") < 0)
            return NULL;
        right = cur(p) == T_FLATTEN ? identity(p)
                                    : parse_projection_rhs(p, binding_power[T_FILTER]);
        if (!right)
            return NULL;
        n = node2(p, N_FILTER, t->pos, left, right);
        if (!n || adopt(p, n, cond) < 0)
            return NULL;
        n->c = cond;
        return n;
    }
    case T_EQ:
    case T_NE:
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE:
        right = expression(p, binding_power[t->type]);
        if (!right)
            return NULL;
        n = node2(p, N_CMP, t->pos, left, right);
        if (n)
            n->op = t->type;
        return n;
    case T_FLATTEN:
        left = node2(p, N_FLATTEN, t->pos, left, NULL);
        if (!left)
            return NULL;
        right = parse_projection_rhs(p, binding_power[T_FLATTEN]);
        if (!right)
            return NULL;
        return node2(p, N_PROJECT, t->pos, left, right);
    case T_LBRACKET:
        if (cur(p) == T_NUMBER || cur(p) == T_COLON) {
            right = parse_index(p, t->pos);
            if (!right)
                return NULL;
            return project_if_slice(p, left, right);
        }
        if (match(p, T_STAR, "a number, ':' or '*' after '['") < 0 ||
            match(p, T_RBRACKET, "']' after '[*'") < 0)
            return NULL;
        right = parse_projection_rhs(p, binding_power[T_STAR]);
        if (!right)
            return NULL;
        return node2(p, N_PROJECT, t->pos, left, right);
    default:
        p->i--;
        return unexpected(p, NULL);
    }
}

static struct qnode *expression(struct parser *p, int rbp)
{
    struct qnode *left;
    struct token *t;

    if (++p->depth > MAX_DEPTH)
        return parse_fail(p, p->toks[p->i].pos, CMFA_E_QUERY_LIMIT,
                          "the expression is nested more than %d levels deep", MAX_DEPTH);
    t = &p->toks[p->i];
    advance(p);
    if (t->type == T_EOF)
        return unexpected(p, "an expression");
    left = nud(p, t);
    while (left && rbp < binding_power[cur(p)]) {
        t = &p->toks[p->i];
        advance(p);
        left = led(p, t, left);
    }
    p->depth--;
    return left;
}

struct cmfa_query *cmfa_query_compile(const char *expr, size_t len, struct cmfa_error *err)
{
    struct cmfa_query *q = NULL;
    struct lexer lx;
    struct parser p;
    size_t i;

    memset(&lx, 0, sizeof(lx));
    if (!expr) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "the query expression is NULL");
        return NULL;
    }
    cmfa__value_global_init();
    if (len > MAX_EXPRESSION_BYTES) {
        query_fail(err, expr, len, 0, CMFA_E_QUERY_LIMIT,
                   "the expression is longer than %d bytes", MAX_EXPRESSION_BYTES);
        return NULL;
    }
    for (i = 0; i < len;) {
        size_t n = expr[i] ? utf8_seq((const unsigned char *)expr + i, len - i) : 0;
        if (!n) {
            query_fail(err, expr, len, i, CMFA_E_QUERY_SYNTAX, "%s",
                       expr[i] ? "the expression is not valid UTF-8"
                               : "the expression contains a NUL byte");
            return NULL;
        }
        i += n;
    }
    q = cmfa_malloc(sizeof(*q));
    if (!q)
        goto nomem;
    memset(q, 0, sizeof(*q));
    q->literals = cJSON_CreateArray();
    q->text = cmfa__strndup(expr, len);
    if (!q->literals || !q->text)
        goto nomem;
    q->text_len = len;
    lx.s = q->text;
    lx.len = len;
    lx.err = err;
    if (lex(&lx) < 0)
        goto fail;
    memset(&p, 0, sizeof(p));
    p.q = q;
    p.s = q->text;
    p.len = len;
    p.toks = lx.toks;
    p.err = err;
    if (lx.toks[0].type == T_EOF) {
        query_fail(err, q->text, len, 0, CMFA_E_QUERY_SYNTAX, "%s", "the expression is empty");
        goto fail;
    }
    q->root = expression(&p, 0);
    if (!q->root)
        goto fail;
    if (cur(&p) != T_EOF) {
        unexpected(&p, NULL);
        goto fail;
    }
    {
        const struct qnode *bad = NULL;
        check_tree(q->root, &bad);
        if (bad) {
            report_bad(&p, bad);
            goto fail;
        }
    }
    tokens_free(lx.toks, lx.ntok);
    return q;

nomem:
    cmfa__fail(err, CMFA_E_NOMEM, "out of memory compiling a JMESPath query");
fail:
    tokens_free(lx.toks, lx.ntok);
    cmfa_query_free(q);
    return NULL;
}

/* =========================================================================== evaluation */

struct ev {
    const struct cmfa_query *q;
    struct cmfa_error *err;
    cJSON *garbage;       /* owned values that something borrowed may still point into */
    long nodes, steps;
};

static int ev_fail(struct ev *e, size_t pos, cmfa_code code, const char *fmt, ...)
    CMFA__PRINTF(4, 5);

static int ev_fail(struct ev *e, size_t pos, cmfa_code code, const char *fmt, ...)
{
    char detail[CMFA_ERROR_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return query_fail(e->err, e->q->text, e->q->text_len, pos, code, "%s", detail);
}

static int ev_nomem(struct ev *e)
{
    return ev_fail(e, 0, CMFA_E_NOMEM, "%s", "");
}

/* Counts n values created; fails past the limit. */
static int charge(struct ev *e, long n, size_t pos)
{
    e->nodes += n;
    if (e->nodes > max_nodes)
        return ev_fail(e, pos, CMFA_E_QUERY_LIMIT,
                       "the query would create more than %ld values (counting %d bytes of "
                       "text as one)", max_nodes, TEXT_UNIT);
    return 0;
}

/* Booleans are borrowed from these two read-only nodes: no allocation per comparison. */
static const cJSON static_true = {.type = cJSON_True};
static const cJSON static_false = {.type = cJSON_False};

static int is_null(const cJSON *j)
{
    return !j || cJSON_IsNull(j);
}

static const cJSON *norm(const cJSON *j)
{
    return is_null(j) ? NULL : j;
}

static unsigned type_bit(const cJSON *j)
{
    if (is_null(j))
        return TY_NULL;
    switch (j->type & 0xFF) {
    case cJSON_False:
    case cJSON_True: return TY_BOOL;
    case cJSON_Number: return TY_NUMBER;
    case cJSON_String: return TY_STRING;
    case cJSON_Array: return TY_ARRAY;
    case cJSON_Object: return TY_OBJECT;
    default: return TY_NULL;
    }
}

static const char *type_name(unsigned bit)
{
    switch (bit) {
    case TY_NULL: return "null";
    case TY_BOOL: return "boolean";
    case TY_NUMBER: return "number";
    case TY_STRING: return "string";
    case TY_ARRAY: return "array";
    case TY_OBJECT: return "object";
    case TY_EXPREF: return "expression reference";
    default: return "value";
    }
}

static void rv_free(struct rv *r)
{
    if (r->owned)
        cJSON_Delete(r->j);
    r->j = NULL;
    r->owned = 0;
}

static struct rv borrowed(const cJSON *j)
{
    struct rv r;

    r.j = (cJSON *)norm(j);
    r.owned = 0;
    return r;
}

static struct rv owned(cJSON *j)
{
    struct rv r;

    r.j = j;
    r.owned = 1;
    return r;
}

/* Releases input once result has been computed from it: a borrowed result may point into
 * input, so input is then kept (or handed over when result is input itself). */
static void release_input(struct ev *e, struct rv *input, struct rv *result)
{
    if (!input->owned) {
        input->j = NULL;
        return;
    }
    if (result->owned || !result->j || result->j == &static_true ||
        result->j == &static_false) {
        rv_free(input);
        return;
    }
    if (result->j == input->j) {
        result->owned = 1;
    } else {
        cJSON_AddItemToArray(e->garbage, input->j); /* links only, cannot fail */
    }
    input->j = NULL;
    input->owned = 0;
}

/* Cost of a copy of j in values: one per node, plus one per TEXT_UNIT bytes of text. */
static long count_nodes(const cJSON *j)
{
    long n = 1;
    const cJSON *c;

    if (cJSON_IsString(j) && j->valuestring)
        n += (long)(strlen(j->valuestring) / TEXT_UNIT);
    if (j->string)
        n += (long)(strlen(j->string) / TEXT_UNIT);
    for (c = j->child; c; c = c->next)
        n += count_nodes(c);
    return n;
}

/* A node that can be linked into a container (no member name), consuming r: owned values
 * move, borrowed ones are copied. NULL with err set on failure. */
static cJSON *take(struct ev *e, struct rv *r, size_t pos)
{
    cJSON *j = r->j, *copy;

    if (r->owned) {
        r->j = NULL;
        r->owned = 0;
        if (j->string) {
            if (!(j->type & cJSON_StringIsConst))
                cJSON_free(j->string);
            j->string = NULL;
            j->type &= ~cJSON_StringIsConst;
        }
        return j;
    }
    r->j = NULL;
    if (!j) {
        if (charge(e, 1, pos) < 0)
            return NULL;
        copy = cJSON_CreateNull();
    } else {
        if (charge(e, count_nodes(j), pos) < 0)
            return NULL;
        switch (j->type & 0xFF) {
        case cJSON_False: copy = cJSON_CreateFalse(); break;
        case cJSON_True: copy = cJSON_CreateTrue(); break;
        case cJSON_Number: copy = cJSON_CreateNumber(j->valuedouble); break;
        case cJSON_String: copy = cJSON_CreateString(j->valuestring); break;
        default:
            copy = cJSON_Duplicate(j, 1);
            if (copy && copy->string) {
                if (!(copy->type & cJSON_StringIsConst))
                    cJSON_free(copy->string);
                copy->string = NULL;
                copy->type &= ~cJSON_StringIsConst;
            }
            break;
        }
    }
    if (!copy)
        ev_nomem(e);
    return copy;
}

/* Appends r (consumed) to the owned array arr. */
static int push(struct ev *e, cJSON *arr, struct rv *r, size_t pos)
{
    cJSON *j = take(e, r, pos);

    if (!j)
        return -1;
    cJSON_AddItemToArray(arr, j);
    return 0;
}

static cJSON *new_array(struct ev *e, size_t pos)
{
    cJSON *a;

    if (charge(e, 1, pos) < 0)
        return NULL;
    a = cJSON_CreateArray();
    if (!a)
        ev_nomem(e);
    return a;
}

static int new_number(struct ev *e, double d, size_t pos, struct rv *out)
{
    cJSON *n;

    if (charge(e, 1, pos) < 0)
        return -1;
    n = cJSON_CreateNumber(d);
    if (!n)
        return ev_nomem(e);
    *out = owned(n);
    return 0;
}

static int new_bool(struct ev *e, int b, size_t pos, struct rv *out)
{
    (void)e;
    (void)pos;
    *out = borrowed(b ? &static_true : &static_false);
    return 0;
}

static int new_string(struct ev *e, const char *s, size_t len, size_t pos, struct rv *out)
{
    struct cmfa_value *v;

    if (charge(e, 1 + (long)(len / TEXT_UNIT), pos) < 0)
        return -1;
    v = cmfa_value_new_string(s, len);
    if (!v)
        return ev_nomem(e);
    *out = owned(CMFA__JSON(v));
    return 0;
}

static int is_false(const cJSON *j)
{
    if (is_null(j))
        return 1;
    switch (j->type & 0xFF) {
    case cJSON_False: return 1;
    case cJSON_String: return !j->valuestring || !j->valuestring[0];
    case cJSON_Array:
    case cJSON_Object: return j->child == NULL;
    default: return 0;
    }
}

static int json_equal(const cJSON *a, const cJSON *b)
{
    unsigned ta = type_bit(a), tb = type_bit(b);
    const cJSON *x, *y;
    size_t na = 0, nb = 0;

    if (ta != tb)
        return 0;
    switch (ta) {
    case TY_NULL: return 1;
    case TY_BOOL: return cJSON_IsTrue(a) == cJSON_IsTrue(b);
    case TY_NUMBER: return a->valuedouble == b->valuedouble;
    case TY_STRING: return strcmp(a->valuestring, b->valuestring) == 0;
    case TY_ARRAY:
        for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
            if (!json_equal(x, y))
                return 0;
        return !x && !y;
    case TY_OBJECT:
        for (x = a->child; x; x = x->next)
            na++;
        for (y = b->child; y; y = y->next)
            nb++;
        if (na != nb)
            return 0;
        for (x = a->child; x; x = x->next) {
            y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !json_equal(x, y))
                return 0;
        }
        return 1;
    default:
        return 0;
    }
}

static int eval(struct ev *e, const struct qnode *n, const cJSON *current, struct rv *out);

static size_t array_size(const cJSON *a)
{
    size_t n = 0;
    const cJSON *c;

    for (c = a->child; c; c = c->next)
        n++;
    return n;
}

/* The elements of an array in a heap vector (caller frees). *count gets the size. */
static cJSON **elements(struct ev *e, const cJSON *a, size_t *count)
{
    size_t n = array_size(a), i = 0;
    cJSON **v = cmfa_malloc((n ? n : 1) * sizeof(*v));
    cJSON *c;

    *count = n;
    if (!v) {
        ev_nomem(e);
        return NULL;
    }
    for (c = a->child; c; c = c->next)
        v[i++] = c;
    return v;
}

static int eval_slice(struct ev *e, const struct qnode *n, const cJSON *current, struct rv *out)
{
    long long len, start, stop, step, i;
    cJSON **v, *arr;
    size_t count;
    struct rv r;
    int rc = 0;

    if (type_bit(current) != TY_ARRAY) {
        *out = borrowed(NULL);
        return 0;
    }
    v = elements(e, current, &count);
    if (!v)
        return -1;
    len = (long long)count;
    step = n->has[2] ? n->idx[2] : 1;
    if (n->has[0]) {
        start = n->idx[0];
        if (start < 0) {
            start += len;
            if (start < 0)
                start = step < 0 ? -1 : 0;
        } else if (start >= len) {
            start = step < 0 ? len - 1 : len;
        }
    } else {
        start = step < 0 ? len - 1 : 0;
    }
    if (n->has[1]) {
        stop = n->idx[1];
        if (stop < 0) {
            stop += len;
            if (stop < 0)
                stop = step < 0 ? -1 : 0;
        } else if (stop >= len) {
            stop = step < 0 ? len - 1 : len;
        }
    } else {
        stop = step < 0 ? -1 : len;
    }
    arr = new_array(e, n->pos);
    if (!arr) {
        cmfa_free(v);
        return -1;
    }
    for (i = start; step > 0 ? i < stop : i > stop; i += step) {
        r = borrowed(v[i]);
        r.j = v[i]; /* keep JSON nulls as elements */
        if (push(e, arr, &r, n->pos) < 0) {
            rc = -1;
            break;
        }
    }
    cmfa_free(v);
    if (rc < 0) {
        cJSON_Delete(arr);
        return -1;
    }
    *out = owned(arr);
    return 0;
}

/* Projection of right over the elements (list) or member values (object) of base. */
/* Projection of right over the elements (list) or member values (object) of base; with flat,
 * over the elements of base flattened one level (left[].right, without building left[]). */
static int project(struct ev *e, const struct qnode *n, const cJSON *base,
                   const struct qnode *cond, int flat, struct rv *out)
{
    const cJSON *c, *outer = NULL;
    cJSON *arr;
    struct rv r;

    arr = new_array(e, n->pos);
    if (!arr)
        return -1;
    for (c = base->child;; c = c->next) {
        if (!c) {
            if (!outer)
                break;
            c = outer; /* back out of a nested array */
            outer = NULL;
            continue;
        }
        if (flat && !outer && type_bit(c) == TY_ARRAY) {
            outer = c;
            c = c->child;
            if (!c) {
                c = outer;
                outer = NULL;
                continue;
            }
        }
        if (cond) {
            int keep;
            if (eval(e, cond, c, &r) < 0)
                goto fail;
            keep = !is_false(r.j);
            rv_free(&r);
            if (!keep)
                continue;
        }
        if (eval(e, n->b, c, &r) < 0)
            goto fail;
        if (!r.j)
            continue;
        if (push(e, arr, &r, n->pos) < 0)
            goto fail;
    }
    *out = owned(arr);
    return 0;
fail:
    cJSON_Delete(arr);
    return -1;
}

static int eval_function(struct ev *e, const struct qnode *n, const cJSON *current,
                         struct rv *out);

static int compare_values(const cJSON *a, const cJSON *b, int *order)
{
    unsigned ta = type_bit(a), tb = type_bit(b);

    *order = 0;
    if (ta != tb || (ta != TY_NUMBER && ta != TY_STRING))
        return 0;
    if (ta == TY_NUMBER)
        *order = a->valuedouble < b->valuedouble ? -1 : a->valuedouble > b->valuedouble;
    else {
        int c = strcmp(a->valuestring, b->valuestring);
        *order = c < 0 ? -1 : c > 0;
    }
    return 1;
}

static int eval(struct ev *e, const struct qnode *n, const cJSON *current, struct rv *out)
{
    struct rv left, right, base;
    const struct qnode *k;
    const cJSON *c;
    cJSON *arr;
    int rc, order;

    out->j = NULL;
    out->owned = 0;
    if (++e->steps > max_steps)
        return ev_fail(e, n->pos, CMFA_E_QUERY_LIMIT,
                       "the query takes more than %ld evaluation steps", max_steps);
    current = norm(current);
    switch (n->type) {
    case N_CURRENT:
        *out = borrowed(current);
        return 0;
    case N_LITERAL:
        *out = borrowed(n->literal);
        return 0;
    case N_FIELD:
        if (type_bit(current) == TY_OBJECT)
            *out = borrowed(cJSON_GetObjectItemCaseSensitive(current, n->name));
        return 0;
    case N_INDEX: {
        long long i = n->idx[0], len;
        if (type_bit(current) != TY_ARRAY)
            return 0;
        len = (long long)array_size(current);
        if (i < 0)
            i += len;
        if (i < 0 || i >= len)
            return 0;
        for (c = current->child; i > 0; i--)
            c = c->next;
        *out = borrowed(c);
        return 0;
    }
    case N_SLICE:
        return eval_slice(e, n, current, out);
    case N_CHAIN:
        base = borrowed(current);
        for (k = n->first; k; k = k->next) {
            if (eval(e, k, base.j, &right) < 0) {
                rv_free(&base);
                return -1;
            }
            release_input(e, &base, &right);
            base = right;
        }
        *out = base;
        return 0;
    case N_PROJECT:
        if (n->a->type == N_FLATTEN) {
            /* left[] then right: walk left's elements one level down, no copy of left[] */
            if (eval(e, n->a->a, current, &base) < 0)
                return -1;
            rc = type_bit(base.j) == TY_ARRAY ? project(e, n, base.j, NULL, 1, out) : 0;
            rv_free(&base);
            return rc;
        }
        /* fall through */
    case N_VPROJECT:
    case N_FILTER:
        if (eval(e, n->a, current, &base) < 0)
            return -1;
        if (type_bit(base.j) != (n->type == N_VPROJECT ? TY_OBJECT : TY_ARRAY)) {
            rv_free(&base);
            return 0;
        }
        rc = project(e, n, base.j, n->type == N_FILTER ? n->c : NULL, 0, out);
        rv_free(&base);
        return rc;
    case N_FLATTEN:
        if (eval(e, n->a, current, &base) < 0)
            return -1;
        if (type_bit(base.j) != TY_ARRAY) {
            rv_free(&base);
            return 0;
        }
        arr = new_array(e, n->pos);
        rc = arr ? 0 : -1;
        for (c = base.j->child; c && rc == 0; c = c->next) {
            const cJSON *d;
            if (type_bit(c) == TY_ARRAY) {
                for (d = c->child; d && rc == 0; d = d->next) {
                    right.j = (cJSON *)d;
                    right.owned = 0;
                    rc = push(e, arr, &right, n->pos);
                }
            } else {
                right.j = (cJSON *)c;
                right.owned = 0;
                rc = push(e, arr, &right, n->pos);
            }
        }
        rv_free(&base);
        if (rc < 0) {
            cJSON_Delete(arr);
            return -1;
        }
        *out = owned(arr);
        return 0;
    case N_OR:
    case N_AND:
        if (eval(e, n->a, current, &left) < 0)
            return -1;
        if (is_false(left.j) == (n->type == N_OR)) {
            rv_free(&left);
            return eval(e, n->b, current, out);
        }
        *out = left;
        return 0;
    case N_NOT:
        if (eval(e, n->a, current, &left) < 0)
            return -1;
        rc = is_false(left.j);
        rv_free(&left);
        return new_bool(e, rc, n->pos, out);
    case N_CMP:
        if (eval(e, n->a, current, &left) < 0)
            return -1;
        if (eval(e, n->b, current, &right) < 0) {
            rv_free(&left);
            return -1;
        }
        if (n->op == T_EQ || n->op == T_NE) {
            rc = json_equal(left.j, right.j) == (n->op == T_EQ);
        } else if (compare_values(left.j, right.j, &order)) {
            rc = n->op == T_LT ? order < 0 : n->op == T_LE ? order <= 0
                 : n->op == T_GT ? order > 0 : order >= 0;
        } else {
            rv_free(&left);
            rv_free(&right);
            return 0; /* null: not comparable */
        }
        rv_free(&left);
        rv_free(&right);
        return new_bool(e, rc, n->pos, out);
    case N_LIST:
    case N_HASH:
        if (!current)
            return 0;
        if (charge(e, 1, n->pos) < 0)
            return -1;
        arr = n->type == N_LIST ? cJSON_CreateArray() : cJSON_CreateObject();
        if (!arr)
            return ev_nomem(e);
        for (k = n->first; k; k = k->next) {
            cJSON *j;
            if (eval(e, n->type == N_LIST ? k : k->a, current, &right) < 0)
                goto fail_container;
            j = take(e, &right, k->pos);
            if (!j)
                goto fail_container;
            if (n->type == N_LIST) {
                cJSON_AddItemToArray(arr, j);
            } else if (cmfa_value_set(CMFA__VALUE(arr), k->name, CMFA__VALUE(j)) != CMFA_OK) {
                ev_nomem(e);
                goto fail_container;
            }
        }
        *out = owned(arr);
        return 0;
    fail_container:
        cJSON_Delete(arr);
        return -1;
    case N_FUNCTION:
        return eval_function(e, n, current, out);
    case N_EXPREF:
        return ev_fail(e, n->pos, CMFA_E_QUERY_INVALID_TYPE,
                       "an expression reference (&...) can only be a function argument");
    case N_KEYVAL:
        return eval(e, n->a, current, out);
    }
    return ev_fail(e, n->pos, CMFA_E_INTERNAL, "unknown AST node %d", (int)n->type);
}

struct cmfa_value *cmfa_query_eval(const struct cmfa_query *q, const struct cmfa_value *input,
                                   struct cmfa_error *err)
{
    struct ev e;
    struct rv r;
    cJSON *result = NULL;

    if (!q) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "the query is NULL");
        return NULL;
    }
    cmfa__value_global_init();
    memset(&e, 0, sizeof(e));
    e.q = q;
    e.err = err;
    e.garbage = cJSON_CreateArray();
    if (!e.garbage) {
        cmfa__fail(err, CMFA_E_NOMEM, "out of memory evaluating a JMESPath query");
        return NULL;
    }
    if (eval(&e, q->root, CMFA__JSON(input), &r) == 0) {
        result = take(&e, &r, 0);
        if (!result)
            rv_free(&r);
    }
    cJSON_Delete(e.garbage);
    return CMFA__VALUE(result);
}

struct cmfa_value *cmfa_query(const char *expr, size_t len, const struct cmfa_value *input,
                              struct cmfa_error *err)
{
    struct cmfa_query *q = cmfa_query_compile(expr, len, err);
    struct cmfa_value *v;

    if (!q)
        return NULL;
    v = cmfa_query_eval(q, input, err);
    cmfa_query_free(q);
    return v;
}

/* =========================================================================== functions */

static int type_error(struct ev *e, const struct qnode *call, size_t argno, const char *want,
                      unsigned got)
{
    return ev_fail(e, call->pos, CMFA_E_QUERY_INVALID_TYPE,
                   "%s() expects %s as argument %zu, got %s", call->fn->name, want, argno,
                   type_name(got));
}

static const char *types_text(unsigned types, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{TY_NUMBER, "a number"},
                 {TY_STRING, "a string"},
                 {TY_BOOL, "a boolean"},
                 {TY_ARRAY, "an array"},
                 {TY_OBJECT, "an object"},
                 {TY_NULL, "null"},
                 {TY_EXPREF, "an expression reference (&...)"},
                 {TY_ARRAY_NUMBER, "an array of numbers"},
                 {TY_ARRAY_STRING, "an array of strings"}};
    size_t i, used = 0, k = 0, total = 0;

    if ((types & TY_ANY) == TY_ANY) {
        snprintf(buf, size, "%s", "a value (not an expression reference)");
        return buf;
    }
    for (i = 0; i < CMFA__ARRAY_LEN(names); i++)
        if (types & names[i].bit)
            total++;
    buf[0] = '\0';
    for (i = 0; i < CMFA__ARRAY_LEN(names) && used < size; i++) {
        int w;
        if (!(types & names[i].bit))
            continue;
        k++;
        w = snprintf(buf + used, size - used, "%s%s", k == 1 ? "" : k == total ? " or " : ", ",
                     names[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

/* Checks each argument against the function's signature. */
static int check_args(struct ev *e, const struct qnode *call, const struct farg *args, size_t n)
{
    const struct qfunc *fn = call->fn;
    size_t i;
    char want[160];

    for (i = 0; i < n; i++) {
        unsigned allowed = fn->types[(int)i < fn->nparams ? i : (size_t)fn->nparams - 1];
        unsigned got = args[i].expref ? TY_EXPREF : type_bit(args[i].v.j);
        const cJSON *c;

        if (allowed & got)
            continue;
        if (got == TY_ARRAY && (allowed & (TY_ARRAY_NUMBER | TY_ARRAY_STRING))) {
            unsigned first = args[i].v.j->child ? type_bit(args[i].v.j->child) : 0, elem;
            if (!first) /* empty: fine */
                continue;
            elem = first == TY_NUMBER && (allowed & TY_ARRAY_NUMBER)   ? TY_NUMBER
                   : first == TY_STRING && (allowed & TY_ARRAY_STRING) ? TY_STRING
                                                                       : 0;
            for (c = args[i].v.j->child; c && elem; c = c->next)
                if (type_bit(c) != elem)
                    elem = 0;
            if (elem)
                continue;
            return ev_fail(e, call->pos, CMFA_E_QUERY_INVALID_TYPE,
                           "%s() expects %s as argument %zu, got an array with other elements",
                           fn->name, types_text(allowed, want, sizeof(want)), i + 1);
        }
        return type_error(e, call, i + 1, types_text(allowed, want, sizeof(want)), got);
    }
    return 0;
}

static int eval_function(struct ev *e, const struct qnode *n, const cJSON *current,
                         struct rv *out)
{
    struct farg inline_args[INLINE_ARGS], *args = inline_args;
    const struct qnode *k;
    size_t i, count = n->count;
    int rc = -1;

    if (count > INLINE_ARGS) {
        args = cmfa_malloc(count * sizeof(*args));
        if (!args)
            return ev_nomem(e);
    }
    memset(args, 0, count * sizeof(*args));
    for (i = 0, k = n->first; k; k = k->next, i++) {
        if (k->type == N_EXPREF) {
            args[i].expref = k->a;
            continue;
        }
        if (eval(e, k, current, &args[i].v) < 0)
            goto cleanup;
    }
    if (check_args(e, n, args, count) < 0)
        goto cleanup;
    rc = n->fn->impl(e, n, args, count, out);
    if (rc == 0)
        for (i = 0; i < count; i++)
            release_input(e, &args[i].v, out);
cleanup:
    for (i = 0; i < count; i++)
        rv_free(&args[i].v);
    if (args != inline_args)
        cmfa_free(args);
    return rc;
}

static double num(const struct farg *a)
{
    return a->v.j->valuedouble;
}

static const char *str(const struct farg *a)
{
    return a->v.j->valuestring;
}

static int fn_abs(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                  struct rv *out)
{
    (void)n;
    return new_number(e, fabs(num(&a[0])), call->pos, out);
}

static int fn_ceil(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                   struct rv *out)
{
    (void)n;
    return new_number(e, ceil(num(&a[0])), call->pos, out);
}

static int fn_floor(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                    struct rv *out)
{
    (void)n;
    return new_number(e, floor(num(&a[0])), call->pos, out);
}

static int fn_sum_avg(struct ev *e, const struct qnode *call, struct farg *a, int avg,
                      struct rv *out)
{
    double sum = 0;
    size_t count = 0;
    const cJSON *c;

    for (c = a[0].v.j->child; c; c = c->next) {
        sum += c->valuedouble;
        count++;
    }
    if (avg) {
        if (!count)
            return 0;
        sum /= (double)count;
    }
    return new_number(e, sum, call->pos, out);
}

static int fn_avg(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                  struct rv *out)
{
    (void)n;
    return fn_sum_avg(e, call, a, 1, out);
}

static int fn_sum(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                  struct rv *out)
{
    (void)n;
    return fn_sum_avg(e, call, a, 0, out);
}

static int fn_contains(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                       struct rv *out)
{
    const cJSON *c;
    int found = 0;

    (void)n;
    if (type_bit(a[0].v.j) == TY_STRING) {
        found = type_bit(a[1].v.j) == TY_STRING && strstr(str(&a[0]), str(&a[1])) != NULL;
    } else {
        for (c = a[0].v.j->child; c && !found; c = c->next)
            found = json_equal(c, a[1].v.j);
    }
    return new_bool(e, found, call->pos, out);
}

static int fn_starts_with(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                          struct rv *out)
{
    size_t ls = strlen(str(&a[0])), lp = strlen(str(&a[1]));

    (void)n;
    return new_bool(e, lp <= ls && memcmp(str(&a[0]), str(&a[1]), lp) == 0, call->pos, out);
}

static int fn_ends_with(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                        struct rv *out)
{
    size_t ls = strlen(str(&a[0])), lp = strlen(str(&a[1]));

    (void)n;
    return new_bool(e, lp <= ls && memcmp(str(&a[0]) + ls - lp, str(&a[1]), lp) == 0,
                    call->pos, out);
}

static int fn_join(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                   struct rv *out)
{
    struct cmfa__buf b;
    const cJSON *c;
    cmfa_code rc = CMFA_OK;
    int r;

    (void)n;
    cmfa__buf_init(&b, 0);
    for (c = a[1].v.j->child; c && rc == CMFA_OK; c = c->next) {
        if (c != a[1].v.j->child)
            rc = cmfa__buf_addstr(&b, str(&a[0]));
        if (rc == CMFA_OK)
            rc = cmfa__buf_addstr(&b, c->valuestring);
    }
    if (rc != CMFA_OK) {
        cmfa__buf_cleanup(&b);
        if (rc == CMFA_E_TOO_LARGE)
            return ev_fail(e, call->pos, CMFA_E_QUERY_LIMIT, "join() result is too large");
        return ev_nomem(e);
    }
    r = new_string(e, b.data ? b.data : "", b.len, call->pos, out);
    cmfa__buf_cleanup(&b);
    return r;
}

static int fn_keys_values(struct ev *e, const struct qnode *call, struct farg *a, int keys,
                          struct rv *out)
{
    cJSON *arr = new_array(e, call->pos);
    const cJSON *c;
    struct rv r;

    if (!arr)
        return -1;
    for (c = a[0].v.j->child; c; c = c->next) {
        if (keys) {
            if (new_string(e, c->string, strlen(c->string), call->pos, &r) < 0)
                goto fail;
        } else {
            r.j = (cJSON *)c;
            r.owned = 0;
        }
        if (push(e, arr, &r, call->pos) < 0)
            goto fail;
    }
    *out = owned(arr);
    return 0;
fail:
    cJSON_Delete(arr);
    return -1;
}

static int fn_keys(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                   struct rv *out)
{
    (void)n;
    return fn_keys_values(e, call, a, 1, out);
}

static int fn_values(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                     struct rv *out)
{
    (void)n;
    return fn_keys_values(e, call, a, 0, out);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int fn_length(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                     struct rv *out)
{
    (void)n;
    if (type_bit(a[0].v.j) == TY_STRING)
        return new_number(e, (double)utf8_chars(str(&a[0])), call->pos, out);
    return new_number(e, (double)array_size(a[0].v.j), call->pos, out);
}

static int fn_map(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                  struct rv *out)
{
    cJSON *arr = new_array(e, call->pos);
    const cJSON *c;
    struct rv r;

    (void)n;
    if (!arr)
        return -1;
    for (c = a[1].v.j->child; c; c = c->next) {
        if (eval(e, a[0].expref, c, &r) < 0 || push(e, arr, &r, call->pos) < 0) {
            cJSON_Delete(arr);
            return -1;
        }
    }
    *out = owned(arr);
    return 0;
}

/* max / min of numbers or strings: the first of the extreme elements. */
static int fn_extreme(struct ev *e, struct farg *a, int want, struct rv *out)
{
    const cJSON *c, *best = NULL;
    int order;

    (void)e;
    for (c = a[0].v.j->child; c; c = c->next)
        if (!best || (compare_values(c, best, &order) && order == want))
            best = c;
    *out = borrowed(best);
    return 0;
}

static int fn_max(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                  struct rv *out)
{
    (void)call;
    (void)n;
    return fn_extreme(e, a, 1, out);
}

static int fn_min(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                  struct rv *out)
{
    (void)call;
    (void)n;
    return fn_extreme(e, a, -1, out);
}

/* The key of element c under expref for *_by functions: a number or a string, the same type
 * for every element (the first element decides). */
static int key_of(struct ev *e, const struct qnode *call, const struct qnode *expref,
                  const cJSON *c, unsigned *type, struct rv *key)
{
    unsigned t;

    if (eval(e, expref, c, key) < 0)
        return -1;
    t = type_bit(key->j);
    if (!*type) {
        if (t != TY_NUMBER && t != TY_STRING) {
            rv_free(key);
            return ev_fail(e, call->pos, CMFA_E_QUERY_INVALID_TYPE,
                           "%s() expects the expression to give a number or a string, got %s",
                           call->fn->name, type_name(t));
        }
        *type = t;
    } else if (t != *type) {
        rv_free(key);
        return ev_fail(e, call->pos, CMFA_E_QUERY_INVALID_TYPE,
                       "%s() expects the expression to give a %s for every element, got %s",
                       call->fn->name, type_name(*type), type_name(t));
    }
    return 0;
}

static int fn_extreme_by(struct ev *e, const struct qnode *call, struct farg *a, int want,
                         struct rv *out)
{
    const cJSON *c, *best = NULL;
    struct rv best_key = {NULL, 0}, key;
    unsigned type = 0;
    int order;

    for (c = a[0].v.j->child; c; c = c->next) {
        if (key_of(e, call, a[1].expref, c, &type, &key) < 0) {
            rv_free(&best_key);
            return -1;
        }
        if (!best || (compare_values(key.j, best_key.j, &order) && order == want)) {
            rv_free(&best_key);
            best_key = key;
            best = c;
        } else {
            rv_free(&key);
        }
    }
    rv_free(&best_key);
    *out = borrowed(best);
    return 0;
}

static int fn_max_by(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                     struct rv *out)
{
    (void)n;
    return fn_extreme_by(e, call, a, 1, out);
}

static int fn_min_by(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                     struct rv *out)
{
    (void)n;
    return fn_extreme_by(e, call, a, -1, out);
}

static int fn_merge(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                    struct rv *out)
{
    cJSON *obj;
    const cJSON *c;
    struct rv r;
    size_t i;

    if (charge(e, 1, call->pos) < 0)
        return -1;
    obj = cJSON_CreateObject();
    if (!obj)
        return ev_nomem(e);
    for (i = 0; i < n; i++) {
        for (c = a[i].v.j->child; c; c = c->next) {
            cJSON *j;
            r.j = (cJSON *)c;
            r.owned = 0;
            j = take(e, &r, call->pos);
            if (!j)
                goto fail;
            if (cmfa_value_set(CMFA__VALUE(obj), c->string, CMFA__VALUE(j)) != CMFA_OK) {
                ev_nomem(e);
                goto fail;
            }
        }
    }
    *out = owned(obj);
    return 0;
fail:
    cJSON_Delete(obj);
    return -1;
}

static int fn_not_null(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                       struct rv *out)
{
    size_t i;

    (void)e;
    (void)call;
    for (i = 0; i < n; i++) {
        if (a[i].v.j) {
            *out = a[i].v;      /* handed over */
            a[i].v.j = NULL;
            a[i].v.owned = 0;
            return 0;
        }
    }
    return 0;
}

static int fn_reverse(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                      struct rv *out)
{
    cJSON **v, *arr;
    size_t count, i;
    struct rv r;

    (void)n;
    if (type_bit(a[0].v.j) == TY_STRING) {
        const char *s = str(&a[0]);
        size_t len = strlen(s), k, end;
        char *rev = cmfa_malloc(len + 1);
        int rc;
        if (!rev)
            return ev_nomem(e);
        /* copy whole characters from the end */
        for (end = len, k = 0; end > 0;) {
            size_t start = end - 1;
            while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
                start--;
            memcpy(rev + k, s + start, end - start);
            k += end - start;
            end = start;
        }
        rc = new_string(e, rev, len, call->pos, out);
        cmfa_free(rev);
        return rc;
    }
    v = elements(e, a[0].v.j, &count);
    if (!v)
        return -1;
    arr = new_array(e, call->pos);
    for (i = count; arr && i > 0; i--) {
        r.j = v[i - 1];
        r.owned = 0;
        if (push(e, arr, &r, call->pos) < 0) {
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    cmfa_free(v);
    if (!arr)
        return -1;
    *out = owned(arr);
    return 0;
}

struct sort_item {
    const cJSON *elem;
    const cJSON *key;
    struct rv keyval;
};

/* Stable merge sort of items by key (numbers or strings, one type). */
static void merge_sort(struct sort_item *v, struct sort_item *tmp, size_t n)
{
    size_t mid = n / 2, i = 0, j = mid, k = 0;
    int order = 0;

    if (n < 2)
        return;
    merge_sort(v, tmp, mid);
    merge_sort(v + mid, tmp, n - mid);
    while (i < mid && j < n) {
        compare_values(v[j].key, v[i].key, &order);
        tmp[k++] = order < 0 ? v[j++] : v[i++];
    }
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(*v));
}

static int sort_common(struct ev *e, const struct qnode *call, const cJSON *array,
                       const struct qnode *expref, struct rv *out)
{
    struct sort_item *items = NULL, *tmp = NULL;
    size_t count, i, got = 0;
    const cJSON *c;
    cJSON *arr = NULL;
    unsigned type = 0;
    struct rv r;
    int rc = -1;

    count = array_size(array);
    items = cmfa_malloc((count ? count : 1) * sizeof(*items));
    tmp = cmfa_malloc((count ? count : 1) * sizeof(*tmp));
    if (!items || !tmp) {
        ev_nomem(e);
        goto cleanup;
    }
    for (c = array->child, i = 0; c; c = c->next, i++) {
        items[i].elem = c;
        items[i].keyval.j = NULL;
        items[i].keyval.owned = 0;
        if (expref) {
            if (key_of(e, call, expref, c, &type, &items[i].keyval) < 0)
                goto cleanup;
            items[i].key = items[i].keyval.j;
        } else {
            items[i].key = c;
        }
        got = i + 1;
    }
    merge_sort(items, tmp, count);
    arr = new_array(e, call->pos);
    if (!arr)
        goto cleanup;
    for (i = 0; i < count; i++) {
        r.j = (cJSON *)items[i].elem;
        r.owned = 0;
        if (push(e, arr, &r, call->pos) < 0)
            goto cleanup;
    }
    *out = owned(arr);
    arr = NULL;
    rc = 0;
cleanup:
    for (i = 0; i < got; i++)
        rv_free(&items[i].keyval);
    cJSON_Delete(arr);
    cmfa_free(items);
    cmfa_free(tmp);
    return rc;
}

static int fn_sort(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                   struct rv *out)
{
    (void)n;
    return sort_common(e, call, a[0].v.j, NULL, out);
}

static int fn_sort_by(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                      struct rv *out)
{
    (void)n;
    return sort_common(e, call, a[0].v.j, a[1].expref, out);
}

static int fn_to_array(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                       struct rv *out)
{
    cJSON *arr;

    (void)n;
    if (type_bit(a[0].v.j) == TY_ARRAY) {
        *out = a[0].v;
        a[0].v.j = NULL;
        a[0].v.owned = 0;
        return 0;
    }
    arr = new_array(e, call->pos);
    if (!arr)
        return -1;
    if (push(e, arr, &a[0].v, call->pos) < 0) {
        cJSON_Delete(arr);
        return -1;
    }
    *out = owned(arr);
    return 0;
}

/* A number as jmespath.py's json.dumps writes it: integers without a fraction, others in the
 * shortest form that reads back to the same double. */
static cmfa_code put_number(struct cmfa__buf *b, double d)
{
    char tmp[64];
    int prec;

    if (!isfinite(d))
        return cmfa__buf_addstr(b, "null");
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        snprintf(tmp, sizeof(tmp), "%.0f", d);
        return cmfa__buf_addstr(b, strcmp(tmp, "-0") == 0 ? "-0.0" : tmp);
    }
    for (prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    return cmfa__buf_addstr(b, tmp);
}

/* A string as JSON with every character outside printable ASCII escaped (\uXXXX, surrogate
 * pairs above U+FFFF), as json.dumps does by default. */
static cmfa_code put_string(struct cmfa__buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    cmfa_code rc = cmfa__buf_addc(b, '"');
    char tmp[32];

    while (p < end && rc == CMFA_OK) {
        unsigned long cp = *p;
        size_t n = 1;

        if (cp >= 0x80) {
            n = utf8_seq(p, (size_t)(end - p));
            if (!n) { /* not UTF-8 (a value built in C): the byte as a code point */
                n = 1;
            } else {
                cp = n == 2 ? cp & 0x1F : n == 3 ? cp & 0x0F : cp & 0x07;
                for (size_t i = 1; i < n; i++)
                    cp = (cp << 6) | (p[i] & 0x3F);
            }
        }
        p += n;
        switch (cp) {
        case '"': rc = cmfa__buf_addstr(b, "\\\""); continue;
        case '\\': rc = cmfa__buf_addstr(b, "\\\\"); continue;
        case '\n': rc = cmfa__buf_addstr(b, "\\n"); continue;
        case '\r': rc = cmfa__buf_addstr(b, "\\r"); continue;
        case '\t': rc = cmfa__buf_addstr(b, "\\t"); continue;
        case '\b': rc = cmfa__buf_addstr(b, "\\b"); continue;
        case '\f': rc = cmfa__buf_addstr(b, "\\f"); continue;
        default: break;
        }
        if (cp >= 0x20 && cp < 0x7F) {
            rc = cmfa__buf_addc(b, (char)cp);
        } else if (cp >= 0x10000) {
            cp -= 0x10000;
            snprintf(tmp, sizeof(tmp), "\\u%04lx\\u%04lx", 0xD800 + (cp >> 10),
                     0xDC00 + (cp & 0x3FF));
            rc = cmfa__buf_addstr(b, tmp);
        } else {
            snprintf(tmp, sizeof(tmp), "\\u%04lx", cp);
            rc = cmfa__buf_addstr(b, tmp);
        }
    }
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(b, '"');
    return rc;
}

/* Compact JSON text of j (',' and ':' without blanks), the form to_string() gives. */
static cmfa_code put_json(struct cmfa__buf *b, const cJSON *j)
{
    const cJSON *c;
    cmfa_code rc = CMFA_OK;

    switch (type_bit(j)) {
    case TY_NULL: return cmfa__buf_addstr(b, "null");
    case TY_BOOL: return cmfa__buf_addstr(b, cJSON_IsTrue(j) ? "true" : "false");
    case TY_NUMBER: return put_number(b, j->valuedouble);
    case TY_STRING: return put_string(b, j->valuestring);
    case TY_ARRAY:
    case TY_OBJECT:
        rc = cmfa__buf_addc(b, type_bit(j) == TY_ARRAY ? '[' : '{');
        for (c = j->child; c && rc == CMFA_OK; c = c->next) {
            if (c != j->child)
                rc = cmfa__buf_addc(b, ',');
            if (rc == CMFA_OK && type_bit(j) == TY_OBJECT) {
                rc = put_string(b, c->string ? c->string : "");
                if (rc == CMFA_OK)
                    rc = cmfa__buf_addc(b, ':');
            }
            if (rc == CMFA_OK)
                rc = put_json(b, c);
        }
        if (rc == CMFA_OK)
            rc = cmfa__buf_addc(b, type_bit(j) == TY_ARRAY ? ']' : '}');
        return rc;
    default:
        return CMFA_E_INTERNAL;
    }
}

static int fn_to_string(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                        struct rv *out)
{
    struct cmfa__buf b;
    cmfa_code code;
    int rc;

    (void)n;
    if (type_bit(a[0].v.j) == TY_STRING) {
        *out = a[0].v;
        a[0].v.j = NULL;
        a[0].v.owned = 0;
        return 0;
    }
    cmfa__buf_init(&b, 0);
    code = put_json(&b, a[0].v.j);
    if (code == CMFA_OK)
        code = cmfa__buf_add(&b, "", 0);
    if (code != CMFA_OK) {
        cmfa__buf_cleanup(&b);
        if (code == CMFA_E_TOO_LARGE)
            return ev_fail(e, call->pos, CMFA_E_QUERY_LIMIT, "to_string() result is too large");
        return ev_nomem(e);
    }
    rc = new_string(e, b.data, b.len, call->pos, out);
    cmfa__buf_cleanup(&b);
    return rc;
}

/* A number from a string the way jmespath.py reads one (int(), then float()): optional
 * blanks around, a sign, digits with an optional fraction and exponent. NaN and infinities
 * are refused (JSON has no such numbers). */
static int parse_number(const char *s, double *out)
{
    const char *p = s, *digits;
    char *end;
    int ndigits = 0;

    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
        p++;
    digits = p;
    if (*p == '+' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9') {
        p++;
        ndigits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            ndigits++;
        }
    }
    if (!ndigits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
        p++;
    if (*p)
        return 0;
    *out = strtod(digits, &end);
    return isfinite(*out);
}

static int fn_to_number(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                        struct rv *out)
{
    double d;

    (void)n;
    switch (type_bit(a[0].v.j)) {
    case TY_NUMBER:
        *out = a[0].v;
        a[0].v.j = NULL;
        a[0].v.owned = 0;
        return 0;
    case TY_STRING:
        if (parse_number(str(&a[0]), &d))
            return new_number(e, d, call->pos, out);
        return 0;
    default:
        return 0;
    }
}

static int fn_type(struct ev *e, const struct qnode *call, struct farg *a, size_t n,
                   struct rv *out)
{
    const char *name = type_name(type_bit(a[0].v.j));

    (void)n;
    return new_string(e, name, strlen(name), call->pos, out);
}

#define NUMS (TY_ARRAY_NUMBER)
#define NUMS_OR_STRS (TY_ARRAY_NUMBER | TY_ARRAY_STRING)

/* Sorted by name. */
static const struct qfunc functions[] = {
    {"abs", 1, 0, {TY_NUMBER}, fn_abs},
    {"avg", 1, 0, {NUMS}, fn_avg},
    {"ceil", 1, 0, {TY_NUMBER}, fn_ceil},
    {"contains", 2, 0, {TY_ARRAY | TY_STRING, TY_ANY}, fn_contains},
    {"ends_with", 2, 0, {TY_STRING, TY_STRING}, fn_ends_with},
    {"floor", 1, 0, {TY_NUMBER}, fn_floor},
    {"join", 2, 0, {TY_STRING, TY_ARRAY_STRING}, fn_join},
    {"keys", 1, 0, {TY_OBJECT}, fn_keys},
    {"length", 1, 0, {TY_STRING | TY_ARRAY | TY_OBJECT}, fn_length},
    {"map", 2, 0, {TY_EXPREF, TY_ARRAY}, fn_map},
    {"max", 1, 0, {NUMS_OR_STRS}, fn_max},
    {"max_by", 2, 0, {TY_ARRAY, TY_EXPREF}, fn_max_by},
    {"merge", 1, 1, {TY_OBJECT}, fn_merge},
    {"min", 1, 0, {NUMS_OR_STRS}, fn_min},
    {"min_by", 2, 0, {TY_ARRAY, TY_EXPREF}, fn_min_by},
    {"not_null", 1, 1, {TY_ANY}, fn_not_null},
    {"reverse", 1, 0, {TY_STRING | TY_ARRAY}, fn_reverse},
    {"sort", 1, 0, {NUMS_OR_STRS}, fn_sort},
    {"sort_by", 2, 0, {TY_ARRAY, TY_EXPREF}, fn_sort_by},
    {"starts_with", 2, 0, {TY_STRING, TY_STRING}, fn_starts_with},
    {"sum", 1, 0, {NUMS}, fn_sum},
    {"to_array", 1, 0, {TY_ANY}, fn_to_array},
    {"to_number", 1, 0, {TY_ANY}, fn_to_number},
    {"to_string", 1, 0, {TY_ANY}, fn_to_string},
    {"type", 1, 0, {TY_ANY}, fn_type},
    {"values", 1, 0, {TY_OBJECT}, fn_values},
};

static int cmp_function(const void *key, const void *elem)
{
    return strcmp(key, ((const struct qfunc *)elem)->name);
}

static const struct qfunc *find_function(const char *name)
{
    return bsearch(name, functions, CMFA__ARRAY_LEN(functions), sizeof(functions[0]),
                   cmp_function);
}
