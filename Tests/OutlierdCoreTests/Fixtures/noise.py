#!/usr/bin/env python3
"""Reference values for the noise families (NoiseModel, CountTail), from
scipy.stats: Poisson and negative binomial tails of counts, and the
intermittent family's burst score from the normal tail and the
combination of two p-values x(1 - ln x), written out here from its
definition in docs/detection.md.

Run from the repo root:  python3 Tests/OutlierdCoreTests/Fixtures/noise.py
It rewrites noise.json beside itself.
"""
import json
import math
import os

from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))

counts = []
for mean in [0.05, 0.3, 1.5, 4.0, 12.0, 60.0, 400.0, 5000.0]:
    for dispersion in [1.0, 1.3, 2.0, 8.0]:
        for k in sorted({0, 1, 2, int(mean), int(mean) + 1, int(mean * 2) + 3, int(mean * 4) + 10,
                         max(int(mean / 3), 0), int(mean + 8 * math.sqrt(mean * dispersion)) + 1}):
            if dispersion == 1.0:
                at_least = stats.poisson.sf(k - 1, mean)
                at_most = stats.poisson.cdf(k, mean)
            else:
                r = mean / (dispersion - 1)
                p = 1 / dispersion
                at_least = stats.nbinom.sf(k - 1, r, p)
                at_most = stats.nbinom.cdf(k, r, p)
            counts.append({"k": k, "mean": mean, "dispersion": dispersion,
                           "atLeast": float(at_least), "atMost": float(at_most)})

bursts = []
for mean, second, continued, length, y in [
        (3.0, 9.5, 0.2, 0, 20.0), (3.0, 9.5, 0.2, 0, 200.0), (3.0, 9.5, 0.2, 3, 200.0),
        (3.0, 9.5, 0.2, 6, 200.0), (3.0, 9.5, 0.2, 2, 10.0), (1.0, 1.5, 0.5, 10, 30.0),
        (0.0, 0.2, 0.9, 1, 50.0), (2.0, 4.5, 0.0, 1, 9.0), (2.0, 4.5, 0.0, 4, 9.0)]:
    spread = math.sqrt(max(second - mean * mean, 0.01))
    u = (math.log(y) - mean) / spread
    size = stats.norm.sf(u) if u > 0 else 1.0
    c = (max(continued, 0.0) * 100 + 0.5) / (100 + 1)  # 100 pairs seen, half a continuation added
    lasting = min(c, 0.999) ** length
    x = size * lasting
    p = 1.0 if x >= 1 else min(1.0, x * (1 - math.log(x)))
    z = stats.norm.isf(p / 2) if p < 1 else 0.0
    bursts.append({"logMean": mean, "logSecond": second, "continued": continued, "burstLength": length,
                   "y": y, "z": float(z)})

with open(os.path.join(HERE, "noise.json"), "w") as fh:
    json.dump({"counts": counts, "bursts": bursts}, fh, indent=1)
    fh.write("\n")
