/* shape.c — the shape rule of each op class (prefix npu_shape_; private, see infer.h).
 *
 * Each rule reads the attributes its ops take (by interned key), checks them against the
 * input shapes and writes the output shape and the layer's MAC and parameter counts. The
 * choices (limits, MAC and parameter counts, gemm flattening, pooling defaults) are listed in
 * infer.c's opening comment. npu_shape_rules maps each op class of the op table to its rule;
 * a class whose ops differ in shape (data movement, views, norms) dispatches on the op.
 */
#include "infer.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static int norm_axis(npu_ictx *c, npu_attr_key key, int64_t axis, int rank, int extra, int *out)
{
    /* valid range [-rank-extra, rank+extra-1] */
    int r = rank + extra;
    if (axis < -r || axis >= r)
        return npu_infer_lerr(c->g, c->l, c->err, "%s=%lld out of range for rank %d",
                              npu_attr_key_name(key), (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + r : axis);
    return 0;
}

/* Reads a spatial pair attribute (k, s, d, op): 1 or 2 values in [lo, NPU_DIM_MAX]. */
static int pair_attr(npu_ictx *c, npu_attr_key key, int64_t def, int64_t lo, int64_t v[2], bool req)
{
    const npu_attr *a = npu_layer_attr_k(c->l, key);
    if (!a) {
        if (req)
            return npu_infer_lerr(c->g, c->l, c->err,
                                  "missing attribute %s=", npu_attr_key_name(key));
        v[0] = v[1] = def;
        return 0;
    }
    if (a->n < 1 || a->n > 2)
        return npu_infer_lerr(c->g, c->l, c->err, "%s= takes 1 or 2 values, got %d",
                              npu_attr_key_name(key), a->n);
    for (int i = 0; i < 2; i++) {
        v[i] = a->i[i < a->n ? i : a->n - 1];
        if (v[i] < lo || v[i] > NPU_DIM_MAX)
            return npu_infer_lerr(c->g, c->l, c->err, "%s=%lld out of range %lld..%lld",
                                  npu_attr_key_name(key), (long long)v[i], (long long)lo,
                                  (long long)NPU_DIM_MAX);
    }
    return 0;
}

/* p=all | h,w | t,l,b,r → pads[4] = t,l,b,r */
static int pads_attr(npu_ictx *c, int64_t pad[4])
{
    const npu_attr *a = npu_layer_attr_k(c->l, NPU_K_P);
    pad[0] = pad[1] = pad[2] = pad[3] = 0;
    if (!a)
        return 0;
    if (a->n == 1)
        pad[0] = pad[1] = pad[2] = pad[3] = a->i[0];
    else if (a->n == 2) {
        pad[0] = pad[2] = a->i[0];
        pad[1] = pad[3] = a->i[1];
    } else if (a->n == 4)
        for (int i = 0; i < 4; i++)
            pad[i] = a->i[i];
    else
        return npu_infer_lerr(c->g, c->l, c->err,
                              "p= takes 1, 2 (h,w) or 4 (t,l,b,r) values, got %d", a->n);
    for (int i = 0; i < 4; i++)
        if (pad[i] < 0 || pad[i] > NPU_DIM_MAX)
            return npu_infer_lerr(c->g, c->l, c->err, "padding %lld out of range 0..%lld",
                                  (long long)pad[i], (long long)NPU_DIM_MAX);
    return 0;
}

static int need_rank(npu_ictx *c, const npu_tensor *t, int lo, int hi)
{
    if (t->ndim < lo || t->ndim > hi) {
        char d[128];
        npu_infer_fmt_dims(d, sizeof d, t->ndim, t->dim);
        if (lo == hi)
            return npu_infer_lerr(c->g, c->l, c->err, "needs a %d-D input, '%s' is %s", lo, t->name,
                                  d);
        return npu_infer_lerr(c->g, c->l, c->err, "needs an input of rank %d..%d, '%s' is %s", lo,
                              hi, t->name, d);
    }
    return 0;
}

static int get_int_attr(npu_ictx *c, npu_attr_key key, int64_t def, int64_t lo, int64_t hi,
                        int64_t *out)
{
    const npu_attr *a = npu_layer_attr_k(c->l, key);
    if (!a) {
        *out = def;
        return 0;
    }
    if (a->n != 1)
        return npu_infer_lerr(c->g, c->l, c->err, "%s= takes one value, got %d",
                              npu_attr_key_name(key), a->n);
    if (a->i[0] < lo || a->i[0] > hi)
        return npu_infer_lerr(c->g, c->l, c->err, "%s=%lld out of range %lld..%lld",
                              npu_attr_key_name(key), (long long)a->i[0], (long long)lo,
                              (long long)hi);
    *out = a->i[0];
    return 0;
}

/* conv / convt / pool output sizes */
static int infer_window(npu_ictx *c, npu_shape *o)
{
    npu_layer *l = c->l;
    const npu_tensor *x = c->x[0];
    int rc;
    if ((rc = need_rank(c, x, 4, 4)))
        return rc;
    int64_t n = x->dim[0], ch = x->dim[1], h = x->dim[2], w = x->dim[3];
    bool conv = l->op == NPU_OP_CONV || l->op == NPU_OP_CONVT;
    int64_t kout = ch, g = 1, k[2], s[2], d[2] = {1, 1}, pad[4], opad[2] = {0, 0}, ceilm = 0;
    if (conv) {
        if ((rc = get_int_attr(c, NPU_K_OUT, -1, 1, NPU_DIM_MAX, &kout)))
            return rc;
        if (kout < 0)
            return npu_infer_lerr(c->g, l, c->err, "missing attribute out= (output channels)");
        if ((rc = get_int_attr(c, NPU_K_G, 1, 1, NPU_DIM_MAX, &g)))
            return rc;
        int64_t b;
        if ((rc = get_int_attr(c, NPU_K_BIAS, 0, 0, 1, &b)))
            return rc;
        if (ch % g || kout % g)
            return npu_infer_lerr(c->g, l, c->err,
                                  "groups g=%lld do not divide %lld input and %lld output "
                                  "channels",
                                  (long long)g, (long long)ch, (long long)kout);
    } else if ((rc = get_int_attr(c, NPU_K_CEIL, 0, 0, 1, &ceilm)))
        return rc;
    if ((rc = pair_attr(c, NPU_K_K, 1, 1, k, true)) ||
        (rc = pair_attr(c, NPU_K_S, 1, 1, s, false)) ||
        (rc = pair_attr(c, NPU_K_D, 1, 1, d, false)) || (rc = pads_attr(c, pad)))
        return rc;
    int64_t ho, wo;
    int64_t ekh = d[0] * (k[0] - 1) + 1, ekw = d[1] * (k[1] - 1) + 1; /* < 2^62 */
    if (l->op == NPU_OP_CONVT) {
        if ((rc = pair_attr(c, NPU_K_OP, 0, 0, opad, false)))
            return rc;
        for (int i = 0; i < 2; i++)
            if (opad[i] >= s[i] && opad[i] >= d[i])
                return npu_infer_lerr(c->g, l, c->err,
                                      "output padding op=%lld must be smaller than the "
                                      "stride or the dilation",
                                      (long long)opad[i]);
        /* each term below 2^62, but their sum could overflow: bound them first */
        if ((h - 1) * s[0] > 8 * NPU_DIM_MAX || (w - 1) * s[1] > 8 * NPU_DIM_MAX ||
            ekh > 8 * NPU_DIM_MAX || ekw > 8 * NPU_DIM_MAX)
            return npu_infer_lerr(c->g, l, c->err,
                                  "output would be larger than 2^31-1 (stride %lldx%lld, "
                                  "kernel %lldx%lld)",
                                  (long long)s[0], (long long)s[1], (long long)ekh, (long long)ekw);
        ho = (h - 1) * s[0] - pad[0] - pad[2] + ekh - 1 + opad[0] + 1;
        wo = (w - 1) * s[1] - pad[1] - pad[3] + ekw - 1 + opad[1] + 1;
        if (ho < 1 || wo < 1)
            return npu_infer_lerr(c->g, l, c->err,
                                  "padding %lld,%lld,%lld,%lld leaves no output of input "
                                  "%lldx%lld",
                                  (long long)pad[0], (long long)pad[1], (long long)pad[2],
                                  (long long)pad[3], (long long)h, (long long)w);
    } else {
        int64_t ph = h + pad[0] + pad[2], pw = w + pad[1] + pad[3];
        if (ekh > ph || ekw > pw) {
            if (d[0] > 1 || d[1] > 1)
                return npu_infer_lerr(c->g, l, c->err,
                                      "dilated kernel %lldx%lld larger than padded input "
                                      "%lldx%lld",
                                      (long long)ekh, (long long)ekw, (long long)ph, (long long)pw);
            return npu_infer_lerr(c->g, l, c->err,
                                  "kernel %lldx%lld larger than padded input %lldx%lld",
                                  (long long)k[0], (long long)k[1], (long long)ph, (long long)pw);
        }
        if (ceilm) {
            ho = (ph - ekh + s[0] - 1) / s[0] + 1;
            wo = (pw - ekw + s[1] - 1) / s[1] + 1;
            if ((ho - 1) * s[0] >= h + pad[0])
                ho--;
            if ((wo - 1) * s[1] >= w + pad[1])
                wo--;
        } else {
            ho = (ph - ekh) / s[0] + 1;
            wo = (pw - ekw) / s[1] + 1;
        }
    }
    o->ndim = 4;
    o->d[0] = n;
    o->d[1] = kout;
    o->d[2] = ho;
    o->d[3] = wo;
    if (conv) {
        /* conv: N·K·Ho·Wo·(C/g)·kh·kw ; convt: N·C·H·W·(K/g)·kh·kw */
        int64_t m =
            l->op == NPU_OP_CONV
                ? npu_infer_cmul(npu_infer_cmul(npu_infer_cmul(n, kout), npu_infer_cmul(ho, wo)),
                                 ch / g)
                : npu_infer_cmul(npu_infer_cmul(npu_infer_cmul(n, ch), npu_infer_cmul(h, w)),
                                 kout / g);
        m = npu_infer_cmul(m, npu_infer_cmul(k[0], k[1]));
        int64_t p = npu_infer_cmul(npu_infer_cmul(kout, ch / g), npu_infer_cmul(k[0], k[1]));
        if (m < 0 || p < 0)
            return npu_infer_lerr(c->g, l, c->err, "MAC or parameter count overflows 64 bits");
        if (p > INT64_MAX / 2 - 3 * kout)
            return npu_infer_lerr(c->g, l, c->err, "parameter count overflows 64 bits");
        if (npu_layer_int_k(l, NPU_K_BIAS, 0, 0))
            p += kout;
        if (l->flags & NPU_LF_BN_FOLDED)
            p += 2 * kout;
        c->macs = m;
        c->params = p;
    }
    return 0;
}

/* gemm flattening rule (see file comment) */
void npu_shape_gemm_mk(const npu_tensor *x, int64_t *m, int64_t *k)
{
    if (x->ndim <= 1) {
        *m = 1;
        *k = x->ndim ? x->dim[0] : 1;
    } else if (x->ndim <= 3) {
        *m = 1;
        for (int i = 0; i < x->ndim - 1; i++)
            *m *= x->dim[i];
        *k = x->dim[x->ndim - 1];
    } else {
        *m = x->dim[0];
        *k = 1;
        for (int i = 1; i < x->ndim; i++)
            *k *= x->dim[i];
    }
}

static int bcast(npu_ictx *c, npu_shape *o, int na, const npu_shape *const *s)
{
    int r = 0;
    for (int i = 0; i < na; i++)
        if (s[i]->ndim > r)
            r = s[i]->ndim;
    o->ndim = r;
    for (int j = 0; j < r; j++) {
        int64_t v = 1;
        for (int i = 0; i < na; i++) {
            int off = j - (r - s[i]->ndim);
            if (off < 0)
                continue;
            int64_t dv = s[i]->d[off];
            if (dv == v || dv == 1)
                continue;
            if (v != 1) {
                char a[128], b[128];
                npu_infer_fmt_dims(a, sizeof a, s[0]->ndim, s[0]->d);
                npu_infer_fmt_dims(b, sizeof b, s[i]->ndim, s[i]->d);
                return npu_infer_lerr(c->g, c->l, c->err, "shapes %s and %s do not broadcast", a,
                                      b);
            }
            v = dv;
        }
        o->d[j] = v;
    }
    return 0;
}

static void to_shape(npu_shape *s, const npu_tensor *t)
{
    s->ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++)
        s->d[i] = t->dim[i];
}

