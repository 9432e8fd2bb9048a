/* store.c — how ATC lays a network out in the OM's memory, for the deployment footprint
 * (footprint.h). Feature maps in NC1HWC0 with C0 = 32 B (16 fp16, 32 int8: the 512 B
 * fractal of research/davinci.md §1.5 is 16 rows of C0); conv weights in FRACTAL_Z
 * (C1·kh·kw × N1 × N0 × C0, N0 = 16 kernels), a gemm's weights in 16 × C0 fractals; grouped
 * convs padded per group (ATC's group enlarge), depthwise as one plane per channel; biases
 * fp32/int32 (4 B). Buffers 512 B aligned (assumption: the fractal size; GE's own alignment
 * is not in the research).
 */
#include "davinci.h"

#include <math.h>
#include <string.h>

#include "../../sim/core/footprint.h"

static const npu_fp_layout dv_layout = {.cblock_bytes = 32, .wk_block = 16, .bias_bytes = 4};

int64_t npu_davinci_stored_weight(const npu_model *m, const npu_graph *g, int li)
{
    (void)m;
    return npu_fp_layout_weight(&dv_layout, g, li);
}

/* With AIPP on the AI Core the model's image input is the camera frame as AIPP reads it
 * (aipp_src_bpp bytes per model pixel: YUV420SP 1.5, a crop window, ...), not the framework's
 * tensor. */
int64_t npu_davinci_stored_tensor(const npu_model *m, const npu_graph *g, int ti)
{
    const npu_davinci_state *s = m->state;
    const npu_tensor *x = &g->t[ti];
    if (s->aipp == NPU_DV_AIPP_CORE && x->kind == NPU_T_INPUT && x->ndim == 4 && g->ninputs &&
        g->inputs[0] == ti)
        return (int64_t)ceil((double)(x->dim[0] * x->dim[2] * x->dim[3]) * s->aipp_src_bpp);
    return npu_fp_layout_tensor(&dv_layout, g, ti);
}

/* Task descriptors: the SVP_NNN ResNet-50 OM of soc-facts.md §1.3 (pegasus_doc "DDR 小型化指南"
 * lines 233-254) keeps 100 KB (kernel) + 80 KB (user) of task nodes for its kernels; npusim
 * runs that network as 57 kernels on hi3519dv500, so 184,320 / 57 = 3,234 B per kernel launch
 * (fitted to that one figure), plus the model info's 12 KB. Layers fused into another
 * kernel (engine "none") launch nothing. */
int64_t npu_davinci_stored_task(const npu_model *m, const npu_program *p)
{
    (void)m;
    int64_t k = 0;
    for (int i = 0; i < p->nlayers; i++)
        k += !p->layers[i].engine || strcmp(p->layers[i].engine, "none") != 0;
    return 12 * 1024 + 3234 * k;
}
