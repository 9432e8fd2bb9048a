/* nvdla_bench.c — speed of the nvdla model: milliseconds of CPU time per design point for a
 * whole network (default ResNet-50) on each NVDLA preset, detailed and spreadsheet fidelity.
 * Prints figures; not a pass/fail test. Usage: nvdla_bench [network] [repeats] [arch [k=v]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "npusim_int.h"

static double cpu_ms(void) { return (double)clock() * 1000.0 / CLOCKS_PER_SEC; }

int main(int argc, char **argv)
{
    const char *net = argc > 1 ? argv[1] : "resnet50";
    int reps = argc > 2 ? atoi(argv[2]) : 20;
    if (reps < 1)
        reps = 1;
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, net, NULL, &err);
    if (!g) {
        fprintf(stderr, "nvdla_bench: %s\n", err.msg);
        return 1;
    }
    static const char *const archs[] = {"nv_small", "nv_small_zynq", "nv_large", "nv_full"};
    static const char *const fids[] = {"detailed", "spreadsheet"};
    printf("%-14s %-12s %12s %10s %14s\n", "arch", "fidelity", "cycles", "fps", "ms/run (CPU)");
    const char *only = argc > 3 ? argv[3] : NULL;
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++)
        for (size_t f = 0; f < 2; f++) {
            const char *an = only ? only : archs[a];
            if (only && a > 0)
                break;
            npu_arch *ar = npu_arch_open(ctx, an, &err);
            if (ar && argc > 4 && npu_arch_set_kv(ar, argv[4], &err)) {
                fprintf(stderr, "nvdla_bench: %s\n", err.msg);
                return 1;
            }
            if (!ar || npu_arch_set(ar, "fidelity", fids[f], &err)) {
                fprintf(stderr, "nvdla_bench: %s\n", err.msg);
                return 1;
            }
            long long cyc = 0;
            double fps = 0, t0 = cpu_ms();
            for (int r = 0; r < reps; r++) {
                npu_result *res = npu_run(ctx, ar, g, NULL, &err);
                if (!res) {
                    fprintf(stderr, "nvdla_bench: %s\n", err.msg);
                    return 1;
                }
                cyc = (long long)res->total.cycles;
                fps = res->total.fps;
                npu_result_free(res);
            }
            double ms = (cpu_ms() - t0) / reps;
            printf("%-14s %-12s %12lld %10.2f %14.3f\n", an, fids[f], cyc, fps, ms);
            npu_arch_free(ar);
        }
    npu_graph_free(g);
    npu_ctx_free(ctx);
    return 0;
}
