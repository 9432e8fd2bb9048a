/* run_fuzz.c — libFuzzer target for what follows a parser: a graph it accepted, prepared as the
 * CLI loads it (npu_graph_prepare), lowered and run (npu_run) on one preset of each model
 * family. It reaches the models' lowering (lower.c of every model, nvdla/plan.c, rknpu/place.c, the
 * systolic model's scalesim fidelity in ss*.c), the footprint and the engine with the shapes a
 * user's .npg or .onnx brings, which the parser targets stop short of.
 *
 * The input is .npg text when it starts with "npg ", else an ONNX model (read with
 * allow_unsupported, as `npusim run --allow-unsupported`: unknown ops run on the host). Seeds:
 * tests/fuzz/corpus/run (small graphs of each op class, a few ONNX models of tests/onnx).
 *
 * Rules on top of the sanitizers: a refusal carries a code and a message (fuzz_refused), and a
 * run that succeeds satisfies what holds by design of every result (check_result).
 *
 * Bounded work per input: graphs of at most FUZZ_RUN_LAYERS layers after the passes (as
 * lua_fuzz bounds its passes), and per run a job budget and a job limit (as npuc_fuzz): a valid
 * but huge shape (a conv of 10^8 channels) is refused with a message at the limit instead of
 * running for minutes under the sanitizers.
 *
 * The one piece of state kept across inputs is the table of opened presets (archs[]): opening
 * a preset runs its Lua file (a Lua state each), which would cost more than most runs of a
 * small graph. Runs never change an arch (npu_run takes it const). The context, which recycles
 * buffers between runs, is made per input, so that an input replays alone as it ran.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "npusim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RUN_LAYERS 64
#define FUZZ_RUN_JOB_BYTES ((size_t)1 << 20) /* as npuc_fuzz */
#define FUZZ_RUN_JOBS 20000                  /* every seed runs with fewer than 5,000 */

/* One preset per model family (rknpu twice: three cores and one), "key=value" settings. */
static const struct {
    const char *preset, *set;
} runs[] = {
    {"nv_small", NULL},     {"rk3588", NULL}, {"rk3566", NULL},
    {"ascend310", NULL},    {"tpu_v1", NULL}, {"scalesim_default", "fidelity=scalesim"},
    {"example_edge", NULL},
};
enum { NRUNS = sizeof runs / sizeof runs[0] };

static void fail(const char *preset, const char *what, double v)
{
    fprintf(stderr, "run_fuzz: %s: %s (%g)\n", preset, what, v);
    abort();
}

/* What every result holds by design (sim/core/result.c npu_result_finish, sim/engine/stats.c):
 * no NaN anywhere; a layer ends at or after it starts and moves no negative bytes; the total is
 * the last layer's end, and the layers' shares partition it; MACs take time. */
static void check_result(const char *preset, const npu_result *r)
{
    const char *const *tf = npu_result_fields(false), *const *lf = npu_result_fields(true);
    for (int i = 0; tf[i]; i++) {
        double v = npu_result_total(r, tf[i]);
        if (npu_result_text(r, -1, tf[i]) == NULL && isnan(v))
            fail(preset, tf[i], v);
    }
    int n = npu_result_nlayers(r);
    int64_t cycles = npu_result_cycles(r), end = 0, share = 0;
    for (int l = 0; l < n; l++) {
        for (int i = 0; lf[i]; i++) {
            double v = npu_result_layer(r, l, lf[i]);
            if (npu_result_text(r, l, lf[i]) == NULL && isnan(v))
                fail(preset, lf[i], v);
        }
        static const char *const nonneg[] = {"macs",          "cycles",        "start",
                                             "share_cycles",  "dram_rd_bytes", "dram_wr_bytes",
                                             "sram_rd_bytes", "sram_wr_bytes"};
        for (size_t i = 0; i < sizeof nonneg / sizeof *nonneg; i++)
            if (npu_result_layer(r, l, nonneg[i]) < 0)
                fail(preset, nonneg[i], npu_result_layer(r, l, nonneg[i]));
        double s = npu_result_layer(r, l, "start"), e = npu_result_layer(r, l, "end");
        if (e < s)
            fail(preset, "a layer ends before it starts", e - s);
        if ((int64_t)e > end)
            end = (int64_t)e;
        share += (int64_t)npu_result_layer(r, l, "share_cycles");
    }
    if (cycles != end)
        fail(preset, "total cycles are not the last layer's end", (double)(cycles - end));
    if (share != cycles)
        fail(preset, "the layers' shares do not sum to the total", (double)(share - cycles));
    if (npu_result_total(r, "macs") > 0 && cycles <= 0)
        fail(preset, "MACs in no time", (double)cycles);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static npu_arch *archs[NRUNS];
    static bool opened;
    if (!opened) {
        opened = true;
        npu_ctx *c = npu_ctx_new();
        for (int i = 0; i < NRUNS; i++) {
            npu_err e = {0};
            archs[i] = npu_arch_open(c, runs[i].preset, &e);
            if (!archs[i] || (runs[i].set && npu_arch_set_kv(archs[i], runs[i].set, &e))) {
                fprintf(stderr, "run_fuzz: %s: %s\n", runs[i].preset, e.msg);
                abort(); /* a shipped preset must open */
            }
        }
        npu_ctx_free(c);
    }
    npu_err err = {0};
    npu_graph *g;
    if (size >= 4 && memcmp(data, "npg ", 4) == 0)
        g = npu_npg_read("fuzz.npg", (const char *)data, size, &err);
    else
        g = npu_onnx_read_mem("fuzz.onnx", data, size, true, &err);
    if (!g) {
        fuzz_refused("run_fuzz", &err);
        return 0;
    }
    if (g->nl > FUZZ_RUN_LAYERS) {
        npu_graph_free(g);
        return 0;
    }
    if (npu_graph_prepare(g, &err)) {
        fuzz_refused("run_fuzz", &err);
        npu_graph_free(g);
        return 0;
    }
    npu_ctx *ctx = npu_ctx_new();
    if (ctx) {
        npu_ctx_set_job_budget(ctx, FUZZ_RUN_JOB_BYTES);
        npu_ctx_set_job_limit(ctx, FUZZ_RUN_JOBS);
        for (int i = 0; i < NRUNS; i++) {
            npu_err e = {0};
            npu_result *r = npu_run(ctx, archs[i], g, NULL, &e);
            if (r)
                check_result(runs[i].preset, r);
            else
                fuzz_refused(runs[i].preset, &e);
            npu_result_free(r);
        }
        npu_ctx_free(ctx);
    }
    npu_graph_free(g);
    return 0;
}
