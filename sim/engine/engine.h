/* engine.h — the discrete-event engine every model runs on (prefix npu_engine_ / npu_host_).
 *
 * What "cycle-approximate" means here (DESIGN §3): work is simulated at the granularity of
 * hardware commands and tiles — a DMA group, a stripe of MAC work, a vector instruction, a
 * regcmd task — never per MAC. A model describes its hardware as
 *   - clocks (NPU core, CPU, MCU, DRAM), each converting its cycles to picoseconds exactly;
 *   - units: named in-order servers (CMAC, SDP, CNA, Cube, MTE2, cpu0, …) with a number of
 *     slots (1 = one job at a time; 0 = unlimited, e.g. an interrupt line);
 *   - memory ports: DRAM, system SRAM, L2 … with peak bandwidth, latency and a transfer-size
 *     dependent efficiency; concurrent transfers share a port fairly (water-filling, each
 *     capped by its requester's own DMA width); rates are recomputed and completions re-timed
 *     whenever a transfer starts or ends;
 *   - syncs: counting semaphores; one mechanism for NVDLA dependency counts, DaVinci
 *     set_flag/wait_flag, RKNPU task chains and buffer credits (a double buffer is a semaphore
 *     that starts at 2);
 * and submits jobs to units. A job, in its unit's FIFO order: waits until every wait[] sync has
 * at least its count (and takes it), then — mode SEQ — issues its reads, is busy for `cycles`
 * (+ `extra_ps`), issues its writes; or — mode STREAM — does reads, compute and writes at once
 * and ends when the last finishes. Then it signals sig[] and calls done().
 *
 * Time is uint64 picoseconds; events live in one binary heap ordered by (time, sequence), so a
 * run is deterministic to the bit. Stats are kept per layer (every job, transfer and host action
 * carries its layer): start/end, busy time per unit, bytes per port and direction, interrupts,
 * host time, and for each unit the time it waited on syncs split by what released it (a DMA
 * unit → memory stall, a control/host unit → control stall).
 */
#ifndef NPU_ENGINE_H
#define NPU_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/ctx.h"
#include "../core/graph.h"
#include "../core/params.h"
#include "../core/result.h"

typedef uint64_t npu_time; /* picoseconds */
struct npu_program; /* isa/program.h; declared here so npu_engine_result's prototype is valid */
typedef struct npu_engine npu_engine;

/* The shared parameter groups dram.*, sram.*, host.*, mcu.* (every model gets them). */
extern const npu_param_def npu_engine_param_defs[];

typedef enum npu_unit_kind {
    NPU_UK_COMPUTE = 0, /* MAC arrays, vector units, post-processors                   */
    NPU_UK_DMA,         /* DMA engines, MTE queues: waiting on them is memory stall    */
    NPU_UK_CTRL,        /* command processors, schedulers: waiting is control stall    */
    NPU_UK_HOST         /* CPU cores and MCUs (created by npu_host_init)               */
} npu_unit_kind;

/* ---- construction ------------------------------------------------------------------------- */
/* Creates an engine from the parameters (dram.*, sram.*, host.*, mcu.*). It creates the port
 * "dram" (id NPU_PORT_DRAM) and, when sram.kb > 0, the port "sram" (id NPU_PORT_SRAM, else
 * that id is invalid), and the host units (see npu_host_*). `nlayers` sizes the stats. */
/* Memory the queued jobs of one engine may take: 2 GiB (about 10 M jobs: a queued job takes a
 * 136-byte record and 16 bytes per wait, signal and transfer). Models queue a program's jobs
 * ahead of the run, so this grows with the work: resnet50 at batch 100 on the default preset
 * queues ~1 M jobs, and batch 10000 (at the old 376 bytes a job) grew to 8.6 GB and on to the
 * OOM killer. Past the budget, submit fails with NPU_ENOMEM and a message giving the estimate
 * for the whole run, before the simulation starts. */
