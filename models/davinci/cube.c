/* cube.c — Cube kernels of the DaVinci lowering (prefix npu_dvl_): conv, convt, gemm and
 * matmul as a GEMM per group, the block split over the AI Cores, the L0/L1 tile search and the
 * instruction stream of each output tile. The choices are described in lower.c's header and in
 * docs/models/davinci.md ("Lowering choices").
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

typedef struct gemm_plan {
    bool conv, depthwise, aipp;
    int64_t groups, M, K, N;      /* padded, per group (batch_split: per image)          */
    int64_t nimg, split_b, cores; /* batch_split: images, blocks over images, cores per block */
    int64_t cin_g;                /* conv: input channels per group (padded to C0)        */
    int64_t taps;                 /* conv: kh·kw                                          */
    int64_t W, Wo, sh, kh, dh, H; /* conv geometry for A rows                             */
    int64_t sw, kw, dw;
    int64_t bpe, accb, obpe; /* input, L0C, output bytes per element                 */
    int64_t wbpe;            /* weight bytes per element in GM and L1 (mixed
                                precision: narrower than bpe; widened into L0B)      */
    int64_t m0, k0, n0;
    int64_t split_m, split_n, Mc, Nc;
    int64_t m_l0, k_l0, n_l0, k_l1;
    bool n_outer, a_res, b_res;
    int64_t gm_rd, gm_wr, l2_rd;
    int nvec; /* fused activation vector instructions                 */
    int vseq[16];
    bool res;                /* residual add fused: load the shortcut tile into UB,  */
    bool res_l2;             /* add it (and the add's activation) before MTE3        */
    double b_part, b_now;    /* share of weight re-fetches that hit L2 (weights larger
                                than half of L2); b_now: that of the current tile's load */
    double res_part, a_part; /* share of shortcut / input reads that hit L2 (partly
                                resident tensors, tensor_l2_part)                    */
    int nres;
    bool quant; /* a quantize fused in the epilogue (AscendQuant): the   */
    bool qdual; /* tile is also written in int8 (qdual: fp16 as well)    */
    bool q_l2;
    int rseq[16];
    bool relu, bias, in_l2, out_l2;
    bool in_fit, w_fit;             /* input / all weights fit in half of L2               */
    bool hit_a, hit_b;              /* the current tile's loads are L2 hits                 */
    double src_frac;                /* AIPP: source image bytes per L1 input byte           */
    int64_t real_m, real_n;         /* real output rows and channels per group             */
    int64_t Mr16, Nr16, Mc_r, Nc_r; /* 16-granular (C0 / GM layout) totals and block shares */
    double mr, nr;                  /* real rows / padded M, real C0-padded channels / N: the
                                       MTEs move only real rows and C0 channel blocks        */
    double real;                    /* real rows × C0-padded channels / padded M × N: results
                                       leave L0C as fractals, but only real rows and C0 blocks
                                       of channels are moved on and written to GM          */
} gemm_plan;

static int64_t lcm(int64_t a, int64_t b)
{
    int64_t x = a, y = b;
    while (y > 0) {
        int64_t r = x % y;
        x = y;
        y = r;
    }
    return x > 0 ? a / x * b : 0;
}

/* Input bytes in L1 for `rows` output pixels and a K chunk of `kc` (conv: raw input rows,
 * img2col happens in MTE1; gemm: rows × kc). */
static int64_t a_bytes(const gemm_plan *P, int64_t rows, int64_t kc)
{
    if (!P->conv)
        return rows * kc * P->bpe;
    int64_t ch = P->depthwise ? P->k0 : kc / (P->taps > 0 ? P->taps : 1);
    if (rows < P->Wo) {
        /* less than one output row: the kernel-height rows of the input columns it spans */
        int64_t cols = (rows - 1) * P->sw + (P->kw - 1) * P->dw + 1;
        int64_t kr = (P->kh - 1) * P->dh + 1;
        if (cols > P->W)
            cols = P->W;
        if (kr > P->H)
            kr = P->H;
        return npu_dvl_max(kr, 1) * npu_dvl_max(cols, 1) * ch * P->bpe;
    }
    int64_t orow = npu_dvl_cdiv(rows, P->Wo) + 1;
    if (orow > npu_dvl_cdiv(P->M, P->Wo))
        orow = npu_dvl_cdiv(P->M, P->Wo);
    int64_t irow = (orow - 1) * P->sh + (P->kh - 1) * P->dh + 1;
    if (irow > P->H)
        irow = P->H;
    if (irow < 1)
        irow = 1;
    return irow * P->W * ch * P->bpe;
}

static int64_t b_bytes(const gemm_plan *P, int64_t kc, int64_t n)
{
    return kc * n * P->wbpe;
}

/* Fills the L0/L1 plan of P for an m × n L0 tile and returns the estimated cycles of the
 * block's tile loop, or -1 when the tile does not fit. */
