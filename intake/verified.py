"""The index's facts, re-derived from metadata files whose hashes the custody log recorded.

The SQLite index is a cache that anyone with write access to the case folder
can edit. What may be trusted is a metadata file (item.json, a receipt, an
origin, extraction.json) whose SHA-256 equals the one the custody log
recorded when it was written. ``build`` fills a fresh index from such files
only (the log names them; a file no line names is never read), ``reindex``
and the reports use it, and ``differences`` lists, in words, every place
where the case's index says something else.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import orjson

from .custody_chain import parse_line
from .event_stream import RecordBytes, index_ends
from .extraction_records import chosen, record_number, summary
from .index import Index
from .lazy_events import BIG_RECORD, is_list, raw_parts
from .replica import Replica, verified_meta


def expected_meta(recs: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Metadata file -> the SHA-256 the log recorded for it last."""
    out: dict[str, str] = {}
    for rec in recs:
        meta = rec.get("meta")
        if isinstance(meta, dict):  # "warned" lines name a file (a string): no hash
            for rel, digest in meta.items():
                if isinstance(rel, str) and isinstance(digest, str):
                    out[rel] = digest
    return out


def log_items(recs: Iterable[dict[str, Any]]) -> set[str]:
    """Every item the custody log says was stored."""
    return {r["sha256"] for r in recs
            if r.get("event") in ("stored", "derived") and isinstance(r.get("sha256"), str)}


@dataclass
class Built:
    """A verified index and what could not be verified (file -> reason)."""

    index: Index
    unverified: dict[str, str] = field(default_factory=dict)


def _read_verified(replicas: list[Replica], rel: str, digest: str) -> bytes | None:
    return verified_meta(replicas, rel, digest)


def fill(idx: Index, recs: list[dict[str, Any]], replicas: list[Replica],
         copies_in: list[Replica], known: dict[str, bytes] | None = None) -> dict[str, str]:
    """Load the verified facts into an empty index; returns the files left out, with why.

    `known` holds metadata files already read and found to have the SHA-256 the log
    recorded (``checks.verify``'s replica threads); they are taken from there (and
    let go of) instead of being read again. Any other file is read and checked here.
    """
    expected = expected_meta(recs)
    settled: dict[str, str | None] = {}
    for r in recs:
        if r.get("event") == "settled" and r.get("receipt"):
            settled[r["receipt"]] = r.get("moved_to")
        if r.get("event") == "replaced" and r.get("receipt"):  # replaced in the inbox before the move
            settled[r["receipt"]] = ""
    unverified: dict[str, str] = {}
    files: dict[str, Any] = {}
    events: dict[str, bytes] = {}  # a big extraction record's events, as compact JSON
    for rel in sorted(expected):
        data = known.pop(rel, None) if known is not None else None
        if data is None:
            data = _read_verified(replicas, rel, expected[rel])
        if data is None:
            unverified[rel] = "no replica holds a copy whose SHA-256 matches the custody log"
            continue
        try:
            if record_number(rel) and len(data) > BIG_RECORD:
                files[rel], listed = _split_record(data)
                if listed is not None:
                    events[rel] = listed
            elif record_number(rel):
                files[rel] = _Parts.of(data)
            else:
                files[rel] = parse_line(data)  # exactly json.loads's values, faster
        except ValueError:
            unverified[rel] = "not readable JSON"
        data = None  # a big record's bytes go before the next is read
    by_item: dict[str, dict[str, list[tuple[str, Any]]]] = {}
    for rel, value in files.items():
        parts = rel.split("/")
        if len(parts) < 3:
            continue
        by_item.setdefault(parts[1], {}).setdefault(parts[2], []).append((rel, value))
    with idx.tx():
        idx.db.executemany("INSERT OR REPLACE INTO meta_files VALUES (?,?)",  # set_meta_hash
                           expected.items())
        for sha in sorted(by_item):
            kinds = by_item[sha]
            item = next((v for _, v in kinds.get("item.json", [])), None)
            if item is None:
                continue
            receipts = [v for _, v in sorted(kinds.get("receipts", []), key=lambda x: x[0])]
            first = min((r.get("received_at", "") for r in receipts), default="")
            idx.add_item(sha, item["size"], item["sha512"], item["md5"], item["mime"], first)
            for r in receipts:
                idx.add_receipt({**r, "settled_to": settled.get(r["id"])})
            for _, o in sorted(kinds.get("origins", []), key=lambda x: x[0]):
                idx.add_origin(sha, o["parent"], o["relation"], o["name"], o["event_key"], o["n"])
            # every reading of the item (issue 17); the index keeps the one that counts
            readings = kinds.get("extraction.json", []) + kinds.get("extractions", [])
            row = readings[0][1].index_row(readings[0][0]) \
                if len(readings) == 1 and isinstance(readings[0][1], _Parts) else None
            if row is not None:  # read once: the record's text as it is (nearly every item)
                idx.set_extraction_json(sha, *row)
                readings = []
            best = chosen([(r, v.as_dict() if isinstance(v, _Parts) else v)
                           for r, v in readings])
            if best is not None and best["record"] in events:
                head, tail = index_ends(best)  # the events written as they are, no copy
                idx.set_extraction_json(sha, best.get("plugin", ""), best.get("version", ""),
                                        best.get("kind", ""), RecordBytes(
                                            head[:-1], io.BytesIO(events.pop(best["record"])),
                                            tail[1:]))
            elif best is not None:
                idx.set_extraction(sha, best)
            for rep in copies_in:
                if rep.has_object(sha):
                    idx.set_copy(sha, rep.name)
        for rec in recs:
            if rec.get("event") == "override":
                idx.set_override(rec["sha256"], rec["event_key"], rec["data"])
            if rec.get("event") == "curated":  # the adviser's decisions, in the log itself
                idx.add_curation(rec["seq"], rec["rid"], rec["record"])
        idx.set_state("custody_seq", str(len(recs)))
    return unverified


