/* nvdla.c — the `nvdla` model: NVIDIA's open NVDLA (nv_small headless … nv_full headed), its
 * parameter table, validation and the ops table.
 *
 * Assumptions and sources (research/nvdla.md; every default says where it comes from, docs/
 * models/nvdla.md has the full table):
 *   - Defaults are nv_small (nvdla/hw master spec/defs/nv_small.spec, research §1.4): atomic-C
 *     8, atomic-K 8, CBUF 32 banks x 4 KiB, SDP/PDP/CDP 1 element/cycle, 64-bit DBB with a
 *     latency tolerance of 64 cycles, no SRAMIF, Winograd, compression, BDMA, Rubik, LUT.
 *   - Stripes of 16..32 atomics, 16 cycles to load the weights of the next stripe (IAS, research
 *     §2.1: "needs 16 cycles to load weight for next atomic operation").
 *   - CSB writes per operation from the reference RTL traces (research §3.3): conv+SDP 162 of
 *     which the SDP part is 42 (sdp_relu trace) -> conv 120; PDP 37; CDP 28, Rubik 22, BDMA 16
 *     (call sites counted in the KMD, derived).
 *   - The KMD's per-operation software costs on Linux (dma-buf access to descriptors, address
 *     resolution) have no published figure: kmd_read_cycles and kmd_addr_cycles are
 *     ASSUMPTIONS, calibrated once on the only measured system (nv_small, Zynq-7045, A9 Linux,
 *     LeNet-5 11.2 ms, research §5) and expressed in host cycles so they scale with the host.
 * Mechanisms are in lower.c (placement, CBUF plan, descriptors) and timing.c (engine jobs).
 */
#include "nvdla.h"

#include <stdlib.h>
#include <string.h>

