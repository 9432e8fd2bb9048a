/* program.h — the generic container for a lowered program (prefix npu_prog_).
 *
 * A model's lower() turns a graph into one npu_program: an array of instructions in the model's
 * own command format (NVDLA hw-layer descriptors, RKNPU regcmd tasks, DaVinci per-pipe
 * instructions, systolic folds), each tagged with the layer it belongs to. The container knows
 * nothing of the formats: an instruction is (op, unit, layer, payload bytes); the model defines
 * the payload structs (plain fixed-width integers, little-endian on disk) in isa/<model>.h.
 *
 * The program also carries the layer table (name, op, dtype, MACs, bytes) so that results can
 * be reported from a saved program without its graph, and the parameters it was lowered with.
 * Saved programs (.npuc) are zlib-compressed; load() checks magic, version, every length and
 * offset, and refuses a program lowered by another model.
 */
#ifndef NPU_PROGRAM_H
#define NPU_PROGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../sim/core/ctx.h"
#include "../sim/core/graph.h"

typedef struct npu_instr {
    uint16_t op;       /* model-defined opcode                            */
    uint16_t unit;     /* model-defined unit/queue/pipe number            */
    int32_t layer;     /* index into the program's layer table, -1 none   */
    uint32_t len;      /* payload bytes                                    */
    uint32_t off;      /* payload offset in npu_program.data               */
} npu_instr;

/* What a program records of each graph layer. */
typedef struct npu_prog_layer {
    const char *name;      /* arena-owned                                      */
    const char *op;        /* op name as in .npg (or the host op's name)       */
    int dtype;             /* npu_dtype                                        */
    int64_t macs;
    int64_t in_bytes;      /* activation bytes read (all inputs)               */
    int64_t out_bytes;     /* activation bytes written                         */
    int64_t weight_bytes;  /* parameter bytes                                  */
    const char *engine;    /* where it runs: "CMAC", "DPU", "cpu" … (model)    */
} npu_prog_layer;

typedef struct npu_program {
    const char *model;       /* name of the model that lowered it              */
    const char *arch;        /* preset or model name                           */
    const char *graph;       /* graph name                                     */
    npu_instr *ins;
    size_t n, cap;
    uint8_t *data;           /* payload bytes                                  */
    size_t dlen, dcap;
    npu_prog_layer *layers;
    int nlayers, clayers;
    char *params_text;       /* "key=value\n" lines of every non-default parameter */
    /* What one run produces (npu_graph_work_of of the lowered graph), so that a saved program
     * reports throughput in the same units: batch, items per run, unit ("image", "token",
     * "inference"), prefill (report the time to the first token). */
    int64_t batch, items;
    const char *unit;        /* arena */
    int prefill;
    /* Set by the caller before lower() when the program is executed once, right after, and
     * neither saved nor printed (npu_run): a model may then lower it in windows — lower()
     * fills the layer table and execute() produces the instructions into ins/data a window at
     * a time, reusing the arrays, so that a program of hundreds of MiB (a 2048-token LLM
     * prefill on DaVinci) never exists whole. A model that does not ignores it. */
    int windowed;
    /* Set by the caller before lower(): the jobs the run may submit (npu_ctx_set_job_limit; 0:
     * no limit). A model that can count a lower bound on a layer's jobs before emitting them
     * refuses the layer at lowering when the bound exceeds it (issue 16). */
    int64_t job_limit;
    npu_arena arena;
} npu_program;

npu_program *npu_prog_new(const char *model, const char *arch, const char *graph);
void npu_prog_free(npu_program *p);

/* Appends a layer record; returns its index or -1 (oom). */
int npu_prog_add_layer(npu_program *p, const npu_prog_layer *l);
/* The layer record of live graph layer `li` by the default rule for the bytes that set the
 * result's ideal_cycles (max(MACs/peak, bytes/DRAM bandwidth)): in_bytes = the activation and
 * graph-input tensors it reads, out_bytes = every tensor it writes, weight_bytes = its
 * parameters in its dtype plus the constant tensors it reads — the traffic no schedule can
 * avoid when activations live in DRAM between layers. The op name is the host op's own
 * (src_op) for a host layer. A model whose activations can stay on chip (and so may move
 * fewer bytes) fills the record itself. `engine` names where the layer runs. */
npu_prog_layer npu_prog_graph_layer(const npu_graph *g, int li, const char *engine);
/* Bytes of the tensors ts[0..n) that exist in g, only those of tensor kind `kind` (an
 * npu_tensor_kind) or all for kind < 0: the sums the layer records are made of. */
int64_t npu_prog_tensors_bytes(const npu_graph *g, const int *ts, int n, int kind);
/* Bytes layer l reads from memory when it runs: all its inputs, except that a gather reads
 * only the rows it selects (as many table elements as it writes, in the table's dtype) and
 * its indices, not the whole table: an embedding lookup of 128 tokens touches 128 rows of a
 * 151936-row vocabulary. */
int64_t npu_prog_layer_read_bytes(const npu_graph *g, const npu_layer *l);
/* Appends an instruction with a copy of `payload` (len bytes); returns its index or -1 (out of
 * memory, or a payload offset beyond 32 bits). Inline while the arrays have room and the
 * payload area is 8-byte aligned (a lowering emits millions: a 2048-token LLM prefill on
 * DaVinci 8.4 M); npu_prog_emit_grow grows the arrays and pads. */
