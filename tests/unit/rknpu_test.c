/* rknpu_test.c — the rknpu model: published figures with the tolerances, and the
 * mechanisms pinned to numbers computed by hand from the documented rules (models/rknpu/lower.c,
 * docs/models/rknpu.md).
 *
 * Published figures (research/rknpu.md): rknn_model_zoo v2.3.2 RK3588 single core INT8
 * mobilenetv2 450.7 fps, resnet50 110.1 fps (±15%); RK3566 180.7 / 37.9 fps (±20%); RKLLM
 * v1.3.0 Qwen2-0.5B w8a8 decode 41.58 tokens/s (±20%). MobileNetV1 core-mask times
 * 2.72/2.21/1.53 ms are NOT met (see docs/models/rknpu.md): the test pins the ordering and the
 * current deviation band so that a change is noticed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../isa/rknpu.h"
#include "core/graph.h"
#include "front/front.h"
#include "npusim_int.h"
#include "test.h"
#include "test_graph.h"
#include "unit/windows.h"
#include "unit/joblimit.h"

static npu_ctx *ctx;

static npu_arch *arch(const char *name, const char *const *sets)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, name, &err);
    for (int i = 0; a && sets && sets[i]; i++)
        if (npu_arch_set_kv(a, sets[i], &err)) {
            npu_arch_free(a);
            a = NULL;
        }
    if (!a)
        FAILF("arch %s: %s", name, err.msg);
    return a;
}

/* Total time in µs of `net` (zoo name) on `name` with settings; -1 on error. */
static double run_us(const char *name, const char *net, const char *zoo_args,
                     const char *const *sets, npu_result **keep)
{
    npu_err err = {0};
    npu_load_opts o = {.zoo_args = zoo_args};
    npu_graph *g = npu_load_graph(ctx, net, zoo_args ? &o : NULL, &err);
    npu_arch *a = g ? arch(name, sets) : NULL;
    npu_result *r = a ? npu_run(ctx, a, g, NULL, &err) : NULL;
    double us = r ? r->total.time_us : -1;
    if (!r)
        FAILF("%s on %s: %s", net, name, err.msg);
    if (keep)
        *keep = r;
    else
        npu_result_free(r);
    npu_arch_free(a);
    npu_graph_free(g);
    return us;
}

static void within(const char *what, double got, double want, double tol)
{
    double e = got / want - 1;
    printf("  %-40s %9.1f vs published %9.1f (%+.1f%%, tolerance %.0f%%)\n", what, got, want,
           100 * e, 100 * tol);
    if (!(fabs(e) <= tol))
        FAILF("%s: %.1f outside %.0f%% of %.1f", what, got, 100 * tol, want);
}

TEST(rk3588_zoo_single_core)
{
    within("rk3588 mobilenet_v2 fps", 1e6 / run_us("rk3588", "mobilenet_v2", NULL, NULL, NULL),
           450.7, 0.15);
    /* issue #5's 15 % again: ResNet-50 was +17.5 % until the weight-pass minimum (pass_cycles,
     * docs/models/rknpu.md §3) charged its 7x7 and 14x14 layers */
    within("rk3588 resnet50 fps", 1e6 / run_us("rk3588", "resnet50", NULL, NULL, NULL), 110.1,
           0.15);
}

TEST(rk3566_zoo)
{
    within("rk3566 mobilenet_v2 fps", 1e6 / run_us("rk3566", "mobilenet_v2", NULL, NULL, NULL),
           180.7, 0.20);
    within("rk3566 resnet50 fps", 1e6 / run_us("rk3566", "resnet50", NULL, NULL, NULL), 37.9, 0.20);
}

TEST(qwen2_decode_rkllm)
{
    /* RKLLM benchmark: seqlen 128, 64 new tokens: the KV cache holds 128..192 tokens */
    const char *sets[] = {"runtime=rkllm", "dtype=int8", "core_mask=0_1_2", NULL};
    double us = run_us("rk3588", "qwen2_0_5b_decode", "kv=160", sets, NULL);
    within("rk3588 qwen2-0.5b w8a8 decode tok/s", 1e6 / us, 41.58, 0.20);
    /* RK3576 and RK3562 under RKLLM: w4a16 moves half the weight bytes of w8a8, so a decode
     * step (weight streaming) is faster although its MACs run at the fp16 rate; RK3576's
     * figures (v1.3.0): 21.73 tok/s w8a8 within 10 % */
    const char *w8[] = {"runtime=rkllm", "dtype=w8a8", "core_mask=0_1", NULL},
               *w4[] = {"runtime=rkllm", "dtype=w4a16", "core_mask=0_1", NULL},
               *s8[] = {"runtime=rkllm", "dtype=w8a8", NULL},
               *s4[] = {"runtime=rkllm", "dtype=w4a16", NULL};
    double t8 = run_us("rk3576", "qwen2_0_5b_decode", "kv=160", w8, NULL);
    within("rk3576 qwen2-0.5b w8a8 decode tok/s", 1e6 / t8, 21.73, 0.10);
    CHECK(run_us("rk3576", "qwen2_0_5b_decode", "kv=160", w4, NULL) < 0.8 * t8);
    CHECK(run_us("rk3562", "qwen2_0_5b_decode", "kv=160", s4, NULL) <
          0.8 * run_us("rk3562", "qwen2_0_5b_decode", "kv=160", s8, NULL));
}

TEST(qwen2_prefill_rkllm)
{
    /* time to first token: rknn-llm v1.3.0 (128-token prompt) and v1.2.0 (64 tokens) */
    const char *sets[] = {"runtime=rkllm", "dtype=int8", "core_mask=0_1_2", NULL};
    within("rk3588 qwen2-0.5b w8a8 TTFT 128 tokens, ms",
           run_us("rk3588", "qwen2_0_5b_prefill", "tokens=128", sets, NULL) / 1e3, 145.9, 0.20);
    within("rk3588 qwen2-0.5b w8a8 TTFT 64 tokens, ms",
           run_us("rk3588", "qwen2_0_5b_prefill", "tokens=64", sets, NULL) / 1e3, 79, 0.20);
    /* RK3576 (v1.3.0): w8a8 and w4a16 TTFT equal on silicon; both run fp16 activations there
     * (rkllm_adtype=fp16, docs/models/rknpu.md §12) */
    const char *w8[] = {"runtime=rkllm", "dtype=w8a8", "core_mask=0_1", NULL},
               *w4[] = {"runtime=rkllm", "dtype=w4a16", "core_mask=0_1", NULL};
    within("rk3576 qwen2-0.5b w8a8 TTFT 128 tokens, ms",
           run_us("rk3576", "qwen2_0_5b_prefill", "tokens=128", w8, NULL) / 1e3, 344.27, 0.10);
    within("rk3576 qwen2-0.5b w4a16 TTFT 128 tokens, ms",
           run_us("rk3576", "qwen2_0_5b_prefill", "tokens=128", w4, NULL) / 1e3, 342.37, 0.10);
}

