/* mem.c — the engine's memory system: the DRAM and SRAM ports built from dram.* / sram.*,
 * the shared parameter table, and how concurrent transfers share a port (prefix npu_mem_ for
 * the kernel's internal calls, npu_engine_ for the public ones of engine.h).
 *
 * A transfer is rounded up to whole bursts per run, waits the port latency once (an event of
 * engine.c), then shares the port. Shares are max-min fair (water-filling) in "port time": a
 * transfer with run-length factor f = run/(run+half) moves f real bytes per unit of port
 * capacity (peak·eff), and its requester's cap is converted likewise. Whenever a transfer
 * joins or leaves a port, every active transfer's remaining bytes are advanced, rates are
 * recomputed and changed completions re-timed, in one pass over the port's compact array of
 * active transfers (port.act). Completions are not heap events: each port keeps its earliest
 * one (port.nxt, .nt, .nseq), and the run loop takes whichever comes first, the heap's
 * top or a port's completion. (Pushing an event per re-timing left ~85 % of a large LLM run's
 * events stale in the heap.) The arithmetic is the order-dependent one of the first version
 * (rates in sorted order, remaining bytes advanced at every change): the published runs are
 * pinned to the bit, so any faster scheme must give the same doubles.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "energy.h"
#include "host_params.h"
#include "state.h"

/* ---- the shared parameter table ------------------------------------------------------------
 * dram.* and sram.* here, host.* and mcu.* from host_params.h, energy.* from energy.h: every
 * model gets them all. */
