/* timing.c — executing a DaVinci program on the engine (prefix npu_davinci_).
 *
 * Hardware per AI Core c (units, AI-core clock): aic<c>.S (scalar, CTRL), aic<c>.MTE2,
 * aic<c>.MTE1, aic<c>.MTE3 (DMA), aic<c>.M (Cube) and aic<c>.V (vector) (COMPUTE). Each is an
 * in-order queue that runs one instruction at a time (research §2.1). Shared: the Task
 * Scheduler "ts" (CTRL), the DRAM port, the L2 port "l2" (when l2_kb > 0) and the host CPUs
 * (the AI CPU cores; host.* parameters).
 *
 * Mechanisms:
 *   - set_flag(src, dst, id) / wait_flag: one engine semaphore per (core, src, dst, id). A
 *     SET_FLAG becomes a signal of the src pipe's last job (it takes effect after all earlier
 *     work of that pipe, research §2.2 — a pipe runs one job at a time here, so its last job
 *     ends after all earlier ones); a WAIT_FLAG becomes a wait of the dst pipe's next job.
 *     Where there is no such job a zero-cycle job carries the flag. pipe_barrier is implied by
 *     one-at-a-time pipes (documented simplification: no intra-pipe overlap).
 *   - Scalar issue: a pipe cannot run what the Scalar unit has not issued. Each BEGIN/SCALAR
 *     instruction is a job on aic<c>.S (begin_cycles, or scalar_cycles per instruction of its
 *     tile iteration) that then releases an "issue" semaphore of every pipe with instructions
 *     in that iteration; the first job of each such pipe waits for it. So the scalar rate is a
 *     bottleneck exactly when tiles are small. (The S queue runs ahead without the 32-entry
 *     queue limit; assumption.)
 *   - Kernels run in stream order. The TS prepares a kernel (ts_launch_us) once it has
 *     dispatched the previous one, i.e. while that one runs; the kernel is dispatched (BEGIN
 *     released on each block's core) when the previous kernel has ended and its launch is
 *     ready, ts_sync_us after the later of the two. So a kernel costs at least ts_launch_us
 *     (small kernels are launch-bound) and long ones pay only ts_sync_us. AI CPU kernels: TS launch, the AI
 *     CPU task switch (aicpu_launch_us, a host job) and npu_host_run_op on a host core.
 *     The run ends with one interrupt to the host (aclmdlExecute returns). With DVPP decoding
 *     concurrently (dvpp_ts_us > 0) the TS also runs the DVPP tasks of the image: that time
 *     is spent before the first launch.
 *   - Costs (AI-core cycles): mad = mmad_overhead + ⌈m/m0⌉⌈k/k0⌉⌈n/n0⌉ (one fractal per cycle);
 *     Load3D/Load2D = mte1_overhead + bytes / L1→L0A (B) rate; L0C→UB = vec_overhead + bytes /
 *     l0c_ub; vector = vec_overhead + repeats · 256 / vector_bytes; GM copies = mte_gm_setup +
 *     the transfer on the DRAM or L2 port (latency, bursts, sharing with the other cores and
 *     capped by the path rate) — small transfers are far below peak (research §1.6).
 * Per-layer extra columns like msprof's op_summary (research §4.4): block_dim and
 * cube/vec/scalar/mte1/mte2/mte3 ratios = the pipe's busy cycles per core / the kernel's
 * cycles (GM copies counted at their nominal path rate).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "davinci.h"

enum { COL_BD = 0, COL_CUBE, COL_VEC, COL_SCALAR, COL_MTE1, COL_MTE2, COL_MTE3, NCOL };
static const char *const col_names[NCOL] = {"block_dim", "cube_ratio", "vec_ratio",
                                            "scalar_ratio", "mte1_ratio", "mte2_ratio",
                                            "mte3_ratio"};
/* pipe → column */
static const int pipe_col[NPU_DV_NPIPES] = {COL_SCALAR, COL_VEC, COL_CUBE, COL_MTE1, COL_MTE2,
                                            COL_MTE3};

typedef struct kstat {
    dv_exec *x;
    int layer;
    int block_dim;
    int ends_left;
    npu_time start;
    double busy[NPU_DV_NPIPES];
} kstat;

/* Kernel records, in chunks that never move (jobs' callbacks point at them). */
typedef struct kchunk {
    struct kchunk *next;
    int n;
    kstat k[64];
} kchunk;

typedef struct pend {
    npu_job job;
    bool has;
    npu_syncop w[NPU_JOB_MAX_SYNC];
    int nw;
    int need_issue;
} pend;

struct dv_exec {
    npu_engine *e;
    npu_err *err;
    const npu_davinci_state *s;
    int clk, ncores, nids;
    int *unit;    /* ncores × 6 */
    int *flag;    /* ncores × 6 × 6 × nids, -1 = not created yet */
    int *issue;   /* ncores × 6 */
    int *go;      /* ncores */
    bool *vfresh; /* ncores: the next vector instruction pays its issue+drain overhead */
    pend *pj;     /* ncores × 6 */
    int u_ts, kdone, mdone, aicpu_go, aicpu_go2, l2port;
    int u_tsd, launched, dispatched; /* TS dispatch unit; launch -> dispatch handshakes */
    kchunk *kc;            /* kernel records, newest chunk first                          */
    int nks, nk;           /* kernels submitted; counted (a windowed program: so far)      */
    const npu_program *p;
    size_t pos;            /* next instruction to submit                                   */
    npu_dv_lazy *lazy;     /* a windowed program's lowering (lower.c), NULL: whole program */
    bool last_win;         /* windowed: the window in the program is the last one          */
    size_t last_hdr;       /* windowed: the window's last kernel header (scan_window)      */
    int prev_ends, last_layer, end_sync, final_ends, final_layer;
    kstat *K;              /* kernel being submitted                                       */
    bool aicpu;
    int col[NCOL];
    int m0, k0, n0; /* fractal of the current kernel */
};

