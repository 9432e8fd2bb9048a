/* card_test.c — a multi-chip card (atlas300i: 4 x Ascend 310 behind one PCIe link; docs/
 * workloads.md "Multi-chip cards"): one chip with a near-infinite link is the plain ascend310
 * run cycle for cycle; four ResNet-50 bs1 streams on four chips give ~4x one chip's throughput
 * minus the link's cost; the bytes over the link are the frames' inputs and outputs; each chip's
 * DRAM carries only its own frames; a plain run on the card spreads its frames over the chips
 * (a stream per chip, or the batch split); bad chip bindings are refused. */
#include <stdlib.h>

#include "../sim/core/wlres.h"
#include "../sim/npusim_int.h"
#include "test.h"

static npu_ctx *ctx;

static npu_arch *arch(const char *name, const char *set1, const char *set2)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, name, &err);
    if (a && set1 && npu_arch_set_kv(a, set1, &err))
        goto bad;
    if (a && set2 && npu_arch_set_kv(a, set2, &err))
        goto bad;
    if (!a)
        printf("  %s: %s\n", name, err.msg);
    return a;
bad:
    printf("  %s: %s\n", name, err.msg);
    npu_arch_free(a);
    return NULL;
}

static npu_graph *resnet50(void)
{
    npu_load_opts o = {.batch = 1};
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "resnet50", &o, &err);
    if (!g)
        printf("  resnet50: %s\n", err.msg);
    return g;
}

/* The card (with up to two settings), the plain chip and ResNet-50 bs1. */
typedef struct fx {
    npu_arch *c, *p;
    npu_graph *g;
} fx;

static bool fx_open(fx *f, const char *set1, const char *set2)
{
    f->c = arch("atlas300i", set1, set2);
    f->p = arch("ascend310", NULL, NULL);
    f->g = resnet50();
    return f->c && f->p && f->g;
}

static void fx_close(fx *f)
{
    npu_graph_free(f->g);
    npu_arch_free(f->c);
    npu_arch_free(f->p);
}

static int64_t io_bytes(const npu_graph *g)
{
    int64_t b = 0;
    for (int i = 0; i < g->ninputs; i++)
        b += npu_tensor_bytes(&g->t[g->inputs[i]]);
    for (int i = 0; i < g->noutputs; i++)
        b += npu_tensor_bytes(&g->t[g->outputs[i]]);
    return b;
}

/* The link's cost per frame of g: input and output at the link's rate, each after its latency. */
static double link_us(const npu_arch *c, const npu_graph *g)
{
    const npu_params *pp = npu_arch_params(c);
    return (double)io_bytes(g) / (npu_params_float(pp, "link.gbps") * 1e3) +
           2 * npu_params_float(pp, "link.latency_us");
}

/* One chip, a link 10^5 GB/s fast with no latency: the frame is the plain run. */
TEST(one_chip_is_plain_run)
{
    fx F;
    npu_err err = {0};
    bool ok = fx_open(&F, "chips=1", "link.latency_us=0");
    CHECK(ok && npu_arch_set_kv(F.c, "link.gbps=100000", &err) == 0);
    if (!ok)
        goto out;
    npu_arch *c = F.c, *p = F.p;
    const npu_graph *g = F.g;
    npu_result *r = npu_run(ctx, p, g, NULL, &err);
    npu_workload w = {.name = "s0", .graph = g};
    npu_wl_run *wr = npu_run_workloads(ctx, c, &w, 1, NULL, &err);
    CHECK(r && wr);
    if (r && wr) {
        const npu_result *f = wr->w[0].frame;
        CHECK_EQ_INT(f->total.cycles, r->total.cycles);
        CHECK_EQ_INT(f->nlayers, r->nlayers);
        for (int l = 0; l < r->nlayers && l < f->nlayers; l++)
            if (f->layers[l].cycles != r->layers[l].cycles) {
                FAILF("layer %d: %lld vs %lld cycles", l, (long long)f->layers[l].cycles,
                      (long long)r->layers[l].cycles);
                break;
            }
        CHECK_EQ_INT(wr->w[0].dram_rd_bytes, r->total.dram_rd_bytes);
        CHECK_EQ_INT(wr->w[0].dram_wr_bytes, r->total.dram_wr_bytes);
        /* the two transfers take 2 x bytes / 10^5 GB/s: nanoseconds */
        CHECK_NEAR(wr->w[0].lat_med_us, r->total.time_us, 0.01);
        CHECK_EQ_INT(wr->link_bytes, io_bytes(g));
    }
    npu_result_free(r);
    npu_wl_run_free(wr);
out:
    fx_close(&F);
}

