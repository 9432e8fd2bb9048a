/* dtype.c — the dtype policy: which dtype each layer runs in, the conversions between them, and
 * mixed weight precision (prefix npu_pass_dtype / npu_pass_weight_dtype / npu_dtype_; graph.h).
 *
 * Choices (docs/formats.md has them for users):
 *  - dtype: MAC and element-wise ops run in `want` when no choose function is given; other ops
 *    follow the dtype of their first activation input (`want` when they read only constants,
 *    like an embedding gather). Constants (weights, tables) take the dtype of the
 *    layer reading them (weights are converted offline, not at run time). A converted tensor
 *    is shared by every later consumer that needs the same dtype. A quantize whose input is
 *    no longer float after the conversion (or a dequantize whose input is no longer an
 *    integer) becomes a cast, so that the graph stays valid; a model may treat a cast to the
 *    same dtype as a copy. A tensor that is itself the output of a conversion (an ONNX
 *    QuantizeLinear/DequantizeLinear pair) is not converted back: the reader takes the
 *    conversion's source directly when it has the right dtype, or is converted from the
 *    source when both are integers (uint8 → int8 is a cast) or both floats; a conversion left
 *    without readers is marked dead (npu_graph_compact removes it), and so is a conversion to
 *    the dtype its input already has (unless it is a graph output).
 */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"

/* Name for an inserted conversion: "<consumer>/q<k>", made unique with "_<n>". */
static int conv_name(const npu_graph *g, const char *consumer, int k, char *buf, size_t n)
{
    for (int u = 0; u < 1000; u++) {
        if (u == 0)
            snprintf(buf, n, "%s/q%d", consumer, k);
        else
            snprintf(buf, n, "%s/q%d_%d", consumer, k, u);
        if (npu_graph_find_layer(g, buf) < 0 && npu_graph_find_tensor(g, buf) < 0)
            return 0;
    }
    return -1;
}

/* Appends v to a growable int array. */
static int push(int **a, int *n, size_t *cap, int v)
{
    if (npu_grow((void **)a, cap, (size_t)*n + 1, sizeof **a))
        return NPU_ENOMEM;
    (*a)[(*n)++] = v;
    return 0;
}

/* True when every live layer among the first n0 that reads tensor ti is a conv (the image
 * feeds only convs: the first conv and, in a ResNet block, a projection shortcut). */
static bool only_conv_readers(const npu_graph *g, int n0, int ti)
{
    for (int i = 0; i < n0; i++) {
        const npu_layer *l = &g->l[i];
        if (l->flags & NPU_LF_DEAD)
            continue;
        for (int k = 0; k < l->nin; k++)
            if (l->in[k] == ti && npu_op_class(l->op) != NPU_OPC_CONV)
                return false;
    }
    return true;
}

