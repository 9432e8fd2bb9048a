/* infer.c — shape inference and counting: the driver (prefix npu_graph_ / npu_infer_; the
 * rules of each op class are in shape.c, what they share in infer.h).
 *
 * Choices made where graph.h is silent (docs/formats.md explains them for users):
 *  - Limits: every dim is in [1, 2^31-1] and every tensor has at most 2^48 elements; larger
 *    values are errors, never wrapped numbers. Scalars (ndim 0) only come out of reductions,
 *    squeezes and consts declared `scalar`.
 *  - Output dtype of a layer: `to=` for cast/quantize/dequantize, the layer's dtype when it was
 *    chosen explicitly (NPU_LF_DTYPE), otherwise the dtype of its first input. A layer without
 *    NPU_LF_DTYPE gets dtype = its output dtype.
 *  - MACs: conv N·K·Ho·Wo·(C/g)·kh·kw, convt N·C·H·W·(K/g)·kh·kw, gemm M·N·K, matmul
 *    batch·M·N·K; every other op counts 0 MACs (pooling, element-wise and normalisation work
 *    is not multiply-accumulate work on a MAC array; models cost it per element).
 *  - Parameters: implicit weights of conv/convt/gemm (+bias; +2·K when a batchnorm was folded,
 *    so that totals do not change with folding), batchnorm 2·C, layernorm 2·prod(normalised
 *    dims), rmsnorm prod(normalised dims), prelu one slope per channel. Constant inputs are
 *    counted (once, at their first consumer) for matmul, element-wise ops, gather, concat and
 *    prelu: those are learned tensors in exported networks (embedding tables, biases, layer
 *    scales, class tokens). Extra const inputs of conv/gemm/norm/quantize/clip are ignored (the
 *    implicit count already covers weights; scales and clip bounds are not learned).
 *  - gemm flattens its input: rank 1 [K] → M=1; rank 2 [M,K]; rank 3 [B,S,K] → M=B·S, output
 *    [B,S,N] (nn.Linear on a sequence); rank >= 4 [N,C,H,W] → M=N, K=C·H·W, output [N,N'].
 *  - Pooling default stride is 1 (ONNX), ceil=1 drops a last window that would start in the
 *    right padding (ONNX/PyTorch rule). conv_geom on pooling reports groups = C (depthwise).
 *  - Once per graph state (issue 20): a successful inference sets g->inferred and indexes the
 *    consumers of every tensor; every mutator clears the flag (npu_graph_touch). A design point
 *    clones a prepared graph, so the dtype policy's first inference and the one before lowering
 *    cost nothing, and a model's consumer queries are O(1) instead of a scan of all layers.
 */
#include "infer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Formats "file:line: op 'name': " into buf. */
static void lprefix(const npu_graph *g, const npu_layer *l, char *buf, size_t n)
{
    if (l->line > 0)
        snprintf(buf, n, "%s:%d: %s '%s': ", npu_graph_label(g), l->line, npu_op_name(l->op),
                 l->name);
    else
        snprintf(buf, n, "%s: %s '%s': ", npu_graph_label(g), npu_op_name(l->op), l->name);
}

int npu_infer_lerr(const npu_graph *g, const npu_layer *l, npu_err *err, const char *fmt, ...)
{
    char pre[512], msg[NPU_ERR_MSG];
    lprefix(g, l, pre, sizeof pre);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return npu_err_set(err, NPU_EINVAL, "%s%s", pre, msg);
}

