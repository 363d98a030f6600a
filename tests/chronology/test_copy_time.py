"""Never a copy time dressed as a capture time (issue 14, point 5).

A photo with its capture time, a photo and a video with none: through the
real CLI, the nl, fr and en reports (PDF read with pdftotext and drawn with
pdftoppm, HTML read as text) show the two without a time of their own in a
section of their own, after the dated facts, each saying in the reader's
language that the time shown is when it was copied to this computer; the
dated facts are not counted with them and their thumbnails carry no date.
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import media
from tests.helpers.case import chronology_doc, ok, run_intake

COPIED_AT = datetime(2024, 6, 1, 10, 0, 0, tzinfo=UTC)

WORDS = {
    "nl": {"photo": "geen opnametijd in het bestand; de getoonde tijd is wanneer het naar "
                    "deze computer werd gekopieerd",
           "section": "Bestanden zonder eigen tijd", "dated": "Chronologie",
           "thumb": "geen opnametijd", "taken": "05/03/2024", "copied": "01/06/2024"},
    "fr": {"photo": "pas d’heure de prise de vue dans le fichier\u202f; l’heure indiquée est "
                    "celle de sa copie sur cet ordinateur",
           "section": "Fichiers sans heure propre", "dated": "Chronologie",
           "thumb": "pas d’heure de prise de vue", "taken": "05/03/2024",
           "copied": "01/06/2024"},
    "en": {"photo": "no capture time in the file; the time shown is when it was copied to "
                    "this computer",
           "section": "Files with no time of their own", "dated": "Chronology",
           "thumb": "no capture time", "taken": "2024-03-05", "copied": "2024-06-01"},
}


def _jpeg(color: str, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG", exif=exif or Image.Exif())
    return buf.getvalue()


def _taken_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2024:03:05 14:15:16",  # DateTimeOriginal
                    0x9011: "+01:00"}  # OffsetTimeOriginal
    return exif


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("copytime")
    case, drop = root / "case", root / "drop"
    ok(run_intake("init", case))
    drop.mkdir()
    (drop / "taken.jpg").write_bytes(_jpeg("navy", _taken_exif()))
    (drop / "kept.jpg").write_bytes(_jpeg("orange"))
    (drop / "street.mp4").write_bytes(media.mp4(None, video=True, brand=b"isom"))
    for name in ("kept.jpg", "street.mp4"):
        os.utime(drop / name, (COPIED_AT.timestamp(), COPIED_AT.timestamp()))
    ok(run_intake("ingest", "--case", case, "--in-process", drop / "taken.jpg",
                  drop / "kept.jpg", drop / "street.mp4"))
    out = {"json": chronology_doc(case, root / "json")}
    for lang in WORDS:
        out[lang] = root / lang
        ok(run_intake("chronology", "--case", case, "--out", out[lang], "--format", "pdf,html",
                      "--lang", lang, timeout=300))
    return out


def _pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.split())


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_chronology_knows_only_the_copy_time(reports):
    doc = reports["json"]
    by_kind = {}
    for e in doc["entries"]:
        by_kind.setdefault(e["kind"], []).append(e)
    taken = next(e for e in by_kind["photo"] if e["local"].startswith("2024-03-05"))
    assert taken["local"] == "2024-03-05T14:15:16+01:00"
    kept = next(e for e in by_kind["photo"] if e is not taken)
    (video,) = by_kind["video"]
    for e in (kept, video):
        chosen = next(c for c in e["claims"] if c["chosen"])
        assert chosen["meaning"] == "filed"
        assert e["instant"] == "2024-06-01T10:00:00Z"
        assert "low-confidence-time" in e["flags"]


@pytest.mark.parametrize("lang", list(WORDS))
def test_pdf_shows_copy_times_apart_in_the_readers_words(reports, lang):
    w = {k: _flat(v) for k, v in WORDS[lang].items()}  # U+202F reads as a space
    text = _pdf_text(reports[lang] / "chronology.pdf")
    section = text.index(w["section"])
    # the sentence is said for each of the two, inside their own section
    assert text.count(w["photo"]) == 2, text[section:section + 800]
    assert text.index(w["photo"]) > section
    # the dated photo is in the chronology before it; the copy date only after it
    assert section > text.index(w["taken"]) > text.index(w["dated"])
    assert text.index(w["copied"]) > section
    # the thumbnail of the photo with no time says so instead of showing the copy time
    assert w["thumb"] in text[text.rindex(w["photo"]) + len(w["photo"]):]
    if lang != "en":
        assert "copied to this computer" not in text


@pytest.mark.parametrize("lang", list(WORDS))
def test_html_shows_copy_times_apart_and_counts_them_apart(reports, lang):
    w = {k: _flat(v) for k, v in WORDS[lang].items()}
    page = (reports[lang] / "chronology.html").read_text("utf-8")
    assert '<td id="copied-count">2</td>' in page
    dated, copied = page.index("<section id=\"chronology\">"), page.index("<section id=\"copied\">")
    assert dated < copied
    text = _flat(html.unescape(re.sub(r"<[^>]+>", " ", page[copied:])))
    assert text.count(w["photo"]) == 2
    assert text.startswith(w["section"])
    dated_text = _flat(html.unescape(re.sub(r"<[^>]+>", " ", page[dated:copied])))
    assert w["taken"] in dated_text and w["copied"] not in dated_text
    assert w["photo"] not in dated_text


def test_pdf_pages_draw_the_separate_section(reports, tmp_path):
    """Drawn as a reader sees it: the section's page has ink, and the summary has five boxes."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    pdf = reports["nl"] / "chronology.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p*.png"))
    assert len(pages) >= 3
    for png in pages[:2]:
        with Image.open(png) as im:
            assert any(sum(c) < 150 for _, c in im.convert("RGB").getcolors(1 << 20))
    # page 2 holds the chronology and the section apart (pdftotext per page)
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-enc", "UTF-8", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert WORDS["nl"]["section"] in _flat(page2)
