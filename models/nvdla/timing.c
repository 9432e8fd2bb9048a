/* timing.c — replaying an NVDLA program on the engine (prefix npu_nvdla_).
 *
 * Hardware units (core clock): CDMA (DMA: data and weight reads into the CBUF), CMAC (the
 * CSC → CMAC → CACC → SDP conv pipeline, which also writes the output through SDP WDMA), SDP,
 * PDP, CDP, RUBIK, BDMA (offline operations, reading and writing memory). Every DMA goes through
 * the engine's DRAM port, each capped at the DBB width; when the memory latency (in core cycles)
 * is longer than the latency the DBB request buffers cover (dbb_latency), a DMA can only keep
 * width × dbb_latency / latency bytes per cycle in flight.
 * Syncs: cbuf_free (2: the CBUF is filled chunk by chunk, the next chunk loading while CMAC
 * works on the current one) / cbuf_full between CDMA and CMAC; per op `done` (the hardware
 * finished), `cdma` (CDMA finished: the CDMA_DAT/CDMA_WT interrupts) and `hd` (the KMD has
 * handled the op's completion: consumers enabled, the freed register group re-programmed).
 *
 * A conv op runs as chunks (CBUF plan of lower.c): chunk i = CDMA reads (its input lines and/or
 * its weight chunk), then CMAC busy max(MAC cycles + pipeline fill, output elements / SDP
 * rate) while the SDP writes the output (a STREAM job: compute and writes overlap).
 *
 * Control (research §3.3–3.4), per DLA task:
 *   submit: the runtime's submit path (host.submit_ns), then dla_execute_task and
 *     dla_initiate_processors: the first two ops of each processor are programmed (descriptor
 *     reads from DRAM, CSB writes one at a time) into the two register groups;
 *   an op starts when it is programmed (its register group was free) and every producer's
 *     completion was handled (dependency_count reached 0: the enable write);
 *   completion: the op's interrupts (conv: CDMA_DAT + CDMA_WT when its loads end, CACC at the
 *     end; SDP/PDP/CDP/Rubik/BDMA: 1) → ISR (4 CSB reads + 1 write each) → thread wake-up
 *     (Linux) → dla_process_events: enable the consumers, program the op two places later on the
 *     same processor into the freed group. With a Linux KMD each descriptor read and address
 *     resolution costs kmd_read_cycles / kmd_addr_cycles of host time.
 *   Headless: all of this on CPU core 0. Headed: on the MCU (no wake-ups, no dma-buf costs) and
 *     the CPU takes one interrupt when the task ends.
 * Tasks run one after the other (the runtime is synchronous): the next task — a DLA task or an
 * EMU task (a CPU operator) — is submitted from the done() callback of the gate that sees every
 * sink op of the previous one handled. This also keeps the CPU's queue free of jobs waiting for
 * interrupts that would queue behind them.
 * fidelity=spreadsheet: one CMAC job per SHEET row of max(MAC cycles, DRAM cycles) exactly;
 * the DRAM traffic is not timed, it is reported in the extra column sheet_dram_bytes.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nvdla.h"

#define DESC_OP 116u     /* dla_operation_container */
#define DESC_SURF 644u   /* dla_surface_container */
#define DESC_COMMON 36u  /* dla_common_op_desc */
#define DESC_NET 40u     /* dla_network_desc */
#define MAX_CHUNKS 16
#define WIN_STEP 128 /* ops per submission batch */
#define NSUB 3 /* CMAC/SDP parts per CBUF chunk (at most) */
#define MIN_PART 4096  /* bytes of output per part, at least */
#define MIN_PIECE 8192 /* bytes of input per piece when everything fits, at least */

typedef struct xtask {
    size_t first, end;   /* instruction range (records after the TASK header) */
    int kind;
    int op0, nops;       /* HWL op range (DLA) */
    int layer;
    int last_layer;      /* layer of the task's last record: the task-end gates */
} xtask;

struct npu_nvdla_exec {
    npu_engine *e;
    const npu_program *p;
    const npu_nvdla_state *s;
    int clk;
    int u_cdma, u_cmac, u_sdp, u_pdp, u_cdp, u_rubik, u_bdma, u_rt;
    int cbuf_free, cbuf_full, cacc_free, cacc_full;
    double dbb;          /* effective bytes per cycle of one DMA */
    int nops;
    size_t *op_ins;      /* op → instruction */
    int *done, *cdma, *hd, *waiters, *progsrc, *prognext, *nenable; /* progsrc: op whose hd programs it, -1 start */
    xtask *tasks;
    int ntasks;
    int *t_start, *t_mbox, *t_end, *t_end2;
    int cur, next_batch;
    double submit_ns;
    bool failed;
    npu_err *err;        /* valid during execute() only */
    npu_err cb_err;      /* errors inside callbacks */
    int col_ops, col_split, col_wref, col_sheet;
};

void npu_nvdla_exec_free(npu_nvdla_state *s)
{
    struct npu_nvdla_exec *x = s->x;
    if (!x)
        return;
    free(x->op_ins);
    free(x->done);
    free(x->cdma);
    free(x->hd);
    free(x->waiters);
    free(x->progsrc);
    free(x->prognext);
    free(x->nenable);
    free(x->tasks);
    free(x->t_start);
    free(x->t_mbox);
    free(x->t_end);
    free(x->t_end2);
    free(x);
    s->x = NULL;
}

