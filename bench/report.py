#!/usr/bin/env python3
"""bench/run's reporter: raw.tsv (one line per run, error, note, goal) -> results.json, the table, load.png and
move.png. Medians of the runs; ratios are ratios of medians (per-run ratios listed when the run counts match)."""
import argparse
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

# Every key results.json always carries (null + error when not measured), in table order.
KEYS = [
    "load.pgload_rows_per_s", "load.pgload_reported_rows_per_s", "load.ceiling_rows_per_s",
    "load.single_table_rows_per_s", "load.coordinator_copy_rows_per_s", "ratio.load_vs_ceiling",
    "ratio.load_vs_coordinator", "ratio.load_vs_single_table",
    "memory.peak_rss_mb_at_n_10", "memory.peak_rss_mb_at_n", "move.pipe_mb_per_s", "move.pipe_seconds",
    "move.pgmove_mb_per_s", "move.pgmove_seconds", "move.pgmove_logical_mb_per_s", "move.pgmove_logical_seconds",
    "ratio.move_vs_pipe", "throttle.mean_mb_per_s", "throttle.copy_mb_per_s", "throttle.seconds", "throttle.error_pct",
    "load.pgload_small_rows_per_s",
    "load.pgload_checkpoint_rows_per_s", "ratio.checkpoint_vs_plain_load", "load.pgload_checkpoint_64mb_rows_per_s",
    "ratio.checkpoint_64mb_vs_plain_load",
    "memory.peak_rss_mb_shards_32", "memory.peak_rss_mb_shards_256", "memory.peak_rss_mb_shards_1024",
    "load.rows_per_s_shards_32", "load.rows_per_s_shards_256", "load.rows_per_s_shards_1024",
    "ratio.rows_per_s_1024_vs_32_shards",
]
PARSE_KEYS = ["parse.tokenize_gb_per_s_per_core", "parse.route_gb_per_s_per_core",
              "parse.route_all_threads_gb_per_s_per_core"]
CITUS_LOAD_KEYS = [
    "load.citus_copy_rows_per_s", "load.pgload_citus_rows_per_s", "ratio.load_vs_citus_copy",
    "load.citus_copy_ordered_rows_per_s", "load.pgload_citus_ordered_rows_per_s", "ratio.load_vs_citus_copy_ordered",
    "ratio.cpu_pgload_vs_citus_copy", "ratio.cpu_pgload_vs_citus_copy_ordered",
]
CITUS_KEYS = CITUS_LOAD_KEYS + [
    "move.citus_rebalance_block_writes_s", "move.pgmove_citus_block_writes_s", "ratio.pgmove_vs_citus_block_writes",
    "move.citus_rebalance_logical_s", "move.pgmove_citus_logical_s", "ratio.pgmove_vs_citus_logical",
    "move.pgmove_citus_max_rate_s", "move.pgmove_citus_max_rate_copy_mb_per_s", "move.pgmove_citus_max_rate_error_pct",
]
DEFAULT_GOALS = {
    "ratio.load_vs_ceiling": ">= 0.95",
    "ratio.move_vs_pipe": ">= 0.90",
}
# name, numerator, denominator, how: "rate" = a/b of rates, "time" = b/a of seconds (same work), note
RATIOS = [
    ("ratio.load_vs_ceiling", "load.pgload_rows_per_s", "load.ceiling_rows_per_s",
     "pgload rows/s / ceiling rows/s (medians)"),
    ("ratio.load_vs_coordinator", "load.pgload_rows_per_s", "load.coordinator_copy_rows_per_s",
     "pgload rows/s / local coordinator \\copy rows/s (postgres_fdw row by row: not Citus; see ratio.load_vs_citus_copy)"),
    ("ratio.load_vs_single_table", "load.pgload_rows_per_s", "load.single_table_rows_per_s",
     "pgload rows/s / one plain table's \\copy rows/s"),
    ("ratio.move_vs_pipe", "move.pipe_seconds", "move.pgmove_seconds",
     "pipe wall seconds / pgmove block_writes wall seconds, same shards (> 1: pgmove faster); wall clocks, "
     "so byte counts (text vs binary COPY) do not matter"),
    ("ratio.rows_per_s_1024_vs_32_shards", "load.rows_per_s_shards_1024", "load.rows_per_s_shards_32",
     "pgload rows/s into 1024 shards / into 32 shards, same rows, default --memory (smaller batches at 1024)"),
    ("ratio.load_vs_citus_copy", "load.pgload_citus_rows_per_s", "load.citus_copy_rows_per_s",
     "pgload rows/s / Citus coordinator \\copy rows/s, both on the --citus cluster, ids in random order"),
    ("ratio.load_vs_citus_copy_ordered", "load.pgload_citus_ordered_rows_per_s", "load.citus_copy_ordered_rows_per_s",
     "the same with the file ordered by id"),
    ("ratio.cpu_pgload_vs_citus_copy", "cpu.pgload.total_s_per_mrow", "cpu.citus_copy.total_s_per_mrow",
     "total CPU per row of a pgload load / that of a Citus coordinator \\copy (every process of the load), random ids"),
    ("ratio.cpu_pgload_vs_citus_copy_ordered", "cpu.pgload_ordered.total_s_per_mrow",
     "cpu.citus_copy_ordered.total_s_per_mrow", "the same, ids ordered"),
]
DEFAULT_GOALS["ratio.cpu_pgload_vs_citus_copy"] = "<= 0.5"
DEFAULT_GOALS["ratio.cpu_pgload_vs_citus_copy_ordered"] = "<= 0.5"

