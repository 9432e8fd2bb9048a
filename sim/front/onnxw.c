/* onnxw.c — the ONNX writer (prefix npu_onnxw_; see onnxw.h for what it promises).
 *
 * ONNX facts used (onnx/onnx.proto, Operators.md for opset 13, docs/ExternalData.md):
 *  - field numbers: ModelProto ir_version 1, producer_name 2, graph 7, opset_import 8
 *    (domain 1, version 2); GraphProto node 1, name 2, initializer 5, input 11, output 12,
 *    value_info 13; NodeProto input 1, output 2, name 3, op_type 4, attribute 5; AttributeProto
 *    name 1, f 2, i 3, s 4, floats 7, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7);
 *    TensorProto dims 1, data_type 2, name 8, raw_data 9, external_data 13 (key 1, value 2),
 *    data_location 14 (EXTERNAL 1); ValueInfoProto name 1, type 2; TypeProto.tensor_type 1
 *    (elem_type 1, shape 2); TensorShapeProto dim 1 (dim_value 1);
 *  - opset 13 signatures: Squeeze/Unsqueeze axes, Split sizes, ReduceSum axes, Clip min/max,
 *    Pad pads, Slice bounds and Resize sizes are inputs; the other Reduce* take axes as an
 *    attribute; Resize inputs are (X, roi, scales, sizes), an empty name omits one;
 *  - external data: the entries "location", "offset", "length" name a byte range of a file
 *    relative to the model's directory, little-endian like raw_data.
 *
 * Choices (also in docs/onnx.md):
 *  - element types are the IR's dtypes (an int8 zoo graph gets INT8 tensors). ONNX's operator
 *    type constraints (Conv takes float tensors) are not honoured for integer graphs; the
 *    checker does not test them without full_check, and the file says what npusim simulates;
 *  - weights take the dtype of the activation they multiply; an IR gemm on a rank-2 input is
 *    written as Gemm with transB=1 and a [N,K] weight, on any other rank as torch.onnx writes
 *    nn.Linear there: MatMul by a [K,N] weight then Add of the bias (ONNX's Gemm is rank 2
 *    only); a matmul with transb=1 is Gemm(A, B, transB=1) when both are rank-2 activations,
 *    else MatMul(A, Transpose(B)) (the importer folds a constant's transpose, the pattern pass
 *    a computed one);
 *  - a host operator (an op the importer did not know, imported with --allow-unsupported) is
 *    written with its original op type in the domain NPU_ONNXW_HOST_DOMAIN: the checker knows
 *    no schema there and the importer reads it back as a host layer with --allow-unsupported;
 *  - intermediate values of a decomposition are named LAYER/what, their nodes too; the last
 *    node of a layer's chain carries the layer's name and writes the layer's tensor.
 */
#include "onnxw.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "front.h"
#include "pb.h"

enum { AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_INTS = 7 };

typedef struct ow {
    const npu_graph *g;
    npu_err *err;
    const char *loc;
    npu_strbuf graph;  /* GraphProto fields in the order nodes, initializers, value_info */
    npu_strbuf inits;
    npu_strbuf vinfo;
    npu_arena a;       /* generated names */
    int64_t off;       /* external data written so far */
    int li;            /* layer being written (messages) */
    bool host;         /* a host operator was written in NPU_ONNXW_HOST_DOMAIN */
} ow;

static int fail(ow *w, const char *what)
{
    const npu_layer *l = w->li >= 0 ? &w->g->l[w->li] : NULL;
    return npu_err_set(w->err, NPU_EUNSUPPORTED, "%s: %s%s%s%s: %s",
                       w->g->file && w->g->file[0] ? w->g->file : w->g->name,
                       l ? npu_op_name(l->op) : "", l ? " '" : "", l ? l->name : "",
                       l ? "'" : "", what);
}

/* "base/suffix" in the writer's arena (NULL on OOM: the caller's buffers carry the error). */
static const char *nm(ow *w, const char *base, const char *suffix)
{
    size_t n = strlen(base) + strlen(suffix) + 2;
    char *s = npu_arena_alloc(&w->a, n);
    if (s)
        snprintf(s, n, "%s/%s", base, suffix);
    return s ? s : "";
}

/* ---- attributes (each one an AttributeProto appended to a node's attribute buffer) ---------- */
static void attr_head(npu_strbuf *m, const char *name, int type)
{
    npu_pb_put_str(m, 1, name);
    npu_pb_put_int(m, 20, type);
}

static void attr_int(npu_strbuf *at, const char *name, int64_t v)
{
    npu_strbuf m;
    npu_sb_init(&m);
    attr_head(&m, name, AT_INT);
    npu_pb_put_int(&m, 3, v);
    npu_pb_put_msg(at, 5, &m);
}

static void attr_ints(npu_strbuf *at, const char *name, const int64_t *v, int n)
{
    npu_strbuf m;
    npu_sb_init(&m);
    attr_head(&m, name, AT_INTS);
    npu_pb_put_packed(&m, 8, v, n);
    npu_pb_put_msg(at, 5, &m);
}

static void attr_float(npu_strbuf *at, const char *name, double v)
{
    npu_strbuf m;
    npu_sb_init(&m);
    attr_head(&m, name, AT_FLOAT);
    npu_pb_put_float(&m, 2, (float)v);
    npu_pb_put_msg(at, 5, &m);
}

static void attr_str(npu_strbuf *at, const char *name, const char *v)
{
    npu_strbuf m;
    npu_sb_init(&m);
    attr_head(&m, name, AT_STRING);
    npu_pb_put_str(&m, 4, v);
    npu_pb_put_msg(at, 5, &m);
}