static npu_err *xerr(struct npu_nvdla_exec *x) { return x->err ? x->err : &x->cb_err; }

/* The memory a surface lives in: the SRAMIF memory when lowering placed it there and the engine
 * has one, else DRAM. */
static int port(const struct npu_nvdla_exec *x, unsigned flags, unsigned bit)
{
    return (flags & bit) && x->s->sramif && npu_engine_has_sram(x->e) ? NPU_PORT_SRAM
                                                                       : NPU_PORT_DRAM;
}

static int submit(struct npu_nvdla_exec *x, const npu_job *j)
{
    int rc = npu_engine_submit(x->e, j, xerr(x));
    if (rc)
        x->failed = true;
    return rc;
}

static const npu_nv_hwl *hwl(const struct npu_nvdla_exec *x, int op)
{
    return npu_prog_payload(x->p, x->op_ins[op]);
}

static int proc_unit(const struct npu_nvdla_exec *x, int proc)
{
    switch (proc) {
    case NPU_NV_CONV: return x->u_cdma;
    case NPU_NV_SDP: return x->u_sdp;
    case NPU_NV_PDP: return x->u_pdp;
    case NPU_NV_CDP: return x->u_cdp;
    case NPU_NV_RUBIK: return x->u_rubik;
    default: return x->u_bdma;
    }
}

/* Zero-cycle jobs on `unit` (in order) that wait for every condition of the op's enable. */
static int gate_enable(struct npu_nvdla_exec *x, int unit, int layer, const int *conds, int n)
{
    for (int k = 0; k < n;) {
        npu_job j;
        npu_job_init(&j, unit, layer, "enable");
        for (; k < n && j.nwait < NPU_JOB_MAX_SYNC; k++)
            npu_job_wait(&j, conds[k], 1, NULL);
        if (submit(x, &j))
            return NPU_ESIM;
    }
    return 0;
}

/* The enable conditions of op o: programmed (its source handled, or the task start) and every
 * producer's completion handled. */
static int enable_conds(const struct npu_nvdla_exec *x, int o, int task, int *conds, int cap)
{
    int n = 0;
    const npu_nv_hwl *h = hwl(x, o);
    conds[n++] = x->progsrc[o] >= 0 ? x->hd[x->progsrc[o]] : x->t_start[task];
    for (int k = 0; k < h->ndeps && n < cap; k++)
        conds[n++] = x->hd[h->deps[k]];
    return n;
}