/* The n ints d joined by sep ("1x3x224x224" for dims, "1,-1" for a shape= list). */
void npu_infer_fmt_ints(char *buf, size_t n, int count, const int64_t *d, char sep)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < count && o < n; i++) {
        int w = i ? snprintf(buf + o, n - o, "%c%lld", sep, (long long)d[i])
                  : snprintf(buf + o, n - o, "%lld", (long long)d[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

void npu_infer_fmt_dims(char *buf, size_t n, int ndim, const int64_t *d)
{
    if (ndim == 0)
        snprintf(buf, n, "scalar");
    else
        npu_infer_fmt_ints(buf, n, ndim, d, 'x');
}

/* checked a*b for non-negative values; returns -1 on overflow of int64 */
int64_t npu_infer_cmul(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return -1;
    if (a != 0 && b > INT64_MAX / a)
        return -1;
    return a * b;
}

int npu_infer_set_out(npu_ictx *c, int k, const npu_shape *s, npu_dtype dt)
{
    npu_tensor *t = &c->g->t[c->l->out[k]];
    int64_t e = 1;
    for (int i = 0; i < s->ndim; i++) {
        if (s->d[i] < 1) {
            char d[160];
            npu_infer_fmt_dims(d, sizeof d, s->ndim, s->d);
            return npu_infer_lerr(c->g, c->l, c->err,
                                  "output '%s' would have an empty dimension (%s)", t->name, d);
        }
        if (s->d[i] > NPU_DIM_MAX)
            return npu_infer_lerr(c->g, c->l, c->err,
                                  "output '%s': dim %d is %lld, more than 2^31-1", t->name, i,
                                  (long long)s->d[i]);
        if (e > NPU_ELEM_MAX / s->d[i])
            return npu_infer_lerr(c->g, c->l, c->err, "output '%s' has more than 2^48 elements",
                                  t->name);
        e *= s->d[i];
    }
    t->ndim = s->ndim;
    for (int i = 0; i < NPU_MAX_DIMS; i++)
        t->dim[i] = i < s->ndim ? s->d[i] : 0;
    t->dtype = dt;
    t->shape_known = true;
    return 0;
}

/* A host layer (an operator npusim has no model for, e.g. ONNX TopK, kept with its original
 * name in src_op) cannot have its shapes inferred: the front end records output k's shape and
 * dtype as attributes out_shape / out_dtype (k = 0) or out_shape<k> / out_dtype<k>, and those are
 * used as given. Without them the output takes the first input's shape. */
static int host_out_shape(npu_ictx *c, int k, npu_shape *s, npu_dtype *dt)
{
    char key[32];
    snprintf(key, sizeof key, k ? "out_shape%d" : "out_shape", k);
    const npu_attr *a = npu_layer_attr(c->l, key);
    if (a) {
        if (a->type != NPU_ATTR_INTS || a->n < 1 || a->n > NPU_MAX_DIMS)
            return npu_infer_lerr(c->g, c->l, c->err, "%s= must be 1 to %d integers", key,
                                  NPU_MAX_DIMS);
        s->ndim = a->n;
        for (int i = 0; i < a->n; i++)
            s->d[i] = a->i[i];
    }
    snprintf(key, sizeof key, k ? "out_dtype%d" : "out_dtype", k);
    const char *d = npu_layer_str(c->l, key, NULL);
    if (d && npu_dtype_parse(d, dt))
        return npu_infer_lerr(c->g, c->l, c->err, "%s='%s' is not a data type", key, d);
    return 0;
}

/* "unknown attribute" naming the keys the op's row accepts (the nearest one when close). */
static int unknown_attr(npu_ictx *c, const npu_attr *a)
{
    char keys[128];
    npu_op_keys_text(c->l->op, keys, sizeof keys);
    const char *cands[NPU_OP_MAXKEYS + 1];
    const npu_opinfo *o = npu_op_info(c->l->op);
    int nc = 0;
    for (; nc < NPU_OP_MAXKEYS && o->keys[nc]; nc++)
        cands[nc] = npu_attr_key_name((npu_attr_key)o->keys[nc]);
    cands[nc] = NULL;
    const char *dy = npu_did_you_mean(a->key, cands);
    if (dy)
        return npu_infer_lerr(c->g, c->l, c->err, "unknown attribute '%s' (did you mean '%s'?)",
                              a->key, dy);
    return npu_infer_lerr(c->g, c->l, c->err, "unknown attribute '%s'%s%s%s", a->key,
                          keys[0] ? " (known: " : " (this op takes none)", keys,
                          keys[0] ? ")" : "");
}

/* Checks attribute keys and types of layer l against its row of the op table. */
static int check_attrs(npu_ictx *c)
{
    npu_layer *l = c->l;
    npu_opclass cls = npu_op_class(l->op);
    for (int i = 0; i < l->nattr; i++) {
        const npu_attr *a = &l->attr[i];
        bool clip_key = l->act == NPU_ACT_CLIP && (a->id == NPU_K_MIN || a->id == NPU_K_MAX);
        /* wdtype= (mixed precision, npu_pass_weight_dtype): the dtype of a MAC layer's weights */
        if (a->id == NPU_K_WDTYPE && (cls == NPU_OPC_CONV || cls == NPU_OPC_GEMM)) {
            npu_dtype wd;
            if (a->type != NPU_ATTR_STR || npu_dtype_parse(a->s, &wd) != 0)
                return npu_infer_lerr(c->g, l, c->err, "wdtype=%s is not a dtype",
                                      a->type == NPU_ATTR_STR ? a->s : "(not a name)");
            continue;
        }
        /* nm=N,M (SCALE-Sim v3 structured sparsity, sim/front/scalesim.c): N of every M
         * weights along the reduction are non-zero */
        if (a->id == NPU_K_NM && (l->op == NPU_OP_CONV || cls == NPU_OPC_GEMM)) {
            if (a->type != NPU_ATTR_INTS || a->n != 2 || a->i[0] < 1 || a->i[0] > a->i[1])
                return npu_infer_lerr(c->g, l, c->err, "nm= must be two integers N,M with "
                                      "1 <= N <= M");
            continue;
        }
        if (!l->src_op && !clip_key && !npu_op_takes(l->op, a->id))
            return unknown_attr(c, a);
        npu_attr_kind kind = npu_attr_key_kind(a->id);
        if (kind == NPU_AK_FREE)
            continue; /* host/unsupported op attribute: free form */
        bool ok = kind == NPU_AK_INTS  ? a->type == NPU_ATTR_INTS
                  : kind == NPU_AK_STR ? a->type == NPU_ATTR_STR
                  : kind == NPU_AK_NUM
                      ? (a->type == NPU_ATTR_FLOAT || (a->type == NPU_ATTR_INTS && a->n == 1))
                      : a->type != NPU_ATTR_STR;
        if (!ok)
            return npu_infer_lerr(c->g, l, c->err, "attribute %s= has the wrong type (expects %s)",
                                  a->key,
                                  kind == NPU_AK_INTS  ? "integers"
                                  : kind == NPU_AK_STR ? "a name"
                                                       : "a number");
        if (a->type == NPU_ATTR_INTS && (a->n < 1 || a->n > NPU_ATTR_MAXN))
            return npu_infer_lerr(c->g, l, c->err, "attribute %s= has %d values", a->key, a->n);
        if (a->type == NPU_ATTR_FLOAT && isnan(a->f))
            return npu_infer_lerr(c->g, l, c->err, "attribute %s= is not a number", a->key);
    }
    return 0;
}

/* Input count and kinds against the op's row: [min_in, max_in] inputs, those after the first
 * act_in constants. Fills c->x. */
static int check_inputs(npu_ictx *c)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    const npu_opinfo *op = npu_op_info(l->op);
    int lo = op->min_in, hi = op->max_in, nact = op->act_in;
    if (l->src_op && l->nin >= 1) {
        /* an operator npusim has no model for (ONNX TopK ...), kept as a host layer: its extra
         * inputs are whatever the original op took. Only extra ones: the op's own inputs are
         * still required, since its shape rule reads them (src= on a matmul with one input
         * used to reach infer_matmul with a NULL second operand). */
        if (hi < l->nin)
            hi = l->nin;
        nact = l->nin;
    }
    if (l->nin < lo || l->nin > hi) {
        if (lo == hi)
            return npu_infer_lerr(g, l, c->err, "takes %d input%s, got %d", lo, lo == 1 ? "" : "s",
                                  l->nin);
        return npu_infer_lerr(g, l, c->err, "takes %d..%d inputs, got %d", lo, hi, l->nin);
    }
    for (int i = 0; i < l->nin; i++) {
        if (l->in[i] < 0 || l->in[i] >= g->nt)
            return npu_infer_lerr(g, l, c->err, "input %d is not a tensor", i);
        const npu_tensor *t = &g->t[l->in[i]];
        if (!t->shape_known)
            return npu_infer_lerr(g, l, c->err, "input '%s' is used before it is produced%s",
                                  t->name,
                                  t->producer >= 0 && (g->l[t->producer].flags & NPU_LF_DEAD)
                                      ? " (its producer was removed)"
                                      : "");
        if (i >= nact && t->kind != NPU_T_CONST)
            return npu_infer_lerr(g, l, c->err, "input %d ('%s') must be a constant", i, t->name);
        if (i < 4)
            c->x[i] = t;
    }
    return 0;
}

/* The output dtype (c->dt): to= for the quant class, the layer's dtype when chosen explicitly,
 * else the first input's; a layer without NPU_LF_DTYPE takes it as its dtype. */
static int out_dtype(npu_ictx *c)
{
    npu_layer *l = c->l;
    const npu_tensor *x = c->x[0];
    c->dt = x->dtype;
    if (npu_op_class(l->op) == NPU_OPC_QUANT) {
        const char *s = npu_layer_str_k(l, NPU_K_TO, NULL);
        if (!s)
            return npu_infer_lerr(c->g, l, c->err, "missing attribute to= (target dtype)");
        if (npu_dtype_parse(s, &c->dt))
            return npu_infer_lerr(c->g, l, c->err, "to=%s is not a dtype", s);
        npu_dtype dt = c->dt;
        if (l->op == NPU_OP_QUANTIZE && (!npu_dtype_is_float(x->dtype) || npu_dtype_is_float(dt)))
            return npu_infer_lerr(c->g, l, c->err,
                                  "quantize converts a float tensor to an integer type "
                                  "('%s' is %s, to=%s)",
                                  x->name, npu_dtype_name(x->dtype), npu_dtype_name(dt));
        if (l->op == NPU_OP_DEQUANTIZE && (npu_dtype_is_float(x->dtype) || !npu_dtype_is_float(dt)))
            return npu_infer_lerr(c->g, l, c->err,
                                  "dequantize converts an integer tensor to a float type "
                                  "('%s' is %s, to=%s)",
                                  x->name, npu_dtype_name(x->dtype), npu_dtype_name(dt));
    } else if (l->flags & NPU_LF_DTYPE)
        c->dt = l->dtype;
    if (!(l->flags & NPU_LF_DTYPE))
        l->dtype = c->dt;
    return 0;
}

static int infer_layer(npu_graph *g, int li, bool *counted, npu_err *err)
{
    npu_layer *l = &g->l[li];
    npu_ictx cc = {.g = g, .l = l, .err = err}, *c = &cc;
    int rc;
    if ((unsigned)l->op >= NPU_OP_COUNT || (unsigned)l->act >= NPU_ACT_COUNT ||
        (unsigned)l->dtype >= NPU_DT_COUNT)
        return npu_infer_lerr(g, l, err, "corrupt layer (op, act or dtype out of range)");
    if ((rc = check_inputs(c)) || (rc = check_attrs(c)) || (rc = out_dtype(c)))
        return rc;
    const npu_tensor *x = c->x[0];
    npu_shape o = {.ndim = x->ndim};
    for (int i = 0; i < x->ndim; i++)
        o.d[i] = x->dim[i];
    npu_opclass cls = npu_op_class(l->op);
    if ((rc = npu_shape_rules[cls](c, &o)))
        return rc;
    if (c->count_consts)
        for (int i = 0; i < l->nin; i++) {
            const npu_tensor *t = &g->t[l->in[i]];
            if (t->kind == NPU_T_CONST && !counted[l->in[i]]) {
                counted[l->in[i]] = true;
                c->params += npu_tensor_elems(t);
            }
        }
    for (int k = 0; k < l->nout && !c->outs_set; k++) {
        npu_shape ok = o;
        npu_dtype odt = c->dt;
        if (l->src_op && (rc = host_out_shape(c, k, &ok, &odt)))
            return rc;
        if ((rc = npu_infer_set_out(c, k, &ok, odt)))
            return rc;
    }
    l->macs = c->macs;
    const npu_attr *nm = npu_layer_attr_k(l, NPU_K_NM);
    if (nm && l->nout > 0 && l->macs > 0) {
        /* N:M sparse weights: the MACs of the kept weights, K' = floor(K/M)·N + min(N, K mod M)
         * of every output's K reduction terms (the systolic model's compressed filter rows) */
        int64_t outs = npu_tensor_elems(&g->t[l->out[0]]);
        int64_t k = outs > 0 ? l->macs / outs : 0, n_ = nm->i[0], m_ = nm->i[1];
        if (k > 0 && l->macs % outs == 0)
            l->macs = outs * (k / m_ * n_ + (k % m_ < n_ ? k % m_ : n_));
    }
    l->params = c->params;
    if (cls == NPU_OPC_CONV || l->op == NPU_OP_GEMM) {
        if (npu_layer_int_k(l, NPU_K_BIAS, 0, 0) || (l->flags & NPU_LF_BN_FOLDED))
            l->flags |= NPU_LF_BIAS;
        else
            l->flags &= ~(uint32_t)NPU_LF_BIAS;
    }
    if (l->flags & NPU_LF_VIEW)
        for (int k = 0; k < l->nout; k++) {
            int src = l->in[0];
            g->t[l->out[k]].view_of = g->t[src].view_of >= 0 ? g->t[src].view_of : src;
        }
    return 0;
}

/* A reshape that writes a literal leading dim while its input carries the batch `batch`
 * (npu_graph_set_batch): the shape was fixed for another batch. */
static int check_batch_reshape(const npu_graph *g, const npu_layer *l, int64_t batch, npu_err *err)
{
    if (l->op != NPU_OP_RESHAPE || l->nin < 1)
        return 0;
    const npu_attr *sh = npu_layer_attr_k(l, NPU_K_SHAPE);
    const npu_tensor *x = &g->t[l->in[0]];
    if (!sh || sh->type != NPU_ATTR_INTS || sh->n < 1 || !x->shape_known || x->ndim < 1 ||
        x->dim[0] != batch || sh->i[0] == 0 || sh->i[0] == -1 || sh->i[0] == batch)
        return 0;
    char dbuf[160];
    npu_infer_fmt_ints(dbuf, sizeof dbuf, sh->n, sh->i, ',');
    return npu_infer_lerr(
        g, l, err,
        "shape=%s hard-codes batch %lld, the graph now runs batch %lld (write 0 or -1 "
        "as the leading dim to follow the input's batch)",
        dbuf, (long long)sh->i[0], (long long)batch);
}

/* Whether input k of l is the first that reads its tensor (a layer consumes a tensor once). */
static bool first_read(const npu_layer *l, int k)
{
    for (int j = 0; j < k; j++)
        if (l->in[j] == l->in[k])
            return false;
    return true;
}

/* The consumer index (graph.h: cons_off/cons): the live layers reading each tensor, a layer
 * reading a tensor twice listed once, in layer order. Counting sort over the layers' inputs. */
static int index_consumers(npu_graph *g)
{
    int *off = realloc(g->cons_off, sizeof *off * ((size_t)g->nt + 1));
    if (!off)
        return -1;
    g->cons_off = off;
    memset(off, 0, sizeof *off * ((size_t)g->nt + 1));
    size_t n = 0;
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++)
            if (first_read(l, k)) {
                off[l->in[k] + 1]++;
                n++;
            }
    }
    for (int t = 0; t < g->nt; t++)
        off[t + 1] += off[t];
    int *cons = realloc(g->cons, sizeof *cons * (n + 1));
    int *fill = malloc(sizeof *fill * ((size_t)g->nt + 1));
    if (!cons || !fill) {
        free(fill);
        if (cons)
            g->cons = cons;
        return -1;
    }
    g->cons = cons;
    memcpy(fill, off, sizeof *fill * (size_t)g->nt);
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++)
            if (first_read(l, k))
                cons[fill[l->in[k]]++] = li;
    }
    free(fill);
    return 0;
}

