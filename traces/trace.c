/* trace.c — Chrome / Perfetto trace-event JSON of a run (prefix npu_trace_).
 *
 * Format (the "JSON Array/Object Format" of the Chrome trace-event spec, which ui.perfetto.dev
 * and chrome://tracing both open):
 *   {"traceEvents":[ ...metadata "M" events..., ..."X" complete events... ],
 *    "displayTimeUnit":"ns", "otherData":{...}}
 * - process 3 "layers" (shown first): one span per layer, first start → last end;
 *   process 1 "NPU units": one thread per engine unit (CMAC, DMA, cpu0, irq …);
 *   process 2 "memory ports": one thread per port (dram, sram, …) carrying the transfers,
 *   and a counter per port of the transfers in flight (see emit_inflight).
 * - A unit with several slots, or a port with several transfers in flight, has overlapping
 *   intervals; trace viewers want the events of one thread to nest, so overlapping intervals
 *   are spread over "lanes" (extra threads "dram #2" …; first free lane, deterministic). At most
 *   NPU_TRACE_LANES lanes per unit/port; beyond that the last lane takes the overflow.
 * - ts/dur are µs written as decimals with 6 fractional digits: the engine's picoseconds, exact
 *   (no floating point is involved).
 * - Event name: the job's label if it has one, else the layer name; args: layer name, layer
 *   index and, for transfers, bytes.
 * The text is streamed in 64 KiB chunks to a temporary file beside the target (plain, or
 * through zlib deflate with a gzip header when the path ends in ".gz") by npu_out_open/close
 * (sim/core/ctx.h), which rename it into place and never replace an existing file without
 * `force`. Path "-" writes plain JSON to stdout.
 */
#include "trace.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../sim/report/report.h"

#define NPU_TRACE_LANES 64
#define NPU_TRACE_CHUNK (64 * 1024)

/* ---- output sink: plain file or gzip stream ------------------------------------------------ */
typedef struct sink {
    FILE *f;
    int gz;
    z_stream zs;
    unsigned char zbuf[16384];
    int failed;
    int err_no; /* errno of the first failed write, taken when it happened (EIO for zlib) */
} sink;

static void sink_fail(sink *k, int e)
{
    if (!k->failed) {
        k->failed = 1;
        k->err_no = e ? e : EIO;
    }
}

static void sink_write(sink *k, const char *data, size_t len)
{
    if (k->failed || len == 0)
        return;
    if (!k->gz) {
        if (fwrite(data, 1, len, k->f) != len)
            sink_fail(k, errno);
        return;
    }
    k->zs.next_in = (Bytef *)(uintptr_t)data;
    k->zs.avail_in = (uInt)len;
    while (k->zs.avail_in > 0 && !k->failed) {
        k->zs.next_out = k->zbuf;
        k->zs.avail_out = sizeof k->zbuf;
        if (deflate(&k->zs, Z_NO_FLUSH) == Z_STREAM_ERROR)
            sink_fail(k, EIO);
        size_t have = sizeof k->zbuf - k->zs.avail_out;
        if (have && fwrite(k->zbuf, 1, have, k->f) != have)
            sink_fail(k, errno);
    }
}

static void sink_finish(sink *k)
{
    if (!k->gz)
        return;
    int zr = Z_OK;
    while (!k->failed && zr != Z_STREAM_END) {
        k->zs.next_in = NULL;
        k->zs.avail_in = 0;
        k->zs.next_out = k->zbuf;
        k->zs.avail_out = sizeof k->zbuf;
        zr = deflate(&k->zs, Z_FINISH);
        if (zr == Z_STREAM_ERROR) {
            sink_fail(k, EIO);
            break;
        }
        size_t have = sizeof k->zbuf - k->zs.avail_out;
        if (have && fwrite(k->zbuf, 1, have, k->f) != have)
            sink_fail(k, errno);
    }
}

/* Flushes the text buffer to the sink once it holds a chunk (or always when `all`). */
static void flush_sb(sink *k, npu_strbuf *sb, int all)
{
    if (sb->len == 0 || (!all && sb->len < NPU_TRACE_CHUNK))
        return;
    sink_write(k, sb->s, sb->len);
    sb->len = 0;
    sb->s[0] = 0;
}

/* ---- lanes ---------------------------------------------------------------------------------- */
typedef struct track {
    npu_time lane_end[NPU_TRACE_LANES];
    int nlanes;
} track;

/* ps as µs with 6 decimals, exactly. */
static void put_us(npu_strbuf *sb, npu_time ps)
{
    npu_sb_printf(sb, "%llu.%06llu", (unsigned long long)(ps / 1000000u),
                  (unsigned long long)(ps % 1000000u));
}

