"""Figure 2: many small files (a phone dump), intake with extraction against exiftool.

The corpus (../shared/corpus, read-only) is replicated under bench/out/ to
about 2,000 files: copy k of a file keeps its name (for screenshots and chats
the name is evidence) in its own folder ``copy-kk/<type>/<source>/``, and gets
bytes that make it distinct from every other copy, appended where readers
ignore them: after a JPEG's EOI, a PNG's IEND, a PDF's %%EOF (a PDF comment),
a free box for HEIC/HEIF, a 512-byte pad for Outlook .msg (whole OLE sectors),
an XML comment after the root element, a trailing line for text (e-mails,
chats, mbox). Identical copies would be one item with many receipts in intake
(content addressing) and would flatter it; distinct copies make intake hash,
store, extract and index every one.

Left out of the set, for both tools: PDFs encrypted with revision 6 (AES-256)
security handlers. exiftool derives their key in pure Perl, about 7 s per
file, which would make the reference absurdly slow and flatter intake; they
are timed apart and reported.

The reference is ``exiftool -json -r`` over the set (metadata only: no hash,
no copy, no index). intake is the real CLI, ``intake ingest --case DIR`` on a
fresh case whose inbox holds hard links to the set (same inodes: page cache
warm for both), default configuration; the links are older than
settle_seconds when the timer starts.
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
from pathlib import Path

from bench_common import CORPUS, INTAKE, OUT, Figure, Series, log, new_case, rm, timed_run, verdict

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


def measure(quick: bool, runs: int) -> tuple[list[Figure], Path | None]:
    exiftool = ensure_exiftool()
    files, left_out = corpus_files()
    target_files = int(os.environ.get("BENCH_SMALL_FILES", 300 if quick else 2000))
    copies = max(1, round(target_files / len(files)))
    work = OUT / "small"
    rm(work)
    the_set = work / "set"
    n, size = make_set(the_set, files, copies)
    log(f"small files: {n} files ({size / 1e6:.0f} MB), {copies} copies of {len(files)}")

    ref_cmd = [exiftool, "-json", "-r", "-q", "-q", str(the_set)]
    subprocess.run(ref_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm
    ref, ing, cpu_ref, cpu_ing, ratio = Series(), Series(), Series(), Series(), Series()
    keep: Path | None = None
    reading = (0, 0)
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
            cpu_ing.add(t.cpu_seconds / t.seconds)

        def ref_run() -> None:
            t = timed_run(ref_cmd)
            ref.add(n / t.seconds)
            cpu_ref.add(t.cpu_seconds / t.seconds)

        for step in ((ref_run, intake_run) if i % 2 == 0 else (intake_run, ref_run)):
            step()
        ratio.add(ing.values[-1] / ref.values[-1])
        log(f"small files run {i + 1}/{runs}: exiftool {ref.values[-1]:.1f} files/s, "
            f"intake {ing.values[-1]:.1f} files/s")
        if i == 0:
            reading = same_reading(case)
        if keep is not None:
            rm(keep)
        keep = case
    # the left-out PDFs, once each, for the record
    slow = []
    for rel in left_out:
        t = timed_run([exiftool, "-json", str(CORPUS / rel)])
        slow.append(f"{rel.name} {t.seconds:.1f} s")
    details = [
        f"Set: {n} files, {size / 1e6:.0f} MB: {copies} distinct copies of the {len(files)} "
        "corpus files (photos, screenshots, e-mails, PDFs, chats, phone backups).",
        f"exiftool -json -r: {ref.fmt('files/s', 1)}; CPU use {cpu_ref.median:.2f} cores.",
        f"intake ingest (hash 3 digests, 2 verified replicas, plugins, SQLite index, custody "
        f"log, move to ingested/): {ing.fmt('files/s', 1)}; CPU use {cpu_ing.median:.2f} cores.",
        f"Copies read the same as each other (plugin, kind, number of events): "
        f"{reading[0]} of {reading[1]} corpus files.",
        "Left out of the set, exiftool alone on each (AES-256 R6 key derivation in Perl): "
        + ", ".join(slow) + ".",
    ]
    fig = Figure("2", f"Many small files ({n}) vs exiftool -json -r",
                 ing.fmt("files/s", 1), ref.fmt("files/s", 1),
                 f"{ratio.median:.2f} (min {ratio.min:.2f}, max {ratio.max:.2f})",
                 "> 1.0, using both cores", verdict(ratio.median > 1.0 and cpu_ing.median > 1.5),
                 details=details)
    return [fig], keep


if __name__ == "__main__":
    figs, case = measure("--quick" in sys.argv, 5)
    for f in figs:
        print(f)
    print("case kept:", case)
