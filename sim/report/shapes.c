/* shapes.c — layer shapes in a result (npu_rep_fill_shapes, report.h): the input and output
 * dims, kernel and stride every per-layer CSV/JSON carries (schema npusim.result/3), as RKNN's
 * and msprof's per-op reports show them beside the time, after the common fields. A saved
 * program (`exec`) does not carry its graph, so a result of it has the columns empty (null).
 *
 * They are graph facts, not simulation facts: the rows are matched to the graph's layers by
 * name (a program's layer records carry the graph layer's name). Spelling: dims joined by 'x'
 * ("1x64x56x56"), several tensors joined by ';' (no CSV quoting needed), kernel and stride
 * "KHxKW" / "SHxSW" for convolutions and poolings (a global pool's kernel is its input's
 * H x W), NULL otherwise. Constant inputs (weights, tables) are not listed: the kernel says
 * what the weights are.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/graph.h"

typedef struct byname {
    const char *name;
    int li;
} byname;

static int byname_cmp(const void *a, const void *b)
{
    return strcmp(((const byname *)a)->name, ((const byname *)b)->name);
}

/* The dims of tensors ts[0..n) (kind != CONST when skip_const) joined by ';' in r's arena;
 * NULL when there is none. */
static const char *dims_of(npu_result *r, const npu_graph *g, const int *ts, int n,
                           int skip_const, int *oom)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    char buf[256];
    int k = 0;
    for (int i = 0; i < n; i++) {
        int ti = ts[i];
        if (ti < 0 || ti >= g->nt || (skip_const && g->t[ti].kind == NPU_T_CONST))
            continue;
        npu_rep_shape_str(g, ti, buf, sizeof buf);
        if (k++)
            npu_sb_putc(&sb, ';');
        npu_sb_puts(&sb, buf);
    }
    const char *s = NULL;
    if (k && !sb.oom)
        s = npu_arena_strdup(&r->arena, sb.s);
    *oom |= sb.oom || (k && !s);
    npu_sb_free(&sb);
    return s;
}

static const char *pair_of(npu_result *r, int a, int b, int *oom)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%dx%d", a, b);
    const char *s = npu_arena_strdup(&r->arena, buf);
    *oom |= !s;
    return s;
}

const char *const npu_rep_shape_names[NPU_REP_SHAPE_COLS] = {"in_shape", "out_shape", "kernel",
                                                             "stride"};

int npu_rep_fill_shapes(npu_result *r, const npu_graph *g)
{
    if (!r || !g || r->nlayers <= 0 || g->nl <= 0)
        return NPU_OK;
    r->shapes = npu_arena_alloc(&r->arena, (size_t)r->nlayers * NPU_REP_SHAPE_COLS *
                                               sizeof *r->shapes); /* zeroed: all NULL */
    byname *ix = r->shapes ? npu_malloc((size_t)g->nl * sizeof *ix) : NULL;
    if (!ix)
        return NPU_ENOMEM;
    int n = 0;
    for (int i = 0; i < g->nl; i++)
        if (g->l[i].name && !(g->l[i].flags & NPU_LF_DEAD))
            ix[n++] = (byname){g->l[i].name, i};
    qsort(ix, (size_t)n, sizeof *ix, byname_cmp);
    int oom = 0;
    for (int i = 0; i < r->nlayers && !oom; i++) {
        const npu_layer_row *row = &r->layers[i];
        const char **sh = r->shapes + (size_t)i * NPU_REP_SHAPE_COLS;
        if (!row->name)
            continue;
        byname key = {row->name, 0};
        const byname *hit = bsearch(&key, ix, (size_t)n, sizeof *ix, byname_cmp);
        if (!hit)
            continue;
        const npu_layer *l = &g->l[hit->li];
        sh[0] = dims_of(r, g, l->in, l->nin, 1, &oom);
        sh[1] = dims_of(r, g, l->out, l->nout, 0, &oom);
        npu_conv_geom cg;
        if (npu_layer_conv_geom(g, hit->li, &cg) == NPU_OK) {
            sh[2] = pair_of(r, cg.kh, cg.kw, &oom);
            sh[3] = pair_of(r, cg.sh, cg.sw, &oom);
        }
    }
    free(ix);
    return oom ? NPU_ENOMEM : NPU_OK;
}
