/* store.c — how RKNN stores a network in DRAM, for the deployment footprint (footprint.h).
 * Feature maps in NC1HWC2 with C2 = atom_bytes / element bytes (API152 Table 4-6); conv
 * weights with input channels in the same C2 blocks and kernels in kernel groups (32 int8 /
 * 16 fp16 kernels: TRM CNA_CONV_CON2, research/rknpu.md §1.2; `kgroup`), grouped convs padded
 * per group or run block-diagonal dense, whichever pads less (as lower.c runs them); a gemm's
 * B matrix as [N/32, K/32, 32, 32] (int8) or [N/16, K/32, 16, 32] (fp16) (API152 Tables
 * 4-7..4-9); biases int32 (assumption: the DPU's bias is 32-bit).
 */
#include "rknpu.h"

#include "../../sim/core/footprint.h"

static npu_fp_layout layout(const npu_model *m)
{
    const npu_rknpu_state *s = m->state;
    return (npu_fp_layout){.cblock_bytes = s->atom_bytes, .wk_block_bits = s->kgroup * 8,
                           .gemm_k_block = 32, .bias_bytes = 4};
}

int64_t npu_rknpu_stored_weight(const npu_model *m, const npu_graph *g, int li)
{
    npu_fp_layout lay = layout(m);
    return npu_fp_layout_weight(&lay, g, li);
}

int64_t npu_rknpu_stored_tensor(const npu_model *m, const npu_graph *g, int ti)
{
    npu_fp_layout lay = layout(m);
    return npu_fp_layout_tensor(&lay, g, ti);
}
