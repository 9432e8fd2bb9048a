/* lower.c — lowering a graph to RKNPU jobs and regcmd tasks (prefix npu_rknpu_).
 *
 * Placement (research/rknpu.md §1.7, OPLIST §3.2 for RK3588): conv within kernel 1–31,
 * stride 1–7, pad 0–15, dilation 1–31 (depthwise kernel 1–8) runs on CNA+CORE+DPU; gemm runs
 * as a 1x1 conv; matmul (exMatMul) with k ≤ 8192; pooling within kernel ≤ 7, stride ≤ 8,
 * C/H/W ≤ 8192, no ceil mode on the PPU; element-wise, activations, norms, softmax, pad,
 * splits, data conversion on the DPU; transpose on the DPU when its moved plane is ≤ 8192
 * elements (toolkit2#490); resize: nearest on the NPU, linear to the CPU (TS152 §9.14:
 * "weak on NPU", assumption for the split); gather, reduce, pow and anything unknown on the CPU.
 * With runtime=rkllm only matmuls use the NPU (constant weights; in a prefill also the
 * attention's) and their activations run on the CPU (place.c, RKLLM, research §3).
 *
 * Fusion as RKNN does it (the DEVTEST profile lists ConvAdd and ConvRelu layers, §2.4): an add
 * whose one operand is a conv's only consumer runs in that conv's DPU EW stage (DPU_RDMA reads
 * the other operand); a max/avg pool that is a conv's only consumer runs in its PPU (flying
 * mode); fused activations are DPU stages (a LUT for sigmoid/tanh/silu/…).
 *
 * Layout: feature maps are NC1HWC2 in DRAM: channels padded to C2 = atom_bytes / element
 * bytes (16 int8 on RK3588); the MAC array also sees input channels padded to C2 and output
 * channels to the kernel group (32 int8 / 16 for 16-bit types).
 *
 * CBUF plan per conv and core (Mesa rkt_task.c, "mostly taken from NVDLA", research §1.3):
 * the weights take ceil(bytes/bank)+1 banks; if that leaves at least one bank, they stay
 * resident and every later task sets weight_reuse; otherwise data gets split_data_banks banks
 * and the weights are cut into chunks of whole kernel groups that fit the rest — unless the
 * part's whole input fits beside one kernel group: then the data take the banks they need and
 * only the kernels are chunked (BY_K, RKNN's planner, research §1.3). The input is
 * cut into slices of rows that fit the data banks, consecutive slices overlapping by
 * kernel_h − stride rows. With several weight chunks the order (slices outer: weights re-read
 * per slice; chunks outer: input re-read per chunk) is the one moving fewer bytes.
 *
 * Jobs: consecutive NPU layers with the same core set form one submit (≤ max_tasks tasks per
 * core); a CPU operator ends it. Multi-core (core_mask with several cores): only conv,
 * depthwise, add and mul families split (OPLIST "多核联合"; convs with LUT activations and
 * image-input convs with fewer channels than one atom do not: research §2.2 5-submit structure),
 * everything else runs on the first core of the mask. A conv is cut by output rows (all the
 * weights, its share of the input); a gemm by kernels (its share of the weights, all the
 * input) when that moves fewer bytes, as always with M = 1 (see lower_conv). Cores meet at a
 * barrier between layers of a multi-core job (assumption: the hardware needs it for
 * correctness; how RKNN realises it is not documented).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* Full register counts per block for a task that programs a block from scratch, and the
 * registers a later tile of the same layer changes. ASSUMPTION sized to the captured totals:
 * a full conv task 110–130 entries, later tiles 12–17 (research §1.3, §4.1). */
static const uint16_t full_regs[NPU_RKN_NBLK] = {4, 46, 8, 46, 16, 14, 8};
static const uint16_t tile_regs[NPU_RKN_NBLK] = {4, 5, 1, 3, 1, 2, 1};

static int64_t pad(int64_t a, int64_t b)
{
    return b > 0 ? (a + b - 1) / b * b : a;
}
static int64_t cdiv(int64_t a, int64_t b)
{
    return b > 0 ? (a + b - 1) / b : a;
}
static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}
static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Tasks of one layer, built before its run (tv_push; tile_part refuses a conv part above it
 * with its figures). Every zoo network runs on every rknpu preset with 2^14. */
#define RKN_MAX_LAYER_TASKS (1 << 16)

static int oom(lw *c)
{
    return npu_err_set(c->err, NPU_ENOMEM, "rknpu: out of memory");
}


static int64_t kg_of(const npu_rknpu_state *s, npu_dtype dt)
{
    int64_t k = s->kgroup * 8 / bits_of(dt);
    return k > 0 ? k : 1;
}

static int precision_of(npu_dtype dt)
{
    switch (dt) {
    case NPU_DT_INT16:
        return 1;
    case NPU_DT_FP16:
        return 2;
    case NPU_DT_BF16:
        return 3;
    case NPU_DT_INT4:
        return 6;
    case NPU_DT_FP32:
        return 7;
    default:
        return 0;
    }
}

static double ebytes(npu_dtype dt)
{
    return bits_of(dt) / 8.0;
}

/* Bytes of a tensor in the native layout (4-D: NC1HWC2, channels padded to C2). */
static int64_t native_bytes(const npu_rknpu_state *s, const npu_tensor *t)
{
    if (!t->shape_known)
        return 0;
    if (t->ndim == 4) {
        int64_t cp = pad(t->dim[1], c2_of(s, t->dtype));
        double b = (double)t->dim[0] * (double)cp * (double)t->dim[2] * (double)t->dim[3] *
                   ebytes(t->dtype);
        return b > 9e18 ? INT64_MAX / 4 : (int64_t)ceil(b);
    }
    return npu_tensor_bytes(t);
}

static int64_t native_in(const lw *c, const npu_layer *l, bool consts)
{
    int64_t b = 0;
    for (int k = 0; k < l->nin; k++) {
        int ti = l->in[k];
        if (ti < 0 || ti >= c->g->nt)
            continue;
        if (!consts && c->g->t[ti].kind == NPU_T_CONST)
            continue;
        b += native_bytes(c->s, &c->g->t[ti]);
    }
    return b;
}

static int64_t native_out(const lw *c, const npu_layer *l)
{
    int64_t b = 0;
    for (int k = 0; k < l->nout; k++)
        if (l->out[k] >= 0 && l->out[k] < c->g->nt)
            b += native_bytes(c->s, &c->g->t[l->out[k]]);
    return b;
}

static int64_t out_elems(const npu_graph *g, const npu_layer *l)
{
    int64_t e = 0;
    for (int k = 0; k < l->nout; k++)
        if (l->out[k] >= 0 && l->out[k] < g->nt)
            e += npu_tensor_elems(&g->t[l->out[k]]);
    return e;
}

static int64_t in_elems(const npu_graph *g, const npu_layer *l)
{
    int64_t e = 0;
    for (int k = 0; k < l->nin; k++)
        if (l->in[k] >= 0 && l->in[k] < g->nt && g->t[l->in[k]].kind != NPU_T_CONST)
            e += npu_tensor_elems(&g->t[l->in[k]]);
    return e;
}

