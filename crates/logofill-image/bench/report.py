#!/usr/bin/env python3
"""Reads the raw results of run.sh (JSON lines per input, /usr/bin/time -v per run) and prints
the side-by-side table.

Rates, each the median over the rounds of the logo corpus:
  images/s (in-process)  inputs rendered / sum of per-input ms (decode to encoded outputs)
  images/s (wall)        inputs / wall time of the whole process (start-up and file I/O included)
  images per CPU-second  inputs / (user + sys) of the whole process: what a Lambda, which gets a
                         fraction of one vCPU, pays for.

logofill renders each image on one thread, one image per core at a time, in budgeted helper
processes; `logofill-inproc` is the same without the helpers (the budget's overhead is the
difference of the median per-input ms) and `logofill-1cpu` one helper pinned to one CPU. sharp
is compared two ways: free to spread an image over every core of the machine, and pinned to one
CPU (the Lambda case). Against each, logofill is compared with the faster of sharp's two modes
(one pipeline per output; decode once, then resize): logofill on every core against sharp on
every core, logofill-1cpu against sharp on one CPU. With several images in flight, images/s is
the wall-clock rate; the in-process rate (inputs / summed per-input ms) counts one at a time.
"""
import glob, json, os, re, statistics, sys

work = sys.argv[1]
res = os.path.join(work, "results")
TOOLS = ["logofill", "logofill-inproc", "logofill-1cpu", "sharp", "sharp-once", "sharp-1cpu", "sharp-once-1cpu"]
LOGOFILL_TOOLS = {"logofill", "logofill-inproc", "logofill-1cpu"}
SHARP_GROUPS = [("every core", ["sharp", "sharp-once"]), ("one CPU", ["sharp-1cpu", "sharp-once-1cpu"])]
RUNS = ["logos", "photo", "jpeg16mp", "png16mp", "png24mp", "bomb"]
REFUSED_BY_DESIGN = {"png24mp", "bomb"}  # over the 16 MP limit in every tool


def category(path):
    return os.path.basename(os.path.dirname(path))


def load(tool, run, rnd):
    base = os.path.join(res, f"{tool}.{run}.{rnd}")
    lines = [json.loads(l) for l in open(base + ".jsonl") if l.strip()]
    t = open(base + ".time").read()
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    cpu = float(re.search(r"User time \(seconds\): (\S+)", t).group(1)) + float(
        re.search(r"System time \(seconds\): (\S+)", t).group(1))
    return dict(lines=lines, rss=rss_kb / 1024, wall=secs, cpu=cpu)


def rounds_of(tool, run):
    found = glob.glob(os.path.join(res, f"{tool}.{run}.*.jsonl"))
    return sorted(int(f.rsplit(".", 2)[1]) for f in found)


data = {(tool, run): [load(tool, run, r) for r in rounds_of(tool, run)] for tool in TOOLS for run in RUNS}
first = {key: runs[0] for key, runs in data.items()}


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def row(label, values, spec):
    print(f"{label:28}" + "".join(f"{format(v, spec):>16}" for v in values))


# The logo inputs every tool rendered (sharp cannot read ICO or BMP): the like-for-like set.
common = None
for tool in TOOLS:
    for d in data[(tool, "logos")]:
        ok = {l["in"] for l in d["lines"] if l["ok"]}
        common = ok if common is None else common & ok


def logo_metrics(d):
    ok = [l for l in d["lines"] if l["ok"]]
    common_ms = sum(l["ms"] for l in ok if l["in"] in common)
    ms = sum(l["ms"] for l in ok)
    n = len(d["lines"])
    return dict(n=n, ok=len(ok), fail=n - len(ok), ips=len(ok) / (ms / 1000) if ms else 0,
                common_ips=len(common) / (common_ms / 1000) if common_ms else 0,
                wall_ips=n / d["wall"] if d["wall"] else 0, cpu=d["cpu"],
                cpu_ips=n / d["cpu"] if d["cpu"] else 0, rss=d["rss"],
                cpu_ms=d["cpu"] * 1000 / n if n else 0,
                median_ms=statistics.median(l["ms"] for l in ok) if ok else 0)


rows = {}
for tool in TOOLS:
    per_round = [logo_metrics(d) for d in data[(tool, "logos")]]
    rows[tool] = {k: statistics.median(m[k] for m in per_round) for k in per_round[0]}
    rows[tool]["ips_range"] = (min(m["ips"] for m in per_round), max(m["ips"] for m in per_round))
    rows[tool]["rss"] = max(m["rss"] for m in per_round)
n_rounds = len(data[("logofill", "logos")])

print()
print(f"logo corpus: one process per tool and round, {n_rounds} rounds, median round shown")
print(f"{'':28}" + "".join(f"{t:>16}" for t in TOOLS))
for label, key, spec in [("inputs", "n", "d"), ("rendered", "ok", "d"), ("failures", "fail", "d"),
                         ("images/s (in-process)", "ips", ".1f"),
                         (f"  over the {len(common)} all read", "common_ips", ".1f"), ("images/s (wall)", "wall_ips", ".1f"),
                         ("CPU s (user+sys)", "cpu", ".2f"), ("images per CPU-second", "cpu_ips", ".1f"),
                         ("CPU ms per image", "cpu_ms", ".2f"), ("median ms per input", "median_ms", ".2f"),
                         ("peak RSS MB (worst round)", "rss", ".1f")]:
    row(label, [rows[t][key] for t in TOOLS], "d" if spec == "d" else spec)
