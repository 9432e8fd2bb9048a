/* onnx.c — ONNX model importer (prefix npu_onnx_).
 *
 * The file is memory-mapped and walked with the protobuf reader of pb.c. Only the small parts
 * of the model are decoded: names, op types, attributes, dims and dtypes of tensors and value
 * infos. Weight bytes (raw_data, float_data …) are skipped by moving a pointer, so their pages
 * are never touched and a 550 MB VGG16 imports with a resident set of a few MB. The one
 * exception are small integer/float constants (at most ONNX_VALUE_CAP elements) that describe
 * shapes: Reshape targets, Slice bounds, Resize scales, Clip bounds, Constant nodes and the
 * Shape→Gather→Concat chains PyTorch exports. Those are decoded and evaluated at import time
 * ("constant folding"), because the IR holds shapes as attributes, never tensor data.
 *
 * ONNX facts used (onnx/onnx.proto3 and the operator documentation, Operators.md):
 *  - field numbers of ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 *    ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto (see the parse_* below);
 *  - TensorProto.DataType codes (FLOAT=1 … INT4=22);
 *  - per-op attribute vs input forms that changed with the opset: Reshape shape (input from
 *    opset 5), Slice starts/ends (inputs from 10), Clip min/max (inputs from 11), Split sizes
 *    (input from 13), Squeeze/Unsqueeze axes (input from 13), ReduceSum axes (input from 13),
 *    other Reduce* axes (input from 18), Pad pads (input from 11), Upsample scales (input from
 *    9), Softmax default axis (1 before 13, -1 from 13).
 *
 * Choices where ONNX leaves freedom (also in docs/onnx.md):
 *  - a symbolic or missing dimension of a graph input (dim_param "batch") is taken as 1, a
 *    symbolic leading dim of a rank >= 2 input as the batch asked for (npu_onnx_read_batch);
 *  - DOUBLE, UINT16/32/64, STRING, COMPLEX and FLOAT8 tensors are refused (no such IR dtype);
 *  - weights of Conv/ConvTranspose/Gemm/BatchNormalization are implicit in the IR (attributes
 *    out=, k=); weight-like inputs are never made graph inputs, even when an export_params=False
 *    file lists them as graph inputs without initializers;
 *  - 1-D convolutions and pooling are 2-D ones of height 1 between an unsqueeze and a squeeze;
 *    legacy broadcasting (opset < 7, broadcast=1 axis=) is rewritten to numpy broadcasting;
 *  - comparisons, Where, Floor, Ceil and Expand exist only on import-time constants;
 *  - decomposed activations and norms (x·Sigmoid(x), the Erf GELU chain, LayerNorm before
 *    opset 17 …) are imported op by op; the pattern pass of sim/core/passes.c fuses them, for
 *    every front end alike. A constant whose elements are all equal keeps its value on the IR
 *    tensor (has_value), since the pattern pass needs the values that decide the function.
 *
 * Flow: parse_model() turns the bytes into onode/otensor/ovi arrays (pointers into the map plus
 * arena copies of the strings); build() checks that every op is known (one error listing all
 * unknown ones), then walks the nodes in order. Each ONNX value name has an `oval` that says
 * whether it is a constant (maybe with a decoded value), a graph input or a layer's output; IR
 * tensors for constants and inputs are created on their first use as data (materialize()).
 * Shapes needed at import time (Shape nodes, auto_pad, Resize scales) come from running
 * npu_graph_infer over the layers emitted so far.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front.h"
#include "pb.h"

#define ONNX_VALUE_CAP 4096 /* largest constant (elements) decoded for folding */
#define ONNX_OPSET_MIN 1
#define ONNX_OPSET_MAX 21
#define WIN_MAX ((int64_t)1 << 24) /* largest kernel, stride, dilation or padding accepted */
#define DIM_LIMIT ((int64_t)INT32_MAX) /* largest dimension (as the IR) */

/* TensorProto.DataType */
enum {
    OT_UNDEF = 0, OT_FLOAT = 1, OT_UINT8 = 2, OT_INT8 = 3, OT_UINT16 = 4, OT_INT16 = 5,
    OT_INT32 = 6, OT_INT64 = 7, OT_STRING = 8, OT_BOOL = 9, OT_FLOAT16 = 10, OT_DOUBLE = 11,
    OT_UINT32 = 12, OT_UINT64 = 13, OT_COMPLEX64 = 14, OT_COMPLEX128 = 15, OT_BFLOAT16 = 16,
    OT_UINT4 = 21, OT_INT4 = 22
};

static const char *const ot_names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"};

static const char *ot_name(int t)
{
    return t >= 0 && t < (int)(sizeof ot_names / sizeof ot_names[0]) ? ot_names[t] : "?";
}

/* ONNX elem type → IR dtype; -1 when the IR has no such type. */
static int ot_to_npu(int t)
{
    switch (t) {
    case OT_FLOAT: return NPU_DT_FP32;
    case OT_UINT8: return NPU_DT_UINT8;
    case OT_INT8: return NPU_DT_INT8;
    case OT_INT16: return NPU_DT_INT16;
    case OT_INT32: return NPU_DT_INT32;
    case OT_INT64: return NPU_DT_INT64;
    case OT_BOOL: return NPU_DT_BOOL;
    case OT_FLOAT16: return NPU_DT_FP16;
    case OT_BFLOAT16: return NPU_DT_BF16;
    case OT_INT4: return NPU_DT_INT4;
    default: return -1;
    }
}

int npu_onnx_elem_type(npu_dtype dt)
{
    for (int t = OT_FLOAT; t <= OT_INT4; t++) /* ot_to_npu is one-to-one on the IR's dtypes */
        if (ot_to_npu(t) == (int)dt)
            return t;
    return OT_UNDEF;
}

static int ot_width(int t) /* bytes per element in raw_data; 0 = not fixed */
{
    switch (t) {
    case OT_FLOAT: case OT_INT32: case OT_UINT32: return 4;
    case OT_UINT8: case OT_INT8: case OT_BOOL: return 1;
    case OT_UINT16: case OT_INT16: case OT_FLOAT16: case OT_BFLOAT16: return 2;
    case OT_INT64: case OT_DOUBLE: case OT_UINT64: return 8;
    default: return 0;
    }
}

static bool ot_is_float(int t)
{
    return t == OT_FLOAT || t == OT_FLOAT16 || t == OT_DOUBLE || t == OT_BFLOAT16;
}

/* ---- parsed model ------------------------------------------------------------------------ */
typedef struct otensor { /* TensorProto header; data stays in the file */
    const char *name;
    int dt;
    int ndim; /* -1: more dims than the IR holds */
    int64_t dim[NPU_MAX_DIMS];
    const uint8_t *msg; /* the whole message, re-scanned only to decode a small value */
    size_t len;
    bool external, segmented;
} otensor;

typedef struct ovi { /* ValueInfoProto */
    const char *name;
    bool is_tensor; /* TypeProto.tensor_type (not sequence/map/optional/sparse) */
    int dt;
    bool has_shape;
    int ndim; /* -1: more dims than the IR holds */
    int64_t dim[NPU_MAX_DIMS]; /* -1 = symbolic or missing */
} ovi;

enum { OA_UNDEF, OA_FLOAT, OA_INT, OA_STRING, OA_TENSOR, OA_GRAPH, OA_FLOATS, OA_INTS,
       OA_STRINGS, OA_TENSORS, OA_GRAPHS };

typedef struct oattr {
    const char *name;
    int type;
    double f;
    int64_t i;
    const char *s;
    long nints, nfloats;
    int64_t *ints;
    double *floats;
    otensor t;
    bool has_t, has_g, has_s, has_f, has_i;
} oattr;

typedef struct onode {
    const char *name, *op, *domain;
    int nin, nout, nattr;
    const char **in, **out;
    oattr *attr;
} onode;

/* ---- values: every ONNX name the importer knows ------------------------------------------ */
enum { VK_NONE = 0, VK_CONST, VK_INPUT, VK_ACT };

typedef struct oval {
    const char *name;    /* ONNX name */
    int kind;            /* VK_* */
    int ti;              /* IR tensor, -1 until materialised */
    const otensor *tp;   /* initializer / Constant tensor (VK_CONST) */
    const ovi *vi;       /* graph input, output or value_info entry */
    /* known shape of a constant (from tp or from folding) */
    bool shape_known;
    int ndim;
    int64_t dim[NPU_MAX_DIMS];
    int dt;              /* ONNX elem type, 0 unknown */
    /* known value (small constants only) */
    bool val_tried, has_val;
    long nval;
    int64_t *iv;
    double *fv;
    /* uses from the node list (graph outputs count as a use) */
    int producer; /* node index, -1 none */
    int nuses;
    int consumer; /* the last consuming node */
    struct oval *swapped; /* a constant that is this one with its last two axes swapped (a folded
                      Transpose), so that MatMul(A, Transpose(W)) reads W with transb=1 */
} oval;

typedef struct ox {
    const char *file;
    npu_err *err;
    npu_arena a; /* importer scratch, freed at the end */
    const uint8_t *base;
    size_t size;
    bool allow;
    int64_t batch; /* > 0: a symbolic leading dim of a graph input (--batch) */
    int opset;
    const char *gname;
    onode *nodes;
    int nn;
    otensor *inits;
    int ninit;
    ovi *inputs, *outputs, *vinfo;
    int ninput, noutput, nvinfo;
    oval *v;
    int nv, cv;
    int *hash;
    size_t hcap;
    npu_graph *g;
    int inferred_nl; /* g->nl at the last on-demand inference; -1 never */
    const char **names; /* every IR tensor and layer name given out (hash set) */
    size_t nnames, cnames;
    int cur;         /* node being imported, -1 outside nodes */
} ox;

/* ---- errors -------------------------------------------------------------------------------- */
static int fmt_err(ox *x, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fmt_err(ox *x, int code, const char *fmt, ...)
{
    char msg[NPU_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (x->cur >= 0 && x->cur < x->nn) {
        const onode *n = &x->nodes[x->cur];
        const char *nm = n->name[0] ? n->name : (n->nout > 0 ? n->out[0] : "");
        return npu_err_set(x->err, code, "%s: node %d '%s' (%s): %s", x->file, x->cur, nm,
                           n->op, msg);
    }
    return npu_err_set(x->err, code, "%s: %s", x->file, msg);
}

/* Re-reports an error of the graph API in the context of the current node (the graph's own
 * message already starts with the file name, which is not repeated). */
static int graph_err(ox *x)
{
    char m[NPU_ERR_MSG];
    const char *s = x->err->msg;
    size_t fl = strlen(x->file);
    if (!strncmp(s, x->file, fl) && s[fl] == ':' && s[fl + 1] == ' ')
        s += fl + 2;
    snprintf(m, sizeof m, "%s", s);
    return fmt_err(x, x->err->code ? x->err->code : NPU_EINVAL, "%s", m);
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
        fmt_err(x, NPU_EFORMAT, "%s: expected a string field", what);
        return NULL;
    }
    if (memchr(f->data, 0, f->len)) {
        fmt_err(x, NPU_EFORMAT, "%s contains a NUL byte", what);
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

static void *xalloc(ox *x, size_t count, size_t size)
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
        return fmt_err(x, NPU_EFORMAT, "%s: malformed dims", what);
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
                return fmt_err(x, NPU_EFORMAT, "tensor '%s': dimension %d is negative (%lld)",
                               t->name, i, (long long)t->dim[i]);
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
                    return fmt_err(x, NPU_EFORMAT, "value '%s': dimension %d is negative (%lld; "
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
                return fmt_err(x, NPU_EFORMAT, "attribute float has wire type %d", f.wt);
            a->f = npu_pb_f32((uint32_t)f.v);
            a->has_f = true;
            break;
        case 3:
            if (f.wt != NPU_PB_VARINT)
                return fmt_err(x, NPU_EFORMAT, "attribute int has wire type %d", f.wt);
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
                return fmt_err(x, NPU_EFORMAT, "attribute tensor has wire type %d", f.wt);
            if (parse_tensor(x, &f, &a->t))
                return -1;
            a->has_t = true;
            break;
        case 6: case 11:
            a->has_g = true;
            break;
        case 7: {
            long c = npu_pb_count_fixed(&f, 4);
            if (c < 0)
                return fmt_err(x, NPU_EFORMAT, "attribute '%s': malformed floats", a->name);
            nf += c;
            break;
        }
        case 8: {
            long c = npu_pb_count_varints(&f);
            if (c < 0)
                return fmt_err(x, NPU_EFORMAT, "attribute '%s': malformed ints", a->name);
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
    if (!(a->ints = xalloc(x, (size_t)ni, sizeof *a->ints)) ||
        !(a->floats = xalloc(x, (size_t)nf, sizeof *a->floats)))
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
            return fmt_err(x, NPU_EUNSUPPORTED, "node with more than 2^24 inputs, outputs or "
                           "attributes");
    }
    if (rc < 0)
        return bad_pb(x, off, "NodeProto");
    if (!(n->in = xalloc(x, (size_t)ni, sizeof *n->in)) ||
        !(n->out = xalloc(x, (size_t)no, sizeof *n->out)) ||
        !(n->attr = xalloc(x, (size_t)na, sizeof *n->attr)))
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
                return fmt_err(x, NPU_EFORMAT, "node attribute has wire type %d", f.wt);
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
        case 1: nn++; break;
        case 5: ni++; break;
        case 11: nin++; break;
        case 12: nout++; break;
        case 13: nvi++; break;
        case 15:
            return npu_err_set(x->err, NPU_EUNSUPPORTED,
                               "%s: sparse initializers are not supported", x->file);
        default: break;
        }
        if (nn > (1 << 26) || ni > (1 << 26) || nin > (1 << 26) || nout > (1 << 26) ||
            nvi > (1 << 26))
            return npu_err_set(x->err, NPU_EUNSUPPORTED, "%s: more than 2^26 nodes or values",
                               x->file);
    }
    if (rc < 0)
        return bad_pb(x, off, "GraphProto");
    if (!(x->nodes = xalloc(x, (size_t)nn, sizeof *x->nodes)) ||
        !(x->inits = xalloc(x, (size_t)ni, sizeof *x->inits)) ||
        !(x->inputs = xalloc(x, (size_t)nin, sizeof *x->inputs)) ||
        !(x->outputs = xalloc(x, (size_t)nout, sizeof *x->outputs)) ||
        !(x->vinfo = xalloc(x, (size_t)nvi, sizeof *x->vinfo)))
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
        case 5: e = parse_tensor(x, &f, &x->inits[x->ninit++]); break;
        case 11: e = parse_vi(x, &f, &x->inputs[x->ninput++]); break;
        case 12: e = parse_vi(x, &f, &x->outputs[x->noutput++]); break;
        case 13: e = parse_vi(x, &f, &x->vinfo[x->nvinfo++]); break;
        default: break;
        }
        if (e)
            return -1;
    }
    return 0;
}

static int parse_model(ox *x)
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
        return npu_err_set(x->err, NPU_EFORMAT, "%s: not an ONNX model (no graph field)",
                           x->file);
    if (!have_opset)
        x->opset = -1; /* only an error if a node uses the default domain (checked later) */
    else if (x->opset < ONNX_OPSET_MIN || x->opset > ONNX_OPSET_MAX)
        return npu_err_set(x->err, NPU_EUNSUPPORTED,
                           "%s: opset %d is not supported (npusim reads opsets %d to %d)",
                           x->file, x->opset, ONNX_OPSET_MIN, ONNX_OPSET_MAX);
    return parse_graph(x, &graph);
}

/* ---- the value table (open addressing on the ONNX name) ------------------------------------ */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static oval *val_find(ox *x, const char *name)
{
    if (!x->hcap)
        return NULL;
    for (size_t i = hash_str(name) & (x->hcap - 1);; i = (i + 1) & (x->hcap - 1)) {
        int k = x->hash[i];
        if (k < 0)
            return NULL;
        if (!strcmp(x->v[k].name, name))
            return &x->v[k];
    }
}