/* ---- job records ------------------------------------------------------------------------------
 */

static npu_rkn_submit *sub_at(lw *c, long ins)
{
    return (npu_rkn_submit *)(void *)(c->out->data + c->out->ins[ins].off);
}
static npu_rkn_task *task_at(lw *c, long ins)
{
    return (npu_rkn_task *)(void *)(c->out->data + c->out->ins[ins].off);
}

static void close_submit(lw *c)
{
    if (c->sub_ins < 0)
        return;
    npu_rkn_submit *s = sub_at(c, c->sub_ins);
    /* the job names the cores that got tasks (a layer too small to split leaves some idle;
     * the driver waits for one interrupt per core named) */
    s->core_mask = 0;
    s->ncores = 0;
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        if (c->ntask[k]) {
            s->core_mask |= (uint8_t)(1u << k);
            s->ncores++;
        }
    if (!s->core_mask) { /* cannot happen: a submit is opened for a layer with tasks */
        s->core_mask = (uint8_t)(1u << c->s->first_core);
        s->ncores = 1;
    }
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++) {
        s->ntask[k] = c->ntask[k];
        if (c->ntask[k] && c->last_task[k] >= 0)
            task_at(c, c->last_task[k])->flags |= NPU_RKN_TF_SUBMIT_LAST;
    }
    s->first_layer = (uint32_t)c->sub_first_layer;
    s->nlayers = (uint32_t)(c->sub_last_layer - c->sub_first_layer + 1);
    c->last_submit = c->sub_ins;
    c->sub_ins = -1;
}

static int open_submit(lw *c, unsigned mask, int pl, bool chained)
{
    npu_rkn_submit s;
    memset(&s, 0, sizeof s);
    s.core_mask = (uint8_t)mask;
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        s.ncores += (mask >> k) & 1u;
    s.flags = (uint16_t)((c->s->pingpong ? NPU_RKN_SF_PINGPONG : 0) |
                         (chained ? NPU_RKN_SF_IRQ_CHAIN : 0) | NPU_RKN_SF_WAKE);
    s.kick_writes = (uint16_t)c->s->kick_writes;
    long i = npu_prog_emit(c->out, NPU_RKN_OP_SUBMIT, NPU_RKN_UNIT_NONE, pl, &s, sizeof s);
    if (i < 0)
        return oom(c);
    c->sub_ins = i;
    c->sub_mask = mask;
    c->sub_first_layer = c->sub_last_layer = pl;
    memset(c->ntask, 0, sizeof c->ntask);
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        c->last_task[k] = -1;
    c->prev_cores = 0;
    return 0;
}

static int tv_push(lw *c, const npu_rkn_task *t)
{
    /* the tasks of a layer are built before the run: bounded here, whatever the parts (run_fuzz:
     * a batch of 4 of a conv of 10^8 channels, 4 parts of 66,000 tasks) */
    if (c->tv.n >= RKN_MAX_LAYER_TASKS)
        return npu_err_set(c->err, NPU_EUNSUPPORTED,
                           "%s: a layer needs more than %d tasks, the simulator's limit; "
                           "absurd", c->g->file, RKN_MAX_LAYER_TASKS);
    if (npu_grow((void **)&c->tv.t, &c->tv.cap, c->tv.n + 1, sizeof *c->tv.t))
        return oom(c);
    c->tv.t[c->tv.n++] = *t;
    return 0;
}

/* Register counts: full blocks for the first task of a layer on a core, changed registers for
 * later tiles. */
static void set_regs(npu_rkn_task *t, bool first)
{
    uint16_t tot = 0;
    const uint16_t *tab = first ? full_regs : tile_regs;
    /* enable bit of each register block; the PC block is always programmed */
    static const uint16_t en_bit[NPU_RKN_NBLK] = {
        [NPU_RKN_BLK_CNA] = NPU_RKN_EN_CNA,
        [NPU_RKN_BLK_CORE] = NPU_RKN_EN_CORE,
        [NPU_RKN_BLK_DPU] = NPU_RKN_EN_DPU,
        [NPU_RKN_BLK_DPU_RDMA] = NPU_RKN_EN_DPU_RDMA,
        [NPU_RKN_BLK_PPU] = NPU_RKN_EN_PPU,
        [NPU_RKN_BLK_PPU_RDMA] = NPU_RKN_EN_PPU_RDMA};
    for (int b = 0; b < NPU_RKN_NBLK; b++) {
        bool on = b == NPU_RKN_BLK_PC || (t->enable_mask & en_bit[b]) != 0;
        uint16_t n = on ? tab[b] : 0;
        if (on && !first && b == NPU_RKN_BLK_DPU_RDMA && (t->flags & NPU_RKN_TF_EW))
            n += 2;
        t->nregs[b] = n;
        tot += n;
    }
    t->regcfg_amount = tot;
}

/* Emits the tasks in c->tv for program layer pl (graph layer li) into the open submit, adding
 * the barrier of a multi-core job, and splitting the submit at max_tasks. */
static int emit_tasks(lw *c, int pl)
{
    unsigned used = 0;
    for (size_t i = 0; i < c->tv.n; i++)
        used |= 1u << c->tv.t[i].core;
    bool multi = c->s->ncores > 1 && c->sub_mask != (1u << c->s->first_core);
    int nprev = 0;
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        nprev += (c->prev_cores >> k) & 1u;
    if (multi && c->prev_cores) {
        for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
            if ((c->prev_cores >> k) & 1u)
                task_at(c, c->last_task[k])->bar_sig_mask |= (uint8_t)used;
    }
    bool first_on[NPU_RKN_MAX_CORES] = {true, true, true};
    size_t nt = c->tv.n;
    size_t last_on[NPU_RKN_MAX_CORES] = {0}; /* index of each core's last task (one pass) */
    for (size_t i = 0; i < nt; i++)
        last_on[c->tv.t[i].core] = i;
    for (size_t i = 0; i < nt; i++) {
        npu_rkn_task t = c->tv.t[i];
        int k = t.core;
        if (c->ntask[k] >= c->s->max_tasks) {
            /* the task counter is full: the job ends here, the rest is another submit */
            unsigned mask = c->sub_mask;
            close_submit(c);
            if (open_submit(c, mask, pl, false))
                return c->err->code;
            nprev = 0;
            memset(first_on, 0, sizeof first_on);
        }
        if (first_on[k]) {
            t.flags |= NPU_RKN_TF_LAYER_FIRST;
            if (multi && nprev)
                t.bar_wait = (uint8_t)nprev;
            first_on[k] = false;
        }
        if (last_on[k] == i)
            t.flags |= NPU_RKN_TF_LAYER_LAST;
        set_regs(&t, (t.flags & NPU_RKN_TF_LAYER_FIRST) && t.slice == 0 && t.kchunk == 0);
        long ins = npu_prog_emit(c->out, NPU_RKN_OP_TASK, (uint16_t)k, pl, &t, sizeof t);
        if (ins < 0)
            return oom(c);
        c->ntask[k]++;
        c->last_task[k] = ins;
    }
    c->prev_cores = used;
    c->sub_last_layer = pl;
    c->tv.n = 0;
    return 0;
}

