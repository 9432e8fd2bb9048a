/* systolic.h — internals of the `systolic` model shared by systolic.c, lower.c and timing.c
 * (prefix npu_systolic_). Not a contract: only models/systolic/ includes it.
 */
#ifndef NPU_MODELS_SYSTOLIC_H
#define NPU_MODELS_SYSTOLIC_H

#include <stdint.h>

#include "../../isa/systolic.h"
#include "../model.h"

enum { NPU_SYSTOLIC_FID_SCALESIM = 0, NPU_SYSTOLIC_FID_DETAILED = 1 };

/* Derived constants, filled by init() from the parameters. */
typedef struct npu_systolic_state {
    int64_t rows, cols;            /* R, C                                              */
    int dataflow;                  /* NPU_SYS_DF_*                                      */
    int fidelity;                  /* NPU_SYSTOLIC_FID_*                                */
    int64_t word;                  /* bytes per operand word                            */
    int64_t ifmap_half, filter_half, ofmap_half; /* bytes in one half of each SRAM      */
    double freq_mhz;
    double dma_bytes;              /* ifmap/filter loader width, bytes per core cycle   */
    double ofmap_dma_bytes;        /* ofmap drain width, bytes per core cycle           */
    int64_t vector_lanes;          /* vector unit elements per cycle                    */
    int weight_buffers;            /* weight register sets in the array (1 or 2)        */
    struct sys_exec *x;            /* the replay of the last execute (timing.c: windows) */
} npu_systolic_state;

int npu_systolic_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err);
int npu_systolic_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err);
void npu_systolic_exec_free(npu_systolic_state *s);
int npu_systolic_explain(const npu_model *m, const npu_program *p, int layer,
                         npu_strbuf *out);

/* SCALE-Sim v2's stall-free cycles of one fold (research/peers.md §2.4):
 * OS T+R+C-2, WS/IS 2R+C+T-2 (R, C: the full array, even for partial folds). */
int64_t npu_systolic_fold_cycles(int dataflow, int64_t rows, int64_t cols, int64_t t);

/* Operand-matrix mapping of a dataflow: Sr on the array rows, Sc on its columns, T streamed.
 * OS (M, N, K), WS (K, N, M), IS (K, M, N). */
void npu_systolic_map(int dataflow, int64_t m, int64_t n, int64_t k, int64_t *sr, int64_t *sc,
                      int64_t *t);

/* Fold groups (docs/models/systolic.md, "Work estimate before a run"): a loader fills an SRAM
 * half with as many consecutive identical folds of record f as fit, so the group size is
 * 1 .. left; fold_groups is what a detailed run submits for record f in all its sub-problems
 * (each sub-problem's first fold alone), saturating. too_many_groups is the refusal above
 * NPU_SYS_MAX_RUN_GROUPS, `where` ("systolic: this run", "net.npg:3: conv 'c': the program up
 * to this layer") leading the message. The lowering estimates with them before it writes a
 * layer's fold records, the executor before it submits a loaded program's jobs. */
int64_t npu_systolic_group_size(const npu_sys_layer *L, const npu_sys_fold *f, int64_t left);
int64_t npu_systolic_fold_groups(const npu_sys_layer *L, const npu_sys_fold *f);
int npu_systolic_too_many_groups(int64_t groups, const char *where, npu_err *err);
/* Fold records a lowered program may hold (about 100 bytes each: 2^23 is ~840 MB), checked
 * before a layer's records are written. The records of zoo networks are far fewer. */
#define NPU_SYSTOLIC_MAX_RECORDS ((int64_t)1 << 23)

#endif
