/* energy.c — on-chip buffers (npu_engine_buffer) and the energy model (npu_energy_price): the
 * engine's action counts priced with the energy.* tables (energy.h; docs/energy.md).
 *
 * What a layer's dynamic energy is made of:
 *   e_mac   its MACs (when it ran on the NPU) x pJ/MAC of its dtype;
 *   e_buf   bytes through each declared buffer x pJ/B at that buffer's array size, the rest of
 *           its on-chip traffic at energy.buffer_kb, and its bytes on the SRAM port and other
 *           on-chip ports at sram.kb (else energy.buffer_kb);
 *   e_dram  its DRAM port bytes (read + written, bursts included) x pJ/B of energy.dram;
 *   e_ctrl  host register writes and interrupts;
 *   e_host  host CPU busy time x (busy W - idle W per core).
 * Static power (NPU: per MAC of the array and per mm² of its area; idle host; rest of the
 * chip) is charged per layer by npu_result_finish over share_cycles.
 *
 * The process-node rule: the tables are at 16 nm (the node of the NVDLA Primer's power and
 * area columns). Dynamic energy and static power scale by (node/16)^1 — an assumption: switched
 * capacitance shrinks about linearly with the feature size, and supply voltage has changed
 * little since 28 nm; area scales by (node/16)^0.91 — derived from the Primer's two area
 * columns (28 nm / 16 nm = 1/0.60 on every row, ln 0.6 / ln(16/28) = 0.91).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "energy.h"
#include "state.h"

/* ---- buffers ------------------------------------------------------------------------------- */

int npu_engine_buffer(npu_engine *e, const char *name, double kb, int count)
{
    if (!name || !(kb > 0 && kb < 1e9) || count < 1)
        return -1;
    if (npu_eng_grow(&e->buf, &e->cbuf, e->nbuf + 1, sizeof(obuf)) != 0)
        return -1;
    obuf *B = &e->buf[e->nbuf];
    B->name = npu_strdup(name);
    B->lbytes = npu_calloc((size_t)e->nl + 1, sizeof(int64_t));
    if (!B->name || !B->lbytes) {
        free(B->name);
        free(B->lbytes);
        return -1;
    }
    B->kb = kb;
    B->count = count;
    return e->nbuf++;
}

void npu_engine_unit_buffer(npu_engine *e, int u, int b)
{
    if (u >= 0 && u < e->nu && b >= -1 && b < e->nbuf)
        e->u[u].buf = b;
}

void npu_eng_buffers_free(npu_engine *e)
{
    for (int i = 0; i < e->nbuf; i++) {
        free(e->buf[i].name);
        free(e->buf[i].lbytes);
    }
    free(e->buf);
    e->buf = NULL;
    e->nbuf = e->cbuf = 0;
}

void npu_engine_count_regs(npu_engine *e, int layer, int64_t writes)
{
    if (writes > 0 && layer >= -1 && layer < e->nl)
        e->ls[npu_eng_layer_slot(e, layer)].regw += writes;
}

/* ---- energy.buffers ------------------------------------------------------------------------- */

/* One entry "NAME=KIB*COUNT*...@UNIT|UNIT" of energy.buffers: the first factor is the size of
 * one array (the access energy's size), the others, each after '*' or '/', give the number of
 * arrays (area): "ub=4*ub_kb/4*cores" is ub_kb/4 arrays of 4 KiB per core. */
typedef struct bspec {
    char name[32];
    double kb, count;
    const char *units; /* after '@', ulen chars; NULL: area only */
    size_t ulen;
} bspec;

static const char *trim(const char *s, size_t *n)
{
    while (*n > 0 && (*s == ' ' || *s == '\t'))
        s++, (*n)--;
    while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
        (*n)--;
    return s;
}

/* A factor: a number, or the value of a numeric parameter of p. */
static int factor(const char *s, size_t n, const npu_params *p, double *v, npu_err *err)
{
    char tok[64];
    s = trim(s, &n);
    if (n == 0 || n >= sizeof tok)
        return npu_err_set(err, NPU_EINVAL, "energy.buffers: empty or too long factor '%.*s'",
                           (int)n, s);
    memcpy(tok, s, n);
    tok[n] = 0;
    char *end;
    *v = strtod(tok, &end);
    if (*end) {
        int i = p ? npu_params_find(p, tok) : -1;
        if (i < 0 || p->def[i]->type == NPU_P_STR || p->def[i]->type == NPU_P_ENUM)
            return npu_err_set(err, NPU_EINVAL, "energy.buffers: '%s' is neither a number nor "
                               "a numeric parameter", tok);
        *v = p->v[i].num;
    }
    return 0;
}

