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

#include "lower.h"

/* Appends one instruction of the current layer and core with payload (pl, len). */
static int emit(lw *c, int op, int pipe, const void *pl, uint32_t len)
{
    if (npu_prog_emit(c->out, (uint16_t)op, (uint16_t)pipe, c->layer, pl, len) < 0)
        return npu_dvl_oom(c);
    c->ninstr++;
    c->issued++;
    return 0;
}

/* A short (npu_dv_sync) instruction: a flag, barrier, BEGIN or END. */
static int emit_sync(lw *c, int op, int pipe, int pipe2, int event)
{
    npu_dv_sync sy = {
        .core = (uint16_t)c->core, .pipe2 = (uint8_t)pipe2, .event = (uint8_t)event};
    return emit(c, op, pipe, &sy, sizeof sy);
}

int npu_dvl_em(lw *c, int op, int pipe, npu_dv_ins *d)
{
    d->core = (uint16_t)c->core;
    if (npu_dv_is_short((unsigned)op))
        return emit_sync(c, op, pipe, d->pipe2, d->event);
    return emit(c, op, pipe, d, sizeof *d);
}

int npu_dvl_setf(lw *c, int src, int dst, int id)
{
    return emit_sync(c, NPU_DV_OP_SET_FLAG, src, dst, id);
}

int npu_dvl_waitf(lw *c, int src, int dst, int id)
{
    return emit_sync(c, NPU_DV_OP_WAIT_FLAG, dst, src, id);
}

int npu_dvl_simple(lw *c, int op, int pipe)
{
    if (npu_dv_is_short((unsigned)op))
        return emit_sync(c, op, pipe, 0, 0);
    npu_dv_ins d = {0};
    return npu_dvl_em(c, op, pipe, &d);
}

/* A tile iteration starts with the Scalar unit's address/loop arithmetic for the instructions
 * it then issues: emitted first, its count patched by npu_dvl_scalar_end() when the tile is complete. */
long npu_dvl_scalar_begin(lw *c)
{
    npu_dv_ins d = {0};
    d.repeat = 1;
    long idx = (long)c->out->n;
    if (npu_dvl_em(c, NPU_DV_OP_SCALAR, NPU_DV_PIPE_S, &d))
        return -1;
    c->issued = 0;
    return idx;
}

void npu_dvl_scalar_end(lw *c, long idx)
{
    npu_dv_ins *d = (npu_dv_ins *)(void *)(c->out->data + c->out->ins[idx].off);
    d->repeat = (uint32_t)(c->issued > 0 ? c->issued : 1);
}

int npu_dvl_copy(lw *c, int op, int pipe, int64_t bytes, int64_t run, bool l2, unsigned buf,
                uint64_t aux)
{
    npu_dv_ins d = {0};
    d.bytes = (uint64_t)(bytes > 0 ? bytes : 0);
    d.run = (uint32_t)(run > 0 && run < bytes ? (run > UINT32_MAX ? UINT32_MAX : run) : 0);
    d.mem = l2 ? NPU_DV_MEM_L2 : NPU_DV_MEM_DDR;
    d.buf = buf;
    d.aux = aux;
    return npu_dvl_em(c, op, pipe, &d);
}

int npu_dvl_vec(lw *c, int kind, int64_t bytes, unsigned buf)
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
        if (npu_dvl_em(c, NPU_DV_OP_VEC, NPU_DV_PIPE_V, &d))
            return c->err->code;
        bytes -= r * 256;
        reps -= r;
    }
    return 0;
}

/* pipe_barrier(PIPE_V) between dependent vector instructions (research §2.2: the pipe issues
 * back to back and only a barrier resolves a read-after-write; TBE/Ascend C insert it). */
int npu_dvl_vbarrier(lw *c)
{
    return emit_sync(c, NPU_DV_OP_BARRIER, NPU_DV_PIPE_V, NPU_DV_PIPE_V, 0);
}

int npu_dvl_root(const npu_graph *g, int t)
{
    for (int guard = 0; t >= 0 && t < g->nt && g->t[t].view_of >= 0 && guard < 1000; guard++)
        t = g->t[t].view_of;
    return t;
}

bool npu_dvl_tensor_l2(const lw *c, int t)
{
    t = npu_dvl_root(c->g, t);
    return t >= 0 && t < c->g->nt && c->in_l2[t];
}