TEST(mobilenet_v1_core_masks)
{
    const char *s1[] = {"core_mask=0", NULL}, *s2[] = {"core_mask=0_1", NULL},
               *s3[] = {"core_mask=0_1_2", NULL};
    double t1 = run_us("rk3588", "mobilenet_v1", NULL, s1, NULL);
    double t2 = run_us("rk3588", "mobilenet_v1", NULL, s2, NULL);
    double t3 = run_us("rk3588", "mobilenet_v1", NULL, s3, NULL);
    printf("  mobilenet_v1 1/2/3 cores: %.0f / %.0f / %.0f us (published 2720 / 2210 / 1530)\n", t1,
           t2, t3);
    CHECK(t1 > t2 && t2 > t3);
    /* known deviation (docs/models/rknpu.md): the model is 25-40% fast here; pinned loosely */
    CHECK(t1 > 2720 * 0.6 && t1 < 2720 * 1.15);
    CHECK(t3 > 1530 * 0.6 && t3 < 1530 * 1.15);
    /* scaling: more than 1.2x with three cores, less than the ideal 3x */
    CHECK(t1 / t3 > 1.2 && t1 / t3 < 3.0);
}

/* ---- mechanisms -------------------------------------------------------------------------------
 */

typedef struct sums {
    int tasks, submits, cores_used;
    int64_t feat, wt, ew, wr, regs;
    int first_regs, later_regs_max, later_regs_min;
    unsigned mask;
} sums;

static npu_program *compile(const char *archname, const char *const *sets, const char *text)
{
    npu_err err = {0};
    npu_graph *g = test_npg(text);
    npu_arch *a = g ? arch(archname, sets) : NULL;
    npu_program *p = a ? npu_compile(ctx, a, g, &err) : NULL;
    if (a && !p)
        FAILF("compile: %s", err.msg);
    npu_arch_free(a);
    npu_graph_free(g);
    return p;
}

static sums sum_layer(const npu_program *p, int layer)
{
    sums s;
    memset(&s, 0, sizeof s);
    s.later_regs_min = 1 << 30;
    for (size_t i = 0; p && i < p->n; i++) {
        if (p->ins[i].op == NPU_RKN_OP_SUBMIT)
            s.submits++;
        const npu_rkn_task *t = npu_rkn_payload(p, i, NPU_RKN_OP_TASK, sizeof *t);
        if (!t || (layer >= 0 && p->ins[i].layer != layer))
            continue;
        if (!((s.mask >> t->core) & 1u))
            s.cores_used++;
        s.mask |= 1u << t->core;
        s.tasks++;
        s.feat += t->feat_rd;
        s.wt += t->wt_rd;
        s.ew += t->ew_rd;
        s.wr += t->out_wr;
        s.regs += t->regcfg_amount;
        if (s.tasks == 1)
            s.first_regs = t->regcfg_amount;
        else {
            if (t->regcfg_amount > s.later_regs_max)
                s.later_regs_max = t->regcfg_amount;
            if (t->regcfg_amount < s.later_regs_min)
                s.later_regs_min = t->regcfg_amount;
        }
    }
    return s;
}

static const char *conv56 = "npg 1\ngraph c56\ninput data 1x64x56x56 int8\n"
                            "conv c data out=64 k=3 s=1 p=1\noutput c\n";

TEST(cbuf_slices_by_hand)
{
    /* 12 banks: weights 64x64x9 = 36864 B -> ceil(36864/32768)+1 = 3 banks, 9 data banks =
     * 294912 B hold 294912/3584 = 82 input rows (a row = 56 x 64 B) >= 56: one slice, the input
     * read once (56 x 3584 = 200704 B), the weights once. */
    npu_program *p = compile("rk3588", NULL, conv56);
    sums s = sum_layer(p, 0);
    CHECK_EQ_INT(s.tasks, 1);
    CHECK_EQ_INT(s.feat, 200704);
    CHECK_EQ_INT(s.wt, 36864);
    CHECK_EQ_INT(s.wr, 200704);
    CHECK(s.first_regs >= 110 && s.first_regs <= 130);
    npu_program_free(p);
    /* CBUF halved to 6 banks: 3 data banks = 98304 B = 27 rows -> (27-3)/1+1 = 25 output rows
     * per slice -> 3 slices of 25, 25, 6 output rows reading 27, 27 and 6-1+3 = 8 rows:
     * 62 x 3584 = 222208 B (the 2-row overlaps re-fetched); the weights stay resident (read
     * once, later slices weight_reuse) and later tasks carry 12-17 regcmds. */
    const char *half[] = {"cbuf_banks=6", "split_data_banks=3", NULL};
    p = compile("rk3588", half, conv56);
    s = sum_layer(p, 0);
    CHECK_EQ_INT(s.tasks, 3);
    CHECK_EQ_INT(s.feat, 222208);
    CHECK_EQ_INT(s.wt, 36864);
    CHECK_EQ_INT(s.wr, 200704);
    CHECK(s.later_regs_min >= 12 && s.later_regs_max <= 17);
    npu_program_free(p);
}

/* Layer 0 of `text` on rk3588 has `tasks` tasks reading `wt` weight and `feat` feature bytes. */
static void plan_is(const char *text, int tasks, int64_t wt, int64_t feat)
{
    npu_program *p = compile("rk3588", NULL, text);
    sums s = sum_layer(p, 0);
    CHECK_EQ_INT(s.tasks, tasks);
    CHECK_EQ_INT(s.wt, wt);
    CHECK_EQ_INT(s.feat, feat);
    npu_program_free(p);
}

TEST(weight_chunks_by_hand)
{
    /* 512->512 3x3 at 14x14: 2359296 B of weights need 73 banks: split 7 data + 5 weight banks;
     * a chunk holds 163840 / 4608 = 35 kernels -> 32 (whole kernel groups) -> 16 chunks. The
     * input (14 rows x 7168 B = 100352 B) fits 7 banks: one slice, read once (later chunks
     * data_reuse); the weights are read once. */
    plan_is("npg 1\ngraph big\ninput data 1x512x14x14 int8\n"
            "conv c data out=512 k=3 s=1 p=1\noutput c\n",
            16, 2359296, 100352);
}

TEST(by_k_bank_split)
{
    /* TinyLlama's q_proj over a 128-token prompt: 128 x 2048 -> 2048 on one core. 4 MiB of
     * weights never stay resident; the input (128 rows x 2048 B = 262144 B) needs 8 banks and
     * one kernel group (32 x 2048 B = 2 banks, +1) fits beside it: BY_K gives the data 8 banks,
     * the weights 4 (131072 B = 64 kernels a chunk) -> 32 chunks over one slice of all 128
     * rows, the input read once. Mesa's fixed 7 + 5 split cut it into 112 + 16 rows. */
    plan_is("npg 1\ngraph q\ninput x 128x2048 int8\ngemm y x out=2048\noutput y\n", 32,
            2048 * 2048, 262144);
}

