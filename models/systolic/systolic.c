/* systolic.c — the `systolic` model: a generic R×C systolic MAC array with double-buffered
 * operand SRAMs, in the style of SCALE-Sim (research/peers.md §2), plus its parameters.
 *
 * Assumptions and sources (each default below says where it comes from):
 *   - Array, SRAM sizes, dataflow: SCALE-Sim v2 configs/scale.cfg (copy in
 *     shared/data/scalesim/scale.cfg): ArrayHeight 32, ArrayWidth 32, Ifmap/Filter/OfmapSramSzkB
 *     64, Dataflow os. SCALE-Sim splits each SRAM 50/50 for double buffering (peers.md §2.2).
 *   - Word size: the layer's dtype (int8 = 1 byte, SCALE-Sim's hard-coded word, peers.md §2.2)
 *     unless word_bytes overrides it; the array does one MAC per PE per cycle in any dtype.
 *   - Loader width 10 bytes/cycle: SCALE-Sim CALC mode backs IFMAP/FILTER with 10 words/cycle
 *     and OFMAP with ArrayWidth words/cycle (peers.md §2.2); we use those as DMA widths.
 *   - Clock 1000 MHz: assumption (SCALE-Sim has no clock; cycles are what it reports).
 *   - Two weight register sets per PE (weight_buffers=2): the TPU v1 matrix unit double-buffers
 *     its weight tile so that shifting in the next tile hides behind the current one (Jouppi et
 *     al., "In-Datacenter Performance Analysis of a Tensor Processing Unit", ISCA 2017, §2).
 *     weight_buffers=1 is SCALE-Sim's array (preload not hidden).
 *   - Vector unit for non-MAC layers (pool, eltwise, activations, norms, data movement):
 *     `vector_lanes` elements per cycle, reading and writing DRAM. This model's assumption;
 *     SCALE-Sim simulates only conv/GEMM layers.
 * The mechanisms are in lower.c (mapping, fold plan, SRAM fit) and timing.c (engine jobs).
 */
#include "systolic.h"

#include <inttypes.h>
#include <string.h>

static const npu_param_def systolic_params[] = {
    {.name = "rows", .type = NPU_P_INT, .def = 32, .min = 1, .max = 4096, .unit = "PEs",
     .doc = "array height R (SCALE-Sim ArrayHeight; default from SCALE-Sim v2 scale.cfg)"},
    {.name = "cols", .type = NPU_P_INT, .def = 32, .min = 1, .max = 4096, .unit = "PEs",
     .doc = "array width C (SCALE-Sim ArrayWidth; default from SCALE-Sim v2 scale.cfg)"},
    {.name = "dataflow", .type = NPU_P_ENUM, .def_s = "os", .choices = "os|ws|is", .unit = "",
     .doc = "output, weight or input stationary (SCALE-Sim Dataflow; default from scale.cfg)"},
    {.name = "fidelity", .type = NPU_P_ENUM, .def_s = "detailed", .choices = "scalesim|detailed",
     .unit = "",
     .doc = "scalesim: SCALE-Sim v2 stall-free compute cycles exactly, memory untimed; "
            "detailed: folds, double-buffered loaders and DRAM on the engine"},
    {.name = "ifmap_kb", .type = NPU_P_INT, .def = 64, .min = 1, .max = 1048576, .unit = "KiB",
     .doc = "IFMAP SRAM, two halves for double buffering (SCALE-Sim IfmapSramSzkB, scale.cfg)"},
    {.name = "filter_kb", .type = NPU_P_INT, .def = 64, .min = 1, .max = 1048576, .unit = "KiB",
     .doc = "filter SRAM, two halves (SCALE-Sim FilterSramSzkB, scale.cfg)"},
    {.name = "ofmap_kb", .type = NPU_P_INT, .def = 64, .min = 1, .max = 1048576, .unit = "KiB",
     .doc = "OFMAP SRAM, two halves (SCALE-Sim OfmapSramSzkB, scale.cfg)"},
    {.name = "word_bytes", .type = NPU_P_INT, .def = 0, .min = 0, .max = 8, .unit = "B",
     .doc = "bytes per operand word; 0 = the layer's dtype (int8: 1, as SCALE-Sim's hard-coded "
            "word; fp16: 2)"},
    {.name = "freq_mhz", .type = NPU_P_FLOAT, .def = 1000, .min = 1, .max = 10000,
     .unit = "MHz", .doc = "array clock (assumption: SCALE-Sim has no clock)"},
    {.name = "dma_bytes", .type = NPU_P_FLOAT, .def = 10, .min = 0.01, .max = 65536,
     .unit = "B/cycle",
     .doc = "width of each operand loader (ifmap, filter); SCALE-Sim CALC backing BW 10 "
            "words/cycle"},
    {.name = "ofmap_dma_bytes", .type = NPU_P_FLOAT, .def = 0, .min = 0, .max = 65536,
     .unit = "B/cycle",
     .doc = "width of the ofmap drain DMA; 0 = cols x word_bytes (SCALE-Sim CALC OFMAP BW)"},
    {.name = "vector_lanes", .type = NPU_P_INT, .def = 32, .min = 1, .max = 65536,
     .unit = "elem/cycle",
     .doc = "vector unit for non-MAC layers, elements per cycle (assumption: one per column)"},
    {.name = "weight_buffers", .type = NPU_P_INT, .def = 2, .min = 1, .max = 2, .unit = "",
     .doc = "stationary-operand register sets per PE: 2 hides the next fold's preload (TPU v1, "
            "ISCA 2017), 1 = SCALE-Sim"},
    {.name = NULL},
};

int64_t npu_systolic_fold_cycles(int dataflow, int64_t rows, int64_t cols, int64_t t)
{
    if (dataflow == NPU_SYS_DF_OS)
        return t + rows + cols - 2;
    return 2 * rows + cols + t - 2;
}

