"""Quantized linear layers: qopt's compiled kernels beside ONNX Runtime's.

    .venv/bin/python bench/qlinear_kernels.py                       # full run (long)
    .venv/bin/python bench/qlinear_kernels.py --quick               # smoke run, a few minutes
    .venv/bin/python bench/qlinear_kernels.py --shapes 1024x1024 --m 1,16 --threads 1 \\
        --contenders 'ort-nbits-*,qopt-nbits-*' --repeat 10 --json out.json [--keep DIR]

What is measured. One y = x @ W layer, W of K x N (input x output features;
default shapes 4096x4096, 4096x11008, 11008x4096), x of M x K (M = 1, 16,
128, 512), on 1 and 2 threads. Each model is a set of L independent layers of
that shape (weights normal, std 0.02, a fixed seed per layer; x normal, std 1)
all reading the one graph input x [M, K] and writing y0 .. y{L-1}. For M = 1,
L is chosen so that L layers' weights, at the contender's own storage size
(codes, scales, zero points), exceed 3x the last-level cache, so every run
streams its weights from DRAM; for larger M, enough layers for ~1 GFLOP per
run (at most that many). The reported time is the median over repeated runs
of the whole model, divided by L.

Contenders (--contenders takes names or fnmatch patterns, comma-separated):
  ort-fp32               ONNX Runtime MatMul, float32 weights
  ort-nbits-bB-accA      com.microsoft MatMulNBits, 4 bits, block B = 32/128,
                         accuracy_level A = 0 (float compute) / 4 (int8
                         activations), made by ORT's own MatMulNBitsQuantizer
                         (RTN; symmetric, no zero points, unless --nbits-asymmetric)
  ort-int8-dynamic       onnxruntime.quantization.quantize_dynamic: int8
                         weights per output channel (per_channel=True),
                         DynamicQuantizeLinear + MatMulInteger, which ORT's
                         optimizer fuses into MatMulIntegerToFloat
  qopt-nbits-bB          the very same MatMulNBits model as ort-nbits-bB-acc0
                         (block B), compiled by qopt (imported as qopt.qlinear)
  qopt-<recipe>          the float32 model compiled with --recipe w4a16-g32,
                         w4a16-g128, w8a8 or w4a8 (RTN, no calibration)
ONNX Runtime runs with intra_op_num_threads = T, inter_op_num_threads = 1,
all graph optimizations; timed with repeated session.run after two warm-up
runs. qopt executables are built with `qopt compile model.onnx -o model.exe
--mcpu native --shape x=MxK [--recipe R]` and timed with `model.exe --input
x=x.npy --bench R [--threads T]` (and OMP_NUM_THREADS=T in the environment;
--threads only where the executable accepts it), whose median_ms is the same
statistic. Both sides run as many repeats as fit in --budget seconds, at least
3 and at most --repeat.

Also reported:
  - the machine's read bandwidth with each thread count (bench/read_bandwidth.c,
    compiled here with clang -O3 -march=native -fopenmp: best pass summing
    1 GiB as 1, 2 or 4 streams per thread) and, for M = 1, each contender's
    weight bytes per second (one layer's storage bytes / per-layer time) and
    its fraction of that bandwidth;
  - GFLOP/s (2*M*K*N / per-layer time) and the speedup against
    ort-nbits-b32-acc4 and ort-int8-dynamic (time of the baseline / time);
  - storage bytes of one layer (ONNX Runtime: the initializers of the model;
    qopt: the operands of its qopt.qlinear, from --emit mlir --stop-after=quantize),
    both measured on a [K, 16] proxy of the layer and scaled to N;
  - correctness of each qopt contender's y0: max|y - ref| / max|ref| against a
    reference with the same quantization (max_rel_err): for the nbits models
    ONNX Runtime running that model (accuracy_level 0), for recipes a numpy
    emulation of the recipe (symmetric RTN, scale = absmax / qmax per group,
    round half to even; int8 activations per token). Errors above 5% (4-bit
    weights) or 2% (8-bit) are flagged as errors. rel_err_vs_fp32, the same
    measure against the float32 product, is informational for every contender
    (4-bit RTN alone gives ~10% on these random weights).
machine.load_average holds the 1-minute load average at the start and the
end: other work on the machine skews the timings, those on all cores most.
A contender that fails (quantizer, compiler, runtime) is reported with its
error message and the run goes on. Prints one JSON object (stdout or --json
FILE) and a table per (shape, M) on stderr.
"""

