/* ctx.h — the simulation context, error reporting and small utilities shared by every
 * subsystem (prefix npu_).
 *
 * Contract: no global mutable state anywhere in npusim. Everything that a run needs hangs off
 * an npu_ctx (or is passed explicitly), so that a sweep can run many simulations on several
 * threads in one process. Errors are a status code plus a message in an npu_err; library code
 * never prints and never calls exit().
 */
#ifndef NPU_CTX_H
#define NPU_CTX_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* Status codes, npu_err and npu_strbuf: the plain values the public API shares (base.h). */
#include "base.h"

/* ---- memory ------------------------------------------------------------------------------ */
/* Thin wrappers that never return NULL silently: on failure they return NULL and callers
 * report NPU_ENOMEM. calloc-style overflow checks are done here. */
void *npu_malloc(size_t n);
void *npu_calloc(size_t count, size_t size);
void *npu_realloc(void *p, size_t n);
/* Grows *pv (array of elem-size items, *cap capacity) so that index `need-1` is valid.
 * Returns 0 or NPU_ENOMEM. */
int npu_grow(void **pv, size_t *cap, size_t need, size_t elem);
char *npu_strdup(const char *s);
char *npu_strndup(const char *s, size_t n);
/* For a program's main() (the CLI, the benchmarks), not for the library: freed memory stays in
 * the process instead of going back to the system (glibc: mallopt thresholds; nothing
 * elsewhere). A design point frees what it allocated, and glibc's adaptive thresholds returned
 * the heap's top to the system after each point of a large graph, so the next point faulted
 * the same pages in again (issue 20: ~70 % of the page faults of an rk3588 Qwen2-0.5B prefill
 * point, 18.6 -> 11.0 ms). Process-wide by nature, hence the program's choice. */
void npu_keep_freed_memory(void);

/* Arena: many small allocations freed at once (graph names, program payloads). */
typedef struct npu_arena_blk npu_arena_blk;
typedef struct npu_arena {
    npu_arena_blk *head;
} npu_arena;
void npu_arena_init(npu_arena *a);
void *npu_arena_alloc(npu_arena *a, size_t n); /* 16-byte aligned, zeroed; NULL on oom */
char *npu_arena_strdup(npu_arena *a, const char *s);
void npu_arena_free(npu_arena *a);

/* ---- string helpers ----------------------------------------------------------------------- */
int npu_streq_nocase(const char *a, const char *b);
/* Levenshtein distance, capped; for "did you mean" suggestions. */
int npu_edit_distance(const char *a, const char *b);
/* Picks the candidate closest to `word` (distance <= 2 or a prefix); NULL if none is close.
 * `cands` is a NULL-terminated array. */
const char *npu_did_you_mean(const char *word, const char *const *cands);

/* ---- files ------------------------------------------------------------------------------- */
/* Largest input file npusim reads whole (graphs, programs, CSV/cfg, presets, scripts): 256 MiB.
 * The largest zoo network is 20 kB as .npg and 23 kB as a compiled .npuc; the cap keeps a file
 * that is (a link to) something endless from growing memory until the OOM killer. */
#define NPU_READ_MAX ((size_t)256 << 20)
/* Reads a whole regular file (or stdin for "-") into a NUL-terminated malloc'd buffer. Refuses
 * what is not a regular file (a FIFO blocks, a device never ends) and files above max bytes
 * (0: NPU_READ_MAX) with a message naming the file and the limit; a read error is an error,
 * not the end of the file. */
int npu_read_file(const char *path, char **data, size_t *len, npu_err *err);
int npu_read_file_max(const char *path, size_t max, char **data, size_t *len, npu_err *err);

/* An output being written: every file npusim writes goes through here (-o, --plot, --trace,
 * compile, the Lua writers), so that all of them
 *   - never replace an existing file without force (NPU_EEXIST),
 *   - write a regular file through a fresh temporary beside it (created O_EXCL with a random
 *     name: never a planted file or symlink) renamed over the target when complete,
 *   - write a target that exists and is not a regular file (a FIFO, a device) in place, with
 *     force, instead of replacing it with a regular file; a directory is refused,
 *   - check every write and the final flush and close (a full disk is an error, not a
 *     truncated file). path "-" is stdout. */
