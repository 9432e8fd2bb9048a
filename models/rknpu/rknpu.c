/* rknpu.c — the `rknpu` model: Rockchip RKNPU2 (RK3588 and siblings), its parameters, and the
 * compute-rate mechanisms shared by lower.c and timing.c.
 *
 * What is modelled (research/rknpu.md is the source of every figure; "derived" = computed by us
 * from the cited numbers; "assumption" = no source, reasoned in docs/models/rknpu.md):
 *   - per core: CNA (feature/weight DMA into the 12 × 32 KiB CBUF banks), CORE (MAC array at the
 *     dtype's rate: int8 1024, fp16/bf16/int16 512, int4 2048, tf32 256 MACs/cycle, TRM §36.1),
 *     DPU (bias/BN/EW/LUT, output write DMA), PPU (pooling), PC (fetches regcmd task lists
 *     through the memory system, two ping-pong register groups, TRM §36.5.1);
 *   - the MAC array's losses: input channels padded to the feature atom C2 (16 B: research
 *     §1.3/§1.4), output channels padded to the kernel group (32 int8, 16 for 16-bit, TRM
 *     CNA_CONV_CON2); depthwise at 1/16 of the dense rate (Rockchip's profiler counts 3×3
 *     depthwise at MACs/64, §1.6, derived); the CORE→DPU result path drains 8 results per cycle,
 *     which makes a 64→64 1×1 conv take 2× its ideal (profiler row 117, §2.4: derived);
 *     in conv mode a weight set stays at least pass_cycles in the MAC cells, so a task of
 *     fewer output pixels (ResNet-50's 7×7 and 14×14 stages) idles the array (assumption,
 *     calibrated on the zoo CNNs; FC mode, one output pixel, is exempt);
 *   - the DPU's LUT stage at lut_rate outputs/cycle per pass, two passes for x·g(x) (SiLU,
 *     GELU, HardSwish: the multiply sits before the table) (NVDLA's SDP rate as the assumption,
 *     calibrated on the yolov5s SiLU/ReLU pair, yolov8n and eval_perf layers);
 *   - mixed precision: weights moved at their own dtype, each (weight, activation) pair at the
 *     preset's mac_pairs rate or the wider type's (the CNA widens the weights: assumption);
 *   - DPU element-wise work at one 16-byte atom per cycle (assumption), transpose and softmax
 *     over a non-channel axis at the per-element costs of profiler rows 103/104 (derived,
 *     low confidence: perf_debug inflation ~6× from §2.4);
 *   - per-core DMA each way (calibrated: RKLLM decode streams 0.49-1.54 GB of weights a token
 *     on three cores, tokens/s x bytes = 20.5-25.8 GB/s, fitted with the per-task costs on the
 *     zoo CNNs: 10.5 B/cycle; Rockchip's profiler models ≈ 16 B/cycle reads + writes together,
 *     §1.5), sharing the LPDDR4X bus with
 *     the other cores and the CPU (engine dram.*); a task's fresh weights are in the CBUF
 *     before it computes (assumption);
 *   - a fixed cost per task plus one per regcmd entry it applies (assumption, calibrated on the
 *     rknn_model_zoo RK3588 figures; the profiler's wall times show such a cost exists, §2.4
 *     lesson 1) and the PC's regcmd fetch (regcfg_amount × 8 bytes through DRAM);
 *   - jobs (submits) with one interrupt per core (downstream driver) or one per task (mainline
 *     rocket), the kick's 8 MMIO writes, the ioctl, IRQ handling and thread wake-up on the host.
 */
#include "rknpu.h"

#include <stdio.h>
#include <string.h>

