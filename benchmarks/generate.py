#!/usr/bin/env python3
"""Benchmark input: SERIES series at 5-minute steps, SAMPLES samples in all,
in Graphite files of FILE_MINUTES each, in time order (a backfill).

  benchmarks/generate.py OUT_DIR SAMPLES [SERIES] [FILE_MINUTES]
"""
import math
import os
import random
import sys

out, total = sys.argv[1], int(sys.argv[2])
series = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
file_minutes = int(sys.argv[4]) if len(sys.argv) > 4 else 60
os.makedirs(out, exist_ok=True)
rng = random.Random(1)
t0 = 1767571200  # Monday 2026-01-05 00:00 UTC
steps = total // series
per_file = max(1, file_minutes // 5)
names = [f"servers.host{i // 10:03d}.metric{i % 10}.value" for i in range(series)]
levels = [rng.uniform(10, 1000) for _ in range(series)]
for first in range(0, steps, per_file):
    lines = []
    for step in range(first, min(first + per_file, steps)):
        t = t0 + step * 300
        day = (t % 86400) / 86400
        shape = 1 + 0.5 * math.sin(2 * math.pi * (day - 0.25))
        for i in range(series):
            lines.append(f"{names[i]} {levels[i] * shape * (1 + rng.gauss(0, 0.05)):.3f} {t}\n")
    with open(os.path.join(out, f"m-{first:07d}.txt"), "w") as fh:
        fh.writelines(lines)
