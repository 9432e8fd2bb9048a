/* onnxops.c — the ONNX importer's operator table and the handlers of the compute operators:
 * Conv/ConvTranspose, Gemm, pooling, element-wise binaries, Clip, with the attribute plumbing
 * they share (prefix onnx_; private to the importer, see onnximp.h). */
#include "onnximp.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const opdef optab[] = {
    {"Conv", K_CONV, NPU_OP_CONV},
    {"ConvTranspose", K_CONVT, NPU_OP_CONVT},
    {"Gemm", K_GEMM, NPU_OP_GEMM},
    {"MatMul", K_MATMUL, NPU_OP_MATMUL},
    {"MaxPool", K_POOL, NPU_OP_MAXPOOL},
    {"AveragePool", K_POOL, NPU_OP_AVGPOOL},
    {"GlobalAveragePool", K_GPOOL, NPU_OP_GAVGPOOL},
    {"GlobalMaxPool", K_GPOOL, NPU_OP_GMAXPOOL},
    {"Add", K_BIN, NPU_OP_ADD},
    {"Sub", K_BIN, NPU_OP_SUB},
    {"Mul", K_BIN, NPU_OP_MUL},
    {"Div", K_BIN, NPU_OP_DIV},
    {"Pow", K_BIN, NPU_OP_POW},
    {"Max", K_VARIADIC, NPU_OP_MAX},
    {"Min", K_VARIADIC, NPU_OP_MIN},
    {"Sum", K_VARIADIC, NPU_OP_ADD},
    {"Mean", K_VARIADIC, NPU_OP_ADD}, /* sum of n inputs; the final 1/n scale is not a layer */
    {"Relu", K_UNARY, NPU_OP_RELU},
    {"Sigmoid", K_UNARY, NPU_OP_SIGMOID},
    {"Tanh", K_UNARY, NPU_OP_TANH},
    {"HardSwish", K_UNARY, NPU_OP_HARDSWISH},
    {"Exp", K_UNARY, NPU_OP_EXP},
    {"Sqrt", K_UNARY, NPU_OP_SQRT},
    {"Abs", K_UNARY, NPU_OP_ABS},
    {"Neg", K_UNARY, NPU_OP_NEG},
    {"Erf", K_UNARY, NPU_OP_ERF},
    {"Softplus", K_UNARY, NPU_OP_SOFTPLUS},
    {"Reciprocal", K_UNARY, NPU_OP_RECIPROCAL},
    {"Mish", K_UNARY, NPU_OP_MISH},
    {"LeakyRelu", K_LEAKY, NPU_OP_LEAKY},
    {"HardSigmoid", K_HSIG, NPU_OP_HARDSIGMOID},
    {"PRelu", K_PRELU, NPU_OP_PRELU},
    {"Gelu", K_GELU, NPU_OP_GELU},
    {"Clip", K_CLIP, NPU_OP_CLIP},
    {"BatchNormalization", K_BN, NPU_OP_BATCHNORM},
    {"Softmax", K_SOFTMAX, NPU_OP_SOFTMAX},
    {"LayerNormalization", K_LN, NPU_OP_LAYERNORM},
    {"LRN", K_LRN, NPU_OP_LRN},
    {"Concat", K_CONCAT, NPU_OP_CONCAT},
    {"Split", K_SPLIT, NPU_OP_SPLIT},
    {"Slice", K_SLICE, NPU_OP_SLICE},
    {"Reshape", K_RESHAPE, NPU_OP_RESHAPE},
    {"Flatten", K_FLATTEN, NPU_OP_FLATTEN},
    {"Squeeze", K_SQUEEZE, NPU_OP_SQUEEZE},
    {"Unsqueeze", K_UNSQUEEZE, NPU_OP_UNSQUEEZE},
    {"Identity", K_IDENTITY, NPU_OP_IDENTITY},
    {"Dropout", K_IDENTITY, NPU_OP_IDENTITY},
    {"Transpose", K_TRANSPOSE, NPU_OP_TRANSPOSE},
    {"Resize", K_RESIZE, NPU_OP_RESIZE},
    {"Upsample", K_RESIZE, NPU_OP_RESIZE},
    {"Pad", K_PAD, NPU_OP_PAD},
    {"Gather", K_GATHER, NPU_OP_GATHER},
    {"Cast", K_CAST, NPU_OP_CAST},
    {"QuantizeLinear", K_QUANT, NPU_OP_QUANTIZE},
    {"DequantizeLinear", K_DEQUANT, NPU_OP_DEQUANTIZE},
    {"ReduceMean", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceSum", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceMax", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceMin", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceProd", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceL1", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceL2", K_REDUCE, NPU_OP_REDUCE},
    {"DepthToSpace", K_D2S, NPU_OP_TRANSPOSE},
    {"SpaceToDepth", K_D2S, NPU_OP_TRANSPOSE},
    {"Constant", K_CONSTANT, NPU_OP_IDENTITY},
    {"Shape", K_SHAPE, NPU_OP_IDENTITY},
    {"Size", K_SIZE, NPU_OP_IDENTITY},
    {"ConstantOfShape", K_COS, NPU_OP_IDENTITY},
    {"Range", K_RANGE, NPU_OP_IDENTITY},
    {"Equal", K_FOLD, NPU_OP_IDENTITY},
    {"Less", K_FOLD, NPU_OP_IDENTITY},
    {"LessOrEqual", K_FOLD, NPU_OP_IDENTITY},
    {"Greater", K_FOLD, NPU_OP_IDENTITY},
    {"GreaterOrEqual", K_FOLD, NPU_OP_IDENTITY},
    {"Not", K_FOLD, NPU_OP_IDENTITY},
    {"Where", K_FOLD, NPU_OP_IDENTITY},
    {"Floor", K_FOLD, NPU_OP_IDENTITY},
    {"Ceil", K_FOLD, NPU_OP_IDENTITY},
    {"Expand", K_FOLD, NPU_OP_IDENTITY},
};

