"""Videos: where and when they were made, how long they last, and their first picture.

Real videos are made in code: PyAV encodes a few one-colour frames into MP4
and 3GP (the movie header's creation time as FFmpeg writes it), Android's
``©xyz`` place is added inside the ``moov`` box, and an iPhone's ``keys``
metadata (creation date and ISO 6709 place) is built box by box. ExifTool,
where installed, reads the same place, time and length (a test oracle only).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from intake.sniff import sniff_bytes
from intake.testing import run_plugin
from plugins import media_files
from tests.helpers import media
from tests.helpers.case import ok, run_intake

pytest.importorskip("av")  # a declared dependency; skipped only on a broken install

RED = (200, 30, 30)


def _exiftool(path: Path) -> dict:
    if shutil.which("exiftool") is None:
        return {}
    out = subprocess.run(["exiftool", "-n", "-json", "-G1", "-a", "-s", "-GPSCoordinates",
                          "-Duration", "-CreateDate", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


def _android_video(path: Path, fmt: str = "mp4") -> Path:
    movie = media.encoded_video(RED, seconds=3, created="2024-10-05T19:14:30Z", fmt=fmt)
    path.write_bytes(media.add_to_moov(movie, media.xyz_udta("+50.8466+004.3528/")))
    return path


@pytest.mark.parametrize("fmt", ["mp4", "3gp"])
def test_place_time_and_length_of_a_phone_video(tmp_path: Path, fmt: str) -> None:
    path = _android_video(tmp_path / f"VID_20241005_211430.{fmt}", fmt)
    assert sniff_bytes(path.read_bytes()[:4096], path.name) == (
        "video/3gpp" if fmt == "3gp" else "video/mp4")
    result = run_plugin(media_files, path)
    (event,) = result.events
    assert event.kind == "video"
    assert event.facts["gps"] == {"lat": "50.846600", "lon": "4.352800"}
    assert event.facts["gps_source"] == "QuickTime ©xyz"
    assert event.facts["duration_seconds"] == 3
    claims = {c.source: c for c in event.claims}
    header = claims["MP4 movie header (mvhd creation time)"]
    assert (header.local, header.zone) == ("2024-10-05T19:14:30", "utc")
    named = claims["camera or recorder file name"]  # the phone's wall time, no zone
    assert (named.local, named.meaning) == ("2024-10-05T21:14:30", "taken")
    oracle = _exiftool(path)
    if oracle:
        assert oracle["UserData:GPSCoordinates"] == "50.8466 4.3528"
        assert round(float(oracle["QuickTime:Duration"])) == 3
        assert oracle["QuickTime:CreateDate"] == "2024:10:05 19:14:30"


def test_iphone_place_is_read_from_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0042.MOV"
    path.write_bytes(media.mp4(datetime(2024, 10, 5, 19, 14, 30, tzinfo=UTC), video=True,
                               brand=b"qt  ", apple_created="2024-10-05T21:14:30+0200",
                               apple_location="-33.8688+151.2093+012.000/"))
    (event,) = run_plugin(media_files, path).events
    assert event.facts["gps"] == {"lat": "-33.868800", "lon": "151.209300"}
    assert event.facts["gps_source"] == "QuickTime com.apple.quicktime.location.ISO6709"
    taken = next(c for c in event.claims if c.source.endswith("creationdate"))
    assert (taken.local, taken.offset) == ("2024-10-05T21:14:30", "+02:00")


@pytest.mark.parametrize("text", ["+4050-07400/", "+91.0000+004.0000/", "somewhere", ""])
def test_a_place_that_is_not_decimal_iso6709_is_not_guessed(tmp_path: Path, text: str) -> None:
    path = tmp_path / "v.mp4"
    movie = media.encoded_video(RED, seconds=1)
    path.write_bytes(media.add_to_moov(movie, media.xyz_udta(text)))
    (event,) = run_plugin(media_files, path).events
    assert "gps" not in event.facts


def test_first_picture_of_a_video_is_its_thumbnail(tmp_path: Path) -> None:
    path = _android_video(tmp_path / "v.mp4")
    png = media_files.first_frame_png(path, 32)
    assert png is not None and png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (32, 24)
        r, g, b = im.convert("RGB").getpixel((16, 12))
        assert r > 170 and g < 60 and b < 60
    # no picture: a sound-only MP4, a damaged one
    sound = tmp_path / "s.m4a"
    sound.write_bytes(media.mp4(None))
    assert media_files.first_frame_png(sound, 32) is None
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[:300])
    assert media_files.first_frame_png(cut, 32) is None


def test_without_pyav_there_is_no_thumbnail_and_no_error(tmp_path: Path) -> None:
    path = _android_video(tmp_path / "v.mp4")
    code = ("import sys; sys.modules['av'] = None\n"
            "from pathlib import Path\nfrom plugins import media_files\n"
            f"print(media_files.first_frame_png(Path({str(path)!r}), 32))")
    out = subprocess.run([str(Path(__import__("sys").executable)), "-c", code],
                         capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "None"


def test_the_reports_show_the_videos_first_picture(tmp_path: Path) -> None:
    case = tmp_path / "case"
    ok(run_intake("init", case))
    video = _android_video(tmp_path / "VID_20241005_211430.mp4")
    ok(run_intake("ingest", "--case", case, "--in-process", video))
    out = tmp_path / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "pdf,html",
                  timeout=300))
    page = (out / "chronology.html").read_text("utf-8")
    assert page.count('<img class="thumb" alt="" src="data:image/png;base64,') == 1
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / "chronology.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Foto's, schermafbeeldingen en video's (eerste beeld)" in " ".join(text.split())
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out / "chronology.pdf"),
                    str(tmp_path / "p")], check=True)
    red = 0
    for png in tmp_path.glob("p*.png"):
        with Image.open(png) as im:
            red += sum(n for n, (r, g, b) in im.convert("RGB").getcolors(1 << 20)
                       if r > 170 and g < 60 and b < 60)
    assert red > 500  # the red first picture is drawn in the PDF
