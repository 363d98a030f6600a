"""The marker segments of a JPEG, walked up to the first scan (not a plugin itself).

Shared by the EXIF reader (the first APP1 ``Exif``) and the IPTC reader (every
APP13 ``Photoshop 3.0``), so that both see every segment, in order, whatever
comes before them. Never raises: a walk stops where the file stops making sense.
"""

from __future__ import annotations

from collections.abc import Iterator


def segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(marker, body) of each segment before the image data (SOS) or the end (EOI)."""
    if data[:2] != b"\xff\xd8":
        return
    pos, end = 2, len(data)
    while pos + 4 <= end and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker in (0xDA, 0xD9):
            return
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2:
            return
        yield marker, data[pos + 4:pos + 2 + length]
        pos += 2 + length