static const npu_param_def rknpu_params[] = {
    {.name = "freq_mhz",
     .type = NPU_P_FLOAT,
     .def = 1000,
     .min = 1,
     .max = 10000,
     .unit = "MHz",
     .doc = "NPU clock (RK3588 max 1 GHz as pinned by the vendor benchmarks, research §1.1)"},
    {.name = "cores",
     .type = NPU_P_INT,
     .def = 1,
     .min = 1,
     .max = 3,
     .unit = "",
     .doc = "NPU cores on the chip (RK3588 3, RK3576 2, others 1; research §1.1)"},
    {.name = "core_mask",
     .type = NPU_P_ENUM,
     .def_s = "auto",
     .choices = "auto|0|1|2|0_1|0_1_2|all",
     .unit = "",
     .doc = "rknn_set_core_mask: auto = core 0 when the NPU is idle (research §4.2), 0_1 / 0_1_2 / "
            "all split conv/depthwise/add/mul across cores"},
    {.name = "mac_int8",
     .type = NPU_P_FLOAT,
     .def = 1024,
     .min = 1,
     .max = 1e6,
     .unit = "MAC/cycle",
     .doc = "INT8 MACs per cycle per core (RK3588 TRM §36.1: 1024)"},
    {.name = "mac_fp16",
     .type = NPU_P_FLOAT,
     .def = 512,
     .min = 0,
     .max = 1e6,
     .unit = "MAC/cycle",
     .doc = "FP16/BF16/INT16 MACs per cycle per core (TRM §36.1: 512; 0 = not supported)"},
    {.name = "mac_int4",
     .type = NPU_P_FLOAT,
     .def = 2048,
     .min = 0,
     .max = 1e6,
     .unit = "MAC/cycle",
     .doc = "INT4 MACs per cycle per core (TRM §36.1: 2048; 0 = none)"},
    {.name = "mac_tf32",
     .type = NPU_P_FLOAT,
     .def = 256,
     .min = 0,
     .max = 1e6,
     .unit = "MAC/cycle",
     .doc = "TF32 MACs per cycle per core (TRM §36.1: 256; 0 = none)"},
    {.name = "mac_pairs",
     .type = NPU_P_STR,
     .def_s = "",
     .unit = "",
     .doc = "MAC rates of mixed (weight, activation) pairs, e.g. 'w4a16=512,w4a8=1024' (MACs per "
            "cycle per core); a pair not listed runs at the rate of its wider type, the narrower "
            "weights widened as the CNA loads them (assumption, docs/models/rknpu.md)"},
    {.name = "dw_div",
     .type = NPU_P_FLOAT,
     .def = 16,
     .min = 1,
     .max = 1024,
     .unit = "",
     .doc = "depthwise rate = dense rate / dw_div (profiler: 3x3 depthwise = MACs/64 on a "
            "1024-MAC core, research §1.6, derived)"},
    {.name = "out_per_cycle",
     .type = NPU_P_FLOAT,
     .def = 8,
     .min = 0.01,
     .max = 1e6,
     .unit = "results/cycle",
     .doc = "conv results CORE hands to the DPU per cycle at int8 (profiler: 64->64 1x1 conv "
            "at 2x ideal, research §1.6/§2.4 row 117, derived)"},
    {.name = "dpu_bytes",
     .type = NPU_P_FLOAT,
     .def = 16,
     .min = 0.01,
     .max = 1e6,
     .unit = "B/cycle",
     .doc = "DPU element-wise throughput in flying mode: one 16-byte feature atom per cycle "
            "(assumption)"},
    {.name = "lut_rate",
     .type = NPU_P_FLOAT,
     .def = 4.2,
     .min = 0.01,
     .max = 1e6,
     .unit = "elem/cycle",
     .doc = "DPU LUT stage elements per cycle per pass (NVDLA nv_full SDP: Y stage with the LUT "
            "4/cycle against 16 for BS/BN, research nvdla §2.2; RKNPU's DPU keeps NVDLA's "
            "BS/BN/EW/LUT structure: assumption; fitted on the yolov5s SiLU/ReLU pair)"},
    {.name = "pass_cycles",
     .type = NPU_P_FLOAT,
     .def = 133,
     .min = 0,
     .max = 1e6,
     .unit = "cycles",
     .doc = "least cycles one weight set spends in the MAC cells in conv mode: a task with "
            "fewer output pixels than this leaves the array idle for the rest (assumption: "
            "weight-stationary cells, JAS; fitted on ResNet-50/MobileNetV2/YOLO rows); FC mode "
            "(one output pixel) streams its weights and is exempt (TRM 0x1060)"},
    {.name = "wload",
     .type = NPU_P_FLOAT,
     .def = 1,
     .min = 0.05,
     .max = 1,
     .unit = "",
     .doc = "rate of a conv task's weight load into the CBUF (before it computes) as a "
            "fraction of dma_bytes: 1 = the port (RK3588, whose rows were fitted so); the "
            "siblings without RK3588's weight compression fit ~0.5 (assumption, "
            "docs/models/rknpu.md §15)"},
    {.name = "ppu_bytes",
     .type = NPU_P_FLOAT,
     .def = 16,
     .min = 0.01,
     .max = 1e6,
     .unit = "B/cycle",
     .doc = "PPU pooling input bytes per cycle (assumption: one atom)"},
    {.name = "transpose_cpe",
     .type = NPU_P_FLOAT,
     .def = 1.7,
     .min = 0,
     .max = 1e6,
     .unit = "cycles/elem",
     .doc = "DPU cycles per element of a transpose (profiler row 103, perf_debug /6, 800 MHz: "
            "derived, low confidence)"},
    {.name = "softmax_cpe",
     .type = NPU_P_FLOAT,
     .def = 4.4,
     .min = 0,
     .max = 1e6,
     .unit = "cycles/elem",
     .doc = "DPU cycles per element of a softmax over a non-channel axis (profiler row 104, "
            "derived, low confidence)"},
    {.name = "atom_bytes",
     .type = NPU_P_INT,
     .def = 16,
     .min = 1,
     .max = 1024,
     .unit = "B",
     .doc = "feature atom C2 x element bytes (RK3588 C2(int8)=16, RK3566 8; API152 Table 4-6)"},
    {.name = "kgroup",
     .type = NPU_P_INT,
     .def = 32,
     .min = 1,
     .max = 1024,
     .unit = "kernels",
     .doc = "int8 kernels per kernel group; 16-bit dtypes use half (TRM CNA_CONV_CON2: 32/16)"},
    {.name = "cbuf_banks",
     .type = NPU_P_INT,
     .def = 12,
     .min = 2,
     .max = 1024,
     .unit = "",
     .doc = "CBUF banks (Mesa rkt_ml.h CBUF_BANKS=12, research §1.1)"},
    {.name = "cbuf_bank_kb",
     .type = NPU_P_INT,
     .def = 32,
     .min = 1,
     .max = 65536,
     .unit = "KiB",
     .doc = "CBUF bank size (32 KiB = 256 entries x 128 B, Mesa rkt_ml.h)"},
    {.name = "split_data_banks",
     .type = NPU_P_INT,
     .def = 7,
     .min = 1,
     .max = 1023,
     .unit = "",
     .doc = "data banks when the weights do not fit (Mesa rkt_task.c: 7 input + 5 weights)"},
    {.name = "dma_bytes",
     .type = NPU_P_FLOAT,
     .def = 10.75,
     .min = 0.01,
     .max = 1e6,
     .unit = "B/cycle",
     .doc = "per-core AXI bytes per cycle, each way or (dma_shared) for reads and writes "
            "together (calibrated on RK3588's zoo CNNs and the RKLLM decode rows, which stream "
            "20.5-25.8 GB/s of weights on 3 cores: scripts/validation/rknpu.lua; the "
            "profiler's ~16 B/cycle is reads+writes, research §1.5)"},
    {.name = "dma_shared",
     .type = NPU_P_BOOL,
     .def = 1,
     .min = 0,
     .max = 1,
     .unit = "",
     .doc = "a core's reads and writes share one AXI budget of dma_bytes per cycle (true: a "
            "task's port time is (reads + writes) / dma_bytes, as Rockchip's profiler models "
            "DDR cycles = RW bytes / ~16 B, research §1.5; assumption for the write side, "
            "fitted on RK3588's rows and kept for the whole family, docs/models/rknpu.md §16) "
            "or dma_bytes each way (false: the model before issue #13 round 8)"},
    {.name = "task_cycles",
     .type = NPU_P_FLOAT,
     .def = 66,
     .min = 0,
     .max = 1e9,
     .unit = "cycles",
     .doc = "fixed cost of one task: CBUF fill latency, pipeline fill and drain (assumption, "
            "calibrated with reg_cycles on rknn_model_zoo; see docs/models/rknpu.md)"},
    {.name = "reg_cycles",
     .type = NPU_P_FLOAT,
     .def = 72,
     .min = 0,
     .max = 1e6,
     .unit = "cycles/entry",
     .doc = "cost per regcmd entry a task applies (blocks reconfigured and drained between "
            "layers; a full conv task ~120 entries, a later tile ~14; assumption, calibrated)"},
    {.name = "pc_cycles",
     .type = NPU_P_FLOAT,
     .def = 32,
     .min = 0,
     .max = 1e9,
     .unit = "cycles",
     .doc = "PC decode of one fetched task list besides its DRAM read (assumption)"},
    {.name = "max_tasks",
     .type = NPU_P_INT,
     .def = 4095,
     .min = 1,
     .max = 65535,
     .unit = "",
     .doc = "tasks per submit and core (RK3588 12-bit task counter: 4095; research §4.2)"},
    {.name = "kick_writes",
     .type = NPU_P_INT,
     .def = 8,
     .min = 0,
     .max = 1000,
     .unit = "",
     .doc = "MMIO writes of one core's kick (rknpu_job_subcore_commit_pc: 8; research §4.2)"},
    {.name = "irq_mode",
     .type = NPU_P_ENUM,
     .def_s = "job",
     .choices = "job|task",
     .unit = "",
     .doc = "job: one interrupt per submit per core (downstream rknpu driver, RKNN); task: one "
            "per task, next task kicked from the IRQ handler (mainline rocket)"},
    {.name = "runtime",
     .type = NPU_P_ENUM,
     .def_s = "rknn",
     .choices = "rknn|rkllm",
     .unit = "",
     .doc = "placement: rknn = RKNN toolkit operator support; rkllm = matmuls with weights on "
            "the NPU, everything else on the CPU (RKLLM, research §3)"},
    {.name = "rkllm_adtype",
     .type = NPU_P_ENUM,
     .def_s = "graph",
     .choices = "graph|fp16",
     .unit = "",
     .doc = "activations of RKLLM's NPU matmuls: graph = the run's dtype (RK3588's w8a8 runs "
            "int8 x int8); fp16 = fp16 whatever the weights' width, the weights widened as the "
            "CNA loads them, at the fp16 rate (RK3576: assumption, docs/models/rknpu.md §12)"},
    {.name = "io",
     .type = NPU_P_ENUM,
     .def_s = "normal",
     .choices = "normal|zerocopy",
     .unit = "",
     .doc = "normal: the CPU converts inputs/outputs (layout NHWC<->NC1HWC2, (de)quantize); "
            "zerocopy: native layout, no conversion (RT-API)"},
    {.name = "pingpong",
     .type = NPU_P_BOOL,
     .def = 1,
     .min = 0,
     .max = 1,
     .unit = "",
     .doc = "PC fetches the next task's registers while the current runs (RKNN submit flags "
            "0x5, the last submit 0x1; research §4.1)"},
    {.name = "weight_preload",
     .type = NPU_P_BOOL,
     .def = 1,
     .min = 0,
     .max = 1,
     .unit = "",
     .doc = "a conv task's fresh weights are in the CBUF before the MAC array starts "
            "(assumption: Mesa/NVDLA full-weight mode; feature rows stream while computing; "
            "the zoo's ResNet-50 on four chips needs the load exposed). Matmul (gemm) "
            "weights always stream beside the compute: the rknn_matmul API reaches ~88 % of "
            "a core's int8 peak at 128x1024x8192 (research §2.3, MC)"},
    {.name = "use_sram",
     .type = NPU_P_BOOL,
     .def = 0,
     .min = 0,
     .max = 1,
     .unit = "",
     .doc = "RKNN_INTERNAL_MEM_TYPE=sram: internal feature maps up to half of sram.kb live in "
            "the system SRAM (research §1.5; the half is an assumption: producer and consumer)"},
    {.name = "conv_kmax",
     .type = NPU_P_INT,
     .def = 31,
     .min = 1,
     .max = 1024,
     .unit = "",
     .doc = "largest conv kernel on the NPU (OPLIST 3.2.5: 1-31)"},
    {.name = "conv_smax",
     .type = NPU_P_INT,
     .def = 7,
     .min = 1,
     .max = 1024,
     .unit = "",
     .doc = "largest conv stride on the NPU (OPLIST: 1-7)"},
    {.name = "conv_pmax",
     .type = NPU_P_INT,
     .def = 15,
     .min = 0,
     .max = 1024,
     .unit = "",
     .doc = "largest conv padding on the NPU (OPLIST: 0-15)"},
    {.name = "conv_dmax",
     .type = NPU_P_INT,
     .def = 31,
     .min = 1,
     .max = 1024,
     .unit = "",
     .doc = "largest conv dilation on the NPU (OPLIST: 1-31)"},
    {.name = "dw_kmax",
     .type = NPU_P_INT,
     .def = 8,
     .min = 1,
     .max = 1024,
     .unit = "",
     .doc = "largest depthwise kernel on the NPU (OPLIST 3.2.6: 1-8)"},
    {.name = "pool_kmax",
     .type = NPU_P_INT,
     .def = 7,
     .min = 1,
     .max = 1024,
     .unit = "",
     .doc = "largest pooling kernel on the NPU (OPLIST 3.2.44: <=7)"},
    {.name = "pool_smax",
     .type = NPU_P_INT,
     .def = 8,
     .min = 1,
     .max = 1024,
     .unit = "",
     .doc = "largest pooling stride on the NPU (OPLIST: <=8)"},
    {.name = "pool_dimmax",
     .type = NPU_P_INT,
     .def = 8192,
     .min = 1,
     .max = 1 << 30,
     .unit = "",
     .doc = "largest pooling C/H/W on the NPU (OPLIST: <=8192)"},
    {.name = "transpose_max",
     .type = NPU_P_INT,
     .def = 8192,
     .min = 1,
     .max = 1 << 30,
     .unit = "",
     .doc = "largest moved-dims product of an NPU transpose (OPLIST 3.2.62, "
            "toolkit2#490: 8192)"},
    {.name = "matmul_kmax",
     .type = NPU_P_INT,
     .def = 8192,
     .min = 1,
     .max = 1 << 30,
     .unit = "",
     .doc = "largest K of an NPU matmul (OPLIST 3.2.76: exMatMul k <= 8192)"},
    {.name = NULL},
};

