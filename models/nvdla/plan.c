/* plan.c — the CBUF and MAC plan of an NVDLA conv, the spreadsheet row of a layer, and the
 * explanation of the hardware layers a graph layer became (prefix npu_nvdla_; lowering in
 * lower.c). Sources: research/nvdla.md §1.3 (the performance spreadsheet), §2 (pipeline,
 * CBUF).
 *
 * CBUF plan of a conv (programming guide working modes): the banks are split between data and
 * weights; every split from 1 to banks-1 weight banks is tried and the one moving the fewest
 * DRAM bytes wins (ties: fewer weight banks):
 *   input fits and weights fit           full input & weights: each byte fetched once;
 *   input fits, weights do not           full input, partial weights: the weights stream
 *                                        through in kernel-group chunks (two halves so that
 *                                        CDMA loads one while CMAC uses the other);
 *   input does not fit                   split-H: as many input lines per split as the data
 *                                        banks hold, max(R − stride, 0) lines fetched again at
 *                                        every split boundary; weights kept if they fit, else
 *                                        either re-fetched for every split or split in chunks
 *                                        with the input re-fetched for every chunk
 *                                        (whichever moves fewer bytes).
 * MAC work: atomics of Atomic-C × Atomic-K; channel tails (C not a multiple of Atomic-C) and
 * kernel tails leave MACs idle; a stripe (16–32 atomics on the same weights) cannot be shorter
 * than the weight load of the next one (wt_load_cycles), which is what makes batch-1 FC run at
 * 1/16; image-input mode for a first layer with ≤ 4 channels packs the pixels of a kernel row
 * and 1, 2 or 4 kernel lines (channel post-extension) into one atomic; Winograd (where the
 * configuration has it) for 3×3 stride-1 convs: 2.25× fewer atomics, weights × 16/9.
 */
#include <math.h>
#include <string.h>

#include "nvdla.h"

/* ---- the spreadsheet row (research §1.3) ------------------------------------------------------
 */

void npu_nvdla_sheet_row(const npu_nvdla_state *s, int64_t C, int64_t H, int64_t W, int64_t K,
                         int64_t R, int64_t S, int64_t sh, int64_t sw, bool padded, int64_t A,
                         int64_t B, bool elwise, bool fc, int bytes, npu_nv_sheet *o)
{
    memset(o, 0, sizeof *o);
    const double cb = (double)(s->banks * s->bank_bytes) / 1024.0; /* KB */
    const int64_t mac = s->ac * s->ak;
    const int64_t b = fc ? s->fc_batch : 1;
    const bool wino = s->ss_winograd && R == 3 && S == 3;
    int64_t cx = npu_nvdla_rup(C * sh * sw, 16);
    int64_t hs = npu_nvdla_cdiv(H, sh), ws = npu_nvdla_cdiv(W, sw);
    double X = (double)(cx * hs * ws * bytes) / 1024.0;
    double Y = (double)(cx * npu_nvdla_min64(R, hs) * ws * bytes) / 1024.0;
    double Z = (double)(A * B * npu_nvdla_rup(K, 16) * bytes) / 1024.0;
    double wk = (double)(cx * npu_nvdla_cdiv(R, sh) * npu_nvdla_cdiv(S, sw) * bytes) / 1024.0;
    double Wt = wk * (double)K * (wino ? 16.0 / 9.0 : 1.0);
    double minWt = wk * 32.0 * (wino ? 16.0 / 9.0 : 1.0);
    if (minWt > cb / 2)
        minWt = cb / 2;
    double traffic;
    int64_t n;
    if (X >= Wt) {
        double room = cb - Y;
        n = room > 0 ? (int64_t)ceil(Wt / room - 1e-12) : 1;
        if (n < 1)
            n = 1;
        traffic = (double)n * X + Wt + Z;
        o->weight_layer = 1;
    } else {
        double room = cb - minWt;
        n = room > 0 ? (int64_t)ceil(X / room - 1e-12) : 1;
        if (n < 1)
            n = 1;
        traffic = X + (double)n * Wt + Z;
    }
    if (elwise)
        traffic += Z;
    o->refetch = (int32_t)n;
    o->elwise = elwise;
    o->winograd = wino;
    o->fc = fc;
    o->dram_bytes = (int64_t)llround(traffic * 1024.0);
    /* KB / (GB/s) · MHz = cycles with the sheet's ×1000 ≈ ×1024 approximation */
    o->dram_cycles = (int64_t)ceil(traffic / s->dram_gbps * s->freq_mhz - 1e-6);
    int64_t pq = fc ? 1
                    : npu_nvdla_cdiv(padded ? H : H - R + 1, sh) *
                          npu_nvdla_cdiv(padded ? W : W - S + 1, sw);
    if (pq < 1)
        pq = 1;
    o->mac_num = cx * pq * npu_nvdla_rup(K * b, 128) * R * S * (wino ? 4 : 1);
    o->mac_den = sh * sw * mac * b * (wino ? 9 : 1);
}

