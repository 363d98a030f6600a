"""Reading the dates images write, in their many forms (not a plugin itself).

EXIF ``2021:04:11 15:47:53``, ISO 8601 / XMP ``2021-04-11T15:47:53.054-05:00``
and free text such as ``Sat 01 Mar 2024 09:15:30 PM CET``: each becomes an
ISO wall time with the offset only when one was written. Split from
``_imaging`` so each module keeps one job.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from intake.months import ANY_LANGUAGE, month_number

_EXIF_DT = re.compile(
    r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?")
_ISO_DT = re.compile(
    r"^\s*(\d{4})(?:[-:](\d{2})(?:[-:](\d{2})(?:[T ](\d{2}):(\d{2})"
    r"(?::(\d{2})(?:[.,](\d+))?)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


def clean_text(value: Any) -> str:
    """A tag value as a trimmed string (NULs and padding removed)."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip()


def norm_offset(text: str) -> str | None:
    """``+0200`` / ``+02:00`` / ``Z`` -> ``+02:00`` / ``Z``; None when not an offset."""
    text = clean_text(text)
    if text in ("Z", "z"):
        return "Z"
    m = _OFFSET.match(text)
    if not m:
        return None
    sign, hh, mm = m.groups()
    if int(hh) > 14 or int(mm) >= 60:
        return None
    return f"{sign}{hh}:{mm}"


def _valid(y: int, mo: int = 1, d: int = 1, h: int = 0, mi: int = 0, s: int = 0) -> bool:
    try:
        datetime(y, mo, d, h, mi, s)
    except ValueError:
        return False
    return 1800 <= y <= 9999


def parse_exif_datetime(text: str) -> str | None:
    """``2021:04:11 15:47:53`` -> ``2021-04-11T15:47:53``; None when unreadable."""
    m = _EXIF_DT.match(clean_text(text))
    if not m:
        return None
    y, mo, d, h, mi = (int(g) for g in m.groups()[:5])
    s = int(m.group(6) or 0)
    if not _valid(y, mo, d, h, mi, s):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"


def parse_iso(text: str) -> tuple[str, str | None, str] | None:
    """An XMP / ISO 8601 date -> (local, offset, granularity); None when unreadable."""
    m = _ISO_DT.match(clean_text(text))
    if not m:
        return None
    y, mo, d, h, mi, s, frac, off = m.groups()
    ints = [int(v) for v in (y, mo or 1, d or 1, h or 0, mi or 0, s or 0)]
    if not _valid(*ints):
        return None
    offset = norm_offset(off) if off else None
    if mo is None:
        return f"{ints[0]:04d}", None, "year"
    if d is None:
        return f"{ints[0]:04d}-{ints[1]:02d}", None, "month"
    if h is None:
        return f"{ints[0]:04d}-{ints[1]:02d}-{ints[2]:02d}", None, "day"
    local = f"{ints[0]:04d}-{ints[1]:02d}-{ints[2]:02d}T{ints[3]:02d}:{ints[4]:02d}"
    if s is None:
        return local, offset, "minute"
    local += f":{ints[5]:02d}"
    if frac:
        return f"{local}.{frac[:6]}", offset, "subsecond"
    return local, offset, "second"


#: Zone abbreviations with one meaning only (CST, IST, BST... are left unread).
_ZONE_ABBR = {
    "UTC": "Z", "GMT": "Z", "UT": "Z", "Z": "Z",
    "CET": "+01:00", "CEST": "+02:00", "MET": "+01:00", "MEST": "+02:00",
    "WET": "+00:00", "WEST": "+01:00", "EET": "+02:00", "EEST": "+03:00",
    "EST": "-05:00", "EDT": "-04:00", "CDT": "-05:00", "MST": "-07:00", "MDT": "-06:00",
    "PST": "-08:00", "PDT": "-07:00",
}
_TEXT_DT = re.compile(
    r"(\d{1,2})\.?\s+([^\W\d_]{3,9})\.?,?\s+(\d{4}),?\s+(?:\D{0,4}\s)?(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s*([AaPp])\.?\s?[Mm]\.?)?(?:\s+([+-]\d{2}:?\d{2}|[A-Z]{1,5}))?")
_TEXT_DT_MONTH_FIRST = re.compile(
    r"([^\W\d_]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s*([AaPp])\.?\s?[Mm]\.?)?(?:\s+([+-]\d{2}:?\d{2}|[A-Z]{1,5}))?")


def _month(token: str) -> int | None:
    return month_number(token, ANY_LANGUAGE, prefixes=True)


def parse_text_time(text: str) -> tuple[str, str | None, str, str] | None:
    """A free-text time (ISO, RFC 2822, ``ctime``-like in several languages).

    Returns (local, offset, granularity, note) or None.
    """
    text = clean_text(text).replace("\u202f", " ").replace("\u00a0", " ")
    iso = parse_iso(text)
    if iso:
        return iso[0], iso[1], iso[2], ""
    for regex, day_first in ((_TEXT_DT, True), (_TEXT_DT_MONTH_FIRST, False)):
        m = regex.search(text)
        if not m:
            continue
        a, b, year, hour, minute, second, ampm, zone = m.groups()
        day_s, month_s = (a, b) if day_first else (b, a)
        month = _month(month_s)
        if not month:
            continue
        h = int(hour)
        if ampm:
            if not 1 <= h <= 12:
                continue
            h = h % 12 + (12 if ampm.lower() == "p" else 0)
        y, d, mi, s = int(year), int(day_s), int(minute), int(second or 0)
        if not _valid(y, month, d, h, mi, s):
            continue
        local = f"{y:04d}-{month:02d}-{d:02d}T{h:02d}:{mi:02d}"
        granularity = "minute"
        if second is not None:
            local += f":{s:02d}"
            granularity = "second"
        offset, note = None, ""
        if zone:
            offset = norm_offset(zone) if zone[0] in "+-" else _ZONE_ABBR.get(zone)
            if offset and zone[0] not in "+-":
                note = f"zone abbreviation {zone} read as {offset}"
            elif not offset:
                note = f"zone {zone!r} is not one we can read without doubt; read as local time"
        return local, offset, granularity, note
    return None


def is_placeholder(local: str) -> bool:
    """A camera's default clock: midnight on 1 January, or a year before 1980."""
    if local.endswith("-01-01T00:00:00"):
        return True
    return local[:4].isdigit() and int(local[:4]) < 1980
