/* lower.c — graph → NVDLA hardware layers, as the NVDLA compiler and KMD see them
 * (prefix npu_nvdla_). Sources: research/nvdla.md §2 (pipeline, CBUF), §3 (descriptors).
 *
 * Placement (one pass over the prepared graph):
 *   conv, convt, gemm, matmul with constant B → a CONV op (CDMA → CBUF → CSC → CMAC → CACC)
 *       followed by its fused SDP op (bias, activation; on the fly, surface type HW). An
 *       element-wise add/sub/mul/max/min whose operand is the conv's only consumer and of which
 *       the conv is the later producer is fused into that SDP (an X1/X2 ALU with a per-point
 *       operand read from memory, dla_sdp_op mode per-point), as the spreadsheet's
 *       "conv + elwise" layers. This works on every configuration: nv_small lacks the Y
 *       (element-wise/LUT) unit, not the X units' ALUs (our reading of research §1.4/§3.1).
 *   element-wise, activations, quantize/cast → an offline SDP op (from memory); functions that
 *       need the LUT run on the Y unit at sdp_ew_throughput;
 *   pooling → PDP (offline; the open compiler emits pooling as its own operation — LeNet on
 *       nv_small is 4 conv + 4 SDP + 2 PDP operations, research §4);
 *   LRN → CDP (local size 3/5/7/9, memory to memory, LUT; research §2.2), else the CPU;
 *   transpose → Rubik where present and one of its modes (NCHW↔NHWC split/merge, depth-to-space
 *       contract; see rubik_mode), else the CPU; convt's rearrangement → Rubik contract;
 *   views, concat, split/slice → no operation (the compiler places surfaces so that producers
 *       write into, and consumers read from, the right offsets), except the parts that cannot
 *       be placed so (see concat_copies, part_copies): BDMA groups of ≤ 20 transfers where the
 *       configuration has BDMA, else a CPU copy;
 *   sigmoid/tanh-like activations need the LUT (not on nv_small): then an EMU op on the CPU;
 *   softmax, norms, reductions, data ops NVDLA cannot do, act×act matmul → EMU op (CPU), as the
 *       NVDLA runtime does (softmax is the runtime's emulator task).
 * Ops are grouped into tasks: consecutive hardware ops form a DLA task; each EMU op is its own
 * task and ends the DLA task before it (the runtime runs tasks one after the other).
 *
 * The dependency graph (dla_common_op_desc): every op lists its producer ops in the same task
 * (deps[], the edges; producers in earlier tasks are complete when the task starts);
 * dependency_count = producers + 1 when a fused downstream op exists (a CONV waits for its SDP
 * to be enabled: fused_parent event OP_ENABLED); consumers[processor] = the first consumer op of
 * each processor type, event OP_COMPLETED (OP_ENABLED for the fused SDP).
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
#include <stdlib.h>
#include <string.h>

#include "nvdla.h"

static int64_t cdiv(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }
static int64_t rup(int64_t a, int64_t m) { return cdiv(a, m) * m; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* One pending record before the TASK headers are known. */
typedef struct pend {
    int layer;
    unsigned op;      /* NPU_NV_OP_HWL / EMU */
    npu_nv_hwl h;
    npu_nv_emu e;
    npu_nv_sheet sh;
    bool has_sheet;
} pend;

#define MAXP 8 /* producer ops remembered per tensor */
typedef struct tprod {
    int n;
    int ops[MAXP];
} tprod;

typedef struct lower_ctx {
    const npu_graph *g;
    npu_program *out;
    npu_err *err;
    const npu_nvdla_state *s;
    int *map;        /* graph layer → program layer */
    int *fused_into; /* graph layer (an add) → graph layer of the conv whose SDP runs it, or -1 */
    tprod *tp;       /* per tensor: producing ops (views/concat: union of their inputs') */
    pend *ops;
    size_t n, cap;
    int task;        /* current task number */
    bool task_open;  /* a DLA task is being filled */
} lower_ctx;

static int oom(lower_ctx *c) { return npu_err_set(c->err, NPU_ENOMEM, "nvdla: out of memory"); }

static int bpe_of(npu_dtype dt) { return npu_dtype_bits(dt) >= 16 ? 2 : 1; }

static bool is_mac_op(const npu_graph *g, const npu_layer *l)
{
    if (l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT || l->op == NPU_OP_GEMM)
        return true;
    if (l->op == NPU_OP_MATMUL && l->nin >= 2 && l->in[1] >= 0 && l->in[1] < g->nt)
        return g->t[l->in[1]].kind == NPU_T_CONST;
    return false;
}

static bool act_needs_lut(npu_act a)
{
    switch (a) {
    case NPU_ACT_NONE:
    case NPU_ACT_RELU:
    case NPU_ACT_RELU6:
    case NPU_ACT_LEAKY:
    case NPU_ACT_PRELU:
    case NPU_ACT_CLIP: return false;
    default: return true;
    }
}

static bool is_ew(npu_op op)
{
    return op == NPU_OP_ADD || op == NPU_OP_SUB || op == NPU_OP_MUL || op == NPU_OP_MAX ||
           op == NPU_OP_MIN;
}

static bool is_view_like(const npu_layer *l)
{
    npu_opclass c = npu_op_class(l->op);
    return (l->flags & NPU_LF_VIEW) || c == NPU_OPC_VIEW || l->op == NPU_OP_CONCAT ||
           l->op == NPU_OP_SPLIT || l->op == NPU_OP_SLICE;
}

static int64_t tbytes(const npu_graph *g, int ti)
{
    return ti >= 0 && ti < g->nt ? npu_tensor_bytes(&g->t[ti]) : 0;
}
static int64_t telems(const npu_graph *g, int ti)
{
    return ti >= 0 && ti < g->nt ? npu_tensor_elems(&g->t[ti]) : 0;
}

/* SRAMIF placement: an intermediate activation lives in the on-chip SRAM when the
 * configuration has the SRAMIF and it fits half of the SRAM (the input and the output of a
 * layer are live at the same time); graph inputs/outputs and weights stay in DRAM. */
static bool in_sram(const lower_ctx *c, int ti)
{
    const npu_graph *g = c->g;
    if (!c->s->sramif || c->s->sram_kb <= 0 || ti < 0 || ti >= g->nt)
        return false;
    const npu_tensor *t = &g->t[ti];
    if (t->kind != NPU_T_ACT || npu_graph_is_output(g, ti))
        return false;
    while (t->view_of >= 0 && t->view_of < g->nt && t->view_of != ti) {
        ti = t->view_of;
        t = &g->t[ti];
        if (t->kind != NPU_T_ACT)
            return false;
    }
    return (double)npu_tensor_bytes(t) <= c->s->sram_kb * 1024.0 / 2.0;
}

static int producer_layer(const npu_graph *g, int ti)
{
    return ti >= 0 && ti < g->nt ? g->t[ti].producer : -1;
}

static pend *new_op(lower_ctx *c, int layer, unsigned op)
{
    if (npu_grow((void **)&c->ops, &c->cap, c->n + 1, sizeof *c->ops)) {
        oom(c);
        return NULL;
    }
    pend *p = &c->ops[c->n++];
    memset(p, 0, sizeof *p);
    p->layer = layer;
    p->op = op;
    if (op == NPU_NV_OP_HWL) {
        p->h.common.index = (int16_t)(c->n - 1);
        p->h.common.roi_index = 0;
        for (int k = 0; k < NPU_NV_NPROC; k++)
            p->h.common.consumers[k].index = -1;
        p->h.common.fused_parent.index = -1;
        p->h.task = (uint16_t)c->task;
        p->h.bpe = 1;
        c->task_open = true;
    } else {
        if (c->task_open)
            c->task++;
        c->task_open = false;
        c->task++; /* the EMU task itself; the next DLA op opens a new task */
    }
    return p;
}

