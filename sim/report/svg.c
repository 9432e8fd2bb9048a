/* svg.c — self-contained SVG charts (prefix npu_svg_). See svg.h for the contract.
 *
 * Choices (the design is silent on them; docs/plots.md repeats them for users):
 * - Text width is estimated, not measured (no font metrics without a font file): 0.6 em per
 *   character for the generic sans-serif at the sizes used, which over-estimates common fonts
 *   (DejaVu Sans averages ~0.55 em), so labels never overlap, they only leave some space.
 *   Layer names are drawn whole up to 64 characters; longer ones are cut in the middle (the
 *   head and the tail that tells "blocks.3.attn.q_proj" from "blocks.4…" stay, and names that
 *   would cut alike stay distinct, as in the tables); the hover title has all of it.
 * - The per-layer chart is horizontal (one 16-pixel row per layer), in µs at the result's
 *   clock. Beyond 150 layers it draws the 150 with the largest shares (in layer order) and
 *   says in a last row how many were left out and what part of the run they are: a
 *   1,000-layer chart 16,000 pixels tall is not read, and the CSV has every layer.
 * - Colours: the Okabe–Ito palette (readable with the common colour-vision deficiencies).
 * - Coordinates are printed with one decimal ("%.1f"): deterministic and small files.
 * - The heatmap (svg_heat.c) colour scale runs from pale yellow (worst) to dark blue (best) through five
 *   fixed stops (viridis-like); value text is black or white by the cell's luminance.
 */
#include "report.h"
#include "svg.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg_int.h"
#include "tab.h"

typedef npu_svgi_scale scale;

/* Okabe–Ito */
const char *const npu_svgi_pal[NPU_SVGI_NPAL] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                  "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
#define NPAL NPU_SVGI_NPAL
#define pal npu_svgi_pal
#define C_COMPUTE "#0072B2"
#define C_MEMORY "#E69F00"
#define C_CONTROL "#D55E00"
#define C_HOST "#999999"

/* ---- text -------------------------------------------------------------------------------- */
/* Length of a valid UTF-8 sequence starting at s (1..4), or 0 if invalid (the report's
 * decoder; s is NUL-terminated and a NUL is never a continuation byte, so 4 bytes are safe to
 * look at), and 0 for U+FFFE/FFFF, which are not XML characters. */
static int utf8_len(const unsigned char *s)
{
    int n = npu_rep_utf8_len(s, 4);
    if (n == 3 && s[0] == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
        return 0;
    return n;
}

/* Appends at most maxch characters of s, escaped for XML text and attribute values; a cut string
 * ends with an ellipsis. maxch <= 0: no limit. */
void npu_svgi_esc_n(npu_strbuf *sb, const char *str, int maxch)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    int nch = 0;
    while (*s) {
        if (maxch > 0 && nch == maxch - 1) {
            /* one more character fits: the last one, or the ellipsis if more follow */
            int l = utf8_len(s);
            if (l && !s[l]) {
                /* fall through: exactly one left */
            } else {
                npu_sb_puts(sb, "\xE2\x80\xA6");
                return;
            }
        }
        int l = utf8_len(s);
        if (l == 0 || (l == 1 && *s < 0x20)) {
            npu_sb_putc(sb, '?');
            s++;
        } else if (l > 1) {
            npu_sb_putn(sb, (const char *)s, (size_t)l);
            s += l;
        } else {
            switch (*s) {
            case '&': npu_sb_puts(sb, "&amp;"); break;
            case '<': npu_sb_puts(sb, "&lt;"); break;
            case '>': npu_sb_puts(sb, "&gt;"); break;
            case '"': npu_sb_puts(sb, "&quot;"); break;
            case '\'': npu_sb_puts(sb, "&#39;"); break;
            default: npu_sb_putc(sb, (char)*s);
            }
            s++;
        }
        nch++;
    }
}

void npu_svgi_esc(npu_strbuf *sb, const char *s) { npu_svgi_esc_n(sb, s, 0); }

/* Characters of s (code points), capped at cap. */
int npu_svgi_nchars(const char *str, int cap)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    int n = 0;
    while (*s && n < cap) {
        int l = utf8_len(s);
        s += l ? l : 1;
        n++;
    }
    return n;
}

double npu_svgi_text_w(const char *s, double font) { return npu_svgi_nchars(s, 1 << 20) * font * NPU_SVG_CHAR_W; }

/* A number for people: 3 significant digits with k/M/G/T suffixes ("1.25M", "512", "0.031");
 * integers below 10000 exactly ("2048"). */
void npu_svgi_fmt_si(char *buf, size_t n, double v)
{
    static const char *const suf[] = {"", "k", "M", "G", "T", "P"};
    double a = fabs(v);
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "n/a" : v > 0 ? "inf" : "-inf");
        return;
    }
    if (a < 10000 && a >= 1000 && a == floor(a)) { /* 1024, 2048: exact, not "1.02k" */
        snprintf(buf, n, "%.0f", v);
        return;
    }
    if (a < 1000) {
        if (a == 0 || a >= 100 || a == floor(a))
            snprintf(buf, n, "%.0f", v);
        else if (a >= 10)
            snprintf(buf, n, "%.1f", v);
        else if (a >= 1)
            snprintf(buf, n, "%.2f", v);
        else
            snprintf(buf, n, "%.2g", v);
        return;
    }
    int k = 0;
    while (a >= 1000 && k < 5) {
        a /= 1000;
        v /= 1000;
        k++;
    }
    if (a >= 100)
        snprintf(buf, n, "%.0f%s", v, suf[k]);
    else if (a >= 10)
        snprintf(buf, n, "%.1f%s", v, suf[k]);
    else
        snprintf(buf, n, "%.2f%s", v, suf[k]);
    /* trim "1.50k" → "1.5k", "2.00M" → "2M" */
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = dot;
        while (*e && (*e == '.' || (*e >= '0' && *e <= '9')))
            e++;
        char *t = e;
        while (t > dot + 1 && t[-1] == '0')
            t--;
        if (t == dot + 1)
            t = dot;
        memmove(t, e, strlen(e) + 1);
    }
}

