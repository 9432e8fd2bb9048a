/* workload.c — several workloads at once on one engine (npu_run_workloads; docs/workloads.md).
 *
 * Each workload is a graph lowered once with the architecture plus its own settings (a core
 * mask, a dtype), and run `count` times ("frames"). All frames of all workloads run on ONE
 * engine: the model's execute is called once per frame, inside a workload scope of the engine
 * (engine.h), at the moment the frame is released — so the frame's jobs join the shared units'
 * queues then, behind whatever other workloads queued before, as a driver's job queue would
 * take them. DRAM, SRAM, the CPU cores and the interrupt line are the engine's and so shared;
 * a model's hardware units are shared by name; its context units (runtime thread, job
 * bookkeeping) are per workload.
 *
 * A frame k of workload w is released when
 *   - it has arrived: at time 0 (back to back), at k/fps (periodic), or when frame k of its
 *     `after` workload ended (a pipeline);
 *   - frame k-1 of w has ended (one context runs one frame at a time, as rknn_run does);
 *   - w is a pipeline stage (sim/wlpipe.c) whose next stage has taken frame k-1 (one buffer
 *     between two stages).
 * Its latency is end − arrival; a periodic frame misses its deadline when it ends after the
 * next arrival (arrival + 1/fps). Periodic arrivals are jobs on an "arrivals" timer unit.
 *
 * Choices: several workloads on one chip only for models whose runtime bookkeeping is declared
 * per context (rknpu now; the others would couple workloads through shared bookkeeping units,
 * so two of theirs on one chip are refused rather than silently wrong). A card preset (chips,
 * link.*) binds each workload to a chip (its units and DRAM its own, engine.h) and moves each
 * frame's input and output over the card's one host link port, before and after its run. Per-workload settings may not touch the chip's shared groups
 * (dram.*, sram.*, host.*, mcu.*) nor the model's sizes that the engine would share.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npusim_int.h"

#include "../isa/program.h"
#include "../models/model.h"
#include "core/wlres.h"
#include "engine/engine.h"
#include "../traces/trace.h"
#include "wlpipe.h"

/* Models whose execute marks its per-context units (npu_engine_unit_ctx or HOST units). */
static const char *const multi_models[] = {"rknpu", NULL};

typedef struct frame {
    struct wrun *R;
    int w, k, scope;
    bool arrived, released, ended;
    npu_time t_arr, t_rel, t_exec, t_end; /* t_exec: its input is on the chip; t_end: output off */
} frame;

typedef struct wl {
    const npu_workload *spec;
    npu_arch *a;
    npu_model m;
    bool open;
    npu_program *prog;
    int after;  /* index, -1 */
    int next, prev; /* a pipeline's next / previous stage (index), -1 */
    int count;
    int chip;   /* card chip (chip=K, else workload index mod chips) */
    bool ctx_units; /* its model marks its per-context units (may share a chip) */
    int64_t in_bytes, out_bytes; /* one frame's graph inputs / outputs (over the link) */
    frame *f;   /* count frames */
} wl;

typedef struct wrun {
    npu_engine *e;
    const npu_wl_plan *plan; /* pipelined workloads as their stages (wlpipe.h) */
    wl *w;
    int n;
    int u_arr;   /* the arrivals timer unit, -1 until made */
    int chips;   /* card presets: chips, else 1 */
    int link;    /* the host link's port, -1 = none (not a card) */
    int *u_link; /* per chip: the link DMA unit its frames' transfers queue on */
    int *dram;   /* per chip: its DRAM port */
    npu_err err; /* the first error of a release inside the run */
} wrun;

static void try_release(wrun *R, int w, int k);
static void execute_frame(wrun *R, frame *F);
static void input_moved(npu_engine *e, void *ud, const npu_job *j)
{
    (void)e;
    (void)j;
    frame *F = ud;
    execute_frame(F->R, F);
}

/* A frame is over: its output is off the chip at t. What waited for it may go. */
static void frame_done(frame *F, npu_time t)
{
    wrun *R = F->R;
    F->ended = true;
    F->t_end = t;
    if (F->k + 1 < R->w[F->w].count)
        try_release(R, F->w, F->k + 1);
    for (int v = 0; v < R->n; v++)
        if (R->w[v].after == F->w && F->k < R->w[v].count) {
            frame *G = &R->w[v].f[F->k];
            if (!G->arrived) {
                G->arrived = true;
                G->t_arr = t;
            }
            try_release(R, v, F->k);
        }
}

