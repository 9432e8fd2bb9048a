/* example.h — the command format and state of the `example` teaching model (prefix npu_example_).
 *
 * A program of this model is, per layer, in graph order:
 *   TILE  for a layer on the MAC array: `count` identical consecutive tiles. A tile is one
 *         round trip through the activation buffer: the DMA reads `rd_in` input bytes (and
 *         `rd_w` weight bytes), the array streams `t` output rows of `g` sub-problems through
 *         `folds` weight tiles each, the DMA writes `wr` output bytes.
 *   HOST  for a layer on the host CPU: what the CPU computes and moves.
 * A layer that is a view (reshape, flatten) has no record: it costs nothing.
 * Payloads are plain fixed-width integers (no pointers), so a saved program (.npuc) loads back
 * on any machine; the executor checks each record's size before use. The bigger models keep
 * their format in isa/<model>.h; a model whose format is private to it may keep it here.
 */
#ifndef NPU_MODEL_EXAMPLE_H
#define NPU_MODEL_EXAMPLE_H

#include <stdint.h>

#include "../model.h"

enum { NPU_EXAMPLE_OP_TILE = 1, NPU_EXAMPLE_OP_HOST = 2 };   /* npu_instr.op   */
enum { NPU_EXAMPLE_UNIT_ARRAY = 0, NPU_EXAMPLE_UNIT_HOST = 1 }; /* npu_instr.unit */

typedef struct npu_example_tile {
    int64_t count;  /* identical tiles in a row                                   */
    int64_t g;      /* sub-problems (conv groups x images) in the tile            */
    int64_t t;      /* output rows of each sub-problem streamed through the array */
    int64_t folds;  /* weight tiles per sub-problem: ceil(K/rows) x ceil(N/cols)  */
    int64_t rd_in;  /* DRAM bytes the DMA reads: input rows                       */
    int64_t rd_w;   /* DRAM bytes the DMA reads: weights (first tile, or all when
                       the layer's weights do not fit the weight buffer)          */
    int64_t wr;     /* DRAM bytes the DMA writes: output rows                     */
} npu_example_tile;

typedef struct npu_example_host {
    int32_t opclass, op; /* npu_opclass, npu_op                                   */
    int64_t macs, elems; /* work: MACs, output elements                          */
    int64_t rd, wr;      /* DRAM bytes read and written                          */
} npu_example_host;

/* Derived constants (init fills them from the parameters). */
typedef struct npu_example_state {
    int64_t rows, cols;   /* the PE array                                   */
    int64_t wbuf;         /* weight buffer bytes                            */
    int64_t ahalf;        /* one half of the double-buffered activation buffer */
    double dma_bytes;     /* DMA bytes per cycle                            */
    double freq_mhz;
    int64_t irq_regs;     /* register writes the driver does per interrupt  */
    /* host operators of the program being run: the engine starts each from a callback when
     * its layer's turn comes, so they must outlive execute() (freed by fini) */
    npu_host_op *hops;
    size_t nhops;
} npu_example_state;

#endif