typedef struct ev {
    const npu_interval *iv;
    size_t order; /* position in the engine's list: stable tie-break */
} ev;

static int ev_cmp(const void *a, const void *b)
{
    const ev *x = a, *y = b;
    if (x->iv->start != y->iv->start)
        return x->iv->start < y->iv->start ? -1 : 1;
    if (x->iv->end != y->iv->end) /* longer first, so shorter ones nest inside */
        return x->iv->end > y->iv->end ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

static int is_gz(const char *path)
{
    size_t n = strlen(path);
    return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

static void meta(npu_strbuf *sb, int *first, const char *what, int pid, int tid,
                 const char *key, const char *sval, long ival)
{
    npu_sb_puts(sb, *first ? "\n" : ",\n");
    *first = 0;
    npu_sb_printf(sb, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"args\":{\"%s\":", what,
                  pid, tid, key);
    if (sval)
        npu_rep_json_str(sb, sval);
    else
        npu_sb_printf(sb, "%ld", ival);
    npu_sb_puts(sb, "}}");
}

/* ---- in-flight counters ---------------------------------------------------------------------
 * One counter track per memory port ("dram in flight"): how many transfers are under way at
 * each instant — exact, and where contention shows (the engine shares a port's bandwidth
 * among them). A bandwidth curve is not drawn: the intervals give each transfer's start and
 * end but not its changing share, and an average rate per transfer would overshoot the peak
 * where transfers overlap. */
typedef struct cnt_ev {
    npu_time t;
    int delta; /* +1 at a start, -1 at an end */
} cnt_ev;

static int cnt_cmp(const void *a, const void *b)
{
    const cnt_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->delta < y->delta ? -1 : (x->delta > y->delta ? 1 : 0); /* ends first */
}

/* Appends the counter events of port `port` (transfers among evs[0..m)). */
static int emit_inflight(sink *k, npu_strbuf *sb, const ev *evs, size_t m, int port,
                         const char *pname)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        if (evs[i].iv->unit == -(port + 1) && evs[i].iv->end > evs[i].iv->start)
            n++;
    if (n == 0)
        return NPU_OK;
    cnt_ev *ce = npu_calloc(2 * n, sizeof *ce);
    if (!ce)
        return NPU_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < m; i++) {
        const npu_interval *v = evs[i].iv;
        if (v->unit != -(port + 1) || v->end <= v->start)
            continue;
        ce[j++] = (cnt_ev){v->start, 1};
        ce[j++] = (cnt_ev){v->end, -1};
    }
    qsort(ce, j, sizeof *ce, cnt_cmp);
    char cname[300];
    snprintf(cname, sizeof cname, "%s in flight", pname);
    long active = 0, last = -1;
    for (size_t i = 0; i < j; i++) {
        active += ce[i].delta;
        if (i + 1 < j && ce[i + 1].t == ce[i].t)
            continue; /* one sample per instant */
        if (active == last)
            continue;
        last = active;
        npu_sb_puts(sb, ",\n{\"ph\":\"C\",\"name\":");
        npu_rep_json_str(sb, cname);
        npu_sb_puts(sb, ",\"pid\":2,\"ts\":");
        put_us(sb, ce[i].t);
        npu_sb_printf(sb, ",\"args\":{\"transfers\":%ld}}", active);
        flush_sb(k, sb, 0);
    }
    free(ce);
    return NPU_OK;
}

/* Where engine layer l comes from: one program (tg NULL), or a group's (workloads). */
typedef struct lsrc {
    const npu_program *prog;
    const npu_trace_groups *tg;
} lsrc;

static const npu_prog_layer *layer_of(const lsrc *s, int l)
{
    if (l < 0)
        return NULL;
    if (!s->tg)
        return s->prog && l < s->prog->nlayers ? &s->prog->layers[l] : NULL;
    if (l >= s->tg->nl)
        return NULL;
    const npu_program *p = s->tg->prog[s->tg->group[l]];
    int li = s->tg->layer[l];
    return p && li >= 0 && li < p->nlayers ? &p->layers[li] : NULL;
}

static int group_of(const lsrc *s, int l)
{
    return s->tg && l >= 0 && l < s->tg->nl ? s->tg->group[l] : 0;
}