const opdef *onnx_op_lookup(const onode *n)
{
    if (n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return NULL;
    for (size_t i = 0; i < sizeof optab / sizeof optab[0]; i++)
        if (!strcmp(optab[i].name, n->op))
            return &optab[i];
    return NULL;
}

const char *npu_onnx_op_type(npu_op op)
{
    /* the first row of an op is its own ONNX operator (Add before Sum and Mean, Identity before
     * Dropout, Resize before Upsample) */
    for (size_t i = 0; i < sizeof optab / sizeof optab[0]; i++)
        if (optab[i].op == op)
            return optab[i].name;
    return NULL;
}

/* ---- attribute plumbing ------------------------------------------------------------------ */
int onnx_set_ints(ox *x, int li, const char *key, long n, const int64_t *v)
{
    if (n < 1)
        return 0;
    if (n > NPU_ATTR_MAXN)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "attribute %s has %ld values (at most %d)", key, n,
                            NPU_ATTR_MAXN);
    if (npu_layer_set_ints(x->g, li, key, (int)n, v))
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    return 0;
}

int onnx_set_int(ox *x, int li, const char *key, int64_t v)
{
    return onnx_set_ints(x, li, key, 1, &v);
}

int onnx_set_float(ox *x, int li, const char *key, double v)
{
    if (npu_layer_set_float(x->g, li, key, v))
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    return 0;
}

int onnx_set_str(ox *x, int li, const char *key, const char *v)
{
    if (npu_layer_set_str(x->g, li, key, v))
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    return 0;
}

/* Integer list from an attribute (older opsets) or a constant input (newer opsets). Sets *n to
 * -1 when neither is present. */
