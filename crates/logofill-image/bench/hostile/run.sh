#!/usr/bin/env bash
# Hostile input classes through the release `logofill process`: one file per class (make_hostile.py),
# each rendered alone in a fresh process, so each row's numbers are that input's alone.
#
# Per file: the verdict (rendered / refused / budget_exceeded, with the message), the wall time of
# the whole command, and the peak memory of the WHOLE process tree (the CLI and its render helper),
# read from a cgroup v1 memory controller created for that one run:
#   peak MiB  memory.max_usage_in_bytes: everything charged to the tree, page cache of the files it
#             read and wrote included;
#   rss MiB   the highest total_rss + total_mapped_file of memory.stat, sampled every 20 ms (a
#             spike shorter than that can be missed; peak MiB cannot miss it).
# Each cgroup also has a 2 GiB memory.limit_in_bytes, a guard for this shared machine should a
# render escape its budget; a run that reaches it shows up in the `guard` column (failcnt) and an
# OOM kill in `oom`. Where no cgroup can be created (not root, no v1 memory controller), the peak is
# /usr/bin/time's max RSS instead: that is the largest single process, not the tree.
#
# Two passes: the CLI's defaults, then the budget spelled out (--render-timeout-ms 3000
# --render-memory-mb 160) with a check that the worst wall time stays within the deadline plus a
# margin and the worst peak within the render memory plus the process base (the control's peak).
#
#   bash crates/logofill-image/bench/hostile/run.sh
#
# LOGOFILL_BIN runs that binary instead of building target/release/logofill first.
# BENCH_DIR (default /tmp/logofill-hostile) holds the corpus, outputs and raw results;
# HOSTILE_MARGIN_MS (default 1000) is the allowance over the deadline for process and helper
# start-up, reading the file and writing the variants.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
work="${BENCH_DIR:-/tmp/logofill-hostile}"
target="${CARGO_TARGET_DIR:-$root/target}"
margin_ms="${HOSTILE_MARGIN_MS:-1000}"
timeout_ms=3000
memory_mb=160
guard_bytes=$((2 << 30))

if [ -n "${LOGOFILL_BIN:-}" ]; then
  bin="$LOGOFILL_BIN"
else
  echo "== building release logofill" >&2
  (cd "$root" && cargo build --release -q -p logofill-cli)
  bin="$target/release/logofill"
fi

if [ ! -f "$work/corpus/.done" ]; then
  echo "== generating hostile corpus in $work/corpus" >&2
  rm -rf "$work/corpus"
  python3 "$here/make_hostile.py" "$work/corpus"
  touch "$work/corpus/.done"
fi
rm -rf "$work/results" "$work/out"
mkdir -p "$work/results" "$work/out"

cg_base=/sys/fs/cgroup/memory
cg_prefix="$cg_base/logofill-bench-$$"
cleanup() {
  local d
  for d in "$cg_prefix"-*; do
    [ -d "$d" ] || continue
    # Anything still in the group (it should be empty) is ended before the group is removed.
    if [ -s "$d/cgroup.procs" ]; then xargs -r kill -9 < "$d/cgroup.procs" 2>/dev/null || true; sleep 0.2; fi
    rmdir "$d" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

probe="$cg_prefix-probe"
if mkdir "$probe" 2>/dev/null && echo "$guard_bytes" > "$probe/memory.limit_in_bytes" 2>/dev/null; then
  rmdir "$probe"
  meter=cgroup
else
  rmdir "$probe" 2>/dev/null || true
  [ -x /usr/bin/time ] || { echo "bench: no writable cgroup and no /usr/bin/time (apt-get install time)" >&2; exit 1; }
  meter=time
  echo "note: $cg_base is not writable; peak is /usr/bin/time's max RSS of the largest single process, not the tree" >&2
fi

# run_one PASS CLASS FILE [FLAGS...]: one process tree, one cgroup, one line in results/PASS.tsv.
n=0
run_one() {
  local pass="$1" class="$2" file="$3"; shift 3
  local out="$work/out/$pass/$class" res="$work/results/$pass.$class"
  mkdir -p "$out"
  local cmd=(timeout -s KILL 60 "$bin" process --json "$@" "$file" --out "$out")
  local start end rc=0 peak=0 rss=0 failcnt=0 oom=0
  start=$(date +%s%N)
  if [ "$meter" = cgroup ]; then
    n=$((n + 1))
    local cg="$cg_prefix-$n"
    mkdir "$cg"
    echo "$guard_bytes" > "$cg/memory.limit_in_bytes"
    echo "$guard_bytes" > "$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true
    bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cg" "${cmd[@]}" \
      > "$res.jsonl" 2> "$res.stderr" &
    local pid=$!
    local key value r m
    while kill -0 "$pid" 2>/dev/null; do
      r=0; m=0
      while read -r key value; do
        case "$key" in total_rss) r=$value ;; total_mapped_file) m=$value ;; esac
      done < "$cg/memory.stat"
      [ $((r + m)) -gt "$rss" ] && rss=$((r + m))
      sleep 0.02
    done
    wait "$pid" || rc=$?
    end=$(date +%s%N)
    peak=$(cat "$cg/memory.max_usage_in_bytes")
    failcnt=$(cat "$cg/memory.failcnt")
    oom=$(awk '$1 == "oom_kill" {print $2}' "$cg/memory.oom_control")
    local waited=0
    while [ -s "$cg/cgroup.procs" ] && [ $waited -lt 20 ]; do sleep 0.1; waited=$((waited + 1)); done
    if [ -s "$cg/cgroup.procs" ]; then
      echo "warning: $class left processes behind: $(tr '\n' ' ' < "$cg/cgroup.procs")" >&2
      xargs -r kill -9 < "$cg/cgroup.procs" 2>/dev/null || true
      sleep 0.2
    fi
    rmdir "$cg"
  else
    /usr/bin/time -f '%M' -o "$res.time" "${cmd[@]}" > "$res.jsonl" 2> "$res.stderr" || rc=$?
    end=$(date +%s%N)
    peak=$(( $(tail -1 "$res.time") * 1024 ))
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$class" "$file" "$rc" $(( (end - start) / 1000000 )) \
    "$peak" "$rss" "$failcnt" "${oom:-0}" "$res.jsonl" >> "$work/results/$pass.tsv"
  echo "   $pass $class: rc $rc, $(( (end - start) / 1000000 )) ms" >&2
}