/* Builds the whole event list into sink k. Returns 0 or NPU_ENOMEM. */
static int emit(sink *k, const npu_engine *e, const lsrc *src)
{
    const npu_program *prog = src->tg ? (src->tg->ng > 0 ? src->tg->prog[0] : NULL) : src->prog;
    int ng = src->tg && src->tg->ng > 0 ? src->tg->ng : 1;
    size_t n = 0;
    const npu_interval *iv = npu_engine_intervals(e, &n);
    int nunits = npu_engine_nunits(e), nports = npu_engine_nports(e);
    if (nunits < 0)
        nunits = 0;
    if (nports < 0)
        nports = 0;
    ev *evs = npu_calloc(n ? n : 1, sizeof *evs);
    track *tr = npu_calloc((size_t)(nunits + nports) + 1, sizeof *tr);
    int *lane = npu_calloc(n ? n : 1, sizeof *lane);
    if (!evs || !tr || !lane) {
        free(evs);
        free(tr);
        free(lane);
        return NPU_ENOMEM;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int u = iv[i].unit;
        if (u >= 0 ? u >= nunits : (-(long)u - 1) >= nports)
            continue; /* an id the engine does not know: skip rather than mislabel */
        if (iv[i].end < iv[i].start)
            continue;
        evs[m].iv = &iv[i];
        evs[m].order = i;
        m++;
    }
    qsort(evs, m, sizeof *evs, ev_cmp);
    /* Lanes: per track, the first lane whose previous interval ended by our start. An
     * interval inside the previous one of the same lane (same start, shorter) would also
     * nest, but keeping them apart is clearer. */
    for (size_t i = 0; i < m; i++) {
        int u = evs[i].iv->unit;
        track *t = &tr[u >= 0 ? u : nunits + (-u - 1)];
        int l = 0;
        while (l < t->nlanes && t->lane_end[l] > evs[i].iv->start)
            l++;
        if (l == t->nlanes) {
            if (t->nlanes < NPU_TRACE_LANES)
                t->nlanes++;
            else
                l = NPU_TRACE_LANES - 1;
        }
        if (evs[i].iv->end > t->lane_end[l])
            t->lane_end[l] = evs[i].iv->end;
        lane[i] = l;
    }

    /* Layer spans (first start → last end of anything tagged with the layer) for process 3,
     * laid out in lanes too: layers overlap when a model pipelines them. */
    int nl = src->tg ? src->tg->nl : prog && prog->nlayers > 0 ? prog->nlayers : 0;
    for (size_t i = 0; i < m; i++)
        if (evs[i].iv->layer >= nl)
            nl = evs[i].iv->layer + 1;
    npu_time *lspan = npu_calloc(2 * (size_t)nl + 1, sizeof *lspan);
    int *llane = npu_calloc((size_t)nl + 1, sizeof *llane);
    int *lorder = npu_calloc((size_t)nl + 1, sizeof *lorder);
    track *ltrs = npu_calloc((size_t)ng, sizeof *ltrs); /* per group */
    int rc = NPU_ENOMEM;
    if (!lspan || !llane || !lorder || !ltrs)
        goto out;
    for (int l = 0; l < nl; l++)
        lspan[2 * l] = UINT64_MAX;
    for (size_t i = 0; i < m; i++) {
        int l = evs[i].iv->layer;
        if (l < 0)
            continue;
        if (evs[i].iv->start < lspan[2 * l])
            lspan[2 * l] = evs[i].iv->start;
        if (evs[i].iv->end > lspan[2 * l + 1])
            lspan[2 * l + 1] = evs[i].iv->end;
    }
    int nact = 0;
    for (int l = 0; l < nl; l++)
        if (lspan[2 * l] != UINT64_MAX)
            lorder[nact++] = l;
    /* by start time (insertion sort on indices: stable, and layers mostly come in order) */
    for (int a = 1; a < nact; a++) {
        int v = lorder[a], b = a;
        while (b > 0 && lspan[2 * lorder[b - 1]] > lspan[2 * v]) {
            lorder[b] = lorder[b - 1];
            b--;
        }
        lorder[b] = v;
    }
    for (int a = 0; a < nact; a++) {
        int l = lorder[a], ln = 0;
        track *lt = &ltrs[group_of(src, l)];
        while (ln < lt->nlanes && lt->lane_end[ln] > lspan[2 * l])
            ln++;
        if (ln == lt->nlanes) {
            if (lt->nlanes < NPU_TRACE_LANES)
                lt->nlanes++;
            else
                ln = NPU_TRACE_LANES - 1;
        }
        if (lspan[2 * l + 1] > lt->lane_end[ln])
            lt->lane_end[ln] = lspan[2 * l + 1];
        llane[l] = ln;
    }

    npu_strbuf sb;
    npu_sb_init(&sb);
    npu_sb_puts(&sb, "{\"traceEvents\":[");
    int first = 1;
    const char *arch = prog && prog->arch ? prog->arch : "npu";
    char pname[300];
    snprintf(pname, sizeof pname, "NPU units (%s)", arch);
    meta(&sb, &first, "process_name", 1, 0, "name", pname, 0);
    meta(&sb, &first, "process_sort_index", 1, 0, "sort_index", NULL, 1);
    meta(&sb, &first, "process_name", 2, 0, "name", "memory ports", 0);
    meta(&sb, &first, "process_sort_index", 2, 0, "sort_index", NULL, 2);
    /* the layer spans: process 3 ("layers"), or 3 + g per group ("layers: det") */
    for (int g = 0; g < ng; g++) {
        char gn[300];
        snprintf(gn, sizeof gn, src->tg ? "layers: %s" : "layers",
                 src->tg && src->tg->gname[g] ? src->tg->gname[g] : "");
        meta(&sb, &first, "process_name", 3 + g, 0, "name", gn, 0);
        meta(&sb, &first, "process_sort_index", 3 + g, 0, "sort_index", NULL, src->tg ? g - ng : 0);
        for (int ln = 0; ln < (ltrs[g].nlanes ? ltrs[g].nlanes : 1); ln++) {
            char tname[32];
            if (ln)
                snprintf(tname, sizeof tname, "layers #%d", ln + 1);
            else
                snprintf(tname, sizeof tname, "layers");
            meta(&sb, &first, "thread_name", 3 + g, ln + 1, "name", tname, 0);
        }
    }
    for (int a = 0; a < nact; a++) {
        int l = lorder[a];
        const npu_prog_layer *pl = layer_of(src, l);
        const char *lname = pl ? pl->name : NULL;
        char lbuf[32];
        if (!lname) {
            snprintf(lbuf, sizeof lbuf, "layer %d", l);
            lname = lbuf;
        }
        npu_sb_puts(&sb, ",\n{\"ph\":\"X\",\"cat\":\"layer\",\"name\":");
        npu_rep_json_str(&sb, lname);
        npu_sb_printf(&sb, ",\"pid\":%d,\"tid\":%d,\"ts\":", 3 + group_of(src, l), llane[l] + 1);
        put_us(&sb, lspan[2 * l]);
        npu_sb_puts(&sb, ",\"dur\":");
        put_us(&sb, lspan[2 * l + 1] - lspan[2 * l]);
        npu_sb_printf(&sb, ",\"args\":{\"layer_index\":%d", l);
        if (pl && pl->op) {
            npu_sb_puts(&sb, ",\"op\":");
            npu_rep_json_str(&sb, pl->op);
        }
        npu_sb_puts(&sb, "}}");
        flush_sb(k, &sb, 0);
    }
    for (int t = 0; t < nunits + nports; t++) {
        int pid = t < nunits ? 1 : 2;
        const char *base = NULL;
        if (t < nunits) {
            base = npu_engine_unit_name(e, t);
        } else {
            const npu_port_cfg *pc = npu_engine_port_cfg(e, t - nunits);
            base = pc ? pc->name : NULL;
        }
        if (t >= nunits && !base && tr[t].nlanes == 0)
            continue; /* a port id that does not exist in this engine (no SRAM) */
        char def[32];
        if (!base) {
            snprintf(def, sizeof def, "%s%d", t < nunits ? "unit" : "port",
                     t < nunits ? t : t - nunits);
            base = def;
        }
        int local = t < nunits ? t : t - nunits;
        int lanes = tr[t].nlanes ? tr[t].nlanes : 1;
        for (int l = 0; l < lanes; l++) {
            int tid = local * NPU_TRACE_LANES + l + 1;
            char tname[300];
            if (l == 0)
                snprintf(tname, sizeof tname, "%s", base);
            else
                snprintf(tname, sizeof tname, "%s #%d", base, l + 1);
            meta(&sb, &first, "thread_name", pid, tid, "name", tname, 0);
            meta(&sb, &first, "thread_sort_index", pid, tid, "sort_index", NULL, tid);
        }
        flush_sb(k, &sb, 0);
    }
    for (size_t i = 0; i < m; i++) {
        const npu_interval *v = evs[i].iv;
        int is_port = v->unit < 0;
        int local = is_port ? -v->unit - 1 : v->unit;
        int pid = is_port ? 2 : 1;
        int tid = local * NPU_TRACE_LANES + lane[i] + 1;
        const npu_prog_layer *pl = layer_of(src, v->layer);
        const char *lname = pl ? pl->name : NULL;
        char lbuf[32];
        if (!lname && v->layer >= 0) {
            snprintf(lbuf, sizeof lbuf, "layer %d", v->layer);
            lname = lbuf;
        }
        const char *name = v->label && *v->label ? v->label : lname;
        if (!name)
            name = is_port ? "transfer" : "busy";
        npu_sb_puts(&sb, ",\n{\"ph\":\"X\",\"cat\":");
        npu_sb_puts(&sb, is_port ? "\"mem\"" : "\"unit\"");
        npu_sb_puts(&sb, ",\"name\":");
        npu_rep_json_str(&sb, name);
        npu_sb_printf(&sb, ",\"pid\":%d,\"tid\":%d,\"ts\":", pid, tid);
        put_us(&sb, v->start);
        npu_sb_puts(&sb, ",\"dur\":");
        put_us(&sb, v->end - v->start);
        npu_sb_puts(&sb, ",\"args\":{\"layer\":");
        npu_rep_json_str(&sb, lname);
        npu_sb_printf(&sb, ",\"layer_index\":%d", v->layer);
        if (is_port || v->bytes)
            npu_sb_printf(&sb, ",\"bytes\":%llu", (unsigned long long)v->bytes);
        npu_sb_puts(&sb, "}}");
        flush_sb(k, &sb, 0);
    }
    int rrc = NPU_OK;
    for (int q = 0; q < nports && !rrc; q++) {
        const npu_port_cfg *pc = npu_engine_port_cfg(e, q);
        char def[32];
        snprintf(def, sizeof def, "port%d", q);
        rrc = emit_inflight(k, &sb, evs, m, q, pc && pc->name ? pc->name : def);
    }
    npu_sb_puts(&sb, "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"schema\":"
                     "\"npusim.trace/1\",\"arch\":");
    npu_rep_json_str(&sb, prog ? prog->arch : NULL);
    npu_sb_puts(&sb, ",\"model\":");
    npu_rep_json_str(&sb, prog ? prog->model : NULL);
    npu_sb_puts(&sb, ",\"graph\":");
    npu_rep_json_str(&sb, src->tg ? "workloads" : prog ? prog->graph : NULL);
    npu_sb_puts(&sb, "}}\n");
    rc = sb.oom || rrc ? NPU_ENOMEM : NPU_OK;
    flush_sb(k, &sb, 1);
    npu_sb_free(&sb);
out:
    free(lspan);
    free(llane);
    free(lorder);
    free(ltrs);
    free(evs);
    free(tr);
    free(lane);
    return rc;
}