static int exec_conv(struct npu_nvdla_exec *x, int o, int task)
{
    const npu_nvdla_state *s = x->s;
    const npu_nv_hwl *h = hwl(x, o);
    const npu_nv_hwl *q = hwl(x, o + 1); /* its fused SDP (checked by the caller) */
    int layer = x->p->ins[x->op_ins[o]].layer;
    int qlayer = x->p->ins[x->op_ins[o + 1]].layer; /* the add's layer when one is fused */
    /* a PDP fed on the fly by this SDP (conv + SDP + PDP) */
    const npu_nv_hwl *pd = NULL;
    if (o + 2 < x->nops) {
        const npu_nv_hwl *z = hwl(x, o + 2);
        if (z->common.op_type == NPU_NV_PDP && (z->flags & NPU_NV_HF_FUSED) &&
            z->common.fused_parent.index == o + 1)
            pd = z;
    }
    if (pd)
        qlayer = x->p->ins[x->op_ins[o + 2]].layer; /* the writes are the pooled output */
    int conds[3 * (NPU_NV_MAX_DEPS + 1)];
    int n = enable_conds(x, o, task, conds, NPU_NV_MAX_DEPS + 1);
    n += enable_conds(x, o + 1, task, conds + n, NPU_NV_MAX_DEPS + 1);
    if (pd)
        n += enable_conds(x, o + 2, task, conds + n, NPU_NV_MAX_DEPS + 1);
    /* CMAC waits for the enable as well, so that its idle time before the op is charged to
     * control (plan_control counts both waiters) */
    if (gate_enable(x, x->u_cdma, layer, conds, n) || gate_enable(x, x->u_cmac, layer, conds, n))
        return NPU_ESIM;
    npu_engine_set_main_unit(x->e, layer, x->u_cmac);
    /* chunks of the CBUF plan */
    int64_t nsplit = h->nsplit > 0 ? h->nsplit : 1, nk = h->nkpass > 0 ? h->nkpass : 1;
    int64_t nchunks;
    bool data_each = false, wt_first = false, pieces = false;
    switch (h->cbuf_mode) {
    case NPU_NV_CBUF_PARTIAL_WT: nchunks = nk; break;
    case NPU_NV_CBUF_SPLIT_H: nchunks = nsplit; data_each = true; wt_first = true; break;
    case NPU_NV_CBUF_SPLIT_H_WT: nchunks = nsplit * nk; data_each = true; break;
    case NPU_NV_CBUF_SPLIT_WT_D: nchunks = nsplit; data_each = true; break;
    default:
        /* everything fits: CSC starts on the first lines CDMA delivers (fetch grain), so the
         * load is cut in pieces by output lines that CMAC consumes as they arrive */
        nchunks = h->p >= 4 ? h->rd_data / MIN_PIECE : 1;
        nchunks = nchunks > 4 ? 4 : nchunks < 1 ? 1 : nchunks;
        data_each = true;
        wt_first = true;
        pieces = true;
        break;
    }
    if (nchunks < 1)
        nchunks = 1;
    int64_t grp = (nchunks + MAX_CHUNKS - 1) / MAX_CHUNKS;
    int64_t njobs = (nchunks + grp - 1) / grp;
    double thr = q->thr > 0 ? (double)q->thr : 1.0;
    for (int64_t jn = 0; jn < njobs; jn++) {
        int64_t c0 = jn * grp, c1 = c0 + grp < nchunks ? c0 + grp : nchunks;
        double f = (double)(c1 - c0) / (double)nchunks; /* share of the op in this job */
        int64_t d, w;
        if (data_each)
            d = (int64_t)llround((double)h->rd_data * f);
        else
            d = jn == 0 ? h->rd_data : 0;
        if (wt_first)
            w = jn == 0 ? h->rd_wt : 0;
        else
            w = (int64_t)llround((double)h->rd_wt * f);
        bool last = jn == njobs - 1;
        npu_job j;
        npu_job_init(&j, x->u_cdma, layer, "cdma");
        npu_job_wait(&j, x->cbuf_free, 1, NULL);
        npu_job_xfer(&j, port(x, h->flags, NPU_NV_HF_IN_SRAM), false, d, 0, NULL);
        npu_job_xfer(&j, NPU_PORT_DRAM, false, w, 0, NULL);
        j.onchip_bytes = d + w;
        npu_job_signal(&j, x->cbuf_full, 1, NULL);
        if (last)
            npu_job_signal(&j, x->cdma[o], 1, NULL);
        if (submit(x, &j))
            return NPU_ESIM;
        /* CMAC works on the chunk in NSUB parts; each part's results go through CACC to the
         * SDP, which writes them (and reads the element-wise operand) while CMAC goes on:
         * cacc_free (2) is the CACC delivery buffer between them */
        double mac = (double)h->mac_cycles * f;
        double elems = (double)q->elems * f;
        /* parts of at least MIN_PART output bytes (small ones would only add burst rounding) */
        int nsub = (int)((double)q->wr_out * f / MIN_PART);
        nsub = nsub > NSUB ? NSUB : nsub < 1 ? 1 : nsub;
        for (int k = 0; k < nsub; k++) {
            npu_job c;
            npu_job_init(&c, x->u_cmac, layer, "cmac");
            if (k == 0)
                npu_job_wait(&c, x->cbuf_full, 1, NULL);
            npu_job_wait(&c, x->cacc_free, 1, NULL);
            /* pipeline fill per hardware layer (each split is one), once for the pieces */
            double fill = pieces ? (jn == 0 ? 1.0 : 0.0) : (double)(c1 - c0);
            c.cycles = mac / nsub + (k == 0 ? (double)s->pipe_cycles * fill : 0.0);
            c.onchip_bytes = k == 0 ? (int64_t)llround((double)(h->rd_data + h->rd_wt) * f) : 0;
            if (k == nsub - 1)
                npu_job_signal(&c, x->cbuf_free, 1, NULL);
            npu_job_signal(&c, x->cacc_full, 1, NULL);
            if (submit(x, &c))
                return NPU_ESIM;
            npu_job sj;
            npu_job_init(&sj, x->u_sdp, qlayer, "sdp");
            npu_job_wait(&sj, x->cacc_full, 1, NULL);
            sj.cycles = ceil(elems / nsub / thr);
            if (pd && pd->thr > 0) {
                double pc = ceil((double)pd->elems * f / nsub / (double)pd->thr);
                sj.cycles = sj.cycles > pc ? sj.cycles : pc;
            }
            npu_job_xfer(&sj, port(x, (pd ? pd : q)->flags, NPU_NV_HF_OUT_SRAM), true, (int64_t)llround((double)(pd ? pd->wr_out : q->wr_out) * f / nsub), 0, NULL);
            npu_job_xfer(&sj, port(x, q->flags, NPU_NV_HF_EW_SRAM), false, (int64_t)llround((double)q->rd_ew * f / nsub), 0, NULL);
            if (sj.nxfer)
                sj.mode = NPU_JOB_STREAM;
            npu_job_signal(&sj, x->cacc_free, 1, NULL);
            if (last && k == nsub - 1) {
                npu_job_signal(&sj, x->done[o], 1, NULL);
                npu_job_signal(&sj, x->done[o + 1], 1, NULL);
                if (pd)
                    npu_job_signal(&sj, x->done[o + 2], 1, NULL);
            }
            if (submit(x, &sj))
                return NPU_ESIM;
        }
    }
    if (x->col_split >= 0)
        npu_engine_add_extra(x->e, layer, x->col_split, (double)nchunks);
    if (x->col_wref >= 0 && h->wt_bytes > 0)
        npu_engine_add_extra(x->e, layer, x->col_wref, (double)h->rd_wt / (double)h->wt_bytes);
    return 0;
}

