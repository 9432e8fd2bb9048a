/* footprint_test.c — the deployment footprint (sim/core/footprint.c): lifetimes, the greedy
 * by size arena, its invariant (also over the whole zoo on every model family), the stored
 * layouts of the rknpu and davinci hooks, and fits-or-not through a run's totals. */
#include <stdlib.h>

#include "../models/model.h"
#include "core/footprint.h"
#include "npusim_int.h"
#include "test.h"
#include "test_graph.h"

/* a -> b -> c -> d (each 1x16x8x8 int8 = 1024 B): at most two live at once, so two slots */
TEST(chain_reuses)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x16x8x8 int8\n"
                            "relu a x\nrelu b a\nrelu c b\nrelu d c\n");
    if (!g)
        return;
    npu_fp fp;
    npu_err err = {0};
    CHECK(npu_fp_compute(g, NULL, 100, &fp, &err) == 0);
    CHECK_EQ_INT(fp.io_bytes, 2048);       /* x and the output d */
    CHECK_EQ_INT(fp.internal_sum, 3072);   /* a, b, c */
    CHECK_EQ_INT(fp.live_peak, 2048);      /* b is written while a is read */
    CHECK_EQ_INT(fp.internal_bytes, 2048); /* c takes a's place */
    CHECK_EQ_INT(fp.weight_bytes, 0);
    CHECK_EQ_INT(fp.task_bytes, 100);
    CHECK_EQ_INT(fp.total_bytes, 2048 + 2048 + 100);
    CHECK_EQ_INT(fp.live[0], 1024); /* a alone: x is io */
    CHECK_EQ_INT(fp.nlive[1], 2);
    CHECK(npu_fp_check(g, &fp, &err) == 0);
    /* the check can fail: put b on a while both live */
    for (int i = 0; i < fp.nbuf; i++)
        fp.buf[i].off = 0;
    CHECK(npu_fp_check(g, &fp, &err) != 0);
    npu_fp_free(&fp);
    npu_graph_free(g);
}

/* a residual: the skip tensor lives across the branch, so three slots of different sizes */
TEST(residual_lifetime)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x16x8x8 int8\n"
                            "relu a x\nconv b a out=32 k=1\nconv c b out=16 k=1\nadd d a c\n"
                            "relu e d\n");
    if (!g)
        return;
    npu_fp fp;
    npu_err err = {0};
    CHECK(npu_fp_compute(g, NULL, 0, &fp, &err) == 0);
    /* at c: a (1024), b (2048), c (1024) live */
    CHECK_EQ_INT(fp.live_peak, 4096);
    CHECK(fp.internal_bytes >= fp.live_peak);
    CHECK(npu_fp_check(g, &fp, &err) == 0);
    /* dense weights: b 16*32 + c 32*16 int8 (no bias) */
    CHECK_EQ_INT(fp.weight_bytes, 16 * 32 + 32 * 16);
    npu_fp_free(&fp);
    npu_graph_free(g);
}

/* The padded layouts: 3 input channels of a conv become one C2 block, 20 kernels a group of 32 */
TEST(layouts)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x3x8x8 int8\n"
                            "conv a x out=20 k=3 p=1\nconv dw a out=20 k=3 p=1 g=20\n"
                            "gemm f dw out=10\n");
    if (!g)
        return;
    npu_fp_layout rk = {.cblock_bytes = 16, .wk_block_bits = 256, .gemm_k_block = 32,
                        .bias_bytes = 4};
    npu_fp_layout dv = {.cblock_bytes = 32, .wk_block = 16, .bias_bytes = 4};
    int a = npu_graph_find_layer(g, "a"), dw = npu_graph_find_layer(g, "dw");
    int f = npu_graph_find_layer(g, "f");
    CHECK_EQ_INT(npu_fp_layout_weight(&rk, g, a), 32 * 16 * 9);  /* K 20->32, C 3->16 */
    CHECK_EQ_INT(npu_fp_layout_weight(&dv, g, a), 32 * 32 * 9);  /* N 20->32, C0 32 (int8) */
    CHECK_EQ_INT(npu_fp_layout_weight(&rk, g, dw), 32 * 9);      /* one plane per channel */
    /* gemm K = 20*8*8 = 1280 (a multiple of 32), N 10 -> 32 / 16 */
    CHECK_EQ_INT(npu_fp_layout_weight(&rk, g, f), 1280 * 32);
    CHECK_EQ_INT(npu_fp_layout_weight(&dv, g, f), 1280 * 16);
    /* activations: 20 channels in NC1HWC2 (16) -> 32; the input stays dense */
    CHECK_EQ_INT(npu_fp_layout_tensor(&rk, g, npu_graph_find_tensor(g, "a")), 32 * 64);
    CHECK_EQ_INT(npu_fp_layout_tensor(&rk, g, npu_graph_find_tensor(g, "x")), 3 * 64);
    npu_graph_free(g);
}