/* Adds the producing ops of tensor ti (same task only) to op p's deps. */
static void add_deps(lower_ctx *c, pend *p, int ti)
{
    if (ti < 0 || ti >= c->g->nt)
        return;
    const tprod *t = &c->tp[ti];
    for (int k = 0; k < t->n; k++) {
        int o = t->ops[k];
        if (o < 0 || (size_t)o >= c->n || c->ops[o].op != NPU_NV_OP_HWL ||
            c->ops[o].h.task != p->h.task)
            continue;
        bool dup = false;
        for (int q = 0; q < p->h.ndeps; q++)
            dup |= p->h.deps[q] == o;
        if (dup)
            continue;
        if (p->h.ndeps < NPU_NV_MAX_DEPS) {
            p->h.deps[p->h.ndeps++] = (int16_t)o;
        } else { /* keep the latest producers: earlier ones complete before them in practice */
            int lo = 0;
            for (int q = 1; q < NPU_NV_MAX_DEPS; q++)
                if (p->h.deps[q] < p->h.deps[lo])
                    lo = q;
            if (p->h.deps[lo] < o)
                p->h.deps[lo] = (int16_t)o;
        }
    }
}

static void set_prod(lower_ctx *c, int ti, int op)
{
    if (ti < 0 || ti >= c->g->nt)
        return;
    c->tp[ti].n = 1;
    c->tp[ti].ops[0] = op;
}

/* ---- the spreadsheet row (research §1.3) ------------------------------------------------------ */

static void sheet_row(const npu_nvdla_state *s, int64_t C, int64_t H, int64_t W, int64_t K,
                      int64_t R, int64_t S, int64_t sh, int64_t sw, bool padded, int64_t A,
                      int64_t B, bool elwise, bool fc, int bytes, npu_nv_sheet *o)
{
    memset(o, 0, sizeof *o);
    const double cb = (double)(s->banks * s->bank_bytes) / 1024.0; /* KB */
    const int64_t mac = s->ac * s->ak;
    const int64_t b = fc ? s->fc_batch : 1;
    const bool wino = s->ss_winograd && R == 3 && S == 3;
    int64_t cx = rup(C * sh * sw, 16);
    int64_t hs = cdiv(H, sh), ws = cdiv(W, sw);
    double X = (double)(cx * hs * ws * bytes) / 1024.0;
    double Y = (double)(cx * min64(R, hs) * ws * bytes) / 1024.0;
    double Z = (double)(A * B * rup(K, 16) * bytes) / 1024.0;
    double wk = (double)(cx * cdiv(R, sh) * cdiv(S, sw) * bytes) / 1024.0;
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
                    : cdiv(padded ? H : H - R + 1, sh) * cdiv(padded ? W : W - S + 1, sw);
    if (pq < 1)
        pq = 1;
    o->mac_num = cx * pq * rup(K * b, 128) * R * S * (wino ? 4 : 1);
    o->mac_den = sh * sw * mac * b * (wino ? 9 : 1);
}

/* ---- conv planning ------------------------------------------------------------------------------ */

typedef struct conv_in {
    int64_t n, c, h, w, k, r, s, sh, sw, p, q, groups;
    bool fc, image_ok, dil;
    int bytes;
} conv_in;

static void plan_mac(const npu_nvdla_state *s, const conv_in *ci, npu_nv_hwl *h)
{
    int64_t ac = s->ac, ak = ci->bytes == 2 ? max64(1, s->ak / 2) : s->ak;
    int64_t G = ci->groups, Cg = ci->c / G, Kg = ci->k / G;
    int64_t pos = ci->p * ci->q * ci->n;
    int64_t kgroups = cdiv(Kg, ak);
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
            int64_t a = cdiv(Cg * ci->s * e, ac) * cdiv(ci->r, e);
            if (best < 0 || a < best) {
                best = a;
                h->ext = (int32_t)e;
            }
        }
        per_block_atoms = best;
        blocks = 1;
        stripe_max = 64; /* image mode: stripe length fixed at 64 (IAS) */
    } else if (mode == NPU_NV_CONV_WINOGRAD) {
        pos = rup(ci->p, 4) * rup(ci->q, 4) * ci->n / 4; /* 2x2 output tiles of 4x4 inputs... */
        per_block_atoms = cdiv(Cg, ac);                   /* ...16 products instead of 36 */
        blocks = 16;                                      /* per 2x2 tile: 16 vs 36 → 2.25x */
    } else {
        per_block_atoms = cdiv(Cg, ac);
        blocks = ci->r * ci->s;
    }
    /* FC batches beyond what the pipeline takes at once run one after the other */
    int64_t nb = 1;
    if (ci->fc && pos > s->max_batch) {
        nb = cdiv(pos, s->max_batch);
        pos = s->max_batch;
    }
    int64_t stripes = cdiv(pos, stripe_max);
    int64_t per_pass = max64(pos, stripes * s->wt_load_cycles) * nb;
    h->conv_mode = (uint8_t)mode;
    h->stripes = (int32_t)min64(stripes, INT32_MAX);
    h->stripe_len = (int32_t)min64(stripes ? cdiv(pos, stripes) : 0, INT32_MAX);
    h->atomics = G * kgroups * per_block_atoms * blocks * pos * nb;
    h->mac_cycles = G * kgroups * per_block_atoms * blocks * per_pass;
}

static void plan_cbuf(const npu_nvdla_state *s, const conv_in *ci, npu_nv_hwl *h)
{
    const int64_t B = s->banks, bank = s->bank_bytes;
    int64_t G = ci->groups, Cg = ci->c / G;
    /* occupancy from the real channel counts: the atomic padding of a surface is not counted,
     * so that a wider atomic never makes the plan worse (a simplification, docs) */
    int64_t line = ci->w * ci->c * ci->bytes;
    int64_t hin = ci->h * ci->n;
    int64_t in = line * hin;
    double wexp = h->conv_mode == NPU_NV_CONV_WINOGRAD ? 16.0 / 9.0 : 1.0;
    int64_t ak = ci->bytes == 2 ? max64(1, s->ak / 2) : s->ak;
    int64_t wt = (int64_t)ceil((double)(ci->r * ci->s * Cg * ci->k * ci->bytes) * wexp);
    int64_t kg = (int64_t)ceil((double)(ci->r * ci->s * Cg * min64(ak, ci->k) * ci->bytes) *
                               wexp);
    int64_t wt_dram = wt;
    if (s->compress) {
        wt_dram = (int64_t)ceil((double)wt * s->compress_ratio);
        h->flags |= NPU_NV_HF_COMPRESSED;
    }
    int64_t overlap = max64(ci->r - ci->sh, 0);
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
                nk = cdiv(wt, 2 * kg <= wbytes ? wbytes / 2 : wbytes);
            }
        } else {
            int64_t rows = line > 0 ? dbytes / line : 0;
            if (rows < ci->r)
                continue; /* not even one output line fits: try more data banks */
            int64_t po = (rows - ci->r) / ci->sh + 1;
            nsplit = cdiv(ci->p * ci->n, po);
            if (nsplit < 2)
                nsplit = 2;
            rd_d = in + (nsplit - 1) * overlap * line;
            if (rd_d < in)
                rd_d = in;
            if (wt <= wbytes) {
                mode = NPU_NV_CBUF_SPLIT_H;
                rd_w = wt_dram;
            } else {
                int64_t kpass = cdiv(wt, 2 * kg <= wbytes ? wbytes / 2 : wbytes);
                int64_t a = rd_d + nsplit * wt_dram;     /* weights again for every split */
                int64_t nkc = cdiv(wt, wbytes);          /* or input again per weight chunk */
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
            h->data_banks = (uint8_t)min64(db, 255);
            h->weight_banks = (uint8_t)min64(wb, 255);
            h->nsplit = (int32_t)min64(nsplit, INT32_MAX);
            h->nkpass = (int32_t)min64(nk, INT32_MAX);
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
        int64_t wb = min64(max64(cdiv(kg, bank), 1), B - 1), db = B - wb;
        int64_t nsplit = max64(2, cdiv(in + ci->h * overlap * line, db * bank));
        h->cbuf_mode = NPU_NV_CBUF_SPLIT_H_WT;
        h->data_banks = (uint8_t)min64(db, 255);
        h->weight_banks = (uint8_t)min64(wb, 255);
        h->nsplit = (int32_t)min64(nsplit, INT32_MAX);
        h->nkpass = (int32_t)max64(1, cdiv(wt, wb * bank));
        h->overlap = (int32_t)overlap;
        h->rd_data = in + (nsplit - 1) * overlap * line;
        h->rd_wt = nsplit * wt_dram;
    }
    h->in_bytes = in;
    h->wt_bytes = wt;
}

