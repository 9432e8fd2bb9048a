/* pipeline_test.c — layer pipelining (a workload's pipeline=N; sim/wlpipe.c, docs/workloads.md
 * "Layer pipelining"): one stage is the plain run; three stages on RK3588's three cores hold
 * every layer once (MACs), are balanced, raise the throughput well above one core's at a
 * higher latency; stages over a card's chips move exactly their cut tensors over the link;
 * after= a pipeline follows its last stage; bad placements are refused. */
#include <stdlib.h>
#include <string.h>

#include "../sim/core/wlres.h"
#include "../sim/npusim_int.h"
#include "test.h"

static npu_ctx *ctx;

static npu_graph *zoo(const char *name)
{
    npu_load_opts o = {.batch = 1};
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, name, &o, &err);
    if (!g)
        printf("  %s: %s\n", name, err.msg);
    return g;
}

static npu_arch *arch(const char *name)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, name, &err);
    if (!a)
        printf("  %s: %s\n", name, err.msg);
    return a;
}

/* Runs body on the preset and the zoo graph (bs 1), both freed after. */
static void with(const char *arch_name, const char *graph,
                 void (*body)(npu_arch *a, const npu_graph *g))
{
    npu_arch *a = arch(arch_name);
    npu_graph *g = zoo(graph);
    CHECK(a && g);
    if (a && g)
        body(a, g);
    npu_graph_free(g);
    npu_arch_free(a);
}

static npu_wl_run *run(npu_arch *a, const npu_workload *w, int n, npu_err *err)
{
    npu_err_clear(err);
    npu_wl_run *r = npu_run_workloads(ctx, a, w, n, NULL, err);
    if (!r)
        printf("  (%s)\n", err->msg);
    return r;
}

/* pipeline=1: one stage, the whole graph on core 0, is the plain run on core 0. */
static void one_stage_is_plain_run_on(npu_arch *a, const npu_graph *g)
{
    npu_err err = {0};
    const char *p1[] = {"pipeline=1"};
    npu_workload w = {.name = "p", .graph = g, .sets = p1, .nsets = 1};
    npu_wl_run *r = run(a, &w, 1, &err);
    CHECK(r);
    if (r) {
        CHECK_EQ_INT(r->npipes, 1);
        CHECK_EQ_INT(r->n, 1);
        CHECK_STR(r->w[0].name, "p.s0");
        CHECK_STR(r->w[0].sets, "core_mask=0");
        CHECK_STR(r->pipes[0].cuts, "");
        /* the balance run is the plain run; the stage's frame is that run */
        CHECK_NEAR(r->pipes[0].s.lat_med_us, r->pipes[0].alone_us, 0.001); /* time_us to the ns */
        CHECK_NEAR(r->w[0].frame->total.time_us, r->pipes[0].alone_us, 0.001);
    }
    npu_wl_run_free(r);
}

TEST(one_stage_is_plain_run)
{
    with("rk3588", "resnet18", one_stage_is_plain_run_on);
}