#define NPU_ENGINE_MAX_JOB_BYTES ((size_t)2 << 30)
npu_engine *npu_engine_new(const npu_params *p, int nlayers, npu_err *err);
/* Pools from a context: the engine takes the job and cell arrays the last engine freed with
 * the same ctx left there, and leaves its own in npu_engine_free (a ctx is per thread). Fresh
 * pools cost a page fault per 4 KiB every design point, and how many malloc gives back to the
 * system between points is luck (it moved nv_small ResNet-50 from 1.1 to 2.5 ms a point).
 * Call right after npu_engine_new; without it the pools are the engine's own. */
void npu_engine_use_ctx(npu_engine *e, npu_ctx *ctx);
/* Another budget for the queued jobs (bytes; tests use a small one). */
void npu_engine_set_job_budget(npu_engine *e, size_t bytes);
void npu_engine_free(npu_engine *e);

enum { NPU_PORT_DRAM = 0, NPU_PORT_SRAM = 1 };
bool npu_engine_has_sram(const npu_engine *e);

/* Clocks: returns an id. The first clock added is the core clock that reports use, unless
 * npu_engine_set_core_clock() picks another. The host clocks are added by npu_engine_new. */
int npu_engine_clock(npu_engine *e, const char *name, double mhz);
void npu_engine_set_core_clock(npu_engine *e, int clk);
double npu_engine_clock_mhz(const npu_engine *e, int clk);
npu_time npu_engine_cycles_ps(const npu_engine *e, int clk, double cycles);

/* Extra memory ports (on-chip L2 …). bytes_per_ns = GB/s. */
typedef struct npu_port_cfg {
    const char *name;
    double gbps;            /* peak GB/s (1e9 bytes/s)                                      */
    double latency_ns;      /* from request to first data                                   */
    double efficiency;      /* sustained fraction of peak for long transfers (0..1]         */
    uint32_t burst_bytes;   /* transfers are rounded up to whole bursts of this size        */
    uint32_t half_bytes;    /* contiguous run length reaching half of the sustained rate:   */
                            /* rate(run) = peak·eff·run/(run+half_bytes); 0 = no such loss   */
    bool is_sram;           /* counted as sram_* bytes in results (else dram_* if DRAM)     */
    bool is_dram;           /* counted as dram_* bytes (another chip's DRAM; port 0 always) */
} npu_port_cfg;
int npu_engine_port(npu_engine *e, const npu_port_cfg *cfg, npu_err *err);
const npu_port_cfg *npu_engine_port_cfg(const npu_engine *e, int port);
int npu_engine_nports(const npu_engine *e);
/* Bytes moved through a port so far (both directions, every layer and none). */
uint64_t npu_engine_port_bytes(const npu_engine *e, int port);

/* Units. slots: 1 = in-order server, N = up to N jobs at once (still started in FIFO order),
 * 0 = unlimited. dma_bytes_per_cycle (in the unit's clock) caps each of the unit's transfers;
 * 0 = no cap of its own. */
int npu_engine_unit(npu_engine *e, const char *name, npu_unit_kind kind, int clk, int slots,
                    double dma_bytes_per_cycle);
const char *npu_engine_unit_name(const npu_engine *e, int unit);
int npu_engine_nunits(const npu_engine *e);
int npu_engine_find_unit(const npu_engine *e, const char *name); /* -1 if absent */

/* On-chip buffers, for energy and area (sim/engine/energy.c): a named buffer of `count`
 * arrays of `kb` KiB each (one access sees one array: CBUF = 16 banks of 32 KiB). The
 * onchip_bytes of every job of a unit given to the buffer are counted as that buffer's
 * traffic, per layer. Returns the buffer id, or -1 (bad size, out of memory). A model that
 * declares none has its on-chip traffic priced at energy.buffer_kb. */
int npu_engine_buffer(npu_engine *e, const char *name, double kb, int count);
void npu_engine_unit_buffer(npu_engine *e, int unit, int buf);
/* Host register writes of a layer (-1 = none), for energy: counted where they are issued (the
 * host model's requests; a model's own MMIO writes, e.g. an RKNPU kick). */
