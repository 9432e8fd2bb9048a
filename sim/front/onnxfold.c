/* onnxfold.c — the ONNX importer's value table, the small constants it decodes, the node
 * helpers every operator handler uses (inputs, outputs, emitting IR layers) and constant
 * folding (prefix onnx_; private to the importer, see onnximp.h). */
#include "onnximp.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the value table (open addressing on the ONNX name) ------------------------------------ */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

oval *onnx_val_find(ox *x, const char *name)
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
    oval *v = onnx_val_find(x, name);
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

int onnx_values_init(ox *x)
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
    if (!(x->v = onnx_xalloc(x, n, sizeof *x->v)) ||
        !(x->hash = onnx_xalloc(x, x->hcap, sizeof(int))))
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
            oval *v = nd->in[k][0] ? onnx_val_find(x, nd->in[k]) : NULL;
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
    if (!(v->iv = onnx_xalloc(x, (size_t)n, sizeof *v->iv)) ||
        !(v->fv = onnx_xalloc(x, (size_t)n, sizeof *v->fv)))
        return -1;
    return 0;
}

int64_t onnx_d2i(double d)
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
int onnx_val_value(ox *x, oval *v)
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
    int w = onnx_ot_width(t->dt);
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
                v->iv[have + i] = onnx_d2i(v->fv[have + i]);
            break;
        case 5:  /* int32_data: int32/16/8, uint8/16, bool, float16/bfloat16 bits */
        case 7:  /* int64_data */
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
                if (onnx_ot_is_float(t->dt))
                    v->iv[have + i] = onnx_d2i(v->fv[have + i]);
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
                v->iv[have + i] = onnx_d2i(v->fv[have + i]);
            break;
        default:
            continue;
        }
        have += got;
    }
    if (raw) {
        if (rawlen != (size_t)n * (size_t)w) {
            onnx_fmt_err(x, NPU_EFORMAT, "tensor '%s': raw_data has %zu bytes, expected %lld",
                         t->name, rawlen, (long long)(n * w));
            return -1;
        }
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *p = raw + i * w;
            double d;
            int64_t q;
            switch (t->dt) {
            case OT_FLOAT:
                d = npu_pb_f32(npu_pb_le32(p));
                q = onnx_d2i(d);
                break;
            case OT_DOUBLE:
                d = npu_pb_f64(npu_pb_le64(p));
                q = onnx_d2i(d);
                break;
            case OT_FLOAT16:
                d = half_to_double((uint16_t)(p[0] | p[1] << 8));
                q = onnx_d2i(d);
                break;
            case OT_BFLOAT16:
                d = npu_pb_f32((uint32_t)(p[0] | p[1] << 8) << 16);
                q = onnx_d2i(d);
                break;
            case OT_UINT8:
            case OT_BOOL:
                q = p[0];
                d = (double)q;
                break;
            case OT_INT8:
                q = (int8_t)p[0];
                d = (double)q;
                break;
            case OT_UINT16:
                q = (uint16_t)(p[0] | p[1] << 8);
                d = (double)q;
                break;
            case OT_INT16:
                q = (int16_t)(p[0] | p[1] << 8);
                d = (double)q;
                break;
            case OT_INT32:
                q = (int32_t)npu_pb_le32(p);
                d = (double)q;
                break;
            case OT_UINT32:
                q = npu_pb_le32(p);
                d = (double)q;
                break;
            default:
                q = (int64_t)npu_pb_le64(p);
                d = (double)q;
                break;
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
    onnx_fmt_err(x, NPU_EFORMAT,
                 "tensor '%s': holds a different number of values than its dims "
                 "(%lld elements)",
                 t->name, (long long)n);
    return -1;
}

/* ---- node helpers ------------------------------------------------------------------------- */
const oattr *onnx_attr(const onode *n, const char *name)
{
    for (int i = 0; i < n->nattr; i++)
        if (!strcmp(n->attr[i].name, name))
            return &n->attr[i];
    return NULL;
}

int64_t onnx_aint(const onode *n, const char *name, int64_t def)
{
    const oattr *a = onnx_attr(n, name);
    return a && a->has_i ? a->i : def;
}

double onnx_afloat(const onode *n, const char *name, double def)
{
    const oattr *a = onnx_attr(n, name);
    return a && a->has_f ? a->f : def;
}

const char *onnx_astr(const onode *n, const char *name, const char *def)
{
    const oattr *a = onnx_attr(n, name);
    return a && a->has_s ? a->s : def;
}

/* Input i of node n: *out is NULL when absent or "" (an omitted optional input). */
int onnx_node_in(ox *x, const onode *n, int i, oval **out)
{
    *out = NULL;
    if (i >= n->nin || !n->in[i][0])
        return 0;
    oval *v = onnx_val_find(x, n->in[i]);
    if (!v || v->kind == VK_NONE)
        return onnx_fmt_err(x, NPU_EFORMAT,
                            "input '%s' is not produced by an earlier node, an initializer or a "
                            "graph input",
                            n->in[i]);
    *out = v;
    return 0;
}

int onnx_need_in(ox *x, const onode *n, int i, oval **out, const char *what)
{
    if (onnx_node_in(x, n, i, out))
        return -1;
    if (!*out)
        return onnx_fmt_err(x, NPU_EFORMAT, "missing input %d (%s)", i, what);
    return 0;
}

/* Output k as a fresh value (NULL when the output is omitted). */
int onnx_node_out(ox *x, const onode *n, int k, oval **out)
{
    *out = NULL;
    if (k >= n->nout || !n->out[k][0])
        return 0;
    oval *v = val_get(x, n->out[k]);
    if (v->kind != VK_NONE)
        return onnx_fmt_err(x, NPU_EFORMAT, "value '%s' is produced twice", n->out[k]);
    *out = v;
    return 0;
}

/* Refuses outputs beyond `used` that the model actually names (optional outputs). */
int onnx_only_outputs(ox *x, const onode *n, int used, const char *why)
{
    for (int k = used; k < n->nout; k++)
        if (n->out[k][0])
            return onnx_fmt_err(x, NPU_EUNSUPPORTED, "output %d ('%s', %s) is not supported", k,
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
            dim[i] = vi->dim[i] >= 0                           ? vi->dim[i]
                     : i == 0 && vi->ndim >= 2 && x->batch > 0 ? x->batch
                                                               : 1;
        return 1;
    }
    return 0;
}

int onnx_need_shape(ox *x, oval *v, int *nd, int64_t *dim, const char *what)
{
    int r = shape_of(x, v, nd, dim);
    if (r < 0)
        return -1;
    for (int i = 0; r > 0 && i < *nd; i++)
        if (dim[i] < 0 || dim[i] > DIM_LIMIT)
            return onnx_fmt_err(x, NPU_EINVAL, "%s '%s': dimension %d is %lld (allowed 0..%lld)",
                                what, v->name, i, (long long)dim[i], (long long)DIM_LIMIT);
    if (r == 0)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "the shape of %s '%s' is not known at import time",
                            what, v->name);
    return 0;
}

