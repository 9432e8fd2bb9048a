/* davinci_test.c — the DaVinci model: published figures (issue #7), mechanisms computed by hand,
 * the command format (flags pair up, disasm/explain text), placement (AI CPU, AIPP).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../isa/davinci.h"
#include "../../isa/program.h"
#include "front/front.h"
#include "npusim_int.h"
#include "test.h"
#include "test_graph.h"
#include "unit/joblimit.h"

static npu_ctx *ctx;

/* Runs graph g on preset `arch` with "k=v" settings (NULL-terminated). */
static npu_result *run(const char *arch, const npu_graph *g, const char *const *set)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, arch, &err);
    if (!a) {
        fprintf(stderr, "arch: %s\n", err.msg);
        return NULL;
    }
    for (int i = 0; set && set[i]; i++)
        if (npu_arch_set_kv(a, set[i], &err)) {
            fprintf(stderr, "set %s: %s\n", set[i], err.msg);
            npu_arch_free(a);
            return NULL;
        }
    npu_result *r = npu_run(ctx, a, g, NULL, &err);
    if (!r)
        fprintf(stderr, "run: %s\n", err.msg);
    npu_arch_free(a);
    return r;
}

static double zoo_fps(const char *arch, const char *net, double *util)
{
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, net, NULL, &err);
    if (!g)
        return -1;
    /* the r0.2 benchmark decodes with DVPP in the loop (research §4.1) */
    static const char *const dvpp[] = {"dvpp=1", NULL};
    npu_result *r = run(arch, g, dvpp);
    double fps = r ? r->total.fps : -1;
    if (util && r)
        *util = r->total.util;
    npu_result_free(r);
    npu_graph_free(g);
    return fps;
}

/* ModelZoo r0.2, Ascend 310, fp16, batch 1, DVPP in the loop (research §4.1): within 10 %. ResNet-50's MAC
 * utilisation must come out low (research §4.1: 23 % of the 680 MHz peak on the chip). */
TEST(published_figures)
{
    double util = 1;
    double r50 = zoo_fps("ascend310", "resnet50", &util);
    double mb2 = zoo_fps("ascend310", "mobilenet_v2", NULL);
    printf("  ascend310: resnet50 %.1f img/s (318), mobilenet_v2 %.1f img/s (505), util %.3f\n",
           r50, mb2, util);
    CHECK(fabs(r50 / 318.0 - 1) <= 0.10);
    CHECK(fabs(mb2 / 505.0 - 1) <= 0.10);
    CHECK(util < 0.35 && util > 0.05);
}

/* A 1x1 conv, 512 -> 512 channels on 14x14, fp16, one core, no L2, no AIPP: M = 196 output
 * pixels (208 padded), K = 512, N = 512. The whole input is 14·14·512·2 = 200704 B, the weights
 * 512·512·2 = 524288 B.
 * L1 512 KB: one m tile of 208 rows needs the whole input (200704 B) and an n tile of 32 or 128
 * channels its K × n weights; both fit double-buffered with the full K, so everything is read
 * once: 200704 + 524288 = 724992 B.
 * L1 256 KB: with n = 128, 2·(200704 + 131072) > 256 KiB, so K is cut in chunks of 128
 * (2·(50176 + 32768) fits) and the input is re-fetched for each of the 4 n tiles:
 * 4·200704 + 524288 = 1327104 B. */
TEST(l1_halving_forces_refetch)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x512x14x14 fp16\n"
                            "conv c data out=512 k=1\noutput c\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *big[] = {"cores=1", "l2_kb=0", "aipp=none", "l1_kb=512", NULL};
    const char *half[] = {"cores=1", "l2_kb=0", "aipp=none", "l1_kb=256", NULL};
    npu_result *a = run("ascend310", g, big), *b = run("ascend310", g, half);
    CHECK(a && b);
    if (a && b) {
        CHECK_EQ_INT(a->layers[0].dram_rd_bytes, 724992);
        CHECK_EQ_INT(b->layers[0].dram_rd_bytes, 1327104);
        /* results: the 196 real rows x 512 channels, fp16 (per-tile rounding up to 128 B) */
        CHECK(a->layers[0].dram_wr_bytes >= 196 * 512 * 2 &&
              a->layers[0].dram_wr_bytes <= 196 * 512 * 2 + 256);
        CHECK(b->layers[0].cycles > a->layers[0].cycles);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_graph_free(g);
}

/* Ping-pong buffers overlap MTE2, MTE1, Cube and V: turning them off is slower. */
TEST(double_buffering_helps)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x56x56 fp16\n"
                            "conv c1 data out=128 k=3 p=1 act=relu\nconv c2 c1 out=128 k=3 p=1\n"
                            "output c2\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *on[] = {"double_buffer=true", NULL}, *off[] = {"double_buffer=false", NULL};
    npu_result *a = run("ascend310", g, on), *b = run("ascend310", g, off);
    CHECK(a && b);
    if (a && b) {
        printf("  double buffer: %lld cycles, single: %lld\n", (long long)a->total.cycles,
               (long long)b->total.cycles);
        CHECK(a->total.cycles < b->total.cycles);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_graph_free(g);
}

/* Every flag set in a kernel is waited for in that kernel, per (core, src, dst, id); every
 * pipe of every block ends; MACs issued by mad cover the layer's MACs. */