/* ---- conv tiling --------------------------------------------------------------------------- */

typedef struct cgeo {
    int kind; /* NPU_RKN_K_* */
    npu_dtype dt;
    int64_t c, h, w;         /* input channels (all groups), rows, width */
    int64_t k, ho, wo;       /* output channels, rows, width */
    int kh, kw, sh, sw, khe; /* kernel, stride, dilated kernel height */
    int64_t groups;
    int64_t cp, kp; /* padded input channels (MAC view), padded kernels */
    int64_t cfeat;  /* input channels as stored in DRAM (padded to C2) */
    int64_t c2, kg;
    double eb;
    double web;     /* weight element bytes: the weight tensor's own dtype (mixed precision) */
    npu_dtype wdt;  /* weight dtype (= dt unless wdtype=/dtype=wNaM set it apart) */
    int64_t wbytes; /* all weights, padded */
    int64_t macs;
    bool ew, ppu, lut;
    int lut_passes; /* DPU LUT passes of the fused activation (npu_rknpu_lut_passes()) */
    bool image; /* fewer input channels than one atom: read raw, charged its real MACs */
    bool in_sram, out_sram; /* feature input / output in system SRAM (use_sram) */
    int ppu_kh, ppu_kw;
    double ppu_ratio; /* pool output elems / conv output elems */
    bool wstream; /* a matmul (gemm): its weights stream beside the compute (TF_WSTREAM)   */
    int li;       /* the graph layer (messages) */
} cgeo;

/* use_sram: an internal feature map (produced by a layer, not a graph output) lives in the
 * system SRAM when it takes at most half of it (the other half holds the next one). */
static bool sram_tensor(const lw *c, int ti)
{
    const npu_graph *g = c->g;
    if (!c->s->use_sram || c->s->sram_bytes <= 0 || ti < 0 || ti >= g->nt)
        return false;
    const npu_tensor *t = &g->t[ti];
    if (t->kind != NPU_T_ACT || npu_graph_is_output(g, ti))
        return false;
    return native_bytes(c->s, t) * 2 <= c->s->sram_bytes;
}
static bool in_sram(const lw *c, const npu_layer *l)
{
    return l->nin > 0 && sram_tensor(c, l->in[0]);
}
static bool out_sram(const lw *c, const npu_layer *l)
{
    return l->nout > 0 && sram_tensor(c, l->out[0]);
}

static int geo_of(lw *c, int li, cgeo *G)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    const npu_rknpu_state *s = c->s;
    memset(G, 0, sizeof *G);
    G->dt = l->dtype;
    G->wdt = npu_layer_weight_dtype(g, l);
    /* rkllm_adtype=fp16 (RK3576): RKLLM's matmuls take fp16 activations whatever the weights'
     * width, the weights widened as the CNA loads them (mac_pairs / the wider type's rate);
     * the attention's second operand is an activation too. ASSUMPTION chosen by RK3576's
     * equal w8a8 and w4a16 TTFT (docs/models/rknpu.md §12). */
    if (s->runtime == NPU_RKNPU_RT_RKLLM && s->rkllm_a16 && c->place[li] == PL_GEMM &&
        G->dt != NPU_DT_FP16) {
        npu_gemm_geom gg;
        if (npu_layer_gemm_geom(g, li, &gg) == 0 && !gg.weights_const)
            G->wdt = NPU_DT_FP16;
        G->dt = NPU_DT_FP16;
    }
    G->eb = ebytes(G->dt);
    /* RKLLM's 4-bit weights stop at the output head: the projection that produces the graph's
     * output (lm_head) keeps 8-bit weights (assumption derived from RK3576's w4a16 and w8a8
     * decode rows, which then reach one DRAM rate; docs/models/rknpu.md §11) */
    if (s->runtime == NPU_RKNPU_RT_RKLLM && G->wdt == NPU_DT_INT4 && l->nout > 0 &&
        l->out[0] >= 0 && npu_graph_is_output(g, l->out[0]))
        G->wdt = NPU_DT_INT8;
    G->wstream = c->place[li] == PL_GEMM;
    G->web = ebytes(G->wdt);
    G->c2 = c2_of(s, G->dt);
    G->kg = kg_of(s, G->dt);
    G->macs = l->macs;
    /* under runtime=rkllm the NPU runs the matmul only: its activation is CPU work
     * (npu_rknpu_host_act) */
    bool on_npu = !npu_rknpu_host_act(s, l);
    G->lut = on_npu && npu_rknpu_lut_act(l->act);
    G->lut_passes = on_npu ? npu_rknpu_lut_passes(l->act) : 0;
    if (c->place[li] == PL_GEMM) {
        npu_gemm_geom gg;
        if (npu_layer_gemm_geom(g, li, &gg))
            return npu_err_set(c->err, NPU_EINVAL, "%s: layer '%s': no gemm geometry", g->file,
                               l->name);
        G->kind = NPU_RKN_K_CONV;
        G->c = gg.k;
        G->h = G->ho = gg.batch * gg.m;
        G->w = G->wo = 1;
        G->k = gg.n;
        G->kh = G->kw = G->sh = G->sw = G->khe = 1;
        G->groups = 1;
    } else {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg))
            return npu_err_set(c->err, NPU_EINVAL, "%s: layer '%s': no conv geometry", g->file,
                               l->name);
        G->kind = c->place[li] == PL_DW       ? NPU_RKN_K_DW
                  : c->place[li] == PL_DECONV ? NPU_RKN_K_DECONV
                                              : NPU_RKN_K_CONV;
        G->c = cg.c * cg.n;
        G->h = cg.h;
        G->w = cg.w;
        G->k = cg.k;
        G->ho = cg.ho * cg.n;
        G->wo = cg.wo;
        G->kh = cg.kh;
        G->kw = cg.kw;
        G->sh = cg.sh;
        G->sw = cg.sw;
        G->khe = (cg.kh - 1) * cg.dh + 1;
        G->groups = cg.groups > 0 ? cg.groups : 1;
        if (cg.n > 1) { /* batch: images one after the other (rows of all images) */
            G->c = cg.c;
            G->h = cg.h * cg.n;
        }
        if (G->kind == NPU_RKN_K_DECONV) {
            /* deconvolution: every output pixel takes about kh·kw/(sh·sw) taps */
            int64_t taps = max64(1, (int64_t)cg.kh * cg.kw / max64(1, (int64_t)cg.sh * cg.sw));
            G->kh = (int)min64(taps, 255);
            G->kw = 1;
            G->sh = G->sw = 1;
            G->khe = 1;
            G->h = G->ho;
            G->w = G->wo;
        }
    }
    if (G->kind == NPU_RKN_K_DW) {
        G->cp = pad(G->c, G->c2);
        G->kp = G->cp;
        G->cfeat = G->cp;
        G->wbytes = (int64_t)ceil((double)G->cp * G->kh * G->kw * G->web);
    } else {
        int64_t cg_ = G->c / G->groups, kgp = G->k / G->groups;
        bool grouped = G->groups > 1;
        /* grouped conv (assumption, docs/models/rknpu.md §2 "Grouped conv"): a kernel group
         * reads the atoms of one group only, so each group is a conv of its input channels
         * padded to C2 (TS152 §10: keep them 16-aligned) and its kernels padded to the kernel
         * group — the MAC array sees pad(C/g) channels, not all g groups' channels. When the
         * block-diagonal dense conv (zeros outside the groups: pad(C) x pad(K)) pads no more,
         * the compiler runs that instead (few, narrow groups); on a tie it reads each input
         * atom once, where the groups would each re-read the atom their channels sit in. */
        int64_t dense = pad(G->c, G->c2) * pad(G->k, G->kg),
                per_group = pad(max64(cg_, 1), G->c2) * pad(max64(kgp, 1), G->kg) * G->groups;
        if (grouped && dense <= per_group) {
            G->groups = 1;
            cg_ = G->c;
            kgp = G->k;
        }
        G->cp = pad(max64(cg_, 1), G->c2) * G->groups;
        G->cfeat = G->cp;
        /* fewer input channels than one atom (an image input): Rockchip's profiler counts such
         * a conv at its real MACs (3->32 3x3 at MACs/1024, research §2.4 row 2), so the MAC
         * array is not charged the padding; the CBUF holds whole atoms, DRAM the raw image */
        G->image = !grouped && cg_ < G->c2;
        if (G->image)
            G->cp = cg_;
        G->kp = pad(max64(kgp, 1), G->kg) * G->groups;
        G->wbytes =
            (int64_t)ceil((double)G->kp * (double)(G->cp / G->groups) * G->kh * G->kw * G->web);
    }
    G->in_sram = in_sram(c, l);
    G->out_sram = out_sram(c, l);
    G->ew = c->ew[li] >= 0;
    G->ppu = c->ppu[li] >= 0;
    G->ppu_ratio = 1;
    if (G->ppu) {
        const npu_layer *pl = &g->l[c->ppu[li]];
        npu_conv_geom pg;
        if (npu_layer_conv_geom(g, c->ppu[li], &pg) == 0) {
            G->ppu_kh = pg.kh;
            G->ppu_kw = pg.kw;
        }
        int64_t ce = out_elems(g, l), pe = out_elems(g, pl);
        G->ppu_ratio = ce > 0 ? (double)pe / (double)ce : 1;
    }
    if (G->h < 1 || G->w < 1 || G->ho < 1 || G->wo < 1 || G->c < 1 || G->k < 1)
        return npu_err_set(c->err, NPU_EINVAL, "%s: layer '%s': empty conv geometry", g->file,
                           l->name);
    return 0;
}