/* Finds or adds the entry for `name` (capacity is sized up front from the model's counts). */
static oval *val_get(ox *x, const char *name)
{
    oval *v = val_find(x, name);
    if (v)
        return v;
    assert(x->nv < x->cv);
    size_t i = hash_str(name) & (x->hcap - 1);
    while (x->hash[i] >= 0)
        i = (i + 1) & (x->hcap - 1);
    x->hash[i] = x->nv;
    v = &x->v[x->nv++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->ti = -1;
    v->producer = v->consumer = -1;
    return v;
}

static int values_init(ox *x)
{
    size_t n = (size_t)x->ninit + (size_t)x->ninput + (size_t)x->noutput + (size_t)x->nvinfo;
    for (int i = 0; i < x->nn; i++)
        n += (size_t)x->nodes[i].nout;
    n += 1;
    x->cv = (int)n;
    if (n > (size_t)1 << 28)
        return npu_err_set(x->err, NPU_EUNSUPPORTED, "%s: too many values", x->file);
    x->hcap = 16;
    while (x->hcap < 2 * n)
        x->hcap *= 2;
    if (!(x->v = xalloc(x, n, sizeof *x->v)) || !(x->hash = xalloc(x, x->hcap, sizeof(int))))
        return -1;
    for (size_t i = 0; i < x->hcap; i++)
        x->hash[i] = -1;
    /* shape hints first, so that later kinds keep them */
    for (int i = 0; i < x->nvinfo; i++)
        val_get(x, x->vinfo[i].name)->vi = &x->vinfo[i];
    for (int i = 0; i < x->noutput; i++)
        val_get(x, x->outputs[i].name)->vi = &x->outputs[i];
    for (int i = 0; i < x->ninput; i++) {
        oval *v = val_get(x, x->inputs[i].name);
        v->vi = &x->inputs[i];
        v->kind = VK_INPUT;
        v->dt = x->inputs[i].dt;
    }
    for (int i = 0; i < x->ninit; i++) { /* an initializer wins over a graph input (IR < 4) */
        const otensor *t = &x->inits[i];
        oval *v = val_get(x, t->name);
        v->kind = VK_CONST;
        v->tp = t;
        v->dt = t->dt;
        if (t->ndim >= 0) {
            v->shape_known = true;
            v->ndim = t->ndim;
            memcpy(v->dim, t->dim, sizeof v->dim);
        }
    }
    for (int i = 0; i < x->nn; i++) {
        const onode *nd = &x->nodes[i];
        for (int k = 0; k < nd->nin; k++) {
            oval *v = nd->in[k][0] ? val_find(x, nd->in[k]) : NULL;
            if (v) {
                v->nuses++;
                v->consumer = i;
            }
        }
        for (int k = 0; k < nd->nout; k++)
            if (nd->out[k][0] && val_get(x, nd->out[k])->producer < 0)
                val_get(x, nd->out[k])->producer = i;
    }
    for (int i = 0; i < x->noutput; i++)
        val_get(x, x->outputs[i].name)->nuses++;
    return 0;
}

static bool node_known(const ox *x, int i);

/* ---- small constant values ---------------------------------------------------------------- */
static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

static int val_alloc(ox *x, oval *v, long n)
{
    v->nval = n;
    if (!(v->iv = xalloc(x, (size_t)n, sizeof *v->iv)) ||
        !(v->fv = xalloc(x, (size_t)n, sizeof *v->fv)))
        return -1;
    return 0;
}

static int64_t d2i(double d)
{
    if (!(d == d))
        return 0;
    if (d >= 9.2e18)
        return INT64_MAX;
    if (d <= -9.2e18)
        return INT64_MIN;
    return (int64_t)d;
}

/* Decodes the value of a constant when it is small. Returns 1 when v->iv/fv hold it, 0 when it
 * is not available (large, external, string …), -1 on a malformed tensor. */
static int val_value(ox *x, oval *v)
{
    if (v->has_val)
        return 1;
    if (v->kind != VK_CONST || !v->tp || v->val_tried)
        return 0;
    v->val_tried = true;
    const otensor *t = v->tp;
    if (t->ndim < 0 || t->external || t->segmented)
        return 0;
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->dim[i] > ONNX_VALUE_CAP)
            return 0;
        n *= t->dim[i]; /* both factors <= ONNX_VALUE_CAP: no overflow */
        if (n > ONNX_VALUE_CAP)
            return 0;
    }
    int w = ot_width(t->dt);
    if (!w)
        return 0;
    npu_pb r = {t->msg, t->msg + t->len, x->base};
    npu_pb_field f;
    size_t off;
    const uint8_t *raw = NULL;
    size_t rawlen = 0;
    long have = 0;
    if (val_alloc(x, v, (long)n))
        return -1;
    while (npu_pb_next(&r, &f, &off) > 0) {
        long got = -1;
        if (f.num == 9 && f.wt == NPU_PB_LEN) {
            raw = f.data;
            rawlen = f.len;
            continue;
        }
        if (have > n)
            break;
        switch (f.num) {
        case 4: /* float_data */
            if (t->dt != OT_FLOAT)
                continue;
            got = npu_pb_count_fixed(&f, 4);
            if (got < 0 || have + got > n)
                goto count;
            npu_pb_read_floats(&f, v->fv + have, got);
            for (long i = 0; i < got; i++)
                v->iv[have + i] = d2i(v->fv[have + i]);
            break;
        case 5: /* int32_data: int32/16/8, uint8/16, bool, float16/bfloat16 bits */
        case 7: /* int64_data */
        case 11: /* uint64_data: uint32/uint64 */
            if ((f.num == 7) != (t->dt == OT_INT64))
                continue;
            if (f.num == 11 && t->dt != OT_UINT32 && t->dt != OT_UINT64)
                continue;
            got = npu_pb_count_varints(&f);
            if (got < 0 || have + got > n)
                goto count;
            npu_pb_read_varints(&f, v->iv + have, got);
            for (long i = 0; i < got; i++) {
                int64_t q = v->iv[have + i];
                if (t->dt == OT_FLOAT16)
                    v->fv[have + i] = half_to_double((uint16_t)q);
                else if (t->dt == OT_BFLOAT16)
                    v->fv[have + i] = npu_pb_f32((uint32_t)(uint16_t)q << 16);
                else if (f.num == 5) {
                    q = (int32_t)q; /* int32_data holds the value sign-extended to 64 bits */
                    v->iv[have + i] = q;
                    v->fv[have + i] = (double)q;
                } else {
                    v->fv[have + i] = (double)q;
                }
                if (ot_is_float(t->dt))
                    v->iv[have + i] = d2i(v->fv[have + i]);
            }
            break;
        case 10: /* double_data */
            if (t->dt != OT_DOUBLE)
                continue;
            got = npu_pb_count_fixed(&f, 8);
            if (got < 0 || have + got > n)
                goto count;
            npu_pb_read_doubles(&f, v->fv + have, got);
            for (long i = 0; i < got; i++)
                v->iv[have + i] = d2i(v->fv[have + i]);
            break;
        default:
            continue;
        }
        have += got;
    }
    if (raw) {
        if (rawlen != (size_t)n * (size_t)w) {
            fmt_err(x, NPU_EFORMAT, "tensor '%s': raw_data has %zu bytes, expected %lld",
                    t->name, rawlen, (long long)(n * w));
            return -1;
        }
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *p = raw + i * w;
            double d;
            int64_t q;
            switch (t->dt) {
            case OT_FLOAT: d = npu_pb_f32(npu_pb_le32(p)); q = d2i(d); break;
            case OT_DOUBLE: d = npu_pb_f64(npu_pb_le64(p)); q = d2i(d); break;
            case OT_FLOAT16: d = half_to_double((uint16_t)(p[0] | p[1] << 8)); q = d2i(d); break;
            case OT_BFLOAT16: d = npu_pb_f32((uint32_t)(p[0] | p[1] << 8) << 16); q = d2i(d); break;
            case OT_UINT8: case OT_BOOL: q = p[0]; d = (double)q; break;
            case OT_INT8: q = (int8_t)p[0]; d = (double)q; break;
            case OT_UINT16: q = (uint16_t)(p[0] | p[1] << 8); d = (double)q; break;
            case OT_INT16: q = (int16_t)(p[0] | p[1] << 8); d = (double)q; break;
            case OT_INT32: q = (int32_t)npu_pb_le32(p); d = (double)q; break;
            case OT_UINT32: q = npu_pb_le32(p); d = (double)q; break;
            default: q = (int64_t)npu_pb_le64(p); d = (double)q; break;
            }
            v->iv[i] = q;
            v->fv[i] = d;
        }
        have = n;
    }
    if (have != n)
        goto count;
    v->has_val = true;
    return 1;
count:
    fmt_err(x, NPU_EFORMAT, "tensor '%s': holds a different number of values than its dims "
            "(%lld elements)", t->name, (long long)n);
    return -1;
}

/* ---- node helpers ------------------------------------------------------------------------- */
static const oattr *attr(const onode *n, const char *name)
{
    for (int i = 0; i < n->nattr; i++)
        if (!strcmp(n->attr[i].name, name))
            return &n->attr[i];
    return NULL;
}

static int64_t aint(const onode *n, const char *name, int64_t def)
{
    const oattr *a = attr(n, name);
    return a && a->has_i ? a->i : def;
}

static double afloat(const onode *n, const char *name, double def)
{
    const oattr *a = attr(n, name);
    return a && a->has_f ? a->f : def;
}

static const char *astr(const onode *n, const char *name, const char *def)
{
    const oattr *a = attr(n, name);
    return a && a->has_s ? a->s : def;
}

/* Input i of node n: *out is NULL when absent or "" (an omitted optional input). */
static int node_in(ox *x, const onode *n, int i, oval **out)
{
    *out = NULL;
    if (i >= n->nin || !n->in[i][0])
        return 0;
    oval *v = val_find(x, n->in[i]);
    if (!v || v->kind == VK_NONE)
        return fmt_err(x, NPU_EFORMAT,
                       "input '%s' is not produced by an earlier node, an initializer or a "
                       "graph input", n->in[i]);
    *out = v;
    return 0;
}

static int need_in(ox *x, const onode *n, int i, oval **out, const char *what)
{
    if (node_in(x, n, i, out))
        return -1;
    if (!*out)
        return fmt_err(x, NPU_EFORMAT, "missing input %d (%s)", i, what);
    return 0;
}

/* Output k as a fresh value (NULL when the output is omitted). */
static int node_out(ox *x, const onode *n, int k, oval **out)
{
    *out = NULL;
    if (k >= n->nout || !n->out[k][0])
        return 0;
    oval *v = val_get(x, n->out[k]);
    if (v->kind != VK_NONE)
        return fmt_err(x, NPU_EFORMAT, "value '%s' is produced twice", n->out[k]);
    *out = v;
    return 0;
}

/* Refuses outputs beyond `used` that the model actually names (optional outputs). */
static int only_outputs(ox *x, const onode *n, int used, const char *why)
{
    for (int k = used; k < n->nout; k++)
        if (n->out[k][0])
            return fmt_err(x, NPU_EUNSUPPORTED, "output %d ('%s', %s) is not supported", k,
                           n->out[k], why);
    return 0;
}

/* Shape of a value as far as it is known at import time. Activations are inferred on demand
 * (npu_graph_infer over the layers emitted so far, at most once per new layer). Returns 1 known,
 * 0 unknown, -1 error. */
static int shape_of(ox *x, oval *v, int *nd, int64_t *dim)
{
    if (v->shape_known) {
        *nd = v->ndim;
        memcpy(dim, v->dim, sizeof(int64_t) * NPU_MAX_DIMS);
        return 1;
    }
    if (v->kind == VK_ACT) {
        npu_tensor *t = &x->g->t[v->ti];
        if (!t->shape_known && x->inferred_nl != x->g->nl) {
            x->inferred_nl = x->g->nl;
            if (npu_graph_infer(x->g, x->err) != 0) {
                if (x->cur >= 0)
                    npu_err_prefix(x->err, "%s: while inferring shapes for node %d", x->file,
                                   x->cur);
                return -1;
            }
        }
        if (t->shape_known) {
            *nd = t->ndim;
            memcpy(dim, t->dim, sizeof(int64_t) * NPU_MAX_DIMS);
            return 1;
        }
    }
    const ovi *vi = v->vi;
    if (vi && vi->is_tensor && vi->has_shape && vi->ndim >= 0) {
        if (v->kind == VK_ACT)
            for (int i = 0; i < vi->ndim; i++)
                if (vi->dim[i] < 0)
                    return 0;
        *nd = vi->ndim;
        /* symbolic input dims are taken as 1, a symbolic batch (the leading dim of a data
         * input) as --batch: before the Shape chains fold, so their reshapes follow it */
        for (int i = 0; i < vi->ndim; i++)
            dim[i] = vi->dim[i] >= 0                                 ? vi->dim[i]
                     : i == 0 && vi->ndim >= 2 && x->batch > 0 ? x->batch
                                                                     : 1;
        return 1;
    }
    return 0;
}

static int need_shape(ox *x, oval *v, int *nd, int64_t *dim, const char *what)
{
    int r = shape_of(x, v, nd, dim);
    if (r < 0)
        return -1;
    for (int i = 0; r > 0 && i < *nd; i++)
        if (dim[i] < 0 || dim[i] > DIM_LIMIT)
            return fmt_err(x, NPU_EINVAL, "%s '%s': dimension %d is %lld (allowed 0..%lld)", what,
                           v->name, i, (long long)dim[i], (long long)DIM_LIMIT);
    if (r == 0)
        return fmt_err(x, NPU_EUNSUPPORTED, "the shape of %s '%s' is not known at import time",
                       what, v->name);
    return 0;
}

/* A known integer/float value of a small constant input (for shape arguments). */
static int need_value(ox *x, oval *v, const char *what)
{
    if (v->kind == VK_CONST) {
        int r = val_value(x, v);
        if (r < 0)
            return -1;
        if (r > 0)
            return 0;
    }
    return fmt_err(x, NPU_EUNSUPPORTED,
                   "%s '%s' must be a constant known at import time (it is %s)", what, v->name,
                   v->kind == VK_CONST ? "a constant too large or stored externally"
                                       : "computed at run time");
}

static bool has_value(ox *x, oval *v)
{
    return v && v->kind == VK_CONST && val_value(x, v) > 0;
}

/* The set of IR names in use (tensors and layers), so that making names unique costs O(1)
 * instead of a scan of the graph per name. */
static bool name_used(const ox *x, const char *s)
{
    if (!x->cnames)
        return false;
    for (size_t i = hash_str(s) & (x->cnames - 1);; i = (i + 1) & (x->cnames - 1)) {
        if (!x->names[i])
            return false;
        if (!strcmp(x->names[i], s))
            return true;
    }
}

static int name_add(ox *x, const char *s)
{
    if (2 * (x->nnames + 1) > x->cnames) {
        size_t nc = x->cnames ? 2 * x->cnames : 1024;
        const char **nn = xalloc(x, nc, sizeof *nn);
        if (!nn)
            return -1;
        for (size_t i = 0; i < x->cnames; i++) {
            if (!x->names[i])
                continue;
            size_t j = hash_str(x->names[i]) & (nc - 1);
            while (nn[j])
                j = (j + 1) & (nc - 1);
            nn[j] = x->names[i];
        }
        x->names = nn;
        x->cnames = nc;
    }
    size_t i = hash_str(s) & (x->cnames - 1);
    while (x->names[i])
        i = (i + 1) & (x->cnames - 1);
    x->names[i] = s;
    x->nnames++;
    return 0;
}

/* Registers the names a new layer (li) or tensor (ti) brought into the graph. */
static int names_of_layer(ox *x, int li)
{
    const npu_layer *l = &x->g->l[li];
    if (name_add(x, l->name))
        return -1;
    for (int k = 0; k < l->nout; k++)
        if (strcmp(x->g->t[l->out[k]].name, l->name) && name_add(x, x->g->t[l->out[k]].name))
            return -1;
    return 0;
}

/* Unique IR name derived from `base` for a layer with nout outputs or a tensor (nout 0). */
static const char *uniq(ox *x, const char *base, int nout)
{
    size_t bl = strlen(base);
    char *s = npu_arena_alloc(&x->a, bl + 48);
    if (!s) {
        npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
        return NULL;
    }
    for (int k = 0;; k++) {
        if (k == 0)
            memcpy(s, base, bl + 1);
        else
            snprintf(s, bl + 48, "%s_%d", base, k);
        bool clash = name_used(x, s);
        for (int j = 1; j < nout && !clash; j++) {
            char t[64];
            snprintf(t, sizeof t, ":%d", j);
            size_t sl = strlen(s);
            char *u = npu_arena_alloc(&x->a, sl + 64);
            if (!u)
                break;
            memcpy(u, s, sl);
            memcpy(u + sl, t, strlen(t) + 1);
            clash = name_used(x, u);
        }
        if (!clash)
            return s;
    }
}

