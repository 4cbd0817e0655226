"""Run qopt's CUDA executables on this machine's GPU and check them against
ONNX Runtime and against qopt's CPU executables of the same models.

    python -m qopt.gpu_check --qopt build/bin/qopt --workdir DIR [--gpu sm_80]

Models: synthetic Llama checkpoints (llama2c) at several sequence lengths
(M = rows of every linear layer), in float, as ONNX Runtime MatMulNBits
models (uint4 with zero points, int4 symmetric; 4 and 8 bits) and through
qopt's RTN recipes. Float and MatMulNBits models are compared with ONNX
Runtime; recipe builds with qopt's CPU build of the same recipe. At M = 64
the quantized linears run the tensor-core GEMM (f16 operands), checked with
a looser tolerance.

Without an NVIDIA GPU and driver it prints why and exits 77 (ctest's
SKIP_RETURN_CODE for the `gpu` label).
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

from qopt.check_against_ort import compare, random_inputs, run_executable

SKIP = 77


def gpu_unavailable_reason():
    """None when a CUDA driver with a device is present, else why not."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError as error:
        return f"no CUDA driver (libcuda.so.1: {error})"
    if cuda.cuInit(0) != 0:
        return "the CUDA driver failed to initialize"
    count = ctypes.c_int(0)
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return "the CUDA driver reports no GPU"
    return None


def run(command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def relative_error(reference, actual):
    reference = reference.astype(np.float64)
    actual = actual.astype(np.float64)
    scale = float(np.max(np.abs(reference))) or 1.0
    return float(np.max(np.abs(reference - actual))) / scale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", required=True)
    parser.add_argument("--workdir")
    parser.add_argument("--gpu", default="sm_80")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest relative error with f32 arithmetic (GEMV kernels, M <= 16)")
    parser.add_argument("--mma-tolerance", type=float, default=5e-3,
                        help="largest relative error where the tensor-core GEMM (M >= 17) rounds "
                             "activations and weights to f16")
    args = parser.parse_args(argv)
    reason = gpu_unavailable_reason()
    if reason:
        print(f"SKIP: the GPU run-tests need an NVIDIA GPU: {reason}")
        return SKIP

    workdir = args.workdir or tempfile.mkdtemp(prefix="qopt-gpu-check-")
    os.makedirs(workdir, exist_ok=True)
    py = sys.executable
    checkpoint = os.path.join(workdir, "llama.bin")
    # dim 256 / hidden 768: K = 256 and 768 (a full 512-code step of the
    # GEMV kernel plus a partial one), N = 256, 768 and 512 (the vocabulary).
    run([py, "-m", "qopt.llama2c", "synthetic", "-o", checkpoint, "--dim", "256", "--hidden-dim", "768",
         "--layers", "2", "--heads", "4", "--kv-heads", "2", "--vocab", "512", "--seq-len", "64"])
    ok = True
    for seq_len in (1, 4, 16, 64):
        base = os.path.join(workdir, f"llama_s{seq_len}")
        run([py, "-m", "qopt.llama2c", "to-onnx", checkpoint, "-o", base + ".onnx", "--seq-len", str(seq_len)])
        tolerance = args.mma_tolerance if seq_len >= 17 else args.tolerance
        models = {"float": base + ".onnx"}
        for name, extra in (("nbits_b32", ["--block", "32"]),
                            ("nbits_b128_sym", ["--block", "128", "--symmetric"]),
                            ("nbits8_b32", ["--block", "32", "--bits", "8"])):
            models[name] = f"{base}_{name}.onnx"
            run([py, "-m", "qopt.ort_quantize", "matmulnbits", base + ".onnx", models[name]] + extra)
        # Against ONNX Runtime.
        for name, model in models.items():
            exe = f"{base}_{name}_cuda"
            run([args.qopt, "compile", model, "--target", "cuda", "--gpu", args.gpu, "-o", exe])
            for result in compare(model, exe, {}):
                result.update(model=f"S={seq_len} {name}", against="onnxruntime",
                              within_tolerance=result.get("relative_error", 1.0) <= tolerance)
                ok &= result["within_tolerance"]
                print(json.dumps(result))
        # Recipes: the CUDA build against the CPU build.
        model = onnx.load(base + ".onnx")
        inputs = random_inputs(model, {})
        outputs = [o.name for o in model.graph.output]
        for recipe in ("w4a16-g32", "w4a16-g32-asym", "w8a16"):
            results = {}
            for target in ("cpu", "cuda"):
                exe = f"{base}_{recipe}_{target}"
                run([args.qopt, "compile", base + ".onnx", "--recipe", recipe, "--target", target,
                     "--gpu", args.gpu, "-o", exe])
                with tempfile.TemporaryDirectory() as tmp:
                    results[target] = run_executable(exe, inputs, outputs, tmp)
            for name in outputs:
                error = relative_error(results["cpu"][name], results["cuda"][name])
                within = error <= tolerance
                ok &= within
                print(json.dumps({"model": f"S={seq_len} {recipe}", "output": name, "against": "qopt cpu",
                                  "relative_error": error, "within_tolerance": within}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
