/* ops.h — the operator table: one row per IR operator with everything the rest of npusim needs
 * to know about it (prefix npu_op_ / npu_attr_key_).
 *
 * In the manner of Lua's lopcodes.h / lopcodes.c: the enum and its spelling here (NPU_OP_LIST,
 * whose order is the enum order), the properties of each op in one table row in ops.c, read
 * through npu_op_info(). A row says:
 *   - the op's .npg spelling and its class (conv, gemm, eltwise, ...);
 *   - how many inputs it takes ([min, max]) and how many of those may be activations (the rest
 *     must be constants: a conv's optional weight/bias initializers);
 *   - which attribute keys it accepts, as a set of interned keys (NPU_ATTR_KEY_LIST);
 *   - the fused activation an activation op stands for (relu6 → NPU_ACT_RELU6).
 * graph.c (building, attribute interning), infer.c (the shape rules check arity and keys
 * against the row), the .npg reader/writer and the ONNX importer/writer all read it; nothing
 * else keeps a list of op names. docs/ops.md explains the table for someone adding an op.
 *
 * Attribute keys are interned: every attribute an op of the table accepts has an enum value
 * (npu_attr.id, set when the attribute is stored), so the shape rules and the passes look a key
 * up by comparing small integers, never strings. Keys outside the list (the out_shape= of a host
 * operator, free-form attributes of ops npusim has no model for) get NPU_K_NONE and are found
 * by name.
 */
#ifndef NPU_OPS_H
#define NPU_OPS_H

#include <stdbool.h>
#include <stdint.h>

/* ---- fused activations ------------------------------------------------------------------- */
#define NPU_ACT_LIST(X)                  \
    X(NPU_ACT_NONE, "none")              \
    X(NPU_ACT_RELU, "relu")              \
    X(NPU_ACT_RELU6, "relu6")            \
    X(NPU_ACT_LEAKY, "leaky")            \
    X(NPU_ACT_PRELU, "prelu")            \
    X(NPU_ACT_SIGMOID, "sigmoid")        \
    X(NPU_ACT_TANH, "tanh")              \
    X(NPU_ACT_HARDSWISH, "hardswish")    \
    X(NPU_ACT_HARDSIGMOID, "hardsigmoid")\
    X(NPU_ACT_SILU, "silu")              \
    X(NPU_ACT_GELU, "gelu")              \
    X(NPU_ACT_CLIP, "clip")              \
    X(NPU_ACT_MISH, "mish")

typedef enum npu_act {
#define NPU_X(e, s) e,
    NPU_ACT_LIST(NPU_X)
#undef NPU_X
    NPU_ACT_COUNT
} npu_act;
const char *npu_act_name(npu_act a);
int npu_act_parse(const char *s, npu_act *out);

/* ---- operators ------------------------------------------------------------------------------
 * X(enum, npg spelling, class): the enum order and the spelling. Everything else about an op
 * is its row in ops.c (npu_op_info). Attributes (key=value in .npg; docs/formats.md has the
 * full table):
 *   conv/convt : out=K k=kh[,kw] s=sh[,sw] p=all | t,l,b,r  d=dh[,dw] g=groups bias=0|1
 *                convt: op=oh,ow (output padding)
 *   gemm       : out=N (weights K×N implicit; input flattened to M×K) bias=0|1
 *   matmul     : two activation inputs A[...,M,K] · B[...,K,N] (transb=1: B is [...,N,K])
 *   maxpool/avgpool : k= s= p= (as conv) ceil=0|1; gavgpool/gmaxpool: no attributes
 *   elementwise binary (add sub mul div max min pow): numpy broadcasting of two inputs
 *   activations (relu … clip): alpha= (leaky/elu slope), min=,max= (clip)
 *   batchnorm  : eps= (folded into the producing conv by npu_pass_fold_bn)
 *   concat     : axis=   split: axis= sizes=a,b,c (or n=parts)   slice: starts= ends= axes= steps=
 *   reshape    : shape=d0,d1,... (0 copies the input dim, -1 infers)   flatten: axis=
 *   transpose  : perm=   squeeze/unsqueeze: axes=
 *   resize     : scale=sh,sw | size=oh,ow  mode=nearest|linear
 *   pad        : p=t,l,b,r (spatial) or pads= (ONNX order, all axes)
 *   softmax/layernorm/rmsnorm : axis=  (layernorm/rmsnorm normalise the last dims from axis)
 *   quantize/dequantize : to=dtype
 *   reduce     : kind=mean|sum|max|min axes= keep=0|1
 *   gather     : axis= (input 0 data, input 1 indices); embedding lookups use gather with a
 *                const table
 *   cast       : to=dtype        identity: none
 *   erf softplus reciprocal : none (what exporters decompose GELU, Mish and RMSNorm into;
 *                npu_pass_fuse_patterns fuses them, an unfused one runs as a unary op)
 */