/* NPU tasks and CPU records of graph layer `layer` in a compiled program. */
static void units_of(const npu_program *p, int layer, int *tasks, int *cpus)
{
    *tasks = *cpus = 0;
    for (size_t i = 0; p && i < p->n; i++) {
        if (p->ins[i].layer != layer)
            continue;
        *tasks += p->ins[i].op == NPU_RKN_OP_TASK;
        *cpus += p->ins[i].op == NPU_RKN_OP_CPU;
    }
}

TEST(rkllm_placement)
{
    /* runtime=rkllm: in a prefill the attention's matmul (no constant operand) runs on the
     * NPU, on one core; in a decode step it stays on the CPU; the softmax is CPU work in both;
     * a projection's fused SiLU is a CPU record after the NPU job, not a LUT pass */
    const char *body = "input q 4x64x32 int8\ninput k 4x64x32 int8\ninput x 64x256 int8\n"
                       "matmul s q k transb=1\nsoftmax p s axis=-1\n"
                       "gemm y x out=512 act=silu\noutput p\noutput y\n";
    const char *sets[] = {"runtime=rkllm", "dtype=int8", "core_mask=0_1_2", NULL};
    char text[512];
    for (int prefill = 0; prefill < 2; prefill++) {
        snprintf(text, sizeof text, "npg 1\ngraph a\nitems 64 token%s\n%s",
                 prefill ? " prefill" : "", body);
        npu_program *p = compile("rk3588", sets, text);
        int tasks, cpus;
        units_of(p, 0, &tasks, &cpus); /* s */
        CHECK_EQ_INT(tasks, prefill ? 1 : 0);
        CHECK_EQ_INT(cpus, prefill ? 0 : 1);
        units_of(p, 1, &tasks, &cpus); /* p */
        CHECK_EQ_INT(tasks, 0);
        CHECK_EQ_INT(cpus, 1);
        units_of(p, 2, &tasks, &cpus); /* y: three cores' shares, then the SiLU */
        CHECK_EQ_INT(tasks, 3);
        CHECK_EQ_INT(cpus, 1);
        for (size_t i = 0; p && i < p->n; i++) {
            const npu_rkn_task *t = npu_rkn_payload(p, i, NPU_RKN_OP_TASK, sizeof *t);
            CHECK(!t || !(t->flags & NPU_RKN_TF_LUT));
        }
        npu_program_free(p);
    }
}

TEST(rkllm_int4_head_stays_8bit)
{
    /* w4a16 under RKLLM: the projections read int4 weights (half a byte), the output head
     * (the projection producing the graph's output) 8-bit ones; under RKNN both are int4 */
    const char *text = "npg 1\ngraph h\ninput x 1x256 fp16\ngemm a x out=256\n"
                       "gemm head a out=1024\noutput head\n";
    for (int llm = 0; llm < 2; llm++) {
        const char *sets[] = {llm ? "runtime=rkllm" : "runtime=rknn", "dtype=w4a16",
                              "core_mask=0", NULL};
        npu_program *p = compile("rk3576", sets, text);
        CHECK_EQ_INT(sum_layer(p, 0).wt, 256 * 256 / 2);
        CHECK_EQ_INT(sum_layer(p, 1).wt, llm ? 1024 * 256 : 1024 * 256 / 2);
        npu_program_free(p);
    }
}

TEST(rkllm_fp16_activations)
{
    /* rkllm_adtype=fp16 (rk3576): an RKLLM w8a8 matmul reads fp16 features (twice the int8
     * bytes) and its int8 weights unchanged; graph (rk3588's) keeps int8 features */
    const char *text = "npg 1\ngraph h\ninput x 128x256 int8\ngemm a x out=256\noutput a\n";
    int64_t feat[2];
    for (int a16 = 0; a16 < 2; a16++) {
        const char *sets[] = {"runtime=rkllm", "dtype=w8a8", "core_mask=0",
                              a16 ? "rkllm_adtype=fp16" : "rkllm_adtype=graph", NULL};
        npu_program *p = compile("rk3576", sets, text);
        sums s = sum_layer(p, 0);
        CHECK_EQ_INT(s.wt, 256 * 256);
        feat[a16] = s.feat;
        npu_program_free(p);
    }
    CHECK_EQ_INT(feat[1], 2 * feat[0]);
}

TEST(fusion_and_padding)
{
    /* ConvAdd: the add runs in the conv's DPU EW stage (DPU_RDMA reads the other operand);
     * output channels 24 are written padded to C2 = 16 -> 32 channels in NC1HWC2. */
    npu_program *p = compile("rk3588", NULL,
                             "npg 1\ngraph f\ninput data 1x24x8x8 int8\n"
                             "conv c1 data out=24 k=1\nadd s c1 data\noutput s\n");
    sums s = sum_layer(p, 0);
    CHECK_EQ_INT(s.tasks, 1);
    CHECK_EQ_INT(s.ew, 8 * 8 * 32);
    CHECK_EQ_INT(s.wr, 8 * 8 * 32);
    CHECK_EQ_INT(sum_layer(p, 1).tasks, 0); /* the add itself has no task */
    npu_program_free(p);
    /* 16 output channels: the MAC array computes a whole kernel group of 32, but the tensor
     * stored is one 16-channel atom per pixel, as the next layer reads it */
    p = compile("rk3588", NULL,
                "npg 1\ngraph f\ninput data 1x64x8x8 int8\nconv c data out=16 k=1\noutput c\n");
    CHECK_EQ_INT(sum_layer(p, 0).wr, 8 * 8 * 16);
    npu_program_free(p);
    /* an image input is read raw (3 bytes a pixel, widened to atoms in the CBUF): Rockchip's
     * profiler gives RW 543.75 KB for MobileNetV2's 3->32 3x3 s2 conv at 224x224 (§2.4 row 2) */
    p = compile("rk3588", NULL,
                "npg 1\ngraph f\ninput data 1x3x224x224 int8\n"
                "conv c data out=32 k=3 s=2 p=1\noutput c\n");
    s = sum_layer(p, 0);
    within("image conv RW KB", (double)(s.feat + s.wt + s.wr) / 1024, 543.75, 0.03);
    npu_program_free(p);
}

/* The busy time (compute + per-task costs) of layer 0 of a small program on rk3588, with the
 * LUT rate and DMA rate the figures below are worked out for. */
/* one layer's main-unit (compute) cycles, or with span its whole cycles, of `text` compiled for
 * rk3588 (layer < 0: the last one) */
