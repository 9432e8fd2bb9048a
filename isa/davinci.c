/* davinci.c — names, checked payload access and the disassembler of the DaVinci command format
 * (isa/davinci.h). One stable line per instruction (tests compare it).
 */
#include "davinci.h"

#include <inttypes.h>
#include <string.h>

static const char *const pipe_names[] = {
    [NPU_DV_PIPE_S] = "S",       [NPU_DV_PIPE_V] = "V",       [NPU_DV_PIPE_M] = "M",
    [NPU_DV_PIPE_MTE1] = "MTE1", [NPU_DV_PIPE_MTE2] = "MTE2", [NPU_DV_PIPE_MTE3] = "MTE3",
    [NPU_DV_PIPE_ALL] = "ALL",   [NPU_DV_PIPE_TS] = "TS",     [NPU_DV_PIPE_AICPU] = "AICPU",
};

const char *npu_dv_pipe_name(int pipe)
{
    if (pipe < 0 || pipe > NPU_DV_PIPE_AICPU || !pipe_names[pipe])
        return "?";
    return pipe_names[pipe];
}

static const char *const op_names[NPU_DV_OP_COUNT] = {
    [NPU_DV_OP_KERNEL] = "kernel",
    [NPU_DV_OP_BEGIN] = "begin",
    [NPU_DV_OP_SCALAR] = "scalar",
    [NPU_DV_OP_COPY_GM_L1] = "copy_gm_to_cbuf",
    [NPU_DV_OP_COPY_GM_UB] = "copy_gm_to_ubuf",
    [NPU_DV_OP_LOAD_IMAGE] = "load_image_to_cbuf",
    [NPU_DV_OP_LOAD3D] = "img2col_cbuf_to_ca",
    [NPU_DV_OP_LOAD2D] = "load_cbuf_to_cb",
    [NPU_DV_OP_MMAD] = "mad",
    [NPU_DV_OP_MOV_L0C_UB] = "copy_matrix_cc_to_ubuf",
    [NPU_DV_OP_VEC] = "vec",
    [NPU_DV_OP_COPY_UB_GM] = "copy_ubuf_to_gm",
    [NPU_DV_OP_SET_FLAG] = "set_flag",
    [NPU_DV_OP_WAIT_FLAG] = "wait_flag",
    [NPU_DV_OP_BARRIER] = "pipe_barrier",
    [NPU_DV_OP_END] = "end",
    [NPU_DV_OP_AICPU] = "aicpu_kernel",
};

const char *npu_dv_op_name(int op)
{
    if (op <= 0 || op >= NPU_DV_OP_COUNT || !op_names[op])
        return "?";
    return op_names[op];
}

static const char *const vec_names[NPU_DV_V_COUNT] = {
    "vadd", "vsub", "vmul", "vdiv", "vmax", "vmin", "vrelu", "vexp", "vln", "vrec",
    "vsqrt", "vabs", "vmuls", "vadds", "vconv", "vcadd", "vector_dup", "vcopy"};

const char *npu_dv_vec_name(int kind)
{
    if (kind < 0 || kind >= NPU_DV_V_COUNT)
        return "v?";
    return vec_names[kind];
}

static const void *payload(const npu_program *p, size_t i, size_t size)
{
    return npu_prog_get(p, i, NPU_PROG_ANY_OP, size);
}

const npu_dv_ins *npu_dv_ins_at(const npu_program *p, size_t i)
{
    if (!p || i >= p->n || p->ins[i].op == NPU_DV_OP_KERNEL || p->ins[i].op == 0 ||
        p->ins[i].op >= NPU_DV_OP_COUNT || npu_dv_is_short(p->ins[i].op))
        return NULL;
    return payload(p, i, sizeof(npu_dv_ins));
}

int npu_dv_decode(const npu_program *p, size_t i, npu_dv_ins *out)
{
    memset(out, 0, sizeof *out);
    if (!p || i >= p->n)
        return -1;
    if (npu_dv_is_short(p->ins[i].op)) {
        const npu_dv_sync *s = payload(p, i, sizeof(npu_dv_sync));
        if (!s)
            return -1;
        out->core = s->core;
        out->pipe2 = s->pipe2;
        out->event = s->event;
        return 0;
    }
    const npu_dv_ins *d = npu_dv_ins_at(p, i);
    if (!d)
        return -1;
    *out = *d;
    return 0;
}

const npu_dv_kernel *npu_dv_kernel_at(const npu_program *p, size_t i)
{
    if (!p || i >= p->n || p->ins[i].op != NPU_DV_OP_KERNEL)
        return NULL;
    return payload(p, i, sizeof(npu_dv_kernel));
}