TEST(flags_pair_up)
{
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "mobilenet_v2", NULL, &err);
    npu_arch *a = npu_arch_open(ctx, "ascend310", &err);
    CHECK(g && a);
    if (!g || !a)
        return;
    npu_program *p = npu_compile(ctx, a, g, &err);
    CHECK(p != NULL);
    if (p) {
        static int bal[64][6][6][8];
        memset(bal, 0, sizeof bal);
        int bad = 0, kernels = 0;
        for (size_t i = 0; i <= p->n; i++) {
            if (i == p->n || p->ins[i].op == NPU_DV_OP_KERNEL) {
                for (int c = 0; c < 64; c++)
                    for (int s = 0; s < 6; s++)
                        for (int d = 0; d < 6; d++)
                            for (int e = 0; e < 8; e++)
                                bad += bal[c][s][d][e] != 0;
                memset(bal, 0, sizeof bal);
                kernels++;
                continue;
            }
            npu_dv_ins dd;
            const npu_dv_ins *d = &dd;
            int rc = npu_dv_decode(p, i, &dd);
            CHECK(rc == 0);
            if (rc || d->core >= 64 || d->event >= 8)
                continue;
            if (p->ins[i].op == NPU_DV_OP_SET_FLAG) {
                int v = ++bal[d->core][p->ins[i].unit][d->pipe2][d->event];
                bad += v > 1; /* binary: set twice without a wait in between */
            } else if (p->ins[i].op == NPU_DV_OP_WAIT_FLAG) {
                bal[d->core][d->pipe2][p->ins[i].unit][d->event]--;
            }
        }
        CHECK_EQ_INT(bad, 0);
        CHECK(kernels > 50);
        npu_program_free(p);
    }
    npu_arch_free(a);
    npu_graph_free(g);
}

TEST(disasm_and_explain)
{
    npu_err err = {0};
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x28x28 fp16\n"
                            "conv c1 data out=64 k=3 p=1 act=relu\nadd s c1 data\n"
                            "sigmoid sg s\noutput sg\n");
    npu_arch *a = npu_arch_open(ctx, "ascend310", &err);
    CHECK(g && a);
    if (!g || !a)
        return;
    npu_program *p = npu_compile(ctx, a, g, &err);
    CHECK(p != NULL);
    npu_strbuf sb;
    npu_sb_init(&sb);
    if (p && npu_disasm(ctx, p, &sb, &err) == 0) {
        CHECK_CONTAINS(sb.s, "set_flag(PIPE_MTE2, PIPE_MTE1, EVENT_ID0)");
        CHECK_CONTAINS(sb.s, "wait_flag(PIPE_MTE1, PIPE_M, EVENT_ID0)");
        CHECK_CONTAINS(sb.s, "img2col_cbuf_to_ca");
        CHECK_CONTAINS(sb.s, "mad m=");
        CHECK_CONTAINS(sb.s, "copy_matrix_cc_to_ubuf");
        CHECK_CONTAINS(sb.s, "vadd repeat=");
        CHECK_CONTAINS(sb.s, "copy_ubuf_to_gm");
        CHECK_CONTAINS(sb.s, "vexp repeat=");
        CHECK_CONTAINS(sb.s, "pipe_barrier(PIPE_V)"); /* between sigmoid's dependent steps */
    } else {
        FAILF("disasm: %s", err.msg);
    }
    npu_sb_free(&sb);
    npu_sb_init(&sb);
    if (npu_explain(ctx, a, g, "c1", &sb, &err) == 0) {
        CHECK_CONTAINS(sb.s, "block_dim 2");
        CHECK_CONTAINS(sb.s, "L0 tile");
        CHECK_CONTAINS(sb.s, "x2 buffers");
    } else {
        FAILF("explain: %s", err.msg);
    }
    npu_sb_free(&sb);
    npu_program_free(p);
    npu_arch_free(a);
    npu_graph_free(g);
}

/* int64 work goes to the AI CPU (research §2.4) and costs its task switch. */
TEST(aicpu_fallback)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x16x8x8 fp16\n"
                            "conv c1 data out=16 k=1\ncast c2 c1 to=int64\noutput c2\n");
    CHECK(g != NULL);
    if (!g)
        return;
    npu_result *r = run("ascend310", g, NULL);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->nlayers, 2);
        CHECK_STR(r->layers[0].engine, "cube");
        CHECK_STR(r->layers[1].engine, "aicpu");
        /* at least the 60 us task switch at 680 MHz */
        CHECK(r->layers[1].cycles >= 60 * 680);
    }
    npu_result_free(r);
    npu_graph_free(g);
}

/* AIPP fused into the first conv's MTE2 load reads the YUV420SP frame (1.5 B/pixel) instead of
 * the C0-padded fp16 image; on the CPU it costs host time instead. */
TEST(aipp)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x3x224x224 fp16\n"
                            "conv c1 data out=32 k=3 s=2 p=1 act=relu\noutput c1\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *core[] = {"aipp=core", NULL}, *none[] = {"aipp=none", NULL},
               *cpu[] = {"aipp=cpu", NULL};
    npu_result *a = run("ascend310", g, core), *b = run("ascend310", g, none),
               *c = run("ascend310", g, cpu);
    CHECK(a && b && c);
    if (a && b && c) {
        CHECK(a->layers[0].dram_rd_bytes < b->layers[0].dram_rd_bytes);
        CHECK(c->total.host_us > a->total.host_us);
        CHECK(c->total.cycles > a->total.cycles);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_result_free(c);
    npu_graph_free(g);
}

