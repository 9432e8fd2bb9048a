/* l2.c — the Ascend L2 as an LRU cache over the program's kernels (`l2_lru`, issue #14 round 5:
 * an experiment, off by default — it moves the batch-16 rows the wrong way, see
 * docs/models/davinci.md "Round 5").
 *
 * research §1.5/§1.6 give the L2's size (8 MB on the 310) and that it sits between the AI Cores
 * and DDR; nothing says how it replaces lines. The model: an LRU cache shared by the cores, at
 * tensor granularity, every kernel walking its operands in address order (assumption). Under
 * LRU a byte read again hits when fewer than L2 distinct bytes were touched since its last
 * access (its stack distance). For tensor T of S bytes, last touched by an earlier kernel and
 * read by kernel k in the same order: byte x saw the rest of T (S - x), everything touched since
 * (D: the tensors above T in the LRU stack) and the first x bytes of T read again, so its
 * distance is D + S, plus the share x/S of what kernel k touches meanwhile that is not already
 * above T (O: its new output, its weights, older inputs). The part of T that hits is
 *     h = clamp((L2 - D - S) / O, 0, 1)     (O = 0: 1 when D + S <= L2, else 0).
 * A tensor every reader finds wholly in L2 is written to L2 only (in_l2). Weights pass through
 * the L2 too (they evict activations) but are read once per run; their re-fetches inside a
 * kernel keep cube.c's rules. Graph inputs and AI CPU outputs never hit (the host writes them).
 * Off, the capacity rule of lower.c applies (a tensor <= L2/2 stays; a larger one keeps
 * (L2/2)/size of itself). The program's layer bytes (the engine's DRAM roofline) keep the
 * capacity rule either way: they are set before this plan runs.
 */
#include "lower.h"

#include <stdlib.h>

#include "sim/npusim_int.h"

typedef struct {
    int *id;       /* LRU stack, most recent last: tensor ids, nt + layer for a layer's weights */
    int64_t *sz;
    int n, cap;
} lru;

static int lru_find(const lru *s, int id)
{
    for (int i = s->n - 1; i >= 0; i--)
        if (s->id[i] == id)
            return i;
    return -1;
}

static int lru_touch(lru *s, int id, int64_t sz)
{
    int i = lru_find(s, id);
    if (i >= 0) {
        for (int j = i; j + 1 < s->n; j++) {
            s->id[j] = s->id[j + 1];
            s->sz[j] = s->sz[j + 1];
        }
        s->n--;
    }
    if (s->n == s->cap) {
        int nc = s->cap ? 2 * s->cap : 64;
        int *ni = npu_realloc(s->id, (size_t)nc * sizeof *ni);
        if (!ni)
            return -1;
        s->id = ni;
        int64_t *ns = npu_realloc(s->sz, (size_t)nc * sizeof *ns);
        if (!ns)
            return -1;
        s->sz = ns;
        s->cap = nc;
    }
    s->id[s->n] = id;
    s->sz[s->n++] = sz;
    return 0;
}

/* drop what lies wholly below the capacity: no later access can hit it */
static void lru_trim(lru *s, int64_t cap)
{
    int64_t above = 0;
    int keep = s->n;
    for (int i = s->n - 1; i >= 0; i--) {
        if (above >= cap) {
            keep = s->n - 1 - i;
            break;
        }
        above += s->sz[i];
    }
    if (keep < s->n) {
        int drop = s->n - keep;
        for (int j = 0; j < keep; j++) {
            s->id[j] = s->id[j + drop];
            s->sz[j] = s->sz[j + drop];
        }
        s->n = keep;
    }
}

#define L2_MAXOPS 24

typedef struct {
    int id[L2_MAXOPS];
    int64_t sz[L2_MAXOPS];
    bool rd[L2_MAXOPS];
    int n;
} kops;

static void kops_add(kops *k, int id, int64_t sz, bool rd)
{
    for (int i = 0; i < k->n; i++)
        if (k->id[i] == id) {
            k->rd[i] |= rd;
            return;
        }
    if (k->n < L2_MAXOPS && sz > 0) {
        k->id[k->n] = id;
        k->sz[k->n] = sz;
        k->rd[k->n++] = rd;
    }
}

static int record(lw *c, int li, int t, double h)
{
    if (c->l2n == c->l2cap) {
        int nc = c->l2cap ? 2 * c->l2cap : 256;
        npu_dvl_l2rd *nr = npu_realloc(c->l2r, (size_t)nc * sizeof *nr);
        if (!nr)
            return -1;
        c->l2r = nr;
        c->l2cap = nc;
    }
    c->l2r[c->l2n++] = (npu_dvl_l2rd){.layer = li, .t = t, .h = (float)h};
    return 0;
}

