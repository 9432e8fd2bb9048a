/* model.h — the model plugin contract (prefix npu_model_). Read this first.
 *
 * A model is a `const npu_model_ops` led by metadata and registered in models/registry.c (an
 * explicit NULL-terminated table; no constructor tricks). The core calls models only through
 * the wrappers in models/registry.c, which check `abi` (the struct's version), apply the
 * documented defaults of NULL members and keep statistics. Models never call each other, never read files and never print:
 * everything comes in as a graph or program plus parameters and goes out as a program, engine
 * jobs or text in a strbuf. New members are appended, never reordered.
 */
#ifndef NPU_MODEL_H
#define NPU_MODEL_H

#include <stddef.h>

#include "../isa/program.h"
#include "../sim/core/ctx.h"
#include "../sim/core/graph.h"
#include "../sim/core/params.h"
#include "../sim/engine/engine.h"

/* The versions of npu_model_ops, member by member, as SQLite's sqlite3_vfs.iVersion: a model
 * sets .abi to the version it was written for (NPU_MODEL_ABI when written now), and the core
 * reads a member only when the model's version has it, through the wrappers of registry.c. A
 * model written for an older version keeps working: the members it lacks take their default,
 * and a model newer than this core has members the core never reads. Appending a member means
 * a new version number here and a version check in its wrapper; never reorder.
 *   1  abi … default_dtype          2  array_keys, array_fill_grows, host_engines
 *   3  check                        4  weight_dtype
 *   5  stored_weight_bytes, stored_tensor_bytes, store_align, stored_task_bytes */
#define NPU_MODEL_ABI 5u
#define NPU_MODEL_HAS(ops, version) ((ops)->abi >= (version))

typedef struct npu_model_ops npu_model_ops;

/* An instance: the ops, the parameter values (model table + common + engine groups) and the
 * model's private state (state_size bytes, zeroed, owned by the core). */
typedef struct npu_model {
    const npu_model_ops *ops;
    const npu_params *params;
    void *state;
} npu_model;

struct npu_model_ops {
    unsigned abi;                /* version of this struct (NPU_MODEL_ABI); 0 is refused        */
    const char *name;            /* "rknpu": lookup is case-insensitive by name                */
    const char *summary;         /* one line for `npusim list models`                          */
    const npu_param_def *params; /* the model's own parameters, name == NULL terminated        */
    size_t state_size;           /* private state the core allocates (zeroed)                  */

    /* Validates parameter combinations and fills `state` (derived constants). Required. */
    int (*init)(npu_model *m, npu_err *err);

    /* Lowers a prepared graph (shapes inferred, BN folded, activations fused, dtype policy
     * applied) into a program in the model's command format: placement (NPU unit or host),
     * tiling to the model's buffers. Must add one program layer per live graph layer, in graph
     * order, with name/op/dtype/macs/bytes filled. Required. */
    int (*lower)(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err);

    /* Executes a program on the engine: creates clocks/units/ports, submits jobs, calls
     * npu_engine_set_peak. The core then runs the engine and builds the result. Required. */
    int (*execute)(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err);

    /* One line of text for instruction `i` of `p`. NULL: the core prints op/unit/layer and a
     * hex dump of the payload. */
    int (*disasm)(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out);

    /* Explains how layer `layer` was lowered (tiling, buffers, split) — for `npusim explain`.
     * NULL: the core prints the layer's instructions only. */
    int (*explain)(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out);

    /* Frees anything init() allocated inside state. NULL: nothing to free. */
    void (*fini)(npu_model *m);

    /* Dtype policy: the dtype layer `li` runs in when `want` is asked for (the core inserts
     * quantize/dequantize where producer and consumer differ). NULL: `want` for every op. */
    npu_dtype (*dtype_for)(const npu_model *m, const npu_graph *g, int li, npu_dtype want);

    /* The dtype the model runs in when the user gives none (dtype=auto). NULL: int8. */
    npu_dtype (*default_dtype)(const npu_model *m);

    /* ---- facts about the model that code outside its folder needs (appended; NULL/0 = the
     * default named). A new model states them here instead of in the tests or the report. */

