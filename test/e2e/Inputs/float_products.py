"""Float matrix products and convolutions on odd shapes, compiled by qopt and
compared with ONNX Runtime: the generated GEMM (qopt-float-kernel-calls) has
tails in every tiled dimension here (M not a multiple of the row tile, N not
a multiple of 16 or 32, K odd), batches with one operand shared, strided,
dilated and padded convolutions, rows split into blocks with a shorter last one
(few column tiles), depthwise convolutions (3x3, 5x5, strides 1 and 2, dilations,
tails of the 16-wide rows), 1x1 convolutions read directly, an
attention block (QK^T, softmax, P V), and activations after each kind of
kernel that become its epilogue (HardSwish in both ONNX forms, Sigmoid,
ReLU6 as Clip, LeakyRelu, GELU through Erf, Tanh; residual adds).

    float_products.py QOPT WORKDIR [qopt compile options...]

Prints "<case>: relative error E ok|FAIL kernels: N" per case. Unless
--reference-kernels is among the options, each case must also have been
compiled through the generated GEMM or depthwise kernel (N of them appear in
the LLVM IR).
With a --recipe among the options (quantized convolutions and linears), the
reference is the same recipe's --reference-kernels build instead of ONNX
Runtime.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from qopt.check_against_ort import compare, random_inputs, run_executable  # noqa: E402

RNG = np.random.default_rng(7)


def weight(name, *shape):
    return numpy_helper.from_array((RNG.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32), name)


def model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def activation_nodes(kind, x, y):
    """`y` = the activation `kind` of `x`, as exporters write it."""
    if kind == "HardSigmoidMul":  # HardSwish before opset 14
        return [helper.make_node("HardSigmoid", [x], [x + "_hs"], alpha=1 / 6, beta=0.5),
                helper.make_node("Mul", [x, x + "_hs"], [y])]
    if kind == "Clip6":  # ReLU6
        return [helper.make_node("Clip", [x, "zero", "six"], [y])]
    if kind == "GeluErf":  # x * 0.5 * (1 + erf(x / sqrt(2)))
        return [helper.make_node("Div", [x, "sqrt2"], [x + "_s"]), helper.make_node("Erf", [x + "_s"], [x + "_e"]),
                helper.make_node("Add", [x + "_e", "one"], [x + "_a"]), helper.make_node("Mul", [x, x + "_a"], [x + "_m"]),
                helper.make_node("Mul", [x + "_m", "half"], [y])]
    if kind == "LeakyRelu":
        return [helper.make_node("LeakyRelu", [x], [y], alpha=0.1)]
    return [helper.make_node(kind, [x], [y])]


def activation_constants(kind):
    """The scalar initializers `activation_nodes(kind, ...)` reads."""
    names = {"Clip6": ("zero", "six"), "GeluErf": ("sqrt2", "one", "half")}.get(kind, ())
    values = {"zero": 0.0, "six": 6.0, "sqrt2": np.sqrt(2.0), "one": 1.0, "half": 0.5}
    return [numpy_helper.from_array(np.array(values[n], np.float32), n) for n in names]


def linear(m_shape, k, n, bias=True, activation=None, residual=False):
    """x W (+ b) (+ x: residual, n = k) (then the activation)."""
    out = "z" if activation else "y"
    product = "xw" if bias or residual else out
    nodes = [helper.make_node("MatMul", ["x", "w"], [product])]
    inits = [weight("w", k, n)]
    if bias:
        nodes.append(helper.make_node("Add", [product, "b"], ["xwb" if residual else out]))
        inits.append(weight("b", n))
        product = "xwb"
    if residual:
        nodes.append(helper.make_node("Add", ["x", product], [out]))
    if activation:
        nodes += activation_nodes(activation, out, "y")
    return model(nodes, [("x", list(m_shape) + [k])], ["y"], inits + activation_constants(activation))


def gemm_trans_b(m, k, n):
    return model([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], [("x", [m, k])], ["y"],
                 [weight("w", n, k), weight("b", n)])


def batched(a_shape, b_shape):
    return model([helper.make_node("MatMul", ["a", "b"], ["y"])], [("a", a_shape), ("b", b_shape)], ["y"])


def conv(x_shape, w_shape, bias=True, relu=False, activation=None, residual=False, **attributes):
    """Conv (+ x: a residual block's add, same shape) (then the activation)."""
    inputs = ["x", "w"] + (["b"] if bias else [])
    activation = "Relu" if relu else activation
    out = "c" if activation else "y"
    nodes = [helper.make_node("Conv", inputs, ["conv" if residual else out], **attributes)]
    if residual:
        nodes.append(helper.make_node("Add", ["conv", "x"], [out]))
    if activation:
        nodes += activation_nodes(activation, "c", "y")
    inits = [weight("w", *w_shape)] + ([weight("b", w_shape[0])] if bias else [])
    return model(nodes, [("x", x_shape)], ["y"], inits + activation_constants(activation))


def attention(heads, seq, head_dim):
    nodes = [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["s"]),
        helper.make_node("Mul", ["s", "scale"], ["ss"]),
        helper.make_node("Softmax", ["ss"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "v"], ["y"]),
    ]
    shape = [1, heads, seq, head_dim]
    scale = numpy_helper.from_array(np.array(head_dim ** -0.5, np.float32), "scale")
    return model(nodes, [("q", shape), ("k", shape), ("v", shape)], ["y"], [scale])


