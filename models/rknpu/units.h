/* units.h — the blocks of one RKNPU core as engine units, and a task flowing through them
 * (prefix npu_rknpu_; docs/models/rknpu.md §3c). Only models/rknpu/ includes it.
 *
 * A task is a chain of stages (weight load, CNA → CORE → DPU → DPU pass 2 → PPU: those it
 * uses). In flying mode each stage hands its output on to the next part by part — a part is
 * one output row of one kernel group — so stage s+1 starts once stage s has done its first
 * part and ends one part after stage s ends or after its own work, whichever is later. With
 * every part the same size that is what three jobs per stage give exactly: a head part (waits
 * for the previous stage's head), the body (no wait: the unit's FIFO), the last part (waits
 * for the previous stage's end). A stage marked `full` starts only when the previous one has
 * ended (a pass over data that is not flying); consecutive stages on one unit follow each
 * other in its FIFO.
 */
#ifndef NPU_MODELS_RKNPU_UNITS_H
#define NPU_MODELS_RKNPU_UNITS_H

#include "rknpu.h"

enum { NPU_RKNPU_MAX_STAGES = 6, NPU_RKNPU_MAX_ENDSIG = 8 };
enum { NPU_RKNPU_CNA = 0, NPU_RKNPU_CORE, NPU_RKNPU_DPU, NPU_RKNPU_PPU, NPU_RKNPU_NBLK };

/* The units and syncs of one core. The syncs are per receiving block: every unit takes its
 * jobs in task order, so a signal meant for one block's stage cannot be taken by a later
 * task's stage on another block (all jobs are queued before the run). */
typedef struct npu_rknpu_units {
    int unit[NPU_RKNPU_NBLK]; /* the engine's units                                   */
    int go[NPU_RKNPU_NBLK];   /* the task's registers are applied: its first block starts */
    int head[NPU_RKNPU_NBLK]; /* the block before has handed on its first part          */
    int end[NPU_RKNPU_NBLK];  /* ... and its last                                      */
    int idle;                 /* the core's previous task has ended (starts at 1)         */
} npu_rknpu_units;

/* Creates the CNA, CORE, DPU and PPU units of core `c` (each DMA client of the block moves
 * at most dma_bytes per cycle) and their syncs. */
int npu_rknpu_units_make(npu_engine *e, int clk, int c, double dma_bytes, npu_rknpu_units *u,
                         npu_err *err);

/* One stage of a task. `cycles` is its whole work (already at least its bytes at the DMA
 * rate); the transfers are split over its parts in proportion. */
typedef struct npu_rknpu_stage {
    int blk; /* NPU_RKNPU_CNA ...                                     */
    const char *label;
    double cycles;
    bool full;            /* starts when the previous stage has ended             */
    int64_t rd[2], wr[2]; /* bytes read / written through DRAM [0] and SRAM [1]     */
} npu_rknpu_stage;

typedef struct npu_rknpu_flow {
    int layer;
    int nst;
    npu_rknpu_stage st[NPU_RKNPU_MAX_STAGES];
    int64_t parts;        /* parts handed on (1: the stages run one after the other) */
    int64_t onchip_bytes; /* CBUF traffic, counted on the first stage               */
    int nend;             /* signals once the task has ended                        */
    npu_syncop endsig[NPU_RKNPU_MAX_ENDSIG];
} npu_rknpu_flow;

/* Submits the stages' jobs: the first waits for u->go[its block] (npu_rknpu_flow_go), the
 * task's last job signals u->idle and f->endsig. The units and syncs are the model's (made by
 * npu_rknpu_units_make and execute(), each checked), so the jobs go through
 * npu_engine_submit_in_range: the engine's check only for quantities a program made absurd. */
int npu_rknpu_flow_submit(npu_engine *e, const npu_rknpu_units *u, const npu_rknpu_flow *f,
                          npu_err *err);
/* The sync that starts the flow's first stage. */
int npu_rknpu_flow_go(const npu_rknpu_units *u, const npu_rknpu_flow *f);

#endif
