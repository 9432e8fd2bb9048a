/* ops.c — the operator table (prefix npu_op_ / npu_attr_key_; see ops.h).
 *
 * One row per op. Input counts: most ops read one activation; conv-class and norm-class ops
 * take up to four extra constant inputs (an ONNX Conv's W and B, a BatchNormalization's scale,
 * bias, mean and variance), quantize-class ops two (scale, zero point), clip two (min, max);
 * the variadic element-wise ops (add mul max min, ONNX Sum/Max/Min/Mean) take up to 16
 * activations and concat up to 4096. The key lists are the attributes docs/formats.md
 * documents for each op, in the order an "unknown attribute" message lists them.
 */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#define IN(lo, hi, act) .min_in = (lo), .max_in = (hi), .act_in = (act)
#define ONE IN(1, 1, 1)
#define KEYS(...) .keys = {__VA_ARGS__}

/* The row of each op after its name and class (NPU_OP_LIST): ROW_<enum>. */
#define ROW_NPU_OP_CONV                                                                            \
    IN(1, 5, 1), KEYS(NPU_K_OUT, NPU_K_K, NPU_K_S, NPU_K_P, NPU_K_D, NPU_K_G, NPU_K_BIAS)
#define ROW_NPU_OP_CONVT                                                                           \
    IN(1, 5, 1), KEYS(NPU_K_OUT, NPU_K_K, NPU_K_S, NPU_K_P, NPU_K_D, NPU_K_G, NPU_K_BIAS, NPU_K_OP)
#define ROW_NPU_OP_GEMM IN(1, 3, 1), KEYS(NPU_K_OUT, NPU_K_BIAS)
#define ROW_NPU_OP_MATMUL IN(2, 2, 2), KEYS(NPU_K_TRANSB)
#define ROW_NPU_OP_MAXPOOL ONE, KEYS(NPU_K_K, NPU_K_S, NPU_K_P, NPU_K_D, NPU_K_CEIL)
#define ROW_NPU_OP_AVGPOOL ONE, KEYS(NPU_K_K, NPU_K_S, NPU_K_P, NPU_K_CEIL)
#define ROW_NPU_OP_GAVGPOOL ONE
#define ROW_NPU_OP_GMAXPOOL ONE
#define ROW_NPU_OP_ADD IN(2, 16, 16)
#define ROW_NPU_OP_SUB IN(2, 2, 2)
#define ROW_NPU_OP_MUL IN(2, 16, 16)
#define ROW_NPU_OP_DIV IN(2, 2, 2)
#define ROW_NPU_OP_MAX IN(2, 16, 16)
#define ROW_NPU_OP_MIN IN(2, 16, 16)
#define ROW_NPU_OP_POW IN(2, 2, 2)
#define ROW_NPU_OP_RELU ONE, .act = NPU_ACT_RELU
#define ROW_NPU_OP_RELU6 ONE, .act = NPU_ACT_RELU6
#define ROW_NPU_OP_LEAKY ONE, KEYS(NPU_K_ALPHA), .act = NPU_ACT_LEAKY
#define ROW_NPU_OP_PRELU IN(1, 2, 1), KEYS(NPU_K_SLOPES), .act = NPU_ACT_PRELU
#define ROW_NPU_OP_SIGMOID ONE, .act = NPU_ACT_SIGMOID
#define ROW_NPU_OP_TANH ONE, .act = NPU_ACT_TANH
#define ROW_NPU_OP_HARDSWISH ONE, .act = NPU_ACT_HARDSWISH
#define ROW_NPU_OP_HARDSIGMOID ONE, KEYS(NPU_K_ALPHA, NPU_K_BETA), .act = NPU_ACT_HARDSIGMOID
#define ROW_NPU_OP_SILU ONE, .act = NPU_ACT_SILU
#define ROW_NPU_OP_GELU ONE, .act = NPU_ACT_GELU
#define ROW_NPU_OP_CLIP IN(1, 3, 1), KEYS(NPU_K_MIN, NPU_K_MAX), .act = NPU_ACT_CLIP
#define ROW_NPU_OP_EXP ONE
#define ROW_NPU_OP_SQRT ONE
#define ROW_NPU_OP_ABS ONE
#define ROW_NPU_OP_NEG ONE
#define ROW_NPU_OP_BATCHNORM IN(1, 5, 1), KEYS(NPU_K_EPS)
#define ROW_NPU_OP_SOFTMAX ONE, KEYS(NPU_K_AXIS)
#define ROW_NPU_OP_LAYERNORM IN(1, 5, 1), KEYS(NPU_K_AXIS, NPU_K_EPS, NPU_K_AFFINE)
#define ROW_NPU_OP_RMSNORM IN(1, 5, 1), KEYS(NPU_K_AXIS, NPU_K_EPS, NPU_K_AFFINE)
#define ROW_NPU_OP_CONCAT IN(1, 4096, 4096), KEYS(NPU_K_AXIS)
#define ROW_NPU_OP_SPLIT ONE, KEYS(NPU_K_AXIS, NPU_K_SIZES, NPU_K_N)
#define ROW_NPU_OP_SLICE ONE, KEYS(NPU_K_STARTS, NPU_K_ENDS, NPU_K_AXES, NPU_K_STEPS)
#define ROW_NPU_OP_RESHAPE ONE, KEYS(NPU_K_SHAPE)
#define ROW_NPU_OP_FLATTEN ONE, KEYS(NPU_K_AXIS)
#define ROW_NPU_OP_SQUEEZE ONE, KEYS(NPU_K_AXES)
#define ROW_NPU_OP_UNSQUEEZE ONE, KEYS(NPU_K_AXES)
#define ROW_NPU_OP_IDENTITY ONE
#define ROW_NPU_OP_TRANSPOSE ONE, KEYS(NPU_K_PERM)
#define ROW_NPU_OP_RESIZE ONE, KEYS(NPU_K_SCALE, NPU_K_SIZE, NPU_K_MODE)
#define ROW_NPU_OP_PAD ONE, KEYS(NPU_K_P, NPU_K_PADS, NPU_K_MODE, NPU_K_VALUE)
#define ROW_NPU_OP_GATHER IN(2, 2, 2), KEYS(NPU_K_AXIS)
#define ROW_NPU_OP_CAST IN(1, 3, 1), KEYS(NPU_K_TO, NPU_K_AXIS)
#define ROW_NPU_OP_QUANTIZE IN(1, 3, 1), KEYS(NPU_K_TO, NPU_K_AXIS)
#define ROW_NPU_OP_DEQUANTIZE IN(1, 3, 1), KEYS(NPU_K_TO, NPU_K_AXIS)
#define ROW_NPU_OP_REDUCE ONE, KEYS(NPU_K_KIND, NPU_K_AXES, NPU_K_KEEP)
#define ROW_NPU_OP_LRN ONE, KEYS(NPU_K_SIZE, NPU_K_ALPHA, NPU_K_BETA, NPU_K_BIAS)
#define ROW_NPU_OP_ERF ONE
#define ROW_NPU_OP_SOFTPLUS ONE
#define ROW_NPU_OP_RECIPROCAL ONE
#define ROW_NPU_OP_MISH ONE, .act = NPU_ACT_MISH

