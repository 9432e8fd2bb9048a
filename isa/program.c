/* program.c — the generic program container: layers, instructions, payloads; save/load.
 *
 * On disk (.npuc), all integers little-endian:
 *   outer header, 24 bytes, not compressed:
 *     "NPUC"  u32 version (2)  u64 body bytes (uncompressed)  u64 zlib bytes
 *   then `zlib bytes` of a zlib stream (compress2, level 9) that inflates to the body:
 *     str model, str arch, str graph, str params_text
 *     i64 batch, i64 items, str unit, u32 prefill      (version 2; version 1 files have none
 *                                                        and read as batch 1, 1 inference)
 *     u32 nlayers, then per layer: str name, str op, str engine, i32 dtype,
 *                                  i64 macs, i64 in_bytes, i64 out_bytes, i64 weight_bytes
 *     u64 ninstr, then per instruction: u16 op, u16 unit, i32 layer, u32 len, u32 off
 *     u64 dlen, then dlen payload bytes
 *   str = u32 length n, then n bytes, then a NUL (n + 1 bytes; no NUL inside).
 *
 * The magic stays outside the compressed stream so that a wrong file is recognised before any
 * inflating. Bit flips inside the stream are caught by zlib's Adler-32; everything read from
 * the body is still range-checked (counts against the bytes left, payload ranges against dlen,
 * layer tags against nlayers, offsets 8-byte aligned, the body consumed exactly), so a crafted
 * file gets an NPU_EFORMAT error naming the file, never a crash.
 *
 * Ownership: model/arch/graph, layer strings and params_text live in the program's arena
 * (params_text: set it with npu_arena_strdup(&p->arena, ...)).
 */
#include "program.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "../sim/core/graph.h"

#define PROG_MAGIC "NPUC"
#define PROG_VERSION 2u
#define PROG_MAX_BODY ((uint64_t)1 << 31) /* 2 GiB: far beyond any real program */

npu_program *npu_prog_new(const char *model, const char *arch, const char *graph)
{
    npu_program *p = npu_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    npu_arena_init(&p->arena);
    p->model = npu_arena_strdup(&p->arena, model ? model : "");
    p->arch = npu_arena_strdup(&p->arena, arch ? arch : "");
    p->graph = npu_arena_strdup(&p->arena, graph ? graph : "");
    p->params_text = npu_arena_strdup(&p->arena, "");
    p->batch = p->items = 1;
    p->unit = npu_arena_strdup(&p->arena, "inference");
    if (!p->model || !p->arch || !p->graph || !p->params_text || !p->unit) {
        npu_prog_free(p);
        return NULL;
    }
    return p;
}

void npu_prog_free(npu_program *p)
{
    if (!p)
        return;
    free(p->ins);
    free(p->data);
    free(p->layers);
    npu_arena_free(&p->arena);
    free(p);
}

int npu_prog_add_layer(npu_program *p, const npu_prog_layer *l)
{
    size_t cap = (size_t)p->clayers;
    if (npu_grow((void **)&p->layers, &cap, (size_t)p->nlayers + 1, sizeof *p->layers))
        return -1;
    p->clayers = (int)cap;
    npu_prog_layer *d = &p->layers[p->nlayers];
    *d = *l;
    d->name = npu_arena_strdup(&p->arena, l->name ? l->name : "");
    d->op = npu_arena_strdup(&p->arena, l->op ? l->op : "");
    d->engine = npu_arena_strdup(&p->arena, l->engine ? l->engine : "");
    if (!d->name || !d->op || !d->engine)
        return -1;
    return p->nlayers++;
}

int64_t npu_prog_tensors_bytes(const npu_graph *g, const int *ts, int n, int kind)
{
    int64_t b = 0;
    for (int k = 0; k < n; k++)
        if (ts[k] >= 0 && ts[k] < g->nt && (kind < 0 || (int)g->t[ts[k]].kind == kind))
            b += npu_tensor_bytes(&g->t[ts[k]]);
    return b;
}

