/* davinci.h — the command format of the `davinci` model (prefix npu_dv_).
 *
 * A lowered DaVinci program is what the Scalar unit of each AI Core issues, kernel by kernel
 * (research/davinci.md §2.1): one KERNEL record per layer (the task the Task Scheduler launches,
 * with its block dim and tiling, for `explain`), then per AI Core ("block") the instruction
 * stream of that kernel, each instruction tagged with its pipe (npu_instr.unit):
 *
 *   PIPE_S     scalar: address/loop arithmetic of one tile iteration (SCALAR), kernel begin/end
 *   PIPE_MTE2  GM -> L1 / UB copies (COPY), AIPP image loads (load_image_to_cbuf)
 *   PIPE_MTE1  L1 -> L0A (Load3D = img2col) and L1 -> L0B (Load2D)
 *   PIPE_M     Cube mmad L0A x L0B -> L0C
 *   PIPE_V     vector instructions on the UB (repeats of 256 B, <= 255 per instruction) and
 *              the L0C -> UB move with fp32->fp16 conversion, bias and ReLU (coupled arch)
 *   PIPE_MTE3  UB -> GM copies
 * plus SET_FLAG(src, dst, id) issued on the src pipe and WAIT_FLAG(src, dst, id) on the dst
 * pipe (binary semaphores, research §2.2), PIPE_BARRIER, and END (kernel end on a pipe).
 * AICPU records stand for kernels the Task Scheduler sends to the AI CPU instead (§2.4).
 *
 * Enum values of the pipes are those of the CCE intrinsics (S=0, V=1, M=2, MTE1=3, MTE2=4,
 * MTE3=5; research §2.1). Payloads are plain fixed-width little-endian integers, one struct for
 * every instruction (npu_dv_ins) and one for the kernel header (npu_dv_kernel); the
 * disassembler and the executor check opcode and length before use.
 */
#ifndef NPU_ISA_DAVINCI_H
#define NPU_ISA_DAVINCI_H

#include <stdint.h>

#include "../sim/core/ctx.h"
#include "program.h"

/* Pipes (npu_instr.unit), CCE intrinsic numbering; TS = the task scheduler (kernel records),
 * AICPU = AI CPU kernels. */
enum {
    NPU_DV_PIPE_S = 0,
    NPU_DV_PIPE_V = 1,
    NPU_DV_PIPE_M = 2,
    NPU_DV_PIPE_MTE1 = 3,
    NPU_DV_PIPE_MTE2 = 4,
    NPU_DV_PIPE_MTE3 = 5,
    NPU_DV_PIPE_ALL = 6,
    NPU_DV_NPIPES = 6,
    NPU_DV_PIPE_TS = 7,
    NPU_DV_PIPE_AICPU = 8
};

/* Opcodes (npu_instr.op). */
enum {
    NPU_DV_OP_KERNEL = 1,   /* npu_dv_kernel: a task launched by the TS (one per layer)       */
    NPU_DV_OP_BEGIN,        /* S: kernel prologue on a core (reads tiling args)               */
    NPU_DV_OP_SCALAR,       /* S: address/loop arithmetic of one tile iteration               */
    NPU_DV_OP_COPY_GM_L1,   /* MTE2                                                           */
    NPU_DV_OP_COPY_GM_UB,   /* MTE2                                                           */
    NPU_DV_OP_LOAD_IMAGE,   /* MTE2: AIPP load_image_to_cbuf (crop/CSC/normalise on the fly) */
    NPU_DV_OP_LOAD3D,       /* MTE1: L1 -> L0A with img2col                                  */
    NPU_DV_OP_LOAD2D,       /* MTE1: L1 -> L0B (fractal copy / transpose)                    */
    NPU_DV_OP_MMAD,         /* M                                                              */
    NPU_DV_OP_MOV_L0C_UB,   /* V: L0C -> UB with conversion (+bias, ReLU)                     */
    NPU_DV_OP_VEC,          /* V: one vector instruction (kind, repeats)                      */
    NPU_DV_OP_COPY_UB_GM,   /* MTE3                                                           */
    NPU_DV_OP_SET_FLAG,     /* on pipe src: flag (src, dst, id) := 1 after src's prior work  */
    NPU_DV_OP_WAIT_FLAG,    /* on pipe dst: block until flag (src, dst, id), then clear it    */
    NPU_DV_OP_BARRIER,      /* pipe_barrier(pipe)                                             */
    NPU_DV_OP_END,          /* last instruction of a kernel on a pipe of a core               */
    NPU_DV_OP_AICPU,        /* npu_dv_ins: the kernel runs on the AI CPU                      */
    NPU_DV_OP_COUNT
};

