/* engine.c — the discrete-event kernel: clocks, units, syncs, memory ports, stats, results
 * (prefix npu_engine_). The contract is sim/engine/engine.h; docs/engine.md explains it for
 * a reader who has never seen an NPU.
 *
 * Design choices (where the header is silent):
 *  - Time is uint64 ps. A clock converts cycles to ps as llround(cycles * 1e6 / MHz) once per
 *    job phase (so rounding error is below 0.5 ps per phase and never accumulates inside a
 *    phase). Transfer completions are rounded to the nearest ps as well.
 *  - Events live in one binary heap ordered by (time, sequence number): job compute phases and
 *    transfer starts (after the port latency). Work that takes no
 *    time (a job with no transfers and zero cycles) is done inline, never recursively across
 *    jobs: units to (re)start go on a "kick" list that the main loop drains before it pops
 *    the next event. Both orders are deterministic.
 *  - Jobs, transfers and events come from growable pools with free lists (no malloc per job
 *    once the pools have grown to the working-set size).
 *  - A job occupies one of its unit's slots from its start until its last write (SEQ) or its
 *    last activity (STREAM): that is the unit's "busy" (occupancy) time. The compute phase
 *    alone (cycles + extra_ps) is kept separately: it is what compute_cycles reports for the
 *    layer's main unit, so SEQ reads/writes inside a job count as memory stall.
 *  - Memory ports: a transfer is rounded up to whole bursts per run, waits the port latency
 *    once, then shares the port. Shares are max-min fair (water-filling) in "port time": a
 *    transfer with run-length factor f = run/(run+half) moves f real bytes per unit of port
 *    capacity (peak·eff), and its requester's cap is converted likewise. Whenever a transfer
 *    joins or leaves a port, every active transfer's remaining bytes are advanced, rates are
 *    recomputed and changed completions re-timed. Completions are not heap events: each port
 *    keeps its earliest one, and the main loop takes whichever comes first, the heap's top or
 *    a port's completion. (Pushing an event per re-timing left ~85 % of a large LLM run's
 *    events stale in the heap, and the heap's memory grew with them.)
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

#include "../../isa/program.h"
#include "engine_int.h"

enum { EV_COMPUTE = 0, EV_XFER_START };

/* Simulated time is capped at 2^62 ps (53 days): anything later is an error, never a
 * wrapped number. */
#define TIME_LIMIT ((npu_time)1 << 62)
enum { PH_QUEUED = 0, PH_READS, PH_COMPUTE, PH_WRITES, PH_STREAM };

typedef struct ev {
    npu_time t;
    uint64_t seq;
    int type;
    int id;
} ev;

typedef struct clk {
    char *name;
    double mhz;
    double ps_per_cycle;
} clk;

typedef struct jrec {
    npu_job j;
    int next;            /* FIFO link while queued; free-list link when free */
    int pending;         /* outstanding transfers (+1 for compute in STREAM)  */
    int blk;             /* sync it was last blocked on, -1                   */
    int rel_kind;        /* release kind for "submitted to an idle unit", -1  */
    uint8_t phase;
    bool waiting;
    npu_time wait_start, start, comp_start, isr_ps;
} jrec;

typedef struct unit {
    char *name;
    npu_unit_kind kind;
    int clk;
    int slots;
    double cap;          /* bytes per ps, 0 = none */
    int head, tail, queued, running;
    int blocked_on;      /* sync it is registered on, -1 */
    bool in_kick, irq_line;
    bool ooo;            /* out-of-order start (the interrupt line)  */
    npu_time idle_since;
    npu_time busy_ps, comp_ps, wait_ps[4];
    npu_time *lbusy;     /* per layer (+1 for "none") occupancy */
    npu_time *lcomp;     /* per layer compute-phase time        */
} unit;

typedef struct sync {
    char *name;          /* NULL: anonymous (host chains) */
    int64_t v;
    int *w;
    int nw, cw;
    int last_kind;       /* kind of the unit that signalled last, -1 none */
} sync;

typedef struct port {
    npu_port_cfg cfg;
    double cap;          /* peak·eff in bytes per ps */
    npu_time lat_ps;
    int *act;            /* active transfers sorted by cap ascending */
    int nact, cact;
    int nxt;             /* the active transfer that completes first, -1 none */
    npu_time last;
    bool invalid;        /* the id-1 placeholder when there is no SRAM */
    uint64_t *lbytes;    /* per layer (+1), [2*l + write] */
} port;

typedef struct xrec {
    int job, port, layer;
    bool write;
    double rem;          /* remaining port-bytes (bus bytes / f) */
    double cap;          /* port-bytes per ps, INFINITY = none   */
    double rate;         /* port-bytes per ps, < 0 = not yet set */
    npu_time tdone;      /* completion at the current rate, and the sequence number   */
    uint64_t tseq;       /* that orders it among events of the same time (see run())  */
    npu_time start;
    uint64_t bytes;      /* bus bytes */
    int next;
} xrec;

typedef struct djob {
    npu_job j;
    npu_time isr_ps;
    int next;            /* free list */
} djob;

