/* graph.h — the operator-graph IR every front end produces and every model lowers
 * (prefix npu_graph_ / npu_layer_ / npu_tensor_).
 *
 * A graph is a list of tensors and a list of layers in topological order. Each layer reads
 * tensors (activations, graph inputs, constants) and writes one or more tensors; a layer's
 * first output tensor carries the layer's name ("name:1" for a second output). Weights of
 * conv/gemm layers are implicit: they are described by attributes (out=, k=) and counted in
 * `params`, never stored. Tensor data is never held by the IR, except one number for a
 * constant whose elements are all equal (npu_tensor.value: the 3 of x·relu6(x+3)/6).
 *
 * Layout convention: activations are NCHW (rank 4) or any rank for the generic ops; dims are
 * int64. Shapes are inferred by npu_graph_infer(); front ends only give input shapes.
 */
#ifndef NPU_GRAPH_H
#define NPU_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "ops.h"

#define NPU_MAX_DIMS 8
/* Longest layer or tensor name, in bytes. Real models stay far below (ONNX exports: < 200); a
 * script that builds names by concatenation in a loop would otherwise grow C memory
 * quadratically outside the Lua memory cap (found by the lua_fuzz campaign: 3.7 GB). */
#define NPU_NAME_MAX 1024
#define NPU_ATTR_MAXN 16

/* ---- data types ----------------------------------------------------------------------------
 * X(enum, npg/CLI spelling, bits, is_float) */
#define NPU_DTYPE_LIST(X)            \
    X(NPU_DT_INT8, "int8", 8, 0)     \
    X(NPU_DT_UINT8, "uint8", 8, 0)   \
    X(NPU_DT_INT16, "int16", 16, 0)  \
    X(NPU_DT_INT4, "int4", 4, 0)     \
    X(NPU_DT_FP16, "fp16", 16, 1)    \
    X(NPU_DT_BF16, "bf16", 16, 1)    \
    X(NPU_DT_FP32, "fp32", 32, 1)    \
    X(NPU_DT_INT32, "int32", 32, 0)  \
    X(NPU_DT_INT64, "int64", 64, 0)  \
    X(NPU_DT_BOOL, "bool", 8, 0)

typedef enum npu_dtype {
#define NPU_X(e, s, b, f) e,
    NPU_DTYPE_LIST(NPU_X)
#undef NPU_X
    NPU_DT_COUNT
} npu_dtype;

const char *npu_dtype_name(npu_dtype t);
int npu_dtype_bits(npu_dtype t);
bool npu_dtype_is_float(npu_dtype t);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int npu_dtype_parse(const char *s, npu_dtype *out);
/* Bytes for `elems` elements (int4 rounds up to whole bytes). */
int64_t npu_dtype_bytes(npu_dtype t, int64_t elems);

/* ---- attributes --------------------------------------------------------------------------- */
typedef enum npu_attr_type { NPU_ATTR_INTS, NPU_ATTR_FLOAT, NPU_ATTR_STR } npu_attr_type;

typedef struct npu_attr {
    const char *key;        /* arena-owned */
    npu_attr_key id;        /* key interned (ops.h), NPU_K_NONE for a free-form key */
    npu_attr_type type;
    int n;                  /* INTS: number of values (1..NPU_ATTR_MAXN) */
    int64_t i[NPU_ATTR_MAXN];
    double f;               /* FLOAT */
    const char *s;          /* STR (arena-owned) */
} npu_attr;

/* ---- tensors -------------------------------------------------------------------------------- */
typedef enum npu_tensor_kind {
    NPU_T_ACT = 0,  /* produced by a layer          */
    NPU_T_INPUT,    /* graph input                  */
    NPU_T_CONST     /* constant (weights, tables)   */
} npu_tensor_kind;

typedef struct npu_tensor {
    const char *name;  /* arena-owned */
    npu_tensor_kind kind;
    npu_dtype dtype;
    int ndim;          /* 0 = not inferred yet (or a scalar after inference: ndim 0, shape_known) */
    int64_t dim[NPU_MAX_DIMS];
    bool shape_known;
    int producer;      /* layer index, -1 for inputs and constants */
    int view_of;       /* tensor this one aliases (reshape/flatten views), -1 otherwise */
    /* A constant every element of which is `value` (a scalar the front end knew: an ONNX
     * initializer, .npg `value=`, Lua b:const(..., value)). The one piece of tensor data the IR
     * keeps: npu_pass_fuse_patterns needs it where a value decides the function (the 3 and 6
     * of HardSwish, the 0.5 of GELU). False for weights and unknown constants. */
    bool has_value;
    double value;
} npu_tensor;