/* ---- nodes ------------------------------------------------------------------------------------ */
/* Appends a NodeProto of `domain` (NULL: ai.onnx); `at` (may be NULL) holds its attributes and
 * is freed. An input name "" omits an optional input. */
static void node_in(ow *w, const char *domain, const char *op, const char *name, int nin,
                    const char *const *in, int nout, const char *const *out, npu_strbuf *at)
{
    npu_strbuf m;
    npu_sb_init(&m);
    for (int i = 0; i < nin; i++)
        npu_pb_put_str(&m, 1, in[i]);
    for (int i = 0; i < nout; i++)
        npu_pb_put_str(&m, 2, out[i]);
    npu_pb_put_str(&m, 3, name);
    npu_pb_put_str(&m, 4, op);
    if (domain)
        npu_pb_put_str(&m, 7, domain);
    if (at) {
        if (at->oom)
            m.oom = 1;
        if (at->len)
            npu_sb_putn(&m, at->s, at->len);
        npu_sb_free(at);
    }
    npu_pb_put_msg(&w->graph, 1, &m);
}

static void node(ow *w, const char *op, const char *name, int nin, const char *const *in,
                 int nout, const char *const *out, npu_strbuf *at)
{
    node_in(w, NULL, op, name, nin, in, nout, out, at);
}

/* One-output node. */
static void node1(ow *w, const char *op, const char *name, int nin, const char *const *in,
                  const char *out, npu_strbuf *at)
{
    node(w, op, name, nin, in, 1, &out, at);
}

/* ---- initializers ------------------------------------------------------------------------------- */
static void tensor_head(npu_strbuf *m, const char *name, int type, int nd, const int64_t *dim)
{
    if (nd)
        npu_pb_put_packed(m, 1, dim, nd);
    npu_pb_put_int(m, 2, type);
    npu_pb_put_str(m, 8, name);
}

static void add_init(ow *w, npu_strbuf *m)
{
    npu_pb_put_msg(&w->inits, 5, m);
}

/* A weight: dims and type here, its bytes in the (zero) side file at the next offset. */
static void weight(ow *w, const char *name, npu_dtype dt, int nd, const int64_t *dim)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= dim[i];
    int64_t bytes = npu_dtype_bytes(dt, n);
    npu_strbuf m, e;
    char num[32];
    npu_sb_init(&m);
    tensor_head(&m, name, npu_onnx_elem_type(dt), nd, dim);
    static const char *const keys[] = {"location", "offset", "length"};
    for (int k = 0; k < 3; k++) {
        npu_sb_init(&e);
        npu_pb_put_str(&e, 1, keys[k]);
        snprintf(num, sizeof num, "%lld", (long long)(k == 1 ? w->off : bytes));
        npu_pb_put_str(&e, 2, k ? num : w->loc);
        npu_pb_put_msg(&m, 13, &e);
    }
    npu_pb_put_int(&m, 14, 1);
    add_init(w, &m);
    w->off += (bytes + 63) / 64 * 64; /* 64-byte aligned, as onnx's own external-data writer */
}

/* A weight named LAYER/what of the given shape (returns the name). */
static const char *lweight(ow *w, const npu_layer *l, const char *what, npu_dtype dt, int nd,
                           const int64_t *dim)
{
    const char *n = nm(w, l->name, what);
    weight(w, n, dt, nd, dim);
    return n;
}

/* Inline constants with their values (the importer reads them). */
static const char *const_f32(ow *w, const char *name, int nd, const int64_t *dim, const double *v,
                             int n)
{
    npu_strbuf m;
    npu_sb_init(&m);
    tensor_head(&m, name, npu_onnx_elem_type(NPU_DT_FP32), nd, dim);
    char raw[4 * 16];
    for (int i = 0; i < n && i < 16; i++) {
        float f = (float)v[i];
        uint32_t u;
        memcpy(&u, &f, 4);
        for (int b = 0; b < 4; b++)
            raw[4 * i + b] = (char)(u >> (8 * b) & 0xff);
    }
    npu_pb_put_bytes(&m, 9, raw, (size_t)(4 * n));
    add_init(w, &m);
    return name;
}

static const char *scalar(ow *w, const char *name, double v)
{
    return const_f32(w, name, 0, NULL, &v, 1);
}

/* A 1-D int64 constant. */
static const char *const_i64(ow *w, const char *name, const int64_t *v, int n)
{
    npu_strbuf m;
    npu_sb_init(&m);
    int64_t d = n;
    tensor_head(&m, name, npu_onnx_elem_type(NPU_DT_INT64), 1, &d);
    char raw[8 * (2 * NPU_MAX_DIMS + NPU_ATTR_MAXN)];
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            raw[8 * i + b] = (char)((uint64_t)v[i] >> (8 * b) & 0xff);
    npu_pb_put_bytes(&m, 9, raw, (size_t)(8 * n));
    add_init(w, &m);
    return name;
}

/* A scalar constant of an IR dtype holding 0 (zero points), inline. */
static const char *zero_of(ow *w, const char *name, npu_dtype dt)
{
    npu_strbuf m;
    npu_sb_init(&m);
    tensor_head(&m, name, npu_onnx_elem_type(dt), 0, NULL);
    char raw[8] = {0};
    npu_pb_put_bytes(&m, 9, raw, (size_t)npu_dtype_bytes(dt, 1));
    add_init(w, &m);
    return name;
}