typedef struct lstat {
    npu_time start, end;
    bool active;
    /* end of the layer's last data work (a compute or DMA job, a port transfer); after it the
     * layer is held open only by control (interrupts, host jobs): control stall */
    npu_time data_end;
    bool data_active;
    int64_t onchip, irq;
    npu_time irq_ps, host_ps;
} lstat;

typedef struct cwait {   /* a control-released wait of a unit for a layer */
    int layer, unit;
    npu_time start, end;
} cwait;

struct npu_engine {
    int nl;
    clk *c;
    int nc, cc, core_clk;
    bool core_set;
    unit *u;
    int nu, cu;
    sync *s;
    int ns, cs;
    port *p;
    int np, cp;
    jrec *jobs;
    int njcap, jfree, njused; /* njused: high-water mark, slots above it never used */
    size_t job_budget;        /* bytes the job table may take (NPU_ENGINE_MAX_JOB_BYTES) */
    xrec *x;
    int nxcap, xfree, nxused;
    ev *heap;
    size_t nh, ch;
    uint64_t seq;
    int *kick;
    int kick_head, kick_n, kick_cap;
    npu_time now;
    bool in_run;
    bool host_ready;     /* the host's units exist: later clocks are the model's */
    int cur_kind;        /* kind of the unit whose done() runs, -1 */
    bool oom;
    bool toverflow;      /* something would end after TIME_LIMIT */
    lstat *ls;
    cwait *cw;
    size_t ncw, ccw;
    double peak[NPU_DT_COUNT];
    int *main_unit;
    char **xnames;
    int nextra, cextra;
    double *extra;       /* nl × cextra */
    struct djob *dj;     /* jobs to submit when another job ends (host chains) */
    int ndj, cdj, djfree;
    bool record;
    npu_interval *iv;
    size_t niv, civ;
    npu_host_state host;
};

/* ---- small helpers ------------------------------------------------------------------------ */

/* Views (reshape, flatten, …) alias their input: their minimum DRAM traffic is zero. */
static bool op_is_view(const char *op)
{
    static const struct {
        const char *name;
        int cls;
    } ops[] = {
#define NPU_X(e, s, c) {s, c},
        NPU_OP_LIST(NPU_X)
#undef NPU_X
    };
    for (size_t i = 0; op && i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, op) == 0)
            return ops[i].cls == NPU_OPC_VIEW;
    return false;
}

static const char *const dtype_names[] = {
#define NPU_X(e, s, b, f) s,
    NPU_DTYPE_LIST(NPU_X)
#undef NPU_X
};

static int grow(void *pv, int *cap, int need, size_t elem)
{
    size_t c = (size_t)*cap;
    if (npu_grow((void **)pv, &c, (size_t)need, elem) != 0)
        return -1;
    *cap = (int)c;
    return 0;
}

static const char *sync_name(const npu_engine *e, int s, char *buf, size_t n)
{
    if (e->s[s].name)
        return e->s[s].name;
    snprintf(buf, n, "#%d", s);
    return buf;
}

static const char *job_label(const npu_job *j) { return j->label ? j->label : "(job)"; }

static int layer_slot(const npu_engine *e, int layer) { return layer < 0 ? e->nl : layer; }

static void layer_touch(npu_engine *e, int layer, npu_time t0, npu_time t1)
{
    lstat *l = &e->ls[layer_slot(e, layer)];
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
    lstat *l = &e->ls[layer_slot(e, layer)];
    if (!l->data_active || t1 > l->data_end)
        l->data_end = t1;
    l->data_active = true;
}

/* ---- heap --------------------------------------------------------------------------------- */

static bool ev_less(const ev *a, const ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
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
    ev v = {.t = t, .seq = e->seq++, .type = type, .id = id};
    size_t i = e->nh++;
    while (i > 0) {
        size_t par = (i - 1) / 2;
        if (!ev_less(&v, &e->heap[par]))
            break;
        e->heap[i] = e->heap[par];
        i = par;
    }
    e->heap[i] = v;
}

static ev heap_pop(npu_engine *e)
{
    ev top = e->heap[0];
    ev last = e->heap[--e->nh];
    size_t i = 0, n = e->nh;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t m = l;
        if (l + 1 < n && ev_less(&e->heap[l + 1], &e->heap[l]))
            m = l + 1;
        if (!ev_less(&e->heap[m], &last))
            break;
        e->heap[i] = e->heap[m];
        i = m;
    }
    if (n > 0)
        e->heap[i] = last;
    return top;
}

/* ---- construction -------------------------------------------------------------------------- */

static int add_port(npu_engine *e, const npu_port_cfg *cfg, npu_err *err);

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
    e->ls = npu_calloc((size_t)nlayers + 1, sizeof *e->ls);
    e->main_unit = npu_malloc(((size_t)nlayers + 1) * sizeof *e->main_unit);
    if (!e->ls || !e->main_unit) {
        npu_engine_free(e);
        npu_err_set(err, NPU_ENOMEM, "engine: out of memory");
        return NULL;
    }
    for (int i = 0; i <= nlayers; i++)
        e->main_unit[i] = -1;

    /* The DRAM port (id 0) and, with sram.kb > 0, the SRAM port (id 1). */