/* Bad parameter combinations are one clear error. */
TEST(bad_params)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, "ascend310", &err);
    CHECK(a != NULL);
    if (!a)
        return;
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x16x8x8 fp16\nconv c data out=16 k=1\n"
                            "output c\n");
    CHECK(npu_arch_set(a, "l0a_kb", "2", &err) == 0);
    CHECK(npu_arch_set(a, "cube_m", "32", &err) == 0);
    npu_result *r = g ? npu_run(ctx, a, g, NULL, &err) : NULL;
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "too small");
    npu_result_free(r);
    npu_graph_free(g);
    /* an absurd layer is refused, not simulated for hours */
    g = test_npg("npg 1\ngraph t\ninput x 1x1000000 fp16\ngemm fc x out=1000000\noutput fc\n");
    npu_err e2 = {0};
    npu_arch_free(a);
    a = npu_arch_open(ctx, "ascend310", &e2);
    r = g && a ? npu_run(ctx, a, g, NULL, &e2) : NULL;
    CHECK(r == NULL);
    CHECK_CONTAINS(e2.msg, "exceed");
    npu_result_free(r);
    npu_graph_free(g);
    npu_arch_free(a);
}

/* npu_run lowers in windows while the engine runs (npu_program.windowed): a layer the lowering
 * refuses in the middle of the network stops the run with the lowering's own error, as when
 * the whole program was lowered first (npu_compile); the last layer, lowered first, failing
 * as well still reports the first failing layer. */
TEST(windowed_lowering_errors)
{
    static const char *const nets[] = {
        /* the absurd gemm after two kernels, the first of which has started (the run is
         * under way when the lowering reaches the gemm), and before one more */
        "npg 1\ngraph t\ninput x 1x1000000 fp16\nrelu r x\nrelu r1 r\n"
        "gemm fc r1 out=1000000\nsoftmax r2 fc axis=-1\noutput r2\n",
        /* and again as the last layer */
        "npg 1\ngraph t\ninput x 1x1000000 fp16\nrelu r x\nrelu r1 r\n"
        "gemm fc r1 out=1000000\ngemm fc2 fc out=1000000\noutput fc2\n",
    };
    for (int k = 0; k < 2; k++) {
        npu_err e1 = {0}, e2 = {0};
        npu_graph *g = test_npg(nets[k]);
        npu_arch *a = npu_arch_open(ctx, "ascend310", &e1);
        CHECK(g && a);
        if (!g || !a) {
            npu_graph_free(g);
            npu_arch_free(a);
            return;
        }
        npu_result *r = npu_run(ctx, a, g, NULL, &e1);
        npu_program *p = npu_compile(ctx, a, g, &e2);
        CHECK(r == NULL && p == NULL);
        CHECK_EQ_INT(e1.code, NPU_EINVAL);
        CHECK_EQ_INT(e2.code, NPU_EINVAL);
        CHECK_CONTAINS(e1.msg, "layer 'fc'");
        CHECK_CONTAINS(e1.msg, "exceed");
        CHECK(strcmp(e1.msg, e2.msg) == 0);
        npu_result_free(r);
        npu_program_free(p);
        npu_graph_free(g);
        npu_arch_free(a);
    }
}

/* The windowed run (npu_run) gives the result of the whole program (npu_compile + npu_exec),
 * layer by layer: the host AIPP op before the first kernel, a layer of two kernels (an
 * activation ATC does not fuse) as the last one, AI CPU kernels first and last, a network
 * of views only (no kernel at all). */
