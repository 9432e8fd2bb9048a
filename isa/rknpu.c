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
        if (t->flags & NPU_RKN_TF_WSTREAM)
            npu_sb_puts(out, " wstream");
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
        npu_sb_puts(out, "CPU ");
        npu_prog_host_text(out, c);
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

/* ---- load-time check ---------------------------------------------------------------------- */
/* Precision codes of the CNA (isa/rknpu.h: int8 0, int16 1, fp16 2, bf16 3, int4 6, tf32 7). */
static int precision_known(unsigned c)
{
    return c <= 3 || c == 6 || c == 7;
}

int npu_rkn_check(const npu_program *p, const char *path, npu_err *err)
{
    const int64_t Q = NPU_PROG_MAX_QTY, D = (int64_t)1 << 24;
    int rc = 0;
    const char *rec = "?";
#define R NPU_PROG_RANGE
    for (size_t i = 0; i < p->n; i++) {
        const void *pl = NULL;
        switch (p->ins[i].op) {
        case NPU_RKN_OP_SUBMIT: {
            const npu_rkn_submit *s = pl = npu_rkn_payload(p, i, NPU_RKN_OP_SUBMIT, sizeof *s);
            rec = "SUBMIT";
            if (!s)
                break;
            R("core_mask", s->core_mask, 1, (1 << NPU_RKN_MAX_CORES) - 1);
            int n = 0;
            for (int k = 0; k < NPU_RKN_MAX_CORES; k++) {
                n += (s->core_mask >> k) & 1;
                if (!((s->core_mask >> k) & 1))
                    R("ntask of a core outside core_mask", s->ntask[k], 0, 0);
            }
            R("ncores (bits of core_mask)", s->ncores, n, n);
            const unsigned known = NPU_RKN_SF_PINGPONG | NPU_RKN_SF_IRQ_CHAIN | NPU_RKN_SF_WAKE;
            R("flags (unknown bits)", s->flags & ~known, 0, 0);
            R("kick_writes", s->kick_writes, 0, 1024);
            R("first_layer", s->first_layer, 0, p->nlayers);
            R("first_layer + nlayers", (int64_t)s->first_layer + s->nlayers, 0, p->nlayers);
            break;
        }
        case NPU_RKN_OP_TASK: {
            const npu_rkn_task *t = pl = npu_rkn_payload(p, i, NPU_RKN_OP_TASK, sizeof *t);
            rec = "TASK";
            if (!t)
                break;
            R("core", t->core, 0, NPU_RKN_MAX_CORES - 1);
            R("kind", t->kind, NPU_RKN_K_CONV, NPU_RKN_K_DECONV);
            if (!precision_known(t->precision) || !precision_known(t->wprecision))
                return npu_err_set(err, NPU_EFORMAT, "%s: instruction %zu (TASK): precision "
                                   "code %u/%u is not one of 0-3, 6, 7", path, i, t->precision,
                                   t->wprecision);
            R("lut_passes", t->lut_passes, 0, 2);
            R("bar_sig_mask", t->bar_sig_mask, 0, (1 << NPU_RKN_MAX_CORES) - 1);
            R("bar_wait", t->bar_wait, 0, NPU_RKN_MAX_CORES);
            R("flags (unknown bits, >> 11)", t->flags >> 11, 0, 0);
            const int64_t dims[] = {t->in_h, t->in_w, t->in_c, t->out_h, t->out_w, t->out_k};
            static const char *const dn[] = {"in_h", "in_w", "in_c", "out_h", "out_w", "out_k"};
            NPU_PROG_RANGES(dn, dims, 0, D);
            /* -1 and -2 name the transpose and softmax costs of a DPU task (models/rknpu) */
            R("ppu_kh", t->ppu_kh, -2, D);
            R("ppu_kw", t->ppu_kw, -2, D);
            const int64_t qs[] = {t->macs,  t->elems,  t->out_elems, t->feat_rd,
                                  t->wt_rd, t->ew_rd,  t->out_wr,    t->cbuf_bytes};
            static const char *const qn[] = {"macs",  "elems", "out_elems", "feat_rd",
                                             "wt_rd", "ew_rd", "out_wr",    "cbuf_bytes"};
            NPU_PROG_RANGES(qn, qs, 0, Q);
            break;
        }
        case NPU_RKN_OP_CPU: {
            const npu_rkn_cpu *c = pl = npu_rkn_payload(p, i, NPU_RKN_OP_CPU, sizeof *c);
            rec = "CPU";
            if (c && (rc = npu_prog_host_check(c, path, i, rec, err)))
                return rc;
            break;
        }
        case NPU_RKN_OP_NOTE: {
            const npu_rkn_note *n = pl = npu_rkn_payload(p, i, NPU_RKN_OP_NOTE, sizeof *n);
            rec = "NOTE";
            if (!n)
                break;
            R("what", n->what, NPU_RKN_NOTE_FUSED_EW, NPU_RKN_NOTE_FUSED_ACT);
            R("into", n->into, -1, p->nlayers - 1);
            break;
        }
        default:
            break;
        }
        if (!pl)
            return npu_prog_not_a_record(p, i, path, "an RKNPU", err);
    }
#undef R
    return 0;
}
