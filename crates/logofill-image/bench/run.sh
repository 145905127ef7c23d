#!/usr/bin/env bash
# Side-by-side benchmark: logofill vs sharp (libvips) doing the same job over the same corpus:
# fit 64/128/256, pad to square, PNG + WebP, with the same encoder settings (PNG zlib level 6 with
# adaptive filters; WebP quality 85, effort 4, lossless alpha). Prints images/s, CPU time, median
# ms per category, peak RSS, failures and output bytes for each.
#
# sharp runs two ways (one pipeline per output, and decode once then resize), each both free to
# use every core (libvips spreads one image over threads) and pinned to one CPU with taskset, the
# way a Lambda with at most one vCPU runs it. logofill renders each image on one thread, in as
# many budgeted helper processes as there are cores (and once more in-process, for the budget's
# overhead, and once pinned to one CPU). The logo corpus is
# run BENCH_ROUNDS times (default 3), tools interleaved, and the median round is reported, since
# a shared 2-core machine varies by 10-20% from one run to the next.
#
#   bash crates/logofill-image/bench/run.sh        (from the repository root, or anywhere)
#
# Needs: cargo, node + npm (sharp comes from the npm registry with its prebuilt libvips),
# python3 with Pillow (installed with pip if missing), /usr/bin/time (Debian package `time`),
# taskset (util-linux).
# BENCH_DIR (default /tmp/logofill-bench) holds the corpus, outputs and raw results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="${BENCH_DIR:-/tmp/logofill-bench}"
target="${CARGO_TARGET_DIR:-$root/target}"

rounds="${BENCH_ROUNDS:-3}"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench: taskset missing (apt-get install util-linux)" >&2; exit 1; }
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install -q pillow

echo "== building release logofill" >&2
(cd "$root" && cargo build --release -q -p logofill-cli)
bin="$target/release/logofill"

echo "== installing sharp" >&2
(cd "$here" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund -s; else npm install --no-audit --no-fund -s; fi)

if [ ! -f "$work/corpus/.done" ]; then
  echo "== generating corpus in $work/corpus" >&2
  rm -rf "$work/corpus"
  python3 "$here/make_corpus.py" "$work/corpus"
  touch "$work/corpus/.done"
fi

rm -rf "$work/results" "$work/out"
mkdir -p "$work/results" "$work/lists"
logo_cats="png jpeg svg gif webp ico bmp"
: > "$work/lists/logos.txt"
for c in $logo_cats; do find "$work/corpus/$c" -type f | sort >> "$work/lists/logos.txt"; done
for c in photo jpeg16mp png16mp png24mp bomb; do find "$work/corpus/$c" -type f | sort > "$work/lists/$c.txt"; done

# One process per run, so peak RSS belongs to that run alone. Results are
# results/<tool>.<run>.<round>.{jsonl,time}.
# logofill renders in its budgeted helper processes, one per core (the worker's path);
# logofill-inproc renders the same way without the helpers, to measure what the budget costs;
# logofill-1cpu is one helper pinned to one CPU, the small-Lambda case.
tools="logofill logofill-inproc logofill-1cpu sharp sharp-once sharp-1cpu sharp-once-1cpu"
run_one() {
  local tool="$1" run="$2" round="$3" out="$work/out/$1/$2" cmd
  case "$tool" in
    logofill)        cmd=("$bin" process --json --list "$work/lists/$run.txt" --out "$out") ;;
    logofill-inproc) cmd=("$bin" process --json --no-sandbox --list "$work/lists/$run.txt" --out "$out") ;;
    logofill-1cpu)   cmd=(taskset -c 0 "$bin" process --json --jobs 1 --list "$work/lists/$run.txt" --out "$out") ;;
    sharp)           cmd=(node "$here/sharp-process.js" --mode per-size --list "$work/lists/$run.txt" --out "$out") ;;
    sharp-once)      cmd=(node "$here/sharp-process.js" --mode once --list "$work/lists/$run.txt" --out "$out") ;;
    sharp-1cpu)      cmd=(taskset -c 0 node "$here/sharp-process.js" --mode per-size --list "$work/lists/$run.txt" --out "$out") ;;
    sharp-once-1cpu) cmd=(taskset -c 0 node "$here/sharp-process.js" --mode once --list "$work/lists/$run.txt" --out "$out") ;;
  esac
  echo "== $tool: $run (round $round)" >&2
  /usr/bin/time -v -o "$work/results/$tool.$run.$round.time" "${cmd[@]}" > "$work/results/$tool.$run.$round.jsonl" || true
}
for round in $(seq 1 "$rounds"); do
  for tool in $tools; do run_one "$tool" logos "$round"; done
done
for run in photo jpeg16mp png16mp png24mp bomb; do
  for tool in $tools; do run_one "$tool" "$run" 1; done
done

python3 "$here/report.py" "$work"
