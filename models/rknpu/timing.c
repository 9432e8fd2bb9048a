/* timing.c — replaying an RKNPU program on the engine (prefix npu_rknpu_).
 *
 * Hardware per core c (all in the NPU clock):
 *   pc<c>    the PC: fetches a task's regcmd list (regcfg_amount × 8 bytes) through DRAM into
 *            one of two register groups (CTRL unit: the MAC array waiting on it is control
 *            stall). With ping-pong (submit flags 0x5) the next task's list is fetched while the
 *            current task runs; without (0x1) only after it has finished (TRM reg 0x0030).
 *   setup    then the PC applies the list to the blocks (task_cycles + reg_cycles × entries,
 *            a "setup" job on pc<c>) once the core's previous task has ended.
 *   cna<c>, core<c>, dpu<c>, ppu<c>  the blocks (units.c): a task is a chain of stages — a
 *            conv's fresh weights loaded into the CBUF (weight_preload), the CNA streaming its
 *            reads, the MAC array, the DPU (LUT, write-back), a second DPU pass, a fused
 *            pool's PPU — handed on part by part in flying mode; DPU-alone and PPU-alone tasks
 *            are one stage. Each block's DMA moves at most dma_bytes per cycle each way; all
 *            cores and the CPU share DRAM (docs/models/rknpu.md §3c).
 * Syncs per core: grp (free register groups, 2), rdy (fetched lists), bar (layer barrier of a
 * multi-core job), and units.c's (idle, and per block go / head / end). Shared: host_ready
 * (the runtime thread may continue), kick, npu_done (a core's last task finished), job_done
 * (all cores of a job finished, counted in job order by the npu_join unit).
 *
 * A job (SUBMIT): the RKNN runtime thread (unit "rknn_rt", a big core of its own; Linux routes
 * the NPU interrupts to cpu0) pays the ioctl (host.submit_ns) and kick_writes MMIO writes per
 * core, then signals kick. Each core's last task signals npu_done; the host takes one interrupt
 * per core on cpu0 (IRQ line latency + ISR + status read + clear write) and, once every core
 * used has interrupted (the driver's interrupt_count barrier, research §4.2), the runtime thread
 * is woken (host.wakeup_ns) and goes on: CPU operators (their compute time from the host
 * model's throughput per op class, their bytes through DRAM at host.gbps), the next submit.
 * With irq_mode=task (mainline rocket) the IRQ handler kicks the next task itself.
 * The runtime thread and the ISRs are on different host units on purpose: an ISR is queued on
 * its core when the interrupt arrives, so work queued earlier on the same core that waits for
 * the job's end would block it.
 * Feature maps placed in the system SRAM (use_sram) go through the "sram" port instead of DRAM;
 * they still cross the core's AXI port (dma_bytes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* Tasks per core queued at a time in windows (below). */
enum { WIN_TASKS = 64 };

typedef struct npu_rknpu_exec {
    npu_engine *e;
    npu_err *err;
    npu_rknpu_state *s; /* also holds x (freed with the last window, or by the model) */
    const npu_program *p;
    int clk;
    int u_pc[NPU_RKN_MAX_CORES];
    npu_rknpu_units un[NPU_RKN_MAX_CORES]; /* CNA, CORE, DPU, PPU of each core */
    int grp[NPU_RKN_MAX_CORES], rdy[NPU_RKN_MAX_CORES], bar[NPU_RKN_MAX_CORES];
    int host_ready, kick[NPU_RKN_MAX_CORES], npu_done;
    int joined, u_join; /* a job's cores all done (in job order), the unit that counts them */
    double submit_ns, reg_write_ns, wakeup_ns;
    int u_rt;
    /* the open submit */
    bool open;
    npu_rkn_submit sub;
    int last_layer;
    int core_layer[NPU_RKN_MAX_CORES]; /* layer of each core's latest task (-1 none)   */
    uint16_t seen[NPU_RKN_MAX_CORES];
    int col_tasks, col_regs, col_cores, col_npu;
    npu_err cb_err;          /* errors while a window is queued (the run then stops) */
    /* windows: each core's tasks are queued from a cursor of its own (win_fill) */
    bool win;
    struct {
        size_t pos;     /* next instruction to look at                         */
        bool pp, first; /* its submit ping-pongs; no task of it on the core yet */
    } cur[NPU_RKN_MAX_CORES];
} rx;

