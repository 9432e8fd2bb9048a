/* scalesim.c — reader of SCALE-Sim v2/v3 topology CSVs (prefix npu_scalesim_).
 *
 * Formats (research/peers.md §2.1; SCALE-Sim v2 scalesim/topology_utils.py):
 *   conv: Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
 *         Num Filter, Strides, [stride-width (v2) | N:M sparsity (v3)],
 *   GEMM: Layer Name, M, N, K, [N:M sparsity (v3)],
 * Quirks we follow:
 *   - the first line is a header and is always skipped; blank lines are skipped;
 *   - SCALE-Sim drops the last field of every row (rows end with a comma); we drop a trailing
 *     empty field but also accept a row without the trailing comma. An empty field anywhere
 *     else is an error naming file:line:column (SCALE-Sim crashes with a ValueError there);
 *   - values are trimmed and must be positive integers (SCALE-Sim int()s them);
 *   - a 9th conv value is the stride width when it is a number (v2) or an N:M sparsity ratio
 *     when it contains ':' (v3; a GEMM's 5th value); the ratio is checked (1 <= N <= M). With
 *     NPU_SCALESIM_SPARSE (v3's [sparsity] SparsitySupport = True) a ratio N < M is stored as
 *     the layer attribute nm=N,M, which the systolic model times as compressed filter rows;
 *     without it, and for N = M, the layer is dense (docs/scalesim.md says why);
 *   - a layer whose name contains "DP" is depthwise: groups = channels. Its Num Filter is read
 *     in one of two ways (flags):
 *       npusim (default): the filters of a depthwise layer, one or more per channel: Num Filter 1
 *         (SCALE-Sim's convention) or = Channels is a plain depthwise conv (out = channels), a
 *         multiple k·Channels a depthwise conv with channel multiplier k (out = Num Filter);
 *         anything else is an error naming file:line:column;
 *       NPU_SCALESIM_DP_EXPAND: SCALE-Sim v2's reading (topology_utils.py): the row becomes
 *         `Channels` layers of Channels = 1 that each keep all Num Filter filters, i.e. a
 *         grouped conv with groups = channels and out = channels · Num Filter ("DPtest, 30, 30,
 *         3, 3, 8, 8, 1" is 8 layers of 8 filters: 8x the MACs of the depthwise conv);
 *     the systolic model runs each group as one of SCALE-Sim's one-channel layers;
 *   - no padding: IFMAP dims are already padded. SCALE-Sim's output size is
 *     Ho = ceil((H - Fh + s)/s) = ceil((H - Fh)/s) + 1, one more than the usual
 *     floor((H - Fh)/s) + 1 when s does not divide H - Fh (AlexNet conv1: 55, not 54; the
 *     golden 112,283 cycles needs 55). We express that as bottom/right padding
 *     (s - (H - Fh) mod s) mod s, so shape inference, MACs and the output tensor agree with
 *     SCALE-Sim; the ifmap tensor itself stays H x W. Fh <= H and Fw <= W are checked here;
 *   - batch 1, int8 (SCALE-Sim's word is one byte);
 *   - layers are independent (SCALE-Sim never feeds one layer's output into the next): each
 *     layer reads its own graph input "<name>.ifmap" and its output is a graph output.
 * Duplicate layer names (legal in SCALE-Sim, which numbers layers) get a "_2", "_3" suffix.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

#define SS_MAX_FIELDS 16
#define SS_MAX_DIM 1000000000LL /* 1e9: larger is certainly a typo and overflows MAC counts */

typedef struct ss_field {
    const char *s; /* trimmed start */
    size_t n;      /* trimmed length */
    int col;       /* 1-based column of the field's first character (untrimmed) */
} ss_field;

/* Splits one line [s, e) into trimmed fields. Returns the count (capped; *over set when the
 * row has more than SS_MAX_FIELDS fields). */