/* ---- conv planning ------------------------------------------------------------------------------
 */

void npu_nvdla_plan_mac(const npu_nvdla_state *s, const npu_nvdla_conv_in *ci, npu_nv_hwl *h)
{
    int64_t ac = s->ac, ak = ci->bytes == 2 ? npu_nvdla_max64(1, s->ak / 2) : s->ak;
    int64_t G = ci->groups, Cg = ci->c / G, Kg = ci->k / G;
    int64_t pos = ci->p * ci->q * ci->n;
    int64_t kgroups = npu_nvdla_cdiv(Kg, ak);
    int64_t mode = ci->fc ? NPU_NV_CONV_FC : NPU_NV_CONV_DIRECT;
    if (!ci->fc && ci->image_ok && G == 1 && Cg <= 4)
        mode = NPU_NV_CONV_IMAGE;
    else if (!ci->fc && s->winograd && ci->r == 3 && ci->s == 3 && ci->sh == 1 && ci->sw == 1 &&
             G == 1 && !ci->dil)
        mode = NPU_NV_CONV_WINOGRAD;
    int64_t per_block_atoms, blocks, stripe_max = s->stripe_max;
    h->ext = 1;
    if (mode == NPU_NV_CONV_IMAGE) {
        /* pixels of a kernel row (S·C bytes) and E kernel lines per atomic */
        int64_t best = -1;
        for (int64_t e = 1; e <= 4; e *= 2) {
            int64_t a = npu_nvdla_cdiv(Cg * ci->s * e, ac) * npu_nvdla_cdiv(ci->r, e);
            if (best < 0 || a < best) {
                best = a;
                h->ext = (int32_t)e;
            }
        }
        per_block_atoms = best;
        blocks = 1;
        stripe_max = 64; /* image mode: stripe length fixed at 64 (IAS) */
    } else if (mode == NPU_NV_CONV_WINOGRAD) {
        pos = npu_nvdla_rup(ci->p, 4) * npu_nvdla_rup(ci->q, 4) * ci->n /
              4;                                  /* 2x2 output tiles of 4x4 inputs... */
        per_block_atoms = npu_nvdla_cdiv(Cg, ac); /* ...16 products instead of 36 */
        blocks = 16;                              /* per 2x2 tile: 16 vs 36 → 2.25x */
    } else {
        per_block_atoms = npu_nvdla_cdiv(Cg, ac);
        blocks = ci->r * ci->s;
    }
    /* FC batches beyond what the pipeline takes at once run one after the other */
    int64_t nb = 1;
    if (ci->fc && pos > s->max_batch) {
        nb = npu_nvdla_cdiv(pos, s->max_batch);
        pos = s->max_batch;
    }
    int64_t stripes = npu_nvdla_cdiv(pos, stripe_max);
    int64_t per_pass = npu_nvdla_max64(pos, stripes * s->wt_load_cycles) * nb;
    h->conv_mode = (uint8_t)mode;
    h->stripes = (int32_t)npu_nvdla_min64(stripes, INT32_MAX);
    h->stripe_len = (int32_t)npu_nvdla_min64(stripes ? npu_nvdla_cdiv(pos, stripes) : 0, INT32_MAX);
    h->atomics = G * kgroups * per_block_atoms * blocks * pos * nb;
    h->mac_cycles = G * kgroups * per_block_atoms * blocks * per_pass;
}

