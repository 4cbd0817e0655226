#!/usr/bin/env bash
# Runs the ONNX importer fuzzer for a bounded time from a seed corpus of the
# importer tests' models (run-fuzzer.sh). Fails on any crash, sanitizer
# report, leak, hang or out-of-memory; the failing input is left in the work
# directory.
#   run-fuzz-import.sh <qopt-fuzz-import> <python> <seconds> <work dir>
set -euo pipefail
fuzzer="$1" python="$2" seconds="$3" work="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seeds="$work.seeds"
rm -rf "$seeds" && mkdir -p "$seeds"
for model in mlp elementwise shape_ops batched_matmul unsupported broadcast_error \
             missing_initializer old_opset bad_initializer symbolic split_without_outputs; do
  "$python" "$here/../Import/onnx/Inputs/models.py" "$model" "$seeds/$model.onnx"
done
# The older forms of ops (Slice-1, Pad-2, Upsample, Resize-10...), and a CNN
# written in opset-9 forms.
"$python" - "$here/../Import/onnx/Inputs" "$seeds" <<'PY'
import os, sys
import onnx
sys.path.insert(0, sys.argv[1])
import old_opsets
from qopt import vision_models
for i, model in enumerate(old_opsets.CASES.values()):
    onnx.save(model, os.path.join(sys.argv[2], f"old_opset{i}.onnx"))
onnx.save(vision_models.mobilenet_v3(opset=9, classes=10), os.path.join(sys.argv[2], "mobilenet9.onnx"))
PY
# Inputs that once found bugs.
cp "$here/corpus/import/"*.onnx "$seeds/"
exec "$here/run-fuzzer.sh" "$fuzzer" "$seeds" "$seconds" "$work"
