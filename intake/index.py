"""The SQLite index: a cache for fast questions, rebuildable from any one replica.

Nothing here is the truth: the replicas' objects, metadata files and custody
log are. ``intake reindex`` throws this file away and rebuilds it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .custody_chain import parse_line
from .event_stream import RecordBytes
from .extraction_records import summary
from .lazy_events import raw_parts, read_extraction

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, sha512 TEXT, md5 TEXT,
    mime TEXT, first_seen TEXT);
CREATE TABLE IF NOT EXISTS receipts (
    id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, received_at TEXT, source TEXT,
    name TEXT, size INTEGER, mtime_ns INTEGER, fs_times TEXT, settled_to TEXT);
CREATE INDEX IF NOT EXISTS receipts_sha ON receipts(sha256);
CREATE TABLE IF NOT EXISTS origins (
    sha256 TEXT NOT NULL, parent TEXT NOT NULL, relation TEXT, name TEXT,
    event_key TEXT, n INTEGER, PRIMARY KEY (sha256, parent, n));
CREATE TABLE IF NOT EXISTS extractions (
    sha256 TEXT PRIMARY KEY, plugin TEXT, version TEXT, kind TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    sha256 TEXT NOT NULL, n INTEGER NOT NULL, kind TEXT, utc TEXT, PRIMARY KEY (sha256, n));
CREATE TABLE IF NOT EXISTS copies (
    sha256 TEXT NOT NULL, replica TEXT NOT NULL, PRIMARY KEY (sha256, replica));
CREATE TABLE IF NOT EXISTS meta_files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS overrides (
    sha256 TEXT NOT NULL, event_key TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (sha256, event_key));
CREATE TABLE IF NOT EXISTS curation (
    seq INTEGER PRIMARY KEY, rid TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS problems (
    source TEXT PRIMARY KEY, reason TEXT NOT NULL, size INTEGER, mtime_ns INTEGER, at TEXT);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
"""


def _blob(data: dict[str, Any]) -> bytes:
    """UTF-8 JSON of an extraction for the index: orjson in C (the json module took
    4 s for a phone backup of 100,000 messages, issue 19); json for what orjson
    cannot write (an integer beyond 64 bits). Read back with json.loads either way."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(data, sort_keys=True).encode("utf-8")


#: the events table of one item, from its extraction's JSON: each event's number,
#: kind and the first non-empty UTC time of its claims
_EVENT_ROWS = """
INSERT INTO events
SELECT x.sha256, CAST(e.key AS INTEGER), json_extract(e.value, '$.kind'),
       (SELECT json_extract(c.value, '$.utc') FROM json_each(e.value, '$.claims') c
        WHERE json_extract(c.value, '$.utc') IS NOT NULL
          AND json_extract(c.value, '$.utc') <> '' ORDER BY c.key LIMIT 1)
