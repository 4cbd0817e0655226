"""Vision models of the kinds deployed from older exporters, built with
onnx.helper (random weights: for agreement tests, not accuracy).

    python -m qopt.vision_models mobilenet_v3 -o m.onnx [--opset 11] [--check]

- mobilenet_v3: a MobileNetV3 / PP-LCNet-style classifier: depthwise
  separable inverted residuals (3x3 and 5x5, strides 1 and 2),
  hard-swish both as HardSigmoid(x)*x and as x*Clip(x+3, 0, 6)/6,
  squeeze-and-excitation through GlobalAveragePool, a 1x1 head and Gemm.
- dbnet: a DBNet-style text detector: a small strided backbone, an FPN whose
  top-down path upsamples by Resize (nearest x2 from scales, and to the
  lateral's size from a Shape subgraph), the pyramid levels brought to 1/4
  by nearest and bilinear Resize and concatenated, a head of 3x3 conv,
  a stride-2 ConvTranspose, a second ConvTranspose and a sigmoid.
- crnn: a CRNN/SVTR-style recognizer: a conv stem that pools the height to
  1, reshaped to a sequence, one transformer block with decomposed
  LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div) and erf-GELU, and a CTC softmax
  over 6625 classes.

Batch, height and width are symbolic (`batch`, `height`, `width`); compile
with `--shape`. `opset` picks the forms an exporter of that opset writes
(Clip and Slice attributes before 11 and 10, Upsample before 10, Resize-10,
Softmax's 2-D coercion before 13, Split/Squeeze/Unsqueeze/ReduceMean axes
as attributes before 13/18).
"""

