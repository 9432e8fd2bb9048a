/* scalesim_fuzz.c — libFuzzer target for the SCALE-Sim readers: the topology reader
 * (sim/front/scalesim.c): every input is read as a conv topology and as a GEMM topology
 * (whatever its header says, as --format scalesim / scalesim-gemm force it), and the accepted
 * graphs go through the passes; and the `.cfg` reader (sim/front/scalesim_cfg.c, `npusim
 * scalesim -c`): every input is also read as a scale.cfg, and the settings of an accepted one
 * are applied to the systolic model as the CLI applies them. Seeds: tests/fuzz/corpus/scalesim
 * (topologies and configs).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front/scalesim_cfg.h"
#include "fuzz.h"
#include "npusim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The systolic model, opened once per process (its preset chain is Lua) and cloned per input: a
 * harness cache, never freed (reachable, so not a leak). */
static const npu_arch *systolic(void)
{
    static npu_ctx *ctx;
    static npu_arch *a;
    npu_err err = {0};
    if (!a && (ctx || (ctx = npu_ctx_new())))
        a = npu_arch_open(ctx, "systolic", &err);
    return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)npu_scalesim_is_gemm((const char *)data, size);
    for (int gemm = 0; gemm < 2; gemm++) {
        npu_err err = {0};
        npu_graph *g = npu_scalesim_read("fuzz.csv", (const char *)data, size, gemm != 0, &err);
        if (g)
            fuzz_graph_passes("scalesim_fuzz", g);
        else
            fuzz_refused("scalesim_fuzz", &err);
    }
    npu_sscfg cfg;
    npu_err err = {0};
    if (npu_sscfg_parse("fuzz.cfg", (const char *)data, size, &cfg, &err) != 0) {
        fuzz_refused("scalesim_fuzz cfg", &err);
        return 0;
    }
    npu_arch *a = systolic() ? npu_arch_clone(systolic()) : NULL;
    for (int i = 0; a && i < cfg.nsets; i++) {
        npu_err e2 = {0};
        if (npu_arch_set_kv(a, cfg.sets[i], &e2)) {
            fuzz_refused("scalesim_fuzz cfg --set", &e2);
            break;
        }
    }
    npu_arch_free(a);
    return 0;
}