/* ---- document --------------------------------------------------------------------------- */
void npu_svgi_doc_begin(npu_strbuf *sb, double w, double h, const char *title)
{
    npu_sb_printf(sb,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
                  "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" "
                  "font-size=\"12\">\n<title>",
                  w, h, w, h);
    npu_svgi_esc(sb, title);
    npu_sb_printf(sb, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", w,
                  h);
}

void npu_svgi_doc_end(npu_strbuf *sb) { npu_sb_puts(sb, "</svg>\n"); }

/* <text> with escaped content. anchor: "start" | "middle" | "end". */
void npu_svgi_text(npu_strbuf *sb, double x, double y, const char *anchor, const char *extra,
                 const char *s, int maxch)
{
    npu_sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (anchor && strcmp(anchor, "start"))
        npu_sb_printf(sb, " text-anchor=\"%s\"", anchor);
    if (extra && *extra)
        npu_sb_printf(sb, " %s", extra);
    npu_sb_putc(sb, '>');
    npu_svgi_esc_n(sb, s, maxch);
    npu_sb_puts(sb, "</text>\n");
}

void npu_svgi_line(npu_strbuf *sb, double x1, double y1, double x2, double y2, const char *style)
{
    npu_sb_printf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", x1, y1, x2,
                  y2, style);
}

void npu_svgi_title_block(npu_strbuf *sb, double x, double y, const char *title, const char *sub)
{
    npu_svgi_text(sb, x, y, "start", "font-size=\"16\" font-weight=\"bold\"", title, 120);
    if (sub && *sub)
        npu_svgi_text(sb, x, y + 18, "start", "fill=\"#444444\"", sub, 160);
}

/* A legend entry (swatch + text) at x,y (baseline); returns the x after it. */
double npu_svgi_legend_item(npu_strbuf *sb, double x, double y, const char *color, const char *lab,
                          int marker)
{
    if (marker)
        npu_sb_printf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x + 6,
                      y - 4, color);
    else
        npu_sb_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n",
                      x, y - 9, color);
    npu_svgi_text(sb, x + 16, y, "start", NULL, lab, 60);
    return x + 16 + npu_svgi_text_w(lab, 12) + 18;
}

/* ---- scales ---------------------------------------------------------------------------- */
double npu_svgi_sc(const scale *s, double v)
{
    double t = s->log ? log10(v) : v;
    double den = s->d1 - s->d0;
    if (den == 0)
        return (s->r0 + s->r1) / 2;
    return s->r0 + (t - s->d0) / den * (s->r1 - s->r0);
}

/* A "nice" step (1, 2, 2.5, 5 × 10^k) for about `want` intervals over span. */
static double nice_step(double span, int want)
{
    if (!(span > 0))
        return 1;
    double raw = span / want, p = pow(10, floor(log10(raw))), f = raw / p;
    double m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return m * p;
}

/* Linear domain [lo, hi] widened to whole steps; lo=hi gets a unit around it. */
void npu_svgi_lin_domain(scale *s, double lo, double hi, int want, int zero)
{
    if (zero && lo > 0)
        lo = 0;
    if (zero && hi < 0)
        hi = 0;
    if (!(hi > lo)) {
        double d = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= d;
        hi += d;
        if (zero && lo < 0 && lo + d >= 0)
            lo = 0;
    }
    double st = nice_step(hi - lo, want);
    s->d0 = floor(lo / st + 1e-9) * st;
    s->d1 = ceil(hi / st - 1e-9) * st;
    if (s->d1 <= s->d0)
        s->d1 = s->d0 + st;
    s->log = 0;
}

/* Log domain: whole decades around [lo, hi] (lo > 0). */
void npu_svgi_log_domain(scale *s, double lo, double hi)
{
    s->d0 = floor(log10(lo) + 1e-9);
    s->d1 = ceil(log10(hi) - 1e-9);
    if (s->d1 <= s->d0)
        s->d1 = s->d0 + 1;
    s->log = 1;
}

/* Tick values of a scale into t[] (at most max); returns the count. Log scales tick each decade
 * (every 2nd/3rd when there are many) and, over at most two decades, also at 2 and 5. */
int npu_svgi_ticks(const scale *s, double *t, int max, int want)
{
    int n = 0;
    if (s->log) {
        int dec = (int)(s->d1 - s->d0);
        int every = dec > 12 ? 3 : dec > 8 ? 2 : 1;
        for (int e = (int)floor(s->d0); e <= (int)ceil(s->d1) && n < max; e++) {
            if ((e - (int)s->d0) % every == 0)
                t[n++] = pow(10, e);
            if (dec <= 2 && e < (int)s->d1) {
                if (n < max)
                    t[n++] = 2 * pow(10, e);
                if (n < max)
                    t[n++] = 5 * pow(10, e);
            }
        }
        return n;
    }
    double st = nice_step(s->d1 - s->d0, want);
    for (double v = s->d0; v <= s->d1 + st * 1e-6 && n < max; v += st)
        t[n++] = fabs(v) < st * 1e-9 ? 0 : v;
    return n;
}

