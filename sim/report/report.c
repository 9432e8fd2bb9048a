/* report.c — results, comparisons and graph summaries as table, CSV or JSON (prefix npu_rep_,
 * public entry points npu_report_* declared in sim/npusim.h).
 *
 * Choices where DESIGN §5 is silent (also written down in docs/cli.md):
 *   - Field names are never listed here: CSV headers and JSON keys come from npu_layer_fields /
 *     npu_total_fields (sim/core/result.h), so a field appended there shows up everywhere.
 *   - CSV: one header line (the per-layer fields in order, then the model's extra columns),
 *     one row per layer, no totals row (a totals row would break "every row is a layer" for
 *     spreadsheet users); the totals are in JSON and in the table.
 *   - JSON: {"schema":"npusim.result/2","arch","model","graph","freq_mhz","peak_macs",
 *     "dram_bytes_per_cycle","params":{...},"total":{...},"layers":[{...}]}; the three clock
 *     and peak figures are extra keys after "graph" (additive to the documented schema).
 *     Model extra columns appear inside each layer after the common fields.
 *   - Numbers: integers exactly, reals "%.9g" (parameters "%.15g", enough to give back the
 *     decimal a user typed); same result → same bytes.
 *   - Table: the columns a newcomer needs, human units (k/M/G counts, kB/MB/GB bytes with
 *     1 kB = 1000 B, percentages, µs), a totals line, a one-line summary and a legend.
 *     Everything else is in CSV/JSON.
 *   - Compare: rows are the layers of the first result in order, then layers only found in
 *     later results; "best" is the architecture with the shortest time for that layer
 *     (cycles ÷ its own clock, because presets run at different clocks), ties → the first.
 */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../npusim_int.h"

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

void npu_rep_json_strn(npu_strbuf *sb, const char *s, size_t len)
{
    npu_sb_putc(sb, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            npu_sb_putc(sb, '\\');
            npu_sb_putc(sb, (char)c);
            p++;
        } else if (c == '\n') {
            npu_sb_puts(sb, "\\n");
            p++;
        } else if (c == '\t') {
            npu_sb_puts(sb, "\\t");
            p++;
        } else if (c == '\r') {
            npu_sb_puts(sb, "\\r");
            p++;
        } else if (c < 0x20 || c == 0x7F) {
            npu_sb_printf(sb, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            npu_sb_putc(sb, (char)c);
            p++;
        } else {
            int n = npu_rep_utf8_len(p, (size_t)(end - p));
            if (n == 0) {
                npu_sb_puts(sb, "\\ufffd");
                p++;
            } else {
                npu_sb_putn(sb, (const char *)p, (size_t)n);
                p += n;
            }
        }
    }
    npu_sb_putc(sb, '"');
}

void npu_rep_json_str(npu_strbuf *sb, const char *s)
{
    if (!s)
        npu_sb_puts(sb, "null");
    else
        npu_rep_json_strn(sb, s, strlen(s));
}

static void json_num_prec(npu_strbuf *sb, double v, int prec)
{
    if (!isfinite(v)) {
        npu_sb_puts(sb, "null");
        return;
    }
    if (v == 0) /* no "-0" */
        v = 0;
    npu_sb_printf(sb, "%.*g", prec, v);
}

void npu_rep_json_num(npu_strbuf *sb, double v) { json_num_prec(sb, v, 9); }

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
        int l = npu_rep_utf8_len(p, (size_t)(end - p));
        if (l == 0) { /* a byte that is not UTF-8: U+FFFD, as in JSON */
            npu_sb_puts(sb, "\xEF\xBF\xBD");
            p++;
            continue;
        }
        if (*p == '"')
            npu_sb_putc(sb, '"');
        npu_sb_putn(sb, (const char *)p, (size_t)l);
        p += l;
    }
    if (quote)
        npu_sb_putc(sb, '"');
}

void npu_rep_csv_num(npu_strbuf *sb, double v)
{
    if (!isfinite(v))
        return;
    if (v == 0)
        v = 0;
    npu_sb_printf(sb, "%.9g", v);
}

int npu_rep_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

/* ---- human units for tables -------------------------------------------------------------- */

/* 3 significant digits with a suffix: 950, 45.6k, 118M, 1.23G. */
static void h_scaled(char *buf, size_t n, double v, const char *const *suf, double step,
                     const char *sep)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "-");
        return;
    }
    double a = fabs(v);
    int i = 0;
    while (a >= 999.5 && suf[i + 1]) {
        a /= step;
        v /= step;
        i++;
    }
    if (i == 0)
        snprintf(buf, n, "%.0f%s%s", v, suf[0][0] ? sep : "", suf[0]);
    else if (a < 9.995)
        snprintf(buf, n, "%.2f%s%s", v, sep, suf[i]);
    else if (a < 99.95)
        snprintf(buf, n, "%.1f%s%s", v, sep, suf[i]);
    else
        snprintf(buf, n, "%.0f%s%s", v, sep, suf[i]);
}

static void h_count(char *buf, size_t n, double v)
{
    static const char *const suf[] = {"", "k", "M", "G", "T", "P", NULL};
    h_scaled(buf, n, v, suf, 1000.0, "");
}

static void h_bytes(char *buf, size_t n, double v)
{
    static const char *const suf[] = {"B", "kB", "MB", "GB", "TB", "PB", NULL};
    if (v == 0) {
        snprintf(buf, n, "0");
        return;
    }
    h_scaled(buf, n, v, suf, 1000.0, " ");
}

static void h_pct(char *buf, size_t n, double part, double whole, int decimals)
{
    if (!(whole > 0) || !isfinite(part))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*f", decimals, 100.0 * part / whole);
}

/* ---- a small aligned-column table ------------------------------------------------------------ */

typedef struct tab {
    int ncols;
    const char *const *head;
    const char *align; /* 'l' or 'r' per column */
    char **cell;       /* nrows × ncols, NULL cells in rule rows */
    char *rule;        /* per row: 1 = a horizontal rule */
    size_t nrows, crows, ccell, crule;
    int cur;           /* next column of the current row */
    int oom;
} tab;

static void tab_init(tab *t, int ncols, const char *const *head, const char *align)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->head = head;
    t->align = align;
}

static void tab_free(tab *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t->rule);
}

