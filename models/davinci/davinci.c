/* davinci.c — the `davinci` model: the Huawei DaVinci AI Core (Ascend 310/910, HiSilicon SVP
 * "Lite" NPUs) as its Scalar unit issues work to the MTE2/MTE1/M/V/MTE3 pipes, plus its
 * parameters. Facts and sources: research/davinci.md (cited as §n below).
 *
 * Assumptions and sources of the defaults (Ascend 310, one AI Core = "Max" class):
 *   - 2 AI Cores (§1.7, CANN te cce_conf.py); clock 680 MHz (CANN EVB1910 stub, §1.7; 488 MHz
 *     reproduces the 16 TOPS datasheet — a DVFS setting, hence a parameter).
 *   - Cube 16×16×16 fp16 = 4096 MACs/cycle, int8 16×32×16 = 8192 (§1.2, HC31).
 *   - Vector 256 B/cycle = one 256-byte repeat per cycle (§1.3; "≈1 repeat/cycle on 310" is
 *     the research's inference from 910B tables).
 *   - L1 1 MB, L0A/L0B 64 KB, L0C 256 KB, UB 256 KB of which 248 KB usable (§1.5).
 *   - Path rates per core (B/cycle): L1→L0A 512, L1→L0B 256, L0C→UB 256, DDR 67 read / 64
 *     write, L2 128 read / 64 write (§1.6, 310 ini fixtures); 8 MB L2 (§1.5).
 *   - MMAD fixed cost 3 cycles, vector instruction 4 cycles of issue+drain (§1.2, §1.3 from the
 *     910B mskpp tables — shape of the curve, not 310 truth; §7.3).
 *   - GM transfer setup: the 910B GM→L1 size curve (§1.6: 1 KB at 9.9 B/cycle, 16 KB at 93,
 *     256 KB at 261) fits a fixed ≈100 cycles per transfer plus bytes at the path rate; the
 *     DRAM latency of the engine is part of it, mte_gm_setup the rest (assumption).
 *   - Event ids per (src, dst) pipe pair: 4 (V100 generation, §2.2/§7.5).
 *   - Scalar issue: 1 cycle per instruction issued (assumption: the PSQ issues in order;
 *     no public figure), a kernel prologue of 200 cycles reading its tiling arguments
 *     (assumption).
 *   - Task Scheduler: preparing a kernel (ts_launch_us, overlapped with the previous kernel)
 *     and the serial end-to-start gap (ts_sync_us); DVPP tasks of a concurrent decode taking
 *     TS time per inference (dvpp, dvpp_ts_us); AI CPU task switch: no public figure
 *     (assumptions, calibrated on the ModelZoo rows of scripts/validation/davinci.lua).
 * The mechanisms are in lower.c (placement, tiling, instruction streams with flags and double
 * buffering) and timing.c (pipes, flags, memory paths on the engine).
 */
#include "davinci.h"

#include <stdlib.h>
#include <string.h>

