/* timing.c — executing a systolic program on the engine (prefix npu_systolic_).
 *
 * Hardware (all units in the array clock):
 *   array       the R×C PE array (COMPUTE, one fold at a time)
 *   wload       shifts the next stationary tile (WS: weights, IS: ifmap) into the PEs: R
 *               cycles per fold (DMA-like: the array waiting on it is a data stall)
 *   ifmap_dma   operand loaders filling the double-buffered SRAM halves from DRAM
 *   filter_dma  (DMA, each capped at dma_bytes per cycle)
 *   ofmap_dma   drains finished ofmap halves to DRAM (ofmap_dma_bytes per cycle)
 *   vector      non-MAC layers, vector_lanes elements per cycle, streaming through DRAM
 * Syncs: for each SRAM a "free" semaphore of 2 (its halves) and a "full" semaphore counting
 * loaded halves; wreg_free (weight_buffers register sets) / wreg_full between wload and the
 * array; one "done" semaphore per layer, signalled once per consumer layer.
 *
 * fidelity=detailed, per fold (research/peers.md §2.4 for the array terms):
 *   loaders:  wait a free half (or nothing: a reused or resident operand), read the tile's
 *             bytes from DRAM, mark the half full;
 *   wload:    (WS/IS) wait the stationary tile and a free register set, R cycles, free the
 *             SRAM half; with two register sets this runs while the previous fold computes
 *             (TPU v1), with one it cannot start before the previous fold ended — exactly
 *             SCALE-Sim's 2R + C + T - 2 per fold;
 *   array:    wait its operands (and a free ofmap half when it opens one); busy T + R + C - 2
 *             cycles (input skew, T streamed rows, drain; T is a segment of the layer's T
 *             when lower.c cut it so partial sums fit); tiles that do not fit a half are
 *             streamed from DRAM during the fold (STREAM job: compute and transfer overlap);
 *   ofmap:    a finished ofmap half is drained to DRAM by the ofmap DMA, which frees it.
 *   Memory stalls appear wherever a loader or the DRAM port cannot keep up.
 *   Consecutive identical folds are handled in groups that fill one SRAM half (as many tiles
 *   as fit, at least one): one load, one array job, one drain per group. A DMA fills a half
 *   with one long transfer rather than one per tiny tile, and it keeps the number of jobs of
 *   layers with thousands of small folds (M = 1 matmuls, depthwise convs) low.
 * fidelity=scalesim: one array job per layer of exactly SCALE-Sim v2's stall-free cycles,
 *   nsub × (F · per-fold(T) − 1) (a depthwise layer is nsub SCALE-Sim layers). SCALE-Sim's
 *   CALC mode does not time memory. The engine has no untimed DRAM transfer (a transfer on
 *   the DRAM port takes time; bytes on another port are reported as on-chip), so the DRAM
 *   bytes the plan would move are reported in the extra columns calc_dram_rd/calc_dram_wr
 *   and the array-side SRAM traffic in onchip_bytes.
 * Layers wait for their producers' "done" (zero-cycle gate jobs on the unit that first reads
 * the input), so independent layers (SCALE-Sim topologies) overlap where the units allow.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "systolic.h"

/* Jobs queued at least per window (pass 2), and the units windows are kept for: array, wload,
 * ifmap_dma, filter_dma, ofmap_dma, vector, sched and the host's cpu0 (CPU operators). */
enum { WIN_JOBS = 256, NWIN_UNITS = 8 };

typedef struct sys_exec {
    npu_engine *e;
    npu_err *err;
    npu_systolic_state *s; /* also holds x (freed with the last window, or by the model) */
    const npu_program *p;
    int clk;
    int u_array, u_wload, u_ifl, u_fll, u_ofd, u_vec, u_sched;
    int if_free, if_full, fl_free, fl_full, of_free, of_full, wr_free, wr_full;
    int go_arr, go_fl, host_go;
    int *done;            /* per program layer */
    int32_t *pend;        /* producers from WAIT records, for the next layer record */
    size_t npend, cpend;
    int col_folds, col_rif, col_rfl, col_crd, col_cwr;
    /* windows (below): pass 0 = everything queued in one go (a workload frame); 1 = the
     * program checked and the columns added, nothing queued; 2 = queued from the cursor */
    int pass;
    size_t pos;             /* the cursor: next instruction                              */
    struct {                /* the MAC layer whose fold groups are being queued          */
        bool on, gated, arr_in;
        int layer;
        const npu_sys_layer *L;
        size_t a, b, i;     /* its FOLD records [a, b), the current one                */
        int64_t sub, c;     /* sub-problem, folds of record i done                      */
        bool first_fold;
    } ml;
    int unit[NWIN_UNITS];   /* the units jobs go to (array ... cpu0)                    */
    bool used[NWIN_UNITS];  /* pass 1: the program queues a job on it                   */
    int64_t sent[NWIN_UNITS], nsent; /* pass 2: jobs queued, per unit and in all       */
    npu_err cb_err;         /* errors while a window is queued (the run then stops)      */
} sys_exec;

