/* lower.c — lowering a graph for the systolic array (prefix npu_systolic_).
 *
 * MAC layers become the operand-matrix view of SCALE-Sim (research/peers.md §2.4):
 *   conv   per image and group: M = Ho·Wo, N = filters/groups, K = Fh·Fw·C/groups; a grouped or
 *          depthwise conv is `groups` independent sub-problems, as SCALE-Sim runs a "DP" layer
 *          as C one-channel layers; images of a batch are sub-problems too (SCALE-Sim: batch 1);
 *   convt  scatter form per image and group: M = H·W input pixels, K = C/groups,
 *          N = Fh·Fw·filters/groups (same MACs as the transposed conv);
 *   gemm   M×K input, K×N weights; matmul: `batch` sub-problems of M×K · K×N.
 * Mapping (SCALE-Sim v2 compute/systolic_compute_*.py): OS puts M on the rows, N on the
 * columns and streams K; WS K / N / M; IS K / M / N. Folds: ⌈Sr/R⌉ row folds × ⌈Sc/C⌉ column
 * folds, visited column fold outer, row fold inner (SCALE-Sim's order).
 *
 * The SRAM plan (what the detailed fidelity times; the scalesim fidelity only counts bytes).
 * Each operand depends on the fold indices (i row fold, j column fold) like this:
 *        ifmap        filter       partial sums / outputs
 *   OS   i (M rows)   j (N cols)   (i,j) final after each fold
 *   WS   i (K slice)  (i,j) stat.  j: M×N_j accumulated over i
 *   IS   (i,j) stat.  i (K slice)  j: M_j×N accumulated over i
 * - a stationary tile (i,j) is prefetched for every fold into a free half (credit of 2);
 * - an operand that depends on i only is re-used by every column fold: if the whole operand
 *   of the sub-problem fits one half it is loaded once (resident), otherwise it is fetched
 *   again for every column fold (re-fetch factor ⌈Sc/C⌉), or streamed when one tile is larger
 *   than a half;
 * - an operand that depends on j only (OS filter) is loaded once per column fold when its tile
 *   fits a half, else streamed for every fold (re-fetch factor ⌈Sr/R⌉);
 * - partial sums stay in the ofmap SRAM when the block fits a half and are drained once by the
 *   ofmap DMA; otherwise every row fold writes them to DRAM and the next reads them back.
 * N:M structured sparsity (layer attribute nm=N,M, SCALE-Sim v3's topology column): the filter
 * is stored compressed along the reduction dimension, N of every M rows kept, so the operand
 * matrices have K' = ⌊K/M⌋·N + min(N, K mod M) rows (the array reads the ifmap element each
 * kept weight selects). Every count above then uses K': fewer row folds (OS: a shorter T).
 * fidelity=detailed also moves the metadata: ⌈log2 M⌉ bits of in-block index per kept weight
 * (assumption: SCALE-Sim v3's ellpack_block layout; docs/scalesim.md), added to the filter
 * bytes of every tile; fidelity=scalesim counts the values only.
 * Conv ifmap bytes are the unique input bytes (H·W·C/g), shared out over the tiles in
 * proportion to the im2col elements they cover (an on-chip im2col/line buffer: each input byte
 * is fetched once per tile that needs it; halo overlap between tiles is ignored).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "systolic.h"

typedef enum { DEP_I, DEP_J, DEP_IJ } sys_dep;

typedef struct sys_plan {
    int df;
    int64_t R, C, word;
    int64_t m, n, k, nsub;
    int64_t sr, sc, t, nr, nc;
    int64_t nseg, tseg;         /* WS/IS: T cut into segments so partial sums fit (1 = none) */
    int64_t uif;                /* unique ifmap bytes per sub-problem                       */
    sys_dep dep_if, dep_fl;
    bool if_res, fl_res;        /* resident (dep I, whole operand fits a half)              */
    bool if_stream, fl_stream;  /* tiles larger than a half: streamed by the array          */
    bool accum, spill;          /* WS/IS partial sums                                      */
    bool may_cut;               /* detailed fidelity: T may be cut (SCALE-Sim never does)   */
    bool out_stream;            /* OS: a result tile larger than an ofmap half             */
    int64_t if_half, fl_half, of_half;
    int64_t meta_bits;          /* N:M metadata bits per kept filter element (0: none)    */
} sys_plan;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* U·part/whole, exact when whole divides U (GEMM: always). */
static int64_t share(int64_t u, int64_t part, int64_t whole)
{
    if (whole <= 0 || part >= whole)
        return u;
    if (u % whole == 0)
        return u / whole * part;
    long double x = (long double)u * (long double)part / (long double)whole;
    return (int64_t)floorl(x + 0.5L);
}

static int64_t rows_used(const sys_plan *p, int64_t i) { return min64(p->R, p->sr - i * p->R); }
static int64_t cols_used(const sys_plan *p, int64_t j) { return min64(p->C, p->sc - j * p->C); }

