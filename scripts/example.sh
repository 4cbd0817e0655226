#!/usr/bin/env bash
# The README's main job on the bundled example: set up, build, make the
# example model, and run qopt on it.
#
# Today qopt reads and summarizes ONNX models (`qopt inspect`); compiling
# them to executables and measuring fidelity and speed arrive with the
# ONNX importer and the CPU code generator.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QOPT_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
mkdir -p "$build/examples"
model="$build/examples/tiny_mlp.onnx"
PYTHONPATH="$root/python" "$root/.venv/bin/python" -m qopt.example_models tiny_mlp \
  -o "$model" --check
"$build/bin/qopt" inspect "$model"
