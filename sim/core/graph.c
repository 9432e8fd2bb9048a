/* graph.c — the operator-graph IR: name tables, building, attributes, shape inference and
 * MAC/parameter counting (prefix npu_graph_ / npu_layer_ / npu_tensor_).
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
 */
#include "graph.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM_MAX ((int64_t)INT32_MAX)
#define ELEM_MAX ((int64_t)1 << 48)
#define NOUT_MAX 256

/* ---- name tables ------------------------------------------------------------------------- */
static const struct {
    const char *name;
    int bits;
    bool is_float;
} dtype_tab[] = {
#define NPU_X(e, s, b, f) {s, b, f},
    NPU_DTYPE_LIST(NPU_X)
#undef NPU_X
};

const char *npu_dtype_name(npu_dtype t)
{
    return (unsigned)t < NPU_DT_COUNT ? dtype_tab[t].name : "?";
}
int npu_dtype_bits(npu_dtype t)
{
    return (unsigned)t < NPU_DT_COUNT ? dtype_tab[t].bits : 0;
}
bool npu_dtype_is_float(npu_dtype t)
{
    return (unsigned)t < NPU_DT_COUNT && dtype_tab[t].is_float;
}
int npu_dtype_parse(const char *s, npu_dtype *out)
{
    for (int i = 0; s && i < NPU_DT_COUNT; i++)
        if (strcmp(s, dtype_tab[i].name) == 0) {
            *out = (npu_dtype)i;
            return 0;
        }
    return -1;
}
int64_t npu_dtype_bytes(npu_dtype t, int64_t elems)
{
    int64_t bits = npu_dtype_bits(t);
    if (elems <= 0 || bits == 0)
        return 0;
    if (elems > INT64_MAX / bits)
        return INT64_MAX;
    return (elems * bits + 7) / 8;
}

static const char *const act_names[] = {
#define NPU_X(e, s) s,
    NPU_ACT_LIST(NPU_X)
#undef NPU_X
};
const char *npu_act_name(npu_act a)
{
    return (unsigned)a < NPU_ACT_COUNT ? act_names[a] : "?";
}
int npu_act_parse(const char *s, npu_act *out)
{
    for (int i = 0; s && i < NPU_ACT_COUNT; i++)
        if (strcmp(s, act_names[i]) == 0) {
            *out = (npu_act)i;
            return 0;
        }
    return -1;
}

static const struct {
    const char *name;
    npu_opclass cls;
} op_tab[] = {
#define NPU_X(e, s, c) {s, c},
    NPU_OP_LIST(NPU_X)
#undef NPU_X
};
static const char *const opclass_names[NPU_OPC_COUNT] = {
    "conv", "gemm", "pool", "eltwise", "act", "unary", "norm", "data", "view", "quant", "reduce"};

const char *npu_op_name(npu_op op)
{
    return (unsigned)op < NPU_OP_COUNT ? op_tab[op].name : "?";
}
npu_opclass npu_op_class(npu_op op)
{
    return (unsigned)op < NPU_OP_COUNT ? op_tab[op].cls : NPU_OPC_DATA;
}
const char *npu_opclass_name(npu_opclass c)
{
    return (unsigned)c < NPU_OPC_COUNT ? opclass_names[c] : "?";
}
int npu_op_parse(const char *s, npu_op *out)
{
    for (int i = 0; s && i < NPU_OP_COUNT; i++)
        if (strcmp(s, op_tab[i].name) == 0) {
            *out = (npu_op)i;
            return 0;
        }
    return -1;
}
npu_act npu_op_act(npu_op op)
{
    switch (op) {
    case NPU_OP_RELU:
        return NPU_ACT_RELU;
    case NPU_OP_RELU6:
        return NPU_ACT_RELU6;
    case NPU_OP_LEAKY:
        return NPU_ACT_LEAKY;
    case NPU_OP_PRELU:
        return NPU_ACT_PRELU;
    case NPU_OP_SIGMOID:
        return NPU_ACT_SIGMOID;
    case NPU_OP_TANH:
        return NPU_ACT_TANH;
    case NPU_OP_HARDSWISH:
        return NPU_ACT_HARDSWISH;
    case NPU_OP_HARDSIGMOID:
        return NPU_ACT_HARDSIGMOID;
    case NPU_OP_SILU:
        return NPU_ACT_SILU;
    case NPU_OP_GELU:
        return NPU_ACT_GELU;
    case NPU_OP_CLIP:
        return NPU_ACT_CLIP;
    case NPU_OP_MISH:
        return NPU_ACT_MISH;
    default:
        return NPU_ACT_NONE;
    }
}

/* ---- tensors ------------------------------------------------------------------------------ */
int64_t npu_tensor_elems(const npu_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->dim[i] <= 0)
            return 0;
        if (n > INT64_MAX / t->dim[i])
            return INT64_MAX;
        n *= t->dim[i];
    }
    return n;
}
int64_t npu_tensor_bytes(const npu_tensor *t)
{
    return npu_dtype_bytes(t->dtype, npu_tensor_elems(t));
}

/* ---- building ------------------------------------------------------------------------------ */
npu_graph *npu_graph_new(const char *name)
{
    npu_graph *g = npu_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    npu_arena_init(&g->arena);
    g->name = npu_arena_strdup(&g->arena, name ? name : "graph");
    g->file = npu_arena_strdup(&g->arena, "");
    g->dtype = NPU_DT_COUNT; /* unset: the first input decides */
    if (!g->name || !g->file) {
        npu_graph_free(g);
        return NULL;
    }
    return g;
}

void npu_graph_free(npu_graph *g)
{
    if (!g)
        return;
    free(g->t);
    free(g->l);
    free(g->inputs);
    free(g->outputs);
    free(g->name_index);
    npu_arena_free(&g->arena);
    free(g);
}

static int grow_int(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = (size_t)*cap;
    if (npu_grow(p, &c, (size_t)need, elem))
        return NPU_ENOMEM;
    *cap = c > INT_MAX ? INT_MAX : (int)c;
    return 0;
}

/* ---- name index ------------------------------------------------------------------------------
 * An open-addressing hash table of tensor indices (FNV-1a, linear probing, load <= 1/2). The
 * mutating functions keep it in step with the tensor array (tensors are only ever appended, and
 * compact drops the index); a lookup on a graph whose index is stale, or that could not get
 * memory for it, scans linearly, so const lookups never write (graphs are shared by threads). */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void index_drop(npu_graph *g)
{
    free(g->name_index);
    g->name_index = NULL;
    g->name_index_cap = g->name_index_n = 0;
}

static void index_put(npu_graph *g, int ti)
{
    uint32_t m = (uint32_t)g->name_index_cap - 1, h = name_hash(g->t[ti].name) & m;
    while (g->name_index[h] >= 0)
        h = (h + 1) & m;
    g->name_index[h] = ti;
}

/* Brings the index up to date; on allocation failure the graph simply has no index. */
static void index_sync(npu_graph *g)
{
    if (g->name_index && g->name_index_n > g->nt)
        index_drop(g);
    if (g->name_index && g->name_index_n == g->nt)
        return;
    if (!g->name_index || (int64_t)g->nt * 2 + 2 > g->name_index_cap) {
        int64_t cap = 64;
        while (cap < (int64_t)g->nt * 4 + 4)
            cap *= 2;
        if (cap > INT_MAX / 2) {
            index_drop(g);
            return;
        }
        index_drop(g);
        g->name_index = malloc(sizeof(int) * (size_t)cap);
        if (!g->name_index)
            return;
        g->name_index_cap = (int)cap;
        for (int64_t i = 0; i < cap; i++)
            g->name_index[i] = -1;
    }
    for (int i = g->name_index_n; i < g->nt; i++)
        index_put(g, i);
    g->name_index_n = g->nt;
}

int npu_graph_find_tensor(const npu_graph *g, const char *name)
{
    if (!g || !name)
        return -1;
    if (g->name_index && g->name_index_n == g->nt) {
        uint32_t m = (uint32_t)g->name_index_cap - 1, h = name_hash(name) & m;
        for (int ti; (ti = g->name_index[h]) >= 0; h = (h + 1) & m)
            if (strcmp(g->t[ti].name, name) == 0)
                return ti;
        return -1;
    }
    for (int i = 0; i < g->nt; i++)
        if (strcmp(g->t[i].name, name) == 0)
            return i;
    return -1;
}

int npu_graph_find_layer(const npu_graph *g, const char *name)
{
    if (!g || !name)
        return -1;
    if (g->name_index && g->name_index_n == g->nt) {
        /* a layer's first output tensor carries its name */
        int ti = npu_graph_find_tensor(g, name);
        int li = ti >= 0 ? g->t[ti].producer : -1;
        return li >= 0 && li < g->nl && strcmp(g->l[li].name, name) == 0 ? li : -1;
    }
    for (int i = 0; i < g->nl; i++)
        if (strcmp(g->l[i].name, name) == 0)
            return i;
    return -1;
}

static const char *gname(const npu_graph *g)
{
    return g->file && g->file[0] ? g->file : g->name;
}

/* Appends a tensor; name already arena-owned. */
static int new_tensor(npu_graph *g, const char *name, npu_tensor_kind kind, npu_dtype dt)
{
    if (grow_int((void **)&g->t, &g->ct, g->nt + 1, sizeof *g->t))
        return -1;
    npu_tensor *t = &g->t[g->nt];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->kind = kind;
    t->dtype = dt;
    t->producer = -1;
    t->view_of = -1;
    return g->nt++;
}

