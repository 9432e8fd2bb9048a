/* onnxdata.c — the ONNX importer's handlers of data-movement, shape and constant operators
 * (Reshape … Transpose, Resize, Pad, Gather, Cast/Quantize, Reduce*, Constant, Shape, Range,
 * DepthToSpace, import-time folds) and of the simple one-to-one ops (prefix onnx_; private to
 * the importer, see onnximp.h). */
#include "onnximp.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int onnx_h_reshape_like(ox *x, const onode *n, const opdef *od)
{
    oval *X;
    int nd = 0, ond = 0;
    int64_t dim[NPU_MAX_DIMS], od_[NPU_MAX_DIMS], list[NPU_MAX_DIMS + 8];
    long cnt = -1;
    if (onnx_need_in(x, n, 0, &X, "data"))
        return -1;
    bool fold = X->kind == VK_CONST;
    switch (od->kind) {
    case K_RESHAPE: {
        if (onnx_int_list(x, n, x->opset < 5 ? "shape" : NULL, x->opset < 5 ? -1 : 1, list,
                          NPU_MAX_DIMS + 8, &cnt, "shape"))
            return -1;
        if (cnt < 0)
            return onnx_fmt_err(x, NPU_EFORMAT, "missing target shape");
        if (cnt > NPU_MAX_DIMS)
            return onnx_fmt_err(x, NPU_EUNSUPPORTED, "target rank %ld (at most %d)", cnt,
                                NPU_MAX_DIMS);
        bool allowzero = onnx_aint(n, "allowzero", 0) != 0;
        for (long i = 0; i < cnt; i++)
            if (allowzero && list[i] == 0)
                return onnx_fmt_err(x, NPU_EUNSUPPORTED,
                                    "allowzero=1 with a 0 in the shape makes an "
                                    "empty tensor");
        if (fold) {
            if (onnx_need_shape(x, X, &nd, dim, "data") ||
                onnx_reshape_dims(x, nd, dim, cnt, list, allowzero, od_))
                return -1;
            return onnx_fold_view(x, n, X, (int)cnt, od_);
        }
        int li = onnx_emit1(x, n, NPU_OP_RESHAPE, 1, &X);
        return li < 0 || onnx_set_ints(x, li, "shape", cnt, list) ? -1 : 0;
    }
    case K_FLATTEN: {
        int64_t axis = onnx_aint(n, "axis", 1);
        if (fold) {
            int64_t ax;
            if (onnx_need_shape(x, X, &nd, dim, "input"))
                return -1;
            if (axis < -nd || axis > nd)
                return onnx_fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
            ax = axis < 0 ? axis + nd : axis;
            od_[0] = onnx_prod((int)ax, dim);
            od_[1] = onnx_prod(nd - (int)ax, dim + ax);
            return onnx_fold_view(x, n, X, 2, od_);
        }
        int li = onnx_emit1(x, n, NPU_OP_FLATTEN, 1, &X);
        return li < 0 || onnx_set_int(x, li, "axis", axis) ? -1 : 0;
    }
    case K_SQUEEZE:
    case K_UNSQUEEZE: {
        bool un = od->kind == K_UNSQUEEZE;
        if (onnx_int_list(x, n, x->opset < 13 ? "axes" : NULL, x->opset < 13 ? -1 : 1, list,
                          NPU_MAX_DIMS, &cnt, "axes"))
            return -1;
        if (un && cnt < 0)
            return onnx_fmt_err(x, NPU_EFORMAT, "missing axes");
        bool neg = false;
        for (long i = 0; i < cnt; i++)
            neg = neg || list[i] < 0;
        if (fold || neg || cnt < 0) {
            if (onnx_need_shape(x, X, &nd, dim, "input"))
                return -1;
            int r = un ? nd + (int)cnt : nd;
            if (r > NPU_MAX_DIMS)
                return onnx_fmt_err(x, NPU_EUNSUPPORTED, "result rank %d", r);
            bool sel[NPU_MAX_DIMS] = {false};
            for (long i = 0; i < cnt; i++) {
                int64_t a;
                if (onnx_norm_axis(list[i], r, &a) || sel[a])
                    return onnx_fmt_err(x, NPU_EINVAL, "axis %lld invalid for rank %d",
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
                        return onnx_fmt_err(x, NPU_EINVAL, "cannot squeeze axis %d of size %lld", i,
                                            (long long)dim[i]);
                }
                return onnx_fold_view(x, n, X, ond, od_);
            }
        }
        if (!un && cnt == 0) /* nothing to squeeze */
            return onnx_emit1(x, n, NPU_OP_IDENTITY, 1, &X) < 0 ? -1 : 0;
        int li = onnx_emit1(x, n, un ? NPU_OP_UNSQUEEZE : NPU_OP_SQUEEZE, 1, &X);
        return li < 0 || onnx_set_ints(x, li, "axes", cnt, list) ? -1 : 0;
    }
    default: /* Identity, Dropout */
        if (onnx_only_outputs(x, n, 2, "extra output"))
            return -1;
        if (n->nout > 1 && n->out[1][0]) { /* Dropout mask: a bool tensor of the input shape */
            int lm = onnx_emit(x, n, NPU_OP_CAST, "mask", 1, &X, 1);
            if (lm < 0 || onnx_set_str(x, lm, "to", "bool") || onnx_bind(x, n, 1, lm, 0))
                return -1;
        }
        if (fold) {
            if (onnx_need_shape(x, X, &nd, dim, "input"))
                return -1;
            return onnx_fold_view(x, n, X, nd, dim);
        }
        return onnx_emit1(x, n, NPU_OP_IDENTITY, 1, &X) < 0 ? -1 : 0;
    }
}

