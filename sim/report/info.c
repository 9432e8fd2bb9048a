/* info.c — the graph summary of `npusim info` (npu_report_graph, declared in sim/npusim.h):
 * every live layer after the standard passes with its output shape, dtype, MACs, parameters
 * and notes, the totals and an op histogram, as table, CSV or JSON (schema npusim.graph/1).
 */
#include "report.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tab.h"

/* ---- graph summary (npusim info) ------------------------------------------------------------ */

void npu_rep_shape_str(const npu_graph *g, int ti, char *buf, size_t n)
{
    if (ti < 0 || ti >= g->nt) {
        snprintf(buf, n, "?");
        return;
    }
    const npu_tensor *t = &g->t[ti];
    if (!t->shape_known) {
        snprintf(buf, n, "?");
        return;
    }
    if (t->ndim == 0) {
        snprintf(buf, n, "scalar");
        return;
    }
    /* "1x3x224x224", digits by hand (a JSON or CSV report formats every layer's shapes: snprintf
     * per dim was a third of the writer's time); cut at n - 1 bytes as snprintf would cut */
    size_t len = 0;
    buf[0] = 0;
    for (int d = 0; d < t->ndim && d < NPU_MAX_DIMS && len < n; d++) {
        char p[24], *e = p + sizeof p, *q = npu_rep_digits(e, (long long)t->dim[d]);
        if (d)
            *--q = 'x';
        size_t w = (size_t)(e - q), fit = w < n - len - 1 ? w : n - len - 1;
        memcpy(buf + len, q, fit);
        buf[len + fit] = 0;
        len += w;
    }
}

/* The shape as a JSON array of dims ([] for a scalar, null when not inferred). */
static void shape_json(const npu_graph *g, int ti, npu_strbuf *out)
{
    if (ti < 0 || ti >= g->nt || !g->t[ti].shape_known) {
        npu_sb_puts(out, "null");
        return;
    }
    const npu_tensor *t = &g->t[ti];
    npu_sb_putc(out, '[');
    for (int d = 0; d < t->ndim && d < NPU_MAX_DIMS; d++)
        npu_sb_printf(out, "%s%lld", d ? ", " : "", (long long)t->dim[d]);
    npu_sb_putc(out, ']');
}

static const char *layer_op(const npu_layer *l)
{
    if ((l->flags & NPU_LF_HOST) && l->src_op && *l->src_op)
        return l->src_op;
    return npu_op_name(l->op);
}

/* Notes a newcomer wants to see: fused activation, views, host fallback, BN folding. */
static void layer_notes(const npu_layer *l, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
#define NOTE(...)                                                                              \
    do {                                                                                       \
        if (len < n) {                                                                         \
            int w_ = snprintf(buf + len, n - len, "%s", len ? " " : "");                       \
            if (w_ > 0)                                                                        \
                len += (size_t)w_;                                                             \
        }                                                                                      \
        if (len < n) {                                                                         \
            int w_ = snprintf(buf + len, n - len, __VA_ARGS__);                                \
            if (w_ > 0)                                                                        \
                len += (size_t)w_;                                                             \
        }                                                                                      \
    } while (0)
    if (l->act != NPU_ACT_NONE)
        NOTE("+%s", npu_act_name(l->act));
    if (l->flags & NPU_LF_BN_FOLDED)
        NOTE("bn-folded");
    if (l->flags & NPU_LF_VIEW)
        NOTE("view");
    if (l->flags & NPU_LF_HOST)
        NOTE("host");
    if (l->flags & NPU_LF_INSERTED)
        NOTE("inserted");
#undef NOTE
}

typedef struct op_count {
    const char *op;
    long n;
} op_count;

static int op_count_cmp(const void *a, const void *b)
{
    const op_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->op, y->op);
}

static void io_list_json(const npu_graph *g, const int *ts, int nts, npu_strbuf *out)
{
    npu_sb_putc(out, '[');
    for (int i = 0; i < nts; i++) {
        int ti = ts[i];
        if (i)
            npu_sb_puts(out, ", ");
        npu_sb_puts(out, "{\"name\": ");
        npu_rep_json_str(out, ti >= 0 && ti < g->nt ? g->t[ti].name : NULL);
        npu_sb_puts(out, ", \"shape\": ");
        shape_json(g, ti, out);
        npu_sb_puts(out, ", \"dtype\": ");
        npu_rep_json_str(out, ti >= 0 && ti < g->nt ? npu_dtype_name(g->t[ti].dtype) : NULL);
        npu_sb_putc(out, '}');
    }
    npu_sb_putc(out, ']');
}

