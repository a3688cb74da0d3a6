#!/usr/bin/env python3
"""outlierd's benchmarks side by side, one table.

  scripts/bench                      # 1 M samples over 1,000 series, 3 runs each
  scripts/bench --samples 10000000   # the 10 M backfill
  scripts/bench --runs 5
  scripts/bench --baseline /tmp/old/.build/release/outlierd   # this build against another, interleaved

Runs, interleaved so that drift of the shared machine hits all alike:
  - outlierd ingest (release build) over a backfill of 5-minute samples,
    1,000 series, one file per hour of data, into a fresh database, with
    its default batches (up to 64 files per transaction) and with
    batch_files = 1 (one transaction per file, like the Python reference);
  - benchmarks/reference.py, the same algorithm in plain Python, same files;
  - benchmarks/raw_upsert.c, the raw SQLite limit: one upsert per sample;
then the latency of the daemon from a file renamed into the spool to its
commit (p50, p99 over 1,000 files), peak RSS for 1 k, 10 k and 100 k active
series, the rate of the same 1.2 M samples over 1 k, 10 k and 100 k series,
the bytes a running daemon writes per sample (10-second files of 10,000
series), the database bytes per series after five weeks, and the engine
micro-benchmark. Medians of the runs; ratios are
medians of the per-round ratios.
"""
import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTLIERD = os.path.join(ROOT, ".build", "release", "outlierd")


def timed(cmd, **kw):
    """Wall seconds and peak RSS (KiB) of one child process."""
    # stderr to a file, not a pipe: a pipe nobody reads fills up and stalls
    # the child (outlierd logs a line per file).
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, **kw)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"{cmd[0]} failed: {err.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss


def config(workdir, db, history=True, batch_files=64):
    path = os.path.join(workdir, f"bench-{batch_files}.conf")
    with open(path, "w") as fh:
        fh.write(f'[storage]\ndatabase = "{db}"\n' + ("" if history else "history = 0\n"))
        fh.write(f'[spool]\ndirectory = "{workdir}/spool"\nrejected = "{workdir}/rejected"\nrescan_interval = "1s"\n')
        fh.write(f"batch_files = {batch_files}\n")
        fh.write('[input]\nmax_future = "520w"\n'.replace("520w", "1w"))
    return path


def fresh(*paths):
    for p in paths:
        for suffix in ("", "-wal", "-shm", ".lock"):
            if os.path.exists(p + suffix):
                os.remove(p + suffix)


