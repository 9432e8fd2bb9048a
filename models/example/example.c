/* example.c — the `example` model: the smallest complete NPU model, for teaching (prefix
 * npu_example_). Copy this folder to add a model: docs/models/adding-a-model.md.
 *
 * The hardware: a rows x cols weight-stationary MAC array, one activation buffer split in two
 * halves (double buffering), one weight buffer, one DMA engine between DRAM and the buffers,
 * and one interrupt to the host CPU when a layer is done. Per layer:
 *   1. the CPU's driver has programmed the layer's registers (at the previous interrupt);
 *   2. the DMA reads a tile of input rows into a free buffer half (with the layer's weights
 *      the first time, or again for every tile when they do not fit the weight buffer);
 *   3. the array computes the tile: per weight tile ("fold") it preloads the weights (R
 *      cycles) and streams the tile's rows through: 2R + C + T - 2 cycles per fold, as
 *      SCALE-Sim's weight-stationary array (research/peers.md §2.4);
 *   4. the DMA writes the tile's output rows back and frees the half; meanwhile the next tile
 *      was read into the other half (one DMA engine: reads and writes take turns);
 *   5. after the last write the NPU raises its interrupt; the ISR reads the status register
 *      and writes irq_regs registers for the next layer, which starts after it.
 * Layers the array cannot run (everything but conv/convt/gemm/matmul, and layers the graph
 * marks for the host) run on the host CPU (npu_host_run_op: the shared host model). Views
 * (reshape, flatten) cost nothing.
 *
 * What it leaves out (each a known error of this model, not tuned away):
 *   - halo rows: a tile reads its share of the input tensor; the k-1 extra input rows a k x k
 *     kernel needs at a tile's edge are not read again (slightly optimistic DRAM traffic);
 *   - im2col and strides inside the array: the array is charged its folds, whatever the
 *     kernel shape, so a depthwise conv (K = 9, N = 1 per group) uses 9 of its PEs;
 *   - weight preload overlap (one weight register set), the accumulator width, bias and
 *     activation hardware (free here), DMA descriptors and address alignment;
 *   - layer overlap: layers run strictly one after another (the interrupt is the barrier);
 *   - convt runs as a conv of its input size (its MACs are exact, its tiling approximate).
 * Figures: every default below names its source or says "assumption"; the preset
 * models/presets/example.lua does the same for the values it sets.
 */
#include "example.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const npu_param_def example_params[] = {
    {.name = "rows", .type = NPU_P_INT, .def = 16, .min = 1, .max = 1024, .unit = "PEs",
     .doc = "array height R (reduction K on rows; assumption: 16x16 = 256 MACs, an edge NPU)"},
    {.name = "cols", .type = NPU_P_INT, .def = 16, .min = 1, .max = 1024, .unit = "PEs",
     .doc = "array width C (output channels N on columns; assumption)"},
    {.name = "abuf_kb", .type = NPU_P_INT, .def = 128, .min = 1, .max = 1048576, .unit = "KiB",
     .doc = "activation buffer, two halves for double buffering (assumption)"},
    {.name = "wbuf_kb", .type = NPU_P_INT, .def = 64, .min = 1, .max = 1048576, .unit = "KiB",
     .doc = "weight buffer: a layer's weights that fit are loaded once (assumption)"},
    {.name = "dma_bytes", .type = NPU_P_FLOAT, .def = 16, .min = 0.01, .max = 65536,
     .unit = "B/cycle", .doc = "DMA engine width (assumption: one 128-bit AXI beat per cycle)"},
    {.name = "freq_mhz", .type = NPU_P_FLOAT, .def = 500, .min = 1, .max = 10000,
     .unit = "MHz", .doc = "array and DMA clock (assumption)"},
    {.name = "irq_regs", .type = NPU_P_INT, .def = 8, .min = 0, .max = 4096, .unit = "",
     .doc = "registers the driver writes per layer: addresses, sizes, start (assumption)"},
    {.name = NULL},
};

