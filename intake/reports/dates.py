"""Dates as the reader reads them: a chronology's local time cut to its granularity, and
a day in the reader's form (01/07/2024, 1 juli 2024).

Kept apart from ``labels.py`` (the words) so that each has one job.
"""

from __future__ import annotations

import re

from intake.i18n import translator

_LOCAL = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"(?P<off>Z|[+-]\d{2}:?\d{2})?$"
)


def split_local(local: str, granularity: str = "second") -> tuple[str, str, str]:
    """`2024-07-01T23:30:05+02:00` -> ("2024-07-01", "23:30:05", "+02:00").

    The time is cut to what the granularity allows (day: no time; minute:
    HH:MM; second and finer: HH:MM:SS). Unreadable input gives ("", "", "").
    """
    m = _LOCAL.match((local or "").strip())
    if not m:
        return "", "", ""
    date = f"{m['y']}-{m['m']}-{m['d']}"
    time = ""
    if m["H"] is not None and granularity != "day":
        time = f"{m['H']}:{m['M']}"
        if granularity not in ("minute", "hour") and m["S"] is not None:
            time += f":{m['S']}"
    off = m["off"] or ""
    if off == "Z":
        off = "+00:00"
    elif off and ":" not in off:
        off = f"{off[:3]}:{off[3:]}"
    return date, time, off if time else ""


def format_date(iso_date: str, lang: str | None, style: str = "short") -> str:
    """ISO date in the reader's form: 01/07/2024 for nl and fr (2024-07-01 for en);
    ``style="long"``: 1 juli 2024, 1 juillet 2024, 1 July 2024."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso_date or ""):
        return iso_date or ""
    t = translator(lang)
    if style == "long":
        return t.date(iso_date, "long")
    if t.lang == "en":
        return iso_date
    return t.date(iso_date)