int64_t npu_prog_layer_read_bytes(const npu_graph *g, const npu_layer *l)
{
    if (l->op == NPU_OP_GATHER && l->nin >= 2 && l->nout >= 1 && l->in[0] >= 0 &&
        l->in[0] < g->nt && l->out[0] >= 0 && l->out[0] < g->nt) {
        const npu_tensor *d = &g->t[l->in[0]];
        int64_t de = npu_tensor_elems(d), db = npu_tensor_bytes(d);
        int64_t oe = npu_tensor_elems(&g->t[l->out[0]]);
        int64_t rows = de > 0 && oe > 0 ? (int64_t)((double)db * ((double)oe / (double)de)) : 0;
        return (rows < db ? rows : db) + npu_prog_tensors_bytes(g, &l->in[1], 1, -1);
    }
    return npu_prog_tensors_bytes(g, l->in, l->nin, -1);
}

npu_prog_layer npu_prog_graph_layer(const npu_graph *g, int li, const char *engine)
{
    const npu_layer *l = &g->l[li];
    bool host = (l->flags & NPU_LF_HOST) != 0;
    npu_prog_layer pr = {
        .name = l->name,
        .op = l->src_op && host ? l->src_op : npu_op_name(l->op),
        .dtype = (int)l->dtype,
        .macs = l->macs,
        .in_bytes = npu_prog_tensors_bytes(g, l->in, l->nin, NPU_T_ACT) +
                    npu_prog_tensors_bytes(g, l->in, l->nin, NPU_T_INPUT),
        .out_bytes = npu_prog_tensors_bytes(g, l->out, l->nout, -1),
        .weight_bytes = npu_dtype_bytes(l->dtype, l->params) +
                        npu_prog_tensors_bytes(g, l->in, l->nin, NPU_T_CONST),
        .engine = engine,
    };
    return pr;
}

const void *npu_prog_get(const npu_program *p, size_t i, unsigned op, size_t size)
{
    if (!p || i >= p->n)
        return NULL;
    const npu_instr *in = &p->ins[i];
    if ((op != NPU_PROG_ANY_OP && in->op != op) || in->len != size)
        return NULL;
    if ((size_t)in->off > p->dlen || size > p->dlen - in->off)
        return NULL;
    return npu_prog_payload(p, i);
}

int npu_prog_check_range(const char *path, size_t i, const char *rec, const char *field,
                         int64_t v, int64_t lo, int64_t hi, npu_err *err)
{
    if (v >= lo && v <= hi)
        return 0;
    return npu_err_set(err, NPU_EFORMAT,
                       "%s: instruction %zu (%s): %s = %lld is outside [%lld, %lld]", path, i, rec,
                       field, (long long)v, (long long)lo, (long long)hi);
}

int npu_prog_check_ranges(const char *path, size_t i, const char *rec, const char *const *names,
                          const int64_t *v, size_t n, int64_t lo, int64_t hi, npu_err *err)
{
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++)
        rc = npu_prog_check_range(path, i, rec, names[k], v[k], lo, hi, err);
    return rc;
}

int npu_prog_not_a_record(const npu_program *p, size_t i, const char *path, const char *format,
                          npu_err *err)
{
    return npu_err_set(err, NPU_EFORMAT, "%s: instruction %zu: opcode %u with %u payload bytes "
                       "is not %s record", path, i, (unsigned)p->ins[i].op,
                       (unsigned)p->ins[i].len, format);
}

int npu_prog_host_check(const npu_prog_host *h, const char *path, size_t i, const char *rec,
                        npu_err *err)
{
    int rc;
    NPU_PROG_RANGE("opclass", h->opclass, 0, NPU_OPC_COUNT - 1);
    NPU_PROG_RANGE("op", h->op, 0, NPU_OP_COUNT - 1);
    NPU_PROG_RANGE("what", h->what, NPU_PROG_HOST_OP, NPU_PROG_HOST_OUTPUT);
    const int64_t qs[] = {h->macs, h->elems, h->rd_bytes, h->wr_bytes};
    static const char *const qn[] = {"macs", "elems", "rd_bytes", "wr_bytes"};
    NPU_PROG_RANGES(qn, qs, 0, NPU_PROG_MAX_QTY);
    return 0;
}

