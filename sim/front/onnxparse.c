/* onnxparse.c — the ONNX importer's model reader: TensorProto element types and the protobuf
 * walk from ModelProto down to nodes, tensors and value infos (prefix onnx_; private to the
 * importer, see onnximp.h and the file comment of onnx.c). */
#include "onnximp.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ot_names[] = {
    "UNDEFINED",      "FLOAT",      "UINT8",          "INT8",       "UINT16",   "INT16",
    "INT32",          "INT64",      "STRING",         "BOOL",       "FLOAT16",  "DOUBLE",
    "UINT32",         "UINT64",     "COMPLEX64",      "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
    "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4",      "INT4"};

const char *onnx_ot_name(int t)
{
    return t >= 0 && t < (int)(sizeof ot_names / sizeof ot_names[0]) ? ot_names[t] : "?";
}

/* ONNX elem type → IR dtype; -1 when the IR has no such type. */
int onnx_ot_to_npu(int t)
{
    switch (t) {
    case OT_FLOAT:
        return NPU_DT_FP32;
    case OT_UINT8:
        return NPU_DT_UINT8;
    case OT_INT8:
        return NPU_DT_INT8;
    case OT_INT16:
        return NPU_DT_INT16;
    case OT_INT32:
        return NPU_DT_INT32;
    case OT_INT64:
        return NPU_DT_INT64;
    case OT_BOOL:
        return NPU_DT_BOOL;
    case OT_FLOAT16:
        return NPU_DT_FP16;
    case OT_BFLOAT16:
        return NPU_DT_BF16;
    case OT_INT4:
        return NPU_DT_INT4;
    default:
        return -1;
    }
}

int npu_onnx_elem_type(npu_dtype dt)
{
    for (int t = OT_FLOAT; t <= OT_INT4; t++) /* ot_to_npu is one-to-one on the IR's dtypes */
        if (onnx_ot_to_npu(t) == (int)dt)
            return t;
    return OT_UNDEF;
}

int onnx_ot_width(int t) /* bytes per element in raw_data; 0 = not fixed */
{
    switch (t) {
    case OT_FLOAT:
    case OT_INT32:
    case OT_UINT32:
        return 4;
    case OT_UINT8:
    case OT_INT8:
    case OT_BOOL:
        return 1;
    case OT_UINT16:
    case OT_INT16:
    case OT_FLOAT16:
    case OT_BFLOAT16:
        return 2;
    case OT_INT64:
    case OT_DOUBLE:
    case OT_UINT64:
        return 8;
    default:
        return 0;
    }
}

bool onnx_ot_is_float(int t)
{
    return t == OT_FLOAT || t == OT_FLOAT16 || t == OT_DOUBLE || t == OT_BFLOAT16;
}

