/* wlrep.c — the report of several workloads run at once (npu_report_workloads; the run is
 * sim/workload.c, the meaning docs/workloads.md).
 *
 * Table: one summary row per workload (graph, settings, frames, latency min / median / p99,
 * throughput, deadline misses, DRAM bytes of all its frames), then each workload's median
 * frame as the usual per-layer table. CSV: the summary rows. JSON: one document
 * (NPU_WL_SCHEMA) with the summary of each workload and its median frame as a result object.
 */
#include <stdio.h>
#include <string.h>

#include "../core/wlres.h"
#include "report.h"
#include "tab.h"

static const char *const head[] = {"workload", "graph", "settings", "arrivals", "frames",
                                   "min us", "median us", "p99 us", "fps", "misses",
                                   "DRAM rd", "DRAM wr"};

static void arrivals(const npu_wl_stat *s, char *b, size_t n)
{
    if (s->fps > 0)
        snprintf(b, n, "%g fps", s->fps);
    else if (s->after && *s->after)
        snprintf(b, n, "after %s", s->after);
    else
        snprintf(b, n, "back to back");
}

/* A stage's busy time: "s0 7.9 ms 92%" (its frames' runs, as a share of the pipeline's span). */
static void busy(const npu_wl_stat *st, double span_us, npu_strbuf *out)
{
    npu_sb_printf(out, " s%d %.1f us %.0f%%", st->stage, st->busy_us,
                  span_us > 0 ? 100 * st->busy_us / span_us : 0.0);
}

/* Pipelines (docs/workloads.md "Layer pipelining"): end to end against the balance run. */
static int pipes(const npu_wl_run *r, npu_strbuf *out)
{
    static const char *const ph[] = {"pipeline", "graph", "stages", "frames", "median us",
                                     "p99 us", "fps", "alone us", "alone fps", "misses"};
    npu_tab t;
    npu_tab_init(&t, 10, ph, "llrrrrrrrr");
    for (int p = 0; p < r->npipes; p++) {
        const npu_wl_pipe *q = &r->pipes[p];
        npu_tab_row(&t);
        npu_tab_cell_str(&t, q->s.name, 24);
        npu_tab_cell_str(&t, q->s.graph, 24);
        npu_tab_cell(&t, "%d", q->stages);
        npu_tab_cell(&t, "%d", q->s.count);
        npu_tab_cell(&t, "%.1f", q->s.lat_med_us);
        npu_tab_cell(&t, "%.1f", q->s.lat_p99_us);
        npu_tab_cell(&t, "%.1f", q->s.throughput_fps);
        npu_tab_cell(&t, "%.1f", q->alone_us);
        npu_tab_cell(&t, "%.1f", q->alone_us > 0 ? 1e6 / q->alone_us : 0.0);
        if (q->s.fps > 0)
            npu_tab_cell(&t, "%d", q->s.misses);
        else
            npu_tab_cell_str(&t, "-", 1);
    }
    npu_sb_puts(out, "\npipelines (alone: the whole graph on stage 0's place, one frame at a time)\n");
    size_t at = out->len;
    int rc = npu_tab_render(&t, out);
    npu_tab_free(&t);
    for (int p = 0; !rc && p < r->npipes; p++) {
        const npu_wl_pipe *q = &r->pipes[p];
        double span = q->s.end_us - q->s.first_us;
        npu_sb_printf(out, "%s: cut before %s; stage busy:", q->s.name,
                      *q->cuts ? q->cuts : "(one stage)");
        for (int s = 0; s < q->stages; s++)
            busy(&r->w[q->first + s], span, out);
        npu_sb_puts(out, "\n");
    }
    npu_tab_sanitize_from(out, at);
    return rc;
}

