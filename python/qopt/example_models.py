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


BUILDERS = {"tiny_mlp": tiny_mlp}


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
    args = parser.parse_args(argv)
    onnx.save(BUILDERS[args.model](), args.output)
    if args.check:
        run_in_onnxruntime(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
