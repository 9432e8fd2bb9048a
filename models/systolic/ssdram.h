/* ssdram.h — SCALE-Sim v2's DRAM side of one layer, as its CALC mode computes it (prefix
 * npu_ssdram_). Used by ssreport.c; docs/scalesim.md §4.
 */
#ifndef NPU_MODELS_SYSTOLIC_SSDRAM_H
#define NPU_MODELS_SYSTOLIC_SSDRAM_H

#include <stdint.h>

#include "../../isa/systolic.h"
#include "../../sim/core/ctx.h"
#include "ssdemand.h"

/* One operand's DRAM trace summary: first and last trace line's cycle, words moved. */
typedef struct npu_ssdram_op {
    int64_t start, stop, words;
} npu_ssdram_op;

/* SCALE-Sim v2's OFMAP write buffer (memory/write_buffer.py) fed by the layer's OFMAP demand
 * matrix (valid writes per cycle of each fold, column fold outer, row fold inner), drained
 * to DRAM at `bw` words per cycle (CALC mode: the array width). Fails with NPU_EUNSUPPORTED
 * where SCALE-Sim would stall on the write buffer (its stall is not reproduced). */
int npu_ssdram_ofmap(const npu_sys_layer *L, int64_t bw, npu_ssdram_op *out, npu_err *err);

/* SCALE-Sim v2's CALC-mode read buffer of the IFMAP or FILTER SRAM, as far as the reference
 * reports pin it (docs/scalesim.md §4): the operand's `distinct` words are cut into sets of
 * ⌊sram_words/100⌋ words, the first fetch loads min(50, sets) of them in lines of
 * NPU_SSDRAM_READ_WIDTH words, one line per cycle, ending at cycle −1 when every set fits,
 * else just before the operand's first demand cycle `first`. Fills out->start always; when
 * the operand fits (returns 1) also out->stop (−1) and out->words (= distinct), which are
 * then SCALE-Sim's; returns 0 when it does not fit (later fetches are not reproduced: the
 * caller fills stop and words with its own estimate), −1 on bad sizes. */
#define NPU_SSDRAM_READ_WIDTH 10
int npu_ssdram_read(int64_t distinct, int64_t sram_words, int64_t first, npu_ssdram_op *out,
                    npu_err *err);

/* SCALE-Sim v2's FILTER DRAM reads of one layer whose filter does not fit its read buffer
 * (docs/scalesim.md §4; exact on every reference report): the filter's K·N words are a stream
 * in the order the folds first demand them (column fold outer, row fold inner); the buffer
 * holds a window of W = 50 sets of ⌊sram_words/100⌋ words of that stream, at first its start.
 * A fold demands its slice of the stream in order (OS: its column fold's K·cu words; WS: its
 * ru·cu block; IS: its row fold's ru·N words); a word outside the window is a miss: the window
 * moves to start at that word, reaching W words further but not past the end of the current
 * column fold's words (the whole filter in IS), and the words it did not hold are read. */
int64_t npu_ssdram_filter_reads(const npu_sys_layer *L, int64_t sram_words);

/* The same walk, calling fn for every range [lo, hi) of stream positions a miss of fold
 * (fc, fr) at offset `at` of the fold's slice reads (the first fetch not included); returns the
 * words, or -1 when fn returned nonzero. The stream within a column fold (OS/WS) is k-major
 * over its cu filters, in IS the whole filter k-major: npu_ssdram_filter_addr maps a position
 * to the filter word (k·N + n). */
typedef int (*npu_ssdram_fetch_fn)(void *ctx, int64_t fc, int64_t fr, int64_t at, int64_t lo,
                                   int64_t hi);
int64_t npu_ssdram_filter_walk(const npu_sys_layer *L, int64_t sram_words, npu_ssdram_fetch_fn fn,
                               void *ctx);
int64_t npu_ssdram_filter_addr(const npu_sys_layer *L, int64_t p);
/* The demand cycle of the word at offset `at` of fold (fc, fr)'s slice of that stream. */
int64_t npu_ssdram_filter_cycle(const npu_sys_layer *L, int64_t fc, int64_t fr, int64_t at);

/* FILTER DRAM of one sub-problem: the first fetch of npu_ssdram_read (first = the filter's
 * first demand cycle), then, when it does not fit, the reads of npu_ssdram_filter_reads
 * (SCALE-Sim's) and as stop the demand cycle of the last miss (npusim's placement: every
 * line of a fetch on the cycle of its miss; SCALE-Sim's is not known, docs/scalesim.md §4). */
int npu_ssdram_filter(const npu_sys_layer *L, int64_t sram_words, int64_t first,
                      npu_ssdram_op *out, npu_err *err);

/* The OFMAP write buffer's drains (npu_ssdram_ofmap), for its DRAM trace: drain i moves lines
 * d[3i+1] … d[3i+1] + d[3i+2] − 1 from cycle d[3i], one line per cycle; a line holds `bw` words
 * of the OFMAP write stream (valid writes in demand order), except the partial lines pline[]
 * (ascending), closed early with pvalid[] words. */
typedef struct npu_ssdram_drains {
    int64_t *d;
    size_t nd, cap;
    int64_t *pline, *pvalid;
    size_t np;
} npu_ssdram_drains;
int npu_ssdram_ofmap_drains(const npu_sys_layer *L, int64_t bw, npu_ssdram_op *out,
                            npu_ssdram_drains *dr, npu_err *err);
void npu_ssdram_drains_free(npu_ssdram_drains *dr);

/* IFMAP DRAM of one sub-problem: the first fetch of npu_ssdram_read (first = the ifmap's first
 * demand cycle); when the ifmap fits, SCALE-Sim's stop and reads. When it does not, npusim's
 * approximation (docs/scalesim.md §4; SCALE-Sim's rule is not known): the read buffer's
 * active half, 50 sets of ⌊sram_words/100⌋ words, kept as a first-in first-out buffer of
 * words filled on demand — the first fetch holds the first words the array demands, every
 * later demanded word not in it is read and replaces the oldest — walked over the demand
 * (npu_ssdem_walk); reads = words read, stop = the demand cycle of the last one read.
 * fn (may be NULL): every DRAM line in order — the first fetch's one per cycle from its
 * start (its last set −1 padded), then each demand cycle's missed words on that cycle; fn
 * returns nonzero to stop (then this returns -1; fn set err). */
typedef int (*npu_ssdram_line_fn)(void *ctx, int64_t cycle, const int64_t *addr, int n);
/* Without fn, a walk over more demanded words than this is not done (it would take seconds):
 * npu_ssdram_ifmap returns 2 with only out->start set, and the caller estimates the rest. */
#define NPU_SSDRAM_WALK_MAX ((int64_t)1 << 26)
int npu_ssdram_ifmap(const npu_sys_layer *L, const npu_ssdem_geom *g, int64_t sram_words,
                     int64_t first, npu_ssdram_line_fn fn, void *ctx, npu_ssdram_op *out,
                     npu_err *err);

#endif