static const npu_param_def davinci_params[] = {
    {.name = "cores", .type = NPU_P_INT, .def = 2, .min = 1, .max = 64, .unit = "",
     .doc = "AI Cores (Ascend 310: 2, CANN cce_conf.py SOC_VERSION_MAP; research §1.7)"},
    {.name = "freq_mhz", .type = NPU_P_FLOAT, .def = 680, .min = 1, .max = 10000, .unit = "MHz",
     .doc = "AI Core clock (680 in CANN EVB1910 stub; 488 reproduces 16 TOPS; research §1.7)"},
    {.name = "cube_m", .type = NPU_P_INT, .def = 16, .min = 1, .max = 1024, .unit = "",
     .doc = "Cube fractal M (16x16x16 fp16; HC31, research §1.2)"},
    {.name = "cube_k", .type = NPU_P_INT, .def = 16, .min = 1, .max = 1024, .unit = "",
     .doc = "Cube fractal K for fp16 (16; research §1.2)"},
    {.name = "cube_n", .type = NPU_P_INT, .def = 16, .min = 1, .max = 1024, .unit = "",
     .doc = "Cube fractal N (16; research §1.2; Lite 8)"},
    {.name = "int8_k_mult", .type = NPU_P_INT, .def = 2, .min = 1, .max = 4, .unit = "",
     .doc = "K multiplier for int8 (16x32x16 on 310: 2; research §1.2)"},
    {.name = "a16w8_k_mult", .type = NPU_P_INT, .def = 1, .min = 1, .max = 4, .unit = "",
     .doc = "K multiplier of the Cube for 16-bit integer activations x int8 weights (A16W8): "
            "1 = the fp16 shape, half the A8W8 rate (assumption: HiSilicon's Hi3516CV610 "
            "figures A8W8 0.5 T / A16W8 0.25 T, soc-facts §1.2; not published for DaVinci)"},
    {.name = "fp16_acc", .type = NPU_P_BOOL, .def = 0, .min = 0, .max = 1, .unit = "",
     .doc = "fp16 operands accumulate in fp16 in L0C (HiSilicon Lite SoCs; research §1.2)"},
    {.name = "fp32_vector", .type = NPU_P_BOOL, .def = 1, .min = 0, .max = 1, .unit = "",
     .doc = "the vector unit has fp32 ops (not on Hi3796CV300/SD3403 Lite; research §1.3)"},
    {.name = "vector_bytes", .type = NPU_P_INT, .def = 256, .min = 16, .max = 4096,
     .unit = "B/cycle", .doc = "vector unit width (Max 256, Lite 128; research §1.1, §1.3)"},
    {.name = "l1_kb", .type = NPU_P_INT, .def = 1024, .min = 16, .max = 65536, .unit = "KiB",
     .doc = "L1 buffer (1 MB; research §1.5)"},
    {.name = "l0a_kb", .type = NPU_P_INT, .def = 64, .min = 2, .max = 4096, .unit = "KiB",
     .doc = "L0A (64 KB; research §1.5)"},
    {.name = "l0b_kb", .type = NPU_P_INT, .def = 64, .min = 2, .max = 4096, .unit = "KiB",
     .doc = "L0B (64 KB; research §1.5)"},
    {.name = "l0c_kb", .type = NPU_P_INT, .def = 256, .min = 4, .max = 16384, .unit = "KiB",
     .doc = "L0C (256 KB; research §1.5)"},
    {.name = "ub_kb", .type = NPU_P_INT, .def = 248, .min = 8, .max = 16384, .unit = "KiB",
     .doc = "usable Unified Buffer (256 KB, 253952 B usable in 310 ini fixtures; research §1.5)"},
    {.name = "l2_kb", .type = NPU_P_INT, .def = 8192, .min = 0, .max = 1048576, .unit = "KiB",
     .doc = "shared on-chip L2, 0 = none (310: 8 MB; research §1.5)"},
    {.name = "l2_rd_bpc", .type = NPU_P_FLOAT, .def = 128, .min = 1, .max = 65536,
     .unit = "B/cycle", .doc = "L2 read rate per core (310 ini fixtures; research §1.6)"},
    {.name = "l2_wr_bpc", .type = NPU_P_FLOAT, .def = 64, .min = 1, .max = 65536,
     .unit = "B/cycle", .doc = "L2 write rate per core (310 ini fixtures; research §1.6)"},
    {.name = "ddr_rd_bpc", .type = NPU_P_FLOAT, .def = 67, .min = 1, .max = 65536,
     .unit = "B/cycle", .doc = "DDR read path rate per core (310 ini fixtures; research §1.6)"},
    {.name = "ddr_wr_bpc", .type = NPU_P_FLOAT, .def = 64, .min = 1, .max = 65536,
     .unit = "B/cycle", .doc = "DDR write path rate per core (310 ini fixtures; research §1.6)"},
    {.name = "l1_l0a_bpc", .type = NPU_P_FLOAT, .def = 512, .min = 1, .max = 65536,
     .unit = "B/cycle", .doc = "MTE1 L1->L0A rate (HC31 4096-bit, ini fixtures; research §1.6)"},
    {.name = "l1_l0b_bpc", .type = NPU_P_FLOAT, .def = 256, .min = 1, .max = 65536,
     .unit = "B/cycle", .doc = "MTE1 L1->L0B rate (ini fixtures; research §1.6)"},
    {.name = "l0c_ub_bpc", .type = NPU_P_FLOAT, .def = 256, .min = 1, .max = 65536,
     .unit = "B/cycle", .doc = "L0C->UB rate on PIPE_V (310 ini fixture; stubs say 128-512; §1.6)"},
    {.name = "mmad_overhead", .type = NPU_P_FLOAT, .def = 3, .min = 0, .max = 100000,
     .unit = "cycles", .doc = "fixed cycles per mad (910B mskpp table: ~3; research §1.2, §7.3)"},
    {.name = "vec_overhead", .type = NPU_P_FLOAT, .def = 4, .min = 0, .max = 100000,
     .unit = "cycles", .doc = "issue+drain cycles per vector instruction (910B: ~4; §1.3, §7.3)"},
    {.name = "mte1_overhead", .type = NPU_P_FLOAT, .def = 8, .min = 0, .max = 100000,
     .unit = "cycles", .doc = "fixed cycles per Load2D/Load3D (assumption)"},
    {.name = "mte_gm_setup", .type = NPU_P_FLOAT, .def = 40, .min = 0, .max = 1000000,
     .unit = "cycles",
     .doc = "fixed cycles per GM transfer beside the DRAM latency (assumption fitted to the 910B "
            "GM->L1 size curve: ~100 cycles in all; research §1.6)"},
    {.name = "scalar_cycles", .type = NPU_P_FLOAT, .def = 1, .min = 0, .max = 1000,
     .unit = "cycles", .doc = "scalar cycles to compute and issue one instruction (assumption)"},
    {.name = "begin_cycles", .type = NPU_P_FLOAT, .def = 200, .min = 0, .max = 1e7,
     .unit = "cycles", .doc = "kernel prologue on a core: tiling arguments, addresses (assumption)"},
    {.name = "mte2_inflight", .type = NPU_P_INT, .def = 2, .min = 1, .max = 16, .unit = "",
     .doc = "GM copies MTE2 keeps in flight: started in order, each held until its last byte "
            "arrives, the next may start meanwhile (assumption: a DMA with outstanding requests; "
            "research §1.6/§6 — the A2 queue depth is 32 for MTE1/MMAD, MTE2's is unpublished; "
            "1 = one copy at a time)"},
    {.name = "event_ids", .type = NPU_P_INT, .def = 4, .min = 2, .max = 8, .unit = "",
     .doc = "event ids per (src, dst) pipe pair (910/V100: 4; 310 undocumented; §2.2)"},
    {.name = "double_buffer", .type = NPU_P_BOOL, .def = 1, .min = 0, .max = 1, .unit = "",
     .doc = "ping-pong L1/L0/UB buffers as TBE/Ascend C kernels do (research §2.3)"},
    {.name = "ub_fusion", .type = NPU_P_BOOL, .def = 1, .min = 0, .max = 1, .unit = "",
     .doc = "fuse a residual add (+ its activation) into the epilogue of the conv producing one "
            "of its inputs, as ATC's conv+eltwise UB fusion does (one kernel instead of two)"},
    {.name = "batch_split", .type = NPU_P_BOOL, .def = 1, .min = 0, .max = 1, .unit = "",
     .doc = "a conv at batch N: the images go over the AI Cores first and each block loops over "
            "its images with M = one image's pixels, re-fetching weights that are not L1-resident "
            "per image (TBE conv2d tiling, block_dim = batch x n x m x group; assumption)"},
    {.name = "l2_lru", .type = NPU_P_BOOL, .def = 0, .min = 0, .max = 1, .unit = "",
     .doc = "L2 as an LRU cache over the kernels, a read hitting by its stack distance (an "
            "experiment, off: it moves the batch-16 rows the wrong way, docs/models/davinci.md; "
            "models/davinci/l2.c); off = the capacity rule (a tensor <= L2/2 stays, a larger one "
            "keeps (L2/2)/size of itself)"},
    {.name = "fused_acts", .type = NPU_P_STR, .def_s = "relu,relu6,clip,leaky,prelu", .unit = "",
     .doc = "activations ATC fuses into the epilogue of the Cube kernel that produces their input "
            "(comma list of relu, relu6, clip, leaky, prelu, sigmoid, tanh, hardswish, "
            "hardsigmoid, silu, gelu, mish, or 'all'); any other runs as a vector kernel of its "
            "own (assumption, docs/models/davinci.md)"},
    {.name = "ts_launch_us", .type = NPU_P_FLOAT, .def = 19, .min = 0, .max = 1e6, .unit = "us",
     .doc = "Task Scheduler time to prepare one kernel, overlapped with the previous kernel "
            "(assumption, calibrated on the ModelZoo rows; research §4.1)"},
    {.name = "ts_sync_us", .type = NPU_P_FLOAT, .def = 0, .min = 0, .max = 1e6, .unit = "us",
     .doc = "Task Scheduler end-of-kernel to start-of-next gap (stream order; the launch itself "
            "overlaps the previous kernel; assumption, calibrated)"},
    {.name = "dvpp", .type = NPU_P_BOOL, .def = 0, .min = 0, .max = 1, .unit = "",
     .doc = "a DVPP decode runs concurrently on the chip (modelzoo r0.2 --useDvpp=1): its tasks "
            "share the Task Scheduler (dvpp_ts_us per inference); off = input prepared on the host"},
    {.name = "dvpp_ts_us", .type = NPU_P_FLOAT, .def = 0, .min = 0, .max = 1e6, .unit = "us",
     .doc = "Task Scheduler time per inference taken by the DVPP tasks (JPEG decode, VPC "
            "resize) when dvpp is on (assumption, calibrated on modelzoo r0.2; research §4.1)"},
    {.name = "aicpu_launch_us", .type = NPU_P_FLOAT, .def = 60, .min = 0, .max = 1e7,
     .unit = "us", .doc = "AI CPU task switch per kernel (assumption; research §2.4)"},
    {.name = "aipp", .type = NPU_P_ENUM, .def_s = "none", .choices = "none|core|cpu", .unit = "",
     .doc = "static AIPP: none, fused into the first conv's MTE2 load (core) or on the host CPU "
            "(research §5)"},
    {.name = "aipp_src_bpp", .type = NPU_P_FLOAT, .def = 1.5, .min = 0.01, .max = 1024,
     .unit = "B/pixel", .doc = "AIPP source bytes per pixel (YUV420SP_U8: 1.5; research §5)"},
    {.name = "aipp_cpu_ops", .type = NPU_P_FLOAT, .def = 8, .min = 0.1, .max = 1000,
     .unit = "ops/elem",
     .doc = "host element ops per output element for CSC + normalisation (assumption: 3x3 "
            "matrix row + bias + mean + scale)"},
    {.name = "aipp_resize", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "the SoC's AIPP has a resize unit (--aipp with resize: true is refused without it; "
            "not on Ascend 310: research §5)"},
    {.name = NULL},
};