/* A known integer/float value of a small constant input (for shape arguments). */
int onnx_need_value(ox *x, oval *v, const char *what)
{
    if (v->kind == VK_CONST) {
        int r = onnx_val_value(x, v);
        if (r < 0)
            return -1;
        if (r > 0)
            return 0;
    }
    return onnx_fmt_err(x, NPU_EUNSUPPORTED,
                        "%s '%s' must be a constant known at import time (it is %s)", what, v->name,
                        v->kind == VK_CONST ? "a constant too large or stored externally"
                                            : "computed at run time");
}

bool onnx_has_value(ox *x, oval *v)
{
    return v && v->kind == VK_CONST && onnx_val_value(x, v) > 0;
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
        const char **nn = onnx_xalloc(x, nc, sizeof *nn);
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
int onnx_materialize(ox *x, oval *v)
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
        onnx_fmt_err(x, NPU_EUNSUPPORTED, "%s '%s' has no known shape", what, v->name);
        return -1;
    }
    for (int i = 0; i < nd; i++)
        if (dim[i] == 0) {
            onnx_fmt_err(x, NPU_EUNSUPPORTED,
                         "%s '%s' is empty (dimension %d is 0); empty tensors "
                         "are not modelled",
                         what, v->name, i);
            return -1;
        }
    int dt = onnx_ot_to_npu(v->dt);
    if (dt < 0) {
        onnx_fmt_err(x, NPU_EUNSUPPORTED,
                     "%s '%s' has element type %s, which npusim does not model", what, v->name,
                     onnx_ot_name(v->dt));
        return -1;
    }
    const char *nm = uniq(x, v->name, 0);
    if (!nm)
        return -1;
    int ti = v->kind == VK_INPUT ? npu_graph_add_input(x->g, nm, nd, dim, (npu_dtype)dt, x->err)
                                 : npu_graph_add_const(x->g, nm, nd, dim, (npu_dtype)dt, x->err);
    if (ti < 0) {
        onnx_graph_err(x);
        return -1;
    }
    if (name_add(x, x->g->t[ti].name))
        return -1;
    /* a constant whose decoded elements are all equal keeps that value (the pattern pass
     * needs the 3 and 6 of HardSwish, the 0.5 of GELU ...); val_value fails softly (0) on large
     * or external constants, which then stay value-less */
    if (v->kind == VK_CONST && onnx_has_value(x, v) && v->nval >= 1) {
        bool splat = true;
        for (long i = 1; splat && i < v->nval; i++)
            splat = v->fv[i] == v->fv[0];
        x->g->t[ti].has_value = splat;
        x->g->t[ti].value = splat ? v->fv[0] : 0;
    }
    v->ti = ti;
    return ti;
}