static double run_cycles(const char *text, const char *const *sets, int layer, bool span)
{
    npu_err err = {0};
    npu_program *p = compile("rk3588", sets, text);
    npu_result *r = p ? npu_exec(ctx, p, NULL, &err) : NULL;
    if (p && !r)
        FAILF("exec: %s", err.msg);
    int li = r ? (layer < 0 ? r->nlayers - 1 : layer) : -1;
    double c = -1;
    if (r && li >= 0 && li < r->nlayers)
        c = (double)(span ? r->layers[li].cycles : r->layers[li].compute_cycles);
    npu_result_free(r);
    npu_program_free(p);
    return c;
}

static double busy(const char *text, const char *const *sets, int layer)
{
    return run_cycles(text, sets, layer, false);
}

/* the LUT alone: ports each way (dma_shared=false), so the DMA hides behind the LUT */
static double layer_busy(const char *text)
{
    const char *sets[] = {"lut_rate=4", "dma_bytes=8", "dma_shared=false", NULL};
    return busy(text, sets, 0);
}

TEST(lut_stage)
{
    /* 64->64 1x1 at 56x56 (200704 outputs, 12.8 M MACs): the MAC array needs 12544 cycles, the
     * CORE->DPU drain 200704 / 8 = 25088. A ReLU costs nothing (BS stage); a sigmoid is one LUT
     * pass at lut_rate = 4 outputs/cycle: 50176, the drain hidden behind it; a SiLU (x·σ(x))
     * adds a second pass of 50176 that cannot overlap the first. */
    const char *fmt = "npg 1\ngraph l\ninput data 1x64x56x56 int8\n"
                      "conv c data out=64 k=1 act=%s\noutput c\n";
    char text[256];
    snprintf(text, sizeof text, fmt, "relu");
    double relu = layer_busy(text);
    snprintf(text, sizeof text, fmt, "sigmoid");
    CHECK_NEAR(layer_busy(text) - relu, 50176 - 25088, 1);
    snprintf(text, sizeof text, fmt, "silu");
    CHECK_NEAR(layer_busy(text) - relu, 100352 - 25088, 1);
    /* a standalone sigmoid on the DPU: 200704 elements at 4/cycle; a standalone ReLU is limited
     * by its DMA (200704 B read at 8 B/cycle), the task costs are the same */
    double sig = layer_busy("npg 1\ngraph l\ninput data 1x64x56x56 int8\nsigmoid y data\n"
                            "output y\n");
    double rl = layer_busy("npg 1\ngraph l\ninput data 1x64x56x56 int8\nrelu y data\n"
                           "output y\n");
    CHECK_NEAR(sig - rl, 50176 - 25088, 1);
}

/* dma_shared (RK3588, docs/models/rknpu.md §16): a task's reads and writes share one port
 * budget. A standalone ReLU of 200704 B at 8 B/cycle: 25088 cycles each way, 50176 shared; a
 * 1x1 conv (64->64 at 56x56, drain 25088) reading 204800 B and writing 200704 B becomes
 * port-bound the same way (its layer span also holds the setup, weight load and interrupt) */
TEST(dma_shared)
{
    const char *relu = "npg 1\ngraph d\ninput data 1x64x56x56 int8\nrelu y data\noutput y\n";
    const char *conv = "npg 1\ngraph d\ninput data 1x64x56x56 int8\n"
                       "conv c data out=64 k=1 act=relu\noutput c\n";
    const char *apart[] = {"dma_bytes=8", "dma_shared=false", NULL};
    const char *shared[] = {"dma_bytes=8", "dma_shared=true", NULL};
    CHECK_NEAR(busy(relu, shared, 0) - busy(relu, apart, 0), 25088, 1);
    double c0 = run_cycles(conv, apart, 0, true), c1 = run_cycles(conv, shared, 0, true);
    printf("  1x1 conv: %.0f cycles each way, %.0f shared\n", c0, c1);
    CHECK_NEAR(c1 - c0, 25088, 500); /* the CNA's 204800 B read + 200704 B written */
}

static double busy_with(const char *text, const char *pass)
{
    const char *sets[] = {"dma_bytes=8", pass, NULL};
    return busy(text, sets, -1);
}

TEST(weight_pass_minimum)
{
    /* 512->512 1x1 at 7x7: 49 output pixels, 12544 cycles of MACs at 1024/cycle (drain 3136).
     * Each weight set stays pass_cycles = 147 cycles in the MAC cells, not 49: x3 = 37632.
     * At 56x56 (3136 pixels a task) the minimum does not bind; a gemm of one row (FC mode,
     * weights fetched per pixel) is exempt. */
    const char *c7 = "npg 1\ngraph p\ninput data 1x512x7x7 int8\nconv c data out=512 k=1\n"
                     "output c\n";
    CHECK_NEAR(busy_with(c7, "pass_cycles=147") - busy_with(c7, "pass_cycles=0"),
               37632 - 12544, 1);
    const char *c56 = "npg 1\ngraph p\ninput data 1x64x56x56 int8\nconv c data out=64 k=1\n"
                      "output c\n";
    CHECK_NEAR(busy_with(c56, "pass_cycles=147") - busy_with(c56, "pass_cycles=0"), 0, 1);
    const char *fc = "npg 1\ngraph p\ninput x 1x512 int8\ngemm y x out=512\noutput y\n";
    CHECK_NEAR(busy_with(fc, "pass_cycles=147") - busy_with(fc, "pass_cycles=0"), 0, 1);
}

/* Cycles of the last layer of `text` on rk3588 at dma_bytes 8 and `set`. */
static double layer_cycles(const char *text, const char *set)
{
    const char *sets[] = {"dma_bytes=8", set, NULL};
    npu_err err = {0};
    npu_program *p = compile("rk3588", sets, text);
    npu_result *r = p ? npu_exec(ctx, p, NULL, &err) : NULL;
    if (p && !r)
        FAILF("exec: %s", err.msg);
    double c = r && r->nlayers > 0 ? (double)r->layers[r->nlayers - 1].cycles : -1;
    npu_result_free(r);
    npu_program_free(p);
    return c;
}

TEST(weight_load_rate)
{
    /* 512->512 3x3 at 7x7: 2359296 B of weights loaded into the CBUF in chunks, each before
     * its task computes. At wload = 0.5 the loads take twice their 2359296 / 8 = 294912
     * cycles at the port rate, and nothing hides them; a matmul's streamed weights (FC mode,
     * TF_WSTREAM) do not load first and keep the port rate (docs/models/rknpu.md §15). */
    const char *c7 = "npg 1\ngraph w\ninput data 1x512x7x7 int8\nconv c data out=512 k=3 p=1\n"
                     "output c\n";
    CHECK_NEAR(layer_cycles(c7, "wload=0.5") - layer_cycles(c7, "wload=1"), 294912, 3000);
    const char *fc = "npg 1\ngraph p\ninput x 1x4096 int8\ngemm y x out=4096\noutput y\n";
    CHECK_NEAR(layer_cycles(fc, "wload=0.5") - layer_cycles(fc, "wload=1"), 0, 1);
}