import os

# The numpy references must not leave OpenBLAS threads spinning beside the
# timed executables (they did: 2-thread qopt timings halved after a check).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import fnmatch
import gc
import json
import logging
import math
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SHAPES = "4096x4096,4096x11008,11008x4096"
PROXY_N = 16                   # output features of the layer proxies that measure storage bytes
FP32_MODEL_LIMIT = 1_900_000_000   # a float32 source model must stay a plain (< 2 GB) protobuf
ERROR_TOLERANCE = {4: 0.05, 8: 0.02}


@dataclass(frozen=True)
class Contender:
    name: str
    runtime: str                 # "ort" or "qopt"
    variant: tuple               # the ONNX model: ("fp32",), ("nbits", block, accuracy), ("int8-dynamic",)
    recipe: str | None = None    # qopt --recipe
    weight_bits: int = 32
    group: int | None = None     # recipe emulation: weight group along K (None: per output channel)
    act_bits: int | None = None  # recipe emulation: per-token activation quantization
    description: str = ""


CONTENDERS = [
    Contender("ort-fp32", "ort", ("fp32",), description="ORT MatMul, float32 weights"),
    *[Contender(f"ort-nbits-b{block}-acc{acc}", "ort", ("nbits", block, acc), weight_bits=4,
                description=f"ORT MatMulNBits 4-bit, block {block}, accuracy_level {acc}, "
                            "from onnxruntime's MatMulNBitsQuantizer (RTN)")
      for block in (32, 128) for acc in (0, 4)],
    Contender("ort-int8-dynamic", "ort", ("int8-dynamic",), weight_bits=8,
              description="onnxruntime.quantization.quantize_dynamic(weight_type=QInt8, per_channel=True): int8 "
                          "weights with a scale and zero point per output channel; DynamicQuantizeLinear + "
                          "MatMulInteger, fused by ORT into MatMulIntegerToFloat"),
    *[Contender(f"qopt-nbits-b{block}", "qopt", ("nbits", block, 0), weight_bits=4,
                description=f"the ort-nbits-b{block}-acc0 model compiled by qopt")
      for block in (32, 128)],
    *[Contender(f"qopt-{recipe}", "qopt", ("fp32",), recipe, weight_bits=bits, group=group, act_bits=act,
                description=f"the float32 model compiled by qopt --recipe {recipe}")
      for recipe, bits, group, act in (("w4a16-g32", 4, 32, None), ("w4a16-g128", 4, 128, None),
                                       ("w8a8", 8, None, 8), ("w4a8", 4, 32, 8))],
]
BASELINES = ("ort-nbits-b32-acc4", "ort-int8-dynamic")


class Failure(Exception):
    """A contender could not be built or run; the message goes into the JSON."""