void npu_nvdla_plan_cbuf(const npu_nvdla_state *s, const npu_nvdla_conv_in *ci, npu_nv_hwl *h)
{
    const int64_t B = s->banks, bank = s->bank_bytes;
    int64_t G = ci->groups, Cg = ci->c / G;
    /* occupancy from the real channel counts: the atomic padding of a surface is not counted,
     * so that a wider atomic never makes the plan worse (a simplification, docs) */
    int64_t line = ci->w * ci->c * ci->bytes;
    int64_t hin = ci->h * ci->n;
    int64_t in = line * hin;
    double wexp = h->conv_mode == NPU_NV_CONV_WINOGRAD ? 16.0 / 9.0 : 1.0;
    int64_t ak = ci->bytes == 2 ? npu_nvdla_max64(1, s->ak / 2) : s->ak;
    int64_t wt = (int64_t)ceil((double)(ci->r * ci->s * Cg * ci->k * ci->bytes) * wexp);
    int64_t kg =
        (int64_t)ceil((double)(ci->r * ci->s * Cg * npu_nvdla_min64(ak, ci->k) * ci->bytes) * wexp);
    int64_t wt_dram = wt;
    if (s->compress) {
        wt_dram = (int64_t)ceil((double)wt * s->compress_ratio);
        h->flags |= NPU_NV_HF_COMPRESSED;
    }
    int64_t overlap = npu_nvdla_max64(ci->r - ci->sh, 0);
    int64_t best = -1;
    for (int64_t wb = 1; wb < B; wb++) {
        int64_t db = B - wb, dbytes = db * bank, wbytes = wb * bank;
        int64_t mode, nsplit = 1, nk = 1, rd_d, rd_w;
        /* A kernel group larger than the weight banks is streamed through them in parts (the
         * plan does not refuse it: a wider Atomic-K must never make a layer infeasible). */
        if (in <= dbytes) {
            rd_d = in;
            rd_w = wt_dram;
            if (wt <= wbytes) {
                mode = NPU_NV_CBUF_FULL;
            } else {
                mode = NPU_NV_CBUF_PARTIAL_WT;
                nk = npu_nvdla_cdiv(wt, 2 * kg <= wbytes ? wbytes / 2 : wbytes);
            }
        } else {
            int64_t rows = line > 0 ? dbytes / line : 0;
            if (rows < ci->r)
                continue; /* not even one output line fits: try more data banks */
            int64_t po = (rows - ci->r) / ci->sh + 1;
            nsplit = npu_nvdla_cdiv(ci->p * ci->n, po);
            if (nsplit < 2)
                nsplit = 2;
            rd_d = in + (nsplit - 1) * overlap * line;
            if (rd_d < in)
                rd_d = in;
            if (wt <= wbytes) {
                mode = NPU_NV_CBUF_SPLIT_H;
                rd_w = wt_dram;
            } else {
                int64_t kpass = npu_nvdla_cdiv(wt, 2 * kg <= wbytes ? wbytes / 2 : wbytes);
                int64_t a = rd_d + nsplit * wt_dram;      /* weights again for every split */
                int64_t nkc = npu_nvdla_cdiv(wt, wbytes); /* or input again per weight chunk */
                int64_t b2 = nkc * in + wt_dram;
                if (a <= b2) {
                    mode = NPU_NV_CBUF_SPLIT_H_WT;
                    rd_w = nsplit * wt_dram;
                    nk = kpass;
                } else {
                    mode = NPU_NV_CBUF_SPLIT_WT_D;
                    rd_d = nkc * in;
                    rd_w = wt_dram;
                    nsplit = nkc;
                    nk = 1;
                }
            }
        }
        int64_t tot = rd_d + rd_w;
        if (best < 0 || tot < best) {
            best = tot;
            h->cbuf_mode = (uint8_t)mode;
            h->data_banks = (uint8_t)npu_nvdla_min64(db, 255);
            h->weight_banks = (uint8_t)npu_nvdla_min64(wb, 255);
            h->nsplit = (int32_t)npu_nvdla_min64(nsplit, INT32_MAX);
            h->nkpass = (int32_t)npu_nvdla_min64(nk, INT32_MAX);
            h->overlap = mode == NPU_NV_CBUF_SPLIT_H || mode == NPU_NV_CBUF_SPLIT_H_WT
                             ? (int32_t)overlap
                             : 0;
            h->rd_data = rd_d;
            h->rd_wt = rd_w;
        }
    }
    if (best < 0) {
        /* Even one kernel group or one input line set does not fit (a huge kernel or a very
         * wide line): the compiler would split in width as well. Model it as split-H with the
         * weights re-fetched per split and the input lines of one split spread over all data
         * banks. */
        int64_t wb = npu_nvdla_min64(npu_nvdla_max64(npu_nvdla_cdiv(kg, bank), 1), B - 1),
                db = B - wb;
        int64_t nsplit = npu_nvdla_max64(2, npu_nvdla_cdiv(in + ci->h * overlap * line, db * bank));
        h->cbuf_mode = NPU_NV_CBUF_SPLIT_H_WT;
        h->data_banks = (uint8_t)npu_nvdla_min64(db, 255);
        h->weight_banks = (uint8_t)npu_nvdla_min64(wb, 255);
        h->nsplit = (int32_t)npu_nvdla_min64(nsplit, INT32_MAX);
        h->nkpass = (int32_t)npu_nvdla_max64(1, npu_nvdla_cdiv(wt, wb * bank));
        h->overlap = (int32_t)overlap;
        h->rd_data = in + (nsplit - 1) * overlap * line;
        h->rd_wt = nsplit * wt_dram;
    }
    h->in_bytes = in;
    h->wt_bytes = wt;
}