void npu_engine_count_regs(npu_engine *e, int layer, int64_t writes);

/* Counting semaphores. */
int npu_engine_sync(npu_engine *e, const char *name, int64_t initial);
int64_t npu_engine_sync_value(const npu_engine *e, int sync);

/* ---- jobs --------------------------------------------------------------------------------- */
#define NPU_JOB_MAX_SYNC 4
#define NPU_JOB_MAX_XFER 4

typedef enum npu_job_mode {
    NPU_JOB_SEQ = 0,   /* reads, then compute, then writes          */
    NPU_JOB_STREAM     /* reads, compute and writes overlap         */
} npu_job_mode;

typedef struct npu_xfer {
    int port;          /* NPU_PORT_DRAM, NPU_PORT_SRAM or a port id */
    bool write;
    uint64_t bytes;
    uint32_t run;      /* contiguous bytes per access run (0 = one run of `bytes`) */
    bool cont;         /* continues a stream the unit's previous job opened on this port: its
                          requests are already in flight, so no new request latency */
} npu_xfer;

typedef struct npu_syncop {
    int sync;
    int64_t n;
} npu_syncop;

typedef struct npu_job npu_job;
typedef void (*npu_job_done_fn)(npu_engine *e, void *ud, const npu_job *j);

struct npu_job {
    int unit;
    int layer;                 /* program layer index, -1 = none            */
    const char *label;         /* static string shown in traces (optional)   */
    npu_job_mode mode;
    double cycles;             /* busy time in the unit's clock              */
    npu_time extra_ps;         /* added busy time (fixed ns costs)           */
    int nwait, nsig, nxfer;
    npu_syncop wait[NPU_JOB_MAX_SYNC];
    npu_syncop sig[NPU_JOB_MAX_SYNC];
    npu_xfer xfer[NPU_JOB_MAX_XFER];
    int64_t onchip_bytes;      /* internal-buffer traffic, counted, not timed */
    int irq;                   /* interrupts this (host) job handles          */
    npu_job_done_fn done;      /* optional; may submit more jobs              */
    void *ud;
    bool overflow;             /* set by npu_job_wait/signal/xfer when the job had no room;
                                  npu_engine_submit then refuses it (a bug in the model) */
};

/* Building a job: append a wait, a signal or a transfer. Nothing is added for n <= 0 or
 * bytes <= 0. When the job is full (NPU_JOB_MAX_SYNC / NPU_JOB_MAX_XFER) nothing is written,
 * the job is marked `overflow` and NPU_ESIM is returned (and set in err when not NULL), so a
 * model can either test each call or let npu_engine_submit refuse the job. */
/* Starts a job: on `unit`, for program layer `layer` (-1 = none), shown as `label`; every
 * other member zero (NPU_JOB_SEQ, no time, no waits, signals or transfers). The entries of
 * the wait, signal and transfer arrays are left as they are: only those below the counts are
 * read, and npu_job_wait/_signal/_xfer write each whole (zeroing the 376-byte job was ~3 % of
 * an RKNPU point and a tenth of the DaVinci emission, whose tasks are several jobs each). */
static inline void npu_job_init(npu_job *j, int unit, int layer, const char *label)
{
    j->unit = unit;
    j->layer = layer;
    j->label = label;
    j->mode = NPU_JOB_SEQ;
    j->cycles = 0;
    j->extra_ps = 0;
    j->nwait = j->nsig = j->nxfer = 0;
    j->onchip_bytes = 0;
    j->irq = 0;
    j->done = NULL;
    j->ud = NULL;
    j->overflow = false;
}
int npu_job_wait(npu_job *j, int sync, int64_t n, npu_err *err);
int npu_job_signal(npu_job *j, int sync, int64_t n, npu_err *err);
int npu_job_xfer(npu_job *j, int port, bool write, int64_t bytes, uint32_t run, npu_err *err);

