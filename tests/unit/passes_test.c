/* passes_test.c — BN folding, activation fusion, views, the dtype policy with conversion
 * insertion, compaction and the standard pipeline. */
#include "front/front.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

static npu_graph *rd(const char *body)
{
    char text[8192];
    npu_err err = {0};
    snprintf(text, sizeof text, "npg 1\n%s", body);
    npu_graph *g = npu_npg_read("p.npg", text, strlen(text), &err);
    if (!g)
        printf("  read: %s\n", err.msg);
    return g;
}

static npu_graph *prepared(const char *body)
{
    npu_err err = {0};
    npu_graph *g = rd(body);
    if (g && npu_graph_prepare(g, &err)) {
        printf("  prepare: %s\n", err.msg);
        npu_graph_free(g);
        return NULL;
    }
    return g;
}

static const npu_layer *L(const npu_graph *g, const char *name)
{
    int li = npu_graph_find_layer(g, name);
    return li >= 0 ? &g->l[li] : NULL;
}

/* tests/golden/<name> read (that the file reads is a check) and parsed, not inferred. */
static npu_graph *golden(const char *name)
{
    npu_err err = {0};
    char path[256], *txt = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "tests/golden/%s", name);
    CHECK_EQ_INT(npu_read_file(path, &txt, &n, &err), 0);
    if (!txt)
        return NULL;
    npu_graph *g = npu_npg_read(name, txt, n, &err);
    free(txt);
    return g;
}

/* Index invariants every pass must keep: producers match, topological order, outputs valid. */
static int consistent(const npu_graph *g)
{
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        for (int k = 0; k < l->nout; k++)
            if (l->out[k] < 0 || l->out[k] >= g->nt || g->t[l->out[k]].producer != li)
                return 0;
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++) {
            if (l->in[k] < 0 || l->in[k] >= g->nt)
                return 0;
            int p = g->t[l->in[k]].producer;
            if (p >= li || (p >= 0 && (g->l[p].flags & NPU_LF_DEAD)))
                return 0;
        }
    }
    for (int i = 0; i < g->nt; i++) {
        const npu_tensor *t = &g->t[i];
        if ((t->kind == NPU_T_ACT) != (t->producer >= 0) || t->view_of >= g->nt)
            return 0;
    }
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i] < 0 || g->outputs[i] >= g->nt)
            return 0;
    for (int i = 0; i < g->ninputs; i++)
        if (g->inputs[i] < 0 || g->t[g->inputs[i]].kind != NPU_T_INPUT)
            return 0;
    return 1;
}

TEST(fold_bn_resnet_block)
{
    npu_err err = {0};
    npu_graph *g = golden("resnet_block.npg");
    CHECK(g && npu_graph_infer(g, &err) == 0);
    if (!g)
        return;
    int64_t macs = npu_graph_macs(g), params = npu_graph_params(g);
    CHECK_EQ_INT(npu_pass_fold_bn(g, &err), 0);
    CHECK_EQ_INT(g->nl, 12); /* indices stable until compact */
    CHECK(L(g, "bn1")->flags & NPU_LF_DEAD);
    CHECK_EQ_INT(L(g, "r1")->in[0], npu_graph_find_tensor(g, "c1")); /* rewired */
    CHECK_EQ_INT(L(g, "c1")->flags & (NPU_LF_BN_FOLDED | NPU_LF_BIAS),
                 NPU_LF_BN_FOLDED | NPU_LF_BIAS);
    CHECK(consistent(g));
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK_EQ_INT(npu_graph_params(g), params); /* BN parameters move into the conv */
    CHECK_EQ_INT(L(g, "c3")->params, 16384 + 512);
    CHECK_EQ_INT(npu_pass_fuse_act(g, &err), 0);
    CHECK(L(g, "r1")->flags & NPU_LF_DEAD);
    CHECK(L(g, "out")->flags & NPU_LF_DEAD);
    CHECK_EQ_INT(L(g, "sum")->act, NPU_ACT_RELU);
    CHECK_EQ_INT(L(g, "c1")->act, NPU_ACT_RELU);
    CHECK_EQ_INT(L(g, "c3")->act, NPU_ACT_NONE);
    CHECK_STR(g->t[g->outputs[0]].name, "sum"); /* the graph output follows the fusion */
    CHECK_EQ_INT(npu_graph_compact(g, &err), 0);
    CHECK_EQ_INT(g->nl, 5);
    static const char *const names[] = {"c1", "c2", "c3", "proj", "sum"};
    for (int i = 0; i < 5; i++)
        CHECK_STR(g->l[i].name, names[i]);
    CHECK(consistent(g));
    CHECK_EQ_INT(g->nt, 6); /* data + 5 layer outputs */
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK_EQ_INT(npu_graph_params(g), params);
    CHECK_EQ_INT(npu_graph_macs(g), macs);
    CHECK_EQ_INT(L(g, "sum")->in[0], npu_graph_find_tensor(g, "c3"));
    CHECK_EQ_INT(g->t[L(g, "sum")->in[1]].producer, 3);
    npu_graph_free(g);
}

