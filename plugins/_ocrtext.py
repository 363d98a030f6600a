"""What the text read from a picture says: the status-bar clock, identifiers, a letter's date.

Only facts as written are reported here; the core normalises identifiers
(E.164 phone numbers, lower-case addresses and handles) when it matches
persons, and resolves time claims. See docs/plugins/ocr.md.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence

from intake import TimeClaim
from intake.months import FULL_NAMES

from ._ocr import Line

#: The status bar: the top of a phone's screen (about 100 of 2400 pixels).
STATUS_BAR = 0.05
_CLOCK = re.compile(r"(?<![\d:.])([01]?\d|2[0-3])[:.]([0-5]\d)(?![\d:])"
                    r"(?:\s?([AaPp])\.?[Mm]\.?)?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_HANDLE = re.compile(r"(?<![\w.@])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|0)\d[\d ./()-]{6,16}\d(?!\d)")

MONTHS = FULL_NAMES  # the one table: intake/months.py (folded: no accents)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})(?:er|e|ste|de|th|st|nd|rd)?\.?\s+(" + _MONTH
                             + r")\.?,?\s+(\d{4})(?!\d)", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(r"\b(" + _MONTH + r")\s+(\d{1,2})(?:st|nd|rd|th)?,\s+(\d{4})(?!\d)",
                             re.IGNORECASE)
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?![\d/.-])")
#: A dateline: "Gent, 12 oktober 2024", "Liège, le 3 novembre 2024", "le 3 novembre 2024".
_DATELINE = re.compile(r"^\s*(?:[^\W\d][\w .'-]{1,40},\s*)?(?:(?:le|den|op)\s+)?\S*\d",
                       re.IGNORECASE)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def status_clock(lines: Sequence[Line], size: tuple[int, int]) -> str | None:
    """The time of day in a phone's status bar ("21:14"), or None.

    Only portrait pictures (a phone's screen) have a status bar; the first
    clock-like text at the very top, left to right, is taken.
    """
    width, height = size
    if not height or height < 1.3 * width:
        return None
    for line in lines:
        if line.top + line.height / 2 > STATUS_BAR * height:
            continue
        m = _CLOCK.search(line.text)
        if m:
            hour, minute = int(m.group(1)), int(m.group(2))
            if m.group(3):
                if not 1 <= hour <= 12:
                    continue
                hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0)
            return f"{hour:02d}:{minute:02d}"
    return None


def clock_claim(clock: str, day_claims: Sequence[TimeClaim]) -> TimeClaim | None:
    """The status-bar clock on the day the picture's own claims give, or None without one.

    Low confidence, minute precision; the core flags it when it disagrees
    with the name's or EXIF's time by more than its tolerance.
    """
    for claim in day_claims:
        local_wall = claim.zone != "utc" and claim.offset not in ("Z", "+00:00")
        if claim.meaning == "taken" and len(claim.local) >= 10 and local_wall:
            day = claim.local[:10]
            return TimeClaim(local=f"{day}T{clock}", offset=claim.offset,
                             source="status-bar clock (OCR)",
                             meaning="taken", granularity="minute", confidence="low",
                             note=f"the clock {clock} shown in the picture's status bar, read "
                                  f"by OCR, on the day from {claim.source}")
    return None


_DIGITISH = re.compile(r"(?<![\w])(?=[\dOoIl]*\d)[\dOoIl]{2,}(?![\w])")


def _as_digits(m: re.Match[str]) -> str:
    """OCR reads 0 as O and 1 as l or I inside numbers: a group with digits is read as digits."""
    return m.group(0).translate(str.maketrans("OoIl", "0011"))


def identifiers(text: str) -> list[str]:
    """Phone numbers, e-mail addresses and @handles as written in the text, in order."""
    found: list[str] = []
    emails = _EMAIL.findall(text)
    found += emails
    rest = _EMAIL.sub(" ", text)
    found += ["@" + h for h in _HANDLE.findall(rest)]
    for m in _PHONE.finditer(_DIGITISH.sub(_as_digits, rest)):
        digits = sum(ch.isdigit() for ch in m.group(0))
        if 9 <= digits <= 15:
            found.append(m.group(0).strip())
    return list(dict.fromkeys(found))


def _dates(line: str) -> list[tuple[int, int, int, int, str]]:
    """(position, year, month, day, as written) of every date in one line."""
    plain = _plain(line)
    out = []
    for m in _DAY_MONTH_YEAR.finditer(plain):
        out.append((m.start(), int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)),
                    line[m.start():m.end()]))
    for m in _MONTH_DAY_YEAR.finditer(plain):
        out.append((m.start(), int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2)),
                    line[m.start():m.end()]))
    for m in _NUMERIC.finditer(plain):  # Belgium writes the day first
        out.append((m.start(), int(m.group(3)), int(m.group(2)), int(m.group(1)),
                    line[m.start():m.end()]))
    return sorted(out)


def written_date(text: str) -> tuple[str, str] | None:
    """The date a letter says it was written ("2024-10-12", the line as written), or None.

    A dateline ("Gent, 12 oktober 2024", "le 3 novembre 2024") wins; else the
    first date in the text. Impossible dates are passed over.
    """
    first = None
    for line in text.splitlines():
        for _pos, y, mo, d, _written in _dates(line):
            if not (1 <= mo <= 12 and 1 <= d <= 31 and 1900 <= y <= 2100):
                continue
            try:
                datetime.date(y, mo, d)
            except ValueError:
                continue
            found = (f"{y:04d}-{mo:02d}-{d:02d}", line.strip())
            if _DATELINE.match(line) and len(line.strip()) <= 60:
                return found
            first = first or found
    return first


def written_claim(text: str) -> TimeClaim | None:
    """A time claim "date written in the document" for the letter's own date."""
    found = written_date(text)
    if found is None:
        return None
    day, line = found
    return TimeClaim(local=day, source="date written in the document (OCR)", meaning="written",
                     granularity="day", confidence="medium",
                     note=f"as written in the document: {line!r}, read by OCR")
