"""A big file's copies are re-read from the disk segment by segment while they are
written (``intake.put._ReadBack``), through the real CLI.

The segment size is made small (``INTAKE_COPY_SEGMENT``, 1 MiB) so a 5.5 MiB
file spans six segments. A ``sitecustomize`` on the CLI's PYTHONPATH records
every ``intake.files.sync_file_range`` call (file, offset, length): that is how a test
sees which path was taken, the pipelined one (a call per segment and copy)
or the whole-file re-read at commit (``intake.files.sha256_from_disk``, as
where the system has no ``sync_file_range``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from intake.files import has_sync_file_range
from tests.helpers import (
    drop,
    new_case,
    ok,
    replica,
    run_intake,
    set_config,
    status,
    stored_objects,
)

MiB = 1 << 20
SIZE = 5 * MiB + MiB // 2  # six segments of 1 MiB, the last one half full

RECORDER = '''
import json, os
import intake.files, intake.store
_log = {log!r}
_real_push = intake.files.sync_file_range
_real_whole = intake.store.sha256_from_disk

def _note(*what):
    with open(_log, "a") as f:
        f.write(json.dumps(what) + "\\n")

def _push(fd, offset, nbytes, wait=True):
    _note("push" if wait else "start", os.readlink(f"/proc/self/fd/{{fd}}"), offset, nbytes)
    return _real_push(fd, offset, nbytes, wait)

def _whole(path):
    _note("whole", str(path), 0, 0)
    return _real_whole(path)

intake.files.sync_file_range = _push
intake.store.sha256_from_disk = _whole
if {no_push!r}:  # as on a system without sync_file_range (macOS, old C library)
    intake.files.has_sync_file_range = lambda: False
'''

# a replica kind whose writes reach the disk damaged: one byte flipped in the
# fourth mebibyte, as failing media or a bad cable would (the lowest layer: the
# copy's file object); everything else is the real folder replica
BAD_DISK = '''
"""A folder replica whose disk changes one byte of what is written."""
from intake import hookimpl
from intake.store import FolderReplica

__version__ = "1.0"
FLIP_AT = 3 * 1024 * 1024 + 17


class _Flipping:
    def __init__(self, f):
        self.f, self.pos = f, 0

    def write(self, data):
        data = bytes(data)
        if self.pos <= FLIP_AT < self.pos + len(data):
            i = FLIP_AT - self.pos
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        self.pos += len(data)
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


class BadDisk(FolderReplica):
    def temp_file(self):
        path, f = super().temp_file()
        return path, _Flipping(f)


@hookimpl
def intake_storage_backends():
    return {"baddisk": BadDisk}
'''


def _recording_env(tmp_path: Path, no_push: bool = False) -> tuple[dict[str, str], Path]:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    log = tmp_path / "calls.jsonl"
    (hooks / "sitecustomize.py").write_text(RECORDER.format(log=str(log), no_push=no_push),
                                            encoding="utf-8")
    path = os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "INTAKE_COPY_SEGMENT": str(MiB)}, log


def _calls(log: Path, kind: str) -> list[tuple[str, int, int]]:
    """The recorded calls of one kind: "start" (a segment's writing started), "push"
    (waited for, then re-read) or "whole" (a whole-file re-read at commit)."""
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return [(path, offset, n) for k, path, offset, n in lines if k == kind]


def _parts(calls: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    return [c for c in calls if c[0].endswith(".part")]  # the temporary copies of objects


def _ingest(case: Path, env: dict[str, str]) -> dict:
    proc = ok(run_intake("ingest", "--json", "--in-process", "--case", case, env=env))
    return json.loads(proc.stdout)


@pytest.mark.skipif(not has_sync_file_range() or not hasattr(os, "O_DIRECT"),
                    reason="sync_file_range and O_DIRECT are Linux's")
def test_big_file_copies_are_reread_segment_by_segment(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    data = os.urandom(SIZE)
    sha = hashlib.sha256(data).hexdigest()
    drop(case, "video.mp4", data)
    env, log = _recording_env(tmp_path)
    answer = _ingest(case, env)
    assert answer["outcomes"] == {"settled": 1}, answer
    for name in ("a", "b"):
        copy = stored_objects(replica(case, name))[sha]
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == sha
    # the pipelined path: each copy pushed to the disk in six segments, in order
    assert _parts(_calls(log, "whole")) == []  # no second, whole-file re-read
    calls = _calls(log, "push")
    by_copy: dict[str, list[tuple[int, int]]] = {}
    for path, offset, nbytes in calls:
        by_copy.setdefault(path, []).append((offset, nbytes))
    assert sorted(Path(p).parent.parent.name for p in by_copy) == ["a", "b"], by_copy
    segments = [(i * MiB, MiB) for i in range(5)] + [(5 * MiB, MiB // 2)]
    for ranges in by_copy.values():
        assert ranges == segments
    # each segment's writing was started as soon as it was written, before the wait
    started: dict[str, list[tuple[int, int]]] = {}
    for path, offset, nbytes in _calls(log, "start"):
        started.setdefault(path, []).append((offset, nbytes))
    assert started == {path: segments for path in by_copy}
    assert (case / "inbox" / "ingested" / "video.mp4").read_bytes() == data


def test_a_copy_damaged_on_its_way_to_the_disk_is_refused(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case", settle=0.0)
    plugins = case / "plugins.local"
    plugins.mkdir()
    (plugins / "baddisk.py").write_text(BAD_DISK, encoding="utf-8")
    bad = tmp_path / "usb" / "intake-store"
    bad.mkdir(parents=True)
    set_config(case, 'name = "b"\npath = "store/b"', f'name = "b"\nkind = "baddisk"\npath = "{bad}"')
    set_config(case, "folders = []", 'folders = ["plugins.local"]')
    data = os.urandom(SIZE)
    sha = hashlib.sha256(data).hexdigest()
    drop(case, "video.mp4", data)
    env, log = _recording_env(tmp_path)
    answer = _ingest(case, env)
    result = answer["results"][0]
    assert result["outcome"] == "waiting", answer
    assert "replica b" in result["reason"] and "differs" in result["reason"], result
    # the original stays in the inbox, byte for byte; the good replica holds a copy,
    # the bad one none (its damaged temporary copy is gone)
    assert (case / "inbox" / "video.mp4").read_bytes() == data
    assert list(stored_objects(replica(case, "a"))) == [sha]
    assert stored_objects(bad) == {}
    assert list((bad / "tmp").glob("*")) == []
    s = status(case)
    assert s["originals_still_in_inbox"] == ["inbox/video.mp4"], s
    # it was the pipelined re-read that caught it (the bad copy's segments were pushed)
    assert any(Path(p).is_relative_to(bad) or str(bad) in p for p, _o, _n in _calls(log, "push"))
    # the plain reason, in the case's language (Dutch by default), no traceback
    human = run_intake("ingest", "--case", case, env=env)
    assert "Traceback" not in human.stderr
    assert "inbox/video.mp4: 1 van de 2 kopieën gemaakt; het bestand blijft in de inbox" \
        in human.stdout, human.stdout


def test_without_sync_file_range_the_copies_are_reread_whole(tmp_path: Path) -> None:
    # the path of macOS and Windows (and of tmpfs on kernels that refuse O_DIRECT):
    # no segment is pushed; each copy is re-read whole from the disk at commit
    case = new_case(tmp_path / "case", settle=0.0)
    data = os.urandom(SIZE)
    sha = hashlib.sha256(data).hexdigest()
    drop(case, "video.mp4", data)
    env, log = _recording_env(tmp_path, no_push=True)
    answer = _ingest(case, env)
    assert answer["outcomes"] == {"settled": 1}, answer
    assert _calls(log, "push") == [] and _calls(log, "start") == []
    wholes = _parts(_calls(log, "whole"))
    assert sorted(Path(p).parent.parent.name for p, _o, _n in wholes) == ["a", "b"], wholes
    for name in ("a", "b"):
        copy = stored_objects(replica(case, name))[sha]
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == sha


class _OddReads:
    """A source whose reads return pieces of 700,000 bytes (a pipe or a network
    file system can): segments then end only where the bytes are page-aligned."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, _n: int) -> bytes:
        piece = self.data[self.pos:self.pos + 700_000]
        self.pos += len(piece)
        return piece


@pytest.mark.skipif(not has_sync_file_range() or not hasattr(os, "O_DIRECT"),
                    reason="sync_file_range and O_DIRECT are Linux's")
def test_segments_of_uneven_reads_are_compared_whole(tmp_path: Path, monkeypatch) -> None:
    from intake import put
    from intake.store import FolderReplica

    monkeypatch.setattr(put, "SEGMENT", MiB)
    reps = [FolderReplica(name, tmp_path / name) for name in ("a", "b")]
    for rep in reps:
        rep.open("case-1", create=True)
    data = os.urandom(3 * MiB + 12_345)
    sha = hashlib.sha256(data).hexdigest()
    result = put.put_stream(_OddReads(data), reps)
    # every byte re-read while written, in both copies: they carry the source's SHA-256
    assert result.reread == {"a": sha, "b": sha}
    put.commit(result)
    assert result.stored == ["a", "b"] and result.failed == {}
    for rep in reps:
        assert (tmp_path / rep.name / "objects" / sha[:2] / sha).read_bytes() == data
