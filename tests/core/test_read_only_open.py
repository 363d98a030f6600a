"""Opening a case read-only (``status``, ``verify --chronology``, the web view) writes nothing.

Police and advisers look at a case while the watcher may hold it; a look
must leave every byte, name and time of the case folder as it was, even
when the index is behind the custody log and a writer would catch it up.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

from intake.case import Case
from tests.helpers import drop, ingest, new_case, ok, run_intake


def _snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under `folder`: mode, mtime in ns, and the SHA-256 of a file."""
    out: dict[str, tuple[int, int, str]] = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[str(path.relative_to(folder))] = (st.st_mode, st.st_mtime_ns, digest)
    return out


def test_opening_a_case_read_only_writes_nothing_even_with_the_index_behind(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    drop(case, "threat.txt", b"I know where you live\n")
    ingest(case)
    db = sqlite3.connect(case / ".intake" / "index.sqlite")  # one custody line behind, as
    with db:                                                 # after a crash before the index
        (seq,) = db.execute("SELECT value FROM state WHERE key='custody_seq'").fetchone()
        db.execute("UPDATE state SET value=? WHERE key='custody_seq'", (str(int(seq) - 1),))
    db.close()
    before = _snapshot(case)
    assert any(name.startswith(".intake") for name in before)

    with Case.open(case, write=False) as c:
        assert c.index.counts()["items"] == 1
    status = ok(run_intake("status", "--json", "--case", case))
    assert '"index_up_to_date": false' in status.stdout

    after = _snapshot(case)
    # SQLite's shared-memory sidecars: a reader of a WAL database makes them (empty of data)
    # in the cache folder; the index itself, the store and the inbox stay byte for byte.
    sidecars = {".intake", ".intake/index.sqlite-shm", ".intake/index.sqlite-wal"}
    assert (case / ".intake" / "index.sqlite-wal").stat().st_size == 0
    changed = sorted(k for k in before.keys() | after.keys()
                     if before.get(k) != after.get(k) and k not in sidecars)
    assert changed == [], f"a read-only look changed: {changed}"
    assert os.listdir(case / "inbox" / "ingested") == ["threat.txt"]
