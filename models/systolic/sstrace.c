/* sstrace.c — SCALE-Sim's per-layer address traces (see sstrace.h; docs/scalesim.md §4).
 *
 * Layout (SCALE-Sim v2's layer<N>/<OPERAND>_<SRAM or DRAM>_TRACE.csv, research/peers.md §2.3), one gzip file each,
 * comma-separated integers, no header:
 *   {IFMAP,FILTER,OFMAP}_SRAM_TRACE: one row per cycle 0 … Total Cycles: the cycle, then one
 *       address per lane (npu_ssdem_width: the array rows a streamed operand enters through,
 *       the columns of a preloaded one and of the results), −1 where the lane is idle. Reads
 *       are on the cycle SCALE-Sim prints them (demand + 1), writes on their demand cycle.
 *   {IFMAP,FILTER}_DRAM_TRACE: one row per DRAM line: the cycle (negative before cycle 0),
 *       then NPU_SSDRAM_READ_WIDTH addresses, −1 padded; OFMAP_DRAM_TRACE: the same with
 *       ArrayWidth addresses per line (the write buffer's drains).
 * Addresses: SCALE-Sim's element indices (ifmap NHWC, filter k·N + n, ofmap pixel·N + n) plus
 * the config's IfmapOffset, FilterOffset, OfmapOffset. The DRAM lines are those the report's
 * DRAM columns count (ssdram.c), with the same approximations where the operand does not fit
 * its read buffer.
 */
#include "sstrace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ssdemand.h"
#include "ssdram.h"
#include "ssreport.h"
#include "systolic.h"

/* ---- one gzip text file through npu_out ------------------------------------------------- */
typedef struct gzf {
    npu_out out;
    gzFile z;
    char buf[1 << 16];
    size_t len;
    int failed;
} gzf;

static int gz_open(gzf *f, const char *path, bool force, npu_err *err)
{
    f->len = 0, f->failed = 0, f->z = NULL;
    if (npu_out_open(&f->out, path, force, err))
        return -1;
    int fd = dup(fileno(f->out.f));
    f->z = fd >= 0 ? gzdopen(fd, "wb6") : NULL;
    if (!f->z) {
        if (fd >= 0)
            close(fd);
        npu_out_close(&f->out, 0, NULL);
        return npu_err_set(err, NPU_EIO, "%s: cannot start the gzip stream", path);
    }
    return 0;
}

static void gz_flush(gzf *f)
{
    if (f->len && !f->failed && gzwrite(f->z, f->buf, (unsigned)f->len) != (int)f->len)
        f->failed = 1;
    f->len = 0;
}

static void gz_num(gzf *f, int64_t v, char sep)
{
    if (f->len > sizeof f->buf - 32)
        gz_flush(f);
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        f->buf[f->len++] = '-';
    while (n)
        f->buf[f->len++] = tmp[--n];
    f->buf[f->len++] = sep;
}

static int gz_close(gzf *f, const char *path, int commit, npu_err *err)
{
    gz_flush(f);
    if (gzclose(f->z) != Z_OK)
        f->failed = 1;
    if (f->failed && commit) {
        npu_out_close(&f->out, 0, NULL);
        return npu_err_set(err, NPU_EIO, "%s: writing the gzip stream failed", path);
    }
    return npu_out_close(&f->out, commit, err);
}

/* One row: cycle, then n addresses (−1 stays −1, others + off). */
static void put_row(gzf *f, int64_t cycle, const int64_t *a, int n, int64_t off)
{
    gz_num(f, cycle, n ? ',' : '\n');
    for (int i = 0; i < n; i++)
        gz_num(f, a && a[i] >= 0 ? a[i] + off : -1, i + 1 < n ? ',' : '\n');
}

/* ---- SRAM traces ------------------------------------------------------------------------ */
typedef struct sram_w {
    gzf *f;
    int64_t next, shift, off;
} sram_w;

static int sram_row(void *ctx, int64_t fc, int64_t fr, int64_t cycle, const int64_t *addr,
                    int width)
{
    (void)fc, (void)fr;
    sram_w *w = ctx;
    int64_t c = cycle + w->shift;
    for (; w->next < c; w->next++)
        put_row(w->f, w->next, NULL, width, 0);
    put_row(w->f, c, addr, width, w->off);
    w->next = c + 1;
    return w->f->failed;
}

/* ---- DRAM traces ------------------------------------------------------------------------ */
typedef struct dram_w {
    gzf *f;
    int64_t off;
    const npu_sys_layer *L;
} dram_w;

