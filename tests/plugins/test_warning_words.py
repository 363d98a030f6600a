"""What the picture readers say is wrong reaches a Dutch or French reader in their words.

Pictures made in code carry the faults real files have (a date that is no
date, a clock never set, an IPTC time that is no time, GPS days away from the
camera's clock, a cut-off file, a damaged PNG chunk, a screenshot with no
time); the photos and screenshots plugins read them, and every warning they
give is translated (``intake.messages.translate``) with no English left, as
the case page, ``intake status`` and the HTML report show it. One goes the
whole way: a French case's chronology.html says it in French.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from intake.messages import translate
from intake.testing import run_plugin
from plugins import photos, screenshots
from tests.helpers.case import ok, run_intake, set_config
from tests.plugins.test_iptc import iptc_jpeg


def _jpeg(path: Path, exif: dict[int, object] | None = None,
          gps: dict[int, object] | None = None) -> Path:
    ex = Image.Exif()
    if exif:
        ex[0x8769] = exif
    if gps:
        ex[0x8825] = gps
    buf = io.BytesIO()
    Image.new("RGB", (48, 32), (90, 20, 160)).save(buf, "JPEG", exif=ex)
    path.write_bytes(buf.getvalue())
    return path


def _png_with_bad_text_chunk(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 90, 0)).save(buf, "PNG")
    data = buf.getvalue()
    body = b"Comment\x00hello"
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(
        ">I", zlib.crc32(b"tEXt" + body) ^ 1)  # a wrong checksum
    path.write_bytes(data[:33] + chunk + data[33:])
    return path


def _faulty(tmp_path: Path) -> dict[str, list[str]]:
    """Warnings of the photos plugin on pictures with the faults of real files."""
    cut = _jpeg(tmp_path / "cut.jpg", {0x9003: "2024:03:05 14:15:16"}).read_bytes()
    (tmp_path / "cut2.jpg").write_bytes(cut[:-40])
    files = {
        "not a date": _jpeg(tmp_path / "bad.jpg", {0x9003: "yesterday at noon!!"}),
        "never set": _jpeg(tmp_path / "zero.jpg", {0x9003: "0000:00:00 00:00:00"}),
        "gps apart": _jpeg(tmp_path / "gps.jpg", {0x9003: "2024:03:05 14:15:16"},
                           {1: "N", 2: (50.0, 51.0, 0.0), 3: "E", 4: (4.0, 21.0, 0.0),
                            7: (9.0, 0.0, 0.0), 29: "2024:03:01"}),
        "iptc time": iptc_jpeg(tmp_path / "iptc.jpg", [(55, b"20191014"), (60, b"9999")],
                               split=False),
        "cut off": tmp_path / "cut2.jpg",
        "png crc": _png_with_bad_text_chunk(tmp_path / "crc.png"),
    }
    return {k: run_plugin(photos, p).warnings for k, p in files.items()}


ENGLISH = re.compile(r"\b(the|which|is not|could not|holds|apart|damaged|days|file)\b")


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_picture_warning_is_said_in_dutch_and_french(tmp_path: Path, lang: str) -> None:
    found = _faulty(tmp_path)
    screenshot = tmp_path / "Screenshot_shot.png"
    screenshot.write_bytes(_png_with_bad_text_chunk(tmp_path / "s.png").read_bytes())
    found["screenshot"] = run_plugin(screenshots, screenshot).warnings
    assert all(found.values()), found  # every fault was noticed
    for fault, warnings in found.items():
        for w in warnings:
            words = translate(w, lang)
            assert words != w, (fault, w)
            english_left = ENGLISH.findall(re.sub(r"'[^']*'|\([^)]*\)", "", words))
            assert not english_left, (fault, w, words)
    said = {fault: " | ".join(translate(w, lang) for w in ws) for fault, ws in found.items()}
    expected = {
        "nl": {"not a date": "EXIF DateTimeOriginal bevat 'yesterday at noon!!', wat geen datum is",
               "never set": "de klok van het toestel is waarschijnlijk nooit ingesteld",
               "gps apart": "liggen 4 dagen 5 u 15 min uit elkaar",
               "iptc time": "de tijd '9999' is geen tijd; de dag wordt behouden",
               "cut off": "het bestand houdt op midden in het beeld; de tijden zijn gelezen",
               "png crc": "controlesom klopt niet in tEXt"},
        "fr": {"not a date": "EXIF DateTimeOriginal contient 'yesterday at noon!!', qui n’est "
                             "pas une date",
               "never set": "l’horloge de l’appareil n’a probablement jamais été réglée",
               "gps apart": "sont à 4 jours 5 h 15 min d’écart",
               "iptc time": "l’heure '9999' n’est pas une heure\u202f; le jour est conservé",
               "cut off": "le fichier s’arrête au milieu de l’image\u202f; les heures ont été lues",
               "png crc": "somme de contrôle erronée dans tEXt"},
    }[lang]
    for fault, words in expected.items():
        assert words in said[fault], (fault, said[fault])


def test_a_french_case_reads_the_warning_in_french_in_the_html_report(tmp_path: Path) -> None:
    case = tmp_path / "case"
    ok(run_intake("init", case))
    set_config(case, 'language = "nl"', 'language = "fr"')
    photo = _jpeg(tmp_path / "bad.jpg", {0x9003: "yesterday at noon!!"})
    ok(run_intake("ingest", "--case", case, "--in-process", photo))
    ok(run_intake("chronology", "--case", case, "--out", tmp_path / "out", "--format", "html"))
    page = html.unescape((tmp_path / "out" / "chronology.html").read_text("utf-8"))
    assert "EXIF DateTimeOriginal contient 'yesterday at noon!!', qui n’est pas une date" in page
    assert "which is not a date" not in page
    # and, with no time of its own, the photo says so in French
    assert ("pas d’heure de prise de vue dans le fichier\u202f; l’heure indiquée est celle de "
            "sa copie sur cet ordinateur") in page
