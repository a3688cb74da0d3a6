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
series, and the engine micro-benchmark. Medians of the runs; ratios are
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
