/* lowering.c — what the core checks and computes around a model's lower() (sim/lowering.h):
 * the dtype checks that refuse a silent fallback (issue 11) and the deployment footprint of the
 * lowered network and ATC's AIPP config applied to an arch (npu_arch_aipp of npusim.h) (issue
 * 22: sim/core/footprint.h, sim/front/aipp.h, docs/deployment.md).
 */
#include "lowering.h"

#include <stdio.h>
#include <string.h>

#include "front/aipp.h"
#include "npusim_int.h"

/* Appends ", item" ("item" to an empty list) to the string in buf[0..cap): the lists of the
 * two dtype errors below (a full buffer cuts the text, never overruns). */
static void comma_add(char *buf, size_t cap, const char *item)
{
    size_t o = strlen(buf);
    if (o + 1 < cap)
        snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", item);
}

/* An explicit dtype the model cannot run its MAC layers in (dtype_for answers another one) is
 * an error that names what it would run and what it can run: never a silent fallback (issue
 * 11). The MAC layers decide, since element-wise work in another dtype is the ordinary mixed
 * precision of every NPU. A graph without conv/gemm layers has nothing to check. */
int npu_lower_check_dtype(npu_model *m, const char *arch, const npu_graph *g, npu_dtype want,
                          npu_err *err)
{
    int li = -1;
    for (int i = 0; i < g->nl && li < 0; i++) {
        npu_opclass c = npu_op_class(g->l[i].op);
        if (!(g->l[i].flags & (NPU_LF_DEAD | NPU_LF_HOST)) &&
            (c == NPU_OPC_CONV || c == NPU_OPC_GEMM))
            li = i;
    }
    npu_dtype got = li >= 0 ? npu_model_dtype_for(m, g, li, want) : want;
    if (got == want)
        return 0;
    static const npu_dtype cands[] = {NPU_DT_INT4, NPU_DT_INT8,  NPU_DT_UINT8, NPU_DT_INT16,
                                      NPU_DT_FP16, NPU_DT_BF16, NPU_DT_FP32};
    char list[128] = "";
    for (size_t k = 0; k < sizeof cands / sizeof cands[0]; k++)
        if (npu_model_dtype_for(m, g, li, cands[k]) == cands[k])
            comma_add(list, sizeof list, npu_dtype_name(cands[k]));
    return npu_err_set(err, NPU_EUNSUPPORTED,
                       "%s (model %s) cannot run dtype=%s (it would run %s instead); it runs %s "
                       "(or dtype=auto: the model's default)",
                       arch, m->ops->name, npu_dtype_name(want), npu_dtype_name(got),
                       *list ? list : "none of the requested types");
}

/* A mixed weight/activation dtype on a model that runs weights in the activation dtype: an
 * error naming what it would run and the models that do model it (never a silent run). */
int npu_lower_mixed_error(const npu_model_ops *ops, const char *arch, npu_dtype act, npu_dtype w,
                          npu_err *err)
{
    char list[128] = "";
    for (int i = 0; npu_builtin_models[i]; i++)
        if (npu_builtin_models[i]->weight_dtype)
            comma_add(list, sizeof list, npu_builtin_models[i]->name);
    return npu_err_set(err, NPU_EUNSUPPORTED,
                       "%s (model %s) does not model %s weights with %s activations (it runs "
                       "weights in the activation dtype); mixed weight/activation precision "
                       "is modelled by: %s",
                       arch, ops->name, npu_dtype_name(w), npu_dtype_name(act),
                       *list ? list : "no model");
}

int npu_deploy_footprint(const npu_model *m, const npu_graph *gc, const npu_program *prog,
                         npu_fp *fp, npu_err *err)
{
    npu_fp_hooks h;
    npu_model_fp_hooks(m, &h);
    return npu_fp_compute(gc, &h, npu_model_task_bytes(m, prog), fp, err);
}

int64_t npu_deploy_usable(const npu_params *p, bool *known)
{
    int64_t cap = npu_params_find(p, "dram.capacity_mb") >= 0
                      ? npu_params_int(p, "dram.capacity_mb") : 0;
    int64_t os = npu_params_find(p, "dram.os_mb") >= 0 ? npu_params_int(p, "dram.os_mb") : 0;
    *known = cap > 0;
    return cap > os ? (cap - os) << 20 : 0;
}

void npu_deploy_to_result(const npu_fp *fp, const npu_graph *gc, const npu_params *p,
                          npu_result *r)
{
    npu_total_row *t = &r->total;
    bool known;
    t->total_weight_size = fp->weight_bytes;
    t->total_internal_size = fp->internal_bytes;
    t->io_size = fp->io_bytes;
    t->task_size = fp->task_bytes;
    t->memory_size = fp->internal_bytes + fp->io_bytes;
    t->footprint_bytes = fp->total_bytes;
    t->dram_usable_bytes = npu_deploy_usable(p, &known);
    t->fits = !known ? -1 : fp->total_bytes <= t->dram_usable_bytes;
    for (int li = 0, j = 0; li < gc->nl && j < r->nlayers; li++)
        if (!(gc->l[li].flags & NPU_LF_DEAD))
            r->layers[j++].live_bytes = fp->live[li];
}

int npu_arch_aipp(npu_arch *a, const npu_graph *g, const char *path, npu_err *err)
{
    const npu_params *p = npu_arch_params(a);
    if (strcmp(npu_arch_model(a), "davinci") != 0)
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "%s: AIPP is ATC's (DaVinci: Ascend, SVP); %s runs model %s (RKNN "
                           "folds mean/std into the first conv: docs/deployment.md)",
                           path, npu_arch_name(a), npu_arch_model(a));
    npu_aipp cfg;
    npu_aipp_cost c;
    if (npu_aipp_read(path, &cfg, err) ||
        npu_aipp_cost_of(&cfg, g, npu_params_bool(p, "aipp_resize"), &c, err))
        return err->code ? err->code : NPU_EINVAL;
    int ai = npu_params_find(p, "aipp");
    bool cpu = p->v[ai].origin == NPU_PO_SET && !strcmp(npu_params_str(p, "aipp"), "cpu");
    char bpp[32], ops[32];
    snprintf(bpp, sizeof bpp, "%.9g", c.src_bpp);
    snprintf(ops, sizeof ops, "%.9g", c.cpu_ops);
    if (npu_arch_set(a, "aipp", cpu ? "cpu" : "core", err) ||
        npu_arch_set(a, "aipp_src_bpp", bpp, err) || npu_arch_set(a, "aipp_cpu_ops", ops, err))
        return err->code;
    return 0;
}