static int infer_matmul(npu_ictx *c, npu_shape *o)
{
    const npu_tensor *a = c->x[0], *b = c->x[1];
    int tb = (int)npu_layer_int_k(c->l, NPU_K_TRANSB, 0, 0);
    if (tb != 0 && tb != 1)
        return npu_infer_lerr(c->g, c->l, c->err, "transb= must be 0 or 1");
    if (a->ndim < 1 || b->ndim < 1)
        return npu_infer_lerr(c->g, c->l, c->err, "matmul inputs must have rank >= 1");
    int64_t m = a->ndim >= 2 ? a->dim[a->ndim - 2] : 1, ka = a->dim[a->ndim - 1];
    int64_t kb, n;
    if (b->ndim == 1) {
        kb = b->dim[0];
        n = 1;
    } else {
        kb = tb ? b->dim[b->ndim - 1] : b->dim[b->ndim - 2];
        n = tb ? b->dim[b->ndim - 2] : b->dim[b->ndim - 1];
    }
    if (ka != kb)
        return npu_infer_lerr(c->g, c->l, c->err,
                              "inner dimensions differ: '%s' has K=%lld, '%s' has "
                              "K=%lld",
                              a->name, (long long)ka, b->name, (long long)kb);
    npu_shape ba = {0, {0}}, bb = {0, {0}};
    ba.ndim = a->ndim > 2 ? a->ndim - 2 : 0;
    bb.ndim = b->ndim > 2 ? b->ndim - 2 : 0;
    for (int i = 0; i < ba.ndim; i++)
        ba.d[i] = a->dim[i];
    for (int i = 0; i < bb.ndim; i++)
        bb.d[i] = b->dim[i];
    const npu_shape *ss[2] = {&ba, &bb};
    int rc = bcast(c, o, 2, ss);
    if (rc)
        return rc;
    int64_t batch = 1;
    for (int i = 0; i < o->ndim; i++) {
        batch = npu_infer_cmul(batch, o->d[i]); /* broadcasting can exceed either input's size */
        if (batch < 0 || batch > NPU_ELEM_MAX)
            return npu_infer_lerr(c->g, c->l, c->err,
                                  "broadcast batch of the output has more than 2^48 "
                                  "elements");
    }
    if (a->ndim >= 2)
        o->d[o->ndim++] = m;
    if (b->ndim >= 2)
        o->d[o->ndim++] = n;
    c->macs = npu_infer_cmul(npu_infer_cmul(batch, m), npu_infer_cmul(n, ka));
    if (c->macs < 0)
        return npu_infer_lerr(c->g, c->l, c->err, "MAC count overflows 64 bits");
    return 0;
}