void npu_rknpu_exec_free(npu_rknpu_state *s)
{
    free(s->x);
    s->x = NULL;
}

/* A job on the runtime thread's core (FIFO: program order is its only dependency). */
static int rt_job(rx *x, int layer, const char *label, double ns, int wait, int64_t wn, int sig,
                  int64_t sn, int64_t rd, int64_t wr)
{
    npu_job j;
    npu_job_init(&j, x->u_rt, layer, label);
    j.mode = NPU_JOB_STREAM;
    j.extra_ps = ns > 0 ? (npu_time)(ns * 1e3 + 0.5) : 0;
    if (npu_job_wait(&j, wait, wn, x->err) || npu_job_signal(&j, sig, sn, x->err) ||
        npu_job_xfer(&j, NPU_PORT_DRAM, false, rd, 0, x->err) ||
        npu_job_xfer(&j, NPU_PORT_DRAM, true, wr, 0, x->err))
        return x->err->code;
    if (j.extra_ps == 0 && j.nxfer == 0)
        j.cycles = 0;
    return npu_engine_submit(x->e, &j, x->err);
}

/* The end of a job: one interrupt per core used (DPU group int_mask 0x300), each with an
 * INT_STATUS read and an INT_CLEAR write, handled on cpu0; the handler of the last one completes
 * the job. They are taken as one request once the last core is done (the ISRs of cores that
 * finish earlier would overlap with the others' work, so this overstates a multi-core job by up
 * to ncores-1 ISRs). Then either the handler kicks the next task itself (`next` is a task
 * chained from the IRQ, mainline rocket) or the runtime thread is woken (host.wakeup_ns). */
static int close_submit(rx *x, const npu_rkn_submit *next)
{
    if (!x->open)
        return 0;
    x->open = false;
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        if (x->seen[k] != x->sub.ntask[k])
            return npu_err_set(x->err, NPU_EFORMAT,
                               "rknpu program: submit announces %u task(s) "
                               "on core %d but %u follow",
                               x->sub.ntask[k], k, x->seen[k]);
    bool chain = next && (next->flags & NPU_RKN_SF_IRQ_CHAIN);
    npu_host_req r;
    npu_host_req_init(&r, x->last_layer);
    r.irq = x->sub.ncores;
    r.reg_reads = x->sub.ncores;
    r.reg_writes = x->sub.ncores + (chain ? next->kick_writes * next->ncores : 0);
    /* the job is done when every core it used has finished its last task: the join unit
     * takes the jobs' npu_done counts one job after the other (a FIFO), so a one-core job's
     * interrupt cannot take the count of a three-core job still running (the interrupt line
     * holds every pending interrupt at once) */
    npu_job jn;
    npu_job_init(&jn, x->u_join, x->last_layer, "job done");
    if (npu_job_wait(&jn, x->npu_done, x->sub.ncores, x->err) ||
        npu_job_signal(&jn, x->joined, 1, x->err) || npu_engine_submit(x->e, &jn, x->err))
        return x->err->code;
    r.wait.sync = x->joined;
    r.wait.n = 1;
    int nc = 0; /* a chained task runs on one core (rocket: one task per kick) */
    while (chain && nc < NPU_RKN_MAX_CORES - 1 && !((next->core_mask >> nc) & 1u))
        nc++;
    r.sig.sync = chain ? x->kick[nc] : x->host_ready;
    r.sig.n = 1;
    r.label = chain ? "npu irq + kick" : "npu irq";
    if (npu_host_submit(x->e, &r, x->err))
        return x->err->code;
    if (chain)
        return 0;
    return rt_job(x, x->last_layer, "wake", (x->sub.flags & NPU_RKN_SF_WAKE) ? x->wakeup_ns : 0,
                  x->host_ready, 1, -1, 0, 0, 0);
}

