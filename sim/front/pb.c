/* pb.c — bounds-checked protobuf wire-format reader (see pb.h).
 *
 * Encoding facts used (protobuf "Encoding" documentation): a field starts with a varint key
 * (field_number << 3 | wire_type); varints are little-endian base-128 with at most 10 bytes
 * for 64 bits; LEN fields are a varint length followed by that many bytes; I32/I64 are 4/8
 * little-endian bytes. Field number 0 is invalid.
 */
#include "pb.h"

#include <string.h>

#include "../core/ctx.h"

void npu_pb_init(npu_pb *r, const void *data, size_t len)
{
    r->base = (const uint8_t *)data;
    r->p = r->base;
    r->end = r->base + len;
}

npu_pb npu_pb_sub(const uint8_t *base, const npu_pb_field *f)
{
    npu_pb r;
    r.base = base;
    r.p = f->data;
    r.end = f->data + f->len;
    return r;
}

int npu_pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && (b & 0x7e))
            return -1; /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

int npu_pb_next(npu_pb *r, npu_pb_field *f, size_t *off)
{
    if (r->p >= r->end)
        return 0;
    const uint8_t *start = r->p;
    uint64_t key;
    if (npu_pb_varint(&r->p, r->end, &key) != 0 || key >> 32 || (key >> 3) == 0)
        goto bad;
    f->num = (uint32_t)(key >> 3);
    f->wt = (int)(key & 7);
    f->data = NULL;
    f->len = 0;
    f->v = 0;
    switch (f->wt) {
    case NPU_PB_VARINT:
        if (npu_pb_varint(&r->p, r->end, &f->v) != 0)
            goto bad;
        return 1;
    case NPU_PB_I64:
        if (r->end - r->p < 8)
            goto bad;
        f->v = npu_pb_le64(r->p);
        r->p += 8;
        return 1;
    case NPU_PB_I32:
        if (r->end - r->p < 4)
            goto bad;
        f->v = npu_pb_le32(r->p);
        r->p += 4;
        return 1;
    case NPU_PB_LEN: {
        uint64_t n;
        if (npu_pb_varint(&r->p, r->end, &n) != 0)
            goto bad;
        if (n > (uint64_t)(r->end - r->p))
            goto bad;
        f->data = r->p;
        f->len = (size_t)n;
        r->p += n;
        return 1;
    }
    default:
        goto bad;
    }
bad:
    if (off)
        *off = (size_t)(start - r->base);
    r->p = r->end; /* a malformed message stays malformed */
    return -1;
}

long npu_pb_count_varints(const npu_pb_field *f)
{
    if (f->wt == NPU_PB_VARINT)
        return 1;
    if (f->wt != NPU_PB_LEN)
        return -1;
    long n = 0;
    const uint8_t *p = f->data, *end = f->data + f->len;
    while (p < end) {
        uint64_t v;
        if (npu_pb_varint(&p, end, &v) != 0)
            return -1;
        n++;
    }
    return n;
}

long npu_pb_read_varints(const npu_pb_field *f, int64_t *out, long max)
{
    if (f->wt == NPU_PB_VARINT) {
        if (max < 1)
            return 0;
        out[0] = (int64_t)f->v;
        return 1;
    }
    if (f->wt != NPU_PB_LEN)
        return -1;
    long n = 0;
    const uint8_t *p = f->data, *end = f->data + f->len;
    while (p < end && n < max) {
        uint64_t v;
        if (npu_pb_varint(&p, end, &v) != 0)
            return -1;
        out[n++] = (int64_t)v;
    }
    return n;
}

long npu_pb_count_fixed(const npu_pb_field *f, int width)
{
    if ((width == 4 && f->wt == NPU_PB_I32) || (width == 8 && f->wt == NPU_PB_I64))
        return 1;
    if (f->wt != NPU_PB_LEN || f->len % (size_t)width)
        return -1;
    return (long)(f->len / (size_t)width);
}

long npu_pb_read_floats(const npu_pb_field *f, double *out, long max)
{
    long n = npu_pb_count_fixed(f, 4);
    if (n < 0)
        return -1;
    if (n > max)
        n = max;
    if (f->wt == NPU_PB_I32) {
        if (n)
            out[0] = npu_pb_f32((uint32_t)f->v);
        return n;
    }
    for (long i = 0; i < n; i++)
        out[i] = npu_pb_f32(npu_pb_le32(f->data + 4 * i));
    return n;
}

long npu_pb_read_doubles(const npu_pb_field *f, double *out, long max)
{
    long n = npu_pb_count_fixed(f, 8);
    if (n < 0)
        return -1;
    if (n > max)
        n = max;
    if (f->wt == NPU_PB_I64) {
        if (n)
            out[0] = npu_pb_f64(f->v);
        return n;
    }
    for (long i = 0; i < n; i++)
        out[i] = npu_pb_f64(npu_pb_le64(f->data + 8 * i));
    return n;
}

uint32_t npu_pb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t npu_pb_le64(const uint8_t *p)
{
    return (uint64_t)npu_pb_le32(p) | (uint64_t)npu_pb_le32(p + 4) << 32;
}

double npu_pb_f32(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return (double)f;
}

double npu_pb_f64(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* ---- writing ------------------------------------------------------------------------------ */
void npu_pb_put_varint(npu_strbuf *sb, uint64_t v)
{
    char b[10];
    int n = 0;
    do {
        b[n] = (char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] = (char)(b[n] | 0x80);
        n++;
    } while (v);
    npu_sb_putn(sb, b, (size_t)n);
}

static void put_key(npu_strbuf *sb, uint32_t num, int wt)
{
    npu_pb_put_varint(sb, (uint64_t)num << 3 | (uint64_t)wt);
}

void npu_pb_put_int(npu_strbuf *sb, uint32_t num, int64_t v)
{
    put_key(sb, num, NPU_PB_VARINT);
    npu_pb_put_varint(sb, (uint64_t)v); /* negative values take 10 bytes (two's complement) */
}

void npu_pb_put_float(npu_strbuf *sb, uint32_t num, float v)
{
    uint32_t u;
    char b[4];
    memcpy(&u, &v, 4);
    for (int i = 0; i < 4; i++)
        b[i] = (char)(u >> (8 * i) & 0xff);
    put_key(sb, num, NPU_PB_I32);
    npu_sb_putn(sb, b, 4);
}

void npu_pb_put_bytes(npu_strbuf *sb, uint32_t num, const void *data, size_t len)
{
    put_key(sb, num, NPU_PB_LEN);
    npu_pb_put_varint(sb, len);
    if (len)
        npu_sb_putn(sb, (const char *)data, len);
}

void npu_pb_put_msg(npu_strbuf *sb, uint32_t num, npu_strbuf *m)
{
    if (m->oom)
        sb->oom = 1;
    npu_pb_put_bytes(sb, num, m->s, m->len);
    npu_sb_free(m);
}

void npu_pb_put_str(npu_strbuf *sb, uint32_t num, const char *s)
{
    npu_pb_put_bytes(sb, num, s, strlen(s));
}

void npu_pb_put_packed(npu_strbuf *sb, uint32_t num, const int64_t *v, int n)
{
    npu_strbuf t;
    npu_sb_init(&t);
    for (int i = 0; i < n; i++)
        npu_pb_put_varint(&t, (uint64_t)v[i]);
    npu_pb_put_msg(sb, num, &t);
}