#define NPU_OP_LIST(X)                                  \
    X(NPU_OP_CONV, "conv", NPU_OPC_CONV)                \
    X(NPU_OP_CONVT, "convt", NPU_OPC_CONV)              \
    X(NPU_OP_GEMM, "gemm", NPU_OPC_GEMM)                \
    X(NPU_OP_MATMUL, "matmul", NPU_OPC_GEMM)            \
    X(NPU_OP_MAXPOOL, "maxpool", NPU_OPC_POOL)          \
    X(NPU_OP_AVGPOOL, "avgpool", NPU_OPC_POOL)          \
    X(NPU_OP_GAVGPOOL, "gavgpool", NPU_OPC_POOL)        \
    X(NPU_OP_GMAXPOOL, "gmaxpool", NPU_OPC_POOL)        \
    X(NPU_OP_ADD, "add", NPU_OPC_ELTWISE)               \
    X(NPU_OP_SUB, "sub", NPU_OPC_ELTWISE)               \
    X(NPU_OP_MUL, "mul", NPU_OPC_ELTWISE)               \
    X(NPU_OP_DIV, "div", NPU_OPC_ELTWISE)               \
    X(NPU_OP_MAX, "max", NPU_OPC_ELTWISE)               \
    X(NPU_OP_MIN, "min", NPU_OPC_ELTWISE)               \
    X(NPU_OP_POW, "pow", NPU_OPC_ELTWISE)               \
    X(NPU_OP_RELU, "relu", NPU_OPC_ACT)                 \
    X(NPU_OP_RELU6, "relu6", NPU_OPC_ACT)               \
    X(NPU_OP_LEAKY, "leaky", NPU_OPC_ACT)               \
    X(NPU_OP_PRELU, "prelu", NPU_OPC_ACT)               \
    X(NPU_OP_SIGMOID, "sigmoid", NPU_OPC_ACT)           \
    X(NPU_OP_TANH, "tanh", NPU_OPC_ACT)                 \
    X(NPU_OP_HARDSWISH, "hardswish", NPU_OPC_ACT)       \
    X(NPU_OP_HARDSIGMOID, "hardsigmoid", NPU_OPC_ACT)   \
    X(NPU_OP_SILU, "silu", NPU_OPC_ACT)                 \
    X(NPU_OP_GELU, "gelu", NPU_OPC_ACT)                 \
    X(NPU_OP_CLIP, "clip", NPU_OPC_ACT)                 \
    X(NPU_OP_EXP, "exp", NPU_OPC_UNARY)                 \
    X(NPU_OP_SQRT, "sqrt", NPU_OPC_UNARY)               \
    X(NPU_OP_ABS, "abs", NPU_OPC_UNARY)                 \
    X(NPU_OP_NEG, "neg", NPU_OPC_UNARY)                 \
    X(NPU_OP_BATCHNORM, "batchnorm", NPU_OPC_NORM)      \
    X(NPU_OP_SOFTMAX, "softmax", NPU_OPC_NORM)          \
    X(NPU_OP_LAYERNORM, "layernorm", NPU_OPC_NORM)      \
    X(NPU_OP_RMSNORM, "rmsnorm", NPU_OPC_NORM)          \
    X(NPU_OP_CONCAT, "concat", NPU_OPC_DATA)            \
    X(NPU_OP_SPLIT, "split", NPU_OPC_DATA)              \
    X(NPU_OP_SLICE, "slice", NPU_OPC_DATA)              \
    X(NPU_OP_RESHAPE, "reshape", NPU_OPC_VIEW)          \
    X(NPU_OP_FLATTEN, "flatten", NPU_OPC_VIEW)          \
    X(NPU_OP_SQUEEZE, "squeeze", NPU_OPC_VIEW)          \
    X(NPU_OP_UNSQUEEZE, "unsqueeze", NPU_OPC_VIEW)      \
    X(NPU_OP_IDENTITY, "identity", NPU_OPC_VIEW)        \
    X(NPU_OP_TRANSPOSE, "transpose", NPU_OPC_DATA)      \
    X(NPU_OP_RESIZE, "resize", NPU_OPC_DATA)            \
    X(NPU_OP_PAD, "pad", NPU_OPC_DATA)                  \
    X(NPU_OP_GATHER, "gather", NPU_OPC_DATA)            \
    X(NPU_OP_CAST, "cast", NPU_OPC_QUANT)               \
    X(NPU_OP_QUANTIZE, "quantize", NPU_OPC_QUANT)       \
    X(NPU_OP_DEQUANTIZE, "dequantize", NPU_OPC_QUANT)   \
    X(NPU_OP_REDUCE, "reduce", NPU_OPC_REDUCE)          \
    X(NPU_OP_LRN, "lrn", NPU_OPC_NORM)                  \
    X(NPU_OP_ERF, "erf", NPU_OPC_UNARY)                 \
    X(NPU_OP_SOFTPLUS, "softplus", NPU_OPC_UNARY)       \
    X(NPU_OP_RECIPROCAL, "reciprocal", NPU_OPC_UNARY)   \
    X(NPU_OP_MISH, "mish", NPU_OPC_ACT)