/* Plot frame with grid, ticks and axis labels. Box: x0..x1, y0 (top)..y1 (bottom). */
void npu_svgi_axes(npu_strbuf *sb, const scale *xs, const scale *ys, double x0, double y0, double x1,
                 double y1, const char *xlabel, const char *ylabel)
{
    double t[64];
    char buf[48];
    npu_sb_puts(sb, "<g>\n");
    int n = npu_svgi_ticks(xs, t, 64, 8);
    for (int i = 0; i < n; i++) {
        double x = npu_svgi_sc(xs, t[i]);
        if (x < x0 - 0.5 || x > x1 + 0.5)
            continue;
        npu_svgi_line(sb, x, y0, x, y1, "stroke=\"#e4e4e4\"");
        npu_svgi_line(sb, x, y1, x, y1 + 5, "stroke=\"#333333\"");
        npu_svgi_fmt_si(buf, sizeof buf, t[i]);
        npu_svgi_text(sb, x, y1 + 18, "middle", NULL, buf, 0);
    }
    n = npu_svgi_ticks(ys, t, 64, 6);
    for (int i = 0; i < n; i++) {
        double y = npu_svgi_sc(ys, t[i]);
        if (y < y0 - 0.5 || y > y1 + 0.5)
            continue;
        npu_svgi_line(sb, x0, y, x1, y, "stroke=\"#e4e4e4\"");
        npu_svgi_line(sb, x0 - 5, y, x0, y, "stroke=\"#333333\"");
        npu_svgi_fmt_si(buf, sizeof buf, t[i]);
        npu_svgi_text(sb, x0 - 8, y + 4, "end", NULL, buf, 0);
    }
    npu_sb_printf(sb,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                  "stroke=\"#333333\"/>\n",
                  x0, y0, x1 - x0, y1 - y0);
    if (xlabel && *xlabel)
        npu_svgi_text(sb, (x0 + x1) / 2, y1 + 38, "middle", NULL, xlabel, 100);
    if (ylabel && *ylabel) {
        npu_sb_printf(sb, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" "
                          "text-anchor=\"middle\">",
                      x0 - 58, (y0 + y1) / 2);
        npu_svgi_esc_n(sb, ylabel, 80);
        npu_sb_puts(sb, "</text>\n");
    }
    npu_sb_puts(sb, "</g>\n");
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sweep axes: on a logarithmic x axis with at most 12 distinct x values (powers of two, say),
 * the x ticks are the values themselves; otherwise as npu_svgi_axes(). */
static void axes_x(npu_strbuf *sb, const scale *xs, const scale *ys, double x0, double y0,
                   double x1, double y1, const char *xlabel, const char *ylabel,
                   const npu_svg_series *s, int ns)
{
    double v[13];
    int nv = 0, many = 0;
    for (int k = 0; k < ns && !many; k++)
        for (int i = 0; i < s[k].n && !many; i++) {
            double x = s[k].x[i];
            if (!isfinite(x) || !isfinite(s[k].y[i]))
                continue;
            int seen = 0;
            for (int j = 0; j < nv && !seen; j++)
                seen = v[j] == x;
            if (!seen) {
                if (nv == 12)
                    many = 1;
                else
                    v[nv++] = x;
            }
        }
    if (!xs->log || many) {
        npu_svgi_axes(sb, xs, ys, x0, y0, x1, y1, xlabel, ylabel);
        return;
    }
    qsort(v, (size_t)nv, sizeof v[0], cmp_dbl);
    scale none = *xs;
    none.d0 = none.d1 = 0; /* no automatic x ticks: npu_svgi_sc() maps everything to the middle */
    none.log = 0;
    none.r0 = none.r1 = -1e9; /* off the plot, skipped */
    npu_svgi_axes(sb, &none, ys, x0, y0, x1, y1, xlabel, ylabel);
    char buf[48];
    for (int i = 0; i < nv; i++) {
        double x = npu_svgi_sc(xs, v[i]);
        npu_svgi_line(sb, x, y0, x, y1, "stroke=\"#e4e4e4\"");
        npu_svgi_line(sb, x, y1, x, y1 + 5, "stroke=\"#333333\"");
        npu_svgi_fmt_si(buf, sizeof buf, v[i]);
        npu_svgi_text(sb, x, y1 + 18, "middle", NULL, buf, 0);
    }
}

int npu_svgi_finish(npu_strbuf *out, npu_err *err)
{
    if (out->oom)
        return npu_err_set(err, NPU_ENOMEM, "svg: out of memory");
    return 0;
}

/* ---- kinds -------------------------------------------------------------------------------- */
static const char *const kind_names[] = {"layers", "roofline", "sweep",
                                         "heatmap", "energy", "pareto"};
#define NKINDS 6

int npu_svg_kind_parse(const char *s, npu_svg_kind *k)
{
    for (int i = 0; i < NKINDS; i++)
        if (s && !strcmp(s, kind_names[i])) {
            *k = (npu_svg_kind)i;
            return 0;
        }
    return -1;
}

const char *npu_svg_kind_name(npu_svg_kind k)
{
    return (unsigned)k < NKINDS ? kind_names[k] : "?";
}

int npu_svg_plot_arg(const char *arg, npu_svg_kind *kind, const char **path, npu_err *err)
{
    *kind = NPU_SVG_LAYERS;
    *path = arg;
    const char *colon = arg ? strchr(arg, ':') : NULL;
    if (colon) {
        char pre[16];
        size_t n = (size_t)(colon - arg);
        if (n < sizeof pre) {
            memcpy(pre, arg, n);
            pre[n] = 0;
            npu_svg_kind k;
            if (npu_svg_kind_parse(pre, &k) == 0) {
                if (k != NPU_SVG_LAYERS && k != NPU_SVG_ROOFLINE && k != NPU_SVG_ENERGY)
                    return npu_err_set(err, NPU_EINVAL,
                                       "--plot %s: a '%s' chart needs sweep data (use "
                                       "npusim.plot from a Lua script); from run: layers, "
                                       "roofline or energy",
                                       arg, pre);
                *kind = k;
                *path = colon + 1;
            } else {
                /* "rooflin:r.svg" drew the layer chart into a file of that name */
                static const char *const run_kinds[] = {"layers", "roofline", "energy", NULL};
                const char *dym = npu_did_you_mean(pre, run_kinds);
                if (dym)
                    return npu_err_set(err, NPU_EINVAL, "--plot %s: unknown chart '%s' (did "
                                       "you mean '%s'?)", arg, pre, dym);
            }
        }
    }
    if (!*path || !**path)
        return npu_err_set(err, NPU_EINVAL, "--plot: missing file name (--plot [layers:|roofline:|energy:]FILE.svg)");
    /* the chart is SVG whatever the name: "r.png" got SVG text without a word */
    const char *base = strrchr(*path, '/') ? strrchr(*path, '/') + 1 : *path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && !npu_streq_nocase(dot, ".svg"))
        return npu_err_set(err, NPU_EINVAL, "--plot %s: the chart is SVG; name the file "
                           "*.svg (there is no %s writer)", arg, dot);
    return 0;
}

/* ---- per-layer stacked bars ------------------------------------------------------------- */
void npu_svgi_default_title(char *buf, size_t n, const npu_result *r, const char *what)
{
    snprintf(buf, n, "%s%s on %s", what, r->graph ? r->graph : "graph", r->arch ? r->arch : "?");
}