static int add_leaf(npu_graph *g, const char *name, int ndim, const int64_t *dim, npu_dtype dt,
                    npu_tensor_kind kind, npu_err *err)
{
    const char *what = kind == NPU_T_INPUT ? "input" : "const";
    if (!g || !name || !name[0])
        return npu_err_set(err, NPU_EINVAL, "%s: %s without a name", g ? gname(g) : "graph", what),
               -1;
    if ((unsigned)dt >= NPU_DT_COUNT)
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': bad dtype", gname(g), what, name), -1;
    if (ndim < 0 || ndim > NPU_MAX_DIMS || (ndim > 0 && !dim))
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': rank %d out of range 0..%d", gname(g),
                           what, name, ndim, NPU_MAX_DIMS),
               -1;
    int64_t elems = 1;
    for (int i = 0; i < ndim; i++) {
        if (dim[i] < 1 || dim[i] > DIM_MAX)
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': dim %d is %lld (must be 1..%lld)",
                               gname(g), what, name, i, (long long)dim[i], (long long)DIM_MAX),
                   -1;
        if (elems > ELEM_MAX / dim[i])
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': more than 2^48 elements", gname(g),
                               what, name),
                   -1;
        elems *= dim[i];
    }
    index_sync(g);
    if (npu_graph_find_tensor(g, name) >= 0)
        return npu_err_set(err, NPU_EINVAL, "%s: duplicate tensor name '%s'", gname(g), name), -1;
    const char *nm = npu_arena_strdup(&g->arena, name);
    int ti = nm ? new_tensor(g, nm, kind, dt) : -1;
    if (ti < 0)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
    npu_tensor *t = &g->t[ti];
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->dim[i] = dim[i];
    t->shape_known = true;
    if (kind == NPU_T_INPUT) {
        if (grow_int((void **)&g->inputs, &g->cinputs, g->ninputs + 1, sizeof(int))) {
            g->nt--;
            return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
        }
        g->inputs[g->ninputs++] = ti;
        if (g->dtype == NPU_DT_COUNT)
            g->dtype = dt;
    }
    index_sync(g);
    return ti;
}

int npu_graph_add_input(npu_graph *g, const char *name, int ndim, const int64_t *dim, npu_dtype dt,
                        npu_err *err)
{
    return add_leaf(g, name, ndim, dim, dt, NPU_T_INPUT, err);
}
int npu_graph_add_const(npu_graph *g, const char *name, int ndim, const int64_t *dim, npu_dtype dt,
                        npu_err *err)
{
    return add_leaf(g, name, ndim, dim, dt, NPU_T_CONST, err);
}

static const char *out_name(npu_arena *a, const char *name, int k)
{
    if (k == 0)
        return name;
    size_t n = strlen(name) + 16;
    char *s = npu_arena_alloc(a, n);
    if (s)
        snprintf(s, n, "%s:%d", name, k);
    return s;
}

int npu_graph_add_layer(npu_graph *g, npu_op op, const char *name, int nin,
                        const char *const *inputs, int nout, npu_err *err)
{
    if (!g || !name || !name[0])
        return npu_err_set(err, NPU_EINVAL, "%s: layer without a name", g ? gname(g) : "graph"), -1;
    if ((unsigned)op >= NPU_OP_COUNT)
        return npu_err_set(err, NPU_EINVAL, "%s: layer '%s': bad op %d", gname(g), name, (int)op),
               -1;
    if (nin < 0 || (nin > 0 && !inputs) || nin > 4096)
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': bad input count %d", gname(g),
                           npu_op_name(op), name, nin),
               -1;
    if (nout < 1 || nout > NOUT_MAX)
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': output count %d out of range 1..%d",
                           gname(g), npu_op_name(op), name, nout, NOUT_MAX),
               -1;
    index_sync(g);
    if (npu_graph_find_layer(g, name) >= 0)
        return npu_err_set(err, NPU_EINVAL, "%s: duplicate layer name '%s'", gname(g), name), -1;
    const char *nm = npu_arena_strdup(&g->arena, name);
    if (!nm)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
    const char *onames[NOUT_MAX];
    for (int k = 0; k < nout; k++) {
        onames[k] = out_name(&g->arena, nm, k);
        if (!onames[k])
            return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
        if (npu_graph_find_tensor(g, onames[k]) >= 0)
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': tensor '%s' already exists", gname(g),
                               npu_op_name(op), name, onames[k]),
                   -1;
    }
    int *in = nin ? npu_arena_alloc(&g->arena, sizeof(int) * (size_t)nin) : NULL;
    int *out = npu_arena_alloc(&g->arena, sizeof(int) * (size_t)nout);
    if ((nin && !in) || !out)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
    for (int i = 0; i < nin; i++) {
        in[i] = npu_graph_find_tensor(g, inputs[i]);
        if (in[i] < 0)
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': unknown input tensor '%s'", gname(g),
                               npu_op_name(op), name, inputs[i] ? inputs[i] : "(null)"),
                   -1;
    }
    if (grow_int((void **)&g->l, &g->cl, g->nl + 1, sizeof *g->l))
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
    int li = g->nl;
    int first_t = g->nt;
    for (int k = 0; k < nout; k++) {
        int ti = new_tensor(g, onames[k], NPU_T_ACT, nin ? g->t[in[0]].dtype : NPU_DT_FP32);
        if (ti < 0) {
            g->nt = first_t;
            return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
        }
        g->t[ti].producer = li;
        out[k] = ti;
    }
    npu_layer *l = &g->l[li];
    memset(l, 0, sizeof *l);
    l->name = nm;
    l->op = op;
    l->nin = nin;
    l->nout = nout;
    l->in = in;
    l->out = out;
    l->act = NPU_ACT_NONE;
    l->dtype = nin ? g->t[in[0]].dtype : NPU_DT_FP32;
    g->nl++;
    index_sync(g);
    return li;
}

bool npu_graph_is_output(const npu_graph *g, int ti)
{
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i] == ti)
            return true;
    return false;
}

int npu_graph_mark_output(npu_graph *g, const char *tensor, npu_err *err)
{
    int ti = npu_graph_find_tensor(g, tensor);
    if (ti < 0)
        return npu_err_set(err, NPU_EINVAL, "%s: output '%s' is not a tensor of the graph",
                           g ? gname(g) : "graph", tensor ? tensor : "(null)");
    if (npu_graph_is_output(g, ti))
        return 0;
    if (grow_int((void **)&g->outputs, &g->coutputs, g->noutputs + 1, sizeof(int)))
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    g->outputs[g->noutputs++] = ti;
    return 0;
}

/* ---- attributes ------------------------------------------------------------------------------ */
const npu_attr *npu_layer_attr(const npu_layer *l, const char *key)
{
    for (int i = 0; l && i < l->nattr; i++)
        if (strcmp(l->attr[i].key, key) == 0)
            return &l->attr[i];
    return NULL;
}

/* Returns the slot for key (new or existing, cleared) or NULL on oom. */
static npu_attr *attr_slot(npu_graph *g, int li, const char *key)
{
    if (!g || li < 0 || li >= g->nl || !key || !key[0])
        return NULL;
    npu_layer *l = &g->l[li];
    for (int i = 0; i < l->nattr; i++)
        if (strcmp(l->attr[i].key, key) == 0) {
            const char *k = l->attr[i].key;
            memset(&l->attr[i], 0, sizeof l->attr[i]);
            l->attr[i].key = k;
            return &l->attr[i];
        }
    npu_attr *na = npu_arena_alloc(&g->arena, sizeof *na * (size_t)(l->nattr + 1));
    const char *k = npu_arena_strdup(&g->arena, key);
    if (!na || !k)
        return NULL;
    if (l->nattr)
        memcpy(na, l->attr, sizeof *na * (size_t)l->nattr);
    l->attr = na;
    npu_attr *a = &na[l->nattr++];
    a->key = k;
    return a;
}

int npu_layer_set_ints(npu_graph *g, int li, const char *key, int n, const int64_t *v)
{
    if (n < 1 || n > NPU_ATTR_MAXN || !v)
        return NPU_EINVAL;
    npu_attr *a = attr_slot(g, li, key);
    if (!a)
        return NPU_ENOMEM;
    a->type = NPU_ATTR_INTS;
    a->n = n;
    for (int i = 0; i < n; i++)
        a->i[i] = v[i];
    /* keep NPU_LF_BIAS in step with bias= on the layers that have weights */
    npu_layer *l = &g->l[li];
    if (strcmp(key, "bias") == 0 &&
        (l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT || l->op == NPU_OP_GEMM)) {
        if (v[0] || (l->flags & NPU_LF_BN_FOLDED))
            l->flags |= NPU_LF_BIAS;
        else
            l->flags &= ~(uint32_t)NPU_LF_BIAS;
    }
    return 0;
}
int npu_layer_set_int(npu_graph *g, int li, const char *key, int64_t v)
{
    return npu_layer_set_ints(g, li, key, 1, &v);
}
int npu_layer_set_float(npu_graph *g, int li, const char *key, double v)
{
    npu_attr *a = attr_slot(g, li, key);
    if (!a)
        return NPU_ENOMEM;
    a->type = NPU_ATTR_FLOAT;
    a->f = v;
    return 0;
}
int npu_layer_set_str(npu_graph *g, int li, const char *key, const char *v)
{
    if (!v)
        return NPU_EINVAL;
    const char *s = g ? npu_arena_strdup(&g->arena, v) : NULL;
    npu_attr *a = s ? attr_slot(g, li, key) : NULL;
    if (!a)
        return NPU_ENOMEM;
    a->type = NPU_ATTR_STR;
    a->s = s;
    return 0;
}

int64_t npu_layer_int(const npu_layer *l, const char *key, int idx, int64_t def)
{
    const npu_attr *a = npu_layer_attr(l, key);
    if (!a || idx < 0)
        return def;
    if (a->type == NPU_ATTR_INTS)
        return a->n <= 0 ? def : a->i[idx < a->n ? idx : a->n - 1];
    if (a->type == NPU_ATTR_FLOAT && isfinite(a->f) && fabs(a->f) < 9e18)
        return (int64_t)a->f;
    return def;
}
double npu_layer_float(const npu_layer *l, const char *key, double def)
{
    const npu_attr *a = npu_layer_attr(l, key);
    if (!a)
        return def;
    if (a->type == NPU_ATTR_FLOAT)
        return a->f;
    if (a->type == NPU_ATTR_INTS && a->n >= 1)
        return (double)a->i[0];
    return def;
}
const char *npu_layer_str(const npu_layer *l, const char *key, const char *def)
{
    const npu_attr *a = npu_layer_attr(l, key);
    return a && a->type == NPU_ATTR_STR ? a->s : def;
}