int64_t npu_tensor_elems(const npu_tensor *t);
int64_t npu_tensor_bytes(const npu_tensor *t);

/* ---- layers ---------------------------------------------------------------------------------- */
enum {
    NPU_LF_VIEW = 1u << 0,      /* no data movement: output aliases input (set by passes)     */
    NPU_LF_BIAS = 1u << 1,      /* conv/gemm has a bias (also after BN folding)               */
    NPU_LF_BN_FOLDED = 1u << 2, /* a batchnorm was folded into this layer                     */
    NPU_LF_DEAD = 1u << 3,      /* removed by a pass; skipped by everyone (kept for indices)  */
    NPU_LF_HOST = 1u << 4,      /* must run on the host (set by a model's placement or
                                   --allow-unsupported for unknown ops)                     */
    NPU_LF_INSERTED = 1u << 5,  /* inserted by a pass (quantize/dequantize)                  */
    NPU_LF_DTYPE = 1u << 6      /* `dtype` was chosen explicitly (.npg dtype=, npu_pass_dtype);
                                   without it npu_graph_infer sets dtype = the output dtype   */
};

typedef struct npu_layer {
    const char *name;   /* arena-owned, unique in the graph */
    npu_op op;
    int nin, nout;
    int *in;            /* tensor indices (arena) */
    int *out;           /* tensor indices (arena) */
    int nattr;
    npu_attr *attr;     /* arena */
    npu_act act;        /* fused activation (npu_pass_fuse_act or act= in .npg) */
    double act_alpha;   /* slope for leaky, etc. */
    npu_dtype dtype;    /* compute dtype (set by npu_pass_dtype; defaults to output dtype) */
    uint32_t flags;     /* NPU_LF_* */
    int64_t macs;       /* multiply-accumulates (npu_graph_infer) */
    int64_t params;     /* parameter count incl. bias (npu_graph_infer) */
    int line;           /* source line in the file it came from, 0 if none */
    const char *src_op; /* original operator name for host/unsupported ops (e.g. ONNX "TopK") */
} npu_layer;

typedef struct npu_graph {
    const char *name;
    const char *file;   /* the file it was read from ("" if built in memory) */
    npu_arena arena;
    npu_tensor *t;      /* tensors */
    int nt, ct;
    npu_layer *l;       /* layers, topological order */
    int nl, cl;
    int *inputs;        /* tensor indices of graph inputs */
    int ninputs, cinputs;
    int *outputs;       /* tensor indices of graph outputs */
    int noutputs, coutputs;
    npu_dtype dtype;    /* default dtype for layers (from the first input unless set) */
    /* What one run produces, for throughput in named units (npu_graph_work). Unset (0/NULL)
     * for ordinary networks: one run then produces `batch` images or inferences. Set by
     * builders that know better (the zoo's transformer: T tokens; .npg `items N UNIT`). */
    int64_t items;      /* items one run produces, 0 = the batch                       */
    const char *unit;   /* singular: "token"; NULL = "image" (rank-4 input) or "inference" */
    bool prefill;       /* a run ends with the first generated token: report time to it  */
    /* Name index (private to graph.c): open-addressing table of tensor indices kept in step by
     * the mutating functions; lookups on a graph whose index is stale scan linearly. */
    int *name_index;
    int name_index_cap, name_index_n;
    /* Inference cache (private to graph.c/infer.c). `inferred`: shapes, dtypes, counts and
     * the consumer lists below are those of the graph as it is; set by npu_graph_infer, cleared
     * by every npu_graph_/npu_layer_ mutator and by each pass (npu_graph_touch). A clone keeps
     * it, so a design point that runs the dtype policy on a copy of a prepared graph does not
     * infer its shapes again. cons_off[ti]..cons_off[ti+1] index cons[]: the live layers that
     * read tensor ti, in layer order (npu_graph_consumers reads them in O(1)). */
    bool inferred;
    int *cons_off, *cons;
} npu_graph;

/* ---- building ------------------------------------------------------------------------------ */
npu_graph *npu_graph_new(const char *name);
void npu_graph_free(npu_graph *g);
/* Deep copy (passes mutate graphs; runs copy the loaded graph first). */
npu_graph *npu_graph_clone(const npu_graph *g);