TEST(windowed_equals_whole)
{
    static const struct {
        const char *npg, *set[3];
    } cases[] = {
        {NULL, {"aipp=cpu", NULL}}, /* resnet18 */
        {"npg 1\ngraph t\ninput data 1x16x8x8 fp16\nconv c1 data out=16 k=3 p=1 act=sigmoid\n"
         "conv c2 c1 out=16 k=3 p=1 act=tanh\noutput c2\n",
         {"fused_acts=relu", NULL}},
        {"npg 1\ngraph t\nconst emb 4096x64 fp16\ninput ids 1x16 int64\ngather e emb ids\n"
         "relu r e\ncast c r to=int64\noutput c\n",
         {NULL}},
        {"npg 1\ngraph t\ninput x 1x16x4x4 fp16\nflatten f x\noutput f\n", {NULL}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        npu_err err = {0};
        npu_graph *g = cases[k].npg ? test_npg(cases[k].npg)
                                    : npu_load_graph(ctx, "resnet18", NULL, &err);
        npu_arch *a = npu_arch_open(ctx, "ascend310", &err);
        for (int i = 0; a && cases[k].set[i]; i++)
            CHECK(npu_arch_set_kv(a, cases[k].set[i], &err) == 0);
        npu_result *w = g && a ? npu_run(ctx, a, g, NULL, &err) : NULL;
        npu_program *p = g && a ? npu_compile(ctx, a, g, &err) : NULL;
        npu_result *r = p ? npu_exec(ctx, p, NULL, &err) : NULL;
        CHECK(w && r);
        if (w && r) {
            CHECK(w->total.cycles > 0 || !strcmp(w->layers[0].engine, "none"));
            CHECK_EQ_INT(w->total.cycles, r->total.cycles);
            CHECK_EQ_INT(w->nlayers, r->nlayers);
            for (int l = 0; l < w->nlayers && l < r->nlayers; l++) {
                CHECK_EQ_INT(w->layers[l].cycles, r->layers[l].cycles);
                CHECK_EQ_INT(w->layers[l].dram_rd_bytes, r->layers[l].dram_rd_bytes);
            }
        }
        npu_result_free(w);
        npu_result_free(r);
        npu_program_free(p);
        npu_graph_free(g);
        npu_arch_free(a);
    }
}

/* A compiled program saved, loaded and executed gives the result of a direct run; a program
 * whose instruction names a core outside its kernel is one clear error. */
TEST(program_round_trip_and_corruption)
{
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "resnet18", NULL, &err);
    npu_arch *a = npu_arch_open(ctx, "ascend310", &err);
    CHECK(g && a);
    if (!g || !a)
        return;
    npu_result *direct = npu_run(ctx, a, g, NULL, &err);
    npu_program *p = npu_compile(ctx, a, g, &err);
    CHECK(direct && p);
    char path[64];
    snprintf(path, sizeof path, "/tmp/davinci_test_%ld.npuc", (long)clock());
    if (p && direct && npu_program_save(p, path, true, &err) == 0) {
        npu_program *q = npu_program_load(ctx, path, &err);
        CHECK(q != NULL);
        npu_result *r = q ? npu_exec(ctx, q, NULL, &err) : NULL;
        CHECK(r != NULL);
        if (r) {
            CHECK_EQ_INT(r->total.cycles, direct->total.cycles);
            CHECK_EQ_INT(r->total.dram_rd_bytes, direct->total.dram_rd_bytes);
        }
        npu_result_free(r);
        /* corrupt: the first long AI Core instruction names core 60 */
        for (size_t i = 0; q && i < q->n; i++) {
            if (q->ins[i].op == NPU_DV_OP_MMAD) {
                npu_dv_ins *d = (npu_dv_ins *)(void *)(q->data + q->ins[i].off);
                d->core = 60;
                break;
            }
        }
        npu_err e2 = {0};
        npu_result *bad = q ? npu_exec(ctx, q, NULL, &e2) : NULL;
        CHECK(bad == NULL);
        CHECK_CONTAINS(e2.msg, "core");
        npu_result_free(bad);
        npu_program_free(q);
        /* A kernel's block_dim is checked against the cores of the whole program after the
         * one checking pass: the first error in program order is still the one reported. */
        for (int pass = 0; pass < 3; pass++) {
            q = npu_program_load(ctx, path, &err);
            CHECK(q != NULL);
            size_t k2 = 0;
            for (size_t i = 0, nk = 0; q && i < q->n && !k2; i++)
                if (q->ins[i].op == NPU_DV_OP_KERNEL && ++nk == 2)
                    k2 = i;
            CHECK(k2 > 1);
            if (!q || k2 < 2) {
                npu_program_free(q);
                break;
            }
            ((npu_dv_kernel *)(void *)(q->data + q->ins[k2].off))->block_dim = 5;
            if (pass == 1) /* a bad layer after the kernel: the kernel's error comes first */
                q->ins[q->n - 1].layer = 1 << 20;
            if (pass == 2) /* a bad layer before it: that one comes first */
                q->ins[k2 - 1].layer = 1 << 20;
            npu_err e3 = {0};
            bad = npu_exec(ctx, q, NULL, &e3);
            CHECK(bad == NULL);
            CHECK_CONTAINS(e3.msg, pass < 2 ? "has block_dim 5 for 2 cores" : "names layer");
            npu_result_free(bad);
            npu_program_free(q);
        }
        remove(path);
    } else {
        FAILF("save: %s", err.msg);
    }
    npu_result_free(direct);
    npu_program_free(p);
    npu_arch_free(a);
    npu_graph_free(g);
}

/* The Scalar unit issues every instruction: a slow scalar unit is the bottleneck of small
 * tiles. The msprof-like columns are there (research §4.4). */
TEST(scalar_issue_and_columns)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x28x28 fp16\n"
                            "conv c1 data out=64 k=3 p=1 act=relu\noutput c1\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *fast[] = {"scalar_cycles=1", NULL}, *slow[] = {"scalar_cycles=200", NULL};
    npu_result *a = run("ascend310", g, fast), *b = run("ascend310", g, slow);
    CHECK(a && b);
    if (a && b) {
        CHECK(b->total.cycles > a->total.cycles);
        int bd = -1, cube = -1;
        for (int k = 0; k < a->nextra; k++) {
            if (!strcmp(a->extra_names[k], "block_dim"))
                bd = k;
            if (!strcmp(a->extra_names[k], "cube_ratio"))
                cube = k;
        }
        CHECK(bd >= 0 && cube >= 0);
        if (bd >= 0 && cube >= 0) {
            CHECK_NEAR(a->extra[bd], 2, 0);
            CHECK(a->extra[cube] > 0 && a->extra[cube] <= 1);
        }
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_graph_free(g);
}

/* Networks with shapes the hand-made graphs do not have (a DFL conv over 8400 anchors,
 * attention matmuls, an ONNX TopK kept for the host) run on every DaVinci preset; the TopK is
 * an AI CPU kernel. */
TEST(other_networks_run)
{
    static const char *const archs[] = {"ascend310", "hi3519dv500", "ascend910"};
    for (int a = 0; a < 3; a++) {
        npu_err err = {0};
        npu_graph *g = npu_load_graph(ctx, "yolov8n", NULL, &err);
        CHECK(g != NULL);
        npu_result *r = g ? run(archs[a], g, NULL) : NULL;
        CHECK(r != NULL && r->total.cycles > 0);
        npu_result_free(r);
        npu_graph_free(g);
    }
    npu_err err = {0};
    npu_load_opts o = {.allow_unsupported = true};
    npu_graph *g = npu_load_graph(ctx, "tests/onnx/host.onnx", &o, &err);
    CHECK(g != NULL);
    npu_result *r = g ? run("ascend310", g, NULL) : NULL;
    CHECK(r != NULL);
    int cpu = 0;
    for (int i = 0; r && i < r->nlayers; i++)
        cpu += !strcmp(r->layers[i].engine, "aicpu");
    CHECK_EQ_INT(cpu, 1);
    npu_result_free(r);
    npu_graph_free(g);
}

/* L2 (research §1.6): activations that fit stay in L2 between kernels and re-fetches hit it;
 * without L2 the same run moves more DRAM bytes and takes longer. */
