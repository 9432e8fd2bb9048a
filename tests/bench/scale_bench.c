/* scale_bench.c — how the time of a design point grows with the work (issue 20): series of
 * runs that differ in one size only, each timed as run_bench does (graph loaded once, CPU
 * time per npu_run, median of REPS repeats), and the fitted growth exponent k of
 * time ∝ x^k (least squares on log time over log x) against the series' size x and against
 * its MACs. The machine is shared: the median is the figure, the least of the repeats (the
 * run least disturbed by other processes' cache traffic) is printed beside it. Linear simulation cost means k ≈ 1 against the work; the issue asks k <= 1.1.
 * Not a test: it prints figures (docs/speed.md is written from them).
 *
 *   scale_bench [SERIES [PRESET]] [-r REPS]
 * SERIES: depth      nv_small (or PRESET), ResNet-18/34/50/101/152: x = layers
 *         llmdepth   rk3588, a Qwen2-0.5B-wide transformer of 6..48 blocks, 16 tokens: x = layers
 *                    (~130..2,000; what the footprint's placement was quadratic in)
 *         resolution rk3588, YOLOv8n at 160/320/480/640: x = input pixels
 *         tokens     ascend910, Qwen2-0.5B prefill of 128..2048 tokens: x = tokens
 *         cores      ascend910, ResNet-50 on 1..32 AI cores (same work): x = cores
 *         all        (default) every series above. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_time.h"
#include "npusim_int.h"

typedef struct point {
    const char *net, *zoo_args; /* graph and its zoo arguments */
    const char *set;            /* "key=value" for the arch, or NULL */
    double x;                   /* the series' size; 0 = layers of the run */
} point;

typedef struct series {
    const char *name, *preset, *xname;
    point pts[8];
    int npts;
} series;

static const series all[] = {
    {"depth", "nv_small", "layers",
     {{"resnet18", NULL, NULL, 0}, {"resnet18", "depth=34", NULL, 0}, {"resnet50", NULL, NULL, 0},
      {"resnet50", "depth=101", NULL, 0}, {"resnet50", "depth=152", NULL, 0}},
     5},
    {"llmdepth", "rk3588", "layers",
     {{"transformer", "layers=6,tokens=16", NULL, 0},
      {"transformer", "layers=12,tokens=16", NULL, 0},
      {"transformer", "layers=24,tokens=16", NULL, 0},
      {"transformer", "layers=48,tokens=16", NULL, 0}},
     4},
    {"resolution", "rk3588", "pixels",
     {{"yolov8n", "size=160", NULL, 160 * 160}, {"yolov8n", "size=320", NULL, 320 * 320},
      {"yolov8n", "size=480", NULL, 480 * 480}, {"yolov8n", "size=640", NULL, 640 * 640}},
     4},
    {"tokens", "ascend910", "tokens",
     {{"qwen2_0_5b_prefill", "tokens=128", NULL, 128}, {"qwen2_0_5b_prefill", "tokens=256", NULL, 256},
      {"qwen2_0_5b_prefill", "tokens=512", NULL, 512}, {"qwen2_0_5b_prefill", "tokens=1024", NULL, 1024},
      {"qwen2_0_5b_prefill", "tokens=2048", NULL, 2048}},
     5},
    {"cores", "ascend910", "cores",
     {{"resnet50", NULL, "cores=1", 1}, {"resnet50", NULL, "cores=2", 2}, {"resnet50", NULL, "cores=4", 4},
      {"resnet50", NULL, "cores=8", 8}, {"resnet50", NULL, "cores=16", 16},
      {"resnet50", NULL, "cores=32", 32}},
     6},
};

/* Slope of log y over log x. */
static double fit(const double *x, const double *y, int n)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        double lx = log(x[i]), ly = log(y[i]);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
    }
    double d = n * sxx - sx * sx;
    return d != 0 ? (n * sxy - sx * sy) / d : 0;
}

/* A point, loaded: its graph and arch, the figures of its run, its times (ms per run). */
typedef struct loaded {
    npu_graph *g;
    npu_arch *a;
    int layers;
    double macs;
    double t[16];
} loaded;