/* Four ResNet-50 bs1 streams, one per chip, back to back: each chip runs as one alone but for
 * its frames' transfers over the shared link. */
TEST(four_streams)
{
    fx F;
    npu_err err = {0};
    bool ok = fx_open(&F, NULL, NULL);
    CHECK(ok);
    if (!ok)
        goto out;
    npu_arch *c = F.c, *p = F.p;
    const npu_graph *g = F.g;
    npu_result *r = npu_run(ctx, p, g, NULL, &err);
    enum { N = 4, COUNT = 8 };
    npu_workload w[N];
    const char *nm[N] = {"s0", "s1", "s2", "s3"};
    for (int i = 0; i < N; i++)
        w[i] = (npu_workload){.name = nm[i], .graph = g, .count = COUNT};
    npu_wl_run *wr = npu_run_workloads(ctx, c, w, N, NULL, &err);
    CHECK(r && wr);
    if (!r || !wr) {
        printf("  %s\n", err.msg);
        npu_result_free(r);
        goto out;
    }
    CHECK_EQ_INT(wr->chips, 4);
    double io = (double)io_bytes(g), link = link_us(c, g);
    double one = 1e6 / r->total.time_us, card = 0;
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(wr->w[i].chip, i);
        card += wr->w[i].throughput_fps;
        /* each chip's DRAM carries its own frames only */
        CHECK_EQ_INT(wr->w[i].dram_rd_bytes, COUNT * r->total.dram_rd_bytes);
        CHECK_EQ_INT(wr->w[i].dram_wr_bytes, COUNT * r->total.dram_wr_bytes);
    }
    double expect = N * 1e6 / (r->total.time_us + link);
    printf("  one chip %.1f fps; card %.1f fps (4x one = %.1f; minus the link: %.1f); link "
           "%.1f us a frame\n", one, card, N * one, expect, link);
    CHECK(card < N * one);
    /* within 0.5 %: at time 0 the four first inputs share the link (a one-off queue) */
    CHECK_NEAR(card / expect, 1.0, 0.005);
    CHECK_EQ_INT(wr->link_bytes, (int64_t)(N * COUNT * io));
    npu_result_free(r);
    npu_wl_run_free(wr);
out:
    fx_close(&F);
}

/* A plain run on the card (npu_run_card, the CLI's `npusim run -a atlas300i resnet50`): by
 * default a stream of card.frames frames per chip, the same ~4x one chip minus the link; with
 * card.spread=batch the batch split over the chips; card.spread=one and non-cards do not spread. */
