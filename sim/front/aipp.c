/* aipp.c — ATC's aipp_op text: tokenizer, field table, ATC's checks, the cost (aipp.h).
 *
 * The format is protobuf text: `aipp_op { key : value … }`, '#' comments. The ranges below are
 * those of ATC's AIPP configuration reference as the template file (aipp_conf.prototxt)
 * documents them; the research notes do not list them, so each is marked "ATC doc
 * (assumption: not in research)" in docs/deployment.md.
 */
#include "aipp.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_BOOL, K_INT, K_FLOAT, K_FMT, K_MODE, K_RANK };

typedef struct field {
    const char *name;
    int kind;
    size_t off;
    double lo, hi;
} field;

#define O(m) offsetof(npu_aipp, m)
static const field fields[] = {
    {"aipp_mode", K_MODE, 0, 0, 0},
    {"related_input_rank", K_RANK, 0, 0, 0},
    {"input_format", K_FMT, O(input_format), 0, 0},
    {"src_image_size_w", K_INT, O(src_w), 0, 4096},
    {"src_image_size_h", K_INT, O(src_h), 0, 4096},
    {"crop", K_BOOL, O(crop), 0, 0},
    {"load_start_pos_w", K_INT, O(start_w), 0, 4095},
    {"load_start_pos_h", K_INT, O(start_h), 0, 4095},
    {"crop_size_w", K_INT, O(crop_w), 0, 4096},
    {"crop_size_h", K_INT, O(crop_h), 0, 4096},
    {"resize", K_BOOL, O(resize), 0, 0},
    {"resize_output_w", K_INT, O(resize_w), 16, 1920},
    {"resize_output_h", K_INT, O(resize_h), 16, 4096},
    {"padding", K_BOOL, O(padding), 0, 0},
    {"left_padding_size", K_INT, O(pad_l), 0, 32},
    {"right_padding_size", K_INT, O(pad_r), 0, 32},
    {"top_padding_size", K_INT, O(pad_t), 0, 32},
    {"bottom_padding_size", K_INT, O(pad_b), 0, 32},
    {"csc_switch", K_BOOL, O(csc), 0, 0},
    {"rbuv_swap_switch", K_BOOL, O(rbuv_swap), 0, 0},
    {"ax_swap_switch", K_BOOL, O(ax_swap), 0, 0},
#define MX(r, c) {"matrix_r" #r "c" #c, K_INT, O(matrix[r][c]), -32768, 32767}
    MX(0, 0), MX(0, 1), MX(0, 2), MX(1, 0), MX(1, 1), MX(1, 2), MX(2, 0), MX(2, 1), MX(2, 2),
#undef MX
#define B3(p, m) {p "0", K_INT, O(m[0]), 0, 255}, {p "1", K_INT, O(m[1]), 0, 255}, \
                 {p "2", K_INT, O(m[2]), 0, 255}
    B3("input_bias_", in_bias), B3("output_bias_", out_bias),
#undef B3
#define C4(p, m, k, lo, hi) {p "0", k, O(m[0]), lo, hi}, {p "1", k, O(m[1]), lo, hi}, \
                            {p "2", k, O(m[2]), lo, hi}, {p "3", k, O(m[3]), lo, hi}
    C4("mean_chn_", mean, K_FLOAT, 0, 255), C4("min_chn_", min, K_FLOAT, 0, 255),
    C4("var_reci_chn_", var_reci, K_FLOAT, -65504, 65504),
#undef C4
    {NULL, 0, 0, 0, 0},
};
#undef O

static const char *const fmt_names[NPU_AIPP_NFMT] = {"YUV420SP_U8", "RGB888_U8", "XRGB8888_U8",
                                                     "YUV400_U8"};
/* source bytes per pixel and channels the format gives the model */
static const double fmt_bpp[NPU_AIPP_NFMT] = {1.5, 3, 4, 1};
static const int fmt_chn[NPU_AIPP_NFMT] = {3, 3, 3, 1};

typedef struct lexer {
    const char *path, *s, *end;
    int line;
    char tok[128];
    int tline;
} lexer;

