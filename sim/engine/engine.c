/* engine.c — the discrete-event kernel: events, jobs and the run loop (prefix npu_engine_).
 * The contract is sim/engine/engine.h; docs/engine.md explains it for a reader who has never
 * seen an NPU. What a model declares (clocks, units, syncs) is in decl.c, the memory ports in
 * mem.c, the statistics → result step in stats.c, the state they share in state.h; the host
 * model (host.c) uses none of it.
 *
 * Design choices (where the header is silent):
 *  - Time is uint64 ps. A clock converts cycles to ps as llround(cycles * 1e6 / MHz) once per
 *    job phase (so rounding error is below 0.5 ps per phase and never accumulates inside a
 *    phase). Transfer completions are rounded to the nearest ps as well.
 *  - Events live in one binary heap ordered by (time, sequence number): job compute phases and
 *    transfer starts (after the port latency). Work that takes no time (a job with no transfers and zero cycles) is done inline, never recursively across
 *    jobs: units to (re)start go on a "kick" list that the main loop drains before it pops
 *    the next event. Both orders are deterministic.
 *  - Jobs, transfers and events come from growable pools with free lists (no malloc per job
 *    once the pools have grown to the working-set size).
 *  - A job occupies one of its unit's slots from its start until its last write (SEQ) or its
 *    last activity (STREAM): that is the unit's "busy" (occupancy) time. The compute phase
 *    alone (cycles + extra_ps) is kept separately: it is what compute_cycles reports for the
 *    layer's main unit, so SEQ reads/writes inside a job count as memory stall.
 *  - Memory ports (mem.c): transfers share a port max-min fairly; each port keeps its earliest
 *    completion, and the main loop takes whichever comes first, the heap's top or a port's
 *    completion, by (time, sequence number).
 *  - Stall attribution: a job "waits" from the moment it is at the head of its unit's queue
 *    with a free slot until it starts. If it was blocked on a sync, the wait is charged to the
 *    kind of the unit that last signalled that sync; if the unit was idle with an empty queue
 *    and the job was submitted from a done() callback, the idle time is charged to the kind of
 *    the unit whose job ran the callback. Waits released by CTRL/HOST units are control
 *    stall; everything else is memory/pipeline stall.
 *  - Units start jobs in FIFO order (the head blocks the queue), except the host's interrupt
 *    line, which starts every job whose syncs allow: interrupts arrive in whatever order the
 *    hardware raises them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

static void mark_dirty(npu_engine *e, int jid);

/* ---- small helpers ------------------------------------------------------------------------ */

static void layer_touch(npu_engine *e, int layer, npu_time t0, npu_time t1)
{
    lstat *l = &e->ls[npu_eng_layer_slot(e, layer)];
    if (!l->active) {
        l->active = true;
        l->start = t0;
        l->end = t1;
        return;
    }
    if (t0 < l->start)
        l->start = t0;
    if (t1 > l->end)
        l->end = t1;
}

/* Work of a unit of kind k for the layer ended at t1: data work (compute, DMA, and their port
 * transfers) moves the layer's data_end; a host or control unit's work, even its own transfer,
 * is control and does not. */
static void layer_data_touch(npu_engine *e, int layer, npu_unit_kind k, npu_time t1)
{
    if (k != NPU_UK_COMPUTE && k != NPU_UK_DMA)
        return;
    lstat *l = &e->ls[npu_eng_layer_slot(e, layer)];
    if (!l->data_active || t1 > l->data_end)
        l->data_end = t1;
    l->data_active = true;
}

/* ---- heap --------------------------------------------------------------------------------- */

static inline bool ev_less(const ev *a, const ev *b)
{
    /* without short-circuit: the comparisons of a pop are unpredictable, a branch per one was
     * most of the run loop's own time */
    return (a->t < b->t) | ((a->t == b->t) & (a->seq < b->seq));
}

/* Puts v at hole i of the heap or above it, moving greater parents down. */
static void sift_up(npu_engine *e, size_t i, ev v)
{
    while (i > 0) {
        size_t par = (i - 1) / 2;
        if (!ev_less(&v, &e->heap[par]))
            break;
        e->heap[i] = e->heap[par];
        i = par;
    }
    e->heap[i] = v;
}

static void heap_push(npu_engine *e, npu_time t, int type, int id)
{
    if (e->nh == e->ch) {
        size_t c = e->ch;
        if (npu_grow((void **)&e->heap, &c, e->nh + 1, sizeof(ev)) != 0) {
            e->oom = true;
            return;
        }
        e->ch = c;
    }
    sift_up(e, e->nh++, (ev){.t = t, .seq = e->seq++, .type = type, .id = id});
}

/* Pops the least event. The hole at the top goes down to a leaf by the lesser child (a
 * data-dependent choice made without a branch), then the last event goes up from there
 * (rarely more than a step: it came from the bottom). The (time, sequence) order is total,
 * so any correct heap pops the same events in the same order. */
static ev heap_pop(npu_engine *e)
{
    ev top = e->heap[0];
    size_t n = --e->nh;
    if (n == 0)
        return top;
    ev last = e->heap[n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t m = l;
        if (l + 1 < n)
            m += ev_less(&e->heap[l + 1], &e->heap[l]);
        e->heap[i] = e->heap[m];
        i = m;
    }
    sift_up(e, i, last);
    return top;
}

