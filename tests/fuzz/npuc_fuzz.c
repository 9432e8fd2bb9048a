/* npuc_fuzz.c — libFuzzer target for compiled programs (.npuc): the container reader
 * (isa/program.c), the owning model's load-time payload check (npu_model_ops.check), and on a
 * program that passes: the disassembler, the executor and the report, as `npusim disasm` and
 * `npusim exec` run them.
 *
 * An input that starts with the "NPUC" magic is a whole file. Any other input is taken as the
 * inflated body and wrapped in a header and a zlib stream here: mutations of compressed bytes
 * rarely survive the Adler-32 check, so the body form is the one that reaches the payload
 * checks. Seeds: tests/fuzz/corpus/npuc (one small program per model, as files and as bodies).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz.h"
#include "isa/program.h"
#include "models/model.h"
#include "npusim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "NPUC", version 2, body bytes, zlib bytes, then the stream (isa/program.c). */
static uint8_t *wrap_body(const uint8_t *body, size_t n, size_t *out_len)
{
    uLongf zlen = compressBound((uLong)n);
    uint8_t *f = malloc(24 + (size_t)zlen);
    if (!f || compress2(f + 24, &zlen, body, (uLong)n, 1) != Z_OK) {
        free(f);
        return NULL;
    }
    uint64_t h[3] = {2, (uint64_t)n, (uint64_t)zlen};
    memcpy(f, "NPUC", 4);
    for (int i = 0; i < 4; i++)
        f[4 + i] = (uint8_t)(h[0] >> (8 * i));
    for (int i = 0; i < 8; i++) {
        f[8 + i] = (uint8_t)(h[1] >> (8 * i));
        f[16 + i] = (uint8_t)(h[2] >> (8 * i));
    }
    *out_len = 24 + (size_t)zlen;
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *wrapped = NULL;
    size_t len = size;
    const uint8_t *file = data;
    if (size < 4 || memcmp(data, "NPUC", 4) != 0) {
        wrapped = wrap_body(data, size, &len);
        if (!wrapped)
            return 0;
        file = wrapped;
    }
    npu_err err = {0};
    npu_program *p = npu_prog_load_mem("fuzz.npuc", file, len, &err);
    free(wrapped);
    if (!p) {
        fuzz_refused("npuc_fuzz", &err);
        return 0;
    }
    /* what npu_program_load adds: the model must exist and accept every payload value */
    const npu_model_ops *ops = npu_model_find(p->model, &err);
    if (!ops || npu_model_check(ops, p, "fuzz.npuc", &err)) {
        fuzz_refused("npuc_fuzz", &err);
        npu_prog_free(p);
        return 0;
    }
    npu_ctx *ctx = npu_ctx_new();
    if (ctx) {
        /* 32 MiB of queued jobs (~150 000): a valid program that would queue millions (a TILE
         * count of 5 M) is a quick refusal instead of a minute under the sanitizers; the
         * limit itself is what hostile_test and engine_test check at full size */
        npu_ctx_set_job_budget(ctx, (size_t)32 << 20);
        npu_strbuf sb;
        npu_sb_init(&sb);
        npu_err e2 = {0};
        if (npu_disasm(ctx, p, &sb, &e2))
            fuzz_refused("npuc_fuzz disasm", &e2);
        npu_sb_free(&sb);
        npu_err e3 = {0};
        npu_result *r = npu_exec(ctx, p, NULL, &e3);
        if (r) {
            npu_sb_init(&sb);
            npu_report_write(r, NPU_FMT_JSON, &sb);
            npu_sb_free(&sb);
            npu_result_free(r);
        } else {
            fuzz_refused("npuc_fuzz exec", &e3);
        }
        npu_ctx_free(ctx);
    }
    npu_prog_free(p);
    return 0;
}