/* Tiles one part of a conv (output rows [y0,y1), kernels [k0,k1) of the padded kernel range)
 * for core `core`; appends its tasks (a depthwise part of kernels reads only its channels). */
static int tile_part(lw *c, const cgeo *G, int core, int64_t y0, int64_t y1, int64_t k0, int64_t k1)
{
    const npu_rknpu_state *s = c->s;
    int64_t kn = k1 - k0;
    if (kn <= 0 || y1 <= y0)
        return 0;
    bool dw = G->kind == NPU_RKN_K_DW;
    int64_t wpart = dw ? (int64_t)ceil((double)kn * G->kh * G->kw * G->web)
                       : (int64_t)ceil((double)G->wbytes * (double)kn / (double)G->kp);
    int64_t row_bytes = (int64_t)ceil((double)G->w * (double)(dw ? kn : G->cfeat) * G->eb);
    int64_t per_kernel = dw ? (int64_t)ceil(G->kh * G->kw * G->web * (double)G->c2)
                            : (int64_t)ceil((double)G->wbytes / (double)G->kp);
    int64_t wb = cdiv(wpart, s->bank_bytes) + 1;
    int64_t dbanks, kc;
    if (wb <= s->banks - 1) {
        dbanks = s->banks - wb;
        kc = kn;
    } else {
        int64_t unit = dw ? G->c2 : G->kg;
        dbanks = s->split_data_banks;
        /* BY_K (RKNN's planner splits by Y, by K or both, research §1.3): when the part's
         * whole input fits beside one kernel group (+1 bank, Mesa's margin), the data take
         * exactly the banks it needs and only the kernels are chunked. Mesa's fixed 7 + 5
         * split would cut it into row slices instead — a 128-token prefill projection with
         * 2048 input channels (256 KiB, 8 banks) into 112 + 16 rows, whose 16-row slice
         * passes each weight set 16 times (pass_cycles, docs/models/rknpu.md §3b) */
        int64_t need = cdiv(min64(G->h, (y1 - y0 - 1) * G->sh + G->khe) * row_bytes,
                            s->bank_bytes);
        int64_t wunit = cdiv(per_kernel * unit, s->bank_bytes) + 1;
        if (need > dbanks && need + wunit <= s->banks)
            dbanks = need;
        int64_t cap = (s->banks - dbanks) * s->bank_bytes;
        kc = cap / max64(per_kernel, 1) / unit * unit;
        if (kc < unit)
            kc = unit; /* one kernel group larger than the weight banks: streamed (doc) */
    }
    int64_t nk = cdiv(kn, kc);
    int64_t rows_in = dbanks * s->bank_bytes / max64(row_bytes, 1);
    int64_t ro = rows_in >= G->khe ? (rows_in - G->khe) / G->sh + 1 : 1;
    int64_t ny = y1 - y0;
    if (ro > ny)
        ro = ny;
    int64_t ns = cdiv(ny, ro);
    const npu_layer *l = &c->g->l[G->li];
    if (ns > 1000000 || nk > 1000000)
        return npu_err_set(c->err, NPU_EUNSUPPORTED,
                           "%s: a conv needs %" PRId64 " x %" PRId64 " tasks; absurd", c->g->file,
                           ns, nk);
    if (ns * nk > NPU_RKN_MAX_PROG_TASKS - c->conv_tasks) {
        return npu_err_set(c->err, NPU_EUNSUPPORTED, "%s:%d: %s '%s': %s %" PRId64 " tasks, "
                           "above the limit of %" PRId64 " (about 800 MB of program; "
                           "docs/models/rknpu.md): use fewer channels, rows or tokens",
                           c->g->file, l->line, npu_op_name(l->op), l->name,
                           c->conv_tasks ? "the program up to this layer needs" : "this layer needs",
                           c->conv_tasks + ns * nk, NPU_RKN_MAX_PROG_TASKS);
    }
    /* every task is at least one engine job (timing.c, emit_task: its register fetch): a
     * job-limited run (issue 16) ends here, not after building tasks it may not run */
    int64_t lim = c->out->job_limit;
    if (lim > 0 && c->conv_tasks + ns * nk > lim)
        return npu_err_set(c->err, NPU_EUNSUPPORTED,
                           "%s:%d: %s '%s': the program up to this layer has %" PRId64 " tasks "
                           "(a job each at least): " NPU_JOB_LIMIT_MSG,
                           c->g->file, l->line, npu_op_name(l->op), l->name,
                           c->conv_tasks + ns * nk, (long long)lim);
    /* the tasks of a layer are built before its run, whatever the program's total (run_fuzz:
     * 2 x 833,334 tasks of a conv of 10^9 channels, 6 s and 560 MB before the job limit) */
    if (ns * nk > RKN_MAX_LAYER_TASKS)
        return npu_err_set(c->err, NPU_EUNSUPPORTED,
                           "%s:%d: %s '%s': %" PRId64 " x %" PRId64 " tasks, more than the "
                           "simulator's limit of %d per layer; absurd",
                           c->g->file, l->line, npu_op_name(l->op), l->name, ns, nk,
                           RKN_MAX_LAYER_TASKS);
    c->conv_tasks += ns * nk;
    /* input bytes of a slice of `orows` output rows */
    int64_t feat_total = 0;
    for (int64_t si = 0; si < ns; si++) {
        int64_t orows = min64(ro, ny - si * ro);
        int64_t rows = min64(G->h, (orows - 1) * G->sh + G->khe);
        feat_total += rows * row_bytes;
    }
    int64_t wchunk_total = wpart;
    /* order: slices outer re-reads the weights per slice; chunks outer re-reads the input */
    bool chunks_outer = false;
    if (nk > 1 && ns > 1)
        chunks_outer = (nk - 1) * feat_total < (ns - 1) * wchunk_total;
    int64_t outk_c2 = pad(kc, G->c2);
    int64_t macs_tot = 0;
    double cin = dw ? 1.0 : (double)(G->cp / G->groups);
    double pm_part = (double)ny * G->wo * kn * cin * G->kh * G->kw;
    double pm_all = (double)G->ho * G->wo * G->kp * cin * G->kh * G->kw;
    int64_t part_macs = (int64_t)floor((double)G->macs * (pm_all > 0 ? pm_part / pm_all : 0));
    int64_t ntask = ns * nk, idx = 0;
    for (int64_t a = 0; a < (chunks_outer ? nk : ns); a++) {
        for (int64_t b = 0; b < (chunks_outer ? ns : nk); b++, idx++) {
            int64_t si = chunks_outer ? b : a, ki = chunks_outer ? a : b;
            int64_t orows = min64(ro, ny - si * ro);
            int64_t rows = min64(G->h, (orows - 1) * G->sh + G->khe);
            int64_t kk = min64(kc, kn - ki * kc);
            npu_rkn_task t;
            memset(&t, 0, sizeof t);
            t.core = (uint8_t)core;
            t.kind = (uint8_t)G->kind;
            t.precision = (uint8_t)precision_of(G->dt);
            t.wprecision = (uint8_t)precision_of(G->wdt);
            t.kh = (uint8_t)min64(G->kh, 255);
            t.kw = (uint8_t)min64(G->kw, 255);
            t.sh = (uint8_t)G->sh;
            t.sw = (uint8_t)G->sw;
            t.data_bank = (uint8_t)dbanks;
            t.weight_bank = (uint8_t)(s->banks - dbanks);
            t.enable_mask = NPU_RKN_EN_CNA | NPU_RKN_EN_CORE | NPU_RKN_EN_DPU | NPU_RKN_EN_DPU_RDMA;
            t.slice = (uint16_t)min64(si, 65535);
            t.nslices = (uint16_t)min64(ns, 65535);
            t.kchunk = (uint16_t)min64(ki, 65535);
            t.nkchunks = (uint16_t)min64(nk, 65535);
            t.in_h = (int32_t)rows;
            t.in_w = (int32_t)min64(G->w, INT32_MAX);
            /* the channels one kernel group reads: its group's (all of them, ungrouped) */
            t.in_c = (int32_t)min64(dw ? pad(kk, G->c2) : G->cp / G->groups, INT32_MAX);
            t.out_h = (int32_t)orows;
            t.out_w = (int32_t)min64(G->wo, INT32_MAX);
            t.out_k = (int32_t)min64(dw ? pad(kk, G->c2) : pad(kk, G->kg), INT32_MAX);
            int64_t slice_feat =
                rows * (dw ? (int64_t)ceil((double)G->w * pad(kk, G->c2) * G->eb) : row_bytes);
            int64_t wk = dw ? (int64_t)ceil((double)pad(kk, G->c2) * G->kh * G->kw * G->web)
                            : (int64_t)ceil((double)per_kernel * (double)kk);
            bool wreuse, dreuse;
            if (nk == 1) {
                wreuse = idx > 0;
                dreuse = false;
            } else if (chunks_outer) {
                wreuse = b > 0;
                dreuse = false;
            } else {
                wreuse = false;
                dreuse = b > 0 && !dw;
            }
            if (dw) /* depthwise: each chunk has its own channels of input */
                dreuse = false;
            if (wreuse)
                t.flags |= NPU_RKN_TF_WEIGHT_REUSE;
            if (dreuse)
                t.flags |= NPU_RKN_TF_DATA_REUSE;
            /* an image input (fewer channels than one atom) is read unpadded from DRAM and
             * widened to atoms in the CBUF: the profiler's RW for such a layer is the raw
             * image plus the output (research §2.4 row 2); timing.c charges its DMA per atom */
            int64_t dram_feat = G->image ? rows * (int64_t)ceil((double)G->w * G->cp * G->eb)
                                      : slice_feat;
            t.feat_rd = dreuse ? 0 : dram_feat;
            t.wt_rd = wreuse ? 0 : wk;
            int64_t oe = (int64_t)orows * G->wo * min64(outk_c2, pad(kk, G->c2));
            t.out_elems = oe;
            /* the tensor in DRAM holds the real channels padded to C2 (NC1HWC2): kernels that
             * only pad the last group to the kernel group are computed, not stored */
            int64_t kbeg = k0 + ki * kc, kreal = dw ? G->c : G->k;
            int64_t kout = G->groups > 1 && !dw
                               ? (int64_t)ceil((double)kk * (double)kreal / (double)G->kp)
                               : min64(kk, max64(0, kreal - kbeg));
            int64_t ob = (int64_t)ceil((double)orows * G->wo * pad(kout, G->c2) * G->eb);
            if (G->ew) {
                t.flags |= NPU_RKN_TF_EW;
                t.ew_rd = ob;
            }
            if (G->lut) {
                t.flags |= NPU_RKN_TF_LUT;
                t.lut_passes = (uint8_t)G->lut_passes;
            }
            if (G->ppu) {
                t.flags |= NPU_RKN_TF_PPU;
                t.enable_mask |= NPU_RKN_EN_PPU;
                t.ppu_kh = G->ppu_kh;
                t.ppu_kw = G->ppu_kw;
                ob = (int64_t)ceil((double)ob * G->ppu_ratio);
                t.out_elems = (int64_t)ceil((double)oe * G->ppu_ratio);
            }
            t.out_wr = ob;
            t.elems = oe;
            if (G->wstream)
                t.flags |= NPU_RKN_TF_WSTREAM;
            if (G->in_sram)
                t.flags |= NPU_RKN_TF_FEAT_SRAM;
            if (G->out_sram)
                t.flags |= NPU_RKN_TF_OUT_SRAM;
            t.cbuf_bytes = slice_feat + wk;
            /* useful MACs: this part's share, spread over its tasks (the last takes the rest) */
            int64_t tm = idx + 1 == ntask ? part_macs - macs_tot : part_macs / max64(ntask, 1);
            t.macs = tm;
            macs_tot += tm;
            if (tv_push(c, &t))
                return c->err->code;
        }
    }
    return 0;
}

