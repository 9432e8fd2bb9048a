/* scalesim_cli.h — the CLI's SCALE-Sim steps (prefix npu_cli_), kept out of main.c: a scale.cfg
 * as -a, SCALE-Sim's reading of a topology in fidelity=scalesim, --scalesim-reports. */
#ifndef NPU_CLI_SCALESIM_CLI_H
#define NPU_CLI_SCALESIM_CLI_H

#include <stdbool.h>

#include "../npusim_int.h"

/* npu_arch_open, or for a name ending in .cfg the systolic model with the SCALE-Sim config's
 * settings (sim/front/scalesim_cfg.c); --set is applied after either by the caller. */
npu_arch *npu_cli_arch_open(npu_ctx *ctx, const char *name, npu_err *err);

/* Whether GRAPH `path` is a SCALE-Sim topology (.csv) to be read by the CLI: run on the
 * systolic model in fidelity=scalesim, or with -a ARCH a scale.cfg. In fidelity=scalesim a
 * "DP" row is SCALE-Sim's Channels one-channel layers of Num Filter filters each, not a
 * depthwise conv (front/scalesim.c); with a cfg whose [sparsity] SparsitySupport is True its
 * N:M layers are sparse (nm=N,M). */
bool npu_cli_ss_csv(const npu_arch *a, const char *arch, const char *path);
/* Reads and prepares such a topology (batch > 0: npu_graph_set_batch). */
npu_graph *npu_cli_ss_load(const npu_arch *a, const char *arch, const char *path, int64_t batch,
                           npu_err *err);

/* --scalesim-reports DIR: SCALE-Sim v2's report files of the program the run simulates
 * (models/systolic/ssreport.c). */
int npu_cli_ssrep(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const char *dir,
                  bool force, npu_err *err);

/* `npusim scalesim -c CFG -t TOPO -p OUTDIR [-i conv|gemm] [--force]`: scale.py's command line
 * (argv after the command name); the exit status. */
int npu_cli_scalesim(int argc, char **argv);

#endif