int onnx_h_concat(ox *x, const onode *n)
{
    oval *ins[4096];
    int m = 0;
    if (!onnx_attr(n, "axis") && x->opset >= 4)
        return onnx_fmt_err(x, NPU_EFORMAT, "missing attribute axis");
    int64_t axis = onnx_aint(n, "axis", 1); /* optional (default 1) before opset 4 */
    if (n->nin > 4096)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "%d inputs (at most 4096 are modelled)", n->nin);
    bool all = true;
    for (int i = 0; i < n->nin && m < 4096; i++) {
        oval *v;
        if (onnx_node_in(x, n, i, &v))
            return -1;
        if (!v)
            continue;
        ins[m++] = v;
        all = all && onnx_has_value(x, v);
    }
    if (m < 1)
        return onnx_fmt_err(x, NPU_EFORMAT, "no inputs");
    if (all) { /* e.g. the shape vector of a PyTorch Reshape */
        oval *a = ins[0];
        int64_t ax, dim[NPU_MAX_DIMS];
        if (onnx_norm_axis(axis, a->ndim, &ax))
            return onnx_fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
        memcpy(dim, a->dim, sizeof dim);
        dim[ax] = 0;
        for (int i = 0; i < m; i++) {
            if (ins[i]->ndim != a->ndim)
                return onnx_fmt_err(x, NPU_EINVAL, "inputs of different rank");
            for (int j = 0; j < a->ndim; j++)
                if (j != ax && ins[i]->dim[j] != a->dim[j])
                    return onnx_fmt_err(x, NPU_EINVAL, "input shapes differ off the axis");
            dim[ax] += ins[i]->dim[ax];
        }
        int64_t cnt = onnx_prod(a->ndim, dim);
        if (cnt < 0 || cnt > ONNX_VALUE_CAP)
            return onnx_set_const(x, n, 0, a->dt, a->ndim, dim, 0, NULL, NULL);
        int64_t *ri = onnx_xalloc(x, (size_t)cnt, sizeof *ri);
        double *rf = onnx_xalloc(x, (size_t)cnt, sizeof *rf);
        if (!ri || !rf)
            return -1;
        int64_t outer = onnx_prod((int)ax, a->dim), o = 0;
        for (int64_t q = 0; q < outer; q++)
            for (int i = 0; i < m; i++) {
                int64_t blk = onnx_prod(a->ndim - (int)ax, ins[i]->dim + ax);
                for (int64_t e = 0; e < blk; e++, o++) {
                    ri[o] = ins[i]->iv[q * blk + e];
                    rf[o] = ins[i]->fv[q * blk + e];
                }
            }
        return onnx_set_const(x, n, 0, a->dt, a->ndim, dim, (long)cnt, ri, rf);
    }
    int li = onnx_emit1(x, n, NPU_OP_CONCAT, m, ins);
    return li < 0 || onnx_set_int(x, li, "axis", axis) ? -1 : 0;
}

int onnx_h_split(ox *x, const onode *n)
{
    oval *X;
    int64_t sizes[NPU_ATTR_MAXN + 1];
    long cnt;
    if (onnx_need_in(x, n, 0, &X, "input"))
        return -1;
    if (n->nout < 1)
        return onnx_fmt_err(x, NPU_EFORMAT, "no outputs");
    if (onnx_int_list(x, n, x->opset < 13 ? "split" : NULL, x->opset < 13 ? -1 : 1, sizes,
                      NPU_ATTR_MAXN, &cnt, "split"))
        return -1;
    if (cnt >= 0 && cnt != n->nout)
        return onnx_fmt_err(x, NPU_EINVAL, "split has %ld sizes for %d outputs", cnt, n->nout);
    int li = onnx_emit(x, n, NPU_OP_SPLIT, NULL, 1, &X, n->nout);
    if (li < 0 || onnx_set_int(x, li, "axis", onnx_aint(n, "axis", 0)))
        return -1;
    if (cnt >= 0 ? onnx_set_ints(x, li, "sizes", cnt, sizes) : onnx_set_int(x, li, "n", n->nout))
        return -1;
    for (int k = 0; k < n->nout; k++)
        if (onnx_bind(x, n, k, li, k))
            return -1;
    return 0;
}

