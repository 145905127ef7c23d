#!/usr/bin/env bash
# Runs the homepage/manifest discovery fuzz target for SECONDS (default 600) on a seed corpus of
# small pages and manifests (fuzz/seeds: ordinary ones and shrunk copies of the hostile classes
# of tests/hostile.rs). Needs `cargo install cargo-fuzz`; RUSTC_BOOTSTRAP=1 lets it use a
# stable toolchain. Crashes are written to fuzz/artifacts/discover/. Extra arguments go to
# libFuzzer.
#
# Limits: an input taking more than 5 s is a failure (-timeout; a 256 KiB page scans in
# milliseconds), as is any single allocation over 64 MB (-malloc_limit_mb; the homepage itself
# is at most 1 MiB). The whole-process limit is higher (-rss_limit_mb=2048) because
# AddressSanitizer's quarantine and libFuzzer's corpus grow the fuzzer's own RSS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-600}"
shift || true
corpus="$here/corpus/discover"
mkdir -p "$corpus"
cp -n "$here"/seeds/* "$corpus"/ 2>/dev/null || true
cd "$here"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
cargo fuzz run discover "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=5 -max_len=262144 -print_final_stats=1 "$@"
