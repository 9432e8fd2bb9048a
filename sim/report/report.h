/* report.h — internal helpers of sim/report shared with traces/ (prefix npu_rep_).
 *
 * The public report functions (npu_report_write, npu_report_compare, npu_report_graph,
 * npu_format_parse) are declared in sim/npusim.h for users and here for sim/report itself (a
 * folder below the API must not include it). Beside them is the small set of
 * output primitives every writer needs so that CSV, JSON, tables and traces quote and format
 * values the same way, byte for byte, on every machine:
 *   - JSON strings: escaped per RFC 8259; invalid UTF-8 bytes become U+FFFD so the output is
 *     always valid JSON whatever a layer name contains;
 *   - CSV fields: RFC 4180 quoting when a field holds a comma, quote, CR/LF or edge spaces;
 *     invalid UTF-8 bytes become U+FFFD as in JSON;
 *   - numbers: integers exactly; reals with "%.9g" (non-finite → JSON null / empty CSV field);
 *     the C library is never switched to another locale by npusim, so '.' is the decimal point.
 */
#ifndef NPU_REPORT_H
#define NPU_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/ctx.h"
#include "../core/graph.h"
#include "../core/result.h"

/* The public entry points (also in sim/npusim.h; sim/npusim.c sees both declarations). */
int npu_format_parse(const char *s, npu_format *out);
int npu_report_write(const npu_result *r, npu_format f, npu_strbuf *out);
int npu_report_compare(const npu_result *const *rs, int n, npu_format f, npu_strbuf *out);
typedef struct npu_wl_run npu_wl_run; /* core/wlres.h */
int npu_report_workloads(const npu_wl_run *r, npu_format f, bool frames, npu_strbuf *out);
int npu_report_graph(const npu_graph *g, npu_format f, npu_strbuf *out);

/* The deployment footprint fp of the prepared graph g on `arch` (footprint.c of this folder):
 * usable = DRAM the OS leaves (0 unknown), fits 1/0/-1 as the result's total. */
struct npu_fp;
int npu_rep_footprint(const npu_graph *g, const struct npu_fp *fp, const char *arch,
                      int64_t usable, int fits, npu_format f, npu_strbuf *out);

/* Appends s as a JSON string literal (with the quotes). NULL → null. */
void npu_rep_json_str(npu_strbuf *sb, const char *s);
/* The same for len bytes at s (NUL bytes become \u0000): Lua strings. */
void npu_rep_json_strn(npu_strbuf *sb, const char *s, size_t len);
/* Length of the valid UTF-8 sequence at s (1..4, at most avail), 0 if not valid UTF-8. */
int npu_rep_utf8_len(const unsigned char *s, size_t avail);
/* Appends an integer in decimal (JSON and CSV alike). */
void npu_rep_int(npu_strbuf *sb, long long v);
/* The decimal digits of v (with '-') written backwards so that they end just before `end`
 * (room for 20 bytes before it); returns where they start. */
char *npu_rep_digits(char *end, long long v);
/* Appends a real as JSON (%.9g; NaN/inf → null). */
void npu_rep_json_num(npu_strbuf *sb, double v);
/* The same with `prec` significant digits (%.15g for parameters and clocks). */
void npu_rep_json_nump(npu_strbuf *sb, double v, int prec);
/* Appends s as one CSV field (quoted only when needed; bytes that are not UTF-8 become U+FFFD).
 * NULL → empty. The one CSV escaper of the CLI, Lua and the report. */
void npu_rep_csv_str(npu_strbuf *sb, const char *s);
/* Appends a real for CSV (%.9g; NaN/inf → empty field). */
void npu_rep_csv_num(npu_strbuf *sb, double v);
/* s, or "" for NULL. */
static inline const char *npu_rep_nz(const char *s) { return s ? s : ""; }
/* Display width of a UTF-8 string (code points; every one counts as one column). */
int npu_rep_width(const char *s);

/* One layer-by-layer comparison of results (`npusim compare` and Lua npusim.compare are built
 * on it, so both name the same winners). Rows are the union of layer names, in the first
 * result's order, then layers only later results have. best[r] is the result with the shortest
 * *time* (cycles / clock; cycles when a clock is unknown) for row r, or -1 when there is no
 * winner: all that have the layer took the same time, or the layer was fused away (0 cycles,
 * its time is in the layer it was fused into) on some result, since a fused layer's 0 is not a
 * time. tbest is the same for the totals. lab[k] is result k's label: its arch name, "name#2"
 * … when the same name appears again. */
typedef struct npu_rep_cmp_row {
    const char *name, *op;
    int *idx; /* per result: layer index or -1 */
} npu_rep_cmp_row;
typedef struct npu_rep_cmp {
    int n;
    size_t nrows;
    npu_rep_cmp_row *rows;
    int *best; /* per row */
    int tbest;
    char **lab; /* per result */
    int *idx_;  /* storage of rows[].idx */
} npu_rep_cmp;
/* Fills c (free with npu_rep_cmp_free, also after a failure). NPU_EINVAL / NPU_ENOMEM. */
int npu_rep_cmp_build(const npu_result *const *rs, int n, npu_rep_cmp *c);
void npu_rep_cmp_free(npu_rep_cmp *c);
/* r's named layers sorted by name, a name's layers in index order (*n of them; free() it), or
 * NULL when out of memory: what the matcher searches, and how diff finds a name given twice. */
