/* onnximp.h — private to the ONNX importer (sim/front/onnx*.c; prefix onnx_): the parsed
 * model, the value table and the functions the importer's files share. onnx.c's file comment
 * describes the flow; each file says which part it holds. */
#ifndef NPU_ONNXIMP_H
#define NPU_ONNXIMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front.h"
#include "pb.h"

#define ONNX_VALUE_CAP 4096 /* largest constant (elements) decoded for folding */
#define ONNX_OPSET_MIN 1
#define ONNX_OPSET_MAX 21
#define WIN_MAX ((int64_t)1 << 24) /* largest kernel, stride, dilation or padding accepted */
#define DIM_LIMIT ((int64_t)INT32_MAX) /* largest dimension (as the IR) */

/* TensorProto.DataType */
enum {
    OT_UNDEF = 0, OT_FLOAT = 1, OT_UINT8 = 2, OT_INT8 = 3, OT_UINT16 = 4, OT_INT16 = 5,
    OT_INT32 = 6, OT_INT64 = 7, OT_STRING = 8, OT_BOOL = 9, OT_FLOAT16 = 10, OT_DOUBLE = 11,
    OT_UINT32 = 12, OT_UINT64 = 13, OT_COMPLEX64 = 14, OT_COMPLEX128 = 15, OT_BFLOAT16 = 16,
    OT_UINT4 = 21, OT_INT4 = 22
};

/* ---- parsed model ------------------------------------------------------------------------ */
typedef struct otensor { /* TensorProto header; data stays in the file */
    const char *name;
    int dt;
    int ndim; /* -1: more dims than the IR holds */
    int64_t dim[NPU_MAX_DIMS];
    const uint8_t *msg; /* the whole message, re-scanned only to decode a small value */
    size_t len;
    bool external, segmented;
} otensor;

typedef struct ovi { /* ValueInfoProto */
    const char *name;
    bool is_tensor; /* TypeProto.tensor_type (not sequence/map/optional/sparse) */
    int dt;
    bool has_shape;
    int ndim; /* -1: more dims than the IR holds */
    int64_t dim[NPU_MAX_DIMS]; /* -1 = symbolic or missing */
} ovi;

enum { OA_UNDEF, OA_FLOAT, OA_INT, OA_STRING, OA_TENSOR, OA_GRAPH, OA_FLOATS, OA_INTS,
       OA_STRINGS, OA_TENSORS, OA_GRAPHS };

typedef struct oattr {
    const char *name;
    int type;
    double f;
    int64_t i;
    const char *s;
    long nints, nfloats;
    int64_t *ints;
    double *floats;
    otensor t;
    bool has_t, has_g, has_s, has_f, has_i;
} oattr;

typedef struct onode {
    const char *name, *op, *domain;
    int nin, nout, nattr;
    const char **in, **out;
    oattr *attr;
} onode;

/* ---- values: every ONNX name the importer knows ------------------------------------------ */
enum { VK_NONE = 0, VK_CONST, VK_INPUT, VK_ACT };

typedef struct oval {
    const char *name;    /* ONNX name */
    int kind;            /* VK_* */
    int ti;              /* IR tensor, -1 until materialised */
    const otensor *tp;   /* initializer / Constant tensor (VK_CONST) */
    const ovi *vi;       /* graph input, output or value_info entry */
    /* known shape of a constant (from tp or from folding) */
    bool shape_known;
    int ndim;
    int64_t dim[NPU_MAX_DIMS];
    int dt;              /* ONNX elem type, 0 unknown */
    /* known value (small constants only) */
    bool val_tried, has_val;
    long nval;
    int64_t *iv;
    double *fv;
    /* uses from the node list (graph outputs count as a use) */
    int producer; /* node index, -1 none */
    int nuses;
    int consumer; /* the last consuming node */
    struct oval *swapped; /* a constant that is this one with its last two axes swapped (a folded
                      Transpose), so that MatMul(A, Transpose(W)) reads W with transb=1 */
} oval;