/* Add a graph input / constant tensor with a known shape. Returns tensor index or -1 (err set:
 * duplicate name, bad shape). */
int npu_graph_add_input(npu_graph *g, const char *name, int ndim, const int64_t *dim,
                        npu_dtype dt, npu_err *err);
int npu_graph_add_const(npu_graph *g, const char *name, int ndim, const int64_t *dim,
                        npu_dtype dt, npu_err *err);
/* Add a layer reading the named tensors; creates `nout` output tensors named name, name:1, ...
 * Returns the layer index or -1 (err: unknown input tensor, duplicate name). */
int npu_graph_add_layer(npu_graph *g, npu_op op, const char *name, int nin,
                        const char *const *inputs, int nout, npu_err *err);
int npu_graph_find_tensor(const npu_graph *g, const char *name); /* -1 if absent */
int npu_graph_find_layer(const npu_graph *g, const char *name);  /* -1 if absent */
int npu_graph_mark_output(npu_graph *g, const char *tensor, npu_err *err);
/* The graph's file, or its name when it has none: what messages about it start with. */
const char *npu_graph_label(const npu_graph *g);

/* Attribute setters/getters on layer li. Setters replace an existing key. */
int npu_layer_set_ints(npu_graph *g, int li, const char *key, int n, const int64_t *v);
int npu_layer_set_int(npu_graph *g, int li, const char *key, int64_t v);
int npu_layer_set_float(npu_graph *g, int li, const char *key, double v);
int npu_layer_set_str(npu_graph *g, int li, const char *key, const char *v);
const npu_attr *npu_layer_attr(const npu_layer *l, const char *key);
/* Integer attribute value `idx`; when the attribute has fewer values the last one repeats
 * (k=3 means 3,3); `def` when absent. */
int64_t npu_layer_int(const npu_layer *l, const char *key, int idx, int64_t def);
double npu_layer_float(const npu_layer *l, const char *key, double def);
const char *npu_layer_str(const npu_layer *l, const char *key, const char *def);
/* The same by interned key (ops.h): no string compare. The shape rules, the passes and the
 * front ends use these; a free-form key (NPU_K_NONE) is looked up by name only. */
const npu_attr *npu_layer_attr_k(const npu_layer *l, npu_attr_key k);
int64_t npu_layer_int_k(const npu_layer *l, npu_attr_key k, int idx, int64_t def);
double npu_layer_float_k(const npu_layer *l, npu_attr_key k, double def);
const char *npu_layer_str_k(const npu_layer *l, npu_attr_key k, const char *def);

/* ---- shape inference and counting --------------------------------------------------------------
 * Infers every tensor's shape and dtype, every layer's macs/params, checks attributes.
 * Errors name the graph file, the layer's line and what is wrong ("net.npg:7: conv 'c2': kernel
 * 7 larger than padded input 5"). Absurd sizes (overflow of int64 products, dims <= 0) are
 * errors, never wrapped numbers. Runs once per graph state: on a graph inferred since its last
 * change (g->inferred) it returns 0 at once (sim/core/infer.c). */
int npu_graph_infer(npu_graph *g, npu_err *err);
/* Marks g changed: the next npu_graph_infer infers it again. Code that writes layer or tensor
 * fields directly (not through the functions above) calls it; the mutators here do. */
void npu_graph_touch(npu_graph *g);

/* Geometry of conv / convt / pooling layers after inference (input NCHW). */
typedef struct npu_conv_geom {
    int64_t n, c, h, w;      /* input */
    int64_t k, ho, wo;       /* output channels and size */
    int kh, kw, sh, sw, dh, dw;
    int pt, pl, pb, pr;      /* padding top, left, bottom, right */
    int groups;
    bool depthwise;          /* groups == c && (k == c) */
} npu_conv_geom;
int npu_layer_conv_geom(const npu_graph *g, int li, npu_conv_geom *out);

/* Geometry of gemm / matmul layers: batch × (M×K · K×N). */
typedef struct npu_gemm_geom {
    int64_t batch, m, n, k;
    bool weights_const;      /* gemm (implicit weights) or matmul with a const B */
} npu_gemm_geom;
int npu_layer_gemm_geom(const npu_graph *g, int li, npu_gemm_geom *out);

