"""Zones and times that only a camera maker's note holds (issue 14, point 2).

EXIF blocks are built byte by byte (tests/helpers/tiff.py): a Nikon note with
WorldTime, a Canon note with TimeInfo, a Reconyx HyperFire note with its
capture time. ExifTool, where installed, reads the same zone and time from
the same bytes (a test oracle only).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from intake.testing import run_plugin
from plugins import photos
from tests.helpers import tiff
from tests.helpers.case import chronology_doc, ok, run_intake

TAKEN = "2024:07:01 23:30:05"


def _photo(path: Path, make: str, note, original: str | None = TAKEN) -> Path:
    path.write_bytes(tiff.jpeg_with_exif(tiff.exif_block(make=make, model="X", original=original,
                                                         makernote=note)))
    return path


def _claims(path: Path) -> dict:
    result = run_plugin(photos, path)
    assert result.warnings == []
    return {c.source: c for e in result.events for c in e.claims}


def _exiftool(path: Path, *tags: str) -> dict:
    if shutil.which("exiftool") is None:
        return {}
    out = subprocess.run(["exiftool", "-json", "-G1", *(f"-{t}" for t in tags), str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


@pytest.mark.parametrize(("make", "note", "offset", "words", "oracle"), [
    ("NIKON CORPORATION", tiff.nikon_world_time(60, dst=True), "+02:00",
     "Nikon maker note (WorldTime: time zone +01:00, daylight saving on)",
     {"Nikon:TimeZone": "+01:00", "Nikon:DaylightSavings": "Yes"}),
    ("NIKON", tiff.nikon_world_time(330, dst=False), "+05:30",
     "Nikon maker note (WorldTime: time zone +05:30, daylight saving off)",
     {"Nikon:TimeZone": "+05:30", "Nikon:DaylightSavings": "No"}),
    ("Canon", tiff.canon_time_info(-300, 60), "-04:00",
     "Canon maker note (TimeInfo: time zone -05:00, daylight saving on)",
     {"Canon:TimeZone": "-05:00", "Canon:DaylightSavings": "On"}),
], ids=["nikon-dst", "nikon-india", "canon-new-york-summer"])
def test_the_maker_notes_zone_gives_the_offset_exif_lacks(tmp_path, make, note, offset, words,
                                                          oracle):
    path = _photo(tmp_path / "p.jpg", make, note)
    taken = _claims(path)["EXIF DateTimeOriginal"]
    assert (taken.local, taken.offset, taken.zone) == ("2024-07-01T23:30:05", offset, "explicit")
    assert words in taken.note
    seen = _exiftool(path, "TimeZone", "DaylightSavings")
    for key, value in (oracle.items() if seen else ()):
        assert seen[key] == value, (key, seen)


def test_a_zone_in_a_note_of_another_maker_is_not_read(tmp_path):
    """A Nikon-shaped note in a Sony picture is not Nikon's: no offset is guessed."""
    path = _photo(tmp_path / "p.jpg", "SONY", tiff.nikon_world_time(60, dst=True))
    taken = _claims(path)["EXIF DateTimeOriginal"]
    assert (taken.offset, taken.zone) == ("+02:00", "assumed")  # the case's zone (Brussels)


def test_a_damaged_note_gives_nothing_and_loses_nothing(tmp_path):
    def cut(offset, order):
        return tiff.nikon_world_time(60, dst=True)(offset, order)[:14]
    taken = _claims(_photo(tmp_path / "p.jpg", "NIKON", cut))["EXIF DateTimeOriginal"]
    assert (taken.local, taken.zone) == ("2024-07-01T23:30:05", "assumed")


def test_a_reconyx_trail_camera_time_is_read_from_its_note(tmp_path):
    path = _photo(tmp_path / "r.jpg", "", tiff.reconyx_hyperfire((2020, 3, 16, 10, 0, 0)),
                  original=None)
    claim = _claims(path)["Reconyx maker note DateTimeOriginal"]
    assert (claim.local, claim.meaning, claim.confidence) == ("2020-03-16T10:00:00", "taken",
                                                             "high")
    seen = _exiftool(path, "DateTimeOriginal")
    if seen:
        assert seen["Reconyx:DateTimeOriginal"] == "2020:03:16 10:00:00"


def test_the_chronology_places_a_nikon_photo_in_utc_by_its_note(tmp_path):
    case = tmp_path / "case"
    ok(run_intake("init", case))
    photo = _photo(tmp_path / "DSC_0001.jpg", "NIKON CORPORATION",
                   tiff.nikon_world_time(-180, dst=False))  # Brazil, no DST
    ok(run_intake("ingest", "--case", case, "--in-process", photo))
    (entry,) = [e for e in chronology_doc(case, tmp_path / "out")["entries"]
                if e["kind"] == "photo"]
    assert entry["local"] == "2024-07-01T23:30:05-03:00"
    assert entry["instant"] == "2024-07-02T02:30:05Z"
