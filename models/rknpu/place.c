/* place.c — where each layer of a graph runs on an RKNPU (prefix npu_rknpu_): the unit
 * (research/rknpu.md §1.7, OPLIST §3.2 limits for RK3588; runtime=rkllm: only matmuls on the
 * NPU, their activations on the CPU, research §3), RKNN's fusions (ConvAdd in the DPU's EW stage,
 * conv + pool in the PPU, DEVTEST profile §2.4) and the multi-core families (OPLIST
 * "多核联合"). The rules are listed in lower.c's header comment and docs/models/rknpu.md §2.
 */
#include <string.h>

#include "lower.h"

bool npu_rknpu_is_view(const npu_layer *l)
{
    return (l->flags & NPU_LF_VIEW) || npu_op_class(l->op) == NPU_OPC_VIEW;
}

/* DPU LUT passes an activation needs over each output element (docs/models/rknpu.md §3):
 * a function of x alone is one pass through the LUT stage; x·g(x) (SiLU = x·σ(x), GELU =
 * x·Φ(x), HardSwish = x·relu6(x+3)/6, Mish = x·tanh(softplus(x))) is a table and an element-wise multiply, and the DPU's
 * stage order BS → BN → EW → LUT (research §1.2) puts the multiply before the table, so the
 * product takes a second pass. ReLU/ReLU6/leaky/PReLU/clip are BS/BN-stage ALU work: none. */
int npu_rknpu_lut_passes(npu_act a)
{
    switch (a) {
    case NPU_ACT_SIGMOID:
    case NPU_ACT_TANH:
    case NPU_ACT_HARDSIGMOID:
        return 1;
    case NPU_ACT_SILU:
    case NPU_ACT_GELU:
    case NPU_ACT_HARDSWISH:
    case NPU_ACT_MISH: /* x·tanh(softplus(x)): a table for g, then the multiply */
        return 2;
    default:
        return 0;
    }
}
bool npu_rknpu_lut_act(npu_act a)
{
    return npu_rknpu_lut_passes(a) > 0;
}

static int consumers(const npu_graph *g, const npu_layer *l)
{
    if (l->nout < 1 || l->out[0] < 0)
        return 0;
    int n = npu_graph_consumers(g, l->out[0], NULL, 0);
    for (int k = 0; k < g->noutputs; k++)
        n += g->outputs[k] == l->out[0];
    return n;
}

/* ---- placement ------------------------------------------------------------------------------ */

