"""The telecom ombudsman list: which rows, their values, the CSV's Excel form, the PDF."""

from __future__ import annotations

import csv
import importlib.util
import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from intake.reports.csv_report import guard as guard_cell
from intake.reports.ombudsman import csv_bytes, ombudsman_rows, write_ombudsman

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


def test_writes_csv_and_pdf(nl):
    _, written = nl
    assert [p.name for p in written] == ["ombudsman.csv", "ombudsman.pdf"]


def test_csv_rows_and_values_in_dutch(nl):
    _, written = nl
    rows = read_csv(written[0])
    header, body = rows[0], rows[1:]
    assert header == ["Datum", "Uur", "UTC-verschil", "Soort", "Nummer", "Duur (s)",
                      "Inhoud", "Beltonen", "Stuk"]
    # 2 calls + 1 blocked call + 1 received SMS; the outgoing SMS, photo, mail, logbook are not
    assert len(body) == 4
    missed, silent, sms, blocked = body
    assert missed == ["28/06/2024", "21:14:05", "UTC+02:00", "oproep (gemist)", "anoniem",
                      "0", "", "7", "A1"]
    assert silent == ["29/06/2024", "02:03:44", "UTC+02:00", "oproep", "'+32470123456",
                      "12", "", "1", "A1"]
    assert sms[3] == "sms" and sms[6] == SMS_BODY and sms[5] == "" and sms[7] == ""
    assert blocked[3] == "oproep (geblokkeerd)" and blocked[5] == "0" and blocked[7] == ""


def test_csv_in_french_and_english(tmp_path):
    for lang, withheld, kind in (("fr", "masqué", "appel (manqué)"),
                                 ("en", "withheld", "call (missed)")):
        chronology, context, _ = make_case(tmp_path / lang, language=lang)
        csv_path, pdf_path = write_ombudsman(chronology, tmp_path / lang / "out", context)
        first = read_csv(csv_path)[1]
        assert first[3] == kind and first[4] == withheld
        if lang == "fr":
            assert read_csv(csv_path)[0][4] == "Numéro"
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True,
                                  check=True).stdout.decode()
            if lang == "en":
                assert "official languages are Dutch and French" in " ".join(text.split())
            else:
                assert "Liste des appels et messages non désirés" in text


def test_formula_guard():
    assert guard_cell("=1+1") == "'=1+1"
    assert guard_cell("+32470") == "'+32470"
    assert guard_cell("-3") == "'-3"
    assert guard_cell("@SUM(A1)") == "'@SUM(A1)"
    assert guard_cell("\tx") == "'\tx"
    assert guard_cell("hallo = wereld") == "hallo = wereld"
    data = csv_bytes([{"date": "", "time": "", "utc_offset": "", "kind": "sms",
                       "number": "=cmd", "duration": "", "content": 'a;b "c"\nd',
                       "rings": "", "exhibit": "A1"}], "nl")
    row = list(csv.reader(io.StringIO(data[3:].decode(), newline=""), delimiter=";"))[1]
    assert row[4] == "'=cmd" and row[6] == 'a;b "c"\nd'


def test_minute_granularity_and_contacts(tmp_path):
    chronology, _, _ = make_case(tmp_path)
    e = chronology["entries"][1]
    e["granularity"] = "minute"
    e["facts"] = {**e["facts"], "contact": "Ex"}
    rows = ombudsman_rows(chronology, "nl")
    assert rows[1]["time"] == "02:03" and rows[1]["number"] == "+32470123456 (Ex)"


def test_pdf_is_pdfa_and_shows_the_rows(nl):
    _, written = nl
    with pikepdf.open(written[1]) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "3"
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.attachments) == 0
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(written[1]), "-"],
                                   capture_output=True, check=True).stdout.decode().split())
    assert "Lijst van ongewenste oproepen en berichten" in text
    assert "anoniem" in text and "21:14:05" in text and "Ik zie je wel" in text
    assert "Van een verborgen nummer: 1" in text
