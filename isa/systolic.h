/* systolic.h — the command format of the `systolic` model (prefix npu_sys_).
 *
 * A lowered systolic program is a flat list of instructions, each tagged with its layer:
 *
 *   LAYER  one per MAC layer (conv, convt, gemm, matmul): the operand-matrix view
 *          (M, N, K), the array mapping (Sr, Sc, T, row/col folds), the SRAM plan (which
 *          operands are resident, streamed or re-fetched) and the layer's dependencies.
 *   FOLD   one or more identical consecutive folds of that layer (`count`): rows/cols of the
 *          array in use, T (rows streamed through the array; a segment of the layer's T when
 *          the partial sums would not fit the ofmap SRAM), the DRAM bytes each operand
 *          loader fetches before the fold, and what the fold releases or drains afterwards.
 *          The fold list of a layer describes one sub-problem; the LAYER's `nsub` says how many
 *          identical sub-problems (groups of a grouped/depthwise conv × images × matmul batch)
 *          run back to back, as SCALE-Sim runs a depthwise layer as C one-channel layers.
 *   VECTOR one per non-MAC layer: elements for the vector unit, bytes in and out, deps.
 *   HOST   one per layer placed on the host CPU (NPU_LF_HOST): op class, work, bytes, deps.
 *   WAIT   extra producer layers to wait for (more than fit in a LAYER/VECTOR/HOST record).
 *
 * Payloads are plain fixed-width little-endian integers (no pointers), so a program saved by
 * isa/program.c loads back on any host. Every record starts with its own size check in the
 * disassembler and the executor (a truncated or foreign payload is an error, not a crash).
 */
#ifndef NPU_ISA_SYSTOLIC_H
#define NPU_ISA_SYSTOLIC_H

#include <stdint.h>

#include "../sim/core/ctx.h"
#include "program.h"

/* Opcodes (npu_instr.op). */
enum {
    NPU_SYS_OP_LAYER = 1,
    NPU_SYS_OP_FOLD = 2,
    NPU_SYS_OP_VECTOR = 3,
    NPU_SYS_OP_HOST = 4,
    NPU_SYS_OP_WAIT = 5
};

/* Units (npu_instr.unit). */
enum { NPU_SYS_UNIT_ARRAY = 0, NPU_SYS_UNIT_VECTOR = 1, NPU_SYS_UNIT_HOST = 2 };

/* Dataflows, as in SCALE-Sim: output, weight or input stationary. */
enum { NPU_SYS_DF_OS = 0, NPU_SYS_DF_WS = 1, NPU_SYS_DF_IS = 2 };

/* How an operand reaches the array for a fold. */
enum {
    NPU_SYS_LD_NONE = 0,     /* nothing to fetch: the data is already in its SRAM half     */
    NPU_SYS_LD_PREFETCH = 1, /* the operand's loader fills an SRAM half before the fold     */
    NPU_SYS_LD_RESIDENT = 2, /* chunk of a resident operand: filled once into a half that
                                stays allocated until the end of the sub-problem            */
    NPU_SYS_LD_STREAM = 3    /* the tile does not fit a half: streamed from DRAM while the
                                fold computes (no double buffering possible)                */
};

/* LAYER flags. */
enum {
    NPU_SYS_LF_IFMAP_RESIDENT = 1u << 0,  /* whole ifmap of a sub-problem fits its half     */
    NPU_SYS_LF_FILTER_RESIDENT = 1u << 1, /* whole filter of a sub-problem fits its half    */
    NPU_SYS_LF_OFMAP_ACCUM = 1u << 2,     /* partial sums accumulate in the ofmap SRAM      */
    NPU_SYS_LF_OFMAP_SPILL = 1u << 3,     /* partial sums do not fit: written and read back */
    NPU_SYS_LF_DEPTHWISE = 1u << 4,       /* grouped conv run as one sub-problem per group  */
    NPU_SYS_LF_CONST_B = 1u << 5,         /* the "filter" operand is a weight (not an act.) */
    NPU_SYS_LF_IFMAP_STREAM = 1u << 6,    /* ifmap tiles larger than a half: streamed        */
    NPU_SYS_LF_FILTER_STREAM = 1u << 7    /* filter tiles larger than a half: streamed       */
};

