/* graph_test.c — the graph IR: tables, building, attributes, shape inference per op family,
 * MAC/parameter counts computed by hand, and every inference error path. */
#include "front/front.h"
#include "test.h"

#include <stdlib.h>

/* Reads npg text (header added) and infers; returns NULL and fills err on failure. */
static npu_graph *build(const char *body, npu_err *err)
{
    char text[8192];
    snprintf(text, sizeof text, "npg 1\n%s", body);
    npu_graph *g = npu_npg_read("net.npg", text, strlen(text), err);
    if (g && npu_graph_infer(g, err)) {
        npu_graph_free(g);
        return NULL;
    }
    return g;
}

/* dims of tensor `name` as "1x64x56x56" */
static const char *dims(const npu_graph *g, const char *name)
{
    static char buf[8][128];
    static int k;
    char *b = buf[k++ % 8];
    int ti = npu_graph_find_tensor(g, name);
    if (ti < 0)
        return "(missing)";
    const npu_tensor *t = &g->t[ti];
    if (!t->shape_known)
        return "(unknown)";
    b[0] = 0;
    if (t->ndim == 0)
        strcpy(b, "scalar");
    for (int i = 0; i < t->ndim; i++)
        sprintf(b + strlen(b), i ? "x%lld" : "%lld", (long long)t->dim[i]);
    return b;
}

static const npu_layer *L(const npu_graph *g, const char *name)
{
    int li = npu_graph_find_layer(g, name);
    return li >= 0 ? &g->l[li] : NULL;
}

TEST(tables)
{
    npu_dtype d;
    CHECK_STR(npu_dtype_name(NPU_DT_INT8), "int8");
    CHECK_STR(npu_dtype_name(NPU_DT_BF16), "bf16");
    CHECK_EQ_INT(npu_dtype_bits(NPU_DT_INT4), 4);
    CHECK_EQ_INT(npu_dtype_bits(NPU_DT_FP32), 32);
    CHECK(npu_dtype_is_float(NPU_DT_FP16));
    CHECK(!npu_dtype_is_float(NPU_DT_INT32));
    CHECK_EQ_INT(npu_dtype_parse("fp16", &d), 0);
    CHECK_EQ_INT(d, NPU_DT_FP16);
    CHECK_EQ_INT(npu_dtype_parse("float", &d), -1);
    CHECK_EQ_INT(npu_dtype_bytes(NPU_DT_INT4, 3), 2); /* rounds up */
    CHECK_EQ_INT(npu_dtype_bytes(NPU_DT_INT4, 4), 2);
    CHECK_EQ_INT(npu_dtype_bytes(NPU_DT_FP16, 10), 20);
    CHECK_EQ_INT(npu_dtype_bytes(NPU_DT_INT64, 3), 24);
    npu_op op;
    CHECK_EQ_INT(npu_op_parse("convt", &op), 0);
    CHECK_EQ_INT(op, NPU_OP_CONVT);
    CHECK_EQ_INT(npu_op_parse("Conv", &op), -1);
    CHECK_EQ_INT(npu_op_class(NPU_OP_MATMUL), NPU_OPC_GEMM);
    CHECK_EQ_INT(npu_op_class(NPU_OP_FLATTEN), NPU_OPC_VIEW);
    CHECK_STR(npu_opclass_name(NPU_OPC_ELTWISE), "eltwise");
    CHECK_STR(npu_op_name(NPU_OP_DEQUANTIZE), "dequantize");
    CHECK_EQ_INT(npu_op_act(NPU_OP_RELU6), NPU_ACT_RELU6);
    CHECK_EQ_INT(npu_op_act(NPU_OP_CONV), NPU_ACT_NONE);
    npu_act a;
    CHECK_EQ_INT(npu_act_parse("hardswish", &a), 0);
    CHECK_EQ_INT(a, NPU_ACT_HARDSWISH);
    CHECK_STR(npu_act_name(NPU_ACT_GELU), "gelu");
    for (int i = 0; i < NPU_OP_COUNT; i++) { /* names parse back */
        CHECK_EQ_INT(npu_op_parse(npu_op_name((npu_op)i), &op), 0);
        CHECK_EQ_INT(op, i);
    }
}