static int dram_line(void *ctx, int64_t cycle, const int64_t *addr, int n)
{
    dram_w *w = ctx;
    put_row(w->f, cycle, addr, n, w->off);
    return w->f->failed;
}

/* Filter positions [lo, hi) as lines on `cycle` (one per cycle when step is 1). */
static int filter_lines(dram_w *w, int64_t cycle, int64_t step, int64_t lo, int64_t hi,
                        int64_t pad)
{
    int64_t line[NPU_SSDRAM_READ_WIDTH];
    for (int64_t p = lo, i = 0; p < hi + pad; p += NPU_SSDRAM_READ_WIDTH, i++) {
        for (int j = 0; j < NPU_SSDRAM_READ_WIDTH; j++)
            line[j] = p + j < hi ? npu_ssdram_filter_addr(w->L, p + j) : -1;
        if (dram_line(w, cycle + i * step, line, NPU_SSDRAM_READ_WIDTH))
            return 1;
    }
    return 0;
}

static int filter_fetch(void *ctx, int64_t fc, int64_t fr, int64_t at, int64_t lo, int64_t hi)
{
    dram_w *w = ctx;
    return filter_lines(w, npu_ssdram_filter_cycle(w->L, fc, fr, at), 0, lo, hi, 0);
}

/* OFMAP: the write stream regenerated from the demand, cut into the drains' lines. */
typedef struct ofm_w {
    dram_w d;
    const npu_ssdram_drains *dr;
    int64_t *line, bw, li, fill, drain; /* line being filled: index li, fill words so far */
    size_t pnext;
} ofm_w;

static int ofm_emit(ofm_w *o)
{
    const npu_ssdram_drains *dr = o->dr;
    while (o->drain + 1 < (int64_t)dr->nd && dr->d[3 * (o->drain + 1) + 1] <= o->li)
        o->drain++;
    int64_t c = o->drain < (int64_t)dr->nd ? dr->d[3 * o->drain] + o->li - dr->d[3 * o->drain + 1]
                                           : 0;
    for (int64_t j = o->fill; j < o->bw; j++)
        o->line[j] = -1;
    o->li++, o->fill = 0;
    return dram_line(&o->d, c, o->line, (int)o->bw);
}

static int64_t ofm_cap(ofm_w *o) /* words line li holds */
{
    const npu_ssdram_drains *dr = o->dr;
    while (o->pnext < dr->np && dr->pline[o->pnext] < o->li)
        o->pnext++;
    return o->pnext < dr->np && dr->pline[o->pnext] == o->li ? dr->pvalid[o->pnext] : o->bw;
}

static int ofm_row(void *ctx, int64_t fc, int64_t fr, int64_t cycle, const int64_t *addr,
                   int width)
{
    (void)fc, (void)fr, (void)cycle;
    ofm_w *o = ctx;
    for (int i = 0; i < width; i++) {
        if (addr[i] < 0)
            continue;
        o->line[o->fill++] = addr[i];
        if (o->fill == ofm_cap(o) && ofm_emit(o))
            return 1;
    }
    return 0;
}

/* ---- one layer -------------------------------------------------------------------------- */
typedef struct tr_run {
    const char *dir;
    const int64_t *offset;
    bool force;
    int64_t cells; /* first pass: SRAM trace numbers of the run */
    bool count;
} tr_run;

static const char *const tr_names[6] = {"IFMAP_SRAM_TRACE", "FILTER_SRAM_TRACE",
                                        "OFMAP_SRAM_TRACE", "IFMAP_DRAM_TRACE",
                                        "FILTER_DRAM_TRACE", "OFMAP_DRAM_TRACE"};

