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

#endif