/* ---- value infos --------------------------------------------------------------------------------- */
static void value_info(npu_strbuf *dst, uint32_t field, const npu_tensor *t)
{
    npu_strbuf vi, tp, tt, sh, dm;
    npu_sb_init(&sh);
    for (int i = 0; i < t->ndim; i++) {
        npu_sb_init(&dm);
        npu_pb_put_int(&dm, 1, t->dim[i]);
        npu_pb_put_msg(&sh, 1, &dm);
    }
    npu_sb_init(&tt);
    npu_pb_put_int(&tt, 1, npu_onnx_elem_type(t->dtype));
    npu_pb_put_msg(&tt, 2, &sh);
    npu_sb_init(&tp);
    npu_pb_put_msg(&tp, 1, &tt);
    npu_sb_init(&vi);
    npu_pb_put_str(&vi, 1, t->name);
    npu_pb_put_msg(&vi, 2, &tp);
    npu_pb_put_msg(dst, field, &vi);
}

/* ---- activations -------------------------------------------------------------------------------- */
/* Writes activation `act` from x to y. Intermediate nodes and values are named base/what, the
 * last node `last`. `src` supplies alpha/beta/min/max: the activation layer itself, or the
 * producer it was fused into (fuse_act copies clip bounds there and leaky/hardsigmoid slopes
 * to act_alpha). */
static int write_act(ow *w, const npu_layer *src, npu_act act, bool fused, const char *base,
                     const char *last, const char *x, const char *y)
{
    npu_strbuf at;
    npu_sb_init(&at);
    double alpha = fused ? src->act_alpha : 0;
    switch (act) {
    case NPU_ACT_RELU:
        node1(w, "Relu", last, 1, &x, y, NULL);
        return 0;
    case NPU_ACT_SIGMOID:
        node1(w, "Sigmoid", last, 1, &x, y, NULL);
        return 0;
    case NPU_ACT_TANH:
        node1(w, "Tanh", last, 1, &x, y, NULL);
        return 0;
    case NPU_ACT_LEAKY:
        attr_float(&at, "alpha", fused ? alpha : npu_layer_float_k(src, NPU_K_ALPHA, 0.01));
        node1(w, "LeakyRelu", last, 1, &x, y, &at);
        return 0;
    case NPU_ACT_RELU6:
    case NPU_ACT_CLIP: {
        const char *in[3] = {x, "", ""};
        if (act == NPU_ACT_RELU6) {
            in[1] = scalar(w, nm(w, base, "min"), 0);
            in[2] = scalar(w, nm(w, base, "max"), 6);
        } else {
            if (npu_layer_attr_k(src, NPU_K_MIN))
                in[1] = scalar(w, nm(w, base, "min"), npu_layer_float_k(src, NPU_K_MIN, 0));
            if (npu_layer_attr_k(src, NPU_K_MAX))
                in[2] = scalar(w, nm(w, base, "max"), npu_layer_float_k(src, NPU_K_MAX, 0));
        }
        node1(w, "Clip", last, in[2][0] ? 3 : in[1][0] ? 2 : 1, in, y, NULL);
        return 0;
    }
    case NPU_ACT_HARDSIGMOID:
        attr_float(&at, "alpha", fused ? alpha : npu_layer_float_k(src, NPU_K_ALPHA, 0.2));
        attr_float(&at, "beta", fused ? 0.5 : npu_layer_float_k(src, NPU_K_BETA, 0.5));
        node1(w, "HardSigmoid", last, 1, &x, y, &at);
        return 0;
    case NPU_ACT_SILU:
    case NPU_ACT_HARDSWISH: { /* x * Sigmoid(x), x * HardSigmoid(x; 1/6, 1/2) */
        bool hs = act == NPU_ACT_HARDSWISH;
        const char *s = nm(w, base, hs ? "hardsigmoid" : "sigmoid");
        if (hs) {
            attr_float(&at, "alpha", 1.0 / 6);
            attr_float(&at, "beta", 0.5);
        }
        node1(w, hs ? "HardSigmoid" : "Sigmoid", s, 1, &x, s, hs ? &at : NULL);
        const char *in[2] = {x, s};
        node1(w, "Mul", last, 2, in, y, NULL);
        return 0;
    }
    case NPU_ACT_MISH: { /* x * Tanh(Softplus(x)) */
        const char *sp = nm(w, base, "softplus"), *t = nm(w, base, "tanh");
        node1(w, "Softplus", sp, 1, &x, sp, NULL);
        node1(w, "Tanh", t, 1, &sp, t, NULL);
        const char *in[2] = {x, t};
        node1(w, "Mul", last, 2, in, y, NULL);
        return 0;
    }
    case NPU_ACT_GELU: { /* Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5): torch's exact GELU */
        const char *d = nm(w, base, "div"), *e = nm(w, base, "erf"), *a = nm(w, base, "add"),
                   *m = nm(w, base, "mul");
        const char *i1[2] = {x, scalar(w, nm(w, base, "sqrt2"), sqrt(2.0))};
        node1(w, "Div", d, 2, i1, d, NULL);
        node1(w, "Erf", e, 1, &d, e, NULL);
        const char *i2[2] = {e, scalar(w, nm(w, base, "one"), 1.0)};
        node1(w, "Add", a, 2, i2, a, NULL);
        const char *i3[2] = {x, a};
        node1(w, "Mul", m, 2, i3, m, NULL);
        const char *i4[2] = {m, scalar(w, nm(w, base, "half"), 0.5)};
        node1(w, "Mul", last, 2, i4, y, NULL);
        return 0;
    }
    default:
        npu_sb_free(&at);
        return fail(w, "this activation cannot be written as ONNX");
    }
}