CASES = {
    "linear_m3_k77_n40": lambda: linear([3], 77, 40),
    "linear_m1_k100_n17": lambda: linear([1], 100, 17),
    "linear_m2_k64_n70": lambda: linear([2], 64, 70, bias=False),
    "linear_2x9_k33_n65": lambda: linear([2, 9], 33, 65),
    "gemm_m19_k31_n96": lambda: gemm_trans_b(19, 31, 96),
    "linear_k_blocks_m20_k1100_n70": lambda: linear([20], 1100, 70),
    "bmm_k_blocks_2x13x1030_x_2x1030x20": lambda: batched([2, 13, 1030], [2, 1030, 20]),
    "bmm_3x5x19_x_3x19x37": lambda: batched([3, 5, 19], [3, 19, 37]),
    "matmul_4d_x_2d_input_2x3x7x16_x_16x33": lambda: batched([2, 3, 7, 16], [16, 33]),
    "bmm_broadcast_b_2x3x7x16_x_3x16x33": lambda: batched([2, 3, 7, 16], [3, 16, 33]),
    "bmm_broadcast_a_3x7x16_x_2x3x16x33": lambda: batched([3, 7, 16], [2, 3, 16, 33]),
    "conv3x3_pad1_bias": lambda: conv([2, 5, 11, 13], [7, 5, 3, 3], pads=[1, 1, 1, 1]),
    "conv_strided_dilated": lambda: conv([1, 3, 17, 19], [6, 3, 3, 5], strides=[2, 1], dilations=[1, 2],
                                         pads=[1, 2, 0, 1]),
    "conv_rows_in_blocks_f50_7x7": lambda: conv([1, 20, 7, 7], [50, 20, 3, 3], pads=[1, 1, 1, 1]),
    "conv_direct_wide_rows_70": lambda: conv([1, 3, 20, 70], [5, 3, 3, 3], pads=[1, 1, 1, 1]),
    "conv_direct_stride2_relu_2x4x33x60": lambda: conv([2, 4, 33, 60], [13, 4, 3, 3], relu=True, strides=[2, 2],
                                                       pads=[1, 1, 1, 1]),
    "conv_direct_7x7_stride2": lambda: conv([1, 3, 21, 60], [8, 3, 7, 7], strides=[2, 2], pads=[3, 3, 3, 3]),
    "conv_direct_rows_grouped_14": lambda: conv([1, 6, 14, 14], [9, 6, 3, 3], bias=False, pads=[1, 1, 1, 1]),
    "conv_direct_dilated_40": lambda: conv([1, 5, 19, 40], [7, 5, 3, 3], dilations=[2, 2], pads=[2, 2, 2, 2]),
    "conv_positions_as_rows_2x16x7x7_f64_relu": lambda: conv([2, 16, 7, 7], [64, 16, 3, 3], relu=True,
                                                             pads=[1, 1, 1, 1]),
    "conv1x1_positions_as_rows_1x1_map": lambda: conv([1, 40, 1, 1], [72, 40, 1, 1]),
    "depthwise3x3_pad1_bias": lambda: conv([1, 24, 13, 19], [24, 1, 3, 3], group=24, pads=[1, 1, 1, 1]),
    "depthwise5x5_stride2_nobias": lambda: conv([2, 16, 17, 23], [16, 1, 5, 5], bias=False, group=16,
                                                strides=[2, 2], pads=[2, 2, 2, 2]),
    "depthwise3x3_dilated_stride1x2": lambda: conv([1, 8, 15, 40], [8, 1, 3, 3], group=8, strides=[1, 2],
                                                   dilations=[2, 2], pads=[2, 1, 2, 3]),
    "depthwise3x3_parallel_c64_28": lambda: conv([1, 64, 28, 28], [64, 1, 3, 3], group=64, pads=[1, 1, 1, 1]),
    "conv1x1_relu": lambda: conv([1, 16, 7, 9], [24, 16, 1, 1], relu=True),
    "conv1x1_stride2_nobias": lambda: conv([1, 8, 9, 9], [4, 8, 1, 1], bias=False, strides=[2, 2]),
    "attention_h3_s10_d8": lambda: attention(3, 10, 8),
    # Activations as kernel epilogues (KernelEpilogue.h), one per kernel kind.
    "conv_direct_hardswish_1x5x12x40": lambda: conv([1, 5, 12, 40], [11, 5, 3, 3], activation="HardSwish",
                                                    pads=[1, 1, 1, 1]),
    "conv_im2col_hardsigmoid_mul_1x6x9x9": lambda: conv([1, 6, 9, 9], [10, 6, 3, 3], activation="HardSigmoidMul",
                                                        strides=[2, 2], pads=[1, 1, 1, 1]),
    "conv1x1_sigmoid": lambda: conv([1, 16, 7, 9], [24, 16, 1, 1], activation="Sigmoid"),
    "conv_positions_as_rows_clip6_1x1_map": lambda: conv([1, 40, 1, 1], [72, 40, 1, 1], activation="Clip6"),
    "depthwise3x3_stride2_hardswish": lambda: conv([1, 24, 13, 35], [24, 1, 3, 3], group=24, strides=[2, 2],
                                                   pads=[1, 1, 1, 1], activation="HardSigmoidMul"),
    "depthwise5x5_leaky_relu": lambda: conv([1, 8, 11, 21], [8, 1, 5, 5], group=8, pads=[2, 2, 2, 2],
                                            activation="LeakyRelu"),
    "linear_gelu_erf_m5_k40_n70": lambda: linear([5], 40, 70, activation="GeluErf"),
    "linear_tanh_m3_k20_n33": lambda: linear([3], 20, 33, bias=False, activation="Tanh"),
    # Residual adds (an epilogue reading a second tensor), with ReLU or not.
    "conv_direct_residual_relu_1x8x10x40": lambda: conv([1, 8, 10, 40], [8, 8, 3, 3], relu=True, residual=True,
                                                        pads=[1, 1, 1, 1]),
    "conv1x1_residual_1x16x7x9": lambda: conv([1, 16, 7, 9], [16, 16, 1, 1], residual=True),
    "conv_positions_as_rows_residual_relu_2x16x7x7": lambda: conv([2, 16, 7, 7], [16, 16, 3, 3], relu=True,
                                                                  residual=True, pads=[1, 1, 1, 1]),
    "depthwise3x3_residual_1x8x12x20": lambda: conv([1, 8, 12, 20], [8, 1, 3, 3], group=8, pads=[1, 1, 1, 1],
                                                    residual=True),
    "linear_residual_2x5_k48_n48": lambda: linear([2, 5], 48, 48, residual=True),
    "linear_k_blocks_residual_relu_m20_k1040_n1040": lambda: linear([20], 1040, 1040, residual=True,
                                                                     activation="Relu"),
}