def log(message):
    print(f"# {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Models


class ModelStore:
    """ONNX models of L parallel layers, built once per (variant, K, N, L) under `root`.

    Layer i of a K x N shape always has the same float32 weights, so layer 0
    (the one checked for correctness) is the same whatever L is."""

    def __init__(self, root, seed, symmetric_nbits):
        self.root = root
        self.seed = seed
        self.symmetric_nbits = symmetric_nbits
        self.built = {}          # path -> None, or the Failure it raised

    def weight(self, K, N, layer):
        rng = np.random.default_rng([self.seed, K, N, layer])
        return rng.standard_normal((K, N), dtype=np.float32) * np.float32(0.02)

    def input(self, K, M):
        return np.random.default_rng([self.seed, K, M, 1 << 20]).standard_normal((M, K), dtype=np.float32)

    def path(self, variant, K, N, L):
        return os.path.join(self.root, f"{K}x{N}", f"{'-'.join(map(str, variant))}-L{L}.onnx")

    def model(self, variant, K, N, L):
        """Path of the variant's model, building it (and its float32 source) when missing."""
        path = self.path(variant, K, N, L)
        if path not in self.built:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if variant[0] == "fp32":
                    self._build_fp32(path, K, N, L)
                else:
                    self._quantize(variant, self.model(("fp32",), K, N, L), path)
                self.built[path] = None
            except Failure as failure:
                self.built[path] = failure
            except Exception as error:  # the quantizers' own errors
                self.built[path] = Failure(f"building {os.path.basename(path)}: {type(error).__name__}: {error}")
        if self.built[path] is not None:
            raise self.built[path]
        return path

    def _build_fp32(self, path, K, N, L):
        if L * K * N * 4 > FP32_MODEL_LIMIT:
            raise Failure(f"{L} float32 layers of {K}x{N} exceed {FP32_MODEL_LIMIT} bytes")
        nodes, outputs, initializers = [], [], []
        for i in range(L):
            initializers.append(numpy_helper.from_array(self.weight(K, N, i), f"w{i}"))
            nodes.append(helper.make_node("MatMul", ["x", f"w{i}"], [f"y{i}"], name=f"matmul{i}"))
            outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, ["M", N]))
        graph = helper.make_graph(nodes, "parallel_linears",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["M", K])],
                                  outputs, initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.save(model, path)

    def _quantize(self, variant, source, path):
        if variant[0] == "nbits":
            quantize_nbits(source, path, block=variant[1], accuracy=variant[2], symmetric=self.symmetric_nbits)
        elif variant[0] == "int8-dynamic":
            quantize_int8_dynamic(source, path)
        else:
            raise Failure(f"unknown model variant {variant}")

    def drop_shape(self, K, N):
        """Delete a shape's models (they take GBs)."""
        directory = os.path.join(self.root, f"{K}x{N}")
        shutil.rmtree(directory, ignore_errors=True)
        self.built = {p: f for p, f in self.built.items() if os.path.dirname(p) != directory}


def quantize_nbits(source, path, block, accuracy, symmetric):
    """ORT's MatMulNBitsQuantizer (default RTN) on every MatMul: 4 bits, `block` along K."""
    from onnxruntime.quantization import matmul_nbits_quantizer as nbits
    logging.getLogger(nbits.__name__).setLevel(logging.WARNING)
    config = nbits.DefaultWeightOnlyQuantConfig(block_size=block, is_symmetric=symmetric, bits=4,
                                                accuracy_level=accuracy or None)
    quantizer = nbits.MatMulNBitsQuantizer(onnx.load(source), algo_config=config)
    quantizer.process()
    onnx.save(quantizer.model.model, path)


