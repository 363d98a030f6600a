"""Peak memory of the commands on big inputs (issue 9, point 10).

    python bench/bench_memory.py [--messages N] [--members N] [--files N] [--only ingest,pdf,watch]

The inputs are written here, in code: a mailbox of tiny messages (the
``mailbox``/``email`` packages), a WhatsApp export zip with a chat and many
tiny distinct members, and a stream of small files for the watcher. Each
command runs as a user runs it (`intake ingest`, `intake chronology --format
pdf`, `intake watch`); its peak memory is taken twice: ``ru_maxrss`` of the
largest process (kernel figure, RUSAGE_CHILDREN of a holder process) and the
sampled sum over the whole process tree (the plugin workers included).

The watcher's figure is its own resident memory (VmRSS of the main process)
sampled after every batch of files has settled: flat means the last figure
is within 20 MB of the one after the first batch.

Prints one JSON line per figure; `make reliability`'s full form runs the same
measurement through tests/reliability/test_memory.py.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import subprocess
import sys
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import INTAKE, OUT, _tree_rss_kib, isolated_maxrss, rm  # noqa: E402

LIMIT_MIB = 500  # no command over this peak RSS (issue 9, point 10)
WATCH_FLAT_MIB = 20  # the watcher's growth allowed after 20,000 files


def write_mbox(path: Path, n: int) -> None:
    """A mailbox of n tiny messages, each distinct (about 180 bytes each)."""
    box = mailbox.mbox(str(path), create=True)
    box.lock()
    try:
        for i in range(n):
            msg = EmailMessage()
            msg["From"] = f"sender{i % 97}@example.org"
            msg["To"] = "victim@example.org"
            msg["Subject"] = f"m{i}"
            msg["Date"] = f"Mon, {1 + i % 28:02d} Jan 2024 {i % 24:02d}:{i % 60:02d}:00 +0100"
            msg.set_content(f"message {i}")
            box.add(msg)
        box.flush()
    finally:
        box.unlock()
        box.close()


def write_zip(path: Path, n: int) -> None:
    """A WhatsApp export: a short chat and n tiny distinct members (stored, not deflated)."""
    chat = "".join(f"01/02/2024, 10:{i:02d} - Alex: message {i}\n" for i in range(20))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("WhatsApp Chat with Alex.txt", chat)
        for i in range(n):
            zf.writestr(f"media/IMG-{i:06d}.txt", f"member {i}\n")


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


def measure(cmd: list[str], label: str, case: Path | None = None) -> dict:
    seconds, maxrss, tree = isolated_maxrss(cmd)
    row = {"figure": label, **(_events(case) if case else {}),
           "seconds": round(seconds, 1), "maxrss_mib": mib(maxrss),
           "tree_peak_mib": mib(tree), "limit_mib": LIMIT_MIB,
           "verdict": "PASS" if max(maxrss, tree) <= LIMIT_MIB * 1024 else "MISS"}
    print(json.dumps(row), flush=True)
    return row


def _events(case: Path) -> dict:
    out = subprocess.run([INTAKE, "status", "--json", "--case", str(case)], check=True,
                         capture_output=True, text=True).stdout
    counts = json.loads(out)["counts"]
    return {"events": counts["events"], "items": counts["items"]}


def _long_timeout(case: Path) -> None:
    """A loaded machine may take more than the default 60 s to read 50,000 e-mails."""
    cfg = case / "config" / "intake.toml"
    cfg.write_text(cfg.read_text().replace("timeout_seconds = 60", "timeout_seconds = 1800"))


def bench_commands(work: Path, messages: int, members: int, only: set[str]) -> list[dict]:
    case = work / "case"
    subprocess.run([INTAKE, "init", str(case)], check=True, capture_output=True)
    _long_timeout(case)
    mbox, export = work / "big.mbox", work / "export.zip"
    write_mbox(mbox, messages)
    rows = []
    if "ingest" in only:
        rows.append(measure([INTAKE, "ingest", "--case", str(case), str(mbox)],
                            f"ingest mbox {messages} messages ({mbox.stat().st_size >> 20} MB)", case))
    else:
        subprocess.run([INTAKE, "ingest", "--case", str(case), str(mbox)], check=True,
                       capture_output=True)
    if "pdf" in only:
        rows.append(measure([INTAKE, "chronology", "--case", str(case), "--out",
                             str(work / "out1"), "--format", "pdf"],
                            f"chronology pdf {messages} messages"))
    if members and ("zip" in only or "pdf" in only):
        write_zip(export, members)
        rows.append(measure([INTAKE, "ingest", "--case", str(case), str(export)],
                            f"ingest zip {members} members", case))
        if "pdf" in only:
            rows.append(measure([INTAKE, "chronology", "--case", str(case), "--out",
                                 str(work / "out2"), "--format", "pdf"],
                                f"chronology pdf {messages} messages + {members} members"))
    return rows


def _vmrss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench_watch(work: Path, files: int, batch: int = 1000) -> dict:
    """The watcher's own memory after each batch of small files has settled."""
    case = work / "watch-case"
    subprocess.run([INTAKE, "init", str(case)], check=True, capture_output=True)
    cfg = case / "config" / "intake.toml"
    text = cfg.read_text()
    cfg.write_text(text.replace("settle_seconds = 1.0", "settle_seconds = 0.2"))
    inbox = case / "inbox"
    proc = subprocess.Popen([INTAKE, "watch", "--case", str(case), "--no-chronology",
                             "--rescan", "5"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[int, float, float]] = []
    start = time.monotonic()
    try:
        time.sleep(3)
        for done in range(0, files, batch):
            staged = work / f"b{done // batch:03d}"
            staged.mkdir()
            for i in range(done, min(files, done + batch)):
                (staged / f"note-{i:06d}.txt").write_text(f"note {i}\n")
            folder = inbox / staged.name
            staged.rename(folder)  # the whole batch appears at once
            deadline = time.monotonic() + 1800
            while folder.exists():
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the watcher did not take batch {done // batch}")
                time.sleep(0.5)
            samples.append((min(files, done + batch), mib(_vmrss_kib(proc.pid)),
                            mib(_tree_rss_kib(proc.pid))))
            print(json.dumps({"watch_files": samples[-1][0], "watcher_mib": samples[-1][1],
                              "tree_mib": samples[-1][2]}), flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    growth = samples[-1][1] - samples[0][1]
    row = {"figure": f"watcher over {files} files", "seconds": round(time.monotonic() - start),
           "first_batch_mib": samples[0][1], "last_mib": samples[-1][1],
           "growth_mib": round(growth, 1), "peak_tree_mib": max(s[2] for s in samples),
           "limit_growth_mib": WATCH_FLAT_MIB,
           "verdict": "PASS" if growth <= WATCH_FLAT_MIB else "MISS"}
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--only", default="ingest,pdf,zip,watch")
    args = ap.parse_args()
    only = set(args.only.split(","))
    work = OUT / ("memory-" + "-".join(sorted(only)))
    rm(work)
    work.mkdir(parents=True)
    rows = []
    try:
        if only & {"ingest", "pdf", "zip"}:
            rows += bench_commands(work, args.messages, args.members, only)
        if "watch" in only:
            rows.append(bench_watch(work, args.files))
    finally:
        rm(work)
    return 0 if all(r["verdict"] == "PASS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