int npu_dv_disasm(const npu_program *p, size_t i, npu_strbuf *out)
{
    if (!p || i >= p->n) {
        npu_sb_puts(out, "<no such instruction>");
        return NPU_EFORMAT;
    }
    const npu_instr *in = &p->ins[i];
    if (in->op == NPU_DV_OP_KERNEL) {
        const npu_dv_kernel *k = npu_dv_kernel_at(p, i);
        if (!k) {
            npu_sb_puts(out, "kernel <malformed payload>");
            return NPU_EFORMAT;
        }
        if (k->flags & NPU_DV_KF_AICPU) {
            npu_sb_printf(out, "TS     kernel layer=%" PRId32 " on AI CPU", in->layer);
            return 0;
        }
        npu_sb_printf(out, "TS     kernel layer=%" PRId32 " block_dim=%" PRIu32, in->layer,
                      k->block_dim);
        if (k->flags & NPU_DV_KF_CUBE)
            npu_sb_printf(out, " cube M=%" PRId64 " K=%" PRId64 " N=%" PRId64
                               " L0=%" PRId64 "x%" PRId64 "x%" PRId64,
                          k->M, k->K, k->N, k->m_l0, k->k_l0, k->n_l0);
        else if (k->ub_tile_bytes)
            npu_sb_printf(out, " vector ub_tile=%" PRId64, k->ub_tile_bytes);
        if (k->flags & NPU_DV_KF_AIPP)
            npu_sb_puts(out, " aipp");
        return 0;
    }
    npu_dv_ins dd;
    if (npu_dv_decode(p, i, &dd)) {
        npu_sb_printf(out, "op %u <malformed payload>", (unsigned)in->op);
        return NPU_EFORMAT;
    }
    const npu_dv_ins *d = &dd;
    npu_sb_printf(out, "c%-2u %-5s %s", (unsigned)d->core, npu_dv_pipe_name(in->unit),
                  in->op == NPU_DV_OP_VEC ? npu_dv_vec_name(d->kind) : npu_dv_op_name(in->op));
    switch (in->op) {
    case NPU_DV_OP_SET_FLAG:
        npu_sb_printf(out, "(PIPE_%s, PIPE_%s, EVENT_ID%u)", npu_dv_pipe_name(in->unit),
                      npu_dv_pipe_name(d->pipe2), (unsigned)d->event);
        break;
    case NPU_DV_OP_WAIT_FLAG:
        npu_sb_printf(out, "(PIPE_%s, PIPE_%s, EVENT_ID%u)", npu_dv_pipe_name(d->pipe2),
                      npu_dv_pipe_name(in->unit), (unsigned)d->event);
        break;
    case NPU_DV_OP_BARRIER:
        npu_sb_printf(out, "(PIPE_%s)", npu_dv_pipe_name(d->pipe2));
        break;
    case NPU_DV_OP_SCALAR:
        npu_sb_printf(out, " issue=%" PRIu32, d->repeat);
        break;
    case NPU_DV_OP_COPY_GM_L1:
    case NPU_DV_OP_COPY_GM_UB:
    case NPU_DV_OP_COPY_UB_GM:
    case NPU_DV_OP_LOAD_IMAGE:
        npu_sb_printf(out, " bytes=%" PRIu64 " run=%" PRIu32 " %s buf=%" PRIu32, d->bytes,
                      d->run, d->mem == NPU_DV_MEM_L2 ? "l2" : "ddr", d->buf);
        if (in->op == NPU_DV_OP_LOAD_IMAGE)
            npu_sb_printf(out, " src=%" PRIu64, d->aux);
        break;
    case NPU_DV_OP_LOAD3D:
    case NPU_DV_OP_LOAD2D:
        npu_sb_printf(out, " %" PRIu32 "x%" PRIu32 " bytes=%" PRIu64 " buf=%" PRIu32,
                      in->op == NPU_DV_OP_LOAD3D ? d->m : d->k,
                      in->op == NPU_DV_OP_LOAD3D ? d->k : d->n, d->bytes, d->buf);
        break;
    case NPU_DV_OP_MMAD:
        npu_sb_printf(out, " m=%" PRIu32 " k=%" PRIu32 " n=%" PRIu32 " buf=%" PRIu32 "%s", d->m,
                      d->k, d->n, d->buf, (d->flags & NPU_DV_F_ACC) ? " acc" : "");
        break;
    case NPU_DV_OP_MOV_L0C_UB:
        npu_sb_printf(out, " bytes=%" PRIu64 "%s%s buf=%" PRIu32, d->bytes,
                      (d->flags & NPU_DV_F_BIAS) ? " bias" : "",
                      (d->flags & NPU_DV_F_RELU) ? " relu" : "", d->buf);
        break;
    case NPU_DV_OP_VEC:
        npu_sb_printf(out, " repeat=%" PRIu32 " bytes=%" PRIu64 " buf=%" PRIu32, d->repeat,
                      d->bytes, d->buf);
        break;
    case NPU_DV_OP_AICPU:
        npu_sb_printf(out, " op=%u macs=%" PRId64 " elems=%" PRIu64 " bytes=%" PRIu64,
                      (unsigned)d->kind, d->macs, d->aux, d->bytes);
        break;
    default: break;
    }
    return 0;
}

