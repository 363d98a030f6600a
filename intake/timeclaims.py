"""Turn a time claim as written into an instant: the core's one rule for zones.

A claim with an offset is exact. A claim without one is read in the case's
zone (``Europe/Brussels`` by default) with its DST rules, and marked
``assumed``; a wall time that falls in the hour repeated when clocks go back
is flagged ``dst-ambiguous`` (the earlier reading is used), one in the hour
skipped when clocks go forward is flagged ``dst-gap`` (read with the offset
before the change). Nothing is guessed silently.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .types import TimeClaim

_OFFSET = re.compile(r"^(?:Z|[+-]\d{2}:?\d{2})$")


class BadTimeClaim(ValueError):
    """A claim whose local time or offset cannot be read."""


@functools.lru_cache(maxsize=256)
def parse_offset(text: str) -> timezone:
    """``Z``, ``+02:00``, ``-0500`` -> a fixed timezone (a few offsets, read once each)."""
    if not _OFFSET.match(text):
        raise BadTimeClaim(f"offset {text!r} is not like +02:00")
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if delta >= timedelta(hours=24):
        raise BadTimeClaim(f"offset {text!r} is a day or more")
    return timezone(sign * delta)


def parse_local(text: str) -> datetime:
    """ISO wall time (``2021-04-11``, ``2021-04-11T15:47``, ...) -> naive datetime."""
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadTimeClaim(f"time {text!r} is not an ISO date and time") from exc


@functools.lru_cache(maxsize=256)
def format_offset(delta: timedelta | None) -> str:
    """A UTC offset as ``+HH:MM`` (a phone backup repeats two offsets 100,000 times)."""
    total = int((delta or timedelta()).total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def format_utc(moment: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with ``Z``; microseconds only if any."""
    moment = moment.astimezone(UTC)
    spec = ("seconds" if not moment.microsecond else
            "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds")
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def resolve(claim: TimeClaim, zone: str) -> TimeClaim:
    """Fill in `utc`, `offset`, `zone` and DST flags of a claim.

    Raises BadTimeClaim if the claim cannot be read at all.
    """
    return dataclasses.replace(claim, **resolved_fields(claim, zone))


#: a wall time as `datetime.isoformat` writes it, to the second or the millisecond:
#: the form of nearly every claim a phone backup or a camera gives
_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{3})?")


@functools.lru_cache(maxsize=256)
def _fixed(offset: str, zone: str) -> tuple[timedelta, str, str]:
    """(UTC offset, the offset as recorded, how it is known) of a claim's written
    offset: the few a case's claims hold are read once each."""
    delta = parse_offset(offset).utcoffset(None)
    how = zone or ("utc" if delta == timedelta(0) and offset == "Z" else "explicit")
    return delta, format_offset(delta), how


def resolved_fields(claim: TimeClaim, zone: str) -> dict[str, Any]:
    """What `resolve` fills in (``utc``, ``offset``, ``zone``, ``flags``), for a caller
    that keeps claims as plain values (a phone backup's 100,000, issue 19).

    A claim with its offset written, in the canonical form (``2021-04-11T15:47:53``
    or ``...53.054``), is the common case: the offset is read once per text
    (`_fixed`), and the UTC text written directly; anything else takes the general
    reading (`resolved_fields_general`), which gives the same values (a hypothesis
    test compares the two)."""
    text = claim.local
    if claim.offset and type(text) is str and type(claim.offset) is str and \
            type(claim.zone) is str and _CANONICAL.fullmatch(text):
        try:
            local = datetime.fromisoformat(text)
        except ValueError:  # no such day or hour: said in the general reading's words
            return resolved_fields_general(claim, zone)
        delta, offset, how = _fixed(claim.offset, claim.zone)
        if delta:
            moment = local - delta  # OverflowError at the calendar's ends, as astimezone
            utc = format_utc(moment.replace(tzinfo=UTC))
        elif len(text) == 19:
            utc = text + "Z"
        else:  # ".054" is kept; ".000" is no fraction at all
            utc = (text[:19] if text.endswith(".000") else text) + "Z"
        return {"utc": utc, "offset": offset, "zone": how,
                "flags": tuple(dict.fromkeys(claim.flags))}
    return resolved_fields_general(claim, zone)


def resolved_fields_general(claim: TimeClaim, zone: str) -> dict[str, Any]:
    """`resolved_fields` for every claim, read the long way round."""
    local = parse_local(claim.local)
    flags = list(claim.flags)
    if claim.offset:
        tz = parse_offset(claim.offset)
        aware = local.replace(tzinfo=tz)
        how = claim.zone or ("utc" if aware.utcoffset() == timedelta(0) and claim.offset == "Z"
                             else "explicit")
        offset = format_offset(aware.utcoffset())
    else:
        tz_case = ZoneInfo(zone)
        aware = local.replace(tzinfo=tz_case, fold=0)
        later = local.replace(tzinfo=tz_case, fold=1)
        if aware.utcoffset() != later.utcoffset():
            # Same wall time, two offsets: either the repeated hour (fold)
            # or the skipped hour (gap). A round trip tells them apart.
            roundtrip = aware.astimezone(UTC).astimezone(tz_case).replace(tzinfo=None)
            flags.append("dst-ambiguous" if roundtrip == local else "dst-gap")
        how = "assumed"
        offset = format_offset(aware.utcoffset())
    return {"utc": format_utc(aware), "offset": offset, "zone": how,
            "flags": tuple(dict.fromkeys(flags))}


def local_with_offset(utc: str, offset: str) -> str:
    """The wall time at `offset` of a UTC instant, ISO with its offset."""
    moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    local = moment.astimezone(parse_offset(offset))
    spec = ("seconds" if not local.microsecond else
            "milliseconds" if local.microsecond % 1000 == 0 else "microseconds")
    return local.isoformat(timespec=spec)


_MS_PER_DAY = 86_400_000


@functools.lru_cache(maxsize=4096)
def _epoch_day(days: int) -> str:
    """``YYYY-MM-DD`` of a day counted from 1970-01-01 (a backup's messages fall
    on a few thousand days); OverflowError outside years 1 to 9999."""
    return (datetime(1970, 1, 1) + timedelta(days=days)).date().isoformat()


def epoch_ms_to_iso(ms: int) -> str:
    """Epoch milliseconds -> ISO UTC wall time without offset (for TimeClaim.local).

    Written from the day (read once per day) and the time of day, as
    `epoch_ms_to_iso_general` writes it (150,000 of a phone backup, issue 19)."""
    if type(ms) is not int:
        return epoch_ms_to_iso_general(ms)
    days, rest = divmod(ms, _MS_PER_DAY)
    seconds, milli = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    text = f"{_epoch_day(days)}T{hour:02d}:{minute:02d}:{second:02d}"
    return f"{text}.{milli:03d}" if milli else text


def epoch_ms_to_iso_general(ms: int | float) -> str:
    """`epoch_ms_to_iso` of any number, through datetime."""
    moment = datetime(1970, 1, 1) + timedelta(milliseconds=ms)
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec)