static int exec_offline(struct npu_nvdla_exec *x, int o, int task)
{
    const npu_nv_hwl *h = hwl(x, o);
    int layer = x->p->ins[x->op_ins[o]].layer;
    int unit = proc_unit(x, h->common.op_type);
    int conds[NPU_NV_MAX_DEPS + 1];
    int n = enable_conds(x, o, task, conds, NPU_NV_MAX_DEPS + 1);
    if (gate_enable(x, unit, layer, conds, n))
        return NPU_ESIM;
    npu_job j;
    npu_job_init(&j, unit, layer, npu_nv_proc_name(h->common.op_type));
    double thr = h->thr > 0 ? (double)h->thr : 1.0;
    double work = h->common.op_type == NPU_NV_RUBIK || h->common.op_type == NPU_NV_BDMA
                      ? (double)h->rd_data
                      : (double)h->elems;
    j.cycles = ceil(work / thr);
    npu_job_xfer(&j, port(x, h->flags, NPU_NV_HF_IN_SRAM), false, h->rd_data, 0, NULL);
    npu_job_xfer(&j, port(x, h->flags, NPU_NV_HF_EW_SRAM), false, h->rd_ew, 0, NULL);
    npu_job_xfer(&j, port(x, h->flags, NPU_NV_HF_OUT_SRAM), true, h->wr_out, 0, NULL);
    if (j.nxfer)
        j.mode = NPU_JOB_STREAM;
    npu_job_signal(&j, x->done[o], 1, NULL);
    npu_engine_set_main_unit(x->e, layer, unit);
    return submit(x, &j);
}

/* Host request: on the MCU when headed, else CPU core 0. */
static void req_init(const struct npu_nvdla_exec *x, npu_host_req *r, int layer, const char *lb)
{
    npu_host_req_init(r, layer);
    r->on_mcu = x->s->headed;
    r->cpu = 0;
    r->label = lb;
}

static bool linux_kmd(const struct npu_nvdla_exec *x)
{
    return !x->s->headed && x->s->driver == NPU_NVDLA_DRV_LINUX;
}

static bool has_driver(const struct npu_nvdla_exec *x)
{
    return x->s->driver != NPU_NVDLA_DRV_NONE;
}

/* Programming op o: descriptor reads and CSB writes (added to the request). */
static void add_program(const struct npu_nvdla_exec *x, npu_host_req *r, int o)
{
    const npu_nv_hwl *h = hwl(x, o);
    r->desc_bytes += DESC_OP + DESC_SURF + DESC_COMMON;
    r->reg_writes += h->reg_writes;
    if (linux_kmd(x))
        r->cycles += x->s->kmd_read_cycles * 3 + x->s->kmd_addr_cycles * h->addrs;
}

static void task_done_cb(npu_engine *e, void *ud, const npu_job *j);

/* A sink: no op of the task depends on it and it is not the parent of a fused op (a conv's
 * completion is its fused SDP's: the same job ends both). */
static bool is_sink(const struct npu_nvdla_exec *x, int o)
{
    if (x->nenable[o] != 0)
        return false;
    if (o + 1 < x->nops) {
        const npu_nv_hwl *n = hwl(x, o + 1);
        if ((n->flags & NPU_NV_HF_FUSED) && n->common.fused_parent.index == o)
            return false;
    }
    return true;
}

static int submit_end_gates(struct npu_nvdla_exec *x, int task, const int *conds, int n)
{
    const xtask *t = &x->tasks[task];
    const bool headed = x->s->headed && has_driver(x);
    for (int k = 0; k < n || k == 0;) {
        npu_job j;
        npu_job_init(&j, x->u_rt, -1, "task end");
        for (; k < n && j.nwait < NPU_JOB_MAX_SYNC; k++)
            npu_job_wait(&j, conds[k], 1, NULL);
        bool last = k >= n;
        if (last) {
            if (headed) {
                npu_job_signal(&j, x->t_end[task], 1, NULL);
            } else {
                j.done = task_done_cb;
                j.ud = x;
            }
        }
        if (submit(x, &j))
            return NPU_ESIM;
        if (last)
            break;
    }
    if (headed) {
        /* the CPU takes one interrupt per task */
        npu_host_req r;
        npu_host_req_init(&r, t->last_layer);
        r.label = "task irq";
        r.irq = 1;
        r.reg_reads = 4;
        r.reg_writes = 1;
        r.wake = true;
        r.wait = (npu_syncop){x->t_end[task], 1};
        r.sig = (npu_syncop){x->t_end2[task], 1};
        if (npu_host_submit(x->e, &r, xerr(x))) {
            x->failed = true;
            return NPU_ESIM;
        }
        npu_job j;
        npu_job_init(&j, x->u_rt, -1, "task done");
        npu_job_wait(&j, x->t_end2[task], 1, NULL);
        j.done = task_done_cb;
        j.ud = x;
        return submit(x, &j);
    }
    return 0;
}

