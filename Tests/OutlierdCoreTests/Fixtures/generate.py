#!/usr/bin/env python3
"""Independent reference values for the engine tests.

Regression statistics are computed in exact rational arithmetic (fractions)
from the very doubles the Swift tests feed in; square roots and the Student t
distribution use mpmath at 50 significant digits. Calendar slots come from
Python's zoneinfo and datetime, a different implementation from Foundation's.

Run from the repo root:  python3 Tests/OutlierdCoreTests/Fixtures/generate.py
It rewrites regression.json, student_t.json and calendar.json beside itself.
The random data are seeded, so the outputs are reproducible.
"""
import json
import os
import random
from datetime import datetime, timedelta, timezone
from fractions import Fraction as F
from zoneinfo import ZoneInfo

import mpmath
import scipy.stats  # only a starting point for mpmath's root finder

mpmath.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))
WEEK = 604800


def f(v):
    """A float for JSON; repr round-trips exactly."""
    return float(v)


def weights_for(n, memory):
    """Weights the Swift update gives n samples with memory N (None: OLS).

    Plain OLS until the weight reaches N; after that each new sample scales
    the old weight by (N-1)/N. Sample i (1-based) of n thus weighs
    ((N-1)/N)^(n - max(i, N)).
    """
    if memory is None or n <= memory:
        return [F(1)] * n
    lam = F(memory - 1, memory)
    return [lam ** (n - max(i, memory)) for i in range(1, n + 1)]


def reference(xs, ys, memory, xq, yq):
    xs_f = [F(x) for x in xs]
    ys_f = [F(y) for y in ys]
    ws = weights_for(len(xs), memory)
    out = {}
    W = sum(ws)
    out["weight"] = f(W)
    if W == 0:
        return out
    mx = sum(w * x for w, x in zip(ws, xs_f)) / W
    my = sum(w * y for w, y in zip(ws, ys_f)) / W
    cxx = sum(w * (x - mx) ** 2 for w, x in zip(ws, xs_f))
    cxy = sum(w * (x - mx) * (y - my) for w, x, y in zip(ws, xs_f, ys_f))
    cyy = sum(w * (y - my) ** 2 for w, y in zip(ws, ys_f))
    out.update(meanX=f(mx), meanY=f(my), cxx=f(cxx), cxy=f(cxy), cyy=f(cyy))
    if cxx == 0:
        return out
    slope = cxy / cxx
    rss = cyy - cxy * cxy / cxx
    out.update(slope=f(slope), rss=f(rss))
    xq_f, yq_f = F(xq), F(yq)
    yhat = my + slope * (xq_f - mx)
    out["expected"] = f(yhat)
    if W <= 2 or rss <= 0:
        return out
    s = mpmath.sqrt(mpmath.mpf(rss.numerator) / rss.denominator / (mpmath.mpf(W.numerator) / W.denominator - 2))
    lev = F(1) + 1 / W + (xq_f - mx) ** 2 / cxx
    se = s * mpmath.sqrt(mpmath.mpf(lev.numerator) / lev.denominator)
    resid = yq_f - yhat
    t = (mpmath.mpf(resid.numerator) / resid.denominator) / se
    dof = mpmath.mpf(W.numerator) / W.denominator - 2
    p = mpmath.betainc(dof / 2, mpmath.mpf(1) / 2, 0, dof / (dof + t * t), regularized=True)
    out.update(s=f(s), standardError=f(se), studentized=f(t), pValue=f(p))
    return out


def case(name, xs, ys, xq, yq, memory=None):
    return {
        "name": name, "x": [f(x) for x in xs], "y": [f(y) for y in ys],
        "memory": memory, "queryX": f(xq), "queryY": f(yq),
        "expect": reference(xs, ys, memory, xq, yq),
    }


