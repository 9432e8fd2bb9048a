/* systolic.c — names, checked payload access and the disassembler of the systolic command
 * format (isa/systolic.h). One line per instruction, stable text (tests compare it).
 */
#include "systolic.h"

#include <inttypes.h>
#include <string.h>

const char *npu_sys_dataflow_name(int df)
{
    switch (df) {
    case NPU_SYS_DF_OS: return "os";
    case NPU_SYS_DF_WS: return "ws";
    case NPU_SYS_DF_IS: return "is";
    default: return "?";
    }
}

const char *npu_sys_ld_name(int ld)
{
    switch (ld) {
    case NPU_SYS_LD_NONE: return "reuse";
    case NPU_SYS_LD_PREFETCH: return "prefetch";
    case NPU_SYS_LD_RESIDENT: return "resident";
    case NPU_SYS_LD_STREAM: return "stream";
    default: return "?";
    }
}

const void *npu_sys_payload(const npu_program *p, size_t i, unsigned op, size_t size)
{
    if (!p || i >= p->n)
        return NULL;
    const npu_instr *in = &p->ins[i];
    if (in->op != op || in->len != size)
        return NULL;
    if ((size_t)in->off > p->dlen || size > p->dlen - in->off)
        return NULL;
    return npu_prog_payload(p, i);
}

static void put_deps(npu_strbuf *out, int n, const int32_t *deps)
{
    if (n <= 0)
        return;
    npu_sb_puts(out, " after=");
    for (int i = 0; i < n && i < NPU_SYS_MAX_DEPS; i++)
        npu_sb_printf(out, "%s%" PRId32, i ? "," : "", deps[i]);
}

static void put_flag(npu_strbuf *out, unsigned flags, unsigned bit, const char *name)
{
    if (flags & bit)
        npu_sb_printf(out, " %s", name);
}

int npu_sys_disasm(const npu_program *p, size_t i, npu_strbuf *out)
{
    if (!p || i >= p->n) {
        npu_sb_puts(out, "<no such instruction>");
        return NPU_EINVAL;
    }
    const npu_instr *in = &p->ins[i];
    switch (in->op) {
    case NPU_SYS_OP_LAYER: {
        const npu_sys_layer *l = npu_sys_payload(p, i, in->op, sizeof *l);
        if (!l)
            break;
        npu_sb_printf(out,
                      "LAYER  %s %" PRIu32 "x%" PRIu32 " M=%" PRId64 " N=%" PRId64
                      " K=%" PRId64 " x%" PRId64 " Sr=%" PRId64 " Sc=%" PRId64 " T=%" PRId64
                      " folds=%" PRId64 "x%" PRId64,
                      npu_sys_dataflow_name(l->dataflow), l->rows, l->cols, l->m, l->n, l->k,
                      l->nsub, l->sr, l->sc, l->t, l->row_folds, l->col_folds);
        put_flag(out, l->flags, NPU_SYS_LF_IFMAP_RESIDENT, "ifmap-resident");
        put_flag(out, l->flags, NPU_SYS_LF_FILTER_RESIDENT, "filter-resident");
        put_flag(out, l->flags, NPU_SYS_LF_OFMAP_ACCUM, "ofmap-accum");
        put_flag(out, l->flags, NPU_SYS_LF_OFMAP_SPILL, "ofmap-spill");
        put_flag(out, l->flags, NPU_SYS_LF_IFMAP_STREAM, "ifmap-stream");
        put_flag(out, l->flags, NPU_SYS_LF_FILTER_STREAM, "filter-stream");
        put_flag(out, l->flags, NPU_SYS_LF_DEPTHWISE, "grouped");
        put_deps(out, l->ndeps, l->deps);
        return 0;
    }
    case NPU_SYS_OP_FOLD: {
        const npu_sys_fold *f = npu_sys_payload(p, i, in->op, sizeof *f);
        if (!f)
            break;
        npu_sb_printf(out,
                      "FOLD   i=%" PRId64 " j=%" PRId64 " x%" PRId64 " rows=%" PRIu32
                      " cols=%" PRIu32 " T=%" PRId64 " ifmap=%s:%" PRId64
                      " filter=%s:%" PRId64,
                      f->row_fold, f->col_fold, f->count, f->rows_used, f->cols_used, f->t,
                      npu_sys_ld_name(f->ifmap_ld), f->ifmap_bytes,
                      npu_sys_ld_name(f->filter_ld), f->filter_bytes);
        if (f->ofmap_wr_bytes)
            npu_sb_printf(out, " ofmap_wr=%" PRId64, f->ofmap_wr_bytes);
        if (f->ofmap_rd_bytes)
            npu_sb_printf(out, " ofmap_rd=%" PRId64, f->ofmap_rd_bytes);
        put_flag(out, f->flags, NPU_SYS_FF_IFMAP_RELEASE, "rel-ifmap");
        put_flag(out, f->flags, NPU_SYS_FF_FILTER_RELEASE, "rel-filter");
        put_flag(out, f->flags, NPU_SYS_FF_OFMAP_OPEN, "open-ofmap");
        put_flag(out, f->flags, NPU_SYS_FF_OFMAP_DRAIN, "drain");
        put_flag(out, f->flags, NPU_SYS_FF_OFMAP_STREAM, "stream-out");
        return 0;
    }
    case NPU_SYS_OP_VECTOR: {
        const npu_sys_vector *v = npu_sys_payload(p, i, in->op, sizeof *v);
        if (!v)
            break;
        if (v->kind == 1)
            npu_sb_puts(out, "VIEW  ");
        else
            npu_sb_printf(out, "VECTOR elems=%" PRId64 " rd=%" PRId64 " wr=%" PRId64, v->elems,
                          v->rd_bytes, v->wr_bytes);
        put_deps(out, v->ndeps, v->deps);
        return 0;
    }
    case NPU_SYS_OP_HOST: {
        const npu_sys_host *h = npu_sys_payload(p, i, in->op, sizeof *h);
        if (!h)
            break;
        npu_sb_printf(out, "HOST   op=%u macs=%" PRId64 " elems=%" PRId64 " rd=%" PRId64
                      " wr=%" PRId64, (unsigned)h->op, h->macs, h->elems, h->rd_bytes,
                      h->wr_bytes);
        put_deps(out, h->ndeps, h->deps);
        return 0;
    }
    case NPU_SYS_OP_WAIT: {
        const npu_sys_wait *w = npu_sys_payload(p, i, in->op, sizeof *w);
        if (!w)
            break;
        npu_sb_puts(out, "WAIT  ");
        put_deps(out, (int)(w->ndeps > NPU_SYS_MAX_DEPS ? NPU_SYS_MAX_DEPS : w->ndeps), w->deps);
        return 0;
    }
    default:
        break;
    }
    npu_sb_printf(out, "<bad systolic instruction: op %u, %" PRIu32 " payload bytes>",
                  (unsigned)in->op, in->len);
    return NPU_EFORMAT;
}
