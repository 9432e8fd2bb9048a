/* state.h — the engine's state, shared by the files of the kernel and by nothing else:
 *   engine.c  events, clocks, units, syncs, jobs and the run loop;
 *   mem.c     memory ports (water-filling) and the shared parameter table (dram.*, sram.*);
 *   stats.c   per-layer statistics -> npu_result.
 * The host model (host.c) sees only engine_int.h: it builds on the engine's public calls and
 * a few internal ones, never on these structs.
 */
#ifndef NPU_ENGINE_STATE_H
#define NPU_ENGINE_STATE_H

#include <stdbool.h>
#include <stdint.h>

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

/* A queued or running job, compact (the npu_job it came from is ~330 bytes, mostly room for
 * waits, signals and transfers it does not use): its waits, signals and transfers, in that
 * order, are nwait + nsig + nxfer cells of e->cell starting at `ops`. A run touches every
 * record at least three times (submit, start check, finish) across a working set of up to
 * ~10^5 queued jobs: the record's size is most of the engine's cache misses. */
typedef struct xcell {   /* a transfer in 16 bytes */
    uint64_t bytes;
    uint32_t run;
    int16_t port;
    bool write;
    bool cont; /* npu_xfer.cont */
} xcell;

typedef union cell {
    npu_syncop s;
    xcell x;
} cell;

typedef struct jrec {
    int next;            /* FIFO link while queued; free-list link when free */
    int prev;            /* FIFO link backwards while queued, -1 at the head  */
    uint64_t qseq;       /* submission order (FIFO order of its unit)         */
    uint32_t bgen;       /* bumped at every failed start check of an out-of-  */
                         /* order unit's job and at its start (see sync.bj)   */
    bool dirty;          /* in its out-of-order unit's candidate set          */
    uint16_t scope;      /* the workload scope it was submitted in, 0 = none  */
    int pending;         /* outstanding transfers (+1 for compute in STREAM)  */
    int blk;             /* sync it was last blocked on, -1                   */
    int8_t rel_kind;     /* release kind for "submitted to an idle unit", -1  */
    uint8_t phase;
    bool waiting;
    uint8_t mode;        /* npu_job_mode                                      */
    uint8_t nwait, nsig, nxfer;
    int unit, layer;
    int ops;             /* first cell, -1 when there are none                */
    int irq;
    double cycles;
    npu_time extra_ps;
    int64_t onchip;
    const char *label;
    npu_job_done_fn done;
    void *ud;
    npu_time wait_start, start, comp_start, isr_ps;
} jrec;

static inline const npu_syncop *npu_eng_wait(const cell *c, const jrec *J, int i)
{
    return &c[J->ops + i].s;
}
static inline const npu_syncop *npu_eng_sig(const cell *c, const jrec *J, int i)
{
    return &c[J->ops + J->nwait + i].s;
}
static inline const xcell *npu_eng_xfer(const cell *c, const jrec *J, int i)
{
    return &c[J->ops + J->nwait + J->nsig + i].x;
}

typedef struct unit {
    char *name;
    npu_unit_kind kind;
    int clk;
    int slots;
    double cap;          /* bytes per ps, 0 = none */
    int head, tail, queued, running;
    int blocked_on;      /* sync it is registered on, -1 */
    bool blocked_first;  /* ... and its head failed on its first wait: until that sync is
                            signalled (blocked_on = -1) a check would answer the same */
    bool in_kick, irq_line;
    bool ooo;            /* out-of-order start (the interrupt line)  */
    /* Out-of-order units only: the jobs whose start check may give another answer than last
     * time (new ones, and blocked ones one of whose syncs changed), a min-heap by qseq; and
     * those marked while a check pass runs but behind its position (next pass). */
    int *cand, ncand, ccand;
    int *defer, ndefer, cdefer;
    bool scanning, scan_tail;
    uint64_t scan_pos;
    npu_time idle_since;
    npu_time busy_ps, comp_ps, wait_ps[4]; /* busy_ps: time with >= 1 job running */
    npu_time busy_since; /* when running last went 0 -> 1 */
    npu_time *lbusy;     /* per layer (+1 for "none") occupancy */
    npu_time *lcomp;     /* per layer compute-phase time        */
    int buf;             /* on-chip buffer its onchip bytes go through, -1 */
    npu_unit_empty_fn refill; /* called when its FIFO is found empty (npu_engine_on_empty) */
    void *refill_ud;
} unit;