static double eval_tile(lw *c, gemm_plan *P, int64_t m, int64_t n, int64_t kdiv)
{
    const npu_davinci_state *s = c->s;
    int db = s->double_buffer ? 2 : 1;
    int64_t l0a = s->l0a / db, l0b = s->l0b / db, l0c = s->l0c / db, l1 = s->l1;
    if (m * n * P->accb > l0c || m * P->k0 * P->bpe > l0a || P->k0 * n * P->bpe > l0b)
        return -1;
    P->m_l0 = m;
    P->n_l0 = n;
    int64_t k = npu_dvl_min(l0a / (m * P->bpe), l0b / (n * P->bpe));
    k = npu_dvl_min(k / P->k0 * P->k0, P->K);
    P->k_l0 = npu_dvl_max(k, P->k0);
    /* L1: K chunk (conv: whole channel blocks of all taps) */
    int64_t kunit = P->conv && !P->depthwise ? P->k0 * P->taps : P->k0;
    if (kunit > P->K)
        kunit = P->K;
    int64_t kc = P->K;
    while (kc > kunit && db * (a_bytes(P, m, kc) + b_bytes(P, kc, n)) > l1)
        kc = npu_dvl_max(npu_dvl_rup(kc / 2, kunit), kunit);
    if (db * (a_bytes(P, m, kc) + b_bytes(P, kc, n)) > l1)
        return -1;
    /* a smaller chunk than fits (kdiv = 2, 4, …): more, shorter pipeline stages */
    if (kdiv > 1) {
        int64_t kd = npu_dvl_max(npu_dvl_rup(npu_dvl_cdiv(kc, kdiv), kunit), kunit);
        if (kd >= kc)
            return -1;
        kc = kd;
    }
    P->k_l1 = kc;
    if (P->k_l0 > kc)
        P->k_l0 = kc;
    /* loop order and residency (only without a K split) */
    int64_t nmt = npu_dvl_cdiv(P->Mc, m), nnt = npu_dvl_cdiv(P->Nc, n);
    /* all m tiles but the last are full (closed form: M may be huge) */
    int64_t a_tot = (nmt - 1) * a_bytes(P, m, P->K) + a_bytes(P, P->Mc - (nmt - 1) * m, P->K);
    int64_t b_tot = b_bytes(P, P->K, P->Nc);
    int64_t a1 = a_bytes(P, m, kc), b1 = b_bytes(P, kc, n);
    double gm;
    double loads;
    /* batch_split: the block loops over its images; only resident weights stay for all */
    double ipb = (double)npu_dvl_cdiv(npu_dvl_max(P->nimg, 1), npu_dvl_max(P->split_b, 1));
    P->a_res = P->b_res = P->n_outer = false;
    if (kc < P->K) {
        /* depthwise chunks cut the taps: each chunk reads the same input rows again */
        gm = ipb * ((double)a_tot * (double)nnt *
                        (P->depthwise ? (double)npu_dvl_cdiv(P->K, kc) : 1.0) +
                    (double)b_tot * (double)nmt);
        loads = 2.0 * ipb * (double)nmt * (double)nnt * (double)npu_dvl_cdiv(P->K, kc);
    } else {
        P->b_res = nnt > 1 && b_tot + db * a1 <= l1;
        P->a_res = nmt > 1 && a_tot + db * b1 <= l1;
        double cost_m = ipb * (double)a_tot +
                        (P->b_res ? (double)b_tot : ipb * (double)b_tot * (double)nmt);
        double cost_n = ipb * ((double)b_tot + (P->a_res ? (double)a_tot
                                                          : (double)a_tot * (double)nnt));
        P->n_outer = cost_n < cost_m;
        if (P->n_outer)
            P->b_res = false;
        else
            P->a_res = false;
        gm = P->n_outer ? cost_n : cost_m;
        loads = ipb * ((double)nmt * (double)nnt + (double)(P->n_outer ? nnt : nmt));
    }
    double ksteps = ipb * (double)nmt * (double)nnt * (double)npu_dvl_cdiv(P->K, P->k_l0);
    double frac = (double)(m / P->m0) * (double)(P->k_l0 / P->k0) * (double)(n / P->n0);
    double cube = ksteps * (s->mmad_overhead + frac);
    double mte1 = ksteps * (2 * s->mte1_overhead + (double)(m * P->k_l0 * P->bpe) / s->l1_l0a +
                            (double)(P->k_l0 * n * P->bpe) / s->l1_l0b);
    double rate = s->ddr_rd < s->l2_rd || s->l2 <= 0 ? s->ddr_rd : s->l2_rd;
    double mte2 = gm / rate + loads * s->mte_gm_setup;
    double tiles = ipb * (double)nmt * (double)nnt;
    double drain = tiles * (2 * s->vec_overhead + s->mte_gm_setup) +
                   ipb * (double)(P->Mc * P->Nc * P->accb) / s->l0c_ub;
    double est = cube > mte1 ? cube : mte1;
    double lesser = mte2 < est ? mte2 : est;
    if (mte2 > est)
        est = mte2;
    /* pipeline fill: the L1 buffers are double-buffered per K chunk, so a loop of S stages
     * (tiles × chunks) runs in about max(loads, compute) plus one stage of the other — the
     * first load before the Cube starts, or the last chunk's compute after the loads end.
     * With one stage (the whole K of one tile) nothing overlaps. */
    double stages = tiles * (double)npu_dvl_cdiv(P->K, kc);
    return est + lesser / stages + drain / 4 + tiles * 20 * s->scalar_cycles;
}

