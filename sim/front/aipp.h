/* aipp.h — ATC's static AIPP configuration (the `aipp_op { … }` text of atc --insert_op_conf)
 * and what it costs (prefix npu_aipp_).
 *
 * AIPP (research/davinci.md §5) converts the camera frame into the model's input inside the
 * AI Core's first load (load_image_to_cbuf, an MTE2 transfer): crop, resize (newer SoCs), pad,
 * colour-space conversion (3×3 matrix + biases), R/B or U/V swap, alpha swap, then
 * (x − mean − min) × var_reci per channel. npusim reads the config, refuses what ATC refuses,
 * and turns it into the two figures the davinci model prices: the source bytes the first load
 * reads per model-input pixel (aipp_src_bpp) and the CPU element operations per output element
 * when the preprocessing runs on the host (aipp=cpu; aipp_cpu_ops). docs/deployment.md.
 */
#ifndef NPU_FRONT_AIPP_H
#define NPU_FRONT_AIPP_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/ctx.h"
#include "../core/graph.h"

typedef enum npu_aipp_fmt {
    NPU_AIPP_YUV420SP_U8 = 0,
    NPU_AIPP_RGB888_U8,
    NPU_AIPP_XRGB8888_U8,
    NPU_AIPP_YUV400_U8,
    NPU_AIPP_NFMT
} npu_aipp_fmt;

typedef struct npu_aipp {
    const char *path;
    npu_aipp_fmt input_format;
    int64_t src_w, src_h;                 /* src_image_size_w/h (0: the model's input size) */
    bool crop;
    int64_t start_w, start_h, crop_w, crop_h; /* load_start_pos_*, crop_size_* (0: model's) */
    bool resize;
    int64_t resize_w, resize_h;           /* resize_output_w/h                              */
    bool padding;
    int64_t pad_l, pad_r, pad_t, pad_b;   /* left/right/top/bottom_padding_size             */
    bool csc;
    int64_t matrix[3][3];                 /* matrix_r<r>c<c>                                */
    int64_t in_bias[3], out_bias[3];      /* input_bias_<i>, output_bias_<i>                */
    bool rbuv_swap, ax_swap;
    double mean[4], min[4], var_reci[4];  /* mean_chn_<i>, min_chn_<i>, var_reci_chn_<i>    */
    int line;                             /* line of the aipp_op block                      */
    int lines[64];                        /* line of each field set (npu_aipp_field order)  */
} npu_aipp;

/* Parses `text` (len bytes) of file `path`; errors name path:line. 0 or an error. */
int npu_aipp_parse(const char *path, const char *text, size_t len, npu_aipp *out, npu_err *err);
/* Reads and parses a file. */
int npu_aipp_read(const char *path, npu_aipp *out, npu_err *err);

/* What the configuration costs on a graph whose first input is NCHW (C, H, W): the checks ATC
 * makes against the model (output size and channels), then the figures. `resize_ok`: the SoC's
 * AIPP has a resize unit (not Ascend 310's: research/davinci.md §5). */
typedef struct npu_aipp_cost {
    int64_t src_bytes;    /* bytes the first load reads (the crop window or the whole frame)  */
    int64_t out_w, out_h; /* the image AIPP produces = the model input                        */
    double src_bpp;       /* src_bytes / (out_w × out_h): davinci aipp_src_bpp               */
    double cpu_ops;       /* element ops per output element on a CPU: davinci aipp_cpu_ops   */
} npu_aipp_cost;
int npu_aipp_cost_of(const npu_aipp *a, const npu_graph *g, bool resize_ok, npu_aipp_cost *out,
                     npu_err *err);

#endif