TEST(l2_hits)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x56x56 fp16\n"
                            "conv c1 data out=64 k=3 p=1 act=relu\nconv c2 c1 out=64 k=3 p=1\n"
                            "add s c2 data act=relu\noutput s\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *with[] = {"l2_kb=8192", NULL}, *without[] = {"l2_kb=0", NULL};
    npu_result *a = run("ascend310", g, with), *b = run("ascend310", g, without);
    CHECK(a && b);
    if (a && b) {
        CHECK(a->total.dram_rd_bytes < b->total.dram_rd_bytes);
        CHECK(a->layers[1].sram_rd_bytes > 0);
        CHECK(a->total.cycles < b->total.cycles);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_graph_free(g);
}

static int count_engine(const npu_result *r, const char *engine)
{
    int n = 0;
    for (int i = 0; r && i < r->nlayers; i++)
        n += !strcmp(r->layers[i].engine, engine);
    return n;
}

/* ATC's conv + add UB fusion: a residual add whose one input is a conv's only use runs in
 * that conv's epilogue (no kernel of its own, the conv's output never reaches GM); off, the
 * add is a vector kernel that reads both tensors back. */
TEST(residual_add_fused)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x56x56 fp16\n"
                            "conv c1 data out=64 k=3 p=1 act=relu\nconv c2 c1 out=64 k=3 p=1\n"
                            "add s c2 data act=relu\noutput s\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *on[] = {"ub_fusion=1", NULL}, *off[] = {"ub_fusion=0", NULL};
    npu_result *a = run("ascend310", g, on), *b = run("ascend310", g, off);
    CHECK(a && b);
    if (a && b) {
        CHECK_EQ_INT(count_engine(a, "vector"), 0);
        CHECK_EQ_INT(count_engine(b, "vector"), 1);
        CHECK(a->total.cycles < b->total.cycles);
        /* the fused conv wrote the add's output and read the shortcut (56*56*64*2 B) */
        CHECK(a->layers[1].sram_rd_bytes + a->layers[1].dram_rd_bytes >=
              b->layers[1].sram_rd_bytes + b->layers[1].dram_rd_bytes + 401408);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_graph_free(g);
}

static const npu_layer_row *layer_named(const npu_result *r, const char *name)
{
    for (int i = 0; r && i < r->nlayers; i++)
        if (!strcmp(r->layers[i].name, name))
            return &r->layers[i];
    return NULL;
}

/* dtype=int8 is AMCT's deployment: Cube ops in int8 at the int8 Cube rate (2 x 8192 MACs per
 * cycle on the 310, Hot Chips 31), every vector op in fp16; the dequant behind a Cube op runs
 * in its L0C -> UB move and the quant in front of one in the producing kernel's epilogue (no
 * kernel of their own); a Cube op feeding a Cube op passes int8 on directly. */
TEST(int8_as_amct_deploys)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x56x56 fp16\n"
                            "conv c1 data out=64 k=3 p=1 act=relu\nconv c2 c1 out=64 k=3 p=1\n"
                            "add s c2 data act=relu\nmaxpool mp s k=2 s=2\n"
                            "conv c3 mp out=64 k=1\noutput c3\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *i8[] = {"dtype=int8", NULL}, *f16[] = {"dtype=fp16", NULL};
    npu_result *a = run("ascend310", g, i8), *b = run("ascend310", g, f16);
    CHECK(a && b);
    if (a && b) {
        CHECK(fabs(a->peak_macs - 2 * 8192) < 1e-9);
        const npu_layer_row *c1 = layer_named(a, "c1"), *c2 = layer_named(a, "c2"),
                               *mp = layer_named(a, "mp"), *s = layer_named(a, "s");
        CHECK(c1 && c2 && mp && s);
        if (c1 && c2 && mp && s) {
            CHECK(!strcmp(c1->dtype, "int8") && !strcmp(c2->dtype, "int8"));
            CHECK(!strcmp(mp->dtype, "fp16") && !strcmp(s->dtype, "fp16"));
            CHECK(!strcmp(mp->engine, "vector"));
            CHECK(!strcmp(s->engine, "none")); /* the add still runs in c2's epilogue */
        }
        int nq = 0;
        for (int i = 0; i < a->nlayers; i++)
            if (!strcmp(a->layers[i].op, "quantize") || !strcmp(a->layers[i].op, "dequantize")) {
                nq++;
                CHECK(!strcmp(a->layers[i].engine, "none"));
            }
        CHECK(nq >= 3); /* data -> c1 (AIPP), c2 -> add, maxpool -> c3 */
        CHECK_EQ_INT(count_engine(a, "vector"), 1);
        /* the conv chain: half the operand bytes and twice the MACs per cycle */
        CHECK(c1 && c1->cycles < layer_named(b, "c1")->cycles);
        CHECK(a->total.cycles < b->total.cycles);
    }
    npu_result_free(a);
    npu_result_free(b);
    /* switched off (ub_fusion=0), the quant in front of c3 is a vector kernel of its own */
    const char *nf[] = {"dtype=int8", "ub_fusion=0", NULL};
    npu_result *c = run("ascend310", g, nf);
    CHECK(c != NULL);
    if (c) {
        const npu_layer_row *q = layer_named(c, "c3/q0");
        CHECK(q && !strcmp(q->engine, "vector"));
    }
    npu_result_free(c);
    npu_graph_free(g);
}

/* A16W8 through the core's mixed precision: int16 activations on the Cube at a16w8_k_mult
 * times the fp16 K (1: the fp16 rate, half of A8W8), int8 weights stored and moved at 1 B
 * (widened into L0B), vector ops in fp16. A weight-bound gemm reads half the weight bytes of
 * plain int16; a compute-bound conv runs faster with a16w8_k_mult=2. */
