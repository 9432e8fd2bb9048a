/* base.h — the plain values every layer shares with the public API (prefix npu_): status
 * codes, errors (npu_err) and growable string buffers (npu_strbuf).
 *
 * Installed with sim/npusim.h (as <npusim/core/base.h>): these are the only structs a program
 * using the library sees, because it allocates them itself (`npu_err err = {0};`, an
 * npu_strbuf on its stack). Everything else is behind a handle (npusim.h). The rest of the
 * core's utilities are in ctx.h.
 */
#ifndef NPU_BASE_H
#define NPU_BASE_H

#include <stdarg.h>
#include <stddef.h>

/* The library version (the project VERSION of CMakeLists.txt; results and JSON carry it). */
#define NPUSIM_VERSION "0.1.0"

/* Status codes. 0 is success; every failing function returns one of these and fills its
 * npu_err argument (when not NULL). */
typedef enum npu_status {
    NPU_OK = 0,
    NPU_EINVAL,       /* bad argument or parameter value                       */
    NPU_ENOMEM,       /* allocation failed                                     */
    NPU_EIO,          /* file could not be opened, read or written             */
    NPU_EFORMAT,      /* malformed input file (message names file:line:col)    */
    NPU_EUNSUPPORTED, /* valid input that this model/front end cannot handle   */
    NPU_ESIM,         /* the simulation failed (deadlock, invariant)           */
    NPU_EEXIST,       /* output file exists and --force was not given          */
    NPU_EINTR         /* interrupted (Ctrl-C during a sweep)                   */
} npu_status;

/* Output formats of the report writers (npusim.h and sim/report/report.h). */
typedef enum npu_format { NPU_FMT_TABLE = 0, NPU_FMT_CSV, NPU_FMT_JSON } npu_format;

#define NPU_ERR_MSG 1024

/* An error: code plus a human message "file:line:col: what". */
typedef struct npu_err {
    int code;
    char msg[NPU_ERR_MSG];
} npu_err;

/* Sets *err (if err is not NULL) and returns code, so callers can write
 *   return npu_err_set(err, NPU_EINVAL, "%s: unknown key '%s'", file, key); */
int npu_err_set(npu_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int npu_err_setv(npu_err *err, int code, const char *fmt, va_list ap);
/* Prefixes the message already in err with "prefix: " (used to add file names on the way up). */
void npu_err_prefix(npu_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void npu_err_clear(npu_err *err);
const char *npu_status_name(int code);

/* ---- growable string buffer ---------------------------------------------------------- */
typedef struct npu_strbuf {
    char *s;     /* always NUL-terminated once anything was appended (or after init) */
    size_t len;
    size_t cap;
    int oom;     /* set when an allocation failed; further appends are ignored */
} npu_strbuf;

void npu_sb_init(npu_strbuf *sb);
void npu_sb_free(npu_strbuf *sb);
void npu_sb_putc(npu_strbuf *sb, char c);
void npu_sb_puts(npu_strbuf *sb, const char *s);
void npu_sb_putn(npu_strbuf *sb, const char *s, size_t n);
void npu_sb_printf(npu_strbuf *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Returns the string and gives up ownership (caller frees); "" never NULL unless oom. */
char *npu_sb_take(npu_strbuf *sb);

#endif
