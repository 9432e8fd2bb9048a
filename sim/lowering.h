/* lowering.h — what sim/npusim.c checks and computes around a model's lower() (prefix
 * npu_lower_, npu_deploy_); private to sim/ (lowering.c). */
#ifndef NPU_LOWERING_H
#define NPU_LOWERING_H

#include "../isa/program.h"
#include "../models/model.h"
#include "core/footprint.h"
#include "core/result.h"

/* An explicit dtype the model cannot run its MAC layers in (dtype_for answers another one) is
 * an error naming what it would run and what it can run (issue 11). 0 when it can. */
int npu_lower_check_dtype(npu_model *m, const char *arch, const npu_graph *g, npu_dtype want,
                          npu_err *err);
/* The error for a mixed weight/activation dtype on a model that runs weights in the activation
 * dtype, naming the models that do model it. Returns the code. */
int npu_lower_mixed_error(const npu_model_ops *ops, const char *arch, npu_dtype act, npu_dtype w,
                          npu_err *err);

/* The deployment footprint of the prepared graph gc as prog lowered it for the open model m:
 * the model's stored layouts and command buffers (npu_fp_compute). */
int npu_deploy_footprint(const npu_model *m, const npu_graph *gc, const npu_program *prog,
                         npu_fp *fp, npu_err *err);
/* The DRAM the OS leaves on the preset's board in bytes: dram.capacity_mb − dram.os_mb, 0 when
 * the capacity is unknown (*known false) or all of it is kept. */
int64_t npu_deploy_usable(const npu_params *p, bool *known);
/* The footprint into r's totals (total_weight_size … fits) and each layer's live_bytes
 * (program layer j is the j-th live layer of gc). */
void npu_deploy_to_result(const npu_fp *fp, const npu_graph *gc, const npu_params *p,
                          npu_result *r);

#endif