/* L2 capacity per batch (research §1.5, §1.6): an activation an AI Core kernel wrote that is
 * larger than half of L2 goes to DDR, but the L2 is a cache, so the part written last — the
 * half of L2 a tensor may use — is still there when the next kernel reads it. The share of
 * its reads that hit: (L2/2) / size; 0 for inputs, AI CPU outputs and tensors that fit (those
 * are all-or-nothing, tensor_l2). This is what makes a large batch slower per image once its
 * activations outgrow the L2. */
double npu_dvl_tensor_l2_part(const lw *c, int t)
{
    t = npu_dvl_root(c->g, t);
    if (t < 0 || t >= c->g->nt || c->in_l2[t] || !c->on_core || !c->on_core[t] || c->s->l2 <= 0)
        return 0;
    if (c->s->l2_lru)
        return npu_dvl_l2_hit(c, t);
    int64_t b = npu_dvl_tbytes(c->g, t);
    return b > 0 ? npu_dvl_min(c->s->l2 / 2, b) / (double)b : 0;
}

/* A GM read of `bytes` of tensor data on MTE2 into L1 (op COPY_GM_L1) or UB: as one transfer
 * from L2 or DDR, or, for a tensor partly left in L2 (`part` of it hits), as an L2 transfer
 * and a DDR transfer. Adds the L2 bytes to *l2b. */
int npu_dvl_gm_read(lw *c, int op, int64_t bytes, int64_t run, bool l2, double part, unsigned buf,
                   int64_t *l2b)
{
    if (l2 || part <= 0 || bytes <= 0) {
        if (l2)
            *l2b += bytes;
        return npu_dvl_copy(c, op, NPU_DV_PIPE_MTE2, bytes, run, l2, buf, 0);
    }
    int64_t h = (int64_t)llround((double)bytes * part);
    *l2b += h;
    if (h > 0 && npu_dvl_copy(c, op, NPU_DV_PIPE_MTE2, h, run, true, buf, 0))
        return c->err->code;
    return bytes - h > 0 ? npu_dvl_copy(c, op, NPU_DV_PIPE_MTE2, bytes - h, run, false, buf, 0) : 0;
}

/* Whether the float output t of a kernel with a fused AscendQuant is read by something besides
 * that quantize (another layer, or the graph's output): the kernel then writes its float tile
 * as well as the int8 one. */
bool npu_dvl_read_besides_quant(const npu_graph *g, int t)
{
    int use[2];
    return npu_graph_consumers(g, t, use, 2) > 1 || npu_graph_is_output(g, t);
}

int npu_dvl_vec_seq(npu_op op, npu_act act, int *seq, int max)
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

size_t npu_dvl_kernel_header(lw *c, const npu_dv_kernel *k)
{
    size_t idx = c->out->n;
    if (npu_prog_emit(c->out, NPU_DV_OP_KERNEL, NPU_DV_PIPE_TS, c->layer, k, sizeof *k) < 0)
        return (size_t)-1;
    return idx;
}

npu_dv_kernel *npu_dvl_kernel_at(lw *c, size_t idx)
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
int npu_dvl_block_begin(lw *c, int core, bool cube)
{
    c->core = core;
    memset(c->slot_op, 0, sizeof c->slot_op);
    c->slot_l0 = c->slot_c = c->slot_ub = 0;
    if (npu_dvl_simple(c, NPU_DV_OP_BEGIN, NPU_DV_PIPE_S))
        return c->err->code;
    return free_flags(c, cube, npu_dvl_setf);
}

/* Epilogue: consume the free flags, END on every pipe. */
int npu_dvl_block_end(lw *c, bool cube)
{
    if (free_flags(c, cube, npu_dvl_waitf))
        return c->err->code;
    for (int p = 0; p < NPU_DV_NPIPES; p++)
        if (npu_dvl_simple(c, NPU_DV_OP_END, p))
            return c->err->code;
    return 0;
}

/* ---- cube kernels ---------------------------------------------------------------------------- */

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
            b += npu_dvl_tbytes(g, t[i]);
    return b;
}

bool npu_dvl_is_input(const npu_graph *g, int t)
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
            !npu_dvl_tensor_l2(c, t[i]))
            b += npu_dvl_tbytes(c->g, t[i]);
    return b;
}