static int spec_item(const char *s, size_t n, const npu_params *p, bspec *b, npu_err *err)
{
    s = trim(s, &n);
    const char *eq = memchr(s, '=', n), *at = memchr(s, '@', n);
    size_t nn = eq ? (size_t)(eq - s) : 0;
    const char *nm = trim(s, &nn);
    if (!eq || (at && at < eq) || nn == 0 || nn >= sizeof b->name)
        return npu_err_set(err, NPU_EINVAL, "energy.buffers: '%.*s' is not "
                           "NAME=KIB*COUNT...@UNIT|UNIT", (int)n, s);
    memcpy(b->name, nm, nn);
    b->name[nn] = 0;
    const char *x = eq + 1, *xe = at ? at : s + n;
    b->kb = 0;
    b->count = 1;
    char op = 0; /* the operator before this factor: none (the size), '*' or '/' */
    while (x <= xe) {
        const char *fe = x;
        while (fe < xe && *fe != '*' && *fe != '/')
            fe++;
        double v = 0;
        if (factor(x, (size_t)(fe - x), p, &v, err))
            return err->code;
        if (!op)
            b->kb = v;
        else
            b->count = op == '*' ? b->count * v : v > 0 ? b->count / v : 0;
        op = fe < xe ? *fe : 0;
        x = fe + 1;
    }
    if (!(b->kb > 0 && b->kb < 1e9) || !(b->count >= 1 && b->count < 1e9) ||
        b->count != floor(b->count))
        return npu_err_set(err, NPU_EINVAL, "energy.buffers: '%s': %g KiB x %g arrays (size "
                           "> 0, a whole count >= 1)", b->name, b->kb, b->count);
    b->units = at ? at + 1 : NULL;
    b->ulen = at ? (size_t)(s + n - at - 1) : 0;
    return 0;
}

/* Calls fn on every entry of energy.buffers; stops at the first error. */
static int spec_each(const npu_params *p, npu_err *err,
                     int (*fn)(const bspec *b, void *ud, npu_err *err), void *ud)
{
    const char *s = npu_engine_pstr(p, "energy.buffers");
    while (s && *s) {
        size_t n = strcspn(s, ",");
        size_t t = n;
        trim(s, &t);
        bspec b;
        if (t > 0 && (spec_item(s, n, p, &b, err) || fn(&b, ud, err)))
            return err->code;
        s += n + (s[n] == ',');
    }
    return 0;
}

/* Does name match the n characters of pat ('*' = any run of characters)? Greedy with one
 * backtrack point (the last '*'): linear in practice, never exponential. A unit's name ends at
 * its first '@': what follows is the chip or workload it was made for (engine scopes), which a
 * preset's pattern does not name, so every chip's and workload's units are bound alike. */
static bool glob(const char *pat, size_t n, const char *name)
{
    size_t i = 0, star = (size_t)-1;
    const char *mark = NULL;
    while (*name && *name != '@') {
        if (i < n && pat[i] == '*') {
            star = i++;
            mark = name;
        } else if (i < n && pat[i] == *name) {
            i++;
            name++;
        } else if (mark) {
            i = star + 1;
            name = ++mark;
        } else {
            return false;
        }
    }
    while (i < n && pat[i] == '*')
        i++;
    return i == n;
}

