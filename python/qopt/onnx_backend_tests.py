"""The ONNX backend node tests, run through qopt.

    python -m qopt.onnx_backend_tests --qopt build/bin/qopt \\
        --expected-failures test/onnx-backend/expected-failures.txt [--json report.json]

The onnx package generates its node test cases (model + inputs + expected
outputs + tolerances) with onnx.backend.test.loader. Each test in scope (all
its ops in the importer's coverage table) is compiled with `qopt compile`
into an executable, run on the test's inputs, and compared as ONNX's own
runner does (numpy assert_allclose with the case's rtol/atol, NaN equal).

Exit status 0 when the failures are exactly the checked-in expected
failures; 1 when a test fails that is not listed (a regression) or a listed
test passes (remove it: the list only shrinks). Prints pass counts by op.
"""

import argparse
import collections
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnx
import onnx.numpy_helper

def target_ops(qopt):
    """The ops in scope: every op of the importer's coverage table
    (`qopt inspect --supported-ops`), named as model_ops names them."""
    table = json.loads(subprocess.run([qopt, "inspect", "--supported-ops", "--json"], check=True,
                                      capture_output=True, text=True).stdout)
    return {op if domain == "ai.onnx" else f"{domain}::{op}"
            for domain, op in (key.split("::") for key in table)}

# Element types a .npy file holds natively (others: bfloat16, float8, int4...
# come from ml_dtypes and cannot cross the executable's boundary).
NUMPY_NATIVE = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                "uint16", "uint32", "uint64", "bool"}


def model_ops(graph):
    ops = set()
    for node in graph.node:
        ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}")
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                ops |= model_ops(attribute.g)
    return ops


def primary_op(case):
    """The op a test is about: the op of its last node (tests of functions
    expand into several nodes; the name prefix is the op)."""
    return case.model.graph.node[-1].op_type if case.model.graph.node else "?"


def in_scope(case, ops_in_scope):
    ops = model_ops(case.model.graph)
    return bool(ops) and ops <= ops_in_scope


def run_case(args):
    """Returns (name, op, outcome, detail); outcome: pass, compile, run,
    mismatch, or harness (inputs the executables cannot take, e.g. sequences)."""
    case, qopt = args
    try:
        name, op, outcome, detail = run_case_checked(case, qopt)
    except Exception as error:  # noqa: BLE001 - reported per test, never fatal
        name, op, outcome = case.name, primary_op(case), "harness"
        detail = f"{type(error).__name__}: {error}"[:300]
    # Temporary directories differ run to run; keep the reasons comparable.
    return name, op, outcome, re.sub(r"/tmp/tmp\w+/", "", detail)


