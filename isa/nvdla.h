/* nvdla.h — the command format of the `nvdla` model (prefix npu_nv_).
 *
 * A lowered NVDLA program is what the NVDLA compiler hands the KMD (research/nvdla.md §3.1):
 * a list of hardware operations ("hardware layers"), each with its dla_common_op_desc (index,
 * processor, dependency_count, one consumer per processor type, fused parent and the event that
 * releases it), its operation descriptor (conv / SDP / PDP / CDP / BDMA / Rubik fields) and its
 * surfaces (sizes, where they live). Ops are grouped into tasks: a DLA task is submitted to the
 * KMD in one go; an EMU task is an operator the runtime runs on the CPU (softmax, and whatever
 * the configuration cannot run), exactly as the NVDLA runtime alternates DLA and EMU tasks.
 *
 *   TASK   starts a task: kind (DLA or EMU), number of ops.
 *   HWL    one hardware operation (all processors share one fixed-size record).
 *   EMU    one CPU operator (op class, work, bytes).
 *   SHEET  NVIDIA's performance-spreadsheet row of a conv/FC layer (research §1.3), kept so
 *          that fidelity=spreadsheet replays the program without the graph.
 *
 * Payloads are plain fixed-width little-endian integers (no pointers, no floats), so a saved
 * program loads back on any host. Access goes through npu_nv_payload(), which checks the
 * opcode and the length: a truncated or foreign payload is an error, never a crash.
 */
#ifndef NPU_ISA_NVDLA_H
#define NPU_ISA_NVDLA_H

#include <stdint.h>

#include "../sim/core/ctx.h"
#include "program.h"

enum { NPU_NV_OP_TASK = 1, NPU_NV_OP_HWL = 2, NPU_NV_OP_EMU = 3, NPU_NV_OP_SHEET = 4 };

/* Processors, numbered as DLA_OP_* in dla_interface.h; npu_instr.unit carries the processor
 * (NPU_NV_UNIT_CPU for EMU, NPU_NV_UNIT_NONE for TASK/SHEET). */
enum {
    NPU_NV_BDMA = 0,
    NPU_NV_CONV = 1,
    NPU_NV_SDP = 2,
    NPU_NV_PDP = 3,
    NPU_NV_CDP = 4,
    NPU_NV_RUBIK = 5,
    NPU_NV_NPROC = 6,
    NPU_NV_UNIT_CPU = 6,
    NPU_NV_UNIT_NONE = 7
};

/* Events (dla_interface.h). */
enum {
    NPU_NV_EV_NONE = 0,
    NPU_NV_EV_OP_COMPLETED = 1,
    NPU_NV_EV_OP_PROGRAMMED = 2,
    NPU_NV_EV_OP_ENABLED = 3,
    NPU_NV_EV_CDMA_WT_DONE = 4,
    NPU_NV_EV_CDMA_DT_DONE = 5
};

/* Conv modes. */
enum { NPU_NV_CONV_DIRECT = 0, NPU_NV_CONV_WINOGRAD = 1, NPU_NV_CONV_IMAGE = 2, NPU_NV_CONV_FC = 3 };

/* CBUF working modes (programming guide, research §2.1). */
enum {
    NPU_NV_CBUF_FULL = 0,       /* full input and full weights                                 */
    NPU_NV_CBUF_PARTIAL_WT = 1, /* full input, weights streamed in kernel-group chunks         */
    NPU_NV_CBUF_SPLIT_H = 2,    /* input split in H (overlap max(R-stride,0) lines), weights kept */
    NPU_NV_CBUF_SPLIT_H_WT = 3, /* split in H and the weights re-fetched for every split       */
    NPU_NV_CBUF_SPLIT_WT_D = 4  /* weights split in chunks, the input re-fetched for every one  */
};

/* Rubik modes (research §2.2), carried in npu_nv_hwl.conv_mode of a RUBIK op. */
enum { NPU_NV_RUBIK_CONTRACT = 0, NPU_NV_RUBIK_SPLIT = 1, NPU_NV_RUBIK_MERGE = 2 };

/* HWL flags. */
enum {
    NPU_NV_HF_EW = 1u << 0,       /* SDP reads an element-wise operand (ERDMA)                */
    NPU_NV_HF_FUSED = 1u << 1,    /* SDP fed on the fly by CACC (fused to the previous CONV)  */
    NPU_NV_HF_IN_SRAM = 1u << 2,  /* input surface in the SRAMIF memory                       */
    NPU_NV_HF_OUT_SRAM = 1u << 3, /* output surface in the SRAMIF memory                      */
    NPU_NV_HF_LUT = 1u << 4,      /* SDP/CDP uses its LUT                                      */
    NPU_NV_HF_COMPRESSED = 1u << 5, /* weights compressed                                     */
    NPU_NV_HF_EW_SRAM = 1u << 6     /* element-wise operand in the SRAMIF memory              */
};

#define NPU_NV_MAX_DEPS 8

typedef struct npu_nv_consumer {
    int16_t index;  /* op index, -1 none */
    uint8_t event;  /* NPU_NV_EV_* */
    uint8_t pad;
} npu_nv_consumer;

