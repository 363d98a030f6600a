"""The screenshots plugin: every name pattern (en/nl/fr, 12 h and 24 h) and the metadata."""

from __future__ import annotations

import io
import struct
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from intake.builtin import screenshots
from PIL import Image, PngImagePlugin

from intake.testing import run_plugin

NNBSP = "\u202f"


@pytest.fixture(scope="module")
def png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shots") / "shot.png"
    img = Image.new("RGB", (64, 48), "white")
    for x in range(0, 64, 8):
        img.paste((20, 20, 120), (x, 0, x + 4, 48))
    img.save(path, "PNG")
    return path


# (name, local time as written, which system's pattern)
NAMES = [
    # Android (AOSP/Pixel, Samsung with app, Xiaomi/MIUI with milliseconds, old Android)
    ("Screenshot_20240301-211530.png", "2024-03-01T21:15:30", "Android"),
    ("Screenshot_20240301-211530_WhatsApp.jpg", "2024-03-01T21:15:30", "Android"),
    ("Screenshot_20240301_211530_WhatsApp.jpg", "2024-03-01T21:15:30", "Android"),
    ("Screenshot_2024-03-01-21-15-30-123_com.whatsapp.jpg", "2024-03-01T21:15:30.123", "MIUI"),
    ("Screenshot_2024_03_01_21_15_30_123_com_whatsapp.jpg", "2024-03-01T21:15:30.123", "MIUI"),
    ("Screenshot_2014-03-01-21-15-30.png", "2014-03-01T21:15:30", "MIUI"),
    # macOS, 24 h and 12 h, English, Dutch, French, old "Screen Shot"
    ("Screenshot 2024-03-01 at 21.15.30.png", "2024-03-01T21:15:30", "macOS"),
    (f"Screenshot 2024-03-01 at 9.15.30{NNBSP}PM.png", "2024-03-01T21:15:30", "macOS"),
    (f"Screenshot 2024-03-01 at 12.05.09{NNBSP}AM.png", "2024-03-01T00:05:09", "macOS"),
    (f"Screenshot 2024-03-01 at 12.05.09{NNBSP}PM.png", "2024-03-01T12:05:09", "macOS"),
    ("Screen Shot 2019-12-09 at 5.14.35 PM.png", "2019-12-09T17:14:35", "macOS"),
    ("Screen Shot 2019-10-16 at 4.42.45 pm.png", "2019-10-16T16:42:45", "macOS"),
    ("Screenshot 2024-03-01 at 21.15.30 (2).png", "2024-03-01T21:15:30", "macOS"),
    ("Schermafbeelding 2024-03-01 om 21.15.30.png", "2024-03-01T21:15:30", "macOS"),
    (f"Schermafbeelding 2024-03-01 om 9.15.30{NNBSP}p.m..png", "2024-03-01T21:15:30", "macOS"),
    ("Capture d’écran 2024-03-01 à 21.15.30.png", "2024-03-01T21:15:30", "macOS"),
    (f"Capture d’écran 2024-03-01 à 9.15.30{NNBSP}PM.png", "2024-03-01T21:15:30", "macOS"),
    (unicodedata.normalize("NFD", "Capture d’écran 2024-03-01 à 21.15.30.png"),
     "2024-03-01T21:15:30", "macOS"),
    # Windows 11 Snipping Tool (24 h only), English, Dutch, French
    ("Screenshot 2024-03-01 211530.png", "2024-03-01T21:15:30", "Windows Snipping Tool"),
    ("Schermopname 2024-03-01 211530.png", "2024-03-01T21:15:30", "Windows Snipping Tool"),
    ("Schermafbeelding 2023-03-07 164217.png", "2023-03-07T16:42:17", "Windows Snipping Tool"),
    ("Capture d'écran 2024-03-01 211530.png", "2024-03-01T21:15:30", "Windows Snipping Tool"),
    ("Capture d’écran 2024-03-01 091530.png", "2024-03-01T09:15:30", "Windows Snipping Tool"),
    # GNOME, old (colons) and new, English, Dutch, French
    ("Screenshot from 2024-03-01 21-15-30.png", "2024-03-01T21:15:30", "GNOME"),
    ("Screenshot From 2024-03-01 21-15-30.png", "2024-03-01T21:15:30", "GNOME"),
    ("Screenshot from 2024-03-01 21:15:30.png", "2024-03-01T21:15:30", "GNOME"),
    ("Schermafdruk van 2024-03-01 21-15-30.png", "2024-03-01T21:15:30", "GNOME"),
    ("Capture d’écran du 2024-03-01 21-15-30.png", "2024-03-01T21:15:30", "GNOME"),
    # KDE Spectacle, English, Dutch, French
    ("Screenshot_20240301_211530.png", "2024-03-01T21:15:30", "KDE"),
    ("Schermafdruk_20240301_211530.png", "2024-03-01T21:15:30", "KDE"),
    ("Capture d'écran_20240301_211530.png", "2024-03-01T21:15:30", "KDE"),
    # Firefox, English, Dutch, French
    ("Screenshot 2024-03-01 at 21-15-30 Title.png", "2024-03-01T21:15:30", "Firefox"),
    ("Schermafbeelding 2024-03-01 om 21-15-30 Titel.png", "2024-03-01T21:15:30", "Firefox"),
    ("Capture d’écran 2024-03-01 à 21-15-30 Titre.png", "2024-03-01T21:15:30", "Firefox"),
    # iOS Simulator, old and new, 24 h and 12 h
    ("Simulator Screen Shot - iPhone 14 - 2023-01-05 at 10.11.12.png",
     "2023-01-05T10:11:12", "iOS Simulator"),
    (f"Simulator Screenshot - iPhone 15 Pro - 2024-03-03 at 5.12.29{NNBSP}PM.png",
     "2024-03-03T17:12:29", "iOS Simulator"),
]


