"""3. Replicas that misbehave: unplugged then back, full, read-only, gone mid-write.

"Full", "read-only" and "gone mid-write" are made by a replica kind that an
adviser's plugin adds through the ``intake_storage_backends`` hook (the
documented way to add storage): a folder replica whose writes fail as a full
disk (ENOSPC), a read-only one (EROFS), or whose folder is moved away after a
given number of bytes (the USB stick pulled out during a copy). It needs no
root and no real device, so it runs everywhere.

Each time: the pipeline does not crash, nothing is lost (an original leaves
the inbox only when min_copies replicas hold a verified copy), the reason is
in ``intake status``, and once the replica is healthy again one run brings it
up to date and ``intake verify`` passes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import (
    add_config,
    check_nothing_lost,
    copy_into_inbox,
    custody_lines,
    ingest,
    leftovers,
    new_case,
    ok,
    pick,
    replica,
    set_config,
    size,
    status,
    verify,
)

FLAKY = '''
"""A folder replica that fails on command (for the reliability tests)."""
import errno, json, os
from pathlib import Path
from intake import hookimpl
from intake.store import FolderReplica

__version__ = "1.0"


class _Counting:
    def __init__(self, f, rep):
        self.f, self.rep = f, rep

    def write(self, data):
        self.rep._spend(len(data))
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


class FlakyReplica(FolderReplica):
    def _control(self):
        try:
            return json.loads(Path(self.options["control"]).read_text())
        except (OSError, ValueError):
            return {"mode": "ok"}

    def _spend(self, n):
        c = self._control()
        mode = c.get("mode", "ok")
        if mode == "readonly":
            raise OSError(errno.EROFS, "Read-only file system")
        if mode in ("full", "vanish"):
            left = c.get("budget", 0) - n
            if left < 0:
                if mode == "vanish" and self.root.is_dir():
                    os.rename(self.root, str(self.root) + ".pulled-out")
                    raise OSError(errno.EIO, "Input/output error")
                raise OSError(errno.ENOSPC, "No space left on device")
            c["budget"] = left
            Path(self.options["control"]).write_text(json.dumps(c))

    def temp_file(self):
        self._spend(0)
        path, f = super().temp_file()
        return path, _Counting(f, self)

    def _atomic_write(self, path, data):
        self._spend(len(data))
        return super()._atomic_write(path, data)


@hookimpl
def intake_storage_backends():
    return {"flaky": FlakyReplica}
'''


def flaky_case(tmp_path: Path, mode: str, budget: int = 0) -> tuple[Path, Path, Path]:
    """A case with replicas a (folder) and c (flaky, outside the case); min_copies = 2."""
    case = new_case(tmp_path / "case")
    plugins = case / "plugins.local"
    plugins.mkdir()
    (plugins / "flaky.py").write_text(FLAKY, encoding="utf-8")
    control = tmp_path / "control.json"
    control.write_text(json.dumps({"mode": "ok"}))
    root = tmp_path / "usb" / "intake-store"
    root.mkdir(parents=True)
    set_config(case, 'name = "b"\npath = "store/b"',
               f'name = "c"\nkind = "flaky"\npath = "{root}"\noptions = {{ control = "{control}" }}')
    set_config(case, "folders = []", 'folders = ["plugins.local"]')
    ingest(case)  # a writer: the replica marker and the log of c, while it is healthy
    ok(verify(case))
    control.write_text(json.dumps({"mode": mode, "budget": budget}))
    return case, root, control


def _settle_all(case: Path, dropped: dict[str, str], replicas: tuple[str, ...]) -> dict:
    answer = ingest(case, timeout=300)
    s = status(case)
    assert s["originals_still_in_inbox"] == [] and s["files_not_taken"] == [], s
    check_nothing_lost(case, dropped, replicas=replicas)
    ok(verify(case))
    return answer


@pytest.mark.parametrize("mode,reason", [("full", "the replica is full"),
                                         ("readonly", "the replica is read-only")])
def test_full_or_read_only_replica(tmp_path: Path, corpus: Path, mode: str, reason: str,
                                   figures) -> None:
    budget = 20_000 if mode == "full" else 0
    case, root, control = flaky_case(tmp_path, mode, budget)
    # replica c is outside the case folder: name it by its path in the checks below
    rep_c = root
    dropped = copy_into_inbox(case, corpus, pick(corpus, size(6, 30)))
    answer = ingest(case, timeout=300)
    outcomes = {r["source"]: r["outcome"] for r in answer["results"]}
    waiting = sorted(s for s, o in outcomes.items() if o == "waiting")
    assert waiting, "the replica took everything: nothing was tested"
    assert set(outcomes.values()) <= {"settled", "waiting"}, outcomes
    s = status(case)
    assert sorted(s["originals_still_in_inbox"]) == waiting
    for p in s["files_not_taken"]:
        assert f"replica c: {reason}" in p["reason"], p
    # nothing lost: every original is in the inbox or held by both replicas
    for rel, sha in dropped.items():
        in_inbox = (case / "inbox" / rel).is_file()
        in_c = (rep_c / "objects" / sha[:2] / sha).is_file()
        in_a = (replica(case, "a") / "objects" / sha[:2] / sha).is_file()
        assert in_a, rel
        assert in_inbox or in_c, f"{rel} left the inbox with one copy"
    assert leftovers(case) == [] and not list((rep_c / "tmp").glob("*"))
    # space freed / write access back: one more run finishes everything
    control.write_text(json.dumps({"mode": "ok"}))
    _check_after_recovery(case, rep_c, dropped)
    figures(mode=mode, files=len(dropped), waited_for_the_replica=len(waiting), lost=0)


def _check_after_recovery(case: Path, rep_c: Path, dropped: dict[str, str]) -> None:
    ingest(case, timeout=300)
    s = status(case)
    assert s["originals_still_in_inbox"] == [] and s["files_not_taken"] == [], s
    for rel, sha in dropped.items():
        assert not (case / "inbox" / rel).exists()
        for base in (replica(case, "a"), rep_c):
            path = base / "objects" / sha[:2] / sha
            assert path.is_file() and path.read_bytes() == (case / "inbox" / "ingested" /
                                                            rel).read_bytes()
    assert custody_lines(replica(case, "a")) == custody_lines(rep_c)
    ok(verify(case))


def test_replica_pulled_out_mid_write(tmp_path: Path, corpus: Path, figures) -> None:
    case, root, control = flaky_case(tmp_path, "vanish", budget=20_000)
    dropped = copy_into_inbox(case, corpus, pick(corpus, size(6, 30)))
    answer = ingest(case, timeout=300)
    assert not root.exists(), "the pulled-out replica's folder was made again on the disk"
    pulled = Path(str(root) + ".pulled-out")
    assert pulled.is_dir()
    outcomes = {r["source"]: r["outcome"] for r in answer["results"]}
    assert "waiting" in outcomes.values(), outcomes
    for rel, sha in dropped.items():
        in_inbox = (case / "inbox" / rel).is_file()
        in_c = (pulled / "objects" / sha[:2] / sha).is_file()
        assert in_inbox or in_c, f"{rel} left the inbox while only one replica held it"
    s = status(case)
    c = next(r for r in s["replicas"] if r["name"] == "c")
    assert not c["available"], c
    # plugged back in: one run finishes the copies and the log, cleans the half-written copy
    control.write_text(json.dumps({"mode": "ok"}))
    pulled.rename(root)
    _check_after_recovery(case, root, dropped)
    assert not list((root / "tmp").glob("*"))
    figures(files=len(dropped), waited=sum(o == "waiting" for o in outcomes.values()), lost=0)


def test_unplugged_then_back(tmp_path: Path, corpus: Path, figures) -> None:
    """A real folder replica (a USB stick) absent for one run, then back."""
    case = new_case(tmp_path / "case")
    usb = tmp_path / "media" / "stick" / "intake-store"
    add_config(case, f'[[replicas]]\nname = "usb"\npath = "{usb}"\n')
    usb.mkdir(parents=True)
    files = pick(corpus, 12)
    first = copy_into_inbox(case, corpus, files[:6])
    ingest(case, timeout=300)
    shutil.move(usb, tmp_path / "elsewhere")  # unplugged
    second = copy_into_inbox(case, corpus, files[6:])
    ingest(case, timeout=300)  # min_copies = 2: a and b are enough
    assert not usb.exists()
    s = status(case)
    assert {w["sha256"] for w in s["waiting_for_copies"]} >= set(second.values())
    shutil.move(tmp_path / "elsewhere", usb)  # back
    dropped = {**first, **second}
    _settle_all(case, dropped, ("a", "b"))
    for sha in dropped.values():
        assert (usb / "objects" / sha[:2] / sha).is_file()
    assert custody_lines(usb) == custody_lines(replica(case, "a"))
    assert status(case)["waiting_for_copies"] == []
    figures(files=len(dropped), caught_up_after_plug_in=len(set(second.values())), lost=0)