/* The IR tensor of a value, creating graph inputs and constants on first use as data. */
static int materialize(ox *x, oval *v)
{
    if (v->ti >= 0)
        return v->ti;
    int nd = 0;
    int64_t dim[NPU_MAX_DIMS];
    int r = shape_of(x, v, &nd, dim);
    if (r < 0)
        return -1;
    const char *what = v->kind == VK_INPUT ? "graph input" : "constant";
    if (r == 0 || nd < 0) {
        fmt_err(x, NPU_EUNSUPPORTED, "%s '%s' has no known shape", what, v->name);
        return -1;
    }
    for (int i = 0; i < nd; i++)
        if (dim[i] == 0) {
            fmt_err(x, NPU_EUNSUPPORTED, "%s '%s' is empty (dimension %d is 0); empty tensors "
                    "are not modelled", what, v->name, i);
            return -1;
        }
    int dt = ot_to_npu(v->dt);
    if (dt < 0) {
        fmt_err(x, NPU_EUNSUPPORTED, "%s '%s' has element type %s, which npusim does not model",
                what, v->name, ot_name(v->dt));
        return -1;
    }
    const char *nm = uniq(x, v->name, 0);
    if (!nm)
        return -1;
    int ti = v->kind == VK_INPUT ? npu_graph_add_input(x->g, nm, nd, dim, (npu_dtype)dt, x->err)
                                 : npu_graph_add_const(x->g, nm, nd, dim, (npu_dtype)dt, x->err);
    if (ti < 0) {
        graph_err(x);
        return -1;
    }
    if (name_add(x, x->g->t[ti].name))
        return -1;
    /* a constant whose decoded elements are all equal keeps that value (the pattern pass
     * needs the 3 and 6 of HardSwish, the 0.5 of GELU ...); val_value fails softly (0) on large
     * or external constants, which then stay value-less */
    if (v->kind == VK_CONST && has_value(x, v) && v->nval >= 1) {
        bool splat = true;
        for (long i = 1; splat && i < v->nval; i++)
            splat = v->fv[i] == v->fv[0];
        x->g->t[ti].has_value = splat;
        x->g->t[ti].value = splat ? v->fv[0] : 0;
    }
    v->ti = ti;
    return ti;
}

static const char *node_base(const ox *x, const onode *n)
{
    if (n->name[0])
        return n->name;
    for (int k = 0; k < n->nout; k++)
        if (n->out[k][0])
            return n->out[k];
    return n->op;
}

/* Emits one IR layer for node n; suffix distinguishes helper layers of one node. */
static int emit(ox *x, const onode *n, npu_op op, const char *suffix, int nin, oval *const *ins,
                int nout)
{
    const char **names = nin ? xalloc(x, (size_t)nin, sizeof *names) : NULL;
    if (nin && !names)
        return -1;
    for (int i = 0; i < nin; i++) {
        int ti = materialize(x, ins[i]);
        if (ti < 0)
            return -1;
        names[i] = x->g->t[ti].name;
    }
    const char *base = node_base(x, n);
    char buf[512];
    if (suffix) {
        snprintf(buf, sizeof buf, "%s/%s", base, suffix);
        base = buf;
    }
    const char *nm = uniq(x, base, nout);
    if (!nm)
        return -1;
    int li = npu_graph_add_layer(x->g, op, nm, nin, names, nout, x->err);
    if (li < 0) {
        graph_err(x);
        return -1;
    }
    if (names_of_layer(x, li))
        return -1;
    return li;
}

/* Binds node output k to output j of layer li. */
static int bind(ox *x, const onode *n, int k, int li, int j)
{
    oval *o;
    if (node_out(x, n, k, &o))
        return -1;
    if (o) {
        o->kind = VK_ACT;
        o->ti = x->g->l[li].out[j];
    }
    return 0;
}

/* Emits a single-output layer over `nin` inputs and binds output 0. Returns li or -1. */
static int emit1(ox *x, const onode *n, npu_op op, int nin, oval *const *ins)
{
    int li = emit(x, n, op, NULL, nin, ins, 1);
    if (li < 0 || bind(x, n, 0, li, 0))
        return -1;
    return li;
}

/* Makes output k a constant with a known shape and (optionally) value. */
static int set_const(ox *x, const onode *n, int k, int dt, int nd, const int64_t *dim, long nval,
                     const int64_t *iv, const double *fv)
{
    oval *o;
    if (node_out(x, n, k, &o))
        return -1;
    if (!o)
        return 0;
    if (nd < 0 || nd > NPU_MAX_DIMS)
        return fmt_err(x, NPU_EUNSUPPORTED, "result has rank %d (at most %d)", nd, NPU_MAX_DIMS);
    o->kind = VK_CONST;
    o->dt = dt;
    o->shape_known = true;
    o->ndim = nd;
    memcpy(o->dim, dim, sizeof(int64_t) * (size_t)nd);
    o->val_tried = true;
    if (iv && nval <= ONNX_VALUE_CAP) {
        if (val_alloc(x, o, nval))
            return -1;
        memcpy(o->iv, iv, sizeof(int64_t) * (size_t)nval);
        memcpy(o->fv, fv, sizeof(double) * (size_t)nval);
        o->has_val = true;
    }
    return 0;
}

static int64_t prod(int nd, const int64_t *d)
{
    int64_t p = 1;
    for (int i = 0; i < nd; i++) {
        if (d[i] < 0 || (d[i] && p > INT64_MAX / d[i]))
            return -1;
        p *= d[i];
    }
    return p;
}

static int norm_axis(int64_t a, int rank, int64_t *out)
{
    if (a < -rank || a >= rank)
        return -1;
    *out = a < 0 ? a + rank : a;
    return 0;
}

/* ---- constant folding ------------------------------------------------------------------------ */
static int bcast_shape(int na, const int64_t *da, int nb, const int64_t *db, int *nr, int64_t *dr)
{
    int r = na > nb ? na : nb;
    for (int i = 0; i < r; i++) {
        int64_t a = i - (r - na) >= 0 ? da[i - (r - na)] : 1;
        int64_t b = i - (r - nb) >= 0 ? db[i - (r - nb)] : 1;
        if (a == b || b == 1)
            dr[i] = a;
        else if (a == 1)
            dr[i] = b;
        else
            return -1;
    }
    *nr = r;
    return 0;
}

static long bcast_index(int nr, const int64_t *dr, long flat, int n, const int64_t *d)
{
    long idx = 0, stride = 1;
    for (int i = nr - 1; i >= 0; i--) {
        long c = (long)(flat % dr[i]);
        flat /= (long)dr[i];
        int j = i - (nr - n);
        if (j >= 0) {
            if (d[j] != 1)
                idx += c * stride;
            stride *= (long)d[j];
        }
    }
    return idx;
}

/* Element-wise arithmetic on two known values (shape computations: Add/Sub/Mul/Div/Min/Max). */
static int fold_binary(ox *x, const onode *n, const char *op, oval *a, oval *b)
{
    int nr;
    int64_t dr[NPU_MAX_DIMS];
    if (bcast_shape(a->ndim, a->dim, b->ndim, b->dim, &nr, dr))
        return fmt_err(x, NPU_EINVAL, "inputs '%s' and '%s' cannot be broadcast", a->name,
                       b->name);
    int64_t cnt = prod(nr, dr);
    if (cnt < 0 || cnt > ONNX_VALUE_CAP)
        return set_const(x, n, 0, a->dt, nr, dr, 0, NULL, NULL);
    int64_t *ri = xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    bool isf = ot_is_float(a->dt);
    for (long i = 0; i < cnt; i++) {
        long ia = bcast_index(nr, dr, i, a->ndim, a->dim);
        long ib = bcast_index(nr, dr, i, b->ndim, b->dim);
        double fa = a->fv[ia], fb = b->fv[ib], fr = 0;
        int64_t qa = a->iv[ia], qb = b->iv[ib], qr = 0;
        switch (op[0]) {
        case 'A': fr = fa + fb; qr = (int64_t)((uint64_t)qa + (uint64_t)qb); break;
        case 'S': fr = fa - fb; qr = (int64_t)((uint64_t)qa - (uint64_t)qb); break;
        case 'M':
            if (op[1] == 'u') {
                fr = fa * fb;
                qr = (int64_t)((uint64_t)qa * (uint64_t)qb);
            } else if (op[1] == 'a') {
                fr = fa > fb ? fa : fb;
                qr = qa > qb ? qa : qb;
            } else {
                fr = fa < fb ? fa : fb;
                qr = qa < qb ? qa : qb;
            }
            break;
        default: /* Div: integer division truncates (ONNX reference) */
            fr = fa / fb;
            if (!isf && qb == 0)
                return fmt_err(x, NPU_EINVAL, "integer division by zero while folding");
            qr = isf ? 0 : (qa == INT64_MIN && qb == -1) ? INT64_MIN : qa / qb;
            break;
        }
        if (isf)
            qr = d2i(fr);
        else
            fr = (double)qr;
        ri[i] = qr;
        rf[i] = fr;
    }
    return set_const(x, n, 0, a->dt, nr, dr, (long)cnt, ri, rf);
}

/* Comparisons, Not, Where, Floor, Ceil and Expand on known values: they appear in exported
 * shape computations (e.g. PyTorch's handling of -1 in view()) and exist only there. */
static int fold_misc(ox *x, const onode *n, int m, oval **in)
{
    const char *op = n->op;
    int nr = 0, dt;
    int64_t dr[NPU_MAX_DIMS];
    bool where = !strcmp(op, "Where"), expand = !strcmp(op, "Expand");
    if (expand) { /* Expand(input, shape): broadcast input to shape */
        if (m != 2 || in[1]->nval > NPU_MAX_DIMS)
            return fmt_err(x, NPU_EINVAL, "bad Expand arguments");
        if (bcast_shape(in[0]->ndim, in[0]->dim, (int)in[1]->nval, in[1]->iv, &nr, dr))
            return fmt_err(x, NPU_EINVAL, "shapes cannot be broadcast");
        m = 1;
    } else {
        for (int i = 0; i < m; i++) {
            int64_t t[NPU_MAX_DIMS];
            int tn;
            if (bcast_shape(nr, dr, in[i]->ndim, in[i]->dim, &tn, t))
                return fmt_err(x, NPU_EINVAL, "shapes cannot be broadcast");
            nr = tn;
            memcpy(dr, t, sizeof t);
        }
    }
    for (int i = 0; i < nr; i++)
        if (dr[i] < 0)
            return fmt_err(x, NPU_EINVAL, "negative dimension");
    int64_t cnt = prod(nr, dr);
    dt = where ? in[1]->dt : (!strcmp(op, "Floor") || !strcmp(op, "Ceil") || expand) ? in[0]->dt
                                                                                     : OT_BOOL;
    if (cnt < 0 || cnt > ONNX_VALUE_CAP)
        return set_const(x, n, 0, dt, nr, dr, 0, NULL, NULL);
    int64_t *ri = xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    for (long i = 0; i < cnt; i++) {
        long k[3] = {0, 0, 0};
        for (int j = 0; j < m; j++)
            k[j] = bcast_index(nr, dr, i, in[j]->ndim, in[j]->dim);
        double a = in[0]->fv[k[0]], b = m > 1 ? in[1]->fv[k[1]] : 0, r;
        int64_t qa = in[0]->iv[k[0]], qb = m > 1 ? in[1]->iv[k[1]] : 0, q;
        bool fl = ot_is_float(in[0]->dt);
        switch (op[0]) {
        case 'E':
            if (expand) {
                r = a;
                q = qa;
            } else {
                q = fl ? a == b : qa == qb;
                r = (double)q;
            }
            break;
        case 'L': q = fl ? (op[4] ? a <= b : a < b) : (op[4] ? qa <= qb : qa < qb); r = (double)q; break;
        case 'G': q = fl ? (op[7] ? a >= b : a > b) : (op[7] ? qa >= qb : qa > qb); r = (double)q; break;
        case 'N': q = !qa; r = (double)q; break;
        case 'F': r = floor(a); q = fl ? d2i(r) : qa; break;
        case 'C': r = ceil(a); q = fl ? d2i(r) : qa; break;
        default: /* Where(cond, a, b) */
            q = qa ? qb : in[2]->iv[k[2]];
            r = qa ? in[1]->fv[k[1]] : in[2]->fv[k[2]];
            break;
        }
        ri[i] = q;
        rf[i] = r;
    }
    return set_const(x, n, 0, dt, nr, dr, (long)cnt, ri, rf);
}

static int fold_gather(ox *x, const onode *n, oval *d, oval *ix, int64_t axis)
{
    int nd = d->ndim + ix->ndim - 1;
    int64_t dim[NPU_MAX_DIMS];
    if (nd > NPU_MAX_DIMS)
        return fmt_err(x, NPU_EUNSUPPORTED, "result rank %d", nd);
    int k = 0;
    for (int i = 0; i < axis; i++)
        dim[k++] = d->dim[i];
    for (int i = 0; i < ix->ndim; i++)
        dim[k++] = ix->dim[i];
    for (int i = (int)axis + 1; i < d->ndim; i++)
        dim[k++] = d->dim[i];
    int64_t outer = prod((int)axis, d->dim), inner = prod(d->ndim - (int)axis - 1, d->dim + axis + 1);
    int64_t cnt = prod(nd, dim), ax = d->dim[axis];
    if (cnt < 0 || cnt > ONNX_VALUE_CAP)
        return set_const(x, n, 0, d->dt, nd, dim, 0, NULL, NULL);
    int64_t *ri = xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    long o = 0;
    for (int64_t a = 0; a < outer; a++)
        for (long j = 0; j < ix->nval; j++) {
            int64_t q = ix->iv[j];
            if (q < -ax || q >= ax)
                return fmt_err(x, NPU_EINVAL, "index %lld out of range for axis of size %lld",
                               (long long)q, (long long)ax);
            if (q < 0)
                q += ax;
            for (int64_t i = 0; i < inner; i++, o++) {
                long src = (long)((a * ax + q) * inner + i);
                ri[o] = d->iv[src];
                rf[o] = d->fv[src];
            }
        }
    return set_const(x, n, 0, d->dt, nd, dim, (long)cnt, ri, rf);
}

/* ONNX Slice bounds for one axis of size d: start index and element count. */
static void slice_range(int64_t d, int64_t st, int64_t en, int64_t step, int64_t *first,
                        int64_t *count)
{
    if (st < 0)
        st += d;
    if (en < 0 && en > INT64_MIN + d)
        en += d;
    else if (en < 0)
        en = -1;
    if (step > 0) {
        st = st < 0 ? 0 : st > d ? d : st;
        en = en < 0 ? 0 : en > d ? d : en;
        *count = en > st ? (en - st - 1) / step + 1 : 0;
    } else {
        uint64_t ustep = (uint64_t)(-(step + 1)) + 1; /* |step| without overflow */
        st = st < 0 ? 0 : st > d - 1 ? d - 1 : st;
        en = en < -1 ? -1 : en > d - 1 ? d - 1 : en;
        *count = st > en ? (int64_t)((uint64_t)(st - en - 1) / ustep) + 1 : 0;
    }
    *first = st;
}

/* Output shape of Reshape (0 copies the input dim unless allowzero, -1 infers). */
static int reshape_dims(ox *x, int nd, const int64_t *in, long nt, const int64_t *t, bool allowzero,
                        int64_t *out)
{
    if (nt > NPU_MAX_DIMS)
        return fmt_err(x, NPU_EUNSUPPORTED, "target shape has %ld dims (at most %d)", nt,
                       NPU_MAX_DIMS);
    int64_t total = prod(nd, in), known = 1;
    int infer = -1;
    for (long i = 0; i < nt; i++) {
        int64_t d = t[i];
        if (d == 0 && !allowzero) {
            if (i >= nd)
                return fmt_err(x, NPU_EINVAL, "shape[%ld] = 0 copies a dimension the input lacks",
                               i);
            d = in[i];
        }
        if (d == -1) {
            if (infer >= 0)
                return fmt_err(x, NPU_EINVAL, "target shape has more than one -1");
            infer = (int)i;
            continue;
        }
        if (d < 0)
            return fmt_err(x, NPU_EINVAL, "target shape has dimension %lld", (long long)d);
        out[i] = d;
        if (d && known > INT64_MAX / d)
            return fmt_err(x, NPU_EINVAL, "target shape overflows");
        known *= d;
    }
    if (infer >= 0) {
        if (known == 0 || total % known)
            return fmt_err(x, NPU_EINVAL, "cannot infer -1: %lld elements into blocks of %lld",
                           (long long)total, (long long)known);
        out[infer] = total / known;
    } else if (known != total) {
        return fmt_err(x, NPU_EINVAL, "reshape of %lld elements to %lld", (long long)total,
                       (long long)known);
    }
    return 0;
}

