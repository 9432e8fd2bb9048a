/* scalesim_fuzz.c — libFuzzer target for the SCALE-Sim topology reader (sim/front/scalesim.c):
 * every input is read as a conv topology and as a GEMM topology (whatever its header says, as
 * --format scalesim / scalesim-gemm force it), and the accepted graphs go through the passes.
 * (npusim has no reader of SCALE-Sim's .cfg files: their parameters are a Lua preset,
 * models/presets/scalesim_default.lua, fuzzed by params_fuzz.) Seeds: tests/fuzz/corpus/scalesim.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    return 0;
}