static void output_moved(npu_engine *e, void *ud, const npu_job *j)
{
    (void)j;
    frame_done(ud, npu_engine_now(e));
}

/* Queues one frame's input (host -> chip) or output (chip -> host) on its chip's link unit,
 * outside any scope: the link is the card's, not the frame's model. */
static int link_move(wrun *R, frame *F, bool in, void (*done)(npu_engine *, void *,
                                                               const npu_job *))
{
    wl *W = &R->w[F->w];
    int prev = npu_engine_scope_set(R->e, 0);
    npu_job j;
    npu_job_init(&j, R->u_link[W->chip], -1, in ? "link in" : "link out");
    j.done = done;
    j.ud = F;
    int rc = npu_job_xfer(&j, R->link, in, in ? W->in_bytes : W->out_bytes, 0, &R->err);
    if (!rc)
        rc = npu_engine_submit(R->e, &j, &R->err);
    npu_engine_scope_set(R->e, prev);
    if (rc)
        npu_err_prefix(&R->err, "workload %s frame %d (host link)", W->spec->name, F->k);
    return rc;
}

static void frame_ended(npu_engine *e, void *ud, int scope)
{
    (void)scope;
    frame *F = ud;
    if (F->R->link >= 0)
        link_move(F->R, F, false, output_moved);
    else
        frame_done(F, npu_engine_scope_end(e, F->scope));
}

static void frame_arrived(npu_engine *e, void *ud, const npu_job *j)
{
    (void)e;
    (void)j;
    frame *F = ud;
    F->arrived = true;
    try_release(F->R, F->w, F->k);
}

static void try_release(wrun *R, int w, int k)
{
    wl *W = &R->w[w];
    frame *F = &W->f[k];
    if (R->err.code || F->released || !F->arrived || (k > 0 && !W->f[k - 1].ended))
        return;
    if (W->after >= 0 && !R->w[W->after].f[k].ended)
        return;
    /* a pipeline stage hands frame k-1 on before it takes frame k (one buffer per handoff) */
    if (W->next >= 0 && k > 0 && !R->w[W->next].f[k - 1].released)
        return;
    F->released = true;
    F->t_rel = npu_engine_now(R->e);
    if (W->spec->fps <= 0 && W->after < 0)
        F->t_arr = F->t_rel; /* back to back: it arrives when it can start */
    if (R->link >= 0)
        link_move(R, F, true, input_moved);
    else
        execute_frame(R, F);
    if (W->prev >= 0 && k + 1 < R->w[W->prev].count)
        try_release(R, W->prev, k + 1); /* the handoff buffer is free again */
}

/* The frame's input is on its chip: the model queues the frame's jobs now, in its scope. */
static void execute_frame(wrun *R, frame *F)
{
    wl *W = &R->w[F->w];
    int k = F->k;
    if (R->err.code)
        return;
    F->t_exec = npu_engine_now(R->e);
    int prev = npu_engine_scope_set(R->e, F->scope);
    int rc = npu_model_execute(&W->m, W->prog, R->e, &R->err);
    npu_engine_scope_set(R->e, prev);
    if (rc) {
        npu_err_prefix(&R->err, "workload %s frame %d", W->spec->name, k);
        return;
    }
    npu_engine_scope_close(R->e, F->scope); /* may end it at once (no jobs) */
}

/* ---- preparing the workloads ---------------------------------------------------------------- */

static bool shared_key(const char *k)
{
    static const char *const pre[] = {"dram.", "sram.", "host.", "mcu.", NULL};
    for (int i = 0; pre[i]; i++)
        if (strncmp(k, pre[i], strlen(pre[i])) == 0)
            return true;
    return strcmp(k, "cores") == 0 || strcmp(k, "freq_mhz") == 0 || strcmp(k, "chips") == 0 ||
           strncmp(k, "link.", 5) == 0 || strncmp(k, "card.", 5) == 0;
}