int onnx_h_slice(ox *x, const onode *n)
{
    oval *X;
    int64_t st[NPU_ATTR_MAXN], en[NPU_ATTR_MAXN], ax[NPU_ATTR_MAXN], sp[NPU_ATTR_MAXN];
    long ns, ne, na, nsp;
    bool old = x->opset < 10;
    if (onnx_need_in(x, n, 0, &X, "data") ||
        onnx_int_list(x, n, old ? "starts" : NULL, old ? -1 : 1, st, NPU_ATTR_MAXN, &ns,
                      "starts") ||
        onnx_int_list(x, n, old ? "ends" : NULL, old ? -1 : 2, en, NPU_ATTR_MAXN, &ne, "ends") ||
        onnx_int_list(x, n, old ? "axes" : NULL, old ? -1 : 3, ax, NPU_ATTR_MAXN, &na, "axes") ||
        onnx_int_list(x, n, NULL, old ? -1 : 4, sp, NPU_ATTR_MAXN, &nsp, "steps"))
        return -1;
    if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns))
        return onnx_fmt_err(x, NPU_EFORMAT,
                            "starts, ends, axes and steps must have the same length");
    if (onnx_has_value(x, X) && X->ndim == 1 && ns == 1) { /* 1-D constant: fold */
        int64_t a = na > 0 ? ax[0] : 0, step = nsp > 0 ? sp[0] : 1, first, count;
        if ((a != 0 && a != -1) || step == 0)
            return onnx_fmt_err(x, NPU_EINVAL, "bad axis or step");
        onnx_slice_range(X->dim[0], st[0], en[0], step, &first, &count);
        int64_t *ri = onnx_xalloc(x, (size_t)count, sizeof *ri);
        double *rf = onnx_xalloc(x, (size_t)count, sizeof *rf);
        if (!ri || !rf)
            return -1;
        for (int64_t i = 0; i < count; i++) {
            ri[i] = X->iv[first + i * step];
            rf[i] = X->fv[first + i * step];
        }
        return onnx_set_const(x, n, 0, X->dt, 1, &count, (long)count, ri, rf);
    }
    int li = onnx_emit1(x, n, NPU_OP_SLICE, 1, &X);
    if (li < 0 || onnx_set_ints(x, li, "starts", ns, st) || onnx_set_ints(x, li, "ends", ne, en))
        return -1;
    if ((na > 0 && onnx_set_ints(x, li, "axes", na, ax)) ||
        (nsp > 0 && onnx_set_ints(x, li, "steps", nsp, sp)))
        return -1;
    return 0;
}

int onnx_h_transpose(ox *x, const onode *n)
{
    oval *X;
    int64_t perm[NPU_MAX_DIMS + 1];
    long cnt;
    if (onnx_need_in(x, n, 0, &X, "data") ||
        onnx_int_list(x, n, "perm", -1, perm, NPU_MAX_DIMS + 1, &cnt, "perm"))
        return -1;
    if (X->kind == VK_CONST && !onnx_has_value(x, X)) { /* e.g. a transposed weight */
        int nd;
        int64_t dim[NPU_MAX_DIMS], od[NPU_MAX_DIMS];
        if (onnx_need_shape(x, X, &nd, dim, "data"))
            return -1;
        if (cnt >= 0 && cnt != nd)
            return onnx_fmt_err(x, NPU_EINVAL, "perm has %ld values for rank %d", cnt, nd);
        bool seen[NPU_MAX_DIMS] = {false};
        for (int i = 0; i < nd; i++) {
            int64_t src = cnt >= 0 ? perm[i] : nd - 1 - i;
            if (src < 0 || src >= nd || seen[src])
                return onnx_fmt_err(x, NPU_EINVAL, "perm is not a permutation");
            seen[src] = true;
            od[i] = dim[src];
        }
        if (onnx_set_const(x, n, 0, X->dt, nd, od, 0, NULL, NULL))
            return -1;
        bool swap = nd >= 2;
        for (int i = 0; swap && i < nd; i++)
            swap = (cnt >= 0 ? perm[i] : nd - 1 - i) == (i < nd - 2 ? i : 2 * nd - 3 - i);
        oval *o = swap && n->out[0][0] ? onnx_val_find(x, n->out[0]) : NULL;
        if (o)
            o->swapped = X;
        return 0;
    }
    int li = onnx_emit1(x, n, NPU_OP_TRANSPOSE, 1, &X);
    return li < 0 || (cnt >= 0 && onnx_set_ints(x, li, "perm", cnt, perm)) ? -1 : 0;
}

int onnx_h_resize(ox *x, const onode *n)
{
    oval *X, *sc = NULL, *sz = NULL;
    bool upsample = !strcmp(n->op, "Upsample");
    double scales[NPU_MAX_DIMS];
    int64_t sizes[NPU_MAX_DIMS];
    int nsc = -1, nsz = -1;
    if (onnx_need_in(x, n, 0, &X, "X") || onnx_only_outputs(x, n, 1, "extra output"))
        return -1;
    if (onnx_attr(n, "axes"))
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "the axes attribute is not supported");
    if (strcmp(onnx_astr(n, "keep_aspect_ratio_policy", "stretch"), "stretch"))
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "keep_aspect_ratio_policy other than stretch");
    if (upsample && x->opset < 9) {
        const oattr *a = onnx_attr(n, "scales");
        if (!a || a->nfloats < 1 || a->nfloats > NPU_MAX_DIMS)
            return onnx_fmt_err(x, NPU_EFORMAT, "missing or bad attribute scales");
        nsc = (int)a->nfloats;
        memcpy(scales, a->floats, sizeof(double) * (size_t)nsc);
    } else {
        int si = upsample || x->opset < 11 ? 1 : 2;
        if (onnx_node_in(x, n, si, &sc) ||
            (!upsample && x->opset >= 11 && onnx_node_in(x, n, 3, &sz)))
            return -1;
        if (sc && sc->kind == VK_CONST && sc->shape_known && onnx_prod(sc->ndim, sc->dim) == 0)
            sc = NULL; /* an empty scales tensor means "use sizes" */
        if (sc) {
            if (onnx_need_value(x, sc, "scales"))
                return -1;
            if (sc->nval < 1 || sc->nval > NPU_MAX_DIMS)
                return onnx_fmt_err(x, NPU_EINVAL, "scales has %ld values", sc->nval);
            nsc = (int)sc->nval;
            memcpy(scales, sc->fv, sizeof(double) * (size_t)nsc);
        } else if (sz) {
            if (onnx_need_value(x, sz, "sizes"))
                return -1;
            if (sz->nval < 1 || sz->nval > NPU_MAX_DIMS)
                return onnx_fmt_err(x, NPU_EINVAL, "sizes has %ld values", sz->nval);
            nsz = (int)sz->nval;
            memcpy(sizes, sz->iv, sizeof(int64_t) * (size_t)nsz);
        } else {
            return onnx_fmt_err(x, NPU_EFORMAT, "neither scales nor sizes is given");
        }
    }
    const char *mode = onnx_astr(n, "mode", "nearest");
    const char *m = !strcmp(mode, "nearest")                                 ? "nearest"
                    : (!strcmp(mode, "linear") || !strcmp(mode, "bilinear")) ? "linear"
                    : !strcmp(mode, "cubic")                                 ? "cubic"
                                                                             : NULL;
    if (!m)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "mode '%s' is not supported", mode);
    int nd;
    int64_t dim[NPU_MAX_DIMS], out[NPU_MAX_DIMS];
    if (onnx_need_shape(x, X, &nd, dim, "input"))
        return -1;
    int cntv = nsc >= 0 ? nsc : nsz;
    if (cntv != nd)
        return onnx_fmt_err(x, NPU_EINVAL, "%d scales/sizes for a rank-%d input", cntv, nd);
    if (nd < 3)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "resizing a rank-%d tensor is not modelled", nd);
    for (int i = 0; i < nd; i++) {
        double v = nsc >= 0 ? floor((double)dim[i] * scales[i]) : (double)sizes[i];
        if (!(v >= 1) || v > 2147483647.0)
            return onnx_fmt_err(x, NPU_EINVAL, "resized dimension %d would be %g", i, v);
        out[i] = (int64_t)v;
        if (i < 2 && out[i] != dim[i])
            return onnx_fmt_err(x, NPU_EUNSUPPORTED,
                                "resizing the batch or channel axis is not "
                                "modelled");
    }
    int li = onnx_emit1(x, n, NPU_OP_RESIZE, 1, &X);
    return li < 0 || onnx_set_ints(x, li, "size", nd - 2, out + 2) || onnx_set_str(x, li, "mode", m)
               ? -1
               : 0;
}

