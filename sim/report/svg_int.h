/* svg_int.h — the text and document helpers of svg.c that svg_heat.c draws with (prefix
 * npu_svgi_), internal to sim/report. See svg.c for what each promises. */
#ifndef NPU_SVG_INT_H
#define NPU_SVG_INT_H

#include "../core/ctx.h"
#include "../core/result.h"

#define NPU_SVG_CHAR_W 0.6 /* em per character (an estimate: svg.c's header says why) */
#define NPU_SVGI_NAME_CHARS 64 /* layer names up to this are drawn whole; longer: cut in the middle */
#define NPU_SVGI_OP_CHARS 14   /* the op column of the per-layer charts */
#define NPU_SVGI_MAX_ROWS 150  /* per-layer charts: at most this many bars (the largest) */
#define NPU_SVGI_NPAL 8
extern const char *const npu_svgi_pal[NPU_SVGI_NPAL]; /* Okabe–Ito */

/* Appends at most maxch characters of s escaped for XML (a cut string ends with an ellipsis;
 * maxch <= 0: no limit); npu_svgi_esc: no limit. */
void npu_svgi_esc_n(npu_strbuf *sb, const char *str, int maxch);
void npu_svgi_esc(npu_strbuf *sb, const char *s);
/* Estimated width of s at font size `font`. */
double npu_svgi_text_w(const char *s, double font);
/* 3 significant digits with k/M/G/T suffixes; integers below 10000 exactly. */
void npu_svgi_fmt_si(char *buf, size_t n, double v);
void npu_svgi_doc_begin(npu_strbuf *sb, double w, double h, const char *title);
void npu_svgi_doc_end(npu_strbuf *sb);
/* <text> with escaped content; anchor "start" | "middle" | "end". */
void npu_svgi_text(npu_strbuf *sb, double x, double y, const char *anchor, const char *extra,
                   const char *s, int maxch);
void npu_svgi_title_block(npu_strbuf *sb, double x, double y, const char *title, const char *sub);
/* Characters (code points) of s, capped at cap. */
int npu_svgi_nchars(const char *s, int cap);
void npu_svgi_line(npu_strbuf *sb, double x1, double y1, double x2, double y2, const char *style);
/* A legend entry (swatch, or a circle when marker) at x,y (baseline); returns the x after it. */
double npu_svgi_legend_item(npu_strbuf *sb, double x, double y, const char *color,
                            const char *lab, int marker);
/* Row k of a per-layer chart (top edge at `top`, height row, chart width W): a grey stripe on
 * odd rows, the (cut) name ending at x, the operator after it; the hover title has the full
 * name, index, operator and engine. */
void npu_svgi_row_label(npu_strbuf *out, const npu_layer_row *L, const char *name, int k,
                        double top, double row, double W, double x);
/* keep[i] = 1 for the rows a per-layer chart draws: all n, or the NPU_SVGI_MAX_ROWS with the
 * largest v (ties: first in order). Returns the count kept (-1: out of memory); *rest = the sum
 * of v over the rows left out. */
int npu_svgi_pick_rows(const double *v, int n, char *keep, double *rest);

/* "<what><graph> on <arch>" */
void npu_svgi_default_title(char *buf, size_t n, const npu_result *r, const char *what);

/* Scales: domain d0..d1 (log10 of it when log) onto pixels r0..r1. */
typedef struct npu_svgi_scale {
    double d0, d1;
    double r0, r1;
    int log;
} npu_svgi_scale;
double npu_svgi_sc(const npu_svgi_scale *s, double v);
/* Linear domain [lo, hi] widened to whole "nice" steps (zero: include 0). */
void npu_svgi_lin_domain(npu_svgi_scale *s, double lo, double hi, int want, int zero);
/* Log domain: whole decades around [lo, hi] (lo > 0). */
void npu_svgi_log_domain(npu_svgi_scale *s, double lo, double hi);
int npu_svgi_ticks(const npu_svgi_scale *s, double *t, int max, int want);
/* Plot frame with grid, ticks and axis labels; box x0..x1, y0 (top)..y1 (bottom). */
void npu_svgi_axes(npu_strbuf *sb, const npu_svgi_scale *xs, const npu_svgi_scale *ys, double x0,
                   double y0, double x1, double y1, const char *xlabel, const char *ylabel);

/* 0, or NPU_ENOMEM with err set when out ran out of memory. */
int npu_svgi_finish(npu_strbuf *out, npu_err *err);

#endif