int npu_rknpu_place_layer(const lw *c, int li, int *note)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    const npu_rknpu_state *s = c->s;
    *note = 0;
    if (l->flags & NPU_LF_HOST) /* before views: a host op (ONNX TopK …) is an identity in the IR */
        return PL_CPU;
    if (npu_rknpu_is_view(l)) {
        *note = NPU_RKN_NOTE_VIEW;
        return PL_NOTE;
    }
    bool mac_ok = npu_rknpu_mac_rate(s, l->dtype) > 0;
    if (s->runtime == NPU_RKNPU_RT_RKLLM) {
        /* RKLLM: the NPU runs the matmuls, the CPU the rest (norms, RoPE, softmax, the
         * activations: npu_rknpu_host_act). The projections (constant weights) always; in a
         * prefill also the attention's two matmuls Q·Kᵀ and P·V (M = the prompt's tokens per
         * head group: compute, as exMatMul, k ≤ matmul_kmax, not multi-core, OPLIST §3.2).
         * Decode's attention (one token against the KV cache: memory, no reuse) stays on the
         * CPU. ASSUMPTION (docs/models/rknpu.md §6): on the CPU, TinyLlama's 32 heads cost
         * 4.8 ms a layer and its TTFT came out +48 %; RKLLM publishes no schedule. */
        npu_gemm_geom gg;
        if ((l->op == NPU_OP_GEMM || l->op == NPU_OP_MATMUL) && mac_ok &&
            npu_layer_gemm_geom(g, li, &gg) == 0 &&
            (gg.weights_const || (g->prefill && gg.k <= s->matmul_kmax)))
            return PL_GEMM;
        return PL_CPU;
    }
    switch (l->op) {
    case NPU_OP_CONV:
    case NPU_OP_CONVT: {
        npu_conv_geom cg;
        if (!mac_ok || npu_layer_conv_geom(g, li, &cg) != 0)
            return PL_CPU;
        int km = cg.depthwise ? s->dw_kmax : s->conv_kmax;
        int pm = cg.pt > cg.pb ? cg.pt : cg.pb;
        pm = pm > cg.pl ? pm : cg.pl;
        pm = pm > cg.pr ? pm : cg.pr;
        if (cg.kh > km || cg.kw > km || cg.sh > s->conv_smax || cg.sw > s->conv_smax ||
            pm > s->conv_pmax || cg.dh > s->conv_dmax || cg.dw > s->conv_dmax)
            return PL_CPU;
        if (l->op == NPU_OP_CONVT)
            return PL_DECONV;
        return cg.depthwise ? PL_DW : PL_CONV;
    }
    case NPU_OP_GEMM:
        return mac_ok ? PL_GEMM : PL_CPU;
    case NPU_OP_MATMUL: {
        npu_gemm_geom gg;
        if (!mac_ok || npu_layer_gemm_geom(g, li, &gg) != 0 || gg.k > s->matmul_kmax)
            return PL_CPU;
        return PL_GEMM;
    }
    case NPU_OP_MAXPOOL:
    case NPU_OP_AVGPOOL: {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg) != 0 || npu_layer_int(l, "ceil", 0, 0) != 0)
            return PL_CPU;
        if (cg.kh > s->pool_kmax || cg.kw > s->pool_kmax || cg.sh > s->pool_smax ||
            cg.sw > s->pool_smax || cg.c > s->pool_dimmax || cg.h > s->pool_dimmax ||
            cg.w > s->pool_dimmax)
            return PL_CPU;
        return PL_PPU;
    }
    case NPU_OP_GAVGPOOL:
    case NPU_OP_GMAXPOOL: {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg) != 0 || cg.c > s->pool_dimmax ||
            cg.h > s->pool_dimmax || cg.w > s->pool_dimmax)
            return PL_CPU;
        return PL_PPU;
    }
    case NPU_OP_POW:
    case NPU_OP_GATHER:
    case NPU_OP_REDUCE:
        return PL_CPU;
    case NPU_OP_CONCAT: {
        /* channel concat of C2-aligned inputs: producers write into place (TS152 §10) */
        int64_t axis = npu_layer_int(l, "axis", 0, 1);
        const npu_tensor *o = l->nout > 0 && l->out[0] >= 0 ? &g->t[l->out[0]] : NULL;
        if (o && o->ndim == 4 && (axis == 1 || axis == -3)) {
            bool al = true;
            for (int k = 0; k < l->nin; k++) {
                const npu_tensor *t = &g->t[l->in[k]];
                al &= t->kind == NPU_T_ACT && t->ndim == 4 && t->dim[1] % c2_of(s, t->dtype) == 0;
            }
            if (al) {
                *note = NPU_RKN_NOTE_ALIAS;
                return PL_NOTE;
            }
        }
        return PL_DPU;
    }
    case NPU_OP_TRANSPOSE: {
        const npu_tensor *t = l->nin > 0 ? &g->t[l->in[0]] : NULL;
        if (!t || !t->shape_known || t->ndim < 2)
            return PL_CPU;
        int64_t plane = 1;
        if (t->ndim == 4)
            plane = t->dim[2] * t->dim[3];
        else
            for (int k = 1; k < t->ndim - 1; k++)
                plane *= t->dim[k];
        return plane <= s->transpose_max ? PL_DPU : PL_CPU;
    }
    case NPU_OP_RESIZE: {
        const char *mode = npu_layer_str(l, "mode", "nearest");
        return strcmp(mode, "nearest") == 0 ? PL_DPU : PL_CPU;
    }
    default:
        break;
    }
    switch (npu_op_class(l->op)) {
    case NPU_OPC_ELTWISE:
    case NPU_OPC_ACT:
    case NPU_OPC_UNARY:
    case NPU_OPC_NORM:
    case NPU_OPC_DATA:
    case NPU_OPC_QUANT:
        return PL_DPU;
    default:
        return PL_CPU;
    }
}