int onnx_h_pad(ox *x, const onode *n)
{
    oval *X, *cv = NULL;
    int64_t pads[2 * NPU_MAX_DIMS + 1];
    long cnt;
    bool old = x->opset < 11;
    if (onnx_need_in(x, n, 0, &X, "data") ||
        onnx_int_list(x, n, old ? (x->opset < 2 ? "paddings" : "pads") : NULL, old ? -1 : 1, pads,
                      2 * NPU_MAX_DIMS, &cnt, "pads"))
        return -1;
    if (cnt < 0)
        return onnx_fmt_err(x, NPU_EFORMAT, "missing pads");
    if (!old && n->nin > 3 && n->in[3][0])
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "the axes input of Pad is not supported");
    const char *mode = onnx_astr(n, "mode", "constant");
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "mode '%s' is not supported", mode);
    double value = old ? onnx_afloat(n, "value", 0) : 0;
    if (!old && onnx_node_in(x, n, 2, &cv))
        return -1;
    if (cv && onnx_has_value(x, cv) && cv->nval == 1)
        value = cv->fv[0];
    int li = onnx_emit1(x, n, NPU_OP_PAD, 1, &X);
    if (li < 0 || onnx_set_ints(x, li, "pads", cnt, pads) || onnx_set_str(x, li, "mode", mode))
        return -1;
    return value != 0 && isfinite(value) ? onnx_set_float(x, li, "value", value) : 0;
}

int onnx_h_gather(ox *x, const onode *n)
{
    oval *D, *I;
    if (onnx_need_in(x, n, 0, &D, "data") || onnx_need_in(x, n, 1, &I, "indices"))
        return -1;
    int64_t axis = onnx_aint(n, "axis", 0);
    if (onnx_has_value(x, D) && onnx_has_value(x, I)) {
        int64_t ax;
        if (onnx_norm_axis(axis, D->ndim, &ax))
            return onnx_fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
        return onnx_fold_gather(x, n, D, I, ax);
    }
    oval *ins[2] = {D, I};
    int li = onnx_emit1(x, n, NPU_OP_GATHER, 2, ins);
    return li < 0 || onnx_set_int(x, li, "axis", axis) ? -1 : 0;
}

