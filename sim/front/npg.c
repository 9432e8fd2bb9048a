/* npg.c — the .npg text graph format: reader and writer (prefix npu_npg_).
 *
 * Grammar (DESIGN §8, docs/formats.md for the full description):
 *   file    := line*          line := [statement] [# comment] NEWLINE
 *   npg 1                     header, first statement, required
 *   graph NAME                optional, once
 *   input NAME DIMS DTYPE     DIMS = 1x3x224x224 | scalar
 *   const NAME DIMS DTYPE [value=NUMBER]   (value=: every element is NUMBER)
 *   output NAME...            may appear anywhere; resolved at the end of the file
 *   OP NAME INPUT... KEY=VALUE...
 * Tokens are separated by blanks. A NAME is a bare word (any bytes except blanks, '"', '#',
 * '=', '\') or a double-quoted string with the escapes \" \\ \n \t \r \xHH. A VALUE is an
 * integer list (3 or 3,5,-1), a number with a point or exponent (0.1, 1e-5), a bare word
 * starting with a letter or '_' (nearest), or a quoted string (always a string).
 * Special keys set layer fields instead of attributes: act= alpha= (act_alpha= on activation
 * ops and src= host layers, where alpha= is the op's own attribute) dtype= outs= host=
 * folded= view= inserted= dead= src=.
 *
 * The reader builds the graph in memory without inference; every error names
 * file:line:column and what is wrong. The writer emits text that reads back to the same
 * graph (layers, names, attributes, flags, outputs, dtypes).
 */
#include "front.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM_MAX 2147483647LL

/* ---- tokenizer --------------------------------------------------------------------------- */
typedef struct tok {
    const char *s;   /* unescaped text (value for key=value tokens) */
    const char *key; /* key for key=value tokens, NULL otherwise    */
    int col;         /* 1-based column of the token start           */
    bool quoted;     /* the name (or the value) was quoted          */
} tok;