/* yolov5s cut in three over RK3588's cores, 8 frames. */
static void three_cores_on(npu_arch *a, const npu_graph *g)
{
    npu_err err = {0};
    npu_result *one = npu_run(ctx, a, g, NULL, &err);
    const char *p3[] = {"pipeline=3"};
    enum { COUNT = 8 };
    npu_workload w = {.name = "det", .graph = g, .sets = p3, .nsets = 1, .count = COUNT};
    npu_wl_run *r = run(a, &w, 1, &err);
    CHECK(one && r);
    if (!one || !r)
        goto free;
    CHECK_EQ_INT(r->n, 3);
    CHECK_EQ_INT(r->npipes, 1);
    const npu_wl_pipe *q = &r->pipes[0];
    int64_t macs = 0;
    double lo = 1e30, hi = 0;
    for (int s = 0; s < 3; s++) {
        const npu_wl_stat *st = &r->w[s];
        char mask[16];
        snprintf(mask, sizeof mask, "core_mask=%d", s);
        CHECK_STR(st->sets, mask);
        CHECK_EQ_INT(st->stage, s);
        CHECK_EQ_INT(st->count, COUNT);
        macs += st->frame->total.macs;
        lo = st->busy_us < lo ? st->busy_us : lo;
        hi = st->busy_us > hi ? st->busy_us : hi;
    }
    CHECK_STR(r->w[2].after, "det.s1");
    /* every layer in exactly one stage */
    CHECK_EQ_INT(macs, one->total.macs);
    /* the cut is balanced: the busiest stage within 15 % of the least busy */
    printf("  alone %.1f us (%.1f fps); pipelined: latency %.1f us, %.1f fps; busy %.0f..%.0f us\n",
           q->alone_us, 1e6 / q->alone_us, q->s.lat_med_us, q->s.throughput_fps, lo, hi);
    CHECK(hi < 1.15 * lo);
    /* the trade: more than twice the frames per second of one core, each frame a little
     * slower (its activations cross DRAM between stages, three submits instead of one) */
    CHECK(q->s.throughput_fps > 2.0 * 1e6 / q->alone_us);
    CHECK(q->s.throughput_fps < 3.0 * 1e6 / q->alone_us);
    CHECK(q->s.lat_med_us > q->alone_us);
    CHECK(q->s.lat_med_us < 1.25 * q->alone_us);
    CHECK_NEAR(q->alone_us, one->total.time_us, 1e-6); /* core_mask auto is core 0 */
    CHECK_EQ_INT(q->s.count, COUNT);
free:
    npu_result_free(one);
    npu_wl_run_free(r);
}

TEST(three_cores)
{
    with("rk3588", "yolov5s", three_cores_on);
}

/* With io=zerocopy yolov5s's first stage is faster than its last: a back-to-back source would
 * run ahead and queue frames before the slow stage without the handoff rule (a stage takes
 * frame k only when the next stage has taken frame k-1): the latency stays near one frame's. */
static void back_pressure_on(npu_arch *a, const npu_graph *g)
{
    npu_err err = {0};
    const char *p3[] = {"pipeline=3", "io=zerocopy"};
    npu_workload w = {.name = "det", .graph = g, .sets = p3, .nsets = 2, .count = 12};
    npu_wl_run *r = run(a, &w, 1, &err);
    CHECK(r);
    if (r) {
        const npu_wl_pipe *q = &r->pipes[0];
        printf("  zerocopy: alone %.1f us; pipelined median %.1f, p99 %.1f us, %.1f fps\n",
               q->alone_us, q->s.lat_med_us, q->s.lat_p99_us, q->s.throughput_fps);
        CHECK(r->w[0].busy_us < r->w[2].busy_us); /* the premise: stage 0 is the faster */
        CHECK(q->s.lat_p99_us < 1.15 * q->alone_us);
        CHECK(q->s.throughput_fps > 2.3 * 1e6 / q->alone_us);
    }
    npu_wl_run_free(r);
}

TEST(back_pressure)
{
    with("rk3588", "yolov5s", back_pressure_on);
}

/* Bytes a stage of layers [a, b) of g moves over the link: the tensors it reads that were made
 * before it (or are graph inputs), once each, and those it makes that a later layer reads (or
 * that are graph outputs). */
static int64_t stage_link_bytes(const npu_graph *g, int a, int b)
{
    int64_t n = 0;
    for (int t = 0; t < g->nt; t++) {
        const npu_tensor *T = &g->t[t];
        if (T->kind == NPU_T_CONST)
            continue;
        bool read_in = false, read_after = false;
        for (int li = 0; li < g->nl; li++) {
            const npu_layer *l = &g->l[li];
            for (int k = 0; !(l->flags & NPU_LF_DEAD) && k < l->nin; k++)
                if (l->in[k] == t) {
                    read_in |= li >= a && li < b;
                    read_after |= li >= b;
                }
        }
        if (T->producer < a && read_in)
            n += npu_tensor_bytes(T);
        if (T->producer >= a && T->producer < b && (read_after || npu_graph_is_output(g, t)))
            n += npu_tensor_bytes(T);
    }
    return n;
}

