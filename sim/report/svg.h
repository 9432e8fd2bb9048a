/* svg.h — self-contained SVG charts of results and sweeps (prefix npu_svg_).
 *
 * Every chart is one standalone SVG 1.1 document: no scripts, no external fonts, stylesheets or
 * images, so a browser, an image viewer or rsvg-convert shows it as is. Text uses the generic
 * "sans-serif" family. Hover titles (<title> children) give exact values. Output is deterministic
 * byte for byte (coordinates printed with fixed precision, no time stamps). All text coming from
 * data (layer names, series names, titles) is XML-escaped; bytes that are not valid UTF-8 or are
 * control characters become '?'.
 *
 * Six kinds (docs/plots.md shows each):
 *   layers    per-layer horizontal stacked bars of a result: compute, memory stall, control
 *             stall, host (the four split the layer's share_cycles; see npu_svg_layers)
 *   roofline  one point per layer (x = MACs per DRAM byte, y = MACs per cycle, log-log) under
 *             the preset's compute roof and DRAM slope, ridge point marked
 *   sweep     curves y(x), one per series (generic: any numbers)
 *   heatmap   a grid of values over two categorical axes with a colour scale
 *   energy    per-layer horizontal stacked bars of a result's energy split (svg_energy.c)
 *   pareto    designs as points in latency x energy, the Pareto front marked (svg_energy.c)
 *
 * Functions append to `out` and return 0, or an npu_status with err filled (empty data,
 * mismatched sizes, out of memory). They never print and never touch files.
 */
#ifndef NPU_SVG_H
#define NPU_SVG_H

#include "../core/ctx.h"
#include "../core/result.h"

typedef enum npu_svg_kind {
    NPU_SVG_LAYERS,
    NPU_SVG_ROOFLINE,
    NPU_SVG_SWEEP,
    NPU_SVG_HEATMAP,
    NPU_SVG_ENERGY,
    NPU_SVG_PARETO
} npu_svg_kind;

/* "layers" | "roofline" | "sweep" | "heatmap" | "energy" | "pareto" → 0 and *k; -1 if
 * unknown. */
int npu_svg_kind_parse(const char *s, npu_svg_kind *k);
const char *npu_svg_kind_name(npu_svg_kind k);

/* Parses a CLI plot argument "[KIND:]FILE": KIND is "layers", "roofline" or "energy" (default
 * layers).
 * The prefix is taken as a kind only when it is exactly one of those words, so any other path
 * (including one with a ':') is a file name. *path points into arg. Returns 0, or NPU_EINVAL
 * (empty file name; "sweep:"/"heatmap:"/"pareto:" which need sweep data). */
int npu_svg_plot_arg(const char *arg, npu_svg_kind *kind, const char **path, npu_err *err);

/* Per-layer stacked bars. Each bar partitions the layer's cycles (end - start):
 *   compute     compute_cycles (the main unit busy) — drawn as host when the layer's engine is
 *               the host CPU/MCU/AI-CPU (a fallback layer), since the host did the work
 *   host        host_cycles (the host CPU/MCU busy for the layer), taken out of the stalls:
 *               out of ctrl_stall_cycles, and, for a host-bound layer (bound == "host"), then
 *               out of mem_stall_cycles (the main unit is idle while the host works for it)
 *   memory      the rest of mem_stall_cycles
 *   control     the rest of ctrl_stall_cycles (interrupt latency, MCU, command fetch …)
 * title NULL → "<graph> on <arch>". */
int npu_svg_layers(const npu_result *r, const char *title, npu_strbuf *out, npu_err *err);

/* Roofline: layers with MACs > 0, cycles > 0 and DRAM bytes > 0 are points (coloured by
 * `bound`); the others are counted in a note. Needs r->peak_macs and r->dram_bytes_per_cycle
 * for the roofs (drawn when > 0). */
int npu_svg_roofline(const npu_result *r, const char *title, npu_strbuf *out, npu_err *err);

/* Per-layer stacked energy bars, µJ: each bar is the layer's six classes e_mac_uj, e_buf_uj,
 * e_dram_uj, e_ctrl_uj, e_host_uj, e_static_uj (negative or non-finite parts count as 0), so
 * the bars sum to the run's energy. Beyond 150 layers, the 150 with the most energy are drawn
 * and a last row says what the rest are. NPU_EINVAL when no layer has energy (a preset without
 * energy tables). title NULL → "Per-layer energy: <graph> on <arch>". */
