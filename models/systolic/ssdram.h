/* ssdram.h — SCALE-Sim v2's DRAM side of one layer, as its CALC mode computes it (prefix
 * npu_ssdram_). Used by ssreport.c; docs/scalesim.md §4.
 */
#ifndef NPU_MODELS_SYSTOLIC_SSDRAM_H
#define NPU_MODELS_SYSTOLIC_SSDRAM_H

#include <stdint.h>

#include "../../isa/systolic.h"
#include "../../sim/core/ctx.h"

/* One operand's DRAM trace summary: first and last trace line's cycle, words moved. */
typedef struct npu_ssdram_op {
    int64_t start, stop, words;
} npu_ssdram_op;

/* SCALE-Sim v2's OFMAP write buffer (memory/write_buffer.py) fed by the layer's OFMAP demand
 * matrix (valid writes per cycle of each fold, column fold outer, row fold inner), drained
 * to DRAM at `bw` words per cycle (CALC mode: the array width). Fails with NPU_EUNSUPPORTED
 * where SCALE-Sim would stall on the write buffer (its stall is not reproduced). */
int npu_ssdram_ofmap(const npu_sys_layer *L, int64_t bw, npu_ssdram_op *out, npu_err *err);

#endif
