"""Disks that fill for real (issue 9, point 9): a small tmpfs, mounted by the test.

A replica that fills up during a custody write must not keep a cut-off last
line (and one left by a crash is healed when a writer opens the case); a
whole case on a full file system gives a plain one-line reason and loses
nothing. Mounting needs root (or CAP_SYS_ADMIN): elsewhere these tests are
skipped with that reason.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.helpers import (
    add_config,
    check_nothing_lost,
    custody_lines,
    custody_records,
    drop,
    fill,
    ingest,
    ingested,
    new_case,
    ok,
    replica,
    run_intake,
    set_config,
    sha256,
    size,
    small_fs,
    status,
    stored_objects,
    verify,
)


def test_a_replica_that_fills_up_during_custody_writes_keeps_no_cut_line(
        tmp_path: Path, figures) -> None:
    rounds = size(3, 10)
    # room for every round's 48 KiB file and its metadata once the filler is gone
    with small_fs(tmp_path / "usb", 256 + 64 * rounds) as usb:
        case = new_case(tmp_path / "case")
        (usb / "b").mkdir()  # the stick is plugged in: intake never makes a mount point
        set_config(case, 'path = "store/b"', f'path = "{usb / "b"}"')
        drop(case, "first.txt", b"stored while there is room\n")
        time.sleep(0.3)
        assert ingest(case)["outcomes"] == {"settled": 1}
        filler = fill(usb, leave=4096)  # one page left: custody lines, no object
        dropped = {}
        for n in range(rounds):
            data = os.urandom(48 * 1024) + f"file {n}\n".encode()
            dropped[f"big-{n}.bin"] = sha256(data)
            drop(case, f"big-{n}.bin", data)
            time.sleep(0.3)
            answer = ingest(case)
            assert answer["outcomes"] == {"waiting": n + 1}, answer
        # replica b is full: no copy there, no line cut off in its log
        b_log = b"".join(p.read_bytes() for p in sorted((usb / "b" / "custody").glob("*.jsonl")))
        assert b_log.endswith(b"\n"), "replica b's custody log ends in a cut-off line"
        s = status(case)
        assert len(s["originals_still_in_inbox"]) == rounds
        filler.unlink()  # room again: one run completes everything
        answer = ingest(case)
        assert answer["outcomes"] == {"settled": rounds}, answer
        ok(verify(case))
        assert custody_lines(replica(case, "a")) == custody_lines(usb / "b")
        for sha in dropped.values():
            assert sha in stored_objects(usb / "b") and sha in stored_objects(replica(case, "a"))
        figures(rounds=rounds, cut_lines=0)


def test_a_cut_off_last_line_is_healed_when_a_writer_opens_the_case(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    drop(case, "a.txt", b"first\n")
    time.sleep(0.3)
    ingest(case)
    last = sorted((replica(case, "b") / "custody").glob("*.jsonl"))[-1]
    whole = last.read_bytes()
    with open(last, "ab") as f:  # the disk filled (or the power went) mid-line
        f.write(b'{"event": "received", "prev": "ab')
    assert verify(case).returncode == 5  # read-only: reported, never healed behind a back
    drop(case, "b.txt", b"second\n")
    time.sleep(0.3)
    assert ingest(case)["outcomes"] == {"settled": 1}  # a writer heals it on open
    ok(verify(case))
    assert last.read_bytes() == whole
    assert (last.parent / f"cut-{last.stem}-{len(whole) + 33}").read_bytes() == \
        b'{"event": "received", "prev": "ab'
    repaired = [r for r in custody_records(replica(case, "a")) if r["event"] == "repaired"]
    assert [(r["replica"], r["what"]) for r in repaired] == [("b", "custody log")]
    assert custody_lines(replica(case, "a")) == custody_lines(replica(case, "b"))


def test_a_whole_case_on_a_full_disk_gets_a_plain_reason_and_loses_nothing(
        tmp_path: Path, figures) -> None:
    photos = size(4, 12)
    # room for the case (its index, logs and metadata) and every photo three times over
    # (inbox, two replicas) once the filler is gone
    with small_fs(tmp_path / "disk", 1536 + 128 * photos) as disk:
        case = new_case(disk / "case")
        set_config(case, 'language = "nl"', 'language = "en"')
        drop(case, "before.txt", b"stored while there was room\n")
        time.sleep(0.3)
        ingest(case)
        dropped = {}
        for n in range(photos):
            data = os.urandom(20 * 1024) + f"photo {n}\n".encode()
            drop(case, f"photo-{n}.bin", data)
            dropped[f"photo-{n}.bin"] = sha256(data)
        time.sleep(0.3)
        filler = fill(disk)
        outcomes = []
        for cmd in (["ingest", "--in-process"], ["status"], ["verify"], ["ingest"]):
            proc = run_intake(*cmd, "--case", case)
            outcomes.append((cmd[0], proc.returncode))
            assert "Traceback" not in proc.stderr and "did not expect" not in proc.stderr, \
                proc.stderr
            assert "OperationalError" not in proc.stderr
            if proc.returncode not in (0, 5):
                assert proc.returncode == 1, (cmd, proc.returncode, proc.stderr)
                assert proc.stderr.strip().count("\n") == 0
                assert "the disk holding the case is full; nothing was lost" in proc.stderr
        assert ("ingest", 1) in outcomes, outcomes
        # nothing lost: each photo in the inbox or in both replicas
        for rel, sha in dropped.items():
            in_inbox = (case / "inbox" / rel).is_file()
            holders = [r for r in ("a", "b") if sha in stored_objects(replica(case, r))]
            assert in_inbox or len(holders) == 2, (rel, holders)
        filler.unlink()
        answer = ingest(case)
        assert sorted(ingested(case)) == sorted(["before.txt", *dropped]), answer
        check_nothing_lost(case, {"before.txt": sha256(b"stored while there was room\n"),
                                  **dropped})
        ok(verify(case))
        figures(files=len(dropped), runs_on_full_disk=len(outcomes))
        json.dumps(outcomes)


def test_a_big_file_whose_replica_fills_up_is_stored_in_the_others_read_back(
        tmp_path: Path) -> None:
    """A file of several MiB takes the big-file path (copies written and fsynced side by
    side, each read back from the disk); the replica that fills up half-way is left out
    with its reason, the other two hold the file verified, and the original settles."""
    case = new_case(tmp_path / "case")
    with small_fs(tmp_path / "usb", 2048) as usb:  # 2 MiB: the 6 MiB copy cannot fit
        add_config(case, f'[[replicas]]\nname = "usb"\npath = "{usb}"\n')
        data = os.urandom(6 << 20)
        drop(case, "video.mp4", data)
        time.sleep(0.3)
        answer = ingest(case)
        assert answer["outcomes"] == {"settled": 1}, answer
        for name in ("a", "b"):
            (path,) = stored_objects(replica(case, name)).values()
            assert path.read_bytes() == data and path.name == sha256(data)
            assert path.stat().st_mode & 0o777 == 0o400  # read-only
        assert stored_objects(usb) == {}
        assert list((usb / "tmp").glob("*")) == []  # the cut-off copy is removed
        stored = [r for r in custody_records(replica(case, "a")) if r["event"] == "stored"]
        assert sorted(r["replica"] for r in stored) == ["a", "b"]  # not usb
        assert {r["sha256"] for r in stored} == {sha256(data)}
        out = run_intake("status", "--case", case)
        assert "usb" in out.stdout
    assert (case / "inbox" / "ingested" / "video.mp4").read_bytes() == data
