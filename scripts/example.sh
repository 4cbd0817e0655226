#!/usr/bin/env bash
# The README's main job on the bundled example: set up, build, make the
# example model, compile it with qopt into a standalone executable, run it,
# and print its agreement with ONNX Runtime and both latencies.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QOPT_BUILD_DIR:-$root/build}"
python="$root/.venv/bin/python"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
mkdir -p "$build/examples"
model="$build/examples/tiny_mlp.onnx"
executable="$build/examples/tiny_mlp"
export PYTHONPATH="$root/python"

"$python" -m qopt.example_models tiny_mlp -o "$model" --check
"$build/bin/qopt" inspect "$model"
echo "== compile"
"$build/bin/qopt" compile "$model" --shape x=1x8x64 -o "$executable"
echo "== fidelity against ONNX Runtime (max abs error / output scale)"
"$python" -m qopt.check_against_ort "$model" "$executable" --shape x=1x8x64
echo "== latency, 1 thread"
"$python" "$root/bench/float_latency.py" "$model" "$executable" --shape x=1x8x64