@pytest.mark.parametrize("name, local, system", NAMES, ids=[n for n, _, _ in NAMES])
def test_time_in_the_name(png, name, local, system):
    r = run_plugin(screenshots, png, name=name)
    assert r.extraction is not None and r.extraction.kind == "screenshot"
    event = r.events[0]
    assert (event.kind, event.key) == ("screenshot", "screenshot")
    first = event.claims[0]
    assert first.source.startswith("file name (") and system in first.source
    assert first.local == local
    assert (first.meaning, first.confidence, first.zone) == ("taken", "medium", "assumed")
    assert first.granularity == ("subsecond" if "." in local else "second")
    zone = ZoneInfo("Europe/Brussels")
    expected = datetime.fromisoformat(local).replace(tzinfo=zone).utcoffset()
    assert first.offset == f"+{expected.seconds // 3600:02d}:00"
    assert r.facts["width"] == 64 and r.facts["height"] == 48
    assert len(r.facts["phash"]) == 16


def test_utc_of_a_name_time_is_read_in_the_case_zone(png):
    r = run_plugin(screenshots, png, name="Screenshot 2024-07-01 at 21.15.30.png")
    assert r.events[0].claims[0].utc == "2024-07-01T19:15:30Z"


def test_dst_ambiguous_name_time(png):
    r = run_plugin(screenshots, png, name="Screenshot_20241027-023000.png")
    assert "dst-ambiguous" in r.events[0].claims[0].flags


@pytest.mark.parametrize("name", ["Screenshot (12).png", "Schermopname (3).png",
                                  "Capture d'écran (7).png", "Screenshot.png"])
def test_screenshot_names_without_a_time(png, name):
    r = run_plugin(screenshots, png, name=name)
    assert r.extraction.kind == "screenshot"
    assert not [c for c in r.events[0].claims if c.source.startswith("file name")]
    assert any("no time" in w for w in r.warnings)