int onnx_h_cast(ox *x, const onode *n, int kind)
{
    oval *X;
    if (onnx_need_in(x, n, 0, &X, "input") || onnx_only_outputs(x, n, 1, "extra output"))
        return -1;
    int to;
    if (kind == K_CAST) {
        if (!onnx_attr(n, "to"))
            return onnx_fmt_err(x, NPU_EFORMAT, "missing attribute to");
        to = (int)onnx_aint(n, "to", 0);
    } else if (kind == K_QUANT) {
        oval *zp;
        if (onnx_node_in(x, n, 2, &zp))
            return -1;
        to = zp ? zp->dt : (int)onnx_aint(n, "output_dtype", OT_UINT8);
        if (!to)
            to = OT_UINT8;
    } else {
        oval *scale;
        if (onnx_node_in(x, n, 1, &scale))
            return -1;
        to = scale && scale->dt ? scale->dt : OT_FLOAT;
    }
    if (onnx_ot_to_npu(to) < 0)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "converts to %s, which npusim does not model",
                            onnx_ot_name(to));
    if (X->kind == VK_CONST) { /* weights: quantized/dequantized/cast offline */
        int nd;
        int64_t dim[NPU_MAX_DIMS];
        if (onnx_need_shape(x, X, &nd, dim, "input"))
            return -1;
        bool hv = kind == K_CAST && onnx_has_value(x, X);
        if (hv) {
            int64_t *ri = onnx_xalloc(x, (size_t)X->nval, sizeof *ri);
            double *rf = onnx_xalloc(x, (size_t)X->nval, sizeof *rf);
            if (!ri || !rf)
                return -1;
            for (long i = 0; i < X->nval; i++) {
                ri[i] = to == OT_BOOL          ? (X->fv[i] != 0)
                        : onnx_ot_is_float(to) ? onnx_d2i(X->fv[i])
                                               : X->iv[i];
                rf[i] = onnx_ot_is_float(to) ? X->fv[i] : (double)ri[i];
                if (!onnx_ot_is_float(to) && onnx_ot_is_float(X->dt))
                    ri[i] = onnx_d2i(X->fv[i]), rf[i] = (double)ri[i];
            }
            return onnx_set_const(x, n, 0, to, nd, dim, X->nval, ri, rf);
        }
        return onnx_set_const(x, n, 0, to, nd, dim, 0, NULL, NULL);
    }
    npu_op op = kind == K_CAST    ? NPU_OP_CAST
                : kind == K_QUANT ? NPU_OP_QUANTIZE
                                  : NPU_OP_DEQUANTIZE;
    int li = onnx_emit1(x, n, op, 1, &X);
    if (li < 0 || onnx_set_str(x, li, "to", npu_dtype_name(onnx_npu_dt_or_fp32(to))))
        return -1;
    if (kind != K_CAST && onnx_attr(n, "axis") &&
        onnx_set_int(x, li, "axis", onnx_aint(n, "axis", 1)))
        return -1;
    return 0;
}

/* ONNX Reduce* operator ↔ the IR reduce layer's kind= (the writer maps back through it) */
static const char *const reduce_kinds[][2] = {
    {"ReduceMean", "mean"}, {"ReduceSum", "sum"}, {"ReduceMax", "max"}, {"ReduceMin", "min"},
    {"ReduceProd", "prod"}, {"ReduceL1", "l1"},   {"ReduceL2", "l2"}};

const char *npu_onnx_reduce_op(const char *kind)
{
    for (size_t i = 0; i < sizeof reduce_kinds / sizeof reduce_kinds[0]; i++)
        if (!strcmp(kind, reduce_kinds[i][1]))
            return reduce_kinds[i][0];
    return NULL;
}

int onnx_h_reduce(ox *x, const onode *n)
{
    oval *X;
    int64_t axes[NPU_MAX_DIMS + 1];
    long cnt;
    if (onnx_need_in(x, n, 0, &X, "data"))
        return -1;
    bool from_input = !strcmp(n->op, "ReduceSum") ? x->opset >= 13 : x->opset >= 18;
    if (onnx_int_list(x, n, from_input ? NULL : "axes", from_input ? 1 : -1, axes, NPU_MAX_DIMS,
                      &cnt, "axes"))
        return -1;
    if (cnt <= 0 && onnx_aint(n, "noop_with_empty_axes", 0))
        return onnx_emit1(x, n, NPU_OP_IDENTITY, 1, &X) < 0 ? -1 : 0;
    const char *kind = "mean";
    for (size_t i = 0; i < sizeof reduce_kinds / sizeof reduce_kinds[0]; i++)
        if (!strcmp(n->op, reduce_kinds[i][0]))
            kind = reduce_kinds[i][1];
    int li = onnx_emit1(x, n, NPU_OP_REDUCE, 1, &X);
    if (li < 0 || onnx_set_str(x, li, "kind", kind) ||
        onnx_set_int(x, li, "keep", onnx_aint(n, "keepdims", 1) != 0))
        return -1;
    return cnt > 0 ? onnx_set_ints(x, li, "axes", cnt, axes) : 0;
}

int onnx_h_constant(ox *x, const onode *n)
{
    oval *o;
    if (n->nattr < 1)
        return onnx_fmt_err(x, NPU_EFORMAT, "no value attribute");
    const oattr *a = &n->attr[0];
    for (int i = 0; i < n->nattr; i++)
        if (strcmp(n->attr[i].name, "doc_string"))
            a = &n->attr[i];
    if (!strcmp(a->name, "value")) {
        if (!a->has_t)
            return onnx_fmt_err(x, NPU_EFORMAT, "attribute value holds no tensor");
        if (onnx_node_out(x, n, 0, &o))
            return -1;
        if (!o)
            return 0;
        o->kind = VK_CONST;
        o->tp = &a->t;
        o->dt = a->t.dt;
        if (a->t.ndim < 0)
            return onnx_fmt_err(x, NPU_EUNSUPPORTED, "constant of rank > %d", NPU_MAX_DIMS);
        o->shape_known = true;
        o->ndim = a->t.ndim;
        memcpy(o->dim, a->t.dim, sizeof o->dim);
        return 0;
    }
    int64_t one = 1;
    if (!strcmp(a->name, "value_float")) {
        int64_t q = onnx_d2i(a->f);
        return onnx_set_const(x, n, 0, OT_FLOAT, 0, &one, 1, &q, &a->f);
    }
    if (!strcmp(a->name, "value_int")) {
        double f = (double)a->i;
        return onnx_set_const(x, n, 0, OT_INT64, 0, &one, 1, &a->i, &f);
    }
    if (!strcmp(a->name, "value_ints") || !strcmp(a->name, "value_floats")) {
        bool fl = a->name[7] == 'f';
        long c = fl ? a->nfloats : a->nints;
        int64_t *ri = onnx_xalloc(x, (size_t)c, sizeof *ri);
        double *rf = onnx_xalloc(x, (size_t)c, sizeof *rf);
        if (!ri || !rf)
            return -1;
        for (long i = 0; i < c; i++) {
            rf[i] = fl ? a->floats[i] : (double)a->ints[i];
            ri[i] = fl ? onnx_d2i(a->floats[i]) : a->ints[i];
        }
        int64_t d = c;
        return onnx_set_const(x, n, 0, fl ? OT_FLOAT : OT_INT64, 1, &d, c, ri, rf);
    }
    return onnx_fmt_err(x, NPU_EUNSUPPORTED, "constant attribute '%s' is not supported", a->name);
}