TEST(a16w8_mixed_precision)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x4096 fp16\n"
                            "gemm fc data out=4096\noutput fc\n");
    npu_graph *h = test_npg("npg 1\ngraph t\ninput data 1x256x28x28 fp16\n"
                            "conv c data out=256 k=3 p=1\noutput c\n");
    CHECK(g && h);
    if (!g || !h) {
        npu_graph_free(g);
        npu_graph_free(h);
        return;
    }
    const char *a[] = {"dtype=a16w8", NULL}, *i16[] = {"dtype=int16", NULL},
               *wa[] = {"wdtype=int8", "adtype=int16", NULL},
               *a2[] = {"dtype=a16w8", "a16w8_k_mult=2", NULL};
    npu_result *ra = run("ss928_svp", g, a), *r16 = run("ss928_svp", g, i16),
               *rw = run("ss928_svp", g, wa);
    CHECK(ra && r16 && rw);
    if (ra && r16 && rw) {
        const npu_layer_row *fa = layer_named(ra, "fc"), *f16 = layer_named(r16, "fc");
        CHECK(fa && f16);
        if (fa && f16) {
            CHECK_STR(fa->dtype, "int16");
            /* 4096 x 4096 weights: 16.8 MB at int8, twice that at int16 */
            CHECK(fa->dram_rd_bytes + fa->sram_rd_bytes >= 4096 * 4096);
            CHECK(fa->dram_rd_bytes + fa->sram_rd_bytes < 4096 * 4096 + 4096 * 4096 / 4);
            CHECK(f16->dram_rd_bytes + f16->sram_rd_bytes >= 2 * 4096 * 4096);
            CHECK(fa->cycles < f16->cycles);
        }
        CHECK_EQ_INT(ra->total.cycles, rw->total.cycles); /* the same, spelt part by part */
    }
    npu_result_free(ra);
    npu_result_free(r16);
    npu_result_free(rw);
    npu_result *c1 = run("ss928_svp", h, a), *c2 = run("ss928_svp", h, a2);
    CHECK(c1 && c2);
    if (c1 && c2) {
        CHECK(c2->total.cycles < c1->total.cycles);
        CHECK(fabs(c2->peak_macs - 2 * c1->peak_macs) < 1e-9);
    }
    npu_result_free(c1);
    npu_result_free(c2);
    npu_graph_free(g);
    npu_graph_free(h);
}

/* The Task Scheduler prepares a kernel while the previous one runs: a chain of tiny vector
 * kernels is launch-bound (about ts_launch_us each), and ts_sync_us is paid per kernel on top
 * only when launches are not the bottleneck. dvpp=1 adds dvpp_ts_us once per inference. */
TEST(launch_pipelining_and_dvpp)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x16x8x8 fp16\n"
                            "relu r1 data\nsigmoid r2 r1\nrelu r3 r2\nsigmoid r4 r3\n"
                            "relu r5 r4\nsigmoid r6 r5\nrelu r7 r6\nsigmoid r8 r7\noutput r8\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *slow[] = {"ts_launch_us=100", "ts_sync_us=0", "dvpp=0", NULL};
    const char *fast[] = {"ts_launch_us=0", "ts_sync_us=0", "dvpp=0", NULL};
    const char *sync[] = {"ts_launch_us=0", "ts_sync_us=100", "dvpp=0", NULL};
    const char *dv[] = {"ts_launch_us=0", "ts_sync_us=0", "dvpp=1", "dvpp_ts_us=500", NULL};
    npu_result *a = run("ascend310", g, slow), *b = run("ascend310", g, fast);
    npu_result *c = run("ascend310", g, sync), *d = run("ascend310", g, dv);
    CHECK(a && b && c && d);
    if (a && b && c && d) {
        /* 8 kernels: launch-bound at 100 us each; the sync gap is serial, 100 us each */
        CHECK(a->total.time_us > 800 && a->total.time_us < 800 + b->total.time_us);
        CHECK(c->total.time_us > 800 && c->total.time_us < 800 + b->total.time_us + 1);
        CHECK_NEAR(d->total.time_us - b->total.time_us, 500, 1);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_result_free(c);
    npu_result_free(d);
    npu_graph_free(g);
}

/* Without AIPP the OM input is the exported fp32 NCHW tensor: the Cast + TransData kernel in
 * front of the first conv reads 4 B per element and writes fp16 NC1HWC0 (3 -> 16 channels). */
TEST(input_transdata)
{
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "resnet18", NULL, &err);
    CHECK(g != NULL);
    if (!g)
        return;
    const char *none[] = {"aipp=none", "dtype=fp16", NULL};
    npu_result *r = run("ascend310", g, none);
    CHECK(r != NULL && r->nlayers > 1);
    if (r && r->nlayers > 1) {
        CHECK_EQ_INT((int)r->layers[0].dram_rd_bytes, 224 * 224 * 3 * 4);
        CHECK_EQ_INT((int)(r->layers[0].dram_wr_bytes + r->layers[0].sram_wr_bytes),
                     224 * 224 * 16 * 2);
    }
    npu_result_free(r);
    npu_graph_free(g);
}

/* L2 capacity per batch: an activation larger than half of L2 is read back partly from L2
 * (the half of L2 it may use, research §1.6), so its consumer reads some bytes on the L2
 * port and the rest from DDR; with a batch that fits, all from L2. */
