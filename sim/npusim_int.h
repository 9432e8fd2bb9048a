/* npusim_int.h — the public API (npusim.h) plus what npusim's own code may see of its handles:
 * the core headers (graph, parameters, results) and the functions that hand out internals.
 * For the CLI, the Lua module and the in-tree tests; never installed (a program outside npusim
 * uses npusim.h only: tests/install/consumer.c).
 */
#ifndef NPUSIM_INT_H
#define NPUSIM_INT_H

#include "npusim.h"

#include "core/ctx.h"
#include "core/graph.h"
#include "core/params.h"
#include "core/result.h"

/* The parameter table of an architecture (read-only; lives as long as a). */
const npu_params *npu_arch_params(const npu_arch *a);

/* The keys of a multi-chip card preset (chips, link.*; sim/workload.c): only an arch whose
 * presets set one of them has them (docs/workloads.md "Multi-chip cards"). */
extern const npu_param_def npu_card_param_defs[];

/* 0 unless a is a card that spreads its frames; then an error (in err, also returned) saying
 * that a run of one result would be one chip and what to use (sim/wlcard.c; npu_run calls it). */
int npu_card_one_result(const npu_arch *a, npu_err *err);

#endif
