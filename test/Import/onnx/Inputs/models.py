"""ONNX models for the importer's lit tests: `models.py <case> <output.onnx>`."""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(0)


def tensor(name, *shape):
    return numpy_helper.from_array(RNG.standard_normal(shape).astype(np.float32), name)


def model(nodes, inputs, outputs, initializers=(), opset=21, check=True):
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    if check:
        onnx.checker.check_model(m)
    return m


def value(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def mlp():
    """MatMul + Add + Relu + Gemm(transB) with bias: two linear layers."""
    return model(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Add", ["h", "b1"], ["h2"], name="fc1.bias"),
         helper.make_node("Relu", ["h2"], ["h3"], name="act"),
         helper.make_node("Gemm", ["h3", "w2", "b2"], ["y"], name="fc2", transB=1)],
        [value("x", [4, 64])], [value("y", [4, 32])],
        [tensor("w1", 64, 128), tensor("b1", 128), tensor("w2", 32, 128), tensor("b2", 32)])


def cnn():
    """Conv (padded, biased) + Relu, a strided Conv, a grouped dilated Conv,
    GlobalAveragePool, Flatten and Gemm: [2, 3, 10, 10] -> [2, 10]."""
    return model(
        [helper.make_node("Conv", ["x", "c1w", "c1b"], ["a1"], name="conv1", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["a1"], ["r1"], name="relu1"),
         helper.make_node("Conv", ["r1", "c2w"], ["a2"], name="conv2", strides=[2, 2], pads=[1, 0, 1, 1],
                          kernel_shape=[3, 3]),
         helper.make_node("Relu", ["a2"], ["r2"], name="relu2"),
         helper.make_node("Conv", ["r2", "c3w", "c3b"], ["a3"], name="conv3", group=4, dilations=[2, 2],
                          pads=[2, 2, 2, 2]),
         helper.make_node("GlobalAveragePool", ["a3"], ["p"], name="pool"),
         helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
         helper.make_node("Gemm", ["f", "fcw", "fcb"], ["y"], name="fc", transB=1)],
        [value("x", [2, 3, 10, 10])], [value("y", [2, 10])],
        [tensor("c1w", 8, 3, 3, 3), tensor("c1b", 8), tensor("c2w", 12, 8, 3, 3),
         tensor("c3w", 12, 3, 3, 3), tensor("c3b", 12), tensor("fcw", 10, 12), tensor("fcb", 10)])


def conv_bn():
    """Conv + BatchNormalization (inference) + Relu; the Conv output also
    feeds an Add, so the unfolded convolution must stay for it."""
    return model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name="bn",
                          epsilon=1e-3),
         helper.make_node("Relu", ["n"], ["y"], name="relu"),
         helper.make_node("Add", ["c", "c"], ["z"], name="twice")],
        [value("x", [1, 3, 6, 6])], [value("y", [1, 4, 6, 6]), value("z", [1, 4, 6, 6])],
        [tensor("w", 4, 3, 3, 3), tensor("b", 4), tensor("gamma", 4), tensor("beta", 4), tensor("mean", 4),
         numpy_helper.from_array(RNG.uniform(0.5, 2.0, 4).astype(np.float32), "var")])


def elementwise():
    """Every elementwise op, broadcasting a [3] and a scalar against [2, 3]."""
    ops = [("Sqrt", 1), ("Reciprocal", 1), ("Neg", 1), ("Exp", 1), ("Log", 1), ("Abs", 1),
           ("Sigmoid", 1), ("Tanh", 1), ("Erf", 1), ("Relu", 1), ("LeakyRelu", 1), ("Elu", 1),
           ("HardSigmoid", 1), ("HardSwish", 1), ("Gelu", 1), ("Add", 2), ("Sub", 2), ("Mul", 2),
           ("Div", 2), ("Pow", 2)]
    nodes, outputs = [], []
    for op, arity in ops:
        inputs = ["x"] if arity == 1 else ["x", "row"]
        nodes.append(helper.make_node(op, inputs, [op.lower()], name=op.lower()))
        outputs.append(value(op.lower(), [2, 3]))
    nodes.append(helper.make_node("Clip", ["x", "lo", "hi"], ["clip"], name="clip"))
    outputs.append(value("clip", [2, 3]))
    return model(nodes, [value("x", [2, 3]), value("row", [3])], outputs,
                 [numpy_helper.from_array(np.array(-1.0, np.float32), "lo"),
                  numpy_helper.from_array(np.array(1.0, np.float32), "hi")])


def batched_matmul():
    """[2, 1, 4, 8] x [3, 8, 5]: batch dimensions broadcast to [2, 3]."""
    return model([helper.make_node("MatMul", ["a", "b"], ["y"], name="bmm")],
                 [value("a", [2, 1, 4, 8]), value("b", [3, 8, 5])], [value("y", [2, 3, 4, 5])])


def symbolic():
    return model([helper.make_node("Relu", ["x"], ["y"], name="act")],
                 [value("x", ["batch", 16])], [value("y", ["batch", 16])])