/* One hardware op: its engine jobs and its completion handler(s). */
static int submit_op(struct npu_nvdla_exec *x, int task, int o)
{
    const npu_nvdla_state *s = x->s;
    const bool drv = has_driver(x);
    const npu_nv_hwl *h = hwl(x, o);
    int layer = x->p->ins[x->op_ins[o]].layer;
    bool fused_sdp = (h->flags & NPU_NV_HF_FUSED) != 0; /* SDP or PDP on the fly */
    int rc = 0;
    if (h->common.op_type == NPU_NV_CONV)
        rc = exec_conv(x, o, task);
    else if (!fused_sdp)
        rc = exec_offline(x, o, task);
    if (rc)
        return rc;
    if (h->common.op_type == NPU_NV_CONV && drv) {
        npu_host_req c;
        req_init(x, &c, layer, "cdma irq");
        c.irq = 2;
        c.reg_reads = 8;
        c.reg_writes = 2;
        c.wake = !s->headed;
        c.cycles = s->event_cycles;
        c.wait = (npu_syncop){x->cdma[o], 1};
        if (npu_host_submit(x->e, &c, xerr(x)))
            return x->failed = true, NPU_ESIM;
    }
    npu_host_req r;
    req_init(x, &r, layer, "op done");
    r.wait = (npu_syncop){x->done[o], 1};
    r.sig = (npu_syncop){x->hd[o], x->waiters[o]};
    if (drv) {
        r.irq = 1;
        r.reg_reads = 4;
        r.reg_writes = 1;
        r.wake = !s->headed;
        r.cycles = s->event_cycles;
        /* enable the consumers (their common descriptors are read first) */
        r.reg_writes += x->nenable[o];
        r.desc_bytes += DESC_COMMON * (uint64_t)x->nenable[o];
        if (linux_kmd(x))
            r.cycles += s->kmd_read_cycles * x->nenable[o];
        /* program the op that takes the freed register group */
        if (x->prognext[o] >= 0)
            add_program(x, &r, x->prognext[o]);
    } else {
        npu_host_req_init(&r, layer);
        r.label = "op done";
        r.wait = (npu_syncop){x->done[o], 1};
        r.sig = (npu_syncop){x->hd[o], x->waiters[o]};
    }
    if (npu_host_submit(x->e, &r, xerr(x)))
        return x->failed = true, NPU_ESIM;
    if (x->col_ops >= 0)
        npu_engine_add_extra(x->e, layer, x->col_ops, 1);
    return 0;
}

static void window_cb(npu_engine *e, void *ud, const npu_job *j);

/* Ops are submitted in batches of WIN_STEP: the batch after next is submitted when the last op
 * of the previous batch has been handled. Only the ops the driver could program next need to be
 * queued, and the interrupt line then scans a short queue instead of the whole network. */
static int submit_batch(struct npu_nvdla_exec *x, int task, int b)
{
    const xtask *t = &x->tasks[task];
    int o0 = t->op0 + b * WIN_STEP, o1 = o0 + WIN_STEP;
    if (o1 > t->op0 + t->nops)
        o1 = t->op0 + t->nops;
    for (int o = o0; o < o1; o++)
        if (submit_op(x, task, o))
            return NPU_ESIM;
    return 0;
}

static int nbatches(const xtask *t) { return (t->nops + WIN_STEP - 1) / WIN_STEP; }

/* After batch b was submitted: the gate for batch b + 1, or the task end. */
static int after_batch(struct npu_nvdla_exec *x, int task, int b)
{
    const xtask *t = &x->tasks[task];
    if (b + 1 < nbatches(t) && b + 1 >= 2) {
        npu_job j;
        npu_job_init(&j, x->u_rt, -1, "window");
        npu_job_wait(&j, x->hd[t->op0 + b * WIN_STEP - 1], 1, NULL);
        j.done = window_cb;
        j.ud = x;
        x->next_batch = b + 1;
        return submit(x, &j);
    }
    if (b + 1 < nbatches(t))
        return 0;
    int *sinks = npu_calloc((size_t)(t->nops > 0 ? t->nops : 1), sizeof *sinks);
    int nsinks = 0;
    if (!sinks)
        return npu_err_set(xerr(x), NPU_ENOMEM, "nvdla: out of memory");
    for (int o = t->op0; o < t->op0 + t->nops; o++)
        if (is_sink(x, o))
            sinks[nsinks++] = x->hd[o];
    int rc = submit_end_gates(x, task, sinks, nsinks);
    free(sinks);
    return rc;
}

static void window_cb(npu_engine *e, void *ud, const npu_job *j)
{
    (void)e;
    (void)j;
    struct npu_nvdla_exec *x = ud;
    if (x->failed)
        return;
    x->err = NULL;
    int b = x->next_batch;
    if (submit_batch(x, x->cur, b) || after_batch(x, x->cur, b))
        x->failed = true;
}

static int submit_dla(struct npu_nvdla_exec *x, int task)
{
    const npu_nvdla_state *s = x->s;
    const xtask *t = &x->tasks[task];
    const bool drv = has_driver(x);
    /* submit + initial programming */
    npu_host_req r0;
    int ninit = 0;
    req_init(x, &r0, t->layer, "submit");
    r0.desc_bytes = DESC_NET;
    if (!s->headed)
        r0.ns = x->submit_ns;
    if (linux_kmd(x))
        r0.cycles += s->kmd_read_cycles;
    for (int o = t->op0; o < t->op0 + t->nops; o++)
        if (x->progsrc[o] < 0) {
            const npu_nv_hwl *h = hwl(x, o);
            add_program(x, &r0, o);
            ninit += h->common.op_type == NPU_NV_CONV ||
                             (h->flags & NPU_NV_HF_FUSED)
                         ? 2
                         : 1;
        }
    r0.sig = (npu_syncop){x->t_start[task], ninit};
    if (!drv) {
        npu_host_req_init(&r0, t->layer);
        r0.label = "submit";
        r0.sig = (npu_syncop){x->t_start[task], ninit};
    } else if (s->headed) {
        npu_host_req c;
        npu_host_req_init(&c, t->layer);
        c.label = "submit";
        c.ns = x->submit_ns;
        c.sig = (npu_syncop){x->t_mbox[task], 1};
        c.reg_writes = 1; /* mailbox to the MCU */
        if (npu_host_submit(x->e, &c, xerr(x)))
            return x->failed = true, NPU_ESIM;
        r0.wait = (npu_syncop){x->t_mbox[task], 1};
    }
    if (npu_host_submit(x->e, &r0, xerr(x)))
        return x->failed = true, NPU_ESIM;
    /* hardware ops and their completion handlers, in batches */
    int nb = nbatches(t);
    for (int b = 0; b < nb && b < 2; b++)
        if (submit_batch(x, task, b) || after_batch(x, task, b))
            return NPU_ESIM;
    return 0;
}

