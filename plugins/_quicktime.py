"""Apple's QuickTime creation date and a movie's place (not a plugin itself).

iPhones write ``com.apple.quicktime.creationdate`` (``2024-10-05T21:14:30+0200``)
into the movie's ``moov/meta`` box as a "keys" item list: the local time the
recording started, with the phone's offset. The movie header (``mvhd``) holds
the same moment in UTC, and mutagen reads neither the ``keys`` box nor a
QuickTime ``meta`` box, which unlike MP4's has no version field.

The place is ISO 6709 text (``+50.8466+004.3528+012.000/``): Android's camera
and older iPhones write it in a ``moov/udta/©xyz`` box, newer iPhones as the
key ``com.apple.quicktime.location.ISO6709``. Never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

CREATION_KEY = b"com.apple.quicktime.creationdate"
LOCATION_KEY = b"com.apple.quicktime.location.ISO6709"
#: ISO 6709 in decimal degrees, as phones write it: latitude ±DD.D, longitude ±DDD.D.
_ISO6709 = re.compile(r"([+-]\d{2}(?:\.\d+)?)([+-]\d{3}(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?(?:CRS\S*)?/?")
#: A movie's metadata box larger than this is not read (it holds no pictures).
MAX_MOOV = 16 * 1024 * 1024


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, payload) of the boxes laid end to end in `data`."""
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        head = 8
        if size == 1 and pos + 16 <= len(data):
            size, head = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        elif size == 0:
            size = len(data) - pos
        if size < head or pos + size > len(data):
            return
        yield kind, data[pos + head:pos + size]
        pos += size


def _moov(path: Path) -> bytes | None:
    with open(path, "rb") as f:
        while True:
            header = f.read(8)
            if len(header) < 8:
                return None
            size, kind = int.from_bytes(header[:4], "big"), header[4:]
            head = 8
            if size == 1:
                size, head = int.from_bytes(f.read(8), "big"), 16
            if size < head:
                return None
            if kind == b"moov":
                return f.read(size - head) if size - head <= MAX_MOOV else None
            f.seek(size - head, 1)


def _moov_of(path: Path) -> bytes | None:
    try:
        return _moov(path)
    except OSError:
        return None


def _keyed_text(moov: bytes, key: bytes) -> str | None:
    """The UTF-8 text stored under `key` in the movie's "keys" metadata, or None."""
    for kind, meta in _boxes(moov):
        if kind != b"meta":
            continue
        if meta[4:8] not in (b"hdlr", b"keys", b"ilst"):  # the MP4 form: version and flags
            meta = meta[4:]
        children = dict(_boxes(meta))
        keys, items = children.get(b"keys", b""), children.get(b"ilst", b"")
        names = [payload for _, payload in _boxes(keys[8:])]  # after version/flags and count
        wanted = [n + 1 for n, name in enumerate(names) if name == key]
        if not wanted:
            continue
        for index, item in _boxes(items):
            if int.from_bytes(index, "big") not in wanted:
                continue
            for dkind, payload in _boxes(item):
                if dkind == b"data" and payload[:4] == b"\x00\x00\x00\x01":  # UTF-8 text
                    return payload[8:].decode("utf-8", "replace").strip("\x00 ")
    return None


def creation_date(path: Path) -> str | None:
    """The text of ``com.apple.quicktime.creationdate``, or None."""
    moov = _moov_of(path)
    return _keyed_text(moov, CREATION_KEY) if moov else None


def _udta_xyz(moov: bytes) -> str | None:
    """The text of ``moov/udta/©xyz`` (a 16-bit length and language, then the text)."""
    for kind, udta in _boxes(moov):
        if kind != b"udta":
            continue
        for child, payload in _boxes(udta):
            if child == b"\xa9xyz" and len(payload) >= 4:
                size = int.from_bytes(payload[:2], "big")
                return payload[4:4 + size].decode("utf-8", "replace").strip("\x00 ")
    return None


def parse_iso6709(text: str) -> dict[str, str] | None:
    """``{"lat": "50.846600", "lon": "4.352800"}`` (the photos' form), or None."""
    m = _ISO6709.fullmatch((text or "").strip())
    if not m:
        return None
    lat, lon = Decimal(m.group(1)), Decimal(m.group(2))
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    q = Decimal("0.000001")
    return {"lat": str(lat.quantize(q)), "lon": str(lon.quantize(q))}


def location(path: Path) -> tuple[dict[str, str], str] | None:
    """(position, where it was written) of a movie, or None when it states none."""
    moov = _moov_of(path)
    if not moov:
        return None
    for text, source in ((_keyed_text(moov, LOCATION_KEY), "QuickTime "
                          "com.apple.quicktime.location.ISO6709"),
                         (_udta_xyz(moov), "QuickTime ©xyz")):
        position = parse_iso6709(text) if text else None
        if position:
            return position, source
    return None
