"""Checks qopt's in-process calibration against numpy and ONNX Runtime.

    check_calibration.py model.onnx workdir path/to/qopt

Writes 40 random samples of the model's input as an .npz, runs `qopt compile
--calib ... --stop-after=calibrate --emit mlir`, reads the statistics it left
on each layer (rows, absmax, per-channel absmax, the Hessian blob) and
compares them with the same statistics computed by numpy from the layers'
inputs, which ONNX Runtime computes (the graph's intermediate tensors made
outputs). A linear layer's rows are its input's last dimension; a
convolution's rows are the image patches it multiplies (numpy im2col), and a
grouped convolution has no Hessian.
"""

import re
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort


def attribute(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def patches(x, node, weight_shape):
    """im2col of x [N, C, H, W]: rows (n, g, oh, ow), columns (c, kh, kw)."""
    n, c, h, w = x.shape
    kh, kw = weight_shape[2:]
    groups = attribute(node, "group", 1)
    sh, sw = attribute(node, "strides", [1, 1])
    dh, dw = attribute(node, "dilations", [1, 1])
    top, left, bottom, right = attribute(node, "pads", [0, 0, 0, 0])
    padded = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    oh = (h + top + bottom - (kh - 1) * dh - 1) // sh + 1
    ow = (w + left + right - (kw - 1) * dw - 1) // sw + 1
    cg = c // groups
    rows = []
    for b in range(n):
        for g in range(groups):
            for y in range(oh):
                for z in range(ow):
                    window = padded[b, g * cg:(g + 1) * cg, y * sh:y * sh + (kh - 1) * dh + 1:dh,
                                    z * sw:z * sw + (kw - 1) * dw + 1:dw]
                    rows.append(window.reshape(-1))
    return np.array(rows), groups


def main():
    model_path, work, qopt = sys.argv[1], sys.argv[2], sys.argv[3]
    model = onnx.load(model_path)
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    layers = [n for n in model.graph.node if n.op_type in ("MatMul", "Gemm", "Conv") and n.input[1] in weights]
    graph_input = model.graph.input[0]
    shape = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    rng = np.random.default_rng(7)
    x = rng.standard_normal([40] + shape).astype(np.float32)
    x.flat[12345 % x.size] = 9.0  # one outlier
    np.savez(f"{work}/calib.npz", **{graph_input.name: x})
    out = f"{work}/calibrated.mlir"
    subprocess.run([qopt, "compile", model_path, "--calib", f"{work}/calib.npz", "--stop-after=calibrate",
                    "--emit", "mlir", "-o", out], check=True)
    text = open(out).read()

    # Every layer's input on every sample, from ONNX Runtime.
    names = [n.input[0] for n in layers]
    exposed = onnx.ModelProto()
    exposed.CopyFrom(model)
    inner = [name for name in dict.fromkeys(names) if name != graph_input.name]
    known = {o.name for o in exposed.graph.output}
    exposed.graph.output.extend(onnx.helper.make_empty_tensor_value_info(n) for n in inner if n not in known)
    session = ort.InferenceSession(exposed.SerializeToString(), providers=["CPUExecutionProvider"])
    runs = []
    for sample in x:
        values = dict(zip(inner, session.run(inner, {graph_input.name: sample}))) if inner else {}
        values[graph_input.name] = sample
        runs.append([values[name] for name in names])

    found = re.findall(r"qopt\.(?:linear|conv2d) .*", text)
    assert len(found) == len(layers), f"expected {len(layers)} layers, found {len(found)}"
    blobs = dict(re.findall(r"^\s*(hessian\w*): \"0x([0-9A-F]+)\"", text, re.M))
    for index, (node, layer) in enumerate(zip(layers, found)):
        if node.op_type == "Conv":
            parts = [patches(run[index], node, weights[node.input[1]].shape) for run in runs]
            inputs, groups = np.concatenate([p[0] for p in parts]), parts[0][1]
        else:
            inputs = np.concatenate([run[index].reshape(-1, run[index].shape[-1]) for run in runs])
            groups = 1
        count = int(re.search(r"qopt\.calib\.rows = (\d+)", layer).group(1))
        absmax = float(re.search(r"qopt\.calib\.absmax = ([-+.e0-9]+)", layer).group(1))
        channels = re.search(r"qopt\.calib\.channel_absmax = dense<([^>]*)>", layer).group(1)
        if channels.startswith('"0x'):  # large attributes print as hex
            channels = np.frombuffer(bytes.fromhex(channels[3:-1]), np.float32)
        else:
            channels = np.array([float(v) for v in channels.strip("[]").split(",")])
        checks = {
            "rows": count == inputs.shape[0],
            "absmax": np.isclose(absmax, np.abs(inputs).max(), rtol=1e-6),
            "channel_absmax": np.allclose(channels, np.abs(inputs).max(0), rtol=1e-6),
        }
        blob = re.search(r"qopt\.calib\.hessian = dense_resource<(\w+)>", layer)
        error = 0.0
        if groups == 1:
            hessian = np.frombuffer(bytes.fromhex(blobs[blob.group(1)])[4:], np.float32) if blob else None
            reference = inputs.astype(np.float64).T @ inputs.astype(np.float64)
            if hessian is not None and hessian.size == reference.size:
                error = np.abs(hessian.reshape(reference.shape) - reference).max() / np.abs(reference).max()
            checks["hessian"] = hessian is not None and hessian.size == reference.size and error <= 1e-5
        else:
            checks["no_hessian"] = blob is None
        print(f"{node.op_type} {node.name}: rows={count} absmax={absmax:.6g} hessian_max_rel_error={error:.2e} "
              + " ".join(f"{k}={'ok' if v else 'MISMATCH'}" for k, v in checks.items()))
        if not all(checks.values()):
            sys.exit(1)


if __name__ == "__main__":
    main()
