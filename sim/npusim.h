/* npusim.h — the public C API of npusim: the only header a user of the library includes.
 *
 * Typical use:
 *   npu_ctx *ctx = npu_ctx_new();
 *   npu_err err = {0};
 *   npu_graph *g = npu_load_graph(ctx, "resnet50", NULL, &err);      // path or zoo name
 *   npu_arch *a = npu_arch_open(ctx, "rk3588", &err);                  // preset or model
 *   npu_arch_set(a, "cores", "1", &err);
 *   npu_result *r = npu_run(ctx, a, g, NULL, &err);
 *   printf("%lld cycles\n", (long long)npu_result_cycles(r));
 *   npu_result_free(r); npu_arch_free(a); npu_graph_free(g); npu_ctx_free(ctx);
 * Every function that can fail returns NULL or a non-zero npu_status and fills `err` with a
 * message naming the file, line and key at fault. Nothing here prints or exits.
 *
 * Opaque, in the spirit of lua.h and sqlite3.h: a program sees handles (npu_ctx, npu_graph,
 * npu_arch, npu_result, npu_program) and the functions on them, never their members, so the
 * structs can change without breaking it. The only structs it sees are the values it
 * allocates itself: npu_err and npu_strbuf (core/base.h, installed beside this header) and
 * the option structs below. Inside npusim, sim/npusim_int.h adds the internal headers.
 */
#ifndef NPUSIM_H
#define NPUSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base.h" /* also NPUSIM_VERSION */

/* ---- handles ------------------------------------------------------------------------------ */
typedef struct npu_ctx npu_ctx;         /* errors, preset paths, cancel flag, scratch memory */
typedef struct npu_graph npu_graph;     /* an operator graph                                 */
typedef struct npu_arch npu_arch;       /* a model with its parameter values                 */
typedef struct npu_result npu_result;   /* the outcome of a run                              */
typedef struct npu_program npu_program; /* a compiled program (the model's command stream)   */

/* ---- contexts ----------------------------------------------------------------------------- */
/* One per thread that calls the library (a context is not shared between threads). */
npu_ctx *npu_ctx_new(void);
void npu_ctx_free(npu_ctx *ctx);
/* The last error of a call that took this context. */
npu_err *npu_ctx_err(npu_ctx *ctx);
/* A directory searched for NAME.lua presets before the built-in ones (in the order added). */
int npu_ctx_add_preset_path(npu_ctx *ctx, const char *dir);
/* Cooperative cancellation: a flag owned by the caller (set it from a SIGINT handler); sweeps
 * and scripts stop when it is non-zero. The library installs no signal handler. */
void npu_ctx_set_cancel(npu_ctx *ctx, volatile int *flag);
int npu_ctx_cancelled(const npu_ctx *ctx);

/* Strings written by the library go into an npu_strbuf: npu_sb_init before, npu_sb_free (or
 * npu_sb_take) after; sb.s is the text, sb.len its length (core/base.h). */

/* ---- graphs ------------------------------------------------------------------------------- */
typedef struct npu_load_opts {
    const char *format;     /* NULL = by extension: .npg, .onnx, .csv (SCALE-Sim conv or GEMM),
                               "-" = npg on stdin, otherwise a zoo name. Or force one of
                               "npg", "onnx", "scalesim", "scalesim-gemm", "zoo".          */
    bool allow_unsupported; /* unknown ONNX ops become host layers instead of an error     */
    const char *zoo_args;   /* "tokens=128,kv=512" style arguments for parameterised zoo
                               networks (transformer presets); NULL = defaults. Given for
                               a file, an error (the file has no such arguments).          */
    int64_t batch;          /* > 0: the leading dim of every graph input, shapes re-inferred
                               (npu_graph_set_batch; the same for every source). 0 = as read */
} npu_load_opts;

/* Loads and prepares a graph (shape inference and the standard passes). */
npu_graph *npu_load_graph(npu_ctx *ctx, const char *what, const npu_load_opts *opts,
                          npu_err *err);