/* The op table (ops.c): one complete row per op, interned keys that round-trip. */
TEST(op_table)
{
    for (int i = 0; i < NPU_OP_COUNT; i++) {
        const npu_opinfo *o = npu_op_info((npu_op)i);
        CHECK_STR(o->name, npu_op_name((npu_op)i));
        CHECK_EQ_INT(o->cls, npu_op_class((npu_op)i));
        CHECK(o->min_in >= 1 && o->min_in <= o->max_in && o->act_in >= 1);
        CHECK(o->act_in <= o->max_in);
        for (int k = 0; k < NPU_OP_MAXKEYS && o->keys[k]; k++)
            CHECK(npu_op_takes((npu_op)i, (npu_attr_key)o->keys[k]));
    }
    CHECK_STR(npu_op_info((npu_op)NPU_OP_COUNT)->name, "?");
    for (int k = 1; k < NPU_K_COUNT; k++)
        CHECK_EQ_INT(npu_attr_key_of(npu_attr_key_name((npu_attr_key)k)), k);
    CHECK_EQ_INT(npu_attr_key_of("out_shape"), NPU_K_NONE);
    CHECK_EQ_INT(npu_attr_key_kind(NPU_K_EPS), NPU_AK_NUM);
    CHECK(npu_op_takes(NPU_OP_CONVT, NPU_K_OP));
    CHECK(!npu_op_takes(NPU_OP_CONV, NPU_K_OP));
    CHECK(!npu_op_takes(NPU_OP_RELU, NPU_K_NONE));
    char buf[64];
    npu_op_keys_text(NPU_OP_LRN, buf, sizeof buf);
    CHECK_STR(buf, "size alpha beta bias");
    npu_op_keys_text(NPU_OP_RELU, buf, sizeof buf);
    CHECK_STR(buf, "");
    CHECK_EQ_INT(npu_op_info(NPU_OP_CONCAT)->max_in, 4096);
    CHECK_EQ_INT(npu_op_info(NPU_OP_GATHER)->act_in, 2);
}

/* Attributes are interned when stored; the _k getters find them without a string compare. */
TEST(interned_attrs)
{
    npu_err err = {0};
    npu_graph *g = npu_graph_new("k");
    int64_t d[4] = {1, 8, 8, 8};
    npu_graph_add_input(g, "x", 4, d, NPU_DT_FP32, &err);
    const char *in[] = {"x"};
    int li = npu_graph_add_layer(g, NPU_OP_CONV, "c", 1, in, 1, &err);
    CHECK_EQ_INT(npu_layer_set_int(g, li, "out", 4), 0);
    CHECK_EQ_INT(npu_layer_set_int(g, li, "k", 3), 0);
    CHECK_EQ_INT(npu_layer_set_str(g, li, "note", "free"), 0);
    const npu_layer *l = &g->l[li];
    CHECK_EQ_INT(npu_layer_attr(l, "k")->id, NPU_K_K);
    CHECK_EQ_INT(npu_layer_attr(l, "note")->id, NPU_K_NONE);
    CHECK_EQ_INT(npu_layer_int_k(l, NPU_K_K, 1, 0), 3);
    CHECK_EQ_INT(npu_layer_int_k(l, NPU_K_S, 0, 1), 1);
    CHECK(npu_layer_attr_k(l, NPU_K_NONE) == NULL);
    CHECK_STR(npu_layer_str(l, "note", ""), "free");
    npu_graph *c = npu_graph_clone(g); /* ids survive a copy */
    CHECK_EQ_INT(npu_layer_attr(&c->l[li], "out")->id, NPU_K_OUT);
    npu_graph_free(c);
    npu_graph_free(g);
}

/* Inference runs once per graph state; a clone keeps it; every change asks for a new one; the
 * consumer index answers as the scan over the layers does. */
TEST(infer_cache)
{
    npu_err err = {0};
    npu_graph *g = npu_graph_new("cache");
    int64_t d[4] = {1, 8, 8, 8};
    npu_graph_add_input(g, "x", 4, d, NPU_DT_FP32, &err);
    const char *in1[] = {"x"}, *in2[] = {"a", "a"}, *in3[] = {"a", "x"};
    int a = npu_graph_add_layer(g, NPU_OP_LEAKY, "a", 1, in1, 1, &err);
    int b = npu_graph_add_layer(g, NPU_OP_ADD, "b", 2, in2, 1, &err); /* reads a twice */
    int c = npu_graph_add_layer(g, NPU_OP_ADD, "c", 2, in3, 1, &err);
    CHECK(!g->inferred);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK(g->inferred);
    int ta = g->l[a].out[0], tx = npu_graph_find_tensor(g, "x"), cons[4];
    CHECK_EQ_INT(npu_graph_consumers(g, ta, cons, 4), 2);
    CHECK_EQ_INT(cons[0], b);
    CHECK_EQ_INT(cons[1], c);
    CHECK_EQ_INT(npu_graph_consumers(g, tx, cons, 1), 2); /* count beyond max */
    CHECK_EQ_INT(cons[0], a);
    CHECK_EQ_INT(npu_graph_consumers(g, g->l[c].out[0], NULL, 0), 0);
    /* a cached inference does not look at the layers: a direct write is not seen ... */
    g->t[ta].ndim = 2;
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK_EQ_INT(g->t[ta].ndim, 2);
    npu_graph *cl = npu_graph_clone(g);
    CHECK(cl->inferred);
    CHECK_EQ_INT(npu_graph_consumers(cl, ta, cons, 4), 2);
    /* ... until the writer says so */
    npu_graph_touch(g);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK_EQ_INT(g->t[ta].ndim, 4);
    /* mutators clear the flag; a dead layer leaves the index */
    CHECK_EQ_INT(npu_layer_set_float(cl, a, "alpha", 0.1), 0);
    CHECK(!cl->inferred);
    cl->l[c].flags |= NPU_LF_DEAD;
    npu_graph_touch(cl);
    CHECK_EQ_INT(npu_graph_consumers(cl, ta, cons, 4), 1); /* the scan */
    CHECK_EQ_INT(npu_graph_infer(cl, &err), 0);
    CHECK_EQ_INT(npu_graph_consumers(cl, ta, cons, 4), 1); /* the index */
    CHECK_EQ_INT(cons[0], b);
    npu_graph_free(cl);
    npu_graph_free(g);
}

