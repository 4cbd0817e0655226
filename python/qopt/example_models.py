"""Small ONNX models built from scratch for examples and tests.

    python -m qopt.example_models tiny_mlp -o tiny_mlp.onnx [--check]

`--check` runs the model once in ONNX Runtime, so a model that this module
writes is known to be valid and executable, not just well-formed.
"""

import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 21


def tiny_mlp(seed: int = 0) -> onnx.ModelProto:
    """A 2-layer MLP block with a pre-LayerNorm and a softmax head:
    x[1, 8, 64] -> LayerNorm -> MatMul(64x128) + b -> Relu -> Gemm-free
    MatMul(128x64) + b -> residual Add -> MatMul(64x16) -> Softmax."""
    rng = np.random.default_rng(seed)
    dim, hidden, classes = 64, 128, 16

    def weight(name, *shape):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32), name)

    initializers = [
        numpy_helper.from_array(np.ones(dim, np.float32), "ln.gamma"),
        numpy_helper.from_array(np.zeros(dim, np.float32), "ln.beta"),
        weight("fc1.weight", dim, hidden),
        numpy_helper.from_array(np.zeros(hidden, np.float32), "fc1.bias"),
        weight("fc2.weight", hidden, dim),
        numpy_helper.from_array(np.zeros(dim, np.float32), "fc2.bias"),
        weight("head.weight", dim, classes),
    ]
    nodes = [
        helper.make_node("LayerNormalization", ["x", "ln.gamma", "ln.beta"], ["h0"],
                         name="ln", axis=-1, epsilon=1e-5),
        helper.make_node("MatMul", ["h0", "fc1.weight"], ["h1"], name="fc1.matmul"),
        helper.make_node("Add", ["h1", "fc1.bias"], ["h2"], name="fc1.add"),
        helper.make_node("Relu", ["h2"], ["h3"], name="fc1.relu"),
        helper.make_node("MatMul", ["h3", "fc2.weight"], ["h4"], name="fc2.matmul"),
        helper.make_node("Add", ["h4", "fc2.bias"], ["h5"], name="fc2.add"),
        helper.make_node("Add", ["x", "h5"], ["h6"], name="residual"),
        helper.make_node("MatMul", ["h6", "head.weight"], ["h7"], name="head.matmul"),
        helper.make_node("Softmax", ["h7"], ["y"], name="head.softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8, dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8, classes])],
        initializers)
    model = helper.make_model(graph, producer_name="qopt.example_models",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    return model


def resnet18(seed: int = 0, image_size: int = 224, classes: int = 1000) -> onnx.ModelProto:
    """ResNet-18 (He et al. 2015, torchvision's layout): 7x7/2 stem conv, BN,
    ReLU, 3x3/2 max pool, four stages of two basic blocks (64, 128, 256, 512
    channels; 1x1/2 projection shortcuts), global average pool, 1000-way
    Gemm. Random He-initialized weights and non-trivial BatchNorm statistics:
    the architecture and op mix of the real network, not its accuracy."""
    rng = np.random.default_rng(seed)
    nodes, initializers = [], []

    def add(name, array):
        initializers.append(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    def conv_bn(x, name, cin, cout, kernel, stride, relu=True):
        w = rng.standard_normal((cout, cin, kernel, kernel)) * np.sqrt(2.0 / (cin * kernel * kernel))
        nodes.append(helper.make_node("Conv", [x, add(f"{name}.weight", w)], [f"{name}.conv"],
                                      name=f"{name}.conv", kernel_shape=[kernel, kernel],
                                      strides=[stride, stride], pads=[kernel // 2] * 4))
        nodes.append(helper.make_node(
            "BatchNormalization",
            [f"{name}.conv", add(f"{name}.bn.scale", 1 + 0.1 * rng.standard_normal(cout)),
             add(f"{name}.bn.bias", 0.1 * rng.standard_normal(cout)),
             add(f"{name}.bn.mean", 0.1 * rng.standard_normal(cout)),
             add(f"{name}.bn.var", 1 + 0.1 * rng.random(cout))],
            [f"{name}.bn"], name=f"{name}.bn", epsilon=1e-5))
        if not relu:
            return f"{name}.bn"
        nodes.append(helper.make_node("Relu", [f"{name}.bn"], [f"{name}.relu"], name=f"{name}.relu"))
        return f"{name}.relu"

    x = conv_bn("image", "stem", 3, 64, 7, 2)
    nodes.append(helper.make_node("MaxPool", [x], ["stem.pool"], name="stem.pool",
                                  kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = "stem.pool", 64
    for stage, cout in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            name = f"layer{stage}.{block}"
            stride = 2 if stage > 1 and block == 0 else 1
            y = conv_bn(x, f"{name}.conv1", cin, cout, 3, stride)
            y = conv_bn(y, f"{name}.conv2", cout, cout, 3, 1, relu=False)
            shortcut = x
            if stride != 1 or cin != cout:
                shortcut = conv_bn(x, f"{name}.downsample", cin, cout, 1, stride, relu=False)
            nodes.append(helper.make_node("Add", [y, shortcut], [f"{name}.add"], name=f"{name}.add"))
            nodes.append(helper.make_node("Relu", [f"{name}.add"], [f"{name}.out"], name=f"{name}.out"))
            x, cin = f"{name}.out", cout
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"], name="avgpool"))
    nodes.append(helper.make_node("Flatten", ["pool"], ["features"], name="flatten", axis=1))
    fc = rng.standard_normal((classes, 512)) / np.sqrt(512)
    nodes.append(helper.make_node("Gemm", ["features", add("fc.weight", fc), add("fc.bias", np.zeros(classes))],
                                  ["logits"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "resnet18",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, image_size, image_size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])], initializers)
    model = helper.make_model(graph, producer_name="qopt.example_models",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


BUILDERS = {"tiny_mlp": tiny_mlp, "resnet18": resnet18}


def run_in_onnxruntime(path: str) -> None:
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {}
    for value in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in value.shape]
        feeds[value.name] = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    outputs = session.run(None, feeds)
    if not all(np.isfinite(o).all() for o in outputs):
        raise RuntimeError(f"{path}: ONNX Runtime produced non-finite outputs")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(BUILDERS))
    parser.add_argument("-o", "--output", required=True, help="where to write the .onnx file")
    parser.add_argument("--check", action="store_true", help="run it once in ONNX Runtime")
    parser.add_argument("--image-size", type=int, default=224, help="resnet18 input size")
    args = parser.parse_args(argv)
    builder = BUILDERS[args.model]
    model = builder(image_size=args.image_size) if args.model == "resnet18" else builder()
    onnx.save(model, args.output)
    if args.check:
        run_in_onnxruntime(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
