"""4-bit Llama, end to end: qopt's builds beside ONNX Runtime's MatMulNBits model
of the same checkpoint, same machine, same thread count, same tokens. Prints one
JSON object per (model, seq_len, contender, threads).

    .venv/bin/python bench/llama_quantized.py [--qopt build/bin/qopt] [--work /tmp/qopt-bench-q]
        [--runs 5] [--threads 1,2] [--seq-len 1,64] [--models stories,synthetic] [--json FILE]

Models (bench/llama_models.py, as bench/llama_float.py): stories260K (if found)
and the synthetic Llama (dim 1024, 8 layers, ~110 M parameters);
--synthetic-dims shrinks the latter for a quick test. Each is exported by
qopt.llama2c for token ids [1, S], S from --seq-len: S = 1 is the decode-like
step (one token, M = 1 in every linear, so the weights are streamed once per
token), S = 64 is prefill. The graph has no KV cache: every run is a complete
forward pass over S tokens. Reported: ms_per_run (median of --runs runs after
one warm-up) and ms_per_token (ms_per_run / S).

Contenders:
  ort-fp32             ONNX Runtime on the float32 ONNX
  ort-nbits-b32-acc4   ONNX Runtime on the float32 ONNX quantized by ORT's own
  ort-nbits-b32-acc0   matmul_nbits_quantizer.MatMulNBitsQuantizer with
                       DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True,
                       bits=4, accuracy_level=4 (int8 activations) or 0 (float))
                       (every MatMul with a constant weight, the classifier included)
  qopt-fp32            the float32 ONNX compiled by qopt
  qopt-nbits-b32       the ort-nbits-b32-acc0 model compiled by qopt (MatMulNBits
                       imported as qopt.qlinear)
  qopt-w4a16-g32       the float32 ONNX compiled with --recipe w4a16-g32 / w4a8
  qopt-w4a8            (RTN, no calibration)
qopt builds: `qopt compile model.onnx -o exe --mcpu native [--recipe R]`, timed
by `exe --input tokens=... --bench RUNS --threads T` with OMP_NUM_THREADS=T
(float_latency.qopt_latency). ONNX Runtime: intra_op_num_threads = T, all graph
optimizations (float_latency.ort_latency).

Agreement (qopt contenders, computed once per build on the same random tokens
by qopt.check_against_ort.compare, the executable on the OpenMP default thread
count): relative_error_vs_ort = max|logits - ref| / max|ref| with ref from
ONNX Runtime on the contender's source model: ort-nbits-b32-acc0 for
qopt-nbits-b32 (same quantized weights; should be float rounding only),
ort-fp32 for qopt-fp32 and the recipes (for those it includes the 4-bit
quantization error; reported, not judged). The MatMulNBits contenders
(ort-nbits-*, qopt-nbits-b32) also have relative_error_vs_ort_fp32, the same
measure against ONNX Runtime's float32 logits: the error of ORT's own 4-bit
weights, to put the recipes' numbers beside. speedup_vs_* is baseline ms / contender ms (> 1: the
contender is faster). load_average_1m is the machine's 1-minute load average
when the row was measured (other work skews the timings). A contender that
fails (quantizer, compiler, executable, session) gets a row with "error" and
the run goes on; the exit status is then 1.
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

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from float_latency import ort_latency, qopt_latency  # noqa: E402
from llama_models import DEFAULT_STORIES, checkpoints  # noqa: E402
from qlinear_kernels import quantize_nbits  # noqa: E402
from qopt import llama2c  # noqa: E402
from qopt.check_against_ort import compare, random_inputs  # noqa: E402

BLOCK = 32
# name: (runtime, source model, qopt recipe)
CONTENDERS = {
    "ort-fp32": ("ort", "fp32", None),
    "ort-nbits-b32-acc4": ("ort", "nbits-acc4", None),
    "ort-nbits-b32-acc0": ("ort", "nbits-acc0", None),
    "qopt-fp32": ("qopt", "fp32", None),
    "qopt-nbits-b32": ("qopt", "nbits-acc0", None),
    "qopt-w4a16-g32": ("qopt", "fp32", "w4a16-g32"),
    "qopt-w4a8": ("qopt", "fp32", "w4a8"),
}
REFERENCE = {"fp32": "ort-fp32", "nbits-acc0": "ort-nbits-b32-acc0"}
BASELINES = ("ort-nbits-b32-acc4", "ort-fp32")   # measured first; speedup_vs_* of later rows


def log(message):
    print(f"# {message}", file=sys.stderr, flush=True)


def error_text(error):
    if isinstance(error, subprocess.CalledProcessError):
        stderr = error.stderr if isinstance(error.stderr, str) else (error.stderr or b"").decode(errors="replace")
        return f"{os.path.basename(str(error.cmd[0]))} failed ({error.returncode}): {stderr.strip()[-1000:]}"
    if isinstance(error, subprocess.TimeoutExpired):
        return f"{os.path.basename(str(error.cmd[0]))} timed out after {error.timeout} s"
    return f"{type(error).__name__}: {error}".strip()[:1000]


def build_sources(checkpoint, seq_len, prefix):
    """{source name: ONNX path, or the exception that prevented it}."""
    sources = {"fp32": f"{prefix}-fp32.onnx"}
    onnx.save(llama2c.to_onnx(checkpoint, seq_len), sources["fp32"])
    for accuracy in (0, 4):
        path = f"{prefix}-nbits-b{BLOCK}-acc{accuracy}.onnx"
        start = time.perf_counter()
        try:
            quantize_nbits(sources["fp32"], path, BLOCK, accuracy, symmetric=True)
            sources[f"nbits-acc{accuracy}"] = path
            log(f"{os.path.basename(path)}: ORT MatMulNBitsQuantizer {time.perf_counter() - start:.1f} s")
        except Exception as error:  # noqa: BLE001 - reported in the JSON
            sources[f"nbits-acc{accuracy}"] = error
    return sources


def ort_logits(path, inputs):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)[0].astype(np.float64)


def relative_error(reference, logits):
    """max|logits - reference| / max|reference|, as qopt.check_against_ort.compare."""
    return float(np.abs(logits - reference).max() / max(np.abs(reference).max(), 1e-30))


def compile_qopt(source, exe, recipe, args):
    """Seconds to compile; raises CalledProcessError / TimeoutExpired."""
    command = [args.qopt, "compile", source, "-o", exe, "--mcpu", "native"]
    if recipe:
        command += ["--recipe", recipe]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=args.timeout)
    return time.perf_counter() - start


def prepare(name, sources, prefix, inputs, args):
    """(artifact path, info dict) of one contender; raises on failure."""
    runtime, source, recipe = CONTENDERS[name]
    path = sources[source]
    if isinstance(path, Exception):
        raise path
    info = {"source_model": os.path.basename(path)}
    if runtime == "ort":
        info["artifact_bytes"] = os.path.getsize(path)
        if source != "fp32":
            if "fp32-logits" not in sources:
                sources["fp32-logits"] = ort_logits(sources["fp32"], inputs)
            info["relative_error_vs_ort_fp32"] = relative_error(sources["fp32-logits"],
                                                                ort_logits(path, inputs))
        return path, info
    exe = f"{prefix}-{name}"
    info["compile_s"] = round(compile_qopt(path, exe, recipe, args), 2)
    info["artifact_bytes"] = os.path.getsize(exe)
    log(f"{os.path.basename(exe)}: compiled in {info['compile_s']} s")
    # Agreement on the same random tokens as the timing runs (compare's seed 0).
    info["reference"] = REFERENCE[source]
    info["relative_error_vs_ort"] = compare(path, exe, {})[0].get("relative_error")
    if source != "fp32":
        info["relative_error_vs_ort_fp32"] = compare(sources["fp32"], exe, {})[0].get("relative_error")
    return exe, info


def bench_model(name, checkpoint_path, seq_len, args, emit):
    checkpoint = llama2c.read_checkpoint(checkpoint_path)
    c = checkpoint.config
    base = {"model": name, "dim": c.dim, "hidden_dim": c.hidden_dim, "layers": c.n_layers,
            "vocab": c.vocab_size, "parameters": int(sum(v.size for v in checkpoint.weights.values())),
            "seq_len": seq_len}
    prefix = os.path.join(args.work, f"{name}-s{seq_len}")
    sources = build_sources(checkpoint, seq_len, prefix)
    inputs = random_inputs(onnx.load(sources["fp32"], load_external_data=False), {})
    prepared = {}
    for contender in args.contenders:
        try:
            prepared[contender] = prepare(contender, sources, prefix, inputs, args)
        except Exception as error:  # noqa: BLE001 - reported in the JSON
            prepared[contender] = error
            log(f"{contender} (S={seq_len}): {error_text(error)}")
    for threads in args.threads:
        baseline_ms = {}
        for contender in args.contenders:
            row = dict(base, contender=contender, threads=threads, runs=args.runs)
            artifact = prepared[contender]
            if isinstance(artifact, Exception):
                emit(dict(row, error=error_text(artifact)))
                continue
            path, info = artifact
            row.update(info)
            row["load_average_1m"] = round(os.getloadavg()[0], 2)
            try:
                if CONTENDERS[contender][0] == "ort":
                    ms = ort_latency(path, inputs, args.runs, threads)
                else:
                    ms = qopt_latency(path, inputs, args.runs, threads)
            except Exception as error:  # noqa: BLE001 - reported in the JSON
                emit(dict(row, error=error_text(error)))
                continue
            row.update(ms_per_run=round(ms, 4), ms_per_token=round(ms / seq_len, 4),
                       tokens_per_s=round(1e3 * seq_len / ms, 2) if ms > 0 else None)
            for baseline in BASELINES:
                if contender == baseline:
                    baseline_ms[baseline] = ms
                elif baseline in baseline_ms and ms > 0:
                    row[f"speedup_vs_{baseline.replace('-', '_')}"] = round(baseline_ms[baseline] / ms, 3)
            emit(row)


def int_list(text):
    return [int(v) for v in text.split(",") if v]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", default=os.path.join(HERE, "..", "build", "bin", "qopt"))
    parser.add_argument("--work", default="/tmp/qopt-bench-q")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int_list, default=[1, 2], help="comma-separated, default 1,2")
    parser.add_argument("--seq-len", type=int_list, default=[1, 64], help="comma-separated, default 1,64")
    parser.add_argument("--models", default="stories,synthetic", help="comma-separated: stories, synthetic")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help="comma-separated subset of " + ", ".join(CONTENDERS))
    parser.add_argument("--json", help="also write all rows to this file (a JSON list, rewritten per row)")
    parser.add_argument("--stories", default=DEFAULT_STORIES)
    parser.add_argument("--synthetic-dims", type=int_list,
                        help="DIM,HIDDEN,LAYERS,HEADS,KV_HEADS,VOCAB of the synthetic model (to test on a "
                             "shrunken one; default 1024,2816,8,16,4,8192)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per qopt compile")
    args = parser.parse_args(argv)
    args.qopt = os.path.abspath(args.qopt)
    models = [m for m in args.models.split(",") if m]
    args.contenders = [c for c in args.contenders.split(",") if c]
    unknown = [m for m in models if m not in ("stories", "synthetic")] + \
              [c for c in args.contenders if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown model or contender: {', '.join(unknown)}")
    # Baselines first, so that later rows can be compared with them.
    args.contenders.sort(key=list(CONTENDERS).index)
    synthetic = None
    if args.synthetic_dims:
        keys = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size")
        if len(args.synthetic_dims) != len(keys):
            parser.error("--synthetic-dims takes 6 numbers")
        synthetic = dict(zip(keys, args.synthetic_dims))
    os.makedirs(args.work, exist_ok=True)

    rows = []

    def emit(row):
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)

    if "stories" in models and not os.path.exists(args.stories):
        log(f"{args.stories} not found: stories260K skipped")
    for name, checkpoint_path in checkpoints(args.work, args.stories, max(args.seq_len), models, synthetic):
        for seq_len in args.seq_len:
            try:
                bench_model(name, checkpoint_path, seq_len, args, emit)
            except Exception as error:  # noqa: BLE001 - e.g. the float32 export itself
                emit({"model": name, "seq_len": seq_len, "error": error_text(error)})
    return 0 if rows and all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
