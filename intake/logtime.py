"""Reading the dates and times people write in a logbook (a helper, not a plugin).

Shared by the built-in logbook plugin and ``intake log add`` (which refuses
a ``--when`` that these rules cannot read, instead of filing the entry at
the moment of typing). Plugin authors reading other diaries may use it too.

Dates as Belgians write them (``1/3/2024``, ``2024-03-01``, ``1 maart 2024``),
times exact, approximate (``ca. 21:00``) or as a period (``21:00-21:30``),
and an optional UTC offset after the time (``02:30 +01:00``), kept as given
so that the second 02:30 of the night clocks go back can be written down.
A time without an offset is the case's wall time; the core flags one that
falls in the repeated hour as ``dst-ambiguous``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .months import fold, month_number
from .types import TimeClaim

_fold = fold  # words compared without case or accents (intake/months.py)


_APPROX = re.compile(r"^(?:ca\.?|circa|rond(?:om)?|omstreeks|ongeveer|plusminus|\+/-|\+-|±|~|"
                     r"vers|environ|aux alentours de|autour de|around|about|approx\.?|"
                     r"approximately|roughly)\s*", re.IGNORECASE)
_DMY = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_WORD_DATE = re.compile(r"(?<!\d)(\d{1,2})(?:er|e|ste|de|st|nd|rd|th)?\.?\s+([^\W\d_]+)\.?\s+"
                        r"(\d{4})(?!\d)")
_CLOCK = re.compile(r"(?<![\d:.])([01]?\d|2[0-3])\s*(?:(?=\s*(?:uur|heures?)\b)|[:.uh]\s*"
                    r"([0-5]\d)?)(?::([0-5]\d))?(?![\d])", re.IGNORECASE)
#: A UTC offset after the time: "Z", "+01:00" (also "+0100"), or " -05:00" with a space
#: before the minus, so that a period "21:00-21:30" is never read as an offset.
_OFFSET = re.compile(r"(?:\s*(?P<o>Z|\+\d{2}:?\d{2})|\s+(?P<o2>-\d{2}:?\d{2}))$")
_RANGE_SPLIT = re.compile(r"\s*(?:-|–|—|\btot\b|\bt/m\b|\btot en met\b|\ba\b|\bà\b|\bau\b|"
                          r"\bto\b|\buntil\b|\ben\b|\bet\b|\band\b)\s*", re.IGNORECASE)
_RANGE_WORDS = re.compile(r"^(?:van|tussen|de|du|entre|from|between)\s+", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """One date as Belgians write it: d/m/yyyy, d-m-yy, yyyy-mm-dd, 1 maart 2024."""
    text = text.strip()
    m = _YMD.search(text)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DMY.search(text)
        if m:
            year = int(m.group(3))
            year += 2000 if year < 100 else 0
            return date(year, int(m.group(2)), int(m.group(1)))
        m = _WORD_DATE.search(text)
        if m and month_number(m.group(2)):
            return date(int(m.group(3)), month_number(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return None


def _date_span(text: str) -> tuple[int, int]:
    for pattern in (_YMD, _DMY, _WORD_DATE):
        m = pattern.search(text)
        if m and (pattern is not _WORD_DATE or month_number(m.group(2))):
            return m.span()
    return (-1, -1)


def parse_dates(text: str) -> tuple[date | None, date | None, str]:
    """(first day, last day or None, text left after the dates)."""
    start, end = _date_span(text)
    if start < 0:
        return None, None, text
    first = parse_date(text[start:end])
    rest = text[end:]
    m = re.match(r"\s*(?:-|–|—|tot|t/m|au|to|until|jusqu'au)\s*", rest, re.IGNORECASE)
    if m:
        s2, e2 = _date_span(rest[m.end():])
        if s2 == 0:
            second = parse_date(rest[m.end():m.end() + e2])
            return first, second, (text[:start] + rest[m.end() + e2:]).strip()
    return first, None, (text[:start] + rest).strip()


def _clock(text: str) -> tuple[int, int, int | None, bool] | None:
    """(hour, minute, second, minutes written) of the first clock time in text."""
    m = _CLOCK.search(text)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3)) if m.group(3) else None,
            bool(m.group(2)))


_FILLER = {"-", "–", "—", "tot", "t/m", "a", "à", "au", "to", "until", "en", "et", "and",
           "uur", "heure", "heures", "h", "u", "om", "at", "vers", "omstreeks"}


def parse_time(text: str) -> dict:
    """Read a time field: exact, a period, or approximate; words otherwise.

    Returns {"start": clock | None, "end": clock | None, "approx": bool,
    "words": the text when it is not only clock times}; a clock is
    (hour, minute, second | None, minutes written).
    """
    raw = " ".join(text.split())
    approx = False
    body = raw
    m = _APPROX.match(body)
    if m:
        approx, body = True, body[m.end():]
    body = _RANGE_WORDS.sub("", body)
    clocks = list(_CLOCK.finditer(body))
    leftover = [w for w in _CLOCK.sub(" ", body).replace("-", " - ").split()
                if _fold(w).strip(".,") not in _FILLER]
    words = raw if leftover else ""

    def clock(match: re.Match) -> tuple[int, int, int | None, bool]:
        return (int(match.group(1)), int(match.group(2) or 0),
                int(match.group(3)) if match.group(3) else None, bool(match.group(2)))

    if len(clocks) >= 2 and _RANGE_SPLIT.fullmatch(body[clocks[0].end():clocks[1].start()]):
        return {"start": clock(clocks[0]), "end": clock(clocks[1]), "approx": approx,
                "words": words}
    if clocks:
        return {"start": clock(clocks[0]), "end": None, "approx": approx or bool(words),
                "words": words}
    return {"start": None, "end": None, "approx": approx, "words": raw}


def _iso(day: date, clock: tuple[int, int, int | None, bool] | None) -> tuple[str, str]:
    if clock is None:
        return day.isoformat(), "day"
    hour, minute, second, has_minutes = clock
    moment = datetime(day.year, day.month, day.day, hour, minute, second or 0)
    granularity = "second" if second is not None else "minute" if has_minutes else "hour"
    return moment.isoformat(), granularity


def split_offset(text: str) -> tuple[str, str | None, str]:
    """(text without a trailing UTC offset, the offset as +HH:MM or Z, problem)."""
    raw = " ".join(text.split())
    m = _OFFSET.search(raw)
    if not m or not _clock(raw[:m.start()]):
        return text, None, ""
    offset = m.group("o") or m.group("o2")
    if offset != "Z":
        digits = offset[1:].replace(":", "")
        if int(digits[:2]) > 14 or int(digits[2:]) >= 60:
            return raw[:m.start()], None, f"the offset {offset!r} is not a real UTC offset"
        offset = f"{offset[0]}{digits[:2]}:{digits[2:]}"
    return raw[:m.start()], offset, ""


def happened_claims(date_text: str, time_text: str, source: str) -> tuple[list[TimeClaim],
                                                                          list[str]]:
    """The claims for when the fact happened, and problems in plain words."""
    problems: list[str] = []
    approx_date = bool(_APPROX.match(date_text.strip()))
    first, last, rest = parse_dates(_APPROX.sub("", date_text.strip(), count=1))
    if first is None:
        if date_text.strip():
            problems.append(f"the date {date_text.strip()!r} could not be read")
        return [], problems
    if not time_text.strip() and rest.strip():
        time_text = rest  # "1/3/2024 21:15" in the date field
    time_text, offset, problem = split_offset(time_text)
    if problem:
        problems.append(problem)
    parsed = parse_time(time_text) if time_text.strip() else {
        "start": None, "end": None, "approx": False, "words": ""}
    approx = approx_date or parsed["approx"]
    written = " ".join(f"{date_text} {time_text if time_text not in date_text else ''}"
                       .split())
    if offset and parsed["start"] is None:
        offset = None  # a day alone has no offset
        problems.append("an offset is given without a time of day; it was not used")
    zone = "explicit" if offset else ""
    base_flags = ("approximate",) if approx else ()
    confidence = "medium" if approx else "high"
    note = f"as written: {written}"
    if parsed["words"]:
        note += " (the time is described in words, not read as a clock time)"
    end_day = last or first
    claims: list[TimeClaim] = []
    if parsed["start"] and parsed["end"]:
        start_local, g1 = _iso(first, parsed["start"])
        end_local, g2 = _iso(end_day, parsed["end"])
        if end_local < start_local and last is None:
            end_local, g2 = _iso(first + timedelta(days=1), parsed["end"])
        claims.append(TimeClaim(local=start_local, source=source, meaning="happened", offset=offset, zone=zone,
                                granularity=g1, confidence=confidence,
                                note=note + " (start of the period)",
                                flags=(*base_flags, "period-start")))
        claims.append(TimeClaim(local=end_local, source=source, meaning="happened", offset=offset, zone=zone,
                                granularity=g2, confidence=confidence,
                                note=note + " (end of the period)",
                                flags=(*base_flags, "period-end")))
    elif last is not None:
        claims.append(TimeClaim(local=first.isoformat(), source=source, meaning="happened",
                                granularity="day", confidence=confidence,
                                note=note + " (start of the period)",
                                flags=(*base_flags, "period-start")))
        claims.append(TimeClaim(local=last.isoformat(), source=source, meaning="happened",
                                granularity="day", confidence=confidence,
                                note=note + " (end of the period)",
                                flags=(*base_flags, "period-end")))
    else:
        local, granularity = _iso(first, parsed["start"])
        claims.append(TimeClaim(local=local, source=source, meaning="happened", offset=offset,
                                zone=zone,
                                granularity=granularity, confidence=confidence, note=note,
                                flags=base_flags))
    return claims, problems


def recorded_claim(text: str, source: str) -> tuple[TimeClaim | None, str]:
    """When the entry was written down."""
    raw = " ".join(text.split())
    if not raw:
        return None, ""
    offset = None
    m = _OFFSET.search(raw)
    body = raw
    if m and _clock(raw[:m.start()]):
        offset = m.group("o") or m.group("o2")
        if offset != "Z" and ":" not in offset:
            offset = offset[:3] + ":" + offset[3:]
        body = raw[:m.start()]
    day, _, rest = parse_dates(body.replace("T", " "))
    if day is None:
        return None, f"the date it was written down, {raw!r}, could not be read"
    clock = _clock(rest)
    local, granularity = _iso(day, clock)
    return TimeClaim(local=local, source=source, meaning="recorded", offset=offset,
                     granularity=granularity, confidence="high",
                     zone="explicit" if offset else "",
                     note=f"as written: {raw}"), ""


def read_when(text: str, source: str = "intake log add --when (declared)",
              today: date | None = None) -> tuple[list[TimeClaim], str]:
    """The claims of a ``--when`` typed by the adviser, or a problem in plain words.

    Stricter than a hand-written logbook (which is kept whatever it says): a
    date that cannot be read, a day or clock time that does not exist, digits
    that are no clock time ("25:00"), an unreal offset or a date after `today`
    are refused, so that nothing is filed at a time nobody meant.
    """
    raw = " ".join(str(text).split())
    if not raw:
        return [], "no date is given"
    claims, problems = happened_claims(raw, "", source)
    if problems or not claims:
        return [], problems[0] if problems else "the date could not be read"
    _, _, rest = parse_dates(_APPROX.sub("", raw, count=1))
    rest, _, _ = split_offset(rest)
    parsed = parse_time(rest) if rest.strip() else {"words": "", "start": None}
    if parsed["words"] and re.search(r"\d", _CLOCK.sub(" ", _RANGE_WORDS.sub("", rest))):
        return [], f"{rest.strip()!r} is not a time of day that exists"
    locals_ = [c.local for c in claims]
    if len(locals_) == 2 and locals_[1] < locals_[0]:
        return [], "the period ends before it starts"
    if today is not None and any(date.fromisoformat(c.local[:10]) > today for c in claims):
        return [], "it lies in the future"
    return claims, ""