TEST(fold_bn_conditions)
{
    npu_graph *g = prepared("input x 1x8x8x8 fp32\n"
                            "const s 8 fp32\n"
                            "conv c x out=8 k=1\n"
                            "batchnorm b c s\n" /* ONNX-style const input */
                            "conv c2 b out=8 k=1\n"
                            "batchnorm b2 c2\n" /* c2 is also read by r2: stays */
                            "relu r2 c2\n"
                            "input y 4x8 fp32\n"
                            "input z 8x8 fp32\n"
                            "matmul m y z\n"
                            "batchnorm b3 m\n" /* not foldable into a matmul */
                            "gemm f y out=8\n"
                            "batchnorm b4 f\n"
                            "batchnorm b5 b4\n" /* second BN in a row stays */
                            "conv c6 x out=8 k=1 act=relu\n"
                            "batchnorm b6 c6\n" /* BN after an activation stays */
                            "output b2 r2 b3 b5 b6\n");
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK(L(g, "b") == NULL);
    CHECK(L(g, "c")->flags & NPU_LF_BN_FOLDED);
    CHECK(npu_graph_find_tensor(g, "s") < 0); /* unused const dropped by compact */
    CHECK(L(g, "b2") != NULL);
    CHECK(!(L(g, "c2")->flags & NPU_LF_BN_FOLDED));
    CHECK(L(g, "b3") != NULL);
    CHECK(L(g, "b4") == NULL);
    CHECK(L(g, "f")->flags & NPU_LF_BN_FOLDED);
    CHECK(L(g, "b5") != NULL);
    CHECK(L(g, "b6") != NULL);
    CHECK_EQ_INT(L(g, "f")->params, 8 * 8 + 16); /* K·N + 2·N from the BN */
    CHECK(consistent(g));
    npu_graph_free(g);
}

TEST(fuse_act_conditions)
{
    npu_graph *g = prepared("input x 1x8x8x8 fp32\n"
                            "conv a x out=8 k=1\n"
                            "leaky la a alpha=0.2\n"
                            "conv b la out=8 k=1\n"
                            "leaky lb b\n"
                            "conv c lb out=8 k=1\n"
                            "clip cc c min=0 max=6\n"
                            "conv d cc out=8 k=1\n" /* d is a graph output */
                            "relu rd d\n"
                            "conv e rd out=8 k=1\n" /* e has two readers */
                            "sigmoid se e\n"
                            "concat cat e se axis=1\n"
                            "relu rc cat\n" /* concat does not fuse */
                            "prelu pr rc\n" /* prelu does not fuse */
                            "add s pr pr\n"
                            "hardswish hs s\n" /* eltwise fuses */
                            "maxpool mp hs k=2 s=2\n"
                            "relu6 r6 mp\n" /* pool fuses */
                            "output d r6\n");
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(L(g, "a")->act, NPU_ACT_LEAKY);
    CHECK_NEAR(L(g, "a")->act_alpha, 0.2, 1e-12);
    CHECK_NEAR(L(g, "b")->act_alpha, 0.01, 1e-12); /* ONNX default slope */
    CHECK_EQ_INT(L(g, "c")->act, NPU_ACT_CLIP);
    CHECK_NEAR(npu_layer_float(L(g, "c"), "max", 0), 6, 0);
    CHECK_EQ_INT(L(g, "d")->act, NPU_ACT_NONE);
    CHECK(L(g, "rd") != NULL);
    CHECK_EQ_INT(L(g, "e")->act, NPU_ACT_NONE);
    CHECK(L(g, "se") != NULL);
    CHECK(L(g, "rc") != NULL);
    CHECK(L(g, "pr") != NULL);
    CHECK_EQ_INT(L(g, "s")->act, NPU_ACT_HARDSWISH);
    CHECK_EQ_INT(L(g, "mp")->act, NPU_ACT_RELU6);
    CHECK_STR(g->t[g->outputs[1]].name, "mp");
    CHECK_EQ_INT(g->nl, 12);
    CHECK(consistent(g));
    /* the fused graph writes and reads back as itself */
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_npg_write(g, &sb), 0);
    CHECK_CONTAINS(sb.s, "conv      c b out=8 k=1 min=0.0 max=6.0 act=clip\n");
    npu_err err = {0};
    npu_graph *g2 = npu_npg_read("w.npg", sb.s, sb.len, &err);
    CHECK(g2 && npu_graph_infer(g2, &err) == 0);
    npu_graph_free(g2);
    npu_sb_free(&sb);
    npu_graph_free(g);
}

TEST(views)
{
    npu_graph *g = prepared("input x 1x64x7x7 int8\n"
                            "flatten f x\n"
                            "reshape r f shape=1,64,49\n"
                            "transpose t r perm=0,2,1\n"
                            "squeeze s t\n"
                            "identity i s\n"
                            "output i\n");
    CHECK(g != NULL);
    if (!g)
        return;
    int x = npu_graph_find_tensor(g, "x"), t = npu_graph_find_tensor(g, "t");
    CHECK(L(g, "f")->flags & NPU_LF_VIEW);
    CHECK(L(g, "r")->flags & NPU_LF_VIEW);
    CHECK(!(L(g, "t")->flags & NPU_LF_VIEW)); /* a transpose moves data */
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "f")].view_of, x);
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "r")].view_of, x); /* chains to the root */
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "t")].view_of, -1);
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "s")].view_of, t);
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "i")].view_of, t); /* i = s = t */
    CHECK(consistent(g));
    npu_graph_free(g);
}

