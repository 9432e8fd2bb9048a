/* trace.h — Perfetto / Chrome trace-event output of a run (prefix npu_trace_).
 *
 * Writes the busy intervals the engine recorded (npu_engine_record) as trace-event JSON
 * ({"traceEvents":[...]} with "X" complete events, one track per unit and per memory port,
 * timestamps in µs with ps precision, process/thread name metadata). A path ending in ".gz" is
 * gzip-compressed with zlib. Opens in ui.perfetto.dev and chrome://tracing.
 */
#ifndef NPU_TRACE_H
#define NPU_TRACE_H

#include <stdbool.h>

#include "../isa/program.h"
#include "../sim/core/ctx.h"
#include "../sim/engine/engine.h"

int npu_trace_write(const char *path, const npu_engine *e, const npu_program *prog, bool force,
                    npu_err *err);

/* Several programs on one engine (workloads, docs/workloads.md): engine layer l is layer
 * layer[l] of prog[group[l]], and the layer spans of each group get a track group (a trace
 * process) of their own, named "layers: <gname>". */
typedef struct npu_trace_groups {
    int nl;                          /* engine layers                         */
    const int *group, *layer;        /* per engine layer                      */
    int ng;
    const char *const *gname;        /* per group                             */
    const npu_program *const *prog;  /* per group                             */
} npu_trace_groups;
int npu_trace_write_groups(const char *path, const npu_engine *e, const npu_trace_groups *g,
                           bool force, npu_err *err);

#endif
