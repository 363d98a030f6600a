"""Figure 5: `intake verify` throughput against `openssl dgst -sha256` over the same store.

The store is the one figure 2 left behind (about 2,000 items in two
replicas), or, when this module runs alone, one made the same way. The
reference hashes every object file of both replicas with one
``openssl dgst -sha256`` process (the file names passed with xargs); intake
runs the real CLI, ``intake verify --case DIR --json``, which re-hashes the
same objects and also checks every metadata file against the custody log,
each replica's hash chain and the index. Both with the page cache warm.
The figure is bytes per second, intake over openssl.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_common import INTAKE, OUT, Figure, Series, log, new_case, rm, timed_run


def objects(case: Path) -> list[Path]:
    out = []
    for rep in sorted((case / "store").iterdir()):
        base = rep / "objects"
        if base.is_dir():
            out += sorted(p for p in base.rglob("*") if p.is_file())
    return out


def _openssl(files: list[Path]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["xargs", "-0", "openssl", "dgst", "-sha256"],
                          input=b"\0".join(str(p).encode() for p in files),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl failed: {proc.stderr[-500:]!r}")
    return time.perf_counter() - start


def measure(quick: bool, runs: int, case: Path | None = None) -> list[Figure]:
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
    objs = objects(case)
    total = sum(p.stat().st_size for p in objs)
    _openssl(objs)  # warm
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
            ref.add(total / _openssl(objs))

        for step in ((ref_run, intake_run) if i % 2 == 0 else (intake_run, ref_run)):
            step()
        ratio.add(ing.values[-1] / ref.values[-1])
        log(f"verify run {i + 1}/{runs}: openssl {ref.values[-1] / 1e6:.0f} MB/s, intake "
            f"{ing.values[-1] / 1e6:.0f} MB/s")
    if made:
        rm(OUT / "verify")
    mbs = Series([v / 1e6 for v in ing.values]), Series([v / 1e6 for v in ref.values])
    details = [f"Store: {len(objs)} object files in 2 replicas, {total / 1e6:.0f} MB; intake "
               f"also checked {meta} metadata files, the custody chains and the index.",
               f"intake verify: {mbs[0].fmt('MB/s', 0)} = "
               f"{len(objs) / (total / ing.median):.0f} objects/s; openssl: "
               f"{mbs[1].fmt('MB/s', 0)}."]
    return [Figure("5", "verify throughput vs openssl dgst -sha256 (same store)",
                   mbs[0].fmt("MB/s", 0), mbs[1].fmt("MB/s", 0),
                   f"{ratio.median:.2f} (min {ratio.min:.2f}, max {ratio.max:.2f})",
                   "reported (no target given)", "INFO", details=details)]


if __name__ == "__main__":
    for f in measure("--quick" in sys.argv, int(os.environ.get("BENCH_RUNS", 5))):
        print(f)