TEST(weight_dtype)
{
    /* the mixed-precision names split into (activation, weight) */
    npu_dtype a, w;
    CHECK(npu_dtype_parse_mixed("w4a16", &a, &w) == 0 && a == NPU_DT_FP16 && w == NPU_DT_INT4);
    CHECK(npu_dtype_parse_mixed("w8a8", &a, &w) == 0 && a == NPU_DT_INT8 && w == NPU_DT_INT8);
    CHECK(npu_dtype_parse_mixed("a16w8", &a, &w) == 0 && a == NPU_DT_INT16 && w == NPU_DT_INT8);
    CHECK(npu_dtype_parse_mixed("fp16", &a, &w) == 0 && a == NPU_DT_FP16 && w == NPU_DT_FP16);
    CHECK(npu_dtype_parse_mixed("w3a16", &a, &w) == -1);
    /* int4 weights on an fp16 gemm and on a matmul with a constant operand: the gemm gets the
     * wdtype attribute (its weights are implied by out=), the constant takes int4 (half a byte a
     * weight); the activations, the bias-free second matmul on two activations and the
     * parameter count do not change */
    npu_err err = {0};
    npu_graph *g = prepared("graph m\ninput x 1x4x64 fp16\nconst e 100x64 fp16\n"
                            "gemm y x out=32\nmatmul z x e transb=1\nmatmul s y y transb=1\n"
                            "output z\noutput s\n");
    CHECK(g != NULL);
    if (!g)
        return;
    int64_t params = npu_graph_params(g);
    CHECK_EQ_INT(npu_pass_dtype(g, NPU_DT_FP16, NULL, NULL, &err), 0);
    CHECK_EQ_INT(npu_pass_weight_dtype(g, NPU_DT_INT4, &err), 0);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK_STR(npu_layer_str(L(g, "y"), "wdtype", ""), "int4");
    CHECK_STR(npu_layer_str(L(g, "s"), "wdtype", "none"), "none");
    CHECK_EQ_INT(g->t[L(g, "z")->in[1]].dtype, NPU_DT_INT4);
    CHECK_EQ_INT(npu_tensor_bytes(&g->t[L(g, "z")->in[1]]), 3200);
    CHECK_EQ_INT(g->t[L(g, "y")->out[0]].dtype, NPU_DT_FP16);
    CHECK_EQ_INT(npu_graph_params(g), params);
    npu_graph_free(g);
    /* wdtype= on a layer of a .npg must name a dtype */
    g = rd("graph m\ninput x 1x64 fp16\ngemm y x out=8 wdtype=int3\noutput y\n");
    CHECK(g == NULL || npu_graph_infer(g, &err) != 0);
    npu_graph_free(g);
}

TEST(dtype_insertion)
{
    npu_err err = {0};
    npu_graph *g = golden("resnet_block.npg");
    CHECK(g && npu_graph_prepare(g, &err) == 0);
    if (!g)
        return;
    /* int8: the fp32 input arrives quantized (the runtimes quantize the frame on its way in):
     * no conversion layer, the input itself becomes int8 (docs/onnx.md, input conversions) */
    CHECK_EQ_INT(npu_pass_dtype(g, NPU_DT_INT8, NULL, NULL, &err), 0);
    CHECK_EQ_INT(g->nl, 5);
    for (int i = 0; i < g->nl; i++) {
        CHECK(!(g->l[i].flags & NPU_LF_INSERTED));
        CHECK_EQ_INT(g->l[i].dtype, NPU_DT_INT8);
        CHECK_EQ_INT(g->t[g->l[i].out[0]].dtype, NPU_DT_INT8);
    }
    CHECK_EQ_INT(g->t[g->inputs[0]].dtype, NPU_DT_INT8);
    CHECK(consistent(g));
    CHECK_EQ_INT(npu_graph_macs(g), 231211008LL);
    /* running the policy again changes nothing */
    CHECK_EQ_INT(npu_pass_dtype(g, NPU_DT_INT8, NULL, NULL, &err), 0);
    CHECK_EQ_INT(g->nl, 5);
    npu_graph_free(g);

    /* fp16: a conversion into a float type stays a layer, shared by both readers */
    g = golden("resnet_block.npg");
    CHECK(g && npu_graph_prepare(g, &err) == 0);
    if (!g)
        return;
    CHECK_EQ_INT(npu_pass_dtype(g, NPU_DT_FP16, NULL, NULL, &err), 0);
    CHECK_EQ_INT(g->nl, 6);
    CHECK_STR(g->l[0].name, "c1/q0");
    CHECK_EQ_INT(g->l[0].op, NPU_OP_CAST);
    CHECK(g->l[0].flags & NPU_LF_INSERTED);
    CHECK_STR(npu_layer_str(&g->l[0], "to", NULL), "fp16");
    CHECK_EQ_INT(L(g, "proj")->in[0], g->l[0].out[0]); /* shared by both readers */
    CHECK_EQ_INT(g->t[g->inputs[0]].dtype, NPU_DT_FP32); /* the input itself stays */
    CHECK(consistent(g));
    npu_graph_free(g);

    /* an input read first by a float layer keeps its type: a later int8 reader converts */
    g = rd("graph m\ninput x 1x8x4x4 fp32\nsoftmax s x dtype=fp32\n"
           "conv c x out=8 k=1\nadd y s c\noutput y\n");
    CHECK(g && npu_graph_prepare(g, &err) == 0 &&
          npu_pass_dtype(g, NPU_DT_INT8, NULL, NULL, &err) == 0);
    if (!g)
        return;
    CHECK_EQ_INT(g->t[g->inputs[0]].dtype, NPU_DT_FP32);
    CHECK(L(g, "c/q0") != NULL && L(g, "c/q0")->op == NPU_OP_QUANTIZE);
    CHECK(consistent(g));
    npu_graph_free(g);
}

/* A model that runs softmax and layernorm in fp32 and everything else in int8. */
static npu_dtype fp32_norms(void *ud, const npu_graph *g, int li, npu_dtype want)
{
    int *calls = ud;
    (*calls)++;
    npu_op op = g->l[li].op;
    if (op == NPU_OP_SOFTMAX || op == NPU_OP_LAYERNORM)
        return NPU_DT_FP32;
    if (strcmp(g->l[li].name, "y") == 0)
        return NPU_DT_INT16;
    return want;
}