static int plan_gemm(lw *c, gemm_plan *P)
{
    /* block split: every block of an M split reads all the weights of its N share and every
     * block of an N split reads all the input of its M share, so pick the split (using as
     * many cores as there are tiles) that moves the fewest GM bytes; ties go to M */
    /* blocks split the output at the GM layout's 16-row / C0-channel granularity, whatever
     * the fractal: each block pads its own share to the fractal */
    P->Mr16 = npu_dvl_rup(P->real_m, 16);
    P->Nr16 = npu_dvl_rup(P->real_n, 16);
    int64_t mt16 = npu_dvl_cdiv(P->Mr16, 16), nt16 = npu_dvl_cdiv(P->Nr16, 16);
    double a_all = P->conv ? (double)P->H * (double)P->W *
                                 (double)(P->depthwise ? P->k0 : P->K / npu_dvl_max(P->taps, 1)) *
                                 (double)P->bpe
                           : (double)P->M * (double)P->K * (double)P->bpe;
    double b_all = (double)P->K * (double)P->N * (double)P->wbpe;
    double bestc = -1;
    int64_t bestu = 0;
    for (int64_t sm = 1; sm <= P->cores; sm++) {
        int64_t sn = P->cores / sm;
        int64_t um = npu_dvl_min(sm, mt16), un = npu_dvl_min(sn, nt16);
        int64_t used = um * un;
        double cost = a_all * (double)un + b_all * (double)um;
        /* fewer blocks than cores is only worth it when it saves traffic */
        if (bestc < 0 || used > bestu || (used == bestu && cost < bestc)) {
            bestc = cost;
            bestu = used;
            P->split_m = um;
            P->split_n = un;
        }
    }
    if (P->split_m < 1)
        P->split_m = 1;
    if (P->split_n < 1)
        P->split_n = 1;
    P->Mc_r = npu_dvl_rup(npu_dvl_cdiv(P->Mr16, P->split_m), 16);
    P->Nc_r = npu_dvl_rup(npu_dvl_cdiv(P->Nr16, P->split_n), 16);
    P->Mc = npu_dvl_rup(P->Mc_r, P->m0);
    P->Nc = npu_dvl_rup(P->Nc_r, P->n0);
    /* L0/L1 tile: like TBE's tiling, a small search — every (m, n) of the fractal multiples
     * 1, 2, 4, … (and the whole share) that fits L0C, with the largest k for L0A/L0B, the L1
     * K chunk and loop order that follow — scored by an estimate of the tile loop's time:
     * max(Cube, MTE2, MTE1) busy cycles plus the per-instruction costs. */
    double best = -1;
    gemm_plan bestp = *P;
    for (int64_t m = P->m0; m <= P->Mc; m = (m * 2 > P->Mc && m < P->Mc) ? P->Mc : m * 2) {
        for (int64_t n = P->n0; n <= P->Nc; n = (n * 2 > P->Nc && n < P->Nc) ? P->Nc : n * 2) {
            for (int64_t kdiv = 1; kdiv <= 16; kdiv *= 2) {
                gemm_plan T = *P;
                double est = eval_tile(c, &T, m, n, kdiv);
                if (est < 0)
                    continue;
                if (best < 0 || est < best * 0.999 ||
                    (est <= best * 1.001 && (m * n > bestp.m_l0 * bestp.n_l0 ||
                                             (m * n == bestp.m_l0 * bestp.n_l0 &&
                                              T.k_l1 > bestp.k_l1)))) {
                    best = est;
                    bestp = T;
                }
            }
            if (n == P->Nc)
                break;
        }
        if (m == P->Mc)
            break;
    }
    if (best < 0)
        return npu_err_set(c->err, NPU_EINVAL,
                           "davinci: layer '%s': L0/L1 buffers too small "
                           "for one tile",
                           c->out->layers[c->layer].name);
    *P = bestp;
    return 0;
}

typedef struct opnd {
    int id;   /* 0 = A, 1 = B */
    int base; /* event id base */
} opnd;

/* MTE2 fills the next L1 buffer of operand `o` and sets its ready flag. */
static int l1_produce(lw *c, gemm_plan *P, int o, int64_t bytes, int64_t run, unsigned *slot)
{
    int nb = c->s->double_buffer ? 2 : 1;
    unsigned sl = c->slot_op[o]++ % (unsigned)nb;
    int id = 2 * o + (int)sl;
    *slot = sl;
    if (npu_dvl_waitf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_MTE2, id))
        return c->err->code;
    bool l2 = o == 0 ? P->hit_a : P->hit_b;
    /* AIPP: the input load reads the source frame from GM and writes the fp16 image to L1 */
    bool image = o == 0 && P->aipp;
    int64_t gm = image ? (int64_t)llround((double)bytes * P->src_frac) : bytes;
    gm = (int64_t)ceil((double)gm * (o == 0 ? P->mr : P->nr));
    P->gm_rd += gm;
    if (l2)
        P->l2_rd += gm;
    double part = o == 0 ? P->a_part : P->b_now;
    if (!image && !l2 && part > 0) {
        if (npu_dvl_gm_read(c, NPU_DV_OP_COPY_GM_L1, gm, run, false, part, sl, &P->l2_rd))
            return c->err->code;
        return npu_dvl_setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_MTE1, id);
    }
    npu_dv_ins d = {0};
    d.bytes = (uint64_t)(image ? bytes : gm);
    d.aux = image ? (uint64_t)gm : 0;
    d.run = (uint32_t)(run > 0 && run < bytes ? npu_dvl_min(run, UINT32_MAX) : 0);
    d.mem = l2 ? NPU_DV_MEM_L2 : NPU_DV_MEM_DDR;
    d.buf = sl;
    if (npu_dvl_em(c, image ? NPU_DV_OP_LOAD_IMAGE : NPU_DV_OP_COPY_GM_L1, NPU_DV_PIPE_MTE2, &d))
        return c->err->code;
    return npu_dvl_setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_MTE1, id);
}