#: what the index's history of a record needs of it (`extraction_records.summary`), and
#: its plugin, version and kind columns
_LIGHT = ("plugin", "version", "kind", "extracted_at", "runs", "offered")


class _Claim(msgspec.Struct):
    utc: Any = None


class _Event(msgspec.Struct):
    kind: Any = None
    claims: list[_Claim] = []


class _Parts:
    """An extraction record with its top-level values still JSON text (msgspec's Raw:
    checked to be JSON, not made Python objects). An item read once (nearly all) goes
    into the index from this text as it is: the file was written by orjson with
    sorted keys, so its compact text is what the index holds (`index._blob`), and no
    event is made a dict only to be encoded again (issue 19, point 6)."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, msgspec.Raw]) -> None:
        self.raw = raw

    @staticmethod
    def of(data: bytes) -> Any:
        """A record's parts; what msgspec refuses (no object, NaN) the plain way."""
        parts = raw_parts(data)
        # what msgspec refuses: exactly json.loads's values; ValueError if none
        return _Parts(parts) if parts is not None else parse_line(data)

    def as_dict(self) -> dict[str, Any]:
        return {key: parse_line(bytes(raw)) for key, raw in self.raw.items()}

    def index_row(self, rel: str) -> tuple[str, str, str, bytes, list[tuple[Any, Any]]] | None:
        """`Index.set_extraction_json`'s arguments for this record as the only reading
        (what `chosen` and `set_extraction` make of it), or None where its shape asks
        for the plain way (events not a list of objects, an integer orjson cannot write)."""
        light = {k: parse_line(bytes(self.raw[k])) for k in _LIGHT if k in self.raw}
        added = {"record": rel, "history": [summary(rel, light)]}
        try:
            listed = self.raw.get("events")
            rows = [] if listed is None else [
                (ev.kind, next((c.utc for c in ev.claims if c.utc), None))
                for ev in msgspec.json.decode(listed, type=list[_Event])]
            blob = b"{" + b",".join(
                orjson.dumps(key) + b":" + (orjson.dumps(added[key], option=orjson.OPT_SORT_KEYS)
                                           if key in added else
                                           msgspec.json.format(self.raw[key], indent=-1))
                for key in sorted({*self.raw, *added})) + b"}"
        except (msgspec.DecodeError, orjson.JSONEncodeError):
            return None
        return light.get("plugin", ""), light.get("version", ""), light.get("kind", ""), blob, rows