# Projection to bigger clusters from the CPU per row (model in bench/README.md): a load runs at the rate of its
# scarcest resource. Workers have VCORES cores each and do all the parsing and inserting of their rows; a
# single-threaded process (psql, the Citus coordinator's COPY backend) gets at most one core; pgload gets the
# VCORES cores of the host it runs on (the coordinator's, which it leaves idle).
VCORES = 4
PROJECT_WORKERS = [2, 3, 8, 32]


def project(results):
    def med(k):
        return results.get(k, {}).get("median")
    out = {}
    for sfx in ("", "_ordered"):
        for tool in ("pgload", "citus_copy"):
            client, coord, workers = (med(f"cpu.{tool}{sfx}.{g}_s_per_mrow") for g in ("client", "coordinator", "workers"))
            if not client or coord is None or not workers:
                continue
            for w in PROJECT_WORKERS:
                if tool == "pgload":
                    limits = [VCORES / client, VCORES / coord if coord > 0 else math.inf]
                else:
                    limits = [1 / client, 1 / coord if coord > 0 else math.inf]
                limits.append(VCORES * w / workers)
                key = f"project.{tool}{sfx}_rows_per_s_w{w}"
                out[key] = {"median": rnd(min(limits) * 1e6), "runs": [], "unit": "rows/s",
                            "note": f"projected for a coordinator of {VCORES} vCores and {w} workers of {VCORES} vCores "
                                    f"from the cpu.{tool}{sfx}.* medians (bench/README.md)"}
        for w in PROJECT_WORKERS:
            a, b = out.get(f"project.pgload{sfx}_rows_per_s_w{w}"), out.get(f"project.citus_copy{sfx}_rows_per_s_w{w}")
            if a and b:
                out[f"project.ratio{sfx}_w{w}"] = {"median": rnd(a["median"] / b["median"]), "runs": [],
                                                   "note": "projected pgload rows/s / projected Citus \\copy rows/s"}
    return out


def read_raw(path):
    entries = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        key, kind, value = parts
        e = entries.setdefault(key, {"runs": [], "errors": [], "notes": [], "details": []})
        if kind == "run":
            try:
                v = float(value)
                e["runs"].append(v if math.isfinite(v) else None)
            except ValueError:
                e["runs"].append(None)
        elif kind == "error":
            e["errors"].append(value)
        elif kind == "skip":
            e["skip"] = value
        elif kind == "note":
            e["notes"].append(value)
        elif kind == "detail":
            try:
                e["details"].append(json.loads(value))
            except ValueError:
                e["details"].append(value)
        elif kind in ("goal", "unit"):
            e[kind] = value
    return entries