void npu_davinci_exec_free(dv_exec *x)
{
    if (!x)
        return;
    free(x->unit);
    free(x->flag);
    free(x->issue);
    free(x->go);
    free(x->vfresh);
    free(x->pj);
    while (x->kc) {
        kchunk *n = x->kc->next;
        free(x->kc);
        x->kc = n;
    }
    npu_dv_lazy_free(x->lazy);
    free(x);
}

static int fail(dv_exec *x) { return x->err && x->err->code ? x->err->code : NPU_ESIM; }

/* Payload bytes of a (non-kernel) instruction opcode: the short sync struct or the long one. */
static size_t payload_size(unsigned op)
{
    return npu_dv_is_short(op) ? sizeof(npu_dv_sync) : sizeof(npu_dv_ins);
}

/* The issuing core of an instruction whose payload is in bounds, read in place: the first
 * field of both payload structs. */
static int payload_core(const npu_program *p, const npu_instr *in)
{
    return *(const uint16_t *)(p->data + in->off);
}

/* Instruction i of a program validate() has checked, without npu_dv_decode's checks and
 * copy: the long payload in place, or the short one widened into *tmp (a point decodes each
 * of ResNet-50's 58 000 instructions twice; the checked copy was a tenth of its time). Both
 * payload structs start with the core. */
static const npu_dv_ins *ins_checked(const npu_program *p, size_t i, npu_dv_ins *tmp)
{
    const npu_instr *in = &p->ins[i];
    const void *b = p->data + in->off;
    if (!npu_dv_is_short(in->op))
        return b;
    const npu_dv_sync *y = b;
    tmp->core = y->core;
    tmp->pipe2 = y->pipe2;
    tmp->event = y->event;
    return tmp;
}

static int flag_sync(dv_exec *x, int core, int src, int dst, int id)
{
    if (src < 0 || src >= NPU_DV_NPIPES || dst < 0 || dst >= NPU_DV_NPIPES || id < 0 ||
        id >= x->nids)
        return -1;
    size_t i = (((size_t)core * NPU_DV_NPIPES + (size_t)src) * NPU_DV_NPIPES + (size_t)dst) *
                   (size_t)x->nids + (size_t)id;
    if (x->flag[i] < 0) {
        char nm[64];
        snprintf(nm, sizeof nm, "aic%d.flag.%s>%s.%d", core, npu_dv_pipe_name(src),
                 npu_dv_pipe_name(dst), id);
        x->flag[i] = npu_engine_sync(x->e, nm, 0);
    }
    return x->flag[i];
}

static int submit(dv_exec *x, const npu_job *j)
{
    return npu_engine_submit(x->e, j, x->err) ? fail(x) : 0;
}

/* Submits P's job. Its unit, syncs and port are ones the engine returned (setup and
 * flag_sync check them), its counts are within the arrays (room is checked before each add),
 * so the engine's check is skipped (npu_engine_submit_trusted) unless a quantity could fail it:
 * cycles or on-chip bytes out of the engine's range take the checked way, which reports them. */
static int flush(dv_exec *x, pend *P)
{
    if (!P->has)
        return 0;
    P->has = false;
    const npu_job *j = &P->job;
    if (!(j->cycles >= 0 && j->cycles < 1e15) || j->onchip_bytes < 0)
        return submit(x, j);
    return npu_engine_submit_trusted(x->e, j, x->err) ? fail(x) : 0;
}

/* A wait or a signal of count 1 on a job with room for it (the callers check the count
 * first; npu_job_wait/_signal are calls into the engine for what is one store here). */
static inline void add_wait1(npu_job *j, int sync) { j->wait[j->nwait++] = (npu_syncop){sync, 1}; }
static inline void add_sig1(npu_job *j, int sync) { j->sig[j->nsig++] = (npu_syncop){sync, 1}; }

/* Opens a new job on pipe p of core c carrying the pending waits and issue credit. */
static int open_job(dv_exec *x, int c, int p, int layer, const char *label)
{
    pend *P = &x->pj[c * NPU_DV_NPIPES + p];
    if (flush(x, P))
        return fail(x);
    npu_job_init(&P->job, x->unit[c * NPU_DV_NPIPES + p], layer, label);
    if (P->need_issue > 0)
        P->job.wait[P->job.nwait++] =
            (npu_syncop){x->issue[c * NPU_DV_NPIPES + p], P->need_issue};
    P->need_issue = 0;
    /* at most 3 flag waits fit beside the issue credit; more go on a zero-cycle job first */
    while (P->nw > 0) {
        int room = NPU_JOB_MAX_SYNC - P->job.nwait;
        if (room <= 0 || (P->nw > room)) {
            /* submit what we have as a zero-cycle carrier and continue with a fresh job */
            int k = room < P->nw ? room : P->nw;
            for (int i = 0; i < k; i++)
                P->job.wait[P->job.nwait++] = P->w[i];
            memmove(P->w, P->w + k, (size_t)(P->nw - k) * sizeof P->w[0]);
            P->nw -= k;
            npu_job hold = P->job;
            hold.cycles = 0;
            hold.label = "wait_flag";
            if (submit(x, &hold))
                return fail(x);
            npu_job_init(&P->job, x->unit[c * NPU_DV_NPIPES + p], layer, label);
            continue;
        }
        for (int i = 0; i < P->nw; i++)
            P->job.wait[P->job.nwait++] = P->w[i];
        P->nw = 0;
    }
    P->has = true;
    return 0;
}

static int do_set(dv_exec *x, int c, int p, int sync, int layer)
{
    pend *P = &x->pj[c * NPU_DV_NPIPES + p];
    if (!P->has || P->nw > 0 || P->need_issue || P->job.nsig >= NPU_JOB_MAX_SYNC) {
        if (open_job(x, c, p, layer, "set_flag"))
            return fail(x);
    }
    add_sig1(&P->job, sync);
    return 0;
}

