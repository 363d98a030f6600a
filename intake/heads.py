"""Head records: the furthest custody-log head seen, kept where a cut log cannot take it.

A hash chain shows that a line was changed, but not that the last lines were
cut off, nor that someone rewrote the whole chain from some line on. So every
writing run records the head it made durable (sequence number and SHA-256 of
the last line) in two places besides the log itself:

- ``custody-head.json`` at the top of every replica it writes to;
- this machine's user state folder (``platformdirs.user_state_dir("intake")``,
  e.g. ``~/.local/state/intake/custody-heads/<case id>.json`` on Linux), one
  record per case folder, outside the case folder altogether.

On every open, each record is held against the log: a log shorter than a
record, or whose line at a record's sequence number has another hash, was cut
short or rewritten. Writing commands then refuse (the index is not rebuilt
quietly from the shorter log) until the adviser accepts the log as it is, which
the log itself records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from .custody_chain import line_hash
from .files import atomic_write

REPLICA_FILE = "custody-head.json"


@dataclass(frozen=True)
class Head:
    """One record: the log had `seq` lines, the last with hash `head`, seen at `at`."""

    seq: int
    head: str
    at: str
    where: str  # in words: "replica a", "this computer (path)"


def machine_file(case_id: str) -> Path:
    """This machine's records of one case (outside the case folder)."""
    return Path(platformdirs.user_state_dir("intake", appauthor=False)) / "custody-heads" / \
        f"{case_id}.json"


def _load(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _head(value: object, where: str) -> Head | None:
    if not isinstance(value, dict):
        return None
    seq, head = value.get("seq"), value.get("head")
    if not isinstance(seq, int) or not isinstance(head, str) or seq < 1:
        return None
    return Head(seq, head, str(value.get("at", "")), where)


def read(case_id: str, case_dir: Path, replica_roots: dict[str, Path]) -> list[Head]:
    """Every record that applies to this case folder: this machine's and each replica's."""
    out = []
    mine = _head(_load(machine_file(case_id)).get(str(case_dir)),
                 f"this computer ({machine_file(case_id)})")
    if mine:
        out.append(mine)
    for name, root in replica_roots.items():
        rec = _load(root / REPLICA_FILE)
        if rec.get("case_id") in (None, case_id):
            head = _head(rec, f"replica {name} ({root / REPLICA_FILE})")
            if head:
                out.append(head)
    return out


def contradictions(lines: list[bytes], records: list[Head]) -> list[str]:
    """What the records say the log lost, in words; empty when the log holds every record."""
    grouped: dict[tuple[int, str], list[Head]] = {}
    for rec in records:
        grouped.setdefault((rec.seq, rec.head), []).append(rec)
    out = []
    for (seq, head), recs in sorted(grouped.items()):
        who = ", ".join(r.where for r in recs)
        when = max(r.at for r in recs)
        seen = f"line {seq} (SHA-256 {head[:16]}…) was recorded by {who}" + \
            (f", last on {when}" if when else "")
        if seq > len(lines):
            out.append(f"the custody log has {len(lines)} lines, but {seen}: "
                       f"{seq - len(lines)} lines were cut off or the log was rewritten")
        elif line_hash(lines[seq - 1]) != head:
            out.append(f"line {seq} of the custody log is not the one recorded ({seen}): "
                       "the log was rewritten from that line or earlier")
    return out


def _write_record(path: Path, data: dict) -> None:
    atomic_write(path, (json.dumps(data, sort_keys=True, indent=1) + "\n").encode("utf-8"))


def write(case_id: str, case_dir: Path, replica_roots: list[Path], seq: int, head: str) -> None:
    """Record a durable head (called after the log's fsync, so never ahead of the log)."""
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    record = {"seq": seq, "head": head, "at": at}
    for root in replica_roots:
        try:
            _write_record(root / REPLICA_FILE, {**record, "case_id": case_id})
        except OSError:
            pass  # the replica's own trouble is reported by the custody log itself
    path = machine_file(case_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        mine = _load(path)
        mine[str(case_dir)] = record
        _write_record(path, mine)
    except OSError:
        pass  # a read-only home: the replicas' records still hold