/* ---- layers --------------------------------------------------------------------------------------- */
static const npu_tensor *tin(const ow *w, const npu_layer *l, int k)
{
    return &w->g->t[l->in[k]];
}

/* LayerNorm / RMSNorm over the last axes from `axis`, decomposed as exporters before opset 17:
 *   LayerNorm: m = ReduceMean(x); d = Sub(x, m); v = ReduceMean(Pow(d, 2)); y = Div(d,
 *              Sqrt(Add(v, eps))) [Mul gamma, Add beta]
 *   RMSNorm:   v = ReduceMean(Pow(x, 2)); y = Div(x, Sqrt(Add(v, eps))) [Mul gamma]
 * The ReduceMeans keep dims and name axis -1 when one axis is normalised (the form the
 * importer and the passes recognise). */
static int write_norm(ow *w, const npu_layer *l, const char *x, const char *y)
{
    const npu_tensor *t = tin(w, l, 0);
    bool ln = l->op == NPU_OP_LAYERNORM, aff = npu_layer_int_k(l, NPU_K_AFFINE, 0, 1) != 0;
    int64_t ax = npu_layer_int_k(l, NPU_K_AXIS, 0, -1);
    if (ax < 0)
        ax += t->ndim;
    if (ax < 0 || ax >= t->ndim)
        return fail(w, "axis out of range");
    int64_t axes[NPU_MAX_DIMS];
    int na = 0;
    for (int64_t i = ax; i < t->ndim; i++)
        axes[na++] = ax == t->ndim - 1 ? -1 : i;
    const char *base = l->name;
    const char *cen = x;
    npu_strbuf at;
    if (ln) {
        const char *m = nm(w, base, "mean");
        npu_sb_init(&at);
        attr_ints(&at, "axes", axes, na);
        attr_int(&at, "keepdims", 1);
        node1(w, "ReduceMean", m, 1, &x, m, &at);
        const char *d = nm(w, base, "sub"), *in[2] = {x, m};
        node1(w, "Sub", d, 2, in, d, NULL);
        cen = d;
    }
    const char *p = nm(w, base, "pow"), *v = nm(w, base, "var"), *a = nm(w, base, "add_eps"),
               *s = nm(w, base, "sqrt");
    const char *i1[2] = {cen, scalar(w, nm(w, base, "two"), 2.0)};
    node1(w, "Pow", p, 2, i1, p, NULL);
    npu_sb_init(&at);
    attr_ints(&at, "axes", axes, na);
    attr_int(&at, "keepdims", 1);
    node1(w, "ReduceMean", v, 1, &p, v, &at);
    const char *i2[2] = {v, scalar(w, nm(w, base, "eps"), npu_layer_float_k(l, NPU_K_EPS, 1e-5))};
    node1(w, "Add", a, 2, i2, a, NULL);
    node1(w, "Sqrt", s, 1, &a, s, NULL);
    const char *i3[2] = {cen, s};
    if (!aff) {
        node1(w, "Div", l->name, 2, i3, y, NULL);
        return 0;
    }
    const char *q = nm(w, base, "norm");
    node1(w, "Div", q, 2, i3, q, NULL);
    int64_t gd[NPU_MAX_DIMS];
    for (int i = 0; i < na; i++)
        gd[i] = t->dim[ax + i];
    const char *i4[2] = {q, lweight(w, l, "weight", t->dtype, na, gd)};
    if (!ln) {
        node1(w, "Mul", l->name, 2, i4, y, NULL);
        return 0;
    }
    const char *sc = nm(w, base, "scaled");
    node1(w, "Mul", sc, 2, i4, sc, NULL);
    const char *i5[2] = {sc, lweight(w, l, "bias", t->dtype, na, gd)};
    node1(w, "Add", l->name, 2, i5, y, NULL);
    return 0;
}

/* kernel_shape, strides and pads of a conv or pool window */
static void attr_window(npu_strbuf *at, const npu_conv_geom *cg)
{
    int64_t k2[2] = {cg->kh, cg->kw}, s2[2] = {cg->sh, cg->sw};
    int64_t p4[4] = {cg->pt, cg->pl, cg->pb, cg->pr};
    attr_ints(at, "kernel_shape", k2, 2);
    attr_ints(at, "strides", s2, 2);
    attr_ints(at, "pads", p4, 4);
}

/* An integer attribute of the IR layer as an int64 list; returns its count (0 if absent). */
static int ints_of(const npu_layer *l, const char *key, int64_t *v)
{
    const npu_attr *a = npu_layer_attr(l, key);
    if (!a || a->type != NPU_ATTR_INTS)
        return 0;
    memcpy(v, a->i, sizeof(int64_t) * (size_t)a->n);
    return a->n;
}

/* The layer's own operator from its inputs to `y` (without a folded batchnorm or a fused
 * activation, which write_layer appends). */