/* npu_graph_infer; with batch > 0 it also refuses reshapes that hard-code another batch. */
static int infer_all(npu_graph *g, int64_t batch, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    for (int i = 0; i < g->nt; i++) {
        npu_tensor *t = &g->t[i];
        if (t->kind == NPU_T_ACT) {
            t->shape_known = false;
            t->view_of = -1;
        }
    }
    g->inferred = false;
    bool *counted = npu_calloc((size_t)g->nt + 1, sizeof *counted);
    if (!counted)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    int rc = 0;
    for (int li = 0; li < g->nl && !rc; li++) {
        npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD) {
            l->macs = l->params = 0;
            continue;
        }
        if (batch > 0)
            rc = check_batch_reshape(g, l, batch, err);
        if (!rc)
            rc = infer_layer(g, li, counted, err);
    }
    free(counted);
    if (rc)
        return rc;
    for (int i = 0; i < g->noutputs; i++) {
        const npu_tensor *t = &g->t[g->outputs[i]];
        if (!t->shape_known)
            return npu_err_set(err, NPU_EINVAL, "%s: output '%s' is produced by a removed layer",
                               npu_graph_label(g), t->name);
    }
    if (index_consumers(g))
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    g->inferred = true;
    return 0;
}

int npu_graph_infer(npu_graph *g, npu_err *err)
{
    if (g && g->inferred)
        return 0;
    return infer_all(g, 0, err);
}

