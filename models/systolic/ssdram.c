/* ssdram.c — SCALE-Sim v2's OFMAP write buffer and DRAM drain (see ssdram.h).
 *
 * The mechanism (SCALE-Sim v2 memory/write_buffer.py, CALC mode; reproduced exactly on every
 * report in tests/golden/scalesim/reports/):
 *   - The buffer holds `total` words (OfmapSramSzkB·1024, one byte per word), split into an
 *     active half (⌈total/2⌉) and a drain half. Every valid OFMAP write of the demand matrix
 *     is packed into DRAM lines of `bw` words (a cache of lines, in write order).
 *   - After each stored word: if a drain is still running (cycle < drain end) nothing happens
 *     (a full buffer would stall: refused here); otherwise, once free space < the active
 *     half, the partial line is closed (padded with −1) and one drain starts at this cycle:
 *     the next ⌈drain/bw⌉ lines of the cache, one line per cycle. Its end cycle is that of its
 *     last line; it frees lines·bw words minus the −1s of its LAST line only, so a padded line
 *     inside a drain counts its padding as written words (SCALE-Sim's +bw−1 on every layer
 *     that drains before its end).
 *   - After the last demand row the partial line is closed and the rest of the cache drains
 *     from the last cycle on (not after a drain still running), chunk after chunk.
 *   DRAM OFMAP start/stop = cycles of the first/last line of the drain trace; writes = the
 *   words the drains counted.
 * OFMAP demand per fold (SCALE-Sim's systolic_compute_{os,ws,is}.py): `pre` empty rows (OS
 * T−1, WS/IS 2R−1), then `nr` rows of `cu` valid writes (OS: the fold's used rows; WS/IS: T),
 * skewed one cycle per array column; every fold lasts the full fold cycles.
 */
#include "ssdram.h"

#include <stdlib.h>
#include <string.h>

#include "systolic.h"

typedef struct wbuf {
    int64_t bw, total, active, chunk;   /* words; chunk: lines per drain                    */
    int64_t free_words, cur;            /* free space; words in the open line              */
    int64_t lines, drained;             /* lines closed so far; lines drained so far       */
    int64_t *part_line, *part_valid;    /* closed lines that are not full (ascending)      */
    size_t npart, cappart, part_next;   /* part_next: first partial line not yet drained   */
    int64_t drain_end;                  /* cycle of the last line of the last drain         */
    npu_ssdram_op op;
    bool any;
    npu_ssdram_drains *rec; /* when not NULL: every drain is recorded here */
    int oom;
} wbuf;

static int close_line(wbuf *b, npu_err *err)
{
    if (b->cur == 0)
        return 0;
    if (b->cur < b->bw) {
        if (b->npart == b->cappart) {
            size_t n = b->cappart ? 2 * b->cappart : 16;
            int64_t *l = realloc(b->part_line, n * sizeof *l);
            if (l)
                b->part_line = l;
            int64_t *v = l ? realloc(b->part_valid, n * sizeof *v) : NULL;
            if (!v)
                return npu_err_set(err, NPU_ENOMEM, "out of memory");
            b->part_valid = v;
            b->cappart = n;
        }
        b->part_line[b->npart] = b->lines;
        b->part_valid[b->npart++] = b->cur;
    }
    b->lines++;
    b->cur = 0;
    return 0;
}

/* One drain of up to `chunk` lines from cycle `start`; returns its last line's cycle. */
static int64_t drain(wbuf *b, int64_t start)
{
    int64_t end = b->drained + b->chunk;
    if (end > b->lines)
        end = b->lines;
    int64_t n = end - b->drained;
    if (n <= 0)
        return start;
    int64_t last_valid = b->bw;
    while (b->part_next < b->npart && b->part_line[b->part_next] < end) {
        if (b->part_line[b->part_next] == end - 1)
            last_valid = b->part_valid[b->part_next];
        b->part_next++;
    }
    if (b->rec) {
        npu_ssdram_drains *r = b->rec;
        if (r->nd == r->cap) {
            size_t c = r->cap ? 2 * r->cap : 64;
            int64_t *v = realloc(r->d, 3 * c * sizeof *v);
            if (!v)
                b->oom = 1;
            else
                r->d = v, r->cap = c;
        }
        if (r->nd < r->cap) {
            r->d[3 * r->nd] = start, r->d[3 * r->nd + 1] = b->drained, r->d[3 * r->nd + 2] = n;
            r->nd++;
        }
    }
    int64_t words = n * b->bw - (b->bw - last_valid);
    b->op.words += words;
    b->free_words += words;
    if (!b->any)
        b->op.start = start;
    b->any = true;
    b->op.stop = start + n - 1;
    b->drained = end;
    return start + n - 1;
}