/* chip=K: the card chip the workload runs on (not a model key). */
static int chip_of(const npu_workload *s, int idx, int chips, int *chip, npu_err *err)
{
    *chip = idx % chips;
    for (int i = 0; i < s->nsets; i++) {
        if (strncmp(s->sets[i], "chip=", 5) != 0)
            continue;
        char *end;
        long k = strtol(s->sets[i] + 5, &end, 10);
        if (end == s->sets[i] + 5 || *end || k < 0 || k >= chips)
            return npu_err_set(err, NPU_EINVAL,
                               "workload %s: '%s': %s has %d chip%s (chip=0..%d)", s->name,
                               s->sets[i], chips > 1 ? "the card" : "the arch (not a card)",
                               chips, chips > 1 ? "s" : "", chips - 1);
        *chip = (int)k;
    }
    return 0;
}

static int prepare(npu_ctx *ctx, const npu_arch *a, wl *W, const npu_workload *s, int idx,
                   int chips, npu_err *err)
{
    W->spec = s;
    if (chip_of(s, idx, chips, &W->chip, err))
        return err->code;
    W->a = npu_arch_clone(a);
    if (!W->a)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    for (int i = 0; i < s->nsets; i++) {
        const char *kv = s->sets[i], *eq = strchr(kv, '=');
        if (strncmp(kv, "chip=", 5) == 0)
            continue;
        char key[128];
        size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
        snprintf(key, sizeof key, "%.*s", (int)(kl < sizeof key ? kl : sizeof key - 1), kv);
        if (shared_key(key))
            return npu_err_set(err, NPU_EINVAL,
                               "workload %s: '%s' is the chip's, shared by every workload: set "
                               "it for the run (--set), not per workload",
                               s->name, key);
        if (npu_arch_set_kv(W->a, kv, err)) {
            npu_err_prefix(err, "workload %s", s->name);
            return err->code;
        }
    }
    const npu_model_ops *ops = npu_model_find(npu_arch_model(W->a), err);
    if (!ops)
        return err->code;
    W->ctx_units = false;
    for (int i = 0; multi_models[i]; i++)
        W->ctx_units |= npu_streq_nocase(ops->name, multi_models[i]);
    W->prog = npu_compile(ctx, W->a, s->graph, err);
    if (!W->prog) {
        npu_err_prefix(err, "workload %s", s->name);
        return err->code;
    }
    if (npu_model_open(&W->m, ops, npu_arch_params(W->a), err))
        return err->code;
    W->open = true;
    return 0;
}