const char *onnx_node_base(const ox *x, const onode *n)
{
    if (n->name[0])
        return n->name;
    for (int k = 0; k < n->nout; k++)
        if (n->out[k][0])
            return n->out[k];
    return n->op;
}

/* Emits one IR layer for node n; suffix distinguishes helper layers of one node. */
int onnx_emit(ox *x, const onode *n, npu_op op, const char *suffix, int nin, oval *const *ins,
              int nout)
{
    const char **names = nin ? onnx_xalloc(x, (size_t)nin, sizeof *names) : NULL;
    if (nin && !names)
        return -1;
    for (int i = 0; i < nin; i++) {
        int ti = onnx_materialize(x, ins[i]);
        if (ti < 0)
            return -1;
        names[i] = x->g->t[ti].name;
    }
    const char *base = onnx_node_base(x, n);
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
        onnx_graph_err(x);
        return -1;
    }
    if (names_of_layer(x, li))
        return -1;
    return li;
}

/* Binds node output k to output j of layer li. */
int onnx_bind(ox *x, const onode *n, int k, int li, int j)
{
    oval *o;
    if (onnx_node_out(x, n, k, &o))
        return -1;
    if (o) {
        o->kind = VK_ACT;
        o->ti = x->g->l[li].out[j];
    }
    return 0;
}

/* Emits a single-output layer over `nin` inputs and binds output 0. Returns li or -1. */
int onnx_emit1(ox *x, const onode *n, npu_op op, int nin, oval *const *ins)
{
    int li = onnx_emit(x, n, op, NULL, nin, ins, 1);
    if (li < 0 || onnx_bind(x, n, 0, li, 0))
        return -1;
    return li;
}

/* Makes output k a constant with a known shape and (optionally) value. */
int onnx_set_const(ox *x, const onode *n, int k, int dt, int nd, const int64_t *dim, long nval,
                   const int64_t *iv, const double *fv)
{
    oval *o;
    if (onnx_node_out(x, n, k, &o))
        return -1;
    if (!o)
        return 0;
    if (nd < 0 || nd > NPU_MAX_DIMS)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "result has rank %d (at most %d)", nd,
                            NPU_MAX_DIMS);
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

int64_t onnx_prod(int nd, const int64_t *d)
{
    int64_t p = 1;
    for (int i = 0; i < nd; i++) {
        if (d[i] < 0 || (d[i] && p > INT64_MAX / d[i]))
            return -1;
        p *= d[i];
    }
    return p;
}

