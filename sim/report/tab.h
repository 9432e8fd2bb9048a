/* tab.h — aligned-column text tables and human units (prefix npu_tab_), internal to
 * sim/report. See tab.c. */
#ifndef NPU_TAB_H
#define NPU_TAB_H

#include <stddef.h>

#include "../core/ctx.h"

/* 3 significant digits with a suffix from suf[] (NULL-terminated), step between suffixes,
 * sep between number and suffix: 950, 45.6k, 118M, 1.23 GB. Non-finite → "-". */
void npu_tab_scaled(char *buf, size_t n, double v, const char *const *suf, double step,
                    const char *sep);
void npu_tab_count(char *buf, size_t n, double v); /* 45.6k, 118M            */
void npu_tab_bytes(char *buf, size_t n, double v); /* 0, 950 B, 1.23 MB       */
/* 100 × part / whole with `decimals` decimals; "-" when whole ≤ 0. */
void npu_tab_pct(char *buf, size_t n, double part, double whole, int decimals);

typedef struct npu_tab {
    int ncols;
    const char *const *head;
    const char *align; /* 'l' or 'r' per column */
    char **cell;       /* nrows × ncols, NULL cells in rule rows */
    char *rule;        /* per row: 1 = a horizontal rule */
    size_t nrows, crows, ccell, crule;
    int cur;           /* next column of the current row */
    int oom;
} npu_tab;

void npu_tab_init(npu_tab *t, int ncols, const char *const *head, const char *align);
void npu_tab_free(npu_tab *t);
void npu_tab_row(npu_tab *t);   /* starts a row; cells fill it left to right */
void npu_tab_hrule(npu_tab *t); /* a horizontal rule row                     */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void npu_tab_cell(npu_tab *t, const char *fmt, ...);
/* A string cell shortened to at most max columns ("-" for NULL or empty). */
void npu_tab_cell_str(npu_tab *t, const char *s, int max);
/* Appends the table (header, rule, rows) to sb. NPU_ENOMEM when a cell could not be stored. */
int npu_tab_render(npu_tab *t, npu_strbuf *sb);
/* The `const char *` member at offset off of n records of `stride` bytes, shortened to max
 * columns such that distinct names stay distinct; n new strings (npu_tab_free_names) or NULL. */
char **npu_tab_short_col(const void *base, size_t stride, size_t off, int n, int max);
/* The same with another cut mark than "~" (charts: "…"; one column wide). */
char **npu_tab_short_mark(const void *base, size_t stride, size_t off, int n, int max,
                          const char *mark);
void npu_tab_free_names(char **sv, int n);
/* Sanitizes the table text appended to sb from offset at (control bytes → '?'). */
void npu_tab_sanitize_from(npu_strbuf *sb, size_t at);
/* The same for a NUL-terminated message for stderr, in place (newlines and tabs kept). */
void npu_tab_sanitize_msg(char *s);

#endif