TEST(dtype_choose)
{
    npu_err err = {0};
    npu_graph *g = golden("attention.npg");
    CHECK(g && npu_graph_prepare(g, &err) == 0);
    if (!g)
        return;
    int calls = 0, nl0 = g->nl;
    CHECK_EQ_INT(npu_pass_dtype(g, NPU_DT_INT8, fp32_norms, &calls, &err), 0);
    CHECK(calls > 0);
    CHECK(consistent(g));
    /* ln1 reads the fp32 input directly; its fp32 output is quantized once for q, k, v */
    CHECK_EQ_INT(L(g, "ln1")->dtype, NPU_DT_FP32);
    const npu_layer *q0 = L(g, "q/q0");
    CHECK(q0 && q0->op == NPU_OP_QUANTIZE && (q0->flags & NPU_LF_INSERTED));
    CHECK(L(g, "k/q0") == NULL);
    CHECK_EQ_INT(L(g, "k")->in[0], q0 ? q0->out[0] : -2);
    /* int8 scores are dequantized for the fp32 softmax, whose output is quantized again */
    const npu_layer *dq = L(g, "p/q0");
    CHECK(dq && dq->op == NPU_OP_DEQUANTIZE);
    CHECK(L(g, "o/q0") && L(g, "o/q0")->op == NPU_OP_QUANTIZE);
    /* int8 → int16 for the last add is a cast; the fp32 input x is quantized for 'res' */
    CHECK(L(g, "y/q0") && L(g, "y/q0")->op == NPU_OP_CAST);
    CHECK(L(g, "y/q1") && L(g, "y/q1")->op == NPU_OP_CAST);
    CHECK_EQ_INT(L(g, "ff1")->act, NPU_ACT_GELU); /* fused before the policy ran */
    CHECK(L(g, "res/q1") && L(g, "res/q1")->op == NPU_OP_QUANTIZE);
    CHECK_EQ_INT(g->t[L(g, "y")->out[0]].dtype, NPU_DT_INT16);
    /* every layer reads tensors of its own dtype now */
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (npu_op_class(l->op) == NPU_OPC_QUANT)
            continue;
        for (int k = 0; k < l->nin; k++)
            if (g->t[l->in[k]].dtype != l->dtype)
                FAILF("%s reads %s in %s, runs in %s", l->name, g->t[l->in[k]].name,
                      npu_dtype_name(g->t[l->in[k]].dtype), npu_dtype_name(l->dtype));
    }
    CHECK(g->nl > nl0);
    /* inserted layers sit right before their first reader */
    int iq = npu_graph_find_layer(g, "q/q0"), iqq = npu_graph_find_layer(g, "q");
    CHECK_EQ_INT(iq + 1, iqq);
    npu_graph_free(g);
}

/* QDQ graphs (ONNX QuantizeLinear/DequantizeLinear around each op) run int8 without
 * converting back and forth. */
TEST(dtype_qdq)
{
    npu_err err = {0};
    npu_graph *g = prepared("input x 1x8x8x8 fp32\n"
                            "quantize q x to=int8\n"
                            "dequantize dq q to=fp32\n"
                            "conv c dq out=8 k=1\n"
                            "quantize q2 c to=int8\n"
                            "dequantize dq2 q2 to=fp32\n"
                            "conv c2 dq2 out=8 k=1\n"
                            "quantize q3 c2 to=uint8\n"
                            "dequantize dq3 q3 to=fp32\n"
                            "conv c3 dq3 out=8 k=1\n"
                            "quantize qo c3 to=int8\n"
                            "dequantize out qo to=fp32\n"
                            "output out\n");
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(npu_pass_dtype(g, NPU_DT_INT8, NULL, NULL, &err), 0);
    CHECK_EQ_INT(npu_graph_compact(g, &err), 0);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK(consistent(g));
    /* q stays (fp32 input), dq and q2/dq2 disappear, q3 (int8 → uint8) is a cast and c3
     * reads it through a cast back to int8 */
    CHECK(L(g, "q") && L(g, "q")->op == NPU_OP_QUANTIZE);
    CHECK(L(g, "dq") == NULL);
    CHECK(L(g, "q2") == NULL);
    CHECK(L(g, "dq2") == NULL);
    CHECK_EQ_INT(L(g, "c")->in[0], npu_graph_find_tensor(g, "q"));
    CHECK_EQ_INT(L(g, "c2")->in[0], npu_graph_find_tensor(g, "c"));
    CHECK(L(g, "q3") && L(g, "q3")->op == NPU_OP_CAST);
    CHECK(L(g, "dq3") == NULL);
    CHECK(L(g, "c3/q0") && L(g, "c3/q0")->op == NPU_OP_CAST);
    CHECK_EQ_INT(L(g, "c3/q0")->in[0], npu_graph_find_tensor(g, "q3"));
    CHECK(L(g, "qo") == NULL); /* c3 already is int8 */
    CHECK(L(g, "out") && L(g, "out")->op == NPU_OP_DEQUANTIZE);
    CHECK_EQ_INT(L(g, "out")->in[0], npu_graph_find_tensor(g, "c3"));
    CHECK_EQ_INT(g->nl, 7);
    npu_graph_free(g);
}

TEST(dtype_errors_and_gather)
{
    npu_err err = {0};
    npu_graph *g = prepared("const emb 100x16 fp32\n"
                            "input ids 1x8 int64\n"
                            "gather e emb ids\n"
                            "gemm f e out=4\n"
                            "output f\n");
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(npu_pass_dtype(g, NPU_DT_FP16, NULL, NULL, &err), 0);
    CHECK_EQ_INT(g->nl, 2); /* const table takes the dtype, indices stay int64 */
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "emb")].dtype, NPU_DT_FP16);
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "ids")].dtype, NPU_DT_INT64);
    CHECK(npu_pass_dtype(g, NPU_DT_COUNT, NULL, NULL, &err) != 0);
    npu_graph_free(g);
}

/* The whole pipeline on the ResNet block gives exactly the golden text (reviewed by hand:
 * BNs folded, ReLUs fused, the fp32 input arriving as int8). */
