/* vector.c — Vector and AI CPU kernels of the DaVinci lowering (prefix npu_dvl_): element-wise
 * ops, pooling, reductions and data movement through the Unified Buffer in double-buffered
 * tiles; ops the AI Core lacks as AI CPU kernels. Choices: lower.c's header and
 * docs/models/davinci.md.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* One vector kernel: its GM inputs and output, and the instruction sequence per UB tile. */
typedef struct vkern {
    const char *name;
    npu_op op;
    int seq[24], nseq;
    bool pool, qfused;
    int64_t pool_taps;
    int64_t in_b[8], out_b;
    bool in_l2[8], out_l2;
    double in_part[8];
    int nin;
} vkern;

static int vector_tiles(lw *c, const vkern *v);

int npu_dvl_vector(lw *c, int li)
{
    const npu_davinci_state *s = c->s;
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    int seq[24];
    int nseq = npu_dvl_vec_seq(l->op, l->act, seq, 24);
    bool pool = npu_op_class(l->op) == NPU_OPC_POOL;
    int64_t pool_taps = 0;
    if (l->op == NPU_OP_MAXPOOL || l->op == NPU_OP_AVGPOOL) {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg) == 0)
            pool_taps = npu_dvl_max((int64_t)cg.kh * cg.kw, 1);
        else
            pool_taps = 1;
    }
    int64_t out_b = 0, in_b[8] = {0};
    int nin = 0;
    bool in_l2[8] = {0};
    double in_part[8] = {0};
    for (int i = 0; i < l->nin && nin < 8; i++) {
        int t = l->in[i];
        if (t < 0 || t >= g->nt || g->t[t].kind == NPU_T_CONST)
            continue;
        in_l2[nin] = npu_dvl_tensor_l2(c, t);
        in_part[nin] = npu_dvl_tensor_l2_part(c, t);
        in_b[nin++] = npu_dvl_tbytes_c0(g, t, s->cube_k);
    }
    bool out_l2 = false;
    for (int i = 0; i < l->nout; i++) {
        out_b += npu_dvl_tbytes_c0(g, l->out[i], s->cube_k);
        out_l2 |= npu_dvl_tensor_l2(c, l->out[i]);
    }
    /* a fused AscendQuant: the kernel writes the int8 copy too (instead of its fp16 output
     * when the quantize is that output's only reader) */
    bool qfused = c->quant && c->quant[li] >= 0;
    if (qfused) {
        int qo = g->l[c->quant[li]].out[0];
        if (!(l->nout == 1 && npu_dvl_read_besides_quant(g, l->out[0])))
            out_b = 0;
        out_b += npu_dvl_tbytes_c0(g, qo, s->cube_k);
        out_l2 |= npu_dvl_tensor_l2(c, qo);
    }
    /* Without AIPP the OM's input is the framework's tensor as exported — fp32 NCHW from ONNX,
     * ATC's default without --input_fp16_nodes — and ATC puts a Cast + TransData kernel in
     * front of the first conv: it reads 4 B per element and writes fp16 NC1HWC0, the channels
     * padded to C0 (3 → 16 for an image). The graph's own input conversion layer stands for
     * it; with AIPP it is absorbed (the frame goes to the first conv directly). */
    if (s->aipp == NPU_DV_AIPP_NONE && npu_op_class(l->op) == NPU_OPC_QUANT && nin == 1 &&
        npu_dvl_is_input(g, l->in[0]) && l->nout == 1 && g->t[l->in[0]].ndim == 4) {
        const npu_tensor *it = &g->t[l->in[0]];
        int64_t el = npu_tensor_elems(it), ch = it->dim[1];
        in_b[0] = el * 4;
        out_b = ch > 0 ? el / ch * npu_dvl_rup(ch, s->cube_k) * 2 : out_b;
    }
    vkern v = {.name = l->name, .op = l->op, .nseq = nseq, .pool = pool, .qfused = qfused,
               .pool_taps = pool_taps, .out_b = out_b, .out_l2 = out_l2, .nin = nin};
    memcpy(v.seq, seq, sizeof seq);
    memcpy(v.in_b, in_b, sizeof in_b);
    memcpy(v.in_l2, in_l2, sizeof in_l2);
    memcpy(v.in_part, in_part, sizeof in_part);
    return vector_tiles(c, &v);
}

/* An activation ATC does not fuse into the Cube kernel that produces tensor t (the preset's
 * fused_acts, lower.c): a vector kernel of its own that reads t back, applies `act` and writes
 * it again — its own launch and its own UB <-> GM round trip. */