/* One kernel: the hit share of each tensor it reads (recorded for layer li), then its
 * operands move to the top of the stack. */
static int kernel(lw *c, lru *s, int li, const kops *k)
{
    int64_t cap = c->s->l2;
    for (int i = 0; i < k->n; i++) {
        int t = k->id[i];
        if (!k->rd[i] || t >= c->g->nt)
            continue;
        double h = 0;
        int pos = lru_find(s, t);
        if (pos >= 0 && c->on_core[t]) {
            int64_t d = 0, o = 0;
            for (int j = pos + 1; j < s->n; j++)
                d += s->sz[j];
            for (int j = 0; j < k->n; j++) {
                if (j == i)
                    continue;
                int q = lru_find(s, k->id[j]);
                if (q < pos)
                    o += k->sz[j];
            }
            double room = (double)(cap - d - k->sz[i]);
            h = o > 0 ? room / (double)o : (room >= 0 ? 1 : 0);
            h = h < 0 ? 0 : h > 1 ? 1 : h;
        }
        if (record(c, li, t, h))
            return -1;
    }
    for (int i = 0; i < k->n; i++)
        if (lru_touch(s, k->id[i], k->sz[i]))
            return -1;
    lru_trim(s, cap);
    return 0;
}

int npu_dvl_l2_plan(lw *c, const uint8_t *kind)
{
    const npu_graph *g = c->g;
    c->l2n = 0;
    if (c->s->l2 <= 0)
        return 0;
    lru s = {0};
    int rc = 0;
    for (int li = 0; li < g->nl && !rc; li++) {
        if (!kind[li])
            continue;
        const npu_layer *l = &g->l[li];
        kops k = {0};
        for (int i = 0; i < l->nin; i++) {
            int t = npu_dvl_root(g, l->in[i]);
            kops_add(&k, t, npu_dvl_tbytes(g, t), true);
        }
        int64_t w = npu_dtype_bytes(npu_layer_weight_dtype(g, l), l->params);
        kops_add(&k, g->nt + li, w, true);
        /* what the kernel writes: its output, or the output of the add / dequantize fused
         * into it, and a fused quantize's int8 copy */
        int ot = l->nout > 0 ? l->out[0] : -1;
        if (c->deq[li] >= 0)
            ot = g->l[c->deq[li]].out[0];
        int fa = c->fuse_add[li];
        if (fa >= 0) {
            const npu_layer *a = &g->l[fa];
            int sc = a->in[0] == ot ? a->in[1] : a->in[0];
            sc = npu_dvl_root(g, sc);
            kops_add(&k, sc, npu_dvl_tbytes(g, sc), true);
            ot = a->nout > 0 ? a->out[0] : -1;
        }
        if (fa < 0 && c->deq[li] < 0)
            for (int i = 0; i < l->nout; i++)
                kops_add(&k, l->out[i], npu_dvl_tbytes(g, l->out[i]), false);
        else if (ot >= 0)
            kops_add(&k, ot, npu_dvl_tbytes(g, ot), false);
        if (c->quant[li] >= 0) {
            int qo = g->l[c->quant[li]].out[0];
            kops_add(&k, qo, npu_dvl_tbytes(g, qo), false);
        }
        rc = kernel(c, &s, li, &k);
        if (!rc && kind[li] == 1 && !npu_dvl_act_fused(c, l->act) && ot >= 0) {
            kops a = {0}; /* the activation's own vector kernel reads ot back in place */
            kops_add(&a, ot, npu_dvl_tbytes(g, ot), true);
            rc = kernel(c, &s, li, &a);
        }
    }
    free(s.id);
    free(s.sz);
    if (rc)
        return npu_dvl_oom(c);
    /* a tensor every kernel reads wholly from L2 is written there and never reaches DDR */
    for (int i = 0; i < c->l2n; i++) {
        int t = c->l2r[i].t;
        if (t >= 0 && t < g->nt && c->on_core[t])
            c->in_l2[t] = 1;
    }
    for (int i = 0; i < c->l2n; i++) {
        int t = c->l2r[i].t;
        if (t >= 0 && t < g->nt && c->l2r[i].h < 1)
            c->in_l2[t] = 0;
    }
    return 0;
}

/* The share of the current layer's read of t that hits L2 (0 when t lives in L2 wholly:
 * tensor_l2 says so, or when nothing was recorded). */
double npu_dvl_l2_hit(const lw *c, int t)
{
    t = npu_dvl_root(c->g, t);
    int lo = 0, hi = c->l2n; /* records are in layer order: the first of layer gli */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->l2r[mid].layer < c->gli)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int i = lo; i < c->l2n && c->l2r[i].layer == c->gli; i++)
        if (c->l2r[i].t == t)
            return c->l2r[i].h;
    return 0;
}