static int example_init(npu_model *m, npu_err *err)
{
    npu_example_state *s = m->state;
    s->rows = npu_model_int(m, "rows");
    s->cols = npu_model_int(m, "cols");
    s->ahalf = npu_model_int(m, "abuf_kb") * 1024 / 2;
    s->wbuf = npu_model_int(m, "wbuf_kb") * 1024;
    s->dma_bytes = npu_model_float(m, "dma_bytes");
    s->freq_mhz = npu_model_float(m, "freq_mhz");
    s->irq_regs = npu_model_int(m, "irq_regs");
    /* the array holds one weight tile of rows x cols bytes (int8) out of the weight buffer */
    if (s->rows * s->cols > s->wbuf)
        return npu_err_set(err, NPU_EINVAL, "example: a %" PRId64 "x%" PRId64 " weight tile "
                           "does not fit wbuf_kb=%" PRId64, s->rows, s->cols, s->wbuf / 1024);
    return 0;
}

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
#define EXAMPLE_MAX_TILES ((int64_t)1 << 20) /* tiles of one layer (lower_array) */

static bool on_array(const npu_layer *l)
{
    return !(l->flags & NPU_LF_HOST) && (l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT ||
                                         l->op == NPU_OP_GEMM || l->op == NPU_OP_MATMUL);
}

static bool is_view(const npu_layer *l)
{
    return !(l->flags & NPU_LF_HOST) &&
           ((l->flags & NPU_LF_VIEW) || npu_op_class(l->op) == NPU_OPC_VIEW);
}

/* Tiles of a MAC layer. The layer is `sub` independent GEMMs of M x K x N (conv: output pixels
 * x kernel window x out channels per group and image); a tile takes g whole sub-problems when
 * one fits a buffer half, else t of the M rows of one, so input + output of a tile fit. */
