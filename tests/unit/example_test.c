/* example_test.c — the teaching model `example`: its tiling, its fold formula, its interrupt per
 * layer, and its refusal of damaged programs. (Conformance covers the general invariants.) */
#include <stdlib.h>
#include <string.h>

#include "../../models/example/example.h"
#include "front/front.h"
#include "npusim_int.h"
#include "test.h"
#include "test_graph.h"

/* gemm 1x64 -> 64 on the default 16x16 array: K = 64 on rows, N = 64 on columns, 4 x 4 = 16
 * folds of one row each: 16 x (2*16 + 16 + 1 - 2) = 752 array cycles; one interrupt. */
TEST(gemm_folds)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, "example", &err);
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x64 int8\ngemm fc x out=64\noutput fc\n");
    CHECK(a && g);
    npu_program *p = a && g ? npu_compile(ctx, a, g, &err) : NULL;
    CHECK(p && p->n == 1);
    const npu_example_tile *t = p ? npu_prog_get(p, 0, NPU_EXAMPLE_OP_TILE, sizeof *t) : NULL;
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->count, 1);
        CHECK_EQ_INT(t->folds, 16);
        CHECK_EQ_INT(t->t, 1);
        CHECK_EQ_INT(t->rd_in, 64);
        CHECK_EQ_INT(t->rd_w, 64 * 64); /* the weights (no bias), resident: read once */
        CHECK_EQ_INT(t->wr, 64);
    }
    npu_result *r = p ? npu_exec(ctx, p, NULL, &err) : NULL;
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->layers[0].compute_cycles, 752);
        CHECK_EQ_INT(r->layers[0].irq_count, 1);
        CHECK_STR(r->layers[0].engine, "array");
    }
    npu_result_free(r);
    npu_prog_free(p);
    npu_graph_free(g);
    npu_arch_free(a);
    npu_ctx_free(ctx);
}

/* A conv whose input and output do not fit a buffer half is cut into row tiles, and weights
 * larger than the weight buffer are read again for every tile. */
TEST(row_tiles_and_weight_reload)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, "example", &err);
    CHECK(a && npu_arch_set(a, "abuf_kb", "8", &err) == 0 &&
          npu_arch_set(a, "wbuf_kb", "1", &err) == 0 && npu_arch_set(a, "rows", "8", &err) == 0 &&
          npu_arch_set(a, "cols", "8", &err) == 0);
    /* 32x32x32 in and out, int8: 64 B of buffer per output row, 4 KiB halves: 64 rows a tile */
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x32x32x32 int8\n"
                            "conv c x out=32 k=3 s=1 p=1\noutput c\n");
    npu_program *p = a && g ? npu_compile(ctx, a, g, &err) : NULL;
    CHECK(p && p->n == 1);
    const npu_example_tile *t = p ? npu_prog_get(p, 0, NPU_EXAMPLE_OP_TILE, sizeof *t) : NULL;
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->count, 16); /* 1024 output pixels / 64 */
        CHECK_EQ_INT(t->t, 64);
        CHECK_EQ_INT(t->folds, 36 * 4); /* K = 288 on 8 rows, N = 32 on 8 columns */
        CHECK_EQ_INT(t->rd_w, 32 * 288); /* 9216 B > 1 KiB: every tile reads them */
    }
    npu_prog_free(p);
    npu_graph_free(g);
    npu_arch_free(a);
    npu_ctx_free(ctx);
}

/* A damaged program (a huge tile count) is an error naming the instruction, not a hang. */
TEST(damaged_program)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_program *p = npu_prog_new("example", "example", "t");
    npu_prog_layer l = {.name = "fc", .op = "gemm", .dtype = NPU_DT_INT8, .engine = "array"};
    npu_example_tile t = {.count = (int64_t)1 << 30, .g = 1, .t = 1, .folds = 1};
    CHECK(p && npu_prog_add_layer(p, &l) == 0 &&
          npu_prog_emit(p, NPU_EXAMPLE_OP_TILE, NPU_EXAMPLE_UNIT_ARRAY, 0, &t, sizeof t) == 0);
    npu_result *r = p ? npu_exec(ctx, p, NULL, &err) : NULL;
    CHECK(r == NULL);
    CHECK_EQ_INT(err.code, NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "instruction 0");
    npu_result_free(r);
    npu_prog_free(p);
    npu_ctx_free(ctx);
}

/* A valid but huge layer (run_fuzz: a conv of 10^8 output channels, whose program grew past
 * 2 GB before its run) is refused when it is lowered, with the figures; and the budget of
 * queued jobs that stops a model queueing from a window hook (tpu_v1) says so, not "out of
 * memory". */
TEST(huge_layer_refused)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x3x224x224 int8\n"
                            "conv c x out=100000000 k=3 p=1\noutput c\n");
    npu_arch *a = npu_arch_open(ctx, "example_edge", &err);
    npu_result *r = a && g ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(a && g && r == NULL);
    CHECK_EQ_INT(err.code, NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "1024 x 50176 tiles exceed the simulator's limit");
    npu_arch_free(a);
    npu_err_clear(&err);
    a = npu_arch_open(ctx, "tpu_v1", &err);
    npu_ctx_set_job_budget(ctx, (size_t)1 << 20);
    r = a && g ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(a && r == NULL);
    CHECK_CONTAINS(err.msg, "allowed for queued jobs");
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
}

/* Byte counts whose products would overflow int64 are refused at lowering with the figures
 * (run_fuzz's third run: UBSan at in_sub * (r0 + tn) for an ONNX MatMul of 3e10 bytes per
 * sub-problem, tests/fuzz/crashes/run/example_byte_overflow.onnx): here a gemm of 2^31 - 1
 * rows of 16 int8, 34 GB of input, which the tile count alone would not refuse (one row
 * needs 32 B of buffer). */
TEST(byte_overflow_refused)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 2147483647x16 int8\n"
                            "gemm fc x out=16\noutput fc\n");
    npu_arch *a = npu_arch_open(ctx, "example_edge", &err);
    npu_result *r = a && g ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(a && g && r == NULL);
    CHECK_EQ_INT(err.code, NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "'fc': 34359738352 B in and 34359738352 B out per sub-problem over "
                            "2147483647 rows: too large to simulate");
    npu_result_free(r);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
}

int main(void)
{
    RUN(gemm_folds);
    RUN(row_tiles_and_weight_reload);
    RUN(damaged_program);
    RUN(huge_layer_refused);
    RUN(byte_overflow_refused);
    return TEST_REPORT();
}
