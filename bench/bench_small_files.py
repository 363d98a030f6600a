"""Figure 2: 600 small pictures and mails, against a Python durable loop and ExifTool.

The set is made here, in code (issue 19's figure): 300 JPEG photos of a few
KB with EXIF (camera, times) and 300 e-mails (.eml) of a few KB, about
2.4 MB in all, each distinct. Two references, run in the same invocation:

- the *durable loop* (``bench/durable_loop.py``, about 20 lines): for each
  file read, SHA-256, exifread, one copy into each of two folders with an
  fsync each. Target: intake at ≥ 0.8 × its files/s;
- ``exiftool -json -r`` over the set (metadata only: no hash, no copy).
  Target: intake at ≥ 3 × its files/s (goal 5×).

intake is the real CLI, ``intake ingest --case DIR`` on a fresh case whose
inbox holds hard links to the set (same inodes: page cache warm for all
three), default configuration (two replicas, min_copies 2: hash, store and
verify both copies, plugins, index, custody log, originals moved); the links
are older than settle_seconds when the timer starts. The three run back to
back in each round, their order rotating; the ratios are per round.

``corpus_files`` and ``make_set`` (the corpus replicated into distinct
copies) serve figure 5's store and the profiles.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_common import (
    CORPUS,
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

R6 = re.compile(rb"/R\s*6(?![0-9.])")


def ensure_exiftool() -> str:
    """exiftool on PATH, installing Debian's libimage-exiftool-perl if it is missing."""
    path = shutil.which("exiftool")
    if path:
        return path
    log("exiftool is missing: installing libimage-exiftool-perl with apt-get")
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None or not shutil.which("apt-get"):
        raise SystemExit("exiftool is needed as the reference for figure 2 and could not be "
                         "installed (no apt-get, or not root and no sudo). Install it by hand: "
                         "apt-get install libimage-exiftool-perl (Debian/Ubuntu), "
                         "dnf install perl-Image-ExifTool, brew install exiftool.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (sudo + ["apt-get", "update", "-qq"],
                sudo + ["apt-get", "install", "-y", "-qq", "libimage-exiftool-perl"]):
        if subprocess.run(cmd, env=env).returncode != 0:
            raise SystemExit(f"installing exiftool failed ({' '.join(cmd)}). Install it by hand: "
                             "apt-get install libimage-exiftool-perl")
    path = shutil.which("exiftool")
    if not path:
        raise SystemExit("exiftool is still not on PATH after installing libimage-exiftool-perl")
    return path


def corpus_files() -> tuple[list[Path], list[Path]]:
    """(files used, AES-256 R6 PDFs left out), relative to the corpus."""
    if not CORPUS.is_dir():
        raise SystemExit(f"the corpus is not at {CORPUS}; set INTAKE_CORPUS to its folder")
    used, left = [], []
    for p in sorted(CORPUS.rglob("*")):
        if not p.is_file() or p.parent == CORPUS:  # README.md and MANIFEST.tsv are not evidence
            continue
        rel = p.relative_to(CORPUS)
        if p.suffix.lower() == ".pdf":
            data = p.read_bytes()
            if b"/Encrypt" in data and R6.search(data):
                left.append(rel)
                continue
        used.append(rel)
    return used, left


def distinct_tail(name: str, k: int) -> bytes:
    """Bytes to append to copy k of a file so that it is distinct and still reads the same."""
    ext = Path(name).suffix.lower()
    tag = f"intake-bench copy {k:03d}"
    if ext in (".heic", ".heif"):
        payload = tag.encode()
        return (8 + len(payload)).to_bytes(4, "big") + b"free" + payload
    if ext == ".msg":
        return tag.encode().ljust(512, b"\0")
    if ext == ".pdf":
        return f"\n%{tag}\n".encode()
    if ext == ".xml":
        return f"\n<!-- {tag} -->\n".encode()
    if ext in (".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff"):
        return tag.encode()
    return f"\n{tag}\n".encode()


def make_set(target: Path, files: list[Path], copies: int) -> tuple[int, int]:
    """Write the replicated set; returns (files, bytes)."""
    rm(target)
    n = size = 0
    for k in range(copies):
        for rel in files:
            data = (CORPUS / rel).read_bytes() + distinct_tail(rel.name, k)
            dest = target / f"copy-{k:02d}" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            n += 1
            size += len(data)
    return n, size


def link_tree(src: Path, dest: Path) -> None:
    for root, _dirs, names in os.walk(src):
        out = dest / Path(root).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            os.link(Path(root) / name, out / name)


def same_reading(case: Path) -> tuple[int, int]:
    """How many original files read the same (plugin, kind, event count) in every copy."""
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    rows = db.execute("SELECT r.source, e.plugin, e.kind, json_array_length(e.data, '$.events') "
                      "FROM receipts r JOIN extractions e ON e.sha256 = r.sha256").fetchall()
    db.close()
    seen: dict[str, set] = defaultdict(set)
    for source, plugin, kind, events in rows:
        # inbox/copy-03/images/x/y.jpg -> images/x/y.jpg
        parts = source.split("/", 2)
        seen[parts[2] if len(parts) == 3 else source].add((plugin, kind, events))
    return sum(1 for v in seen.values() if len(v) == 1), len(seen)