static int do_submit(rx *x, size_t i)
{
    const npu_rkn_submit *s = npu_rkn_payload(x->p, i, NPU_RKN_OP_SUBMIT, sizeof *s);
    if (!s)
        return npu_err_set(x->err, NPU_EFORMAT, "rknpu program: instruction %zu: bad SUBMIT", i);
    int n = 0;
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        n += (s->core_mask >> k) & 1u;
    if (!s->core_mask || n != s->ncores || (s->core_mask >> x->s->cores))
        return npu_err_set(x->err, NPU_EFORMAT,
                           "rknpu program: instruction %zu: core mask 0x%x "
                           "does not fit %d core(s)",
                           i, s->core_mask, x->s->cores);
    bool chained = (s->flags & NPU_RKN_SF_IRQ_CHAIN) != 0;
    if (chained && s->ncores != 1)
        return npu_err_set(x->err, NPU_EFORMAT,
                           "rknpu program: instruction %zu: a task chained "
                           "from an IRQ handler must run on one core",
                           i);
    if (chained && !x->open)
        return npu_err_set(x->err, NPU_EFORMAT,
                           "rknpu program: instruction %zu: a task chained "
                           "from an IRQ handler with no job before it",
                           i);
    if (close_submit(x, s))
        return x->err->code;
    x->open = true;
    x->sub = *s;
    x->last_layer = x->p->ins[i].layer;
    memset(x->seen, 0, sizeof x->seen);
    if (chained)
        return 0; /* kicked by the previous task's IRQ handler */
    /* the ioctl and the kick's MMIO writes, on the runtime thread */
    npu_job j;
    npu_job_init(&j, x->u_rt, x->last_layer, "submit");
    j.mode = NPU_JOB_SEQ;
    double ns = x->submit_ns + x->reg_write_ns * s->kick_writes * s->ncores;
    j.extra_ps = ns > 0 ? (npu_time)(ns * 1e3 + 0.5) : 0;
    npu_engine_count_regs(x->e, x->last_layer, (int64_t)s->kick_writes * s->ncores);
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        if (((s->core_mask >> k) & 1u) && npu_job_signal(&j, x->kick[k], 1, x->err))
            return x->err->code;
    return npu_engine_submit(x->e, &j, x->err);
}

static void add_stage(npu_rknpu_flow *f, int blk, const char *label, double cycles, bool full)
{
    npu_rknpu_stage *st = &f->st[f->nst++];
    memset(st, 0, sizeof *st);
    st->blk = blk;
    st->label = label;
    st->cycles = cycles;
    st->full = full;
}

/* A task's stages on its core's blocks (docs/models/rknpu.md §3c). The AXI reads of a conv
 * task (the CNA's features and streamed weights, DPU_RDMA's element-wise operand) share the
 * core's read channel and are the CNA stage's; the output is written by the last stage (DPU,
 * or the PPU after a fused pool); each moves at most dma_bytes per cycle each way, or with
 * dma_shared reads and writes together (the profiler's DDR model, research §1.5: the port
 * stage then also carries the writes' time), DRAM contention comes on top through the port. A
 * DPU-alone or PPU-alone task (enable masks 0x18 / 0x60, research §1.2) is one stage that
 * reads through its own RDMA. */