int onnx_int_list(ox *x, const onode *n, const char *aname, int input, int64_t *out, long max,
                  long *cnt, const char *what)
{
    *cnt = -1;
    if (input >= 0) {
        oval *v;
        if (onnx_node_in(x, n, input, &v))
            return -1;
        if (v) {
            if (onnx_need_value(x, v, what))
                return -1;
            if (v->nval > max)
                return onnx_fmt_err(x, NPU_EUNSUPPORTED, "%s has %ld values (at most %ld)", what,
                                    v->nval, max);
            memcpy(out, v->iv, sizeof(int64_t) * (size_t)v->nval);
            *cnt = v->nval;
            return 0;
        }
    }
    if (aname) {
        const oattr *a = onnx_attr(n, aname);
        if (a && a->nints >= 0 && (a->ints || a->type == OA_INTS)) {
            if (a->nints > max)
                return onnx_fmt_err(x, NPU_EUNSUPPORTED, "%s has %ld values (at most %ld)", what,
                                    a->nints, max);
            if (a->nints)
                memcpy(out, a->ints, sizeof(int64_t) * (size_t)a->nints);
            *cnt = a->nints;
        } else if (a && a->has_i && max >= 1) { /* a single int where a list is expected */
            out[0] = a->i;
            *cnt = 1;
        } else if (a) {
            return onnx_fmt_err(x, NPU_EFORMAT, "attribute %s is not a list of integers", aname);
        }
    }
    return 0;
}

npu_dtype onnx_npu_dt_or_fp32(int ot)
{
    int d = onnx_ot_to_npu(ot);
    return d < 0 ? NPU_DT_FP32 : (npu_dtype)d;
}

/* Window geometry of Conv/ConvTranspose/pooling. `sp` spatial dims (1 or 2); a 1-D window is
 * held as a 2-D one of height 1 (k = 1,kw; s = 1,sw; pads 0,l,0,r), which is how it is modelled:
 * the input gets an unsqueezed H axis of size 1 (see wrap_1d). */
static int window_attrs(ox *x, const onode *n, int sp, int64_t *k, int64_t *s, int64_t *d,
                        int64_t *p)
{
    int64_t tmp[8];
    long c;
    int o = 2 - sp; /* first 2-D slot filled from the ONNX lists */
    s[0] = s[1] = d[0] = d[1] = 1;
    memset(p, 0, 4 * sizeof *p);
    if (sp == 1)
        k[0] = 1;
    if (onnx_int_list(x, n, "kernel_shape", -1, tmp, 8, &c, "kernel_shape"))
        return -1;
    if (c >= 0) {
        if (c != sp)
            return onnx_fmt_err(x, NPU_EINVAL, "kernel_shape has %ld values, expected %d", c, sp);
        for (int i = 0; i < sp; i++)
            k[o + i] = tmp[i];
    }
    static const char *const names[] = {"strides", "dilations"};
    for (int j = 0; j < 2; j++) {
        int64_t *dst = j ? d : s;
        if (onnx_int_list(x, n, names[j], -1, tmp, 8, &c, names[j]))
            return -1;
        if (c >= 0 && c != sp)
            return onnx_fmt_err(x, NPU_EINVAL, "%s has %ld values, expected %d", names[j], c, sp);
        for (int i = 0; i < c; i++)
            dst[o + i] = tmp[i];
    }
    if (onnx_int_list(x, n, "pads", -1, tmp, 8, &c, "pads"))
        return -1;
    if (c >= 0 && c != 2 * sp)
        return onnx_fmt_err(x, NPU_EINVAL, "pads has %ld values, expected %d", c, 2 * sp);
    for (int i = 0; i < c / 2; i++) {
        p[o + i] = tmp[i];
        p[2 + o + i] = tmp[sp + i];
    }
    /* bounded so that the window arithmetic below and in the IR cannot overflow */
    for (int i = 0; i < 2; i++)
        if (s[i] < 1 || d[i] < 1 || k[i] < 1 || s[i] > WIN_MAX || d[i] > WIN_MAX || k[i] > WIN_MAX)
            return onnx_fmt_err(x, NPU_EINVAL,
                                "kernel %lld, stride %lld and dilation %lld must be in "
                                "1..%lld",
                                (long long)k[i], (long long)s[i], (long long)d[i],
                                (long long)WIN_MAX);
    for (int i = 0; i < 4; i++)
        if (p[i] < 0 || p[i] > WIN_MAX)
            return onnx_fmt_err(x, NPU_EINVAL, "padding %lld out of range 0..%lld", (long long)p[i],
                                (long long)WIN_MAX);
    return 0;
}