TEST(matmul_weights_stream)
{
    /* a matmul's weights stream beside the compute (TF_WSTREAM): the rknn_matmul API runs
     * 128x1024x8192 int8 at ~1.8 TOPS on one core (research §2.3, MC), i.e. its 8 MB of weights
     * (780 k cycles at dma_bytes 10.75) cannot be loaded before each task computes. The same
     * MACs as a 1x1 conv over 8x16 pixels keep weight_preload: slower by about that load. */
    const char *mm = "npg 1\ngraph m\ninput a 128x1024 int8\ngemm y a out=8192\noutput y\n";
    const char *cv = "npg 1\ngraph m\ninput a 1x1024x8x16 int8\nconv y a out=8192 k=1\n"
                     "output y\n";
    const char *one[] = {"core_mask=0", "io=zerocopy", NULL};
    npu_program *p = compile("rk3588", one, mm);
    int n = 0, streamed = 0;
    for (size_t i = 0; p && i < p->n; i++) {
        const npu_rkn_task *t = npu_rkn_payload(p, i, NPU_RKN_OP_TASK, sizeof *t);
        n += t != NULL;
        streamed += t && (t->flags & NPU_RKN_TF_WSTREAM);
    }
    CHECK(n > 1);
    CHECK_EQ_INT(streamed, n);
    npu_program_free(p);
    p = compile("rk3588", one, cv);
    for (size_t i = 0; p && i < p->n; i++) {
        const npu_rkn_task *t = npu_rkn_payload(p, i, NPU_RKN_OP_TASK, sizeof *t);
        CHECK(!t || !(t->flags & NPU_RKN_TF_WSTREAM));
    }
    npu_program_free(p);
    npu_err err = {0};
    npu_graph *gm = test_npg(mm), *gc = test_npg(cv);
    npu_arch *a = arch("rk3588", one);
    npu_result *rm = a && gm ? npu_run(ctx, a, gm, NULL, &err) : NULL;
    npu_result *rc = a && gc ? npu_run(ctx, a, gc, NULL, &err) : NULL;
    CHECK(rm && rc);
    if (rm && rc) {
        within("rknn_matmul 128x1024x8192 int8 ms", rm->total.time_us / 1000, 1.193, 0.15);
        CHECK(rc->total.time_us - rm->total.time_us > 0.6 * 8.0 * 1024 * 1024 / 10.75 / 1000);
    }
    npu_result_free(rm);
    npu_result_free(rc);
    npu_arch_free(a);
    npu_graph_free(gm);
    npu_graph_free(gc);
}

TEST(layer_starts_with_its_own_work)
{
    /* with ping-pong, the first task of a layer is fetched while the previous layer runs; the
     * fetch is that layer's time, so a layer's span starts where the previous one ends (a
     * standalone sigmoid on the DPU, then a conv: the conv's cycles are its own) */
    const char *text = "npg 1\ngraph s\ninput data 1x64x56x56 int8\nsigmoid y data\n"
                       "conv c y out=64 k=3 p=1\nconv d c out=64 k=1\noutput d\n";
    const char *one[] = {"core_mask=0", "io=zerocopy", NULL};
    npu_err err = {0};
    npu_graph *g = test_npg(text);
    npu_arch *a = g ? arch("rk3588", one) : NULL;
    npu_result *r = a ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(r && r->nlayers == 3);
    if (r && r->nlayers == 3)
        CHECK(r->layers[1].start >= r->layers[0].end);
    npu_result_free(r);
    npu_arch_free(a);
    npu_graph_free(g);
}

TEST(mixed_precision)
{
    /* a 1024 -> 1024 gemm over 64 rows: w8a8 reads 1 MiB of weights, w4a16 half of that (int4
     * weights moved at their width) and runs at the fp16 rate (512 MACs/cycle: the CNA widens
     * the weights); mac_pairs sets the pair's rate; wdtype=/adtype= say the same as w4a16 */
    const char *text = "npg 1\ngraph g\ninput x 64x1024 fp16\ngemm y x out=1024\noutput y\n";
    const char *w8[] = {"dtype=w8a8", NULL}, *w4[] = {"dtype=w4a16", NULL},
               *kv[] = {"wdtype=int4", "adtype=fp16", NULL},
               *pr[] = {"dtype=w4a16", "mac_pairs=w4a16=2048", NULL};
    npu_program *p = compile("rk3588", w8, text);
    CHECK_EQ_INT(sum_layer(p, -1).wt, 1024 * 1024); /* (-1: the input's quantize comes first) */
    npu_program_free(p);
    p = compile("rk3588", w4, text);
    CHECK_EQ_INT(sum_layer(p, -1).wt, 512 * 1024);
    npu_program_free(p);
    p = compile("rk3588", kv, text);
    CHECK_EQ_INT(sum_layer(p, -1).wt, 512 * 1024);
    npu_program_free(p);
    /* compute: 64 x 1024 x 1024 MACs at 512/cycle = 131072; at the mac_pairs rate 2048:
     * 32768 (the CORE->DPU drain scales with the rate and stays below) */
    const char *npuc = "npu_cycles";
    double c4 = -1, cp = -1;
    for (int k = 0; k < 2; k++) {
        npu_err err = {0};
        npu_program *q = compile("rk3588", k ? pr : w4, text);
        npu_result *r = q ? npu_exec(ctx, q, NULL, &err) : NULL;
        for (int c = 0; r && c < r->nextra; c++)
            if (strcmp(r->extra_names[c], npuc) == 0)
                *(k ? &cp : &c4) = r->extra[c];
        npu_result_free(r);
        npu_program_free(q);
    }
    CHECK_NEAR(c4, 131072, 1);
    CHECK_NEAR(cp, 32768, 1);
    /* a malformed mac_pairs is one clear error */
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, "rk3588", &err);
    CHECK(a && npu_arch_set_kv(a, "mac_pairs=w4a16:512", &err) == 0); /* checked at init */
    npu_graph *g = test_npg(text);
    npu_program *bad = a && g ? npu_compile(ctx, a, g, &err) : NULL;
    CHECK(bad == NULL);
    CHECK_CONTAINS(err.msg, "mac_pairs");
    npu_program_free(bad);
    npu_graph_free(g);
    npu_arch_free(a);
}

static const char *with_cpu = "npg 1\ngraph j\ninput data 1x64x112x112 int8\n"
                              "conv c1 data out=64 k=3 s=1 p=1\n"
                              "reduce r c1 kind=mean axes=2,3 keep=1\n"
                              "conv c2 r out=16 k=1\noutput c2\n";