static int ss_split(const char *s, const char *e, ss_field *f, int *over)
{
    int n = 0;
    const char *start = s;
    *over = 0;
    for (;;) {
        const char *p = start;
        while (p < e && *p != ',')
            p++;
        if (n == SS_MAX_FIELDS) {
            *over = 1;
            return n;
        }
        const char *a = start, *b = p;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        f[n].s = a;
        f[n].n = (size_t)(b - a);
        f[n].col = (int)(start - s) + 1;
        n++;
        if (p >= e)
            break;
        start = p + 1;
    }
    return n;
}

static bool ss_blank(const char *s, const char *e)
{
    for (; s < e; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

static bool ss_field_is(const ss_field *f, const char *word)
{
    size_t n = strlen(word);
    if (f->n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)f->s[i]) != tolower((unsigned char)word[i]))
            return false;
    return true;
}

/* Line [s,e) of the first non-blank line of text. */
static bool ss_first_line(const char *text, size_t len, const char **s, const char **e)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *q = memchr(p, '\n', (size_t)(end - p));
        const char *le = q ? q : end;
        if (!ss_blank(p, le)) {
            *s = p;
            *e = le;
            return true;
        }
        if (!q)
            break;
        p = q + 1;
    }
    return false;
}

bool npu_scalesim_is_gemm(const char *text, size_t len)
{
    const char *s, *e;
    if (!text || !ss_first_line(text, len, &s, &e))
        return false;
    ss_field f[SS_MAX_FIELDS];
    int over;
    int n = ss_split(s, e, f, &over);
    /* "Layer Name, M, N, K," — the conv header has "IFMAP Height" second. */
    return n >= 4 && ss_field_is(&f[1], "M") && ss_field_is(&f[2], "N") &&
           ss_field_is(&f[3], "K");
}

typedef struct ss_ctx {
    const char *file;
    int line;
    npu_err *err;
} ss_ctx;

static int ss_int(ss_ctx *c, const ss_field *f, const char *what, int64_t *out)
{
    if (f->n == 0)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: empty %s field", c->file, c->line,
                           f->col, what);
    char buf[32];
    if (f->n >= sizeof buf)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: %s '%.*s' is not an integer",
                           c->file, c->line, f->col, what, (int)(f->n > 40 ? 40 : f->n), f->s);
    memcpy(buf, f->s, f->n);
    buf[f->n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end == buf || *end != '\0')
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: %s '%s' is not an integer",
                           c->file, c->line, f->col, what, buf);
    if (errno == ERANGE || v > SS_MAX_DIM)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: %s %s is too large (max %lld)",
                           c->file, c->line, f->col, what, buf, (long long)SS_MAX_DIM);
    if (v <= 0)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: %s must be positive, got %lld",
                           c->file, c->line, f->col, what, v);
    *out = v;
    return 0;
}

/* "N:M" with 1 <= N <= M into nm[2]. */
static int ss_sparsity(ss_ctx *c, const ss_field *f, int64_t *nm)
{
    const char *colon = memchr(f->s, ':', f->n);
    int64_t nn = 0, mm = 0;
    ss_field a = {f->s, colon ? (size_t)(colon - f->s) : 0, f->col};
    ss_field b = {colon ? colon + 1 : f->s, colon ? f->n - a.n - 1 : 0, f->col};
    if (!colon || ss_int(c, &a, "sparsity N", &nn) || ss_int(c, &b, "sparsity M", &mm) ||
        nn > mm) {
        npu_err_clear(c->err);
        return npu_err_set(c->err, NPU_EFORMAT,
                           "%s:%d:%d: sparsity '%.*s' is not of the form N:M with 1 <= N <= M",
                           c->file, c->line, f->col, (int)(f->n > 40 ? 40 : f->n), f->s);
    }
    nm[0] = nn;
    nm[1] = mm;
    return 0;
}