/* File t of one layer into path (open, fill, close). */
static int tr_file(const tr_run *run, const npu_sys_layer *L, const npu_ssdem_geom *geo, int t,
                   const char *path, npu_err *err)
{
    gzf *f = malloc(sizeof *f);
    if (!f)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    if (gz_open(f, path, run->force, err)) {
        free(f);
        return -1;
    }
    int op = t % 3, rc = 0;
    int64_t R = L->rows, C = L->cols;
    npu_ssdem_acc acc[3];
    npu_ssdem_sram(L, geo, acc);
    int64_t total = L->row_folds * L->col_folds *
                    npu_systolic_fold_cycles(L->dataflow, R, C, L->t) - 1;
    dram_w dw = {f, run->offset[op], L};
    if (t < 3) { /* SRAM: reads printed one cycle after their demand */
        sram_w w = {f, 0, op == NPU_SSDEM_OFMAP ? 0 : 1, run->offset[op]};
        rc = npu_ssdem_walk(L, geo, op, sram_row, &w);
        for (; !rc && w.next <= total; w.next++)
            put_row(f, w.next, NULL, npu_ssdem_width(L, op), 0);
    } else if (op == NPU_SSDEM_IFMAP) {
        npu_ssdram_op o;
        rc = npu_ssdram_ifmap(L, geo, 2 * L->ifmap_half, acc[op].start - 1, dram_line, &dw, &o,
                              err);
    } else if (op == NPU_SSDEM_FILTER) {
        npu_ssdram_op o;
        int64_t n = L->k * L->n, W = 50 * (2 * L->filter_half / 100);
        int fits = npu_ssdram_read(n, 2 * L->filter_half, acc[op].start - 1, &o, err);
        int64_t lines = fits < 0 ? 0 : (fits ? 0 : acc[op].start - 1) - o.start;
        int64_t first = fits ? n : W;
        rc = fits < 0 ? -1
                      : filter_lines(&dw, o.start, 1, 0, first,
                                     lines * NPU_SSDRAM_READ_WIDTH - first);
        if (!rc && !fits && npu_ssdram_filter_walk(L, 2 * L->filter_half, filter_fetch, &dw) < 0)
            rc = 1;
    } else {
        npu_ssdram_drains dr = {0};
        npu_ssdram_op o;
        ofm_w ow = {dw, &dr, NULL, C, 0, 0, 0, 0};
        rc = npu_ssdram_ofmap_drains(L, C, &o, &dr, err);
        ow.line = rc ? NULL : malloc((size_t)C * sizeof *ow.line);
        if (!rc && !ow.line)
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        if (!rc)
            rc = npu_ssdem_walk(L, geo, op, ofm_row, &ow);
        if (!rc && ow.fill)
            rc = ofm_emit(&ow);
        free(ow.line);
        npu_ssdram_drains_free(&dr);
    }
    if (rc && (f->failed || !err->msg[0]))
        npu_err_set(err, f->failed ? NPU_EIO : NPU_ENOMEM, "%s: %s", path,
                    f->failed ? "write failed" : "out of memory");
    int crc = gz_close(f, path, rc == 0, rc ? NULL : err);
    free(f);
    return rc ? -1 : crc;
}

static int tr_layer(void *ctx, const npu_sys_layer *L, const npu_ssdem_geom *geo, int64_t id,
                    int64_t nsub, npu_err *err)
{
    tr_run *run = ctx;
    if (run->count) {
        int64_t rows = L->row_folds * L->col_folds *
                       npu_systolic_fold_cycles(L->dataflow, L->rows, L->cols, L->t);
        int64_t w = 3;
        for (int op = 0; op < 3; op++)
            w += npu_ssdem_width(L, op);
        run->cells += nsub * rows * w;
        return 0;
    }
    size_t n = strlen(run->dir) + 64;
    char *path = malloc(n);
    if (!path)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    int rc = 0;
    for (int64_t s = 0; s < nsub && !rc; s++) {
        snprintf(path, n, "%s/layer%lld", run->dir, (long long)(id + s));
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            rc = npu_err_set(err, NPU_EIO, "%s: cannot create the directory: %s", path,
                             strerror(errno));
            break;
        }
        size_t d = strlen(path);
        for (int t = 0; t < 6 && !rc; t++) {
            snprintf(path + d, n - d, "/%s.csv.gz", tr_names[t]);
            rc = tr_file(run, L, geo, t, path, err);
            path[d] = '\0';
        }
    }
    free(path);
    return rc;
}

int npu_sstrace_write(const npu_program *p, const npu_graph *g, const char *dir,
                      const int64_t offset[3], bool force, npu_err *err)
{
    tr_run run = {dir, offset, force, 0, true};
    if (npu_ssrep_each(p, g, tr_layer, &run, err))
        return -1;
    if (run.cells > NPU_SSTRACE_MAX_CELLS)
        return npu_err_set(err, NPU_EUNSUPPORTED, "SCALE-Sim traces of this run would hold "
                           "%lld numbers in their SRAM traces alone, over the limit of %lld "
                           "(about 1 GiB of text): trace a smaller topology, or fewer layers",
                           (long long)run.cells, (long long)NPU_SSTRACE_MAX_CELLS);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return npu_err_set(err, NPU_EIO, "%s: cannot create the directory: %s", dir,
                           strerror(errno));
    run.count = false;
    return npu_ssrep_each(p, g, tr_layer, &run, err);
}
