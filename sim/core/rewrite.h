/* rewrite.h — private to sim/core: the lazy rewiring the passes share (passes.c, dtype.c;
 * prefix npu_rw_).
 *
 * Rewiring is lazy so that a pass stays linear: repl[t] names the tensor that replaces t
 * (-1: none). Layers are visited in topological order and resolve their inputs when visited.
 */
#ifndef NPU_REWRITE_H
#define NPU_REWRITE_H

#include "graph.h"

/* Number of live layers reading each tensor (a layer reading it twice counts once), and
 * whether each tensor is a graph output; both calloc'ed, freed by the caller. */
int npu_rw_use_counts(const npu_graph *g, int **ncons, bool **is_out, npu_err *err);
/* A replacement map of g's tensors, all -1 (NULL on OOM). */
int *npu_rw_new_repl(const npu_graph *g);
/* Replaces each input of l by the end of its replacement chain. */
void npu_rw_resolve_inputs(npu_graph *g, npu_layer *l, const int *repl);

#endif