TEST(pipeline_golden)
{
    npu_err err = {0};
    char *want;
    size_t nw;
    npu_graph *g = golden("resnet_block.npg");
    CHECK_EQ_INT(npu_read_file("tests/golden/resnet_block.int8.npg", &want, &nw, &err), 0);
    CHECK(g && npu_graph_prepare(g, &err) == 0 &&
          npu_pass_dtype(g, NPU_DT_INT8, NULL, NULL, &err) == 0 &&
          npu_graph_compact(g, &err) == 0);
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_npg_write(g, &sb), 0);
    CHECK_STR(sb.s, want);
    npu_graph *g2 = npu_npg_read("resnet_block.int8.npg", want, nw, &err);
    CHECK(g2 && npu_graph_infer(g2, &err) == 0);
    CHECK_EQ_INT(npu_graph_params(g2), 75008);
    CHECK_EQ_INT(npu_graph_macs(g2), 231211008LL);
    npu_sb_free(&sb);
    npu_graph_free(g);
    npu_graph_free(g2);
    free(want);
}

/* Number of live layers with op `op`. */
static int count_op(const npu_graph *g, npu_op op)
{
    int n = 0;
    for (int li = 0; li < g->nl; li++)
        n += !(g->l[li].flags & NPU_LF_DEAD) && g->l[li].op == op;
    return n;
}

TEST(pattern_silu)
{
    /* conv → sigmoid → mul(conv, sigmoid) becomes one conv act=silu (either operand order) */
    npu_graph *g = prepared("input x 1x3x8x8 int8\n"
                            "conv c1 x out=4 k=3 p=1\nsigmoid s1 c1\nmul m1 s1 c1\n"
                            "conv c2 m1 out=4 k=1\noutput c2\n");
    CHECK(g && g->nl == 2 && L(g, "c1") && L(g, "c1")->act == NPU_ACT_SILU && consistent(g));
    npu_graph_free(g);
    /* blocked: the sigmoid is read elsewhere, is a graph output, or reads another tensor */
    g = prepared("input x 1x3x8x8 int8\nconv c1 x out=4 k=3 p=1\nsigmoid s1 c1\nmul m1 c1 s1\n"
                 "add a1 m1 s1\noutput a1\n");
    CHECK(g && count_op(g, NPU_OP_SILU) == 0 && L(g, "m1") && L(g, "m1")->op == NPU_OP_MUL);
    npu_graph_free(g);
    g = prepared("input x 1x3x8x8 int8\nconv c1 x out=4 k=3 p=1\nsigmoid s1 c1\nmul m1 c1 s1\n"
                 "output m1 s1\n");
    CHECK(g && count_op(g, NPU_OP_SILU) == 0 && L(g, "m1") && L(g, "m1")->op == NPU_OP_MUL);
    npu_graph_free(g);
    g = prepared("input x 1x3x8x8 int8\nconv c1 x out=4 k=3 p=1\nconv c2 x out=4 k=3 p=1\n"
                 "sigmoid s1 c2\nmul m1 c1 s1\noutput m1\n");
    CHECK(g && count_op(g, NPU_OP_SILU) == 0 && L(g, "m1") && L(g, "m1")->op == NPU_OP_MUL);
    npu_graph_free(g);
    /* unfused (the producer is a concat, not fusable): a silu layer of its own */
    g = prepared("input x 1x4x8x8 int8\nconcat k x x\nsigmoid s k\nmul m k s\noutput m\n");
    CHECK(g && g->nl == 2 && L(g, "m") && L(g, "m")->op == NPU_OP_SILU && g->l[1].nin == 1);
    npu_graph_free(g);
}

TEST(pattern_hardswish)
{
    static const char *const hs[] = {
        /* Clip(x+3,0,6)/6 → hardsigmoid, then x·hardsigmoid → hardswish */
        "add a c three\nclip r a min=0.0 max=6.0\ndiv h r six\nmul y c h\n",
        /* x·Relu6(x+3)·0.16667 */
        "add a three c\nrelu6 r a\nmul q c r\nmul y q sixth\n",
        /* x·Relu6(x+3)/6 */
        "add a c three\nrelu6 r a\nmul q r c\ndiv y q six\n",
        /* clip with constant bounds as inputs */
        "const zero scalar fp16 value=0\nadd a c three\nclip r a zero six\nmul q c r\n"
        "div y q six\n",
        /* x·HardSigmoid(x) alpha=1/6 */
        "hardsigmoid h c alpha=0.16667\nmul y c h\n",
    };
    const char *head = "input x 1x3x8x8 fp16\nconst three scalar fp16 value=3\n"
                       "const six 1 fp16 value=6\nconst sixth 1x1x1x1 fp16 value=0.16667\n"
                       "const s2 1 fp16 value=2.9\nconst nov scalar fp16\ninput v 1 fp16\n"
                       "conv c x out=4 k=3 p=1\n";
    char buf[1024];
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        snprintf(buf, sizeof buf, "%s%sconv o y out=4 k=1\noutput o\n", head, hs[i]);
        npu_graph *g = prepared(buf);
        CHECK(g && g->nl == 2 && L(g, "c") && L(g, "c")->act == NPU_ACT_HARDSWISH);
        if (!g || g->nl != 2)
            printf("  form %zu\n", i);
        npu_graph_free(g);
    }
    /* a clip with constant bounds as inputs takes them as attributes (relu6 for 0..6) and
     * fuses */
    npu_graph *g = prepared("input x 1x3x8x8 fp16\nconst lo scalar fp16 value=-1\n"
                            "const hi scalar fp16 value=1\nconv c x out=4 k=3 p=1\n"
                            "clip r c lo hi\noutput r\n");
    CHECK(g && g->nl == 1 && L(g, "c") && L(g, "c")->act == NPU_ACT_CLIP &&
          npu_layer_float(L(g, "c"), "min", 0) == -1 && npu_layer_float(L(g, "c"), "max", 0) == 1);
    npu_graph_free(g);
    /* HardSigmoid alone: Clip(x+3,0,6)/6 */
    snprintf(buf, sizeof buf, "%sadd a c three\nrelu6 r a\ndiv y r six\noutput y\n", head);
    g = prepared(buf);
    CHECK(g && g->nl == 1 && L(g, "c") && L(g, "c")->act == NPU_ACT_HARDSIGMOID);
    CHECK(g && fabs(L(g, "c")->act_alpha - 1.0 / 6.0) < 1e-12);
    npu_graph_free(g);
    /* blocked: wrong value (2.9), a constant with no known value, a non-constant operand, the
     * default HardSigmoid (alpha 0.2), clip bounds that are not 0..6, an intermediate output */
    static const char *const bad[] = {
        "add a c s2\nrelu6 r a\nmul q c r\ndiv y q six\n",
        "add a c nov\nrelu6 r a\nmul q c r\ndiv y q six\n",
        "add a c v\nrelu6 r a\nmul q c r\ndiv y q six\n",
        "hardsigmoid h c\nmul y c h\n",
        "add a c three\nclip r a min=0.0 max=5.0\nmul q c r\ndiv y q six\n",
        "add a c three\nrelu6 r a\nmul q c r\ndiv y q six\noutput r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(buf, sizeof buf, "%s%sconv o y out=4 k=1\noutput o\n", head, bad[i]);
        g = prepared(buf);
        CHECK(g && count_op(g, NPU_OP_HARDSWISH) == 0 && L(g, "c") &&
              L(g, "c")->act != NPU_ACT_HARDSWISH);
        if (!g || count_op(g, NPU_OP_HARDSWISH))
            printf("  blocked form %zu fused\n", i);
        npu_graph_free(g);
    }
}