/* ONNX slice on one axis → output length */
static int64_t slice_len(int64_t dim, int64_t st, int64_t en, int64_t step)
{
    if (st < 0)
        st = st < -dim ? 0 : st + dim;
    if (en < 0)
        en = en < -dim ? -1 : en + dim; /* stays -1 only for negative step semantics below */
    if (step > 0) {
        if (st > dim)
            st = dim;
        if (en < 0)
            en = 0;
        if (en > dim)
            en = dim;
        if (en <= st)
            return 0;
        /* ceil((en-st)/step) without overflow */
        return (en - st - 1) / step + 1;
    }
    if (st > dim - 1)
        st = dim - 1;
    if (en > dim - 1)
        en = dim - 1;
    if (en < -1)
        en = -1;
    if (st <= en)
        return 0;
    int64_t ns = -step; /* step >= -INT64_MAX checked by caller */
    return (st - en - 1) / ns + 1;
}

static int axes_list(npu_ictx *c, npu_attr_key key, int rank, int extra, int *axes, int *na,
                     bool *seen)
{
    const npu_attr *a = npu_layer_attr_k(c->l, key);
    *na = 0;
    if (!a)
        return 0;
    for (int i = 0; i < rank + extra && i < NPU_MAX_DIMS; i++)
        seen[i] = false;
    for (int i = 0; i < a->n; i++) {
        int ax = 0;
        int rc = norm_axis(c, key, a->i[i], rank, extra, &ax);
        if (rc)
            return rc;
        if (seen[ax])
            return npu_infer_lerr(c->g, c->l, c->err, "%s= names axis %d twice",
                                  npu_attr_key_name(key), ax);
        seen[ax] = true;
        axes[(*na)++] = ax;
    }
    return 0;
}