static int64_t ifmap_tile(const sys_plan *p, int64_t ri, int64_t cj, int64_t ts)
{
    switch (p->df) {
    case NPU_SYS_DF_WS: return ts == p->m ? share(p->uif, ri, p->k)
                                          : share(p->uif, ri * ts, p->k * p->m);
    case NPU_SYS_DF_IS: return share(p->uif, ri * cj, p->k * p->m);
    default: return share(p->uif, ri, p->m);
    }
}

/* Bytes of `elems` filter elements: the values plus their N:M metadata. */
static int64_t fl_bytes(const sys_plan *p, int64_t elems)
{
    return elems * p->word + ceil_div(elems * p->meta_bits, 8);
}

static int64_t filter_tile(const sys_plan *p, int64_t ri, int64_t cj, int64_t ts)
{
    switch (p->df) {
    case NPU_SYS_DF_WS: return fl_bytes(p, ri * cj);
    case NPU_SYS_DF_IS: return fl_bytes(p, ri * ts);
    default: return fl_bytes(p, p->k * cj);
    }
}

/* OS: the result tile of a fold; WS/IS: the partial-sum block of column fold j. */
static int64_t out_tile(const sys_plan *p, int64_t ri, int64_t cj, int64_t ts)
{
    switch (p->df) {
    case NPU_SYS_DF_WS: return ts * cj * p->word;
    case NPU_SYS_DF_IS: return cj * ts * p->word;
    default: return ri * cj * p->word;
    }
}

/* Operand-matrix elements the array reads from / writes to the SRAMs in one fold (SCALE-Sim's
 * SRAM read/write counts: e.g. WS ifmap M·K·⌈N/C⌉ over the layer). */
static void sram_traffic(const sys_plan *p, int64_t ri, int64_t cj, int64_t ts, int64_t *ifr,
                         int64_t *flr, int64_t *ofw)
{
    switch (p->df) {
    case NPU_SYS_DF_WS:
        *flr = ri * cj; *ifr = ts * ri; *ofw = ts * cj;
        break;
    case NPU_SYS_DF_IS:
        *ifr = ri * cj; *flr = ri * ts; *ofw = cj * ts;
        break;
    default:
        *ifr = ri * p->k; *flr = p->k * cj; *ofw = ri * cj;
        break;
    }
    *ifr *= p->word;
    *flr = fl_bytes(p, *flr);
    *ofw *= p->word;
}

static void plan_memory(sys_plan *p)
{
    int64_t r0 = min64(p->R, p->sr), c0 = min64(p->C, p->sc);
    int64_t fl_total = fl_bytes(p, p->k * p->n);
    switch (p->df) {
    case NPU_SYS_DF_WS: p->dep_if = DEP_I; p->dep_fl = DEP_IJ; break;
    case NPU_SYS_DF_IS: p->dep_if = DEP_IJ; p->dep_fl = DEP_I; break;
    default: p->dep_if = DEP_I; p->dep_fl = DEP_J; break;
    }
    p->nseg = 1;
    p->tseg = p->t;
    if (p->may_cut && p->df != NPU_SYS_DF_OS && out_tile(p, r0, c0, p->t) > p->of_half) {
        /* Partial sums of a column fold do not fit an ofmap half. Two ways out: spill them
         * (every row fold but the first reads and writes them: 2(nr-1) x ofmap bytes), or cut
         * T into segments whose partial block fits, re-loading the stationary operand once per
         * segment ((nseg-1) x its bytes). Take the one that moves fewer DRAM bytes. */
        int64_t per_row = c0 * p->word; /* partial bytes per streamed row */
        int64_t tfit = p->of_half / per_row;
        if (tfit >= 1) {
            int64_t nseg = ceil_div(p->t, tfit);
            int64_t stat = p->df == NPU_SYS_DF_WS ? fl_total : p->uif;
            int64_t ofm = p->m * p->n * p->word;
            if ((nseg - 1) * stat < 2 * (p->nr - 1) * ofm) {
                p->nseg = nseg;
                p->tseg = ceil_div(p->t, nseg);
            }
        }
    }
    int64_t if_tile = ifmap_tile(p, r0, c0, p->tseg), fl_tile = filter_tile(p, r0, c0, p->tseg);
    p->if_res = p->dep_if == DEP_I && p->uif <= p->if_half;
    p->fl_res = p->dep_fl == DEP_I && fl_total <= p->fl_half;
    p->if_stream = p->dep_if != DEP_IJ && !p->if_res && if_tile > p->if_half;
    p->fl_stream = p->dep_fl != DEP_IJ && !p->fl_res && fl_tile > p->fl_half;
    int64_t o = out_tile(p, r0, c0, p->tseg);
    if (p->df == NPU_SYS_DF_OS) {
        p->out_stream = o > p->of_half;
    } else {
        p->accum = o <= p->of_half;
        p->spill = !p->accum;
    }
}

