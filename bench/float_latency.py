"""Latency of a qopt-compiled float model beside ONNX Runtime on the same
inputs, machine and thread count. Prints one JSON object.

    python bench/float_latency.py model.onnx ./model [--shape x=1x8x64] [--runs 200]

Both run on --threads threads (default 1): the executable with --threads N
and OMP_NUM_THREADS=N, ONNX Runtime with N intra- and inter-op threads. Both
are timed after a warm-up run; medians are compared (ratio > 1 means qopt is
faster).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from qopt.check_against_ort import parse_shapes, random_inputs  # noqa: E402


def ort_latency(model_path, inputs, runs, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = threads
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    session.run(None, inputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, inputs)
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def qopt_latency(executable, inputs, runs, threads=None):
    """Median ms of `executable --bench runs`; with `threads`, also `--threads
    threads` and OMP_NUM_THREADS=threads (otherwise the OpenMP default)."""
    env = None if threads is None else dict(os.environ, OMP_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as work:
        args = [executable, "--bench", str(runs)]
        if threads is not None:
            args += ["--threads", str(threads)]
        for i, (name, array) in enumerate(inputs.items()):
            path = os.path.join(work, f"in{i}.npy")
            np.save(path, array)
            args += ["--input", f"{name}={path}"]
        result = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])["median_ms"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("executable")
    parser.add_argument("--shape", action="append")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    inputs = random_inputs(onnx.load(args.model), parse_shapes(args.shape))
    qopt_ms = qopt_latency(args.executable, inputs, args.runs, args.threads)
    ort_ms = ort_latency(args.model, inputs, args.runs, args.threads)
    print(json.dumps({"model": os.path.basename(args.model), "threads": args.threads,
                      "runs": args.runs, "qopt_median_ms": qopt_ms, "ort_median_ms": ort_ms,
                      "speedup_vs_ort": ort_ms / qopt_ms if qopt_ms > 0 else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