/* ---- layer lowering -------------------------------------------------------------------------- */

static int nv_regs(const npu_nvdla_state *s, int proc)
{
    switch (proc) {
    case NPU_NV_CONV: return (int)s->regs_conv;
    case NPU_NV_SDP: return (int)s->regs_sdp;
    case NPU_NV_PDP: return (int)s->regs_pdp;
    case NPU_NV_CDP: return (int)s->regs_cdp;
    case NPU_NV_BDMA: return (int)s->regs_bdma;
    default: return (int)s->regs_rubik;
    }
}

static void hwl_proc(const npu_nvdla_state *s, npu_nv_hwl *h, int proc)
{
    h->common.op_type = (uint8_t)proc;
    h->reg_writes = (uint16_t)min64(nv_regs(s, proc), 65535);
    h->nirq = proc == NPU_NV_CONV ? 3 : 1; /* CDMA_DAT, CDMA_WT, CACC; others their done */
}

static int emit_emu(lower_ctx *c, int li, npu_op op, int64_t macs, int64_t elems, int64_t rd,
                    int64_t wr)
{
    pend *p = new_op(c, c->map[li], NPU_NV_OP_EMU);
    if (!p)
        return NPU_ENOMEM;
    p->e.opclass = (uint16_t)npu_op_class(op);
    p->e.op = (uint16_t)op;
    p->e.macs = macs;
    p->e.elems = elems;
    p->e.rd_bytes = rd;
    p->e.wr_bytes = wr;
    return 0;
}

/* The output spatial size after a pool the spreadsheet fuses (conv → pool, or conv → fused
 * element-wise → pool), else the conv's own output. */
static void sheet_ab(const lower_ctx *c, int li, int64_t *A, int64_t *B, bool *elwise)
{
    const npu_graph *g = c->g;
    int ti = g->l[li].out[0];
    *elwise = false;
    int cons[2];
    for (int hop = 0; hop < 2; hop++) {
        if (npu_graph_consumers(g, ti, cons, 2) != 1)
            break;
        const npu_layer *nl = &g->l[cons[0]];
        if (hop == 0 && is_ew(nl->op) && nl->nin == 2) {
            /* the sheet's "conv + elwise": the add is fused into its later producer conv,
             * whatever the configuration's SDP can do */
            int other = nl->in[0] == ti ? nl->in[1] : nl->in[0];
            if (producer_layer(g, other) < li && nl->in[0] != nl->in[1]) {
                *elwise = true;
                ti = nl->out[0];
                continue;
            }
            break;
        }
        if (npu_op_class(nl->op) == NPU_OPC_POOL) {
            const npu_tensor *t = &g->t[nl->out[0]];
            if (t->ndim == 4) {
                *A = t->dim[2];
                *B = t->dim[3];
            }
        }
        break;
    }
}

