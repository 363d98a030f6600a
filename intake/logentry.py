"""Write one logbook entry as a small Markdown file (``intake log add``).

The file follows the logbook template documented in ``docs/logbook.md``, so
the built-in logbook plugin reads it back like any logbook the victim wrote
by hand. An entry is never edited in place: a corrected version is a new
entry whose ``Vervangt``/``Remplace``/``Supersedes`` field names the old one.

This module only renders text; it depends on nothing but the standard
library (the CLI writes the file into the inbox).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .types import DEFAULT_ZONE

#: Field labels per language, in the order they are written.
LABELS: dict[str, dict[str, str]] = {
    "nl": {"title": "Logboek", "id": "Id", "date": "Datum", "time": "Tijd", "place": "Plaats",
           "what": "Wat", "witnesses": "Getuigen", "pv": "PV", "exhibits": "Bewijs",
           "feeling": "Gevoel", "category": "Categorie", "written": "Genoteerd",
           "supersedes": "Vervangt"},
    "fr": {"title": "Journal de bord", "id": "Id", "date": "Date", "time": "Heure",
           "place": "Lieu", "what": "Quoi", "witnesses": "Témoins", "pv": "PV",
           "exhibits": "Preuves", "feeling": "Ressenti", "category": "Catégorie",
           "written": "Noté", "supersedes": "Remplace"},
    "en": {"title": "Logbook", "id": "Id", "date": "Date", "time": "Time", "place": "Place",
           "what": "What", "witnesses": "Witnesses", "pv": "PV", "exhibits": "Exhibits",
           "feeling": "Feeling", "category": "Category", "written": "Written",
           "supersedes": "Supersedes"},
}

When = datetime | date | str | Sequence[datetime]


def _language(language: str) -> str:
    code = (language or "nl").lower().split("-")[0].split("_")[0]
    return code if code in LABELS else "nl"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _block(text: str) -> list[str]:
    """A value over several lines: the first as is, the others indented."""
    lines = [line.rstrip() for line in str(text).strip().splitlines()] or [""]
    return [lines[0]] + [f"  {line}" if line.strip() else "" for line in lines[1:]]


def _date_time_fields(when: When, time_note: str) -> tuple[str, str]:
    note = _one_line(time_note)
    if isinstance(when, str):
        text = _one_line(when)
        return text, note
    if isinstance(when, Sequence) and not isinstance(when, str):
        if len(when) != 2:
            raise ValueError("a period needs a start and an end")
        start, end = when
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            raise ValueError("a period is two datetimes")
        if start.date() == end.date():
            return start.date().isoformat(), f"{start:%H:%M}-{end:%H:%M}"
        return (f"{start.date().isoformat()} - {end.date().isoformat()}",
                f"{start:%H:%M}-{end:%H:%M}")
    if isinstance(when, datetime):
        clock = f"{when:%H:%M}"
        return when.date().isoformat(), f"{note} {clock}".strip()
    if isinstance(when, date):
        return when.isoformat(), note
    raise ValueError(f"cannot write a date from {type(when).__name__}")


def _written(written_at: datetime | None, zone: str) -> datetime:
    if written_at is None:
        return datetime.now(ZoneInfo(zone)).replace(microsecond=0)
    return written_at.replace(microsecond=0)


def _format_written(moment: datetime) -> str:
    text = f"{moment:%Y-%m-%d %H:%M:%S}"
    if moment.utcoffset() is not None:
        offset = moment.strftime("%z")
        text += f" {offset[:3]}:{offset[3:]}"
    return text


def default_entry_id(written_at: datetime) -> str:
    """An id from the moment of writing, e.g. ``20240302-081530``."""
    return f"{written_at:%Y%m%d-%H%M%S}"


def entry_file_name(entry_id: str) -> str:
    """The file name for an entry: ``logbook-<id>.md``, with only safe characters."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", str(entry_id)).strip("-.") or "entry"
    return f"logbook-{safe[:80]}.md"


def _witness_line(witness) -> str:
    if isinstance(witness, str):
        return _one_line(witness)
    if isinstance(witness, dict):
        name, contact = witness.get("name", ""), witness.get("contact", "")
    else:
        name, contact = (list(witness) + ["", ""])[:2]
    name, contact = _one_line(name), _one_line(contact)
    return f"{name} ({contact})" if contact else name


def render_entry(when: When, what: str, place: str = "",
                 witnesses: Iterable = (), pv: str = "", exhibits: Iterable[str] = (),
                 feeling: str = "", category: str = "", time_note: str = "",
                 written_at: datetime | None = None, entry_id: str | None = None,
                 supersedes: str = "", language: str = "nl",
                 zone: str = DEFAULT_ZONE) -> str:
    """A one-entry logbook file in the documented Markdown template.

    :param when: when the fact happened: a datetime (exact to the minute), a
        date (day only), a pair of datetimes (a period), or the words the
        victim used (``"1/3/2024 ca. 21:00"``), written as given.
    :param time_note: words before the time, e.g. ``"ca."``, ``"vers"``,
        ``"around"`` (an approximate time), or with a date alone the part of
        the day (``"'s avonds"``).
    :param witnesses: names, ``(name, contact)`` pairs or ``{"name", "contact"}``.
    :param written_at: when the entry is written down (default: now in `zone`).
    :param entry_id: the entry's id (default: from `written_at`).
    :param supersedes: the id of the entry this one corrects.
    :param language: ``nl``, ``fr`` or ``en`` field names.
    """
    labels = LABELS[_language(language)]
    moment = _written(written_at, zone)
    entry_id = _one_line(entry_id) if entry_id else default_entry_id(moment)
    day, clock = _date_time_fields(when, time_note)
    what_text = str(what).strip()
    heading = _one_line(what_text)[:60] or entry_id
    lines = [f"# {labels['title']}", "", f"## {entry_id}: {heading}",
             f"{labels['id']}: {entry_id}", f"{labels['date']}: {day}"]
    if clock:
        lines.append(f"{labels['time']}: {clock}")
    if place:
        lines.append(f"{labels['place']}: {_one_line(place)}")
    lines.append(f"{labels['what']}: " + "\n".join(_block(what_text)))
    witness_lines = [_witness_line(w) for w in witnesses]
    witness_lines = [w for w in witness_lines if w]
    if witness_lines:
        lines.append(f"{labels['witnesses']}:")
        lines.extend(f"- {w}" for w in witness_lines)
    if pv:
        lines.append(f"{labels['pv']}: {_one_line(pv)}")
    exhibit_lines = [_one_line(e) for e in exhibits if _one_line(e)]
    if exhibit_lines:
        lines.append(f"{labels['exhibits']}:")
        lines.extend(f"- {e}" for e in exhibit_lines)
    if feeling:
        lines.append(f"{labels['feeling']}: " + "\n".join(_block(feeling)))
    if category:
        lines.append(f"{labels['category']}: {_one_line(category)}")
    lines.append(f"{labels['written']}: {_format_written(moment)}")
    if supersedes:
        lines.append(f"{labels['supersedes']}: {_one_line(supersedes)}")
    return "\n".join(lines) + "\n"


__all__ = ["LABELS", "render_entry", "entry_file_name", "default_entry_id"]