void npu_systolic_exec_free(npu_systolic_state *s)
{
    sys_exec *x = s->x;
    if (!x)
        return;
    free(x->done);
    free(x->pend);
    free(x);
    s->x = NULL;
}

static int unit_slot(const sys_exec *x, int unit)
{
    for (int k = 0; k < NWIN_UNITS; k++)
        if (x->unit[k] == unit)
            return k;
    return -1;
}

static int submit(sys_exec *x, const npu_job *j)
{
    int k = unit_slot(x, j->unit);
    if (x->pass == 1) {
        if (k >= 0)
            x->used[k] = true;
        return 0;
    }
    if (x->pass == 2 && k >= 0)
        x->sent[k]++, x->nsent++;
    /* units and syncs are the engine's (execute() checks them; the CPU unit may be -1), the
     * layers and the producers were checked: the engine's check only for what a program could
     * make absurd (npu_job_in_range) */
    return npu_engine_submit_in_range(x->e, j, x->err);
}

/* Producers of the next layer record: the pending WAIT list plus the record's own deps. */
static int collect_deps(sys_exec *x, int n, const int32_t *deps, int layer)
{
    for (int k = 0; k < n && k < NPU_SYS_MAX_DEPS; k++) {
        if (npu_grow((void **)&x->pend, &x->cpend, x->npend + 1, sizeof *x->pend))
            return npu_err_set(x->err, NPU_ENOMEM, "systolic: out of memory");
        x->pend[x->npend++] = deps[k];
    }
    for (size_t k = 0; k < x->npend; k++)
        if (x->pend[k] < 0 || x->pend[k] >= layer)
            return npu_err_set(x->err, NPU_EFORMAT, "systolic program: layer %d waits for "
                               "layer %" PRId32 ", which does not come before it", layer,
                               x->pend[k]);
    return 0;
}

/* Zero-cycle jobs on `unit` that wait for every pending producer (4 per job); the last one
 * signals `sig` (when >= 0). With no producer and no signal nothing is submitted. */
static int gate(sys_exec *x, int unit, int layer, int sig1, int sig2)
{
    size_t k = 0;
    do {
        npu_job j;
        npu_job_init(&j, unit, layer, "gate");
        for (; k < x->npend && j.nwait < NPU_JOB_MAX_SYNC; k++)
            if (npu_job_wait(&j, x->done[x->pend[k]], 1, x->err))
                return x->err ? x->err->code : NPU_ESIM;
        if (k >= x->npend) {
            if (sig1 >= 0)
                npu_job_signal(&j, sig1, 1, x->err);
            if (sig2 >= 0)
                npu_job_signal(&j, sig2, 1, x->err);
        }
        if ((j.nwait || j.nsig) && submit(x, &j))
            return x->err ? x->err->code : NPU_ESIM;
    } while (k < x->npend);
    x->npend = 0;
    return 0;
}

/* SCALE-Sim's stall-free cycles of one sub-problem: F folds of the full T (SCALE-Sim never cuts
 * T; partial folds cost the full R and C terms) minus one. */
static int64_t scalesim_sub_cycles(const npu_sys_layer *L)
{
    return L->row_folds * L->col_folds *
               npu_systolic_fold_cycles(L->dataflow, L->rows, L->cols, L->t) - 1;
}

static bool is_load(int ld) { return ld == NPU_SYS_LD_PREFETCH || ld == NPU_SYS_LD_RESIDENT; }

/* A loader job for one operand of one fold. */
static int load(sys_exec *x, int unit, int free_s, int full_s, int ld, int64_t bytes, bool first,
                int layer, const char *label)
{
    npu_job j;
    npu_job_init(&j, unit, layer, label);
    /* A resident operand takes one half for the whole sub-problem: only its first chunk waits
     * for the half; the later chunks fill the same half. */
    if (ld == NPU_SYS_LD_PREFETCH || first)
        npu_job_wait(&j, free_s, 1, x->err);
    npu_job_xfer(&j, NPU_PORT_DRAM, false, bytes, 0, x->err);
    npu_job_signal(&j, full_s, 1, x->err);
    return submit(x, &j);
}