static int lower_mac(lower_ctx *c, int li)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    const npu_nvdla_state *s = c->s;
    conv_in ci;
    memset(&ci, 0, sizeof ci);
    ci.bytes = bpe_of(l->dtype);
    int in_t = l->in[0];
    if (l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT) {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg) || cg.groups < 1 || cg.c % cg.groups ||
            cg.k % cg.groups)
            return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s': no valid geometry (was the "
                               "graph inferred?)", g->file, l->line, npu_op_name(l->op), l->name);
        ci.n = cg.n, ci.c = cg.c, ci.h = cg.h, ci.w = cg.w, ci.k = cg.k;
        ci.r = cg.kh, ci.s = cg.kw, ci.sh = cg.sh, ci.sw = cg.sw;
        ci.groups = cg.groups;
        ci.dil = cg.dh > 1 || cg.dw > 1;
        if (l->op == NPU_OP_CONV) {
            ci.p = cg.ho, ci.q = cg.wo;
        } else { /* deconvolution: the conv pipeline runs it as a conv over the input
                    positions with R·S·K outputs each (Rubik contracts them afterwards) */
            ci.p = cg.h, ci.q = cg.w;
            ci.k = cg.k * cg.kh * cg.kw;
            ci.r = ci.s = 1;
            ci.sh = ci.sw = 1;
        }
        ci.image_ok = in_t >= 0 && in_t < g->nt && g->t[in_t].kind == NPU_T_INPUT;
    } else {
        npu_gemm_geom gg;
        if (npu_layer_gemm_geom(g, li, &gg))
            return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s': no valid geometry (was the "
                               "graph inferred?)", g->file, l->line, npu_op_name(l->op), l->name);
        ci.n = gg.batch * gg.m;
        ci.c = gg.k, ci.h = 1, ci.w = 1, ci.k = gg.n;
        ci.r = ci.s = ci.sh = ci.sw = 1;
        ci.p = ci.q = 1;
        ci.groups = 1;
        ci.fc = true;
    }
    if (ci.n < 1 || ci.c < 1 || ci.h < 1 || ci.w < 1 || ci.k < 1 || ci.r < 1 || ci.s < 1 ||
        ci.sh < 1 || ci.sw < 1 || ci.p < 1 || ci.q < 1)
        return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s': empty or invalid conv geometry",
                           g->file, l->line, npu_op_name(l->op), l->name);
    if (ci.c > ((int64_t)1 << 24) || ci.k > ((int64_t)1 << 24) || ci.h > ((int64_t)1 << 24) ||
        ci.w > ((int64_t)1 << 24) || ci.n > ((int64_t)1 << 20) || ci.r > 4096 || ci.s > 4096 ||
        l->macs > ((int64_t)1 << 50) || l->params > ((int64_t)1 << 50) ||
        (double)ci.n * (double)ci.c * (double)ci.h * (double)ci.w > 1e15)
        return npu_err_set(c->err, NPU_EUNSUPPORTED, "%s:%d: %s '%s': dimensions beyond what "
                           "NVDLA's registers can express", g->file, l->line,
                           npu_op_name(l->op), l->name);
    /* the fused element-wise layer, if any */
    int ew_layer = -1, pool_layer = -1;
    {
        int cons[2];
        if (npu_graph_consumers(g, l->out[0], cons, 2) == 1 && c->fused_into[cons[0]] == li) {
            if (npu_op_class(g->l[cons[0]].op) == NPU_OPC_POOL)
                pool_layer = cons[0];
            else
                ew_layer = cons[0];
        }
    }
    pend *cv = new_op(c, c->map[li], NPU_NV_OP_HWL);
    if (!cv)
        return NPU_ENOMEM;
    int cvi = (int)(cv - c->ops);
    npu_nv_hwl *h = &cv->h;
    hwl_proc(s, h, NPU_NV_CONV);
    h->bpe = (uint8_t)ci.bytes;
    h->c = (int32_t)ci.c, h->h = (int32_t)ci.h, h->w = (int32_t)ci.w, h->k = (int32_t)ci.k;
    h->r = (int32_t)ci.r, h->s = (int32_t)ci.s, h->sh = (int32_t)ci.sh, h->sw = (int32_t)ci.sw;
    h->p = (int32_t)ci.p, h->q = (int32_t)ci.q, h->groups = (int32_t)ci.groups;
    h->batch = (int32_t)min64(ci.n, INT32_MAX);
    h->addrs = 3; /* input, weight, CBUF flush status */
    plan_mac(s, &ci, h);
    plan_cbuf(s, &ci, h);
    if (in_sram(c, in_t))
        h->flags |= NPU_NV_HF_IN_SRAM;
    add_deps(c, cv, in_t);
    /* spreadsheet row */
    {
        int64_t A = ci.p, Bq = ci.q;
        bool elw = false;
        sheet_ab(c, li, &A, &Bq, &elw);
        const npu_conv_geom *dummy = NULL;
        (void)dummy;
        bool padded = false;
        if (!ci.fc) {
            npu_conv_geom cg;
            if (!npu_layer_conv_geom(g, li, &cg))
                padded = cg.pt + cg.pl + cg.pb + cg.pr > 0;
        }
        sheet_row(s, ci.fc ? ci.c : ci.c, ci.h, ci.w, ci.k, ci.r, ci.s, ci.sh, ci.sw, padded, A,
                  Bq, elw, ci.fc, ci.bytes, &cv->sh);
        cv->has_sheet = true;
    }
    /* the fused SDP: bias/BN/activation (+ element-wise) on the fly */
    pend *sd = new_op(c, c->map[ew_layer >= 0 ? ew_layer : li], NPU_NV_OP_HWL);
    if (!sd)
        return NPU_ENOMEM;
    cv = &c->ops[cvi];
    h = &cv->h;
    int sdi = (int)(sd - c->ops);
    npu_nv_hwl *q = &sd->h;
    hwl_proc(s, q, NPU_NV_SDP);
    q->flags |= NPU_NV_HF_FUSED;
    q->bpe = (uint8_t)ci.bytes;
    q->addrs = 2; /* output, bias/operand */
    int out_t = l->out[0];
    q->elems = telems(g, out_t);
    q->out_bytes = tbytes(g, out_t);
    q->wr_out = q->out_bytes;
    q->thr = (int32_t)min64(s->sdp_thr, s->cacc_thr);
    q->common.fused_parent.index = (int16_t)cvi;
    q->common.fused_parent.event = NPU_NV_EV_OP_ENABLED;
    h->common.dependency_count = 1; /* + producers below */
    h->common.consumers[NPU_NV_SDP].index = (int16_t)sdi;
    h->common.consumers[NPU_NV_SDP].event = NPU_NV_EV_OP_ENABLED;
    h->elems = q->elems;
    h->out_bytes = q->out_bytes;
    h->thr = q->thr;
    if (ew_layer >= 0) {
        const npu_layer *el = &g->l[ew_layer];
        int other = el->in[0] == out_t ? el->in[1] : el->in[0];
        q->flags |= NPU_NV_HF_EW;
        if (in_sram(c, other))
            q->flags |= NPU_NV_HF_EW_SRAM;
        q->ew_bytes = tbytes(g, other);
        q->rd_ew = q->ew_bytes;
        q->addrs++;
        add_deps(c, sd, other);
        out_t = el->out[0];
        q->elems = telems(g, out_t);
        q->out_bytes = tbytes(g, out_t);
        q->wr_out = q->out_bytes;
    }
    if (in_sram(c, out_t))
        q->flags |= NPU_NV_HF_OUT_SRAM;
    h->flags |= q->flags & (NPU_NV_HF_EW);
    h->ew_bytes = q->ew_bytes;
    h->rd_ew = q->rd_ew;
    h->wr_out = q->wr_out;
    set_prod(c, l->out[0], sdi);
    if (ew_layer >= 0)
        set_prod(c, g->l[ew_layer].out[0], sdi);
    /* conv + SDP + PDP: the PDP takes the SDP's output on the fly and writes the pooled map */
    if (pool_layer >= 0) {
        const npu_layer *pl = &g->l[pool_layer];
        pend *pd = new_op(c, c->map[pool_layer], NPU_NV_OP_HWL);
        if (!pd)
            return NPU_ENOMEM;
        npu_nv_hwl *z = &pd->h;
        int pdi = (int)(pd - c->ops);
        hwl_proc(s, z, NPU_NV_PDP);
        z->flags |= NPU_NV_HF_FUSED;
        z->bpe = (uint8_t)ci.bytes;
        z->addrs = 1;
        z->elems = telems(g, out_t);
        z->thr = (int32_t)s->pdp_thr;
        z->out_bytes = z->wr_out = tbytes(g, pl->out[0]);
        if (in_sram(c, pl->out[0]))
            z->flags |= NPU_NV_HF_OUT_SRAM;
        npu_conv_geom pg;
        if (!npu_layer_conv_geom(g, pool_layer, &pg)) {
            z->c = (int32_t)pg.c, z->h = (int32_t)pg.h, z->w = (int32_t)pg.w;
            z->r = pg.kh, z->s = pg.kw, z->sh = pg.sh, z->sw = pg.sw;
            z->p = (int32_t)pg.ho, z->q = (int32_t)pg.wo;
        }
        z->common.fused_parent.index = (int16_t)sdi;
        z->common.fused_parent.event = NPU_NV_EV_OP_ENABLED;
        npu_nv_hwl *sq = &c->ops[sdi].h;
        sq->common.dependency_count = 1;
        sq->common.consumers[NPU_NV_PDP].index = (int16_t)pdi;
        sq->common.consumers[NPU_NV_PDP].event = NPU_NV_EV_OP_ENABLED;
        sq->wr_out = 0; /* nothing of the conv's own output reaches memory */
        c->ops[cvi].h.wr_out = 0;
        set_prod(c, pl->out[0], pdi);
    }
    /* an activation the SDP cannot do without a LUT runs on the CPU afterwards */
    npu_act act = ew_layer >= 0 ? g->l[ew_layer].act : l->act;
    if (act_needs_lut(act) && !s->sdp_lut) {
        int64_t e = telems(g, out_t), b = tbytes(g, out_t);
        npu_op aop = act == NPU_ACT_SIGMOID ? NPU_OP_SIGMOID
                     : act == NPU_ACT_TANH  ? NPU_OP_TANH
                     : act == NPU_ACT_SILU  ? NPU_OP_SILU
                     : act == NPU_ACT_GELU  ? NPU_OP_GELU
                     : act == NPU_ACT_MISH  ? NPU_OP_MISH
                                            : NPU_OP_HARDSWISH;
        if (emit_emu(c, li, aop, 0, e, b, b))
            return NPU_ENOMEM;
    } else if (act_needs_lut(act)) {
        c->ops[sdi].h.flags |= NPU_NV_HF_LUT;
        if (s->sdp_ew_thr > 0) /* the Y unit runs the LUT */
            c->ops[sdi].h.thr = (int32_t)min64(c->ops[sdi].h.thr, s->sdp_ew_thr);
    }
    /* convt: Rubik contracts the R·S·K outputs into the upsampled map */
    if (l->op == NPU_OP_CONVT) {
        int64_t b = tbytes(g, l->out[0]);
        if (s->rubik) {
            pend *rk = new_op(c, c->map[li], NPU_NV_OP_HWL);
            if (!rk)
                return NPU_ENOMEM;
            hwl_proc(s, &rk->h, NPU_NV_RUBIK);
            rk->h.conv_mode = NPU_NV_RUBIK_CONTRACT;
            rk->h.addrs = 2;
            rk->h.elems = telems(g, l->out[0]);
            rk->h.rd_data = b;
            rk->h.wr_out = b;
            rk->h.thr = (int32_t)s->rubik_bytes;
            add_deps(c, rk, l->out[0]);
            set_prod(c, l->out[0], (int)(rk - c->ops));
        } else if (emit_emu(c, li, NPU_OP_TRANSPOSE, 0, telems(g, l->out[0]), b, b)) {
            return NPU_ENOMEM;
        }
    }
    return 0;
}

