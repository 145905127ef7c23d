#!/usr/bin/env bash
# Side-by-side benchmark: logofill vs sharp (libvips) doing the same job over the same corpus:
# fit 64/128/256, pad to square, PNG + WebP. Prints images/s, CPU time, median ms per category,
# peak RSS and failures for each. sharp runs two ways (one pipeline per output, and decode once
# then resize), and logofill is compared with the faster of the two.
#
#   bash crates/logofill-image/bench/run.sh        (from the repository root, or anywhere)
#
# Needs: cargo, node + npm (sharp comes from the npm registry with its prebuilt libvips),
# python3 with Pillow (installed with pip if missing), /usr/bin/time (Debian package `time`).
# BENCH_DIR (default /tmp/logofill-bench) holds the corpus, outputs and raw results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="${BENCH_DIR:-/tmp/logofill-bench}"
target="${CARGO_TARGET_DIR:-$root/target}"

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
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

# One process per run, so peak RSS belongs to that run alone.
for run in logos photo jpeg16mp png16mp png24mp bomb; do
  for tool in logofill sharp sharp-once; do
    echo "== $tool: $run" >&2
    out="$work/out/$tool/$run"
    if [ "$tool" = logofill ]; then
      cmd=("$bin" process --json --list "$work/lists/$run.txt" --out "$out")
    elif [ "$tool" = sharp ]; then
      cmd=(node "$here/sharp-process.js" --mode per-size --list "$work/lists/$run.txt" --out "$out")
    else
      cmd=(node "$here/sharp-process.js" --mode once --list "$work/lists/$run.txt" --out "$out")
    fi
    /usr/bin/time -v -o "$work/results/$tool.$run.time" "${cmd[@]}" > "$work/results/$tool.$run.jsonl" || true
  done
done

python3 "$here/report.py" "$work"