void npu_systolic_map(int dataflow, int64_t m, int64_t n, int64_t k, int64_t *sr, int64_t *sc,
                      int64_t *t)
{
    switch (dataflow) {
    case NPU_SYS_DF_WS: *sr = k; *sc = n; *t = m; break;
    case NPU_SYS_DF_IS: *sr = k; *sc = m; *t = n; break;
    default: *sr = m; *sc = n; *t = k; break;
    }
}

static bool is_load(int ld) { return ld == NPU_SYS_LD_PREFETCH || ld == NPU_SYS_LD_RESIDENT; }

int64_t npu_systolic_group_size(const npu_sys_layer *L, const npu_sys_fold *f, int64_t left)
{
    int64_t g = left;
    if (is_load(f->ifmap_ld) && f->ifmap_bytes > 0 && L->ifmap_half / f->ifmap_bytes < g)
        g = L->ifmap_half / f->ifmap_bytes;
    if (is_load(f->filter_ld) && f->filter_bytes > 0 && L->filter_half / f->filter_bytes < g)
        g = L->filter_half / f->filter_bytes;
    if ((f->flags & NPU_SYS_FF_OFMAP_DRAIN) && f->ofmap_wr_bytes > 0 &&
        L->ofmap_half / f->ofmap_wr_bytes < g)
        g = L->ofmap_half / f->ofmap_wr_bytes;
    return g < 1 ? 1 : g;
}

int64_t npu_systolic_fold_groups(const npu_sys_layer *L, const npu_sys_fold *f)
{
    int64_t k = npu_systolic_group_size(L, f, f->count); /* 1 .. count */
    int64_t per_sub = 1 + (f->count - 1 + k - 1) / k;    /* a sub-problem's first fold alone */
    return per_sub > INT64_MAX / 2 / L->nsub ? INT64_MAX / 2 : per_sub * L->nsub;
}

int npu_systolic_too_many_groups(int64_t groups, const char *where, npu_err *err)
{
    return npu_err_set(err, NPU_EUNSUPPORTED, "%s simulates %" PRId64 " fold groups (array "
                       "jobs), above the limit of %" PRId64 " (about 2 minutes; "
                       "docs/models/systolic.md): use a larger array, fewer channels or --set "
                       "fidelity=scalesim (one job per layer)", where, groups,
                       NPU_SYS_MAX_RUN_GROUPS);
}

static int systolic_init(npu_model *m, npu_err *err)
{
    npu_systolic_state *s = m->state;
    memset(s, 0, sizeof *s);
    s->rows = npu_model_int(m, "rows");
    s->cols = npu_model_int(m, "cols");
    const char *df = npu_model_str(m, "dataflow");
    s->dataflow = !strcmp(df, "ws") ? NPU_SYS_DF_WS : !strcmp(df, "is") ? NPU_SYS_DF_IS
                                                                          : NPU_SYS_DF_OS;
    const char *fid = npu_model_str(m, "fidelity");
    s->fidelity = !strcmp(fid, "scalesim") ? NPU_SYSTOLIC_FID_SCALESIM
                                           : NPU_SYSTOLIC_FID_DETAILED;
    s->word = npu_model_int(m, "word_bytes");
    s->ifmap_half = npu_model_int(m, "ifmap_kb") * 1024 / 2;
    s->filter_half = npu_model_int(m, "filter_kb") * 1024 / 2;
    s->ofmap_half = npu_model_int(m, "ofmap_kb") * 1024 / 2;
    s->freq_mhz = npu_model_float(m, "freq_mhz");
    s->dma_bytes = npu_model_float(m, "dma_bytes");
    s->ofmap_dma_bytes = npu_model_float(m, "ofmap_dma_bytes");
    if (s->ofmap_dma_bytes <= 0)
        s->ofmap_dma_bytes = (double)(s->cols * (s->word > 0 ? s->word : 1));
    s->vector_lanes = npu_model_int(m, "vector_lanes");
    s->weight_buffers = (int)npu_model_int(m, "weight_buffers");
    if (s->rows < 1 || s->cols < 1 || s->word < 0 || s->vector_lanes < 1 || s->dma_bytes <= 0)
        return npu_err_set(err, NPU_EINVAL, "systolic: invalid parameters (rows %lld, cols "
                           "%lld, word_bytes %lld)", (long long)s->rows, (long long)s->cols,
                           (long long)s->word);
    return 0;
}

static int systolic_disasm(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out)
{
    (void)m;
    return npu_sys_disasm(p, i, out);
}

static npu_dtype systolic_default_dtype(const npu_model *m)
{
    (void)m;
    return NPU_DT_INT8;
}

/* The MAC-array size parameters (conformance doubles them together). */
static const char *const systolic_array_keys[] = {"rows", "cols", NULL};

static void systolic_fini(npu_model *m)
{
    if (m && m->state)
        npu_systolic_exec_free(m->state);
}

const npu_model_ops npu_model_systolic = {
    .abi = NPU_MODEL_ABI,
    .name = "systolic",
    .summary = "generic R x C systolic array (SCALE-Sim compatible: os/ws/is, double-buffered "
               "SRAMs)",
    .params = systolic_params,
    .state_size = sizeof(npu_systolic_state),
    .init = systolic_init,
    .lower = npu_systolic_lower,
    .execute = npu_systolic_execute,
    .disasm = systolic_disasm,
    .explain = npu_systolic_explain,
    .fini = systolic_fini,
    .dtype_for = NULL,
    .default_dtype = systolic_default_dtype,
    .array_keys = systolic_array_keys,
    .array_fill_grows = true,
    .check = npu_sys_check,
};