/* The placement as footprint.c first wrote it, a walk over every placed buffer per buffer:
 * the indexed placement must give every buffer the same offset. Returns the buffers whose
 * offset differs (fp->buf is in placement order). */
static int ref_mismatches(const npu_fp *fp, int64_t align)
{
    int nb = fp->nbuf, bad = 0;
    int64_t *off = malloc(sizeof *off * ((size_t)nb + 1));
    int *ov = malloc(sizeof *ov * ((size_t)nb + 1));
    if (!off || !ov) {
        free(off), free(ov);
        return -1;
    }
    for (int i = 0; i < nb; i++) {
        const npu_fp_buf *b = &fp->buf[i];
        int n = 0;
        for (int j = 0; j < i; j++)
            if (fp->buf[j].first <= b->last && b->first <= fp->buf[j].last) {
                int k = n++; /* stable insertion by offset */
                for (; k > 0 && off[ov[k - 1]] > off[j]; k--)
                    ov[k] = ov[k - 1];
                ov[k] = j;
            }
        int64_t best = -1, best_gap = INT64_MAX, at = 0;
        for (int j = 0; j < n; j++) {
            int64_t gap = off[ov[j]] - at;
            if (gap >= b->size && gap < best_gap) {
                best = at;
                best_gap = gap;
            }
            int64_t end = npu_fp_round_up(off[ov[j]] + fp->buf[ov[j]].size, align);
            if (end > at)
                at = end;
        }
        off[i] = best >= 0 ? best : at;
        bad += off[i] != b->off;
    }
    free(off), free(ov);
    return bad;
}

/* Every zoo network on every model family: reuse never lets two live tensors overlap, and the
 * indexed placement gives the offsets of the walk over all placed buffers. */
TEST(zoo_invariant)
{
    static const char *const archs[] = {"rk3588", "ascend310", "nv_small", "tpu_v1",
                                        "example_edge", NULL};
    npu_ctx *ctx = npu_ctx_new();
    int checked = 0;
    for (int ai = 0; archs[ai]; ai++) {
        npu_err err = {0};
        npu_arch *arch = npu_arch_open(ctx, archs[ai], &err);
        if (!arch) {
            FAILF("%s: %s", archs[ai], err.msg);
            continue;
        }
        npu_model m;
        const npu_model_ops *ops = npu_model_find(npu_arch_model(arch), &err);
        if (!ops || npu_model_open(&m, ops, npu_arch_params(arch), &err)) {
            FAILF("%s: %s", archs[ai], err.msg);
            npu_arch_free(arch);
            continue;
        }
        npu_fp_hooks h;
        npu_model_fp_hooks(&m, &h);
        for (const char *const *z = npu_zoo_names(); *z; z++) {
            if (strstr(*z, "7b") || strstr(*z, "3b") || strstr(*z, "phi3") ||
                strstr(*z, "2b_"))
                continue; /* the big LLMs repeat the 0.5-1.5B structures, 10x the time */
            npu_graph *g = npu_load_graph(ctx, *z, NULL, &err);
            if (!g) {
                FAILF("%s: %s", *z, err.msg);
                continue;
            }
            npu_fp fp;
            if (npu_fp_compute(g, &h, 0, &fp, &err) || npu_fp_check(g, &fp, &err))
                FAILF("%s on %s: %s", *z, archs[ai], err.msg);
            else
                checked++;
            int bad = ref_mismatches(&fp, h.align > 0 ? h.align : 64);
            if (bad != 0)
                FAILF("%s on %s: %d offsets differ from the walk's", *z, archs[ai], bad);
            CHECK(fp.internal_bytes <= fp.internal_sum);
            npu_fp_free(&fp);
            npu_graph_free(g);
        }
        npu_model_close(&m);
        npu_arch_free(arch);
    }
    CHECK(checked > 100);
    npu_ctx_free(ctx);
}