typedef struct sync {
    char *name;          /* NULL: anonymous (host chains) */
    int64_t v;
    int *w;
    int nw, cw;
    int last_kind;       /* kind of the unit that signalled last, -1 none */
    /* Blocked jobs of out-of-order units whose start check depends on this sync (it blocked
     * them, or an earlier wait of theirs was met by it): when the sync changes, they are
     * checked again. Entries are stale when the job's bgen moved on. */
    struct sync_bj {
        int job;
        uint32_t bgen;
    } *bj;
    int nbj, cbj;
} sync;

/* An active transfer on its port (mem.c): what the water-filling reads and writes, kept
 * together so that a pass over a port's transfers walks one array. */
typedef struct pact {
    double rem;          /* remaining port-bytes (bus bytes / f) */
    double cap;          /* port-bytes per ps, INFINITY = none   */
    double rate;         /* port-bytes per ps, < 0 = not yet set */
    npu_time tdone;      /* completion at the current rate, and the sequence number   */
    uint64_t tseq;       /* that orders it among events of the same time (see run())  */
    int xi;              /* the transfer (e->x) */
} pact;

typedef struct port {
    npu_port_cfg cfg;
    double cap;          /* peak·eff in bytes per ps */
    npu_time lat_ps;
    pact *act;           /* active transfers sorted by cap ascending (stable) */
    int nact, cact;
    int nxt;             /* the active transfer that completes first, -1 none, */
    npu_time nt;         /* its completion time and sequence number            */
    uint64_t nseq;
    npu_time last;
    bool invalid;        /* the id-1 placeholder when there is no SRAM */
    uint64_t *lbytes;    /* per layer (+1), [2*l + write] */
} port;

typedef struct xrec {
    int job, port, layer;
    bool write;
    double rem;          /* port-bytes to move and the cap (pact) it joins its port with */
    double cap;
    npu_time start;
    uint64_t bytes;      /* bus bytes */
    int next;
} xrec;

typedef struct djob {
    npu_job j;
    npu_time isr_ps;
    int next;            /* free list */
} djob;

/* A workload scope (scope.c): one run of one program among several on this engine. */
typedef struct wscope {
    char *wl;            /* the workload's name: suffix of its context units  */
    int lbase;           /* its program's layer 0 is engine layer lbase       */
    int64_t pending;     /* jobs submitted in it and not yet ended            */
    bool closed, ended;  /* no more jobs from its execute; all of them ended  */
    npu_time end;
    npu_scope_done_fn done;
    void *ud;
    double peak[NPU_DT_COUNT]; /* what the model set in it (its core mask's peak) */
    int chip;            /* card chip (npu_engine_scope_chip); 0 = the engine's own names */
    int dram;            /* the chip's DRAM port (NPU_PORT_DRAM for chip 0)   */
} wscope;

typedef struct lstat {
    npu_time start, end;
    bool active;
    /* end of the layer's last data work (a compute or DMA job, a port transfer); after it the
     * layer is held open only by control (interrupts, host jobs): control stall */
    npu_time data_end;
    bool data_active;
    int64_t onchip, irq;
    int64_t regw;        /* host register writes */
    npu_time irq_ps, host_ps;
} lstat;

typedef struct obuf {   /* an on-chip buffer (npu_engine_buffer) */
    char *name;
    double kb;
    int count;
    int64_t *lbytes;     /* per layer (+1) */
} obuf;

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
    npu_ctx *ctx;             /* where the pools come from and go back (or NULL)   */
    cell *cell;               /* the jobs' waits, signals and transfers             */
    int ncell, ccell;         /* high-water mark and capacity                       */
    int cfree[3 * NPU_JOB_MAX_SYNC + 1]; /* freed runs of k cells (k = 1..12), -1 */
    uint64_t qseq;            /* submissions so far */
    int njcap, jfree, njused; /* njused: high-water mark, slots above it never used */
    size_t job_budget;        /* bytes the job table may take (NPU_ENGINE_MAX_JOB_BYTES) */
    int64_t job_limit, njobs_in; /* jobs a run may submit in all (0: no limit), submitted */
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
    npu_err fail;        /* npu_engine_fail: code 0 = none */
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
    wscope *sc;          /* scopes 1..nsc-1 (0 is "none"), see scope.c        */
    int nsc, csc;
    int cur_scope;       /* the current scope, 0 = none                       */
    bool unit_ctx;       /* npu_engine_unit_ctx is making a unit             */
    obuf *buf;
    int nbuf, cbuf;
};