/* head + body, prepared. */
static npu_graph *prep2(const char *head, const char *body)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", head, body);
    return prepared(buf);
}

TEST(pattern_gelu)
{
    const char *head = "input x 1x4x16 fp16\nconst w 16x16 fp16\nconst half scalar fp16 value=0.5\n"
                       "const one scalar fp16 value=1\nconst r2 scalar fp16 value=1.4142\n"
                       "const ir2 1 fp16 value=0.70711\nconst k 1 fp16 value=0.7978846\n"
                       "const c 1 fp16 value=0.044715\nconst three 1 fp16 value=3\n"
                       "const two 1 fp16 value=2\nmatmul h x w\n";
    static const char *const ok[] = {
        /* erf: x·(1+erf(x/√2))·0.5 */
        "div d h r2\nerf e d\nadd a e one\nmul m h a\nmul y m half\n",
        /* erf: (0.5·x)·(1+erf(x·0.70711)) */
        "mul d ir2 h\nerf e d\nadd a one e\nmul hh half h\nmul y hh a\n",
        /* tanh: 0.5·x·(1+tanh(0.79788·(x+0.044715·x³))) with Pow(x,3) */
        "pow p h three\nmul v p c\nadd u h v\nmul s u k\ntanh e s\nadd a e one\nmul hh h half\n"
        "mul y hh a\n",
        /* tanh with x·x·x and the 0.5 last */
        "mul q h h\nmul p h q\nmul v c p\nadd u v h\nmul s k u\ntanh e s\nadd a e one\n"
        "mul m a h\nmul y m half\n",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body, "%soutput y\n", ok[i]);
        npu_graph *g = prep2(head, body);
        CHECK(g && g->nl == 1 && L(g, "h") && L(g, "h")->act == NPU_ACT_GELU);
        if (!g || g->nl != 1)
            printf("  form %zu\n", i);
        npu_graph_free(g);
    }
    /* blocked: 0.4 for 0.5, Sqrt(2) unknown (no value), the inner 1+erf is an output, erf of
     * another tensor */
    static const char *const bad[] = {
        "const h4 scalar fp16 value=0.4\ndiv d h r2\nerf e d\nadd a e one\nmul m h a\nmul y m h4\n"
        "output y\n",
        "const nv scalar fp16\ndiv d h nv\nerf e d\nadd a e one\nmul m h a\nmul y m half\noutput y\n",
        "div d h r2\nerf e d\nadd a e one\nmul m h a\nmul y m half\noutput y a\n",
        "div d x r2\nerf e d\nadd a e one\nmul m h a\nmul y m half\noutput y\n",
        "pow p h two\nmul v p c\nadd u h v\nmul s u k\ntanh e s\nadd a e one\nmul hh h half\n"
        "mul y hh a\noutput y\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        npu_graph *g = prep2(head, bad[i]);
        CHECK(g && count_op(g, NPU_OP_GELU) == 0 && L(g, "h") && L(g, "h")->act == NPU_ACT_NONE);
        if (!g || L(g, "h")->act != NPU_ACT_NONE)
            printf("  blocked form %zu fused\n", i);
        npu_graph_free(g);
    }
}