def quantize_int8_dynamic(source, path):
    """ORT's quantize_dynamic: int8 weights per output channel, uint8 activations at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "Please consider to run pre-processing before quantization"
    try:
        quantize_dynamic(source, path, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
    finally:
        root.setLevel(level)



def initializer_bytes(path):
    model = onnx.load(path, load_external_data=False)
    return sum(int(np.prod(t.dims)) * helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
               for t in model.graph.initializer)


# ---------------------------------------------------------------------------------------------
# Runtimes: each prepares a contender's artifact for (K, N, M, L), measures it on T threads,
# and tells one layer's storage bytes from a [K, PROXY_N] proxy.


@dataclass
class Measurement:
    median_ms: float
    min_ms: float
    repeats: int
    y0: np.ndarray


def repeats_for(first_ms, args):
    """As many runs as fit in the time budget, within [3, --repeat]."""
    fit = int(args.budget * 1e3 / max(first_ms, 1e-3))
    return max(min(3, args.repeat), min(args.repeat, fit))


class OrtRuntime:
    def __init__(self, store, args):
        self.store, self.args = store, args

    def prepare(self, contender, K, N, M, L):
        return self.store.model(contender.variant, K, N, L)

    def session(self, path, threads):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as error:
            raise Failure(f"ONNX Runtime session: {error}".splitlines()[0][:500]) from error

    def measure(self, path, x, threads):
        session = self.session(path, threads)
        feeds = {"x": x}

        def run():
            start = time.perf_counter()
            outputs = session.run(None, feeds)
            return (time.perf_counter() - start) * 1e3, outputs

        try:
            _, outputs = run()
            first_ms, _ = run()
            times = [run()[0] for _ in range(repeats_for(first_ms, self.args))]
        except Exception as error:
            raise Failure(f"ONNX Runtime run: {error}".splitlines()[0][:500]) from error
        return Measurement(float(np.median(times)), float(np.min(times)), len(times), outputs[0])

    def output(self, path, x):
        """y0 of one run on one thread (a reference)."""
        return self.session(path, 1).run(["y0"], {"x": x})[0]

    def layer_bytes(self, contender, K):
        return initializer_bytes(self.store.model(contender.variant, K, PROXY_N, 1))


class QoptRuntime:
    def __init__(self, store, args, work):
        self.store, self.args, self.work = store, args, work
        self.threads_flag = None     # does a compiled executable take --threads? (asked once)
        self.compiled = {}           # exe path -> None, or its Failure

    def qopt(self, *arguments, timeout):
        try:
            result = subprocess.run([self.args.qopt, *arguments], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"qopt {arguments[0]} timed out after {timeout} s") from None
        except OSError as error:
            raise Failure(f"running {self.args.qopt}: {error}") from None
        if result.returncode != 0:
            raise Failure(f"qopt {arguments[0]} failed ({result.returncode}): {result.stderr.strip()[-1500:]}")
        return result.stdout

    def recipe_args(self, contender):
        return ["--recipe", contender.recipe] if contender.recipe else []

    def prepare(self, contender, K, N, M, L):
        model = self.store.model(contender.variant, K, N, L)
        exe = os.path.join(self.work, f"{K}x{N}", f"{contender.name}-M{M}-L{L}.exe")
        if exe not in self.compiled:
            os.makedirs(os.path.dirname(exe), exist_ok=True)
            start = time.perf_counter()
            try:
                self.qopt("compile", model, "-o", exe, "--mcpu", "native", "--shape", f"x={M}x{K}",
                          *self.recipe_args(contender), timeout=self.args.timeout)
                self.compiled[exe] = None
                log(f"compiled {os.path.basename(exe)} in {time.perf_counter() - start:.1f} s")
            except Failure as failure:
                self.compiled[exe] = failure
        if self.compiled[exe] is not None:
            raise self.compiled[exe]
        return exe

    def thread_args(self, exe, threads):
        if self.threads_flag is None:
            probe = subprocess.run([exe, "--threads", "1", "--info"], capture_output=True, text=True)
            self.threads_flag = probe.returncode == 0
            log(f"qopt executables {'take' if self.threads_flag else 'do not take'} --threads "
                f"(OMP_NUM_THREADS is set either way)")
        return ["--threads", str(threads)] if self.threads_flag else []

    def bench(self, exe, x_path, threads, runs, y_path=None):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        command = [exe, *self.thread_args(exe, threads), "--input", f"x={x_path}", "--bench", str(runs)]
        if y_path:
            command += ["--output", f"y0={y_path}"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"{os.path.basename(exe)} timed out after {self.args.timeout} s") from None
        if result.returncode != 0:
            raise Failure(f"{os.path.basename(exe)} failed ({result.returncode}): {result.stderr.strip()[-1000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])   # runs, min_ms, median_ms, ...

    def measure(self, exe, x, threads):
        x_path, y_path = exe + ".x.npy", exe + ".y0.npy"
        np.save(x_path, x)
        first = self.bench(exe, x_path, threads, 1, y_path)   # also warms up and writes y0
        repeats = repeats_for(first["median_ms"], self.args)
        stats = self.bench(exe, x_path, threads, repeats) if repeats > 1 else first
        return Measurement(stats["median_ms"], stats["min_ms"], repeats, np.load(y_path))

    def drop_shape(self, K, N):
        """Delete a shape's executables."""
        directory = os.path.join(self.work, f"{K}x{N}")
        shutil.rmtree(directory, ignore_errors=True)
        self.compiled = {p: f for p, f in self.compiled.items() if os.path.dirname(p) != directory}

    def layer_bytes(self, contender, K):
        """Bytes of the qopt.qlinear's weight operands (all but x and a bias) of a [K, PROXY_N] proxy."""
        proxy = self.store.model(contender.variant, K, PROXY_N, 1)
        mlir = self.qopt("compile", proxy, "--emit", "mlir", "--stop-after", "quantize", "-o", "-",
                         "--shape", f"x=1x{K}", *self.recipe_args(contender), timeout=600)
        lines = [line for line in mlir.splitlines() if "qopt.qlinear" in line]
        if len(lines) != 1:
            raise Failure(f"expected one qopt.qlinear in the proxy of {contender.name}, found {len(lines)}")
        operands = re.search(r":\s*\(([^)]*)\)\s*->", lines[0]).group(1)
        types = re.findall(r"tensor<([^>]*)>", operands)[1:]
        if "bias(" in lines[0]:
            types = types[:-1]
        return sum(tensor_bytes(t) for t in types)


