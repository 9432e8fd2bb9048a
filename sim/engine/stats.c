/* stats.c — from the engine's statistics to npu_result (prefix npu_engine_): the per-layer
 * columns a model adds (peak MACs, main unit, extra columns), the trace intervals, and the
 * result itself — one row per layer of the program's layer table, then the totals
 * (npu_result_finish). What each column means is in docs/engine.md ("What a result row
 * says"); how the engine gathers the statistics during the run is in engine.c.
 *
 * Choices: a layer's times are the ps of its first and last activity converted to core
 * cycles once (llround), so columns add up without drift; its compute is the main unit's
 * compute phase (or occupancy for a DMA/host main unit); control stall is the main unit's
 * control-released waits inside the layer's window plus the tail after the layer's last data
 * work; memory stall is the rest. The ideal cycles are the larger of the MAC bound at the
 * dtype's peak and the bytes bound at DRAM speed (views move nothing).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../isa/program.h"
#include "energy.h"
#include "state.h"

/* Views (reshape, flatten, …) alias their input: their minimum DRAM traffic is zero. The
 * layer table carries the op's name (a saved program stores nothing else); its class comes
 * from the op table of graph.h. A host op's own name (an unknown ONNX op) is no view. */
static bool op_is_view(const char *op)
{
    npu_op o;
    return op && npu_op_parse(op, &o) == 0 && npu_op_class(o) == NPU_OPC_VIEW;
}

static const char *const dtype_names[] = {
#define NPU_X(e, s, b, f) s,
    NPU_DTYPE_LIST(NPU_X)
#undef NPU_X
};

/* ---- what the model adds to the statistics ---------------------------------------------------------------------------- */

void npu_engine_set_peak(npu_engine *e, npu_dtype dt, double macs_per_cycle)
{
    if ((int)dt >= 0 && dt < NPU_DT_COUNT && macs_per_cycle >= 0) {
        e->peak[dt] = macs_per_cycle;
        if (e->cur_scope > 0) /* a workload's frame: its own (e.g. one core of three) */
            e->sc[e->cur_scope].peak[dt] = macs_per_cycle;
    }
}

void npu_engine_set_main_unit(npu_engine *e, int layer, int u)
{
    layer = npu_eng_scoped_layer(e, layer);
    if (layer >= 0 && layer < e->nl && u >= -1 && u < e->nu)
        e->main_unit[layer] = u;
}

int npu_engine_extra_col(npu_engine *e, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < e->nextra; i++)
        if (strcmp(e->xnames[i], name) == 0)
            return i;
    if (e->nextra == e->cextra) {
        int nc = e->cextra ? e->cextra * 2 : 4;
        double *nx = npu_calloc(((size_t)e->nl + 1) * (size_t)nc, sizeof(double));
        char **nn = npu_realloc(e->xnames, (size_t)nc * sizeof(char *));
        if (!nx || !nn) {
            free(nx);
            if (nn)
                e->xnames = nn;
            return -1;
        }
        e->xnames = nn;
        for (int l = 0; l <= e->nl; l++)
            for (int c = 0; c < e->nextra; c++)
                nx[(size_t)l * nc + c] = e->extra[(size_t)l * e->cextra + c];
        free(e->extra);
        e->extra = nx;
        e->cextra = nc;
    }
    char *nm = npu_strdup(name);
    if (!nm)
        return -1;
    e->xnames[e->nextra] = nm;
    return e->nextra++;
}

void npu_engine_add_extra(npu_engine *e, int layer, int col, double v)
{
    layer = npu_eng_scoped_layer(e, layer);
    if (layer >= 0 && layer < e->nl && col >= 0 && col < e->nextra)
        e->extra[(size_t)layer * e->cextra + col] += v;
}

void npu_engine_record(npu_engine *e, bool on) { e->record = on; }

const npu_interval *npu_engine_intervals(const npu_engine *e, size_t *n)
{
    if (n)
        *n = e->niv;
    return e->iv;
}

static int64_t ps_to_cycles(double ps, double pspc) { return (int64_t)llround(ps / pspc); }

/* t − t0, or 0 before t0 (times of one frame from its release) */
static npu_time since(npu_time t, npu_time t0) { return t > t0 ? t - t0 : 0; }

