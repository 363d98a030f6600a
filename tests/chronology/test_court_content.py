"""What police read is complete, in their language, and counts what matters (issue 10).

A case made in code (tests/helpers/court_case.py) goes through the real CLI; the nl and fr
reports (PDF, HTML, CSV, XLSX) are read back as a reader would: the PDF with
pdftotext, the HTML as text, the CSV with the csv module, the XLSX with
openpyxl.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from intake.reports.pdf_report import safe_text
from tests.helpers import court_case as cc

INTAKE = Path(sys.executable).with_name("intake")
LANGS = ("nl", "fr")

#: English that must never reach a Dutch or French reader.
ENGLISH = (
    "message from", "WhatsApp message", "Missed call", "Incoming call", "Outgoing call",
    "withheld number", "unknown number", "Photo taken", "Screenshot", "E-mail from",
    "SMS from", "Logbook", "File ", "epoch ms", "claims-disagree", "dst-ambiguous",
    "superseded", "supersedes-earlier-entry", "low-confidence-time", "who =", "victim",
    "Victim",
    "(declared)", "Date header", "WhatsApp message header", "file modified time",
    "chosen over", "Chronology of", "Exhibit", "Time uncertain", "hour occurs twice",
    "Legend", "Full text", "the text goes on", "Duration:", "continues in", "Remarks",
    "Place", "Impact on", "Source of the time", "Read by",
)


def intake(case: Path, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([str(INTAKE), "--case", str(case), *args], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("court")
    case = root / "case"
    subprocess.run([str(INTAKE), "init", str(case)], check=True, capture_output=True)
    cc.make_inbox(case / "inbox")
    intake(case, "ingest", "--in-process")
    out = {}
    for lang in LANGS:
        out[lang] = root / lang
        intake(case, "chronology", "--out", str(out[lang]), "--format",
               "json,pdf,html,csv,xlsx", "--lang", lang)
    return out


def pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def pdf_what_column(path: Path) -> str:
    """The text of the chronology's "what" column, pages 2 on, without the footer.

    Read as a whole page, a PDF table's cells interleave (a long cell that
    goes on beside the next column's text); cropped to the column, the text
    reads as printed. The geometry is that of typst/report.typ: A4, 1.5 cm
    margins, columns 0.8 + 1.65 + 1.95 cm before "what" (7.25 cm wide).
    """
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", "2", "-r", "72", "-x", "168",
                           "-y", "30", "-W", "206", "-H", "765", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    # the column's heading, repeated on every page the table goes on
    return "\n".join(line for line in text.splitlines() if line.strip() not in ("Wat", "Quoi"))


def squash(text: str) -> str:
    """Text without any white space (lines break anywhere in a PDF table cell)."""
    return re.sub(r"\s+", "", text)


def html_text(path: Path) -> str:
    page = path.read_text("utf-8")
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""),
                           delimiter=";"))


def xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    ws = load_workbook(path).worksheets[0]
    return [[c.value or "" for c in row] for row in ws.iter_rows()]


@pytest.mark.parametrize("lang", LANGS)
def test_every_body_appears_whole_in_pdf_html_csv_and_xlsx(reports, lang):
    out = reports[lang]
    pdf = squash(pdf_what_column(out / "chronology.pdf"))
    page = squash(html_text(out / "chronology.html"))
    texts_csv = {r[6] for r in csv_rows(out / "chronology.csv")[1:]}
    texts_xlsx = {r[6] for r in xlsx_rows(out / "chronology.xlsx")[1:]}
    for body in cc.BODIES:
        # the PDF's fonts lack a few glyphs (＝): those are written [U+FF1D]
        assert squash(safe_text(body)) in pdf, body[:40]
        assert squash(body) in page, body[:40]
        csv_body = "'" + body if body.startswith(("=", "-", "＝")) else body
        assert csv_body in texts_csv, body[:40]
        assert body in texts_xlsx, body[:40]
    # The e-mail longer than the limit: its first part, then where the rest is.
    head = cc.LONG_BODY[:cc.LONG_LIMIT]
    rest = len(cc.LONG_BODY) - cc.LONG_LIMIT
    assert squash(head) in pdf and squash(head) in page
    n = f"{rest:,}".replace(",", ".")
    note = {"nl": f"nog {n} tekens, volledig in stuk",
            "fr": f"encore {n} caractères, complet dans la pièce"}[lang]
    assert squash(note) in pdf and squash(note) in page
    assert cc.LONG_BODY in texts_xlsx  # a spreadsheet cell holds it all


@pytest.mark.parametrize("lang", LANGS)
def test_no_english_reaches_a_dutch_or_french_reader(reports, lang):
    out = reports[lang]
    texts = {
        "pdf": pdf_text(out / "chronology.pdf"),
        "html": html_text(out / "chronology.html"),
        "csv": (out / "chronology.csv").read_bytes().decode("utf-8-sig"),
        "xlsx": "\n".join(";".join(r) for r in xlsx_rows(out / "chronology.xlsx")),
    }
    for fmt, text in texts.items():
        flat = " ".join(text.split())
        found = [p for p in ENGLISH if re.search(rf"(?<![\w-]){re.escape(p.strip())}(?![\w-])",
                                                 flat)]
        assert found == [], f"{lang} {fmt}: {found}"


def test_words_are_dutch_and_french_with_belgian_dates_and_typography(reports):
    nl = " ".join(pdf_text(reports["nl"] / "chronology.pdf").split())
    fr = " ".join(pdf_text(reports["fr"] / "chronology.pdf").split())
    assert "Gemiste oproep van een verborgen nummer" in nl
    assert "Appel manqué d'un numéro masqué" in fr
    assert "WhatsApp-bericht van Kevin" in nl and "Message WhatsApp de Kevin" in fr
    assert "1 oktober 2024" in nl and "1 octobre 2024" in fr     # first fact, long form
    assert "20/10/2024" in nl and "20/10/2024" in fr             # table dates
    assert "Incidents (faits de l'autre partie)" in fr
    fr_raw = pdf_text(reports["fr"] / "chronology.pdf")
    assert "Légende\n" in fr_raw or "Légende" in fr
    assert "Remarque : uur" not in fr and "Remarque : heure double" in fr  # space before ':'
    assert "Remarque:" not in fr_raw


@pytest.mark.parametrize("lang,word", [("nl", "of"), ("fr", "ou")])
def test_an_hour_that_occurs_twice_is_shown_with_both_offsets(reports, lang, word):
    out = reports[lang]
    expected = f"02:33, +02:00 {word} +01:00"
    assert expected in " ".join(pdf_text(out / "chronology.pdf").split())
    assert expected in html_text(out / "chronology.html")
    row = next(r for r in csv_rows(out / "chronology.csv") if r[6] == cc.NIGHT_WA)
    assert row[2] == "02:33" and row[3] == f"UTC+02:00 {word} UTC+01:00"
    legend = {"nl": "Het tijdstip valt in het uur dat twee keer voorkomt",
              "fr": "L'heure tombe dans l'heure qui se répète"}[lang]
    assert legend in " ".join(pdf_text(out / "chronology.pdf").split())
    assert legend in html_text(out / "chronology.html")


@pytest.mark.parametrize("lang", LANGS)
def test_incidents_count_what_the_other_party_did_same_in_pdf_and_html(reports, lang):
    out = reports[lang]
    doc = json.loads((out / "chronology.json").read_text("utf-8"))
    from intake.reports import incidents as inc

    chart = inc.chart(doc, lang)
    assert chart["total"] == cc.INCIDENTS
    assert (chart["first"], chart["last"]) == (cc.CHART_FIRST, cc.CHART_LAST)
    assert len(chart["bars"]) == cc.CHART_WEEKS
    assert [b["key"] for b in chart["bars"]] == [f"2024-W{w}" for w in range(42, 47)]
    page = (out / "chronology.html").read_text("utf-8")
    assert f'<td id="incidents">{cc.INCIDENTS}</td>' in page
    assert (f'data-first="{cc.CHART_FIRST}" data-last="{cc.CHART_LAST}" '
            f'data-bars="{cc.CHART_WEEKS}"') in page
    label = {"nl": "Incidenten (wat de andere partij deed)",
             "fr": "Incidents (faits de l'autre partie)"}[lang]
    text = " ".join(pdf_text(out / "chronology.pdf").split())
    colon = {"nl": ":", "fr": " :"}[lang]
    assert f"{label}{colon} {cc.INCIDENTS}" in text, text[:1500]
    # the file copied in 2026 stretches nothing: the facts end on 12 November 2024
    span = {"nl": "1 oktober 2024 – 12 november 2024", "fr": "1 octobre 2024 – 12 novembre 2024"}
    assert span[lang] in text


def test_the_incident_rule_with_named_persons():
    from intake.reports.incidents import is_incident

    persons = {"p1": {"id": "p1", "role": "suspect"}, "p2": {"id": "p2", "role": "friend"}}
    sms = {"kind": "sms", "facts": {"direction": "incoming", "contact": "Mama",
                                    "number": cc.FRIEND}}
    assert is_incident(sms) is True                                 # no persons: direction
    assert is_incident({**sms, "persons": ["p2"]}, persons) is False  # a friend
    assert is_incident(sms, persons) is False                       # known contact, no suspect
    assert is_incident({**sms, "persons": ["p1"]}, persons) is True  # the suspect
    withheld = {"kind": "call", "facts": {"direction": "missed", "withheld": True}}
    assert is_incident(withheld, persons) is True
    own = {"kind": "sms", "facts": {"direction": "outgoing"}, "persons": []}
    assert is_incident(own) is False
    assert is_incident({"kind": "logbook", "flags": ["superseded"]}) is False
    assert is_incident({"kind": "file"}) is False
    assert is_incident({"kind": "message", "who": "Anna", "facts": {"chat": "Kevin"}}) is False
    assert is_incident({"kind": "message", "who": "Kevin", "facts": {"chat": "Kevin"}}) is True


@pytest.mark.parametrize("lang", LANGS)
def test_spreadsheets_show_text_exactly_and_csv_guards_formulas(reports, lang):
    out = reports[lang]
    from openpyxl import load_workbook

    ws = load_workbook(out / "chronology.xlsx").worksheets[0]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for text in (cc.FORMULA_WA, cc.ANNA_WA, cc.LATE_WA):
        assert text in cells and cells[text].data_type == "s"
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    header = [c.value for c in ws[1]]
    for col in {"nl": ("Plaats", "PV-nummer", "Impact op het slachtoffer", "Labels", "Notitie",
                       "Volledige tekst"),
                "fr": ("Lieu", "Numéro de PV", "Impact sur la victime", "Étiquettes", "Note",
                       "Texte complet")}[lang]:
        assert col in header
    log = next(r for r in xlsx_rows(out / "chronology.xlsx") if r[6] == cc.LOG_NEW)
    assert log[header.index(header[9])] == "Schoolstraat 3, Gent"
    assert "GE.12.L3.012345/24" in log and cc.LOG_FEELING in log
    rows = csv_rows(out / "chronology.csv")
    firsts = {r[6][:1] for r in rows[1:] if r[6]}
    assert "=" not in firsts and "-" not in firsts and "＝" not in firsts


@pytest.mark.parametrize("lang", LANGS)
def test_bidi_overrides_and_controls_are_visible_everywhere(reports, lang):
    out = reports[lang]
    raw = {"html": (out / "chronology.html").read_text("utf-8"),
           "csv": (out / "chronology.csv").read_bytes().decode("utf-8-sig"),
           "xlsx": "\n".join(";".join(r) for r in xlsx_rows(out / "chronology.xlsx")),
           "pdf": pdf_text(out / "chronology.pdf")}
    for fmt, text in raw.items():
        assert "\u202e" not in text and "\u202c" not in text, fmt
        assert "[U+202E]" in text, fmt


def test_every_kind_flag_source_and_message_of_the_case_has_words(reports):
    from intake.i18n import translator
    from intake.reports import labels as L

    doc = json.loads((reports["nl"] / "chronology.json").read_text("utf-8"))
    entries = doc["entries"] + doc["undated"]
    for lang in LANGS:
        t = translator(lang)
        for e in entries:
            assert e["kind"] in L.KINDS
            assert all(f in L.FLAGS for f in e["flags"]), e["flags"]
            assert all(L.has_source(c["source"]) for c in e["claims"]), e["claims"]
            assert e["message"] and t.has(e["message"]), e["message"]


def test_chronology_bytes_equal_the_reference_jcs_writer(reports):
    """The fast encoder (orjson) wrote exactly what the plain RFC 8785 writer writes,
    for the document and for every entry whose hash is in the chain."""
    from intake.chronology.canonical import reference_bytes, sha256_hex
    from intake.chronology.hashing import entry_hash

    data = (reports["nl"] / "chronology.json").read_bytes()
    doc = json.loads(data)
    assert data == reference_bytes(doc)
    entries = doc["entries"] + doc["undated"]
    assert len(entries) >= 20
    for e in entries:
        without = {k: v for k, v in e.items() if k != "entry_hash"}
        assert e["entry_hash"] == entry_hash(e) == sha256_hex(reference_bytes(without))