static int load_point(npu_ctx *ctx, const char *preset, const point *pt, loaded *L)
{
    npu_err err = {0};
    npu_load_opts lo = {.zoo_args = pt->zoo_args};
    L->g = npu_load_graph(ctx, pt->net, &lo, &err);
    L->a = L->g ? npu_arch_open(ctx, preset, &err) : NULL;
    if (L->a && pt->set && npu_arch_set_kv(L->a, pt->set, &err) != 0) {
        npu_arch_free(L->a);
        L->a = NULL;
    }
    /* One warm-up point (pools and page faults of the first run). */
    npu_result *r = L->a ? npu_run(ctx, L->a, L->g, NULL, &err) : NULL;
    if (!r) {
        fprintf(stderr, "scale_bench: %s\n", err.msg);
        return -1;
    }
    L->layers = r->nlayers;
    L->macs = (double)r->total.macs;
    npu_result_free(r);
    return 0;
}

/* CPU ms per design point: points until >= 0.2 s of CPU or 20 points. */
static int time_once(npu_ctx *ctx, const loaded *L, double *ms)
{
    npu_err err = {0};
    double t0 = bench_cpu_s(), el = 0;
    int n = 0;
    do {
        npu_result *r = npu_run(ctx, L->a, L->g, NULL, &err);
        if (!r) {
            fprintf(stderr, "scale_bench: %s\n", err.msg);
            return -1;
        }
        npu_result_free(r);
        n++;
        el = bench_cpu_s() - t0;
    } while (el < 0.2 && n < 20);
    *ms = el / n * 1e3;
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = "all", *preset = NULL;
    int reps = 5, npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (npos++ == 0)
            which = argv[i];
        else
            preset = argv[i];
    }
    if (reps < 1)
        reps = 1;
    if (reps > 16)
        reps = 16;
    npu_keep_freed_memory(); /* as the npusim CLI does */
    npu_ctx *ctx = npu_ctx_new();
    int found = 0;
    for (size_t s = 0; s < sizeof all / sizeof all[0]; s++) {
        const series *S = &all[s];
        if (strcmp(which, "all") != 0 && strcmp(which, S->name) != 0)
            continue;
        found = 1;
        const char *pr = preset ? preset : S->preset;
        double x[8], y[8], y0[8], m[8];
        loaded L[8] = {{0}};
        printf("%s on %s (median of %d, repeats interleaved over the points):\n", S->name, pr,
               reps);
        fflush(stdout);
        int n = S->npts;
        for (int i = 0; i < n; i++)
            if (load_point(ctx, pr, &S->pts[i], &L[i]) != 0)
                return 1;
        /* Repeat k times each point in turn: a burst of load from other processes then
         * spreads over the points instead of landing on one. */
        for (int k = 0; k < reps; k++)
            for (int i = 0; i < n; i++)
                if (time_once(ctx, &L[i], &L[i].t[k]) != 0)
                    return 1;
        for (int i = 0; i < n; i++) {
            const point *pt = &S->pts[i];
            qsort(L[i].t, (size_t)reps, sizeof L[i].t[0], bench_cmp_d);
            x[i] = pt->x > 0 ? pt->x : L[i].layers;
            y[i] = L[i].t[reps / 2];
            y0[i] = L[i].t[0];
            m[i] = L[i].macs > 0 ? L[i].macs : 1;
            printf("  %-18s %-11s %-8s %6s %-8.0f layers %-5d GMAC %-8.2f %9.3f ms (least %.3f)\n",
                   pt->net, pt->zoo_args ? pt->zoo_args : "", pt->set ? pt->set : "", S->xname,
                   x[i], L[i].layers, L[i].macs * 1e-9, y[i], y0[i]);
            npu_arch_free(L[i].a);
            npu_graph_free(L[i].g);
        }
        printf("  exponent: time ~ %s^%.2f (least: ^%.2f)", S->xname, fit(x, y, n), fit(x, y0, n));
        if (fit(x, m, n) > 0.05)
            printf(", time ~ MACs^%.2f (least: ^%.2f)", fit(m, y, n), fit(m, y0, n));
        printf("\n");
    }
    npu_ctx_free(ctx);
    if (!found) {
        fprintf(stderr,
                "scale_bench: unknown series '%s' (depth, llmdepth, resolution, tokens, cores, all)\n",
                which);
        return 2;
    }
    return 0;
}
