/* lower.h — internals of the DaVinci lowering shared by lower.c (the driver, placement, fusion
 * decisions and the instruction emitters), cube.c (Cube kernels) and vector.c (Vector and AI CPU
 * kernels); prefix npu_dvl_. Not a contract: only models/davinci/ includes it.
 */
#ifndef NPU_MODELS_DAVINCI_LOWER_H
#define NPU_MODELS_DAVINCI_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "davinci.h"

/* Largest number of k steps (cube) or tile operations (vector) of one layer: ~8 instructions
 * each; ResNet-50 has ~7000 in all. */
#define NPU_DV_MAX_STEPS 5e5

/* One kernel's read of a tensor and the share of it that hits L2 (l2.c). */
typedef struct {
    int layer, t;
    float h;
} npu_dvl_l2rd;

/* The lowering's state while one graph is turned into a program. */
typedef struct lw {
    const npu_davinci_state *s;
    const npu_graph *g;
    npu_program *out;
    npu_err *err;
    int32_t layer;
    int gli; /* graph layer being lowered */
    int core;
    int64_t ninstr;
    uint8_t *in_l2;   /* per tensor: lives in L2 */
    uint8_t *on_core; /* per tensor: written by an AI Core kernel (its lines pass through L2) */
    npu_dvl_l2rd *l2r; /* the L2 hits of every kernel's reads, in layer order (l2.c) */
    int l2n, l2cap;
    int first_mac;    /* graph layer index of the AIPP layer, -1 */
    int *fuse_add;    /* per layer: the residual add fused into this conv's epilogue, -1 */
    int *deq;         /* per Cube layer: the dequantize folded into its L0C -> UB move, -1 */
    int *deq_src;     /* per dequantize layer: the Cube layer it is folded into, -1 */
    int *quant;       /* per AI Core kernel layer: the quantize fused into its epilogue, -1 */
    double jobs;      /* lower bound on the engine jobs of the kernels so far (npu_dvl_jobs) */
    bool res_add;     /* the current kernel loads a residual into UB (V -> MTE2 free flags) */
    /* per-core flag slot counters */
    unsigned slot_op[2], slot_l0, slot_c, slot_ub;
    int issued; /* instructions since the last SCALAR */
    /* per-layer decisions of the driver (lower.c) */
    int *map;        /* graph layer -> program layer; -1 dead, -2 - pl absorbed */
    uint8_t *aipp_t; /* per tensor: converted by AIPP */
    uint8_t *kind;   /* per layer: 0 no AI Core kernel, 1 Cube, 2 Vector */
    uint8_t *fused;  /* per layer: runs in another kernel (adds, dequants, quants) */
    int *kernel;     /* per layer: the layer whose kernel writes its output, -1 */
} lw;

static inline int npu_dvl_oom(lw *c)
{
    return npu_err_set(c->err, NPU_ENOMEM, "davinci: out of memory");
}
/* Adds a kernel's lower bound on engine jobs (`units` cube steps or UB tiles, each at least
 * one job: see npu_dvl_jobs in lower.c) to c->jobs and refuses the layer when the program's
 * total exceeds the run's job limit (npu_program.job_limit; issue 16): a job-limited run
 * ends at lowering instead of building a program it will not be allowed to run. */
int npu_dvl_jobs(lw *c, const char *layer, double units, const char *what);
static inline int64_t npu_dvl_cdiv(int64_t a, int64_t b)
{
    return b > 0 ? (a + b - 1) / b : 0;
}
static inline int64_t npu_dvl_rup(int64_t a, int64_t b)
{
    return npu_dvl_cdiv(a, b) * b;
}
static inline int64_t npu_dvl_min(int64_t a, int64_t b)
{
    return a < b ? a : b;
}
static inline int64_t npu_dvl_max(int64_t a, int64_t b)
{
    return a > b ? a : b;
}
/* bytes of tensor t, 0 when unknown */
static inline int64_t npu_dvl_tbytes(const npu_graph *g, int t)
{
    if (t < 0 || t >= g->nt)
        return 0;
    int64_t b = npu_tensor_bytes(&g->t[t]);
    return b > 0 ? b : 0;
}

/* bytes of tensor t as a kernel moves it in ATC's NC1HWC0 layout: a 4-D activation's channels
 * padded to C0 (one fractal row: c0 elements of 2 bytes, twice as many of 1 byte), as the Cube
 * kernels count them; other tensors as they are */
static inline int64_t npu_dvl_tbytes_c0(const npu_graph *g, int t, int c0)
{
    int64_t b = npu_dvl_tbytes(g, t);
    if (b == 0 || g->t[t].ndim != 4 || g->t[t].dim[1] <= 0)
        return b;
    int64_t el = npu_tensor_elems(&g->t[t]), ch = g->t[t].dim[1];
    if (el <= 0 || b % el)
        return b;
    int64_t es = b / el, c = es == 1 ? 2 * (int64_t)c0 : c0;
    return el / ch * npu_dvl_rup(ch, c) * es;
}

/* instruction emitters (lower.c) */
int npu_dvl_em(lw *c, int op, int pipe, npu_dv_ins *d);
int npu_dvl_setf(lw *c, int src, int dst, int id);
int npu_dvl_waitf(lw *c, int src, int dst, int id);
int npu_dvl_simple(lw *c, int op, int pipe);
long npu_dvl_scalar_begin(lw *c);
void npu_dvl_scalar_end(lw *c, long idx);
int npu_dvl_copy(lw *c, int op, int pipe, int64_t bytes, int64_t run, bool l2, unsigned buf,
                 uint64_t aux);
int npu_dvl_vec(lw *c, int kind, int64_t bytes, unsigned buf);
int npu_dvl_vbarrier(lw *c);
int npu_dvl_gm_read(lw *c, int op, int64_t bytes, int64_t run, bool l2, double part, unsigned buf,
                    int64_t *l2b);
size_t npu_dvl_kernel_header(lw *c, const npu_dv_kernel *k);
npu_dv_kernel *npu_dvl_kernel_at(lw *c, size_t idx);
int npu_dvl_block_begin(lw *c, int core, bool cube);
int npu_dvl_block_end(lw *c, bool cube);
/* facts about tensors and ops (lower.c) */
int npu_dvl_root(const npu_graph *g, int t); /* the tensor a view chain stands for */
bool npu_dvl_tensor_l2(const lw *c, int t);
double npu_dvl_tensor_l2_part(const lw *c, int t);
bool npu_dvl_read_besides_quant(const npu_graph *g, int t);
bool npu_dvl_is_input(const npu_graph *g, int t);
int npu_dvl_vec_seq(npu_op op, npu_act act, int *seq, int max);

/* kernels of one graph layer li (cube.c, vector.c) */
int npu_dvl_cube(lw *c, int li);
int npu_dvl_vector(lw *c, int li);
int npu_dvl_act_kernel(lw *c, int li, int t, npu_act act);
/* whether ATC fuses activation a into the epilogue of the Cube kernel producing its input */
static inline bool npu_dvl_act_fused(const lw *c, npu_act a)
{
    return a == NPU_ACT_NONE || (c->s->fused_acts >> (unsigned)a & 1u);
}
int npu_dvl_aicpu(lw *c, int li, bool hostpre);
/* the L2 as an LRU cache (l2.c): kind per graph layer 0 = no AI Core kernel, 1 = Cube,
 * 2 = Vector; sets in_l2 of the tensors every reader finds wholly in L2 */
int npu_dvl_l2_plan(lw *c, const uint8_t *kind);
double npu_dvl_l2_hit(const lw *c, int t);

#endif