/* ---- the rules of single ops ------------------------------------------------------------- */
static int r_gpool(npu_ictx *c, npu_shape *o)
{
    const npu_tensor *x = c->x[0];
    int rc;
    if ((rc = need_rank(c, x, 3, NPU_MAX_DIMS)))
        return rc;
    for (int i = 2; i < o->ndim; i++)
        o->d[i] = 1;
    return 0;
}

static int r_gemm(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    int64_t n = 0, m = 0, k = 0, b = 0;
    if ((rc = get_int_attr(c, NPU_K_OUT, -1, 1, NPU_DIM_MAX, &n)))
        return rc;
    if (n < 0)
        return npu_infer_lerr(g, l, err, "missing attribute out= (output features)");
    if ((rc = get_int_attr(c, NPU_K_BIAS, 0, 0, 1, &b)))
        return rc;
    if (x->ndim < 1)
        return npu_infer_lerr(g, l, err, "input '%s' is a scalar", x->name);
    npu_shape_gemm_mk(x, &m, &k);
    if (x->ndim == 3) {
        o->d[2] = n;
    } else if (x->ndim == 1) {
        o->d[0] = n;
    } else {
        o->ndim = 2;
        o->d[0] = m;
        o->d[1] = n;
    }
    c->macs = npu_infer_cmul(npu_infer_cmul(m, n), k);
    c->params = npu_infer_cmul(k, n);
    if (c->macs < 0 || c->params < 0 || c->params > INT64_MAX / 2 - 3 * n)
        return npu_infer_lerr(g, l, err, "MAC or parameter count overflows 64 bits");
    if (b)
        c->params += n;
    if (l->flags & NPU_LF_BN_FOLDED)
        c->params += 2 * n;
    return 0;
}

static int r_eltwise(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    int rc;
    npu_shape s[16];
    const npu_shape *ps[16];
    for (int i = 0; i < l->nin; i++) {
        to_shape(&s[i], &g->t[l->in[i]]);
        ps[i] = &s[i];
    }
    if ((rc = bcast(c, o, l->nin, ps)))
        return rc;
    c->count_consts = true;
    return 0;
}

static int r_prelu(npu_ictx *c, npu_shape *o)
{
    (void)o;
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    if (l->nin > 1) {
        c->count_consts = true;
        if (c->x[1]->kind != NPU_T_CONST)
            return npu_infer_lerr(g, l, err, "slope input '%s' must be a constant", c->x[1]->name);
    } else {
        int64_t ns = 0;
        if ((rc = get_int_attr(c, NPU_K_SLOPES, x->ndim >= 2 ? x->dim[1] : 1, 1, NPU_DIM_MAX, &ns)))
            return rc;
        c->params = ns;
    }
    return 0;
}

static int r_batchnorm(npu_ictx *c, npu_shape *o)
{
    (void)o;
    const npu_tensor *x = c->x[0];
    int rc;
    if ((rc = need_rank(c, x, 2, NPU_MAX_DIMS)))
        return rc;
    c->params = 2 * x->dim[1];
    return 0;
}

static int r_softmax_norm(npu_ictx *c, npu_shape *o)
{
    (void)o;
    npu_layer *l = c->l;
    const npu_tensor *x = c->x[0];
    int rc;
    int ax = 0;
    int64_t aff = 1;
    if ((rc = norm_axis(c, NPU_K_AXIS, npu_layer_int_k(l, NPU_K_AXIS, 0, -1), x->ndim, 0, &ax)))
        return rc;
    if (l->op != NPU_OP_SOFTMAX) {
        if ((rc = get_int_attr(c, NPU_K_AFFINE, 1, 0, 1, &aff)))
            return rc;
        int64_t nd = 1;
        for (int i = ax; i < x->ndim; i++)
            nd *= x->dim[i];
        c->params = aff ? (l->op == NPU_OP_LAYERNORM ? 2 * nd : nd) : 0;
    }
    return 0;
}

