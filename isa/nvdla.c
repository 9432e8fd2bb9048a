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
        npu_sb_puts(out, "EMU cpu ");
        npu_prog_host_text(out, e);
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

/* ---- load-time check ---------------------------------------------------------------------- */
int npu_nv_check(const npu_program *p, const char *path, npu_err *err)
{
    const int64_t Q = NPU_PROG_MAX_QTY, D = (int64_t)1 << 24;
    int rc = 0;
    const char *rec = "?";
#define R NPU_PROG_RANGE
    for (size_t i = 0; i < p->n; i++) {
        const void *pl = NULL;
        switch (p->ins[i].op) {
        case NPU_NV_OP_TASK: {
            const npu_nv_task *t = pl = npu_nv_payload(p, i, NPU_NV_OP_TASK, sizeof *t);
            rec = "TASK";
            if (t)
                R("kind", t->kind, NPU_NV_TASK_DLA, NPU_NV_TASK_EMU);
            break;
        }
        case NPU_NV_OP_EMU: {
            const npu_nv_emu *e = pl = npu_nv_payload(p, i, NPU_NV_OP_EMU, sizeof *e);
            rec = "EMU";
            if (e && (rc = npu_prog_host_check(e, path, i, rec, err)))
                return rc;
            break;
        }
        case NPU_NV_OP_SHEET: {
            const npu_nv_sheet *s = pl = npu_nv_payload(p, i, NPU_NV_OP_SHEET, sizeof *s);
            rec = "SHEET";
            if (!s)
                break;
            R("mac_num", s->mac_num, 0, Q);
            R("mac_den", s->mac_den, 1, Q);
            R("dram_bytes", s->dram_bytes, 0, Q);
            R("dram_cycles", s->dram_cycles, 0, Q);
            R("refetch", s->refetch, 0, D);
            break;
        }
        case NPU_NV_OP_HWL: {
            const npu_nv_hwl *h = pl = npu_nv_payload(p, i, NPU_NV_OP_HWL, sizeof *h);
            rec = "HWL";
            if (!h)
                break;
            const npu_nv_common *c = &h->common;
            R("index", c->index, 0, INT16_MAX);
            R("op_type", c->op_type, 0, NPU_NV_NPROC - 1);
            for (int k = 0; k < NPU_NV_NPROC; k++) {
                R("consumer", c->consumers[k].index, -1, INT16_MAX);
                R("consumer event", c->consumers[k].event, 0, NPU_NV_EV_CDMA_DT_DONE);
            }
            R("fused_parent", c->fused_parent.index, -1, INT16_MAX);
            R("fused_parent event", c->fused_parent.event, 0, NPU_NV_EV_CDMA_DT_DONE);
            R("ndeps", h->ndeps, 0, NPU_NV_MAX_DEPS);
            for (int k = 0; k < h->ndeps; k++)
                R("deps", h->deps[k], 0, INT16_MAX);
            R("conv_mode", h->conv_mode, 0, NPU_NV_CONV_FC);
            R("cbuf_mode", h->cbuf_mode, 0, NPU_NV_CBUF_SPLIT_WT_D);
            const int64_t dims[] = {h->c,      h->h,      h->w,          h->k,      h->r,
                                    h->s,      h->sh,     h->sw,         h->p,      h->q,
                                    h->groups, h->batch,  h->nsplit,     h->nkpass, h->overlap,
                                    h->stripes, h->stripe_len, h->ext,   h->thr};
            static const char *const dn[] = {"c",      "h",     "w",          "k",      "r",
                                             "s",      "sh",    "sw",         "p",      "q",
                                             "groups", "batch", "nsplit",     "nkpass", "overlap",
                                             "stripes", "stripe_len", "ext", "thr"};
            NPU_PROG_RANGES(dn, dims, 0, D);
            const int64_t qs[] = {h->atomics,  h->mac_cycles, h->elems,  h->in_bytes,
                                  h->wt_bytes, h->out_bytes,  h->ew_bytes, h->rd_data,
                                  h->rd_wt,    h->rd_ew,      h->wr_out};
            static const char *const qn[] = {"atomics",  "mac_cycles", "elems",    "in_bytes",
                                             "wt_bytes", "out_bytes",  "ew_bytes", "rd_data",
                                             "rd_wt",    "rd_ew",      "wr_out"};
            NPU_PROG_RANGES(qn, qs, 0, Q);
            break;
        }
        default:
            break;
        }
        if (!pl)
            return npu_prog_not_a_record(p, i, path, "an NVDLA", err);
    }
#undef R
    return 0;
}