/* Pre-run work estimate (issue 16): the fold groups exec_mac_detailed will submit, each an
 * array job plus up to four loads, preloads and drains, summed over the program (saturating).
 * Records that are not valid count nothing here; exec_layer reports them. */
static int64_t planned_groups(const npu_program *p)
{
    const npu_sys_layer *L = NULL;
    int64_t total = 0;
    for (size_t i = 0; i < p->n && total < INT64_MAX / 2; i++) {
        if (p->ins[i].op == NPU_SYS_OP_LAYER) {
            L = npu_sys_payload(p, i, NPU_SYS_OP_LAYER, sizeof *L);
            if (L && (L->nsub < 1 || L->nsub > ((int64_t)1 << 26)))
                L = NULL;
            continue;
        }
        const npu_sys_fold *f = p->ins[i].op == NPU_SYS_OP_FOLD && L
                                    ? npu_sys_payload(p, i, NPU_SYS_OP_FOLD, sizeof *f)
                                    : NULL;
        if (!f || f->count < 1 || f->count > ((int64_t)1 << 40))
            continue;
        total += npu_systolic_fold_groups(L, f);
    }
    return total;
}

/* A MAC layer's gates; its fold groups follow, one per mac_group(). */
static int mac_begin(sys_exec *x, int layer, const npu_sys_layer *L, size_t a, size_t b)
{
    const npu_program *p = x->p;
    const bool stat = L->dataflow != NPU_SYS_DF_OS;
    bool arr_in = false, fl_ld = false;
    for (size_t i = a; i < b; i++) {
        const npu_sys_fold *f = npu_prog_payload(p, i);
        arr_in |= f->ifmap_ld == NPU_SYS_LD_STREAM;
        if (!(L->flags & NPU_SYS_LF_CONST_B)) {
            arr_in |= f->filter_ld == NPU_SYS_LD_STREAM;
            fl_ld |= is_load(f->filter_ld);
        }
        if (x->pass == 1) { /* the units its fold groups will use */
            x->used[0] = true;
            x->used[1] |= stat;
            x->used[2] |= is_load(f->ifmap_ld);
            x->used[3] |= is_load(f->filter_ld);
            x->used[4] |= (f->flags & NPU_SYS_FF_OFMAP_DRAIN) != 0;
        }
    }
    bool gated = x->npend > 0;
    if (gated) {
        if (gate(x, x->u_ifl, layer, arr_in ? x->go_arr : -1, fl_ld ? x->go_fl : -1))
            return x->err->code;
        if (fl_ld) {
            npu_job j;
            npu_job_init(&j, x->u_fll, layer, "gate");
            npu_job_wait(&j, x->go_fl, 1, x->err);
            if (submit(x, &j))
                return x->err->code;
        }
    }
    x->ml.on = x->pass != 1; /* pass 1 checks records, it queues no fold group */
    x->ml.gated = gated;
    x->ml.arr_in = arr_in;
    x->ml.layer = layer;
    x->ml.L = L;
    x->ml.a = x->ml.i = a;
    x->ml.b = b;
    x->ml.sub = x->ml.c = 0;
    x->ml.first_fold = true;
    return 0;
}

/* The next group of g identical folds of the MAC layer: one tile load per operand, one
 * preload, one array job, one drain. */
