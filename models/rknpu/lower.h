/* lower.h — what the two halves of the RKNPU lowering share (prefix npu_rknpu_): lower.c
 * (CBUF plans, tasks, submits, the host side) and place.c (which unit runs a layer, the
 * fusions, which layers split across cores). Not a contract: only models/rknpu/ includes it.
 */
#ifndef NPU_MODELS_RKNPU_LOWER_H
#define NPU_MODELS_RKNPU_LOWER_H

#include "rknpu.h"

/* Where a graph layer runs. */
enum {
    PL_NOTE = 0, /* view / fused / alias: no work of its own */
    PL_CONV,
    PL_DW,
    PL_DECONV,
    PL_GEMM,
    PL_DPU,
    PL_PPU,
    PL_CPU
};

typedef struct tvec {
    npu_rkn_task *t;
    size_t n, cap;
} tvec;

/* The tasks of a program at most (issue 16): about 200 bytes each while it runs, so 800 MB; a
 * 4096-token Llama-2-7B prefill on rk3588 needs 4.0 M, one conv of 10^12 MACs far more (it grew
 * past 1.8 GB before the limit). Refused before the tasks are written, naming the layer. */
#define NPU_RKN_MAX_PROG_TASKS ((int64_t)1 << 22)

typedef struct lw {
    const npu_graph *g;
    npu_program *out;
    npu_err *err;
    const npu_rknpu_state *s;
    int *map;   /* graph layer → program layer (-1 dead) */
    int *place; /* PL_* per graph layer */
    int *note;  /* NPU_RKN_NOTE_* for PL_NOTE layers */
    int *into;  /* graph layer that does the work of a fused layer, -1 */
    int *ew;    /* conv graph layer → fused add graph layer, -1 */
    int *ppu;   /* conv graph layer → fused pool graph layer, -1 */
    tvec tv;
    /* the open submit */
    long sub_ins; /* instruction index of its SUBMIT, -1 none */
    unsigned sub_mask;
    int sub_first_layer, sub_last_layer;
    uint16_t ntask[NPU_RKN_MAX_CORES];
    long last_task[NPU_RKN_MAX_CORES]; /* instruction of the previous layer's last task */
    unsigned prev_cores;               /* cores the previous layer of the submit used  */
    long last_submit;
    int64_t conv_tasks; /* conv/gemm tasks of the program so far (NPU_RKN_MAX_PROG_TASKS) */
} lw;

static inline int bits_of(npu_dtype dt)
{
    int b = npu_dtype_bits(dt);
    return b > 0 ? b : 8;
}

/* C2 in elements and the kernel group for a dtype. */
static inline int64_t c2_of(const npu_rknpu_state *s, npu_dtype dt)
{
    int64_t c2 = s->atom_bytes * 8 / bits_of(dt);
    return c2 > 0 ? c2 : 1;
}

/* ---- place.c --------------------------------------------------------------------------------- */

/* A view (reshape, flatten …): no work of its own. */
bool npu_rknpu_is_view(const npu_layer *l);
/* DPU LUT passes of an activation over each output (0: none, 1: a table, 2: x·g(x)). */
int npu_rknpu_lut_passes(npu_act a);
bool npu_rknpu_lut_act(npu_act a);
/* PL_* for graph layer li (*note: NPU_RKN_NOTE_* of a PL_NOTE layer). */
int npu_rknpu_place_layer(const lw *c, int li, int *note);
/* The fusions RKNN makes: ConvAdd (DPU EW) and conv + pool (PPU). */
void npu_rknpu_fuse(lw *c);
/* Does the layer split across the cores of a multi-core mask? */
bool npu_rknpu_splittable(const lw *c, int li);

/* Under runtime=rkllm a matmul's fused activation (the FFN's SiLU) runs on the CPU after the
 * NPU job, not in the DPU's LUT stage (docs/models/rknpu.md §6). */
bool npu_rknpu_host_act(const npu_rknpu_state *s, const npu_layer *l);

#endif
