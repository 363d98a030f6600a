"""Concurrency and the lock (issue 9, points 7 and 8).

7. ``status``, ``verify`` and ``chronology`` beside a working watcher never
   write to the case, and ``verify`` reports only real problems;
8. deleting ``.intake/`` (a cache) while the watcher runs never lets a second
   writer in, and a writer stops when its case folder is replaced under it.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

from tests.helpers import (
    custody_lines,
    drop,
    ingest,
    ingested,
    new_case,
    ok,
    replica,
    run_intake,
    size,
    start_watch,
    stop_watch,
    stored_objects,
    verify,
    wait_for,
)


def _segments(case: Path, name: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((replica(case, name) / "custody").iterdir())}


# --- 7. read-only commands never write ----------------------------------------------------


def test_read_only_commands_never_catch_up_a_log_while_the_watcher_holds_the_case(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    drop(case, "a.txt", b"first\n")
    time.sleep(0.3)
    ingest(case)
    watcher = start_watch(case, tmp_path / "watch.log")
    try:
        wait_for(lambda: "Ctrl+C" in (tmp_path / "watch.log").read_text(), 30,
                 what="the watcher")
        time.sleep(0.5)  # idle now: it writes nothing until a file comes
        # replica b is one line behind, as it is for an instant during every append
        last = sorted((replica(case, "b") / "custody").glob("*.jsonl"))[-1]
        data = last.read_bytes()
        last.write_bytes(data[:data.rstrip(b"\n").rfind(b"\n") + 1])
        before_b, before_a = _segments(case, "b"), _segments(case, "a")
        index_before = (case / ".intake" / "index.sqlite").read_bytes()
        s = json.loads(ok(run_intake("status", "--json", "--case", case)).stdout)
        assert s["counts"]["items"] == 1
        v = run_intake("verify", "--json", "--case", case)
        report = json.loads(v.stdout)
        # the lag is real here (the watcher is idle): reported, not "repaired" behind its back
        assert [p["message"] for p in report["problems"]] == \
            ["replica b: custody log is 1 lines behind"]
        ok(run_intake("chronology", "--case", case, "--out", tmp_path / "out",
                      "--format", "json"))
        assert _segments(case, "b") == before_b, "a read-only command wrote to replica b"
        assert _segments(case, "a") == before_a
        assert (case / ".intake" / "index.sqlite").read_bytes() == index_before
    finally:
        assert stop_watch(watcher) == 0
    # the next writer catches replica b up, under the lock
    assert ingest(case)["files"] == 0
    ok(verify(case))


def test_verify_beside_a_working_watcher_reports_only_real_problems(
        tmp_path: Path, figures) -> None:
    case = new_case(tmp_path / "case", settle=0.05)
    watcher = start_watch(case, tmp_path / "watch.log")
    files = size(150, 600)
    runs, problems = 0, []
    dropping = threading.Event()

    def drop_all() -> None:  # a steady stream of files while verify and status run
        for i in range(files):
            drop(case, f"d{i // 20}/f{i:04d}.txt", f"file {i}\n".encode())
            time.sleep(0.01)
        dropping.set()

    try:
        wait_for(lambda: "Ctrl+C" in (tmp_path / "watch.log").read_text(), 30,
                 what="the watcher")
        dropper = threading.Thread(target=drop_all, daemon=True)
        dropper.start()
        while not dropping.is_set() or runs < 4:
            for cmd in (["verify", "--json"], ["status", "--json"]):
                proc = run_intake(*cmd, "--case", case)
                assert "Traceback" not in proc.stderr and proc.returncode in (0, 5), proc.stderr
                assert "did not expect" not in proc.stderr, proc.stderr
                if cmd[0] == "verify":
                    runs += 1
                    problems += json.loads(proc.stdout)["problems"]
        dropper.join(60)
        wait_for(lambda: len(ingested(case)) == files, 120, what="every file settled")
    finally:
        assert stop_watch(watcher) == 0
    assert problems == []
    ok(verify(case))
    assert custody_lines(replica(case, "a")) == custody_lines(replica(case, "b"))
    figures(files=files, verify_runs=runs, false_problems=len(problems))


# --- 8. the writer's lock ----------------------------------------------------------------


def test_deleting_the_cache_folder_under_the_watcher_lets_no_second_writer_in(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    watcher = start_watch(case, tmp_path / "watch.log")
    try:
        wait_for(lambda: "Ctrl+C" in (tmp_path / "watch.log").read_text(), 30,
                 what="the watcher")
        shutil.rmtree(case / ".intake")  # docs: a cache, rebuildable
        drop(case, "b.txt", b"dropped for the second writer\n")
        time.sleep(0.3)
        second = run_intake("ingest", "--case", case, "--in-process")
        assert second.returncode == 4, (second.returncode, second.stdout, second.stderr)
        assert "another intake process (the watcher?) is working on the case" in second.stderr
        wait_for(lambda: ingested(case) == ["b.txt"], 30, what="the watcher took b.txt")
    finally:
        assert stop_watch(watcher) == 0
    assert ingest(case)["files"] == 0  # the index, deleted with .intake/, is rebuilt
    ok(verify(case))
    records = [json.loads(line) for line in custody_lines(replica(case, "a"))]
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))


def test_a_writer_stops_when_its_case_folder_is_replaced_under_it(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    watcher = start_watch(case, tmp_path / "watch.log")
    try:
        wait_for(lambda: "Ctrl+C" in (tmp_path / "watch.log").read_text(), 30,
                 what="the watcher")
        moved, copy = tmp_path / "case-moved", tmp_path / "case-copy"
        shutil.copytree(case, copy, symlinks=True)
        os.rename(case, moved)
        os.rename(copy, case)  # another case folder at the same path
        ok(run_intake("status", "--case", case))
        drop(case, "c.txt", b"dropped into the new folder at the watched path\n")
        code = watcher.wait(30)
    finally:
        if watcher.poll() is None:
            stop_watch(watcher)
    out = (tmp_path / "watch.log").read_text()
    assert code == 4, out
    assert "was moved or replaced while intake was writing to it" in out
    # nothing was written for c.txt: not stored, still in the inbox it was dropped into
    assert (case / "inbox" / "c.txt").is_file()
    for folder in (case, moved):
        assert not any(b"c.txt" in line for line in custody_lines(replica(folder, "a")))
        assert stored_objects(replica(folder, "a")) == {}