int npu_dvl_act_kernel(lw *c, int li, int t, npu_act act)
{
    const npu_graph *g = c->g;
    vkern v = {.name = g->l[li].name, .op = NPU_OP_IDENTITY, .nin = 1};
    v.nseq = npu_dvl_vec_seq(NPU_OP_IDENTITY, act, v.seq, 24);
    v.in_b[0] = v.out_b = npu_dvl_tbytes_c0(g, t, c->s->cube_k);
    v.in_l2[0] = v.out_l2 = npu_dvl_tensor_l2(c, t);
    v.in_part[0] = npu_dvl_tensor_l2_part(c, t);
    return vector_tiles(c, &v);
}

/* The kernel of v: the output cut into UB tiles (inputs and output double-buffered), tiles
 * spread over the cores; per tile MTE2 brings the inputs, V runs the sequence, MTE3 writes. */
static int vector_tiles(lw *c, const vkern *v)
{
    const npu_davinci_state *s = c->s;
    int nin = v->nin, nseq = v->nseq;
    const int64_t *in_b = v->in_b, out_b = v->out_b;
    int64_t pool_taps = v->pool_taps;
    int64_t in_tot = 0;
    for (int i = 0; i < nin; i++)
        in_tot += in_b[i];
    /* the side that drives the vector work: pooling/reductions read more than they write */
    int64_t work = npu_dvl_max(out_b, in_tot / npu_dvl_max(nin, 1));
    if (work <= 0)
        work = 32;
    int nb = s->double_buffer ? 2 : 1;
    int nbuf = (nin > 0 ? nin : 1) + 1;
    /* UB tile of the output side: inputs scale with their share; 32-byte aligned */
    double ratio = (double)(in_tot + out_b) / (double)work;
    int64_t tile = (int64_t)((double)s->ub / (double)nb / (ratio > 1 ? ratio : (double)nbuf));
    tile = tile / 256 * 256;
    if (tile < 256)
        tile = 256;
    int64_t ntiles = npu_dvl_cdiv(work, tile);
    if ((double)ntiles * (double)(nseq + 10) > 8 * NPU_DV_MAX_STEPS)
        return npu_err_set(c->err, NPU_EINVAL,
                           "davinci: layer '%s': %lld UB tiles exceed the "
                           "simulator's limit",
                           v->name, (long long)ntiles);
    if (npu_dvl_jobs(c, v->name, (double)ntiles, "UB tiles"))
        return c->err->code;
    int64_t bd = npu_dvl_min(s->cores, ntiles);
    npu_dv_kernel k;
    memset(&k, 0, sizeof k);
    k.block_dim = (uint32_t)bd;
    k.split_m = (uint32_t)bd;
    k.split_n = 1;
    k.ub_tile_bytes = tile;
    k.ub_db = nb;
    k.groups = ntiles;
    size_t kidx = npu_dvl_kernel_header(c, &k);
    if (kidx == (size_t)-1)
        return npu_dvl_oom(c);
    c->ninstr = 0;
    int64_t rd = 0, wr = 0, l2rd = 0;
    for (int64_t core = 0; core < bd; core++) {
        if (npu_dvl_block_begin(c, (int)core, false))
            return c->err->code;
        for (int64_t t = core; t < ntiles; t += bd) {
            long sidx = npu_dvl_scalar_begin(c);
            if (sidx < 0)
                return c->err->code;
            int64_t wt = npu_dvl_min(tile, work - t * tile);
            double f = (double)wt / (double)work;
            unsigned u = c->slot_ub++ % (unsigned)nb;
            if (npu_dvl_waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u))
                return c->err->code;
            for (int i = 0; i < nin; i++) {
                int64_t b = (int64_t)llround((double)in_b[i] * f);
                if (b <= 0)
                    continue;
                rd += b;
                if (npu_dvl_gm_read(c, NPU_DV_OP_COPY_GM_UB, b, 0, v->in_l2[i], v->in_part[i], u, &l2rd))
                    return c->err->code;
            }
            if (npu_dvl_setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u) ||
                npu_dvl_waitf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u) ||
                npu_dvl_waitf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
                return c->err->code;
            int64_t ob = (int64_t)llround((double)out_b * f);
            if (pool_taps > 0) {
                /* window pooling: one vmax (vadd) pass over the output tile per window tap,
                 * accumulating in place (dependent: barriers), avgpool scales at the end */
                for (int64_t tap = 0; tap < pool_taps; tap++)
                    if ((tap > 0 && npu_dvl_vbarrier(c)) ||
                        npu_dvl_vec(c, v->op == NPU_OP_MAXPOOL ? NPU_DV_V_MAX : NPU_DV_V_ADD,
                                    ob > 0 ? ob : 32, u))
                        return c->err->code;
                if (v->op == NPU_OP_AVGPOOL &&
                    (npu_dvl_vbarrier(c) || npu_dvl_vec(c, NPU_DV_V_MULS, ob > 0 ? ob : 32, u)))
                    return c->err->code;
            } else if (v->op == NPU_OP_GAVGPOOL || v->op == NPU_OP_GMAXPOOL) {
                /* global pooling: a reduction over the input tile, then the scale */
                if (npu_dvl_vec(c, NPU_DV_V_REDUCE, wt, u) ||
                    (v->op == NPU_OP_GAVGPOOL &&
                     (npu_dvl_vbarrier(c) || npu_dvl_vec(c, NPU_DV_V_MULS, ob > 0 ? ob : 32, u))))
                    return c->err->code;
            }
            for (int q = 0; q < nseq; q++)
                if (((q > 0 || pool_taps > 0) && npu_dvl_vbarrier(c)) ||
                    npu_dvl_vec(c, v->seq[q], wt, u))
                    return c->err->code;
            if (v->qfused && npu_dvl_vbarrier(c)) /* the fused AscendQuant's vconv follows */
                return c->err->code;
            if (v->qfused && npu_dvl_vec(c, NPU_DV_V_CONV, ob > 0 ? ob : wt, u))
                return c->err->code;
            if (nseq == 0 && !v->pool && npu_dvl_vec(c, NPU_DV_V_COPY, ob > 0 ? ob : wt, u))
                return c->err->code; /* data movement: UB-to-UB rearrangement */
            if (npu_dvl_setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u) ||
                npu_dvl_setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u) ||
                npu_dvl_waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u))
                return c->err->code;
            wr += ob;
            if (npu_dvl_copy(c, NPU_DV_OP_COPY_UB_GM, NPU_DV_PIPE_MTE3, ob, 0, v->out_l2, u, 0) ||
                npu_dvl_setf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
                return c->err->code;
            npu_dvl_scalar_end(c, sidx);
        }
        if (npu_dvl_block_end(c, false))
            return c->err->code;
    }
    npu_dv_kernel *kp = npu_dvl_kernel_at(c, kidx);
    kp->ninstr = c->ninstr;
    kp->gm_rd_bytes = rd;
    kp->gm_wr_bytes = wr;
    kp->l2_rd_bytes = l2rd;
    return 0;
}