/* n valid writes in demand cycle `cyc`. */
static int store(wbuf *b, int64_t cyc, int64_t n, npu_err *err)
{
    while (n > 0) {
        int64_t k = n; /* words stored before something can happen */
        if (cyc < b->drain_end) {
            if (b->free_words - k < 1)
                return npu_err_set(err, NPU_EUNSUPPORTED, "SCALE-Sim's OFMAP write buffer "
                                   "would stall here (ofmap SRAM too small for its drain); "
                                   "its stall model is not reproduced");
        } else if (b->free_words - k < b->active) {
            k = b->free_words - b->active + 1;
            if (k < 1)
                k = 1;
        } else
            k = n;
        /* store k words */
        int64_t room = b->bw - b->cur;
        int64_t w = k;
        if (w < room) {
            b->cur += w;
        } else {
            w -= room;
            b->lines += 1 + w / b->bw;
            b->cur = w % b->bw;
        }
        b->free_words -= k;
        n -= k;
        if (cyc >= b->drain_end && b->free_words < b->active) {
            if (close_line(b, err))
                return -1;
            b->drain_end = drain(b, cyc);
        }
    }
    return 0;
}

int npu_ssdram_ofmap(const npu_sys_layer *L, int64_t bw, npu_ssdram_op *out, npu_err *err)
{
    return npu_ssdram_ofmap_drains(L, bw, out, NULL, err);
}

void npu_ssdram_drains_free(npu_ssdram_drains *dr)
{
    free(dr->d);
    free(dr->pline);
    free(dr->pvalid);
    *dr = (npu_ssdram_drains){0};
}

int npu_ssdram_ofmap_drains(const npu_sys_layer *L, int64_t bw, npu_ssdram_op *out,
                            npu_ssdram_drains *dr, npu_err *err)
{
    wbuf b = {0};
    b.rec = dr;
    int64_t R = L->rows, C = L->cols;
    b.bw = bw;
    b.total = 2 * L->ofmap_half;
    b.active = (b.total + 1) / 2;
    b.chunk = ((b.total - b.active) + bw - 1) / bw;
    b.free_words = b.total;
    if (bw < 1 || b.total < 2 || b.chunk < 1)
        return npu_err_set(err, NPU_EINVAL, "SCALE-Sim OFMAP buffer: %lld words, bandwidth %lld",
                           (long long)b.total, (long long)bw);
    int64_t fold = npu_systolic_fold_cycles(L->dataflow, R, C, L->t);
    bool os = L->dataflow == NPU_SYS_DF_OS;
    int64_t pre = os ? L->t - 1 : 2 * R - 1;
    int64_t base = 0;
    int rc = 0;
    for (int64_t fc = 0; fc < L->col_folds && !rc; fc++) {
        int64_t cu = L->sc - fc * C < C ? L->sc - fc * C : C;
        for (int64_t fr = 0; fr < L->row_folds && !rc; fr++, base += fold) {
            int64_t ru = L->sr - fr * R < R ? L->sr - fr * R : R;
            int64_t nr = os ? ru : L->t;
            /* skewed rows: cycle pre+s holds the (r, j) with r + j = s */
            for (int64_t s = 0; s < nr + cu - 1 && !rc; s++) {
                int64_t hi = s < nr - 1 ? s : nr - 1, lo = s - cu + 1 > 0 ? s - cu + 1 : 0;
                rc = store(&b, base + pre + s, hi - lo + 1, err);
            }
        }
    }
    if (!rc)
        rc = close_line(&b, err);
    if (!rc) {
        int64_t st = base - 1; /* the last demand cycle */
        while (b.drained < b.lines)
            st = drain(&b, st) + 1;
        *out = b.op;
    }
    if (!rc && b.oom)
        rc = npu_err_set(err, NPU_ENOMEM, "out of memory (SCALE-Sim OFMAP drains)");
    if (dr && !rc) { /* the trace writer needs the partial lines too */
        dr->pline = b.part_line, dr->pvalid = b.part_valid, dr->np = b.npart;
        return 0;
    }
    free(b.part_line);
    free(b.part_valid);
    return rc;
}