static int do_wait(dv_exec *x, int c, int p, int sync)
{
    pend *P = &x->pj[c * NPU_DV_NPIPES + p];
    if (P->nw >= NPU_JOB_MAX_SYNC) {
        if (open_job(x, c, p, P->job.layer, "wait_flag") || flush(x, P))
            return fail(x);
    }
    P->w[P->nw].sync = sync;
    P->w[P->nw].n = 1;
    P->nw++;
    return 0;
}

static int emit_segment(dv_exec *x);

static void ts_start_done(npu_engine *e, void *ud, const npu_job *j)
{
    (void)j;
    kstat *k = ud;
    k->start = npu_engine_now(e);
    dv_exec *x = k->x;
    /* out of memory, or the lowering of a window failing: the run stops with that error */
    if ((x->pos < x->p->n || (x->lazy && !x->last_win)) && emit_segment(x))
        npu_engine_fail(e, x->err);
}

static void end_done(npu_engine *e, void *ud, const npu_job *j)
{
    (void)j;
    kstat *k = ud;
    if (--k->ends_left > 0 || k->layer < 0)
        return;
    dv_exec *x = k->x;
    npu_time now = npu_engine_now(e);
    double ps_per_cycle = 1e6 / x->s->freq_mhz;
    double cyc = (double)(now - k->start) / ps_per_cycle;
    npu_engine_add_extra(e, k->layer, x->col[COL_BD], k->block_dim);
    if (cyc <= 0)
        return;
    double bd = k->block_dim > 0 ? k->block_dim : 1;
    for (int p = 0; p < NPU_DV_NPIPES; p++) {
        double r = k->busy[p] / bd / cyc;
        npu_engine_add_extra(e, k->layer, x->col[pipe_col[p]], r > 1 ? 1 : r);
    }
}

/* Pipes with instructions between S instruction i and the next S instruction of that core. */
static unsigned epoch_pipes(const npu_program *p, size_t i, int core)
{
    unsigned mask = 0;
    for (size_t j = i + 1; j < p->n; j++) {
        const npu_instr *in = &p->ins[j];
        if (in->op == NPU_DV_OP_KERNEL)
            break;
        if (payload_core(p, in) != core)
            break;
        if (in->unit == NPU_DV_PIPE_S)
            break;
        if (in->unit < NPU_DV_NPIPES)
            mask |= 1u << in->unit;
    }
    return mask;
}

static int s_job(dv_exec *x, const npu_program *p, size_t i, int c, int layer, double cycles,
                 int wait_go, kstat *ks)
{
    pend *P = &x->pj[c * NPU_DV_NPIPES + NPU_DV_PIPE_S];
    if (open_job(x, c, NPU_DV_PIPE_S, layer, wait_go ? "begin" : "scalar"))
        return fail(x);
    npu_job *j = &P->job;
    j->cycles = cycles;
    if (ks)
        ks->busy[NPU_DV_PIPE_S] += cycles;
    if (wait_go) {
        if (j->nwait >= NPU_JOB_MAX_SYNC && (flush(x, P) || open_job(x, c, NPU_DV_PIPE_S, layer, "begin")))
            return fail(x);
        add_wait1(&P->job, x->go[c]);
    }
    unsigned mask = epoch_pipes(p, i, c);
    for (int q = 0; q < NPU_DV_NPIPES; q++) {
        if (!(mask & (1u << q)) || q == NPU_DV_PIPE_S)
            continue;
        if (P->job.nsig >= NPU_JOB_MAX_SYNC) {
            if (flush(x, P) || open_job(x, c, NPU_DV_PIPE_S, layer, "issue"))
                return fail(x);
        }
        add_sig1(&P->job, x->issue[c * NPU_DV_NPIPES + q]);
        x->pj[c * NPU_DV_NPIPES + q].need_issue++;
    }
    return 0;
}

