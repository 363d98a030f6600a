"""The real watcher: in a thread of this process, and as `intake watch` (restart, signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import (
    INTAKE,
    custody_records,
    drop,
    inbox_top,
    ingested,
    object_path,
    ok,
    receipts,
    replica,
    run_intake,
    set_config,
    sha256,
    status,
    stored_objects,
    temp_parts,
    verify,
    wait_for,
    watching,
    with_plugins,
)


def test_created_moved_and_folder_drops_are_taken(case: Path, tmp_path: Path) -> None:
    outside = tmp_path / "downloads"
    (outside / "holiday" / "day 2").mkdir(parents=True)
    (outside / "moved.txt").write_bytes(b"moved in with rename\n")
    (outside / "holiday" / "a.txt").write_bytes(b"folder file a\n")
    (outside / "holiday" / "day 2" / "b.txt").write_bytes(b"folder file b\n")
    drop(case, "before.txt", b"there before the watcher started\n")

    with watching(case):
        wait_for(lambda: "before.txt" in ingested(case), 20, what="the initial scan")
        drop(case, "created.txt", b"created while watching\n")
        os.rename(outside / "moved.txt", case / "inbox" / "moved.txt")
        os.rename(outside / "holiday", case / "inbox" / "holiday")
        expected = ["before.txt", "created.txt", "holiday/a.txt", "holiday/day 2/b.txt",
                    "moved.txt"]
        wait_for(lambda: ingested(case) == expected, 20, what="every drop taken")
    assert inbox_top(case) == ["ingested"]
    s = status(case)
    assert s["counts"]["items"] == 5 and s["counts"]["receipts"] == 5
    for data in (b"moved in with rename\n", b"folder file a\n", b"folder file b\n"):
        (r,) = receipts(replica(case, "b"), sha256(data))
        assert r["sha256"] == sha256(data)
    ok(verify(case))


def test_slow_copy_is_taken_once_complete(case: Path) -> None:
    # a writer pausing 0.1 s between chunks; the settle time leaves room for a busy CI machine
    set_config(case, "settle_seconds = 0.2", "settle_seconds = 0.6")
    chunks = [bytes([n]) * 65536 for n in range(15)]  # 15 x 64 KiB over ~1.5 s
    final = b"".join(chunks)
    target = case / "inbox" / "slow video.mp4"
    started = threading.Event()

    def writer() -> None:
        with open(target, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
                f.flush()
                started.set()
                time.sleep(0.1)

    with watching(case) as w:
        t = threading.Thread(target=writer)
        t.start()
        assert started.wait(5)
        t.join(10)
        wait_for(lambda: ingested(case) == ["slow video.mp4"], 20, what="the slow file")
        # the task is reported just after the move: wait for the report, not only the move
        wait_for(lambda: [t for t in w.tasks if t.source == "inbox/slow video.mp4"], 10,
                 what="the task reported")
        taken = [task for task in w.tasks if task.source == "inbox/slow video.mp4"]
    assert [task.outcome for task in taken] == ["settled"]
    assert taken[0].sha256 == sha256(final)
    assert list(stored_objects(replica(case, "a"))) == [sha256(final)]
    (r,) = receipts(replica(case, "a"), sha256(final))
    assert r["size"] == len(final) == 15 * 65536
    assert (case / "inbox" / "ingested" / "slow video.mp4").read_bytes() == final


TEMP_NAMES = ["x.crdownload", "~$doc.docx", ".~lock.x#", "x.part", ".DS_Store"]


def test_temporary_files_are_skipped(case: Path) -> None:
    with watching(case) as w:
        for n, name in enumerate(TEMP_NAMES):
            drop(case, name, f"temporary {n}\n".encode())
        drop(case, "sub/.DS_Store", b"finder junk\n")
        drop(case, "real.docx", b"the real document\n")
        wait_for(lambda: ingested(case) == ["real.docx"], 20, what="real.docx")
        time.sleep(0.5)  # more than the settle time: the temporary files had their chance
        assert {t.source for t in w.tasks} == {"inbox/real.docx"}
        # a finished download gets its real name: now it is taken
        os.rename(case / "inbox" / "x.crdownload", case / "inbox" / "x.pdf")
        wait_for(lambda: "x.pdf" in ingested(case), 20, what="the finished download")
    assert sorted(inbox_top(case)) == sorted(["ingested", "sub", "~$doc.docx", ".~lock.x#",
                                               "x.part", ".DS_Store"])
    assert set(stored_objects(replica(case, "a"))) == {sha256(b"the real document\n"),
                                                       sha256(b"temporary 0\n")}
    s = status(case)
    assert s["counts"]["items"] == 2 and s["files_not_taken"] == []


def _watch(case: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("INTAKE_LOAD_PLUGINS", None)
    return subprocess.Popen([str(INTAKE), "watch", "--no-chronology", "--rescan", "1"],
                            cwd=case, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)


def _stop(proc: subprocess.Popen, sig: int) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_watch_stops_cleanly_on_signal(case: Path, tmp_path: Path, sig: int) -> None:
    log = tmp_path / "watch.log"
    proc = _watch(case, log)
    try:
        drop(case, "hello.txt", b"hello\n")
        wait_for(lambda: ingested(case) == ["hello.txt"], 60, what="hello.txt")
    finally:
        rc = _stop(proc, sig)
    out = log.read_text(encoding="utf-8")
    assert rc == 0, out
    assert "Traceback" not in out
    assert "bewaard: inbox/hello.txt (" in out
    assert out.rstrip().endswith("Gestopt.")
    ok(verify(case))


SLOW_READER = """
import time
from intake import hookimpl