/* ---- construction -------------------------------------------------------------------------- */

npu_engine *npu_engine_new(const npu_params *p, int nlayers, npu_err *err)
{
    if (nlayers < 0 || nlayers > 50000000) {
        npu_err_set(err, NPU_EINVAL, "engine: bad layer count %d", nlayers);
        return NULL;
    }
    npu_host_cfg hc;
    if (npu_host_resolve(p, &hc, err) != 0)
        return NULL;
    npu_engine *e = npu_calloc(1, sizeof *e);
    if (!e) {
        npu_err_set(err, NPU_ENOMEM, "engine: out of memory");
        return NULL;
    }
    e->nl = nlayers;
    e->job_budget = NPU_ENGINE_MAX_JOB_BYTES;
    e->core_clk = -1;
    e->jfree = -1;
    e->xfree = -1;
    e->cur_kind = -1;
    e->djfree = -1;
    for (size_t k = 0; k < sizeof e->cfree / sizeof e->cfree[0]; k++)
        e->cfree[k] = -1;
    e->ls = npu_calloc((size_t)nlayers + 1, sizeof *e->ls);
    e->main_unit = npu_malloc(((size_t)nlayers + 1) * sizeof *e->main_unit);
    if (!e->ls || !e->main_unit) {
        npu_engine_free(e);
        npu_err_set(err, NPU_ENOMEM, "engine: out of memory");
        return NULL;
    }
    for (int i = 0; i <= nlayers; i++)
        e->main_unit[i] = -1;

    if (npu_mem_init(e, p, err) != 0) {
        npu_engine_free(e);
        return NULL;
    }
    e->host.c = hc;
    if (npu_host_init(e, &e->host, err) != 0) {
        npu_engine_free(e);
        return NULL;
    }
    e->host_ready = true;
    return e;
}

void npu_engine_free(npu_engine *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nc; i++)
        free(e->c[i].name);
    free(e->c);
    for (int i = 0; i < e->nu; i++) {
        free(e->u[i].name);
        free(e->u[i].cand);
        free(e->u[i].defer);
        free(e->u[i].lbusy);
        free(e->u[i].lcomp);
    }
    free(e->u);
    for (int i = 0; i < e->ns; i++) {
        free(e->s[i].name);
        free(e->s[i].w);
        free(e->s[i].bj);
    }
    free(e->s);
    for (int i = 0; i < e->np; i++) {
        free((char *)e->p[i].cfg.name);
        free(e->p[i].act);
        free(e->p[i].lbytes);
    }
    free(e->p);
    if (e->ctx) {
        npu_ctx_stash(e->ctx, NPU_CTX_BUF_ENGINE_JOBS, e->jobs, (size_t)e->njcap * sizeof(jrec));
        npu_ctx_stash(e->ctx, NPU_CTX_BUF_ENGINE_CELLS, e->cell, (size_t)e->ccell * sizeof(cell));
    } else {
        free(e->jobs);
        free(e->cell);
    }
    free(e->x);
    free(e->heap);
    free(e->kick);
    free(e->ls);
    free(e->cw);
    free(e->main_unit);
    for (int i = 0; i < e->nextra; i++)
        free(e->xnames[i]);
    free(e->xnames);
    free(e->extra);
    free(e->iv);
    free(e->dj);
    npu_eng_scope_free(e);
    npu_eng_buffers_free(e);
    free(e);
}

void npu_engine_mark_irq_line(npu_engine *e, int u)
{
    if (u >= 0 && u < e->nu && !e->u[u].ooo) {
        e->u[u].irq_line = true;
        e->u[u].ooo = true;
        e->u[u].slots = 0;
        for (int jid = e->u[u].head; jid >= 0; jid = e->jobs[jid].next)
            mark_dirty(e, jid); /* jobs queued before: all are to be checked */
    }
}

/* ---- the kick list ------------------------------------------------------------------------- */

static void kick(npu_engine *e, int u)
{
    unit *U = &e->u[u];
    if (U->in_kick)
        return;
    U->in_kick = true;
    /* Ring of capacity nu: each unit is in it at most once (head < cap, n < cap: no modulo) */
    int pos = e->kick_head + e->kick_n;
    if (pos >= e->kick_cap)
        pos -= e->kick_cap;
    e->kick[pos] = u;
    e->kick_n++;
}

static int kick_pop(npu_engine *e)
{
    int u = e->kick[e->kick_head];
    if (++e->kick_head == e->kick_cap)
        e->kick_head = 0;
    e->kick_n--;
    e->u[u].in_kick = false;
    return u;
}

/* ---- jobs ------------------------------------------------------------------------------------ */

/* A recycled pool may be larger than the budget allows: only the allowed part is used (the
 * budget is checked when a pool grows, so the capacities must be within it). */
static void clamp_pools(npu_engine *e)
{
    size_t jb = e->job_budget / sizeof(jrec);
    if ((size_t)e->njcap > jb)
        e->njcap = (int)jb > e->njused ? (int)jb : e->njused;
    size_t used = (size_t)e->njcap * sizeof(jrec);
    size_t cb = e->job_budget > used ? (e->job_budget - used) / sizeof(cell) : 0;
    if ((size_t)e->ccell > cb)
        e->ccell = (int)cb > e->ncell ? (int)cb : e->ncell;
}

