/* compare.c — one layer-by-layer comparison of results (npu_rep_cmp_build) and its table, CSV
 * and JSON (npu_report_compare, declared in sim/npusim.h). `npusim compare` and Lua
 * npusim.compare are both built on npu_rep_cmp_build, so both name the same winners.
 *
 * Rows are the layers of the first result in order, then layers only found in later results;
 * "best" is the architecture with the shortest time for that layer (cycles ÷ its own clock,
 * because presets run at different clocks), ties → none ("-"), a fused-away layer → none.
 */
#include "report.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tab.h"

/* ---- compare ------------------------------------------------------------------------------- */

static int by_name(const void *x, const void *y)
{
    const npu_layer_row *a = *(const npu_layer_row *const *)x, *b = *(const npu_layer_row *const *)y;
    int c = strcmp(a->name, b->name);
    return c ? c : (a > b) - (a < b);
}

const npu_layer_row **npu_rep_name_index(const npu_result *r, int *n)
{
    const npu_layer_row **s = malloc(((size_t)r->nlayers + 1) * sizeof *s);
    *n = 0;
    if (!s)
        return NULL;
    for (int i = 0; i < r->nlayers; i++)
        if (r->layers[i].name)
            s[(*n)++] = &r->layers[i];
    qsort(s, (size_t)*n, sizeof *s, by_name);
    return s;
}

/* Index of the first layer `name` in r, trying `hint` first (layers usually line up), then in
 * r's name index ix (n entries): a scan per layer made two 2^18-layer results whose order
 * differs take more than 100 s. */
