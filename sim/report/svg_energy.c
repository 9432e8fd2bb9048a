/* svg_energy.c — the energy charts of svg.h (prefix npu_svg_): per-layer stacked energy bars of
 * a result, and the energy–latency scatter of a sweep with its Pareto front. Drawn with the
 * helpers of svg.c (svg_int.h), on the conventions of the per-layer time chart (docs/plots.md).
 *
 * Choices:
 * - The energy bars are horizontal like the time bars (names read whole, any number of
 *   layers), in µJ, the unit of the energy report; the same cap (the 150 layers with the most
 *   energy, a last row for the rest).
 * - Class colours (Okabe–Ito): MAC blue and host grey as compute and host in the time chart;
 *   DRAM orange as the memory stall; control vermillion as the control stall; buffers sky blue
 *   (on-chip data, next to the MACs); static yellow (the only class that is not an action).
 *   Simulated for protanopia, deuteranopia and tritanopia (Machado et al. 2009, full
 *   severity) the six stay at least 17 CIELAB ΔE apart (DRAM vs static, deuteranopia);
 *   bluish green for static gave 11.9 (against host grey).
 * - Pareto: lower is better on both axes (latency, energy). A design is on the front when no
 *   other is at least as good on both and strictly better on one; equal designs are all on it
 *   (neither beats the other). The front is joined by a step line (the best energy reachable
 *   within each latency), its points outlined in black and drawn larger.
 */
#include "svg.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg_int.h"
#include "tab.h"

typedef npu_svgi_scale scale;

/* ---- per-layer energy bars ---------------------------------------------------------------- */
#define NCLS 6
static const char *const cls_name[NCLS] = {"MAC", "buffers", "DRAM", "control", "host", "static"};
static const char *const cls_color[NCLS] = {"#0072B2", "#56B4E9", "#E69F00",
                                            "#D55E00", "#999999", "#F0E442"};

/* The layer's six energy classes in µJ (negative or non-finite: 0); returns their sum. */
static double layer_energy(const npu_layer_row *L, double e[NCLS])
{
    double v[NCLS] = {L->e_mac_uj, L->e_buf_uj, L->e_dram_uj,
                      L->e_ctrl_uj, L->e_host_uj, L->e_static_uj};
    double sum = 0;
    for (int c = 0; c < NCLS; c++) {
        e[c] = isfinite(v[c]) && v[c] > 0 ? v[c] : 0;
        sum += e[c];
    }
    return sum;
}

