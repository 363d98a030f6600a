"""Early settle: a file closed after writing is taken before settle_seconds, and only then.

The real watcher (in a thread) with settle_seconds = 60: anything taken
within the tests' waits was taken on its close (intake/closes.py); anything
that must wait for the settle rule is still in the inbox at the end. Linux
(inotify reports opens and closes); elsewhere the settle rule alone applies.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    WatcherThread,
    ingested,
    new_case,
    receipts,
    replica,
    sha256,
    status,
    stored_objects,
    wait_for,
    watching,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="open and close events come from Linux inotify")

SETTLE = 60.0  # far beyond every wait below: only a close can make a file ready


def _case(tmp_path: Path) -> Path:
    return new_case(tmp_path / "case", settle=SETTLE)


@contextlib.contextmanager
def _watching(case: Path, **kwargs: float) -> Iterator[WatcherThread]:
    """The real watcher, once it receives file events (what is written before is
    found by its scan, like a file dropped while it was not running)."""
    with watching(case, **kwargs) as w:
        assert w.watcher.observing.wait(30)
        yield w


def _taken_with(case: Path, name: str, data: bytes) -> None:
    """`name` left the inbox and what was stored is exactly `data`, once."""
    assert (case / "inbox" / "ingested" / name).read_bytes() == data
    for rep in ("a", "b"):
        assert list(stored_objects(replica(case, rep))) == [sha256(data)], rep
        (r,) = receipts(replica(case, rep), sha256(data))
        assert r["size"] == len(data)


def test_a_file_closed_after_writing_is_taken_before_the_settle_time(tmp_path: Path) -> None:
    case = _case(tmp_path)
    (case / "inbox" / "before.txt").write_bytes(b"there before the watcher started\n")
    outside = tmp_path / "downloads"
    outside.mkdir()
    (outside / "moved.txt").write_bytes(b"moved in by rename: no close seen\n")
    with _watching(case, rescan=0.5):
        data = b"written and closed while watching\n" * 100
        (case / "inbox" / "closed.txt").write_bytes(data)
        os.rename(outside / "moved.txt", case / "inbox" / "moved.txt")
        wait_for(lambda: ingested(case) == ["closed.txt"], 20, what="the closed file")
        # a later close proves the watcher went round again: the others still wait
        (case / "inbox" / "second.txt").write_bytes(b"second\n")
        wait_for(lambda: ingested(case) == ["closed.txt", "second.txt"], 20, what="second")
    # opened before the watcher started (a writer may hold it unseen), or moved in:
    # the settle rule decides, and 60 s have not passed
    assert sorted(p.name for p in (case / "inbox").iterdir()) == [
        "before.txt", "ingested", "moved.txt"]
    assert (case / "inbox" / "ingested" / "closed.txt").read_bytes() == data
    assert sha256(data) in stored_objects(replica(case, "a"))
    assert status(case)["counts"]["items"] == 2


def test_a_file_still_open_by_another_writer_is_not_taken_half_written(tmp_path: Path) -> None:
    case = _case(tmp_path)
    target = case / "inbox" / "video.mp4"
    first, second = os.urandom(300_000), os.urandom(200_000)
    with _watching(case):
        slow = open(target, "wb")  # the slow writer, still at work
        try:
            slow.write(first)
            slow.flush()
            # another program opens the same file for writing and closes it: a close
            # after writing, while the slow writer still holds it
            with open(target, "r+b") as other:
                other.seek(0, os.SEEK_END)
            (case / "inbox" / "marker.txt").write_bytes(b"dropped after the other close\n")
            wait_for(lambda: "marker.txt" in ingested(case), 20, what="the marker")
            assert "video.mp4" not in ingested(case)
            assert target.stat().st_size == len(first)
            slow.write(second)
        finally:
            slow.close()
        wait_for(lambda: "video.mp4" in ingested(case), 20, what="the finished video")
    assert (case / "inbox" / "ingested" / "video.mp4").read_bytes() == first + second
    objects = set(stored_objects(replica(case, "a")))
    assert objects == {sha256(first + second), sha256(b"dropped after the other close\n")}


def test_a_file_read_by_another_program_waits_for_its_close(tmp_path: Path) -> None:
    case = _case(tmp_path)
    target = case / "inbox" / "photo.jpg"
    data = os.urandom(100_000)
    with _watching(case):
        target.write_bytes(data)
        with open(target, "rb"):  # a thumbnailer reading it: nobody is sure it is done
            ...
        reader = open(target, "rb")
        try:
            (case / "inbox" / "marker.txt").write_bytes(b"marker\n")
            wait_for(lambda: "marker.txt" in ingested(case), 20, what="the marker")
            assert "photo.jpg" not in ingested(case)
        finally:
            reader.close()
        # the reader's close changes nothing in the bytes; the last write's close stands
        wait_for(lambda: "photo.jpg" in ingested(case), 20, what="the photo")
    assert (case / "inbox" / "ingested" / "photo.jpg").read_bytes() == data


def test_a_file_written_in_several_opens_is_taken_whole(tmp_path: Path) -> None:
    case = _case(tmp_path)
    target = case / "inbox" / "chat export.txt"
    parts = [f"line {n}: ".encode() + os.urandom(20_000).hex().encode() + b"\n"
             for n in range(8)]
    with _watching(case):
        for part in parts:  # an exporter appending, closing after each piece
            with open(target, "ab") as f:
                f.write(part)
        wait_for(lambda: "chat export.txt" in ingested(case), 20, what="the export")
    _taken_with(case, "chat export.txt", b"".join(parts))


def test_a_file_replaced_after_its_close_waits_for_the_settle_rule(tmp_path: Path) -> None:
    case = _case(tmp_path)
    target = case / "inbox" / "statement.pdf"
    old, new = b"%PDF-1.4 first version\n" * 50, b"%PDF-1.4 second version\n" * 70
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(new)
    with _watching(case, rescan=0.5) as w:
        target.write_bytes(old)
        os.replace(outside, target)  # renamed over it right after the close
        (case / "inbox" / "marker.txt").write_bytes(b"marker\n")
        wait_for(lambda: "marker.txt" in ingested(case), 20, what="the marker")
        # the task is reported just after the move: wait for the report, not only the move
        wait_for(lambda: w.tasks, 10, what="the marker's task reported")
        sources = [t.source for t in w.tasks]
    # the bytes now at the path were never seen closed (the closed ones are gone, and
    # the file that is there has another inode): the settle rule decides, 60 s
    assert sources == ["inbox/marker.txt"]
    assert target.read_bytes() == new
    assert set(stored_objects(replica(case, "a"))) == {sha256(b"marker\n")}