static void fill_fold(const sys_plan *p, int64_t i, int64_t j, int64_t sg, npu_sys_fold *f)
{
    memset(f, 0, sizeof *f);
    int64_t ri = rows_used(p, i), cj = cols_used(p, j);
    int64_t ts = min64(p->tseg, p->t - sg * p->tseg);
    bool first_i = i == 0, last_i = i == p->nr - 1;
    bool last = last_i && j == p->nc - 1 && sg == p->nseg - 1;
    f->count = 1;
    f->row_fold = i;
    f->col_fold = j;
    f->rows_used = (uint32_t)ri;
    f->cols_used = (uint32_t)cj;
    f->t = ts;
    f->seg = (uint32_t)sg;
    unsigned fl = 0;
    /* ifmap */
    int64_t it = ifmap_tile(p, ri, cj, ts);
    if (p->dep_if == DEP_IJ) {
        f->ifmap_ld = NPU_SYS_LD_PREFETCH, f->ifmap_bytes = it, fl |= NPU_SYS_FF_IFMAP_RELEASE;
    } else if (p->if_res) {
        if (j == 0)
            f->ifmap_ld = NPU_SYS_LD_RESIDENT, f->ifmap_bytes = it;
        if (last)
            fl |= NPU_SYS_FF_IFMAP_RELEASE;
    } else if (p->if_stream) {
        f->ifmap_ld = NPU_SYS_LD_STREAM, f->ifmap_bytes = it;
    } else {
        f->ifmap_ld = NPU_SYS_LD_PREFETCH, f->ifmap_bytes = it, fl |= NPU_SYS_FF_IFMAP_RELEASE;
    }
    /* filter */
    int64_t ft = filter_tile(p, ri, cj, ts);
    if (p->dep_fl == DEP_IJ) {
        f->filter_ld = NPU_SYS_LD_PREFETCH, f->filter_bytes = ft;
        fl |= NPU_SYS_FF_FILTER_RELEASE;
    } else if (p->fl_res) {
        if (j == 0)
            f->filter_ld = NPU_SYS_LD_RESIDENT, f->filter_bytes = ft;
        if (last)
            fl |= NPU_SYS_FF_FILTER_RELEASE;
    } else if (p->fl_stream) {
        f->filter_ld = NPU_SYS_LD_STREAM, f->filter_bytes = ft;
    } else if (p->dep_fl == DEP_J) {
        if (first_i)
            f->filter_ld = NPU_SYS_LD_PREFETCH, f->filter_bytes = ft;
        if (last_i)
            fl |= NPU_SYS_FF_FILTER_RELEASE;
    } else {
        f->filter_ld = NPU_SYS_LD_PREFETCH, f->filter_bytes = ft;
        fl |= NPU_SYS_FF_FILTER_RELEASE;
    }
    /* outputs */
    int64_t ot = out_tile(p, ri, cj, ts);
    if (p->df == NPU_SYS_DF_OS) {
        f->ofmap_wr_bytes = ot;
        fl |= p->out_stream ? NPU_SYS_FF_OFMAP_STREAM
                            : (NPU_SYS_FF_OFMAP_OPEN | NPU_SYS_FF_OFMAP_DRAIN);
    } else if (p->accum) {
        if (first_i)
            fl |= NPU_SYS_FF_OFMAP_OPEN;
        if (last_i)
            fl |= NPU_SYS_FF_OFMAP_DRAIN, f->ofmap_wr_bytes = ot;
    } else {
        fl |= NPU_SYS_FF_OFMAP_STREAM;
        f->ofmap_wr_bytes = ot;
        f->ofmap_rd_bytes = first_i ? 0 : ot;
    }
    f->flags = (uint16_t)fl;
    int64_t a, b, c;
    sram_traffic(p, ri, cj, ts, &a, &b, &c);
    f->onchip_bytes = a + b + c;
}

/* Two folds that differ only in their position (and count) are merged into one record when
 * b follows a's run in the visiting order (column fold outer, row fold inner). */
static int64_t fold_lin(const npu_sys_fold *f, int64_t nr, int64_t nseg)
{
    return (f->col_fold * nseg + f->seg) * nr + f->row_fold;
}

static bool fold_same(const npu_sys_fold *a, const npu_sys_fold *b, int64_t nr, int64_t nseg)
{
    return fold_lin(a, nr, nseg) + a->count == fold_lin(b, nr, nseg) &&
           a->rows_used == b->rows_used && a->cols_used == b->cols_used && a->t == b->t &&
           a->ifmap_ld == b->ifmap_ld && a->filter_ld == b->filter_ld &&
           a->flags == b->flags && a->ifmap_bytes == b->ifmap_bytes &&
           a->filter_bytes == b->filter_bytes && a->ofmap_wr_bytes == b->ofmap_wr_bytes &&
           a->ofmap_rd_bytes == b->ofmap_rd_bytes && a->onchip_bytes == b->onchip_bytes;
}

/* ---- the layer walk ------------------------------------------------------------------------ */

typedef struct lower_ctx {
    const npu_graph *g;
    npu_program *out;
    npu_err *err;
    const npu_systolic_state *s;
    int *map;        /* graph layer → program layer (-1 dead) */
    uint32_t *cons;  /* consumers per program layer */
    int64_t records, groups; /* fold records so far, and the fold groups they make */
} lower_ctx;

