/* params_fuzz.c — libFuzzer target for parameter values, preset files (sim/core/params.c) and
 * AIPP configs (sim/front/aipp.c):
 *   - the input as a preset file (Lua text in an empty environment with an instruction budget);
 *     a preset that parses is applied to the defaults of the model it names;
 *   - every line of the input as a `--set key=value`, on one of four shipped presets (one per
 *     model family, chosen by the input's length), as `npusim run --set` applies them: in order,
 *     up to the first refused one (the CLI stops there too), and at most FUZZ_SET_LINES of them.
 * Bounded work per input: a preset file of 100 lines is 100 unknown keys as --set lines, each
 * looked up with its did-you-mean over every key of the model; applying them all (as the first
 * version did) made this target run at ~100 inputs/s, with nothing reached by the 2nd unknown key
 * that the 1st did not reach. The `npusim params` listing (20 KB of text) is made only when a
 * line was accepted.
 *   - the input as ATC's aipp_op text (`--aipp FILE`, sim/front/aipp.c: it sets the davinci
 *     parameters aipp_src_bpp and aipp_cpu_ops); a config that parses is priced on a 224x224
 *     RGB model, with or without a resize unit (by the input's length).
 * Seeds: tests/fuzz/corpus/params (shipped presets, --set lines, the AIPP configs of tests/aipp).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/aipp.h"
#include "fuzz.h"
#include "npusim_int.h"
#include "script/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SET_LINES 32

/* Opening an arch evaluates its preset chain in Lua: the archs are opened once per process and
 * cloned per input (a harness cache, never freed: reachable, so not a leak). */
static const npu_arch *cached_arch(const char *name)
{
    static npu_ctx *ctx;
    static struct {
        char name[32];
        npu_arch *a;
    } cache[16];
    if (!ctx && !(ctx = npu_ctx_new()))
        return NULL;
    size_t i = 0;
    for (; i < sizeof cache / sizeof *cache && cache[i].a; i++)
        if (strcmp(cache[i].name, name) == 0)
            return cache[i].a;
    npu_err err = {0};
    npu_arch *a = strlen(name) < sizeof cache[0].name ? npu_arch_open(ctx, name, &err) : NULL;
    if (a && i < sizeof cache / sizeof *cache) {
        strcpy(cache[i].name, name);
        cache[i].a = a;
        return a;
    }
    npu_arch_free(a);
    return NULL;
}

static void fuzz_aipp(const uint8_t *data, size_t size)
{
    static npu_graph *g; /* the model, read once (a harness cache, as above) */
    static const char model[] = "npg 1\ninput x 1x3x224x224 int8\nconv c x out=8 k=3\n";
    npu_err err = {0};
    if (!g && !(g = npu_npg_read("aipp_model.npg", model, sizeof model - 1, &err))) {
        fprintf(stderr, "params_fuzz: the AIPP model: %s\n", err.msg); /* a harness bug */
        abort();
    }
    npu_aipp a;
    npu_aipp_cost c;
    if (npu_aipp_parse("fuzz.cfg", (const char *)data, size, &a, &err) ||
        npu_aipp_cost_of(&a, g, size % 2, &c, &err))
        fuzz_refused("params_fuzz aipp", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_aipp(data, size);
    static const char *const presets[] = {"nv_small", "rk3588", "ascend310", "tpu_v1"};
    npu_err err = {0};
    npu_preset *pr = npu_preset_parse("fuzz.lua", (const char *)data, size, &err);
    if (pr) {
        /* a built-in model's defaults (not a file: `model` could name any path) */
        const npu_arch *m = pr->model && npu_model_summary(pr->model) ? cached_arch(pr->model)
                                                                       : NULL;
        if (m) {
            npu_params *p = npu_params_clone(npu_arch_params(m));
            if (p && npu_preset_apply(pr, p, &err))
                fuzz_refused("params_fuzz preset", &err);
            npu_params_free(p);
        }
        npu_preset_free(pr);
    } else {
        fuzz_refused("params_fuzz preset", &err);
    }

    const npu_arch *base = cached_arch(presets[size % 4]);
    npu_arch *a = base ? npu_arch_clone(base) : NULL;
    char *text = malloc(size + 1);
    if (a && text) {
        memcpy(text, data, size);
        text[size] = 0;
        int n = 0;
        for (char *line = text, *nl; line && n < FUZZ_SET_LINES; line = nl, n++) {
            nl = strchr(line, '\n');
            if (nl)
                *nl++ = 0;
            npu_err e3 = {0};
            if (npu_arch_set_kv(a, line, &e3)) {
                fuzz_refused("params_fuzz --set", &e3);
                break;
            }
        }
        if (n > 0) { /* the listing (20 KB) only where a value was set: how it prints */
            npu_strbuf sb;
            npu_sb_init(&sb);
            npu_arch_describe(a, &sb);
            npu_sb_free(&sb);
        }
    }
    free(text);
    npu_arch_free(a);
    return 0;
}