static int submit_task(struct npu_nvdla_exec *x, int task)
{
    if (task >= x->ntasks)
        return 0;
    x->cur = task;
    const xtask *t = &x->tasks[task];
    if (t->kind == NPU_NV_TASK_DLA)
        return submit_dla(x, task);
    /* EMU: one CPU operator in the runtime's thread */
    npu_host_op o;
    npu_host_op_from(&o, npu_prog_payload(x->p, t->first), t->layer);
    o.sig = (npu_syncop){x->t_end[task], 1};
    if (npu_host_run_op(x->e, &o, xerr(x)))
        return x->failed = true, NPU_ESIM;
    npu_job j;
    npu_job_init(&j, x->u_rt, -1, "emu done");
    npu_job_wait(&j, x->t_end[task], 1, NULL);
    j.done = task_done_cb;
    j.ud = x;
    return submit(x, &j);
}

static void task_done_cb(npu_engine *e, void *ud, const npu_job *j)
{
    (void)e;
    (void)j;
    struct npu_nvdla_exec *x = ud;
    if (x->failed)
        return;
    x->err = NULL; /* execute() has returned: errors go to cb_err (the run then stalls) */
    submit_task(x, x->cur + 1);
}

/* ---- program checks and set-up ---------------------------------------------------------------- */

static int bad(npu_err *err, size_t i, const char *what)
{
    return npu_err_set(err, NPU_EFORMAT, "nvdla program: instruction %zu: %s", i, what);
}

static int scan(struct npu_nvdla_exec *x, npu_err *err)
{
    const npu_program *p = x->p;
    size_t nops = 0, ntasks = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].layer < 0 || p->ins[i].layer >= p->nlayers)
            return bad(err, i, "names no layer of the program");
        nops += p->ins[i].op == NPU_NV_OP_HWL;
        ntasks += p->ins[i].op == NPU_NV_OP_TASK;
    }
    x->nops = (int)nops;
    size_t no = nops ? nops : 1, nt = ntasks ? ntasks : 1;
    x->op_ins = npu_calloc(no, sizeof *x->op_ins);
    x->done = npu_calloc(no, sizeof *x->done);
    x->cdma = npu_calloc(no, sizeof *x->cdma);
    x->hd = npu_calloc(no, sizeof *x->hd);
    x->waiters = npu_calloc(no, sizeof *x->waiters);
    x->progsrc = npu_calloc(no, sizeof *x->progsrc);
    x->prognext = npu_calloc(no, sizeof *x->prognext);
    x->nenable = npu_calloc(no, sizeof *x->nenable);
    x->tasks = npu_calloc(nt, sizeof *x->tasks);
    x->t_start = npu_calloc(nt, sizeof *x->t_start);
    x->t_mbox = npu_calloc(nt, sizeof *x->t_mbox);
    x->t_end = npu_calloc(nt, sizeof *x->t_end);
    x->t_end2 = npu_calloc(nt, sizeof *x->t_end2);
    if (!x->op_ins || !x->done || !x->cdma || !x->hd || !x->waiters || !x->progsrc || !x->prognext || !x->nenable ||
        !x->tasks || !x->t_start || !x->t_mbox || !x->t_end || !x->t_end2)
        return npu_err_set(err, NPU_ENOMEM, "nvdla: out of memory");
    int op = 0;
    for (size_t i = 0; i < p->n;) {
        const npu_nv_task *t = npu_nv_payload(p, i, NPU_NV_OP_TASK, sizeof *t);
        if (!t)
            return bad(err, i, "expected a TASK record");
        xtask *xt = &x->tasks[x->ntasks];
        xt->kind = t->kind;
        xt->layer = p->ins[i].layer;
        xt->op0 = op;
        xt->first = i + 1;
        size_t j = i + 1;
        uint32_t recs = 0;
        while (j < p->n && p->ins[j].op != NPU_NV_OP_TASK) {
            unsigned code = p->ins[j].op;
            if (code == NPU_NV_OP_SHEET) {
                const npu_nv_sheet *sh = npu_nv_payload(p, j, NPU_NV_OP_SHEET, sizeof *sh);
                if (!sh || sh->mac_den <= 0 || sh->mac_num < 0 || sh->dram_cycles < 0 ||
                    sh->dram_bytes < 0)
                    return bad(err, j, "bad SHEET record");
            } else if (code == NPU_NV_OP_EMU) {
                const npu_nv_emu *e = npu_nv_payload(p, j, NPU_NV_OP_EMU, sizeof *e);
                if (!e || t->kind != NPU_NV_TASK_EMU || e->opclass >= NPU_OPC_COUNT ||
                    e->op >= NPU_OP_COUNT || e->macs < 0 || e->elems < 0 || e->rd_bytes < 0 ||
                    e->wr_bytes < 0)
                    return bad(err, j, "bad EMU record");
                recs++;
            } else if (code == NPU_NV_OP_HWL) {
                const npu_nv_hwl *h = npu_nv_payload(p, j, NPU_NV_OP_HWL, sizeof *h);
                if (!h || t->kind != NPU_NV_TASK_DLA || h->common.index != op ||
                    h->common.op_type >= NPU_NV_NPROC || h->ndeps > NPU_NV_MAX_DEPS ||
                    h->mac_cycles < 0 || h->elems < 0 || h->rd_data < 0 || h->rd_wt < 0 ||
                    h->rd_ew < 0 || h->wr_out < 0 || h->thr < 0 || h->nsplit < 0 ||
                    h->nkpass < 0 || h->mac_cycles > ((int64_t)1 << 50) ||
                    h->elems > ((int64_t)1 << 50))
                    return bad(err, j, "bad HWL record");
                for (int k = 0; k < h->ndeps; k++)
                    if (h->deps[k] < xt->op0 || h->deps[k] >= op)
                        return bad(err, j, "dependency on an op outside the task or not before it");
                if (h->common.op_type == NPU_NV_CONV) {
                    const npu_nv_hwl *q = j + 1 < p->n ? npu_nv_payload(p, j + 1 + (p->ins[j + 1].op == NPU_NV_OP_SHEET), NPU_NV_OP_HWL, sizeof *q) : NULL;
                    if (!q || q->common.op_type != NPU_NV_SDP || !(q->flags & NPU_NV_HF_FUSED))
                        return bad(err, j, "CONV op without its fused SDP op");
                }
                x->op_ins[op++] = j;
                recs++;
            } else {
                return bad(err, j, "unknown opcode");
            }
            j++;
        }
        if (recs != t->nops || (t->kind == NPU_NV_TASK_EMU && recs != 1) || recs == 0)
            return bad(err, i, "TASK record does not match the operations that follow");
        xt->end = j;
        xt->last_layer = p->ins[j - 1].layer;
        xt->nops = op - xt->op0;
        if (t->kind == NPU_NV_TASK_EMU) {
            size_t k = xt->first;
            while (p->ins[k].op != NPU_NV_OP_EMU)
                k++;
            xt->first = k;
        }
        x->ntasks++;
        i = j;
    }
    return 0;
}