void npu_engine_set_job_budget(npu_engine *e, size_t bytes)
{
    e->job_budget = bytes;
    clamp_pools(e);
}

void npu_engine_use_ctx(npu_engine *e, npu_ctx *ctx)
{
    if (!e || e->ctx || e->njcap > 0 || e->ccell > 0)
        return; /* only before the first job */
    e->ctx = ctx;
    size_t cap = 0;
    /* Stale contents: fresh slots are initialised as they are handed out (job_alloc,
     * cells_alloc). */
    e->jobs = npu_ctx_unstash(ctx, NPU_CTX_BUF_ENGINE_JOBS, &cap);
    e->njcap = (int)(cap / sizeof(jrec) < (size_t)INT32_MAX / 2 ? cap / sizeof(jrec) : 0);
    e->cell = npu_ctx_unstash(ctx, NPU_CTX_BUF_ENGINE_CELLS, &cap);
    e->ccell = (int)(cap / sizeof(cell) < (size_t)INT32_MAX / 2 ? cap / sizeof(cell) : 0);
    size_t b = npu_ctx_job_budget(ctx);
    if (b > 0 && b < e->job_budget)
        e->job_budget = b;
    e->job_limit = npu_ctx_job_limit(ctx);
    clamp_pools(e);
}

/* k cells for a job's waits, signals and transfers: a freed run of k first, else fresh ones.
 * Returns the first cell, -1 (none needed: k = 0, or out of memory: e->oom untouched, the
 * caller checks k), -2 when the budget is spent. */
static int cells_alloc(npu_engine *e, int k)
{
    if (k == 0)
        return -1;
    int c = e->cfree[k];
    if (c >= 0) {
        e->cfree[k] = (int)e->cell[c].s.n;
        return c;
    }
    if (e->ncell + k > e->ccell) {
        int want = e->ccell ? e->ccell * 2 : 1024;
        while (want < e->ncell + k)
            want *= 2;
        if ((size_t)want * sizeof(cell) + (size_t)e->njcap * sizeof(jrec) > e->job_budget)
            return -2;
        cell *nc = npu_realloc(e->cell, (size_t)want * sizeof(cell));
        if (!nc)
            return -3;
        e->cell = nc;
        e->ccell = want;
    }
    c = e->ncell;
    e->ncell += k;
    return c;
}

static void cells_release(npu_engine *e, int c, int k)
{
    if (k == 0)
        return;
    e->cell[c].s.n = e->cfree[k]; /* the free list threads through the run's first cell */
    e->cfree[k] = c;
}

static int job_alloc(npu_engine *e)
{
    /* Freed slots first, then fresh ones from the high-water mark, in ascending order (the
     * same ids a free list threaded through every new slot would give). The fresh part of a
     * grown pool is not touched until used: threading it cost a page fault per 4 KiB of a
     * pool that is often twice what a run needs, and a fault is dear on a VM. */
    if (e->jfree >= 0) {
        int id = e->jfree;
        e->jfree = e->jobs[id].next;
        return id;
    }
    if (e->njused == e->njcap) {
        int want = e->njcap ? e->njcap * 2 : 256;
        size_t cells = (size_t)e->ccell * sizeof(cell);
        if ((size_t)want * sizeof(jrec) + cells > e->job_budget) {
            want = e->job_budget > cells ? (int)((e->job_budget - cells) / sizeof(jrec)) : 0;
            if (want <= e->njcap)
                return -2; /* the budget is spent */
        }
        jrec *nj = npu_realloc(e->jobs, (size_t)want * sizeof(jrec));
        if (!nj)
            return -1;
        e->jobs = nj;
        e->njcap = want;
    }
    e->jobs[e->njused].bgen = 0;
    return e->njused++;
}

/* A slot back to the free list, without cells. */
static void job_release_bare(npu_engine *e, int id)
{
    e->jobs[id].next = e->jfree;
    e->jfree = id;
}

static void job_release(npu_engine *e, int id)
{
    jrec *J = &e->jobs[id];
    cells_release(e, J->ops, J->nwait + J->nsig + J->nxfer);
    e->jobs[id].next = e->jfree;
    e->jfree = id;
}