static void task_flow(rx *x, const npu_rkn_task *t, int layer, npu_rknpu_flow *f)
{
    const npu_rknpu_state *s = x->s;
    memset(f, 0, sizeof *f);
    f->layer = layer;
    f->onchip_bytes = t->cbuf_bytes;
    /* feature maps in the system SRAM (use_sram) go through its port */
    bool sram = npu_engine_has_sram(x->e);
    int fs = sram && (t->flags & NPU_RKN_TF_FEAT_SRAM),
        os = sram && (t->flags & NPU_RKN_TF_OUT_SRAM);
    npu_rknpu_stages w;
    npu_rknpu_task_stages(s, t, &w);
    double dma = s->dma_bytes;
    /* dma_shared (RK3588, §16): the output's writes take their share of the one port budget,
     * charged on the stage that stands for the port (the CNA's, or a DPU/PPU-alone task's) */
    double shared_wr = s->dma_shared ? (double)t->out_wr : 0;
    bool conv = t->kind == NPU_RKN_K_CONV || t->kind == NPU_RKN_K_DW || t->kind == NPU_RKN_K_DECONV;
    const char *label = npu_rkn_kind_name(t->kind);
    if (conv) {
        /* fresh conv weights are in the CBUF before the CSC starts (weight_preload); a
         * matmul's stream in beside the compute (TF_WSTREAM, §11) */
        int64_t wpre = s->weight_preload && !(t->flags & NPU_RKN_TF_WSTREAM) ? t->wt_rd : 0;
        if (wpre > 0) {
            add_stage(f, NPU_RKNPU_CNA, "weight load", (double)wpre / (dma * s->wload), true);
            f->st[0].rd[0] = wpre;
        }
        /* an image input (fewer channels than one atom) is fetched a pixel at a time and
         * widened to an atom: its DMA costs an atom per pixel although DRAM sees only the raw
         * bytes (the profiler models that layer at ~6 B/cycle against ~16, research §1.5) */
        double feat = (double)t->feat_rd;
        if (feat > 0 && npu_rknpu_task_image(s, t))
            feat = (double)t->in_h * t->in_w * s->atom_bytes;
        add_stage(f, NPU_RKNPU_CNA, label,
                  (feat + (double)(t->wt_rd - wpre + t->ew_rd) + shared_wr) / dma, false);
        npu_rknpu_stage *cna = &f->st[f->nst - 1];
        cna->rd[0] = t->wt_rd - wpre + t->ew_rd + (fs ? 0 : t->feat_rd);
        cna->rd[1] = fs ? t->feat_rd : 0;
        add_stage(f, NPU_RKNPU_CORE, label, w.core, false);
        bool ppu = (t->flags & NPU_RKN_TF_PPU) != 0;
        if (w.dpu > 0 || (!ppu && w.dpu2 <= 0))
            add_stage(f, NPU_RKNPU_DPU, label, w.dpu, false);
        if (w.dpu2 > 0)
            add_stage(f, NPU_RKNPU_DPU, "dpu pass 2", w.dpu2, true);
        if (ppu)
            add_stage(f, NPU_RKNPU_PPU, label, w.ppu, false);
        /* handed on per output row of one kernel group (assumption, §3c) */
        int64_t kg = s->kgroup > 0 ? (t->out_k + s->kgroup - 1) / s->kgroup : 1;
        f->parts = (t->out_h > 1 ? t->out_h : 1) * (kg > 1 ? kg : 1);
    } else {
        bool pool = t->kind == NPU_RKN_K_PPU;
        double rd = (double)(t->feat_rd + t->wt_rd + t->ew_rd) + shared_wr;
        double c = pool ? w.ppu : w.dpu;
        add_stage(f, pool ? NPU_RKNPU_PPU : NPU_RKNPU_DPU, label, c > rd / dma ? c : rd / dma,
                  false);
        f->st[0].rd[0] = t->wt_rd + t->ew_rd + (fs ? 0 : t->feat_rd);
        f->st[0].rd[1] = fs ? t->feat_rd : 0;
        f->parts = 1;
    }
    npu_rknpu_stage *wr = &f->st[f->nst - 1];
    wr->wr[os] = t->out_wr;
    if ((double)t->out_wr / dma > wr->cycles)
        wr->cycles = (double)t->out_wr / dma;
    /* the task's end: its register group is free, the barrier of the next layer, the job */
    f->endsig[f->nend++] = (npu_syncop){x->grp[t->core], 1};
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        if ((t->bar_sig_mask >> k) & 1u)
            f->endsig[f->nend++] = (npu_syncop){x->bar[k], 1};
    if (t->flags & NPU_RKN_TF_SUBMIT_LAST)
        f->endsig[f->nend++] = (npu_syncop){x->npu_done, 1};
}