/* ---- which unit runs an op ------------------------------------------------------------------ */

/* CDP runs LRN across channels with a local size of 3, 5, 7 or 9, memory to memory
 * (research §2.2), on an N×C×H×W cube; anything else goes to the CPU. */
bool npu_nvdla_cdp_legal(const npu_graph *g, const npu_layer *l)
{
    if (l->nin != 1 || l->in[0] < 0 || l->in[0] >= g->nt)
        return false;
    const npu_tensor *x = &g->t[l->in[0]];
    int64_t size = npu_layer_int_k(l, NPU_K_SIZE, 0, -1);
    return x->ndim >= 3 && x->ndim <= 4 && (size == 3 || size == 5 || size == 7 || size == 9);
}

/* The Rubik mode that performs transpose l, or -1 (the CPU does it). Rubik rewrites whole data
 * cubes, each dimension ≤ 8192 (research §2.2), in three modes:
 *   contract  the second pass of a deconvolution: channels (R·S·K) spread over the spatial
 *             grid, i.e. depth-to-space. The ONNX importer writes DepthToSpace as a rank-6
 *             transpose with perm 0,3,4,1,5,2 (DCR) or 0,1,4,2,5,3 (CRD): those are contracts;
 *   split     a packed feature cube (channels innermost) into per-channel planes: NHWC → NCHW,
 *             perm 0,3,1,2 on a rank-4 tensor;
 *   merge     planes back into a packed cube: NCHW → NHWC, perm 0,2,3,1.
 * Our reading of the modes; other permutations (H↔W swaps, the head transposes of attention,
 * space-to-depth) are not one of them and run on the CPU. */
int npu_nvdla_rubik_mode(const npu_graph *g, const npu_layer *l)
{
    if (l->op != NPU_OP_TRANSPOSE || l->nin < 1 || l->in[0] < 0 || l->in[0] >= g->nt)
        return -1;
    const npu_tensor *x = &g->t[l->in[0]];
    for (int i = 0; i < x->ndim; i++)
        if (x->dim[i] > 8192)
            return -1;
    const npu_attr *a = npu_layer_attr_k(l, NPU_K_PERM);
    if (!a || a->type != NPU_ATTR_INTS || a->n != x->ndim)
        return -1;
    static const int64_t dcr[6] = {0, 3, 4, 1, 5, 2}, crd[6] = {0, 1, 4, 2, 5, 3};
    static const int64_t spl[4] = {0, 3, 1, 2}, mrg[4] = {0, 2, 3, 1};
    if (a->n == 6 && (!memcmp(a->i, dcr, sizeof dcr) || !memcmp(a->i, crd, sizeof crd)))
        return NPU_NV_RUBIK_CONTRACT;
    if (a->n == 4 && !memcmp(a->i, spl, sizeof spl))
        return NPU_NV_RUBIK_SPLIT;
    if (a->n == 4 && !memcmp(a->i, mrg, sizeof mrg))
        return NPU_NV_RUBIK_MERGE;
    return -1;
}

/* ---- explain ---------------------------------------------------------------------------------- */

