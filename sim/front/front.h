/* front.h — graph readers and writers (prefix npu_front_ / npu_npg_ / npu_onnx_ /
 * npu_scalesim_). Front ends know nothing of models: they produce an npu_graph with input
 * shapes, layers and attributes; shapes of the rest are inferred by npu_graph_infer().
 * Every error names the file, line (and column where it helps) and what is wrong.
 */
#ifndef NPU_FRONT_H
#define NPU_FRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/ctx.h"
#include "../core/graph.h"

/* .npg text (DESIGN §8). `file` is used in messages. The graph is returned un-inferred. */
npu_graph *npu_npg_read(const char *file, const char *text, size_t len, npu_err *err);
/* Writes .npg text that npu_npg_read reads back to an identical graph (round trip). */
int npu_npg_write(const npu_graph *g, npu_strbuf *out);

/* The file's base name without directory and extension ("nets/resnet18.onnx" → "resnet18"),
 * in arena a; "graph" for stdin or an empty name. Names graphs whose file gives none. */
const char *npu_front_base_name(npu_arena *a, const char *file);

/* ONNX protobuf (memory-mapped; tensor data is never read). allow_unsupported: unknown ops
 * become host layers (NPU_LF_HOST, src_op = ONNX op type) instead of one error that lists them
 * all. */
npu_graph *npu_onnx_read(const char *path, bool allow_unsupported, npu_err *err);
/* The same with a batch (> 0; 0 = 1): a symbolic leading dim of a graph input of rank >= 2
 * (dim_param "batch_size", a dynamic-batch export) is taken as `batch`, before the Shape →
 * Gather → Concat chains are folded, so their reshapes follow it. Fixed dims stay as written
 * (npu_graph_set_batch then rebatches them, or names the reshape that fixed the batch). */
npu_graph *npu_onnx_read_batch(const char *path, bool allow_unsupported, int64_t batch,
                               npu_err *err);

/* The importer's ONNX tables, read backwards by the writer (onnxw.c): the TensorProto
 * elem_type of an IR dtype (0: ONNX has none the importer maps to it), and the Reduce*
 * operator of a reduce layer's kind= ("mean" → "ReduceMean"; NULL: unknown kind). */
int npu_onnx_elem_type(npu_dtype dt);
const char *npu_onnx_reduce_op(const char *kind);
/* The ONNX operator the importer reads as IR op `op` one to one ("Add" for add, "MaxPool" for
 * maxpool); NULL for an op only a decomposition writes. */
const char *npu_onnx_op_type(npu_op op);

/* SCALE-Sim v2/v3 topology CSV: conv (gemm=false) or GEMM "Layer Name, M, N, K," (gemm=true).
 * npu_scalesim_is_gemm() tells from the header line. Quirks follow peers.md §2.1 (header
 * skipped, trailing comma, optional stride-w / N:M column, "DP" names are depthwise, no
 * padding). Layers are independent: each gets its own graph input, as SCALE-Sim runs them. */
bool npu_scalesim_is_gemm(const char *text, size_t len);
npu_graph *npu_scalesim_read(const char *file, const char *text, size_t len, bool gemm,
                             npu_err *err);
/* The same with flags: NPU_SCALESIM_DP_EXPAND reads a "DP" row as SCALE-Sim v2 does (Channels
 * one-channel layers keeping all Num Filter filters: groups = C, out = C x Num Filter) instead
 * of as a depthwise conv (scalesim.c's header has both readings).
 * NPU_SCALESIM_SPARSE keeps a v3 N:M ratio with N < M as the layer attribute nm=N,M (v3's
 * SparsitySupport = True); without it N:M layers are dense. */
enum { NPU_SCALESIM_DP_EXPAND = 1u << 0, NPU_SCALESIM_SPARSE = 1u << 1 };
npu_graph *npu_scalesim_read_ex(const char *file, const char *text, size_t len, bool gemm,
                                unsigned flags, npu_err *err);

/* The same from a buffer already in memory (`name` is used in messages). The buffer must stay
 * valid during the call only; used by the fuzzer and by callers that hold the bytes. */
npu_graph *npu_onnx_read_mem(const char *name, const void *data, size_t len,
                             bool allow_unsupported, npu_err *err);

#endif