def _split_record(data: bytes) -> tuple[dict[str, Any], bytes | None]:
    """A big extraction record read without making its events Python objects:
    everything but its events as a dict, and its events array as compact JSON bytes
    (what `index._blob` writes of them when the record was written by orjson, as
    intake writes it; `differences` compares values where the text differs). No
    events array: (the whole record, None). Raises ValueError when it is no JSON
    object.

    msgspec skips over the events (checking that they are JSON) and hands their text
    back as it stands; its formatter strips the indentation in C. SQLite's JSON
    functions did this before at eight times the record's size in memory (issue 9,
    point 10: 107 MB of e-mails took the PDF command to 960 MB)."""
    parts = raw_parts(data)
    listed = parts.pop("events", None) if parts is not None else None
    if listed is None or not is_list(listed):  # none, or not what intake writes
        whole = parse_line(data)
        if not isinstance(whole, dict):
            raise ValueError("not a JSON object")
        return whole, None
    light = {key: parse_line(bytes(raw)) for key, raw in parts.items()}
    return light, msgspec.json.format(listed, indent=-1)


@contextmanager
def built(case: Any, recs: list[dict[str, Any]] | None = None,
          known: dict[str, bytes] | None = None, copies: bool = True) -> Iterator[Built]:
    """A throw-away index of the case's verified facts (from the log the case opened);
    `known`: metadata files already checked against the log (see `fill`); `copies`
    False leaves out which replica holds what (a look at every object; `differences`
    never compares it: it describes this machine's replicas, not the evidence)."""
    from .custody_chain import records

    recs = records(case.log.lines) if recs is None else recs
    with tempfile.TemporaryDirectory(prefix="intake-verified-") as tmp:
        idx = Index(Path(tmp) / "verified.sqlite")
        # thrown away after use: nothing to journal or make durable (the commit of a
        # 70 MB index fsynced its WAL into the main file: 0.4 s)
        idx.db.execute("PRAGMA journal_mode=OFF")
        idx.db.execute("PRAGMA synchronous=OFF")
        try:
            unverified = fill(idx, recs, list(case.available),
                              list(case.available) if copies else [], known)
            yield Built(idx, unverified)
        finally:
            idx.close()


# What the index holds that the replicas and the log alone decide, keyed by primary key.
# (items.first_seen is when this machine first stored it: not a fact of the evidence;
# copies and problems describe this machine's replicas and inbox, not the evidence.)
_TABLES: dict[str, tuple[str, str, str]] = {
    "items": ("sha256", "size, sha512, md5, mime", "item"),
    "receipts": ("id", "sha256, received_at, source, name, size, mtime_ns, fs_times, settled_to",
                 "receipt"),
    "origins": ("sha256, parent, n", "relation, name, event_key", "origin"),
    "extractions": ("sha256", "plugin, version, kind, data", "extraction"),
    "events": ("sha256, n", "kind, utc", "event"),
    "overrides": ("sha256, event_key", "data", "adviser's decision"),
    "curation": ("seq", "rid, data", "adviser's curation record at custody line"),
    "meta_files": ("path", "sha256", "metadata hash"),
}