def make_small_set(target: Path, n: int = 600, seed: int = 19) -> int:
    """n/2 small JPEG photos with EXIF and n/2 e-mails, each distinct; returns bytes."""
    import io
    import random
    from email.message import EmailMessage
    from email.utils import format_datetime

    from PIL import Image

    rnd = random.Random(seed)
    rm(target)
    (target / "photos").mkdir(parents=True)
    (target / "mail").mkdir(parents=True)
    size = 0
    for i in range(n // 2):
        img = Image.frombytes("RGB", (80, 60), rnd.randbytes(80 * 60 * 3))
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "Apple", "iPhone 12"
        stamp = f"2024:{1 + i % 12:02d}:{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i % 59:02d}"
        exif[0x0132] = stamp
        exif.get_ifd(0x8769)[0x9003] = stamp
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=50, exif=exif)
        (target / "photos" / f"IMG_{i:04d}.JPG").write_bytes(buf.getvalue())
        size += len(buf.getvalue())
    base = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    words = ("waar", "ben", "je", "ik", "zie", "jou", "morgen", "antwoord", "bel", "me")
    for i in range(n - n // 2):
        msg = EmailMessage()
        msg["From"] = f"Onbekende {i % 7} <anon{i % 7}@example.org>"
        msg["To"] = "slachtoffer@example.net"
        msg["Subject"] = f"bericht {i}"
        msg["Date"] = format_datetime(base + timedelta(minutes=37 * i))
        msg["Message-ID"] = f"<bench-{i}@example.org>"
        msg.set_content(" ".join(rnd.choice(words) for _ in range(700)) + "\n")
        data = msg.as_bytes()
        (target / "mail" / f"bericht-{i:04d}.eml").write_bytes(data)
        size += len(data)
    return size


def measure(quick: bool, runs: int) -> tuple[list[Figure], Path | None]:
    exiftool = ensure_exiftool()
    compiled = compile_bytecode()
    n = int(os.environ.get("BENCH_SMALL_FILES", 600))
    work = OUT / "small"
    rm(work)
    the_set = work / "set"
    size = make_small_set(the_set, n)
    log(f"small files: {n} files ({size / 1e6:.1f} MB): photos with EXIF and e-mails")

    ref_cmd = [exiftool, "-json", "-r", "-q", "-q", str(the_set)]
    loop_cmd = [sys.executable, str(Path(__file__).with_name("durable_loop.py")), str(the_set)]
    subprocess.run(ref_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm
    ref, loop, ing, cpu_ing = Series(), Series(), Series(), Series()
    vs_loop, vs_ref = Series(), Series()
    for i in range(runs):
        case = new_case(work / f"case{i}")
        link_tree(the_set, case / "inbox")
        time.sleep(1.1)

        def intake_run(case: Path = case) -> None:
            t = timed_run([INTAKE, "ingest", "--case", str(case), "--json"])
            if t.returncode != 0:
                raise RuntimeError(f"intake ingest failed:\n{t.stdout[-2000:]}\n{t.stderr[-2000:]}")
            outcomes = json.loads(t.stdout)["outcomes"]
            if outcomes.get("settled") != n:
                raise RuntimeError(f"intake settled {outcomes}, expected {n}")
            ing.add(n / t.seconds)
            cpu_ing.add(t.cpu_seconds)

        def loop_run(i: int = i) -> None:
            reps = [work / f"loop{i}" / "a", work / f"loop{i}" / "b"]
            for r in reps:
                r.mkdir(parents=True)
            t = timed_run(loop_cmd + [str(r) for r in reps])
            if t.returncode != 0 or t.stdout.strip() != str(n):
                raise RuntimeError(f"the durable loop failed: {t.stdout[-500:]} {t.stderr[-500:]}")
            loop.add(n / t.seconds)
            rm(work / f"loop{i}")

        def ref_run() -> None:
            t = timed_run(ref_cmd)
            ref.add(n / t.seconds)

        steps = [ref_run, loop_run, intake_run]
        for step in steps[i % 3:] + steps[:i % 3]:
            step()
        vs_loop.add(ing.values[-1] / loop.values[-1])
        vs_ref.add(ing.values[-1] / ref.values[-1])
        log(f"small files round {i + 1}/{runs}: exiftool {ref.values[-1]:.0f} files/s, loop "
            f"{loop.values[-1]:.0f} files/s, intake {ing.values[-1]:.0f} files/s")
        rm(case)
    rm(work)
    details = [
        f"Set: {n} files, {size / 1e6:.1f} MB: {n // 2} JPEG photos (80×60, EXIF camera and "
        f"times) and {n - n // 2} e-mails, made in code.",
        f"Durable loop (bench/durable_loop.py: read, SHA-256, exifread, 2 copies fsynced): "
        f"{loop.fmt('files/s', 1)}.",
        f"exiftool -json -r: {ref.fmt('files/s', 1)}.",
        f"intake ingest (3 digests, 2 copies read back from the disk, plugins, SQLite index, "
        f"custody log, metadata files, originals moved): {ing.fmt('files/s', 1)}; CPU "
        f"{cpu_ing.fmt()}; {compiled}",
    ]
    return [
        Figure("2", f"Small files ({n} photos and mails) vs the durable loop",
               ing.fmt("files/s", 1), loop.fmt("files/s", 1),
               f"{vs_loop.median:.2f} (min {vs_loop.min:.2f}, max {vs_loop.max:.2f})",
               "≥ 0.8", verdict(vs_loop.median >= 0.8), details=details),
        Figure("2b", f"Small files ({n} photos and mails) vs exiftool -json -r",
               ing.fmt("files/s", 1), ref.fmt("files/s", 1),
               f"{vs_ref.median:.2f} (min {vs_ref.min:.2f}, max {vs_ref.max:.2f})",
               "≥ 3 (goal 5)", verdict(vs_ref.median >= 3)),
    ], None


if __name__ == "__main__":
    figs, case = measure("--quick" in sys.argv, 5)
    for f in figs:
        print(f)
    print("case kept:", case)
