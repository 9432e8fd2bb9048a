#!/usr/bin/python3
"""exporter_style.py OUTDIR — ONNX files written the way torch.onnx / Ultralytics write them.

Not npusim's writer: these are what a user brings. Each file has an fp32 input, weights as
fp32 initializers (zeros: npusim reads no weight values) and the node forms the exporters use:

  resnet50_tv.onnx   torchvision resnet50: BatchNorm folded into the conv bias (what
                     torch.onnx does in eval mode), Relu nodes, Add for the residual,
                     GlobalAveragePool, Flatten, Gemm(transB=1) with a [1000, 2048] weight
  yolo_block.onnx    a YOLOv8-style C2f block: Conv(bias) + SiLU written as x * Sigmoid(x),
                     Split, bottlenecks with residual Add, Concat, Resize, MaxPool (SPPF)
  linear_block.onnx  a pre-norm transformer block as torch.onnx writes nn.Linear on rank-3
                     inputs: MatMul by a constant [K, N] weight, then Add of a [N] bias;
                     LayerNorm decomposed (opset 13), GELU as the Erf chain
  gemm_rank2.onnx    an MLP on a rank-2 input: Gemm(transB=1) with a [N, K] weight + bias

For every ONNX file it also writes NAME.npg, the same network as npusim's own layers (what a
zoo builder writes), so a test can check both give the same answer. resnet50_tv is compared
with the zoo's resnet50 instead. Needs Debian's python3-onnx (run with /usr/bin/python3).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class G:
    def __init__(self, name):
        self.name, self.nodes, self.inits, self.n = name, [], [], 0
        self.npg = []

    def uid(self, base):
        self.n += 1
        return "%s_%d" % (base, self.n)

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def zeros(self, base, shape):
        return self.const(self.uid(base), np.zeros(shape, np.float32))

    def node(self, op, ins, name=None, **attrs):
        name = name or self.uid(op)
        self.nodes.append(helper.make_node(op, ins, [name], name=name, **attrs))
        return name

    def scalar(self, v):
        return self.const(self.uid("c"), np.array(v, np.float32))

    def model(self, inp, shape, out, path, oshape):
        g = helper.make_graph(
            self.nodes, "torch_jit",
            [helper.make_tensor_value_info(inp, TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, oshape)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="pytorch", producer_version="2.1.0")
        m.ir_version = 7
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path)


# ---- torchvision resnet50 ------------------------------------------------------------------

def conv(g, x, cin, cout, k, s=1, p=None, group=1, name=None):
    p = k // 2 if p is None else p
    w = g.zeros("w", (cout, cin // group, k, k))
    b = g.zeros("b", (cout,))
    return g.node("Conv", [x, w, b], name, kernel_shape=[k, k], strides=[s, s],
                  pads=[p, p, p, p], dilations=[1, 1], group=group)


def resnet50(path):
    g = G("resnet50")
    x = g.node("Relu", [conv(g, "input", 3, 64, 7, 2)])
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for j in range(blocks):
            s = stride if j == 0 else 1
            y = g.node("Relu", [conv(g, x, cin, width, 1)])
            y = g.node("Relu", [conv(g, y, width, width, 3, s)])
            y = conv(g, y, width, width * 4, 1)
            sc = conv(g, x, cin, width * 4, 1, s) if j == 0 else x
            x = g.node("Relu", [g.node("Add", [y, sc])])
            cin = width * 4
    x = g.node("GlobalAveragePool", [x])
    x = g.node("Flatten", [x], axis=1)
    x = g.node("Gemm", [x, g.zeros("fc_w", (1000, 2048)), g.zeros("fc_b", (1000,))], "fc",
               alpha=1.0, beta=1.0, transB=1)
    g.model("input", [1, 3, 224, 224], x, path, [1, 1000])


# ---- YOLOv8-style C2f block + SPPF ---------------------------------------------------------

def yolo_block(out):
    g = G("yolo_block")
    npg = ["npg 1", "graph yolo_block", "input input 1x16x64x64 fp32"]

    def cbs(x, cin, cout, k, s=1, nx=None):
        c = conv(g, x, cin, cout, k, s)
        y = g.node("Mul", [c, g.node("Sigmoid", [c])])
        npg.append("conv %s %s out=%d k=%d s=%d p=%d bias=1 act=silu" % (y, nx or x, cout, k, s, k // 2))
        return y

    x = cbs("input", 16, 32, 3, 2)
    x = cbs(x, 32, 32, 1)
    sp = g.node("Split", [x, g.const("split_sizes", np.array([16, 16], np.int64))], "split", axis=1)
    g.nodes[-1].output[:] = ["split_a", "split_b"]
    npg.append("split split split_a_src axis=1 sizes=16,16".replace("split_a_src", x))
    a, b = "split_a", "split_b"
    na, nb = "split", "split:1"
    parts, nparts = [a, b], [na, nb]
    y, ny = b, nb
    for _ in range(2):
        t = cbs(y, 16, 16, 3, nx=ny)
        t2 = cbs(t, 16, 16, 3)
        r = g.node("Add", [y, t2])
        npg.append("add %s %s %s" % (r, ny, t2))
        y, ny = r, r
        parts.append(r)
        nparts.append(r)
    c = g.node("Concat", parts, axis=1)
    npg.append("concat %s %s axis=1" % (c, " ".join(nparts)))
    x = cbs(c, 64, 32, 1)
    # SPPF: 1x1, three chained 5x5 max pools, concat, 1x1
    x = cbs(x, 32, 16, 1)
    m1 = g.node("MaxPool", [x], kernel_shape=[5, 5], strides=[1, 1], pads=[2, 2, 2, 2])
    m2 = g.node("MaxPool", [m1], kernel_shape=[5, 5], strides=[1, 1], pads=[2, 2, 2, 2])
    m3 = g.node("MaxPool", [m2], kernel_shape=[5, 5], strides=[1, 1], pads=[2, 2, 2, 2])
    for m, src in ((m1, x), (m2, m1), (m3, m2)):
        npg.append("maxpool %s %s k=5 s=1 p=2" % (m, src))
    c = g.node("Concat", [x, m1, m2, m3], axis=1)
    npg.append("concat %s %s %s %s %s axis=1" % (c, x, m1, m2, m3))
    x = cbs(c, 64, 32, 1)
    u = g.node("Resize", [x, "", g.const("scales", np.array([1, 1, 2, 2], np.float32))],
               mode="nearest")
    npg.append("resize %s %s scale=2 mode=nearest" % (u, x))
    x = cbs(u, 32, 32, 3)
    npg.append("output " + x)
    g.model("input", [1, 16, 64, 64], x, os.path.join(out, "yolo_block.onnx"), [1, 32, 64, 64])
    with open(os.path.join(out, "yolo_block.npg"), "w") as f:
        f.write("\n".join(npg) + "\n")


# ---- transformer block with Linear as MatMul + Add -------------------------------------------

def linear_block(out, T=64, D=256, H=4, F=1024):
    g = G("linear_block")
    npg = ["npg 1", "graph linear_block", "input x 1x%dx%d fp32" % (T, D)]

    def linear(x, k, n, nx=None):
        m = g.node("MatMul", [x, g.zeros("W", (k, n))])
        y = g.node("Add", [m, g.zeros("bias", (n,))])
        npg.append("gemm %s %s out=%d bias=1" % (y, nx or x, n))
        return y

    def layernorm(x):
        mu = g.node("ReduceMean", [x], axes=[-1], keepdims=1)
        d = g.node("Sub", [x, mu])
        v = g.node("ReduceMean", [g.node("Pow", [d, g.scalar(2.0)])], axes=[-1], keepdims=1)
        s = g.node("Sqrt", [g.node("Add", [v, g.scalar(1e-5)])])
        n = g.node("Div", [d, s])
        y = g.node("Add", [g.node("Mul", [n, g.zeros("gamma", (D,))]), g.zeros("beta", (D,))])
        npg.append("layernorm %s %s axis=-1 eps=1e-05" % (y, x))
        return y

    def heads(x):
        r = g.node("Reshape", [x, g.const(g.uid("shape"), np.array([1, T, H, D // H], np.int64))])
        t = g.node("Transpose", [r], perm=[0, 2, 1, 3])
        npg.append("reshape %s %s shape=1,%d,%d,%d" % (r, x, T, H, D // H))
        npg.append("transpose %s %s perm=0,2,1,3" % (t, r))
        return t

    ln1 = layernorm("x")
    q, k, v = (heads(linear(ln1, D, D)) for _ in range(3))
    kt = g.node("Transpose", [k], perm=[0, 1, 3, 2])
    s = g.node("MatMul", [q, kt])
    npg.append("matmul %s %s %s transb=1" % (s, q, k))
    sc = g.node("Mul", [s, g.scalar(0.125)])  # 1/sqrt(d_head) as the exporters write it
    npg.append("mul %s %s sc" % (sc, s))
    npg.insert(3, "const sc scalar fp32 value=0.125")
    p = g.node("Softmax", [sc], axis=-1)
    npg.append("softmax %s %s axis=-1" % (p, sc))
    o = g.node("MatMul", [p, v])
    npg.append("matmul %s %s %s" % (o, p, v))
    ot = g.node("Transpose", [o], perm=[0, 2, 1, 3])
    om = g.node("Reshape", [ot, g.const("shape_o", np.array([1, T, D], np.int64))])
    npg.append("transpose %s %s perm=0,2,1,3" % (ot, o))
    npg.append("reshape %s %s shape=1,%d,%d" % (om, ot, T, D))
    res = g.node("Add", [linear(om, D, D), "x"])
    npg.append("add %s %s x" % (res, npg[-1].split()[1]))
    ln2 = layernorm(res)
    f1 = linear(ln2, D, F)
    # GELU, the exact (Erf) form torch writes
    e = g.node("Erf", [g.node("Div", [f1, g.scalar(1.4142135)])])
    ge = g.node("Mul", [g.node("Mul", [f1, g.node("Add", [e, g.scalar(1.0)])]), g.scalar(0.5)])
    npg.append("gelu %s %s" % (ge, f1))
    f2 = linear(ge, F, D)
    y = g.node("Add", [f2, res])
    npg.append("add %s %s %s" % (y, f2, res))
    npg.append("output " + y)
    g.model("x", [1, T, D], y, os.path.join(out, "linear_block.onnx"), [1, T, D])
    with open(os.path.join(out, "linear_block.npg"), "w") as f:
        f.write("\n".join(npg) + "\n")


def gemm_rank2(out):
    g = G("gemm_rank2")
    npg = ["npg 1", "graph gemm_rank2", "input x 1x512 fp32"]
    x, k = "x", 512
    for n in (1024, 256, 10):
        y = g.node("Gemm", [x, g.zeros("W", (n, k)), g.zeros("b", (n,))], transB=1)
        npg.append("gemm %s %s out=%d bias=1" % (y, x, n))
        if n != 10:
            r = g.node("Relu", [y])
            npg[-1] += " act=relu"
            npg[-1] = npg[-1].replace("gemm %s" % y, "gemm %s" % r)
            y = r
        x, k = y, n
    npg.append("output " + x)
    g.model("x", [1, 512], x, os.path.join(out, "gemm_rank2.onnx"), [1, 10])
    with open(os.path.join(out, "gemm_rank2.npg"), "w") as f:
        f.write("\n".join(npg) + "\n")


if __name__ == "__main__":
    out = sys.argv[1]
    resnet50(os.path.join(out, "resnet50_tv.onnx"))
    yolo_block(out)
    linear_block(out)
    gemm_rank2(out)