void npu_graph_touch(npu_graph *g)
{
    if (g)
        g->inferred = false;
}

int npu_graph_set_batch(npu_graph *g, int64_t n, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    if (n < 1 || n > NPU_DIM_MAX)
        return npu_err_set(err, NPU_EINVAL, "%s: batch %lld is not a positive dimension",
                           npu_graph_label(g), (long long)n);
    if (g->ninputs == 0)
        return npu_err_set(err, NPU_EINVAL, "%s: the graph has no inputs to give batch %lld",
                           npu_graph_label(g), (long long)n);
    const npu_tensor *x0 = &g->t[g->inputs[0]];
    char dbuf[160];
    if (x0->ndim < 2) {
        npu_infer_fmt_dims(dbuf, sizeof dbuf, x0->ndim, x0->dim);
        return npu_err_set(err, NPU_EINVAL,
                           "%s: input '%s' (%s) has no batch dimension (rank %d; a batched "
                           "input has the batch as its leading dim)",
                           npu_graph_label(g), x0->name, dbuf, x0->ndim);
    }
    int64_t b = x0->dim[0];
    /* b == n (already read at batch n: an ONNX symbolic batch) still checks the inputs */
    if (x0->ndim == 2 && b != 1 && b != n) {
        /* [M, K] with M > 1: rows of a matrix (tokens, a SCALE-Sim GEMM's M) as often as a
         * batch; replacing M by n would be a guess */
        npu_infer_fmt_dims(dbuf, sizeof dbuf, x0->ndim, x0->dim);
        return npu_err_set(err, NPU_EINVAL,
                           "%s: input '%s' (%s) has no batch dimension: the leading dim of a 2-D "
                           "input is a batch only when it is 1 (here it may be the rows of a "
                           "matrix)",
                           npu_graph_label(g), x0->name, dbuf);
    }
    for (int i = 1; i < g->ninputs; i++) {
        const npu_tensor *x = &g->t[g->inputs[i]];
        if (x->ndim < 2 || x->dim[0] != b) {
            npu_infer_fmt_dims(dbuf, sizeof dbuf, x->ndim, x->dim);
            return npu_err_set(err, NPU_EINVAL,
                               "%s: input '%s' (%s) has no batch dimension: its leading dim is "
                               "not the batch %lld of input '%s', so batch %lld cannot be set",
                               npu_graph_label(g), x->name, dbuf, (long long)b, x0->name,
                               (long long)n);
        }
    }
    if (b == n)
        return 0;
    for (int i = 0; i < g->ninputs; i++)
        g->t[g->inputs[i]].dim[0] = n;
    if (g->items > 0) /* a builder's count per run scales with the batch */
        g->items = g->items / b * n;
    return infer_all(g, n, err);
}