/* ---- errors -------------------------------------------------------------------------------- */
int onnx_fmt_err(ox *x, int code, const char *fmt, ...)
{
    char msg[NPU_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (x->cur >= 0 && x->cur < x->nn) {
        const onode *n = &x->nodes[x->cur];
        const char *nm = n->name[0] ? n->name : (n->nout > 0 ? n->out[0] : "");
        return npu_err_set(x->err, code, "%s: node %d '%s' (%s): %s", x->file, x->cur, nm, n->op,
                           msg);
    }
    return npu_err_set(x->err, code, "%s: %s", x->file, msg);
}

/* Re-reports an error of the graph API in the context of the current node (the graph's own
 * message already starts with the file name, which is not repeated). */
int onnx_graph_err(ox *x)
{
    char m[NPU_ERR_MSG];
    const char *s = x->err->msg;
    size_t fl = strlen(x->file);
    if (!strncmp(s, x->file, fl) && s[fl] == ':' && s[fl + 1] == ' ')
        s += fl + 2;
    snprintf(m, sizeof m, "%s", s);
    return onnx_fmt_err(x, x->err->code ? x->err->code : NPU_EINVAL, "%s", m);
}

static int bad_pb(ox *x, size_t off, const char *what)
{
    return npu_err_set(x->err, NPU_EFORMAT,
                       "%s: offset %zu: malformed protobuf in %s (truncated or invalid field)",
                       x->file, off, what);
}

/* ---- parsing ------------------------------------------------------------------------------- */
static const char *pstr(ox *x, const npu_pb_field *f, const char *what)
{
    if (f->wt != NPU_PB_LEN) {
        onnx_fmt_err(x, NPU_EFORMAT, "%s: expected a string field", what);
        return NULL;
    }
    if (memchr(f->data, 0, f->len)) {
        onnx_fmt_err(x, NPU_EFORMAT, "%s contains a NUL byte", what);
        return NULL;
    }
    char *s = npu_arena_alloc(&x->a, f->len + 1);
    if (!s) {
        npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
        return NULL;
    }
    memcpy(s, f->data, f->len);
    s[f->len] = 0;
    return s;
}

void *onnx_xalloc(ox *x, size_t count, size_t size)
{
    if (count && size > ((size_t)-1 - 16) / count) {
        npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
        return NULL;
    }
    size_t n = count * size;
    void *p = npu_arena_alloc(&x->a, n ? n : 1);
    if (!p)
        npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    return p;
}

/* Dims of a TensorProto or a shape: appends one repeated int64 field into dim[] (rank capped). */
static int add_dims(ox *x, const npu_pb_field *f, int *ndim, int64_t *dim, const char *what)
{
    long n = npu_pb_count_varints(f);
    if (n < 0)
        return onnx_fmt_err(x, NPU_EFORMAT, "%s: malformed dims", what);
    if (*ndim < 0 || *ndim + n > NPU_MAX_DIMS) {
        *ndim = -1;
        return 0;
    }
    npu_pb_read_varints(f, dim + *ndim, n);
    *ndim += (int)n;
    return 0;
}

static int parse_tensor(ox *x, const npu_pb_field *mf, otensor *t)
{
    npu_pb r = npu_pb_sub(x->base, mf);
    npu_pb_field f;
    size_t off = 0;
    int rc;
    memset(t, 0, sizeof *t);
    t->name = "";
    t->msg = mf->data;
    t->len = mf->len;
    long long rawlen = -1;
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        switch (f.num) {
        case 1: /* dims */
            if (add_dims(x, &f, &t->ndim, t->dim, "tensor dims"))
                return -1;
            break;
        case 2:
            if (f.wt != NPU_PB_VARINT)
                return bad_pb(x, (size_t)(f.data ? f.data - x->base : 0), "TensorProto.data_type");
            t->dt = (int)f.v;
            break;
        case 3:
            t->segmented = true;
            break;
        case 8:
            if (!(t->name = pstr(x, &f, "tensor name")))
                return -1;
            break;
        case 9: /* raw_data */
            rawlen = f.wt == NPU_PB_LEN ? (long long)f.len : -1;
            break;
        case 14:
            if (f.wt == NPU_PB_VARINT && f.v == 1)
                t->external = true;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return bad_pb(x, off, "TensorProto");
    if (t->ndim > 0)
        for (int i = 0; i < t->ndim; i++)
            if (t->dim[i] < 0)
                return onnx_fmt_err(x, NPU_EFORMAT, "tensor '%s': dimension %d is negative (%lld)",
                                    t->name, i, (long long)t->dim[i]);
    /* raw_data of another size than dims x type (a truncated or padded weight): the file is
     * damaged, even where only the weight's shape is used (checked when decoded, too) */
    int w = onnx_ot_width(t->dt);
    if (rawlen >= 0 && w > 0 && t->ndim >= 0 && !t->segmented) {
        long long need = w;
        bool zero = false, big = false;
        for (int i = 0; i < t->ndim; i++) {
            if (t->dim[i] == 0)
                zero = true;
            else if (big || need > LLONG_MAX / t->dim[i])
                big = true; /* beyond 64 bits */
            else
                need *= t->dim[i];
        }
        if (zero)
            need = 0, big = false;
        if (big || need != rawlen) {
            char nb[32];
            snprintf(nb, sizeof nb, big ? "more than 2^63" : "%lld", need);
            return onnx_fmt_err(x, NPU_EFORMAT, "tensor '%s': raw_data has %lld bytes, expected %s",
                                t->name, rawlen, nb);
        }
    }
    return 0;
}

static int parse_shape(ox *x, const npu_pb_field *mf, ovi *v)
{
    npu_pb r = npu_pb_sub(x->base, mf);
    npu_pb_field f;
    size_t off = 0;
    int rc;
    v->has_shape = true;
    v->ndim = 0;
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        if (f.num != 1 || f.wt != NPU_PB_LEN)
            continue;
        int64_t d = -1;
        npu_pb dr = npu_pb_sub(x->base, &f);
        npu_pb_field df;
        int rc2;
        while ((rc2 = npu_pb_next(&dr, &df, &off)) > 0)
            if (df.num == 1 && df.wt == NPU_PB_VARINT) {
                d = (int64_t)df.v;
                /* a negative dim_value is not "unknown" (that is a dim_param or no value): it
                 * used to be taken as 1 without a word */
                if (d < 0)
                    return onnx_fmt_err(x, NPU_EFORMAT,
                                        "value '%s': dimension %d is negative (%lld; "
                                        "a dimension of unknown size is written as dim_param)",
                                        v->name ? v->name : "", v->ndim, (long long)d);
            }
        if (rc2 < 0)
            return bad_pb(x, off, "TensorShapeProto.Dimension");
        if (v->ndim < 0)
            continue;
        if (v->ndim >= NPU_MAX_DIMS) {
            v->ndim = -1;
            continue;
        }
        v->dim[v->ndim++] = d < 0 ? -1 : d;
    }
    if (rc < 0)
        return bad_pb(x, off, "TensorShapeProto");
    return 0;
}

static int parse_vi(ox *x, const npu_pb_field *mf, ovi *v)
{
    npu_pb r = npu_pb_sub(x->base, mf);
    npu_pb_field f;
    size_t off = 0;
    int rc;
    memset(v, 0, sizeof *v);
    v->name = "";
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        if (f.num == 1) {
            if (!(v->name = pstr(x, &f, "value name")))
                return -1;
        } else if (f.num == 2 && f.wt == NPU_PB_LEN) { /* TypeProto */
            npu_pb tr = npu_pb_sub(x->base, &f);
            npu_pb_field tf;
            int rc2;
            while ((rc2 = npu_pb_next(&tr, &tf, &off)) > 0) {
                if (tf.num != 1 || tf.wt != NPU_PB_LEN)
                    continue;
                v->is_tensor = true;
                npu_pb er = npu_pb_sub(x->base, &tf);
                npu_pb_field ef;
                int rc3;
                while ((rc3 = npu_pb_next(&er, &ef, &off)) > 0) {
                    if (ef.num == 1 && ef.wt == NPU_PB_VARINT)
                        v->dt = (int)ef.v;
                    else if (ef.num == 2 && ef.wt == NPU_PB_LEN && parse_shape(x, &ef, v))
                        return -1;
                }
                if (rc3 < 0)
                    return bad_pb(x, off, "TypeProto.Tensor");
            }
            if (rc2 < 0)
                return bad_pb(x, off, "TypeProto");
        }
    }
    if (rc < 0)
        return bad_pb(x, off, "ValueInfoProto");
    return 0;
}

