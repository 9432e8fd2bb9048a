/* report.c — the output primitives of sim/report (JSON/CSV escaping and numbers, report.h) and
 * one result as table, CSV or JSON (npu_report_write, declared in sim/npusim.h). The other
 * rooms: tab.c (text tables, human units), compare.c (best-of), info.c (graph summary),
 * svg.c (charts).
 *
 * Choices where DESIGN §5 is silent (also written down in docs/cli.md):
 *   - Field names are never listed here: CSV headers and JSON keys come from npu_layer_fields /
 *     npu_total_fields (sim/core/result.h), so a field appended there shows up everywhere.
 *   - CSV: one header line (the per-layer fields in order, then the model's extra columns),
 *     one row per layer, no totals row (a totals row would break "every row is a layer" for
 *     spreadsheet users); the totals are in JSON and in the table.
 *   - JSON: {"schema":"npusim.result/3","arch","model","graph","freq_mhz","peak_macs",
 *     "dram_bytes_per_cycle","params":{...},"total":{...},"units":[{name,kind,busy_us,idle_us}],
 *     "layers":[{...}]} ("units" since /3: each engine unit over the run); the three clock
 *     and peak figures are extra keys after "graph" (additive to the documented schema).
 *     Every layer has the common fields, then in_shape, out_shape, kernel, stride (result/3;
 *     null / empty when r->shapes does not know them), then the model's extra columns.
 *   - Numbers: integers exactly, reals "%.9g" (parameters "%.15g", enough to give back the
 *     decimal a user typed); same result → same bytes.
 *   - Table: the columns a newcomer needs, human units (k/M/G counts, kB/MB/GB bytes with
 *     1 kB = 1000 B, percentages, µs), a totals line, a one-line summary and a legend.
 *     Everything else is in CSV/JSON.
 */
#include "report.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tab.h"

/* ---- primitives ------------------------------------------------------------------------------ */

/* Length of a valid UTF-8 sequence at s (1..4, never more than avail), or 0 if the bytes
 * there are not valid UTF-8 (a bad lead byte, a missing continuation, an overlong form, a
 * surrogate, beyond U+10FFFF, or cut short by the end of the buffer). */
int npu_rep_utf8_len(const unsigned char *s, size_t avail)
{
    if (!avail)
        return 0;
    unsigned c = s[0];
    int n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)n > avail)
        return 0;
    unsigned cp = c & (0x3Fu >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Writers append in blocks (issue 20: on 1,000-layer graphs the JSON writer took a large part of
 * a run, a character at a time and vsnprintf twice per number): runs of bytes that need no
 * escaping go in with one npu_sb_putn, numbers are formatted once into a local buffer. */

/* Length of the run at p..end that JSON carries unchanged: printable ASCII other than '"' and
 * '\\', and valid UTF-8 sequences. */
static size_t json_plain_run(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *q = p;
    while (q < end) {
        unsigned c = *q;
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            q++;
            continue;
        }
        if (c < 0x80)
            break;
        int n = npu_rep_utf8_len(q, (size_t)(end - q));
        if (n == 0)
            break;
        q += n;
    }
    return (size_t)(q - p);
}

void npu_rep_json_strn(npu_strbuf *sb, const char *s, size_t len)
{
    npu_sb_putc(sb, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t run = json_plain_run(p, end);
        if (run) {
            npu_sb_putn(sb, (const char *)p, run);
            p += run;
            continue;
        }
        unsigned c = *p++;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            npu_sb_putn(sb, e, 2);
        } else if (c == '\n') {
            npu_sb_putn(sb, "\\n", 2);
        } else if (c == '\t') {
            npu_sb_putn(sb, "\\t", 2);
        } else if (c == '\r') {
            npu_sb_putn(sb, "\\r", 2);
        } else if (c < 0x20 || c == 0x7F) {
            char u[8];
            int n = snprintf(u, sizeof u, "\\u%04x", c);
            npu_sb_putn(sb, u, (size_t)n);
        } else { /* a byte that is not UTF-8 */
            npu_sb_putn(sb, "\\ufffd", 6);
        }
    }
    npu_sb_putc(sb, '"');
}