static const npu_param_def nvdla_params[] = {
    {.name = "fidelity", .type = NPU_P_ENUM, .def_s = "detailed", .choices = "detailed|spreadsheet",
     .unit = "", .doc = "detailed: simulation of the pipeline, DMA and KMD/host; spreadsheet: "
                         "NVIDIA's performance spreadsheet (research §1.3)"},
    {.name = "freq_mhz", .type = NPU_P_FLOAT, .def = 1000, .min = 1, .max = 10000, .unit = "MHz",
     .doc = "core clock (Primer tables are at 1 GHz; FPGA builds run at 100 MHz)"},
    {.name = "mac_atomic_c", .type = NPU_P_INT, .def = 8, .min = 1, .max = 1024, .unit = "ch",
     .doc = "Atomic-C: input channels per atomic operation (nv_small.spec: 8)"},
    {.name = "mac_atomic_k", .type = NPU_P_INT, .def = 8, .min = 1, .max = 1024, .unit = "kernels",
     .doc = "Atomic-K: kernels per atomic operation (nv_small.spec: 8)"},
    {.name = "cbuf_banks", .type = NPU_P_INT, .def = 32, .min = 2, .max = 256, .unit = "",
     .doc = "convolution buffer banks (nv_small.spec: 32)"},
    {.name = "cbuf_bank_kb", .type = NPU_P_INT, .def = 4, .min = 1, .max = 4096, .unit = "KiB",
     .doc = "bytes per CBUF bank (nv_small.spec: 8 B x 512 entries = 4 KiB)"},
    {.name = "stripe_max", .type = NPU_P_INT, .def = 32, .min = 1, .max = 1024, .unit = "atomics",
     .doc = "longest stripe, limited by the CACC buffer (IAS: 32)"},
    {.name = "wt_load_cycles", .type = NPU_P_INT, .def = 16, .min = 0, .max = 1024,
     .unit = "cycles", .doc = "CSC weight load for the next stripe (IAS: 16 cycles; FC batch 1 "
                              "runs at 1/16)"},
    {.name = "conv_pipe_cycles", .type = NPU_P_INT, .def = 18, .min = 0, .max = 100000,
     .unit = "cycles", .doc = "conv pipeline fill per chunk: CMAC depth 7 + CACC read-store 11 "
                              "(IAS, research §2.1)"},
    {.name = "sdp_throughput", .type = NPU_P_INT, .def = 1, .min = 1, .max = 1024,
     .unit = "elem/cycle", .doc = "SDP bias/BN/activation elements per cycle (nv_small.spec: 1)"},
    {.name = "sdp_ew_throughput", .type = NPU_P_INT, .def = 0, .min = 0, .max = 1024,
     .unit = "elem/cycle", .doc = "SDP element-wise elements per cycle; 0 = no element-wise "
                                  "(nv_small.spec: none)"},
    {.name = "sdp_lut", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "SDP/CDP lookup table for sigmoid/tanh-like functions (nv_small.spec: no)"},
    {.name = "cacc_throughput", .type = NPU_P_INT, .def = 0, .min = 0, .max = 1024,
     .unit = "elem/cycle", .doc = "CACC to SDP elements per cycle; 0 = atomic-K (IAS: 16 on "
                                  "nv_full; nv_small figure not published, assumption)"},
    {.name = "pdp_throughput", .type = NPU_P_INT, .def = 1, .min = 1, .max = 1024,
     .unit = "elem/cycle", .doc = "PDP input elements per cycle (nv_small.spec: 1)"},
    {.name = "cdp_throughput", .type = NPU_P_INT, .def = 1, .min = 1, .max = 1024,
     .unit = "elem/cycle", .doc = "CDP elements per cycle (nv_small.spec: 1)"},
    {.name = "dbb_bytes", .type = NPU_P_FLOAT, .def = 8, .min = 1, .max = 4096, .unit = "B/cycle",
     .doc = "primary memory interface (DBBIF) width per DMA (nv_small.spec: 64 bit)"},
    {.name = "dbb_latency", .type = NPU_P_INT, .def = 64, .min = 1, .max = 100000,
     .unit = "cycles", .doc = "latency the DBB request buffers cover; a longer memory latency "
                              "caps each DMA at width x tolerance / latency (nv_small.spec: 64)"},
    {.name = "sramif", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "second memory interface to on-chip SRAM (needs sram.kb > 0; nv_small: none)"},
    {.name = "sramif_bytes", .type = NPU_P_FLOAT, .def = 64, .min = 1, .max = 4096,
     .unit = "B/cycle", .doc = "SRAMIF width (nv_full: 512 bit)"},
    {.name = "winograd", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "Winograd convolution for 3x3 stride-1 layers (nv_full only)"},
    {.name = "weight_compress", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "sparse weight compression (nv_full only)"},
    {.name = "compress_ratio", .type = NPU_P_FLOAT, .def = 1.0, .min = 0.05, .max = 1, .unit = "",
     .doc = "compressed/dense weight bytes when compression is on (assumption: 1 = no sparsity "
            "known; hwarch: 60% sparse ~ 0.5)"},
    {.name = "bdma", .type = NPU_P_BOOL, .def = 0, .unit = "", .doc = "bridge DMA (nv_full)"},
    {.name = "rubik", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "Rubik data-reshape engine (nv_full)"},
    {.name = "rubik_bytes", .type = NPU_P_INT, .def = 64, .min = 1, .max = 4096, .unit = "B/cycle",
     .doc = "Rubik bytes per cycle (assumption: one DBB beat)"},
    {.name = "batch", .type = NPU_P_INT, .def = 1, .min = 1, .max = 32, .unit = "",
     .doc = "largest batch the conv pipeline runs at once (nv_small: 1; nv_full: 32)"},
    {.name = "fp16", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "INT16/FP16 datapath at half the INT8 MACs (nv_full; nv_small is INT8 only)"},
    {.name = "headed", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "a microcontroller (mcu.*) takes the per-operation interrupts; the CPU one per task"},
    {.name = "driver", .type = NPU_P_ENUM, .def_s = "auto", .choices = "auto|linux|baremetal|none",
     .unit = "",
     .doc = "KMD environment; auto: the system of the host.cpu profile (Linux, bare metal, none)"},
    {.name = "regs_conv", .type = NPU_P_INT, .def = 120, .min = 0, .max = 100000, .unit = "writes",
     .doc = "CSB writes to program a conv op (RTL traces: 162 for conv+SDP minus 42 for SDP)"},
    {.name = "regs_sdp", .type = NPU_P_INT, .def = 42, .min = 0, .max = 100000, .unit = "writes",
     .doc = "CSB writes for an SDP op (sdp_relu RTL trace: 42)"},
    {.name = "regs_pdp", .type = NPU_P_INT, .def = 37, .min = 0, .max = 100000, .unit = "writes",
     .doc = "CSB writes for a PDP op (pdp_max_pooling RTL trace: 37)"},
    {.name = "regs_cdp", .type = NPU_P_INT, .def = 28, .min = 0, .max = 100000, .unit = "writes",
     .doc = "CSB writes for a CDP op (KMD call sites, derived)"},
    {.name = "regs_bdma", .type = NPU_P_INT, .def = 16, .min = 0, .max = 100000, .unit = "writes",
     .doc = "CSB writes for a BDMA group (KMD call sites, derived)"},
    {.name = "regs_rubik", .type = NPU_P_INT, .def = 22, .min = 0, .max = 100000, .unit = "writes",
     .doc = "CSB writes for a Rubik op (KMD call sites, derived)"},
    {.name = "kmd_read_cycles", .type = NPU_P_FLOAT, .def = 100000, .min = 0, .max = 1e9,
     .unit = "host cycles", .doc = "Linux KMD dla_data_read (dma-buf get/begin_cpu_access/vmap/"
                                   "copy/put) per descriptor read (assumption, calibrated: §5)"},
    {.name = "kmd_addr_cycles", .type = NPU_P_FLOAT, .def = 100000, .min = 0, .max = 1e9,
     .unit = "host cycles", .doc = "Linux KMD dla_get_dma_address per surface (GEM/dma-buf "
                                   "lookup; assumption, calibrated: §5)"},
    {.name = "event_cycles", .type = NPU_P_FLOAT, .def = 2000, .min = 0, .max = 1e9,
     .unit = "host cycles", .doc = "dla_process_events walk of 6 processors x 2 groups per wake-up "
                                   "(assumption)"},
    {.name = "fuse_pdp", .type = NPU_P_BOOL, .def = 0, .unit = "",
     .doc = "conv + SDP + PDP on the fly where legal (kernel <= 8, stride <= 16, no batch, the "
            "pooling lines fit PDP's 7 KB line buffer); the open compiler does not (research §4)"},
    {.name = "runtime_convert", .type = NPU_P_BOOL, .def = 1, .unit = "",
     .doc = "the runtime converts graph inputs to NVDLA's feature layout and outputs back on the "
            "CPU (nvdla_runtime image/tensor copies)"},
    {.name = "fc_batch", .type = NPU_P_INT, .def = 16, .min = 1, .max = 32, .unit = "",
     .doc = "spreadsheet: FC batch b (stored configuration: 16)"},
    {.name = "ss_winograd", .type = NPU_P_BOOL, .def = 1, .unit = "",
     .doc = "spreadsheet: credit every 3x3 layer with 2.25x Winograd, as the sheet does for any "
            "configuration (nvdla/hw#202)"},
    {.name = NULL},
};

