"""Profile the two ingest figures with py-spy and summarise where the time goes.

    .venv/bin/pip install py-spy        # a profiling tool, not a dependency of intake
    .venv/bin/python bench/bench_profile.py [--files N] [--mib N]

Records ``intake ingest`` (the real CLI, with its plugin worker:
``py-spy record --idle --subprocesses``) on the replicated corpus and on one
large file, then prints, per process, the functions with the most self time
and, for the CLI process, the time inside each pipeline stage and store step
(bench/bench_flame.py). It also counts the system calls that make a file durable
(fsync, rename, mkdir) with ``strace -f -c`` when strace is there.
Output and raw profiles go to bench/out/profile/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import INTAKE, OUT, VENV_BIN, log, make_random_file, new_case, rm  # noqa: E402
from bench_small_files import corpus_files, link_tree, make_set  # noqa: E402

RATE = 100


def record(name: str, case: Path, work: Path) -> None:
    pyspy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not pyspy:
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy")
    raw = work / f"{name}.txt"
    start = time.perf_counter()
    subprocess.run([pyspy, "record", "--idle", "--subprocesses", "-r", str(RATE), "-f", "raw",
                    "-o", str(raw), "--", INTAKE, "ingest", "--case", str(case), "--json"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    print(f"\n##### {name}: {time.perf_counter() - start:.1f} s under py-spy")
    subprocess.run([sys.executable, str(Path(__file__).with_name("bench_flame.py")), str(raw),
                    str(RATE), "12"], check=True)


def syscalls(name: str, case: Path, work: Path) -> None:
    if not shutil.which("strace"):
        print("(strace not installed: no system call counts)")
        return
    out = work / f"{name}.strace"
    subprocess.run(["strace", "-f", "-w", "-c", "-e", "trace=fsync,fdatasync,rename,mkdir,openat",
                    "-o", str(out), INTAKE, "ingest", "--case", str(case), "--json"],
                   stdout=subprocess.DEVNULL, check=True)
    print(f"\n##### {name}: system calls (strace -f -w -c: wall time inside each call)")
    print(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=171 * 2)
    ap.add_argument("--mib", type=int, default=512)
    args = ap.parse_args()
    work = OUT / "profile"
    rm(work)
    work.mkdir(parents=True)
    files, _ = corpus_files()
    make_set(work / "set", files, max(1, round(args.files / len(files))))
    n = sum(1 for _ in (work / "set").rglob("*") if _.is_file())
    for what in ("pyspy", "strace"):
        case = new_case(work / f"small-{what}")
        link_tree(work / "set", case / "inbox")
        time.sleep(1.1)
        (record if what == "pyspy" else syscalls)(f"small files ({n})", case, work)
        rm(case)
    for what in ("pyspy", "strace"):
        case = new_case(work / f"large-{what}")
        make_random_file(case / "inbox" / "video.mp4", args.mib << 20)
        time.sleep(1.1)
        (record if what == "pyspy" else syscalls)(f"large file ({args.mib} MiB)", case, work)
        rm(case)
    log(f"raw profiles in {work}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
