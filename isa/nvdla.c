/* nvdla.c — names, checked payload access and the disassembler of the NVDLA command format
 * (isa/nvdla.h). One line per instruction, stable text (tests compare parts of it).
 */
#include "nvdla.h"

#include <inttypes.h>
#include <string.h>

#include "../sim/core/graph.h"

const char *npu_nv_proc_name(int proc)
{
    static const char *const n[] = {"BDMA", "CONV", "SDP", "PDP", "CDP", "RUBIK", "CPU"};
    return proc >= 0 && proc <= NPU_NV_UNIT_CPU ? n[proc] : "?";
}

const char *npu_nv_event_name(int ev)
{
    static const char *const n[] = {"none", "OP_COMPLETED", "OP_PROGRAMMED", "OP_ENABLED",
                                    "CDMA_WT_DONE", "CDMA_DT_DONE"};
    return ev >= 0 && ev <= NPU_NV_EV_CDMA_DT_DONE ? n[ev] : "?";
}

const char *npu_nv_cbuf_mode_name(int mode)
{
    static const char *const n[] = {"full-input-full-weight", "full-input-partial-weight",
                                    "split-h", "split-h-weight-refetch",
                                    "split-weight-input-refetch"};
    return mode >= 0 && mode <= NPU_NV_CBUF_SPLIT_WT_D ? n[mode] : "?";
}

const char *npu_nv_conv_mode_name(int mode)
{
    static const char *const n[] = {"direct", "winograd", "image", "fc"};
    return mode >= 0 && mode <= NPU_NV_CONV_FC ? n[mode] : "?";
}

const char *npu_nv_rubik_mode_name(int mode)
{
    static const char *const n[] = {"contract", "split", "merge"};
    return mode >= 0 && mode <= NPU_NV_RUBIK_MERGE ? n[mode] : "?";
}

const void *npu_nv_payload(const npu_program *p, size_t i, unsigned op, size_t size)
{
    return npu_prog_get(p, i, op, size);
}

static void put_common(npu_strbuf *out, const npu_nv_common *c)
{
    npu_sb_printf(out, "op %d %s dep_count=%u", (int)c->index, npu_nv_proc_name(c->op_type),
                  (unsigned)c->dependency_count);
    bool any = false;
    for (int k = 0; k < NPU_NV_NPROC; k++) {
        if (c->consumers[k].index < 0)
            continue;
        npu_sb_printf(out, "%s%s:%d/%s", any ? "," : " consumers=", npu_nv_proc_name(k),
                      (int)c->consumers[k].index, npu_nv_event_name(c->consumers[k].event));
        any = true;
    }
    if (c->fused_parent.index >= 0)
        npu_sb_printf(out, " fused_parent=%d/%s", (int)c->fused_parent.index,
                      npu_nv_event_name(c->fused_parent.event));
}