/* Appends a copy of *j to its unit's FIFO. Jobs may be submitted before run() or from done()
 * callbacks. Errors: bad unit/sync/port ids, too many syncs. */
int npu_engine_submit(npu_engine *e, const npu_job *j, npu_err *err);
/* npu_engine_submit without npu_eng_check_job's checks (~5 % of a DaVinci point): for jobs
 * correct by construction — units, syncs and ports the engine returned, counts within the
 * arrays, no overflow mark, cycles in [0, 1e15), other members as npu_job_init leaves them or
 * in the ranges the check enforces. Builds without NDEBUG check them all the same. */
int npu_engine_submit_trusted(npu_engine *e, const npu_job *j, npu_err *err);
/* Whether a job built with npu_job_init/_wait/_signal/_xfer has its quantities in the ranges
 * npu_eng_check_job enforces: no overflow mark, cycles in [0, 1e15), extra_ps up to 1e18, sync
 * counts up to 2^53, transfers up to 2^50 bytes, on-chip bytes and interrupts not negative.
 * A model whose units and syncs are ones the engine returned, and whose layers it checked,
 * submits such a job through npu_engine_submit_trusted and any other through npu_engine_submit,
 * which reports what is wrong. */
static inline bool npu_job_in_range(const npu_job *j)
{
    bool ok = !j->overflow && j->cycles >= 0 && j->cycles < 1e15 &&
              j->extra_ps <= (npu_time)1e18 && j->onchip_bytes >= 0 && j->irq >= 0;
    for (int i = 0; i < j->nwait; i++)
        ok &= (uint64_t)j->wait[i].n <= ((uint64_t)1 << 53); /* negatives too */
    for (int i = 0; i < j->nsig; i++)
        ok &= (uint64_t)j->sig[i].n <= ((uint64_t)1 << 53);
    for (int i = 0; i < j->nxfer; i++)
        ok &= j->xfer[i].bytes <= ((uint64_t)1 << 50);
    return ok;
}
/* The submit of a model whose unit, sync and port ids are ones the engine returned: the trusted
 * way when the job's quantities are in range (npu_job_in_range), else the checked way, which
 * reports what is wrong (a unit of -1, the host's in some models, is always checked). */
static inline int npu_engine_submit_in_range(npu_engine *e, const npu_job *j, npu_err *err)
{
    return j->unit >= 0 && npu_job_in_range(j) ? npu_engine_submit_trusted(e, j, err)
                                                : npu_engine_submit(e, j, err);
}
/* Jobs in windows: fn(e, ud, unit) is called when the in-order unit `unit` is found with an
 * empty FIFO — at once when its last queued job starts — and may submit more jobs (to any
 * unit; its own next job is then checked where it would have been had it been queued all
 * along). A model that queues a unit's jobs ahead of need this way keeps only a window of
 * them, and the run is the same as with everything queued up front provided no job it submits
 * later could have started earlier on another unit (models/rknpu/timing.c says why its can't).
 * What the hook submits to an idle unit waits from when that unit went idle, as if it had been
 * queued (the kind of `unit` stands for what gave it work). fn returns nonzero on failure (out
 * of memory): the run then stops with an error. NULL removes the hook. */
typedef int (*npu_unit_empty_fn)(npu_engine *e, void *ud, int unit);
void npu_engine_on_empty(npu_engine *e, int unit, npu_unit_empty_fn fn, void *ud);
/* Runs until no event is left. If jobs remain blocked, returns NPU_ESIM with a message naming
 * each blocked unit and the sync it waits on (a deadlock in the model's program). */
int npu_engine_run(npu_engine *e, npu_err *err);
/* From a done() callback that cannot go on (a model producing its program during the run met
 * an error in it): the run stops before the next event and npu_engine_run returns *why. The
 * first failure is kept. */
void npu_engine_fail(npu_engine *e, const npu_err *why);
npu_time npu_engine_now(const npu_engine *e);

