/* result.c — field tables, derived fields and totals of a simulation result (prefix
 * npu_result_ / npu_field_). The contract is sim/core/result.h.
 *
 * share_cycles: every core cycle of the run [0, total) is charged to the layers active in it
 * (start <= t < end), split evenly among them; a cycle in which no layer is active (a gap, or
 * the time before the first layer) is charged to the layer(s) that start next. The shares are
 * accumulated exactly as fractions of the segment lengths and rounded with the largest-
 * remainder method, so the integers sum to the total exactly.
 *
 * bound: the largest measured share of the layer's window, compute_cycles (compute),
 * mem_stall_cycles (memory) or ctrl_stall_cycles (control); ties go to the earlier one in that
 * list. Control stall is refined to "host" when the host's own busy time for the layer is at
 * least half of it (the NPU waited mostly on the CPU, not on an interrupt or a command
 * processor), and a layer that ran on a host processor is "host" when its compute is the
 * largest share. A layer that took no time (fused into another, a view) is "none": nothing
 * bounded it, its time is in the layer it was fused into.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

const npu_field npu_layer_fields[] = {
#define NPU_X(n, t, u, d) {#n, NPU_FT_##t, offsetof(npu_layer_row, n), u, d},
    NPU_LAYER_FIELDS(NPU_X)
#undef NPU_X
    {NULL, NPU_FT_INT, 0, NULL, NULL},
};

const npu_field npu_total_fields[] = {
#define NPU_X(n, t, u, d) {#n, NPU_FT_##t, offsetof(npu_total_row, n), u, d},
    NPU_TOTAL_FIELDS(NPU_X)
#undef NPU_X
    {NULL, NPU_FT_INT, 0, NULL, NULL},
};

#define NPU_X(n, t, u, d) +1
const int npu_layer_nfields = 0 NPU_LAYER_FIELDS(NPU_X);
const int npu_total_nfields = 0 NPU_TOTAL_FIELDS(NPU_X);
#undef NPU_X

npu_result *npu_result_new(void)
{
    npu_result *r = npu_calloc(1, sizeof *r);
    if (r) {
        npu_arena_init(&r->arena);
        r->total.batch = r->total.items = 1;
        r->total.unit = "inference";
        r->total.fits = -1; /* no footprint measured (a saved program, a Lua table) */
    }
    return r;
}

void npu_result_free(npu_result *r)
{
    if (!r)
        return;
    npu_params_free(r->params);
    npu_arena_free(&r->arena);
    free(r);
}