TEST(building)
{
    npu_err err = {0};
    npu_graph *g = npu_graph_new("b");
    int64_t d[4] = {1, 8, 16, 16};
    CHECK_EQ_INT(npu_graph_add_input(g, "x", 4, d, NPU_DT_INT8, &err), 0);
    CHECK_EQ_INT(g->dtype, NPU_DT_INT8); /* from the first input */
    CHECK_EQ_INT(npu_graph_add_input(g, "x", 4, d, NPU_DT_INT8, &err), -1);
    CHECK_CONTAINS(err.msg, "duplicate tensor name 'x'");
    int64_t bad[2] = {1, 0};
    CHECK_EQ_INT(npu_graph_add_const(g, "z", 2, bad, NPU_DT_INT8, &err), -1);
    CHECK_CONTAINS(err.msg, "dim 1 is 0");
    int64_t huge[3] = {2147483647, 2147483647, 2};
    CHECK_EQ_INT(npu_graph_add_const(g, "h", 3, huge, NPU_DT_INT8, &err), -1);
    CHECK_CONTAINS(err.msg, "2^48");
    const char *in[1] = {"x"};
    int li = npu_graph_add_layer(g, NPU_OP_SPLIT, "s", 1, in, 2, &err);
    CHECK_EQ_INT(li, 0);
    CHECK_EQ_INT(npu_graph_find_tensor(g, "s"), 1);
    CHECK_EQ_INT(npu_graph_find_tensor(g, "s:1"), 2);
    CHECK_EQ_INT(g->t[2].producer, 0);
    CHECK_EQ_INT(npu_graph_add_layer(g, NPU_OP_RELU, "s", 1, in, 1, &err), -1);
    CHECK_CONTAINS(err.msg, "duplicate layer name 's'");
    const char *bad_in[1] = {"nope"};
    CHECK_EQ_INT(npu_graph_add_layer(g, NPU_OP_RELU, "r", 1, bad_in, 1, &err), -1);
    CHECK_CONTAINS(err.msg, "unknown input tensor 'nope'");
    CHECK_EQ_INT(npu_graph_add_layer(g, NPU_OP_RELU, "x", 1, in, 1, &err), -1); /* tensor name */
    const char *in2[2] = {"s", "s:1"};
    CHECK_EQ_INT(npu_graph_add_layer(g, NPU_OP_ADD, "a", 2, in2, 1, &err), 1);
    CHECK_EQ_INT(npu_graph_find_layer(g, "a"), 1);
    CHECK_EQ_INT(npu_graph_find_layer(g, "zz"), -1);
    CHECK_EQ_INT(npu_graph_mark_output(g, "a", &err), 0);
    CHECK_EQ_INT(npu_graph_mark_output(g, "a", &err), 0); /* idempotent */
    CHECK_EQ_INT(g->noutputs, 1);
    CHECK(npu_graph_mark_output(g, "q", &err) != 0);
    /* attributes: setters replace; the last value repeats */
    int64_t k2[2] = {3, 5};
    CHECK_EQ_INT(npu_layer_set_ints(g, 0, "k", 2, k2), 0);
    CHECK_EQ_INT(npu_layer_int(&g->l[0], "k", 0, 0), 3);
    CHECK_EQ_INT(npu_layer_int(&g->l[0], "k", 1, 0), 5);
    CHECK_EQ_INT(npu_layer_int(&g->l[0], "k", 7, 0), 5);
    CHECK_EQ_INT(npu_layer_set_int(g, 0, "k", 7), 0);
    CHECK_EQ_INT(g->l[0].nattr, 1);
    CHECK_EQ_INT(npu_layer_int(&g->l[0], "k", 1, 0), 7);
    CHECK_EQ_INT(npu_layer_int(&g->l[0], "absent", 0, -4), -4);
    CHECK_EQ_INT(npu_layer_set_float(g, 0, "eps", 0.5), 0);
    CHECK_NEAR(npu_layer_float(&g->l[0], "eps", 0), 0.5, 0);
    CHECK_NEAR(npu_layer_float(&g->l[0], "k", 0), 7, 0);
    CHECK_EQ_INT(npu_layer_set_str(g, 0, "mode", "linear"), 0);
    CHECK_STR(npu_layer_str(&g->l[0], "mode", NULL), "linear");
    CHECK(npu_layer_str(&g->l[0], "k", NULL) == NULL);
    /* consumers */
    int c[4];
    CHECK_EQ_INT(npu_graph_consumers(g, 0, c, 4), 1);
    CHECK_EQ_INT(c[0], 0);
    CHECK_EQ_INT(npu_graph_consumers(g, 1, c, 4), 1);
    CHECK_EQ_INT(c[0], 1);
    g->l[1].flags |= NPU_LF_DEAD;
    CHECK_EQ_INT(npu_graph_consumers(g, 1, c, 4), 0);
    /* clone is deep */
    npu_graph *cl = npu_graph_clone(g);
    CHECK(cl != NULL);
    CHECK_EQ_INT(cl->nl, 2);
    CHECK_STR(cl->t[2].name, "s:1");
    CHECK(cl->l[0].name != g->l[0].name);
    npu_layer_set_int(cl, 0, "k", 9);
    CHECK_EQ_INT(npu_layer_int(&g->l[0], "k", 0, 0), 7);
    CHECK_STR(npu_layer_str(&cl->l[0], "mode", NULL), "linear");
    npu_graph_free(cl);
    npu_graph_free(g);
}