static npu_result *run(npu_ctx *ctx, const char *arch, const char *net, const char *set)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, arch, &err);
    npu_graph *g = a ? npu_load_graph(ctx, net, NULL, &err) : NULL;
    if (a && set && npu_arch_set_kv(a, set, &err)) {
        npu_graph_free(g);
        g = NULL;
    }
    npu_result *r = g ? npu_run(ctx, a, g, NULL, &err) : NULL;
    if (!r)
        FAILF("%s %s: %s", arch, net, err.msg);
    npu_graph_free(g);
    npu_arch_free(a);
    return r;
}

/* Fits or not: an RV1106 (146 MiB left to the model) cannot hold a 1.5B-parameter LLM, holds
 * a ResNet-50; without a capacity the answer is "unknown". */
TEST(fits)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_result *r = run(ctx, "rv1106", "qwen2_5_1_5b_decode", NULL);
    if (r) {
        CHECK_EQ_INT(r->total.fits, 0);
        CHECK_EQ_INT(r->total.dram_usable_bytes, 146ll << 20);
        CHECK(r->total.total_weight_size > 1500000000ll);
        CHECK_EQ_INT(r->total.footprint_bytes,
                     r->total.total_weight_size + r->total.total_internal_size +
                         r->total.io_size + r->total.task_size);
        npu_result_free(r);
    }
    r = run(ctx, "rv1106", "resnet50", NULL);
    if (r) {
        CHECK_EQ_INT(r->total.fits, 1);
        int64_t live = 0;
        for (int i = 0; i < r->nlayers; i++)
            live = r->layers[i].live_bytes > live ? r->layers[i].live_bytes : live;
        CHECK(live > 0 && live <= r->total.total_internal_size);
        npu_result_free(r);
    }
    r = run(ctx, "rv1106", "resnet50", "dram.capacity_mb=0");
    if (r) {
        CHECK_EQ_INT(r->total.fits, -1);
        npu_result_free(r);
    }
    r = run(ctx, "rv1106", "resnet50", "dram.os_mb=230"); /* 26 MiB left: ResNet-50 is 27 */
    if (r) {
        CHECK_EQ_INT(r->total.fits, 0);
        npu_result_free(r);
    }
    npu_ctx_free(ctx);
}

/* The hand-derived checks of docs/deployment.md (docs/examples/tinycnn.npg), one per family. */
TEST(docs_hand_derived)
{
    static const struct {
        const char *arch, *want[4];
    } cases[] = {
        {"rk3588", {"\"total_weight_size\": 25512,", "\"total_internal_size\": 24576,",
                    "\"io_size\": 3082,", "\"fits\": 1,"}},
        {"ascend310", {"\"total_weight_size\": 48552,", "\"task_size\": 25224,",
                       "\"live_peak\": 49152,", "\"fits\": 1,"}},
        {"nv_small", {"\"total_weight_size\": 20042,", "\"total_internal_size\": 24576,",
                      "\"internal_no_reuse\": 24640,", "\"fits\": -1,"}},
        {"tpu_v1", {"\"total_weight_size\": 20042,", "\"total_internal_size\": 24576,",
                    "\"io_size\": 3082,", "\"fits\": -1,"}},
    };
    npu_ctx *ctx = npu_ctx_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        npu_err err = {0};
        npu_arch *a = npu_arch_open(ctx, cases[i].arch, &err);
        npu_graph *g = a ? npu_load_graph(ctx, "docs/examples/tinycnn.npg", NULL, &err) : NULL;
        npu_strbuf sb;
        npu_sb_init(&sb);
        if (!g || npu_footprint_report(ctx, a, g, NPU_FMT_JSON, &sb, &err))
            FAILF("%s: %s", cases[i].arch, err.msg);
        else
            for (int k = 0; k < 4; k++)
                if (!strstr(sb.s, cases[i].want[k]))
                    FAILF("%s: no %s in %s", cases[i].arch, cases[i].want[k], sb.s);
        npu_sb_free(&sb);
        npu_graph_free(g);
        npu_arch_free(a);
    }
    npu_ctx_free(ctx);
}

int main(void)
{
    RUN(chain_reuses);
    RUN(residual_lifetime);
    RUN(layouts);
    RUN(zoo_invariant);
    RUN(fits);
    RUN(docs_hand_derived);
    return TEST_REPORT();
}