static int emit_task(rx *x, const npu_rkn_task *t, int layer, bool first, bool pp);

static int do_task(rx *x, size_t i)
{
    const npu_rkn_task *t = npu_rkn_payload(x->p, i, NPU_RKN_OP_TASK, sizeof *t);
    if (!t)
        return npu_err_set(x->err, NPU_EFORMAT, "rknpu program: instruction %zu: bad TASK", i);
    int c = t->core;
    if (!x->open || c >= NPU_RKN_MAX_CORES || !((x->sub.core_mask >> c) & 1u))
        return npu_err_set(x->err, NPU_EFORMAT,
                           "rknpu program: instruction %zu: task on core %d "
                           "outside a submit for it",
                           i, c);
    if (t->feat_rd < 0 || t->wt_rd < 0 || t->ew_rd < 0 || t->out_wr < 0 || t->elems < 0 ||
        t->in_c < 0 || t->out_h < 0 || t->out_w < 0 || t->out_k < 0)
        return npu_err_set(x->err, NPU_EFORMAT, "rknpu program: instruction %zu: negative size", i);
    int layer = x->p->ins[i].layer;
    x->last_layer = layer;
    bool first = x->seen[c] == 0;
    x->seen[c]++;
    if (x->seen[c] > x->sub.ntask[c])
        return npu_err_set(x->err, NPU_EFORMAT,
                           "rknpu program: instruction %zu: more tasks on "
                           "core %d than the submit announces",
                           i, c);
    if (!x->win && emit_task(x, t, layer, first, (x->sub.flags & NPU_RKN_SF_PINGPONG) != 0))
        return x->err->code;
    if (layer >= 0) {
        npu_engine_add_extra(x->e, layer, x->col_tasks, 1);
        npu_engine_add_extra(x->e, layer, x->col_regs, t->regcfg_amount);
        npu_engine_add_extra(x->e, layer, x->col_npu, npu_rknpu_task_npu_cycles(x->s, t));
        if (t->flags & NPU_RKN_TF_LAYER_FIRST)
            npu_engine_add_extra(x->e, layer, x->col_cores, 1);
    }
    return 0;
}

/* The jobs of a checked task: `first` on its core in its submit, `pp` its submit ping-pongs. */
static int emit_task(rx *x, const npu_rkn_task *t, int layer, bool first, bool pp)
{
    int c = t->core;
    /* the PC fetches the task's register list */
    /* with ping-pong the first task of a layer is fetched while the previous layer's last
     * task runs on the core: the fetch belongs to that layer's time, not this one's (a
     * layer's cycles start with its own work, as the profiler's per-layer time does) */
    int flayer = pp && !first && x->core_layer[c] >= 0 ? x->core_layer[c] : layer;
    x->core_layer[c] = layer;
    npu_job f;
    npu_job_init(&f, x->u_pc[c], flayer, "regcmd fetch");
    f.mode = NPU_JOB_SEQ;
    f.cycles = x->s->pc_cycles;
    if (npu_job_wait(&f, x->grp[c], pp ? 1 : 2, x->err) ||
        (first && npu_job_wait(&f, x->kick[c], 1, x->err)) ||
        npu_job_xfer(&f, NPU_PORT_DRAM, false, (int64_t)t->regcfg_amount * 8, 0, x->err) ||
        npu_job_signal(&f, x->rdy[c], 1, x->err) ||
        (!pp && npu_job_signal(&f, x->grp[c], 1, x->err)))
        return x->err->code;
    if (npu_engine_submit_in_range(x->e, &f, x->err))
        return x->err->code;
    /* the PC applies the task's register list to the blocks (task_cycles + reg_cycles per
     * entry) once the core's previous task has ended (and, in a multi-core job, the cores of
     * the layer before have met); then the blocks start */
    const npu_rknpu_units *u = &x->un[c];
    npu_rknpu_flow fl;
    task_flow(x, t, layer, &fl);
    npu_job su;
    npu_job_init(&su, x->u_pc[c], layer, "setup");
    su.mode = NPU_JOB_SEQ;
    su.cycles = x->s->task_cycles + x->s->reg_cycles * t->regcfg_amount;
    if (npu_job_wait(&su, x->rdy[c], 1, x->err) || npu_job_wait(&su, u->idle, 1, x->err) ||
        npu_job_wait(&su, x->bar[c], t->bar_wait, x->err) ||
        npu_job_signal(&su, npu_rknpu_flow_go(u, &fl), 1, x->err) ||
        npu_engine_submit_in_range(x->e, &su, x->err))
        return x->err->code;
    return npu_rknpu_flow_submit(x->e, u, &fl, x->err);
}

