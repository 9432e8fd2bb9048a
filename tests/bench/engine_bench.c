/* engine_bench.c — speed of the event engine on a synthetic pipeline (not a pass/fail test).
 *
 * 100 layers × 100 tiles; per tile five jobs on five units linked by double-buffer semaphores:
 *   load (DMA, one DRAM read) → mac → acc → post → store (DMA, one DRAM write)
 * plus one control job per layer: 50,100 jobs, 20,000 transfers sharing the DRAM port.
 * Prints the simulated time and the engine's speed in jobs per second of process CPU time
 * (best of N runs).
 * Usage: engine_bench [runs]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../isa/program.h"
#include "engine/engine.h"

#define LAYERS 100
#define TILES 100

/* Process CPU time: the figure stays meaningful on a loaded machine (CI, parallel builds). */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int build_and_run(npu_time *sim_end, long *njobs, npu_err *err)
{
    const npu_param_def *t[] = {npu_engine_param_defs};
    npu_params *p = npu_params_new(t, 1, err);
    if (!p)
        return 1;
    npu_params_set(p, "dram.half_bytes", "256", NPU_PO_SET, "bench", err);
    npu_engine *e = npu_engine_new(p, LAYERS, err);
    if (!e) {
        npu_params_free(p);
        return 1;
    }
    int clk = npu_engine_clock(e, "core", 1000);
    int ld = npu_engine_unit(e, "load", NPU_UK_DMA, clk, 2, 32);
    int mac = npu_engine_unit(e, "mac", NPU_UK_COMPUTE, clk, 1, 0);
    int acc = npu_engine_unit(e, "acc", NPU_UK_COMPUTE, clk, 1, 0);
    int post = npu_engine_unit(e, "post", NPU_UK_COMPUTE, clk, 1, 0);
    int st = npu_engine_unit(e, "store", NPU_UK_DMA, clk, 1, 16);
    int ctl = npu_engine_unit(e, "ctl", NPU_UK_CTRL, clk, 1, 0);
    /* credits (free slots) and data-ready counts between the stages */
    int f1 = npu_engine_sync(e, "in_free", 2), r1 = npu_engine_sync(e, "in_ready", 0);
    int f2 = npu_engine_sync(e, "acc_free", 2), r2 = npu_engine_sync(e, "acc_ready", 0);
    int f3 = npu_engine_sync(e, "post_free", 2), r3 = npu_engine_sync(e, "post_ready", 0);
    int f4 = npu_engine_sync(e, "out_free", 2), r4 = npu_engine_sync(e, "out_ready", 0);
    int go = npu_engine_sync(e, "go", 0), ldone = npu_engine_sync(e, "layer_done", 1);
    long n = 0;
    int rc = 0;
    for (int l = 0; l < LAYERS && rc == 0; l++) {
        npu_job c = {.unit = ctl, .layer = l, .cycles = 200, .nwait = 1, .nsig = 1, .label = "cfg"};
        c.wait[0] = (npu_syncop){ldone, 1};
        c.sig[0] = (npu_syncop){go, TILES};
        rc |= npu_engine_submit(e, &c, err);
        n++;
        for (int k = 0; k < TILES && rc == 0; k++) {
            double w = 40 + (l * 7 + k * 13) % 50; /* varying tile cost */
            npu_job j = {.unit = ld, .layer = l, .nwait = 2, .nsig = 1, .nxfer = 1, .label = "ld"};
            j.wait[0] = (npu_syncop){f1, 1};
            j.wait[1] = (npu_syncop){go, 1};
            j.sig[0] = (npu_syncop){r1, 1};
            j.xfer[0] = (npu_xfer){.port = NPU_PORT_DRAM, .bytes = 2048 + 64 * (k % 8), .run = 512};
            rc |= npu_engine_submit(e, &j, err);
            j = (npu_job){.unit = mac, .layer = l, .cycles = w, .nwait = 2, .nsig = 2, .label = "mac"};
            j.wait[0] = (npu_syncop){r1, 1};
            j.wait[1] = (npu_syncop){f2, 1};
            j.sig[0] = (npu_syncop){f1, 1};
            j.sig[1] = (npu_syncop){r2, 1};
            rc |= npu_engine_submit(e, &j, err);
            j = (npu_job){.unit = acc, .layer = l, .cycles = w / 4, .nwait = 2, .nsig = 2, .label = "acc"};
            j.wait[0] = (npu_syncop){r2, 1};
            j.wait[1] = (npu_syncop){f3, 1};
            j.sig[0] = (npu_syncop){f2, 1};
            j.sig[1] = (npu_syncop){r3, 1};
            rc |= npu_engine_submit(e, &j, err);
            j = (npu_job){.unit = post, .layer = l, .cycles = w / 2, .nwait = 2, .nsig = 2, .label = "post"};
            j.wait[0] = (npu_syncop){r3, 1};
            j.wait[1] = (npu_syncop){f4, 1};
            j.sig[0] = (npu_syncop){f3, 1};
            j.sig[1] = (npu_syncop){r4, 1};
            rc |= npu_engine_submit(e, &j, err);
            j = (npu_job){.unit = st, .layer = l, .nwait = 1, .nsig = 1, .nxfer = 1, .label = "st"};
            j.wait[0] = (npu_syncop){r4, 1};
            j.sig[0] = (npu_syncop){f4, 1};
            if (k == TILES - 1) {
                j.sig[1] = (npu_syncop){ldone, 1};
                j.nsig = 2;
            }
            j.xfer[0] = (npu_xfer){.port = NPU_PORT_DRAM, .write = true, .bytes = 1024};
            rc |= npu_engine_submit(e, &j, err);
            n += 5;
        }
    }
    if (rc == 0)
        rc = npu_engine_run(e, err);
    *sim_end = npu_engine_now(e);
    *njobs = n;
    npu_engine_free(e);
    npu_params_free(p);
    return rc;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1)
        runs = 1;
    double best = 1e30;
    npu_time end = 0;
    long njobs = 0;
    for (int i = 0; i < runs; i++) {
        npu_err err = {0};
        double t0 = now_s();
        if (build_and_run(&end, &njobs, &err) != 0) {
            fprintf(stderr, "engine_bench: %s\n", err.msg);
            return 1;
        }
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    printf("engine_bench: %d layers, %ld jobs, %d transfers\n", LAYERS, njobs, LAYERS * TILES * 2);
    printf("simulated time: %.3f us\n", (double)end * 1e-6);
    printf("CPU time (best of %d, incl. building): %.3f ms\n", runs, best * 1e3);
    printf("speed: %.2f M jobs/s\n", (double)njobs / best * 1e-6);
    return 0;
}