int npu_nvdla_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out)
{
    (void)m;
    int n = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].layer != layer)
            continue;
        if (p->ins[i].op == NPU_NV_OP_HWL) {
            const npu_nv_hwl *h = npu_nv_payload(p, i, NPU_NV_OP_HWL, sizeof *h);
            if (!h)
                return NPU_EFORMAT;
            n++;
            npu_sb_printf(out, "hardware op %d on %s (task %u): %u interrupt(s), %u CSB writes\n",
                          (int)h->common.index, npu_nv_proc_name(h->common.op_type),
                          (unsigned)h->task, (unsigned)h->nirq, (unsigned)h->reg_writes);
            if (h->common.op_type == NPU_NV_CONV) {
                npu_sb_printf(out, "  conv mode %s: input %dx%dx%d, %d kernels %dx%d, stride "
                              "%d,%d, groups %d, output %dx%d, batch %d\n",
                              npu_nv_conv_mode_name(h->conv_mode), h->c, h->h, h->w, h->k, h->r,
                              h->s, h->sh, h->sw, h->groups, h->p, h->q, h->batch);
                if (h->conv_mode == NPU_NV_CONV_IMAGE)
                    npu_sb_printf(out, "  image input: channel post-extension %d line(s)\n",
                                  h->ext);
                npu_sb_printf(out, "  CBUF mode %s: %u data banks + %u weight banks; splits %d, "
                              "weight passes %d, overlap %d line(s)\n",
                              npu_nv_cbuf_mode_name(h->cbuf_mode), (unsigned)h->data_banks,
                              (unsigned)h->weight_banks, h->nsplit, h->nkpass, h->overlap);
                npu_sb_printf(out, "  input %lld B, weights %lld B; DRAM reads: data %lld B "
                              "(x%.2f), weights %lld B (x%.2f)\n",
                              (long long)h->in_bytes, (long long)h->wt_bytes,
                              (long long)h->rd_data,
                              h->in_bytes ? (double)h->rd_data / (double)h->in_bytes : 0.0,
                              (long long)h->rd_wt,
                              h->wt_bytes ? (double)h->rd_wt / (double)h->wt_bytes : 0.0);
                npu_sb_printf(out, "  %d stripe(s) of ~%d atomics per block; %lld atomics, "
                              "%lld CMAC cycles (stripe weight-load bound included)\n",
                              h->stripes, h->stripe_len, (long long)h->atomics,
                              (long long)h->mac_cycles);
            } else {
                npu_sb_printf(out, "  %s, %lld elements at %d per cycle; reads %lld B, "
                              "writes %lld B%s\n",
                              (h->flags & NPU_NV_HF_FUSED) ? "fed on the fly by CACC"
                                                           : "from memory",
                              (long long)h->elems, h->thr, (long long)(h->rd_data + h->rd_ew),
                              (long long)h->wr_out,
                              (h->flags & NPU_NV_HF_EW) ? " (element-wise operand read)" : "");
                if (h->common.op_type == NPU_NV_CDP)
                    npu_sb_printf(out, "  LRN across channels: local size %d, cube %dx%dx%d "
                                  "(CxHxW), squares through the LUT\n", h->r, h->c, h->h, h->w);
                else if (h->common.op_type == NPU_NV_BDMA)
                    npu_sb_printf(out, "  BDMA group: %d transfer(s) (of 20 slots), one "
                                  "interrupt for the group; moves %d B per cycle\n", h->nsplit,
                                  h->thr);
                else if (h->common.op_type == NPU_NV_RUBIK)
                    npu_sb_printf(out, "  Rubik mode %s; moves %d B per cycle\n",
                                  npu_nv_rubik_mode_name(h->conv_mode), h->thr);
            }
        } else if (p->ins[i].op == NPU_NV_OP_EMU) {
            const npu_nv_emu *e = npu_nv_payload(p, i, NPU_NV_OP_EMU, sizeof *e);
            if (!e)
                return NPU_EFORMAT;
            n++;
            npu_sb_printf(out, "CPU (emulator task): %s, %lld elements, %lld MACs\n",
                          e->op < NPU_OP_COUNT ? npu_op_name((npu_op)e->op) : "?",
                          (long long)e->elems, (long long)e->macs);
        } else if (p->ins[i].op == NPU_NV_OP_SHEET) {
            const npu_nv_sheet *sh = npu_nv_payload(p, i, NPU_NV_OP_SHEET, sizeof *sh);
            if (!sh || sh->mac_den <= 0)
                return NPU_EFORMAT;
            npu_sb_printf(out, "  spreadsheet: %.1f MAC cycles, %.3f KB DRAM = %lld cycles "
                          "(%s layer, re-fetch x%d%s)\n",
                          (double)sh->mac_num / (double)sh->mac_den,
                          (double)sh->dram_bytes / 1024.0, (long long)sh->dram_cycles,
                          sh->weight_layer ? "weight" : "data", sh->refetch,
                          sh->elwise ? ", +elwise" : "");
        }
    }
    if (!n)
        npu_sb_puts(out, "no hardware operation: a view, or run by the SDP of the producing "
                         "conv\n");
    return 0;
}
