/* footprint.c — `npusim info -a ARCH GRAPH`: the deployment footprint (sim/core/footprint.h) as
 * table, CSV (one row per layer: its live set) or JSON (schema npusim.footprint/1).
 */
#include "report.h"

#include <stdio.h>

#include "../core/footprint.h"
#include "tab.h"

/* name, value, RKNN / ATC name */
typedef struct fp_item {
    const char *key;
    int64_t v;
    const char *what;
} fp_item;

static int items(const npu_fp *fp, int64_t usable, fp_item *it)
{
    int n = 0;
    it[n++] = (fp_item){"total_weight_size", fp->weight_bytes,
                        "weights as stored (RKNN total_weight_size; ATC weight size)"};
    it[n++] = (fp_item){"total_internal_size", fp->internal_bytes,
                        "intermediate arena after lifetime reuse (RKNN total_internal_size)"};
    it[n++] = (fp_item){"internal_no_reuse", fp->internal_sum, "the same without reuse"};
    it[n++] = (fp_item){"live_peak", fp->live_peak, "most bytes live at one layer"};
    it[n++] = (fp_item){"io_size", fp->io_bytes, "graph inputs and outputs"};
    it[n++] = (fp_item){"task_size", fp->task_bytes, "command buffers / task descriptors"};
    it[n++] = (fp_item){"memory_size", fp->internal_bytes + fp->io_bytes,
                        "ATC memory size (internal + io)"};
    it[n++] = (fp_item){"footprint_bytes", fp->total_bytes,
                        "peak held: weights + internal + io + tasks"};
    it[n++] = (fp_item){"dram_usable_bytes", usable, "DRAM the OS leaves (0 unknown)"};
    return n;
}

static const char *fits_word(int fits)
{
    return fits > 0 ? "yes" : fits == 0 ? "NO" : "unknown (the preset has no dram.capacity_mb)";
}

int npu_rep_footprint(const npu_graph *g, const npu_fp *fp, const char *arch, int64_t usable,
                      int fits, npu_format f, npu_strbuf *out)
{
    fp_item it[16];
    int n = items(fp, usable, it);
    if (f == NPU_FMT_JSON) {
        npu_sb_puts(out, "{\"schema\": \"npusim.footprint/1\", \"version\": \"" NPUSIM_VERSION
                         "\", \"arch\": ");
        npu_rep_json_str(out, arch);
        npu_sb_puts(out, ", \"graph\": ");
        npu_rep_json_str(out, g->name);
        for (int k = 0; k < n; k++)
            npu_sb_printf(out, ", \"%s\": %lld", it[k].key, (long long)it[k].v);
        npu_sb_printf(out, ", \"fits\": %d, \"layers\": [", fits);
        int j = 0;
        for (int li = 0; li < g->nl; li++) {
            if (g->l[li].flags & NPU_LF_DEAD)
                continue;
            npu_sb_puts(out, j++ ? ",\n  {\"name\": " : "\n  {\"name\": ");
            npu_rep_json_str(out, g->l[li].name);
            npu_sb_puts(out, ", \"op\": ");
            npu_rep_json_str(out, npu_op_name(g->l[li].op));
            npu_sb_printf(out, ", \"live_bytes\": %lld, \"live_tensors\": %d}",
                          (long long)fp->live[li], fp->nlive[li]);
        }
        npu_sb_puts(out, "]}\n");
        return out->oom ? NPU_ENOMEM : 0;
    }
    if (f == NPU_FMT_CSV) {
        npu_sb_puts(out, "name,op,live_bytes,live_tensors\n");
        for (int li = 0; li < g->nl; li++) {
            if (g->l[li].flags & NPU_LF_DEAD)
                continue;
            npu_rep_csv_str(out, g->l[li].name);
            npu_sb_printf(out, ",%s,%lld,%d\n", npu_op_name(g->l[li].op),
                          (long long)fp->live[li], fp->nlive[li]);
        }
        return out->oom ? NPU_ENOMEM : 0;
    }
    npu_sb_printf(out, "footprint of %s on %s (docs/deployment.md)\n", g->name, arch);
    static const char *const head[] = {"", "bytes", "", "what"};
    npu_tab t;
    npu_tab_init(&t, 4, head, "lrrl");
    char b[32];
    for (int k = 0; k < n; k++) {
        npu_tab_row(&t);
        npu_tab_cell(&t, "%s", it[k].key);
        npu_tab_cell(&t, "%lld", (long long)it[k].v);
        npu_tab_bytes(b, sizeof b, (double)it[k].v);
        npu_tab_cell(&t, "%s", b);
        npu_tab_cell(&t, "%s", it[k].what);
    }
    int rc = npu_tab_render(&t, out);
    npu_tab_free(&t);
    npu_sb_printf(out, "fits: %s\n\nlive set per layer\n", fits_word(fits));
    static const char *const lhead[] = {"layer", "op", "live", "tensors"};
    npu_tab_init(&t, 4, lhead, "llrr");
    for (int li = 0; li < g->nl && !rc; li++) {
        if (g->l[li].flags & NPU_LF_DEAD)
            continue;
        npu_tab_row(&t);
        npu_tab_cell_str(&t, g->l[li].name, 40);
        npu_tab_cell(&t, "%s", npu_op_name(g->l[li].op));
        npu_tab_bytes(b, sizeof b, (double)fp->live[li]);
        npu_tab_cell(&t, "%s", b);
        npu_tab_cell(&t, "%d", fp->nlive[li]);
    }
    if (!rc)
        rc = npu_tab_render(&t, out);
    npu_tab_free(&t);
    return rc || out->oom ? NPU_ENOMEM : 0;
}