static int64_t dram_out_bytes(const lw *c, const npu_layer *l)
{
    int64_t b = 0;
    for (int i = 0; i < l->nout; i++) {
        int t = l->out[i];
        if (t >= 0 && t < c->g->nt && !(c->s->l2 > 0 && npu_dvl_tbytes(c->g, t) <= c->s->l2 / 2 &&
                                         !(l->flags & NPU_LF_HOST)))
            b += npu_dvl_tbytes(c->g, t);
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
            !npu_dvl_act_fused(c, g->l[p].act) ||
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
    if (k < 0 || c->quant[k] >= 0 || !npu_dvl_act_fused(c, g->l[k].act))
        return -1; /* (an activation kernel of its own writes the tensor last) */
    if (k != p && c->fuse_add[k] != p && c->deq[k] != p)
        return -1;
    return k;
}

/* A layer that moves no data (reshape, flatten...): it emits nothing. */
static bool is_view(const npu_graph *g, const npu_layer *l)
{
    return !needs_aicpu(g, l) && ((l->flags & NPU_LF_VIEW) || npu_op_class(l->op) == NPU_OPC_VIEW);
}

static void lw_free(lw *c)
{
    free(c->in_l2);
    free(c->on_core);
    free(c->kind);
    free(c->l2r);
    free(c->map);
    free(c->aipp_t);
    free(c->fuse_add);
    free(c->deq);
    free(c->deq_src);
    free(c->quant);
    free(c->kernel);
    free(c->fused);
}

/* Everything decided before the first instruction: fusions, placement, the program's layer
 * table, L2 residency. The arrays are *cc's (lw_free) whatever happens. */
static int lw_prepare(lw *cc, const npu_davinci_state *s, const npu_graph *g, npu_program *out,
                      npu_err *err)
{
    lw c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.g = g;
    c.out = out;
    c.err = err;
    c.first_mac = -1;
    size_t nt = (size_t)(g->nt > 0 ? g->nt : 1), nl = (size_t)(g->nl > 0 ? g->nl : 1);
    c.in_l2 = npu_calloc(nt, 1);
    c.on_core = npu_calloc(nt, 1);
    int *map = c.map = npu_calloc(nl, sizeof *map);
    uint8_t *aipp_t = c.aipp_t = npu_calloc(nt, 1);
    uint8_t *kind = c.kind = npu_calloc(nl, 1);
    c.fuse_add = npu_calloc(nl, sizeof *c.fuse_add);
    uint8_t *fused = c.fused = npu_calloc(nl, 1);
    c.deq = npu_calloc(nl, sizeof *c.deq);
    c.deq_src = npu_calloc(nl, sizeof *c.deq_src);
    c.quant = npu_calloc(nl, sizeof *c.quant);
    int *kernel = c.kernel = npu_calloc(nl, sizeof *kernel);
    int rc = 0;
    if (!c.in_l2 || !c.on_core || !map || !aipp_t || !kind || !c.fuse_add || !fused || !c.deq ||
        !c.deq_src || !c.quant || !kernel) {
        rc = npu_dvl_oom(&c);
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
        bool view = is_view(g, l);
        bool cube = !view && !cpu && is_cube(l);
        /* AIPP converts the u8 frame to fp16 itself: a cast/dequantize of a graph input is
         * absorbed into it (no kernel) */
        bool absorbed = !view && !cpu && c.s->aipp != NPU_DV_AIPP_NONE &&
                        npu_op_class(l->op) == NPU_OPC_QUANT && l->nin > 0 &&
                        npu_dvl_is_input(g, l->in[0]);
        if (fused[li])
            absorbed = true; /* runs in its Cube kernel's epilogue, which writes its output */
        if (absorbed) {
            view = true;
            if (!fused[li] && l->nout > 0 && l->out[0] >= 0 && l->out[0] < g->nt)
                aipp_t[l->out[0]] = 1;
        }
        if (cube && c.first_mac < 0 && l->op == NPU_OP_CONV && l->nin > 0 &&
            (npu_dvl_is_input(g, l->in[0]) || (l->in[0] >= 0 && l->in[0] < g->nt && aipp_t[l->in[0]])))
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
            rc = npu_dvl_oom(&c);
            goto done;
        }
        map[li] = pl;
        if (absorbed)
            map[li] = -2 - pl;
        kind[li] = (uint8_t)(view || cpu ? 0 : cube ? 1 : 2);
        if ((!view && !cpu) || fused[li])
            for (int i = 0; i < l->nout; i++) {
                int t = l->out[i];
                if (t >= 0 && t < g->nt)
                    c.on_core[t] = 1;
                if (t >= 0 && t < g->nt && c.s->l2 > 0 && npu_dvl_tbytes(g, t) <= c.s->l2 / 2)
                    c.in_l2[t] = 1;
            }
    }
    if (!rc && c.s->l2_lru)
        rc = npu_dvl_l2_plan(&c, kind);
done:
    *cc = c;
    return rc;
}

