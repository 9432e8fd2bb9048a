/* jsonr.h — a small JSON reader (prefix npu_jsonr_), internal to sim/report: what `npusim diff`
 * needs to read back the results npusim wrote. RFC 8259 values into a tree allocated in one
 * arena; depth limited to 64, values to 2^24; \uXXXX escapes decoded to UTF-8 (an unpaired
 * surrogate becomes U+FFFD, \u0000 is refused); numbers with strtod (at most 63 characters,
 * finite); a key twice in an object is refused; a leading UTF-8 byte-order mark is skipped.
 * A syntax error is NPU_EFORMAT with "FILE:LINE:COL: what".
 */
#ifndef NPU_JSONR_H
#define NPU_JSONR_H

#include <stddef.h>

#include "../core/ctx.h"

typedef enum npu_jtype { NPU_J_NULL, NPU_J_BOOL, NPU_J_NUM, NPU_J_STR, NPU_J_ARR, NPU_J_OBJ } npu_jtype;

typedef struct npu_jval npu_jval;
struct npu_jval {
    npu_jtype type;
    double num;      /* NUM, BOOL (0/1) */
    const char *str; /* STR (NUL-terminated; \u0000 is refused) */
    size_t n;        /* ARR, OBJ: number of items */
    npu_jval **item; /* ARR, OBJ: the items */
    const char **key; /* OBJ: the keys */
};

/* Parses text[0..len) into *out (in arena a). `file` names the text in messages. */
int npu_jsonr_parse(const char *text, size_t len, const char *file, npu_arena *a,
                    npu_jval **out, npu_err *err);
/* Member `key` of object o (the first one), or NULL (also when o is not an object). */
const npu_jval *npu_jsonr_get(const npu_jval *o, const char *key);
/* "an object", "a number" …: for messages. */
const char *npu_jsonr_type_name(npu_jtype t);

#endif