/* Distinct producer program layers of graph layer li. Returns the count (≤ cap). */
static int producers(const lower_ctx *c, int li, int32_t *out, int cap)
{
    const npu_layer *l = &c->g->l[li];
    int n = 0;
    for (int k = 0; k < l->nin; k++) {
        int ti = l->in[k];
        if (ti < 0 || ti >= c->g->nt)
            continue;
        int pl = c->g->t[ti].producer;
        if (pl < 0 || pl >= c->g->nl || c->map[pl] < 0)
            continue;
        int32_t pp = c->map[pl];
        bool dup = false;
        for (int q = 0; q < n; q++)
            dup |= out[q] == pp;
        if (!dup && n < cap)
            out[n++] = pp;
    }
    return n;
}

/* Emits WAIT records for producers beyond the first NPU_SYS_MAX_DEPS; fills deps/ndeps. */
static int emit_deps(lower_ctx *c, int li, int32_t pl, int32_t *deps, uint8_t *ndeps)
{
    int32_t all[64];
    int n = producers(c, li, all, 64);
    if (n == 64) {
        const npu_layer *l = &c->g->l[li];
        if (l->nin > 64)
            return npu_err_set(c->err, NPU_EUNSUPPORTED, "%s: layer '%s' has %d inputs; the "
                               "systolic model handles at most 64", c->g->file, l->name, l->nin);
    }
    int k = NPU_SYS_MAX_DEPS;
    while (k < n) {
        npu_sys_wait w;
        memset(&w, 0, sizeof w);
        for (; k < n && w.ndeps < NPU_SYS_MAX_DEPS; k++)
            w.deps[w.ndeps++] = all[k];
        if (npu_prog_emit(c->out, NPU_SYS_OP_WAIT, NPU_SYS_UNIT_ARRAY, pl, &w, sizeof w) < 0)
            return npu_err_set(c->err, NPU_ENOMEM, "systolic: out of memory");
    }
    *ndeps = (uint8_t)(n < NPU_SYS_MAX_DEPS ? n : NPU_SYS_MAX_DEPS);
    for (int q = 0; q < *ndeps; q++)
        deps[q] = all[q];
    return 0;
}

static int64_t in_elems(const npu_graph *g, const npu_layer *l, bool consts)
{
    int64_t e = 0;
    for (int k = 0; k < l->nin; k++)
        if (l->in[k] >= 0 && l->in[k] < g->nt &&
            (consts || g->t[l->in[k]].kind != NPU_T_CONST))
            e += npu_tensor_elems(&g->t[l->in[k]]);
    return e;
}

static bool is_mac(const npu_layer *l)
{
    return l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT || l->op == NPU_OP_GEMM ||
           l->op == NPU_OP_MATMUL;
}

/* The work estimate of issue 16, before a MAC layer's fold records are written: the program's
 * records (memory, at any fidelity) and, for a detailed run, its fold groups (engine jobs; the
 * executor checks a loaded program the same way). A conv with 10^8 output channels used to be
 * refused by the executor only after lowering had written 6 M records (640 MB, 24 s). Adds the
 * layer's figures to the program's; 0 or an error naming the layer. */
static int check_work(lower_ctx *c, const npu_layer *l, int64_t recs, int64_t groups)
{
    char where[512];
    snprintf(where, sizeof where, "%s:%d: %s '%s': %s", c->g->file, l->line, npu_op_name(l->op),
             l->name, c->records ? "the program up to this layer" : "this layer");
    c->records += recs;
    c->groups = groups > INT64_MAX / 2 - c->groups ? INT64_MAX / 2 : c->groups + groups;
    if (c->records > NPU_SYSTOLIC_MAX_RECORDS)
        return npu_err_set(c->err, NPU_EUNSUPPORTED, "%s has %" PRId64 " fold records, above "
                           "the limit of %" PRId64 " (about 840 MB of program; "
                           "docs/models/systolic.md): use a larger array or fewer channels",
                           where, c->records, NPU_SYSTOLIC_MAX_RECORDS);
    if (c->s->fidelity != NPU_SYSTOLIC_FID_SCALESIM && c->groups > NPU_SYS_MAX_RUN_GROUPS)
        return npu_systolic_too_many_groups(c->groups, where, c->err);
    /* a fold group is one engine job: a job-limited run ends here, not at its first window */
    int64_t lim = c->out->job_limit;
    if (c->s->fidelity != NPU_SYSTOLIC_FID_SCALESIM && lim > 0 && c->groups > lim)
        return npu_err_set(c->err, NPU_EUNSUPPORTED,
                           "%s has %" PRId64 " fold groups (a job each): " NPU_JOB_LIMIT_MSG,
                           where, c->groups, (long long)lim);
    return 0;
}