bool npu_result_on_host(const npu_result *r, const npu_layer_row *l)
{
    /* a result without its model's list (built from Lua tables for a plot): the host names
     * the built-in models use */
    static const char *const usual[] = {"cpu", "host", "mcu", "aicpu", "ai-cpu", "ai_cpu", NULL};
    const char *const *hosts = r && r->host_engines ? r->host_engines : usual;
    const char *e = l ? l->engine : NULL;
    if (!e)
        return false;
    for (int i = 0; hosts[i]; i++) {
        size_t n = strlen(hosts[i]);
        bool ok = true;
        for (size_t j = 0; j < n && ok; j++) {
            char c = e[j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            ok = c == hosts[i][j];
        }
        if (ok && (e[n] == 0 || e[n] == '-' || e[n] == '_' || (e[n] >= '0' && e[n] <= '9')))
            return true;
    }
    return false;
}

int64_t npu_field_int(const void *row, const npu_field *f)
{
    const char *p = (const char *)row + f->offset;
    switch (f->type) {
    case NPU_FT_INT: return *(const npu_f_INT *)(const void *)p;
    case NPU_FT_FLOAT: return (int64_t)*(const npu_f_FLOAT *)(const void *)p;
    default: return 0;
    }
}

double npu_field_float(const void *row, const npu_field *f)
{
    const char *p = (const char *)row + f->offset;
    switch (f->type) {
    case NPU_FT_INT: return (double)*(const npu_f_INT *)(const void *)p;
    case NPU_FT_FLOAT: return *(const npu_f_FLOAT *)(const void *)p;
    default: return 0;
    }
}

const char *npu_field_str(const void *row, const npu_field *f)
{
    if (f->type != NPU_FT_STR)
        return NULL;
    const char *s = *(const npu_f_STR *)(const void *)((const char *)row + f->offset);
    return s ? s : "";
}

/* ---- share_cycles ------------------------------------------------------------------------------ */

typedef struct bound_ev {
    int64_t t;
    int layer;
    int kind; /* 0 = end, 1 = start (ends first at equal times) */
} bound_ev;

static int bev_cmp(const void *a, const void *b)
{
    const bound_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return x->layer - y->layer;
}

typedef struct frac {
    int64_t whole;
    double part;   /* fractional cycles, in [0, n) before normalisation */
    int layer;
} frac;

static int frac_cmp(const void *a, const void *b)
{
    const frac *x = a, *y = b;
    double fx = x->part, fy = y->part;
    if (fx != fy)
        return fx > fy ? -1 : 1;
    return x->layer - y->layer;
}

/* Returns 0, or -1 when out of memory (shares then fall back to cycles scaled). */
static int compute_shares(npu_result *r, int64_t total)
{
    int n = r->nlayers;
    for (int i = 0; i < n; i++)
        r->layers[i].share_cycles = 0;
    if (n == 0 || total <= 0)
        return 0;
    bound_ev *ev = malloc(sizeof *ev * (size_t)n * 2);
    int *act = malloc(sizeof *act * (size_t)n);
    int *pos = malloc(sizeof *pos * (size_t)n);
    frac *fr = calloc((size_t)n, sizeof *fr);
    if (!ev || !act || !pos || !fr) {
        free(ev), free(act), free(pos), free(fr);
        return -1;
    }
    int ne = 0;
    for (int i = 0; i < n; i++) {
        fr[i].layer = i;
        const npu_layer_row *L = &r->layers[i];
        if (L->end > L->start) {
            ev[ne++] = (bound_ev){L->start, i, 1};
            ev[ne++] = (bound_ev){L->end, i, 0};
        }
    }
    qsort(ev, (size_t)ne, sizeof *ev, bev_cmp);
    int nact = 0;
    int64_t t = 0;      /* charged up to t */
    int64_t gap_from = -1;
    for (int k = 0; k < ne;) {
        int64_t now = ev[k].t;
        if (now > t) {
            if (nact > 0) {
                int64_t len = now - t;
                int64_t q = len / nact, rem = len % nact;
                for (int a = 0; a < nact; a++) {
                    fr[act[a]].whole += q;
                    fr[act[a]].part += (double)rem / nact;
                }
            } else if (gap_from < 0) {
                gap_from = t;
            }
            t = now;
        }
        /* Apply all boundaries at `now`. */
        int nstart = 0, first_start = k;
        for (; k < ne && ev[k].t == now; k++) {
            int l = ev[k].layer;
            if (ev[k].kind == 0) {
                int p = pos[l];
                act[p] = act[--nact];
                pos[act[p]] = p;
            } else {
                if (nstart == 0)
                    first_start = k;
                nstart++;
                pos[l] = nact;
                act[nact++] = l;
            }
        }
        if (gap_from >= 0 && nstart > 0) {
            /* Charge the idle stretch to the layers starting now. */
            int64_t len = now - gap_from;
            int64_t q = len / nstart, rem = len % nstart;
            for (int s = first_start, c = 0; c < nstart; s++) {
                if (ev[s].kind != 1)
                    continue;
                fr[ev[s].layer].whole += q;
                fr[ev[s].layer].part += (double)rem / nstart;
                c++;
            }
            gap_from = -1;
        }
    }
    /* Normalise fractional parts, then hand the leftover cycles to the largest remainders. */
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        int64_t w = (int64_t)fr[i].part;
        fr[i].whole += w;
        fr[i].part -= (double)w;
        sum += fr[i].whole;
    }
    int64_t left = total - sum;
    if (left > 0) {
        qsort(fr, (size_t)n, sizeof *fr, frac_cmp);
        for (int i = 0; left > 0; i = (i + 1) % n, left--)
            fr[i].whole++;
    } else if (left < 0) {
        /* Floating rounding handed out too much: take it back from the smallest remainders. */
        qsort(fr, (size_t)n, sizeof *fr, frac_cmp);
        for (int i = n - 1; left < 0; i = (i + n - 1) % n)
            if (fr[i].whole > 0) {
                fr[i].whole--;
                left++;
            }
    }
    for (int i = 0; i < n; i++)
        r->layers[fr[i].layer].share_cycles = fr[i].whole;
    free(ev), free(act), free(pos), free(fr);
    return 0;
}

