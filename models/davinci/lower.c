/* lower.c — lowering a graph to DaVinci instruction streams (prefix npu_davinci_).
 *
 * Placement (research §2.4): a layer runs on the AI Cores unless it is marked for the host,
 * reads or writes int64 (AI Core ops have no int64), or is an op the AI Core lacks; those run as
 * AI CPU kernels. Views (reshape, flatten...) emit nothing.
 *
 * Every AI Core kernel is one KERNEL header (what the Task Scheduler launches: block dim,
 * tiling) followed by the instruction stream of each block, in the order the Scalar unit
 * issues it. Buffers are handed between pipes with set_flag/wait_flag exactly as TBE and
 * Ascend C kernels do (research §2.2, §2.3): a producer pipe waits the buffer's "free" flag
 * (consumer → producer), fills it and sets its "ready" flag (producer → consumer); the consumer
 * waits "ready", uses the buffer and sets "free". The free flags are set once in the prologue
 * and consumed in the epilogue, so every flag is 0 between kernels (binary semaphores).
 * Event ids: operand A (L1) 0/1, operand B (L1) 2/3, L0 ping-pong 0/1, L0C 0/1, UB 0/1.
 *
 * Cube kernels (conv, convt, gemm, matmul): a GEMM view per group, M = output pixels, K = input
 * channels (padded to C0 = one fractal's K, the NC1HWC0 layout) × kernel taps, N = output
 * channels (padded to the fractal N). Depthwise convs run on the Cube as TBE does, one
 * C0-channel block per group with a diagonal weight fractal (K = taps × C0, N = C0): the Cube
 * does C0 times the useful work — why depthwise layers are slow on DaVinci.
 *   block split: output rows (M) over the AI Cores first, then N;
 *   L0 tile: m×n maximal with the L0C half (fp32, or fp16 with fp16_acc), then the largest k
 *     with m×k in an L0A half and k×n in an L0B half;
 *   L1 tile: A = the input rows an m tile needs (img2col happens in MTE1 from L1, so K is not
 *     expanded in L1), B = K × n weights; both double-buffered; if they do not fit, K is cut
 *     into chunks (both operands re-loaded per output tile);
 *   loop order: M outer (weights re-fetched per m tile unless all fit in L1 — "resident") or N
 *     outer (input re-fetched per n tile unless resident), whichever moves fewer GM bytes.
 *   Per output tile: MTE2 loads, MTE1 Load3D/Load2D per k step into L0 ping-pong, M mad per k
 *   step, then V moves L0C → UB (fp32→fp16, bias, ReLU on the way), fused activations on V,
 *   MTE3 writes UB → GM.
 * Vector kernels: the output is cut into UB tiles (inputs and output double-buffered in UB),
 * tiles spread over the cores; per tile MTE2 brings the inputs, V runs the op's instruction
 * sequence in repeats of 256 B (≤ 255 per instruction), MTE3 writes back.
 * L2 (research §1.6): an activation written by an AI Core kernel that fits in half of L2 is
 * read back by its consumers from L2 (hit); inputs and weights come from DDR; of a larger
 * activation the share (L2/2)/size still in L2 hits, the rest comes from DDR.
 * Residual adds are fused into the epilogue of the conv producing one of their inputs (ATC's
 * UB fusion, fusable_conv); without AIPP the graph's input conversion is ATC's Cast +
 * TransData kernel reading the fp32 NCHW input (lower_vector).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "davinci.h"

/* Largest number of k steps (cube) or tile operations (vector) of one layer: ~8 instructions
 * each; ResNet-50 has ~7000 in all. */
#define NPU_DV_MAX_STEPS 5e5

typedef struct lw {
    const npu_davinci_state *s;
    const npu_graph *g;
    npu_program *out;
    npu_err *err;
    int32_t layer;
    int core;
    int64_t ninstr;
    uint8_t *in_l2;   /* per tensor: lives in L2 */
    uint8_t *on_core; /* per tensor: written by an AI Core kernel (its lines pass through L2) */
    int first_mac;    /* graph layer index of the AIPP layer, -1 */
    int *fuse_add;    /* per layer: the residual add fused into this conv's epilogue, -1 */
    int *deq;         /* per Cube layer: the dequantize folded into its L0C -> UB move, -1 */
    int *deq_src;     /* per dequantize layer: the Cube layer it is folded into, -1 */
    int *quant;       /* per AI Core kernel layer: the quantize fused into its epilogue, -1 */
    bool res_add;     /* the current kernel loads a residual into UB (V -> MTE2 free flags) */
    /* per-core flag slot counters */
    unsigned slot_op[2], slot_l0, slot_c, slot_ub;
    int issued;       /* instructions since the last SCALAR */
} lw;

static int oom(lw *c) { return npu_err_set(c->err, NPU_ENOMEM, "davinci: out of memory"); }

static int em(lw *c, int op, int pipe, npu_dv_ins *d)
{
    d->core = (uint16_t)c->core;
    long r;
    if (npu_dv_is_short((unsigned)op)) {
        npu_dv_sync sy = {.core = d->core, .pipe2 = d->pipe2, .event = d->event, .pad = 0};
        r = npu_prog_emit(c->out, (uint16_t)op, (uint16_t)pipe, c->layer, &sy, sizeof sy);
    } else {
        r = npu_prog_emit(c->out, (uint16_t)op, (uint16_t)pipe, c->layer, d, sizeof *d);
    }
    if (r < 0)
        return oom(c);
    c->ninstr++;
    c->issued++;
    return 0;
}

static int setf(lw *c, int src, int dst, int id)
{
    npu_dv_ins d = {0};
    d.pipe2 = (uint8_t)dst;
    d.event = (uint8_t)id;
    return em(c, NPU_DV_OP_SET_FLAG, src, &d);
}

static int waitf(lw *c, int src, int dst, int id)
{
    npu_dv_ins d = {0};
    d.pipe2 = (uint8_t)src;
    d.event = (uint8_t)id;
    return em(c, NPU_DV_OP_WAIT_FLAG, dst, &d);
}

static int simple(lw *c, int op, int pipe)
{
    npu_dv_ins d = {0};
    return em(c, op, pipe, &d);
}

/* A tile iteration starts with the Scalar unit's address/loop arithmetic for the instructions
 * it then issues: emitted first, its count patched by scalar_end() when the tile is complete. */
static long scalar_begin(lw *c)
{
    npu_dv_ins d = {0};
    d.repeat = 1;
    long idx = (long)c->out->n;
    if (em(c, NPU_DV_OP_SCALAR, NPU_DV_PIPE_S, &d))
        return -1;
    c->issued = 0;
    return idx;
}

static void scalar_end(lw *c, long idx)
{
    npu_dv_ins *d = (npu_dv_ins *)(void *)(c->out->data + c->out->ins[idx].off);
    d->repeat = (uint32_t)(c->issued > 0 ? c->issued : 1);
}

static int copy(lw *c, int op, int pipe, int64_t bytes, int64_t run, bool l2, unsigned buf,
                uint64_t aux)
{
    npu_dv_ins d = {0};
    d.bytes = (uint64_t)(bytes > 0 ? bytes : 0);
    d.run = (uint32_t)(run > 0 && run < bytes ? (run > UINT32_MAX ? UINT32_MAX : run) : 0);
    d.mem = l2 ? NPU_DV_MEM_L2 : NPU_DV_MEM_DDR;
    d.buf = buf;
    d.aux = aux;
    return em(c, op, pipe, &d);
}

static int vec(lw *c, int kind, int64_t bytes, unsigned buf)
{
    /* one instruction per <= 255 repeats of 256 B (research §1.3) */
    int64_t reps = (bytes + 255) / 256;
    if (reps < 1)
        reps = 1;
    while (reps > 0) {
        int64_t r = reps > 255 ? 255 : reps;
        npu_dv_ins d = {0};
        d.kind = (uint16_t)kind;
        d.repeat = (uint32_t)r;
        d.bytes = (uint64_t)(r * 256 < bytes ? r * 256 : bytes);
        d.buf = buf;
        if (em(c, NPU_DV_OP_VEC, NPU_DV_PIPE_V, &d))
            return c->err->code;
        bytes -= r * 256;
        reps -= r;
    }
    return 0;
}

/* pipe_barrier(PIPE_V) between dependent vector instructions (research §2.2: the pipe issues
 * back to back and only a barrier resolves a read-after-write; TBE/Ascend C insert it). */
static int vbarrier(lw *c)
{
    npu_dv_ins d = {0};
    d.pipe2 = NPU_DV_PIPE_V;
    return em(c, NPU_DV_OP_BARRIER, NPU_DV_PIPE_V, &d);
}

