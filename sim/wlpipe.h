/* wlpipe.h — layer pipelining of a workload (pipeline=N): the plan that replaces a pipelined
 * workload by its stages, one per core or chip (sim/wlpipe.c; docs/workloads.md "Layer
 * pipelining"). Internal to sim/workload.c. */
#ifndef NPU_WLPIPE_H
#define NPU_WLPIPE_H

#include "npusim_int.h"

typedef struct npu_wl_pstage {
    int src;          /* the workload as given (its index)                                 */
    int first, stages; /* its stages: plan.w[first .. first+stages-1]                       */
    double alone_us;  /* the balance run: the whole graph alone on stage 0's core or chip
                       * (on a card plus its input and output over the link)               */
    const char *cuts; /* the layers each stage after the first starts with, ','-separated   */
} npu_wl_pstage;

typedef struct npu_wl_plan {
    npu_workload *w;  /* what runs: each pipelined workload replaced by its stages          */
    int n;
    int *pipe, *stage; /* per w[i]: its pipeline (index into p) and stage, or -1            */
    npu_wl_pstage *p;
    int np;
    npu_graph **g;    /* per w[i]: the stage graph it owns, or NULL (ng entries)            */
    int ng;
    npu_arena arena;  /* names, settings                                                    */
} npu_wl_plan;

/* Expands w[0..n) (a card has chips > 1). Without pipeline= anywhere the plan is w as given.
 * Balancing runs each pipelined graph once alone (npu_run) on its first stage's place. */
int npu_wl_plan_make(npu_ctx *ctx, const npu_arch *a, const npu_workload *w, int n, int chips,
                     npu_wl_plan *out, npu_err *err);
void npu_wl_plan_free(npu_wl_plan *p);

#endif