#define PNUM(k, d) npu_engine_pnum(p, k)
    npu_port_cfg dram = {.name = "dram",
                         .gbps = PNUM("dram.gbps", 12.8),
                         .latency_ns = PNUM("dram.latency_ns", 100),
                         .efficiency = PNUM("dram.efficiency", 0.8),
                         .burst_bytes = (uint32_t)PNUM("dram.burst_bytes", 64),
                         .half_bytes = (uint32_t)PNUM("dram.half_bytes", 0),
                         .is_sram = false};
    if (add_port(e, &dram, err) < 0) {
        npu_engine_free(e);
        return NULL;
    }
    if (PNUM("sram.kb", 0) <= 0) {
        /* Keep id 1 for SRAM: a placeholder that no job may use. */
        npu_port_cfg none = {.name = "(no sram)", .gbps = 1, .efficiency = 1};
        if (add_port(e, &none, err) < 0) {
            npu_engine_free(e);
            return NULL;
        }
        e->p[NPU_PORT_SRAM].invalid = true;
    } else {
        npu_port_cfg sram = {.name = "sram",
                             .gbps = PNUM("sram.gbps", 50),
                             .latency_ns = PNUM("sram.latency_ns", 20),
                             .efficiency = 1.0,
                             .burst_bytes = 0,
                             .half_bytes = 0,
                             .is_sram = true};
        if (add_port(e, &sram, err) < 0) {
            npu_engine_free(e);
            return NULL;
        }
    }
#undef PNUM
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
        free(e->u[i].lbusy);
        free(e->u[i].lcomp);
    }
    free(e->u);
    for (int i = 0; i < e->ns; i++) {
        free(e->s[i].name);
        free(e->s[i].w);
    }
    free(e->s);
    for (int i = 0; i < e->np; i++) {
        free((char *)e->p[i].cfg.name);
        free(e->p[i].act);
        free(e->p[i].lbytes);
    }
    free(e->p);
    free(e->jobs);
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
    free(e);
}

bool npu_engine_has_sram(const npu_engine *e)
{
    return e->np > NPU_PORT_SRAM && !e->p[NPU_PORT_SRAM].invalid;
}

int npu_engine_clock(npu_engine *e, const char *name, double mhz)
{
    if (!(mhz > 0 && mhz < 1e7) || grow(&e->c, &e->cc, e->nc + 1, sizeof(clk)) != 0)
        return -1;
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
    if (c < 0 || c >= e->nc || !(cycles > 0))
        return 0;
    double ps = cycles * e->c[c].ps_per_cycle;
    return ps >= (double)TIME_LIMIT ? TIME_LIMIT : (npu_time)llround(ps);
}

static int add_port(npu_engine *e, const npu_port_cfg *cfg, npu_err *err)
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
    if (grow(&e->p, &e->cp, e->np + 1, sizeof(port)) != 0)
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
    return add_port(e, cfg, err);
}

const npu_port_cfg *npu_engine_port_cfg(const npu_engine *e, int id)
{
    return (id >= 0 && id < e->np && !e->p[id].invalid) ? &e->p[id].cfg : NULL;
}

int npu_engine_nports(const npu_engine *e) { return e->np; }

int npu_engine_unit(npu_engine *e, const char *name, npu_unit_kind kind, int c, int slots,
                    double dma_bytes_per_cycle)
{
    if (!name || !name[0] || c < 0 || c >= e->nc || slots < 0 || (int)kind < 0 ||
        kind > NPU_UK_HOST || !(dma_bytes_per_cycle >= 0 && dma_bytes_per_cycle < 1e9))
        return -1;
    if (npu_engine_find_unit(e, name) >= 0)
        return -1;
    if (grow(&e->u, &e->cu, e->nu + 1, sizeof(unit)) != 0)
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
    if (grow(&e->s, &e->cs, e->ns + 1, sizeof(sync)) != 0)
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

void npu_engine_mark_irq_line(npu_engine *e, int u)
{
    if (u >= 0 && u < e->nu) {
        e->u[u].irq_line = true;
        e->u[u].ooo = true;
        e->u[u].slots = 0;
    }
}

/* ---- the kick list ------------------------------------------------------------------------- */

static void kick(npu_engine *e, int u)
{
    unit *U = &e->u[u];
    if (U->in_kick)
        return;
    U->in_kick = true;
    /* Ring of capacity nu: each unit is in it at most once. */
    int pos = (e->kick_head + e->kick_n) % e->kick_cap;
    e->kick[pos] = u;
    e->kick_n++;
}

static int kick_pop(npu_engine *e)
{
    int u = e->kick[e->kick_head];
    e->kick_head = (e->kick_head + 1) % e->kick_cap;
    e->kick_n--;
    e->u[u].in_kick = false;
    return u;
}

/* ---- jobs ------------------------------------------------------------------------------------ */

void npu_engine_set_job_budget(npu_engine *e, size_t bytes) { e->job_budget = bytes; }

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
        if ((size_t)want * sizeof(jrec) > e->job_budget) {
            want = (int)(e->job_budget / sizeof(jrec));
            if (want <= e->njcap)
                return -2; /* the budget is spent */
        }
        jrec *nj = npu_realloc(e->jobs, (size_t)want * sizeof(jrec));
        if (!nj)
            return -1;
        e->jobs = nj;
        e->njcap = want;
    }
    return e->njused++;
}