typedef enum npu_op {
#define NPU_X(e, s, c) e,
    NPU_OP_LIST(NPU_X)
#undef NPU_X
    NPU_OP_COUNT
} npu_op;

typedef enum npu_opclass {
    NPU_OPC_CONV,    /* convolutions (MAC array)                       */
    NPU_OPC_GEMM,    /* fully connected / matmul (MAC array)           */
    NPU_OPC_POOL,    /* pooling                                        */
    NPU_OPC_ELTWISE, /* binary element-wise                            */
    NPU_OPC_ACT,     /* activation functions                           */
    NPU_OPC_UNARY,   /* other unary math                               */
    NPU_OPC_NORM,    /* batchnorm, softmax, layernorm, rmsnorm, lrn    */
    NPU_OPC_DATA,    /* data movement: concat/split/slice/transpose... */
    NPU_OPC_VIEW,    /* no data movement (reshape/flatten/squeeze)     */
    NPU_OPC_QUANT,   /* quantize/dequantize/cast                       */
    NPU_OPC_REDUCE,  /* reductions                                     */
    NPU_OPC_COUNT
} npu_opclass;

/* ---- interned attribute keys ------------------------------------------------------------------
 * X(enum, spelling, kind). The kind is what the value must be: INTS integers, NUM one number
 * (float or a single integer), STR a name, SCALE integers or a float (resize's scale=), FREE
 * not checked here (wdtype= is checked by the shape rules, which know the MAC layers). */
typedef enum npu_attr_kind {
    NPU_AK_INTS,
    NPU_AK_NUM,
    NPU_AK_STR,
    NPU_AK_SCALE,
    NPU_AK_FREE
} npu_attr_kind;

