/* onnx_fuzz.c — libFuzzer target for the ONNX reader (sim/front/onnx.c + pb.c).
 *
 * Every input is imported twice (strict and with allow_unsupported) and, when a graph comes
 * back, shape-inferred: whatever the bytes, the result must be a graph or an error with a
 * message — never a crash, a sanitizer report or a leak. Seeds: tests/fuzz/corpus (the models
 * written by tests/onnx/gen.py).
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DNPU_SANITIZE=ON
 *   cmake --build build-fuzz --target onnx_fuzz
 *   mkdir -p /tmp/onnx_corpus && build-fuzz/tests/onnx_fuzz -dict=tests/fuzz/onnx.dict \
 *       -max_total_time=300 /tmp/onnx_corpus tests/fuzz/corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/ctx.h"
#include "core/graph.h"
#include "front/front.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int allow = 0; allow < 2; allow++) {
        npu_err err = {0};
        npu_graph *g = npu_onnx_read_mem("fuzz.onnx", data, size, allow, &err);
        if (g) {
            npu_graph_infer(g, &err);
            npu_graph_free(g);
        } else if (!err.code || !err.msg[0]) {
            abort(); /* a failure must always say what is wrong */
        }
    }
    return 0;
}
