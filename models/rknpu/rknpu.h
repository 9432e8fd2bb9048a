/* rknpu.h — internals of the `rknpu` model shared by rknpu.c, lower.c and timing.c
 * (prefix npu_rknpu_). Not a contract: only models/rknpu/ includes it.
 */
#ifndef NPU_MODELS_RKNPU_H
#define NPU_MODELS_RKNPU_H

#include <stdbool.h>
#include <stdint.h>

#include "../../isa/rknpu.h"
#include "../model.h"

enum { NPU_RKNPU_IRQ_JOB = 0, NPU_RKNPU_IRQ_TASK = 1 }; /* downstream rknpu | mainline rocket */
enum { NPU_RKNPU_RT_RKNN = 0, NPU_RKNPU_RT_RKLLM = 1 }; /* placement policy                  */

/* Derived constants, filled by init() from the parameters. */
typedef struct npu_rknpu_state {
    double freq_mhz;
    int cores;          /* physical cores                                           */
    unsigned core_mask; /* cores a job may use (bit i = core i)                     */
    int ncores;         /* popcount of core_mask                                    */
    int first_core;     /* lowest core of the mask: non-splittable work runs there  */
    double mac_int8, mac_16, mac_int4, mac_tf32; /* MACs per cycle per core               */
    double pair_rate[8][8];    /* mac_pairs: [weight code][activation code], -1 = not set  */
    double dw_div;             /* depthwise rate = dense rate / dw_div                      */
    double out_per_cycle;      /* conv results the CORE hands the DPU per cycle (int8)     */
    double dpu_bytes;          /* DPU element-wise bytes per cycle (flying mode)           */
    double lut_rate;           /* DPU LUT stage elements per cycle per pass                */
    double pass_cycles;        /* least cycles of one weight-stationary pass (conv mode)   */
    double wload;              /* weight load into the CBUF: its rate / dma_bytes          */
    double ppu_bytes;          /* PPU input bytes per cycle                                */
    double transpose_cpe;      /* DPU cycles per element of a transpose                    */
    double softmax_cpe;        /* DPU cycles per element of a softmax not over channels    */
    int64_t atom_bytes;        /* feature atom = C2 × element bytes (16 B on RK3588)       */
    int64_t kgroup;            /* int8 kernels per kernel group (32 on RK3588)             */
    int64_t banks, bank_bytes; /* CBUF geometry                                            */
    int64_t split_data_banks;  /* data banks when the weights do not fit (7 of 12)         */
    double dma_bytes;          /* per-core DMA bytes per cycle, each direction             */
    double task_cycles;        /* fixed cost of one task (setup, pipeline fill/drain)      */
    double reg_cycles;         /* per regcmd entry applied by a task                       */
    double pc_cycles;          /* PC: cycles to decode one fetched task list               */
    int max_tasks;             /* tasks per submit (4095: 12-bit counter)                  */
    int kick_writes;           /* MMIO writes of one core's kick                          */
    int irq_mode;              /* NPU_RKNPU_IRQ_*                                          */
    int runtime;               /* NPU_RKNPU_RT_*                                           */
    bool rkllm_a16;            /* rkllm_adtype=fp16: RKLLM's matmuls take fp16 activations */
    bool zerocopy;             /* io=zerocopy                                              */
    bool pingpong;             /* PC ping-pong register groups                             */
    bool use_sram;             /* RKNN_INTERNAL_MEM_TYPE=sram                              */
    int64_t sram_bytes;        /* sram.kb × 1024                                           */
    bool weight_preload;       /* a task's fresh weights are loaded before it computes     */
    bool dma_shared;           /* reads and writes share one port budget (dma_bytes)     */
    /* operator limits (OPLIST §3.2) */
    int conv_kmax, conv_smax, conv_pmax, conv_dmax, dw_kmax;
    int pool_kmax, pool_smax, pool_dimmax, transpose_max, matmul_kmax;
    struct npu_rknpu_exec *x;  /* the replay of the last execute (timing.c: windows)        */
} npu_rknpu_state;

int npu_rknpu_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err);
int npu_rknpu_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err);
void npu_rknpu_exec_free(npu_rknpu_state *s);
int npu_rknpu_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out);

/* MACs per cycle of one core for a dtype (0: the MAC array cannot run it). */
double npu_rknpu_mac_rate(const npu_rknpu_state *s, npu_dtype dt);
/* A task's work per block of its core, in core cycles (no memory; timing.c's units run them
 * as a pipeline): the MAC array (or the CORE→DPU drain), the DPU's pass in flying mode (a
 * LUT behind the conv, or the whole work of a DPU-alone task), the DPU passes that cannot fly
 * (the multiply of x·g(x)), the PPU. */
typedef struct npu_rknpu_stages {
    double core, dpu, dpu2, ppu;
} npu_rknpu_stages;
void npu_rknpu_task_stages(const npu_rknpu_state *s, const npu_rkn_task *t, npu_rknpu_stages *st);
/* Compute cycles of one task on its core (no memory): MAC array, CORE→DPU drain, DPU, PPU. */
double npu_rknpu_task_compute(const npu_rknpu_state *s, const npu_rkn_task *t);
/* The same without the LUT stage: what Rockchip's profiler prints as "NPU Cycles" (its
 * ConvExSwish rows count the MAC array only, research §2.4 rows 118-121). */
double npu_rknpu_task_npu_cycles(const npu_rknpu_state *s, const npu_rkn_task *t);
/* Is the task a conv on an image input (fewer input channels than one feature atom)? */
bool npu_rknpu_task_image(const npu_rknpu_state *s, const npu_rkn_task *t);

/* store.c: the footprint hooks (stored weight and tensor bytes) */
int64_t npu_rknpu_stored_weight(const npu_model *m, const npu_graph *g, int li);
int64_t npu_rknpu_stored_tensor(const npu_model *m, const npu_graph *g, int ti);

#endif