static int tab_newrow(tab *t, int rule)
{
    size_t need = (t->nrows + 1) * (size_t)t->ncols;
    if (t->oom || npu_grow((void **)&t->cell, &t->ccell, need, sizeof(char *)) ||
        npu_grow((void **)&t->rule, &t->crule, t->nrows + 1, 1)) {
        t->oom = 1;
        return -1;
    }
    for (int c = 0; c < t->ncols; c++)
        t->cell[t->nrows * (size_t)t->ncols + (size_t)c] = NULL;
    t->rule[t->nrows] = (char)rule;
    t->nrows++;
    t->cur = 0;
    return 0;
}

static void tab_row(tab *t) { tab_newrow(t, 0); }
static void tab_hrule(tab *t) { tab_newrow(t, 1); }

/* A table goes to a terminal: a layer or graph name from a file must not be able to move the
 * cursor, retitle the window or hide text (every table-format output passes through here: its
 * cells, and the whole text once more for the names in its headers). Control characters (C0, DEL, C1 as U+0080..U+009F)
 * and bytes that are not valid UTF-8 (a lone 0x9B is CSI to some terminals) become '?', in
 * place; valid UTF-8 text is kept. CSV and JSON carry names unchanged (quoted/escaped). */
static void sanitize_text(char *s, int keep_newline)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        if (keep_newline && *p == '\n') {
            p++;
            continue;
        }
        int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3
                : (*p & 0xF8) == 0xF0 ? 4 : 0;
        int ok = n > 0 && !(n == 2 && *p < 0xC2);
        for (int k = 1; ok && k < n; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (ok && n == 1 && (*p < 0x20 || *p == 0x7F))
            ok = 0;
        if (ok && n == 2 && *p == 0xC2 && p[1] < 0xA0) /* U+0080..U+009F */
            ok = 0;
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

/* The table text appended to sb from offset `at`, sanitized as above (newlines kept). */
static void sanitize_from(npu_strbuf *sb, size_t at)
{
    if (sb->s && !sb->oom && at < sb->len)
        sanitize_text(sb->s + at, 1);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void tab_cell(tab *t, const char *fmt, ...)
{
    if (t->oom || t->nrows == 0 || t->cur >= t->ncols)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sanitize_text(buf, 0);
    char *s = npu_strdup(buf);
    if (!s) {
        t->oom = 1;
        return;
    }
    t->cell[(t->nrows - 1) * (size_t)t->ncols + (size_t)t->cur++] = s;
}

/* s shortened to at most `max` columns into a new string: the first max-1-tail code points,
 * a '~' and the last `tail` ("long_layer_n~me" keeps both ends); s itself when it fits. NULL
 * when out of memory. */
static char *shorten(const char *s, int max, int tail)
{
    if (npu_rep_width(s) <= max || max < 5)
        return npu_strdup(s);
    int head = max - 1 - tail;
    const char *p = s;
    for (int i = 0; i < head && *p; p++)
        if (((unsigned char)p[1] & 0xC0) != 0x80)
            i++;
    const char *q = s + strlen(s);
    for (int i = 0; i < tail && q > s;) {
        q--;
        if (((unsigned char)*q & 0xC0) != 0x80)
            i++;
    }
    size_t hn = (size_t)(p - s), tn = strlen(q);
    char *r = npu_malloc(hn + tn + 2);
    if (r) {
        memcpy(r, s, hn);
        r[hn] = '~';
        memcpy(r + hn + 1, q, tn + 1);
    }
    return r;
}

/* A string cell shortened to at most `max` columns (shorten, a third of it for the tail). */
static void tab_cell_str(tab *t, const char *s, int max)
{
    if (!s || !*s) {
        tab_cell(t, "-");
        return;
    }
    char *c = shorten(s, max, (max - 1) / 3);
    if (!c) {
        t->oom = 1;
        return;
    }
    tab_cell(t, "%s", c);
    free(c);
}

/* A shortened name and its row, sorted by name to find the ones that shorten alike. */
typedef struct sname {
    const char *s;
    int row;
} sname;

static int sname_cmp(const void *a, const void *b)
{
    const sname *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

static const char *name_or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static void free_names(char **sv, int n)
{
    for (int i = 0; sv && i < n; i++)
        free(sv[i]);
    free(sv);
}

/* The name column of a table: names[i] shortened to `max` columns such that distinct names
 * stay distinct (issue 11). Names that shorten alike keep a longer tail (the part that tells
 * "blocks.3.attn.q_proj" from "blocks.4...") until they differ; if no split of head and tail
 * separates them, the shortened name ends in "#i", its row. Returns n new strings or NULL. */
static char **short_names(const char *const *names, int n, int max)
{
    char **sv = npu_calloc((size_t)n + 1, sizeof *sv);
    sname *sn = npu_malloc(((size_t)n + 1) * sizeof *sn);
    int ok = sv && sn;
    for (int i = 0; ok && i < n; i++) {
        ok = (sv[i] = shorten(name_or_dash(names[i]), max, (max - 1) / 3)) != NULL;
        sn[i] = (sname){sv[i], i};
    }
    if (ok && n > 1)
        qsort(sn, (size_t)n, sizeof *sn, sname_cmp);
    /* from here on only sn[].row is read (rows in sorted order): sv[] is rewritten below */
    for (int a = 0; ok && a < n;) {
        int b = a + 1;
        while (b < n && strcmp(sv[sn[a].row], sv[sn[b].row]) == 0)
            b++;
        /* rows sn[a..b) shorten alike (identical full names may stay identical) */
        bool distinct = b - a < 2;
        for (int tail = (max - 1) / 3 + 1; ok && !distinct && tail <= max - 2; tail++) {
            for (int i = a; ok && i < b; i++) {
                int r = sn[i].row;
                free(sv[r]);
                ok = (sv[r] = shorten(name_or_dash(names[r]), max, tail)) != NULL;
            }
            distinct = true;
            for (int i = a; ok && i < b && distinct; i++)
                for (int j = i + 1; j < b && distinct; j++)
                    distinct = strcmp(sv[sn[i].row], sv[sn[j].row]) != 0 ||
                               strcmp(name_or_dash(names[sn[i].row]),
                                      name_or_dash(names[sn[j].row])) == 0;
        }
        /* no split of head and tail separates them: "head~#ROW" does */
        for (int i = a; ok && !distinct && i < b; i++) {
            int row = sn[i].row;
            char num[24];
            int k = snprintf(num, sizeof num, "#%d", row);
            char *h = shorten(name_or_dash(names[row]), max - k, 0);
            char *r = h ? npu_malloc(strlen(h) + (size_t)k + 1) : NULL;
            if (r)
                snprintf(r, strlen(h) + (size_t)k + 1, "%s%s", h, num);
            free(h);
            free(sv[row]);
            ok = (sv[row] = r) != NULL;
        }
        a = b;
    }
    free(sn);
    if (!ok) {
        free_names(sv, n);
        return NULL;
    }
    return sv;
}

/* short_names of the `const char *` member at offset `off` of n records of `stride` bytes. */
static char **short_col(const void *base, size_t stride, size_t off, int n, int max)
{
    const char **nm = npu_malloc(((size_t)n + 1) * sizeof *nm);
    if (!nm)
        return NULL;
    for (int i = 0; i < n; i++)
        memcpy(&nm[i], (const char *)base + (size_t)i * stride + off, sizeof nm[i]);
    char **sv = short_names(nm, n, max);
    free(nm);
    return sv;
}

static void pad(npu_strbuf *sb, int n)
{
    for (int i = 0; i < n; i++)
        npu_sb_putc(sb, ' ');
}

static int tab_render(tab *t, npu_strbuf *sb)
{
    if (t->oom)
        return NPU_ENOMEM;
    int *w = npu_calloc((size_t)t->ncols, sizeof(int));
    if (!w)
        return NPU_ENOMEM;
    int total = 0;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = npu_rep_width(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            const char *s = t->cell[r * (size_t)t->ncols + (size_t)c];
            if (s && npu_rep_width(s) > w[c])
                w[c] = npu_rep_width(s);
        }
        total += w[c] + (c ? 2 : 0);
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        if (r > 0 && t->rule[r - 1]) {
            for (int i = 0; i < total; i++)
                npu_sb_putc(sb, '-');
            npu_sb_putc(sb, '\n');
            continue;
        }
        /* trailing spaces are trimmed: the line ends at the last non-empty cell */
        int last = t->ncols - 1;
        if (r > 0)
            while (last > 0 && (!t->cell[(r - 1) * (size_t)t->ncols + (size_t)last] ||
                                !t->cell[(r - 1) * (size_t)t->ncols + (size_t)last][0]))
                last--;
        for (int c = 0; c <= last; c++) {
            const char *s = r == 0 ? t->head[c] : t->cell[(r - 1) * (size_t)t->ncols + (size_t)c];
            if (!s)
                s = "";
            int fill = w[c] - npu_rep_width(s);
            if (c)
                pad(sb, 2);
            if (t->align[c] == 'r')
                pad(sb, fill);
            npu_sb_puts(sb, s);
            if (c < last && t->align[c] != 'r')
                pad(sb, fill);
        }
        npu_sb_putc(sb, '\n');
        if (r == 0) {
            for (int i = 0; i < total; i++)
                npu_sb_putc(sb, '-');
            npu_sb_putc(sb, '\n');
        }
    }
    free(w);
    return NPU_OK;
}

/* ---- results ------------------------------------------------------------------------------- */

static const char *nz(const char *s) { return s ? s : ""; }

static double cyc_us(const npu_result *r, double cycles)
{
    return r->freq_mhz > 0 ? cycles / r->freq_mhz : NAN;
}

static int report_table(const npu_result *r, npu_strbuf *out)
{
    /* The dtype column is shown only when layers differ (mixed precision); otherwise the one
     * dtype is in the title line. That keeps a typical network within 120 columns. */
    bool mixed = false;
    for (int i = 1; i < r->nlayers && !mixed; i++)
        mixed = strcmp(nz(r->layers[i].dtype), nz(r->layers[0].dtype)) != 0;
    static const char *const head_all[] = {"name",   "op",      "engine",  "dtype",
                                           "MACs",   "cycles",  "ideal",   "util%",
                                           "mem%",   "ctrl%",   "DRAM rd", "DRAM wr",
                                           "irq",    "host µs", "bound"};
    static const char *const head_nodt[] = {"name",    "op",      "engine",  "MACs",
                                            "cycles",  "ideal",   "util%",   "mem%",
                                            "ctrl%",   "DRAM rd", "DRAM wr", "irq",
                                            "host µs", "bound"};
    enum { NC = sizeof head_all / sizeof head_all[0] };
    tab t;
    if (mixed)
        tab_init(&t, NC, head_all, "llllrrrrrrrrrrl");
    else
        tab_init(&t, NC - 1, head_nodt, "lllrrrrrrrrrrl");
    char b[64];
    double ideal_sum = 0, mem_sum = 0, ctrl_sum = 0, host_sum = 0;
    char **names = short_col(r->layers, sizeof *r->layers, offsetof(npu_layer_row, name),
                             r->nlayers, 20);
    t.oom |= !names;
    for (int i = 0; i < r->nlayers && names; i++) {
        const npu_layer_row *l = &r->layers[i];
        tab_row(&t);
        tab_cell(&t, "%s", names[i]);
        tab_cell_str(&t, l->op, 12);
        tab_cell_str(&t, l->engine, 10);
        if (mixed)
            tab_cell_str(&t, l->dtype, 6);
        h_count(b, sizeof b, (double)l->macs);
        tab_cell(&t, "%s", b);
        tab_cell(&t, "%lld", (long long)l->cycles);
        tab_cell(&t, "%lld", (long long)l->ideal_cycles);
        if (isfinite(l->util) && l->macs > 0)
            tab_cell(&t, "%.1f", 100.0 * l->util);
        else
            tab_cell(&t, "-");
        h_pct(b, sizeof b, (double)l->mem_stall_cycles, (double)l->cycles, 0);
        tab_cell(&t, "%s", b);
        h_pct(b, sizeof b, (double)l->ctrl_stall_cycles, (double)l->cycles, 0);
        tab_cell(&t, "%s", b);
        h_bytes(b, sizeof b, (double)l->dram_rd_bytes);
        tab_cell(&t, "%s", b);
        h_bytes(b, sizeof b, (double)l->dram_wr_bytes);
        tab_cell(&t, "%s", b);
        tab_cell(&t, "%lld", (long long)l->irq_count);
        double hus = cyc_us(r, (double)l->host_cycles);
        if (isfinite(hus))
            tab_cell(&t, "%.1f", hus);
        else
            tab_cell(&t, "%lld c", (long long)l->host_cycles);
        tab_cell_str(&t, l->bound, 8);
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
    tab_hrule(&t);
    tab_row(&t);
    tab_cell(&t, "total");
    tab_cell(&t, "%s", "");
    tab_cell(&t, "%s", "");
    if (mixed)
        tab_cell(&t, "%s", "");
    h_count(b, sizeof b, (double)T->macs);
    tab_cell(&t, "%s", b);
    tab_cell(&t, "%lld", (long long)T->cycles);
    tab_cell(&t, "%.0f", ideal_sum);
    if (isfinite(T->util))
        tab_cell(&t, "%.1f", 100.0 * T->util);
    else
        tab_cell(&t, "-");
    h_pct(b, sizeof b, mem_sum, layer_cycles, 0);
    tab_cell(&t, "%s", b);
    h_pct(b, sizeof b, ctrl_sum, layer_cycles, 0);
    tab_cell(&t, "%s", b);
    h_bytes(b, sizeof b, (double)T->dram_rd_bytes);
    tab_cell(&t, "%s", b);
    h_bytes(b, sizeof b, (double)T->dram_wr_bytes);
    tab_cell(&t, "%s", b);
    tab_cell(&t, "%lld", (long long)T->irq_count);
    if (isfinite(T->host_us))
        tab_cell(&t, "%.1f", T->host_us);
    else
        tab_cell(&t, "%.0f c", host_sum);

    npu_sb_printf(out, "graph %s on %s (model %s", nz(r->graph), nz(r->arch), nz(r->model));
    if (r->freq_mhz > 0)
        npu_sb_printf(out, ", %g MHz", r->freq_mhz);
    if (r->peak_macs > 0)
        npu_sb_printf(out, ", peak %g MAC/cycle", r->peak_macs);
    if (!mixed && r->nlayers > 0 && r->layers[0].dtype && *r->layers[0].dtype)
        npu_sb_printf(out, ", %s", r->layers[0].dtype);
    npu_sb_printf(out, "), %d layers\n\n", r->nlayers);
    int rc = tab_render(&t, out);
    tab_free(&t);
    free_names(names, r->nlayers);
    if (rc)
        return rc;
    npu_sb_printf(out, "\n%lld cycles", (long long)T->cycles);
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
        h_scaled(ops, sizeof ops, T->tops * 1e12, suf, 1000.0, " "); /* 359 GOPS, 2.61 TOPS */
        npu_sb_printf(out, ", %s effective", ops);
    }
    if (isfinite(T->util))
        npu_sb_printf(out, ", MAC utilisation %.1f%%", 100.0 * T->util);
    if (isfinite(T->dram_gbps))
        npu_sb_printf(out, ", DRAM %.2f GB/s", T->dram_gbps);
    npu_sb_puts(out, "\n");
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
        npu_sb_printf(sb, "%lld", (long long)npu_field_int(row, f));
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
        npu_sb_printf(sb, "%lld", (long long)npu_field_int(row, f));
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
                json_num_prec(out, v->num, 17);
            break;
        case NPU_P_FLOAT:
            json_num_prec(out, v->num, 15);
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

static int report_json(const npu_result *r, npu_strbuf *out)
{
    npu_sb_puts(out, "{\n  \"schema\": \"" NPU_RESULT_SCHEMA "\",\n  \"arch\": ");
    npu_rep_json_str(out, r->arch);
    npu_sb_puts(out, ",\n  \"model\": ");
    npu_rep_json_str(out, r->model);
    npu_sb_puts(out, ",\n  \"graph\": ");
    npu_rep_json_str(out, r->graph);
    npu_sb_puts(out, ",\n  \"freq_mhz\": ");
    json_num_prec(out, r->freq_mhz, 15);
    npu_sb_puts(out, ",\n  \"peak_macs\": ");
    json_num_prec(out, r->peak_macs, 15);
    npu_sb_puts(out, ",\n  \"dram_bytes_per_cycle\": ");
    json_num_prec(out, r->dram_bytes_per_cycle, 15);
    npu_sb_puts(out, ",\n  \"params\": ");
    json_params(r->params, out);
    npu_sb_puts(out, ",\n  \"total\": {");
    for (int k = 0; k < npu_total_nfields; k++) {
        if (k)
            npu_sb_puts(out, ", ");
        json_field(out, &r->total, &npu_total_fields[k]);
    }
    npu_sb_puts(out, "},\n  \"layers\": [");
    for (int i = 0; i < r->nlayers; i++) {
        npu_sb_puts(out, i ? ",\n    {" : "\n    {");
        for (int k = 0; k < npu_layer_nfields; k++) {
            if (k)
                npu_sb_puts(out, ", ");
            json_field(out, &r->layers[i], &npu_layer_fields[k]);
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
        sanitize_from(out, at);
        return rc;
    }
    case NPU_FMT_CSV:
        return report_csv(r, out);
    case NPU_FMT_JSON:
        return report_json(r, out);
    }
    return NPU_EINVAL;
}

/* ---- compare ------------------------------------------------------------------------------- */

/* Index of layer `name` in r, trying `hint` first (layers usually line up). */
static int find_layer(const npu_result *r, const char *name, int hint)
{
    if (!name)
        return -1;
    if (hint >= 0 && hint < r->nlayers && r->layers[hint].name &&
        strcmp(r->layers[hint].name, name) == 0)
        return hint;
    for (int i = 0; i < r->nlayers; i++)
        if (r->layers[i].name && strcmp(r->layers[i].name, name) == 0)
            return i;
    return -1;
}

/* Time of a cycle count of result r in µs (or cycles when the clock is unknown). */
static double cmp_time(const npu_result *r, int64_t cycles)
{
    return r->freq_mhz > 0 ? (double)cycles / r->freq_mhz : (double)cycles;
}

/* Labels: the arch names, "name#2" … when one appears twice (same preset, other --set). */
static char **cmp_labels(const npu_result *const *rs, int n)
{
    char **lab = npu_calloc((size_t)n, sizeof(char *));
    if (!lab)
        return NULL;
    for (int k = 0; k < n; k++) {
        const char *a = rs[k]->arch ? rs[k]->arch : "?";
        int dup = 1;
        for (int j = 0; j < k; j++)
            if (strcmp(rs[j]->arch ? rs[j]->arch : "?", a) == 0)
                dup++;
        char buf[256];
        if (dup > 1)
            snprintf(buf, sizeof buf, "%s#%d", a, dup);
        else
            snprintf(buf, sizeof buf, "%s", a);
        lab[k] = npu_strdup(buf);
        if (!lab[k]) {
            for (int j = 0; j < k; j++)
                free(lab[j]);
            free(lab);
            return NULL;
        }
    }
    return lab;
}

/* The best of candidates t[k] (k with has[k]); -1 when none, or when more than one and all
 * equal (a tie), or when `fused` (a 0-cycle layer on some result). First listed wins a tie
 * between some of them. */
static int cmp_best(const double *t, const bool *has, int n, bool fused)
{
    int best = -1, present = 0;
    double worst = 0;
    for (int k = 0; k < n; k++) {
        if (!has[k])
            continue;
        if (best < 0 || t[k] < t[best])
            best = k;
        if (present++ == 0 || t[k] > worst)
            worst = t[k];
    }
    if (fused || (present > 1 && worst == t[best]))
        return -1;
    return best;
}

void npu_rep_cmp_free(npu_rep_cmp *c)
{
    if (!c)
        return;
    if (c->lab)
        for (int k = 0; k < c->n; k++)
            free(c->lab[k]);
    free(c->lab);
    free(c->rows);
    free(c->idx_);
    free(c->best);
    memset(c, 0, sizeof *c);
}

int npu_rep_cmp_build(const npu_result *const *rs, int n, npu_rep_cmp *c)
{
    if (!c)
        return NPU_EINVAL;
    memset(c, 0, sizeof *c);
    if (!rs || n <= 0)
        return NPU_EINVAL;
    for (int k = 0; k < n; k++)
        if (!rs[k] || rs[k]->nlayers < 0 || (rs[k]->nlayers > 0 && !rs[k]->layers))
            return NPU_EINVAL;
    c->n = n;
    /* Rows: union of layer names, first-seen order. */
    size_t cap = 0;
    for (int k = 0; k < n; k++)
        cap += (size_t)rs[k]->nlayers;
    c->rows = npu_calloc(cap ? cap : 1, sizeof *c->rows);
    c->idx_ = npu_calloc((cap ? cap : 1) * (size_t)n, sizeof(int));
    c->best = npu_calloc(cap + 1, sizeof(int));
    c->lab = cmp_labels(rs, n);
    double *t = npu_calloc((size_t)n, sizeof(double));
    bool *has = npu_calloc((size_t)n, sizeof(bool));
    if (!c->rows || !c->idx_ || !c->best || !c->lab || !t || !has) {
        free(t);
        free(has);
        return NPU_ENOMEM;
    }
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < rs[k]->nlayers; i++) {
            const char *name = rs[k]->layers[i].name;
            int seen = 0;
            if (k > 0)
                for (int j = 0; j < k && !seen; j++)
                    seen = find_layer(rs[j], name, i) >= 0;
            if (seen)
                continue;
            npu_rep_cmp_row *row = &c->rows[c->nrows];
            row->name = name;
            row->op = rs[k]->layers[i].op;
            row->idx = c->idx_ + c->nrows * (size_t)n;
            for (int j = 0; j < n; j++)
                row->idx[j] = j < k ? -1 : (j == k ? i : find_layer(rs[j], name, i));
            c->nrows++;
        }
    }
    for (size_t r = 0; r < c->nrows; r++) {
        bool fused = false;
        for (int k = 0; k < n; k++) {
            int i = c->rows[r].idx[k];
            has[k] = i >= 0;
            if (has[k]) {
                t[k] = cmp_time(rs[k], rs[k]->layers[i].cycles);
                fused |= rs[k]->layers[i].cycles == 0;
            }
        }
        c->best[r] = cmp_best(t, has, n, fused);
    }
    for (int k = 0; k < n; k++) {
        has[k] = true;
        t[k] = cmp_time(rs[k], rs[k]->total.cycles);
    }
    c->tbest = n > 1 ? cmp_best(t, has, n, false) : 0;
    free(t);
    free(has);
    return NPU_OK;
}

static int report_compare(const npu_result *const *rs, int n, npu_format f, npu_strbuf *out)
{
    if (!out)
        return NPU_EINVAL;
    npu_rep_cmp c;
    int rc = npu_rep_cmp_build(rs, n, &c);
    if (rc) {
        npu_rep_cmp_free(&c);
        return rc;
    }
    size_t nrows = c.nrows;
    const npu_rep_cmp_row *rows = c.rows;
    const int *best = c.best;
    char **lab = c.lab;
    const char *tlab = c.tbest >= 0 ? lab[c.tbest] : NULL;

    if (f == NPU_FMT_TABLE) {
        int nc = n + 3;
        const char **head = npu_calloc((size_t)nc, sizeof(char *));
        char *align = npu_calloc((size_t)nc + 1, 1);
        if (!head || !align) {
            free(head);
            free(align);
            rc = NPU_ENOMEM;
            goto done;
        }
        head[0] = "name";
        head[1] = "op";
        align[0] = align[1] = 'l';
        for (int k = 0; k < n; k++) {
            head[2 + k] = lab[k];
            align[2 + k] = 'r';
        }
        head[nc - 1] = "best";
        align[nc - 1] = 'l';
        tab t;
        tab_init(&t, nc, head, align);
        char **names =
            short_col(rows, sizeof *rows, offsetof(npu_rep_cmp_row, name), (int)nrows, 28);
        t.oom |= !names;
        for (size_t r = 0; r < nrows && names; r++) {
            tab_row(&t);
            tab_cell(&t, "%s", names[r]);
            tab_cell_str(&t, rows[r].op, 12);
            for (int k = 0; k < n; k++) {
                if (rows[r].idx[k] >= 0)
                    tab_cell(&t, "%lld", (long long)rs[k]->layers[rows[r].idx[k]].cycles);
                else
                    tab_cell(&t, "-");
            }
            tab_cell(&t, "%s", best[r] >= 0 ? lab[best[r]] : "-");
        }
        tab_hrule(&t);
        /* the rate row in the graph's unit (the same graph on every architecture) */
        char rate[48];
        snprintf(rate, sizeof rate, "%ss/s",
                 rs[0]->total.unit && *rs[0]->total.unit ? rs[0]->total.unit : "inference");
        const char *const tname[] = {"total cycles", "time µs", rate};
        for (int w = 0; w < 3; w++) {
            tab_row(&t);
            tab_cell(&t, "%s", tname[w]);
            tab_cell(&t, "%s", "");
            for (int k = 0; k < n; k++) {
                const npu_total_row *T = &rs[k]->total;
                if (w == 0)
                    tab_cell(&t, "%lld", (long long)T->cycles);
                else if (!isfinite(w == 1 ? T->time_us : T->items_per_s))
                    tab_cell(&t, "-");
                else
                    tab_cell(&t, "%.1f", w == 1 ? T->time_us : T->items_per_s);
            }
            tab_cell(&t, "%s", tlab ? tlab : "-");
        }
        npu_sb_printf(out, "graph %s:", nz(rs[0]->graph));
        for (int k = 0; k < n; k++) {
            npu_sb_printf(out, "%s %s (model %s", k ? "," : "", lab[k], nz(rs[k]->model));
            if (rs[k]->freq_mhz > 0)
                npu_sb_printf(out, ", %g MHz", rs[k]->freq_mhz);
            npu_sb_putc(out, ')');
        }
        npu_sb_puts(out, "\n\n");
        rc = tab_render(&t, out);
        tab_free(&t);
        free_names(names, (int)nrows);
        free(head);
        free(align);
        if (!rc)
            npu_sb_puts(
                out,
                "\nper-layer cycles in each architecture's own core clock; best = "
                "shortest time (cycles / clock); - = a tie, or a layer fused away (0 cycles: its "
                "time is in the layer it was fused into) on some architecture.\n");
    } else if (f == NPU_FMT_CSV) {
        npu_sb_puts(out, "kind,name,op");
        for (int k = 0; k < n; k++) {
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, lab[k]);
        }
        npu_sb_puts(out, ",best\n");
        for (size_t r = 0; r < nrows; r++) {
            npu_sb_puts(out, "layer,");
            npu_rep_csv_str(out, rows[r].name);
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, rows[r].op);
            for (int k = 0; k < n; k++) {
                npu_sb_putc(out, ',');
                if (rows[r].idx[k] >= 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->layers[rows[r].idx[k]].cycles);
            }
            npu_sb_putc(out, ',');
            if (best[r] >= 0)
                npu_rep_csv_str(out, lab[best[r]]);
            npu_sb_putc(out, '\n');
        }
        static const char *const tname[] = {"cycles", "time_us", "fps"};
        for (int w = 0; w < 3; w++) {
            npu_sb_printf(out, "total,%s,", tname[w]);
            for (int k = 0; k < n; k++) {
                npu_sb_putc(out, ',');
                if (w == 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->total.cycles);
                else
                    npu_rep_csv_num(out, w == 1 ? rs[k]->total.time_us : rs[k]->total.fps);
            }
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, tlab);
            npu_sb_putc(out, '\n');
        }
    } else if (f == NPU_FMT_JSON) {
        npu_sb_puts(out, "{\n  \"schema\": \"npusim.compare/1\",\n  \"graph\": ");
        npu_rep_json_str(out, rs[0]->graph);
        npu_sb_puts(out, ",\n  \"archs\": [");
        for (int k = 0; k < n; k++) {
            if (k)
                npu_sb_puts(out, ", ");
            npu_sb_puts(out, "{\"label\": ");
            npu_rep_json_str(out, lab[k]);
            npu_sb_puts(out, ", \"arch\": ");
            npu_rep_json_str(out, rs[k]->arch);
            npu_sb_puts(out, ", \"model\": ");
            npu_rep_json_str(out, rs[k]->model);
            npu_sb_puts(out, ", \"freq_mhz\": ");
            json_num_prec(out, rs[k]->freq_mhz, 15);
            npu_sb_putc(out, '}');
        }
        npu_sb_puts(out, "],\n  \"total\": {");
        static const char *const tname[] = {"cycles", "time_us", "fps"};
        for (int w = 0; w < 3; w++) {
            npu_sb_printf(out, "\"%s\": {", tname[w]);
            for (int k = 0; k < n; k++) {
                if (k)
                    npu_sb_puts(out, ", ");
                npu_rep_json_str(out, lab[k]);
                npu_sb_puts(out, ": ");
                if (w == 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->total.cycles);
                else
                    npu_rep_json_num(out, w == 1 ? rs[k]->total.time_us : rs[k]->total.fps);
            }
            npu_sb_puts(out, "}, ");
        }
        npu_sb_puts(out, "\"best\": ");
        npu_rep_json_str(out, tlab);
        npu_sb_puts(out, "},\n  \"layers\": [");
        for (size_t r = 0; r < nrows; r++) {
            npu_sb_puts(out, r ? ",\n    {\"name\": " : "\n    {\"name\": ");
            npu_rep_json_str(out, rows[r].name);
            npu_sb_puts(out, ", \"op\": ");
            npu_rep_json_str(out, rows[r].op);
            npu_sb_puts(out, ", \"cycles\": {");
            for (int k = 0; k < n; k++) {
                if (k)
                    npu_sb_puts(out, ", ");
                npu_rep_json_str(out, lab[k]);
                npu_sb_puts(out, ": ");
                if (rows[r].idx[k] >= 0)
                    npu_sb_printf(out, "%lld", (long long)rs[k]->layers[rows[r].idx[k]].cycles);
                else
                    npu_sb_puts(out, "null");
            }
            npu_sb_puts(out, "}, \"best\": ");
            npu_rep_json_str(out, best[r] >= 0 ? lab[best[r]] : NULL);
            npu_sb_putc(out, '}');
        }
        npu_sb_puts(out, nrows ? "\n  ]\n}\n" : "]\n}\n");
    } else {
        rc = NPU_EINVAL;
    }