/* CDP runs LRN across channels with a local size of 3, 5, 7 or 9, memory to memory
 * (research §2.2), on an N×C×H×W cube; anything else goes to the CPU. */
static bool cdp_legal(const npu_graph *g, const npu_layer *l)
{
    if (l->nin != 1 || l->in[0] < 0 || l->in[0] >= g->nt)
        return false;
    const npu_tensor *x = &g->t[l->in[0]];
    int64_t size = npu_layer_int(l, "size", 0, -1);
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
static int rubik_mode(const npu_graph *g, const npu_layer *l)
{
    if (l->op != NPU_OP_TRANSPOSE || l->nin < 1 || l->in[0] < 0 || l->in[0] >= g->nt)
        return -1;
    const npu_tensor *x = &g->t[l->in[0]];
    for (int i = 0; i < x->ndim; i++)
        if (x->dim[i] > 8192)
            return -1;
    const npu_attr *a = npu_layer_attr(l, "perm");
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

static int lower_other(lower_ctx *c, int li)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    const npu_nvdla_state *s = c->s;
    int64_t rd = 0, ie = 0;
    for (int k = 0; k < l->nin; k++) {
        rd += tbytes(g, l->in[k]);
        ie += telems(g, l->in[k]);
    }
    int64_t wr = 0, oe = 0;
    for (int k = 0; k < l->nout; k++) {
        wr += tbytes(g, l->out[k]);
        oe += telems(g, l->out[k]);
    }
    npu_opclass cls = npu_op_class(l->op);
    int proc = -1;
    bool host = (l->flags & NPU_LF_HOST) != 0;
    bool lut = false;
    if (!host) {
        if (cls == NPU_OPC_POOL) {
            proc = NPU_NV_PDP;
        } else if (is_ew(l->op) && l->nin == 2) {
            proc = NPU_NV_SDP;
        } else if (cls == NPU_OPC_ACT) {
            lut = act_needs_lut(npu_op_act(l->op));
            proc = lut && !s->sdp_lut ? -1 : NPU_NV_SDP;
        } else if (cls == NPU_OPC_QUANT) {
            proc = NPU_NV_SDP; /* SDP convert */
        } else if (l->op == NPU_OP_LRN && cdp_legal(g, l)) {
            proc = NPU_NV_CDP;
        } else if (s->rubik && rubik_mode(g, l) >= 0) {
            proc = NPU_NV_RUBIK;
        }
        if (proc == NPU_NV_SDP && act_needs_lut(l->act) && !s->sdp_lut)
            proc = -1;
    }
    if (proc < 0) {
        if (emit_emu(c, li, l->op, l->macs, oe > ie ? oe : ie, rd, wr))
            return NPU_ENOMEM;
        return 0;
    }
    pend *p = new_op(c, c->map[li], NPU_NV_OP_HWL);
    if (!p)
        return NPU_ENOMEM;
    npu_nv_hwl *h = &p->h;
    hwl_proc(s, h, proc);
    h->bpe = (uint8_t)bpe_of(l->dtype);
    h->addrs = (uint16_t)(l->nin + 1);
    h->rd_data = rd;
    h->wr_out = wr;
    h->in_bytes = rd;
    h->out_bytes = wr;
    if (lut || act_needs_lut(l->act))
        h->flags |= NPU_NV_HF_LUT;
    switch (proc) {
    case NPU_NV_PDP: {
        npu_conv_geom cg;
        if (!npu_layer_conv_geom(g, li, &cg)) {
            h->c = (int32_t)cg.c, h->h = (int32_t)cg.h, h->w = (int32_t)cg.w;
            h->r = cg.kh, h->s = cg.kw, h->sh = cg.sh, h->sw = cg.sw;
            h->p = (int32_t)cg.ho, h->q = (int32_t)cg.wo;
        }
        h->elems = ie;
        h->thr = (int32_t)s->pdp_thr;
        break;
    }
    case NPU_NV_SDP:
        h->elems = oe > ie / (l->nin > 0 ? l->nin : 1) ? oe : ie;
        h->thr = (int32_t)s->sdp_thr;
        if ((lut || act_needs_lut(l->act)) && s->sdp_ew_thr > 0)
            h->thr = (int32_t)min64(h->thr, s->sdp_ew_thr); /* the Y unit runs the LUT */
        if (is_ew(l->op))
            h->flags |= NPU_NV_HF_EW;
        break;
    case NPU_NV_CDP: {
        /* channel LRN over local_size neighbours (r), squares through the LUT; memory to
         * memory at cdp_throughput elements/cycle (research §2.2) */
        const npu_tensor *x = &g->t[l->in[0]];
        h->c = (int32_t)x->dim[1];
        h->h = (int32_t)(x->ndim > 2 ? x->dim[2] : 1);
        h->w = (int32_t)(x->ndim > 3 ? x->dim[3] : 1);
        h->batch = (int32_t)x->dim[0];
        h->r = (int32_t)npu_layer_int(l, "size", 0, 5);
        h->elems = ie;
        /* its read DMA peaks at 8 B/cycle: 8 INT8 or 4 INT16/FP16 elements (research §2.2) */
        h->thr = (int32_t)min64(s->cdp_thr, 8 / h->bpe);
        h->flags |= NPU_NV_HF_LUT;
        break;
    }
    default:
        h->elems = oe;
        h->thr = (int32_t)s->rubik_bytes;
        h->conv_mode = (uint8_t)rubik_mode(g, l);
        break;
    }
    /* memory placement: the op's reads come from SRAM only if all its inputs live there */
    bool all_in = l->nin > 0, out_s = l->nout > 0;
    for (int k = 0; k < l->nin; k++)
        all_in &= in_sram(c, l->in[k]);
    for (int k = 0; k < l->nout; k++)
        out_s &= in_sram(c, l->out[k]);
    if (all_in)
        h->flags |= NPU_NV_HF_IN_SRAM;
    if (out_s)
        h->flags |= NPU_NV_HF_OUT_SRAM;
    for (int k = 0; k < l->nin; k++)
        add_deps(c, p, l->in[k]);
    for (int k = 0; k < l->nout; k++)
        set_prod(c, l->out[k], (int)(p - c->ops));
    return 0;
}

/* Views, concat, split, slice: no operation; the output "is produced" by the inputs' ops. */
static void lower_view(lower_ctx *c, int li)
{
    const npu_layer *l = &c->g->l[li];
    tprod u = {0};
    for (int k = 0; k < l->nin; k++) {
        int ti = l->in[k];
        if (ti < 0 || ti >= c->g->nt || c->g->t[ti].kind == NPU_T_CONST)
            continue;
        for (int q = 0; q < c->tp[ti].n; q++) {
            int o = c->tp[ti].ops[q];
            bool dup = false;
            for (int z = 0; z < u.n; z++)
                dup |= u.ops[z] == o;
            if (dup)
                continue;
            if (u.n < MAXP) {
                u.ops[u.n++] = o;
            } else {
                int lo = 0;
                for (int z = 1; z < MAXP; z++)
                    if (u.ops[z] < u.ops[lo])
                        lo = z;
                if (u.ops[lo] < o)
                    u.ops[lo] = o;
            }
        }
    }
    for (int k = 0; k < l->nout; k++)
        if (l->out[k] >= 0 && l->out[k] < c->g->nt)
            c->tp[l->out[k]] = u;
}

/* Concat: the compiler aliases it (each producer writes into its slice of the output surface)
 * unless an input cannot be placed there. Our reading of where it cannot (the sources say only
 * that BDMA copies between surfaces, research §2.2):
 *   - the input is a graph input or a constant (its buffer belongs to the runtime/loadable);
 *   - the tensor also feeds another layer that is a concat/split/slice, or this concat twice
 *     (one surface cannot sit at two places);
 *   - a channel concat whose slice starts off a surface atom (min(32, atomic-C) bytes of
 *     channels, assumption: 32 B atoms on nv_large/nv_full, 8 B on nv_small).
 * Those inputs are copied: on configurations with BDMA by BDMA operations of up to 20
 * transfers each (one transfer per input cube; one interrupt per group, research §3.4); without
 * BDMA by the CPU (the runtime copies in software: an EMU op). */
static bool concat_copies(const lower_ctx *c, const npu_layer *l, int k, int64_t coff)
{
    const npu_graph *g = c->g;
    int ti = l->in[k];
    if (ti < 0 || ti >= g->nt)
        return false;
    const npu_tensor *t = &g->t[ti];
    if (t->kind != NPU_T_ACT)
        return true;
    for (int q = 0; q < l->nin; q++)
        if (q != k && l->in[q] == ti)
            return true;
    int cons[8];
    int nc = npu_graph_consumers(g, ti, cons, 8);
    for (int q = 0; q < nc && q < 8; q++) {
        const npu_layer *o = &g->l[cons[q]];
        if (o != l && !(o->flags & NPU_LF_DEAD) &&
            (o->op == NPU_OP_CONCAT || o->op == NPU_OP_SPLIT || o->op == NPU_OP_SLICE))
            return true;
    }
    int64_t ax = npu_layer_int(l, "axis", 0, 1);
    if (ax < 0)
        ax += t->ndim;
    int64_t atom = min64(32, c->s->ac);
    return t->ndim == 4 && ax == 1 && atom > 0 && (coff * bpe_of(t->dtype)) % atom != 0;
}

/* Inputs of concat l that must be copied (see concat_copies). */
static int concat_ncopy(const lower_ctx *c, const npu_layer *l)
{
    int ax = (int)npu_layer_int(l, "axis", 0, 1), n = 0;
    int64_t coff = 0;
    for (int k = 0; k < l->nin; k++) {
        int ti = l->in[k];
        if (ti < 0 || ti >= c->g->nt)
            continue;
        const npu_tensor *t = &c->g->t[ti];
        int a = ax < 0 ? ax + t->ndim : ax;
        n += concat_copies(c, l, k, coff);
        if (a >= 0 && a < t->ndim)
            coff += t->dim[a];
    }
    return n;
}

#define NV_BDMA_SLOTS 20 /* transfers per BDMA group (research §2.2) */

/* Adds one transfer (tensor src_ti → dst_ti, `bytes`/`elems` moved) to BDMA group *grp of layer
 * li, opening a new group when there is none or it has used its 20 slots. */
static int bdma_add(lower_ctx *c, int li, pend **grp, int src_ti, int dst_ti, int64_t bytes,
                    int64_t elems)
{
    const npu_graph *g = c->g;
    pend *p = *grp;
    if (!p || p->h.nsplit >= NV_BDMA_SLOTS) {
        p = new_op(c, c->map[li], NPU_NV_OP_HWL);
        if (!p)
            return NPU_ENOMEM;
        hwl_proc(c->s, &p->h, NPU_NV_BDMA);
        p->h.bpe = (uint8_t)bpe_of(g->t[src_ti].dtype);
        p->h.thr = (int32_t)max64(1, (int64_t)c->s->dbb_bytes);
        /* DRAM<->SRAM or within one memory (research §2.2): where the surfaces live */
        p->h.flags = NPU_NV_HF_IN_SRAM;
        if (in_sram(c, dst_ti))
            p->h.flags |= NPU_NV_HF_OUT_SRAM;
        *grp = p;
    }
    if (!in_sram(c, src_ti))
        p->h.flags &= (uint16_t)~NPU_NV_HF_IN_SRAM;
    if (!in_sram(c, dst_ti))
        p->h.flags &= (uint16_t)~NPU_NV_HF_OUT_SRAM;
    p->h.nsplit++;                            /* transfers in this group             */
    p->h.addrs = (uint16_t)(2 * p->h.nsplit); /* source and destination per transfer */
    p->h.elems += elems;
    p->h.rd_data += bytes;
    p->h.wr_out += bytes;
    p->h.in_bytes += bytes;
    p->h.out_bytes += bytes;
    add_deps(c, p, src_ti);
    return 0;
}

static int lower_concat(lower_ctx *c, int li)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    lower_view(c, li); /* aliased inputs: their producers produce the output */
    if (l->nout < 1 || l->out[0] < 0 || l->out[0] >= g->nt)
        return 0;
    int ax = (int)npu_layer_int(l, "axis", 0, 1);
    int64_t coff = 0, bytes = 0, elems = 0;
    int ncopy = 0;
    pend *p = NULL;
    for (int k = 0; k < l->nin; k++) {
        int ti = l->in[k];
        if (ti < 0 || ti >= g->nt)
            continue;
        const npu_tensor *t = &g->t[ti];
        int a = ax < 0 ? ax + t->ndim : ax;
        bool cp = concat_copies(c, l, k, coff);
        if (a >= 0 && a < t->ndim)
            coff += t->dim[a];
        if (!cp)
            continue;
        ncopy++;
        bytes += tbytes(g, ti);
        elems += telems(g, ti);
        if (!c->s->bdma)
            continue;
        if (bdma_add(c, li, &p, ti, l->out[0], tbytes(g, ti), telems(g, ti)))
            return NPU_ENOMEM;
        /* the output now also waits for this group */
        tprod *u = &c->tp[l->out[0]];
        int o = (int)(p - c->ops);
        bool dup = false;
        for (int z = 0; z < u->n; z++)
            dup |= u->ops[z] == o;
        if (!dup && u->n < MAXP)
            u->ops[u->n++] = o;
        else if (!dup)
            u->ops[0] = o; /* keep the newest producer (see lower_view) */
    }
    if (ncopy && !c->s->bdma) {
        tprod keep = c->tp[l->out[0]];
        if (emit_emu(c, li, NPU_OP_CONCAT, 0, elems, bytes, bytes))
            return NPU_ENOMEM;
        c->tp[l->out[0]] = keep; /* the CPU copy ends its own task: later ops see it done */
    }
    return 0;
}

