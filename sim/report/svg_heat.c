/* svg_heat.c — the heatmap chart of svg.h (npu_svg_heatmap), beside svg.c so that neither file
 * passes 1,200 lines; it draws with svg.c's text and document helpers (svg_int.h).
 */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svg_int.h"

/* ---- heatmap ------------------------------------------------------------------------------- */
/* Colour of t in [0, 1] (0 = worst, pale yellow; 1 = best, dark blue). */
static void ramp(double t, int rgb[3])
{
    static const int stop[5][3] = {
        {253, 231, 37}, {94, 201, 98}, {33, 145, 140}, {59, 82, 139}, {68, 1, 84}};
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    double p = t * 4;
    int i = (int)p;
    if (i > 3)
        i = 3;
    double f = p - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(stop[i][c] + f * (stop[i + 1][c] - stop[i][c]));
}

int npu_svg_heatmap(const npu_svg_axes *ax, const char *zlabel, unsigned flags, int nx,
                    const char *const *xlabels, int ny, const char *const *ylabels,
                    const double *z, npu_strbuf *out, npu_err *err)
{
    static const npu_svg_axes none = {0};
    if (!ax)
        ax = &none;
    if (nx <= 0 || ny <= 0 || !z || !xlabels || !ylabels)
        return npu_err_set(err, NPU_EINVAL, "svg heatmap: empty grid (%d x %d)", nx, ny);
    if (nx > 400 || ny > 400)
        return npu_err_set(err, NPU_EINVAL, "svg heatmap: %d x %d cells is too many to read "
                                            "(at most 400 per axis)", nx, ny);
    int higher_better = (flags & NPU_SVG_HIGHER_BETTER) != 0;
    int per_row = (flags & NPU_SVG_BEST_PER_ROW) != 0;
    double lo = INFINITY, hi = -INFINITY;
    int best = -1;
    for (int i = 0; i < nx * ny; i++) {
        if (!isfinite(z[i]))
            continue;
        lo = fmin(lo, z[i]);
        hi = fmax(hi, z[i]);
        if (best < 0 || (higher_better ? z[i] > z[best] : z[i] < z[best]))
            best = i;
    }
    int logc = best >= 0 && lo > 0 && hi > 100 * lo;
    double ylw = 0, xlw = 0;
    for (int j = 0; j < ny; j++)
        ylw = fmax(ylw, npu_svgi_text_w(ylabels[j], 12));
    for (int i = 0; i < nx; i++)
        xlw = fmax(xlw, npu_svgi_text_w(xlabels[i], 12));
    ylw = fmin(ylw, 30 * 12 * NPU_SVG_CHAR_W);
    double cw = fmax(56, fmin(110, 640.0 / nx)), ch = 30;
    if (xlw + 8 > cw && xlw + 8 <= 110)
        cw = xlw + 8; /* widen the cells a little rather than rotate */
    int rot = xlw + 6 > cw; /* rotate column labels that do not fit */
    /* a label rotated by 45 degrees reaches 0.71 of its length down and to the left */
    double rlen = 0.72 * fmin(xlw, 30 * 12 * NPU_SVG_CHAR_W);
    double x0 = fmax(ylw + 80, rot ? rlen + 10 : 0), y0 = 70, x1 = x0 + cw * nx,
           y1 = y0 + ch * ny;
    double below = rot ? rlen + 30 : 24;
    double W = x1 + 140, H = y1 + below + 40;
    if (W < 520)
        W = 520;
    const char *title = ax->title && *ax->title ? ax->title : "Heatmap";
    npu_svgi_doc_begin(out, W, H, title);
    char sub[160];
    snprintf(sub, sizeof sub, "darker is better (%s)%s; the best cell %sis outlined",
             higher_better ? "higher" : "lower", logc ? ", logarithmic colour scale" : "",
             per_row ? "of each row " : "");
    npu_svgi_title_block(out, 12, 24, title, sub);
    char buf[48];
    for (int j = 0; j < ny; j++) {
        for (int i = 0; i < nx; i++) {
            double v = z[j * nx + i];
            double x = x0 + cw * i, y = y0 + ch * j;
            if (!isfinite(v)) {
                npu_sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                   "fill=\"#dddddd\" stroke=\"#ffffff\"/>\n",
                              x, y, cw, ch);
                npu_svgi_text(out, x + cw / 2, y + ch / 2 + 4, "middle", "fill=\"#666666\"", "-", 0);
                continue;
            }
            double t = hi > lo ? (v - lo) / (hi - lo) : 1;
            if (logc)
                t = (log(v) - log(lo)) / (log(hi) - log(lo));
            if (!higher_better)
                t = 1 - t;
            int c[3];
            ramp(t, c);
            npu_sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                               "fill=\"#%02x%02x%02x\" stroke=\"#ffffff\"><title>",
                          x, y, cw, ch, c[0], c[1], c[2]);
            npu_svgi_esc(out, ax->xlabel && *ax->xlabel ? ax->xlabel : "x");
            npu_sb_puts(out, " = ");
            npu_svgi_esc(out, xlabels[i]);
            npu_sb_puts(out, ", ");
            npu_svgi_esc(out, ax->ylabel && *ax->ylabel ? ax->ylabel : "y");
            npu_sb_puts(out, " = ");
            npu_svgi_esc(out, ylabels[j]);
            npu_sb_puts(out, ": ");
            npu_svgi_esc(out, zlabel && *zlabel ? zlabel : "value");
            npu_sb_printf(out, " = %.6g</title></rect>\n", v);
            double lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            npu_svgi_fmt_si(buf, sizeof buf, v);
            npu_svgi_text(out, x + cw / 2, y + ch / 2 + 4, "middle",
                 lum < 128 ? "fill=\"#ffffff\"" : "fill=\"#000000\"", buf, 0);
        }
    }
    for (int j = 0; j < ny; j++) {
        int b = -1;
        if (per_row) {
            for (int i = 0; i < nx; i++) {
                double v = z[j * nx + i];
                if (isfinite(v) && (b < 0 || (higher_better ? v > z[b] : v < z[b])))
                    b = j * nx + i;
            }
        } else if (best >= 0 && best / nx == j) {
            b = best;
        }
        if (b >= 0)
            npu_sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                               "fill=\"none\" stroke=\"#D55E00\" stroke-width=\"3\"/>\n",
                          x0 + cw * (b % nx) + 1.5, y0 + ch * (b / nx) + 1.5, cw - 3, ch - 3);
    }
    /* axis labels */
    for (int j = 0; j < ny; j++)
        npu_svgi_text(out, x0 - 8, y0 + ch * j + ch / 2 + 4, "end", NULL, ylabels[j], 30);
    for (int i = 0; i < nx; i++) {
        double x = x0 + cw * i + cw / 2;
        if (rot) {
            npu_sb_printf(out, "<text transform=\"translate(%.1f,%.1f) rotate(-45)\" "
                               "text-anchor=\"end\">",
                          x + 4, y1 + 12);
            npu_svgi_esc_n(out, xlabels[i], 30);
            npu_sb_puts(out, "</text>\n");
        } else {
            npu_svgi_text(out, x, y1 + 16, "middle", NULL, xlabels[i], 30);
        }
    }
    if (ax->xlabel && *ax->xlabel)
        npu_svgi_text(out, (x0 + x1) / 2, y1 + below + 14, "middle", "font-weight=\"bold\"", ax->xlabel,
             80);
    if (ax->ylabel && *ax->ylabel) {
        npu_sb_printf(out, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" "
                           "text-anchor=\"middle\" font-weight=\"bold\">",
                      x0 - ylw - 24, (y0 + y1) / 2);
        npu_svgi_esc_n(out, ax->ylabel, 60);
        npu_sb_puts(out, "</text>\n");
    }
    /* colour bar: best at the top */
    double bx = x1 + 30, bh = fmin(200, fmax(ch * ny, 100)), bw2 = 16;
    for (int k = 0; k < 20; k++) {
        int c[3];
        ramp(1 - k / 19.0, c); /* the bar shows t from 1 (top) to 0 (bottom) */
        npu_sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.2f\" "
                           "fill=\"#%02x%02x%02x\"/>\n",
                      bx, y0 + bh * k / 20, bw2, bh / 20 + 0.3, c[0], c[1], c[2]);
    }
    npu_sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                       "stroke=\"#333333\"/>\n",
                  bx, y0, bw2, bh);
    if (best >= 0) {
        npu_svgi_fmt_si(buf, sizeof buf, higher_better ? hi : lo);
        npu_svgi_text(out, bx + bw2 + 4, y0 + 10, "start", "font-size=\"11\"", buf, 0);
        npu_svgi_fmt_si(buf, sizeof buf, higher_better ? lo : hi);
        npu_svgi_text(out, bx + bw2 + 4, y0 + bh, "start", "font-size=\"11\"", buf, 0);
        if (logc) {
            npu_svgi_fmt_si(buf, sizeof buf, sqrt(lo * hi)); /* the middle of a log scale */
            npu_svgi_text(out, bx + bw2 + 4, y0 + bh / 2 + 4, "start", "font-size=\"11\"", buf, 0);
            npu_svgi_text(out, bx, y0 + bh + 16, "start", "font-size=\"11\" fill=\"#444444\"",
                 "(log scale)", 0);
        }
    }
    npu_svgi_text(out, bx, y0 - 8, "start", "font-size=\"11\" font-weight=\"bold\"",
         zlabel && *zlabel ? zlabel : "value", 18);
    npu_svgi_doc_end(out);
    return npu_svgi_finish(out, err);
}