double npu_rknpu_mac_rate(const npu_rknpu_state *s, npu_dtype dt)
{
    switch (dt) {
    case NPU_DT_INT8:
    case NPU_DT_UINT8:
    case NPU_DT_BOOL:
        return s->mac_int8;
    case NPU_DT_INT4:
        return s->mac_int4;
    case NPU_DT_INT16:
    case NPU_DT_FP16:
    case NPU_DT_BF16:
        return s->mac_16;
    case NPU_DT_FP32:
        return s->mac_tf32;
    default:
        return 0;
    }
}

static int prec_bytes(int precision)
{
    switch (precision) {
    case 1:
    case 2:
    case 3:
        return 2;
    case 7:
        return 4;
    default:
        return 1;
    }
}

static double prec_rate(const npu_rknpu_state *s, int precision)
{
    switch (precision) {
    case 1:
    case 2:
    case 3:
        return s->mac_16;
    case 6:
        return s->mac_int4;
    case 7:
        return s->mac_tf32;
    default:
        return s->mac_int8;
    }
}

/* Precision code (TRM reg 0x100C) of the mixed-pair names' parts: w4 = int4, w8 = int8,
 * a16 = fp16, a8 = int8; -1 for another name. */
static int pair_code(char kind, int bits)
{
    if (kind == 'w')
        return bits == 4 ? 6 : bits == 8 ? 0 : bits == 16 ? 2 : -1;
    return bits == 8 ? 0 : bits == 16 ? 2 : -1;
}