TEST(l2_partial_residency)
{
    /* 1x64x112x112 fp16 = 1.6 MB; with l2_kb=2048 half of L2 is 1 MB: 1 MB of 1.6 hits */
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x112x112 fp16\n"
                            "conv c1 data out=64 k=1\nadd r c1 c1\noutput r\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *small[] = {"l2_kb=2048", "ub_fusion=0", NULL};
    npu_result *a = run("ascend310", g, small);
    CHECK(a != NULL && a->nlayers == 2);
    if (a && a->nlayers == 2) {
        double l2 = (double)a->layers[1].sram_rd_bytes, dd = (double)a->layers[1].dram_rd_bytes;
        CHECK_NEAR(l2 / (l2 + dd), 1048576.0 / 1605632.0, 0.01);
    }
    npu_result_free(a);
    npu_graph_free(g);
}

/* l2_lru (an experiment, off by default: docs/models/davinci.md): the L2 as an LRU cache, a
 * read hitting by its stack distance. c1's 1.6 MB output is read back by the add, which writes
 * 1.6 MB of its own meanwhile: with a 2 MiB L2 the share that hits is
 * (L2 - D - S) / O = (2097152 - 0 - 1605632) / 1605632 = 0.306 (the capacity rule: 0.653, the
 * test above); with 8 MiB all of it. */
TEST(l2_lru_stack_distance)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x112x112 fp16\n"
                            "conv c1 data out=64 k=1\nadd r c1 c1\noutput r\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *small[] = {"l2_kb=2048", "ub_fusion=0", "l2_lru=1", NULL};
    const char *big[] = {"l2_kb=8192", "ub_fusion=0", "l2_lru=1", NULL};
    npu_result *a = run("ascend310", g, small), *b = run("ascend310", g, big);
    CHECK(a && b && a->nlayers == 2 && b->nlayers == 2);
    if (a && b && a->nlayers == 2 && b->nlayers == 2) {
        double l2 = (double)a->layers[1].sram_rd_bytes, dd = (double)a->layers[1].dram_rd_bytes;
        CHECK_NEAR(l2 / (l2 + dd), (2097152.0 - 1605632.0) / 1605632.0, 0.01);
        CHECK_EQ_INT(b->layers[1].dram_rd_bytes, 0);
        CHECK(b->layers[1].sram_rd_bytes >= 2 * 1605632);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_graph_free(g);
}

/* batch_split (TBE conv2d: block_dim = batch x n x m x group): at batch 4 the images go over
 * the two AI Cores and each block re-fetches weights that do not stay in L1 once per image. A
 * 1x1 conv 1024 -> 1024 on 7x7 has 2 MiB of fp16 weights (L1 is 1 MiB); without L2 every
 * image reads all of them from DDR (4 x 2 MiB), while the whole batch as one M split over N
 * reads them once. */
TEST(batch_split_refetches_weights)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 4x1024x7x7 fp16\n"
                            "conv c data out=1024 k=1\noutput c\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *on[] = {"l2_kb=0", "aipp=none", "batch_split=1", NULL};
    const char *off[] = {"l2_kb=0", "aipp=none", "batch_split=0", NULL};
    npu_result *a = run("ascend310", g, on), *b = run("ascend310", g, off);
    CHECK(a && b);
    if (a && b) {
        double w = 1024.0 * 1024 * 2;
        printf("  batch_split: %.0f B read, folded: %.0f B\n", (double)a->total.dram_rd_bytes,
               (double)b->total.dram_rd_bytes);
        CHECK((double)a->total.dram_rd_bytes >= 4 * w);
        CHECK((double)b->total.dram_rd_bytes < 2 * w);
        CHECK(a->total.cycles > b->total.cycles);
    }
    npu_result_free(a);
    npu_result_free(b);
    npu_graph_free(g);
}

/* fused_acts: an activation ATC does not fuse into the conv (hard-swish by default) is a
 * vector kernel of its own that reads the conv's output back and writes it again: 2 x the
 * tensor's bytes more traffic than with the activation in the conv's epilogue. An unknown
 * name in the list is an error naming it. */
TEST(unfused_activation_kernel)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x64x56x56 fp16\n"
                            "conv c data out=64 k=1\nhardswish h c\noutput h\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *own[] = {"aipp=none", NULL};
    const char *all[] = {"aipp=none", "fused_acts=all", NULL};
    npu_result *a = run("ascend310", g, own), *b = run("ascend310", g, all);
    CHECK(a && b);
    if (a && b) {
        double ta = 0, tb = 0;
        for (int i = 0; i < a->nlayers; i++)
            ta += (double)(a->layers[i].dram_rd_bytes + a->layers[i].dram_wr_bytes +
                           a->layers[i].sram_rd_bytes + a->layers[i].sram_wr_bytes);
        for (int i = 0; i < b->nlayers; i++)
            tb += (double)(b->layers[i].dram_rd_bytes + b->layers[i].dram_wr_bytes +
                           b->layers[i].sram_rd_bytes + b->layers[i].sram_wr_bytes);
        CHECK_NEAR(ta - tb, 2.0 * 64 * 56 * 56 * 2, 1024);
        CHECK(a->total.time_us > b->total.time_us);
    }
    npu_result_free(a);
    npu_result_free(b);
    const char *bad[] = {"fused_acts=relu,swishy", NULL};
    npu_err err = {0};
    npu_arch *ar = npu_arch_open(ctx, "ascend310", &err);
    CHECK(ar != NULL);
    for (int i = 0; ar && bad[i]; i++)
        npu_arch_set_kv(ar, bad[i], &err);
    npu_result *r = ar ? npu_run(ctx, ar, g, NULL, &err) : NULL;
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "unknown activation 'swishy'");
    npu_result_free(r);
    npu_arch_free(ar);
    npu_graph_free(g);
}

