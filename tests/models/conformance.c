/* conformance.c — one harness run on every registered model (DESIGN §9.7).
 *
 * For every model in npu_builtin_models, its bare defaults and every built-in preset of that
 * model are run on five small graphs (a conv stack, a residual block with add, two gemms, a
 * depthwise-separable pair, pooling). What is asserted, exactly:
 *   1. per layer: cycles >= ideal_cycles; compute + mem_stall + ctrl_stall == cycles;
 *      util <= 1 (+1e-9) for layers with MACs;
 *   2. share_cycles summed over layers == total cycles; total macs == sum of layer macs;
 *   3. MACs conserved: sum of layer macs == npu_graph_macs of the prepared graph;
 *   4. compulsory traffic, counting 1 byte per element (int8, the smallest dtype used here):
 *      total reads (DRAM + SRAM) >= graph input elements + parameter elements of every layer with
 *      MACs (its weights are read at least once); total writes (DRAM + SRAM) >= graph output
 *      elements (written at least once);
 *   5. deterministic: two runs give byte-identical JSON (npu_report_write);
 *   6. doubling dram.gbps never gives more total cycles;
 *   (1-4 are also checked with dtype=fp16, where the dtype pass inserts (de)quantize layers)
 *   7. doubling the model's MAC-array size parameters (its ops struct's array_keys; skipped for
 *      a model without them or when the doubled value is out of range) never gives more total
 *      cycles.
 *      For a systolic array this only holds where throughput dominates: data and partial sums
 *      cross the whole array, so the fill/drain latency of a fold grows with its size (SCALE-Sim
 *      charges 2·R + C + T − 2 per fold with R, C the array's dimensions), and a latency-bound
 *      small layer is legitimately slower on a bigger array (tpu_v1 256x256 → 512x512: the
 *      small gemm goes 2416 → 3696 cycles). Models with `array_fill_grows` are therefore checked
 *      on the graphs flagged `throughput` (many folds) only. DaVinci is flagged too: its Task
 *      Scheduler prepares a kernel while the previous one runs, so a chain of short kernels is
 *      launch-bound and only the last kernel's own time shows; a bigger cube pads M and N to its
 *      larger fractal, which can cost that last small kernel a few cycles (hi3519dv500
 *      depthwise pair: 41925 -> 41940 cycles).
 * A model added to the registry is picked up automatically, with what its ops struct says.
 * `conformance NAME...` checks only the models named (the tested walk-through of
 * docs/models/adding-a-model.md runs it on the model it added).
 */
#include <stdlib.h>
#include <string.h>

#include "front/front.h"
#include "models/model.h"
#include "npusim_int.h"
#include "test.h"

static const struct {
    const char *name, *text;
    int throughput; /* many folds of MAC work on any array size here: throughput dominates */
} graphs[] = {
    {"conv_stack",
     "npg 1\ngraph conv_stack\ninput data 1x3x32x32 int8\n"
     "conv c1 data out=16 k=3 s=1 p=1 act=relu\n"
     "conv c2 c1 out=32 k=3 s=2 p=1 act=relu\n"
     "conv c3 c2 out=32 k=1\noutput c3\n",
     0},
    {"residual",
     "npg 1\ngraph residual\ninput data 1x32x16x16 int8\n"
     "conv c1 data out=32 k=3 s=1 p=1 act=relu\n"
     "conv c2 c1 out=32 k=3 s=1 p=1\n"
     "add sum c2 data act=relu\noutput sum\n",
     0},
    {"gemm",
     "npg 1\ngraph gemm\ninput x 1x256 int8\n"
     "gemm fc1 x out=128 act=relu\ngemm fc2 fc1 out=10\noutput fc2\n",
     0},
    {"depthwise",
     "npg 1\ngraph depthwise\ninput data 1x32x28x28 int8\n"
     "conv dw data out=32 k=3 s=1 p=1 g=32 act=relu\n"
     "conv pw dw out=64 k=1\noutput pw\n",
     0},
    {"pooling",
     "npg 1\ngraph pooling\ninput data 1x16x32x32 int8\n"
     "conv c1 data out=16 k=3 s=1 p=1\n"
     "maxpool p1 c1 k=2 s=2\navgpool p2 p1 k=2 s=2\noutput p2\n",
     0},
    {"big_conv",
     "npg 1\ngraph big_conv\ninput data 1x64x56x56 int8\n"
     "conv c1 data out=128 k=3 s=1 p=1 act=relu\n"
     "conv c2 c1 out=128 k=3 s=1 p=1\noutput c2\n",
     1},
};
#define NGRAPHS ((int)(sizeof graphs / sizeof graphs[0]))

static npu_graph *load(int gi)
{
    npu_err err = {0};
    npu_graph *g = npu_npg_read(graphs[gi].name, graphs[gi].text, strlen(graphs[gi].text), &err);
    if (g && npu_graph_prepare(g, &err)) {
        npu_graph_free(g);
        g = NULL;
    }
    if (!g)
        FAILF("graph %s: %s", graphs[gi].name, err.msg);
    return g;
}

