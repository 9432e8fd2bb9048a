/* wlpipe.c — layer pipelining across cores or chips (a workload's setting pipeline=N; the
 * meaning and the choices are docs/workloads.md "Layer pipelining").
 *
 * A pipelined workload is cut into N stages, consecutive runs of its layers in graph order;
 * stage s becomes a workload of its own (NAME.sS) on core s (rknpu: core_mask=s, as an RKNN
 * application gives each stage's context its core) or on chip s of a card, and stage s+1 takes
 * frame k when stage s has finished it (after=). So frame k+1 runs in stage s while frame k
 * runs in stage s+1: frames in flight. Each stage is its own graph: the layers of the cut,
 * whose inputs are the tensors the earlier stages made (through DRAM on one chip, where the
 * stage reads them as any layer reads its input; over the card's host link between chips).
 *
 * The cut balances the stages: one run of the whole graph alone on stage 0's place gives each
 * layer's share of the time (share_cycles, which sums to the run); a cut goes before a layer
 * that has a row of its own (a fused activation or a folded BN stays with its producer); the
 * cuts minimise the longest stage (dynamic programming over the cut points). On a card a
 * stage's cost also counts moving its inputs in and its outputs out over the link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wlpipe.h"

#include "core/result.h"

#define MAX_STAGES 64

/* pipeline=N among the settings: N, 0 when absent; -1 on a bad value (err set). */
static int stages_of(const npu_workload *w, npu_err *err)
{
    int n = 0;
    for (int i = 0; i < w->nsets; i++) {
        const char *s = w->sets[i];
        if (strncmp(s, "pipeline=", 9) != 0)
            continue;
        char *end;
        long v = strtol(s + 9, &end, 10);
        if (end == s + 9 || *end || v < 1 || v > MAX_STAGES)
            return npu_err_set(err, NPU_EINVAL,
                               "workload %s: '%s': expected pipeline=N, N = 1..%d stages",
                               w->name, s, MAX_STAGES),
                   -1;
        n = (int)v;
    }
    return n;
}

/* Stage s runs on chip s of a card, else on core s of an rknpu chip. */
static int check_place(const npu_arch *a, const npu_workload *w, int S, int chips, npu_err *err)
{
    for (int i = 0; i < w->nsets; i++)
        if (!strncmp(w->sets[i], "chip=", 5) || !strncmp(w->sets[i], "core_mask=", 10))
            return npu_err_set(err, NPU_EINVAL,
                               "workload %s: pipeline= places its stages itself (stage s on "
                               "core s, or chip s of a card): drop '%s'",
                               w->name, w->sets[i]);
    if (chips > 1) {
        if (S > chips)
            return npu_err_set(err, NPU_EINVAL, "workload %s: pipeline=%d but %s has %d chips",
                               w->name, S, npu_arch_name(a), chips);
        return 0;
    }
    if (!npu_streq_nocase(npu_arch_model(a), "rknpu"))
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "workload %s: pipeline= puts a stage on each core where the runtime "
                           "binds a context to a core (rknpu: core_mask), or on each chip of a "
                           "card (atlas300i); %s (model %s) has neither",
                           w->name, npu_arch_name(a), npu_arch_model(a));
    int cores = (int)npu_params_int(npu_arch_params(a), "cores");
    if (S > cores)
        return npu_err_set(err, NPU_EINVAL, "workload %s: pipeline=%d but %s has %d NPU core%s",
                           w->name, S, npu_arch_name(a), cores, cores > 1 ? "s" : "");
    return 0;
}

/* The balance run: the whole graph alone where stage 0 runs (core 0, or one chip). */
static npu_result *first_run(npu_ctx *ctx, const npu_arch *a, const npu_workload *w, bool card,
                             npu_err *err)
{
    npu_arch *b = npu_arch_clone(a);
    if (!b)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
    int rc = npu_arch_set_kv(b, card ? "card.spread=one" : "core_mask=0", err);
    for (int i = 0; !rc && i < w->nsets; i++)
        if (strncmp(w->sets[i], "pipeline=", 9) != 0)
            rc = npu_arch_set_kv(b, w->sets[i], err);
    npu_result *r = rc ? NULL : npu_run(ctx, b, w->graph, NULL, err);
    npu_arch_free(b);
    if (!r)
        npu_err_prefix(err, "workload %s (pipeline balance run)", w->name);
    return r;
}

/* ---- the cut -------------------------------------------------------------------------------- */

typedef struct cutter {
    const npu_graph *g;
    double *pre;   /* pre[i]: cost of layers 0..i-1 (us) */
    int *last;     /* per tensor: the last live layer reading it, -1 */
    int *stamp, tag;
    double link_us_per_byte, link_lat_us; /* a card: a stage's transfers; else 0 */
} cutter;

