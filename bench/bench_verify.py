"""Figure 5: `intake verify` against the floor of reading every copy once.

The store is made here the way figure 2's corpus set was: the corpus
replicated into about 2,000 distinct files (a few hundred MB), ingested into
a fresh case with two replicas. The floor (issue 19, point 6) reads every
copy once: ``sha256sum`` of each replica's object files (the names passed
with ``xargs -0``), one process per replica, the replicas in parallel.
intake runs the real CLI, ``intake verify --case DIR --json``, which re-hashes
the same objects and also checks every metadata file against the custody
log, each replica's hash chain and the index. Both with the page cache warm.
The figure is the floor's time over intake's (above 0.8: the target), per
round, rounds in alternating order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_common import (
    INTAKE,
    OUT,
    Figure,
    Series,
    compile_bytecode,
    log,
    new_case,
    rm,
    timed_run,
    verdict,
)
from bench_large_file import require


def objects(case: Path) -> list[Path]:
    out = []
    for rep in sorted((case / "store").iterdir()):
        base = rep / "objects"
        if base.is_dir():
            out += sorted(p for p in base.rglob("*") if p.is_file())
    return out


def floor(case: Path) -> float:
    """sha256sum of every object file, one process per replica, all replicas at once."""
    start = time.perf_counter()
    procs = []
    for rep in sorted((case / "store").iterdir()):
        names = sorted(p for p in (rep / "objects").rglob("*") if p.is_file())
        proc = subprocess.Popen(["xargs", "-0", "sha256sum"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append((proc, b"\0".join(str(p).encode() for p in names)))
    for proc, names in procs:
        _out, err = proc.communicate(names)
        if proc.returncode != 0:
            raise RuntimeError(f"sha256sum failed: {err[-500:]!r}")
    return time.perf_counter() - start


def measure(quick: bool, runs: int, case: Path | None = None) -> list[Figure]:
    require("sha256sum", "xargs")
    made = False
    if case is None or not case.is_dir():
        from bench_small_files import corpus_files, link_tree, make_set

        files, _ = corpus_files()
        work = OUT / "verify"
        rm(work)
        make_set(work / "set", files, 2 if quick else 12)
        case = new_case(work / "case")
        link_tree(work / "set", case / "inbox")
        time.sleep(1.1)
        t = timed_run([INTAKE, "ingest", "--case", str(case), "--json"])
        if t.returncode != 0:
            raise RuntimeError(t.stderr)
        made = True
    compiled = compile_bytecode()  # as figures 1, 2 and 7: an installed intake's start
    objs = objects(case)
    total = sum(p.stat().st_size for p in objs)
    floor(case)  # warm
    ref, ing, ratio, meta = Series(), Series(), Series(), 0
    for i in range(runs):
        def intake_run() -> None:
            nonlocal meta
            t = timed_run([INTAKE, "verify", "--case", str(case), "--json"])
            answer = json.loads(t.stdout)
            if t.returncode != 0 or not answer["ok"]:
                raise RuntimeError(f"intake verify found problems: {t.stdout[-2000:]}")
            meta = answer["summary"]["meta_checked"]
            ing.add(total / t.seconds)

        def ref_run() -> None:
            ref.add(total / floor(case))

        for step in ((ref_run, intake_run) if i % 2 == 0 else (intake_run, ref_run)):
            step()
        ratio.add(ing.values[-1] / ref.values[-1])
        log(f"verify run {i + 1}/{runs}: floor {ref.values[-1] / 1e6:.0f} MB/s, intake "
            f"{ing.values[-1] / 1e6:.0f} MB/s")
    if made:
        rm(OUT / "verify")
    mbs = Series([v / 1e6 for v in ing.values]), Series([v / 1e6 for v in ref.values])
    details = [f"Store: {len(objs)} object files in 2 replicas, {total / 1e6:.0f} MB; intake "
               f"also checked {meta} metadata files, the custody chains and the index.",
               f"intake verify: {mbs[0].fmt('MB/s', 0)} = "
               f"{len(objs) / (total / ing.median):.0f} objects/s; floor (sha256sum per replica, "
               f"in parallel): "
               f"{mbs[1].fmt('MB/s', 0)}; {compiled}"]
    return [Figure("5", "intake verify vs reading every copy once (sha256sum per replica, "
                   "in parallel)", mbs[0].fmt("MB/s", 0), mbs[1].fmt("MB/s", 0),
                   f"{ratio.median:.2f} (min {ratio.min:.2f}, max {ratio.max:.2f})",
                   "≥ 0.8", verdict(ratio.median >= 0.8), details=details)]


if __name__ == "__main__":
    for f in measure("--quick" in sys.argv, int(os.environ.get("BENCH_RUNS", 5))):
        print(f)
