"""What a report writer may ask of the case, without touching the store itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..types import DEFAULT_ZONE


def _none(*_args: object) -> None:
    return None


@dataclass(frozen=True)
class ReportContext:
    """Case facts and read-only accessors handed to every report writer.

    `object_path(sha256)` gives a verified stored copy of an exhibit (or None
    if no replica holds a good one); `thumbnail(sha256, size)` gives PNG bytes
    or None; `custody_log` is a verified copy of the custody log (JSON lines),
    `custody_seq`/`custody_head` its last line's number and SHA-256 (every
    report prints them, so a log cut short later is visible).
    `generated_at` is when the report is made (UTC ISO): it appears in the
    PDF and HTML but never in chronology.json. `requester` is the config's
    ``[requester]`` table (the ombudsman request's sender; empty values allowed).
    """

    case_name: str = "case"
    language: str = "nl"
    timezone: str = DEFAULT_ZONE
    tool_version: str = __version__
    generated_at: str = ""
    object_path: Callable[[str], Path | None] = _none
    thumbnail: Callable[[str, int], bytes | None] = _none
    custody_log: Path | None = None
    requester: dict[str, str] = field(default_factory=dict)
    custody_seq: int = 0  # the custody log's head when the report was made
    custody_head: str = ""
    #: ``[seal]``: chronology.json.tsr / .p7s by name (embedded in the PDF and the bundle),
    #: what they say (tsa_time, tsa_name, signer), and a callable that signs a written PDF
    seal_files: dict[str, bytes] = field(default_factory=dict)
    seal_info: dict[str, str] = field(default_factory=dict)
    sign_pdf: Callable[[Path], None] | None = None

    @property
    def custody_head_text(self) -> str:
        """The log's head for people: "42 · SHA-256 ab12…" (a cut log shows a lower number)."""
        return f"{self.custody_seq} · SHA-256 {self.custody_head}" if self.custody_seq else "-"
