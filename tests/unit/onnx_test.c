/* onnx_test.c — the ONNX importer (sim/front/onnx.c) and its protobuf reader (pb.c).
 *
 * Models come from the .onnx files in tests/onnx (written by tests/onnx/gen.py, standard library only) and
 * from a tiny protobuf encoder below for the cases that need odd bytes (a 128 MB weight, a 5-D
 * conv weight, a future opset). Expected numbers are worked out by hand in the comments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/graph.h"
#include "front/front.h"
#include "front/pb.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------------------------- */
static char *path_of(const char *name)
{
    static char buf[1024];
    const char *src = getenv("NPU_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/tests/onnx/%s", src ? src : ".", name);
    return buf;
}

static npu_graph *load(const char *name, bool allow, npu_err *err)
{
    memset(err, 0, sizeof *err);
    return npu_onnx_read(path_of(name), allow, err);
}

/* An imported file after the pattern pass (npu_graph_prepare runs it before BN folding and
 * activation fusion, which would hide what it fused). */
static npu_graph *load_fused(const char *name, npu_err *err)
{
    npu_graph *g = load(name, false, err);
    if (g && (npu_graph_infer(g, err) || npu_pass_fuse_patterns(g, err) ||
              npu_graph_compact(g, err) || npu_graph_infer(g, err))) {
        printf("  %s\n", err->msg);
        npu_graph_free(g);
        return NULL;
    }
    return g;
}

static const npu_layer *layer(const npu_graph *g, const char *name)
{
    int li = npu_graph_find_layer(g, name);
    return li >= 0 ? &g->l[li] : NULL;
}

static const npu_tensor *tensor(const npu_graph *g, const char *name)
{
    int ti = npu_graph_find_tensor(g, name);
    return ti >= 0 ? &g->t[ti] : NULL;
}

static int shape_is(const npu_tensor *t, int nd, const int64_t *d)
{
    if (!t || !t->shape_known || t->ndim != nd)
        return 0;
    for (int i = 0; i < nd; i++)
        if (t->dim[i] != d[i])
            return 0;
    return 1;
}

/* A minimal protobuf writer for hand-made models. */
typedef struct pbw {
    uint8_t *b;
    size_t n, cap;
} pbw;