/* fused_acts: a comma list of activation names (npu_act_parse) or "all" -> one bit each. */
static int parse_acts(const char *s, uint32_t *mask, npu_err *err)
{
    *mask = 1u << NPU_ACT_NONE;
    if (!s)
        return 0;
    if (!strcmp(s, "all")) {
        *mask = (1u << NPU_ACT_COUNT) - 1;
        return 0;
    }
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char name[32];
        npu_act a;
        if (n > 0) {
            if (n >= sizeof name)
                n = sizeof name - 1;
            memcpy(name, s, n);
            name[n] = 0;
            if (npu_act_parse(name, &a) != 0)
                return npu_err_set(err, NPU_EINVAL,
                                   "davinci: fused_acts: unknown activation '%s' (known: relu, "
                                   "relu6, leaky, prelu, sigmoid, tanh, hardswish, hardsigmoid, "
                                   "silu, gelu, clip, mish, or 'all')",
                                   name);
            *mask |= 1u << a;
        }
        s = e ? e + 1 : s + strlen(s);
    }
    return 0;
}

static int davinci_init(npu_model *m, npu_err *err)
{
    npu_davinci_state *s = m->state;
    dv_exec *keep = s->exec;
    npu_dv_lazy *lazy = s->lazy;
    memset(s, 0, sizeof *s);
    s->exec = keep;
    s->lazy = lazy;
    s->cores = (int)npu_model_int(m, "cores");
    s->freq_mhz = npu_model_float(m, "freq_mhz");
    s->cube_m = (int)npu_model_int(m, "cube_m");
    s->cube_k = (int)npu_model_int(m, "cube_k");
    s->cube_n = (int)npu_model_int(m, "cube_n");
    s->int8_k_mult = (int)npu_model_int(m, "int8_k_mult");
    s->a16w8_k_mult = (int)npu_model_int(m, "a16w8_k_mult");
    s->fp16_acc = npu_model_bool(m, "fp16_acc");
    s->fp32_vector = npu_model_bool(m, "fp32_vector");
    s->vector_bytes = (int)npu_model_int(m, "vector_bytes");
    s->l1 = npu_model_int(m, "l1_kb") * 1024;
    s->l0a = npu_model_int(m, "l0a_kb") * 1024;
    s->l0b = npu_model_int(m, "l0b_kb") * 1024;
    s->l0c = npu_model_int(m, "l0c_kb") * 1024;
    s->ub = npu_model_int(m, "ub_kb") * 1024;
    s->l2 = npu_model_int(m, "l2_kb") * 1024;
    s->l2_rd = npu_model_float(m, "l2_rd_bpc");
    s->l2_wr = npu_model_float(m, "l2_wr_bpc");
    s->ddr_rd = npu_model_float(m, "ddr_rd_bpc");
    s->ddr_wr = npu_model_float(m, "ddr_wr_bpc");
    s->l1_l0a = npu_model_float(m, "l1_l0a_bpc");
    s->l1_l0b = npu_model_float(m, "l1_l0b_bpc");
    s->l0c_ub = npu_model_float(m, "l0c_ub_bpc");
    s->mmad_overhead = npu_model_float(m, "mmad_overhead");
    s->vec_overhead = npu_model_float(m, "vec_overhead");
    s->mte1_overhead = npu_model_float(m, "mte1_overhead");
    s->mte_gm_setup = npu_model_float(m, "mte_gm_setup");
    s->scalar_cycles = npu_model_float(m, "scalar_cycles");
    s->begin_cycles = npu_model_float(m, "begin_cycles");
    s->event_ids = (int)npu_model_int(m, "event_ids");
    s->mte2_inflight = (int)npu_model_int(m, "mte2_inflight");
    s->double_buffer = npu_model_bool(m, "double_buffer");
    s->ub_fusion = npu_model_bool(m, "ub_fusion");
    s->batch_split = npu_model_bool(m, "batch_split");
    s->l2_lru = npu_model_bool(m, "l2_lru");
    if (parse_acts(npu_model_str(m, "fused_acts"), &s->fused_acts, err))
        return err->code;
    s->ts_launch_ns = npu_model_float(m, "ts_launch_us") * 1000.0;
    s->dvpp_ts_ns = npu_model_bool(m, "dvpp") ? npu_model_float(m, "dvpp_ts_us") * 1000.0 : 0;
    s->ts_sync_ns = npu_model_float(m, "ts_sync_us") * 1000.0;
    s->aicpu_launch_ns = npu_model_float(m, "aicpu_launch_us") * 1000.0;
    const char *a = npu_model_str(m, "aipp");
    s->aipp = !strcmp(a, "core") ? NPU_DV_AIPP_CORE : !strcmp(a, "cpu") ? NPU_DV_AIPP_CPU
                                                                         : NPU_DV_AIPP_NONE;
    s->aipp_src_bpp = npu_model_float(m, "aipp_src_bpp");
    s->aipp_cpu_ops = npu_model_float(m, "aipp_cpu_ops");
    /* The smallest tiles must fit: one fractal of A and B in each L0 half, one L0C fractal,
     * and the vector kernels' three UB buffers of one 32-byte block. */
    int kmul = s->int8_k_mult > s->a16w8_k_mult ? s->int8_k_mult : s->a16w8_k_mult;
    int64_t fa = (int64_t)s->cube_m * s->cube_k * kmul * 2;
    int64_t fb = (int64_t)s->cube_k * s->cube_n * kmul * 2;
    int64_t fc = (int64_t)s->cube_m * s->cube_n * 4;
    if (fa * 2 > s->l0a || fb * 2 > s->l0b || fc * 2 > s->l0c || fa + fb > s->l1 / 4 ||
        s->ub < 6 * 1024)
        return npu_err_set(err, NPU_EINVAL,
                           "davinci: buffers too small for one cube fractal %dx%dx%d "
                           "(l0a_kb, l0b_kb, l0c_kb, l1_kb, ub_kb)",
                           s->cube_m, s->cube_k, s->cube_n);
    return 0;
}