static int table(const npu_wl_run *r, bool frames, npu_strbuf *out)
{
    npu_tab t;
    npu_tab_init(&t, 12, head, "lllllrrrrrrr");
    for (int i = 0; i < r->n; i++) {
        const npu_wl_stat *s = &r->w[i];
        char a[96], rd[32], wr[32];
        arrivals(s, a, sizeof a);
        npu_tab_bytes(rd, sizeof rd, (double)s->dram_rd_bytes);
        npu_tab_bytes(wr, sizeof wr, (double)s->dram_wr_bytes);
        npu_tab_row(&t);
        npu_tab_cell_str(&t, s->name, 24);
        npu_tab_cell_str(&t, s->graph, 24);
        npu_tab_cell_str(&t, s->sets, 32);
        npu_tab_cell_str(&t, a, 24);
        npu_tab_cell(&t, "%d", s->count);
        npu_tab_cell(&t, "%.1f", s->lat_min_us);
        npu_tab_cell(&t, "%.1f", s->lat_med_us);
        npu_tab_cell(&t, "%.1f", s->lat_p99_us);
        npu_tab_cell(&t, "%.1f", s->throughput_fps);
        if (s->fps > 0)
            npu_tab_cell(&t, "%d", s->misses);
        else
            npu_tab_cell_str(&t, "-", 1);
        npu_tab_cell_str(&t, rd, 16);
        npu_tab_cell_str(&t, wr, 16);
    }
    npu_sb_printf(out, "%s: %d workloads, %.1f us", r->arch, r->n, r->time_us);
    if (r->chips > 1 || r->link_bytes > 0) { /* a card (docs/workloads.md "Multi-chip cards") */
        char lb[32];
        npu_tab_bytes(lb, sizeof lb, (double)r->link_bytes);
        npu_sb_printf(out, ", %d chips, %s over the host link; chips:", r->chips, lb);
        for (int i = 0; i < r->n; i++)
            npu_sb_printf(out, " %s=%d", r->w[i].name, r->w[i].chip);
    }
    if (r->spread) /* a plain run on a card (npu_run_card) */
        npu_sb_printf(out, "\ncard: frames spread by %s over %d chips: %.1f %ss/s", r->spread,
                      r->n, r->card_items_s, r->unit);
    npu_sb_puts(out, "\n");
    size_t at = out->len;
    int rc = npu_tab_render(&t, out);
    npu_tab_sanitize_from(out, at);
    npu_tab_free(&t);
    if (!rc && r->npipes > 0)
        rc = pipes(r, out);
    for (int i = 0; frames && !rc && i < r->n; i++) {
        const npu_wl_stat *s = &r->w[i];
        npu_sb_printf(out, "\n== %s: %s, median frame %d of %d (times from its start) ==\n",
                      s->name, s->graph, s->median_frame, s->count);
        rc = npu_report_write(s->frame, NPU_FMT_TABLE, out);
    }
    return rc;
}

static void csv(const npu_wl_run *r, npu_strbuf *out)
{
    npu_sb_puts(out, "workload,graph,settings,fps,after,frames,lat_min_us,lat_median_us,"
                     "lat_p99_us,lat_max_us,lat_mean_us,throughput_fps,deadline_misses,"
                     "dram_rd_bytes,dram_wr_bytes,sram_bytes\n");
    for (int i = 0; i < r->n; i++) {
        const npu_wl_stat *s = &r->w[i];
        npu_rep_csv_str(out, s->name);
        npu_sb_puts(out, ",");
        npu_rep_csv_str(out, s->graph);
        npu_sb_puts(out, ",");
        npu_rep_csv_str(out, s->sets);
        npu_sb_puts(out, ",");
        npu_rep_csv_num(out, s->fps);
        npu_sb_puts(out, ",");
        npu_rep_csv_str(out, s->after);
        npu_sb_printf(out, ",%d", s->count);
        const double v[] = {s->lat_min_us, s->lat_med_us, s->lat_p99_us, s->lat_max_us,
                            s->lat_mean_us, s->throughput_fps};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            npu_sb_puts(out, ",");
            npu_rep_csv_num(out, v[k]);
        }
        npu_sb_printf(out, ",%d,%lld,%lld,%lld\n", s->misses, (long long)s->dram_rd_bytes,
                      (long long)s->dram_wr_bytes, (long long)s->sram_bytes);
    }
}

static void json_lat(const npu_wl_stat *s, npu_strbuf *out)
{
    const char *const k[] = {"min", "median", "p99", "max", "mean"};
    const double v[] = {s->lat_min_us, s->lat_med_us, s->lat_p99_us, s->lat_max_us,
                        s->lat_mean_us};
    npu_sb_puts(out, ", \"latency_us\": {");
    for (int j = 0; j < 5; j++) {
        npu_sb_printf(out, "%s\"%s\": ", j ? ", " : "", k[j]);
        npu_rep_json_num(out, v[j]);
    }
    npu_sb_puts(out, "}, \"throughput_fps\": ");
    npu_rep_json_num(out, s->throughput_fps);
}

