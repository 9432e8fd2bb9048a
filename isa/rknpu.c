/* rknpu.c — names, checked payload access and the disassembler of the RKNPU command format
 * (isa/rknpu.h). One line per instruction; the text is stable (tests compare it).
 */
#include "rknpu.h"

#include <inttypes.h>
#include <string.h>

#include "../sim/core/graph.h"

const char *npu_rkn_blk_name(int blk)
{
    static const char *const n[NPU_RKN_NBLK] = {"PC",       "CNA", "CORE",    "DPU",
                                                "DPU_RDMA", "PPU", "PPU_RDMA"};
    return blk >= 0 && blk < NPU_RKN_NBLK ? n[blk] : "?";
}

const char *npu_rkn_kind_name(int k)
{
    switch (k) {
    case NPU_RKN_K_CONV:
        return "conv";
    case NPU_RKN_K_DW:
        return "dwconv";
    case NPU_RKN_K_DPU:
        return "dpu";
    case NPU_RKN_K_PPU:
        return "ppu";
    case NPU_RKN_K_DECONV:
        return "deconv";
    default:
        return "?";
    }
}

const void *npu_rkn_payload(const npu_program *p, size_t i, unsigned op, size_t size)
{
    return npu_prog_get(p, i, op, size);
}

static const char *note_name(int w)
{
    switch (w) {
    case NPU_RKN_NOTE_FUSED_EW:
        return "fused into DPU EW of";
    case NPU_RKN_NOTE_FUSED_PPU:
        return "fused into PPU of";
    case NPU_RKN_NOTE_VIEW:
        return "view (no data moves)";
    case NPU_RKN_NOTE_ALIAS:
        return "aligned, written in place by";
    case NPU_RKN_NOTE_FUSED_ACT:
        return "fused into DPU of";
    default:
        return "?";
    }
}

int npu_rkn_disasm(const npu_program *p, size_t i, npu_strbuf *out)
{
    if (!p || i >= p->n) {
        npu_sb_puts(out, "<no such instruction>");
        return NPU_EINVAL;
    }
    const npu_instr *in = &p->ins[i];
    switch (in->op) {
    case NPU_RKN_OP_SUBMIT: {
        const npu_rkn_submit *s = npu_rkn_payload(p, i, in->op, sizeof *s);
        if (!s)
            break;
        npu_sb_printf(
            out,
            "SUBMIT core_mask=0x%x flags=0x%x tasks=%u/%u/%u layers=%" PRIu32 "..%" PRIu32 "%s%s",
            s->core_mask, (s->flags & NPU_RKN_SF_PINGPONG) ? 0x5u : 0x1u, s->ntask[0], s->ntask[1],
            s->ntask[2], s->first_layer, s->first_layer + (s->nlayers ? s->nlayers - 1 : 0),
            (s->flags & NPU_RKN_SF_IRQ_CHAIN) ? " irq-chained" : "",
            (s->flags & NPU_RKN_SF_WAKE) ? " wake" : "");
        return 0;
    }
    case NPU_RKN_OP_TASK: {
        const npu_rkn_task *t = npu_rkn_payload(p, i, in->op, sizeof *t);
        if (!t)
            break;
        npu_sb_printf(out, "TASK core%u %s en=0x%02x regs=%u [", t->core,
                      npu_rkn_kind_name(t->kind), t->enable_mask, t->regcfg_amount);
        int first = 1;
        for (int b = 0; b < NPU_RKN_NBLK; b++)
            if (t->nregs[b]) {
                npu_sb_printf(out, "%s%s:%u", first ? "" : " ", npu_rkn_blk_name(b), t->nregs[b]);
                first = 0;
            }
        npu_sb_printf(out,
                      "] slice=%u/%u k=%u/%u in=%" PRId32 "x%" PRId32 "x%" PRId32 " out=%" PRId32
                      "x%" PRId32 "x%" PRId32,
                      t->slice + 1u, t->nslices, t->kchunk + 1u, t->nkchunks, t->in_c, t->in_h,
                      t->in_w, t->out_k, t->out_h, t->out_w);
        if (t->kind == NPU_RKN_K_CONV || t->kind == NPU_RKN_K_DW || t->kind == NPU_RKN_K_DECONV)
            npu_sb_printf(out, " k%ux%u s%ux%u banks=%u+%u", t->kh, t->kw, t->sh, t->sw,
                          t->data_bank, t->weight_bank);
        npu_sb_printf(out, " rd=%" PRId64 "+%" PRId64 "+%" PRId64 " wr=%" PRId64, t->feat_rd,
                      t->wt_rd, t->ew_rd, t->out_wr);
        if (t->flags & NPU_RKN_TF_WEIGHT_REUSE)
            npu_sb_puts(out, " weight_reuse");
        if (t->flags & NPU_RKN_TF_DATA_REUSE)
            npu_sb_puts(out, " data_reuse");
        if (t->flags & NPU_RKN_TF_EW)
            npu_sb_puts(out, " ew");
        if (t->flags & NPU_RKN_TF_PPU)
            npu_sb_printf(out, " ppu%" PRId32 "x%" PRId32, t->ppu_kh, t->ppu_kw);
        if (t->flags & NPU_RKN_TF_LUT)
            npu_sb_puts(out, " lut");
        if (t->flags & NPU_RKN_TF_FEAT_SRAM)
            npu_sb_puts(out, " in@sram");
        if (t->flags & NPU_RKN_TF_OUT_SRAM)
            npu_sb_puts(out, " out@sram");
        if (t->bar_wait)
            npu_sb_printf(out, " barrier=%u", t->bar_wait);
        if (t->bar_sig_mask)
            npu_sb_printf(out, " signal=0x%x", t->bar_sig_mask);
        if (t->flags & NPU_RKN_TF_SUBMIT_LAST)
            npu_sb_puts(out, " irq");
        return 0;
    }
    case NPU_RKN_OP_CPU: {
        const npu_rkn_cpu *c = npu_rkn_payload(p, i, in->op, sizeof *c);
        if (!c)
            break;
        const char *what = c->what == NPU_RKN_CPU_INPUT    ? "input-convert"
                           : c->what == NPU_RKN_CPU_OUTPUT ? "output-convert"
                           : c->op < NPU_OP_COUNT          ? npu_op_name((npu_op)c->op)
                                                           : "?";
        npu_sb_printf(out, "CPU %s macs=%" PRId64 " elems=%" PRId64 " rd=%" PRId64 " wr=%" PRId64,
                      what, c->macs, c->elems, c->rd_bytes, c->wr_bytes);
        return 0;
    }
    case NPU_RKN_OP_NOTE: {
        const npu_rkn_note *n = npu_rkn_payload(p, i, in->op, sizeof *n);
        if (!n)
            break;
        npu_sb_printf(out, "NOTE %s", note_name(n->what));
        if (n->into >= 0 && n->into < p->nlayers && p->layers[n->into].name)
            npu_sb_printf(out, " %s", p->layers[n->into].name);
        return 0;
    }
    default:
        break;
    }
    npu_sb_printf(out, "<bad rknpu instruction op=%u len=%" PRIu32 ">", in->op, in->len);
    return NPU_EFORMAT;
}