TEST(jobs_and_interrupts)
{
    /* c1: rows of 112 x 64 B = 7168 B; 9 data banks = 41 rows -> 39 output rows per slice ->
     * 3 tasks. The reduce runs on the CPU and ends the job: 2 submits, 2 interrupts (one per
     * submit per core) with the downstream driver, one per task (4) with irq_mode=task. */
    npu_result *r = NULL;
    npu_err err = {0};
    npu_graph *g = test_npg(with_cpu);
    npu_arch *a = arch("rk3588", NULL);
    r = npu_run(ctx, a, g, NULL, &err);
    CHECK(r != NULL);
    if (r)
        CHECK_EQ_INT(r->total.irq_count, 2);
    npu_result_free(r);
    npu_arch_set_kv(a, "irq_mode=task", &err);
    r = npu_run(ctx, a, g, NULL, &err);
    CHECK(r != NULL);
    if (r)
        CHECK_EQ_INT(r->total.irq_count, 4);
    double t_task = r ? r->total.time_us : 0;
    npu_result_free(r);
    npu_arch_set_kv(a, "irq_mode=job", &err);
    r = npu_run(ctx, a, g, NULL, &err);
    CHECK(r && r->total.time_us < t_task); /* per-task interrupts cost more */
    npu_result_free(r);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_program *p = compile("rk3588", NULL, with_cpu);
    CHECK_EQ_INT(sum_layer(p, 0).tasks, 3);
    CHECK_EQ_INT(sum_layer(p, -1).submits, 2);
    npu_program_free(p);
    /* the task counter: at most max_tasks tasks per submit, the rest is another job */
    const char *two[] = {"max_tasks=2", NULL};
    p = compile("rk3588", two, with_cpu);
    CHECK_EQ_INT(sum_layer(p, -1).submits, 3);
    npu_program_free(p);
}

TEST(multicore_split)
{
    /* a conv with a large input and small weights splits into row bands on cores 0,1,2; the
     * softmax (not multi-core) runs on core 0 */
    const char *text = "npg 1\ngraph m\ninput data 1x64x56x56 int8\n"
                       "conv c data out=64 k=3 s=1 p=1\nsoftmax s c axis=1\noutput s\n";
    const char *m3[] = {"core_mask=0_1_2", NULL};
    npu_program *p = compile("rk3588", m3, text);
    sums s0 = sum_layer(p, 0), s1 = sum_layer(p, 1);
    CHECK_EQ_INT(s0.mask, 7);
    CHECK_EQ_INT(s1.mask, 1);
    CHECK_EQ_INT(s0.wt, 3 * 36864); /* every band needs all the weights */
    npu_program_free(p);
    /* a conv stays cut by rows even where kernels would move fewer bytes (RKNN's measured
     * MobileNetV1 scaling, docs/models/rknpu.md §6): 7 rows of 512 channels, 2.36 MB weights */
    p = compile("rk3588", m3,
                "npg 1\ngraph w\ninput x 1x512x7x7 int8\nconv c x out=512 k=3 p=1\noutput c\n");
    s0 = sum_layer(p, 0);
    CHECK_EQ_INT(s0.mask, 7);
    CHECK_EQ_INT(s0.wt, 3 * 512 * 512 * 9);
    npu_program_free(p);
    /* a prefill-shaped matmul (128 tokens x 896 -> 896) moves fewer bytes cut by kernels: each
     * core reads a third of the 802,816 weight bytes and all the 128 rows of input */
    const char *mm = "npg 1\ngraph q\ninput x 128x896 int8\ngemm q x out=896\noutput q\n";
    p = compile("rk3588", m3, mm);
    s0 = sum_layer(p, 0);
    CHECK_EQ_INT(s0.mask, 7);
    CHECK_EQ_INT(s0.wt, 896 * 896);
    CHECK_EQ_INT(s0.feat, 3 * 128 * 896);
    npu_program_free(p);
    /* an image-input conv (3 channels < one atom) stays on core 0 and gets a core0-only submit
     * of its own, as in RKNN's 3-core MobileNetV1 (5 submits: core0, 0x7, core0, 0x7, core0;
     * research §2.2) */
    const char *img = "npg 1\ngraph m\ninput data 1x3x56x56 int8\n"
                      "conv c0 data out=32 k=3 s=2 p=1\nconv c1 c0 out=64 k=1\n"
                      "softmax s c1 axis=1\noutput s\n";
    p = compile("rk3588", m3, img);
    CHECK_EQ_INT(sum_layer(p, 0).mask, 1);
    CHECK_EQ_INT(sum_layer(p, 1).mask, 7);
    CHECK_EQ_INT(sum_layer(p, 2).mask, 1);
    CHECK_EQ_INT(sum_layer(p, -1).submits, 3);
    npu_program_free(p);
    /* layers too small for three cores leave some idle: the job names only the busy cores
     * (AlexNet's FC and 13x13 layers deadlocked before per-core kicks) */
    CHECK(run_us("rk3588", "alexnet", NULL, m3, NULL) > 0);
    CHECK(run_us("rk3588", "vgg16", NULL, m3, NULL) > 0);
    const char *bad[] = {"core_mask=0_1_2", "cores=2", NULL};
    npu_err err = {0};
    npu_graph *g = test_npg(text);
    npu_arch *a = npu_arch_open(ctx, "rk3588", &err);
    CHECK(a != NULL);
    int rc = 0;
    for (int i = 0; a && bad[i] && !rc; i++)
        rc = npu_arch_set_kv(a, bad[i], &err);
    npu_result *r = (a && !rc) ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(rc != 0 || r == NULL); /* a mask beyond the chip's cores is refused */
    npu_result_free(r);
    npu_arch_free(a);
    npu_graph_free(g);
}

TEST(disasm_and_explain)
{
    npu_err err = {0};
    npu_program *p = compile("rk3588", NULL, conv56);
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK(p && npu_disasm(ctx, p, &sb, &err) == 0);
    CHECK_CONTAINS(sb.s, "SUBMIT core_mask=0x1");
    CHECK_CONTAINS(sb.s,
                   "TASK core0 conv en=0x1d regs=120 [PC:4 CNA:46 CORE:8 DPU:46 DPU_RDMA:16]");
    npu_sb_free(&sb);
    npu_sb_init(&sb);
    npu_graph *g = test_npg(conv56);
    const char *half[] = {"cbuf_banks=6", "split_data_banks=3", NULL};
    npu_arch *a = arch("rk3588", half);
    CHECK(a && g && npu_explain(ctx, a, g, "c", &sb, &err) == 0);
    CHECK_CONTAINS(sb.s, "3 data banks + 3 weight banks");
    CHECK_CONTAINS(sb.s, "3 row slice(s)");
    npu_sb_free(&sb);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_program_free(p);
}