/* What one run of g produces: batch = leading dim of the first graph input (1 without
 * inputs or for a rank-0/1 input), items (g->items scaled, or the batch) and the unit. */
typedef struct npu_graph_work {
    int64_t batch, items;
    const char *unit; /* static or g's arena */
    bool prefill;
} npu_graph_work;
void npu_graph_work_of(const npu_graph *g, npu_graph_work *out);

/* Sets the batch (leading dim of every graph input) to n and re-infers shapes. The batch of
 * the graph is the leading dim of its first input; every input must have it (an input without
 * that leading dim has no batch dimension: error naming it; so has a rank < 2 input and a 2-D
 * input whose leading dim is not 1, which may be a matrix's rows), and a reshape whose shape= writes
 * a literal leading dim other than n while its input carries the batch is an error naming the
 * layer (it hard-codes the batch; 0 or -1 there follow it). n == current batch: no-op. */
int npu_graph_set_batch(npu_graph *g, int64_t n, npu_err *err);

/* Totals over live layers. */
int64_t npu_graph_macs(const npu_graph *g);
int64_t npu_graph_params(const npu_graph *g);

/* ---- passes (sim/core/passes.c; the dtype policy in dtype.c) -------------------------------
 * Each keeps layer indices stable by marking removed layers NPU_LF_DEAD (consumers are rewired).
 * npu_graph_compact() drops dead layers and renumbers; call it once at the end. */
/* Decomposed activations and norms (x·sigmoid(x), the Erf GELU chain, ReduceMean…Div ...)
 * become one op; a mul/add by a per-channel constant after a conv folds into it. */
int npu_pass_fuse_patterns(npu_graph *g, npu_err *err);
int npu_pass_fold_bn(npu_graph *g, npu_err *err);   /* conv/gemm + batchnorm → conv w/ bias */
int npu_pass_fuse_act(npu_graph *g, npu_err *err);  /* activation into its single producer */
int npu_pass_views(npu_graph *g, npu_err *err);     /* reshape/flatten/squeeze/identity as views */

/* The dtype policy: `choose` says in which dtype layer li runs when `want` is asked for
 * (a model's capability; NULL = always `want` for compute ops). Where a producer's output dtype
 * differs from what a consumer runs in, a quantize (float→int) or dequantize (int→float) layer
 * is inserted. */
typedef npu_dtype (*npu_dtype_choose_fn)(void *ud, const npu_graph *g, int li, npu_dtype want);
int npu_pass_dtype(npu_graph *g, npu_dtype want, npu_dtype_choose_fn choose, void *ud,
                   npu_err *err);
/* Mixed precision: the weights of conv/gemm layers and of matmuls with a constant operand take
 * dtype `w` (stored and moved at its width): constant matrices (ndim >= 2) they read get it as
 * their dtype, and the layer gets the attribute wdtype=<name> (for weights implied by out=);
 * biases, tables and activations keep theirs. A model reads the attribute (absent: weights in
 * the layer's dtype). Run after npu_pass_dtype. */
int npu_pass_weight_dtype(npu_graph *g, npu_dtype w, npu_err *err);
/* The dtype of a MAC layer's weights as that pass left them: the layer's wdtype attribute, else
 * its first constant matrix (a matmul's constant operand, such as a tied LM head), else the
 * layer's own dtype. Models that cost weights at their width (ops->weight_dtype) call this. */
npu_dtype npu_layer_weight_dtype(const npu_graph *g, const npu_layer *l);
/* Splits a dtype setting into activation and weight types: a plain type is both; the mixed
 * names w8a8, w4a16, w8a16, w4a8 (N-bit integer weights, a16 = fp16 activations as RKLLM
 * names them) and a16w8, a8w8 (SVP's names, integer activations). 0 ok, -1 unknown. */
int npu_dtype_parse_mixed(const char *s, npu_dtype *act, npu_dtype *weight);
int npu_graph_compact(npu_graph *g, npu_err *err);
/* The standard pipeline: infer, fuse_patterns, fold_bn, fuse_act, views, compact, infer. */
int npu_graph_prepare(npu_graph *g, npu_err *err);

/* Consumers of tensor ti (live layers only); returns count, fills up to max indices. */
int npu_graph_consumers(const npu_graph *g, int ti, int *out, int max);
/* Whether tensor ti is one of the graph outputs. */
bool npu_graph_is_output(const npu_graph *g, int ti);

#endif