static void job_release(npu_engine *e, int id)
{
    e->jobs[id].next = e->jfree;
    e->jfree = id;
}

/* ---- job building ------------------------------------------------------------------------ */
static int job_full(npu_job *j, const char *what, npu_err *err)
{
    j->overflow = true;
    return npu_err_set(err, NPU_ESIM, "engine: job '%s' (layer %d): no room for another %s",
                       j->label ? j->label : "?", j->layer, what);
}

void npu_job_init(npu_job *j, int u, int layer, const char *label)
{
    memset(j, 0, sizeof *j);
    j->unit = u;
    j->layer = layer;
    j->label = label;
}

int npu_job_wait(npu_job *j, int sy, int64_t n, npu_err *err)
{
    if (n <= 0)
        return 0;
    if (j->nwait >= NPU_JOB_MAX_SYNC)
        return job_full(j, "wait", err);
    j->wait[j->nwait++] = (npu_syncop){sy, n};
    return 0;
}

int npu_job_signal(npu_job *j, int sy, int64_t n, npu_err *err)
{
    if (n <= 0)
        return 0;
    if (j->nsig >= NPU_JOB_MAX_SYNC)
        return job_full(j, "signal", err);
    j->sig[j->nsig++] = (npu_syncop){sy, n};
    return 0;
}

int npu_job_xfer(npu_job *j, int p, bool write, int64_t bytes, uint32_t run, npu_err *err)
{
    if (bytes <= 0)
        return 0;
    if (j->nxfer >= NPU_JOB_MAX_XFER)
        return job_full(j, "transfer", err);
    j->xfer[j->nxfer++] = (npu_xfer){.port = p, .write = write, .bytes = (uint64_t)bytes,
                                      .run = run};
    return 0;
}

static int check_job(const npu_engine *e, const npu_job *j, npu_err *err)
{
    if (!j)
        return npu_err_set(err, NPU_EINVAL, "engine: NULL job");
    const char *lb = job_label(j);
    if (j->unit < 0 || j->unit >= e->nu)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s': no unit with id %d (%d units)", lb,
                           j->unit, e->nu);
    const char *un = e->u[j->unit].name;
    if (j->overflow)
        return npu_err_set(err, NPU_ESIM,
                           "engine: job '%s' on '%s' (layer %d): more than %d waits/signals or %d "
                           "transfers were added (a bug in the model)",
                           lb, un, j->layer, NPU_JOB_MAX_SYNC, NPU_JOB_MAX_XFER);
    if (j->layer < -1 || j->layer >= e->nl)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': layer %d out of range [-1, %d)",
                           lb, un, j->layer, e->nl);
    if (j->mode != NPU_JOB_SEQ && j->mode != NPU_JOB_STREAM)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': bad mode %d", lb, un, (int)j->mode);
    if (!(j->cycles >= 0 && j->cycles < 1e15))
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': cycles %g out of range [0, 1e15)",
                           lb, un, j->cycles);
    if (j->extra_ps > (npu_time)1e18)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': extra_ps too large", lb, un);
    if (j->nwait < 0 || j->nwait > NPU_JOB_MAX_SYNC || j->nsig < 0 || j->nsig > NPU_JOB_MAX_SYNC)
        return npu_err_set(err, NPU_EINVAL,
                           "engine: job '%s' on '%s': %d waits / %d signals (at most %d each)", lb,
                           un, j->nwait, j->nsig, NPU_JOB_MAX_SYNC);
    if (j->nxfer < 0 || j->nxfer > NPU_JOB_MAX_XFER)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': %d transfers (at most %d)", lb,
                           un, j->nxfer, NPU_JOB_MAX_XFER);
    for (int i = 0; i < j->nwait + j->nsig; i++) {
        const npu_syncop *op = i < j->nwait ? &j->wait[i] : &j->sig[i - j->nwait];
        if (op->sync < 0 || op->sync >= e->ns)
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': no sync with id %d", lb,
                               un, op->sync);
        if (op->n < 0 || op->n > ((int64_t)1 << 53))
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': sync count %lld out of range",
                               lb, un, (long long)op->n);
    }
    for (int i = 0; i < j->nxfer; i++) {
        const npu_xfer *x = &j->xfer[i];
        if (x->port < 0 || x->port >= e->np || e->p[x->port].invalid)
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': no memory port with id %d%s",
                               lb, un, x->port,
                               x->port == NPU_PORT_SRAM ? " (sram.kb is 0: no SRAM port)" : "");
        if (x->bytes > ((uint64_t)1 << 50))
            return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': transfer of %llu bytes is absurd",
                               lb, un, (unsigned long long)x->bytes);
    }
    if (j->onchip_bytes < 0 || j->irq < 0)
        return npu_err_set(err, NPU_EINVAL, "engine: job '%s' on '%s': negative onchip bytes or irq",
                           lb, un);
    return 0;
}