static int lower_mac(lower_ctx *c, int li, int32_t pl)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    const npu_systolic_state *s = c->s;
    sys_plan p;
    memset(&p, 0, sizeof p);
    p.df = s->dataflow;
    p.R = s->rows;
    p.C = s->cols;
    p.word = s->word;
    if (p.word <= 0) { /* from the layer's dtype; int4 and bool still take a byte */
        int bits = npu_dtype_bits(l->dtype);
        p.word = bits >= 8 ? bits / 8 : 1;
    }
    p.if_half = s->ifmap_half;
    p.fl_half = s->filter_half;
    p.of_half = s->ofmap_half;
    p.may_cut = s->fidelity == NPU_SYSTOLIC_FID_DETAILED;
    bool grouped = false, const_b = true;
    if (l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT) {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg) || cg.groups < 1 || cg.c % cg.groups ||
            cg.k % cg.groups)
            return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s': no valid geometry (was the "
                               "graph inferred?)", g->file, l->line, npu_op_name(l->op), l->name);
        int64_t cpg = cg.c / cg.groups, kpg = cg.k / cg.groups;
        p.nsub = cg.n * cg.groups;
        if (l->op == NPU_OP_CONV) {
            p.m = cg.ho * cg.wo;
            p.n = kpg;
            p.k = (int64_t)cg.kh * cg.kw * cpg;
        } else {
            p.m = cg.h * cg.w;
            p.n = kpg * cg.kh * cg.kw;
            p.k = cpg;
        }
        p.uif = cg.h * cg.w * cpg * p.word;
        grouped = cg.groups > 1;
    } else {
        npu_gemm_geom gg;
        if (npu_layer_gemm_geom(g, li, &gg))
            return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s': no valid geometry (was the "
                               "graph inferred?)", g->file, l->line, npu_op_name(l->op), l->name);
        p.nsub = gg.batch;
        p.m = gg.m;
        p.n = gg.n;
        p.k = gg.k;
        p.uif = p.m * p.k * p.word;
        const_b = gg.weights_const;
    }
    if (p.nsub < 1 || p.m < 1 || p.n < 1 || p.k < 1)
        return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s': empty operand matrices "
                           "(M %lld, N %lld, K %lld, x%lld)", g->file, l->line,
                           npu_op_name(l->op), l->name, (long long)p.m, (long long)p.n,
                           (long long)p.k, (long long)p.nsub);
    const npu_attr *nm = npu_layer_attr_k(l, NPU_K_NM);
    if (nm && nm->type == NPU_ATTR_INTS && nm->n == 2 && nm->i[0] >= 1 && nm->i[0] < nm->i[1]) {
        int64_t n_ = nm->i[0], m_ = nm->i[1];
        p.k = p.k / m_ * n_ + min64(n_, p.k % m_);
        if (s->fidelity == NPU_SYSTOLIC_FID_DETAILED)
            while (((int64_t)1 << p.meta_bits) < m_)
                p.meta_bits++;
    }
    npu_systolic_map(p.df, p.m, p.n, p.k, &p.sr, &p.sc, &p.t);
    p.nr = ceil_div(p.sr, p.R);
    p.nc = ceil_div(p.sc, p.C);
    /* The plan walks every fold once (records merge runs): refuse absurd sizes instead of
     * looping for hours. 2^26 folds of one sub-problem is far beyond any real layer on any
     * array (an LLM's 151936 x 896 output projection on 32x32 needs 1.3e5). */
    if (p.nr * p.nc > ((int64_t)1 << 26) || p.nsub > ((int64_t)1 << 26))
        return npu_err_set(c->err, NPU_EUNSUPPORTED, "%s:%d: %s '%s': %lld x %lld folds x %lld "
                           "sub-problems on a %lldx%lld array is too large to simulate",
                           g->file, l->line, npu_op_name(l->op), l->name, (long long)p.nr,
                           (long long)p.nc, (long long)p.nsub, (long long)p.R, (long long)p.C);
    plan_memory(&p);

    npu_sys_layer L;
    memset(&L, 0, sizeof L);
    L.dataflow = (uint8_t)p.df;
    L.rows = (uint32_t)p.R;
    L.cols = (uint32_t)p.C;
    L.consumers = c->cons[pl];
    L.nsub = p.nsub;
    L.m = p.m, L.n = p.n, L.k = p.k;
    L.sr = p.sr, L.sc = p.sc, L.t = p.t;
    L.row_folds = p.nr, L.col_folds = p.nc;
    L.ifmap_bytes = p.uif;
    L.filter_bytes = fl_bytes(&p, p.k * p.n);
    L.ofmap_bytes = p.m * p.n * p.word;
    L.ifmap_half = p.if_half, L.filter_half = p.fl_half, L.ofmap_half = p.of_half;
    L.nseg = p.nseg;
    L.tseg = p.tseg;
    unsigned lf = 0;
    if (p.if_res) lf |= NPU_SYS_LF_IFMAP_RESIDENT;
    if (p.fl_res) lf |= NPU_SYS_LF_FILTER_RESIDENT;
    if (p.accum) lf |= NPU_SYS_LF_OFMAP_ACCUM;
    if (p.spill) lf |= NPU_SYS_LF_OFMAP_SPILL;
    if (grouped) lf |= NPU_SYS_LF_DEPTHWISE;
    if (const_b) lf |= NPU_SYS_LF_CONST_B;
    if (p.if_stream) lf |= NPU_SYS_LF_IFMAP_STREAM;
    if (p.fl_stream) lf |= NPU_SYS_LF_FILTER_STREAM;
    L.flags = (uint16_t)lf;
    if (emit_deps(c, li, pl, L.deps, &L.ndeps))
        return c->err ? c->err->code : NPU_EINVAL;

    /* First pass: totals for the LAYER record, and the fold records and groups the layer will
     * have, refused above the limits before a record is written; second: emit the records. */
    npu_sys_fold cur, f;
    int64_t recs = 0, groups = 0, nfold = p.nc * p.nseg * p.nr;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (check_work(c, l, recs, groups))
                return c->err ? c->err->code : NPU_EUNSUPPORTED;
            if (npu_prog_emit(c->out, NPU_SYS_OP_LAYER, NPU_SYS_UNIT_ARRAY, pl, &L, sizeof L) < 0)
                return npu_err_set(c->err, NPU_ENOMEM, "systolic: out of memory");
        }
        bool have = false;
        for (int64_t fl = 0; fl <= nfold; fl++) {
            if (fl < nfold) {
                int64_t i = fl % p.nr, sg = (fl / p.nr) % p.nseg, j = fl / (p.nr * p.nseg);
                fill_fold(&p, i, j, sg, &f);
                if (pass == 0) {
                    int64_t a, b, cc;
                    sram_traffic(&p, f.rows_used, f.cols_used, f.t, &a, &b, &cc);
                    L.dram_ifmap_rd += f.ifmap_bytes * p.nsub;
                    L.dram_filter_rd += f.filter_bytes * p.nsub;
                    L.dram_ofmap_wr += f.ofmap_wr_bytes * p.nsub;
                    L.dram_ofmap_rd += f.ofmap_rd_bytes * p.nsub;
                    L.sram_ifmap_rd += a * p.nsub;
                    L.sram_filter_rd += b * p.nsub;
                    L.sram_ofmap_wr += cc * p.nsub;
                }
                if (have && fold_same(&cur, &f, p.nr, p.nseg)) {
                    cur.count++;
                    continue;
                }
            }
            if (have && pass == 0) { /* a record closes (the last one at fl == nfold) */
                int64_t gr = npu_systolic_fold_groups(&L, &cur);
                recs++;
                groups = gr > INT64_MAX / 2 - groups ? INT64_MAX / 2 : groups + gr;
            } else if (have && npu_prog_emit(c->out, NPU_SYS_OP_FOLD, NPU_SYS_UNIT_ARRAY, pl,
                                             &cur, sizeof cur) < 0) {
                return npu_err_set(c->err, NPU_ENOMEM, "systolic: out of memory");
            }
            cur = f;
            have = true;
        }
    }
    return 0;
}