/* ---- load-time check ---------------------------------------------------------------------- */
int npu_dv_check(const npu_program *p, const char *path, npu_err *err)
{
    const int64_t Q = NPU_PROG_MAX_QTY, D = (int64_t)1 << 16;
    const uint32_t kflags = NPU_DV_KF_AICPU | NPU_DV_KF_AIPP | NPU_DV_KF_L1_B_RESIDENT |
                            NPU_DV_KF_L1_A_RESIDENT | NPU_DV_KF_N_OUTER | NPU_DV_KF_CUBE |
                            NPU_DV_KF_DEPTHWISE | NPU_DV_KF_VIEW | NPU_DV_KF_RES_ADD;
    int rc = 0;
    int64_t bd = -1; /* block_dim of the kernel being read; -1 none yet, 0 an AI CPU kernel */
#define R NPU_PROG_RANGE
    for (size_t i = 0; i < p->n; i++) {
        const npu_instr *in = &p->ins[i];
        const char *rec = npu_dv_op_name(in->op);
        if (in->op == NPU_DV_OP_KERNEL) {
            const npu_dv_kernel *k = npu_dv_kernel_at(p, i);
            if (!k)
                return npu_err_set(err, NPU_EFORMAT, "%s: instruction %zu: malformed kernel "
                                   "header (%" PRIu32 " payload bytes)", path, i, in->len);
            R("flags (unknown bits)", k->flags & ~kflags, 0, 0);
            bool cpu = (k->flags & NPU_DV_KF_AICPU) != 0;
            /* against the preset's core count again at exec */
            R("block_dim", k->block_dim, cpu ? 0 : 1, D);
            R("split_m", k->split_m, 0, D);
            R("split_n", k->split_n, 0, D);
            R("m0", k->m0, 0, 1024);
            R("k0", k->k0, 0, 1024);
            R("n0", k->n0, 0, 1024);
            R("bpe_in", k->bpe_in, 0, 8);
            const int64_t qs[] = {k->M,          k->K,          k->N,           k->groups,
                                  k->m_l0,       k->k_l0,       k->n_l0,        k->m_l1,
                                  k->k_l1,       k->l1_a_bytes, k->l1_b_bytes,  k->ub_tile_bytes,
                                  k->gm_rd_bytes, k->gm_wr_bytes, k->l2_rd_bytes, k->ninstr};
            static const char *const qn[] = {
                "M",     "K",          "N",          "groups",        "m_l0",        "k_l0",
                "n_l0",  "m_l1",       "k_l1",       "l1_a_bytes",    "l1_b_bytes",
                "ub_tile_bytes", "gm_rd_bytes", "gm_wr_bytes", "l2_rd_bytes", "ninstr"};
            NPU_PROG_RANGES(qn, qs, 0, Q);
            R("l1_db", k->l1_db, 0, 2);
            R("l0_db", k->l0_db, 0, 2);
            R("ub_db", k->ub_db, 0, 2);
            bd = cpu ? 0 : (int64_t)k->block_dim;
            continue;
        }
        npu_dv_ins d;
        if (in->op == 0 || in->op >= NPU_DV_OP_COUNT || npu_dv_decode(p, i, &d) != 0)
            return npu_prog_not_a_record(p, i, path, "a DaVinci", err);
        if (d.bytes > (uint64_t)Q || d.aux > (uint64_t)Q) /* unsigned: no range check fits */
            return npu_err_set(err, NPU_EFORMAT, "%s: instruction %zu (%s): bytes = %" PRIu64
                               ", aux = %" PRIu64 ": above %" PRId64, path, i, rec, d.bytes,
                               d.aux, Q);
        R("macs", d.macs, 0, Q);
        R("repeat", d.repeat, 0, 1 << 24);
        R("mem", d.mem, NPU_DV_MEM_DDR, NPU_DV_MEM_L2);
        if (in->op == NPU_DV_OP_AICPU) {
            R("kind (operator)", d.kind, 0, NPU_OP_COUNT - 1);
            if (!(d.flags & NPU_DV_F_HOST_AIPP) && bd != 0)
                return npu_err_set(err, NPU_EFORMAT, "%s: instruction %zu: AI CPU operator "
                                   "outside an AI CPU kernel", path, i);
            continue;
        }
        if (bd <= 0)
            return npu_err_set(err, NPU_EFORMAT, "%s: instruction %zu (%s) outside an AI Core "
                               "kernel", path, i, rec);
        R("core", d.core, 0, bd - 1);
        R("pipe", in->unit, 0, NPU_DV_NPIPES - 1);
        if (in->op == NPU_DV_OP_MMAD) {
            R("m", d.m, 0, 1 << 20);
            R("k", d.k, 0, 1 << 20);
            R("n", d.n, 0, 1 << 20);
        }
        if (in->op == NPU_DV_OP_VEC)
            R("kind (vector instruction)", d.kind, 0, NPU_DV_V_COUNT - 1);
        if (in->op == NPU_DV_OP_SET_FLAG || in->op == NPU_DV_OP_WAIT_FLAG)
            R("pipe2", d.pipe2, 0, NPU_DV_NPIPES - 1); /* event ids: against the preset at exec */
        if (in->op == NPU_DV_OP_BARRIER)
            R("pipe", d.pipe2, 0, NPU_DV_PIPE_ALL);
    }
#undef R
    return 0;
}