/* Parses mac_pairs ("w4a16=512,w4a8=1024") into s->pair_rate[w][a]. */
static int parse_pairs(npu_rknpu_state *s, const char *txt, npu_err *err)
{
    for (int w = 0; w < 8; w++)
        for (int a = 0; a < 8; a++)
            s->pair_rate[w][a] = -1;
    const char *p = txt ? txt : "";
    while (*p) {
        int wb = 0, ab = 0, n = 0;
        double rate = 0;
        if (sscanf(p, "w%da%d=%lf%n", &wb, &ab, &rate, &n) != 3 || n <= 0 || rate < 0 ||
            pair_code('w', wb) < 0 || pair_code('a', ab) < 0)
            return npu_err_set(err, NPU_EINVAL,
                               "rknpu: mac_pairs '%s': expected entries like w4a16=512 "
                               "(weights w4/w8/w16, activations a8/a16) separated by commas",
                               txt);
        s->pair_rate[pair_code('w', wb)][pair_code('a', ab)] = rate;
        p += n;
        if (*p == ',')
            p++;
        else if (*p)
            return npu_err_set(err, NPU_EINVAL, "rknpu: mac_pairs '%s': ',' expected at '%s'",
                               txt, p);
    }
    return 0;
}

/* MACs per cycle of a task whose activations have precision code `a` and weights `w`: the
 * preset's mac_pairs entry, else the rate of the wider of the two (the CNA widens narrower
 * weights as it loads them — dequantization where the MAC array needs it). */
