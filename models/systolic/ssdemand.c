/* ssdemand.c — SCALE-Sim v2's SRAM demand of one layer (see ssdemand.h).
 *
 * SCALE-Sim's demand matrices have one row per cycle and one column per array row or
 * column; folds follow each other (column fold outer, row fold inner), each the full fold
 * cycles long (npu_systolic_fold_cycles). Within a fold (R×C array, T rows streamed, the fold
 * using ru rows and cu columns; worked back from the reference reports, docs/scalesim.md §4):
 *   - a stationary operand (WS filter, IS ifmap) is preloaded in R cycles, array row r on
 *     cycle R−1−r;
 *   - a streamed operand enters skewed, one cycle per array row: element (t, r) on cycle
 *     t + r, after the preload in WS/IS (cycle R + t + r); in OS both the ifmap (rows) and
 *     the filter (columns) stream from cycle 0;
 *   - results leave skewed too: WS/IS from cycle 2R−1 (row t, column j on 2R−1 + t + j),
 *     OS from cycle T−1, its last two rows of writes ending the fold.
 * Reads are reported one cycle after their demand row (the SRAM's hit latency), writes on it.
 * An ifmap element whose window position falls outside the ifmap (a stride that does not
 * tile it: AlexNet conv1 reads rows 0…226 of 224) is a hole in the demand: it is counted in
 * the reads (SCALE-Sim counts the demand matrix) but is never read, so the IFMAP stop cycle
 * is the last in-bounds element's (120,979 instead of 121,079 on conv1 in OS).
 */
#include "ssdemand.h"

#include <stdlib.h>

#include "systolic.h"

static bool in_bounds(const npu_ssdem_geom *g, int64_t pixel, int64_t k)
{
    if (!g->has)
        return true;
    int64_t i = pixel / g->wo, j = pixel % g->wo;
    int64_t fh = k / (g->kw * g->c), fw = (k / g->c) % g->kw;
    return i * g->sh + fh < g->h && j * g->sw + fw < g->w;
}

void npu_ssdem_geom_of(const npu_graph *g, int li, const npu_sys_layer *L, npu_ssdem_geom *out)
{
    *out = (npu_ssdem_geom){0};
    npu_conv_geom cg;
    if (!g || li < 0 || li >= g->nl || g->l[li].op != NPU_OP_CONV ||
        npu_layer_conv_geom(g, li, &cg) || cg.groups < 1 || cg.dh != 1 || cg.dw != 1)
        return;
    int64_t c = cg.c / cg.groups;
    if ((int64_t)cg.kh * cg.kw * c != L->k || cg.ho * cg.wo != L->m) /* N:M, or not ours */
        return;
    /* bottom/right padding is SCALE-Sim's ceil output size (sim/front/scalesim.c): windows
     * reaching into it read outside the ifmap; top/left padding counts as pre-padded data */
    *out = (npu_ssdem_geom){true, cg.h + cg.pt, cg.w + cg.pl, c, cg.kh, cg.kw, cg.sh, cg.sw,
                            cg.wo};
}

/* Last cycle (in its fold) of a streamed ifmap slice: pixels p0.. (np of them) against
 * reduction rows k0.. (nk of them), element (a, b) on cycle a + b where a indexes the
 * streamed dimension and b the array rows; os: pixels on the rows (a = k, b = pixel). */
static int64_t last_stream(const npu_ssdem_geom *g, bool os, int64_t p0, int64_t np, int64_t k0,
                           int64_t nk)
{
    int64_t na = os ? nk : np, nb = os ? np : nk, best = -1;
    for (int64_t a = na - 1; a >= 0 && a + nb - 1 > best; a--)
        for (int64_t b = nb - 1; b >= 0 && a + b > best; b--) {
            bool in = os ? in_bounds(g, p0 + b, k0 + a) : in_bounds(g, p0 + a, k0 + b);
            if (in) {
                best = a + b;
                break;
            }
        }
    return best;
}

