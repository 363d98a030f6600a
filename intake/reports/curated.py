"""What the adviser's curation changes in the police report (PDF, HTML, CSV).

An entry the adviser excluded from the police report is left out of its
tables, chart and counts (it stays in chronology.json, which is attached
whole); a star, tags and the adviser's note are shown with the entry. Words from the gettext catalogues
(context ``curation``, through ombudsman_words.py).
"""

from __future__ import annotations

from .ombudsman_words import words


def for_police(entries: list[dict]) -> list[dict]:
    """The entries the police report shows: all but those excluded by the adviser."""
    return [e for e in entries if police_shows(e)]


def police_shows(entry: dict) -> bool:
    """Whether the police report shows this entry (the adviser did not exclude it)."""
    return (entry.get("curation") or {}).get("police") != "exclude"


def left_out(chronology: dict) -> int:
    entries = list(chronology.get("entries") or []) + list(chronology.get("undated") or [])
    return len(entries) - len(for_police(entries))


def curation_lines(entry: dict, lang: str) -> list[str]:
    """The star, the tags and the note of an entry as lines the reader sees."""
    W = words(lang)
    c = entry.get("curation") or {}
    out = []
    if c.get("star"):
        out.append(f"★ {W['starred']}")
    if c.get("tags"):
        out.append(f"{W['tags']}: " + ", ".join(c["tags"]))
    if c.get("note"):
        out.append(f"{W['note']}: {c['note']}")
    if lang == "fr":
        out = [line.replace(": ", "\u202f: ", 1) if not line.startswith("★") else line
               for line in out]
    return out