void npu_prog_host_text(npu_strbuf *out, const npu_prog_host *h)
{
    const char *what = h->what == NPU_PROG_HOST_INPUT    ? "input-convert"
                       : h->what == NPU_PROG_HOST_OUTPUT ? "output-convert"
                       : h->op < NPU_OP_COUNT            ? npu_op_name((npu_op)h->op)
                                                         : "?";
    npu_sb_printf(out, "%s macs=%" PRId64 " elems=%" PRId64 " rd=%" PRId64 " wr=%" PRId64, what,
                  h->macs, h->elems, h->rd_bytes, h->wr_bytes);
}

/* Grows *pv to hold `need` elements by doubling, like npu_grow but without zeroing the new
 * part: every instruction below n and every byte below dlen is written by npu_prog_emit
 * (alignment padding included), and nothing reads beyond them. Zeroing each doubling of a
 * 2048-token LLM program (hundreds of MiB) was a third of the point's time: memset plus the
 * page faults of pages the program never reached. */
static int grow_raw(void **pv, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return -1;
        nc *= 2;
    }
    void *q = npu_realloc(*pv, nc * elem);
    if (!q)
        return -1;
    *pv = q;
    *cap = nc;
    return 0;
}

long npu_prog_emit_grow(npu_program *p, uint16_t op, uint16_t unit, int32_t layer,
                        const void *payload, uint32_t len)
{
    size_t off = (p->dlen + 7) & ~(size_t)7;
    if (off + len > UINT32_MAX)
        return -1; /* offsets are 32-bit in the container */
    if (grow_raw((void **)&p->ins, &p->cap, p->n + 1, sizeof *p->ins))
        return -1;
    if (off + len > 0 && grow_raw((void **)&p->data, &p->dcap, off + len, 1))
        return -1;
    if (off > p->dlen)
        memset(p->data + p->dlen, 0, off - p->dlen);
    if (len)
        memcpy(p->data + off, payload, len);
    p->dlen = off + len;
    p->ins[p->n] =
        (npu_instr){.op = op, .unit = unit, .layer = layer, .len = len, .off = (uint32_t)off};
    return (long)p->n++;
}

/* ---- serialisation ------------------------------------------------------------------------ */
/* Little-endian, `bytes` low bytes of v: the mirror of get_le below. */
static void put_le(npu_strbuf *b, uint64_t v, int bytes)
{
    char c[8];
    for (int i = 0; i < bytes; i++)
        c[i] = (char)((v >> (8 * i)) & 0xff);
    npu_sb_putn(b, c, (size_t)bytes);
}
static void put_str(npu_strbuf *b, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    put_le(b, (uint32_t)n, 4);
    npu_sb_putn(b, s, n);
    npu_sb_putc(b, 0);
}