int npu_pass_dtype(npu_graph *g, npu_dtype want, npu_dtype_choose_fn choose, void *ud, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    if ((unsigned)want >= NPU_DT_COUNT)
        return npu_err_set(err, NPU_EINVAL, "%s: dtype policy: bad dtype %d", npu_graph_label(g),
                           (int)want);
    int rc = npu_graph_infer(g, err); /* free on a clone of a prepared graph */
    if (rc)
        return rc;
    npu_graph_touch(g);
    int n0 = g->nl, nt0 = g->nt;
    size_t csz = (size_t)nt0 * NPU_DT_COUNT;
    int *cache = malloc(sizeof(int) * (csz + 1));
    unsigned char *seen = calloc((size_t)nt0 + 1, 1); /* tensors some layer read already */
    int *bypassed = NULL, nbypassed = 0;
    size_t cap_bypassed = 0;
    size_t cap_order = (size_t)n0 * 2 + 16;
    int *order = malloc(sizeof(int) * cap_order);
    int norder = 0;
    if (!cache || !order || !seen) {
        free(cache);
        free(order);
        free(seen);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < csz; i++)
        cache[i] = -1;
    int *repl = npu_rw_new_repl(g);
    if (!repl) {
        free(cache);
        free(order);
        free(seen);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    for (int li = 0; li < n0 && !rc; li++) {
        npu_layer *l = &g->l[li];
        npu_opclass cls = npu_op_class(l->op);
        if (!(l->flags & NPU_LF_DEAD))
            npu_rw_resolve_inputs(g, l, repl);
        npu_dtype to;
        if (!(l->flags & NPU_LF_DEAD) && cls == NPU_OPC_QUANT && l->nin >= 1 && l->nout == 1 &&
            npu_dtype_parse(npu_layer_str_k(l, NPU_K_TO, ""), &to) == 0 && to == g->t[l->in[0]].dtype &&
            !npu_graph_is_output(g, l->out[0])) {
            /* a conversion to the dtype its input already has: readers take the input */
            l->flags |= NPU_LF_DEAD;
            repl[l->out[0]] = l->in[0];
        }
        if (!(l->flags & NPU_LF_DEAD) && cls == NPU_OPC_QUANT && l->nin >= 1) {
            /* a quantize whose input is no longer float (or a dequantize whose input is no
             * longer an integer) after the conversion: it becomes a plain cast */
            bool fin = npu_dtype_is_float(g->t[l->in[0]].dtype);
            if ((l->op == NPU_OP_QUANTIZE && !fin) || (l->op == NPU_OP_DEQUANTIZE && fin))
                l->op = NPU_OP_CAST;
        }
        if ((l->flags & NPU_LF_DEAD) || cls == NPU_OPC_QUANT || cls == NPU_OPC_VIEW || l->nin < 1) {
            for (int k = 0; !(l->flags & NPU_LF_DEAD) && k < l->nin; k++)
                if (l->in[k] >= 0 && l->in[k] < nt0)
                    seen[l->in[k]] = 1; /* read as it is */
            if (!(l->flags & NPU_LF_DEAD) && cls == NPU_OPC_VIEW)
                for (int k = 0; k < l->nout; k++)
                    g->t[l->out[k]].dtype = g->t[l->in[0]].dtype;
            if (push(&order, &norder, &cap_order, li)) {
                rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
                break;
            }
            continue;
        }
        bool explicit_dt = (l->flags & NPU_LF_DTYPE) != 0;
        npu_dtype base = explicit_dt ? l->dtype : want, d;
        bool decided = true;
        if (choose)
            d = choose(ud, g, li, base);
        else if (explicit_dt || cls == NPU_OPC_CONV || cls == NPU_OPC_GEMM ||
                 cls == NPU_OPC_ELTWISE)
            d = base;
        else {
            /* follow the first activation input (not a constant, not gather indices); a
             * layer reading only constants (an embedding lookup) runs in `want` */
            d = want;
            for (int k = 0; k < l->nin; k++) {
                const npu_tensor *t = &g->t[l->in[k]];
                if (t->kind != NPU_T_CONST && !(l->op == NPU_OP_GATHER && k == 1)) {
                    d = t->dtype;
                    break;
                }
            }
            decided = false;
        }
        if ((unsigned)d >= NPU_DT_COUNT) {
            rc = npu_err_set(err, NPU_EINVAL,
                             "%s: %s '%s': the dtype policy chose an invalid "
                             "dtype %d",
                             npu_graph_label(g), npu_op_name(l->op), l->name, (int)d);
            break;
        }
        for (int k = 0; k < g->l[li].nin && !rc; k++) {
            l = &g->l[li]; /* add_layer below may move the layer array */
            if (l->op == NPU_OP_GATHER && k == 1)
                continue; /* indices keep their integer type */
            int ti = l->in[k];
            npu_tensor *t = &g->t[ti];
            if (t->kind == NPU_T_CONST) {
                t->dtype = d;
                continue;
            }
            bool first = ti < nt0 && !seen[ti];
            if (ti < nt0)
                seen[ti] = 1;
            if (t->dtype == d)
                continue;
            /* a float graph input read only by convs, the first computing in an integer type
             * (an image into the first conv) arrives in that type: the runtimes quantize the
             * frame on its way in (RKNN takes uint8/int8 and folds mean/std into the first
             * conv, NVDLA's runtime hands the input over in the compute format), so no
             * conversion layer (docs/onnx.md, input conversions). Other inputs (an LLM's KV
             * cache, rope tables, mask) keep theirs: whether a runtime stores them in the
             * compute type is not established; so does an input that a float layer also reads
             * (a residual from the image: the float reader would need it converted back) */
            if (t->kind == NPU_T_INPUT && first && cls == NPU_OPC_CONV &&
                npu_dtype_is_float(t->dtype) && !npu_dtype_is_float(d) &&
                !npu_graph_is_output(g, ti) && only_conv_readers(g, n0, ti)) {
                t->dtype = d;
                continue;
            }
            /* t is itself a conversion (a QDQ pair from ONNX, an earlier policy): convert from
             * its source instead, or read the source directly when it already has dtype d */
            int pi = t->producer;
            if (pi >= 0 && pi < n0 && npu_op_class(g->l[pi].op) == NPU_OPC_QUANT &&
                g->l[pi].nin >= 1 && !(g->l[pi].flags & NPU_LF_DEAD)) {
                int src = g->l[pi].in[0];
                npu_dtype sd = g->t[src].dtype;
                if (sd == d || npu_dtype_is_float(sd) == npu_dtype_is_float(d)) {
                    if (push(&bypassed, &nbypassed, &cap_bypassed, pi)) {
                        rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
                        break;
                    }
                    ti = src;
                    t = &g->t[ti];
                    l->in[k] = ti;
                    if (sd == d)
                        continue;
                }
            }
            int *slot = ti < nt0 ? &cache[(size_t)ti * NPU_DT_COUNT + d] : NULL;
            if (slot && *slot >= 0) {
                l->in[k] = *slot;
                continue;
            }
            npu_op op = npu_dtype_is_float(t->dtype) && !npu_dtype_is_float(d)   ? NPU_OP_QUANTIZE
                        : !npu_dtype_is_float(t->dtype) && npu_dtype_is_float(d) ? NPU_OP_DEQUANTIZE
                                                                                 : NPU_OP_CAST;
            char name[512];
            if (conv_name(g, l->name, k, name, sizeof name)) {
                rc = npu_err_set(err, NPU_EINVAL, "%s: cannot name a conversion for '%s'",
                                 npu_graph_label(g), l->name);
                break;
            }
            const char *src = t->name;
            int line = l->line;
            int ci = npu_graph_add_layer(g, op, name, 1, &src, 1, err);
            if (ci < 0 || npu_layer_set_str(g, ci, "to", npu_dtype_name(d))) {
                rc = ci < 0 ? err ? err->code : NPU_ENOMEM
                            : npu_err_set(err, NPU_ENOMEM, "out of memory");
                break;
            }
            npu_layer *c = &g->l[ci];
            c->flags |= NPU_LF_INSERTED | NPU_LF_DTYPE;
            c->dtype = d;
            c->line = line;
            npu_tensor *ct = &g->t[c->out[0]], *st = &g->t[ti];
            ct->dtype = d;
            ct->ndim = st->ndim;
            memcpy(ct->dim, st->dim, sizeof ct->dim);
            ct->shape_known = st->shape_known;
            if (push(&order, &norder, &cap_order, ci)) {
                rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
                break;
            }
            if (slot)
                *slot = c->out[0];
            g->l[li].in[k] = c->out[0];
        }
        if (rc)
            break;
        l = &g->l[li];
        l->dtype = d;
        if (decided)
            l->flags |= NPU_LF_DTYPE;
        for (int k = 0; k < l->nout; k++)
            g->t[l->out[k]].dtype = d;
        if (push(&order, &norder, &cap_order, li))
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    /* conversions bypassed above that nobody reads any more are dead */
    if (!rc && nbypassed) {
        int *ncons;
        bool *is_out;
        rc = npu_rw_use_counts(g, &ncons, &is_out, err);
        for (int i = 0; !rc && i < nbypassed; i++) {
            npu_layer *p = &g->l[bypassed[i]];
            if (p->nout == 1 && ncons[p->out[0]] == 0 && !is_out[p->out[0]])
                p->flags |= NPU_LF_DEAD;
        }
        if (!rc) {
            free(ncons);
            free(is_out);
        }
    }
    if (!rc && norder != g->nl)
        rc = npu_err_set(err, NPU_ESIM, "%s: dtype pass lost track of layers", npu_graph_label(g));
    if (!rc) {
        npu_layer *nl = malloc(sizeof *nl * ((size_t)g->nl + 1));
        int *map = malloc(sizeof(int) * ((size_t)g->nl + 1));
        if (!nl || !map) {
            free(nl);
            free(map);
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        } else {
            for (int i = 0; i < norder; i++) {
                nl[i] = g->l[order[i]];
                map[order[i]] = i;
            }
            if (g->nl)
                memcpy(g->l, nl, sizeof *nl * (size_t)g->nl);
            for (int i = 0; i < g->nt; i++)
                if (g->t[i].producer >= 0)
                    g->t[i].producer = map[g->t[i].producer];
            free(nl);
            free(map);
        }
    }
    free(cache);
    free(seen);
    free(order);
    free(bypassed);
    free(repl);
    if (rc)
        return rc;
    return npu_graph_infer(g, err);
}

int npu_dtype_parse_mixed(const char *s, npu_dtype *act, npu_dtype *weight)
{
    static const struct {
        const char *name;
        npu_dtype w, a;
    } mixed[] = {{"w8a8", NPU_DT_INT8, NPU_DT_INT8},   {"w4a16", NPU_DT_INT4, NPU_DT_FP16},
                 {"w8a16", NPU_DT_INT8, NPU_DT_FP16},  {"w4a8", NPU_DT_INT4, NPU_DT_INT8},
                 {"a16w8", NPU_DT_INT8, NPU_DT_INT16}, {"a8w8", NPU_DT_INT8, NPU_DT_INT8}};
    for (size_t i = 0; s && i < sizeof mixed / sizeof mixed[0]; i++)
        if (strcmp(s, mixed[i].name) == 0) {
            *act = mixed[i].a;
            *weight = mixed[i].w;
            return 0;
        }
    if (!s || npu_dtype_parse(s, act) != 0)
        return -1;
    *weight = *act;
    return 0;
}

npu_dtype npu_layer_weight_dtype(const npu_graph *g, const npu_layer *l)
{
    npu_dtype w;
    if (npu_dtype_parse(npu_layer_str_k(l, NPU_K_WDTYPE, ""), &w) == 0)
        return w;
    for (int k = 1; k < l->nin; k++)
        if (l->in[k] >= 0 && l->in[k] < g->nt && g->t[l->in[k]].kind == NPU_T_CONST &&
            g->t[l->in[k]].ndim >= 2)
            return g->t[l->in[k]].dtype;
    return l->dtype;
}

int npu_pass_weight_dtype(npu_graph *g, npu_dtype w, npu_err *err)
{
    if (!g)
        return npu_err_set(err, NPU_EINVAL, "no graph");
    if ((unsigned)w >= NPU_DT_COUNT)
        return npu_err_set(err, NPU_EINVAL, "%s: weight dtype: bad dtype %d", npu_graph_label(g),
                           (int)w);
    npu_graph_touch(g);
    for (int li = 0; li < g->nl; li++) {
        const npu_layer *l = &g->l[li];
        npu_opclass cls = npu_op_class(l->op);
        if ((l->flags & NPU_LF_DEAD) || (cls != NPU_OPC_CONV && cls != NPU_OPC_GEMM))
            continue;
        bool act_b = l->op == NPU_OP_MATMUL; /* a matmul's weights, if any, are an input */
        for (int k = 0; k < l->nin; k++) {
            npu_tensor *t = &g->t[l->in[k]];
            if (t->kind == NPU_T_CONST && t->ndim >= 2) {
                t->dtype = w;
                act_b = false;
            }
        }
        /* weights implied by the layer (conv/gemm out=): the layer carries their dtype */
        if (!act_b && npu_layer_set_str(g, li, "wdtype", npu_dtype_name(w)))
            return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    return 0;
}