static int64_t cdiv(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }
static int64_t rup(int64_t a, int64_t b) { return cdiv(a, b) * b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static int root_tensor(const npu_graph *g, int t)
{
    for (int guard = 0; t >= 0 && t < g->nt && g->t[t].view_of >= 0 && guard < 1000; guard++)
        t = g->t[t].view_of;
    return t;
}

static bool tensor_l2(const lw *c, int t)
{
    t = root_tensor(c->g, t);
    return t >= 0 && t < c->g->nt && c->in_l2[t];
}

static int64_t tbytes(const npu_graph *g, int t);
static bool is_input(const npu_graph *g, int t);

/* L2 capacity per batch (research §1.5, §1.6): an activation an AI Core kernel wrote that is
 * larger than half of L2 goes to DDR, but the L2 is a cache, so the part written last — the
 * half of L2 a tensor may use — is still there when the next kernel reads it. The share of
 * its reads that hit: (L2/2) / size; 0 for inputs, AI CPU outputs and tensors that fit (those
 * are all-or-nothing, tensor_l2). This is what makes a large batch slower per image once its
 * activations outgrow the L2. */
static double tensor_l2_part(const lw *c, int t)
{
    t = root_tensor(c->g, t);
    if (t < 0 || t >= c->g->nt || c->in_l2[t] || !c->on_core || !c->on_core[t] || c->s->l2 <= 0)
        return 0;
    int64_t b = tbytes(c->g, t);
    return b > 0 ? min64(c->s->l2 / 2, b) / (double)b : 0;
}

/* A GM read of `bytes` of tensor data on MTE2 into L1 (op COPY_GM_L1) or UB: as one transfer
 * from L2 or DDR, or, for a tensor partly left in L2 (`part` of it hits), as an L2 transfer
 * and a DDR transfer. Adds the L2 bytes to *l2b. */
static int gm_read(lw *c, int op, int64_t bytes, int64_t run, bool l2, double part, unsigned buf,
                   int64_t *l2b)
{
    if (l2 || part <= 0 || bytes <= 0) {
        if (l2)
            *l2b += bytes;
        return copy(c, op, NPU_DV_PIPE_MTE2, bytes, run, l2, buf, 0);
    }
    int64_t h = (int64_t)llround((double)bytes * part);
    *l2b += h;
    if (h > 0 && copy(c, op, NPU_DV_PIPE_MTE2, h, run, true, buf, 0))
        return c->err->code;
    return bytes - h > 0 ? copy(c, op, NPU_DV_PIPE_MTE2, bytes - h, run, false, buf, 0) : 0;
}

/* Whether the float output t of a kernel with a fused AscendQuant is read by something besides
 * that quantize (another layer, or the graph's output): the kernel then writes its float tile
 * as well as the int8 one. */
static bool read_besides_quant(const npu_graph *g, int t)
{
    int use[2];
    return npu_graph_consumers(g, t, use, 2) > 1 || npu_graph_is_output(g, t);
}

static int64_t tbytes(const npu_graph *g, int t)
{
    if (t < 0 || t >= g->nt)
        return 0;
    int64_t b = npu_tensor_bytes(&g->t[t]);
    return b > 0 ? b : 0;
}

/* Vector instructions of an op (research §1.3: one pass over the data per instruction). */
static int vec_seq(npu_op op, npu_act act, int *seq, int max)
{
    int n = 0;
#define P(k) do { if (n < max) seq[n++] = (k); } while (0)
    switch (op) {
    case NPU_OP_ADD: P(NPU_DV_V_ADD); break;
    case NPU_OP_SUB: P(NPU_DV_V_SUB); break;
    case NPU_OP_MUL: P(NPU_DV_V_MUL); break;
    case NPU_OP_DIV: P(NPU_DV_V_DIV); break;
    case NPU_OP_MAX: P(NPU_DV_V_MAX); break;
    case NPU_OP_MIN: P(NPU_DV_V_MIN); break;
    case NPU_OP_POW: P(NPU_DV_V_LN); P(NPU_DV_V_MUL); P(NPU_DV_V_EXP); break;
    case NPU_OP_EXP: P(NPU_DV_V_EXP); break;
    case NPU_OP_SQRT: P(NPU_DV_V_SQRT); break;
    case NPU_OP_RECIPROCAL: P(NPU_DV_V_REC); break;
    /* erf has no vector instruction; ASSUMPTION: a sigmoid-like sequence (exp, add, reciprocal) */
    case NPU_OP_ERF: P(NPU_DV_V_MULS); P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_REC); break;
    case NPU_OP_SOFTPLUS: P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_LN); break;
    case NPU_OP_ABS: P(NPU_DV_V_ABS); break;
    case NPU_OP_NEG: P(NPU_DV_V_MULS); break;
    case NPU_OP_CAST: P(NPU_DV_V_CONV); break;
    case NPU_OP_QUANTIZE:
    case NPU_OP_DEQUANTIZE: P(NPU_DV_V_MULS); P(NPU_DV_V_CONV); break;
    case NPU_OP_BATCHNORM: P(NPU_DV_V_MUL); P(NPU_DV_V_ADD); break;
    case NPU_OP_SOFTMAX:
        P(NPU_DV_V_REDUCE); P(NPU_DV_V_SUB); P(NPU_DV_V_EXP); P(NPU_DV_V_REDUCE);
        P(NPU_DV_V_DIV); break;
    case NPU_OP_LAYERNORM:
        P(NPU_DV_V_REDUCE); P(NPU_DV_V_SUB); P(NPU_DV_V_MUL); P(NPU_DV_V_REDUCE);
        P(NPU_DV_V_SQRT); P(NPU_DV_V_DIV); P(NPU_DV_V_MUL); P(NPU_DV_V_ADD); break;
    case NPU_OP_RMSNORM:
        P(NPU_DV_V_MUL); P(NPU_DV_V_REDUCE); P(NPU_DV_V_SQRT); P(NPU_DV_V_DIV);
        P(NPU_DV_V_MUL); break;
    case NPU_OP_REDUCE: P(NPU_DV_V_REDUCE); break;
    case NPU_OP_TRANSPOSE: P(NPU_DV_V_COPY); break;
    case NPU_OP_RESIZE: P(NPU_DV_V_MUL); P(NPU_DV_V_ADD); P(NPU_DV_V_MUL); P(NPU_DV_V_ADD); break;
    default: break; /* pure data movement through the UB */
    }
    npu_act a = npu_op_act(op);
    if (a == NPU_ACT_NONE)
        a = act;
    switch (a) {
    case NPU_ACT_RELU: P(NPU_DV_V_RELU); break;
    case NPU_ACT_RELU6:
    case NPU_ACT_CLIP: P(NPU_DV_V_MAX); P(NPU_DV_V_MIN); break;
    case NPU_ACT_LEAKY:
    case NPU_ACT_PRELU: P(NPU_DV_V_MULS); P(NPU_DV_V_MAX); break;
    case NPU_ACT_SIGMOID: P(NPU_DV_V_MULS); P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_REC); break;
    case NPU_ACT_TANH:
        P(NPU_DV_V_MULS); P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_REC); P(NPU_DV_V_MULS);
        break;
    case NPU_ACT_HARDSWISH: P(NPU_DV_V_ADDS); P(NPU_DV_V_MAX); P(NPU_DV_V_MIN); P(NPU_DV_V_MUL); break;
    case NPU_ACT_HARDSIGMOID: P(NPU_DV_V_MULS); P(NPU_DV_V_MAX); P(NPU_DV_V_MIN); break;
    case NPU_ACT_SILU:
        P(NPU_DV_V_MULS); P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_REC); P(NPU_DV_V_MUL);
        break;
    case NPU_ACT_MISH: /* x·tanh(softplus(x)): softplus, then tanh, then the product */
        P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_LN);
        P(NPU_DV_V_MULS); P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_REC); P(NPU_DV_V_MULS);
        P(NPU_DV_V_MUL);
        break;
    case NPU_ACT_GELU:
        P(NPU_DV_V_MUL); P(NPU_DV_V_MULS); P(NPU_DV_V_EXP); P(NPU_DV_V_ADDS); P(NPU_DV_V_REC);
        P(NPU_DV_V_MUL); P(NPU_DV_V_MUL); break;
    default: break;
    }
#undef P
    return n;
}

static size_t kernel_header(lw *c, const npu_dv_kernel *k)
{
    size_t idx = c->out->n;
    if (npu_prog_emit(c->out, NPU_DV_OP_KERNEL, NPU_DV_PIPE_TS, c->layer, k, sizeof *k) < 0)
        return (size_t)-1;
    return idx;
}

static npu_dv_kernel *kernel_at(lw *c, size_t idx)
{
    return (npu_dv_kernel *)(void *)(c->out->data + c->out->ins[idx].off);
}

/* The initial "free" flags of every buffer ring a block uses: `flag` is setf in the prologue
 * (the buffers start free) and waitf in the epilogue (all buffers drained), so both walk one
 * list. */
static int free_flags(lw *c, bool cube, int (*flag)(lw *, int, int, int))
{
    int nb = c->s->double_buffer ? 2 : 1;
    for (int b = 0; b < nb; b++) {
        if (cube) {
            if (flag(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_MTE2, b) ||
                flag(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_MTE2, 2 + b) ||
                flag(c, NPU_DV_PIPE_M, NPU_DV_PIPE_MTE1, b) ||
                flag(c, NPU_DV_PIPE_V, NPU_DV_PIPE_M, b))
                return c->err->code;
            if (c->res_add && flag(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, b))
                return c->err->code;
        } else if (flag(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, b)) {
            return c->err->code;
        }
        if (flag(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, b))
            return c->err->code;
    }
    return 0;
}

/* Prologue of a block: BEGIN on S and the initial "free" flags. */
static int block_begin(lw *c, int core, bool cube)
{
    c->core = core;
    memset(c->slot_op, 0, sizeof c->slot_op);
    c->slot_l0 = c->slot_c = c->slot_ub = 0;
    if (simple(c, NPU_DV_OP_BEGIN, NPU_DV_PIPE_S))
        return c->err->code;
    return free_flags(c, cube, setf);
}