int npu_engine_submit_isr(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err)
{
    int rc = check_job(e, j, err);
    if (rc)
        return rc;
    int id = job_alloc(e);
    if (id == -2) {
        /* a figure for the user: the layers queued so far took the whole budget, so the run
         * needs about budget x layers / layers queued */
        int upto = j->layer >= 0 && j->layer < e->nl ? j->layer + 1 : e->nl;
        double need = (double)e->job_budget * (e->nl > 0 ? e->nl : 1) /
                      (upto > 0 ? upto : 1);
        return npu_err_set(err, NPU_ENOMEM,
                           "engine: the run needs more than the %.0f MiB allowed for queued "
                           "jobs (%d jobs queued by layer %d of %d; about %.1f GiB for the "
                           "whole run): make it smaller (batch, tokens) or split it",
                           (double)e->job_budget / (1024.0 * 1024.0), e->njused, upto, e->nl,
                           need / (1024.0 * 1024.0 * 1024.0));
    }
    if (id < 0)
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory (jobs)");
    jrec *J = &e->jobs[id];
    J->j = *j;
    J->next = -1;
    J->pending = 0;
    J->blk = -1;
    J->rel_kind = -1;
    J->phase = PH_QUEUED;
    J->waiting = false;
    J->wait_start = J->start = J->comp_start = 0;
    J->isr_ps = isr_ps;
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
    U->tail = id;
    U->queued++;
    kick(e, j->unit);
    return 0;
}

int npu_engine_submit(npu_engine *e, const npu_job *j, npu_err *err)
{
    return npu_engine_submit_isr(e, j, 0, err);
}

int npu_engine_defer(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err)
{
    int rc = check_job(e, j, err);
    if (rc)
        return -1;
    int id = e->djfree;
    if (id >= 0) {
        e->djfree = e->dj[id].next;
    } else {
        if (grow(&e->dj, &e->cdj, e->ndj + 1, sizeof(djob)) != 0)
            return npu_err_set(err, NPU_ENOMEM, "engine: out of memory"), -1;
        id = e->ndj++;
    }
    e->dj[id] = (djob){.j = *j, .isr_ps = isr_ps, .next = -1};
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
    if (npu_engine_submit_isr(e, &j, isr, NULL) != 0)
        e->oom = true;
}

/* ---- memory ports ----------------------------------------------------------------------------- */

static void port_advance(npu_engine *e, port *P)
{
    if (e->now > P->last) {
        double dt = (double)(e->now - P->last);
        for (int i = 0; i < P->nact; i++) {
            xrec *X = &e->x[P->act[i]];
            X->rem -= X->rate * dt;
            if (X->rem < 0)
                X->rem = 0;
        }
    }
    P->last = e->now;
}

/* Max-min fair shares (water-filling) over the active transfers, sorted by cap ascending;
 * re-times the completion of every transfer whose rate changed, and finds the port's next
 * completion. A re-timing takes a fresh sequence number, exactly as pushing a new event did
 * before the port kept one pending completion (so ties between equal times still break in
 * the order the completions were last timed, and runs are unchanged), but nothing is pushed:
 * the heap holds no stale completions. */
static void port_recompute(npu_engine *e, port *P)
{
    double left = P->cap;
    int n = P->nact;
    int best = -1;
    for (int i = 0; i < n; i++) {
        xrec *X = &e->x[P->act[i]];
        double share = left / (double)(n - i);
        double r = X->cap < share ? X->cap : share;
        left -= r;
        if (left < 0)
            left = 0;
        if (r != X->rate) {
            X->rate = r;
            double d = r > 0 ? X->rem / r : (double)TIME_LIMIT;
            if (d >= (double)(TIME_LIMIT - e->now)) {
                e->toverflow = true;
                d = (double)(TIME_LIMIT - e->now);
            }
            X->tdone = e->now + (npu_time)llround(d);
            X->tseq = e->seq++;
        }
        if (best < 0 || X->tdone < e->x[best].tdone ||
            (X->tdone == e->x[best].tdone && X->tseq < e->x[best].tseq))
            best = P->act[i];
    }
    P->nxt = best;
}

static void port_join(npu_engine *e, int xi)
{
    xrec *X = &e->x[xi];
    port *P = &e->p[X->port];
    port_advance(e, P);
    if (grow(&P->act, &P->cact, P->nact + 1, sizeof(int)) != 0) {
        e->oom = true;
        return;
    }
    int i = P->nact;
    while (i > 0 && e->x[P->act[i - 1]].cap > X->cap) {
        P->act[i] = P->act[i - 1];
        i--;
    }
    P->act[i] = xi;
    P->nact++;
    X->rate = -1;
    port_recompute(e, P);
}

static void port_leave(npu_engine *e, int xi)
{
    xrec *X = &e->x[xi];
    port *P = &e->p[X->port];
    port_advance(e, P);
    int k = 0;
    for (int i = 0; i < P->nact; i++)
        if (P->act[i] != xi)
            P->act[k++] = P->act[i];
    P->nact = k;
    port_recompute(e, P);
}