static int write_op(ow *w, int li, const char *y)
{
    const npu_graph *g = w->g;
    const npu_layer *l = &g->l[li];
    const char *in[NPU_ATTR_MAXN + 4];
    int nin = l->nin;
    if (nin > NPU_ATTR_MAXN && l->op != NPU_OP_CONCAT && !l->src_op)
        return fail(w, "too many inputs");
    const char **ins = in;
    const char **big = NULL;
    if (nin > NPU_ATTR_MAXN) { /* a wide concat or host op */
        big = npu_arena_alloc(&w->a, sizeof *big * (size_t)nin);
        if (!big)
            return npu_err_set(w->err, NPU_ENOMEM, "out of memory");
        ins = big;
    }
    for (int k = 0; k < nin; k++)
        ins[k] = tin(w, l, k)->name;
    const char *x = nin ? ins[0] : "";
    const npu_tensor *xt = nin ? tin(w, l, 0) : NULL;
    npu_strbuf at;
    npu_sb_init(&at);
    int64_t v[2 * NPU_MAX_DIMS + NPU_ATTR_MAXN];
    int n;
    if (l->src_op) { /* a host operator the importer took on trust (--allow-unsupported) */
        const char *outs[64];
        if (l->nout > 64)
            return fail(w, "too many outputs");
        for (int k = 0; k < l->nout; k++)
            outs[k] = k ? g->t[l->out[k]].name : y;
        node_in(w, NPU_ONNXW_HOST_DOMAIN, l->src_op, l->name, nin, ins, l->nout, outs, NULL);
        w->host = true;
        return 0;
    }
    switch (l->op) {
    case NPU_OP_CONV:
    case NPU_OP_CONVT: {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg))
            return fail(w, "no geometry (shapes not inferred)");
        int64_t wd[4] = {l->op == NPU_OP_CONV ? cg.k : cg.c,
                         l->op == NPU_OP_CONV ? cg.c / cg.groups : cg.k / cg.groups, cg.kh, cg.kw};
        int64_t d2[2] = {cg.dh, cg.dw};
        in[1] = lweight(w, l, "weight", xt->dtype, 4, wd);
        nin = 2;
        if (npu_layer_int_k(l, NPU_K_BIAS, 0, 0)) {
            int64_t kd = cg.k;
            in[nin++] = lweight(w, l, "bias", xt->dtype, 1, &kd);
        }
        attr_window(&at, &cg);
        attr_ints(&at, "dilations", d2, 2);
        attr_int(&at, "group", cg.groups);
        if (l->op == NPU_OP_CONVT && npu_layer_attr_k(l, NPU_K_OP)) {
            int64_t op2[2] = {npu_layer_int_k(l, NPU_K_OP, 0, 0), npu_layer_int_k(l, NPU_K_OP, 1, 0)};
            attr_ints(&at, "output_padding", op2, 2);
        }
        node1(w, npu_onnx_op_type(l->op), l->name, nin, in, y, &at);
        return 0;
    }
    case NPU_OP_GEMM: {
        npu_gemm_geom gg;
        if (npu_layer_gemm_geom(g, li, &gg))
            return fail(w, "no geometry (shapes not inferred)");
        bool bias = npu_layer_int_k(l, NPU_K_BIAS, 0, 0) != 0;
        if (xt->ndim != 2) {
            /* ONNX's Gemm takes rank 2 only: nn.Linear on a rank-3 input, as torch.onnx
             * writes it — MatMul by a [K, N] weight, then Add of the [N] bias (the importer
             * reads it back as this gemm) */
            int64_t wd[2] = {gg.k, gg.n};
            in[1] = lweight(w, l, "weight", xt->dtype, 2, wd);
            /* the MatMul carries the layer's name, as a Conv before its BatchNormalization:
             * the pattern pass folds the Add into it */
            const char *mm = bias ? nm(w, l->name, "matmul") : y;
            node1(w, "MatMul", l->name, 2, in, mm, NULL);
            if (bias) {
                const char *ab[2] = {mm, lweight(w, l, "bias", xt->dtype, 1, &gg.n)};
                node1(w, "Add", nm(w, l->name, "add_bias"), 2, ab, y, NULL);
            }
            return 0;
        }
        int64_t wd[2] = {gg.n, gg.k};
        in[1] = lweight(w, l, "weight", xt->dtype, 2, wd);
        nin = 2;
        if (bias)
            in[nin++] = lweight(w, l, "bias", xt->dtype, 1, &gg.n);
        attr_int(&at, "transB", 1);
        node1(w, "Gemm", l->name, nin, in, y, &at);
        return 0;
    }
    case NPU_OP_MATMUL: {
        if (!npu_layer_int_k(l, NPU_K_TRANSB, 0, 0)) {
            node1(w, "MatMul", l->name, 2, in, y, NULL);
            return 0;
        }
        const npu_tensor *b = tin(w, l, 1);
        if (b->kind != NPU_T_CONST && b->ndim == 2 && xt->ndim == 2) {
            attr_int(&at, "transB", 1);
            node1(w, "Gemm", l->name, 2, in, y, &at);
            return 0;
        }
        /* B [..., N, K]: MatMul(A, Transpose(B)), as torch writes q @ k.transpose(-2, -1);
         * a constant's transpose is folded on import, a computed one by the pattern pass */
        int64_t perm[NPU_MAX_DIMS];
        for (int i = 0; i < b->ndim; i++)
            perm[i] = i;
        if (b->ndim >= 2) {
            perm[b->ndim - 2] = b->ndim - 1;
            perm[b->ndim - 1] = b->ndim - 2;
        }
        attr_ints(&at, "perm", perm, b->ndim);
        const char *bt = nm(w, l->name, "transposed_b");
        node1(w, "Transpose", bt, 1, &in[1], bt, &at);
        in[1] = bt;
        node1(w, "MatMul", l->name, 2, in, y, NULL);
        return 0;
    }
    case NPU_OP_MAXPOOL:
    case NPU_OP_AVGPOOL: {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg))
            return fail(w, "no geometry (shapes not inferred)");
        int64_t d2[2] = {cg.dh, cg.dw};
        attr_window(&at, &cg);
        if (npu_layer_int_k(l, NPU_K_CEIL, 0, 0))
            attr_int(&at, "ceil_mode", 1);
        if (l->op == NPU_OP_MAXPOOL && (cg.dh != 1 || cg.dw != 1))
            attr_ints(&at, "dilations", d2, 2);
        node1(w, npu_onnx_op_type(l->op), l->name, 1, in, y, &at);
        return 0;
    }
    case NPU_OP_GAVGPOOL:
    case NPU_OP_GMAXPOOL:
        node1(w, npu_onnx_op_type(l->op), l->name, 1, in, y, NULL);
        return 0;
    case NPU_OP_ADD: case NPU_OP_SUB: case NPU_OP_MUL: case NPU_OP_DIV: case NPU_OP_POW:
    case NPU_OP_MAX: case NPU_OP_MIN: {
        node1(w, npu_onnx_op_type(l->op), l->name, nin, ins, y, NULL);
        return 0;
    }
    case NPU_OP_PRELU: {
        if (nin == 2) {
            node1(w, "PRelu", l->name, 2, in, y, NULL);
            return 0;
        }
        /* per-channel slopes shaped [C, 1, 1] so that they broadcast over N, C, H, W */
        int64_t sd[NPU_MAX_DIMS], cnt = npu_layer_int_k(l, NPU_K_SLOPES, 0, 1);
        int sn = xt->ndim >= 2 ? xt->ndim - 1 : 1;
        sd[0] = cnt;
        for (int i = 1; i < sn; i++)
            sd[i] = 1;
        in[1] = lweight(w, l, "slope", xt->dtype, sn, sd);
        node1(w, "PRelu", l->name, 2, in, y, NULL);
        return 0;
    }
    case NPU_OP_RELU: case NPU_OP_RELU6: case NPU_OP_LEAKY: case NPU_OP_SIGMOID:
    case NPU_OP_TANH: case NPU_OP_HARDSWISH: case NPU_OP_HARDSIGMOID: case NPU_OP_SILU:
    case NPU_OP_GELU: case NPU_OP_CLIP: case NPU_OP_MISH:
        return write_act(w, l, npu_op_act(l->op), false, l->name, l->name, x, y);
    case NPU_OP_EXP: case NPU_OP_SQRT: case NPU_OP_ABS: case NPU_OP_NEG: {
        node1(w, npu_onnx_op_type(l->op), l->name, 1, in, y, NULL);
        return 0;
    }
    case NPU_OP_ERF: case NPU_OP_SOFTPLUS: case NPU_OP_RECIPROCAL: {
        node1(w, npu_onnx_op_type(l->op), l->name, 1, in, y, NULL);
        return 0;
    }
    case NPU_OP_BATCHNORM: {
        int64_t c = xt->ndim >= 2 ? xt->dim[1] : 1;
        static const char *const parts[] = {"scale", "B", "mean", "var"};
        for (int k = 0; k < 4; k++)
            in[1 + k] = lweight(w, l, parts[k], xt->dtype, 1, &c);
        attr_float(&at, "epsilon", npu_layer_float_k(l, NPU_K_EPS, 1e-5));
        node1(w, "BatchNormalization", l->name, 5, in, y, &at);
        return 0;
    }
    case NPU_OP_SOFTMAX:
        attr_int(&at, "axis", npu_layer_int_k(l, NPU_K_AXIS, 0, -1));
        node1(w, "Softmax", l->name, 1, in, y, &at);
        return 0;
    case NPU_OP_LAYERNORM:
    case NPU_OP_RMSNORM:
        npu_sb_free(&at);
        return write_norm(w, l, x, y);
    case NPU_OP_LRN:
        attr_int(&at, "size", npu_layer_int_k(l, NPU_K_SIZE, 0, 1));
        attr_float(&at, "alpha", npu_layer_float_k(l, NPU_K_ALPHA, 1e-4));
        attr_float(&at, "beta", npu_layer_float_k(l, NPU_K_BETA, 0.75));
        attr_float(&at, "bias", npu_layer_float_k(l, NPU_K_BIAS, 1.0));
        node1(w, "LRN", l->name, 1, in, y, &at);
        return 0;
    case NPU_OP_CONCAT:
        attr_int(&at, "axis", npu_layer_int_k(l, NPU_K_AXIS, 0, 1));
        node1(w, "Concat", l->name, nin, ins, y, &at);
        return 0;
    case NPU_OP_SPLIT: {
        const char *outs[NPU_ATTR_MAXN + 1];
        if (l->nout > NPU_ATTR_MAXN)
            return fail(w, "too many outputs");
        for (int k = 0; k < l->nout; k++)
            outs[k] = k ? g->t[l->out[k]].name : y;
        attr_int(&at, "axis", npu_layer_int_k(l, NPU_K_AXIS, 0, 0));
        n = ints_of(l, "sizes", v);
        if (n)
            in[nin++] = const_i64(w, nm(w, l->name, "split"), v, n);
        node(w, "Split", l->name, nin, in, l->nout, outs, &at);
        return 0;
    }
    case NPU_OP_SLICE: {
        static const char *const keys[] = {"starts", "ends", "axes", "steps"};
        for (int k = 0; k < 4; k++) {
            n = ints_of(l, keys[k], v);
            if (!n && k < 2)
                return fail(w, "slice without starts= or ends=");
            if (!n && k == 2 && npu_layer_attr_k(l, NPU_K_STEPS)) { /* steps need axes: all of them */
                n = ints_of(l, "starts", v);
                for (int i = 0; i < n; i++)
                    v[i] = i;
            }
            if (n)
                in[nin++] = const_i64(w, nm(w, l->name, keys[k]), v, n);
        }
        node1(w, "Slice", l->name, nin, in, y, NULL);
        return 0;
    }
    case NPU_OP_RESHAPE:
        n = ints_of(l, "shape", v);
        in[1] = const_i64(w, nm(w, l->name, "shape"), v, n);
        node1(w, "Reshape", l->name, 2, in, y, NULL);
        return 0;
    case NPU_OP_FLATTEN:
        attr_int(&at, "axis", npu_layer_int_k(l, NPU_K_AXIS, 0, 1));
        node1(w, "Flatten", l->name, 1, in, y, &at);
        return 0;
    case NPU_OP_SQUEEZE:
    case NPU_OP_UNSQUEEZE:
        n = ints_of(l, "axes", v);
        if (n)
            in[nin++] = const_i64(w, nm(w, l->name, "axes"), v, n);
        node1(w, npu_onnx_op_type(l->op), l->name, nin, in, y, NULL);
        return 0;
    case NPU_OP_IDENTITY:
        node1(w, "Identity", l->name, nin, ins, y, NULL);
        return 0;
    case NPU_OP_TRANSPOSE:
        n = ints_of(l, "perm", v);
        if (n)
            attr_ints(&at, "perm", v, n);
        node1(w, "Transpose", l->name, 1, in, y, &at);
        return 0;
    case NPU_OP_RESIZE: { /* sizes from the inferred output shape */
        const npu_tensor *o = &g->t[l->out[0]];
        in[1] = in[2] = "";
        in[3] = const_i64(w, nm(w, l->name, "sizes"), o->dim, o->ndim);
        attr_str(&at, "mode", npu_layer_str_k(l, NPU_K_MODE, "nearest"));
        node1(w, "Resize", l->name, 4, in, y, &at);
        return 0;
    }
    case NPU_OP_PAD: {
        n = ints_of(l, "pads", v);
        if (!n) { /* p= is spatial t,l,b,r (1, 2 or 4 values) on the last two axes */
            int r = xt->ndim;
            int64_t p4[4] = {npu_layer_int_k(l, NPU_K_P, 0, 0), npu_layer_int_k(l, NPU_K_P, 1, 0),
                             npu_layer_int_k(l, NPU_K_P, 2, 0), npu_layer_int_k(l, NPU_K_P, 3, 0)};
            const npu_attr *pa = npu_layer_attr_k(l, NPU_K_P);
            if (pa && pa->n == 2)
                p4[2] = p4[0], p4[3] = p4[1];
            n = 2 * r;
            for (int i = 0; i < n; i++)
                v[i] = 0;
            v[r - 2] = p4[0], v[r - 1] = p4[1], v[2 * r - 2] = p4[2], v[2 * r - 1] = p4[3];
        }
        in[1] = const_i64(w, nm(w, l->name, "pads"), v, n);
        nin = 2;
        double val = npu_layer_float_k(l, NPU_K_VALUE, 0);
        if (val != 0)
            in[nin++] = scalar(w, nm(w, l->name, "value"), val);
        attr_str(&at, "mode", npu_layer_str_k(l, NPU_K_MODE, "constant"));
        node1(w, "Pad", l->name, nin, in, y, &at);
        return 0;
    }
    case NPU_OP_GATHER:
        attr_int(&at, "axis", npu_layer_int_k(l, NPU_K_AXIS, 0, 0));
        node1(w, "Gather", l->name, 2, in, y, &at);
        return 0;
    case NPU_OP_CAST:
    case NPU_OP_QUANTIZE:
    case NPU_OP_DEQUANTIZE: {
        npu_dtype to = g->t[l->out[0]].dtype;
        if (l->op == NPU_OP_CAST) {
            attr_int(&at, "to", npu_onnx_elem_type(to));
            node1(w, "Cast", l->name, 1, in, y, &at);
            return 0;
        }
        if (npu_layer_attr_k(l, NPU_K_AXIS))
            attr_int(&at, "axis", npu_layer_int_k(l, NPU_K_AXIS, 0, 1));
        bool q = l->op == NPU_OP_QUANTIZE;
        /* QuantizeLinear(x, fp32 scale, zero point of the target type);
         * DequantizeLinear(x, scale of the target float type, zero point of x's type) */
        in[1] = q ? scalar(w, nm(w, l->name, "scale"), 1.0)
                  : zero_of(w, nm(w, l->name, "scale"), to);
        in[2] = zero_of(w, nm(w, l->name, "zero_point"), q ? to : xt->dtype);
        node1(w, q ? "QuantizeLinear" : "DequantizeLinear", l->name, 3, in, y, &at);
        return 0;
    }
    case NPU_OP_REDUCE: {
        const char *op = npu_onnx_reduce_op(npu_layer_str_k(l, NPU_K_KIND, "mean"));
        if (!op)
            return fail(w, "unknown reduce kind");
        n = ints_of(l, "axes", v);
        if (n && !strcmp(op, "ReduceSum"))
            in[nin++] = const_i64(w, nm(w, l->name, "axes"), v, n);
        else if (n)
            attr_ints(&at, "axes", v, n);
        attr_int(&at, "keepdims", npu_layer_int_k(l, NPU_K_KEEP, 0, 1));
        node1(w, op, l->name, nin, in, y, &at);
        return 0;
    }
    default:
        npu_sb_free(&at);
        return fail(w, "no ONNX form for this operator");
    }
}