static npu_result *run(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const char *what)
{
    npu_err err = {0};
    npu_result *r = npu_run(ctx, a, g, NULL, &err);
    if (!r)
        FAILF("%s on %s (%s): %s", g->name, npu_arch_name(a), what, err.msg);
    return r;
}

static int64_t compulsory_reads(const npu_graph *g)
{
    int64_t n = 0;
    for (int i = 0; i < g->ninputs; i++)
        n += npu_tensor_elems(&g->t[g->inputs[i]]);
    for (int i = 0; i < g->nl; i++)
        if (!(g->l[i].flags & NPU_LF_DEAD) && g->l[i].macs > 0)
            n += g->l[i].params;
    return n;
}

static int64_t compulsory_writes(const npu_graph *g)
{
    int64_t n = 0;
    for (int i = 0; i < g->noutputs; i++)
        n += npu_tensor_elems(&g->t[g->outputs[i]]);
    return n;
}

static void check_result(const npu_result *r, const npu_graph *g, const char *arch)
{
    const char *gn = g->name;
    int64_t share = 0, macs = 0, rd = 0, wr = 0;
    for (int i = 0; i < r->nlayers; i++) {
        const npu_layer_row *l = &r->layers[i];
        if (l->cycles < l->ideal_cycles)
            FAILF("%s/%s layer %s: cycles %lld < ideal %lld", arch, gn, l->name,
                  (long long)l->cycles, (long long)l->ideal_cycles);
        if (l->compute_cycles + l->mem_stall_cycles + l->ctrl_stall_cycles != l->cycles)
            FAILF("%s/%s layer %s: compute %lld + mem %lld + ctrl %lld != cycles %lld", arch, gn,
                  l->name, (long long)l->compute_cycles, (long long)l->mem_stall_cycles,
                  (long long)l->ctrl_stall_cycles, (long long)l->cycles);
        if (l->macs > 0 && !(l->util <= 1 + 1e-9))
            FAILF("%s/%s layer %s: util %g > 1", arch, gn, l->name, l->util);
        share += l->share_cycles;
        macs += l->macs;
        rd += l->dram_rd_bytes + l->sram_rd_bytes;
        wr += l->dram_wr_bytes + l->sram_wr_bytes;
    }
    if (share != r->total.cycles)
        FAILF("%s/%s: share_cycles sum %lld != total cycles %lld", arch, gn, (long long)share,
              (long long)r->total.cycles);
    if (macs != r->total.macs)
        FAILF("%s/%s: layer macs %lld != total macs %lld", arch, gn, (long long)macs,
              (long long)r->total.macs);
    if (macs != npu_graph_macs(g))
        FAILF("%s/%s: layer macs %lld != graph macs %lld", arch, gn, (long long)macs,
              (long long)npu_graph_macs(g));
    if (rd < compulsory_reads(g))
        FAILF("%s/%s: %lld bytes read < compulsory %lld (inputs + weights)", arch, gn,
              (long long)rd, (long long)compulsory_reads(g));
    if (wr < compulsory_writes(g))
        FAILF("%s/%s: %lld bytes written < compulsory %lld (outputs)", arch, gn, (long long)wr,
              (long long)compulsory_writes(g));
    if (r->total.cycles <= 0)
        FAILF("%s/%s: total cycles %lld", arch, gn, (long long)r->total.cycles);
}

static char *json(const npu_result *r)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    npu_report_write(r, NPU_FMT_JSON, &sb);
    return npu_sb_take(&sb);
}

/* Clone of a with every key in keys multiplied by 2; NULL when a key is absent or out of
 * range (the test is skipped then). */
static npu_arch *doubled(const npu_arch *a, const char *const *keys, int nkeys)
{
    npu_arch *c = npu_arch_clone(a);
    const npu_params *p = npu_arch_params(a);
    for (int k = 0; k < nkeys && keys[k] && c; k++) {
        int i = npu_params_find(p, keys[k]);
        char buf[64];
        npu_err err = {0};
        if (i < 0) {
            npu_arch_free(c);
            return NULL;
        }
        if (p->def[i]->type == NPU_P_INT)
            snprintf(buf, sizeof buf, "%lld", (long long)(2 * (int64_t)p->v[i].num));
        else
            snprintf(buf, sizeof buf, "%.17g", 2 * p->v[i].num);
        if (npu_arch_set(c, keys[k], buf, &err)) {
            npu_arch_free(c);
            return NULL;
        }
    }
    return c;
}

