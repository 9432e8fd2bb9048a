/* onnxw.h — the ONNX writer (prefix npu_onnxw_): any graph as an ONNX model.
 *
 * The inverse of the importer (onnx.c): every IR layer becomes the ONNX node(s) an exporter
 * (torch.onnx, the Ultralytics and Hugging Face exports) writes for it, so that reading the
 * file back gives the same layers after the passes. Fused state is written decomposed: a
 * folded batchnorm as a BatchNormalization node after the conv, a fused activation as its
 * own node(s) after the producer, SiLU as x*Sigmoid(x), HardSwish as x*HardSigmoid(x), GELU as
 * the Erf chain, LayerNorm and RMSNorm as the ReduceMean chains exporters wrote before opset 17.
 * docs/onnx.md lists the whole mapping.
 *
 * Weights (conv/gemm kernels, biases, batchnorm statistics, norm gains, the graph's constant
 * tensors) are initializers stored as ONNX external data: the model names a side file and an
 * offset/length per tensor. The IR holds no weight values, so the side file is all zeros; the
 * caller writes it as a sparse file of `data_bytes` bytes (ftruncate), which costs no disk
 * blocks. Small constants that describe shapes (Reshape targets, axes, Resize sizes, Clip
 * bounds, the 1.0/0.5/sqrt(2) of the GELU chain, epsilons) are stored inline with their real
 * values, because the importer reads them.
 */
#ifndef NPU_ONNXW_H
#define NPU_ONNXW_H

#include <stdint.h>

#include "../core/ctx.h"
#include "../core/graph.h"

#define NPU_ONNXW_OPSET 13 /* ai.onnx opset written (pre-17: LayerNorm is decomposed) */
#define NPU_ONNXW_IR 7     /* ModelProto.ir_version that goes with opset 13 */
#define NPU_ONNXW_HOST_DOMAIN "ai.npusim.host" /* operators npusim only runs on the host */

/* Serialises the (inferred) graph g as an ONNX ModelProto into out. `data_location` is the
 * external-data file name written into the initializers (relative to the model's directory);
 * *data_bytes receives the size the side file must have (0: no initializer needs it, write no
 * side file). Returns 0, or an error code with err set (a shape the IR has not inferred, an
 * attribute the writer cannot express). */
int npu_onnxw_write(const npu_graph *g, const char *data_location, npu_strbuf *out,
                    int64_t *data_bytes, npu_err *err);

#endif
