/* workload_test.c — several workloads at once (npu_run_workloads, engine scopes; docs/
 * workloads.md): a lone workload is exactly the plain run; two networks on two RK3588 cores
 * move exactly the bytes of their single runs, are slower only through DRAM sharing; a periodic
 * detector beside a best-effort classifier on one core misses deadlines as the classifier's
 * frames grow; bad specs are refused with one clear message. */
#include <stdlib.h>

#include "../sim/core/wlres.h"
#include "../sim/npusim_int.h"
#include "test.h"

static npu_ctx *ctx;

static npu_graph *zoo(const char *name, int batch)
{
    npu_load_opts o = {.batch = batch};
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, name, &o, &err);
    if (!g)
        printf("  %s: %s\n", name, err.msg);
    return g;
}

static npu_arch *arch(const char *name, const char *set)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, name, &err);
    if (a && set && npu_arch_set_kv(a, set, &err)) {
        npu_arch_free(a);
        a = NULL;
    }
    if (!a)
        printf("  %s: %s\n", name, err.msg);
    return a;
}

static npu_result *single(npu_arch *a, const npu_graph *g, const char *core_mask)
{
    npu_arch *b = npu_arch_clone(a);
    npu_err err = {0};
    npu_result *r = NULL;
    if (b && npu_arch_set(b, "core_mask", core_mask, &err) == 0)
        r = npu_run(ctx, b, g, NULL, &err);
    npu_arch_free(b);
    return r;
}

static npu_wl_run *run(npu_arch *a, const npu_workload *w, int n, npu_err *err)
{
    npu_err_clear(err);
    return npu_run_workloads(ctx, a, w, n, NULL, err);
}

/* One workload alone, one frame: the plain run to the cycle and byte. */
TEST(lone_is_plain_run)
{
    npu_arch *a = arch("rk3588", NULL);
    npu_graph *g = zoo("mobilenet_v2", 0);
    CHECK(a && g);
    if (!a || !g)
        return;
    npu_result *r = single(a, g, "auto");
    npu_workload w = {.name = "cls", .graph = g};
    npu_err err;
    npu_wl_run *wr = run(a, &w, 1, &err);
    CHECK(r && wr);
    if (r && wr) {
        CHECK_EQ_INT(wr->w[0].frame->total.cycles, r->total.cycles);
        CHECK_NEAR(wr->w[0].lat_med_us, r->total.time_us, 1e-3);
        CHECK_EQ_INT(wr->w[0].dram_rd_bytes, r->total.dram_rd_bytes);
        CHECK_EQ_INT(wr->w[0].dram_wr_bytes, r->total.dram_wr_bytes);
        CHECK_EQ_INT(wr->w[0].frame->nlayers, r->nlayers);
        for (int l = 0; l < r->nlayers; l++)
            if (wr->w[0].frame->layers[l].cycles != r->layers[l].cycles) {
                FAILF("layer %d: %lld vs %lld cycles", l,
                      (long long)wr->w[0].frame->layers[l].cycles, (long long)r->layers[l].cycles);
                break;
            }
    }
    /* three frames back to back: each arrives when the one before ended, so each is as long */
    w.count = 3;
    npu_wl_run *w3 = run(a, &w, 1, &err);
    CHECK(w3 != NULL);
    if (w3 && r) {
        CHECK_EQ_INT(w3->w[0].count, 3);
        CHECK_NEAR(w3->w[0].lat_min_us, r->total.time_us, 1.0);
        CHECK_NEAR(w3->w[0].lat_max_us, r->total.time_us, 1.0);
        CHECK_EQ_INT(w3->w[0].dram_rd_bytes, 3 * r->total.dram_rd_bytes);
        CHECK_NEAR(w3->time_us, 3 * r->total.time_us, 3.0);
    }
    npu_wl_run_free(w3);
    npu_wl_run_free(wr);
    npu_result_free(r);
    npu_graph_free(g);
    npu_arch_free(a);
}

/* Two networks on two cores: every byte of the single runs, nothing more; each slower than
 * alone, and exactly as fast as alone when DRAM is ample (so DRAM sharing is the slowdown). */