/* Spatial size of the input as 2 values (h = 1 for 1-D). */
static int spatial_of(ox *x, oval *in, int sp, int64_t *hw)
{
    int nd;
    int64_t dim[NPU_MAX_DIMS];
    if (onnx_need_shape(x, in, &nd, dim, "input"))
        return -1;
    if (nd != 2 + sp)
        return onnx_fmt_err(x, NPU_EINVAL, "input '%s' has rank %d, expected %d", in->name, nd,
                            2 + sp);
    hw[0] = sp == 1 ? 1 : dim[2];
    hw[1] = dim[nd - 1];
    for (int i = 0; i < 2; i++)
        if (hw[i] < 1 || hw[i] > DIM_LIMIT)
            return onnx_fmt_err(x, NPU_EINVAL, "input '%s' has spatial size %lld", in->name,
                                (long long)hw[i]);
    return 0;
}

/* SAME_UPPER / SAME_LOWER padding of a window op from the input size (ONNX auto_pad). */
static int auto_pads(ox *x, const onode *n, oval *in, int sp, const int64_t *k, const int64_t *s,
                     const int64_t *d, int64_t *pads)
{
    const char *ap = onnx_astr(n, "auto_pad", "NOTSET");
    if (!strcmp(ap, "NOTSET") || !ap[0])
        return 0;
    if (!strcmp(ap, "VALID")) {
        memset(pads, 0, 4 * sizeof *pads);
        return 0;
    }
    bool upper = !strcmp(ap, "SAME_UPPER");
    if (!upper && strcmp(ap, "SAME_LOWER"))
        return onnx_fmt_err(x, NPU_EFORMAT,
                            "auto_pad '%s' is not NOTSET, VALID, SAME_UPPER or "
                            "SAME_LOWER",
                            ap);
    int64_t hw[2];
    if (spatial_of(x, in, sp, hw))
        return -1;
    for (int i = 0; i < 2; i++) {
        int64_t h = hw[i], o = (h + s[i] - 1) / s[i];
        int64_t tot = (o - 1) * s[i] + (k[i] - 1) * d[i] + 1 - h;
        if (tot < 0)
            tot = 0;
        pads[i] = upper ? tot / 2 : tot - tot / 2;
        pads[2 + i] = tot - pads[i];
    }
    return 0;
}

/* 1-D windows: X [N,C,L] → unsqueeze to [N,C,1,L] before the 2-D layer (*tmp wraps it). */
static int wrap_1d(ox *x, const onode *n, oval **X, oval *tmp)
{
    int64_t ax = 2;
    int li = onnx_emit(x, n, NPU_OP_UNSQUEEZE, "to2d", 1, X, 1);
    if (li < 0 || onnx_set_ints(x, li, "axes", 1, &ax))
        return -1;
    memset(tmp, 0, sizeof *tmp);
    tmp->name = "to2d";
    tmp->kind = VK_ACT;
    tmp->ti = x->g->l[li].out[0];
    *X = tmp;
    return 0;
}

/* Emits the window layer and, for 1-D, the squeeze back to [N,K,L]; binds output 0. */
static int emit_window(ox *x, const onode *n, npu_op op, int sp, oval *X)
{
    oval tmp;
    if (sp == 1 && wrap_1d(x, n, &X, &tmp))
        return -1;
    int li = onnx_emit(x, n, op, NULL, 1, &X, 1);
    if (li < 0)
        return -1;
    if (sp == 2)
        return onnx_bind(x, n, 0, li, 0) ? -1 : li;
    oval y;
    memset(&y, 0, sizeof y);
    y.name = "to1d";
    y.kind = VK_ACT;
    y.ti = x->g->l[li].out[0];
    oval *py = &y;
    int64_t ax = 2;
    int ls = onnx_emit(x, n, NPU_OP_SQUEEZE, "to1d", 1, &py, 1);
    if (ls < 0 || onnx_set_ints(x, ls, "axes", 1, &ax) || onnx_bind(x, n, 0, ls, 0))
        return -1;
    return li;
}