/* ---- clone --------------------------------------------------------------------------------- */
npu_graph *npu_graph_clone(const npu_graph *g)
{
    if (!g)
        return NULL;
    npu_graph *c = npu_graph_new(g->name);
    if (!c)
        return NULL;
    npu_arena *a = &c->arena;
    c->file = npu_arena_strdup(a, g->file ? g->file : "");
    c->dtype = g->dtype;
    c->items = g->items;
    c->prefill = g->prefill;
    c->unit = g->unit ? npu_arena_strdup(a, g->unit) : NULL;
    if (!c->file || (g->unit && !c->unit))
        goto oom;
    if (g->nt) {
        c->t = npu_malloc(sizeof *c->t * (size_t)g->nt);
        if (!c->t)
            goto oom;
        c->ct = g->nt;
    }
    if (g->nl) {
        c->l = npu_malloc(sizeof *c->l * (size_t)g->nl);
        if (!c->l)
            goto oom;
        c->cl = g->nl;
    }
    for (int i = 0; i < g->nt; i++) {
        c->t[i] = g->t[i];
        c->t[i].name = NULL;
    }
    c->nt = g->nt;
    for (int i = 0; i < g->nt; i++) {
        /* a layer's first output shares the layer's name string: dup once per layer below */
        if (g->t[i].kind != NPU_T_ACT || g->t[i].producer < 0 ||
            g->l[g->t[i].producer].name != g->t[i].name) {
            c->t[i].name = npu_arena_strdup(a, g->t[i].name);
            if (!c->t[i].name)
                goto oom;
        }
    }
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *s = &g->l[li];
        npu_layer *d = &c->l[li];
        *d = *s;
        d->name = npu_arena_strdup(a, s->name);
        d->src_op = s->src_op ? npu_arena_strdup(a, s->src_op) : NULL;
        d->in = s->nin ? npu_arena_alloc(a, sizeof(int) * (size_t)s->nin) : NULL;
        d->out = s->nout ? npu_arena_alloc(a, sizeof(int) * (size_t)s->nout) : NULL;
        d->attr = s->nattr ? npu_arena_alloc(a, sizeof(npu_attr) * (size_t)s->nattr) : NULL;
        if (!d->name || (s->src_op && !d->src_op) || (s->nin && !d->in) || (s->nout && !d->out) ||
            (s->nattr && !d->attr))
            goto oom;
        if (s->nin)
            memcpy(d->in, s->in, sizeof(int) * (size_t)s->nin);
        if (s->nout)
            memcpy(d->out, s->out, sizeof(int) * (size_t)s->nout);
        for (int k = 0; k < s->nout; k++)
            if (!c->t[s->out[k]].name)
                c->t[s->out[k]].name = d->name;
        for (int k = 0; k < s->nattr; k++) {
            d->attr[k] = s->attr[k];
            d->attr[k].key = npu_arena_strdup(a, s->attr[k].key);
            if (!d->attr[k].key)
                goto oom;
            if (s->attr[k].type == NPU_ATTR_STR) {
                d->attr[k].s = npu_arena_strdup(a, s->attr[k].s ? s->attr[k].s : "");
                if (!d->attr[k].s)
                    goto oom;
            }
        }
    }
    c->nl = g->nl;
    for (int i = 0; i < g->nt; i++)
        if (!c->t[i].name) { /* cannot happen for a well-formed graph */
            c->t[i].name = npu_arena_strdup(a, g->t[i].name);
            if (!c->t[i].name)
                goto oom;
        }
    if (g->ninputs) {
        c->inputs = npu_malloc(sizeof(int) * (size_t)g->ninputs);
        if (!c->inputs)
            goto oom;
        memcpy(c->inputs, g->inputs, sizeof(int) * (size_t)g->ninputs);
        c->ninputs = c->cinputs = g->ninputs;
    }
    if (g->noutputs) {
        c->outputs = npu_malloc(sizeof(int) * (size_t)g->noutputs);
        if (!c->outputs)
            goto oom;
        memcpy(c->outputs, g->outputs, sizeof(int) * (size_t)g->noutputs);
        c->noutputs = c->coutputs = g->noutputs;
    }
    return c;
oom:
    npu_graph_free(c);
    return NULL;
}

int npu_graph_consumers(const npu_graph *g, int ti, int *out, int max)
{
    int n = 0;
    for (int li = 0; g && li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++)
            if (l->in[k] == ti) {
                if (out && n < max)
                    out[n] = li;
                n++;
                break;
            }
    }
    return n;
}

/* ---- shape inference ----------------------------------------------------------------------- */

/* Attribute value kinds for the key check. */
enum { AK_INTS, AK_NUM, AK_STR, AK_SCALE };
static const struct {
    const char *key;
    int kind;
} attr_kinds[] = {
    {"out", AK_INTS},   {"k", AK_INTS},      {"s", AK_INTS},      {"p", AK_INTS},
    {"d", AK_INTS},     {"g", AK_INTS},      {"bias", AK_INTS},   {"op", AK_INTS},
    {"ceil", AK_INTS},  {"transb", AK_INTS}, {"axis", AK_INTS},   {"sizes", AK_INTS},
    {"n", AK_INTS},     {"starts", AK_INTS}, {"ends", AK_INTS},   {"axes", AK_INTS},
    {"steps", AK_INTS}, {"shape", AK_INTS},  {"perm", AK_INTS},   {"size", AK_INTS},
    {"keep", AK_INTS},  {"pads", AK_INTS},   {"affine", AK_INTS}, {"slopes", AK_INTS},
    {"eps", AK_NUM},    {"alpha", AK_NUM},   {"beta", AK_NUM},    {"min", AK_NUM},
    {"max", AK_NUM},    {"value", AK_NUM},   {"mode", AK_STR},    {"kind", AK_STR},
    {"to", AK_STR},     {"scale", AK_SCALE},
};

/* Allowed keys per op ("" separated by spaces). */
static const char *op_keys(npu_op op)
{
    switch (op) {
    case NPU_OP_CONV:
        return "out k s p d g bias";
    case NPU_OP_CONVT:
        return "out k s p d g bias op";
    case NPU_OP_GEMM:
        return "out bias";
    case NPU_OP_MATMUL:
        return "transb";
    case NPU_OP_MAXPOOL:
        return "k s p d ceil";
    case NPU_OP_AVGPOOL:
        return "k s p ceil";
    case NPU_OP_LEAKY:
        return "alpha";
    case NPU_OP_PRELU:
        return "slopes";
    case NPU_OP_HARDSIGMOID:
        return "alpha beta";
    case NPU_OP_CLIP:
        return "min max";
    case NPU_OP_BATCHNORM:
        return "eps";
    case NPU_OP_SOFTMAX:
        return "axis";
    case NPU_OP_LAYERNORM:
    case NPU_OP_RMSNORM:
        return "axis eps affine";
    case NPU_OP_CONCAT:
        return "axis";
    case NPU_OP_SPLIT:
        return "axis sizes n";
    case NPU_OP_SLICE:
        return "starts ends axes steps";
    case NPU_OP_RESHAPE:
        return "shape";
    case NPU_OP_FLATTEN:
        return "axis";
    case NPU_OP_SQUEEZE:
    case NPU_OP_UNSQUEEZE:
        return "axes";
    case NPU_OP_TRANSPOSE:
        return "perm";
    case NPU_OP_RESIZE:
        return "scale size mode";
    case NPU_OP_PAD:
        return "p pads mode value";
    case NPU_OP_GATHER:
        return "axis";
    case NPU_OP_CAST:
    case NPU_OP_QUANTIZE:
    case NPU_OP_DEQUANTIZE:
        return "to axis";
    case NPU_OP_REDUCE:
        return "kind axes keep";
    case NPU_OP_LRN:
        return "size alpha beta bias";
    default:
        return "";
    }
}

static bool key_allowed(const char *keys, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = keys; *p;) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == kl && strncmp(p, key, n) == 0)
            return true;
        p += n;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* Formats "file:line: op 'name': " into buf. */