static void two_cores(const char *dram, bool ample)
{
    npu_arch *a = arch("rk3588", dram);
    npu_graph *g1 = zoo("mobilenet_v2", 0), *g2 = zoo("resnet18", 0);
    CHECK(a && g1 && g2);
    if (!a || !g1 || !g2)
        goto out;
    npu_result *s1 = single(a, g1, "0"), *s2 = single(a, g2, "1");
    const char *m0[] = {"core_mask=0"}, *m1[] = {"core_mask=1"};
    npu_workload w[2] = {{.name = "a", .graph = g1, .sets = m0, .nsets = 1},
                         {.name = "b", .graph = g2, .sets = m1, .nsets = 1}};
    npu_err err;
    npu_wl_run *r = run(a, w, 2, &err);
    CHECK(s1 && s2 && r);
    if (s1 && s2 && r) {
        CHECK_EQ_INT(r->w[0].dram_rd_bytes, s1->total.dram_rd_bytes);
        CHECK_EQ_INT(r->w[0].dram_wr_bytes, s1->total.dram_wr_bytes);
        CHECK_EQ_INT(r->w[1].dram_rd_bytes, s2->total.dram_rd_bytes);
        CHECK_EQ_INT(r->w[1].dram_wr_bytes, s2->total.dram_wr_bytes);
        CHECK_EQ_INT(r->dram_rd_bytes + r->dram_wr_bytes,
                     s1->total.dram_rd_bytes + s1->total.dram_wr_bytes +
                         s2->total.dram_rd_bytes + s2->total.dram_wr_bytes);
        /* they ran at the same time: the pair ends before the two in a row would */
        CHECK(r->time_us < s1->total.time_us + s2->total.time_us);
        if (ample) {
            CHECK_NEAR(r->w[0].lat_med_us, s1->total.time_us, 0.01);
            CHECK_NEAR(r->w[1].lat_med_us, s2->total.time_us, 0.01);
        } else {
            CHECK(r->w[0].lat_med_us > s1->total.time_us + 1.0);
            CHECK(r->w[1].lat_med_us > s2->total.time_us + 1.0);
            /* the slowdown is DRAM sharing: a fair port shared by two at most halves each
             * one's rate, so neither takes twice its time alone */
            CHECK(r->w[0].lat_med_us < 2.0 * s1->total.time_us);
            CHECK(r->w[1].lat_med_us < 2.0 * s2->total.time_us);
        }
    }
    npu_wl_run_free(r);
    npu_result_free(s1);
    npu_result_free(s2);
out:
    npu_graph_free(g1);
    npu_graph_free(g2);
    npu_arch_free(a);
}

TEST(two_cores_share_dram) { two_cores(NULL, false); }
TEST(two_cores_slow_dram) { two_cores("dram.gbps=8", false); }
TEST(two_cores_ample_dram) { two_cores("dram.gbps=5000", true); }

/* Each frame keeps the peak of its own core mask (util and ideal as in its single run). */
TEST(peak_per_workload)
{
    npu_arch *a = arch("rk3588", NULL);
    npu_graph *g1 = zoo("mobilenet_v2", 0), *g2 = zoo("resnet18", 0);
    npu_result *s1 = a && g1 ? single(a, g1, "0_1") : NULL, *s2 = a && g2 ? single(a, g2, "2") : NULL;
    const char *m01[] = {"core_mask=0_1"}, *m2[] = {"core_mask=2"};
    npu_workload w[2] = {{.name = "a", .graph = g1, .sets = m01, .nsets = 1},
                         {.name = "b", .graph = g2, .sets = m2, .nsets = 1}};
    npu_err err;
    npu_wl_run *r = s1 && s2 ? run(a, w, 2, &err) : NULL;
    CHECK(r != NULL);
    if (r) {
        CHECK_NEAR(r->w[0].frame->peak_macs, s1->peak_macs, 1e-9);
        CHECK_NEAR(r->w[1].frame->peak_macs, s2->peak_macs, 1e-9);
        CHECK(s1->peak_macs > s2->peak_macs); /* two cores against one */
        CHECK_EQ_INT(r->w[0].frame->layers[0].ideal_cycles, s1->layers[0].ideal_cycles);
    }
    npu_wl_run_free(r);
    npu_result_free(s1);
    npu_result_free(s2);
    npu_graph_free(g1);
    npu_graph_free(g2);
    npu_arch_free(a);
}

/* A 30 fps detector and a best-effort classifier on core 0: misses when a detector frame plus
 * a classifier frame no longer fit in a period, more the bigger the classifier's frames. */
static int misses(npu_arch *a, npu_graph *det, int batch, int count)
{
    npu_graph *cls = zoo("resnet50", batch);
    const char *m0[] = {"core_mask=0"};
    npu_workload w[2] = {{.name = "det", .graph = det, .sets = m0, .nsets = 1, .fps = 30,
                          .count = 8},
                         {.name = "cls", .graph = cls, .sets = m0, .nsets = 1, .count = count}};
    npu_err err;
    npu_wl_run *r = cls ? run(a, w, 2, &err) : NULL;
    int m = r ? r->w[0].misses : -1;
    if (r) {
        CHECK_EQ_INT(r->w[1].misses, 0); /* best effort: no deadline */
        CHECK(r->w[0].lat_p99_us >= r->w[0].lat_med_us && r->w[0].lat_med_us >= r->w[0].lat_min_us);
    } else
        printf("  %s\n", err.msg);
    npu_wl_run_free(r);
    npu_graph_free(cls);
    return m;
}

TEST(periodic_deadline_misses)
{
    npu_arch *a = arch("rk3588", NULL);
    npu_graph *det = zoo("yolov5s", 0);
    CHECK(a && det);
    if (a && det) {
        int b1 = misses(a, det, 1, 8), b3 = misses(a, det, 3, 8), b4 = misses(a, det, 4, 8);
        int c1 = misses(a, det, 3, 1);
        printf("  misses: batch 1 %d, batch 3 %d, batch 4 %d; batch 3 one frame %d\n", b1, b3,
               b4, c1);
        CHECK_EQ_INT(b1, 0);
        CHECK(b3 > 0);
        CHECK(b4 >= b3);
        CHECK(c1 >= 0 && c1 < b3); /* one classifier frame delays few detector frames */
    }
    npu_graph_free(det);
    npu_arch_free(a);
}