static int bind_one(const bspec *b, void *ud, npu_err *err)
{
    npu_engine *e = ud;
    if (!b->units)
        return 0; /* area only */
    int id = -1;
    for (int i = 0; i < e->nbuf && id < 0; i++)
        if (strcmp(e->buf[i].name, b->name) == 0)
            id = i;
    if (id < 0 && (id = npu_engine_buffer(e, b->name, b->kb, (int)b->count)) < 0)
        return npu_err_set(err, NPU_ENOMEM, "energy.buffers: out of memory");
    const char *u = b->units, *ue = b->units + b->ulen;
    while (u < ue) {
        const char *bar = memchr(u, '|', (size_t)(ue - u));
        size_t n = (size_t)((bar ? bar : ue) - u);
        const char *pat = trim(u, &n);
        int hits = 0;
        for (int k = 0; k < e->nu; k++)
            if (e->u[k].name && glob(pat, n, e->u[k].name)) {
                hits++;
                if (e->u[k].buf < 0)
                    e->u[k].buf = id;
            }
        if (hits == 0)
            return npu_err_set(err, NPU_EINVAL, "energy.buffers: '%s': no unit matches '%.*s'",
                               b->name, (int)n, pat);
        u = bar ? bar + 1 : ue;
    }
    return 0;
}

int npu_energy_bind(npu_engine *e, const npu_params *p, npu_err *err)
{
    npu_err local = {0};
    return spec_each(p, err ? err : &local, bind_one, e);
}

static int area_only_kb(const bspec *b, void *ud, npu_err *err)
{
    (void)err;
    if (!b->units)
        *(double *)ud += b->kb * b->count;
    return 0;
}

/* ---- the tables ------------------------------------------------------------------------------ */

/* MAC energy relative to int8, from the 45 nm figures of M. Horowitz, "Computing's energy
 * problem", ISSCC 2014 (8-bit mult 0.2 pJ + add 0.03; 32-bit int mult 3.1 + add 0.1; fp16
 * mult 1.1 + add 0.4; fp32 mult 3.7 + add 0.9): integer multipliers grow as bits², so int4 =
 * 1/4, int16 = 4, int32 = 14; fp16 = 1.5 / 0.23 = 6.5; fp32 = 4.6 / 0.23 = 20. */
static double mac_ratio(npu_dtype dt)
{
    switch (dt) {
    case NPU_DT_INT4: return 0.25;
    case NPU_DT_INT16: return 4.0;
    case NPU_DT_FP16:
    case NPU_DT_BF16: return 6.5;
    case NPU_DT_FP32: return 20.0;
    case NPU_DT_INT32:
    case NPU_DT_INT64: return 14.0;
    default: return 1.0;
    }
}

/* DRAM energy per byte, device + PHY + controller, in pJ/bit (ASSUMPTIONS of the right order,
 * not vendor figures: HBM2 3.9 from O'Connor et al., "Fine-grained DRAM", MICRO 2017; LPDDR4
 * ~6 and DDR4 ~13 from the same paper's comparison; LPDDR4X's 0.6 V I/O and LPDDR5 a step
 * below; DDR3 ~20). Order as NPU_ENERGY_DRAMS. */
static const double dram_pj_bit[] = {6.0, 5.0, 4.0, 20.0, 13.0, 3.9};

static double pnum(const npu_params *p, const char *k) { return npu_engine_pnum(p, k); }

/* pJ per byte of an SRAM array of kb KiB at 16 nm: energy.pj_byte_64kb x sqrt(kb / 64). The
 * word and bit lines grow with the array's side (CACTI's trend; Horowitz's 8/32/1024 KiB
 * figures 10/20/100 pJ per 64-bit access follow it within 15 %). */
static double pj_byte(double pj64, double kb)
{
    return pj64 * sqrt((kb > 0 ? kb : 1.0) / 64.0);
}