static int lower_other(lower_ctx *c, int li, int32_t pl, bool host)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    int64_t rd = npu_prog_tensors_bytes(g, l->in, l->nin, -1);
    int64_t wr = npu_prog_tensors_bytes(g, l->out, l->nout, -1);
    int64_t oe = 0;
    for (int k = 0; k < l->nout; k++)
        if (l->out[k] >= 0 && l->out[k] < g->nt)
            oe += npu_tensor_elems(&g->t[l->out[k]]);
    if (host) {
        npu_sys_host h;
        memset(&h, 0, sizeof h);
        h.opclass = (uint16_t)npu_op_class(l->op);
        h.op = (uint16_t)l->op;
        h.consumers = c->cons[pl];
        h.macs = l->macs;
        h.elems = oe;
        h.rd_bytes = rd;
        h.wr_bytes = wr;
        if (emit_deps(c, li, pl, h.deps, &h.ndeps))
            return c->err ? c->err->code : NPU_EINVAL;
        if (npu_prog_emit(c->out, NPU_SYS_OP_HOST, NPU_SYS_UNIT_HOST, pl, &h, sizeof h) < 0)
            return npu_err_set(c->err, NPU_ENOMEM, "systolic: out of memory");
        return 0;
    }
    npu_sys_vector v;
    memset(&v, 0, sizeof v);
    v.opclass = (uint16_t)npu_op_class(l->op);
    v.consumers = c->cons[pl];
    bool view = (l->flags & NPU_LF_VIEW) || npu_op_class(l->op) == NPU_OPC_VIEW;
    if (view) {
        v.kind = 1;
    } else {
        int64_t ie = in_elems(g, l, true);
        v.elems = ie > oe ? ie : oe;
        v.rd_bytes = rd;
        v.wr_bytes = wr;
    }
    if (emit_deps(c, li, pl, v.deps, &v.ndeps))
        return c->err ? c->err->code : NPU_EINVAL;
    if (npu_prog_emit(c->out, NPU_SYS_OP_VECTOR, NPU_SYS_UNIT_VECTOR, pl, &v, sizeof v) < 0)
        return npu_err_set(c->err, NPU_ENOMEM, "systolic: out of memory");
    return 0;
}