def regression_cases():
    rng = random.Random(20261130)
    t0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    cases = []
    xs = [t0 + i * WEEK for i in range(12)]
    ys = [100 + 0.5 * i + rng.gauss(0, 3) for i in range(12)]
    cases.append(case("ordinary weekly trend with noise", xs, ys, t0 + 12 * WEEK, 125.0))
    xs = [t0 + i * WEEK + rng.uniform(-30, 30) for i in range(20)]
    ys = [1e9 + rng.uniform(-10, 10) for _ in range(20)]
    cases.append(case("unix seconds with y about 1e9 +- 10", xs, ys, t0 + 20 * WEEK, 1e9 + 35))
    xs = [t0 + rng.uniform(0, 3) for _ in range(10)]
    ys = [1e9 + 2 * (x - t0) + rng.uniform(-1, 1) for x in xs]
    cases.append(case("unix seconds with tiny spread", xs, ys, t0 + 4, 1e9 + 9))
    xs = [t0 + i * WEEK for i in range(3)]
    cases.append(case("one sample", xs[:1], [42.0], t0 + WEEK, 43.0))
    cases.append(case("two samples", xs[:2], [42.0, 44.5], t0 + 2 * WEEK, 47.0))
    cases.append(case("three samples", xs, [42.0, 44.5, 45.25], t0 + 3 * WEEK, 49.0))
    xs = [t0 + i * WEEK for i in range(8)]
    cases.append(case("constant y", xs, [7.25] * 8, t0 + 8 * WEEK, 7.25))
    cases.append(case("identical x", [t0] * 5, [1.0, 2.0, 3.0, 4.0, 5.5], t0, 3.0))
    for memory, n in [(5, 5), (5, 6), (5, 30), (12, 40)]:
        xs = [t0 + i * WEEK for i in range(n)]
        ys = [(50.0 if i < n // 2 else 80.0) + rng.gauss(0, 2) for i in range(n)]
        cases.append(case(f"forgetting memory {memory}, {n} samples", xs, ys, t0 + n * WEEK, 81.0, memory))
    xs = [t0 + i * 300.0 for i in range(400)]
    ys = [1e6 + 1e-3 * i + rng.gauss(0, 50) for i in range(400)]
    cases.append(case("400 samples, memory 50", xs, ys, t0 + 400 * 300.0, 1e6 + 400, 50))
    return cases


def student_t_cases():
    rows = []
    # Quantiles of t for two-sided p in {0.5, 0.1, 0.05, 0.01, 0.001}, solved
    # by mpmath, so the Swift p-value at them must return p.
    for dof in [1, 2, 3, 5, 10, 30, 100, 1000]:
        for p in ["0.5", "0.1", "0.05", "0.01", "0.001", "1e-6"]:
            pm = mpmath.mpf(p)
            d = mpmath.mpf(dof)
            tail = lambda t: mpmath.betainc(d / 2, mpmath.mpf(1) / 2, 0, d / (d + t * t), regularized=True) - pm
            t = mpmath.findroot(tail, mpmath.mpf(float(scipy.stats.t.isf(float(p) / 2, dof))))
            tf = float(t)
            exact = mpmath.betainc(mpmath.mpf(dof) / 2, mpmath.mpf(1) / 2, 0, dof / (dof + mpmath.mpf(tf) ** 2), regularized=True)
            rows.append({"t": tf, "dof": dof, "pValue": float(exact)})
    for dof in [1.5, 2.75, 4, 7.3, 40, 250]:
        for t in [0.0, 0.25, 1.0, 2.5, 4.0, 8.0, 25.0, -3.0]:
            tm = mpmath.mpf(t)
            d = mpmath.mpf(dof)
            exact = mpmath.betainc(d / 2, mpmath.mpf(1) / 2, 0, d / (d + tm * tm), regularized=True)
            rows.append({"t": t, "dof": dof, "pValue": float(exact)})
    return rows


def local_slot(ts, zone, period, width):
    dt = datetime.fromtimestamp(ts, ZoneInfo(zone))
    secs = dt.hour * 3600 + dt.minute * 60 + dt.second
    if period == WEEK:
        secs += dt.weekday() * 86400
    return secs // width


def calendar_cases():
    rng = random.Random(7)
    rows = []
    instants = []
    def around(text, zone):
        center = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()
        for delta in range(-7200, 7201, 450):
            instants.append(center + delta)
        instants.extend([center - 1, center, center + 1])
    for zone in ["America/New_York", "Europe/Berlin"]:
        for year in [2024, 2025, 2026, 2027]:
            for month in [3, 10, 11]:
                # Scan for the offset changes of that month to place probes.
                start = datetime(year, month, 1, tzinfo=timezone.utc).timestamp()
                for h in range(0, 31 * 24):
                    a = datetime.fromtimestamp(start + h * 3600, ZoneInfo(zone)).utcoffset()
                    b = datetime.fromtimestamp(start + (h + 1) * 3600, ZoneInfo(zone)).utcoffset()
                    if a != b:
                        for delta in range(-7200, 10801, 300):
                            instants.append(start + (h + 1) * 3600 + delta)
        around("2024-12-31 23:58:00", zone)
        around("2026-12-31 23:59:59", zone)
        around("2024-02-29 00:00:00", zone)
        around("2024-03-01 00:00:00", zone)
    instants.extend([1_704_067_200 + d for d in (-1, 0, 1, 299, 300)])  # 2024-01-01Z
    instants.extend([rng.uniform(631_152_000, 4_000_000_000) for _ in range(300)])
    instants.extend([i + 0.999 for i in instants[:50]])
    for zone in ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"]:
        for period, width in [(WEEK, 300), (86400, 300), (WEEK, 3600), (86400, 60)]:
            rows.append({
                "zone": zone, "period": period, "width": width,
                "samples": [[float(ts), local_slot(ts, zone, period, width)] for ts in instants],
            })
    return rows


def write(name, data):
    with open(os.path.join(HERE, name), "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    write("regression.json", regression_cases())
    write("student_t.json", student_t_cases())
    write("calendar.json", calendar_cases())
