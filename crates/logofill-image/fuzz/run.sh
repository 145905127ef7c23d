#!/usr/bin/env bash
# Runs the fuzz targets, each for SECONDS (default 600): `render` (bytes -> variants, every
# format) on a seed corpus made of the test fixtures, then `svg` (SVG documents only) on
# `seeds-svg/`. `run.sh [SECONDS] [libFuzzer args...]` runs both; `run.sh TARGET [SECONDS]
# [libFuzzer args...]` runs one. A slow input is a failure: -timeout=10 per input. Needs `cargo install cargo-fuzz`; RUSTC_BOOTSTRAP=1 lets it use a stable
# toolchain. Crashes are written to fuzz/artifacts/render/. Extra arguments go to libFuzzer, e.g.
# `-fork=1 -ignore_crashes=1` to keep going after a crash and count them, or `-len_control=0` to
# try long inputs from the start.
#
# Memory: any single allocation over 256 MB is reported as a bug (-malloc_limit_mb; the
# pipeline's own decode bound is 80 MiB). The whole-process limit is higher (-rss_limit_mb=2048)
# because AddressSanitizer's quarantine and libFuzzer's in-memory corpus grow the fuzzer's RSS
# far beyond what the pipeline itself holds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
targets=(render svg)
if [[ "${1:-}" == render || "${1:-}" == svg ]]; then
  targets=("$1")
  shift
fi
seconds="${1:-600}"
shift || true
cd "$here"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
for target in "${targets[@]}"; do
  corpus="$here/corpus/$target"
  mkdir -p "$corpus"
  if [[ "$target" == render ]]; then
    cp -n "$here"/../tests/fixtures/*.{jpg,webp,png,gif,ico,bmp,svg} "$corpus"/ 2>/dev/null || true
    cp -n "$here"/seeds/* "$corpus"/ 2>/dev/null || true
  else
    cp -n "$here"/seeds-svg/* "$corpus"/ 2>/dev/null || true
  fi
  cargo fuzz run "$target" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -max_len=65536 -print_final_stats=1 "$@"
done