for pass in defaults budget; do
  echo "== pass: $pass" >&2
  : > "$work/results/$pass.tsv"
  while IFS=$'\t' read -r class file _; do
    if [ "$pass" = defaults ]; then
      run_one "$pass" "$class" "$file"
    else
      run_one "$pass" "$class" "$file" --render-timeout-ms "$timeout_ms" --render-memory-mb "$memory_mb"
    fi
  done < "$work/corpus/classes.tsv"
done

python3 - "$work" "$meter" "$timeout_ms" "$memory_mb" "$margin_ms" <<'EOF'
import json, os, sys

work, meter, timeout_ms, memory_mb, margin_ms = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
MIB = 1024 * 1024
BUDGET_WORDS = ("render time limit", "render memory limit", "render CPU limit",
                "overflowed the render helper", "ended the render helper")


def verdict(jsonl, rc):
    lines = [l for l in open(jsonl).read().splitlines() if l.strip()]
    if not lines:
        return ("killed" if rc in (137, -9) else f"no output (exit {rc})"), ""
    try:
        doc = json.loads(lines[-1])
    except ValueError:
        return f"unparsed (exit {rc})", lines[-1][:60]
    if doc.get("ok"):
        return "rendered", f"{doc.get('ms')} ms render"
    msg = doc.get("error", "")
    # The message names the input path; the class is in the row already.
    short = msg.replace(os.path.join(work, "corpus") + "/", "")
    kind = "budget_exceeded" if any(w in msg for w in BUDGET_WORDS) else "refused"
    return kind, short


def table(pass_):
    rows = []
    for line in open(os.path.join(work, "results", f"{pass_}.tsv")):
        cls, path, rc, ms, peak, rss, failcnt, oom, jsonl = line.rstrip("\n").split("\t")
        kind, msg = verdict(jsonl, int(rc))
        rows.append(dict(cls=cls, bytes=os.path.getsize(path), kind=kind, msg=msg, ms=int(ms),
                         peak=int(peak), rss=int(rss), guard=int(failcnt), oom=int(oom)))
    return rows


def show(title, rows):
    print(title)
    head = f"  {'class':<15} {'bytes':>9}  {'verdict':<15} {'ms':>6} {'peak MiB':>8}"
    if meter == "cgroup":
        head += f" {'rss MiB':>7} {'guard':>5} {'oom':>3}"
    print(head + "  message")
    for r in rows:
        line = f"  {r['cls']:<15} {r['bytes']:>9}  {r['kind']:<15} {r['ms']:>6} {r['peak'] / MIB:>8.1f}"
        if meter == "cgroup":
            line += f" {r['rss'] / MIB:>7.1f} {r['guard']:>5} {r['oom']:>3}"
        msg = r["msg"] if len(r["msg"]) <= 110 else r["msg"][:107] + "..."
        print(line + "  " + msg)
    print()


meter_note = ("peak MiB = cgroup memory.max_usage_in_bytes of the whole tree (CLI + helper), page "
              "cache included; rss MiB = max of memory.stat total_rss+total_mapped_file sampled every 20 ms"
              if meter == "cgroup" else
              "peak MiB = /usr/bin/time max RSS of the largest single process (no writable cgroup: NOT the tree)")
print(f"hostile classes through `logofill process --json FILE --out DIR` (release), one process per file")
print(meter_note)
print()
defaults = table("defaults")
show("pass 1: CLI defaults", defaults)
budget = table("budget")
show(f"pass 2: --render-timeout-ms {timeout_ms} --render-memory-mb {memory_mb}", budget)

control = [r for r in budget if r["cls"].startswith("control")]
base = max(r["peak"] for r in control)
worst_ms = max(budget, key=lambda r: r["ms"])
worst_peak = max(budget, key=lambda r: r["peak"])
ms_bound = timeout_ms + margin_ms
peak_bound = memory_mb * MIB + base
print("budget check (pass 2)")
print(f"  worst wall   {worst_ms['ms']} ms ({worst_ms['cls']}), bound {timeout_ms} ms deadline + {margin_ms} ms margin = {ms_bound} ms: "
      + ("within" if worst_ms["ms"] <= ms_bound else "OVER"))
print(f"  worst peak   {worst_peak['peak'] / MIB:.1f} MiB ({worst_peak['cls']}), bound {memory_mb} MiB render memory + "
      f"{base / MIB:.1f} MiB process base (the controls' peak) = {peak_bound / MIB:.1f} MiB: "
      + ("within" if worst_peak["peak"] <= peak_bound else "OVER"))
bad = [r for r in defaults + budget if r["guard"] or r["oom"] or r["kind"] not in ("rendered", "refused", "budget_exceeded")]
for r in bad:
    print(f"  ATTENTION {r['cls']}: verdict {r['kind']}, guard failcnt {r['guard']}, oom kills {r['oom']}")
EOF