int npu_svg_energy(const npu_result *r, const char *title, npu_strbuf *out, npu_err *err)
{
    if (!r || r->nlayers <= 0 || !r->layers)
        return npu_err_set(err, NPU_EINVAL, "svg energy: the result has no layers");
    int n = r->nlayers;
    double *tot = npu_malloc((size_t)n * sizeof *tot), e[NCLS], cls[NCLS] = {0}, all = 0, maxe = 0;
    char *keep = npu_malloc((size_t)n);
    if (!tot || !keep) {
        free(tot);
        free(keep);
        return npu_err_set(err, NPU_ENOMEM, "svg: out of memory");
    }
    for (int i = 0; i < n; i++) {
        tot[i] = layer_energy(&r->layers[i], e);
        for (int c = 0; c < NCLS; c++)
            cls[c] += e[c];
        all += tot[i];
        maxe = fmax(maxe, tot[i]);
    }
    if (!(all > 0)) {
        free(tot);
        free(keep);
        return npu_err_set(err, NPU_EINVAL,
                           "svg energy: no layer has energy (every e_*_uj is 0: the preset has "
                           "no energy.* tables; docs/energy.md)");
    }
    double rest = 0;
    int nrows = npu_svgi_pick_rows(tot, n, keep, &rest);
    char **names = nrows < 0 ? NULL
                             : npu_tab_short_mark(r->layers, sizeof *r->layers,
                                                  offsetof(npu_layer_row, name), n,
                                                  NPU_SVGI_NAME_CHARS, "\xE2\x80\xA6");
    free(tot);
    if (!names) {
        free(keep);
        return npu_err_set(err, NPU_ENOMEM, "svg: out of memory");
    }
    char tb[256], sub[320], buf[64], b2[200];
    if (!title) {
        npu_svgi_default_title(tb, sizeof tb, r, "Per-layer energy: ");
        title = tb;
    }
    const char *what = r->total.unit && *r->total.unit ? r->total.unit : "inference";
    double tus = r->total.time_us;
    int len = snprintf(sub, sizeof sub, "%d layers, %.4g \xC2\xB5J per %s", n, all, what);
    if (isfinite(tus) && tus > 0)
        len += snprintf(sub + len, sizeof sub - (size_t)len, " in %.4g \xC2\xB5s (%.4g mW)", tus,
                        1000 * all / tus);
    snprintf(sub + len, sizeof sub - (size_t)len, "; static %.1f%%; bar = the layer's energy",
             100 * cls[NCLS - 1] / all);

    int maxch = 4, opch = 2;
    for (int i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        maxch = fmax(maxch, npu_svgi_nchars(names[i], 1 << 20));
        opch = fmax(opch, npu_svgi_nchars(r->layers[i].op, NPU_SVGI_OP_CHARS));
    }
    const double row = 16, font = 11;
    const double opw = opch * font * NPU_SVG_CHAR_W + 8;
    double lab = maxch * font * NPU_SVG_CHAR_W + opw + 12;
    double x0 = lab + 10, x1 = x0 + 640;
    int extra = nrows < n;
    double y0 = 110, y1 = y0 + row * (nrows + extra);
    double W = fmax(x1 + 110, 760), H = y1 + 60;

    npu_svgi_doc_begin(out, W, H, title);
    npu_svgi_title_block(out, 12, 24, title, sub);
    double lx = 12;
    for (int c = 0; c < NCLS; c++) {
        snprintf(b2, sizeof b2, "%s %.1f%%", cls_name[c], 100 * cls[c] / all);
        lx = npu_svgi_legend_item(out, lx, 66, cls_color[c], b2, 0);
    }
    scale xs = {0};
    npu_svgi_lin_domain(&xs, 0, maxe, 8, 1);
    xs.r0 = x0;
    xs.r1 = x1;
    double t[64];
    int nt = npu_svgi_ticks(&xs, t, 64, 8);
    npu_sb_puts(out, "<g font-size=\"11\">\n");
    for (int i = 0; i < nt; i++) { /* ticks on top and bottom (long charts scroll) */
        double x = npu_svgi_sc(&xs, t[i]);
        npu_svgi_line(out, x, y0, x, y1, "stroke=\"#e4e4e4\"");
        npu_svgi_fmt_si(buf, sizeof buf, t[i]);
        npu_svgi_text(out, x, y0 - 6, "middle", NULL, buf, 0);
        npu_svgi_text(out, x, y1 + 16, "middle", NULL, buf, 0);
    }
    npu_svgi_text(out, (x0 + x1) / 2, y1 + 34, "middle", NULL,
                  "energy of the layer, \xC2\xB5J (dynamic by action class + its static share)",
                  0);
    npu_sb_puts(out, "</g>\n<g font-size=\"11\">\n");
    int k_row = 0;
    for (int i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        const npu_layer_row *L = &r->layers[i];
        double y = y0 + row * k_row;
        npu_svgi_row_label(out, L, names[i], k_row++, y, row, W, lab - opw);
        double sum = layer_energy(L, e), x = x0;
        for (int c = 0; c < NCLS; c++) {
            if (!(e[c] > 0))
                continue;
            double w = npu_svgi_sc(&xs, e[c]) - x0;
            npu_sb_printf(out,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                          "fill=\"%s\"><title>",
                          x, y + 2.5, w, row - 5, cls_color[c]);
            npu_svgi_esc(out, L->name);
            npu_sb_printf(out, ": %s %.6g \xC2\xB5J (%.1f%%)</title></rect>\n", cls_name[c], e[c],
                          100 * e[c] / sum);
            x += w;
        }
        npu_svgi_fmt_si(buf, sizeof buf, sum);
        npu_sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333333\"><title>", x + 4,
                      y + row - 4);
        npu_svgi_esc(out, L->name);
        npu_sb_printf(out, ": %.6g \xC2\xB5J, %.1f%% of the run</title>%s \xC2\xB5J</text>\n", sum,
                      100 * sum / all, buf);
    }
    if (extra) {
        snprintf(b2, sizeof b2,
                 "\xE2\x80\xA6 %d more layers with less energy (%.1f%% of the run's) are not "
                 "drawn: the %d largest are; CSV/JSON have every layer",
                 n - nrows, 100 * rest / all, nrows);
        npu_svgi_text(out, x0 + 4, y0 + row * nrows + row - 4, "start",
                      "fill=\"#444444\" font-style=\"italic\"", b2, 0);
    }
    npu_sb_puts(out, "</g>\n");
    npu_svgi_line(out, x0, y0, x0, y1, "stroke=\"#333333\"");
    npu_svgi_doc_end(out);
    npu_tab_free_names(names, n);
    free(keep);
    return npu_svgi_finish(out, err);
}