static int parse_attr(ox *x, const npu_pb_field *mf, oattr *a)
{
    npu_pb r = npu_pb_sub(x->base, mf);
    npu_pb_field f;
    size_t off = 0;
    int rc;
    long ni = 0, nf = 0;
    memset(a, 0, sizeof *a);
    a->name = "";
    /* pass 1: scalars and counts */
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        switch (f.num) {
        case 1:
            if (!(a->name = pstr(x, &f, "attribute name")))
                return -1;
            break;
        case 2:
            if (f.wt != NPU_PB_I32)
                return onnx_fmt_err(x, NPU_EFORMAT, "attribute float has wire type %d", f.wt);
            a->f = npu_pb_f32((uint32_t)f.v);
            a->has_f = true;
            break;
        case 3:
            if (f.wt != NPU_PB_VARINT)
                return onnx_fmt_err(x, NPU_EFORMAT, "attribute int has wire type %d", f.wt);
            a->i = (int64_t)f.v;
            a->has_i = true;
            break;
        case 4:
            if (!(a->s = pstr(x, &f, "attribute string")))
                return -1;
            a->has_s = true;
            break;
        case 5:
            if (f.wt != NPU_PB_LEN)
                return onnx_fmt_err(x, NPU_EFORMAT, "attribute tensor has wire type %d", f.wt);
            if (parse_tensor(x, &f, &a->t))
                return -1;
            a->has_t = true;
            break;
        case 6:
        case 11:
            a->has_g = true;
            break;
        case 7: {
            long c = npu_pb_count_fixed(&f, 4);
            if (c < 0)
                return onnx_fmt_err(x, NPU_EFORMAT, "attribute '%s': malformed floats", a->name);
            nf += c;
            break;
        }
        case 8: {
            long c = npu_pb_count_varints(&f);
            if (c < 0)
                return onnx_fmt_err(x, NPU_EFORMAT, "attribute '%s': malformed ints", a->name);
            ni += c;
            break;
        }
        case 20:
            if (f.wt == NPU_PB_VARINT)
                a->type = (int)f.v;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return bad_pb(x, off, "AttributeProto");
    if (!ni && !nf)
        return 0;
    /* pass 2: the repeated numbers (packed or not, possibly several fields) */
    if (!(a->ints = onnx_xalloc(x, (size_t)ni, sizeof *a->ints)) ||
        !(a->floats = onnx_xalloc(x, (size_t)nf, sizeof *a->floats)))
        return -1;
    r.p = mf->data;
    while (npu_pb_next(&r, &f, &off) > 0) {
        if (f.num == 7)
            a->nfloats += npu_pb_read_floats(&f, a->floats + a->nfloats, nf - a->nfloats);
        else if (f.num == 8)
            a->nints += npu_pb_read_varints(&f, a->ints + a->nints, ni - a->nints);
    }
    return 0;
}

static int parse_node(ox *x, const npu_pb_field *mf, onode *n)
{
    npu_pb r = npu_pb_sub(x->base, mf);
    npu_pb_field f;
    size_t off = 0;
    int rc, ni = 0, no = 0, na = 0;
    memset(n, 0, sizeof *n);
    n->name = n->op = n->domain = "";
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        if (f.num == 1)
            ni++;
        else if (f.num == 2)
            no++;
        else if (f.num == 5)
            na++;
        if (ni > (1 << 24) || no > (1 << 24) || na > (1 << 24))
            return onnx_fmt_err(x, NPU_EUNSUPPORTED,
                                "node with more than 2^24 inputs, outputs or "
                                "attributes");
    }
    if (rc < 0)
        return bad_pb(x, off, "NodeProto");
    if (!(n->in = onnx_xalloc(x, (size_t)ni, sizeof *n->in)) ||
        !(n->out = onnx_xalloc(x, (size_t)no, sizeof *n->out)) ||
        !(n->attr = onnx_xalloc(x, (size_t)na, sizeof *n->attr)))
        return -1;
    r.p = mf->data;
    while (npu_pb_next(&r, &f, &off) > 0) {
        switch (f.num) {
        case 1:
            if (!(n->in[n->nin++] = pstr(x, &f, "node input")))
                return -1;
            break;
        case 2:
            if (!(n->out[n->nout++] = pstr(x, &f, "node output")))
                return -1;
            break;
        case 3:
            if (!(n->name = pstr(x, &f, "node name")))
                return -1;
            break;
        case 4:
            if (!(n->op = pstr(x, &f, "op_type")))
                return -1;
            break;
        case 5:
            if (f.wt != NPU_PB_LEN)
                return onnx_fmt_err(x, NPU_EFORMAT, "node attribute has wire type %d", f.wt);
            if (parse_attr(x, &f, &n->attr[n->nattr++]))
                return -1;
            break;
        case 7:
            if (!(n->domain = pstr(x, &f, "node domain")))
                return -1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int parse_graph(ox *x, const npu_pb_field *gf)
{
    npu_pb r = npu_pb_sub(x->base, gf);
    npu_pb_field f;
    size_t off = 0;
    int rc, nn = 0, ni = 0, nin = 0, nout = 0, nvi = 0;
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        if (f.wt != NPU_PB_LEN)
            continue;
        switch (f.num) {
        case 1:
            nn++;
            break;
        case 5:
            ni++;
            break;
        case 11:
            nin++;
            break;
        case 12:
            nout++;
            break;
        case 13:
            nvi++;
            break;
        case 15:
            return npu_err_set(x->err, NPU_EUNSUPPORTED,
                               "%s: sparse initializers are not supported", x->file);
        default:
            break;
        }
        if (nn > (1 << 26) || ni > (1 << 26) || nin > (1 << 26) || nout > (1 << 26) ||
            nvi > (1 << 26))
            return npu_err_set(x->err, NPU_EUNSUPPORTED, "%s: more than 2^26 nodes or values",
                               x->file);
    }
    if (rc < 0)
        return bad_pb(x, off, "GraphProto");
    if (!(x->nodes = onnx_xalloc(x, (size_t)nn, sizeof *x->nodes)) ||
        !(x->inits = onnx_xalloc(x, (size_t)ni, sizeof *x->inits)) ||
        !(x->inputs = onnx_xalloc(x, (size_t)nin, sizeof *x->inputs)) ||
        !(x->outputs = onnx_xalloc(x, (size_t)nout, sizeof *x->outputs)) ||
        !(x->vinfo = onnx_xalloc(x, (size_t)nvi, sizeof *x->vinfo)))
        return -1;
    x->gname = "";
    r.p = gf->data;
    while (npu_pb_next(&r, &f, &off) > 0) {
        if (f.wt != NPU_PB_LEN)
            continue;
        int e = 0;
        switch (f.num) {
        case 1:
            x->cur = -1;
            e = parse_node(x, &f, &x->nodes[x->nn]);
            x->nn++;
            break;
        case 2:
            e = !(x->gname = pstr(x, &f, "graph name"));
            break;
        case 5:
            e = parse_tensor(x, &f, &x->inits[x->ninit++]);
            break;
        case 11:
            e = parse_vi(x, &f, &x->inputs[x->ninput++]);
            break;
        case 12:
            e = parse_vi(x, &f, &x->outputs[x->noutput++]);
            break;
        case 13:
            e = parse_vi(x, &f, &x->vinfo[x->nvinfo++]);
            break;
        default:
            break;
        }
        if (e)
            return -1;
    }
    return 0;
}

int onnx_parse_model(ox *x)
{
    npu_pb r;
    npu_pb_field f, graph = {0};
    size_t off = 0;
    int rc;
    bool have_graph = false, have_opset = false;
    npu_pb_init(&r, x->base, x->size);
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        if (f.num == 7 && f.wt == NPU_PB_LEN) {
            graph = f;
            have_graph = true;
        } else if (f.num == 8 && f.wt == NPU_PB_LEN) { /* OperatorSetIdProto */
            npu_pb o = npu_pb_sub(x->base, &f);
            npu_pb_field of;
            const uint8_t *dom = NULL;
            size_t domlen = 0;
            int64_t ver = -1;
            int rc2;
            while ((rc2 = npu_pb_next(&o, &of, &off)) > 0) {
                if (of.num == 1 && of.wt == NPU_PB_LEN) {
                    dom = of.data;
                    domlen = of.len;
                } else if (of.num == 2 && of.wt == NPU_PB_VARINT) {
                    ver = (int64_t)of.v;
                }
            }
            if (rc2 < 0)
                return bad_pb(x, off, "OperatorSetIdProto");
            if (!dom || domlen == 0 || (domlen == 7 && !memcmp(dom, "ai.onnx", 7))) {
                if (ver < 0 || ver > 1000)
                    return npu_err_set(x->err, NPU_EFORMAT, "%s: invalid opset version %lld",
                                       x->file, (long long)ver);
                x->opset = (int)ver;
                have_opset = true;
            }
        }
    }
    if (rc < 0)
        return bad_pb(x, off, "ModelProto");
    if (!have_graph)
        return npu_err_set(x->err, NPU_EFORMAT, "%s: not an ONNX model (no graph field)", x->file);
    if (!have_opset)
        x->opset = -1; /* only an error if a node uses the default domain (checked later) */
    else if (x->opset < ONNX_OPSET_MIN || x->opset > ONNX_OPSET_MAX)
        return npu_err_set(x->err, NPU_EUNSUPPORTED,
                           "%s: opset %d is not supported (npusim reads opsets %d to %d)", x->file,
                           x->opset, ONNX_OPSET_MIN, ONNX_OPSET_MAX);
    return parse_graph(x, &graph);
}
