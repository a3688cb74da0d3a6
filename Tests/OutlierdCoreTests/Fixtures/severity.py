#!/usr/bin/env python3
"""Reference values for IncidentSeverity, with mpmath at 50 digits: each
alert's evidence -2 ln P(|Z| >= z), and the natural log of Fisher's combined
p, P(chi2 with 2k degrees of freedom >= S), as the regularized upper
incomplete gamma Q(k, S/2): a different method from the Swift code's finite
sum in log space.

Run from the repo root:  python3 Tests/OutlierdCoreTests/Fixtures/severity.py
It rewrites severity.json beside itself.
"""
import json
import os

import mpmath

mpmath.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))

evidence = []
for z in [0.0, 0.5, 1.0, 2.0, 3.5, 4.0, 4.64, 5.0, 7.5, 10.0, 20.0, 30.0, 37.5]:
    p = mpmath.erfc(mpmath.mpf(z) / mpmath.sqrt(2))
    evidence.append({"z": z, "evidence": float(-2 * mpmath.log(p))})

combined = []
for k in [1, 2, 3, 5, 10, 30, 100, 1000, 5000]:
    for s in [0.01, 1.0, 15.3, 25.1, 44.0, 100.0, 2.0 * k, 2.0 * k + 30, 1000.0, 10000.0, 200000.0]:
        q = mpmath.gammainc(k, mpmath.mpf(s) / 2, mpmath.inf, regularized=True)
        combined.append({"alerts": k, "evidence": s, "logP": float(mpmath.log(q))})

with open(os.path.join(HERE, "severity.json"), "w") as fh:
    json.dump({"evidence": evidence, "combined": combined}, fh, indent=1)
    fh.write("\n")