static int main_unit_of(const npu_engine *e, int l)
{
    if (e->main_unit[l] >= 0)
        return e->main_unit[l];
    int best = -1;
    npu_time bv = 0;
    for (int u = 0; u < e->nu; u++)
        if (e->u[u].kind == NPU_UK_COMPUTE && e->u[u].lbusy[l] > bv) {
            bv = e->u[u].lbusy[l];
            best = u;
        }
    if (best >= 0)
        return best;
    for (int u = 0; u < e->nu; u++)
        if (!e->u[u].irq_line && e->u[u].lbusy[l] > bv) {
            bv = e->u[u].lbusy[l];
            best = u;
        }
    return best;
}

/* The result for engine layers base … base+nl-1 (prog's layers), times from t0; the units'
 * busy times only for the whole run (a workload's frame is a part of the units' time). */
static npu_result *result_of(npu_engine *e, const struct npu_program *prog, const npu_params *p,
                             int base, int nl, npu_time t0, const double *peak, bool units,
                             npu_err *err)
{
    npu_result *r = npu_result_new();
    if (!r) {
        npu_err_set(err, NPU_ENOMEM, "engine: out of memory");
        return NULL;
    }
    int *mus = NULL;
    npu_time *cps = NULL;
    int cc = e->core_clk >= 0 ? e->core_clk : (e->host.clk_cpu >= 0 ? e->host.clk_cpu : -1);
    double mhz = cc >= 0 ? e->c[cc].mhz : 1000.0;
    double pspc = 1e6 / mhz;
    r->freq_mhz = mhz;
    r->dram_bytes_per_cycle = e->p[NPU_PORT_DRAM].cap * pspc;
    const char *arch = (prog && prog->arch) ? prog->arch : (p && p->arch) ? p->arch : "";
    const char *model = (prog && prog->model) ? prog->model : (p && p->model) ? p->model : "";
    r->arch = npu_arena_strdup(&r->arena, arch);
    r->model = npu_arena_strdup(&r->arena, model);
    r->graph = npu_arena_strdup(&r->arena, (prog && prog->graph) ? prog->graph : "");
    if (prog && prog->batch > 0 && prog->items > 0 && prog->unit && prog->unit[0]) {
        r->total.batch = prog->batch;
        r->total.items = prog->items;
        r->total.unit = npu_arena_strdup(&r->arena, prog->unit);
        r->prefill = prog->prefill;
    }
    r->nlayers = nl;
    r->layers = npu_arena_alloc(&r->arena, ((size_t)nl + 1) * sizeof(npu_layer_row));
    if (p)
        r->params = npu_params_clone(p);
    if (!r->arch || !r->model || !r->graph || !r->layers || (p && !r->params) || !r->total.unit)
        goto oom;

    /* The run's dtype: the one carrying the most MACs. */
    int64_t dmacs[NPU_DT_COUNT] = {0};
    for (int l = 0; prog && l < nl; l++) {
        int dt = prog->layers[l].dtype;
        if (dt >= 0 && dt < NPU_DT_COUNT && prog->layers[l].macs > 0)
            dmacs[dt] += prog->layers[l].macs;
    }
    int rdt = -1;
    for (int d = 0; d < NPU_DT_COUNT; d++)
        if (dmacs[d] > 0 && (rdt < 0 || dmacs[d] > dmacs[rdt]))
            rdt = d;
    r->peak_macs = rdt >= 0 ? peak[rdt] : 0;
    for (int d = 0; r->peak_macs <= 0 && d < NPU_DT_COUNT; d++)
        r->peak_macs = peak[d];

    /* Main units, and their control-released waits clipped to each layer's window (one
     * pass over the wait records). */
    mus = npu_malloc(((size_t)nl + 1) * sizeof *mus);
    cps = npu_calloc((size_t)nl + 1, sizeof *cps);
    if (!mus || !cps)
        goto oom;
    for (int l = 0; l < nl; l++)
        mus[l] = main_unit_of(e, base + l);
    for (size_t k = 0; k < e->ncw; k++) {
        const cwait *w = &e->cw[k];
        int wl = w->layer - base;
        if (w->layer < 0 || wl < 0 || wl >= nl || w->unit != mus[wl] || !e->ls[w->layer].active)
            continue;
        const lstat *L = &e->ls[w->layer];
        npu_time a = w->start > L->start ? w->start : L->start;
        npu_time b = w->end < L->end ? w->end : L->end;
        if (b > a)
            cps[wl] += b - a;
    }
    for (int l = 0; l < nl; l++) {
        npu_layer_row *row = &r->layers[l];
        const npu_prog_layer *pl = prog ? &prog->layers[l] : NULL;
        const int g = base + l; /* the engine's layer */
        const lstat *L = &e->ls[g];
        char nb[32];
        snprintf(nb, sizeof nb, "layer%d", l);
        int mu = mus[l];
        row->index = l;
        row->name = npu_arena_strdup(&r->arena, pl && pl->name ? pl->name : nb);
        row->op = npu_arena_strdup(&r->arena, pl && pl->op ? pl->op : "");
        const char *eng = (pl && pl->engine && pl->engine[0]) ? pl->engine
                          : mu >= 0                          ? e->u[mu].name
                                                             : "";
        row->engine = npu_arena_strdup(&r->arena, eng);
        int dt = pl ? pl->dtype : -1;
        row->dtype = npu_arena_strdup(&r->arena, (dt >= 0 && dt < NPU_DT_COUNT) ? dtype_names[dt] : "");
        if (!row->name || !row->op || !row->engine || !row->dtype)
            goto oom;
        row->macs = pl ? pl->macs : 0;
        if (L->active) {
            row->start = ps_to_cycles((double)since(L->start, t0), pspc);
            row->end = ps_to_cycles((double)since(L->end, t0), pspc);
        }
        row->cycles = row->end - row->start;
        /* Main unit: compute phase time, and its control-released waits inside the window. */
        int64_t comp = 0, ctrl = 0;
        if (mu >= 0) {
            comp = ps_to_cycles((double)e->u[mu].lcomp[g], pspc);
            if (e->u[mu].kind == NPU_UK_DMA || e->u[mu].kind == NPU_UK_HOST)
                comp = ps_to_cycles((double)e->u[mu].lbusy[g], pspc);
            ctrl = ps_to_cycles((double)cps[l], pspc);
            /* The wait reasons of the tail: once the layer's last data work is done, what
             * keeps it open is the control path (an interrupt, the host's op-done handling, a
             * host job of the layer); the main unit then waits on control, not on memory. A
             * layer with no data work at all (a host op) keeps its busy time as compute. */
            if (L->active && L->data_active && L->data_end < L->end &&
                e->u[mu].kind != NPU_UK_HOST && e->u[mu].kind != NPU_UK_CTRL)
                ctrl += ps_to_cycles((double)since(L->end, t0), pspc) -
                        ps_to_cycles((double)since(L->data_end > L->start ? L->data_end : L->start,
                                                   t0),
                                      pspc);
        }
        if (comp > row->cycles)
            comp = row->cycles;
        if (ctrl > row->cycles - comp)
            ctrl = row->cycles - comp;
        row->compute_cycles = comp;
        row->ctrl_stall_cycles = ctrl;
        row->mem_stall_cycles = row->cycles - comp - ctrl;
        for (int q = 0; q < e->np; q++) {
            uint64_t rd = e->p[q].lbytes[2 * g], wr = e->p[q].lbytes[2 * g + 1];
            if (e->p[q].invalid)
                continue;
            if (e->p[q].cfg.is_sram) {
                row->sram_rd_bytes += (int64_t)rd;
                row->sram_wr_bytes += (int64_t)wr;
            } else if (q == NPU_PORT_DRAM || e->p[q].cfg.is_dram) {
                row->dram_rd_bytes += (int64_t)rd;
                row->dram_wr_bytes += (int64_t)wr;
            } else {
                row->onchip_bytes += (int64_t)(rd + wr);
            }
        }
        row->onchip_bytes += L->onchip;
        row->irq_count = L->irq;
        row->irq_cycles = ps_to_cycles((double)L->irq_ps, pspc);
        row->host_cycles = ps_to_cycles((double)L->host_ps, pspc);
        double pk = (dt >= 0 && dt < NPU_DT_COUNT) ? peak[dt] : 0;
        double ic = 0;
        if (pk > 0 && row->macs > 0)
            ic = (double)row->macs / pk;
        if (pl && r->dram_bytes_per_cycle > 0 && !op_is_view(pl->op)) {
            double b = (double)(pl->in_bytes + pl->out_bytes + pl->weight_bytes);
            if (b / r->dram_bytes_per_cycle > ic)
                ic = b / r->dram_bytes_per_cycle;
        }
        row->ideal_cycles = (int64_t)ceil(ic - 1e-9);
        row->bound = "";
    }
    /* the declared buffers' traffic as extra columns "<buffer>_bytes" */
    for (int b = 0; b < e->nbuf; b++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s_bytes", e->buf[b].name);
        int col = npu_engine_extra_col(e, nm);
        if (col < 0)
            goto oom;
        for (int l = 0; l < e->nl; l++)
            e->extra[(size_t)l * e->cextra + col] = (double)e->buf[b].lbytes[l];
    }
    if (e->nextra > 0) {
        r->nextra = e->nextra;
        r->extra_names = npu_arena_alloc(&r->arena, (size_t)e->nextra * sizeof(char *));
        r->extra = npu_arena_alloc(&r->arena, ((size_t)nl + 1) * (size_t)e->nextra * sizeof(double));
        if (!r->extra_names || !r->extra)
            goto oom;
        for (int c = 0; c < e->nextra; c++) {
            r->extra_names[c] = npu_arena_strdup(&r->arena, e->xnames[c]);
            if (!r->extra_names[c])
                goto oom;
        }
        for (int l = 0; l < nl; l++)
            for (int c = 0; c < e->nextra; c++)
                r->extra[(size_t)l * e->nextra + c] = e->extra[(size_t)(base + l) * e->cextra + c];
    }
    /* every unit's busy time over the run (its idle time is the run's time minus it) */
    static const char *const kinds[] = {"compute", "dma", "ctrl", "host"};
    r->nunits = units ? e->nu : 0;
    r->unit_names = npu_arena_alloc(&r->arena, ((size_t)r->nunits + 1) * sizeof(char *));
    r->unit_kinds = npu_arena_alloc(&r->arena, ((size_t)r->nunits + 1) * sizeof(char *));
    r->unit_busy_us = npu_arena_alloc(&r->arena, ((size_t)r->nunits + 1) * sizeof(double));
    if (!r->unit_names || !r->unit_kinds || !r->unit_busy_us)
        goto oom;
    for (int u = 0; u < r->nunits; u++) {
        r->unit_names[u] = npu_arena_strdup(&r->arena, e->u[u].name);
        if (!r->unit_names[u])
            goto oom;
        r->unit_kinds[u] = e->u[u].irq_line ? "irq" : kinds[e->u[u].kind];
        r->unit_busy_us[u] = (double)e->u[u].busy_ps * 1e-6;
    }
    /* mus doubles as "ran on a host processor" per layer for the energy prices */
    for (int l = 0; l < nl; l++)
        mus[l] = mus[l] >= 0 && e->u[mus[l]].kind == NPU_UK_HOST;
    npu_energy_price(e, r, p, base, mus);
    npu_result_finish(r);
    free(mus);
    free(cps);
    return r;
oom:
    free(mus);
    free(cps);
    npu_result_free(r);
    npu_err_set(err, NPU_ENOMEM, "engine: out of memory building the result");
    return NULL;
}

npu_result *npu_engine_result(npu_engine *e, const struct npu_program *prog, const npu_params *p,
                              npu_err *err)
{
    if (prog && prog->nlayers != e->nl) {
        npu_err_set(err, NPU_EINVAL, "engine: program has %d layers, the engine was built for %d",
                    prog->nlayers, e->nl);
        return NULL;
    }
    return result_of(e, prog, p, 0, e->nl, 0, e->peak, true, err);
}

npu_result *npu_engine_result_scope(npu_engine *e, int scope, npu_time t0,
                                    const struct npu_program *prog, const npu_params *p,
                                    npu_err *err)
{
    if (scope <= 0 || scope >= e->nsc || !prog || e->sc[scope].lbase + prog->nlayers > e->nl) {
        npu_err_set(err, NPU_EINVAL, "engine: no workload scope %d for program %s", scope,
                    prog && prog->graph ? prog->graph : "?");
        return NULL;
    }
    return result_of(e, prog, p, e->sc[scope].lbase, prog->nlayers, t0, e->sc[scope].peak, false,
                     err);
}