static int set_window(ox *x, int li, const int64_t *k, const int64_t *s, const int64_t *d,
                      const int64_t *p, bool dil)
{
    if (onnx_set_ints(x, li, "k", 2, k) || onnx_set_ints(x, li, "s", 2, s) ||
        onnx_set_ints(x, li, "p", 4, p))
        return -1;
    if (dil && onnx_set_ints(x, li, "d", 2, d))
        return -1;
    return 0;
}

/* Weight shape of a Conv/ConvTranspose (initializer, graph input or value_info); returns the
 * number of spatial dims (1 or 2) or -1. */
static int weight_shape(ox *x, oval *w, int64_t *dim)
{
    int nd;
    if (onnx_need_shape(x, w, &nd, dim, "weight"))
        return -1;
    if (nd != 3 && nd != 4) {
        onnx_fmt_err(x, NPU_EUNSUPPORTED,
                     "weight '%s' has %d dims, expected 3 or 4 (only 1-D and "
                     "2-D convolutions are modelled)",
                     w->name, nd);
        return -1;
    }
    return nd - 2;
}

static bool is_const_like(const oval *v)
{
    return v->kind == VK_CONST || v->kind == VK_INPUT;
}

int onnx_expect_dim(ox *x, int li, int axis, int64_t want, const char *wname)
{
    okcheck *c = npu_arena_alloc(&x->a, sizeof *c);
    if (!c)
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    *c = (okcheck){x->kc, li, x->cur, axis, want, wname};
    x->kc = c;
    return 0;
}

int onnx_check_dims(ox *x)
{
    if (!x->kc)
        return 0;
    npu_err ie = {0}; /* a graph that does not infer yet is reported later, as before */
    npu_graph_infer(x->g, &ie);
    for (const okcheck *c = x->kc; c; c = c->next) {
        const npu_tensor *t = &x->g->t[x->g->l[c->li].in[0]];
        int ax = c->axis < 0 ? t->ndim - 1 : c->axis;
        if (!t->shape_known || ax < 0 || ax >= t->ndim || t->dim[ax] == c->want)
            continue;
        x->cur = c->node;
        return onnx_fmt_err(x, NPU_EINVAL, "input '%s' has %lld %s, weight '%s' expects %lld",
                            t->name, (long long)t->dim[ax],
                            c->axis < 0 ? "columns (K)" : "channels", c->wname,
                            (long long)c->want);
    }
    return 0;
}

