/* infer.h — private to sim/core: what the shape-inference driver (infer.c) and the shape rules
 * of each op class (shape.c) share (prefix npu_infer_ / npu_shape_).
 *
 * The driver checks a layer against its row of the op table (input counts, constant inputs,
 * attribute keys and kinds), picks the output dtype, and calls the rule of the op's class with
 * the output shape preset to the first input's. The rule checks the attributes it reads,
 * writes the output shape and the layer's MAC and parameter counts into the context; the
 * driver then sets every output tensor (or the rule does, for ops whose outputs differ: split).
 */
#ifndef NPU_INFER_H
#define NPU_INFER_H

#include "graph.h"

#define NPU_DIM_MAX ((int64_t)INT32_MAX) /* largest dim                */
#define NPU_ELEM_MAX ((int64_t)1 << 48)  /* most elements in a tensor  */
#define NPU_NOUT_MAX 256                 /* most outputs of a layer    */
/* most layers of a graph (= a script builder's): a 44 MB .npg of 2 M layers took 1.7 GB and
 * 30 s before its run failed for memory; 2^18 runs in about 600 MB */
#define NPU_GRAPH_MAX_LAYERS (1 << 18)

typedef struct npu_shape {
    int ndim;
    int64_t d[NPU_MAX_DIMS];
} npu_shape;

/* One layer's inference. */
typedef struct npu_ictx {
    npu_graph *g;
    npu_layer *l;
    npu_err *err;
    const npu_tensor *x[4]; /* first inputs (NULL beyond nin) */
    npu_dtype dt;           /* output dtype                                               */
    int64_t macs, params;   /* set by the rule                                            */
    bool count_consts;      /* the rule counts constant inputs as learned parameters      */
    bool outs_set;          /* the rule set the output tensors itself                     */
} npu_ictx;

/* "file:line: op 'name': " + the message, as an NPU_EINVAL error. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int npu_infer_lerr(const npu_graph *g, const npu_layer *l, npu_err *err, const char *fmt, ...);
/* The count ints d joined by sep ("1x3x224x224" for dims, "1,-1" for a shape= list). */
void npu_infer_fmt_ints(char *buf, size_t n, int count, const int64_t *d, char sep);
/* Dims as "1x3x224x224", "scalar" for rank 0. */
void npu_infer_fmt_dims(char *buf, size_t n, int ndim, const int64_t *d);
/* Checked a*b for non-negative values; -1 on overflow of int64. */
int64_t npu_infer_cmul(int64_t a, int64_t b);
/* Sets output k of the layer to shape s and dtype dt (dims checked against the limits). */
int npu_infer_set_out(npu_ictx *c, int k, const npu_shape *s, npu_dtype dt);
/* M and K of a gemm's input as the layer flattens it (graph.h, gemm). */
void npu_shape_gemm_mk(const npu_tensor *x, int64_t *m, int64_t *k);

/* The shape rule of each op class: o holds the first input's shape on entry. */
typedef int (*npu_shape_rule)(npu_ictx *c, npu_shape *o);
extern const npu_shape_rule npu_shape_rules[NPU_OPC_COUNT];

#endif