/* Queues a checked job whose layer is an engine layer (the scope's offset applied). */
static int queue_job(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err)
{
    if (e->job_limit > 0 && ++e->njobs_in > e->job_limit) {
        npu_err lim = {0};
        npu_err_set(&lim, NPU_EUNSUPPORTED, "engine: " NPU_JOB_LIMIT_MSG,
                    (long long)e->job_limit);
        npu_engine_fail(e, &lim); /* also when a window hook queued it: the run ends with it */
        if (err)
            *err = lim;
        return lim.code;
    }
    int k = j->nwait + j->nsig + j->nxfer;
    int id = job_alloc(e);
    int ops = id >= 0 ? cells_alloc(e, k) : -1;
    if (id >= 0 && k > 0 && ops < 0) {
        job_release_bare(e, id);
        id = ops == -2 ? -2 : -1;
    }
    if (id == -2) {
        /* a figure for the user: the layers queued so far took the whole budget, so the run
         * needs about budget x layers / layers queued */
        int upto = j->layer >= 0 && j->layer < e->nl ? j->layer + 1 : e->nl;
        double need = (double)e->job_budget * (e->nl > 0 ? e->nl : 1) /
                      (upto > 0 ? upto : 1);
        /* in the last layer the extrapolation says nothing more than the budget: "more than" */
        int gib = need >= 1024.0 * 1024.0 * 1024.0;
        npu_err why = {0};
        npu_err_set(&why, NPU_ENOMEM,
                    "engine: the run needs more than the %.0f MiB allowed for queued jobs (%d "
                    "jobs queued by layer %d of %d; %s %.1f %s for the whole run): make it "
                    "smaller (batch, tokens) or split it",
                    (double)e->job_budget / (1024.0 * 1024.0), e->njused, upto, e->nl,
                    upto < e->nl ? "about" : "more than",
                    need / (gib ? 1024.0 * 1024.0 * 1024.0 : 1024.0 * 1024.0), gib ? "GiB" : "MiB");
        /* as the job limit: when a window hook queued it, the run ends with this reason
         * (run_fuzz: it read "out of memory during the simulation") */
        npu_engine_fail(e, &why);
        if (err)
            *err = why;
        return why.code;
    }
    if (id < 0)
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory (jobs)");
    jrec *J = &e->jobs[id];
    J->unit = j->unit;
    J->layer = j->layer;
    J->label = j->label;
    J->mode = (uint8_t)j->mode;
    J->cycles = j->cycles;
    J->extra_ps = j->extra_ps;
    J->nwait = (uint8_t)j->nwait;
    J->nsig = (uint8_t)j->nsig;
    J->nxfer = (uint8_t)j->nxfer;
    J->ops = ops;
    for (int i = 0; i < j->nwait; i++)
        e->cell[ops + i].s = j->wait[i];
    for (int i = 0; i < j->nsig; i++)
        e->cell[ops + j->nwait + i].s = j->sig[i];
    for (int i = 0; i < j->nxfer; i++)
        e->cell[ops + j->nwait + j->nsig + i].x =
            (xcell){.bytes = j->xfer[i].bytes, .run = j->xfer[i].run,
                    .port = (int16_t)npu_eng_scope_port(e, j->xfer[i].port), .write = j->xfer[i].write,
                    .cont = j->xfer[i].cont};
    J->onchip = j->onchip_bytes;
    J->irq = j->irq;
    J->done = j->done;
    J->ud = j->ud;
    J->next = -1;
    J->prev = -1;
    J->qseq = e->qseq++;
    J->bgen++;
    J->dirty = false;
    J->pending = 0;
    J->blk = -1;
    J->rel_kind = -1;
    J->phase = PH_QUEUED;
    J->waiting = false;
    J->wait_start = J->start = J->comp_start = 0;
    J->isr_ps = isr_ps;
    J->scope = (uint16_t)e->cur_scope;
    if (e->cur_scope > 0)
        e->sc[e->cur_scope].pending++;
    unit *U = &e->u[j->unit];
    if (e->in_run && U->head < 0 && U->running == 0 && e->now > U->idle_since &&
        e->cur_kind >= 0) {
        /* The unit sat idle with nothing to do until this callback gave it work. */
        J->waiting = true;
        J->wait_start = U->idle_since;
        J->rel_kind = e->cur_kind;
    }
    if (U->tail >= 0)
        e->jobs[U->tail].next = id;
    else
        U->head = id;
    J->prev = U->tail;
    U->tail = id;
    U->queued++;
    if (U->ooo)
        mark_dirty(e, id);
    kick(e, j->unit);
    return 0;
}

static int submit_job(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err)
{
    int rc = npu_eng_check_job(e, j, err);
    return rc ? rc : queue_job(e, j, isr_ps, err);
}

int npu_engine_submit_trusted(npu_engine *e, const npu_job *j, npu_err *err)
{
#ifndef NDEBUG
    return npu_engine_submit(e, j, err); /* checked all the same where asserts are on */
#else
    if (e->cur_scope <= 0 || j->layer < 0)
        return queue_job(e, j, 0, err);
    npu_job sj = *j;
    sj.layer = npu_eng_scoped_layer(e, j->layer);
    return queue_job(e, &sj, 0, err);
#endif
}

int npu_engine_submit_isr(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err)
{
    if (e->cur_scope <= 0 || j->layer < 0)
        return submit_job(e, j, isr_ps, err);
    npu_job sj = *j;
    sj.layer = npu_eng_scoped_layer(e, j->layer);
    return submit_job(e, &sj, isr_ps, err);
}

int npu_engine_submit(npu_engine *e, const npu_job *j, npu_err *err)
{
    return npu_engine_submit_isr(e, j, 0, err);
}

int npu_engine_defer(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err)
{
    int rc = npu_eng_check_job(e, j, err);
    if (rc)
        return -1;
    int id = e->djfree;
    if (id >= 0) {
        e->djfree = e->dj[id].next;
    } else {
        if (npu_eng_grow(&e->dj, &e->cdj, e->ndj + 1, sizeof(djob)) != 0)
            return npu_err_set(err, NPU_ENOMEM, "engine: out of memory"), -1;
        id = e->ndj++;
    }
    e->dj[id] = (djob){.j = *j, .isr_ps = isr_ps, .next = -1};
    e->dj[id].j.layer = npu_eng_scoped_layer(e, j->layer);
    return id;
}