/* ---- AI CPU kernels -------------------------------------------------------------------------- */

int npu_dvl_aicpu(lw *c, int li, bool hostpre)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    npu_dv_kernel k;
    memset(&k, 0, sizeof k);
    k.flags = NPU_DV_KF_AICPU;
    if (!hostpre && npu_dvl_kernel_header(c, &k) == (size_t)-1)
        return npu_dvl_oom(c);
    npu_dv_ins d = {0};
    int64_t rd = 0, wr = 0, oe = 0;
    /* a gather (the embedding lookup of an LLM, int64 token ids) reads only its rows */
    rd = npu_prog_layer_read_bytes(g, l);
    for (int i = 0; i < l->nout; i++) {
        wr += npu_dvl_tbytes(g, l->out[i]);
        if (l->out[i] >= 0 && l->out[i] < g->nt)
            oe += npu_dvl_max(npu_tensor_elems(&g->t[l->out[i]]), 0);
    }
    d.kind = (uint16_t)l->op;
    d.macs = l->macs;
    d.aux = (uint64_t)oe;
    d.bytes = (uint64_t)(rd + wr);
    d.m = (uint32_t)npu_dvl_min(rd, UINT32_MAX);
    if (hostpre) {
        /* static AIPP done on the host: read the source frame, CSC + normalise, write fp16 */
        int t = l->in[0];
        int64_t px = g->t[t].ndim == 4 ? g->t[t].dim[0] * g->t[t].dim[2] * g->t[t].dim[3] : 0;
        int64_t src = (int64_t)llround((double)px * c->s->aipp_src_bpp);
        d.flags = NPU_DV_F_HOST_AIPP;
        d.aux = (uint64_t)llround((double)npu_dvl_tbytes(g, t) / 2.0 * c->s->aipp_cpu_ops);
        d.m = (uint32_t)npu_dvl_min(src, UINT32_MAX);
        d.bytes = (uint64_t)(src + npu_dvl_tbytes(g, t));
        d.kind = (uint16_t)NPU_OP_ADD;
        d.macs = 0;
    }
    c->core = 0;
    return npu_dvl_em(c, NPU_DV_OP_AICPU, NPU_DV_PIPE_AICPU, &d);
}