int onnx_norm_axis(int64_t a, int rank, int64_t *out)
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
int onnx_fold_binary(ox *x, const onode *n, const char *op, oval *a, oval *b)
{
    int nr;
    int64_t dr[NPU_MAX_DIMS];
    if (bcast_shape(a->ndim, a->dim, b->ndim, b->dim, &nr, dr))
        return onnx_fmt_err(x, NPU_EINVAL, "inputs '%s' and '%s' cannot be broadcast", a->name,
                            b->name);
    int64_t cnt = onnx_prod(nr, dr);
    if (cnt < 0 || cnt > ONNX_VALUE_CAP)
        return onnx_set_const(x, n, 0, a->dt, nr, dr, 0, NULL, NULL);
    int64_t *ri = onnx_xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = onnx_xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    bool isf = onnx_ot_is_float(a->dt);
    for (long i = 0; i < cnt; i++) {
        long ia = bcast_index(nr, dr, i, a->ndim, a->dim);
        long ib = bcast_index(nr, dr, i, b->ndim, b->dim);
        double fa = a->fv[ia], fb = b->fv[ib], fr = 0;
        int64_t qa = a->iv[ia], qb = b->iv[ib], qr = 0;
        switch (op[0]) {
        case 'A':
            fr = fa + fb;
            qr = (int64_t)((uint64_t)qa + (uint64_t)qb);
            break;
        case 'S':
            fr = fa - fb;
            qr = (int64_t)((uint64_t)qa - (uint64_t)qb);
            break;
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
                return onnx_fmt_err(x, NPU_EINVAL, "integer division by zero while folding");
            qr = isf ? 0 : (qa == INT64_MIN && qb == -1) ? INT64_MIN : qa / qb;
            break;
        }
        if (isf)
            qr = onnx_d2i(fr);
        else
            fr = (double)qr;
        ri[i] = qr;
        rf[i] = fr;
    }
    return onnx_set_const(x, n, 0, a->dt, nr, dr, (long)cnt, ri, rf);
}

/* Comparisons, Not, Where, Floor, Ceil and Expand on known values: they appear in exported
 * shape computations (e.g. PyTorch's handling of -1 in view()) and exist only there. */
int onnx_fold_misc(ox *x, const onode *n, int m, oval **in)
{
    const char *op = n->op;
    int nr = 0, dt;
    int64_t dr[NPU_MAX_DIMS];
    bool where = !strcmp(op, "Where"), expand = !strcmp(op, "Expand");
    if (expand) { /* Expand(input, shape): broadcast input to shape */
        if (m != 2 || in[1]->nval > NPU_MAX_DIMS)
            return onnx_fmt_err(x, NPU_EINVAL, "bad Expand arguments");
        if (bcast_shape(in[0]->ndim, in[0]->dim, (int)in[1]->nval, in[1]->iv, &nr, dr))
            return onnx_fmt_err(x, NPU_EINVAL, "shapes cannot be broadcast");
        m = 1;
    } else {
        for (int i = 0; i < m; i++) {
            int64_t t[NPU_MAX_DIMS];
            int tn;
            if (bcast_shape(nr, dr, in[i]->ndim, in[i]->dim, &tn, t))
                return onnx_fmt_err(x, NPU_EINVAL, "shapes cannot be broadcast");
            nr = tn;
            memcpy(dr, t, sizeof t);
        }
    }
    for (int i = 0; i < nr; i++)
        if (dr[i] < 0)
            return onnx_fmt_err(x, NPU_EINVAL, "negative dimension");
    int64_t cnt = onnx_prod(nr, dr);
    dt = where                                                     ? in[1]->dt
         : (!strcmp(op, "Floor") || !strcmp(op, "Ceil") || expand) ? in[0]->dt
                                                                   : OT_BOOL;
    if (cnt < 0 || cnt > ONNX_VALUE_CAP)
        return onnx_set_const(x, n, 0, dt, nr, dr, 0, NULL, NULL);
    int64_t *ri = onnx_xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = onnx_xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    for (long i = 0; i < cnt; i++) {
        long k[3] = {0, 0, 0};
        for (int j = 0; j < m; j++)
            k[j] = bcast_index(nr, dr, i, in[j]->ndim, in[j]->dim);
        double a = in[0]->fv[k[0]], b = m > 1 ? in[1]->fv[k[1]] : 0, r;
        int64_t qa = in[0]->iv[k[0]], qb = m > 1 ? in[1]->iv[k[1]] : 0, q;
        bool fl = onnx_ot_is_float(in[0]->dt);
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
        case 'L':
            q = fl ? (op[4] ? a <= b : a < b) : (op[4] ? qa <= qb : qa < qb);
            r = (double)q;
            break;
        case 'G':
            q = fl ? (op[7] ? a >= b : a > b) : (op[7] ? qa >= qb : qa > qb);
            r = (double)q;
            break;
        case 'N':
            q = !qa;
            r = (double)q;
            break;
        case 'F':
            r = floor(a);
            q = fl ? onnx_d2i(r) : qa;
            break;
        case 'C':
            r = ceil(a);
            q = fl ? onnx_d2i(r) : qa;
            break;
        default: /* Where(cond, a, b) */
            q = qa ? qb : in[2]->iv[k[2]];
            r = qa ? in[1]->fv[k[1]] : in[2]->fv[k[2]];
            break;
        }
        ri[i] = q;
        rf[i] = r;
    }
    return onnx_set_const(x, n, 0, dt, nr, dr, (long)cnt, ri, rf);
}