/* The next token: a word (letters, digits, _ . + -), ':', '{' or '}'; "" at the end. */
static int next(lexer *x, npu_err *err)
{
    for (;;) {
        while (x->s < x->end && isspace((unsigned char)*x->s)) {
            x->line += *x->s == '\n';
            x->s++;
        }
        if (x->s < x->end && *x->s == '#') {
            while (x->s < x->end && *x->s != '\n')
                x->s++;
            continue;
        }
        break;
    }
    x->tline = x->line;
    size_t n = 0;
    if (x->s >= x->end) {
        x->tok[0] = 0;
        return 0;
    }
    if (*x->s && strchr(":{}", *x->s)) { /* a NUL byte is no token (strchr finds the end) */
        x->tok[0] = *x->s++;
        x->tok[1] = 0;
        return 0;
    }
    while (x->s < x->end && *x->s && (isalnum((unsigned char)*x->s) || strchr("_.+-", *x->s))) {
        if (n + 1 >= sizeof x->tok)
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: token too long", x->path, x->line);
        x->tok[n++] = *x->s++;
    }
    if (!n) {
        unsigned char c = (unsigned char)*x->s;
        return npu_err_set(err, NPU_EFORMAT,
                           c > 0x20 && c < 0x7F ? "%s:%d: unexpected character '%c'"
                                                : "%s:%d: unexpected byte 0x%02X",
                           x->path, x->line, c);
    }
    x->tok[n] = 0;
    return 0;
}

static int set_field(lexer *x, const field *f, npu_aipp *a, npu_err *err)
{
    const char *v = x->tok;
    char *e;
    errno = 0;
    switch (f->kind) {
    case K_BOOL:
        if (strcmp(v, "true") && strcmp(v, "false"))
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: %s takes true or false, not '%s'",
                               x->path, x->tline, f->name, v);
        *(bool *)((char *)a + f->off) = v[0] == 't';
        return 0;
    case K_MODE:
        if (!strcmp(v, "static"))
            return 0;
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "%s:%d: aipp_mode '%s': npusim models static AIPP only (dynamic AIPP "
                           "takes its parameters per batch at run time)",
                           x->path, x->tline, v);
    case K_RANK:
        if (!strcmp(v, "0"))
            return 0;
        return npu_err_set(err, NPU_EUNSUPPORTED,
                           "%s:%d: related_input_rank %s: npusim applies AIPP to the first model "
                           "input (rank 0) only",
                           x->path, x->tline, v);
    case K_FMT:
        for (int k = 0; k < NPU_AIPP_NFMT; k++)
            if (!strcmp(v, fmt_names[k])) {
                a->input_format = (npu_aipp_fmt)k;
                return 0;
            }
        return npu_err_set(err, NPU_EFORMAT,
                           "%s:%d: input_format '%s' unknown (YUV420SP_U8, RGB888_U8, "
                           "XRGB8888_U8, YUV400_U8)",
                           x->path, x->tline, v);
    default:
        break;
    }
    double d = strtod(v, &e);
    if (*e || e == v || errno || !isfinite(d))
        return npu_err_set(err, NPU_EFORMAT, "%s:%d: %s: '%s' is not a number", x->path, x->tline,
                           f->name, v);
    if (f->kind == K_INT && d != floor(d))
        return npu_err_set(err, NPU_EFORMAT, "%s:%d: %s takes an integer, not %s", x->path,
                           x->tline, f->name, v);
    if (d < f->lo || d > f->hi)
        return npu_err_set(err, NPU_EFORMAT, "%s:%d: %s = %s is outside ATC's range [%g, %g]",
                           x->path, x->tline, f->name, v, f->lo, f->hi);
    if (f->kind == K_INT)
        *(int64_t *)((char *)a + f->off) = (int64_t)d;
    else
        *(double *)((char *)a + f->off) = d;
    return 0;
}

/* whether field `name` was set */
static bool given(const npu_aipp *a, const char *name)
{
    for (int i = 0; fields[i].name; i++)
        if (!strcmp(fields[i].name, name))
            return a->lines[i] != 0;
    return false;
}