static int lower_array(const npu_example_state *s, const npu_graph *g, int li, int pl,
                       npu_program *out, npu_err *err)
{
    const npu_layer *l = &g->l[li];
    int64_t word = npu_dtype_bytes(l->dtype, 1), sub, m, n, k, in_sub;
    if (l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT) {
        npu_conv_geom c;
        if (npu_layer_conv_geom(g, li, &c) || c.groups < 1)
            return npu_err_set(err, NPU_EINVAL, "%s:%d: '%s': no geometry", g->file, l->line,
                               l->name);
        sub = c.n * c.groups;
        m = l->op == NPU_OP_CONV ? c.ho * c.wo : c.h * c.w;
        n = c.k / c.groups;
        k = (int64_t)c.kh * c.kw * (c.c / c.groups);
        in_sub = c.h * c.w * (c.c / c.groups) * word;
    } else {
        npu_gemm_geom q;
        if (npu_layer_gemm_geom(g, li, &q))
            return npu_err_set(err, NPU_EINVAL, "%s:%d: '%s': no geometry", g->file, l->line,
                               l->name);
        sub = q.batch, m = q.m, n = q.n, k = q.k;
        in_sub = m * k * word;
    }
    if (sub < 1 || m < 1 || n < 1 || k < 1)
        return npu_err_set(err, NPU_EINVAL, "%s:%d: '%s': empty GEMM", g->file, l->line, l->name);
    /* weights: the parameters, or the second operand of a matmul of two activations */
    npu_prog_layer bytes = npu_prog_graph_layer(g, li, "");
    int64_t b_act = bytes.in_bytes - sub * in_sub;
    int64_t w_all = bytes.weight_bytes + (b_act > 0 ? b_act : 0);
    int64_t out_sub = cdiv(bytes.out_bytes, sub); /* a convt writes more rows than it reads */
    bool resident = w_all <= s->wbuf;
    /* an output row too wide for a buffer half (an LLM's vocabulary projection): split the N
     * output channels into blocks, each a sub-problem that reads the input again */
    int64_t split = 1;
    while (split < n && cdiv(in_sub, m) + cdiv(out_sub, m * split) > s->ahalf)
        split *= 2;
    split = split < n ? split : n;
    sub *= split, n = cdiv(n, split), out_sub = cdiv(out_sub, split);
    int64_t row = cdiv(in_sub, m) + cdiv(out_sub, m); /* buffer bytes per output row */
    if (row > s->ahalf)
        return npu_err_set(err, NPU_EINVAL, "%s:%d: '%s': one output row needs %" PRId64 " B of "
                           "activation buffer, a half of abuf_kb has %" PRId64, g->file,
                           l->line, l->name, row, s->ahalf);
    int64_t t = m * row <= s->ahalf ? m : s->ahalf / row;
    int64_t gt = t == m ? s->ahalf / (in_sub + out_sub) : 1;
    gt = gt < 1 ? 1 : gt > sub ? sub : gt;
    /* The program holds a record per distinct tile, built before the run: refuse absurd sizes
     * (run_fuzz: a conv of 10^8 output channels grew it past 2 GB) instead of lowering them.
     * 2^20 tiles of one layer is far beyond any real network on this array. */
    int64_t ng = cdiv(sub, gt), nr = cdiv(m, t);
    /* ... and byte counts whose products below overflow (run_fuzz: an ONNX model's input of
     * 3e10 bytes per sub-problem times 3e8 rows) */
    if (in_sub > INT64_MAX / m || out_sub > INT64_MAX / m || w_all > INT64_MAX / gt)
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "%s:%d: '%s': %" PRId64 " B in and %" PRId64
                           " B out per sub-problem over %" PRId64 " rows: too large to simulate",
                           g->file, l->line, l->name, in_sub, out_sub, m);
    if (ng > EXAMPLE_MAX_TILES / nr)
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "%s:%d: '%s': %" PRId64 " x %" PRId64
                           " tiles exceed the simulator's limit of %lld",
                           g->file, l->line, l->name, ng, nr, (long long)EXAMPLE_MAX_TILES);
    npu_example_tile cur = {0};
    for (int64_t g0 = 0; g0 < sub; g0 += gt) {
        int64_t gn = sub - g0 < gt ? sub - g0 : gt;
        for (int64_t r0 = 0; r0 < m; r0 += t) {
            int64_t tn = m - r0 < t ? m - r0 : t;
            npu_example_tile x = {
                .count = 1, .g = gn, .t = tn,
                .folds = cdiv(k, s->rows) * cdiv(n, s->cols),
                .rd_in = gn * (in_sub * (r0 + tn) / m - in_sub * r0 / m),
                .rd_w = resident ? (g0 == 0 && r0 == 0 ? w_all : 0) : cdiv(w_all * gn, sub),
                .wr = gn * (out_sub * (r0 + tn) / m - out_sub * r0 / m),
            };
            if (cur.count && !memcmp(&x.g, &cur.g, sizeof x - sizeof x.count)) {
                cur.count++;
                continue;
            }
            if (cur.count && npu_prog_emit(out, NPU_EXAMPLE_OP_TILE, NPU_EXAMPLE_UNIT_ARRAY,
                                           pl, &cur, sizeof cur) < 0)
                return npu_err_set(err, NPU_ENOMEM, "example: out of memory");
            cur = x;
        }
    }
    if (npu_prog_emit(out, NPU_EXAMPLE_OP_TILE, NPU_EXAMPLE_UNIT_ARRAY, pl, &cur, sizeof cur) < 0)
        return npu_err_set(err, NPU_ENOMEM, "example: out of memory");
    return 0;
}

