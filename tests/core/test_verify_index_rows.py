"""`intake verify` names every index row that is not what the verified evidence says.

The comparison runs in SQLite (the verified facts attached to the index's
connection, rows matched by key): each table gets a row changed, one removed
and one forged, and each must come back worded as before, with the column, the
index's value and the evidence's. Through the real CLI, on a case made in code.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import drop, ingest, make_mail, new_case, ok, run_intake

ATTACHED = b"de foto die hij stuurde\n"
MAIL = make_mail(message_id="<rows-1@example.org>", body="Ik stond om acht uur aan je deur.\n",
                 attachments=(("bericht.txt", ATTACHED, "text/plain"),))
MAIL_SHA = hashlib.sha256(MAIL).hexdigest()
PART_SHA = hashlib.sha256(ATTACHED).hexdigest()
FORGED = "f" * 64


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = new_case(tmp_path_factory.mktemp("rows") / "case")
    drop(case, "mail.eml", MAIL)
    drop(case, "note.txt", b"een notitie\n")
    ingest(case)
    ok(run_intake("verify", "--case", case))
    return case


@pytest.fixture
def case(made: Path, tmp_path: Path) -> Path:
    """A copy of the clean case, its index edited by each test alone."""
    import shutil

    copy = tmp_path / "case"
    shutil.copytree(made, copy, symlinks=True)
    return copy


def _edit(case: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    with db:
        for sql, args in statements:
            assert db.execute(sql, args).rowcount == 1, sql
    db.close()


def _index_problems(case: Path) -> list[dict[str, Any]]:
    proc = run_intake("verify", "--case", case, "--json")
    assert proc.returncode != 0, proc.stdout
    found = json.loads(proc.stdout)["problems"]
    assert all(p["what"] == "index" for p in found), found
    return found


def _one(case: Path) -> tuple[str, str]:
    (p,) = _index_problems(case)
    return p["sha256"], p["message"]


def test_a_changed_value_in_each_table_is_named_with_both_values(case: Path) -> None:
    _edit(case,
          ("UPDATE items SET mime='image/png' WHERE sha256=?", (MAIL_SHA,)),
          ("UPDATE receipts SET name='anders.eml' WHERE sha256=?", (MAIL_SHA,)),
          ("UPDATE origins SET relation='forged' WHERE sha256=?", (PART_SHA,)),
          ("UPDATE events SET kind='call' WHERE sha256=? AND n=0", (MAIL_SHA,)),
          ("UPDATE meta_files SET sha256=? WHERE path LIKE ?", (FORGED, f"%/{MAIL_SHA}/item.json")))
    found = {p["message"].split(" differs ")[0]: (p["sha256"], p["message"])
             for p in _index_problems(case)}
    receipt = next(k for k in found if k.startswith("the index's receipt "))
    assert found[receipt][0] == MAIL_SHA
    assert "name (index: 'anders.eml', evidence: 'mail.eml')" in found[receipt][1]
    item = next(k for k in found if k.startswith("the index's item of item "))
    assert "mime (index: 'image/png', evidence: 'message/rfc822')" in found[item][1]
    origin = next(k for k in found if k.startswith("the index's origin of item "))
    assert found[origin][0] == PART_SHA and f"({MAIL_SHA}/" in origin
    assert "relation (index: 'forged', evidence: 'attachment')" in found[origin][1]
    event = next(k for k in found if k.startswith("the index's event of item "))
    assert event.endswith("(0)") and found[event][0] == MAIL_SHA
    assert "kind (index: 'call', evidence: 'email')" in found[event][1]
    meta = next(k for k in found if "expected hash of meta/" in k)
    assert found[meta][0] == MAIL_SHA and meta.endswith(f"/{MAIL_SHA}/item.json")
    assert f"sha256 (index: '{FORGED}'" in found[meta][1]
    assert len(found) == 5, found


def test_an_extraction_edited_inside_its_json_is_named_by_path(case: Path) -> None:
    _edit(case, ("UPDATE extractions SET data = json_set(data, '$.events[0].facts.subject', "
                 "'iets anders') WHERE sha256=?", (MAIL_SHA,)))
    sha, words = _one(case)
    assert sha == MAIL_SHA
    assert words.startswith(f"the index's extraction of item {MAIL_SHA[:12]}… (mail.eml) differs")
    assert "data (events[0].facts.subject)" in words


def test_an_extraction_written_otherwise_with_the_same_values_is_no_problem(case: Path) -> None:
    # what an earlier version (json.dumps with spaces) or SQLite wrote: same values
    _edit(case, ("UPDATE extractions SET data = json(data) || ' ' WHERE sha256=?", (MAIL_SHA,)))
    ok(run_intake("verify", "--case", case))


def test_the_same_bytes_as_a_blob_instead_of_text_is_a_difference(case: Path) -> None:
    _edit(case, ("UPDATE items SET mime=CAST(mime AS BLOB) WHERE sha256=?", (MAIL_SHA,)))
    sha, words = _one(case)
    assert sha == MAIL_SHA
    assert "mime (index: b'message/rfc822', evidence: 'message/rfc822')" in words


def test_a_removed_row_of_each_table_is_named_as_lacking(case: Path) -> None:
    _edit(case,
          ("DELETE FROM items WHERE sha256=?", (MAIL_SHA,)),
          ("DELETE FROM origins WHERE sha256=?", (PART_SHA,)),
          ("DELETE FROM extractions WHERE sha256=?", (PART_SHA,)),
          ("DELETE FROM events WHERE sha256=? AND n=0", (MAIL_SHA,)),
          ("DELETE FROM meta_files WHERE path LIKE ?", (f"%/{PART_SHA}/item.json",)))
    words = sorted(p["message"].removesuffix("; run 'intake reindex'")
                   for p in _index_problems(case))
    assert f"the index lacks the item of item {MAIL_SHA[:12]}… (mail.eml)" in words
    assert any(w.startswith(f"the index lacks the origin of item {PART_SHA[:12]}… (")
               and f"({MAIL_SHA}/" in w for w in words), words
    assert any(w.startswith(f"the index lacks the extraction of item {PART_SHA[:12]}…")
               for w in words), words
    assert f"the index lacks the event of item {MAIL_SHA[:12]}… (mail.eml) (0)" in words
    assert any(w.startswith("the index lacks the the expected hash of meta/")
               and w.endswith(f"/{PART_SHA}/item.json") for w in words), words
    assert len(words) == 5, words


def test_a_forged_row_of_each_table_is_named_as_not_in_the_evidence(case: Path) -> None:
    _edit(case,
          ("INSERT INTO receipts SELECT 'vals', sha256, received_at, source, 'vals.eml', size, "
           "mtime_ns, fs_times, settled_to FROM receipts WHERE sha256=?", (MAIL_SHA,)),
          ("INSERT INTO origins VALUES (?, ?, 'attachment', 'vals.txt', 'k', 7)",
           (PART_SHA, MAIL_SHA)),
          ("INSERT INTO events VALUES (?, 99, 'message', '2020-01-01T00:00:00Z')", (MAIL_SHA,)),
          ("INSERT INTO overrides VALUES (?, 'k', '{}')", (MAIL_SHA,)),
          ("INSERT INTO curation VALUES (999, 'r', '{}')", ()),
          ("INSERT INTO meta_files VALUES ('00/vals/item.json', ?)", (FORGED,)))
    words = [p["message"].split(" that the verified")[0] for p in _index_problems(case)]
    assert f"the index holds a receipt vals of item {MAIL_SHA[:12]}… (mail.eml)" in words
    assert f"the index holds a origin of item {PART_SHA[:12]}… (bericht.txt) " \
           f"({MAIL_SHA}/7)" in words
    assert f"the index holds a event of item {MAIL_SHA[:12]}… (mail.eml) (99)" in words
    assert f"the index holds a adviser's decision of item {MAIL_SHA[:12]}… (mail.eml) (k)" \
        in words
    assert "the index holds a adviser's curation record at custody line 999" in words
    assert "the index holds a the expected hash of meta/00/vals/item.json" in words
    assert len(words) == 6, words


def test_a_row_with_an_empty_key_is_named_too(case: Path) -> None:
    # SQLite lets a text primary key be NULL: a row no evidence has, never equal to one
    # (it made verify stop with a TypeError before)
    _edit(case, ("INSERT INTO items VALUES (NULL, 1, '', '', 'text/plain', '')", ()))
    found = sorted((p["sha256"], p["message"]) for p in _index_problems(case))
    assert found == [
        ("None", "the index holds a item of item None… that the verified evidence does not "
                 "have; run 'intake reindex'"),
        ("None", "the index knows item None…, which the custody log does not record: it was "
                 "cut from the log, or the index was edited")]
