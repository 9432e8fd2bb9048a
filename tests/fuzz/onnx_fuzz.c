/* onnx_fuzz.c — libFuzzer target for the ONNX reader (sim/front/onnx.c + pb.c).
 *
 * Every input is imported twice (strict and with allow_unsupported) and, when a graph comes
 * back, run through the standard passes (fuzz_graph_passes): whatever the bytes, the result
 * must be a graph or an error with a message — never a crash, a sanitizer report or a leak.
 * Seeds: tests/fuzz/corpus/onnx (the models written by tests/onnx/gen.py). How to build and
 * run: docs/fuzzing.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int allow = 0; allow < 2; allow++) {
        npu_err err = {0};
        npu_graph *g = npu_onnx_read_mem("fuzz.onnx", data, size, allow, &err);
        if (g)
            fuzz_graph_passes("onnx_fuzz", g);
        else
            fuzz_refused("onnx_fuzz", &err);
    }
    return 0;
}
