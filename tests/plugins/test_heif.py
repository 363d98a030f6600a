"""HEIC and AVIF pictures made in code: their EXIF capture time, offset and thumbnail.

pillow-heif writes HEIC the way libheif lays it out, which exifread's HEIF
reader cannot follow (it raised, and the photo got only its copy time); the
EXIF block is then taken from pillow-heif. Pillow writes AVIF itself.
ExifTool, where installed, reads the same time (a test oracle only).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, features

from intake.sniff import sniff_bytes
from intake.testing import run_plugin
from plugins import photos


def _picture(path: Path, fmt: str) -> Path:
    if fmt == "HEIF":
        pillow_heif = pytest.importorskip("pillow_heif")
        pillow_heif.register_heif_opener()
    elif not features.check("avif"):
        pytest.skip("this Pillow has no AVIF encoder")
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2024:07:01 23:30:05", 0x9011: "+02:00"}
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 10)).save(buf, fmt, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize(("fmt", "name", "mime"), [("HEIF", "IMG_0001.HEIC", "image/heic"),
                                                   ("AVIF", "photo.avif", "image/avif")])
def test_capture_time_with_offset_and_thumbnail(tmp_path: Path, fmt: str, name: str,
                                                mime: str) -> None:
    path = _picture(tmp_path / name, fmt)
    data = path.read_bytes()
    assert sniff_bytes(data[:4096], name) == mime
    result = run_plugin(photos, path)
    assert result.warnings == []
    (event,) = result.events
    taken = next(c for c in event.claims if c.source == "EXIF DateTimeOriginal")
    assert (taken.local, taken.offset, taken.zone) == ("2024-07-01T23:30:05", "+02:00",
                                                       "explicit")
    assert (event.facts["width"], event.facts["height"]) == (64, 48)
    png = photos.imaging.thumbnail_png(data, 32)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (32, 24)
        r, g, b = im.convert("RGB").getpixel((16, 12))[:3]
        assert g > 150 and r < 80 and b < 80
    if shutil.which("exiftool"):
        seen = json.loads(subprocess.run(
            ["exiftool", "-json", "-DateTimeOriginal", "-OffsetTimeOriginal", str(path)],
            capture_output=True, text=True, check=True).stdout)[0]
        assert (seen["DateTimeOriginal"], seen["OffsetTimeOriginal"]) == (
            "2024:07:01 23:30:05", "+02:00")
