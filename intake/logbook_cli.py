"""``intake log add``: write one logbook entry into the inbox and store it.

The entry is a small Markdown file in the documented logbook template
(docs/logbook.md), so it is kept, hashed and read exactly like a logbook the
victim wrote by hand. If the watcher is running, it takes the file; otherwise
it is stored at once.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .case import Case
from .config import load_config
from .errors import CaseLockedError, IntakeError
from .logentry import default_entry_id, entry_file_name, render_entry
from .pipeline import Pipeline


def _witness(text: str) -> tuple[str, str]:
    name, _, contact = text.partition(",")
    return name.strip(), contact.strip()


def add_entry(case_dir: Path, *, when: str, what: str, place: str = "",
              witnesses: tuple[str, ...] = (), pv: str = "", exhibits: tuple[str, ...] = (),
              feeling: str = "", category: str = "", supersedes: str = "") -> tuple[Path, str]:
    """Write the entry file into inbox/logbook/ and store it; returns (file, outcome)."""
    if not what.strip():
        raise IntakeError("say what happened (--what)")
    config = load_config(case_dir)
    written_at = datetime.now(ZoneInfo(config.timezone)).replace(microsecond=0)
    entry_id = default_entry_id(written_at)
    folder = config.inbox / "logbook"
    folder.mkdir(parents=True, exist_ok=True)
    n, name = 1, entry_file_name(entry_id)
    while (folder / name).exists() or (config.ingested_dir / "logbook" / name).exists():
        n += 1
        name = entry_file_name(f"{entry_id}-{n}")
    if n > 1:
        entry_id = f"{entry_id}-{n}"
    text = render_entry(when.strip(), what, place=place, witnesses=[_witness(w) for w in witnesses],
                        pv=pv, exhibits=exhibits, feeling=feeling, category=category,
                        written_at=written_at, entry_id=entry_id, supersedes=supersedes,
                        language=config.language, zone=config.timezone)
    path = folder / name
    temp = folder / f"{name}.part"  # skipped by the watcher until renamed
    with open(temp, "x", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)
    try:
        with Case.open(case_dir) as case, Pipeline(case, sandbox=False) as pipeline:
            task = pipeline.process(path, from_inbox=True)
    except CaseLockedError:
        return path, "the watcher will store it in a moment"
    if task.outcome in ("refused", "changed"):
        return path, f"not stored yet: {task.reason}"
    return path, f"stored as {task.sha256[:12]}…"