static int l1_ready(lw *c, int o, unsigned sl)
{
    return npu_dvl_waitf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_MTE1, 2 * o + (int)sl);
}

static int l1_release(lw *c, int o, unsigned sl)
{
    return npu_dvl_setf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_MTE2, 2 * o + (int)sl);
}

/* One output tile (mt rows × nt cols) of one group on the current core. Loads: which operand
 * buffers to (re)load and with what K chunking is decided by the caller's flags. */
static int cube_tile(lw *c, gemm_plan *P, int64_t mt, int64_t nt, bool load_a, bool load_b,
                     bool keep_a, bool keep_b, unsigned *sa, unsigned *sb)
{
    const npu_davinci_state *s = c->s;
    int nb = s->double_buffer ? 2 : 1;
    long sidx = npu_dvl_scalar_begin(c);
    if (sidx < 0)
        return c->err->code;
    int64_t nchunks = npu_dvl_cdiv(P->K, P->k_l1);
    bool split = nchunks > 1;
    /* L0C buffer */
    unsigned cb = c->slot_c++ % (unsigned)nb;
    if (npu_dvl_waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_M, (int)cb))
        return c->err->code;
    for (int64_t ch = 0; ch < nchunks; ch++) {
        int64_t kc = npu_dvl_min(P->k_l1, P->K - ch * P->k_l1);
        bool la = load_a || split, lb = load_b || split;
        if (la) {
            int64_t ab = a_bytes(P, mt, kc);
            int64_t run =
                P->conv
                    ? ab / npu_dvl_max(npu_dvl_cdiv(kc, P->k0 * (P->depthwise ? 1 : P->taps)), 1)
                    : mt * P->k0 * P->bpe;
            if (l1_produce(c, P, 0, ab, run, sa))
                return c->err->code;
        }
        if (lb && l1_produce(c, P, 1, b_bytes(P, kc, nt), 0, sb))
            return c->err->code;
        if (la && (l1_ready(c, 0, *sa) || (keep_a && !split && l1_release(c, 0, *sa))))
            return c->err->code;
        if (lb && (l1_ready(c, 1, *sb) || (keep_b && !split && l1_release(c, 1, *sb))))
            return c->err->code;
        for (int64_t k0 = 0; k0 < kc; k0 += P->k_l0) {
            int64_t kk = npu_dvl_min(P->k_l0, kc - k0);
            unsigned l = c->slot_l0++ % (unsigned)nb;
            if (npu_dvl_waitf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_MTE1, (int)l))
                return c->err->code;
            npu_dv_ins d = {0};
            d.m = (uint32_t)mt;
            d.k = (uint32_t)kk;
            d.n = (uint32_t)nt;
            d.buf = l;
            d.bytes = (uint64_t)ceil((double)(mt * kk * P->bpe) * P->mr);
            if (npu_dvl_em(c, NPU_DV_OP_LOAD3D, NPU_DV_PIPE_MTE1, &d))
                return c->err->code;
            d.bytes = (uint64_t)ceil((double)(kk * nt * P->bpe) * P->nr);
            if (npu_dvl_em(c, NPU_DV_OP_LOAD2D, NPU_DV_PIPE_MTE1, &d) ||
                npu_dvl_setf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_M, (int)l) ||
                npu_dvl_waitf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_M, (int)l))
                return c->err->code;
            d.bytes = 0;
            d.flags = (ch > 0 || k0 > 0) ? NPU_DV_F_ACC : 0;
            if (npu_dvl_em(c, NPU_DV_OP_MMAD, NPU_DV_PIPE_M, &d) ||
                npu_dvl_setf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_MTE1, (int)l))
                return c->err->code;
        }
        if (split && (l1_release(c, 0, *sa) || l1_release(c, 1, *sb)))
            return c->err->code;
    }
    /* L0C → UB (V), fused activation (V), UB → GM (MTE3) */
    unsigned u = c->slot_ub++ % (unsigned)nb;
    if (npu_dvl_setf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_V, (int)cb) ||
        npu_dvl_waitf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_V, (int)cb) ||
        npu_dvl_waitf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
        return c->err->code;
    npu_dv_ins d = {0};
    d.bytes = (uint64_t)ceil((double)(mt * nt * P->accb) * P->real);
    d.m = (uint32_t)mt;
    d.n = (uint32_t)nt;
    d.kind = (uint16_t)P->accb;
    d.buf = cb;
    d.flags = (uint8_t)((P->relu ? NPU_DV_F_RELU : 0) | (P->bias ? NPU_DV_F_BIAS : 0));
    if (npu_dvl_em(c, NPU_DV_OP_MOV_L0C_UB, NPU_DV_PIPE_V, &d) ||
        npu_dvl_setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_M, (int)cb))
        return c->err->code;
    int64_t ob = (int64_t)ceil((double)(mt * nt * P->obpe) * P->real);
    if (P->res) {
        /* the shortcut tile comes GM -> UB on MTE2 while the Cube works (ATC's conv + add
         * UB fusion): it needs the UB slot free of its previous residual */
        P->gm_rd += ob;
        if (npu_dvl_waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u) ||
            npu_dvl_gm_read(c, NPU_DV_OP_COPY_GM_UB, ob, mt * P->n0 * P->obpe, P->res_l2,
                            P->res_part, u, &P->l2_rd) ||
            npu_dvl_setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u))
            return c->err->code;
    }
    for (int v = 0; v < P->nvec; v++)
        if ((v > 0 && npu_dvl_vbarrier(c)) || npu_dvl_vec(c, P->vseq[v], ob, u))
            return c->err->code;
    if (P->res) {
        if (npu_dvl_waitf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u))
            return c->err->code;
        for (int v = 0; v < P->nres; v++)
            if (((v > 0 || P->nvec > 0) && npu_dvl_vbarrier(c)) ||
                npu_dvl_vec(c, P->rseq[v], ob, u))
                return c->err->code;
        if (npu_dvl_setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u))
            return c->err->code;
    }
    /* a fused AscendQuant: after vector work in UB one vconv to int8; on its own it happens
     * in the L0C -> UB move (research §2: "quantization on the way") */
    int64_t qb = P->quant ? (int64_t)ceil((double)(mt * nt) * P->real) : 0;
    if (P->quant && (P->nvec > 0 || P->res) &&
        (npu_dvl_vbarrier(c) || npu_dvl_vec(c, NPU_DV_V_CONV, ob, u)))
        return c->err->code;
    if (npu_dvl_setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u) ||
        npu_dvl_waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u))
        return c->err->code;
    if (!P->quant || P->qdual) {
        P->gm_wr += ob;
        if (npu_dvl_copy(c, NPU_DV_OP_COPY_UB_GM, NPU_DV_PIPE_MTE3, ob, mt * P->n0 * P->obpe,
                         P->out_l2, u, 0))
            return c->err->code;
    }
    if (P->quant) {
        P->gm_wr += qb;
        if (npu_dvl_copy(c, NPU_DV_OP_COPY_UB_GM, NPU_DV_PIPE_MTE3, qb, mt * P->n0, P->q_l2, u, 0))
            return c->err->code;
    }
    if (npu_dvl_setf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
        return c->err->code;
    npu_dvl_scalar_end(c, sidx);
    return 0;
}