static void davinci_fini(npu_model *m)
{
    npu_davinci_state *s = m->state;
    if (s) {
        npu_davinci_exec_free(s->exec);
        s->exec = NULL;
        npu_dv_lazy_free(s->lazy);
        s->lazy = NULL;
    }
}

static int davinci_disasm(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out)
{
    (void)m;
    return npu_dv_disasm(p, i, out);
}

static npu_dtype davinci_default_dtype(const npu_model *m)
{
    (void)m;
    return NPU_DT_FP16; /* the ModelZoo figures are fp16 (--precision=fp16; research §4.1) */
}

/* What the AI Core computes in: fp16 and int8 (cube), int32 where asked; fp32 only where the
 * vector unit has it; bf16/int4 do not exist on V100/V200 cores (research §1.2) → fp16.
 * An integer dtype is a quantized deployment as AMCT and ATC make it: the Cube ops run in it
 * and every other op stays in fp16 — the core's dtype pass then puts an AscendQuant (fp16 →
 * int8) in front of a Cube op fed by fp16 and an AscendDequant behind one read by fp16, and a
 * Cube op feeding a Cube op passes its integer output on directly (AscendRequant). The
 * lowering folds the dequant into the L0C → UB move (lower.c). */
static npu_dtype davinci_dtype_for(const npu_model *m, const npu_graph *g, int li, npu_dtype want)
{
    const npu_davinci_state *s = m->state;
    switch (want) {
    case NPU_DT_INT8:
    case NPU_DT_UINT8:
    case NPU_DT_INT16:
        return g && li >= 0 && li < g->nl && !npu_davinci_is_cube_op(g->l[li].op) ? NPU_DT_FP16
                                                                                   : want;
    case NPU_DT_BF16:
    case NPU_DT_INT4: return NPU_DT_FP16;
    case NPU_DT_FP32: return s->fp32_vector ? NPU_DT_FP32 : NPU_DT_FP16;
    default: return want;
    }
}

