"""Figure 3: watcher latency, from a file's close in the inbox to stored and indexed.

`intake watch --case DIR` runs as a user runs it (default configuration:
settle_seconds 1.0, two replicas, min_copies 2; where the platform reports
a file's close after writing, Linux, the watcher takes it 0.1 s after that
close instead of waiting out settle_seconds: intake/closes.py). The bench writes one file
at a time into the inbox (open, write, close: the clock starts after close)
and polls every 2 ms for the original to leave the inbox: the watcher moves
it to inbox/ingested/ only after it is stored and verified in both replicas,
read by the plugins and written to the index, so its disappearance is
"stored and indexed". The next file is written 0.2 to 0.6 s later
(seeded), as a person dropping files one by one; the watcher rebuilds the
chronology after 1.0 s of quiet (``watcher.REBUILD_QUIET``), so within such a
burst it does not, and a file dropped during a rebuild would wait for it. A
second series runs ``intake watch --no-chronology``.

The files are the corpus's (photos, screenshots, e-mails, PDFs, chats),
round-robin, each made distinct as in figure 2. After each run the index is
checked: every dropped file has a receipt.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench_common import INTAKE, OUT, Figure, Series, log, new_case, percentile, rm, verdict
from bench_small_files import CORPUS, corpus_files, distinct_tail


def _one_run(case: Path, files: list[Path], offset: int, extra: list[str],
             rnd: random.Random) -> list[float]:
    proc = subprocess.Popen([INTAKE, "watch", "--case", str(case)] + extra,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        while "Ctrl+C" not in (proc.stdout.readline() or "Ctrl+C"):  # the ready line, any language
            pass
        time.sleep(1.0)  # the start-up scan
        inbox = case / "inbox"
        out = []
        for j, rel in enumerate(files):
            name = f"{offset + j:04d}-{rel.name}"
            data = (CORPUS / rel).read_bytes() + distinct_tail(rel.name, 900 + offset + j)
            path = inbox / name
            with open(path, "wb") as f:
                f.write(data)
            closed = time.perf_counter()
            deadline = closed + 60
            while path.exists():
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{name} was not taken within 60 s")
                time.sleep(0.002)
            out.append(time.perf_counter() - closed)
            time.sleep(rnd.uniform(0.2, 0.6))
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    receipts = db.execute("SELECT COUNT(*) FROM receipts WHERE settled_to IS NOT NULL").fetchone()[0]
    db.close()
    if receipts != len(files):
        raise RuntimeError(f"the index has {receipts} settled receipts, expected {len(files)}")
    return out


def measure(quick: bool, runs: int) -> list[Figure]:
    files, _left = corpus_files()
    per_run = int(os.environ.get("BENCH_WATCH_FILES", 8 if quick else 16))
    rnd = random.Random(20241128)
    figs = []
    for label, extra in (("intake watch", []), ("intake watch --no-chronology",
                                                ["--no-chronology"])):
        lat: list[float] = []
        p50s, p95s, firsts = Series(), Series(), Series()
        for i in range(runs):
            pick = [files[(i * per_run + j) * 7 % len(files)] for j in range(per_run)]
            case = new_case(OUT / "watch" / f"case{i}")
            values = _one_run(case, pick, i * per_run, extra, rnd)
            rm(case)
            lat += values
            firsts.add(values[0])
            p50s.add(percentile(values, 50))
            p95s.add(percentile(values, 95))
            log(f"watcher ({label}) run {i + 1}/{runs}: p50 {p50s.values[-1]:.2f} s, "
                f"p95 {p95s.values[-1]:.2f} s")
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        rest = [v for j, v in enumerate(lat) if j % per_run]
        details = [
            f"{label}: {len(lat)} files in {runs} runs; over all files p50 {p50:.2f} s, p95 "
            f"{p95:.2f} s, max {max(lat):.2f} s; per run p50 {p50s.fmt()}, p95 {p95s.fmt()}.",
            f"The first file after the watcher starts (the plugin worker is started then): "
            f"{firsts.fmt()}; the others: p50 {percentile(rest, 50):.2f} s, p95 "
            f"{percentile(rest, 95):.2f} s.",
        ]
        figs.append(Figure("3" if not extra else "3b", f"Watcher latency, close → stored + "
                           f"indexed ({label})", f"p50 {p50:.2f} s, p95 {p95:.2f} s",
                           "settle_seconds = 1.0 (the fallback wait)",
                           f"p95 = {p95:.2f} s", "p95 < 1.0 s", verdict(p95 < 1.0),
                           details=details))
    rm(OUT / "watch")
    return figs


if __name__ == "__main__":
    for f in measure("--quick" in sys.argv, int(os.environ.get("BENCH_RUNS", 5))):
        print(f)
