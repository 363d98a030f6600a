"""Group commit (issue 19, point 2): a batch of small files, one barrier per replica.

The files are written without an fsync each; one barrier per replica makes
the batch durable (objects and metadata first, then the custody lines), and
only then do the originals leave the inbox.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import (
    custody_records,
    drop,
    ingest,
    ingested,
    make_jpeg,
    new_case,
    replica,
    sha256,
    status,
    stored_objects,
    verify,
)


def _photos(case: Path, n: int) -> dict[str, bytes]:
    files = {f"batch/p{i:03d}.jpg": make_jpeg(color=(i % 256, (7 * i) % 256, 90),
                                              exif_time=f"2024:03:{1 + i % 28:02d} 10:00:00")
             for i in range(n)}
    for rel, data in files.items():
        drop(case, rel, data)
    return files


def _ingest_counting(case: Path, max_files: int, monkeypatch: pytest.MonkeyPatch) -> dict:
    """`ingest_inbox` in this process, counting syncs and the order of barrier and moves."""
    import intake.store as store
    from intake.case import Case
    from intake.ingest import Pipeline
    from intake.runner import ingest_inbox

    calls: list[str] = []
    real_fsync, real_syncfs, real_rename = os.fsync, store.syncfs, os.rename
    real_barrier = store.FolderReplica.barrier
    ingested_dir = case / "inbox" / "ingested"

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def syncfs(path: Path) -> bool:
        calls.append("syncfs")
        return real_syncfs(path)

    def rename(src, dst, *a, **k):
        if ingested_dir in Path(dst).parents:
            calls.append("move")
        return real_rename(src, dst, *a, **k)

    def barrier(self) -> None:
        calls.append("barrier")
        real_barrier(self)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(store, "syncfs", syncfs)
    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(store.FolderReplica, "barrier", barrier)
    with Case.open(case) as c, Pipeline(c, sandbox=False) as pipeline:
        pipeline.group.max_files = max_files
        before = len(calls)
        tasks = ingest_inbox(c, pipeline, max_wait=5)
        during = calls[before:]
    monkeypatch.undo()
    return {"outcomes": Counter(t.outcome for t in tasks), "calls": during}


def test_a_batch_takes_a_bounded_number_of_syncs_whatever_its_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = {}
    for n in (6, 30):
        case = new_case(tmp_path / f"case{n}", settle=0.0)
        files = _photos(case, n)
        run = _ingest_counting(case, max_files=1000, monkeypatch=monkeypatch)
        assert run["outcomes"] == {"settled": n}
        assert ingested(case) == sorted(files)
        calls = run["calls"]
        syncs = calls.count("fsync") + calls.count("syncfs")
        counts[n] = syncs
        # one batch of files, then one for the extractions still being read: one
        # barrier per replica each; every move after the first batch's two
        order = [c for c in calls if c in ("barrier", "move")]
        assert order == ["barrier"] * 2 + ["move"] * n + ["barrier"] * 2
    # five times the files, the same number of syncs: they are per batch, not per file
    assert counts[30] == counts[6], counts
    assert counts[30] <= 12, counts  # far below one per file (19 per file before)


def test_each_batch_is_durable_before_its_own_originals_move(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    files = _photos(case, 25)
    run = _ingest_counting(case, max_files=10, monkeypatch=monkeypatch)
    assert run["outcomes"] == {"settled": 25}
    calls = [c for c in run["calls"] if c in ("barrier", "move")]
    # batches of 10, 10 and 5: two barriers (the two replicas), then that batch's
    # moves; last the batch of extractions still being read (none moves)
    assert calls == ((["barrier"] * 2 + ["move"] * 10) * 2 + ["barrier"] * 2 + ["move"] * 5
                     + ["barrier"] * 2)
    assert ingested(case) == sorted(files)


def test_ingest_of_many_small_files_through_the_cli_keeps_every_record(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    files = _photos(case, 40)
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": 40}
    assert ingested(case) == sorted(files)
    assert not (case / "inbox" / "batch").exists()
    shas = {sha256(data) for data in files.values()}
    for name in ("a", "b"):
        assert set(stored_objects(replica(case, name))) == shas
        events = Counter(r["event"] for r in custody_records(replica(case, name)))
        assert events["received"] == 40
        assert events["settled"] == 40
        assert events["stored"] == 80  # one line per replica per file
        assert events["extracted"] == 40
    # both replicas hold the same log, line for line
    assert custody_records(replica(case, "a")) == custody_records(replica(case, "b"))
    s = status(case)
    assert s["counts"]["items"] == 40 and s["counts"]["receipts"] == 40
    assert s["index_up_to_date"] is True
    assert s["originals_still_in_inbox"] == []
    assert verify(case).returncode == 0


def test_a_replica_gone_before_its_barrier_does_not_count(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stick pulled out after the batch was written, before it was on its disk:
    its copies may be lost, so no original may leave the inbox on their account."""
    import intake.store as store
    from intake.case import Case
    from intake.ingest import Pipeline
    from intake.runner import ingest_inbox

    case = new_case(tmp_path / "case", settle=0.0)
    files = _photos(case, 5)
    b = replica(case, "b")
    real_barrier = store.FolderReplica.barrier

    def barrier(self) -> None:
        if self.name == "b" and b.is_dir():
            b.rename(b.with_name("b-unplugged"))
        real_barrier(self)

    monkeypatch.setattr(store.FolderReplica, "barrier", barrier)
    with Case.open(case) as c, Pipeline(c, sandbox=False) as pipeline:
        tasks = ingest_inbox(c, pipeline, max_wait=5)
        copies = {c.index.copies(sha256(d))[0] for d in files.values()}
        assert all(c.index.copies(sha256(d)) == ["a"] for d in files.values())
    monkeypatch.undo()
    assert copies == {"a"}
    assert Counter(t.outcome for t in tasks) == {"waiting": 5}
    assert ingested(case) == []
    assert all((case / "inbox" / rel).is_file() for rel in files)
    warned = [r for r in custody_records(replica(case, "a"))
              if r["event"] == "warned" and r.get("replica") == "b"]
    assert len(warned) == 1
    assert sorted(warned[0]["items"]) == sorted(sha256(d) for d in files.values())
    assert "could not be made durable" in warned[0]["reason"]
    # the stick is back: the next run makes its copies again and the originals move
    b.with_name("b-unplugged").rename(b)
    assert ingest(case)["outcomes"] == {"settled": 5}
    assert ingested(case) == sorted(files)
    assert verify(case).returncode == 0


