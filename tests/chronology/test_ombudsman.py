"""The telecom ombudsman list: which rows, their values, the CSV's Excel form, the PDF."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pikepdf
import pytest

from intake.reports.csv_report import guard as guard_cell
from intake.reports.ombudsman import COLUMNS, csv_bytes, ombudsman_rows, write_ombudsman, xlsx_bytes

_spec = importlib.util.spec_from_file_location(
    "_report_case", Path(__file__).with_name("test_pdf_report.py"))
_case = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_case)
make_case, SMS_BODY = _case.make_case, _case.SMS_BODY


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:].decode("utf-8")
    assert "\r\n" in body and "\n" not in body.replace("\r\n", "")
    return list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))


@pytest.fixture(scope="module")
def nl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("omb-nl")
    chronology, context, _ = make_case(tmp)
    return chronology, write_ombudsman(chronology, tmp / "out", context)


def test_writes_pdf_xlsx_and_csv(nl):
    _, written = nl
    assert [p.name for p in written] == ["ombudsman.pdf", "ombudsman.xlsx", "ombudsman.csv"]


def test_csv_rows_and_values_in_dutch(nl):
    _, written = nl
    rows = read_csv(written[2])
    header, body = rows[0], rows[1:]
    assert header == ["Nr.", "Datum", "Uur", "Nummer", "Soort", "Status", "Duur (min:s)",
                      "Beltonen", "Omschrijving", "Stuk"]
    # withheld missed call, unknown number's call and SMS, blocked call; not the outgoing
    # SMS, nor the photo, mail, logbook
    assert len(body) == 4
    missed, silent, sms, blocked = body
    # rings the source recorded are shown as such, never as intake's own count
    assert missed == ["1", "28/06/2024", "21:14:05", "anoniem", "oproep", "gemist", "0:00",
                      "7 (volgens de telefoon)", "", "A1"]
    assert silent == ["2", "29/06/2024", "02:03:44", "'+32470123456", "oproep", "beantwoord",
                      "0:12", "1 (volgens de telefoon)", "", "A1"]
    assert sms[4:8] == ["sms", "ontvangen", "", ""]
    assert blocked[4:7] == ["oproep", "geblokkeerd", ""]


def test_csv_in_french_and_english(tmp_path):
    for lang, withheld, status in (("fr", "masqué", "manqué"), ("en", "withheld", "missed")):
        chronology, context, _ = make_case(tmp_path / lang, language=lang)
        pdf_path, _xlsx, csv_path = write_ombudsman(chronology, tmp_path / lang / "out", context)
        first = read_csv(csv_path)[1]
        assert first[3] == withheld and first[5] == status
        if lang == "fr":
            assert read_csv(csv_path)[0][3] == "Numéro"
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True,
                                  check=True).stdout.decode()
            if lang == "en":
                assert "official languages are Dutch and French" in " ".join(text.split())
            else:
                assert "Demande d'identification de l'auteur d'appels malveillants" in text


def test_formula_guard():
    assert guard_cell("=1+1") == "'=1+1"
    assert guard_cell("+32470") == "'+32470"
    assert guard_cell("-3") == "'-3"
    assert guard_cell("@SUM(A1)") == "'@SUM(A1)"
    assert guard_cell("\tx") == "'\tx"
    assert guard_cell("hallo = wereld") == "hallo = wereld"
    data = csv_bytes([{"nr": "1", "date": "", "time": "", "number": "=cmd", "kind": "sms",
                       "status": "", "duration": "", "rings": "",
                       "description": 'a;b "c"\nd', "exhibit": "A1"}], "nl")
    row = list(csv.reader(io.StringIO(data[3:].decode(), newline=""), delimiter=";"))[1]
    assert row[3] == "'=cmd" and row[8] == 'a;b "c"\nd'


def test_minute_granularity_friends_suspects_and_choices(tmp_path):
    chronology, _, _ = make_case(tmp_path)
    e = chronology["entries"][1]
    e["granularity"] = "minute"
    assert ombudsman_rows(chronology, "nl")[1]["time"] == "02:03"
    # a contact name in the phone: one of the victim's own people, left out ...
    e["facts"] = {**e["facts"], "contact": "Ex"}
    assert [r["nr"] for r in ombudsman_rows(chronology, "nl")] == ["1", "3", "9"]
    # ... unless the number is a suspect's
    chronology["persons"] = [{"id": "p1", "role": "suspect", "name": "Ex", "identifiers": [
        {"kind": "phone", "value": "+32470123456"}], "note": "", "records": []}]
    e["persons"] = ["p1"]
    assert [r["nr"] for r in ombudsman_rows(chronology, "nl")] == ["1", "2", "3", "9"]
    # the adviser's choice overrides the rule, both ways; the note is the description
    e["curation"] = {"ombudsman": "exclude"}
    chronology["entries"][3]["curation"] = {"ombudsman": "include", "note": "antwoord"}
    rows = ombudsman_rows(chronology, "nl")
    assert [r["nr"] for r in rows] == ["1", "3", "4", "9"]
    assert rows[2]["status"] == "uitgaand" and rows[2]["description"] == "antwoord"


def test_xlsx_cells_are_text_as_written(nl):
    _, written = nl
    ws = openpyxl.load_workbook(written[1]).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)
    assert "+32470123456" in [c.value for c in cells]  # not a number, no quote added


def test_pdf_is_pdfa_and_shows_the_rows(nl):
    _, written = nl
    with pikepdf.open(written[0]) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "3"
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.attachments) == 0
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(written[0]), "-"],
                                   capture_output=True, check=True).stdout.decode().split())
    assert "Verzoek tot identificatie van de oproeper" in text
    assert "anoniem" in text and "21:14:05" in text
    assert "Oproepen: 3; berichten: 1; van een verborgen nummer: 1" in text


def test_xlsx_keeps_a_written_x_escape_as_written():
    """Excel shows ``_x0041_`` in a cell as "A" (ECMA-376 ST_Xstring) unless its
    underscore is escaped: a note or a name is shown as the adviser wrote it."""
    row = dict.fromkeys(COLUMNS, "")
    row["description"] = "zie _x0041_ en _X0042_"
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([["Naam", "_x00e9_ Jansen"]], [row], "nl")))
    raw = [c.value for r in wb.active.iter_rows() for c in r if c.value]
    assert "_x005F_x00e9_ Jansen" in raw and "zie _x005F_x0041_ en _X0042_" in raw
    shown = [re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), v) for v in raw]
    assert "_x00e9_ Jansen" in shown and "zie _x0041_ en _X0042_" in shown