/* ---- Pareto front ------------------------------------------------------------------------- */
typedef struct pidx {
    double x, y;
    int i;
} pidx;

static int pidx_cmp(const void *a, const void *b)
{
    const pidx *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    if (p->y != q->y)
        return p->y < q->y ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

/* Sorted by x then y, a point is on the front when its y is below every y before it, or equal
 * to the best point so far on both coordinates (a duplicate of a front point). */
int npu_svg_pareto_front(const double *x, const double *y, int n, char *front)
{
    if (n <= 0)
        return 0;
    pidx *p = npu_malloc((size_t)n * sizeof *p);
    if (!p)
        return -1;
    int m = 0;
    for (int i = 0; i < n; i++) {
        front[i] = 0;
        if (isfinite(x[i]) && isfinite(y[i]))
            p[m++] = (pidx){x[i], y[i], i};
    }
    qsort(p, (size_t)m, sizeof *p, pidx_cmp);
    int k = 0;
    double bx = INFINITY, by = INFINITY;
    for (int j = 0; j < m; j++)
        if (p[j].y < by || (p[j].y == by && p[j].x == bx)) {
            front[p[j].i] = 1;
            bx = p[j].x;
            by = p[j].y;
            k++;
        }
    free(p);
    return k;
}

/* The scale of one axis: logarithmic (as asked, or by npu_svg_auto_log) or linear. */
static int pareto_scale(scale *s, const double *v, int n, int log, double lo, double hi)
{
    if (log == NPU_SVG_LOG_AUTO)
        log = npu_svg_auto_log(v, n);
    if (log) {
        npu_svgi_log_domain(s, lo, hi);
    } else { /* designs, not amounts: fit the data, points clear of the frame */
        double pad = hi > lo ? 0.04 * (hi - lo) : 0;
        npu_svgi_lin_domain(s, lo - pad, hi + pad, 7, 0);
    }
    return log;
}

int npu_svg_pareto(const npu_svg_axes *ax_in, const npu_svg_design *d, int n,
                   const char *const *snames, int ns, npu_strbuf *out, npu_err *err)
{
    static const npu_svg_axes none = {0};
    const npu_svg_axes *ax = ax_in ? ax_in : &none;
    if (n <= 0 || !d)
        return npu_err_set(err, NPU_EINVAL, "svg pareto: no designs");
    if (ns < 1)
        ns = 1;
    double *v = npu_malloc((size_t)n * 2 * sizeof *v);
    char *front = npu_malloc((size_t)n);
    int *order = npu_malloc((size_t)n * sizeof *order);
    if (!v || !front || !order) {
        free(v);
        free(front);
        free(order);
        return npu_err_set(err, NPU_ENOMEM, "svg: out of memory");
    }
    double *vx = v, *vy = v + n, xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int npts = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        vx[i] = d[i].x;
        vy[i] = d[i].y;
        if (!isfinite(vx[i]) || !isfinite(vy[i])) {
            vx[i] = vy[i] = NAN;
            continue;
        }
        if ((ax->logx > 0 && vx[i] <= 0) || (ax->logy > 0 && vy[i] <= 0)) {
            rc = npu_err_set(err, NPU_EINVAL,
                             "svg pareto: a logarithmic axis needs values > 0 (design %d: %g, %g)",
                             i + 1, vx[i], vy[i]);
            goto done;
        }
        xlo = fmin(xlo, vx[i]);
        xhi = fmax(xhi, vx[i]);
        ylo = fmin(ylo, vy[i]);
        yhi = fmax(yhi, vy[i]);
        npts++;
    }
    if (!npts) {
        rc = npu_err_set(err, NPU_EINVAL, "svg pareto: no design with finite x and y");
        goto done;
    }
    int nf = npu_svg_pareto_front(vx, vy, n, front);
    if (nf < 0) {
        rc = npu_err_set(err, NPU_ENOMEM, "svg: out of memory");
        goto done;
    }
    /* the best design within the bound: least y, then least x, then first */
    double xb = ax->xbound > 0 && isfinite(ax->xbound) ? ax->xbound : 0;
    int best = -1;
    for (int i = 0; xb > 0 && i < n; i++)
        if (!isnan(vx[i]) && vx[i] <= xb &&
            (best < 0 || vy[i] < vy[best] || (vy[i] == vy[best] && vx[i] < vx[best])))
            best = i;
    if (xb > 0) { /* the bound inside the frame */
        xlo = fmin(xlo, xb);
        xhi = fmax(xhi, xb);
    }
    scale xs, ys;
    pareto_scale(&xs, vx, n, ax->logx, xlo, xhi);
    pareto_scale(&ys, vy, n, ax->logy, ylo, yhi);
    int series = ns > 1 || (snames && snames[0] && *snames[0]);
    double lw = 150;
    for (int k = 0; series && k < ns; k++)
        lw = fmax(lw, npu_svgi_text_w(snames && snames[k] ? snames[k] : "", 12) + 40);
    double x0 = 90, y0 = 80, x1 = x0 + 600, y1 = y0 + 420, W = x1 + fmin(lw, 300) + 16,
           H = y1 + 60;
    xs.r0 = x0;
    xs.r1 = x1;
    ys.r0 = y1;
    ys.r1 = y0;
    const char *title = ax->title && *ax->title ? ax->title : "Energy vs latency";
    const char *xl = ax->xlabel && *ax->xlabel ? ax->xlabel : "x";
    const char *yl = ax->ylabel && *ax->ylabel ? ax->ylabel : "y";
    char sub[200], b2[160];
    snprintf(sub, sizeof sub,
             "%d designs, %d on the Pareto front (no other is lower on both axes)%s%s", npts, nf,
             npts < n ? "; some without values are not drawn" : "",
             xb > 0 && best < 0 ? "; none within the bound" : "");
    npu_svgi_doc_begin(out, W, H, title);
    npu_svgi_title_block(out, 12, 24, title, sub);
    npu_svgi_axes(out, &xs, &ys, x0, y0, x1, y1, xl, yl);
    /* the front, by x: a step line (right along the old y, then down to the next point) */
    int m = 0;
    for (int i = 0; i < n; i++)
        if (front[i]) {
            int j = m++;
            while (j > 0 && (vx[order[j - 1]] > vx[i] ||
                             (vx[order[j - 1]] == vx[i] && vy[order[j - 1]] > vy[i]))) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
    npu_sb_puts(out, "<polyline fill=\"none\" stroke=\"#000000\" stroke-width=\"1.5\" points=\"");
    for (int j = 0; j < m; j++) {
        double px = npu_svgi_sc(&xs, vx[order[j]]), py = npu_svgi_sc(&ys, vy[order[j]]);
        if (j > 0)
            npu_sb_printf(out, " %.1f,%.1f", px, npu_svgi_sc(&ys, vy[order[j - 1]]));
        npu_sb_printf(out, "%s%.1f,%.1f", j ? " " : "", px, py);
    }
    npu_sb_puts(out, "\"/>\n");
    /* dominated designs first, the front on top */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            if (isnan(vx[i]) || front[i] != pass)
                continue;
            int k = d[i].series >= 0 && d[i].series < ns ? d[i].series : 0;
            npu_sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"%s><title>",
                          npu_svgi_sc(&xs, vx[i]), npu_svgi_sc(&ys, vy[i]), pass ? "5.5" : "4",
                          npu_svgi_pal[k % NPU_SVGI_NPAL],
                          pass ? " stroke=\"#000000\" stroke-width=\"1.5\""
                               : " fill-opacity=\"0.7\"");
            if (d[i].label)
                npu_svgi_esc(out, d[i].label);
            else
                npu_sb_printf(out, "design %d", i + 1);
            if (series && snames && snames[k]) {
                npu_sb_puts(out, " (");
                if (ax->legend && *ax->legend) {
                    npu_svgi_esc(out, ax->legend);
                    npu_sb_puts(out, " = ");
                }
                npu_svgi_esc(out, snames[k]);
                npu_sb_puts(out, ")");
            }
            npu_sb_puts(out, ": ");
            npu_svgi_esc(out, xl);
            npu_sb_printf(out, " = %.6g, ", vx[i]);
            npu_svgi_esc(out, yl);
            npu_sb_printf(out, " = %.6g%s</title></circle>\n", vy[i],
                          pass ? ", on the Pareto front" : ", dominated");
        }
    /* the bound and the best design within it */
    if (xb > 0) {
        double bx = npu_svgi_sc(&xs, xb);
        npu_svgi_line(out, bx, y0, bx, y1, "stroke=\"#c0392b\" stroke-width=\"1.5\" "
                                           "stroke-dasharray=\"6,4\"");
        snprintf(b2, sizeof b2, "bound %.4g", xb);
        npu_svgi_text(out, bx - 4, y0 + 14, "end", "fill=\"#c0392b\"", b2, 0);
    }
    if (best >= 0) {
        double px = npu_svgi_sc(&xs, vx[best]), py = npu_svgi_sc(&ys, vy[best]);
        npu_sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"10\" fill=\"none\" "
                           "stroke=\"#c0392b\" stroke-width=\"2.5\"/>\n", px, py);
        if (d[best].label)
            snprintf(b2, sizeof b2, "best within the bound: %s", d[best].label);
        else
            snprintf(b2, sizeof b2, "best within the bound: design %d", best + 1);
        bool left = px > (x0 + x1) / 2; /* the label on the roomier side */
        npu_svgi_text(out, left ? px - 14 : px + 14, py - 12, left ? "end" : "start",
                      "fill=\"#c0392b\"", b2, 0);
    }
    /* legend */
    double lx = x1 + 16, ly = y0 + 10;
    npu_svgi_line(out, lx, ly - 4, lx + 20, ly - 4, "stroke=\"#000000\" stroke-width=\"1.5\"");
    npu_sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5.5\" fill=\"#ffffff\" "
                       "stroke=\"#000000\" stroke-width=\"1.5\"/>\n",
                  lx + 10, ly - 4);
    snprintf(b2, sizeof b2, "Pareto front (%d)", nf);
    npu_svgi_text(out, lx + 26, ly, "start", NULL, b2, 0);
    ly += 30;
    if (xb > 0) {
        npu_svgi_line(out, lx, ly - 4, lx + 20, ly - 4, "stroke=\"#c0392b\" stroke-width=\"1.5\" "
                                                        "stroke-dasharray=\"6,4\"");
        npu_svgi_text(out, lx + 26, ly, "start", NULL, "bound on x", 0);
        ly += 22;
        npu_sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" "
                           "stroke=\"#c0392b\" stroke-width=\"2.5\"/>\n", lx + 10, ly - 4);
        npu_svgi_text(out, lx + 26, ly, "start", NULL, "best within it", 0);
        ly += 30;
    }
    if (series) {
        if (ax->legend && *ax->legend) {
            npu_svgi_text(out, lx, ly, "start", "font-weight=\"bold\"", ax->legend, 40);
            ly += 20;
        }
        for (int k = 0; k < ns && ly < H - 10; k++, ly += 18)
            npu_svgi_legend_item(out, lx, ly, npu_svgi_pal[k % NPU_SVGI_NPAL],
                                 snames && snames[k] ? snames[k] : "", 1);
    }
    npu_svgi_doc_end(out);
    rc = npu_svgi_finish(out, err);
done:
    free(v);
    free(front);
    free(order);
    return rc;
}
