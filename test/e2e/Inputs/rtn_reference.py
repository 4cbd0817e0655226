"""An independent numpy RTN: fake-quantizes the MatMul/Gemm/Conv weights of
an ONNX model the way qopt-quantize-weights documents it (a Conv weight
[F, C/G, KH, KW] as the [F, K] matrix of its rows), so that ONNX Runtime on
the result is a reference for qopt's quantized executable.

    rtn_reference.py in.onnx out.onnx <format> <group> <symmetric 0|1> [int8|fp8]

With an activation format, each quantized layer's input is also quantized
per token (row; a Conv's whole input, per tensor), symmetric, as
qopt-quantize-activations documents it: scale = max|x| / (127 | 448), round
half to even (ONNX Round, or a Cast to float8e4m3fn, which saturates), times
the scale.
"""

import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

NF4 = np.array([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
                -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
                0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
                0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0])
FP4 = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])
# Non-negative float8 e4m3fn values in code order (exponent bias 7, no
# infinities, 0x7f is NaN): 0 ... 448.
FP8 = np.array([(m / 8) * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7)
                for e in range(16) for m in range(8) if (e, m) != (15, 7)])


def nearest(table, x):
    """Nearest table value, ties to the even index (table ascending)."""
    distance = np.abs(x[..., None] - table)
    best = distance.min(-1, keepdims=True)
    candidates = np.where(distance == best, np.arange(len(table)), len(table))
    first = candidates.min(-1)
    second = np.where(candidates > first[..., None], candidates, len(table)).min(-1)
    tie = second < len(table)
    index = np.where(tie & (first % 2 == 1), second, first)
    return table[index]


def quantize_group(values, fmt, symmetric):
    if fmt == "mxfp4":
        absmax = np.abs(values).max()
        exponent = int(np.floor(np.log2(absmax))) - 2 if absmax > 0 else 0
        scale = np.float32(2.0 ** exponent)
        scaled = np.minimum(np.abs(values / scale), 6.0)
        return np.sign(values) * nearest(FP4, scaled) * scale
    if fmt == "fp8_e4m3":
        absmax = np.abs(values).max()
        scale = np.float32(absmax / 448.0) if absmax > 0 else np.float32(1.0)
        return np.sign(values) * nearest(FP8, np.minimum(np.abs(values / scale), 448.0)) * scale
    if fmt == "nf4":
        scale = np.float32(np.abs(values).max() or 1.0)
        return nearest(NF4, np.clip(values / scale, -1, 1)) * scale
    bits = int(fmt.lstrip("uint"))
    if symmetric:
        qmax = 2 ** (bits - 1) - 1
        absmax = np.abs(values).max()
        scale = np.float32(absmax / qmax) if absmax > 0 else np.float32(1.0)
        codes = np.clip(np.rint(values / scale), -(qmax + 1), qmax)
        return codes * scale
    levels = 2 ** bits - 1
    lo, hi = min(values.min(), 0.0), max(values.max(), 0.0)
    scale = np.float32((np.float64(hi) - np.float64(lo)) / levels) if hi > lo else np.float32(1.0)
    zero = np.clip(np.rint(-np.float64(lo) / scale), 0, levels)
    codes = np.clip(np.rint(values / scale + np.float32(zero)), 0, levels)
    return (codes - zero) * scale


def fake_quantize(weight_nk, fmt, group, symmetric):
    n, k = weight_nk.shape
    group = k if group <= 0 or group >= k else group
    out = np.empty_like(weight_nk)
    for row in range(n):
        for start in range(0, k, group):
            chunk = weight_nk[row, start:start + group].astype(np.float32)
            out[row, start:start + group] = quantize_group(chunk, fmt, symmetric)
    return out


def fake_quantize_activation(model, node, act):
    """Nodes computing the fake-quantized input of `node`: per token, or
    per tensor for a Conv (ReduceMax over every axis)."""
    x, prefix = node.input[0], node.name + ".act"
    qmax = 127.0 if act == "int8" else 448.0
    model.graph.initializer.append(numpy_helper.from_array(np.array(qmax, np.float32), prefix + ".qmax"))
    axes = []
    if node.op_type != "Conv":
        model.graph.initializer.append(numpy_helper.from_array(np.array([-1], np.int64), prefix + ".axes"))
        axes = [prefix + ".axes"]
    nodes = [helper.make_node("Abs", [x], [prefix + ".abs"]),
             helper.make_node("ReduceMax", [prefix + ".abs"] + axes, [prefix + ".max"], keepdims=1),
             helper.make_node("Div", [prefix + ".max", prefix + ".qmax"], [prefix + ".scale"]),
             helper.make_node("Div", [x, prefix + ".scale"], [prefix + ".t"])]
    if act == "int8":
        model.graph.initializer.extend([
            numpy_helper.from_array(np.array(-128.0, np.float32), prefix + ".lo"),
            numpy_helper.from_array(np.array(127.0, np.float32), prefix + ".hi")])
        nodes += [helper.make_node("Round", [prefix + ".t"], [prefix + ".r"]),
                  helper.make_node("Clip", [prefix + ".r", prefix + ".lo", prefix + ".hi"], [prefix + ".c"])]
    else:
        nodes += [helper.make_node("Cast", [prefix + ".t"], [prefix + ".f8"], to=onnx.TensorProto.FLOAT8E4M3FN),
                  helper.make_node("Cast", [prefix + ".f8"], [prefix + ".c"], to=onnx.TensorProto.FLOAT)]
    nodes.append(helper.make_node("Mul", [prefix + ".c", prefix + ".scale"], [prefix + ".out"]))
    node.input[0] = prefix + ".out"
    return nodes


def main():
    model = onnx.load(sys.argv[1])
    fmt, group, symmetric = sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
    act = sys.argv[6] if len(sys.argv) > 6 else None
    weights = {t.name: t for t in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        quantized = node.op_type in ("MatMul", "Gemm", "Conv") and node.input[1] in weights
        if quantized:
            tensor = weights[node.input[1]]
            w = numpy_helper.to_array(tensor)
            if node.op_type == "Conv":
                nk = w.reshape(w.shape[0], -1)
            else:
                trans_b = node.op_type == "Gemm" and any(a.name == "transB" and a.i for a in node.attribute)
                nk = w if trans_b else w.T
            # Microscaled formats leave layers with K below the block in float.
            quantized = not (fmt == "mxfp4" and nk.shape[1] < 32)
        if quantized and act:
            nodes += fake_quantize_activation(model, node, act)
        nodes.append(node)
        if not quantized:
            continue
        q = fake_quantize(nk, fmt, group, symmetric)
        q = q.reshape(w.shape) if node.op_type == "Conv" else q if trans_b else q.T
        tensor.CopyFrom(numpy_helper.from_array(q.astype(np.float32), tensor.name))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.save(model, sys.argv[2])


if __name__ == "__main__":
    main()
