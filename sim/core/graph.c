/* graph.c — the operator-graph IR: dtype names, building, attributes, clone, consumers,
 * geometry and totals (prefix npu_graph_ / npu_layer_ / npu_tensor_).
 *
 * Shape inference is in infer.c (driver) and shape.c (the rules of each op class); the op
 * table (names, classes, input counts, attribute keys) in ops.c.
 */
#include "graph.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

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
    free(g->cons_off);
    free(g->cons);
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

const char *npu_graph_label(const npu_graph *g)
{
    return g->file && g->file[0] ? g->file : g->name;
}

/* Appends a tensor; name already arena-owned. */
static int new_tensor(npu_graph *g, const char *name, npu_tensor_kind kind, npu_dtype dt)
{
    g->inferred = false;
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

/* A name longer than NPU_NAME_MAX is refused; the message quotes its start only. */
static bool name_too_long(const npu_graph *g, const char *what, const char *name, npu_err *err)
{
    size_t n = strlen(name);
    if (n <= NPU_NAME_MAX)
        return false;
    npu_err_set(err, NPU_EINVAL, "%s: %s name of %zu bytes (at most %d): '%.40s...'",
                npu_graph_label(g), what, n, NPU_NAME_MAX, name);
    return true;
}

static int add_leaf(npu_graph *g, const char *name, int ndim, const int64_t *dim, npu_dtype dt,
                    npu_tensor_kind kind, npu_err *err)
{
    const char *what = kind == NPU_T_INPUT ? "input" : "const";
    if (!g || !name || !name[0])
        return npu_err_set(err, NPU_EINVAL, "%s: %s without a name",
                           g ? npu_graph_label(g) : "graph", what),
               -1;
    if (name_too_long(g, what, name, err))
        return -1;
    if ((unsigned)dt >= NPU_DT_COUNT)
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': bad dtype", npu_graph_label(g), what,
                           name),
               -1;
    if (ndim < 0 || ndim > NPU_MAX_DIMS || (ndim > 0 && !dim))
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': rank %d out of range 0..%d",
                           npu_graph_label(g), what, name, ndim, NPU_MAX_DIMS),
               -1;
    int64_t elems = 1;
    for (int i = 0; i < ndim; i++) {
        if (dim[i] < 1 || dim[i] > NPU_DIM_MAX)
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': dim %d is %lld (must be 1..%lld)",
                               npu_graph_label(g), what, name, i, (long long)dim[i],
                               (long long)NPU_DIM_MAX),
                   -1;
        if (elems > NPU_ELEM_MAX / dim[i])
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': more than 2^48 elements",
                               npu_graph_label(g), what, name),
                   -1;
        elems *= dim[i];
    }
    index_sync(g);
    if (npu_graph_find_tensor(g, name) >= 0)
        return npu_err_set(err, NPU_EINVAL, "%s: duplicate tensor name '%s'", npu_graph_label(g),
                           name),
               -1;
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
        return npu_err_set(err, NPU_EINVAL, "%s: layer without a name",
                           g ? npu_graph_label(g) : "graph"),
               -1;
    if (name_too_long(g, "layer", name, err))
        return -1;
    if ((unsigned)op >= NPU_OP_COUNT)
        return npu_err_set(err, NPU_EINVAL, "%s: layer '%s': bad op %d", npu_graph_label(g), name,
                           (int)op),
               -1;
    if (nin < 0 || (nin > 0 && !inputs) || nin > 4096)
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': bad input count %d", npu_graph_label(g),
                           npu_op_name(op), name, nin),
               -1;
    if (nout < 1 || nout > NPU_NOUT_MAX)
        return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': output count %d out of range 1..%d",
                           npu_graph_label(g), npu_op_name(op), name, nout, NPU_NOUT_MAX),
               -1;
    if (g->nl >= NPU_GRAPH_MAX_LAYERS)
        return npu_err_set(err, NPU_EUNSUPPORTED, "%s: %s '%s': more than %d layers, the most a "
                           "graph may hold (docs/formats.md)", npu_graph_label(g),
                           npu_op_name(op), name, NPU_GRAPH_MAX_LAYERS),
               -1;
    index_sync(g);
    if (npu_graph_find_layer(g, name) >= 0)
        return npu_err_set(err, NPU_EINVAL, "%s: duplicate layer name '%s'", npu_graph_label(g),
                           name),
               -1;
    const char *nm = npu_arena_strdup(&g->arena, name);
    if (!nm)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
    const char *onames[NPU_NOUT_MAX];
    for (int k = 0; k < nout; k++) {
        onames[k] = out_name(&g->arena, nm, k);
        if (!onames[k])
            return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
        if (npu_graph_find_tensor(g, onames[k]) >= 0)
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': tensor '%s' already exists",
                               npu_graph_label(g), npu_op_name(op), name, onames[k]),
                   -1;
    }
    int *in = nin ? npu_arena_alloc(&g->arena, sizeof(int) * (size_t)nin) : NULL;
    int *out = npu_arena_alloc(&g->arena, sizeof(int) * (size_t)nout);
    if ((nin && !in) || !out)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), -1;
    for (int i = 0; i < nin; i++) {
        in[i] = npu_graph_find_tensor(g, inputs[i]);
        if (in[i] < 0)
            return npu_err_set(err, NPU_EINVAL, "%s: %s '%s': unknown input tensor '%s'",
                               npu_graph_label(g), npu_op_name(op), name,
                               inputs[i] ? inputs[i] : "(null)"),
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
                           g ? npu_graph_label(g) : "graph", tensor ? tensor : "(null)");
    if (npu_graph_is_output(g, ti))
        return 0;
    g->inferred = false;
    if (grow_int((void **)&g->outputs, &g->coutputs, g->noutputs + 1, sizeof(int)))
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    g->outputs[g->noutputs++] = ti;
    return 0;
}