print(f"{'in-process range (rounds)':28}" + "".join(
    f"{rows[t]['ips_range'][0]:>9.1f}-{rows[t]['ips_range'][1]:<6.1f}" for t in TOOLS))
print()
for (group, tools), ours in zip(SHARP_GROUPS, ["logofill", "logofill-1cpu"]):
    for key, label in [("ips", "in-process"), ("common_ips", f"in-process, {len(common)}"),
                       ("wall_ips", "wall"), ("cpu_ips", "per CPU-second")]:
        best = max(tools, key=lambda t: rows[t][key])
        if rows[best][key]:
            print(f"{ours:14} vs sharp on {group:10} ({label:19}) {rows[ours][key] / rows[best][key]:6.2f}x"
                  f"  ({rows[ours][key]:.1f} vs {rows[best][key]:.1f}, {best})")
best_cpu = min(["sharp", "sharp-once"], key=lambda t: rows[t]["cpu_ms"])
print(f"CPU per image, logofill / sharp on every core: {rows['logofill']['cpu_ms'] / rows[best_cpu]['cpu_ms']:.2f}"
      f"  ({rows['logofill']['cpu_ms']:.2f} vs {rows[best_cpu]['cpu_ms']:.2f} ms, {best_cpu}; target at most 0.5)")
inproc = rows["logofill-inproc"]["median_ms"]
if inproc:
    print(f"budget overhead on the median render: {(rows['logofill']['median_ms'] - inproc) / inproc * 100:+.1f}%"
          f"  ({rows['logofill']['median_ms']:.2f} ms in a helper vs {inproc:.2f} ms in-process; target at most 10%)")

print()
print("median ms per category (in-process, decode to encoded outputs, every round), failures;")
print("peak RSS MB for the single-file runs")
print(f"{'category':12}{'n':>4}" + "".join(f"{t:>16}{'fail':>5}" for t in TOOLS))
cats = []
for run in RUNS:
    for tool in TOOLS:
        for l in first[(tool, run)]["lines"]:
            c = category(l["in"]) if run == "logos" else run
            if c not in cats:
                cats.append(c)
for c in cats:
    run = c if c in RUNS else "logos"
    cells = []
    for tool in TOOLS:
        lines = [l for d in data[(tool, run)] for l in d["lines"]
                 if (category(l["in"]) if run == "logos" else run) == c]
        ok = [l["ms"] for l in lines if l["ok"]]
        med = statistics.median(ok) if ok else None
        per_round = len(lines) // max(1, len(data[(tool, run)]))
        if c in REFUSED_BY_DESIGN:
            # Refusal is the expected outcome: count a render as a failure.
            med = None
            fail = len(ok) // max(1, len(data[(tool, run)]))
        else:
            fail = per_round - len(ok) // max(1, len(data[(tool, run)]))
        cells.append((per_round, med, fail))
    note = " (refusal expected)" if c in REFUSED_BY_DESIGN else ""
    print(f"{c:12}{cells[0][0]:>4}" + "".join(f"{fmt(m):>16}{f:>5}" for _, m, f in cells) + note)
    if run != "logos":
        print(f"{'  RSS MB':16}" + "".join(f"{first[(t, run)]['rss']:>16.1f}{'':5}" for t in TOOLS))

print()
for run in ["png24mp", "bomb"]:
    for tool in TOOLS:
        d = first[(tool, run)]
        for l in d["lines"]:
            what = "REFUSED" if not l["ok"] else f"rendered in {l['ms']} ms"
            print(f"{tool:16} {run:8} {what}: {l.get('error', '')[:90]}  "
                  f"(process wall {d['wall'] * 1000:.0f} ms, RSS {d['rss']:.1f} MB)")
print()
for tool in [t for t in TOOLS if t not in LOGOFILL_TOOLS]:
    errs = {}
    for l in first[(tool, "logos")]["lines"]:
        if not l["ok"]:
            k = (category(l["in"]), l["error"][:80])
            errs[k] = errs.get(k, 0) + 1
    print(f"{tool} failures on the logo corpus: {sum(errs.values())}")
    for (c, e), n in sorted(errs.items()):
        print(f"  {n:3} {c}: {e}")
lf = [l for l in first[("logofill", "logos")]["lines"] if not l["ok"]]
print("logofill failures on the logo corpus:", len(lf))
for l in lf[:10]:
    print("  ", l["in"], l["error"][:120])

# Output size, over the logo inputs every tool rendered: same job and settings, so similar bytes.
both = None
for tool in TOOLS:
    ok = {os.path.splitext(os.path.basename(l["in"]))[0] for l in first[(tool, "logos")]["lines"] if l["ok"]}
    both = ok if both is None else both & ok
print()
print(f"output bytes over the {len(both)} logo inputs every tool rendered (all sizes):")
for tool in ["logofill", "sharp", "sharp-once"]:
    d = os.path.join(work, "out", tool, "logos")
    for ext in ["png", "webp"]:
        total = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
                    if f.endswith("." + ext) and f.rsplit("_", 1)[0] in both)
        print(f"  {tool:10} {ext:5} {total / 1024:9.0f} KiB")