/* Each cube step (one L0 tile's MMAD, its loads behind flags) and each vector UB tile (its MTE2
 * load, V work and MTE3 write behind flags) is at least one engine job: flag waits keep the
 * executor (timing.c) from merging them into a neighbour's job. Measured: a run submits 2 to 6
 * times this bound (resnet50, mobilenet_v2, yolov5s, a lone gemm, a vector chain; ascend310
 * and ascend910). */
int npu_dvl_jobs(lw *c, const char *layer, double units, const char *what)
{
    c->jobs += units;
    if (c->out->job_limit > 0 && c->jobs > (double)c->out->job_limit)
        return npu_err_set(c->err, NPU_EUNSUPPORTED,
                           "davinci: layer '%s': the program up to it has at least %.4g jobs "
                           "(%.4g %s in this layer): " NPU_JOB_LIMIT_MSG,
                           layer, c->jobs, units, what, (long long)c->out->job_limit);
    return 0;
}

/* Whether graph layer li has instructions: not dead, absorbed into AIPP or a view. */
static bool has_code(const lw *c, int li)
{
    return c->map[li] >= 0 && !is_view(c->g, &c->g->l[li]);
}

/* The kernels of graph layer li (has_code), appended to c->out. */
static int lower_layer(lw *c, int li)
{
    const npu_layer *l = &c->g->l[li];
    c->layer = c->map[li];
    c->gli = li;
    if (needs_aicpu(c->g, l))
        return npu_dvl_aicpu(c, li, false);
    if (!is_cube(l))
        return npu_dvl_vector(c, li);
    if (li == c->first_mac && c->s->aipp == NPU_DV_AIPP_CPU && npu_dvl_aicpu(c, li, true))
        return c->err->code;
    return npu_dvl_cube(c, li);
}

/* A windowed lowering (npu_program.windowed): lower() prepares and lowers the last layer with
 * instructions (the tail), whose instructions stay at the front of the program's arrays; each
 * window is then one more layer's instructions after them, and the last window is the tail. */
struct npu_dv_lazy {
    lw c;
    int next;          /* next graph layer to lower                                  */
    int tail;          /* the last graph layer with instructions, -1 none            */
    size_t tail_n, tail_dlen;
};

void npu_dv_lazy_free(npu_dv_lazy *z)
{
    if (!z)
        return;
    lw_free(&z->c);
    free(z);
}

int npu_dv_lazy_next(npu_dv_lazy *z, size_t *start, bool *last, npu_err *err)
{
    lw *c = &z->c;
    npu_program *p = c->out;
    c->err = err;
    p->n = z->tail_n;
    p->dlen = z->tail_dlen;
    *start = z->tail_n;
    *last = false;
    for (; z->next < c->g->nl && z->next != z->tail; z->next++) {
        if (!has_code(c, z->next))
            continue;
        int rc = lower_layer(c, z->next);
        if (rc)
            return rc;
        if (p->n > *start) {
            z->next++;
            return 0;
        }
    }
    z->next = c->g->nl;
    *start = 0;
    *last = true;
    return 0;
}

int npu_davinci_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err)
{
    npu_davinci_state *s = m->state;
    npu_dv_lazy_free(s->lazy);
    s->lazy = NULL;
    reserve_program(out, (size_t)1 << 20, (size_t)1 << 26);
    npu_dv_lazy *z = npu_calloc(1, sizeof *z);
    if (!z)
        return npu_err_set(err, NPU_ENOMEM, "davinci: out of memory");
    lw *c = &z->c;
    int rc = lw_prepare(c, s, g, out, err);
    if (!rc && out->windowed) {
        z->tail = -1;
        for (int li = g->nl - 1; li >= 0 && z->tail < 0; li--)
            if (has_code(c, li))
                z->tail = li;
        if (z->tail < 0 || !(rc = lower_layer(c, z->tail))) {
            z->tail_n = out->n;
            z->tail_dlen = out->dlen;
            s->lazy = z;
            return 0;
        }
        /* the tail failed: lower in order, so that the error reported is the first layer's */
        out->n = out->dlen = 0;
        c->jobs = 0;
        npu_err_clear(err);
        rc = 0;
    }
    for (int li = 0; li < g->nl && !rc; li++)
        if (has_code(c, li))
            rc = lower_layer(c, li);
    npu_dv_lazy_free(z);
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