void npu_engine_submit_deferred(npu_engine *e, void *ud, const npu_job *done_job)
{
    (void)done_job;
    int id = (int)(intptr_t)ud;
    if (id < 0 || id >= e->ndj)
        return;
    npu_job j = e->dj[id].j;
    npu_time isr = e->dj[id].isr_ps;
    e->dj[id].next = e->djfree;
    e->djfree = id;
    /* Validated when deferred; only memory can fail now. */
    if (submit_job(e, &j, isr, NULL) != 0)
        e->oom = true;
}

static void record(npu_engine *e, int u, int layer, npu_time t0, npu_time t1, const char *label,
                   uint64_t bytes)
{
    if (!e->record)
        return;
    if (e->niv == e->civ) {
        size_t c = e->civ;
        if (npu_grow((void **)&e->iv, &c, e->niv + 1, sizeof(npu_interval)) != 0) {
            e->oom = true;
            return;
        }
        e->civ = c;
    }
    e->iv[e->niv++] = (npu_interval){.unit = u, .layer = layer, .start = t0, .end = t1,
                                     .label = label, .bytes = bytes};
}

/* Issues the job's transfers (reads, writes or all); returns how many were issued. */
static int issue(npu_engine *e, int jid, int which /* 0 reads, 1 writes, 2 all */)
{
    int n = 0;
    int nx = e->jobs[jid].nxfer;
    for (int i = 0; i < nx; i++) {
        const jrec *j = &e->jobs[jid];
        const xcell *xf = npu_eng_xfer(e->cell, j, i);
        if (which != 2 && (int)xf->write != which)
            continue;
        if (xf->bytes == 0)
            continue;
        const port *P = &e->p[xf->port];
        uint64_t run = (xf->run == 0 || xf->run > xf->bytes) ? xf->bytes : xf->run;
        uint64_t bb = npu_mem_bus_bytes(xf->bytes, run, P->cfg.burst_bytes);
        double f = P->cfg.half_bytes ? (double)run / ((double)run + P->cfg.half_bytes) : 1.0;
        double ucap = e->u[j->unit].cap;
        int layer = j->layer;
        bool wr = xf->write;
        int xport = xf->port;
        if (e->xfree < 0 && e->nxused == e->nxcap) {
            int want = e->nxcap ? e->nxcap * 2 : 256;
            xrec *nx2 = npu_realloc(e->x, (size_t)want * sizeof(xrec));
            if (!nx2) {
                e->oom = true;
                return n;
            }
            e->x = nx2;
            e->nxcap = want;
        }
        /* as job_alloc: freed records first, then fresh ones from the high-water mark */
        int xi;
        if (e->xfree >= 0) {
            xi = e->xfree;
            e->xfree = e->x[xi].next;
        } else {
            xi = e->nxused++;
        }
        xrec *X = &e->x[xi];
        X->job = jid;
        X->port = xport;
        X->layer = layer;
        X->write = wr;
        X->rem = (double)bb / f;
        X->cap = ucap > 0 ? ucap / f : INFINITY;
        X->start = e->now;
        X->bytes = bb;
        X->next = -1;
        e->p[xport].lbytes[2 * npu_eng_layer_slot(e, layer) + (wr ? 1 : 0)] += bb;
        n++;
        e->jobs[jid].pending++;
        if (e->p[xport].lat_ps == 0 || xf->cont)
            npu_mem_join(e, xi);
        else
            heap_push(e, e->now + e->p[xport].lat_ps, EV_XFER_START, xi);
        if (e->now >= TIME_LIMIT - e->p[xport].lat_ps)
            e->toverflow = true;
    }
    return n;
}

/* ---- job life cycle --------------------------------------------------------------------------- */

static void finish(npu_engine *e, int jid);

static void compute_done(npu_engine *e, int jid)
{
    jrec *J = &e->jobs[jid];
    unit *U = &e->u[J->unit];
    npu_time d = e->now - J->comp_start;
    U->comp_ps += d;
    U->lcomp[npu_eng_layer_slot(e, J->layer)] += d;
    if (J->phase == PH_STREAM) {
        if (--J->pending == 0)
            finish(e, jid);
        return;
    }
    J->phase = PH_WRITES;
    J->pending = 0;
    if (issue(e, jid, 1) == 0)
        finish(e, jid);
}

static void begin_compute(npu_engine *e, int jid)
{
    jrec *J = &e->jobs[jid];
    const unit *U = &e->u[J->unit];
    npu_time d = npu_eng_cycles_ps(e, U->clk, J->cycles) + J->extra_ps;
    if (d >= TIME_LIMIT - e->now) {
        e->toverflow = true;
        d = TIME_LIMIT - e->now;
    }
    if (J->phase != PH_STREAM)
        J->phase = PH_COMPUTE;
    J->comp_start = e->now;
    if (d == 0)
        compute_done(e, jid);
    else
        heap_push(e, e->now + d, EV_COMPUTE, jid);
}

/* Removes job jid from unit u's FIFO. */
static void unlink_job(npu_engine *e, int u, int jid)
{
    unit *U = &e->u[u];
    int next = e->jobs[jid].next, prev = e->jobs[jid].prev;
    if (prev < 0)
        U->head = next;
    else
        e->jobs[prev].next = next;
    if (next < 0)
        U->tail = prev;
    else
        e->jobs[next].prev = prev;
    U->queued--;
    e->jobs[jid].next = e->jobs[jid].prev = -1;
}

