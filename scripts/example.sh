#!/usr/bin/env bash
# The README's main job on the bundled example, stories260K (a llama2.c
# checkpoint in ../shared/models; QOPT_EXAMPLE_CHECKPOINT overrides): set up,
# build, convert it to ONNX, compile it with qopt into a standalone
# executable, run it, and print its agreement with ONNX Runtime and with a
# numpy implementation of the checkpoint, then both latencies; then quantize
# it with a few recipes (calibrated in-process on token sequences sampled
# from the model) and print their fidelity against the float model. Then a
# CNN: a DBNet-style text detector written in opset-11 forms with symbolic
# batch, height and width (python/qopt/vision_models.py), compiled with
# --shape, with its agreement and latency beside ONNX Runtime. Last, text
# generation: the checkpoint exported with a KV cache, compiled with
# --generate, checked against the numpy reference, and its decode speed
# beside ONNX Runtime feeding present back as past.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QOPT_BUILD_DIR:-$root/build}"
python="$root/.venv/bin/python"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
mkdir -p "$build/examples"
export PYTHONPATH="$root/python"

checkpoint="${QOPT_EXAMPLE_CHECKPOINT:-$root/../shared/models/stories260K.bin}"
if [ ! -f "$checkpoint" ]; then
  echo "example: $checkpoint not found; using a synthetic checkpoint of the same architecture" >&2
  checkpoint="$build/examples/synthetic260K.bin"
  "$python" -m qopt.llama2c synthetic -o "$checkpoint" --dim 64 --hidden-dim 172 --layers 5 \
    --heads 8 --kv-heads 4 --vocab 512 --seq-len 512
fi
model="$build/examples/stories260K.onnx"
executable="$build/examples/stories260K"

echo "== convert $checkpoint (llama2.c) to ONNX, 32 tokens"
"$python" -m qopt.llama2c to-onnx "$checkpoint" -o "$model" --seq-len 32
"$build/bin/qopt" inspect "$model" | head -12
echo "== compile"
"$build/bin/qopt" compile "$model" -o "$executable"
echo "== fidelity: max abs error / logit scale"
"$python" -m qopt.check_against_ort "$model" "$executable"
"$python" -m qopt.llama2c check "$model" "$checkpoint" --executable "$executable"
echo "== latency, 1 thread, 32-token prefill"
"$python" "$root/bench/float_latency.py" "$model" "$executable" --runs 100
echo "== quantization fidelity against float: self-sampled calibration and evaluation tokens"
"$python" -m qopt.llama2c sample "$model" -o "$build/examples/calib_tokens.npy" --count 32 --seed 1
"$python" -m qopt.llama2c sample "$model" -o "$build/examples/eval_tokens.npy" --count 16 --seed 2
"$build/bin/qopt" eval "$model" --recipe w8a16,w4a16-g32,w4a16-g32-gptq,w8a8 \
  --data "$build/examples/eval_tokens.npy" --calib "$build/examples/calib_tokens.npy"
echo "== a CNN: DBNet-style detector, opset 11, dynamic dims compiled at 1x3x64x96"
detector="$build/examples/dbnet_opset11.onnx"
"$python" -m qopt.vision_models dbnet -o "$detector" --opset 11
"$build/bin/qopt" inspect "$detector" | sed -n '3,8p'
"$build/bin/qopt" compile "$detector" -o "$build/examples/dbnet" --shape x=1x3x64x96
echo "== detector fidelity: max abs error / output scale"
"$python" -m qopt.check_against_ort "$detector" "$build/examples/dbnet" --shape x=1x3x64x96
echo "== detector latency, 1 thread"
"$python" "$root/bench/float_latency.py" "$detector" "$build/examples/dbnet" --shape x=1x3x64x96 --runs 50
echo "== generation: the KV-cache export (past/present) compiled with --generate (float32 cache, so that greedy ids equal ONNX Runtime float's), against the numpy reference"
decoder="$build/examples/stories260K_kv.onnx"
"$python" -m qopt.llama2c to-onnx "$checkpoint" -o "$decoder" --kv-cache --seq-len 128
"$build/bin/qopt" compile "$decoder" --generate --max-seq-len 128 --prefill-len 16 --kv-cache f32 \
  -o "$build/examples/stories260K_generate"
"$python" -m qopt.generator_check "$build/examples/stories260K_generate" "$checkpoint"
echo "== generation speed, 1 thread, 64 greedy tokens after BOS: qopt, then ONNX Runtime with past/present"
OMP_NUM_THREADS=1 "$build/examples/stories260K_generate" --prompt 1 --max-new-tokens 64 --repeat 5 --threads 1
"$python" -m qopt.llama2c generate "$decoder" --prompt 1 --max-new-tokens 64 --threads 1
