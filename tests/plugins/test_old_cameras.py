"""EXIF as 1990s compact cameras wrote it (issue 14, point 2), checked against ExifTool.

Big-endian ("MM") TIFF blocks after a JFIF APP0 segment, with DateTimeOriginal
in the EXIF sub-IFD as the standard says, or in IFD0 where some cameras put it.
ExifTool reads both; intake must too, and never fall back to the copy time.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from intake.testing import run_plugin
from plugins import photos

TAKEN = b"1999:08:11 12:34:56"


def _entry(tag: int, kind: int, count: int, value: int) -> bytes:
    return struct.pack(">HHII", tag, kind, count, value)


def big_endian_exif(taken: bytes, *, in_ifd0: bool) -> bytes:
    """A Motorola-order TIFF block: IFD0 (Make, [DateTimeOriginal], ExifIFD pointer)."""
    make = b"CASIO\x00"
    n0 = 3 if in_ifd0 else 2
    data_at = 8 + 2 + n0 * 12 + 4
    make_at, taken_at = data_at, data_at + len(make)
    data = make + taken + b"\x00"
    data += b"\x00" * (len(data) % 2)
    exif_at = data_at + len(data)
    ifd0 = [_entry(0x010F, 2, len(make), make_at)]
    if in_ifd0:
        ifd0.append(_entry(0x9003, 2, len(taken) + 1, taken_at))
    ifd0.append(_entry(0x8769, 4, 1, exif_at))
    sub = [] if in_ifd0 else [_entry(0x9003, 2, len(taken) + 1, taken_at)]
    return (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", n0) + b"".join(ifd0)
            + b"\x00" * 4 + data + struct.pack(">H", len(sub)) + b"".join(sub) + b"\x00" * 4)


def old_camera_jpeg(path: Path, *, in_ifd0: bool) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buf, "JPEG")  # starts with JFIF APP0
    jpg = buf.getvalue()
    assert jpg[2:4] == b"\xff\xe0"
    app0_end = 4 + int.from_bytes(jpg[4:6], "big")
    tiff = big_endian_exif(TAKEN, in_ifd0=in_ifd0)
    app1 = b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\x00\x00" + tiff
    path.write_bytes(jpg[:app0_end] + app1 + jpg[app0_end:])
    return path


@pytest.mark.parametrize("in_ifd0", [False, True], ids=["exif-ifd", "ifd0"])
def test_big_endian_exif_after_jfif_gives_the_capture_time(tmp_path: Path, in_ifd0: bool):
    path = old_camera_jpeg(tmp_path / "CIMG0001.JPG", in_ifd0=in_ifd0)
    result = run_plugin(photos, path)
    (event,) = result.events
    first = event.claims[0]
    assert (first.source, first.local, first.meaning) == (
        "EXIF DateTimeOriginal", "1999-08-11T12:34:56", "taken")
    assert ("IFD0" in first.note) is in_ifd0
    assert "low-confidence-time" not in event.flags
    assert result.facts["make"] == "CASIO"
    if shutil.which("exiftool"):
        out = subprocess.run(["exiftool", "-DateTimeOriginal", "-G1", "-s", "-json", str(path)],
                             capture_output=True, text=True, check=True).stdout
        tags = json.loads(out)[0]
        group = "IFD0" if in_ifd0 else "ExifIFD"
        assert tags[f"{group}:DateTimeOriginal"] == TAKEN.decode()