void npu_ssdem_sram(const npu_sys_layer *L, const npu_ssdem_geom *g, npu_ssdem_acc acc[3])
{
    int64_t R = L->rows, C = L->cols, T = L->t, rf = L->row_folds, cf = L->col_folds;
    int64_t fold = npu_systolic_fold_cycles(L->dataflow, R, C, L->t);
    int64_t last = (rf * cf - 1) * fold; /* first cycle of the last fold     */
    int64_t ru = L->sr - (rf - 1) * R, cu = L->sc - (cf - 1) * C; /* its rows, columns */
    int64_t ru0 = L->sr < R ? L->sr : R; /* rows of the first fold */
    int64_t mk = L->m * L->k, kn = L->k * L->n, mn = L->m * L->n;
    npu_ssdem_acc *i = &acc[NPU_SSDEM_IFMAP], *f = &acc[NPU_SSDEM_FILTER];
    npu_ssdem_acc *o = &acc[NPU_SSDEM_OFMAP];
    *o = (npu_ssdem_acc){2 * R - 1, last + 2 * R - 1 + T - 1 + cu - 1, mn * rf};
    switch (L->dataflow) {
    case NPU_SYS_DF_WS: /* filter preloaded, ifmap (pixels × K-slice) streamed after it */
        *f = (npu_ssdem_acc){R - ru0, last + R - 1, kn};
        *i = (npu_ssdem_acc){R, last + R + last_stream(g, false, 0, T, (rf - 1) * R, ru),
                             mk * cf};
        break;
    case NPU_SYS_DF_IS: { /* ifmap preloaded (K-slice × pixel slice), filter streamed */
        *f = (npu_ssdem_acc){R, last + R + T - 1 + ru - 1, kn * cf};
        /* the last fold whose slice has an in-bounds element, and its lowest such row */
        int64_t stop = 0;
        for (int64_t fi = rf * cf - 1; fi >= 0 && !stop; fi--) {
            int64_t fc = fi / rf, fr = fi % rf;
            int64_t nk = L->sr - fr * R < R ? L->sr - fr * R : R;
            int64_t np = L->sc - fc * C < C ? L->sc - fc * C : C;
            for (int64_t r = 0; r < nk && !stop; r++)
                for (int64_t p = 0; p < np; p++)
                    if (in_bounds(g, fc * C + p, fr * R + r)) {
                        stop = fi * fold + R - 1 - r;
                        break;
                    }
        }
        *i = (npu_ssdem_acc){R - ru0, stop, mk};
        break;
    }
    default: /* OS: ifmap on the rows (pixels), filter on the columns, both streamed */
        *i = (npu_ssdem_acc){0, last + last_stream(g, true, (rf - 1) * R, ru, 0, T), mk * cf};
        *f = (npu_ssdem_acc){0, last + T - 1 + cu - 1, kn * rf};
        *o = (npu_ssdem_acc){T - 1, last + fold - 1, mn + 2 * L->sc * rf};
        break;
    }
    i->start++, i->stop++, f->start++, f->stop++;
}

/* Rows (or columns) of an extent `n` that windows of `k` at stride `s`, `out` of them, touch. */
static int64_t touched(int64_t n, int64_t k, int64_t s, int64_t out)
{
    int64_t cnt = 0;
    for (int64_t x = 0; x < n; x++) {
        int64_t hi = x / s < out - 1 ? x / s : out - 1; /* windows starting at or before x */
        if (hi >= 0 && x - hi * s < k)
            cnt++;
    }
    return cnt;
}

int64_t npu_ssdem_ifmap_words(const npu_sys_layer *L, const npu_ssdem_geom *g)
{
    if (!g->has)
        return L->ifmap_bytes;
    int64_t ho = L->m / g->wo;
    return touched(g->h, g->kh, g->sh, ho) * touched(g->w, g->kw, g->sw, g->wo) * g->c;
}

int npu_ssdem_width(const npu_sys_layer *L, int op)
{
    bool rows = op == NPU_SSDEM_IFMAP ? L->dataflow != NPU_SYS_DF_IS
                                      : op == NPU_SSDEM_FILTER && L->dataflow == NPU_SYS_DF_IS;
    return (int)(rows ? L->rows : L->cols);
}

/* Ifmap addresses without a division per element: pixel m's window origin and output row,
 * column (scaled by the stride), reduction index k's offset in the window and its row, column. */
typedef struct im2col {
    int64_t *pb, *pi, *pj; /* per pixel */
    int64_t *kb, *ki, *kj; /* per k     */
} im2col;

static int im2col_init(im2col *x, const npu_sys_layer *L, const npu_ssdem_geom *g)
{
    *x = (im2col){0};
    if (!g->has)
        return 0;
    int64_t *p = malloc((size_t)(3 * (L->m + L->k)) * sizeof *p);
    if (!p)
        return -1;
    x->pb = p, x->pi = p + L->m, x->pj = p + 2 * L->m;
    x->kb = p + 3 * L->m, x->ki = x->kb + L->k, x->kj = x->kb + 2 * L->k;
    for (int64_t m = 0; m < L->m; m++) {
        x->pi[m] = m / g->wo * g->sh, x->pj[m] = m % g->wo * g->sw;
        x->pb[m] = (x->pi[m] * g->w + x->pj[m]) * g->c;
    }
    for (int64_t k = 0; k < L->k; k++) {
        x->ki[k] = k / (g->kw * g->c), x->kj[k] = (k / g->c) % g->kw;
        x->kb[k] = (x->ki[k] * g->w + x->kj[k]) * g->c + k % g->c;
    }
    return 0;
}