def run_case_checked(case, qopt):
    op = primary_op(case)
    def as_array(value):
        if isinstance(value, onnx.TensorProto):  # Cast tests keep exact types this way
            value = onnx.numpy_helper.to_array(value)
        return np.asarray(value) if isinstance(value, np.generic) else value

    case.data_sets[0] = tuple([as_array(a) for a in part] for part in case.data_sets[0])
    for array in list(case.data_sets[0][0]) + list(case.data_sets[0][1]):
        if not isinstance(array, np.ndarray):
            return case.name, op, "harness", f"a {type(array).__name__} input or output"
        if array.dtype.name not in NUMPY_NATIVE:
            return case.name, op, "harness", f"tensors of {array.dtype} are not supported"
    with tempfile.TemporaryDirectory() as work:
        model_path = os.path.join(work, "model.onnx")
        onnx.save(case.model, model_path)
        inputs, outputs = case.data_sets[0]
        graph_inputs = [i for i in case.model.graph.input
                        if i.name not in {t.name for t in case.model.graph.initializer}]
        command = [qopt, "compile", model_path, "-o", os.path.join(work, "model")]
        for value, array in zip(graph_inputs, inputs):
            if array.ndim:
                command += ["--shape", f"{value.name}={'x'.join(str(d) for d in array.shape)}"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
            bound = set()
            if result.returncode != 0 and "constant" in result.stderr:
                # Shapes, axes and the like given as graph inputs: fix the small
                # integer inputs at compile time, as an exporter would have
                # made them initializers, and compile again.
                for i, (value, array) in enumerate(zip(graph_inputs, inputs)):
                    if array.dtype in (np.int64, np.int32, np.float16, np.float32, np.float64) \
                            and array.size <= 16:
                        path = os.path.join(work, f"bound{i}.pb")
                        with open(path, "wb") as f:
                            f.write(onnx.numpy_helper.from_array(array).SerializeToString())
                        command += ["--bind", f"{value.name}={path}"]
                        bound.add(value.name)
                result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return case.name, op, "compile", "timeout"
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            return case.name, op, "compile", lines[0][:300] if lines else f"status {result.returncode}"
        run = [os.path.join(work, "model")]
        for i, (value, array) in enumerate(zip(graph_inputs, inputs)):
            if value.name in bound:
                continue
            np.save(os.path.join(work, f"in{i}.npy"), np.array(array, order="C"))
            run += ["--input", f"{value.name}={work}/in{i}.npy"]
        for i, value in enumerate(case.model.graph.output):
            run += ["--output", f"{value.name}={work}/out{i}.npy"]
        try:
            result = subprocess.run(run, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return case.name, op, "run", "timeout"
        if result.returncode != 0:
            return case.name, op, "run", (result.stderr.strip() or f"status {result.returncode}")[:300]
        for i, expected in enumerate(outputs):
            actual = np.load(os.path.join(work, f"out{i}.npy"))
            try:
                if expected.dtype == object:
                    raise AssertionError("object outputs")
                np.testing.assert_allclose(actual, expected, rtol=case.rtol, atol=case.atol,
                                           equal_nan=True)
                if actual.dtype != expected.dtype:
                    raise AssertionError(f"dtype {actual.dtype} != {expected.dtype}")
            except AssertionError as error:
                return case.name, op, "mismatch", str(error).strip().splitlines()[0][:300]
    return case.name, op, "pass", ""


def load_cases(ops_in_scope):
    from onnx.backend.test.loader import load_model_tests
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = load_model_tests(kind="node")
    return [c for c in cases if c.data_sets and in_scope(c, ops_in_scope)]


def model_opset(model):
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)


def runs_as_expected_in_ort(model, case):
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    try:
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        inputs, outputs = case.data_sets[0]
        feeds = {i.name: np.asarray(a) for i, a in zip(session.get_inputs(), inputs)}
        for actual, expected in zip(session.run(None, feeds), outputs):
            np.testing.assert_allclose(actual, np.asarray(expected), rtol=case.rtol, atol=case.atol,
                                       equal_nan=True)
    except Exception:  # noqa: BLE001 - not runnable or not the same results
        return False
    return True


def convert_cases(cases, opset, ops_in_scope):
    """The cases taken down to `opset` by onnx.version_converter, named
    `<test>@opset<N>`: the same inputs and expected outputs, the older forms
    of the ops (attributes for inputs, 2-D Softmax...). Cases already at or
    below `opset`, those the converter cannot take there (ops or types that
    did not exist yet), and those whose converted model ONNX Runtime does not
    run to the expected outputs (the converter changed the meaning: it keeps
    Softmax's axis across the 2-D coercion of opset 13) are left out;
    returns (converted, skipped)."""
    import dataclasses
    import onnx.version_converter
    converted, skipped = [], 0
    for case in cases:
        if model_opset(case.model) <= opset:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = onnx.version_converter.convert_version(case.model, opset)
            onnx.checker.check_model(model)
        except Exception:  # noqa: BLE001 - the converter has no adapter
            skipped += 1
            continue
        if not in_scope(dataclasses.replace(case, model=model), ops_in_scope) \
                or not runs_as_expected_in_ort(model, case):
            skipped += 1
            continue
        converted.append(dataclasses.replace(case, model=model, name=f"{case.name}@opset{opset}"))
    return converted, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", required=True, help="the qopt driver")
    parser.add_argument("--expected-failures", required=True)
    parser.add_argument("--json", help="write the full report here")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--filter", default="", help="only tests whose name contains this")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the expected-failures file from this run")
    parser.add_argument("--opset", type=int, action="append", default=[],
                        help="also run the cases converted down to this opset (repeatable)")
    args = parser.parse_args(argv)

    ops_in_scope = target_ops(args.qopt)
    cases = load_cases(ops_in_scope)
    for opset in args.opset:
        converted, skipped = convert_cases(cases[:], opset, ops_in_scope)
        print(f"opset {opset}: {len(converted)} cases converted, {skipped} not convertible")
        cases += converted
    cases = [c for c in cases if args.filter in c.name]
    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.map(run_case, [(c, args.qopt) for c in cases], chunksize=1)
    results.sort()

    by_op = collections.defaultdict(lambda: [0, 0])
    outcomes = collections.Counter()
    failures = {}
    for name, op, outcome, detail in results:
        by_op[op][1] += 1
        outcomes[outcome] += 1
        if outcome == "pass":
            by_op[op][0] += 1
        else:
            failures[name] = f"{outcome}: {detail}"
    passed = outcomes["pass"]
    print(f"ONNX backend node tests in scope: {len(results)}; passed {passed} "
          f"({100.0 * passed / max(len(results), 1):.1f}%); "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()) if k != "pass"))
    for op in sorted(by_op):
        ok, total = by_op[op]
        print(f"  {op:22s} {ok:4d} / {total:<4d}")

    if args.update:
        with open(args.expected_failures, "w") as f:
            f.write("# ONNX backend node tests in scope that qopt fails today, with why.\n"
                    "# This list may only shrink: python -m qopt.onnx_backend_tests --update\n")
            for name in sorted(failures):
                f.write(f"{name}  # {failures[name].replace(chr(10), ' ')}\n")
    expected = set()
    with open(args.expected_failures) as f:
        for line in f:
            name = line.split("#")[0].strip()
            if name:
                expected.add(name)
    ran = {r[0] for r in results}
    regressions = sorted(set(failures) - expected)
    fixed = sorted(n for n in expected & ran if n not in failures)
    for name in regressions:
        print(f"REGRESSION {name}: {failures[name]}")
    for name in fixed:
        print(f"NOW PASSES {name}: remove it from {args.expected_failures}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"total": len(results), "passed": passed, "by_op": by_op,
                       "failures": failures}, f, indent=1)
    return 1 if regressions or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
