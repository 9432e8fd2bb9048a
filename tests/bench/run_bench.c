/* run_bench.c — how long one design point takes: a whole network through npu_run (clone,
 * dtype policy, lower, execute, result) on one core. Not a test: it prints figures.
 *   run_bench [ARCH [GRAPH[:ZOOARGS] [ITERS [REPEATS]]]]    defaults: systolic resnet50 50 1
 * GRAPH is a path or a zoo name; ZOOARGS are the zoo network's arguments, e.g.
 * qwen2_0_5b_prefill:tokens=2048. The graph is loaded and prepared once (as a sweep does);
 * each iteration is a design point. With REPEATS > 1 the ITERS points are timed REPEATS times
 * after one untimed point (the pools grow in the first point) and the median per point is
 * printed (the machine is shared: medians, not means), the least of the repeats beside it.
 * scripts/speed_table.sh runs it over presets x networks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_time.h"
#include "npusim_int.h"

int main(int argc, char **argv)
{
    const char *arch = argc > 1 ? argv[1] : "systolic";
    char net[512];
    snprintf(net, sizeof net, "%s", argc > 2 ? argv[2] : "resnet50");
    int iters = argc > 3 ? atoi(argv[3]) : 50;
    int reps = argc > 4 ? atoi(argv[4]) : 1;
    if (iters < 1)
        iters = 1;
    if (reps < 1 || reps > 99)
        reps = 1;
    npu_load_opts lo = {0};
    char *colon = strchr(net, ':');
    if (colon) {
        *colon = '\0';
        lo.zoo_args = colon + 1;
    }
    npu_keep_freed_memory(); /* as the npusim CLI does */
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    double t0 = bench_cpu_s();
    npu_graph *g = npu_load_graph(ctx, net, &lo, &err);
    double t_load = bench_cpu_s() - t0;
    npu_arch *a = g ? npu_arch_open(ctx, arch, &err) : NULL;
    if (!g || !a) {
        fprintf(stderr, "run_bench: %s\n", err.msg);
        return 1;
    }
    int64_t cycles = 0;
    int layers = 0;
    double per[99];
    if (reps > 1) { /* one untimed point first: the pools' growth is not in the first repeat */
        npu_result *r = npu_run(ctx, a, g, NULL, &err);
        if (!r) {
            fprintf(stderr, "run_bench: %s\n", err.msg);
            return 1;
        }
        npu_result_free(r);
    }
    for (int k = 0; k < reps; k++) {
        t0 = bench_cpu_s();
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
        per[k] = (bench_cpu_s() - t0) / iters;
    }
    qsort(per, (size_t)reps, sizeof per[0], bench_cmp_d);
    printf("%s on %s: %d layers, %lld cycles; load+prepare %.2f ms once, %.3f ms per design "
           "point (%d points%s, CPU time)",
           argc > 2 ? argv[2] : net, arch, layers, (long long)cycles, t_load * 1e3,
           per[reps / 2] * 1e3, iters, reps > 1 ? ", median of repeats" : "");
    if (reps > 1) /* the repeat least disturbed by other processes */
        printf(" (least %.3f)", per[0] * 1e3);
    printf("\n");
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
    return 0;
}