/* Stores nm=N,M on layer li when the reader keeps sparsity and the layer is sparse (N < M). */
static int ss_set_nm(npu_graph *g, ss_ctx *c, int li, const int64_t *nm, unsigned flags)
{
    if (!(flags & NPU_SCALESIM_SPARSE) || nm[0] >= nm[1])
        return 0;
    if (npu_layer_set_ints(g, li, "nm", 2, nm))
        return npu_err_set(c->err, NPU_ENOMEM, "%s:%d: out of memory", c->file, c->line);
    return 0;
}

/* A unique layer name: the CSV name, or name_2, name_3 … when it is taken. */
static int ss_unique_name(npu_graph *g, const ss_field *f, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s", (int)(f->n > 200 ? 200 : f->n), f->s);
    size_t base = strlen(buf);
    char in[260];
    for (int k = 2; k < 1000000; k++) {
        snprintf(in, sizeof in, "%s.ifmap", buf);
        if (npu_graph_find_layer(g, buf) < 0 && npu_graph_find_tensor(g, buf) < 0 &&
            npu_graph_find_tensor(g, in) < 0)
            return 0;
        snprintf(buf + base, cap - base, "_%d", k);
    }
    return -1;
}

/* Case-sensitive substring test (SCALE-Sim checks `'DP' in name`). */
static bool ss_contains(const ss_field *f, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= f->n; i++)
        if (memcmp(f->s + i, needle, n) == 0)
            return true;
    return false;
}

/* The part every row shares: a unique layer name from field f0, an INT8 graph input
 * "<name>.ifmap" of the given shape, and the INT8 layer reading it (its line set), whose output
 * is a graph output. Returns the layer index, or -1 with c->err set (prefixed with file:line). */
static int ss_add_layer(npu_graph *g, ss_ctx *c, const ss_field *f0, npu_op op, int ndim,
                        const int64_t *dim)
{
    char name[260];
    if (ss_unique_name(g, f0, name, sizeof name)) {
        npu_err_set(c->err, NPU_EFORMAT, "%s:%d: too many layers named '%.*s'", c->file,
                    c->line, (int)(f0->n > 40 ? 40 : f0->n), f0->s);
        return -1;
    }
    char in[270];
    snprintf(in, sizeof in, "%s.ifmap", name);
    const char *ins[1] = {in};
    int li = -1;
    if (npu_graph_add_input(g, in, ndim, dim, NPU_DT_INT8, c->err) >= 0)
        li = npu_graph_add_layer(g, op, name, 1, ins, 1, c->err);
    if (li >= 0) {
        g->l[li].line = c->line;
        g->l[li].dtype = NPU_DT_INT8;
        if (npu_graph_mark_output(g, name, c->err))
            li = -1;
    }
    if (li < 0 && c->err) { /* the graph's messages start with its label (the file): once */
        const char *lab = npu_graph_label(g);
        size_t n = strlen(lab);
        char *m = c->err->msg;
        if (strncmp(m, lab, n) == 0 && strncmp(m + n, ": ", 2) == 0)
            memmove(m, m + n + 2, strlen(m + n + 2) + 1);
        npu_err_prefix(c->err, "%s:%d", c->file, c->line);
    }
    return li;
}