/* Re-labels a constant's value with a new shape (Reshape/Flatten/Squeeze/Unsqueeze/Identity). */
static int fold_view(ox *x, const onode *n, oval *v, int nd, const int64_t *dim)
{
    bool hv = has_value(x, v);
    return set_const(x, n, 0, v->dt, nd, dim, hv ? v->nval : 0, hv ? v->iv : NULL,
                     hv ? v->fv : NULL);
}

/* ---- operators -------------------------------------------------------------------------------- */
typedef enum {
    K_CONV, K_CONVT, K_GEMM, K_MATMUL, K_POOL, K_GPOOL, K_BIN, K_VARIADIC, K_UNARY, K_LEAKY,
    K_HSIG, K_PRELU, K_GELU, K_CLIP, K_BN, K_SOFTMAX, K_LN, K_CONCAT, K_SPLIT, K_SLICE,
    K_RESHAPE, K_FLATTEN, K_SQUEEZE, K_UNSQUEEZE, K_IDENTITY, K_TRANSPOSE, K_RESIZE, K_PAD,
    K_GATHER, K_CAST, K_QUANT, K_DEQUANT, K_REDUCE, K_CONSTANT, K_SHAPE, K_SIZE, K_COS, K_RANGE,
    K_D2S, /* DepthToSpace / SpaceToDepth: reshape, transpose, reshape */
    K_FOLD, /* only on constants known at import time (shape computations) */
    K_LRN
} okind;

typedef struct opdef {
    const char *name;
    okind kind;
    npu_op op;
} opdef;

