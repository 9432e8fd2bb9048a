/* npg_fuzz.c — libFuzzer target for the .npg text reader (sim/front/npg.c), then shape
 * inference, the passes and the .npg round trip (fuzz_graph_passes). Seeds:
 * tests/fuzz/corpus/npg (the golden graphs and the reproducers of issue 16).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npu_err err = {0};
    npu_graph *g = npu_npg_read("fuzz.npg", (const char *)data, size, &err);
    if (g)
        fuzz_graph_passes("npg_fuzz", g);
    else
        fuzz_refused("npg_fuzz", &err);
    return 0;
}
