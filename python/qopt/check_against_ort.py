"""Run a qopt-compiled executable and ONNX Runtime on the same random inputs
and compare their outputs.

    python -m qopt.check_against_ort model.onnx ./model [--shape x=1x8] [--tolerance 1e-4]

The error of each output is max|qopt - ort| divided by max|ort| (the output's
scale). Prints one JSON line per output; exits 1 if any error exceeds the
tolerance, 2 if the executable fails.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

NUMPY_TYPES = {
    onnx.TensorProto.FLOAT: np.float32,
    onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.FLOAT16: np.float16,
    onnx.TensorProto.INT64: np.int64,
    onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.INT8: np.int8,
    onnx.TensorProto.UINT8: np.uint8,
    onnx.TensorProto.BOOL: np.bool_,
}


def parse_shapes(specs):
    shapes = {}
    for spec in specs or []:
        name, dims = spec.split("=")
        shapes[name] = [int(d) for d in dims.split("x")]
    return shapes


def random_inputs(model, shapes, seed=0):
    rng = np.random.default_rng(seed)
    initializers = {t.name for t in model.graph.initializer}
    inputs = {}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        tensor_type = value.type.tensor_type
        shape = shapes.get(value.name) or [d.dim_value for d in tensor_type.shape.dim]
        dtype = NUMPY_TYPES[tensor_type.elem_type]
        if np.issubdtype(dtype, np.floating):
            inputs[value.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype == np.bool_:
            inputs[value.name] = rng.integers(0, 2, shape).astype(dtype)
        else:
            inputs[value.name] = rng.integers(0, 16, shape).astype(dtype)
    return inputs


def run_executable(executable, inputs, output_names, workdir):
    args = [executable]
    for name, array in inputs.items():
        path = os.path.join(workdir, f"in_{len(args)}.npy")
        np.save(path, array)
        args += ["--input", f"{name}={path}"]
    paths = {}
    for i, name in enumerate(output_names):
        paths[name] = os.path.join(workdir, f"out_{i}.npy")
        args += ["--output", f"{name}={paths[name]}"]
    subprocess.run(args, check=True)
    return {name: np.load(path) for name, path in paths.items()}


def compare(model_path, executable, shapes, seed=0):
    model = onnx.load(model_path)
    inputs = random_inputs(model, shapes, seed)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    output_names = [o.name for o in session.get_outputs()]
    expected = dict(zip(output_names, session.run(None, inputs)))
    with tempfile.TemporaryDirectory() as workdir:
        actual = run_executable(executable, inputs, output_names, workdir)
    results = []
    for name in output_names:
        ref, got = expected[name], actual[name]
        if ref.shape != got.shape:
            results.append({"output": name, "error": "shape", "ort": list(ref.shape),
                            "qopt": list(got.shape)})
            continue
        if ref.dtype == np.bool_ or np.issubdtype(ref.dtype, np.integer):
            mismatches = int(np.sum(ref != got))
            results.append({"output": name, "mismatches": mismatches, "relative_error": float(mismatches > 0)})
            continue
        ref64, got64 = ref.astype(np.float64), got.astype(np.float64)
        # NaN and infinities must appear in the same places; finite values are compared.
        special = ~np.isfinite(ref64)
        same_special = np.array_equal(special, ~np.isfinite(got64)) and np.array_equal(
            ref64[special], got64[special], equal_nan=True)
        if not same_special:
            results.append({"output": name, "error": "NaN/Inf positions or signs differ",
                            "relative_error": float("inf")})
            continue
        finite = ~special
        max_abs = float(np.max(np.abs(ref64[finite] - got64[finite]))) if finite.any() else 0.0
        scale = float(np.max(np.abs(ref64[finite]))) if finite.any() else 0.0
        results.append({"output": name, "max_abs_error": max_abs, "output_scale": scale,
                        "relative_error": max_abs / scale if scale > 0 else max_abs})
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("executable")
    parser.add_argument("--shape", action="append")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        results = compare(args.model, args.executable, parse_shapes(args.shape), args.seed)
    except subprocess.CalledProcessError as error:
        print(f"error: the executable failed: {error}", file=sys.stderr)
        return 2
    ok = True
    for result in results:
        result["within_tolerance"] = result.get("relative_error", 1.0) <= args.tolerance
        ok &= result["within_tolerance"]
        print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
