#!/usr/bin/env python3
"""Soak: run the daemon for a while under a steady stream of files and watch
its memory and file descriptors.

  scripts/soak [SECONDS] [SERIES]     # default 1800 s, 2000 series

It runs .build/release/outlierd (.build/debug's when there is none), or the
binary OUTLIERD_BINARY names (scripts/test: the shipped static build).

Every 0.5 s a file with one sample for each of SERIES series (the next
5-minute step) is dropped into the spool by rename: 2000 series every half
second is 4,000 samples/s, 600 times the rate of 2000 series at 5-minute
steps. RSS and open descriptors are read from /proc every few seconds.
After the warm-up (the first half of the run), the peak RSS of the last
quarter may exceed that of the third quarter by at most 5% + 1 MiB; the
fewest descriptors open in the last quarter may not exceed the fewest in
the third, and the most by at most one (the descriptor of the file being
read comes and goes, and a sample may or may not catch it; a leak raises
both); otherwise it exits 1.
"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
duration = float(sys.argv[1]) if len(sys.argv) > 1 else 1800
series = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
binary = os.environ.get("OUTLIERD_BINARY") or os.path.join(ROOT, ".build", "release", "outlierd")
if not os.path.exists(binary):
    binary = os.path.join(ROOT, ".build", "debug", "outlierd")


def proc_figures(pid):
    with open(f"/proc/{pid}/status") as fh:
        rss = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))


with tempfile.TemporaryDirectory() as work:
    spool = os.path.join(work, "spool")
    os.makedirs(spool)
    conf = os.path.join(work, "soak.conf")
    with open(conf, "w") as fh:
        fh.write(f'[storage]\ndatabase = "{work}/soak.db"\n[spool]\ndirectory = "{spool}"\nrejected = "{work}/rejected"\n')
        fh.write('[input]\nmax_future = "520w"\n'.replace("520w", "52w"))
    daemon = subprocess.Popen([binary, "run", "--config", conf], stderr=subprocess.DEVNULL)
    t0 = 1767571200
    start = time.time()
    samples = []
    step = 0
    next_sample = start
    try:
        while time.time() - start < duration:
            body = "".join(f"soak.host{k // 50}.m{k % 50} {100 + (step * 7 + k) % 17} {t0 + step * 300}\n" for k in range(series))
            hidden = os.path.join(spool, f".s{step}")
            with open(hidden, "w") as fh:
                fh.write(body)
            os.rename(hidden, os.path.join(spool, f"s{step:07d}"))
            step += 1
            if time.time() >= next_sample:
                rss, fds = proc_figures(daemon.pid)
                samples.append((time.time() - start, rss, fds, step, len(os.listdir(spool))))
                next_sample += max(duration / 40, 1)
            time.sleep(0.5)
        rss, fds = proc_figures(daemon.pid)
        samples.append((time.time() - start, rss, fds, step, len(os.listdir(spool))))
    finally:
        daemon.terminate()
        daemon.wait()
    print(f"soak: {duration:.0f} s, {series} series, a file every 0.5 s ({series * 2:,} samples/s)")
    print("| t (s) | RSS (MiB) | open fds | files dropped | waiting in spool |")
    print("|---|---|---|---|---|")
    for t, rss, fds, dropped, waiting in samples:
        print(f"| {t:.0f} | {rss:.1f} | {fds} | {dropped} | {waiting} |")
    third = [s for s in samples if duration / 2 <= s[0] < duration * 3 / 4] or samples
    last = [s for s in samples if s[0] >= duration * 3 / 4] or samples
    rss3, rss4 = max(s[1] for s in third), max(s[1] for s in last)
    fd3, fd4 = max(s[2] for s in third), max(s[2] for s in last)
    least3, least4 = min(s[2] for s in third), min(s[2] for s in last)
    print(
        f"peak RSS {rss3:.1f} → {rss4:.1f} MiB, descriptors {least3}–{fd3} → {least4}–{fd4} (third → last quarter)"
    )
    if rss4 > rss3 * 1.05 + 1 or least4 > least3 or fd4 > fd3 + 1:
        print("soak: FAILED (a leak?)")
        sys.exit(1)
    print("soak: flat")