TEST(corrupt_program_is_an_error)
{
    npu_err err = {0};
    npu_program *p = compile("rk3588", NULL, conv56);
    CHECK(p != NULL);
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        if (p->ins[i].op == NPU_RKN_OP_TASK) {
            npu_rkn_task *t = (npu_rkn_task *)(void *)(p->data + p->ins[i].off);
            t->core = 2; /* outside the submit's core mask */
            break;
        }
    npu_result *r = npu_exec(ctx, p, NULL, &err);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "outside a submit");
    npu_result_free(r);
    for (size_t i = 0; i < p->n; i++)
        if (p->ins[i].op == NPU_RKN_OP_TASK) {
            p->ins[i].len = 8; /* truncated payload */
            break;
        }
    memset(&err, 0, sizeof err);
    r = npu_exec(ctx, p, NULL, &err);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "bad TASK");
    npu_result_free(r);
    npu_program_free(p);
}

TEST(cpu_fallback_placement)
{
    /* a 9x9 depthwise conv exceeds the NPU's depthwise kernel limit (1-8): CPU */
    npu_program *p = compile("rk3588", NULL,
                             "npg 1\ngraph d\ninput data 1x32x28x28 int8\n"
                             "conv c data out=32 k=9 p=4 g=32\noutput c\n");
    CHECK(p && p->nlayers == 1);
    if (p && p->nlayers == 1)
        CHECK_STR(p->layers[0].engine, "cpu");
    CHECK_EQ_INT(sum_layer(p, 0).tasks, 0);
    npu_program_free(p);
}

TEST(profiler_npu_cycles)
{
    /* the profiler's "NPU Cycles" column (research §2.4): yolov10 rows 117-121 and DEVTEST
     * row 2, reproduced exactly by the compute model (extra column npu_cycles) */
    npu_err err = {0};
    npu_load_opts o = {.format = "npg"};
    npu_graph *g = npu_load_graph(ctx, "scripts/validation/rknpu_profiler.npg", &o, &err);
    const char *zc[] = {"io=zerocopy", NULL};
    npu_arch *a = g ? arch("rk3588", zc) : NULL;
    npu_result *r = a ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(r != NULL);
    if (!r) {
        FAILF("%s", err.msg);
    } else {
        int col = -1;
        for (int c = 0; c < r->nextra; c++)
            if (strcmp(r->extra_names[c], "npu_cycles") == 0)
                col = c;
        CHECK(col >= 0);
        static const struct {
            const char *name;
            double npu;
        } rows[] = {{"r117", 12800}, {"r118", 51200}, {"r119", 14400},
                    {"r120", 28800}, {"r121", 51200}, {"r2", 10584}};
        for (int k = 0; k < 6 && col >= 0; k++)
            for (int l = 0; l < r->nlayers; l++)
                if (strcmp(r->layers[l].name, rows[k].name) == 0)
                    CHECK_NEAR(r->extra[(size_t)l * (size_t)r->nextra + (size_t)col], rows[k].npu,
                               0.5);
    }
    npu_result_free(r);
    npu_arch_free(a);
    npu_graph_free(g);
}

/* Busy µs of unit `name` over a result's run (-1 if there is no such unit). */
static double unit_us(const npu_result *r, const char *name)
{
    for (int u = 0; r && u < r->nunits; u++)
        if (!strcmp(r->unit_names[u], name))
            return r->unit_busy_us[u];
    return -1;
}

/* A one-layer (or fused) graph on core 0 of rk3588 with `set` (NULL: none) added. */
static npu_result *run_text(const char *text, const char *set)
{
    const char *sets[] = {"core_mask=0", "io=zerocopy", set, NULL};
    npu_err err = {0};
    npu_graph *g = test_npg(text);
    npu_arch *a = g ? arch("rk3588", sets) : NULL;
    npu_result *r = a ? npu_run(ctx, a, g, NULL, &err) : NULL;
    if (a && !r)
        FAILF("run: %s", err.msg);
    npu_arch_free(a);
    npu_graph_free(g);
    return r;
}

/* The CNA, CORE, DPU and PPU of a core are units of their own (docs/models/rknpu.md §3c): a
 * task's stages overlap part by part (flying mode), the slowest stage sets the time, and the
 * others wait — each block shows its own busy time. */
TEST(blocks_as_units)
{
    /* a plain conv (64->64 3x3 at 56x56, ReLU in the BS stage): the MAC array is busiest
     * (115.6 M MACs / 1024 = 112896 cycles), the PPU idle */
    npu_result *r = run_text("npg 1\ngraph u\ninput data 1x64x56x56 int8\n"
                             "conv c data out=64 k=3 p=1 act=relu\noutput c\n",
                             NULL);
    double core = unit_us(r, "core0"), dpu = unit_us(r, "dpu0"), cna = unit_us(r, "cna0");
    printf("  conv: cna %.1f core %.1f dpu %.1f ppu %.1f us, run %.1f us\n", cna, core, dpu,
           unit_us(r, "ppu0"), r ? r->total.time_us : -1);
    CHECK_NEAR(core, 112.9, 0.2);
    CHECK(core > dpu && core > cna && unit_us(r, "ppu0") == 0);
    CHECK(r && r->layers[0].compute_cycles == 112896); /* the layer's main unit is the CORE */
    /* what the layer takes besides the CORE: setup, weight load, fetch, interrupt (~27 us) */
    double rest = r ? r->layers[0].cycles / 1000.0 - core : 0;
    npu_result_free(r);
    /* a sigmoid behind a 1x1 conv: the DPU's LUT (200704 outputs / 3.739 a cycle = 53.7 us)
     * outlasts the CORE's drain (200704 / 8 = 25.1 us); the CORE waits for it */
    r = run_text("npg 1\ngraph u\ninput data 1x64x56x56 int8\n"
                 "conv c data out=64 k=1 act=sigmoid\noutput c\n",
                 NULL);
    core = unit_us(r, "core0"), dpu = unit_us(r, "dpu0");
    printf("  conv+sigmoid: core %.1f dpu %.1f us\n", core, dpu);
    CHECK_NEAR(core, 25.1, 0.2);
    CHECK_NEAR(dpu, 53.7, 0.3);
    CHECK(r && r->layers[0].cycles > 1000 * dpu);
    CHECK(r && fabs(r->layers[0].compute_cycles - 1000 * dpu) < 100); /* main unit: the DPU */
    npu_result_free(r);
    /* a fused 2x2 max pool with a slow PPU (1 B/cycle, 16 cycles an atom): the PPU reads the
     * conv's 200704 outputs (200.7 us), the CORE needs 112.9 us; the task takes the PPU's
     * time, longer than the CORE alone — the stages overlap, they do not add up (CORE + PPU
     * would be 313.6 us): the plain conv's time with the PPU in the CORE's place, plus the
     * pipeline's fill (a part each of CNA and CORE: 1.2 us) */
    const char *pool = "npg 1\ngraph u\ninput data 1x64x56x56 int8\n"
                       "conv c data out=64 k=3 p=1\nmaxpool m c k=2 s=2\noutput m\n";
    r = run_text(pool, "ppu_bytes=1");
    core = unit_us(r, "core0");
    double ppu = unit_us(r, "ppu0");
    printf("  conv+pool, slow PPU: core %.1f ppu %.1f us, layer %.1f us\n", core, ppu,
           r ? r->layers[0].cycles / 1000.0 : -1);
    CHECK(r && r->nlayers == 2 && r->layers[1].cycles == 0); /* fused: the pool has no task */
    CHECK_NEAR(ppu, 200.7, 0.2);
    CHECK(ppu > core && r && r->layers[0].cycles > 1000 * ppu);
    CHECK(r && r->layers[0].cycles < 1000 * (ppu + rest + 2));
    npu_result_free(r);
    /* at the default PPU rate (one atom a cycle) the same pool hides behind the MAC array */
    r = run_text(pool, NULL);
    CHECK(r && unit_us(r, "ppu0") < unit_us(r, "core0"));
    npu_result_free(r);
    /* a pool alone is a PPU task (enable mask 0x60): the CNA and CORE stay idle */
    r = run_text("npg 1\ngraph u\ninput data 1x64x56x56 int8\nmaxpool m data k=2 s=2\n"
                 "output m\n",
                 NULL);
    CHECK(r && unit_us(r, "ppu0") > 0 && unit_us(r, "core0") == 0 && unit_us(r, "cna0") == 0);
    npu_result_free(r);
}