/* Split/slice: a consumer reads its part in place (address offset, line/surface strides),
 * unless (our reading, as for concat) the part starts in the middle of a surface atom of a
 * channel split/slice (min(32, atomic-C) bytes), or a slice has a step other than 1 (strides
 * cannot skip elements). Such a part is copied: BDMA where present, else the CPU. Returns the
 * per-output verdict in cp[] (size l->nout) and their number. */
static int part_copies(const lower_ctx *c, const npu_layer *l, bool *cp)
{
    const npu_graph *g = c->g;
    int n = 0;
    for (int k = 0; k < l->nout; k++)
        cp[k] = false;
    if (l->nin < 1 || l->in[0] < 0 || l->in[0] >= g->nt)
        return 0;
    const npu_tensor *x = &g->t[l->in[0]];
    int64_t atom = min64(32, c->s->ac), bpe = bpe_of(x->dtype);
    if (l->op == NPU_OP_SPLIT) {
        int ax = (int)npu_layer_int(l, "axis", 0, 0);
        if (ax < 0)
            ax += x->ndim;
        int64_t off = 0;
        for (int k = 0; k < l->nout; k++) {
            int ti = l->out[k];
            if (ti < 0 || ti >= g->nt || ax < 0 || ax >= g->t[ti].ndim)
                continue;
            cp[k] = x->ndim == 4 && ax == 1 && atom > 0 && (off * bpe) % atom != 0;
            n += cp[k];
            off += g->t[ti].dim[ax];
        }
        return n;
    }
    /* slice: one output */
    const npu_attr *st = npu_layer_attr(l, "starts"), *axs = npu_layer_attr(l, "axes");
    const npu_attr *sp = npu_layer_attr(l, "steps");
    bool copy = false;
    for (int i = 0; sp && sp->type == NPU_ATTR_INTS && i < sp->n; i++)
        copy |= sp->i[i] != 1;
    for (int i = 0; st && st->type == NPU_ATTR_INTS && i < st->n && x->ndim == 4; i++) {
        int64_t a = axs && axs->type == NPU_ATTR_INTS && i < axs->n ? axs->i[i] : i;
        if (a < 0)
            a += x->ndim;
        if (a != 1)
            continue;
        int64_t b = st->i[i];
        if (b < 0)
            b += x->dim[1];
        b = b < 0 ? 0 : b > x->dim[1] ? x->dim[1] : b;
        copy |= atom > 0 && (b * bpe) % atom != 0;
    }
    if (l->nout > 0 && copy) {
        cp[0] = true;
        n = 1;
    }
    return n;
}