/* dla_common_op_desc. */
typedef struct npu_nv_common {
    int16_t index;            /* op index within the program (all tasks)            */
    int8_t roi_index;
    uint8_t op_type;          /* processor                                           */
    uint8_t dependency_count; /* producers + 1 if a fused downstream op exists       */
    uint8_t pad[3];
    npu_nv_consumer consumers[NPU_NV_NPROC];
    npu_nv_consumer fused_parent;
} npu_nv_common;

typedef struct npu_nv_hwl {
    npu_nv_common common;
    uint8_t ndeps;            /* producer ops in deps[] (the dependency graph edges)  */
    uint8_t nirq;             /* interrupts the op raises (conv 3, others 1)          */
    uint8_t conv_mode;        /* NPU_NV_CONV_* (RUBIK: NPU_NV_RUBIK_* mode)           */
    uint8_t cbuf_mode;        /* NPU_NV_CBUF_*                                        */
    uint16_t flags;           /* NPU_NV_HF_*                                          */
    uint16_t reg_writes;      /* CSB writes to program the op                         */
    int16_t deps[NPU_NV_MAX_DEPS];
    uint16_t addrs;           /* surface addresses the KMD resolves                   */
    uint16_t task;            /* task number                                          */
    uint8_t data_banks, weight_banks, bpe, pad8;
    /* geometry (conv: input C×H×W, K kernels R×S, stride, output P×Q; others: C×H×W) */
    int32_t c, h, w, k, r, s, sh, sw, p, q, groups, batch;
    int32_t nsplit;           /* H splits (split-H) or weight chunks (SPLIT_WT_D);
                                 BDMA: transfers in the group (<= 20); CDP: r = local size */
    int32_t nkpass;           /* weight chunks per split                              */
    int32_t overlap;          /* overlapping input lines per split                    */
    int32_t stripes;          /* stripe operations per kernel group and block         */
    int32_t stripe_len;       /* atomics per (full) stripe                            */
    int32_t ext;              /* image mode: channel post-extension lines (1, 2, 4)   */
    int32_t thr;              /* elements/cycle of the output path (SDP/PDP/CDP)      */
    int32_t pad32;
    int64_t atomics;          /* atomic operations incl. channel/kernel tails          */
    int64_t mac_cycles;       /* CMAC cycles incl. stripe weight-load bound           */
    int64_t elems;            /* elements through SDP/PDP/CDP/Rubik                   */
    int64_t in_bytes, wt_bytes, out_bytes, ew_bytes; /* surface sizes                  */
    int64_t rd_data, rd_wt, rd_ew, wr_out;           /* planned memory traffic (bytes) */
} npu_nv_hwl;

enum { NPU_NV_TASK_DLA = 0, NPU_NV_TASK_EMU = 1 };

typedef struct npu_nv_task {
    uint16_t kind;            /* NPU_NV_TASK_*                                         */
    uint16_t index;
    uint32_t nops;            /* HWL (DLA) or EMU records that follow                 */
} npu_nv_task;

/* EMU: the shared host record of isa/program.h (what = NPU_PROG_HOST_OP; the same 40 bytes as
 * before it was shared, when `what` and `pad0` were one zero padding word). */
typedef npu_prog_host npu_nv_emu;

/* Spreadsheet row (research §1.3). MAC cycles = mac_num / mac_den exactly; DRAM traffic in
 * units of 1/1024 KB (bytes), DRAM cycles already rounded up as the sheet does. */
typedef struct npu_nv_sheet {
    int64_t mac_num, mac_den;
    int64_t dram_bytes;
    int64_t dram_cycles;
    int32_t refetch;          /* input (weight layer) or weight re-fetch count         */
    uint8_t weight_layer;     /* the sheet labels the layer "weight" (X >= Wt)         */
    uint8_t elwise, winograd, fc;
} npu_nv_sheet;

const char *npu_nv_proc_name(int proc);
const char *npu_nv_event_name(int ev);
const char *npu_nv_cbuf_mode_name(int mode);
const char *npu_nv_conv_mode_name(int mode);
const char *npu_nv_rubik_mode_name(int mode);

/* Payload of instruction i when its opcode is `op` and its length is `size`; NULL otherwise. */
const void *npu_nv_payload(const npu_program *p, size_t i, unsigned op, size_t size);

/* One line of text for instruction i (no newline): descriptors and dependency edges. Returns
 * 0, or NPU_EFORMAT for a payload that does not match its opcode (the line says so). */
int npu_nv_disasm(const npu_program *p, size_t i, npu_strbuf *out);

/* Load-time check of every payload value (npu_model_ops.check): each record's opcode and size,
 * enumerations in range, every quantity in [0, NPU_PROG_MAX_QTY] and every dimension in
 * [0, 2^24], so the disassembler and the executor can add and multiply them without overflow
 * (a fuzzed HWL with rd_data + rd_ew past INT64_MAX was undefined behaviour). 0 or
 * NPU_EFORMAT naming `path` and the instruction. */
int npu_nv_check(const npu_program *p, const char *path, npu_err *err);

#endif
