/* summary.c — per-op-type and per-engine summaries of a result (npu_rep_summary, report.h),
 * the view RKNN's eval_perf and msprof's op summary give: for each op type (conv, add …) or
 * each engine (the unit a layer ran on: CMAC, DPU, Cube, cpu …) how many layers, how much of
 * the run, the MACs and bytes they moved and the rate they achieved.
 *
 * Choices (also in docs/cli.md):
 *   - Time is the sum of the layers' share_cycles, not of their start→end cycles: layers
 *     overlap, shares do not, so the groups' times add up to the run's total and "share" is a
 *     true part of the whole (a fused layer counts in `count` with 0 time — its time is in the
 *     layer it was fused into).
 *   - The achieved rates divide by that time: tops = 2 × MACs / time, dram_gbps = DRAM bytes /
 *     time, util = MACs / (cycles × peak MACs per cycle of the run).
 *   - Rows are sorted by time, longest first (ties by name), as the profilers do.
 *   - CSV has one shape whatever is asked: a `by` column (op or engine), then `name`.
 *   - JSON: {"schema": "npusim.summary/1", "version", "arch", "model", "graph", "freq_mhz",
 *     "peak_macs", "total": {...}, "ops": [...], "engines": [...]} with the lists asked for.
 */
#include "report.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tab.h"

typedef struct grp {
    const char *name;
    int64_t count, cycles, span, macs, dram_rd, dram_wr, sram_rd, sram_wr, mem, ctrl, host;
} grp;

