"""1. Crash consistency: kill -9 at random moments, and at every write the pipeline makes.

Two complementary attacks:

- ``intake watch`` as a real process, fed corpus files and killed with
  SIGKILL at random moments (10 kills bounded, 100+ full), restarted each
  time; when the kills are done a last watcher finishes the inbox.
- a crash injected at *every* write point of one ingest (before and after each
  metadata write, object commit, custody append, index commit and the move
  to ``ingested/``): the process ends with ``os._exit`` there, as with
  ``kill -9``; then a normal run finishes. Random kills rarely hit the narrow
  windows; this walks through all of them.

After each: every dropped file is in min_copies replicas (here all) or still
in the inbox, no object is corrupt, no temporary file is left, ``verify``
passes and each drop has exactly one receipt.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
import traceback
from pathlib import Path

from tests.helpers import (
    FULL,
    check_nothing_lost,
    copy_into_inbox,
    custody_records,
    drop,
    ingested,
    make_jpeg,
    make_mail,
    new_case,
    ok,
    pick,
    replica,
    set_config,
    size,
    start_watch,
    status,
    stored_objects,
    verify,
    wait_for,
)


def _inbox_files(case: Path) -> list[Path]:
    """Files still in the inbox. os.walk, not rglob: the watcher removes emptied folders
    while we look, and rglob stops with FileNotFoundError when a folder goes mid-walk."""
    inbox = case / "inbox"
    found = []
    for folder, dirs, names in os.walk(inbox):
        if Path(folder) == inbox and "ingested" in dirs:
            dirs.remove("ingested")
        found += [Path(folder) / n for n in names if (Path(folder) / n).is_file()]
    return found


def test_kill_9_the_watcher_at_random_moments(corpus: Path, tmp_path: Path, figures) -> None:
    rng = random.Random(20240301)
    kills_wanted = size(10, 100)
    case = new_case(tmp_path / "case")
    log = tmp_path / "watch.log"
    files = pick(corpus, size(16, None))
    dropped: dict[str, str] = {}
    groups: list[int] = []
    rounds = 0

    def new_round() -> None:
        nonlocal rounds
        rounds += 1
        # the same corpus again under another folder: new drops of known bytes
        dropped.update(copy_into_inbox(case, corpus, files, prefix=f"round{rounds}/"))

    new_round()
    kills = busy_kills = 0
    try:
        while kills < kills_wanted:
            if not _inbox_files(case):
                new_round()
            proc = start_watch(case, log, new_session=True)
            groups.append(proc.pid)
            time.sleep(rng.uniform(0.05, 2.0 if FULL else 1.6))
            busy_kills += bool(_inbox_files(case))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            kills += 1
        proc = start_watch(case, log, new_session=True)
        groups.append(proc.pid)
        wait_for(lambda: not _inbox_files(case), size(120, 900), poll=0.2,
                 what="the last watcher to finish the inbox")
        wait_for(lambda: len(ingested(case)) == len(dropped), 30, what="every drop settled")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text(encoding="utf-8", errors="replace")[-3000:]
    finally:
        for pgid in groups:  # the watchers and their plugin workers, by group id
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    out = check_nothing_lost(case, dropped)
    ok(verify(case))
    s = status(case)
    assert s["originals_still_in_inbox"] == [], s["originals_still_in_inbox"]
    assert s["files_not_taken"] == []
    assert s["counts"]["receipts"] == len(dropped)
    assert s["index_up_to_date"]
    figures(kills=kills, kills_while_files_waited=busy_kills, drops=len(dropped),
            rounds=rounds, items=s["counts"]["items"], lost=0, **{"objects": out["objects"]})


# --- a crash at every write point -------------------------------------------------------


def _mail_with_attachment() -> bytes:
    door = make_jpeg(color=(10, 200, 10), exif_time="2024:03:01 20:00:00")
    return make_mail(subject="je weet waar je woont", message_id="<crash-1@example.org>",
                     attachments=(("door.jpg", door, "image/jpeg"),))


def _template(tmp_path: Path, extra: int = 0) -> tuple[Path, dict[str, str]]:
    case = new_case(tmp_path / "template")
    set_config(case, "settle_seconds = 0.2", "settle_seconds = 0.0")
    import hashlib

    contents = {
        "note.txt": b"He stood at the school gate at 8:10 again.\n",
        "photos/car.jpg": make_jpeg(exif_time="2024:02:28 07:45:00"),
        "mail/threat.eml": _mail_with_attachment(),
        "copy of note.txt": b"He stood at the school gate at 8:10 again.\n",  # same bytes
    }
    for i in range(extra):
        contents[f"more/log{i}.txt"] = f"entry {i}\n".encode() * (i + 1)
    for rel, data in contents.items():
        drop(case, rel, data)
    return case, {rel: hashlib.sha256(data).hexdigest() for rel, data in contents.items()}


_WRITES = (
    ("intake.store", "FolderReplica", "_atomic_write"),
    ("intake.store", "FolderReplica", "commit_object"),
    ("intake.store", "FolderReplica", "temp_file"),
    ("intake.store", "FolderReplica", "put_object"),
    ("intake.custody_copies", "FolderLog", "append_stream"),
    ("intake.custody_copies", "FolderLog", "append"),
    ("intake.custody_copies", "FolderLog", "flush"),
    # the group commit's barrier: before it, a batch is written but not durable
    ("intake.store", "FolderReplica", "barrier"),
    ("intake.index", "_Tx", "__exit__"),
    ("os", None, "rename"),
)


def _child(case: Path, crash_at: int | None, report: Path) -> None:
    """In a forked child: ingest the inbox, ending abruptly at write point `crash_at`."""
    import importlib

    count = [0]
    names: list[str] = []  # what each write point is ("before barrier", ...)

    def point(name: str) -> None:
        count[0] += 1
        names.append(name)
        if crash_at is not None and count[0] == crash_at:
            os._exit(137)  # no clean-up, no flush: as kill -9

    def wrap(fn):
        def wrapper(*a, **k):
            point(f"before {fn.__name__}")
            result = fn(*a, **k)
            point(f"after {fn.__name__}")
            return result
        return wrapper

    try:
        for module, cls, name in _WRITES:
            owner = importlib.import_module(module)
            if cls:
                owner = getattr(owner, cls)
            setattr(owner, name, wrap(getattr(owner, name)))
        from intake.case import Case
        from intake.ingest import Pipeline
        from intake.runner import ingest_inbox

        with Case.open(case) as c, Pipeline(c, sandbox=False) as pipeline:
            tasks = ingest_inbox(c, pipeline, max_wait=5)
        report.write_text(json.dumps({"points": count[0], "names": names,
                                      "outcomes": sorted(t.outcome for t in tasks)}))
        os._exit(0)
    except BaseException:
        report.write_text(json.dumps({"error": traceback.format_exc()}))
        os._exit(1)


def _run(case: Path, crash_at: int | None, report: Path) -> dict:
    report.unlink(missing_ok=True)
    pid = os.fork()
    if pid == 0:
        _child(case, crash_at, report)
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    if code == 137:
        return {"crashed": True}
    data = json.loads(report.read_text())
    assert code == 0 and "error" not in data, data.get("error")
    return data


def _verify_in_process(case: Path) -> list[str]:
    from intake.case import Case
    from intake.checks import status as get_status
    from intake.checks import verify as run_verify

    with Case.open(case, write=False) as c:
        problems, _ = run_verify(c)
        s = get_status(c)
    return [p.message for p in problems] + [f"still in inbox: {x}"
                                            for x in s["originals_still_in_inbox"]] + \
        [f"not taken: {x['source']}" for x in s["files_not_taken"]]


def test_crash_at_every_write_point(tmp_path: Path, figures) -> None:
    template, dropped = _template(tmp_path, extra=size(0, 6))
    report = tmp_path / "report.json"
    dry = tmp_path / "dry"
    shutil.copytree(template, dry, symlinks=True)
    total = _run(dry, None, report)["points"]
    assert total > 50, total
    check_nothing_lost(dry, dropped)
    points = list(range(1, total + 1))
    if not FULL:  # bounded: an even spread over the run, plus the last few
        step = max(1, total // 25)
        points = sorted(set(points[::step]) | set(points[-3:]))
    rng = random.Random(7)
    double = 0
    for n in points:
        case = tmp_path / f"crash{n}"
        shutil.copytree(template, case, symlinks=True)
        assert _run(case, n, report) == {"crashed": True}, f"write point {n} was not reached"
        if FULL and rng.random() < 0.3:  # crash the recovery too
            double += _run(case, rng.randint(1, total), report).get("crashed", False)
        _run(case, None, report)
        try:
            check_nothing_lost(case, dropped)
            assert _verify_in_process(case) == []
        except AssertionError as exc:
            raise AssertionError(f"after a crash at write point {n} of {total}: {exc}") from exc
        shutil.rmtree(case)
    figures(write_points=total, crashes=len(points), crashes_in_recovery=double, lost=0)


def test_crash_between_written_and_barrier_keeps_every_original_in_the_inbox(
        tmp_path: Path) -> None:
    """Group commit (issue 19): a batch's objects, metadata files and receipts are
    written, its barrier not reached. Nothing may have left the inbox, no custody
    line of the batch is on disk yet, and the next run finishes every drop."""
    template, dropped = _template(tmp_path)
    report = tmp_path / "report.json"
    dry = tmp_path / "dry"
    shutil.copytree(template, dry, symlinks=True)
    names = _run(dry, None, report)["names"]
    first_barrier = names.index("before barrier") + 1  # 1-based write point
    moves = [i for i, n in enumerate(names, 1) if n == "before rename"]
    # the point is after every write of the batch and before any original moves
    assert "after commit_object" in names[:first_barrier - 1]
    assert "after _atomic_write" in names[:first_barrier - 1]
    assert moves and moves[0] > first_barrier
    case = tmp_path / "crash"
    shutil.copytree(template, case, symlinks=True)
    assert _run(case, first_barrier, report) == {"crashed": True}
    for rel in dropped:
        assert (case / "inbox" / rel).is_file(), f"{rel} left the inbox before the barrier"
    assert ingested(case) == []
    # the batch was written: the objects are in both replicas already ...
    for name in ("a", "b"):
        objects = stored_objects(replica(case, name))
        assert set(dropped.values()) <= set(objects), name
        # ... but its custody lines were held for the barrier: only the case's own
        lines = custody_records(replica(case, name))
        assert [r["event"] for r in lines if r["event"] in ("stored", "received")] == []
    _run(case, None, report)
    check_nothing_lost(case, dropped)
    assert _verify_in_process(case) == []
    received = [r for r in custody_records(replica(case, "a")) if r["event"] == "received"]
    assert sorted(r["source"] for r in received) == sorted(f"inbox/{rel}" for rel in dropped)
    assert ingested(case) == sorted(dropped)


def test_kill_right_after_the_move_is_settled_on_restart(tmp_path: Path) -> None:
    """The narrowest window: the original moved to ingested/, its "settled" line not written."""
    template, dropped = _template(tmp_path)
    report = tmp_path / "report.json"
    # find the write point just after the first rename (the move of an original)
    import importlib

    seen: list[int] = []
    count = [0]
    pid = os.fork()
    if pid == 0:
        try:
            orig = os.rename

            def rename(*a, **k):
                count[0] += 1
                orig(*a, **k)
                report.write_text(json.dumps({"first_move_ends_at": None}))
                os._exit(137)

            os.rename = rename
            importlib.import_module("intake.ingest")
            from intake.case import Case
            from intake.ingest import Pipeline
            from intake.runner import ingest_inbox

            with Case.open(template) as c, Pipeline(c, sandbox=False) as p:
                ingest_inbox(c, p, max_wait=5)
        finally:
            os._exit(1)
    _, st = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(st) == 137
    assert ingested(template), "the first original was not moved"
    seen.append(1)
    s = status(template)
    _run(template, None, report)
    check_nothing_lost(template, dropped)
    s = status(template)
    assert s["originals_still_in_inbox"] == []
    ok(verify(template))