def test_a_batch_reaches_the_index_in_one_commit_after_its_custody_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 7: the batch's index changes are one transaction, committed after the
    barrier wrote its custody lines; another reader (``intake status``) sees none of
    the batch before, all of it after, and the index's custody_seq is the log's."""
    import sqlite3

    import intake.custody_copies as custody_copies
    from intake.case import Case
    from intake.ingest import Pipeline

    case = new_case(tmp_path / "case", settle=0.0)
    files = _photos(case, 12)
    reader = sqlite3.connect(case / ".intake" / "index.sqlite")

    def seen() -> tuple[int, int]:
        return reader.execute("SELECT (SELECT count(*) FROM receipts), "
                              "(SELECT count(*) FROM items)").fetchone()

    appends: list[int] = []  # lines per append to a folder replica's log
    real_append = custody_copies.FolderLog.append

    def append(self, name: str, data: bytes) -> None:
        appends.append(data.count(b"\n"))
        real_append(self, name, data)

    monkeypatch.setattr(custody_copies.FolderLog, "append", append)
    with Case.open(case) as c, Pipeline(c, sandbox=False) as pipeline:
        pipeline.begin_batch()
        for rel in sorted(files):
            task = pipeline.process(case / "inbox" / rel, from_inbox=True)
            assert task.outcome == "stored"  # it settles after the barrier
        assert c.index.db.in_transaction
        assert c.index.copies(sha256(files["batch/p000.jpg"])) == ["a", "b"]  # this process
        assert seen() == (0, 0)  # another reader: nothing of the batch yet
        assert appends == []  # and no custody line of it on a disk
        moved = pipeline.commit_batch()
        assert [t.outcome for t in moved] == ["settled"] * 12
        assert seen() == (12, 12)
        assert not c.index.db.in_transaction
        assert int(c.index.state("custody_seq")) == c.log.seq
    monkeypatch.undo()
    # the batch's held lines went to each replica in one append (12 received, 24
    # stored, and the extractions recorded meanwhile), not one append per line
    assert appends[0] == appends[1] >= 12 + 24
    assert ingested(case) == sorted(files)
    assert verify(case).returncode == 0


def test_a_step_that_fails_inside_a_batch_undoes_only_its_own_index_changes(
        tmp_path: Path) -> None:
    from intake.index import Index

    idx = Index(tmp_path / "index.sqlite")
    batch = idx.begin_batch()
    assert batch is not None and idx.begin_batch() is None  # one batch at a time
    with idx.tx():
        idx.add_item("a" * 64, 10, "", "", "text/plain", "2024-03-01T10:00:00Z")
    with pytest.raises(RuntimeError), idx.tx():
        idx.add_item("b" * 64, 20, "", "", "text/plain", "2024-03-01T10:00:01Z")
        raise RuntimeError("the step failed half-way")
    with idx.tx():
        idx.set_state("custody_seq", "7")
    batch.__exit__(None, None, None)
    assert not idx.db.in_transaction
    idx.close()
    again = Index(tmp_path / "index.sqlite")
    assert again.all_items() == ["a" * 64]
    assert again.state("custody_seq") == "7"
    again.close()
