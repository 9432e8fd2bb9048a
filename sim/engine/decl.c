/* decl.c — what a model declares before it submits jobs: clocks, units and syncs (prefix
 * npu_engine_; the contract is sim/engine/engine.h, the run loop that uses them engine.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int npu_engine_clock(npu_engine *e, const char *name, double mhz)
{
    if (!(mhz > 0 && mhz < 1e7) || npu_eng_grow(&e->c, &e->cc, e->nc + 1, sizeof(clk)) != 0)
        return -1;
    for (int i = 0; e->cur_scope > 0 && name && i < e->nc; i++)
        if (strcmp(e->c[i].name, name) == 0 && e->c[i].mhz == mhz)
            return i; /* a later workload's model asks for the clock the first one made */
    char *nm = npu_strdup(name ? name : "clk");
    if (!nm)
        return -1;
    int id = e->nc++;
    e->c[id] = (clk){.name = nm, .mhz = mhz, .ps_per_cycle = 1e6 / mhz};
    /* The first clock a model adds is the core clock; the host's own clocks (added while the
     * engine is built, before any model code runs) never are, unless nothing else exists. */
    if (!e->core_set && e->core_clk < 0 && e->host_ready)
        e->core_clk = id;
    return id;
}

void npu_engine_set_core_clock(npu_engine *e, int c)
{
    if (c >= 0 && c < e->nc) {
        e->core_clk = c;
        e->core_set = true;
    }
}

double npu_engine_clock_mhz(const npu_engine *e, int c)
{
    return (c >= 0 && c < e->nc) ? e->c[c].mhz : 0.0;
}

npu_time npu_engine_cycles_ps(const npu_engine *e, int c, double cycles)
{
    return npu_eng_cycles_ps(e, c, cycles);
}

int npu_engine_unit(npu_engine *e, const char *name, npu_unit_kind kind, int c, int slots,
                    double dma_bytes_per_cycle)
{
    if (!name || !name[0] || c < 0 || c >= e->nc || slots < 0 || (int)kind < 0 ||
        kind > NPU_UK_HOST || !(dma_bytes_per_cycle >= 0 && dma_bytes_per_cycle < 1e9))
        return -1;
    char nbuf[160];
    name = npu_eng_scope_unit_name(e, name, kind, nbuf, sizeof nbuf);
    int have = npu_engine_find_unit(e, name);
    if (have >= 0) /* in a workload scope: the hardware every workload shares */
        return e->cur_scope > 0 && e->u[have].kind == kind ? have : -1;
    if (npu_eng_grow(&e->u, &e->cu, e->nu + 1, sizeof(unit)) != 0)
        return -1;
    if (e->kick_cap < e->nu + 1) {
        /* The kick ring must keep its order when it grows: copy it out linearly. */
        int nc = e->kick_cap ? e->kick_cap * 2 : 16;
        int *nk = npu_malloc((size_t)nc * sizeof(int));
        if (!nk)
            return -1;
        for (int i = 0; i < e->kick_n; i++)
            nk[i] = e->kick[(e->kick_head + i) % e->kick_cap];
        free(e->kick);
        e->kick = nk;
        e->kick_cap = nc;
        e->kick_head = 0;
    }
    unit *U = &e->u[e->nu];
    memset(U, 0, sizeof *U);
    U->name = npu_strdup(name);
    U->lbusy = npu_calloc((size_t)e->nl + 1, sizeof(npu_time));
    U->lcomp = npu_calloc((size_t)e->nl + 1, sizeof(npu_time));
    if (!U->name || !U->lbusy || !U->lcomp) {
        free(U->name);
        free(U->lbusy);
        free(U->lcomp);
        return -1;
    }
    U->kind = kind;
    U->clk = c;
    U->slots = slots;
    U->cap = dma_bytes_per_cycle > 0 ? dma_bytes_per_cycle / e->c[c].ps_per_cycle : 0;
    U->head = U->tail = -1;
    U->blocked_on = -1;
    U->buf = -1;
    U->idle_since = e->now;
    return e->nu++;
}

const char *npu_engine_unit_name(const npu_engine *e, int u)
{
    return (u >= 0 && u < e->nu) ? e->u[u].name : "?";
}

int npu_engine_nunits(const npu_engine *e) { return e->nu; }

int npu_engine_find_unit(const npu_engine *e, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < e->nu; i++)
        if (strcmp(e->u[i].name, name) == 0)
            return i;
    return -1;
}

static int add_sync(npu_engine *e, const char *name, int64_t initial)
{
    if (npu_eng_grow(&e->s, &e->cs, e->ns + 1, sizeof(sync)) != 0)
        return -1;
    char *nm = NULL;
    if (name) {
        nm = npu_strdup(name);
        if (!nm)
            return -1;
    }
    e->s[e->ns] = (sync){.name = nm, .v = initial, .last_kind = -1};
    return e->ns++;
}

int npu_engine_sync(npu_engine *e, const char *name, int64_t initial)
{
    return add_sync(e, name ? name : "sync", initial);
}

int npu_engine_sync_anon(npu_engine *e, int64_t initial) { return add_sync(e, NULL, initial); }

int64_t npu_engine_sync_value(const npu_engine *e, int s)
{
    return (s >= 0 && s < e->ns) ? e->s[s].v : 0;
}

npu_host_state *npu_engine_host_state(npu_engine *e) { return &e->host; }
const npu_host_state *npu_engine_host_cstate(const npu_engine *e) { return &e->host; }
