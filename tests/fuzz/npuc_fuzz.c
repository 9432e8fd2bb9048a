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

/* Bounded work per input: 1 MiB of queued jobs (every seed runs within 64 KiB). With 32 MiB
 * (~150,000 jobs), mutated TILE counts held this target to ~270 inputs/s, most of it in the
 * engine's job queue. */
#define FUZZ_NPUC_JOB_BYTES ((size_t)1 << 20)
#define FUZZ_NPUC_JOBS 100000 /* every seed submits fewer than 1,000 */

/* "NPUC", version 2, body bytes, zlib bytes, then the stream (isa/program.c). The stream is
 * written by hand in stored (uncompressed) blocks: deflate's own setup (compress2 clears a
 * window of 256 KiB) took a quarter of this target's time. */
static uint8_t *wrap_body(const uint8_t *body, size_t n, size_t *out_len)
{
    size_t nblk = n / 65535 + 1, zlen = 2 + 5 * nblk + n + 4;
    uint8_t *f = malloc(24 + zlen), *z = f ? f + 24 : NULL;
    if (!f)
        return NULL;
    *z++ = 0x78; /* zlib header: deflate, 32 KiB window, no dictionary */
    *z++ = 0x01;
    for (size_t at = 0, b = 0; b < nblk; b++) {
        size_t len = n - at < 65535 ? n - at : 65535;
        *z++ = b + 1 == nblk; /* BFINAL, BTYPE 00 (stored) */
        z[0] = (uint8_t)len, z[1] = (uint8_t)(len >> 8);
        z[2] = (uint8_t)~len, z[3] = (uint8_t)(~len >> 8);
        memcpy(z + 4, body + at, len);
        z += 4 + len;
        at += len;
    }
    uLong ad = adler32(adler32(0, Z_NULL, 0), body, (uInt)n);
    for (int i = 3; i >= 0; i--)
        *z++ = (uint8_t)(ad >> (8 * i));
    uint64_t h[3] = {2, (uint64_t)n, (uint64_t)zlen};
    memcpy(f, "NPUC", 4);
    for (int i = 0; i < 4; i++)
        f[4 + i] = (uint8_t)(h[0] >> (8 * i));
    for (int i = 0; i < 8; i++) {
        f[8 + i] = (uint8_t)(h[1] >> (8 * i));
        f[16 + i] = (uint8_t)(h[2] >> (8 * i));
    }
    *out_len = 24 + zlen;
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
        /* FUZZ_NPUC_JOB_BYTES of queued jobs: a valid program that would queue more (a TILE
         * count of 65 536 of the example model) is a quick refusal instead of 0.1 s to a
         * minute under the sanitizers; the limit itself is what hostile_test and engine_test
         * check at full size */
        npu_ctx_set_job_budget(ctx, FUZZ_NPUC_JOB_BYTES);
        /* ... and the work: models queue their jobs in windows, so a budget of memory no
         * longer bounds how many a run submits (a systolic program of 2^20 fold groups) */
        npu_ctx_set_job_limit(ctx, FUZZ_NPUC_JOBS);
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