/* The tensors entering the layers [a, b) (made before a, or graph inputs; each once, marked
 * with a new C->stamp tag) and leaving them (read at b or later, or graph outputs): their
 * bytes, and their indices when ins/outs are given (room for every tensor). */
static void crossing(cutter *C, int a, int b, int64_t *in, int64_t *out, int *ins, int *nin,
                     int *outs, int *nout)
{
    const npu_graph *g = C->g;
    C->tag++;
    *in = *out = 0;
    int ni = 0, no = 0;
    for (int li = a; li < b; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++) {
            int t = l->in[k];
            if (g->t[t].kind != NPU_T_CONST && g->t[t].producer < a && C->stamp[t] != C->tag) {
                C->stamp[t] = C->tag;
                *in += npu_tensor_bytes(&g->t[t]);
                if (ins)
                    ins[ni++] = t;
            }
        }
        for (int k = 0; k < l->nout; k++) {
            int t = l->out[k];
            if (C->last[t] >= b || npu_graph_is_output(g, t)) {
                *out += npu_tensor_bytes(&g->t[t]);
                if (outs)
                    outs[no++] = t;
            }
        }
    }
    if (nin)
        *nin = ni;
    if (nout)
        *nout = no;
}

static void seg_bytes(cutter *C, int a, int b, int64_t *in, int64_t *out)
{
    crossing(C, a, b, in, out, NULL, NULL, NULL, NULL);
}

static double seg_cost(cutter *C, int a, int b)
{
    double c = C->pre[b] - C->pre[a];
    if (C->link_us_per_byte > 0) {
        int64_t in, out;
        seg_bytes(C, a, b, &in, &out);
        c += (double)(in + out) * C->link_us_per_byte + 2 * C->link_lat_us;
    }
    return c;
}

/* The S-1 cut layers (cut[s]: stage s+1 starts at that layer) minimising the longest stage,
 * among the candidates P[1..K-2] (P[0] = 0, P[K-1] = nl). */
static int balance(cutter *C, const int *P, int K, int S, int *cut, npu_err *err)
{
    double *best = npu_malloc((size_t)S * (size_t)K * sizeof *best);
    int *from = npu_malloc((size_t)S * (size_t)K * sizeof *from);
    if (!best || !from) {
        free(best);
        free(from);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    /* best[s*K + j]: the longest of stages 0..s when stage s ends at P[j] */
    for (int j = 1; j < K; j++)
        best[j] = seg_cost(C, 0, P[j]);
    for (int s = 1; s < S; s++)
        for (int j = s + 1; j < K; j++) {
            double b = -1;
            for (int i = s; i < j; i++) {
                double c = seg_cost(C, P[i], P[j]), m = best[(s - 1) * K + i];
                if (c > m)
                    m = c;
                if (b < 0 || m < b) {
                    b = m;
                    from[s * K + j] = i;
                }
            }
            best[s * K + j] = b;
        }
    for (int s = S - 1, j = K - 1; s > 0; s--) {
        j = from[s * K + j];
        cut[s - 1] = P[j];
    }
    free(best);
    free(from);
    return 0;
}

/* The graph of layers [a, b) of g: what it reads from earlier stages becomes its inputs,
 * what later stages (or the graph's outputs) read its outputs. */
static npu_graph *stage_graph(cutter *C, int a, int b, const char *name, npu_err *err)
{
    const npu_graph *g = C->g;
    npu_graph *c = npu_graph_clone(g);
    int *ins = npu_malloc(((size_t)g->nt + 1) * sizeof *ins);
    int *outs = npu_malloc(((size_t)g->nt + 1) * sizeof *outs);
    int nin = 0, nout = 0;
    if (!c || !ins || !outs) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        goto fail;
    }
    int64_t inb, outb;
    crossing(C, a, b, &inb, &outb, ins, &nin, outs, &nout);
    for (int li = 0; li < g->nl; li++)
        if (li < a || li >= b)
            c->l[li].flags |= NPU_LF_DEAD;
    for (int i = 0; i < g->ninputs; i++)
        if (C->stamp[g->inputs[i]] != C->tag) /* a graph input an earlier stage took */
            c->t[g->inputs[i]].kind = NPU_T_CONST; /* unread: compact drops it */
    for (int i = 0; i < nin; i++) {
        npu_tensor *t = &c->t[ins[i]];
        t->kind = NPU_T_INPUT;
        t->producer = -1;
        t->view_of = -1;
    }
    free(c->inputs);
    free(c->outputs);
    c->inputs = ins;
    c->ninputs = c->cinputs = nin;
    c->outputs = outs;
    c->noutputs = c->coutputs = nout;
    ins = outs = NULL;
    c->name = npu_arena_strdup(&c->arena, name);
    npu_graph_touch(c);
    if (!c->name) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        goto fail;
    }
    if (npu_graph_compact(c, err) || npu_graph_infer(c, err)) {
        npu_err_prefix(err, "pipeline stage %s", name);
        goto fail;
    }
    return c;