static void lprefix(const npu_graph *g, const npu_layer *l, char *buf, size_t n)
{
    if (l->line > 0)
        snprintf(buf, n, "%s:%d: %s '%s': ", gname(g), l->line, npu_op_name(l->op), l->name);
    else
        snprintf(buf, n, "%s: %s '%s': ", gname(g), npu_op_name(l->op), l->name);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
lerr(const npu_graph *g, const npu_layer *l, npu_err *err, const char *fmt, ...)
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
static void fmt_ints(char *buf, size_t n, int count, const int64_t *d, char sep)
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

static void fmt_dims(char *buf, size_t n, int ndim, const int64_t *d)
{
    if (ndim == 0)
        snprintf(buf, n, "scalar");
    else
        fmt_ints(buf, n, ndim, d, 'x');
}

/* checked a*b for non-negative values; returns -1 on overflow of int64 */
static int64_t cmul(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return -1;
    if (a != 0 && b > INT64_MAX / a)
        return -1;
    return a * b;
}

typedef struct shape {
    int ndim;
    int64_t d[NPU_MAX_DIMS];
} shape;

/* Per-inference scratch. */
typedef struct ictx {
    npu_graph *g;
    npu_layer *l;
    npu_err *err;
    const npu_tensor *x[4]; /* first inputs (NULL beyond nin) */
} ictx;

static int norm_axis(ictx *c, const char *key, int64_t axis, int rank, int extra, int *out)
{
    /* valid range [-rank-extra, rank+extra-1] */
    int r = rank + extra;
    if (axis < -r || axis >= r)
        return lerr(c->g, c->l, c->err, "%s=%lld out of range for rank %d", key, (long long)axis,
                    rank);
    *out = (int)(axis < 0 ? axis + r : axis);
    return 0;
}

/* Reads a spatial pair attribute (k, s, d, op): 1 or 2 values in [lo, DIM_MAX]. */
static int pair_attr(ictx *c, const char *key, int64_t def, int64_t lo, int64_t v[2], bool req)
{
    const npu_attr *a = npu_layer_attr(c->l, key);
    if (!a) {
        if (req)
            return lerr(c->g, c->l, c->err, "missing attribute %s=", key);
        v[0] = v[1] = def;
        return 0;
    }
    if (a->n < 1 || a->n > 2)
        return lerr(c->g, c->l, c->err, "%s= takes 1 or 2 values, got %d", key, a->n);
    for (int i = 0; i < 2; i++) {
        v[i] = a->i[i < a->n ? i : a->n - 1];
        if (v[i] < lo || v[i] > DIM_MAX)
            return lerr(c->g, c->l, c->err, "%s=%lld out of range %lld..%lld", key, (long long)v[i],
                        (long long)lo, (long long)DIM_MAX);
    }
    return 0;
}

/* p=all | h,w | t,l,b,r → pads[4] = t,l,b,r */
static int pads_attr(ictx *c, int64_t pad[4])
{
    const npu_attr *a = npu_layer_attr(c->l, "p");
    pad[0] = pad[1] = pad[2] = pad[3] = 0;
    if (!a)
        return 0;
    if (a->n == 1)
        pad[0] = pad[1] = pad[2] = pad[3] = a->i[0];
    else if (a->n == 2) {
        pad[0] = pad[2] = a->i[0];
        pad[1] = pad[3] = a->i[1];
    } else if (a->n == 4)
        for (int i = 0; i < 4; i++)
            pad[i] = a->i[i];
    else
        return lerr(c->g, c->l, c->err, "p= takes 1, 2 (h,w) or 4 (t,l,b,r) values, got %d", a->n);
    for (int i = 0; i < 4; i++)
        if (pad[i] < 0 || pad[i] > DIM_MAX)
            return lerr(c->g, c->l, c->err, "padding %lld out of range 0..%lld", (long long)pad[i],
                        (long long)DIM_MAX);
    return 0;
}

static int need_rank(ictx *c, const npu_tensor *t, int lo, int hi)
{
    if (t->ndim < lo || t->ndim > hi) {
        char d[128];
        fmt_dims(d, sizeof d, t->ndim, t->dim);
        if (lo == hi)
            return lerr(c->g, c->l, c->err, "needs a %d-D input, '%s' is %s", lo, t->name, d);
        return lerr(c->g, c->l, c->err, "needs an input of rank %d..%d, '%s' is %s", lo, hi,
                    t->name, d);
    }
    return 0;
}

static int get_int_attr(ictx *c, const char *key, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
    const npu_attr *a = npu_layer_attr(c->l, key);
    if (!a) {
        *out = def;
        return 0;
    }
    if (a->n != 1)
        return lerr(c->g, c->l, c->err, "%s= takes one value, got %d", key, a->n);
    if (a->i[0] < lo || a->i[0] > hi)
        return lerr(c->g, c->l, c->err, "%s=%lld out of range %lld..%lld", key, (long long)a->i[0],
                    (long long)lo, (long long)hi);
    *out = a->i[0];
    return 0;
}

/* conv / convt / pool output sizes */
static int infer_window(ictx *c, shape *o, int64_t *macs, int64_t *params)
{
    npu_layer *l = c->l;
    const npu_tensor *x = c->x[0];
    int rc;
    if ((rc = need_rank(c, x, 4, 4)))
        return rc;
    int64_t n = x->dim[0], ch = x->dim[1], h = x->dim[2], w = x->dim[3];
    bool conv = l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT;
    int64_t kout = ch, g = 1, k[2], s[2], d[2] = {1, 1}, pad[4], opad[2] = {0, 0}, ceilm = 0;
    if (conv) {
        if ((rc = get_int_attr(c, "out", -1, 1, DIM_MAX, &kout)))
            return rc;
        if (kout < 0)
            return lerr(c->g, l, c->err, "missing attribute out= (output channels)");
        if ((rc = get_int_attr(c, "g", 1, 1, DIM_MAX, &g)))
            return rc;
        int64_t b;
        if ((rc = get_int_attr(c, "bias", 0, 0, 1, &b)))
            return rc;
        if (ch % g || kout % g)
            return lerr(c->g, l, c->err,
                        "groups g=%lld do not divide %lld input and %lld output "
                        "channels",
                        (long long)g, (long long)ch, (long long)kout);
    } else if ((rc = get_int_attr(c, "ceil", 0, 0, 1, &ceilm)))
        return rc;
    if ((rc = pair_attr(c, "k", 1, 1, k, true)) || (rc = pair_attr(c, "s", 1, 1, s, false)) ||
        (rc = pair_attr(c, "d", 1, 1, d, false)) || (rc = pads_attr(c, pad)))
        return rc;
    int64_t ho, wo;
    int64_t ekh = d[0] * (k[0] - 1) + 1, ekw = d[1] * (k[1] - 1) + 1; /* < 2^62 */
    if (l->op == NPU_OP_CONVT) {
        if ((rc = pair_attr(c, "op", 0, 0, opad, false)))
            return rc;
        for (int i = 0; i < 2; i++)
            if (opad[i] >= s[i] && opad[i] >= d[i])
                return lerr(c->g, l, c->err,
                            "output padding op=%lld must be smaller than the "
                            "stride or the dilation",
                            (long long)opad[i]);
        /* each term below 2^62, but their sum could overflow: bound them first */
        if ((h - 1) * s[0] > 8 * DIM_MAX || (w - 1) * s[1] > 8 * DIM_MAX || ekh > 8 * DIM_MAX ||
            ekw > 8 * DIM_MAX)
            return lerr(c->g, l, c->err,
                        "output would be larger than 2^31-1 (stride %lldx%lld, "
                        "kernel %lldx%lld)",
                        (long long)s[0], (long long)s[1], (long long)ekh, (long long)ekw);
        ho = (h - 1) * s[0] - pad[0] - pad[2] + ekh - 1 + opad[0] + 1;
        wo = (w - 1) * s[1] - pad[1] - pad[3] + ekw - 1 + opad[1] + 1;
        if (ho < 1 || wo < 1)
            return lerr(c->g, l, c->err,
                        "padding %lld,%lld,%lld,%lld leaves no output of input "
                        "%lldx%lld",
                        (long long)pad[0], (long long)pad[1], (long long)pad[2], (long long)pad[3],
                        (long long)h, (long long)w);
    } else {
        int64_t ph = h + pad[0] + pad[2], pw = w + pad[1] + pad[3];
        if (ekh > ph || ekw > pw) {
            if (d[0] > 1 || d[1] > 1)
                return lerr(c->g, l, c->err,
                            "dilated kernel %lldx%lld larger than padded input "
                            "%lldx%lld",
                            (long long)ekh, (long long)ekw, (long long)ph, (long long)pw);
            return lerr(c->g, l, c->err, "kernel %lldx%lld larger than padded input %lldx%lld",
                        (long long)k[0], (long long)k[1], (long long)ph, (long long)pw);
        }
        if (ceilm) {
            ho = (ph - ekh + s[0] - 1) / s[0] + 1;
            wo = (pw - ekw + s[1] - 1) / s[1] + 1;
            if ((ho - 1) * s[0] >= h + pad[0])
                ho--;
            if ((wo - 1) * s[1] >= w + pad[1])
                wo--;
        } else {
            ho = (ph - ekh) / s[0] + 1;
            wo = (pw - ekw) / s[1] + 1;
        }
    }
    o->ndim = 4;
    o->d[0] = n;
    o->d[1] = kout;
    o->d[2] = ho;
    o->d[3] = wo;
    *macs = 0;
    *params = 0;
    if (conv) {
        /* conv: N·K·Ho·Wo·(C/g)·kh·kw ; convt: N·C·H·W·(K/g)·kh·kw */
        int64_t m = l->op == NPU_OP_CONV ? cmul(cmul(cmul(n, kout), cmul(ho, wo)), ch / g)
                                         : cmul(cmul(cmul(n, ch), cmul(h, w)), kout / g);
        m = cmul(m, cmul(k[0], k[1]));
        int64_t p = cmul(cmul(kout, ch / g), cmul(k[0], k[1]));
        if (m < 0 || p < 0)
            return lerr(c->g, l, c->err, "MAC or parameter count overflows 64 bits");
        if (p > INT64_MAX / 2 - 3 * kout)
            return lerr(c->g, l, c->err, "parameter count overflows 64 bits");
        if (npu_layer_int(l, "bias", 0, 0))
            p += kout;
        if (l->flags & NPU_LF_BN_FOLDED)
            p += 2 * kout;
        *macs = m;
        *params = p;
    }
    return 0;
}

/* gemm flattening rule (see file comment) */
static void gemm_mk(const npu_tensor *x, int64_t *m, int64_t *k)
{
    if (x->ndim <= 1) {
        *m = 1;
        *k = x->ndim ? x->dim[0] : 1;
    } else if (x->ndim <= 3) {
        *m = 1;
        for (int i = 0; i < x->ndim - 1; i++)
            *m *= x->dim[i];
        *k = x->dim[x->ndim - 1];
    } else {
        *m = x->dim[0];
        *k = 1;
        for (int i = 1; i < x->ndim; i++)
            *k *= x->dim[i];
    }
}

static int bcast(ictx *c, shape *o, int na, const shape *const *s)
{
    int r = 0;
    for (int i = 0; i < na; i++)
        if (s[i]->ndim > r)
            r = s[i]->ndim;
    o->ndim = r;
    for (int j = 0; j < r; j++) {
        int64_t v = 1;
        for (int i = 0; i < na; i++) {
            int off = j - (r - s[i]->ndim);
            if (off < 0)
                continue;
            int64_t dv = s[i]->d[off];
            if (dv == v || dv == 1)
                continue;
            if (v != 1) {
                char a[128], b[128];
                fmt_dims(a, sizeof a, s[0]->ndim, s[0]->d);
                fmt_dims(b, sizeof b, s[i]->ndim, s[i]->d);
                return lerr(c->g, c->l, c->err, "shapes %s and %s do not broadcast", a, b);
            }
            v = dv;
        }
        o->d[j] = v;
    }
    return 0;
}

static void to_shape(shape *s, const npu_tensor *t)
{
    s->ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++)
        s->d[i] = t->dim[i];
}

static int infer_matmul(ictx *c, shape *o, int64_t *macs)
{
    const npu_tensor *a = c->x[0], *b = c->x[1];
    int tb = (int)npu_layer_int(c->l, "transb", 0, 0);
    if (tb != 0 && tb != 1)
        return lerr(c->g, c->l, c->err, "transb= must be 0 or 1");
    if (a->ndim < 1 || b->ndim < 1)
        return lerr(c->g, c->l, c->err, "matmul inputs must have rank >= 1");
    int64_t m = a->ndim >= 2 ? a->dim[a->ndim - 2] : 1, ka = a->dim[a->ndim - 1];
    int64_t kb, n;
    if (b->ndim == 1) {
        kb = b->dim[0];
        n = 1;
    } else {
        kb = tb ? b->dim[b->ndim - 1] : b->dim[b->ndim - 2];
        n = tb ? b->dim[b->ndim - 2] : b->dim[b->ndim - 1];
    }
    if (ka != kb)
        return lerr(c->g, c->l, c->err,
                    "inner dimensions differ: '%s' has K=%lld, '%s' has "
                    "K=%lld",
                    a->name, (long long)ka, b->name, (long long)kb);
    shape ba = {0, {0}}, bb = {0, {0}};
    ba.ndim = a->ndim > 2 ? a->ndim - 2 : 0;
    bb.ndim = b->ndim > 2 ? b->ndim - 2 : 0;
    for (int i = 0; i < ba.ndim; i++)
        ba.d[i] = a->dim[i];
    for (int i = 0; i < bb.ndim; i++)
        bb.d[i] = b->dim[i];
    const shape *ss[2] = {&ba, &bb};
    int rc = bcast(c, o, 2, ss);
    if (rc)
        return rc;
    int64_t batch = 1;
    for (int i = 0; i < o->ndim; i++) {
        batch = cmul(batch, o->d[i]); /* broadcasting can exceed either input's size */
        if (batch < 0 || batch > ELEM_MAX)
            return lerr(c->g, c->l, c->err,
                        "broadcast batch of the output has more than 2^48 "
                        "elements");
    }
    if (a->ndim >= 2)
        o->d[o->ndim++] = m;
    if (b->ndim >= 2)
        o->d[o->ndim++] = n;
    *macs = cmul(cmul(batch, m), cmul(n, ka));
    if (*macs < 0)
        return lerr(c->g, c->l, c->err, "MAC count overflows 64 bits");
    return 0;
}