/* A layer: its operator, then a folded batchnorm, then a fused activation, each writing to a
 * LAYER/what value until the last one writes the layer's tensor. */
static int write_layer(ow *w, int li)
{
    const npu_graph *g = w->g;
    const npu_layer *l = &g->l[li];
    const char *y = g->t[l->out[0]].name;
    bool bn = (l->flags & NPU_LF_BN_FOLDED) != 0, act = l->act != NPU_ACT_NONE;
    if (act && npu_op_class(l->op) == NPU_OPC_ACT)
        return fail(w, "an activation with a fused activation");
    const char *cur = bn || act ? nm(w, l->name, "pre") : y;
    if (write_op(w, li, cur))
        return -1;
    if (bn) {
        const char *o = act ? nm(w, l->name, "bn") : y, *in[5] = {cur};
        const npu_tensor *t = &g->t[l->out[0]];
        int64_t c = t->ndim >= 2 ? t->dim[1] : t->dim[0];
        static const char *const parts[] = {"bn.scale", "bn.B", "bn.mean", "bn.var"};
        for (int k = 0; k < 4; k++)
            in[1 + k] = lweight(w, l, parts[k], t->dtype, 1, &c);
        npu_strbuf at;
        npu_sb_init(&at);
        attr_float(&at, "epsilon", 1e-5);
        node1(w, "BatchNormalization", nm(w, l->name, "bn"), 5, in, o, &at);
        cur = o;
    }
    if (act) {
        const char *base = nm(w, l->name, "act");
        if (write_act(w, l, l->act, true, base, base, cur, y))
            return -1;
    }
    return 0;
}