static double pair_rate(const npu_rknpu_state *s, int a, int w)
{
    if (w == a || a < 0 || a > 7 || w < 0 || w > 7)
        return prec_rate(s, a);
    if (s->pair_rate[w][a] >= 0)
        return s->pair_rate[w][a];
    return prec_bytes(w) > prec_bytes(a) ? prec_rate(s, w) : prec_rate(s, a);
}

/* The compute side of one task, in core cycles (memory is the engine's business):
 *   conv/deconv: padded MACs at the dtype's rate, or the CORE→DPU drain of out_per_cycle
 *                results (scaled like the MAC rate for other dtypes), whichever is longer;
 *   depthwise:   padded MACs at rate/dw_div, or the drain;
 *   + a fused PPU never limits (it consumes the DPU's output at its own atom rate, which is
 *     faster than the drain) — its cost is the larger of the two;
 *   + a LUT activation: its first pass runs in the DPU pipeline behind the MAC array at
 *     lut_rate outputs per cycle (a drain limit); a second pass (the multiply of x·g(x),
 *     t->lut_passes = 2) cannot overlap the first and adds outputs / lut_rate;
 *   DPU alone:   elements at dpu_bytes per cycle (transpose/softmax at their own cost), or the
 *     LUT passes at lut_rate, whichever is slower;
 *   PPU alone:   input bytes at ppu_bytes per cycle. */
