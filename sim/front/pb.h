/* pb.h — a minimal, bounds-checked reader for the protobuf wire format (prefix npu_pb_).
 *
 * Written for the ONNX importer: it walks a message held in memory (typically a memory-mapped
 * file) field by field without copying anything. Length-delimited payloads (strings, nested
 * messages, packed arrays, raw tensor bytes) are returned as a pointer + length into the
 * caller's buffer, so a 500 MB weight blob is skipped by moving a pointer, never touched.
 *
 * Every read checks the remaining length first; a truncated varint, a length running past the
 * end of its enclosing message, a group wire type or an unknown wire type makes the reader
 * return -1 with the offset of the bad byte, never read out of bounds.
 */
#ifndef NPU_PB_H
#define NPU_PB_H

#include <stddef.h>
#include <stdint.h>

/* Wire types (protobuf encoding spec). Groups (3, 4) are deprecated and rejected. */
enum { NPU_PB_VARINT = 0, NPU_PB_I64 = 1, NPU_PB_LEN = 2, NPU_PB_I32 = 5 };

/* A cursor over one message: [p, end). `base` is the start of the whole buffer, only used to
 * report offsets in error messages. */
typedef struct npu_pb {
    const uint8_t *p, *end, *base;
} npu_pb;

/* One field. For VARINT/I64/I32 the value is in `v` (I32/I64 raw little-endian bits). For LEN,
 * `data`/`len` point into the buffer. */
typedef struct npu_pb_field {
    uint32_t num;
    int wt;
    uint64_t v;
    const uint8_t *data;
    size_t len;
} npu_pb_field;

/* A cursor over a whole buffer. */
void npu_pb_init(npu_pb *r, const void *data, size_t len);
/* A cursor over a LEN field's payload (a nested message); `base` is the start of the whole
 * buffer the field was read from (for error offsets). */
npu_pb npu_pb_sub(const uint8_t *base, const npu_pb_field *f);

/* Reads the next field. Returns 1 and fills *f, 0 at the end of the message, -1 when the bytes
 * are malformed (then *off is the offset from `base` where the problem is). */
int npu_pb_next(npu_pb *r, npu_pb_field *f, size_t *off);

/* Decodes one varint from [*p, end), advancing *p. Returns 0 or -1 (truncated / longer than
 * 10 bytes). */
int npu_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* Repeated scalar fields come either packed (one LEN field holding many values) or unpacked
 * (one field per value). These helpers count and read both forms for field f:
 * npu_pb_count_* returns the number of values in f (1 for an unpacked value, n for a packed
 * array) or -1 when a packed payload is malformed. */
long npu_pb_count_varints(const npu_pb_field *f);
/* Reads up to max varints from f into out; returns how many were read or -1. */
long npu_pb_read_varints(const npu_pb_field *f, int64_t *out, long max);
/* Fixed-width (float = 4, double = 8 bytes) repeated values: count and read. A packed payload
 * whose length is not a multiple of the width is malformed (-1). */
long npu_pb_count_fixed(const npu_pb_field *f, int width);
long npu_pb_read_floats(const npu_pb_field *f, double *out, long max);  /* width 4 (float) */
long npu_pb_read_doubles(const npu_pb_field *f, double *out, long max); /* width 8 */

/* Little-endian helpers for raw tensor bytes (no alignment assumptions). */
uint32_t npu_pb_le32(const uint8_t *p);
uint64_t npu_pb_le64(const uint8_t *p);
double npu_pb_f32(uint32_t bits);
double npu_pb_f64(uint64_t bits);

/* ---- writing (the ONNX writer, onnxw.c) ----------------------------------------------------
 * Fields are appended to a string buffer. A nested message is built in its own buffer and
 * appended with npu_pb_put_bytes (protobuf needs the length before the payload). An
 * out-of-memory buffer stays marked (sb->oom) and the caller checks it once at the end. */
struct npu_strbuf;
void npu_pb_put_varint(struct npu_strbuf *sb, uint64_t v);
void npu_pb_put_int(struct npu_strbuf *sb, uint32_t num, int64_t v);        /* VARINT field */
void npu_pb_put_float(struct npu_strbuf *sb, uint32_t num, float v);        /* I32 field    */
void npu_pb_put_bytes(struct npu_strbuf *sb, uint32_t num, const void *data, size_t len);
void npu_pb_put_str(struct npu_strbuf *sb, uint32_t num, const char *s);     /* LEN field    */
/* A nested message built in m appended as a LEN field; m is freed and its oom carried over. */
void npu_pb_put_msg(struct npu_strbuf *sb, uint32_t num, struct npu_strbuf *m);
/* A packed repeated int64 field (one LEN field holding the varints). */
void npu_pb_put_packed(struct npu_strbuf *sb, uint32_t num, const int64_t *v, int n);

#endif