TEST(pattern_norms)
{
    const char *head = "input x 1x4x16 fp16\nconst w 16x16 fp16\nconst eps scalar fp16 value=1e-5\n"
                       "const two 1 fp16 value=2\nconst one 1 fp16 value=1\nconst gamma 16 fp16\n"
                       "const beta 16 fp16\nmatmul h x w\n";
    const char *ln = "reduce m h kind=mean axes=-1\nsub d h m\npow p d two\n"
                     "reduce v p kind=mean axes=2\nadd e v eps\nsqrt s e\ndiv n d s\n";
    char body[2048];
    /* LayerNorm with the affine tail: one layer named after the tail's last op */
    snprintf(body, sizeof body, "%smul gm n gamma\nadd y gm beta\nmatmul o y w\noutput o\n", ln);
    npu_graph *g = prep2(head, body);
    CHECK(g && g->nl == 3 && L(g, "y") && L(g, "y")->op == NPU_OP_LAYERNORM);
    if (g && L(g, "y")) {
        CHECK_EQ_INT(npu_layer_int(L(g, "y"), "axis", 0, 0), -1);
        CHECK_EQ_INT(npu_layer_int(L(g, "y"), "affine", 0, 0), 1);
        CHECK(fabs(npu_layer_float(L(g, "y"), "eps", 0) - 1e-5) < 1e-12);
    }
    npu_graph_free(g);
    /* without the tail: affine=0; mul(d, d) for the square */
    g = prep2(head, "reduce m h kind=mean axes=-1\nsub d h m\nmul p d d\n"
                    "reduce v p kind=mean axes=-1\nadd e eps v\nsqrt s e\ndiv n d s\noutput n\n");
    CHECK(g && g->nl == 2 && L(g, "n") && L(g, "n")->op == NPU_OP_LAYERNORM &&
          npu_layer_int(L(g, "n"), "affine", 0, 1) == 0);
    npu_graph_free(g);
    /* blocked: the mean read elsewhere, a different axis for the variance, eps not constant */
    snprintf(body, sizeof body, "%soutput n m\n", ln);
    g = prep2(head, body);
    CHECK(g && count_op(g, NPU_OP_LAYERNORM) == 0);
    npu_graph_free(g);
    g = prep2(head, "reduce m h kind=mean axes=-1\nsub d h m\npow p d two\n"
                    "reduce v p kind=mean axes=1\nadd e v eps\nsqrt s e\ndiv n d s\noutput n\n");
    CHECK(g && count_op(g, NPU_OP_LAYERNORM) == 0 && count_op(g, NPU_OP_RMSNORM) == 0);
    npu_graph_free(g);
    g = prep2(head, "reduce m h kind=mean axes=-1\nsub d h m\npow p d two\n"
                    "reduce v p kind=mean axes=-1\nadd e v m\nsqrt s e\ndiv n d s\noutput n\n");
    CHECK(g && count_op(g, NPU_OP_LAYERNORM) == 0 && count_op(g, NPU_OP_RMSNORM) == 0);
    npu_graph_free(g);
    /* RMSNorm: x·Reciprocal(Sqrt(mean(x²)+eps))·weight, x/Sqrt(…), x·Div(1, Sqrt(…)) */
    static const char *const rms[] = {
        "pow p h two\nreduce v p kind=mean axes=-1\nadd e v eps\nsqrt s e\nreciprocal r s\n"
        "mul n h r\nmul y gamma n\n",
        "mul p h h\nreduce v p kind=mean axes=-1\nadd e v eps\nsqrt s e\ndiv y h s\n",
        "pow p h two\nreduce v p kind=mean axes=-1\nadd e v eps\nsqrt s e\ndiv r one s\n"
        "mul y r h\n",
    };
    for (size_t i = 0; i < sizeof rms / sizeof rms[0]; i++) {
        snprintf(body, sizeof body, "%smatmul o y w\noutput o\n", rms[i]);
        g = prep2(head, body);
        CHECK(g && g->nl == 3 && L(g, "y") && L(g, "y")->op == NPU_OP_RMSNORM &&
              npu_layer_int(L(g, "y"), "affine", 0, 0) == (i == 0));
        if (!g || !L(g, "y") || L(g, "y")->op != NPU_OP_RMSNORM)
            printf("  rms form %zu\n", i);
        npu_graph_free(g);
    }
    /* blocked: the square is a graph output; 1/Sqrt with a 2 in place of the 1 */
    g = prep2(head, "pow p h two\nreduce v p kind=mean axes=-1\nadd e v eps\nsqrt s e\n"
                    "div y h s\noutput y p\n");
    CHECK(g && count_op(g, NPU_OP_RMSNORM) == 0);
    npu_graph_free(g);
    g = prep2(head, "pow p h two\nreduce v p kind=mean axes=-1\nadd e v eps\nsqrt s e\n"
                    "div r two s\nmul y r h\noutput y\n");
    CHECK(g && count_op(g, NPU_OP_RMSNORM) == 0);
    npu_graph_free(g);
}

TEST(pattern_mish)
{
    npu_graph *g = prepared("input x 1x3x8x8 fp16\nconv c x out=4 k=3 p=1\nsoftplus sp c\n"
                            "tanh t sp\nmul y t c\noutput y\n");
    CHECK(g && g->nl == 1 && L(g, "c") && L(g, "c")->act == NPU_ACT_MISH);
    npu_graph_free(g);
    /* blocked: softplus of another tensor; tanh read elsewhere */
    g = prepared("input x 1x3x8x8 fp16\nconv c x out=4 k=3 p=1\nconv c2 x out=4 k=3 p=1\n"
                 "softplus sp c2\ntanh t sp\nmul y t c\noutput y\n");
    CHECK(g && count_op(g, NPU_OP_MISH) == 0 && L(g, "c")->act == NPU_ACT_NONE);
    npu_graph_free(g);
    g = prepared("input x 1x3x8x8 fp16\nconv c x out=4 k=3 p=1\nsoftplus sp c\n"
                 "tanh t sp\nmul y t c\nadd z y t\noutput z\n");
    CHECK(g && count_op(g, NPU_OP_MISH) == 0 && L(g, "c")->act == NPU_ACT_NONE);
    npu_graph_free(g);
}