bool npu_rknpu_task_image(const npu_rknpu_state *s, const npu_rkn_task *t)
{
    return (t->kind == NPU_RKN_K_CONV || t->kind == NPU_RKN_K_DECONV) &&
           (double)t->in_c * prec_bytes(t->precision) < (double)s->atom_bytes;
}

/* The task's work per block (docs/models/rknpu.md §3c): what the CORE, the DPU's flying pass,
 * the DPU passes that cannot fly and the PPU each take. */
static void task_stages(const npu_rknpu_state *s, const npu_rkn_task *t, bool lut_stage,
                        npu_rknpu_stages *st)
{
    memset(st, 0, sizeof *st);
    double eb = prec_bytes(t->precision);
    double rate = pair_rate(s, t->precision, t->wprecision);
    double scale = s->mac_int8 > 0 ? rate / s->mac_int8 : 1;
    double outs = (double)t->out_h * t->out_w * t->out_k;
    switch (t->kind) {
    case NPU_RKN_K_CONV:
    case NPU_RKN_K_DECONV:
    case NPU_RKN_K_DW: {
        double pm = outs * (double)t->in_c * t->kh * t->kw;
        if (t->kind == NPU_RKN_K_DW)
            pm = outs * t->kh * t->kw;
        double r = t->kind == NPU_RKN_K_DW ? rate / s->dw_div : rate;
        double c = r > 0 ? pm / r : 0;
        /* weight-stationary passes (conv mode): the MAC cells hold one weight set (a kernel
         * group × the channels of one cycle) while the task's P output pixels stream through,
         * P cycles a set; a set cannot leave the cells sooner than pass_cycles, so a task of
         * fewer pixels runs at P / pass_cycles of the rate. FC mode (P = 1: a gemm of one row,
         * ResNet's classifier, LLM decode) fetches weights per feature pixel instead (TRM
         * 0x1060) and is bounded by its weight DMA; depthwise and the image-input conv have
         * their own rates. The profiler's static "NPU Cycles" leave it out (lut_stage). */
        double pix = (double)t->out_h * t->out_w;
        if (lut_stage && t->kind != NPU_RKN_K_DW && pix > 1 && pix < s->pass_cycles &&
            !npu_rknpu_task_image(s, t))
            c *= s->pass_cycles / pix;
        double drain = outs / (s->out_per_cycle * (scale > 0 ? scale : 1));
        /* an image-input conv (fewer channels than one atom) has the profiler's plain
         * MACs/rate (row 2: 3->32 3x3 s2 at 10584 cycles), no drain limit */
        if (npu_rknpu_task_image(s, t))
            drain = 0;
        st->core = drain > c ? drain : c;
        if (lut_stage && t->lut_passes > 0) {
            st->dpu = outs / s->lut_rate;
            st->dpu2 = (t->lut_passes - 1) * st->dpu;
        }
        if (t->flags & NPU_RKN_TF_PPU)
            st->ppu = outs * eb / s->ppu_bytes;
        return;
    }
    case NPU_RKN_K_DPU: {
        double c = (double)t->elems * eb / s->dpu_bytes;
        if (t->ppu_kh == -1)
            c = (double)t->elems * s->transpose_cpe;
        else if (t->ppu_kh == -2)
            c = (double)t->elems * s->softmax_cpe;
        else if (t->ppu_kh > 1)
            c *= t->ppu_kh; /* passes over the data (softmax/norm on channels) */
        double lut = lut_stage ? (double)t->elems * t->lut_passes / s->lut_rate : 0;
        st->dpu = lut > c ? lut : c;
        return;
    }
    case NPU_RKN_K_PPU:
        st->ppu = (double)t->elems * eb / s->ppu_bytes;
        return;
    default:
        return;
    }
}

