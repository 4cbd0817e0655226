"""Checks qopt's in-process calibration against numpy on the two-layer MLP.

    check_calibration.py mlp.onnx workdir path/to/qopt

Writes [samples, 4, 64] inputs as an .npz, runs `qopt compile --calib
... --stop-after=calibrate --emit mlir`, reads the statistics it left on each
layer (rows, absmax, per-channel absmax, the Hessian blob) and compares
them with the same statistics computed by numpy from the layers' inputs.
"""

import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    model_path, work, qopt = sys.argv[1], sys.argv[2], sys.argv[3]
    model = onnx.load(model_path)
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 4, 64)).astype(np.float32)
    x[3, 2, 5] = 9.0  # one outlier
    np.savez(f"{work}/calib.npz", x=x)
    out = f"{work}/calibrated.mlir"
    subprocess.run([qopt, "compile", model_path, "--calib", f"{work}/calib.npz", "--stop-after=calibrate",
                    "--emit", "mlir", "-o", out], check=True)
    text = open(out).read()

    rows = x.reshape(-1, 64)
    hidden = np.maximum(rows @ weights["w1"] + weights["b1"], 0.0)
    expected = [rows, hidden]
    layers = re.findall(r"qopt\.linear .*", text)
    assert len(layers) == 2, f"expected 2 layers, found {len(layers)}"
    blobs = dict(re.findall(r"^\s*(hessian\w*): \"0x([0-9A-F]+)\"", text, re.M))
    for layer, inputs in zip(layers, expected):
        count = int(re.search(r"qopt\.calib\.rows = (\d+)", layer).group(1))
        absmax = float(re.search(r"qopt\.calib\.absmax = ([-+.e0-9]+)", layer).group(1))
        channels = re.search(r"qopt\.calib\.channel_absmax = dense<([^>]*)>", layer).group(1)
        if channels.startswith('"0x'):  # large attributes print as hex
            channels = np.frombuffer(bytes.fromhex(channels[3:-1]), np.float32)
        else:
            channels = np.array([float(v) for v in channels.strip("[]").split(",")])
        blob = re.search(r"qopt\.calib\.hessian = dense_resource<(\w+)>", layer).group(1)
        hessian = np.frombuffer(bytes.fromhex(blobs[blob])[4:], np.float32).reshape(inputs.shape[1], -1)
        reference = inputs.astype(np.float64).T @ inputs.astype(np.float64)
        checks = {
            "rows": count == inputs.shape[0],
            "absmax": np.isclose(absmax, np.abs(inputs).max(), rtol=1e-6),
            "channel_absmax": np.allclose(channels, np.abs(inputs).max(0), rtol=1e-6),
            "hessian": np.abs(hessian - reference).max() <= 1e-5 * np.abs(reference).max(),
        }
        print(f"rows={count} absmax={absmax:.6g} hessian_max_rel_error="
              f"{np.abs(hessian - reference).max() / np.abs(reference).max():.2e} "
              + " ".join(f"{k}={'ok' if v else 'MISMATCH'}" for k, v in checks.items()))
        if not all(checks.values()):
            sys.exit(1)


if __name__ == "__main__":
    main()
