/* footprint.c — weights, internal arena (greedy by size over lifetimes), io, tasks (footprint.h). */
#include "footprint.h"

#include <stdlib.h>
#include <string.h>

#include "infer.h"

int64_t npu_fp_round_up(int64_t v, int64_t m)
{
    return m > 1 ? (v + m - 1) / m * m : v;
}

int npu_fp_conv_dims(const npu_graph *g, int li, int64_t *k, int64_t *c, int64_t *groups,
                     int64_t *khw)
{
    const npu_layer *l = &g->l[li];
    if ((l->op != NPU_OP_CONV && l->op != NPU_OP_CONVT) || l->nin < 1 || l->in[0] < 0)
        return -1;
    const npu_tensor *x = &g->t[l->in[0]];
    if (x->ndim != 4)
        return -1;
    *k = npu_layer_int_k(l, NPU_K_OUT, 0, 0);
    *c = x->dim[1];
    *groups = npu_layer_int_k(l, NPU_K_G, 0, 1);
    if (*groups < 1)
        *groups = 1;
    *khw = npu_layer_int_k(l, NPU_K_K, 0, 1) * npu_layer_int_k(l, NPU_K_K, 1, 1);
    return *k > 0 && *c > 0 ? 0 : -1;
}

int npu_fp_gemm_dims(const npu_graph *g, int li, int64_t *kin, int64_t *n)
{
    const npu_layer *l = &g->l[li];
    if (l->op != NPU_OP_GEMM || l->nin < 1 || l->in[0] < 0)
        return -1;
    int64_t m;
    npu_shape_gemm_mk(&g->t[l->in[0]], &m, kin);
    *n = npu_layer_int_k(l, NPU_K_OUT, 0, 0);
    return *n > 0 && *kin > 0 ? 0 : -1;
}

static int64_t dense_weight(const npu_graph *g, int li)
{
    const npu_layer *l = &g->l[li];
    return npu_dtype_bytes(npu_layer_weight_dtype(g, l), l->params);
}

static int root_of(const npu_graph *g, int t)
{
    for (int n = 0; n < g->nt && t >= 0 && g->t[t].view_of >= 0; n++)
        t = g->t[t].view_of;
    return t;
}

static int by_size_desc(const void *a, const void *b)
{
    const npu_fp_buf *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->first != y->first ? (x->first < y->first ? -1 : 1) : (x->t < y->t ? -1 : 1);
}