/* The job was unlinked and its sync counts taken: it starts now. */
static void start_job(npu_engine *e, int u, int jid)
{
    unit *U = &e->u[u];
    jrec *J = &e->jobs[jid];
    if (U->running++ == 0) /* busy: time with a job on it, overlapping slots counted once */
        U->busy_since = e->now;
    J->start = e->now;
    if (J->waiting && e->now > J->wait_start) {
        int kind = J->blk >= 0 ? e->s[J->blk].last_kind : J->rel_kind;
        npu_time w = e->now - J->wait_start;
        U->wait_ps[kind >= 0 ? kind : NPU_UK_COMPUTE] += w;
        if (kind == NPU_UK_CTRL || kind == NPU_UK_HOST) {
            if (e->ncw == e->ccw) {
                size_t c = e->ccw;
                if (npu_grow((void **)&e->cw, &c, e->ncw + 1, sizeof(cwait)) != 0)
                    e->oom = true;
                else
                    e->ccw = c;
            }
            if (e->ncw < e->ccw)
                e->cw[e->ncw++] = (cwait){.layer = J->layer, .unit = u,
                                          .start = J->wait_start, .end = e->now};
        }
    }
    J->waiting = false;
    layer_touch(e, J->layer, e->now, e->now);
    J->pending = 0;
    if (J->mode == NPU_JOB_STREAM) {
        J->phase = PH_STREAM;
        J->pending = 1;
        issue(e, jid, 2);
        begin_compute(e, jid);
    } else {
        J->phase = PH_READS;
        if (issue(e, jid, 0) == 0)
            begin_compute(e, jid);
    }
}

/* ---- out-of-order units (the interrupt line) -------------------------------------------------
 * Such a unit starts every queued job whose syncs allow, in FIFO order, each time it is
 * kicked. Checking every queued job at every kick is O(queue) per kick — O(L^2) for a network
 * whose L interrupts are queued up front. Only a job whose check could now answer otherwise
 * is checked: a new one, or a blocked one one of whose syncs changed since its last check (a
 * job blocked at wait i on sync s stays blocked, on s, until s is signalled or one of its
 * waits before i is taken from: values only grow by signals and shrink by takes). The jobs
 * are checked in the order and in the pass a full FIFO walk would check them: a pass goes
 * through the candidates by submission order; a job marked during the pass is checked in it
 * when the walk would still reach it (behind the current job, and the current job was not
 * the tail when the walk stepped on it), else in the next pass. A check with the same answer
 * changes nothing (the job is already waiting, registered and charged to the same sync), so
 * the starts, their order and every statistic are those of the full walk. */

static void cand_push(npu_engine *e, unit *U, int jid)
{
    if (npu_eng_grow(&U->cand, &U->ccand, U->ncand + 1, sizeof(int)) != 0) {
        e->oom = true;
        return;
    }
    uint64_t q = e->jobs[jid].qseq;
    int i = U->ncand++;
    while (i > 0) {
        int par = (i - 1) / 2;
        if (e->jobs[U->cand[par]].qseq <= q)
            break;
        U->cand[i] = U->cand[par];
        i = par;
    }
    U->cand[i] = jid;
}

static int cand_pop(npu_engine *e, unit *U)
{
    int top = U->cand[0];
    int last = U->cand[--U->ncand];
    uint64_t q = e->jobs[last].qseq;
    int i = 0, n = U->ncand;
    for (;;) {
        int l = 2 * i + 1;
        if (l >= n)
            break;
        int m = l;
        if (l + 1 < n && e->jobs[U->cand[l + 1]].qseq < e->jobs[U->cand[l]].qseq)
            m = l + 1;
        if (e->jobs[U->cand[m]].qseq >= q)
            break;
        U->cand[i] = U->cand[m];
        i = m;
    }
    if (n > 0)
        U->cand[i] = last;
    return top;
}

/* Job jid (queued on an out-of-order unit) must be checked again. */
static void mark_dirty(npu_engine *e, int jid)
{
    jrec *J = &e->jobs[jid];
    if (J->dirty)
        return;
    J->dirty = true;
    unit *U = &e->u[J->unit];
    if (U->scanning && (J->qseq < U->scan_pos || U->scan_tail)) {
        if (npu_eng_grow(&U->defer, &U->cdefer, U->ndefer + 1, sizeof(int)) != 0) {
            e->oom = true;
            return;
        }
        U->defer[U->ndefer++] = jid;
        return;
    }
    cand_push(e, U, jid);
}

/* Sync S was signalled or taken from: the blocked jobs watching it are checked again. */
static void sync_changed(npu_engine *e, sync *S)
{
    int n = S->nbj;
    S->nbj = 0;
    for (int k = 0; k < n; k++) {
        jrec *J = &e->jobs[S->bj[k].job];
        if (J->bgen == S->bj[k].bgen && J->phase == PH_QUEUED)
            mark_dirty(e, S->bj[k].job);
    }
}

/* Job jid failed its check at wait i: it watches the syncs of waits 0..i. */
static int watch(npu_engine *e, int jid, int i)
{
    jrec *J = &e->jobs[jid];
    J->bgen++;
    for (int k = 0; k <= i; k++) {
        sync *S = &e->s[npu_eng_wait(e->cell, J, k)->sync];
        if (npu_eng_grow(&S->bj, &S->cbj, S->nbj + 1, sizeof *S->bj) != 0) {
            e->oom = true;
            return -1;
        }
        S->bj[S->nbj++] = (struct sync_bj){.job = jid, .bgen = J->bgen};
    }
    return 0;
}