int onnx_h_shape(ox *x, const onode *n, bool size)
{
    oval *X;
    int nd;
    int64_t dim[NPU_MAX_DIMS];
    if (onnx_need_in(x, n, 0, &X, "data") || onnx_need_shape(x, X, &nd, dim, "input"))
        return -1;
    if (size) {
        int64_t e = onnx_prod(nd, dim), one = 1;
        if (e < 0)
            return onnx_fmt_err(x, NPU_EINVAL, "element count overflows");
        double f = (double)e;
        return onnx_set_const(x, n, 0, OT_INT64, 0, &one, 1, &e, &f);
    }
    int64_t st = onnx_aint(n, "start", 0), en = onnx_aint(n, "end", nd);
    st = st < 0 ? st + nd : st;
    en = en < 0 ? en + nd : en;
    st = st < 0 ? 0 : st > nd ? nd : st;
    en = en < 0 ? 0 : en > nd ? nd : en;
    int64_t c = en > st ? en - st : 0;
    double f[NPU_MAX_DIMS];
    for (int64_t i = 0; i < c; i++)
        f[i] = (double)dim[st + i];
    return onnx_set_const(x, n, 0, OT_INT64, 1, &c, (long)c, dim + st, f);
}

int onnx_h_const_of_shape(ox *x, const onode *n)
{
    oval *S;
    if (onnx_need_in(x, n, 0, &S, "input") || onnx_need_value(x, S, "shape"))
        return -1;
    if (S->nval > NPU_MAX_DIMS)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "rank %ld", S->nval);
    int dt = OT_FLOAT;
    double fill = 0;
    const oattr *a = onnx_attr(n, "value");
    if (a && a->has_t) {
        oval tmp = {0};
        tmp.kind = VK_CONST;
        tmp.tp = &a->t;
        tmp.name = "value";
        dt = a->t.dt;
        if (onnx_val_value(x, &tmp) > 0 && tmp.nval == 1)
            fill = tmp.fv[0];
    }
    int64_t cnt = onnx_prod((int)S->nval, S->iv);
    if (cnt < 0)
        return onnx_fmt_err(x, NPU_EINVAL, "negative or overflowing shape");
    if (cnt > ONNX_VALUE_CAP)
        return onnx_set_const(x, n, 0, dt, (int)S->nval, S->iv, 0, NULL, NULL);
    int64_t *ri = onnx_xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = onnx_xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    for (int64_t i = 0; i < cnt; i++)
        rf[i] = fill, ri[i] = onnx_d2i(fill);
    return onnx_set_const(x, n, 0, dt, (int)S->nval, S->iv, (long)cnt, ri, rf);
}

int onnx_h_range(ox *x, const onode *n)
{
    oval *a, *b, *c;
    if (onnx_need_in(x, n, 0, &a, "start") || onnx_need_in(x, n, 1, &b, "limit") ||
        onnx_need_in(x, n, 2, &c, "delta") || onnx_need_value(x, a, "start") ||
        onnx_need_value(x, b, "limit") || onnx_need_value(x, c, "delta"))
        return -1;
    if (a->nval != 1 || b->nval != 1 || c->nval != 1 || c->fv[0] == 0)
        return onnx_fmt_err(x, NPU_EINVAL,
                            "start, limit and delta must be scalars, delta non-zero");
    double cntf = ceil((b->fv[0] - a->fv[0]) / c->fv[0]);
    int64_t cnt = cntf > 0 ? (int64_t)fmin(cntf, 1e15) : 0;
    if (cnt > ONNX_VALUE_CAP)
        return onnx_set_const(x, n, 0, a->dt, 1, &cnt, 0, NULL, NULL);
    int64_t *ri = onnx_xalloc(x, (size_t)cnt, sizeof *ri);
    double *rf = onnx_xalloc(x, (size_t)cnt, sizeof *rf);
    if (!ri || !rf)
        return -1;
    for (int64_t i = 0; i < cnt; i++) {
        rf[i] = a->fv[0] + (double)i * c->fv[0];
        ri[i] = onnx_ot_is_float(a->dt)
                    ? onnx_d2i(rf[i])
                    : (int64_t)((uint64_t)a->iv[0] + (uint64_t)i * (uint64_t)c->iv[0]);
    }
    return onnx_set_const(x, n, 0, a->dt, 1, &cnt, (long)cnt, ri, rf);
}

