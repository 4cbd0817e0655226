"""W4A16 GEMV/GEMM on an NVIDIA GPU: qopt's generated kernels beside torch fp16
matmul (cuBLAS) and the device's copy bandwidth, on the same machine.

    .venv/bin/python bench/gpu_gemv.py [--shapes 4096x4096,4096x11008,11008x4096]
        [--m 1,4,16,64] [--gpu sm_90] [--json out.json] [--dry-run]

What is measured. For each K x N and M: an ONNX model of L independent
MatMulNBits layers (4-bit, block 128, symmetric: ORT's format, random codes
and scales) all reading x [M, K], compiled with `qopt compile --target cuda`
and timed by the executable's `--bench` (median of a run: input upload, all
layers, output download, one stream synchronization). Two models, L1 and L2
layers, are timed and the per-layer time is (t(L2) - t(L1)) / (L2 - L1): the
fixed cost of a run cancels. L2 layers' weights exceed 3x the 50 MB L2 cache
of an H100, so every layer streams its weights from HBM. GB/s is a layer's
stored bytes (codes + scales) over its time, against the copy bandwidth
torch measures on the same device (read + write bytes of a 1 GiB copy).
torch fp16: x [M, K] @ W [K, N] in float16 (cuBLAS), over L2 different
weights in turn, timed with CUDA events.

Without a GPU it prints {"skipped": reason} and exits 0; --dry-run builds
and compiles the models without running them (for a machine without a GPU).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from qopt.gpu_check import gpu_unavailable_reason  # noqa: E402

BLOCK = 128
L2_CACHE_BYTES = 50 << 20


def layer_bytes(K, N):
    return N * K // 2 + N * (K // BLOCK) * 4


def nbits_model(path, K, N, M, layers, seed=0):
    rng = np.random.default_rng(seed)
    blocks = K // BLOCK
    nodes, initializers, outputs = [], [], []
    for i in range(layers):
        codes = rng.integers(0, 256, (N, blocks, BLOCK // 2), dtype=np.uint8)
        scales = (rng.random(N * blocks, dtype=np.float32) * 0.01 + 0.001).astype(np.float32)
        initializers += [helper.make_tensor(f"B{i}", TensorProto.UINT8, codes.shape, codes.tobytes(), raw=True),
                         helper.make_tensor(f"S{i}", TensorProto.FLOAT, scales.shape, scales.tobytes(), raw=True)]
        nodes.append(helper.make_node("MatMulNBits", ["x", f"B{i}", f"S{i}"], [f"y{i}"], domain="com.microsoft",
                                      K=K, N=N, bits=4, block_size=BLOCK, name=f"layer{i}"))
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, [M, N]))
    graph = helper.make_graph(nodes, "gemv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [M, K])],
                              outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    onnx.save(model, path)


def qopt_layer_ms(args, work, K, N, M, layer_counts):
    times = []
    x_path = os.path.join(work, f"x_{M}x{K}.npy")
    np.save(x_path, np.random.default_rng(1).standard_normal((M, K)).astype(np.float32))
    for layers in layer_counts:
        model = os.path.join(work, f"nbits_{K}x{N}_m{M}_l{layers}.onnx")
        exe = model[:-5]
        nbits_model(model, K, N, M, layers)
        subprocess.run([args.qopt, "compile", model, "--target", "cuda", "--gpu", args.gpu, "-o", exe], check=True)
        os.remove(model)
        if args.dry_run:
            continue
        result = subprocess.run([exe, "--input", f"x={x_path}", "--bench", str(args.repeat)], check=True,
                                capture_output=True, text=True)
        times.append(json.loads(result.stdout.strip().splitlines()[-1])["median_ms"])
    if args.dry_run:
        return None
    return (times[1] - times[0]) / (layer_counts[1] - layer_counts[0])


def torch_measurements(K, N, M, layers, repeat):
    import torch
    weights = [torch.randn(K, N, dtype=torch.float16, device="cuda") for _ in range(layers)]
    x = torch.randn(M, K, dtype=torch.float16, device="cuda")
    for w in weights:
        torch.matmul(x, w)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeat):
        for w in weights:
            torch.matmul(x, w)
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / (repeat * layers)


def copy_bandwidth_gbs():
    import torch
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    dst.copy_(src)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        dst.copy_(src)
    end.record()
    torch.cuda.synchronize()
    return 2 * src.numel() * 20 / (start.elapsed_time(end) * 1e-3) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", default=os.path.join(ROOT, "build", "bin", "qopt"))
    parser.add_argument("--shapes", default="4096x4096,4096x11008,11008x4096")
    parser.add_argument("--m", default="1,4,16,64")
    parser.add_argument("--gpu", default="sm_90")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json")
    parser.add_argument("--dry-run", action="store_true", help="compile only")
    args = parser.parse_args(argv)
    reason = None if args.dry_run else gpu_unavailable_reason()
    if reason:
        print(json.dumps({"skipped": f"bench/gpu_gemv.py needs an NVIDIA GPU: {reason}"}))
        return 0
    try:
        import torch  # noqa: F401
        have_torch = not args.dry_run and torch.cuda.is_available()
    except ImportError:
        have_torch = False
    bandwidth = copy_bandwidth_gbs() if have_torch else None
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for shape in args.shapes.split(","):
            K, N = (int(v) for v in shape.split("x"))
            per_layer = layer_bytes(K, N)
            l2 = max(4, -(-3 * L2_CACHE_BYTES // per_layer))
            counts = (max(2, l2 // 3), l2)
            for M in (int(m) for m in args.m.split(",")):
                qopt_ms = qopt_layer_ms(args, work, K, N, M, counts)
                # M <= 16: the GEMV kernel (row_major, f32 math); more rows: the
                # tensor-core GEMM (mma_sm80, f16 operands).
                row = {"K": K, "N": N, "M": M, "kernel": "gemv" if M <= 16 else "mma",
                       "layers": list(counts), "qopt_ms": qopt_ms,
                       "layer_bytes": per_layer}
                if qopt_ms:
                    row["qopt_gbs"] = per_layer / (qopt_ms * 1e-3) / 1e9
                if have_torch:
                    row["torch_fp16_ms"] = torch_measurements(K, N, M, counts[1], 10)
                    row["speedup_vs_fp16"] = row["torch_fp16_ms"] / qopt_ms if qopt_ms else None
                    row["copy_bandwidth_gbs"] = bandwidth
                    row["fraction_of_copy_bandwidth"] = row.get("qopt_gbs", 0) / bandwidth
                print(json.dumps(row), flush=True)
                rows.append(row)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