int npu_systolic_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err)
{
    const npu_systolic_state *s = m->state;
    lower_ctx c = {.g = g, .out = out, .err = err, .s = s};
    int rc = 0;
    c.map = npu_calloc((size_t)(g->nl > 0 ? g->nl : 1), sizeof *c.map);
    c.cons = npu_calloc((size_t)(g->nl > 0 ? g->nl : 1), sizeof *c.cons);
    if (!c.map || !c.cons) {
        rc = npu_err_set(err, NPU_ENOMEM, "systolic: out of memory");
        goto done;
    }
    /* Program layers: one per live graph layer, in graph order. */
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD) {
            c.map[li] = -1;
            continue;
        }
        bool host = (l->flags & NPU_LF_HOST) != 0;
        bool mac = !host && is_mac(l);
        bool view = (l->flags & NPU_LF_VIEW) || npu_op_class(l->op) == NPU_OPC_VIEW;
        npu_prog_layer pr = npu_prog_graph_layer(g, li, host  ? "cpu"
                                                        : mac ? "array"
                                                        : view ? "none"
                                                               : "vector");
        int pl = npu_prog_add_layer(out, &pr);
        if (pl < 0) {
            rc = npu_err_set(err, NPU_ENOMEM, "systolic: out of memory");
            goto done;
        }
        c.map[li] = pl;
    }
    /* Consumer counts (each consumer waits once on its producer's "done"). */
    for (int li = 0; li < g->nl; li++) {
        if (c.map[li] < 0)
            continue;
        int32_t pr[64];
        int n = producers(&c, li, pr, 64);
        for (int q = 0; q < n; q++)
            c.cons[pr[q]]++;
    }
    for (int li = 0; li < g->nl && !rc; li++) {
        if (c.map[li] < 0)
            continue;
        const npu_layer *l = &g->l[li];
        bool host = (l->flags & NPU_LF_HOST) != 0;
        if (!host && is_mac(l))
            rc = lower_mac(&c, li, c.map[li]);
        else
            rc = lower_other(&c, li, c.map[li], host);
    }
done:
    free(c.map);
    free(c.cons);
    return rc;
}

/* ---- explain --------------------------------------------------------------------------------- */

