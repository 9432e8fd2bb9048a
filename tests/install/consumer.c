/* consumer.c — a program outside npusim built against the installed library (pkg-config):
 * runs a network on an architecture and prints the total, as `npusim run` does.
 *   consumer ARCH GRAPH  →  "<cycles> cycles = <µs> µs" */
#include <npusim.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: consumer ARCH GRAPH\n");
        return 2;
    }
    npu_err err = {0};
    npu_ctx *ctx = npu_ctx_new();
    npu_graph *g = ctx ? npu_load_graph(ctx, argv[2], NULL, &err) : NULL;
    npu_arch *a = g ? npu_arch_open(ctx, argv[1], &err) : NULL;
    npu_result *r = a ? npu_run(ctx, a, g, NULL, &err) : NULL;
    int rc = 0;
    if (r) {
        printf("%lld cycles = %.1f µs\n", (long long)r->total.cycles, r->total.time_us);
    } else {
        fprintf(stderr, "consumer: %s\n", err.msg[0] ? err.msg : "failed");
        rc = 1;
    }
    npu_result_free(r);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
    return rc;
}