def _json_paths(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Where two JSON values differ, as paths like ``events[0].facts.excerpt``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            yield from _json_paths(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _json_paths(x, y, f"{path}[{i}]")
    elif a != b:
        yield path or "(the whole value)"


def _what_differs(table: str, cols: str, ours: tuple, truth: tuple) -> str:
    names = [c.strip() for c in cols.split(",")]
    out = []
    for name, a, b in zip(names, ours, truth, strict=True):
        if a == b:
            continue
        if name == "data":
            try:
                paths = list(_json_paths(json.loads(a), json.loads(b)))
            except (TypeError, ValueError):
                paths = []
            shown = ", ".join(paths[:6]) + (f" (+{len(paths) - 6} more)" if len(paths) > 6 else "")
            out.append(f"{name} ({shown})" if paths else name)
        else:
            out.append(f"{name} (index: {a!r}, evidence: {b!r})")
    return "; ".join(out)


def _same_json(table: str, ours: tuple, truth: tuple) -> bool:
    """An extraction whose JSON is written otherwise but holds the same values (an
    index made by an earlier version, a record read by SQLite) is no difference."""
    if table != "extractions" or ours[:-1] != truth[:-1]:
        return False
    try:
        return json.loads(ours[-1]) == json.loads(truth[-1])
    except (TypeError, ValueError):
        return False


def _differing(index: Index, table: str, key: str, cols: str
               ) -> tuple[dict[tuple, tuple], dict[tuple, tuple]]:
    """The rows of `table` that are not the same in the case's index (`main`) and the
    verified facts (attached as `truth`), keyed by primary key: (ours, theirs).

    SQLite finds them by key, in C: equal rows (nearly all) never become Python
    values (the extractions' JSON is most of the index). `IS` is Python's `==` on
    SQLite's values: NULL equals NULL, an integer equals the same real, text never
    equals a blob. A key only one side has comes back from that side alone."""
    keys = [k.strip() for k in key.split(",")]
    names = [c.strip() for c in cols.split(",")]
    on = " AND ".join(f"b.{k} IS a.{k}" for k in keys)  # a NULL in a key is a value too
    same = " AND ".join(f"a.{c} IS b.{c}" for c in names)
    a_cols = ", ".join(f"a.{c}" for c in keys + names)
    b_cols = ", ".join(f"b.{c}" for c in names)
    n = len(keys)
    ours: dict[tuple, tuple] = {}
    theirs: dict[tuple, tuple] = {}
    q = index.db.execute
    for this, other, out in (("main", "truth", ours), ("truth", "main", theirs)):
        for row in q(f"SELECT {a_cols} FROM {this}.{table} a "  # noqa: S608
                     f"WHERE NOT EXISTS (SELECT 1 FROM {other}.{table} b WHERE {on})"):
            out[row[:n]] = row[n:]
    for row in q(f"SELECT {a_cols}, {b_cols} FROM main.{table} a "  # noqa: S608
                 f"JOIN truth.{table} b ON {on} WHERE NOT ({same})"):
        ours[row[:n]] = row[n:n + len(names)]
        theirs[row[:n]] = row[n + len(names):]
    return ours, theirs


@contextmanager
def _attached(index: Index, truth: Index) -> Iterator[None]:
    """The verified facts' file attached to the case index's connection as `truth`
    (read-only when the case's index is: ATTACH opens it with the same flags)."""
    index.db.execute("ATTACH DATABASE ? AS truth", (str(truth.path),))
    try:
        yield
    finally:
        index.db.execute("DETACH DATABASE truth")


def differences(index: Index, truth: Index, label: Any = None) -> list[tuple[str, str]]:
    """Every difference between the case's index and the verified facts: (sha256, words)."""
    label = label or (lambda sha: sha[:12] + "…")
    out: list[tuple[str, str]] = []
    with _attached(index, truth):
        found = [(table, key, cols, noun, *_differing(index, table, key, cols))
                 for table, (key, cols, noun) in _TABLES.items()]
    for table, _key, cols, noun, ours, theirs in found:
        for k in sorted(set(ours) | set(theirs), key=str):
            if k in ours and k in theirs and ours[k] == theirs[k]:
                continue  # the same (SQLite's IS and Python's == part on odd values)
            sha = str(k[0]) if table not in ("receipts", "meta_files", "curation") else ""
            if table == "receipts":
                row = ours.get(k) or theirs.get(k)
                sha = str(row[0]) if row else ""
            elif table == "meta_files":
                parts = str(k[0]).split("/")
                sha = parts[1] if len(parts) > 1 else ""
            where = f"{noun} {'/'.join(map(str, k))}" if not sha else \
                f"{noun} of item {label(sha)}" + (f" ({'/'.join(map(str, k[1:]))})"
                                                  if len(k) > 1 else "")
            if table == "receipts":
                where = f"receipt {k[0]} of item {label(sha)}"
            if table == "meta_files":
                where = f"the expected hash of meta/{k[0]}"
            if k not in theirs:
                out.append((sha, f"the index holds a {where} that the verified evidence "
                                 "does not have"))
            elif k not in ours:
                out.append((sha, f"the index lacks the {where}"))
            elif ours[k] != theirs[k] and not _same_json(table, ours[k], theirs[k]):
                out.append((sha, f"the index's {where} differs from the verified evidence: "
                                 + _what_differs(table, cols, ours[k], theirs[k])))
    return out