static int nvdla_init(npu_model *m, npu_err *err)
{
    npu_nvdla_state *s = m->state;
    memset(s, 0, sizeof *s);
    s->fidelity = strcmp(npu_model_str(m, "fidelity"), "spreadsheet") == 0
                      ? NPU_NVDLA_FID_SPREADSHEET
                      : NPU_NVDLA_FID_DETAILED;
    s->freq_mhz = npu_model_float(m, "freq_mhz");
    s->ac = npu_model_int(m, "mac_atomic_c");
    s->ak = npu_model_int(m, "mac_atomic_k");
    s->banks = npu_model_int(m, "cbuf_banks");
    s->bank_bytes = npu_model_int(m, "cbuf_bank_kb") * 1024;
    s->stripe_max = npu_model_int(m, "stripe_max");
    s->wt_load_cycles = npu_model_int(m, "wt_load_cycles");
    s->pipe_cycles = npu_model_int(m, "conv_pipe_cycles");
    s->sdp_thr = npu_model_int(m, "sdp_throughput");
    s->sdp_ew_thr = npu_model_int(m, "sdp_ew_throughput");
    s->sdp_lut = npu_model_bool(m, "sdp_lut");
    s->cacc_thr = npu_model_int(m, "cacc_throughput");
    if (s->cacc_thr <= 0)
        s->cacc_thr = s->ak;
    s->pdp_thr = npu_model_int(m, "pdp_throughput");
    s->cdp_thr = npu_model_int(m, "cdp_throughput");
    s->dbb_bytes = npu_model_float(m, "dbb_bytes");
    s->dbb_latency = (double)npu_model_int(m, "dbb_latency");
    s->sramif = npu_model_bool(m, "sramif");
    s->sramif_bytes = npu_model_float(m, "sramif_bytes");
    s->winograd = npu_model_bool(m, "winograd");
    s->compress = npu_model_bool(m, "weight_compress");
    s->compress_ratio = npu_model_float(m, "compress_ratio");
    s->bdma = npu_model_bool(m, "bdma");
    s->rubik = npu_model_bool(m, "rubik");
    s->rubik_bytes = npu_model_int(m, "rubik_bytes");
    s->max_batch = npu_model_int(m, "batch");
    s->fp16 = npu_model_bool(m, "fp16");
    s->headed = npu_model_bool(m, "headed");
    s->regs_conv = npu_model_int(m, "regs_conv");
    s->regs_sdp = npu_model_int(m, "regs_sdp");
    s->regs_pdp = npu_model_int(m, "regs_pdp");
    s->regs_cdp = npu_model_int(m, "regs_cdp");
    s->regs_bdma = npu_model_int(m, "regs_bdma");
    s->regs_rubik = npu_model_int(m, "regs_rubik");
    s->kmd_read_cycles = npu_model_float(m, "kmd_read_cycles");
    s->kmd_addr_cycles = npu_model_float(m, "kmd_addr_cycles");
    s->event_cycles = npu_model_float(m, "event_cycles");
    s->fc_batch = npu_model_int(m, "fc_batch");
    s->runtime_convert = npu_model_bool(m, "runtime_convert");
    s->fuse_pdp = npu_model_bool(m, "fuse_pdp");
    s->ss_winograd = npu_model_bool(m, "ss_winograd");
    s->dram_gbps = npu_model_float(m, "dram.gbps");
    s->sram_kb = (double)npu_model_int(m, "sram.kb");
    const char *drv = npu_model_str(m, "driver");
    const char *cpu = npu_model_str(m, "host.cpu");
    if (!strcmp(drv, "linux"))
        s->driver = NPU_NVDLA_DRV_LINUX;
    else if (!strcmp(drv, "baremetal"))
        s->driver = NPU_NVDLA_DRV_BAREMETAL;
    else if (!strcmp(drv, "none"))
        s->driver = NPU_NVDLA_DRV_NONE;
    else /* auto: the system the host profile runs */
        switch (npu_host_profile_os(cpu)) {
        case NPU_HOST_OS_LINUX:
            s->driver = NPU_NVDLA_DRV_LINUX;
            break;
        case NPU_HOST_OS_BAREMETAL:
            s->driver = NPU_NVDLA_DRV_BAREMETAL;
            break;
        default:
            s->driver = NPU_NVDLA_DRV_NONE;
        }
    const char *where = m->params && m->params->arch ? m->params->arch : "nvdla";
    if (s->headed && !npu_model_bool(m, "mcu.present"))
        return npu_err_set(err, NPU_EINVAL, "%s: headed=true needs a microcontroller: set "
                           "mcu.present=true", where);
    if (s->sramif && s->sram_kb <= 0)
        return npu_err_set(err, NPU_EINVAL, "%s: sramif=true needs on-chip SRAM: set sram.kb > 0",
                           where);
    if (s->ac * s->ak > 1048576)
        return npu_err_set(err, NPU_EINVAL, "%s: %lld x %lld MACs is beyond any NVDLA "
                           "configuration (max 1M)", where, (long long)s->ac, (long long)s->ak);
    return 0;
}

