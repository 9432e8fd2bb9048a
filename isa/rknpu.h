/* rknpu.h — the command format of the `rknpu` model (prefix npu_rkn_).
 *
 * A lowered RKNPU program mirrors what the RKNN runtime hands the downstream `rknpu` kernel
 * driver (research/rknpu.md §4.1, §4.2):
 *
 *   SUBMIT one RKNPU_SUBMIT ioctl (a "job"): the core mask, the number of tasks per core, the
 *          ping-pong flag (flags 0x5 = PC|PINGPONG, the last submit of a model 0x1) and how
 *          the driver is told of completion (one interrupt per core for the whole job, as the
 *          downstream driver does, or one per task, as the mainline `rocket` driver does).
 *          The TASK records of the job follow it, core by core in program order.
 *   TASK   one regcmd task: the enable mask of the blocks it uses (bit 0 CNA, 2 CORE, 3 DPU,
 *          4 DPU_RDMA, 5 PPU, 6 PPU_RDMA: 0x0D conv/GEMM, 0x18 DPU element-wise, 0x60 PPU as
 *          seen in RKNN captures), the number of regcmd entries per register block (the PC
 *          fetches regcfg_amount × 8 bytes), the CBUF bank split and reuse bits (CBUF_CON0),
 *          the geometry of its slice, the DMA bytes of each client and the layer barrier of a
 *          multi-core job.
 *   CPU    one operator run by the RKNN runtime on the CPU between jobs (a fallback op, the
 *          layout conversion and (de)quantisation of inputs/outputs with the normal API).
 *   NOTE   a layer that needs no work of its own: fused into a neighbouring task (Add in the
 *          conv's DPU EW stage, pooling in the conv's PPU), a view, or an aligned concat.
 *
 * Payloads are plain fixed-width integers (no pointers). Every access goes through
 * npu_rkn_payload(), which checks opcode and size (a truncated or foreign payload is an error).
 */
#ifndef NPU_ISA_RKNPU_H
#define NPU_ISA_RKNPU_H

#include <stdint.h>

#include "../sim/core/ctx.h"
#include "program.h"

enum { NPU_RKN_OP_SUBMIT = 1, NPU_RKN_OP_TASK = 2, NPU_RKN_OP_CPU = 3, NPU_RKN_OP_NOTE = 4 };

/* npu_instr.unit: the NPU core of a task (0..2), the CPU for CPU records, NONE for the rest. */
enum { NPU_RKN_UNIT_CPU = 8, NPU_RKN_UNIT_NONE = 9 };
#define NPU_RKN_MAX_CORES 3

/* Register blocks (regcmd target bits 56..63 minus 56; research §4.1). */
enum {
    NPU_RKN_BLK_PC = 0,
    NPU_RKN_BLK_CNA,
    NPU_RKN_BLK_CORE,
    NPU_RKN_BLK_DPU,
    NPU_RKN_BLK_DPU_RDMA,
    NPU_RKN_BLK_PPU,
    NPU_RKN_BLK_PPU_RDMA,
    NPU_RKN_NBLK
};
const char *npu_rkn_blk_name(int blk);

/* Enable-mask bits (rknpu_task.enable_mask). */
enum {
    NPU_RKN_EN_CNA = 1u << 0,
    NPU_RKN_EN_CORE = 1u << 2,
    NPU_RKN_EN_DPU = 1u << 3,
    NPU_RKN_EN_DPU_RDMA = 1u << 4,
    NPU_RKN_EN_PPU = 1u << 5,
    NPU_RKN_EN_PPU_RDMA = 1u << 6
};

/* Task kinds (what the CNA/CORE are set up for; CONV_CON1.conv_mode and friends). */
enum {
    NPU_RKN_K_CONV = 0, /* direct convolution, also FC/GEMM as 1x1 (conv_mode 0)      */
    NPU_RKN_K_DW = 1,   /* depthwise (conv_mode 3)                                  */
    NPU_RKN_K_DPU = 2,  /* DPU alone, flying mode: element-wise, activation, copies */
    NPU_RKN_K_PPU = 3,  /* PPU alone: pooling                                        */
    NPU_RKN_K_DECONV = 4
};
const char *npu_rkn_kind_name(int k);

/* TASK flags. */
enum {
    NPU_RKN_TF_LAYER_FIRST = 1u << 0,  /* first task of its layer on this core            */
    NPU_RKN_TF_LAYER_LAST = 1u << 1,   /* last task of its layer on this core             */
    NPU_RKN_TF_WEIGHT_REUSE = 1u << 2, /* CBUF_CON0.weight_reuse: weights already in CBUF */
    NPU_RKN_TF_DATA_REUSE = 1u << 3,   /* CBUF_CON0.data_reuse: input rows already in CBUF */
    NPU_RKN_TF_EW = 1u << 4,           /* DPU EW stage reads a second operand (fused add)  */
    NPU_RKN_TF_PPU = 1u << 5,          /* the conv output flies into the PPU (fused pool)   */
    NPU_RKN_TF_LUT = 1u << 6,          /* DPU LUT activation (sigmoid, silu …)             */
    NPU_RKN_TF_SUBMIT_LAST = 1u << 7,  /* last task of the job on this core: raises the IRQ */
    NPU_RKN_TF_FEAT_SRAM = 1u << 8,    /* the feature input lives in system SRAM          */
    NPU_RKN_TF_OUT_SRAM = 1u << 9,     /* the output is written to system SRAM            */
    NPU_RKN_TF_WSTREAM = 1u << 10      /* matmul weights (native [N/32,K/32,32,32] layout)
                                          stream beside the compute, never preloaded       */
};