static bool can_start(npu_engine *e, int u, int jid);
static void start_job(npu_engine *e, int u, int jid);

static void try_start_ooo(npu_engine *e, int u)
{
    e->u[u].scanning = true;
    while (e->u[u].ncand > 0 && !e->oom) {
        unit *U = &e->u[u];
        int jid = cand_pop(e, U);
        jrec *J = &e->jobs[jid];
        J->dirty = false;
        U->scan_pos = J->qseq;
        U->scan_tail = U->tail == jid;
        if (can_start(e, u, jid)) {
            unlink_job(e, u, jid);
            start_job(e, u, jid);
        }
    }
    unit *U = &e->u[u];
    U->scanning = false;
    for (int k = 0; k < U->ndefer; k++)
        cand_push(e, U, U->defer[k]);
    U->ndefer = 0;
}

/* Can job jid start now? If not, marks it waiting and registers unit u on the sync. */
static bool can_start(npu_engine *e, int u, int jid)
{
    jrec *J = &e->jobs[jid];
    for (int i = 0; i < J->nwait; i++) {
        const npu_syncop *w = npu_eng_wait(e->cell, J, i);
        sync *S = &e->s[w->sync];
        if (S->v >= w->n)
            continue;
        if (e->u[u].ooo && watch(e, jid, i) != 0)
            return false;
        if (!J->waiting) {
            J->waiting = true;
            J->wait_start = e->now;
        }
        J->blk = w->sync;
        unit *U = &e->u[u];
        bool listed = U->blocked_on == w->sync;
        for (int k = 0; U->ooo && !listed && k < S->nw; k++)
            listed = S->w[k] == u;
        if (!listed) {
            if (npu_eng_grow(&S->w, &S->cw, S->nw + 1, sizeof(int)) != 0) {
                e->oom = true;
                return false;
            }
            S->w[S->nw++] = u;
            if (!U->ooo)
                U->blocked_on = w->sync;
        }
        U->blocked_first = i == 0;
        return false;
    }
    if (e->u[u].ooo)
        J->bgen++; /* its watch entries are stale: the job is no longer blocked */
    for (int i = 0; i < J->nwait; i++) {
        sync *S = &e->s[npu_eng_wait(e->cell, J, i)->sync];
        S->v -= npu_eng_wait(e->cell, J, i)->n;
        if (S->nbj > 0)
            sync_changed(e, S);
    }
    return true;
}

void npu_engine_on_empty(npu_engine *e, int u, npu_unit_empty_fn fn, void *ud)
{
    if (u >= 0 && u < e->nu && !e->u[u].ooo) {
        e->u[u].refill = fn;
        e->u[u].refill_ud = ud;
    }
}

static void try_start(npu_engine *e, int u)
{
    if (e->u[u].ooo) {
        /* Out of order (the interrupt line): every job whose syncs allow starts; a blocked
         * job does not hold back the ones behind it. Slots are unlimited. */
        try_start_ooo(e, u);
        return;
    }
    for (;;) {
        unit *U = &e->u[u];
        if (U->head < 0 && U->refill && !e->oom && e->in_run) {
            /* its model may queue more (npu_engine_on_empty); with cur_kind set, what it queues
             * on an idle unit waits from when that unit went idle (submit_job) */
            int prev = e->cur_kind;
            e->cur_kind = (int)U->kind;
            e->oom |= U->refill(e, U->refill_ud, u) != 0;
            e->cur_kind = prev;
            U = &e->u[u];
        }
        if (U->head < 0 || e->oom)
            return;
        if (U->slots > 0 && U->running >= U->slots)
            return;
        /* The head failed on its first wait and that sync was not signalled since: its value
         * has not grown, so the check would fail the same way, with no effect (it is already
         * waiting, charged to that sync and registered on it). Saves reading a cold job. */
        if (U->blocked_on >= 0 && U->blocked_first)
            return;
        int jid = U->head;
        if (!can_start(e, u, jid))
            return;
        unlink_job(e, u, jid);
        start_job(e, u, jid);
    }
}

static void job_unpack(const npu_engine *e, const jrec *J, npu_job *j)
{
    npu_job_init(j, J->unit, J->layer, J->label);
    j->mode = (npu_job_mode)J->mode;
    j->cycles = J->cycles;
    j->extra_ps = J->extra_ps;
    j->nwait = J->nwait;
    j->nsig = J->nsig;
    j->nxfer = J->nxfer;
    for (int i = 0; i < J->nwait; i++)
        j->wait[i] = *npu_eng_wait(e->cell, J, i);
    for (int i = 0; i < J->nsig; i++)
        j->sig[i] = *npu_eng_sig(e->cell, J, i);
    for (int i = 0; i < J->nxfer; i++) {
        const xcell *x = npu_eng_xfer(e->cell, J, i);
        j->xfer[i] = (npu_xfer){.port = x->port, .write = x->write, .bytes = x->bytes, .run = x->run};
    }
    j->onchip_bytes = J->onchip;
    j->irq = J->irq;
    j->done = J->done;
    j->ud = J->ud;
}

