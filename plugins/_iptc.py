"""IPTC-IIM dates from a JPEG's Photoshop segments (not a plugin itself).

Press and photo-agency software (Photo Mechanic, Photoshop, Lightroom) writes
the capture time as IPTC ``DateCreated`` (2:55) + ``TimeCreated`` (2:60, with
its offset) and the digitising time as ``DigitalCreationDate/Time`` (2:62/63),
inside the Photoshop image resource 0x0404 of APP13 segments. A resource block
longer than one segment continues in the next APP13, so the segments are read
as one stream, as ExifTool does (Pillow keeps only the last). Never raises.
"""

from __future__ import annotations

import re

from intake import TimeClaim

from . import _jpeg as jpeg
from ._imagedates import _valid, is_placeholder

_HEADER = b"Photoshop 3.0\x00"
_IPTC_RESOURCE = 0x0404
#: (date dataset, time dataset, source label, meaning, confidence)
IPTC_TIMES = (
    (55, 60, "IPTC DateCreated + TimeCreated", "taken", "high"),
    (62, 63, "IPTC DigitalCreationDate + DigitalCreationTime", "created", "high"),
)
_DATE = re.compile(rb"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(rb"^(\d{2})(\d{2})(\d{2})(?:([+-])(\d{2})(\d{2}))?$")


def photoshop_resources(data: bytes) -> dict[int, bytes]:
    """Photoshop image resources (8BIM blocks) of every APP13 segment, joined in order."""
    stream = b"".join(body[len(_HEADER):] for marker, body in jpeg.segments(data)
                      if marker == 0xED and body.startswith(_HEADER))
    out: dict[int, bytes] = {}
    pos = 0
    while stream[pos:pos + 4] == b"8BIM" and pos + 8 <= len(stream):
        rid = int.from_bytes(stream[pos + 4:pos + 6], "big")
        name_len = stream[pos + 6]
        pos += 6 + 1 + name_len + (0 if name_len % 2 else 1)  # the name is padded to even
        size = int.from_bytes(stream[pos:pos + 4], "big")
        body = stream[pos + 4:pos + 4 + size]
        out[rid] = out.get(rid, b"") + body
        pos += 4 + size + (size % 2)
    return out


def datasets(iim: bytes) -> dict[tuple[int, int], bytes]:
    """The IIM datasets (record, number) -> first value; stops at anything unreadable."""
    out: dict[tuple[int, int], bytes] = {}
    pos = 0
    while pos + 5 <= len(iim) and iim[pos] == 0x1C:
        record, number = iim[pos + 1], iim[pos + 2]
        size = int.from_bytes(iim[pos + 3:pos + 5], "big")
        pos += 5
        if size & 0x8000:  # extended length: the next (size & 0x7FFF) bytes hold it
            n = size & 0x7FFF
            size = int.from_bytes(iim[pos:pos + n], "big")
            pos += n
        out.setdefault((record, number), iim[pos:pos + size])
        pos += size
    return out


def _shown(raw: bytes) -> str:
    """The first characters of a value as a reader sees them (not Python's b'...')."""
    return raw[:20].decode("latin-1")


def iptc_claims(data: bytes, warnings: list[str]) -> list[TimeClaim]:
    """The IPTC creation times of a JPEG, each one claim (day only when no time is written)."""
    if data[:3] != b"\xff\xd8\xff":
        return []
    iim = photoshop_resources(data).get(_IPTC_RESOURCE)
    if not iim:
        return []
    found = datasets(iim)
    claims = []
    for date_ds, time_ds, source, meaning, confidence in IPTC_TIMES:
        raw_date = found.get((2, date_ds), b"").strip(b"\x00 ")
        if not raw_date:
            continue
        d = _DATE.match(raw_date)
        if not d or raw_date == b"00000000" or not _valid(*(int(x) for x in d.groups())):
            warnings.append(f"{source} holds {_shown(raw_date)!r}, which is not a date")
            continue
        local, offset, granularity = "-".join(x.decode() for x in d.groups()), None, "day"
        raw_time = found.get((2, time_ds), b"").strip(b"\x00 ")
        t = _TIME.match(raw_time) if raw_time else None
        if t:
            hh, mm, ss, sign, oh, om = (x.decode() if x else x for x in t.groups())
            local += f"T{hh}:{mm}:{ss}"
            offset = f"{sign}{oh}:{om}" if sign else None
            granularity = "second"
        elif raw_time:
            warnings.append(f"{source}: the time {_shown(raw_time)!r} is not a time; the day is "
                            "kept")
        note, flags = ("offset written with the time" if offset else ""), ()
        if granularity == "second" and is_placeholder(local):
            confidence, note, flags = "low", "looks like a default clock (never set)", (
                "placeholder",)
        claims.append(TimeClaim(local=local, offset=offset, source=source, meaning=meaning,
                                granularity=granularity, confidence=confidence, note=note,
                                flags=flags))
    return claims