static int report_graph(const npu_graph *g, npu_format f, npu_strbuf *out)
{
    if (!g || !out || g->nl < 0 || (g->nl > 0 && !g->l))
        return NPU_EINVAL;
    op_count *ops = npu_calloc((size_t)g->nl + 1, sizeof *ops);
    if (!ops)
        return NPU_ENOMEM;
    int nops = 0, live = 0;
    int64_t macs = 0, params = 0;
    for (int i = 0; i < g->nl; i++) {
        const npu_layer *l = &g->l[i];
        if (l->flags & NPU_LF_DEAD)
            continue;
        live++;
        macs += l->macs;
        params += l->params;
        const char *op = layer_op(l);
        if (!op)
            op = "?";
        int j = 0;
        while (j < nops && strcmp(ops[j].op, op) != 0)
            j++;
        if (j == nops) {
            ops[nops].op = op;
            ops[nops++].n = 0;
        }
        ops[j].n++;
    }
    qsort(ops, (size_t)nops, sizeof *ops, op_count_cmp);

    char shape[256], notes[128], b1[32], b2[32];
    int rc = NPU_OK;
    if (f == NPU_FMT_TABLE) {
        static const char *const head[] = {"#",   "name", "op",     "output",
                                           "dtype", "MACs", "params", "notes"};
        npu_tab t;
        npu_tab_init(&t, 8, head, "rllllrrl");
        int k = 0;
        char **names = npu_tab_short_col(g->l, sizeof *g->l, offsetof(npu_layer, name), g->nl, 32);
        t.oom |= !names;
        for (int i = 0; i < g->nl && names; i++) {
            const npu_layer *l = &g->l[i];
            if (l->flags & NPU_LF_DEAD)
                continue;
            npu_tab_row(&t);
            npu_tab_cell(&t, "%d", k++);
            npu_tab_cell(&t, "%s", names[i]);
            npu_tab_cell_str(&t, layer_op(l), 14);
            npu_rep_shape_str(g, l->nout > 0 ? l->out[0] : -1, shape, sizeof shape);
            npu_tab_cell(&t, "%s", shape);
            npu_tab_cell(&t, "%s", npu_dtype_name(l->dtype));
            npu_tab_count(b1, sizeof b1, (double)l->macs);
            npu_tab_cell(&t, "%s", b1);
            npu_tab_count(b2, sizeof b2, (double)l->params);
            npu_tab_cell(&t, "%s", b2);
            layer_notes(l, notes, sizeof notes);
            npu_tab_cell(&t, "%s", notes);
        }
        npu_tab_hrule(&t);
        npu_tab_row(&t);
        npu_tab_cell(&t, "%s", "");
        npu_tab_cell(&t, "total (%d layers)", live);
        npu_tab_cell(&t, "%s", "");
        npu_tab_cell(&t, "%s", "");
        npu_tab_cell(&t, "%s", "");
        npu_tab_count(b1, sizeof b1, (double)macs);
        npu_tab_cell(&t, "%s", b1);
        npu_tab_count(b2, sizeof b2, (double)params);
        npu_tab_cell(&t, "%s", b2);
        npu_sb_printf(out, "graph %s", npu_rep_nz(g->name));
        if (g->file && *g->file)
            npu_sb_printf(out, " (%s)", g->file);
        npu_sb_puts(out, "\ninputs: ");
        for (int i = 0; i < g->ninputs; i++) {
            int ti = g->inputs[i];
            npu_rep_shape_str(g, ti, shape, sizeof shape);
            npu_sb_printf(out, "%s%s %s %s", i ? ", " : "",
                          ti >= 0 && ti < g->nt ? npu_rep_nz(g->t[ti].name) : "?", shape,
                          ti >= 0 && ti < g->nt ? npu_dtype_name(g->t[ti].dtype) : "?");
        }
        npu_sb_puts(out, "\noutputs: ");
        for (int i = 0; i < g->noutputs; i++) {
            int ti = g->outputs[i];
            npu_rep_shape_str(g, ti, shape, sizeof shape);
            npu_sb_printf(out, "%s%s %s", i ? ", " : "",
                          ti >= 0 && ti < g->nt ? npu_rep_nz(g->t[ti].name) : "?", shape);
        }
        /* what one run produces, in the unit the run summary's rate counts (issue 11) */
        npu_graph_work w;
        npu_graph_work_of(g, &w);
        npu_sb_printf(out, "\nbatch: %lld (%lld %s%s per run)", (long long)w.batch,
                      (long long)w.items, w.unit, w.items == 1 ? "" : "s");
        npu_sb_puts(out, "\n\n");
        rc = npu_tab_render(&t, out);
        npu_tab_free(&t);
        npu_tab_free_names(names, g->nl);
        npu_sb_printf(out, "\n%lld MACs, %lld parameters\nops:", (long long)macs,
                      (long long)params);
        for (int j = 0; j < nops; j++)
            npu_sb_printf(out, "%s %s %ld", j ? "," : "", ops[j].op, ops[j].n);
        npu_sb_putc(out, '\n');
    } else if (f == NPU_FMT_CSV) {
        npu_sb_puts(out, "index,name,op,act,output,dtype,macs,params,notes\n");
        int k = 0;
        for (int i = 0; i < g->nl; i++) {
            const npu_layer *l = &g->l[i];
            if (l->flags & NPU_LF_DEAD)
                continue;
            npu_sb_printf(out, "%d,", k++);
            npu_rep_csv_str(out, l->name);
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, layer_op(l));
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, npu_act_name(l->act));
            npu_rep_shape_str(g, l->nout > 0 ? l->out[0] : -1, shape, sizeof shape);
            npu_sb_printf(out, ",%s,%s,%lld,%lld,", shape, npu_dtype_name(l->dtype),
                          (long long)l->macs, (long long)l->params);
            layer_notes(l, notes, sizeof notes);
            npu_rep_csv_str(out, notes);
            npu_sb_putc(out, '\n');
        }
    } else if (f == NPU_FMT_JSON) {
        npu_sb_puts(out, "{\n  \"schema\": \"npusim.graph/1\",\n  \"version\": \"" NPUSIM_VERSION
                         "\",\n  \"graph\": ");
        npu_rep_json_str(out, g->name);
        npu_sb_puts(out, ",\n  \"inputs\": ");
        io_list_json(g, g->inputs, g->ninputs, out);
        npu_sb_puts(out, ",\n  \"outputs\": ");
        io_list_json(g, g->outputs, g->noutputs, out);
        npu_graph_work w;
        npu_graph_work_of(g, &w);
        npu_sb_printf(out,
                      ",\n  \"total\": {\"layers\": %d, \"macs\": %lld, \"params\": %lld, "
                      "\"batch\": %lld, \"items\": %lld, \"unit\": ",
                      live, (long long)macs, (long long)params, (long long)w.batch,
                      (long long)w.items);
        npu_rep_json_str(out, w.unit);
        npu_sb_putc(out, '}');
        npu_sb_puts(out, ",\n  \"ops\": {");
        for (int j = 0; j < nops; j++) {
            if (j)
                npu_sb_puts(out, ", ");
            npu_rep_json_str(out, ops[j].op);
            npu_sb_printf(out, ": %ld", ops[j].n);
        }
        npu_sb_puts(out, "},\n  \"layers\": [");
        int k = 0;
        for (int i = 0; i < g->nl; i++) {
            const npu_layer *l = &g->l[i];
            if (l->flags & NPU_LF_DEAD)
                continue;
            npu_sb_printf(out, "%s{\"index\": %d, \"name\": ", k ? ",\n    " : "\n    ", k);
            k++;
            npu_rep_json_str(out, l->name);
            npu_sb_puts(out, ", \"op\": ");
            npu_rep_json_str(out, layer_op(l));
            npu_sb_puts(out, ", \"act\": ");
            npu_rep_json_str(out, npu_act_name(l->act));
            npu_sb_puts(out, ", \"output\": ");
            shape_json(g, l->nout > 0 ? l->out[0] : -1, out);
            npu_sb_puts(out, ", \"dtype\": ");
            npu_rep_json_str(out, npu_dtype_name(l->dtype));
            npu_sb_printf(out, ", \"macs\": %lld, \"params\": %lld, \"notes\": ",
                          (long long)l->macs, (long long)l->params);
            layer_notes(l, notes, sizeof notes);
            npu_rep_json_str(out, notes);
            npu_sb_putc(out, '}');
        }
        npu_sb_puts(out, k ? "\n  ]\n}\n" : "]\n}\n");
    } else {
        rc = NPU_EINVAL;
    }
    free(ops);
    if (!rc && out->oom)
        rc = NPU_ENOMEM;
    return rc;
}

int npu_report_graph(const npu_graph *g, npu_format f, npu_strbuf *out)
{
    size_t at = out ? out->len : 0;
    int rc = report_graph(g, f, out);
    if (out && f == NPU_FMT_TABLE)
        npu_tab_sanitize_from(out, at);
    return rc;
}