int npu_onnxw_write(const npu_graph *g, const char *data_location, npu_strbuf *out,
                    int64_t *data_bytes, npu_err *err)
{
    ow w;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.err = err;
    w.loc = data_location;
    w.li = -1;
    *data_bytes = 0;
    npu_sb_init(&w.graph);
    npu_sb_init(&w.inits);
    npu_sb_init(&w.vinfo);
    npu_arena_init(&w.a);
    int rc = 0;
    for (int i = 0; i < g->nt && !rc; i++) { /* every tensor needs a shape and an ONNX type */
        const npu_tensor *t = &g->t[i];
        if (!t->shape_known)
            rc = npu_err_set(err, NPU_EINVAL, "%s: tensor '%s' has no inferred shape",
                             g->name, t->name);
        else if (!npu_onnx_elem_type(t->dtype))
            rc = npu_err_set(err, NPU_EUNSUPPORTED, "%s: tensor '%s' has no ONNX type",
                             g->name, t->name);
    }
    /* the graph's constants (weight matrices, embedding tables): external data */
    for (int i = 0; i < g->nt && !rc; i++) {
        const npu_tensor *t = &g->t[i];
        if (t->kind == NPU_T_CONST)
            weight(&w, t->name, t->dtype, t->ndim, t->dim);
    }
    for (int li = 0; li < g->nl && !rc; li++) {
        if (g->l[li].flags & NPU_LF_DEAD)
            continue;
        w.li = li;
        rc = write_layer(&w, li);
        w.li = -1;
    }
    if (!rc) {
        for (int i = 0; i < g->nt; i++) {
            const npu_tensor *t = &g->t[i];
            if (t->kind == NPU_T_ACT && !npu_graph_is_output(g, i))
                value_info(&w.vinfo, 13, t);
        }
        npu_strbuf gr, m, op;
        npu_sb_init(&gr);
        npu_sb_putn(&gr, w.graph.s ? w.graph.s : "", w.graph.len);
        npu_pb_put_str(&gr, 2, g->name && g->name[0] ? g->name : "graph");
        npu_sb_putn(&gr, w.inits.s ? w.inits.s : "", w.inits.len);
        for (int i = 0; i < g->ninputs; i++)
            value_info(&gr, 11, &g->t[g->inputs[i]]);
        for (int i = 0; i < g->noutputs; i++)
            value_info(&gr, 12, &g->t[g->outputs[i]]);
        npu_sb_putn(&gr, w.vinfo.s ? w.vinfo.s : "", w.vinfo.len);
        npu_sb_init(&m);
        npu_pb_put_int(&m, 1, NPU_ONNXW_IR);
        npu_pb_put_str(&m, 2, "npusim");
        npu_pb_put_msg(&m, 7, &gr);
        npu_sb_init(&op);
        npu_pb_put_str(&op, 1, "");
        npu_pb_put_int(&op, 2, NPU_ONNXW_OPSET);
        npu_pb_put_msg(&m, 8, &op);
        if (w.host) {
            npu_strbuf hd;
            npu_sb_init(&hd);
            npu_pb_put_str(&hd, 1, NPU_ONNXW_HOST_DOMAIN);
            npu_pb_put_int(&hd, 2, 1);
            npu_pb_put_msg(&m, 8, &hd);
        }
        if (m.oom || w.graph.oom || w.inits.oom || w.vinfo.oom || out->oom)
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory writing ONNX");
        else
            npu_sb_putn(out, m.s, m.len);
        npu_sb_free(&m);
        *data_bytes = w.off;
    }
    npu_sb_free(&w.graph);
    npu_sb_free(&w.inits);
    npu_sb_free(&w.vinfo);
    npu_arena_free(&w.a);
    return rc;
}