static int example_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err)
{
    const npu_example_state *s = m->state;
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        if (l->flags & NPU_LF_DEAD)
            continue;
        const char *where = on_array(l) ? "array" : is_view(l) ? "none" : "cpu";
        npu_prog_layer rec = npu_prog_graph_layer(g, li, where);
        int pl = npu_prog_add_layer(out, &rec);
        if (pl < 0)
            return npu_err_set(err, NPU_ENOMEM, "example: out of memory");
        if (on_array(l)) {
            int rc = lower_array(s, g, li, pl, out, err);
            if (rc)
                return rc;
        } else if (!is_view(l)) {
            npu_example_host h = {.opclass = (int32_t)npu_op_class(l->op),
                                  .op = (int32_t)l->op, .macs = l->macs,
                                  .rd = rec.in_bytes + rec.weight_bytes, .wr = rec.out_bytes};
            for (int q = 0; q < l->nout; q++)
                h.elems += npu_tensor_elems(&g->t[l->out[q]]);
            if (npu_prog_emit(out, NPU_EXAMPLE_OP_HOST, NPU_EXAMPLE_UNIT_HOST, pl, &h,
                              sizeof h) < 0)
                return npu_err_set(err, NPU_ENOMEM, "example: out of memory");
        }
    }
    return 0;
}

/* ---- execution on the engine ---------------------------------------------------------------- */
typedef struct example_run {
    npu_engine *e;
    npu_err *err;
    const npu_example_state *s;
    int array, dma, free_half, in_full, out_full, wr_done, irq, isr_done;
    int go;             /* the next layer starts on it: 2 tokens, for the array and the DMA */
    int64_t pending_wr; /* bytes of the tile whose write is still to be submitted, -1 none */
} example_run;

static int dma_write(example_run *x, int layer, int64_t bytes, bool last)
{
    npu_job j;
    npu_job_init(&j, x->dma, layer, "write");
    npu_job_wait(&j, x->out_full, 1, NULL);
    npu_job_xfer(&j, NPU_PORT_DRAM, true, bytes, 0, NULL);
    npu_job_signal(&j, x->free_half, 1, NULL);
    npu_job_signal(&j, x->wr_done, last, NULL);
    return npu_engine_submit(x->e, &j, x->err);
}

/* One tile: DMA read, array compute, and the previous tile's write (the DMA reads ahead). */
static int run_tile(example_run *x, int layer, const npu_example_tile *tl, bool first, bool last)
{
    const npu_example_state *s = x->s;
    npu_job rd, mac, gate;
    /* the array, too, waits for the go of its layer: idle time that is control stall */
    npu_job_init(&gate, x->array, layer, "start");
    npu_job_wait(&gate, x->go, 1, NULL);
    if (first && npu_engine_submit(x->e, &gate, x->err))
        return x->err->code;
    npu_job_init(&rd, x->dma, layer, "read");
    npu_job_wait(&rd, x->go, first, NULL);
    npu_job_wait(&rd, x->free_half, 1, NULL);
    npu_job_xfer(&rd, NPU_PORT_DRAM, false, tl->rd_in + tl->rd_w, 0, NULL);
    npu_job_signal(&rd, x->in_full, 1, NULL);
    npu_job_init(&mac, x->array, layer, "tile");
    npu_job_wait(&mac, x->in_full, 1, NULL);
    mac.cycles = (double)tl->g * (double)tl->folds * (double)(2 * s->rows + s->cols + tl->t - 2);
    npu_job_signal(&mac, x->out_full, 1, NULL);
    if (npu_engine_submit(x->e, &rd, x->err) || npu_engine_submit(x->e, &mac, x->err) ||
        (x->pending_wr >= 0 && dma_write(x, layer, x->pending_wr, false)))
        return x->err->code;
    x->pending_wr = tl->wr;
    if (!last)
        return 0;
    /* the layer is done: last write, the interrupt, the ISR programs the next layer; the
     * array waits for the ISR inside this layer (control stall) and then hands on the go */
    npu_job fence, resume;
    npu_job_init(&fence, x->array, layer, "irq");
    npu_job_wait(&fence, x->wr_done, 1, NULL);
    npu_job_signal(&fence, x->irq, 1, NULL);
    int next = npu_engine_sync(x->e, "go", 0);
    npu_job_init(&resume, x->array, layer, "resume");
    npu_job_wait(&resume, x->isr_done, 1, NULL);
    npu_job_signal(&resume, next, 2, NULL);
    npu_host_req r;
    npu_host_req_init(&r, layer);
    r.irq = 1;
    r.reg_reads = 1; /* the interrupt status register */
    r.reg_writes = (int)s->irq_regs;
    r.wait = (npu_syncop){x->irq, 1};
    r.sig = (npu_syncop){x->isr_done, 1};
    r.label = "isr";
    if (dma_write(x, layer, x->pending_wr, true) || npu_engine_submit(x->e, &fence, x->err) ||
        npu_host_submit(x->e, &r, x->err) || npu_engine_submit(x->e, &resume, x->err))
        return x->err->code;
    x->pending_wr = -1;
    x->go = next;
    return 0;
}