char *npu_rep_digits(char *end, long long v)
{
    char *q = end;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--q = '-';
    return q;
}

void npu_rep_int(npu_strbuf *sb, long long v)
{
    char b[24], *e = b + sizeof b, *q = npu_rep_digits(e, v);
    npu_sb_putn(sb, q, (size_t)(e - q));
}

/* "%.9g" of a finite v without printf, or -1 where it could differ from printf (then the
 * caller uses snprintf). The nine significant digits are round(|v| * 10^(8-X)) for the decimal
 * exponent X, computed in long double: 10^k is exact there for k <= 27, so the product or
 * quotient carries a relative error of at most 2^-64, under 1e-10 in absolute terms for a value
 * below 1e9. Wherever that could matter — a fraction within 1e-6 of one half (a tie, which
 * printf breaks on the exact binary value) or a value within 1 of 10^8 or 10^9 (the exponent
 * may change) — and outside 1e-5 <= |v| < 1e15, printf decides. The JSON and CSV writers
 * format tens of thousands of reals for a 1,000-layer graph; snprintf was ~900 instructions
 * each (issue 20). report_test compares it with snprintf over millions of values. */
static int fmt_g9(char *b, double v)
{
#if LDBL_MANT_DIG >= 64
    static const long double p10[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                      1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                      1e14L, 1e15L, 1e16L, 1e17L, 1e18L};
    double a = fabs(v);
    if (!(a >= 1e-5 && a < 1e15))
        return -1;
    int x = (int)floor(log10(a)); /* a first guess at the exponent, corrected below */
    long double r = 0;
    for (int tries = 0; tries < 3; tries++) {
        int k = 8 - x;
        if (k < -18 || k > 18)
            return -1;
        r = k >= 0 ? (long double)a * p10[k] : (long double)a / p10[-k];
        if (r < 1e8L)
            x--;
        else if (r >= 1e9L)
            x++;
        else
            break;
    }
    if (!(r >= 1e8L + 1 && r < 1e9L - 1))
        return -1;
    long double fl = floorl(r), fr = r - fl;
    if (fabsl(fr - 0.5L) < 1e-6L)
        return -1;
    long n = (long)fl + (fr > 0.5L);
    char d[9];
    for (int i = 8; i >= 0; i--, n /= 10)
        d[i] = (char)('0' + n % 10);
    int nd = 9; /* significant digits without the trailing zeros */
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    char *q = b;
    if (v < 0)
        *q++ = '-';
    if (x >= 9 || x < -4) { /* d.ddde+XX */
        *q++ = d[0];
        if (nd > 1) {
            *q++ = '.';
            memcpy(q, d + 1, (size_t)nd - 1);
            q += nd - 1;
        }
        *q++ = 'e';
        *q++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        *q++ = (char)('0' + ax / 10);
        *q++ = (char)('0' + ax % 10);
    } else if (x >= 0) { /* ddd.ddd */
        memcpy(q, d, (size_t)x + 1);
        q += x + 1;
        if (nd > x + 1) {
            *q++ = '.';
            memcpy(q, d + x + 1, (size_t)(nd - x - 1));
            q += nd - x - 1;
        }
    } else { /* 0.000ddd */
        *q++ = '0';
        *q++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *q++ = '0';
        memcpy(q, d, (size_t)nd);
        q += nd;
    }
    return (int)(q - b);
#else
    (void)b, (void)v;
    return -1;
#endif
}

/* A finite real with `prec` significant digits ("%.*g"), formatted once; no "-0". */
static void put_g(npu_strbuf *sb, double v, int prec)
{
    if (v == 0) {
        npu_sb_putn(sb, "0", 1);
        return;
    }
    char b[40];
    int n = prec == 9 ? fmt_g9(b, v) : -1;
    if (n < 0)
        n = snprintf(b, sizeof b, "%.*g", prec, v);
    if (n > 0 && (size_t)n < sizeof b)
        npu_sb_putn(sb, b, (size_t)n);
}

