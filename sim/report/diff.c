/* diff.c — two run results side by side (`npusim diff A.json B.json`): per layer and in
 * total, with relative changes and the layers that moved most. What a user does after
 * changing a parameter. Results are read back from the JSON `npusim run -f json` writes
 * (npu_rep_result_read), layers matched by name with the one matcher of compare.c
 * (npu_rep_cmp_build), so diff and compare agree on which layers are "the same".
 *
 * Choices (also in docs/cli.md):
 *   - A layer's time is its share_cycles at its own clock, in µs: shares partition a run, so
 *     the layers' changes add up to the change of the total; start→end cycles of overlapping
 *     layers would count the same time twice.
 *   - A layer found in only one file counts as 0 in the other ("new" / "gone").
 *   - Relative change = (B − A) / A; none ("-", null) when A is 0.
 *   - "moved most": the 5 layers with the largest |B − A|, with their part of the total change.
 *   - Reading is strict where it matters and lenient where it does not: the schema must be a
 *     run result (npusim.result/1 to /3), "total" an object, "layers" an array of objects each
 *     with name, op, cycles and share_cycles, at most as many as a graph holds, no name twice;
 *     a field present with the wrong type (a count that is not whole) is an error naming the
 *     file and the field (layers[3].cycles); other fields may be absent.
 */
#include "report.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/infer.h"
#include "jsonr.h"
#include "tab.h"

enum { MOVED_MAX = 5, SCHEMA_MAX = 3 };

/* ---- reading a result back ------------------------------------------------------------------ */

/* Stores JSON value v into field f of row; `where` names it for messages ("layers[3]"). */
static int read_field(const char *file, const char *where, const npu_field *f, const npu_jval *v,
                      void *row, npu_arena *a, npu_err *err)
{
    char *p = (char *)row + f->offset;
    bool ok;
    switch (f->type) {
    case NPU_FT_INT:
        /* a count: whole (2.5 cycles was cut to 2 without a word) and in int64 range */
        ok = v->type == NPU_J_NUM && fabs(v->num) < 9.2e18 && v->num == floor(v->num);
        if (ok) {
            npu_f_INT x = (npu_f_INT)v->num;
            memcpy(p, &x, sizeof x);
        }
        break;
    case NPU_FT_FLOAT:
        ok = v->type == NPU_J_NUM || v->type == NPU_J_NULL;
        if (ok) {
            npu_f_FLOAT x = v->type == NPU_J_NUM ? v->num : NAN;
            memcpy(p, &x, sizeof x);
        }
        break;
    case NPU_FT_STR:
    default:
        ok = v->type == NPU_J_STR || v->type == NPU_J_NULL;
        if (ok) {
            npu_f_STR x = v->type == NPU_J_STR ? npu_arena_strdup(a, v->str) : NULL;
            if (v->type == NPU_J_STR && !x)
                return npu_err_set(err, NPU_ENOMEM, "%s: out of memory", file);
            memcpy(p, &x, sizeof x);
        }
        break;
    }
    if (!ok) {
        char found[40];
        if (v->type == NPU_J_NUM)
            snprintf(found, sizeof found, "%.17g", v->num);
        else
            snprintf(found, sizeof found, "%s", npu_jsonr_type_name(v->type));
        return npu_err_set(err, NPU_EFORMAT, "%s: %s.%s: expected %s, found %s", file, where,
                           f->name,
                           f->type == NPU_FT_STR ? "a string"
                                                 : f->type == NPU_FT_INT ? "an integer" : "a number",
                           found);
    }
    return NPU_OK;
}