int npu_prog_save(const npu_program *p, const char *path, int force, npu_err *err)
{
    if (p->windowed)
        return npu_err_set(err, NPU_EINVAL,
                           "%s: program %s was lowered in windows for one run (npu_run), not "
                           "whole: compile it to save it", path, p->graph);
    npu_strbuf b;
    npu_sb_init(&b);
    put_str(&b, p->model);
    put_str(&b, p->arch);
    put_str(&b, p->graph);
    put_str(&b, p->params_text);
    put_le(&b, (uint64_t)p->batch, 8);
    put_le(&b, (uint64_t)p->items, 8);
    put_str(&b, p->unit);
    put_le(&b, (uint32_t)(p->prefill != 0), 4);
    put_le(&b, (uint32_t)p->nlayers, 4);
    for (int i = 0; i < p->nlayers; i++) {
        const npu_prog_layer *l = &p->layers[i];
        put_str(&b, l->name);
        put_str(&b, l->op);
        put_str(&b, l->engine);
        put_le(&b, (uint32_t)l->dtype, 4);
        put_le(&b, (uint64_t)l->macs, 8);
        put_le(&b, (uint64_t)l->in_bytes, 8);
        put_le(&b, (uint64_t)l->out_bytes, 8);
        put_le(&b, (uint64_t)l->weight_bytes, 8);
    }
    put_le(&b, (uint64_t)p->n, 8);
    for (size_t i = 0; i < p->n; i++) {
        const npu_instr *in = &p->ins[i];
        put_le(&b, in->op, 2);
        put_le(&b, in->unit, 2);
        put_le(&b, (uint32_t)in->layer, 4);
        put_le(&b, in->len, 4);
        put_le(&b, in->off, 4);
    }
    put_le(&b, (uint64_t)p->dlen, 8);
    if (p->dlen)
        npu_sb_putn(&b, (const char *)p->data, p->dlen);
    if (b.oom) {
        npu_sb_free(&b);
        return npu_err_set(err, NPU_ENOMEM, "%s: out of memory", path);
    }
    uLongf zlen = compressBound((uLong)b.len);
    unsigned char *out = npu_malloc(24 + (size_t)zlen);
    if (!out) {
        npu_sb_free(&b);
        return npu_err_set(err, NPU_ENOMEM, "%s: out of memory", path);
    }
    int zr = compress2(out + 24, &zlen, (const Bytef *)b.s, (uLong)b.len, 9);
    if (zr != Z_OK) {
        npu_sb_free(&b);
        free(out);
        return npu_err_set(err, NPU_ENOMEM, "%s: zlib compress failed (%d)", path, zr);
    }
    npu_strbuf h;
    npu_sb_init(&h);
    npu_sb_putn(&h, PROG_MAGIC, 4);
    put_le(&h, PROG_VERSION, 4);
    put_le(&h, (uint64_t)b.len, 8);
    put_le(&h, (uint64_t)zlen, 8);
    int rc;
    if (h.oom) {
        rc = npu_err_set(err, NPU_ENOMEM, "%s: out of memory", path);
    } else {
        memcpy(out, h.s, 24);
        rc = npu_write_file(path, out, 24 + (size_t)zlen, force, err);
    }
    npu_sb_free(&h);
    npu_sb_free(&b);
    free(out);
    return rc;
}

/* A bounds-checked reader over the inflated body. */
typedef struct rd {
    const unsigned char *p;
    size_t n, at;
    int bad;
    const char *what; /* first thing that did not fit */
} rd;

static int need(rd *r, size_t k, const char *what)
{
    if (r->bad)
        return 0;
    if (k > r->n - r->at) {
        r->bad = 1;
        r->what = what;
        return 0;
    }
    return 1;
}
static uint64_t get_le(rd *r, int bytes, const char *what)
{
    if (!need(r, (size_t)bytes, what))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[r->at + (size_t)i] << (8 * i);
    r->at += (size_t)bytes;
    return v;
}
/* Returns an arena copy of a length-prefixed, NUL-terminated string, or NULL (r->bad set). */
static const char *get_str(rd *r, npu_arena *a, const char *what)
{
    uint64_t n = get_le(r, 4, what);
    if (r->bad || !need(r, (size_t)n + 1, what))
        return NULL;
    const unsigned char *s = r->p + r->at;
    if (s[n] != 0 || memchr(s, 0, (size_t)n)) {
        r->bad = 1;
        r->what = what;
        return NULL;
    }
    r->at += (size_t)n + 1;
    char *c = npu_arena_alloc(a, (size_t)n + 1);
    if (!c) {
        r->bad = 2;
        r->what = what;
        return NULL;
    }
    memcpy(c, s, (size_t)n + 1);
    return c;
}

static npu_program *load_fail(npu_program *p, unsigned char *body)
{
    npu_prog_free(p);
    free(body);
    return NULL;
}

npu_program *npu_prog_load(const char *path, npu_err *err)
{
    char *file = NULL;
    size_t flen = 0;
    if (npu_read_file(path, &file, &flen, err))
        return NULL;
    npu_program *p = npu_prog_load_mem(path, file, flen, err);
    free(file);
    return p;
}

