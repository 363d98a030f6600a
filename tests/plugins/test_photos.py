"""The photos plugin on images made here with Pillow: every claim, offset and fact."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from intake.builtin import photos
from PIL import Image, PngImagePlugin
from PIL.TiffImagePlugin import IFDRational as R

from intake.testing import item_view, run_plugin

EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def make_jpeg(path: Path, *, ifd0=None, exif=None, gps=None, size=(40, 30), xmp=None) -> Path:
    block = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        block[tag] = value
    if exif:
        sub = block.get_ifd(EXIF_IFD)
        sub.update(exif)
    if gps:
        sub = block.get_ifd(GPS_IFD)
        sub.update(gps)
    extra = {"xmp": xmp} if xmp else {}
    Image.new("RGB", size, (200, 30, 30)).save(path, "JPEG", exif=block, **extra)
    return path


def claim(result, source):
    found = [c for e in result.events for c in e.claims if c.source == source]
    assert found, f"no claim from {source}: {[c.source for e in result.events for c in e.claims]}"
    return found[0]


def sources(result):
    return [c.source for e in result.events for c in e.claims]


def no_floats(value) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(no_floats(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(no_floats(v) for v in value)
    return True


def test_offset_time_original_is_used_for_the_capture_time_not_offset_time(tmp_path):
    path = make_jpeg(tmp_path / "a.jpg", ifd0={0x010F: "Acme", 0x0110: "Cam 1",
                                               0x0132: "2024:03:01 10:00:00"},
                     exif={0x9003: "2024:03:01 21:15:30", 0x9291: "123", 0x9011: "+05:30",
                           0x9010: "-03:00", 0x9004: "2024:03:01 21:15:31",
                           0x9012: "+04:00", 0x9290: "7"})
    r = run_plugin(photos, path)
    assert r.extraction.kind == "photo"
    taken = claim(r, "EXIF DateTimeOriginal")
    assert (taken.local, taken.offset, taken.zone) == ("2024-03-01T21:15:30.123", "+05:30",
                                                      "explicit")
    assert taken.utc == "2024-03-01T15:45:30.123Z"
    assert (taken.meaning, taken.granularity) == ("taken", "subsecond")
    created = claim(r, "EXIF CreateDate")
    assert (created.local, created.offset, created.utc) == (
        "2024-03-01T21:15:31", "+04:00", "2024-03-01T17:15:31Z")
    modified = claim(r, "EXIF ModifyDate")
    assert (modified.local, modified.offset, modified.utc) == (
        "2024-03-01T10:00:00.7", "-03:00", "2024-03-01T13:00:00.700Z")
    assert modified.meaning == "modified"
    assert r.events[0].summary == "Photo taken (Acme Cam 1)"
    assert r.facts["make"] == "Acme" and r.facts["model"] == "Cam 1"
    assert (r.facts["width"], r.facts["height"]) == (40, 30)


def test_local_time_without_offset_is_assumed_in_the_case_zone(tmp_path):
    path = make_jpeg(tmp_path / "b.jpg", exif={0x9003: "2024:07:01 12:00:00"})
    taken = claim(run_plugin(photos, path), "EXIF DateTimeOriginal")
    assert (taken.offset, taken.zone, taken.utc) == ("+02:00", "assumed", "2024-07-01T10:00:00Z")


def test_dst_ambiguous_local_time_is_flagged(tmp_path):
    path = make_jpeg(tmp_path / "c.jpg", exif={0x9003: "2024:10:27 02:30:00"})
    taken = claim(run_plugin(photos, path), "EXIF DateTimeOriginal")
    assert "dst-ambiguous" in taken.flags
    assert (taken.zone, taken.offset, taken.utc) == ("assumed", "+02:00", "2024-10-27T00:30:00Z")


def test_dst_gap_local_time_is_flagged(tmp_path):
    path = make_jpeg(tmp_path / "d.jpg", exif={0x9003: "2024:03:31 02:30:00"})
    taken = claim(run_plugin(photos, path), "EXIF DateTimeOriginal")
    assert "dst-gap" in taken.flags


GPS_AMSTERDAM = {1: "N", 2: (R(52), R(22), R(1278, 100)), 3: "E", 4: (R(4), R(53), R(3))}


def test_gps_utc_stamp_resolves_the_zone_and_position_is_decimal_strings(tmp_path):
    gps = {**GPS_AMSTERDAM, 7: (R(20), R(15), R(2406, 100)), 29: "2024:07:01"}
    path = make_jpeg(tmp_path / "e.jpg", exif={0x9003: "2024:07:01 22:15:30"}, gps=gps)
    r = run_plugin(photos, path)
    taken = claim(r, "EXIF DateTimeOriginal")
    assert (taken.offset, taken.zone, taken.utc) == ("+02:00", "gps", "2024-07-01T20:15:30Z")
    assert "GPS" in taken.note and "15 minutes" in taken.note
    stamp = claim(r, "EXIF GPS date and time (UTC)")
    assert (stamp.local, stamp.zone, stamp.utc) == ("2024-07-01T20:15:24.06", "utc",
                                                   "2024-07-01T20:15:24.060Z")
    assert r.facts["gps"] == {"lat": "52.370217", "lon": "4.884167"}
    assert no_floats(r.facts) and no_floats(dict(r.events[0].facts))


def test_gps_derives_a_half_hour_zone_and_southern_western_position(tmp_path):
    gps = {1: "S", 2: (R(33), R(52), R(0)), 3: "W", 4: (R(70), R(30), R(0)),
           7: (R(15), R(45), R(10)), 29: "2024:03:01"}
    path = make_jpeg(tmp_path / "f.jpg", exif={0x9003: "2024:03:01 21:15:30"}, gps=gps)
    r = run_plugin(photos, path)
    taken = claim(r, "EXIF DateTimeOriginal")
    assert (taken.offset, taken.zone) == ("+05:30", "gps")
    assert r.facts["gps"] == {"lat": "-33.866667", "lon": "-70.500000"}


def test_gps_far_from_the_camera_clock_does_not_set_the_zone(tmp_path):
    gps = {**GPS_AMSTERDAM, 7: (R(14), R(27), R(7)), 29: "2024:07:02"}
    path = make_jpeg(tmp_path / "g.jpg", exif={0x9003: "2024:07:01 16:28:39"}, gps=gps)
    r = run_plugin(photos, path)
    assert claim(r, "EXIF DateTimeOriginal").zone == "assumed"
    assert claim(r, "EXIF GPS date and time (UTC)").utc == "2024-07-02T14:27:07Z"
    assert any("apart" in w for w in r.warnings)


def test_camera_default_clock_is_a_placeholder_and_blank_is_a_warning(tmp_path):
    path = make_jpeg(tmp_path / "h.jpg", exif={0x9003: "1998:01:01 00:00:00",
                                               0x9004: "    :  :     :  :  "})
    r = run_plugin(photos, path)
    taken = claim(r, "EXIF DateTimeOriginal")
    assert "placeholder" in taken.flags and taken.confidence == "low"
    assert "EXIF CreateDate" not in sources(r)
    assert any("blank" in w for w in r.warnings)


def test_garbage_date_is_a_warning_not_a_crash(tmp_path):
    path = make_jpeg(tmp_path / "i.jpg", exif={0x9003: "1999:99:99 99:99:99"})
    r = run_plugin(photos, path)
    assert r.extraction is not None and "EXIF DateTimeOriginal" not in sources(r)
    assert any("not a date" in w for w in r.warnings)


XMP = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:xap="http://ns.adobe.com/xap/1.0/"
  xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
  xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
  xap:CreateDate="2023-05-06T07:08:09+03:00" photoshop:DateCreated="2023-05-06"
  tiff:Make="XmpMake">
  <exif:DateTimeOriginal>2023-05-06T07:08:09.5+03:00</exif:DateTimeOriginal>
  <xap:ModifyDate>2023-05-07T10:00:00Z</xap:ModifyDate>
 </rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_xmp_dates_in_attributes_and_elements(tmp_path):
    path = make_jpeg(tmp_path / "j.jpg", xmp=XMP)
    r = run_plugin(photos, path)
    created = claim(r, "XMP xmp:CreateDate")
    assert (created.local, created.offset, created.utc) == ("2023-05-06T07:08:09", "+03:00",
                                                           "2023-05-06T04:08:09Z")
    taken = claim(r, "XMP exif:DateTimeOriginal")
    assert (taken.local, taken.granularity, taken.utc) == ("2023-05-06T07:08:09.5", "subsecond",
                                                          "2023-05-06T04:08:09.500Z")
    assert claim(r, "XMP xmp:ModifyDate").utc == "2023-05-07T10:00:00Z"
    day = claim(r, "XMP photoshop:DateCreated")
    assert (day.local, day.granularity) == ("2023-05-06", "day")
    assert r.facts["make"] == "XmpMake"


def test_png_time_text_and_compressed_xmp(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add(b"tIME", struct.pack(">HBBBBB", 2021, 4, 29, 0, 16, 52))
    info.add_text("Creation Time", "Wed 28 Apr 2021 06:16:52 PM MDT")
    info.add_text("date:modify", "2021-04-29T00:20:00+00:00")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode(), zip=True)
    path = tmp_path / "k.png"
    Image.new("RGB", (20, 10), "blue").save(path, "PNG", pnginfo=info)
    r = run_plugin(photos, path)
    stamp = claim(r, "PNG tIME")
    assert (stamp.local, stamp.zone, stamp.utc, stamp.meaning) == (
        "2021-04-29T00:16:52", "utc", "2021-04-29T00:16:52Z", "modified")
    text = claim(r, 'PNG text "Creation Time"')
    assert (text.local, text.offset, text.utc) == ("2021-04-28T18:16:52", "-06:00",
                                                  "2021-04-29T00:16:52Z")
    assert claim(r, 'PNG text "date:modify"').utc == "2021-04-29T00:20:00Z"
    assert claim(r, "XMP xmp:CreateDate").utc == "2023-05-06T04:08:09Z"
    assert r.facts["format"] == "PNG" and r.facts["width"] == 20


def test_png_exif_chunk_is_read(tmp_path):
    block = Image.Exif()
    block[0x0132] = "2019:01:07 10:13:34"
    block.get_ifd(EXIF_IFD)[0x9003] = "2019:01:07 09:00:00"
    path = tmp_path / "l.png"
    Image.new("RGB", (8, 8)).save(path, "PNG", exif=block)
    r = run_plugin(photos, path)
    assert claim(r, "EXIF DateTimeOriginal").local == "2019-01-07T09:00:00"
    assert claim(r, "EXIF ModifyDate").local == "2019-01-07T10:13:34"


def test_truncated_jpeg_keeps_its_times_and_says_so(tmp_path):
    whole = make_jpeg(tmp_path / "whole.jpg", exif={0x9003: "2024:03:01 21:15:30"},
                      size=(300, 200)).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    r = run_plugin(photos, cut)
    assert r.extraction is not None
    assert any("truncated" in w for w in r.warnings)
    assert claim(r, "EXIF DateTimeOriginal").utc == "2024-03-01T20:15:30Z"
    assert photos.intake_thumbnail(item_view(cut), 32) is None


def test_truncated_png_says_so(tmp_path):
    buf = io.BytesIO()
    Image.effect_noise((200, 200), 50).save(buf, "PNG")
    cut = tmp_path / "cut.png"
    cut.write_bytes(buf.getvalue()[:-500])
    r = run_plugin(photos, cut)
    assert r.extraction.kind == "photo"
    assert any("truncated" in w for w in r.warnings)


def test_garbage_behind_a_jpeg_signature_never_raises(tmp_path):
    path = tmp_path / "junk.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08" + b"\x00" * 50)
    r = run_plugin(photos, path)
    assert r.extraction is not None and r.runs[0].status == "ok"
    assert r.warnings


def test_image_without_any_time(tmp_path):
    path = tmp_path / "plain.gif"
    Image.new("P", (5, 5)).save(path, "GIF")
    r = run_plugin(photos, path)
    assert r.extraction.kind == "photo"
    assert r.events[0].claims == ()
    assert "low-confidence-time" in r.events[0].flags
    assert any("no date or time" in w for w in r.warnings)


def test_not_an_image_is_not_mine(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("hello")
    assert run_plugin(photos, path).extraction is None


def test_thumbnail_is_png_with_the_longest_side_and_turned_upright(tmp_path):
    path = make_jpeg(tmp_path / "t.jpg", ifd0={0x0112: 6}, size=(400, 200))
    png = photos.intake_thumbnail(item_view(path), 100)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (50, 100)  # orientation 6: turned a quarter
    assert photos.intake_thumbnail(item_view(path), 100) == png  # deterministic


def test_thumbnail_refuses_decompression_bombs(tmp_path, monkeypatch):
    path = make_jpeg(tmp_path / "big.jpg", size=(400, 200))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert photos.intake_thumbnail(item_view(path), 100) is None


def test_thumbnail_not_for_other_files(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("hi")
    assert photos.intake_thumbnail(item_view(path), 100) is None


@pytest.mark.parametrize("text, local, offset", [
    ("Ma 24 ian 2023 12:02:58 +0200", "2023-01-24T12:02:58", "+02:00"),
    ("Fri, 01 Mar 2024 21:15:30 +0000", "2024-03-01T21:15:30", "+00:00"),
    ("vr 01 mrt 2024 21:15:30 CET", "2024-03-01T21:15:30", "+01:00"),
    ("ven. 01 mars 2024 09:15:30 PM", "2024-03-01T21:15:30", None),
])
def test_png_creation_time_in_several_languages(tmp_path, text, local, offset):
    info = PngImagePlugin.PngInfo()
    info.add_text("Creation Time", text)
    path = tmp_path / "ct.png"
    Image.new("RGB", (4, 4)).save(path, "PNG", pnginfo=info)
    got = claim(run_plugin(photos, path), 'PNG text "Creation Time"')
    assert got.local == local
    if offset:
        assert got.offset == offset and got.zone in ("explicit", "utc")
    else:
        assert got.zone == "assumed"