def tensor_bytes(mlir_type):
    """Bytes of an MLIR tensor type body such as '16x256xi8' or '16x4xf16'."""
    *dims, element = mlir_type.split("x")
    bits = int(re.search(r"\d+", element).group(0))   # i8, ui4, f16, bf16, f8E4M3FN, f8E8M0FNU
    return math.prod(int(d) for d in dims) * bits // 8


# ---------------------------------------------------------------------------------------------
# References


def emulate_recipe(contender, weight, x):
    """y = x @ W under the recipe's RTN: symmetric int codes, scale = absmax / qmax per group of
    K (or per output channel), round half to even; int8 activations per token when act_bits."""
    K, N = weight.shape
    group = contender.group or K
    qmax = 2 ** (contender.weight_bits - 1) - 1
    blocks = weight.T.reshape(N, K // group, group)
    scales = (np.abs(blocks).max(-1, keepdims=True) / np.float32(qmax)).astype(np.float32)
    scales[scales == 0] = 1
    codes = np.clip(np.rint(blocks / scales), -qmax - 1, qmax)
    dequantized = (codes * scales).reshape(N, K).T.astype(np.float64)
    x = x.astype(np.float64)
    if contender.act_bits:
        amax = 2 ** (contender.act_bits - 1) - 1
        row_scales = np.abs(x).max(1, keepdims=True) / amax
        row_scales[row_scales == 0] = 1
        x = np.clip(np.rint(x / row_scales), -amax - 1, amax) * row_scales
    return x @ dequantized


def relative_error(y, reference):
    return float(np.abs(y.astype(np.float64) - reference).max() / max(np.abs(reference).max(), 1e-30))


class Checker:
    """Errors of y0 against float32 and against a reference of the same quantization."""

    def __init__(self, store, ort_runtime):
        self.store, self.ort_runtime = store, ort_runtime

    def check(self, contender, K, N, x, y0):
        weight = self.store.weight(K, N, 0)
        result = {"rel_err_vs_fp32": relative_error(y0, x.astype(np.float64) @ weight)}
        if contender.runtime != "qopt":
            return result
        if contender.recipe:
            reference = emulate_recipe(contender, weight, x)
            result["reference"] = f"numpy emulation of {contender.recipe}"
        else:
            reference = self.ort_runtime.output(self.store.model(contender.variant, K, N, 1), x)
            result["reference"] = f"ONNX Runtime on the same MatMulNBits model (accuracy_level {contender.variant[2]})"
        result["max_rel_err"] = relative_error(y0, reference)
        tolerance = ERROR_TOLERANCE[contender.weight_bits]
        if result["max_rel_err"] > tolerance:
            result["mismatch"] = f"max_rel_err {result['max_rel_err']:.4f} > {tolerance} against the reference"
        return result


# ---------------------------------------------------------------------------------------------
# Machine


def last_level_cache_bytes():
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index3/size") as f:
            text = f.read().strip()
        return int(text[:-1]) * {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[text[-1]]
    except (OSError, ValueError, KeyError):
        return 32 << 20


def read_bandwidth(work, thread_counts, args):
    """{threads: read_bandwidth's JSON (best_gbps, by_streams)}, or {"error": ...} per thread count."""
    binary = os.path.join(work, "read_bandwidth")
    compile_command = [args.cc, "-O3", "-march=native", "-fopenmp",
                       os.path.join(REPO, "bench", "read_bandwidth.c"), "-o", binary]
    try:
        result = subprocess.run(compile_command, capture_output=True, text=True)
        message = result.stderr.strip()[-500:]
    except OSError as error:
        result, message = None, str(error)
    if result is None or result.returncode != 0:
        return {t: {"error": f"compiling read_bandwidth.c: {message}"} for t in thread_counts}
    bandwidth = {}
    for threads in thread_counts:
        run = subprocess.run([binary, "--threads", str(threads), "--mib", str(args.bandwidth_mib)],
                             capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
        bandwidth[threads] = (json.loads(run.stdout) if run.returncode == 0
                              else {"error": run.stderr.strip()[-500:]})
        log(f"read bandwidth, {threads} thread(s): {bandwidth[threads].get('best_gbps')} GB/s")
    return bandwidth


def machine_info(llc, bandwidth):
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "llc_bytes": llc, "onnxruntime": ort.__version__,
            "read_bandwidth": {str(t): b for t, b in bandwidth.items()}}


def load_average():
    """1-minute load average: other work on this machine skews the timings (2 threads most)."""
    return round(os.getloadavg()[0], 2)


# ---------------------------------------------------------------------------------------------
# The benchmark


def layer_count(layer_bytes, K, N, M, args):
    """Layers per model: > llc_factor x LLC of weights for M = 1, ~min_run_flop per run otherwise."""
    if args.layers:
        layers = args.layers
    else:
        layers = int(args.llc_factor * args.llc_bytes // layer_bytes) + 1
        if M > 1:
            layers = min(layers, math.ceil(args.min_run_flop / (2 * M * K * N)))
    fp32_cap = max(1, FP32_MODEL_LIMIT // (K * N * 4))
    return max(1, min(layers, args.max_layers, fp32_cap))


def benchmark_case(contender, runtime, checker, K, N, M, x, layer_bytes, bandwidth, args):
    """Rows (one per thread count) for one contender on one (shape, M)."""
    flop = 2 * M * K * N
    base = {"contender": contender.name, "shape": f"{K}x{N}", "K": K, "N": N, "M": M}
    try:
        if isinstance(layer_bytes, Failure):
            raise layer_bytes
        layers = layer_count(layer_bytes, K, N, M, args)
        base.update(layers=layers, layer_bytes=layer_bytes, bits_per_weight=8 * layer_bytes / (K * N),
                    weights_exceed_llc=layers * layer_bytes > args.llc_factor * args.llc_bytes)
        artifact = runtime.prepare(contender, K, N, M, layers)
    except Failure as failure:
        return [dict(base, threads=t, error=str(failure)) for t in args.threads]
    rows, check = [], None
    for threads in args.threads:
        row = dict(base, threads=threads)
        try:
            measurement = runtime.measure(artifact, x, threads)
        except Failure as failure:
            rows.append(dict(row, error=str(failure)))
            continue
        per_layer_ms = measurement.median_ms / layers
        row.update(median_ms=measurement.median_ms, min_ms=measurement.min_ms, repeats=measurement.repeats,
                   ms_per_layer=per_layer_ms, gflops=flop / per_layer_ms / 1e6)
        if M == 1:
            row["weight_gbps"] = layer_bytes / per_layer_ms / 1e6
            peak = bandwidth.get(threads, {}).get("best_gbps")
            row["bandwidth_fraction"] = row["weight_gbps"] / peak if peak else None
        if check is None:
            try:
                check = checker.check(contender, K, N, x, measurement.y0)
            except Exception as error:  # the reference could not be computed
                check = {"mismatch": f"no reference output: {type(error).__name__}: {error}".splitlines()[0]}
        row.update(check)
        rows.append(row)
        log(f"{contender.name:20} {K}x{N} M={M} T={threads}: {per_layer_ms:.4f} ms/layer "
            f"(L={layers}, {measurement.repeats} runs)")
    return rows


def add_speedups(rows):
    """speedup_vs_<baseline> = baseline's per-layer time / this row's, for rows of one (shape, M)."""
    for threads in {r["threads"] for r in rows}:
        same = [r for r in rows if r["threads"] == threads and "ms_per_layer" in r]
        for baseline in BASELINES:
            reference = next((r["ms_per_layer"] for r in same if r["contender"] == baseline), None)
            for row in same:
                row[f"speedup_vs_{baseline}"] = reference / row["ms_per_layer"] if reference else None


def print_table(rows):
    def number(value, form):
        return format(value, form) if isinstance(value, (int, float)) else "-"

    header = (f"{'shape':>11} {'M':>4} {'T':>2} {'contender':20} {'L':>4} {'ms/layer':>9} {'GFLOP/s':>8} "
              f"{'GB/s':>6} {'%BW':>5} {'/nb32a4':>7} {'/int8':>6} {'err':>7}")
    print(header, file=sys.stderr)
    for r in sorted(rows, key=lambda r: (r["threads"], CONTENDER_ORDER[r["contender"]])):
        line = (f"{r['shape']:>11} {r['M']:>4} {r['threads']:>2} {r['contender']:20} {number(r.get('layers'), 'd'):>4} "
                f"{number(r.get('ms_per_layer'), '.4f'):>9} {number(r.get('gflops'), '.1f'):>8} "
                f"{number(r.get('weight_gbps'), '.1f'):>6} {number(r.get('bandwidth_fraction'), '.0%'):>5} "
                f"{number(r.get('speedup_vs_ort-nbits-b32-acc4'), '.2f'):>7} "
                f"{number(r.get('speedup_vs_ort-int8-dynamic'), '.2f'):>6} "
                f"{number(r.get('max_rel_err'), '.2%'):>7}")
        if "error" in r:
            line += f"  ERROR: {r['error'].splitlines()[0][:100]}"
        if "mismatch" in r:
            line += f"  MISMATCH: {r['mismatch']}"
        print(line, file=sys.stderr)
    print(file=sys.stderr, flush=True)


CONTENDER_ORDER = {c.name: i for i, c in enumerate(CONTENDERS)}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--shapes", help=f"KxN,... (default {DEFAULT_SHAPES}; --quick: 4096x4096)")
    parser.add_argument("--m", help="rows of x, comma-separated (default 1,16,128,512; --quick: 1,16)")
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated (default 1,2)")
    parser.add_argument("--contenders", default="*", help="names or fnmatch patterns, comma-separated")
    parser.add_argument("--repeat", type=int, help="most timed runs per measurement (default 20; --quick: 5)")
    parser.add_argument("--budget", type=float, help="seconds of timed runs per measurement before "
                        "--repeat is cut down, to no fewer than 3 (default 10; --quick: 2)")
    parser.add_argument("--quick", action="store_true", help="one shape, M in {1,16}, few repeats")
    parser.add_argument("--layers", type=int, help="layers per model (default: from the LLC and M)")
    parser.add_argument("--max-layers", type=int, default=512)
    parser.add_argument("--llc-factor", type=float, default=3.0, help="M=1 weights exceed this x the LLC")
    parser.add_argument("--min-run-flop", type=float, default=1e9, help="M>1: layers for about this many FLOP")
    parser.add_argument("--nbits-asymmetric", action="store_true",
                        help="MatMulNBits with zero points (ORT's quantizer default) instead of symmetric")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--qopt", default=os.path.join(REPO, "build", "bin", "qopt"))
    parser.add_argument("--cc", default="clang-22", help="C compiler for read_bandwidth.c")
    parser.add_argument("--bandwidth-mib", type=int, default=1024)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per qopt compile or executable run")
    parser.add_argument("--json", help="write the JSON here instead of stdout")
    parser.add_argument("--keep", help="build models and executables in DIR and keep them")
    args = parser.parse_args(argv)

    args.shapes = [tuple(int(d) for d in s.split("x")) for s in
                   (args.shapes or ("4096x4096" if args.quick else DEFAULT_SHAPES)).split(",")]
    args.m = [int(m) for m in (args.m or ("1,16" if args.quick else "1,16,128,512")).split(",")]
    args.threads = [int(t) for t in args.threads.split(",")]
    args.repeat = args.repeat or (5 if args.quick else 20)
    args.budget = args.budget or (2.0 if args.quick else 10.0)
    patterns = args.contenders.split(",")
    args.contenders = [c for c in CONTENDERS if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]
    if not args.contenders:
        parser.error(f"no contender matches {patterns}; there are {', '.join(c.name for c in CONTENDERS)}")
    args.llc_bytes = last_level_cache_bytes()
    return args


def main(argv=None):
    args = parse_args(argv)
    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="qlinear_kernels.")
    os.makedirs(work, exist_ok=True)
    try:
        store = ModelStore(os.path.join(work, "models"), args.seed, symmetric_nbits=not args.nbits_asymmetric)
        runtimes = {"ort": OrtRuntime(store, args), "qopt": QoptRuntime(store, args, os.path.join(work, "exe"))}
        checker = Checker(store, runtimes["ort"])
        load_at_start = load_average()
        bandwidth = read_bandwidth(work, args.threads, args)
        rows = []
        for K, N in args.shapes:
            storage = {}
            for contender in args.contenders:
                try:
                    storage[contender.name] = runtimes[contender.runtime].layer_bytes(contender, K) * N // PROXY_N
                except Failure as failure:
                    storage[contender.name] = failure
            for M in args.m:
                x = store.input(K, M)
                group = []
                for contender in args.contenders:
                    group += benchmark_case(contender, runtimes[contender.runtime], checker, K, N, M, x,
                                            storage[contender.name], bandwidth, args)
                    gc.collect()
                add_speedups(group)
                print_table(group)
                rows += group
            if not args.keep:
                store.drop_shape(K, N)
                runtimes["qopt"].drop_shape(K, N)
        errors = [f"{r['contender']} {r['shape']} M={r['M']} T={r['threads']}: {r.get('error') or r['mismatch']}"
                  for r in rows if "error" in r or "mismatch" in r]
        report = {
            "benchmark": "qlinear_kernels",
            "machine": dict(machine_info(args.llc_bytes, bandwidth),
                            load_average={"start": load_at_start, "end": load_average()}),
            "config": {"shapes": [f"{K}x{N}" for K, N in args.shapes], "m": args.m, "threads": args.threads,
                       "contenders": {c.name: c.description for c in args.contenders}, "repeat": args.repeat,
                       "budget_s": args.budget, "llc_factor": args.llc_factor, "seed": args.seed,
                       "nbits_symmetric": not args.nbits_asymmetric,
                       "qopt_threads_flag": runtimes["qopt"].threads_flag,
                       "time": "ms_per_layer: median over repeats of one run of all L layers (median_ms), "
                               "divided by L; min_ms: the fastest run"},
            "results": rows,
            "errors": errors,
        }
        text = json.dumps(report, indent=1)
        if args.json:
            with open(args.json, "w") as f:
                f.write(text + "\n")
        else:
            print(text)
        for error in errors:
            log(f"ERROR {error}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