/* Every field of `fields` found in object o into row; those named in `need` must be there. */
static int read_row(const char *file, const char *where, const npu_jval *o, const npu_field *fields,
                    int nf, const char *const *need, void *row, npu_arena *a, npu_err *err)
{
    if (o->type != NPU_J_OBJ)
        return npu_err_set(err, NPU_EFORMAT, "%s: %s: expected an object, found %s", file, where,
                           npu_jsonr_type_name(o->type));
    for (int k = 0; need && need[k]; k++)
        if (!npu_jsonr_get(o, need[k]))
            return npu_err_set(err, NPU_EFORMAT, "%s: %s: no \"%s\"", file, where, need[k]);
    for (int k = 0; k < nf; k++) {
        const npu_jval *v = npu_jsonr_get(o, fields[k].name);
        int rc = v ? read_field(file, where, &fields[k], v, row, a, err) : NPU_OK;
        if (rc)
            return rc;
    }
    return NPU_OK;
}

static const char *opt_str(const npu_jval *root, const char *key, npu_arena *a)
{
    const npu_jval *v = npu_jsonr_get(root, key);
    return v && v->type == NPU_J_STR ? npu_arena_strdup(a, v->str) : NULL;
}

/* Layers are matched by name: a name twice (npusim never writes one) matched both rows of A to
 * one row of B, and the layers' changes no longer added up to the total's. */
static int unique_names(const char *file, const npu_result *r, npu_err *err)
{
    int n;
    const npu_layer_row **s = npu_rep_name_index(r, &n);
    if (!s)
        return npu_err_set(err, NPU_ENOMEM, "%s: out of memory", file);
    int rc = NPU_OK;
    for (int i = 1; i < n && !rc; i++)
        if (strcmp(s[i - 1]->name, s[i]->name) == 0)
            rc = npu_err_set(err, NPU_EFORMAT, "%s: layers[%d] and layers[%d] are both named '%s'",
                             file, (int)(s[i - 1] - r->layers), (int)(s[i] - r->layers),
                             s[i]->name);
    free(s);
    return rc;
}

/* The run result in root (parsed from file) as a new npu_result. */
static int build(const char *file, const npu_jval *root, npu_result *r, npu_err *err)
{
    if (root->type != NPU_J_OBJ)
        return npu_err_set(err, NPU_EFORMAT,
                           "%s: not an npusim run result (expected a JSON object, found %s)",
                           file, npu_jsonr_type_name(root->type));
    const npu_jval *sc = npu_jsonr_get(root, "schema");
    static const char pre[] = "npusim.result/";
    if (!sc || sc->type != NPU_J_STR)
        return npu_err_set(err, NPU_EFORMAT,
                           "%s: no \"schema\": not an npusim run result (write one with "
                           "'npusim run -f json')", file);
    if (strncmp(sc->str, pre, sizeof pre - 1) != 0)
        return npu_err_set(err, NPU_EFORMAT,
                           "%s: schema \"%s\" is not a run result (%sN; write one with "
                           "'npusim run -f json')", file, sc->str, pre);
    char *e;
    const char *vs = sc->str + sizeof pre - 1;
    long ver = strtol(vs, &e, 10);
    if (*vs < '0' || *vs > '9' || *e || ver < 1 || ver > SCHEMA_MAX)
        return npu_err_set(err, NPU_EFORMAT,
                           "%s: schema \"%s\": this npusim reads %s1 to %s%d", file, sc->str,
                           pre, pre, SCHEMA_MAX);
    r->arch = opt_str(root, "arch", &r->arena);
    r->model = opt_str(root, "model", &r->arena);
    r->graph = opt_str(root, "graph", &r->arena);
    const npu_jval *fr = npu_jsonr_get(root, "freq_mhz");
    r->freq_mhz = fr && fr->type == NPU_J_NUM ? fr->num : 0;
    const npu_jval *pk = npu_jsonr_get(root, "peak_macs");
    r->peak_macs = pk && pk->type == NPU_J_NUM ? pk->num : 0;

    const npu_jval *tot = npu_jsonr_get(root, "total");
    if (!tot)
        return npu_err_set(err, NPU_EFORMAT, "%s: no \"total\"", file);
    static const char *const tneed[] = {"cycles", NULL};
    int rc = read_row(file, "total", tot, npu_total_fields, npu_total_nfields, tneed, &r->total,
                      &r->arena, err);
    if (rc)
        return rc;
    const npu_jval *ls = npu_jsonr_get(root, "layers");
    if (!ls || ls->type != NPU_J_ARR)
        return npu_err_set(err, NPU_EFORMAT, "%s: no \"layers\" array", file);
    if (ls->n > NPU_GRAPH_MAX_LAYERS)
        return npu_err_set(err, NPU_EFORMAT, "%s: %zu layers, more than a graph may hold (%d)",
                           file, ls->n, NPU_GRAPH_MAX_LAYERS);
    r->nlayers = (int)ls->n;
    r->layers = npu_arena_alloc(&r->arena, (ls->n ? ls->n : 1) * sizeof *r->layers);
    if (!r->layers)
        return npu_err_set(err, NPU_ENOMEM, "%s: out of memory", file);
    static const char *const lneed[] = {"name", "op", "cycles", "share_cycles", NULL};
    for (size_t i = 0; i < ls->n; i++) {
        char where[32];
        snprintf(where, sizeof where, "layers[%zu]", i);
        rc = read_row(file, where, ls->item[i], npu_layer_fields, npu_layer_nfields, lneed,
                      &r->layers[i], &r->arena, err);
        if (rc)
            return rc;
        if (!r->layers[i].name)
            return npu_err_set(err, NPU_EFORMAT, "%s: %s.name: expected a string, found null",
                               file, where);
    }
    return unique_names(file, r, err);
}