/* Hand-computed figures: ResNet-50 stem and AlexNet's convolutions. */
TEST(conv_counts)
{
    npu_err err = {0};
    npu_graph *g = build("input x 1x3x224x224 fp32\n"
                         "conv stem x out=64 k=7 s=2 p=3\n"
                         "maxpool mp stem k=3 s=2 p=1\n"
                         "input a 1x3x227x227 fp32\n"
                         "conv a1 a out=96 k=11 s=4 bias=1\n" /* AlexNet conv1 */
                         "maxpool ap a1 k=3 s=2\n"
                         "conv a2 ap out=256 k=5 p=2 g=2 bias=1\n" /* grouped, 27x27 */
                         "conv a3 a2 out=384 k=3 p=1 bias=1\n",
                         &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(dims(g, "stem"), "1x64x112x112");
    CHECK_EQ_INT(L(g, "stem")->macs, 118013952LL); /* 112·112·64·3·7·7 */
    CHECK_EQ_INT(L(g, "stem")->params, 9408);      /* 64·3·7·7, no bias */
    CHECK_STR(dims(g, "mp"), "1x64x56x56");
    CHECK_EQ_INT(L(g, "mp")->macs, 0);
    CHECK_STR(dims(g, "a1"), "1x96x55x55");
    CHECK_EQ_INT(L(g, "a1")->macs, 105415200LL); /* 55·55·96·3·11·11 */
    CHECK_EQ_INT(L(g, "a1")->params, 34944);     /* 96·3·121 + 96 */
    CHECK(L(g, "a1")->flags & NPU_LF_BIAS);
    CHECK_STR(dims(g, "ap"), "1x96x27x27");
    CHECK_STR(dims(g, "a2"), "1x256x27x27");
    CHECK_EQ_INT(L(g, "a2")->macs, 223948800LL); /* 27·27·256·48·5·5 */
    CHECK_EQ_INT(L(g, "a2")->params, 307456);    /* 256·48·25 + 256 */
    CHECK_STR(dims(g, "a3"), "1x384x27x27");
    CHECK_EQ_INT(L(g, "a3")->macs, 27LL * 27 * 384 * 256 * 9);
    CHECK_EQ_INT(npu_graph_macs(g),
                 118013952LL + 105415200LL + 223948800LL + 27LL * 27 * 384 * 256 * 9);
    npu_conv_geom cg;
    CHECK_EQ_INT(npu_layer_conv_geom(g, npu_graph_find_layer(g, "a2"), &cg), 0);
    CHECK_EQ_INT(cg.groups, 2);
    CHECK(!cg.depthwise);
    CHECK_EQ_INT(cg.kh, 5);
    CHECK_EQ_INT(cg.pt + cg.pl + cg.pb + cg.pr, 8);
    CHECK_EQ_INT(cg.ho, 27);
    CHECK_EQ_INT(cg.c, 96);
    CHECK_EQ_INT(cg.k, 256);
    CHECK_EQ_INT(npu_layer_conv_geom(g, npu_graph_find_layer(g, "stem"), &cg), 0);
    CHECK_EQ_INT(cg.sh, 2);
    CHECK_EQ_INT(cg.pt, 3);
    npu_gemm_geom gg;
    CHECK(npu_layer_gemm_geom(g, 0, &gg) != 0); /* not a gemm */
    npu_graph_free(g);
}

/* A ResNet-50 bottleneck (layer1[0]) by hand: weights 4096+36864+16384+16384, BN 2·(64+64+256+256).
 */
TEST(resnet_block_counts)
{
    npu_err err = {0};
    char *txt;
    size_t n;
    CHECK_EQ_INT(npu_read_file("tests/golden/resnet_block.npg", &txt, &n, &err), 0);
    npu_graph *g = npu_npg_read("resnet_block.npg", txt, n, &err);
    free(txt);
    CHECK(g && npu_graph_infer(g, &err) == 0);
    if (!g)
        return;
    CHECK_EQ_INT(npu_graph_params(g), 4096 + 36864 + 16384 + 16384 + 2 * (64 + 64 + 256 + 256));
    CHECK_EQ_INT(npu_graph_macs(g), 56LL * 56 * (64 * 64 + 64 * 64 * 9 + 64 * 256 + 64 * 256));
    CHECK_EQ_INT(L(g, "bn3")->params, 512);
    CHECK_STR(dims(g, "out"), "1x256x56x56");
    npu_graph_free(g);
}

TEST(conv_variants)
{
    npu_err err = {0};
    npu_graph *g = build("input x 1x32x112x112 int8\n"
                         "conv dw x out=32 k=3 p=1 g=32\n"
                         "conv dil x out=8 k=3 d=2 p=2\n"
                         "conv asym x out=8 k=3,1 s=2,1 p=1,0,0,0\n"
                         "input y 1x16x8x8 int8\n"
                         "convt up y out=8 k=4 s=2 p=1\n"
                         "convt up2 y out=8 k=4 s=2 p=1 op=1 g=2\n"
                         "maxpool c1 x k=3 s=2 ceil=1\n"
                         "maxpool c0 x k=3 s=2\n"
                         "input z 1x1x5x5 int8\n"
                         "maxpool cz z k=1 s=2 p=1 ceil=1\n"
                         "gavgpool gp x\n",
                         &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(dims(g, "dw"), "1x32x112x112");
    CHECK_EQ_INT(L(g, "dw")->macs, 112LL * 112 * 32 * 9);
    CHECK_EQ_INT(L(g, "dw")->params, 288);
    npu_conv_geom cg;
    CHECK_EQ_INT(npu_layer_conv_geom(g, npu_graph_find_layer(g, "dw"), &cg), 0);
    CHECK(cg.depthwise);
    CHECK_STR(dims(g, "dil"), "1x8x112x112");
    CHECK_STR(dims(g, "asym"), "1x8x56x112"); /* (112+1-3)/2+1 = 56 ; (112-1)/1+1 */
    CHECK_STR(dims(g, "up"), "1x8x16x16");    /* (8-1)·2 - 2 + 3 + 1 */
    CHECK_EQ_INT(L(g, "up")->macs, 16LL * 8 * 8 * 8 * 16);
    CHECK_EQ_INT(L(g, "up")->params, 16 * 8 * 16);
    CHECK_STR(dims(g, "up2"), "1x8x17x17");
    CHECK_EQ_INT(L(g, "up2")->macs, 16LL * 8 * 8 * 4 * 16);
    CHECK_STR(dims(g, "c1"), "1x32x56x56"); /* ceil((112-3)/2)+1 */
    CHECK_STR(dims(g, "c0"), "1x32x55x55");
    CHECK_STR(dims(g, "cz"), "1x1x3x3"); /* last window would start in the padding: dropped */
    CHECK_STR(dims(g, "gp"), "1x32x1x1");
    CHECK_EQ_INT(npu_layer_conv_geom(g, npu_graph_find_layer(g, "gp"), &cg), 0);
    CHECK_EQ_INT(cg.kh, 112);
    CHECK(cg.depthwise);
    npu_graph_free(g);
}

TEST(gemm_matmul)
{
    npu_err err = {0};
    npu_graph *g = build("input x 1x2048x1x1 fp32\n"
                         "gemm fc x out=1000 bias=1\n"
                         "input s 2x128x768 fp32\n"
                         "gemm ff s out=3072\n"
                         "input v 512 fp32\n"
                         "gemm v1 v out=10\n"
                         "input q 2x12x128x64 fp16\n"
                         "input k 2x12x128x64 fp16\n"
                         "matmul qk q k transb=1\n"
                         "matmul pv qk q\n"
                         "input a 4x1x8x16 fp32\n"
                         "input b 3x16x5 fp32\n"
                         "matmul ab a b\n"
                         "const w 64x32 int8\n"
                         "input e 7x64 int8\n"
                         "matmul ew e w\n",
                         &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(dims(g, "fc"), "1x1000");
    CHECK_EQ_INT(L(g, "fc")->macs, 2048000);
    CHECK_EQ_INT(L(g, "fc")->params, 2049000);
    CHECK_STR(dims(g, "ff"), "2x128x3072");
    CHECK_EQ_INT(L(g, "ff")->macs, 256LL * 768 * 3072);
    CHECK_EQ_INT(L(g, "ff")->params, 768 * 3072);
    CHECK_STR(dims(g, "v1"), "10");
    CHECK_STR(dims(g, "qk"), "2x12x128x128");
    CHECK_EQ_INT(L(g, "qk")->macs, 24LL * 128 * 128 * 64);
    CHECK_EQ_INT(L(g, "qk")->params, 0);
    CHECK_STR(dims(g, "pv"), "2x12x128x64");
    CHECK_STR(dims(g, "ab"), "4x3x8x5");
    CHECK_EQ_INT(L(g, "ab")->macs, 12LL * 8 * 5 * 16);
    CHECK_EQ_INT(L(g, "ew")->params, 64 * 32); /* const weights */
    npu_gemm_geom gg;
    CHECK_EQ_INT(npu_layer_gemm_geom(g, npu_graph_find_layer(g, "ff"), &gg), 0);
    CHECK_EQ_INT(gg.m, 256);
    CHECK_EQ_INT(gg.k, 768);
    CHECK_EQ_INT(gg.n, 3072);
    CHECK(gg.weights_const);
    CHECK_EQ_INT(npu_layer_gemm_geom(g, npu_graph_find_layer(g, "fc"), &gg), 0);
    CHECK_EQ_INT(gg.m, 1);
    CHECK_EQ_INT(gg.k, 2048);
    CHECK_EQ_INT(npu_layer_gemm_geom(g, npu_graph_find_layer(g, "qk"), &gg), 0);
    CHECK_EQ_INT(gg.batch, 24);
    CHECK_EQ_INT(gg.m, 128);
    CHECK_EQ_INT(gg.n, 128);
    CHECK_EQ_INT(gg.k, 64);
    CHECK(!gg.weights_const);
    CHECK_EQ_INT(npu_layer_gemm_geom(g, npu_graph_find_layer(g, "ab"), &gg), 0);
    CHECK_EQ_INT(gg.batch, 12);
    CHECK_EQ_INT(npu_layer_gemm_geom(g, npu_graph_find_layer(g, "ew"), &gg), 0);
    CHECK(gg.weights_const);
    npu_graph_free(g);
}

TEST(eltwise_norm)
{
    npu_err err = {0};
    npu_graph *g = build("input x 1x64x56x56 fp32\n"
                         "const b 64x1x1 fp32\n"
                         "add a x b\n"
                         "mul m a b\n" /* b counted once */
                         "input s 3 fp32\n"
                         "input t 4x1 fp32\n"
                         "max mx s t\n"
                         "batchnorm bn x\n"
                         "prelu pr x\n"
                         "input h 1x128x768 fp32\n"
                         "layernorm ln h\n"
                         "rmsnorm rn h\n"
                         "layernorm ln2 h axis=1 affine=0\n"
                         "softmax sm h axis=1\n"
                         "leaky lk x alpha=0.2\n"
                         "clip cl x min=0 max=6\n",
                         &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(dims(g, "a"), "1x64x56x56");
    CHECK_EQ_INT(L(g, "a")->params, 64);
    CHECK_EQ_INT(L(g, "m")->params, 0);
    CHECK_STR(dims(g, "mx"), "4x3");
    CHECK_EQ_INT(L(g, "bn")->params, 128);
    CHECK_EQ_INT(L(g, "pr")->params, 64);
    CHECK_EQ_INT(L(g, "ln")->params, 1536);
    CHECK_EQ_INT(L(g, "rn")->params, 768);
    CHECK_EQ_INT(L(g, "ln2")->params, 0);
    CHECK_STR(dims(g, "sm"), "1x128x768");
    npu_graph_free(g);
}

TEST(data_ops)
{
    npu_err err = {0};
    npu_graph *g = build("input x 1x64x28x28 int8\n"
                         "input y 1x32x28x28 int8\n"
                         "concat c x y axis=1\n"
                         "concat cn x y axis=-3\n"
                         "split s c axis=1 sizes=16,80\n"
                         "split e x axis=1 n=3 outs=3\n"
                         "input v 1x3x10x10 int8\n"
                         "slice s1 v starts=1 ends=-1 axes=2\n"
                         "slice s2 v starts=-1 ends=-100 axes=3 steps=-1\n"
                         "slice s3 v starts=0 ends=9223372036854775807 axes=-1 steps=3\n"
                         "slice s4 v starts=0,5 ends=1,1000 axes=1,2\n"
                         "reshape r1 x shape=0,-1\n"
                         "reshape r2 x shape=2,-1,49\n"
                         "flatten f1 x\n"
                         "flatten f0 x axis=0\n"
                         "flatten f4 x axis=4\n"
                         "input p 1x64x1x1 int8\n"
                         "squeeze q1 p axes=2,3\n"
                         "squeeze q2 p\n"
                         "unsqueeze u1 q1 axes=0\n"
                         "unsqueeze u2 q1 axes=-1,1\n"
                         "transpose t1 x perm=0,2,3,1\n"
                         "transpose t2 x\n"
                         "resize z1 x scale=2\n"
                         "resize z2 x size=7,14 mode=linear\n"
                         "resize z3 x scale=1.5\n"
                         "pad p1 x p=1\n"
                         "pad p2 x pads=0,0,1,2,0,0,3,4\n"
                         "const emb 30522x768 fp32\n"
                         "input ids 1x128 int64\n"
                         "gather gt emb ids\n"
                         "input sc scalar int64\n"
                         "gather g2 emb sc\n"
                         "reduce m1 x kind=mean axes=2,3 keep=0\n"
                         "reduce m2 x kind=max\n"
                         "reduce m3 x kind=sum keep=0\n"
                         "cast qz t1 to=int4\n"
                         "cast ca x to=int16\n"
                         "identity id x\n",
                         &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(dims(g, "c"), "1x96x28x28");
    CHECK_STR(dims(g, "cn"), "1x96x28x28");
    CHECK_STR(dims(g, "s"), "1x16x28x28");
    CHECK_STR(dims(g, "s:1"), "1x80x28x28");
    CHECK_STR(dims(g, "e"), "1x22x28x28");
    CHECK_STR(dims(g, "e:2"), "1x20x28x28");
    CHECK_STR(dims(g, "s1"), "1x3x8x10");
    CHECK_STR(dims(g, "s2"), "1x3x10x10");
    CHECK_STR(dims(g, "s3"), "1x3x10x4");
    CHECK_STR(dims(g, "s4"), "1x1x5x10");
    CHECK_STR(dims(g, "r1"), "1x50176");
    CHECK_STR(dims(g, "r2"), "2x512x49");
    CHECK_STR(dims(g, "f1"), "1x50176");
    CHECK_STR(dims(g, "f0"), "1x50176");
    CHECK_STR(dims(g, "f4"), "50176x1");
    CHECK_STR(dims(g, "q1"), "1x64");
    CHECK_STR(dims(g, "q2"), "64");
    CHECK_STR(dims(g, "u1"), "1x1x64");
    CHECK_STR(dims(g, "u2"), "1x1x64x1");
    CHECK_STR(dims(g, "t1"), "1x28x28x64");
    CHECK_STR(dims(g, "t2"), "28x28x64x1");
    CHECK_STR(dims(g, "z1"), "1x64x56x56");
    CHECK_STR(dims(g, "z2"), "1x64x7x14");
    CHECK_STR(dims(g, "z3"), "1x64x42x42");
    CHECK_STR(dims(g, "p1"), "1x64x30x30");
    CHECK_STR(dims(g, "p2"), "1x64x32x34");
    CHECK_STR(dims(g, "gt"), "1x128x768");
    CHECK_EQ_INT(L(g, "gt")->params, 30522LL * 768);
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "gt")].dtype, NPU_DT_FP32);
    CHECK_STR(dims(g, "g2"), "768");
    CHECK_EQ_INT(L(g, "g2")->params, 0); /* table already counted */
    CHECK_STR(dims(g, "m1"), "1x64");
    CHECK_STR(dims(g, "m2"), "1x1x1x1");
    CHECK_STR(dims(g, "m3"), "scalar");
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "qz")].dtype, NPU_DT_INT4);
    CHECK_EQ_INT(npu_tensor_bytes(&g->t[npu_graph_find_tensor(g, "qz")]), 28 * 28 * 32);
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "ca")].dtype, NPU_DT_INT16);
    CHECK_EQ_INT(L(g, "ca")->dtype, NPU_DT_INT16);
    CHECK_EQ_INT(npu_graph_macs(g), 0);
    npu_graph_free(g);
}