static int setup(dv_exec *x, const npu_program *p)
{
    const npu_davinci_state *s = x->s;
    npu_engine *e = x->e;
    x->clk = npu_engine_clock(e, "aicore", s->freq_mhz);
    npu_engine_set_core_clock(e, x->clk);
    int nc = x->ncores; /* validate() found it */
    x->unit = npu_calloc((size_t)nc * NPU_DV_NPIPES, sizeof *x->unit);
    x->issue = npu_calloc((size_t)nc * NPU_DV_NPIPES, sizeof *x->issue);
    x->go = npu_calloc((size_t)nc, sizeof *x->go);
    x->vfresh = npu_calloc((size_t)nc, sizeof *x->vfresh);
    x->pj = npu_calloc((size_t)nc * NPU_DV_NPIPES, sizeof *x->pj);
    size_t nf = (size_t)nc * NPU_DV_NPIPES * NPU_DV_NPIPES * (size_t)x->nids;
    x->flag = malloc(nf * sizeof *x->flag);
    if (!x->unit || !x->issue || !x->go || !x->pj || !x->flag || !x->vfresh)
        return npu_err_set(x->err, NPU_ENOMEM, "davinci: out of memory");
    for (size_t i = 0; i < nf; i++)
        x->flag[i] = -1;
    static const npu_unit_kind kind[NPU_DV_NPIPES] = {NPU_UK_CTRL, NPU_UK_COMPUTE,
                                                      NPU_UK_COMPUTE, NPU_UK_DMA, NPU_UK_DMA,
                                                      NPU_UK_DMA};
    double rd = s->ddr_rd > s->l2_rd || s->l2 <= 0 ? s->ddr_rd : s->l2_rd;
    double wr = s->ddr_wr > s->l2_wr || s->l2 <= 0 ? s->ddr_wr : s->l2_wr;
    for (int c = 0; c < nc; c++) {
        char nm[48];
        for (int q = 0; q < NPU_DV_NPIPES; q++) {
            snprintf(nm, sizeof nm, "aic%d.%s", c, npu_dv_pipe_name(q));
            double cap = q == NPU_DV_PIPE_MTE2 ? rd : q == NPU_DV_PIPE_MTE3 ? wr : 0;
            /* MTE2 keeps mte2_inflight copies in flight (started in order, so a flag wait
             * still holds every later copy); the other pipes run one job at a time */
            int slots = q == NPU_DV_PIPE_MTE2 ? s->mte2_inflight : 1;
            int u = npu_engine_unit(e, nm, kind[q], x->clk, slots, cap);
            if (u < 0)
                return npu_err_set(x->err, NPU_ENOMEM, "davinci: cannot create unit %s", nm);
            x->unit[c * NPU_DV_NPIPES + q] = u;
            snprintf(nm, sizeof nm, "aic%d.issue.%s", c, npu_dv_pipe_name(q));
            x->issue[c * NPU_DV_NPIPES + q] = npu_engine_sync(e, nm, 0);
        }
        snprintf(nm, sizeof nm, "aic%d.go", c);
        x->go[c] = npu_engine_sync(e, nm, 0);
    }
    x->u_ts = npu_engine_unit(e, "ts", NPU_UK_CTRL, x->clk, 1, 0);
    x->u_tsd = npu_engine_unit(e, "ts.dispatch", NPU_UK_CTRL, x->clk, 1, 0);
    x->launched = npu_engine_sync(e, "ts_launched", 0);
    x->dispatched = npu_engine_sync(e, "ts_dispatched", 1);
    x->kdone = npu_engine_sync(e, "kernel_end", 0);
    x->mdone = npu_engine_sync(e, "model_end", 0);
    x->aicpu_go = npu_engine_sync(e, "aicpu_go", 0);
    x->aicpu_go2 = npu_engine_sync(e, "aicpu_ready", 0);
    x->l2port = NPU_PORT_DRAM;
    if (s->l2 > 0) {
        npu_port_cfg pc = {
            .name = "l2",
            .gbps = s->l2_rd * s->freq_mhz * 1e-3 * s->cores,
            .latency_ns = 20,   /* assumption: on-chip, a few tens of cycles */
            .efficiency = 1.0,
            .burst_bytes = 32,  /* UB block (research §1.3) */
            .half_bytes = 0,
            .is_sram = true,
        };
        x->l2port = npu_engine_port(e, &pc, x->err);
        if (x->l2port < 0)
            return fail(x);
    }
    for (int k = 0; k < NCOL; k++) {
        x->col[k] = npu_engine_extra_col(e, col_names[k]);
        if (x->col[k] < 0)
            return npu_err_set(x->err, NPU_ENOMEM, "davinci: out of memory");
    }
    double fp16 = (double)s->cores * s->cube_m * s->cube_k * s->cube_n;
    for (int dt = 0; dt < NPU_DT_COUNT; dt++)
        npu_engine_set_peak(e, (npu_dtype)dt, fp16);
    npu_engine_set_peak(e, NPU_DT_INT8, fp16 * s->int8_k_mult);
    npu_engine_set_peak(e, NPU_DT_UINT8, fp16 * s->int8_k_mult);
    npu_engine_set_peak(e, NPU_DT_INT4, fp16 * s->int8_k_mult);
    npu_engine_set_peak(e, NPU_DT_INT16, fp16 * s->a16w8_k_mult);
    return 0;
}

static double cdivd(double a, double b) { return b > 0 ? ceil(a / b) : 0; }

/* The core count grows to cover instruction i's core: a program lowered for more cores than
 * configured names a core we do not have. Read from a well-formed payload (the core is the
 * first field of both payload structs); what is malformed check_pass() reports. */
static void scan_core(const npu_program *p, size_t i, int *nc)
{
    const npu_instr *in = &p->ins[i];
    if (in->op == NPU_DV_OP_KERNEL || in->op == 0 || in->op >= NPU_DV_OP_COUNT)
        return;
    size_t sz = payload_size(in->op);
    if (in->len == sz && in->off <= p->dlen && sz <= p->dlen - in->off) {
        int core = payload_core(p, in);
        if (core >= *nc)
            *nc = core + 1;
    }
}

/* One pass over the program: the core count (scan_core), the kernels (x->nk) and every check
 * but a kernel's block_dim against the core count, which is known only at the end: *bad is
 * set when a kernel may fail it (block_dim < 1 or above *maxbd's final comparison). On an
 * error, *stop is the failing instruction. */