def test_impossible_time_in_a_name_is_not_invented(png):
    r = run_plugin(screenshots, png, name="Screenshot_20241341-251530.png")
    assert r.extraction.kind == "screenshot"
    assert not [c for c in r.events[0].claims if c.source.startswith("file name")]


@pytest.mark.parametrize("name", ["IMG_1234.PNG", "holiday.jpg", "Screenshots of the car.png",
                                  "20240301_211530.jpg"])
def test_other_images_are_left_to_the_photos_plugin(png, name):
    assert run_plugin(screenshots, png, name=name).extraction is None


def test_not_an_image(tmp_path):
    path = tmp_path / "Screenshot_20240301-211530.txt"
    path.write_text("not a picture")
    assert run_plugin(screenshots, path).extraction is None


def test_iphone_screenshot_recognised_by_exif_user_comment(tmp_path):
    exif = Image.Exif()
    exif[0x0128] = 2  # resolution unit, as iPhones write it
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00Screenshot"
    path = tmp_path / "IMG_1234.PNG"
    Image.new("RGB", (30, 60), "green").save(path, "PNG", exif=exif)
    r = run_plugin(screenshots, path)
    assert r.extraction.kind == "screenshot"
    assert r.events[0].summary == "Screenshot (recognised from its metadata)"


def test_mac_screenshot_recognised_by_xmp_user_comment(tmp_path):
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
           'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
           'rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"><exif:UserComment>'
           '<rdf:Alt><rdf:li xml:lang="x-default">Screenshot</rdf:li></rdf:Alt>'
           '</exif:UserComment></rdf:Description></rdf:RDF></x:xmpmeta>')
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    path = tmp_path / "renamed.png"
    Image.new("RGB", (30, 60), "green").save(path, "PNG", pnginfo=info)
    assert run_plugin(screenshots, path).extraction.kind == "screenshot"


def test_gnome_metadata_claims_beside_the_name(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "gnome-screenshot")
    info.add_text("Creation Time", "Wed 28 Apr 2021 06:16:52 PM MDT")
    info.add(b"tIME", struct.pack(">HBBBBB", 2021, 4, 29, 0, 16, 53))
    path = tmp_path / "gnome.png"
    Image.new("RGB", (30, 20)).save(path, "PNG", pnginfo=info)
    r = run_plugin(screenshots, path, name="Screenshot from 2021-04-28 18-16-52.png")
    by_source = {c.source: c for c in r.events[0].claims}
    assert by_source["file name (GNOME screenshot)"].local == "2021-04-28T18:16:52"
    text = by_source['PNG text "Creation Time"']
    assert (text.offset, text.utc) == ("-06:00", "2021-04-29T00:16:52Z")
    assert by_source["PNG tIME"].utc == "2021-04-29T00:16:53Z"
    assert r.facts["software"] == "gnome-screenshot"
    # Recognised by its Software text even under another name.
    assert run_plugin(screenshots, path, name="renamed.png").extraction.kind == "screenshot"


def test_same_picture_same_phash(tmp_path, png):
    copy = tmp_path / "copy.png"
    with Image.open(png) as im:
        im.convert("RGBA").save(copy, "PNG")
    a = run_plugin(screenshots, png, name="Screenshot_20240301-211530.png").facts["phash"]
    b = run_plugin(screenshots, copy, name="Screenshot_20240301-211531.png").facts["phash"]
    assert a == b


def test_truncated_screenshot_keeps_the_name_time(tmp_path):
    buf = io.BytesIO()
    Image.effect_noise((200, 200), 60).save(buf, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[:-400])
    r = run_plugin(screenshots, path, name="Screenshot_20240301-211530.png")
    assert r.extraction.kind == "screenshot"
    assert r.events[0].claims[0].local == "2024-03-01T21:15:30"
    assert any("truncated" in w for w in r.warnings)
    assert "phash" not in r.facts