static void explain_mac(const npu_program *p, int layer, size_t i0, const npu_sys_layer *L,
                        npu_strbuf *out)
{
    int64_t folds = 0, recs = 0;
    for (size_t i = i0 + 1; i < p->n && p->ins[i].layer == layer; i++) {
        const npu_sys_fold *f = npu_sys_payload(p, i, NPU_SYS_OP_FOLD, sizeof *f);
        if (!f)
            continue;
        recs++;
        folds += f->count;
    }
    int64_t pf = L->row_folds * L->col_folds *
                 npu_systolic_fold_cycles(L->dataflow, L->rows, L->cols, L->t);
    const char *df = npu_sys_dataflow_name(L->dataflow);
    npu_sb_printf(out, "  array %" PRIu32 "x%" PRIu32 ", dataflow %s\n", L->rows, L->cols, df);
    npu_sb_printf(out, "  operand matrices per sub-problem: ifmap M x K = %" PRId64 " x %" PRId64
                  ", filter K x N = %" PRId64 " x %" PRId64 ", ofmap M x N = %" PRId64
                  " x %" PRId64 "\n", L->m, L->k, L->k, L->n, L->m, L->n);
    npu_sb_printf(out, "  sub-problems: %" PRId64 "%s\n", L->nsub,
                  (L->flags & NPU_SYS_LF_DEPTHWISE) ? " (groups x images; grouped conv run "
                                                       "one group at a time, as SCALE-Sim)"
                                                     : " (images / matmul batch)");
    npu_sb_printf(out, "  mapping (%s): Sr = %" PRId64 " on rows, Sc = %" PRId64
                  " on columns, T = %" PRId64 " streamed\n", df, L->sr, L->sc, L->t);
    npu_sb_printf(out, "  folds: %" PRId64 " row x %" PRId64 " col = %" PRId64
                  " per sub-problem (SCALE-Sim)\n", L->row_folds, L->col_folds,
                  L->row_folds * L->col_folds);
    if (L->nseg > 1)
        npu_sb_printf(out, "  detailed: T cut into %" PRId64 " segments of %" PRId64
                      " rows so the partial sums of a column fold fit an ofmap half (the "
                      "stationary operand is loaded once per segment): %" PRId64 " folds\n",
                      L->nseg, L->tseg, folds);
    npu_sb_printf(out, "  program: %" PRId64 " fold records\n", recs);
    int64_t full = npu_systolic_fold_cycles(L->dataflow, L->rows, L->cols, L->t);
    npu_sb_printf(out, "  cycles per fold (SCALE-Sim): %s = %" PRId64 "\n",
                  L->dataflow == NPU_SYS_DF_OS ? "T + R + C - 2" : "2R + C + T - 2", full);
    npu_sb_printf(out, "  fidelity=scalesim cycles: %" PRId64 " x (%" PRId64 " - 1) = %" PRId64
                  "\n", L->nsub, pf, L->nsub * (pf - 1));
    npu_sb_printf(out, "  SRAM halves: ifmap %" PRId64 " B, filter %" PRId64 " B, ofmap %" PRId64
                  " B\n", L->ifmap_half, L->filter_half, L->ofmap_half);
    double rif = L->ifmap_bytes ? (double)L->dram_ifmap_rd / (double)(L->ifmap_bytes * L->nsub)
                                : 0;
    double rfl = L->filter_bytes ? (double)L->dram_filter_rd /
                                       (double)(L->filter_bytes * L->nsub) : 0;
    npu_sb_printf(out, "  ifmap: %" PRId64 " B unique per sub-problem, %s, DRAM reads %" PRId64
                  " B (re-fetch x%.2f)\n", L->ifmap_bytes,
                  (L->flags & NPU_SYS_LF_IFMAP_RESIDENT) ? "fits a half: loaded once"
                  : L->dataflow == NPU_SYS_DF_IS ? "stationary tiles, one per fold"
                  : (L->flags & NPU_SYS_LF_IFMAP_STREAM)
                      ? "a row tile does not fit a half: streamed for every fold"
                                                  : "does not fit a half: fetched per column fold",
                  L->dram_ifmap_rd, rif);
    npu_sb_printf(out, "  filter: %" PRId64 " B per sub-problem, %s, DRAM reads %" PRId64
                  " B (re-fetch x%.2f)\n", L->filter_bytes,
                  (L->flags & NPU_SYS_LF_FILTER_RESIDENT) ? "fits a half: loaded once"
                  : L->dataflow == NPU_SYS_DF_WS ? "stationary tiles, one per fold"
                  : (L->flags & NPU_SYS_LF_FILTER_STREAM)
                      ? "a tile does not fit a half: streamed for every fold"
                  : L->dataflow == NPU_SYS_DF_OS ? "a column block fits a half: loaded once per "
                                                   "column fold"
                                                  : "does not fit a half: fetched per column fold",
                  L->dram_filter_rd, rfl);
    npu_sb_printf(out, "  ofmap: %" PRId64 " B per sub-problem, %s, DRAM writes %" PRId64
                  " B, reads %" PRId64 " B\n", L->ofmap_bytes,
                  (L->flags & NPU_SYS_LF_OFMAP_SPILL) ? "partial sums spill to DRAM"
                  : (L->flags & NPU_SYS_LF_OFMAP_ACCUM) ? "partial sums accumulate in SRAM"
                                                        : "drained after every fold",
                  L->dram_ofmap_wr, L->dram_ofmap_rd);
    npu_sb_printf(out, "  array-side SRAM traffic: ifmap reads %" PRId64 ", filter reads %" PRId64
                  ", ofmap writes %" PRId64 " B\n", L->sram_ifmap_rd, L->sram_filter_rd,
                  L->sram_ofmap_wr);
}

int npu_systolic_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out)
{
    const npu_systolic_state *s = m->state;
    if (!p || layer < 0 || layer >= p->nlayers)
        return NPU_EINVAL;
    const npu_prog_layer *pl = &p->layers[layer];
    npu_sb_printf(out, "layer %d '%s' (%s) on %s, fidelity %s\n", layer, pl->name, pl->op,
                  pl->engine ? pl->engine : "?",
                  s->fidelity == NPU_SYSTOLIC_FID_SCALESIM ? "scalesim" : "detailed");
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].layer != layer)
            continue;
        const npu_instr *in = &p->ins[i];
        if (in->op == NPU_SYS_OP_LAYER) {
            const npu_sys_layer *L = npu_sys_payload(p, i, in->op, sizeof *L);
            if (!L)
                return NPU_EFORMAT;
            explain_mac(p, layer, i, L, out);
            return 0;
        }
        if (in->op == NPU_SYS_OP_VECTOR) {
            const npu_sys_vector *v = npu_sys_payload(p, i, in->op, sizeof *v);
            if (!v)
                return NPU_EFORMAT;
            if (v->kind == 1) {
                npu_sb_puts(out, "  a view: no data movement, no time\n");
            } else {
                npu_sb_printf(out, "  vector unit: %" PRId64 " elements at %" PRId64
                              " per cycle = %" PRId64 " cycles; DRAM %" PRId64 " B in, %" PRId64
                              " B out\n", v->elems, s->vector_lanes,
                              (v->elems + s->vector_lanes - 1) / s->vector_lanes, v->rd_bytes,
                              v->wr_bytes);
            }
            return 0;
        }
        if (in->op == NPU_SYS_OP_HOST) {
            npu_sb_puts(out, "  runs on the host CPU (not supported by the array)\n");
            return 0;
        }
    }
    return 0;
}
