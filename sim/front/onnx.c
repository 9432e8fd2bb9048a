/* onnx.c — ONNX model importer (prefix npu_onnx_; see "Files" below).
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
 *
 * Files (one importer, prefix onnx_ inside, declared in onnximp.h):
 *   onnx.c       this comment, host layers, the supported-op check, build() and the entry points;
 *   onnxparse.c  element types and the protobuf walk (parse_model);
 *   onnxfold.c   the value table, small constants, node helpers (emit, materialize), folding;
 *   onnxops.c    the operator table and the compute handlers (Conv, Gemm, pooling, binaries);
 *   onnxdata.c   data-movement, shape and constant handlers and the one-to-one ops.
 */
#include "onnximp.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int handle_node(ox *x, const onode *n, const opdef *od)
{
    switch (od->kind) {
    case K_CONV:
        return onnx_h_conv(x, n, false);
    case K_CONVT:
        return onnx_h_conv(x, n, true);
    case K_GEMM:
        return onnx_h_gemm(x, n);
    case K_POOL:
        return onnx_h_pool(x, n, od->op);
    case K_BIN:
    case K_VARIADIC:
        return onnx_h_binary(x, n, od);
    case K_CLIP:
        return onnx_h_clip(x, n);
    case K_CONCAT:
        return onnx_h_concat(x, n);
    case K_SPLIT:
        return onnx_h_split(x, n);
    case K_SLICE:
        return onnx_h_slice(x, n);
    case K_RESHAPE:
    case K_FLATTEN:
    case K_SQUEEZE:
    case K_UNSQUEEZE:
    case K_IDENTITY:
        return onnx_h_reshape_like(x, n, od);
    case K_TRANSPOSE:
        return onnx_h_transpose(x, n);
    case K_RESIZE:
        return onnx_h_resize(x, n);
    case K_PAD:
        return onnx_h_pad(x, n);
    case K_GATHER:
        return onnx_h_gather(x, n);
    case K_CAST:
    case K_QUANT:
    case K_DEQUANT:
        return onnx_h_cast(x, n, od->kind);
    case K_REDUCE:
        return onnx_h_reduce(x, n);
    case K_CONSTANT:
        return onnx_h_constant(x, n);
    case K_SHAPE:
        return onnx_h_shape(x, n, false);
    case K_SIZE:
        return onnx_h_shape(x, n, true);
    case K_COS:
        return onnx_h_const_of_shape(x, n);
    case K_RANGE:
        return onnx_h_range(x, n);
    case K_FOLD:
        return onnx_h_fold(x, n);
    case K_D2S:
        return onnx_h_depth_to_space(x, n);
    default:
        return onnx_h_simple(x, n, od);
    }
}

/* An operator npusim does not know, run on the host (--allow-unsupported). Output shapes come
 * from the model's value_info / graph outputs. */
int onnx_host_layer(ox *x, const onode *n)
{
    oval *ins[64];
    int m = 0;
    if (n->nin > 64)
        return onnx_fmt_err(x, NPU_EUNSUPPORTED, "%d inputs (at most 64 are supported)", n->nin);
    for (int i = 0; i < n->nin; i++) {
        oval *v;
        if (onnx_node_in(x, n, i, &v))
            return -1;
        if (v)
            ins[m++] = v;
    }
    int nout = n->nout;
    if (nout < 1)
        return onnx_fmt_err(x, NPU_EFORMAT, "no outputs");
    for (int k = 0; k < nout; k++) {
        oval *o = n->out[k][0] ? onnx_val_find(x, n->out[k]) : NULL;
        const ovi *vi = o ? o->vi : NULL;
        if (!n->out[k][0])
            continue;
        bool ok =
            vi && vi->is_tensor && vi->has_shape && vi->ndim >= 0 && onnx_ot_to_npu(vi->dt) >= 0;
        for (int i = 0; ok && i < vi->ndim; i++)
            ok = vi->dim[i] > 0;
        if (!ok)
            return onnx_fmt_err(x, NPU_EUNSUPPORTED,
                                "unsupported operator %s: output '%s' has no fixed shape in the "
                                "model's value_info, so it cannot run on the host either",
                                n->op, n->out[k]);
    }
    int li = onnx_emit(x, n, NPU_OP_IDENTITY, NULL, m, ins, nout);
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
        const ovi *vi = onnx_val_find(x, n->out[k])->vi;
        npu_tensor *t = &x->g->t[l->out[k]];
        t->ndim = vi->ndim;
        for (int i = 0; i < NPU_MAX_DIMS; i++)
            t->dim[i] = i < vi->ndim ? vi->dim[i] : 0;
        t->dtype = (npu_dtype)onnx_ot_to_npu(vi->dt);
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
        if (onnx_bind(x, n, k, li, k))
            return -1;
    }
    return 0;
}

/* One error that lists every unsupported operator with counts and node names. */
bool onnx_node_known(const ox *x, int i)
{
    return onnx_op_lookup(&x->nodes[i]) != NULL;
}

