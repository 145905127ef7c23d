#!/usr/bin/env python3
"""Reads the raw results of run.sh (JSON lines per input, /usr/bin/time -v per run) and prints
the side-by-side table. logofill is compared with the faster of the two ways of driving sharp.

Rates:
  images/s (in-process)  inputs rendered / sum of per-input ms (decode to encoded outputs)
  images/s (wall)        inputs / wall time of the whole process (start-up and file I/O included)
  images per CPU-second  inputs / (user + sys) of the whole process: what a Lambda, which gets a
                         fraction of one vCPU, pays for. sharp spreads one input over threads;
                         logofill renders on one thread.
"""
import json, os, re, statistics, sys

work = sys.argv[1]
res = os.path.join(work, "results")
TOOLS = ["logofill", "sharp", "sharp-once"]
RUNS = ["logos", "photo", "jpeg16mp", "png16mp", "png24mp", "bomb"]
REFUSED_BY_DESIGN = {"png24mp", "bomb"}  # over the 16 MP limit in every tool


def category(path):
    return os.path.basename(os.path.dirname(path))


def load(tool, run):
    lines = [json.loads(l) for l in open(os.path.join(res, f"{tool}.{run}.jsonl")) if l.strip()]
    t = open(os.path.join(res, f"{tool}.{run}.time")).read()
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    cpu = float(re.search(r"User time \(seconds\): (\S+)", t).group(1)) + float(
        re.search(r"System time \(seconds\): (\S+)", t).group(1))
    return dict(lines=lines, rss=rss_kb / 1024, wall=secs, cpu=cpu)


data = {(tool, run): load(tool, run) for tool in TOOLS for run in RUNS}


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def row(label, values, spec):
    print(f"{label:28}" + "".join(f"{format(v, spec):>14}" for v in values))


print()
print("logo corpus (one process per tool over all logo files)")
print(f"{'':28}" + "".join(f"{t:>14}" for t in TOOLS))
rows = {}
for tool in TOOLS:
    d = data[(tool, "logos")]
    ok = [l for l in d["lines"] if l["ok"]]
    ms = sum(l["ms"] for l in ok)
    n = len(d["lines"])
    rows[tool] = dict(n=n, ok=len(ok), fail=n - len(ok), ips=len(ok) / (ms / 1000) if ms else 0,
                      wall_ips=n / d["wall"] if d["wall"] else 0, cpu=d["cpu"],
                      cpu_ips=n / d["cpu"] if d["cpu"] else 0, rss=d["rss"])
for label, key, spec in [("inputs", "n", "d"), ("rendered", "ok", "d"), ("failures", "fail", "d"),
                         ("images/s (in-process)", "ips", ".1f"), ("images/s (wall)", "wall_ips", ".1f"),
                         ("CPU s (user+sys)", "cpu", ".2f"), ("images per CPU-second", "cpu_ips", ".1f"),
                         ("peak RSS MB", "rss", ".1f")]:
    row(label, [rows[t][key] for t in TOOLS], spec)
for key, label in [("ips", "in-process"), ("wall_ips", "wall"), ("cpu_ips", "per CPU-second")]:
    best = max(TOOLS[1:], key=lambda t: rows[t][key])
    if rows[best][key]:
        print(f"{'speed-up (' + label + ')':28}{rows['logofill'][key] / rows[best][key]:>13.2f}x  vs {best}")

print()
print("median ms per category (in-process, decode to encoded outputs), failures, peak RSS MB")
print(f"{'category':12}{'n':>4}" + "".join(f"{t + ' ms':>16}{'fail':>5}" for t in TOOLS) + "   RSS MB " + " / ".join(TOOLS))
cats = []
for run in RUNS:
    for tool in TOOLS:
        for l in data[(tool, run)]["lines"]:
            c = category(l["in"]) if run == "logos" else run
            if c not in cats:
                cats.append(c)
for c in cats:
    run = c if c in RUNS else "logos"
    cells = []
    for tool in TOOLS:
        lines = [l for l in data[(tool, run)]["lines"] if (category(l["in"]) if run == "logos" else run) == c]
        ok = [l["ms"] for l in lines if l["ok"]]
        med = statistics.median(ok) if ok else None
        if c in REFUSED_BY_DESIGN:
            # Refusal is the expected outcome: count a render as a failure.
            med = None
            fail = len(ok)
        else:
            fail = len(lines) - len(ok)
        cells.append((len(lines), med, fail))
    rss = "" if run == "logos" else "   " + " / ".join(f"{data[(t, run)]['rss']:.1f}" for t in TOOLS)
    note = " (refusal expected)" if c in REFUSED_BY_DESIGN else ""
    print(f"{c:12}{cells[0][0]:>4}" + "".join(f"{fmt(m):>16}{f:>5}" for _, m, f in cells) + rss + note)

print()
for run in ["png24mp", "bomb"]:
    for tool in TOOLS:
        d = data[(tool, run)]
        for l in d["lines"]:
            what = "REFUSED" if not l["ok"] else f"rendered in {l['ms']} ms"
            ms = f" in {l['ms']} ms" if not l["ok"] and "ms" in l else ""
            print(f"{tool:10} {run:8} {what}{ms}: {l.get('error', '')[:100]}  "
                  f"(process wall {d['wall'] * 1000:.0f} ms, RSS {d['rss']:.1f} MB)")
print()
for tool in TOOLS[1:]:
    print(f"{tool} failures on the logo corpus:")
    errs = {}
    for l in data[(tool, "logos")]["lines"]:
        if not l["ok"]:
            k = (category(l["in"]), l["error"][:80])
            errs[k] = errs.get(k, 0) + 1
    for (c, e), n in sorted(errs.items()):
        print(f"  {n:3} {c}: {e}")
lf = [l for l in data[("logofill", "logos")]["lines"] if not l["ok"]]
print("logofill failures on the logo corpus:", len(lf))
for l in lf[:10]:
    print("  ", l["in"], l["error"][:120])

# Output size, over the logo inputs every tool rendered: same job, so similar bytes expected.
both = None
for tool in TOOLS:
    ok = {os.path.splitext(os.path.basename(l["in"]))[0] for l in data[(tool, "logos")]["lines"] if l["ok"]}
    both = ok if both is None else both & ok
print()
print(f"output bytes over the {len(both)} logo inputs every tool rendered (all sizes):")
for tool in TOOLS:
    d = os.path.join(work, "out", tool, "logos")
    for ext in ["png", "webp"]:
        total = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
                    if f.endswith("." + ext) and f.rsplit("_", 1)[0] in both)
        print(f"  {tool:10} {ext:5} {total / 1024:9.0f} KiB")