static int write_trace(const char *path, const npu_engine *e, const lsrc *src, bool force,
                       npu_err *err)
{
    if (!path || !*path)
        return npu_err_set(err, NPU_EINVAL, "trace: empty output path");
    if (!e)
        return npu_err_set(err, NPU_EINVAL, "%s: no engine to trace", path);
    sink k;
    memset(&k, 0, sizeof k);
    npu_out out; /* sim/core/ctx.h: the one way npusim writes a file */
    int rc = npu_out_open(&out, path, force, err);
    if (rc)
        return rc;
    k.f = out.f;
    if (is_gz(path)) {
        k.gz = 1;
        /* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
        if (deflateInit2(&k.zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            npu_out_close(&out, 0, NULL);
            return npu_err_set(err, NPU_ENOMEM, "%s: zlib initialisation failed", path);
        }
    }
    rc = emit(&k, e, src);
    if (!rc)
        sink_finish(&k);
    if (k.gz)
        deflateEnd(&k.zs);
    if (k.failed && !out.failed) {
        out.failed = 1;
        out.err_no = k.err_no;
    }
    if (rc) {
        npu_out_close(&out, 0, NULL);
        return npu_err_set(err, rc, "%s: out of memory writing the trace", path);
    }
    return npu_out_close(&out, 1, err);
}

int npu_trace_write(const char *path, const npu_engine *e, const npu_program *prog, bool force,
                    npu_err *err)
{
    lsrc src = {.prog = prog};
    return write_trace(path, e, &src, force, err);
}

int npu_trace_write_groups(const char *path, const npu_engine *e, const npu_trace_groups *g,
                           bool force, npu_err *err)
{
    if (!g || g->ng < 1 || g->nl < 0 || !g->group || !g->layer || !g->gname || !g->prog)
        return npu_err_set(err, NPU_EINVAL, "trace: no workload groups");
    for (int l = 0; l < g->nl; l++)
        if (g->group[l] < 0 || g->group[l] >= g->ng)
            return npu_err_set(err, NPU_EINVAL, "trace: layer %d in no group", l);
    lsrc src = {.tg = g};
    return write_trace(path, e, &src, force, err);
}