    /* The parameters that size the MAC array, NULL-terminated (at most 4). The conformance
     * harness doubles them together and checks the run is never slower. NULL: not checked. */
    const char *const *array_keys;
    /* True when the array's fill/drain latency grows with its size (a systolic array: data
     * crosses all R rows and C columns), so a small latency-bound layer may rightly be slower
     * on a bigger array; the harness then checks the doubled array on throughput-bound
     * graphs only. */
    bool array_fill_grows;
    /* The npu_prog_layer.engine names this model gives layers that run on a host processor
     * (CPU, MCU, AI CPU), NULL-terminated; the per-layer chart draws their time as host work.
     * A name matches case-insensitively, also with a suffix after '-', '_' or a digit ("cpu"
     * matches "cpu1"). NULL: {"cpu"}. */
    const char *const *host_engines;

    /* Validates the payload values of a program loaded from a file (`path` for messages):
     * ranges, counts against the sizes they index, totals against limits, so that disasm,
     * explain and execute can do their arithmetic without overflow and their work stays
     * bounded. Programs from lower() are trusted and not checked. NULL: the model's readers
     * check every value themselves. */
    int (*check)(const npu_program *p, const char *path, npu_err *err);

    /* True when lower() costs a MAC layer's weights in their own dtype (the layer's wdtype=,
     * set by a mixed dtype such as w4a16 or a16w8). A model without it runs weights in the
     * activation dtype, so the core refuses a mixed dtype for it (issue 11: never silent). */
    bool weight_dtype;

    /* The deployment footprint (sim/core/footprint.h): the bytes the arch's runtime stores of
     * conv/gemm layer li's implied weights (its weight layout: channel padding, kernel groups,
     * fractals; bias included) and of tensor ti (activation layout, e.g. NC1HWC2), and the
     * alignment of its activation buffers (0: 64 B). NULL: dense bytes in the dtype. */
    int64_t (*stored_weight_bytes)(const npu_model *m, const npu_graph *g, int li);
    int64_t (*stored_tensor_bytes)(const npu_model *m, const npu_graph *g, int ti);
    int64_t store_align;
    /* The bytes of the command buffers the runtime keeps for program p (register command
     * lists, task descriptors). NULL: the program's instructions and payloads as stored. */
    int64_t (*stored_task_bytes)(const npu_model *m, const npu_program *p);
};

/* Members of later versions, read only when ops->abi has them (else their default). */
const char *const *npu_model_array_keys(const npu_model_ops *ops, bool *fill_grows);
bool npu_model_weight_dtype(const npu_model_ops *ops);
/* The footprint hooks of an open model (version 5 members; NULL functions when absent). */
struct npu_fp_hooks;
void npu_model_fp_hooks(const npu_model *m, struct npu_fp_hooks *h);
int64_t npu_model_task_bytes(const npu_model *m, const npu_program *p);

/* The host engine names of a model (its host_engines, or the default {"cpu"}). */
const char *const *npu_model_host_engines(const npu_model_ops *ops);

/* Typed parameter access for models (keys must exist; see params.h). */
static inline int64_t npu_model_int(const npu_model *m, const char *k)
{
    return npu_params_int(m->params, k);
}
static inline double npu_model_float(const npu_model *m, const char *k)
{
    return npu_params_float(m->params, k);
}
static inline bool npu_model_bool(const npu_model *m, const char *k)
{
    return npu_params_bool(m->params, k);
}
static inline const char *npu_model_str(const npu_model *m, const char *k)
{
    return npu_params_str(m->params, k);
}

/* ---- registry (models/registry.c) ----------------------------------------------------------- */
/* The built-in models, NULL-terminated. */
extern const npu_model_ops *const npu_builtin_models[];
/* Case-insensitive lookup; on failure err lists the known models. */
const npu_model_ops *npu_model_find(const char *name, npu_err *err);

/* Wrappers the core uses (ABI check, NULL defaults). */
int npu_model_open(npu_model *m, const npu_model_ops *ops, const npu_params *p, npu_err *err);
void npu_model_close(npu_model *m);
int npu_model_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err);
int npu_model_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err);
int npu_model_disasm(const npu_model *m, const npu_program *p, size_t i, npu_strbuf *out);
int npu_model_check(const npu_model_ops *ops, const npu_program *p, const char *path, npu_err *err);
int npu_model_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out);
npu_dtype npu_model_dtype_for(const npu_model *m, const npu_graph *g, int li, npu_dtype want);
npu_dtype npu_model_default_dtype(const npu_model *m);

#endif
