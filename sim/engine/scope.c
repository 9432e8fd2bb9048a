/* scope.c — workload scopes: several programs on one engine (prefix npu_engine_scope_; the
 * contract is engine.h "workloads", the reasons are in docs/workloads.md).
 *
 * A scope is one run of one program (one frame of one workload). The kernel (engine.c) asks
 * this file three things: which engine layer a model's layer is (the scope's layer base,
 * npu_eng_scoped_layer in state.h), what a unit made now is called (context units get
 * "@workload"), and what happens when a job of a scope ends (the scope may end with it).
 * Scope 0 is "none": a run without workloads never makes one, and then nothing here runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

#define MAX_SCOPES 65535

int npu_engine_scope_new(npu_engine *e, const char *workload, int layer_base,
                         npu_scope_done_fn done, void *ud, npu_err *err)
{
    if (!workload || !*workload || layer_base < 0 || layer_base > e->nl)
        return npu_err_set(err, NPU_EINVAL, "engine: bad workload scope ('%s', layer base %d)",
                           workload ? workload : "", layer_base),
               -1;
    if (e->nsc == 0)
        e->nsc = 1; /* scope 0 is "none" */
    if (e->nsc > MAX_SCOPES)
        return npu_err_set(err, NPU_EINVAL,
                           "engine: more than %d workload frames in one run (lower count=)",
                           MAX_SCOPES),
               -1;
    if (npu_eng_grow(&e->sc, &e->csc, e->nsc + 1, sizeof(wscope)) != 0)
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory"), -1;
    char *wl = npu_strdup(workload);
    if (!wl)
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory"), -1;
    if (e->nsc == 1)
        e->sc[0] = (wscope){.wl = NULL};
    e->sc[e->nsc] = (wscope){.wl = wl, .lbase = layer_base, .done = done, .ud = ud,
                              .dram = NPU_PORT_DRAM};
    return e->nsc++;
}

int npu_engine_scope_set(npu_engine *e, int scope)
{
    int was = e->cur_scope;
    e->cur_scope = (scope > 0 && scope < e->nsc) ? scope : 0;
    return was;
}

static void maybe_end(npu_engine *e, int sc)
{
    wscope *S = &e->sc[sc];
    if (!S->closed || S->pending > 0 || S->ended)
        return;
    S->ended = true;
    S->end = e->now;
    if (S->done)
        S->done(e, S->ud, sc);
}

void npu_engine_scope_close(npu_engine *e, int scope)
{
    if (scope <= 0 || scope >= e->nsc)
        return;
    e->sc[scope].closed = true;
    maybe_end(e, scope);
}

npu_time npu_engine_scope_end(const npu_engine *e, int scope)
{
    return (scope > 0 && scope < e->nsc) ? e->sc[scope].end : 0;
}

void npu_eng_scope_job_end(npu_engine *e, int sc)
{
    if (sc <= 0 || sc >= e->nsc)
        return;
    e->sc[sc].pending--;
    maybe_end(e, sc);
}

const char *npu_eng_scope_unit_name(const npu_engine *e, const char *name, npu_unit_kind kind,
                                    char *buf, size_t n)
{
    if (e->cur_scope <= 0)
        return name;
    const wscope *S = &e->sc[e->cur_scope];
    bool ctx = kind == NPU_UK_HOST || e->unit_ctx;
    if (S->chip > 0 && ctx)
        snprintf(buf, n, "%s@chip%d@%s", name, S->chip, S->wl);
    else if (S->chip > 0)
        snprintf(buf, n, "%s@chip%d", name, S->chip);
    else if (ctx)
        snprintf(buf, n, "%s@%s", name, S->wl);
    else
        return name;
    return buf;
}

int npu_engine_scope_chip(npu_engine *e, int scope, int chip, int dram_port, npu_err *err)
{
    if (scope <= 0 || scope >= e->nsc || chip < 0 || chip > 255 || dram_port < 0 ||
        dram_port >= e->np || (chip > 0 && !e->p[dram_port].cfg.is_dram))
        return npu_err_set(err, NPU_EINVAL, "engine: bad chip %d (DRAM port %d) for scope %d",
                           chip, dram_port, scope);
    e->sc[scope].chip = chip;
    e->sc[scope].dram = chip > 0 ? dram_port : NPU_PORT_DRAM;
    return 0;
}

int npu_eng_scope_port(const npu_engine *e, int p)
{
    if (e->cur_scope <= 0 || p != NPU_PORT_DRAM)
        return p;
    return e->sc[e->cur_scope].dram;
}

int npu_engine_unit_ctx(npu_engine *e, const char *name, npu_unit_kind kind, int clock, int slots,
                        double dma_bytes_per_cycle)
{
    e->unit_ctx = true;
    int u = npu_engine_unit(e, name, kind, clock, slots, dma_bytes_per_cycle);
    e->unit_ctx = false;
    return u;
}

void npu_eng_scope_free(npu_engine *e)
{
    for (int i = 1; i < e->nsc; i++)
        free(e->sc[i].wl);
    free(e->sc);
}