/* Writes a graph as .npg text (exact round trip). */
int npu_graph_write_npg(const npu_graph *g, npu_strbuf *out);
/* Writes a graph as an ONNX model (opset 13; docs/onnx.md) to `path`, its weights as external
 * data in the zero-filled sparse side file PATH.data (none when the graph has no weights). Both
 * are written to temporary names and renamed; an existing file is kept unless force. */
int npu_graph_write_onnx(const npu_graph *g, const char *path, bool force, npu_err *err);

void npu_graph_free(npu_graph *g);
const char *npu_graph_name(const npu_graph *g);
int64_t npu_graph_macs(const npu_graph *g);   /* multiply-accumulates of one run */
int64_t npu_graph_params(const npu_graph *g); /* weights (parameter count)       */

/* Names of the built-in networks (zoo), NULL-terminated, static. */
const char *const *npu_zoo_names(void);
/* The zoo's own spelling of network `name` (case-insensitive), or NULL when it is none. */
const char *npu_zoo_canonical(const char *name);

/* ---- architectures -------------------------------------------------------------------------- */
/* A preset name (built-in or in a --preset-path directory or a path to a .lua preset) or a bare
 * model name (the model's defaults). */
npu_arch *npu_arch_open(npu_ctx *ctx, const char *name, npu_err *err);
npu_arch *npu_arch_clone(const npu_arch *a);
void npu_arch_free(npu_arch *a);
int npu_arch_set(npu_arch *a, const char *key, const char *value, npu_err *err);
int npu_arch_set_kv(npu_arch *a, const char *kv, npu_err *err); /* "key=value" */
/* The value of parameter `key` as text ("64", "2.5", "true", "ws") appended to out. */
int npu_arch_get(const npu_arch *a, const char *key, npu_strbuf *out, npu_err *err);
const char *npu_arch_name(const npu_arch *a);
const char *npu_arch_model(const npu_arch *a);

/* Built-in preset names (NULL-terminated, static) and model names. */
const char *const *npu_preset_names(void);
const char *const *npu_model_names(void);
const char *npu_model_summary(const char *model);
/* `npusim params`: every parameter with value, default, range, unit, doc, source. */
int npu_arch_describe(const npu_arch *a, npu_strbuf *out);

/* ---- running ------------------------------------------------------------------------------- */
typedef struct npu_run_opts {
    const char *trace_path; /* write a Perfetto/Chrome trace (.json or .json.gz) */
    bool force;             /* overwrite an existing trace file                   */
} npu_run_opts;

npu_result *npu_run(npu_ctx *ctx, const npu_arch *a, const npu_graph *g,
                    const npu_run_opts *opts, npu_err *err);

/* Several workloads at once on one architecture (docs/workloads.md): each a graph with its own
 * settings, arrivals and frame count, all on one engine so that they contend for the NPU's
 * units, DRAM, SRAM, the CPU and its interrupts. */
typedef struct npu_workload {
    const char *name;          /* "det": unique, letters, digits, '_' or '-'                  */
    const npu_graph *graph;
    const char *const *sets;   /* its own "key=value" settings (model keys: core_mask, dtype …) */
    int nsets;
    int count;                 /* frames; 0 = 1, or the count of `after`                      */
    double fps;                /* > 0: frame k arrives at k/fps s (deadline: the next one)    */
    const char *after;         /* frame k starts when frame k of that workload has ended      */
} npu_workload;
typedef struct npu_wl_run npu_wl_run;
npu_wl_run *npu_run_workloads(npu_ctx *ctx, const npu_arch *a, const npu_workload *w, int n,
                              const npu_run_opts *opts, npu_err *err);
void npu_wl_run_free(npu_wl_run *r);
/* Card presets (docs/workloads.md "Multi-chip cards"): chips on the card (1 for any other
 * arch); whether a plain run spreads its frames over them (chips > 1, card.spread not "one");
 * and that run: a workload per chip ("chip0", ...: a stream of card.frames frames each, or
 * with card.spread=batch the graph's batch split over the chips). */
