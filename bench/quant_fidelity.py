"""Quantization fidelity of qopt's recipes beside ONNX Runtime's own quantizers.

    python bench/quant_fidelity.py build/examples/stories260K.onnx [--qopt build/bin/qopt]
        [--calib 32] [--eval 32] [--out results.json]
    python bench/quant_fidelity.py build/examples/digits_cnn.onnx --data build/examples/digits

One harness for every contender. For a language model (one `tokens`
input), token sequences are self-sampled from the float model (ONNX Runtime,
temperature 1; calibration and evaluation sets from different seeds). For
other models `--data DIR` gives DIR/calib.npz and DIR/eval.npz (one array per
input, [samples, ...]; an optional `label` array adds label accuracy), as
`python -m qopt.digits_cnn` writes them for its CNN. The float model's
outputs on the evaluation set are the reference, and each quantized model's
are compared with numpy: mean KL divergence of the softmax over the last
axis (per position), top-1 agreement, SQNR in dB.

Contenders:
  - qopt: `qopt compile --recipe R --calib calib.npy` executables;
  - ONNX Runtime (onnxruntime.quantization): MatMulNBits 4-bit (default
    block quantizer, symmetric and asymmetric, blocks 32/64/128; k-quant),
    GPTQ and HQQ when their dependencies (neural_compressor, torch) are
    installed, dynamic int8 (quantize_dynamic) and static int8 QDQ
    (quantize_static, per channel, calibrated on the same calibration set).
MatMulNBits applies to MatMul weights only, so a CNN gets the int8 ones.
Bits per weight count codes, scales and zero points of the linear layers
and convolutions.
Prints one JSON object (and a table on stderr).
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from qopt.llama2c import sample_tokens  # noqa: E402

QOPT_RECIPES = ["w8a16", "w8a16-gptq", "w4a16-g64", "w4a16-g32", "w4a16-g64-gptq", "w4a16-g32-gptq",
                "w4a16-g128", "w4a16-g128-gptq", "w3a16-g32", "w3a16-g32-gptq", "fp4-g32", "fp4-g32-gptq",
                "nf4-g64", "nf4-g64-gptq", "mxfp4", "mxfp4-gptq", "w8a8", "w8a8-static", "w4a8",
                "w4a8-gptq", "w8a8-fp8"]


def metrics(reference, test):
    p = reference.reshape(-1, reference.shape[-1]).astype(np.float64)
    q = test.reshape(-1, test.shape[-1]).astype(np.float64)
    log_p = p - p.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    log_q = q - q.max(1, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(1, keepdims=True))
    kld = (np.exp(log_p) * (log_p - log_q)).sum(1).mean()
    top1 = (p.argmax(1) == q.argmax(1)).mean()
    noise = ((p - q) ** 2).sum()
    sqnr = 10 * np.log10((p ** 2).sum() / noise) if noise > 0 else float("inf")
    return {"kld": float(kld), "top1_agreement": float(top1), "sqnr_db": float(sqnr)}


def feeds(samples):
    """One {input: array} per sample of {input: [samples, ...]}."""
    count = len(next(iter(samples.values())))
    return [{name: array[i] for name, array in samples.items()} for i in range(count)]


def run_ort(path, samples):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return np.stack([session.run(None, feed)[0] for feed in feeds(samples)])


def run_qopt_executable(executable, samples, output, work):
    outputs = []
    for feed in feeds(samples):
        args = [executable, "--output", f"{output}={work}/output.npy"]
        for name, value in feed.items():
            np.save(f"{work}/{name}.npy", value)
            args += ["--input", f"{name}={work}/{name}.npy"]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        outputs.append(np.load(f"{work}/output.npy"))
    return np.stack(outputs)


def onnx_bits_per_weight(path, float_model):
    """Bits per weight of the quantized linear layers of an ORT model."""
    model = onnx.load(path)
    inits = {t.name: t for t in model.graph.initializer}
    float_inits = {t.name: numpy_helper.to_array(t) for t in float_model.graph.initializer}
    weights = bits = 0
    for node in model.graph.node:
        if node.op_type == "MatMulNBits":
            attrs = {a.name: a.i for a in node.attribute}
            weights += attrs["N"] * attrs["K"]
            for name in node.input[1:4]:
                if name in inits:
                    t = inits[name]
                    bits += np.prod(t.dims) * {1: 32, 2: 8, 3: 8, 10: 16}[t.data_type]
        elif node.op_type in ("MatMul", "MatMulInteger", "DynamicQuantizeMatMul", "Gemm", "Conv",
                              "ConvInteger") and len(node.input) > 1:
            name = node.input[1]
            source = [n for n in model.graph.node if name in n.output]
            if name in float_inits and name in inits and inits[name].data_type == 1:
                weights += float_inits[name].size
                bits += float_inits[name].size * 32
            elif name in inits:  # int8 weights of MatMulInteger / ConvInteger
                weights += np.prod(inits[name].dims)
                bits += np.prod(inits[name].dims) * 8
            elif source and source[0].op_type == "DequantizeLinear" and source[0].input[0] in inits:
                codes = inits[source[0].input[0]]
                weights += np.prod(codes.dims)
                bits += np.prod(codes.dims) * 8 + np.prod(inits[source[0].input[1]].dims) * 32
    return float(bits / weights) if weights else None


def ort_contenders(model_path, calib, work):
    """(name, path or None, note) for each ONNX Runtime quantization."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization import matmul_nbits_quantizer as nbits

    model = onnx.load(model_path)
    results = []
    inits = {t.name for t in model.graph.initializer}
    has_matmul_weights = any(n.op_type == "MatMul" and n.input[1] in inits for n in model.graph.node)
    op_types = ["MatMul"] + (["Conv", "Gemm"] if any(n.op_type == "Conv" for n in model.graph.node) else [])
    for block in (32, 64, 128) if has_matmul_weights else ():
        for symmetric in (True, False):
            name = f"ort-matmulnbits-rtn-b{block}-{'sym' if symmetric else 'asym'}"
            config = nbits.DefaultWeightOnlyQuantConfig(block_size=block, is_symmetric=symmetric)
            quantizer = nbits.MatMulNBitsQuantizer(onnx.load(model_path), algo_config=config)
            quantizer.process()
            path = f"{work}/{name}.onnx"
            onnx.save(quantizer.model.model, path)
            results.append((name, path, None))
    for name, make in () if not has_matmul_weights else (
                       ("ort-matmulnbits-kquant", lambda: nbits.KQuantWeightOnlyQuantConfig()),
                       ("ort-matmulnbits-hqq-b32", lambda: nbits.HQQWeightOnlyQuantConfig(block_size=32)),
                       ("ort-matmulnbits-gptq-b32", lambda: nbits.GPTQWeightOnlyQuantConfig(
                           calibration_data_reader=Reader(calib), block_size=32))):
        try:
            quantizer = nbits.MatMulNBitsQuantizer(onnx.load(model_path), algo_config=make())
            quantizer.process()
            path = f"{work}/{name}.onnx"
            onnx.save(quantizer.model.model, path)
            results.append((name, path, None))
        except Exception as error:  # a missing optional dependency
            results.append((name, None, f"{type(error).__name__}: {error}".splitlines()[0][:160]))
    path = f"{work}/ort-dynamic-int8.onnx"
    # Only the linear layers and convolutions, as qopt's recipes do (not the
    # embedding Gather, not the attention products between activations).
    quantize_dynamic(model_path, path, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=op_types,
                     nodes_to_exclude=activation_matmuls(model))
    results.append(("ort-dynamic-int8", path, None))
    path = f"{work}/ort-static-int8-qdq.onnx"
    quantize_static(model_path, path, Reader(calib), quant_format=QuantFormat.QDQ, per_channel=True,
                    weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
                    op_types_to_quantize=op_types, nodes_to_exclude=activation_matmuls(model))
    results.append(("ort-static-int8-qdq", path, None))
    del model
    return results