int npu_rep_result_read(const char *text, size_t len, const char *file, npu_result **out,
                        npu_err *err)
{
    *out = NULL;
    npu_arena doc;
    npu_arena_init(&doc);
    npu_jval *root;
    npu_result *r = NULL;
    int rc = npu_jsonr_parse(text, len, file, &doc, &root, err);
    if (!rc) {
        r = npu_result_new();
        rc = r ? build(file, root, r, err) : npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    npu_arena_free(&doc);
    if (rc) {
        npu_result_free(r);
        return rc;
    }
    *out = r;
    return NPU_OK;
}

/* ---- the comparison ------------------------------------------------------------------------- */

/* A layer's time: share_cycles in µs at the result's clock (cycles when the clock is unknown). */
static double ltime(const npu_result *r, int i, bool us)
{
    if (i < 0)
        return 0;
    double c = (double)r->layers[i].share_cycles;
    return us ? c / r->freq_mhz : c;
}

/* The totals compared, by their npu_total_fields names, with their table labels. */
static const struct {
    const char *field, *label;
} tot_rows[] = {{"cycles", "cycles"},           {"time_us", "time µs"},
                {"items_per_s", "items/s"},     {"macs", "MACs"},
                {"util", "MAC utilisation"},    {"dram_rd_bytes", "DRAM read B"},
                {"dram_wr_bytes", "DRAM write B"}, {"mem_stall_cycles", "mem stall cycles"},
                {"ctrl_stall_cycles", "ctrl stall cycles"}, {"irq_count", "interrupts"},
                {"host_us", "host µs"}};
enum { NTOT = sizeof tot_rows / sizeof tot_rows[0] };

static double tot_val(const npu_result *r, int k)
{
    for (int f = 0; f < npu_total_nfields; f++)
        if (strcmp(npu_total_fields[f].name, tot_rows[k].field) == 0)
            return npu_total_fields[f].type == NPU_FT_INT
                       ? (double)npu_field_int(&r->total, &npu_total_fields[f])
                       : npu_field_float(&r->total, &npu_total_fields[f]);
    return NAN;
}

static double rel(double a, double b)
{
    return a != 0 && isfinite(a) && isfinite(b) ? (b - a) / a : NAN;
}

typedef struct mv {
    size_t row;
    double d;
} mv;

static int mv_cmp(const void *x, const void *y)
{
    const mv *a = x, *b = y;
    double da = fabs(a->d), db = fabs(b->d);
    if (da != db)
        return da > db ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

/* "+12.3%", "-4.0%", "new", "gone", "-" */
static void change_str(char *b, size_t n, double a, double bb, bool has_a, bool has_b)
{
    if (!has_a && has_b)
        snprintf(b, n, "new");
    else if (has_a && !has_b)
        snprintf(b, n, "gone");
    else if (isfinite(rel(a, bb)))
        snprintf(b, n, "%+.1f%%", 100.0 * rel(a, bb));
    else
        snprintf(b, n, "-");
}

static void fmt_val(char *b, size_t n, double v, int k)
{
    if (!isfinite(v))
        snprintf(b, n, "-");
    else if (k >= 0 && strcmp(tot_rows[k].field, "util") == 0)
        snprintf(b, n, "%.2f%%", 100.0 * v);
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(b, n, "%.0f", v);
    else
        snprintf(b, n, "%.1f", v);
}

/* A difference with its sign: "+12", "-3.5", "+1.25" (percentage points for util). */
static void fmt_delta(char *b, size_t n, double d, int k)
{
    if (!isfinite(d))
        snprintf(b, n, "-");
    else if (strcmp(tot_rows[k].field, "util") == 0)
        snprintf(b, n, "%+.2f", 100.0 * d);
    else if (d == floor(d) && fabs(d) < 1e15)
        snprintf(b, n, "%+.0f", d);
    else
        snprintf(b, n, "%+.1f", d);
}

static void json_side(npu_strbuf *out, const char *file, const npu_result *r)
{
    npu_sb_puts(out, "{\"file\": ");
    npu_rep_json_str(out, file);
    npu_sb_puts(out, ", \"arch\": ");
    npu_rep_json_str(out, r->arch);
    npu_sb_puts(out, ", \"model\": ");
    npu_rep_json_str(out, r->model);
    npu_sb_puts(out, ", \"graph\": ");
    npu_rep_json_str(out, r->graph);
    npu_sb_puts(out, ", \"freq_mhz\": ");
    npu_rep_json_nump(out, r->freq_mhz, 15);
    npu_sb_putc(out, '}');
}

static void json_abdc(npu_strbuf *out, double a, double b, bool has_a, bool has_b)
{
    npu_sb_puts(out, ", \"a\": ");
    npu_rep_json_num(out, has_a ? a : NAN);
    npu_sb_puts(out, ", \"b\": ");
    npu_rep_json_num(out, has_b ? b : NAN);
    npu_sb_puts(out, ", \"delta\": ");
    npu_rep_json_num(out, b - a);
    npu_sb_puts(out, ", \"change\": ");
    npu_rep_json_num(out, has_a && has_b ? rel(a, b) : NAN);
    npu_sb_putc(out, '}');
}

static void side_line(npu_strbuf *out, const char *tag, const char *file, const npu_result *r)
{
    npu_sb_printf(out, "%s: %s — %s on %s (model %s", tag, npu_rep_nz(file),
                  npu_rep_nz(r->graph), npu_rep_nz(r->arch), npu_rep_nz(r->model));
    if (r->freq_mhz > 0)
        npu_sb_printf(out, ", %g MHz", r->freq_mhz);
    npu_sb_printf(out, "), %d layers\n", r->nlayers);
}

int npu_rep_diff(const npu_result *a, const npu_result *b, const char *fa, const char *fb,
                 npu_format f, npu_strbuf *out)
{
    if (!a || !b || !out)
        return NPU_EINVAL;
    const npu_result *rs[2] = {a, b};
    npu_rep_cmp c;
    int rc = npu_rep_cmp_build(rs, 2, &c);
    mv *m = rc ? NULL : npu_calloc(c.nrows + 1, sizeof *m);
    if (!rc && !m)
        rc = NPU_ENOMEM;
    if (rc) {
        npu_rep_cmp_free(&c);
        return rc;
    }
    bool us = a->freq_mhz > 0 && b->freq_mhz > 0;
    const char *unit = us ? "µs" : "cycles";
    double dsum = 0;
    for (size_t r = 0; r < c.nrows; r++) {
        m[r].row = r;
        m[r].d = ltime(b, c.rows[r].idx[1], us) - ltime(a, c.rows[r].idx[0], us);
        dsum += m[r].d;
    }
    qsort(m, c.nrows, sizeof *m, mv_cmp);
    size_t nmoved = 0;
    while (nmoved < c.nrows && nmoved < MOVED_MAX && m[nmoved].d != 0)
        nmoved++;
    char s1[48], s2[48], s3[48], s4[48];

    if (f == NPU_FMT_TABLE) {
        size_t at = out->len;
        side_line(out, "A", fa, a);
        side_line(out, "B", fb, b);
        npu_sb_putc(out, '\n');
        char ha[16], hb[16], hd[16];
        snprintf(ha, sizeof ha, "A %s", unit);
        snprintf(hb, sizeof hb, "B %s", unit);
        snprintf(hd, sizeof hd, "Δ %s", unit);
        const char *const head[] = {"name", "op", ha, hb, hd, "change"};
        npu_tab t;
        npu_tab_init(&t, 6, head, "llrrrr");
        char **names =
            npu_tab_short_col(c.rows, sizeof *c.rows, offsetof(npu_rep_cmp_row, name),
                              (int)c.nrows, 28);
        t.oom |= !names;
        for (size_t r = 0; r < c.nrows && names; r++) {
            int ia = c.rows[r].idx[0], ib = c.rows[r].idx[1];
            double ta = ltime(a, ia, us), tb = ltime(b, ib, us);
            npu_tab_row(&t);
            npu_tab_cell(&t, "%s", names[r]);
            npu_tab_cell_str(&t, c.rows[r].op, 12);
            if (ia >= 0)
                npu_tab_cell(&t, "%.1f", ta);
            else
                npu_tab_cell(&t, "-");
            if (ib >= 0)
                npu_tab_cell(&t, "%.1f", tb);
            else
                npu_tab_cell(&t, "-");
            npu_tab_cell(&t, "%+.1f", tb - ta);
            change_str(s1, sizeof s1, ta, tb, ia >= 0, ib >= 0);
            npu_tab_cell(&t, "%s", s1);
        }
        npu_tab_hrule(&t);
        for (int k = 0; k < NTOT; k++) {
            double va = tot_val(a, k), vb = tot_val(b, k);
            npu_tab_row(&t);
            npu_tab_cell(&t, "%s", tot_rows[k].label);
            npu_tab_cell(&t, "%s", "");
            fmt_val(s1, sizeof s1, va, k);
            fmt_val(s2, sizeof s2, vb, k);
            npu_tab_cell(&t, "%s", s1);
            npu_tab_cell(&t, "%s", s2);
            fmt_delta(s3, sizeof s3, vb - va, k);
            npu_tab_cell(&t, "%s", s3);
            change_str(s4, sizeof s4, va, vb, true, true);
            npu_tab_cell(&t, "%s", s4);
        }
        rc = npu_tab_render(&t, out);
        npu_tab_free(&t);
        npu_tab_free_names(names, (int)c.nrows);
        if (!rc) {
            if (nmoved == 0) {
                npu_sb_puts(out, "\nno layer moved.\n");
            } else {
                npu_sb_printf(out, "\nmoved most (of a %+.1f %s change):\n", dsum, unit);
                for (size_t i = 0; i < nmoved; i++) {
                    const npu_rep_cmp_row *row = &c.rows[m[i].row];
                    int ia = row->idx[0], ib = row->idx[1];
                    change_str(s1, sizeof s1, ltime(a, ia, us), ltime(b, ib, us), ia >= 0,
                               ib >= 0);
                    npu_sb_printf(out, "  %-28s %+10.1f %s  %7s", row->name, m[i].d, unit, s1);
                    if (dsum != 0)
                        npu_sb_printf(out, "  (%.0f%% of the change)", 100.0 * m[i].d / dsum);
                    npu_sb_putc(out, '\n');
                }
            }
            npu_sb_printf(out,
                          "\nper layer: its share of the run (shares add up to the total, so the "
                          "layers' Δ add up\nto the total's); change = (B − A) / A; layers "
                          "matched by name, new/gone = in one file only.\n");
        }
        npu_tab_sanitize_from(out, at);
    } else if (f == NPU_FMT_CSV) {
        npu_sb_puts(out, "kind,name,op,a,b,delta,change\n");
        for (size_t r = 0; r < c.nrows; r++) {
            int ia = c.rows[r].idx[0], ib = c.rows[r].idx[1];
            double ta = ltime(a, ia, us), tb = ltime(b, ib, us);
            npu_sb_puts(out, "layer,");
            npu_rep_csv_str(out, c.rows[r].name);
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, c.rows[r].op);
            npu_sb_putc(out, ',');
            npu_rep_csv_num(out, ia >= 0 ? ta : NAN);
            npu_sb_putc(out, ',');
            npu_rep_csv_num(out, ib >= 0 ? tb : NAN);
            npu_sb_putc(out, ',');
            npu_rep_csv_num(out, tb - ta);
            npu_sb_putc(out, ',');
            npu_rep_csv_num(out, ia >= 0 && ib >= 0 ? rel(ta, tb) : NAN);
            npu_sb_putc(out, '\n');
        }
        for (int k = 0; k < NTOT; k++) {
            double va = tot_val(a, k), vb = tot_val(b, k);
            npu_sb_printf(out, "total,%s,,", tot_rows[k].field);
            npu_rep_csv_num(out, va);
            npu_sb_putc(out, ',');
            npu_rep_csv_num(out, vb);
            npu_sb_putc(out, ',');
            npu_rep_csv_num(out, vb - va);
            npu_sb_putc(out, ',');
            npu_rep_csv_num(out, rel(va, vb));
            npu_sb_putc(out, '\n');
        }
    } else if (f == NPU_FMT_JSON) {
        npu_sb_puts(out, "{\n  \"schema\": \"" NPU_DIFF_SCHEMA "\",\n  \"version\": \"" NPUSIM_VERSION
                         "\",\n  \"a\": ");
        json_side(out, fa, a);
        npu_sb_puts(out, ",\n  \"b\": ");
        json_side(out, fb, b);
        npu_sb_printf(out, ",\n  \"unit\": \"%s\",\n  \"total\": [", us ? "us" : "cycles");
        for (int k = 0; k < NTOT; k++) {
            npu_sb_puts(out, k ? ",\n    {\"name\": " : "\n    {\"name\": ");
            npu_rep_json_str(out, tot_rows[k].field);
            json_abdc(out, tot_val(a, k), tot_val(b, k), true, true);
        }
        npu_sb_puts(out, "\n  ],\n  \"layers\": [");
        for (size_t r = 0; r < c.nrows; r++) {
            int ia = c.rows[r].idx[0], ib = c.rows[r].idx[1];
            npu_sb_puts(out, r ? ",\n    {\"name\": " : "\n    {\"name\": ");
            npu_rep_json_str(out, c.rows[r].name);
            npu_sb_puts(out, ", \"op\": ");
            npu_rep_json_str(out, c.rows[r].op);
            json_abdc(out, ltime(a, ia, us), ltime(b, ib, us), ia >= 0, ib >= 0);
        }
        npu_sb_puts(out, c.nrows ? "\n  ],\n  \"moved\": [" : "],\n  \"moved\": [");
        for (size_t i = 0; i < nmoved; i++) {
            if (i)
                npu_sb_puts(out, ", ");
            npu_rep_json_str(out, c.rows[m[i].row].name);
        }
        npu_sb_puts(out, "]\n}\n");
    } else {
        rc = NPU_EINVAL;
    }
    free(m);
    npu_rep_cmp_free(&c);
    if (!rc && out->oom)
        rc = NPU_ENOMEM;
    return rc;
}