done:
    npu_rep_cmp_free(&c);
    if (!rc && out->oom)
        rc = NPU_ENOMEM;
    return rc;
}

/* ---- graph summary (npusim info) ------------------------------------------------------------ */

static void shape_str(const npu_graph *g, int ti, char *buf, size_t n)
{
    if (ti < 0 || ti >= g->nt) {
        snprintf(buf, n, "?");
        return;
    }
    const npu_tensor *t = &g->t[ti];
    if (!t->shape_known) {
        snprintf(buf, n, "?");
        return;
    }
    if (t->ndim == 0) {
        snprintf(buf, n, "scalar");
        return;
    }
    size_t len = 0;
    buf[0] = 0;
    for (int d = 0; d < t->ndim && d < NPU_MAX_DIMS && len < n; d++) {
        int w = snprintf(buf + len, n - len, "%s%lld", d ? "x" : "", (long long)t->dim[d]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* The shape as a JSON array of dims ([] for a scalar, null when not inferred). */
static void shape_json(const npu_graph *g, int ti, npu_strbuf *out)
{
    if (ti < 0 || ti >= g->nt || !g->t[ti].shape_known) {
        npu_sb_puts(out, "null");
        return;
    }
    const npu_tensor *t = &g->t[ti];
    npu_sb_putc(out, '[');
    for (int d = 0; d < t->ndim && d < NPU_MAX_DIMS; d++)
        npu_sb_printf(out, "%s%lld", d ? ", " : "", (long long)t->dim[d]);
    npu_sb_putc(out, ']');
}

static const char *layer_op(const npu_layer *l)
{
    if ((l->flags & NPU_LF_HOST) && l->src_op && *l->src_op)
        return l->src_op;
    return npu_op_name(l->op);
}

/* Notes a newcomer wants to see: fused activation, views, host fallback, BN folding. */
static void layer_notes(const npu_layer *l, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
#define NOTE(...)                                                                              \
    do {                                                                                       \
        if (len < n) {                                                                         \
            int w_ = snprintf(buf + len, n - len, "%s", len ? " " : "");                       \
            if (w_ > 0)                                                                        \
                len += (size_t)w_;                                                             \
        }                                                                                      \
        if (len < n) {                                                                         \
            int w_ = snprintf(buf + len, n - len, __VA_ARGS__);                                \
            if (w_ > 0)                                                                        \
                len += (size_t)w_;                                                             \
        }                                                                                      \
    } while (0)
    if (l->act != NPU_ACT_NONE)
        NOTE("+%s", npu_act_name(l->act));
    if (l->flags & NPU_LF_BN_FOLDED)
        NOTE("bn-folded");
    if (l->flags & NPU_LF_VIEW)
        NOTE("view");
    if (l->flags & NPU_LF_HOST)
        NOTE("host");
    if (l->flags & NPU_LF_INSERTED)
        NOTE("inserted");
#undef NOTE
}

typedef struct op_count {
    const char *op;
    long n;
} op_count;

static int op_count_cmp(const void *a, const void *b)
{
    const op_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->op, y->op);
}

static void io_list_json(const npu_graph *g, const int *ts, int nts, npu_strbuf *out)
{
    npu_sb_putc(out, '[');
    for (int i = 0; i < nts; i++) {
        int ti = ts[i];
        if (i)
            npu_sb_puts(out, ", ");
        npu_sb_puts(out, "{\"name\": ");
        npu_rep_json_str(out, ti >= 0 && ti < g->nt ? g->t[ti].name : NULL);
        npu_sb_puts(out, ", \"shape\": ");
        shape_json(g, ti, out);
        npu_sb_puts(out, ", \"dtype\": ");
        npu_rep_json_str(out, ti >= 0 && ti < g->nt ? npu_dtype_name(g->t[ti].dtype) : NULL);
        npu_sb_putc(out, '}');
    }
    npu_sb_putc(out, ']');
}

static int report_graph(const npu_graph *g, npu_format f, npu_strbuf *out)
{
    if (!g || !out || g->nl < 0 || (g->nl > 0 && !g->l))
        return NPU_EINVAL;
    op_count *ops = npu_calloc((size_t)g->nl + 1, sizeof *ops);
    if (!ops)
        return NPU_ENOMEM;
    int nops = 0, live = 0;
    int64_t macs = 0, params = 0;
    for (int i = 0; i < g->nl; i++) {
        const npu_layer *l = &g->l[i];
        if (l->flags & NPU_LF_DEAD)
            continue;
        live++;
        macs += l->macs;
        params += l->params;
        const char *op = layer_op(l);
        if (!op)
            op = "?";
        int j = 0;
        while (j < nops && strcmp(ops[j].op, op) != 0)
            j++;
        if (j == nops) {
            ops[nops].op = op;
            ops[nops++].n = 0;
        }
        ops[j].n++;
    }
    qsort(ops, (size_t)nops, sizeof *ops, op_count_cmp);

    char shape[256], notes[128], b1[32], b2[32];
    int rc = NPU_OK;
    if (f == NPU_FMT_TABLE) {
        static const char *const head[] = {"#",   "name", "op",     "output",
                                           "dtype", "MACs", "params", "notes"};
        tab t;
        tab_init(&t, 8, head, "rllllrrl");
        int k = 0;
        char **names = short_col(g->l, sizeof *g->l, offsetof(npu_layer, name), g->nl, 32);
        t.oom |= !names;
        for (int i = 0; i < g->nl && names; i++) {
            const npu_layer *l = &g->l[i];
            if (l->flags & NPU_LF_DEAD)
                continue;
            tab_row(&t);
            tab_cell(&t, "%d", k++);
            tab_cell(&t, "%s", names[i]);
            tab_cell_str(&t, layer_op(l), 14);
            shape_str(g, l->nout > 0 ? l->out[0] : -1, shape, sizeof shape);
            tab_cell(&t, "%s", shape);
            tab_cell(&t, "%s", npu_dtype_name(l->dtype));
            h_count(b1, sizeof b1, (double)l->macs);
            tab_cell(&t, "%s", b1);
            h_count(b2, sizeof b2, (double)l->params);
            tab_cell(&t, "%s", b2);
            layer_notes(l, notes, sizeof notes);
            tab_cell(&t, "%s", notes);
        }
        tab_hrule(&t);
        tab_row(&t);
        tab_cell(&t, "%s", "");
        tab_cell(&t, "total (%d layers)", live);
        tab_cell(&t, "%s", "");
        tab_cell(&t, "%s", "");
        tab_cell(&t, "%s", "");
        h_count(b1, sizeof b1, (double)macs);
        tab_cell(&t, "%s", b1);
        h_count(b2, sizeof b2, (double)params);
        tab_cell(&t, "%s", b2);
        npu_sb_printf(out, "graph %s", nz(g->name));
        if (g->file && *g->file)
            npu_sb_printf(out, " (%s)", g->file);
        npu_sb_puts(out, "\ninputs: ");
        for (int i = 0; i < g->ninputs; i++) {
            int ti = g->inputs[i];
            shape_str(g, ti, shape, sizeof shape);
            npu_sb_printf(out, "%s%s %s %s", i ? ", " : "",
                          ti >= 0 && ti < g->nt ? nz(g->t[ti].name) : "?", shape,
                          ti >= 0 && ti < g->nt ? npu_dtype_name(g->t[ti].dtype) : "?");
        }
        npu_sb_puts(out, "\noutputs: ");
        for (int i = 0; i < g->noutputs; i++) {
            int ti = g->outputs[i];
            shape_str(g, ti, shape, sizeof shape);
            npu_sb_printf(out, "%s%s %s", i ? ", " : "",
                          ti >= 0 && ti < g->nt ? nz(g->t[ti].name) : "?", shape);
        }
        /* what one run produces, in the unit the run summary's rate counts (issue 11) */
        npu_graph_work w;
        npu_graph_work_of(g, &w);
        npu_sb_printf(out, "\nbatch: %lld (%lld %s%s per run)", (long long)w.batch,
                      (long long)w.items, w.unit, w.items == 1 ? "" : "s");
        npu_sb_puts(out, "\n\n");
        rc = tab_render(&t, out);
        tab_free(&t);
        free_names(names, g->nl);
        npu_sb_printf(out, "\n%lld MACs, %lld parameters\nops:", (long long)macs,
                      (long long)params);
        for (int j = 0; j < nops; j++)
            npu_sb_printf(out, "%s %s %ld", j ? "," : "", ops[j].op, ops[j].n);
        npu_sb_putc(out, '\n');
    } else if (f == NPU_FMT_CSV) {
        npu_sb_puts(out, "index,name,op,act,output,dtype,macs,params,notes\n");
        int k = 0;
        for (int i = 0; i < g->nl; i++) {
            const npu_layer *l = &g->l[i];
            if (l->flags & NPU_LF_DEAD)
                continue;
            npu_sb_printf(out, "%d,", k++);
            npu_rep_csv_str(out, l->name);
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, layer_op(l));
            npu_sb_putc(out, ',');
            npu_rep_csv_str(out, npu_act_name(l->act));
            shape_str(g, l->nout > 0 ? l->out[0] : -1, shape, sizeof shape);
            npu_sb_printf(out, ",%s,%s,%lld,%lld,", shape, npu_dtype_name(l->dtype),
                          (long long)l->macs, (long long)l->params);
            layer_notes(l, notes, sizeof notes);
            npu_rep_csv_str(out, notes);
            npu_sb_putc(out, '\n');
        }
    } else if (f == NPU_FMT_JSON) {
        npu_sb_puts(out, "{\n  \"schema\": \"npusim.graph/1\",\n  \"graph\": ");
        npu_rep_json_str(out, g->name);
        npu_sb_puts(out, ",\n  \"inputs\": ");
        io_list_json(g, g->inputs, g->ninputs, out);
        npu_sb_puts(out, ",\n  \"outputs\": ");
        io_list_json(g, g->outputs, g->noutputs, out);
        npu_graph_work w;
        npu_graph_work_of(g, &w);
        npu_sb_printf(out,
                      ",\n  \"total\": {\"layers\": %d, \"macs\": %lld, \"params\": %lld, "
                      "\"batch\": %lld, \"items\": %lld, \"unit\": ",
                      live, (long long)macs, (long long)params, (long long)w.batch,
                      (long long)w.items);
        npu_rep_json_str(out, w.unit);
        npu_sb_putc(out, '}');
        npu_sb_puts(out, ",\n  \"ops\": {");
        for (int j = 0; j < nops; j++) {
            if (j)
                npu_sb_puts(out, ", ");
            npu_rep_json_str(out, ops[j].op);
            npu_sb_printf(out, ": %ld", ops[j].n);
        }
        npu_sb_puts(out, "},\n  \"layers\": [");
        int k = 0;
        for (int i = 0; i < g->nl; i++) {
            const npu_layer *l = &g->l[i];
            if (l->flags & NPU_LF_DEAD)
                continue;
            npu_sb_printf(out, "%s{\"index\": %d, \"name\": ", k ? ",\n    " : "\n    ", k);
            k++;
            npu_rep_json_str(out, l->name);
            npu_sb_puts(out, ", \"op\": ");
            npu_rep_json_str(out, layer_op(l));
            npu_sb_puts(out, ", \"act\": ");
            npu_rep_json_str(out, npu_act_name(l->act));
            npu_sb_puts(out, ", \"output\": ");
            shape_json(g, l->nout > 0 ? l->out[0] : -1, out);
            npu_sb_puts(out, ", \"dtype\": ");
            npu_rep_json_str(out, npu_dtype_name(l->dtype));
            npu_sb_printf(out, ", \"macs\": %lld, \"params\": %lld, \"notes\": ",
                          (long long)l->macs, (long long)l->params);
            layer_notes(l, notes, sizeof notes);
            npu_rep_json_str(out, notes);
            npu_sb_putc(out, '}');
        }
        npu_sb_puts(out, k ? "\n  ]\n}\n" : "]\n}\n");
    } else {
        rc = NPU_EINVAL;
    }
    free(ops);
    if (!rc && out->oom)
        rc = NPU_ENOMEM;
    return rc;
}

int npu_report_compare(const npu_result *const *rs, int n, npu_format f, npu_strbuf *out)
{
    size_t at = out ? out->len : 0;
    int rc = report_compare(rs, n, f, out);
    if (out && f == NPU_FMT_TABLE)
        sanitize_from(out, at);
    return rc;
}

int npu_report_graph(const npu_graph *g, npu_format f, npu_strbuf *out)
{
    size_t at = out ? out->len : 0;
    int rc = report_graph(g, f, out);
    if (out && f == NPU_FMT_TABLE)
        sanitize_from(out, at);
    return rc;
}