static int ss_add_conv(npu_graph *g, ss_ctx *c, const ss_field *f, int n, unsigned flags)
{
    static const char *const what[] = {"IFMAP height", "IFMAP width", "filter height",
                                       "filter width", "channels",    "num filter",
                                       "stride"};
    if (n < 8)
        return npu_err_set(c->err, NPU_EFORMAT,
                           "%s:%d: conv row has %d field%s, expected 8 (name, IFMAP height, "
                           "IFMAP width, filter height, filter width, channels, num filter, "
                           "strides) or 9 (stride width or N:M sparsity)",
                           c->file, c->line, n, n == 1 ? "" : "s");
    if (n > 9)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: conv row has %d fields, at most 9 "
                           "are known", c->file, c->line, f[9].col, n);
    if (f[0].n == 0)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: empty layer name", c->file,
                           c->line, f[0].col);
    int64_t v[8];
    for (int i = 0; i < 7; i++)
        if (ss_int(c, &f[i + 1], what[i], &v[i]))
            return c->err ? c->err->code : NPU_EFORMAT;
    int64_t h = v[0], w = v[1], fh = v[2], fw = v[3], ch = v[4], nf = v[5], sh = v[6], sw = sh;
    int64_t nm[2] = {1, 1};
    if (n == 9) {
        if (memchr(f[8].s, ':', f[8].n)) {
            if (ss_sparsity(c, &f[8], nm))
                return NPU_EFORMAT;
        } else if (ss_int(c, &f[8], "stride width", &sw)) {
            return NPU_EFORMAT;
        }
    }
    if (fh > h)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: filter height %lld is larger than "
                           "IFMAP height %lld (SCALE-Sim IFMAP dims are pre-padded)", c->file,
                           c->line, f[3].col, (long long)fh, (long long)h);
    if (fw > w)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: filter width %lld is larger than "
                           "IFMAP width %lld (SCALE-Sim IFMAP dims are pre-padded)", c->file,
                           c->line, f[4].col, (long long)fw, (long long)w);
    if (h * w > SS_MAX_DIM || h * w * ch > 64 * SS_MAX_DIM)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d: IFMAP %lldx%lldx%lld is absurdly large",
                           c->file, c->line, (long long)h, (long long)w, (long long)ch);
    bool dw = ss_contains(&f[0], "DP");
    int64_t out = nf;
    if (dw && (flags & NPU_SCALESIM_DP_EXPAND)) {
        if (ch * nf > SS_MAX_DIM)
            return npu_err_set(c->err, NPU_EFORMAT, "%s:%d: channels x num filter of a DP "
                               "layer is absurdly large", c->file, c->line);
        out = ch * nf;
    } else if (dw && nf == 1) {
        out = ch;
    } else if (dw && nf % ch) {
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: depthwise (DP) layer: num filter %lld "
                           "is neither 1 nor a multiple of channels %lld (SCALE-Sim would run "
                           "%lld one-channel layers of %lld filters each: fidelity=scalesim does "
                           "that)", c->file, c->line, f[6].col, (long long)nf, (long long)ch,
                           (long long)ch, (long long)nf);
    }
    int64_t dim[4] = {1, ch, h, w};
    int li = ss_add_layer(g, c, &f[0], NPU_OP_CONV, 4, dim);
    if (li < 0)
        return c->err ? c->err->code : NPU_EFORMAT;
    int64_t k[2] = {fh, fw}, s2[2] = {sh, sw};
    /* p = top, left, bottom, right: SCALE-Sim's ceil output size (see the header) */
    int64_t pad[4] = {0, 0, (sh - (h - fh) % sh) % sh, (sw - (w - fw) % sw) % sw};
    int rc = npu_layer_set_int(g, li, "out", out);
    rc = rc ? rc : npu_layer_set_ints(g, li, "k", 2, k);
    rc = rc ? rc : npu_layer_set_ints(g, li, "s", 2, s2);
    rc = rc ? rc : npu_layer_set_ints(g, li, "p", 4, pad);
    if (!rc && dw)
        rc = npu_layer_set_int(g, li, "g", ch);
    if (rc)
        return npu_err_set(c->err, NPU_ENOMEM, "%s:%d: out of memory", c->file, c->line);
    return ss_set_nm(g, c, li, nm, flags);
}