static int find_layer(const npu_result *r, const npu_layer_row *const *ix, int n,
                      const char *name, int hint)
{
    if (!name)
        return -1;
    if (hint >= 0 && hint < r->nlayers && r->layers[hint].name &&
        strcmp(r->layers[hint].name, name) == 0)
        return hint; /* the first of its name unless a result repeats names (diff refuses) */
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp(ix[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(ix[lo]->name, name) == 0 ? (int)(ix[lo] - r->layers) : -1;
}

/* Time of a cycle count of result r in µs (or cycles when the clock is unknown). */
static double cmp_time(const npu_result *r, int64_t cycles)
{
    return r->freq_mhz > 0 ? (double)cycles / r->freq_mhz : (double)cycles;
}

/* Labels: the arch names, "name#2" … when one appears twice (same preset, other --set). */
static char **cmp_labels(const npu_result *const *rs, int n)
{
    char **lab = npu_calloc((size_t)n, sizeof(char *));
    if (!lab)
        return NULL;
    for (int k = 0; k < n; k++) {
        const char *a = rs[k]->arch ? rs[k]->arch : "?";
        int dup = 1;
        for (int j = 0; j < k; j++)
            if (strcmp(rs[j]->arch ? rs[j]->arch : "?", a) == 0)
                dup++;
        char buf[256];
        if (dup > 1)
            snprintf(buf, sizeof buf, "%s#%d", a, dup);
        else
            snprintf(buf, sizeof buf, "%s", a);
        lab[k] = npu_strdup(buf);
        if (!lab[k]) {
            for (int j = 0; j < k; j++)
                free(lab[j]);
            free(lab);
            return NULL;
        }
    }
    return lab;
}

/* The best of candidates t[k] (k with has[k]); -1 when none, or when more than one and all
 * equal (a tie), or when `fused` (a 0-cycle layer on some result). First listed wins a tie
 * between some of them. */
static int cmp_best(const double *t, const bool *has, int n, bool fused)
{
    int best = -1, present = 0;
    double worst = 0;
    for (int k = 0; k < n; k++) {
        if (!has[k])
            continue;
        if (best < 0 || t[k] < t[best])
            best = k;
        if (present++ == 0 || t[k] > worst)
            worst = t[k];
    }
    if (fused || (present > 1 && worst == t[best]))
        return -1;
    return best;
}

void npu_rep_cmp_free(npu_rep_cmp *c)
{
    if (!c)
        return;
    if (c->lab)
        for (int k = 0; k < c->n; k++)
            free(c->lab[k]);
    free(c->lab);
    free(c->rows);
    free(c->idx_);
    free(c->best);
    memset(c, 0, sizeof *c);
}

int npu_rep_cmp_build(const npu_result *const *rs, int n, npu_rep_cmp *c)
{
    if (!c)
        return NPU_EINVAL;
    memset(c, 0, sizeof *c);
    if (!rs || n <= 0)
        return NPU_EINVAL;
    for (int k = 0; k < n; k++)
        if (!rs[k] || rs[k]->nlayers < 0 || (rs[k]->nlayers > 0 && !rs[k]->layers))
            return NPU_EINVAL;
    c->n = n;
    /* Rows: union of layer names, first-seen order. */
    size_t cap = 0;
    for (int k = 0; k < n; k++)
        cap += (size_t)rs[k]->nlayers;
    c->rows = npu_calloc(cap ? cap : 1, sizeof *c->rows);
    c->idx_ = npu_calloc((cap ? cap : 1) * (size_t)n, sizeof(int));
    c->best = npu_calloc(cap + 1, sizeof(int));
    c->lab = cmp_labels(rs, n);
    double *t = npu_calloc((size_t)n, sizeof(double));
    bool *has = npu_calloc((size_t)n, sizeof(bool));
    const npu_layer_row ***ix = npu_calloc((size_t)n, sizeof *ix);
    int *nix = npu_calloc((size_t)n, sizeof *nix);
    bool ok = c->rows && c->idx_ && c->best && c->lab && t && has && ix && nix;
    for (int k = 0; ok && k < n; k++)
        ok = (ix[k] = npu_rep_name_index(rs[k], &nix[k])) != NULL;
    if (!ok) {
        for (int k = 0; ix && k < n; k++)
            free(ix[k]);
        free(ix);
        free(nix);
        free(t);
        free(has);
        return NPU_ENOMEM;
    }
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < rs[k]->nlayers; i++) {
            const char *name = rs[k]->layers[i].name;
            int seen = 0;
            if (k > 0)
                for (int j = 0; j < k && !seen; j++)
                    seen = find_layer(rs[j], ix[j], nix[j], name, i) >= 0;
            if (seen)
                continue;
            npu_rep_cmp_row *row = &c->rows[c->nrows];
            row->name = name;
            row->op = rs[k]->layers[i].op;
            row->idx = c->idx_ + c->nrows * (size_t)n;
            for (int j = 0; j < n; j++)
                row->idx[j] = j < k ? -1 : (j == k ? i : find_layer(rs[j], ix[j], nix[j], name, i));
            c->nrows++;
        }
    }
    for (size_t r = 0; r < c->nrows; r++) {
        bool fused = false;
        for (int k = 0; k < n; k++) {
            int i = c->rows[r].idx[k];
            has[k] = i >= 0;
            if (has[k]) {
                t[k] = cmp_time(rs[k], rs[k]->layers[i].cycles);
                fused |= rs[k]->layers[i].cycles == 0;
            }
        }
        c->best[r] = cmp_best(t, has, n, fused);
    }
    for (int k = 0; k < n; k++) {
        has[k] = true;
        t[k] = cmp_time(rs[k], rs[k]->total.cycles);
    }
    c->tbest = n > 1 ? cmp_best(t, has, n, false) : 0;
    for (int k = 0; k < n; k++)
        free(ix[k]);
    free(ix);
    free(nix);
    free(t);
    free(has);
    return NPU_OK;
}

