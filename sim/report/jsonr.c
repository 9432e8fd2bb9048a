/* jsonr.c — a small JSON reader for sim/report (see jsonr.h). Recursive descent over the
 * text; every value, string and item list lives in the caller's arena, so one
 * npu_arena_free releases a whole document. Lists are built in a growable scratch array and
 * copied into the arena once their length is known. */
#include "jsonr.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* MAX_VALUES bounds the tree (about 64 bytes a value): a 256 MiB file of "0," held 134 M */
enum { MAX_DEPTH = 64, MAX_VALUES = 1 << 24 };

typedef struct jp {
    const char *s, *p, *end, *file;
    npu_arena *a;
    npu_err *err;
    int rc;
    size_t nvals;
} jp;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static npu_jval *jfail(jp *j, const char *fmt, ...)
{
    if (j->rc)
        return NULL;
    int line = 1, col = 1;
    for (const char *q = j->s; q < j->p && q < j->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    j->rc = npu_err_set(j->err, NPU_EFORMAT, "%s:%d:%d: %s", j->file, line, col, what);
    return NULL;
}

static npu_jval *oom(jp *j)
{
    if (!j->rc)
        j->rc = npu_err_set(j->err, NPU_ENOMEM, "%s: out of memory", j->file);
    return NULL;
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static npu_jval *newval(jp *j, npu_jtype t)
{
    if (++j->nvals > MAX_VALUES)
        return jfail(j, "more than %d values, the most npusim reads", MAX_VALUES);
    npu_jval *v = npu_arena_alloc(j->a, sizeof *v);
    if (!v)
        return oom(j);
    v->type = t;
    return v;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(npu_strbuf *sb, unsigned cp)
{
    if (cp < 0x80) {
        npu_sb_putc(sb, (char)cp);
    } else if (cp < 0x800) {
        npu_sb_putc(sb, (char)(0xC0 | (cp >> 6)));
        npu_sb_putc(sb, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        npu_sb_putc(sb, (char)(0xE0 | (cp >> 12)));
        npu_sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        npu_sb_putc(sb, (char)(0x80 | (cp & 0x3F)));
    } else {
        npu_sb_putc(sb, (char)(0xF0 | (cp >> 18)));
        npu_sb_putc(sb, (char)(0x80 | ((cp >> 12) & 0x3F)));
        npu_sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        npu_sb_putc(sb, (char)(0x80 | (cp & 0x3F)));
    }
}

/* A string at j->p (on the opening quote) into the arena; NULL on error. */
static const char *str(jp *j)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    j->p++;
    for (;;) {
        if (j->p >= j->end) {
            npu_sb_free(&sb);
            jfail(j, "unterminated string");
            return NULL;
        }
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20) {
            npu_sb_free(&sb);
            jfail(j, "control character in a string");
            return NULL;
        }
        if (c != '\\') {
            const char *q = j->p;
            while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
                q++;
            npu_sb_putn(&sb, j->p, (size_t)(q - j->p));
            j->p = q;
            continue;
        }
        if (j->p + 1 >= j->end) {
            npu_sb_free(&sb);
            jfail(j, "unterminated string");
            return NULL;
        }
        char e = j->p[1];
        j->p += 2;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *k = strchr(from, e);
        if (e && k) {
            npu_sb_putc(&sb, to[k - from]);
            continue;
        }
        unsigned cp;
        if (e != 'u' || j->end - j->p < 4 || hex4(j->p, &cp)) {
            j->p -= 2;
            npu_sb_free(&sb);
            jfail(j, "bad escape in a string");
            return NULL;
        }
        if (cp == 0) {
            j->p -= 2;
            npu_sb_free(&sb);
            jfail(j, "\\u0000 (a NUL character) in a string: npusim's names and keys hold none");
            return NULL;
        }
        j->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && j->end - j->p >= 6 && j->p[0] == '\\' &&
            j->p[1] == 'u') {
            unsigned lo;
            if (!hex4(j->p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                j->p += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;
        put_utf8(&sb, cp);
    }
    const char *r = sb.oom ? NULL : npu_arena_strdup(j->a, sb.s ? sb.s : "");
    npu_sb_free(&sb);
    if (!r)
        oom(j);
    return r;
}

static npu_jval *value(jp *j, int depth);

static int keycmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A key twice in one object (keys[0..n) sorted here) fails at `at`: which one counts is
 * undefined in JSON (RFC 8259 §4), and npusim would take the first without a word. */
static bool dup_key(jp *j, const char **keys, size_t n, const char *at)
{
    qsort(keys, n, sizeof *keys, keycmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            j->p = at;
            jfail(j, "key \"%s\" twice in this object", keys[i]);
            return true;
        }
    return false;
}

/* An array or object at j->p (on '[' or '{'). */
static npu_jval *list(jp *j, int depth, bool obj)
{
    npu_jval *v = newval(j, obj ? NPU_J_OBJ : NPU_J_ARR);
    if (!v)
        return NULL;
    if (depth >= MAX_DEPTH)
        return jfail(j, "nested deeper than %d", MAX_DEPTH);
    const char *at = j->p;
    j->p++;
    npu_jval **items = NULL;
    const char **keys = NULL;
    size_t n = 0, ci = 0, ck = 0;
    char close = obj ? '}' : ']';
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return v;
    }
    for (;;) {
        ws(j);
        const char *key = NULL;
        if (obj) {
            if (j->p >= j->end || *j->p != '"') {
                jfail(j, "expected a string key");
                break;
            }
            if (!(key = str(j)))
                break;
            ws(j);
            if (j->p >= j->end || *j->p != ':') {
                jfail(j, "expected ':' after key \"%s\"", key);
                break;
            }
            j->p++;
        }
        npu_jval *it = value(j, depth + 1);
        if (!it)
            break;
        if (npu_grow((void **)&items, &ci, n + 1, sizeof *items) ||
            (obj && npu_grow((void **)&keys, &ck, n + 1, sizeof *keys))) {
            oom(j);
            break;
        }
        items[n] = it;
        if (obj)
            keys[n] = key;
        n++;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            v->n = n;
            v->item = npu_arena_alloc(j->a, n * sizeof *items);
            v->key = obj ? npu_arena_alloc(j->a, n * sizeof *keys) : NULL;
            if (!v->item || (obj && !v->key)) {
                oom(j);
                break;
            }
            memcpy(v->item, items, n * sizeof *items);
            if (obj)
                memcpy(v->key, keys, n * sizeof *keys);
            if (obj && dup_key(j, keys, n, at))
                break;
            free(items);
            free(keys);
            return v;
        }
        jfail(j, "%sexpected ',' or '%c'", j->p >= j->end ? "unexpected end of the text: " : "",
              close);
        break;
    }
    free(items);
    free(keys);
    return NULL;
}

static npu_jval *value(jp *j, int depth)
{
    ws(j);
    if (j->p >= j->end)
        return jfail(j, "unexpected end of the text");
    char c = *j->p;
    if (c == '{' || c == '[')
        return list(j, depth, c == '{');
    if (c == '"') {
        npu_jval *v = newval(j, NPU_J_STR);
        if (v && !(v->str = str(j)))
            return NULL;
        return v;
    }
    static const struct {
        const char *w;
        npu_jtype t;
        double num;
    } words[] = {{"null", NPU_J_NULL, 0}, {"true", NPU_J_BOOL, 1}, {"false", NPU_J_BOOL, 0}};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        size_t n = strlen(words[k].w);
        if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[k].w, n) == 0) {
            j->p += n;
            npu_jval *v = newval(j, words[k].t);
            if (v)
                v->num = words[k].num;
            return v;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* the JSON number grammar, then strtod on a NUL-terminated copy */
        const char *q = j->p;
        char buf[64];
        size_t n = 0;
        while (q < j->end && *q && strchr("+-0123456789.eE", *q)) {
            if (n + 1 < sizeof buf)
                buf[n] = *q;
            n++;
            q++;
        }
        if (n + 1 > sizeof buf)
            return jfail(j, "a number of %zu characters (npusim reads at most %zu)", n,
                         sizeof buf - 1);
        buf[n] = 0;
        char *e;
        errno = 0;
        double d = strtod(buf, &e);
        if (e == buf || *e)
            return jfail(j, "bad number '%s'", buf);
        if (!isfinite(d))
            return jfail(j, "number '%s' out of range", buf);
        j->p = q;
        npu_jval *v = newval(j, NPU_J_NUM);
        if (v)
            v->num = d;
        return v;
    }
    return jfail(j, "unexpected character '%c'", c >= 0x20 && c < 0x7F ? c : '?');
}

int npu_jsonr_parse(const char *text, size_t len, const char *file, npu_arena *a,
                    npu_jval **out, npu_err *err)
{
    jp j = {.s = text, .p = text, .end = text + len, .file = file ? file : "<json>", .a = a,
            .err = err};
    *out = NULL;
    /* a UTF-8 byte-order mark, as editors save one: RFC 8259 §8.1 lets a reader ignore it */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        j.p += 3;
    npu_jval *v = value(&j, 0);
    if (v) {
        ws(&j);
        if (j.p < j.end)
            v = jfail(&j, "text after the end of the JSON value");
    }
    if (!v)
        return j.rc ? j.rc : NPU_EFORMAT;
    *out = v;
    return NPU_OK;
}

const npu_jval *npu_jsonr_get(const npu_jval *o, const char *key)
{
    if (!o || o->type != NPU_J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->key[i], key) == 0)
            return o->item[i];
    return NULL;
}

const char *npu_jsonr_type_name(npu_jtype t)
{
    static const char *const names[] = {"null", "a boolean", "a number",
                                        "a string", "an array", "an object"};
    return t <= NPU_J_OBJ ? names[t] : "?";
}
