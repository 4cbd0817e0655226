#!/usr/bin/env bash
# The compiler, its tools and the runtime built with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-sanitize/, then the suites that do
# not compile whole models (unit tests; lit: Dialect, Transforms,
# Conversion, Import, tools) run against it. Any sanitizer report fails
# the run (UBSan does not recover; leaks are reported).
#   scripts/sanitize.sh [ctest arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${QOPT_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DQOPT_BUILD_FUZZERS=OFF \
    -DQOPT_PYTHON="$root/.venv/bin/python"
fi
cmake --build "$build" --target qopt-opt qopt QuantTests SupportTests ExecutionTests
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for suite in QuantTests SupportTests ExecutionTests; do
  "$build/unittests/$suite" --gtest_brief=1
done
cd "$build"
/usr/lib/llvm-22/bin/lit -sv test/Dialect test/Transforms test/Conversion test/Import test/tools "$@"