void npu_energy_price(const npu_engine *e, npu_result *r, const npu_params *p, int base,
                      const int *host_layer)
{
    double node = pnum(p, "energy.node_nm");
    double se = node / 16.0, sa = pow(node / 16.0, 0.91);
    double pj_mac8 = pnum(p, "energy.pj_mac_int8") * se;
    double pj64 = pnum(p, "energy.pj_byte_64kb") * se;
    double def_kb = pnum(p, "energy.buffer_kb");
    double sram_kb = pnum(p, "sram.kb");
    double pj_def = pj_byte(pj64, def_kb);
    double pj_port = pj_byte(pj64, sram_kb > 0 ? sram_kb : def_kb);
    const char *dram = npu_engine_pstr(p, "energy.dram");
    int di = 0;
    for (const char *s = NPU_ENERGY_DRAMS; *s; di++) {
        size_t n = strcspn(s, "|");
        if (strlen(dram) == n && strncmp(s, dram, n) == 0)
            break;
        s += n + (s[n] == '|');
    }
    double pj_dram = 8.0 * dram_pj_bit[di < 6 ? di : 0];
    double pj_reg = pnum(p, "energy.pj_reg_write") * se, pj_irq = pnum(p, "energy.pj_irq") * se;
    const npu_host_state *hs = &e->host;
    double w_idle = pnum(p, "energy.host_w_idle");
    double w_busy = pnum(p, "energy.host_w_busy") -
                    (hs->c.cores > 0 ? w_idle / hs->c.cores : w_idle);
    if (w_busy < 0)
        w_busy = 0;

    for (int l = 0; l < r->nlayers; l++) {
        npu_layer_row *row = &r->layers[l];
        const int g = base + l; /* the engine's layer */
        const lstat *L = &e->ls[g];
        int dt = -1;
        for (int d = 0; d < NPU_DT_COUNT; d++)
            if (strcmp(row->dtype, npu_dtype_name((npu_dtype)d)) == 0)
                dt = d;
        double pj = 0;
        if (!host_layer[l] && row->macs > 0)
            pj = (double)row->macs * pj_mac8 * (dt >= 0 ? mac_ratio((npu_dtype)dt) : 1.0);
        row->e_mac_uj = pj * 1e-6;
        /* on-chip traffic: declared buffers at their size, the rest at energy.buffer_kb */
        double buf = 0;
        int64_t left = L->onchip;
        for (int b = 0; b < e->nbuf; b++) {
            buf += (double)e->buf[b].lbytes[g] * pj_byte(pj64, e->buf[b].kb);
            left -= e->buf[b].lbytes[g];
        }
        buf += (double)(left > 0 ? left : 0) * pj_def;
        double dram_b = 0;
        for (int q = 0; q < e->np; q++) {
            if (e->p[q].invalid)
                continue;
            double b = (double)(e->p[q].lbytes[2 * g] + e->p[q].lbytes[2 * g + 1]);
            if (q == NPU_PORT_DRAM || e->p[q].cfg.is_dram) /* a card chip's DRAM too */
                dram_b += b;
            else
                buf += b * pj_port;
        }
        row->e_buf_uj = buf * 1e-6;
        row->e_dram_uj = dram_b * pj_dram * 1e-6;
        row->reg_writes = L->regw;
        row->e_ctrl_uj = ((double)L->regw * pj_reg + (double)L->irq * pj_irq) * 1e-6;
        row->e_host_uj = (double)L->host_ps * 1e-12 * w_busy * 1e6;
    }

    /* Area at 16 nm: MACs (the widest peak, in int8 MACs), buffers, DMA width, the rest. */
    double macs = 0;
    for (int d = 0; d < NPU_DT_COUNT; d++)
        if (e->peak[d] > macs)
            macs = e->peak[d];
    double kb = 0;
    for (int b = 0; b < e->nbuf; b++)
        kb += e->buf[b].kb * e->buf[b].count;
    npu_err ignored = {0}; /* checked by npu_energy_bind before the run */
    spec_each(p, &ignored, area_only_kb, &kb);
    if (kb == 0)
        kb = def_kb * pnum(p, "energy.buffer_count");
    double bpc = r->dram_bytes_per_cycle / (e->p[NPU_PORT_DRAM].cfg.efficiency > 0
                                                ? e->p[NPU_PORT_DRAM].cfg.efficiency
                                                : 1.0);
    double a_sram = pnum(p, "energy.area_sram_mm2_mb") * kb / 1024.0;
    double a_logic = pnum(p, "energy.area_fixed_mm2") + pnum(p, "energy.area_mac_um2") * 1e-6 * macs +
                     pnum(p, "energy.area_dma_mm2_bpc") * bpc;
    r->area_mm2 = (a_sram + a_logic) * sa;
    r->npu_static_mw = se * (pnum(p, "energy.mac_static_uw") * 1e-3 * macs +
                             pnum(p, "energy.static_mw_mm2") * (a_sram + a_logic));
    r->other_static_mw = w_idle * 1e3 + pnum(p, "energy.other_mw");
}