static bool overlap_life(const npu_fp_buf *a, const npu_fp_buf *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* Greedy by size: each buffer, largest first, goes into the smallest gap between the placed
 * buffers it overlaps in time that holds it (best fit), else after the last of them.
 * The placed buffers a new one [first, last] overlaps are those alive at `first` and those
 * starting in (first, last] (two disjoint sets), so the placed buffers are indexed twice: by
 * each layer they are alive at (`alive`, CSR over nlive) and by their first layer (`starts`).
 * A query then costs the buffers live at one layer plus those starting within the span, not a
 * walk over every placed buffer (O(n²) over a 1,000-layer graph). The overlapping set is then
 * ordered by offset, ties in placement order, as the stable sort of the former walk's list
 * (placement order) ordered it, so every offset is the one the walk gave. */
static int by_off(const void *a, const void *b)
{
    const npu_fp_buf *x = *(const npu_fp_buf *const *)a, *y = *(const npu_fp_buf *const *)b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x < y ? -1 : x > y; /* placement order: the buffers are placed in array order */
}

static void sort_by_off(const npu_fp_buf **ov, int n)
{
    if (n > 32) {
        qsort(ov, (size_t)n, sizeof *ov, by_off);
        return;
    }
    for (int i = 1; i < n; i++) { /* insertion sort: a handful of buffers */
        const npu_fp_buf *v = ov[i];
        int j = i;
        for (; j > 0 && by_off(&ov[j - 1], &v) > 0; j--)
            ov[j] = ov[j - 1];
        ov[j] = v;
    }
}

static int place(npu_fp *fp, int64_t align, npu_err *err)
{
    qsort(fp->buf, (size_t)fp->nbuf, sizeof *fp->buf, by_size_desc);
    int nl = fp->nlayers, nb = fp->nbuf;
    size_t nalive = 0;
    for (int li = 0; li < nl; li++)
        nalive += (size_t)fp->nlive[li];
    const npu_fp_buf **ov = malloc(sizeof *ov * ((size_t)nb + 1));
    const npu_fp_buf **alive = malloc(sizeof *alive * (nalive + 1));
    const npu_fp_buf **starts = malloc(sizeof *starts * ((size_t)nb + 1));
    size_t *aoff = malloc(sizeof *aoff * ((size_t)nl + 1));
    size_t *an = calloc((size_t)nl + 1, sizeof *an);
    int *soff = calloc((size_t)nl + 2, sizeof *soff), *sn = calloc((size_t)nl + 1, sizeof *sn);
    int rc = 0;
    if (!ov || !alive || !starts || !aoff || !an || !soff || !sn) {
        rc = npu_err_set(err, NPU_ENOMEM, "out of memory placing tensors");
        goto out;
    }
    for (int li = 0; li < nl; li++)
        aoff[li] = li ? aoff[li - 1] + (size_t)fp->nlive[li - 1] : 0;
    for (int i = 0; i < nb; i++)
        soff[fp->buf[i].first + 1]++;
    for (int li = 0; li < nl; li++)
        soff[li + 1] += soff[li];
    int64_t arena = 0;
    for (int i = 0; i < nb; i++) {
        npu_fp_buf *b = &fp->buf[i];
        int n = 0;
        for (size_t k = 0; k < an[b->first]; k++)
            ov[n++] = alive[aoff[b->first] + k];
        for (int li = b->first + 1; li <= b->last; li++)
            for (int k = 0; k < sn[li]; k++)
                ov[n++] = starts[soff[li] + k];
        sort_by_off(ov, n);
        int64_t best = -1, best_gap = INT64_MAX, at = 0;
        for (int j = 0; j < n; j++) {
            int64_t gap = ov[j]->off - at;
            if (gap >= b->size && gap < best_gap) {
                best = at;
                best_gap = gap;
            }
            int64_t end = npu_fp_round_up(ov[j]->off + ov[j]->size, align);
            if (end > at)
                at = end;
        }
        b->off = best >= 0 ? best : at;
        if (b->off + b->size > arena)
            arena = b->off + b->size;
        for (int li = b->first; li <= b->last; li++)
            alive[aoff[li] + an[li]++] = b;
        starts[soff[b->first] + sn[b->first]++] = b;
    }
    fp->internal_bytes = arena;
out:
    free(ov), free(alive), free(starts), free(aoff), free(an), free(soff), free(sn);
    return rc;
}

int npu_fp_compute(const npu_graph *g, const npu_fp_hooks *h, int64_t task_bytes, npu_fp *out,
                   npu_err *err)
{
    memset(out, 0, sizeof *out);
    npu_fp_hooks none = {0};
    if (!h)
        h = &none;
    int64_t align = h->align > 0 ? h->align : 64;
    int nt = g->nt, nl = g->nl;
    int *first = malloc(sizeof(int) * (size_t)(nt ? nt : 1));
    int *last = malloc(sizeof(int) * (size_t)(nt ? nt : 1));
    out->live = npu_calloc((size_t)nl + 1, sizeof *out->live);
    out->nlive = npu_calloc((size_t)nl + 1, sizeof *out->nlive);
    out->buf = npu_calloc((size_t)nt + 1, sizeof *out->buf);
    if (!first || !last || !out->live || !out->nlive || !out->buf) {
        free(first);
        free(last);
        npu_fp_free(out);
        return npu_err_set(err, NPU_ENOMEM, "out of memory for the footprint of %s", g->name);
    }
    out->nlayers = nl;
    for (int t = 0; t < nt; t++)
        first[t] = last[t] = -1;
    /* lifetimes: from the writer to the last reader; a view's readers keep its root alive */
    for (int li = 0; li < nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nout; k++) {
            int r = root_of(g, l->out[k]);
            if (r >= 0 && first[r] < 0)
                first[r] = li;
            if (r >= 0 && last[r] < li)
                last[r] = li;
        }
        for (int k = 0; k < l->nin; k++) {
            int r = root_of(g, l->in[k]);
            if (r >= 0 && last[r] < li)
                last[r] = li;
        }
        out->weight_bytes += h->weight_bytes ? h->weight_bytes(h->ud, g, li) : dense_weight(g, li);
    }
    bool *isout = npu_calloc((size_t)nt + 1, 1);
    if (!isout) {
        free(first);
        free(last);
        npu_fp_free(out);
        return npu_err_set(err, NPU_ENOMEM, "out of memory for the footprint of %s", g->name);
    }
    for (int k = 0; k < g->noutputs; k++) {
        int r = root_of(g, g->outputs[k]);
        if (r >= 0)
            isout[r] = true;
    }
    for (int t = 0; t < nt; t++) {
        const npu_tensor *x = &g->t[t];
        if (x->view_of >= 0 || last[t] < 0)
            continue; /* an alias, or read by no live layer */
        int64_t sz = h->tensor_bytes ? h->tensor_bytes(h->ud, g, t) : npu_tensor_bytes(x);
        if (x->kind == NPU_T_CONST)
            out->weight_bytes += sz;
        else if (x->kind == NPU_T_INPUT || isout[t])
            out->io_bytes += sz;
        else if (first[t] >= 0)
            out->buf[out->nbuf++] = (npu_fp_buf){t, first[t], last[t], sz, 0};
    }
    free(isout);
    free(first);
    free(last);
    for (int i = 0; i < out->nbuf; i++) {
        const npu_fp_buf *b = &out->buf[i];
        out->internal_sum += b->size;
        for (int li = b->first; li <= b->last; li++) {
            out->live[li] += b->size;
            out->nlive[li]++;
        }
    }
    for (int li = 0; li < nl; li++)
        if (out->live[li] > out->live_peak)
            out->live_peak = out->live[li];
    if (place(out, align, err)) {
        npu_fp_free(out);
        return -1;
    }
    out->task_bytes = task_bytes;
    out->total_bytes = out->weight_bytes + out->internal_bytes + out->io_bytes + task_bytes;
    return 0;
}