FROM extractions x, json_each(x.data, '$.events') e WHERE x.sha256 = ?
"""


class Index:
    """Thin wrapper over the SQLite file; every write is in a transaction."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        if read_only:  # status, verify: never write, not even a fresh empty file
            if path.is_file():
                self.db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True,
                                          timeout=30, isolation_level=None)
            else:
                self.db = sqlite3.connect(":memory:", isolation_level=None)
                self.db.executescript(SCHEMA)
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = not path.exists()
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        if fresh:
            os.chmod(path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def tx(self) -> sqlite3.Connection:
        """``with index.tx():`` runs the block in one transaction (a savepoint when
        one is open already: `begin_batch`)."""
        return _Tx(self.db)  # type: ignore[return-value]

    def begin_batch(self) -> _Tx | None:
        """One transaction for a whole group commit (``recording.GroupCommit``): the
        steps inside it become savepoints; the batch commits with `_Tx.__exit__`
        after its custody lines are durable. None when a transaction is open."""
        if self.db.in_transaction:
            return None
        tx = _Tx(self.db)
        tx.__enter__()
        return tx

    # --- writes ---------------------------------------------------------------

    def add_item(self, sha256: str, size: int, sha512: str, md5: str, mime: str,
                 first_seen: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO items VALUES (?,?,?,?,?,?)",
                        (sha256, size, sha512, md5, mime, first_seen))

    def add_receipt(self, r: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO receipts VALUES (?,?,?,?,?,?,?,?,?)",
            (r["id"], r["sha256"], r["received_at"], r["source"], r["name"], r["size"],
             r.get("mtime_ns"), json.dumps(r.get("fs_times", {}), sort_keys=True),
             r.get("settled_to")))

    def settle_receipt(self, receipt_id: str, settled_to: str) -> None:
        self.db.execute("UPDATE receipts SET settled_to=? WHERE id=?", (settled_to, receipt_id))

    def add_origin(self, sha256: str, parent: str, relation: str, name: str, event_key: str,
                   n: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO origins VALUES (?,?,?,?,?,?)",
                        (sha256, parent, relation, name, event_key, n))

    def set_extraction(self, sha256: str, data: dict[str, Any]) -> None:
        # the JSON goes in as UTF-8 bytes read as text by SQLite: no second copy as a
        # Python str (90 MB for a phone backup of 100,000 messages, issue 19)
        self.set_extraction_json(sha256, data.get("plugin", ""), data.get("version", ""),
                                 data.get("kind", ""), _blob(data), [
                                     (ev.get("kind"), next((c.get("utc") for c in
                                                            ev.get("claims", [])
                                                            if c.get("utc")), None))
                                     for ev in data.get("events", [])])

    def set_extraction_json(self, sha256: str, plugin: str, version: str, kind: str,
                            data: bytes | bytearray | RecordBytes,
                            rows: Iterable[tuple[Any, Any]] | None = None) -> None:
        """An item's extraction as the index's JSON bytes (`_blob`'s form), with its
        events' (kind, UTC time) rows; without `rows`, SQLite lists them from that
        JSON (slower, but no Python object per event: verify's big records).

        `RecordBytes` (a phone backup's events, in a temporary file) are written
        into the row a megabyte at a time (SQLite's incremental blob I/O on a
        text of that length), never whole in this process's memory.
        """
        if isinstance(data, RecordBytes):
            self.db.execute("INSERT OR REPLACE INTO extractions "
                            "VALUES (?,?,?,?,CAST(zeroblob(?) AS TEXT))",
                            (sha256, plugin, version, kind, len(data)))
            rowid = self.db.execute("SELECT rowid FROM extractions WHERE sha256=?",
                                    (sha256,)).fetchone()[0]
            with self.db.blobopen("extractions", "data", rowid) as blob:
                for piece in data.pieces():
                    blob.write(piece)
        else:
            self.db.execute("INSERT OR REPLACE INTO extractions VALUES (?,?,?,?,CAST(? AS TEXT))",
                            (sha256, plugin, version, kind, data))
        self.db.execute("DELETE FROM events WHERE sha256=?", (sha256,))
        if rows is None:
            self.db.execute(_EVENT_ROWS, (sha256,))
        else:
            self.db.executemany("INSERT INTO events VALUES (?,?,?,?)",
                                ((sha256, n, k, utc) for n, (k, utc) in enumerate(rows)))

    def set_copy(self, sha256: str, replica: str, present: bool = True) -> None:
        if present:
            self.db.execute("INSERT OR IGNORE INTO copies VALUES (?,?)", (sha256, replica))
        else:
            self.db.execute("DELETE FROM copies WHERE sha256=? AND replica=?", (sha256, replica))

    def set_meta_hash(self, rel: str, sha256: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta_files VALUES (?,?)", (rel, sha256))

    def set_override(self, sha256: str, event_key: str, data: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO overrides VALUES (?,?,?)",
                        (sha256, event_key, json.dumps(data, sort_keys=True)))

    def add_curation(self, seq: int, rid: str, record: dict[str, Any]) -> None:
        """One adviser's decision (intake/curation.py), under its custody line number."""
        self.db.execute("INSERT OR REPLACE INTO curation VALUES (?,?,?)",
                        (seq, rid, json.dumps(record, sort_keys=True)))

    def set_problem(self, source: str, reason: str, size: int | None, mtime_ns: int | None,
                    at: str) -> bool:
        """Record why a file was not taken; True if this is news (not yet recorded)."""
        row = self.db.execute("SELECT reason, size, mtime_ns FROM problems WHERE source=?",
                              (source,)).fetchone()
        if row == (reason, size, mtime_ns):
            return False
        self.db.execute("INSERT OR REPLACE INTO problems VALUES (?,?,?,?,?)",
                        (source, reason, size, mtime_ns, at))
        return True

    def clear_problem(self, source: str) -> None:
        self.db.execute("DELETE FROM problems WHERE source=?", (source,))

    def set_state(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO state VALUES (?,?)", (key, value))

    # --- reads ----------------------------------------------------------------

    def state(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def has_item(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM items WHERE sha256=?", (sha256,)).fetchone() is not None

    def item(self, sha256: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT sha256, size, sha512, md5, mime, first_seen FROM items "
                              "WHERE sha256=?", (sha256,)).fetchone()
        if not row:
            return None
        return dict(zip(("sha256", "size", "sha512", "md5", "mime", "first_seen"), row, strict=True))

    def all_items(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT sha256 FROM items ORDER BY sha256")]

    def items_without_extraction(self) -> list[tuple[str, str, str, str]]:
        """(sha256, a name, parent, relation) of stored items no plugin has read yet."""
        return [self.item_origin(sha) for (sha,) in self.db.execute(
            "SELECT sha256 FROM items WHERE sha256 NOT IN (SELECT sha256 FROM extractions) "
            "ORDER BY sha256").fetchall()]

    def item_origin(self, sha: str) -> tuple[str, str, str, str]:
        """(sha256, a name, parent, relation): what a plugin is told of where an item came from."""
        origin = self.db.execute("SELECT parent, relation FROM origins WHERE sha256=? "
                                 "ORDER BY parent, n", (sha,)).fetchone()
        names = self.names(sha)
        return (sha, names[0] if names else sha, *(origin or ("", "")))

    def latest_readings(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(sha256, MIME type, summary of its newest extraction record) of every read item."""
        for sha, mime, latest in self.db.execute(
                "SELECT e.sha256, i.mime, json_extract(e.data, '$.history[#-1]') "
                "FROM extractions e JOIN items i ON i.sha256 = e.sha256 ORDER BY e.sha256"):
            if latest:
                yield sha, mime or "", json.loads(latest)
            else:  # read before records named their plugin set (issue 17)
                row = self.db.execute("SELECT data FROM extractions WHERE sha256=?",
                                      (sha,)).fetchone()
                yield sha, mime or "", summary("", json.loads(row[0]))

    def extraction(self, sha256: str) -> dict[str, Any] | None:
        """The extraction record that counts for an item, with the history of all."""
        row = self.db.execute("SELECT data FROM extractions WHERE sha256=?", (sha256,)).fetchone()
        return json.loads(row[0]) if row else None

    def has_extraction(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM extractions WHERE sha256=?",
                               (sha256,)).fetchone() is not None

    def open_receipt(self, sha256: str, source: str, size: int, mtime_ns: int) -> str | None:
        """A receipt for this very drop that has not been settled (a crash in between)."""
        row = self.db.execute(
            "SELECT id FROM receipts WHERE sha256=? AND source=? AND size=? AND mtime_ns=? "
            "AND settled_to IS NULL", (sha256, source, size, mtime_ns)).fetchone()
        return row[0] if row else None

    def settled_receipts(self, sha256: str, source: str, size: int, mtime_ns: int) -> int:
        """How many earlier drops of this very file (same path, size and time) settled."""
        return self.db.execute(
            "SELECT COUNT(*) FROM receipts WHERE sha256=? AND source=? AND size=? AND mtime_ns=? "
            "AND settled_to IS NOT NULL", (sha256, source, size, mtime_ns)).fetchone()[0]

    def unsettled_receipts(self, prefix: str) -> list[dict[str, Any]]:
        """Receipts of drops under `prefix` whose original was not (yet) logged as moved."""
        cols = ("id", "sha256", "source", "size", "mtime_ns")
        rows = self.db.execute("SELECT id, sha256, source, size, mtime_ns FROM receipts "
                               "WHERE settled_to IS NULL ORDER BY source, id")
        return [dict(zip(cols, r, strict=True)) for r in rows if r[2].startswith(prefix)]

    def settled_sources(self, prefix: str) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT DISTINCT source FROM receipts WHERE settled_to IS NOT NULL")
            if r[0].startswith(prefix)}

    def unsettled_sources(self, prefix: str) -> list[str]:
        """Inbox paths under `prefix` of drops whose original was not (yet) moved, in order."""
        return [r[0] for r in self.db.execute(
            "SELECT source FROM receipts WHERE settled_to IS NULL ORDER BY source")
            if r[0].startswith(prefix)]

    def first_receipt(self, sha256: str) -> tuple[str, dict[str, Any]]:
        """When an item was first received, and the file system times it had then."""
        row = self.db.execute("SELECT received_at, fs_times FROM receipts WHERE sha256=? "
                              "ORDER BY received_at LIMIT 1", (sha256,)).fetchone()
        return (row[0], json.loads(row[1])) if row else ("", {})

    def table_rows(self, table: str, key: str, cols: str) -> dict[tuple, tuple]:
        """A whole table as {key columns: other columns} (verify compares two indexes so)."""
        nkey = len(key.split(","))
        return {row[:nkey]: row[nkey:]
                for row in self.db.execute(f"SELECT {key}, {cols} FROM {table}")}  # noqa: S608

    @staticmethod
    def remove_files(path: Path) -> None:
        """Delete an index's files (it is a cache, rebuilt from a replica by reindex)."""
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    def settled_to_paths(self) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT settled_to FROM receipts WHERE settled_to IS NOT NULL")}

    def copies(self, sha256: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT replica FROM copies WHERE sha256=? ORDER BY replica", (sha256,))]

    def meta_hashes(self, prefix: str = "") -> dict[str, str]:
        """Expected SHA-256 of each metadata file (those under `prefix` only, if given).

        A range of the primary key, not ``LIKE``: one item's files are looked up
        per extraction, and ``LIKE`` read the whole table each time.
        """
        if not prefix:
            return dict(self.db.execute("SELECT path, sha256 FROM meta_files"))
        return dict(self.db.execute(
            "SELECT path, sha256 FROM meta_files WHERE path >= ? AND path < ?",
            (prefix, prefix + "\U0010ffff")))

    def problems(self) -> list[dict[str, Any]]:
        return [dict(zip(("source", "reason", "size", "mtime_ns", "at"), r, strict=True))
                for r in self.db.execute("SELECT * FROM problems ORDER BY source")]

    def counts(self) -> dict[str, int]:
        q = self.db.execute
        return {
            "items": q("SELECT COUNT(*) FROM items").fetchone()[0],
            "receipts": q("SELECT COUNT(*) FROM receipts").fetchone()[0],
            "derived_items": q("SELECT COUNT(DISTINCT sha256) FROM origins").fetchone()[0],
            "events": q("SELECT COUNT(*) FROM events").fetchone()[0],
            "items_with_warnings": q(
                "SELECT COUNT(*) FROM extractions WHERE json_array_length(data, '$.warnings') > 0"
            ).fetchone()[0],
            "files_not_taken": q("SELECT COUNT(*) FROM problems").fetchone()[0],
        }

    def items_with_warnings(self) -> list[tuple[str, list[str]]]:
        out = []
        for sha, data in self.db.execute("SELECT sha256, data FROM extractions ORDER BY sha256"):
            warnings = json.loads(data).get("warnings", [])
            if warnings:
                out.append((sha, warnings))
        return out

    def names(self, sha256: str) -> list[str]:
        names = [r[0] for r in self.db.execute(
            "SELECT name FROM receipts WHERE sha256=? ORDER BY received_at, id", (sha256,))]
        names += [r[0] for r in self.db.execute(
            "SELECT name FROM origins WHERE sha256=? ORDER BY parent, n", (sha256,))]
        return list(dict.fromkeys(names))

    def curation_records(self) -> list[dict[str, Any]]:
        """Every curation record with its ``rid`` and ``seq``, in custody order."""
        return [{**json.loads(data), "rid": rid, "seq": seq} for seq, rid, data in
                self.db.execute("SELECT seq, rid, data FROM curation ORDER BY seq")]

    def item_records(self) -> Iterator[dict[str, Any]]:
        """Every item in the shape docs/chronology-format.md describes, by sha256."""
        for sha in self.all_items():
            record, data = self._item_record(sha)
            extraction = read_extraction(data) if data is not None else None  # a big one's events lazily
            yield {
                **record,
                "extraction": extraction,
                "warnings": list(extraction.get("warnings", [])) if extraction else [],
                "overrides": self._overrides(sha),
            }

    def item_record_texts(self) -> Iterator[bytes | dict[str, Any]]:
        """`item_records` as JSON texts, the extraction's JSON spliced in as the
        index holds it: this process neither parses nor copies its events into
        objects (issue 19: the chronology reads each simple event from its text).
        An extraction msgspec refuses (NaN, not an object) comes as
        `item_records` gives it, a dict."""
        for sha in self.all_items():
            record, data = self._item_record(sha)
            parts = raw_parts(data) if data is not None else None
            if data is not None and parts is None:
                extraction = read_extraction(data)
                yield {**record, "extraction": extraction,
                       "warnings": list(extraction.get("warnings", [])) if extraction else [],
                       "overrides": self._overrides(sha)}
                continue
            warnings = parts.get("warnings") if parts else None
            record["warnings"] = list(parse_line(bytes(warnings))) if warnings is not None else []
            record["overrides"] = self._overrides(sha)
            yield orjson.dumps(record)[:-1] + b',"extraction":' + (
                bytes(data) if data is not None else b"null") + b"}"

    def _item_record(self, sha: str) -> tuple[dict[str, Any], bytes | None]:
        """An item record but its extraction, warnings and overrides; and the
        extraction's JSON as stored (None without one)."""
        item = self.item(sha)
        assert item is not None
        receipts = [
            {"id": r[0], "received_at": r[1], "source": r[2], "name": r[3],
             "fs_times": json.loads(r[4] or "{}")}
            for r in self.db.execute(
                "SELECT id, received_at, source, name, fs_times FROM receipts WHERE sha256=? "
                "ORDER BY received_at, id", (sha,))]
        parents = [
            {"sha256": r[0], "relation": r[1], "name": r[2], "event_key": r[3]}
            for r in self.db.execute(
                "SELECT parent, relation, name, event_key FROM origins WHERE sha256=? "
                "ORDER BY parent, n", (sha,))]
        row = self.db.execute("SELECT CAST(data AS BLOB) FROM extractions WHERE sha256=?",
                              (sha,)).fetchone()
        return ({**item, "names": self.names(sha), "receipts": receipts, "parents": parents},
                row[0] if row else None)

    def _overrides(self, sha: str) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute(
            "SELECT event_key, data FROM overrides WHERE sha256=?", (sha,))}


class _Tx:
    """One transaction; inside an open one (a group commit's batch, issue 19) a
    savepoint, so a step that fails still undoes only its own changes and the
    batch's changes reach the file in one commit (one WAL write, not one per step)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.nested = False

    def __enter__(self) -> sqlite3.Connection:
        self.nested = self.db.in_transaction
        self.db.execute("SAVEPOINT step" if self.nested else "BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        if not self.nested:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
            return
        if exc_type:
            self.db.execute("ROLLBACK TO step")
        self.db.execute("RELEASE step")


def recent_receipts(index: Index, limit: int = 50) -> list[dict[str, Any]]:
    """The last files received (newest first) with the replicas that hold them."""
    rows = index.db.execute(
        "SELECT r.sha256, r.name, r.received_at, r.source, r.settled_to, "
        "(SELECT COUNT(*) FROM copies c WHERE c.sha256 = r.sha256) "
        "FROM receipts r ORDER BY r.received_at DESC, r.id DESC LIMIT ?", (limit,))
    return [dict(zip(("sha256", "name", "received_at", "source", "settled_to", "copies"), r,
                     strict=True)) for r in rows]


def receipt_for(index: Index, source: str) -> dict[str, Any] | None:
    """The latest receipt of a drop from this inbox path, with its copies."""
    row = index.db.execute(
        "SELECT sha256, settled_to FROM receipts WHERE source=? ORDER BY received_at DESC "
        "LIMIT 1", (source,)).fetchone()
    if row is None:
        return None
    return {"sha256": row[0], "settled_to": row[1], "copies": index.copies(row[0])}