/* Register groups, consumers, waiters. */
static void plan_control(struct npu_nvdla_exec *x)
{
    for (int o = 0; o < x->nops; o++)
        x->prognext[o] = -1;
    for (int t = 0; t < x->ntasks; t++) {
        const xtask *xt = &x->tasks[t];
        if (xt->kind != NPU_NV_TASK_DLA)
            continue;
        int prev[NPU_NV_NPROC][2];
        int cnt[NPU_NV_NPROC] = {0};
        for (int o = xt->op0; o < xt->op0 + xt->nops; o++) {
            int pr = hwl(x, o)->common.op_type;
            /* two register groups: the third op of a processor is programmed when the first
             * completes, and so on */
            x->progsrc[o] = cnt[pr] >= 2 ? prev[pr][cnt[pr] % 2] : -1;
            prev[pr][cnt[pr] % 2] = o;
            cnt[pr]++;
            const npu_nv_hwl *h = hwl(x, o);
            /* a conv and its fused SDP are enabled by gates on both CDMA and CMAC */
            int mult = pr == NPU_NV_CONV || (h->flags & NPU_NV_HF_FUSED)
                           ? 2
                           : 1;
            if (x->progsrc[o] >= 0) {
                x->waiters[x->progsrc[o]] += mult;
                x->prognext[x->progsrc[o]] = o;
            }
            for (int k = 0; k < h->ndeps; k++) {
                x->waiters[h->deps[k]] += mult;
                x->nenable[h->deps[k]]++;
            }
        }
        /* the gates that submit batch b >= 2 wait for the last op of batch b - 2 */
        for (int b = 2; b < nbatches(xt); b++)
            x->waiters[xt->op0 + (b - 1) * WIN_STEP - 1]++;
        /* every op no other op depends on is a sink: the task-end gate waits for it */
        for (int o = xt->op0; o < xt->op0 + xt->nops; o++)
            if (is_sink(x, o) || x->waiters[o] == 0)
                x->waiters[o]++;
    }
}

static int exec_sheet(struct npu_nvdla_exec *x)
{
    const npu_program *p = x->p;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].op != NPU_NV_OP_SHEET)
            continue;
        const npu_nv_sheet *sh = npu_prog_payload(p, i);
        int layer = p->ins[i].layer;
        npu_job j;
        npu_job_init(&j, x->u_cmac, layer, "sheet");
        double mac = (double)sh->mac_num / (double)sh->mac_den;
        j.cycles = mac > (double)sh->dram_cycles ? mac : (double)sh->dram_cycles;
        npu_engine_set_main_unit(x->e, layer, x->u_cmac);
        npu_engine_add_extra(x->e, layer, x->col_sheet, (double)sh->dram_bytes);
        if (submit(x, &j))
            return NPU_ESIM;
    }
    return 0;
}