int onnx_h_simple(ox *x, const onode *n, const opdef *od)
{
    oval *X;
    if (onnx_need_in(x, n, 0, &X, "input"))
        return -1;
    switch (od->kind) {
    case K_MATMUL: {
        oval *ins[2];
        ins[0] = X;
        if (onnx_need_in(x, n, 1, &ins[1], "B") || onnx_only_outputs(x, n, 1, "extra output"))
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
            if (onnx_need_shape(x, ins[1], &nd, bd, "B"))
                return -1;
            if (nd == 2) {
                int li = onnx_emit1(x, n, NPU_OP_GEMM, 1, ins);
                return li < 0 || onnx_set_int(x, li, "out", bd[1]) ||
                               onnx_set_int(x, li, "bias", 0) ||
                               onnx_expect_dim(x, li, -1, bd[0], ins[1]->name)
                           ? -1
                           : 0;
            }
        }
        int li = onnx_emit1(x, n, NPU_OP_MATMUL, 2, ins);
        return li < 0 || (w && ins[1] == w && onnx_set_int(x, li, "transb", 1)) ? -1 : 0;
    }
    case K_BN:
        if (onnx_only_outputs(x, n, 1, "training-mode statistics"))
            return -1;
        if (onnx_aint(n, "training_mode", 0))
            return onnx_fmt_err(x, NPU_EUNSUPPORTED, "training_mode=1 is not supported");
        {
            int li = onnx_emit1(x, n, NPU_OP_BATCHNORM, 1, &X);
            return li < 0 || onnx_set_float(x, li, "eps", onnx_afloat(n, "epsilon", 1e-5)) ? -1 : 0;
        }
    case K_SOFTMAX: {
        int li = onnx_emit1(x, n, NPU_OP_SOFTMAX, 1, &X);
        return li < 0 || onnx_set_int(x, li, "axis", onnx_aint(n, "axis", x->opset < 13 ? 1 : -1))
                   ? -1
                   : 0;
    }
    case K_LN: {
        oval *sc, *b;
        if (onnx_node_in(x, n, 1, &sc) || onnx_node_in(x, n, 2, &b))
            return -1;
        int64_t axis = onnx_aint(n, "axis", -1);
        int li = onnx_emit1(x, n, NPU_OP_LAYERNORM, 1, &X);
        if (li < 0 || onnx_set_int(x, li, "axis", axis) ||
            onnx_set_float(x, li, "eps", onnx_afloat(n, "epsilon", 1e-5)) ||
            (!sc && !b && onnx_set_int(x, li, "affine", 0)))
            return -1;
        /* optional Mean / InvStdDev outputs (training): the statistics as reductions */
        for (int k = 1; k < n->nout && k < 3; k++) {
            if (!n->out[k][0])
                continue;
            int nd;
            int64_t dim[NPU_MAX_DIMS], ax, axes[NPU_MAX_DIMS];
            if (onnx_need_shape(x, X, &nd, dim, "input"))
                return -1;
            if (onnx_norm_axis(axis, nd, &ax))
                return onnx_fmt_err(x, NPU_EINVAL, "axis %lld out of range", (long long)axis);
            for (int64_t i = ax; i < nd; i++)
                axes[i - ax] = i;
            int lr = onnx_emit(x, n, NPU_OP_REDUCE, k == 1 ? "mean" : "invstd", 1, &X, 1);
            if (lr < 0 || onnx_set_str(x, lr, "kind", "mean") || onnx_set_int(x, lr, "keep", 1) ||
                onnx_set_ints(x, lr, "axes", nd - ax, axes) || onnx_bind(x, n, k, lr, 0))
                return -1;
        }
        return onnx_only_outputs(x, n, 3, "extra output");
    }
    case K_PRELU: {
        oval *sl;
        if (onnx_need_in(x, n, 1, &sl, "slope"))
            return -1;
        int nd;
        int64_t dim[NPU_MAX_DIMS];
        if (onnx_need_shape(x, sl, &nd, dim, "slope"))
            return -1;
        int64_t cnt = onnx_prod(nd, dim);
        if (cnt < 1)
            return onnx_fmt_err(x, NPU_EINVAL, "slope '%s' is empty", sl->name);
        if (sl->kind != VK_CONST && sl->kind != VK_INPUT) { /* computed slope: binary op */
            oval *ins[2] = {X, sl};
            return onnx_emit1(x, n, NPU_OP_PRELU, 2, ins) < 0 ? -1 : 0;
        }
        int li = onnx_emit1(x, n, NPU_OP_PRELU, 1, &X);
        return li < 0 || onnx_set_int(x, li, "slopes", cnt) ? -1 : 0;
    }
    case K_LEAKY: {
        int li = onnx_emit1(x, n, NPU_OP_LEAKY, 1, &X);
        return li < 0 || onnx_set_float(x, li, "alpha", onnx_afloat(n, "alpha", 0.01)) ? -1 : 0;
    }
    case K_HSIG: {
        int li = onnx_emit1(x, n, NPU_OP_HARDSIGMOID, 1, &X);
        return li < 0 || onnx_set_float(x, li, "alpha", onnx_afloat(n, "alpha", 0.2)) ||
                       onnx_set_float(x, li, "beta", onnx_afloat(n, "beta", 0.5))
                   ? -1
                   : 0;
    }
    case K_LRN: { /* size is required in ONNX; -1 lets the graph report it missing */
        /* the IR's key table types bias= as integers (conv bias=0|1), so an integral LRN bias
         * (ONNX default 1.0) is passed as an integer; npu_layer_float reads it back exactly */
        double bias = onnx_afloat(n, "bias", 1.0);
        if (!(bias == floor(bias)) || fabs(bias) > 1e15)
            return onnx_fmt_err(x, NPU_EUNSUPPORTED,
                                "LRN bias %g: only integral biases can be "
                                "represented (the IR's bias= attribute holds integers)",
                                bias);
        int li = onnx_emit1(x, n, NPU_OP_LRN, 1, &X);
        return li < 0 || onnx_set_int(x, li, "size", onnx_aint(n, "size", -1)) ||
                       onnx_set_float(x, li, "alpha", onnx_afloat(n, "alpha", 1e-4)) ||
                       onnx_set_float(x, li, "beta", onnx_afloat(n, "beta", 0.75)) ||
                       onnx_set_int(x, li, "bias", (int64_t)bias)
                   ? -1
                   : 0;
    }
    case K_GELU:
    case K_GPOOL:
    case K_UNARY:
        if (onnx_only_outputs(x, n, 1, "extra output"))
            return -1;
        return onnx_emit1(x, n, od->op, 1, &X) < 0 ? -1 : 0;
    default:
        return onnx_fmt_err(x, NPU_EINVAL, "internal: no handler");
    }
}