int onnx_fold_gather(ox *x, const onode *n, oval *d, oval *ix, int64_t axis)
{
    int nd = d->ndim + ix->ndim - 1;
    int64_t dim[NPU_MAX_DIMS];
    if (nd > NPU_MAX_DIMS)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "result rank %d", nd);
    int k = 0;
    for (int i = 0; i < axis; i++)
        dim[k++] = d->dim[i];
    for (int i = 0; i < ix->ndim; i++)
        dim[k++] = ix->dim[i];
    for (int i = (int)axis + 1; i < d->ndim; i++)
        dim[k++] = d->dim[i];
    int64_t outer = onnx_prod((int)axis, d->dim),
            inner = onnx_prod(d->ndim - (int)axis - 1, d->dim + axis + 1);
    int64_t cnt = onnx_prod(nd, dim), ax = d->dim[axis];
    if (cnt < 0 || cnt > ONNX_VALUE_CAP)
        return onnx_set_const(x, n, 0, d->dt, nd, dim, 0, NULL, NULL);
    int64_t *ri = onnx_xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = onnx_xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    long o = 0;
    for (int64_t a = 0; a < outer; a++)
        for (long j = 0; j < ix->nval; j++) {
            int64_t q = ix->iv[j];
            if (q < -ax || q >= ax)
                return onnx_fmt_err(x, NPU_EINVAL, "index %lld out of range for axis of size %lld",
                                    (long long)q, (long long)ax);
            if (q < 0)
                q += ax;
            for (int64_t i = 0; i < inner; i++, o++) {
                long src = (long)((a * ax + q) * inner + i);
                ri[o] = d->iv[src];
                rf[o] = d->fv[src];
            }
        }
    return onnx_set_const(x, n, 0, d->dt, nd, dim, (long)cnt, ri, rf);
}

/* ONNX Slice bounds for one axis of size d: start index and element count. */
void onnx_slice_range(int64_t d, int64_t st, int64_t en, int64_t step, int64_t *first,
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
int onnx_reshape_dims(ox *x, int nd, const int64_t *in, long nt, const int64_t *t, bool allowzero,
                      int64_t *out)
{
    if (nt > NPU_MAX_DIMS)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "target shape has %ld dims (at most %d)", nt,
                            NPU_MAX_DIMS);
    int64_t total = onnx_prod(nd, in), known = 1;
    int infer = -1;
    for (long i = 0; i < nt; i++) {
        int64_t d = t[i];
        if (d == 0 && !allowzero) {
            if (i >= nd)
                return onnx_fmt_err(x, NPU_EINVAL,
                                    "shape[%ld] = 0 copies a dimension the input lacks", i);
            d = in[i];
        }
        if (d == -1) {
            if (infer >= 0)
                return onnx_fmt_err(x, NPU_EINVAL, "target shape has more than one -1");
            infer = (int)i;
            continue;
        }
        if (d < 0)
            return onnx_fmt_err(x, NPU_EINVAL, "target shape has dimension %lld", (long long)d);
        out[i] = d;
        if (d && known > INT64_MAX / d)
            return onnx_fmt_err(x, NPU_EINVAL, "target shape overflows");
        known *= d;
    }
    if (infer >= 0) {
        if (known == 0 || total % known)
            return onnx_fmt_err(x, NPU_EINVAL, "cannot infer -1: %lld elements into blocks of %lld",
                                (long long)total, (long long)known);
        out[infer] = total / known;
    } else if (known != total) {
        return onnx_fmt_err(x, NPU_EINVAL, "reshape of %lld elements to %lld", (long long)total,
                            (long long)known);
    }
    return 0;
}

/* Re-labels a constant's value with a new shape (Reshape/Flatten/Squeeze/Unsqueeze/Identity). */
int onnx_fold_view(ox *x, const onode *n, oval *v, int nd, const int64_t *dim)
{
    bool hv = onnx_has_value(x, v);
    return onnx_set_const(x, n, 0, v->dt, nd, dim, hv ? v->nval : 0, hv ? v->iv : NULL,
                          hv ? v->fv : NULL);
}