static int lower_conv(lw *c, int li, unsigned mask)
{
    cgeo G;
    if (geo_of(c, li, &G))
        return c->err->code;
    G.li = li;
    int cores[NPU_RKN_MAX_CORES], n = 0;
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        if ((mask >> k) & 1u)
            cores[n++] = k;
    if (n <= 1)
        return tile_part(c, &G, cores[0], 0, G.ho, 0, G.kp);
    /* A conv is cut by output rows: every core reads all the weights and its band of the
     * input. Cut so, RKNN's MobileNetV1 scales 1.41x / 1.58x on 2 / 3 cores against 1.23x /
     * 1.78x measured; cut by whichever moves fewer bytes, 1.66x / 1.98x (research §2.2), so
     * RKNN does not seem to trade weights for rows on convs. A matmul (gemm: FC, RKLLM's
     * projections) is cut by kernels when that moves fewer bytes per core (its share of the
     * weights, all the input rows): the weights are its whole cost, and with M = 1 (decode)
     * rows cannot be cut at all. First order: halo rows and re-reads left out. */
    int64_t unit = G.kind == NPU_RKN_K_DW ? G.c2 : G.kg;
    int64_t kunits = G.kp / unit;
    double in_b = (double)G.h * (double)G.w * (double)G.cfeat * G.eb;
    bool fewer = (double)G.wbytes / n + in_b < (double)G.wbytes + in_b / n;
    bool by_k = kunits >= n && (G.ho < n || (c->place[li] == PL_GEMM && fewer));
    if (by_k) {
        int64_t k0 = 0;
        for (int q = 0; q < n; q++) {
            int64_t ku = kunits / n + (q < kunits % n);
            if (tile_part(c, &G, cores[q], 0, G.ho, k0, k0 + ku * unit))
                return c->err->code;
            k0 += ku * unit;
        }
    } else {
        int64_t y0 = 0;
        for (int q = 0; q < n; q++) {
            int64_t ny = G.ho / n + (q < G.ho % n);
            if (tile_part(c, &G, cores[q], y0, y0 + ny, 0, G.kp))
                return c->err->code;
            y0 += ny;
        }
    }
    return 0;
}