/* compute cycles of a one-conv graph: input `in` (CxHxW, int8), conv arguments `args` */
static double conv_busy(const char *in, const char *args)
{
    char text[256];
    snprintf(text, sizeof text, "npg 1\ngraph g\ninput data 1x%s int8\nconv c data %s\noutput c\n",
             in, args);
    return busy(text, NULL, 0);
}

/* Grouped conv (assumption, docs/models/rknpu.md §2): each group runs as a conv of its input
 * channels padded to C2 = 16 and its kernels padded to the kernel group of 32; the compiler
 * takes the block-diagonal dense conv instead when that pads no more. Until round 3 the MAC
 * view multiplied every group's kernels by all groups' channels: ResNeXt's 32x4 3x3 at 56x56 took
 * 14.5 M cycles (~1 MAC a cycle), 32 times this bound. */
TEST(grouped_conv)
{
    /* 128 ch, 32 groups of 4: per group 16 ch x 32 kernels, 56x56x1024x16x9 / 1024 = 451584
     * cycles; the dense form (128x128) pads the same and reads each atom once, so it is taken
     * (the cycles of the dense conv); the real MACs / 1024 = 14112 would be 32x faster */
    double g32 = conv_busy("128x56x56", "out=128 k=3 p=1 g=32");
    double d128 = conv_busy("128x56x56", "out=128 k=3 p=1");
    printf("  g=32 %.0f, dense %.0f cycles\n", g32, d128);
    CHECK(g32 >= 451584 && g32 <= 1.25 * 451584);
    CHECK(g32 <= 1.01 * d128); /* never slower than its block-diagonal dense form */
    /* 8 groups of 32: no padding, the real MACs 28x28x256x32x9 / 1024 = 56448 */
    double g8 = conv_busy("256x28x28", "out=256 k=3 p=1 g=8");
    printf("  g=8 of 32 ch %.0f cycles\n", g8);
    CHECK(g8 >= 56448 && g8 <= 1.25 * 56448);
    /* 4 groups of 8 ch: per group 16 x 32 (2048 a pixel) pads more than dense 32 x 32 (1024):
     * block-diagonal, the same cycles as the dense conv */
    double g4 = conv_busy("32x28x28", "out=32 k=3 p=1 g=4");
    double d32 = conv_busy("32x28x28", "out=32 k=3 p=1");
    printf("  g=4 of 8 ch %.0f, dense %.0f cycles\n", g4, d32);
    CHECK_NEAR(g4, d32, 0.01 * d32);
}


/* ~160,000 jobs on rk3566 queued at once took ~24 MiB */
TEST(jobs_in_windows)
{
    same_in_budget("rk3566", 1 << 20);
    same_in_budget("rk3588", 1 << 20);
}

/* A conv of 10^9 output channels: 833,334 channel chunks on rk3566, each below the old
 * per-axis bound of 10^6, built before the run (run_fuzz: 6 s and 560 MB, 8x that under ASan,
 * until the job limit). The tasks of a part are bounded as a product, at lowering. */
TEST(huge_conv_refused_at_lowering)
{
    npu_err err = {0};
    npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x3x224x224 int8\n"
                            "conv c x out=1000000000 k=3 p=1\noutput c\n");
    npu_arch *a = npu_arch_open(ctx, "rk3566", &err);
    npu_result *r = a && g ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(a && g && r == NULL);
    CHECK_EQ_INT(err.code, NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "2 x 833334 tasks, more than the simulator's limit");
    npu_arch_free(a);
    npu_graph_free(g);
}

/* Issue 16: tasks bound the jobs of a layer before they are written. */
static void job_limit_at_lowering(void)
{
    refused_at_lowering("rk3566");
}

int main(void)
{
    ctx = npu_ctx_new();
    RUN(jobs_in_windows);
    RUN(job_limit_at_lowering);
    RUN(cbuf_slices_by_hand);
    RUN(weight_chunks_by_hand);
    RUN(fusion_and_padding);
    RUN(jobs_and_interrupts);
    RUN(multicore_split);
    RUN(disasm_and_explain);
    RUN(corrupt_program_is_an_error);
    RUN(cpu_fallback_placement);
    RUN(dma_shared);
    RUN(profiler_npu_cycles);
    RUN(grouped_conv);
    RUN(lut_stage);
    RUN(blocks_as_units);
    RUN(mixed_precision);
    RUN(rk3588_zoo_single_core);
    RUN(rk3566_zoo);
    RUN(qwen2_decode_rkllm);
    RUN(qwen2_prefill_rkllm);
    RUN(weight_pass_minimum);
    RUN(weight_load_rate);
    RUN(matmul_weights_stream);
    RUN(layer_starts_with_its_own_work);
    RUN(by_k_bank_split);
    RUN(rkllm_placement);
    RUN(rkllm_int4_head_stays_8bit);
    RUN(rkllm_fp16_activations);
    RUN(mobilenet_v1_core_masks);
    RUN(huge_conv_refused_at_lowering);
    npu_ctx_free(ctx);
    return TEST_REPORT();
}
