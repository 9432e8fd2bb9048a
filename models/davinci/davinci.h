/* davinci.h — internals of the `davinci` model shared by davinci.c, lower.c and timing.c
 * (prefix npu_davinci_). Not a contract: only models/davinci/ includes it.
 */
#ifndef NPU_MODELS_DAVINCI_H
#define NPU_MODELS_DAVINCI_H

#include <stdint.h>

#include "../../isa/davinci.h"
#include "../model.h"

typedef struct dv_exec dv_exec; /* timing.c: execution state kept until the engine has run */
typedef struct npu_dv_lazy npu_dv_lazy; /* lower.c: a windowed lowering (below)            */

/* Derived constants, filled by init() from the parameters. Sizes in bytes, rates in bytes per
 * AI-core cycle. */
typedef struct npu_davinci_state {
    int cores;
    double freq_mhz;
    int cube_m, cube_k, cube_n;     /* fp16 fractal shape M×K×N                          */
    int int8_k_mult;                /* INT8 K multiplier (16×32×16 on 310: 2)             */
    int a16w8_k_mult;               /* K multiplier for int16 activations (A16W8)         */
    bool fp16_acc;                  /* L0C accumulates in fp16 (HiSilicon Lite)          */
    bool fp32_vector;               /* vector unit has fp32 ops                           */
    int vector_bytes;               /* vector bytes per cycle                              */
    int64_t l1, l0a, l0b, l0c, ub;  /* usable bytes                                       */
    int64_t l2;                     /* shared L2, 0 = none                                */
    double l2_rd, l2_wr, ddr_rd, ddr_wr; /* per-core path rates                           */
    double l1_l0a, l1_l0b, l0c_ub;
    double mmad_overhead, vec_overhead, mte1_overhead, mte_gm_setup;
    double scalar_cycles, begin_cycles;
    int event_ids;
    int mte2_inflight; /* GM copies in flight on MTE2 (started in order)             */
    bool double_buffer;
    bool ub_fusion;                 /* residual add fused into the producing conv         */
    bool batch_split;               /* conv batch over the cores, images looped per block  */
    bool l2_lru;                    /* L2 hits by LRU stack distance (l2.c)                */
    uint32_t fused_acts;            /* bit per npu_act: fused into a Cube kernel's epilogue */
    double ts_launch_ns, aicpu_launch_ns;
    double dvpp_ts_ns;              /* TS time of concurrent DVPP tasks per inference      */
    double ts_sync_ns;              /* end of a kernel -> start of the next                */
    int aipp;                       /* 0 none, 1 on the AI Core, 2 on the host CPU        */
    double aipp_src_bpp;            /* source bytes per pixel (YUV420SP 1.5)              */
    double aipp_cpu_ops;            /* CPU element ops per output element for CSC+norm    */
    dv_exec *exec;                  /* timing.c; freed by fini / next execute             */
    npu_dv_lazy *lazy;              /* lower() of a windowed program -> execute()          */
} npu_davinci_state;

enum { NPU_DV_AIPP_NONE = 0, NPU_DV_AIPP_CORE = 1, NPU_DV_AIPP_CPU = 2 };

/* The ops that run on the Cube (the rest runs on the Vector unit or the AI CPU). */
static inline bool npu_davinci_is_cube_op(npu_op op)
{
    return op == NPU_OP_CONV || op == NPU_OP_CONVT || op == NPU_OP_GEMM || op == NPU_OP_MATMUL;
}

int npu_davinci_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err);
int npu_davinci_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err);
int npu_davinci_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out);
void npu_davinci_exec_free(dv_exec *x);

/* A windowed program (npu_program.windowed, npu_run): lower() fills the layer table, lowers the
 * last layer with instructions (the tail) into the program's arrays and leaves the rest to
 * execute(), which takes the npu_dv_lazy over and asks for one window at a time. */
/* The next window: cuts the program back to the tail's instructions and appends the next
 * layer with instructions; *start is its first instruction. When no such layer is left, the
 * window is the tail itself (*start 0) and *last is set. Errors of the lowering go to err. */
int npu_dv_lazy_next(npu_dv_lazy *z, size_t *start, bool *last, npu_err *err);
void npu_dv_lazy_free(npu_dv_lazy *z);

/* store.c: the footprint hooks (stored weight and tensor bytes) */
int64_t npu_davinci_stored_weight(const npu_model *m, const npu_graph *g, int li);
int64_t npu_davinci_stored_tensor(const npu_model *m, const npu_graph *g, int ti);
int64_t npu_davinci_stored_task(const npu_model *m, const npu_program *p);

#endif