int npu_ssdram_read(int64_t distinct, int64_t sram_words, int64_t first, npu_ssdram_op *out,
                    npu_err *err)
{
    int64_t set = sram_words / 100, active = 50;
    if (set < 1 || distinct < 0)
        return npu_err_set(err, NPU_EINVAL, "SCALE-Sim read buffer: %lld words of SRAM for "
                           "%lld distinct words", (long long)sram_words, (long long)distinct);
    int64_t sets = (distinct + set - 1) / set;
    bool fits = sets <= active;
    int64_t n = fits ? sets : active;
    int64_t lines = (n * set + NPU_SSDRAM_READ_WIDTH - 1) / NPU_SSDRAM_READ_WIDTH;
    int64_t end = fits ? 0 : first; /* the first fetch ends on the cycle before `end` */
    out->start = end - lines;
    if (!fits)
        return 0;
    out->stop = end - 1;
    out->words = distinct;
    return 1;
}

int64_t npu_ssdram_filter_reads(const npu_sys_layer *L, int64_t sram_words)
{
    return npu_ssdram_filter_walk(L, sram_words, NULL, NULL);
}

int64_t npu_ssdram_filter_addr(const npu_sys_layer *L, int64_t p)
{
    if (L->dataflow == NPU_SYS_DF_IS)
        return p; /* the whole filter, k-major */
    int64_t C = L->cols, fc = p / (C * L->k);
    int64_t cu = L->n - fc * C < C ? L->n - fc * C : C, rem = p - fc * C * L->k;
    return rem / cu * L->n + fc * C + rem % cu;
}

int64_t npu_ssdram_filter_cycle(const npu_sys_layer *L, int64_t fc, int64_t fr, int64_t at)
{
    int64_t R = L->rows, C = L->cols;
    int64_t cu = L->sc - fc * C < C ? L->sc - fc * C : C;
    int64_t base = (fc * L->row_folds + fr) * npu_systolic_fold_cycles(L->dataflow, R, C, L->t);
    switch (L->dataflow) {
    case NPU_SYS_DF_WS: /* preloaded, array row r on cycle R−1−r */
        return base + R - 1 - at / cu;
    case NPU_SYS_DF_IS: /* (r, n) streamed after the preload: R + n + r */
        return base + R + at % L->n + at / L->n;
    default: /* OS: (k, j) on cycle k + j */
        return base + at / cu + at % cu;
    }
}

int64_t npu_ssdram_filter_walk(const npu_sys_layer *L, int64_t sram_words, npu_ssdram_fetch_fn fn,
                               void *ctx)
{
    int64_t R = L->rows, C = L->cols, K = L->k, N = L->n, n = K * N;
    int64_t W = 50 * (sram_words / 100);
    if (W < 1)
        return n;
    int64_t a = 0, b = W < n ? W : n, words = b; /* the window [a, b): first fetch */
    for (int64_t fc = 0; fc < L->col_folds; fc++) {
        int64_t cu = L->sc - fc * C < C ? L->sc - fc * C : C;
        for (int64_t fr = 0; fr < L->row_folds; fr++) {
            int64_t ru = L->sr - fr * R < R ? L->sr - fr * R : R;
            int64_t s0, s1, end; /* the fold's slice; end: where a move of the window stops */
            switch (L->dataflow) {
            case NPU_SYS_DF_WS: /* Sr = K rows, Sc = N columns: blocks, column fold outer */
                s0 = fc * C * K + fr * R * cu, s1 = s0 + ru * cu, end = fc * C * K + K * cu;
                break;
            case NPU_SYS_DF_IS: /* Sr = K rows: every column fold walks the whole filter */
                s0 = fr * R * N, s1 = s0 + ru * N, end = n;
                break;
            default: /* OS: Sc = N columns, every row fold walks its column fold's K·cu */
                s0 = fc * C * K, s1 = s0 + K * cu, end = s1;
                break;
            }
            for (int64_t q = s0; q < s1;) {
                if (q >= a && q < b) { /* hits up to the end of the window */
                    q = b;
                    continue;
                }
                int64_t na = q, nb = q + W < end ? q + W : end;
                int64_t lo = na > a ? na : a, hi = nb < b ? nb : b;
                words += (nb - na) - (hi > lo ? hi - lo : 0);
                if (fn && hi > lo) { /* the new words: before and after the part still held */
                    if (lo > na && fn(ctx, fc, fr, q - s0, na, lo))
                        return -1;
                    if (nb > hi && fn(ctx, fc, fr, q - s0, hi, nb))
                        return -1;
                } else if (fn && fn(ctx, fc, fr, q - s0, na, nb))
                    return -1;
                a = na, b = nb, q = nb;
            }
        }
    }
    return words;
}

