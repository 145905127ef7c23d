#!/usr/bin/env python3
"""Reads the raw results of run.sh (JSON lines per input, /usr/bin/time -v per run) and prints
the side-by-side table."""
import json, os, re, statistics, sys

work = sys.argv[1]
res = os.path.join(work, "results")
TOOLS = ["logofill", "sharp"]
RUNS = ["logos", "photo", "jpeg16mp", "png16mp", "png24mp", "bomb"]
REFUSED_BY_DESIGN = {"png24mp", "bomb"}  # over the 16 MP limit in both tools


def category(path):
    return os.path.basename(os.path.dirname(path))


def load(tool, run):
    lines = [json.loads(l) for l in open(os.path.join(res, f"{tool}.{run}.jsonl")) if l.strip()]
    t = open(os.path.join(res, f"{tool}.{run}.time")).read()
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    return lines, rss_kb / 1024, secs


data = {(tool, run): load(tool, run) for tool in TOOLS for run in RUNS}

def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)

print()
print("logo corpus (one process per tool over all logo files)")
print(f"{'':28}{'logofill':>14}{'sharp':>14}")
rows = {}
for tool in TOOLS:
    lines, rss, wall = data[(tool, "logos")]
    ok = [l for l in lines if l["ok"]]
    ms = sum(l["ms"] for l in ok)
    rows[tool] = dict(n=len(lines), ok=len(ok), fail=len(lines) - len(ok), ips=len(ok) / (ms / 1000) if ms else 0,
                      wall_ips=len(lines) / wall if wall else 0, rss=rss, wall=wall)
for label, key, spec in [("inputs", "n", "d"), ("rendered", "ok", "d"), ("failures", "fail", "d"),
                         ("images/s (in-process)", "ips", ".1f"), ("images/s (wall, whole run)", "wall_ips", ".1f"),
                         ("peak RSS MB", "rss", ".1f")]:
    print(f"{label:28}{format(rows['logofill'][key], spec):>14}{format(rows['sharp'][key], spec):>14}")
if rows["sharp"]["ips"]:
    print(f"{'speed-up (in-process)':28}{rows['logofill']['ips'] / rows['sharp']['ips']:>13.2f}x")
    print(f"{'speed-up (wall)':28}{rows['logofill']['wall_ips'] / rows['sharp']['wall_ips']:>13.2f}x")

print()
print("median ms per category (in-process, decode to encoded outputs) and failures")
print(f"{'category':12}{'n':>4}{'logofill ms':>13}{'fail':>6}{'sharp ms':>11}{'fail':>6}   logofill RSS / sharp RSS (MB)")
cats = []
for run in RUNS:
    for tool in TOOLS:
        for l in data[(tool, run)][0]:
            c = category(l["in"]) if run == "logos" else run
            if c not in cats:
                cats.append(c)
for c in cats:
    run = c if c in RUNS else "logos"
    cells = []
    for tool in TOOLS:
        lines = [l for l in data[(tool, run)][0] if (category(l["in"]) if run == "logos" else run) == c]
        ok = [l["ms"] for l in lines if l["ok"]]
        med = statistics.median(ok) if ok else None
        if c in REFUSED_BY_DESIGN:
            # Refusal is the expected outcome: report its time, and count a render as a failure.
            ref = [l for l in lines if not l["ok"]]
            med = None
            fail = len(lines) - len(ref)
        else:
            fail = len(lines) - len(ok)
        cells.append((len(lines), med, fail))
    rss = "" if run == "logos" else f"   {data[('logofill', run)][1]:.1f} / {data[('sharp', run)][1]:.1f}"
    note = " (refusal expected)" if c in REFUSED_BY_DESIGN else ""
    print(f"{c:12}{cells[0][0]:>4}{fmt(cells[0][1]):>13}{cells[0][2]:>6}{fmt(cells[1][1]):>11}{cells[1][2]:>6}{rss}{note}")

print()
for run in ["png24mp", "bomb"]:
    for tool in TOOLS:
        lines, rss, wall = data[(tool, run)]
        for l in lines:
            what = "REFUSED" if not l["ok"] else f"rendered in {l['ms']} ms"
            print(f"{tool:9} {run:8} {what}: {l.get('error', '')[:110]}  (process wall {wall * 1000:.0f} ms, RSS {rss:.1f} MB)")
print()
print("sharp failures on the logo corpus:")
errs = {}
for l in data[("sharp", "logos")][0]:
    if not l["ok"]:
        errs.setdefault((category(l["in"]), l["error"][:80]), 0)
        errs[(category(l["in"]), l["error"][:80])] += 1
for (c, e), n in sorted(errs.items()):
    print(f"  {n:3} {c}: {e}")
lf = [l for l in data[("logofill", "logos")][0] if not l["ok"]]
print("logofill failures on the logo corpus:", len(lf))
for l in lf[:10]:
    print("  ", l["in"], l["error"][:120])

# Output size, over the logo inputs both tools rendered: same job, so similar bytes expected.
both = None
for tool in TOOLS:
    ok = {os.path.splitext(os.path.basename(l["in"]))[0] for l in data[(tool, "logos")][0] if l["ok"]}
    both = ok if both is None else both & ok
print()
print(f"output bytes over the {len(both)} logo inputs both rendered (all sizes):")
for tool in TOOLS:
    d = os.path.join(work, "out", tool, "logos")
    for ext in ["png", "webp"]:
        total = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
                    if f.endswith("." + ext) and f.rsplit("_", 1)[0] in both)
        print(f"  {tool:9} {ext:5} {total / 1024:9.0f} KiB")