void npu_fp_free(npu_fp *fp)
{
    if (!fp)
        return;
    free(fp->live);
    free(fp->nlive);
    free(fp->buf);
    fp->live = NULL;
    fp->nlive = NULL;
    fp->buf = NULL;
    fp->nbuf = fp->nlayers = 0;
}

int npu_fp_check(const npu_graph *g, const npu_fp *fp, npu_err *err)
{
    if (fp->internal_bytes < fp->live_peak)
        return npu_err_set(err, NPU_ESIM, "%s: arena %lld B is smaller than the %lld B live at once",
                           g->name, (long long)fp->internal_bytes, (long long)fp->live_peak);
    for (int i = 0; i < fp->nbuf; i++) {
        const npu_fp_buf *a = &fp->buf[i];
        if (a->off < 0 || a->off + a->size > fp->internal_bytes)
            return npu_err_set(err, NPU_ESIM, "%s: tensor %s lies outside the arena", g->name,
                               g->t[a->t].name);
        for (int j = i + 1; j < fp->nbuf; j++) {
            const npu_fp_buf *b = &fp->buf[j];
            if (overlap_life(a, b) && a->size > 0 && b->size > 0 && a->off < b->off + b->size &&
                b->off < a->off + a->size)
                return npu_err_set(err, NPU_ESIM,
                                   "%s: live tensors %s and %s overlap in the arena", g->name,
                                   g->t[a->t].name, g->t[b->t].name);
        }
    }
    return 0;
}

static int64_t elem_block(int64_t block_bytes, npu_dtype dt)
{
    int bits = npu_dtype_bits(dt);
    int64_t b = bits > 0 ? block_bytes * 8 / bits : 1;
    return b > 0 ? b : 1;
}

int64_t npu_fp_layout_weight(const npu_fp_layout *lay, const npu_graph *g, int li)
{
    const npu_layer *l = &g->l[li];
    npu_dtype wdt = npu_layer_weight_dtype(g, l);
    int bits = npu_dtype_bits(wdt);
    int64_t cb = elem_block(lay->cblock_bytes, wdt);
    int64_t kb = lay->wk_block > 0 ? lay->wk_block
                 : lay->wk_block_bits > 0 && bits > 0 ? lay->wk_block_bits / bits : 1;
    int64_t k, c, gr, khw, w;
    if (npu_fp_conv_dims(g, li, &k, &c, &gr, &khw) == 0) {
        if (l->op == NPU_OP_CONVT) { /* stored as a conv over the output: roles swap */
            int64_t t = k;
            k = c;
            c = t;
        }
        int64_t dense = k * (c / gr) * khw;
        if (gr > 1 && gr == c && k % c == 0) /* depthwise: one kernel plane per channel */
            w = npu_fp_round_up(k, cb) * khw;
        else {
            int64_t per = gr * npu_fp_round_up(k / gr, kb) * npu_fp_round_up(c / gr, cb) * khw;
            int64_t diag = npu_fp_round_up(k, kb) * npu_fp_round_up(c, cb) * khw;
            w = gr > 1 && diag < per ? diag : per;
        }
        return npu_dtype_bytes(wdt, w) + (l->params - dense) * lay->bias_bytes;
    }
    int64_t kin, n;
    if (npu_fp_gemm_dims(g, li, &kin, &n) == 0) {
        int64_t kk = lay->gemm_k_block > 0 ? lay->gemm_k_block : cb;
        w = npu_fp_round_up(kin, kk) * npu_fp_round_up(n, kb);
        return npu_dtype_bytes(wdt, w) + (l->params - kin * n) * lay->bias_bytes;
    }
    return npu_dtype_bytes(wdt, l->params);
}

int64_t npu_fp_layout_tensor(const npu_fp_layout *lay, const npu_graph *g, int ti)
{
    const npu_tensor *x = &g->t[ti];
    if (x->ndim != 4 || x->kind != NPU_T_ACT)
        return npu_tensor_bytes(x);
    int64_t c = npu_fp_round_up(x->dim[1], elem_block(lay->cblock_bytes, x->dtype));
    return npu_dtype_bytes(x->dtype, x->dim[0] * c * x->dim[2] * x->dim[3]);
}