/* DPU-alone and PPU-alone layers: one task per core (the DPU/PPU stream from DRAM through their
 * RDMA; no CBUF tiling). `passes`: >1 for multi-pass ops, -1 transpose, -2 slow softmax. */
static int lower_unit(lw *c, int li, unsigned mask, int kind)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    int cores[NPU_RKN_MAX_CORES], n = 0;
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        if ((mask >> k) & 1u)
            cores[n++] = k;
    int64_t ie = in_elems(g, l), oe = out_elems(g, l);
    int64_t rd = native_in(c, l, true), wr = native_out(c, l);
    int passes = 1;
    if (kind == NPU_RKN_K_DPU) {
        switch (l->op) {
        case NPU_OP_TRANSPOSE:
            passes = -1;
            break;
        case NPU_OP_SOFTMAX: {
            const npu_tensor *t = &g->t[l->in[0]];
            int64_t ax = npu_layer_int(l, "axis", 0, -1);
            if (ax < 0)
                ax += t->ndim;
            passes = (t->ndim == 4 && ax == 1) ? 3 : -2; /* over channels: 3 atom passes */
            break;
        }
        case NPU_OP_LAYERNORM:
        case NPU_OP_RMSNORM:
            passes = 3;
            break; /* mean, variance, scale (assumption) */
        default:
            break;
        }
    }
    int64_t pe = max64(ie, oe);
    const npu_tensor *t0 = l->nin > 0 && l->in[0] >= 0 ? &g->t[l->in[0]] : NULL;
    if (t0 && t0->ndim == 4 && t0->shape_known && kind == NPU_RKN_K_PPU)
        pe = t0->dim[0] * pad(t0->dim[1], c2_of(c->s, t0->dtype)) * t0->dim[2] * t0->dim[3];
    npu_conv_geom pg;
    bool have_pg = kind == NPU_RKN_K_PPU && npu_layer_conv_geom(g, li, &pg) == 0;
    for (int q = 0; q < n; q++) {
        npu_rkn_task t;
        memset(&t, 0, sizeof t);
        t.core = (uint8_t)cores[q];
        t.kind = (uint8_t)kind;
        t.precision = (uint8_t)precision_of(l->dtype);
        t.wprecision = t.precision;
        t.enable_mask = kind == NPU_RKN_K_PPU ? (NPU_RKN_EN_PPU | NPU_RKN_EN_PPU_RDMA)
                                              : (NPU_RKN_EN_DPU | NPU_RKN_EN_DPU_RDMA);
        t.nslices = 1;
        t.nkchunks = 1;
        t.slice = (uint16_t)q;
        t.elems = pe / n + (q < pe % n);
        t.out_elems = oe / n + (q < oe % n);
        t.feat_rd = rd / n + (q < rd % n);
        t.out_wr = wr / n + (q < wr % n);
        t.ppu_kh = kind == NPU_RKN_K_DPU ? passes : have_pg ? pg.kh : 1;
        t.ppu_kw = kind == NPU_RKN_K_DPU ? 0 : have_pg ? pg.kw : 1;
        if (npu_rknpu_lut_act(l->act) || npu_op_class(l->op) == NPU_OPC_ACT)
            t.flags |= NPU_RKN_TF_LUT;
        t.lut_passes = (uint8_t)(npu_rknpu_lut_passes(l->act) > npu_rknpu_lut_passes(npu_op_act(l->op))
                                     ? npu_rknpu_lut_passes(l->act)
                                     : npu_rknpu_lut_passes(npu_op_act(l->op)));
        if (l->nin == 1 && in_sram(c, l))
            t.flags |= NPU_RKN_TF_FEAT_SRAM;
        if (out_sram(c, l))
            t.flags |= NPU_RKN_TF_OUT_SRAM;
        if (tv_push(c, &t))
            return c->err->code;
    }
    return 0;
}