/* Epilogue: consume the free flags, END on every pipe. */
static int block_end(lw *c, bool cube)
{
    if (free_flags(c, cube, waitf))
        return c->err->code;
    for (int p = 0; p < NPU_DV_NPIPES; p++)
        if (simple(c, NPU_DV_OP_END, p))
            return c->err->code;
    return 0;
}

/* ---- cube kernels ---------------------------------------------------------------------------- */

typedef struct gemm_plan {
    bool conv, depthwise, aipp;
    int64_t groups, M, K, N;        /* padded, per group                                    */
    int64_t cin_g;                  /* conv: input channels per group (padded to C0)        */
    int64_t taps;                   /* conv: kh·kw                                          */
    int64_t W, Wo, sh, kh, dh, H;   /* conv geometry for A rows                             */
    int64_t sw, kw, dw;
    int64_t bpe, accb, obpe;        /* input, L0C, output bytes per element                 */
    int64_t wbpe;                   /* weight bytes per element in GM and L1 (mixed
                                       precision: narrower than bpe; widened into L0B)      */
    int64_t m0, k0, n0;
    int64_t split_m, split_n, Mc, Nc;
    int64_t m_l0, k_l0, n_l0, k_l1;
    bool n_outer, a_res, b_res;
    int64_t gm_rd, gm_wr, l2_rd;
    int nvec;                       /* fused activation vector instructions                 */
    int vseq[16];
    bool res;                       /* residual add fused: load the shortcut tile into UB,  */
    bool res_l2;                    /* add it (and the add's activation) before MTE3        */
    double res_part, a_part;        /* share of shortcut / input reads that hit L2 (partly
                                       resident tensors, tensor_l2_part)                    */
    int nres;
    bool quant;                     /* a quantize fused in the epilogue (AscendQuant): the   */
    bool qdual;                     /* tile is also written in int8 (qdual: fp16 as well)    */
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
        return max64(kr, 1) * max64(cols, 1) * ch * P->bpe;
    }
    int64_t orow = cdiv(rows, P->Wo) + 1;
    if (orow > cdiv(P->M, P->Wo))
        orow = cdiv(P->M, P->Wo);
    int64_t irow = (orow - 1) * P->sh + (P->kh - 1) * P->dh + 1;
    if (irow > P->H)
        irow = P->H;
    if (irow < 1)
        irow = 1;
    return irow * P->W * ch * P->bpe;
}

static int64_t b_bytes(const gemm_plan *P, int64_t kc, int64_t n) { return kc * n * P->wbpe; }

/* Fills the L0/L1 plan of P for an m × n L0 tile and returns the estimated cycles of the
 * block's tile loop, or -1 when the tile does not fit. */
static double eval_tile(lw *c, gemm_plan *P, int64_t m, int64_t n)
{
    const npu_davinci_state *s = c->s;
    int db = s->double_buffer ? 2 : 1;
    int64_t l0a = s->l0a / db, l0b = s->l0b / db, l0c = s->l0c / db, l1 = s->l1;
    if (m * n * P->accb > l0c || m * P->k0 * P->bpe > l0a || P->k0 * n * P->bpe > l0b)
        return -1;
    P->m_l0 = m;
    P->n_l0 = n;
    int64_t k = min64(l0a / (m * P->bpe), l0b / (n * P->bpe));
    k = min64(k / P->k0 * P->k0, P->K);
    P->k_l0 = max64(k, P->k0);
    /* L1: K chunk (conv: whole channel blocks of all taps) */
    int64_t kunit = P->conv && !P->depthwise ? P->k0 * P->taps : P->k0;
    if (kunit > P->K)
        kunit = P->K;
    int64_t kc = P->K;
    while (kc > kunit && db * (a_bytes(P, m, kc) + b_bytes(P, kc, n)) > l1)
        kc = max64(rup(kc / 2, kunit), kunit);
    if (db * (a_bytes(P, m, kc) + b_bytes(P, kc, n)) > l1)
        return -1;
    P->k_l1 = kc;
    if (P->k_l0 > kc)
        P->k_l0 = kc;
    /* loop order and residency (only without a K split) */
    int64_t nmt = cdiv(P->Mc, m), nnt = cdiv(P->Nc, n);
    /* all m tiles but the last are full (closed form: M may be huge) */
    int64_t a_tot = (nmt - 1) * a_bytes(P, m, P->K) + a_bytes(P, P->Mc - (nmt - 1) * m, P->K);
    int64_t b_tot = b_bytes(P, P->K, P->Nc);
    int64_t a1 = a_bytes(P, m, kc), b1 = b_bytes(P, kc, n);
    double gm;
    double loads;
    P->a_res = P->b_res = P->n_outer = false;
    if (kc < P->K) {
        gm = (double)a_tot * (double)nnt + (double)b_tot * (double)nmt;
        loads = 2.0 * (double)nmt * (double)nnt * (double)cdiv(P->K, kc);
    } else {
        P->b_res = nnt > 1 && b_tot + db * a1 <= l1;
        P->a_res = nmt > 1 && a_tot + db * b1 <= l1;
        int64_t cost_m = a_tot + (P->b_res ? b_tot : b_tot * nmt);
        int64_t cost_n = b_tot + (P->a_res ? a_tot : a_tot * nnt);
        P->n_outer = cost_n < cost_m;
        if (P->n_outer)
            P->b_res = false;
        else
            P->a_res = false;
        gm = (double)(P->n_outer ? cost_n : cost_m);
        loads = (double)nmt * (double)nnt + (double)(P->n_outer ? nnt : nmt);
    }
    double ksteps = (double)nmt * (double)nnt * (double)cdiv(P->K, P->k_l0);
    double frac = (double)(m / P->m0) * (double)(P->k_l0 / P->k0) * (double)(n / P->n0);
    double cube = ksteps * (s->mmad_overhead + frac);
    double mte1 = ksteps * (2 * s->mte1_overhead +
                            (double)(m * P->k_l0 * P->bpe) / s->l1_l0a +
                            (double)(P->k_l0 * n * P->bpe) / s->l1_l0b);
    double rate = s->ddr_rd < s->l2_rd || s->l2 <= 0 ? s->ddr_rd : s->l2_rd;
    double mte2 = gm / rate + loads * s->mte_gm_setup;
    double tiles = (double)nmt * (double)nnt;
    double drain = tiles * (2 * s->vec_overhead + s->mte_gm_setup) +
                   (double)(P->Mc * P->Nc * P->accb) / s->l0c_ub;
    double est = cube > mte1 ? cube : mte1;
    if (mte2 > est)
        est = mte2;
    return est + drain / 4 + tiles * 20 * s->scalar_cycles;
}

static int plan_gemm(lw *c, gemm_plan *P)
{
    const npu_davinci_state *s = c->s;
    /* block split: every block of an M split reads all the weights of its N share and every
     * block of an N split reads all the input of its M share, so pick the split (using as
     * many cores as there are tiles) that moves the fewest GM bytes; ties go to M */
    /* blocks split the output at the GM layout's 16-row / C0-channel granularity, whatever
     * the fractal: each block pads its own share to the fractal */
    P->Mr16 = rup(P->real_m, 16);
    P->Nr16 = rup(P->real_n, 16);
    int64_t mt16 = cdiv(P->Mr16, 16), nt16 = cdiv(P->Nr16, 16);
    double a_all = P->conv ? (double)P->H * (double)P->W *
                                 (double)(P->depthwise ? P->k0 : P->K / max64(P->taps, 1)) *
                                 (double)P->bpe
                           : (double)P->M * (double)P->K * (double)P->bpe;
    double b_all = (double)P->K * (double)P->N * (double)P->wbpe;
    double bestc = -1;
    int64_t bestu = 0;
    for (int64_t sm = 1; sm <= s->cores; sm++) {
        int64_t sn = s->cores / sm;
        int64_t um = min64(sm, mt16), un = min64(sn, nt16);
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
    if (P->split_m < 1) P->split_m = 1;
    if (P->split_n < 1) P->split_n = 1;
    P->Mc_r = rup(cdiv(P->Mr16, P->split_m), 16);
    P->Nc_r = rup(cdiv(P->Nr16, P->split_n), 16);
    P->Mc = rup(P->Mc_r, P->m0);
    P->Nc = rup(P->Nc_r, P->n0);
    /* L0/L1 tile: like TBE's tiling, a small search — every (m, n) of the fractal multiples
     * 1, 2, 4, … (and the whole share) that fits L0C, with the largest k for L0A/L0B, the L1
     * K chunk and loop order that follow — scored by an estimate of the tile loop's time:
     * max(Cube, MTE2, MTE1) busy cycles plus the per-instruction costs. */
    double best = -1;
    gemm_plan bestp = *P;
    for (int64_t m = P->m0; m <= P->Mc; m = (m * 2 > P->Mc && m < P->Mc) ? P->Mc : m * 2) {
        for (int64_t n = P->n0; n <= P->Nc; n = (n * 2 > P->Nc && n < P->Nc) ? P->Nc : n * 2) {
            gemm_plan T = *P;
            double est = eval_tile(c, &T, m, n);
            if (est >= 0 && (best < 0 || est < best * 0.999 ||
                             (est <= best * 1.001 && m * n > bestp.m_l0 * bestp.n_l0))) {
                best = est;
                bestp = T;
            }
            if (n == P->Nc)
                break;
        }
        if (m == P->Mc)
            break;
    }
    if (best < 0)
        return npu_err_set(c->err, NPU_EINVAL, "davinci: layer '%s': L0/L1 buffers too small "
                           "for one tile", c->out->layers[c->layer].name);
    *P = bestp;
    return 0;
}

typedef struct opnd {
    int id;        /* 0 = A, 1 = B */
    int base;      /* event id base */
} opnd;

/* MTE2 fills the next L1 buffer of operand `o` and sets its ready flag. */
static int l1_produce(lw *c, gemm_plan *P, int o, int64_t bytes, int64_t run, unsigned *slot)
{
    int nb = c->s->double_buffer ? 2 : 1;
    unsigned sl = c->slot_op[o]++ % (unsigned)nb;
    int id = 2 * o + (int)sl;
    *slot = sl;
    if (waitf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_MTE2, id))
        return c->err->code;
    bool l2 = o == 0 ? P->hit_a : P->hit_b;
    /* AIPP: the input load reads the source frame from GM and writes the fp16 image to L1 */
    bool image = o == 0 && P->aipp;
    int64_t gm = image ? (int64_t)llround((double)bytes * P->src_frac) : bytes;
    gm = (int64_t)ceil((double)gm * (o == 0 ? P->mr : P->nr));
    P->gm_rd += gm;
    if (l2)
        P->l2_rd += gm;
    if (o == 0 && !image && !l2 && P->a_part > 0) {
        if (gm_read(c, NPU_DV_OP_COPY_GM_L1, gm, run, false, P->a_part, sl, &P->l2_rd))
            return c->err->code;
        return setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_MTE1, id);
    }
    npu_dv_ins d = {0};
    d.bytes = (uint64_t)(image ? bytes : gm);
    d.aux = image ? (uint64_t)gm : 0;
    d.run = (uint32_t)(run > 0 && run < bytes ? min64(run, UINT32_MAX) : 0);
    d.mem = l2 ? NPU_DV_MEM_L2 : NPU_DV_MEM_DDR;
    d.buf = sl;
    if (em(c, image ? NPU_DV_OP_LOAD_IMAGE : NPU_DV_OP_COPY_GM_L1, NPU_DV_PIPE_MTE2, &d))
        return c->err->code;
    return setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_MTE1, id);
}