/* ONNX slice on one axis → output length */
static int64_t slice_len(int64_t dim, int64_t st, int64_t en, int64_t step)
{
    if (st < 0)
        st = st < -dim ? 0 : st + dim;
    if (en < 0)
        en = en < -dim ? -1 : en + dim; /* stays -1 only for negative step semantics below */
    if (step > 0) {
        if (st > dim)
            st = dim;
        if (en < 0)
            en = 0;
        if (en > dim)
            en = dim;
        if (en <= st)
            return 0;
        /* ceil((en-st)/step) without overflow */
        return (en - st - 1) / step + 1;
    }
    if (st > dim - 1)
        st = dim - 1;
    if (en > dim - 1)
        en = dim - 1;
    if (en < -1)
        en = -1;
    if (st <= en)
        return 0;
    int64_t ns = -step; /* step >= -INT64_MAX checked by caller */
    return (st - en - 1) / ns + 1;
}

static int axes_list(ictx *c, const char *key, int rank, int extra, int *axes, int *na, bool *seen)
{
    const npu_attr *a = npu_layer_attr(c->l, key);
    *na = 0;
    if (!a)
        return 0;
    for (int i = 0; i < rank + extra && i < NPU_MAX_DIMS; i++)
        seen[i] = false;
    for (int i = 0; i < a->n; i++) {
        int ax = 0;
        int rc = norm_axis(c, key, a->i[i], rank, extra, &ax);
        if (rc)
            return rc;
        if (seen[ax])
            return lerr(c->g, c->l, c->err, "%s= names axis %d twice", key, ax);
        seen[ax] = true;
        axes[(*na)++] = ax;
    }
    return 0;
}

static int parse_to(ictx *c, npu_dtype *out)
{
    const char *s = npu_layer_str(c->l, "to", NULL);
    if (!s)
        return lerr(c->g, c->l, c->err, "missing attribute to= (target dtype)");
    if (npu_dtype_parse(s, out))
        return lerr(c->g, c->l, c->err, "to=%s is not a dtype", s);
    return 0;
}

/* Checks attribute keys and types of layer l. */
static int check_attrs(ictx *c)
{
    npu_layer *l = c->l;
    const char *keys = op_keys(l->op);
    for (int i = 0; i < l->nattr; i++) {
        const npu_attr *a = &l->attr[i];
        bool clip_key =
            l->act == NPU_ACT_CLIP && (!strcmp(a->key, "min") || !strcmp(a->key, "max"));
        /* wdtype= (mixed precision, npu_pass_weight_dtype): the dtype of a MAC layer's weights */
        npu_opclass cls = npu_op_class(l->op);
        if (!strcmp(a->key, "wdtype") && (cls == NPU_OPC_CONV || cls == NPU_OPC_GEMM)) {
            npu_dtype wd;
            if (a->type != NPU_ATTR_STR || npu_dtype_parse(a->s, &wd) != 0)
                return lerr(c->g, l, c->err, "wdtype=%s is not a dtype",
                            a->type == NPU_ATTR_STR ? a->s : "(not a name)");
            continue;
        }
        if (!l->src_op && !clip_key && !key_allowed(keys, a->key)) {
            /* build candidates for the suggestion */
            const char *cands[16];
            char buf[128];
            int nc = 0;
            snprintf(buf, sizeof buf, "%s", keys);
            for (char *p = buf; *p && nc < 15;) {
                cands[nc++] = p;
                char *e = strchr(p, ' ');
                if (!e)
                    break;
                *e = 0;
                p = e + 1;
            }
            cands[nc] = NULL;
            const char *dy = npu_did_you_mean(a->key, cands);
            if (dy)
                return lerr(c->g, l, c->err, "unknown attribute '%s' (did you mean '%s'?)", a->key,
                            dy);
            return lerr(c->g, l, c->err, "unknown attribute '%s'%s%s%s", a->key,
                        keys[0] ? " (known: " : " (this op takes none)", keys, keys[0] ? ")" : "");
        }
        int kind = -1;
        for (size_t k = 0; k < sizeof attr_kinds / sizeof attr_kinds[0]; k++)
            if (strcmp(attr_kinds[k].key, a->key) == 0)
                kind = attr_kinds[k].kind;
        if (kind < 0)
            continue; /* host/unsupported op attribute: free form */
        bool ok = kind == AK_INTS  ? a->type == NPU_ATTR_INTS
                  : kind == AK_STR ? a->type == NPU_ATTR_STR
                  : kind == AK_NUM
                      ? (a->type == NPU_ATTR_FLOAT || (a->type == NPU_ATTR_INTS && a->n == 1))
                      : a->type != NPU_ATTR_STR;
        if (!ok)
            return lerr(c->g, l, c->err, "attribute %s= has the wrong type (expects %s)", a->key,
                        kind == AK_INTS  ? "integers"
                        : kind == AK_STR ? "a name"
                                         : "a number");
        if (a->type == NPU_ATTR_INTS && (a->n < 1 || a->n > NPU_ATTR_MAXN))
            return lerr(c->g, l, c->err, "attribute %s= has %d values", a->key, a->n);
        if (a->type == NPU_ATTR_FLOAT && isnan(a->f))
            return lerr(c->g, l, c->err, "attribute %s= is not a number", a->key);
    }
    return 0;
}

/* Input-count rules: [min, max]; inputs after the first `act` ones must be const. */
static void arity(npu_op op, int *lo, int *hi, int *act)
{
    *lo = 1;
    *hi = 1;
    *act = 1;
    switch (npu_op_class(op)) {
    case NPU_OPC_CONV:
    case NPU_OPC_NORM:
        *hi = 5;
        break;
    case NPU_OPC_QUANT:
        *hi = 3;
        break;
    default:
        break;
    }
    switch (op) {
    case NPU_OP_GEMM:
        *hi = 3;
        break;
    case NPU_OP_MATMUL:
        *lo = *hi = *act = 2;
        break;
    case NPU_OP_ADD:
    case NPU_OP_MUL:
    case NPU_OP_MAX:
    case NPU_OP_MIN:
        *lo = 2;
        *hi = *act = 16;
        break;
    case NPU_OP_SUB:
    case NPU_OP_DIV:
    case NPU_OP_POW:
        *lo = *hi = *act = 2;
        break;
    case NPU_OP_PRELU:
        *hi = 2;
        break;
    case NPU_OP_CLIP:
        *hi = 3;
        break;
    case NPU_OP_CONCAT:
        *hi = *act = 4096;
        break;
    case NPU_OP_GATHER:
        *lo = *hi = *act = 2;
        break;
    case NPU_OP_SOFTMAX:
    case NPU_OP_LRN:
        *hi = 1;
        break;
    default:
        break;
    }
}