int npu_svg_energy(const npu_result *r, const char *title, npu_strbuf *out, npu_err *err);

/* One of the result charts by kind (NPU_SVG_LAYERS, NPU_SVG_ROOFLINE or NPU_SVG_ENERGY). */
int npu_svg_result(const npu_result *r, npu_svg_kind kind, const char *title, npu_strbuf *out,
                   npu_err *err);

/* Axes of the generic charts. Labels may be NULL. log: 1 = logarithmic (every value must be
 * > 0), 0 = linear, NPU_SVG_LOG_AUTO = as npu_svg_auto_log decides for the sweep's values. */
#define NPU_SVG_LOG_AUTO (-1)
typedef struct npu_svg_axes {
    const char *title;
    const char *xlabel;
    const char *ylabel;
    int logx, logy;
    const char *legend; /* sweep: title of the legend (e.g. the series parameter); NULL: none */
    double xbound;      /* pareto: the largest acceptable x (a latency bound); 0: none */
} npu_svg_axes;

/* One curve: n points (x[i], y[i]) drawn in the given order; a NaN y breaks the line. */
typedef struct npu_svg_series {
    const char *name; /* legend text (NULL or "" with one series: no legend) */
    int n;
    const double *x;
    const double *y;
} npu_svg_series;

int npu_svg_sweep(const npu_svg_axes *ax, const npu_svg_series *s, int ns, npu_strbuf *out,
                  npu_err *err);

/* Whether n values (NaN skipped) read better on a logarithmic axis: every value > 0, they span
 * at least a decade (max >= 10 x min), and they are not evenly spaced (an arithmetic sweep
 * 1, 2, ..., 10 stays linear; 16, 32, ..., 512 or 0.5 ... 64 GB/s go logarithmic). The one rule
 * for the CLI's and the Lua plots' automatic axes. */
int npu_svg_auto_log(const double *v, int n);

/* Heatmap flags. */
enum {
    NPU_SVG_HIGHER_BETTER = 1, /* the largest value is best (else the smallest)            */
    NPU_SVG_BEST_PER_ROW = 2   /* outline the best cell of each row (else the best overall) */
};

/* Heatmap: z[j * nx + i] is the value at column i (xlabels[i]) and row j (ylabels[j]); NaN is a
 * missing cell. zlabel names the value (colour bar). flags: NPU_SVG_*. Best is dark, worst pale;
 * when all values are > 0 and span more than 100x the colour scale is logarithmic (said on the
 * colour bar). */
int npu_svg_heatmap(const npu_svg_axes *ax, const char *zlabel, unsigned flags, int nx,
                    const char *const *xlabels, int ny, const char *const *ylabels,
                    const double *z, npu_strbuf *out, npu_err *err);

/* Pareto front of n points, lower x and lower y better: front[i] = 1 when no other point is
 * at least as good on both and better on one (so equal points are all on the front); points
 * with a non-finite coordinate are never on it. Returns the number on the front, -1 when out
 * of memory. */
int npu_svg_pareto_front(const double *x, const double *y, int n, char *front);

/* One design of a Pareto chart: its coordinates, series index (0..ns-1) and hover label. */
typedef struct npu_svg_design {
    double x, y;
    int series;
    const char *label; /* NULL: "design <i+1>" */
} npu_svg_design;

/* Scatter of n designs (x = latency, y = energy, say: lower is better on both), coloured by
 * series (snames[ns]: legend; ns <= 1 with no name: one colour, no series legend), the Pareto
 * front (npu_svg_pareto_front) joined by a step line and outlined. ax->logx/logy as for
 * npu_svg_sweep (NPU_SVG_LOG_AUTO allowed); ax->legend titles the series legend. With
 * ax->xbound > 0 the bound is a dashed vertical line and the design of least y with x <= bound
 * (always on the front: whatever dominated it would be within the bound too) is ringed and
 * named; none within the bound is said in the subtitle. */
int npu_svg_pareto(const npu_svg_axes *ax, const npu_svg_design *d, int n,
                   const char *const *snames, int ns, npu_strbuf *out, npu_err *err);

#endif