static int l1_ready(lw *c, int o, unsigned sl)
{
    return waitf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_MTE1, 2 * o + (int)sl);
}

static int l1_release(lw *c, int o, unsigned sl)
{
    return setf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_MTE2, 2 * o + (int)sl);
}

/* One output tile (mt rows × nt cols) of one group on the current core. Loads: which operand
 * buffers to (re)load and with what K chunking is decided by the caller's flags. */
static int cube_tile(lw *c, gemm_plan *P, int64_t mt, int64_t nt, bool load_a, bool load_b,
                     bool keep_a, bool keep_b, unsigned *sa, unsigned *sb)
{
    const npu_davinci_state *s = c->s;
    int nb = s->double_buffer ? 2 : 1;
    long sidx = scalar_begin(c);
    if (sidx < 0)
        return c->err->code;
    int64_t nchunks = cdiv(P->K, P->k_l1);
    bool split = nchunks > 1;
    /* L0C buffer */
    unsigned cb = c->slot_c++ % (unsigned)nb;
    if (waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_M, (int)cb))
        return c->err->code;
    for (int64_t ch = 0; ch < nchunks; ch++) {
        int64_t kc = min64(P->k_l1, P->K - ch * P->k_l1);
        bool la = load_a || split, lb = load_b || split;
        if (la) {
            int64_t ab = a_bytes(P, mt, kc);
            int64_t run = P->conv ? ab / max64(cdiv(kc, P->k0 * (P->depthwise ? 1 : P->taps)), 1)
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
            int64_t kk = min64(P->k_l0, kc - k0);
            unsigned l = c->slot_l0++ % (unsigned)nb;
            if (waitf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_MTE1, (int)l))
                return c->err->code;
            npu_dv_ins d = {0};
            d.m = (uint32_t)mt;
            d.k = (uint32_t)kk;
            d.n = (uint32_t)nt;
            d.buf = l;
            d.bytes = (uint64_t)ceil((double)(mt * kk * P->bpe) * P->mr);
            if (em(c, NPU_DV_OP_LOAD3D, NPU_DV_PIPE_MTE1, &d))
                return c->err->code;
            d.bytes = (uint64_t)ceil((double)(kk * nt * P->bpe) * P->nr);
            if (em(c, NPU_DV_OP_LOAD2D, NPU_DV_PIPE_MTE1, &d) ||
                setf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_M, (int)l) ||
                waitf(c, NPU_DV_PIPE_MTE1, NPU_DV_PIPE_M, (int)l))
                return c->err->code;
            d.bytes = 0;
            d.flags = (ch > 0 || k0 > 0) ? NPU_DV_F_ACC : 0;
            if (em(c, NPU_DV_OP_MMAD, NPU_DV_PIPE_M, &d) ||
                setf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_MTE1, (int)l))
                return c->err->code;
        }
        if (split && (l1_release(c, 0, *sa) || l1_release(c, 1, *sb)))
            return c->err->code;
    }
    /* L0C → UB (V), fused activation (V), UB → GM (MTE3) */
    unsigned u = c->slot_ub++ % (unsigned)nb;
    if (setf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_V, (int)cb) ||
        waitf(c, NPU_DV_PIPE_M, NPU_DV_PIPE_V, (int)cb) ||
        waitf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
        return c->err->code;
    npu_dv_ins d = {0};
    d.bytes = (uint64_t)ceil((double)(mt * nt * P->accb) * P->real);
    d.m = (uint32_t)mt;
    d.n = (uint32_t)nt;
    d.kind = (uint16_t)P->accb;
    d.buf = cb;
    d.flags = (uint8_t)((P->relu ? NPU_DV_F_RELU : 0) | (P->bias ? NPU_DV_F_BIAS : 0));
    if (em(c, NPU_DV_OP_MOV_L0C_UB, NPU_DV_PIPE_V, &d) ||
        setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_M, (int)cb))
        return c->err->code;
    int64_t ob = (int64_t)ceil((double)(mt * nt * P->obpe) * P->real);
    if (P->res) {
        /* the shortcut tile comes GM -> UB on MTE2 while the Cube works (ATC's conv + add
         * UB fusion): it needs the UB slot free of its previous residual */
        P->gm_rd += ob;
        if (waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u) ||
            gm_read(c, NPU_DV_OP_COPY_GM_UB, ob, mt * P->n0 * P->obpe, P->res_l2, P->res_part,
                    u, &P->l2_rd) ||
            setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u))
            return c->err->code;
    }
    for (int v = 0; v < P->nvec; v++)
        if ((v > 0 && vbarrier(c)) || vec(c, P->vseq[v], ob, u))
            return c->err->code;
    if (P->res) {
        if (waitf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u))
            return c->err->code;
        for (int v = 0; v < P->nres; v++)
            if (((v > 0 || P->nvec > 0) && vbarrier(c)) || vec(c, P->rseq[v], ob, u))
                return c->err->code;
        if (setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u))
            return c->err->code;
    }
    /* a fused AscendQuant: after vector work in UB one vconv to int8; on its own it happens
     * in the L0C -> UB move (research §2: "quantization on the way") */
    int64_t qb = P->quant ? (int64_t)ceil((double)(mt * nt) * P->real) : 0;
    if (P->quant && (P->nvec > 0 || P->res) && (vbarrier(c) || vec(c, NPU_DV_V_CONV, ob, u)))
        return c->err->code;
    if (setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u) ||
        waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u))
        return c->err->code;
    if (!P->quant || P->qdual) {
        P->gm_wr += ob;
        if (copy(c, NPU_DV_OP_COPY_UB_GM, NPU_DV_PIPE_MTE3, ob, mt * P->n0 * P->obpe,
                 P->out_l2, u, 0))
            return c->err->code;
    }
    if (P->quant) {
        P->gm_wr += qb;
        if (copy(c, NPU_DV_OP_COPY_UB_GM, NPU_DV_PIPE_MTE3, qb, mt * P->n0, P->q_l2, u, 0))
            return c->err->code;
    }
    if (setf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
        return c->err->code;
    scalar_end(c, sidx);
    return 0;
}

