"""Group commit (issue 19, point 2): fsyncs per small file and files per second.

Makes N small JPEGs with EXIF (pillow) in code, then for each given ``intake``
executable: one run under ``strace -f -c`` counting fsync, fdatasync and
syncfs, and pairs of timed runs (``/usr/bin/time``-style CPU seconds from
``resource``, wall from the clock), back to back, plus the issue's reference:
a 20-line Python loop doing read + SHA-256 + exifread + 2 copies with an
fsync each. Run::

    .venv/bin/python bench/bench_group_commit.py NAME=/path/to/intake ... [--files 300]

``INTAKE_BARRIER=fsync`` in the environment makes the folder replicas' barrier
fsync each file and folder instead of one ``syncfs``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_files(folder: Path, n: int) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = Image.new("RGB", (64, 48), ((i * 37) % 256, (i * 91) % 256, (i * 13) % 256))
        exif = Image.Exif()
        exif[0x0132] = f"2024:03:{1 + i % 28:02d} 12:{i % 60:02d}:00"  # DateTime
        exif[0x010F] = "Bench"
        buf = io.BytesIO()
        img.save(buf, "JPEG", exif=exif, quality=80)
        (folder / f"p{i:04d}.jpg").write_bytes(buf.getvalue())


def fresh_case(intake: str, where: Path, files: Path) -> None:
    if where.exists():
        shutil.rmtree(where)
    subprocess.run([intake, "init", str(where)], check=True, capture_output=True)
    cfg = where / "config" / "intake.toml"
    cfg.write_text(re.sub(r"settle_seconds = [0-9.]+", "settle_seconds = 0.0",
                          cfg.read_text()))
    shutil.copytree(files, where / "inbox" / "batch")


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    cpu0, t0 = children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0, children_cpu() - cpu0


def count_syncs(intake: str, case: Path, env: dict[str, str]) -> dict[str, int]:
    out = case.parent / "strace.txt"
    subprocess.run(["strace", "-f", "-c", "-o", str(out), "-e", "trace=fsync,fdatasync,syncfs",
                    intake, "ingest", "--case", str(case)], check=True, capture_output=True,
                   env=env)
    counts = {}
    for line in out.read_text().splitlines():
        parts = line.split()
        if parts and parts[-1] in ("fsync", "fdatasync", "syncfs"):
            counts[parts[-1]] = int(parts[3])
    return counts


LOOP = r'''
import hashlib, io, os, sys, exifread
src, a, b = sys.argv[1:4]
for d in (a, b):
    os.makedirs(d, exist_ok=True)
for name in sorted(os.listdir(src)):
    data = open(os.path.join(src, name), "rb").read()
    sha = hashlib.sha256(data).hexdigest()
    exifread.process_file(io.BytesIO(data), details=False)
    for d in (a, b):
        with open(os.path.join(d, sha), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
'''


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("intakes", nargs="+",
                    help="NAME=path/to/intake, optionally ,VAR=value for its environment")
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="intake-gc-"))
    try:
        files = tmp / "files"
        make_files(files, args.files)
        size = sum(p.stat().st_size for p in files.iterdir())
        print(f"{args.files} JPEGs with EXIF, {size / 1e6:.2f} MB in all")
        runs, envs = [], {}
        for spec in args.intakes:
            name, rest = spec.split("=", 1)
            intake, *extra = rest.split(",")
            runs.append((name, intake))
            envs[name] = dict(os.environ, **dict(e.split("=", 1) for e in extra))
        for name, intake in runs:
            case = tmp / f"case-{name}"
            fresh_case(intake, case, files)
            counts = count_syncs(intake, case, envs[name])
            total = sum(counts.values())
            print(f"{name}: {counts} = {total / args.files:.2f} per file")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in runs}
        results["loop"] = []
        loop = tmp / "loop.py"
        loop.write_text(LOOP)
        for _ in range(args.pairs):
            for name, intake in runs:
                case = tmp / f"case-{name}"
                fresh_case(intake, case, files)
                results[name].append(timed([intake, "ingest", "--case", str(case)],
                                           envs[name]))
            out = tmp / "loop-out"
            shutil.rmtree(out, ignore_errors=True)
            results["loop"].append(timed([sys.executable, str(loop), str(files),
                                          str(out / "a"), str(out / "b")], dict(os.environ)))
        loop_fps = args.files / statistics.median(w for w, _ in results["loop"])
        for name, rs in results.items():
            wall = statistics.median(w for w, _ in rs)
            cpu = statistics.median(c for _, c in rs)
            fps = args.files / wall
            print(f"{name}: wall median {wall:.2f} s (min {min(w for w, _ in rs):.2f}, "
                  f"max {max(w for w, _ in rs):.2f}), CPU {cpu:.2f} s, {fps:.0f} files/s, "
                  f"{fps / loop_fps:.2f} of the loop")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
