/* params_fuzz.c — libFuzzer target for parameter values and preset files (sim/core/params.c):
 *   - the input as a preset file (Lua text in an empty environment with an instruction budget);
 *     a preset that parses is applied to the defaults of the model it names;
 *   - every line of the input as a `--set key=value`, on one of four shipped presets (one per
 *     model family, chosen by the input's length), as `npusim run --set` applies them.
 * Seeds: tests/fuzz/corpus/params (shipped presets and --set lines).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "npusim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const presets[] = {"nv_small", "rk3588", "ascend310", "tpu_v1"};
    npu_ctx *ctx = npu_ctx_new();
    if (!ctx)
        return 0;
    npu_err err = {0};
    npu_preset *pr = npu_preset_parse("fuzz.lua", (const char *)data, size, &err);
    if (pr) {
        npu_arch *a = pr->model ? npu_arch_open(ctx, pr->model, &err) : NULL;
        if (a) {
            npu_params *p = npu_params_clone(npu_arch_params(a));
            if (p && npu_preset_apply(pr, p, &err))
                fuzz_refused("params_fuzz preset", &err);
            npu_params_free(p);
            npu_arch_free(a);
        }
        npu_preset_free(pr);
    } else {
        fuzz_refused("params_fuzz preset", &err);
    }

    npu_err e2 = {0};
    npu_arch *a = npu_arch_open(ctx, presets[size % 4], &e2);
    char *text = malloc(size + 1);
    if (a && text) {
        memcpy(text, data, size);
        text[size] = 0;
        for (char *line = text, *nl; line; line = nl) {
            nl = strchr(line, '\n');
            if (nl)
                *nl++ = 0;
            npu_err e3 = {0};
            if (npu_arch_set_kv(a, line, &e3))
                fuzz_refused("params_fuzz --set", &e3);
        }
        npu_strbuf sb;
        npu_sb_init(&sb);
        npu_arch_describe(a, &sb);
        npu_sb_free(&sb);
    }
    free(text);
    npu_arch_free(a);
    npu_ctx_free(ctx);
    return 0;
}