static int check_supported(ox *x)
{
    int bad = 0;
    for (int i = 0; i < x->nn; i++)
        if (!onnx_node_known(x, i))
            bad++;
    if (!bad || x->allow)
        return 0;
    npu_strbuf sb;
    npu_sb_init(&sb);
    int kinds = 0;
    for (int i = 0; i < x->nn; i++) {
        const onode *n = &x->nodes[i];
        if (onnx_node_known(x, i))
            continue;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = !onnx_node_known(x, j) && !strcmp(x->nodes[j].op, n->op) &&
                   !strcmp(x->nodes[j].domain, n->domain);
        if (seen)
            continue;
        int cnt = 0;
        for (int j = i; j < x->nn; j++)
            cnt += !onnx_node_known(x, j) && !strcmp(x->nodes[j].op, n->op) &&
                   !strcmp(x->nodes[j].domain, n->domain);
        npu_sb_printf(&sb, "%s%s%s%s x%d (node%s", kinds ? "; " : "", n->domain,
                      n->domain[0] ? ":" : "", n->op, cnt, cnt > 1 ? "s" : "");
        int shown = 0;
        for (int j = i; j < x->nn; j++) {
            const onode *m = &x->nodes[j];
            if (onnx_node_known(x, j) || strcmp(m->op, n->op) || strcmp(m->domain, n->domain))
                continue;
            if (shown == 3) {
                npu_sb_puts(&sb, ", ...");
                break;
            }
            npu_sb_printf(&sb, "%s %d '%s'", shown ? "," : "", j, onnx_node_base(x, m));
            shown++;
        }
        npu_sb_puts(&sb, ")");
        kinds++;
    }
    int rc = npu_err_set(x->err, NPU_EUNSUPPORTED,
                         "%s: %d unsupported operator%s (%d node%s; --allow-unsupported runs "
                         "them on the host): %s",
                         x->file, kinds, kinds > 1 ? "s" : "", bad, bad > 1 ? "s" : "",
                         sb.s ? sb.s : "");
    npu_sb_free(&sb);
    return rc;
}

/* A graph name that says only which exporter wrote the file (torch.onnx: "torch_jit",
 * "torch-jit-export", "main_graph"; tf2onnx: "tf2onnx"; many tools: "graph", "model") or none:
 * the file's base name then names the graph (issue 11), so tables and JSON say "resnet18". */
static bool generic_name(const char *name)
{
    static const char *const generic[] = {"torch_jit",  "torch-jit-export", "torch_jit_export",
                                          "main_graph", "tf2onnx",          "graph",
                                          "model",      "onnx_graph",       NULL};
    if (!name || !name[0])
        return true;
    for (int i = 0; generic[i]; i++)
        if (npu_streq_nocase(name, generic[i]))
            return true;
    return false;
}

static int build(ox *x)
{
    if (onnx_values_init(x) || check_supported(x))
        return -1;
    if (x->opset < 0)
        for (int i = 0; i < x->nn; i++)
            if (onnx_op_lookup(&x->nodes[i]))
                return npu_err_set(x->err, NPU_EFORMAT,
                                   "%s: node %d (%s) is in the default "
                                   "domain but the model imports no opset for it",
                                   x->file, i, x->nodes[i].op);
    x->g = npu_graph_new(generic_name(x->gname) ? NULL : x->gname);
    if (!x->g)
        return npu_err_set(x->err, NPU_ENOMEM, "%s: out of memory", x->file);
    x->g->file = npu_arena_strdup(&x->g->arena, x->file);
    if (generic_name(x->gname))
        x->g->name = npu_front_base_name(&x->g->arena, x->file);
    /* graph inputs that feed the network as data are created on first use, in input order
     * first so that the IR lists them like the model does */
    for (int i = 0; i < x->ninput; i++) {
        oval *v = onnx_val_find(x, x->inputs[i].name);
        if (v->kind != VK_INPUT)
            continue;
        bool data = false; /* used as data by at least one node outside weight positions */
        for (int j = 0; j < x->nn && !data; j++) {
            const onode *n = &x->nodes[j];
            const opdef *od = onnx_op_lookup(n);
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
        if (data && onnx_materialize(x, v) < 0)
            return -1;
    }
    for (int i = 0; i < x->nn; i++) {
        const onode *n = &x->nodes[i];
        const opdef *od = onnx_op_lookup(n);
        x->cur = i;
        if (n->nout < 1)
            return onnx_fmt_err(x, NPU_EFORMAT, "node has no outputs");
        int rc = od ? handle_node(x, n, od) : onnx_host_layer(x, n);
        if (rc)
            return -1;
    }
    x->cur = -1;
    if (onnx_check_dims(x))
        return -1;
    x->cur = -1;
    for (int i = 0; i < x->noutput; i++) {
        oval *v = onnx_val_find(x, x->outputs[i].name);
        if (!v || v->kind == VK_NONE)
            return npu_err_set(x->err, NPU_EFORMAT,
                               "%s: graph output '%s' is not produced by "
                               "any node",
                               x->file, x->outputs[i].name);
        int ti = onnx_materialize(x, v);
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

static npu_graph *read_mem(const char *name, const void *data, size_t len, bool allow_unsupported,
                           int64_t batch, npu_err *err)
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
    int rc = onnx_parse_model(&x);
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

npu_graph *npu_onnx_read_mem(const char *name, const void *data, size_t len, bool allow_unsupported,
                             npu_err *err)
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
    int fd =
        open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO: refused below, not waited on */
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