static void check_arch(npu_ctx *ctx, const char *archname, const npu_graph *const *gs)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, archname, &err);
    if (!a) {
        FAILF("open %s: %s", archname, err.msg);
        return;
    }
    /* a card preset: its chip is what a run of one result checks (the card: card_test) */
    if (npu_arch_card_spread(a) && npu_arch_set_kv(a, "card.spread=one", &err))
        FAILF("%s: card.spread=one: %s", archname, err.msg);
    const char *model = npu_arch_model(a);
    const npu_model_ops *ops = npu_model_find(model, &err);
    bool grows = false;
    const char *const *akeys = npu_model_array_keys(ops, &grows);
    int fill_grows = grows;
    int ran = 0, scaled = 0;
    for (int gi = 0; gi < NGRAPHS; gi++) {
        const npu_graph *g = gs[gi];
        if (!g)
            continue;
        npu_result *r1 = run(ctx, a, g, "base");
        npu_result *r2 = run(ctx, a, g, "again");
        if (r1)
            check_result(r1, g, archname);
        if (r1 && r2) {
            char *j1 = json(r1), *j2 = json(r2);
            if (!j1 || !j2 || strcmp(j1, j2) != 0)
                FAILF("%s/%s: two runs give different JSON", archname, g->name);
            free(j1);
            free(j2);
        }
        static const char *const bw[] = {"dram.gbps", NULL};
        npu_arch *fast = doubled(a, bw, 1);
        if (!fast)
            FAILF("%s: cannot double dram.gbps", archname);
        npu_result *rf = fast ? run(ctx, fast, g, "2x dram.gbps") : NULL;
        if (r1 && rf && rf->total.cycles > r1->total.cycles)
            FAILF("%s/%s: 2x dram.gbps is slower: %lld > %lld cycles", archname, g->name,
                  (long long)rf->total.cycles, (long long)r1->total.cycles);
        npu_arch *big =
            akeys && (!fill_grows || graphs[gi].throughput) ? doubled(a, akeys, 4) : NULL;
        /* a doubled array the model's own checks refuse (buffers too small for it, EINVAL
         * from init) is skipped with a note; any other failure is a failure */
        npu_result *rb = NULL;
        if (big) {
            npu_err eb = {0};
            rb = npu_run(ctx, big, g, NULL, &eb);
            if (!rb && eb.code == NPU_EINVAL)
                printf("  note: %s/%s: doubled array refused: %s\n", archname, g->name, eb.msg);
            else if (!rb)
                FAILF("%s on %s (2x array): %s", g->name, archname, eb.msg);
        }
        if (r1 && rb && rb->total.cycles > r1->total.cycles)
            FAILF("%s/%s: 2x MAC array (%s...) is slower: %lld > %lld cycles", archname, g->name,
                  akeys[0], (long long)rb->total.cycles, (long long)r1->total.cycles);
        /* another dtype: quantize/dequantize layers get inserted; the invariants still hold */
        npu_arch *f16 = npu_arch_clone(a);
        npu_err e16 = {0};
        if (f16 && npu_arch_set(f16, "dtype", "fp16", &e16) == 0) {
            /* an arch without fp16 says so (issue 11: no silent fallback to int8) */
            npu_result *rh = npu_run(ctx, f16, g, NULL, &e16);
            if (!rh && !(e16.code == NPU_EUNSUPPORTED && strstr(e16.msg, "cannot run dtype=fp16")))
                FAILF("%s on %s (dtype=fp16): %s", g->name, archname, e16.msg);
            if (rh) {
                char what[200];
                snprintf(what, sizeof what, "%s+fp16", archname);
                check_result(rh, g, what);
            }
            npu_result_free(rh);
        }
        npu_arch_free(f16);
        scaled += rb != NULL;
        ran += r1 != NULL;
        npu_result_free(r1);
        npu_result_free(r2);
        npu_result_free(rf);
        npu_result_free(rb);
        npu_arch_free(fast);
        npu_arch_free(big);
    }
    printf("  %-10s %-20s %d graphs, %d with a doubled array%s\n", model, archname, ran, scaled,
           akeys ? "" : " (model lists no array keys)");
    npu_arch_free(a);
}

static int nonly;
static char **only; /* model names from the command line; none: every model */

static int wanted(const char *model)
{
    for (int i = 0; i < nonly; i++)
        if (npu_streq_nocase(only[i], model))
            return 1;
    return nonly == 0;
}

TEST(every_model)
{
    npu_ctx *ctx = npu_ctx_new();
    const npu_graph *gs[NGRAPHS];
    for (int gi = 0; gi < NGRAPHS; gi++)
        gs[gi] = load(gi);
    int nmodels = 0;
    for (const npu_model_ops *const *m = npu_builtin_models; *m; m++) {
        if (!wanted((*m)->name))
            continue;
        nmodels++;
        check_arch(ctx, (*m)->name, gs);
        /* every built-in preset of this model */
        for (const char *const *p = npu_preset_names(); *p; p++) {
            npu_err err = {0};
            npu_arch *a = npu_arch_open(ctx, *p, &err);
            if (!a) {
                FAILF("preset %s does not open: %s", *p, err.msg);
                continue;
            }
            int mine = strcmp(npu_arch_model(a), (*m)->name) == 0;
            npu_arch_free(a);
            if (mine)
                check_arch(ctx, *p, gs);
        }
    }
    CHECK(nmodels >= 1);
    for (int gi = 0; gi < NGRAPHS; gi++)
        npu_graph_free((npu_graph *)gs[gi]);
    npu_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    nonly = argc - 1;
    only = argv + 1;
    for (int i = 0; i < nonly; i++) {
        npu_err err = {0};
        if (!npu_model_find(only[i], &err)) {
            fprintf(stderr, "conformance: %s\n", err.msg);
            return 1;
        }
    }
    RUN(every_model);
    return TEST_REPORT();
}