static int lower_cube(lw *c, int li)
{
    const npu_davinci_state *s = c->s;
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    gemm_plan P;
    memset(&P, 0, sizeof P);
    bool int8 = l->dtype == NPU_DT_INT8 || l->dtype == NPU_DT_UINT8;
    bool a16 = l->dtype == NPU_DT_INT16; /* A16W8: the Cube at a16w8_k_mult */
    P.bpe = int8 ? 1 : 2;
    /* mixed precision (npu_pass_weight_dtype): weights stored and moved at their width (int4
     * as int8: the V100/V200 Cube has no int4, research §1.2), widened to the activation
     * width as MTE1 loads them into L0B (assumption) */
    P.wbpe = min64(P.bpe, max64(npu_dtype_bits(npu_layer_weight_dtype(g, l)) / 8, 1));
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
        P.res_l2 = tensor_l2(c, sc);
        P.res_part = tensor_l2_part(c, sc);
        P.nres = vec_seq(NPU_OP_ADD, a->act, P.rseq, 16);
        ot = a->nout > 0 ? a->out[0] : -1;
    }
    c->res_add = P.res;
    P.obpe = (ot >= 0 && ot < g->nt) ? max64(npu_dtype_bits(g->t[ot].dtype) / 8, 1) : 2;
    if (c->quant && c->quant[li] >= 0) {
        const npu_layer *q = &g->l[c->quant[li]];
        P.quant = true;
        P.qdual = read_besides_quant(g, ot);
        P.q_l2 = tensor_l2(c, q->out[0]);
    }
    P.out_l2 = ot >= 0 && tensor_l2(c, ot);
    P.in_l2 = l->nin > 0 && tensor_l2(c, l->in[0]);
    P.a_part = l->nin > 0 ? tensor_l2_part(c, l->in[0]) : 0;
    P.bias = (l->flags & NPU_LF_BIAS) != 0;
    P.relu = l->act == NPU_ACT_RELU;
    if (!P.relu && l->act != NPU_ACT_NONE)
        P.nvec = vec_seq(NPU_OP_IDENTITY, l->act, P.vseq, 16);
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
        P.M = rup(cg.n * cg.ho * cg.wo, P.m0);
        real_m = cg.n * cg.ho * cg.wo;
        if (gr > 1 && gr == cg.c && cg.k == cg.c) {
            P.depthwise = true;
            real_n = P.k0;
            P.groups = cdiv(cg.c, P.k0);
            P.K = P.taps * P.k0;
            P.N = rup(P.k0, P.n0);
        } else {
            P.groups = gr;
            real_n = cdiv(cg.k, gr);
            P.cin_g = rup(cdiv(cg.c, gr), P.k0);
            P.K = P.cin_g * P.taps;
            P.N = rup(cdiv(cg.k, gr), P.n0);
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
        P.M = rup(gg.m, P.m0);
        real_m = gg.m;
        real_n = gg.n;
        P.K = rup(gg.k, P.k0);
        P.N = rup(gg.n, P.n0);
    }
    P.real = P.mr = P.nr = 1.0;
    P.real_m = real_m > 0 ? real_m : P.M;
    P.real_n = real_n > 0 ? real_n : P.N;
    if (P.M <= 0 || P.K <= 0 || P.N <= 0 || P.groups <= 0)
        return npu_err_set(c->err, NPU_EINVAL, "davinci: layer '%s': empty GEMM", l->name);
    if (plan_gemm(c, &P))
        return c->err->code;
    if (s->l2 > 0) {
        int64_t in_b = l->nin > 0 ? tbytes(g, l->in[0]) : 0;
        P.in_fit = in_b > 0 && in_b <= s->l2 / 2;
        P.w_fit = (double)P.K * (double)P.N * (double)P.wbpe * (double)P.groups <=
                  (double)(s->l2 / 2);
        if (l->nin > 1 && l->op == NPU_OP_MATMUL)
            P.w_fit = P.w_fit && tbytes(g, l->in[1]) <= s->l2 / 2;
    }
    /* A program is simulated instruction by instruction: refuse absurd layers (a hang or
     * gigabytes of program otherwise) with a clear error. */
    double steps = (double)P.groups * (double)P.split_m * (double)P.split_n *
                   (double)cdiv(P.Mc, P.m_l0) * (double)cdiv(P.Nc, P.n_l0) *
                   (double)cdiv(P.K, P.k_l0);
    if (steps > NPU_DV_MAX_STEPS)
        return npu_err_set(c->err, NPU_EINVAL,
                           "davinci: layer '%s': %.3g cube steps (M %lld, K %lld, N %lld, "
                           "groups %lld) exceed the simulator's limit of %.0f",
                           l->name, steps, (long long)P.M, (long long)P.K, (long long)P.N,
                           (long long)P.groups, (double)NPU_DV_MAX_STEPS);
    npu_dv_kernel k;
    memset(&k, 0, sizeof k);
    k.flags = NPU_DV_KF_CUBE | (P.depthwise ? NPU_DV_KF_DEPTHWISE : 0) |
              (P.aipp ? NPU_DV_KF_AIPP : 0) | (P.b_res ? NPU_DV_KF_L1_B_RESIDENT : 0) |
              (P.a_res ? NPU_DV_KF_L1_A_RESIDENT : 0) | (P.n_outer ? NPU_DV_KF_N_OUTER : 0) |
              (P.res ? NPU_DV_KF_RES_ADD : 0);
    k.split_m = (uint32_t)P.split_m;
    k.split_n = (uint32_t)P.split_n;
    k.block_dim = (uint32_t)(P.split_m * P.split_n);
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
    size_t kidx = kernel_header(c, &k);
    if (kidx == (size_t)-1)
        return oom(c);
    c->ninstr = 0;
    for (int64_t bm = 0; bm < P.split_m; bm++)
        for (int64_t bn = 0; bn < P.split_n; bn++) {
            int core = (int)(bm * P.split_n + bn);
            /* this block's share: rows/cols at 16 granularity, padded to the fractal; the
             * MTEs move only the 16-granular part, results only real rows */
            int64_t rows = max64(min64(P.Mc_r, P.Mr16 - bm * P.Mc_r), 0);
            int64_t cols = max64(min64(P.Nc_r, P.Nr16 - bn * P.Nc_r), 0);
            int64_t m_lo = 0, m_hi = rup(rows, P.m0);
            int64_t n_lo = 0, n_hi = rup(cols, P.n0);
            int64_t rr = max64(min64(rows, P.real_m - bm * P.Mc_r), 0);
            int64_t rc = max64(min64(cols, P.real_n - bn * P.Nc_r), 0);
            P.mr = m_hi > 0 ? (double)rows / (double)m_hi : 1;
            P.nr = n_hi > 0 ? (double)cols / (double)n_hi : 1;
            P.real = m_hi > 0 && n_hi > 0
                         ? (double)rr / (double)m_hi * (double)rup(rc, 16) / (double)n_hi
                         : 1;
            if (block_begin(c, core, true))
                return c->err->code;
            for (int64_t gi = 0; gi < P.groups && m_hi > m_lo && n_hi > n_lo; gi++) {
                int64_t nmt = cdiv(m_hi - m_lo, P.m_l0), nnt = cdiv(n_hi - n_lo, P.n_l0);
                int64_t no = P.n_outer ? nnt : nmt, ni = P.n_outer ? nmt : nnt;
                unsigned sa = 0, sb = 0;
                for (int64_t o = 0; o < no; o++)
                    for (int64_t i = 0; i < ni; i++) {
                        int64_t im = P.n_outer ? i : o, in = P.n_outer ? o : i;
                        int64_t mt = min64(P.m_l0, m_hi - m_lo - im * P.m_l0);
                        int64_t nt = min64(P.n_l0, n_hi - n_lo - in * P.n_l0);
                        /* outer operand: loaded at i == 0, released after the last i;
                         * inner: loaded every tile (resident: only in the first outer pass,
                         * released right away since its L1 space is never reused) */
                        bool a_outer = !P.n_outer;
                        bool load_a = a_outer ? i == 0 : (P.a_res ? o == 0 : true);
                        bool load_b = a_outer ? (P.b_res ? o == 0 : true) : i == 0;
                        bool keep_a = !a_outer && P.a_res;
                        bool keep_b = a_outer && P.b_res;
                        /* L2 (research §1.6): the first fetch of a tile's data misses,
                         * re-fetches (another block, another outer pass) hit while the
                         * operand fits in half of L2; the block with index 0 of the other
                         * dimension is taken as the one that misses */
                        if (a_outer) {
                            P.hit_a = P.in_l2 || (P.in_fit && !(bn == 0 && i == 0));
                            P.hit_b = P.w_fit && !(bm == 0 && o == 0);
                        } else {
                            P.hit_a = P.in_l2 || (P.in_fit && !(bn == 0 && o == 0));
                            P.hit_b = P.w_fit && !(bm == 0 && i == 0);
                        }
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
            if (block_end(c, true))
                return c->err->code;
        }
    npu_dv_kernel *kp = kernel_at(c, kidx);
    kp->ninstr = c->ninstr;
    kp->gm_rd_bytes = P.gm_rd;
    kp->gm_wr_bytes = P.gm_wr;
    kp->l2_rd_bytes = P.l2_rd;
    return 0;
}

/* ---- vector kernels --------------------------------------------------------------------------- */

static int lower_vector(lw *c, int li)
{
    const npu_davinci_state *s = c->s;
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    int seq[24];
    int nseq = vec_seq(l->op, l->act, seq, 24);
    bool pool = npu_op_class(l->op) == NPU_OPC_POOL;
    int64_t pool_taps = 0;
    if (l->op == NPU_OP_MAXPOOL || l->op == NPU_OP_AVGPOOL) {
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, li, &cg) == 0)
            pool_taps = max64((int64_t)cg.kh * cg.kw, 1);
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
        in_l2[nin] = tensor_l2(c, t);
        in_part[nin] = tensor_l2_part(c, t);
        in_b[nin++] = tbytes(g, t);
    }
    bool out_l2 = false;
    for (int i = 0; i < l->nout; i++) {
        out_b += tbytes(g, l->out[i]);
        out_l2 |= tensor_l2(c, l->out[i]);
    }
    /* a fused AscendQuant: the kernel writes the int8 copy too (instead of its fp16 output
     * when the quantize is that output's only reader) */
    bool qfused = c->quant && c->quant[li] >= 0;
    if (qfused) {
        int qo = g->l[c->quant[li]].out[0];
        if (!(l->nout == 1 && read_besides_quant(g, l->out[0])))
            out_b = 0;
        out_b += tbytes(g, qo);
        out_l2 |= tensor_l2(c, qo);
    }
    /* Without AIPP the OM's input is the framework's tensor as exported — fp32 NCHW from ONNX,
     * ATC's default without --input_fp16_nodes — and ATC puts a Cast + TransData kernel in
     * front of the first conv: it reads 4 B per element and writes fp16 NC1HWC0, the channels
     * padded to C0 (3 → 16 for an image). The graph's own input conversion layer stands for
     * it; with AIPP it is absorbed (the frame goes to the first conv directly). */
    if (s->aipp == NPU_DV_AIPP_NONE && npu_op_class(l->op) == NPU_OPC_QUANT && nin == 1 &&
        is_input(g, l->in[0]) && l->nout == 1 && g->t[l->in[0]].ndim == 4) {
        const npu_tensor *it = &g->t[l->in[0]];
        int64_t el = npu_tensor_elems(it), ch = it->dim[1];
        in_b[0] = el * 4;
        out_b = ch > 0 ? el / ch * rup(ch, s->cube_k) * 2 : out_b;
    }
    int64_t in_tot = 0;
    for (int i = 0; i < nin; i++)
        in_tot += in_b[i];
    /* the side that drives the vector work: pooling/reductions read more than they write */
    int64_t work = max64(out_b, in_tot / max64(nin, 1));
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
    int64_t ntiles = cdiv(work, tile);
    if ((double)ntiles * (double)(nseq + 10) > 8 * NPU_DV_MAX_STEPS)
        return npu_err_set(c->err, NPU_EINVAL, "davinci: layer '%s': %lld UB tiles exceed the "
                           "simulator's limit", l->name, (long long)ntiles);
    int64_t bd = min64(s->cores, ntiles);
    npu_dv_kernel k;
    memset(&k, 0, sizeof k);
    k.block_dim = (uint32_t)bd;
    k.split_m = (uint32_t)bd;
    k.split_n = 1;
    k.ub_tile_bytes = tile;
    k.ub_db = nb;
    k.groups = ntiles;
    size_t kidx = kernel_header(c, &k);
    if (kidx == (size_t)-1)
        return oom(c);
    c->ninstr = 0;
    int64_t rd = 0, wr = 0, l2rd = 0;
    for (int64_t core = 0; core < bd; core++) {
        if (block_begin(c, (int)core, false))
            return c->err->code;
        for (int64_t t = core; t < ntiles; t += bd) {
            long sidx = scalar_begin(c);
            if (sidx < 0)
                return c->err->code;
            int64_t wt = min64(tile, work - t * tile);
            double f = (double)wt / (double)work;
            unsigned u = c->slot_ub++ % (unsigned)nb;
            if (waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u))
                return c->err->code;
            for (int i = 0; i < nin; i++) {
                int64_t b = (int64_t)llround((double)in_b[i] * f);
                if (b <= 0)
                    continue;
                rd += b;
                if (gm_read(c, NPU_DV_OP_COPY_GM_UB, b, 0, in_l2[i], in_part[i], u, &l2rd))
                    return c->err->code;
            }
            if (setf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u) ||
                waitf(c, NPU_DV_PIPE_MTE2, NPU_DV_PIPE_V, (int)u) ||
                waitf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
                return c->err->code;
            int64_t ob = (int64_t)llround((double)out_b * f);
            if (pool_taps > 0) {
                /* window pooling: one vmax (vadd) pass over the output tile per window tap,
                 * accumulating in place (dependent: barriers), avgpool scales at the end */
                for (int64_t tap = 0; tap < pool_taps; tap++)
                    if ((tap > 0 && vbarrier(c)) ||
                        vec(c, l->op == NPU_OP_MAXPOOL ? NPU_DV_V_MAX : NPU_DV_V_ADD,
                            ob > 0 ? ob : 32, u))
                        return c->err->code;
                if (l->op == NPU_OP_AVGPOOL &&
                    (vbarrier(c) || vec(c, NPU_DV_V_MULS, ob > 0 ? ob : 32, u)))
                    return c->err->code;
            } else if (l->op == NPU_OP_GAVGPOOL || l->op == NPU_OP_GMAXPOOL) {
                /* global pooling: a reduction over the input tile, then the scale */
                if (vec(c, NPU_DV_V_REDUCE, wt, u) ||
                    (l->op == NPU_OP_GAVGPOOL &&
                     (vbarrier(c) || vec(c, NPU_DV_V_MULS, ob > 0 ? ob : 32, u))))
                    return c->err->code;
            }
            for (int v = 0; v < nseq; v++)
                if (((v > 0 || pool_taps > 0) && vbarrier(c)) || vec(c, seq[v], wt, u))
                    return c->err->code;
            if (qfused && vbarrier(c)) /* the fused AscendQuant's vconv follows */
                return c->err->code;
            if (qfused && vec(c, NPU_DV_V_CONV, ob > 0 ? ob : wt, u))
                return c->err->code;
            if (nseq == 0 && !pool && vec(c, NPU_DV_V_COPY, ob > 0 ? ob : wt, u))
                return c->err->code; /* data movement: UB-to-UB rearrangement */
            if (setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE2, (int)u) ||
                setf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u) ||
                waitf(c, NPU_DV_PIPE_V, NPU_DV_PIPE_MTE3, (int)u))
                return c->err->code;
            wr += ob;
            if (copy(c, NPU_DV_OP_COPY_UB_GM, NPU_DV_PIPE_MTE3, ob, 0, out_l2, u, 0) ||
                setf(c, NPU_DV_PIPE_MTE3, NPU_DV_PIPE_V, (int)u))
                return c->err->code;
            scalar_end(c, sidx);
        }
        if (block_end(c, false))
            return c->err->code;
    }
    npu_dv_kernel *kp = kernel_at(c, kidx);
    kp->ninstr = c->ninstr;
    kp->gm_rd_bytes = rd;
    kp->gm_wr_bytes = wr;
    kp->l2_rd_bytes = l2rd;
    return 0;
}

