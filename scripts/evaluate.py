#!/usr/bin/env python3
"""Detection quality of outlierd on labelled data, per file and in total.

Runs the real `outlierd ingest` over
  1. generated data (an independent generator: weekly pattern, noise, and
     spikes, dips, lasting level shifts and stuck-at-zero injected from week
     4, across a DST change in America/New_York), and
  2. the labelled NAB series in ../shared/data/nab (MIT licence),
once per detector configuration, and prints markdown tables: labelled
anomaly windows hit, false alerts per series-week (alerts outside every
window, counted after the warm-up), and time to first detection.

  scripts/evaluate                 # the comparison table (seed rule vs defaults, ablations)
  scripts/evaluate --grid          # also the grid the defaults were chosen from
"""
import argparse
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAB = os.path.join(ROOT, "..", "shared", "data", "nab")
WEEK = 604800

# Detector configurations: [detection] keys.
SEED = dict(threshold=4.0, threshold_scale="t", min_samples=4, pool_slots=1, leverage="false",
            learning="learn", shift_after=0)
DEFAULTS = dict(threshold=3.5, threshold_scale="normal", min_samples=3, pool_slots=24, leverage="true",
                learning="clip", shift_after=6)
VARIANTS = [
    ("seed rule: residual/RSE, t scale, no pooling, learn all", SEED),
    ("seed rule + leverage", dict(SEED, leverage="true")),
    ("normal scale, no pooling", dict(DEFAULTS, pool_slots=1)),
    ("normal scale, pooling, learn all, no shift", dict(DEFAULTS, learning="learn", shift_after=0)),
    ("defaults (etc/outlierd.conf)", DEFAULTS),
]


def toml_value(v):
    if isinstance(v, str) and v not in ("true", "false"):
        return f'"{v}"'
    return str(v)