/* The fusions RKNN makes: ConvAdd (DPU EW) and conv + pool (PPU). */
void npu_rknpu_fuse(lw *c)
{
    const npu_graph *g = c->g;
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (c->map[li] < 0)
            continue;
        if (l->op == NPU_OP_ADD && c->place[li] == PL_DPU && l->nin == 2) {
            const npu_tensor *a = &g->t[l->in[0]], *b = &g->t[l->in[1]];
            if (a->ndim != b->ndim || npu_tensor_elems(a) != npu_tensor_elems(b))
                continue;
            for (int k = 0; k < 2; k++) {
                int p = g->t[l->in[k]].producer, o = g->t[l->in[1 - k]].producer;
                if (p < 0 || c->map[p] < 0 || !(c->place[p] == PL_CONV || c->place[p] == PL_DW))
                    continue;
                if (c->ew[p] >= 0 || c->ppu[p] >= 0 || consumers(g, &g->l[p]) != 1 || o >= p)
                    continue;
                c->ew[p] = li;
                c->place[li] = PL_NOTE;
                c->note[li] = NPU_RKN_NOTE_FUSED_EW;
                c->into[li] = p;
                break;
            }
        } else if ((l->op == NPU_OP_MAXPOOL || l->op == NPU_OP_AVGPOOL) && c->place[li] == PL_PPU &&
                   l->nin >= 1) {
            int p = g->t[l->in[0]].producer;
            if (p < 0 || c->map[p] < 0 || c->place[p] != PL_CONV || c->ew[p] >= 0 ||
                c->ppu[p] >= 0 || consumers(g, &g->l[p]) != 1)
                continue;
            c->ppu[p] = li;
            c->place[li] = PL_NOTE;
            c->note[li] = NPU_RKN_NOTE_FUSED_PPU;
            c->into[li] = p;
        }
    }
}

/* Does the layer split across the cores of a multi-core mask? */
bool npu_rknpu_splittable(const lw *c, int li)
{
    const npu_layer *l = &c->g->l[li];
    if (c->s->ncores < 2 || c->s->irq_mode == NPU_RKNPU_IRQ_TASK)
        return false;
    switch (c->place[li]) {
    case PL_CONV: {
        /* an image-input conv (fewer input channels than one atom, stored unpadded) stays on
         * the first core: in 3-core mode RKNN turns MobileNetV1 into 5 submits, two 0x7 and
         * three core0-only, with 5/2/2 interrupts on cores 0/1/2 (NOTES ch06, research §2.2,
         * §4.2); its only non-splittable layers are the pool and the softmax, so the third
         * core0-only submit must be the first conv, which is the image-input one */
        npu_conv_geom cg;
        if (l->op == NPU_OP_CONV && !npu_layer_conv_geom(c->g, li, &cg) && cg.groups <= 1 &&
            cg.c < c2_of(c->s, l->dtype))
            return false;
        return !npu_rknpu_lut_act(l->act) && c->ppu[li] < 0;
    }
    case PL_DW:
        return !npu_rknpu_lut_act(l->act) && c->ppu[li] < 0;
    case PL_GEMM:
        if (c->s->runtime == NPU_RKNPU_RT_RKLLM) { /* the attention (exMatMul) on one core */
            npu_gemm_geom gg;
            return npu_layer_gemm_geom(c->g, li, &gg) == 0 && gg.weights_const;
        }
        return l->op == NPU_OP_GEMM;
    case PL_DPU:
        return (l->op == NPU_OP_ADD || l->op == NPU_OP_MUL) && !npu_rknpu_lut_act(l->act);
    default:
        return false;
    }
}

bool npu_rknpu_host_act(const npu_rknpu_state *s, const npu_layer *l)
{
    return s->runtime == NPU_RKNPU_RT_RKLLM && l->act != NPU_ACT_NONE;
}