static int r_concat(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    char dbuf[160];
    int ax = 0;
    if ((rc = norm_axis(c, NPU_K_AXIS, npu_layer_int_k(l, NPU_K_AXIS, 0, 1), x->ndim, 0, &ax)))
        return rc;
    int64_t sum = 0;
    for (int i = 0; i < l->nin; i++) {
        const npu_tensor *t = &g->t[l->in[i]];
        bool same = t->ndim == x->ndim;
        for (int j = 0; same && j < x->ndim; j++)
            if (j != ax && t->dim[j] != x->dim[j])
                same = false;
        if (!same) {
            char a[160];
            npu_infer_fmt_dims(a, sizeof a, x->ndim, x->dim);
            npu_infer_fmt_dims(dbuf, sizeof dbuf, t->ndim, t->dim);
            return npu_infer_lerr(g, l, err,
                                  "cannot concatenate %s ('%s') and %s ('%s') on axis %d", a,
                                  x->name, dbuf, t->name, ax);
        }
        sum += t->dim[ax];
    }
    o->d[ax] = sum;
    c->count_consts = true;
    return 0;
}

static int r_split(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    int ax = 0;
    if ((rc = norm_axis(c, NPU_K_AXIS, npu_layer_int_k(l, NPU_K_AXIS, 0, 0), x->ndim, 0, &ax)))
        return rc;
    int64_t dim = x->dim[ax], part[NPU_NOUT_MAX];
    const npu_attr *sz = npu_layer_attr_k(l, NPU_K_SIZES);
    int64_t nparts = l->nout;
    if (sz) {
        if (npu_layer_attr_k(l, NPU_K_N))
            return npu_infer_lerr(g, l, err, "give sizes= or n=, not both");
        if (sz->n != l->nout)
            return npu_infer_lerr(g, l, err, "sizes= has %d values for %d outputs", sz->n, l->nout);
        int64_t sum = 0;
        for (int i = 0; i < sz->n; i++) {
            if (sz->i[i] < 1 || sz->i[i] > dim)
                return npu_infer_lerr(g, l, err, "split size %lld out of range 1..%lld",
                                      (long long)sz->i[i], (long long)dim);
            part[i] = sz->i[i];
            sum += sz->i[i];
        }
        if (sum != dim)
            return npu_infer_lerr(g, l, err, "sizes= add up to %lld, axis %d has %lld",
                                  (long long)sum, ax, (long long)dim);
    } else {
        if ((rc = get_int_attr(c, NPU_K_N, l->nout, 1, NPU_NOUT_MAX, &nparts)))
            return rc;
        if (nparts != l->nout)
            return npu_infer_lerr(g, l, err, "n=%lld parts but %d outputs", (long long)nparts,
                                  l->nout);
        int64_t each = (dim + nparts - 1) / nparts;
        for (int i = 0; i < nparts; i++) {
            part[i] = dim - each * i < each ? dim - each * i : each;
            if (part[i] < 1)
                return npu_infer_lerr(g, l, err, "cannot split %lld into %lld parts",
                                      (long long)dim, (long long)nparts);
        }
    }
    for (int k = 0; k < l->nout; k++) {
        npu_shape s = *o;
        s.d[ax] = part[k];
        if ((rc = npu_infer_set_out(c, k, &s, c->dt)))
            return rc;
    }
    c->outs_set = true;
    return 0;
}

static int r_slice(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    const npu_attr *st = npu_layer_attr_k(l, NPU_K_STARTS), *en = npu_layer_attr_k(l, NPU_K_ENDS);
    const npu_attr *ax = npu_layer_attr_k(l, NPU_K_AXES), *sp = npu_layer_attr_k(l, NPU_K_STEPS);
    if (!st || !en)
        return npu_infer_lerr(g, l, err, "needs starts= and ends=");
    if (en->n != st->n || (ax && ax->n != st->n) || (sp && sp->n != st->n))
        return npu_infer_lerr(g, l, err,
                              "starts=, ends=, axes= and steps= must have the same length");
    bool seen[NPU_MAX_DIMS] = {false};
    for (int i = 0; i < st->n; i++) {
        int a = 0;
        if (ax) {
            if ((rc = norm_axis(c, NPU_K_AXES, ax->i[i], x->ndim, 0, &a)))
                return rc;
        } else if (i >= x->ndim)
            return npu_infer_lerr(g, l, err, "more starts= than input dims");
        else
            a = i;
        if (seen[a])
            return npu_infer_lerr(g, l, err, "axis %d sliced twice", a);
        seen[a] = true;
        int64_t step = sp ? sp->i[i] : 1;
        if (step == 0 || step == INT64_MIN)
            return npu_infer_lerr(g, l, err, "step %lld is not allowed", (long long)step);
        int64_t n = slice_len(x->dim[a], st->i[i], en->i[i], step);
        if (n < 1)
            return npu_infer_lerr(g, l, err, "slice %lld:%lld:%lld of axis %d (size %lld) is empty",
                                  (long long)st->i[i], (long long)en->i[i], (long long)step, a,
                                  (long long)x->dim[a]);
        o->d[a] = n;
    }
    return 0;
}