static int do_cpu(rx *x, size_t i)
{
    const npu_rkn_cpu *c = npu_rkn_payload(x->p, i, NPU_RKN_OP_CPU, sizeof *c);
    if (!c)
        return npu_err_set(x->err, NPU_EFORMAT, "rknpu program: instruction %zu: bad CPU record",
                           i);
    if (c->op >= NPU_OP_COUNT || c->opclass >= NPU_OPC_COUNT || c->macs < 0 || c->elems < 0 ||
        c->rd_bytes < 0 || c->wr_bytes < 0)
        return npu_err_set(x->err, NPU_EFORMAT, "rknpu program: instruction %zu: bad CPU operator",
                           i);
    if (close_submit(x, NULL))
        return x->err->code;
    npu_host_op o;
    npu_host_op_from(&o, c, x->p->ins[i].layer);
    /* compute time from the host model's throughput per op class; the bytes move as the
     * runtime job's own DRAM transfers (rt_job), so they are left out of this estimate */
    o.rd_bytes = o.wr_bytes = 0;
    double ns = npu_host_op_ns(x->e, &o);
    return rt_job(x, o.layer, c->what == NPU_PROG_HOST_OP ? "cpu op" : "io convert", ns, -1, 0,
                  -1, 0, c->rd_bytes, c->wr_bytes);
}

/* ---- windows ----------------------------------------------------------------------------------
 * A 2048-token LLM prefill is ~150,000 tasks of ~9 jobs each; queued at once they took
 * 258 MiB and a third of the time went to page faults. Outside a workload, execute()
 * therefore queues the runtime's jobs (submits, CPU operators, job ends: a few per submit)
 * for the whole program as before, and each core's tasks from a cursor of its own,
 * WIN_TASKS at a time: the next window when the core's PC has nothing queued
 * (npu_engine_on_empty: at once when its last queued job starts). The run is the same as with
 * every job queued up front:
 *   - a unit's jobs are queued in the same order (each unit takes the jobs of one core, or
 *     only runtime jobs), and only the PC's next job can be ready when it is queued (its
 *     fetch waits for a register group freed by tasks before it) — it is queued before the
 *     PC could take it, so it is checked when it would have been;
 *   - a block (CNA, CORE, DPU, PPU) that ran dry gets its next job from the window of that
 *     job's task, whose first job on the block waits on a signal of the task's own setup or
 *     stage before (go/head/end of that block: never ready when queued); it counts as
 *     waiting since the block went idle, as the job at the head of its queue would have
 *     (npu_engine_on_empty), and every sync here has one waiting unit, so the order units
 *     register on a sync is the same;
 *   - the per-layer columns are added up in pass 1 in program order (same rounding).
 * Pass 1 checks the whole program first, so a bad one fails before the run as before. */