static int mac_group(sys_exec *x)
{
    const npu_program *p = x->p;
    const npu_sys_layer *L = x->ml.L;
    const int layer = x->ml.layer;
    const int df = L->dataflow;
    const bool stat = df != NPU_SYS_DF_OS;
    const bool st_if = df == NPU_SYS_DF_IS; /* the stationary operand is the ifmap */
    const double R = (double)L->rows, C = (double)L->cols;
    const int64_t nr = L->row_folds;
    const size_t a = x->ml.a, b = x->ml.b, i = x->ml.i;
    const int64_t sub = x->ml.sub, c = x->ml.c;
    const bool gated = x->ml.gated, arr_in = x->ml.arr_in;
    const npu_sys_fold *f = npu_prog_payload(p, i);
    const int64_t lin0 = (f->col_fold * L->nseg + f->seg) * nr + f->row_fold;
    /* the first fold of a sub-problem goes alone, so the pipeline starts after one tile, not
     * after a whole half */
    int64_t g = (i == a && c == 0) ? 1 : npu_systolic_group_size(L, f, f->count - c);
    double gd = (double)g;
    bool last = sub == L->nsub - 1 && i == b - 1 && c + g == f->count;
    bool first_chunk = lin0 + c == 0; /* fold (0,0): takes the resident half */
    if (is_load(f->ifmap_ld) &&
        load(x, x->u_ifl, x->if_free, x->if_full, f->ifmap_ld, f->ifmap_bytes * g, first_chunk,
             layer, "ifmap"))
        return x->err->code;
    if (is_load(f->filter_ld) &&
        load(x, x->u_fll, x->fl_free, x->fl_full, f->filter_ld, f->filter_bytes * g,
             first_chunk, layer, "filter"))
        return x->err->code;
    if (stat) {
        /* shift the stationary tile into a free register set; with two sets the preloads of
         * the group's later folds hide behind its earlier folds */
        npu_job w;
        npu_job_init(&w, x->u_wload, layer, "preload");
        npu_job_wait(&w, st_if ? x->if_full : x->fl_full, 1, x->err);
        npu_job_wait(&w, x->wr_free, 1, x->err);
        w.cycles = R;
        npu_job_signal(&w, st_if ? x->if_free : x->fl_free, 1, x->err);
        npu_job_signal(&w, x->wr_full, 1, x->err);
        if (submit(x, &w))
            return x->err->code;
    }
    npu_job j;
    npu_job_init(&j, x->u_array, layer, "fold");
    j.cycles = gd * ((double)f->t + R + C - 2);
    if (stat && x->s->weight_buffers < 2)
        j.cycles += (gd - 1) * R; /* later preloads of the group not hidden */
    j.onchip_bytes = f->onchip_bytes * g;
    if (stat)
        npu_job_wait(&j, x->wr_full, 1, x->err);
    if (!st_if && is_load(f->ifmap_ld))
        npu_job_wait(&j, x->if_full, 1, x->err);
    if (!(stat && !st_if) && is_load(f->filter_ld))
        npu_job_wait(&j, x->fl_full, 1, x->err);
    if (f->flags & NPU_SYS_FF_OFMAP_OPEN)
        npu_job_wait(&j, x->of_free, 1, x->err);
    if (gated && arr_in && x->ml.first_fold)
        npu_job_wait(&j, x->go_arr, 1, x->err);
    x->ml.first_fold = false;
    if (f->ifmap_ld == NPU_SYS_LD_STREAM)
        npu_job_xfer(&j, NPU_PORT_DRAM, false, f->ifmap_bytes * g, 0, x->err);
    if (f->filter_ld == NPU_SYS_LD_STREAM)
        npu_job_xfer(&j, NPU_PORT_DRAM, false, f->filter_bytes * g, 0, x->err);
    if (f->flags & NPU_SYS_FF_OFMAP_STREAM) {
        npu_job_xfer(&j, NPU_PORT_DRAM, false, f->ofmap_rd_bytes * g, 0, x->err);
        npu_job_xfer(&j, NPU_PORT_DRAM, true, f->ofmap_wr_bytes * g, 0, x->err);
    }
    if (j.nxfer)
        j.mode = NPU_JOB_STREAM;
    if (stat)
        npu_job_signal(&j, x->wr_free, 1, x->err);
    if (!st_if && (f->flags & NPU_SYS_FF_IFMAP_RELEASE))
        npu_job_signal(&j, x->if_free, 1, x->err);
    if (!(stat && !st_if) && (f->flags & NPU_SYS_FF_FILTER_RELEASE))
        npu_job_signal(&j, x->fl_free, 1, x->err);
    bool drain = (f->flags & NPU_SYS_FF_OFMAP_DRAIN) != 0;
    if (drain)
        npu_job_signal(&j, x->of_full, 1, x->err);
    if (last && !drain)
        npu_job_signal(&j, x->done[layer], L->consumers, x->err);
    if (submit(x, &j))
        return x->err->code;
    if (drain) {
        npu_job d;
        npu_job_init(&d, x->u_ofd, layer, "drain");
        npu_job_wait(&d, x->of_full, 1, x->err);
        npu_job_xfer(&d, NPU_PORT_DRAM, true, f->ofmap_wr_bytes * g, 0, x->err);
        npu_job_signal(&d, x->of_free, 1, x->err);
        if (last)
            npu_job_signal(&d, x->done[layer], L->consumers, x->err);
        if (submit(x, &d))
            return x->err->code;
    }
    /* on to the next group: this record's later folds, the next record, the next
     * sub-problem */
    x->ml.c = c + g;
    if (x->ml.c >= f->count) {
        x->ml.c = 0;
        if (++x->ml.i == b) {
            x->ml.i = a;
            if (++x->ml.sub == L->nsub)
                x->ml.on = false;
        }
    }
    return 0;
}