static int check_pass(dv_exec *x, int *nc, int *maxbd, bool *bad, size_t *stop)
{
    const npu_program *p = x->p;
    npu_err *err = x->err;
    int bd = -1; /* -1: no kernel yet; 0: AI CPU kernel */
    int ends = 0;
    for (size_t i = 0; i < p->n; i++) {
        const npu_instr *in = &p->ins[i];
        *stop = i;
        scan_core(p, i, nc);
        if (in->layer < -1 || in->layer >= p->nlayers)
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu names "
                               "layer %d of %d", i, (int)in->layer, p->nlayers);
        if (in->op == NPU_DV_OP_KERNEL) {
            const npu_dv_kernel *k = npu_dv_kernel_at(p, i);
            if (!k)
                return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: "
                                   "malformed kernel header", i);
            bool cpu = (k->flags & NPU_DV_KF_AICPU) != 0;
            if (!cpu && k->block_dim < 1)
                *bad = true;
            if (!cpu && (int)k->block_dim > *maxbd)
                *maxbd = (int)k->block_dim;
            x->nk++;
            bd = cpu ? 0 : (int)k->block_dim;
            ends = cpu ? 1 : 0;
            x->final_layer = in->layer;
            continue;
        }
        /* the payload's size and range checked here, then read in place (ins_checked) */
        size_t sz = payload_size(in->op);
        if (in->op == 0 || in->op >= NPU_DV_OP_COUNT || in->len != sz || in->off > p->dlen ||
            sz > p->dlen - in->off || (in->off & 7u))
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: malformed "
                               "payload (op %u)", i, (unsigned)in->op);
        npu_dv_ins dd = {0};
        const npu_dv_ins *d = ins_checked(p, i, &dd);
        /* quantities bounded so that cycle and byte arithmetic cannot overflow (a fuzzed
         * .npuc with bytes = 2^64 - 2^56 overflowed the engine's time and re-entered the
         * segment emitter: a heap overflow of the kernel table) */
        if (d->bytes > (uint64_t)NPU_PROG_MAX_QTY || d->aux > (uint64_t)NPU_PROG_MAX_QTY ||
            d->macs < 0 || d->macs > NPU_PROG_MAX_QTY || d->repeat > (1u << 24) ||
            (in->op == NPU_DV_OP_MMAD && /* m/k/n are tile sizes only there (an AI CPU op's m is
                                          * its bytes read, 32 bits: an embedding reads 272 MB) */
             (d->m > (1u << 20) || d->k > (1u << 20) || d->n > (1u << 20))))
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: a size "
                               "out of range (bytes %llu, aux %llu, macs %lld, m/k/n %u/%u/%u, "
                               "repeat %u)", i, (unsigned long long)d->bytes,
                               (unsigned long long)d->aux, (long long)d->macs, d->m, d->k,
                               d->n, d->repeat);
        if (in->op == NPU_DV_OP_AICPU) {
            if (!(d->flags & NPU_DV_F_HOST_AIPP) && bd != 0)
                return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: AI "
                                   "CPU op outside an AI CPU kernel", i);
            continue;
        }
        if (bd <= 0)
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu outside "
                               "an AI Core kernel", i);
        if ((int)d->core >= bd || in->unit >= NPU_DV_NPIPES)
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: core %d "
                               "pipe %d outside its kernel", i, (int)d->core, (int)in->unit);
        if ((in->op == NPU_DV_OP_SET_FLAG || in->op == NPU_DV_OP_WAIT_FLAG) &&
            (d->pipe2 >= NPU_DV_NPIPES || d->event >= x->nids))
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: bad flag "
                               "(pipe %d, event %d)", i, (int)d->pipe2, (int)d->event);
        if (in->op == NPU_DV_OP_END)
            ends++;
    }
    *stop = p->n;
    x->final_ends = ends;
    return 0;
}

/* Checks the whole program before any job is submitted (a loaded .npuc may be corrupt): every
 * payload, layer, core, pipe and flag in range, instructions inside their kernel, block_dim
 * within the cores; sets the core count, counts the kernels and the ends of the last one. One
 * pass (check_pass) over what may be hundreds of MiB; the block_dim errors, which need the
 * core count of the whole program, are found after it, and the first error in program order
 * is the one reported, as when the cores were counted in a pass of their own. */
static int validate(dv_exec *x)
{
    const npu_program *p = x->p;
    int nc = x->s->cores, maxbd = 0;
    bool bad = false;
    size_t stop = 0;
    int rc = check_pass(x, &nc, &maxbd, &bad, &stop);
    for (size_t j = stop + 1; rc && j < p->n; j++)
        scan_core(p, j, &nc);
    if (nc > 256)
        return npu_err_set(x->err, NPU_EFORMAT, "davinci program: core index %d out of range",
                           nc - 1);
    x->ncores = nc;
    if (!bad && maxbd <= nc)
        return rc;
    for (size_t i = 0; i < stop; i++) {
        const npu_instr *in = &p->ins[i];
        if (in->op != NPU_DV_OP_KERNEL)
            continue;
        const npu_dv_kernel *k = npu_dv_kernel_at(p, i);
        if (k && !(k->flags & NPU_DV_KF_AICPU) && (k->block_dim < 1 || (int)k->block_dim > nc))
            return npu_err_set(x->err, NPU_EFORMAT, "davinci program: kernel of layer %d "
                               "has block_dim %u for %d cores", (int)in->layer, k->block_dim,
                               nc);
    }
    return rc;
}

/* The record of the kernel whose header is instruction i, and the semaphore its ends signal:
 * model_end for the program's last kernel. */
static kstat *kernel_next(dv_exec *x, size_t i)
{
    if (!x->kc || x->kc->n == (int)(sizeof x->kc->k / sizeof x->kc->k[0])) {
        kchunk *c = npu_calloc(1, sizeof *c);
        if (!c)
            return NULL;
        c->next = x->kc;
        x->kc = c;
    }
    x->nks++;
    bool last = x->lazy ? x->last_win && i == x->last_hdr : x->nks == x->nk;
    x->end_sync = last ? x->mdone : x->kdone;
    return &x->kc->k[x->kc->n++];
}

/* SET_FLAG or WAIT_FLAG on core c, pipe q, short payload y (two thirds of a program's
 * instructions), once emit_one has made emit_any's checks for them. */
static int emit_flag(dv_exec *x, const npu_instr *in, const npu_dv_sync *y, int c, int q)
{
    bool set = in->op == NPU_DV_OP_SET_FLAG;
    int f = flag_sync(x, c, set ? q : y->pipe2, set ? y->pipe2 : q, y->event);
    if (f < 0)
        return -1;
    return set ? do_set(x, c, q, f, in->layer) : do_wait(x, c, q, f);
}

/* Every sync setup() made exists (npu_engine_sync returns -1 when out of memory): the pending
 * jobs name them and go to the engine unchecked (flush). */
static int syncs_made(dv_exec *x)
{
    bool ok = x->kdone >= 0 && x->mdone >= 0;
    for (int i = 0; ok && i < x->ncores * NPU_DV_NPIPES; i++)
        ok = x->issue[i] >= 0 && x->go[i / NPU_DV_NPIPES] >= 0;
    return ok ? 0 : npu_err_set(x->err, NPU_ENOMEM, "davinci: out of memory");
}

/* Submits the jobs of instruction i (checked by validate(), or written by lower.c for a windowed
 * program: scan_window): any opcode. */