/* The blocks' work as one figure: the CORE with the DPU's flying pass behind it, then the
 * passes that cannot fly; a fused PPU consumes the DPU's output at its own rate. */
static double task_cycles(const npu_rknpu_state *s, const npu_rkn_task *t, bool lut_stage)
{
    npu_rknpu_stages st;
    task_stages(s, t, lut_stage, &st);
    double c = (st.core > st.dpu ? st.core : st.dpu) + st.dpu2;
    return st.ppu > c ? st.ppu : c;
}

void npu_rknpu_task_stages(const npu_rknpu_state *s, const npu_rkn_task *t, npu_rknpu_stages *st)
{
    task_stages(s, t, true, st);
}

double npu_rknpu_task_compute(const npu_rknpu_state *s, const npu_rkn_task *t)
{
    return task_cycles(s, t, true);
}

double npu_rknpu_task_npu_cycles(const npu_rknpu_state *s, const npu_rkn_task *t)
{
    return task_cycles(s, t, false);
}

static int rknpu_init(npu_model *m, npu_err *err)
{
    npu_rknpu_state *s = m->state;
    memset(s, 0, sizeof *s);
    s->freq_mhz = npu_model_float(m, "freq_mhz");
    s->cores = (int)npu_model_int(m, "cores");
    const char *cm = npu_model_str(m, "core_mask");
    unsigned all = (1u << s->cores) - 1u;
    if (!strcmp(cm, "auto") || !strcmp(cm, "0"))
        s->core_mask = 1u;
    else if (!strcmp(cm, "1"))
        s->core_mask = 2u;
    else if (!strcmp(cm, "2"))
        s->core_mask = 4u;
    else if (!strcmp(cm, "0_1"))
        s->core_mask = 3u;
    else if (!strcmp(cm, "0_1_2"))
        s->core_mask = 7u;
    else /* "all": the enum admits nothing else (params.c refuses other values) */
        s->core_mask = all;
    if (s->core_mask & ~all)
        return npu_err_set(err, NPU_EINVAL,
                           "rknpu: core_mask=%s needs more cores than the "
                           "chip has (cores=%d)",
                           cm, s->cores);
    s->ncores = 0;
    s->first_core = -1;
    for (int c = 0; c < NPU_RKN_MAX_CORES; c++)
        if (s->core_mask & (1u << c)) {
            s->ncores++;
            if (s->first_core < 0)
                s->first_core = c;
        }
    s->mac_int8 = npu_model_float(m, "mac_int8");
    s->mac_16 = npu_model_float(m, "mac_fp16");
    s->mac_int4 = npu_model_float(m, "mac_int4");
    s->mac_tf32 = npu_model_float(m, "mac_tf32");
    s->dw_div = npu_model_float(m, "dw_div");
    if (parse_pairs(s, npu_model_str(m, "mac_pairs"), err))
        return err->code;
    s->out_per_cycle = npu_model_float(m, "out_per_cycle");
    s->dpu_bytes = npu_model_float(m, "dpu_bytes");
    s->lut_rate = npu_model_float(m, "lut_rate");
    s->pass_cycles = npu_model_float(m, "pass_cycles");
    s->wload = npu_model_float(m, "wload");
    s->ppu_bytes = npu_model_float(m, "ppu_bytes");
    s->transpose_cpe = npu_model_float(m, "transpose_cpe");
    s->softmax_cpe = npu_model_float(m, "softmax_cpe");
    s->atom_bytes = npu_model_int(m, "atom_bytes");
    s->kgroup = npu_model_int(m, "kgroup");
    s->banks = npu_model_int(m, "cbuf_banks");
    s->bank_bytes = npu_model_int(m, "cbuf_bank_kb") * 1024;
    s->split_data_banks = npu_model_int(m, "split_data_banks");
    s->dma_bytes = npu_model_float(m, "dma_bytes");
    s->task_cycles = npu_model_float(m, "task_cycles");
    s->pc_cycles = npu_model_float(m, "pc_cycles");
    s->reg_cycles = npu_model_float(m, "reg_cycles");
    s->max_tasks = (int)npu_model_int(m, "max_tasks");
    s->kick_writes = (int)npu_model_int(m, "kick_writes");
    s->irq_mode =
        !strcmp(npu_model_str(m, "irq_mode"), "task") ? NPU_RKNPU_IRQ_TASK : NPU_RKNPU_IRQ_JOB;
    s->runtime =
        !strcmp(npu_model_str(m, "runtime"), "rkllm") ? NPU_RKNPU_RT_RKLLM : NPU_RKNPU_RT_RKNN;
    s->rkllm_a16 = !strcmp(npu_model_str(m, "rkllm_adtype"), "fp16");
    s->zerocopy = !strcmp(npu_model_str(m, "io"), "zerocopy");
    s->pingpong = npu_model_bool(m, "pingpong");
    s->use_sram = npu_model_bool(m, "use_sram");
    s->weight_preload = npu_model_bool(m, "weight_preload");
    s->dma_shared = npu_model_bool(m, "dma_shared");
    s->sram_bytes = npu_model_int(m, "sram.kb") * 1024;
    s->conv_kmax = (int)npu_model_int(m, "conv_kmax");
    s->conv_smax = (int)npu_model_int(m, "conv_smax");
    s->conv_pmax = (int)npu_model_int(m, "conv_pmax");
    s->conv_dmax = (int)npu_model_int(m, "conv_dmax");
    s->dw_kmax = (int)npu_model_int(m, "dw_kmax");
    s->pool_kmax = (int)npu_model_int(m, "pool_kmax");
    s->pool_smax = (int)npu_model_int(m, "pool_smax");
    s->pool_dimmax = (int)npu_model_int(m, "pool_dimmax");
    s->transpose_max = (int)npu_model_int(m, "transpose_max");
    s->matmul_kmax = (int)npu_model_int(m, "matmul_kmax");
    if (s->split_data_banks >= s->banks)
        return npu_err_set(err, NPU_EINVAL,
                           "rknpu: split_data_banks=%lld must be below "
                           "cbuf_banks=%lld (the weights need at least one bank)",
                           (long long)s->split_data_banks, (long long)s->banks);
    if (s->atom_bytes < 2)
        return npu_err_set(err, NPU_EINVAL, "rknpu: atom_bytes must be at least 2");
    return 0;
}