typedef struct lshare {
    double v;
    int i;
} lshare;

static int lshare_cmp(const void *a, const void *b)
{
    const lshare *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int npu_svgi_pick_rows(const double *v, int n, char *keep, double *rest)
{
    *rest = 0;
    if (n <= NPU_SVGI_MAX_ROWS) {
        memset(keep, 1, (size_t)n);
        return n;
    }
    lshare *o = npu_malloc((size_t)n * sizeof *o);
    if (!o)
        return -1;
    for (int i = 0; i < n; i++)
        o[i] = (lshare){isfinite(v[i]) ? v[i] : 0, i};
    qsort(o, (size_t)n, sizeof *o, lshare_cmp);
    memset(keep, 0, (size_t)n);
    for (int k = 0; k < n; k++) {
        if (k < NPU_SVGI_MAX_ROWS)
            keep[o[k].i] = 1;
        else
            *rest += o[k].v;
    }
    free(o);
    return NPU_SVGI_MAX_ROWS;
}

void npu_svgi_row_label(npu_strbuf *out, const npu_layer_row *L, const char *name, int k,
                        double top, double row, double W, double x)
{
    double y = top + row - 4;
    if (k % 2)
        npu_sb_printf(out,
                      "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" "
                      "fill=\"#f4f4f4\"/>\n",
                      top, W, row);
    npu_sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"><title>", x, y);
    npu_svgi_esc(out, L->name);
    npu_sb_printf(out, " \xE2\x80\x94 #%lld ", (long long)L->index);
    npu_svgi_esc(out, L->op);
    npu_sb_puts(out, " on ");
    npu_svgi_esc(out, L->engine);
    npu_sb_puts(out, "</title>");
    npu_svgi_esc(out, name);
    npu_sb_puts(out, "</text>\n");
    npu_svgi_text(out, x + 5, y, "start", "fill=\"#777777\"", L->op, NPU_SVGI_OP_CHARS);
}