/* A dimension a layer's first input must have, known from a constant weight only (the IR's gemm
 * and conv take K and the input channels from the input): checked once all shapes are inferred. */
typedef struct okcheck {
    struct okcheck *next;
    int li, node, axis; /* axis -1: the last */
    int64_t want;
    const char *wname; /* the weight */
} okcheck;

typedef struct ox {
    const char *file;
    npu_err *err;
    npu_arena a; /* importer scratch, freed at the end */
    const uint8_t *base;
    size_t size;
    bool allow;
    int64_t batch; /* > 0: a symbolic leading dim of a graph input (--batch) */
    int opset;
    const char *gname;
    onode *nodes;
    int nn;
    otensor *inits;
    int ninit;
    ovi *inputs, *outputs, *vinfo;
    int ninput, noutput, nvinfo;
    oval *v;
    int nv, cv;
    int *hash;
    size_t hcap;
    npu_graph *g;
    int inferred_nl; /* g->nl at the last on-demand inference; -1 never */
    const char **names; /* every IR tensor and layer name given out (hash set) */
    size_t nnames, cnames;
    int cur;         /* node being imported, -1 outside nodes */
    okcheck *kc;     /* onnx_expect_dim */
} ox;


/* ---- operators -------------------------------------------------------------------------------- */
typedef enum {
    K_CONV, K_CONVT, K_GEMM, K_MATMUL, K_POOL, K_GPOOL, K_BIN, K_VARIADIC, K_UNARY, K_LEAKY,
    K_HSIG, K_PRELU, K_GELU, K_CLIP, K_BN, K_SOFTMAX, K_LN, K_CONCAT, K_SPLIT, K_SLICE,
    K_RESHAPE, K_FLATTEN, K_SQUEEZE, K_UNSQUEEZE, K_IDENTITY, K_TRANSPOSE, K_RESIZE, K_PAD,
    K_GATHER, K_CAST, K_QUANT, K_DEQUANT, K_REDUCE, K_CONSTANT, K_SHAPE, K_SIZE, K_COS, K_RANGE,
    K_D2S, /* DepthToSpace / SpaceToDepth: reshape, transpose, reshape */
    K_FOLD, /* only on constants known at import time (shape computations) */
    K_LRN
} okind;

typedef struct opdef {
    const char *name;
    okind kind;
    npu_op op;
} opdef;

/* ---- onnxparse.c: element types, reading the model */
const char *onnx_ot_name(int t);
int onnx_ot_to_npu(int t);
int onnx_ot_width(int t);  /* bytes per element in raw_data; 0 = not fixed */
bool onnx_ot_is_float(int t);
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int onnx_fmt_err(ox *x, int code, const char *fmt, ...);
int onnx_graph_err(ox *x);
void *onnx_xalloc(ox *x, size_t count, size_t size);
int onnx_parse_model(ox *x);

/* ---- onnxfold.c: values, node helpers, constant folding */
oval *onnx_val_find(ox *x, const char *name);
int onnx_values_init(ox *x);
int64_t onnx_d2i(double d);
int onnx_val_value(ox *x, oval *v);
const oattr *onnx_attr(const onode *n, const char *name);
int64_t onnx_aint(const onode *n, const char *name, int64_t def);
double onnx_afloat(const onode *n, const char *name, double def);
const char *onnx_astr(const onode *n, const char *name, const char *def);
int onnx_node_in(ox *x, const onode *n, int i, oval **out);
int onnx_need_in(ox *x, const onode *n, int i, oval **out, const char *what);
int onnx_node_out(ox *x, const onode *n, int k, oval **out);
int onnx_only_outputs(ox *x, const onode *n, int used, const char *why);
int onnx_need_shape(ox *x, oval *v, int *nd, int64_t *dim, const char *what);
int onnx_need_value(ox *x, oval *v, const char *what);
bool onnx_has_value(ox *x, oval *v);
int onnx_materialize(ox *x, oval *v);
const char *onnx_node_base(const ox *x, const onode *n);
int onnx_emit(ox *x, const onode *n, npu_op op, const char *suffix, int nin, oval *const *ins,
                int nout);
