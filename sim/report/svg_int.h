/* svg_int.h — the text and document helpers of svg.c that svg_heat.c draws with (prefix
 * npu_svgi_), internal to sim/report. See svg.c for what each promises. */
#ifndef NPU_SVG_INT_H
#define NPU_SVG_INT_H

#include "../core/ctx.h"

#define NPU_SVG_CHAR_W 0.6 /* em per character (an estimate: svg.c's header says why) */

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
/* 0, or NPU_ENOMEM with err set when out ran out of memory. */
int npu_svgi_finish(npu_strbuf *out, npu_err *err);

#endif