int npu_svg_layers(const npu_result *r, const char *title, npu_strbuf *out, npu_err *err)
{
    if (!r || r->nlayers <= 0 || !r->layers)
        return npu_err_set(err, NPU_EINVAL, "svg layers: the result has no layers");
    char tb[256], sub[256], buf[64], b2[160];
    if (!title) {
        npu_svgi_default_title(tb, sizeof tb, r, "Per-layer time: ");
        title = tb;
    }
    /* Time in µs at the result's clock (cycles when it has none): the unit of every other
     * report; the hover titles keep the exact cycles. */
    bool us = r->freq_mhz > 0 && isfinite(r->freq_mhz);
    double tu = us ? 1.0 / r->freq_mhz : 1.0;
    const char *unit = us ? "\xC2\xB5s" : "cycles";
    npu_svgi_fmt_si(buf, sizeof buf, (double)r->total.cycles);
    double tus = isfinite(r->total.time_us) ? r->total.time_us : 0;
    double rate = isfinite(r->total.items_per_s) && r->total.items_per_s > 0
                      ? r->total.items_per_s
                      : isfinite(r->total.fps) ? r->total.fps : 0;
    const char *what = r->total.unit && *r->total.unit ? r->total.unit : "inference";
    if (us)
        snprintf(sub, sizeof sub,
                 "%d layers, %s cycles = %.1f \xC2\xB5s at %.0f MHz (%.1f %ss/s); bar = the "
                 "layer's share of the run",
                 r->nlayers, buf, tus, r->freq_mhz, rate, what);
    else
        snprintf(sub, sizeof sub, "%d layers, %s cycles; bar = the layer's share of the run",
                 r->nlayers, buf);

    char *keep = npu_malloc((size_t)r->nlayers);
    double *sh = npu_malloc((size_t)r->nlayers * sizeof *sh), rest = 0;
    for (int i = 0; sh && i < r->nlayers; i++)
        sh[i] = (double)r->layers[i].share_cycles;
    int nrows = keep && sh ? npu_svgi_pick_rows(sh, r->nlayers, keep, &rest) : -1;
    free(sh);
    /* names in full up to NPU_SVGI_NAME_CHARS; longer ones cut in the middle, kept distinct */
    char **names = nrows < 0 ? NULL
                             : npu_tab_short_mark(r->layers, sizeof *r->layers,
                                                  offsetof(npu_layer_row, name), r->nlayers,
                                                  NPU_SVGI_NAME_CHARS, "\xE2\x80\xA6");
    if (!names) {
        free(keep);
        return npu_err_set(err, NPU_ENOMEM, "svg: out of memory");
    }
    int maxch = 4, opch = 2;
    double maxc = 0;
    for (int i = 0; i < r->nlayers; i++) {
        if (!keep[i])
            continue;
        int c = npu_svgi_nchars(names[i], 1 << 20);
        maxch = c > maxch ? c : maxch;
        c = npu_svgi_nchars(r->layers[i].op, NPU_SVGI_OP_CHARS);
        opch = c > opch ? c : opch;
        if ((double)r->layers[i].share_cycles > maxc)
            maxc = (double)r->layers[i].share_cycles;
    }
    const double row = 16, font = 11;
    const double opw = opch * font * NPU_SVG_CHAR_W + 8; /* the op column, right of the names */
    double lab = maxch * font * NPU_SVG_CHAR_W + opw + 12;
    double x0 = lab + 10, pw = 640, x1 = x0 + pw;
    int extra = nrows < r->nlayers; /* a last row naming the layers left out */
    double top = 110, y0 = top, y1 = y0 + row * (nrows + extra);
    double W = x1 + 110, H = y1 + 60;
    if (W < 760)
        W = 760;

    npu_svgi_doc_begin(out, W, H, title);
    npu_svgi_title_block(out, 12, 24, title, sub);
    /* legend */
    double lx = 12, ly = 66;
    lx = npu_svgi_legend_item(out, lx, ly, C_COMPUTE, "compute", 0);
    lx = npu_svgi_legend_item(out, lx, ly, C_MEMORY, "memory stall", 0);
    lx = npu_svgi_legend_item(out, lx, ly, C_CONTROL, "control stall", 0);
    lx = npu_svgi_legend_item(out, lx, ly, C_HOST, "host (CPU/MCU)", 0);

    scale xs = {0};
    npu_svgi_lin_domain(&xs, 0, maxc > 0 ? maxc * tu : 1, 8, 1);
    xs.r0 = x0;
    xs.r1 = x1;
    /* ticks on top and bottom (long charts scroll) */
    double t[64];
    int nt = npu_svgi_ticks(&xs, t, 64, 8);
    npu_sb_puts(out, "<g font-size=\"11\">\n");
    for (int i = 0; i < nt; i++) {
        double x = npu_svgi_sc(&xs, t[i]);
        npu_svgi_line(out, x, y0, x, y1, "stroke=\"#e4e4e4\"");
        npu_svgi_fmt_si(buf, sizeof buf, t[i]);
        npu_svgi_text(out, x, y0 - 6, "middle", NULL, buf, 0);
        npu_svgi_text(out, x, y1 + 16, "middle", NULL, buf, 0);
    }
    if (us)
        snprintf(b2, sizeof b2,
                 "time of the run charged to the layer, \xC2\xB5s (share_cycles at %.0f MHz)",
                 r->freq_mhz);
    else
        snprintf(b2, sizeof b2, "cycles of the run charged to the layer (share_cycles)");
    npu_svgi_text(out, (x0 + x1) / 2, y1 + 34, "middle", NULL, b2, 0);
    npu_sb_puts(out, "</g>\n<g font-size=\"11\">\n");
    int k_row = 0;
    for (int i = 0; i < r->nlayers; i++) {
        if (!keep[i])
            continue;
        const npu_layer_row *L = &r->layers[i];
        double y = y0 + row * k_row;
        npu_svgi_row_label(out, L, names[i], k_row++, y, row, W, lab - opw);
        /* A cost chart: the bar is the layer's share of the run (share_cycles, additive: the
         * bars sum to the total), not its start→end window, which overlaps its neighbours'
         * in a pipelined run (that belongs on a timeline). The window's parts (compute,
         * memory stall, host, control stall) split the bar in proportion. */
        double cyc = (double)L->cycles, share = (double)L->share_cycles;
        double k = cyc > 0 && share > 0 ? share / cyc : 0;
        double comp = (double)L->compute_cycles, mem = (double)L->mem_stall_cycles;
        double ctrl = (double)L->ctrl_stall_cycles, host = (double)L->host_cycles;
        if (comp < 0) comp = 0;
        if (mem < 0) mem = 0;
        if (ctrl < 0) ctrl = 0;
        /* The host's busy time for the layer is drawn in full (up to the window): carved out
         * of the control stall first (the main unit waiting on the host), then the memory
         * stall, then compute (host work overlapping the unit's own); the engine does not
         * record which part of the window it overlapped. A CPU fallback layer's compute is
         * host compute. */
        int host_layer = npu_result_on_host(r, L);
        double hpart = host_layer || !(host > 0) ? 0 : host;
        double hc = hpart < ctrl ? hpart : ctrl;
        double hm = hpart - hc < mem ? hpart - hc : mem;
        double hk = hpart - hc - hm < comp ? hpart - hc - hm : comp;
        hpart = hc + hm + hk;
        ctrl -= hc;
        mem -= hm;
        comp -= hk;
        struct {
            double v;
            const char *c, *what;
        } seg[4] = {{comp, host_layer ? C_HOST : C_COMPUTE, host_layer ? "host compute" : "compute"},
                    {mem, C_MEMORY, "memory stall"},
                    {hpart, C_HOST, "host"},
                    {ctrl, C_CONTROL, "control stall"}};
        double x = x0;
        for (int s = 0; s < 4; s++) {
            if (!(seg[s].v > 0) || !(k > 0))
                continue;
            double w = npu_svgi_sc(&xs, seg[s].v * k * tu) - x0;
            npu_sb_printf(out,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                          "fill=\"%s\"><title>",
                          x, y + 2.5, w, row - 5, seg[s].c);
            npu_svgi_esc(out, L->name);
            npu_sb_printf(out, ": %s %lld cycles (%.1f%%)</title></rect>\n", seg[s].what,
                          (long long)seg[s].v, cyc > 0 ? 100 * seg[s].v / cyc : 0.0);
            x += w;
        }
        if (us && share * tu >= 1000) /* 1380 µs, not "1.38k µs" */
            snprintf(buf, sizeof buf, "%.0f", share * tu);
        else
            npu_svgi_fmt_si(buf, sizeof buf, share * tu);
        snprintf(b2, sizeof b2, "%s%s%s %s", buf, share > 0 && us ? " " : "",
                 share > 0 && us ? unit : "", L->bound && L->cycles > 0 ? L->bound : "");
        npu_svgi_text(out, x + 4, y + row - 4, "start", "fill=\"#333333\"", b2, 0);
    }
    if (extra) {
        double y = y0 + row * nrows;
        int left = r->nlayers - nrows;
        snprintf(b2, sizeof b2,
                 "\xE2\x80\xA6 %d more layers with smaller shares (%.1f%% of the run) are not "
                 "drawn: the %d largest are; CSV/JSON have every layer",
                 left, r->total.cycles > 0 ? 100.0 * rest / (double)r->total.cycles : 0.0,
                 nrows);
        npu_svgi_text(out, x0 + 4, y + row - 4, "start", "fill=\"#444444\" font-style=\"italic\"", b2, 0);
    }
    npu_sb_puts(out, "</g>\n");
    npu_svgi_line(out, x0, y0, x0, y1, "stroke=\"#333333\"");
    npu_svgi_doc_end(out);
    npu_tab_free_names(names, r->nlayers);
    free(keep);
    return npu_svgi_finish(out, err);
}

/* ---- roofline ------------------------------------------------------------------------------ */
static const char *bound_color(const char *b)
{
    if (b && !strcmp(b, "memory"))
        return C_MEMORY;
    if (b && !strcmp(b, "control"))
        return C_CONTROL;
    if (b && !strcmp(b, "host"))
        return C_HOST;
    return C_COMPUTE;
}

