/* consumer.c — a program outside npusim built against the installed library (pkg-config):
 * runs a network on an architecture and prints the total, as `npusim run` does, through the
 * opaque API only (handles and accessors: no struct member of npusim is read here).
 *   consumer ARCH GRAPH  →  "<cycles> cycles = <µs> µs", then a check of the accessors */
#include <npusim.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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
        printf("%lld cycles = %.1f µs\n", (long long)npu_result_cycles(r), npu_result_time_us(r));
        /* the accessors agree with each other: totals by name, the layer rows, the names */
        double sum = 0;
        for (int i = 0; i < npu_result_nlayers(r); i++)
            sum += npu_result_layer(r, i, "share_cycles");
        npu_strbuf sb;
        npu_sb_init(&sb);
        int bad = npu_result_total(r, "cycles") != (double)npu_result_cycles(r) ||
                  sum != (double)npu_result_cycles(r) || !isnan(npu_result_total(r, "nope")) ||
                  !npu_result_text(r, 0, "op") || npu_result_text(r, 0, "cycles") ||
                  strcmp(npu_result_fields(false)[0], "cycles") != 0 ||
                  strcmp(npu_result_graph(r), npu_graph_name(g)) != 0 ||
                  npu_arch_get(a, "freq_mhz", &sb, &err) != 0 || !sb.s || !sb.s[0];
        npu_sb_free(&sb);
        if (bad) {
            fprintf(stderr, "consumer: the accessors disagree\n");
            rc = 1;
        }
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
