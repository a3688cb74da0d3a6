#!/usr/bin/env python3
"""Detection quality of outlierd on labelled data, per file and in total.

Runs the real `outlierd ingest` over
  1. generated data (an independent generator: multiplicative and
     additive noise, bursty and low counts, a daily and weekly pattern;
     spikes, dips, stuck-at-zero, temporary excursions, lasting level
     shifts, a holiday and gaps, across a DST change in America/New_York),
     and
  2. the labelled NAB series in ../shared/data/nab (MIT licence),
once per detector configuration, and prints markdown tables: labelled
anomaly windows hit, false alerts per series-week (alerts outside every
window, counted after the warm-up), and time to first detection; beside
them, in the same run, a simple robust peer (each weekly slot's median and
MAD of the previous weeks).
  3. the whole NAB corpus but data/realTweets/ (outlierd's held-out set,
     never evaluated or tuned on here), from a checkout of
     github.com/numenta/NAB given by --nab (a work tree or a bare git
     directory), scored with NAB's own sweeper (scripts/nab_score.py), the
     standard profile. The driver is first checked against NAB's stored
     Windowed Gaussian scores, file by file, and stops if they differ.

  scripts/evaluate                 # the comparison table (seed rule vs defaults, ablations)
  scripts/evaluate --grid          # also the grid the defaults were chosen from
  scripts/evaluate --nab PATH      # also the NAB corpus (default: $NAB, or skipped)
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
            learning="learn", shift_after=0, calibrate="false", cold_start="false", trend_after=0)
DEFAULTS = dict(threshold=3.5, threshold_scale="normal", min_samples=3, pool_slots=24, leverage="true",
                learning="clip", shift_after=6, shift_confirm="1d", calibrate="true", cold_start="true",
                trend_after=8)
VARIANTS = [
    ("seed rule: residual/RSE, t scale, no pooling, learn all", SEED),
    ("seed rule + leverage", dict(SEED, leverage="true")),
    ("normal scale, no pooling", dict(DEFAULTS, pool_slots=1, calibrate="false", cold_start="false")),
    ("normal scale, pooling, learn all, no shift",
     dict(DEFAULTS, learning="learn", shift_after=0, calibrate="false", cold_start="false")),
    ("defaults without calibration", dict(DEFAULTS, calibrate="false")),
    ("defaults without cold start", dict(DEFAULTS, cold_start="false")),
    ("defaults with a slope from the start (trend_after 0)", dict(DEFAULTS, trend_after=0)),
    ("defaults with shifts confirmed at once (shift_confirm 0)", dict(DEFAULTS, shift_confirm=0)),
    ("defaults (etc/outlierd.conf)", DEFAULTS),
]
PEER = "robust peer: slot median/MAD of previous weeks, 3.5"


def toml_value(v):
    if isinstance(v, str) and v not in ("true", "false"):
        return f'"{v}"'
    return str(v)


def ingest(binary, files, detection, workdir, calendar=""):
    """`outlierd ingest` of the files into a fresh database with these
    [detection] keys (and [calendar] text); returns the database's path."""
    db = os.path.join(workdir, "eval.db")
    for suffix in ("", "-wal", "-shm", ".lock"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    conf = os.path.join(workdir, "eval.conf")
    with open(conf, "w") as fh:
        fh.write(f'[storage]\ndatabase = "{db}"\nhistory = 0\n')
        fh.write(f'[spool]\ndirectory = "{workdir}/spool"\nrejected = "{workdir}/rejected"\n')
        fh.write('[input]\nmax_future = "1w"\n')
        fh.write(calendar)
        fh.write("[detection]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in detection.items()))
    result = subprocess.run([binary, "ingest", "--config", conf] + files, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"outlierd failed:\n{result.stderr[-2000:]}")
    return db


def run_outlierd(binary, files, detection, period, slot_width, zone, workdir):
    calendar = f'[calendar]\nperiod = {period}\nslot_width = {slot_width}\ntime_zone = "{zone}"\n'
    db = ingest(binary, files, detection, workdir, calendar)
    con = sqlite3.connect(db)
    alerts = con.execute("SELECT series, ts FROM alerts ORDER BY ts").fetchall()
    incidents = con.execute("SELECT series, start_ts FROM incidents").fetchall()
    critical = con.execute("SELECT series, critical_at FROM incidents WHERE critical_at IS NOT NULL").fetchall()
    con.close()
    return alerts, incidents, critical


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


def poisson(r, lam):
    """A Poisson draw from the generator r (Knuth's method; a normal
    approximation from a mean of 30)."""
    if lam < 30:
        limit, n, p = math.exp(-lam), 0, r.random()
        while p > limit:
            n += 1
            p *= r.random()
        return n
    return max(0, round(r.gauss(lam, math.sqrt(lam))))


class Dataset:
    def __init__(self, name, samples, windows, period, slot_width, zone, warmup, anomaly_starts=None):
        self.name, self.samples, self.windows = name, samples, windows
        self.period, self.slot_width, self.zone, self.warmup = period, slot_width, zone, warmup
        self.anomaly_starts = anomaly_starts or {}


def generated(seed=2026):
    """10 series, 8 weeks of 5-minute samples from Monday 2026-02-16 in New
    York (DST starts 2026-03-08), with a daily and weekly pattern and a
    trend, of four kinds:
      gen.s0–s4   multiplicative noise of 4–12% (traffic-like);
      gen.a0–a1   additive noise (temperature- or latency-like: the noise
                  does not grow with the level);
      gen.c0–c1   bursty counts: Poisson around a level of a few hundred,
                  times a log-normal factor, with ordinary one-sample bursts
                  (×1.5–2.5, 0.5% of samples) that are not anomalies;
      gen.l0      a low count (Poisson, a few per slot).
    From week 4 each series gets its anomalies at random times, about one
    per 5 days: a spike, a dip, an hour stuck at zero, a temporary
    excursion (×1.8 or ×0.4 for 30–120 minutes) and a lasting level shift
    (+50%, or −40% for the counts), as fits its kind. Every series has a
    public holiday (Good Friday, 2026-04-03: a weekday at its weekend
    level), labelled as an anomaly as NAB labels them, and a 6-hour gap
    (no samples, not an anomaly)."""
    rng = random.Random(seed)
    zone = "America/New_York"
    t0 = datetime(2026, 2, 16, 5, 0, tzinfo=timezone.utc).timestamp()  # Mon 00:00 EST
    weeks, step = 8, 300
    samples, windows, starts = [], [], {}
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(zone)
    holiday = datetime(2026, 4, 3, tzinfo=tz)
    holiday_start = holiday.timestamp()
    holiday_end = holiday_start + 86400

    def shape(t):
        local = datetime.fromtimestamp(t, tz)
        hour = local.hour + local.minute / 60
        daily = 0.55 + 0.45 * math.sin(math.pi * (hour - 6) / 12) if 6 <= hour <= 18 else 0.55 - 0.1 * math.sin(math.pi * ((hour - 18) % 24) / 12)
        weekend = local.weekday() >= 5 or holiday_start <= t < holiday_end
        return daily * (0.6 if weekend else 1.0) * (1 + 0.005 * (t - t0) / WEEK)

    def plan(r, kinds):
        r.shuffle(kinds)
        out = []
        for i, kind in enumerate(kinds):
            # Week 4 onwards (day 21), spread over the remaining 35 days.
            a_start = t0 + 21 * 86400 + i * (35 // len(kinds)) * 86400 + r.randrange(0, (35 // len(kinds)) * 86400 // step) * step
            length = {"spike": 1, "dip": 3, "stuck": 12, "shift": None,
                      "excursion": r.choice((6, 12, 18, 24))}[kind]
            out.append((kind, a_start, length))
        return out

    def label(name, anomalies):
        for kind, a_start, length in anomalies:
            end = a_start + (length or 6) * step
            windows.append((name, a_start - 600, end + 3600, kind))
            starts[(name, a_start - 600)] = a_start
        windows.append((name, holiday_start - 600, holiday_end + 3600, "holiday"))
        starts[(name, holiday_start - 600)] = holiday_start

    def gap_of(r, anomalies):
        """6 hours without samples in weeks 5–8, clear of the anomalies and the holiday by 2 hours."""
        busy = [(a, a + (n or 6) * step) for _, a, n in anomalies] + [(holiday_start, holiday_end)]
        while True:
            g = t0 + 28 * 86400 + r.randrange(0, 28 * 86400 // step) * step
            if all(g + 6 * 3600 + 7200 <= a or b + 7200 <= g for a, b in busy):
                return g, g + 6 * 3600

    def in_any(anomalies, t, kinds):
        return next((a for a in anomalies if a[0] in kinds and a[2] and a[1] <= t < a[1] + a[2] * step), None)

    # Multiplicative: the original five, drawn from one generator in turn.
    for k in range(5):
        name = f"gen.s{k}"
        base_level = 50 * (k + 1)
        noise = 0.04 + 0.02 * k
        anomalies = plan(rng, ["spike", "dip", "stuck", "shift", "excursion"])
        excursion_factor = rng.choice((1.8, 0.4))
        shift_at = next(a for a in anomalies if a[0] == "shift")[1]
        gap = gap_of(rng, anomalies)
        for i in range(weeks * WEEK // step):
            t = t0 + i * step
            expected = base_level * shape(t)
            value = expected * (1 + rng.gauss(0, noise)) + rng.gauss(0, 0.5)
            if t >= shift_at:
                value += 0.5 * expected
            a = in_any(anomalies, t, ("spike", "dip", "stuck", "excursion"))
            if a:
                value = {"spike": value + 1.0 * expected, "dip": value - 0.6 * expected, "stuck": 0.0,
                         "excursion": value * excursion_factor}[a[0]]
            if not gap[0] <= t < gap[1]:
                samples.append((name, t, value))
        label(name, anomalies)

    # Additive noise: the noise stays the same at every level.
    for k in range(2):
        r = random.Random(seed * 10 + k)
        name = f"gen.a{k}"
        level, sd = 40.0 * (k + 1), 1.5 * (k + 1)
        anomalies = plan(r, ["spike", "dip", "shift", "excursion"])
        shift_at = next(a for a in anomalies if a[0] == "shift")[1]
        gap = gap_of(r, anomalies)
        for i in range(weeks * WEEK // step):
            t = t0 + i * step
            expected = level * (0.7 + 0.3 * shape(t))
            value = expected + r.gauss(0, sd)
            if t >= shift_at:
                value += 0.3 * level
            a = in_any(anomalies, t, ("spike", "dip", "excursion"))
            if a:
                value += {"spike": 8 * sd, "dip": -8 * sd, "excursion": 0.4 * level}[a[0]]
            if not gap[0] <= t < gap[1]:
                samples.append((name, t, value))
        label(name, anomalies)

    # Bursty counts.
    for k in range(2):
        r = random.Random(seed * 20 + k)
        name = f"gen.c{k}"
        level = 300.0 * (k + 1)
        anomalies = plan(r, ["spike", "stuck", "shift", "excursion"])
        shift_at = next(a for a in anomalies if a[0] == "shift")[1]
        gap = gap_of(r, anomalies)
        for i in range(weeks * WEEK // step):
            t = t0 + i * step
            lam = level * shape(t) * math.exp(r.gauss(0, 0.12))
            if r.random() < 0.005:
                lam *= r.uniform(1.5, 2.5)
            if t >= shift_at:
                lam *= 0.6
            a = in_any(anomalies, t, ("spike", "stuck", "excursion"))
            if a:
                lam *= {"spike": 5.0, "stuck": 0.0, "excursion": 2.0}[a[0]]
            value = poisson(r, lam)
            if not gap[0] <= t < gap[1]:
                samples.append((name, t, float(value)))
        label(name, anomalies)

    # A low count: a few events per slot.
    r = random.Random(seed * 30)
    name = "gen.l0"
    anomalies = plan(r, ["spike", "shift", "excursion"])
    shift_at = next(a for a in anomalies if a[0] == "shift")[1]
    gap = gap_of(r, anomalies)
    for i in range(weeks * WEEK // step):
        t = t0 + i * step
        lam = 6.0 * shape(t)
        if t >= shift_at:
            lam *= 3
        a = in_any(anomalies, t, ("spike", "excursion"))
        if a:
            lam = {"spike": lam + 40, "excursion": lam * 5}[a[0]]
        if not gap[0] <= t < gap[1]:
            samples.append((name, t, float(poisson(r, lam))))
    label(name, anomalies)
    return Dataset("generated (10 series × 8 weeks, New York DST)", samples, windows, WEEK, 300, zone,
                   warmup=t0 + 3 * WEEK, anomaly_starts=starts)


def operators_mix(seed, zone, start="2026-03-16"):
    """An operator's ordinary metrics: 20 series of 5-minute samples for 5
    weeks from Monday `start` (local midnight in `zone`), of seven kinds,
    each with its own noise:
      mix.requests.N  request rates: a daily and weekly wave, Poisson
                      counts around a few hundred with a log-normal day
                      factor (4 series);
      mix.latency.N   latencies in ms: log-normal, heavy-tailed (σ 0.35 on
                      the log), slower at the daily peak (4);
      mix.errors.N    small error counts: Poisson, 0.3 to 3 a slot (3);
      mix.disk.N      disk usage in %: grows through the day, a nightly
                      cleanup at 02:00 takes it back down (2);
      mix.queue.N     queue lengths: 0 most of the time, bursts of 1–3
                      samples to 5–60 a few times a day (4);
      mix.constant.0  a setting that does not change (1);
      mix.temp.N      a temperature: a smooth daily wave, 0.3 °C of noise (2).
    None of that is an anomaly. From day 8 on, 7 series get one
    unambiguous anomaly each, at a random time: requests falling to 20% for
    an hour, latency ×6 for 30 minutes, errors at 40 a slot for 20 minutes,
    the disk filling 10× as fast for 3 hours, a queue stuck at 200 for an
    hour, the constant changing, the temperature 12 °C higher for 2 hours.
    A window is the anomaly from 10 minutes before to an hour after it."""
    from zoneinfo import ZoneInfo
    rng = random.Random(seed)
    tz = ZoneInfo(zone)
    t0 = datetime.fromisoformat(start).replace(tzinfo=tz).timestamp()
    days, step = 35, 300
    samples, windows, starts = [], [], {}

    def local(t):
        d = datetime.fromtimestamp(t, tz)
        return d.hour + d.minute / 60, d.weekday()

    def wave(t):
        hour, weekday = local(t)
        daily = 0.35 + 0.65 * max(0.0, math.sin(math.pi * (hour - 7) / 14)) if 7 <= hour <= 21 else 0.35
        return daily * (0.55 if weekday >= 5 else 1.0)

    def anomaly_time(length):
        a = t0 + 7 * 86400 + rng.randrange(0, (days - 8) * 86400 // step) * step
        return a, a + length * step

    kinds = (["requests"] * 4 + ["latency"] * 4 + ["errors"] * 3 + ["disk"] * 2 + ["queue"] * 4 + ["constant"]
             + ["temp"] * 2)
    counts = {}
    anomalous = {"requests": 0, "latency": 1, "errors": 2, "disk": 0, "queue": 3, "constant": 0, "temp": 1}
    for kind in kinds:
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        name = f"mix.{kind}.{index}"
        anomaly = None
        if anomalous[kind] == index:
            length = {"requests": 12, "latency": 6, "errors": 4, "disk": 36, "queue": 12, "constant": 288,
                      "temp": 24}[kind]
            anomaly = anomaly_time(length)
            windows.append((name, anomaly[0] - 600, anomaly[1] + 3600, kind))
            starts[(name, anomaly[0] - 600)] = anomaly[0]
        level = rng.uniform(0.5, 2.0)
        disk = 40.0 + 20 * rng.random()
        day_factor, day_of = 1.0, None
        for i in range(days * 86400 // step):
            t = t0 + i * step
            hour, _ = local(t)
            inside = anomaly is not None and anomaly[0] <= t < anomaly[1]
            if kind == "requests":
                if day_of != int((t - t0) // 86400):
                    day_of, day_factor = int((t - t0) // 86400), math.exp(rng.gauss(0, 0.05))
                lam = 400 * level * wave(t) * day_factor * (0.2 if inside else 1.0)
                value = float(poisson(rng, lam))
            elif kind == "latency":
                base = 40 * level * (1 + 0.5 * wave(t))
                value = base * math.exp(rng.gauss(0, 0.35)) * (6 if inside else 1)
            elif kind == "errors":
                lam = (0.3 + 2.7 * (index / 2)) * (0.5 + wave(t))
                value = float(poisson(rng, 40 if inside else lam))
            elif kind == "disk":
                if 2 <= hour < 2 + step / 3600:
                    disk = 40.0 + rng.uniform(-1, 1)
                disk += (0.05 + 0.15 * wave(t)) * (10 if inside else 1) * rng.uniform(0.5, 1.5)
                value = min(disk, 100.0)
            elif kind == "queue":
                if inside:
                    value = 200.0 + rng.randrange(0, 5)
                elif rng.random() < 0.012:
                    value = float(rng.randrange(5, 60))
                elif rng.random() < 0.25 * 0.012 * 3:
                    value = float(rng.randrange(1, 4))
                else:
                    value = 0.0
            elif kind == "constant":
                value = 8.0 if inside or (anomaly is not None and t >= anomaly[1]) else 4.0
            else:
                value = 20 + 5 * level + 4 * math.sin(2 * math.pi * (hour - 9) / 24) + rng.gauss(0, 0.3)
                value += 12 if inside else 0
            samples.append((name, t, value))
        if kind == "constant" and anomaly is not None:
            # The new value is the anomaly's start; the window is its first hour.
            windows[-1] = (name, anomaly[0] - 600, anomaly[0] + 3600, kind)
    return Dataset(f"operator's mix (seed {seed}, {zone})", samples, windows, WEEK, 300, zone,
                   warmup=t0 + 86400, anomaly_starts=starts)


def family_sets(seed=11, weeks=4):
    """Anomaly-free series of each noise family, 5 of each, 5-minute samples
    for `weeks` weeks from Monday 2026-05-04 in UTC around a daily and weekly
    wave: Gaussian (additive), log-normal (multiplicative), Poisson counts
    of a few a slot, over-dispersed counts (Poisson around a log-normal
    mean), and a queue (0 but for bursts of 5 to 60 in 1.2% of the slots).
    Nothing in them is an anomaly: every alert is a false one, and the rate
    of alerts per judged sample is to be compared with the threshold's
    nominal rate, P(|Z| > 3.5) = 4.65e-4."""
    rng = random.Random(seed)
    t0 = datetime(2026, 5, 4, tzinfo=timezone.utc).timestamp()
    sets = {}
    for family in ("additive", "multiplicative", "counts", "over-dispersed counts", "intermittent"):
        samples = []
        for k in range(5):
            name = f"fam.{family.replace(' ', '-')}.{k}"
            level = 50 * (k + 1)
            for i in range(weeks * WEEK // 300):
                t = t0 + i * 300
                hour = (t % 86400) / 3600
                weekday = int((t - t0) // 86400) % 7
                wave = (0.6 + 0.4 * math.sin(math.pi * (hour - 6) / 12) if 6 <= hour <= 18 else 0.6) \
                    * (0.7 if weekday >= 5 else 1.0)
                if family == "additive":
                    value = level * wave + rng.gauss(0, 0.05 * level)
                elif family == "multiplicative":
                    value = level * wave * math.exp(rng.gauss(0, 0.3))
                elif family == "counts":
                    value = float(poisson(rng, (1 + k) * wave))
                elif family == "over-dispersed counts":
                    value = float(poisson(rng, 20 * (1 + k) * wave * math.exp(rng.gauss(0, 0.4))))
                else:
                    value = float(rng.randrange(5, 61)) if rng.random() < 0.012 else 0.0
                samples.append((name, t, value))
        sets[family] = Dataset(f"anomaly-free {family}", samples, [], WEEK, 300, "UTC", warmup=t0 + 86400)
    return sets


def alert_rates(binary, workdir):
    """Per family: judged samples after the first day, alerts among them,
    and their rate against the nominal P(|Z| > 3.5)."""
    nominal = 2 * 0.5 * math.erfc(3.5 / math.sqrt(2))
    rows = []
    for family, dataset in family_sets().items():
        files = write_files(list(dataset.samples), workdir, "fam", 6)
        try:
            calendar = '[calendar]\nperiod = 604800\nslot_width = 300\ntime_zone = "UTC"\n'
            con = sqlite3.connect(ingest(binary, files, {}, workdir, calendar))
            alerts = con.execute("SELECT count(*) FROM alerts WHERE ts >= ?", (dataset.warmup,)).fetchone()[0]
            con.close()
        finally:
            for f in files:
                os.remove(f)
        judged = sum(1 for _, t, _ in dataset.samples if t >= dataset.warmup)
        rows.append((family, judged, alerts, alerts / judged, alerts / judged / nominal))
    return nominal, rows


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


def score(dataset, alerts, incidents, critical=None):
    """Windows hit, false alerts and incidents after the warm-up, and, with
    `critical` (series, time each incident turned critical), the windows a
    critical incident hit and the false critical incidents."""
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
    result = dict(windows=len(dataset.windows), hit=hit, false=len(false), false_incidents=len(false_incidents),
                  series_weeks=series_weeks, delay=sorted(delays)[len(delays) // 2] if delays else None,
                  alerts=len(alerts), critical_hit=None, false_critical=None)
    if critical is not None:
        result["critical_hit"] = sum(1 for name, a, b, _ in dataset.windows
                                     if any(s == name and a <= t <= b for s, t in critical))
        result["false_critical"] = sum(1 for s, t in critical if t >= dataset.warmup and outside(s, t))
    return result


def evaluate_peer(dataset, threshold=3.5):
    alerts, _ = peer_alerts(list(dataset.samples), threshold, slot_width=dataset.slot_width, period=dataset.period)
    return score(dataset, alerts, incidents_of(alerts))


PEER_THRESHOLDS = [1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 200, 500, 1000, 1e4, 1e5, 1e6]


def peer_at_recall(dataset, hits):
    """The robust peer at outlierd's recall: of the thresholds in
    PEER_THRESHOLDS, the highest (fewest false alerts) at which the peer hits
    at least `hits` windows; with the threshold, or None and the best the
    peer can do when no threshold gets there."""
    _, scored = peer_alerts(list(dataset.samples), slot_width=dataset.slot_width, period=dataset.period)
    best = None
    for threshold in PEER_THRESHOLDS:
        alerts = [(s, t) for s, t, z in scored if z >= threshold]
        r = score(dataset, alerts, incidents_of(alerts))
        if r["hit"] >= hits:
            best = (threshold, r)
        elif best is None and threshold == PEER_THRESHOLDS[0]:
            return None, r
    return best if best else (None, r)


def incidents_of(alerts, gap=1800):
    """Alerts of a series closer than `gap` seconds are one incident, as outlierd's incident_gap."""
    last, incidents = {}, []
    for s, t in sorted(alerts, key=lambda a: a[1]):
        if s not in last or t - last[s] > gap:
            incidents.append((s, t))
        last[s] = t
    return incidents


def nab_series_name(path):
    return "nab." + path[:-4].replace("/", ".")


def evaluate_nab(binary, corpus, workdir):
    """outlierd (default settings) and the robust peer over the NAB corpus,
    scored by NAB's sweeper: the normalised standard score with the
    detector's detections as its anomaly scores (1 at a detection, 0
    elsewhere), and the windows hit and false detections per series-week
    after NAB's probation (the first 15% of each file). outlierd is scored
    three ways, by what an operator is told:
      - by incident openings (the primary score: one page per incident),
      - by critical incidents, at the alert that made each critical (what
        pages at the defaults),
      - by alerts (every alert row, as earlier versions were scored)."""
    import nab_score
    rows = {p: corpus.rows(p) for p in corpus.files}
    files = []
    for path in corpus.files:
        out = os.path.join(workdir, os.path.basename(path)[:-4] + ".txt")
        with open(out, "w") as fh:
            name = nab_series_name(path)
            fh.write("".join(f"{name} {v:.10g} {nab_score.unix(t):.0f}\n" for t, v in rows[path]))
        files.append(out)
    runs = []
    for label, detection in (("outlierd (defaults)", {}), ("outlierd without calibration", {"calibrate": "false"}),
                             ("outlierd without cold start", {"cold_start": "false"}),
                             ("outlierd with a slope from the start", {"trend_after": 0}),
                             ("outlierd with shifts confirmed at once", {"shift_confirm": 0})):
        con = sqlite3.connect(ingest(binary, files, detection, workdir))
        openings = con.execute("SELECT series, start_ts FROM incidents").fetchall()
        critical = con.execute("SELECT series, critical_at FROM incidents WHERE critical_at IS NOT NULL").fetchall()
        alerts = con.execute("SELECT series, ts FROM alerts").fetchall()
        runs.append((label + ", by incident openings", openings))
        if not detection:
            runs.append((label + ", by critical incidents", critical))
        runs.append((label + ", by alerts", alerts))
        con.close()
    for f in files:
        os.remove(f)
    samples = [(nab_series_name(p), nab_score.unix(t), v) for p in corpus.files for t, v in rows[p]]
    peer, _ = peer_alerts(samples)
    report = {}
    for label, alerts in runs + [("robust peer (slot median/MAD, 3.5)", peer)]:
        by_series = {}
        for s, t in alerts:
            by_series.setdefault(s, set()).add(t)
        scores, hit, windows, false, series_weeks = {}, 0, 0, 0, 0.0
        for path in corpus.files:
            times = [nab_score.unix(t) for t, _ in rows[path]]
            flagged = by_series.get(nab_series_name(path), set())
            scores[path] = [1.0 if t in flagged else 0.0 for t in times]
            probation = times[min(int(0.15 * len(times)), 750)]
            limits = [(nab_score.unix(a), nab_score.unix(b)) for a, b in corpus.windows[path]]
            windows += len(limits)
            hit += sum(1 for a, b in limits if any(a <= t <= b for t in flagged))
            false += sum(1 for t in flagged if t >= probation and not any(a <= t <= b for a, b in limits))
            series_weeks += max(times[-1] - probation, 1) / WEEK
        nab = nab_score.score(corpus, scores)
        report[label] = dict(nab=nab["score"], hit=hit, windows=windows, false=false, series_weeks=series_weeks,
                             alerts=len(alerts))
    return report


def evaluate(binary, dataset, detection, workdir):
    files = write_files(list(dataset.samples), workdir, "f", 6)
    try:
        alerts, incidents, critical = run_outlierd(binary, files, detection, dataset.period, dataset.slot_width,
                                                   dataset.zone, workdir)
    finally:
        for f in files:
            os.remove(f)
    return score(dataset, alerts, incidents, critical)


def peer_alerts(samples, threshold=3.5, weeks=3, slot_width=300, period=WEEK):
    """The robust peer: a sample is scored against the median and MAD
    (× 1.4826) of its weekly slot's values in the previous weeks, once the
    slot has `weeks` of them; |x − median| / scale ≥ threshold alerts.
    Returns the alerts and each judged sample's score."""
    import statistics
    past = {}
    alerts, scored = [], []
    for series, t, v in sorted(samples, key=lambda s: s[1]):
        key = (series, int(t % period) // slot_width)
        previous = past.setdefault(key, [])
        if len(previous) >= weeks:
            median = statistics.median(previous)
            mad = statistics.median(abs(x - median) for x in previous)
            scale = max(1.4826 * mad, 1e-9 * abs(median), 1e-12)
            z = abs(v - median) / scale
            scored.append((series, t, z))
            if z >= threshold:
                alerts.append((series, t))
        previous.append(v)
    return alerts, scored


def fmt(r):
    rate = r["false"] / r["series_weeks"]
    delay = "–" if r["delay"] is None else f'{r["delay"]:.0f} min'
    hit = f'{r["hit"]}/{r["windows"]}' if r["windows"] else "–"
    if r.get("false_critical") is None:
        critical = "– | –"
    else:
        hit_critical = f'{r["critical_hit"]}/{r["windows"]}' if r["windows"] else "–"
        critical = f'{hit_critical} | {r["false_critical"] / r["series_weeks"]:.2f}'
    return f'{hit} | {rate:.2f} | {r["false_incidents"] / r["series_weeks"]:.2f} | {critical} | {delay} | {r["alerts"]}'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "outlierd"))
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--nab", default=os.environ.get("NAB"),
                        help="a checkout of github.com/numenta/NAB (work tree or bare git directory)")
    args = parser.parse_args()
    if args.nab:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import nab_score
        corpus = nab_score.Corpus(args.nab, exclude=("realTweets",))
        worst, compared, from_totals, published = nab_score.check_against_stored(corpus)
        if worst > 1e-6 or abs(from_totals - published) > 0.005:
            sys.exit(f"the NAB driver differs from NAB's stored Windowed Gaussian scores by up to {worst:g} per file "
                     f"(and NAB's totals give {from_totals:.2f} against the published {published:.2f}): not trusted")
        wg = nab_score.score(corpus, {p: corpus.stored_scores("windowedGaussian", p) for p in corpus.files})
        with tempfile.TemporaryDirectory() as workdir:
            report = evaluate_nab(args.binary, corpus, workdir)
        print(f"NAB corpus, {len(corpus.files)} files (data/realTweets/ held out), NAB's sweeper, standard profile.")
        print(f"Driver check: on each of these {compared} files the driver scores NAB's stored Windowed Gaussian "
              f"results as NAB stored them (largest difference {worst:.1g}); NAB's stored totals give its published "
              f"{from_totals:.2f} ({published:.2f} published, all 58 files); the driver gives it {wg['score']:.2f} on "
              f"these {len(corpus.files)}.")
        print()
        print("| detector | NAB standard | windows hit | false detections / series-week (after probation) | detections |")
        print("|---|---|---|---|---|")
        print(f"| Windowed Gaussian (NAB's stored results, its optimised threshold) | {wg['score']:.1f} | – | – | – |")
        for label, r in report.items():
            print(f"| {label} | {r['nab']:.1f} | {r['hit']}/{r['windows']} | {r['false'] / r['series_weeks']:.2f} | {r['alerts']} |")
        print()
        sys.stdout.flush()
    with tempfile.TemporaryDirectory() as workdir:
        nominal, rows = alert_rates(args.binary, workdir)
    print(f"Anomaly-free data of each noise family, 5 series × 4 weeks, defaults; nominal rate {nominal:.3g}.")
    print()
    print("| family | judged samples | alerts | rate | rate / nominal |")
    print("|---|---|---|---|---|")
    for family, judged, alerts, rate, ratio in rows:
        print(f"| {family} | {judged} | {alerts} | {rate:.2g} | {ratio:.2f} |")
    print()
    sys.stdout.flush()
    # The operator's mix of seed 1 in UTC is where defaults may be tried;
    # seed 2 in Berlin (a DST change on 2026-03-29) is only reported.
    datasets = [operators_mix(1, "UTC"), operators_mix(2, "Europe/Berlin"), generated()] + nab_sets()
    with tempfile.TemporaryDirectory() as workdir:
        print("| data | detector | windows hit | false alerts / series-week | false incidents / series-week | windows hit by a critical incident | false critical incidents / series-week | median time to detect | alerts |")
        print("|---|---|---|---|---|---|---|---|---|")
        totals = {}
        for dataset in datasets:
            runs = [(label, lambda d=detection: evaluate(args.binary, dataset, d, workdir)) for label, detection in VARIANTS]
            runs.append((PEER, lambda: evaluate_peer(dataset)))
            results = {}
            for label, run in runs:
                r = run()
                results[label] = r
                print(f"| {dataset.name} | {label} | {fmt(r)} |")
                t = totals.setdefault(label, dict(windows=0, hit=0, false=0, false_incidents=0, series_weeks=0, alerts=0,
                                                  delays=[], critical_hit=None, false_critical=None))
                for key in ("windows", "hit", "false", "false_incidents", "series_weeks", "alerts"):
                    t[key] += r[key]
                for key in ("critical_hit", "false_critical"):
                    if r[key] is not None:
                        t[key] = (t[key] or 0) + r[key]
                if r["delay"] is not None:
                    t["delays"].append(r["delay"])
            if dataset.windows:
                # Not in the totals: its threshold differs by data set.
                ours = results["defaults (etc/outlierd.conf)"]
                threshold, r = peer_at_recall(dataset, ours["hit"])
                label = (f"robust peer at outlierd's recall (threshold {threshold:g})" if threshold
                         else "robust peer: cannot reach outlierd's recall at any threshold (best shown)")
                print(f"| {dataset.name} | {label} | {fmt(r)} |")
            sys.stdout.flush()
        for label, t in totals.items():
            t["delay"] = sorted(t["delays"])[len(t["delays"]) // 2] if t["delays"] else None
            print(f"| **all data** | {label} | {fmt(t)} |")
        if args.grid:
            print()
            print("Grid on the generated data (normal scale, clip, min_samples 3):")
            print()
            print("| threshold | pool_slots | shift_after | windows hit | false alerts / series-week | false incidents / series-week | windows hit by a critical incident | false critical incidents / series-week | median time to detect | alerts |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            for threshold in (3.5, 4.0, 4.5):
                for pool in (1, 12, 24, 48):
                    for shift_after in (6, 12):
                        d = dict(DEFAULTS, threshold=threshold, pool_slots=pool, shift_after=shift_after)
                        r = evaluate(args.binary, datasets[0], d, workdir)
                        print(f"| {threshold} | {pool} | {shift_after} | {fmt(r)} |")
                        sys.stdout.flush()


if __name__ == "__main__":
    main()
