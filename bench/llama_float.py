"""Float Llama prefill: qopt's executable beside ONNX Runtime fp32, same
machine, same thread count (1), same tokens. Prints one JSON object per model.

    python bench/llama_float.py [--qopt build/bin/qopt] [--work /tmp/qopt-bench]
                                [--seq-len 64] [--runs 5] [--stories path/to/stories260K.bin]

Models (bench/llama_models.py): stories260K (if found) and a synthetic Llama
sized for a 2-core, 24 GiB machine: dim 1024, hidden 2816, 8 layers, 16 heads,
4 KV heads, vocabulary 8192 (~110 M parameters, ~440 MB of fp32 weights).
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)

import onnx  # noqa: E402
from float_latency import ort_latency, qopt_latency  # noqa: E402
from llama_models import DEFAULT_STORIES, checkpoints  # noqa: E402
from qopt import llama2c  # noqa: E402
from qopt.check_against_ort import compare, random_inputs  # noqa: E402


def bench_model(name, checkpoint_path, args):
    onnx_path = os.path.join(args.work, f"{name}.onnx")
    executable = os.path.join(args.work, name)
    checkpoint = llama2c.read_checkpoint(checkpoint_path)
    onnx.save(llama2c.to_onnx(checkpoint, args.seq_len), onnx_path)
    start = time.perf_counter()
    subprocess.run([args.qopt, "compile", onnx_path, "-o", executable], check=True)
    compile_s = time.perf_counter() - start
    agreement = compare(onnx_path, executable, {})[0]
    inputs = random_inputs(onnx.load(onnx_path), {})
    qopt_ms = qopt_latency(executable, inputs, args.runs, threads=1)
    ort_ms = ort_latency(onnx_path, inputs, args.runs, threads=1)
    c = checkpoint.config
    return {"model": name, "dim": c.dim, "layers": c.n_layers, "seq_len": args.seq_len,
            "parameters": int(sum(v.size for v in checkpoint.weights.values())),
            "compile_s": round(compile_s, 2),
            "relative_error_vs_ort": agreement.get("relative_error"),
            "qopt_ms": qopt_ms, "ort_fp32_ms": ort_ms, "threads": 1,
            "qopt_vs_ort_speed": ort_ms / qopt_ms}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", default=os.path.join(HERE, "..", "build", "bin", "qopt"))
    parser.add_argument("--work", default="/tmp/qopt-bench")
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stories", default=DEFAULT_STORIES)
    args = parser.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    for name, checkpoint_path in checkpoints(args.work, args.stories, args.seq_len):
        print(json.dumps(bench_model(name, checkpoint_path, args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
