"""The chronology's entries in SQLite for ``intake serve``: paging, filters, full-text search.

An in-memory table built from a chronology (never from the case's index, which
is a cache of items, not of entries); kept apart from ``index.py`` so that each
has one job.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from .reports.entryview import copy_time_only

TIMELINE_SCHEMA = """
CREATE TABLE timeline (
    pos INTEGER PRIMARY KEY, id TEXT NOT NULL, day TEXT, kind TEXT, persons TEXT,
    tags TEXT, star INTEGER, police TEXT, ombudsman TEXT, flags TEXT, copied INTEGER);
CREATE TABLE timeline_entry (pos INTEGER PRIMARY KEY, entry TEXT NOT NULL);
CREATE VIRTUAL TABLE timeline_text USING fts5(
    body, content='', tokenize='unicode61 remove_diacritics 2');
"""
#: Made once the rows are in (faster than keeping them up to date row by row).
TIMELINE_INDEXES = """
CREATE INDEX timeline_id ON timeline(id);
CREATE INDEX timeline_day ON timeline(day);
CREATE INDEX timeline_kind ON timeline(kind);
CREATE INDEX timeline_star ON timeline(star) WHERE star = 1;
"""
#: What the timeline can be filtered by (intake serve's Timeline page).
TIMELINE_FILTERS = ("from", "to", "kind", "person", "tag", "starred", "police", "ombudsman",
                    "flag", "time", "text")


class Timeline:
    """The chronology's entries in SQLite, for paging, filters and full-text search (FTS5).

    A cache of a cache: filled from a built chronology (never from the index's
    facts), kept in memory by ``intake serve`` and thrown away with it, so a
    read-only look at a case beside a working watcher writes nothing.
    """

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.executescript(TIMELINE_SCHEMA)
        self._choices: dict[str, list[str]] = {"kinds": [], "tags": [], "persons": [],
                                               "flags": []}

    def fill(self, entries: Iterator[dict[str, Any]] | list[dict[str, Any]],
             texts: Any = None) -> int:
        """Load entries in chronology order; `texts(entry)` gives the searchable words."""
        n = 0
        self.db.execute("BEGIN")
        for n, e in enumerate(entries, start=1):
            c = e.get("curation") or {}
            self.db.execute(
                "INSERT INTO timeline VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (n, e.get("id", ""), (e.get("local") or "")[:10] or None, e.get("kind", ""),
                 _words(e.get("persons")), _words(c.get("tags")), int(bool(c.get("star"))),
                 c.get("police", ""), c.get("ombudsman", ""), _words(e.get("flags")),
                 int(copy_time_only(e))))
            self.db.execute("INSERT INTO timeline_entry VALUES (?,?)",
                            (n, json.dumps(e, ensure_ascii=False)))
            body = texts(e) if texts else ""
            if body:
                self.db.execute("INSERT INTO timeline_text(rowid, body) VALUES (?,?)", (n, body))
        for statement in TIMELINE_INDEXES.strip().split(";"):
            if statement.strip():
                self.db.execute(statement)
        self.db.execute("COMMIT")
        self._choices = self._find_choices()
        return n

    def page(self, filters: dict[str, Any], offset: int = 0,
             limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
        """(how many entries match, the entries of one page) in chronology order."""
        where, args = _timeline_where(filters)
        total = self.db.execute(f"SELECT COUNT(*) FROM timeline {where}", args).fetchone()[0]
        rows = self.db.execute(
            f"SELECT e.entry FROM timeline_entry e WHERE e.pos IN (SELECT pos FROM timeline "
            f"{where} ORDER BY pos LIMIT ? OFFSET ?) ORDER BY e.pos", (*args, limit, offset))
        return total, [json.loads(r[0]) for r in rows]

    def entry(self, entry_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT entry FROM timeline_entry WHERE pos = "
                              "(SELECT pos FROM timeline WHERE id=?)", (entry_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def entry_at(self, number: int) -> dict[str, Any] | None:
        """The entry with this number in the chronology the timeline was filled from."""
        row = self.db.execute("SELECT entry FROM timeline_entry WHERE pos=?",
                              (number,)).fetchone()
        return json.loads(row[0]) if row else None

    def choices(self) -> dict[str, list[str]]:
        """The kinds, tags, persons and flags that occur, for the filter menus."""
        return self._choices

    def _find_choices(self) -> dict[str, list[str]]:
        kinds = [r[0] for r in self.db.execute("SELECT DISTINCT kind FROM timeline ORDER BY kind")]
        out: dict[str, set[str]] = {"tags": set(), "persons": set(), "flags": set()}
        for col, key in (("tags", "tags"), ("persons", "persons"), ("flags", "flags")):
            for (words,) in self.db.execute(f"SELECT DISTINCT {col} FROM timeline"):
                out[key].update(w for w in (words or "").split("\x1f") if w)
        return {"kinds": kinds, **{k: sorted(v) for k, v in out.items()}}

    def close(self) -> None:
        self.db.close()


def _words(values: Any) -> str:
    """A list kept as one text, each value between separators, for `instr` filters."""
    return "\x1f" + "\x1f".join(str(v) for v in values or ()) + "\x1f" if values else ""


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: every word must occur (as a word start);
    quotes make operators and punctuation plain text."""
    words = [w.replace('"', '""') for w in text.split() if w.strip()]
    return " ".join(f'"{w}"*' for w in words)


def _timeline_where(f: dict[str, Any]) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    if f.get("from"):
        parts.append("day >= ?")
        args.append(f["from"])
    if f.get("to"):
        parts.append("day <= ?")
        args.append(f["to"])
    if f.get("kind"):
        parts.append("kind = ?")
        args.append(f["kind"])
    for key, col in (("person", "persons"), ("tag", "tags"), ("flag", "flags")):
        if f.get(key):
            parts.append(f"instr({col}, ?) > 0")
            args.append(f"\x1f{f[key]}\x1f")
    if f.get("starred"):
        parts.append("star = 1")
    if f.get("time") in ("own", "copied"):  # a copy time is no fact's time (issue 14, point 5)
        parts.append("copied = ?")
        args.append(int(f["time"] == "copied"))
    for report in ("police", "ombudsman"):
        if f.get(report) in ("include", "exclude"):
            parts.append(f"{report} = ?")
            args.append(f[report])
    query = fts_query(str(f.get("text") or ""))
    if query:
        parts.append("pos IN (SELECT rowid FROM timeline_text WHERE timeline_text MATCH ?)")
        args.append(query)
    return ("WHERE " + " AND ".join(parts)) if parts else "", args
