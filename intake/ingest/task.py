"""One file on its way through the stages, and the small facts every stage uses."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..put import PutResult

MAX_DEPTH = 8  # derived items inside derived items
MAX_DERIVED = 20000  # per item


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ns_to_iso(ns: int) -> str:
    moment = datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def meta_dir(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}"


@dataclass
class Task:
    """One file on its way through the stages."""

    path: Path
    source: str  # as recorded: "inbox/sub/x.jpg" or an absolute path (readable text)
    from_inbox: bool
    name: str = ""
    source_bytes: str | None = None  # hex of the raw path when it is not valid UTF-8
    st: os.stat_result | None = None
    fs_times: dict[str, str] = field(default_factory=dict)
    put: PutResult | None = None
    sha256: str = ""
    receipt_id: str = ""
    outcome: str = ""  # stored, waiting, settled, skipped, refused, changed
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.outcome in ("refused", "changed", "skipped")


class Refused(Exception):
    """The file cannot be taken now; the reason is for people."""