static void put_hwl(npu_strbuf *out, const npu_nv_hwl *h)
{
    put_common(out, &h->common);
    if (h->ndeps) {
        npu_sb_puts(out, " after=");
        for (int k = 0; k < h->ndeps && k < NPU_NV_MAX_DEPS; k++)
            npu_sb_printf(out, "%s%d", k ? "," : "", (int)h->deps[k]);
    }
    npu_sb_printf(out, " task=%u irq=%u csb_wr=%u", (unsigned)h->task, (unsigned)h->nirq,
                  (unsigned)h->reg_writes);
    switch (h->common.op_type) {
    case NPU_NV_CONV:
        npu_sb_printf(out, " | %s in=%dx%dx%d k=%d %dx%d s=%d,%d g=%d out=%dx%d cbuf=%s "
                      "banks=%u+%u split=%d kpass=%d overlap=%d stripes=%dx%d atomics=%" PRId64
                      " mac_cyc=%" PRId64 " rd=%" PRId64 "+%" PRId64,
                      npu_nv_conv_mode_name(h->conv_mode), h->c, h->h, h->w, h->k, h->r, h->s,
                      h->sh, h->sw, h->groups, h->p, h->q, npu_nv_cbuf_mode_name(h->cbuf_mode),
                      (unsigned)h->data_banks, (unsigned)h->weight_banks, h->nsplit, h->nkpass,
                      h->overlap, h->stripes, h->stripe_len, h->atomics, h->mac_cycles,
                      h->rd_data, h->rd_wt);
        if (h->conv_mode == NPU_NV_CONV_IMAGE)
            npu_sb_printf(out, " ext=%d", h->ext);
        break;
    default:
        npu_sb_printf(out, " | %s elems=%" PRId64 " thr=%d rd=%" PRId64 " wr=%" PRId64,
                      (h->flags & NPU_NV_HF_FUSED) ? "on-the-fly" : "from-memory", h->elems,
                      h->thr, h->rd_data + h->rd_ew, h->wr_out);
        if (h->flags & NPU_NV_HF_EW)
            npu_sb_printf(out, " ew=%" PRId64, h->rd_ew);
        if (h->common.op_type == NPU_NV_PDP)
            npu_sb_printf(out, " kernel=%dx%d s=%d,%d", h->r, h->s, h->sh, h->sw);
        else if (h->common.op_type == NPU_NV_CDP)
            npu_sb_printf(out, " lrn local_size=%d cube=%dx%dx%d", h->r, h->c, h->h, h->w);
        else if (h->common.op_type == NPU_NV_BDMA)
            npu_sb_printf(out, " transfers=%d", h->nsplit);
        else if (h->common.op_type == NPU_NV_RUBIK)
            npu_sb_printf(out, " mode=%s", npu_nv_rubik_mode_name(h->conv_mode));
        break;
    }
    if (h->common.op_type == NPU_NV_SDP && (h->flags & NPU_NV_HF_FUSED))
        npu_sb_printf(out, " wr=%" PRId64, h->wr_out);
    if (h->flags & NPU_NV_HF_IN_SRAM)
        npu_sb_puts(out, " in@sram");
    if (h->flags & NPU_NV_HF_OUT_SRAM)
        npu_sb_puts(out, " out@sram");
    if (h->flags & NPU_NV_HF_COMPRESSED)
        npu_sb_puts(out, " wt-compressed");
}

int npu_nv_disasm(const npu_program *p, size_t i, npu_strbuf *out)
{
    if (!p || i >= p->n) {
        npu_sb_puts(out, "<no such instruction>");
        return NPU_EFORMAT;
    }
    const npu_instr *in = &p->ins[i];
    switch (in->op) {
    case NPU_NV_OP_TASK: {
        const npu_nv_task *t = npu_nv_payload(p, i, NPU_NV_OP_TASK, sizeof *t);
        if (!t)
            break;
        npu_sb_printf(out, "TASK %u %s ops=%u", (unsigned)t->index,
                      t->kind == NPU_NV_TASK_EMU ? "EMU" : "DLA", (unsigned)t->nops);
        return 0;
    }
    case NPU_NV_OP_HWL: {
        const npu_nv_hwl *h = npu_nv_payload(p, i, NPU_NV_OP_HWL, sizeof *h);
        if (!h)
            break;
        npu_sb_puts(out, "HWL ");
        put_hwl(out, h);
        return 0;
    }
    case NPU_NV_OP_EMU: {
        const npu_nv_emu *e = npu_nv_payload(p, i, NPU_NV_OP_EMU, sizeof *e);
        if (!e)
            break;
        npu_sb_printf(out, "EMU cpu %s macs=%" PRId64 " elems=%" PRId64 " rd=%" PRId64
                      " wr=%" PRId64,
                      e->op < NPU_OP_COUNT ? npu_op_name((npu_op)e->op) : "?", e->macs, e->elems,
                      e->rd_bytes, e->wr_bytes);
        return 0;
    }
    case NPU_NV_OP_SHEET: {
        const npu_nv_sheet *s = npu_nv_payload(p, i, NPU_NV_OP_SHEET, sizeof *s);
        if (!s || s->mac_den <= 0)
            break;
        npu_sb_printf(out, "SHEET mac_cyc=%.2f dram_kb=%.3f dram_cyc=%" PRId64 " %s refetch=%d%s%s%s",
                      (double)s->mac_num / (double)s->mac_den, (double)s->dram_bytes / 1024.0,
                      s->dram_cycles, s->weight_layer ? "weight" : "data", s->refetch,
                      s->elwise ? " +elwise" : "", s->winograd ? " winograd-credit" : "",
                      s->fc ? " fc" : "");
        return 0;
    }
    default:
        break;
    }
    npu_sb_printf(out, "<bad NVDLA instruction: opcode %u, %u payload bytes>", (unsigned)in->op,
                  (unsigned)in->len);
    return NPU_EFORMAT;
}