TEST(default_spread)
{
    fx F;
    npu_err err = {0};
    bool ok = fx_open(&F, NULL, NULL);
    CHECK(ok);
    if (!ok)
        goto out;
    npu_arch *c = F.c, *p = F.p;
    const npu_graph *g = F.g;
    CHECK(npu_arch_card_spread(c) && npu_arch_chips(c) == 4);
    CHECK(!npu_arch_card_spread(p) && npu_arch_chips(p) == 1);
    CHECK(!npu_run_card(ctx, p, g, NULL, &err));
    CHECK_CONTAINS(err.msg, "not a card");
    npu_result *r = npu_run(ctx, p, g, NULL, &err);
    npu_wl_run *wr = npu_run_card(ctx, c, g, NULL, &err);
    CHECK(r && wr);
    if (r && wr) {
        const npu_params *pp = npu_arch_params(c);
        double one = 1e6 / r->total.time_us, expect = 4 * 1e6 / (r->total.time_us + link_us(c, g));
        printf("  spread: %.1f images/s (4 x one chip %.1f, minus the link %.1f)\n",
               wr->card_items_s, 4 * one, expect);
        CHECK_EQ_INT(wr->n, 4);
        CHECK_STR(wr->spread, "stream");
        CHECK_STR(wr->w[3].name, "chip3");
        CHECK_EQ_INT(wr->w[3].chip, 3);
        CHECK_EQ_INT(wr->w[0].count, npu_params_int(pp, "card.frames"));
        CHECK(wr->card_items_s < 4 * one);
        CHECK_NEAR(wr->card_items_s / expect, 1.0, 0.005);
    }
    npu_wl_run_free(wr);
    /* batch 6 over 4 chips: 2, 2, 1, 1 images */
    npu_graph *g6 = npu_graph_clone(g);
    CHECK(g6 && npu_graph_set_batch(g6, 6, &err) == 0);
    CHECK(npu_arch_set_kv(c, "card.spread=batch", &err) == 0);
    CHECK(npu_arch_set_kv(c, "card.frames=1", &err) == 0);
    wr = g6 ? npu_run_card(ctx, c, g6, NULL, &err) : NULL;
    CHECK(wr);
    if (wr && r) {
        CHECK_STR(wr->spread, "batch");
        const int64_t bs[4] = {2, 2, 1, 1};
        for (int i = 0; i < 4 && i < wr->n; i++)
            CHECK_EQ_INT(wr->w[i].frame->total.macs, bs[i] * r->total.macs);
        /* one batch: its six images when the slowest part is done (the run's end) */
        CHECK_NEAR(wr->card_items_s, 6e6 / wr->time_us, 1e-6);
        CHECK(wr->time_us > wr->w[3].lat_max_us); /* a bs-1 part ends before a bs-2 one */
    }
    npu_wl_run_free(wr);
    npu_graph_free(g6);
    CHECK(npu_arch_set_kv(c, "card.spread=one", &err) == 0);
    CHECK(!npu_arch_card_spread(c));
    npu_result_free(r);
out:
    fx_close(&F);
}

TEST(bad_bindings)
{
    fx F;
    npu_err err = {0};
    bool ok = fx_open(&F, NULL, NULL);
    CHECK(ok);
    if (!ok)
        goto out;
    npu_arch *c = F.c, *p = F.p;
    const npu_graph *g = F.g;
    const char *c4[] = {"chip=4"}, *c0[] = {"chip=0"}, *ln[] = {"link.gbps=1"};
    npu_workload a = {.name = "x", .graph = g, .sets = c4, .nsets = 1};
    CHECK(!npu_run_workloads(ctx, c, &a, 1, NULL, &err));
    CHECK_CONTAINS(err.msg, "chip=0..3");
    npu_workload two[2] = {{.name = "x", .graph = g, .sets = c0, .nsets = 1},
                           {.name = "y", .graph = g}};
    two[1].sets = c0;
    two[1].nsets = 1;
    CHECK(!npu_run_workloads(ctx, c, two, 2, NULL, &err));
    CHECK_CONTAINS(err.msg, "one workload per chip");
    npu_workload l = {.name = "x", .graph = g, .sets = ln, .nsets = 1};
    CHECK(!npu_run_workloads(ctx, c, &l, 1, NULL, &err));
    CHECK_CONTAINS(err.msg, "shared by every workload");
    CHECK(npu_arch_set_kv(p, "chips=4", &err) != 0); /* a card key: card presets only */
    CHECK_CONTAINS(err.msg, "chips");
out:
    fx_close(&F);
}

int main(void)
{
    ctx = npu_ctx_new();
    RUN(one_chip_is_plain_run);
    RUN(four_streams);
    RUN(default_spread);
    RUN(bad_bindings);
    npu_ctx_free(ctx);
    return TEST_REPORT();
}
