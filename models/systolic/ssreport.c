/* ssreport.c — SCALE-Sim v2's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and
 * DETAILED_ACCESS_REPORT.csv from a lowered systolic program (prefix npu_ssrep_).
 *
 * One row per SCALE-Sim layer: every sub-problem of a LAYER record (a DP row read the SCALE-Sim
 * way is `Channels` sub-problems, SCALE-Sim's one-channel layers), numbered from 0 as its
 * LayerID. Columns and their meaning (research/peers.md §2.3, docs/scalesim.md §4; checked
 * against the reports SCALE-Sim v2 wrote, tests/golden/scalesim/reports/, by
 * tests/scalesim/scalesim_test.sh):
 *   Total Cycles      F·(fold cycles) − 1 (npu_systolic_fold_cycles; F = row × column folds):
 *                     SCALE-Sim's stall-free count, what fidelity=scalesim simulates
 *   Stall Cycles      0 (CALC mode never stalls)
 *   Overall Util %    100·M·N·K / (Total·R·C)
 *   Mapping Eff. %    mean over folds of used rows·used columns / (R·C) = Sr·Sc / (F·R·C)
 *   Compute Util %    mean over folds of used PEs·T / (R·C·c), c = the fold's cycles as
 *                     SCALE-Sim counts them here: OS T+R+C−2; WS/IS its demand matrix after the
 *                     skew, 2R+C+T−2 + (C−1) (measured on IS 8×16 and WS/IS 32×32; with R ≠ C
 *                     the WS term is inferred from the IS one)
 *   SRAM start/stop/count per operand: SCALE-Sim's demand matrices (ssdemand.c)
 *   Avg SRAM BW       SRAM accesses / Total Cycles, words per cycle
 *   DRAM OFMAP        SCALE-Sim's write buffer (ssdram.c, exact)
 *   DRAM IFMAP/FILTER start: SCALE-Sim's first fetch (ssdram.c, exact); when the operand fits
 *                     its read buffer also stop (−1) and reads (its distinct words), exact;
 *                     FILTER reads also when it does not fit (ssdram.c, exact on every
 *                     reference row). NOT SCALE-Sim's when the operand does not fit: the IFMAP
 *                     reads and stop (npusim's FIFO approximation of the read buffer,
 *                     npu_ssdram_ifmap) and the FILTER stop (the last miss's cycle).
 *   Avg DRAM BW       reads (writes) / (stop − start + 1)
 * Floats print as Python's repr(), as SCALE-Sim's do.
 */
#include "ssreport.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ssdemand.h"
#include "ssdram.h"
#include "systolic.h"

void npu_ssrep_pyfloat(double v, char *buf, size_t cap)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* Python: no exponent between 1e-4 and 1e16, and a ".0" on whole numbers */
    if (strchr(buf, 'e') && v != 0 && fabs(v) >= 1e-4 && fabs(v) < 1e16) {
        char tmp[64];
        for (int d = 0; d <= 20; d++) {
            snprintf(tmp, sizeof tmp, "%.*f", d, v);
            if (strtod(tmp, NULL) == v)
                break;
        }
        snprintf(buf, cap, "%s", tmp);
    }
    if (!strpbrk(buf, ".eni"))
        snprintf(buf + strlen(buf), cap - strlen(buf), ".0");
}

typedef npu_ssdem_acc ss_acc;

enum { SS_IF = NPU_SSDEM_IFMAP, SS_FI = NPU_SSDEM_FILTER, SS_OF = NPU_SSDEM_OFMAP };

/* One SCALE-Sim layer (a sub-problem) of a LAYER record. */
typedef struct ss_row {
    int64_t total;
    double util, mapping, compute;
    ss_acc sram[3], dram[3]; /* [SS_IF], [SS_FI], [SS_OF] */
} ss_row;

