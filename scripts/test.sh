#!/usr/bin/env bash
# The README's test command: set up, build, and run every test suite
# (lit/FileCheck suites and GoogleTest, through ctest). With QOPT_SANITIZE=1
# (as CI sets it), also the ASan + UBSan build and its suites
# (scripts/sanitize.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
(cd "${QOPT_BUILD_DIR:-$root/build}" && ctest --output-on-failure -j "$(nproc)" "$@")
if [ "${QOPT_SANITIZE:-0}" = 1 ]; then
  "$root/scripts/sanitize.sh"
fi