/* DepthToSpace (DCR or CRD) and SpaceToDepth are exactly a reshape to rank 6, a transpose and a
 * reshape back (ONNX operator documentation); the transpose is the data movement. */
int onnx_h_depth_to_space(ox *x, const onode *n)
{
    oval *X;
    int nd;
    int64_t d[NPU_MAX_DIMS];
    if (onnx_need_in(x, n, 0, &X, "input") || onnx_only_outputs(x, n, 1, "extra output") ||
        onnx_need_shape(x, X, &nd, d, "input"))
        return -1;
    int64_t b = onnx_aint(n, "blocksize", 0);
    if (nd != 4)
        return onnx_fmt_err(x, NPU_EINVAL, "input has rank %d, expected 4", nd);
    if (b < 1 || b > 4096)
        return onnx_fmt_err(x, NPU_EINVAL, "blocksize %lld out of range", (long long)b);
    bool d2s = !strcmp(n->op, "DepthToSpace");
    bool crd = d2s && !strcmp(onnx_astr(n, "mode", "DCR"), "CRD");
    int64_t N = d[0], C = d[1], H = d[2], W = d[3], s1[6], s2[4], perm[6];
    if (d2s) {
        if (C % (b * b))
            return onnx_fmt_err(x, NPU_EINVAL,
                                "%lld channels are not divisible by blocksize^2 %lld", (long long)C,
                                (long long)(b * b));
        int64_t c = C / (b * b);
        int64_t dcr[6] = {N, b, b, c, H, W}, crd_[6] = {N, c, b, b, H, W};
        int64_t pd[6] = {0, 3, 4, 1, 5, 2}, pc[6] = {0, 1, 4, 2, 5, 3};
        memcpy(s1, crd ? crd_ : dcr, sizeof s1);
        memcpy(perm, crd ? pc : pd, sizeof perm);
        s2[0] = N, s2[1] = c, s2[2] = H * b, s2[3] = W * b;
    } else {
        if (H % b || W % b)
            return onnx_fmt_err(x, NPU_EINVAL, "%lldx%lld is not divisible by blocksize %lld",
                                (long long)H, (long long)W, (long long)b);
        int64_t sd[6] = {N, C, H / b, b, W / b, b}, ps[6] = {0, 3, 5, 1, 2, 4};
        memcpy(s1, sd, sizeof s1);
        memcpy(perm, ps, sizeof perm);
        s2[0] = N, s2[1] = C * b * b, s2[2] = H / b, s2[3] = W / b;
    }
    int l1 = onnx_emit(x, n, NPU_OP_RESHAPE, "split", 1, &X, 1);
    if (l1 < 0 || onnx_set_ints(x, l1, "shape", 6, s1))
        return -1;
    oval t1 = {0}, t2 = {0};
    t1.name = "split";
    t1.kind = VK_ACT;
    t1.ti = x->g->l[l1].out[0];
    oval *p1 = &t1;
    int l2 = onnx_emit(x, n, NPU_OP_TRANSPOSE, NULL, 1, &p1, 1);
    if (l2 < 0 || onnx_set_ints(x, l2, "perm", 6, perm))
        return -1;
    t2.name = "moved";
    t2.kind = VK_ACT;
    t2.ti = x->g->l[l2].out[0];
    oval *p2 = &t2;
    int l3 = onnx_emit(x, n, NPU_OP_RESHAPE, "merge", 1, &p2, 1);
    if (l3 < 0 || onnx_set_ints(x, l3, "shape", 4, s2))
        return -1;
    return onnx_bind(x, n, 0, l3, 0);
}

int onnx_h_fold(ox *x, const onode *n)
{
    oval *in[3];
    int m = 0;
    bool all = n->nout == 1;
    for (int i = 0; i < n->nin && i < 3; i++) {
        if (onnx_node_in(x, n, i, &in[m]))
            return -1;
        if (in[m]) {
            all = all && onnx_has_value(x, in[m]);
            m++;
        }
    }
    int want = !strcmp(n->op, "Where")                                                        ? 3
               : (!strcmp(n->op, "Not") || !strcmp(n->op, "Floor") || !strcmp(n->op, "Ceil")) ? 1
                                                                                              : 2;
    if (m != want || n->nin != want)
        return onnx_fmt_err(x, NPU_EFORMAT, "expects %d inputs, has %d", want, m);
    if (all)
        return onnx_fold_misc(x, n, m, in);
    if (x->allow)
        return onnx_host_layer(x, n);
    return onnx_fmt_err(x, NPU_EUNSUPPORTED,
                        "%s is only supported on constants known at import time "
                        "(shape computations); here it works on run-time data",
                        n->op);
}
