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
 *         resolution rk3588, YOLOv8n at 160/320/480/640: x = input pixels
 *         tokens     ascend910, Qwen2-0.5B prefill of 128..2048 tokens: x = tokens
 *         cores      ascend910, ResNet-50 on 1..32 AI cores (same work): x = cores
 *         all        (default) every series above. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "npusim.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

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

/* Median and least CPU ms per design point; fills layers and MACs of the run. */
static int time_point(npu_ctx *ctx, const char *preset, const point *pt, int reps, double *ms,
                      double *ms_min, int *layers, double *macs)
{
    npu_err err = {0};
    npu_load_opts lo = {.zoo_args = pt->zoo_args};
    npu_graph *g = npu_load_graph(ctx, pt->net, &lo, &err);
    npu_arch *a = g ? npu_arch_open(ctx, preset, &err) : NULL;
    if (a && pt->set && npu_arch_set_kv(a, pt->set, &err) != 0) {
        npu_arch_free(a);
        a = NULL;
    }
    if (!g || !a) {
        fprintf(stderr, "scale_bench: %s\n", err.msg);
        npu_graph_free(g);
        return -1;
    }
    /* One warm-up point (pools and page faults of the first run), then points until each
     * repeat has taken >= 0.2 s of CPU or 20 points. */
    npu_result *r = npu_run(ctx, a, g, NULL, &err);
    if (!r) {
        fprintf(stderr, "scale_bench: %s\n", err.msg);
        return -1;
    }
    *layers = r->nlayers;
    *macs = (double)r->total.macs;
    npu_result_free(r);
    double t[16];
    if (reps > 16)
        reps = 16;
    for (int k = 0; k < reps; k++) {
        double t0 = now_s(), el = 0;
        int n = 0;
        do {
            r = npu_run(ctx, a, g, NULL, &err);
            if (!r) {
                fprintf(stderr, "scale_bench: %s\n", err.msg);
                return -1;
            }
            npu_result_free(r);
            n++;
            el = now_s() - t0;
        } while (el < 0.2 && n < 20);
        t[k] = el / n * 1e3;
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_d);
    *ms = t[reps / 2];
    *ms_min = t[0];
    npu_arch_free(a);
    npu_graph_free(g);
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
    npu_ctx *ctx = npu_ctx_new();
    int found = 0;
    for (size_t s = 0; s < sizeof all / sizeof all[0]; s++) {
        const series *S = &all[s];
        if (strcmp(which, "all") != 0 && strcmp(which, S->name) != 0)
            continue;
        found = 1;
        const char *pr = preset ? preset : S->preset;
        double x[8], y[8], y0[8], m[8];
        printf("%s on %s (median of %d):\n", S->name, pr, reps);
        int n = 0;
        for (int i = 0; i < S->npts; i++) {
            const point *pt = &S->pts[i];
            int layers = 0;
            double macs = 0, ms = 0, ms0 = 0;
            if (time_point(ctx, pr, pt, reps, &ms, &ms0, &layers, &macs) != 0)
                return 1;
            x[n] = pt->x > 0 ? pt->x : layers;
            y[n] = ms;
            y0[n] = ms0;
            m[n] = macs > 0 ? macs : 1;
            printf("  %-18s %-11s %-8s %6s %-8.0f layers %-5d GMAC %-8.2f %9.3f ms (least %.3f)\n",
                   pt->net, pt->zoo_args ? pt->zoo_args : "", pt->set ? pt->set : "", S->xname,
                   x[n], layers, macs * 1e-9, ms, ms0);
            fflush(stdout);
            n++;
        }
        printf("  exponent: time ~ %s^%.2f (least: ^%.2f)", S->xname, fit(x, y, n), fit(x, y0, n));
        if (fit(x, m, n) > 0.05)
            printf(", time ~ MACs^%.2f (least: ^%.2f)", fit(m, y, n), fit(m, y0, n));
        printf("\n");
    }
    npu_ctx_free(ctx);
    if (!found) {
        fprintf(stderr, "scale_bench: unknown series '%s' (depth, resolution, tokens, cores, all)\n",
                which);
        return 2;
    }
    return 0;
}
