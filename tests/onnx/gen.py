#!/usr/bin/env python3
"""gen.py - writes the small ONNX models used by tests/unit/onnx_test.c and the fuzz corpus.

Only the Python standard library: the protobuf wire format is encoded by hand below, following
onnx/onnx.proto (field numbers noted at each use). Run from anywhere:
    python3 tests/onnx/gen.py            # writes tests/onnx/*.onnx and tests/fuzz/corpus/onnx/*
The files are committed; rerun only when changing a model (and update the pinned numbers in
onnx_test.c).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "fuzz", "corpus", "onnx")

FLOAT, UINT8, INT8, INT32, INT64 = 1, 2, 3, 6, 7


def varint(v):
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(num, wt):
    return varint((num << 3) | wt)


def f_int(num, v):
    return key(num, 0) + varint(v)


def f_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return key(num, 2) + varint(len(b)) + b


def f_float(num, v):
    return key(num, 5) + struct.pack("<f", v)


def packed_ints(num, vals):
    return f_bytes(num, b"".join(varint(v) for v in vals))


# ---- messages ------------------------------------------------------------------------------
def tensor(name, dt, dims, vals=None, raw=True):
    """TensorProto: dims=1, data_type=2, float_data=4, int64_data=7, name=8, raw_data=9."""
    m = packed_ints(1, dims) + f_int(2, dt) + f_bytes(8, name)
    n = 1
    for d in dims:
        n *= d
    if vals is None:
        vals = [0] * n
    fmt = {FLOAT: "<f", UINT8: "<B", INT8: "<b", INT32: "<i", INT64: "<q"}[dt]
    if raw:
        m += f_bytes(9, b"".join(struct.pack(fmt, v) for v in vals))
    elif dt == INT64:
        m += packed_ints(7, vals)
    elif dt == FLOAT:
        m += f_bytes(4, b"".join(struct.pack("<f", v) for v in vals))
    else:
        m += packed_ints(5, vals)
    return m


def attr_i(name, v):  # AttributeProto: name=1, i=3, type=20 (INT=2)
    return f_bytes(1, name) + f_int(3, v) + f_int(20, 2)


def attr_f(name, v):  # f=2, FLOAT=1
    return f_bytes(1, name) + f_float(2, v) + f_int(20, 1)


def attr_ints(name, vals):  # ints=8, INTS=7
    return f_bytes(1, name) + packed_ints(8, vals) + f_int(20, 7)


def attr_s(name, s):  # s=4, STRING=3
    return f_bytes(1, name) + f_bytes(4, s) + f_int(20, 3)


def attr_t(name, t):  # t=5, TENSOR=4
    return f_bytes(1, name) + f_bytes(5, t) + f_int(20, 4)


def node(op, ins, outs, name="", attrs=()):
    """NodeProto: input=1, output=2, name=3, op_type=4, attribute=5."""
    m = b"".join(f_bytes(1, i) for i in ins) + b"".join(f_bytes(2, o) for o in outs)
    if name:
        m += f_bytes(3, name)
    m += f_bytes(4, op)
    m += b"".join(f_bytes(5, a) for a in attrs)
    return m


def value_info(name, dt, dims):
    """ValueInfoProto{name=1, type=2{tensor_type=1{elem_type=1, shape=2{dim=1{dim_value=1 |
    dim_param=2}}}}}"""
    shape = b""
    for d in dims:
        shape += f_bytes(1, f_bytes(2, d) if isinstance(d, str) else f_int(1, d))
    tt = f_int(1, dt) + f_bytes(2, shape)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, tt))


def model(name, nodes, inputs, outputs, inits=(), vinfo=(), opset=13):
    """GraphProto: node=1, name=2, initializer=5, input=11, output=12, value_info=13.
    ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8{domain=1, version=2}."""
    g = b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, name)
    g += b"".join(f_bytes(5, t) for t in inits)
    g += b"".join(f_bytes(11, v) for v in inputs)
    g += b"".join(f_bytes(12, v) for v in outputs)
    g += b"".join(f_bytes(13, v) for v in vinfo)
    return f_int(1, 8) + f_bytes(2, "npusim-gen") + f_bytes(7, g) + f_bytes(8, f_bytes(1, "") + f_int(2, opset))


# ---- the models ----------------------------------------------------------------------------
def tiny_cnn():
    """Conv+BN+Relu, MaxPool, strided Conv+Relu, GAP, Flatten, Gemm, Softmax (opset 13)."""
    c16 = [16]
    inits = [tensor("conv1.w", FLOAT, [16, 3, 3, 3]), tensor("conv1.b", FLOAT, c16),
             tensor("bn1.scale", FLOAT, c16, [1.0] * 16), tensor("bn1.bias", FLOAT, c16),
             tensor("bn1.mean", FLOAT, c16), tensor("bn1.var", FLOAT, c16, [1.0] * 16),
             tensor("conv2.w", FLOAT, [32, 16, 3, 3]),
             tensor("fc.w", FLOAT, [10, 32]), tensor("fc.b", FLOAT, [10])]
    nodes = [
        node("Conv", ["input", "conv1.w", "conv1.b"], ["c1"], "conv1",
             [attr_ints("kernel_shape", [3, 3]), attr_ints("pads", [1, 1, 1, 1])]),
        node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"],
             ["b1"], "bn1", [attr_f("epsilon", 1e-5)]),
        node("Relu", ["b1"], ["r1"], "relu1"),
        node("MaxPool", ["r1"], ["p1"], "pool1",
             [attr_ints("kernel_shape", [2, 2]), attr_ints("strides", [2, 2])]),
        node("Conv", ["p1", "conv2.w"], ["c2"], "conv2",
             [attr_ints("strides", [2, 2]), attr_ints("pads", [1, 1, 1, 1])]),
        node("Relu", ["c2"], ["r2"], "relu2"),
        node("GlobalAveragePool", ["r2"], ["gap"], "gap"),
        node("Flatten", ["gap"], ["flat"], "flatten", [attr_i("axis", 1)]),
        node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], "fc", [attr_i("transB", 1)]),
        node("Softmax", ["logits"], ["prob"], "softmax", [attr_i("axis", 1)]),
    ]
    return model("tiny_cnn", nodes, [value_info("input", FLOAT, [1, 3, 32, 32])],
                 [value_info("prob", FLOAT, [1, 10])], inits)


def reshape_chain():
    """PyTorch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
    with a Constant node, on a symbolic batch (taken as 1), opset 11 (attribute axes)."""
    nodes = [
        node("Relu", ["x"], ["r"], "relu"),
        node("Shape", ["r"], ["s"], "Shape_1"),
        node("Constant", [], ["zero"], "Constant_2", [attr_t("value", tensor("", INT64, [], [0]))]),
        node("Gather", ["s", "zero"], ["n"], "Gather_3", [attr_i("axis", 0)]),
        node("Unsqueeze", ["n"], ["n1"], "Unsqueeze_4", [attr_ints("axes", [0])]),
        node("Constant", [], ["minus1"], "Constant_5",
             [attr_t("value", tensor("", INT64, [1], [-1], raw=False))]),
        node("Concat", ["n1", "minus1"], ["shape"], "Concat_6", [attr_i("axis", 0)]),
        node("Reshape", ["r", "shape"], ["y"], "Reshape_7"),
    ]
    return model("reshape_chain", nodes, [value_info("x", FLOAT, ["batch", 3, 4, 4])],
                 [value_info("y", FLOAT, ["batch", 48])], opset=11)


def noparams():
    """export_params=False: weights are graph inputs without initializers (opset 9)."""
    nodes = [
        node("Conv", ["x", "w"], ["c"], "conv", [attr_ints("pads", [1, 1, 1, 1])]),
        node("Flatten", ["c"], ["f"], "flatten"),
        node("Gemm", ["f", "fc.w"], ["y"], "fc", [attr_i("transB", 1)]),
    ]
    ins = [value_info("x", FLOAT, [1, 3, 8, 8]), value_info("w", FLOAT, [8, 3, 3, 3]),
           value_info("fc.w", FLOAT, [4, 512])]
    return model("noparams", nodes, ins, [value_info("y", FLOAT, [1, 4])], opset=9)


def unsupported():
    """Two TopK and one NonZero: one error listing both op types with counts and names."""
    k = tensor("k", INT64, [1], [2])
    nodes = [
        node("TopK", ["x", "k"], ["v1", "i1"], "topk_a"),
        node("TopK", ["v1", "k"], ["v2", "i2"], "topk_b"),
        node("NonZero", ["v2"], ["nz"], "nz"),
    ]
    return model("unsupported", nodes, [value_info("x", FLOAT, [1, 8])],
                 [value_info("nz", INT64, [2, 2])], [k], opset=13)


def host():
    """TopK with value_info for its outputs: runs on the host with allow_unsupported."""
    k = tensor("k", INT64, [1], [3])
    nodes = [
        node("Relu", ["x"], ["r"], "relu"),
        node("TopK", ["r", "k"], ["vals", "idx"], "topk", [attr_i("axis", 1)]),
        node("Sigmoid", ["vals"], ["y"], "sig"),
    ]
    vi = [value_info("vals", FLOAT, [1, 3]), value_info("idx", INT64, [1, 3])]
    return model("host", nodes, [value_info("x", FLOAT, [1, 8])],
                 [value_info("y", FLOAT, [1, 3])], [k], vi, opset=13)


def qdq():
    """QDQ int8 conv: activations quantize/dequantize, weights DequantizeLinear(int8 const)."""
    inits = [tensor("s", FLOAT, [], [0.1]), tensor("zp", UINT8, [], [128]),
             tensor("wq", INT8, [4, 2, 3, 3]), tensor("ws", FLOAT, [], [0.05]),
             tensor("wzp", INT8, [], [0])]
    nodes = [
        node("QuantizeLinear", ["x", "s", "zp"], ["xq"], "q"),
        node("DequantizeLinear", ["xq", "s", "zp"], ["xd"], "dq"),
        node("DequantizeLinear", ["wq", "ws", "wzp"], ["w"], "wdq"),
        node("Conv", ["xd", "w"], ["y"], "conv"),
    ]
    return model("qdq", nodes, [value_info("x", FLOAT, [1, 2, 6, 6])],
                 [value_info("y", FLOAT, [1, 4, 4, 4])], inits, opset=13)


def misc_ops():
    """Resize (scales), Slice, Split, Concat, Clip(0,6) -> relu6, Pad, Transpose, ReduceMean,
    MatMul with a constant, Add with broadcasting (opset 13)."""
    inits = [tensor("scales", FLOAT, [4], [1, 1, 2, 2]),
             tensor("st", INT64, [1], [2]), tensor("en", INT64, [1], [-2]),
             tensor("ax", INT64, [1], [2]), tensor("split", INT64, [2], [3, 5]),
             tensor("lo", FLOAT, [], [0.0]), tensor("hi", FLOAT, [], [6.0]),
             tensor("pads", INT64, [8], [0, 0, 1, 1, 0, 0, 1, 1]),
             tensor("mw", FLOAT, [14, 5]),
             tensor("bias", FLOAT, [5])]
    nodes = [
        node("Resize", ["x", "", "scales"], ["up"], "resize", [attr_s("mode", "nearest")]),
        node("Slice", ["up", "st", "en", "ax"], ["sl"], "slice"),
        node("Split", ["sl", "split"], ["a", "b"], "split", [attr_i("axis", 1)]),
        node("Concat", ["b", "a"], ["cat"], "concat", [attr_i("axis", 1)]),
        node("Clip", ["cat", "lo", "hi"], ["c6"], "clip"),
        node("Pad", ["c6", "pads"], ["pd"], "pad"),
        node("Transpose", ["pd"], ["tp"], "transpose", [attr_ints("perm", [0, 2, 3, 1])]),
        node("ReduceMean", ["tp"], ["rm"], "rmean", [attr_ints("axes", [3]), attr_i("keepdims", 0)]),
        node("MatMul", ["rm", "mw"], ["mm"], "matmul"),
        node("Add", ["mm", "bias"], ["y"], "add"),
    ]
    return model("misc_ops", nodes, [value_info("x", FLOAT, [1, 8, 5, 6])],
                 [value_info("y", FLOAT, [1, 8, 5])], inits, opset=13)


def fold_ops():
    """Equal/Where/Slice on shapes (PyTorch's handling of 0 in view()): evaluated at import."""
    nodes = [
        node("Relu", ["x"], ["r"], "relu"),
        node("Shape", ["r"], ["s"], "shape"),
        node("Constant", [], ["t"], "target", [attr_t("value", tensor("", INT64, [2], [0, 12]))]),
        node("Constant", [], ["z"], "zero", [attr_t("value", tensor("", INT64, [], [0]))]),
        node("Equal", ["t", "z"], ["e"], "is_zero"),
        node("Slice", ["s", "st", "en"], ["s2"], "head"),
        node("Where", ["e", "s2", "t"], ["w"], "pick"),
        node("Reshape", ["r", "w"], ["y"], "view"),
    ]
    inits = [tensor("st", INT64, [1], [0]), tensor("en", INT64, [1], [2])]
    return model("fold_ops", nodes, [value_info("x", FLOAT, [2, 3, 4])],
                 [value_info("y", FLOAT, [2, 12])], inits, opset=13)


def gelu_erf():
    """BERT's exact GELU written with Erf (both operand orders PyTorch emits): two gelu layers."""
    inits = [tensor("sqrt2", FLOAT, [], [1.4142135381698608]), tensor("one", FLOAT, [], [1.0]),
             tensor("half", FLOAT, [], [0.5]), tensor("w", FLOAT, [16, 16])]
    nodes = [
        node("MatMul", ["x", "w"], ["h"], "fc1"),
        node("Div", ["h", "sqrt2"], ["d"], "/act/Div"),
        node("Erf", ["d"], ["e"], "/act/Erf"),
        node("Add", ["e", "one"], ["a"], "/act/Add"),
        node("Mul", ["h", "a"], ["m"], "/act/Mul"),
        node("Mul", ["m", "half"], ["g"], "/act/Mul_1"),
        node("Mul", ["g", "half"], ["g5"], "/act2/Mul_half"),
        node("Div", ["g", "sqrt2"], ["d2"], "/act2/Div"),
        node("Erf", ["d2"], ["e2"], "/act2/Erf"),
        node("Add", ["one", "e2"], ["a2"], "/act2/Add"),
        node("Mul", ["g5", "a2"], ["y"], "/act2/Mul"),
    ]
    return model("gelu_erf", nodes, [value_info("x", FLOAT, [1, 4, 16])],
                 [value_info("y", FLOAT, [1, 4, 16])], inits, opset=13)


def resnet18():
    """torchvision's ResNet-18 as PyTorch 2.x exports it with export_params=False (weights are
    graph inputs without data, so the file stays small); names follow the exporter's
    /layer1/layer1.0/conv1/Conv style. Known figures: 11,689,512 parameters."""
    nodes, ins = [], [value_info("input", FLOAT, [1, 3, 224, 224])]

    def conv_bn(x, prefix, pyname, cin, cout, k, s, p, relu):
        w = pyname + ".weight"
        ins.append(value_info(w, FLOAT, [cout, cin, k, k]))
        bn = pyname.replace("conv", "bn").replace("downsample.0", "downsample.1")
        bnp = prefix.replace("conv", "bn").replace("downsample/downsample.0", "downsample/downsample.1")
        for nm in ("weight", "bias", "running_mean", "running_var"):
            ins.append(value_info(bn + "." + nm, FLOAT, [cout]))
        c = prefix + "/Conv_output_0"
        nodes.append(node("Conv", [x, w], [c], prefix + "/Conv",
                          [attr_ints("kernel_shape", [k, k]), attr_ints("strides", [s, s]),
                           attr_ints("pads", [p, p, p, p])]))
        b = bnp + "/BatchNormalization_output_0"
        nodes.append(node("BatchNormalization", [c] + [bn + "." + nm for nm in
                          ("weight", "bias", "running_mean", "running_var")], [b],
                          bnp + "/BatchNormalization"))
        if not relu:
            return b
        r = bnp.replace("bn", "relu") + "/Relu_output_0"
        nodes.append(node("Relu", [b], [r], bnp.replace("bn", "relu") + "/Relu"))
        return r

    x = conv_bn("input", "/conv1", "conv1", 3, 64, 7, 2, 3, True)
    nodes.append(node("MaxPool", [x], ["/maxpool/MaxPool_output_0"], "/maxpool/MaxPool",
                      [attr_ints("kernel_shape", [3, 3]), attr_ints("strides", [2, 2]),
                       attr_ints("pads", [1, 1, 1, 1])]))
    x, cin = "/maxpool/MaxPool_output_0", 64
    for li, cout in enumerate([64, 128, 256, 512], start=1):
        for bi in range(2):
            s = 2 if (li > 1 and bi == 0) else 1
            pre, py = "/layer%d/layer%d.%d" % (li, li, bi), "layer%d.%d" % (li, bi)
            h = conv_bn(x, pre + "/conv1", py + ".conv1", cin, cout, 3, s, 1, True)
            h = conv_bn(h, pre + "/conv2", py + ".conv2", cout, cout, 3, 1, 1, False)
            sc = x
            if s != 1 or cin != cout:
                sc = conv_bn(x, pre + "/downsample/downsample.0", py + ".downsample.0", cin, cout,
                             1, s, 0, False)
            a = pre + "/Add_output_0"
            nodes.append(node("Add", [h, sc], [a], pre + "/Add"))
            r = pre + "/relu_1/Relu_output_0"
            nodes.append(node("Relu", [a], [r], pre + "/relu_1/Relu"))
            x, cin = r, cout
    nodes.append(node("GlobalAveragePool", [x], ["/avgpool/GlobalAveragePool_output_0"],
                      "/avgpool/GlobalAveragePool"))
    nodes.append(node("Flatten", ["/avgpool/GlobalAveragePool_output_0"], ["/Flatten_output_0"],
                      "/Flatten", [attr_i("axis", 1)]))
    ins += [value_info("fc.weight", FLOAT, [1000, 512]), value_info("fc.bias", FLOAT, [1000])]
    nodes.append(node("Gemm", ["/Flatten_output_0", "fc.weight", "fc.bias"], ["output"], "/fc/Gemm",
                      [attr_f("alpha", 1.0), attr_f("beta", 1.0), attr_i("transB", 1)]))
    return model("main_graph", nodes, ins, [value_info("output", FLOAT, [1, 1000])], opset=17)


def legacy6():
    """Opset 6: legacy broadcasting (broadcast=1, axis=1 aligns B with A's channel axis), a
    second Add broadcasting an activation B by axis, and Reshape's shape attribute (< 5 style is
    still read from the input at opset 6: here an initializer)."""
    inits = [tensor("bias", FLOAT, [3]), tensor("scale", FLOAT, [5]),
             tensor("shape", INT64, [2], [2, 60])]
    nodes = [
        node("Add", ["x", "bias"], ["a"], "add", [attr_i("broadcast", 1), attr_i("axis", 1)]),
        node("Mul", ["a", "scale"], ["m"], "mul", [attr_i("broadcast", 1)]),
        node("ReduceMean", ["m"], ["r"], "rmean", [attr_ints("axes", [2, 3]), attr_i("keepdims", 0)]),
        node("Add", ["m", "r"], ["b"], "add2", [attr_i("broadcast", 1), attr_i("axis", 0)]),
        node("Reshape", ["b", "shape"], ["y"], "reshape"),
    ]
    return model("legacy6", nodes, [value_info("x", FLOAT, [2, 3, 4, 5])],
                 [value_info("y", FLOAT, [2, 60])], inits, opset=6)


def layernorm_decomposed():
    """LayerNorm as exported before opset 17 (BERT): ReduceMean, Sub, Pow, ReduceMean, Add(eps),
    Sqrt, Div, Mul(gamma), Add(beta); then a second one without the affine tail."""
    inits = [tensor("two", FLOAT, [], [2.0]), tensor("eps", FLOAT, [], [1e-12]),
             tensor("gamma", FLOAT, [16]), tensor("beta", FLOAT, [16]),
             tensor("w", FLOAT, [16, 16])]
    nodes = []

    def ln(x, p, affine):
        nodes.extend([
            node("ReduceMean", [x], [p + "m"], p + "ReduceMean", [attr_ints("axes", [-1])]),
            node("Sub", [x, p + "m"], [p + "d"], p + "Sub"),
            node("Pow", [p + "d", "two"], [p + "p"], p + "Pow"),
            node("ReduceMean", [p + "p"], [p + "v"], p + "ReduceMean_1", [attr_ints("axes", [-1])]),
            node("Add", [p + "v", "eps"], [p + "e"], p + "Add"),
            node("Sqrt", [p + "e"], [p + "s"], p + "Sqrt"),
            node("Div", [p + "d", p + "s"], [p + "n"], p + "Div"),
        ])
        if not affine:
            return p + "n"
        nodes.extend([
            node("Mul", [p + "n", "gamma"], [p + "g"], p + "Mul"),
            node("Add", [p + "g", "beta"], [p + "y"], p + "Add_1"),
        ])
        return p + "y"

    h = ln("x", "/ln1/", True)
    nodes.append(node("MatMul", [h, "w"], ["h2"], "/fc/MatMul"))
    y = ln("h2", "/ln2/", False)
    nodes.append(node("Identity", [y], ["y"], "out"))
    return model("layernorm_decomposed", nodes, [value_info("x", FLOAT, [1, 4, 16])],
                 [value_info("y", FLOAT, [1, 4, 16])], inits, opset=13)


def act_patterns():
    """Activations as exporters decompose them, each after a conv (opset 13, Clip min/max as
    inputs): SiLU x*Sigmoid(x) (YOLOv5), HardSwish x*Clip(x+3,0,6)/6 (torch < opset 14),
    x*HardSigmoid(x) (alpha 1/6), Mish x*Tanh(Softplus(x)), a batchnorm spelled Mul/Add by
    per-channel constants; then a SiLU that must stay unfused (its Sigmoid is a graph output)."""
    c8 = [8]
    inits = [tensor("w%d" % i, FLOAT, [8, 8 if i else 3, 3, 3]) for i in range(6)]
    inits += [tensor("three", FLOAT, [], [3.0]), tensor("zero", FLOAT, [], [0.0]),
              tensor("six", FLOAT, [], [6.0]), tensor("scale", FLOAT, [8, 1, 1]),
              tensor("shift", FLOAT, [1, 8, 1, 1])]
    pads = [attr_ints("kernel_shape", [3, 3]), attr_ints("pads", [1, 1, 1, 1])]
    nodes = [
        node("Conv", ["x", "w0"], ["c0"], "conv0", pads),
        node("Sigmoid", ["c0"], ["s0"], "/m0/act/Sigmoid"),
        node("Mul", ["c0", "s0"], ["a0"], "/m0/act/Mul"),
        node("Conv", ["a0", "w1"], ["c1"], "conv1", pads),
        node("Add", ["c1", "three"], ["p1"], "/m1/act/Add"),
        node("Clip", ["p1", "zero", "six"], ["r1"], "/m1/act/Clip"),
        node("Mul", ["c1", "r1"], ["q1"], "/m1/act/Mul"),
        node("Div", ["q1", "six"], ["a1"], "/m1/act/Div"),
        node("Conv", ["a1", "w2"], ["c2"], "conv2", pads),
        node("HardSigmoid", ["c2"], ["h2"], "/m2/act/HardSigmoid",
             [attr_f("alpha", 1.0 / 6), attr_f("beta", 0.5)]),
        node("Mul", ["c2", "h2"], ["a2"], "/m2/act/Mul"),
        node("Conv", ["a2", "w3"], ["c3"], "conv3", pads),
        node("Softplus", ["c3"], ["sp3"], "/m3/act/Softplus"),
        node("Tanh", ["sp3"], ["t3"], "/m3/act/Tanh"),
        node("Mul", ["c3", "t3"], ["a3"], "/m3/act/Mul"),
        node("Conv", ["a3", "w4"], ["c4"], "conv4", pads),
        node("Mul", ["c4", "scale"], ["m4"], "/m4/Mul"),
        node("Add", ["m4", "shift"], ["a4"], "/m4/Add"),
        node("Conv", ["a4", "w5"], ["c5"], "conv5", pads),
        node("Sigmoid", ["c5"], ["s5"], "/m5/act/Sigmoid"),
        node("Mul", ["c5", "s5"], ["y"], "/m5/act/Mul"),
    ]
    return model("act_patterns", nodes, [value_info("x", FLOAT, [1, 3, 16, 16])],
                 [value_info("y", FLOAT, [1, 8, 16, 16]), value_info("s5", FLOAT, [1, 8, 16, 16])],
                 inits, opset=13)


def norm_patterns():
    """GELU's tanh approximation (HF NewGELU: Pow(x,3)) and RMSNorm as LLaMA exports it
    (Pow, ReduceMean, Add eps, Sqrt, Reciprocal, Mul, Mul weight), both after a MatMul."""
    inits = [tensor("w", FLOAT, [16, 16]), tensor("w2", FLOAT, [16, 16]),
             tensor("half", FLOAT, [], [0.5]), tensor("one", FLOAT, [], [1.0]),
             tensor("three", FLOAT, [], [3.0]), tensor("two", FLOAT, [], [2.0]),
             tensor("c", FLOAT, [], [0.044715]), tensor("k", FLOAT, [], [0.7978845608]),
             tensor("eps", FLOAT, [], [1e-6]), tensor("weight", FLOAT, [16])]
    nodes = [
        node("MatMul", ["x", "w"], ["h"], "fc1"),
        node("Mul", ["h", "half"], ["hh"], "/act/Mul"),
        node("Pow", ["h", "three"], ["p3"], "/act/Pow"),
        node("Mul", ["p3", "c"], ["v"], "/act/Mul_1"),
        node("Add", ["h", "v"], ["u"], "/act/Add"),
        node("Mul", ["u", "k"], ["s"], "/act/Mul_2"),
        node("Tanh", ["s"], ["t"], "/act/Tanh"),
        node("Add", ["t", "one"], ["a"], "/act/Add_1"),
        node("Mul", ["hh", "a"], ["g"], "/act/Mul_3"),
        node("MatMul", ["g", "w2"], ["h2"], "fc2"),
        node("Pow", ["h2", "two"], ["sq"], "/norm/Pow"),
        node("ReduceMean", ["sq"], ["var"], "/norm/ReduceMean", [attr_ints("axes", [-1])]),
        node("Add", ["var", "eps"], ["ve"], "/norm/Add"),
        node("Sqrt", ["ve"], ["sd"], "/norm/Sqrt"),
        node("Reciprocal", ["sd"], ["rs"], "/norm/Reciprocal"),
        node("Mul", ["h2", "rs"], ["n"], "/norm/Mul"),
        node("Mul", ["weight", "n"], ["y"], "/norm/Mul_1"),
    ]
    return model("norm_patterns", nodes, [value_info("x", FLOAT, [1, 4, 16])],
                 [value_info("y", FLOAT, [1, 4, 16])], inits, opset=13)


def shape_ops():
    """DepthToSpace (DCR and CRD), SpaceToDepth, ConstantOfShape and Range (opset 13): the
    rank-6 reshape + transpose of the first two, the constants the last two make at import."""
    inits = [tensor("shape", INT64, [4], [1, 4, 8, 8]),
             tensor("start", FLOAT, [], [0.0]), tensor("limit", FLOAT, [], [8.0]),
             tensor("delta", FLOAT, [], [1.0])]
    nodes = [
        node("DepthToSpace", ["x"], ["d1"], "d2s_dcr", [attr_i("blocksize", 2)]),
        node("SpaceToDepth", ["d1"], ["s1"], "s2d", [attr_i("blocksize", 2)]),
        node("DepthToSpace", ["s1"], ["d2"], "d2s_crd",
             [attr_i("blocksize", 2), attr_s("mode", "CRD")]),
        node("ConstantOfShape", ["shape"], ["c"], "fill",
             [attr_t("value", tensor("", FLOAT, [1], [0.5]))]),
        node("Add", ["d2", "c"], ["a"], "add_fill"),
        node("Range", ["start", "limit", "delta"], ["r"], "range"),
        node("Add", ["a", "r"], ["y"], "add_range"),
    ]
    return model("shape_ops", nodes, [value_info("x", FLOAT, [1, 16, 4, 4])],
                 [value_info("y", FLOAT, [1, 4, 8, 8])], inits, opset=13)


def auto_pad():
    """Conv and MaxPool with auto_pad (SAME_UPPER, SAME_LOWER, VALID) instead of pads: the
    padding is derived from the input size, the odd pixel at the end (UPPER) or the start."""
    inits = [tensor("w1", FLOAT, [4, 3, 3, 3]), tensor("w2", FLOAT, [4, 4, 3, 3])]
    nodes = [
        node("Conv", ["x", "w1"], ["c1"], "conv_upper",
             [attr_ints("kernel_shape", [3, 3]), attr_ints("strides", [2, 2]),
              attr_s("auto_pad", "SAME_UPPER")]),
        node("MaxPool", ["c1"], ["p1"], "pool_lower",
             [attr_ints("kernel_shape", [2, 2]), attr_s("auto_pad", "SAME_LOWER")]),
        node("Conv", ["p1", "w2"], ["y"], "conv_valid",
             [attr_ints("kernel_shape", [3, 3]), attr_s("auto_pad", "VALID")]),
    ]
    return model("auto_pad", nodes, [value_info("x", FLOAT, [1, 3, 8, 8])],
                 [value_info("y", FLOAT, [1, 4, 2, 2])], inits, opset=13)


MODELS = {
    "layernorm_decomposed": layernorm_decomposed,
    "legacy6": legacy6,
    "resnet18": resnet18,
    "gelu_erf": gelu_erf,
    "act_patterns": act_patterns,
    "norm_patterns": norm_patterns,
    "fold_ops": fold_ops,
    "tiny_cnn": tiny_cnn, "reshape_chain": reshape_chain, "noparams": noparams,
    "unsupported": unsupported, "host": host, "qdq": qdq, "misc_ops": misc_ops,
    "shape_ops": shape_ops, "auto_pad": auto_pad,
}


def main():
    os.makedirs(CORPUS, exist_ok=True)
    for name, fn in MODELS.items():
        data = fn()
        for d in (HERE, CORPUS):
            with open(os.path.join(d, name + ".onnx"), "wb") as f:
                f.write(data)
    print("wrote %d models" % len(MODELS))


if __name__ == "__main__":
    main()
