"""Assemble a PTX file with the CUDA toolkit's ptxas for each GPU architecture
and report every kernel's registers, spills and stack.

    python -m qopt.ptxas_report model.ptx [--arch sm_80,sm_90] [--ptxas PATH]
                                [--max-spill-bytes N]

Prints one JSON object per architecture: {"arch", "kernels": N,
"max_registers", "spill_bytes", "kernels_with_spills", "per_kernel": [...]}.
Exits 1 if ptxas rejects the file for any architecture or if any kernel
spills more than --max-spill-bytes (default 0).
"""

import argparse
import json
import os
import re
import subprocess
import sys

ENTRY = re.compile(r"Compiling entry function '([^']+)' for '([^']+)'")
SPILLS = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
REGISTERS = re.compile(r"Used (\d+) registers")


def default_ptxas():
    for candidate in (os.environ.get("QOPT_PTXAS"), "/usr/local/cuda/bin/ptxas"):
        if candidate and os.path.exists(candidate):
            return candidate
    return "ptxas"


def parse(log):
    kernels = []
    current = None
    for line in log.splitlines():
        if m := ENTRY.search(line):
            current = {"kernel": m.group(1), "registers": 0, "stack_bytes": 0, "spill_bytes": 0}
            kernels.append(current)
        elif current and (m := SPILLS.search(line)):
            current["stack_bytes"] = int(m.group(1))
            current["spill_bytes"] = int(m.group(2)) + int(m.group(3))
        elif current and (m := REGISTERS.search(line)):
            current["registers"] = int(m.group(1))
    return kernels


def report(ptx, arch, ptxas):
    result = subprocess.run([ptxas, f"-arch={arch}", "-v", ptx, "-o", os.devnull],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr.strip() or result.stdout.strip()
    kernels = parse(result.stderr + result.stdout)
    return {
        "arch": arch,
        "kernels": len(kernels),
        "max_registers": max((k["registers"] for k in kernels), default=0),
        "spill_bytes": sum(k["spill_bytes"] for k in kernels),
        "kernels_with_spills": [k["kernel"] for k in kernels if k["spill_bytes"]],
        "per_kernel": kernels,
    }, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ptx")
    parser.add_argument("--arch", default="sm_80,sm_90")
    parser.add_argument("--ptxas", default=default_ptxas())
    parser.add_argument("--max-spill-bytes", type=int, default=0)
    parser.add_argument("--summary", action="store_true", help="leave out the per-kernel list")
    args = parser.parse_args(argv)
    ok = True
    for arch in args.arch.split(","):
        summary, error = report(args.ptx, arch, args.ptxas)
        if summary is None:
            print(f"error: ptxas -arch={arch} rejected {args.ptx}: {error}", file=sys.stderr)
            ok = False
            continue
        if any(k["spill_bytes"] > args.max_spill_bytes for k in summary["per_kernel"]):
            ok = False
        if args.summary:
            del summary["per_kernel"]
        print(json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