def unsupported():
    return model([helper.make_node("Einsum", ["x", "x"], ["y"], name="contract", equation="ij,ij->i")],
                 [value("x", [2, 3])], [value("y", [2])])


def several_unsupported():
    """Three nodes of two ops that do not import, and two that do."""
    nodes = [helper.make_node("Einsum", ["x", "x"], ["a"], name="contract1", equation="ij,ij->i"),
             helper.make_node("Relu", ["a"], ["b"], name="act"),
             helper.make_node("Einsum", ["x", "x"], ["c"], name="contract2", equation="ij,ij->i"),
             helper.make_node("Add", ["b", "c"], ["d"], name="sum"),
             helper.make_node("Hardmax", ["d"], ["y"], name="pick")]
    return model(nodes, [value("x", [2, 3])], [value("y", [2])])


def missing_initializer():
    return model([helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")],
                 [value("x", [2, 3])], [value("y", [2, 4])], check=False)


def old_opset():
    return model([helper.make_node("Gemm", ["x", "w"], ["y"], name="fc")],
                 [value("x", [2, 3])], [value("y", [2, 4])], [tensor("w", 3, 4)], opset=6,
                 check=False)


def bad_initializer():
    t = tensor("w", 3, 4)
    t.raw_data = t.raw_data[:20]  # 5 floats where 12 are needed
    return model([helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")],
                 [value("x", [2, 3])], [value("y", [2, 4])], [t], check=False)


def broadcast_error():
    return model([helper.make_node("Add", ["x", "z"], ["y"], name="sum")],
                 [value("x", [2, 3]), value("z", [4])], [value("y", [2, 3])], check=False)


def split_without_outputs():
    """A Split with no outputs (the fuzzer's: it divided by the output count)."""
    return model([helper.make_node("Split", ["x"], [], name="cut", axis=1),
                  helper.make_node("Relu", ["x"], ["y"], name="act")],
                 [value("x", [2, 4])], [value("y", [2, 4])], check=False)


def norms():
    """Four spellings of a norm over the last dimension and one look-alike:
    RMSNormalization-23, LayerNormalization-17, RMSNorm as Hugging Face
    exports it (Pow, ReduceMean, Add, Sqrt, Div, Mul), LayerNorm as older
    exporters decompose it (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div,
    Mul, Add), then x / (mean|x| + eps), which is not a norm."""
    axes = const("axes", np.array([-1], np.int64))
    two = const("two", np.array(2.0, np.float32))
    eps = const("eps", np.array(1e-6, np.float32))
    gains = [numpy_helper.from_array((1.0 + 0.25 * RNG.standard_normal(32)).astype(np.float32), f"g{i}")
             for i in range(4)]
    return model(
        [helper.make_node("RMSNormalization", ["x", "g0"], ["a"], name="rms23", epsilon=1e-5),
         helper.make_node("LayerNormalization", ["a", "g1", "b1"], ["b"], name="ln17", epsilon=1e-5),
         helper.make_node("Pow", ["b", "two"], ["b2"], name="hf.pow"),
         helper.make_node("ReduceMean", ["b2", "axes"], ["bm"], name="hf.mean"),
         helper.make_node("Add", ["bm", "eps"], ["bme"], name="hf.add"),
         helper.make_node("Sqrt", ["bme"], ["brms"], name="hf.sqrt"),
         helper.make_node("Div", ["b", "brms"], ["bn"], name="hf.div"),
         helper.make_node("Mul", ["bn", "g2"], ["c"], name="hf.gain"),
         helper.make_node("ReduceMean", ["c", "axes"], ["cm"], name="ln.mean"),
         helper.make_node("Sub", ["c", "cm"], ["cc"], name="ln.center"),
         helper.make_node("Pow", ["cc", "two"], ["cc2"], name="ln.pow"),
         helper.make_node("ReduceMean", ["cc2", "axes"], ["cv"], name="ln.var"),
         helper.make_node("Add", ["cv", "eps"], ["cve"], name="ln.add"),
         helper.make_node("Sqrt", ["cve"], ["cs"], name="ln.sqrt"),
         helper.make_node("Div", ["cc", "cs"], ["cn"], name="ln.div"),
         helper.make_node("Mul", ["cn", "g3"], ["cg"], name="ln.gain"),
         helper.make_node("Add", ["cg", "b3"], ["d"], name="ln.bias"),
         helper.make_node("Abs", ["d"], ["da"], name="l1.abs"),
         helper.make_node("ReduceMean", ["da", "axes"], ["dm"], name="l1.mean"),
         helper.make_node("Add", ["dm", "eps"], ["dme"], name="l1.add"),
         helper.make_node("Div", ["d", "dme"], ["y"], name="l1.div")],
        [value("x", [2, 5, 32])], [value("y", [2, 5, 32])],
        gains + [tensor("b1", 32), tensor("b3", 32), axes, two, eps], opset=23)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def shape_ops():
    """Shape subgraphs (folded at import) and data movement on tensors."""
    n = helper.make_node
    nodes = [
        # Shape -> Gather -> Unsqueeze -> Concat -> Reshape: x [2, 3, 4] -> [2, 12]
        n("Shape", ["x"], ["s"], name="shape"),
        n("Gather", ["s", "zero"], ["s0"], name="dim0", axis=0),
        n("Unsqueeze", ["s0", "axes0"], ["s0v"], name="dim0_vec"),
        n("Concat", ["s0v", "minus1"], ["target"], name="target", axis=0),
        n("Reshape", ["x", "target"], ["reshaped"], name="reshape"),
        n("Transpose", ["x"], ["transposed"], name="transpose", perm=[2, 0, 1]),
        n("Slice", ["x", "starts", "ends", "axes12", "steps"], ["sliced"], name="slice"),
        n("Split", ["x", "halves"], ["part0", "part1"], name="split", axis=2),
        n("Gather", ["x", "gidx"], ["gathered"], name="gather", axis=1),
        n("Concat", ["x", "x"], ["joined"], name="concat", axis=1),
        n("Expand", ["column", "shape234"], ["expanded"], name="expand"),
        n("Tile", ["x", "repeats"], ["tiled"], name="tile"),
        n("Greater", ["x", "zerof"], ["positive"], name="greater"),
        n("Neg", ["x"], ["negx"], name="neg"),
        n("Where", ["positive", "x", "negx"], ["absx"], name="where"),
        n("Cast", ["x"], ["xi"], name="to_int", to=TensorProto.INT64),
        n("Cast", ["xi"], ["xr"], name="to_float", to=TensorProto.FLOAT),
        n("Trilu", ["square"], ["upper"], name="triu", upper=1),
        n("Trilu", ["square", "one"], ["lower"], name="tril", upper=0),
        n("ConstantOfShape", ["s"], ["filled"], name="fill",
          value=numpy_helper.from_array(np.array([0.5], np.float32))),
        n("Add", ["x", "filled"], ["shifted"], name="shift"),
        n("Range", ["r0", "r1", "r2"], ["steps_i"], name="range"),
        n("Cast", ["steps_i"], ["steps_f"], name="range_float", to=TensorProto.FLOAT),
        n("Mul", ["x", "steps_f"], ["ramp"], name="ramp"),
        n("Less", ["x", "zerof"], ["negative"], name="less"),
        n("Not", ["negative"], ["nonneg"], name="not"),
        n("And", ["nonneg", "positive"], ["strict"], name="and"),
        n("Cast", ["strict"], ["strictf"], name="bool_float", to=TensorProto.FLOAT),
        n("Flatten", ["x"], ["flat"], name="flatten", axis=2),
        n("Unsqueeze", ["x", "axes0"], ["x4"], name="unsqueeze"),
        n("Squeeze", ["x4", "axes0"], ["x3"], name="squeeze"),
        n("ReduceMean", ["x", "axes2"], ["mean"], name="mean", keepdims=0),
        n("ReduceSum", ["x", "axes12"], ["sum"], name="sum"),
        n("ReduceMax", ["x"], ["max"], name="max", keepdims=0),
        n("ReduceMin", ["x", "axes0"], ["min"], name="min"),
        n("LogSoftmax", ["x"], ["logp"], name="logsoftmax", axis=1),
    ]
    initializers = [
        const("zero", np.array(0, np.int64)), const("axes0", np.array([0], np.int64)),
        const("minus1", np.array([-1], np.int64)), const("starts", np.array([1, 0], np.int64)),
        const("ends", np.array([3, 100], np.int64)), const("axes12", np.array([1, 2], np.int64)),
        const("steps", np.array([1, 2], np.int64)), const("halves", np.array([1, 3], np.int64)),
        const("gidx", np.array([[0, 2], [-1, 1]], np.int64)),
        const("column", np.array([[1.0], [2.0], [3.0]], np.float32)),
        const("shape234", np.array([2, 3, 4], np.int64)), const("repeats", np.array([1, 2, 1], np.int64)),
        const("zerof", np.array(0.0, np.float32)), const("one", np.array(1, np.int64)),
        const("r0", np.array(0, np.int64)), const("r1", np.array(4, np.int64)),
        const("r2", np.array(1, np.int64)), const("axes2", np.array([2], np.int64)),
    ]
    outputs = ["reshaped", "transposed", "sliced", "part0", "part1", "gathered", "joined", "expanded",
               "tiled", "absx", "xr", "upper", "lower", "shifted", "ramp", "strictf", "flat", "x3",
               "mean", "sum", "max", "min", "logp"]
    graph = helper.make_graph(nodes, "shape_ops",
                              [value("x", [2, 3, 4]), value("square", [4, 4])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              initializers)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    # Output shapes are left to inference; the checker wants them declared.
    return onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)


CASES = {f.__name__: f for f in [shape_ops, mlp, cnn, conv_bn, elementwise, batched_matmul, symbolic, unsupported, several_unsupported,
                                 missing_initializer, old_opset, bad_initializer, broadcast_error, split_without_outputs, norms]}

if __name__ == "__main__":
    onnx.save(CASES[sys.argv[1]](), sys.argv[2])