/* The CPU is one in-order queue that also takes the interrupts: a host operator queued
 * before its turn would block the ISR it waits for. So it is started from a callback of a
 * zero-cycle job that waits for the go of its layer. */
static void host_go(npu_engine *e, void *ud, const npu_job *j)
{
    /* the record was checked before; a failure (out of memory) leaves the operator unrun and
     * the engine then reports the layers still waiting for it */
    (void)npu_host_run_op(e, ud, NULL);
}

static int example_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err)
{
    npu_example_state *s = m->state;
    example_run x = {.e = e, .err = err, .s = s, .pending_wr = -1};
    free(s->hops);
    s->nhops = 0;
    s->hops = npu_calloc(p->n + 1, sizeof *s->hops);
    if (!s->hops)
        return npu_err_set(err, NPU_ENOMEM, "example: out of memory");
    int clk = npu_engine_clock(e, "core", s->freq_mhz);
    int sched = npu_engine_unit(e, "sched", NPU_UK_CTRL, clk, 0, 0); /* starts host operators */
    x.array = npu_engine_unit(e, "array", NPU_UK_COMPUTE, clk, 1, 0);
    x.dma = npu_engine_unit(e, "dma", NPU_UK_DMA, clk, 1, s->dma_bytes);
    x.free_half = npu_engine_sync(e, "abuf_free", 2);
    x.in_full = npu_engine_sync(e, "in_full", 0);
    x.out_full = npu_engine_sync(e, "out_full", 0);
    x.wr_done = npu_engine_sync(e, "wr_done", 0);
    x.irq = npu_engine_sync(e, "irq", 0);
    x.isr_done = npu_engine_sync(e, "isr_done", 0);
    x.go = npu_engine_sync(e, "go", 2);
    if (clk < 0 || sched < 0 || x.array < 0 || x.dma < 0 || x.go < 0)
        return npu_err_set(err, NPU_ESIM, "example: cannot build the hardware");
    for (int dt = 0; dt < NPU_DT_COUNT; dt++)
        npu_engine_set_peak(e, (npu_dtype)dt, (double)(s->rows * s->cols));
    int64_t tiles = 0;
    for (size_t i = 0; i < p->n; i++) {
        int layer = p->ins[i].layer;
        if (p->ins[i].op == NPU_EXAMPLE_OP_TILE) {
            const npu_example_tile *tl = npu_prog_get(p, i, NPU_EXAMPLE_OP_TILE, sizeof *tl);
            const int64_t big = (int64_t)1 << 40; /* a loaded program may be hostile */
            if (!tl || tl->count < 1 || tl->count > big || tl->g < 1 || tl->g > big ||
                tl->t < 1 || tl->t > big || tl->folds < 1 || tl->folds > big ||
                tl->rd_in < 0 || tl->rd_in > big || tl->rd_w < 0 || tl->rd_w > big ||
                tl->wr < 0 || tl->wr > big)
                return npu_err_set(err, NPU_EFORMAT, "example program: instruction %zu: bad "
                                   "TILE record", i);
            /* every tile is three jobs: refuse a count no lowering makes (2^24 tiles) */
            if ((tiles += tl->count) > ((int64_t)1 << 24))
                return npu_err_set(err, NPU_EFORMAT, "example program: more than 2^24 tiles "
                                   "(instruction %zu): a damaged program?", i);
            bool first = i == 0 || p->ins[i - 1].layer != layer;
            bool last_rec = i + 1 == p->n || p->ins[i + 1].layer != layer;
            npu_engine_set_main_unit(e, layer, x.array);
            for (int64_t c = 0; c < tl->count; c++)
                if (run_tile(&x, layer, tl, first && c == 0, last_rec && c + 1 == tl->count))
                    return err->code;
        } else if (p->ins[i].op == NPU_EXAMPLE_OP_HOST) {
            const npu_example_host *h = npu_prog_get(p, i, NPU_EXAMPLE_OP_HOST, sizeof *h);
            if (!h || h->opclass < 0 || h->opclass >= NPU_OPC_COUNT || h->op < 0 ||
                h->op >= NPU_OP_COUNT || h->macs < 0 || h->elems < 0 || h->rd < 0 || h->wr < 0)
                return npu_err_set(err, NPU_EFORMAT, "example program: instruction %zu: bad "
                                   "HOST record", i);
            /* the CPU takes both tokens (the NPU is idle) and hands them on */
            int next = npu_engine_sync(e, "go", 0);
            npu_host_op *o = &s->hops[s->nhops++];
            *o = (npu_host_op){.layer = layer, .cpu = 0, .cls = (npu_opclass)h->opclass,
                               .op = (npu_op)h->op, .macs = h->macs, .elems = h->elems,
                               .rd_bytes = (uint64_t)h->rd, .wr_bytes = (uint64_t)h->wr,
                               .wait = {-1, 0}, .sig = {next, 2}};
            npu_job j;
            npu_job_init(&j, sched, layer, "host go");
            npu_job_wait(&j, x.go, 2, NULL);
            j.done = host_go;
            j.ud = o;
            npu_engine_set_main_unit(e, layer, npu_host_cpu_unit(e, 0));
            if (npu_engine_submit(e, &j, err))
                return err->code;
            x.go = next;
        } else {
            return npu_err_set(err, NPU_EFORMAT, "example program: instruction %zu: unknown "
                               "opcode %u", i, (unsigned)p->ins[i].op);
        }
    }
    return 0;
}