/* ResNet-50 over the four chips of atlas300i: a stage per chip, its cut tensors over the link. */
static void card_chips_on(npu_arch *a, const npu_graph *g)
{
    npu_err err = {0};
    const char *p4[] = {"pipeline=4"};
    enum { COUNT = 6 };
    npu_workload w = {.name = "r", .graph = g, .sets = p4, .nsets = 1, .count = COUNT};
    npu_wl_run *r = run(a, &w, 1, &err);
    CHECK(r);
    if (!r)
        return;
    const npu_wl_pipe *q = &r->pipes[0];
    CHECK_EQ_INT(r->n, 4);
    for (int s = 0; s < 4; s++)
        CHECK_EQ_INT(r->w[s].chip, s);
    /* the stages' first layers, from the cut list */
    int at[5] = {0, -1, -1, -1, g->nl};
    char buf[512];
    snprintf(buf, sizeof buf, "%s", q->cuts);
    char *tok = strtok(buf, ",");
    for (int s = 1; s < 4 && tok; s++, tok = strtok(NULL, ","))
        at[s] = npu_graph_find_layer(g, tok);
    CHECK(at[1] > 0 && at[2] > at[1] && at[3] > at[2]);
    int64_t frame = 0;
    for (int s = 0; s < 4 && at[3] > 0; s++)
        frame += stage_link_bytes(g, at[s], at[s + 1]);
    CHECK_EQ_INT(r->link_bytes, COUNT * frame);
    printf("  card: alone %.1f us; pipelined %.1f us, %.1f fps; link %lld B a frame; cuts %s\n",
           q->alone_us, q->s.lat_med_us, q->s.throughput_fps, (long long)frame, q->cuts);
    CHECK(q->s.throughput_fps > 1e6 / q->alone_us);
    CHECK(q->s.lat_med_us > q->alone_us);
    npu_wl_run_free(r);
}

TEST(card_chips)
{
    with("atlas300i", "resnet50", card_chips_on);
}

static void after_and_errors_on(npu_arch *a, const npu_graph *g)
{
    npu_arch *d = arch("ascend310");
    npu_err err = {0};
    CHECK(d);
    if (!d)
        return;
    const char *p2[] = {"pipeline=2"}, *c1[] = {"core_mask=2"};
    npu_workload two[2] = {{.name = "det", .graph = g, .sets = p2, .nsets = 1, .count = 2},
                           {.name = "cls", .graph = g, .sets = c1, .nsets = 1, .after = "det"}};
    npu_wl_run *r = run(a, two, 2, &err);
    CHECK(r);
    if (r) {
        CHECK_EQ_INT(r->n, 3);
        CHECK_STR(r->w[2].after, "det.s1"); /* after a pipeline: after its last stage */
        CHECK_EQ_INT(r->w[2].count, 2);
        CHECK(r->w[2].pipe == -1 && r->w[1].pipe == 0);
    }
    npu_wl_run_free(r);
    const char *p4[] = {"pipeline=4"}, *p0[] = {"pipeline=0"},
               *pc[] = {"pipeline=2", "core_mask=1"};
    npu_workload w = {.name = "x", .graph = g, .sets = p4, .nsets = 1};
    CHECK(!run(a, &w, 1, &err));
    CHECK_CONTAINS(err.msg, "3 NPU cores");
    w.sets = p0;
    CHECK(!run(a, &w, 1, &err));
    CHECK_CONTAINS(err.msg, "pipeline=N");
    w.sets = pc;
    w.nsets = 2;
    CHECK(!run(a, &w, 1, &err));
    CHECK_CONTAINS(err.msg, "places its stages itself");
    w.sets = p2;
    w.nsets = 1;
    CHECK(!run(d, &w, 1, &err));
    CHECK_CONTAINS(err.msg, "has neither");
    npu_arch_free(d);
}

TEST(after_and_errors)
{
    with("rk3588", "resnet18", after_and_errors_on);
}

int main(void)
{
    ctx = npu_ctx_new();
    RUN(one_stage_is_plain_run);
    RUN(three_cores);
    RUN(back_pressure);
    RUN(card_chips);
    RUN(after_and_errors);
    npu_ctx_free(ctx);
    return TEST_REPORT();
}