int npu_aipp_parse(const char *path, const char *text, size_t len, npu_aipp *a, npu_err *err)
{
    memset(a, 0, sizeof *a);
    a->path = path;
    for (int c = 0; c < 4; c++)
        a->var_reci[c] = 1.0;
    lexer x = {path, text, text + len, 1, "", 1};
    int blocks = 0;
    if (next(&x, err))
        return -1;
    while (x.tok[0]) {
        if (strcmp(x.tok, "aipp_op"))
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: expected 'aipp_op {', found '%s'", path,
                               x.tline, x.tok);
        if (blocks++)
            return npu_err_set(err, NPU_EUNSUPPORTED,
                               "%s:%d: a second aipp_op: npusim applies AIPP to the first model "
                               "input only",
                               path, x.tline);
        a->line = x.tline;
        if (next(&x, err))
            return -1;
        if (strcmp(x.tok, "{"))
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: expected '{' after aipp_op", path,
                               x.tline);
        for (;;) {
            if (next(&x, err))
                return -1;
            if (!strcmp(x.tok, "}"))
                break;
            if (!x.tok[0])
                return npu_err_set(err, NPU_EFORMAT, "%s:%d: aipp_op opened at line %d is not "
                                   "closed", path, x.tline, a->line);
            const field *f = fields;
            while (f->name && strcmp(f->name, x.tok))
                f++;
            if (!f->name)
                return npu_err_set(err, NPU_EFORMAT, "%s:%d: unknown AIPP field '%s'", path,
                                   x.tline, x.tok);
            int fi = (int)(f - fields);
            if (a->lines[fi])
                return npu_err_set(err, NPU_EFORMAT, "%s:%d: %s set twice (first at line %d)",
                                   path, x.tline, f->name, a->lines[fi]);
            a->lines[fi] = x.tline;
            if (next(&x, err))
                return -1;
            if (strcmp(x.tok, ":"))
                return npu_err_set(err, NPU_EFORMAT, "%s:%d: expected ':' after %s", path,
                                   x.tline, f->name);
            if (next(&x, err))
                return -1;
            if (!x.tok[0] || strchr(":{}", x.tok[0]))
                return npu_err_set(err, NPU_EFORMAT, "%s:%d: %s has no value", path, x.tline,
                                   f->name);
            if (set_field(&x, f, a, err))
                return -1;
        }
        if (next(&x, err))
            return -1;
    }
    if (!blocks)
        return npu_err_set(err, NPU_EFORMAT, "%s:1: no aipp_op block", path);
    if (!given(a, "input_format"))
        return npu_err_set(err, NPU_EFORMAT, "%s:%d: aipp_op has no input_format (ATC requires "
                           "it for static AIPP)", path, a->line);
    return 0;
}

int npu_aipp_read(const char *path, npu_aipp *out, npu_err *err)
{
    /* through npu_read_file: a FIFO or a device is refused (a FIFO blocked here forever) */
    char *buf = NULL;
    size_t n = 0;
    if (npu_read_file_max(path, 65536, &buf, &n, err))
        return err ? err->code : NPU_EIO;
    int rc = npu_aipp_parse(path, buf, n, out, err);
    free(buf);
    return rc;
}

/* line of field `name` (for messages), else the block's */
static int line_of(const npu_aipp *a, const char *name)
{
    for (int i = 0; fields[i].name; i++)
        if (!strcmp(fields[i].name, name) && a->lines[i])
            return a->lines[i];
    return a->line;
}

