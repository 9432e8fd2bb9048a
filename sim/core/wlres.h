/* wlres.h — the result of several workloads run at once (sim/workload.c fills it, sim/report
 * writes it; docs/workloads.md). Plain data: one record per workload, each with the per-layer
 * result of its median frame. */
#ifndef NPU_WLRES_H
#define NPU_WLRES_H

#include <stdint.h>

#include "result.h"

#define NPU_WL_SCHEMA "npusim.workloads/1"

typedef struct npu_wl_stat {
    const char *name, *graph, *after; /* after: the workload whose frame k it follows, or ""   */
    const char *sets;                 /* its own settings as given ("core_mask=0", or "")      */
    int count;                        /* frames run                                            */
    double fps;                       /* periodic arrivals per second, 0 = back to back        */
    double lat_min_us, lat_med_us, lat_p99_us, lat_max_us, lat_mean_us; /* arrival → end     */
    double throughput_fps;            /* count / (last end − first arrival)                    */
    int misses;                       /* periodic: frames that ended after arrival + 1/fps     */
    int64_t dram_rd_bytes, dram_wr_bytes, sram_bytes; /* all its frames                       */
    double first_us, end_us;          /* first arrival, last end                               */
    int median_frame;                 /* which frame `frame` is (0-based)                      */
    int chip;                         /* card chip it ran on (0 without a card)                */
    npu_result *frame;                /* that frame's per-layer result (times from its start)  */
    double busy_us;                   /* all its frames' runs (input on the chip → last job)  */
    int pipe, stage;                  /* a pipeline stage: pipes[pipe], its stage; else -1     */
} npu_wl_stat;

/* A pipelined workload (pipeline=N, docs/workloads.md "Layer pipelining"): its N stages are
 * workloads w[first .. first+stages-1]; `s` is end to end (stage 0's arrival → the last stage's
 * end; s.frame is NULL, s.busy_us the stages' sum). */
typedef struct npu_wl_pipe {
    npu_wl_stat s;
    int stages, first;
    double alone_us;                  /* the balance run: the whole graph alone on stage 0's place
                                       * (on a card with its input and output over the link) */
    const char *cuts;                 /* the layers stages 1.. start with, ','-separated    */
} npu_wl_pipe;

struct npu_wl_run {
    npu_arena arena;  /* the strings */
    const char *arch;
    int n;
    npu_wl_stat *w;
    double time_us;   /* the last frame's end */
    int64_t dram_rd_bytes, dram_wr_bytes;
    int chips;        /* card presets: chips on the card (else 1)                               */
    int64_t link_bytes; /* bytes through the card's host link (frames' inputs + outputs)       */
    const char *spread; /* npu_run_card: "stream" or "batch" (static); NULL for workloads       */
    const char *unit;   /* npu_run_card: what a frame's items are ("image")                     */
    double card_items_s; /* npu_run_card: the card's items per second (sum over its chips)      */
    int npipes;
    npu_wl_pipe *pipes; /* the pipelined workloads, in the order given                        */
};

#endif