void npu_rep_json_str(npu_strbuf *sb, const char *s)
{
    if (!s)
        npu_sb_puts(sb, "null");
    else
        npu_rep_json_strn(sb, s, strlen(s));
}

void npu_rep_json_nump(npu_strbuf *sb, double v, int prec)
{
    if (!isfinite(v))
        npu_sb_putn(sb, "null", 4);
    else
        put_g(sb, v, prec);
}

void npu_rep_json_num(npu_strbuf *sb, double v) { npu_rep_json_nump(sb, v, 9); }

void npu_rep_csv_str(npu_strbuf *sb, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    for (const char *p = s; *p && !quote; p++)
        if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
            quote = 1;
    if (quote)
        npu_sb_putc(sb, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        /* a run of valid UTF-8 without '"' goes in as one block */
        const unsigned char *q = p;
        while (q < end && *q != '"') {
            int l = *q < 0x80 ? 1 : npu_rep_utf8_len(q, (size_t)(end - q));
            if (l == 0)
                break;
            q += l;
        }
        if (q > p) {
            npu_sb_putn(sb, (const char *)p, (size_t)(q - p));
            p = q;
        } else if (*p == '"') {
            npu_sb_putn(sb, "\"\"", 2);
            p++;
        } else { /* a byte that is not UTF-8: U+FFFD, as in JSON */
            npu_sb_putn(sb, "\xEF\xBF\xBD", 3);
            p++;
        }
    }
    if (quote)
        npu_sb_putc(sb, '"');
}

void npu_rep_csv_num(npu_strbuf *sb, double v)
{
    if (isfinite(v))
        put_g(sb, v, 9);
}

int npu_rep_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

/* ---- results ------------------------------------------------------------------------------- */

static double cyc_us(const npu_result *r, double cycles)
{
    return r->freq_mhz > 0 ? cycles / r->freq_mhz : NAN;
}

/* The result line under the table (and alone for `npusim run -q`). */
void npu_rep_result_line(const npu_result *r, npu_strbuf *out)
{
    const npu_total_row *T = &r->total;
    npu_sb_printf(out, "%lld cycles", (long long)T->cycles);
    if (isfinite(T->time_us) && T->time_us > 0) {
        /* throughput in what a run produces: images/s (N per run with a batch), tokens/s of
         * an LLM prefill (and its time to the first token) or decode step, else inferences/s */
        npu_sb_printf(out, " = %.1f µs, %.1f %ss/s", T->time_us, T->items_per_s,
                      T->unit && *T->unit ? T->unit : "inference");
        if (T->items > 1)
            npu_sb_printf(out, " (%lld per run)", (long long)T->items);
        if (r->prefill)
            npu_sb_printf(out, ", %.4g ms to first token", T->first_token_ms);
    }
    if (isfinite(T->tops) && T->tops > 0) {
        static const char *const suf[] = {"OPS", "kOPS", "MOPS", "GOPS", "TOPS", "POPS", NULL};
        char ops[32];
        npu_tab_scaled(ops, sizeof ops, T->tops * 1e12, suf, 1000.0, " "); /* 359 GOPS, 2.61 TOPS */
        npu_sb_printf(out, ", %s effective", ops);
    }
    if (isfinite(T->util))
        npu_sb_printf(out, ", MAC utilisation %.1f%%", 100.0 * T->util);
    if (isfinite(T->dram_gbps))
        npu_sb_printf(out, ", DRAM %.2f GB/s", T->dram_gbps);
    npu_sb_putc(out, '\n');
}

/* A power for people: "267.2 mW", "10.97 W" (not 1.097e+04 mW). */
static const char *watts(char *b, size_t n, double mw)
{
    if (fabs(mw) >= 999.95)
        snprintf(b, n, "%.4g W", mw * 1e-3);
    else
        snprintf(b, n, "%.4g mW", mw);
    return b;
}

/* The energy line under the result line (docs/energy.md): per run, its split by action class,
 * power and efficiency; nothing when the run has no energy figures. */