/* ---- AI CPU kernels -------------------------------------------------------------------------- */

static int lower_aicpu(lw *c, int li, bool hostpre)
{
    const npu_graph *g = c->g;
    const npu_layer *l = &g->l[li];
    npu_dv_kernel k;
    memset(&k, 0, sizeof k);
    k.flags = NPU_DV_KF_AICPU;
    if (!hostpre && kernel_header(c, &k) == (size_t)-1)
        return oom(c);
    npu_dv_ins d = {0};
    int64_t rd = 0, wr = 0, oe = 0;
    for (int i = 0; i < l->nin; i++)
        rd += tbytes(g, l->in[i]);
    for (int i = 0; i < l->nout; i++) {
        wr += tbytes(g, l->out[i]);
        if (l->out[i] >= 0 && l->out[i] < g->nt)
            oe += max64(npu_tensor_elems(&g->t[l->out[i]]), 0);
    }
    d.kind = (uint16_t)l->op;
    d.macs = l->macs;
    d.aux = (uint64_t)oe;
    d.bytes = (uint64_t)(rd + wr);
    d.m = (uint32_t)min64(rd, UINT32_MAX);
    if (hostpre) {
        /* static AIPP done on the host: read the source frame, CSC + normalise, write fp16 */
        int t = l->in[0];
        int64_t px = g->t[t].ndim == 4 ? g->t[t].dim[0] * g->t[t].dim[2] * g->t[t].dim[3] : 0;
        int64_t src = (int64_t)llround((double)px * c->s->aipp_src_bpp);
        d.flags = NPU_DV_F_HOST_AIPP;
        d.aux = (uint64_t)llround((double)tbytes(g, t) / 2.0 * c->s->aipp_cpu_ops);
        d.m = (uint32_t)min64(src, UINT32_MAX);
        d.bytes = (uint64_t)(src + tbytes(g, t));
        d.kind = (uint16_t)NPU_OP_ADD;
        d.macs = 0;
    }
    c->core = 0;
    return em(c, NPU_DV_OP_AICPU, NPU_DV_PIPE_AICPU, &d);
}

static bool is_cube(const npu_layer *l) { return npu_davinci_is_cube_op(l->op); }

static bool needs_aicpu(const npu_graph *g, const npu_layer *l)
{
    if (l->flags & NPU_LF_HOST)
        return true;
    if (l->dtype == NPU_DT_INT64)
        return true;
    for (int i = 0; i < l->nin; i++)
        if (l->in[i] >= 0 && l->in[i] < g->nt && g->t[l->in[i]].dtype == NPU_DT_INT64)
            return true;
    for (int i = 0; i < l->nout; i++)
        if (l->out[i] >= 0 && l->out[i] < g->nt && g->t[l->out[i]].dtype == NPU_DT_INT64)
            return true;
    return false;
}

static int64_t sum_bytes(const npu_graph *g, const int *t, int n, int kind)
{
    int64_t b = 0;
    for (int i = 0; i < n; i++)
        if (t[i] >= 0 && t[i] < g->nt && (kind < 0 || (int)g->t[t[i]].kind == kind))
            b += tbytes(g, t[i]);
    return b;
}

static bool is_input(const npu_graph *g, int t)
{
    return t >= 0 && t < g->nt && g->t[t].kind == NPU_T_INPUT;
}