static int emit_any(dv_exec *x, size_t i)
{
    const npu_program *p = x->p;
    npu_engine *e = x->e;
    npu_err *err = x->err;
    const npu_davinci_state *s = x->s;
    const double ps_ns = 1000.0;
    const npu_instr *in = &p->ins[i];
    int layer = in->layer;
    if (layer < -1 || layer >= p->nlayers)
        return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu names "
                           "layer %d of %d", i, layer, p->nlayers);
    if (in->op == NPU_DV_OP_KERNEL) {
        const npu_dv_kernel *k = npu_dv_kernel_at(p, i);
        if (!k)
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: "
                               "malformed kernel header", i);
        /* flush every pending job of the previous kernel */
        for (int q = 0; q < x->ncores * NPU_DV_NPIPES; q++)
            if (flush(x, &x->pj[q]))
                return fail(x);
        if (x->nks >= x->nk) /* never: validate() counted the headers; a guard, not a path */
            return npu_err_set(err, NPU_ESIM, "davinci program: instruction %zu: kernel "
                               "header beyond the %d counted", i, x->nk);
        if (!(x->K = kernel_next(x, i)))
            return npu_err_set(err, NPU_ENOMEM, "davinci: out of memory");
        x->K->x = x;
        x->K->layer = layer;
        x->K->block_dim = (int)k->block_dim;
        x->aicpu = (k->flags & NPU_DV_KF_AICPU) != 0;
        if (!x->aicpu && (k->block_dim < 1 || (int)k->block_dim > x->ncores))
            return npu_err_set(err, NPU_EFORMAT, "davinci program: kernel of layer %d "
                               "has block_dim %u for %d cores", layer, k->block_dim,
                               x->ncores);
        x->m0 = k->m0 ? (int)k->m0 : s->cube_m;
        x->k0 = k->k0 ? (int)k->k0 : s->cube_k;
        x->n0 = k->n0 ? (int)k->n0 : s->cube_n;
        /* Launch: the TS prepares the kernel (ts_launch_us) as soon as it has dispatched the
         * previous one, i.e. while that one runs; the DVPP tasks of a concurrent decode share
         * the TS and come before the model's first launch (once per inference). */
        npu_job j;
        npu_job_init(&j, x->u_ts, layer, "launch");
        npu_job_wait(&j, x->dispatched, 1, NULL);
        if (x->aicpu)
            npu_job_wait(&j, x->kdone, x->prev_ends, NULL);
        j.extra_ps = (npu_time)llround((s->ts_launch_ns + (x->nks == 1 ? s->dvpp_ts_ns : 0)) *
                                       ps_ns);
        if (x->aicpu) {
            j.done = ts_start_done;
            j.ud = x->K;
            npu_job_signal(&j, x->aicpu_go, 1, NULL);
            npu_job_signal(&j, x->dispatched, 1, NULL);
            x->prev_ends = 1;
            if (submit(x, &j))
                return fail(x);
        } else {
            npu_job_signal(&j, x->launched, 1, NULL);
            if (submit(x, &j))
                return fail(x);
            /* Dispatch: stream order — the kernel starts when the previous one has ended
             * (its end reported to the TS) and its launch is prepared, ts_sync_us later */
            npu_job_init(&j, x->u_tsd, layer, "dispatch");
            npu_job_wait(&j, x->kdone, x->prev_ends, NULL);
            npu_job_wait(&j, x->launched, 1, NULL);
            j.extra_ps = (npu_time)llround(s->ts_sync_ns * ps_ns);
            j.done = ts_start_done;
            j.ud = x->K;
            npu_job_signal(&j, x->dispatched, 1, NULL);
            int nb = (int)k->block_dim;
            for (int c = 0; c < nb;) {
                for (; c < nb && j.nsig < NPU_JOB_MAX_SYNC; c++) {
                    j.sig[j.nsig].sync = x->go[c];
                    j.sig[j.nsig++].n = 1;
                }
                if (submit(x, &j))
                    return fail(x);
                npu_job_init(&j, x->u_tsd, layer, "dispatch");
            }
            x->prev_ends = 0;
            if (layer >= 0 && layer < p->nlayers)
                npu_engine_set_main_unit(e, layer,
                                         x->unit[((k->flags & NPU_DV_KF_CUBE) ? NPU_DV_PIPE_M
                                                                              : NPU_DV_PIPE_V)]);
        }
        x->last_layer = layer;
        return 0;
    }
    npu_dv_ins dd; /* a short payload's three fields, the only ones its opcodes read */
    const npu_dv_ins *d = ins_checked(p, i, &dd);
    if (in->op == NPU_DV_OP_AICPU) {
        npu_host_op o;
        memset(&o, 0, sizeof o);
        o.layer = layer;
        o.cpu = 0;
        o.op = d->kind < NPU_OP_COUNT ? (npu_op)d->kind : NPU_OP_ADD;
        o.cls = npu_op_class(o.op);
        o.macs = d->macs;
        o.elems = (int64_t)d->aux;
        o.rd_bytes = d->m;
        o.wr_bytes = d->bytes > d->m ? d->bytes - d->m : 0;
        if (d->flags & NPU_DV_F_HOST_AIPP) {
            o.wait.sync = -1;
            o.sig.sync = x->kdone;
            o.sig.n = 1;
            if (npu_host_run_op(e, &o, err))
                return fail(x);
            x->prev_ends++;
            return 0;
        }
        if (!x->K || !x->aicpu)
            return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: AI "
                               "CPU op outside an AI CPU kernel", i);
        npu_host_req r;
        npu_host_req_init(&r, layer);
        r.wait.sync = x->aicpu_go;
        r.wait.n = 1;
        r.sig.sync = x->aicpu_go2;
        r.sig.n = 1;
        r.ns = s->aicpu_launch_ns;
        r.label = "aicpu_switch";
        if (npu_host_submit(e, &r, err))
            return fail(x);
        o.wait.sync = x->aicpu_go2;
        o.wait.n = 1;
        o.sig.sync = x->end_sync;
        o.sig.n = 1;
        if (npu_host_run_op(e, &o, err))
            return fail(x);
        return 0;
    }
    if (!x->K || x->aicpu)
        return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu outside "
                           "an AI Core kernel", i);
    int c = d->core, q = in->unit;
    if (c >= x->K->block_dim || q >= NPU_DV_NPIPES)
        return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: core %d "
                           "pipe %d outside its kernel", i, c, q);
    pend *P = &x->pj[c * NPU_DV_NPIPES + q];
    double cyc = 0;
    int port = -1;
    bool wr = false;
    uint64_t bytes = 0;
    switch (in->op) {
    case NPU_DV_OP_BEGIN:
        x->vfresh[c] = true;
        if (s_job(x, p, i, c, layer, s->begin_cycles, 1, x->K))
            return fail(x);
        return 0;
    case NPU_DV_OP_SCALAR:
        if (s_job(x, p, i, c, layer, (double)d->repeat * s->scalar_cycles, 0, x->K))
            return fail(x);
        return 0;
    case NPU_DV_OP_SET_FLAG:
    case NPU_DV_OP_WAIT_FLAG: {
        int src = in->op == NPU_DV_OP_SET_FLAG ? q : d->pipe2;
        int dst = in->op == NPU_DV_OP_SET_FLAG ? d->pipe2 : q;
        return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: bad "
                           "flag (%d, %d, %d)", i, src, dst, (int)d->event);
    }
    case NPU_DV_OP_BARRIER:
        /* a pipe runs one instruction at a time here, so ordering is implied; what the
         * barrier costs is the pipeline drain: the next vector instruction pays its
         * issue+drain overhead again */
        if (d->pipe2 == NPU_DV_PIPE_V || d->pipe2 == NPU_DV_PIPE_ALL)
            x->vfresh[c] = true;
        return 0;
    case NPU_DV_OP_END:
        /* The scalar unit's END issues the ENDs of the other pipes (they follow it): a pipe
         * with no work in this kernel must not end before the kernel has begun. */
        if (q == NPU_DV_PIPE_S) {
            if (s_job(x, p, i, c, layer, 0, 0, NULL))
                return fail(x);
            if (P->job.nsig >= NPU_JOB_MAX_SYNC &&
                (flush(x, P) || open_job(x, c, q, layer, "end")))
                return fail(x);
        } else if (open_job(x, c, q, layer, "end")) {
            return fail(x);
        }
        add_sig1(&P->job, x->end_sync);
        P->job.done = end_done;
        P->job.ud = x->K;
        x->K->ends_left++;
        x->prev_ends++;
        if (flush(x, P))
            return fail(x);
        return 0;
    case NPU_DV_OP_COPY_GM_L1:
    case NPU_DV_OP_COPY_GM_UB:
    case NPU_DV_OP_LOAD_IMAGE:
    case NPU_DV_OP_COPY_UB_GM:
        wr = in->op == NPU_DV_OP_COPY_UB_GM;
        port = d->mem == NPU_DV_MEM_L2 ? x->l2port : NPU_PORT_DRAM;
        bytes = in->op == NPU_DV_OP_LOAD_IMAGE ? d->aux : d->bytes;
        cyc = s->mte_gm_setup;
        {
            double rate = wr ? (d->mem == NPU_DV_MEM_L2 ? s->l2_wr : s->ddr_wr)
                             : (d->mem == NPU_DV_MEM_L2 ? s->l2_rd : s->ddr_rd);
            x->K->busy[q] += cyc + (double)bytes / rate;
        }
        break;
    case NPU_DV_OP_LOAD3D:
        cyc = s->mte1_overhead + (double)d->bytes / s->l1_l0a;
        break;
    case NPU_DV_OP_LOAD2D:
        cyc = s->mte1_overhead + (double)d->bytes / s->l1_l0b;
        break;
    case NPU_DV_OP_MMAD:
        cyc = s->mmad_overhead + cdivd(d->m, x->m0) * cdivd(d->k, x->k0) * cdivd(d->n, x->n0);
        break;
    case NPU_DV_OP_MOV_L0C_UB:
        x->vfresh[c] = true;
        cyc = s->vec_overhead + (double)d->bytes / s->l0c_ub;
        break;
    case NPU_DV_OP_VEC:
        /* independent vector instructions issued back to back overlap their issue and drain:
         * only the first after a barrier, a flag wait or another kind of work pays it */
        cyc = (x->vfresh[c] || P->nw > 0 ? s->vec_overhead : 0) +
              (double)d->repeat * 256.0 / (double)s->vector_bytes;
        x->vfresh[c] = false;
        break;
    default:
        return npu_err_set(err, NPU_EFORMAT, "davinci program: instruction %zu: unknown "
                           "opcode %u", i, (unsigned)in->op);
    }
    /* Back-to-back compute instructions of a pipe with no flag, issue credit or transfer
     * between them run exactly like one job of their summed time (a pipe runs one at a time,
     * in order): merge them, fewer engine jobs. */
    if (port < 0 && P->has && P->nw == 0 && !P->need_issue && P->job.nsig == 0 &&
        P->job.nxfer == 0 && P->job.layer == layer && P->job.done == NULL) {
        P->job.cycles += cyc;
        x->K->busy[q] += cyc;
        if (in->op != NPU_DV_OP_MMAD)
            P->job.onchip_bytes += (int64_t)d->bytes;
        return 0;
    }
    if (open_job(x, c, q, layer, npu_dv_op_name(in->op)))
        return fail(x);
    P->job.cycles = cyc;
    if (port < 0)
        x->K->busy[q] += cyc;
    if (port >= 0 && bytes > 0) {
        P->job.xfer[0] = (npu_xfer){.port = port, .write = wr, .bytes = bytes, .run = d->run};
        P->job.nxfer = 1;
    }
    if (in->op != NPU_DV_OP_MMAD && port < 0)
        P->job.onchip_bytes = (int64_t)d->bytes;
    else if (in->op == NPU_DV_OP_LOAD_IMAGE)
        P->job.onchip_bytes = (int64_t)d->bytes;
    return 0;
}