/* ---- results ------------------------------------------------------------------------------ */
/* Peak MACs per core cycle for a dtype (for ideal_cycles and util), set by the model. */
void npu_engine_set_peak(npu_engine *e, npu_dtype dt, double macs_per_cycle);
/* The layer's main unit (whose idle time is split into stalls); default: the compute unit
 * busiest in that layer, else any unit. */
void npu_engine_set_main_unit(npu_engine *e, int layer, int unit);
/* Model-specific per-layer columns (added to, not replaced). */
int npu_engine_extra_col(npu_engine *e, const char *name);
void npu_engine_add_extra(npu_engine *e, int layer, int col, double v);
/* Builds the result: per-layer rows for the program's layer table, totals. */
npu_result *npu_engine_result(npu_engine *e, const struct npu_program *prog,
                              const npu_params *p, npu_err *err);

/* Busy intervals for traces (recorded only when enabled before run()). */
typedef struct npu_interval {
    int unit;          /* unit id, or -(port+1) for memory-port transfers */
    int layer;
    npu_time start, end;
    const char *label;
    uint64_t bytes;    /* transfers */
} npu_interval;
void npu_engine_record(npu_engine *e, bool on);
const npu_interval *npu_engine_intervals(const npu_engine *e, size_t *n);

/* ---- workloads: several programs on one engine (scope.c; docs/workloads.md) ----------------
 * One engine can run several programs at once — a detector and a classifier on two NPU cores —
 * so that they contend for DRAM, SRAM, the CPU and its interrupts inside the simulation. Each
 * run of one program (one frame of one workload) is a *scope*: the runner makes it, makes it
 * current, calls the model's execute (at time 0 or later, from a done() callback: the frame
 * arrives then) and closes it. While a scope is current:
 *   - a layer id the model passes (submit, defer, host requests, extra columns, main unit) is
 *     offset by the scope's layer_base: each frame has rows of its own;
 *   - a unit of kind HOST, or one made with npu_engine_unit_ctx, is a *context* unit: it is
 *     named "<name>@<workload>" and made once per workload (a runtime thread, a driver's job
 *     bookkeeping); any other unit name that exists already returns that unit (hardware is
 *     shared by every workload); a clock of an existing name and frequency returns that clock;
 *   - syncs are new every time (a frame's semaphores are its own).
 * Jobs carry their scope; a done() callback runs in the scope of its job. `done` is called once
 * every job of a closed scope has ended. At most 65535 scopes. */
typedef void (*npu_scope_done_fn)(npu_engine *e, void *ud, int scope);
int npu_engine_scope_new(npu_engine *e, const char *workload, int layer_base,
                         npu_scope_done_fn done, void *ud, npu_err *err);
/* Makes `scope` current (0 = none) and returns the one that was. */
int npu_engine_scope_set(npu_engine *e, int scope);
/* The scope's execute is over: when it has no job left, it ends now (done is called). */
void npu_engine_scope_close(npu_engine *e, int scope);
/* When the scope's last job ended (valid once it ended). */
npu_time npu_engine_scope_end(const npu_engine *e, int scope);
/* Multi-chip cards (docs/workloads.md "multi-chip"): binds `scope` to chip `chip` (> 0) of a
 * card whose DRAM is port `dram_port` (made with is_dram). While such a scope is current every
 * unit and port name the model gives gets "@chip<chip>" (a chip's hardware is its own; a port
 * of that name made by an earlier frame of the chip is returned), and transfers the model puts
 * on NPU_PORT_DRAM go to `dram_port`. Chip 0 keeps the engine's own names and ports. The host
 * (CPU cores, interrupt line) stays shared. */
int npu_engine_scope_chip(npu_engine *e, int scope, int chip, int dram_port, npu_err *err);
/* A unit of the runtime context rather than of the hardware (see above); the same as
 * npu_engine_unit outside a scope. */
int npu_engine_unit_ctx(npu_engine *e, const char *name, npu_unit_kind kind, int clk, int slots,
                        double dma_bytes_per_cycle);