static int grp_cmp(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    if (x->cycles != y->cycles)
        return x->cycles > y->cycles ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The groups of r by op (by_engine false) or engine, sorted; *ng of them. NULL: oom. */
static grp *group(const npu_result *r, bool by_engine, int *ng)
{
    grp *g = npu_calloc((size_t)r->nlayers + 1, sizeof *g);
    *ng = 0;
    if (!g)
        return NULL;
    for (int i = 0; i < r->nlayers; i++) {
        const npu_layer_row *l = &r->layers[i];
        const char *key = by_engine ? l->engine : l->op;
        if (!key || !*key)
            key = "-";
        int j = 0;
        while (j < *ng && strcmp(g[j].name, key) != 0)
            j++;
        if (j == *ng)
            g[(*ng)++].name = key;
        grp *G = &g[j];
        G->count++;
        G->cycles += l->share_cycles;
        G->span += l->cycles;
        G->macs += l->macs;
        G->dram_rd += l->dram_rd_bytes;
        G->dram_wr += l->dram_wr_bytes;
        G->sram_rd += l->sram_rd_bytes;
        G->sram_wr += l->sram_wr_bytes;
        G->mem += l->mem_stall_cycles;
        G->ctrl += l->ctrl_stall_cycles;
        G->host += l->host_cycles;
    }
    qsort(g, (size_t)*ng, sizeof *g, grp_cmp);
    return g;
}

/* The derived figures of a group (or of the whole run). */
typedef struct rates {
    double time_us, share, tops, dram_gbps, util;
} rates;

static rates rates_of(const npu_result *r, const grp *G)
{
    rates x;
    double us = r->freq_mhz > 0 ? (double)G->cycles / r->freq_mhz : NAN;
    x.time_us = us;
    x.share = r->total.cycles > 0 ? (double)G->cycles / (double)r->total.cycles : NAN;
    x.tops = us > 0 ? 2.0 * (double)G->macs / (us * 1e6) : NAN;
    x.dram_gbps = us > 0 ? (double)(G->dram_rd + G->dram_wr) / (us * 1e3) : NAN;
    x.util = G->cycles > 0 && r->peak_macs > 0
                 ? (double)G->macs / ((double)G->cycles * r->peak_macs)
                 : NAN;
    return x;
}

static grp total_of(const npu_result *r)
{
    grp t = {.name = "total", .count = r->nlayers, .cycles = r->total.cycles};
    for (int i = 0; i < r->nlayers; i++) {
        const npu_layer_row *l = &r->layers[i];
        t.macs += l->macs;
        t.span += l->cycles;
        t.dram_rd += l->dram_rd_bytes;
        t.dram_wr += l->dram_wr_bytes;
        t.sram_rd += l->sram_rd_bytes;
        t.sram_wr += l->sram_wr_bytes;
        t.mem += l->mem_stall_cycles;
        t.ctrl += l->ctrl_stall_cycles;
        t.host += l->host_cycles;
    }
    return t;
}

/* ---- table ---------------------------------------------------------------------------------- */

static void tab_group(npu_tab *t, const npu_result *r, const grp *G, const char *name)
{
    rates x = rates_of(r, G);
    char b[32];
    npu_tab_row(t);
    npu_tab_cell(t, "%s", name);
    npu_tab_cell(t, "%lld", (long long)G->count);
    if (isfinite(x.time_us))
        npu_tab_cell(t, "%.1f", x.time_us);
    else
        npu_tab_cell(t, "%lld c", (long long)G->cycles);
    npu_tab_pct(b, sizeof b, (double)G->cycles, (double)r->total.cycles, 1);
    npu_tab_cell(t, "%s", b);
    npu_tab_count(b, sizeof b, (double)G->macs);
    npu_tab_cell(t, "%s", b);
    npu_tab_bytes(b, sizeof b, (double)G->dram_rd);
    npu_tab_cell(t, "%s", b);
    npu_tab_bytes(b, sizeof b, (double)G->dram_wr);
    npu_tab_cell(t, "%s", b);
    if (isfinite(x.tops) && G->macs > 0)
        npu_tab_cell(t, "%.1f", x.tops * 1e3);
    else
        npu_tab_cell(t, "-");
    if (isfinite(x.dram_gbps))
        npu_tab_cell(t, "%.2f", x.dram_gbps);
    else
        npu_tab_cell(t, "-");
    if (isfinite(x.util) && G->macs > 0)
        npu_tab_cell(t, "%.1f", 100.0 * x.util);
    else
        npu_tab_cell(t, "-");
    /* stalls relative to the layers' own start→end cycles they were measured in */
    npu_tab_pct(b, sizeof b, (double)G->mem, (double)G->span, 0);
    npu_tab_cell(t, "%s", b);
    npu_tab_pct(b, sizeof b, (double)G->ctrl, (double)G->span, 0);
    npu_tab_cell(t, "%s", b);
}

static int table_one(const npu_result *r, bool by_engine, npu_strbuf *out)
{
    int ng;
    grp *g = group(r, by_engine, &ng);
    if (!g)
        return NPU_ENOMEM;
    static const char *const head_op[] = {"op",      "layers", "time µs", "share%", "MACs",
                                          "DRAM rd", "DRAM wr", "GOPS",   "GB/s",   "util%",
                                          "mem%",    "ctrl%"};
    static const char *const head_en[] = {"engine",  "layers", "time µs", "share%", "MACs",
                                          "DRAM rd", "DRAM wr", "GOPS",   "GB/s",   "util%",
                                          "mem%",    "ctrl%"};
    npu_tab t;
    npu_tab_init(&t, 12, by_engine ? head_en : head_op, "lrrrrrrrrrrr");
    char **names = npu_tab_short_col(g, sizeof *g, offsetof(grp, name), ng, 24);
    t.oom |= !names;
    for (int i = 0; i < ng && names; i++)
        tab_group(&t, r, &g[i], names[i]);
    npu_tab_hrule(&t);
    grp T = total_of(r);
    tab_group(&t, r, &T, "total");
    int rc = npu_tab_render(&t, out);
    npu_tab_free(&t);
    npu_tab_free_names(names, ng);
    free(g);
    return rc;
}

/* ---- CSV and JSON --------------------------------------------------------------------------- */

/* The numeric columns of a group, in CSV header / JSON key order. */
const char *const npu_rep_sum_cols[NPU_REP_SUM_NCOLS] = {"count",         "share_cycles",  "time_us",
                                   "share",         "macs",          "dram_rd_bytes",
                                   "dram_wr_bytes", "sram_rd_bytes", "sram_wr_bytes",
                                   "tops",          "dram_gbps",     "util",
                                   "mem_stall_cycles", "ctrl_stall_cycles", "host_cycles"};
enum { NCOLS = NPU_REP_SUM_NCOLS };

/* Column k of G: integers in iv (returns 1), reals in dv (returns 0). */
static int col_val(const npu_result *r, const grp *G, int k, int64_t *iv, double *dv)
{
    rates x = rates_of(r, G);
    const int64_t ints[] = {G->count,   G->cycles,  0,       0,       G->macs,
                            G->dram_rd, G->dram_wr, G->sram_rd, G->sram_wr, 0,
                            0,          0,          G->mem,  G->ctrl, G->host};
    const double reals[] = {0, 0, x.time_us, x.share, 0, 0, 0, 0, 0, x.tops, x.dram_gbps,
                            x.util, 0, 0, 0};
    _Static_assert(sizeof ints / sizeof ints[0] == NCOLS, "ints match cols");
    _Static_assert(sizeof reals / sizeof reals[0] == NCOLS, "reals match cols");
    bool real = k == 2 || k == 3 || (k >= 9 && k <= 11);
    *iv = ints[k];
    *dv = reals[k];
    return !real;
}

static int csv_one(const npu_result *r, bool by_engine, npu_strbuf *out)
{
    int ng;
    grp *g = group(r, by_engine, &ng);
    if (!g)
        return NPU_ENOMEM;
    for (int i = 0; i < ng; i++) {
        npu_sb_puts(out, by_engine ? "engine," : "op,");
        npu_rep_csv_str(out, g[i].name);
        for (int k = 0; k < NCOLS; k++) {
            int64_t iv;
            double dv;
            npu_sb_putc(out, ',');
            if (col_val(r, &g[i], k, &iv, &dv))
                npu_sb_printf(out, "%lld", (long long)iv);
            else
                npu_rep_csv_num(out, dv);
        }
        npu_sb_putc(out, '\n');
    }
    free(g);
    return NPU_OK;
}

static void json_group(npu_strbuf *out, const npu_result *r, const grp *G)
{
    npu_sb_puts(out, "{\"name\": ");
    npu_rep_json_str(out, G->name);
    for (int k = 0; k < NCOLS; k++) {
        int64_t iv;
        double dv;
        npu_sb_printf(out, ", \"%s\": ", npu_rep_sum_cols[k]);
        if (col_val(r, G, k, &iv, &dv))
            npu_sb_printf(out, "%lld", (long long)iv);
        else
            npu_rep_json_num(out, dv);
    }
    npu_sb_putc(out, '}');
}

static int json_list(const npu_result *r, bool by_engine, npu_strbuf *out)
{
    int ng;
    grp *g = group(r, by_engine, &ng);
    if (!g)
        return NPU_ENOMEM;
    npu_sb_puts(out, by_engine ? ",\n  \"engines\": [" : ",\n  \"ops\": [");
    for (int i = 0; i < ng; i++) {
        npu_sb_puts(out, i ? ",\n    " : "\n    ");
        json_group(out, r, &g[i]);
    }
    npu_sb_puts(out, ng ? "\n  ]" : "]");
    free(g);
    return NPU_OK;
}

int npu_rep_summary(const npu_result *r, unsigned by, npu_format f, npu_strbuf *out)
{
    if (!r || !out || r->nlayers < 0 || (r->nlayers > 0 && !r->layers) || !by ||
        (by & ~(unsigned)(NPU_REP_BY_OP | NPU_REP_BY_ENGINE)))
        return NPU_EINVAL;
    int rc = NPU_OK;
    const bool which[2] = {(by & NPU_REP_BY_OP) != 0, (by & NPU_REP_BY_ENGINE) != 0};
    if (f == NPU_FMT_TABLE) {
        size_t at = out->len;
        npu_sb_printf(out, "graph %s on %s (model %s", npu_rep_nz(r->graph), npu_rep_nz(r->arch),
                      npu_rep_nz(r->model));
        if (r->freq_mhz > 0)
            npu_sb_printf(out, ", %g MHz", r->freq_mhz);
        npu_sb_printf(out, "), %d layers\n", r->nlayers);
        for (int w = 0; w < 2 && !rc; w++)
            if (which[w]) {
                npu_sb_putc(out, '\n');
                rc = table_one(r, w == 1, out);
            }
        if (!rc)
            npu_sb_puts(out, "\ntime: the layers' shares of the run (they add up to the total);\n"
                             "GOPS: 2×MACs/time; GB/s: DRAM bytes/time; util%: MACs/(time×peak);\n"
                             "mem%/ctrl%: share of the layers' own cycles their main unit waited.\n");
        npu_tab_sanitize_from(out, at);
    } else if (f == NPU_FMT_CSV) {
        npu_sb_puts(out, "by,name");
        for (int k = 0; k < NCOLS; k++)
            npu_sb_printf(out, ",%s", npu_rep_sum_cols[k]);
        npu_sb_putc(out, '\n');
        for (int w = 0; w < 2 && !rc; w++)
            if (which[w])
                rc = csv_one(r, w == 1, out);
    } else if (f == NPU_FMT_JSON) {
        npu_rep_json_head(out, NPU_SUMMARY_SCHEMA, r);
        npu_sb_puts(out, ",\n  \"total\": ");
        grp T = total_of(r);
        json_group(out, r, &T);
        for (int w = 0; w < 2 && !rc; w++)
            if (which[w])
                rc = json_list(r, w == 1, out);
        npu_sb_puts(out, "\n}\n");
    } else {
        rc = NPU_EINVAL;
    }
    if (!rc && out->oom)
        rc = NPU_ENOMEM;
    return rc;
}

int npu_rep_summary_rows(const npu_result *r, unsigned by, npu_rep_sum_row **rows, int *n)
{
    *rows = NULL;
    *n = 0;
    if (!r || r->nlayers < 0 || (r->nlayers > 0 && !r->layers) ||
        (by != 0 && by != NPU_REP_BY_OP && by != NPU_REP_BY_ENGINE))
        return NPU_EINVAL;
    int ng = 1;
    grp T, *g = by ? group(r, by == NPU_REP_BY_ENGINE, &ng) : (T = total_of(r), &T);
    npu_rep_sum_row *o = g ? npu_calloc((size_t)ng + 1, sizeof *o) : NULL;
    for (int i = 0; o && i < ng; i++) {
        o[i].name = g[i].name;
        for (int k = 0; k < NCOLS; k++)
            o[i].isint[k] = (unsigned char)col_val(r, &g[i], k, &o[i].iv[k], &o[i].dv[k]);
    }
    if (g != &T)
        free(g);
    if (!o)
        return NPU_ENOMEM;
    *rows = o;
    *n = ng;
    return NPU_OK;
}

int npu_rep_summary_parse(const char *s, unsigned *by)
{
    unsigned b = 0;
    if (!s || !*s)
        return NPU_EINVAL;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 2 && strncmp(s, "op", 2) == 0)
            b |= NPU_REP_BY_OP;
        else if (n == 6 && strncmp(s, "engine", 6) == 0)
            b |= NPU_REP_BY_ENGINE;
        else
            return NPU_EINVAL;
        s += n;
        if (*s == ',' && !*++s)
            return NPU_EINVAL;
    }
    if (by)
        *by = b;
    return NPU_OK;
}
