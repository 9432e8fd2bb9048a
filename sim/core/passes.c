/* passes.c — graph rewrites run before lowering (prefix npu_pass_ / npu_graph_compact /
 * npu_graph_prepare).
 *
 * Every pass keeps layer indices stable: a removed layer is marked NPU_LF_DEAD and its
 * consumers (and graph outputs) are rewired to the tensor that replaces its output. Passes are
 * linear in the graph size (a 9000-layer graph prepares in a few milliseconds).
 * npu_graph_compact() drops dead layers and unused tensors at the end. npu_pass_dtype is the
 * exception (dtype.c): it inserts conversion layers in the middle and renumbers (it runs after
 * compact).
 *
 * Choices (docs/formats.md has them for users):
 *  - fuse_patterns (before fold_bn) turns the chains exporters write for activations and norms
 *    (x·Sigmoid(x), Clip(x+3,0,6)/6, the Erf GELU, ReduceMean…Div LayerNorm …) into one op and
 *    folds a mul/add by a per-channel constant into the conv before it; see the comment above
 *    npu_pass_fuse_patterns for what blocks a pattern.
 *  - fold_bn folds a batchnorm into a conv/convt/gemm producer whose output feeds only that
 *    batchnorm and is not a graph output, and only once per producer (a second batchnorm in a
 *    row stays). The folded layer gets NPU_LF_BIAS | NPU_LF_BN_FOLDED and keeps the 2·K
 *    batchnorm parameters in its count (graph.c), so totals do not change.
 *  - fuse_act fuses any activation op except prelu (its slopes are per channel data the fused
 *    form has no place for) into a conv/gemm/matmul/eltwise/pool/norm producer with act==none
 *    whose output feeds only that activation and is not a graph output. Leaky's alpha (default
 *    0.01) and hardsigmoid's alpha (default 0.2) go to act_alpha; clip's min=/max= are copied
 *    to the producer as attributes.
 *  - the dtype policy (npu_pass_dtype, npu_pass_weight_dtype) is in dtype.c.
 */
#include "graph.h"

#include "rewrite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Number of live layers reading each tensor (a layer reading it twice counts once), and
 * whether each tensor is a graph output. */
int npu_rw_use_counts(const npu_graph *g, int **ncons, bool **is_out, npu_err *err)
{
    *ncons = npu_calloc((size_t)g->nt + 1, sizeof **ncons);
    *is_out = npu_calloc((size_t)g->nt + 1, sizeof **is_out);
    if (!*ncons || !*is_out) {
        free(*ncons);
        free(*is_out);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++) {
            bool dup = false;
            for (int j = 0; j < k; j++)
                dup = dup || l->in[j] == l->in[k];
            if (!dup)
                (*ncons)[l->in[k]]++;
        }
    }
    for (int i = 0; i < g->noutputs; i++)
        (*is_out)[g->outputs[i]] = true;
    return 0;
}

/* Rewiring is lazy so that a pass stays linear: repl[t] names the tensor that replaces t.
 * Layers are visited in topological order and resolve their inputs when visited (every
 * replacement concerns a tensor produced earlier); graph outputs are resolved at the end. */
static int resolve(const int *repl, int t)
{
    while (repl[t] >= 0)
        t = repl[t];
    return t;
}

void npu_rw_resolve_inputs(npu_graph *g, npu_layer *l, const int *repl)
{
    for (int k = 0; k < l->nin; k++)
        l->in[k] = resolve(repl, l->in[k]);
}

static void resolve_outputs(npu_graph *g, const int *repl)
{
    int n = 0;
    for (int i = 0; i < g->noutputs; i++) {
        int t = resolve(repl, g->outputs[i]);
        bool dup = false;
        for (int j = 0; j < n; j++)
            dup = dup || g->outputs[j] == t;
        if (!dup)
            g->outputs[n++] = t;
    }
    g->noutputs = n;
}

int *npu_rw_new_repl(const npu_graph *g)
{
    int *r = malloc(sizeof(int) * ((size_t)g->nt + 1));
    for (int i = 0; r && i < g->nt; i++)
        r[i] = -1;
    return r;
}

/* The state of a pass that removes layers (fold_bn, fuse_act): use counts, graph outputs and
 * the lazy replacements. rw_end resolves the graph outputs and frees it all. */
typedef struct rewrite {
    int *ncons;
    bool *is_out;
    int *repl;
} rewrite;