static void energy_line(const npu_result *r, npu_strbuf *out)
{
    const npu_total_row *T = &r->total;
    double E = T->energy_uj;
    if (!(isfinite(E) && E > 0))
        return;
    char p[4][32];
    npu_sb_printf(out, "energy %.4g mJ per run (MAC %.0f%%, buffers %.0f%%, DRAM %.0f%%, "
                       "control %.0f%%, host %.0f%%, static %.0f%%), %s (NPU %s), "
                       "peak %s (NPU %s), %.4g %ss/J, %.3g TOPS/W, NPU area %.3g mm²\n",
                  E * 1e-3, 100 * T->e_mac_uj / E, 100 * T->e_buf_uj / E, 100 * T->e_dram_uj / E,
                  100 * T->e_ctrl_uj / E, 100 * T->e_host_uj / E, 100 * T->e_static_uj / E,
                  watts(p[0], sizeof p[0], T->power_mw), watts(p[1], sizeof p[1], T->npu_power_mw),
                  watts(p[2], sizeof p[2], T->peak_power_mw),
                  watts(p[3], sizeof p[3], T->npu_peak_power_mw), T->items_per_j,
                  T->unit && *T->unit ? T->unit : "inference", T->tops_per_w, T->area_mm2);
}

/* The mem% ctrl% DRAM rd, DRAM wr and irq cells of a layer row or the totals row. */
static void tab_stalls_bytes(npu_tab *t, double mem, double ctrl, double cycles, int64_t rd,
                             int64_t wr, int64_t irq)
{
    char b[64];
    npu_tab_pct(b, sizeof b, mem, cycles, 0);
    npu_tab_cell(t, "%s", b);
    npu_tab_pct(b, sizeof b, ctrl, cycles, 0);
    npu_tab_cell(t, "%s", b);
    npu_tab_bytes(b, sizeof b, (double)rd);
    npu_tab_cell(t, "%s", b);
    npu_tab_bytes(b, sizeof b, (double)wr);
    npu_tab_cell(t, "%s", b);
    npu_tab_cell(t, "%lld", (long long)irq);
}