int npu_arch_chips(const npu_arch *a);
bool npu_arch_card_spread(const npu_arch *a);
npu_wl_run *npu_run_card(npu_ctx *ctx, const npu_arch *a, const npu_graph *g,
                         const npu_run_opts *opts, npu_err *err);
/* Per workload: latency min/median/p99, throughput, deadline misses, bytes; then (frames true)
 * each one's median frame as a per-layer report (table), or one JSON document
 * (npusim.workloads/1, always with the frames). */
int npu_report_workloads(const npu_wl_run *r, npu_format f, bool frames, npu_strbuf *out);

/* Results: the totals and the per-layer rows, by field name. The names (and units) are those
 * of the CSV columns and JSON keys (docs/cli.md "Result fields"): totals cycles, time_us, fps,
 * macs, tops, util, dram_gbps, ...; layers name, op, engine, cycles, util, bound, ... */
void npu_result_free(npu_result *r);
const char *npu_result_arch(const npu_result *r);  /* preset or model name */
const char *npu_result_model(const npu_result *r);
const char *npu_result_graph(const npu_result *r);
int64_t npu_result_cycles(const npu_result *r);    /* total NPU-core cycles */
double npu_result_time_us(const npu_result *r);
/* A numeric total by name; NaN for an unknown name or a text field. */
double npu_result_total(const npu_result *r, const char *field);
int npu_result_nlayers(const npu_result *r);
/* A numeric field of layer i (0-based); NaN for an unknown name, a text field or i out of range. */
double npu_result_layer(const npu_result *r, int i, const char *field);
/* A text field ("name", "op", "engine", "dtype", "bound"; totals: "unit") of layer i, or of the
 * totals when i < 0; NULL for an unknown name, a numeric field or i out of range. */
const char *npu_result_text(const npu_result *r, int i, const char *field);
/* The field names, NULL-terminated, static: of a layer row (layers true) or of the totals. */
const char *const *npu_result_fields(bool layers);

/* Compile / disassemble / execute / explain (the program container is opaque). */
npu_program *npu_compile(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, npu_err *err);
int npu_program_save(const npu_program *p, const char *path, bool force, npu_err *err);
npu_program *npu_program_load(npu_ctx *ctx, const char *path, npu_err *err);
void npu_program_free(npu_program *p);
int npu_disasm(npu_ctx *ctx, const npu_program *p, npu_strbuf *out, npu_err *err);
npu_result *npu_exec(npu_ctx *ctx, const npu_program *p, const npu_run_opts *opts, npu_err *err);
int npu_explain(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const char *layer,
                npu_strbuf *out, npu_err *err);
/* The deployment footprint of g on a (weights as stored, the internal arena after lifetime
 * reuse, io, command buffers, per layer the live set, fits-or-not) without simulating:
 * `npusim info -a ARCH GRAPH`. docs/deployment.md. */
int npu_footprint_report(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, npu_format f,
                         npu_strbuf *out, npu_err *err);
/* Applies ATC's static AIPP configuration (the aipp_op text of atc --insert_op_conf) in file
 * `path` to a DaVinci arch for graph g: ATC's checks, then aipp=core (or cpu when set so),
 * aipp_src_bpp and aipp_cpu_ops as the config costs them (sim/front/aipp.h). */
int npu_arch_aipp(npu_arch *a, const npu_graph *g, const char *path, npu_err *err);

/* ---- reports (sim/report) --------------------------------------------------------------------- */
/* npu_format (table, CSV, JSON) is in core/base.h. sim/report/report.h declares these four
 * again for the report folder, which must not include this header (no folder cycle):
 * sim/npusim.c includes both, so the compiler checks that the declarations agree. */
int npu_format_parse(const char *s, npu_format *out);
int npu_report_write(const npu_result *r, npu_format f, npu_strbuf *out);
/* Side by side: one row per layer (matched by name), cycles per arch and a "best" column. */
int npu_report_compare(const npu_result *const *rs, int n, npu_format f, npu_strbuf *out);
/* `npusim info`: shapes, MACs, parameters, op histogram. */
int npu_report_graph(const npu_graph *g, npu_format f, npu_strbuf *out);

#endif