static bool good_name(const char *n)
{
    if (!n || !*n || strlen(n) > 64)
        return false;
    for (const char *p = n; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

/* Names, `after` links (no cycle), counts. */
static int link_workloads(wrun *R, const npu_workload *w, int n, npu_err *err)
{
    for (int i = 0; i < n; i++) {
        if (!good_name(w[i].name))
            return npu_err_set(err, NPU_EINVAL,
                               "workload name '%s': use 1-64 letters, digits, '_', '-' or '.'",
                               w[i].name ? w[i].name : "");
        if (!w[i].graph)
            return npu_err_set(err, NPU_EINVAL, "workload %s: no graph", w[i].name);
        if (w[i].count < 0 || w[i].count > 100000 || !(w[i].fps >= 0 && w[i].fps <= 1e6))
            return npu_err_set(err, NPU_EINVAL,
                               "workload %s: count must be 0..100000 and fps 0..1e6", w[i].name);
        for (int j = 0; j < i; j++)
            if (strcmp(w[i].name, w[j].name) == 0)
                return npu_err_set(err, NPU_EINVAL, "workload %s named twice", w[i].name);
    }
    for (int i = 0; i < n; i++) {
        if (!w[i].after || !*w[i].after)
            continue;
        for (int j = 0; j < n; j++)
            if (strcmp(w[j].name, w[i].after) == 0)
                R->w[i].after = j;
        if (R->w[i].after < 0)
            return npu_err_set(err, NPU_EINVAL, "workload %s: after=%s names no workload",
                               w[i].name, w[i].after);
        if (w[i].fps > 0)
            return npu_err_set(err, NPU_EINVAL,
                               "workload %s: fps= and after= both give its arrivals; choose one",
                               w[i].name);
    }
    /* counts, following the chains (a cycle never ends) */
    for (int i = 0; i < n; i++) {
        int j = i, steps = 0;
        while (R->w[j].after >= 0 && steps <= n) {
            j = R->w[j].after;
            steps++;
        }
        if (steps > n)
            return npu_err_set(err, NPU_EINVAL, "workload %s: its after= chain is a cycle",
                               w[i].name);
    }
    for (int pass = 0; pass < n; pass++)
        for (int i = 0; i < n; i++) {
            int a = R->w[i].after;
            R->w[i].count = w[i].count > 0 ? w[i].count : a >= 0 ? R->w[a].count : 1;
        }
    for (int i = 0; i < n; i++) {
        int a = R->w[i].after;
        if (a >= 0 && R->w[i].count > R->w[a].count)
            return npu_err_set(err, NPU_EINVAL,
                               "workload %s: count=%d but %s (its after=) runs %d frames",
                               w[i].name, R->w[i].count, w[a].name, R->w[a].count);
    }
    return 0;
}

/* ---- results -------------------------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Latency (arrival a[k] -> end b[k] of frame k), throughput and deadline misses of n frames
 * arriving at `fps` (0: not periodic) into S. */
static int lat_of(npu_wl_stat *S, int n, const npu_time *a, const npu_time *b, double fps,
                  npu_err *err)
{
    double *lat = npu_malloc((size_t)n * sizeof *lat);
    if (!lat)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    double period = fps > 0 ? 1e12 / fps : 0;
    double lsum = 0;
    for (int k = 0; k < n; k++) {
        double end = (double)b[k];
        lat[k] = (end - (double)a[k]) * 1e-6;
        lsum += lat[k];
        if (period > 0 && end > (double)a[k] + period + 0.5)
            S->misses++;
        if (end * 1e-6 > S->end_us)
            S->end_us = end * 1e-6;
    }
    S->first_us = (double)a[0] * 1e-6;
    double *sorted = npu_malloc((size_t)n * sizeof *sorted);
    if (!sorted) {
        free(lat);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    memcpy(sorted, lat, (size_t)n * sizeof *lat);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_dbl);
    S->lat_min_us = sorted[0];
    S->lat_max_us = sorted[n - 1];
    S->lat_med_us = sorted[(n - 1) / 2]; /* the lower median: a frame that ran */
    int r99 = (int)ceil(0.99 * n) - 1;   /* nearest rank */
    S->lat_p99_us = sorted[r99 < 0 ? 0 : r99];
    S->lat_mean_us = lsum / n;
    double span = S->end_us - S->first_us;
    S->throughput_fps = span > 0 ? n / (span * 1e-6) : 0;
    for (int k = n - 1; k >= 0; k--)
        if (lat[k] == S->lat_med_us)
            S->median_frame = k; /* the first frame of that latency */
    free(sorted);
    free(lat);
    S->count = n;
    S->fps = fps;
    return 0;
}

/* The arrivals and ends of the frames of workload w (t[0..n) and t[n..2n)). */
static npu_time *times_of(const wl *W, const wl *last, npu_err *err)
{
    int n = W->count;
    npu_time *t = npu_malloc(2 * (size_t)n * sizeof *t);
    if (!t)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
    for (int k = 0; k < n; k++) {
        t[k] = W->f[k].t_arr;
        t[n + k] = last->f[k].t_end;
    }
    return t;
}

/* S's strings (in ar): the workload's name, graph, after and settings as given. */
static int names_of(npu_wl_stat *S, const npu_workload *s, const char *after, npu_arena *ar)
{
    S->name = npu_arena_strdup(ar, s->name);
    S->graph = npu_arena_strdup(ar, npu_graph_name(s->graph));
    S->after = npu_arena_strdup(ar, after);
    npu_strbuf sb;
    npu_sb_init(&sb);
    for (int i = 0; i < s->nsets; i++)
        npu_sb_printf(&sb, "%s%s", i ? "," : "", s->sets[i]);
    S->sets = npu_arena_strdup(ar, sb.s ? sb.s : "");
    npu_sb_free(&sb);
    return !S->name || !S->graph || !S->after || !S->sets;
}

/* A pipeline, end to end: stage 0's arrivals to the last stage's ends (its stages' stats are
 * out->w[first ..]). */
static int pipe_of(wrun *R, const npu_workload *given, int p, npu_wl_run *out, npu_err *err)
{
    const npu_wl_pstage *ps = &R->plan->p[p];
    npu_wl_pipe *Q = &out->pipes[p];
    const npu_workload *s = &given[ps->src];
    wl *W = &R->w[ps->first], *L = &R->w[ps->first + ps->stages - 1];
    npu_time *t = times_of(W, L, err);
    if (!t || lat_of(&Q->s, W->count, t, t + W->count, W->spec->fps, err)) {
        free(t);
        return err->code;
    }
    free(t);
    Q->stages = ps->stages;
    Q->first = ps->first;
    Q->alone_us = ps->alone_us;
    Q->s.pipe = p;
    Q->s.stage = -1;
    for (int i = ps->first; i < ps->first + ps->stages; i++) {
        Q->s.dram_rd_bytes += out->w[i].dram_rd_bytes;
        Q->s.dram_wr_bytes += out->w[i].dram_wr_bytes;
        Q->s.sram_bytes += out->w[i].sram_bytes;
        Q->s.busy_us += out->w[i].busy_us;
    }
    Q->cuts = npu_arena_strdup(&out->arena, ps->cuts);
    if (!Q->cuts || names_of(&Q->s, s, s->after ? s->after : "", &out->arena))
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    return 0;
}

static int stat_of(wrun *R, int w, npu_wl_run *out, npu_err *err)
{
    wl *W = &R->w[w];
    npu_wl_stat *S = &out->w[w];
    int n = W->count;
    npu_time *t = times_of(W, W, err);
    if (!t || lat_of(S, n, t, t + n, W->spec->fps, err)) {
        free(t);
        return err->code;
    }
    free(t);
    /* bytes of every frame, and the median frame's table */
    for (int k = 0; k < n; k++) {
        const frame *F = &W->f[k];
        S->busy_us += (double)(npu_engine_scope_end(R->e, F->scope) - F->t_exec) * 1e-6;
        npu_result *fr = npu_engine_result_scope(R->e, F->scope, F->t_exec, W->prog,
                                                 npu_arch_params(W->a), err);
        if (!fr)
            return err->code;
        S->dram_rd_bytes += fr->total.dram_rd_bytes;
        S->dram_wr_bytes += fr->total.dram_wr_bytes;
        for (int l = 0; l < fr->nlayers; l++)
            S->sram_bytes += fr->layers[l].sram_rd_bytes + fr->layers[l].sram_wr_bytes;
        if (k == S->median_frame)
            S->frame = fr;
        else
            npu_result_free(fr);
    }
    S->chip = W->chip;
    S->pipe = R->plan->pipe[w];
    S->stage = R->plan->stage[w];
    if (names_of(S, W->spec, W->after >= 0 ? R->w[W->after].spec->name : "", &out->arena))
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    out->dram_rd_bytes += S->dram_rd_bytes;
    out->dram_wr_bytes += S->dram_wr_bytes;
    if (S->end_us > out->time_us)
        out->time_us = S->end_us;
    return 0;
}

void npu_wl_run_free(npu_wl_run *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n && r->w; i++)
        npu_result_free(r->w[i].frame);
    free(r->w);
    free(r->pipes);
    npu_arena_free(&r->arena);
    free(r);
}

/* ---- the run -------------------------------------------------------------------------------- */

/* The trace: the units and ports as for one run, and one track group of layer spans per
 * workload (every frame's layers in it). */
static int write_trace(wrun *R, int nl, const npu_run_opts *o, npu_err *err)
{
    int *grp = npu_malloc(((size_t)nl + 1) * sizeof *grp);
    int *lay = npu_malloc(((size_t)nl + 1) * sizeof *lay);
    const char **gname = npu_calloc((size_t)R->n, sizeof *gname);
    const npu_program **progs = npu_calloc((size_t)R->n, sizeof *progs);
    int rc = 0;
    if (!grp || !lay || !gname || !progs)
        rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
    for (int i = 0, l = 0; !rc && i < R->n; i++) {
        gname[i] = R->w[i].spec->name;
        progs[i] = R->w[i].prog;
        for (int k = 0; k < R->w[i].count; k++)
            for (int j = 0; j < R->w[i].prog->nlayers; j++, l++) {
                grp[l] = i;
                lay[l] = j;
            }
    }
    npu_trace_groups tg = {.nl = nl, .group = grp, .layer = lay, .ng = R->n, .gname = gname,
                           .prog = progs};
    if (!rc)
        rc = npu_trace_write_groups(o->trace_path, R->e, &tg, o->force, err);
    free(grp);
    free(lay);
    free(gname);
    free(progs);
    return rc;
}

/* ---- multi-chip cards (docs/workloads.md "Multi-chip cards") ------------------------------ */

const npu_param_def npu_card_param_defs[] = {
    {"chips", NPU_P_INT, 1, NULL, 1, 64, NULL, "",
     "card: NPU chips behind the host link, each with its own cores and DRAM (workload chip=K)"},
    {"link.gbps", NPU_P_FLOAT, 15.75, NULL, 0.001, 1e5, NULL, "GB/s",
     "card: the host link's payload rate, shared by every chip (PCIe 3.0 x16: 15.75)"},
    {"link.latency_us", NPU_P_FLOAT, 2, NULL, 0, 1e6, NULL, "us",
     "card: from a transfer's request to its first byte (DMA descriptor set-up, round trip)"},
    {"card.spread", NPU_P_ENUM, 0, "stream", 0, 0, "stream|batch|one", "",
     "card: a plain run spreads the graph's frames over the chips: a stream per chip, the batch "
     "split over the chips, or one chip only (docs/workloads.md)"},
    {"card.frames", NPU_P_INT, 8, NULL, 1, 10000, NULL, "",
     "card: frames each chip runs in a spread plain run (card.spread stream or batch)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static int64_t tensors_bytes(const npu_graph *g, const int *t, int n)
{
    int64_t b = 0;
    for (int i = 0; i < n; i++)
        b += npu_tensor_bytes(&g->t[t[i]]);
    return b;
}

/* A card: chip k > 0 gets a DRAM port of its own (port 0's figures), every chip a link DMA
 * unit, and the card one link port they all share. Not a card: nothing. */
static int card_setup(wrun *R, const npu_params *p, npu_err *err)
{
    R->link = -1;
    if (npu_params_find(p, "link.gbps") < 0)
        return 0;
    R->dram = npu_calloc((size_t)R->chips, sizeof *R->dram);
    R->u_link = npu_calloc((size_t)R->chips, sizeof *R->u_link);
    if (!R->dram || !R->u_link)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    npu_port_cfg link = {.name = "link",
                         .gbps = npu_params_float(p, "link.gbps"),
                         .latency_ns = npu_params_float(p, "link.latency_us") * 1e3,
                         .efficiency = 1.0};
    R->link = npu_engine_port(R->e, &link, err);
    if (R->link < 0)
        return err->code;
    for (int c = 0; c < R->chips; c++) {
        char nm[32];
        npu_port_cfg d = *npu_engine_port_cfg(R->e, NPU_PORT_DRAM);
        snprintf(nm, sizeof nm, "dram@chip%d", c);
        d.name = nm;
        d.is_dram = true;
        R->dram[c] = c == 0 ? NPU_PORT_DRAM : npu_engine_port(R->e, &d, err);
        if (R->dram[c] < 0)
            return err->code;
        /* the host's clock (clock 0): a link job has no cycles, only its transfer */
        snprintf(nm, sizeof nm, "link@chip%d", c);
        R->u_link[c] = npu_engine_unit(R->e, nm, NPU_UK_DMA, 0, 1, 0);
        if (R->u_link[c] < 0)
            return npu_err_set(err, NPU_ENOMEM, "out of memory (link unit)");
    }
    for (int i = 0; i < R->n; i++) {
        const npu_graph *g = R->w[i].spec->graph;
        R->w[i].in_bytes = tensors_bytes(g, g->inputs, g->ninputs);
        R->w[i].out_bytes = tensors_bytes(g, g->outputs, g->noutputs);
    }
    return 0;
}

static int run_all(npu_ctx *ctx, const npu_arch *a, wrun *R, const npu_run_opts *o,
                   npu_err *err)
{
    int64_t nl = 0;
    for (int i = 0; i < R->n; i++)
        nl += (int64_t)R->w[i].count * R->w[i].prog->nlayers;
    /* every frame has rows of its own, and every unit keeps two times per row: a million rows
     * is some 300 MB on RK3588 (about 20 units) */
    if (nl > 1000000)
        return npu_err_set(err, NPU_EINVAL,
                           "workloads: %lld layer rows in all (frames x layers; at most 1000000): "
                           "lower count=",
                           (long long)nl);
    R->e = npu_engine_new(npu_arch_params(a), (int)nl, err);
    if (!R->e)
        return err->code;
    npu_engine_use_ctx(R->e, ctx);
    if (card_setup(R, npu_arch_params(a), err))
        return err->code;
    bool trace = o && o->trace_path && *o->trace_path;
    npu_engine_record(R->e, trace);
    int base = 0;
    for (int i = 0; i < R->n; i++) {
        wl *W = &R->w[i];
        W->f = npu_calloc((size_t)W->count, sizeof *W->f);
        if (!W->f)
            return npu_err_set(err, NPU_ENOMEM, "out of memory");
        for (int k = 0; k < W->count; k++) {
            frame *F = &W->f[k];
            *F = (frame){.R = R, .w = i, .k = k};
            F->scope = npu_engine_scope_new(R->e, W->spec->name, base, frame_ended, F, err);
            if (F->scope < 0)
                return err->code;
            if (W->chip > 0 && npu_engine_scope_chip(R->e, F->scope, W->chip, R->dram[W->chip], err))
                return err->code;
            base += W->prog->nlayers;
            double t_arr = W->spec->fps > 0 ? k * 1e12 / W->spec->fps : 0;
            if (t_arr > 1e18) /* the engine's limit: the message was "extra_ps too large" */
                return npu_err_set(err, NPU_EINVAL,
                                   "workload %s: at fps=%g frame %d arrives after %.3g s, later "
                                   "than the 1e6 s a run may span (raise fps= or lower count=)",
                                   W->spec->name, W->spec->fps, k, t_arr * 1e-12);
            if (W->spec->fps > 0)
                F->t_arr = (npu_time)llround(t_arr);
            else
                F->arrived = W->after < 0; /* back to back: all are there; after=: later */
        }
    }
    /* frame 0 of every workload that does not follow another arrives now */
    for (int i = 0; i < R->n && !R->err.code; i++)
        if (R->w[i].after < 0) {
            R->w[i].f[0].arrived = true;
            try_release(R, i, 0);
        }
    /* the periodic arrivals after 0: a timer (made after the models' clocks) */
    R->u_arr = -1;
    for (int i = 0; i < R->n && !R->err.code; i++) {
        wl *W = &R->w[i];
        for (int k = 1; W->spec->fps > 0 && k < W->count; k++) {
            if (R->u_arr < 0) {
                int c = npu_engine_clock(R->e, "arrivals", 1000);
                R->u_arr = c < 0 ? -1 : npu_engine_unit(R->e, "arrivals", NPU_UK_CTRL, c, 0, 0);
                if (R->u_arr < 0)
                    return npu_err_set(err, NPU_ENOMEM, "out of memory (arrivals timer)");
            }
            npu_job j;
            npu_job_init(&j, R->u_arr, -1, "arrival");
            j.extra_ps = W->f[k].t_arr;
            j.done = frame_arrived;
            j.ud = &W->f[k];
            if (npu_engine_submit(R->e, &j, err))
                return err->code;
        }
    }
    if (R->err.code || npu_engine_run(R->e, err))
        return R->err.code ? (*err = R->err, err->code) : err->code;
    if (R->err.code)
        return *err = R->err, err->code;
    for (int i = 0; i < R->n; i++)
        for (int k = 0; k < R->w[i].count; k++)
            if (!R->w[i].f[k].ended)
                return npu_err_set(err, NPU_ESIM, "workload %s: frame %d never ended",
                                   R->w[i].spec->name, k);
    return trace ? write_trace(R, (int)nl, o, err) : 0;
}

/* The plan's workloads (w[0..n), pipelines as their stages; `given`: as the caller gave them). */
static npu_wl_run *run_plan(npu_ctx *ctx, const npu_arch *a, const npu_workload *given,
                            const npu_wl_plan *plan, int chips, const npu_run_opts *opts,
                            npu_err *err)
{
    const npu_workload *w = plan->w;
    int n = plan->n;
    wrun R = {.n = n, .u_arr = -1, .chips = chips, .link = -1, .plan = plan};
    npu_wl_run *out = NULL;
    R.w = npu_calloc((size_t)n, sizeof *R.w);
    if (!R.w) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        R.w[i].after = -1;
        bool staged = plan->pipe[i] >= 0;
        R.w[i].prev = staged && plan->stage[i] > 0 ? i - 1 : -1;
        R.w[i].next = staged && i + 1 < n && plan->pipe[i + 1] == plan->pipe[i] ? i + 1 : -1;
    }
    int rc = link_workloads(&R, w, n, err);
    for (int i = 0; !rc && i < n; i++)
        rc = prepare(ctx, a, &R.w[i], &w[i], i, R.chips, err);
    for (int i = 0; !rc && i < n; i++)
        for (int j = 0; !rc && j < n; j++)
            if (j != i && R.w[j].chip == R.w[i].chip && !R.w[i].ctx_units)
                rc = npu_err_set(err, NPU_EUNSUPPORTED,
                                 "workloads %s and %s on one chip: several workloads on one chip "
                                 "are modelled for the rknpu model only (its runtime units are "
                                 "per context); %s (model %s) takes one workload per chip%s",
                                 w[i].name, w[j].name, npu_arch_name(a),
                                 npu_arch_model(R.w[i].a),
                                 R.chips > 1 ? " (chip=K)" : "");
    if (!rc)
        rc = run_all(ctx, a, &R, opts, err);
    if (!rc) {
        out = npu_calloc(1, sizeof *out);
        npu_wl_stat *st = out ? npu_calloc((size_t)n, sizeof *st) : NULL;
        if (!st) {
            free(out);
            out = NULL;
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        } else {
            npu_arena_init(&out->arena);
            out->w = st;
            out->n = n;
            out->arch = npu_arena_strdup(&out->arena, npu_arch_name(a));
            out->chips = R.chips;
            out->link_bytes = R.link >= 0 ? (int64_t)npu_engine_port_bytes(R.e, R.link) : 0;
            out->pipes = npu_calloc((size_t)plan->np + 1, sizeof *out->pipes);
            out->npipes = out->pipes ? plan->np : 0;
            if (!out->pipes)
                rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            for (int i = 0; !rc && i < n; i++)
                rc = stat_of(&R, i, out, err);
            for (int p = 0; !rc && p < plan->np; p++)
                rc = pipe_of(&R, given, p, out, err);
            if (rc) {
                npu_wl_run_free(out);
                out = NULL;
            }
        }
    }
    npu_engine_free(R.e);
    for (int i = 0; i < n; i++) {
        if (R.w[i].open)
            npu_model_close(&R.w[i].m);
        npu_program_free(R.w[i].prog);
        npu_arch_free(R.w[i].a);
        free(R.w[i].f);
    }
    free(R.w);
    free(R.dram);
    free(R.u_link);
    return out;
}

npu_wl_run *npu_run_workloads(npu_ctx *ctx, const npu_arch *a, const npu_workload *w, int n,
                              const npu_run_opts *opts, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    if (!a || !w || n < 1 || n > 64) {
        npu_err_set(err, NPU_EINVAL, "npu_run_workloads: give an architecture and 1-64 workloads");
        return NULL;
    }
    int chips = npu_arch_chips(a);
    npu_wl_plan plan;
    npu_wl_run *out = NULL;
    if (!npu_wl_plan_make(ctx, a, w, n, chips, &plan, err)) {
        out = run_plan(ctx, a, w, &plan, chips, opts, err);
        npu_wl_plan_free(&plan);
    }
    if (!out && ctx) {
        npu_err *ce = npu_ctx_err(ctx);
        if (ce != err)
            *ce = *err;
    }
    return out;
}
