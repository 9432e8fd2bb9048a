/* ssdemand.h — SCALE-Sim v2's SRAM demand of one layer: when each operand is first and last
 * read or written, and how many words (prefix npu_ssdem_). Used by ssreport.c;
 * docs/scalesim.md §4.
 */
#ifndef NPU_MODELS_SYSTOLIC_SSDEMAND_H
#define NPU_MODELS_SYSTOLIC_SSDEMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "../../isa/systolic.h"
#include "../../sim/core/graph.h"

/* The ifmap of one SCALE-Sim conv layer, un-padded as SCALE-Sim reads it (has = false for a
 * GEMM or anything whose im2col is not known here: then every ifmap element is in bounds). */
typedef struct npu_ssdem_geom {
    bool has;
    int64_t h, w, c;      /* ifmap (per group)                  */
    int64_t kh, kw, sh, sw, wo;
} npu_ssdem_geom;

/* The geometry of graph layer li (conv only; `has` false otherwise). */
void npu_ssdem_geom_of(const npu_graph *g, int li, const npu_sys_layer *L, npu_ssdem_geom *out);

/* First and last cycle, and words, of one operand's SRAM accesses as SCALE-Sim reports them. */
typedef struct npu_ssdem_acc {
    int64_t start, stop, n;
} npu_ssdem_acc;

enum { NPU_SSDEM_IFMAP = 0, NPU_SSDEM_FILTER = 1, NPU_SSDEM_OFMAP = 2 };

/* acc[NPU_SSDEM_*] of one sub-problem of L (stall-free, CALC mode). */
void npu_ssdem_sram(const npu_sys_layer *L, const npu_ssdem_geom *g, npu_ssdem_acc acc[3]);

/* Distinct ifmap words the layer's windows touch (SCALE-Sim's read buffer holds each once). */
int64_t npu_ssdem_ifmap_words(const npu_sys_layer *L, const npu_ssdem_geom *g);

/* One cycle of an operand's SRAM demand: `width` lanes (the array rows a streamed operand
 * enters through, the array columns of a preloaded one or of the results), addr[i] the word
 * lane i reads or writes on that cycle, −1 for none (also an out-of-bounds hole). Addresses
 * are SCALE-Sim's without its offsets: ifmap NHWC element index (per group), filter k·N + n,
 * ofmap pixel·N + n. `cycle` is the demand cycle (SCALE-Sim prints reads one cycle later);
 * fc, fr the fold. Returns nonzero to stop the walk. */
typedef int (*npu_ssdem_row_fn)(void *ctx, int64_t fc, int64_t fr, int64_t cycle,
                                const int64_t *addr, int width);

/* Lanes of operand op's demand rows (NPU_SSDEM_*). */
int npu_ssdem_width(const npu_sys_layer *L, int op);

/* Walks operand op's demand of one sub-problem, fold after fold (column fold outer), every
 * cycle of a fold from the operand's first to its last demand in it, ascending; the counts of
 * valid lanes add up to acc[op].n of npu_ssdem_sram except the holes and, in OS, the OFMAP's
 * 2·cu extra writes per fold (where SCALE-Sim puts them is not known). Returns 0, fn's nonzero
 * value, or -1 when out of memory. */
int npu_ssdem_walk(const npu_sys_layer *L, const npu_ssdem_geom *g, int op, npu_ssdem_row_fn fn,
                   void *ctx);

#endif