/* The result of one scope: rows for its program's layers, times from t0 (e.g. its release). */
npu_result *npu_engine_result_scope(npu_engine *e, int scope, npu_time t0,
                                    const struct npu_program *prog, const npu_params *p,
                                    npu_err *err);

/* ---- the host model (sim/engine/host.c) ----------------------------------------------------
 * CPU cores (host.cores units "cpu0"…, kind HOST, at host.freq_mhz), an interrupt line unit
 * ("irq", unlimited slots) and, when mcu.present, an MCU ("mcu") with its own clock and costs.
 * host.cpu names a profile (cortex-a9-linux, cortex-a53-linux, cortex-a55-linux,
 * cortex-a76-linux, riscv-baremetal, …) whose values fill every host.* key not set explicitly. */
typedef struct npu_host_req {
    int layer;
    bool on_mcu;          /* run on the MCU instead of CPU core `cpu`                       */
    int cpu;              /* CPU core index (0 … host.cores-1)                              */
    int irq;              /* interrupts taken: adds line latency + ISR per interrupt         */
    npu_syncop wait;      /* start condition (sync -1 = none), e.g. the NPU op's "done"      */
    npu_syncop sig;       /* signalled at the end (sync -1 = none), e.g. "next may start"    */
    int reg_reads;        /* MMIO/CSB register reads (reg_read_ns each)                      */
    int reg_writes;       /* MMIO/CSB register writes (reg_write_ns each)                    */
    uint64_t desc_bytes;  /* descriptor bytes read from DRAM through the memory system       */
    double cycles;        /* other work in host cycles                                        */
    double ns;            /* other fixed work in ns (syscalls, submit path)                   */
    bool wake;            /* a sleeping thread is woken afterwards (wakeup_ns)               */
    const char *label;
} npu_host_req;
/* Fills a request with no wait/signal (sync -1) and zero costs. */
void npu_host_req_init(npu_host_req *r, int layer);
int npu_host_submit(npu_engine *e, const npu_host_req *r, npu_err *err);

/* A fallback operator on the CPU: time from the host's throughput for the op class
 * (host.gmacs for conv/gemm MACs, host.gelems for element-wise work scaled per class,
 * host.gbps for data movement) and its bytes through the DRAM port. */
typedef struct npu_host_op {
    int layer;
    int cpu;
    npu_opclass cls;
    npu_op op;
    int64_t macs, elems;
    uint64_t rd_bytes, wr_bytes;
    npu_syncop wait, sig;
} npu_host_op;
int npu_host_run_op(npu_engine *e, const npu_host_op *o, npu_err *err);
/* The op a program's host record (isa/program.h) describes, for `layer` on CPU core 0, with
 * no wait and no signal (sync -1): the caller adds those. */
struct npu_prog_host;
void npu_host_op_from(npu_host_op *o, const struct npu_prog_host *h, int layer);
/* The time (ns) that op would take on the CPU, without memory contention (for explain). */
double npu_host_op_ns(const npu_engine *e, const npu_host_op *o);
int npu_host_cpu_unit(const npu_engine *e, int cpu); /* unit id of CPU core cpu */
int npu_host_mcu_unit(const npu_engine *e);          /* -1 when there is no MCU   */

/* The system software a host profile runs, for a model whose driver path depends on it (the
 * NVDLA KMD runs as a Linux driver with a thread woken per interrupt, or bare metal).
 * An unknown name is NPU_HOST_OS_NONE (the profile itself is checked by npu_host_resolve). */
typedef enum npu_host_os { NPU_HOST_OS_NONE, NPU_HOST_OS_LINUX, NPU_HOST_OS_BAREMETAL } npu_host_os;
npu_host_os npu_host_profile_os(const char *cpu);

/* Resolves the host profile: fills unset host.* keys from the host.cpu profile. Called by the
 * core after presets and --set were applied (so `npusim params` shows the effective values). */
int npu_host_apply_profile(npu_params *p, npu_err *err);

#endif