/* ---- one node ------------------------------------------------------------------------------ */
int onnx_h_conv(ox *x, const onode *n, bool transposed)
{
    oval *X, *W, *B;
    int64_t wd[NPU_MAX_DIMS], k[2], s[2], d[2], p[4];
    if (onnx_need_in(x, n, 0, &X, "X") || onnx_need_in(x, n, 1, &W, "W") ||
        onnx_node_in(x, n, 2, &B) || onnx_only_outputs(x, n, 1, "extra output"))
        return -1;
    int sp = weight_shape(x, W, wd);
    if (sp < 0)
        return -1;
    k[0] = sp == 2 ? wd[2] : 1;
    k[1] = wd[1 + sp];
    if (window_attrs(x, n, sp, k, s, d, p))
        return -1;
    if (k[0] != (sp == 2 ? wd[2] : 1) || k[1] != wd[1 + sp]) /* kernel_shape is the weight's */
        return onnx_fmt_err(x, NPU_EINVAL, "kernel_shape %lldx%lld differs from weight '%s' "
                            "(%lldx%lld)", (long long)k[0], (long long)k[1], W->name,
                            (long long)(sp == 2 ? wd[2] : 1), (long long)wd[1 + sp]);
    int64_t g = onnx_aint(n, "group", 1);
    if (g < 1 || g > DIM_LIMIT)
        return onnx_fmt_err(x, NPU_EINVAL, "group %lld out of range", (long long)g);
    for (int i = 0; i < 2; i++)
        if (wd[i] < 1 || wd[i] > DIM_LIMIT)
            return onnx_fmt_err(x, NPU_EINVAL, "weight '%s' dimension %d is %lld", W->name, i,
                                (long long)wd[i]);
    int64_t out = transposed ? wd[1] * g : wd[0];
    int64_t op[2] = {0, 0};
    if (transposed) {
        int64_t tmp[8];
        long c;
        int o = 2 - sp;
        if (onnx_int_list(x, n, "output_padding", -1, tmp, 8, &c, "output_padding"))
            return -1;
        if (c >= 0 && c != sp)
            return onnx_fmt_err(x, NPU_EINVAL, "output_padding has %ld values, expected %d", c, sp);
        for (int i = 0; i < c; i++) {
            if (tmp[i] < 0 || tmp[i] > WIN_MAX)
                return onnx_fmt_err(x, NPU_EINVAL, "output_padding %lld out of range",
                                    (long long)tmp[i]);
            op[o + i] = tmp[i];
        }
        long oc;
        int64_t os[8];
        const char *ap = onnx_astr(n, "auto_pad", "NOTSET");
        if (onnx_int_list(x, n, "output_shape", -1, os, 8, &oc, "output_shape"))
            return -1;
        bool same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");
        if (oc >= 0 || same) {
            int64_t hw[2];
            if (spatial_of(x, X, sp, hw))
                return -1;
            if (oc >= 0 && oc < sp)
                return onnx_fmt_err(x, NPU_EINVAL, "output_shape has %ld values", oc);
            for (int i = 0; i < 2; i++) {
                /* output_shape lists the spatial sizes (its last sp values are used) */
                int64_t want = (sp == 1 && i == 0) ? 1 : oc >= 0 ? os[oc - 2 + i] : hw[i] * s[i];
                if (want < 1 || want > DIM_LIMIT)
                    return onnx_fmt_err(x, NPU_EINVAL, "output size %lld out of range",
                                        (long long)want);
                int64_t tot = s[i] * (hw[i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 - want;
                if (tot < 0) { /* more output than the kernel covers: extra output padding */
                    op[i] -= tot;
                    tot = 0;
                }
                bool upper = !strcmp(ap, "SAME_UPPER");
                p[i] = upper ? tot / 2 : tot - tot / 2;
                p[2 + i] = tot - p[i];
            }
        } else if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && ap[0]) {
            return onnx_fmt_err(x, NPU_EFORMAT, "auto_pad '%s' is not valid", ap);
        } else if (!strcmp(ap, "VALID")) {
            memset(p, 0, sizeof p);
        }
    } else if (auto_pads(x, n, X, sp, k, s, d, p)) {
        return -1;
    }
    int li = emit_window(x, n, transposed ? NPU_OP_CONVT : NPU_OP_CONV, sp, X);
    if (li < 0 || onnx_set_int(x, li, "out", out) || set_window(x, li, k, s, d, p, true) ||
        onnx_set_int(x, li, "g", g) || onnx_set_int(x, li, "bias", B != NULL) ||
        onnx_expect_dim(x, li, 1, transposed ? wd[0] : wd[1] * g, W->name))
        return -1;
    if (transposed && (op[0] || op[1]) && onnx_set_ints(x, li, "op", 2, op))
        return -1;
    return 0;
}

int onnx_h_gemm(ox *x, const onode *n)
{
    oval *A, *B, *C;
    if (onnx_need_in(x, n, 0, &A, "A") || onnx_need_in(x, n, 1, &B, "B") ||
        onnx_node_in(x, n, 2, &C) || onnx_only_outputs(x, n, 1, "extra output"))
        return -1;
    int64_t ta = onnx_aint(n, "transA", 0), tb = onnx_aint(n, "transB", 0);
    oval *in = A;
    int li = -1;
    if (ta) { /* an explicit transpose layer: the IR gemm has no transA */
        int64_t perm[2] = {1, 0};
        li = onnx_emit(x, n, NPU_OP_TRANSPOSE, "transA", 1, &A, 1);
        if (li < 0 || onnx_set_ints(x, li, "perm", 2, perm))
            return -1;
        in = NULL;
    }
    oval tmpv;
    if (!in) { /* temporary value wrapping the transpose output */
        memset(&tmpv, 0, sizeof tmpv);
        tmpv.name = "transA";
        tmpv.kind = VK_ACT;
        tmpv.ti = x->g->l[li].out[0];
        in = &tmpv;
    }
    bool c_bias = C && is_const_like(C);
    bool c_add = C && !c_bias;
    if (is_const_like(B)) {
        int nd;
        int64_t bd[NPU_MAX_DIMS];
        if (onnx_need_shape(x, B, &nd, bd, "B"))
            return -1;
        if (nd != 2)
            return onnx_fmt_err(x, NPU_EINVAL, "B '%s' has %d dims, expected 2", B->name, nd);
        li = onnx_emit(x, n, NPU_OP_GEMM, c_add ? "gemm" : NULL, 1, &in, 1);
        if (li < 0 || onnx_set_int(x, li, "out", tb ? bd[0] : bd[1]) ||
            onnx_set_int(x, li, "bias", c_bias) || onnx_expect_dim(x, li, -1, tb ? bd[1] : bd[0],
                                                                   B->name))
            return -1;
    } else {
        oval *ins[2] = {in, B};
        li = onnx_emit(x, n, NPU_OP_MATMUL, C ? "matmul" : NULL, 2, ins, 1);
        if (li < 0 || (tb && onnx_set_int(x, li, "transb", 1)))
            return -1;
        c_add = C != NULL;
    }
    if (c_add) {
        oval tv = {0};
        tv.name = "gemm";
        tv.kind = VK_ACT;
        tv.ti = x->g->l[li].out[0];
        oval *ins[2] = {&tv, C};
        li = onnx_emit(x, n, NPU_OP_ADD, NULL, 2, ins, 1);
        if (li < 0)
            return -1;
    }
    return onnx_bind(x, n, 0, li, 0);
}

int onnx_h_pool(ox *x, const onode *n, npu_op op)
{
    oval *X;
    int64_t k[2] = {1, 1}, s[2], d[2], p[4];
    if (onnx_need_in(x, n, 0, &X, "X") || onnx_only_outputs(x, n, 1, "pooling indices"))
        return -1;
    const oattr *ks = onnx_attr(n, "kernel_shape");
    if (!ks)
        return onnx_fmt_err(x, NPU_EFORMAT, "missing attribute kernel_shape");
    int sp = (int)ks->nints;
    if (sp != 1 && sp != 2)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "%d-D pooling is not modelled (only 1-D and 2-D)",
                            sp);
    if (window_attrs(x, n, sp, k, s, d, p) || auto_pads(x, n, X, sp, k, s, d, p))
        return -1;
    if (op == NPU_OP_AVGPOOL && (d[0] != 1 || d[1] != 1))
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "dilated average pooling is not modelled");
    int li = emit_window(x, n, op, sp, X);
    if (li < 0 || set_window(x, li, k, s, d, p, op == NPU_OP_MAXPOOL && (d[0] > 1 || d[1] > 1)))
        return -1;
    if (onnx_aint(n, "ceil_mode", 0) && onnx_set_int(x, li, "ceil", 1))
        return -1;
    return 0;
}