static int exec_mac_scalesim(sys_exec *x, int layer, const npu_sys_layer *L)
{
    /* Producers beyond what fits on the job itself wait on zero-cycle jobs before it. */
    npu_job j;
    npu_job_init(&j, x->u_array, layer, "layer");
    /* Many producers: zero-cycle gate jobs on the (in-order) array before the layer job. */
    if (x->npend > NPU_JOB_MAX_SYNC && gate(x, x->u_array, layer, -1, -1))
        return x->err->code;
    for (size_t k = 0; k < x->npend; k++)
        npu_job_wait(&j, x->done[x->pend[k]], 1, x->err);
    x->npend = 0;
    int64_t per_sub = scalesim_sub_cycles(L);
    j.cycles = (double)(L->nsub * per_sub);
    int64_t onchip = L->sram_ifmap_rd + L->sram_filter_rd + L->sram_ofmap_wr;
    j.onchip_bytes = onchip;
    /* Not timed (SCALE-Sim CALC); the engine has no untimed DRAM transfer, so the planned
     * DRAM bytes are reported in the extra columns calc_dram_rd / calc_dram_wr. */
    if (x->col_crd >= 0 && x->pass != 2)
        npu_engine_add_extra(x->e, layer, x->col_crd,
                             (double)(L->dram_ifmap_rd + L->dram_filter_rd + L->dram_ofmap_rd));
    if (x->col_cwr >= 0 && x->pass != 2)
        npu_engine_add_extra(x->e, layer, x->col_cwr, (double)L->dram_ofmap_wr);
    npu_job_signal(&j, x->done[layer], L->consumers, x->err);
    return submit(x, &j);
}

static int exec_layer(sys_exec *x, size_t *ip)
{
    const npu_program *p = x->p;
    size_t i0 = *ip;
    int layer = p->ins[i0].layer;
    const npu_sys_layer *L = npu_sys_payload(p, i0, NPU_SYS_OP_LAYER, sizeof *L);
    if (!L)
        return npu_err_set(x->err, NPU_EFORMAT, "systolic program: instruction %zu: bad LAYER "
                           "record", i0);
    if ((int64_t)L->rows != x->s->rows || (int64_t)L->cols != x->s->cols ||
        L->dataflow != x->s->dataflow)
        return npu_err_set(x->err, NPU_EINVAL, "systolic program: layer %d was lowered for a "
                           "%" PRIu32 "x%" PRIu32 " %s array, the model is %" PRId64 "x%" PRId64
                           " %s", layer, L->rows, L->cols, npu_sys_dataflow_name(L->dataflow),
                           x->s->rows, x->s->cols, npu_sys_dataflow_name(x->s->dataflow));
    if (L->nsub < 1 || L->rows < 1 || L->cols < 1 || L->ndeps > NPU_SYS_MAX_DEPS ||
        L->nseg < 1 || L->t < 1 || L->row_folds < 1 || L->col_folds < 1 ||
        L->row_folds > ((int64_t)1 << 26) || L->col_folds > ((int64_t)1 << 26) ||
        L->t > ((int64_t)1 << 50) || L->nsub > ((int64_t)1 << 26))
        return npu_err_set(x->err, NPU_EFORMAT, "systolic program: instruction %zu: bad LAYER "
                           "record", i0);
    size_t b = i0 + 1;
    int64_t folds = 0;
    while (b < p->n && p->ins[b].op == NPU_SYS_OP_FOLD && p->ins[b].layer == layer) {
        const npu_sys_fold *f = npu_sys_payload(p, b, NPU_SYS_OP_FOLD, sizeof *f);
        if (!f || f->count < 1 || f->t < 1 || f->row_fold < 0 || f->col_fold < 0 ||
            f->ifmap_ld > NPU_SYS_LD_STREAM || f->filter_ld > NPU_SYS_LD_STREAM ||
            f->ifmap_bytes < 0 || f->filter_bytes < 0 || f->ofmap_wr_bytes < 0 ||
            f->ofmap_rd_bytes < 0 || f->t > ((int64_t)1 << 50) || f->count > ((int64_t)1 << 40))
            return npu_err_set(x->err, NPU_EFORMAT, "systolic program: instruction %zu: bad "
                               "FOLD record", b);
        folds += f->count;
        b++;
    }
    if (b == i0 + 1)
        return npu_err_set(x->err, NPU_EFORMAT, "systolic program: layer %d has no folds",
                           layer);
    if (collect_deps(x, L->ndeps, L->deps, layer))
        return x->err->code;
    npu_engine_set_main_unit(x->e, layer, x->u_array);
    if (x->col_folds >= 0 && x->pass != 2)
        npu_engine_add_extra(x->e, layer, x->col_folds, (double)(folds * L->nsub));
    if (x->col_rif >= 0 && L->ifmap_bytes > 0 && x->pass != 2)
        npu_engine_add_extra(x->e, layer, x->col_rif,
                             (double)L->dram_ifmap_rd / (double)(L->ifmap_bytes * L->nsub));
    if (x->col_rfl >= 0 && L->filter_bytes > 0 && x->pass != 2)
        npu_engine_add_extra(x->e, layer, x->col_rfl,
                             (double)L->dram_filter_rd / (double)(L->filter_bytes * L->nsub));
    *ip = b;
    if (x->s->fidelity == NPU_SYSTOLIC_FID_SCALESIM)
        return exec_mac_scalesim(x, layer, L);
    return mac_begin(x, layer, L, i0 + 1, b);
}

