"""Times and zones that cameras write only in their maker notes (not a plugin itself).

A maker note is the camera maker's own block inside EXIF. Three carry what a
chronology needs and EXIF's own fields may lack:

- **Nikon** ``WorldTime`` (tag 0x0024 of the type-3 note): the camera's time
  zone in minutes and whether daylight saving was on; the offset of
  DateTimeOriginal is their sum, as ExifTool reads it;
- **Canon** ``TimeInfo`` (tag 0x0035): the time zone in minutes and the
  daylight-saving minutes (cameras from about 2008 on);
- **Reconyx HyperFire** trail cameras (the note starts with version 0xF101):
  the capture time itself, which these cameras write nowhere else.

Nothing is taken from Sony, Olympus and Panasonic notes: none writes a plain
UTC offset as Nikon and Canon do (Panasonic names a home or destination
city), and their newer cameras write OffsetTimeOriginal in EXIF itself. exifread (``details=True``) decodes the maker note and
gives its raw bytes; Nikon's and Reconyx's layouts are read here from those
bytes. Never raises: a damaged note gives nothing.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: A maker note larger than this is not read (real ones are a few tens of KiB).
MAX_NOTE = 512 * 1024


@dataclass(frozen=True)
class MakerNote:
    """What a maker note says about time: an offset (``+01:00``) and why, a capture time."""

    offset: str = ""
    offset_note: str = ""
    taken: str = ""  # ISO wall time, no zone
    taken_source: str = ""


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _raw(tags: dict[str, Any]) -> bytes:
    note = tags.get("EXIF MakerNote")
    values = getattr(note, "values", None)
    if not isinstance(values, list | bytes) or not values or len(values) > MAX_NOTE:
        return b""
    try:
        return bytes(values)
    except (TypeError, ValueError):
        return b""


def _nikon(raw: bytes) -> MakerNote | None:
    """WorldTime of a type-3 Nikon note: "Nikon\\0" 02 1x 00 00, then a TIFF of its own."""
    if raw[:6] != b"Nikon\0" or raw[10:12] not in (b"MM", b"II"):
        return None
    tiff = raw[10:]
    bo = ">" if tiff[:2] == b"MM" else "<"
    try:
        (first,) = struct.unpack(bo + "I", tiff[4:8])
        (count,) = struct.unpack(bo + "H", tiff[first:first + 2])
        for n in range(min(count, 500)):
            at = first + 2 + 12 * n
            tag, typ, length = struct.unpack(bo + "HHI", tiff[at:at + 8])
            if tag == 0x0024 and length >= 4:
                value = tiff[at + 8:at + 12] if length <= 4 else tiff[
                    struct.unpack(bo + "I", tiff[at + 8:at + 12])[0]:][:4]
                minutes, dst = struct.unpack(bo + "hB", value[:3])
                if abs(minutes) > 14 * 60 or dst > 1:
                    return None
                return MakerNote(offset=_offset(minutes + 60 * dst),
                                 offset_note=f"offset from the Nikon maker note (WorldTime: time "
                                             f"zone {_offset(minutes)}, daylight saving "
                                             f"{'on' if dst else 'off'})")
    except struct.error:
        return None
    return None


def _canon(tags: dict[str, Any]) -> MakerNote | None:
    info = tags.get("MakerNote TimeInfo") or tags.get("MakerNote Tag 0x0035")
    values = getattr(info, "values", None)
    if not isinstance(values, list) or len(values) < 4:
        return None
    try:
        minutes, dst = int(values[1]), int(values[3])
    except (TypeError, ValueError):
        return None
    if abs(minutes) > 14 * 60 or dst not in (0, 60):
        return None
    return MakerNote(offset=_offset(minutes + dst),
                     offset_note=f"offset from the Canon maker note (TimeInfo: time zone "
                                 f"{_offset(minutes)}, daylight saving "
                                 f"{'on' if dst else 'off'})")


def _reconyx(raw: bytes) -> MakerNote | None:
    """A HyperFire note: little-endian words, the capture time at word 11 (s, min, h, month,
    day, year), as ExifTool's Reconyx module reads it."""
    if raw[:2] != b"\x01\xf1" or len(raw) < 34:
        return None
    s, mi, h, mo, d, y = struct.unpack("<6H", raw[22:34])
    try:
        moment = datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None
    if y < 1990:
        return None
    return MakerNote(taken=moment.isoformat(), taken_source="Reconyx maker note DateTimeOriginal")


def may_hold_time(make: str) -> bool:
    """Whether a camera of this make writes a time or zone in its note (Reconyx writes
    no make), so that other pictures are not decoded twice."""
    maker = make.strip().lower()
    return not maker or maker.startswith(("nikon", "canon", "reconyx"))


def read(exif_blob: bytes, make: str) -> MakerNote | None:
    """What the maker note in a TIFF/EXIF block says about time, or None."""
    import exifread

    try:
        tags = exifread.process_file(io.BytesIO(exif_blob), details=True,
                                     extract_thumbnail=False)
    except Exception:  # noqa: BLE001 - a damaged maker note gives nothing
        return None
    raw = _raw(tags)
    if not raw:
        return None
    maker = make.strip().lower()
    if maker.startswith("nikon"):
        return _nikon(raw)
    if maker.startswith("canon"):
        return _canon(tags)
    return _reconyx(raw)