long npu_prog_emit_grow(npu_program *p, uint16_t op, uint16_t unit, int32_t layer,
                        const void *payload, uint32_t len);
static inline long npu_prog_emit(npu_program *p, uint16_t op, uint16_t unit, int32_t layer,
                                 const void *payload, uint32_t len)
{
    size_t end = p->dlen + len;
    if (p->n >= p->cap || end > p->dcap || (p->dlen & 7u) || end > UINT32_MAX || !len)
        return npu_prog_emit_grow(p, op, unit, layer, payload, len);
    memcpy(p->data + p->dlen, payload, len);
    p->ins[p->n] = (npu_instr){.op = op, .unit = unit, .layer = layer, .len = len,
                               .off = (uint32_t)p->dlen};
    p->dlen = end;
    return (long)p->n++;
}
/* Payload of instruction i (aligned to 8 bytes). */
static inline const void *npu_prog_payload(const npu_program *p, size_t i)
{
    return p->data + p->ins[i].off;
}
/* Checked payload access for the models' readers: NULL unless instruction i exists, has opcode
 * `op` (any opcode with NPU_PROG_ANY_OP) and exactly `size` payload bytes inside the data
 * area. A truncated or foreign payload is then an error, never an out-of-bounds read. */
#define NPU_PROG_ANY_OP 0xFFFFFFFFu
const void *npu_prog_get(const npu_program *p, size_t i, unsigned op, size_t size);

/* Load-time payload checks of the models (npu_model_ops.check) share these. A quantity in one
 * record (bytes, elements, cycles, MACs) is at most NPU_PROG_MAX_QTY (256 Ti), so that a sum
 * or a product with a small factor of such values cannot overflow int64_t. */
#define NPU_PROG_MAX_QTY ((int64_t)1 << 48)
/* 0 if lo <= v <= hi; else NPU_EFORMAT with "PATH: instruction I (REC): FIELD = V is outside
 * [LO, HI]". */
int npu_prog_check_range(const char *path, size_t i, const char *rec, const char *field,
                         int64_t v, int64_t lo, int64_t hi, npu_err *err);
/* The same for n fields of one record that share a range: values v[k] named names[k]. */
int npu_prog_check_ranges(const char *path, size_t i, const char *rec, const char *const *names,
                          const int64_t *v, size_t n, int64_t lo, int64_t hi, npu_err *err);
/* The range check of a check loop: returns the error from the enclosing function. Needs
 * `path`, `i` (the instruction), `rec` (its record name), `err` and an int `rc` in scope. */
#define NPU_PROG_RANGE(field, v, lo, hi)                                                      \
    do {                                                                                      \
        if ((rc = npu_prog_check_range(path, i, rec, field, (int64_t)(v), lo, hi, err)))      \
            return rc;                                                                        \
    } while (0)
#define NPU_PROG_RANGES(names, values, lo, hi)                                                \
    do {                                                                                      \
        if ((rc = npu_prog_check_ranges(path, i, rec, names, values,                          \
                                        sizeof values / sizeof *values, lo, hi, err)))        \
            return rc;                                                                        \
    } while (0)
/* NPU_EFORMAT with "PATH: instruction I: opcode OP with LEN payload bytes is not FORMAT record"
 * (`format`: "an NVDLA", "a systolic" …), for an opcode or size a model does not know. */
int npu_prog_not_a_record(const npu_program *p, size_t i, const char *path, const char *format,
                          npu_err *err);

/* ---- host work ----------------------------------------------------------------------------
 * One operator a host processor runs — a CPU fallback operator, or the runtime converting the
 * graph's input or output tensors — as every ISA records it, so that each model checks, prints
 * and prices host work alike (the engine's npu_host_op_from turns it into a CPU job). The
 * systolic ISA's HOST record predates it and also carries dependencies; it keeps its own
 * layout so that saved programs stay readable. */
enum { NPU_PROG_HOST_OP = 0, NPU_PROG_HOST_INPUT = 1, NPU_PROG_HOST_OUTPUT = 2 };
typedef struct npu_prog_host {
    uint16_t opclass, op; /* npu_opclass, npu_op                                    */
    uint16_t what;        /* NPU_PROG_HOST_*                                        */
    uint16_t pad0;
    int64_t macs, elems, rd_bytes, wr_bytes;
} npu_prog_host;
/* Load-time check of a record's values (ranges, NPU_PROG_MAX_QTY); `rec` names the record. */
int npu_prog_host_check(const npu_prog_host *h, const char *path, size_t i, const char *rec,
                        npu_err *err);
/* Its disassembly: "relu macs=0 elems=802816 rd=802816 wr=802816" ("input-convert",
 * "output-convert" for the runtime's conversions). */
void npu_prog_host_text(npu_strbuf *out, const npu_prog_host *h);

/* Save (zlib) and load. load() validates everything; errors name the file. */
int npu_prog_save(const npu_program *p, const char *path, int force, npu_err *err);
npu_program *npu_prog_load(const char *path, npu_err *err);
/* The same from bytes already in memory (`path` names them in messages); the fuzzer's entry. */
npu_program *npu_prog_load_mem(const char *path, const void *data, size_t len, npu_err *err);

#endif