static int report_compare(const npu_result *const *rs, int n, npu_format f, npu_strbuf *out)
{
    if (!out)
        return NPU_EINVAL;
    npu_rep_cmp c;
    int rc = npu_rep_cmp_build(rs, n, &c);
    if (rc) {
        npu_rep_cmp_free(&c);
        return rc;
    }
    size_t nrows = c.nrows;
    const npu_rep_cmp_row *rows = c.rows;
    const int *best = c.best;
    char **lab = c.lab;
    const char *tlab = c.tbest >= 0 ? lab[c.tbest] : NULL;

    if (f == NPU_FMT_TABLE) {
        int nc = n + 3;
        const char **head = npu_calloc((size_t)nc, sizeof(char *));
        char *align = npu_calloc((size_t)nc + 1, 1);
        if (!head || !align) {
            free(head);
            free(align);
            rc = NPU_ENOMEM;
            goto done;
        }
        head[0] = "name";
        head[1] = "op";
        align[0] = align[1] = 'l';
        for (int k = 0; k < n; k++) {
            head[2 + k] = lab[k];
            align[2 + k] = 'r';
        }
        head[nc - 1] = "best";
        align[nc - 1] = 'l';
        npu_tab t;
        npu_tab_init(&t, nc, head, align);
        char **names =
            npu_tab_short_col(rows, sizeof *rows, offsetof(npu_rep_cmp_row, name), (int)nrows, 28);
        t.oom |= !names;
        for (size_t r = 0; r < nrows && names; r++) {
            npu_tab_row(&t);
            npu_tab_cell(&t, "%s", names[r]);
            npu_tab_cell_str(&t, rows[r].op, 12);
            for (int k = 0; k < n; k++) {
                if (rows[r].idx[k] >= 0)
                    npu_tab_cell(&t, "%lld", (long long)rs[k]->layers[rows[r].idx[k]].cycles);
                else
                    npu_tab_cell(&t, "-");
            }
            npu_tab_cell(&t, "%s", best[r] >= 0 ? lab[best[r]] : "-");
        }
        npu_tab_hrule(&t);
        /* the rate row in the graph's unit (the same graph on every architecture) */
        char rate[48];
        snprintf(rate, sizeof rate, "%ss/s",
                 rs[0]->total.unit && *rs[0]->total.unit ? rs[0]->total.unit : "inference");
        const char *const tname[] = {"total cycles", "time µs", rate};
        for (int w = 0; w < 3; w++) {
            npu_tab_row(&t);
            npu_tab_cell(&t, "%s", tname[w]);
            npu_tab_cell(&t, "%s", "");
            for (int k = 0; k < n; k++) {
                const npu_total_row *T = &rs[k]->total;
                if (w == 0)
                    npu_tab_cell(&t, "%lld", (long long)T->cycles);
                else if (!isfinite(w == 1 ? T->time_us : T->items_per_s))
                    npu_tab_cell(&t, "-");
                else
                    npu_tab_cell(&t, "%.1f", w == 1 ? T->time_us : T->items_per_s);
            }
            npu_tab_cell(&t, "%s", tlab ? tlab : "-");
        }
        npu_sb_printf(out, "graph %s:", npu_rep_nz(rs[0]->graph));
        for (int k = 0; k < n; k++) {
            npu_sb_printf(out, "%s %s (model %s", k ? "," : "", lab[k], npu_rep_nz(rs[k]->model));
            if (rs[k]->freq_mhz > 0)
                npu_sb_printf(out, ", %g MHz", rs[k]->freq_mhz);
            npu_sb_putc(out, ')');
        }
        npu_sb_puts(out, "\n\n");
        rc = npu_tab_render(&t, out);
        npu_tab_free(&t);
        npu_tab_free_names(names, (int)nrows);
        free(head);
        free(align);
        if (!rc)
            npu_sb_puts(
                out,
                "\nper-layer cycles in each architecture's own core clock; best = "
                "shortest time (cycles / clock); - = a tie, or a layer fused away (0 cycles: its "
                "time is in the layer it was fused into) on some architecture.\n");
    } else if (f == NPU_FMT_CSV) {
        npu_sb_puts(out, "kind,name,op");
        for (int k = 0; k < n; k++) {
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, lab[k]);
        }
        npu_sb_puts(out, ",best\n");
        for (size_t r = 0; r < nrows; r++) {
            npu_sb_puts(out, "layer,");
            npu_rep_csv_str(out, rows[r].name);
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, rows[r].op);
            for (int k = 0; k < n; k++) {
                npu_sb_putc(out, ',');
                if (rows[r].idx[k] >= 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->layers[rows[r].idx[k]].cycles);
            }
            npu_sb_putc(out, ',');
            if (best[r] >= 0)
                npu_rep_csv_str(out, lab[best[r]]);
            npu_sb_putc(out, '\n');
        }
        static const char *const tname[] = {"cycles", "time_us", "fps"};
        for (int w = 0; w < 3; w++) {
            npu_sb_printf(out, "total,%s,", tname[w]);
            for (int k = 0; k < n; k++) {
                npu_sb_putc(out, ',');
                if (w == 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->total.cycles);
                else
                    npu_rep_csv_num(out, w == 1 ? rs[k]->total.time_us : rs[k]->total.fps);
            }
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, tlab);
            npu_sb_putc(out, '\n');
        }
    } else if (f == NPU_FMT_JSON) {
        npu_sb_puts(out, "{\n  \"schema\": \"npusim.compare/1\",\n  \"version\": \"" NPUSIM_VERSION
                         "\",\n  \"graph\": ");
        npu_rep_json_str(out, rs[0]->graph);
        npu_sb_puts(out, ",\n  \"archs\": [");
        for (int k = 0; k < n; k++) {
            if (k)
                npu_sb_puts(out, ", ");
            npu_sb_puts(out, "{\"label\": ");
            npu_rep_json_str(out, lab[k]);
            npu_sb_puts(out, ", \"arch\": ");
            npu_rep_json_str(out, rs[k]->arch);
            npu_sb_puts(out, ", \"model\": ");
            npu_rep_json_str(out, rs[k]->model);
            npu_sb_puts(out, ", \"freq_mhz\": ");
            npu_rep_json_nump(out, rs[k]->freq_mhz, 15);
            npu_sb_putc(out, '}');
        }
        npu_sb_puts(out, "],\n  \"total\": {");
        static const char *const tname[] = {"cycles", "time_us", "fps"};
        for (int w = 0; w < 3; w++) {
            npu_sb_printf(out, "\"%s\": {", tname[w]);
            for (int k = 0; k < n; k++) {
                if (k)
                    npu_sb_puts(out, ", ");
                npu_rep_json_str(out, lab[k]);
                npu_sb_puts(out, ": ");
                if (w == 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->total.cycles);
                else
                    npu_rep_json_num(out, w == 1 ? rs[k]->total.time_us : rs[k]->total.fps);
            }
            npu_sb_puts(out, "}, ");
        }
        npu_sb_puts(out, "\"best\": ");
        npu_rep_json_str(out, tlab);
        npu_sb_puts(out, "},\n  \"layers\": [");
        for (size_t r = 0; r < nrows; r++) {
            npu_sb_puts(out, r ? ",\n    {\"name\": " : "\n    {\"name\": ");
            npu_rep_json_str(out, rows[r].name);
            npu_sb_puts(out, ", \"op\": ");
            npu_rep_json_str(out, rows[r].op);
            npu_sb_puts(out, ", \"cycles\": {");
            for (int k = 0; k < n; k++) {
                if (k)
                    npu_sb_puts(out, ", ");
                npu_rep_json_str(out, lab[k]);
                npu_sb_puts(out, ": ");
                if (rows[r].idx[k] >= 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->layers[rows[r].idx[k]].cycles);
                else
                    npu_sb_puts(out, "null");
            }
            npu_sb_puts(out, "}, \"best\": ");
            npu_rep_json_str(out, best[r] >= 0 ? lab[best[r]] : NULL);
            npu_sb_putc(out, '}');
        }
        npu_sb_puts(out, nrows ? "\n  ]\n}\n" : "]\n}\n");
    } else {
        rc = NPU_EINVAL;
    }
done:
    npu_rep_cmp_free(&c);
    if (!rc && out->oom)
        rc = NPU_ENOMEM;
    return rc;
}

int npu_report_compare(const npu_result *const *rs, int n, npu_format f, npu_strbuf *out)
{
    size_t at = out ? out->len : 0;
    int rc = report_compare(rs, n, f, out);
    if (out && f == NPU_FMT_TABLE)
        npu_tab_sanitize_from(out, at);
    return rc;
}