const npu_layer_row **npu_rep_name_index(const npu_result *r, int *n);

/* The head every JSON of one result starts with: {"schema": schema, "version": NPUSIM_VERSION,
 * "arch", "model", "graph", "freq_mhz", "peak_macs" (no closing brace, no trailing comma). */
void npu_rep_json_head(npu_strbuf *out, const char *schema, const npu_result *r);

/* The one-line result of a run: "N cycles = T µs, R inferences/s, … effective, MAC utilisation
 * U%, DRAM G GB/s" and a newline (the line under `npusim run`'s table; alone with -q). */
void npu_rep_result_line(const npu_result *r, npu_strbuf *out);

/* Tensor ti of g as "1x64x56x56" ("scalar", "?" when not inferred or not a tensor) into buf. */
void npu_rep_shape_str(const npu_graph *g, int ti, char *buf, size_t n);
/* Fills r->shapes (the columns NPU_REP_SHAPE_COLS of the per-layer CSV/JSON: in_shape,
 * out_shape, kernel, stride) from the graph the run was made of, matching rows to layers by
 * name (shapes.c). A row with no layer of that name in g (a layer the lowering inserted) keeps
 * NULLs (JSON null, CSV empty). NPU_ENOMEM or NPU_OK. */
enum { NPU_REP_SHAPE_COLS = 4 };
extern const char *const npu_rep_shape_names[NPU_REP_SHAPE_COLS];
int npu_rep_fill_shapes(npu_result *r, const npu_graph *g);
/* Shape column k of layer i of r; NULL when unknown (no r->shapes, or none for that layer). */
static inline const char *npu_rep_shape(const npu_result *r, int i, int k)
{
    return r->shapes ? r->shapes[(size_t)i * NPU_REP_SHAPE_COLS + (size_t)k] : NULL;
}

/* Per-op-type and per-engine summaries of a result (summary.c): count, time (sum of the
 * layers' share_cycles, so groups add up to the run), share, MACs, bytes, achieved GOPS and
 * GB/s, util and stalls per group, as table, CSV or JSON (schema NPU_SUMMARY_SCHEMA). `by` is
 * NPU_REP_BY_OP, NPU_REP_BY_ENGINE or both. NPU_EINVAL / NPU_ENOMEM. */
#define NPU_SUMMARY_SCHEMA "npusim.summary/1"
enum { NPU_REP_BY_OP = 1u, NPU_REP_BY_ENGINE = 2u };
int npu_rep_summary(const npu_result *r, unsigned by, npu_format f, npu_strbuf *out);
/* The summary as data (Lua npusim.summary): the groups of `by` (NPU_REP_BY_OP or
 * NPU_REP_BY_ENGINE alone) in the report's order, or with by == 0 the one "total" row; each
 * with the numeric columns npu_rep_sum_cols (the CSV header after by,name), integers in iv
 * where isint, reals in dv otherwise. *rows is malloc'ed (free), name points into r.
 * NPU_EINVAL / NPU_ENOMEM. */
enum { NPU_REP_SUM_NCOLS = 15 };
extern const char *const npu_rep_sum_cols[NPU_REP_SUM_NCOLS];
typedef struct npu_rep_sum_row {
    const char *name;
    int64_t iv[NPU_REP_SUM_NCOLS];
    double dv[NPU_REP_SUM_NCOLS];
    unsigned char isint[NPU_REP_SUM_NCOLS];
} npu_rep_sum_row;
int npu_rep_summary_rows(const npu_result *r, unsigned by, npu_rep_sum_row **rows, int *n);
/* "op", "engine" or "op,engine" (either order) → *by. NPU_EINVAL for anything else. */
int npu_rep_summary_parse(const char *s, unsigned *by);

/* A run's output as `npusim run`/`exec` write it and Lua npusim.report returns it: the summary
 * tables of `by` (NPU_REP_BY_* bits, --summary) when by != 0, else with `quiet` (-q) and a
 * table the result line alone, else the per-layer report (npu_report_write). One dispatcher
 * for the CLI and Lua, so both write the same bytes for the same run. */
int npu_rep_result_out(const npu_result *r, npu_format f, unsigned by, bool quiet,
                       npu_strbuf *out);

/* `npusim diff` (diff.c). npu_rep_result_read reads back a run result written as JSON
 * (npusim.result/1 or /2) from text[0..len); `file` names it in messages ("FILE:LINE:COL: what"
 * for bad JSON, "FILE: layers[3].cycles: expected an integer, found a string" …). npu_rep_diff
 * writes A and B side by side, per layer (matched by name) and in total, with relative
 * changes and the layers that moved most, as table, CSV or JSON (NPU_DIFF_SCHEMA). */
#define NPU_DIFF_SCHEMA "npusim.diff/1"
int npu_rep_result_read(const char *text, size_t len, const char *file, npu_result **out,
                        npu_err *err);
int npu_rep_diff(const npu_result *a, const npu_result *b, const char *fa, const char *fb,
                 npu_format f, npu_strbuf *out);

#endif