static int exec_vector(sys_exec *x, size_t i)
{
    int layer = x->p->ins[i].layer;
    const npu_sys_vector *v = npu_sys_payload(x->p, i, NPU_SYS_OP_VECTOR, sizeof *v);
    if (!v || v->ndeps > NPU_SYS_MAX_DEPS || v->elems < 0 || v->rd_bytes < 0 || v->wr_bytes < 0)
        return npu_err_set(x->err, NPU_EFORMAT, "systolic program: instruction %zu: bad VECTOR "
                           "record", i);
    if (collect_deps(x, v->ndeps, v->deps, layer))
        return x->err->code;
    if (x->npend > NPU_JOB_MAX_SYNC && gate(x, x->u_vec, layer, -1, -1))
        return x->err->code;
    npu_job j;
    npu_job_init(&j, x->u_vec, layer, v->kind == 1 ? "view" : "vector");
    for (size_t k = 0; k < x->npend; k++)
        npu_job_wait(&j, x->done[x->pend[k]], 1, x->err);
    x->npend = 0;
    if (v->kind != 1) {
        j.cycles = ceil((double)v->elems / (double)x->s->vector_lanes);
        npu_job_xfer(&j, NPU_PORT_DRAM, false, v->rd_bytes, 0, x->err);
        npu_job_xfer(&j, NPU_PORT_DRAM, true, v->wr_bytes, 0, x->err);
        if (j.nxfer)
            j.mode = NPU_JOB_STREAM;
    }
    npu_job_signal(&j, x->done[layer], v->consumers, x->err);
    npu_engine_set_main_unit(x->e, layer, x->u_vec);
    return submit(x, &j);
}

static int exec_host(sys_exec *x, size_t i)
{
    int layer = x->p->ins[i].layer;
    const npu_sys_host *h = npu_sys_payload(x->p, i, NPU_SYS_OP_HOST, sizeof *h);
    if (!h || h->ndeps > NPU_SYS_MAX_DEPS || h->opclass >= NPU_OPC_COUNT ||
        h->op >= NPU_OP_COUNT || h->macs < 0 || h->elems < 0 || h->rd_bytes < 0 ||
        h->wr_bytes < 0)
        return npu_err_set(x->err, NPU_EFORMAT, "systolic program: instruction %zu: bad HOST "
                           "record", i);
    if (collect_deps(x, h->ndeps, h->deps, layer))
        return x->err->code;
    /* the shared host record's fields (isa/program.h), in this ISA's older layout */
    const npu_prog_host ph = {.opclass = h->opclass, .op = h->op, .macs = h->macs,
                              .elems = h->elems, .rd_bytes = h->rd_bytes, .wr_bytes = h->wr_bytes};
    npu_host_op o;
    npu_host_op_from(&o, &ph, layer);
    if (x->npend == 1) {
        o.wait.sync = x->done[x->pend[0]];
        o.wait.n = 1;
        x->npend = 0;
    } else if (x->npend > 1) {
        if (gate(x, x->u_sched, layer, x->host_go, -1))
            return x->err->code;
        o.wait.sync = x->host_go;
        o.wait.n = 1;
    }
    if (h->consumers) {
        o.sig.sync = x->done[layer];
        o.sig.n = h->consumers;
    }
    int k = NWIN_UNITS - 1; /* cpu0 */
    if (x->pass == 1)
        return x->used[k] = true, 0;
    if (x->pass == 2)
        x->sent[k]++, x->nsent++;
    return npu_host_run_op(x->e, &o, x->err);
}

/* One step of the program: the next fold group of the MAC layer being queued, else the next
 * instruction (a LAYER record opens its fold groups). */