int npu_nvdla_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err)
{
    npu_nvdla_state *s = m->state;
    npu_nvdla_exec_free(s);
    struct npu_nvdla_exec *x = npu_calloc(1, sizeof *x);
    if (!x)
        return npu_err_set(err, NPU_ENOMEM, "nvdla: out of memory");
    s->x = x;
    x->e = e;
    x->p = p;
    x->s = s;
    x->err = err;
    x->clk = npu_engine_clock(e, "core", s->freq_mhz);
    if (x->clk < 0)
        return npu_err_set(err, NPU_ESIM, "nvdla: cannot create the core clock");
    npu_engine_set_core_clock(e, x->clk);
    const npu_params *pp = m->params;
    double lat_ns = pp ? npu_params_float(pp, "dram.latency_ns") : 0;
    double lat_cyc = lat_ns * s->freq_mhz / 1000.0;
    x->submit_ns = pp ? npu_params_float(pp, "host.submit_ns") : 0;
    x->dbb = s->dbb_bytes;
    if (lat_cyc > s->dbb_latency)
        x->dbb = s->dbb_bytes * s->dbb_latency / lat_cyc;
    x->u_cdma = npu_engine_unit(e, "CDMA", NPU_UK_DMA, x->clk, 1, x->dbb);
    x->u_cmac = npu_engine_unit(e, "CMAC", NPU_UK_COMPUTE, x->clk, 1, x->dbb);
    x->u_sdp = npu_engine_unit(e, "SDP", NPU_UK_COMPUTE, x->clk, 1, x->dbb);
    x->u_pdp = npu_engine_unit(e, "PDP", NPU_UK_COMPUTE, x->clk, 1, x->dbb);
    x->u_cdp = npu_engine_unit(e, "CDP", NPU_UK_COMPUTE, x->clk, 1, x->dbb);
    x->u_rubik = npu_engine_unit(e, "RUBIK", NPU_UK_COMPUTE, x->clk, 1, x->dbb);
    x->u_bdma = npu_engine_unit(e, "BDMA", NPU_UK_DMA, x->clk, 1, x->dbb);
    x->u_rt = npu_engine_unit(e, "runtime", NPU_UK_CTRL, x->clk, 0, 0);
    if (x->u_cdma < 0 || x->u_cmac < 0 || x->u_sdp < 0 || x->u_pdp < 0 || x->u_cdp < 0 ||
        x->u_rubik < 0 || x->u_bdma < 0 || x->u_rt < 0)
        return npu_err_set(err, NPU_ESIM, "nvdla: cannot create the units");
    /* CBUF, for energy and area: CDMA writes it, CMAC (through CSC) reads it */
    int cbuf = npu_engine_buffer(e, "cbuf", (double)s->bank_bytes / 1024.0, (int)s->banks);
    npu_engine_unit_buffer(e, x->u_cdma, cbuf);
    npu_engine_unit_buffer(e, x->u_cmac, cbuf);
    double peak = (double)(s->ac * s->ak);
    for (int dt = 0; dt < NPU_DT_COUNT; dt++)
        npu_engine_set_peak(e, (npu_dtype)dt,
                            npu_dtype_bits((npu_dtype)dt) >= 16 ? peak / 2 : peak);
    x->col_ops = x->col_split = x->col_wref = x->col_sheet = -1;
    if (s->fidelity == NPU_NVDLA_FID_SPREADSHEET) {
        x->col_sheet = npu_engine_extra_col(e, "sheet_dram_bytes");
        return exec_sheet(x) ? (err->code ? err->code : NPU_ESIM) : 0;
    }
    x->col_ops = npu_engine_extra_col(e, "hw_ops");
    x->col_split = npu_engine_extra_col(e, "cbuf_chunks");
    x->col_wref = npu_engine_extra_col(e, "wt_refetch");
    int rc = scan(x, err);
    if (rc)
        return rc;
    plan_control(x);
    x->cbuf_free = npu_engine_sync(e, "cbuf_free", 2);
    x->cbuf_full = npu_engine_sync(e, "cbuf_full", 0);
    x->cacc_free = npu_engine_sync(e, "cacc_free", 2);
    x->cacc_full = npu_engine_sync(e, "cacc_full", 0);
    for (int o = 0; o < x->nops; o++) {
        x->done[o] = npu_engine_sync(e, "op_done", 0);
        x->cdma[o] = npu_engine_sync(e, "cdma_done", 0);
        x->hd[o] = npu_engine_sync(e, "op_handled", 0);
        if (x->done[o] < 0 || x->cdma[o] < 0 || x->hd[o] < 0)
            return npu_err_set(err, NPU_ESIM, "nvdla: cannot create syncs");
    }
    for (int t = 0; t < x->ntasks; t++) {
        x->t_start[t] = npu_engine_sync(e, "task_start", 0);
        x->t_mbox[t] = npu_engine_sync(e, "task_mbox", 0);
        x->t_end[t] = npu_engine_sync(e, "task_end", 0);
        x->t_end2[t] = npu_engine_sync(e, "task_end_cpu", 0);
        if (x->t_start[t] < 0 || x->t_mbox[t] < 0 || x->t_end[t] < 0 || x->t_end2[t] < 0)
            return npu_err_set(err, NPU_ESIM, "nvdla: cannot create syncs");
    }
    rc = submit_task(x, 0);
    if (rc && err && !err->code)
        npu_err_set(err, NPU_ESIM, "nvdla: cannot submit the first task");
    return rc;
}