@hookimpl
def intake_extract(item, case):
    if item.name.startswith("slow-"):
        time.sleep(4)  # as OCR of a big screenshot takes
    return None
"""


def test_a_stop_waits_only_for_the_items_being_read_and_the_rest_are_read_next_time(
        case: Path, tmp_path: Path) -> None:
    """Ctrl+C is prompt: items stored but not yet handed to a plugin worker keep no
    extraction, and the next start reads them (nothing is lost, nothing read twice)."""
    with_plugins(case, {"slow_reader.py": SLOW_READER})
    count = 12  # at most 2 per worker are in flight, far fewer than 12
    log = tmp_path / "watch.log"
    proc = _watch(case, log)
    try:
        for n in range(count):
            drop(case, f"slow-{n:02d}.txt", f"note {n}\n".encode())
        wait_for(lambda: len(ingested(case)) == count, 120, what="every file stored")
    finally:
        rc = _stop(proc, signal.SIGTERM)
    assert rc == 0, log.read_text(encoding="utf-8")
    left = status(case)["not_extracted"]
    assert 0 < len(left) <= count - 1, left  # the backlog was let go, the stop was prompt
    assert {n for x in left for n in x["names"]} <= {f"slow-{n:02d}.txt" for n in range(count)}
    ok(run_intake("ingest", "--case", case))  # the next start reads what was let go
    s = status(case)
    assert s["not_extracted"] == [] and s["counts"]["items"] == count
    assert sum(1 for r in custody_records(replica(case, "a")) if r["event"] == "extracted") \
        == count  # each item read exactly once
    ok(verify(case))


def test_watch_killed_and_restarted_stores_every_file_once(case: Path, tmp_path: Path) -> None:
    log = tmp_path / "watch.log"
    count = 150  # the moves after a batch's barrier are quick: enough left to kill amid them
    files = {f"batch/file{i:02d}.txt": f"file number {i}\n".encode() * (1 + i * 50)
             for i in range(count)}
    proc = _watch(case, log)
    try:
        for rel, data in files.items():
            drop(case, rel, data)
        # kill it in the middle of the batch
        wait_for(lambda: len(ingested(case)) >= 8, 60, poll=0.01, what="part of the batch")
    finally:
        proc.kill()
        proc.wait(10)
    done_at_kill = len(ingested(case))
    assert done_at_kill < count, "the batch finished before the kill; make it bigger"

    proc = _watch(case, log)
    try:
        wait_for(lambda: len(ingested(case)) == count, 90, what="the rest of the batch")
        wait_for(lambda: inbox_top(case) == ["ingested"], 10, what="an empty inbox")
    finally:
        rc = _stop(proc, signal.SIGTERM)
    assert rc == 0, log.read_text(encoding="utf-8")

    assert ingested(case) == sorted(files)
    s = status(case)
    assert s["counts"]["items"] == count
    assert s["counts"]["receipts"] == count  # every dropped file exactly once
    assert s["originals_still_in_inbox"] == [] and s["files_not_taken"] == []
    for rel, data in files.items():
        sha = sha256(data)
        for name in ("a", "b"):
            assert sha256(object_path(replica(case, name), sha)) == sha
            assert [r["source"] for r in receipts(replica(case, name), sha)] == [f"inbox/{rel}"]
    assert temp_parts(case) == []
    ok(verify(case))


def test_watch_rebuilds_the_chronology_once_new_items_settle(case: Path, tmp_path: Path) -> None:
    log = tmp_path / "watch.log"
    proc = subprocess.Popen([str(INTAKE), "watch", "--rescan", "1"], cwd=case,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    chronology = case / "chronology" / "chronology.json"
    try:
        (case / "inbox" / "calls.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<calls count="1">\n'
            '<call number="-2" duration="0" date="1709330000000" type="3" />\n</calls>\n',
            encoding="utf-8")
        wait_for(chronology.is_file, 90, what="chronology.json after the first drop")
        first = chronology.read_bytes()
        drop(case, "note.txt", b"a second drop\n")
        wait_for(lambda: chronology.read_bytes() != first, 90, what="a rebuilt chronology")
    finally:
        assert _stop(proc, signal.SIGTERM) == 0, log.read_text(encoding="utf-8")
    doc = json.loads(chronology.read_bytes())
    assert [e["kind"] for e in doc["entries"]][0] == "call"
    assert doc["entries"][0]["facts"]["withheld"] is True
    assert len(doc["exhibits"]) == 2
    assert "chronologie bijgewerkt in" in log.read_text(encoding="utf-8")