/* The operator of a fused activation (NPU_OP_COUNT: none). */
static npu_op act_op(npu_act a)
{
    for (int op = 0; op < NPU_OP_COUNT; op++)
        if (npu_op_act((npu_op)op) == a)
            return (npu_op)op;
    return NPU_OP_COUNT;
}

static int emit_cpu(lw *c, int pl, int what, npu_opclass cls, npu_op op, int64_t macs,
                    int64_t elems, int64_t rd, int64_t wr)
{
    npu_rkn_cpu r;
    memset(&r, 0, sizeof r);
    r.what = (uint16_t)what;
    r.opclass = (uint16_t)cls;
    r.op = (uint16_t)op;
    r.macs = macs;
    r.elems = elems;
    r.rd_bytes = rd;
    r.wr_bytes = wr;
    if (npu_prog_emit(c->out, NPU_RKN_OP_CPU, NPU_RKN_UNIT_CPU, pl, &r, sizeof r) < 0)
        return oom(c);
    return 0;
}

static const char *engine_name(int place, int note)
{
    switch (place) {
    case PL_CONV:
    case PL_GEMM:
    case PL_DECONV:
        return "CNA";
    case PL_DW:
        return "CNA-dw";
    case PL_DPU:
        return "DPU";
    case PL_PPU:
        return "PPU";
    case PL_CPU:
        return "cpu";
    default:
        return note == NPU_RKN_NOTE_FUSED_EW    ? "DPU-fused"
               : note == NPU_RKN_NOTE_FUSED_PPU ? "PPU-fused"
                                                : "none";
    }
}

/* The CPU's input conversion (NHWC → NC1HWC2, quantize) of every graph input, attached to
 * the first program layer reading it; output conversion after the last job. */
static int io_convert(lw *c, bool input)
{
    const npu_graph *g = c->g;
    int n = input ? g->ninputs : g->noutputs;
    for (int k = 0; k < n; k++) {
        int ti = input ? g->inputs[k] : g->outputs[k];
        if (ti < 0 || ti >= g->nt)
            continue;
        const npu_tensor *t = &g->t[ti];
        int pl = -1;
        if (input) {
            for (int li = 0; li < g->nl && pl < 0; li++) {
                if (c->map[li] < 0)
                    continue;
                for (int q = 0; q < g->l[li].nin; q++)
                    if (g->l[li].in[q] == ti)
                        pl = c->map[li];
            }
        } else if (t->producer >= 0 && t->producer < g->nl) {
            pl = c->map[t->producer];
        }
        if (pl < 0)
            continue;
        int64_t e = npu_tensor_elems(t), nb = native_bytes(c->s, t), b = npu_tensor_bytes(t);
        if (input) {
            /* an integer input only changes layout (NHWC -> NC1HWC2: bytes at the CPU's copy
             * rate; an image with fewer channels than one atom stays unpadded, as the
             * profiler's RW of the first layer shows, research §2.4 row 2); a float input is
             * also quantized (per-element work) */
            bool fl = npu_dtype_is_float(t->dtype);
            int64_t wb =
                (t->ndim == 4 && t->dim[1] * bits_of(t->dtype) / 8 < c->s->atom_bytes) ? b : nb;
            if (emit_cpu(c, pl, NPU_PROG_HOST_INPUT, fl ? NPU_OPC_QUANT : NPU_OPC_DATA,
                         fl ? NPU_OP_QUANTIZE : NPU_OP_TRANSPOSE, 0, e, b, wb))
                return c->err->code;
        } else if (emit_cpu(c, pl, NPU_PROG_HOST_OUTPUT, NPU_OPC_QUANT, NPU_OP_DEQUANTIZE, 0, e, nb,
                            e * 4)) {
            return c->err->code;
        }
    }
    return 0;
}

