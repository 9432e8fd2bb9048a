/* sstrace.h — SCALE-Sim's per-layer SRAM and DRAM address traces, gzip-compressed (prefix
 * npu_sstrace_). Used by `npusim scalesim --traces` (sim/cli/scalesim_cli.c);
 * docs/scalesim.md §4 "Traces".
 */
#ifndef NPU_MODELS_SYSTOLIC_SSTRACE_H
#define NPU_MODELS_SYSTOLIC_SSTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../isa/program.h"
#include "../../sim/core/ctx.h"
#include "../../sim/core/graph.h"

/* The SRAM traces of a run may hold at most this many numbers (cycle column included, over
 * all layers and the three SRAM traces): 2^27, about 1 GiB of text before compression. */
#define NPU_SSTRACE_MAX_CELLS ((int64_t)1 << 27)

/* Writes dir/layer<N>/{IFMAP,FILTER,OFMAP}_{SRAM,DRAM}_TRACE.csv.gz for every SCALE-Sim layer
 * of program p (as npu_ssrep_write numbers them). offset[3]: SCALE-Sim's Ifmap/Filter/
 * OfmapOffset added to every address. Refuses (NPU_ELIMIT) a run whose SRAM traces exceed
 * NPU_SSTRACE_MAX_CELLS before writing anything. Existing files only with force. */
int npu_sstrace_write(const npu_program *p, const npu_graph *g, const char *dir,
                      const int64_t offset[3], bool force, npu_err *err);

#endif