static int rknpu_disasm(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out)
{
    (void)m;
    return npu_rkn_disasm(p, i, out);
}

/* Dtype policy: the MAC array runs int8/int16/fp16/bf16/int4 (and tf32 for fp32). A dtype the
 * array cannot run (its rate set to 0) falls back to int8 for integers and fp16 for floats. */
static npu_dtype rknpu_dtype_for(const npu_model *m, const npu_graph *g, int li, npu_dtype want)
{
    (void)g;
    (void)li;
    const npu_rknpu_state *s = m->state;
    if (want == NPU_DT_FP32)
        return s->mac_16 > 0 ? NPU_DT_FP16 : NPU_DT_INT8; /* RKNN converts fp32 models to fp16 */
    if (npu_rknpu_mac_rate(s, want) > 0)
        return want;
    return npu_dtype_is_float(want) && s->mac_16 > 0 ? NPU_DT_FP16 : NPU_DT_INT8;
}

static npu_dtype rknpu_default_dtype(const npu_model *m)
{
    (void)m;
    return NPU_DT_INT8;
}

/* The MAC-array size parameters (conformance doubles them together). */
static const char *const rknpu_array_keys[] = {"mac_int8", "mac_fp16", "mac_int4", "mac_tf32",
                                               NULL};

static void rknpu_fini(npu_model *m)
{
    if (m && m->state)
        npu_rknpu_exec_free(m->state);
}

const npu_model_ops npu_model_rknpu = {
    .abi = NPU_MODEL_ABI,
    .name = "rknpu",
    .summary = "Rockchip RKNPU2 (RK3588 & siblings): CNA/CORE/DPU/PPU, regcmd tasks, multi-core, "
               "CPU fallback",
    .params = rknpu_params,
    .state_size = sizeof(npu_rknpu_state),
    .init = rknpu_init,
    .lower = npu_rknpu_lower,
    .execute = npu_rknpu_execute,
    .disasm = rknpu_disasm,
    .check = npu_rkn_check,
    .explain = npu_rknpu_explain,
    .fini = rknpu_fini,
    .dtype_for = rknpu_dtype_for,
    .default_dtype = rknpu_default_dtype,
    .array_keys = rknpu_array_keys,
    .stored_weight_bytes = npu_rknpu_stored_weight,
    .stored_tensor_bytes = npu_rknpu_stored_tensor,
    .weight_dtype = true,
};