static int ss_add_gemm(npu_graph *g, ss_ctx *c, const ss_field *f, int n, unsigned flags)
{
    static const char *const what[] = {"M", "N", "K"};
    if (n < 4)
        return npu_err_set(c->err, NPU_EFORMAT,
                           "%s:%d: GEMM row has %d field%s, expected 4 (name, M, N, K) or 5 "
                           "(N:M sparsity)", c->file, c->line, n, n == 1 ? "" : "s");
    if (n > 5)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: GEMM row has %d fields, at most 5 "
                           "are known", c->file, c->line, f[5].col, n);
    if (f[0].n == 0)
        return npu_err_set(c->err, NPU_EFORMAT, "%s:%d:%d: empty layer name", c->file,
                           c->line, f[0].col);
    int64_t v[3];
    for (int i = 0; i < 3; i++)
        if (ss_int(c, &f[i + 1], what[i], &v[i]))
            return NPU_EFORMAT;
    int64_t nm[2] = {1, 1};
    if (n == 5 && ss_sparsity(c, &f[4], nm))
        return NPU_EFORMAT;
    int64_t m = v[0], nn = v[1], kk = v[2];
    int64_t dim[2] = {m, kk};
    int li = ss_add_layer(g, c, &f[0], NPU_OP_GEMM, 2, dim);
    if (li < 0)
        return c->err ? c->err->code : NPU_EFORMAT;
    if (npu_layer_set_int(g, li, "out", nn))
        return npu_err_set(c->err, NPU_ENOMEM, "%s:%d: out of memory", c->file, c->line);
    return ss_set_nm(g, c, li, nm, flags);
}

/* Graph name: the file's base name without directory and extension. */
static void ss_graph_name(const char *file, char *buf, size_t cap)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    snprintf(buf, cap, "%s", *b ? b : "scalesim");
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = '\0';
}

npu_graph *npu_scalesim_read(const char *file, const char *text, size_t len, bool gemm,
                             npu_err *err)
{
    return npu_scalesim_read_ex(file, text, len, gemm, 0, err);
}

npu_graph *npu_scalesim_read_ex(const char *file, const char *text, size_t len, bool gemm,
                                unsigned flags, npu_err *err)
{
    if (!file)
        file = "<scalesim>";
    if (!text) {
        npu_err_set(err, NPU_EINVAL, "%s: no text", file);
        return NULL;
    }
    char gname[256];
    ss_graph_name(file, gname, sizeof gname);
    npu_graph *g = npu_graph_new(gname);
    if (!g) {
        npu_err_set(err, NPU_ENOMEM, "%s: out of memory", file);
        return NULL;
    }
    g->file = npu_arena_strdup(&g->arena, file);
    g->dtype = NPU_DT_INT8;
    ss_ctx c = {file, 0, err};
    const char *p = text, *end = text + len;
    bool header = true;
    int layers = 0;
    while (p < end) {
        const char *q = memchr(p, '\n', (size_t)(end - p));
        const char *le = q ? q : end;
        c.line++;
        if (memchr(p, '\0', (size_t)(le - p))) {
            npu_err_set(err, NPU_EFORMAT, "%s:%d: NUL byte in a text file", file, c.line);
            goto fail;
        }
        if (!ss_blank(p, le)) {
            if (header) {
                header = false; /* SCALE-Sim always skips the first line */
            } else {
                ss_field f[SS_MAX_FIELDS];
                int over;
                int n = ss_split(p, le, f, &over);
                if (over) {
                    npu_err_set(err, NPU_EFORMAT, "%s:%d: more than %d fields", file, c.line,
                                SS_MAX_FIELDS);
                    goto fail;
                }
                if (n > 1 && f[n - 1].n == 0)
                    n--; /* the trailing comma SCALE-Sim requires */
                int rc = gemm ? ss_add_gemm(g, &c, f, n, flags) : ss_add_conv(g, &c, f, n, flags);
                if (rc)
                    goto fail;
                layers++;
            }
        }
        if (!q)
            break;
        p = q + 1;
    }
    if (header) {
        npu_err_set(err, NPU_EFORMAT, "%s: empty file (expected a SCALE-Sim header line)", file);
        goto fail;
    }
    if (layers == 0) {
        npu_err_set(err, NPU_EFORMAT, "%s:%d: no layers after the header line", file, c.line);
        goto fail;
    }
    return g;
fail:
    npu_graph_free(g);
    return NULL;
}