static int ss_row_of(const npu_sys_layer *L, const npu_ssdem_geom *g, bool dram, ss_row *r,
                     npu_err *err)
{
    int64_t R = L->rows, C = L->cols, rf = L->row_folds, cf = L->col_folds, F = rf * cf;
    int64_t fold = npu_systolic_fold_cycles(L->dataflow, R, C, L->t);
    r->total = F * fold - 1;
    double pes = (double)R * (double)C;
    r->util = 100.0 * (double)L->m * (double)L->n * (double)L->k / ((double)r->total * pes);
    r->mapping = 100.0 * (double)L->sr * (double)L->sc / ((double)F * pes);
    int64_t c = L->dataflow == NPU_SYS_DF_OS ? fold : fold + C - 1;
    r->compute = r->mapping * (double)L->t / (double)c;
    npu_ssdem_sram(L, g, r->sram);
    if (!dram)
        return 0;
    npu_ssdram_op ifm = {0, 0, 0}, fil = {0, 0, 0};
    int irc = npu_ssdram_ifmap(L, g, 2 * L->ifmap_half, r->sram[SS_IF].start - 1, NULL, NULL,
                               &ifm, err);
    if (irc < 0 || npu_ssdram_filter(L, 2 * L->filter_half, r->sram[SS_FI].start - 1, &fil, err))
        return -1;
    if (irc == 2) /* too large to walk: npusim's planned DRAM bytes, the last demand */
        ifm.words = L->dram_ifmap_rd / (L->nsub > 0 ? L->nsub : 1),
        ifm.stop = r->sram[SS_IF].stop - 1;
    r->dram[SS_IF] = (ss_acc){ifm.start, ifm.stop, ifm.words};
    r->dram[SS_FI] = (ss_acc){fil.start, fil.stop, fil.words};
    npu_ssdram_op of = {0, 0, 0};
    if (npu_ssdram_ofmap(L, C, &of, err)) /* CALC mode: drained at the array width */
        return -1;
    r->dram[SS_OF] = (ss_acc){of.start, of.stop, of.words};
    return 0;
}

typedef void (*ss_emit)(const ss_row *r, npu_strbuf *out);

static void put_f(npu_strbuf *out, double v)
{
    char b[64];
    npu_ssrep_pyfloat(v, b, sizeof b);
    npu_sb_printf(out, ", %s", b);
}

static void emit_compute(const ss_row *r, npu_strbuf *out)
{
    npu_sb_printf(out, ", %lld, 0", (long long)r->total);
    put_f(out, r->util);
    put_f(out, r->mapping);
    put_f(out, r->compute);
}

static void emit_bandwidth(const ss_row *r, npu_strbuf *out)
{
    for (int o = 0; o < 3; o++)
        put_f(out, (double)r->sram[o].n / (double)r->total);
    for (int o = 0; o < 3; o++)
        put_f(out, (double)r->dram[o].n / (double)(r->dram[o].stop - r->dram[o].start + 1));
}

static void emit_detailed(const ss_row *r, npu_strbuf *out)
{
    for (int d = 0; d < 2; d++)
        for (int o = 0; o < 3; o++) {
            const ss_acc *a = d ? &r->dram[o] : &r->sram[o];
            put_f(out, (double)a->start);
            put_f(out, (double)a->stop);
            npu_sb_printf(out, ", %lld", (long long)a->n);
        }
}

int npu_ssrep_each(const npu_program *p, const npu_graph *g, npu_ssrep_layer_fn fn, void *ctx,
                   npu_err *err)
{
    if (!p || !p->model || strcmp(p->model, "systolic") != 0)
        return npu_err_set(err, NPU_EINVAL, "SCALE-Sim reports need a program of the systolic "
                           "model (this one is %s's)", p && p->model ? p->model : "no model");
    int64_t id = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ins[i].op != NPU_SYS_OP_LAYER)
            continue;
        const npu_sys_layer *L = npu_sys_payload(p, i, NPU_SYS_OP_LAYER, sizeof *L);
        if (!L)
            return npu_err_set(err, NPU_EFORMAT, "instruction %zu: bad LAYER record", i);
        if (L->rows < 1 || L->cols < 1 || L->row_folds < 1 || L->col_folds < 1)
            return npu_err_set(err, NPU_EFORMAT, "instruction %zu: empty LAYER record", i);
        npu_ssdem_geom geo;
        int li = p->ins[i].layer >= 0 && p->ins[i].layer < p->nlayers
                     ? (g ? npu_graph_find_layer(g, p->layers[p->ins[i].layer].name) : -1)
                     : -1;
        npu_ssdem_geom_of(g, li, L, &geo);
        int64_t ns = L->nsub > 0 ? L->nsub : 1;
        if (fn(ctx, L, &geo, id, ns, err)) {
            npu_err_prefix(err, "SCALE-Sim LayerID %lld", (long long)id);
            return -1;
        }
        id += ns;
    }
    return 0;
}