/* One line per instruction for `npusim disasm` (explain uses it too). */
static int example_disasm(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out)
{
    const npu_example_tile *t = npu_prog_get(p, i, NPU_EXAMPLE_OP_TILE, sizeof *t);
    const npu_example_host *h = npu_prog_get(p, i, NPU_EXAMPLE_OP_HOST, sizeof *h);
    if (t)
        npu_sb_printf(out, "TILE x%" PRId64 " g=%" PRId64 " t=%" PRId64 " folds=%" PRId64
                      " rd=%" PRId64 "+%" PRId64 " wr=%" PRId64, t->count, t->g, t->t, t->folds,
                      t->rd_in, t->rd_w, t->wr);
    else if (h)
        npu_sb_printf(out, "HOST %s macs=%" PRId64 " elems=%" PRId64 " rd=%" PRId64
                      " wr=%" PRId64, h->op >= 0 && h->op < NPU_OP_COUNT ? npu_op_name(h->op)
                      : "?", h->macs, h->elems, h->rd, h->wr);
    else
        npu_sb_printf(out, "bad record (op %u, %u bytes)", (unsigned)p->ins[i].op,
                      (unsigned)p->ins[i].len);
    return 0;
}

static void example_fini(npu_model *m)
{
    npu_example_state *s = m->state;
    free(s->hops);
}

static const char *const example_array_keys[] = {"rows", "cols", NULL};

const npu_model_ops npu_model_example = {
    .abi = NPU_MODEL_ABI,
    .name = "example",
    .summary = "teaching model: weight-stationary MAC array, one DMA, one interrupt per layer",
    .params = example_params,
    .state_size = sizeof(npu_example_state),
    .init = example_init,
    .lower = example_lower,
    .execute = example_execute,
    .disasm = example_disasm,
    .fini = example_fini,
    .array_keys = example_array_keys,
    .array_fill_grows = true, /* 2R + C + T - 2 per fold grows with R and C */
};