import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class GraphBuilder:
    """Nodes and initializers of one graph, written in the forms of `opset`."""

    def __init__(self, opset, seed):
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes, self.initializers = [], []
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, array, prefix="c", dtype=np.float32):
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(array, dtype), name))
        return name

    def constant_node(self, array, dtype=np.int64):
        """A Constant node (exporters write many of them)."""
        name = self.name("const")
        self.nodes.append(helper.make_node(
            "Constant", [], [name], name=name,
            value=numpy_helper.from_array(np.asarray(array, dtype), name + "_value")))
        return name

    def op(self, op_type, inputs, prefix=None, outputs=1, **attributes):
        prefix = prefix or op_type.lower()
        names = [self.name(prefix) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=names[0], **attributes))
        return names[0] if outputs == 1 else names

    # --- layers ------------------------------------------------------------
    def conv(self, x, cin, cout, kernel, stride=1, groups=1, bias=True):
        fan_in = cin // groups * kernel * kernel
        w = self.const(self.rng.standard_normal((cout, cin // groups, kernel, kernel))
                       * np.sqrt(2.0 / fan_in), "conv.w")
        inputs = [x, w] + ([self.const(0.1 * self.rng.standard_normal(cout), "conv.b")] if bias else [])
        return self.op("Conv", inputs, "conv", kernel_shape=[kernel, kernel],
                       strides=[stride, stride], pads=[kernel // 2] * 4, group=groups)

    def batch_norm(self, x, channels):
        parameters = [self.const(1 + 0.1 * self.rng.standard_normal(channels), "bn.scale"),
                      self.const(0.1 * self.rng.standard_normal(channels), "bn.bias"),
                      self.const(0.1 * self.rng.standard_normal(channels), "bn.mean"),
                      self.const(1 + 0.2 * self.rng.random(channels), "bn.var")]
        return self.op("BatchNormalization", [x] + parameters, "bn", epsilon=1e-5)

    def conv_bn(self, x, cin, cout, kernel, stride=1, groups=1, act="relu"):
        return self.activation(self.batch_norm(self.conv(x, cin, cout, kernel, stride, groups,
                                                         bias=False), cout), act)

    def clip(self, x, low, high):
        if self.opset < 11:
            return self.op("Clip", [x], "clip", min=float(low), max=float(high))
        return self.op("Clip", [x, self.const(low, "clip.min"), self.const(high, "clip.max")], "clip")

    def activation(self, x, kind):
        if kind == "relu":
            return self.op("Relu", [x])
        if kind == "relu6":
            return self.clip(x, 0.0, 6.0)
        if kind == "hardswish_sigmoid":  # Paddle: x * HardSigmoid(x; 1/6, 0.5)
            gate = self.op("HardSigmoid", [x], "hsig", alpha=1.0 / 6.0, beta=0.5)
            return self.op("Mul", [x, gate], "hswish")
        if kind == "hardswish_clip":  # torch before HardSwish: x * clip(x + 3, 0, 6) / 6
            shifted = self.op("Add", [x, self.const(3.0, "three")])
            gate = self.op("Div", [self.clip(shifted, 0.0, 6.0), self.const(6.0, "six")])
            return self.op("Mul", [x, gate], "hswish")
        if kind is None:
            return x
        raise ValueError(kind)

    def squeeze_excite(self, x, channels):
        pooled = self.op("GlobalAveragePool", [x])
        reduced = self.op("Relu", [self.conv(pooled, channels, max(channels // 4, 8), 1)])
        expanded = self.conv(reduced, max(channels // 4, 8), channels, 1)
        gate = self.op("HardSigmoid", [expanded], "se.gate", alpha=0.2, beta=0.5)
        return self.op("Mul", [x, gate], "se.scale")

    def resize(self, x, scale, mode, coordinates="asymmetric"):
        """x2 / x4 upsampling of NCHW by `scale`, in the form of the opset."""
        scales = [1.0, 1.0, float(scale), float(scale)]
        if self.opset < 9:
            return self.op("Upsample", [x], "upsample", mode=mode, scales=scales)
        if self.opset < 10:
            return self.op("Upsample", [x, self.const(scales, "scales")], "upsample", mode=mode)
        if self.opset < 11:
            return self.op("Resize", [x, self.const(scales, "scales")], "resize", mode=mode)
        attributes = {"mode": mode, "coordinate_transformation_mode": coordinates}
        if mode == "nearest":
            attributes["nearest_mode"] = "floor" if coordinates == "asymmetric" else "round_prefer_floor"
        return self.op("Resize", [x, self.const(np.zeros(0), "roi"), self.const(scales, "scales")],
                       "resize", **attributes)

    def resize_like(self, x, like, mode):
        """Resize `x` to the spatial size of `like` through a Shape subgraph
        (torch's F.interpolate(size=like.shape[2:])), from opset 11."""
        shape_x = self.op("Shape", [x])
        shape_like = self.op("Shape", [like])
        batch_channels = self.slice(shape_x, [0], [2], [0])
        spatial = self.slice(shape_like, [2], [4], [0])
        sizes = self.op("Concat", [batch_channels, spatial], "sizes", axis=0)
        return self.op("Resize", [x, self.const(np.zeros(0), "roi"), self.const(np.zeros(0), "scales"),
                                  sizes], "resize", mode=mode,
                       coordinate_transformation_mode="half_pixel" if mode == "linear" else "asymmetric",
                       nearest_mode="floor")

    def slice(self, x, starts, ends, axes):
        if self.opset < 10:
            return self.op("Slice", [x], "slice", starts=starts, ends=ends, axes=axes)
        return self.op("Slice", [x, self.constant_node(starts), self.constant_node(ends),
                                 self.constant_node(axes)], "slice")

    def squeeze(self, x, axes):
        if self.opset < 13:
            return self.op("Squeeze", [x], "squeeze", axes=axes)
        return self.op("Squeeze", [x, self.constant_node(axes)], "squeeze")

    def reduce_mean(self, x, axes):
        if self.opset < 18:
            return self.op("ReduceMean", [x], "mean", axes=axes, keepdims=1)
        return self.op("ReduceMean", [x, self.constant_node(axes)], "mean", keepdims=1)

    def softmax_last(self, x, rank):
        """Softmax over the last axis (before 13: the 2-D coercion at
        axis rank - 1 is the same thing)."""
        return self.op("Softmax", [x], "softmax", axis=rank - 1 if self.opset < 13 else -1)

    def layer_norm(self, x, dim):
        """LayerNorm as exporters decompose it."""
        mean = self.reduce_mean(x, [-1])
        centered = self.op("Sub", [x, mean])
        variance = self.reduce_mean(self.op("Pow", [centered, self.const(2.0, "two")]), [-1])
        deviation = self.op("Sqrt", [self.op("Add", [variance, self.const(1e-5, "eps")])])
        normalized = self.op("Div", [centered, deviation])
        scaled = self.op("Mul", [normalized, self.const(1 + 0.1 * self.rng.standard_normal(dim), "ln.g")])
        return self.op("Add", [scaled, self.const(0.1 * self.rng.standard_normal(dim), "ln.b")])

    def linear(self, x, cin, cout):
        w = self.const(self.rng.standard_normal((cin, cout)) / np.sqrt(cin), "fc.w")
        return self.op("Add", [self.op("MatMul", [x, w]),
                               self.const(0.02 * self.rng.standard_normal(cout), "fc.b")])

    def gelu(self, x):
        inner = self.op("Erf", [self.op("Div", [x, self.const(np.sqrt(2.0), "sqrt2")])])
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [inner, self.const(1.0, "one")])]),
                               self.const(0.5, "half")])

    def model(self, name, inputs, outputs):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, producer_name="qopt.vision_models",
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 7 if self.opset < 15 else 8
        onnx.checker.check_model(model)
        return model


def image_input(name="x", channels=3, height="height"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", channels, height, "width"])


def mobilenet_v3(opset=13, seed=0, classes=100):
    g = GraphBuilder(opset, seed)
    x = g.conv_bn("x", 3, 16, 3, stride=2, act="hardswish_sigmoid")
    # (kernel, expansion, out, squeeze-excite, activation, stride)
    blocks = [(3, 16, 16, True, "relu", 2), (3, 72, 24, False, "relu", 2), (3, 88, 24, False, "relu", 1),
              (5, 96, 40, True, "hardswish_clip", 2), (5, 240, 40, True, "hardswish_sigmoid", 1),
              (5, 120, 48, True, "hardswish_clip", 1)]
    cin = 16
    for kernel, expansion, cout, se, act, stride in blocks:
        y = x
        if expansion != cin:
            y = g.conv_bn(y, cin, expansion, 1, act=act)
        y = g.conv_bn(y, expansion, expansion, kernel, stride, groups=expansion, act=act)
        if se:
            y = g.squeeze_excite(y, expansion)
        y = g.conv_bn(y, expansion, cout, 1, act=None)
        if stride == 1 and cin == cout:
            y = g.op("Add", [x, y], "residual")
        x, cin = y, cout
    x = g.conv_bn(x, cin, 288, 1, act="hardswish_sigmoid")
    x = g.op("GlobalAveragePool", [x])
    x = g.activation(g.conv(x, 288, 512, 1), "hardswish_clip")
    x = g.op("Dropout", [x], "dropout", **({"ratio": 0.2} if opset < 12 else {}))
    x = g.op("Flatten", [x], axis=1)
    w = g.const(g.rng.standard_normal((classes, 512)) / np.sqrt(512), "fc.w")
    logits = g.op("Gemm", [x, w, g.const(np.zeros(classes), "fc.b")], "fc", transB=1)
    probabilities = g.op("Softmax", [logits], "softmax", axis=1)
    g.nodes[-1].output[0] = "probabilities"
    return g.model("mobilenet_v3", [image_input()],
                   [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes])])


def dbnet(opset=13, seed=0):
    g = GraphBuilder(opset, seed)
    x = g.conv_bn("x", 3, 16, 3, stride=2, act="hardswish_clip")            # 1/2
    features, cin = [], 16
    for cout, act in [(24, "relu"), (32, "hardswish_sigmoid"), (48, "hardswish_clip"), (64, "relu")]:
        x = g.conv_bn(x, cin, cin, 3, stride=2, groups=cin, act=act)        # 1/4 ... 1/32
        x = g.conv_bn(x, cin, cout, 1, act=act)
        features.append(x)
        cin = cout
    channels = [24, 32, 48, 64]
    inner = 32
    laterals = [g.conv(f, c, inner, 1, bias=False) for f, c in zip(features, channels)]
    # Top-down: x2 nearest from scales, except one level resized to the
    # lateral's size through a Shape subgraph (from opset 11).
    top = laterals[3]
    merged = [None, None, None, top]
    for level in (2, 1, 0):
        if level == 1 and opset >= 11:
            up = g.resize_like(top, laterals[level], "nearest")
        else:
            up = g.resize(top, 2, "nearest")
        top = g.op("Add", [laterals[level], up], "fpn.add")
        merged[level] = top
    outputs = [g.conv(m, inner, inner // 4, 3, bias=False) for m in merged]
    upsampled = [outputs[0], g.resize(outputs[1], 2, "nearest"),
                 g.resize(outputs[2], 4, "linear", "half_pixel"),
                 g.resize(outputs[3], 8, "linear", "half_pixel" if opset >= 11 else "asymmetric")]
    fused = g.op("Concat", upsampled, "fuse", axis=1)
    y = g.conv_bn(fused, inner, inner // 4, 3, act="relu")
    w1 = g.const(g.rng.standard_normal((inner // 4, inner // 4, 2, 2)) * 0.5, "deconv.w")
    y = g.op("ConvTranspose", [y, w1, g.const(0.1 * g.rng.standard_normal(inner // 4), "deconv.b")],
             "deconv", kernel_shape=[2, 2], strides=[2, 2])
    y = g.activation(g.batch_norm(y, inner // 4), "relu")
    w2 = g.const(g.rng.standard_normal((inner // 4, 1, 2, 2)) * 0.5, "deconv.w")
    y = g.op("ConvTranspose", [y, w2, g.const([0.05], "deconv.b")], "deconv", kernel_shape=[2, 2],
             strides=[2, 2])
    g.op("Sigmoid", [y], "prob")
    g.nodes[-1].output[0] = "probability"
    return g.model("dbnet", [image_input()],
                   [helper.make_tensor_value_info("probability", TensorProto.FLOAT,
                                                  ["batch", 1, "height", "width"])])


def crnn(opset=13, seed=0, classes=6625, dim=64, heads=4):
    g = GraphBuilder(opset, seed)
    x = g.conv_bn("x", 3, 32, 3, act="relu")                                 # 32 x W
    x = g.op("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])    # 16 x W/2
    x = g.conv_bn(x, 32, 48, 3, act="hardswish_clip")
    x = g.op("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])    # 8 x W/4
    x = g.conv_bn(x, 48, dim, 3, act="hardswish_sigmoid")
    x = g.op("MaxPool", [x], "pool", kernel_shape=[2, 1], strides=[2, 1])    # 4 x W/4
    x = g.op("AveragePool", [x], "pool", kernel_shape=[4, 1], strides=[4, 1])  # 1 x W/4
    sequence = g.op("Transpose", [g.squeeze(x, [2])], perm=[0, 2, 1])       # [B, T, dim]
    # Self-attention with heads split by Reshape (0 copies the dimension).
    h = g.layer_norm(sequence, dim)
    head_dim = dim // heads
    split_shape = g.constant_node([0, -1, heads, head_dim])

    def heads_of(t):
        return g.op("Transpose", [g.op("Reshape", [t, split_shape])], perm=[0, 2, 1, 3])

    q, k, v = (heads_of(g.linear(h, dim, dim)) for _ in range(3))
    scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                          g.const(1.0 / np.sqrt(head_dim), "scale")])
    attention = g.op("MatMul", [g.softmax_last(scores, 4), v])
    merged = g.op("Reshape", [g.op("Transpose", [attention], perm=[0, 2, 1, 3]),
                              g.constant_node([0, -1, dim])])
    x = g.op("Add", [sequence, g.linear(merged, dim, dim)], "residual")
    mlp = g.linear(g.gelu(g.linear(g.layer_norm(x, dim), dim, 2 * dim)), 2 * dim, dim)
    x = g.op("Add", [x, mlp], "residual")
    logits = g.linear(g.layer_norm(x, dim), dim, classes)
    g.softmax_last(logits, 3)
    g.nodes[-1].output[0] = "probabilities"
    return g.model("crnn", [image_input(height=32)],
                   [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                                  ["batch", "time", classes])])


BUILDERS = {"mobilenet_v3": mobilenet_v3, "dbnet": dbnet, "crnn": crnn}
# A --shape that each model compiles with (batch 1, a width that is not square).
EXAMPLE_SHAPES = {"mobilenet_v3": "x=1x3x96x128", "dbnet": "x=1x3x64x96", "crnn": "x=1x3x32x128"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(BUILDERS))
    parser.add_argument("-o", "--output", required=True, help="where to write the .onnx file")
    parser.add_argument("--opset", type=int, default=13, help="ai.onnx opset whose forms to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true",
                        help="run it once in ONNX Runtime at its example shape")
    args = parser.parse_args(argv)
    model = BUILDERS[args.model](opset=args.opset, seed=args.seed)
    onnx.save(model, args.output)
    if args.check:
        import onnxruntime as ort
        shape = [int(d) for d in EXAMPLE_SHAPES[args.model].split("=")[1].split("x")]
        session = ort.InferenceSession(args.output, providers=["CPUExecutionProvider"])
        out = session.run(None, {"x": np.random.default_rng(1).standard_normal(shape).astype(np.float32)})
        print(f"{args.model} (opset {args.opset}): outputs {[o.shape for o in out]}, "
              f"finite {all(np.isfinite(o).all() for o in out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
