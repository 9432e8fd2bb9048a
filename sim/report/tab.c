/* tab.c — aligned-column text tables and human units for them (prefix npu_tab_): the one
 * table renderer of sim/report (run, compare, info, summaries, diff).
 *
 * A table goes to a terminal, so every cell is sanitized (control characters and bytes that
 * are not UTF-8 become '?'); long names are shortened keeping both ends and stay distinct.
 * Human units: k/M/G counts, kB/MB/GB bytes with 1 kB = 1000 B, 3 significant digits.
 */
#include "tab.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* ---- human units for tables -------------------------------------------------------------- */

/* 3 significant digits with a suffix: 950, 45.6k, 118M, 1.23G. */
void npu_tab_scaled(char *buf, size_t n, double v, const char *const *suf, double step,
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

void npu_tab_count(char *buf, size_t n, double v)
{
    static const char *const suf[] = {"", "k", "M", "G", "T", "P", NULL};
    npu_tab_scaled(buf, n, v, suf, 1000.0, "");
}

void npu_tab_bytes(char *buf, size_t n, double v)
{
    static const char *const suf[] = {"B", "kB", "MB", "GB", "TB", "PB", NULL};
    if (v == 0) {
        snprintf(buf, n, "0");
        return;
    }
    npu_tab_scaled(buf, n, v, suf, 1000.0, " ");
}

void npu_tab_pct(char *buf, size_t n, double part, double whole, int decimals)
{
    if (!(whole > 0) || !isfinite(part))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*f", decimals, 100.0 * part / whole);
}

/* ---- a small aligned-column table ------------------------------------------------------------ */


void npu_tab_init(npu_tab *t, int ncols, const char *const *head, const char *align)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->head = head;
    t->align = align;
}

void npu_tab_free(npu_tab *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t->rule);
}

static int tab_newrow(npu_tab *t, int rule)
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

void npu_tab_row(npu_tab *t) { tab_newrow(t, 0); }
void npu_tab_hrule(npu_tab *t) { tab_newrow(t, 1); }

/* A table goes to a terminal: a layer or graph name from a file must not be able to move the
 * cursor, retitle the window or hide text (every table-format output passes through here: its
 * cells, and the whole text once more for the names in its headers). Control characters (C0, DEL, C1 as U+0080..U+009F)
 * and bytes that are not valid UTF-8 (a lone 0x9B is CSI to some terminals) become '?', in
 * place; valid UTF-8 text is kept. CSV and JSON carry names unchanged (quoted/escaped). */
static void sanitize_text(char *s, int keep_newline)
{
    unsigned char *p = (unsigned char *)s, *end = p + strlen(s);
    while (p < end) {
        if (keep_newline && (*p == '\n' || (keep_newline > 1 && *p == '\t'))) {
            p++;
            continue;
        }
        /* UTF-8 validity is the report's one rule (npu_rep_utf8_len: no overlong forms, no
         * surrogates, nothing past U+10FFFF), the rule by which CSV and JSON replace bytes */
        int n = npu_rep_utf8_len(p, (size_t)(end - p));
        if (n == 1 && (*p < 0x20 || *p == 0x7F))
            n = 0;
        if (n == 2 && *p == 0xC2 && p[1] < 0xA0) /* U+0080..U+009F */
            n = 0;
        if (n == 0) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

/* A message for standard error, sanitized as above (newlines and tabs kept): an error naming a
 * layer of a hostile file must not retitle the terminal either. */
void npu_tab_sanitize_msg(char *s) { sanitize_text(s, 2); }

/* The table text appended to sb from offset `at`, sanitized as above (newlines kept). */
void npu_tab_sanitize_from(npu_strbuf *sb, size_t at)
{
    if (sb->s && !sb->oom && at < sb->len)
        sanitize_text(sb->s + at, 1);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void npu_tab_cell(npu_tab *t, const char *fmt, ...)
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
 * the mark (one column: "~" in tables, "…" in charts) and the last `tail` ("long_layer_n~me"
 * keeps both ends); s itself when it fits. NULL when out of memory. */
static char *shorten(const char *s, int max, int tail, const char *mark)
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
    size_t hn = (size_t)(p - s), tn = strlen(q), mn = strlen(mark);
    char *r = npu_malloc(hn + mn + tn + 1);
    if (r) {
        memcpy(r, s, hn);
        memcpy(r + hn, mark, mn);
        memcpy(r + hn + mn, q, tn + 1);
    }
    return r;
}

/* A string cell shortened to at most `max` columns (shorten, a third of it for the tail). */
void npu_tab_cell_str(npu_tab *t, const char *s, int max)
{
    if (!s || !*s) {
        npu_tab_cell(t, "-");
        return;
    }
    char *c = shorten(s, max, (max - 1) / 3, "~");
    if (!c) {
        t->oom = 1;
        return;
    }
    npu_tab_cell(t, "%s", c);
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

void npu_tab_free_names(char **sv, int n)
{
    for (int i = 0; sv && i < n; i++)
        free(sv[i]);
    free(sv);
}

/* The name column of a table: names[i] shortened to `max` columns such that distinct names
 * stay distinct (issue 11). Names that shorten alike keep a longer tail (the part that tells
 * "blocks.3.attn.q_proj" from "blocks.4...") until they differ; if no split of head and tail
 * separates them, the shortened name ends in "#i", its row. Returns n new strings or NULL. */
static char **short_names(const char *const *names, int n, int max, const char *mark)
{
    char **sv = npu_calloc((size_t)n + 1, sizeof *sv);
    sname *sn = npu_malloc(((size_t)n + 1) * sizeof *sn);
    int ok = sv && sn;
    for (int i = 0; ok && i < n; i++) {
        ok = (sv[i] = shorten(name_or_dash(names[i]), max, (max - 1) / 3, mark)) != NULL;
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
                ok = (sv[r] = shorten(name_or_dash(names[r]), max, tail, mark)) != NULL;
            }
            distinct = true;
            for (int i = a; ok && i < b && distinct; i++)
                for (int j = i + 1; j < b && distinct; j++)
                    distinct = strcmp(sv[sn[i].row], sv[sn[j].row]) != 0 ||
                               strcmp(name_or_dash(names[sn[i].row]),
                                      name_or_dash(names[sn[j].row])) == 0;
        }
        /* no split of head and tail separates them: "head~#ROW" does (the mark, then #ROW) */
        for (int i = a; ok && !distinct && i < b; i++) {
            int row = sn[i].row;
            char num[24];
            int k = snprintf(num, sizeof num, "#%d", row);
            char *h = shorten(name_or_dash(names[row]), max - k, 0, mark);
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
        npu_tab_free_names(sv, n);
        return NULL;
    }
    return sv;
}

/* short_names of the `const char *` member at offset `off` of n records of `stride` bytes. */
char **npu_tab_short_mark(const void *base, size_t stride, size_t off, int n, int max,
                          const char *mark)
{
    const char **nm = npu_malloc(((size_t)n + 1) * sizeof *nm);
    if (!nm)
        return NULL;
    for (int i = 0; i < n; i++)
        memcpy(&nm[i], (const char *)base + (size_t)i * stride + off, sizeof nm[i]);
    char **sv = short_names(nm, n, max, mark);
    free(nm);
    return sv;
}

char **npu_tab_short_col(const void *base, size_t stride, size_t off, int n, int max)
{
    return npu_tab_short_mark(base, stride, off, n, max, "~");
}

static void pad(npu_strbuf *sb, int n)
{
    for (int i = 0; i < n; i++)
        npu_sb_putc(sb, ' ');
}

int npu_tab_render(npu_tab *t, npu_strbuf *sb)
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