int npu_svg_roofline(const npu_result *r, const char *title, npu_strbuf *out, npu_err *err)
{
    if (!r || r->nlayers <= 0 || !r->layers)
        return npu_err_set(err, NPU_EINVAL, "svg roofline: the result has no layers");
    char tb[256], sub[256], buf[64], b2[160];
    if (!title) {
        npu_svgi_default_title(tb, sizeof tb, r, "Roofline: ");
        title = tb;
    }
    double peak = r->peak_macs, bw = r->dram_bytes_per_cycle;
    int have_roof = peak > 0 && bw > 0 && isfinite(peak) && isfinite(bw);
    double ridge = have_roof ? peak / bw : 0;
    double xlo = INFINITY, xhi = 0, ylo = INFINITY, yhi = 0;
    int npts = 0, skipped = 0;
    for (int i = 0; i < r->nlayers; i++) {
        const npu_layer_row *L = &r->layers[i];
        double bytes = (double)L->dram_rd_bytes + (double)L->dram_wr_bytes;
        if (L->macs <= 0 || L->cycles <= 0 || !(bytes > 0)) {
            skipped++;
            continue;
        }
        double ai = (double)L->macs / bytes, perf = (double)L->macs / (double)L->cycles;
        xlo = fmin(xlo, ai);
        xhi = fmax(xhi, ai);
        ylo = fmin(ylo, perf);
        yhi = fmax(yhi, perf);
        npts++;
    }
    if (have_roof) {
        xlo = fmin(xlo, ridge);
        xhi = fmax(xhi, ridge);
        yhi = fmax(yhi, peak);
        ylo = fmin(ylo, peak);
    }
    if (!(xhi > 0) || !isfinite(xlo))
        return npu_err_set(err, NPU_EINVAL,
                           "svg roofline: no layer has MACs, cycles and DRAM traffic, and the "
                           "result has no peak MACs/DRAM bandwidth to draw");
    scale xs, ys;
    npu_svgi_log_domain(&xs, xlo / 1.5, xhi * 1.5);
    npu_svgi_log_domain(&ys, ylo / 1.5, yhi * 1.5);
    double x0 = 90, y0 = 96, x1 = x0 + 620, y1 = y0 + 440, W = x1 + 210, H = y1 + 64;
    xs.r0 = x0;
    xs.r1 = x1;
    ys.r0 = y1;
    ys.r1 = y0;

    if (have_roof && r->freq_mhz > 0 && isfinite(r->freq_mhz))
        snprintf(sub, sizeof sub,
                 "peak %.6g MAC/cycle, DRAM %.4g B/cycle (%.4g GB/s at %.0f MHz), ridge %.3g MAC/B",
                 peak, bw, bw * r->freq_mhz / 1000, r->freq_mhz, ridge);
    else if (have_roof)
        snprintf(sub, sizeof sub, "peak %.6g MAC/cycle, DRAM %.4g B/cycle, ridge %.3g MAC/B", peak,
                 bw, ridge);
    else
        snprintf(sub, sizeof sub, "no peak or DRAM bandwidth in the result: roofs not drawn");
    npu_svgi_doc_begin(out, W, H, title);
    npu_svgi_title_block(out, 12, 24, title, sub);
    if (r->freq_mhz > 0 && isfinite(r->freq_mhz))
        snprintf(b2, sizeof b2, "achieved MAC/cycle (x %.4g = GOPS)", 2 * r->freq_mhz / 1000);
    else
        snprintf(b2, sizeof b2, "achieved MAC/cycle");
    npu_svgi_axes(out, &xs, &ys, x0, y0, x1, y1, "arithmetic intensity (MAC per DRAM byte)", b2);

    npu_sb_printf(out, "<clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#plot)\">\n",
                  x0, y0, x1 - x0, y1 - y0);
    if (have_roof) {
        double xa = pow(10, xs.d0), xb = pow(10, xs.d1);
        /* DRAM slope y = bw * x, from the left edge (or where it enters the plot) to the ridge */
        double xs0 = fmax(xa, pow(10, ys.d0) / bw);
        npu_sb_printf(out,
                      "<polyline points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"none\" "
                      "stroke=\"#222222\" stroke-width=\"2\"/>\n",
                      npu_svgi_sc(&xs, xs0), npu_svgi_sc(&ys, bw * xs0), npu_svgi_sc(&xs, ridge), npu_svgi_sc(&ys, peak),
                      npu_svgi_sc(&xs, xb), npu_svgi_sc(&ys, peak));
        /* the slope continued past the ridge and the roof before it, dotted */
        npu_sb_printf(out,
                      "<polyline points=\"%.1f,%.1f %.1f,%.1f\" fill=\"none\" stroke=\"#999999\" "
                      "stroke-dasharray=\"3,3\"/>\n",
                      npu_svgi_sc(&xs, ridge), npu_svgi_sc(&ys, peak), npu_svgi_sc(&xs, xb), npu_svgi_sc(&ys, bw * xb));
        npu_svgi_line(out, npu_svgi_sc(&xs, ridge), npu_svgi_sc(&ys, peak), npu_svgi_sc(&xs, ridge), y1,
             "stroke=\"#777777\" stroke-dasharray=\"5,4\"");
    }
    npu_sb_puts(out, "</g>\n");
    if (have_roof) {
        double rx = npu_svgi_sc(&xs, ridge), ry = npu_svgi_sc(&ys, peak);
        npu_sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"none\" "
                           "stroke=\"#222222\" stroke-width=\"2\"/>\n",
                      rx, ry);
        /* at the foot of the dashed ridge line, clear of the roofline */
        snprintf(b2, sizeof b2, "ridge %.3g MAC/B", ridge);
        int right = rx < x1 - 110;
        npu_svgi_text(out, rx + (right ? 5 : -5), y1 - 6, right ? "start" : "end",
             "font-size=\"11\" fill=\"#222222\"", b2, 0);
        snprintf(b2, sizeof b2, "compute roof %.6g MAC/cycle", peak);
        /* above the roof when there is room under the frame, else below it */
        npu_svgi_text(out, x1 - 4, ry - 6 < y0 + 12 ? ry + 16 : ry - 6, "end",
             "font-size=\"11\" fill=\"#222222\"", b2, 0);
        /* label the slope near its lower-left end, rotated along it */
        double xl = fmax(pow(10, xs.d0), pow(10, ys.d0) / bw) * 1.6;
        if (xl < ridge / 1.5) {
            double ax = npu_svgi_sc(&xs, xl), ay = npu_svgi_sc(&ys, bw * xl);
            double ang = atan2(npu_svgi_sc(&ys, bw * xl * 10) - ay, npu_svgi_sc(&xs, xl * 10) - ax) * 180 / 3.14159265358979323846;
            snprintf(b2, sizeof b2, "DRAM %.4g B/cycle", bw);
            npu_sb_printf(out, "<text transform=\"translate(%.1f,%.1f) rotate(%.1f)\" "
                               "font-size=\"11\" fill=\"#222222\">",
                          ax, ay - 6, ang);
            npu_svgi_esc(out, b2);
            npu_sb_puts(out, "</text>\n");
        }
    }
    /* points, drawn in layer order; hover for the numbers */
    npu_sb_puts(out, "<g stroke=\"#ffffff\" stroke-width=\"0.8\" fill-opacity=\"0.85\">\n");
    for (int i = 0; i < r->nlayers; i++) {
        const npu_layer_row *L = &r->layers[i];
        double bytes = (double)L->dram_rd_bytes + (double)L->dram_wr_bytes;
        if (L->macs <= 0 || L->cycles <= 0 || !(bytes > 0))
            continue;
        double ai = (double)L->macs / bytes, perf = (double)L->macs / (double)L->cycles;
        npu_sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"><title>",
                      npu_svgi_sc(&xs, ai), npu_svgi_sc(&ys, perf), bound_color(L->bound));
        npu_svgi_esc(out, L->name);
        npu_svgi_fmt_si(buf, sizeof buf, (double)L->macs);
        npu_sb_printf(out, " (%s): %.3g MAC/B, %.4g MAC/cycle, util %.1f%%, %s MAC, ",
                      L->op ? L->op : "", ai, perf, isfinite(L->util) ? 100 * L->util : 0.0, buf);
        npu_svgi_fmt_si(buf, sizeof buf, bytes);
        npu_sb_printf(out, "%s B DRAM, %lld cycles, %s-bound</title></circle>\n", buf,
                      (long long)L->cycles, L->bound ? L->bound : "?");
    }
    npu_sb_puts(out, "</g>\n");
    /* legend at the right */
    double lx = x1 + 20, ly = y0 + 14;
    npu_svgi_text(out, lx, ly, "start", "font-weight=\"bold\"", "layer bound", 0);
    static const char *const bn[] = {"compute", "memory", "control", "host"};
    for (int b = 0; b < 4; b++)
        npu_svgi_legend_item(out, lx, ly + 20 * (b + 1), bound_color(bn[b]), bn[b], 1);
    ly += 110;
    npu_svgi_line(out, lx, ly - 4, lx + 12, ly - 4, "stroke=\"#222222\" stroke-width=\"2\"");
    npu_svgi_text(out, lx + 16, ly, "start", NULL, "roofline", 0);
    npu_svgi_line(out, lx, ly + 16, lx + 12, ly + 16, "stroke=\"#777777\" stroke-dasharray=\"5,4\"");
    npu_svgi_text(out, lx + 16, ly + 20, "start", NULL, "ridge point", 0);
    snprintf(b2, sizeof b2, "%d of %d layers drawn", npts, r->nlayers);
    npu_svgi_text(out, lx, ly + 50, "start", "font-size=\"11\" fill=\"#444444\"", b2, 0);
    if (skipped) {
        npu_svgi_text(out, lx, ly + 66, "start", "font-size=\"11\" fill=\"#444444\"",
             "(others: no MACs or", 0);
        npu_svgi_text(out, lx, ly + 80, "start", "font-size=\"11\" fill=\"#444444\"",
             "no DRAM traffic)", 0);
    }
    npu_svgi_doc_end(out);
    return npu_svgi_finish(out, err);
}

