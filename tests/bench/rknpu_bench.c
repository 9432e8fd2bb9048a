/* rknpu_bench.c — how long one rknpu design point takes: a whole network through npu_run
 * (clone, dtype policy, lower, execute, result). Not a test: it prints figures.
 *   rknpu_bench [ARCH [GRAPH [ITERS]]]     defaults: rk3588 resnet50 50 */
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
    const char *archname = argc > 1 ? argv[1] : "rk3588";
    const char *net = argc > 2 ? argv[2] : "resnet50";
    int iters = argc > 3 ? atoi(argv[3]) : 50;
    if (iters < 1)
        iters = 1;
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, net, NULL, &err);
    npu_arch *a = g ? npu_arch_open(ctx, archname, &err) : NULL;
    if (!g || !a) {
        fprintf(stderr, "rknpu_bench: %s\n", err.msg);
        return 1;
    }
    double t0 = now_s();
    long long cycles = 0;
    for (int i = 0; i < iters; i++) {
        npu_result *r = npu_run(ctx, a, g, NULL, &err);
        if (!r) {
            fprintf(stderr, "rknpu_bench: %s\n", err.msg);
            return 1;
        }
        cycles = (long long)r->total.cycles;
        npu_result_free(r);
    }
    printf("%s on %s: %lld cycles simulated; %.3f ms CPU per design point (%d runs)\n", net,
           archname, cycles, (now_s() - t0) / iters * 1e3, iters);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
    return 0;
}
