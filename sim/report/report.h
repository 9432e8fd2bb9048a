/* report.h — internal helpers of sim/report shared with traces/ (prefix npu_rep_).
 *
 * The public report functions (npu_report_write, npu_report_compare, npu_report_graph,
 * npu_format_parse) are declared in sim/npusim.h. What is here is the small set of
 * output primitives every writer needs so that CSV, JSON, tables and traces quote and format
 * values the same way, byte for byte, on every machine:
 *   - JSON strings: escaped per RFC 8259; invalid UTF-8 bytes become U+FFFD so the output is
 *     always valid JSON whatever a layer name contains;
 *   - CSV fields: RFC 4180 quoting when a field holds a comma, quote, CR/LF or edge spaces;
 *   - numbers: integers exactly; reals with "%.9g" (non-finite → JSON null / empty CSV field);
 *     the C library is never switched to another locale by npusim, so '.' is the decimal point.
 */
#ifndef NPU_REPORT_H
#define NPU_REPORT_H

#include <stdint.h>

#include "../core/ctx.h"

/* Appends s as a JSON string literal (with the quotes). NULL → null. */
void npu_rep_json_str(npu_strbuf *sb, const char *s);
/* Appends a real as JSON (%.9g; NaN/inf → null). */
void npu_rep_json_num(npu_strbuf *sb, double v);
/* Appends s as one CSV field (quoted only when needed). NULL → empty. */
void npu_rep_csv_str(npu_strbuf *sb, const char *s);
/* Appends a real for CSV (%.9g; NaN/inf → empty field). */
void npu_rep_csv_num(npu_strbuf *sb, double v);
/* Display width of a UTF-8 string (code points; every one counts as one column). */
int npu_rep_width(const char *s);

#endif