static void nvdla_fini(npu_model *m)
{
    if (m && m->state)
        npu_nvdla_exec_free(m->state);
}

static int nvdla_disasm(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out)
{
    (void)m;
    return npu_nv_disasm(p, i, out);
}

/* INT8 everywhere; INT16/FP16 where the configuration has the 16-bit datapath (then at half
 * the MACs); float requests on an INT8-only configuration run in INT8 (the NVDLA compiler
 * quantizes). */
static npu_dtype nvdla_dtype_for(const npu_model *m, const npu_graph *g, int li, npu_dtype want)
{
    (void)g;
    (void)li;
    const npu_nvdla_state *s = m->state;
    switch (want) {
    case NPU_DT_INT8:
    case NPU_DT_UINT8:
    case NPU_DT_INT4: return NPU_DT_INT8;
    case NPU_DT_INT16: return s->fp16 ? NPU_DT_INT16 : NPU_DT_INT8;
    case NPU_DT_FP16:
    case NPU_DT_BF16:
    case NPU_DT_FP32: return s->fp16 ? NPU_DT_FP16 : NPU_DT_INT8;
    default: return want;
    }
}

static npu_dtype nvdla_default_dtype(const npu_model *m)
{
    (void)m;
    return NPU_DT_INT8;
}

/* The MAC-array size parameters (conformance doubles them together). */
static const char *const nvdla_array_keys[] = {"mac_atomic_c", "mac_atomic_k", NULL};

const npu_model_ops npu_model_nvdla = {
    .abi = NPU_MODEL_ABI,
    .name = "nvdla",
    .summary = "NVIDIA NVDLA (nv_small headless .. nv_full headed): conv pipeline, SDP/PDP/CDP, "
               "CBUF modes, KMD interrupts; spreadsheet fidelity",
    .params = nvdla_params,
    .state_size = sizeof(npu_nvdla_state),
    .init = nvdla_init,
    .lower = npu_nvdla_lower,
    .execute = npu_nvdla_execute,
    .disasm = nvdla_disasm,
    .explain = npu_nvdla_explain,
    .fini = nvdla_fini,
    .dtype_for = nvdla_dtype_for,
    .default_dtype = nvdla_default_dtype,
    .array_keys = nvdla_array_keys,
    .check = npu_nv_check,
};