#define NV_MAX_PARTS 64 /* splits into more parts are left in place (not copied) */

static int lower_part(lower_ctx *c, int li)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    lower_view(c, li); /* parts read in place: produced by the input's producers */
    bool cp[NV_MAX_PARTS];
    if (l->nout > NV_MAX_PARTS || !part_copies(c, l, cp))
        return 0;
    pend *p = NULL;
    int64_t bytes = 0, elems = 0;
    for (int k = 0; k < l->nout; k++) {
        int ti = l->out[k];
        if (!cp[k] || ti < 0 || ti >= g->nt)
            continue;
        bytes += tbytes(g, ti);
        elems += telems(g, ti);
        if (!c->s->bdma)
            continue;
        if (bdma_add(c, li, &p, l->in[0], ti, tbytes(g, ti), telems(g, ti)))
            return NPU_ENOMEM;
        set_prod(c, ti, (int)(p - c->ops));
    }
    if (!c->s->bdma && bytes > 0 && emit_emu(c, li, l->op, 0, elems, bytes, bytes))
        return NPU_ENOMEM;
    return 0;
}

/* Marks element-wise layers the SDP of a producing conv runs (see the file comment). */
static void plan_fusion(lower_ctx *c)
{
    const npu_graph *g = c->g;
    for (int li = 0; li < g->nl; li++) {
        c->fused_into[li] = -1;
        const npu_layer *l = &g->l[li];
        if ((l->flags & (NPU_LF_DEAD | NPU_LF_HOST)) || !is_ew(l->op) || l->nin != 2)
            continue;
        if (act_needs_lut(l->act) && !c->s->sdp_lut)
            continue;
        int p0 = producer_layer(g, l->in[0]), p1 = producer_layer(g, l->in[1]);
        int best = -1;
        for (int k = 0; k < 2; k++) {
            int pl = k ? p1 : p0;
            if (pl < 0 || pl >= g->nl)
                continue;
            const npu_layer *pr = &g->l[pl];
            if ((pr->flags & (NPU_LF_DEAD | NPU_LF_HOST)) || !is_mac_op(g, pr) ||
                pr->act != NPU_ACT_NONE || pr->op == NPU_OP_CONVT)
                continue;
            int cons[2];
            if (npu_graph_consumers(g, pr->out[0], cons, 2) != 1)
                continue;
            if (pl > best)
                best = pl;
        }
        /* the conv must be the later producer: the other operand is in memory by then */
        int other = best == p0 ? p1 : p0;
        if (best >= 0 && (other < best || other < 0) && l->in[0] != l->in[1])
            c->fused_into[li] = best;
    }
    if (!c->s->fuse_pdp)
        return;
    /* conv + SDP + PDP on the fly where legal (IAS pipeline modes; PDP line buffer 7 KB) */
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if ((l->flags & (NPU_LF_DEAD | NPU_LF_HOST)) || npu_op_class(l->op) != NPU_OPC_POOL ||
            l->nin != 1)
            continue;
        int pl = producer_layer(g, l->in[0]);
        if (pl < 0 || pl >= g->nl)
            continue;
        const npu_layer *pr = &g->l[pl];
        int cons[2];
        if ((pr->flags & (NPU_LF_DEAD | NPU_LF_HOST)) || !is_mac_op(g, pr) ||
            pr->op == NPU_OP_CONVT || npu_graph_consumers(g, pr->out[0], cons, 2) != 1 ||
            (act_needs_lut(pr->act) && !c->s->sdp_lut))
            continue;
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg) || cg.n != 1 || cg.kh > 8 || cg.kw > 8 ||
            cg.sh > 16 || cg.sw > 16)
            continue;
        int64_t lines = 1;
        while (lines < cdiv(cg.kh, cg.sh) && lines < 8)
            lines *= 2;
        if (cg.w * lines * min64(cg.c, 32) * bpe_of(l->dtype) > 7 * 1024)
            continue; /* would need split-width: not fused here */
        c->fused_into[li] = pl;
    }
}

static const char *engine_name(const lower_ctx *c, int li)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    const npu_nvdla_state *s = c->s;
    if (l->flags & NPU_LF_HOST)
        return "cpu";
    if (c->fused_into[li] >= 0)
        return npu_op_class(l->op) == NPU_OPC_POOL ? "PDP" : "SDP";
    if (is_mac_op(g, l))
        return "CONV";
    if (l->op == NPU_OP_CONCAT && concat_ncopy(c, l) > 0)
        return s->bdma ? "BDMA" : "cpu";
    if ((l->op == NPU_OP_SPLIT || l->op == NPU_OP_SLICE) && l->nout <= NV_MAX_PARTS) {
        bool cp[NV_MAX_PARTS];
        if (part_copies(c, l, cp))
            return s->bdma ? "BDMA" : "cpu";
    }
    if (is_view_like(l))
        return "none";
    npu_opclass cls = npu_op_class(l->op);
    if (cls == NPU_OPC_POOL)
        return "PDP";
    if (is_ew(l->op) && l->nin == 2)
        return !(act_needs_lut(l->act) && !s->sdp_lut) ? "SDP" : "cpu";
    if (cls == NPU_OPC_ACT)
        return act_needs_lut(npu_op_act(l->op)) && !s->sdp_lut ? "cpu" : "SDP";
    if (cls == NPU_OPC_QUANT)
        return "SDP";
    if (l->op == NPU_OP_LRN && cdp_legal(g, l))
        return "CDP";
    if (s->rubik && rubik_mode(g, l) >= 0)
        return "RUBIK";
    return "cpu";
}