/* The MAC-array size parameters (conformance doubles them together). */
static const char *const davinci_array_keys[] = {"cube_m", "cube_n", NULL};
/* The engine name of layers run on the AI CPU (the per-layer chart draws it as host). */
static const char *const davinci_host_engines[] = {"aicpu", NULL};

const npu_model_ops npu_model_davinci = {
    .abi = NPU_MODEL_ABI,
    .name = "davinci",
    .summary = "Huawei DaVinci AI Core (Ascend 310/910, HiSilicon SVP): Cube/Vector/Scalar, "
               "MTE pipes, L1/L0/UB, set_flag/wait_flag, AI CPU, AIPP",
    .params = davinci_params,
    .state_size = sizeof(npu_davinci_state),
    .init = davinci_init,
    .lower = npu_davinci_lower,
    .execute = npu_davinci_execute,
    .disasm = davinci_disasm,
    .check = npu_dv_check,
    .explain = npu_davinci_explain,
    .fini = davinci_fini,
    .dtype_for = davinci_dtype_for,
    .default_dtype = davinci_default_dtype,
    .array_keys = davinci_array_keys,
    .stored_weight_bytes = npu_davinci_stored_weight,
    .stored_tensor_bytes = npu_davinci_stored_tensor,
    .store_align = 512,
    .stored_task_bytes = npu_davinci_stored_task,
    .weight_dtype = true, /* A16W8: weights at their own width (lower.c) */
    .array_fill_grows = true, /* launches overlap: a bigger cube's padding can show (conformance.c) */
    .host_engines = davinci_host_engines,
};
