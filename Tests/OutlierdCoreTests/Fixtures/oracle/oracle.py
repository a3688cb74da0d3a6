#!/usr/bin/env python3
"""The independent end-to-end oracle: a tiny input file and, computed here
from the definitions (50-digit mpmath, not outlierd's code or its update
order), the `slot_blocks` rows and `alerts` rows outlierd must store.

    python3 Tests/OutlierdCoreTests/Fixtures/oracle/oracle.py

writes input.txt and expected.json beside itself; PipelineOracleTests runs
the real pipeline on input.txt with config.toml and compares.

Definitions (docs/model.md, docs/schema.md):
- slot = (t - Monday 1970-01-05 00:00 UTC) mod 604800 // 300; block = slot // 12;
  a row's key is block << 32 | id // 10, and series id sits at place id % 10
  of 10 places × 12 slots × 8 float64.
- A slot's stored words: n, x0, y0 (its first sample), mean(x) - x0,
  mean(y) - y0, Σ(x - x̄)², Σ(x - x̄)(y - ȳ), Σ(y - ȳ)².
- A sample is judged once n ≥ 3. While n < trend_after (8) against the
  slot's mean: ŷ = ȳ, s² = Σ(y - ȳ)² / (n - 1), SE² = s² (1 + 1/n), ν = n - 1;
  from then on against its least-squares line: ŷ = ȳ + b (x - x̄),
  s² = RSS / (n - 2), SE² = s² (1 + 1/n + (x - x̄)²/Sxx), ν = n - 2.
  t = (y - ŷ) / SE; critical = the t_ν quantile as unlikely as
  |Z| ≥ threshold; alert when |t| > critical; p = P(|T_ν| ≥ |t|); z = the
  normal quantile of p (two-sided), signed; band [max(ŷ - c SE, 0), ŷ + c SE]
  for a series never negative.
- A flagged sample is learned clipped to ŷ ± 2 SE.
"""
import json
import os
from mpmath import mp, mpf, betainc, sqrt, erfc, erfinv, findroot

mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))
MONDAY = 1767571200  # 2026-01-05 00:00 UTC, a Monday
WEEK = 604800
THRESHOLD = mpf("3.5")
TREND_AFTER = 8

# (series, time, value): series a gets ids 1, b id 2 (order of arrival).
samples = []
a_values = [100, 104, 101, 107, 103, 110, 106, 180, 109, 111, 250]  # 180 (flat) and 250 (line) alert
for week, v in enumerate(a_values):
    samples.append(("oracle.a", MONDAY + week * WEEK + 10 * 3600, v))       # slot 120
    samples.append(("oracle.a", MONDAY + week * WEEK + 10 * 3600 + 300, v + 1 + (week % 3)))  # slot 121
for week, v in enumerate([5, 7, 6]):
    samples.append(("oracle.b", MONDAY + week * WEEK + 25 * 3600, v))        # slot 300
samples.sort(key=lambda s: s[1])


def t_tail(t, nu):
    """P(|T_nu| >= |t|)."""
    t = mpf(abs(t))
    return betainc(nu / 2, mpf(1) / 2, 0, nu / (nu + t * t), regularized=True)


def critical(nu):
    target = erfc(THRESHOLD / sqrt(2))
    return findroot(lambda t: t_tail(t, nu) - target, mpf(6))


class Slot:
    def __init__(self):
        self.xs, self.ys = [], []

    def stats(self):
        n = len(self.xs)
        mx = sum(self.xs) / n
        my = sum(self.ys) / n
        sxx = sum((x - mx) ** 2 for x in self.xs)
        sxy = sum((x - mx) * (y - my) for x, y in zip(self.xs, self.ys))
        syy = sum((y - my) ** 2 for y in self.ys)
        return n, mx, my, sxx, sxy, syy

    def words(self):
        n, mx, my, sxx, sxy, syy = self.stats()
        return [n, self.xs[0], self.ys[0], mx - self.xs[0], my - self.ys[0], sxx, sxy, syy]


slots = {}
alerts = []
for series, t, v in samples:
    x, y = mpf(t), mpf(v)
    slot_number = ((t - 345600) % WEEK) // 300
    slot = slots.setdefault((series, slot_number), Slot())
    learned = y
    if len(slot.xs) >= 3:
        n, mx, my, sxx, sxy, syy = slot.stats()
        if n < TREND_AFTER:
            expected = my
            s2 = syy / (n - 1)
            se = sqrt(s2 * (1 + mpf(1) / n))
            nu = mpf(n - 1)
        else:
            b = sxy / sxx
            expected = my + b * (x - mx)
            s2 = (syy - sxy * b) / (n - 2)
            se = sqrt(s2 * (1 + mpf(1) / n + (x - mx) ** 2 / sxx))
            nu = mpf(n - 2)
        score = (y - expected) / se
        c = critical(nu)
        if abs(score) > c:
            p = t_tail(score, nu)
            z = sqrt(2) * erfinv(1 - p)
            alerts.append({
                "series": series, "ts": t, "value": v, "expected": float(expected),
                "lower": float(max(expected - c * se, 0)), "upper": float(expected + c * se),
                "score": float(score), "p_value": float(p), "z": float(z if score > 0 else -z),
                "critical": float(c), "dof": float(nu), "n": n, "slot": slot_number,
                "threshold": float(THRESHOLD),
            })
            learned = min(max(y, expected - 2 * se), expected + 2 * se)
    slot.xs.append(x)
    slot.ys.append(learned)

ids = {"oracle.a": 1, "oracle.b": 2}
rows = []
for (series, slot_number), slot in sorted(slots.items()):
    sid = ids[series]
    rows.append({
        "key": (slot_number // 12) << 32 | sid // 10, "place": sid % 10, "index": slot_number % 12,
        "words": [float(w) for w in slot.words()],
    })

with open(os.path.join(HERE, "input.txt"), "w") as fh:
    fh.writelines(f"{s} {v} {t}\n" for s, t, v in samples)
with open(os.path.join(HERE, "expected.json"), "w") as fh:
    json.dump({"slots": rows, "alerts": alerts}, fh, indent=1)
    fh.write("\n")
