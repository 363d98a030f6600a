"""IPTC-IIM creation times in JPEGs (issue 14, point 2), checked against ExifTool.

The fixtures are JPEGs made with Pillow into which APP13 "Photoshop 3.0"
segments are written by hand, as Photo Mechanic and Photoshop write them: the
IPTC block whole in one segment after another resource, or cut across two
segments (which Pillow's own reader loses). When ExifTool is installed, it reads
the same fixture and must report the same time.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from intake.testing import run_plugin
from plugins import photos
from tests.helpers.case import chronology_doc, ingest

INTAKE = Path(sys.executable).with_name("intake")


def _iim(record: int, number: int, value: bytes) -> bytes:
    return b"\x1c" + bytes([record, number]) + struct.pack(">H", len(value)) + value


def _resource(rid: int, data: bytes) -> bytes:
    pad = b"\x00" if len(data) % 2 else b""
    return b"8BIM" + struct.pack(">H", rid) + b"\x00\x00" + struct.pack(">I", len(data)) + data + pad


def _app13(payload: bytes) -> bytes:
    body = b"Photoshop 3.0\x00" + payload
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def iptc_jpeg(path: Path, datasets: list[tuple[int, bytes]], *, split: bool,
              xmp_day: str | None = None) -> Path:
    """A JPEG whose IPTC record 2 holds `datasets` [(number, value)]."""
    buf = io.BytesIO()
    extra = {}
    if xmp_day:  # Photo Mechanic also writes the day alone into XMP
        extra["xmp"] = (
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
            '02/22-rdf-syntax-ns#"><rdf:Description xmlns:photoshop="http://ns.adobe.com/'
            f'photoshop/1.0/" photoshop:DateCreated="{xmp_day}"/></rdf:RDF></x:xmpmeta>'
        ).encode()
    Image.new("RGB", (48, 32), (30, 120, 200)).save(buf, "JPEG", **extra)
    jpg = buf.getvalue()
    iim = _iim(2, 0, b"\x00\x04") + b"".join(_iim(2, n, v) for n, v in datasets)
    stream = _resource(0x03ED, b"\x00" * 16) + _resource(0x0404, iim)
    if split:  # the block cut in the middle of the IPTC data, as a long block is
        cut = len(stream) - len(iim) // 2
        segs = _app13(stream[:cut]) + _app13(stream[cut:])
    else:
        segs = _app13(stream)
    path.write_bytes(jpg[:2] + segs + jpg[2:])
    return path


PHOTO_MECHANIC = [(55, b"20061029"), (60, b"062751-0500"), (62, b"20061029"),
                  (63, b"062751-0500")]


def _exiftool(path: Path) -> dict:
    if shutil.which("exiftool") is None:
        return {}
    out = subprocess.run(["exiftool", "-time:all", "-G1", "-a", "-s", "-json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


@pytest.mark.parametrize("split", [False, True], ids=["one-segment", "two-segments"])
def test_date_and_time_created_with_their_offset(tmp_path: Path, split: bool) -> None:
    path = iptc_jpeg(tmp_path / "pm.jpg", PHOTO_MECHANIC, split=split, xmp_day="2006-10-29")
    result = run_plugin(photos, path)
    claims = {c.source: c for e in result.events for c in e.claims}
    taken = claims["IPTC DateCreated + TimeCreated"]
    assert (taken.local, taken.offset, taken.meaning, taken.granularity) == (
        "2006-10-29T06:27:51", "-05:00", "taken", "second")
    digital = claims["IPTC DigitalCreationDate + DigitalCreationTime"]
    assert (digital.local, digital.offset, digital.meaning) == (
        "2006-10-29T06:27:51", "-05:00", "created")
    assert claims["XMP photoshop:DateCreated"].local == "2006-10-29"
    assert result.warnings == []
    oracle = _exiftool(path)
    if oracle:  # the fixture is standard IPTC: ExifTool reads the same time
        assert oracle["Composite:DateTimeOriginal"] == "2006:10:29 06:27:51-05:00"


def test_a_date_without_time_keeps_the_day_and_a_bad_one_is_said(tmp_path: Path) -> None:
    day = run_plugin(photos, iptc_jpeg(tmp_path / "d.jpg", [(55, b"20191014")], split=False))
    (c,) = [c for e in day.events for c in e.claims if c.source.startswith("IPTC")]
    assert (c.local, c.zone, c.granularity) == ("2019-10-14", "assumed", "day")
    bad = run_plugin(photos, iptc_jpeg(tmp_path / "b.jpg", [(55, b"20191341"), (60, b"1500")],
                                       split=False))
    assert not [c for e in bad.events for c in e.claims if c.source.startswith("IPTC")]
    assert any("IPTC DateCreated" in w and "not a date" in w for w in bad.warnings)


def test_the_chronology_chooses_the_iptc_time_over_the_day_in_xmp(tmp_path: Path) -> None:
    case = tmp_path / "case"
    subprocess.run([str(INTAKE), "init", str(case)], check=True, capture_output=True)
    iptc_jpeg(case / "inbox" / "DSC_0042.jpg", PHOTO_MECHANIC, split=True,
              xmp_day="2006-10-29")
    ingest(case)
    doc = chronology_doc(case, tmp_path / "out")
    (entry,) = doc["entries"]
    chosen = entry["claims"][0]
    assert chosen["source"] == "IPTC DateCreated + TimeCreated"
    assert (entry["instant"], entry["local"]) == ("2006-10-29T11:27:51Z",
                                                  "2006-10-29T06:27:51-05:00")
    assert "low-confidence-time" not in entry["flags"]