static int set_out(ictx *c, int k, const shape *s, npu_dtype dt)
{
    npu_tensor *t = &c->g->t[c->l->out[k]];
    int64_t e = 1;
    for (int i = 0; i < s->ndim; i++) {
        if (s->d[i] < 1) {
            char d[160];
            fmt_dims(d, sizeof d, s->ndim, s->d);
            return lerr(c->g, c->l, c->err, "output '%s' would have an empty dimension (%s)",
                        t->name, d);
        }
        if (s->d[i] > DIM_MAX)
            return lerr(c->g, c->l, c->err, "output '%s': dim %d is %lld, more than 2^31-1",
                        t->name, i, (long long)s->d[i]);
        if (e > ELEM_MAX / s->d[i])
            return lerr(c->g, c->l, c->err, "output '%s' has more than 2^48 elements", t->name);
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
static int host_out_shape(ictx *c, int k, shape *s, npu_dtype *dt)
{
    char key[32];
    snprintf(key, sizeof key, k ? "out_shape%d" : "out_shape", k);
    const npu_attr *a = npu_layer_attr(c->l, key);
    if (a) {
        if (a->type != NPU_ATTR_INTS || a->n < 1 || a->n > NPU_MAX_DIMS)
            return lerr(c->g, c->l, c->err, "%s= must be 1 to %d integers", key, NPU_MAX_DIMS);
        s->ndim = a->n;
        for (int i = 0; i < a->n; i++)
            s->d[i] = a->i[i];
    }
    snprintf(key, sizeof key, k ? "out_dtype%d" : "out_dtype", k);
    const char *d = npu_layer_str(c->l, key, NULL);
    if (d && npu_dtype_parse(d, dt))
        return lerr(c->g, c->l, c->err, "%s='%s' is not a data type", key, d);
    return 0;
}

static int infer_layer(npu_graph *g, int li, bool *counted, npu_err *err)
{
    npu_layer *l = &g->l[li];
    ictx cc = {.g = g, .l = l, .err = err}, *c = &cc;
    int rc, lo, hi, nact;
    if ((unsigned)l->op >= NPU_OP_COUNT || (unsigned)l->act >= NPU_ACT_COUNT ||
        (unsigned)l->dtype >= NPU_DT_COUNT)
        return lerr(g, l, err, "corrupt layer (op, act or dtype out of range)");
    arity(l->op, &lo, &hi, &nact);
    if (l->src_op && l->nin >= 1) {
        /* an operator npusim has no model for (ONNX TopK ...), kept as a host layer: its extra
         * inputs are whatever the original op took. Only extra ones: the op's own inputs are
         * still required, since its shape rule below reads them (src= on a matmul with one
         * input used to reach infer_matmul with a NULL second operand). */
        if (lo < 1)
            lo = 1;
        if (hi < l->nin)
            hi = l->nin;
        nact = l->nin;
    }
    if (l->nin < lo || l->nin > hi) {
        if (lo == hi)
            return lerr(g, l, err, "takes %d input%s, got %d", lo, lo == 1 ? "" : "s", l->nin);
        return lerr(g, l, err, "takes %d..%d inputs, got %d", lo, hi, l->nin);
    }
    for (int i = 0; i < l->nin; i++) {
        if (l->in[i] < 0 || l->in[i] >= g->nt)
            return lerr(g, l, err, "input %d is not a tensor", i);
        const npu_tensor *t = &g->t[l->in[i]];
        if (!t->shape_known)
            return lerr(g, l, err, "input '%s' is used before it is produced%s", t->name,
                        t->producer >= 0 && (g->l[t->producer].flags & NPU_LF_DEAD)
                            ? " (its producer was removed)"
                            : "");
        if (i >= nact && t->kind != NPU_T_CONST)
            return lerr(g, l, err, "input %d ('%s') must be a constant", i, t->name);
        if (i < 4)
            c->x[i] = t;
    }
    if ((rc = check_attrs(c)))
        return rc;
    const npu_tensor *x = c->x[0];
    npu_opclass cls = npu_op_class(l->op);
    npu_dtype dt = x->dtype;
    if (cls == NPU_OPC_QUANT) {
        if ((rc = parse_to(c, &dt)))
            return rc;
        if (l->op == NPU_OP_QUANTIZE && (!npu_dtype_is_float(x->dtype) || npu_dtype_is_float(dt)))
            return lerr(g, l, err,
                        "quantize converts a float tensor to an integer type "
                        "('%s' is %s, to=%s)",
                        x->name, npu_dtype_name(x->dtype), npu_dtype_name(dt));
        if (l->op == NPU_OP_DEQUANTIZE && (npu_dtype_is_float(x->dtype) || !npu_dtype_is_float(dt)))
            return lerr(g, l, err,
                        "dequantize converts an integer tensor to a float type "
                        "('%s' is %s, to=%s)",
                        x->name, npu_dtype_name(x->dtype), npu_dtype_name(dt));
    } else if (l->flags & NPU_LF_DTYPE)
        dt = l->dtype;
    if (!(l->flags & NPU_LF_DTYPE))
        l->dtype = dt;

    shape o;
    to_shape(&o, x);
    int64_t macs = 0, params = 0;
    bool count_consts = false;
    char dbuf[160];

    switch (l->op) {
    case NPU_OP_CONV:
    case NPU_OP_CONVT:
    case NPU_OP_MAXPOOL:
    case NPU_OP_AVGPOOL:
        if ((rc = infer_window(c, &o, &macs, &params)))
            return rc;
        break;
    case NPU_OP_GAVGPOOL:
    case NPU_OP_GMAXPOOL:
        if ((rc = need_rank(c, x, 3, NPU_MAX_DIMS)))
            return rc;
        for (int i = 2; i < o.ndim; i++)
            o.d[i] = 1;
        break;
    case NPU_OP_GEMM: {
        int64_t n, m, k, b;
        if ((rc = get_int_attr(c, "out", -1, 1, DIM_MAX, &n)))
            return rc;
        if (n < 0)
            return lerr(g, l, err, "missing attribute out= (output features)");
        if ((rc = get_int_attr(c, "bias", 0, 0, 1, &b)))
            return rc;
        if (x->ndim < 1)
            return lerr(g, l, err, "input '%s' is a scalar", x->name);
        gemm_mk(x, &m, &k);
        if (x->ndim == 3) {
            o.d[2] = n;
        } else if (x->ndim == 1) {
            o.d[0] = n;
        } else {
            o.ndim = 2;
            o.d[0] = m;
            o.d[1] = n;
        }
        macs = cmul(cmul(m, n), k);
        params = cmul(k, n);
        if (macs < 0 || params < 0 || params > INT64_MAX / 2 - 3 * n)
            return lerr(g, l, err, "MAC or parameter count overflows 64 bits");
        if (b)
            params += n;
        if (l->flags & NPU_LF_BN_FOLDED)
            params += 2 * n;
        break;
    }
    case NPU_OP_MATMUL:
        if ((rc = infer_matmul(c, &o, &macs)))
            return rc;
        count_consts = true;
        break;
    case NPU_OP_ADD:
    case NPU_OP_SUB:
    case NPU_OP_MUL:
    case NPU_OP_DIV:
    case NPU_OP_MAX:
    case NPU_OP_MIN:
    case NPU_OP_POW: {
        shape s[16];
        const shape *ps[16];
        for (int i = 0; i < l->nin; i++) {
            to_shape(&s[i], &g->t[l->in[i]]);
            ps[i] = &s[i];
        }
        if ((rc = bcast(c, &o, l->nin, ps)))
            return rc;
        count_consts = true;
        break;
    }
    case NPU_OP_PRELU:
        if (l->nin > 1) {
            count_consts = true;
            if (c->x[1]->kind != NPU_T_CONST)
                return lerr(g, l, err, "slope input '%s' must be a constant", c->x[1]->name);
        } else {
            int64_t ns;
            if ((rc = get_int_attr(c, "slopes", x->ndim >= 2 ? x->dim[1] : 1, 1, DIM_MAX, &ns)))
                return rc;
            params = ns;
        }
        break;
    case NPU_OP_BATCHNORM:
        if ((rc = need_rank(c, x, 2, NPU_MAX_DIMS)))
            return rc;
        params = 2 * x->dim[1];
        break;
    case NPU_OP_SOFTMAX:
    case NPU_OP_LAYERNORM:
    case NPU_OP_RMSNORM: {
        int ax;
        int64_t aff = 1;
        if ((rc = norm_axis(c, "axis", npu_layer_int(l, "axis", 0, -1), x->ndim, 0, &ax)))
            return rc;
        if (l->op != NPU_OP_SOFTMAX) {
            if ((rc = get_int_attr(c, "affine", 1, 0, 1, &aff)))
                return rc;
            int64_t nd = 1;
            for (int i = ax; i < x->ndim; i++)
                nd *= x->dim[i];
            params = aff ? (l->op == NPU_OP_LAYERNORM ? 2 * nd : nd) : 0;
        }
        break;
    }
    case NPU_OP_CONCAT: {
        int ax;
        if ((rc = norm_axis(c, "axis", npu_layer_int(l, "axis", 0, 1), x->ndim, 0, &ax)))
            return rc;
        int64_t sum = 0;
        for (int i = 0; i < l->nin; i++) {
            const npu_tensor *t = &g->t[l->in[i]];
            bool same = t->ndim == x->ndim;
            for (int j = 0; same && j < x->ndim; j++)
                if (j != ax && t->dim[j] != x->dim[j])
                    same = false;
            if (!same) {
                char a[160];
                fmt_dims(a, sizeof a, x->ndim, x->dim);
                fmt_dims(dbuf, sizeof dbuf, t->ndim, t->dim);
                return lerr(g, l, err, "cannot concatenate %s ('%s') and %s ('%s') on axis %d", a,
                            x->name, dbuf, t->name, ax);
            }
            sum += t->dim[ax];
        }
        o.d[ax] = sum;
        count_consts = true;
        break;
    }
    case NPU_OP_SPLIT: {
        int ax;
        if ((rc = norm_axis(c, "axis", npu_layer_int(l, "axis", 0, 0), x->ndim, 0, &ax)))
            return rc;
        int64_t dim = x->dim[ax], part[NOUT_MAX];
        const npu_attr *sz = npu_layer_attr(l, "sizes");
        int64_t nparts = l->nout;
        if (sz) {
            if (npu_layer_attr(l, "n"))
                return lerr(g, l, err, "give sizes= or n=, not both");
            if (sz->n != l->nout)
                return lerr(g, l, err, "sizes= has %d values for %d outputs", sz->n, l->nout);
            int64_t sum = 0;
            for (int i = 0; i < sz->n; i++) {
                if (sz->i[i] < 1 || sz->i[i] > dim)
                    return lerr(g, l, err, "split size %lld out of range 1..%lld",
                                (long long)sz->i[i], (long long)dim);
                part[i] = sz->i[i];
                sum += sz->i[i];
            }
            if (sum != dim)
                return lerr(g, l, err, "sizes= add up to %lld, axis %d has %lld", (long long)sum,
                            ax, (long long)dim);
        } else {
            if ((rc = get_int_attr(c, "n", l->nout, 1, NOUT_MAX, &nparts)))
                return rc;
            if (nparts != l->nout)
                return lerr(g, l, err, "n=%lld parts but %d outputs", (long long)nparts, l->nout);
            int64_t each = (dim + nparts - 1) / nparts;
            for (int i = 0; i < nparts; i++) {
                part[i] = dim - each * i < each ? dim - each * i : each;
                if (part[i] < 1)
                    return lerr(g, l, err, "cannot split %lld into %lld parts", (long long)dim,
                                (long long)nparts);
            }
        }
        for (int k = 0; k < l->nout; k++) {
            shape s = o;
            s.d[ax] = part[k];
            if ((rc = set_out(c, k, &s, dt)))
                return rc;
        }
        goto done;
    }
    case NPU_OP_SLICE: {
        const npu_attr *st = npu_layer_attr(l, "starts"), *en = npu_layer_attr(l, "ends");
        const npu_attr *ax = npu_layer_attr(l, "axes"), *sp = npu_layer_attr(l, "steps");
        if (!st || !en)
            return lerr(g, l, err, "needs starts= and ends=");
        if (en->n != st->n || (ax && ax->n != st->n) || (sp && sp->n != st->n))
            return lerr(g, l, err, "starts=, ends=, axes= and steps= must have the same length");
        bool seen[NPU_MAX_DIMS] = {false};
        for (int i = 0; i < st->n; i++) {
            int a;
            if (ax) {
                if ((rc = norm_axis(c, "axes", ax->i[i], x->ndim, 0, &a)))
                    return rc;
            } else if (i >= x->ndim)
                return lerr(g, l, err, "more starts= than input dims");
            else
                a = i;
            if (seen[a])
                return lerr(g, l, err, "axis %d sliced twice", a);
            seen[a] = true;
            int64_t step = sp ? sp->i[i] : 1;
            if (step == 0 || step == INT64_MIN)
                return lerr(g, l, err, "step %lld is not allowed", (long long)step);
            int64_t n = slice_len(x->dim[a], st->i[i], en->i[i], step);
            if (n < 1)
                return lerr(g, l, err, "slice %lld:%lld:%lld of axis %d (size %lld) is empty",
                            (long long)st->i[i], (long long)en->i[i], (long long)step, a,
                            (long long)x->dim[a]);
            o.d[a] = n;
        }
        break;
    }
    case NPU_OP_RESHAPE: {
        const npu_attr *sh = npu_layer_attr(l, "shape");
        if (!sh)
            return lerr(g, l, err, "missing attribute shape=");
        if (sh->n > NPU_MAX_DIMS)
            return lerr(g, l, err, "shape= has more than %d dims", NPU_MAX_DIMS);
        int64_t known = 1, total = npu_tensor_elems(x);
        int neg = -1;
        o.ndim = sh->n;
        for (int i = 0; i < sh->n; i++) {
            int64_t v = sh->i[i];
            if (v == 0) {
                if (i >= x->ndim)
                    return lerr(g, l, err, "shape= copies dim %d (0) the input does not have", i);
                v = x->dim[i];
            } else if (v == -1) {
                if (neg >= 0)
                    return lerr(g, l, err, "shape= has more than one -1");
                neg = i;
                o.d[i] = 1;
                continue;
            } else if (v < 1 || v > DIM_MAX)
                return lerr(g, l, err, "shape= value %lld is not allowed", (long long)v);
            o.d[i] = v;
            known = cmul(known, v);
            if (known < 0 || known > ELEM_MAX)
                return lerr(g, l, err, "shape= has more than 2^48 elements");
        }
        if (neg >= 0) {
            if (total % known)
                return lerr(g, l, err,
                            "cannot infer -1: %lld elements are not a multiple of "
                            "%lld",
                            (long long)total, (long long)known);
            o.d[neg] = total / known;
        } else if (known != total) {
            fmt_dims(dbuf, sizeof dbuf, x->ndim, x->dim);
            return lerr(g, l, err, "shape= has %lld elements, input %s has %lld", (long long)known,
                        dbuf, (long long)total);
        }
        break;
    }
    case NPU_OP_FLATTEN: {
        /* ONNX: axis in [-rank, rank]; axis 0 gives [1, all] */
        int64_t av = npu_layer_int(l, "axis", 0, 1);
        if (av < -x->ndim || av > x->ndim)
            return lerr(g, l, err, "axis=%lld out of range for rank %d", (long long)av, x->ndim);
        int ax = (int)(av < 0 ? av + x->ndim : av);
        int64_t a = 1, b = 1;
        for (int i = 0; i < x->ndim; i++) {
            if (i < ax)
                a *= x->dim[i];
            else
                b *= x->dim[i];
        }
        o.ndim = 2;
        o.d[0] = a;
        o.d[1] = b;
        break;
    }
    case NPU_OP_SQUEEZE: {
        int axes[NPU_MAX_DIMS], na;
        bool seen[NPU_MAX_DIMS];
        if ((rc = axes_list(c, "axes", x->ndim, 0, axes, &na, seen)))
            return rc;
        o.ndim = 0;
        for (int i = 0; i < x->ndim; i++) {
            bool drop = na ? seen[i] : x->dim[i] == 1;
            if (na && seen[i] && x->dim[i] != 1)
                return lerr(g, l, err, "cannot squeeze axis %d of size %lld", i,
                            (long long)x->dim[i]);
            if (!drop)
                o.d[o.ndim++] = x->dim[i];
        }
        break;
    }
    case NPU_OP_UNSQUEEZE: {
        const npu_attr *a = npu_layer_attr(l, "axes");
        if (!a)
            return lerr(g, l, err, "missing attribute axes=");
        int r = x->ndim + a->n;
        if (r > NPU_MAX_DIMS)
            return lerr(g, l, err, "output rank %d exceeds %d", r, NPU_MAX_DIMS);
        int axes[NPU_MAX_DIMS], na;
        bool seen[NPU_MAX_DIMS];
        if ((rc = axes_list(c, "axes", x->ndim, a->n, axes, &na, seen)))
            return rc;
        o.ndim = r;
        for (int i = 0, j = 0; i < r; i++)
            o.d[i] = seen[i] ? 1 : x->dim[j++];
        break;
    }
    case NPU_OP_TRANSPOSE: {
        const npu_attr *p = npu_layer_attr(l, "perm");
        if (p && p->n != x->ndim)
            return lerr(g, l, err, "perm= has %d values for a rank-%d input", p->n, x->ndim);
        bool seen[NPU_MAX_DIMS] = {false};
        for (int i = 0; i < x->ndim; i++) {
            int64_t src = p ? p->i[i] : x->ndim - 1 - i;
            if (src < 0 || src >= x->ndim || seen[src])
                return lerr(g, l, err, "perm= is not a permutation of 0..%d", x->ndim - 1);
            seen[src] = true;
            o.d[i] = x->dim[src];
        }
        break;
    }
    case NPU_OP_RESIZE: {
        if ((rc = need_rank(c, x, 3, NPU_MAX_DIMS)))
            return rc;
        const npu_attr *sc = npu_layer_attr(l, "scale"), *sz = npu_layer_attr(l, "size");
        const char *mode = npu_layer_str(l, "mode", "nearest");
        if (strcmp(mode, "nearest") && strcmp(mode, "linear") && strcmp(mode, "cubic"))
            return lerr(g, l, err, "mode=%s is not nearest, linear or cubic", mode);
        if ((sc != NULL) == (sz != NULL))
            return lerr(g, l, err, "give exactly one of scale= and size=");
        int sp = x->ndim - 2; /* spatial dims */
        const npu_attr *a = sc ? sc : sz;
        if (a->type == NPU_ATTR_INTS && a->n != 1 && a->n != sp)
            return lerr(g, l, err, "%s= takes 1 or %d values, got %d", a->key, sp, a->n);
        for (int i = 0; i < sp; i++) {
            int64_t in = x->dim[2 + i];
            double v;
            if (a->type == NPU_ATTR_FLOAT)
                v = floor((double)in * a->f);
            else {
                int64_t q = a->i[i < a->n ? i : a->n - 1];
                if (q < 1 || q > DIM_MAX)
                    return lerr(g, l, err, "%s= value %lld out of range", a->key, (long long)q);
                v = sc ? (double)in * (double)q : (double)q;
            }
            if (!(v >= 1) || v > (double)DIM_MAX)
                return lerr(g, l, err, "resized dimension %g out of range 1..2^31-1", v);
            o.d[2 + i] = (int64_t)v;
        }
        break;
    }
    case NPU_OP_PAD: {
        const npu_attr *p = npu_layer_attr(l, "p"), *pp = npu_layer_attr(l, "pads");
        const char *mode = npu_layer_str(l, "mode", "constant");
        if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
            return lerr(g, l, err, "mode=%s is not constant, reflect or edge", mode);
        if (p && pp)
            return lerr(g, l, err, "give p= or pads=, not both");
        if (pp) {
            if (pp->n != 2 * x->ndim)
                return lerr(g, l, err, "pads= needs %d values (begins then ends), got %d",
                            2 * x->ndim, pp->n);
            for (int i = 0; i < x->ndim; i++) {
                int64_t b = pp->i[i], e = pp->i[i + x->ndim];
                if (b < -DIM_MAX || b > DIM_MAX || e < -DIM_MAX || e > DIM_MAX)
                    return lerr(g, l, err, "pads= value out of range");
                o.d[i] = x->dim[i] + b + e;
            }
        } else {
            int64_t pad[4];
            if ((rc = need_rank(c, x, 2, NPU_MAX_DIMS)) || (rc = pads_attr(c, pad)))
                return rc;
            o.d[x->ndim - 2] += pad[0] + pad[2];
            o.d[x->ndim - 1] += pad[1] + pad[3];
        }
        break;
    }
    case NPU_OP_GATHER: {
        const npu_tensor *ix = c->x[1];
        int ax;
        if (npu_dtype_is_float(ix->dtype))
            return lerr(g, l, err, "indices '%s' must be an integer tensor, not %s", ix->name,
                        npu_dtype_name(ix->dtype));
        if (x->ndim < 1)
            return lerr(g, l, err, "cannot gather from a scalar");
        if ((rc = norm_axis(c, "axis", npu_layer_int(l, "axis", 0, 0), x->ndim, 0, &ax)))
            return rc;
        if (x->ndim - 1 + ix->ndim > NPU_MAX_DIMS)
            return lerr(g, l, err, "output rank exceeds %d", NPU_MAX_DIMS);
        o.ndim = 0;
        for (int i = 0; i < ax; i++)
            o.d[o.ndim++] = x->dim[i];
        for (int i = 0; i < ix->ndim; i++)
            o.d[o.ndim++] = ix->dim[i];
        for (int i = ax + 1; i < x->ndim; i++)
            o.d[o.ndim++] = x->dim[i];
        count_consts = true;
        break;
    }
    case NPU_OP_REDUCE: {
        const char *kind = npu_layer_str(l, "kind", NULL);
        static const char *const kinds[] = {"mean", "sum", "max", "min", "prod", "l1", "l2", NULL};
        bool ok = false;
        for (int i = 0; kind && kinds[i]; i++)
            ok = ok || strcmp(kind, kinds[i]) == 0;
        if (!ok)
            return lerr(g, l, err, "kind=%s is not one of mean, sum, max, min, prod, l1, l2",
                        kind ? kind : "(missing)");
        int64_t keep;
        if ((rc = get_int_attr(c, "keep", 1, 0, 1, &keep)))
            return rc;
        int axes[NPU_MAX_DIMS], na;
        bool seen[NPU_MAX_DIMS];
        if ((rc = axes_list(c, "axes", x->ndim, 0, axes, &na, seen)))
            return rc;
        o.ndim = 0;
        for (int i = 0; i < x->ndim; i++) {
            bool red = na ? seen[i] : true;
            if (!red)
                o.d[o.ndim++] = x->dim[i];
            else if (keep)
                o.d[o.ndim++] = 1;
        }
        break;
    }
    case NPU_OP_LEAKY:
    case NPU_OP_HARDSIGMOID:
    case NPU_OP_CLIP: {
        double mn = npu_layer_float(l, "min", -INFINITY), mx = npu_layer_float(l, "max", INFINITY);
        if (mn > mx)
            return lerr(g, l, err, "min=%g is larger than max=%g", mn, mx);
        break;
    }
    case NPU_OP_LRN: {
        /* ONNX LRN: across channels of an N x C x D1 ... tensor, over `size` neighbours (the
         * output has the input's shape). size must be odd and >= 1 as in ONNX. */
        int64_t size;
        if ((rc = need_rank(c, x, 3, NPU_MAX_DIMS)))
            return rc;
        if ((rc = get_int_attr(c, "size", -1, 1, 4096, &size)))
            return rc;
        if (size < 0)
            return lerr(g, l, err, "missing attribute size= (channels summed over)");
        if (size % 2 == 0)
            return lerr(g, l, err, "size=%lld must be odd", (long long)size);
        double beta = npu_layer_float(l, "beta", 0.75), alpha = npu_layer_float(l, "alpha", 1e-4);
        double bias = npu_layer_float(l, "bias", 1.0);
        if (!isfinite(alpha) || !isfinite(beta) || !isfinite(bias))
            return lerr(g, l, err, "alpha, beta and bias must be finite");
        break;
    }
    default: /* element-wise unary, activations, identity, cast/quant: same shape */
        break;
    }
    if (count_consts)
        for (int i = 0; i < l->nin; i++) {
            const npu_tensor *t = &g->t[l->in[i]];
            if (t->kind == NPU_T_CONST && !counted[l->in[i]]) {
                counted[l->in[i]] = true;
                params += npu_tensor_elems(t);
            }
        }
    for (int k = 0; k < l->nout; k++) {
        shape ok = o;
        npu_dtype odt = dt;
        if (l->src_op && (rc = host_out_shape(c, k, &ok, &odt)))
            return rc;
        if ((rc = set_out(c, k, &ok, odt)))
            return rc;
    }
done:
    l->macs = macs;
    l->params = params;
    if (cls == NPU_OPC_CONV || l->op == NPU_OP_GEMM) {
        if (npu_layer_int(l, "bias", 0, 0) || (l->flags & NPU_LF_BN_FOLDED))
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
static int check_batch_reshape(const npu_graph *g, const npu_layer *l, int64_t batch,
                               npu_err *err)
{
    if (l->op != NPU_OP_RESHAPE || l->nin < 1)
        return 0;
    const npu_attr *sh = npu_layer_attr(l, "shape");
    const npu_tensor *x = &g->t[l->in[0]];
    if (!sh || sh->type != NPU_ATTR_INTS || sh->n < 1 || !x->shape_known || x->ndim < 1 ||
        x->dim[0] != batch || sh->i[0] == 0 || sh->i[0] == -1 || sh->i[0] == batch)
        return 0;
    char dbuf[160];
    fmt_ints(dbuf, sizeof dbuf, sh->n, sh->i, ',');
    return lerr(g, l, err,
                "shape=%s hard-codes batch %lld, the graph now runs batch %lld (write 0 or -1 "
                "as the leading dim to follow the input's batch)",
                dbuf, (long long)sh->i[0], (long long)batch);
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
                               gname(g), t->name);
    }
    return 0;
}

int npu_graph_infer(npu_graph *g, npu_err *err)
{
    return infer_all(g, 0, err);
}

void npu_graph_work_of(const npu_graph *g, npu_graph_work *out)
{
    const npu_tensor *x = g && g->ninputs ? &g->t[g->inputs[0]] : NULL;
    out->batch = x && x->ndim >= 2 && x->dim[0] > 0 ? x->dim[0] : 1;
    out->items = g && g->items > 0 ? g->items : out->batch;
    out->unit = g && g->unit && g->unit[0] ? g->unit
                : x && x->ndim == 4               ? "image"
                                                  : "inference";
    out->prefill = g && g->prefill;
}

int npu_graph_set_batch(npu_graph *g, int64_t n, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    if (n < 1 || n > DIM_MAX)
        return npu_err_set(err, NPU_EINVAL, "%s: batch %lld is not a positive dimension",
                           gname(g), (long long)n);
    if (g->ninputs == 0)
        return npu_err_set(err, NPU_EINVAL, "%s: the graph has no inputs to give batch %lld",
                           gname(g), (long long)n);
    const npu_tensor *x0 = &g->t[g->inputs[0]];
    char dbuf[160];
    if (x0->ndim < 2) {
        fmt_dims(dbuf, sizeof dbuf, x0->ndim, x0->dim);
        return npu_err_set(err, NPU_EINVAL,
                           "%s: input '%s' (%s) has no batch dimension (rank %d; a batched "
                           "input has the batch as its leading dim)",
                           gname(g), x0->name, dbuf, x0->ndim);
    }
    int64_t b = x0->dim[0];
    /* b == n (already read at batch n: an ONNX symbolic batch) still checks the inputs */
    if (x0->ndim == 2 && b != 1 && b != n) {
        /* [M, K] with M > 1: rows of a matrix (tokens, a SCALE-Sim GEMM's M) as often as a
         * batch; replacing M by n would be a guess */
        fmt_dims(dbuf, sizeof dbuf, x0->ndim, x0->dim);
        return npu_err_set(err, NPU_EINVAL,
                           "%s: input '%s' (%s) has no batch dimension: the leading dim of a 2-D "
                           "input is a batch only when it is 1 (here it may be the rows of a "
                           "matrix)",
                           gname(g), x0->name, dbuf);
    }
    for (int i = 1; i < g->ninputs; i++) {
        const npu_tensor *x = &g->t[g->inputs[i]];
        if (x->ndim < 2 || x->dim[0] != b) {
            fmt_dims(dbuf, sizeof dbuf, x->ndim, x->dim);
            return npu_err_set(err, NPU_EINVAL,
                               "%s: input '%s' (%s) has no batch dimension: its leading dim is "
                               "not the batch %lld of input '%s', so batch %lld cannot be set",
                               gname(g), x->name, dbuf, (long long)b, x0->name, (long long)n);
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

int npu_layer_conv_geom(const npu_graph *g, int li, npu_conv_geom *out)
{
    if (!g || li < 0 || li >= g->nl || !out)
        return NPU_EINVAL;
    const npu_layer *l = &g->l[li];
    if (npu_op_class(l->op) != NPU_OPC_CONV && npu_op_class(l->op) != NPU_OPC_POOL)
        return NPU_EINVAL;
    const npu_tensor *x = &g->t[l->in[0]], *y = &g->t[l->out[0]];
    if (!x->shape_known || !y->shape_known || x->ndim < 3 || y->ndim != x->ndim)
        return NPU_EINVAL;
    memset(out, 0, sizeof *out);
    out->n = x->dim[0];
    out->c = x->dim[1];
    out->h = x->dim[2];
    out->w = x->ndim >= 4 ? x->dim[3] : 1;
    out->k = y->dim[1];
    out->ho = y->dim[2];
    out->wo = y->ndim >= 4 ? y->dim[3] : 1;
    if (l->op == NPU_OP_GAVGPOOL || l->op == NPU_OP_GMAXPOOL) {
        out->kh = (int)out->h;
        out->kw = (int)out->w;
        out->sh = out->sw = out->dh = out->dw = 1;
    } else {
        out->kh = (int)npu_layer_int(l, "k", 0, 1);
        out->kw = (int)npu_layer_int(l, "k", 1, 1);
        out->sh = (int)npu_layer_int(l, "s", 0, 1);
        out->sw = (int)npu_layer_int(l, "s", 1, 1);
        out->dh = (int)npu_layer_int(l, "d", 0, 1);
        out->dw = (int)npu_layer_int(l, "d", 1, 1);
        const npu_attr *p = npu_layer_attr(l, "p");
        if (p && p->n == 2) {
            out->pt = out->pb = (int)p->i[0];
            out->pl = out->pr = (int)p->i[1];
        } else if (p && p->n >= 4) {
            out->pt = (int)p->i[0];
            out->pl = (int)p->i[1];
            out->pb = (int)p->i[2];
            out->pr = (int)p->i[3];
        } else if (p) {
            out->pt = out->pl = out->pb = out->pr = (int)p->i[0];
        }
    }
    if (npu_op_class(l->op) == NPU_OPC_CONV) {
        out->groups = (int)npu_layer_int(l, "g", 0, 1);
        out->depthwise = out->groups == out->c && out->k == out->c && out->c > 1;
    } else {
        out->groups = (int)out->c; /* pooling works per channel */
        out->depthwise = true;
    }
    return 0;
}

int npu_layer_gemm_geom(const npu_graph *g, int li, npu_gemm_geom *out)
{
    if (!g || li < 0 || li >= g->nl || !out)
        return NPU_EINVAL;
    const npu_layer *l = &g->l[li];
    if (l->op != NPU_OP_GEMM && l->op != NPU_OP_MATMUL)
        return NPU_EINVAL;
    const npu_tensor *x = &g->t[l->in[0]], *y = &g->t[l->out[0]];
    if (!x->shape_known || !y->shape_known)
        return NPU_EINVAL;
    memset(out, 0, sizeof *out);
    if (l->op == NPU_OP_GEMM) {
        out->batch = 1;
        gemm_mk(x, &out->m, &out->k);
        out->n = npu_layer_int(l, "out", 0, 1);
        out->weights_const = true;
        return 0;
    }
    if (l->nin < 2)
        return NPU_EINVAL;
    const npu_tensor *b = &g->t[l->in[1]];
    int tb = (int)npu_layer_int(l, "transb", 0, 0);
    out->k = x->ndim ? x->dim[x->ndim - 1] : 1;
    out->m = x->ndim >= 2 ? x->dim[x->ndim - 2] : 1;
    out->n = b->ndim >= 2 ? (tb ? b->dim[b->ndim - 2] : b->dim[b->ndim - 1]) : 1;
    int64_t ob = 1;
    int brank = (x->ndim >= 2) + (b->ndim >= 2);
    for (int i = 0; i < y->ndim - brank; i++)
        ob *= y->dim[i];
    out->batch = ob;
    out->weights_const = b->kind == NPU_T_CONST;
    return 0;
}

int64_t npu_graph_macs(const npu_graph *g)
{
    int64_t s = 0;
    for (int i = 0; g && i < g->nl; i++)
        if (!(g->l[i].flags & NPU_LF_DEAD) && g->l[i].macs > 0)
            s = s > INT64_MAX - g->l[i].macs ? INT64_MAX : s + g->l[i].macs;
    return s;
}

int64_t npu_graph_params(const npu_graph *g)
{
    int64_t s = 0;
    for (int i = 0; g && i < g->nl; i++)
        if (!(g->l[i].flags & NPU_LF_DEAD) && g->l[i].params > 0)
            s = s > INT64_MAX - g->l[i].params ? INT64_MAX : s + g->l[i].params;
    return s;
}