fail:
    free(ins);
    free(outs);
    npu_graph_free(c);
    return NULL;
}

/* Cuts w->graph into S stage graphs (g[0..S)) and says where (cuts, "" for one stage). */
static int cut_graph(npu_ctx *ctx, const npu_arch *a, const npu_workload *w, int S, bool card,
                     npu_wl_plan *P, npu_wl_pstage *ps, npu_graph **g, npu_err *err)
{
    const npu_graph *G = w->graph;
    npu_result *r = first_run(ctx, a, w, card, err);
    if (!r)
        return err->code;
    cutter C = {.g = G};
    C.pre = npu_calloc((size_t)G->nl + 1, sizeof *C.pre);
    C.last = npu_malloc(((size_t)G->nt + 1) * sizeof *C.last);
    C.stamp = npu_calloc((size_t)G->nt + 1, sizeof *C.stamp);
    int *P0 = npu_malloc(((size_t)G->nl + 2) * sizeof *P0), cut[MAX_STAGES + 1];
    bool *row = npu_calloc((size_t)G->nl + 1, sizeof *row);
    int rc = 0, K = 0;
    if (!C.pre || !C.last || !C.stamp || !P0 || !row) {
        rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        goto out;
    }
    ps->alone_us = r->total.time_us;
    /* each row's share of the run on its graph layer; rows the graph does not name (a
     * layer the lowering inserted) go with the row before them */
    double us_per_cycle = r->total.cycles > 0 ? r->total.time_us / (double)r->total.cycles : 0;
    double *cost = C.pre + 1; /* cost[li], summed into prefixes below */
    for (int i = 0, li = 0; i < r->nlayers; i++) {
        int f = npu_graph_find_layer(G, r->layers[i].name);
        if (f >= 0) {
            li = f;
            row[f] = true;
        }
        cost[li] += (double)r->layers[i].share_cycles * us_per_cycle;
    }
    for (int li = 0; li < G->nl; li++)
        C.pre[li + 1] += C.pre[li];
    for (int t = 0; t < G->nt; t++)
        C.last[t] = -1;
    for (int li = 0; li < G->nl; li++)
        for (int k = 0; !(G->l[li].flags & NPU_LF_DEAD) && k < G->l[li].nin; k++)
            C.last[G->l[li].in[k]] = li;
    if (card) {
        C.link_us_per_byte = 1e-3 / npu_params_float(npu_arch_params(a), "link.gbps");
        C.link_lat_us = npu_params_float(npu_arch_params(a), "link.latency_us");
        int64_t in, out;
        seg_bytes(&C, 0, G->nl, &in, &out);
        ps->alone_us += (double)(in + out) * C.link_us_per_byte + 2 * C.link_lat_us;
    }
    /* cut points: before a layer with a row of its own, after the first such layer */
    P0[K++] = 0;
    bool seen = false;
    for (int li = 0; li < G->nl; li++)
        if (row[li] && !(G->l[li].flags & NPU_LF_DEAD)) {
            if (seen)
                P0[K++] = li;
            seen = true;
        }
    P0[K++] = G->nl;
    if (K - 1 < S) {
        rc = npu_err_set(err, NPU_EINVAL, "workload %s: pipeline=%d but %s has %d layers to cut "
                                          "between", w->name, S, npu_graph_name(G), K - 1);
        goto out;
    }
    if (S > 1 && balance(&C, P0, K, S, cut, err)) {
        rc = err->code;
        goto out;
    }
    cut[S - 1] = G->nl;
    npu_strbuf sb;
    npu_sb_init(&sb);
    for (int s = 0, a0 = 0; !rc && s < S; a0 = cut[s++]) {
        char nm[160];
        snprintf(nm, sizeof nm, "%s.s%d", npu_graph_name(G), s);
        if (!(g[s] = stage_graph(&C, a0, cut[s], nm, err)))
            rc = err->code;
        if (s > 0)
            npu_sb_printf(&sb, "%s%s", s > 1 ? "," : "", G->l[a0].name);
    }
    ps->cuts = npu_arena_strdup(&P->arena, sb.s ? sb.s : "");
    npu_sb_free(&sb);
    if (!rc && !ps->cuts)
        rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
out:
    npu_result_free(r);
    free(C.pre);
    free(C.last);
    free(C.stamp);
    free(P0);
    free(row);
    return rc;
}