int onnx_bind(ox *x, const onode *n, int k, int li, int j);
int onnx_emit1(ox *x, const onode *n, npu_op op, int nin, oval *const *ins);
int onnx_set_const(ox *x, const onode *n, int k, int dt, int nd, const int64_t *dim, long nval,
                     const int64_t *iv, const double *fv);
int64_t onnx_prod(int nd, const int64_t *d);
int onnx_norm_axis(int64_t a, int rank, int64_t *out);
int onnx_fold_binary(ox *x, const onode *n, const char *op, oval *a, oval *b);
int onnx_fold_misc(ox *x, const onode *n, int m, oval **in);
int onnx_fold_gather(ox *x, const onode *n, oval *d, oval *ix, int64_t axis);
void onnx_slice_range(int64_t d, int64_t st, int64_t en, int64_t step, int64_t *first,
                        int64_t *count);
int onnx_reshape_dims(ox *x, int nd, const int64_t *in, long nt, const int64_t *t, bool allowzero,
                        int64_t *out);
int onnx_fold_view(ox *x, const onode *n, oval *v, int nd, const int64_t *dim);

/* ---- onnxops.c: operator table, compute handlers */
const opdef *onnx_op_lookup(const onode *n);
int onnx_set_ints(ox *x, int li, const char *key, long n, const int64_t *v);
int onnx_set_int(ox *x, int li, const char *key, int64_t v);
int onnx_set_float(ox *x, int li, const char *key, double v);
int onnx_set_str(ox *x, int li, const char *key, const char *v);
int onnx_int_list(ox *x, const onode *n, const char *aname, int input, int64_t *out, long max,
                    long *cnt, const char *what);
npu_dtype onnx_npu_dt_or_fp32(int ot);
/* Layer li's first input must have `want` at axis (-1 the last): weight wname says so. */
int onnx_expect_dim(ox *x, int li, int axis, int64_t want, const char *wname);
/* Those checks, once every node is imported (shapes inferred once). */
int onnx_check_dims(ox *x);
int onnx_h_conv(ox *x, const onode *n, bool transposed);
int onnx_h_gemm(ox *x, const onode *n);
int onnx_h_pool(ox *x, const onode *n, npu_op op);
int onnx_h_binary(ox *x, const onode *n, const opdef *od);
int onnx_h_clip(ox *x, const onode *n);

/* ---- onnxdata.c: data, shape and constant handlers */
int onnx_h_reshape_like(ox *x, const onode *n, const opdef *od);
int onnx_h_concat(ox *x, const onode *n);
int onnx_h_split(ox *x, const onode *n);
int onnx_h_slice(ox *x, const onode *n);
int onnx_h_transpose(ox *x, const onode *n);
int onnx_h_resize(ox *x, const onode *n);
int onnx_h_pad(ox *x, const onode *n);
int onnx_h_gather(ox *x, const onode *n);
int onnx_h_cast(ox *x, const onode *n, int kind);
int onnx_h_reduce(ox *x, const onode *n);
int onnx_h_constant(ox *x, const onode *n);
int onnx_h_shape(ox *x, const onode *n, bool size);
int onnx_h_const_of_shape(ox *x, const onode *n);
int onnx_h_range(ox *x, const onode *n);
int onnx_h_simple(ox *x, const onode *n, const opdef *od);
int onnx_h_depth_to_space(ox *x, const onode *n);
int onnx_h_fold(ox *x, const onode *n);

/* ---- onnx.c: assembly */
int onnx_host_layer(ox *x, const onode *n);
bool onnx_node_known(const ox *x, int i);

#endif