/* A grouped conv merges neighbouring groups so that a merged group fills whole C0 blocks (TBE's
 * group "enlarge"): ResNeXt's 32 groups of 4 channels (128 -> 128, 3x3) become 8 GEMMs of
 * K = 16 * 9 = 144, N = 16 (e = lcm(4, 16) / 4 = 4), not 32 each padded from 4 to 16; groups
 * of 16 channels stay as they are (e = 1). */
TEST(grouped_conv_enlarge)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x128x28x28 fp16\n"
                            "conv c1 data out=128 k=3 p=1 g=32\nconv c2 c1 out=128 k=3 p=1 g=8\n"
                            "output c2\n");
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, "ascend310", &err);
    CHECK(g && a);
    for (int i = 0; g && a && i < 2; i++) {
        npu_strbuf sb;
        npu_sb_init(&sb);
        CHECK(npu_explain(ctx, a, g, i ? "c2" : "c1", &sb, &err) == 0);
        CHECK_CONTAINS(sb.s ? sb.s : "", "K 144 N 16 (fractal 16x16x16), groups 8");
        npu_sb_free(&sb);
    }
    npu_arch_free(a);
    npu_graph_free(g);
}

/* An LLM's embedding lookup (int64 token ids, so on the AI CPU) reads the rows it selects and
 * the ids, not the whole table: 128 ids into a 151936 x 896 fp16 table read
 * 128 * 896 * 2 + 128 * 8 = 230400 B, not 272 MB. Reading the table made a 128-token prefill
 * of Qwen2.5-0.5B on ascend310 spend 68 of its 113 ms in this one op. */
TEST(embedding_gather_reads_rows)
{
    npu_graph *g = test_npg("npg 1\ngraph t\nconst emb 151936x896 fp16\ninput ids 1x128 int64\n"
                            "gather e emb ids\noutput e\n");
    CHECK(g != NULL);
    if (!g)
        return;
    npu_result *r = run("ascend310", g, NULL);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->nlayers, 1);
        CHECK_STR(r->layers[0].engine, "aicpu");
        CHECK_EQ_INT(r->layers[0].dram_rd_bytes, 128 * 896 * 2 + 128 * 8);
        /* the 60 us task switch plus well under a millisecond of copying */
        CHECK(r->layers[0].cycles < 680 * 1000);
    }
    npu_result_free(r);
    npu_graph_free(g);
}

/* MTE2 keeps GM copies in flight (mte2_inflight): a 14x14 1x1 conv 1024 -> 256 split N over
 * the two cores reads its 401 KB input from L2 (written by c0) and its weights from DDR. One
 * copy at a time runs the two reads in series; with two in flight they overlap, so c1 is
 * faster, and never slower, than with one (issue #14 round 4). */
TEST(mte2_copies_in_flight)
{
    npu_graph *g = test_npg("npg 1\ngraph t\ninput data 1x256x14x14 fp16\n"
                            "conv c0 data out=1024 k=1\nconv c1 c0 out=256 k=1\noutput c1\n");
    CHECK(g != NULL);
    if (!g)
        return;
    const char *one[] = {"aipp=none", "mte2_inflight=1", NULL};
    const char *two[] = {"aipp=none", "mte2_inflight=2", NULL};
    npu_result *a = run("ascend310", g, one), *b = run("ascend310", g, two);
    CHECK(a && b);
    if (a && b) {
        const npu_layer_row *ca = layer_named(a, "c1"), *cb = layer_named(b, "c1");
        CHECK(ca && cb);
        if (ca && cb) {
            printf("  c1: %lld cycles one copy at a time, %lld with two in flight\n",
                   (long long)ca->cycles, (long long)cb->cycles);
            CHECK(ca->sram_rd_bytes > 0 && ca->dram_rd_bytes > 0);
            CHECK(cb->dram_rd_bytes == ca->dram_rd_bytes);
            CHECK((double)cb->cycles < 0.95 * (double)ca->cycles);
        }
        CHECK(b->total.cycles < a->total.cycles);
    }
    npu_result_free(a);
    npu_result_free(b);
    const char *bad[] = {"mte2_inflight=0", NULL};
    npu_result *c = run("ascend310", g, bad);
    CHECK(c == NULL);
    npu_result_free(c);
    npu_graph_free(g);
}

/* Issue 16: cube steps bound the jobs of a layer before its instructions are written. */
static void job_limit_at_lowering(void)
{
    refused_at_lowering("ascend310");
}

int main(void)
{
    ctx = npu_ctx_new();
    RUN(published_figures);
    RUN(l1_halving_forces_refetch);
    RUN(double_buffering_helps);
    RUN(flags_pair_up);
    RUN(disasm_and_explain);
    RUN(aicpu_fallback);
    RUN(aipp);
    RUN(bad_params);
    RUN(windowed_lowering_errors);
    RUN(windowed_equals_whole);
    RUN(program_round_trip_and_corruption);
    RUN(scalar_issue_and_columns);
    RUN(other_networks_run);
    RUN(l2_hits);
    RUN(residual_add_fused);
    RUN(launch_pipelining_and_dvpp);
    RUN(input_transdata);
    RUN(l2_partial_residency);
    RUN(l2_lru_stack_distance);
    RUN(int8_as_amct_deploys);
    RUN(a16w8_mixed_precision);
    RUN(batch_split_refetches_weights);
    RUN(unfused_activation_kernel);
    RUN(grouped_conv_enlarge);
    RUN(embedding_gather_reads_rows);
    RUN(mte2_copies_in_flight);
    RUN(job_limit_at_lowering);
    npu_ctx_free(ctx);
    return TEST_REPORT();
}