static int win_fill(rx *x, int c)
{
    int n = 0;
    while (x->cur[c].pos < x->p->n && n < WIN_TASKS) {
        size_t i = x->cur[c].pos++;
        const npu_instr *in = &x->p->ins[i];
        if (in->op == NPU_RKN_OP_SUBMIT) {
            const npu_rkn_submit *sb = npu_rkn_payload(x->p, i, NPU_RKN_OP_SUBMIT, sizeof *sb);
            x->cur[c].pp = (sb->flags & NPU_RKN_SF_PINGPONG) != 0;
            x->cur[c].first = true;
        } else if (in->op == NPU_RKN_OP_TASK) {
            const npu_rkn_task *t = npu_rkn_payload(x->p, i, NPU_RKN_OP_TASK, sizeof *t);
            if (t->core != c)
                continue;
            if (emit_task(x, t, in->layer, x->cur[c].first, x->cur[c].pp))
                return x->err->code;
            x->cur[c].first = false;
            n++;
        }
    }
    return 0;
}

/* Once every core's tasks are queued the hooks go and x is freed. */
static void win_end(rx *x)
{
    int n = x->s->cores < NPU_RKN_MAX_CORES ? x->s->cores : NPU_RKN_MAX_CORES;
    for (int c = 0; c < n; c++)
        if (x->cur[c].pos < x->p->n)
            return;
    for (int c = 0; c < n; c++)
        npu_engine_on_empty(x->e, x->u_pc[c], NULL, NULL);
    npu_rknpu_exec_free(x->s);
}

static int win_cb(npu_engine *e, void *ud, int unit)
{
    (void)e;
    rx *x = ud;
    for (int c = 0; c < x->s->cores && c < NPU_RKN_MAX_CORES; c++)
        if (x->u_pc[c] == unit && x->cur[c].pos < x->p->n) {
            if (win_fill(x, c))
                return x->err->code;
            win_end(x);
            return 0;
        }
    return 0;
}