/* Bytes on the bus: each run rounded up to whole bursts. */
static uint64_t bus_bytes(uint64_t bytes, uint64_t run, uint64_t burst)
{
    if (burst <= 1)
        return bytes;
    uint64_t full = bytes / run, last = bytes % run;
    uint64_t rr = (run + burst - 1) / burst * burst;
    uint64_t lr = (last + burst - 1) / burst * burst;
    return full * rr + lr;
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
    int nx = e->jobs[jid].j.nxfer;
    for (int i = 0; i < nx; i++) {
        const npu_job *j = &e->jobs[jid].j;
        const npu_xfer *xf = &j->xfer[i];
        if (which != 2 && (int)xf->write != which)
            continue;
        if (xf->bytes == 0)
            continue;
        const port *P = &e->p[xf->port];
        uint64_t run = (xf->run == 0 || xf->run > xf->bytes) ? xf->bytes : xf->run;
        uint64_t bb = bus_bytes(xf->bytes, run, P->cfg.burst_bytes);
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
        X->rate = -1;
        X->start = e->now;
        X->bytes = bb;
        X->next = -1;
        e->p[xport].lbytes[2 * layer_slot(e, layer) + (wr ? 1 : 0)] += bb;
        n++;
        e->jobs[jid].pending++;
        if (e->p[xport].lat_ps == 0)
            port_join(e, xi);
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
    unit *U = &e->u[J->j.unit];
    npu_time d = e->now - J->comp_start;
    U->comp_ps += d;
    U->lcomp[layer_slot(e, J->j.layer)] += d;
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
    const unit *U = &e->u[J->j.unit];
    npu_time d = npu_engine_cycles_ps(e, U->clk, J->j.cycles) + J->j.extra_ps;
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

/* Removes job jid (whose predecessor in the FIFO is prev, -1 for the head) from unit u. */
static void unlink_job(npu_engine *e, int u, int prev, int jid)
{
    unit *U = &e->u[u];
    int next = e->jobs[jid].next;
    if (prev < 0)
        U->head = next;
    else
        e->jobs[prev].next = next;
    if (U->tail == jid)
        U->tail = prev;
    U->queued--;
    e->jobs[jid].next = -1;
}

/* The job was unlinked and its sync counts taken: it starts now. */
static void start_job(npu_engine *e, int u, int jid)
{
    unit *U = &e->u[u];
    jrec *J = &e->jobs[jid];
    U->running++;
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
                e->cw[e->ncw++] = (cwait){.layer = J->j.layer, .unit = u,
                                          .start = J->wait_start, .end = e->now};
        }
    }
    J->waiting = false;
    layer_touch(e, J->j.layer, e->now, e->now);
    J->pending = 0;
    if (J->j.mode == NPU_JOB_STREAM) {
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

/* Can job jid start now? If not, marks it waiting and registers unit u on the sync. */
static bool can_start(npu_engine *e, int u, int jid)
{
    jrec *J = &e->jobs[jid];
    for (int i = 0; i < J->j.nwait; i++) {
        const npu_syncop *w = &J->j.wait[i];
        sync *S = &e->s[w->sync];
        if (S->v >= w->n)
            continue;
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
            if (grow(&S->w, &S->cw, S->nw + 1, sizeof(int)) != 0) {
                e->oom = true;
                return false;
            }
            S->w[S->nw++] = u;
            if (!U->ooo)
                U->blocked_on = w->sync;
        }
        return false;
    }
    for (int i = 0; i < J->j.nwait; i++)
        e->s[J->j.wait[i].sync].v -= J->j.wait[i].n;
    return true;
}

static void try_start(npu_engine *e, int u)
{
    if (e->u[u].ooo) {
        /* Out of order (the interrupt line): every job whose syncs allow starts; a blocked
         * job does not hold back the ones behind it. Slots are unlimited. */
        int prev = -1;
        for (int jid = e->u[u].head; jid >= 0 && !e->oom;) {
            int next = e->jobs[jid].next;
            if (can_start(e, u, jid)) {
                unlink_job(e, u, prev, jid);
                start_job(e, u, jid);
            } else {
                prev = jid;
            }
            jid = next;
        }
        return;
    }
    for (;;) {
        unit *U = &e->u[u];
        if (U->head < 0 || e->oom)
            return;
        if (U->slots > 0 && U->running >= U->slots)
            return;
        int jid = U->head;
        if (!can_start(e, u, jid))
            return;
        unlink_job(e, u, -1, jid);
        start_job(e, u, jid);
    }
}

static void finish(npu_engine *e, int jid)
{
    jrec *J = &e->jobs[jid];
    int u = J->j.unit;
    unit *U = &e->u[u];
    int ls = layer_slot(e, J->j.layer);
    npu_time occ = e->now - J->start;
    U->busy_ps += occ;
    U->lbusy[ls] += occ;
    lstat *L = &e->ls[ls];
    if (U->kind == NPU_UK_HOST && !U->irq_line)
        L->host_ps += occ;
    L->irq += J->j.irq;
    L->irq_ps += J->isr_ps;
    L->onchip += J->j.onchip_bytes;
    layer_touch(e, J->j.layer, J->start, e->now);
    layer_data_touch(e, J->j.layer, U->kind, e->now);
    record(e, u, J->j.layer, J->start, e->now, J->j.label, 0);
    for (int i = 0; i < J->j.nsig; i++) {
        sync *S = &e->s[J->j.sig[i].sync];
        S->v += J->j.sig[i].n;
        S->last_kind = (int)U->kind;
        for (int k = 0; k < S->nw; k++) {
            int w = S->w[k];
            if (e->u[w].blocked_on == J->j.sig[i].sync)
                e->u[w].blocked_on = -1;
            kick(e, w);
        }
        S->nw = 0;
    }
    U->running--;
    if (U->running == 0 && U->head < 0)
        U->idle_since = e->now;
    kick(e, u);
    npu_job copy = J->j;
    job_release(e, jid);
    if (copy.done) {
        int prev = e->cur_kind;
        e->cur_kind = (int)e->u[u].kind;
        copy.done(e, copy.ud, &copy);
        e->cur_kind = prev;
    }
}

static void xfer_done(npu_engine *e, int xi)
{
    xrec *X = &e->x[xi];
    int jid = X->job;
    layer_touch(e, X->layer, X->start, e->now);
    layer_data_touch(e, X->layer, e->u[e->jobs[jid].j.unit].kind, e->now);
    record(e, -(X->port + 1), X->layer, X->start, e->now, e->jobs[jid].j.label, X->bytes);
    port_leave(e, xi);
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

static int deadlock(npu_engine *e, npu_err *err)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    npu_sb_printf(&sb, "engine: deadlock at %.3f us:", (double)e->now * 1e-6);
    int shown = 0;
    for (int u = 0; u < e->nu; u++) {
        const unit *U = &e->u[u];
        if (U->head < 0)
            continue;
        const jrec *J = &e->jobs[U->head];
        int s = -1;
        int64_t need = 0;
        for (int i = 0; i < J->j.nwait; i++)
            if (e->s[J->j.wait[i].sync].v < J->j.wait[i].n) {
                s = J->j.wait[i].sync;
                need = J->j.wait[i].n;
                break;
            }
        if (shown < 6) {
            char b[32];
            if (s >= 0)
                npu_sb_printf(&sb, "%s unit '%s' job '%s' (layer %d) waits on sync '%s' (has %lld, needs %lld)",
                              shown ? ";" : "", U->name, job_label(&J->j), J->j.layer,
                              sync_name(e, s, b, sizeof b), (long long)e->s[s].v, (long long)need);
            else
                npu_sb_printf(&sb, "%s unit '%s' job '%s' (layer %d) cannot start",
                              shown ? ";" : "", U->name, job_label(&J->j), J->j.layer);
        }
        shown++;
    }
    if (shown > 6)
        npu_sb_printf(&sb, "; and %d more blocked units", shown - 6);
    int rc = npu_err_set(err, NPU_ESIM, "%s", sb.oom ? "engine: deadlock" : sb.s);
    npu_sb_free(&sb);
    return rc;
}

int npu_engine_run(npu_engine *e, npu_err *err)
{
    e->in_run = true;
    for (;;) {
        while (e->kick_n > 0)
            try_start(e, kick_pop(e));
        if (e->oom || e->toverflow)
            break;
        /* The next event: the heap's top or a port's next completion, whichever is first
         * by (time, sequence number). Ports are few (DRAM, SRAM, an L2): a linear look. */
        int xn = -1;
        for (int q = 0; q < e->np; q++) {
            int c = e->p[q].nxt;
            if (c >= 0 && (xn < 0 || e->x[c].tdone < e->x[xn].tdone ||
                           (e->x[c].tdone == e->x[xn].tdone && e->x[c].tseq < e->x[xn].tseq)))
                xn = c;
        }
        if (xn >= 0 && (e->nh == 0 || e->x[xn].tdone < e->heap[0].t ||
                        (e->x[xn].tdone == e->heap[0].t && e->x[xn].tseq < e->heap[0].seq))) {
            if (e->x[xn].tdone > e->now)
                e->now = e->x[xn].tdone;
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
            port_join(e, v.id);
    }
    e->in_run = false;
    if (e->oom)
        return npu_err_set(err, NPU_ENOMEM, "engine: out of memory during the simulation");
    if (e->toverflow)
        return npu_err_set(err, NPU_ESIM,
                           "engine: simulated time would exceed 2^62 ps (53 days) at %.3f us: a "
                           "job's cycles or a transfer's bytes are absurd for its clock or port",
                           (double)e->now * 1e-6);
    for (int u = 0; u < e->nu; u++)
        if (e->u[u].head >= 0)
            return deadlock(e, err);
    return 0;
}

npu_time npu_engine_now(const npu_engine *e) { return e->now; }

/* ---- stats and results ---------------------------------------------------------------------------- */

void npu_engine_set_peak(npu_engine *e, npu_dtype dt, double macs_per_cycle)
{
    if ((int)dt >= 0 && dt < NPU_DT_COUNT && macs_per_cycle >= 0)
        e->peak[dt] = macs_per_cycle;
}

void npu_engine_set_main_unit(npu_engine *e, int layer, int u)
{
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

npu_result *npu_engine_result(npu_engine *e, const struct npu_program *prog, const npu_params *p,
                              npu_err *err)
{
    if (prog && prog->nlayers != e->nl) {
        npu_err_set(err, NPU_EINVAL, "engine: program has %d layers, the engine was built for %d",
                    prog->nlayers, e->nl);
        return NULL;
    }
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
    r->nlayers = e->nl;
    r->layers = npu_arena_alloc(&r->arena, ((size_t)e->nl + 1) * sizeof(npu_layer_row));
    if (p)
        r->params = npu_params_clone(p);
    if (!r->arch || !r->model || !r->graph || !r->layers || (p && !r->params) || !r->total.unit)
        goto oom;

    /* The run's dtype: the one carrying the most MACs. */
    int64_t dmacs[NPU_DT_COUNT] = {0};
    for (int l = 0; prog && l < e->nl; l++) {
        int dt = prog->layers[l].dtype;
        if (dt >= 0 && dt < NPU_DT_COUNT && prog->layers[l].macs > 0)
            dmacs[dt] += prog->layers[l].macs;
    }
    int rdt = -1;
    for (int d = 0; d < NPU_DT_COUNT; d++)
        if (dmacs[d] > 0 && (rdt < 0 || dmacs[d] > dmacs[rdt]))
            rdt = d;
    r->peak_macs = rdt >= 0 ? e->peak[rdt] : 0;
    for (int d = 0; r->peak_macs <= 0 && d < NPU_DT_COUNT; d++)
        r->peak_macs = e->peak[d];

    /* Main units, and their control-released waits clipped to each layer's window (one
     * pass over the wait records). */
    mus = npu_malloc(((size_t)e->nl + 1) * sizeof *mus);
    cps = npu_calloc((size_t)e->nl + 1, sizeof *cps);
    if (!mus || !cps)
        goto oom;
    for (int l = 0; l < e->nl; l++)
        mus[l] = main_unit_of(e, l);
    for (size_t k = 0; k < e->ncw; k++) {
        const cwait *w = &e->cw[k];
        if (w->layer < 0 || w->unit != mus[w->layer] || !e->ls[w->layer].active)
            continue;
        const lstat *L = &e->ls[w->layer];
        npu_time a = w->start > L->start ? w->start : L->start;
        npu_time b = w->end < L->end ? w->end : L->end;
        if (b > a)
            cps[w->layer] += b - a;
    }
    for (int l = 0; l < e->nl; l++) {
        npu_layer_row *row = &r->layers[l];
        const npu_prog_layer *pl = prog ? &prog->layers[l] : NULL;
        const lstat *L = &e->ls[l];
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
            row->start = ps_to_cycles((double)L->start, pspc);
            row->end = ps_to_cycles((double)L->end, pspc);
        }
        row->cycles = row->end - row->start;
        /* Main unit: compute phase time, and its control-released waits inside the window. */
        int64_t comp = 0, ctrl = 0;
        if (mu >= 0) {
            comp = ps_to_cycles((double)e->u[mu].lcomp[l], pspc);
            if (e->u[mu].kind == NPU_UK_DMA || e->u[mu].kind == NPU_UK_HOST)
                comp = ps_to_cycles((double)e->u[mu].lbusy[l], pspc);
            ctrl = ps_to_cycles((double)cps[l], pspc);
            /* The wait reasons of the tail: once the layer's last data work is done, what
             * keeps it open is the control path (an interrupt, the host's op-done handling, a
             * host job of the layer); the main unit then waits on control, not on memory. A
             * layer with no data work at all (a host op) keeps its busy time as compute. */
            if (L->active && L->data_active && L->data_end < L->end &&
                e->u[mu].kind != NPU_UK_HOST && e->u[mu].kind != NPU_UK_CTRL)
                ctrl += ps_to_cycles((double)L->end, pspc) -
                        ps_to_cycles((double)(L->data_end > L->start ? L->data_end : L->start),
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
            uint64_t rd = e->p[q].lbytes[2 * l], wr = e->p[q].lbytes[2 * l + 1];
            if (e->p[q].invalid)
                continue;
            if (e->p[q].cfg.is_sram) {
                row->sram_rd_bytes += (int64_t)rd;
                row->sram_wr_bytes += (int64_t)wr;
            } else if (q == NPU_PORT_DRAM) {
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
        double pk = (dt >= 0 && dt < NPU_DT_COUNT) ? e->peak[dt] : 0;
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
    if (e->nextra > 0) {
        r->nextra = e->nextra;
        r->extra_names = npu_arena_alloc(&r->arena, (size_t)e->nextra * sizeof(char *));
        r->extra = npu_arena_alloc(&r->arena, ((size_t)e->nl + 1) * (size_t)e->nextra * sizeof(double));
        if (!r->extra_names || !r->extra)
            goto oom;
        for (int c = 0; c < e->nextra; c++) {
            r->extra_names[c] = npu_arena_strdup(&r->arena, e->xnames[c]);
            if (!r->extra_names[c])
                goto oom;
        }
        for (int l = 0; l < e->nl; l++)
            for (int c = 0; c < e->nextra; c++)
                r->extra[(size_t)l * e->nextra + c] = e->extra[(size_t)l * e->cextra + c];
    }
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