int onnx_h_binary(ox *x, const onode *n, const opdef *od)
{
    oval *ins[16];
    int m = 0;
    if (onnx_only_outputs(x, n, 1, "extra output"))
        return -1;
    if (n->nin > 16)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "%d inputs (at most 16 are modelled)", n->nin);
    for (int i = 0; i < n->nin; i++) {
        oval *v;
        if (onnx_node_in(x, n, i, &v))
            return -1;
        if (v)
            ins[m++] = v;
    }
    if (m < 1 || (od->kind == K_BIN && m != 2))
        return onnx_fmt_err(x, NPU_EFORMAT, "has %d inputs", m);
    if (x->opset < 7 && m == 2 && onnx_aint(n, "broadcast", 0) && onnx_attr(n, "axis")) {
        /* legacy broadcasting (opset < 7): B's dims line up with A's from `axis`; append 1s to
         * B so that numpy broadcasting says the same */
        int na, nb;
        int64_t da[NPU_MAX_DIMS], db[NPU_MAX_DIMS], axis = onnx_aint(n, "axis", 0);
        if (onnx_need_shape(x, ins[0], &na, da, "input") ||
            onnx_need_shape(x, ins[1], &nb, db, "input"))
            return -1;
        if (axis < 0)
            axis += na;
        int64_t trail = axis >= 0 && axis <= na ? na - axis - nb : -1;
        if (trail < 0)
            return onnx_fmt_err(x, NPU_EINVAL, "broadcast axis %lld does not fit ranks %d and %d",
                                (long long)onnx_aint(n, "axis", 0), na, nb);
        if (trail > 0) {
            int64_t nd[NPU_MAX_DIMS];
            memcpy(nd, db, sizeof(int64_t) * (size_t)nb);
            for (int64_t i = 0; i < trail; i++)
                nd[nb + i] = 1;
            oval *b2 = onnx_xalloc(x, 1, sizeof *b2);
            if (!b2)
                return -1;
            if (ins[1]->kind == VK_CONST) {
                onnx_has_value(x, ins[1]);
                *b2 = *ins[1];
                b2->ti = -1;
                b2->tp = NULL;
                b2->val_tried = true;
                b2->shape_known = true;
            } else {
                int li = onnx_emit(x, n, NPU_OP_RESHAPE, "broadcast", 1, &ins[1], 1);
                if (li < 0 || onnx_set_ints(x, li, "shape", na - axis, nd))
                    return -1;
                b2->name = "broadcast";
                b2->kind = VK_ACT;
                b2->ti = x->g->l[li].out[0];
            }
            b2->ndim = (int)(na - axis);
            memcpy(b2->dim, nd, sizeof(int64_t) * (size_t)b2->ndim);
            ins[1] = b2;
        }
    }
    /* shape arithmetic on constants is evaluated here */
    bool all = true;
    for (int i = 0; i < m; i++)
        all = all && onnx_has_value(x, ins[i]);
    if (all && od->op != NPU_OP_POW) {
        if (m == 1) {
            return onnx_fold_view(x, n, ins[0], ins[0]->ndim, ins[0]->dim);
        }
        if (m == 2)
            return onnx_fold_binary(x, n, n->op, ins[0], ins[1]);
    }
    if (m == 1) {
        int li = onnx_emit1(x, n, NPU_OP_IDENTITY, 1, ins);
        return li < 0 ? -1 : 0;
    }
    return onnx_emit1(x, n, od->op, m, ins) < 0 ? -1 : 0;
}

