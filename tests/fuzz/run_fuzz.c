/* run_fuzz.c — libFuzzer target for what follows a parser: a graph it accepted, prepared as the
 * CLI loads it (npu_graph_prepare), lowered and run (npu_run) on one preset of each model
 * family. It reaches the models' lowering (lower.c of every model, nvdla/plan.c, rknpu/place.c, the
 * systolic model's scalesim fidelity in ss*.c), the footprint and the engine with the shapes a
 * user's .npg or .onnx brings, which the parser targets stop short of.
 *
 * The input is .npg text when it starts with "npg ", a zoo network when it starts with "zoo "
 * (one line "zoo NAME ARGS [BATCH]", ARGS "-" for none: `npusim run --zoo-args ARGS --batch BATCH
 * NAME`, see fuzz_zoo), else an ONNX model (read with allow_unsupported, as `npusim run
 * --allow-unsupported`: unknown ops run on the host). Seeds: tests/fuzz/corpus/run (small graphs
 * of each op class, a few ONNX models of tests/onnx, zoo lines).
 *
 * Rules on top of the sanitizers: a refusal carries a code and a message (fuzz_refused), and a
 * run that succeeds satisfies what holds by design of every result (check_result).
 *
 * Bounded work per input: graphs of at most FUZZ_RUN_LAYERS layers as read (as
 * lua_fuzz bounds its passes), and per run a job budget and a job limit (as npuc_fuzz): a valid
 * but huge shape (a conv of 10^8 channels) is refused with a message at the limit instead of
 * running for minutes under the sanitizers. A zoo network is built within lua_fuzz's instruction
 * budget and layer limit (its arguments scale the build: layers=1000000), and BATCH is at most
 * FUZZ_RUN_BATCH (the zoo argument batch= is left to the job limit, as any graph's shape).
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
#include "script/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RUN_LAYERS 64
#define FUZZ_RUN_JOB_BYTES ((size_t)1 << 20) /* as npuc_fuzz */
#define FUZZ_RUN_JOBS 20000                  /* every seed runs with fewer than 5,000 */
#define FUZZ_RUN_BATCH 64                    /* a zoo line's BATCH (--batch takes up to 2^31 - 1) */
#define FUZZ_RUN_ZOO_LINE 512

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

/* The state a zoo network is built in: npu_script_zoo's (builder-only, its memory cap) with
 * lua_fuzz's instruction budget (200 x 10,000), layer limit and bytes allocated in all. */
static const npu_script_opts zoo_state = {.libs = NPU_SCRIPT_LIBS_PURE,
                                          .mem_limit = NPU_SCRIPT_ZOO_MEM,
                                          .hook_every = 10000,
                                          .max_hooks = 200,
                                          .what = "zoo",
                                          .max_layers = 4096,
                                          .alloc_limit = (size_t)256 << 20};

/* A zoo line "zoo NAME ARGS [BATCH]" built as npu_load_graph builds `npusim run --zoo-args ARGS
 * --batch BATCH NAME` (the zoo's own spelling of NAME, a batch given twice refused, the script
 * run in a builder-only state), except that the state has lua_fuzz's instruction budget and
 * layer limit. Un-prepared; *batch is what npu_graph_set_batch gets. *skip: not a zoo line of
 * the target (no name, a bad BATCH, a line too long), nothing asked of the library. */
static npu_graph *fuzz_zoo(npu_ctx *ctx, const uint8_t *data, size_t size, int64_t *batch,
                           bool *skip, npu_err *err)
{
    char line[FUZZ_RUN_ZOO_LINE], *tok[3] = {0}, *save = NULL;
    size_t n = 4;
    while (n < size && data[n] != '\n' && data[n] != 0)
        n++;
    *skip = true;
    if (n - 4 >= sizeof line || (n < size && data[n] == 0))
        return NULL;
    memcpy(line, data + 4, n - 4);
    line[n - 4] = 0;
    int nt = 0;
    for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save))
        if (nt++ < 3)
            tok[nt - 1] = t;
    if (nt < 1 || nt > 3)
        return NULL;
    const char *args = nt > 1 && strcmp(tok[1], "-") != 0 ? tok[1] : NULL;
    *batch = 0;
    if (nt > 2) {
        for (const char *d = tok[2]; *d; d++)
            if (*d < '0' || *d > '9' || d - tok[2] > 3)
                return NULL;
        *batch = atoi(tok[2]);
        if (*batch < 1 || *batch > FUZZ_RUN_BATCH)
            return NULL;
    }
    *skip = false;
    const char *name = npu_zoo_canonical(tok[0]);
    if (!name)
        name = tok[0];
    if (npu_script_zoo_batch_twice(tok[0], args, *batch, err))
        return NULL;
    return npu_script_zoo_opts(ctx, name, args, &zoo_state, err);
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
    npu_ctx *ctx = npu_ctx_new();
    if (!ctx)
        return 0;
    npu_graph *g;
    int64_t batch = 0;
    bool skip = false;
    if (size >= 4 && memcmp(data, "npg ", 4) == 0)
        g = npu_npg_read("fuzz.npg", (const char *)data, size, &err);
    else if (size >= 4 && memcmp(data, "zoo ", 4) == 0)
        g = fuzz_zoo(ctx, data, size, &batch, &skip, &err);
    else
        g = npu_onnx_read_mem("fuzz.onnx", data, size, true, &err);
    if (!g && !skip)
        fuzz_refused("run_fuzz", &err);
    if (g && getenv("FUZZ_VERBOSE")) /* how far a seed gets */
        fprintf(stderr, "run_fuzz: %d layers%s\n", g->nl,
                g->nl > FUZZ_RUN_LAYERS ? ", not run" : "");
    if (g && g->nl <= FUZZ_RUN_LAYERS &&
        ((batch > 0 && npu_graph_set_batch(g, batch, &err)) || npu_graph_prepare(g, &err)))
        fuzz_refused("run_fuzz", &err);
    else if (g && g->nl <= FUZZ_RUN_LAYERS) {
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
    }
    npu_graph_free(g);
    npu_ctx_free(ctx);
    return 0;
}
