#!/usr/bin/env python3
"""The same algorithm written plainly in Python, as a competent user would:
Graphite lines → per (series, slot) online regression in centered form →
studentized residual with leverage → alerts; one SQLite transaction per file
(stdlib sqlite3, WAL, one row per slot, upserted with executemany).

It leaves out what outlierd adds around the algorithm (pooling, level
shifts, incidents, history, the ledger's content hash, rejected-line
files), so it does less work per sample than outlierd.

  benchmarks/reference.py DB FILE...
"""
import math
import sqlite3
import sys

WEEK, WIDTH, THRESHOLD, MIN_SAMPLES = 604800, 300, 4.0, 3
ANCHOR = 4 * 86400  # Monday 1970-01-05


def main():
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("""CREATE TABLE IF NOT EXISTS slots (series TEXT, slot INTEGER, n REAL, mx REAL, my REAL,
                  cxx REAL, cxy REAL, cyy REAL, PRIMARY KEY (series, slot)) WITHOUT ROWID""")
    db.execute("CREATE TABLE IF NOT EXISTS newest (series TEXT PRIMARY KEY, ts REAL) WITHOUT ROWID")
    db.execute("CREATE TABLE IF NOT EXISTS alerts (series TEXT, ts REAL, value REAL, expected REAL, score REAL)")
    db.execute("CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, lines INTEGER)")
    samples = 0
    for path in sys.argv[2:]:
        db.execute("BEGIN IMMEDIATE")
        slots, newest, alerts = {}, {}, []
        with open(path) as fh:
            for line in fh:
                parts = line.split()
                if len(parts) != 3 or parts[0].startswith("#"):
                    continue
                series, value, ts = parts[0], float(parts[1]), float(parts[2])
                if series not in newest:
                    row = db.execute("SELECT ts FROM newest WHERE series = ?", (series,)).fetchone()
                    newest[series] = row[0] if row else -math.inf
                if ts <= newest[series]:
                    continue
                newest[series] = ts
                slot = int((ts - ANCHOR) % WEEK) // WIDTH
                key = (series, slot)
                if key not in slots:
                    row = db.execute("SELECT n, mx, my, cxx, cxy, cyy FROM slots WHERE series = ? AND slot = ?", key).fetchone()
                    slots[key] = list(row) if row else [0.0] * 6
                n, mx, my, cxx, cxy, cyy = slots[key]
                if n >= MIN_SAMPLES and cxx > 0:
                    slope = cxy / cxx
                    expected = my + slope * (ts - mx)
                    rss = cyy - cxy * slope
                    if rss > 0:
                        se = math.sqrt(rss / (n - 2) * (1 + 1 / n + (ts - mx) ** 2 / cxx))
                        score = (value - expected) / se
                        if abs(score) > THRESHOLD:
                            alerts.append((series, ts, value, expected, score))
                n += 1
                dx, dy = ts - mx, value - my
                mx += dx / n
                my += dy / n
                cxx += dx * (ts - mx)
                cxy += dx * (value - my)
                cyy += dy * (value - my)
                slots[key] = [n, mx, my, cxx, cxy, cyy]
                samples += 1
        db.executemany("REPLACE INTO slots VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [k + tuple(v) for k, v in slots.items()])
        db.executemany("REPLACE INTO newest VALUES (?, ?)", newest.items())
        db.executemany("INSERT INTO alerts VALUES (?, ?, ?, ?, ?)", alerts)
        db.execute("INSERT OR REPLACE INTO files VALUES (?, ?)", (path, samples))
        db.execute("COMMIT")
    print(f"reference: {samples} samples", file=sys.stderr)


if __name__ == "__main__":
    main()