/* Submits the jobs of instruction i. The flags take their own way through emit_any's
 * checks, without the rest of them (nor the frame of a function that handles every opcode);
 * anything out of range goes the long way, which reports it. */
static inline int emit_one(dv_exec *x, size_t i)
{
    const npu_program *p = x->p;
    const npu_instr *in = &p->ins[i];
    if (in->op == NPU_DV_OP_SET_FLAG || in->op == NPU_DV_OP_WAIT_FLAG) {
        const npu_dv_sync *y = (const void *)(p->data + in->off);
        if (in->layer >= -1 && in->layer < p->nlayers && x->K && !x->aicpu &&
            y->core < x->K->block_dim && in->unit < NPU_DV_NPIPES) {
            int rc = emit_flag(x, in, y, y->core, in->unit);
            if (rc >= 0)
                return rc ? fail(x) : 0;
        }
    }
    return emit_any(x, i);
}

/* What the executor needs of window [from, n) of a windowed program: its kernels (x->nk,
 * x->last_hdr), the ends of the last one and its layer (x->final_ends, x->final_layer: of the
 * tail, the model's last kernel), each kernel's block_dim within the preset's cores. Not
 * validate()'s checks: those are for a program read from a file (a .npuc may be corrupt);
 * these instructions were written a moment ago by lower.c (npu_prog_emit keeps every payload
 * in bounds), and emit_one's own checks (layer, core and pipe within the kernel, flags,
 * opcode) still apply. Checking each instruction again was 12 % of a prefill point. */
