/* fuzz.h — what the fuzz targets of tests/fuzz share (header-only, harness code).
 *
 * Every target feeds bytes to one parser and, when it accepts them, runs what follows in the
 * real program (shape inference and the passes, lowering, disasm, execution). The rule each
 * target enforces on top of the sanitizers: a refusal always carries a code and a message
 * ("one clear error"), otherwise fuzz_refused() aborts, which libFuzzer and the replay driver
 * both report as a finding.
 */
#ifndef NPU_FUZZ_H
#define NPU_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/ctx.h"
#include "core/graph.h"
#include "front/front.h"

/* A parser refused the input: it must say why (and says it on stderr when FUZZ_VERBOSE is set,
 * to see how far a seed gets). */
static inline void fuzz_refused(const char *target, const npu_err *err)
{
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "%s: %s\n", target, err->msg);
    if (!err->code || !err->msg[0]) {
        fprintf(stderr, "%s: refused without a message (code %d)\n", target, err->code);
        abort();
    }
}

/* What the CLI does with an accepted graph: the standard pipeline, then the dtype passes a
 * model would run (int8 activations with int4 weights, so that converts are inserted), and the
 * .npg round trip (`npusim convert`): what the writer writes, the reader must read back. Takes
 * ownership of g. */
static inline void fuzz_graph_passes(const char *target, npu_graph *g)
{
    npu_err err = {0};
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "%s: graph of %d layers\n", target, g->nl);
    if (npu_graph_prepare(g, &err) == 0) {
        npu_graph *c = npu_graph_clone(g);
        if (c) {
            if (npu_pass_dtype(c, NPU_DT_INT8, NULL, NULL, &err) == 0)
                npu_pass_weight_dtype(c, NPU_DT_INT4, &err);
            npu_graph_free(c);
        }
        npu_strbuf sb;
        npu_sb_init(&sb);
        if (npu_npg_write(g, &sb) == 0 && !sb.oom) {
            npu_graph *back = npu_npg_read("roundtrip.npg", sb.s ? sb.s : "", sb.len, &err);
            if (!back) {
                fprintf(stderr, "%s: the .npg writer wrote what its reader refuses: %s\n%s",
                        target, err.msg, sb.s ? sb.s : "");
                abort();
            }
            npu_graph_free(back);
        }
        npu_sb_free(&sb);
    } else {
        fuzz_refused(target, &err);
    }
    npu_graph_free(g);
}

#endif