static int step(sys_exec *x)
{
    if (x->ml.on)
        return mac_group(x);
    const npu_program *p = x->p;
    size_t i = x->pos;
    const npu_instr *in = &p->ins[i];
    npu_err *err = x->err;
    int rc = 0;
    if (in->layer < 0 || in->layer >= p->nlayers)
        return npu_err_set(err, NPU_EFORMAT, "systolic program: instruction %zu names layer "
                           "%" PRId32 " of %d", i, in->layer, p->nlayers);
    switch (in->op) {
    case NPU_SYS_OP_LAYER:
        return exec_layer(x, &x->pos);
    case NPU_SYS_OP_VECTOR:
        rc = exec_vector(x, i);
        break;
    case NPU_SYS_OP_HOST:
        rc = exec_host(x, i);
        break;
    case NPU_SYS_OP_WAIT: {
        const npu_sys_wait *w = npu_sys_payload(p, i, NPU_SYS_OP_WAIT, sizeof *w);
        if (!w || w->ndeps > NPU_SYS_MAX_DEPS)
            rc = npu_err_set(err, NPU_EFORMAT, "systolic program: instruction %zu: bad WAIT "
                             "record", i);
        else
            rc = collect_deps(x, (int)w->ndeps, w->deps, in->layer);
        break;
    }
    case NPU_SYS_OP_FOLD:
        rc = npu_err_set(err, NPU_EFORMAT, "systolic program: instruction %zu: FOLD without "
                         "its LAYER record", i);
        break;
    default:
        rc = npu_err_set(err, NPU_EFORMAT, "systolic program: instruction %zu: unknown opcode "
                         "%u", i, (unsigned)in->op);
        break;
    }
    x->pos++;
    return rc;
}

/* ---- windows ------------------------------------------------------------------------------------
 * A 2048-token LLM prefill is ~2 M jobs; queued before the run they took 380 MiB. Outside a
 * workload, execute() checks the whole program first (pass 1: every error a bad program
 * gives, the per-layer columns, which units it uses) and then queues jobs in program order
 * from a cursor (pass 2): a first window that reaches a job of every unit the program uses,
 * then, whenever one of those units is found with nothing queued (npu_engine_on_empty: at once
 * when its last queued job starts), up to and including its next job and at least WIN_JOBS.
 * So a unit with jobs left in the program always has one queued, a job queued later is never
 * at the head of its unit's queue when queued — except the next job of the unit that ran dry,
 * which is checked where it would have been — and every unit takes the same jobs in the same
 * order at the same moments as with the whole program queued up front: the run is the same. */
static int win_cb(npu_engine *e, void *ud, int unit);

/* Queues from the cursor until unit slot k (-1: every used unit) has a job queued and at
 * least WIN_JOBS were queued, or the program ends; at its end the hooks go and x is freed. */
static int win_fill(sys_exec *x, int k)
{
    int64_t n0 = x->nsent, s0 = k >= 0 ? x->sent[k] : 0;
    for (;;) {
        bool more = x->pos < x->p->n || x->ml.on;
        bool have = k >= 0 ? x->sent[k] > s0 : true;
        for (int u = 0; k < 0 && u < NWIN_UNITS; u++)
            have &= !x->used[u] || x->sent[u] > 0;
        if (!more || (have && x->nsent - n0 >= WIN_JOBS))
            break;
        if (step(x))
            return x->err->code;
    }
    bool end = x->pos >= x->p->n && !x->ml.on;
    for (int u = 0; u < NWIN_UNITS; u++)
        if (x->used[u] && x->unit[u] >= 0)
            npu_engine_on_empty(x->e, x->unit[u], end ? NULL : win_cb, end ? NULL : x);
    if (end)
        npu_systolic_exec_free(x->s);
    return 0;
}

static int win_cb(npu_engine *e, void *ud, int unit)
{
    (void)e;
    sys_exec *x = ud;
    return win_fill(x, unit_slot(x, unit));
}