/* FOLD flags. */
enum {
    NPU_SYS_FF_IFMAP_RELEASE = 1u << 0,  /* last fold using the ifmap half: free it          */
    NPU_SYS_FF_FILTER_RELEASE = 1u << 1, /* last fold using the filter half: free it         */
    NPU_SYS_FF_OFMAP_OPEN = 1u << 2,     /* first fold writing a new ofmap half (take credit)*/
    NPU_SYS_FF_OFMAP_DRAIN = 1u << 3,    /* results complete: the ofmap DMA drains the half  */
    NPU_SYS_FF_OFMAP_STREAM = 1u << 4    /* results/partials streamed to DRAM by the array   */
};

#define NPU_SYS_MAX_DEPS 4

typedef struct npu_sys_layer {
    uint8_t dataflow;        /* NPU_SYS_DF_*                                                */
    uint8_t ndeps;           /* producers listed in deps[] (more follow in WAIT records)    */
    uint16_t flags;          /* NPU_SYS_LF_*                                                */
    uint32_t rows, cols;     /* array size R×C at lowering                                  */
    uint32_t consumers;      /* layers that wait for this one (signal count of its "done") */
    int32_t deps[NPU_SYS_MAX_DEPS]; /* program layer indices of producers                   */
    int64_t nsub;            /* identical sub-problems run back to back                     */
    int64_t m, n, k;         /* operand matrices per sub-problem: ifmap M×K, filter K×N     */
    int64_t sr, sc, t;       /* mapped dims: Sr on rows, Sc on columns, T streamed          */
    int64_t row_folds, col_folds;
    int64_t ifmap_bytes;     /* unique bytes per sub-problem (conv: H·W·C/g, not im2col)    */
    int64_t filter_bytes;
    int64_t ofmap_bytes;
    int64_t ifmap_half, filter_half, ofmap_half; /* SRAM half sizes used for the plan (B)   */
    /* Totals over the whole layer (all sub-problems), as the program will move them: */
    int64_t dram_ifmap_rd, dram_filter_rd, dram_ofmap_wr, dram_ofmap_rd;
    int64_t sram_ifmap_rd, sram_filter_rd, sram_ofmap_wr; /* array-side SRAM traffic (B)   */
    int64_t nseg, tseg;      /* T cut into nseg segments of tseg rows (1, T: not cut); fold
                                order: column fold, then segment, then row fold             */
} npu_sys_layer;

typedef struct npu_sys_fold {
    int64_t count;           /* identical consecutive folds described by this record, in the
                                visiting order: column fold outer, row fold inner            */
    int64_t row_fold, col_fold; /* index of the first of them (i: row fold, j: col fold)     */
    uint32_t rows_used, cols_used;
    int64_t t;               /* rows streamed through the array                             */
    uint8_t ifmap_ld, filter_ld; /* NPU_SYS_LD_* for this fold                               */
    uint16_t flags;          /* NPU_SYS_FF_*                                                */
    uint32_t seg;            /* segment of T (WS/IS, when T is cut so partial sums fit)      */
    int64_t ifmap_bytes;     /* DRAM bytes fetched for this fold (each of the count folds)   */
    int64_t filter_bytes;
    int64_t ofmap_wr_bytes;  /* results (or partials) written to DRAM after/while computing  */
    int64_t ofmap_rd_bytes;  /* partial sums read back (spill)                              */
    int64_t onchip_bytes;    /* operand SRAM reads + ofmap SRAM writes of one fold          */
} npu_sys_fold;