/* Activation bytes of tensors `t` that live in DRAM (inputs, AI CPU outputs, tensors larger
 * than half of L2). Constants are weights, counted apart. */
static int64_t dram_bytes(const lw *c, const int *t, int n)
{
    int64_t b = 0;
    for (int i = 0; i < n; i++)
        if (t[i] >= 0 && t[i] < c->g->nt && c->g->t[t[i]].kind != NPU_T_CONST &&
            !tensor_l2(c, t[i]))
            b += tbytes(c->g, t[i]);
    return b;
}

static int64_t dram_out_bytes(const lw *c, const npu_layer *l)
{
    int64_t b = 0;
    for (int i = 0; i < l->nout; i++) {
        int t = l->out[i];
        if (t >= 0 && t < c->g->nt && !(c->s->l2 > 0 && tbytes(c->g, t) <= c->s->l2 / 2 &&
                                         !(l->flags & NPU_LF_HOST)))
            b += tbytes(c->g, t);
    }
    return b;
}

/* Speed (not semantics): a DaVinci program is large (ResNet-50 on ascend310: ~60 k
 * instructions, ~1.5 MB of payload) and grows by doubling through npu_grow, which zeroes each
 * new half and, on the brk heap, copies the old one. Each of those copies lands on fresh pages,
 * and on this kind of VM a page fault costs ~15-20 us: doubling made ~1200 faults per design
 * point, two thirds of the run time. So the arrays are reserved once, generously, with plain
 * realloc: untouched pages of a large allocation are never faulted in, so only the pages the
 * program really uses cost anything, and nothing is copied. npu_prog_emit still grows them if
 * a program outgrows the reservation; a failed reservation is not an error (emit then grows as
 * before). Every byte below n / dlen is written by npu_prog_emit, so the tail needs no zeroes. */
static void reserve_program(npu_program *p, size_t nins, size_t dbytes)
{
    if (p->cap < nins) {
        npu_instr *ni = npu_realloc(p->ins, nins * sizeof *ni);
        if (ni) {
            p->ins = ni;
            p->cap = nins;
        }
    }
    if (p->dcap < dbytes) {
        uint8_t *nd = npu_realloc(p->data, dbytes);
        if (nd) {
            p->data = nd;
            p->dcap = dbytes;
        }
    }
}

/* ATC's UB fusion of a conv with the eltwise add that follows it (TBE "conv2d + add (+ relu)"
 * in residual blocks): the add runs in the conv kernel's epilogue, which loads the shortcut
 * tile into UB, so the conv's output never goes to GM and the add costs no kernel launch.
 * Chosen for an add of two same-shaped activations when one of them is the only use of a
 * conv's output and the other is ready when that conv runs (produced before it); of two such
 * convs the later one (the shortcut is then the other branch). Returns the conv, -1. */
static int fusable_conv(const lw *c, int ai)
{
    const npu_graph *g = c->g;
    const npu_layer *a = &g->l[ai];
    if (a->op != NPU_OP_ADD || a->nin != 2 || a->nout != 1 || (a->flags & NPU_LF_HOST))
        return -1;
    int best = -1;
    for (int i = 0; i < 2; i++) {
        int t = a->in[i], o = a->in[1 - i];
        if (t < 0 || t >= g->nt || o < 0 || o >= g->nt || g->t[t].kind == NPU_T_CONST ||
            g->t[o].kind == NPU_T_CONST || g->t[t].view_of >= 0)
            continue;
        if (npu_tensor_elems(&g->t[t]) != npu_tensor_elems(&g->t[a->out[0]]) ||
            npu_tensor_elems(&g->t[o]) != npu_tensor_elems(&g->t[a->out[0]]) ||
            g->t[t].dtype != g->t[a->out[0]].dtype)
            continue;
        int p = g->t[t].producer;
        if (p >= 0 && p < g->nl && c->deq_src[p] >= 0)
            p = c->deq_src[p]; /* conv + AscendDequant: the conv's kernel writes the fp16 */
        if (p < 0 || p >= ai || g->l[p].op != NPU_OP_CONV || g->l[p].nout != 1 ||
            (g->l[p].flags & (NPU_LF_HOST | NPU_LF_DEAD)) || needs_aicpu(g, &g->l[p]) ||
            c->fuse_add[p] >= 0 || npu_graph_is_output(g, t))
            continue;
        int use[2];
        if (npu_graph_consumers(g, t, use, 2) != 1)
            continue;
        int op = g->t[o].producer;
        if (op >= 0 && op < g->nl && c->deq_src[op] >= 0)
            op = c->deq_src[op]; /* the shortcut is written by that Cube kernel */
        if (op >= p)
            continue;
        if (p > best)
            best = p;
    }
    return best;
}

/* AMCT's AscendDequant behind a quantized Cube op (int32 accumulators × scale → fp16) runs in
 * the Cube kernel's L0C -> UB move, which converts anyway (research §2, the PIPE_V table: "with
 * FP32->FP16 conversion, ReLU and quantization on the way"): a dequantize (or the cast the
 * dtype pass made of it) whose integer input comes from an AI Core Cube op and is read by
 * nothing else costs no kernel; the Cube kernel writes its fp16 output. Returns the Cube
 * layer, -1. */
static int dequant_src(const lw *c, int di)
{
    const npu_graph *g = c->g;
    const npu_layer *d = &g->l[di];
    if ((d->op != NPU_OP_DEQUANTIZE && d->op != NPU_OP_CAST) || d->nin < 1 || d->nout != 1 ||
        (d->flags & (NPU_LF_HOST | NPU_LF_DEAD)))
        return -1;
    int t = d->in[0], o = d->out[0];
    if (t < 0 || t >= g->nt || o < 0 || o >= g->nt || npu_dtype_is_float(g->t[t].dtype) ||
        !npu_dtype_is_float(g->t[o].dtype) || npu_graph_is_output(g, t))
        return -1;
    int p = g->t[t].producer;
    if (p < 0 || p >= di || !is_cube(&g->l[p]) || g->l[p].nout != 1 ||
        (g->l[p].flags & (NPU_LF_HOST | NPU_LF_DEAD)) || needs_aicpu(g, &g->l[p]) ||
        c->deq[p] >= 0)
        return -1;
    int use[2];
    return npu_graph_consumers(g, t, use, 2) == 1 ? p : -1;
}

/* AMCT's AscendQuant in front of a quantized Cube op, fused into the epilogue of the AI Core
 * kernel that produces its fp16 input (CANN's UB fusion passes of the conv + dequant (+ add +
 * relu) + quant and eltwise/pool + quant kinds; the pass names are not in research/, so this
 * is an assumption): the kernel converts its output tile to int8 in UB and writes it, as well
 * as the fp16 tile when something else reads that. A quantize of a graph input is AIPP's or
 * the input cast's; one after an AI CPU op or a view runs as its own vector kernel. `kernel`
 * gives, per layer, the layer whose kernel writes its output (itself, or the conv a residual
 * add is fused into). Returns that kernel's layer, -1. */
static int quant_dst(const lw *c, int qi, const int *kernel)
{
    const npu_graph *g = c->g;
    const npu_layer *q = &g->l[qi];
    if ((q->op != NPU_OP_QUANTIZE && q->op != NPU_OP_CAST) || q->nin < 1 || q->nout != 1 ||
        (q->flags & (NPU_LF_HOST | NPU_LF_DEAD)) || needs_aicpu(g, q))
        return -1; /* (a cast to int64 is AI CPU work) */
    int t = q->in[0], o = q->out[0];
    if (t < 0 || t >= g->nt || o < 0 || o >= g->nt || !npu_dtype_is_float(g->t[t].dtype) ||
        npu_dtype_is_float(g->t[o].dtype) || g->t[t].view_of >= 0)
        return -1;
    int p = g->t[t].producer;
    if (p < 0 || p >= qi || (g->l[p].flags & (NPU_LF_HOST | NPU_LF_DEAD | NPU_LF_VIEW)) ||
        npu_op_class(g->l[p].op) == NPU_OPC_VIEW || npu_op_class(g->l[p].op) == NPU_OPC_QUANT ||
        needs_aicpu(g, &g->l[p]) || g->l[p].nout != 1)
        return -1;
    int k = kernel[p];
    if (k < 0 || c->quant[k] >= 0)
        return -1;
    if (k != p && c->fuse_add[k] != p && c->deq[k] != p)
        return -1;
    return k;
}