const npu_param_def npu_engine_param_defs[] = {
    {"dram.gbps", NPU_P_FLOAT, 12.8, NULL, 0.01, 10000, NULL, "GB/s",
     "DRAM peak bandwidth (default: LPDDR4-3200 x32 = 12.8 GB/s; assumption, presets set theirs)"},
    {"dram.latency_ns", NPU_P_FLOAT, 100, NULL, 0, 100000, NULL, "ns",
     "DRAM request-to-first-data latency seen by an accelerator port (assumption: ~100 ns loaded)"},
    {"dram.efficiency", NPU_P_FLOAT, 0.8, NULL, 0.01, 1, NULL, "",
     "sustained fraction of peak for long streams (assumption: 0.8, refresh + bank conflicts)"},
    {"dram.burst_bytes", NPU_P_INT, 64, NULL, 0, 65536, NULL, "B",
     "transfers are rounded up to whole bursts of this size per run (64 B: BL16 x32 LPDDR4 / AXI "
     "line; 0 = no rounding)"},
    {"dram.half_bytes", NPU_P_INT, 0, NULL, 0, 16777216, NULL, "B",
     "contiguous run length reaching half the sustained rate: rate(run) = peak*eff*run/(run+half) "
     "(0 = no run-length loss; assumption)"},
    {"dram.capacity_mb", NPU_P_INT, 0, NULL, 0, 1048576, NULL, "MiB",
     "DRAM on the board the preset assumes (0 = unknown: no fits check); soc-facts.md §5"},
    {"dram.os_mb", NPU_P_INT, 0, NULL, 0, 1048576, NULL, "MiB",
     "DRAM the OS, other drivers and reserved carve-outs keep: the model gets capacity - os"},
    {"sram.kb", NPU_P_INT, 0, NULL, 0, 1048576, NULL, "KiB",
     "on-chip system SRAM usable by the NPU; 0 = none (RK3588: 956 KiB, research/rknpu.md §1.5)"},
    {"sram.gbps", NPU_P_FLOAT, 64, NULL, 0.01, 100000, NULL, "GB/s",
     "system SRAM bandwidth (assumption; NVDLA hwarch: SRAM gives 2-4x DRAM bandwidth)"},
    {"sram.latency_ns", NPU_P_FLOAT, 20, NULL, 0, 100000, NULL, "ns",
     "system SRAM latency (assumption; NVDLA hwarch: 1/10-1/4 of DRAM latency)"},
    NPU_HOST_PARAM_ROWS
    NPU_ENERGY_PARAM_ROWS
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const npu_param_def *def_of(const char *key)
{
    for (const npu_param_def *d = npu_engine_param_defs; d->name; d++)
        if (strcmp(d->name, key) == 0)
            return d;
    return NULL;
}

double npu_engine_pnum(const npu_params *p, const char *key)
{
    int i = p ? npu_params_find(p, key) : -1;
    if (i >= 0)
        return p->v[i].num;
    const npu_param_def *d = def_of(key);
    return d ? d->def : 0.0;
}

const char *npu_engine_pstr(const npu_params *p, const char *key)
{
    int i = p ? npu_params_find(p, key) : -1;
    if (i >= 0 && p->v[i].str)
        return p->v[i].str;
    const npu_param_def *d = def_of(key);
    return d && d->def_s ? d->def_s : "";
}

/* ---- the ports ------------------------------------------------------------------------------ */

int npu_mem_init(npu_engine *e, const npu_params *p, npu_err *err)
{
    npu_port_cfg dram = {.name = "dram",
                         .gbps = npu_engine_pnum(p, "dram.gbps"),
                         .latency_ns = npu_engine_pnum(p, "dram.latency_ns"),
                         .efficiency = npu_engine_pnum(p, "dram.efficiency"),
                         .burst_bytes = (uint32_t)npu_engine_pnum(p, "dram.burst_bytes"),
                         .half_bytes = (uint32_t)npu_engine_pnum(p, "dram.half_bytes"),
                         .is_sram = false};
    if (npu_mem_add_port(e, &dram, err) < 0)
        return err ? err->code : NPU_EINVAL;
    if (npu_engine_pnum(p, "sram.kb") <= 0) {
        /* Keep id 1 for SRAM: a placeholder that no job may use. */
        npu_port_cfg none = {.name = "(no sram)", .gbps = 1, .efficiency = 1};
        if (npu_mem_add_port(e, &none, err) < 0)
            return err ? err->code : NPU_EINVAL;
        e->p[NPU_PORT_SRAM].invalid = true;
        return 0;
    }
    npu_port_cfg sram = {.name = "sram",
                         .gbps = npu_engine_pnum(p, "sram.gbps"),
                         .latency_ns = npu_engine_pnum(p, "sram.latency_ns"),
                         .efficiency = 1.0,
                         .burst_bytes = 0,
                         .half_bytes = 0,
                         .is_sram = true};
    if (npu_mem_add_port(e, &sram, err) < 0)
        return err ? err->code : NPU_EINVAL;
    return 0;
}

bool npu_engine_has_sram(const npu_engine *e)
{
    return e->np > NPU_PORT_SRAM && !e->p[NPU_PORT_SRAM].invalid;
}

int npu_mem_add_port(npu_engine *e, const npu_port_cfg *cfg, npu_err *err)
{
    if (!cfg || !cfg->name || !cfg->name[0])
        return npu_err_set(err, NPU_EINVAL, "engine: memory port without a name"), -1;
    if (!(cfg->gbps > 0 && cfg->gbps < 1e6))
        return npu_err_set(err, NPU_EINVAL, "engine: port '%s': bandwidth %g GB/s out of range (0, 1e6)",
                           cfg->name, cfg->gbps), -1;
    if (!(cfg->latency_ns >= 0 && cfg->latency_ns < 1e9))
        return npu_err_set(err, NPU_EINVAL, "engine: port '%s': latency %g ns out of range [0, 1e9)",
                           cfg->name, cfg->latency_ns), -1;
    if (!(cfg->efficiency > 0 && cfg->efficiency <= 1))
        return npu_err_set(err, NPU_EINVAL, "engine: port '%s': efficiency %g out of range (0, 1]",
                           cfg->name, cfg->efficiency), -1;
    for (int i = 0; i < e->np; i++)
        if (strcmp(e->p[i].cfg.name, cfg->name) == 0)
            return npu_err_set(err, NPU_EINVAL, "engine: memory port '%s' defined twice", cfg->name), -1;
    if (npu_eng_grow(&e->p, &e->cp, e->np + 1, sizeof(port)) != 0)
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory"), -1;
    port *P = &e->p[e->np];
    memset(P, 0, sizeof *P);
    P->cfg = *cfg;
    P->cfg.name = npu_strdup(cfg->name);
    P->lbytes = npu_calloc(((size_t)e->nl + 1) * 2, sizeof(uint64_t));
    if (!P->cfg.name || !P->lbytes) {
        free((char *)P->cfg.name);
        free(P->lbytes);
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory"), -1;
    }
    P->cap = cfg->gbps * cfg->efficiency * 1e-3; /* GB/s = bytes/ns = 1e-3 bytes/ps */
    P->lat_ps = (npu_time)llround(cfg->latency_ns * 1e3);
    P->last = e->now;
    P->nxt = -1;
    return e->np++;
}

int npu_engine_port(npu_engine *e, const npu_port_cfg *cfg, npu_err *err)
{
    if (e->cur_scope <= 0 || !cfg || !cfg->name)
        return npu_mem_add_port(e, cfg, err);
    /* in a workload scope: a port is hardware, made once (per card chip) */
    char nbuf[160];
    npu_port_cfg c = *cfg;
    c.name = npu_eng_scope_unit_name(e, cfg->name, NPU_UK_DMA, nbuf, sizeof nbuf);
    for (int q = 0; q < e->np; q++)
        if (strcmp(e->p[q].cfg.name, c.name) == 0)
            return q;
    return npu_mem_add_port(e, &c, err);
}

const npu_port_cfg *npu_engine_port_cfg(const npu_engine *e, int id)
{
    return (id >= 0 && id < e->np && !e->p[id].invalid) ? &e->p[id].cfg : NULL;
}

int npu_engine_nports(const npu_engine *e) { return e->np; }

uint64_t npu_engine_port_bytes(const npu_engine *e, int id)
{
    uint64_t b = 0;
    for (int l = 0; id >= 0 && id < e->np && l <= e->nl; l++)
        b += e->p[id].lbytes[2 * l] + e->p[id].lbytes[2 * l + 1];
    return b;
}

/* ---- sharing a port ----------------------------------------------------------------------------- */

/* One active transfer at position i of n after its remaining bytes were advanced: its share
 * of what is left of the port (max-min fair, water-filling in cap order), re-timed when its
 * rate changed. A re-timing takes a fresh sequence number, exactly as pushing a new event did
 * before the port kept one pending completion (so ties between equal times still break in
 * the order the completions were last timed, and runs are unchanged), but nothing is pushed:
 * the heap holds no stale completions. Keeps the earliest completion in *best. */
static inline void share(npu_engine *e, pact *A, int i, int n, double *left, const pact **best)
{
    double m = (double)(n - i), r;
    /* The share is left / m and r = min(cap, share). Where cap·m is below left by more than
     * the roundings of the two sides (t: cap·m·(1 + 2^-49), both normal), cap < fl(left / m)
     * for certain and r = cap without the division: half of an ascend910 point's entries are
     * capped, and the divisions are a chain through `left` (each waits for the one before). */
    double t = A->cap * m * (1 + 0x1p-49);
    if (t < *left && t > 0x1p-900) {
        r = A->cap;
    } else {
        double sh = *left / m;
        r = A->cap < sh ? A->cap : sh;
    }
    *left -= r;
    if (*left < 0)
        *left = 0;
    if (r != A->rate) {
        A->rate = r;
        double d = r > 0 ? A->rem / r : (double)TIME_LIMIT;
        if (d >= (double)(TIME_LIMIT - e->now)) {
            e->toverflow = true;
            d = (double)(TIME_LIMIT - e->now);
        }
        A->tdone = e->now + npu_eng_round_ps(d);
        A->tseq = e->seq++;
    }
    const pact *b = *best;
    if (!b || A->tdone < b->tdone || (A->tdone == b->tdone && A->tseq < b->tseq))
        *best = A;
}

/* Remaining bytes at the current rate until now (every change of the port advances every
 * active transfer: the order of these subtractions is part of the pinned results). */
static inline void advance(pact *A, double dt)
{
    if (dt > 0) {
        A->rem -= A->rate * dt;
        if (A->rem < 0)
            A->rem = 0;
    }
}

static void set_next(port *P, const pact *best)
{
    P->nxt = best ? best->xi : -1;
    if (best) {
        P->nt = best->tdone;
        P->nseq = best->tseq;
    }
}

/* Transfer xi joins its port: sorted in by cap (after the equal ones), then one pass advances
 * the others, recomputes every share and finds the next completion. */
void npu_mem_join(npu_engine *e, int xi)
{
    xrec *X = &e->x[xi];
    port *P = &e->p[X->port];
    if (npu_eng_grow(&P->act, &P->cact, P->nact + 1, sizeof(pact)) != 0) {
        e->oom = true;
        return;
    }
    int lo = 0, hi = P->nact;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (P->act[mid].cap > X->cap)
            hi = mid;
        else
            lo = mid + 1;
    }
    memmove(&P->act[lo + 1], &P->act[lo], (size_t)(P->nact - lo) * sizeof(pact));
    P->act[lo] = (pact){.rem = X->rem, .cap = X->cap, .rate = -1, .xi = xi};
    int n = ++P->nact;
    double dt = e->now > P->last ? (double)(e->now - P->last) : 0;
    P->last = e->now;
    double left = P->cap;
    const pact *best = NULL;
    for (int i = 0; i < n; i++) {
        pact *A = &P->act[i];
        if (i != lo)
            advance(A, dt);
        share(e, A, i, n, &left, &best);
    }
    set_next(P, best);
}