/* ---- the plan ------------------------------------------------------------------------------- */

/* The name workload `after` has in the plan: a pipelined one's last stage. */
static const char *after_in_plan(const npu_workload *w, int n, const int *S, const char *after,
                                 npu_arena *ar)
{
    for (int i = 0; after && i < n; i++)
        if (S[i] > 0 && strcmp(w[i].name, after) == 0) {
            char nm[96];
            snprintf(nm, sizeof nm, "%.64s.s%d", after, S[i] - 1);
            return npu_arena_strdup(ar, nm);
        }
    return after;
}

/* Stage s of pipelined w as plan workload X (its graph g). */
static int stage_workload(const npu_workload *w, int s, bool card, npu_graph *g,
                          const char *after0, npu_workload *X, npu_arena *ar, npu_err *err)
{
    char nm[96], place[32];
    snprintf(nm, sizeof nm, "%.64s.s%d", w->name, s);
    snprintf(place, sizeof place, card ? "chip=%d" : "core_mask=%d", s);
    const char **sets = npu_arena_alloc(ar, ((size_t)w->nsets + 1) * sizeof *sets);
    *X = (npu_workload){.name = npu_arena_strdup(ar, nm), .graph = g, .sets = sets,
                        .count = w->count, .fps = s == 0 ? w->fps : 0, .after = after0};
    if (s > 0) {
        snprintf(nm, sizeof nm, "%.64s.s%d", w->name, s - 1);
        X->after = npu_arena_strdup(ar, nm);
    }
    if (!sets || !X->name || (s > 0 && !X->after) || !(sets[0] = npu_arena_strdup(ar, place)))
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    X->nsets = 1;
    for (int i = 0; i < w->nsets; i++)
        if (strncmp(w->sets[i], "pipeline=", 9) != 0)
            sets[X->nsets++] = w->sets[i];
    return 0;
}

int npu_wl_plan_make(npu_ctx *ctx, const npu_arch *a, const npu_workload *w, int n, int chips,
                     npu_wl_plan *P, npu_err *err)
{
    memset(P, 0, sizeof *P);
    npu_arena_init(&P->arena);
    int *S = npu_calloc((size_t)n, sizeof *S), total = 0, rc = 0;
    if (!S)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < n; i++) {
        /* (a workload without a name or graph is left to npu_run_workloads to refuse) */
        S[i] = w[i].name && w[i].graph ? stages_of(&w[i], err) : 0;
        if (S[i] < 0 || (S[i] > 0 && check_place(a, &w[i], S[i], chips, err)))
            rc = err->code;
        total += S[i] > 0 ? S[i] : 1;
        P->np += S[i] > 0;
    }
    P->ng = total;
    if (!rc) {
        P->w = npu_calloc((size_t)total, sizeof *P->w);
        P->pipe = npu_calloc((size_t)total, sizeof *P->pipe);
        P->stage = npu_calloc((size_t)total, sizeof *P->stage);
        P->g = npu_calloc((size_t)total, sizeof *P->g);
        P->p = npu_calloc((size_t)P->np + 1, sizeof *P->p);
        if (!P->w || !P->pipe || !P->stage || !P->g || !P->p)
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    for (int i = 0, np = 0; !rc && i < n; i++) {
        const char *after = after_in_plan(w, n, S, w[i].after, &P->arena);
        if (w[i].after && !after) {
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            break;
        }
        if (S[i] == 0) {
            P->w[P->n] = w[i];
            P->w[P->n].after = after;
            P->pipe[P->n] = P->stage[P->n] = -1;
            P->n++;
            continue;
        }
        npu_wl_pstage *ps = &P->p[np];
        *ps = (npu_wl_pstage){.src = i, .first = P->n, .stages = S[i]};
        bool card = chips > 1;
        if ((rc = cut_graph(ctx, a, &w[i], S[i], card, P, ps, P->g + P->n, err)))
            break;
        for (int s = 0; !rc && s < S[i]; s++, P->n++) {
            rc = stage_workload(&w[i], s, card, P->g[P->n], after, &P->w[P->n],
                                &P->arena, err);
            P->pipe[P->n] = np;
            P->stage[P->n] = s;
        }
        np++;
    }
    free(S);
    if (rc)
        npu_wl_plan_free(P);
    return rc;
}

void npu_wl_plan_free(npu_wl_plan *P)
{
    for (int i = 0; P->g && i < P->ng; i++)
        npu_graph_free(P->g[i]);
    free(P->g);
    free(P->w);
    free(P->pipe);
    free(P->stage);
    free(P->p);
    npu_arena_free(&P->arena);
    memset(P, 0, sizeof *P);
}