typedef struct npu_out {
    FILE *f;     /* write through this (fwrite/fputs...), then npu_out_close */
    char *path;  /* target (malloc'd), NULL for stdout */
    char *tmp;   /* temporary beside it, NULL when written in place */
    int force;
    int failed;  /* a write failed (errno in err_no); npu_out_write sets it */
    int err_no;
} npu_out;
int npu_out_open(npu_out *o, const char *path, int force, npu_err *err);
/* fwrite that remembers a failure (the error is reported by npu_out_close). */
void npu_out_write(npu_out *o, const void *data, size_t len);
/* Flushes and closes; with commit and no error the temporary becomes the target, otherwise it
 * is removed. Returns 0 or the error (naming the file). Always releases o. */
int npu_out_close(npu_out *o, int commit, npu_err *err);
/* The whole of data to path through npu_out. */
int npu_write_file(const char *path, const void *data, size_t len, int force, npu_err *err);
/* The same for a file of `size` bytes (>= len) whose bytes after `data` are zeros, written as a
 * hole (ftruncate): a sparse file that takes disk blocks only for `data`. */
int npu_write_file_sized(const char *path, const void *data, size_t len, int64_t size, int force,
                         npu_err *err);

/* ---- the context ------------------------------------------------------------------------- */
typedef struct npu_ctx npu_ctx;

npu_ctx *npu_ctx_new(void);
void npu_ctx_free(npu_ctx *ctx);
/* Last error of operations that take a ctx (the public API). */
npu_err *npu_ctx_err(npu_ctx *ctx);
/* Extra directories searched for presets (--preset-path). */
int npu_ctx_add_preset_path(npu_ctx *ctx, const char *dir);
const char *const *npu_ctx_preset_paths(const npu_ctx *ctx); /* NULL-terminated */
/* Cooperative cancellation (Ctrl-C in sweeps): a pointer to a flag owned by the caller. */
void npu_ctx_set_cancel(npu_ctx *ctx, volatile int *flag);
int npu_ctx_cancelled(const npu_ctx *ctx);
/* Memory the queued jobs of one run may take, in bytes, for the runs of this context (0: the
 * engine's default NPU_ENGINE_MAX_JOB_BYTES; a smaller budget only). A fuzzer sets a small one
 * so that a hostile but valid program that would queue millions of jobs is refused at once. */
void npu_ctx_set_job_budget(npu_ctx *ctx, size_t bytes);
size_t npu_ctx_job_budget(const npu_ctx *ctx);
/* Jobs one run may submit in all, for the runs of this context (0: no limit, the default).
 * The budget above bounds memory only, since models queue their jobs in windows; a fuzzer
 * also bounds the work with this. */
void npu_ctx_set_job_limit(npu_ctx *ctx, int64_t jobs);
int64_t npu_ctx_job_limit(const npu_ctx *ctx);
/* The words of a refusal on that limit, for the engine and for a model that refuses a layer at
 * lowering (its jobs counted before they exist): one %lld, the limit as long long. */
#define NPU_JOB_LIMIT_MSG                                                                          \
    "the run submits more than %lld jobs, the limit its context sets (npu_ctx_set_job_limit)"
/* Recycled buffers, one per slot (a ctx is per thread). A design point lowers a program of
 * megabytes (ResNet-50 on ascend310: 58 000 instructions, ~2.5 MB); allocating it fresh each
 * time faulted in new pages and cost half of the point's CPU time. npu_run hands the arrays
 * back here and the next lowering starts from them. stash frees what the slot held (and frees
 * `buf` when ctx is NULL); unstash returns the buffer (its capacity in *cap) and empties the
 * slot, or NULL with *cap = 0. Contents are stale: the taker overwrites what it uses. */
enum {
    NPU_CTX_BUF_PROG_INS,
    NPU_CTX_BUF_PROG_DATA,
    NPU_CTX_BUF_ENGINE_JOBS,  /* the engine's job records (npu_engine_use_ctx) */
    NPU_CTX_BUF_ENGINE_CELLS, /* the engine's wait/signal/transfer cells     */
    NPU_CTX_NBUF
};
void npu_ctx_stash(npu_ctx *ctx, int slot, void *buf, size_t cap);
void *npu_ctx_unstash(npu_ctx *ctx, int slot, size_t *cap);

#endif