int npu_svg_result(const npu_result *r, npu_svg_kind kind, const char *title, npu_strbuf *out,
                   npu_err *err)
{
    if (kind == NPU_SVG_LAYERS)
        return npu_svg_layers(r, title, out, err);
    if (kind == NPU_SVG_ROOFLINE)
        return npu_svg_roofline(r, title, out, err);
    if (kind == NPU_SVG_ENERGY)
        return npu_svg_energy(r, title, out, err);
    return npu_err_set(err, NPU_EINVAL, "svg: a %s chart is not drawn from one result",
                       npu_svg_kind_name(kind));
}

/* ---- sweep curves ------------------------------------------------------------------------- */
int npu_svg_auto_log(const double *v, int n)
{
    double *u = n > 0 && v ? npu_malloc((size_t)n * sizeof *u) : NULL;
    if (!u)
        return 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i]))
            continue;
        if (!(v[i] > 0) || !isfinite(v[i])) {
            free(u);
            return 0;
        }
        u[m++] = v[i];
    }
    qsort(u, (size_t)m, sizeof *u, cmp_dbl);
    int k = 0; /* distinct values */
    for (int i = 0; i < m; i++)
        if (k == 0 || u[i] != u[k - 1])
            u[k++] = u[i];
    int r = 0;
    if (k >= 2 && u[k - 1] >= 10 * u[0]) {
        /* evenly spaced values (every gap within 1.5x of the others) stay linear */
        double gmin = INFINITY, gmax = 0;
        for (int i = 1; i < k; i++) {
            gmin = fmin(gmin, u[i] - u[i - 1]);
            gmax = fmax(gmax, u[i] - u[i - 1]);
        }
        r = k == 2 || gmax > 1.5 * gmin;
    }
    free(u);
    return r;
}

/* The x (or y) values of every series, for npu_svg_auto_log. */
static int auto_axis(const npu_svg_series *s, int ns, int want_y)
{
    size_t n = 0;
    for (int k = 0; k < ns; k++)
        n += s[k].n > 0 ? (size_t)s[k].n : 0;
    double *v = npu_malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return 0;
    size_t m = 0;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (isfinite(x) && isfinite(y))
                v[m++] = want_y ? y : x;
        }
    int r = npu_svg_auto_log(v, (int)m);
    free(v);
    return r;
}

