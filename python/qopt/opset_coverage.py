"""The importer's coverage table against the ONNX schema history.

    python -m qopt.opset_coverage --qopt build/bin/qopt [--from-opset 7]

`qopt inspect --supported-ops --json` lists, for every op the importer
handles, the since-versions of the op's schema that it implements. For each
ai.onnx op in that table, every since-version in the installed onnx
package's history from the one in force at opset 7 on (`--from-opset`) must
be listed: a version missing means a revision of the op that nobody read
(new attributes, inputs turned into attributes...), which would otherwise
import silently through the older entry. Versions the schema does not have
are errors too. Prints one line per op with a problem and a summary; exits
1 if there is any.
"""

import argparse
import collections
import json
import subprocess
import sys

import onnx.defs


def schema_history():
    """ai.onnx op -> sorted since-versions."""
    history = collections.defaultdict(set)
    for schema in onnx.defs.get_all_schemas_with_history():
        if schema.domain in ("", "ai.onnx"):
            history[schema.name].add(schema.since_version)
    return {op: sorted(versions) for op, versions in history.items()}


def required_versions(versions, from_opset):
    """The since-versions a model at opset >= from_opset can meet."""
    in_force = [v for v in versions if v <= from_opset]
    floor = in_force[-1] if in_force else versions[0]
    return [v for v in versions if v >= floor]


def check(table, history, from_opset):
    problems = []
    checked = 0
    for key, versions in sorted(table.items()):
        domain, op = key.split("::")
        if domain != "ai.onnx":
            continue
        checked += 1
        if op not in history:
            problems.append(f"{op}: not an ai.onnx op in onnx {onnx.__version__}")
            continue
        missing = sorted(set(required_versions(history[op], from_opset)) - set(versions))
        unknown = sorted(set(versions) - set(history[op]))
        if missing:
            problems.append(f"{op}: since-versions {missing} are not handled "
                            f"(schema history {history[op]}, table {versions})")
        if unknown:
            problems.append(f"{op}: the table lists {unknown}, which are not since-versions "
                            f"of the op (schema history {history[op]})")
    return checked, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qopt", required=True, help="the qopt driver")
    parser.add_argument("--from-opset", type=int, default=7,
                        help="the oldest opset whose models must import (default 7)")
    args = parser.parse_args(argv)
    output = subprocess.run([args.qopt, "inspect", "--supported-ops", "--json"],
                            check=True, capture_output=True, text=True).stdout
    checked, problems = check(json.loads(output), schema_history(), args.from_opset)
    for problem in problems:
        print(problem)
    print(f"opset coverage: {checked} ai.onnx ops checked against onnx {onnx.__version__} "
          f"(opset {onnx.defs.onnx_opset_version()}) from opset {args.from_opset}: "
          f"{'ok' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
