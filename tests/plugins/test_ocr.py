"""OCR of screenshots and scanned letters (issue 15), through the real CLI and plugin workers.

One case is built once for the module (OCR is slow): a chat screenshot, a
second one whose status-bar clock disagrees with its name, a call list, a
letter as a JPEG and as an image-only PDF, all drawn in code
(``tests/helpers/ocr_pictures.py``). Each picture is read once.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ocr_pictures as pictures
from tests.helpers.case import drop, ingest, new_case, ok, run_intake, status

# CI installs Tesseract (.ci/run): there, a missing one fails these tests
pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None and not os.environ.get("CI"),
                                reason="Tesseract is not installed (.ci/run installs it)")

CHAT = "Screenshot_20241012-211500_Instagram.png"
CHAT_LATE = "Screenshot_20241012-221500_Instagram.jpg"  # its clock says 18:02
CALLS = "Screenshot_20241012-213000_Phone.png"
LETTER_JPEG = "brief van Kevin.jpg"
LETTER_PDF = "scan 0001.pdf"
CHAT_EXPORT = "WhatsApp-chat met Kevin.txt"
#: The export holds the bubbles the screenshot shows, and one it does not.
NOT_SHOWN = "Morgen om acht uur sta ik weer aan je deur."


def _export() -> bytes:
    lines = [f"12/10/2024, 21:{10 + n:02d} - {'Kevin' if side == 'in' else 'Anna'}: {text}"
             for n, (side, text) in enumerate(pictures.BUBBLES)]
    lines.append(f"12/10/2024, 21:20 - Kevin: {NOT_SHOWN}")
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    case = new_case(tmp_path_factory.mktemp("ocr") / "case")
    drop(case, CHAT, pictures.chat_screenshot())
    drop(case, CHAT_LATE, pictures.chat_screenshot(clock="18:02", fmt="JPEG"))
    drop(case, CALLS, pictures.call_list_screenshot())
    drop(case, LETTER_JPEG, pictures.letter_jpeg())
    drop(case, LETTER_PDF, pictures.letter_pdf())
    drop(case, CHAT_EXPORT, _export())
    ingest(case, in_process=False, timeout=300)  # the real plugin workers
    ok(run_intake("person", "add", "--case", case, "--role", "suspect", "--name", "Kevin",
                  "--phone", "+32 468 99 01 23"))
    out = case / "report"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json,html,pdf,csv",
                  timeout=300))
    doc = json.loads((out / "chronology.json").read_text(encoding="utf-8"))
    entries = doc["entries"] + doc["undated"]
    names = {x["sha256"]: x.get("names") or [x.get("name")] for x in doc["exhibits"]}
    by_name = {}
    for e in entries:
        for n in names.get(e["sources"][0]["exhibit"], ()):
            by_name[n] = e
    return {"case": case, "doc": doc, "by_name": by_name, "out": out}


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’]+", text.casefold())


def test_chat_bubbles_read_in_order_with_the_clock(built):
    entry = built["by_name"][CHAT]
    facts = entry["facts"]
    assert facts["ocr"] == "read" and facts["ocr_engine"].startswith("tesseract ")
    assert facts["ocr_languages"] == "nld+fra+eng"
    read = _words(facts["ocr_text"])
    wanted = [w for _side, text in pictures.BUBBLES for w in _words(text)]
    found = sum(1 for w in wanted if w in read)
    assert found / len(wanted) >= 0.95, (found, len(wanted), facts["ocr_text"])
    text = facts["ocr_text"]
    assert "même à" in text and "café" in text and "m'écrire" in text  # accents kept
    # reading order: the bubbles top to bottom
    firsts = [text.find(t.split()[0] + " " + t.split()[1]) for _s, t in pictures.BUBBLES]
    assert -1 not in firsts and firsts == sorted(firsts), firsts
    assert facts["status_bar_clock"] == "21:14"
    clock = [c for c in entry["claims"] if c["source"] == "status-bar clock (OCR)"]
    assert [(c["local"], c["granularity"], c["confidence"], c["meaning"]) for c in clock] == [
        ("2024-10-12T21:14", "minute", "low", "taken")]
    assert clock[0]["utc"] == "2024-10-12T19:14:00Z"
    # the name's time (21:15:00) is chosen; one minute off is no disagreement
    assert entry["claims"][0]["source"].startswith("file name")
    assert "claims-disagree" not in entry["flags"]
    assert "@kevin.vdb" in facts["ocr_identifiers"]


def test_a_clock_that_disagrees_with_the_name_is_flagged(built):
    entry = built["by_name"][CHAT_LATE]
    assert entry["facts"]["status_bar_clock"] == "18:02"
    assert "claims-disagree" in entry["flags"]
    assert entry["local"].startswith("2024-10-12T22:15:00")  # the name's time stays chosen


def test_call_list_numbers_become_identifiers_persons_match(built):
    entry = built["by_name"][CALLS]
    ids = entry["facts"]["ocr_identifiers"]
    assert "0468 99 01 23" in ids and "+32 470 12 34 56" in ids
    assert "kevin.vdb@example.be" in ids
    kevin = next(p for p in built["doc"]["persons"] if p["name"] == "Kevin")
    assert kevin["id"] in entry["persons"]  # 0468 99 01 23 is +32468990123
    assert kevin["id"] not in built["by_name"][LETTER_JPEG]["persons"]


@pytest.mark.parametrize("name", [LETTER_JPEG, LETTER_PDF])
def test_letter_date_written_in_the_document(built, name):
    entry = built["by_name"][name]
    assert entry["kind"] == "letter"
    written = [c for c in entry["claims"] if c["source"] == "date written in the document (OCR)"]
    assert [(c["local"], c["meaning"], c["granularity"], c["confidence"]) for c in written] == [
        ("2024-10-12", "written", "day", "medium")]
    assert entry["claims"][0] is not None and entry["claims"][0]["source"] == written[0]["source"]
    assert entry["local"].startswith("2024-10-12")
    assert "Ik weet waar je werkt" in entry["facts"]["ocr_text"]


def test_ocr_record_is_a_derived_item_in_every_replica_and_the_log(built):
    case = built["case"]
    doc = built["doc"]
    entry = built["by_name"][CHAT]
    picture = entry["sources"][0]["exhibit"]
    lines = [json.loads(x) for seg in sorted((case / "store" / "a" / "custody").glob("*.jsonl"))
             for x in seg.read_text(encoding="utf-8").splitlines()]
    derived = [x for x in lines if x["event"] == "derived" and x.get("parent") == picture]
    assert [(x["relation"], x["name"]) for x in derived] == [("ocr-text", CHAT + ".ocr.json")]
    sha = derived[0]["sha256"]
    assert sha in entry["exhibits"]  # listed with its picture
    copies = [case / "store" / r / "objects" / sha[:2] / sha for r in ("a", "b")]
    assert all(p.is_file() for p in copies) and copies[0].read_bytes() == copies[1].read_bytes()
    record = json.loads(copies[0].read_bytes())
    assert record["picture_sha256"] == picture and record["languages"] == "nld+fra+eng"
    assert record["engine"].startswith("tesseract ")
    assert record["tsv"].startswith("level\tpage_num\tblock_num")
    assert "woont." in record["tsv"] and record["text"] == entry["facts"]["ocr_text"]
    # the record is no entry of its own: only its picture's
    assert not any(e["sources"][0]["exhibit"] == sha for e in doc["entries"] + doc["undated"])
    ok(run_intake("verify", "--case", case))


def test_messages_link_to_the_screenshots_that_show_them(built):
    doc, by_name = built["doc"], built["by_name"]
    entries = doc["entries"] + doc["undated"]
    messages = [e for e in entries if e["kind"] == "message"]
    assert len(messages) == len(pictures.BUBBLES) + 1
    shots = {by_name[CHAT]["number"], by_name[CHAT_LATE]["number"]}
    for m in messages:
        linked = {x["entry"] for x in m["links"] if x["relation"] == "message-in-picture"}
        if m["facts"]["text"] == NOT_SHOWN:
            assert linked == set()
        else:  # both screenshots show every bubble; never merged: own entries, own exhibits
            assert linked == shots, (m["facts"]["text"], m["links"])
    assert not any(x["relation"] == "message-in-picture" for x in by_name[CALLS]["links"])
    letter_links = [x for x in by_name[LETTER_JPEG]["links"] if x["relation"] == "same-letter"]
    assert letter_links == [{"relation": "same-letter", "entry": by_name[LETTER_PDF]["number"]}]
    assert by_name[LETTER_JPEG]["exhibits"] != by_name[LETTER_PDF]["exhibits"]


def _delimiter(out: Path) -> str:
    head = (out / "chronology.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    return ";" if head.count(";") > head.count(",") else ","


def test_reports_show_the_text_marked_as_read_from_the_picture(built):
    out, case = built["out"], built["case"]
    entry = built["by_name"][CHAT]
    marker = "(tekst gelezen uit de afbeelding)"  # the case's language: nl
    page = html.unescape((out / "chronology.html").read_text(encoding="utf-8"))
    assert marker + " " + entry["facts"]["ocr_text"] in page  # whole in the HTML
    with open(out / "chronology.csv", encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f, delimiter=_delimiter(out)) for c in row]
    assert any(c.startswith(marker) and "Arrête de m'écrire" in c for c in cells)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(out / "chronology.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        flat = " ".join(text.split())
        assert "(tekst door een machine gelezen uit de afbeelding: OCR" in flat
        assert "Ik weet waar je woont." in flat
    shown = ok(run_intake("entry", "show", "--case", case, entry["id"])).stdout
    assert marker in shown and "Arrête de m'écrire, c'est fini." in shown


def test_without_tesseract_everything_else_works_and_it_is_said_once(tmp_path):
    case = new_case(tmp_path / "case")
    drop(case, CHAT, pictures.chat_screenshot())
    drop(case, "Screenshot_20241012-211600.png", pictures.call_list_screenshot())
    bin_dir = str(Path(sys.executable).parent)  # intake itself, no tesseract on the PATH
    proc = ok(run_intake("ingest", "--in-process", "--case", case, env={"PATH": bin_dir},
                         timeout=300))
    said = [x for x in proc.stderr.splitlines() if "Tesseract" in x]
    assert len(said) == 1 and said[0].startswith("2 "), proc.stderr  # once, with the count
    s = status(case)
    assert s["counts"]["items"] == 2 and s["ocr_not_read"]["count"] == 2
    assert "Tesseract is not installed" in s["ocr_not_read"]["reason"]
    out = tmp_path / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json"))
    doc = json.loads((out / "chronology.json").read_text(encoding="utf-8"))
    chat = [e for e in doc["entries"] if e["kind"] == "screenshot"]
    assert len(chat) == 2 and {e["facts"]["ocr"] for e in chat} == {"unavailable"}
    assert {e["local"][:19] for e in chat} == {"2024-10-12T21:15:00", "2024-10-12T21:16:00"}
    assert not any("ocr_text" in e["facts"] for e in chat)