typedef struct rd {
    const char *file;
    int line;
    npu_err *err;
    tok *t;
    size_t nt, ct;
    char *buf; /* unescaped text of the current line */
    size_t cbuf;
} rd;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
rerr(rd *r, int col, const char *fmt, ...)
{
    char msg[NPU_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return npu_err_set(r->err, NPU_EFORMAT, "%s:%d:%d: %s", r->file, r->line, col, msg);
}

static bool name_char(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != '"' && c != '#' && c != '=' && c != '\\';
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads a quoted string starting at p[*i] == '"' into *o; advances *i past the closing quote. */
static int read_quoted(rd *r, const char *p, size_t n, size_t *i, char **o)
{
    int col0 = (int)*i + 1;
    size_t k = *i + 1;
    while (k < n && p[k] != '"') {
        char c = p[k];
        if (c == '\\') {
            if (k + 1 >= n)
                return rerr(r, (int)k + 1, "unterminated escape in quoted string");
            char e = p[k + 1];
            switch (e) {
            case '"':
                *(*o)++ = '"';
                k += 2;
                continue;
            case '\\':
                *(*o)++ = '\\';
                k += 2;
                continue;
            case 'n':
                *(*o)++ = '\n';
                k += 2;
                continue;
            case 't':
                *(*o)++ = '\t';
                k += 2;
                continue;
            case 'r':
                *(*o)++ = '\r';
                k += 2;
                continue;
            case 'x': {
                int h1 = k + 2 < n ? hexv((unsigned char)p[k + 2]) : -1;
                int h2 = k + 3 < n ? hexv((unsigned char)p[k + 3]) : -1;
                if (h1 < 0 || h2 < 0 || (h1 == 0 && h2 == 0))
                    return rerr(r, (int)k + 1, "bad \\x escape (two hex digits, not 00)");
                *(*o)++ = (char)(h1 * 16 + h2);
                k += 4;
                continue;
            }
            default:
                return rerr(r, (int)k + 1, "unknown escape '\\%c' in quoted string", e);
            }
        }
        *(*o)++ = c;
        k++;
    }
    if (k >= n)
        return rerr(r, col0, "unterminated quoted string");
    *i = k + 1;
    return 0;
}

/* Splits line p[0..n) into tokens (comments stripped). */
static int tokenize(rd *r, const char *p, size_t n)
{
    r->nt = 0;
    if (npu_grow((void **)&r->buf, &r->cbuf, n + 1, 1))
        return npu_err_set(r->err, NPU_ENOMEM, "out of memory");
    char *o = r->buf;
    size_t i = 0;
    int rc;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (c == '#')
            break;
        if (c == 0)
            return rerr(r, (int)i + 1, "NUL byte in text");
        if (c < 0x20 || c == 0x7f)
            return rerr(r, (int)i + 1, "control character 0x%02x outside quotes", c);
        if (npu_grow((void **)&r->t, &r->ct, r->nt + 1, sizeof *r->t))
            return npu_err_set(r->err, NPU_ENOMEM, "out of memory");
        tok *t = &r->t[r->nt++];
        memset(t, 0, sizeof *t);
        t->col = (int)i + 1;
        if (c == '"') {
            t->s = o;
            t->quoted = true;
            if ((rc = read_quoted(r, p, n, &i, &o)))
                return rc;
            *o++ = 0;
        } else {
            char *start = o;
            while (i < n && name_char((unsigned char)p[i]))
                *o++ = p[i++];
            if (i < n && p[i] == '=') {
                *o++ = 0;
                t->key = start;
                if (start[0] == 0)
                    return rerr(r, t->col, "'=' without a key");
                i++;
                t->s = o;
                if (i < n && p[i] == '"') {
                    t->quoted = true;
                    if ((rc = read_quoted(r, p, n, &i, &o)))
                        return rc;
                } else {
                    while (i < n && name_char((unsigned char)p[i]))
                        *o++ = p[i++];
                }
                *o++ = 0;
            } else {
                *o++ = 0;
                t->s = start;
            }
            if (i < n && (p[i] == '"' || p[i] == '\\' || p[i] == '='))
                return rerr(r, (int)i + 1, "unexpected '%c' (quote the whole name: \"...\")", p[i]);
        }
        if (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '#' && p[i] != '\f' &&
            p[i] != '\v') {
            unsigned char b = (unsigned char)p[i];
            if (b == 0)
                return rerr(r, (int)i + 1, "NUL byte in text");
            if (b < 0x20 || b == 0x7f)
                return rerr(r, (int)i + 1, "control character 0x%02x outside quotes", b);
            return rerr(r, (int)i + 1, "missing blank after token");
        }
    }
    return 0;
}

/* ---- values -------------------------------------------------------------------------------- */
typedef struct val {
    npu_attr_type type;
    int n;
    int64_t i[NPU_ATTR_MAXN];
    double f;
    const char *s;
} val;

static bool is_int_list(const char *s)
{
    if (!*s)
        return false;
    for (;;) {
        if (*s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
        if (*s == 0)
            return true;
        if (*s != ',')
            return false;
        s++;
    }
}

static int parse_value(rd *r, const tok *t, val *v)
{
    memset(v, 0, sizeof *v);
    const char *s = t->s;
    int vcol = t->col + (int)strlen(t->key) + 1;
    if (t->quoted) {
        v->type = NPU_ATTR_STR;
        v->s = s;
        return 0;
    }
    if (!*s)
        return rerr(r, vcol, "%s= has no value", t->key);
    if (is_int_list(s)) {
        v->type = NPU_ATTR_INTS;
        const char *p = s;
        while (*p) {
            if (v->n >= NPU_ATTR_MAXN)
                return rerr(r, vcol, "%s= has more than %d values", t->key, NPU_ATTR_MAXN);
            char *e;
            errno = 0;
            long long x = strtoll(p, &e, 10);
            if (errno == ERANGE)
                return rerr(r, vcol, "%s= value out of the 64-bit range", t->key);
            v->i[v->n++] = x;
            p = *e == ',' ? e + 1 : e;
        }
        return 0;
    }
    bool numchars = true;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            numchars = false;
    if (numchars) {
        char *e;
        errno = 0;
        double d = strtod(s, &e);
        if (*e || e == s)
            return rerr(r, vcol, "%s=%s is not a number", t->key, s);
        v->type = NPU_ATTR_FLOAT;
        v->f = d; /* overflow gives ±inf, which is how the writer spells infinity */
        return 0;
    }
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_') || strchr(s, ','))
        return rerr(r, vcol,
                    "%s=%s is not an integer list, a number or a name (quote "
                    "strings: \"...\")",
                    t->key, s);
    v->type = NPU_ATTR_STR;
    v->s = s;
    return 0;
}

static int parse_dims(rd *r, const tok *t, int *ndim, int64_t *dim)
{
    const char *s = t->s;
    *ndim = 0;
    if (!t->quoted && strcmp(s, "scalar") == 0)
        return 0;
    if (!*s || t->key || t->quoted)
        return rerr(r, t->col, "bad dims '%s' (write e.g. 1x3x224x224 or scalar)", s);
    const char *p = s;
    for (;;) {
        if (*ndim >= NPU_MAX_DIMS)
            return rerr(r, t->col, "more than %d dims in '%s'", NPU_MAX_DIMS, s);
        if (*p == '-')
            return rerr(r, t->col + (int)(p - s), "negative dim in '%s'", s);
        if (!isdigit((unsigned char)*p))
            return rerr(r, t->col + (int)(p - s), "bad dims '%s' (write e.g. 1x3x224x224)", s);
        int64_t v = 0;
        while (isdigit((unsigned char)*p)) {
            if (v > DIM_MAX)
                break;
            v = v * 10 + (*p - '0');
            p++;
        }
        if (isdigit((unsigned char)*p) || v > DIM_MAX)
            return rerr(r, t->col, "dim in '%s' is larger than 2^31-1", s);
        if (v == 0)
            return rerr(r, t->col, "dim 0 in '%s' (dims must be >= 1)", s);
        dim[(*ndim)++] = v;
        if (*p == 0)
            return 0;
        if (*p != 'x')
            return rerr(r, t->col + (int)(p - s), "bad dims '%s' (write e.g. 1x3x224x224)", s);
        p++;
    }
}

static const char *const keywords[] = {"npg", "graph", "input", "const", "output", "items"};

static int unknown_op(rd *r, const tok *t)
{
    const char *cands[NPU_OP_COUNT + sizeof keywords / sizeof keywords[0] + 1];
    int n = 0;
    for (int i = 0; i < NPU_OP_COUNT; i++)
        cands[n++] = npu_op_name((npu_op)i);
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        cands[n++] = keywords[i];
    cands[n] = NULL;
    const char *dy = npu_did_you_mean(t->s, cands);
    if (dy)
        return rerr(r, t->col, "unknown op '%s' (did you mean '%s'?)", t->s, dy);
    return rerr(r, t->col, "unknown op '%s'", t->s);
}

static int unknown_tensor(rd *r, const npu_graph *g, const tok *t, const char *what)
{
    const char **cands = npu_malloc(sizeof *cands * ((size_t)g->nt + 1));
    const char *dy = NULL;
    if (cands) {
        for (int i = 0; i < g->nt; i++)
            cands[i] = g->t[i].name;
        cands[g->nt] = NULL;
        dy = npu_did_you_mean(t->s, cands);
    }
    int rc = dy ? rerr(r, t->col, "unknown %s '%s' (did you mean '%s'?)", what, t->s, dy)
                : rerr(r, t->col, "unknown %s '%s'", what, t->s);
    free(cands);
    return rc;
}

/* Number of outputs when outs= is not given (shared by reader and writer). */
static int default_nout(npu_op op, int nsizes, int64_t nparts)
{
    if (op != NPU_OP_SPLIT)
        return 1;
    if (nsizes > 0)
        return nsizes;
    if (nparts >= 1 && nparts <= 256)
        return (int)nparts;
    return 1;
}

static int flag01(rd *r, const tok *t, const val *v, int *out)
{
    if (v->type != NPU_ATTR_INTS || v->n != 1 || (v->i[0] != 0 && v->i[0] != 1))
        return rerr(r, t->col, "%s= must be 0 or 1", t->key);
    *out = (int)v->i[0];
    return 0;
}

static int number(rd *r, const tok *t, const val *v, double *out)
{
    if (v->type == NPU_ATTR_FLOAT)
        *out = v->f;
    else if (v->type == NPU_ATTR_INTS && v->n == 1)
        *out = (double)v->i[0];
    else
        return rerr(r, t->col, "%s= must be a number", t->key);
    return 0;
}

static int layer_line(rd *r, npu_graph *g, npu_op op)
{
    tok *t = r->t;
    size_t nt = r->nt;
    if (nt < 2 || t[1].key)
        return rerr(r, nt < 2 ? t[0].col + (int)strlen(t[0].s) : t[1].col, "%s: missing layer name",
                    npu_op_name(op));
    const char *name = t[1].s;
    if (!name[0])
        return rerr(r, t[1].col, "empty layer name");
    size_t first_kv = 2;
    while (first_kv < nt && !t[first_kv].key)
        first_kv++;
    for (size_t i = first_kv; i < nt; i++)
        if (!t[i].key)
            return rerr(r, t[i].col, "input '%s' after the attributes (inputs come first)", t[i].s);
    int nin = (int)(first_kv - 2);
    if (nin == 0)
        return rerr(r, t[0].col, "%s '%s': missing inputs", npu_op_name(op), name);
    if (npu_graph_find_layer(g, name) >= 0 || npu_graph_find_tensor(g, name) >= 0)
        return rerr(r, t[1].col, "duplicate name '%s'", name);
    for (int i = 0; i < nin; i++)
        if (npu_graph_find_tensor(g, t[2 + i].s) < 0)
            return unknown_tensor(r, g, &t[2 + i], "input tensor");

    /* attributes */
    val *vals = npu_calloc(nt - first_kv + 1, sizeof *vals);
    const char **ins = npu_calloc((size_t)nin, sizeof *ins);
    int rc = 0;
    if (!vals || !ins) {
        rc = npu_err_set(r->err, NPU_ENOMEM, "out of memory");
        goto out;
    }
    npu_act act = NPU_ACT_NONE;
    double alpha = 0;
    npu_dtype dt = NPU_DT_FP32;
    bool has_dt = false;
    int outs = -1, host = 0, folded = 0, view = 0, inserted = 0, dead = 0;
    const char *src = NULL;
    int nsizes = 0;
    int64_t nparts = 0;
    /* alpha= is the op's own attribute on activation ops and on host layers kept from another
     * format (src=); elsewhere it is the slope of the fused activation */
    bool is_act_op = npu_op_class(op) == NPU_OPC_ACT;
    for (size_t i = first_kv; i < nt; i++)
        if (strcmp(t[i].key, "src") == 0)
            is_act_op = true;
    for (size_t i = first_kv; i < nt && !rc; i++) {
        const tok *k = &t[i];
        for (size_t j = first_kv; j < i; j++)
            if (strcmp(t[j].key, k->key) == 0) {
                rc = rerr(r, k->col, "attribute %s= given twice", k->key);
                goto out;
            }
        val *v = &vals[i - first_kv];
        if ((rc = parse_value(r, k, v)))
            goto out;
        const char *key = k->key;
        if (strcmp(key, "act") == 0) {
            if (v->type != NPU_ATTR_STR || npu_act_parse(v->s, &act)) {
                const char *cands[NPU_ACT_COUNT + 1];
                for (int a = 0; a < NPU_ACT_COUNT; a++)
                    cands[a] = npu_act_name((npu_act)a);
                cands[NPU_ACT_COUNT] = NULL;
                const char *dy = v->type == NPU_ATTR_STR ? npu_did_you_mean(v->s, cands) : NULL;
                rc =
                    dy ? rerr(r, k->col, "unknown activation act=%s (did you mean '%s'?)", k->s, dy)
                       : rerr(r, k->col, "unknown activation act=%s", k->s);
            }
        } else if ((strcmp(key, "alpha") == 0 && !is_act_op) || strcmp(key, "act_alpha") == 0) {
            rc = number(r, k, v, &alpha);
            if (!rc && isnan(alpha))
                rc = rerr(r, k->col, "%s= is not a number", key);
        } else if (strcmp(key, "dtype") == 0) {
            if (v->type != NPU_ATTR_STR || npu_dtype_parse(v->s, &dt))
                rc = rerr(r, k->col,
                          "unknown dtype '%s' (int8 uint8 int16 int4 fp16 bf16 fp32 "
                          "int32 int64 bool)",
                          k->s);
            has_dt = true;
        } else if (strcmp(key, "outs") == 0) {
            if (v->type != NPU_ATTR_INTS || v->n != 1 || v->i[0] < 1 || v->i[0] > 256)
                rc = rerr(r, k->col, "outs= must be an integer 1..256");
            else
                outs = (int)v->i[0];
        } else if (strcmp(key, "host") == 0) {
            rc = flag01(r, k, v, &host);
        } else if (strcmp(key, "folded") == 0) {
            rc = flag01(r, k, v, &folded);
        } else if (strcmp(key, "view") == 0) {
            rc = flag01(r, k, v, &view);
        } else if (strcmp(key, "inserted") == 0) {
            rc = flag01(r, k, v, &inserted);
        } else if (strcmp(key, "dead") == 0) {
            rc = flag01(r, k, v, &dead);
        } else if (strcmp(key, "src") == 0) {
            if (v->type != NPU_ATTR_STR)
                rc = rerr(r, k->col, "src= must be a name");
            src = v->s;
        } else {
            if (strcmp(key, "sizes") == 0 && v->type == NPU_ATTR_INTS)
                nsizes = v->n;
            if (strcmp(key, "n") == 0 && v->type == NPU_ATTR_INTS)
                nparts = v->i[0];
        }
    }
    if (rc)
        goto out;
    if (outs < 0)
        outs = default_nout(op, nsizes, nparts);
    for (int i = 0; i < nin; i++)
        ins[i] = t[2 + i].s;
    npu_err e2;
    int li = npu_graph_add_layer(g, op, name, nin, ins, outs, &e2);
    if (li < 0) {
        size_t fl = strlen(r->file); /* the message starts with "file: " */
        const char *m =
            strncmp(e2.msg, r->file, fl) == 0 && e2.msg[fl] == ':' && e2.msg[fl + 1] == ' '
                ? e2.msg + fl + 2
                : e2.msg;
        rc = e2.code == NPU_ENOMEM ? npu_err_set(r->err, NPU_ENOMEM, "out of memory")
                                   : rerr(r, t[1].col, "%s", m);
        goto out;
    }
    npu_layer *l = &g->l[li];
    l->line = r->line;
    l->act = act;
    l->act_alpha = alpha;
    if (has_dt) {
        l->dtype = dt;
        l->flags |= NPU_LF_DTYPE;
    }
    if (host)
        l->flags |= NPU_LF_HOST;
    if (folded)
        l->flags |= NPU_LF_BN_FOLDED | NPU_LF_BIAS;
    if (view)
        l->flags |= NPU_LF_VIEW;
    if (inserted)
        l->flags |= NPU_LF_INSERTED;
    if (dead)
        l->flags |= NPU_LF_DEAD;
    if (src && !(l->src_op = npu_arena_strdup(&g->arena, src))) {
        rc = npu_err_set(r->err, NPU_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = first_kv; i < nt && !rc; i++) {
        const char *key = t[i].key;
        if (!strcmp(key, "act") || (!strcmp(key, "alpha") && !is_act_op) ||
            !strcmp(key, "act_alpha") || !strcmp(key, "dtype") || !strcmp(key, "outs") ||
            !strcmp(key, "host") || !strcmp(key, "folded") || !strcmp(key, "view") ||
            !strcmp(key, "inserted") || !strcmp(key, "dead") || !strcmp(key, "src"))
            continue;
        const val *v = &vals[i - first_kv];
        int e = v->type == NPU_ATTR_INTS    ? npu_layer_set_ints(g, li, key, v->n, v->i)
                : v->type == NPU_ATTR_FLOAT ? npu_layer_set_float(g, li, key, v->f)
                                            : npu_layer_set_str(g, li, key, v->s);
        if (e)
            rc = npu_err_set(r->err, NPU_ENOMEM, "out of memory");
    }
    if (!rc && (l->flags & NPU_LF_VIEW))
        for (int k = 0; k < l->nout; k++) {
            int s0 = l->in[0];
            g->t[l->out[k]].view_of = g->t[s0].view_of >= 0 ? g->t[s0].view_of : s0;
        }
out:
    free(vals);
    free(ins);
    return rc;
}

typedef struct pend_out {
    char *name;
    int line, col;
} pend_out;

const char *npu_front_base_name(npu_arena *a, const char *file)
{
    if (!file || !*file || strcmp(file, "-") == 0)
        return "graph";
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    char *s = npu_arena_alloc(a, n + 1);
    if (!s)
        return "graph";
    memcpy(s, b, n);
    return *s ? s : "graph";
}

npu_graph *npu_npg_read(const char *file, const char *text, size_t len, npu_err *err)
{
    if (!file)
        file = "<npg>";
    if (!text) {
        npu_err_set(err, NPU_EINVAL, "%s: no text", file);
        return NULL;
    }
    npu_graph *g = npu_graph_new("graph");
    if (!g) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    g->file = npu_arena_strdup(&g->arena, file);
    g->name = npu_front_base_name(&g->arena, file);
    rd r = {.file = file, .err = err};
    pend_out *po = NULL;
    size_t npo = 0, cpo = 0;
    bool header = false, named = false;
    int rc = g->file ? 0 : npu_err_set(err, NPU_ENOMEM, "out of memory");
    size_t pos = 0;
    while (!rc && pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        r.line++;
        rc = tokenize(&r, text + pos, e - pos);
        pos = e + 1;
        if (rc || r.nt == 0)
            continue;
        tok *t = r.t;
        const char *kw = t[0].s;
        if (t[0].key || t[0].quoted) {
            rc = rerr(&r, t[0].col, "expected an op or keyword, got '%s%s%s'",
                      t[0].key ? t[0].key : "", t[0].key ? "=" : "", t[0].s);
            break;
        }
        if (!header) {
            if (strcmp(kw, "npg") != 0) {
                /* an editor's UTF-8 byte-order mark is invisible: say so */
                rc = rerr(&r, t[0].col, "missing header: the first line must be 'npg 1'%s",
                          strncmp(kw, "\xEF\xBB\xBFnpg", 6) == 0
                              ? " (the file starts with a UTF-8 byte-order mark: save it "
                                "without one)"
                              : "");
                break;
            }
            if (r.nt != 2 || t[1].key || strcmp(t[1].s, "1") != 0) {
                rc = rerr(&r, r.nt >= 2 ? t[1].col : t[0].col,
                          "unsupported header (expected 'npg 1')");
                break;
            }
            header = true;
            continue;
        }
        if (strcmp(kw, "npg") == 0) {
            rc = rerr(&r, t[0].col, "second 'npg' header");
        } else if (strcmp(kw, "graph") == 0) {
            if (r.nt != 2 || t[1].key)
                rc = rerr(&r, t[0].col, "expected 'graph NAME'");
            else if (named)
                rc = rerr(&r, t[0].col, "graph name given twice");
            else if (!t[1].s[0])
                rc = rerr(&r, t[1].col, "empty graph name");
            else if (!(g->name = npu_arena_strdup(&g->arena, t[1].s)))
                rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            named = true;
        } else if (strcmp(kw, "input") == 0 || strcmp(kw, "const") == 0) {
            bool inp = kw[0] == 'i';
            int ndim;
            int64_t dim[NPU_MAX_DIMS];
            npu_dtype dt;
            if (r.nt < 2 || t[1].key)
                rc = rerr(&r, t[0].col, "%s: missing name (expected '%s NAME DIMS DTYPE')", kw, kw);
            else if (r.nt < 3)
                rc = rerr(&r, t[1].col + (int)strlen(t[1].s), "%s '%s': missing dims", kw, t[1].s);
            else if (r.nt < 4)
                rc = rerr(&r, t[2].col + (int)strlen(t[2].s), "%s '%s': missing dtype", kw, t[1].s);
            else if (r.nt > 5 || (r.nt == 5 && (inp || !t[4].key || strcmp(t[4].key, "value"))))
                rc = rerr(&r, t[4].col, "%s '%s': unexpected '%s%s%s' after the dtype%s", kw,
                          t[1].s, t[4].key ? t[4].key : "", t[4].key ? "=" : "", t[4].s,
                          inp ? "" : " (a const takes only value=)");
            else if (!t[1].s[0])
                rc = rerr(&r, t[1].col, "empty name");
            else if (npu_graph_find_tensor(g, t[1].s) >= 0)
                rc = rerr(&r, t[1].col, "duplicate name '%s'", t[1].s);
            else if ((rc = parse_dims(&r, &t[2], &ndim, dim)))
                ;
            else if (t[3].key || npu_dtype_parse(t[3].s, &dt))
                rc = rerr(&r, t[3].col,
                          "unknown dtype '%s' (int8 uint8 int16 int4 fp16 bf16 "
                          "fp32 int32 int64 bool)",
                          t[3].s);
            else {
                npu_err e2;
                val cv = {0};
                double cvalue = 0;
                if (r.nt == 5 && ((rc = parse_value(&r, &t[4], &cv)) ||
                                  (rc = number(&r, &t[4], &cv, &cvalue))))
                    break;
                int ti = inp ? npu_graph_add_input(g, t[1].s, ndim, dim, dt, &e2)
                             : npu_graph_add_const(g, t[1].s, ndim, dim, dt, &e2);
                if (ti >= 0 && r.nt == 5) {
                    g->t[ti].has_value = true;
                    g->t[ti].value = cvalue;
                }
                if (ti < 0) {
                    size_t fl = strlen(file);
                    const char *m =
                        strncmp(e2.msg, file, fl) == 0 && e2.msg[fl] == ':' && e2.msg[fl + 1] == ' '
                            ? e2.msg + fl + 2
                            : e2.msg;
                    rc = e2.code == NPU_ENOMEM ? npu_err_set(err, NPU_ENOMEM, "out of memory")
                                               : rerr(&r, t[1].col, "%s", m);
                }
            }
        } else if (strcmp(kw, "items") == 0) {
            /* items N UNIT [prefill]: what one run produces (graph.h npu_graph.items) */
            char *end = NULL;
            long long n = r.nt >= 2 && !t[1].key ? strtoll(t[1].s, &end, 10) : 0;
            if (r.nt < 3 || r.nt > 4 || t[1].key || t[2].key || n < 1 || !end || *end ||
                !t[2].s[0] || (r.nt == 4 && (t[3].key || strcmp(t[3].s, "prefill") != 0)))
                rc = rerr(&r, t[0].col, "expected 'items N UNIT [prefill]' (e.g. 'items 128 "
                                        "token prefill')");
            else if (g->unit)
                rc = rerr(&r, t[0].col, "items given twice");
            else if (!(g->unit = npu_arena_strdup(&g->arena, t[2].s)))
                rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            else {
                g->items = n;
                g->prefill = r.nt == 4;
            }
        } else if (strcmp(kw, "output") == 0) {
            if (r.nt < 2)
                rc = rerr(&r, t[0].col + 6, "missing output name");
            for (size_t i = 1; i < r.nt && !rc; i++) {
                if (t[i].key) {
                    rc = rerr(&r, t[i].col, "output names cannot be key=value");
                    break;
                }
                if (npu_grow((void **)&po, &cpo, npo + 1, sizeof *po) ||
                    !(po[npo].name = npu_strdup(t[i].s))) {
                    rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
                    break;
                }
                po[npo].line = r.line;
                po[npo].col = t[i].col;
                npo++;
            }
        } else {
            npu_op op;
            if (npu_op_parse(kw, &op))
                rc = unknown_op(&r, &t[0]);
            else
                rc = layer_line(&r, g, op);
        }
    }
    if (!rc && !header) {
        r.line = r.line ? r.line : 1;
        rc = npu_err_set(err, NPU_EFORMAT, "%s:%d:1: missing header 'npg 1' (empty file)", file,
                         r.line);
    }
    for (size_t i = 0; !rc && i < npo; i++) {
        tok tt = {.s = po[i].name, .col = po[i].col};
        r.line = po[i].line;
        if (npu_graph_find_tensor(g, po[i].name) < 0)
            rc = unknown_tensor(&r, g, &tt, "output tensor");
        else if (npu_graph_mark_output(g, po[i].name, err))
            rc = NPU_ENOMEM;
    }
    for (size_t i = 0; i < npo; i++)
        free(po[i].name);
    free(po);
    free(r.t);
    free(r.buf);
    if (rc) {
        npu_graph_free(g);
        return NULL;
    }
    return g;
}

/* ---- writer -------------------------------------------------------------------------------- */
static void put_quoted(npu_strbuf *sb, const char *s)
{
    npu_sb_putc(sb, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"':
            npu_sb_puts(sb, "\\\"");
            break;
        case '\\':
            npu_sb_puts(sb, "\\\\");
            break;
        case '\n':
            npu_sb_puts(sb, "\\n");
            break;
        case '\t':
            npu_sb_puts(sb, "\\t");
            break;
        case '\r':
            npu_sb_puts(sb, "\\r");
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                npu_sb_printf(sb, "\\x%02x", c);
            else
                npu_sb_putc(sb, (char)c);
        }
    }
    npu_sb_putc(sb, '"');
}

static void put_name(npu_strbuf *sb, const char *s)
{
    bool bare = *s != 0;
    for (const char *p = s; *p && bare; p++)
        bare = name_char((unsigned char)*p);
    if (bare)
        npu_sb_puts(sb, s);
    else
        put_quoted(sb, s);
}

/* A string value is written bare when the reader would read it back as the same string. */
static void put_strval(npu_strbuf *sb, const char *s)
{
    bool bare = isalpha((unsigned char)s[0]) || s[0] == '_';
    bool numchars = true;
    for (const char *p = s; *p && bare; p++) {
        bare = name_char((unsigned char)*p) && *p != ',';
        if (!strchr("0123456789+-.eE", *p))
            numchars = false;
    }
    if (bare && numchars) /* e.g. "e5": strtod does not take it, but be safe */
        bare = false;
    if (bare)
        npu_sb_puts(sb, s);
    else
        put_quoted(sb, s);
}

static int put_float(npu_strbuf *sb, double f)
{
    if (isnan(f))
        return NPU_EINVAL;
    if (isinf(f)) {
        npu_sb_puts(sb, f > 0 ? "1e999" : "-1e999");
        return 0;
    }
    char b[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, f);
        if (strtod(b, NULL) == f)
            break;
    }
    if (!strpbrk(b, ".eE"))
        strcat(b, ".0");
    npu_sb_puts(sb, b);
    return 0;
}

static void put_dims(npu_strbuf *sb, const npu_tensor *t)
{
    if (t->ndim == 0)
        npu_sb_puts(sb, "scalar");
    for (int i = 0; i < t->ndim; i++)
        npu_sb_printf(sb, i ? "x%lld" : "%lld", (long long)t->dim[i]);
}

static const char *const special_keys[] = {"act",  "act_alpha", "dtype", "outs", "host", "folded",
                                           "view", "inserted",  "dead",  "src",  NULL};

static bool writable_key(const char *key, bool is_act_op)
{
    if (!key || !*key)
        return false;
    for (const char *p = key; *p; p++)
        if (!name_char((unsigned char)*p))
            return false;
    for (int i = 0; special_keys[i]; i++)
        if (strcmp(key, special_keys[i]) == 0)
            return false;
    return is_act_op || strcmp(key, "alpha") != 0;
}

int npu_npg_write(const npu_graph *g, npu_strbuf *out)
{
    if (!g || !out)
        return NPU_EINVAL;
    int rc = 0;
    npu_sb_puts(out, "npg 1\ngraph ");
    put_name(out, g->name && g->name[0] ? g->name : "graph");
    npu_sb_putc(out, '\n');
    if ((g->unit && g->unit[0]) || g->items > 0 || g->prefill) {
        npu_graph_work w;
        npu_graph_work_of(g, &w);
        npu_sb_printf(out, "items %lld ", (long long)w.items);
        put_name(out, w.unit);
        npu_sb_puts(out, w.prefill ? " prefill\n" : "\n");
    }
    for (int i = 0; i < g->ninputs; i++) {
        const npu_tensor *t = &g->t[g->inputs[i]];
        npu_sb_puts(out, "input ");
        put_name(out, t->name);
        npu_sb_putc(out, ' ');
        put_dims(out, t);
        npu_sb_printf(out, " %s\n", npu_dtype_name(t->dtype));
    }
    for (int i = 0; i < g->nt; i++) {
        const npu_tensor *t = &g->t[i];
        if (t->kind != NPU_T_CONST)
            continue;
        npu_sb_puts(out, "const ");
        put_name(out, t->name);
        npu_sb_putc(out, ' ');
        put_dims(out, t);
        npu_sb_printf(out, " %s", npu_dtype_name(t->dtype));
        if (t->has_value) {
            npu_sb_puts(out, " value=");
            rc = put_float(out, t->value) ? NPU_EINVAL : rc;
        }
        npu_sb_putc(out, '\n');
    }
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        npu_sb_printf(out, "%-9s ", npu_op_name(l->op));
        put_name(out, l->name);
        for (int k = 0; k < l->nin; k++) {
            npu_sb_putc(out, ' ');
            put_name(out, g->t[l->in[k]].name);
        }
        bool is_act_op = npu_op_class(l->op) == NPU_OPC_ACT || l->src_op; /* see layer_line */
        for (int k = 0; k < l->nattr; k++) {
            const npu_attr *a = &l->attr[k];
            if (!writable_key(a->key, is_act_op))
                rc = NPU_EINVAL; /* would not read back as this attribute */
            npu_sb_printf(out, " %s=", a->key);
            if (a->type == NPU_ATTR_INTS)
                for (int j = 0; j < a->n; j++)
                    npu_sb_printf(out, j ? ",%lld" : "%lld", (long long)a->i[j]);
            else if (a->type == NPU_ATTR_FLOAT)
                rc = put_float(out, a->f) ? NPU_EINVAL : rc;
            else
                put_strval(out, a->s ? a->s : "");
        }
        if (l->act != NPU_ACT_NONE)
            npu_sb_printf(out, " act=%s", npu_act_name(l->act));
        if (l->act_alpha != 0) {
            npu_sb_puts(out, is_act_op ? " act_alpha=" : " alpha=");
            rc = put_float(out, l->act_alpha) ? NPU_EINVAL : rc;
        }
        if (l->flags & NPU_LF_DTYPE)
            npu_sb_printf(out, " dtype=%s", npu_dtype_name(l->dtype));
        const npu_attr *sz = npu_layer_attr_k(l, NPU_K_SIZES);
        int def = default_nout(l->op, sz && sz->type == NPU_ATTR_INTS ? sz->n : 0,
                               npu_layer_int_k(l, NPU_K_N, 0, 0));
        if (l->nout != def)
            npu_sb_printf(out, " outs=%d", l->nout);
        if (l->flags & NPU_LF_HOST)
            npu_sb_puts(out, " host=1");
        if (l->flags & NPU_LF_BN_FOLDED)
            npu_sb_puts(out, " folded=1");
        if (l->flags & NPU_LF_VIEW)
            npu_sb_puts(out, " view=1");
        if (l->flags & NPU_LF_INSERTED)
            npu_sb_puts(out, " inserted=1");
        if (l->flags & NPU_LF_DEAD)
            npu_sb_puts(out, " dead=1");
        if (l->src_op) {
            npu_sb_puts(out, " src=");
            put_strval(out, l->src_op);
        }
        npu_sb_putc(out, '\n');
    }
    if (g->noutputs) {
        npu_sb_puts(out, "output");
        for (int i = 0; i < g->noutputs; i++) {
            npu_sb_putc(out, ' ');
            put_name(out, g->t[g->outputs[i]].name);
        }
        npu_sb_putc(out, '\n');
    }
    if (out->oom)
        return NPU_ENOMEM;
    return rc;
}