/* ---- attributes ------------------------------------------------------------------------------ */
const npu_attr *npu_layer_attr(const npu_layer *l, const char *key)
{
    for (int i = 0; l && key && i < l->nattr; i++)
        if (l->attr[i].key[0] == key[0] && strcmp(l->attr[i].key, key) == 0)
            return &l->attr[i];
    return NULL;
}

const npu_attr *npu_layer_attr_k(const npu_layer *l, npu_attr_key k)
{
    for (int i = 0; l && k != NPU_K_NONE && i < l->nattr; i++)
        if (l->attr[i].id == k)
            return &l->attr[i];
    return NULL;
}

/* Returns the slot for key (new or existing, cleared) or NULL on oom. */
static npu_attr *attr_slot(npu_graph *g, int li, const char *key)
{
    if (!g || li < 0 || li >= g->nl || !key || !key[0])
        return NULL;
    npu_layer *l = &g->l[li];
    g->inferred = false;
    npu_attr_key id = npu_attr_key_of(key);
    for (int i = 0; i < l->nattr; i++)
        if (strcmp(l->attr[i].key, key) == 0) {
            const char *k = l->attr[i].key;
            memset(&l->attr[i], 0, sizeof l->attr[i]);
            l->attr[i].key = k;
            l->attr[i].id = id;
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
    a->id = id;
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
    if (a->id == NPU_K_BIAS &&
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

/* The value readers on a found attribute (NULL: absent). */
static int64_t attr_int(const npu_attr *a, int idx, int64_t def)
{
    if (!a || idx < 0)
        return def;
    if (a->type == NPU_ATTR_INTS)
        return a->n <= 0 ? def : a->i[idx < a->n ? idx : a->n - 1];
    if (a->type == NPU_ATTR_FLOAT && isfinite(a->f) && fabs(a->f) < 9e18)
        return (int64_t)a->f;
    return def;
}
static double attr_float(const npu_attr *a, double def)
{
    if (!a)
        return def;
    if (a->type == NPU_ATTR_FLOAT)
        return a->f;
    if (a->type == NPU_ATTR_INTS && a->n >= 1)
        return (double)a->i[0];
    return def;
}
static const char *attr_str(const npu_attr *a, const char *def)
{
    return a && a->type == NPU_ATTR_STR ? a->s : def;
}

int64_t npu_layer_int(const npu_layer *l, const char *key, int idx, int64_t def)
{
    return attr_int(npu_layer_attr(l, key), idx, def);
}
double npu_layer_float(const npu_layer *l, const char *key, double def)
{
    return attr_float(npu_layer_attr(l, key), def);
}
const char *npu_layer_str(const npu_layer *l, const char *key, const char *def)
{
    return attr_str(npu_layer_attr(l, key), def);
}
int64_t npu_layer_int_k(const npu_layer *l, npu_attr_key k, int idx, int64_t def)
{
    return attr_int(npu_layer_attr_k(l, k), idx, def);
}
double npu_layer_float_k(const npu_layer *l, npu_attr_key k, double def)
{
    return attr_float(npu_layer_attr_k(l, k), def);
}
const char *npu_layer_str_k(const npu_layer *l, npu_attr_key k, const char *def)
{
    return attr_str(npu_layer_attr_k(l, k), def);
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
    /* Room for a few more layers and tensors: a design point's dtype policy adds a handful of
     * conversions to the clone (3 to a 2,000-layer transformer), and growing by doubling
     * there wrote a second copy of both arrays (fresh pages: ~20 % of the page faults of
     * such a point). The room is not written, so it costs no page. */
    int room_t = g->nt / 16 + 8, room_l = g->nl / 16 + 8;
    if (g->nt) {
        c->t = npu_malloc(sizeof *c->t * ((size_t)g->nt + (size_t)room_t));
        if (!c->t)
            goto oom;
        c->ct = g->nt + room_t;
    }
    if (g->nl) {
        c->l = npu_malloc(sizeof *c->l * ((size_t)g->nl + (size_t)room_l));
        if (!c->l)
            goto oom;
        c->cl = g->nl + room_l;
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
    if (g->inferred && g->cons_off) {
        /* the copy is inferred as the original is: its consumer index comes along */
        size_t ne = (size_t)g->cons_off[g->nt];
        c->cons_off = npu_malloc(sizeof(int) * ((size_t)g->nt + 1));
        c->cons = npu_malloc(sizeof(int) * (ne + 1));
        if (!c->cons_off || !c->cons)
            goto oom;
        memcpy(c->cons_off, g->cons_off, sizeof(int) * ((size_t)g->nt + 1));
        memcpy(c->cons, g->cons, sizeof(int) * ne);
        c->inferred = true;
    }
    return c;
oom:
    npu_graph_free(c);
    return NULL;
}

int npu_graph_consumers(const npu_graph *g, int ti, int *out, int max)
{
    if (g && g->inferred && g->cons_off && ti >= 0 && ti < g->nt) {
        /* the index infer.c built: O(1) per query */
        int b = g->cons_off[ti], n = g->cons_off[ti + 1] - b;
        for (int i = 0; out && i < n && i < max; i++)
            out[i] = g->cons[b + i];
        return n;
    }
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
        out->kh = (int)npu_layer_int_k(l, NPU_K_K, 0, 1);
        out->kw = (int)npu_layer_int_k(l, NPU_K_K, 1, 1);
        out->sh = (int)npu_layer_int_k(l, NPU_K_S, 0, 1);
        out->sw = (int)npu_layer_int_k(l, NPU_K_S, 1, 1);
        out->dh = (int)npu_layer_int_k(l, NPU_K_D, 0, 1);
        out->dw = (int)npu_layer_int_k(l, NPU_K_D, 1, 1);
        const npu_attr *p = npu_layer_attr_k(l, NPU_K_P);
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
        out->groups = (int)npu_layer_int_k(l, NPU_K_G, 0, 1);
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
        npu_shape_gemm_mk(x, &out->m, &out->k);
        out->n = npu_layer_int_k(l, NPU_K_OUT, 0, 1);
        out->weights_const = true;
        return 0;
    }
    if (l->nin < 2)
        return NPU_EINVAL;
    const npu_tensor *b = &g->t[l->in[1]];
    int tb = (int)npu_layer_int_k(l, NPU_K_TRANSB, 0, 0);
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