/* Transfer xi leaves its port: one pass advances the others, closes the gap, recomputes every
 * share and finds the next completion. */
void npu_mem_leave(npu_engine *e, int xi)
{
    port *P = &e->p[e->x[xi].port];
    int old = P->nact, n = old;
    for (int k = 0; k < old; k++)
        if (P->act[k].xi == xi)
            n--;
    double dt = e->now > P->last ? (double)(e->now - P->last) : 0;
    P->last = e->now;
    double left = P->cap;
    const pact *best = NULL;
    int i = 0;
    for (int k = 0; k < old; k++) {
        if (P->act[k].xi == xi)
            continue;
        pact *A = &P->act[i];
        if (i != k)
            *A = P->act[k];
        advance(A, dt);
        share(e, A, i++, n, &left, &best);
    }
    P->nact = n;
    set_next(P, best);
}

uint64_t npu_mem_bus_bytes(uint64_t bytes, uint64_t run, uint64_t burst)
{
    if (burst <= 1)
        return bytes;
    if (run >= bytes) /* one run (most transfers): the general case's result, one division */
        return (bytes + burst - 1) / burst * burst;
    uint64_t full = bytes / run, last = bytes % run;
    uint64_t rr = (run + burst - 1) / burst * burst;
    uint64_t lr = (last + burst - 1) / burst * burst;
    return full * rr + lr;
}