typedef struct last_miss {
    const npu_sys_layer *L;
    int64_t cycle;
} last_miss;

static int last_fetch(void *ctx, int64_t fc, int64_t fr, int64_t at, int64_t lo, int64_t hi)
{
    (void)lo, (void)hi;
    last_miss *m = ctx;
    m->cycle = npu_ssdram_filter_cycle(m->L, fc, fr, at);
    return 0;
}

int npu_ssdram_filter(const npu_sys_layer *L, int64_t sram_words, int64_t first,
                      npu_ssdram_op *out, npu_err *err)
{
    int rc = npu_ssdram_read(L->k * L->n, sram_words, first, out, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    last_miss m = {L, out->start};
    out->words = npu_ssdram_filter_walk(L, sram_words, last_fetch, &m);
    out->stop = m.cycle;
    return 0;
}

typedef struct fifo {
    uint8_t *in;      /* in[a]: word a is held      */
    int64_t *ring;    /* held words, oldest at head */
    int64_t cap, head, n, space, reads, last;
    npu_ssdram_line_fn fn; /* the DRAM trace, when not NULL */
    void *ctx;
    int64_t first, lines, nfirst; /* first fetch: its first cycle, lines, words (in ring) */
    bool sent;        /* first fetch handed to fn */
    /* Steady state (OS/WS without fn: every column fold demands the same ifmap words in the
     * same order): the buffer at the start of column fold 1 is kept; if column fold 2 starts
     * with the same buffer, every later column fold repeats column fold 1 exactly. */
    bool steady_ok;
    int64_t fc, *snap, snap_head, snap_n, reads1, last1, pass_cycles, col_folds;
} fifo;

static bool fifo_same(const fifo *f)
{
    if (f->n != f->snap_n)
        return false;
    for (int64_t i = 0; i < f->n; i++)
        if (f->ring[(f->head + i) % f->cap] != f->snap[(f->snap_head + i) % f->cap])
            return false;
    return true;
}

/* At the first row of column fold fc: 1 keeps the buffer, 2 compares; returns 2 when the rest
 * of the walk is known (reads and last filled in). */
static int fifo_fold(fifo *f, int64_t fc)
{
    f->fc = fc;
    if (fc == 1) {
        memcpy(f->snap, f->ring, (size_t)f->cap * sizeof *f->ring);
        f->snap_head = f->head, f->snap_n = f->n, f->reads1 = f->reads, f->last1 = -1;
        return 0;
    }
    if (fc != 2 || !fifo_same(f))
        return 0;
    int64_t per = f->reads - f->reads1, more = f->col_folds - 2;
    f->reads += more * per;
    if (f->last1 >= 0) /* the last column fold's last read */
        f->last = f->last1 + (f->col_folds - 2) * f->pass_cycles;
    return 2;
}

/* Words w[0..n) as DRAM lines of NPU_SSDRAM_READ_WIDTH (−1 padded), `pad` more −1 words, line
 * i on cycle c0 + i·step. */
static int lines_out(fifo *f, const int64_t *w, int64_t n, int64_t pad, int64_t c0, int64_t step)
{
    int64_t line[NPU_SSDRAM_READ_WIDTH];
    int64_t tot = n + pad;
    for (int64_t i = 0; i < tot; i += NPU_SSDRAM_READ_WIDTH) {
        for (int j = 0; j < NPU_SSDRAM_READ_WIDTH; j++)
            line[j] = i + j < n ? w[i + j] : -1;
        if (f->fn(f->ctx, c0 + i / NPU_SSDRAM_READ_WIDTH * step, line, NPU_SSDRAM_READ_WIDTH))
            return 1;
    }
    return 0;
}

static int first_out(fifo *f)
{
    f->sent = true; /* the ring holds the first fetch, in order, from index 0 */
    return lines_out(f, f->ring, f->nfirst, f->lines * NPU_SSDRAM_READ_WIDTH - f->nfirst,
                     f->first, 1);
}

static int fifo_row(void *ctx, int64_t fc, int64_t fr, int64_t cycle, const int64_t *addr,
                    int width)
{
    (void)fr;
    fifo *f = ctx;
    if (f->steady_ok && fc != f->fc && fifo_fold(f, fc) == 2)
        return 2;
    int64_t miss[250];
    int nm = 0;
    for (int i = 0; i < width; i++) {
        int64_t a = addr[i];
        if (a < 0 || a >= f->space || f->in[a])
            continue;
        if (f->n == f->cap) { /* the oldest word leaves */
            if (f->fn && !f->sent && first_out(f))
                return 1;
            f->in[f->ring[f->head]] = 0;
            f->head = (f->head + 1) % f->cap;
            f->n--;
        }
        f->ring[(f->head + f->n++) % f->cap] = a;
        f->in[a] = 1;
        if (f->reads++ < f->cap)
            f->nfirst++;
        else {
            f->last = cycle;
            if (f->fc == 1)
                f->last1 = cycle;
            if (f->fn) { /* this cycle's misses, NPU_SSDRAM_READ_WIDTH to a line */
                miss[nm++] = a;
                if (nm == (int)(sizeof miss / sizeof miss[0])) {
                    if (lines_out(f, miss, nm, 0, cycle, 0))
                        return 1;
                    nm = 0;
                }
            }
        }
    }
    return f->fn && nm ? lines_out(f, miss, nm, 0, cycle, 0) : 0;
}

int npu_ssdram_ifmap(const npu_sys_layer *L, const npu_ssdem_geom *g, int64_t sram_words,
                     int64_t first, npu_ssdram_line_fn fn, void *ctx, npu_ssdram_op *out,
                     npu_err *err)
{
    int rc = npu_ssdram_read(npu_ssdem_ifmap_words(L, g), sram_words, first, out, err);
    if (rc < 0 || (rc == 1 && !fn))
        return rc < 0 ? -1 : 0;
    int64_t demand = L->m * L->k * (L->dataflow == NPU_SYS_DF_IS ? 1 : L->col_folds);
    if (!fn && demand > NPU_SSDRAM_WALK_MAX)
        return 2;
    fifo f = {0};
    f.cap = 50 * (sram_words / 100);
    f.space = g->has ? g->h * g->w * g->c : L->m * L->k;
    f.fn = fn, f.ctx = ctx, f.first = out->start;
    f.lines = (rc == 1 ? -1 : first) - out->start + (rc == 1 ? 1 : 0);
    f.in = calloc((size_t)f.space, 1);
    f.ring = malloc((size_t)f.cap * sizeof *f.ring);
    f.steady_ok = !fn && L->dataflow != NPU_SYS_DF_IS && L->col_folds > 2;
    f.snap = f.steady_ok ? malloc((size_t)f.cap * sizeof *f.snap) : NULL;
    f.col_folds = L->col_folds;
    f.pass_cycles = L->row_folds * npu_systolic_fold_cycles(L->dataflow, L->rows, L->cols, L->t);
    int wr = f.in && f.ring && (f.snap || !f.steady_ok)
                 ? npu_ssdem_walk(L, g, NPU_SSDEM_IFMAP, fifo_row, &f) : -1;
    if (wr == 2) /* steady state: the walk stopped early with everything known */
        wr = 0;
    if (wr == 0 && fn && !f.sent)
        wr = first_out(&f);
    if (wr < 0)
        rc = npu_err_set(err, NPU_ENOMEM, "out of memory (SCALE-Sim ifmap read buffer)");
    else if (wr > 0)
        rc = -1; /* fn failed and said why */
    else {
        if (f.reads > f.cap)
            out->stop = f.last, out->words = f.reads;
        rc = 0;
    }
    free(f.in);
    free(f.ring);
    free(f.snap);
    return rc;
}