int npu_rknpu_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err)
{
    npu_rknpu_state *s = m->state;
    npu_rknpu_exec_free(s);
    rx *x = npu_calloc(1, sizeof *x);
    if (!x)
        return npu_err_set(err, NPU_ENOMEM, "rknpu: out of memory");
    s->x = x;
    x->e = e;
    x->err = err;
    x->s = s;
    x->p = p;
    for (int c = 0; c < NPU_RKN_MAX_CORES; c++)
        x->core_layer[c] = -1;
    x->submit_ns = npu_model_float(m, "host.submit_ns");
    x->reg_write_ns = npu_model_float(m, "host.reg_write_ns");
    x->wakeup_ns = npu_model_float(m, "host.wakeup_ns");
    /* the RKNN runtime thread: its own (big) CPU core, interrupts go to cpu0 (Linux default) */
    double hmhz = npu_model_float(m, "host.freq_mhz");
    int hclk = npu_engine_clock(e, "rknn_rt", hmhz);
    x->u_rt = hclk < 0 ? -1
                       : npu_engine_unit(e, "rknn_rt", NPU_UK_HOST, hclk, 1,
                                         npu_model_float(m, "host.gbps") * 1e3 / hmhz);
    if (x->u_rt < 0)
        return npu_err_set(err, NPU_ENOMEM, "rknpu: cannot create the runtime thread's unit");
    x->clk = npu_engine_clock(e, "npu", s->freq_mhz);
    if (x->clk < 0)
        return npu_err_set(err, NPU_ESIM, "rknpu: cannot create the NPU clock");
    npu_engine_set_core_clock(e, x->clk);
    for (int c = 0; c < s->cores && c < NPU_RKN_MAX_CORES; c++) {
        char n[32];
        snprintf(n, sizeof n, "pc%d", c);
        x->u_pc[c] = npu_engine_unit(e, n, NPU_UK_CTRL, x->clk, 1, 0);
        if (npu_rknpu_units_make(e, x->clk, c, s->dma_bytes, &x->un[c], err))
            return err->code;
        snprintf(n, sizeof n, "grp%d", c);
        x->grp[c] = npu_engine_sync(e, n, 2);
        snprintf(n, sizeof n, "rdy%d", c);
        x->rdy[c] = npu_engine_sync(e, n, 0);
        snprintf(n, sizeof n, "bar%d", c);
        x->bar[c] = npu_engine_sync(e, n, 0);
        snprintf(n, sizeof n, "kick%d", c);
        x->kick[c] = npu_engine_sync(e, n, 0); /* per core: a kick is for one core's PC */
        if (x->u_pc[c] < 0 || x->grp[c] < 0 || x->rdy[c] < 0 || x->bar[c] < 0 ||
            x->kick[c] < 0)
            return npu_err_set(err, NPU_ENOMEM, "rknpu: out of memory creating core %d", c);
    }
    x->host_ready = npu_engine_sync(e, "host_ready", 0);
    x->npu_done = npu_engine_sync(e, "npu_done", 0);
    x->joined = npu_engine_sync(e, "job_done", 0);
    x->u_join = npu_engine_unit_ctx(e, "npu_join", NPU_UK_CTRL, x->clk, 1, 0); /* per context */
    if (x->joined < 0 || x->u_join < 0)
        return npu_err_set(err, NPU_ENOMEM, "rknpu: out of memory creating the job join");
    x->col_tasks = npu_engine_extra_col(e, "tasks");
    x->col_regs = npu_engine_extra_col(e, "regcmds");
    x->col_cores = npu_engine_extra_col(e, "cores");
    x->col_npu = npu_engine_extra_col(e, "npu_cycles"); /* the profiler's "NPU Cycles" */
    if (x->host_ready < 0 || x->npu_done < 0 || x->col_tasks < 0 || x->col_regs < 0 ||
        x->col_cores < 0 || x->col_npu < 0)
        return npu_err_set(err, NPU_ENOMEM, "rknpu: out of memory");
    for (int dt = 0; dt < NPU_DT_COUNT; dt++) {
        double r = npu_rknpu_mac_rate(s, (npu_dtype)dt);
        if (r > 0)
            npu_engine_set_peak(e, (npu_dtype)dt, r * s->ncores);
    }
    /* Windows outside a workload (in one, frames share the cores' units in the order they are
     * queued, and the whole frame is queued at once as before) */
    int scope = npu_engine_scope_set(e, 0);
    npu_engine_scope_set(e, scope);
    x->win = scope == 0;
    for (size_t i = 0; i < p->n; i++) {
        const npu_instr *in = &p->ins[i];
        if (in->layer < -1 || in->layer >= p->nlayers)
            return npu_err_set(err, NPU_EFORMAT,
                               "rknpu program: instruction %zu: layer %" PRId32 " out of range", i,
                               in->layer);
        int rc = 0;
        switch (in->op) {
        case NPU_RKN_OP_SUBMIT:
            rc = do_submit(x, i);
            break;
        case NPU_RKN_OP_TASK:
            rc = do_task(x, i);
            break;
        case NPU_RKN_OP_CPU:
            rc = do_cpu(x, i);
            break;
        case NPU_RKN_OP_NOTE:
            if (!npu_rkn_payload(p, i, in->op, sizeof(npu_rkn_note)))
                rc = npu_err_set(err, NPU_EFORMAT, "rknpu program: instruction %zu: bad NOTE", i);
            break;
        default:
            rc = npu_err_set(err, NPU_EFORMAT, "rknpu program: instruction %zu: unknown opcode %u",
                             i, in->op);
        }
        if (rc)
            return rc;
    }
    if (close_submit(x, NULL))
        return err->code;
    if (!x->win)
        return 0;
    x->err = &x->cb_err; /* execute() returns before the windows are queued */
    for (int c = 0; c < s->cores && c < NPU_RKN_MAX_CORES; c++) {
        if (win_fill(x, c))
            return *err = x->cb_err, err->code;
        npu_engine_on_empty(e, x->u_pc[c], win_cb, x);
    }
    win_end(x);
    return 0;
}