static int scan_window(dv_exec *x, size_t from)
{
    const npu_program *p = x->p;
    for (size_t i = from; i < p->n; i++) {
        const npu_instr *in = &p->ins[i];
        if (in->op == NPU_DV_OP_END) {
            x->final_ends++;
            continue;
        }
        if (in->op != NPU_DV_OP_KERNEL)
            continue;
        const npu_dv_kernel *k = npu_dv_kernel_at(p, i);
        bool cpu = k && (k->flags & NPU_DV_KF_AICPU);
        if (!k || (!cpu && (k->block_dim < 1 || (int)k->block_dim > x->ncores)))
            return npu_err_set(x->err, NPU_ESIM, "davinci: the lowering made a malformed "
                               "kernel header for layer %d (model bug)", (int)in->layer);
        x->nk++;
        x->last_hdr = i;
        x->final_layer = in->layer;
        x->final_ends = cpu ? 1 : 0;
    }
    return 0;
}

/* A windowed program: the next window, when the one in the program is used up. */
static int next_window(dv_exec *x)
{
    size_t start = 0;
    if (npu_dv_lazy_next(x->lazy, &start, &x->last_win, x->err))
        return fail(x);
    x->pos = start;
    return scan_window(x, start);
}

/* Submits one segment: from the current position up to (not including) the next kernel
 * header after the first kernel header. Called for the first segment by execute() and for each
 * next one when the TS starts a kernel (ts_start_done), so the engine holds the jobs of at
 * most two kernels at a time (finished jobs are recycled: memory stays small). A windowed
 * program gets its next window when the segment reaches the end of one (a window is one or
 * more whole kernels, so the look-ahead of s_job stays inside it). */
static int emit_segment(dv_exec *x)
{
    const npu_program *p = x->p;
    bool seen = false;
    for (;;) {
        if (x->pos >= p->n) {
            if (!x->lazy || x->last_win)
                break;
            if (next_window(x))
                return fail(x);
            continue;
        }
        size_t i = x->pos;
        if (p->ins[i].op == NPU_DV_OP_KERNEL) {
            if (seen)
                break;
            seen = true;
        }
        if (emit_one(x, i))
            return fail(x);
        x->pos = i + 1;
    }
    for (int q = 0; q < x->ncores * NPU_DV_NPIPES; q++)
        if (flush(x, &x->pj[q]))
            return fail(x);
    return 0;
}

int npu_davinci_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err)
{
    npu_davinci_state *s = m->state;
    if (s->exec) {
        npu_davinci_exec_free(s->exec);
        s->exec = NULL;
    }
    dv_exec *x = npu_calloc(1, sizeof *x);
    if (!x)
        return npu_err_set(err, NPU_ENOMEM, "davinci: out of memory");
    s->exec = x;
    x->e = e;
    x->err = err;
    x->s = s;
    x->p = p;
    x->nids = 8;
    if (p->windowed) {
        /* lowered in windows (lower.c): what the program holds now is the tail, the kernels
         * of its last layer, which tell the ends the model waits for; it runs last */
        if (!s->lazy)
            return npu_err_set(err, NPU_ESIM, "davinci: a program lowered in windows runs "
                               "once, right after its lowering (model bug)");
        x->lazy = s->lazy;
        s->lazy = NULL;
        x->ncores = s->cores;
        if (scan_window(x, 0))
            return fail(x);
        x->nk = 0;
        x->pos = p->n;
    } else if (validate(x)) {
        return fail(x);
    }
    if (setup(x, p) || syncs_made(x))
        return fail(x);
    x->end_sync = x->kdone;
    x->last_layer = -1;
    /* the end of the model: one interrupt, aclmdlExecute returns; waits for the ends of the
     * last kernel (counted by validate) on their own semaphore */
    if (x->final_ends > 0) {
        npu_host_req r;
        npu_host_req_init(&r, x->final_layer);
        r.irq = 1;
        r.wait.sync = x->mdone;
        r.wait.n = x->final_ends;
        r.wake = true;
        r.label = "model_end";
        if (npu_host_submit(e, &r, err))
            return fail(x);
    }
    return emit_segment(x);
}