def rnd(v):
    if v is None:
        return None
    return float(f"{v:.4g}")


def build(entries, keys):
    results = {}
    for key in keys + [k for k in entries if k not in keys]:
        e = entries.get(key, {"runs": [], "errors": [], "notes": [], "details": []})
        runs = [r for r in e["runs"] if r is not None]
        out = {"median": rnd(statistics.median(runs)) if runs else None, "runs": [rnd(r) for r in runs]}
        for f in ("unit", "goal"):
            if f in e:
                out[f] = e[f]
        if key in DEFAULT_GOALS and "goal" not in out:
            out["goal"] = DEFAULT_GOALS[key]
        if e["notes"]:
            out["note"] = "; ".join(e["notes"])
        if e.get("skip"):
            out["skipped"] = e["skip"]
        if e["errors"]:
            out["error"] = e["errors"][0] if len(e["errors"]) == 1 else e["errors"]
        if e["details"]:
            out["details"] = e["details"]
        if out["median"] is None and not e["errors"] and not e.get("skip"):
            out["error"] = "not measured"
        results[key] = out
    for name, a, b, note in RATIOS:
        if name not in keys:
            continue
        ra, rb = results.get(a, {}), results.get(b, {})
        r = results[name]
        r["note"] = note
        if ra.get("median") and rb.get("median"):
            r["median"] = rnd(ra["median"] / rb["median"])
            if len(ra["runs"]) == len(rb["runs"]):
                r["runs"] = [rnd(x / y) for x, y in zip(ra["runs"], rb["runs"]) if y]
            r.pop("error", None)
        else:
            missing = a if not ra.get("median") else b
            r["error"] = f"{missing} has no median"
    return results


def nest(results):
    tree = {}
    for key, v in results.items():
        group, name = key.split(".", 1)
        tree.setdefault(group, {})[name] = v
    return tree


def fmt(v):
    if v is None:
        return "null"
    a = abs(v)
    if a >= 1e5:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def table(results, machine):
    rows = [("measure", "median", "runs", "goal")]
    for key, v in results.items():
        med = fmt(v["median"]) if v["median"] is not None else ("skip" if v.get("skipped") else "null")
        runs = ", ".join(fmt(r) for r in v["runs"]) if v["runs"] else "-"
        unit = v.get("unit", "")
        rows.append((key + (f" [{unit}]" if unit else ""), med, runs, v.get("goal", "")))
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, r in enumerate(rows):
        lines.append(f"| {r[0]:<{w[0]}} | {r[1]:>{w[1]}} | {r[2]:<{w[2]}} | {r[3]:<{w[3]}} |")
        if i == 0:
            lines.append("|" + "|".join("-" * (x + 2) for x in w) + "|")
    s = machine.get("setup", {})
    head = (f"pgload bench: {s.get('rows')} rows ({s.get('csv_bytes')} bytes), {s.get('workers')} workers, 32 shards, "
            f"medians of {s.get('reps')}; {machine.get('cores')} cores, {machine.get('cpu_model')}, "
            f"PostgreSQL {machine.get('postgresql')}, {machine.get('git_commit')}, {machine.get('date')}")
    notes = []
    for key, v in results.items():
        if v["median"] is None:
            why = v.get("skipped") or v.get("error")
            if isinstance(why, list):
                why = why[0] + f" (+{len(why) - 1} more)"
            notes.append(f"  {key}: {why}")
        elif v.get("error"):
            err = v["error"] if isinstance(v["error"], str) else v["error"][0]
            notes.append(f"  {key}: some runs failed: {err}")
    out = head + "\n" + "\n".join(lines)
    if notes:
        out += "\nnull / failed:\n" + "\n".join(notes)
    return out