/* after=: frame k of the consumer starts when frame k of the producer ended. A consumer
 * faster than its producer (on a core of its own) keeps its latency; a slower one queues. */
TEST(pipeline_after)
{
    npu_arch *a = arch("rk3588", NULL);
    npu_graph *g1 = zoo("mobilenet_v2", 0), *g2 = zoo("resnet18", 0);
    const char *m1[] = {"core_mask=1"};
    npu_workload w[2] = {{.name = "cls", .graph = g1, .sets = m1, .nsets = 1, .after = "det"},
                         {.name = "det", .graph = g2, .count = 3}};
    npu_err err;
    npu_wl_run *r = (a && g1 && g2) ? run(a, w, 2, &err) : NULL;
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->w[0].count, 3); /* the producer's count */
        CHECK_STR(r->w[0].after, "det");
        /* the last consumer frame ends after the last producer frame */
        CHECK(r->w[0].end_us > r->w[1].end_us);
        /* latency from the producer's end: the consumer's own run (its core is free) */
        CHECK(r->w[0].lat_max_us < 1.01 * r->w[0].lat_min_us);
    }
    npu_wl_run_free(r);
    /* the other way round the consumer's frames queue: each waits longer than the last */
    w[0].graph = g2;
    w[1].graph = g1;
    r = (a && g1 && g2) ? run(a, w, 2, &err) : NULL;
    CHECK(r != NULL);
    if (r)
        CHECK(r->w[0].lat_max_us > 1.5 * r->w[0].lat_min_us);
    npu_wl_run_free(r);
    npu_graph_free(g1);
    npu_graph_free(g2);
    npu_arch_free(a);
}

TEST(bad_specs)
{
    npu_arch *a = arch("rk3588", NULL), *s = arch("ascend310", NULL);
    npu_graph *g = zoo("mobilenet_v2", 0);
    CHECK(a && g && s);
    if (!a || !g || !s)
        goto out;
    npu_err err;
    const char *dram[] = {"dram.gbps=10"}, *bad[] = {"nosuch=1"};
    npu_workload two[2] = {{.name = "x", .graph = g}, {.name = "x", .graph = g}};
    CHECK(!run(a, two, 2, &err));
    CHECK_CONTAINS(err.msg, "named twice");
    npu_workload cyc[2] = {{.name = "x", .graph = g, .after = "y"},
                           {.name = "y", .graph = g, .after = "x"}};
    CHECK(!run(a, cyc, 2, &err));
    CHECK_CONTAINS(err.msg, "cycle");
    npu_workload nob = {.name = "x", .graph = g, .after = "zz"};
    CHECK(!run(a, &nob, 1, &err));
    CHECK_CONTAINS(err.msg, "names no workload");
    npu_workload sh = {.name = "x", .graph = g, .sets = dram, .nsets = 1};
    CHECK(!run(a, &sh, 1, &err));
    CHECK_CONTAINS(err.msg, "shared by every workload");
    npu_workload un = {.name = "x", .graph = g, .sets = bad, .nsets = 1};
    CHECK(!run(a, &un, 1, &err));
    CHECK_CONTAINS(err.msg, "workload x");
    npu_workload more[2] = {{.name = "p", .graph = g, .count = 2},
                            {.name = "q", .graph = g, .count = 3, .after = "p"}};
    CHECK(!run(a, more, 2, &err));
    CHECK_CONTAINS(err.msg, "runs 2 frames");
    npu_workload big = {.name = "x", .graph = g, .count = 100000}; /* 6.5 M rows */
    CHECK(!run(a, &big, 1, &err));
    CHECK_CONTAINS(err.msg, "lower count=");
    npu_workload nm = {.name = "a b", .graph = g};
    CHECK(!run(a, &nm, 1, &err));
    CHECK_CONTAINS(err.msg, "workload name");
    /* davinci takes one workload per chip (its bookkeeping units are not per context) */
    npu_workload dv[2] = {{.name = "x", .graph = g}, {.name = "y", .graph = g}};
    CHECK(!run(s, dv, 2, &err));
    CHECK_CONTAINS(err.msg, "rknpu model only");
out:
    npu_graph_free(g);
    npu_arch_free(a);
    npu_arch_free(s);
}

int main(void)
{
    ctx = npu_ctx_new();
    RUN(lone_is_plain_run);
    RUN(two_cores_share_dram);
    RUN(two_cores_slow_dram);
    RUN(two_cores_ample_dram);
    RUN(peak_per_workload);
    RUN(periodic_deadline_misses);
    RUN(pipeline_after);
    RUN(bad_specs);
    npu_ctx_free(ctx);
    return TEST_REPORT();
}