/* Vector instruction kinds (npu_dv_ins.kind for NPU_DV_OP_VEC). */
enum {
    NPU_DV_V_ADD = 0, NPU_DV_V_SUB, NPU_DV_V_MUL, NPU_DV_V_DIV, NPU_DV_V_MAX, NPU_DV_V_MIN,
    NPU_DV_V_RELU, NPU_DV_V_EXP, NPU_DV_V_LN, NPU_DV_V_REC, NPU_DV_V_SQRT, NPU_DV_V_ABS,
    NPU_DV_V_MULS, NPU_DV_V_ADDS, NPU_DV_V_CONV, NPU_DV_V_REDUCE, NPU_DV_V_DUP, NPU_DV_V_COPY,
    NPU_DV_V_COUNT
};

/* Memory a GM copy goes through (npu_dv_ins.mem). */
enum { NPU_DV_MEM_DDR = 0, NPU_DV_MEM_L2 = 1 };

/* npu_dv_ins.flags */
enum {
    NPU_DV_F_ACC = 1u << 0,    /* MMAD accumulates into L0C (not the first K step)          */
    NPU_DV_F_RELU = 1u << 1,   /* MOV_L0C_UB applies ReLU on the way                        */
    NPU_DV_F_BIAS = 1u << 2,   /* MOV_L0C_UB adds the bias                                  */
    NPU_DV_F_TRANS = 1u << 3,  /* LOAD2D transposes                                          */
    NPU_DV_F_HOST_AIPP = 1u << 4 /* AICPU: static AIPP on the host, before the first kernel   */
};

/* One instruction. Fields not used by an opcode are 0. */
typedef struct npu_dv_ins {
    uint16_t core;     /* AI Core (block index) that issues it                               */
    uint8_t pipe2;     /* SET/WAIT_FLAG: the other pipe (dst for SET, src for WAIT)           */
    uint8_t event;     /* SET/WAIT_FLAG: event id                                             */
    uint8_t flags;     /* NPU_DV_F_*                                                          */
    uint8_t mem;       /* COPY*: NPU_DV_MEM_*                                                 */
    uint16_t kind;     /* VEC: NPU_DV_V_*; AICPU: npu_op; MOV_L0C_UB: source bytes/elem       */
    uint32_t repeat;   /* VEC: repeats (<= 255); SCALAR: instructions issued                  */
    uint32_t buf;      /* ping-pong buffer index used (0/1) — for disasm/explain              */
    uint32_t m, k, n;  /* MMAD/LOAD3D/LOAD2D: fractal-padded dims; LOAD3D k = img2col K      */
    uint32_t run;      /* COPY*: contiguous bytes per burst run (0 = one run)                 */
    uint64_t bytes;    /* COPY*, LOAD*, MOV: bytes moved; VEC: bytes per operand             */
    uint64_t aux;      /* AICPU: elements; LOAD_IMAGE: source image bytes                    */
    int64_t macs;      /* AICPU: MACs                                                         */
} npu_dv_ins;

/* The short form of the synchronisation and bracket instructions (SET_FLAG, WAIT_FLAG,
 * PIPE_BARRIER, BEGIN, END): most of a program is flags, so they take 8 bytes, not 56. */
typedef struct npu_dv_sync {
    uint16_t core;
    uint8_t pipe2;     /* SET/WAIT_FLAG: the other pipe; BARRIER: the pipe                    */
    uint8_t event;
    uint32_t pad;
} npu_dv_sync;