static int report_table(const npu_result *r, npu_strbuf *out)
{
    /* The dtype column is shown only when layers differ (mixed precision); otherwise the one
     * dtype is in the title line. That keeps a typical network within 120 columns. */
    bool mixed = false;
    for (int i = 1; i < r->nlayers && !mixed; i++)
        mixed = strcmp(npu_rep_nz(r->layers[i].dtype), npu_rep_nz(r->layers[0].dtype)) != 0;
    static const char *const head_all[] = {"name",   "op",      "engine",  "dtype",
                                           "MACs",   "cycles",  "ideal",   "util%",
                                           "mem%",   "ctrl%",   "DRAM rd", "DRAM wr",
                                           "irq",    "host µs", "bound"};
    static const char *const head_nodt[] = {"name",    "op",      "engine",  "MACs",
                                            "cycles",  "ideal",   "util%",   "mem%",
                                            "ctrl%",   "DRAM rd", "DRAM wr", "irq",
                                            "host µs", "bound"};
    enum { NC = sizeof head_all / sizeof head_all[0] };
    npu_tab t;
    if (mixed)
        npu_tab_init(&t, NC, head_all, "llllrrrrrrrrrrl");
    else
        npu_tab_init(&t, NC - 1, head_nodt, "lllrrrrrrrrrrl");
    char b[64];
    double ideal_sum = 0, mem_sum = 0, ctrl_sum = 0, host_sum = 0;
    char **names = npu_tab_short_col(r->layers, sizeof *r->layers, offsetof(npu_layer_row, name),
                             r->nlayers, 20);
    t.oom |= !names;
    for (int i = 0; i < r->nlayers && names; i++) {
        const npu_layer_row *l = &r->layers[i];
        npu_tab_row(&t);
        npu_tab_cell(&t, "%s", names[i]);
        npu_tab_cell_str(&t, l->op, 12);
        npu_tab_cell_str(&t, l->engine, 10);
        if (mixed)
            npu_tab_cell_str(&t, l->dtype, 6);
        npu_tab_count(b, sizeof b, (double)l->macs);
        npu_tab_cell(&t, "%s", b);
        npu_tab_cell(&t, "%lld", (long long)l->cycles);
        npu_tab_cell(&t, "%lld", (long long)l->ideal_cycles);
        if (isfinite(l->util) && l->macs > 0)
            npu_tab_cell(&t, "%.1f", 100.0 * l->util);
        else
            npu_tab_cell(&t, "-");
        tab_stalls_bytes(&t, (double)l->mem_stall_cycles, (double)l->ctrl_stall_cycles,
                         (double)l->cycles, l->dram_rd_bytes, l->dram_wr_bytes, l->irq_count);
        double hus = cyc_us(r, (double)l->host_cycles);
        if (isfinite(hus))
            npu_tab_cell(&t, "%.1f", hus);
        else
            npu_tab_cell(&t, "%lld c", (long long)l->host_cycles);
        npu_tab_cell_str(&t, l->bound, 8);
        ideal_sum += (double)l->ideal_cycles;
        mem_sum += (double)l->mem_stall_cycles;
        ctrl_sum += (double)l->ctrl_stall_cycles;
        host_sum += (double)l->host_cycles;
    }
    /* Totals: cycles is the end of the run (layers may overlap, so it is not the column sum);
     * ideal and stalls are sums over layers, stall percentages relative to the summed layer
     * cycles they came from. */
    const npu_total_row *T = &r->total;
    double layer_cycles = 0;
    for (int i = 0; i < r->nlayers; i++)
        layer_cycles += (double)r->layers[i].cycles;
    npu_tab_hrule(&t);
    npu_tab_row(&t);
    npu_tab_cell(&t, "total");
    npu_tab_cell(&t, "%s", "");
    npu_tab_cell(&t, "%s", "");
    if (mixed)
        npu_tab_cell(&t, "%s", "");
    npu_tab_count(b, sizeof b, (double)T->macs);
    npu_tab_cell(&t, "%s", b);
    npu_tab_cell(&t, "%lld", (long long)T->cycles);
    npu_tab_cell(&t, "%.0f", ideal_sum);
    if (isfinite(T->util))
        npu_tab_cell(&t, "%.1f", 100.0 * T->util);
    else
        npu_tab_cell(&t, "-");
    tab_stalls_bytes(&t, mem_sum, ctrl_sum, layer_cycles, T->dram_rd_bytes, T->dram_wr_bytes,
                     T->irq_count);
    if (isfinite(T->host_us))
        npu_tab_cell(&t, "%.1f", T->host_us);
    else
        npu_tab_cell(&t, "%.0f c", host_sum);

    npu_sb_printf(out, "graph %s on %s (model %s", npu_rep_nz(r->graph), npu_rep_nz(r->arch), npu_rep_nz(r->model));
    if (r->freq_mhz > 0)
        npu_sb_printf(out, ", %g MHz", r->freq_mhz);
    if (r->peak_macs > 0)
        npu_sb_printf(out, ", peak %g MAC/cycle", r->peak_macs);
    if (!mixed && r->nlayers > 0 && r->layers[0].dtype && *r->layers[0].dtype)
        npu_sb_printf(out, ", %s", r->layers[0].dtype);
    npu_sb_printf(out, "), %d layers\n\n", r->nlayers);
    int rc = npu_tab_render(&t, out);
    npu_tab_free(&t);
    npu_tab_free_names(names, r->nlayers);
    if (rc)
        return rc;
    npu_sb_putc(out, '\n');
    npu_rep_result_line(r, out);
    energy_line(r, out);
    npu_sb_puts(out,
                "cycles: layer start→end (layers may overlap); ideal: roofline bound; "
                "util%: MACs/(cycles×peak);\nmem%/ctrl%: share of the layer's cycles its main "
                "unit waited for data/for control; 1 kB = 1000 B.\n");
    return out->oom ? NPU_ENOMEM : NPU_OK;
}

static void csv_field(npu_strbuf *sb, const void *row, const npu_field *f)
{
    switch (f->type) {
    case NPU_FT_INT:
        npu_rep_int(sb, (long long)npu_field_int(row, f));
        break;
    case NPU_FT_FLOAT:
        npu_rep_csv_num(sb, npu_field_float(row, f));
        break;
    case NPU_FT_STR:
        npu_rep_csv_str(sb, npu_field_str(row, f));
        break;
    }
}

