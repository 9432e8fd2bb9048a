/* davinci_bench.c — CPU milliseconds per simulated run of zoo networks on the DaVinci presets
 * (lower + execute + engine), as a figure to report, not a pass/fail test. */
#include <stdio.h>
#include <time.h>

#include "npusim_int.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(void)
{
    static const char *const nets[] = {"resnet50", "mobilenet_v2", "yolov5s"};
    static const char *const archs[] = {"ascend310", "hi3519dv500"};
    npu_ctx *ctx = npu_ctx_new();
    for (int a = 0; a < 2; a++)
        for (int n = 0; n < 3; n++) {
            npu_err err = {0};
            npu_graph *g = npu_load_graph(ctx, nets[n], NULL, &err);
            npu_arch *ar = npu_arch_open(ctx, archs[a], &err);
            if (!g || !ar) {
                printf("%s on %s: %s\n", nets[n], archs[a], err.msg);
                npu_graph_free(g);
                npu_arch_free(ar);
                continue;
            }
            const int reps = 5;
            double t0 = now_ms(), fps = 0;
            for (int i = 0; i < reps; i++) {
                npu_result *r = npu_run(ctx, ar, g, NULL, &err);
                if (r)
                    fps = r->total.fps;
                npu_result_free(r);
            }
            printf("%-12s %-14s %8.2f ms/run  (%.1f img/s simulated)\n", archs[a], nets[n],
                   (now_ms() - t0) / reps, fps);
            npu_arch_free(ar);
            npu_graph_free(g);
        }
    npu_ctx_free(ctx);
    return 0;
}
