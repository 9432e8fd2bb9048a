/* registry.c — the table of built-in models and the wrappers through which the core calls
 * them (prefix npu_model_).
 *
 * The table is explicit and NULL-terminated (like Lua's linit.c): adding a model means adding
 * one line here. The wrappers check the ABI before any call, refuse a model without its
 * required members, apply the documented defaults of NULL members, and check what a model hands
 * back (instruction layer tags) so that a model bug becomes an error, not a crash later on.
 */
#include "model.h"

#include "../sim/core/footprint.h"
#include "../sim/engine/energy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line per model, in the order `npusim list models` shows them. A new model: declare its
 * ops table here and add it below; the conformance test picks it up by itself. */
extern const npu_model_ops npu_model_systolic; /* models/systolic/systolic.c */
extern const npu_model_ops npu_model_rknpu;    /* models/rknpu/rknpu.c */
extern const npu_model_ops npu_model_davinci;  /* models/davinci/davinci.c */
extern const npu_model_ops npu_model_nvdla;    /* models/nvdla/nvdla.c */
extern const npu_model_ops npu_model_example;  /* models/example/example.c */

const npu_model_ops *const npu_builtin_models[] = {
    &npu_model_systolic,
    &npu_model_rknpu,
    &npu_model_davinci,
    &npu_model_nvdla,
    &npu_model_example,
    NULL,
};

const npu_model_ops *npu_model_find(const char *name, npu_err *err)
{
    if (!name || !*name) {
        npu_err_set(err, NPU_EINVAL, "no model name given");
        return NULL;
    }
    for (const npu_model_ops *const *m = npu_builtin_models; *m; m++)
        if (npu_streq_nocase((*m)->name, name))
            return *m;
    /* unknown: list the known ones, suggest the closest */
    char known[512] = "";
    size_t at = 0;
    const char *cands[64];
    int nc = 0;
    for (const npu_model_ops *const *m = npu_builtin_models; *m; m++) {
        int w = snprintf(known + at, sizeof known - at, "%s%s", at ? ", " : "", (*m)->name);
        if (w > 0 && (size_t)w < sizeof known - at)
            at += (size_t)w;
        if (nc < 63)
            cands[nc++] = (*m)->name;
    }
    cands[nc] = NULL;
    const char *dym = npu_did_you_mean(name, cands);
    if (dym)
        npu_err_set(err, NPU_EINVAL, "unknown model '%s' (did you mean '%s'?); known: %s", name,
                    dym, known);
    else
        npu_err_set(err, NPU_EINVAL, "unknown model '%s'; known: %s", name,
                    at ? known : "(none built in)");
    return NULL;
}

int npu_model_open(npu_model *m, const npu_model_ops *ops, const npu_params *p, npu_err *err)
{
    memset(m, 0, sizeof *m);
    if (!ops)
        return npu_err_set(err, NPU_EINVAL, "no model");
    if (ops->abi == 0)
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "model '%s' does not say which version of npu_model_ops it fills "
                           "(set .abi = NPU_MODEL_ABI, this npusim's %u)",
                           ops->name ? ops->name : "?", NPU_MODEL_ABI);
    if (!ops->name || !ops->init || !ops->lower || !ops->execute)
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "model '%s' lacks a required member (name, init, lower, execute)",
                           ops->name ? ops->name : "?");
    m->ops = ops;
    m->params = p;
    if (ops->state_size) {
        m->state = npu_calloc(1, ops->state_size);
        if (!m->state)
            return npu_err_set(err, NPU_ENOMEM, "%s: out of memory for model state", ops->name);
    }
    int rc = ops->init(m, err);
    if (rc) {
        if (err && !err->code)
            npu_err_set(err, rc, "%s: init failed", ops->name);
        free(m->state);
        m->state = NULL;
        m->ops = NULL;
        return rc;
    }
    return 0;
}

void npu_model_close(npu_model *m)
{
    if (!m || !m->ops)
        return;
    if (m->ops->fini)
        m->ops->fini(m);
    free(m->state);
    m->state = NULL;
    m->ops = NULL;
}

int npu_model_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err)
{
    if (!m->ops)
        return npu_err_set(err, NPU_EINVAL, "model not open");
    int rc = m->ops->lower(m, g, out, err);
    if (rc) {
        if (err && !err->code)
            npu_err_set(err, rc, "%s: lowering failed", m->ops->name);
        return rc;
    }
    for (size_t i = 0; i < out->n; i++)
        if (out->ins[i].layer < -1 || out->ins[i].layer >= out->nlayers)
            return npu_err_set(err, NPU_ESIM,
                               "%s: lower() emitted instruction %zu tagged with layer %d, but "
                               "the program has %d layers (model bug)",
                               m->ops->name, i, (int)out->ins[i].layer, out->nlayers);
    return 0;
}