def plot(results, out_dir, name, title, ylabel, keys_labels, hline=None):
    data = out_dir / f"{name}.dat"
    lines = []
    for i, (key, label) in enumerate(keys_labels):
        v = results.get(key, {})
        med = v.get("median")
        runs = (v.get("runs") or []) + [None] * 3
        cells = [str(i), '"' + label + '"', "NaN" if med is None else repr(med)]
        cells += ["NaN" if r is None else repr(r) for r in runs[:3]]
        cells += ['"null"' if med is None else f'"{fmt(med)}"', "0" if med is None else repr(med)]
        lines.append(" ".join(cells))
    data.write_text("\n".join(lines) + "\n")
    hl = f"{hline} with lines dt 2 lc rgb '#aa0000' title '{hline} MB/s target'," if hline else ""
    script = f"""
set terminal pngcairo size 1000,560 font ',10'
set output '{out_dir / (name + '.png')}'
set title "{title}"
set ylabel '{ylabel}'
set datafile missing 'NaN'
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xrange [-0.6:{len(keys_labels) - 0.4}]
set grid ytics
set key top right
set xtics rotate by -15 noenhanced
plot {hl} '{data}' using 1:3:xtic(2) with boxes lc rgb '#4477aa' title 'median', \\
     '' using 1:4 with points pt 7 ps 0.8 lc rgb 'black' title 'runs', \\
     '' using 1:5 with points pt 7 ps 0.8 lc rgb 'black' notitle, \\
     '' using 1:6 with points pt 7 ps 0.8 lc rgb 'black' notitle, \\
     '' using 1:8:7 with labels offset 0,0.8 notitle
"""
    (out_dir / f"{name}.gp").write_text(script)
    try:
        subprocess.run(["gnuplot", str(out_dir / f"{name}.gp")], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench/report: gnuplot failed for {name}.png: {getattr(e, 'stderr', e)}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--name", default="results", help="results.json / results.txt under another name")
    a = ap.parse_args()
    out_dir = Path(a.out)
    entries = read_raw(a.raw)
    machine = json.loads(Path(a.machine).read_text())
    if a.name == "results":
        keys = KEYS + PARSE_KEYS
        if any(k in entries for k in CITUS_KEYS):
            keys += CITUS_KEYS
    else:  # bench/run --citus-only
        keys = PARSE_KEYS + CITUS_LOAD_KEYS
    results = build(entries, keys)
    results.update(project(results))
    doc = {"machine": machine}
    doc.update(nest(results))
    (out_dir / f"{a.name}.json").write_text(json.dumps(doc, indent=2) + "\n")
    rows = machine.get("setup", {}).get("rows")
    if a.name != "results":  # the plots belong to the full run
        text = table(results, machine)
        (out_dir / f"{a.name}.txt").write_text(text + "\n")
        print(text)
        return
    load_bars = [("load.pgload_rows_per_s", "pgload (HTTP, 2PC)"), ("load.ceiling_rows_per_s", "ceiling: pre-split \\copy"),
                 ("load.single_table_rows_per_s", "one plain table"),
                 ("load.coordinator_copy_rows_per_s", "local coordinator \\copy (fdw)")]
    if "load.citus_copy_rows_per_s" in results:
        load_bars += [("load.citus_copy_rows_per_s", "Citus coordinator \\copy"),
                      ("load.pgload_citus_rows_per_s", "pgload into Citus")]
    plot(results, out_dir, "load", f"Loading {rows} rows into 32 shards (medians and runs)", "rows/s", load_bars)
    move_bars = [("move.pipe_mb_per_s", "psql COPY pipe"), ("move.pgmove_mb_per_s", "pgmove block_writes"),
                 ("move.pgmove_logical_mb_per_s", "pgmove logical + spool"),
                 ("throttle.mean_mb_per_s", "pgmove --max-rate 20MB/s")]
    plot(results, out_dir, "move", "Moving shards onto an added worker (medians and runs)", "MB/s", move_bars, hline=20)
    text = table(results, machine)
    (out_dir / f"{a.name}.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