int npu_svg_sweep(const npu_svg_axes *ax_in, const npu_svg_series *s, int ns, npu_strbuf *out,
                  npu_err *err)
{
    static const npu_svg_axes none = {0};
    if (!ax_in)
        ax_in = &none;
    npu_svg_axes axv = *ax_in, *ax = &axv;
    if (ns <= 0 || !s)
        return npu_err_set(err, NPU_EINVAL, "svg sweep: no series");
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int any = 0;
    for (int k = 0; k < ns; k++) {
        if (s[k].n < 0 || (s[k].n > 0 && (!s[k].x || !s[k].y)))
            return npu_err_set(err, NPU_EINVAL, "svg sweep: series %d has no data", k + 1);
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y))
                continue;
            if ((ax->logx > 0 && x <= 0) || (ax->logy > 0 && y <= 0))
                return npu_err_set(err, NPU_EINVAL,
                                   "svg sweep: a logarithmic axis needs values > 0 (series %d, "
                                   "point %d: %g, %g)",
                                   k + 1, i + 1, x, y);
            xlo = fmin(xlo, x);
            xhi = fmax(xhi, x);
            ylo = fmin(ylo, y);
            yhi = fmax(yhi, y);
            any = 1;
        }
    }
    if (!any)
        return npu_err_set(err, NPU_EINVAL, "svg sweep: no finite point to draw");
    if (ax->logx == NPU_SVG_LOG_AUTO)
        ax->logx = auto_axis(s, ns, 0);
    if (ax->logy == NPU_SVG_LOG_AUTO)
        ax->logy = auto_axis(s, ns, 1);
    scale xs, ys;
    if (ax->logx) {
        /* a little room around the data rather than whole decades (sweeps of 32..512 would
         * otherwise use a third of the width) */
        xs.log = 1;
        xs.d0 = log10(xlo) - 0.06;
        xs.d1 = log10(xhi) + 0.06;
        if (xs.d1 - xs.d0 < 0.5) {
            double m = (xs.d0 + xs.d1) / 2;
            xs.d0 = m - 0.25;
            xs.d1 = m + 0.25;
        }
    }
    else
        npu_svgi_lin_domain(&xs, xlo, xhi, 8, 0);
    if (ax->logy)
        npu_svgi_log_domain(&ys, ylo, yhi);
    else
        npu_svgi_lin_domain(&ys, ylo, yhi, 6, 1);
    int legend = ns > 1 || (s[0].name && *s[0].name);
    double lw = 0;
    if (legend) {
        for (int k = 0; k < ns; k++)
            lw = fmax(lw, npu_svgi_text_w(s[k].name ? s[k].name : "", 12));
        if (ax->legend && *ax->legend)
            lw = fmax(lw, npu_svgi_text_w(ax->legend, 12) - 26);
    }
    lw = legend ? fmin(lw, 40 * 12 * NPU_SVG_CHAR_W) + 50 : 20;
    double x0 = 90, y0 = 70, x1 = x0 + 600, y1 = y0 + 400, W = x1 + lw, H = y1 + 60;
    xs.r0 = x0;
    xs.r1 = x1;
    ys.r0 = y1;
    ys.r1 = y0;
    const char *title = ax->title && *ax->title ? ax->title : "Sweep";
    npu_svgi_doc_begin(out, W, H, title);
    npu_svgi_title_block(out, 12, 24, title, NULL);
    axes_x(out, &xs, &ys, x0, y0, x1, y1, ax->xlabel, ax->ylabel, s, ns);
    char bx[48], by[48];
    for (int k = 0; k < ns; k++) {
        const char *col = pal[k % NPAL];
        const char *dash = (k / NPAL) % 2 ? " stroke-dasharray=\"6,3\"" : "";
        /* a NaN y (or x) breaks the line into pieces */
        int open = 0;
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) {
                if (open)
                    npu_sb_puts(out, "\"/>\n");
                open = 0;
                continue;
            }
            if (!open)
                npu_sb_printf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
                                   "points=\"",
                              col, dash);
            npu_sb_printf(out, "%s%.1f,%.1f", open ? " " : "", npu_svgi_sc(&xs, x), npu_svgi_sc(&ys, y));
            open = 1;
        }
        if (open)
            npu_sb_puts(out, "\"/>\n");
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y))
                continue;
            npu_sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>",
                          npu_svgi_sc(&xs, x), npu_svgi_sc(&ys, y), col);
            if (s[k].name && *s[k].name) {
                if (ax->legend && *ax->legend) {
                    npu_svgi_esc(out, ax->legend);
                    npu_sb_puts(out, " = ");
                }
                npu_svgi_esc(out, s[k].name);
                npu_sb_puts(out, ": ");
            }
            snprintf(bx, sizeof bx, "%.6g", x);
            snprintf(by, sizeof by, "%.6g", y);
            npu_svgi_esc(out, ax->xlabel && *ax->xlabel ? ax->xlabel : "x");
            npu_sb_printf(out, " = %s, ", bx);
            npu_svgi_esc(out, ax->ylabel && *ax->ylabel ? ax->ylabel : "y");
            npu_sb_printf(out, " = %s</title></circle>\n", by);
        }
    }
    if (legend) {
        double lx = x1 + 16, ly = y0 + 10;
        if (ax->legend && *ax->legend) {
            npu_svgi_text(out, lx, ly, "start", "font-weight=\"bold\"", ax->legend, 40);
            ly += 20;
        }
        for (int k = 0; k < ns; k++) {
            double y = ly + 18 * k;
            if (y > H - 10)
                break;
            const char *dash = (k / NPAL) % 2 ? " stroke-dasharray=\"6,3\"" : "";
            npu_sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                          lx, y - 4, lx + 20, y - 4, pal[k % NPAL], dash);
            npu_svgi_text(out, lx + 26, y, "start", NULL, s[k].name ? s[k].name : "", 40);
        }
    }
    npu_svgi_doc_end(out);
    return npu_svgi_finish(out, err);
}
