/* units.c — the CNA, CORE, DPU and PPU of an RKNPU core as engine units, and a task's stages
 * handed on between them in flying mode (prefix npu_rknpu_; units.h says how, docs/models/
 * rknpu.md §3c why).
 */
#include <math.h>
#include <stdio.h>

#include "units.h"

int npu_rknpu_units_make(npu_engine *e, int clk, int c, double dma_bytes, npu_rknpu_units *u,
                         npu_err *err)
{
    /* the CNA fetches features and weights into the CBUF and stands for the core's read
     * channel: waiting on it is memory stall */
    static const char *const names[NPU_RKNPU_NBLK] = {"cna", "core", "dpu", "ppu"};
    char n[32];
    snprintf(n, sizeof n, "idle%d", c);
    u->idle = npu_engine_sync(e, n, 1);
    if (u->idle < 0)
        return npu_err_set(err, NPU_ENOMEM, "rknpu: out of memory creating the syncs of core %d",
                           c);
    for (int k = 0; k < NPU_RKNPU_NBLK; k++) {
        snprintf(n, sizeof n, "%s%d", names[k], c);
        u->unit[k] = npu_engine_unit(e, n, k == NPU_RKNPU_CNA ? NPU_UK_DMA : NPU_UK_COMPUTE, clk, 1,
                                     dma_bytes);
        snprintf(n, sizeof n, "go.%s%d", names[k], c);
        u->go[k] = npu_engine_sync(e, n, 0);
        snprintf(n, sizeof n, "head.%s%d", names[k], c);
        u->head[k] = npu_engine_sync(e, n, 0);
        snprintf(n, sizeof n, "end.%s%d", names[k], c);
        u->end[k] = npu_engine_sync(e, n, 0);
        if (u->unit[k] < 0 || u->go[k] < 0 || u->head[k] < 0 || u->end[k] < 0)
            return npu_err_set(err, NPU_ENOMEM, "rknpu: out of memory creating %s%d", names[k], c);
    }
    return 0;
}

int npu_rknpu_flow_go(const npu_rknpu_units *u, const npu_rknpu_flow *f)
{
    return u->go[f->st[0].blk];
}


/* llround(x) for x >= 0 without the libm call: below 2^53 x minus its integer part is exact,
 * from 2^52 on x is an integer, so halves go up as llround's do */
static inline int64_t round_nonneg(double x)
{
    if (!(x < 4e18))
        return (int64_t)llround(x);
    int64_t t = (int64_t)x;
    return x - (double)t >= 0.5 ? t + 1 : t;
}

/* A port's burst for piece(): b bytes, and 1/b when b is a power of two, for then x * (1/b)
 * is x / b to the bit (both scale x by 2^-k and round once), else 0 (piece divides). */
typedef struct burst {
    int64_t b;
    double inv;
} burst;

static burst port_burst(npu_engine *e, int port)
{
    const npu_port_cfg *pc = npu_engine_port_cfg(e, port);
    int64_t b = pc && pc->burst_bytes > 0 ? pc->burst_bytes : 1;
    return (burst){b, (b & (b - 1)) == 0 ? 1.0 / (double)b : 0};
}

/* bytes of the fraction [f0, f1) of a transfer, cut at whole bursts: the pieces add up to the
 * transfer and the port's rounding to bursts adds nothing to them */
static int64_t piece(int64_t bytes, double f0, double f1, const burst *bu)
{
    if (bytes <= 0) /* also what the rounding below gives for 0 */
        return 0;
    int64_t b = bu->b;
    double q0 = (double)bytes * f0, q1 = (double)bytes * f1;
    int64_t a = round_nonneg(bu->inv > 0 ? q0 * bu->inv : q0 / (double)b) * b;
    int64_t z = round_nonneg(bu->inv > 0 ? q1 * bu->inv : q1 / (double)b) * b;
    if (f1 >= 1 || z > bytes)
        z = bytes;
    if (a > bytes)
        a = bytes;
    return z - a;
}

/* One job of a stage: the fraction [f0, f1) of its work; bu[m] the bursts of DRAM and SRAM. */
static int stage_job(const npu_rknpu_units *u, const npu_rknpu_flow *f, const npu_rknpu_stage *st,
                     const burst *bu, double f0, double f1, int wait, int sig, int64_t onchip,
                     npu_job *j, npu_err *err)
{
    npu_job_init(j, u->unit[st->blk], f->layer, st->label);
    j->mode = NPU_JOB_STREAM;
    j->cycles = st->cycles * (f1 - f0);
    j->onchip_bytes = onchip;
    for (int m = 0; m < 2; m++) {
        int port = m ? NPU_PORT_SRAM : NPU_PORT_DRAM;
        if (!st->rd[m] && !st->wr[m])
            continue;
        if (npu_job_xfer(j, port, false, piece(st->rd[m], f0, f1, &bu[m]), 0, err) ||
            npu_job_xfer(j, port, true, piece(st->wr[m], f0, f1, &bu[m]), 0, err))
            return err->code;
    }
    /* a later part of a stage continues the stream its first part opened: the port's request
     * latency is paid once per stage, not once per part */
    for (int k = 0; k < j->nxfer; k++)
        j->xfer[k].cont = f0 > 0;
    if ((wait >= 0 && npu_job_wait(j, wait, 1, err)) ||
        (sig >= 0 && npu_job_signal(j, sig, 1, err)))
        return err->code;
    return 0;
}

