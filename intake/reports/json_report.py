"""chronology.json: the truth, written as its canonical bytes (RFC 8785)."""

from __future__ import annotations

import os
from pathlib import Path

from intake.chronology.canonical import canonical_bytes
from intake.chronology.context import ReportContext

FILE_NAME = "chronology.json"


def write_json(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.json, byte for byte the canonical form (no newline)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    tmp = out_dir / (FILE_NAME + ".tmp")
    with open(tmp, "wb") as f:
        f.write(canonical_bytes(chronology))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return [path]