#define NPU_ATTR_KEY_LIST(X)              \
    X(NPU_K_OUT, "out", NPU_AK_INTS)      \
    X(NPU_K_K, "k", NPU_AK_INTS)          \
    X(NPU_K_S, "s", NPU_AK_INTS)          \
    X(NPU_K_P, "p", NPU_AK_INTS)          \
    X(NPU_K_D, "d", NPU_AK_INTS)          \
    X(NPU_K_G, "g", NPU_AK_INTS)          \
    X(NPU_K_BIAS, "bias", NPU_AK_INTS)    \
    X(NPU_K_OP, "op", NPU_AK_INTS)        \
    X(NPU_K_CEIL, "ceil", NPU_AK_INTS)    \
    X(NPU_K_TRANSB, "transb", NPU_AK_INTS)\
    X(NPU_K_AXIS, "axis", NPU_AK_INTS)    \
    X(NPU_K_SIZES, "sizes", NPU_AK_INTS)  \
    X(NPU_K_N, "n", NPU_AK_INTS)          \
    X(NPU_K_STARTS, "starts", NPU_AK_INTS)\
    X(NPU_K_ENDS, "ends", NPU_AK_INTS)    \
    X(NPU_K_AXES, "axes", NPU_AK_INTS)    \
    X(NPU_K_STEPS, "steps", NPU_AK_INTS)  \
    X(NPU_K_SHAPE, "shape", NPU_AK_INTS)  \
    X(NPU_K_PERM, "perm", NPU_AK_INTS)    \
    X(NPU_K_SIZE, "size", NPU_AK_INTS)    \
    X(NPU_K_KEEP, "keep", NPU_AK_INTS)    \
    X(NPU_K_PADS, "pads", NPU_AK_INTS)    \
    X(NPU_K_AFFINE, "affine", NPU_AK_INTS)\
    X(NPU_K_SLOPES, "slopes", NPU_AK_INTS)\
    X(NPU_K_EPS, "eps", NPU_AK_NUM)       \
    X(NPU_K_ALPHA, "alpha", NPU_AK_NUM)   \
    X(NPU_K_BETA, "beta", NPU_AK_NUM)     \
    X(NPU_K_MIN, "min", NPU_AK_NUM)       \
    X(NPU_K_MAX, "max", NPU_AK_NUM)       \
    X(NPU_K_VALUE, "value", NPU_AK_NUM)   \
    X(NPU_K_MODE, "mode", NPU_AK_STR)     \
    X(NPU_K_KIND, "kind", NPU_AK_STR)     \
    X(NPU_K_TO, "to", NPU_AK_STR)         \
    X(NPU_K_SCALE, "scale", NPU_AK_SCALE) \
    X(NPU_K_WDTYPE, "wdtype", NPU_AK_FREE)\
    X(NPU_K_NM, "nm", NPU_AK_INTS)

typedef enum npu_attr_key {
    NPU_K_NONE = 0, /* a key outside the list (free form, found by name) */
#define NPU_X(e, s, k) e,
    NPU_ATTR_KEY_LIST(NPU_X)
#undef NPU_X
    NPU_K_COUNT
} npu_attr_key;

/* The interned key of a name (NPU_K_NONE when it is not in the list), its spelling and kind. */
npu_attr_key npu_attr_key_of(const char *name);
const char *npu_attr_key_name(npu_attr_key k);
npu_attr_kind npu_attr_key_kind(npu_attr_key k);

/* ---- the table ------------------------------------------------------------------------------ */
#define NPU_OP_MAXKEYS 8
typedef struct npu_opinfo {
    const char *name;     /* .npg spelling ("conv")                                        */
    npu_opclass cls;
    uint16_t min_in;      /* inputs: at least min_in, at most max_in; inputs after the    */
    uint16_t max_in;      /* first act_in must be constants (a conv's weight initializers) */
    uint16_t act_in;
    uint8_t keys[NPU_OP_MAXKEYS + 1]; /* the attribute keys it accepts, in the order messages
                                         list them, ended by NPU_K_NONE                  */
    npu_act act;          /* activation ops: the fused activation they stand for            */
} npu_opinfo;

/* The row of op (never NULL: an out-of-range op gets a row named "?" of class data). */
const npu_opinfo *npu_op_info(npu_op op);
const char *npu_op_name(npu_op op);
npu_opclass npu_op_class(npu_op op);
const char *npu_opclass_name(npu_opclass c);
int npu_op_parse(const char *s, npu_op *out); /* 0 ok, -1 unknown */
/* For activation ops, the npu_act they fuse as (NPU_ACT_NONE for other ops). */
npu_act npu_op_act(npu_op op);
/* Whether op accepts attribute key k. */
bool npu_op_takes(npu_op op, npu_attr_key k);
/* The accepted keys of op written into buf as "out k s p" (row order); "" when none. */
void npu_op_keys_text(npu_op op, char *buf, unsigned n);

#endif