int npu_dvl_cube(lw *c, int li)
{
    const npu_davinci_state *s = c->s;
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    gemm_plan P;
    memset(&P, 0, sizeof P);
    bool int8 = l->dtype == NPU_DT_INT8 || l->dtype == NPU_DT_UINT8;
    bool a16 = l->dtype == NPU_DT_INT16; /* A16W8: the Cube at a16w8_k_mult */
    P.bpe = int8 ? 1 : 2;
    /* mixed precision (npu_pass_weight_dtype): weights stored and moved at their width,
     * widened to the activation width as MTE1 loads them into L0B (assumption). Sub-byte
     * weights are refused: the V100/V200 Cube has no int4 (research §1.2: DT_INT4=16,64,16
     * exists only in the 910B ini) and SVP_NNN's A8W4 rate is unpublished (soc-facts §1.2);
     * moving them as int8 would run a different deployment silently. */
    int wbits = npu_dtype_bits(npu_layer_weight_dtype(g, l));
    if (wbits > 0 && wbits < 8)
        return npu_err_set(c->err, NPU_EINVAL,
                           "davinci: layer '%s': %d-bit weights (%s): the DaVinci Cube has no "
                           "int4 (V100/V200 cores run int8/int16/fp16 operands); use "
                           "wdtype=int8 or dtype=int8/a16w8",
                           l->name, wbits, npu_dtype_name(npu_layer_weight_dtype(g, l)));
    P.wbpe = npu_dvl_min(P.bpe, npu_dvl_max(wbits / 8, 1));
    P.m0 = s->cube_m;
    P.n0 = s->cube_n;
    P.k0 = (int64_t)s->cube_k * (int8 ? s->int8_k_mult : a16 ? s->a16w8_k_mult : 1);
    P.accb = int8 ? 4 : (s->fp16_acc ? 2 : 4);
    int ot = l->nout > 0 ? l->out[0] : -1;
    if (c->deq && c->deq[li] >= 0)
        ot = g->l[c->deq[li]].out[0]; /* the dequant in the L0C -> UB move: fp16 out */
    int fa = c->fuse_add ? c->fuse_add[li] : -1;
    if (fa >= 0) {
        /* the kernel writes the add's output; the add's other input is the shortcut */
        const npu_layer *a = &g->l[fa];
        int sc = a->in[0] == ot ? a->in[1] : a->in[0];
        P.res = true;
        P.res_l2 = npu_dvl_tensor_l2(c, sc);
        P.res_part = npu_dvl_tensor_l2_part(c, sc);
        P.nres = npu_dvl_vec_seq(NPU_OP_ADD, a->act, P.rseq, 16);
        ot = a->nout > 0 ? a->out[0] : -1;
    }
    c->res_add = P.res;
    P.obpe = (ot >= 0 && ot < g->nt) ? npu_dvl_max(npu_dtype_bits(g->t[ot].dtype) / 8, 1) : 2;
    if (c->quant && c->quant[li] >= 0) {
        const npu_layer *q = &g->l[c->quant[li]];
        P.quant = true;
        P.qdual = npu_dvl_read_besides_quant(g, ot);
        P.q_l2 = npu_dvl_tensor_l2(c, q->out[0]);
    }
    P.out_l2 = ot >= 0 && npu_dvl_tensor_l2(c, ot);
    P.in_l2 = l->nin > 0 && npu_dvl_tensor_l2(c, l->in[0]);
    P.a_part = l->nin > 0 ? npu_dvl_tensor_l2_part(c, l->in[0]) : 0;
    P.bias = (l->flags & NPU_LF_BIAS) != 0;
    /* the activation: ReLU in the L0C -> UB move, others as vector instructions in the
     * epilogue — or, when ATC does not fuse it (fused_acts), a vector kernel of its own after
     * this one (then no add or quantize is fused here either: lower.c) */
    bool act_own = !npu_dvl_act_fused(c, l->act);
    P.relu = !act_own && l->act == NPU_ACT_RELU;
    if (!act_own && !P.relu && l->act != NPU_ACT_NONE)
        P.nvec = npu_dvl_vec_seq(NPU_OP_IDENTITY, l->act, P.vseq, 16);
    int64_t batch = 1, real_m = 0, real_n = 0;
    if (npu_op_class(l->op) == NPU_OPC_CONV) {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg))
            return npu_err_set(c->err, NPU_EINVAL, "davinci: layer '%s': no conv geometry",
                               l->name);
        P.conv = true;
        int64_t gr = cg.groups > 0 ? cg.groups : 1;
        P.taps = (int64_t)cg.kh * cg.kw;
        P.W = cg.w;
        P.H = cg.h;
        P.Wo = cg.wo;
        P.sh = cg.sh;
        P.kh = cg.kh;
        P.dh = cg.dh;
        P.sw = cg.sw;
        P.kw = cg.kw;
        P.dw = cg.dw;
        /* batch_split (TBE's conv2d tiling: block_dim = batch x n x m x group): the images go
         * over the cores first, M is one image's output pixels and each block loops over its
         * images; without it the whole batch is one M, split over the cores like any other */
        P.nimg = s->batch_split && cg.n > 1 ? cg.n : 1;
        P.split_b = npu_dvl_min(P.nimg, s->cores);
        P.M = npu_dvl_rup(cg.n / P.nimg * cg.ho * cg.wo, P.m0);
        real_m = cg.n / P.nimg * cg.ho * cg.wo;
        if (gr > 1 && gr == cg.c && cg.k == cg.c) {
            P.depthwise = true;
            real_n = P.k0;
            P.groups = npu_dvl_cdiv(cg.c, P.k0);
            P.K = P.taps * P.k0;
            P.N = npu_dvl_rup(P.k0, P.n0);
        } else {
            /* Grouped conv: TBE merges e neighbouring groups into one block-diagonal GEMM so
             * that a merged group's channels fill whole C0 blocks — e = min(lcm(cin_g, C0) /
             * cin_g, lcm(cout_g, 16) / cout_g, groups) (CANN conv2d's group "enlarge"; recalled,
             * not in research/: assumption). ResNeXt's 4-channel groups: e = 4, 8 merged
             * groups of K 16·taps, N 16 instead of 32 groups each padded 4x in K and N. The
             * depthwise case above is the same rule with cin_g = cout_g = 1. */
            int64_t cin_g = npu_dvl_cdiv(cg.c, gr), cout_g = npu_dvl_cdiv(cg.k, gr);
            int64_t e = gr > 1 ? npu_dvl_min(npu_dvl_min(lcm(cin_g, P.k0) / cin_g,
                                                         lcm(cout_g, 16) / cout_g), gr)
                               : 1;
            P.groups = npu_dvl_cdiv(gr, e);
            real_n = cout_g * e;
            P.cin_g = npu_dvl_rup(cin_g * e, P.k0);
            P.K = P.cin_g * P.taps;
            P.N = npu_dvl_rup(cout_g * e, P.n0);
        }
        P.aipp = li == c->first_mac && s->aipp == NPU_DV_AIPP_CORE;
        if (P.aipp) {
            /* the L1 image is fp16 NC1HWC0 (C0 channels); the GM image is the source frame */
            P.src_frac = s->aipp_src_bpp / (double)(P.k0 * P.bpe);
        }
    } else {
        npu_gemm_geom gg;
        if (npu_layer_gemm_geom(g, li, &gg))
            return npu_err_set(c->err, NPU_EINVAL, "davinci: layer '%s': no gemm geometry",
                               l->name);
        batch = gg.batch > 0 ? gg.batch : 1;
        P.groups = batch;
        P.M = npu_dvl_rup(gg.m, P.m0);
        real_m = gg.m;
        real_n = gg.n;
        P.K = npu_dvl_rup(gg.k, P.k0);
        P.N = npu_dvl_rup(gg.n, P.n0);
    }
    P.real = P.mr = P.nr = 1.0;
    if (P.nimg < 1)
        P.nimg = P.split_b = 1;
    P.cores = npu_dvl_max(s->cores / P.split_b, 1);
    P.real_m = real_m > 0 ? real_m : P.M;
    P.real_n = real_n > 0 ? real_n : P.N;
    if (P.M <= 0 || P.K <= 0 || P.N <= 0 || P.groups <= 0)
        return npu_err_set(c->err, NPU_EINVAL, "davinci: layer '%s': empty GEMM", l->name);
    if (plan_gemm(c, &P))
        return c->err->code;
    if (s->l2 > 0) {
        int64_t in_b = l->nin > 0 ? npu_dvl_tbytes(g, l->in[0]) : 0;
        P.in_fit = in_b > 0 && in_b <= s->l2 / 2;
        P.w_fit =
            (double)P.K * (double)P.N * (double)P.wbpe * (double)P.groups <= (double)(s->l2 / 2);
        if (l->nin > 1 && l->op == NPU_OP_MATMUL)
            P.w_fit = P.w_fit && npu_dvl_tbytes(g, l->in[1]) <= s->l2 / 2;
        /* weights larger than half of L2: a re-fetch (another block, another image) finds
         * the part read last still in L2, as tensor_l2_part does for activations */
        double wt = (double)P.K * (double)P.N * (double)P.wbpe * (double)P.groups;
        P.b_part = !P.w_fit && wt > 0 ? (double)(s->l2 / 2) / wt : 0;
    }
    /* A program is simulated instruction by instruction: refuse absurd layers (a hang or
     * gigabytes of program otherwise) with a clear error. */
    double steps = (double)P.nimg * (double)P.groups * (double)P.split_m * (double)P.split_n *
                   (double)npu_dvl_cdiv(P.Mc, P.m_l0) * (double)npu_dvl_cdiv(P.Nc, P.n_l0) *
                   (double)npu_dvl_cdiv(P.K, P.k_l0);
    if (steps > NPU_DV_MAX_STEPS)
        return npu_err_set(c->err, NPU_EINVAL,
                           "davinci: layer '%s': %.3g cube steps (M %lld, K %lld, N %lld, "
                           "groups %lld) exceed the simulator's limit of %.0f",
                           l->name, steps, (long long)P.M, (long long)P.K, (long long)P.N,
                           (long long)P.groups, (double)NPU_DV_MAX_STEPS);
    if (npu_dvl_jobs(c, l->name, steps, "cube steps"))
        return c->err->code;
    npu_dv_kernel k;
    memset(&k, 0, sizeof k);
    k.flags = NPU_DV_KF_CUBE | (P.depthwise ? NPU_DV_KF_DEPTHWISE : 0) |
              (P.aipp ? NPU_DV_KF_AIPP : 0) | (P.b_res ? NPU_DV_KF_L1_B_RESIDENT : 0) |
              (P.a_res ? NPU_DV_KF_L1_A_RESIDENT : 0) | (P.n_outer ? NPU_DV_KF_N_OUTER : 0) |
              (P.res ? NPU_DV_KF_RES_ADD : 0);
    k.split_m = (uint32_t)P.split_m;
    k.split_n = (uint32_t)P.split_n;
    k.block_dim = (uint32_t)(P.split_b * P.split_m * P.split_n);
    k.m0 = (uint32_t)P.m0;
    k.k0 = (uint32_t)P.k0;
    k.n0 = (uint32_t)P.n0;
    k.bpe_in = (uint32_t)P.bpe;
    k.M = P.M;
    k.K = P.K;
    k.N = P.N;
    k.groups = P.groups;
    k.m_l0 = P.m_l0;
    k.k_l0 = P.k_l0;
    k.n_l0 = P.n_l0;
    k.m_l1 = P.m_l0;
    k.k_l1 = P.k_l1;
    k.l1_a_bytes = a_bytes(&P, P.m_l0, P.k_l1);
    k.l1_b_bytes = b_bytes(&P, P.k_l1, P.n_l0);
    k.ub_tile_bytes = P.m_l0 * P.n_l0 * P.accb;
    int nb = s->double_buffer ? 2 : 1;
    k.l1_db = k.l0_db = k.ub_db = nb;
    size_t kidx = npu_dvl_kernel_header(c, &k);
    if (kidx == (size_t)-1)
        return npu_dvl_oom(c);
    c->ninstr = 0;
    int64_t ipb = npu_dvl_cdiv(P.nimg, P.split_b); /* images per block */
    for (int64_t bb = 0; bb < P.split_b; bb++)
    for (int64_t bm = 0; bm < P.split_m; bm++)
        for (int64_t bn = 0; bn < P.split_n; bn++) {
            int core = (int)((bb * P.split_m + bm) * P.split_n + bn);
            int64_t img0 = bb * ipb, img1 = npu_dvl_min(P.nimg, img0 + ipb);
            /* this block's share: rows/cols at 16 granularity, padded to the fractal; the
             * MTEs move only the 16-granular part, results only real rows */
            int64_t rows = npu_dvl_max(npu_dvl_min(P.Mc_r, P.Mr16 - bm * P.Mc_r), 0);
            int64_t cols = npu_dvl_max(npu_dvl_min(P.Nc_r, P.Nr16 - bn * P.Nc_r), 0);
            int64_t m_lo = 0, m_hi = npu_dvl_rup(rows, P.m0);
            int64_t n_lo = 0, n_hi = npu_dvl_rup(cols, P.n0);
            int64_t rr = npu_dvl_max(npu_dvl_min(rows, P.real_m - bm * P.Mc_r), 0);
            int64_t rc = npu_dvl_max(npu_dvl_min(cols, P.real_n - bn * P.Nc_r), 0);
            P.mr = m_hi > 0 ? (double)rows / (double)m_hi : 1;
            P.nr = n_hi > 0 ? (double)cols / (double)n_hi : 1;
            P.real = m_hi > 0 && n_hi > 0
                         ? (double)rr / (double)m_hi * (double)npu_dvl_rup(rc, 16) / (double)n_hi
                         : 1;
            if (npu_dvl_block_begin(c, core, true))
                return c->err->code;
            for (int64_t img = img0; img < img1; img++)
            for (int64_t gi = 0; gi < P.groups && m_hi > m_lo && n_hi > n_lo; gi++) {
                bool first = img == img0; /* later images re-fetch what is not resident */
                int64_t nmt = npu_dvl_cdiv(m_hi - m_lo, P.m_l0),
                        nnt = npu_dvl_cdiv(n_hi - n_lo, P.n_l0);
                int64_t no = P.n_outer ? nnt : nmt, ni = P.n_outer ? nmt : nnt;
                unsigned sa = 0, sb = 0;
                for (int64_t o = 0; o < no; o++)
                    for (int64_t i = 0; i < ni; i++) {
                        int64_t im = P.n_outer ? i : o, in = P.n_outer ? o : i;
                        int64_t mt = npu_dvl_min(P.m_l0, m_hi - m_lo - im * P.m_l0);
                        int64_t nt = npu_dvl_min(P.n_l0, n_hi - n_lo - in * P.n_l0);
                        /* outer operand: loaded at i == 0, released after the last i;
                         * inner: loaded every tile (resident: only in the first outer pass,
                         * released right away since its L1 space is never reused) */
                        bool a_outer = !P.n_outer;
                        bool load_a = a_outer ? i == 0 : (P.a_res ? o == 0 : true);
                        bool load_b = a_outer ? (P.b_res ? o == 0 && first : true) : i == 0;
                        bool keep_a = !a_outer && P.a_res;
                        bool keep_b = a_outer && P.b_res;
                        /* L2 (research §1.6): each block's first fetch of an operand misses
                         * — the blocks of a kernel run in lockstep, so a block does not find
                         * the lines another block is fetching at the same time — and its
                         * re-fetches (later outer passes) hit while the operand fits in half
                         * of L2; of larger weights the part read last (b_part) hits */
                        bool miss_a = (a_outer ? i : o) == 0;
                        bool miss_b = first && (a_outer ? o : i) == 0;
                        P.hit_a = P.in_l2 || (P.in_fit && !miss_a);
                        P.hit_b = P.w_fit && !miss_b;
                        P.b_now = miss_b ? 0 : P.b_part;
                        if (cube_tile(c, &P, mt, nt, load_a, load_b, keep_a, keep_b, &sa, &sb))
                            return c->err->code;
                        if (P.k_l1 >= P.K) {
                            /* release per-tile inner operands; outer after its last tile */
                            if (a_outer) {
                                if (!P.b_res && l1_release(c, 1, sb))
                                    return c->err->code;
                                if (i == ni - 1 && l1_release(c, 0, sa))
                                    return c->err->code;
                            } else {
                                if (!P.a_res && l1_release(c, 0, sa))
                                    return c->err->code;
                                if (i == ni - 1 && l1_release(c, 1, sb))
                                    return c->err->code;
                            }
                        }
                    }
            }
            if (npu_dvl_block_end(c, true))
                return c->err->code;
        }
    npu_dv_kernel *kp = npu_dvl_kernel_at(c, kidx);
    kp->ninstr = c->ninstr;
    kp->gm_rd_bytes = P.gm_rd;
    kp->gm_wr_bytes = P.gm_wr;
    kp->l2_rd_bytes = P.l2_rd;
    return act_own && ot >= 0 ? npu_dvl_act_kernel(c, li, ot, l->act) : 0;
}

/* ---- vector kernels ---------------------------------------------------------------------------
 */