def run_outlierd(binary, files, detection, period, slot_width, zone, workdir):
    db = os.path.join(workdir, "eval.db")
    for suffix in ("", "-wal", "-shm", ".lock"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    conf = os.path.join(workdir, "eval.conf")
    with open(conf, "w") as fh:
        fh.write(f'[storage]\ndatabase = "{db}"\nhistory = 0\n')
        fh.write(f'[spool]\ndirectory = "{workdir}/spool"\nrejected = "{workdir}/rejected"\n')
        fh.write('[input]\nmax_future = "1w"\n')
        fh.write(f'[calendar]\nperiod = {period}\nslot_width = {slot_width}\ntime_zone = "{zone}"\n')
        fh.write("[detection]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in detection.items()))
    result = subprocess.run([binary, "ingest", "--config", conf] + files, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"outlierd failed:\n{result.stderr[-2000:]}")
    con = sqlite3.connect(db)
    alerts = con.execute("SELECT series, ts FROM alerts ORDER BY ts").fetchall()
    incidents = con.execute("SELECT series, start_ts FROM incidents").fetchall()
    con.close()
    return alerts, incidents


def write_files(samples, workdir, name, hours):
    """Graphite files of `hours` each, in time order."""
    out = []
    samples.sort(key=lambda s: s[1])
    chunk, start = [], samples[0][1]
    def flush():
        if chunk:
            path = os.path.join(workdir, f"{name}-{len(out):05d}.txt")
            with open(path, "w") as fh:
                fh.write("".join(f"{s} {v:.6g} {t:.0f}\n" for s, t, v in chunk))
            out.append(path)
    for s in samples:
        if s[1] >= start + hours * 3600:
            flush()
            chunk, start = [], s[1]
        chunk.append(s)
    flush()
    return out


class Dataset:
    def __init__(self, name, samples, windows, period, slot_width, zone, warmup, anomaly_starts=None):
        self.name, self.samples, self.windows = name, samples, windows
        self.period, self.slot_width, self.zone, self.warmup = period, slot_width, zone, warmup
        self.anomaly_starts = anomaly_starts or {}


def generated(seed=2026):
    """5 series, 8 weeks of 5-minute samples from Monday 2026-02-16 in New
    York (DST starts 2026-03-08), 4 anomalies per series from week 4."""
    rng = random.Random(seed)
    zone = "America/New_York"
    t0 = datetime(2026, 2, 16, 5, 0, tzinfo=timezone.utc).timestamp()  # Mon 00:00 EST
    weeks, step = 8, 300
    samples, windows, starts = [], [], {}
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(zone)
    for k in range(5):
        name = f"gen.s{k}"
        base_level = 50 * (k + 1)
        noise = 0.04 + 0.02 * k
        kinds = ["spike", "dip", "stuck", "shift"]
        rng.shuffle(kinds)
        anomalies = []
        for i, kind in enumerate(kinds):
            # Week 4 onwards (day 21), one anomaly per ~8 days, at a random time.
            a_start = t0 + 21 * 86400 + i * 8 * 86400 + rng.randrange(0, 7 * 86400 // step) * step
            length = {"spike": 1, "dip": 3, "stuck": 12, "shift": None}[kind]
            anomalies.append((kind, a_start, length))
        shift_at = next(a for a in anomalies if a[0] == "shift")[1]
        for i in range(weeks * WEEK // step):
            t = t0 + i * step
            local = datetime.fromtimestamp(t, tz)
            hour = local.hour + local.minute / 60
            daily = 0.55 + 0.45 * math.sin(math.pi * (hour - 6) / 12) if 6 <= hour <= 18 else 0.55 - 0.1 * math.sin(math.pi * ((hour - 18) % 24) / 12)
            weekend = 0.6 if local.weekday() >= 5 else 1.0
            trend = 1 + 0.005 * (t - t0) / WEEK
            expected = base_level * daily * weekend * trend
            value = expected * (1 + rng.gauss(0, noise)) + rng.gauss(0, 0.5)
            if t >= shift_at:
                value += 0.5 * expected
            for kind, a_start, length in anomalies:
                if kind != "shift" and a_start <= t < a_start + length * step:
                    value = {"spike": value + 1.0 * expected, "dip": value - 0.6 * expected, "stuck": 0.0}[kind]
            samples.append((name, t, value))
        for kind, a_start, length in anomalies:
            end = a_start + (length or 6) * step
            windows.append((name, a_start - 600, end + 3600, kind))
            starts[(name, a_start - 600)] = a_start
    return Dataset("generated (5 series × 8 weeks, New York DST)", samples, windows, WEEK, 300, zone,
                   warmup=t0 + 3 * WEEK, anomaly_starts=starts)


def nab_sets():
    with open(os.path.join(NAB, "windows.json")) as fh:
        labels = json.load(fh)
    files = [
        ("realKnownCause/nyc_taxi.csv", WEEK, 1800, 3),
        ("artificialWithAnomaly/art_daily_flatmiddle.csv", 86400, 300, 3),
        ("artificialWithAnomaly/art_daily_jumpsdown.csv", 86400, 300, 3),
        ("artificialWithAnomaly/art_daily_jumpsup.csv", 86400, 300, 3),
        ("artificialWithAnomaly/art_daily_nojump.csv", 86400, 300, 3),
        ("artificialNoAnomaly/art_daily_small_noise.csv", 86400, 300, 3),
    ]
    def ts(text):
        return datetime.fromisoformat(text.split(".")[0]).replace(tzinfo=timezone.utc).timestamp()
    sets = []
    for path, period, width, warm_periods in files:
        name = "nab." + os.path.basename(path)[:-4]
        samples = []
        with open(os.path.join(NAB, path)) as fh:
            next(fh)
            for line in fh:
                stamp, value = line.strip().split(",")
                samples.append((name, ts(stamp), float(value)))
        windows = [(name, ts(a), ts(b), "labelled") for a, b in labels.get(path, [])]
        warmup = samples[0][1] + warm_periods * period
        sets.append(Dataset(f"NAB {os.path.basename(path)}", samples, windows, period, width, "UTC", warmup))
    return sets


def score(dataset, alerts, incidents):
    first_ts = min(t for _, t, _ in dataset.samples)
    last_ts = max(t for _, t, _ in dataset.samples)
    series = {s for s, _, _ in dataset.samples}
    hit, delays = 0, []
    for name, a, b, kind in dataset.windows:
        inside = [t for s, t in alerts if s == name and a <= t <= b]
        if inside:
            hit += 1
            start = dataset.anomaly_starts.get((name, a), a)
            delays.append(max(0, inside[0] - start) / 60)
    def outside(s, t):
        return not any(s == n and a <= t <= b for n, a, b, _ in dataset.windows)
    false = [(s, t) for s, t in alerts if t >= dataset.warmup and outside(s, t)]
    false_incidents = [(s, t) for s, t in incidents if t >= dataset.warmup and outside(s, t)]
    weeks = max(last_ts - max(dataset.warmup, first_ts), 1) / WEEK
    series_weeks = weeks * len(series)
    return dict(windows=len(dataset.windows), hit=hit, false=len(false), false_incidents=len(false_incidents),
                series_weeks=series_weeks, delay=sorted(delays)[len(delays) // 2] if delays else None,
                alerts=len(alerts))


def evaluate(binary, dataset, detection, workdir):
    files = write_files(list(dataset.samples), workdir, "f", 6)
    try:
        alerts, incidents = run_outlierd(binary, files, detection, dataset.period, dataset.slot_width, dataset.zone, workdir)
    finally:
        for f in files:
            os.remove(f)
    return score(dataset, alerts, incidents)


def fmt(r):
    rate = r["false"] / r["series_weeks"]
    delay = "–" if r["delay"] is None else f'{r["delay"]:.0f} min'
    hit = f'{r["hit"]}/{r["windows"]}' if r["windows"] else "–"
    return f'{hit} | {rate:.2f} | {r["false_incidents"] / r["series_weeks"]:.2f} | {delay} | {r["alerts"]}'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "outlierd"))
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    datasets = [generated()] + nab_sets()
    with tempfile.TemporaryDirectory() as workdir:
        print("| data | detector | windows hit | false alerts / series-week | false incidents / series-week | median time to detect | alerts |")
        print("|---|---|---|---|---|---|---|")
        totals = {}
        for dataset in datasets:
            for label, detection in VARIANTS:
                r = evaluate(args.binary, dataset, detection, workdir)
                print(f"| {dataset.name} | {label} | {fmt(r)} |")
                t = totals.setdefault(label, dict(windows=0, hit=0, false=0, false_incidents=0, series_weeks=0, alerts=0, delays=[]))
                for key in ("windows", "hit", "false", "false_incidents", "series_weeks", "alerts"):
                    t[key] += r[key]
                if r["delay"] is not None:
                    t["delays"].append(r["delay"])
            sys.stdout.flush()
        for label, t in totals.items():
            t["delay"] = sorted(t["delays"])[len(t["delays"]) // 2] if t["delays"] else None
            print(f"| **all data** | {label} | {fmt(t)} |")
        if args.grid:
            print()
            print("Grid on the generated data (normal scale, clip, min_samples 3):")
            print()
            print("| threshold | pool_slots | shift_after | windows hit | false alerts / series-week | false incidents / series-week | median time to detect | alerts |")
            print("|---|---|---|---|---|---|---|---|")
            for threshold in (3.5, 4.0, 4.5):
                for pool in (1, 12, 24, 48):
                    for shift_after in (6, 12):
                        d = dict(DEFAULTS, threshold=threshold, pool_slots=pool, shift_after=shift_after)
                        r = evaluate(args.binary, datasets[0], d, workdir)
                        print(f"| {threshold} | {pool} | {shift_after} | {fmt(r)} |")
                        sys.stdout.flush()


if __name__ == "__main__":
    main()
