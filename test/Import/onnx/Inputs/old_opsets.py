"""The older forms of ops, one small model each, compiled by qopt and
compared with ONNX Runtime on random inputs (and the shapes they give).

    python old_opsets.py <qopt> <workdir>

Prints `<case>: ok <relative error>` or `<case>: FAIL <why>` per case, then
a count; exits 1 on any failure.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "python"))
from qopt.check_against_ort import compare  # noqa: E402

rng = np.random.default_rng(0)


def value(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def floats(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def ints(name, array):
    return numpy_helper.from_array(np.asarray(array, np.int64), name)


def case(opset, nodes, shape=(1, 3, 7, 9), initializers=(), outputs=("y",)):
    graph = helper.make_graph(nodes, "case", [value("x", list(shape))],
                              [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None)
                               for o in outputs], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = helper.find_min_ir_version_for(model.opset_import)
    # Output types from inference, as an exporter writes them (float where
    # the inference of an old version leaves one open).
    model = onnx.shape_inference.infer_shapes(model)
    for output in model.graph.output:
        if output.type.tensor_type.elem_type == TensorProto.UNDEFINED:
            output.type.tensor_type.elem_type = TensorProto.FLOAT
    return model


def node(op, inputs, outputs=("y",), **attributes):
    return helper.make_node(op, list(inputs), list(outputs), name=f"{op.lower()}0", **attributes)


CASES = {
    "slice-1 attributes": case(9, [node("Slice", ["x"], starts=[1, -3], ends=[6, 2**62], axes=[2, 3])]),
    "pad-2 reflect": case(9, [node("Pad", ["x"], mode="reflect", pads=[0, 0, 1, 2, 0, 0, 2, 1])]),
    "pad-2 constant value": case(10, [node("Pad", ["x"], pads=[0, 1, 1, 0, 0, 0, 2, 3], value=1.5)]),
    "clip-6 attributes": case(9, [node("Clip", ["x"], min=-0.5, max=0.75)]),
    "softmax-11 axis 1 (2-D coerced)": case(11, [node("Softmax", ["x"], axis=1)]),
    "softmax-1 default axis": case(9, [node("Softmax", ["x"])]),
    "logsoftmax-11 axis 2": case(11, [node("LogSoftmax", ["x"], axis=2)]),
    "split-2 attribute": case(9, [node("Split", ["x"], ["a", "b"], axis=3, split=[4, 5])],
                              outputs=("a", "b")),
    "split-11 equal parts": case(11, [node("Split", ["x"], ["a", "b", "c"], axis=1)],
                                 outputs=("a", "b", "c")),
    "batchnorm-7 spatial 0": case(7, [node("BatchNormalization", ["x", "s", "b", "m", "v"], spatial=0)],
                                  initializers=[floats("s", 1 + 0.1 * rng.standard_normal((3, 7, 9))),
                                                floats("b", rng.standard_normal((3, 7, 9))),
                                                floats("m", rng.standard_normal((3, 7, 9))),
                                                floats("v", 1 + rng.random((3, 7, 9)))]),
    "batchnorm-9": case(9, [node("BatchNormalization", ["x", "s", "b", "m", "v"], epsilon=1e-3)],
                        initializers=[floats("s", [1, 2, 3]), floats("b", [0, 1, 2]),
                                      floats("m", [0.5, 0, -0.5]), floats("v", [1, 2, 0.5])]),
    "upsample-7 nearest": case(7, [node("Upsample", ["x"], mode="nearest", scales=[1.0, 1.0, 2.0, 3.0])]),
    "upsample-9 linear": case(9, [node("Upsample", ["x", "s"], mode="linear")],
                              initializers=[floats("s", [1, 1, 2, 2])]),
    "resize-10 nearest down": case(10, [node("Resize", ["x", "s"], mode="nearest")],
                                   initializers=[floats("s", [1, 1, 0.5, 0.6])]),
    "resize-10 linear up": case(10, [node("Resize", ["x", "s"], mode="linear")],
                                initializers=[floats("s", [1, 1, 2, 1.5])]),
    "resize-11 tf_half_pixel_for_nn": case(11, [node("Resize", ["x", "roi", "s"], mode="nearest",
                                                     coordinate_transformation_mode="tf_half_pixel_for_nn")],
                                           initializers=[floats("roi", []), floats("s", [1, 1, 2, 1.5])]),
    "resize-11 align_corners sizes": case(11, [node("Resize", ["x", "roi", "s", "sizes"], mode="linear",
                                                    coordinate_transformation_mode="align_corners")],
                                          initializers=[floats("roi", []), floats("s", []),
                                                        ints("sizes", [1, 3, 13, 5])]),
    "convtranspose output_shape": case(11, [node("ConvTranspose", ["x", "w"], kernel_shape=[3, 3],
                                                 strides=[2, 2], output_shape=[12, 18])],
                                       initializers=[floats("w", rng.standard_normal((3, 2, 3, 3)))]),
    "convtranspose output_shape cropped": case(11, [node("ConvTranspose", ["x", "w"], kernel_shape=[3, 3],
                                                         strides=[2, 2], output_shape=[14, 18])],
                                               initializers=[floats("w", rng.standard_normal((3, 2, 3, 3)))]),
    "convtranspose output_shape same_upper": case(11, [node("ConvTranspose", ["x", "w"], kernel_shape=[3, 3],
                                                            strides=[2, 2], output_shape=[14, 18],
                                                            auto_pad="SAME_UPPER")],
                                                  initializers=[floats("w", rng.standard_normal((3, 2, 3, 3)))]),
    "dropout-7 with mask": case(7, [node("Dropout", ["x"], ["y", "mask"], ratio=0.3)], outputs=("y", "mask")),
    "dropout-10 with mask": case(10, [node("Dropout", ["x"], ["y", "mask"])], outputs=("y", "mask")),
    "dropout-12 ratio input": case(12, [node("Dropout", ["x", "r"], ["y", "mask"])],
                                   initializers=[floats("r", 0.5)], outputs=("y", "mask")),
    "max-8 broadcast": case(9, [node("Max", ["x", "c", "d"])],
                            initializers=[floats("c", rng.standard_normal((7, 1))),
                                          floats("d", rng.standard_normal(9))]),
    "mean-8 variadic": case(8, [node("Mean", ["x", "x", "c"])], initializers=[floats("c", [0.5])]),
    "prelu-9 per channel": case(9, [node("PRelu", ["x", "slope"])],
                                initializers=[floats("slope", [[[0.1]], [[0.2]], [[-0.3]]])]),
    "argmax-11 keepdims 0": case(11, [node("ArgMax", ["x"], axis=-1, keepdims=0)]),
    "argmin-12 select last": case(12, [node("Round", ["x"], ["r"]), node("ArgMin", ["r"], axis=1,
                                                                          select_last_index=1)]),
    "instancenorm-6": case(9, [node("InstanceNormalization", ["x", "s", "b"], epsilon=1e-4)],
                           initializers=[floats("s", [1, 0.5, 2]), floats("b", [0, 1, -1])]),
    "reduce-11 negative axes": case(11, [node("ReduceMean", ["x"], axes=[-1, 1], keepdims=0)]),
    "squeeze-11 negative axes": case(11, [node("Unsqueeze", ["x"], ["u"], axes=[-1]),
                                          node("Squeeze", ["u"], axes=[-1])]),
    "activations": case(9, [node("Softplus", ["x"], ["a"]), node("Softsign", ["a"], ["b"]),
                            node("Selu", ["b"], ["c"]), node("Sign", ["x"], ["d"]),
                            node("Mul", ["c", "d"], ["e"]), node("Floor", ["e"], ["f"]),
                            node("Ceil", ["x"], ["g"]), node("Sum", ["f", "g", "x"], ["y"])]),
}


def main():
    qopt, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    failures = 0
    for index, (name, model) in enumerate(CASES.items()):
        path = os.path.join(workdir, f"case{index}.onnx")
        onnx.save(model, path)
        result = subprocess.run([qopt, "compile", path, "-o", path[:-5]], capture_output=True, text=True)
        if result.returncode != 0:
            print(f"{name}: FAIL compile: {result.stderr.strip()[:300]}")
            failures += 1
            continue
        outputs = compare(path, path[:-5], {})
        error = max(o.get("relative_error", float("inf")) for o in outputs)
        ok = error <= 1e-5
        failures += not ok
        print(f"{name}: {'ok' if ok else 'FAIL'} {error:.3g}" + ("" if ok else f" {outputs}"))
    print(f"{len(CASES) - failures} of {len(CASES)} old-opset cases agree with ONNX Runtime")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