/* True for the opcodes that use npu_dv_sync. */
static inline int npu_dv_is_short(unsigned op)
{
    return op == NPU_DV_OP_SET_FLAG || op == NPU_DV_OP_WAIT_FLAG || op == NPU_DV_OP_BARRIER ||
           op == NPU_DV_OP_BEGIN || op == NPU_DV_OP_END;
}

/* Kernel header: the TS launches it on `block_dim` AI Cores (or on the AI CPU). */
#define NPU_DV_KF_AICPU 1u          /* runs on the AI CPU                                  */
#define NPU_DV_KF_AIPP 2u           /* first conv with static AIPP fused in its load        */
#define NPU_DV_KF_L1_B_RESIDENT 4u  /* all weights of a core stay in L1                     */
#define NPU_DV_KF_L1_A_RESIDENT 8u  /* whole input share of a core stays in L1              */
#define NPU_DV_KF_N_OUTER 16u       /* loop order: N tiles outer, M tiles inner              */
#define NPU_DV_KF_CUBE 32u          /* a Cube kernel (conv/matmul)                           */
#define NPU_DV_KF_DEPTHWISE 64u     /* depthwise conv on the Cube with diagonal fractals     */
#define NPU_DV_KF_VIEW 128u         /* no instructions (a view)                              */
#define NPU_DV_KF_RES_ADD 256u      /* a residual add (+ activation) fused into the epilogue */

typedef struct npu_dv_kernel {
    uint32_t flags;        /* NPU_DV_KF_*                                                    */
    uint32_t block_dim;    /* AI Cores used                                                  */
    uint32_t split_m, split_n; /* blocks along M and along N (block_dim = split_m·split_n)   */
    uint32_t m0, k0, n0;   /* cube fractal shape at lowering                                */
    uint32_t bpe_in;       /* bytes per input element                                       */
    int64_t M, K, N;       /* GEMM view (padded to fractals), per group                      */
    int64_t groups;        /* groups run one after the other (depthwise: C/16 diagonal blocks)*/
    int64_t m_l0, k_l0, n_l0;  /* L0 tile: L0A m×k, L0B k×n, L0C m×n                         */
    int64_t m_l1, k_l1;    /* L1 tile of A (rows × K chunk); B is k_l1 × n_l0                */
    int64_t l1_a_bytes, l1_b_bytes; /* one L1 buffer of A / B                               */
    int64_t ub_tile_bytes; /* UB buffer of a vector kernel or of the L0C -> UB drain          */
    int64_t gm_rd_bytes, gm_wr_bytes;  /* planned GM traffic of the kernel                  */
    int64_t l2_rd_bytes;   /* of which expected L2 hits                                      */
    int64_t ninstr;        /* instructions of all its blocks                                */
    int32_t l1_db, l0_db, ub_db; /* double buffering in L1, L0A/B(+C), UB (1 or 2)          */
    int32_t pad;
} npu_dv_kernel;

const char *npu_dv_pipe_name(int pipe);
const char *npu_dv_op_name(int op);
const char *npu_dv_vec_name(int kind);

/* Checked payload access: the long payload of instruction i (NULL for a kernel header, a short
 * instruction or a malformed payload). */
const npu_dv_ins *npu_dv_ins_at(const npu_program *p, size_t i);
/* Any instruction but a kernel header, short or long, as a full npu_dv_ins (unused fields 0).
 * Returns 0, or -1 for a kernel header or a malformed payload. */
int npu_dv_decode(const npu_program *p, size_t i, npu_dv_ins *out);
const npu_dv_kernel *npu_dv_kernel_at(const npu_program *p, size_t i);

/* One line for instruction i (no newline); NPU_EFORMAT for a malformed payload. */
int npu_dv_disasm(const npu_program *p, size_t i, npu_strbuf *out);
/* Load-time check of every payload value (npu_model_ops.check), as npu_nv_check does: each
 * record's opcode and size, flags and kinds known, tile dims and quantities bounded (bytes,
 * MACs within NPU_PROG_MAX_QTY), every AI Core instruction inside a kernel and on one of its
 * blocks. What needs the preset (block_dim against the cores, event ids) stays in the
 * executor's validate(). */
int npu_dv_check(const npu_program *p, const char *path, npu_err *err);

#endif