/* Consumers per processor type, dependency counts, then the records with TASK headers. */
static int emit_all(lower_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        pend *p = &c->ops[i];
        if (p->op != NPU_NV_OP_HWL)
            continue;
        npu_nv_hwl *h = &p->h;
        h->common.dependency_count = (uint8_t)min64(h->common.dependency_count + h->ndeps, 255);
        for (int k = 0; k < h->ndeps; k++) {
            int pr = h->deps[k];
            npu_nv_consumer *cs = &c->ops[pr].h.common.consumers[h->common.op_type];
            if (cs->index < 0 || cs->index > (int16_t)i) {
                cs->index = (int16_t)i;
                cs->event = NPU_NV_EV_OP_COMPLETED;
            }
        }
    }
    /* op indices count hardware ops only (EMU records are not dla operations) */
    int *hw = npu_calloc(c->n ? c->n : 1, sizeof *hw);
    if (!hw)
        return oom(c);
    int nhw = 0;
    for (size_t i = 0; i < c->n; i++)
        hw[i] = c->ops[i].op == NPU_NV_OP_HWL ? nhw++ : -1;
    for (size_t i = 0; i < c->n; i++) {
        pend *p = &c->ops[i];
        if (p->op != NPU_NV_OP_HWL)
            continue;
        p->h.common.index = (int16_t)hw[i];
        if (p->h.common.fused_parent.index >= 0)
            p->h.common.fused_parent.index = (int16_t)hw[p->h.common.fused_parent.index];
        for (int k = 0; k < NPU_NV_NPROC; k++)
            if (p->h.common.consumers[k].index >= 0)
                p->h.common.consumers[k].index = (int16_t)hw[p->h.common.consumers[k].index];
        for (int k = 0; k < p->h.ndeps; k++)
            p->h.deps[k] = (int16_t)hw[p->h.deps[k]];
    }
    free(hw);
    size_t i = 0;
    while (i < c->n) {
        bool emu = c->ops[i].op == NPU_NV_OP_EMU;
        size_t j = i + 1;
        if (!emu)
            while (j < c->n && c->ops[j].op == NPU_NV_OP_HWL && c->ops[j].h.task == c->ops[i].h.task)
                j++;
        npu_nv_task t = {.kind = emu ? NPU_NV_TASK_EMU : NPU_NV_TASK_DLA,
                         .index = (uint16_t)(emu ? 0 : c->ops[i].h.task),
                         .nops = (uint32_t)(j - i)};
        if (npu_prog_emit(c->out, NPU_NV_OP_TASK, NPU_NV_UNIT_NONE, c->ops[i].layer, &t,
                          sizeof t) < 0)
            return oom(c);
        for (size_t k = i; k < j; k++) {
            pend *p = &c->ops[k];
            long r;
            if (p->op == NPU_NV_OP_EMU)
                r = npu_prog_emit(c->out, NPU_NV_OP_EMU, NPU_NV_UNIT_CPU, p->layer, &p->e,
                                  sizeof p->e);
            else
                r = npu_prog_emit(c->out, NPU_NV_OP_HWL, p->h.common.op_type, p->layer, &p->h,
                                  sizeof p->h);
            if (r < 0)
                return oom(c);
            if (p->has_sheet && npu_prog_emit(c->out, NPU_NV_OP_SHEET, NPU_NV_UNIT_NONE, p->layer,
                                              &p->sh, sizeof p->sh) < 0)
                return oom(c);
        }
        i = j;
    }
    return 0;
}

int npu_nvdla_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err)
{
    const npu_nvdla_state *s = m->state;
    lower_ctx c = {.g = g, .out = out, .err = err, .s = s};
    int rc = 0;
    size_t nl = (size_t)(g->nl > 0 ? g->nl : 1), nt = (size_t)(g->nt > 0 ? g->nt : 1);
    c.map = npu_calloc(nl, sizeof *c.map);
    c.fused_into = npu_calloc(nl, sizeof *c.fused_into);
    c.tp = npu_calloc(nt, sizeof *c.tp);
    if (!c.map || !c.fused_into || !c.tp) {
        rc = oom(&c);
        goto done;
    }
    plan_fusion(&c);
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD) {
            c.map[li] = -1;
            continue;
        }
        bool host = (l->flags & NPU_LF_HOST) != 0;
        npu_prog_layer pr = {
            .name = l->name,
            .op = l->src_op && host ? l->src_op : npu_op_name(l->op),
            .dtype = (int)l->dtype,
            .macs = l->macs,
            .engine = engine_name(&c, li),
        };
        for (int k = 0; k < l->nin; k++) {
            int ti = l->in[k];
            if (ti < 0 || ti >= g->nt)
                continue;
            /* a fused element-wise layer reads the conv's result on the fly */
            if (c.fused_into[li] >= 0 && g->t[ti].producer == c.fused_into[li])
                continue;
            if (g->t[ti].kind == NPU_T_CONST)
                pr.weight_bytes += tbytes(g, ti);
            else
                pr.in_bytes += tbytes(g, ti);
        }
        pr.weight_bytes += npu_dtype_bytes(l->dtype, l->params);
        bool out_fused = false;
        {
            int cons[2];
            out_fused = l->nout > 0 && npu_graph_consumers(g, l->out[0], cons, 2) == 1 &&
                        c.fused_into[cons[0]] == li;
        }
        for (int k = 0; k < l->nout && !out_fused; k++)
            pr.out_bytes += tbytes(g, l->out[k]);
        int pl = npu_prog_add_layer(out, &pr);
        if (pl < 0) {
            rc = oom(&c);
            goto done;
        }
        c.map[li] = pl;
    }
    /* the runtime writes the input tensors in NVDLA's layout (CPU) before the first task */
    int first = -1, last = -1;
    for (int li = 0; li < g->nl; li++)
        if (c.map[li] >= 0) {
            if (first < 0)
                first = li;
            last = li;
        }
    if (s->runtime_convert && first >= 0 && g->ninputs > 0) {
        int64_t e = 0, b = 0;
        for (int k = 0; k < g->ninputs; k++) {
            e += telems(g, g->inputs[k]);
            b += tbytes(g, g->inputs[k]);
        }
        if (e > 0 && (rc = emit_emu(&c, first, NPU_OP_CAST, 0, e, b, b)) != 0)
            goto done;
    }
    for (int li = 0; li < g->nl && !rc; li++) {
        if (c.map[li] < 0)
            continue;
        const npu_layer *l = &g->l[li];
        bool host = (l->flags & NPU_LF_HOST) != 0;
        if (c.fused_into[li] >= 0)
            continue; /* run by the conv's SDP (lower_mac) */
        if (!host && is_mac_op(g, l))
            rc = lower_mac(&c, li);
        else if (!host && l->op == NPU_OP_CONCAT)
            rc = lower_concat(&c, li);
        else if (!host && (l->op == NPU_OP_SPLIT || l->op == NPU_OP_SLICE))
            rc = lower_part(&c, li);
        else if (!host && is_view_like(l))
            lower_view(&c, li);
        else
            rc = lower_other(&c, li);
        if (c.n > 30000 && !rc)
            rc = npu_err_set(err, NPU_EUNSUPPORTED, "%s: more than 30000 NVDLA operations (the "
                             "descriptor index is 16 bits)", g->file);
    }
    /* ... and reads the outputs back */
    if (!rc && s->runtime_convert && last >= 0 && g->noutputs > 0) {
        int64_t e = 0, b = 0;
        for (int k = 0; k < g->noutputs; k++) {
            e += telems(g, g->outputs[k]);
            b += tbytes(g, g->outputs[k]);
        }
        if (e > 0)
            rc = emit_emu(&c, last, NPU_OP_CAST, 0, e, b, b);
    }
    if (!rc)
        rc = emit_all(&c);
done:
    free(c.map);
    free(c.fused_into);
    free(c.tp);
    free(c.ops);
    return rc;
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