static void finish(npu_engine *e, int jid)
{
    jrec *J = &e->jobs[jid];
    int u = J->unit;
    unit *U = &e->u[u];
    int ls = npu_eng_layer_slot(e, J->layer);
    npu_time occ = e->now - J->start;
    U->lbusy[ls] += occ;
    lstat *L = &e->ls[ls];
    if (U->kind == NPU_UK_HOST && !U->irq_line)
        L->host_ps += occ;
    L->irq += J->irq;
    L->irq_ps += J->isr_ps;
    L->onchip += J->onchip;
    if (U->buf >= 0)
        e->buf[U->buf].lbytes[ls] += J->onchip;
    layer_touch(e, J->layer, J->start, e->now);
    layer_data_touch(e, J->layer, U->kind, e->now);
    record(e, u, J->layer, J->start, e->now, J->label, 0);
    for (int i = 0; i < J->nsig; i++) {
        sync *S = &e->s[npu_eng_sig(e->cell, J, i)->sync];
        S->v += npu_eng_sig(e->cell, J, i)->n;
        S->last_kind = (int)U->kind;
        if (S->nbj > 0)
            sync_changed(e, S);
        for (int k = 0; k < S->nw; k++) {
            int w = S->w[k];
            if (e->u[w].blocked_on == npu_eng_sig(e->cell, J, i)->sync)
                e->u[w].blocked_on = -1;
            kick(e, w);
        }
        S->nw = 0;
    }
    if (--U->running == 0)
        U->busy_ps += e->now - U->busy_since;
    if (U->running == 0 && U->head < 0)
        U->idle_since = e->now;
    kick(e, u);
    int sc = J->scope;
    if (!J->done) {
        job_release(e, jid);
        if (sc > 0)
            npu_eng_scope_job_end(e, sc);
        return;
    }
    /* The callback gets the job as submitted (it may submit more jobs, which may reuse this
     * slot and move the pools: a copy on the stack). */
    npu_job copy;
    job_unpack(e, J, &copy);
    job_release(e, jid);
    int prev = e->cur_kind, prev_sc = e->cur_scope;
    e->cur_kind = (int)e->u[u].kind;
    e->cur_scope = sc; /* what the callback submits belongs to the job's frame */
    copy.done(e, copy.ud, &copy);
    e->cur_kind = prev;
    e->cur_scope = prev_sc;
    if (sc > 0)
        npu_eng_scope_job_end(e, sc);
}

static void xfer_done(npu_engine *e, int xi)
{
    xrec *X = &e->x[xi];
    int jid = X->job;
    layer_touch(e, X->layer, X->start, e->now);
    layer_data_touch(e, X->layer, e->u[e->jobs[jid].unit].kind, e->now);
    record(e, -(X->port + 1), X->layer, X->start, e->now, e->jobs[jid].label, X->bytes);
    npu_mem_leave(e, xi);
    X = &e->x[xi];
    X->next = e->xfree;
    e->xfree = xi;
    jrec *J = &e->jobs[jid];
    if (--J->pending > 0)
        return;
    if (J->phase == PH_READS)
        begin_compute(e, jid);
    else
        finish(e, jid);
}

/* ---- run ------------------------------------------------------------------------------------------ */

int npu_engine_run(npu_engine *e, npu_err *err)
{
    e->in_run = true;
    for (;;) {
        while (e->kick_n > 0)
            try_start(e, kick_pop(e));
        if (e->oom || e->toverflow || e->fail.code)
            break;
        /* The next event: the heap's top or a port's next completion, whichever is first
         * by (time, sequence number). Ports are few (DRAM, SRAM, an L2): a linear look. */
        const port *Pn = NULL;
        for (int q = 0; q < e->np; q++) {
            const port *P = &e->p[q];
            if (P->nxt >= 0 && (!Pn || P->nt < Pn->nt || (P->nt == Pn->nt && P->nseq < Pn->nseq)))
                Pn = P;
        }
        if (Pn && (e->nh == 0 || Pn->nt < e->heap[0].t ||
                   (Pn->nt == e->heap[0].t && Pn->nseq < e->heap[0].seq))) {
            if (Pn->nt > e->now)
                e->now = Pn->nt;
            int xn = Pn->nxt;
            xfer_done(e, xn);
            continue;
        }
        if (e->nh == 0)
            break;
        ev v = heap_pop(e);
        if (v.t > e->now)
            e->now = v.t;
        if (v.type == EV_COMPUTE)
            compute_done(e, v.id);
        else
            npu_mem_join(e, v.id);
    }
    e->in_run = false;
    if (e->fail.code) {
        if (err)
            *err = e->fail;
        return e->fail.code;
    }
    if (e->oom)
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory during the simulation");
    if (e->toverflow)
        return npu_err_set(err, NPU_ESIM,
                           "engine: simulated time would exceed 2^62 ps (53 days) at %.3f us: a "
                           "job's cycles or a transfer's bytes are absurd for its clock or port",
                           (double)e->now * 1e-6);
    for (int u = 0; u < e->nu; u++)
        if (e->u[u].head >= 0)
            return npu_eng_deadlock(e, err);
    return 0;
}

void npu_engine_fail(npu_engine *e, const npu_err *why)
{
    if (e->fail.code)
        return;
    if (why && why->code)
        e->fail = *why;
    else
        npu_err_set(&e->fail, NPU_ESIM, "engine: a model stopped the run (no reason given)");
}

npu_time npu_engine_now(const npu_engine *e) { return e->now; }