/* SUBMIT flags. */
enum {
    NPU_RKN_SF_PINGPONG = 1u << 0,  /* PC_TASK_CON.task_pp_en (flags 0x5 vs 0x1)            */
    NPU_RKN_SF_IRQ_CHAIN = 1u << 1, /* kicked from the previous task's IRQ handler (rocket):
                                       register writes only, no ioctl                        */
    NPU_RKN_SF_WAKE = 1u << 2       /* the waiting user thread is woken when it completes    */
};

typedef struct npu_rkn_submit {
    uint8_t core_mask;                 /* bit i = core i                                       */
    uint8_t ncores;                    /* cores used                                           */
    uint16_t flags;                    /* NPU_RKN_SF_*                                         */
    uint16_t ntask[NPU_RKN_MAX_CORES]; /* tasks per core (each ≤ max_tasks)                */
    uint16_t kick_writes;              /* MMIO writes of the kick per core (8 downstream)      */
    uint32_t first_layer, nlayers;     /* program layers covered                               */
} npu_rkn_submit;

typedef struct npu_rkn_task {
    uint8_t core;                   /* NPU core running it                                  */
    uint8_t kind;                   /* NPU_RKN_K_*                                          */
    uint8_t precision;              /* CNA precision code: int8 0, int16 1, fp16 2, bf16 3,
                                       int4 6, tf32 7 (TRM reg 0x100C)                       */
    uint8_t data_bank, weight_bank; /* CBUF_CON0 split of the 12 banks                    */
    uint8_t kh, kw, sh, sw;
    uint8_t bar_wait;     /* layer barrier: signals to wait for before starting   */
    uint8_t bar_sig_mask; /* layer barrier: cores signalled when done             */
    uint8_t lut_passes;   /* DPU LUT passes over each output: 0 none, 1 a table
                             (sigmoid, tanh), 2 a table and a multiply (x·g(x):
                             SiLU, GELU, HardSwish)                               */
    uint8_t wprecision;   /* precision code of the weights (mixed precision: int4
                             weights with fp16 activations = 6 here, 2 above)     */
    uint8_t pad1;
    uint16_t flags;               /* NPU_RKN_TF_*                                         */
    uint16_t enable_mask;         /* NPU_RKN_EN_*                                         */
    uint16_t regcfg_amount;       /* regcmd entries (64-bit each)                         */
    uint16_t nregs[NPU_RKN_NBLK]; /* entries per register block                           */
    uint16_t slice, nslices;      /* row slice index / count of the layer                 */
    uint16_t kchunk, nkchunks;    /* weight (kernel-group) chunk index / count            */
    int32_t in_h, in_w, in_c;     /* input slice rows, width, channels padded to C2      */
    int32_t out_h, out_w, out_k;  /* output rows, width, kernels padded to the group      */
    int32_t ppu_kh, ppu_kw;       /* pooling window (PPU tasks, fused pools)              */
    int64_t macs;                 /* useful MACs of this task                             */
    int64_t elems;                /* DPU/PPU elements processed (input side)              */
    int64_t out_elems;            /* elements the task writes (after PPU)                 */
    int64_t feat_rd;              /* feature bytes the CNA / RDMA reads from DRAM         */
    int64_t wt_rd;                /* weight bytes the CNA reads from DRAM                 */
    int64_t ew_rd;                /* second-operand bytes DPU_RDMA reads                  */
    int64_t out_wr;               /* bytes the DPU/PPU write-DMA writes                   */
    int64_t cbuf_bytes;           /* bytes placed in the CBUF (counted as on-chip)        */
} npu_rkn_task;

/* CPU: the shared host record of isa/program.h (what: NPU_PROG_HOST_OP for a fallback
 * operator, _INPUT/_OUTPUT for the runtime's tensor conversions). */
typedef npu_prog_host npu_rkn_cpu;

enum {
    NPU_RKN_NOTE_FUSED_EW = 1,  /* add/mul fused into the producing conv's DPU EW stage */
    NPU_RKN_NOTE_FUSED_PPU = 2, /* pooling fused into the producing conv's PPU          */
    NPU_RKN_NOTE_VIEW = 3,      /* reshape/flatten/squeeze: no data moves               */
    NPU_RKN_NOTE_ALIAS = 4,     /* channel-aligned concat/split: written in place       */
    NPU_RKN_NOTE_FUSED_ACT = 5  /* activation in the producer's DPU                     */
};

typedef struct npu_rkn_note {
    uint16_t what; /* NPU_RKN_NOTE_*                                       */
    uint16_t pad0;
    int32_t into; /* program layer that does the work, -1 none           */
} npu_rkn_note;

/* Checked payload access: NULL unless instruction i exists, has opcode `op` and exactly
 * `size` payload bytes inside the data area. */
const void *npu_rkn_payload(const npu_program *p, size_t i, unsigned op, size_t size);

/* One line of text for instruction i (tasks list their register groups). */
int npu_rkn_disasm(const npu_program *p, size_t i, npu_strbuf *out);
/* Load-time check of every payload value (npu_model_ops.check), as npu_nv_check and
 * npu_sys_check do: each record's opcode and size, codes and flags known, dimensions within
 * 2^24, bytes/MACs/elements within NPU_PROG_MAX_QTY, layer references inside the program.
 * Checks that need the preset (a core mask against `cores`) stay in the executor. */
int npu_rkn_check(const npu_program *p, const char *path, npu_err *err);

#endif