int npu_davinci_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err)
{
    reserve_program(out, (size_t)1 << 20, (size_t)1 << 26);
    lw c;
    memset(&c, 0, sizeof c);
    c.s = m->state;
    c.g = g;
    c.out = out;
    c.err = err;
    c.first_mac = -1;
    size_t nt = (size_t)(g->nt > 0 ? g->nt : 1), nl = (size_t)(g->nl > 0 ? g->nl : 1);
    c.in_l2 = npu_calloc(nt, 1);
    c.on_core = npu_calloc(nt, 1);
    int *map = npu_calloc(nl, sizeof *map);
    uint8_t *aipp_t = npu_calloc(nt, 1);
    c.fuse_add = npu_calloc(nl, sizeof *c.fuse_add);
    uint8_t *fused = npu_calloc(nl, 1); /* run in another kernel: adds, dequants, quants */
    c.deq = npu_calloc(nl, sizeof *c.deq);
    c.deq_src = npu_calloc(nl, sizeof *c.deq_src);
    c.quant = npu_calloc(nl, sizeof *c.quant);
    int *kernel = npu_calloc(nl, sizeof *kernel);
    int rc = 0;
    if (!c.in_l2 || !c.on_core || !map || !aipp_t || !c.fuse_add || !fused || !c.deq ||
        !c.deq_src || !c.quant || !kernel) {
        rc = oom(&c);
        goto done;
    }
    for (int li = 0; li < g->nl; li++)
        c.fuse_add[li] = c.deq[li] = c.deq_src[li] = c.quant[li] = -1;
    for (int li = 0; li < g->nl; li++) {
        int p = dequant_src(&c, li);
        if (p >= 0) {
            c.deq[p] = li;
            c.deq_src[li] = p;
            fused[li] = 1;
        }
    }
    for (int li = 0; li < g->nl && c.s->ub_fusion; li++) {
        int p = (g->l[li].flags & NPU_LF_DEAD) ? -1 : fusable_conv(&c, li);
        if (p >= 0) {
            c.fuse_add[p] = li;
            fused[li] = 1;
        }
    }
    for (int li = 0; li < g->nl; li++)
        kernel[li] = fused[li] ? -1 : li; /* fused dequants write nothing of their own */
    for (int li = 0; li < g->nl; li++) {
        if (c.fuse_add[li] >= 0)
            kernel[c.fuse_add[li]] = li;
        if (c.deq[li] >= 0 && c.fuse_add[li] < 0)
            kernel[c.deq[li]] = li;
    }
    for (int li = 0; li < g->nl && c.s->ub_fusion; li++) {
        int k = (g->l[li].flags & NPU_LF_DEAD) ? -1 : quant_dst(&c, li, kernel);
        if (k >= 0) {
            c.quant[k] = li;
            fused[li] = 1;
        }
    }
    /* placement, program layers, L2 residency of activations */
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD) {
            map[li] = -1;
            continue;
        }
        /* host layers (ONNX TopK ... kept as identity with src_op) go to the AI CPU first */
        bool cpu = needs_aicpu(g, l);
        bool view = !cpu && ((l->flags & NPU_LF_VIEW) || npu_op_class(l->op) == NPU_OPC_VIEW);
        bool cube = !view && !cpu && is_cube(l);
        /* AIPP converts the u8 frame to fp16 itself: a cast/dequantize of a graph input is
         * absorbed into it (no kernel) */
        bool absorbed = !view && !cpu && c.s->aipp != NPU_DV_AIPP_NONE &&
                        npu_op_class(l->op) == NPU_OPC_QUANT && l->nin > 0 &&
                        is_input(g, l->in[0]);
        if (fused[li])
            absorbed = true; /* runs in its Cube kernel's epilogue, which writes its output */
        if (absorbed) {
            view = true;
            if (!fused[li] && l->nout > 0 && l->out[0] >= 0 && l->out[0] < g->nt)
                aipp_t[l->out[0]] = 1;
        }
        if (cube && c.first_mac < 0 && l->op == NPU_OP_CONV && l->nin > 0 &&
            (is_input(g, l->in[0]) || (l->in[0] >= 0 && l->in[0] < g->nt && aipp_t[l->in[0]])))
            c.first_mac = li;
        npu_prog_layer pr = {
            .name = l->name,
            .op = l->src_op && cpu ? l->src_op : npu_op_name(l->op),
            .dtype = (int)l->dtype,
            .macs = l->macs,
            /* activation bytes that must cross DRAM: tensors kept in L2 are left out (the
             * engine's roofline is against DRAM) */
            .in_bytes = view ? 0 : dram_bytes(&c, l->in, l->nin),
            .out_bytes = view ? 0 : cpu ? sum_bytes(g, l->out, l->nout, -1) : dram_out_bytes(&c, l),
            .weight_bytes =
                npu_dtype_bytes(is_cube(l) ? npu_layer_weight_dtype(g, l) : l->dtype, l->params) +
                sum_bytes(g, l->in, l->nin, NPU_T_CONST),
            .engine = view ? "none" : cpu ? "aicpu" : cube ? "cube" : "vector",
        };
        int pl = npu_prog_add_layer(out, &pr);
        if (pl < 0) {
            rc = oom(&c);
            goto done;
        }
        map[li] = pl;
        if (absorbed)
            map[li] = -2 - pl;
        if ((!view && !cpu) || fused[li])
            for (int i = 0; i < l->nout; i++) {
                int t = l->out[i];
                if (t >= 0 && t < g->nt)
                    c.on_core[t] = 1;
                if (t >= 0 && t < g->nt && c.s->l2 > 0 && tbytes(g, t) <= c.s->l2 / 2)
                    c.in_l2[t] = 1;
            }
    }
    for (int li = 0; li < g->nl && !rc; li++) {
        if (map[li] < 0)
            continue; /* dead, or absorbed into AIPP */
        const npu_layer *l = &g->l[li];
        c.layer = map[li];
        bool cpu = needs_aicpu(g, l);
        bool view = !cpu && ((l->flags & NPU_LF_VIEW) || npu_op_class(l->op) == NPU_OPC_VIEW);
        if (view)
            continue;
        if (cpu)
            rc = lower_aicpu(&c, li, false);
        else if (is_cube(l)) {
            if (li == c.first_mac && c.s->aipp == NPU_DV_AIPP_CPU)
                rc = lower_aicpu(&c, li, true);
            if (!rc)
                rc = lower_cube(&c, li);
        } else
            rc = lower_vector(&c, li);
    }
done:
    free(c.in_l2);
    free(c.on_core);
    free(map);
    free(aipp_t);
    free(c.fuse_add);
    free(c.deq);
    free(c.deq_src);
    free(c.quant);
    free(kernel);
    free(fused);
    return rc;
}

/* ---- explain ----------------------------------------------------------------------------------- */

int npu_davinci_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out)
{
    (void)m;
    if (!p || layer < 0 || layer >= p->nlayers)
        return NPU_EINVAL;
    const npu_prog_layer *L = &p->layers[layer];
    npu_sb_printf(out, "layer %d '%s' (%s, %s) on %s\n", layer, L->name, L->op,
                  npu_dtype_name((npu_dtype)L->dtype), L->engine ? L->engine : "?");
    size_t counts[NPU_DV_OP_COUNT] = {0};
    bool found = false;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].layer != layer)
            continue;
        if (p->ins[i].op < NPU_DV_OP_COUNT)
            counts[p->ins[i].op]++;
        const npu_dv_kernel *k = npu_dv_kernel_at(p, i);
        if (!k)
            continue;
        found = true;
        if (k->flags & NPU_DV_KF_AICPU) {
            npu_sb_puts(out, "  AI CPU kernel (the AI Core has no implementation for it)\n");
            continue;
        }
        npu_sb_printf(out, "  block_dim %u (split M %u x N %u)\n", k->block_dim, k->split_m,
                      k->split_n);
        if (k->flags & NPU_DV_KF_CUBE) {
            npu_sb_printf(out,
                          "  GEMM per group: M %" PRId64 " K %" PRId64 " N %" PRId64
                          " (fractal %ux%ux%u), groups %" PRId64 "%s\n",
                          k->M, k->K, k->N, k->m0, k->k0, k->n0, k->groups,
                          (k->flags & NPU_DV_KF_DEPTHWISE) ? " (depthwise: diagonal fractals)"
                                                          : "");
            npu_sb_printf(out,
                          "  L0 tile: L0A %" PRId64 "x%" PRId64 ", L0B %" PRId64 "x%" PRId64
                          ", L0C %" PRId64 "x%" PRId64 " (x%d buffers)\n",
                          k->m_l0, k->k_l0, k->k_l0, k->n_l0, k->m_l0, k->n_l0, k->l0_db);
            npu_sb_printf(out,
                          "  L1 tile: %" PRId64 " output rows, K chunk %" PRId64 ": A %" PRId64
                          " B, B %" PRId64 " B (x%d buffers)%s%s\n",
                          k->m_l1, k->k_l1, k->l1_a_bytes, k->l1_b_bytes, k->l1_db,
                          (k->flags & NPU_DV_KF_L1_B_RESIDENT) ? ", weights resident" : "",
                          (k->flags & NPU_DV_KF_L1_A_RESIDENT) ? ", input resident" : "");
            npu_sb_printf(out, "  loop order: %s outer%s\n",
                          (k->flags & NPU_DV_KF_N_OUTER) ? "N" : "M",
                          (k->flags & NPU_DV_KF_AIPP) ? "; AIPP fused into the input load" : "");
        } else {
            npu_sb_printf(out, "  vector: %" PRId64 " UB tiles of %" PRId64 " B (x%d buffers)\n",
                          k->groups, k->ub_tile_bytes, k->ub_db);
        }
        npu_sb_printf(out,
                      "  GM traffic planned: read %" PRId64 " B (%" PRId64 " from L2), write %" PRId64
                      " B; %" PRId64 " instructions\n",
                      k->gm_rd_bytes, k->l2_rd_bytes, k->gm_wr_bytes, k->ninstr);
    }
    if (!found)
        npu_sb_puts(out, "  no kernel (a view: no data movement)\n");
    else {
        npu_sb_puts(out, "  instructions:");
        for (int o = 1; o < NPU_DV_OP_COUNT; o++)
            if (counts[o])
                npu_sb_printf(out, " %s %zu", npu_dv_op_name(o), counts[o]);
        npu_sb_puts(out, "\n");
    }
    return 0;
}