static const npu_opinfo op_tab[NPU_OP_COUNT] = {
#define NPU_X(e, s, c) [e] = {.name = s, .cls = c, ROW_##e},
    NPU_OP_LIST(NPU_X)
#undef NPU_X
};

static const char *const opclass_names[NPU_OPC_COUNT] = {
    "conv", "gemm", "pool", "eltwise", "act", "unary", "norm", "data", "view", "quant", "reduce"};

static const char *const act_names[] = {
#define NPU_X(e, s) s,
    NPU_ACT_LIST(NPU_X)
#undef NPU_X
};

static const struct {
    const char *name;
    npu_attr_kind kind;
} key_tab[NPU_K_COUNT] = {[NPU_K_NONE] = {"", NPU_AK_FREE},
#define NPU_X(e, s, k) [e] = {s, k},
                          NPU_ATTR_KEY_LIST(NPU_X)
#undef NPU_X
};

const npu_opinfo *npu_op_info(npu_op op)
{
    static const npu_opinfo unknown = {.name = "?", .cls = NPU_OPC_DATA, ONE};
    if ((unsigned)op >= NPU_OP_COUNT)
        return &unknown;
    return &op_tab[op];
}

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
    return npu_op_info(op)->act;
}

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

npu_attr_key npu_attr_key_of(const char *name)
{
    for (int k = 1; name && k < NPU_K_COUNT; k++)
        if (strcmp(name, key_tab[k].name) == 0)
            return (npu_attr_key)k;
    return NPU_K_NONE;
}
const char *npu_attr_key_name(npu_attr_key k)
{
    return (unsigned)k < NPU_K_COUNT ? key_tab[k].name : "";
}
npu_attr_kind npu_attr_key_kind(npu_attr_key k)
{
    return (unsigned)k < NPU_K_COUNT ? key_tab[k].kind : NPU_AK_FREE;
}

bool npu_op_takes(npu_op op, npu_attr_key k)
{
    const npu_opinfo *o = npu_op_info(op);
    for (int i = 0; k != NPU_K_NONE && i < NPU_OP_MAXKEYS && o->keys[i]; i++)
        if (o->keys[i] == k)
            return true;
    return false;
}

void npu_op_keys_text(npu_op op, char *buf, unsigned n)
{
    const npu_opinfo *o = npu_op_info(op);
    size_t len = 0;
    if (n)
        buf[0] = 0;
    for (int i = 0; i < NPU_OP_MAXKEYS && o->keys[i] && len < n; i++) {
        int w = snprintf(buf + len, n - len, "%s%s", i ? " " : "", key_tab[o->keys[i]].name);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}