npu_program *npu_prog_load_mem(const char *path, const void *data, size_t flen, npu_err *err)
{
    const char *file = data;
    if (flen < 4 || memcmp(file, PROG_MAGIC, 4) != 0) {
        npu_err_set(err, NPU_EFORMAT, "%s: not an npusim program (no NPUC magic)", path);
        return load_fail(NULL, NULL);
    }
    if (flen < 24) {
        npu_err_set(err, NPU_EFORMAT, "%s: truncated header (%zu bytes)", path, flen);
        return load_fail(NULL, NULL);
    }
    rd h = {(const unsigned char *)file, 24, 4, 0, NULL};
    uint32_t ver = (uint32_t)get_le(&h, 4, "version");
    uint64_t blen = get_le(&h, 8, "size"), zlen = get_le(&h, 8, "size");
    if (ver != PROG_VERSION && ver != 1) {
        npu_err_set(err, NPU_EFORMAT, "%s: program format version %u, this npusim reads %u", path,
                    ver, PROG_VERSION);
        return load_fail(NULL, NULL);
    }
    if (zlen != flen - 24) {
        npu_err_set(err, NPU_EFORMAT,
                    "%s: truncated or corrupted: header says %llu compressed bytes, file has %zu",
                    path, (unsigned long long)zlen, flen - 24);
        return load_fail(NULL, NULL);
    }
    /* zlib cannot expand by more than ~1032x; a claimed size beyond that is a lie */
    if (blen > PROG_MAX_BODY || blen > zlen * 1040 + 64 || blen < 4 * 5) {
        npu_err_set(err, NPU_EFORMAT, "%s: corrupted header (body size %llu)", path,
                    (unsigned long long)blen);
        return load_fail(NULL, NULL);
    }
    unsigned char *body = npu_malloc((size_t)blen);
    if (!body) {
        npu_err_set(err, NPU_ENOMEM, "%s: out of memory", path);
        return load_fail(NULL, NULL);
    }
    uLongf got = (uLongf)blen;
    int zr = uncompress(body, &got, (const Bytef *)file + 24, (uLong)zlen);
    if (zr != Z_OK || got != blen) {
        npu_err_set(err, NPU_EFORMAT, "%s: corrupted program data (%s)", path,
                    zr == Z_OK          ? "size mismatch"
                    : zr == Z_BUF_ERROR ? "truncated or size mismatch"
                    : zr == Z_MEM_ERROR ? "out of memory"
                                        : "zlib stream damaged");
        return load_fail(NULL, body);
    }
    npu_program *p = npu_calloc(1, sizeof *p);
    if (!p) {
        npu_err_set(err, NPU_ENOMEM, "%s: out of memory", path);
        return load_fail(NULL, body);
    }
    npu_arena_init(&p->arena);
    rd r = {body, (size_t)blen, 0, 0, NULL};
    p->model = get_str(&r, &p->arena, "model name");
    p->arch = get_str(&r, &p->arena, "arch name");
    p->graph = get_str(&r, &p->arena, "graph name");
    p->params_text = (char *)get_str(&r, &p->arena, "parameters");
    p->batch = p->items = 1;
    p->unit = "inference";
    if (ver >= 2) {
        p->batch = (int64_t)get_le(&r, 8, "batch");
        p->items = (int64_t)get_le(&r, 8, "items");
        p->unit = get_str(&r, &p->arena, "unit");
        p->prefill = get_le(&r, 4, "prefill") != 0;
        if (!r.bad && (p->batch < 1 || p->items < 1)) {
            r.bad = 1;
            r.what = "batch or items";
        }
    }
    uint64_t nl = get_le(&r, 4, "layer count");
    /* every layer takes at least 3 * 5 + 4 + 32 bytes */
    if (!r.bad && nl > (r.n - r.at) / 51) {
        r.bad = 1;
        r.what = "layer count";
    }
    if (!r.bad && nl) {
        p->layers = npu_calloc((size_t)nl, sizeof *p->layers);
        if (!p->layers) {
            r.bad = 2;
            r.what = "layers";
        }
        p->clayers = (int)nl;
    }
    int64_t all_macs = 0;
    for (uint64_t i = 0; i < nl && !r.bad; i++) {
        npu_prog_layer *l = &p->layers[i];
        l->name = get_str(&r, &p->arena, "layer name");
        l->op = get_str(&r, &p->arena, "layer op");
        l->engine = get_str(&r, &p->arena, "layer engine");
        uint32_t dt = (uint32_t)get_le(&r, 4, "layer dtype");
        l->macs = (int64_t)get_le(&r, 8, "layer");
        l->in_bytes = (int64_t)get_le(&r, 8, "layer");
        l->out_bytes = (int64_t)get_le(&r, 8, "layer");
        l->weight_bytes = (int64_t)get_le(&r, 8, "layer");
        /* each figure in [0, 2^50] (a petabyte, 10^15 MACs: far above any real layer) and
         * the layers' MACs in all below 2^60, so that the sums of a result cannot overflow */
        const int64_t qmax = (int64_t)1 << 50;
        if (!r.bad && (dt >= NPU_DT_COUNT || l->macs < 0 || l->in_bytes < 0 || l->out_bytes < 0 ||
                       l->weight_bytes < 0 || l->macs > qmax || l->in_bytes > qmax ||
                       l->out_bytes > qmax || l->weight_bytes > qmax ||
                       (all_macs += l->macs) > ((int64_t)1 << 60))) {
            r.bad = 1;
            r.what = "layer record";
        }
        l->dtype = (int)dt;
        if (!r.bad)
            p->nlayers++;
    }
    uint64_t ni = get_le(&r, 8, "instruction count");
    if (!r.bad && ni > (r.n - r.at) / 16) {
        r.bad = 1;
        r.what = "instruction count";
    }
    if (!r.bad && ni) {
        p->ins = npu_calloc((size_t)ni, sizeof *p->ins);
        if (!p->ins) {
            r.bad = 2;
            r.what = "instructions";
        }
        p->cap = (size_t)ni;
    }
    for (uint64_t i = 0; i < ni && !r.bad; i++) {
        npu_instr *in = &p->ins[i];
        in->op = (uint16_t)get_le(&r, 2, "instruction");
        in->unit = (uint16_t)get_le(&r, 2, "instruction");
        in->layer = (int32_t)(uint32_t)get_le(&r, 4, "instruction");
        in->len = (uint32_t)get_le(&r, 4, "instruction");
        in->off = (uint32_t)get_le(&r, 4, "instruction");
        p->n = (size_t)i + 1;
    }
    uint64_t dl = get_le(&r, 8, "payload size");
    if (!r.bad && dl != r.n - r.at) {
        r.bad = 1;
        r.what = "payload size";
    }
    if (!r.bad && dl) {
        p->data = npu_malloc((size_t)dl);
        if (!p->data) {
            r.bad = 2;
            r.what = "payload";
        } else {
            memcpy(p->data, r.p + r.at, (size_t)dl);
            p->dlen = p->dcap = (size_t)dl;
            r.at += (size_t)dl;
        }
    }
    for (size_t i = 0; i < p->n && !r.bad; i++) {
        const npu_instr *in = &p->ins[i];
        if (in->layer < -1 || in->layer >= p->nlayers || in->off % 8 != 0 ||
            (uint64_t)in->off + in->len > p->dlen) {
            npu_err_set(err, NPU_EFORMAT,
                        "%s: instruction %zu is corrupted (layer %d of %d, payload %u+%u of "
                        "%zu bytes)",
                        path, i, (int)in->layer, p->nlayers, in->off, in->len, p->dlen);
            return load_fail(p, body);
        }
    }
    if (r.bad) {
        if (r.bad == 2)
            npu_err_set(err, NPU_ENOMEM, "%s: out of memory reading %s", path, r.what);
        else
            npu_err_set(err, NPU_EFORMAT, "%s: corrupted program (bad %s at byte %zu of %zu)", path,
                        r.what ? r.what : "data", r.at, r.n);
        return load_fail(p, body);
    }
    free(body);
    return p;
}