def activation_matmuls(model):
    """MatMuls whose second operand is not an initializer (attention)."""
    inits = {t.name for t in model.graph.initializer}
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1] not in inits]


class Reader:
    """An onnxruntime CalibrationDataReader over {input: [samples, ...]}."""

    def __init__(self, samples):
        self.samples = samples
        self.rewind()

    def get_next(self):
        return next(self.iterator, None)

    def __iter__(self):
        return iter(feeds(self.samples))

    def rewind(self):
        self.iterator = iter(feeds(self.samples))


def load_samples(args, float_model, work):
    """(calibration, evaluation, evaluation labels or None, calibration file,
    description), samples as {input: [samples, ...]}."""
    inputs = [i.name for i in float_model.graph.input]
    if args.data is None:
        if inputs != ["tokens"]:
            raise SystemExit("quant_fidelity: give --data DIR for a model whose input is not `tokens`")
        calib = {"tokens": sample_tokens(args.model, args.calib, seed=1)[:, None]}
        evaluation = {"tokens": sample_tokens(args.model, args.eval, seed=2)[:, None]}
        np.save(f"{work}/calib.npy", calib["tokens"][:, 0])
        length = float_model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
        return calib, evaluation, None, f"{work}/calib.npy", {
            "calibration_sequences": args.calib, "evaluation_sequences": args.eval, "sequence_length": length}
    calib_file = os.path.join(args.data, "calib.npz")
    calib_data, eval_data = np.load(calib_file), np.load(os.path.join(args.data, "eval.npz"))
    calib = {name: calib_data[name][:args.calib] for name in inputs}
    evaluation = {name: eval_data[name][:args.eval] for name in inputs}
    labels = eval_data["label"][:args.eval] if "label" in eval_data else None
    return calib, evaluation, labels, calib_file, {
        "calibration_samples": len(calib[inputs[0]]), "evaluation_samples": len(evaluation[inputs[0]])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--qopt", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin", "qopt"))
    parser.add_argument("--data", help="DIR with calib.npz and eval.npz (models other than language models)")
    parser.add_argument("--calib", type=int, default=32, help="calibration samples (at most)")
    parser.add_argument("--eval", type=int, default=32, help="evaluation samples (at most)")
    parser.add_argument("--recipes", default=",".join(QOPT_RECIPES))
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    ort.set_default_logger_severity(3)

    with tempfile.TemporaryDirectory() as work:
        float_model = onnx.load(args.model)
        output = float_model.graph.output[0].name
        calib, evaluation, labels, calib_file, description = load_samples(args, float_model, work)
        reference = run_ort(args.model, evaluation)

        def score(outputs):
            row = metrics(reference, outputs)
            if labels is not None:
                row["label_accuracy"] = float((outputs.reshape(len(labels), -1).argmax(1) == labels).mean())
            return row

        rows = [{"contender": "float", "bits_per_weight": 32.0, **score(reference)}]
        recipes = list(filter(None, args.recipes.split(",")))
        bits = {}
        if recipes:  # bits per weight of every recipe, from one `qopt eval`
            info = subprocess.run([args.qopt, "eval", args.model, "--recipe", ",".join(recipes), "--data",
                                   calib_file, "--samples", "1", "--calib", calib_file, "--json"],
                                  check=True, capture_output=True, text=True)
            bits = {r["recipe"]: r["bits_per_weight"] for r in json.loads(info.stdout)["results"]}
        for recipe in recipes:
            executable = f"{work}/{recipe}"
            subprocess.run([args.qopt, "compile", args.model, "--recipe", recipe, "--calib", calib_file,
                            "-o", executable], check=True, stderr=subprocess.DEVNULL)
            rows.append({"contender": f"qopt {recipe}", "bits_per_weight": bits[recipe],
                         **score(run_qopt_executable(executable, evaluation, output, work))})
        for name, path, note in ort_contenders(args.model, calib, work):
            if path is None:
                rows.append({"contender": name, "unavailable": note})
                continue
            rows.append({"contender": name, "bits_per_weight": onnx_bits_per_weight(path, float_model),
                         **score(run_ort(path, evaluation))})
    result = {"bench": "quant_fidelity", "model": args.model, **description,
              "onnxruntime": ort.__version__, "results": rows}
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    accuracy = "label_accuracy" in rows[0]
    print(f"{'contender':34} {'bpw':>6} {'KLD':>10} {'top-1':>7} {'SQNR dB':>8}" + ("  accuracy" if accuracy else ""),
          file=sys.stderr)
    for row in rows:
        if "unavailable" in row:
            print(f"{row['contender']:34} unavailable: {row['unavailable']}", file=sys.stderr)
            continue
        bpw = f"{row['bits_per_weight']:.2f}" if row["bits_per_weight"] else "-"
        print(f"{row['contender']:34} {bpw:>6} {row['kld']:10.4g} {row['top1_agreement']:7.2%} "
              f"{row['sqnr_db']:8.2f}" + (f"  {row['label_accuracy']:8.2%}" if accuracy else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