static void json_field(npu_strbuf *sb, const void *row, const npu_field *f)
{
    npu_rep_json_str(sb, f->name);
    npu_sb_puts(sb, ": ");
    switch (f->type) {
    case NPU_FT_INT:
        npu_rep_int(sb, (long long)npu_field_int(row, f));
        break;
    case NPU_FT_FLOAT:
        npu_rep_json_num(sb, npu_field_float(row, f));
        break;
    case NPU_FT_STR:
        npu_rep_json_str(sb, npu_field_str(row, f));
        break;
    }
}

static int report_csv(const npu_result *r, npu_strbuf *out)
{
    for (int k = 0; k < npu_layer_nfields; k++) {
        if (k)
            npu_sb_putc(out, ',');
        npu_rep_csv_str(out, npu_layer_fields[k].name);
    }
    for (int k = 0; k < NPU_REP_SHAPE_COLS; k++) {
        npu_sb_putc(out, ',');
        npu_rep_csv_str(out, npu_rep_shape_names[k]);
    }
    for (int j = 0; j < r->nextra; j++) {
        npu_sb_putc(out, ',');
        npu_rep_csv_str(out, r->extra_names ? r->extra_names[j] : NULL);
    }
    npu_sb_putc(out, '\n');
    for (int i = 0; i < r->nlayers; i++) {
        for (int k = 0; k < npu_layer_nfields; k++) {
            if (k)
                npu_sb_putc(out, ',');
            csv_field(out, &r->layers[i], &npu_layer_fields[k]);
        }
        for (int k = 0; k < NPU_REP_SHAPE_COLS; k++) {
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, npu_rep_shape(r, i, k));
        }
        for (int j = 0; j < r->nextra; j++) {
            npu_sb_putc(out, ',');
            if (r->extra)
                npu_rep_csv_num(out, r->extra[(size_t)i * (size_t)r->nextra + (size_t)j]);
        }
        npu_sb_putc(out, '\n');
    }
    return out->oom ? NPU_ENOMEM : NPU_OK;
}

static void json_params(const npu_params *p, npu_strbuf *out)
{
    npu_sb_putc(out, '{');
    for (int i = 0; p && i < p->n; i++) {
        const npu_param_def *d = p->def[i];
        const npu_pvalue *v = &p->v[i];
        npu_sb_puts(out, i ? ",\n    " : "\n    ");
        npu_rep_json_str(out, d->name);
        npu_sb_puts(out, ": ");
        switch (d->type) {
        case NPU_P_INT:
            if (isfinite(v->num) && fabs(v->num) < 9.2e18)
                npu_sb_printf(out, "%lld", (long long)v->num);
            else
                npu_rep_json_nump(out, v->num, 17);
            break;
        case NPU_P_FLOAT:
            npu_rep_json_nump(out, v->num, 15);
            break;
        case NPU_P_BOOL:
            npu_sb_puts(out, v->num != 0 ? "true" : "false");
            break;
        case NPU_P_ENUM:
        case NPU_P_STR:
        default:
            npu_rep_json_str(out, v->str ? v->str : d->def_s);
            break;
        }
    }
    if (p && p->n)
        npu_sb_puts(out, "\n  ");
    npu_sb_putc(out, '}');
}

void npu_rep_json_head(npu_strbuf *out, const char *schema, const npu_result *r)
{
    npu_sb_puts(out, "{\n  \"schema\": ");
    npu_rep_json_str(out, schema);
    npu_sb_puts(out, ",\n  \"version\": \"" NPUSIM_VERSION "\"");
    npu_sb_puts(out, ",\n  \"arch\": ");
    npu_rep_json_str(out, r->arch);
    npu_sb_puts(out, ",\n  \"model\": ");
    npu_rep_json_str(out, r->model);
    npu_sb_puts(out, ",\n  \"graph\": ");
    npu_rep_json_str(out, r->graph);
    npu_sb_puts(out, ",\n  \"freq_mhz\": ");
    npu_rep_json_nump(out, r->freq_mhz, 15);
    npu_sb_puts(out, ",\n  \"peak_macs\": ");
    npu_rep_json_nump(out, r->peak_macs, 15);
}