TEST(pattern_channel_fold)
{
    /* conv → Mul(scale [C,1,1]) → Add(shift [1,C,1,1]) is a batchnorm spelled out: both fold;
     * the add gives the conv a bias (+4 parameters), the mul's scales go into the weights */
    npu_graph *g = prepared("input x 1x3x8x8 int8\nconst sc 4x1x1 fp32\nconst sh 1x4x1x1 fp32\n"
                            "conv c x out=4 k=3 p=1\nmul m c sc\nadd a sh m\nrelu r a\n"
                            "output r\n");
    CHECK(g && g->nl == 1 && L(g, "c") && L(g, "c")->act == NPU_ACT_RELU &&
          (L(g, "c")->flags & NPU_LF_BIAS) && npu_graph_params(g) == 4 * 3 * 9 + 4);
    npu_graph_free(g);
    /* gemm: the last axis; a scalar counts as per channel */
    g = prepared("input x 1x16 int8\nconst b 10 fp32\nconst s scalar fp32 value=2\n"
                 "gemm f x out=10\nadd a f b\nmul m s a\noutput m\n");
    CHECK(g && g->nl == 1 && L(g, "f") && (L(g, "f")->flags & NPU_LF_BIAS));
    npu_graph_free(g);
    /* blocked: per-pixel constant, an activation input, a second reader, a fused activation,
     * a graph output in between */
    static const char *const bad[] = {
        "const k 1x4x8x8 fp32\nconv c x out=4 k=3 p=1\nmul y c k\n",
        "input v 1x4x1x1 int8\nconv c x out=4 k=3 p=1\nmul y c v\n",
        "const k 4x1x1 fp32\nconv c x out=4 k=3 p=1\nmul y c k\nadd z y c\n",
        "const k 4x1x1 fp32\nconv c x out=4 k=3 p=1 act=relu\nmul y c k\n",
        "const k 4x1x1 fp32\nconv c x out=4 k=3 p=1\nmul y c k\noutput c\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "input x 1x3x8x8 int8\n%sconv o y out=4 k=1\noutput o\n", bad[i]);
        g = prepared(buf);
        CHECK(g && count_op(g, NPU_OP_MUL) == 1);
        if (!g || count_op(g, NPU_OP_MUL) != 1)
            printf("  blocked form %zu folded\n", i);
        npu_graph_free(g);
    }
    /* the +3 of a HardSigmoid stays in the pattern (patterns go first) */
    g = prepared("input x 1x3x8x8 int8\nconst three scalar fp32 value=3\nconst six scalar fp32 "
                 "value=6\nconv c x out=4 k=3 p=1\nadd a c three\nrelu6 r a\ndiv y r six\n"
                 "output y\n");
    CHECK(g && g->nl == 1 && L(g, "c") && L(g, "c")->act == NPU_ACT_HARDSIGMOID &&
          !(L(g, "c")->flags & NPU_LF_BIAS));
    npu_graph_free(g);
}

/* attention's q @ k.transpose(-2, -1): the transpose of the last two axes folds into the
 * matmul as transb (toggled); blocked by another perm, a second reader, a graph output */
TEST(pattern_transposed_matmul)
{
    npu_graph *g = prepared("input q 1x4x16x8 fp16\ninput k 1x4x16x8 fp16\n"
                            "transpose kt k perm=0,1,3,2\nmatmul s q kt\noutput s\n");
    CHECK(g && g->nl == 1 && L(g, "s") && npu_layer_int(L(g, "s"), "transb", 0, 0) == 1 &&
          npu_graph_macs(g) == 4 * 16 * 16 * 8);
    npu_graph_free(g);
    g = prepared("input q 1x4x16x8 fp16\ninput k 1x4x8x16 fp16\n"
                 "transpose kt k perm=0,1,3,2\nmatmul s q kt transb=1\noutput s\n");
    CHECK(g && g->nl == 1 && npu_layer_int(L(g, "s"), "transb", 0, 0) == 0);
    npu_graph_free(g);
    static const char *const bad[] = {
        "input k 1x16x4x8 fp16\ntranspose kt k perm=0,2,3,1\nmatmul s q kt\noutput s\n",
        "input k 1x4x16x8 fp16\ntranspose kt k perm=0,1,3,2\nmatmul s q kt\nexp e kt\n"
        "output s e\n",
        "input k 1x4x16x8 fp16\ntranspose kt k perm=0,1,3,2\nmatmul s q kt\noutput s kt\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "input q 1x4x16x8 fp16\n%s", bad[i]);
        g = prepared(buf);
        CHECK(g && count_op(g, NPU_OP_TRANSPOSE) == 1);
        npu_graph_free(g);
    }
}

TEST(prepare_idempotent)
{
    npu_err err = {0};
    npu_graph *g = golden("ops.npg");
    CHECK(g && npu_graph_prepare(g, &err) == 0);
    if (!g)
        return;
    CHECK(consistent(g));
    npu_strbuf a, b;
    npu_sb_init(&a);
    npu_sb_init(&b);
    npu_npg_write(g, &a);
    npu_graph *c = npu_graph_clone(g);
    CHECK(c && npu_graph_prepare(c, &err) == 0);
    npu_npg_write(c, &b);
    CHECK_STR(a.s, b.s);
    CHECK_EQ_INT(npu_graph_params(c), npu_graph_params(g));
    npu_sb_free(&a);
    npu_sb_free(&b);
    npu_graph_free(c);
    npu_graph_free(g);
}

int main(void)
{
    RUN(fold_bn_resnet_block);
    RUN(fold_bn_conditions);
    RUN(fuse_act_conditions);
    RUN(views);
    RUN(dtype_insertion);
    RUN(dtype_choose);
    RUN(dtype_qdq);
    RUN(dtype_errors_and_gather);
    RUN(pipeline_golden);
    RUN(weight_dtype);
    RUN(prepare_idempotent);
    RUN(pattern_silu);
    RUN(pattern_hardswish);
    RUN(pattern_gelu);
    RUN(pattern_norms);
    RUN(pattern_mish);
    RUN(pattern_channel_fold);
    RUN(pattern_transposed_matmul);
    return TEST_REPORT();
}
