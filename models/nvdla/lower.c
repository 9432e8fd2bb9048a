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
 *       contract; see npu_nvdla_rubik_mode), else the CPU; convt's rearrangement → Rubik contract;
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
 * The CBUF and MAC plan of a conv and the spreadsheet row are in plan.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nvdla.h"

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
    h->reg_writes = (uint16_t)npu_nvdla_min64(nv_regs(s, proc), 65535);
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

/* The conv (or gemm seen as a 1x1 conv) layer li as the planners see it; checks that NVDLA's
 * registers can express it. */
static int conv_input(const lower_ctx *c, int li, npu_nvdla_conv_in *out)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    npu_nvdla_conv_in ci;
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
    *out = ci;
    return 0;
}

/* conv + SDP + PDP: the PDP takes the SDP's output (tensor out_t) on the fly and writes the
 * pooled map; nothing of the conv's own output reaches memory. */
static int lower_fused_pdp(lower_ctx *c, int pool_layer, int cvi, int sdi, int bytes, int out_t)
{
    const npu_graph *g = c->g;
    const npu_nvdla_state *s = c->s;
    const npu_layer *pl = &g->l[pool_layer];
    pend *pd = new_op(c, c->map[pool_layer], NPU_NV_OP_HWL);
    if (!pd)
        return NPU_ENOMEM;
    npu_nv_hwl *z = &pd->h;
    int pdi = (int)(pd - c->ops);
    hwl_proc(s, z, NPU_NV_PDP);
    z->flags |= NPU_NV_HF_FUSED;
    z->bpe = (uint8_t)bytes;
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
    return 0;
}

static int lower_mac(lower_ctx *c, int li)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    const npu_nvdla_state *s = c->s;
    npu_nvdla_conv_in ci;
    int rc = conv_input(c, li, &ci);
    if (rc)
        return rc;
    int in_t = l->in[0];
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
    h->batch = (int32_t)npu_nvdla_min64(ci.n, INT32_MAX);
    h->addrs = 3; /* input, weight, CBUF flush status */
    npu_nvdla_plan_mac(s, &ci, h);
    npu_nvdla_plan_cbuf(s, &ci, h);
    if (in_sram(c, in_t))
        h->flags |= NPU_NV_HF_IN_SRAM;
    add_deps(c, cv, in_t);
    /* spreadsheet row */
    {
        int64_t A = ci.p, Bq = ci.q;
        bool elw = false;
        sheet_ab(c, li, &A, &Bq, &elw);
        bool padded = false;
        if (!ci.fc) {
            npu_conv_geom cg;
            if (!npu_layer_conv_geom(g, li, &cg))
                padded = cg.pt + cg.pl + cg.pb + cg.pr > 0;
        }
        npu_nvdla_sheet_row(s, ci.c, ci.h, ci.w, ci.k, ci.r, ci.s, ci.sh, ci.sw, padded, A, Bq, elw,
                            ci.fc, ci.bytes, &cv->sh);
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
    q->thr = (int32_t)npu_nvdla_min64(s->sdp_thr, s->cacc_thr);
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
    if (pool_layer >= 0 && (rc = lower_fused_pdp(c, pool_layer, cvi, sdi, ci.bytes, out_t)))
        return rc;
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
            c->ops[sdi].h.thr = (int32_t)npu_nvdla_min64(c->ops[sdi].h.thr, s->sdp_ew_thr);
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
        } else if (l->op == NPU_OP_LRN && npu_nvdla_cdp_legal(g, l)) {
            proc = NPU_NV_CDP;
        } else if (s->rubik && npu_nvdla_rubik_mode(g, l) >= 0) {
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
            h->thr = (int32_t)npu_nvdla_min64(h->thr, s->sdp_ew_thr); /* the Y unit runs the LUT */
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
        h->r = (int32_t)npu_layer_int_k(l, NPU_K_SIZE, 0, 5);
        h->elems = ie;
        /* its read DMA peaks at 8 B/cycle: 8 INT8 or 4 INT16/FP16 elements (research §2.2) */
        h->thr = (int32_t)npu_nvdla_min64(s->cdp_thr, 8 / h->bpe);
        h->flags |= NPU_NV_HF_LUT;
        break;
    }
    default:
        h->elems = oe;
        h->thr = (int32_t)s->rubik_bytes;
        h->conv_mode = (uint8_t)npu_nvdla_rubik_mode(g, l);
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
    int64_t ax = npu_layer_int_k(l, NPU_K_AXIS, 0, 1);
    if (ax < 0)
        ax += t->ndim;
    int64_t atom = npu_nvdla_min64(32, c->s->ac);
    return t->ndim == 4 && ax == 1 && atom > 0 && (coff * bpe_of(t->dtype)) % atom != 0;
}

/* Inputs of concat l that must be copied (see concat_copies). */
static int concat_ncopy(const lower_ctx *c, const npu_layer *l)
{
    int ax = (int)npu_layer_int_k(l, NPU_K_AXIS, 0, 1), n = 0;
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
        p->h.thr = (int32_t)npu_nvdla_max64(1, (int64_t)c->s->dbb_bytes);
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
    int ax = (int)npu_layer_int_k(l, NPU_K_AXIS, 0, 1);
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
    int64_t atom = npu_nvdla_min64(32, c->s->ac), bpe = bpe_of(x->dtype);
    if (l->op == NPU_OP_SPLIT) {
        int ax = (int)npu_layer_int_k(l, NPU_K_AXIS, 0, 0);
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
    const npu_attr *st = npu_layer_attr_k(l, NPU_K_STARTS), *axs = npu_layer_attr_k(l, NPU_K_AXES);
    const npu_attr *sp = npu_layer_attr_k(l, NPU_K_STEPS);
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
        while (lines < npu_nvdla_cdiv(cg.kh, cg.sh) && lines < 8)
            lines *= 2;
        if (cg.w * lines * npu_nvdla_min64(cg.c, 32) * bpe_of(l->dtype) > 7 * 1024)
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
    if (l->op == NPU_OP_LRN && npu_nvdla_cdp_legal(g, l))
        return "CDP";
    if (s->rubik && npu_nvdla_rubik_mode(g, l) >= 0)
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
        h->common.dependency_count =
            (uint8_t)npu_nvdla_min64(h->common.dependency_count + h->ndeps, 255);
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
        /* the record's header by the common rule; the bytes by NVDLA's own: traffic between
         * a conv and the layers fused into it stays on chip */
        npu_prog_layer pr = npu_prog_graph_layer(g, li, engine_name(&c, li));
        pr.in_bytes = pr.out_bytes = pr.weight_bytes = 0;
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
