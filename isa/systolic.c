/* systolic.c — names, checked payload access and the disassembler of the systolic command
 * format (isa/systolic.h). One line per instruction, stable text (tests compare it).
 */
#include "systolic.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "../sim/core/graph.h"

#define F(T, m, sg) {#m, (uint16_t)offsetof(T, m), (uint8_t)sizeof(((T *)0)->m), sg, 1}
#define FA(T, m, sg, n)                                                                        \
    {#m, (uint16_t)offsetof(T, m), (uint8_t)sizeof(((T *)0)->m[0]), sg, n}

static const npu_sys_field layer_fields[] = {
    F(npu_sys_layer, dataflow, 0), F(npu_sys_layer, ndeps, 0), F(npu_sys_layer, flags, 0),
    F(npu_sys_layer, rows, 0), F(npu_sys_layer, cols, 0), F(npu_sys_layer, consumers, 0),
    FA(npu_sys_layer, deps, 1, NPU_SYS_MAX_DEPS), F(npu_sys_layer, nsub, 1),
    F(npu_sys_layer, m, 1), F(npu_sys_layer, n, 1), F(npu_sys_layer, k, 1),
    F(npu_sys_layer, sr, 1), F(npu_sys_layer, sc, 1), F(npu_sys_layer, t, 1),
    F(npu_sys_layer, row_folds, 1), F(npu_sys_layer, col_folds, 1),
    F(npu_sys_layer, ifmap_bytes, 1), F(npu_sys_layer, filter_bytes, 1),
    F(npu_sys_layer, ofmap_bytes, 1), F(npu_sys_layer, ifmap_half, 1),
    F(npu_sys_layer, filter_half, 1), F(npu_sys_layer, ofmap_half, 1),
    F(npu_sys_layer, dram_ifmap_rd, 1), F(npu_sys_layer, dram_filter_rd, 1),
    F(npu_sys_layer, dram_ofmap_wr, 1), F(npu_sys_layer, dram_ofmap_rd, 1),
    F(npu_sys_layer, sram_ifmap_rd, 1), F(npu_sys_layer, sram_filter_rd, 1),
    F(npu_sys_layer, sram_ofmap_wr, 1), F(npu_sys_layer, nseg, 1), F(npu_sys_layer, tseg, 1),
    {NULL, 0, 0, 0, 0},
};

static const npu_sys_field fold_fields[] = {
    F(npu_sys_fold, count, 1), F(npu_sys_fold, row_fold, 1), F(npu_sys_fold, col_fold, 1),
    F(npu_sys_fold, rows_used, 0), F(npu_sys_fold, cols_used, 0), F(npu_sys_fold, t, 1),
    F(npu_sys_fold, ifmap_ld, 0), F(npu_sys_fold, filter_ld, 0), F(npu_sys_fold, flags, 0),
    F(npu_sys_fold, seg, 0), F(npu_sys_fold, ifmap_bytes, 1), F(npu_sys_fold, filter_bytes, 1),
    F(npu_sys_fold, ofmap_wr_bytes, 1), F(npu_sys_fold, ofmap_rd_bytes, 1),
    F(npu_sys_fold, onchip_bytes, 1),
    {NULL, 0, 0, 0, 0},
};

static const npu_sys_field vector_fields[] = {
    F(npu_sys_vector, ndeps, 0), F(npu_sys_vector, kind, 0), F(npu_sys_vector, opclass, 0),
    F(npu_sys_vector, consumers, 0), FA(npu_sys_vector, deps, 1, NPU_SYS_MAX_DEPS),
    F(npu_sys_vector, elems, 1), F(npu_sys_vector, rd_bytes, 1), F(npu_sys_vector, wr_bytes, 1),
    {NULL, 0, 0, 0, 0},
};

static const npu_sys_field host_fields[] = {
    F(npu_sys_host, ndeps, 0), F(npu_sys_host, pad8, 0), F(npu_sys_host, opclass, 0),
    F(npu_sys_host, op, 0), F(npu_sys_host, pad16, 0), F(npu_sys_host, consumers, 0),
    F(npu_sys_host, pad32, 0), FA(npu_sys_host, deps, 1, NPU_SYS_MAX_DEPS),
    F(npu_sys_host, macs, 1), F(npu_sys_host, elems, 1), F(npu_sys_host, rd_bytes, 1),
    F(npu_sys_host, wr_bytes, 1),
    {NULL, 0, 0, 0, 0},
};

static const npu_sys_field wait_fields[] = {
    F(npu_sys_wait, ndeps, 0), FA(npu_sys_wait, deps, 1, NPU_SYS_MAX_DEPS),
    {NULL, 0, 0, 0, 0},
};

#undef F
#undef FA

const npu_sys_field *npu_sys_fields(unsigned op, size_t *record_size)
{
    size_t sz = 0;
    const npu_sys_field *f = NULL;
    switch (op) {
    case NPU_SYS_OP_LAYER: f = layer_fields, sz = sizeof(npu_sys_layer); break;
    case NPU_SYS_OP_FOLD: f = fold_fields, sz = sizeof(npu_sys_fold); break;
    case NPU_SYS_OP_VECTOR: f = vector_fields, sz = sizeof(npu_sys_vector); break;
    case NPU_SYS_OP_HOST: f = host_fields, sz = sizeof(npu_sys_host); break;
    case NPU_SYS_OP_WAIT: f = wait_fields, sz = sizeof(npu_sys_wait); break;
    default: break;
    }
    if (record_size)
        *record_size = sz;
    return f;
}

/* Reads one little-endian-in-memory integer field (the host's own layout: payloads are
 * written and read by the same struct definitions). */
static int64_t field_value(const uint8_t *base, const npu_sys_field *f, int idx)
{
    const uint8_t *q = base + f->off + (size_t)idx * f->size;
    switch (f->size) {
    case 1: { uint8_t v; memcpy(&v, q, 1); return f->is_signed ? (int8_t)v : v; }
    case 2: { uint16_t v; memcpy(&v, q, 2); return f->is_signed ? (int16_t)v : v; }
    case 4: { uint32_t v; memcpy(&v, q, 4); return f->is_signed ? (int32_t)v : (int64_t)v; }
    default: { int64_t v; memcpy(&v, q, 8); return v; }
    }
}

int npu_sys_dump(const npu_program *p, size_t i, npu_strbuf *out)
{
    if (!p || i >= p->n)
        return NPU_EINVAL;
    size_t sz;
    const npu_sys_field *f = npu_sys_fields(p->ins[i].op, &sz);
    const void *base = f ? npu_sys_payload(p, i, p->ins[i].op, sz) : NULL;
    if (!base) {
        npu_sb_printf(out, "<bad systolic instruction: op %u, %" PRIu32 " payload bytes>",
                      (unsigned)p->ins[i].op, p->ins[i].len);
        return NPU_EFORMAT;
    }
    for (int k = 0; f[k].name; k++) {
        npu_sb_printf(out, "%s%s=", k ? " " : "", f[k].name);
        for (int e = 0; e < f[k].count; e++)
            npu_sb_printf(out, "%s%" PRId64, e ? "," : "", field_value(base, &f[k], e));
    }
    return 0;
}

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
    return npu_prog_get(p, i, op, size);
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

/* ---- load-time check ---------------------------------------------------------------------- */
static const char *rec_name(unsigned op)
{
    static const char *const n[] = {"?", "LAYER", "FOLD", "VECTOR", "HOST", "WAIT"};
    return op <= NPU_SYS_OP_WAIT ? n[op] : "?";
}

/* a * b, or -1 when it exceeds lim (both >= 0) */
static int64_t mul_lim(int64_t a, int64_t b, int64_t lim)
{
    return b != 0 && a > lim / b ? -1 : a * b;
}

int npu_sys_check(const npu_program *p, const char *path, npu_err *err)
{
    const int64_t Q = NPU_PROG_MAX_QTY;
    const npu_sys_layer *L = NULL; /* the LAYER record the next FOLDs belong to */
    int64_t grid = 0, used = 0, total = 0;
    int rc = 0;
#define R NPU_PROG_RANGE
    for (size_t i = 0; i < p->n; i++) {
        unsigned op = p->ins[i].op;
        const char *rec = rec_name(op);
        size_t sz;
        const npu_sys_field *f = npu_sys_fields(op, &sz);
        const uint8_t *base = f ? npu_sys_payload(p, i, op, sz) : NULL;
        if (!base)
            return npu_prog_not_a_record(p, i, path, "a systolic", err);
        /* every signed quantity is >= 0 and bounded; dependencies name earlier layers */
        for (int k = 0; f[k].name; k++)
            for (int e = 0; e < f[k].count; e++) {
                int64_t v = field_value(base, &f[k], e);
                if (strcmp(f[k].name, "deps") == 0) {
                    R("deps", v, -1, p->nlayers - 1);
                } else if (f[k].is_signed) {
                    R(f[k].name, v, 0, Q);
                }
            }
        if (op != NPU_SYS_OP_FOLD)
            L = NULL;
        switch (op) {
        case NPU_SYS_OP_LAYER: {
            L = (const npu_sys_layer *)base;
            R("dataflow", L->dataflow, 0, NPU_SYS_DF_IS);
            R("ndeps", L->ndeps, 0, NPU_SYS_MAX_DEPS);
            R("rows", L->rows, 1, 1 << 16);
            R("cols", L->cols, 1, 1 << 16);
            R("nsub", L->nsub, 1, NPU_SYS_MAX_FOLDS);
            R("row_folds", L->row_folds, 1, NPU_SYS_MAX_FOLDS);
            R("col_folds", L->col_folds, 1, NPU_SYS_MAX_FOLDS);
            R("nseg", L->nseg, 1, NPU_SYS_MAX_FOLDS);
            R("t", L->t, 1, Q);
            grid = mul_lim(mul_lim(L->row_folds, L->col_folds, NPU_SYS_MAX_FOLDS), L->nseg,
                           NPU_SYS_MAX_FOLDS);
            R("row_folds x col_folds x nseg", grid < 0 ? NPU_SYS_MAX_FOLDS + 1 : grid, 1,
              NPU_SYS_MAX_FOLDS);
            used = 0;
            break;
        }
        case NPU_SYS_OP_FOLD: {
            const npu_sys_fold *F = (const npu_sys_fold *)base;
            if (!L || p->ins[i].layer != p->ins[i - 1].layer)
                return npu_err_set(err, NPU_EFORMAT, "%s: instruction %zu: FOLD outside the "
                                   "folds of a LAYER record", path, i);
            R("count", F->count, 1, grid - used);
            R("row_fold", F->row_fold, 0, L->row_folds - 1);
            R("col_fold", F->col_fold, 0, L->col_folds - 1);
            R("seg", F->seg, 0, L->nseg - 1);
            int64_t lin0 = (F->col_fold * L->nseg + F->seg) * L->row_folds + F->row_fold;
            R("first fold + count", lin0 + F->count, 1, grid);
            R("rows_used", F->rows_used, 0, L->rows);
            R("cols_used", F->cols_used, 0, L->cols);
            R("ifmap_ld", F->ifmap_ld, 0, NPU_SYS_LD_STREAM);
            R("filter_ld", F->filter_ld, 0, NPU_SYS_LD_STREAM);
            R("t", F->t, 1, Q);
            /* a group of folds moves count x bytes in one job */
            int64_t per = Q / F->count;
            R("ifmap_bytes", F->ifmap_bytes, 0, per);
            R("filter_bytes", F->filter_bytes, 0, per);
            R("ofmap_wr_bytes", F->ofmap_wr_bytes, 0, per);
            R("ofmap_rd_bytes", F->ofmap_rd_bytes, 0, per);
            R("onchip_bytes", F->onchip_bytes, 0, per);
            used += F->count;
            int64_t folds = mul_lim(F->count, L->nsub, NPU_SYS_MAX_FOLDS);
            total = folds < 0 ? NPU_SYS_MAX_FOLDS + 1 : total + folds;
            R("folds of the program (count x nsub, summed)", total, 0, NPU_SYS_MAX_FOLDS);
            break;
        }
        case NPU_SYS_OP_VECTOR: {
            const npu_sys_vector *v = (const npu_sys_vector *)base;
            R("ndeps", v->ndeps, 0, NPU_SYS_MAX_DEPS);
            R("opclass", v->opclass, 0, NPU_OPC_COUNT - 1);
            break;
        }
        case NPU_SYS_OP_HOST: {
            const npu_sys_host *h = (const npu_sys_host *)base;
            R("ndeps", h->ndeps, 0, NPU_SYS_MAX_DEPS);
            R("opclass", h->opclass, 0, NPU_OPC_COUNT - 1);
            R("op", h->op, 0, NPU_OP_COUNT - 1);
            break;
        }
        case NPU_SYS_OP_WAIT: {
            const npu_sys_wait *w = (const npu_sys_wait *)base;
            R("ndeps", w->ndeps, 0, NPU_SYS_MAX_DEPS);
            break;
        }
        default:
            break;
        }
    }
#undef R
    return 0;
}