static int r_reshape(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    char dbuf[160];
    const npu_attr *sh = npu_layer_attr_k(l, NPU_K_SHAPE);
    if (!sh)
        return npu_infer_lerr(g, l, err, "missing attribute shape=");
    if (sh->n > NPU_MAX_DIMS)
        return npu_infer_lerr(g, l, err, "shape= has more than %d dims", NPU_MAX_DIMS);
    int64_t known = 1, total = npu_tensor_elems(x);
    int neg = -1;
    o->ndim = sh->n;
    for (int i = 0; i < sh->n; i++) {
        int64_t v = sh->i[i];
        if (v == 0) {
            if (i >= x->ndim)
                return npu_infer_lerr(g, l, err, "shape= copies dim %d (0) the input does not have",
                                      i);
            v = x->dim[i];
        } else if (v == -1) {
            if (neg >= 0)
                return npu_infer_lerr(g, l, err, "shape= has more than one -1");
            neg = i;
            o->d[i] = 1;
            continue;
        } else if (v < 1 || v > NPU_DIM_MAX)
            return npu_infer_lerr(g, l, err, "shape= value %lld is not allowed", (long long)v);
        o->d[i] = v;
        known = npu_infer_cmul(known, v);
        if (known < 0 || known > NPU_ELEM_MAX)
            return npu_infer_lerr(g, l, err, "shape= has more than 2^48 elements");
    }
    if (neg >= 0) {
        if (total % known)
            return npu_infer_lerr(g, l, err,
                                  "cannot infer -1: %lld elements are not a multiple of "
                                  "%lld",
                                  (long long)total, (long long)known);
        o->d[neg] = total / known;
    } else if (known != total) {
        npu_infer_fmt_dims(dbuf, sizeof dbuf, x->ndim, x->dim);
        return npu_infer_lerr(g, l, err, "shape= has %lld elements, input %s has %lld",
                              (long long)known, dbuf, (long long)total);
    }
    return 0;
}

static int r_flatten(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    /* ONNX: axis in [-rank, rank]; axis 0 gives [1, all] */
    int64_t av = npu_layer_int_k(l, NPU_K_AXIS, 0, 1);
    if (av < -x->ndim || av > x->ndim)
        return npu_infer_lerr(g, l, err, "axis=%lld out of range for rank %d", (long long)av,
                              x->ndim);
    int ax = (int)(av < 0 ? av + x->ndim : av);
    int64_t a = 1, b = 1;
    for (int i = 0; i < x->ndim; i++) {
        if (i < ax)
            a *= x->dim[i];
        else
            b *= x->dim[i];
    }
    o->ndim = 2;
    o->d[0] = a;
    o->d[1] = b;
    return 0;
}

static int r_squeeze(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    int axes[NPU_MAX_DIMS], na;
    bool seen[NPU_MAX_DIMS];
    if ((rc = axes_list(c, NPU_K_AXES, x->ndim, 0, axes, &na, seen)))
        return rc;
    o->ndim = 0;
    for (int i = 0; i < x->ndim; i++) {
        bool drop = na ? seen[i] : x->dim[i] == 1;
        if (na && seen[i] && x->dim[i] != 1)
            return npu_infer_lerr(g, l, err, "cannot squeeze axis %d of size %lld", i,
                                  (long long)x->dim[i]);
        if (!drop)
            o->d[o->ndim++] = x->dim[i];
    }
    return 0;
}

static int r_unsqueeze(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    const npu_attr *a = npu_layer_attr_k(l, NPU_K_AXES);
    if (!a)
        return npu_infer_lerr(g, l, err, "missing attribute axes=");
    int r = x->ndim + a->n;
    if (r > NPU_MAX_DIMS)
        return npu_infer_lerr(g, l, err, "output rank %d exceeds %d", r, NPU_MAX_DIMS);
    int axes[NPU_MAX_DIMS], na;
    bool seen[NPU_MAX_DIMS];
    if ((rc = axes_list(c, NPU_K_AXES, x->ndim, a->n, axes, &na, seen)))
        return rc;
    o->ndim = r;
    for (int i = 0, j = 0; i < r; i++)
        o->d[i] = seen[i] ? 1 : x->dim[j++];
    return 0;
}

static int r_transpose(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    const npu_attr *p = npu_layer_attr_k(l, NPU_K_PERM);
    if (p && p->n != x->ndim)
        return npu_infer_lerr(g, l, err, "perm= has %d values for a rank-%d input", p->n, x->ndim);
    bool seen[NPU_MAX_DIMS] = {false};
    for (int i = 0; i < x->ndim; i++) {
        int64_t src = p ? p->i[i] : x->ndim - 1 - i;
        if (src < 0 || src >= x->ndim || seen[src])
            return npu_infer_lerr(g, l, err, "perm= is not a permutation of 0..%d", x->ndim - 1);
        seen[src] = true;
        o->d[i] = x->dim[src];
    }
    return 0;
}