/* ---- helpers every file of the kernel uses ------------------------------------------------- */

static inline int npu_eng_grow(void *pv, int *cap, int need, size_t elem)
{
    if (need <= *cap) /* the common case, without the call (a sync's waiter list, a port's
                         active transfers: once per blocked check or join) */
        return 0;
    size_t c = (size_t)*cap;
    if (npu_grow((void **)pv, &c, (size_t)need, elem) != 0)
        return -1;
    *cap = (int)c;
    return 0;
}

/* llround(d) for 0 <= d < 2^63, inline (libm's was 2-3 % of a DaVinci point): below 2^53, d
 * minus its integer part is exact, and from 2^52 on d is an integer; so ties go up (away from
 * zero) as llround's do. */
static inline npu_time npu_eng_round_ps(double d)
{
    npu_time t = (npu_time)d;
    return d - (double)t >= 0.5 ? t + 1 : t;
}

/* npu_engine_cycles_ps, inline for the engine's own use (once per job in begin_compute). */
static inline npu_time npu_eng_cycles_ps(const npu_engine *e, int c, double cycles)
{
    if (c < 0 || c >= e->nc || !(cycles > 0))
        return 0;
    double ps = cycles * e->c[c].ps_per_cycle;
    return ps >= (double)TIME_LIMIT ? TIME_LIMIT : npu_eng_round_ps(ps);
}

/* Per-layer tables have one extra row for work of no layer (-1). */
static inline int npu_eng_layer_slot(const npu_engine *e, int layer)
{
    return layer < 0 ? e->nl : layer;
}

/* ---- job.c ----------------------------------------------------------------------------------- */
/* 0, or an error naming the job and its unit: bad ids, counts, layer, cycles, bytes. */
int npu_eng_check_job(const npu_engine *e, const npu_job *j, npu_err *err);

/* The message for jobs left blocked at the end of a run (NPU_ESIM). */
int npu_eng_deadlock(npu_engine *e, npu_err *err);

/* ---- scope.c: workload scopes ---------------------------------------------------------------- */
/* The engine layer of a model's layer in the current scope (layer < 0 stays). */
static inline int npu_eng_scoped_layer(const npu_engine *e, int layer)
{
    return (e->cur_scope > 0 && layer >= 0) ? layer + e->sc[e->cur_scope].lbase : layer;
}
/* A job of scope sc ended (after its done() ran): the scope may have ended. */
void npu_eng_scope_job_end(npu_engine *e, int sc);
/* The name a unit made now gets ("name@workload" for a context unit in a scope), in buf. */
/* The port a transfer on `port` uses in the current scope (a card chip's own DRAM). */
int npu_eng_scope_port(const npu_engine *e, int port);
const char *npu_eng_scope_unit_name(const npu_engine *e, const char *name, npu_unit_kind kind,
                                    char *buf, size_t n);
void npu_eng_scope_free(npu_engine *e);
/* ---- energy.c: the on-chip buffers' records (npu_engine_buffer) ---------------------------- */
void npu_eng_buffers_free(npu_engine *e);

/* ---- mem.c: memory ports ------------------------------------------------------------------- */
/* Adds a port (checks the configuration). */
int npu_mem_add_port(npu_engine *e, const npu_port_cfg *cfg, npu_err *err);
/* The DRAM port (id NPU_PORT_DRAM) and the SRAM port or its placeholder (id NPU_PORT_SRAM),
 * from dram.* / sram.* of p (table defaults when p is NULL). */
int npu_mem_init(npu_engine *e, const npu_params *p, npu_err *err);
/* Transfer xi starts sharing its port / leaves it: rates and completions are recomputed. */
void npu_mem_join(npu_engine *e, int xi);
void npu_mem_leave(npu_engine *e, int xi);
/* Bytes on the bus: each run of `run` bytes rounded up to whole bursts. */
uint64_t npu_mem_bus_bytes(uint64_t bytes, uint64_t run, uint64_t burst);

#endif