int npu_rknpu_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err)
{
    const npu_rknpu_state *s = m->state;
    lw c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.out = out;
    c.err = err;
    c.s = s;
    c.sub_ins = -1;
    c.last_submit = -1;
    int rc = 0;
    size_t nl = (size_t)(g->nl > 0 ? g->nl : 1);
    c.map = npu_calloc(nl, sizeof *c.map);
    c.place = npu_calloc(nl, sizeof *c.place);
    c.note = npu_calloc(nl, sizeof *c.note);
    c.into = npu_calloc(nl, sizeof *c.into);
    c.ew = npu_calloc(nl, sizeof *c.ew);
    c.ppu = npu_calloc(nl, sizeof *c.ppu);
    if (!c.map || !c.place || !c.note || !c.into || !c.ew || !c.ppu) {
        rc = oom(&c);
        goto done;
    }
    int np = 0;
    for (int li = 0; li < g->nl; li++) {
        c.into[li] = c.ew[li] = c.ppu[li] = -1;
        c.map[li] = (g->l[li].flags & NPU_LF_DEAD) ? -1 : np++;
        if (c.map[li] >= 0)
            c.place[li] = npu_rknpu_place_layer(&c, li, &c.note[li]);
    }
    if (s->runtime == NPU_RKNPU_RT_RKNN)
        npu_rknpu_fuse(&c);
    /* the program's layer table */
    for (int li = 0; li < g->nl; li++) {
        if (c.map[li] < 0)
            continue;
        const npu_layer *l = &g->l[li];
        bool none = c.place[li] == PL_NOTE;
        int64_t ob = npu_prog_tensors_bytes(g, l->out, l->nout, -1);
        if (c.ppu[li] >= 0)
            ob = npu_prog_tensors_bytes(g, g->l[c.ppu[li]].out, g->l[c.ppu[li]].nout, -1);
        npu_prog_layer pr = {
            .name = l->name,
            .op = l->src_op && c.place[li] == PL_CPU ? l->src_op : npu_op_name(l->op),
            .dtype = (int)l->dtype,
            .macs = l->macs,
            .in_bytes = none ? 0
                             : npu_prog_tensors_bytes(g, l->in, l->nin, NPU_T_ACT) +
                                   npu_prog_tensors_bytes(g, l->in, l->nin, NPU_T_INPUT),
            .out_bytes = none ? 0 : ob,
            .weight_bytes = none ? 0
                                 : npu_dtype_bytes(npu_layer_weight_dtype(g, l), l->params) +
                                       npu_prog_tensors_bytes(g, l->in, l->nin, NPU_T_CONST),
            .engine = engine_name(c.place[li], c.note[li]),
        };
        if (npu_prog_add_layer(out, &pr) < 0) {
            rc = oom(&c);
            goto done;
        }
    }
    /* RKLLM keeps its tensors (KV cache, embeddings) in its own buffers: no conversion */
    bool convert = !s->zerocopy && s->runtime == NPU_RKNPU_RT_RKNN;
    if (convert && (rc = io_convert(&c, true)) != 0)
        goto done;
    unsigned one = 1u << s->first_core;
    /* RKNN runs the model's last NPU layer as a submit of its own (flags 0x1): one inference of
     * MobileNetV1 on one core is 2 submits (research §4.1/§4.2, NOTES ch06) */
    int last_npu = -1;
    for (int li = 0; li < g->nl; li++)
        if (c.map[li] >= 0 && c.place[li] != PL_NOTE && c.place[li] != PL_CPU)
            last_npu = li;
    for (int li = 0; li < g->nl && !rc; li++) {
        if (c.map[li] < 0)
            continue;
        int pl = c.map[li];
        const npu_layer *l = &g->l[li];
        int p = c.place[li];
        if (p == PL_NOTE) {
            npu_rkn_note n = {.what = (uint16_t)c.note[li],
                              .into = c.into[li] >= 0 ? c.map[c.into[li]] : -1};
            if (npu_prog_emit(out, NPU_RKN_OP_NOTE, NPU_RKN_UNIT_NONE, pl, &n, sizeof n) < 0)
                rc = oom(&c);
            continue;
        }
        if (p == PL_CPU) {
            close_submit(&c);
            const npu_layer *L = l;
            int64_t rd = npu_prog_layer_read_bytes(g, L); /* a gather: its rows only */
            int64_t wr = npu_prog_tensors_bytes(g, L->out, L->nout, -1);
            int64_t el = L->op == NPU_OP_GATHER ? out_elems(g, L)
                                                : max64(in_elems(g, L), out_elems(g, L));
            rc = emit_cpu(&c, pl, NPU_PROG_HOST_OP, npu_op_class(L->op), L->op, L->macs, el, rd, wr);
            continue;
        }
        unsigned mask = npu_rknpu_splittable(&c, li) ? s->core_mask : one;
        if (s->irq_mode == NPU_RKNPU_IRQ_TASK)
            mask = one;
        if (c.sub_ins >= 0 && (c.sub_mask != mask || li == last_npu))
            close_submit(&c);
        if (c.sub_ins < 0 && (rc = open_submit(&c, mask, pl, false)) != 0)
            break;
        switch (p) {
        case PL_CONV:
        case PL_DW:
        case PL_DECONV:
        case PL_GEMM:
            rc = lower_conv(&c, li, mask);
            break;
        case PL_PPU:
            rc = lower_unit(&c, li, mask, NPU_RKN_K_PPU);
            break;
        default:
            rc = lower_unit(&c, li, mask, NPU_RKN_K_DPU);
            break;
        }
        if (rc)
            break;
        if (s->irq_mode == NPU_RKNPU_IRQ_TASK) {
            /* rocket: every task is kicked on its own and interrupts on its own; the job's
             * first task comes from the ioctl, the others from the IRQ handler */
            npu_rkn_task *all = c.tv.t;
            size_t nt = c.tv.n;
            c.tv.t = NULL;
            c.tv.n = c.tv.cap = 0;
            for (size_t i = 0; i < nt && !rc; i++) {
                if (c.ntask[all[i].core] > 0) {
                    close_submit(&c);
                    sub_at(&c, c.last_submit)->flags &= (uint16_t)~NPU_RKN_SF_WAKE;
                    rc = open_submit(&c, mask, pl, true);
                }
                if (!rc)
                    rc = tv_push(&c, &all[i]);
                if (!rc)
                    rc = emit_tasks(&c, pl);
            }
            free(all);
        } else {
            rc = emit_tasks(&c, pl);
        }
        if (!rc && npu_rknpu_host_act(s, l)) { /* the CPU applies the activation after the job */
            close_submit(&c);
            int64_t el = out_elems(g, l), b = npu_prog_tensors_bytes(g, l->out, l->nout, -1);
            rc = emit_cpu(&c, pl, NPU_PROG_HOST_OP, NPU_OPC_ACT, act_op(l->act), 0, el, b, b);
        }
    }
    if (rc)
        goto done;
    close_submit(&c);
    /* the last submit of a model runs without ping-pong (flags 0x1, research §4.1) */
    if (c.last_submit >= 0)
        sub_at(&c, c.last_submit)->flags &= (uint16_t)~NPU_RKN_SF_PINGPONG;
    if (convert)
        rc = io_convert(&c, false);
done:
    free(c.tv.t);
    free(c.map);
    free(c.place);
    free(c.note);
    free(c.into);
    free(c.ew);
    free(c.ppu);
    return rc;
}

/* ---- explain -----------------------------------------------------------------------------------
 */

int npu_rknpu_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out)
{
    const npu_rknpu_state *s = m->state;
    if (!p || layer < 0 || layer >= p->nlayers)
        return NPU_EINVAL;
    const npu_prog_layer *L = &p->layers[layer];
    npu_sb_printf(out, "layer %d '%s' (%s, %s) on %s\n", layer, L->name ? L->name : "",
                  L->op ? L->op : "", npu_dtype_name((npu_dtype)L->dtype),
                  L->engine ? L->engine : "");
    int64_t ntask[NPU_RKN_MAX_CORES] = {0}, rd[NPU_RKN_MAX_CORES] = {0},
            wt[NPU_RKN_MAX_CORES] = {0};
    double cyc[NPU_RKN_MAX_CORES] = {0};
    int64_t regs = 0;
    const npu_rkn_task *first = NULL;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].layer != layer)
            continue;
        const npu_rkn_task *t = npu_rkn_payload(p, i, NPU_RKN_OP_TASK, sizeof *t);
        if (t && t->core < NPU_RKN_MAX_CORES) {
            if (!first)
                first = t;
            ntask[t->core]++;
            rd[t->core] += t->feat_rd + t->ew_rd;
            wt[t->core] += t->wt_rd;
            cyc[t->core] +=
                npu_rknpu_task_compute(s, t) + s->task_cycles + s->reg_cycles * t->regcfg_amount;
            regs += t->regcfg_amount;
        }
        npu_sb_puts(out, "  ");
        npu_rkn_disasm(p, i, out);
        npu_sb_putc(out, '\n');
    }
    if (first && (first->kind == NPU_RKN_K_CONV || first->kind == NPU_RKN_K_DW ||
                  first->kind == NPU_RKN_K_DECONV)) {
        npu_sb_printf(out,
                      "CBUF: %u data banks + %u weight banks of %lld KiB; %u row slice(s) "
                      "overlapping by kernel_h - stride = %d row(s); %u weight chunk(s)%s\n",
                      first->data_bank, first->weight_bank, (long long)(s->bank_bytes / 1024),
                      first->nslices, first->kh > first->sh ? first->kh - first->sh : 0,
                      first->nkchunks,
                      first->nkchunks == 1 ? " (weights resident, reused by later slices)" : "");
    }
    for (int k = 0; k < NPU_RKN_MAX_CORES; k++)
        if (ntask[k])
            npu_sb_printf(out,
                          "core %d: %lld task(s), feature+ew %lld B, weights %lld B, "
                          "compute+overhead %.0f cycles\n",
                          k, (long long)ntask[k], (long long)rd[k], (long long)wt[k], cyc[k]);
    if (regs)
        npu_sb_printf(out, "regcmds: %lld entries (%lld bytes fetched by the PC)\n",
                      (long long)regs, (long long)regs * 8);
    return out->oom ? NPU_ENOMEM : 0;
}