static int r_resize(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    if ((rc = need_rank(c, x, 3, NPU_MAX_DIMS)))
        return rc;
    const npu_attr *sc = npu_layer_attr_k(l, NPU_K_SCALE), *sz = npu_layer_attr_k(l, NPU_K_SIZE);
    const char *mode = npu_layer_str_k(l, NPU_K_MODE, "nearest");
    if (strcmp(mode, "nearest") && strcmp(mode, "linear") && strcmp(mode, "cubic"))
        return npu_infer_lerr(g, l, err, "mode=%s is not nearest, linear or cubic", mode);
    if ((sc != NULL) == (sz != NULL))
        return npu_infer_lerr(g, l, err, "give exactly one of scale= and size=");
    int sp = x->ndim - 2; /* spatial dims */
    const npu_attr *a = sc ? sc : sz;
    if (a->type == NPU_ATTR_INTS && a->n != 1 && a->n != sp)
        return npu_infer_lerr(g, l, err, "%s= takes 1 or %d values, got %d", a->key, sp, a->n);
    for (int i = 0; i < sp; i++) {
        int64_t in = x->dim[2 + i];
        double v;
        if (a->type == NPU_ATTR_FLOAT)
            v = floor((double)in * a->f);
        else {
            int64_t q = a->i[i < a->n ? i : a->n - 1];
            if (q < 1 || q > NPU_DIM_MAX)
                return npu_infer_lerr(g, l, err, "%s= value %lld out of range", a->key,
                                      (long long)q);
            v = sc ? (double)in * (double)q : (double)q;
        }
        if (!(v >= 1) || v > (double)NPU_DIM_MAX)
            return npu_infer_lerr(g, l, err, "resized dimension %g out of range 1..2^31-1", v);
        o->d[2 + i] = (int64_t)v;
    }
    return 0;
}

static int r_pad(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    const npu_attr *p = npu_layer_attr_k(l, NPU_K_P), *pp = npu_layer_attr_k(l, NPU_K_PADS);
    const char *mode = npu_layer_str_k(l, NPU_K_MODE, "constant");
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
        return npu_infer_lerr(g, l, err, "mode=%s is not constant, reflect or edge", mode);
    if (p && pp)
        return npu_infer_lerr(g, l, err, "give p= or pads=, not both");
    if (pp) {
        if (pp->n != 2 * x->ndim)
            return npu_infer_lerr(g, l, err, "pads= needs %d values (begins then ends), got %d",
                                  2 * x->ndim, pp->n);
        for (int i = 0; i < x->ndim; i++) {
            int64_t b = pp->i[i], e = pp->i[i + x->ndim];
            if (b < -NPU_DIM_MAX || b > NPU_DIM_MAX || e < -NPU_DIM_MAX || e > NPU_DIM_MAX)
                return npu_infer_lerr(g, l, err, "pads= value out of range");
            o->d[i] = x->dim[i] + b + e;
        }
    } else {
        int64_t pad[4];
        if ((rc = need_rank(c, x, 2, NPU_MAX_DIMS)) || (rc = pads_attr(c, pad)))
            return rc;
        o->d[x->ndim - 2] += pad[0] + pad[2];
        o->d[x->ndim - 1] += pad[1] + pad[3];
    }
    return 0;
}

static int r_gather(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    const npu_tensor *ix = c->x[1];
    int ax = 0;
    if (npu_dtype_is_float(ix->dtype))
        return npu_infer_lerr(g, l, err, "indices '%s' must be an integer tensor, not %s", ix->name,
                              npu_dtype_name(ix->dtype));
    if (x->ndim < 1)
        return npu_infer_lerr(g, l, err, "cannot gather from a scalar");
    if ((rc = norm_axis(c, NPU_K_AXIS, npu_layer_int_k(l, NPU_K_AXIS, 0, 0), x->ndim, 0, &ax)))
        return rc;
    if (x->ndim - 1 + ix->ndim > NPU_MAX_DIMS)
        return npu_infer_lerr(g, l, err, "output rank exceeds %d", NPU_MAX_DIMS);
    o->ndim = 0;
    for (int i = 0; i < ax; i++)
        o->d[o->ndim++] = x->dim[i];
    for (int i = 0; i < ix->ndim; i++)
        o->d[o->ndim++] = ix->dim[i];
    for (int i = ax + 1; i < x->ndim; i++)
        o->d[o->ndim++] = x->dim[i];
    c->count_consts = true;
    return 0;
}

static int r_reduce(npu_ictx *c, npu_shape *o)
{
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    const char *kind = npu_layer_str_k(l, NPU_K_KIND, NULL);
    static const char *const kinds[] = {"mean", "sum", "max", "min", "prod", "l1", "l2", NULL};
    bool ok = false;
    for (int i = 0; kind && kinds[i]; i++)
        ok = ok || strcmp(kind, kinds[i]) == 0;
    if (!ok)
        return npu_infer_lerr(g, l, err, "kind=%s is not one of mean, sum, max, min, prod, l1, l2",
                              kind ? kind : "(missing)");
    int64_t keep;
    if ((rc = get_int_attr(c, NPU_K_KEEP, 1, 0, 1, &keep)))
        return rc;
    int axes[NPU_MAX_DIMS], na;
    bool seen[NPU_MAX_DIMS];
    if ((rc = axes_list(c, NPU_K_AXES, x->ndim, 0, axes, &na, seen)))
        return rc;
    o->ndim = 0;
    for (int i = 0; i < x->ndim; i++) {
        bool red = na ? seen[i] : true;
        if (!red)
            o->d[o->ndim++] = x->dim[i];
        else if (keep)
            o->d[o->ndim++] = 1;
    }
    return 0;
}

