/* ssreport.h — SCALE-Sim v2's report files from a lowered systolic program (prefix
 * npu_ssrep_). Used by `npusim run --scalesim-reports DIR` (sim/cli/main.c); docs/scalesim.md.
 */
#ifndef NPU_MODELS_SYSTOLIC_SSREPORT_H
#define NPU_MODELS_SYSTOLIC_SSREPORT_H

#include <stdbool.h>

#include "../../isa/program.h"
#include "../../sim/core/ctx.h"
#include "../../sim/core/graph.h"
#include "ssdemand.h"

/* The report texts of program p (lowered by the systolic model): one row per SCALE-Sim layer,
 * i.e. per sub-problem of every MAC layer (a DP layer's groups are SCALE-Sim's one-channel
 * layers). Vector and host layers have no row (SCALE-Sim has no such layers). g: the graph p
 * was lowered from (its conv geometry places the ifmap's out-of-bounds holes); NULL: none. */
int npu_ssrep_compute(const npu_program *p, const npu_graph *g, npu_strbuf *out, npu_err *err);
int npu_ssrep_bandwidth(const npu_program *p, const npu_graph *g, npu_strbuf *out, npu_err *err);
int npu_ssrep_detailed(const npu_program *p, const npu_graph *g, npu_strbuf *out, npu_err *err);

/* Writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv into dir
 * (created when missing; existing files only with force). */
int npu_ssrep_write(const npu_program *p, const npu_graph *g, const char *dir, bool force,
                    npu_err *err);

/* Calls fn for every LAYER record of program p (lowered by the systolic model) in order: its
 * geometry (ssdemand.h), the LayerID of its first SCALE-Sim layer and how many (nsub) it
 * stands for. fn returns nonzero after filling err; this returns -1 then (the message
 * prefixed with the LayerID). */
typedef int (*npu_ssrep_layer_fn)(void *ctx, const npu_sys_layer *L, const npu_ssdem_geom *geo,
                                  int64_t id, int64_t nsub, npu_err *err);
int npu_ssrep_each(const npu_program *p, const npu_graph *g, npu_ssrep_layer_fn fn, void *ctx,
                   npu_err *err);

/* Python's repr() of a float (shortest text that reads back to the same double, "100.0" for
 * whole numbers), the way SCALE-Sim's reports print. */
void npu_ssrep_pyfloat(double v, char *buf, size_t cap);

#endif