int npu_aipp_cost_of(const npu_aipp *a, const npu_graph *g, bool resize_ok, npu_aipp_cost *out,
                     npu_err *err)
{
    memset(out, 0, sizeof *out);
    const char *P = a->path;
    if (g->ninputs < 1 || g->t[g->inputs[0]].ndim != 4)
        return npu_err_set(err, NPU_EINVAL, "%s: AIPP needs a model whose first input is an "
                           "NCHW image; %s's is not", P, g->name);
    const npu_tensor *in = &g->t[g->inputs[0]];
    int64_t mc = in->dim[1], mh = in->dim[2], mw = in->dim[3];
    int fmt = a->input_format;
    bool yuv420 = fmt == NPU_AIPP_YUV420SP_U8;
    /* the source frame: 0 means the model's input size (before padding) */
    int64_t sw = a->src_w ? a->src_w : mw, sh = a->src_h ? a->src_h : mh;
    if (yuv420 && (sw % 2 || sh % 2))
        return npu_err_set(err, NPU_EINVAL, "%s:%d: YUV420SP_U8 needs an even src_image_size "
                           "(%lldx%lld)", P, line_of(a, "src_image_size_w"), (long long)sw,
                           (long long)sh);
    int64_t padw = a->padding ? a->pad_l + a->pad_r : 0, padh = a->padding ? a->pad_t + a->pad_b : 0;
    /* crop window (0: the model's size less padding, or the source frame) */
    int64_t cw = sw, ch = sh;
    if (a->crop) {
        cw = a->crop_w ? a->crop_w : (a->resize ? sw - a->start_w : mw - padw);
        ch = a->crop_h ? a->crop_h : (a->resize ? sh - a->start_h : mh - padh);
        if (a->start_w + cw > sw || a->start_h + ch > sh || cw <= 0 || ch <= 0)
            return npu_err_set(err, NPU_EINVAL,
                               "%s:%d: crop window %lldx%lld at (%lld, %lld) lies outside the "
                               "%lldx%lld source image",
                               P, line_of(a, given(a, "crop_size_w") ? "crop_size_w" : "crop"), (long long)cw,
                               (long long)ch, (long long)a->start_w, (long long)a->start_h,
                               (long long)sw, (long long)sh);
        if (yuv420 && (a->start_w % 2 || a->start_h % 2))
            return npu_err_set(err, NPU_EINVAL, "%s:%d: YUV420SP_U8 crops start at even "
                               "positions (chroma is subsampled 2x2)", P,
                               line_of(a, "load_start_pos_w"));
    } else if (given(a, "load_start_pos_w") || given(a, "load_start_pos_h") ||
               given(a, "crop_size_w") || given(a, "crop_size_h")) {
        return npu_err_set(err, NPU_EINVAL, "%s:%d: crop window fields given but crop is not "
                           "true", P, line_of(a, "crop"));
    }
    int64_t ow = cw, oh = ch;
    if (a->resize) {
        if (!resize_ok)
            return npu_err_set(err, NPU_EUNSUPPORTED, "%s:%d: this SoC's AIPP has no resize "
                               "(Ascend 310: research/davinci.md §5); resize on the host or DVPP",
                               P, line_of(a, "resize"));
        if (!a->resize_w || !a->resize_h)
            return npu_err_set(err, NPU_EINVAL, "%s:%d: resize needs resize_output_w and "
                               "resize_output_h", P, line_of(a, "resize"));
        if (a->resize_w * 16 < cw || a->resize_w > cw * 16 || a->resize_h * 16 < ch ||
            a->resize_h > ch * 16)
            return npu_err_set(err, NPU_EINVAL, "%s:%d: resize %lldx%lld -> %lldx%lld: the "
                               "scale must stay within [1/16, 16]", P,
                               line_of(a, "resize_output_w"), (long long)cw, (long long)ch,
                               (long long)a->resize_w, (long long)a->resize_h);
        ow = a->resize_w;
        oh = a->resize_h;
    } else if (given(a, "resize_output_w") || given(a, "resize_output_h")) {
        return npu_err_set(err, NPU_EINVAL, "%s:%d: resize_output fields given but resize is "
                           "not true", P, line_of(a, "resize"));
    }
    ow += padw;
    oh += padh;
    if (ow != mw || oh != mh)
        return npu_err_set(err, NPU_EINVAL,
                           "%s:%d: AIPP produces %lldx%lld (W x H: %s%s%s) but the model input "
                           "%s is %lldx%lld",
                           P, a->line, (long long)ow, (long long)oh,
                           a->crop ? "crop" : "source", a->resize ? ", resize" : "",
                           a->padding ? ", padding" : "", in->name, (long long)mw, (long long)mh);
    if (mc != fmt_chn[fmt])
        return npu_err_set(err, NPU_EINVAL, "%s:%d: input_format %s gives %d channel%s but the "
                           "model input %s has %lld", P, line_of(a, "input_format"),
                           fmt_names[fmt], fmt_chn[fmt], fmt_chn[fmt] > 1 ? "s" : "", in->name,
                           (long long)mc);
    if (a->csc && fmt == NPU_AIPP_YUV400_U8)
        return npu_err_set(err, NPU_EINVAL, "%s:%d: csc_switch on YUV400_U8: a grey frame has "
                           "no colour to convert", P, line_of(a, "csc_switch"));
    if (a->ax_swap && fmt != NPU_AIPP_XRGB8888_U8)
        return npu_err_set(err, NPU_EINVAL, "%s:%d: ax_swap_switch moves the alpha byte of "
                           "XRGB8888_U8; %s has none", P, line_of(a, "ax_swap_switch"),
                           fmt_names[fmt]);
    if (a->rbuv_swap && fmt == NPU_AIPP_YUV400_U8)
        return npu_err_set(err, NPU_EINVAL, "%s:%d: rbuv_swap_switch on YUV400_U8: one "
                           "channel, nothing to swap", P, line_of(a, "rbuv_swap_switch"));
    out->out_w = ow;
    out->out_h = oh;
    out->src_bytes = (int64_t)ceil((double)(cw * ch) * fmt_bpp[fmt]);
    out->src_bpp = (double)out->src_bytes / (double)(ow * oh);
    /* host element ops per output element (assumption: one per scalar step of the order
     * crop → pad → resize → CSC → swap → normalise of research §5): the u8 → fp16 store 1,
     * CSC 3 multiply-adds + bias + clamp 5, normalisation (x − mean − min) × var_reci 3,
     * bilinear resize 4 taps 8; crop, padding and the swaps only change addresses. */
    bool norm = false;
    for (int c = 0; c < 4; c++)
        norm |= a->mean[c] != 0 || a->min[c] != 0 || a->var_reci[c] != 1.0;
    out->cpu_ops = 1 + (a->csc ? 5 : 0) + (norm ? 3 : 0) + (a->resize ? 8 : 0);
    return 0;
}