static const opdef optab[] = {
    {"Conv", K_CONV, NPU_OP_CONV},
    {"ConvTranspose", K_CONVT, NPU_OP_CONVT},
    {"Gemm", K_GEMM, NPU_OP_GEMM},
    {"MatMul", K_MATMUL, NPU_OP_MATMUL},
    {"MaxPool", K_POOL, NPU_OP_MAXPOOL},
    {"AveragePool", K_POOL, NPU_OP_AVGPOOL},
    {"GlobalAveragePool", K_GPOOL, NPU_OP_GAVGPOOL},
    {"GlobalMaxPool", K_GPOOL, NPU_OP_GMAXPOOL},
    {"Add", K_BIN, NPU_OP_ADD},
    {"Sub", K_BIN, NPU_OP_SUB},
    {"Mul", K_BIN, NPU_OP_MUL},
    {"Div", K_BIN, NPU_OP_DIV},
    {"Pow", K_BIN, NPU_OP_POW},
    {"Max", K_VARIADIC, NPU_OP_MAX},
    {"Min", K_VARIADIC, NPU_OP_MIN},
    {"Sum", K_VARIADIC, NPU_OP_ADD},
    {"Mean", K_VARIADIC, NPU_OP_ADD}, /* sum of n inputs; the final 1/n scale is not a layer */
    {"Relu", K_UNARY, NPU_OP_RELU},
    {"Sigmoid", K_UNARY, NPU_OP_SIGMOID},
    {"Tanh", K_UNARY, NPU_OP_TANH},
    {"HardSwish", K_UNARY, NPU_OP_HARDSWISH},
    {"Exp", K_UNARY, NPU_OP_EXP},
    {"Sqrt", K_UNARY, NPU_OP_SQRT},
    {"Abs", K_UNARY, NPU_OP_ABS},
    {"Neg", K_UNARY, NPU_OP_NEG},
    {"Erf", K_UNARY, NPU_OP_ERF},
    {"Softplus", K_UNARY, NPU_OP_SOFTPLUS},
    {"Reciprocal", K_UNARY, NPU_OP_RECIPROCAL},
    {"Mish", K_UNARY, NPU_OP_MISH},
    {"LeakyRelu", K_LEAKY, NPU_OP_LEAKY},
    {"HardSigmoid", K_HSIG, NPU_OP_HARDSIGMOID},
    {"PRelu", K_PRELU, NPU_OP_PRELU},
    {"Gelu", K_GELU, NPU_OP_GELU},
    {"Clip", K_CLIP, NPU_OP_CLIP},
    {"BatchNormalization", K_BN, NPU_OP_BATCHNORM},
    {"Softmax", K_SOFTMAX, NPU_OP_SOFTMAX},
    {"LayerNormalization", K_LN, NPU_OP_LAYERNORM},
    {"LRN", K_LRN, NPU_OP_LRN},
    {"Concat", K_CONCAT, NPU_OP_CONCAT},
    {"Split", K_SPLIT, NPU_OP_SPLIT},
    {"Slice", K_SLICE, NPU_OP_SLICE},
    {"Reshape", K_RESHAPE, NPU_OP_RESHAPE},
    {"Flatten", K_FLATTEN, NPU_OP_FLATTEN},
    {"Squeeze", K_SQUEEZE, NPU_OP_SQUEEZE},
    {"Unsqueeze", K_UNSQUEEZE, NPU_OP_UNSQUEEZE},
    {"Identity", K_IDENTITY, NPU_OP_IDENTITY},
    {"Dropout", K_IDENTITY, NPU_OP_IDENTITY},
    {"Transpose", K_TRANSPOSE, NPU_OP_TRANSPOSE},
    {"Resize", K_RESIZE, NPU_OP_RESIZE},
    {"Upsample", K_RESIZE, NPU_OP_RESIZE},
    {"Pad", K_PAD, NPU_OP_PAD},
    {"Gather", K_GATHER, NPU_OP_GATHER},
    {"Cast", K_CAST, NPU_OP_CAST},
    {"QuantizeLinear", K_QUANT, NPU_OP_QUANTIZE},
    {"DequantizeLinear", K_DEQUANT, NPU_OP_DEQUANTIZE},
    {"ReduceMean", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceSum", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceMax", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceMin", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceProd", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceL1", K_REDUCE, NPU_OP_REDUCE},
    {"ReduceL2", K_REDUCE, NPU_OP_REDUCE},
    {"DepthToSpace", K_D2S, NPU_OP_TRANSPOSE},
    {"SpaceToDepth", K_D2S, NPU_OP_TRANSPOSE},
    {"Constant", K_CONSTANT, NPU_OP_IDENTITY},
    {"Shape", K_SHAPE, NPU_OP_IDENTITY},
    {"Size", K_SIZE, NPU_OP_IDENTITY},
    {"ConstantOfShape", K_COS, NPU_OP_IDENTITY},
    {"Range", K_RANGE, NPU_OP_IDENTITY},
    {"Equal", K_FOLD, NPU_OP_IDENTITY},
    {"Less", K_FOLD, NPU_OP_IDENTITY},
    {"LessOrEqual", K_FOLD, NPU_OP_IDENTITY},
    {"Greater", K_FOLD, NPU_OP_IDENTITY},
    {"GreaterOrEqual", K_FOLD, NPU_OP_IDENTITY},
    {"Not", K_FOLD, NPU_OP_IDENTITY},
    {"Where", K_FOLD, NPU_OP_IDENTITY},
    {"Floor", K_FOLD, NPU_OP_IDENTITY},
    {"Ceil", K_FOLD, NPU_OP_IDENTITY},
    {"Expand", K_FOLD, NPU_OP_IDENTITY},
};

static const opdef *op_lookup(const onode *n)
{
    if (n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return NULL;
    for (size_t i = 0; i < sizeof optab / sizeof optab[0]; i++)
        if (!strcmp(optab[i].name, n->op))
            return &optab[i];
    return NULL;
}

/* ---- attribute plumbing ------------------------------------------------------------------ */
static int set_ints(ox *x, int li, const char *key, long n, const int64_t *v)
{
    if (n < 1)
        return 0;
    if (n > NPU_ATTR_MAXN)
        return fmt_err(x, NPU_EUNSUPPORTED, "attribute %s has %ld values (at most %d)", key, n,
                       NPU_ATTR_MAXN);
    if (npu_layer_set_ints(x->g, li, key, (int)n, v))
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    return 0;
}

static int set_int(ox *x, int li, const char *key, int64_t v)
{
    return set_ints(x, li, key, 1, &v);
}

static int set_float(ox *x, int li, const char *key, double v)
{
    if (npu_layer_set_float(x->g, li, key, v))
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    return 0;
}

static int set_str(ox *x, int li, const char *key, const char *v)
{
    if (npu_layer_set_str(x->g, li, key, v))
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    return 0;
}

/* Integer list from an attribute (older opsets) or a constant input (newer opsets). Sets *n to
 * -1 when neither is present. */
static int int_list(ox *x, const onode *n, const char *aname, int input, int64_t *out, long max,
                    long *cnt, const char *what)
{
    *cnt = -1;
    if (input >= 0) {
        oval *v;
        if (node_in(x, n, input, &v))
            return -1;
        if (v) {
            if (need_value(x, v, what))
                return -1;
            if (v->nval > max)
                return fmt_err(x, NPU_EUNSUPPORTED, "%s has %ld values (at most %ld)", what,
                               v->nval, max);
            memcpy(out, v->iv, sizeof(int64_t) * (size_t)v->nval);
            *cnt = v->nval;
            return 0;
        }
    }
    if (aname) {
        const oattr *a = attr(n, aname);
        if (a && a->nints >= 0 && (a->ints || a->type == OA_INTS)) {
            if (a->nints > max)
                return fmt_err(x, NPU_EUNSUPPORTED, "%s has %ld values (at most %ld)", what,
                               a->nints, max);
            if (a->nints)
                memcpy(out, a->ints, sizeof(int64_t) * (size_t)a->nints);
            *cnt = a->nints;
        } else if (a && a->has_i && max >= 1) { /* a single int where a list is expected */
            out[0] = a->i;
            *cnt = 1;
        } else if (a) {
            return fmt_err(x, NPU_EFORMAT, "attribute %s is not a list of integers", aname);
        }
    }
    return 0;
}

static npu_dtype npu_dt_or_fp32(int ot)
{
    int d = ot_to_npu(ot);
    return d < 0 ? NPU_DT_FP32 : (npu_dtype)d;
}

/* Window geometry of Conv/ConvTranspose/pooling. `sp` spatial dims (1 or 2); a 1-D window is
 * held as a 2-D one of height 1 (k = 1,kw; s = 1,sw; pads 0,l,0,r), which is how it is modelled:
 * the input gets an unsqueezed H axis of size 1 (see wrap_1d). */
static int window_attrs(ox *x, const onode *n, int sp, int64_t *k, int64_t *s, int64_t *d,
                        int64_t *p)
{
    int64_t tmp[8];
    long c;
    int o = 2 - sp; /* first 2-D slot filled from the ONNX lists */
    s[0] = s[1] = d[0] = d[1] = 1;
    memset(p, 0, 4 * sizeof *p);
    if (sp == 1)
        k[0] = 1;
    if (int_list(x, n, "kernel_shape", -1, tmp, 8, &c, "kernel_shape"))
        return -1;
    if (c >= 0) {
        if (c != sp)
            return fmt_err(x, NPU_EINVAL, "kernel_shape has %ld values, expected %d", c, sp);
        for (int i = 0; i < sp; i++)
            k[o + i] = tmp[i];
    }
    static const char *const names[] = {"strides", "dilations"};
    for (int j = 0; j < 2; j++) {
        int64_t *dst = j ? d : s;
        if (int_list(x, n, names[j], -1, tmp, 8, &c, names[j]))
            return -1;
        if (c >= 0 && c != sp)
            return fmt_err(x, NPU_EINVAL, "%s has %ld values, expected %d", names[j], c, sp);
        for (int i = 0; i < c; i++)
            dst[o + i] = tmp[i];
    }
    if (int_list(x, n, "pads", -1, tmp, 8, &c, "pads"))
        return -1;
    if (c >= 0 && c != 2 * sp)
        return fmt_err(x, NPU_EINVAL, "pads has %ld values, expected %d", c, 2 * sp);
    for (int i = 0; i < c / 2; i++) {
        p[o + i] = tmp[i];
        p[2 + o + i] = tmp[sp + i];
    }
    /* bounded so that the window arithmetic below and in the IR cannot overflow */
    for (int i = 0; i < 2; i++)
        if (s[i] < 1 || d[i] < 1 || k[i] < 1 || s[i] > WIN_MAX || d[i] > WIN_MAX ||
            k[i] > WIN_MAX)
            return fmt_err(x, NPU_EINVAL, "kernel %lld, stride %lld and dilation %lld must be in "
                           "1..%lld", (long long)k[i], (long long)s[i], (long long)d[i],
                           (long long)WIN_MAX);
    for (int i = 0; i < 4; i++)
        if (p[i] < 0 || p[i] > WIN_MAX)
            return fmt_err(x, NPU_EINVAL, "padding %lld out of range 0..%lld", (long long)p[i],
                           (long long)WIN_MAX);
    return 0;
}

/* Spatial size of the input as 2 values (h = 1 for 1-D). */
static int spatial_of(ox *x, oval *in, int sp, int64_t *hw)
{
    int nd;
    int64_t dim[NPU_MAX_DIMS];
    if (need_shape(x, in, &nd, dim, "input"))
        return -1;
    if (nd != 2 + sp)
        return fmt_err(x, NPU_EINVAL, "input '%s' has rank %d, expected %d", in->name, nd, 2 + sp);
    hw[0] = sp == 1 ? 1 : dim[2];
    hw[1] = dim[nd - 1];
    for (int i = 0; i < 2; i++)
        if (hw[i] < 1 || hw[i] > DIM_LIMIT)
            return fmt_err(x, NPU_EINVAL, "input '%s' has spatial size %lld", in->name,
                           (long long)hw[i]);
    return 0;
}

/* SAME_UPPER / SAME_LOWER padding of a window op from the input size (ONNX auto_pad). */
static int auto_pads(ox *x, const onode *n, oval *in, int sp, const int64_t *k, const int64_t *s,
                     const int64_t *d, int64_t *pads)
{
    const char *ap = astr(n, "auto_pad", "NOTSET");
    if (!strcmp(ap, "NOTSET") || !ap[0])
        return 0;
    if (!strcmp(ap, "VALID")) {
        memset(pads, 0, 4 * sizeof *pads);
        return 0;
    }
    bool upper = !strcmp(ap, "SAME_UPPER");
    if (!upper && strcmp(ap, "SAME_LOWER"))
        return fmt_err(x, NPU_EFORMAT, "auto_pad '%s' is not NOTSET, VALID, SAME_UPPER or "
                       "SAME_LOWER", ap);
    int64_t hw[2];
    if (spatial_of(x, in, sp, hw))
        return -1;
    for (int i = 0; i < 2; i++) {
        int64_t h = hw[i], o = (h + s[i] - 1) / s[i];
        int64_t tot = (o - 1) * s[i] + (k[i] - 1) * d[i] + 1 - h;
        if (tot < 0)
            tot = 0;
        pads[i] = upper ? tot / 2 : tot - tot / 2;
        pads[2 + i] = tot - pads[i];
    }
    return 0;
}

/* 1-D windows: X [N,C,L] → unsqueeze to [N,C,1,L] before the 2-D layer (*tmp wraps it). */
static int wrap_1d(ox *x, const onode *n, oval **X, oval *tmp)
{
    int64_t ax = 2;
    int li = emit(x, n, NPU_OP_UNSQUEEZE, "to2d", 1, X, 1);
    if (li < 0 || set_ints(x, li, "axes", 1, &ax))
        return -1;
    memset(tmp, 0, sizeof *tmp);
    tmp->name = "to2d";
    tmp->kind = VK_ACT;
    tmp->ti = x->g->l[li].out[0];
    *X = tmp;
    return 0;
}

/* Emits the window layer and, for 1-D, the squeeze back to [N,K,L]; binds output 0. */
static int emit_window(ox *x, const onode *n, npu_op op, int sp, oval *X)
{
    oval tmp;
    if (sp == 1 && wrap_1d(x, n, &X, &tmp))
        return -1;
    int li = emit(x, n, op, NULL, 1, &X, 1);
    if (li < 0)
        return -1;
    if (sp == 2)
        return bind(x, n, 0, li, 0) ? -1 : li;
    oval y;
    memset(&y, 0, sizeof y);
    y.name = "to1d";
    y.kind = VK_ACT;
    y.ti = x->g->l[li].out[0];
    oval *py = &y;
    int64_t ax = 2;
    int ls = emit(x, n, NPU_OP_SQUEEZE, "to1d", 1, &py, 1);
    if (ls < 0 || set_ints(x, ls, "axes", 1, &ax) || bind(x, n, 0, ls, 0))
        return -1;
    return li;
}

static int set_window(ox *x, int li, const int64_t *k, const int64_t *s, const int64_t *d,
                      const int64_t *p, bool dil)
{
    if (set_ints(x, li, "k", 2, k) || set_ints(x, li, "s", 2, s) || set_ints(x, li, "p", 4, p))
        return -1;
    if (dil && set_ints(x, li, "d", 2, d))
        return -1;
    return 0;
}

/* Weight shape of a Conv/ConvTranspose (initializer, graph input or value_info); returns the
 * number of spatial dims (1 or 2) or -1. */
static int weight_shape(ox *x, oval *w, int64_t *dim)
{
    int nd;
    if (need_shape(x, w, &nd, dim, "weight"))
        return -1;
    if (nd != 3 && nd != 4) {
        fmt_err(x, NPU_EUNSUPPORTED, "weight '%s' has %d dims, expected 3 or 4 (only 1-D and "
                "2-D convolutions are modelled)", w->name, nd);
        return -1;
    }
    return nd - 2;
}

static bool is_const_like(const oval *v)
{
    return v->kind == VK_CONST || v->kind == VK_INPUT;
}

/* ---- one node ------------------------------------------------------------------------------ */
static int h_conv(ox *x, const onode *n, bool transposed)
{
    oval *X, *W, *B;
    int64_t wd[NPU_MAX_DIMS], k[2], s[2], d[2], p[4];
    if (need_in(x, n, 0, &X, "X") || need_in(x, n, 1, &W, "W") || node_in(x, n, 2, &B) ||
        only_outputs(x, n, 1, "extra output"))
        return -1;
    int sp = weight_shape(x, W, wd);
    if (sp < 0)
        return -1;
    k[0] = sp == 2 ? wd[2] : 1;
    k[1] = wd[1 + sp];
    if (window_attrs(x, n, sp, k, s, d, p))
        return -1;
    int64_t g = aint(n, "group", 1);
    if (g < 1 || g > DIM_LIMIT)
        return fmt_err(x, NPU_EINVAL, "group %lld out of range", (long long)g);
    for (int i = 0; i < 2; i++)
        if (wd[i] < 1 || wd[i] > DIM_LIMIT)
            return fmt_err(x, NPU_EINVAL, "weight '%s' dimension %d is %lld", W->name, i,
                           (long long)wd[i]);
    int64_t out = transposed ? wd[1] * g : wd[0];
    int64_t op[2] = {0, 0};
    if (transposed) {
        int64_t tmp[8];
        long c;
        int o = 2 - sp;
        if (int_list(x, n, "output_padding", -1, tmp, 8, &c, "output_padding"))
            return -1;
        if (c >= 0 && c != sp)
            return fmt_err(x, NPU_EINVAL, "output_padding has %ld values, expected %d", c, sp);
        for (int i = 0; i < c; i++) {
            if (tmp[i] < 0 || tmp[i] > WIN_MAX)
                return fmt_err(x, NPU_EINVAL, "output_padding %lld out of range", (long long)tmp[i]);
            op[o + i] = tmp[i];
        }
        long oc;
        int64_t os[8];
        const char *ap = astr(n, "auto_pad", "NOTSET");
        if (int_list(x, n, "output_shape", -1, os, 8, &oc, "output_shape"))
            return -1;
        bool same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");
        if (oc >= 0 || same) {
            int64_t hw[2];
            if (spatial_of(x, X, sp, hw))
                return -1;
            if (oc >= 0 && oc < sp)
                return fmt_err(x, NPU_EINVAL, "output_shape has %ld values", oc);
            for (int i = 0; i < 2; i++) {
                /* output_shape lists the spatial sizes (its last sp values are used) */
                int64_t want = (sp == 1 && i == 0) ? 1
                               : oc >= 0            ? os[oc - 2 + i]
                                                    : hw[i] * s[i];
                if (want < 1 || want > DIM_LIMIT)
                    return fmt_err(x, NPU_EINVAL, "output size %lld out of range",
                                   (long long)want);
                int64_t tot = s[i] * (hw[i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 - want;
                if (tot < 0) { /* more output than the kernel covers: extra output padding */
                    op[i] -= tot;
                    tot = 0;
                }
                bool upper = !strcmp(ap, "SAME_UPPER");
                p[i] = upper ? tot / 2 : tot - tot / 2;
                p[2 + i] = tot - p[i];
            }
        } else if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && ap[0]) {
            return fmt_err(x, NPU_EFORMAT, "auto_pad '%s' is not valid", ap);
        } else if (!strcmp(ap, "VALID")) {
            memset(p, 0, sizeof p);
        }
    } else if (auto_pads(x, n, X, sp, k, s, d, p)) {
        return -1;
    }
    int li = emit_window(x, n, transposed ? NPU_OP_CONVT : NPU_OP_CONV, sp, X);
    if (li < 0 || set_int(x, li, "out", out) || set_window(x, li, k, s, d, p, true) ||
        set_int(x, li, "g", g) || set_int(x, li, "bias", B != NULL))
        return -1;
    if (transposed && (op[0] || op[1]) && set_ints(x, li, "op", 2, op))
        return -1;
    return 0;
}

static int h_gemm(ox *x, const onode *n)
{
    oval *A, *B, *C;
    if (need_in(x, n, 0, &A, "A") || need_in(x, n, 1, &B, "B") || node_in(x, n, 2, &C) ||
        only_outputs(x, n, 1, "extra output"))
        return -1;
    int64_t ta = aint(n, "transA", 0), tb = aint(n, "transB", 0);
    oval *in = A;
    int li = -1;
    if (ta) { /* an explicit transpose layer: the IR gemm has no transA */
        int64_t perm[2] = {1, 0};
        li = emit(x, n, NPU_OP_TRANSPOSE, "transA", 1, &A, 1);
        if (li < 0 || set_ints(x, li, "perm", 2, perm))
            return -1;
        in = NULL;
    }
    oval tmpv;
    if (!in) { /* temporary value wrapping the transpose output */
        memset(&tmpv, 0, sizeof tmpv);
        tmpv.name = "transA";
        tmpv.kind = VK_ACT;
        tmpv.ti = x->g->l[li].out[0];
        in = &tmpv;
    }
    bool c_bias = C && is_const_like(C);
    bool c_add = C && !c_bias;
    if (is_const_like(B)) {
        int nd;
        int64_t bd[NPU_MAX_DIMS];
        if (need_shape(x, B, &nd, bd, "B"))
            return -1;
        if (nd != 2)
            return fmt_err(x, NPU_EINVAL, "B '%s' has %d dims, expected 2", B->name, nd);
        li = emit(x, n, NPU_OP_GEMM, c_add ? "gemm" : NULL, 1, &in, 1);
        if (li < 0 || set_int(x, li, "out", tb ? bd[0] : bd[1]) || set_int(x, li, "bias", c_bias))
            return -1;
    } else {
        oval *ins[2] = {in, B};
        li = emit(x, n, NPU_OP_MATMUL, C ? "matmul" : NULL, 2, ins, 1);
        if (li < 0 || (tb && set_int(x, li, "transb", 1)))
            return -1;
        c_add = C != NULL;
    }
    if (c_add) {
        oval tv = {0};
        tv.name = "gemm";
        tv.kind = VK_ACT;
        tv.ti = x->g->l[li].out[0];
        oval *ins[2] = {&tv, C};
        li = emit(x, n, NPU_OP_ADD, NULL, 2, ins, 1);
        if (li < 0)
            return -1;
    }
    return bind(x, n, 0, li, 0);
}

static int h_pool(ox *x, const onode *n, npu_op op)
{
    oval *X;
    int64_t k[2] = {1, 1}, s[2], d[2], p[4];
    if (need_in(x, n, 0, &X, "X") || only_outputs(x, n, 1, "pooling indices"))
        return -1;
    const oattr *ks = attr(n, "kernel_shape");
    if (!ks)
        return fmt_err(x, NPU_EFORMAT, "missing attribute kernel_shape");
    int sp = (int)ks->nints;
    if (sp != 1 && sp != 2)
        return fmt_err(x, NPU_EUNSUPPORTED, "%d-D pooling is not modelled (only 1-D and 2-D)",
                       sp);
    if (window_attrs(x, n, sp, k, s, d, p) || auto_pads(x, n, X, sp, k, s, d, p))
        return -1;
    if (op == NPU_OP_AVGPOOL && (d[0] != 1 || d[1] != 1))
        return fmt_err(x, NPU_EUNSUPPORTED, "dilated average pooling is not modelled");
    int li = emit_window(x, n, op, sp, X);
    if (li < 0 || set_window(x, li, k, s, d, p, op == NPU_OP_MAXPOOL && (d[0] > 1 || d[1] > 1)))
        return -1;
    if (aint(n, "ceil_mode", 0) && set_int(x, li, "ceil", 1))
        return -1;
    return 0;
}

static int h_binary(ox *x, const onode *n, const opdef *od)
{
    oval *ins[16];
    int m = 0;
    if (only_outputs(x, n, 1, "extra output"))
        return -1;
    if (n->nin > 16)
        return fmt_err(x, NPU_EUNSUPPORTED, "%d inputs (at most 16 are modelled)", n->nin);
    for (int i = 0; i < n->nin; i++) {
        oval *v;
        if (node_in(x, n, i, &v))
            return -1;
        if (v)
            ins[m++] = v;
    }
    if (m < 1 || (od->kind == K_BIN && m != 2))
        return fmt_err(x, NPU_EFORMAT, "has %d inputs", m);
    if (x->opset < 7 && m == 2 && aint(n, "broadcast", 0) && attr(n, "axis")) {
        /* legacy broadcasting (opset < 7): B's dims line up with A's from `axis`; append 1s to
         * B so that numpy broadcasting says the same */
        int na, nb;
        int64_t da[NPU_MAX_DIMS], db[NPU_MAX_DIMS], axis = aint(n, "axis", 0);
        if (need_shape(x, ins[0], &na, da, "input") || need_shape(x, ins[1], &nb, db, "input"))
            return -1;
        if (axis < 0)
            axis += na;
        int64_t trail = axis >= 0 && axis <= na ? na - axis - nb : -1;
        if (trail < 0)
            return fmt_err(x, NPU_EINVAL, "broadcast axis %lld does not fit ranks %d and %d",
                           (long long)aint(n, "axis", 0), na, nb);
        if (trail > 0) {
            int64_t nd[NPU_MAX_DIMS];
            memcpy(nd, db, sizeof(int64_t) * (size_t)nb);
            for (int64_t i = 0; i < trail; i++)
                nd[nb + i] = 1;
            oval *b2 = xalloc(x, 1, sizeof *b2);
            if (!b2)
                return -1;
            if (ins[1]->kind == VK_CONST) {
                has_value(x, ins[1]);
                *b2 = *ins[1];
                b2->ti = -1;
                b2->tp = NULL;
                b2->val_tried = true;
                b2->shape_known = true;
            } else {
                int li = emit(x, n, NPU_OP_RESHAPE, "broadcast", 1, &ins[1], 1);
                if (li < 0 || set_ints(x, li, "shape", na - axis, nd))
                    return -1;
                b2->name = "broadcast";
                b2->kind = VK_ACT;
                b2->ti = x->g->l[li].out[0];
            }
            b2->ndim = (int)(na - axis);
            memcpy(b2->dim, nd, sizeof(int64_t) * (size_t)b2->ndim);
            ins[1] = b2;
        }
    }
    /* shape arithmetic on constants is evaluated here */
    bool all = true;
    for (int i = 0; i < m; i++)
        all = all && has_value(x, ins[i]);
    if (all && od->op != NPU_OP_POW) {
        if (m == 1) {
            return fold_view(x, n, ins[0], ins[0]->ndim, ins[0]->dim);
        }
        if (m == 2)
            return fold_binary(x, n, n->op, ins[0], ins[1]);
    }
    if (m == 1) {
        int li = emit1(x, n, NPU_OP_IDENTITY, 1, ins);
        return li < 0 ? -1 : 0;
    }
    return emit1(x, n, od->op, m, ins) < 0 ? -1 : 0;
}

static int h_clip(ox *x, const onode *n)
{
    oval *X, *mn = NULL, *mx = NULL;
    bool hmin = false, hmax = false;
    double lo = -INFINITY, hi = INFINITY;
    if (need_in(x, n, 0, &X, "input"))
        return -1;
    if (x->opset < 11) {
        const oattr *a = attr(n, "min"), *b = attr(n, "max");
        if (a && a->has_f)
            lo = a->f, hmin = true;
        if (b && b->has_f)
            hi = b->f, hmax = true;
    } else {
        if (node_in(x, n, 1, &mn) || node_in(x, n, 2, &mx))
            return -1;
        if (mn) {
            if (need_value(x, mn, "min"))
                return -1;
            if (mn->nval != 1)
                return fmt_err(x, NPU_EINVAL, "min must be a scalar");
            lo = mn->fv[0];
            hmin = true;
        }
        if (mx) {
            if (need_value(x, mx, "max"))
                return -1;
            if (mx->nval != 1)
                return fmt_err(x, NPU_EINVAL, "max must be a scalar");
            hi = mx->fv[0];
            hmax = true;
        }
    }
    if (hmin && lo == 0 && hmax && hi == 6)
        return emit1(x, n, NPU_OP_RELU6, 1, &X) < 0 ? -1 : 0;
    if (hmin && lo == 0 && !hmax)
        return emit1(x, n, NPU_OP_RELU, 1, &X) < 0 ? -1 : 0;
    int li = emit1(x, n, NPU_OP_CLIP, 1, &X);
    if (li < 0)
        return -1;
    if (hmin && isfinite(lo) && set_float(x, li, "min", lo))
        return -1;
    if (hmax && isfinite(hi) && set_float(x, li, "max", hi))
        return -1;
    return 0;
}

static int h_reshape_like(ox *x, const onode *n, const opdef *od)
{
    oval *X;
    int nd = 0, ond = 0;
    int64_t dim[NPU_MAX_DIMS], od_[NPU_MAX_DIMS], list[NPU_MAX_DIMS + 8];
    long cnt = -1;
    if (need_in(x, n, 0, &X, "data"))
        return -1;
    bool fold = X->kind == VK_CONST;
    switch (od->kind) {
    case K_RESHAPE: {
        if (int_list(x, n, x->opset < 5 ? "shape" : NULL, x->opset < 5 ? -1 : 1, list,
                     NPU_MAX_DIMS + 8, &cnt, "shape"))
            return -1;
        if (cnt < 0)
            return fmt_err(x, NPU_EFORMAT, "missing target shape");
        if (cnt > NPU_MAX_DIMS)
            return fmt_err(x, NPU_EUNSUPPORTED, "target rank %ld (at most %d)", cnt,
                           NPU_MAX_DIMS);
        bool allowzero = aint(n, "allowzero", 0) != 0;
        for (long i = 0; i < cnt; i++)
            if (allowzero && list[i] == 0)
                return fmt_err(x, NPU_EUNSUPPORTED, "allowzero=1 with a 0 in the shape makes an "
                               "empty tensor");
        if (fold) {
            if (need_shape(x, X, &nd, dim, "data") || reshape_dims(x, nd, dim, cnt, list, allowzero, od_))
                return -1;
            return fold_view(x, n, X, (int)cnt, od_);
        }
        int li = emit1(x, n, NPU_OP_RESHAPE, 1, &X);
        return li < 0 || set_ints(x, li, "shape", cnt, list) ? -1 : 0;
    }
    case K_FLATTEN: {
        int64_t axis = aint(n, "axis", 1);
        if (fold) {
            int64_t ax;
            if (need_shape(x, X, &nd, dim, "input"))
                return -1;
            if (axis < -nd || axis > nd)
                return fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
            ax = axis < 0 ? axis + nd : axis;
            od_[0] = prod((int)ax, dim);
            od_[1] = prod(nd - (int)ax, dim + ax);
            return fold_view(x, n, X, 2, od_);
        }
        int li = emit1(x, n, NPU_OP_FLATTEN, 1, &X);
        return li < 0 || set_int(x, li, "axis", axis) ? -1 : 0;
    }
    case K_SQUEEZE:
    case K_UNSQUEEZE: {
        bool un = od->kind == K_UNSQUEEZE;
        if (int_list(x, n, x->opset < 13 ? "axes" : NULL, x->opset < 13 ? -1 : 1, list,
                     NPU_MAX_DIMS, &cnt, "axes"))
            return -1;
        if (un && cnt < 0)
            return fmt_err(x, NPU_EFORMAT, "missing axes");
        bool neg = false;
        for (long i = 0; i < cnt; i++)
            neg = neg || list[i] < 0;
        if (fold || neg || cnt < 0) {
            if (need_shape(x, X, &nd, dim, "input"))
                return -1;
            int r = un ? nd + (int)cnt : nd;
            if (r > NPU_MAX_DIMS)
                return fmt_err(x, NPU_EUNSUPPORTED, "result rank %d", r);
            bool sel[NPU_MAX_DIMS] = {false};
            for (long i = 0; i < cnt; i++) {
                int64_t a;
                if (norm_axis(list[i], r, &a) || sel[a])
                    return fmt_err(x, NPU_EINVAL, "axis %lld invalid for rank %d",
                                   (long long)list[i], r);
                sel[a] = true;
                list[i] = a;
            }
            if (cnt < 0) { /* squeeze every 1 */
                cnt = 0;
                for (int i = 0; i < nd; i++)
                    if (dim[i] == 1)
                        list[cnt++] = i, sel[i] = true;
            }
            if (fold) {
                ond = 0;
                for (int i = 0, j = 0; i < r; i++) {
                    if (un)
                        od_[ond++] = sel[i] ? 1 : dim[j++];
                    else if (!sel[i])
                        od_[ond++] = dim[i];
                    else if (dim[i] != 1)
                        return fmt_err(x, NPU_EINVAL, "cannot squeeze axis %d of size %lld", i,
                                       (long long)dim[i]);
                }
                return fold_view(x, n, X, ond, od_);
            }
        }
        if (!un && cnt == 0) /* nothing to squeeze */
            return emit1(x, n, NPU_OP_IDENTITY, 1, &X) < 0 ? -1 : 0;
        int li = emit1(x, n, un ? NPU_OP_UNSQUEEZE : NPU_OP_SQUEEZE, 1, &X);
        return li < 0 || set_ints(x, li, "axes", cnt, list) ? -1 : 0;
    }
    default: /* Identity, Dropout */
        if (only_outputs(x, n, 2, "extra output"))
            return -1;
        if (n->nout > 1 && n->out[1][0]) { /* Dropout mask: a bool tensor of the input shape */
            int lm = emit(x, n, NPU_OP_CAST, "mask", 1, &X, 1);
            if (lm < 0 || set_str(x, lm, "to", "bool") || bind(x, n, 1, lm, 0))
                return -1;
        }
        if (fold) {
            if (need_shape(x, X, &nd, dim, "input"))
                return -1;
            return fold_view(x, n, X, nd, dim);
        }
        return emit1(x, n, NPU_OP_IDENTITY, 1, &X) < 0 ? -1 : 0;
    }
}

static int h_concat(ox *x, const onode *n)
{
    oval *ins[4096];
    int m = 0;
    if (!attr(n, "axis") && x->opset >= 4)
        return fmt_err(x, NPU_EFORMAT, "missing attribute axis");
    int64_t axis = aint(n, "axis", 1); /* optional (default 1) before opset 4 */
    if (n->nin > 4096)
        return fmt_err(x, NPU_EUNSUPPORTED, "%d inputs (at most 4096 are modelled)", n->nin);
    bool all = true;
    for (int i = 0; i < n->nin && m < 4096; i++) {
        oval *v;
        if (node_in(x, n, i, &v))
            return -1;
        if (!v)
            continue;
        ins[m++] = v;
        all = all && has_value(x, v);
    }
    if (m < 1)
        return fmt_err(x, NPU_EFORMAT, "no inputs");
    if (all) { /* e.g. the shape vector of a PyTorch Reshape */
        oval *a = ins[0];
        int64_t ax, dim[NPU_MAX_DIMS];
        if (norm_axis(axis, a->ndim, &ax))
            return fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
        memcpy(dim, a->dim, sizeof dim);
        dim[ax] = 0;
        for (int i = 0; i < m; i++) {
            if (ins[i]->ndim != a->ndim)
                return fmt_err(x, NPU_EINVAL, "inputs of different rank");
            for (int j = 0; j < a->ndim; j++)
                if (j != ax && ins[i]->dim[j] != a->dim[j])
                    return fmt_err(x, NPU_EINVAL, "input shapes differ off the axis");
            dim[ax] += ins[i]->dim[ax];
        }
        int64_t cnt = prod(a->ndim, dim);
        if (cnt < 0 || cnt > ONNX_VALUE_CAP)
            return set_const(x, n, 0, a->dt, a->ndim, dim, 0, NULL, NULL);
        int64_t *ri = xalloc(x, (size_t)cnt, sizeof *ri);
        double *rf = xalloc(x, (size_t)cnt, sizeof *rf);
        if (!ri || !rf)
            return -1;
        int64_t outer = prod((int)ax, a->dim), o = 0;
        for (int64_t q = 0; q < outer; q++)
            for (int i = 0; i < m; i++) {
                int64_t blk = prod(a->ndim - (int)ax, ins[i]->dim + ax);
                for (int64_t e = 0; e < blk; e++, o++) {
                    ri[o] = ins[i]->iv[q * blk + e];
                    rf[o] = ins[i]->fv[q * blk + e];
                }
            }
        return set_const(x, n, 0, a->dt, a->ndim, dim, (long)cnt, ri, rf);
    }
    int li = emit1(x, n, NPU_OP_CONCAT, m, ins);
    return li < 0 || set_int(x, li, "axis", axis) ? -1 : 0;
}

static int h_split(ox *x, const onode *n)
{
    oval *X;
    int64_t sizes[NPU_ATTR_MAXN + 1];
    long cnt;
    if (need_in(x, n, 0, &X, "input"))
        return -1;
    if (n->nout < 1)
        return fmt_err(x, NPU_EFORMAT, "no outputs");
    if (int_list(x, n, x->opset < 13 ? "split" : NULL, x->opset < 13 ? -1 : 1, sizes,
                 NPU_ATTR_MAXN, &cnt, "split"))
        return -1;
    if (cnt >= 0 && cnt != n->nout)
        return fmt_err(x, NPU_EINVAL, "split has %ld sizes for %d outputs", cnt, n->nout);
    int li = emit(x, n, NPU_OP_SPLIT, NULL, 1, &X, n->nout);
    if (li < 0 || set_int(x, li, "axis", aint(n, "axis", 0)))
        return -1;
    if (cnt >= 0 ? set_ints(x, li, "sizes", cnt, sizes) : set_int(x, li, "n", n->nout))
        return -1;
    for (int k = 0; k < n->nout; k++)
        if (bind(x, n, k, li, k))
            return -1;
    return 0;
}

static int h_slice(ox *x, const onode *n)
{
    oval *X;
    int64_t st[NPU_ATTR_MAXN], en[NPU_ATTR_MAXN], ax[NPU_ATTR_MAXN], sp[NPU_ATTR_MAXN];
    long ns, ne, na, nsp;
    bool old = x->opset < 10;
    if (need_in(x, n, 0, &X, "data") ||
        int_list(x, n, old ? "starts" : NULL, old ? -1 : 1, st, NPU_ATTR_MAXN, &ns, "starts") ||
        int_list(x, n, old ? "ends" : NULL, old ? -1 : 2, en, NPU_ATTR_MAXN, &ne, "ends") ||
        int_list(x, n, old ? "axes" : NULL, old ? -1 : 3, ax, NPU_ATTR_MAXN, &na, "axes") ||
        int_list(x, n, NULL, old ? -1 : 4, sp, NPU_ATTR_MAXN, &nsp, "steps"))
        return -1;
    if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns))
        return fmt_err(x, NPU_EFORMAT, "starts, ends, axes and steps must have the same length");
    if (has_value(x, X) && X->ndim == 1 && ns == 1) { /* 1-D constant: fold */
        int64_t a = na > 0 ? ax[0] : 0, step = nsp > 0 ? sp[0] : 1, first, count;
        if ((a != 0 && a != -1) || step == 0)
            return fmt_err(x, NPU_EINVAL, "bad axis or step");
        slice_range(X->dim[0], st[0], en[0], step, &first, &count);
        int64_t *ri = xalloc(x, (size_t)count, sizeof *ri);
        double *rf = xalloc(x, (size_t)count, sizeof *rf);
        if (!ri || !rf)
            return -1;
        for (int64_t i = 0; i < count; i++) {
            ri[i] = X->iv[first + i * step];
            rf[i] = X->fv[first + i * step];
        }
        return set_const(x, n, 0, X->dt, 1, &count, (long)count, ri, rf);
    }
    int li = emit1(x, n, NPU_OP_SLICE, 1, &X);
    if (li < 0 || set_ints(x, li, "starts", ns, st) || set_ints(x, li, "ends", ne, en))
        return -1;
    if ((na > 0 && set_ints(x, li, "axes", na, ax)) || (nsp > 0 && set_ints(x, li, "steps", nsp, sp)))
        return -1;
    return 0;
}

static int h_transpose(ox *x, const onode *n)
{
    oval *X;
    int64_t perm[NPU_MAX_DIMS + 1];
    long cnt;
    if (need_in(x, n, 0, &X, "data") ||
        int_list(x, n, "perm", -1, perm, NPU_MAX_DIMS + 1, &cnt, "perm"))
        return -1;
    if (X->kind == VK_CONST && !has_value(x, X)) { /* e.g. a transposed weight */
        int nd;
        int64_t dim[NPU_MAX_DIMS], od[NPU_MAX_DIMS];
        if (need_shape(x, X, &nd, dim, "data"))
            return -1;
        if (cnt >= 0 && cnt != nd)
            return fmt_err(x, NPU_EINVAL, "perm has %ld values for rank %d", cnt, nd);
        bool seen[NPU_MAX_DIMS] = {false};
        for (int i = 0; i < nd; i++) {
            int64_t src = cnt >= 0 ? perm[i] : nd - 1 - i;
            if (src < 0 || src >= nd || seen[src])
                return fmt_err(x, NPU_EINVAL, "perm is not a permutation");
            seen[src] = true;
            od[i] = dim[src];
        }
        if (set_const(x, n, 0, X->dt, nd, od, 0, NULL, NULL))
            return -1;
        bool swap = nd >= 2;
        for (int i = 0; swap && i < nd; i++)
            swap = (cnt >= 0 ? perm[i] : nd - 1 - i) == (i < nd - 2 ? i : 2 * nd - 3 - i);
        oval *o = swap && n->out[0][0] ? val_find(x, n->out[0]) : NULL;
        if (o)
            o->swapped = X;
        return 0;
    }
    int li = emit1(x, n, NPU_OP_TRANSPOSE, 1, &X);
    return li < 0 || (cnt >= 0 && set_ints(x, li, "perm", cnt, perm)) ? -1 : 0;
}

static int h_resize(ox *x, const onode *n)
{
    oval *X, *sc = NULL, *sz = NULL;
    bool upsample = !strcmp(n->op, "Upsample");
    double scales[NPU_MAX_DIMS];
    int64_t sizes[NPU_MAX_DIMS];
    int nsc = -1, nsz = -1;
    if (need_in(x, n, 0, &X, "X") || only_outputs(x, n, 1, "extra output"))
        return -1;
    if (attr(n, "axes"))
        return fmt_err(x, NPU_EUNSUPPORTED, "the axes attribute is not supported");
    if (strcmp(astr(n, "keep_aspect_ratio_policy", "stretch"), "stretch"))
        return fmt_err(x, NPU_EUNSUPPORTED, "keep_aspect_ratio_policy other than stretch");
    if (upsample && x->opset < 9) {
        const oattr *a = attr(n, "scales");
        if (!a || a->nfloats < 1 || a->nfloats > NPU_MAX_DIMS)
            return fmt_err(x, NPU_EFORMAT, "missing or bad attribute scales");
        nsc = (int)a->nfloats;
        memcpy(scales, a->floats, sizeof(double) * (size_t)nsc);
    } else {
        int si = upsample || x->opset < 11 ? 1 : 2;
        if (node_in(x, n, si, &sc) || (!upsample && x->opset >= 11 && node_in(x, n, 3, &sz)))
            return -1;
        if (sc && sc->kind == VK_CONST && sc->shape_known && prod(sc->ndim, sc->dim) == 0)
            sc = NULL; /* an empty scales tensor means "use sizes" */
        if (sc) {
            if (need_value(x, sc, "scales"))
                return -1;
            if (sc->nval < 1 || sc->nval > NPU_MAX_DIMS)
                return fmt_err(x, NPU_EINVAL, "scales has %ld values", sc->nval);
            nsc = (int)sc->nval;
            memcpy(scales, sc->fv, sizeof(double) * (size_t)nsc);
        } else if (sz) {
            if (need_value(x, sz, "sizes"))
                return -1;
            if (sz->nval < 1 || sz->nval > NPU_MAX_DIMS)
                return fmt_err(x, NPU_EINVAL, "sizes has %ld values", sz->nval);
            nsz = (int)sz->nval;
            memcpy(sizes, sz->iv, sizeof(int64_t) * (size_t)nsz);
        } else {
            return fmt_err(x, NPU_EFORMAT, "neither scales nor sizes is given");
        }
    }
    const char *mode = astr(n, "mode", "nearest");
    const char *m = !strcmp(mode, "nearest") ? "nearest"
                    : (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) ? "linear"
                    : !strcmp(mode, "cubic") ? "cubic" : NULL;
    if (!m)
        return fmt_err(x, NPU_EUNSUPPORTED, "mode '%s' is not supported", mode);
    int nd;
    int64_t dim[NPU_MAX_DIMS], out[NPU_MAX_DIMS];
    if (need_shape(x, X, &nd, dim, "input"))
        return -1;
    int cntv = nsc >= 0 ? nsc : nsz;
    if (cntv != nd)
        return fmt_err(x, NPU_EINVAL, "%d scales/sizes for a rank-%d input", cntv, nd);
    if (nd < 3)
        return fmt_err(x, NPU_EUNSUPPORTED, "resizing a rank-%d tensor is not modelled", nd);
    for (int i = 0; i < nd; i++) {
        double v = nsc >= 0 ? floor((double)dim[i] * scales[i]) : (double)sizes[i];
        if (!(v >= 1) || v > 2147483647.0)
            return fmt_err(x, NPU_EINVAL, "resized dimension %d would be %g", i, v);
        out[i] = (int64_t)v;
        if (i < 2 && out[i] != dim[i])
            return fmt_err(x, NPU_EUNSUPPORTED, "resizing the batch or channel axis is not "
                           "modelled");
    }
    int li = emit1(x, n, NPU_OP_RESIZE, 1, &X);
    return li < 0 || set_ints(x, li, "size", nd - 2, out + 2) || set_str(x, li, "mode", m) ? -1 : 0;
}

static int h_pad(ox *x, const onode *n)
{
    oval *X, *cv = NULL;
    int64_t pads[2 * NPU_MAX_DIMS + 1];
    long cnt;
    bool old = x->opset < 11;
    if (need_in(x, n, 0, &X, "data") ||
        int_list(x, n, old ? (x->opset < 2 ? "paddings" : "pads") : NULL, old ? -1 : 1, pads,
                 2 * NPU_MAX_DIMS, &cnt, "pads"))
        return -1;
    if (cnt < 0)
        return fmt_err(x, NPU_EFORMAT, "missing pads");
    if (!old && n->nin > 3 && n->in[3][0])
        return fmt_err(x, NPU_EUNSUPPORTED, "the axes input of Pad is not supported");
    const char *mode = astr(n, "mode", "constant");
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
        return fmt_err(x, NPU_EUNSUPPORTED, "mode '%s' is not supported", mode);
    double value = old ? afloat(n, "value", 0) : 0;
    if (!old && node_in(x, n, 2, &cv))
        return -1;
    if (cv && has_value(x, cv) && cv->nval == 1)
        value = cv->fv[0];
    int li = emit1(x, n, NPU_OP_PAD, 1, &X);
    if (li < 0 || set_ints(x, li, "pads", cnt, pads) || set_str(x, li, "mode", mode))
        return -1;
    return value != 0 && isfinite(value) ? set_float(x, li, "value", value) : 0;
}

static int h_gather(ox *x, const onode *n)
{
    oval *D, *I;
    if (need_in(x, n, 0, &D, "data") || need_in(x, n, 1, &I, "indices"))
        return -1;
    int64_t axis = aint(n, "axis", 0);
    if (has_value(x, D) && has_value(x, I)) {
        int64_t ax;
        if (norm_axis(axis, D->ndim, &ax))
            return fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
        return fold_gather(x, n, D, I, ax);
    }
    oval *ins[2] = {D, I};
    int li = emit1(x, n, NPU_OP_GATHER, 2, ins);
    return li < 0 || set_int(x, li, "axis", axis) ? -1 : 0;
}

static int h_cast(ox *x, const onode *n, int kind)
{
    oval *X;
    if (need_in(x, n, 0, &X, "input") || only_outputs(x, n, 1, "extra output"))
        return -1;
    int to;
    if (kind == K_CAST) {
        if (!attr(n, "to"))
            return fmt_err(x, NPU_EFORMAT, "missing attribute to");
        to = (int)aint(n, "to", 0);
    } else if (kind == K_QUANT) {
        oval *zp;
        if (node_in(x, n, 2, &zp))
            return -1;
        to = zp ? zp->dt : (int)aint(n, "output_dtype", OT_UINT8);
        if (!to)
            to = OT_UINT8;
    } else {
        oval *scale;
        if (node_in(x, n, 1, &scale))
            return -1;
        to = scale && scale->dt ? scale->dt : OT_FLOAT;
    }
    if (ot_to_npu(to) < 0)
        return fmt_err(x, NPU_EUNSUPPORTED, "converts to %s, which npusim does not model",
                       ot_name(to));
    if (X->kind == VK_CONST) { /* weights: quantized/dequantized/cast offline */
        int nd;
        int64_t dim[NPU_MAX_DIMS];
        if (need_shape(x, X, &nd, dim, "input"))
            return -1;
        bool hv = kind == K_CAST && has_value(x, X);
        if (hv) {
            int64_t *ri = xalloc(x, (size_t)X->nval, sizeof *ri);
            double *rf = xalloc(x, (size_t)X->nval, sizeof *rf);
            if (!ri || !rf)
                return -1;
            for (long i = 0; i < X->nval; i++) {
                ri[i] = to == OT_BOOL ? (X->fv[i] != 0) : ot_is_float(to) ? d2i(X->fv[i]) : X->iv[i];
                rf[i] = ot_is_float(to) ? X->fv[i] : (double)ri[i];
                if (!ot_is_float(to) && ot_is_float(X->dt))
                    ri[i] = d2i(X->fv[i]), rf[i] = (double)ri[i];
            }
            return set_const(x, n, 0, to, nd, dim, X->nval, ri, rf);
        }
        return set_const(x, n, 0, to, nd, dim, 0, NULL, NULL);
    }
    npu_op op = kind == K_CAST ? NPU_OP_CAST : kind == K_QUANT ? NPU_OP_QUANTIZE : NPU_OP_DEQUANTIZE;
    int li = emit1(x, n, op, 1, &X);
    if (li < 0 || set_str(x, li, "to", npu_dtype_name(npu_dt_or_fp32(to))))
        return -1;
    if (kind != K_CAST && attr(n, "axis") && set_int(x, li, "axis", aint(n, "axis", 1)))
        return -1;
    return 0;
}

/* ONNX Reduce* operator ↔ the IR reduce layer's kind= (the writer maps back through it) */
static const char *const reduce_kinds[][2] = {{"ReduceMean", "mean"}, {"ReduceSum", "sum"},
                                              {"ReduceMax", "max"},   {"ReduceMin", "min"},
                                              {"ReduceProd", "prod"}, {"ReduceL1", "l1"},
                                              {"ReduceL2", "l2"}};

const char *npu_onnx_reduce_op(const char *kind)
{
    for (size_t i = 0; i < sizeof reduce_kinds / sizeof reduce_kinds[0]; i++)
        if (!strcmp(kind, reduce_kinds[i][1]))
            return reduce_kinds[i][0];
    return NULL;
}

static int h_reduce(ox *x, const onode *n)
{
    oval *X;
    int64_t axes[NPU_MAX_DIMS + 1];
    long cnt;
    if (need_in(x, n, 0, &X, "data"))
        return -1;
    bool from_input = !strcmp(n->op, "ReduceSum") ? x->opset >= 13 : x->opset >= 18;
    if (int_list(x, n, from_input ? NULL : "axes", from_input ? 1 : -1, axes, NPU_MAX_DIMS,
                 &cnt, "axes"))
        return -1;
    if (cnt <= 0 && aint(n, "noop_with_empty_axes", 0))
        return emit1(x, n, NPU_OP_IDENTITY, 1, &X) < 0 ? -1 : 0;
    const char *kind = "mean";
    for (size_t i = 0; i < sizeof reduce_kinds / sizeof reduce_kinds[0]; i++)
        if (!strcmp(n->op, reduce_kinds[i][0]))
            kind = reduce_kinds[i][1];
    int li = emit1(x, n, NPU_OP_REDUCE, 1, &X);
    if (li < 0 || set_str(x, li, "kind", kind) || set_int(x, li, "keep", aint(n, "keepdims", 1) != 0))
        return -1;
    return cnt > 0 ? set_ints(x, li, "axes", cnt, axes) : 0;
}

static int h_constant(ox *x, const onode *n)
{
    oval *o;
    if (n->nattr < 1)
        return fmt_err(x, NPU_EFORMAT, "no value attribute");
    const oattr *a = &n->attr[0];
    for (int i = 0; i < n->nattr; i++)
        if (strcmp(n->attr[i].name, "doc_string"))
            a = &n->attr[i];
    if (!strcmp(a->name, "value")) {
        if (!a->has_t)
            return fmt_err(x, NPU_EFORMAT, "attribute value holds no tensor");
        if (node_out(x, n, 0, &o))
            return -1;
        if (!o)
            return 0;
        o->kind = VK_CONST;
        o->tp = &a->t;
        o->dt = a->t.dt;
        if (a->t.ndim < 0)
            return fmt_err(x, NPU_EUNSUPPORTED, "constant of rank > %d", NPU_MAX_DIMS);
        o->shape_known = true;
        o->ndim = a->t.ndim;
        memcpy(o->dim, a->t.dim, sizeof o->dim);
        return 0;
    }
    int64_t one = 1;
    if (!strcmp(a->name, "value_float")) {
        int64_t q = d2i(a->f);
        return set_const(x, n, 0, OT_FLOAT, 0, &one, 1, &q, &a->f);
    }
    if (!strcmp(a->name, "value_int")) {
        double f = (double)a->i;
        return set_const(x, n, 0, OT_INT64, 0, &one, 1, &a->i, &f);
    }
    if (!strcmp(a->name, "value_ints") || !strcmp(a->name, "value_floats")) {
        bool fl = a->name[7] == 'f';
        long c = fl ? a->nfloats : a->nints;
        int64_t *ri = xalloc(x, (size_t)c, sizeof *ri);
        double *rf = xalloc(x, (size_t)c, sizeof *rf);
        if (!ri || !rf)
            return -1;
        for (long i = 0; i < c; i++) {
            rf[i] = fl ? a->floats[i] : (double)a->ints[i];
            ri[i] = fl ? d2i(a->floats[i]) : a->ints[i];
        }
        int64_t d = c;
        return set_const(x, n, 0, fl ? OT_FLOAT : OT_INT64, 1, &d, c, ri, rf);
    }
    return fmt_err(x, NPU_EUNSUPPORTED, "constant attribute '%s' is not supported", a->name);
}

static int h_shape(ox *x, const onode *n, bool size)
{
    oval *X;
    int nd;
    int64_t dim[NPU_MAX_DIMS];
    if (need_in(x, n, 0, &X, "data") || need_shape(x, X, &nd, dim, "input"))
        return -1;
    if (size) {
        int64_t e = prod(nd, dim), one = 1;
        if (e < 0)
            return fmt_err(x, NPU_EINVAL, "element count overflows");
        double f = (double)e;
        return set_const(x, n, 0, OT_INT64, 0, &one, 1, &e, &f);
    }
    int64_t st = aint(n, "start", 0), en = aint(n, "end", nd);
    st = st < 0 ? st + nd : st;
    en = en < 0 ? en + nd : en;
    st = st < 0 ? 0 : st > nd ? nd : st;
    en = en < 0 ? 0 : en > nd ? nd : en;
    int64_t c = en > st ? en - st : 0;
    double f[NPU_MAX_DIMS];
    for (int64_t i = 0; i < c; i++)
        f[i] = (double)dim[st + i];
    return set_const(x, n, 0, OT_INT64, 1, &c, (long)c, dim + st, f);
}

static int h_const_of_shape(ox *x, const onode *n)
{
    oval *S;
    if (need_in(x, n, 0, &S, "input") || need_value(x, S, "shape"))
        return -1;
    if (S->nval > NPU_MAX_DIMS)
        return fmt_err(x, NPU_EUNSUPPORTED, "rank %ld", S->nval);
    int dt = OT_FLOAT;
    double fill = 0;
    const oattr *a = attr(n, "value");
    if (a && a->has_t) {
        oval tmp = {0};
        tmp.kind = VK_CONST;
        tmp.tp = &a->t;
        tmp.name = "value";
        dt = a->t.dt;
        if (val_value(x, &tmp) > 0 && tmp.nval == 1)
            fill = tmp.fv[0];
    }
    int64_t cnt = prod((int)S->nval, S->iv);
    if (cnt < 0)
        return fmt_err(x, NPU_EINVAL, "negative or overflowing shape");
    if (cnt > ONNX_VALUE_CAP)
        return set_const(x, n, 0, dt, (int)S->nval, S->iv, 0, NULL, NULL);
    int64_t *ri = xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    for (int64_t i = 0; i < cnt; i++)
        rf[i] = fill, ri[i] = d2i(fill);
    return set_const(x, n, 0, dt, (int)S->nval, S->iv, (long)cnt, ri, rf);
}

static int h_range(ox *x, const onode *n)
{
    oval *a, *b, *c;
    if (need_in(x, n, 0, &a, "start") || need_in(x, n, 1, &b, "limit") ||
        need_in(x, n, 2, &c, "delta") || need_value(x, a, "start") ||
        need_value(x, b, "limit") || need_value(x, c, "delta"))
        return -1;
    if (a->nval != 1 || b->nval != 1 || c->nval != 1 || c->fv[0] == 0)
        return fmt_err(x, NPU_EINVAL, "start, limit and delta must be scalars, delta non-zero");
    double cntf = ceil((b->fv[0] - a->fv[0]) / c->fv[0]);
    int64_t cnt = cntf > 0 ? (int64_t)fmin(cntf, 1e15) : 0;
    if (cnt > ONNX_VALUE_CAP)
        return set_const(x, n, 0, a->dt, 1, &cnt, 0, NULL, NULL);
    int64_t *ri = xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    for (int64_t i = 0; i < cnt; i++) {
        rf[i] = a->fv[0] + (double)i * c->fv[0];
        ri[i] = ot_is_float(a->dt) ? d2i(rf[i])
                                   : (int64_t)((uint64_t)a->iv[0] + (uint64_t)i * (uint64_t)c->iv[0]);
    }
    return set_const(x, n, 0, a->dt, 1, &cnt, (long)cnt, ri, rf);
}

static int h_simple(ox *x, const onode *n, const opdef *od)
{
    oval *X;
    if (need_in(x, n, 0, &X, "input"))
        return -1;
    switch (od->kind) {
    case K_MATMUL: {
        oval *ins[2];
        ins[0] = X;
        if (need_in(x, n, 1, &ins[1], "B") || only_outputs(x, n, 1, "extra output"))
            return -1;
        /* B = Transpose(W) of a constant W (a tied embedding as the output projection): W
         * with transb=1, so that W stays one tensor (counted once) in the IR */
        oval *w = ins[1]->swapped;
        if (w && ins[1]->ti < 0)
            ins[1] = w;
        /* MatMul by a constant [K, N] weight read by this node only: torch.onnx's nn.Linear on
         * a rank-3 input (and every transformer's projections). It is the IR's gemm out=N,
         * as Gemm is; an Add of a [N] bias after it folds into the gemm's bias (pattern pass,
         * per-channel fold), so the export and the zoo's gemm are one layer */
        int nd;
        int64_t bd[NPU_MAX_DIMS];
        if (!w && ins[1]->kind == VK_CONST && ins[1]->nuses == 1 && X->kind != VK_CONST) {
            if (need_shape(x, ins[1], &nd, bd, "B"))
                return -1;
            if (nd == 2) {
                int li = emit1(x, n, NPU_OP_GEMM, 1, ins);
                return li < 0 || set_int(x, li, "out", bd[1]) || set_int(x, li, "bias", 0) ? -1
                                                                                           : 0;
            }
        }
        int li = emit1(x, n, NPU_OP_MATMUL, 2, ins);
        return li < 0 || (w && ins[1] == w && set_int(x, li, "transb", 1)) ? -1 : 0;
    }
    case K_BN:
        if (only_outputs(x, n, 1, "training-mode statistics"))
            return -1;
        if (aint(n, "training_mode", 0))
            return fmt_err(x, NPU_EUNSUPPORTED, "training_mode=1 is not supported");
        {
            int li = emit1(x, n, NPU_OP_BATCHNORM, 1, &X);
            return li < 0 || set_float(x, li, "eps", afloat(n, "epsilon", 1e-5)) ? -1 : 0;
        }
    case K_SOFTMAX: {
        int li = emit1(x, n, NPU_OP_SOFTMAX, 1, &X);
        return li < 0 || set_int(x, li, "axis", aint(n, "axis", x->opset < 13 ? 1 : -1)) ? -1 : 0;
    }
    case K_LN: {
        oval *sc, *b;
        if (node_in(x, n, 1, &sc) || node_in(x, n, 2, &b))
            return -1;
        int64_t axis = aint(n, "axis", -1);
        int li = emit1(x, n, NPU_OP_LAYERNORM, 1, &X);
        if (li < 0 || set_int(x, li, "axis", axis) ||
            set_float(x, li, "eps", afloat(n, "epsilon", 1e-5)) ||
            (!sc && !b && set_int(x, li, "affine", 0)))
            return -1;
        /* optional Mean / InvStdDev outputs (training): the statistics as reductions */
        for (int k = 1; k < n->nout && k < 3; k++) {
            if (!n->out[k][0])
                continue;
            int nd;
            int64_t dim[NPU_MAX_DIMS], ax, axes[NPU_MAX_DIMS];
            if (need_shape(x, X, &nd, dim, "input"))
                return -1;
            if (norm_axis(axis, nd, &ax))
                return fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
            for (int64_t i = ax; i < nd; i++)
                axes[i - ax] = i;
            int lr = emit(x, n, NPU_OP_REDUCE, k == 1 ? "mean" : "invstd", 1, &X, 1);
            if (lr < 0 || set_str(x, lr, "kind", "mean") || set_int(x, lr, "keep", 1) ||
                set_ints(x, lr, "axes", nd - ax, axes) || bind(x, n, k, lr, 0))
                return -1;
        }
        return only_outputs(x, n, 3, "extra output");
    }
    case K_PRELU: {
        oval *sl;
        if (need_in(x, n, 1, &sl, "slope"))
            return -1;
        int nd;
        int64_t dim[NPU_MAX_DIMS];
        if (need_shape(x, sl, &nd, dim, "slope"))
            return -1;
        int64_t cnt = prod(nd, dim);
        if (cnt < 1)
            return fmt_err(x, NPU_EINVAL, "slope '%s' is empty", sl->name);
        if (sl->kind != VK_CONST && sl->kind != VK_INPUT) { /* computed slope: binary op */
            oval *ins[2] = {X, sl};
            return emit1(x, n, NPU_OP_PRELU, 2, ins) < 0 ? -1 : 0;
        }
        int li = emit1(x, n, NPU_OP_PRELU, 1, &X);
        return li < 0 || set_int(x, li, "slopes", cnt) ? -1 : 0;
    }
    case K_LEAKY: {
        int li = emit1(x, n, NPU_OP_LEAKY, 1, &X);
        return li < 0 || set_float(x, li, "alpha", afloat(n, "alpha", 0.01)) ? -1 : 0;
    }
    case K_HSIG: {
        int li = emit1(x, n, NPU_OP_HARDSIGMOID, 1, &X);
        return li < 0 || set_float(x, li, "alpha", afloat(n, "alpha", 0.2)) ||
                       set_float(x, li, "beta", afloat(n, "beta", 0.5)) ? -1 : 0;
    }
    case K_LRN: { /* size is required in ONNX; -1 lets the graph report it missing */
        /* the IR's key table types bias= as integers (conv bias=0|1), so an integral LRN bias
         * (ONNX default 1.0) is passed as an integer; npu_layer_float reads it back exactly */
        double bias = afloat(n, "bias", 1.0);
        if (!(bias == floor(bias)) || fabs(bias) > 1e15)
            return fmt_err(x, NPU_EUNSUPPORTED, "LRN bias %g: only integral biases can be "
                           "represented (the IR's bias= attribute holds integers)", bias);
        int li = emit1(x, n, NPU_OP_LRN, 1, &X);
        return li < 0 || set_int(x, li, "size", aint(n, "size", -1)) ||
                       set_float(x, li, "alpha", afloat(n, "alpha", 1e-4)) ||
                       set_float(x, li, "beta", afloat(n, "beta", 0.75)) ||
                       set_int(x, li, "bias", (int64_t)bias) ? -1 : 0;
    }
    case K_GELU:
    case K_GPOOL:
    case K_UNARY:
        if (only_outputs(x, n, 1, "extra output"))
            return -1;
        return emit1(x, n, od->op, 1, &X) < 0 ? -1 : 0;
    default:
        return fmt_err(x, NPU_EINVAL, "internal: no handler");
    }
}

static int host_layer(ox *x, const onode *n);

/* DepthToSpace (DCR or CRD) and SpaceToDepth are exactly a reshape to rank 6, a transpose and a
 * reshape back (ONNX operator documentation); the transpose is the data movement. */
static int h_depth_to_space(ox *x, const onode *n)
{
    oval *X;
    int nd;
    int64_t d[NPU_MAX_DIMS];
    if (need_in(x, n, 0, &X, "input") || only_outputs(x, n, 1, "extra output") ||
        need_shape(x, X, &nd, d, "input"))
        return -1;
    int64_t b = aint(n, "blocksize", 0);
    if (nd != 4)
        return fmt_err(x, NPU_EINVAL, "input has rank %d, expected 4", nd);
    if (b < 1 || b > 4096)
        return fmt_err(x, NPU_EINVAL, "blocksize %lld out of range", (long long)b);
    bool d2s = !strcmp(n->op, "DepthToSpace");
    bool crd = d2s && !strcmp(astr(n, "mode", "DCR"), "CRD");
    int64_t N = d[0], C = d[1], H = d[2], W = d[3], s1[6], s2[4], perm[6];
    if (d2s) {
        if (C % (b * b))
            return fmt_err(x, NPU_EINVAL, "%lld channels are not divisible by blocksize^2 %lld",
                           (long long)C, (long long)(b * b));
        int64_t c = C / (b * b);
        int64_t dcr[6] = {N, b, b, c, H, W}, crd_[6] = {N, c, b, b, H, W};
        int64_t pd[6] = {0, 3, 4, 1, 5, 2}, pc[6] = {0, 1, 4, 2, 5, 3};
        memcpy(s1, crd ? crd_ : dcr, sizeof s1);
        memcpy(perm, crd ? pc : pd, sizeof perm);
        s2[0] = N, s2[1] = c, s2[2] = H * b, s2[3] = W * b;
    } else {
        if (H % b || W % b)
            return fmt_err(x, NPU_EINVAL, "%lldx%lld is not divisible by blocksize %lld",
                           (long long)H, (long long)W, (long long)b);
        int64_t sd[6] = {N, C, H / b, b, W / b, b}, ps[6] = {0, 3, 5, 1, 2, 4};
        memcpy(s1, sd, sizeof s1);
        memcpy(perm, ps, sizeof perm);
        s2[0] = N, s2[1] = C * b * b, s2[2] = H / b, s2[3] = W / b;
    }
    int l1 = emit(x, n, NPU_OP_RESHAPE, "split", 1, &X, 1);
    if (l1 < 0 || set_ints(x, l1, "shape", 6, s1))
        return -1;
    oval t1 = {0}, t2 = {0};
    t1.name = "split";
    t1.kind = VK_ACT;
    t1.ti = x->g->l[l1].out[0];
    oval *p1 = &t1;
    int l2 = emit(x, n, NPU_OP_TRANSPOSE, NULL, 1, &p1, 1);
    if (l2 < 0 || set_ints(x, l2, "perm", 6, perm))
        return -1;
    t2.name = "moved";
    t2.kind = VK_ACT;
    t2.ti = x->g->l[l2].out[0];
    oval *p2 = &t2;
    int l3 = emit(x, n, NPU_OP_RESHAPE, "merge", 1, &p2, 1);
    if (l3 < 0 || set_ints(x, l3, "shape", 4, s2))
        return -1;
    return bind(x, n, 0, l3, 0);
}

static int h_fold(ox *x, const onode *n)
{
    oval *in[3];
    int m = 0;
    bool all = n->nout == 1;
    for (int i = 0; i < n->nin && i < 3; i++) {
        if (node_in(x, n, i, &in[m]))
            return -1;
        if (in[m]) {
            all = all && has_value(x, in[m]);
            m++;
        }
    }
    int want = !strcmp(n->op, "Where") ? 3 : (!strcmp(n->op, "Not") || !strcmp(n->op, "Floor") ||
                                              !strcmp(n->op, "Ceil")) ? 1 : 2;
    if (m != want || n->nin != want)
        return fmt_err(x, NPU_EFORMAT, "expects %d inputs, has %d", want, m);
    if (all)
        return fold_misc(x, n, m, in);
    if (x->allow)
        return host_layer(x, n);
    return fmt_err(x, NPU_EUNSUPPORTED, "%s is only supported on constants known at import time "
                   "(shape computations); here it works on run-time data", n->op);
}

static int handle_node(ox *x, const onode *n, const opdef *od)
{
    switch (od->kind) {
    case K_CONV: return h_conv(x, n, false);
    case K_CONVT: return h_conv(x, n, true);
    case K_GEMM: return h_gemm(x, n);
    case K_POOL: return h_pool(x, n, od->op);
    case K_BIN:
    case K_VARIADIC: return h_binary(x, n, od);
    case K_CLIP: return h_clip(x, n);
    case K_CONCAT: return h_concat(x, n);
    case K_SPLIT: return h_split(x, n);
    case K_SLICE: return h_slice(x, n);
    case K_RESHAPE:
    case K_FLATTEN:
    case K_SQUEEZE:
    case K_UNSQUEEZE:
    case K_IDENTITY: return h_reshape_like(x, n, od);
    case K_TRANSPOSE: return h_transpose(x, n);
    case K_RESIZE: return h_resize(x, n);
    case K_PAD: return h_pad(x, n);
    case K_GATHER: return h_gather(x, n);
    case K_CAST:
    case K_QUANT:
    case K_DEQUANT: return h_cast(x, n, od->kind);
    case K_REDUCE: return h_reduce(x, n);
    case K_CONSTANT: return h_constant(x, n);
    case K_SHAPE: return h_shape(x, n, false);
    case K_SIZE: return h_shape(x, n, true);
    case K_COS: return h_const_of_shape(x, n);
    case K_RANGE: return h_range(x, n);
    case K_FOLD: return h_fold(x, n);
    case K_D2S: return h_depth_to_space(x, n);
    default: return h_simple(x, n, od);
    }
}

/* An operator npusim does not know, run on the host (--allow-unsupported). Output shapes come
 * from the model's value_info / graph outputs. */
static int host_layer(ox *x, const onode *n)
{
    oval *ins[64];
    int m = 0;
    if (n->nin > 64)
        return fmt_err(x, NPU_EUNSUPPORTED, "%d inputs (at most 64 are supported)", n->nin);
    for (int i = 0; i < n->nin; i++) {
        oval *v;
        if (node_in(x, n, i, &v))
            return -1;
        if (v)
            ins[m++] = v;
    }
    int nout = n->nout;
    if (nout < 1)
        return fmt_err(x, NPU_EFORMAT, "no outputs");
    for (int k = 0; k < nout; k++) {
        oval *o = n->out[k][0] ? val_find(x, n->out[k]) : NULL;
        const ovi *vi = o ? o->vi : NULL;
        if (!n->out[k][0])
            continue;
        bool ok = vi && vi->is_tensor && vi->has_shape && vi->ndim >= 0 && ot_to_npu(vi->dt) >= 0;
        for (int i = 0; ok && i < vi->ndim; i++)
            ok = vi->dim[i] > 0;
        if (!ok)
            return fmt_err(x, NPU_EUNSUPPORTED,
                           "unsupported operator %s: output '%s' has no fixed shape in the "
                           "model's value_info, so it cannot run on the host either", n->op,
                           n->out[k]);
    }
    int li = emit(x, n, NPU_OP_IDENTITY, NULL, m, ins, nout);
    if (li < 0)
        return -1;
    npu_layer *l = &x->g->l[li];
    l->flags |= NPU_LF_HOST;
    l->src_op = npu_arena_strdup(&x->g->arena, n->op);
    if (!l->src_op)
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    for (int k = 0; k < nout; k++) {
        if (!n->out[k][0])
            continue;
        const ovi *vi = val_find(x, n->out[k])->vi;
        npu_tensor *t = &x->g->t[l->out[k]];
        t->ndim = vi->ndim;
        for (int i = 0; i < NPU_MAX_DIMS; i++)
            t->dim[i] = i < vi->ndim ? vi->dim[i] : 0;
        t->dtype = (npu_dtype)ot_to_npu(vi->dt);
        t->shape_known = true;
        /* recorded on the layer too, so that inference and the .npg round trip keep them (a
         * scalar output is recorded as [1]) */
        char key[32];
        int64_t one = 1;
        snprintf(key, sizeof key, k ? "out_shape%d" : "out_shape", k);
        int rc = vi->ndim ? npu_layer_set_ints(x->g, li, key, vi->ndim, t->dim)
                          : npu_layer_set_ints(x->g, li, key, 1, &one);
        snprintf(key, sizeof key, k ? "out_dtype%d" : "out_dtype", k);
        if (rc || npu_layer_set_str(x->g, li, key, npu_dtype_name(t->dtype)))
            return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
        if (bind(x, n, k, li, k))
            return -1;
    }
    return 0;
}

/* One error that lists every unsupported operator with counts and node names. */
static bool node_known(const ox *x, int i)
{
    return op_lookup(&x->nodes[i]) != NULL;
}

static int check_supported(ox *x)
{
    int bad = 0;
    for (int i = 0; i < x->nn; i++)
        if (!node_known(x, i))
            bad++;
    if (!bad || x->allow)
        return 0;
    npu_strbuf sb;
    npu_sb_init(&sb);
    int kinds = 0;
    for (int i = 0; i < x->nn; i++) {
        const onode *n = &x->nodes[i];
        if (node_known(x, i))
            continue;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = !node_known(x, j) && !strcmp(x->nodes[j].op, n->op) &&
                   !strcmp(x->nodes[j].domain, n->domain);
        if (seen)
            continue;
        int cnt = 0;
        for (int j = i; j < x->nn; j++)
            cnt += !node_known(x, j) && !strcmp(x->nodes[j].op, n->op) &&
                   !strcmp(x->nodes[j].domain, n->domain);
        npu_sb_printf(&sb, "%s%s%s%s x%d (node%s", kinds ? "; " : "", n->domain,
                      n->domain[0] ? ":" : "", n->op, cnt, cnt > 1 ? "s" : "");
        int shown = 0;
        for (int j = i; j < x->nn; j++) {
            const onode *m = &x->nodes[j];
            if (node_known(x, j) || strcmp(m->op, n->op) || strcmp(m->domain, n->domain))
                continue;
            if (shown == 3) {
                npu_sb_puts(&sb, ", ...");
                break;
            }
            npu_sb_printf(&sb, "%s %d '%s'", shown ? "," : "", j, node_base(x, m));
            shown++;
        }
        npu_sb_puts(&sb, ")");
        kinds++;
    }
    int rc = npu_err_set(x->err, NPU_EUNSUPPORTED,
                         "%s: %d unsupported operator%s (%d node%s; --allow-unsupported runs "
                         "them on the host): %s", x->file, kinds, kinds > 1 ? "s" : "", bad,
                         bad > 1 ? "s" : "", sb.s ? sb.s : "");
    npu_sb_free(&sb);
    return rc;
}

/* A graph name that says only which exporter wrote the file (torch.onnx: "torch_jit",
 * "torch-jit-export", "main_graph"; tf2onnx: "tf2onnx"; many tools: "graph", "model") or none:
 * the file's base name then names the graph (issue 11), so tables and JSON say "resnet18". */
static bool generic_name(const char *name)
{
    static const char *const generic[] = {"torch_jit", "torch-jit-export", "torch_jit_export",
                                          "main_graph", "tf2onnx", "graph", "model",
                                          "onnx_graph", NULL};
    if (!name || !name[0])
        return true;
    for (int i = 0; generic[i]; i++)
        if (npu_streq_nocase(name, generic[i]))
            return true;
    return false;
}

static int build(ox *x)
{
    if (values_init(x) || check_supported(x))
        return -1;
    if (x->opset < 0)
        for (int i = 0; i < x->nn; i++)
            if (op_lookup(&x->nodes[i]))
                return npu_err_set(x->err, NPU_EFORMAT, "%s: node %d (%s) is in the default "
                                   "domain but the model imports no opset for it", x->file, i,
                                   x->nodes[i].op);
    x->g = npu_graph_new(generic_name(x->gname) ? NULL : x->gname);
    if (!x->g)
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    x->g->file = npu_arena_strdup(&x->g->arena, x->file);
    if (generic_name(x->gname))
        x->g->name = npu_front_base_name(&x->g->arena, x->file);
    /* graph inputs that feed the network as data are created on first use, in input order
     * first so that the IR lists them like the model does */
    for (int i = 0; i < x->ninput; i++) {
        oval *v = val_find(x, x->inputs[i].name);
        if (v->kind != VK_INPUT)
            continue;
        bool data = false; /* used as data by at least one node outside weight positions */
        for (int j = 0; j < x->nn && !data; j++) {
            const onode *n = &x->nodes[j];
            const opdef *od = op_lookup(n);
            for (int k = 0; k < n->nin && !data; k++) {
                if (strcmp(n->in[k], v->name))
                    continue;
                /* positions that are always data; weights and shape arguments are not */
                data = k == 0 || !od || od->kind == K_BIN || od->kind == K_VARIADIC ||
                       od->kind == K_CONCAT || od->kind == K_MATMUL || od->kind == K_GATHER;
            }
        }
        for (int j = 0; j < x->noutput && !data; j++)
            data = !strcmp(x->outputs[j].name, v->name);
        if (data && materialize(x, v) < 0)
            return -1;
    }
    for (int i = 0; i < x->nn; i++) {
        const onode *n = &x->nodes[i];
        const opdef *od = op_lookup(n);
        x->cur = i;
        if (n->nout < 1)
            return fmt_err(x, NPU_EFORMAT, "node has no outputs");
        int rc = od ? handle_node(x, n, od) : host_layer(x, n);
        if (rc)
            return -1;
    }
    x->cur = -1;
    for (int i = 0; i < x->noutput; i++) {
        oval *v = val_find(x, x->outputs[i].name);
        if (!v || v->kind == VK_NONE)
            return npu_err_set(x->err, NPU_EFORMAT, "%s: graph output '%s' is not produced by "
                               "any node", x->file, x->outputs[i].name);
        int ti = materialize(x, v);
        if (ti < 0)
            return -1;
        if (npu_graph_mark_output(x->g, x->g->t[ti].name, x->err)) {
            npu_err_prefix(x->err, "%s", x->file);
            return -1;
        }
    }
    if (x->noutput == 0)
        return npu_err_set(x->err, NPU_EFORMAT, "%s: the graph has no outputs", x->file);
    return 0;
}

static npu_graph *read_mem(const char *name, const void *data, size_t len,
                           bool allow_unsupported, int64_t batch, npu_err *err)
{
    ox x;
    memset(&x, 0, sizeof x);
    x.file = name ? name : "(memory)";
    x.batch = batch;
    x.err = err;
    x.base = data;
    x.size = len;
    x.allow = allow_unsupported;
    x.inferred_nl = -1;
    x.cur = -1;
    npu_arena_init(&x.a);
    int rc = parse_model(&x);
    if (!rc)
        rc = build(&x);
    npu_arena_free(&x.a);
    if (rc) {
        if (err && !err->code)
            npu_err_set(err, NPU_EINVAL, "%s: import failed", x.file);
        npu_graph_free(x.g);
        return NULL;
    }
    npu_err_clear(err); /* no stale message from a probe that failed harmlessly */
    return x.g;
}

npu_graph *npu_onnx_read_mem(const char *name, const void *data, size_t len,
                             bool allow_unsupported, npu_err *err)
{
    return read_mem(name, data, len, allow_unsupported, 0, err);
}

npu_graph *npu_onnx_read(const char *path, bool allow_unsupported, npu_err *err)
{
    return npu_onnx_read_batch(path, allow_unsupported, 0, err);
}

npu_graph *npu_onnx_read_batch(const char *path, bool allow_unsupported, int64_t batch,
                               npu_err *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO: refused below, not waited on */
    if (fd < 0) {
        npu_err_set(err, NPU_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        npu_err_set(err, NPU_EIO, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        close(fd);
        npu_err_set(err, NPU_EFORMAT, "%s: empty file", path);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        npu_err_set(err, NPU_EIO, "%s: cannot map: %s", path, strerror(errno));
        return NULL;
    }
    npu_graph *g = read_mem(path, m, len, allow_unsupported, batch, err);
    munmap(m, len);
    return g;
}