int npu_systolic_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err)
{
    npu_systolic_state *s = m->state;
    npu_systolic_exec_free(s);
    sys_exec *x = npu_calloc(1, sizeof *x);
    if (!x)
        return npu_err_set(err, NPU_ENOMEM, "systolic: out of memory");
    s->x = x;
    x->e = e;
    x->err = err;
    x->s = s;
    x->p = p;
    int rc = 0;
    x->clk = npu_engine_clock(e, "core", s->freq_mhz);
    if (x->clk < 0)
        return npu_err_set(err, NPU_ESIM, "systolic: cannot create the core clock");
    npu_engine_set_core_clock(e, x->clk);
    x->u_array = npu_engine_unit(e, "array", NPU_UK_COMPUTE, x->clk, 1, s->dma_bytes);
    x->u_wload = npu_engine_unit(e, "wload", NPU_UK_DMA, x->clk, 1, 0);
    x->u_ifl = npu_engine_unit(e, "ifmap_dma", NPU_UK_DMA, x->clk, 1, s->dma_bytes);
    x->u_fll = npu_engine_unit(e, "filter_dma", NPU_UK_DMA, x->clk, 1, s->dma_bytes);
    x->u_ofd = npu_engine_unit(e, "ofmap_dma", NPU_UK_DMA, x->clk, 1, s->ofmap_dma_bytes);
    x->u_vec = npu_engine_unit(e, "vector", NPU_UK_COMPUTE, x->clk, 1,
                              (double)(s->vector_lanes * (s->word > 0 ? s->word : 2)));
    x->u_sched = npu_engine_unit(e, "sched", NPU_UK_CTRL, x->clk, 0, 0);
    if (x->u_array < 0 || x->u_wload < 0 || x->u_ifl < 0 || x->u_fll < 0 || x->u_ofd < 0 ||
        x->u_vec < 0 || x->u_sched < 0)
        return npu_err_set(err, NPU_ESIM, "systolic: cannot create the units");
    x->if_free = npu_engine_sync(e, "ifmap_free", 2);
    x->if_full = npu_engine_sync(e, "ifmap_full", 0);
    x->fl_free = npu_engine_sync(e, "filter_free", 2);
    x->fl_full = npu_engine_sync(e, "filter_full", 0);
    x->of_free = npu_engine_sync(e, "ofmap_free", 2);
    x->of_full = npu_engine_sync(e, "ofmap_full", 0);
    x->wr_free = npu_engine_sync(e, "wreg_free", s->weight_buffers);
    x->wr_full = npu_engine_sync(e, "wreg_full", 0);
    x->go_arr = npu_engine_sync(e, "array_go", 0);
    x->go_fl = npu_engine_sync(e, "filter_go", 0);
    x->host_go = npu_engine_sync(e, "host_go", 0);
    x->col_crd = x->col_cwr = -1;
    if (s->fidelity == NPU_SYSTOLIC_FID_SCALESIM) {
        x->col_crd = npu_engine_extra_col(e, "calc_dram_rd");
        x->col_cwr = npu_engine_extra_col(e, "calc_dram_wr");
    }
    for (int dt = 0; dt < NPU_DT_COUNT; dt++)
        npu_engine_set_peak(e, (npu_dtype)dt, (double)(s->rows * s->cols));
    x->col_folds = npu_engine_extra_col(e, "folds");
    x->col_rif = npu_engine_extra_col(e, "ifmap_refetch");
    x->col_rfl = npu_engine_extra_col(e, "filter_refetch");
    x->done = npu_calloc((size_t)(p->nlayers > 0 ? p->nlayers : 1), sizeof *x->done);
    if (!x->done)
        return npu_err_set(err, NPU_ENOMEM, "systolic: out of memory");
    for (int l = 0; l < p->nlayers; l++) {
        x->done[l] = npu_engine_sync(e, "layer_done", 0);
        if (x->done[l] < 0) {
            rc = npu_err_set(err, NPU_ESIM, "systolic: cannot create syncs");
            goto out;
        }
    }
    if (s->fidelity != NPU_SYSTOLIC_FID_SCALESIM) {
        int64_t groups = planned_groups(p);
        if (groups > NPU_SYS_MAX_RUN_GROUPS) {
            rc = npu_systolic_too_many_groups(groups, "systolic: this run", err);
            goto out;
        }
    }
    int units[NWIN_UNITS] = {x->u_array, x->u_wload, x->u_ifl, x->u_fll,
                             x->u_ofd,   x->u_vec,   x->u_sched, npu_host_cpu_unit(e, 0)};
    memcpy(x->unit, units, sizeof units);
    /* Windows outside a workload (a frame is queued whole, as before) */
    int scope = npu_engine_scope_set(e, 0);
    npu_engine_scope_set(e, scope);
    x->pass = scope == 0 ? 1 : 0;
    while (!rc && (x->pos < p->n || x->ml.on))
        rc = step(x);
    if (rc || x->pass == 0)
        goto out;
    /* pass 2: the first window reaches a job of every unit the program uses */
    x->pass = 2;
    x->pos = 0;
    x->npend = 0;
    x->err = &x->cb_err; /* execute() returns before the later windows are queued */
    if (win_fill(x, -1)) {
        *err = x->cb_err;
        return err->code;
    }
    return 0;
out:
    npu_systolic_exec_free(s);
    return rc;
}