/* Address of element (a, b) of operand op: ifmap (pixel, k), filter (k, n), ofmap (pixel, n). */
static int64_t elem(const npu_sys_layer *L, const npu_ssdem_geom *g, const im2col *x, int op,
                    int64_t a, int64_t b)
{
    if (op != NPU_SSDEM_IFMAP || !g->has)
        return a * (op == NPU_SSDEM_IFMAP ? L->k : L->n) + b;
    return x->pi[a] + x->ki[b] < g->h && x->pj[a] + x->kj[b] < g->w ? x->pb[a] + x->kb[b] : -1;
}

int npu_ssdem_walk(const npu_sys_layer *L, const npu_ssdem_geom *g, int op, npu_ssdem_row_fn fn,
                   void *ctx)
{
    int64_t R = L->rows, C = L->cols, T = L->t;
    int64_t fold = npu_systolic_fold_cycles(L->dataflow, R, C, L->t);
    int w = npu_ssdem_width(L, op);
    int64_t *row = malloc((size_t)w * sizeof *row);
    im2col x;
    if (!row || (op == NPU_SSDEM_IFMAP && im2col_init(&x, L, g))) {
        free(row);
        return -1;
    }
    if (op != NPU_SSDEM_IFMAP)
        x = (im2col){0};
    int df = L->dataflow, rc = 0;
    int64_t base = 0;
    for (int64_t fc = 0; fc < L->col_folds && !rc; fc++) {
        int64_t cu = L->sc - fc * C < C ? L->sc - fc * C : C;
        for (int64_t fr = 0; fr < L->row_folds && !rc; fr++, base += fold) {
            int64_t ru = L->sr - fr * R < R ? L->sr - fr * R : R;
            bool pre = (op == NPU_SSDEM_FILTER && df == NPU_SYS_DF_WS) ||
                       (op == NPU_SSDEM_IFMAP && df == NPU_SYS_DF_IS);
            if (pre) { /* preloaded: array row r (k = fr·R + r) on cycle R−1−r, lane = column */
                for (int64_t r = ru - 1; r >= 0 && !rc; r--) {
                    for (int j = 0; j < w; j++) {
                        int64_t k = fr * R + r, v = fc * C + j; /* v: n (WS) or pixel (IS) */
                        row[j] = j >= cu ? -1 : df == NPU_SYS_DF_WS ? elem(L, g, &x, op, k, v)
                                                                     : elem(L, g, &x, op, v, k);
                    }
                    rc = fn(ctx, fc, fr, base + R - 1 - r, row, w);
                }
                continue;
            }
            /* skewed: lane l on cycle first + s holds element t = s − l of the stream */
            int64_t first, lanes, len = T;
            if (op == NPU_SSDEM_OFMAP)
                first = df == NPU_SYS_DF_OS ? T - 1 : 2 * R - 1, lanes = cu,
                len = df == NPU_SYS_DF_OS ? ru : T;
            else if (df == NPU_SYS_DF_OS)
                first = 0, lanes = op == NPU_SSDEM_IFMAP ? ru : cu;
            else
                first = R, lanes = ru;
            for (int64_t s = 0; s < len + lanes - 1 && !rc; s++) {
                for (int l = 0; l < w; l++) {
                    int64_t t = s - l, a, b;
                    if (l >= lanes || t < 0 || t >= len) {
                        row[l] = -1;
                        continue;
                    }
                    if (op == NPU_SSDEM_OFMAP) /* (pixel, n) */
                        a = df == NPU_SYS_DF_OS ? fr * R + t : df == NPU_SYS_DF_WS ? t : fc * C + l,
                        b = df == NPU_SYS_DF_IS ? t : fc * C + l;
                    else if (df == NPU_SYS_DF_OS) /* ifmap (pixel, k), filter (k, n) */
                        a = op == NPU_SSDEM_IFMAP ? fr * R + l : t,
                        b = op == NPU_SSDEM_IFMAP ? t : fc * C + l;
                    else if (df == NPU_SYS_DF_WS) /* ifmap (pixel t, k) */
                        a = t, b = fr * R + l;
                    else /* IS filter (k, n = t) */
                        a = fr * R + l, b = t;
                    row[l] = elem(L, g, &x, op, a, b);
                }
                rc = fn(ctx, fc, fr, base + first + s, row, w);
            }
        }
    }
    free(row);
    free(x.pb);
    return rc;
}