static void pw_raw(pbw *w, const void *p, size_t n)
{
    if (!n)
        return;
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->b = realloc(w->b, w->cap);
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void pw_varint(pbw *w, uint64_t v)
{
    uint8_t t[10];
    int k = 0;
    do {
        t[k] = v & 0x7f;
        v >>= 7;
        if (v)
            t[k] |= 0x80;
        k++;
    } while (v);
    pw_raw(w, t, (size_t)k);
}
static void pw_int(pbw *w, int num, int64_t v)
{
    pw_varint(w, (uint64_t)num << 3);
    pw_varint(w, (uint64_t)v);
}
static void pw_len(pbw *w, int num, const void *p, size_t n)
{
    pw_varint(w, (uint64_t)num << 3 | 2);
    pw_varint(w, n);
    pw_raw(w, p, n);
}
static void pw_str(pbw *w, int num, const char *s) { pw_len(w, num, s, strlen(s)); }
static void pw_msg(pbw *w, int num, pbw *m)
{
    pw_len(w, num, m->b, m->n);
    free(m->b);
    memset(m, 0, sizeof *m);
}
static void pw_vi(pbw *w, int num, const char *name, int nd, const int64_t *d)
{
    pbw shape = {0}, tt = {0}, type = {0}, vi = {0};
    for (int i = 0; i < nd; i++) {
        pbw dim = {0};
        pw_int(&dim, 1, d[i]);
        pw_msg(&shape, 1, &dim);
    }
    pw_int(&tt, 1, 1); /* FLOAT */
    pw_msg(&tt, 2, &shape);
    pw_msg(&type, 1, &tt);
    pw_str(&vi, 1, name);
    pw_msg(&vi, 2, &type);
    pw_msg(w, num, &vi);
}
/* Conv model: x [1,C,H,W] * w (dims wd, raw_data of rawlen bytes written by the caller into
 * *raw_at, or NULL = no data) -> y. opset as given. */
static pbw conv_model(int opset, int wnd, const int64_t *wd, const int64_t *xd)
{
    pbw m = {0}, g = {0}, nd = {0}, t = {0}, op = {0};
    pw_str(&nd, 1, "x");
    pw_str(&nd, 1, "w");
    pw_str(&nd, 2, "y");
    pw_str(&nd, 3, "conv");
    pw_str(&nd, 4, "Conv");
    pw_msg(&g, 1, &nd);
    pw_str(&g, 2, "convnet");
    for (int i = 0; i < wnd; i++)
        pw_int(&t, 1, wd[i]);
    pw_int(&t, 2, 1);
    pw_str(&t, 8, "w");
    pw_msg(&g, 5, &t);
    pw_vi(&g, 11, "x", 4, xd);
    pw_vi(&g, 12, "y", 0, NULL);
    pw_int(&m, 1, 8);
    pw_msg(&m, 7, &g);
    pw_int(&op, 2, opset);
    pw_msg(&m, 8, &op);
    return m;
}

/* ---- the protobuf reader -------------------------------------------------------------------- */
TEST(pb_reader)
{
    /* field 1 varint 150 (08 96 01), field 2 "ab" (12 02 61 62), field 5 fixed32 */
    const uint8_t msg[] = {0x08, 0x96, 0x01, 0x12, 0x02, 'a', 'b', 0x2d, 1, 0, 0, 0};
    npu_pb r;
    npu_pb_field f;
    size_t off = 0;
    npu_pb_init(&r, msg, sizeof msg);
    CHECK_EQ_INT(npu_pb_next(&r, &f, &off), 1);
    CHECK_EQ_INT(f.num, 1);
    CHECK_EQ_INT(f.v, 150);
    CHECK_EQ_INT(npu_pb_next(&r, &f, &off), 1);
    CHECK_EQ_INT(f.len, 2);
    CHECK(!memcmp(f.data, "ab", 2));
    CHECK_EQ_INT(npu_pb_next(&r, &f, &off), 1);
    CHECK_EQ_INT(f.wt, NPU_PB_I32);
    CHECK_EQ_INT(f.v, 1);
    CHECK_EQ_INT(npu_pb_next(&r, &f, &off), 0);
    /* a length running past the end, a truncated varint, a group, field number 0 */
    const uint8_t bad1[] = {0x12, 0x05, 'a'};
    const uint8_t bad2[] = {0x08, 0x96};
    const uint8_t bad3[] = {0x0b};
    const uint8_t bad4[] = {0x00, 0x01};
    const uint8_t *bads[] = {bad1, bad2, bad3, bad4};
    size_t lens[] = {sizeof bad1, sizeof bad2, sizeof bad3, sizeof bad4};
    for (int i = 0; i < 4; i++) {
        npu_pb_init(&r, bads[i], lens[i]);
        CHECK_EQ_INT(npu_pb_next(&r, &f, &off), -1);
        CHECK_EQ_INT(off, 0);
    }
    /* 11-byte varint is malformed */
    const uint8_t longv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    npu_pb_init(&r, longv, sizeof longv);
    CHECK_EQ_INT(npu_pb_next(&r, &f, &off), -1);
    /* packed and unpacked repeated varints */
    const uint8_t packed[] = {0x0a, 0x03, 0x01, 0x96, 0x01};
    npu_pb_init(&r, packed, sizeof packed);
    CHECK_EQ_INT(npu_pb_next(&r, &f, &off), 1);
    int64_t v[4];
    CHECK_EQ_INT(npu_pb_count_varints(&f), 2);
    CHECK_EQ_INT(npu_pb_read_varints(&f, v, 4), 2);
    CHECK_EQ_INT(v[1], 150);
    /* packed floats with a length that is not a multiple of 4 */
    const uint8_t pf[] = {0x0a, 0x03, 0, 0, 0};
    npu_pb_init(&r, pf, sizeof pf);
    CHECK_EQ_INT(npu_pb_next(&r, &f, &off), 1);
    CHECK_EQ_INT(npu_pb_count_fixed(&f, 4), -1);
}

/* ---- models ---------------------------------------------------------------------------------- */
TEST(tiny_cnn)
{
    npu_err err;
    npu_graph *g = load("tiny_cnn.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(g->name, "tiny_cnn");
    CHECK_EQ_INT(g->nl, 10);
    CHECK_EQ_INT(g->ninputs, 1);
    CHECK_EQ_INT(g->noutputs, 1);
    /* weights are implicit: tensors are the input and the ten layer outputs only */
    CHECK_EQ_INT(g->nt, 11);
    const int64_t in[] = {1, 3, 32, 32};
    CHECK(shape_is(tensor(g, "input"), 4, in));
    CHECK_EQ_INT(tensor(g, "input")->dtype, NPU_DT_FP32);
    const npu_layer *c1 = layer(g, "conv1");
    CHECK(c1 && c1->op == NPU_OP_CONV);
    if (c1) {
        CHECK_EQ_INT(npu_layer_int(c1, "out", 0, -1), 16);
        CHECK_EQ_INT(npu_layer_int(c1, "k", 1, -1), 3);
        CHECK_EQ_INT(npu_layer_int(c1, "p", 3, -1), 1);
        CHECK_EQ_INT(npu_layer_int(c1, "bias", 0, -1), 1);
    }
    CHECK(layer(g, "bn1") && layer(g, "bn1")->op == NPU_OP_BATCHNORM);
    CHECK(layer(g, "relu1") && layer(g, "relu1")->op == NPU_OP_RELU);
    CHECK(layer(g, "fc") && layer(g, "fc")->op == NPU_OP_GEMM);
    CHECK_EQ_INT(npu_layer_int(layer(g, "fc"), "out", 0, -1), 10);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    /* conv1 1·16·32·32·3·9 = 442368, conv2 32·8·8·16·9 = 294912, fc 32·10 = 320 */
    CHECK_EQ_INT(npu_graph_macs(g), 737600);
    /* conv1 432+16, bn 32, conv2 4608, fc 320+10 */
    CHECK_EQ_INT(npu_graph_params(g), 5418);
    const int64_t out[] = {1, 10};
    CHECK(shape_is(&g->t[g->outputs[0]], 2, out));
    npu_graph_free(g);
}

TEST(pytorch_reshape_chain)
{
    npu_err err;
    npu_graph *g = load("reshape_chain.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* Shape/Gather/Unsqueeze/Concat and two Constants fold away: relu + reshape remain */
    CHECK_EQ_INT(g->nl, 2);
    const npu_layer *r = layer(g, "Reshape_7");
    CHECK(r && r->op == NPU_OP_RESHAPE);
    if (r) {
        CHECK_EQ_INT(npu_layer_int(r, "shape", 0, 0), 1); /* symbolic batch taken as 1 */
        CHECK_EQ_INT(npu_layer_int(r, "shape", 1, 0), -1);
    }
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y[] = {1, 48};
    CHECK(shape_is(&g->t[g->outputs[0]], 2, y));
    /* the folded shape says batch 1: another batch is an error naming the reshape, never a
     * [1, 4*48] tensor */
    CHECK(npu_graph_set_batch(g, 4, &err) != 0);
    CHECK_CONTAINS(err.msg, "Reshape_7");
    CHECK_CONTAINS(err.msg, "hard-codes batch 1");
    npu_graph_free(g);
    /* read with the batch, the symbolic batch is 4 before the chain folds: shape=4,-1 */
    g = npu_onnx_read_batch(path_of("reshape_chain.onnx"), false, 4, &err);
    CHECK(g != NULL);
    if (!g)
        return;
    r = layer(g, "Reshape_7");
    CHECK(r && npu_layer_int(r, "shape", 0, 0) == 4);
    CHECK_EQ_INT(npu_graph_set_batch(g, 4, &err), 0); /* already 4: nothing to change */
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y4[] = {4, 48};
    CHECK(shape_is(&g->t[g->outputs[0]], 2, y4));
    npu_graph_free(g);
}

TEST(fold_equal_where)
{
    npu_err err;
    npu_graph *g = load("fold_ops.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* Where(Equal([0,12], 0), Shape(r)[0:2], [0,12]) = [2,12]: relu + reshape remain */
    CHECK_EQ_INT(g->nl, 2);
    CHECK_EQ_INT(npu_layer_int(layer(g, "view"), "shape", 0, 0), 2);
    CHECK_EQ_INT(npu_layer_int(layer(g, "view"), "shape", 1, 0), 12);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y[] = {2, 12};
    CHECK(shape_is(&g->t[g->outputs[0]], 2, y));
    npu_graph_free(g);
}

TEST(gelu_from_erf)
{
    npu_err err;
    npu_graph *g = load_fused("gelu_erf.onnx", &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* matmul + two Div/Erf/Add/Mul/Mul chains, each one gelu layer named after its last node */
    CHECK_EQ_INT(g->nl, 3);
    CHECK(layer(g, "/act/Mul_1") && layer(g, "/act/Mul_1")->op == NPU_OP_GELU);
    CHECK(layer(g, "/act2/Mul") && layer(g, "/act2/Mul")->op == NPU_OP_GELU);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y[] = {1, 4, 16};
    CHECK(shape_is(&g->t[g->outputs[0]], 3, y));
    npu_graph_free(g);
}

/* Decomposed activations after convs fuse into them once prepared (tests/onnx/gen.py
 * act_patterns); the last SiLU stays two layers because its Sigmoid is a graph output. */
TEST(act_patterns)
{
    npu_err err;
    npu_graph *g = load("act_patterns.onnx", false, &err);
    CHECK(g && npu_graph_prepare(g, &err) == 0);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    static const struct {
        const char *conv;
        npu_act act;
    } want[] = {{"conv0", NPU_ACT_SILU},      {"conv1", NPU_ACT_HARDSWISH},
                {"conv2", NPU_ACT_HARDSWISH}, {"conv3", NPU_ACT_MISH},
                {"conv4", NPU_ACT_NONE},      {"conv5", NPU_ACT_NONE}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const npu_layer *c = layer(g, want[i].conv);
        CHECK(c && c->op == NPU_OP_CONV && c->act == want[i].act);
        if (c && c->act != want[i].act)
            printf("  %s: act %s\n", want[i].conv, npu_act_name(c->act));
    }
    /* conv4's Mul/Add by per-channel constants folded: bias, no layers left */
    CHECK(layer(g, "conv4") && (layer(g, "conv4")->flags & NPU_LF_BIAS));
    CHECK(!layer(g, "/m4/Mul") && !layer(g, "/m4/Add"));
    CHECK(layer(g, "/m5/act/Sigmoid") && layer(g, "/m5/act/Mul") &&
          layer(g, "/m5/act/Mul")->op == NPU_OP_MUL);
    CHECK_EQ_INT(g->nl, 8);
    npu_graph_free(g);
}

/* GELU's tanh form and LLaMA's RMSNorm (tests/onnx/gen.py norm_patterns). */
TEST(norm_patterns)
{
    npu_err err;
    npu_graph *g = load_fused("norm_patterns.onnx", &err);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(g->nl, 4);
    CHECK(layer(g, "/act/Mul_3") && layer(g, "/act/Mul_3")->op == NPU_OP_GELU);
    const npu_layer *n = layer(g, "/norm/Mul_1");
    CHECK(n && n->op == NPU_OP_RMSNORM);
    if (n) {
        CHECK_NEAR(npu_layer_float(n, "eps", 0), 1e-6, 1e-12);
        CHECK_EQ_INT(npu_layer_int(n, "axis", 0, 0), -1);
        CHECK_EQ_INT(npu_layer_int(n, "affine", 0, 0), 1);
    }
    /* 2·16·16 matmul weights, 16 RMSNorm weights */
    CHECK_EQ_INT(npu_graph_params(g), 2 * 256 + 16);
    npu_graph_free(g);
}

/* ResNet-18 as the PyTorch exporter writes it (export_params=False): torchvision's model has
 * 11,689,512 parameters; its MAC count 1.814 G is the figure fvcore and others publish. */
TEST(resnet18_export)
{
    npu_err err;
    npu_graph *g = load("resnet18.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_EQ_INT(g->ninputs, 1); /* the 102 weight inputs are weights, not activations */
    CHECK_EQ_INT(g->nl, 69);     /* 20 conv + 20 bn + 17 relu + 8 add + pool, gap, flatten, fc */
    const npu_layer *c = layer(g, "/layer2/layer2.0/downsample/downsample.0/Conv");
    CHECK(c && c->op == NPU_OP_CONV);
    if (c) {
        CHECK_EQ_INT(npu_layer_int(c, "out", 0, -1), 128);
        CHECK_EQ_INT(npu_layer_int(c, "k", 0, -1), 1);
        CHECK_EQ_INT(npu_layer_int(c, "s", 0, -1), 2);
    }
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    CHECK_EQ_INT(npu_graph_params(g), 11689512);
    CHECK_EQ_INT(npu_graph_macs(g), 1814073344);
    /* the exporter's generic name "main_graph" gives way to the file's (issue 11) */
    CHECK_STR(g->name, "resnet18");
    /* --batch 16: every MAC 16 times, the parameters once */
    CHECK_EQ_INT(npu_graph_set_batch(g, 16, &err), 0);
    CHECK_EQ_INT(npu_graph_macs(g), 16 * (int64_t)1814073344);
    CHECK_EQ_INT(npu_graph_params(g), 11689512);
    npu_graph_work w;
    npu_graph_work_of(g, &w);
    CHECK_EQ_INT(w.batch, 16);
    CHECK_EQ_INT(w.items, 16);
    CHECK_STR(w.unit, "image");
    const int64_t y[] = {16, 1000};
    CHECK(shape_is(&g->t[g->outputs[0]], 2, y));
    npu_graph_free(g);
}

TEST(legacy_broadcast)
{
    npu_err err;
    npu_graph *g = load("legacy6.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* bias [3] at axis 1 of [2,3,4,5] becomes a [3,1,1] constant; r [2,3] at axis 0 gets a
     * reshape layer to [2,3,1,1] */
    CHECK_EQ_INT(g->nl, 6);
    const npu_tensor *b = tensor(g, "bias");
    const int64_t bd[] = {3, 1, 1};
    CHECK(b && shape_is(b, 3, bd));
    CHECK(layer(g, "add2/broadcast") && layer(g, "add2/broadcast")->op == NPU_OP_RESHAPE);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y[] = {2, 60};
    CHECK(shape_is(&g->t[g->outputs[0]], 2, y));
    npu_graph_free(g);
}

TEST(layernorm_from_parts)
{
    npu_err err;
    npu_graph *g = load_fused("layernorm_decomposed.onnx", &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* two 9- and 7-node chains become layernorm layers named after their last node */
    CHECK_EQ_INT(g->nl, 4);
    const npu_layer *a = layer(g, "/ln1/Add_1"), *b = layer(g, "/ln2/Div");
    CHECK(a && a->op == NPU_OP_LAYERNORM);
    CHECK(b && b->op == NPU_OP_LAYERNORM);
    if (a && b) {
        CHECK_NEAR(npu_layer_float(a, "eps", 0), 1e-12, 1e-18);
        CHECK_EQ_INT(npu_layer_int(a, "affine", 0, 1), 1);
        CHECK_EQ_INT(npu_layer_int(b, "affine", 0, 1), 0);
    }
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    /* 2·16 affine parameters, 16·16 matmul weights */
    CHECK_EQ_INT(npu_graph_params(g), 32 + 256);
    const int64_t y[] = {1, 4, 16};
    CHECK(shape_is(&g->t[g->outputs[0]], 3, y));
    npu_graph_free(g);
}

TEST(export_params_false)
{
    npu_err err;
    npu_graph *g = load("noparams.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* weights listed as graph inputs do not become IR inputs */
    CHECK_EQ_INT(g->ninputs, 1);
    CHECK_STR(g->t[g->inputs[0]].name, "x");
    CHECK_EQ_INT(npu_layer_int(layer(g, "conv"), "out", 0, -1), 8);
    CHECK_EQ_INT(npu_layer_int(layer(g, "fc"), "out", 0, -1), 4);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    /* conv 8·8·8·3·9 = 13824; fc 512·4 = 2048 */
    CHECK_EQ_INT(npu_graph_macs(g), 15872);
    npu_graph_free(g);
}

TEST(unsupported_listed_once)
{
    npu_err err;
    npu_graph *g = load("unsupported.onnx", false, &err);
    CHECK(g == NULL);
    CHECK_EQ_INT(err.code, NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "unsupported.onnx");
    CHECK_CONTAINS(err.msg, "TopK x2");
    CHECK_CONTAINS(err.msg, "'topk_a'");
    CHECK_CONTAINS(err.msg, "'topk_b'");
    CHECK_CONTAINS(err.msg, "NonZero x1");
    npu_graph_free(g);
    /* allowed, but TopK's outputs have no value_info: an error naming the op and the output */
    g = load("unsupported.onnx", true, &err);
    CHECK(g == NULL);
    CHECK_EQ_INT(err.code, NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "node 0 'topk_a' (TopK)");
    CHECK_CONTAINS(err.msg, "'v1'");
    npu_graph_free(g);
}

TEST(host_layers)
{
    npu_err err;
    npu_graph *g = load("host.onnx", true, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    const npu_layer *t = layer(g, "topk");
    CHECK(t != NULL);
    if (t) {
        CHECK(t->flags & NPU_LF_HOST);
        CHECK_STR(t->src_op, "TopK");
        CHECK_EQ_INT(t->nout, 2);
        const int64_t s[] = {1, 3};
        CHECK(shape_is(&g->t[t->out[0]], 2, s));
        CHECK(shape_is(&g->t[t->out[1]], 2, s));
        CHECK_EQ_INT(g->t[t->out[1]].dtype, NPU_DT_INT64);
    }
    /* the shapes survive inference and the passes, and the host op never becomes a view */
    CHECK_EQ_INT(npu_graph_prepare(g, &err), 0);
    t = layer(g, "topk");
    CHECK(t != NULL);
    if (t) {
        const int64_t s[] = {1, 3};
        CHECK(shape_is(&g->t[t->out[0]], 2, s));
        CHECK(!(t->flags & NPU_LF_VIEW));
        CHECK_EQ_INT(g->t[t->out[1]].dtype, NPU_DT_INT64);
    }
    npu_graph_free(g);
}

TEST(qdq_weights_stay_const)
{
    npu_err err;
    npu_graph *g = load("qdq.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* quantize, dequantize, conv: the weight's DequantizeLinear folds into the constant */
    CHECK_EQ_INT(g->nl, 3);
    CHECK_STR(npu_layer_str(layer(g, "q"), "to", ""), "uint8");
    CHECK_STR(npu_layer_str(layer(g, "dq"), "to", ""), "fp32");
    CHECK_EQ_INT(npu_layer_int(layer(g, "conv"), "out", 0, -1), 4);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y[] = {1, 4, 4, 4};
    CHECK(shape_is(&g->t[g->outputs[0]], 4, y));
    npu_graph_free(g);
}

TEST(misc_ops)
{
    npu_err err;
    npu_graph *g = load("misc_ops.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    static const npu_op ops[] = {NPU_OP_RESIZE, NPU_OP_SLICE, NPU_OP_SPLIT, NPU_OP_CONCAT,
                                 NPU_OP_RELU6, NPU_OP_PAD, NPU_OP_TRANSPOSE, NPU_OP_REDUCE,
                                 NPU_OP_GEMM, NPU_OP_ADD}; /* MatMul by a [K, N] constant */
    CHECK_EQ_INT(g->nl, 10);
    for (int i = 0; i < g->nl && i < 10; i++)
        CHECK_EQ_INT(g->l[i].op, ops[i]);
    CHECK_EQ_INT(npu_layer_int(layer(g, "resize"), "size", 0, 0), 10);
    CHECK_EQ_INT(npu_layer_int(layer(g, "resize"), "size", 1, 0), 12);
    CHECK_EQ_INT(g->l[2].nout, 2);
    CHECK(tensor(g, "split:1") != NULL);
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    /* [1,8,5,6] → resize [1,8,10,12] → slice H 2:-2 [1,8,6,12] → split/concat → pad
     * [1,8,8,14] → transpose [1,8,14,8] → mean over 3 [1,8,14] → ·[14,5] + bias */
    const int64_t y[] = {1, 8, 5};
    CHECK(shape_is(&g->t[g->outputs[0]], 3, y));
    CHECK_EQ_INT(npu_graph_macs(g), 8 * 14 * 5);
    npu_graph_free(g);
}

TEST(shape_ops)
{
    npu_err err;
    npu_graph *g = load("shape_ops.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* each of DepthToSpace (DCR, CRD) and SpaceToDepth is reshape + transpose + reshape (the
     * ONNX documentation's definition); ConstantOfShape and Range become constants */
    CHECK_EQ_INT(g->nl, 11);
    static const char *const names[] = {"d2s_dcr", "s2d", "d2s_crd"};
    static const int64_t perms[3][6] = {{0, 3, 4, 1, 5, 2}, {0, 3, 5, 1, 2, 4}, {0, 1, 4, 2, 5, 3}};
    for (int k = 0; k < 3; k++) {
        const npu_layer *l = layer(g, names[k]);
        CHECK(l && l->op == NPU_OP_TRANSPOSE);
        for (int i = 0; l && i < 6; i++)
            CHECK_EQ_INT(npu_layer_int(l, "perm", i, -1), perms[k][i]);
    }
    CHECK(tensor(g, "c") && tensor(g, "r"));
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y[] = {1, 4, 8, 8};
    CHECK(shape_is(&g->t[g->outputs[0]], 4, y));
    npu_graph_free(g);
}

TEST(auto_pad)
{
    npu_err err;
    npu_graph *g = load("auto_pad.onnx", false, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    /* 8 wide, k3 s2 -> 4: one pixel of padding, at the end (SAME_UPPER); k2 s1 on 4 -> 4: one
     * at the start (SAME_LOWER); VALID: none. p= is top, left, bottom, right. */
    static const char *const names[] = {"conv_upper", "pool_lower", "conv_valid"};
    static const int64_t pads[3][4] = {{0, 0, 1, 1}, {1, 1, 0, 0}, {0, 0, 0, 0}};
    for (int k = 0; k < 3; k++) {
        const npu_layer *l = layer(g, names[k]);
        CHECK(l != NULL);
        for (int i = 0; l && i < 4; i++)
            CHECK_EQ_INT(npu_layer_int(l, "p", i, -1), pads[k][i]);
    }
    CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
    const int64_t y[] = {1, 4, 2, 2};
    CHECK(shape_is(&g->t[g->outputs[0]], 4, y));
    npu_graph_free(g);
}

TEST(error_messages)
{
    npu_err err = {0};
    CHECK(npu_onnx_read("/nonexistent/model.onnx", false, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EIO);
    CHECK_CONTAINS(err.msg, "/nonexistent/model.onnx");
    memset(&err, 0, sizeof err);
    CHECK(npu_onnx_read("/", false, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EIO);
    memset(&err, 0, sizeof err);
    CHECK(npu_onnx_read_mem("junk.onnx", "hello world", 11, false, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "junk.onnx");
    /* a 3-D convolution: names file, node, op and the field */
    const int64_t w5[] = {4, 2, 3, 3, 3}, x4[] = {1, 2, 8, 8};
    pbw m = conv_model(13, 5, w5, x4);
    memset(&err, 0, sizeof err);
    CHECK(npu_onnx_read_mem("vgg.onnx", m.b, m.n, false, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "vgg.onnx: node 0 'conv' (Conv): weight 'w' has 5 dims");
    free(m.b);
    /* an opset newer than the reader knows */
    const int64_t w4[] = {4, 2, 3, 3};
    m = conv_model(99, 4, w4, x4);
    memset(&err, 0, sizeof err);
    CHECK(npu_onnx_read_mem("new.onnx", m.b, m.n, false, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "opset 99");
    free(m.b);
    /* a negative dimension in a value_info is an error, not 1 (issue 16) */
    const int64_t xneg[] = {1, 2, -8, 8};
    m = conv_model(13, 4, w4, xneg);
    memset(&err, 0, sizeof err);
    CHECK(npu_onnx_read_mem("neg.onnx", m.b, m.n, false, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "neg.onnx");
    CHECK_CONTAINS(err.msg, "value 'x': dimension 2 is negative (-8");
    free(m.b);
    /* the same model at opset 13 imports: out=4, k=3 from the initializer's dims */
    m = conv_model(13, 4, w4, x4);
    memset(&err, 0, sizeof err);
    npu_graph *g = npu_onnx_read_mem("ok.onnx", m.b, m.n, false, &err);
    CHECK(g != NULL);
    if (g) {
        CHECK_EQ_INT(npu_layer_int(layer(g, "conv"), "out", 0, -1), 4);
        CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
        const int64_t y[] = {1, 4, 6, 6};
        CHECK(shape_is(&g->t[g->outputs[0]], 4, y));
    }
    npu_graph_free(g);
    free(m.b);
}

/* LRN (AlexNet, GoogLeNet): size 5, alpha 1e-4 (float attribute), beta and bias at defaults. */
TEST(lrn_import)
{
    pbw m = {0}, g = {0}, nd = {0}, at = {0}, af = {0}, op = {0};
    pw_str(&nd, 1, "x");
    pw_str(&nd, 2, "y");
    pw_str(&nd, 3, "norm1");
    pw_str(&nd, 4, "LRN");
    pw_str(&at, 1, "size");
    pw_int(&at, 3, 5);
    pw_int(&at, 20, 2); /* INT */
    pw_msg(&nd, 5, &at);
    float alpha = 1e-4f;
    uint8_t fb[4];
    memcpy(fb, &alpha, 4); /* fixed32, little-endian host assumed as in the reader */
    pw_str(&af, 1, "alpha");
    pw_varint(&af, (2 << 3) | 5);
    pw_raw(&af, fb, 4);
    pw_int(&af, 20, 1); /* FLOAT */
    pw_msg(&nd, 5, &af);
    pw_msg(&g, 1, &nd);
    pw_str(&g, 2, "lrn");
    const int64_t xd[] = {1, 96, 55, 55};
    pw_vi(&g, 11, "x", 4, xd);
    pw_vi(&g, 12, "y", 0, NULL);
    pw_int(&m, 1, 8);
    pw_msg(&m, 7, &g);
    pw_int(&op, 2, 13);
    pw_msg(&m, 8, &op);
    npu_err err = {0};
    npu_graph *gr = npu_onnx_read_mem("lrn.onnx", m.b, m.n, false, &err);
    CHECK(gr != NULL);
    if (!gr)
        printf("  %s\n", err.msg);
    const npu_layer *l = gr ? layer(gr, "norm1") : NULL;
    CHECK(l && l->op == NPU_OP_LRN);
    if (l) {
        CHECK_EQ_INT(npu_layer_int(l, "size", 0, -1), 5);
        CHECK(npu_layer_float(l, "alpha", 0) > 0.99e-4 && npu_layer_float(l, "alpha", 0) < 1.01e-4);
        CHECK(npu_layer_float(l, "beta", 0) == 0.75);
        CHECK(npu_layer_float(l, "bias", 0) == 1.0);
    }
    CHECK(gr && npu_graph_infer(gr, &err) == 0);
    CHECK(gr && shape_is(&gr->t[gr->outputs[0]], 4, xd));
    npu_graph_free(gr);
    free(m.b);
}

/* Every truncation and many random byte changes of the test models: an error or a graph, never
 * a crash (ASan/UBSan watch the reads), and an error always has a message. */
static void mangle(const char *name)
{
    char *data;
    size_t len;
    npu_err err = {0};
    if (npu_read_file(path_of(name), &data, &len, &err)) {
        FAILF("%s", err.msg);
        return;
    }
    uint8_t *buf = malloc(len ? len : 1);
    int ok = 0, bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(buf, data, cut);
        memset(&err, 0, sizeof err);
        npu_graph *g = npu_onnx_read_mem(name, buf, cut, true, &err);
        if (g) {
            ok++;
            npu_graph_infer(g, &err);
        } else {
            bad++;
            if (!err.code || !err.msg[0])
                FAILF("truncation at %zu: failure without a message", cut);
        }
        npu_graph_free(g);
    }
    uint32_t seed = 12345;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, data, len);
        int flips = 1 + it % 3;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1664525u + 1013904223u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1664525u + 1013904223u;
            buf[pos] = (uint8_t)(it & 1 ? seed >> 24 : buf[pos] ^ (1u << (seed >> 29)));
        }
        memset(&err, 0, sizeof err);
        npu_graph *g = npu_onnx_read_mem(name, buf, len, it & 2, &err);
        if (g)
            npu_graph_infer(g, &err);
        else if (!err.code || !err.msg[0])
            FAILF("mutation %d: failure without a message", it);
        npu_graph_free(g);
    }
    CHECK(bad > 0);
    free(buf);
    free(data);
}

TEST(malformed_never_crash)
{
    mangle("tiny_cnn.onnx");
    mangle("reshape_chain.onnx");
    mangle("misc_ops.onnx");
    mangle("host.onnx");
    mangle("fold_ops.onnx");
    mangle("gelu_erf.onnx");
    mangle("legacy6.onnx");
    mangle("layernorm_decomposed.onnx");
    mangle("act_patterns.onnx");
    mangle("norm_patterns.onnx");
    mangle("shape_ops.onnx");
    mangle("auto_pad.onnx");
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 128 MB weight is never read: the peak resident set grows by far less than that. */
TEST(large_weights_not_touched)
{
    const int64_t wd[] = {256, 512, 16, 16}, xd[] = {1, 512, 16, 16};
    size_t raw = (size_t)256 * 512 * 16 * 16 * 4; /* 128 MiB */
    pbw m = {0}, g = {0}, nd = {0}, t = {0}, op = {0};
    pw_str(&nd, 1, "x");
    pw_str(&nd, 1, "w");
    pw_str(&nd, 2, "y");
    pw_str(&nd, 3, "big_conv");
    pw_str(&nd, 4, "Conv");
    pw_msg(&g, 1, &nd);
    pw_vi(&g, 11, "x", 4, xd);
    pw_vi(&g, 12, "y", 0, NULL);
    for (int i = 0; i < 4; i++)
        pw_int(&t, 1, wd[i]);
    pw_int(&t, 2, 1);
    pw_str(&t, 8, "w");
    pw_varint(&t, 9 << 3 | 2); /* raw_data header; the bytes follow in the file */
    pw_varint(&t, raw);
    char path[] = "/tmp/npusim_onnx_big_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "wb");
    /* ModelProto: opset, then graph = [nodes, vi..., initializer header + raw bytes] */
    pw_int(&op, 2, 13);
    pw_msg(&m, 8, &op);
    size_t tlen = t.n + raw;
    pbw gh = {0};
    pw_raw(&gh, g.b, g.n);
    pw_varint(&gh, 5 << 3 | 2);
    pw_varint(&gh, tlen);
    pw_varint(&m, 7 << 3 | 2);
    pw_varint(&m, gh.n + tlen);
    fwrite(m.b, 1, m.n, f);
    fwrite(gh.b, 1, gh.n, f);
    fwrite(t.b, 1, t.n, f);
    static uint8_t zero[1 << 16];
    for (size_t done = 0; done < raw; done += sizeof zero)
        fwrite(zero, 1, sizeof zero, f);
    fclose(f);
    long before = max_rss_kb();
    npu_err err = {0};
    npu_graph *gr = npu_onnx_read(path, false, &err);
    long after = max_rss_kb();
    CHECK(gr != NULL);
    if (!gr)
        printf("  %s\n", err.msg);
    else {
        CHECK_EQ_INT(npu_layer_int(layer(gr, "big_conv"), "out", 0, -1), 256);
        CHECK_EQ_INT(npu_layer_int(layer(gr, "big_conv"), "k", 0, -1), 16);
    }
    CHECK(after - before < 16 * 1024);
    printf("  128 MiB weight file: peak RSS grew by %ld kB\n", after - before);
    npu_graph_free(gr);
    unlink(path);
    free(m.b);
    free(g.b);
    free(gh.b);
    free(t.b);
    free(nd.b);
}

int main(void)
{
    RUN(large_weights_not_touched); /* first: the peak RSS is not yet raised by other tests */
    RUN(pb_reader);
    RUN(tiny_cnn);
    RUN(act_patterns);
    RUN(norm_patterns);
    RUN(pytorch_reshape_chain);
    RUN(fold_equal_where);
    RUN(gelu_from_erf);
    RUN(resnet18_export);
    RUN(legacy_broadcast);
    RUN(layernorm_from_parts);
    RUN(export_params_false);
    RUN(unsupported_listed_once);
    RUN(host_layers);
    RUN(qdq_weights_stay_const);
    RUN(misc_ops);
    RUN(shape_ops);
    RUN(auto_pad);
    RUN(error_messages);
    RUN(lrn_import);
    RUN(malformed_never_crash);
    return TEST_REPORT();
}