def compare_with_reference_build(path, executable, reference):
    """Max relative error of `executable` against `reference` on random inputs."""
    model = onnx.load(path)
    inputs = random_inputs(model, {})
    names = [o.name for o in model.graph.output]
    with tempfile.TemporaryDirectory() as work:
        got = run_executable(executable, inputs, names, work)
        want = run_executable(reference, inputs, names, work)
    return max(float(np.max(np.abs(got[n] - want[n])) / max(np.max(np.abs(want[n])), 1e-30)) for n in names)


def main(argv):
    qopt, workdir, options = argv[1], argv[2], argv[3:]
    reference = "--reference-kernels" in options
    os.makedirs(workdir, exist_ok=True)
    failures = 0
    for name, build in CASES.items():
        path = os.path.join(workdir, name + ".onnx")
        onnx.save(build(), path)
        executable = os.path.join(workdir, name)
        subprocess.run([qopt, "compile", path, "-o", executable] + options, check=True)
        subprocess.run([qopt, "compile", path, "--emit", "llvm", "-o", executable + ".ll"] + options, check=True)
        with open(executable + ".ll") as f:
            llvm = f.read()
        defined = {line.split("@")[1].split("(")[0] for line in llvm.splitlines() if line.startswith("define")}
        # "conv_direct" cases must take the direct convolution kernel.
        kinds = ("conv",) if "conv_direct" in name else ("gemm", "depthwise", "conv")
        kernels = len({f for f in defined if any(f.startswith(f"qopt_{kind}_") for kind in kinds)})
        if "--recipe" in options:
            subprocess.run([qopt, "compile", path, "-o", executable + ".ref", "--reference-kernels"] + options,
                           check=True)
            error = compare_with_reference_build(path, executable, executable + ".ref")
        else:
            error = max(r["relative_error"] for r in compare(path, executable, {}))
        # Quantized linears run the qlinear kernels, not the GEMM.
        quantized_linear = "--recipe" in options and name.startswith(("linear", "gemm"))
        ok = error <= 1e-5 and (reference or kernels > 0 or quantized_linear)
        failures += not ok
        print(f"{name}: relative error {error:.2e} {'ok' if ok else 'FAIL'} kernels: {kernels}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