static const char *bound_of(const npu_result *r, const npu_layer_row *L)
{
    if (L->cycles <= 0)
        return "none";
    const char *b = "compute";
    int64_t v = L->compute_cycles;
    if (L->mem_stall_cycles > v) {
        v = L->mem_stall_cycles;
        b = "memory";
    }
    if (L->ctrl_stall_cycles > v) {
        v = L->ctrl_stall_cycles;
        b = L->host_cycles > 0 && 2 * L->host_cycles >= v ? "host" : "control";
    }
    if (v == L->compute_cycles && npu_result_on_host(r, L))
        b = "host";
    return b;
}

/* Energy: each layer's static share is the static power over its share_cycles, so the layers
 * sum to the run's energy exactly as their shares sum to its time; the totals are sums.
 * Peak power (peak_profile): the power profile spreads each layer's dynamic energy evenly over
 * its own [start, end) and adds the static power; the peak is that profile's maximum, over the
 * windows between consecutive layer starts and ends. Overlapping layers add up; every counted
 * action takes engine time (MACs at the array's rate, bytes at a port's), so no window divides
 * energy by a sliver. The profile's mean is the average power (layers of no duration aside),
 * and the peak is never reported below it. */
typedef struct pev {
    int64_t t;
    double all, npu; /* dynamic mW starting (+) or ending (-) at t */
} pev;