int npu_model_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err)
{
    if (!m->ops)
        return npu_err_set(err, NPU_EINVAL, "model not open");
    int rc = m->ops->execute(m, p, e, err);
    if (rc && err && !err->code)
        npu_err_set(err, rc, "%s: execute failed", m->ops->name);
    /* the preset's buffers (energy.buffers) go to the units the model has just made */
    return rc ? rc : npu_energy_bind(e, m->params, err);
}

int npu_model_check(const npu_model_ops *ops, const npu_program *p, const char *path, npu_err *err)
{
    return ops && NPU_MODEL_HAS(ops, 3) && ops->check ? ops->check(p, path, err) : 0;
}

/* Default disassembly: "op 7 unit 1 layer 0 (conv1): 01 02 03 ..." */
static void default_disasm(const npu_program *p, size_t i, npu_strbuf *out)
{
    const npu_instr *in = &p->ins[i];
    npu_sb_printf(out, "op %u unit %u layer %d", (unsigned)in->op, (unsigned)in->unit,
                  (int)in->layer);
    if (in->layer >= 0 && in->layer < p->nlayers)
        npu_sb_printf(out, " (%s)", p->layers[in->layer].name);
    npu_sb_putc(out, ':');
    const uint8_t *b = npu_prog_payload(p, i);
    uint32_t show = in->len > 32 ? 32 : in->len;
    for (uint32_t k = 0; k < show; k++)
        npu_sb_printf(out, " %02x", b[k]);
    if (in->len > show)
        npu_sb_printf(out, " ... (%u bytes)", in->len);
}

int npu_model_disasm(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out)
{
    if (i >= p->n)
        return NPU_EINVAL;
    if (m && m->ops && m->ops->disasm)
        return m->ops->disasm(m, p, i, out);
    default_disasm(p, i, out);
    return 0;
}

int npu_model_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out)
{
    if (layer < 0 || layer >= p->nlayers)
        return NPU_EINVAL;
    if (m && m->ops && m->ops->explain)
        return m->ops->explain(m, p, layer, out);
    const npu_prog_layer *l = &p->layers[layer];
    size_t count = 0;
    for (size_t i = 0; i < p->n; i++)
        count += p->ins[i].layer == layer;
    npu_sb_printf(out, "layer %d '%s' (%s) on %s: %zu instruction%s\n", layer, l->name, l->op,
                  l->engine && *l->engine ? l->engine : "?", count, count == 1 ? "" : "s");
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].layer != layer)
            continue;
        npu_sb_printf(out, "  %6zu  ", i);
        npu_model_disasm(m, p, i, out);
        npu_sb_putc(out, '\n');
    }
    return out->oom ? NPU_ENOMEM : 0;
}

npu_dtype npu_model_dtype_for(const npu_model *m, const npu_graph *g, int li, npu_dtype want)
{
    if (m && m->ops && m->ops->dtype_for)
        return m->ops->dtype_for(m, g, li, want);
    return want;
}

const char *const *npu_model_host_engines(const npu_model_ops *ops)
{
    static const char *const cpu_only[] = {"cpu", NULL};
    return ops && NPU_MODEL_HAS(ops, 2) && ops->host_engines ? ops->host_engines : cpu_only;
}

const char *const *npu_model_array_keys(const npu_model_ops *ops, bool *fill_grows)
{
    int has = ops && NPU_MODEL_HAS(ops, 2);
    if (fill_grows)
        *fill_grows = has && ops->array_fill_grows;
    return has ? ops->array_keys : NULL;
}

bool npu_model_weight_dtype(const npu_model_ops *ops)
{
    return ops && NPU_MODEL_HAS(ops, 4) && ops->weight_dtype;
}

static int64_t fp_weight(const void *ud, const npu_graph *g, int li)
{
    const npu_model *m = ud;
    return m->ops->stored_weight_bytes(m, g, li);
}

static int64_t fp_tensor(const void *ud, const npu_graph *g, int ti)
{
    const npu_model *m = ud;
    return m->ops->stored_tensor_bytes(m, g, ti);
}

void npu_model_fp_hooks(const npu_model *m, npu_fp_hooks *h)
{
    memset(h, 0, sizeof *h);
    h->ud = m;
    if (!m->ops || !NPU_MODEL_HAS(m->ops, 5))
        return;
    h->weight_bytes = m->ops->stored_weight_bytes ? fp_weight : NULL;
    h->tensor_bytes = m->ops->stored_tensor_bytes ? fp_tensor : NULL;
    h->align = m->ops->store_align;
}

int64_t npu_model_task_bytes(const npu_model *m, const npu_program *p)
{
    if (m->ops && NPU_MODEL_HAS(m->ops, 5) && m->ops->stored_task_bytes)
        return m->ops->stored_task_bytes(m, p);
    return (int64_t)p->dlen + (int64_t)p->n * (int64_t)sizeof(npu_instr);
}

npu_dtype npu_model_default_dtype(const npu_model *m)
{
    if (m && m->ops && m->ops->default_dtype)
        return m->ops->default_dtype(m);
    return NPU_DT_INT8;
}