/* The end of the task on its last job; what does not fit on it goes on jobs of no time that
 * follow it on the same unit. */
static int end_task(npu_engine *e, const npu_rknpu_units *u, const npu_rknpu_flow *f, npu_job *j,
                    npu_err *err)
{
    npu_syncop all[NPU_RKNPU_MAX_ENDSIG + 1];
    int n = 0;
    all[n++] = (npu_syncop){u->idle, 1};
    for (int k = 0; k < f->nend && n < NPU_RKNPU_MAX_ENDSIG + 1; k++)
        all[n++] = f->endsig[k];
    for (int k = 0; k < n; k++) {
        if (j->nsig == NPU_JOB_MAX_SYNC) {
            if (npu_engine_submit_in_range(e, j, err))
                return err->code;
            npu_job_init(j, j->unit, f->layer, "task end");
        }
        if (npu_job_signal(j, all[k].sync, all[k].n, err))
            return err->code;
    }
    return npu_engine_submit_in_range(e, j, err);
}

int npu_rknpu_flow_submit(npu_engine *e, const npu_rknpu_units *u, const npu_rknpu_flow *f,
                          npu_err *err)
{
    if (f->nst < 1 || f->nst > NPU_RKNPU_MAX_STAGES)
        return npu_err_set(err, NPU_ESIM, "rknpu: a task of %d stages", f->nst);
    double g = f->parts > 1 ? (double)f->parts : 1;
    burst bu[2] = {port_burst(e, NPU_PORT_DRAM), port_burst(e, NPU_PORT_SRAM)};
    for (int s = 0; s < f->nst; s++) {
        const npu_rknpu_stage *st = &f->st[s];
        bool link = s > 0 && st->blk != f->st[s - 1].blk; /* else the unit's FIFO orders it */
        bool last = s + 1 == f->nst;
        bool handoff = !last && f->st[s + 1].blk != st->blk;
        int next = handoff ? f->st[s + 1].blk : 0;
        bool whole = st->full || g == 1; /* starts once the previous stage has ended */
        bool head_sig = handoff && g > 1 && !f->st[s + 1].full;
        int wait_a = s == 0  ? u->go[st->blk]
                     : !link ? -1
                     : whole ? u->end[st->blk]
                             : u->head[st->blk];
        int wait_c = link && !whole ? u->end[st->blk] : -1;
        int sig_end = handoff ? u->end[next] : -1;
        /* the parts [0, 1/g), [1/g, 1 - 1/g), [1 - 1/g, 1): the head, the body, the last;
         * a head nobody waits for joins the body, a last part with no wait of its own too */
        double cut[4] = {0, 1 / g, 1 - 1 / g, 1};
        int njob = 0;
        double from[3], to[3];
        int waits[3], sigs[3];
        if (g == 1) {
            from[0] = 0, to[0] = 1, waits[0] = wait_a, sigs[0] = sig_end, njob = 1;
        } else {
            int k0 = 0;
            if (head_sig) {
                from[njob] = 0, to[njob] = cut[1], waits[njob] = wait_a, sigs[njob] = u->head[next];
                njob++, k0 = 1;
            }
            if (wait_c >= 0) {
                if (cut[2] > cut[k0]) {
                    from[njob] = cut[k0], to[njob] = cut[2];
                    waits[njob] = k0 ? -1 : wait_a, sigs[njob] = -1, njob++;
                }
                from[njob] = cut[2], to[njob] = 1, waits[njob] = wait_c, sigs[njob] = sig_end;
                njob++;
            } else {
                from[njob] = cut[k0], to[njob] = 1, waits[njob] = k0 ? -1 : wait_a;
                sigs[njob] = sig_end, njob++;
            }
        }
        for (int k = 0; k < njob; k++) {
            npu_job j;
            if (stage_job(u, f, st, bu, from[k], to[k], waits[k], sigs[k],
                          s == 0 && k == 0 ? f->onchip_bytes : 0, &j, err))
                return err->code;
            if (last && k == njob - 1)
                return end_task(e, u, f, &j, err);
            if (npu_engine_submit_in_range(e, &j, err))
                return err->code;
        }
    }
    return 0;
}