static int rw_begin(const npu_graph *g, rewrite *w, npu_err *err)
{
    int rc = npu_rw_use_counts(g, &w->ncons, &w->is_out, err);
    if (rc)
        return rc;
    w->repl = npu_rw_new_repl(g);
    if (!w->repl) {
        free(w->ncons);
        free(w->is_out);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    return 0;
}

/* Layer output `from` is replaced by `to`: its readers and its graph-output role move over. */
static void rw_replace(rewrite *w, int from, int to)
{
    w->repl[from] = to;
    w->ncons[to] += w->ncons[from];
    w->ncons[from] = 0;
    if (w->is_out[from]) {
        w->is_out[to] = true;
        w->is_out[from] = false;
    }
}

static void rw_end(npu_graph *g, rewrite *w)
{
    resolve_outputs(g, w->repl);
    free(w->repl);
    free(w->ncons);
    free(w->is_out);
}

int npu_pass_fold_bn(npu_graph *g, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    npu_graph_touch(g); /* the pass rewrites layers in place */
    rewrite w;
    int rc = rw_begin(g, &w, err);
    if (rc)
        return rc;
    for (int bi = 0; bi < g->nl; bi++) {
        npu_layer *b = &g->l[bi];
        if (b->flags & NPU_LF_DEAD)
            continue;
        npu_rw_resolve_inputs(g, b, w.repl);
        if (b->op != NPU_OP_BATCHNORM || b->nin < 1 || b->nout != 1)
            continue;
        int x = b->in[0];
        int pi = g->t[x].producer;
        if (pi < 0 || pi >= g->nl)
            continue;
        npu_layer *p = &g->l[pi];
        if ((p->flags & (NPU_LF_DEAD | NPU_LF_BN_FOLDED)) || p->act != NPU_ACT_NONE)
            continue;
        if (p->op != NPU_OP_CONV && p->op != NPU_OP_CONVT && p->op != NPU_OP_GEMM)
            continue;
        if (w.ncons[x] != 1 || w.is_out[x] || b->act != NPU_ACT_NONE)
            continue;
        p->flags |= NPU_LF_BN_FOLDED | NPU_LF_BIAS;
        b->flags |= NPU_LF_DEAD;
        rw_replace(&w, b->out[0], x);
    }
    rw_end(g, &w);
    return 0;
}

/* ---- pattern fusion --------------------------------------------------------------------------
 * Exporters write activations and norms as chains of primitive ops (SiLU as x·Sigmoid(x), GELU
 * with Erf, LayerNorm as ReduceMean…Div); every vendor compiler recognises the chains and runs
 * one fused operator, so this pass does the same for every front end (docs/formats.md lists the
 * patterns). A pattern is matched at its last layer (the anchor), walking back through
 * producers; the anchor becomes the fused op in place (it keeps its name, output and line) and
 * the other layers of the chain die. A pattern is blocked when
 *  - an intermediate value is read by a layer outside the pattern or is a graph output (it
 *    would be lost),
 *  - an operand that must be constant is not, or a constant's value is not the one that makes
 *    the function (x·Sigmoid(x) fuses; x·Sigmoid(y) or (x+2)·… do not),
 *  - a layer of the chain has a fused activation, runs on the host (host=1, an ONNX op without
 *    a model), or has more than one output,
 *  - the chain would change the shape (a constant that broadcasts x to a bigger shape).
 * Layers are visited in topological order, so a pattern built from an earlier fused one
 * (HardSwish = x·HardSigmoid(x) after Clip(x+3,0,6)/6 became a hardsigmoid) is found. */
typedef struct pat {
    npu_graph *g;
    rewrite w;
    int *cons; /* a live reader of each tensor when the pass began (checked before use) */
} pat;

/* Layer l may be part of a pattern: live, one output, no fused activation, nothing the host
 * runs (host=1, an ONNX op without a model). */
static bool plain(const npu_layer *l)
{
    return !(l->flags & (NPU_LF_DEAD | NPU_LF_HOST)) && !l->src_op && l->act == NPU_ACT_NONE &&
           l->nout == 1;
}

/* The live producer of tensor t when it is a plain `op` layer; -1 otherwise. */
static int prod(const pat *p, int t, npu_op op)
{
    const npu_graph *g = p->g;
    int li = t >= 0 && t < g->nt ? g->t[t].producer : -1;
    if (li < 0 || li >= g->nl)
        return -1;
    const npu_layer *l = &g->l[li];
    return l->op == op && plain(l) ? li : -1;
}

/* Tensor t is an intermediate value: read by exactly `uses` layers (those of the pattern) and
 * not a graph output. */
static bool inner(const pat *p, int t, int uses)
{
    return p->w.ncons[t] == uses && !p->w.is_out[t];
}

/* Tensor t is a constant every element of which is `want`; the relative tolerance 1e-3 admits
 * the rounded values exporters write (0.16667 for 1/6, 1.4142 for √2). */
static bool cval(const npu_graph *g, int t, double want)
{
    const npu_tensor *c = &g->t[t];
    return c->kind == NPU_T_CONST && c->has_value && fabs(c->value - want) <= 1e-3 * fabs(want);
}

static bool same_shape(const npu_graph *g, int a, int b)
{
    const npu_tensor *x = &g->t[a], *y = &g->t[b];
    if (!x->shape_known || !y->shape_known || x->ndim != y->ndim)
        return false;
    for (int i = 0; i < x->ndim; i++)
        if (x->dim[i] != y->dim[i])
            return false;
    return true;
}

/* Layer li reads a constant of value v as one input of two; returns the other input or -1. */
static int by_const(const pat *p, int li, double v)
{
    const npu_layer *l = &p->g->l[li];
    if (l->nin != 2)
        return -1;
    return cval(p->g, l->in[1], v) ? l->in[0] : cval(p->g, l->in[0], v) ? l->in[1] : -1;
}

static void unuse(pat *p, const npu_layer *l)
{
    for (int k = 0; k < l->nin; k++) {
        bool dup = false;
        for (int j = 0; j < k; j++)
            dup = dup || l->in[j] == l->in[k];
        if (!dup)
            p->w.ncons[l->in[k]]--;
    }
}

static void kill(pat *p, int li)
{
    npu_layer *l = &p->g->l[li];
    unuse(p, l);
    l->flags |= NPU_LF_DEAD;
}

/* The anchor li becomes `op` reading x alone; its old attributes go (the caller sets new ones). */
static void become(pat *p, int li, npu_op op, int x)
{
    npu_layer *l = &p->g->l[li];
    unuse(p, l);
    l->op = op;
    l->nin = 1;
    l->in[0] = x;
    l->nattr = 0;
    p->w.ncons[x]++;
}

/* Mul(x, f1(f2(…(x)))) in either operand order, with f1, f2 … the unary ops of `chain`
 * (outermost first) each read by the next only; `ok` (may be NULL) vets f1's layer. The Mul
 * becomes `to` reading x. SiLU is Mul(x, Sigmoid(x)), Mish Mul(x, Tanh(Softplus(x))). */
static int mul_self(pat *p, int li, const npu_op *chain, int n, bool (*ok)(const npu_layer *),
                    npu_op to)
{
    npu_graph *g = p->g;
    const npu_layer *l = &g->l[li];
    if (l->op != NPU_OP_MUL || l->nin != 2)
        return 0;
    for (int k = 0; k < 2; k++) {
        int t = l->in[k], x = l->in[1 - k], parts[4], j;
        for (j = 0; j < n && j < 4; j++) {
            parts[j] = inner(p, t, 1) ? prod(p, t, chain[j]) : -1;
            if (parts[j] < 0 || g->l[parts[j]].nin != 1 || (j == 0 && ok && !ok(&g->l[parts[j]])))
                break;
            t = g->l[parts[j]].in[0];
        }
        if (j < n || t != x)
            continue;
        for (j = 0; j < n; j++)
            kill(p, parts[j]);
        become(p, li, to, x);
        return 1;
    }
    return 0;
}

/* A clip whose bounds are constant inputs with known values (.npg "clip r x lo hi", what an
 * ONNX Clip of opset 11 is) takes them as attributes, and one with bounds 0 and 6 becomes
 * relu6, as the ONNX importer does; activation fusion only fuses one-input activations. */
static int m_clip(pat *p, int li)
{
    npu_graph *g = p->g;
    const npu_layer *l = &g->l[li];
    if (l->op != NPU_OP_CLIP || l->nin != 3 || npu_layer_attr_k(l, NPU_K_MIN) ||
        npu_layer_attr_k(l, NPU_K_MAX))
        return 0;
    const npu_tensor *lo = &g->t[l->in[1]], *hi = &g->t[l->in[2]];
    if (lo->kind != NPU_T_CONST || hi->kind != NPU_T_CONST || !lo->has_value || !hi->has_value ||
        npu_tensor_elems(lo) != 1 || npu_tensor_elems(hi) != 1 || lo->value > hi->value)
        return 0;
    double mn = lo->value, mx = hi->value;
    bool r6 = mn == 0 && mx == 6;
    become(p, li, r6 ? NPU_OP_RELU6 : NPU_OP_CLIP, l->in[0]);
    if (!r6 && (npu_layer_set_float(g, li, "min", mn) || npu_layer_set_float(g, li, "max", mx)))
        return -1;
    return 1;
}

static int m_silu(pat *p, int li)
{
    static const npu_op chain[] = {NPU_OP_SIGMOID};
    return mul_self(p, li, chain, 1, NULL, NPU_OP_SILU);
}

/* Clip(x + 3, 0, 6) spelled relu6(add(x, 3)) or clip(add(x, 3)) min=0 max=6: returns x and
 * the two layers (clip, add), or -1. The clip's output is checked by the caller. */
static int clip3(const pat *p, int t, int parts[2])
{
    const npu_graph *g = p->g;
    int ci = prod(p, t, NPU_OP_RELU6);
    if (ci < 0 && (ci = prod(p, t, NPU_OP_CLIP)) >= 0) {
        /* (a clip with constant bounds as inputs became relu6 in m_clip already) */
        const npu_layer *c = &g->l[ci];
        if (npu_layer_float_k(c, NPU_K_MIN, -1) != 0 || npu_layer_float_k(c, NPU_K_MAX, 0) != 6)
            ci = -1;
    }
    if (ci < 0 || g->l[ci].nin != 1)
        return -1;
    int a = g->l[ci].in[0];
    int ai = prod(p, a, NPU_OP_ADD);
    int x = ai >= 0 ? by_const(p, ai, 3.0) : -1;
    if (x < 0 || !inner(p, a, 1) || !same_shape(g, a, x))
        return -1;
    parts[0] = ci;
    parts[1] = ai;
    return x;
}

/* y / 6 or y · (1/6): returns y or -1. */
static int sixth(const pat *p, int li)
{
    const npu_layer *l = &p->g->l[li];
    if (l->op == NPU_OP_DIV && l->nin == 2 && cval(p->g, l->in[1], 6.0))
        return l->in[0];
    return l->op == NPU_OP_MUL ? by_const(p, li, 1.0 / 6.0) : -1;
}

/* HardSigmoid as PyTorch's hardswish/hardsigmoid exports spell it: Clip(x+3, 0, 6) / 6 (or
 * ·0.16667, Relu6 for the Clip) → hardsigmoid(x) alpha=1/6 beta=0.5. */
static int m_hsig(pat *p, int li)
{
    npu_graph *g = p->g;
    int c = sixth(p, li), parts[2];
    int x = c >= 0 && inner(p, c, 1) ? clip3(p, c, parts) : -1;
    if (x < 0 || !same_shape(g, g->l[li].out[0], x))
        return 0;
    kill(p, parts[0]);
    kill(p, parts[1]);
    become(p, li, NPU_OP_HARDSIGMOID, x);
    if (npu_layer_set_float(g, li, "alpha", 1.0 / 6.0) || npu_layer_set_float(g, li, "beta", 0.5))
        return -1;
    return 1;
}

static bool hsig_is_sixth(const npu_layer *h)
{
    return fabs(npu_layer_float_k(h, NPU_K_ALPHA, 0.2) - 1.0 / 6.0) <= 1e-3 / 6.0 &&
           fabs(npu_layer_float_k(h, NPU_K_BETA, 0.5) - 0.5) <= 0.5e-3;
}

/* HardSwish: Mul(x, HardSigmoid(x)) with alpha 1/6 and beta 0.5 (ONNX HardSigmoid's defaults
 * are 0.2 and 0.5: that one is not HardSwish), or x·Clip(x+3,0,6) then /6 (·0.16667). */
static int m_hswish(pat *p, int li)
{
    npu_graph *g = p->g;
    static const npu_op chain[] = {NPU_OP_HARDSIGMOID};
    int rc = mul_self(p, li, chain, 1, hsig_is_sixth, NPU_OP_HARDSWISH);
    if (rc)
        return rc;
    int m = sixth(p, li);
    int mi = m >= 0 && inner(p, m, 1) ? prod(p, m, NPU_OP_MUL) : -1;
    if (mi < 0)
        return 0;
    for (int k = 0; k < 2; k++) {
        int c = g->l[mi].in[k], x = g->l[mi].in[1 - k], parts[2];
        if (!inner(p, c, 1) || clip3(p, c, parts) != x || !same_shape(g, g->l[li].out[0], x))
            continue;
        kill(p, parts[0]);
        kill(p, parts[1]);
        kill(p, mi);
        become(p, li, NPU_OP_HARDSWISH, x);
        return 1;
    }
    return 0;
}

/* Mul or Add by a per-channel constant right after a conv/convt/gemm (channel axis 1 for
 * convolutions, the last axis for gemm; a scalar counts): folds into the producer as a
 * batchnorm does (fold_bn's rules: the producer has no fused activation, its output is read by
 * this layer only and is not a graph output). A mul scales the weights (no new parameters),
 * an add becomes (or adds to) the bias. Unlike a batchnorm, any number of them fold: each is
 * linear. The layer goes; its readers read the producer. */
static int m_chan(pat *p, int li)
{
    npu_graph *g = p->g;
    const npu_layer *l = &g->l[li];
    if ((l->op != NPU_OP_MUL && l->op != NPU_OP_ADD) || l->nin != 2)
        return 0;
    for (int k = 0; k < 2; k++) {
        int y = l->in[1 - k];
        const npu_tensor *c = &g->t[l->in[k]], *ty = &g->t[y];
        int pi = ty->producer;
        if (c->kind != NPU_T_CONST || pi < 0 || pi >= g->nl || !inner(p, y, 1) ||
            !same_shape(g, l->out[0], y) || c->ndim > ty->ndim)
            continue;
        const npu_layer *pl = &g->l[pi];
        if ((pl->op != NPU_OP_CONV && pl->op != NPU_OP_CONVT && pl->op != NPU_OP_GEMM) ||
            !plain(pl) || ty->ndim < 1)
            continue;
        int chan = pl->op == NPU_OP_GEMM ? ty->ndim - 1 : 1;
        bool per_channel = true;
        for (int j = 0; j < c->ndim; j++) {
            int a = ty->ndim - c->ndim + j;
            per_channel = per_channel && (c->dim[j] == 1 || a == chan);
        }
        if (!per_channel)
            continue;
        if (l->op == NPU_OP_ADD && npu_layer_set_int(g, pi, "bias", 1))
            return -1;
        kill(p, li);
        rw_replace(&p->w, g->l[li].out[0], y);
        return 1;
    }
    return 0;
}

/* MatMul(A, Transpose(B)) with the transpose swapping the last two axes only (torch's
 * `q @ k.transpose(-2, -1)` in attention): the matmul reads B with transb toggled, as every
 * vendor compiler does (the GEMM engines read either layout). The transpose goes when the
 * matmul is its only reader and its output is not a graph output. */
static int m_tmatmul(pat *p, int li)
{
    npu_graph *g = p->g;
    const npu_layer *l = &g->l[li];
    if (l->op != NPU_OP_MATMUL || l->nin != 2)
        return 0;
    int t = l->in[1], ti = prod(p, t, NPU_OP_TRANSPOSE);
    if (ti < 0 || !inner(p, t, 1) || g->l[ti].nin != 1)
        return 0;
    const npu_layer *tl = &g->l[ti];
    const npu_attr *pa = npu_layer_attr_k(tl, NPU_K_PERM);
    int nd = g->t[t].ndim;
    if (!pa || pa->n != nd || nd < 2 || l->in[0] == t)
        return 0;
    for (int i = 0; i < nd; i++) {
        int64_t want = i == nd - 2 ? nd - 1 : i == nd - 1 ? nd - 2 : i;
        if (npu_layer_int_k(tl, NPU_K_PERM, i, -1) != want)
            return 0;
    }
    int b = tl->in[0];
    int64_t tb = npu_layer_int_k(l, NPU_K_TRANSB, 0, 0);
    kill(p, ti);
    g->l[li].in[1] = b;
    p->w.ncons[b]++;
    return npu_layer_set_int(g, li, "transb", !tb) ? -1 : 1;
}

static int m_mish(pat *p, int li)
{
    static const npu_op chain[] = {NPU_OP_TANH, NPU_OP_SOFTPLUS};
    return mul_self(p, li, chain, 2, NULL, NPU_OP_MISH);
}

/* ---- GELU ---- */

/* x³ as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x); adds its layers to parts. */
static bool cube_of(const pat *p, int c, int x, int *parts, int *np)
{
    const npu_graph *g = p->g;
    int ci = prod(p, c, NPU_OP_POW);
    if (ci >= 0 && g->l[ci].nin == 2 && g->l[ci].in[0] == x && cval(g, g->l[ci].in[1], 3.0)) {
        parts[(*np)++] = ci;
        return true;
    }
    ci = prod(p, c, NPU_OP_MUL);
    if (ci < 0 || g->l[ci].nin != 2)
        return false;
    for (int k = 0; k < 2; k++) {
        int sq = g->l[ci].in[k];
        int si = g->l[ci].in[1 - k] == x && sq != x ? prod(p, sq, NPU_OP_MUL) : -1;
        if (si >= 0 && g->l[si].nin == 2 && g->l[si].in[0] == x && g->l[si].in[1] == x &&
            inner(p, sq, 1)) {
            parts[(*np)++] = ci;
            parts[(*np)++] = si;
            return true;
        }
    }
    return false;
}

/* 1 + Erf(x/√2) (the division possibly ·0.70711) or 1 + Tanh(0.79788·(x + 0.044715·x³)):
 * returns x and adds the layers to parts (at most 7), or -1. */
static int gelu_core(const pat *p, int a, int *parts, int *np)
{
    const npu_graph *g = p->g;
    int ai = prod(p, a, NPU_OP_ADD);
    int e = ai >= 0 ? by_const(p, ai, 1.0) : -1;
    if (e < 0 || !inner(p, e, 1))
        return -1;
    parts[(*np)++] = ai;
    int ei = prod(p, e, NPU_OP_ERF);
    if (ei >= 0) {
        int d = g->l[ei].in[0];
        int di = inner(p, d, 1) ? prod(p, d, NPU_OP_DIV) : -1, x = -1;
        if (di >= 0 && g->l[di].nin == 2 && cval(g, g->l[di].in[1], 1.4142135623730951))
            x = g->l[di].in[0];
        else if ((di = inner(p, d, 1) ? prod(p, d, NPU_OP_MUL) : -1) >= 0)
            x = by_const(p, di, 0.7071067811865476);
        if (x < 0)
            return -1;
        parts[(*np)++] = ei;
        parts[(*np)++] = di;
        return x;
    }
    if ((ei = prod(p, e, NPU_OP_TANH)) < 0)
        return -1;
    parts[(*np)++] = ei;
    int sc = g->l[ei].in[0];
    int si = inner(p, sc, 1) ? prod(p, sc, NPU_OP_MUL) : -1;
    int u = si >= 0 ? by_const(p, si, 0.7978845608028654) : -1;
    int ui = u >= 0 && inner(p, u, 1) ? prod(p, u, NPU_OP_ADD) : -1;
    if (ui < 0 || g->l[ui].nin != 2)
        return -1;
    parts[(*np)++] = si;
    parts[(*np)++] = ui;
    for (int k = 0; k < 2; k++) {
        int x = g->l[ui].in[k], v = g->l[ui].in[1 - k];
        int vi = inner(p, v, 1) ? prod(p, v, NPU_OP_MUL) : -1;
        int c3 = vi >= 0 ? by_const(p, vi, 0.044715) : -1;
        int n0 = *np;
        parts[(*np)++] = vi;
        if (c3 >= 0 && inner(p, c3, 1) && cube_of(p, c3, x, parts, np))
            return x;
        *np = n0;
    }
    return -1;
}

/* GELU: 0.5·x·(1 + Erf(x/√2)) or its tanh approximation, in the two orders exporters use:
 * Mul(Mul(x, core), 0.5) and Mul(Mul(x, 0.5), core) → gelu(x). */
static int m_gelu(pat *p, int li)
{
    npu_graph *g = p->g;
    const npu_layer *l = &g->l[li];
    if (l->op != NPU_OP_MUL || l->nin != 2)
        return 0;
    int parts[10], np = 0, x = -1;
    int m1 = by_const(p, li, 0.5);
    int mi = m1 >= 0 && inner(p, m1, 1) ? prod(p, m1, NPU_OP_MUL) : -1;
    for (int k = 0; mi >= 0 && g->l[mi].nin == 2 && k < 2 && x < 0; k++) {
        int a = g->l[mi].in[k];
        np = 0;
        parts[np++] = mi;
        x = inner(p, a, 1) ? gelu_core(p, a, parts, &np) : -1;
        if (x != g->l[mi].in[1 - k])
            x = -1;
    }
    for (int k = 0; k < 2 && x < 0; k++) { /* (x·0.5)·core */
        int h = l->in[k], a = l->in[1 - k];
        int hi = inner(p, h, 1) ? prod(p, h, NPU_OP_MUL) : -1;
        int hx = hi >= 0 ? by_const(p, hi, 0.5) : -1;
        if (hx < 0 || !inner(p, a, 1))
            continue;
        np = 0;
        parts[np++] = hi;
        x = gelu_core(p, a, parts, &np);
        if (x != hx)
            x = -1;
    }
    if (x < 0 || !same_shape(g, l->out[0], x))
        return 0;
    for (int k = 0; k < np; k++)
        kill(p, parts[k]);
    become(p, li, NPU_OP_GELU, x);
    return 1;
}

/* ---- LayerNorm and RMSNorm ---- */

/* Tensor m is ReduceMean(x) with keep=1 over the trailing axes a..rank-1: returns a, or -1. */
static int mean_of(const pat *p, int m, int x)
{
    const npu_graph *g = p->g;
    int mi = prod(p, m, NPU_OP_REDUCE);
    if (mi < 0 || g->l[mi].nin != 1 || g->l[mi].in[0] != x)
        return -1;
    const npu_layer *l = &g->l[mi];
    int r = g->t[x].ndim;
    if (strcmp(npu_layer_str_k(l, NPU_K_KIND, ""), "mean") || npu_layer_int_k(l, NPU_K_KEEP, 0, 1) != 1 ||
        r < 1)
        return -1;
    const npu_attr *ax = npu_layer_attr_k(l, NPU_K_AXES);
    bool red[NPU_MAX_DIMS] = {0};
    for (int i = 0; i < r; i++)
        red[i] = !ax;
    for (int i = 0; ax && ax->type == NPU_ATTR_INTS && i < ax->n; i++) {
        int64_t a = ax->i[i] < 0 ? ax->i[i] + r : ax->i[i];
        if (a < 0 || a >= r)
            return -1;
        red[a] = true;
    }
    int first = r;
    while (first > 0 && red[first - 1])
        first--;
    for (int i = 0; i < first; i++)
        if (red[i])
            return -1; /* not a trailing block */
    return first < r ? first : -1;
}

/* sq = Sqrt(ReduceMean(x², trailing axes) + eps) with x² as Pow(x, 2) or Mul(x, x): returns
 * the first normalised axis (eps in *eps, NAN when the constant's value is unknown) and adds
 * the four layers to parts, or -1. */
static int rms_core(const pat *p, int sq, int x, int *parts, int *np, double *eps)
{
    const npu_graph *g = p->g;
    int sqi = inner(p, sq, 1) ? prod(p, sq, NPU_OP_SQRT) : -1;
    int ad = sqi >= 0 ? g->l[sqi].in[0] : -1;
    int adi = ad >= 0 && inner(p, ad, 1) ? prod(p, ad, NPU_OP_ADD) : -1;
    if (adi < 0 || g->l[adi].nin != 2)
        return -1;
    for (int k = 0; k < 2; k++) {
        int v = g->l[adi].in[k];
        const npu_tensor *e = &g->t[g->l[adi].in[1 - k]];
        if (e->kind != NPU_T_CONST || npu_tensor_elems(e) != 1 || !inner(p, v, 1))
            continue;
        const npu_layer *vl = prod(p, v, NPU_OP_REDUCE) >= 0 ? &g->l[g->t[v].producer] : NULL;
        int q = vl && vl->nin == 1 ? vl->in[0] : -1;
        int qi = q >= 0 && inner(p, q, 1) ? prod(p, q, NPU_OP_POW) : -1;
        bool sqr = qi >= 0 && g->l[qi].nin == 2 && g->l[qi].in[0] == x &&
                   cval(g, g->l[qi].in[1], 2.0);
        if (!sqr && q >= 0 && inner(p, q, 1) && (qi = prod(p, q, NPU_OP_MUL)) >= 0)
            sqr = g->l[qi].nin == 2 && g->l[qi].in[0] == x && g->l[qi].in[1] == x;
        int ax = sqr ? mean_of(p, v, q) : -1;
        if (ax < 0)
            continue;
        *eps = e->has_value ? e->value : NAN;
        parts[(*np)++] = sqi;
        parts[(*np)++] = adi;
        parts[(*np)++] = g->t[v].producer;
        parts[(*np)++] = qi;
        return ax;
    }
    return -1;
}

/* The only live layer reading tensor t, when it is a two-input `op` by a constant of the same
 * shape as its output (gamma, beta, the RMSNorm weight); -1 otherwise. */
static int affine_tail(const pat *p, int t, npu_op op)
{
    const npu_graph *g = p->g;
    int ci = inner(p, t, 1) ? p->cons[t] : -1;
    if (ci < 0 || ci >= g->nl)
        return -1;
    const npu_layer *c = &g->l[ci];
    if (c->op != op || c->nin != 2 || !plain(c))
        return -1;
    int k = c->in[0] == t ? 1 : c->in[1] == t ? 0 : -1;
    if (k < 0 || g->t[c->in[k]].kind != NPU_T_CONST || !same_shape(g, c->out[0], t))
        return -1;
    return ci;
}

/* LayerNorm as exported before opset 17 (PyTorch, BERT):
 *   m = ReduceMean(x); d = Sub(x, m); y = Div(d, Sqrt(ReduceMean(Pow(d, 2)) + eps))
 *   [then Mul(·, gamma const), Add(·, beta const)]          → layernorm(x) axis= eps= affine=
 * and RMSNorm (T5, LLaMA):
 *   y = Div(x, Sqrt(ReduceMean(x²) + eps)) or Mul(x, Reciprocal(Sqrt(…))) or Mul(x, Div(1, Sqrt(…)))
 *   [then Mul(·, weight const)]                              → rmsnorm(x) axis= eps= affine=
 * over the same trailing axes. The fused layer is the last one of the chain (after the tail). */
static int m_norm(pat *p, int li)
{
    npu_graph *g = p->g;
    const npu_layer *l = &g->l[li];
    int parts[12], np = 0, x = -1, ax = -1;
    double eps = NAN;
    npu_op op = NPU_OP_RMSNORM;
    if (l->op == NPU_OP_DIV && l->nin == 2) {
        int d = l->in[0];
        ax = rms_core(p, l->in[1], d, parts, &np, &eps);
        int si = ax >= 0 && inner(p, d, 2) ? prod(p, d, NPU_OP_SUB) : -1;
        if (si >= 0 && g->l[si].nin == 2) {
            int xx = g->l[si].in[0], m = g->l[si].in[1];
            if (inner(p, m, 1) && mean_of(p, m, xx) == ax) {
                parts[np++] = si;
                parts[np++] = g->t[m].producer;
                op = NPU_OP_LAYERNORM;
                d = xx;
            }
        }
        x = ax >= 0 ? d : -1;
    } else if (l->op == NPU_OP_MUL && l->nin == 2) {
        for (int k = 0; k < 2 && ax < 0; k++) {
            int r = l->in[k];
            int ri = inner(p, r, 1) ? prod(p, r, NPU_OP_RECIPROCAL) : -1, sq = -1;
            if (ri >= 0)
                sq = g->l[ri].in[0];
            else if ((ri = inner(p, r, 1) ? prod(p, r, NPU_OP_DIV) : -1) >= 0 &&
                     g->l[ri].nin == 2 && cval(g, g->l[ri].in[0], 1.0))
                sq = g->l[ri].in[1];
            np = 0;
            if (sq >= 0 && (ax = rms_core(p, sq, l->in[1 - k], parts, &np, &eps)) >= 0) {
                parts[np++] = ri;
                x = l->in[1 - k];
            }
        }
    }
    if (x < 0 || !same_shape(g, l->out[0], x))
        return 0;
    /* the affine tail: the fused layer moves to its last layer */
    int last = li, affine = 0, t1 = affine_tail(p, l->out[0], NPU_OP_MUL);
    if (t1 >= 0) {
        parts[np++] = last;
        last = t1;
        affine = 1;
        int t2 = op == NPU_OP_LAYERNORM ? affine_tail(p, g->l[t1].out[0], NPU_OP_ADD) : -1;
        if (t2 >= 0) {
            parts[np++] = last;
            last = t2;
        }
    }
    for (int k = 0; k < np; k++)
        kill(p, parts[k]);
    become(p, last, op, x);
    if (npu_layer_set_int(g, last, "axis", ax - g->t[x].ndim) ||
        npu_layer_set_int(g, last, "affine", affine) ||
        (!isnan(eps) && npu_layer_set_float(g, last, "eps", eps)))
        return -1;
    return 1;
}

int npu_pass_fuse_patterns(npu_graph *g, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    npu_graph_touch(g); /* the pass rewrites layers in place */
    pat p = {.g = g};
    int rc = rw_begin(g, &p.w, err);
    if (rc)
        return rc;
    if (!(p.cons = malloc(sizeof(int) * ((size_t)g->nt + 1)))) {
        rw_end(g, &p.w);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    for (int i = 0; i < g->nt; i++)
        p.cons[i] = -1;
    for (int li = 0; li < g->nl; li++)
        for (int k = 0; !(g->l[li].flags & NPU_LF_DEAD) && k < g->l[li].nin; k++)
            p.cons[g->l[li].in[k]] = li;
    /* two sweeps: the activation and norm patterns first, then the per-channel folds, so that
     * the +3 of conv → Add(3) → Relu6 → Div(6) stays part of a HardSigmoid instead of becoming
     * the conv's bias */
    for (int sweep = 0; sweep < 2 && rc >= 0; sweep++)
        for (int li = 0; li < g->nl && rc >= 0; li++) {
            npu_layer *l = &g->l[li];
            if (l->flags & NPU_LF_DEAD)
                continue;
            npu_rw_resolve_inputs(g, l, p.w.repl);
            if (!plain(l))
                continue;
            if (sweep == 1)
                rc = m_chan(&p, li);
            else if (!(rc = m_clip(&p, li)) && !(rc = m_silu(&p, li)) && !(rc = m_hsig(&p, li)) &&
                     !(rc = m_hswish(&p, li)) && !(rc = m_mish(&p, li)) &&
                     !(rc = m_gelu(&p, li)) && !(rc = m_tmatmul(&p, li)))
                rc = m_norm(&p, li);
        }
    rw_end(g, &p.w);
    free(p.cons);
    if (rc < 0)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    return 0;
}

static bool fusable_producer(npu_op op)
{
    switch (npu_op_class(op)) {
    case NPU_OPC_CONV:
    case NPU_OPC_GEMM:
    case NPU_OPC_ELTWISE:
    case NPU_OPC_POOL:
    case NPU_OPC_NORM:
        return true;
    default:
        return false;
    }
}

int npu_pass_fuse_act(npu_graph *g, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    npu_graph_touch(g); /* the pass rewrites layers in place */
    rewrite w;
    int rc = rw_begin(g, &w, err);
    if (rc)
        return rc;
    for (int ai = 0; ai < g->nl && !rc; ai++) {
        npu_layer *a = &g->l[ai];
        if (a->flags & NPU_LF_DEAD)
            continue;
        npu_rw_resolve_inputs(g, a, w.repl);
        npu_act act = npu_op_act(a->op);
        if (act == NPU_ACT_NONE || act == NPU_ACT_PRELU || a->nin != 1 || a->nout != 1 ||
            a->act != NPU_ACT_NONE)
            continue;
        int x = a->in[0];
        int pi = g->t[x].producer;
        if (pi < 0 || pi >= g->nl)
            continue;
        npu_layer *p = &g->l[pi];
        if ((p->flags & NPU_LF_DEAD) || p->act != NPU_ACT_NONE || p->nout != 1 ||
            !fusable_producer(p->op))
            continue;
        if (w.ncons[x] != 1 || w.is_out[x])
            continue;
        double alpha = 0;
        if (act == NPU_ACT_LEAKY)
            alpha = npu_layer_float_k(a, NPU_K_ALPHA, 0.01);
        else if (act == NPU_ACT_HARDSIGMOID)
            alpha = npu_layer_float_k(a, NPU_K_ALPHA, 0.2);
        if (act == NPU_ACT_CLIP) {
            const npu_attr *mn = npu_layer_attr_k(a, NPU_K_MIN), *mx = npu_layer_attr_k(a, NPU_K_MAX);
            if ((mn && npu_layer_attr_k(p, NPU_K_MIN)) || (mx && npu_layer_attr_k(p, NPU_K_MAX)))
                continue; /* the producer already uses these keys */
            if (mn && npu_layer_set_float(g, pi, "min", npu_layer_float_k(a, NPU_K_MIN, 0)))
                rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            if (mx && npu_layer_set_float(g, pi, "max", npu_layer_float_k(a, NPU_K_MAX, 0)))
                rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            a = &g->l[ai];
            p = &g->l[pi];
        }
        p->act = act;
        p->act_alpha = alpha;
        a->flags |= NPU_LF_DEAD;
        rw_replace(&w, a->out[0], x);
    }
    rw_end(g, &w);
    return rc;
}

int npu_pass_views(npu_graph *g, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    npu_graph_touch(g); /* the pass rewrites layers in place */
    for (int li = 0; li < g->nl; li++) {
        npu_layer *l = &g->l[li];
        /* host layers (src_op) are real work on the CPU, never views */
        if ((l->flags & NPU_LF_DEAD) || npu_op_class(l->op) != NPU_OPC_VIEW || l->nin < 1 ||
            l->src_op)
            continue;
        l->flags |= NPU_LF_VIEW;
        int src = l->in[0];
        int root = g->t[src].view_of >= 0 ? g->t[src].view_of : src;
        for (int k = 0; k < l->nout; k++)
            g->t[l->out[k]].view_of = root;
    }
    return 0;
}

int npu_graph_compact(npu_graph *g, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    int *tmap = malloc(sizeof(int) * ((size_t)g->nt + 1));
    int *lmap = malloc(sizeof(int) * ((size_t)g->nl + 1));
    if (!tmap || !lmap) {
        free(tmap);
        free(lmap);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    /* which tensors survive */
    for (int i = 0; i < g->nt; i++) {
        const npu_tensor *t = &g->t[i];
        tmap[i] = t->kind == NPU_T_INPUT ? 0
                  : t->kind == NPU_T_ACT ? (t->producer >= 0 && t->producer < g->nl &&
                                                    !(g->l[t->producer].flags & NPU_LF_DEAD)
                                                ? 0
                                                : -1)
                                         : -1; /* consts: kept when used */
    }
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++) {
            const npu_tensor *t = &g->t[l->in[k]];
            if (t->kind == NPU_T_CONST)
                tmap[l->in[k]] = 0;
            else if (tmap[l->in[k]] < 0) {
                free(tmap);
                free(lmap);
                return npu_err_set(err, NPU_ESIM,
                                   "%s: %s '%s' reads '%s' whose producer was "
                                   "removed",
                                   npu_graph_label(g), npu_op_name(l->op), l->name, t->name);
            }
        }
    }
    for (int i = 0; i < g->noutputs; i++) {
        int ti = g->outputs[i];
        if (g->t[ti].kind == NPU_T_CONST)
            tmap[ti] = 0;
        if (tmap[ti] < 0) {
            free(tmap);
            free(lmap);
            return npu_err_set(err, NPU_ESIM, "%s: output '%s' is produced by a removed layer",
                               npu_graph_label(g), g->t[ti].name);
        }
    }
    int nt = 0, nl = 0;
    for (int i = 0; i < g->nt; i++)
        tmap[i] = tmap[i] < 0 ? -1 : nt++;
    for (int li = 0; li < g->nl; li++)
        lmap[li] = (g->l[li].flags & NPU_LF_DEAD) ? -1 : nl++;
    for (int i = 0; i < g->nt; i++) {
        if (tmap[i] < 0)
            continue;
        npu_tensor t = g->t[i];
        t.producer = t.producer >= 0 ? lmap[t.producer] : -1;
        t.view_of = t.view_of >= 0 ? tmap[t.view_of] : -1;
        g->t[tmap[i]] = t;
    }
    for (int li = 0; li < g->nl; li++) {
        if (lmap[li] < 0)
            continue;
        npu_layer l = g->l[li];
        for (int k = 0; k < l.nin; k++)
            l.in[k] = tmap[l.in[k]];
        for (int k = 0; k < l.nout; k++)
            l.out[k] = tmap[l.out[k]];
        g->l[lmap[li]] = l;
    }
    for (int i = 0; i < g->ninputs; i++)
        g->inputs[i] = tmap[g->inputs[i]];
    for (int i = 0; i < g->noutputs; i++)
        g->outputs[i] = tmap[g->outputs[i]];
    if (nt != g->nt || nl != g->nl)
        npu_graph_touch(g); /* renumbered; with nothing dropped the maps are the identity */
    g->nt = nt;
    g->nl = nl;
    /* tensors were renumbered: drop the name index (graph.c rebuilds it on the next change) */
    free(g->name_index);
    g->name_index = NULL;
    g->name_index_cap = g->name_index_n = 0;
    free(tmap);
    free(lmap);
    return 0;
}

int npu_graph_prepare(npu_graph *g, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    npu_graph_touch(g); /* front ends and builders write layer fields directly */
    if (g->noutputs == 0) {
        /* no output line: every live layer output nobody reads is an output */
        for (int li = 0; li < g->nl; li++) {
            const npu_layer *l = &g->l[li];
            if (l->flags & NPU_LF_DEAD)
                continue;
            for (int k = 0; k < l->nout; k++) {
                int ti = l->out[k];
                if (npu_graph_consumers(g, ti, NULL, 0) == 0 &&
                    npu_graph_mark_output(g, g->t[ti].name, err))
                    return err ? err->code : NPU_ENOMEM;
            }
        }
    }
    int rc;
    if ((rc = npu_graph_infer(g, err)) || (rc = npu_pass_fuse_patterns(g, err)) ||
        (rc = npu_pass_fold_bn(g, err)) ||
        (rc = npu_pass_fuse_act(g, err)) || (rc = npu_pass_views(g, err)) ||
        (rc = npu_graph_compact(g, err)) || (rc = npu_graph_infer(g, err)))
        return rc;
    return 0;
}