static int pev_cmp(const void *a, const void *b)
{
    const pev *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* The highest dynamic power of the profile, all and NPU alone (mW); per-layer maxima when out
 * of memory. */
static void peak_profile(const npu_result *r, double mhz, double *all, double *npu)
{
    *all = *npu = 0;
    pev *ev = malloc(sizeof *ev * 2 * (size_t)(r->nlayers > 0 ? r->nlayers : 1));
    int n = 0;
    for (int i = 0; i < r->nlayers; i++) {
        const npu_layer_row *L = &r->layers[i];
        if (L->end <= L->start)
            continue;
        double us = (double)(L->end - L->start) / mhz;
        double p_npu = (L->e_mac_uj + L->e_buf_uj + L->e_ctrl_uj) / us * 1e3;
        double p_all = p_npu + (L->e_dram_uj + L->e_host_uj) / us * 1e3;
        if (!ev) {
            *all = p_all > *all ? p_all : *all;
            *npu = p_npu > *npu ? p_npu : *npu;
            continue;
        }
        ev[n++] = (pev){L->start, p_all, p_npu};
        ev[n++] = (pev){L->end, -p_all, -p_npu};
    }
    if (!ev)
        return;
    qsort(ev, (size_t)n, sizeof *ev, pev_cmp);
    double a = 0, p = 0;
    for (int i = 0; i < n; i++) {
        a += ev[i].all;
        p += ev[i].npu;
        if (i + 1 < n && ev[i + 1].t == ev[i].t)
            continue; /* every change at this instant first */
        *all = a > *all ? a : *all;
        *npu = p > *npu ? p : *npu;
    }
    free(ev);
}

static void finish_energy(npu_result *r, double mhz)
{
    npu_total_row *T = &r->total;
    double st_mw = r->npu_static_mw + r->other_static_mw, npu_dyn = 0;
    for (int i = 0; i < r->nlayers; i++) {
        npu_layer_row *L = &r->layers[i];
        L->e_static_uj = st_mw * 1e-3 * ((double)L->share_cycles / mhz); /* mW x us = nJ */
        L->energy_uj = L->e_mac_uj + L->e_buf_uj + L->e_dram_uj + L->e_ctrl_uj + L->e_host_uj +
                       L->e_static_uj;
        T->e_mac_uj += L->e_mac_uj;
        T->e_buf_uj += L->e_buf_uj;
        T->e_dram_uj += L->e_dram_uj;
        T->e_ctrl_uj += L->e_ctrl_uj;
        T->e_host_uj += L->e_host_uj;
        T->e_static_uj += L->e_static_uj;
        T->energy_uj += L->energy_uj;
        npu_dyn += L->e_mac_uj + L->e_buf_uj + L->e_ctrl_uj;
    }
    T->area_mm2 = r->area_mm2;
    if (T->time_us <= 0)
        return;
    T->power_mw = T->energy_uj / T->time_us * 1e3;
    T->npu_power_mw = npu_dyn / T->time_us * 1e3 + r->npu_static_mw;
    double pk, npk;
    peak_profile(r, mhz, &pk, &npk);
    pk += r->npu_static_mw + r->other_static_mw;
    npk += r->npu_static_mw;
    T->peak_power_mw = pk > T->power_mw ? pk : T->power_mw;
    T->npu_peak_power_mw = npk > T->npu_power_mw ? npk : T->npu_power_mw;
    T->items_per_j = T->energy_uj > 0 ? (double)T->items / (T->energy_uj * 1e-6) : 0.0;
    double npu_uj = T->npu_power_mw * 1e-3 * T->time_us;
    T->tops_per_w = npu_uj > 0 ? 2.0 * (double)T->macs / (npu_uj * 1e-6) / 1e12 : 0.0;
}

void npu_result_finish(npu_result *r)
{
    if (!r)
        return;
    npu_total_row *T = &r->total;
    /* what a run produces is an input of the totals, not a sum: kept */
    int64_t batch = T->batch > 0 ? T->batch : 1, items = T->items > 0 ? T->items : batch;
    const char *unit = T->unit && T->unit[0] ? T->unit : "inference";
    /* the deployment footprint is not derived from the layers: kept (from total_weight_size,
     * the first of its fields, to the end of the row) */
    enum { FP = offsetof(npu_total_row, total_weight_size) };
    char fp[sizeof *T - FP];
    memcpy(fp, (char *)T + FP, sizeof fp);
    memset(T, 0, sizeof *T);
    memcpy((char *)T + FP, fp, sizeof fp);
    T->batch = batch;
    T->items = items;
    T->unit = unit;
    int64_t total = 0, irq_cyc = 0, host_cyc = 0;
    for (int i = 0; i < r->nlayers; i++) {
        npu_layer_row *L = &r->layers[i];
        if (L->end > total)
            total = L->end;
        double denom = (double)L->cycles * r->peak_macs;
        L->util = (denom > 0 && L->macs > 0) ? (double)L->macs / denom : 0.0;
        L->bound = bound_of(r, L);
        T->macs += L->macs;
        T->compute_cycles += L->compute_cycles;
        T->mem_stall_cycles += L->mem_stall_cycles;
        T->ctrl_stall_cycles += L->ctrl_stall_cycles;
        T->dram_rd_bytes += L->dram_rd_bytes;
        T->dram_wr_bytes += L->dram_wr_bytes;
        T->irq_count += L->irq_count;
        irq_cyc += L->irq_cycles;
        host_cyc += L->host_cycles;
        T->reg_writes += L->reg_writes;
    }
    if (compute_shares(r, total) != 0) {
        /* Out of memory: a coarse but still exact partition (everything to the last layer). */
        for (int i = 0; i < r->nlayers; i++)
            r->layers[i].share_cycles = 0;
        if (r->nlayers > 0)
            r->layers[r->nlayers - 1].share_cycles = total;
    }
    T->cycles = total;
    double mhz = r->freq_mhz > 0 ? r->freq_mhz : 1.0;
    T->time_us = (double)total / mhz;
    T->fps = T->time_us > 0 ? 1e6 / T->time_us : 0.0;
    T->items_per_s = (double)items * T->fps;
    T->first_token_ms = r->prefill ? T->time_us / 1e3 : 0.0;
    T->tops = T->time_us > 0 ? 2.0 * (double)T->macs / (T->time_us * 1e-6) / 1e12 : 0.0;
    double denom = (double)total * r->peak_macs;
    T->util = denom > 0 ? (double)T->macs / denom : 0.0;
    T->dram_gbps = T->time_us > 0
                       ? (double)(T->dram_rd_bytes + T->dram_wr_bytes) / (T->time_us * 1e3)
                       : 0.0;
    T->irq_us = (double)irq_cyc / mhz;
    T->host_us = (double)host_cyc / mhz;
    finish_energy(r, mhz);
}