static int report_json(const npu_result *r, npu_strbuf *out)
{
    npu_rep_json_head(out, NPU_RESULT_SCHEMA, r);
    npu_sb_puts(out, ",\n  \"dram_bytes_per_cycle\": ");
    npu_rep_json_nump(out, r->dram_bytes_per_cycle, 15);
    npu_sb_puts(out, ",\n  \"params\": ");
    json_params(r->params, out);
    npu_sb_puts(out, ",\n  \"total\": {");
    for (int k = 0; k < npu_total_nfields; k++) {
        if (k)
            npu_sb_puts(out, ", ");
        json_field(out, &r->total, &npu_total_fields[k]);
    }
    npu_sb_puts(out, "},\n  \"units\": [");
    for (int u = 0; u < r->nunits; u++) {
        double busy = r->unit_busy_us[u], idle = r->total.time_us - busy;
        npu_sb_puts(out, u ? ",\n    {\"name\": " : "\n    {\"name\": ");
        npu_rep_json_str(out, r->unit_names[u]);
        npu_sb_puts(out, ", \"kind\": ");
        npu_rep_json_str(out, r->unit_kinds[u]);
        npu_sb_puts(out, ", \"busy_us\": ");
        npu_rep_json_num(out, busy);
        npu_sb_puts(out, ", \"idle_us\": ");
        npu_rep_json_num(out, idle > 0 ? idle : 0);
        npu_sb_puts(out, "}");
    }
    npu_sb_puts(out, "],\n  \"layers\": [");
    for (int i = 0; i < r->nlayers; i++) {
        npu_sb_puts(out, i ? ",\n    {" : "\n    {");
        for (int k = 0; k < npu_layer_nfields; k++) {
            if (k)
                npu_sb_puts(out, ", ");
            json_field(out, &r->layers[i], &npu_layer_fields[k]);
        }
        for (int k = 0; k < NPU_REP_SHAPE_COLS; k++) {
            npu_sb_puts(out, ", ");
            npu_rep_json_str(out, npu_rep_shape_names[k]);
            npu_sb_puts(out, ": ");
            npu_rep_json_str(out, npu_rep_shape(r, i, k));
        }
        for (int j = 0; j < r->nextra; j++) {
            npu_sb_puts(out, ", ");
            npu_rep_json_str(out, r->extra_names ? r->extra_names[j] : NULL);
            npu_sb_puts(out, ": ");
            npu_rep_json_num(out, r->extra ? r->extra[(size_t)i * (size_t)r->nextra + (size_t)j]
                                           : NAN);
        }
        npu_sb_putc(out, '}');
    }
    npu_sb_puts(out, r->nlayers ? "\n  ]\n}\n" : "]\n}\n");
    return out->oom ? NPU_ENOMEM : NPU_OK;
}

int npu_report_write(const npu_result *r, npu_format f, npu_strbuf *out)
{
    if (!r || !out || (r->nlayers > 0 && !r->layers) || r->nlayers < 0)
        return NPU_EINVAL;
    switch (f) {
    case NPU_FMT_TABLE: {
        size_t at = out->len;
        int rc = report_table(r, out);
        npu_tab_sanitize_from(out, at);
        return rc;
    }
    case NPU_FMT_CSV:
        return report_csv(r, out);
    case NPU_FMT_JSON:
        return report_json(r, out);
    }
    return NPU_EINVAL;
}


int npu_rep_result_out(const npu_result *r, npu_format f, unsigned by, bool quiet,
                       npu_strbuf *out)
{
    if (by)
        return npu_rep_summary(r, by, f, out);
    if (quiet && f == NPU_FMT_TABLE) {
        if (!r || !out)
            return NPU_EINVAL;
        npu_rep_result_line(r, out);
        return out->oom ? NPU_ENOMEM : NPU_OK;
    }
    return npu_report_write(r, f, out);
}
