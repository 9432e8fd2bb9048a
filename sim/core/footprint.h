/* footprint.h — the deployment memory footprint of a prepared graph (prefix npu_fp_).
 *
 * What a runtime (RKNN, ACL/SVP_ACL) allocates in DRAM to run one network, without simulating:
 *   weights   every conv/gemm's implied weights and every constant tensor, in the bytes the arch
 *             stores them (its layout pads channels and kernels: a model hook says how much);
 *   internal  the intermediate activations, placed in one arena by lifetime: a tensor lives from
 *             the layer that writes it to the last layer that reads it, and two tensors whose
 *             lifetimes overlap never share bytes. Placement is "greedy by size" (Pisarchyk &
 *             Lee, 2020; TensorFlow Lite's arena planner): largest first, each at the lowest
 *             offset whose gap among the already placed overlapping tensors is large enough;
 *   io        the graph's inputs and outputs (runtimes allocate them apart from the arena);
 *   task      the command buffers (register command lists, task descriptors).
 * The peak is their sum: the runtime holds all of them for the whole inference.
 * docs/deployment.md has the rules and a hand-derived check per model family.
 */
#ifndef NPU_FOOTPRINT_H
#define NPU_FOOTPRINT_H

#include <stdint.h>

#include "ctx.h"
#include "graph.h"

/* How an arch stores things; NULL functions = dense bytes in the dtype. */
typedef struct npu_fp_hooks {
    const void *ud;
    int64_t (*weight_bytes)(const void *ud, const npu_graph *g, int li); /* implied weights  */
    int64_t (*tensor_bytes)(const void *ud, const npu_graph *g, int ti); /* a tensor as stored */
    int64_t align; /* arena offsets are multiples of this (0 = 64 B, an assumption)          */
} npu_fp_hooks;

/* One intermediate tensor in the arena: alive from layer `first` to layer `last` (graph layer
 * indices, both included), at [off, off + size). */
typedef struct npu_fp_buf {
    int t;
    int first, last;
    int64_t size, off;
} npu_fp_buf;

typedef struct npu_fp {
    int64_t weight_bytes;   /* RKNN total_weight_size; ATC weight size                     */
    int64_t internal_bytes; /* RKNN total_internal_size: the arena after reuse              */
    int64_t internal_sum;   /* the same tensors without reuse (each its own buffer)         */
    int64_t io_bytes;       /* graph inputs + outputs                                       */
    int64_t task_bytes;     /* command buffers                                              */
    int64_t total_bytes;    /* weights + internal + io + task: held for the whole inference */
    int64_t live_peak;      /* most bytes live at one layer: the arena can be no smaller    */
    int nlayers;            /* graph layers (dead ones have live 0)                         */
    int64_t *live;          /* per graph layer: bytes of intermediates live while it runs   */
    int *nlive;             /* per graph layer: how many                                    */
    int nbuf;
    npu_fp_buf *buf;        /* the placed intermediates                                     */
} npu_fp;

/* Computes the footprint of g (shapes inferred). `task_bytes` is the arch's command buffer
 * size (from the lowered program). 0 or an error (out of memory). Free with npu_fp_free. */
int npu_fp_compute(const npu_graph *g, const npu_fp_hooks *h, int64_t task_bytes, npu_fp *out,
                   npu_err *err);
void npu_fp_free(npu_fp *fp);
/* The allocator's invariant: no two intermediates with overlapping lifetimes overlap in the
 * arena, every one lies inside it, and the arena is at least live_peak. 0 or an error naming
 * the two tensors. */
int npu_fp_check(const npu_graph *g, const npu_fp *fp, npu_err *err);

/* Helpers for the hooks: the dims of conv layer li (K outputs, C inputs, groups, kh·kw) and
 * of a gemm (K inputs, N outputs); 0, or -1 when li is not such a layer. */
int npu_fp_conv_dims(const npu_graph *g, int li, int64_t *k, int64_t *c, int64_t *groups,
                     int64_t *khw);
int npu_fp_gemm_dims(const npu_graph *g, int li, int64_t *kin, int64_t *n);
/* v rounded up to a multiple of m (m <= 1: v). */
int64_t npu_fp_round_up(int64_t v, int64_t m);

/* A padded layout, what the models' hooks describe: activations of rank 4 store channels in
 * blocks of `cblock_bytes` (C2/C0 × element bytes: NC1HWC2, NC1HWC0); a conv's or gemm's
 * weights pad input channels to the same block in the weight dtype and output channels
 * (kernels) to the kernel block, per group unless one block-diagonal dense kernel pads less;
 * a depthwise conv stores
 * round(C, block) × kh·kw; biases and BN-fold vectors take `bias_bytes` each. Graph inputs
 * stay dense: the application hands them over as it has them (an NHWC uint8 image, a YUV
 * frame for AIPP) and the first layer reads that. */
typedef struct npu_fp_layout {
    int64_t cblock_bytes;
    int64_t wk_block;      /* kernels per block, whatever the dtype (DaVinci N0 = 16)       */
    int64_t wk_block_bits; /* else kernels per block × weight bits (RKNPU 32 int8 = 256)   */
    int64_t gemm_k_block;  /* a gemm's K padding, elements (0: the weights' channel block)  */
    int bias_bytes;
} npu_fp_layout;
int64_t npu_fp_layout_weight(const npu_fp_layout *lay, const npu_graph *g, int li);
int64_t npu_fp_layout_tensor(const npu_fp_layout *lay, const npu_graph *g, int ti);

#endif