/* "pipelines": end to end, the balance run, the cut, each stage's workload and busy time. */
static void json_pipes(const npu_wl_run *r, npu_strbuf *out)
{
    npu_sb_puts(out, ",\n\"pipelines\": [");
    for (int p = 0; p < r->npipes; p++) {
        const npu_wl_pipe *q = &r->pipes[p];
        npu_sb_puts(out, p ? ",\n{\"name\": " : "\n{\"name\": ");
        npu_rep_json_str(out, q->s.name);
        npu_sb_puts(out, ", \"graph\": ");
        npu_rep_json_str(out, q->s.graph);
        npu_sb_puts(out, ", \"cuts\": ");
        npu_rep_json_str(out, q->cuts);
        npu_sb_printf(out, ", \"frames\": %d, \"deadline_misses\": %d, \"alone_us\": ",
                      q->s.count, q->s.misses);
        npu_rep_json_num(out, q->alone_us);
        json_lat(&q->s, out);
        npu_sb_puts(out, ", \"stages\": [");
        for (int s = 0; s < q->stages; s++) {
            const npu_wl_stat *st = &r->w[q->first + s];
            npu_sb_puts(out, s ? ", {\"workload\": " : "{\"workload\": ");
            npu_rep_json_str(out, st->name);
            npu_sb_puts(out, ", \"busy_us\": ");
            npu_rep_json_num(out, st->busy_us);
            npu_sb_puts(out, "}");
        }
        npu_sb_puts(out, "]}");
    }
    npu_sb_puts(out, "\n]");
}

static int json(const npu_wl_run *r, npu_strbuf *out)
{
    npu_sb_puts(out, "{\"schema\": ");
    npu_rep_json_str(out, NPU_WL_SCHEMA);
    npu_sb_puts(out, ", \"version\": \"" NPUSIM_VERSION "\", \"arch\": ");
    npu_rep_json_str(out, r->arch);
    npu_sb_puts(out, ", \"time_us\": ");
    npu_rep_json_num(out, r->time_us);
    npu_sb_printf(out, ", \"dram_rd_bytes\": %lld, \"dram_wr_bytes\": %lld",
                  (long long)r->dram_rd_bytes, (long long)r->dram_wr_bytes);
    bool card = r->chips > 1 || r->link_bytes > 0; /* keys only a card run has */
    if (card)
        npu_sb_printf(out, ", \"chips\": %d, \"link_bytes\": %lld", r->chips,
                      (long long)r->link_bytes);
    if (r->spread) {
        npu_sb_puts(out, ", \"spread\": ");
        npu_rep_json_str(out, r->spread);
        npu_sb_puts(out, ", \"unit\": ");
        npu_rep_json_str(out, r->unit);
        npu_sb_puts(out, ", \"card_items_per_s\": ");
        npu_rep_json_num(out, r->card_items_s);
    }
    npu_sb_puts(out, ", \"workloads\": [");
    for (int i = 0; i < r->n; i++) {
        const npu_wl_stat *s = &r->w[i];
        npu_sb_puts(out, i ? ",\n{\"name\": " : "\n{\"name\": ");
        npu_rep_json_str(out, s->name);
        npu_sb_puts(out, ", \"graph\": ");
        npu_rep_json_str(out, s->graph);
        npu_sb_puts(out, ", \"settings\": ");
        npu_rep_json_str(out, s->sets);
        npu_sb_puts(out, ", \"after\": ");
        npu_rep_json_str(out, s->after);
        if (card)
            npu_sb_printf(out, ", \"chip\": %d", s->chip);
        npu_sb_puts(out, ", \"fps\": ");
        npu_rep_json_num(out, s->fps);
        npu_sb_printf(out, ", \"frames\": %d, \"median_frame\": %d", s->count, s->median_frame);
        json_lat(s, out);
        npu_sb_puts(out, ", \"busy_us\": ");
        npu_rep_json_num(out, s->busy_us);
        npu_sb_printf(out,
                      ", \"deadline_misses\": %d, \"dram_rd_bytes\": %lld, \"dram_wr_bytes\": "
                      "%lld, \"sram_bytes\": %lld, \"frame\": ",
                      s->misses, (long long)s->dram_rd_bytes, (long long)s->dram_wr_bytes,
                      (long long)s->sram_bytes);
        int rc = npu_report_write(s->frame, NPU_FMT_JSON, out);
        if (rc)
            return rc;
        while (out->len > 0 && out->s[out->len - 1] == '\n')
            out->s[--out->len] = 0;
        npu_sb_puts(out, "}");
    }
    npu_sb_puts(out, "\n]");
    if (r->npipes > 0) /* only when a workload was pipelined (pipeline=N) */
        json_pipes(r, out);
    npu_sb_puts(out, "}\n");
    return 0;
}

int npu_report_workloads(const npu_wl_run *r, npu_format f, bool frames, npu_strbuf *out)
{
    if (!r || !out)
        return NPU_EINVAL;
    int rc = 0;
    if (f == NPU_FMT_JSON)
        rc = json(r, out);
    else if (f == NPU_FMT_CSV)
        csv(r, out);
    else
        rc = table(r, frames, out);
    return rc ? rc : out->oom ? NPU_ENOMEM : 0;
}
