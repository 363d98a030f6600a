"""chronology.json: the truth, written as its canonical bytes (RFC 8785)."""

from __future__ import annotations

from pathlib import Path

from intake.chronology.hashing import canonical_chunks
from intake.files import atomic_write
from intake.reports.context import ReportContext

FILE_NAME = "chronology.json"


def write_json(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.json, byte for byte the canonical form (no newline).

    A sealed chronology is streamed out from the entry bytes kept at sealing:
    the file (130 MB for 100,000 entries) never sits in memory whole."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    atomic_write(path, canonical_chunks(chronology))
    return [path]
