#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time from a seed corpus. Fails on any
# crash, sanitizer report, leak, hang or out-of-memory; the failing input is
# left in the work directory (crash-*, leak-*, timeout-*, oom-*), and the
# corpus it grew in <work dir>/corpus.
#   run-fuzzer.sh <fuzzer> <seed corpus dir> <seconds> <work dir> [libFuzzer options...]
# Options given after the work directory override the defaults below (the
# last of a repeated -flag=value wins). The fuzzer's scratch files go in the
# work directory too (TMPDIR).
set -euo pipefail
fuzzer="$1" seeds="$2" seconds="$3" work="$4"
shift 4
case "$fuzzer" in */*) fuzzer="$(cd "$(dirname "$fuzzer")" && pwd)/$(basename "$fuzzer")" ;; esac
rm -rf "$work" && mkdir -p "$work/corpus"
cp -R "$seeds/." "$work/corpus/"
cd "$work"
export TMPDIR="$PWD"
exec "$fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=30 \
  -print_final_stats=1 "$@" corpus