typedef struct npu_sys_vector {
    uint8_t ndeps;
    uint8_t kind;            /* 0 vector, 1 view (no data movement)                          */
    uint16_t opclass;        /* npu_opclass                                                  */
    uint32_t consumers;
    int32_t deps[NPU_SYS_MAX_DEPS];
    int64_t elems;           /* elements the vector unit processes                          */
    int64_t rd_bytes, wr_bytes;
} npu_sys_vector;

typedef struct npu_sys_host {
    uint8_t ndeps;
    uint8_t pad8;
    uint16_t opclass;        /* npu_opclass                                                  */
    uint16_t op;             /* npu_op                                                       */
    uint16_t pad16;
    uint32_t consumers;
    uint32_t pad32;
    int32_t deps[NPU_SYS_MAX_DEPS];
    int64_t macs, elems;
    int64_t rd_bytes, wr_bytes;
} npu_sys_host;

typedef struct npu_sys_wait {
    uint32_t ndeps;
    int32_t deps[NPU_SYS_MAX_DEPS];
} npu_sys_wait;

/* Field tables: every member of every record, for generic dumps and checks (a new member
 * must be added to its table; tests/unit/systolic_test.c checks the tables cover the structs). */
typedef struct npu_sys_field {
    const char *name;
    uint16_t off;    /* offsetof in the record   */
    uint8_t size;    /* 1, 2, 4 or 8 bytes       */
    uint8_t is_signed;
    uint8_t count;   /* array length (deps[4]: 4), 1 for scalars */
} npu_sys_field;
/* Fields of opcode `op` (terminated by name == NULL) and the record size; NULL for an unknown
 * opcode. */
const npu_sys_field *npu_sys_fields(unsigned op, size_t *record_size);
/* "name=value name=value ..." for every field of instruction i (no newline). */
int npu_sys_dump(const npu_program *p, size_t i, npu_strbuf *out);

const char *npu_sys_dataflow_name(int df);
const char *npu_sys_ld_name(int ld);

/* Checked payload access: returns the payload of instruction i when its opcode is `op` and its
 * length matches the struct; NULL otherwise (callers turn that into an NPU_EFORMAT error). */
const void *npu_sys_payload(const npu_program *p, size_t i, unsigned op, size_t size);

/* Total folds (FOLD counts x the layer's sub-problems) a loaded program may describe: each is
 * at least one array job in the engine, and a 335-byte file claiming 2^40 folds made `exec`
 * grow past 11 GB. The largest lowered zoo network needs far fewer (docs/models/systolic.md). */
#define NPU_SYS_MAX_FOLDS ((int64_t)1 << 26)
/* Fold groups (identical consecutive folds sharing one load, one array job, one drain) a
 * detailed run may simulate, estimated before it starts: 2^20, about 4 M engine jobs. Measured
 * on the 2-core build machine at ~120 us and ~1.5 kB per group (a 22,464-channel depthwise
 * SCALE-Sim row: 22,464 groups, 2.6 s, 35 MB; 224,640 channels: 27 s, 332 MB, with the whole
 * program queued before the run), the limit is about 2 minutes; the jobs are now queued in
 * windows (models/systolic/timing.c), so memory no longer grows with the groups. The largest
 * zoo network on a 4x4 array has 0.85 M folds. */
#define NPU_SYS_MAX_RUN_GROUPS ((int64_t)1 << 20)
/* Load-time check of every payload value (npu_model_ops.check): opcodes and sizes, ranges,
 * fold indices and counts against the layer's fold grid, totals against NPU_SYS_MAX_FOLDS
 * and NPU_PROG_MAX_QTY. 0 or NPU_EFORMAT naming `path` and the instruction. */
int npu_sys_check(const npu_program *p, const char *path, npu_err *err);

/* One line of text for instruction i (no newline). Returns 0, or NPU_EFORMAT for a payload
 * that does not match its opcode (the line then says so). */
int npu_sys_disasm(const npu_program *p, size_t i, npu_strbuf *out);

#endif
