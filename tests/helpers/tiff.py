"""EXIF blocks built byte by byte, for cameras whose maker notes carry a time or a zone.

Pillow writes EXIF, but not a maker note whose inner offsets point into the
block (Canon's do). Here the whole TIFF structure is laid out by hand: IFD0
(make, model, a pointer to the EXIF IFD), the EXIF IFD (DateTimeOriginal,
MakerNote), then the maker note, made by a function that is told where in
the block it lands. ``jpeg_with_exif`` puts the block in a real JPEG's APP1.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

ASCII, SHORT, LONG, UNDEFINED, SLONG = 2, 3, 4, 7, 9
_SIZE = {ASCII: 1, SHORT: 2, LONG: 4, UNDEFINED: 1, SLONG: 4}


def _ascii(text: str) -> tuple[int, int, bytes]:
    raw = text.encode() + b"\0"
    return ASCII, len(raw), raw


def exif_block(*, make: str, model: str, original: str | None,
               makernote: Callable[[int, str], bytes], order: str = "<") -> bytes:
    """A TIFF/EXIF block; `makernote(offset, order)` gives the maker note's bytes
    for its offset from the start of the block (its length may not depend on it)."""
    bo = order

    def ifd(entries: list[tuple[int, int, int, bytes]], at: int) -> tuple[bytes, bytes]:
        """(directory, data area) of an IFD placed at `at`; data follows the directory."""
        data_at = at + 2 + 12 * len(entries) + 4
        table, data = [struct.pack(bo + "H", len(entries))], b""
        for tag, typ, count, raw in sorted(entries):
            if len(raw) <= 4:
                table.append(struct.pack(bo + "HHI", tag, typ, count) + raw.ljust(4, b"\0"))
            else:
                table.append(struct.pack(bo + "HHII", tag, typ, count, data_at + len(data)))
                data += raw + (b"\0" if len(raw) % 2 else b"")
        table.append(struct.pack(bo + "I", 0))
        return b"".join(table), data

    header = (b"II" if bo == "<" else b"MM") + struct.pack(bo + "HI", 42, 8)
    ifd0_entries = [(0x010F, *_ascii(make)), (0x0110, *_ascii(model))]
    # IFD0 with a placeholder EXIF pointer, to learn its size
    probe, probe_data = ifd([*ifd0_entries, (0x8769, LONG, 1, b"\0" * 4)], 8)
    exif_at = 8 + len(probe) + len(probe_data)
    ifd0, ifd0_data = ifd([*ifd0_entries, (0x8769, LONG, 1, struct.pack(bo + "I", exif_at))], 8)
    exif_entries = [(0x9003, *_ascii(original))] if original else []
    note_at = exif_at + 2 + 12 * (len(exif_entries) + 1) + 4  # the data area: ...
    for _tag, _typ, _count, raw in exif_entries:  # ...DateTimeOriginal first (lower tag)
        note_at += len(raw) + len(raw) % 2
    note = makernote(note_at, bo)
    exif_dir, exif_data = ifd([*exif_entries, (0x927C, UNDEFINED, len(note), note)], exif_at)
    return header + ifd0 + ifd0_data + exif_dir + exif_data


def jpeg_with_exif(block: bytes, color: tuple[int, int, int] = (40, 90, 40)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(buf, "JPEG")
    jpg = buf.getvalue()
    body = b"Exif\0\0" + block
    return jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpg[2:]


def nikon_world_time(minutes: int, dst: bool) -> Callable[[int, str], bytes]:
    """A Nikon type-3 maker note holding WorldTime (0x0024): zone in minutes, DST."""
    def make(_offset: int, _order: str) -> bytes:
        inner = b"MM" + struct.pack(">HI", 42, 8)
        value = struct.pack(">hBB", minutes, 1 if dst else 0, 0)
        entry = struct.pack(">HHI", 0x0024, UNDEFINED, 4) + value
        return b"Nikon\0\x02\x10\0\0" + inner + struct.pack(">H", 1) + entry + b"\0" * 4
    return make


def canon_time_info(minutes: int, dst_minutes: int, city: int = 0) -> Callable[[int, str], bytes]:
    """A Canon maker note (a plain IFD, offsets from the EXIF block's start) holding
    TimeInfo (0x0035): [size, time zone minutes, city, daylight saving minutes]."""
    def make(offset: int, order: str) -> bytes:
        data = struct.pack(order + "4i", 16, minutes, city, dst_minutes)
        data_at = offset + 2 + 12 + 4
        return (struct.pack(order + "H", 1) + struct.pack(order + "HHII", 0x0035, SLONG, 4, data_at)
                + struct.pack(order + "I", 0) + data)
    return make


def reconyx_hyperfire(moment: tuple[int, int, int, int, int, int]) -> Callable[[int, str], bytes]:
    """A Reconyx HyperFire maker note (little-endian words; version 0xF101) with its
    DateTimeOriginal at word 11: seconds, minutes, hours, month, day, year."""
    y, mo, d, h, mi, s = moment

    def make(_offset: int, _order: str) -> bytes:
        words = [0xF101, 3, 3, 0, 0x2011, 0x0110, 0x54, 0, 0, 0, 8, s, mi, h, mo, d, y, 2, 6]
        return struct.pack(f"<{len(words)}H", *words) + b"\0" * 40
    return make
