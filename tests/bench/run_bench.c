/* run_bench.c — how long one design point takes: a whole network through npu_run (clone,
 * dtype policy, lower, execute, result) on one core. Not a test: it prints figures.
 *   run_bench [ARCH [GRAPH [ITERS]]]    defaults: systolic resnet50 50
 * The graph is loaded and prepared once (as a sweep does); each iteration is a design point. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "npusim_int.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *arch = argc > 1 ? argv[1] : "systolic";
    const char *net = argc > 2 ? argv[2] : "resnet50";
    int iters = argc > 3 ? atoi(argv[3]) : 50;
    if (iters < 1)
        iters = 1;
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    double t0 = now_s();
    npu_graph *g = npu_load_graph(ctx, net, NULL, &err);
    double t_load = now_s() - t0;
    npu_arch *a = g ? npu_arch_open(ctx, arch, &err) : NULL;
    if (!g || !a) {
        fprintf(stderr, "run_bench: %s\n", err.msg);
        return 1;
    }
    int64_t cycles = 0;
    int layers = 0;
    t0 = now_s();
    for (int i = 0; i < iters; i++) {
        npu_result *r = npu_run(ctx, a, g, NULL, &err);
        if (!r) {
            fprintf(stderr, "run_bench: %s\n", err.msg);
            return 1;
        }
        cycles = r->total.cycles;
        layers = r->nlayers;
        npu_result_free(r);
    }
    double per = (now_s() - t0) / iters;
    printf("%s on %s: %d layers, %lld cycles; load+prepare %.2f ms once, %.3f ms per design "
           "point (%d points, CPU time)\n",
           net, arch, layers, (long long)cycles, t_load * 1e3, per * 1e3, iters);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
    return 0;
}