def throughput(args, workdir):
    data = os.path.join(workdir, "data")
    subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "generate.py"), data, str(args.samples), "1000", "60"], check=True)
    files = sorted(os.path.join(data, f) for f in os.listdir(data))
    raw = os.path.join(workdir, "raw_upsert")
    subprocess.run(["cc", "-O2", "-o", raw, os.path.join(ROOT, "benchmarks", "raw_upsert.c"), "-lsqlite3"], check=True)
    db = os.path.join(workdir, "o.db")
    conf = config(workdir, db)
    conf_alone = config(workdir, db, batch_files=1)
    commands = {
        "outlierd": [OUTLIERD, "ingest", "--config", conf] + files,
        "outlierd-alone": [OUTLIERD, "ingest", "--config", conf_alone] + files,
        "python": [sys.executable, os.path.join(ROOT, "benchmarks", "reference.py"), os.path.join(workdir, "p.db")] + files,
        "raw": [raw, os.path.join(workdir, "r.db")] + files,
    }
    if args.baseline:
        commands["baseline"] = [args.baseline, "ingest", "--config", conf] + files
    skip_python = args.samples > 2_000_000 and not args.python_always
    results = {k: [] for k in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            if name == "python" and skip_python:
                continue
            fresh(db, os.path.join(workdir, "p.db"), os.path.join(workdir, "r.db"))
            results[name].append(timed(cmd))
    return results, len(files)


def latency(workdir, count=1000):
    db = os.path.join(workdir, "lat.db")
    fresh(db)
    conf = config(workdir, db)
    spool = os.path.join(workdir, "spool")
    os.makedirs(spool, exist_ok=True)
    daemon = subprocess.Popen([OUTLIERD, "run", "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(db):
            time.sleep(0.01)
        time.sleep(0.3)
        t = 1767571200
        delays = []
        for i in range(count):
            body = "".join(f"lat.s{k} {100 + (i % 7)} {t + i * 300}\n" for k in range(10))
            hidden = os.path.join(spool, f".f{i}")
            with open(hidden, "w") as fh:
                fh.write(body)
            target = os.path.join(spool, f"f{i}")
            start = time.perf_counter()
            os.rename(hidden, target)
            # The file leaves the spool right after its transaction commits.
            while os.path.exists(target):
                time.sleep(0.0002)
            delays.append((time.perf_counter() - start) * 1000)
    finally:
        daemon.terminate()
        daemon.wait()
    delays.sort()
    return delays[len(delays) // 2], delays[int(len(delays) * 0.99) - 1]


def memory(workdir, series_count):
    data = os.path.join(workdir, f"mem{series_count}")
    os.makedirs(data, exist_ok=True)
    t = 1767571200
    files = []
    for step in range(4):
        path = os.path.join(data, f"m{step}.txt")
        with open(path, "w") as fh:
            fh.writelines(f"mem.host{k // 100}.metric{k % 100} {100 + k % 13} {t + step * 300}\n" for k in range(series_count))
        files.append(path)
    db = os.path.join(workdir, "mem.db")
    fresh(db)
    conf = config(workdir, db)
    _, rss = timed([OUTLIERD, "ingest", "--config", conf] + files)
    shutil.rmtree(data)
    return rss


def cliff(workdir, samples=1_200_000):
    """Samples/s of the same number of samples spread over 1 k, 10 k and
    100 k series (fewer steps for more series): what a sample costs as the
    working set grows."""
    t = 1767571200
    rates = {}
    for series in (1_000, 10_000, 100_000):
        data = os.path.join(workdir, f"cliff{series}")
        os.makedirs(data, exist_ok=True)
        steps = samples // series
        per_file = max(1, 12_000 // series)  # about 12,000 samples a file
        files = []
        for first in range(0, steps, per_file):
            path = os.path.join(data, f"c{first:06d}.txt")
            with open(path, "w") as fh:
                for step in range(first, min(first + per_file, steps)):
                    fh.writelines(f"cliff.h{k // 100}.m{k % 100} {100 + (k * 7 + step) % 13} {t + step * 300}\n" for k in range(series))
            files.append(path)
        db = os.path.join(workdir, "cliff.db")
        fresh(db)
        wall, _ = timed([OUTLIERD, "ingest", "--config", config(workdir, db)] + files)
        rates[series] = steps * series / wall
        shutil.rmtree(data)
    return rates


def writes(workdir, series=10_000, files=30):
    """Bytes a running daemon writes per sample when each file (one sample
    of each of `series` series, 10 s apart) arrives alone, as a steady
    feed does: from /proc/PID/io, `wchar` (bytes passed to write calls:
    WAL and database, whatever the file system) and `write_bytes` (what
    reached the block layer; 0 on tmpfs)."""
    db = os.path.join(workdir, "writes.db")
    fresh(db)
    conf = config(workdir, db)
    spool = os.path.join(workdir, "spool")
    os.makedirs(spool, exist_ok=True)
    t = 1767571200
    def feed(step):
        body = "".join(f"w.h{k // 100}.m{k % 100} {100 + (k + step) % 13} {t + step * 10}\n" for k in range(series))
        hidden = os.path.join(spool, f".w{step}")
        with open(hidden, "w") as fh:
            fh.write(body)
        os.rename(hidden, os.path.join(spool, f"w{step}"))
        while os.path.exists(os.path.join(spool, f"w{step}")):
            time.sleep(0.002)
    daemon = subprocess.Popen([OUTLIERD, "run", "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(db):
            time.sleep(0.01)
        # The series exist and their rows are written once before counting.
        for step in range(3):
            feed(step)
        def io():
            with open(f"/proc/{daemon.pid}/io") as fh:
                return dict((k, int(v)) for k, v in (line.split(": ") for line in fh))
        before = io()
        for step in range(3, 3 + files):
            feed(step)
        after = io()
    finally:
        daemon.terminate()
        daemon.wait()
    samples = series * files
    return (after["wchar"] - before["wchar"]) / samples, (after["write_bytes"] - before["write_bytes"]) / samples


def at_rest(workdir, series=100, weeks=5):
    """Bytes of database per series after `weeks` of 5-minute samples,
    with the default 14 days of history."""
    data = os.path.join(workdir, "rest")
    os.makedirs(data, exist_ok=True)
    t = 1767571200
    files = []
    for day in range(weeks * 7):
        path = os.path.join(data, f"d{day:03d}.txt")
        with open(path, "w") as fh:
            for step in range(day * 288, (day + 1) * 288):
                fh.writelines(f"rest.s{k} {100 + (k * 7 + step) % 13} {t + step * 300}\n" for k in range(series))
        files.append(path)
    db = os.path.join(workdir, "rest.db")
    fresh(db)
    timed([OUTLIERD, "ingest", "--config", config(workdir, db)] + files)
    # Checkpointed into the database file, then measured as SQLite counts it.
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        used = c.execute("PRAGMA page_count").fetchone()[0] - c.execute("PRAGMA freelist_count").fetchone()[0]
        size = used * c.execute("PRAGMA page_size").fetchone()[0]
    shutil.rmtree(data)
    return size / series


def median(values):
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="another outlierd binary (say, the commit before) to run interleaved with this one; prints the ratio")
    parser.add_argument("--python-always", action="store_true", help="run the Python reference above 2 M samples too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as workdir:
        results, files = throughput(args, workdir)
        rate = {k: [args.samples / w for w, _ in v] for k, v in results.items()}
        o, a, p, r = (median(rate[k]) for k in ("outlierd", "outlierd-alone", "python", "raw"))
        ratio_a = median([x / y for x, y in zip(rate["outlierd-alone"], rate["python"])]) if rate["python"] else None
        ratio_p = median([a / b for a, b in zip(rate["outlierd"], rate["python"])]) if rate["python"] else None
        ratio_r = median([a / b for a, b in zip(rate["outlierd"], rate["raw"])])
        p50, p99 = latency(workdir)
        mems = {n: memory(workdir, n) for n in (1_000, 10_000, 100_000)}
        cliffs = cliff(workdir)
        wchar, written = writes(workdir)
        rest = at_rest(workdir)
        engine = subprocess.run([os.path.join(ROOT, ".build", "release", "outlierd-bench"), "5"], capture_output=True, text=True).stdout
    def fmt(x, unit=""):
        return "–" if x is None else f"{x:,.0f}{unit}"
    print(f"\n{args.samples:,} samples, 1,000 series, 5-minute steps, {files} files of one hour; {args.runs} runs, medians")
    print()
    print("| figure | outlierd | Python reference | raw SQLite limit | ratio |")
    print("|---|---|---|---|---|")
    print(f"| ingest, samples/s | {fmt(o)} | {fmt(p)} | {fmt(r)} | {('%.1f× Python, ' % ratio_p) if ratio_p else ''}{ratio_r:.2f}× raw |")
    print(f"| ingest, samples/s, each file in its own transaction (`batch_files = 1`) | {fmt(a)} | | | {('%.1f× Python' % ratio_a) if ratio_a else ''} |")
    print(f"| ingest wall time, s | {median([w for w, _ in results['outlierd']]):.2f} | {'–' if not results['python'] else '%.2f' % median([w for w, _ in results['python']])} | {median([w for w, _ in results['raw']]):.2f} | |")
    print(f"| ingest peak RSS, MiB | {median([m for _, m in results['outlierd']]) / 1024:.0f} | {'–' if not results['python'] else '%.0f' % (median([m for _, m in results['python']]) / 1024)} | {median([m for _, m in results['raw']]) / 1024:.0f} | |")
    print(f"| latency rename → commit, p50 / p99 | {p50:.1f} / {p99:.1f} ms | | | target p99 ≤ 20 ms |")
    for n, rss in mems.items():
        budget = 50 * 1024 + n
        print(f"| peak RSS, {n:,} active series | {rss / 1024:.0f} MiB | | | budget {budget / 1024:.0f} MiB |")
    print(f"| ingest, samples/s, the same 1.2 M samples over 1 k / 10 k / 100 k series | {fmt(cliffs[1_000])} / {fmt(cliffs[10_000])} / {fmt(cliffs[100_000])} | | | a sample at 100 k series costs {cliffs[1_000] / cliffs[100_000]:.2f}× one at 1 k |")
    print(f"| bytes written per sample, a running daemon fed 10-second files of 10,000 series | {wchar:,.0f} (write calls) / {written:,.0f} (to disk) | | | |")
    print(f"| database bytes per series after 5 weeks (14 days of history) | {rest:,.0f} | | | |")
    if args.baseline:
        b = median(rate["baseline"])
        ratio_b = median([x / y for x, y in zip(rate["outlierd"], rate["baseline"])])
        print(f"| ingest, samples/s, baseline `{args.baseline}` | {fmt(b)} | | | this build {ratio_b:.3f}× the baseline's rate |")
    for line in engine.splitlines():
        if line.startswith("judge (slot index given)"):
            ns = line.split("ns/sample")[0].split()[-1]
            print(f"| engine judge (slot, run, shift, verdict) | {ns} ns/sample | | | the slot's update + score alone: ≤ 20 ns (docs/performance.md) |")


if __name__ == "__main__":
    main()
