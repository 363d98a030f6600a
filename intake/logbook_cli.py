"""``intake log add``: write one logbook entry into the inbox and store it.

The ``--when`` is read with the logbook's own rules (``intake.logtime``)
before anything is written: an unreadable or impossible time is refused with
a plain reason, so no entry is ever filed at the moment of typing instead.

The entry is a small Markdown file in the documented logbook template
(docs/logbook.md), so it is kept, hashed and read exactly like a logbook the
victim wrote by hand. If the watcher is running, it takes the file; otherwise
it is stored at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .case import Case
from .config import load_config
from .errors import CaseLockedError, IntakeError
from .files import atomic_write
from .i18n import translator
from .ingest import Pipeline
from .logentry import default_entry_id, entry_file_name, render_entry
from .logtime import read_when
from .messages import translate
from .timeclaims import BadTimeClaim, resolve


def _witness(text: str) -> tuple[str, str]:
    name, _, contact = text.partition(",")
    return name.strip(), contact.strip()


def when_problem(when: str, zone: str, today) -> tuple[str, bool]:
    """(why `when` cannot be used, '' if it can; whether its hour happened twice)."""
    claims, problem = read_when(when, today=today)
    flags: set[str] = set()
    if not problem:
        try:
            for claim in claims:
                flags.update(resolve(claim, zone).flags)
        except BadTimeClaim as exc:
            problem = str(exc)
        if "dst-gap" in flags:
            problem = ("that clock time does not exist in the case's zone (the clocks "
                       "jumped forward that night)")
    return problem, not problem and "dst-ambiguous" in flags


def check_when(when: str, zone: str, today) -> list[str]:
    """Notes for the adviser about a readable --when; raises IntakeError when it is
    unreadable or impossible (then nothing is written: no file, no custody line)."""
    problem, ambiguous = when_problem(when, zone, today)
    if problem:
        raise IntakeError(f"--when {when.strip()!r} cannot be used: {problem}; write it like "
                          f"2024-03-01 21:15 or 1/3/2024 21:15; nothing was written")
    if ambiguous:
        return [f"{when.strip()!r} happened twice that night (summer and winter time); the "
                f"entry is recorded as ambiguous; add +02:00 (the first) or +01:00 (the "
                f"second) to say which"]
    return []


def add_entry(case_dir: Path, *, when: str, what: str, place: str = "",
              witnesses: tuple[str, ...] = (), pv: str = "", exhibits: tuple[str, ...] = (),
              feeling: str = "", category: str = "",
              supersedes: str = "") -> tuple[Path, str, list[str]]:
    """Write the entry file into inbox/logbook/ and store it.

    Returns (file, outcome line, notes), in the case's language. Everything is
    checked before anything is written: a bad --when or an empty --what writes
    no file and no custody line.
    """
    config = load_config(case_dir)
    if not what.strip():
        raise IntakeError(translate("say what happened (--what); nothing was written",
                                    config.language))
    written_at = datetime.now(ZoneInfo(config.timezone)).replace(microsecond=0)
    try:
        notes = check_when(when, config.timezone, written_at.date())
    except IntakeError as exc:
        raise IntakeError(translate(str(exc), config.language)) from None
    notes = [translate(n, config.language) for n in notes]
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
    atomic_write(path, text.encode("utf-8"), suffix=".part")  # .part: skipped until renamed
    t = translator(config.language)
    try:
        with Case.open(case_dir) as case, Pipeline(case, sandbox=False) as pipeline:
            task = pipeline.process(path, from_inbox=True)
    except CaseLockedError:
        return path, t.gettext("Logbook entry written: {file} (the watcher will store it in a "
                               "moment)", file=name), notes
    if task.outcome in ("refused", "changed"):
        return path, t.gettext("Logbook entry written: {file} (not stored yet: {reason})",
                               file=name, reason=translate(task.reason, config.language)), notes
    return path, t.gettext("Logbook entry written: {file} (stored as {sha256}…)", file=name,
                           sha256=task.sha256[:12]), notes