/* The report texts of files [0, n): header[f] then one emit[f] row per SCALE-Sim layer into
 * out[f]; each layer is simulated once for all n (the DRAM side only when `dram`). */
typedef struct ss_files {
    int n;
    const ss_emit *emit;
    bool dram;
    npu_strbuf *out;
} ss_files;

static int ss_layer(void *ctx, const npu_sys_layer *L, const npu_ssdem_geom *geo, int64_t id,
                    int64_t nsub, npu_err *err)
{
    ss_files *w = ctx;
    ss_row r;
    if (ss_row_of(L, geo, w->dram, &r, err))
        return -1;
    for (int64_t s = 0; s < nsub; s++)
        for (int f = 0; f < w->n; f++) {
            npu_sb_printf(&w->out[f], "%lld", (long long)(id + s));
            w->emit[f](&r, &w->out[f]);
            npu_sb_puts(&w->out[f], ",\n");
        }
    return 0;
}

static int ss_write(const npu_program *p, const npu_graph *g, int n, const char *const *header,
                    const ss_emit *emit, bool dram, npu_strbuf *out, npu_err *err)
{
    for (int f = 0; f < n; f++)
        npu_sb_puts(&out[f], header[f]);
    ss_files w = {n, emit, dram, out};
    return npu_ssrep_each(p, g, ss_layer, &w, err);
}

static const char *const ss_headers[] = {
    "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util "
    "%,\n",
    "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg "
    "FILTER DRAM BW, Avg OFMAP DRAM BW,\n",
    "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start "
    "Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop "
    "Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
    "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, "
    "DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n"};
static const ss_emit ss_emits[] = {emit_compute, emit_bandwidth, emit_detailed};

int npu_ssrep_compute(const npu_program *p, const npu_graph *g, npu_strbuf *out,
                      npu_err *err)
{
    return ss_write(p, g, 1, &ss_headers[0], &ss_emits[0], false, out, err);
}

int npu_ssrep_bandwidth(const npu_program *p, const npu_graph *g, npu_strbuf *out,
                        npu_err *err)
{
    return ss_write(p, g, 1, &ss_headers[1], &ss_emits[1], true, out, err);
}

int npu_ssrep_detailed(const npu_program *p, const npu_graph *g, npu_strbuf *out,
                       npu_err *err)
{
    return ss_write(p, g, 1, &ss_headers[2], &ss_emits[2], true, out, err);
}

int npu_ssrep_write(const npu_program *p, const npu_graph *g, const char *dir, bool force,
                    npu_err *err)
{
    if (!dir || !*dir)
        return npu_err_set(err, NPU_EINVAL, "--scalesim-reports: empty directory name");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return npu_err_set(err, NPU_EIO, "%s: cannot create the directory: %s", dir,
                           strerror(errno));
    static const char *const names[] = {"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv",
                                        "DETAILED_ACCESS_REPORT.csv"};
    npu_strbuf sb[3];
    for (int f = 0; f < 3; f++)
        npu_sb_init(&sb[f]);
    int rc = ss_write(p, g, 3, ss_headers, ss_emits, true, sb, err);
    for (int f = 0; f < 3 && !rc; f++) {
        size_t n = strlen(dir) + strlen(names[f]) + 2;
        char *path = malloc(n);
        if (!path)
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        else {
            snprintf(path, n, "%s/%s", dir, names[f]);
            rc = sb[f].oom ? npu_err_set(err, NPU_ENOMEM, "out of memory")
                           : npu_write_file(path, sb[f].s ? sb[f].s : "", sb[f].len, force, err);
        }
        free(path);
    }
    for (int f = 0; f < 3; f++)
        npu_sb_free(&sb[f]);
    return rc;
}