int onnx_h_clip(ox *x, const onode *n)
{
    oval *X, *mn = NULL, *mx = NULL;
    bool hmin = false, hmax = false;
    double lo = -INFINITY, hi = INFINITY;
    if (onnx_need_in(x, n, 0, &X, "input"))
        return -1;
    if (x->opset < 11) {
        const oattr *a = onnx_attr(n, "min"), *b = onnx_attr(n, "max");
        if (a && a->has_f)
            lo = a->f, hmin = true;
        if (b && b->has_f)
            hi = b->f, hmax = true;
    } else {
        if (onnx_node_in(x, n, 1, &mn) || onnx_node_in(x, n, 2, &mx))
            return -1;
        if (mn) {
            if (onnx_need_value(x, mn, "min"))
                return -1;
            if (mn->nval != 1)
                return onnx_fmt_err(x, NPU_EINVAL, "min must be a scalar");
            lo = mn->fv[0];
            hmin = true;
        }
        if (mx) {
            if (onnx_need_value(x, mx, "max"))
                return -1;
            if (mx->nval != 1)
                return onnx_fmt_err(x, NPU_EINVAL, "max must be a scalar");
            hi = mx->fv[0];
            hmax = true;
        }
    }
    if (hmin && lo == 0 && hmax && hi == 6)
        return onnx_emit1(x, n, NPU_OP_RELU6, 1, &X) < 0 ? -1 : 0;
    if (hmin && lo == 0 && !hmax)
        return onnx_emit1(x, n, NPU_OP_RELU, 1, &X) < 0 ? -1 : 0;
    int li = onnx_emit1(x, n, NPU_OP_CLIP, 1, &X);
    if (li < 0)
        return -1;
    if (hmin && isfinite(lo) && onnx_set_float(x, li, "min", lo))
        return -1;
    if (hmax && isfinite(hi) && onnx_set_float(x, li, "max", hi))
        return -1;
    return 0;
}