static int r_act_bounds(npu_ictx *c, npu_shape *o)
{
    (void)o;
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    double mn = npu_layer_float_k(l, NPU_K_MIN, -INFINITY),
           mx = npu_layer_float_k(l, NPU_K_MAX, INFINITY);
    if (mn > mx)
        return npu_infer_lerr(g, l, err, "min=%g is larger than max=%g", mn, mx);
    return 0;
}

static int r_lrn(npu_ictx *c, npu_shape *o)
{
    (void)o;
    npu_graph *g = c->g;
    npu_layer *l = c->l;
    npu_err *err = c->err;
    const npu_tensor *x = c->x[0];
    int rc;
    /* ONNX LRN: across channels of an N x C x D1 ... tensor, over `size` neighbours (the
     * output has the input's shape). size must be odd and >= 1 as in ONNX. */
    int64_t size;
    if ((rc = need_rank(c, x, 3, NPU_MAX_DIMS)))
        return rc;
    if ((rc = get_int_attr(c, NPU_K_SIZE, -1, 1, 4096, &size)))
        return rc;
    if (size < 0)
        return npu_infer_lerr(g, l, err, "missing attribute size= (channels summed over)");
    if (size % 2 == 0)
        return npu_infer_lerr(g, l, err, "size=%lld must be odd", (long long)size);
    double beta = npu_layer_float_k(l, NPU_K_BETA, 0.75),
           alpha = npu_layer_float_k(l, NPU_K_ALPHA, 1e-4);
    double bias = npu_layer_float_k(l, NPU_K_BIAS, 1.0);
    if (!isfinite(alpha) || !isfinite(beta) || !isfinite(bias))
        return npu_infer_lerr(g, l, err, "alpha, beta and bias must be finite");
    return 0;
}

/* ---- the rule of each class -------------------------------------------------------------- */
static int r_conv(npu_ictx *c, npu_shape *o)
{
    return infer_window(c, o);
}

static int r_pool(npu_ictx *c, npu_shape *o)
{
    npu_op op = c->l->op;
    return op == NPU_OP_GAVGPOOL || op == NPU_OP_GMAXPOOL ? r_gpool(c, o) : infer_window(c, o);
}

static int r_gemm_class(npu_ictx *c, npu_shape *o)
{
    if (c->l->op != NPU_OP_MATMUL)
        return r_gemm(c, o);
    c->count_consts = true;
    return infer_matmul(c, o);
}

/* The classes whose ops differ in shape (activations, norms, data movement, views) run the
 * rule of the op; an op without one keeps the input's shape (relu, identity ...). */
static const npu_shape_rule op_rules[NPU_OP_COUNT] = {
    [NPU_OP_PRELU] = r_prelu,
    [NPU_OP_LEAKY] = r_act_bounds,
    [NPU_OP_HARDSIGMOID] = r_act_bounds,
    [NPU_OP_CLIP] = r_act_bounds,
    [NPU_OP_BATCHNORM] = r_batchnorm,
    [NPU_OP_LRN] = r_lrn,
    [NPU_OP_SOFTMAX] = r_softmax_norm,
    [NPU_OP_LAYERNORM] = r_softmax_norm,
    [NPU_OP_RMSNORM] = r_softmax_norm,
    [NPU_OP_CONCAT] = r_concat,
    [NPU_OP_SPLIT] = r_split,
    [NPU_OP_SLICE] = r_slice,
    [NPU_OP_TRANSPOSE] = r_transpose,
    [NPU_OP_RESIZE] = r_resize,
    [NPU_OP_PAD] = r_pad,
    [NPU_OP_GATHER] = r_gather,
    [NPU_OP_RESHAPE] = r_reshape,
    [NPU_OP_FLATTEN] = r_flatten,
    [NPU_OP_SQUEEZE] = r_squeeze,
    [NPU_OP_UNSQUEEZE] = r_unsqueeze,
};

static int r_by_op(npu_ictx *c, npu_shape *o)
{
    npu_shape_rule r = op_rules[c->l->op];
    return r ? r(c, o) : 0;
}

const npu_shape_rule npu_shape_rules[NPU_OPC_COUNT] = {
    [NPU_OPC_CONV] = r_conv,       [NPU_OPC_GEMM] = r_gemm_class, [NPU_OPC_POOL] = r_pool,
    [NPU_OPC_ELTWISE] = r_eltwise, [NPU_OPC_ACT] = r_by_op,       [NPU_OPC_UNARY] = r_by_op,
    [NPU_OPC_NORM] = r_by_op,      [NPU_OPC_DATA] = r_by_op,      [NPU_OPC_VIEW] = r_by_op,
    [NPU_OPC_QUANT] = r_by_op,     [NPU_OPC_REDUCE] = r_reduce,
};