/* dtype= on a layer sets its output dtype; without it the layer follows its input. */
TEST(layer_dtype)
{
    npu_err err = {0};
    npu_graph *g = build("input x 1x8x8x8 int8\n"
                         "conv c x out=8 k=1 dtype=fp16\n"
                         "relu r c\n",
                         &err);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(g->t[npu_graph_find_tensor(g, "c")].dtype, NPU_DT_FP16);
    CHECK_EQ_INT(L(g, "r")->dtype, NPU_DT_FP16);
    CHECK(!(L(g, "r")->flags & NPU_LF_DTYPE));
    CHECK(L(g, "c")->flags & NPU_LF_DTYPE);
    npu_graph_free(g);
}

/* Every inference error names file:line, op and layer, and what is wrong. */
TEST(infer_errors)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"input x 1x3x5x5 fp32\nconv c2 x out=8 k=7\n",
         "net.npg:3: conv 'c2': kernel 7x7 larger than padded input 5x5"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=3 d=3\n",
         "net.npg:3: conv 'c': dilated kernel 7x7"},
        {"input x 1x3x5x5 fp32\nconv c x k=3\n", "net.npg:3: conv 'c': missing attribute out="},
        {"input x 1x3x5x5 fp32\nconv c x out=8\n", "net.npg:3: conv 'c': missing attribute k="},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=0\n", "net.npg:3: conv 'c': k=0 out of range"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 s=-1\n", "s=-1 out of range"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 p=-1\n", "padding -1 out of range"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 p=1,2,3\n", "p= takes 1, 2"},
        {"input x 1x3x5x5 fp32\nconv c x out=-8 k=1\n", "out=-8 out of range"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 g=2\n", "groups g=2 do not divide"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 stride=2\n",
         "net.npg:3: conv 'c': unknown attribute 'stride'"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 sx=2\n", "(did you mean 's'?)"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 bias=2\n", "bias=2 out of range 0..1"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1 mode=x\n", "unknown attribute 'mode'"},
        {"input x 1x3x5x5 fp32\nrelu r x k=3\n", "(this op takes none)"},
        {"input x 1x3x5x5 fp32\nconv c x out=8 k=1.5\n", "k= has the wrong type"},
        {"input x 1x3x5 fp32\nconv c x out=8 k=1\n", "needs a 4-D input, 'x' is 1x3x5"},
        {"input x 1x3x5x5 fp32\nconvt c x out=8 k=3 s=2 op=2\n", "output padding op=2"},
        {"input x 1x3x1x1 fp32\nconvt c x out=8 k=1 p=1\n", "leaves no output"},
        {"input x 1x3x5x5 fp32\nmaxpool m x k=6\n", "kernel 6x6 larger than padded input 5x5"},
        {"input x 1x3x5x5 fp32\ngemm f x\n", "missing attribute out="},
        {"input a 2x3 fp32\ninput b 4x5 fp32\nmatmul m a b\n", "inner dimensions differ"},
        {"input a 2x3x4 fp32\ninput b 3x4x5 fp32\nmatmul m a b\n", "do not broadcast"},
        {"input a 2x3 fp32\nmatmul m a\n", "net.npg:3: matmul 'm': takes 2 inputs, got 1"},
        {"input a 2x3 fp32\ninput b 2x4 fp32\nadd s a b\n", "shapes 2x3 and 2x4 do not broadcast"},
        {"input a 2x3 fp32\ninput b 2x4 fp32\nrelu s a b\n", "takes 1 input"},
        {"input a 2x3 fp32\ninput b 2x4 fp32\nconcat c a b axis=0\n", "cannot concatenate"},
        {"input a 2x3 fp32\nconcat c a axis=2\n", "axis=2 out of range for rank 2"},
        {"input a 2x3 fp32\nsplit s a axis=1 sizes=1,1\n", "sizes= add up to 2, axis 1 has 3"},
        {"input a 2x3 fp32\nsplit s a axis=1 sizes=1,1,1 outs=2\n", "sizes= has 3 values for 2"},
        {"input a 2x3 fp32\nsplit s a axis=1 n=4\n", "cannot split 3 into 4 parts"},
        {"input a 2x3 fp32\nslice s a starts=2 ends=1 axes=1\n", "is empty"},
        {"input a 2x3 fp32\nslice s a starts=0 ends=1 axes=1 steps=0\n", "step 0"},
        {"input a 2x3 fp32\nslice s a ends=1\n", "needs starts= and ends="},
        {"input a 2x3 fp32\nreshape r a shape=4,-1\n", "cannot infer -1"},
        {"input a 2x3 fp32\nreshape r a shape=-1,-1\n", "more than one -1"},
        {"input a 2x3 fp32\nreshape r a shape=7\n", "shape= has 7 elements, input 2x3 has 6"},
        {"input a 2x3 fp32\nreshape r a\n", "missing attribute shape="},
        {"input a 2x3 fp32\nflatten f a axis=3\n", "axis=3 out of range"},
        {"input a 2x3 fp32\nsqueeze q a axes=1\n", "cannot squeeze axis 1 of size 3"},
        {"input a 2x3 fp32\nunsqueeze u a axes=0,0\n", "names axis 0 twice"},
        {"input a 2x3 fp32\ntranspose t a perm=0,0\n", "not a permutation"},
        {"input a 1x2x3x3 fp32\nresize z a\n", "exactly one of scale= and size="},
        {"input a 1x2x3x3 fp32\nresize z a scale=2 mode=area\n", "mode=area"},
        {"input a 1x2x3x3 fp32\nresize z a scale=0.1\n", "resized dimension 0"},
        {"input a 1x2x3x3 fp32\npad z a pads=0,0,-3,0,0,0,0,0\n", "empty dimension"},
        {"input a 1x2x3x3 fp32\ninput i 2 fp32\ngather z a i\n", "must be an integer tensor"},
        {"input a 1x2x3x3 fp32\nreduce z a kind=median\n", "kind=median"},
        {"input a 1x2x3x3 fp32\nquantize z a\n", "missing attribute to="},
        {"input a 1x2x3x3 fp32\nquantize z a to=fp16\n", "quantize converts a float tensor"},
        {"input a 1x2x3x3 fp32\ndequantize z a to=fp32\n", "dequantize converts an integer"},
        {"input a 1x2x3x3 fp32\ncast z a to=float\n", "to=float is not a dtype"},
        {"input a 1x2x3x3 fp32\nclip z a min=6 max=0\n", "min=6 is larger than max=0"},
        {"input a 1x2x3x3 fp32\ninput w 2 fp32\nconv c a w out=2 k=1\n", "must be a constant"},
        /* absurd sizes: outputs beyond 2^48 elements or MAC counts beyond 64 bits */
        {"input a 1x1x65536x65536 int8\nconv c a out=65537 k=1\n", "more than 2^48 elements"},
        {"input a 1x65536x65536x2 int8\nconv c a out=2147483647 k=1,2\n", "overflows 64 bits"},
        {"input a 1x1x2147483647x2 int8\nresize z a scale=2\n", "out of range 1..2^31-1"},
        {"input a 1x1x2x2 int8\nconvt z a out=1 k=1 s=2147483647\n", "more than 2^31-1"},
        {"input a 1x1x2147483647x1 int8\nconvt z a out=1 k=2147483647 s=2147483647 "
         "d=2147483647\n",
         "output would be larger than 2^31-1"},
        {"input a 2147483647x1x65536x1x1 int8\ninput b 1x2147483647x1x1x1 int8\n"
         "matmul m a b\n",
         "more than 2^48 elements"},
        {"input a 1x65536x65536x1 int8\ngemm f a out=2147483647\n", "overflows 64 bits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        npu_err err = {0};
        npu_graph *g = build(cases[i].body, &err);
        if (g) {
            FAILF("case %zu accepted: %s", i, cases[i].body);
            npu_graph_free(g);
            continue;
        }
        if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, "net.npg:"))
            FAILF("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
        if (err.code != NPU_EINVAL && err.code != NPU_EFORMAT)
            FAILF("case %zu: code %d", i, err.code);
    }
}

int main(void)
{
    RUN(tables);
    RUN(op_table);
    RUN(interned_attrs);
    RUN(infer_cache);
    RUN(building);
    RUN(conv_counts);
    RUN(resnet_block_counts);
    RUN(conv_variants);
    RUN(gemm_matmul);
    RUN(eltwise_norm);
    RUN(data_ops);
    RUN(layer_dtype);
    RUN(infer_errors);
    return TEST_REPORT();
}
