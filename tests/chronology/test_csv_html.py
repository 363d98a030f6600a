"""The CSV (Belgian Excel/LibreOffice) and HTML (self-contained) forms, and the JSON file."""

from __future__ import annotations

import codecs
import csv
import importlib.util
import io
import json
import re
from pathlib import Path

import pytest

from intake.chronology.canonical import canonical_bytes
from intake.chronology.verify import verify_chronology
from intake.reports.context import ReportContext
from intake.reports.csv_report import csv_bytes, guard, write_csv
from intake.reports.html_report import write_html
from intake.reports.json_report import write_json

_spec = importlib.util.spec_from_file_location("_chronology_samples_csv",
                                               Path(__file__).with_name("test_build.py"))
samples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(samples)

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def hostile_records() -> list[dict]:
    recs = samples.sample_records()
    for r in recs:
        if r["sha256"] in (samples.SHA["email"], samples.SHA["email_attached"]):
            ev = r["extraction"]["events"][0]
            ev["summary"] = '<script>alert("x")</script> =HYPERLINK("evil");"quoted"\r\nline 2'
            ev["who"] = "@attacker <a href=x>"
        if r["sha256"] == samples.SHA["logbook"]:
            r["extraction"]["events"][0]["summary"] = "-2+3 bij de schoolpoort; daarna weg"
    return recs


@pytest.fixture(scope="module")
def doc() -> dict:
    return samples.build(hostile_records())


def context(lang="nl", thumbs=True) -> ReportContext:
    def thumbnail(sha: str, size: int) -> bytes | None:
        assert size == 160
        return PNG if thumbs and sha == samples.SHA["photo"] else None
    return ReportContext(case_name="Zaak Janssens", language=lang,
                         generated_at="2026-11-28T10:00:00Z", thumbnail=thumbnail)


def test_json_report(doc, tmp_path):
    [path] = write_json(doc, tmp_path, context())
    assert path.name == "chronology.json"
    assert path.read_bytes() == canonical_bytes(doc)
    assert verify_chronology(path.read_bytes()) == []


def test_csv_format(doc, tmp_path):
    [path] = write_csv(doc, tmp_path, context())
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8):].decode("utf-8")
    # every record ends in CRLF; the only bare LF is inside the quoted field
    assert body.endswith("\r\n") and body.count("\n") == body.count("\r\n")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))
    assert rows[0] == ["Nr.", "Datum", "Uur", "UTC-verschil", "Soort", "Wat", "Volledige tekst",
                       "Wie", "Aan", "Plaats", "PV-nummer", "Impact op het slachtoffer",
                       "Categorie", "Labels", "Notitie", "Bron van het tijdstip", "Stuk",
                       "SHA-256 van het eerste stuk", "Getuigen", "Opmerkingen"]
    assert len(rows) == 1 + 11
    assert all(len(r) == 20 for r in rows)
    sms = rows[3]
    assert sms[:5] == ["3", "01/07/2024", "23:30:00", "UTC+02:00", "sms"]
    assert sms[7] == "'+32470123456"  # would be read as a number or formula otherwise
    assert sms[15] == "sms date (epoch ms) (sms)"  # a source intake has no words for: as is
    assert sms[16] == "A4, A5"
    assert sms[17] == doc["entries"][2]["exhibits"][0]
    first = rows[1]
    # starts with '<': not a formula, kept as written, newline and all
    assert first[5] == '<script>alert("x")</script> =HYPERLINK("evil");"quoted"\r\nline 2'
    assert first[7] == "'@attacker <a href=x>"
    log = rows[7]
    assert log[5] == "'-2+3 bij de schoolpoort; daarna weg"
    assert log[2] == "18:00" and log[18] == "Marie Peeters (0470 99 88 77)"
    assert log[12] == "volgen of opwachten"
    photo = rows[2]
    assert photo[19] == "tijdstippen spreken elkaar tegen"
    undated = rows[-1]
    assert undated[0] == "11" and undated[1:4] == ["", "", ""]
    # RFC 4180 quoting in the raw text: the field with ; " CR LF is quoted, quotes doubled
    assert '"<script>alert(""x"")</script> =HYPERLINK(""evil"");""quoted""\r\nline 2"' in body


def test_csv_languages_and_guard(doc):
    fr = csv_bytes(doc, "fr").decode("utf-8-sig").split("\r\n")[0]
    assert fr.startswith("N°;Date;Heure;Décalage UTC;Type;Quoi;Texte complet")
    en = csv_bytes(doc, "en").decode("utf-8-sig").split("\r\n")[0]
    assert en.startswith("No.;Date;Time;UTC offset;Type;What;Full text")
    assert csv_bytes(doc, "xx") == csv_bytes(doc, "nl")
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1+1", "＋1", "－1", "＠A"):
        assert guard(bad) == "'" + bad
    assert guard("1") == "1" and guard("") == "" and guard("a=b") == "a=b"


def test_html_self_contained_and_escaped(doc, tmp_path):
    [path] = write_html(doc, tmp_path, context())
    text = path.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="nl">' in text
    assert "http://" not in text and "https://" not in text
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text):
        assert attr.startswith(("#", "data:image/png;base64,")), attr
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert "<script" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "&lt;a href=x&gt;" in text
    # header, summary, chart, table, exhibits, thumbnails, verification
    assert "Zaak Janssens" in text and "Chronologie van feiten" in text
    assert "heden" in text  # open period
    assert "<svg" in text and "<rect" in text
    assert "@media print" in text and "table-header-group" in text
    assert text.count('data:image/png;base64,') == 1
    for x in doc["exhibits"]:
        assert x["sha256"] in text and f'id="{x["label"]}"' in text
    assert "intake verify --chronology chronology.json" in text and "sha256sum" in text
    assert doc["root_hash"] in text
    assert 'id="e8"' in text and 'href="#e8"' in text  # the screenshot link
    assert "zelfde schermafbeelding" in text
    assert "volgen of opwachten" in text
    assert "01/07/2024" in text and "23:30:00" in text


def test_html_languages(doc, tmp_path):
    fr = write_html(doc, tmp_path / "fr", context("fr", thumbs=False))[0].read_text("utf-8")
    assert '<html lang="fr">' in fr and "Chronologie des faits" in fr and "data:" not in fr
    en = write_html(doc, tmp_path / "en", context("en"))[0].read_text("utf-8")
    assert "Chronology of facts" in en and "How to verify" in en


def test_reports_are_deterministic(doc, tmp_path):
    a = write_html(doc, tmp_path / "a", context())[0].read_bytes()
    b = write_html(json.loads(canonical_bytes(doc)), tmp_path / "b", context())[0].read_bytes()
    assert a == b
    assert csv_bytes(doc, "nl") == csv_bytes(json.loads(canonical_bytes(doc)), "nl")


def test_empty_chronology(tmp_path):
    empty = samples.build([])
    assert write_html(empty, tmp_path, context())[0].read_text("utf-8").endswith("</html>\n")
    assert csv_bytes(empty, "nl").count(b"\r\n") == 1


def test_chart_over_long_spans():
    from intake.reports.incidents import chart

    def doc_with(*locals_, flags=()):
        return {"entries": [{"kind": "logbook", "instant": "x", "local": x, "flags": list(flags),
                             "claims": [{"chosen": True, "meaning": "happened"}]}
                            for x in locals_]}

    weeks = chart(doc_with("2024-07-01T23:30:00+02:00", "2024-07-16T12:00:00+02:00"))
    assert weeks["unit"] == "week" and [(b["sub"], b["count"]) for b in weeks["bars"]] == [
        ("01/07/2024", 1), ("08/07/2024", 0), ("15/07/2024", 1)]
    # Sunday 22:30 UTC is Monday 00:30 in Brussels: the local date decides the week
    assert chart(doc_with("2024-07-08T00:30:00+02:00"))["bars"][0]["key"] == "2024-W28"
    months = chart(doc_with("2010-01-05T00:00:00+01:00", "2015-03-01T12:00:00+01:00"))
    assert months["unit"] == "month" and len(months["bars"]) == 63
    years = chart(doc_with("1990-01-05T00:00:00+01:00", "2024-03-01T12:00:00+01:00"))
    assert years["unit"] == "year" and len(years["bars"]) == 35
    # a year like 3609 does not make a chart of 1600 bars
    sparse = chart(doc_with("2008-01-05T00:00:00+01:00", "3609-06-30T09:33:50+01:00"))
    assert sparse["unit"] == "year" and len(sparse["bars"]) == 2
    assert chart(doc_with("3609-06-30T09:33:50Z", flags=["implausible-date"]))["bars"] == []


def test_chart_labels_of_a_few_weeks_do_not_overlap_or_leave_the_picture():
    """Two weeks of bars are 27 px wide; their dates are about 90 px each: the last
    date goes on a second line, and the picture is wide enough for both."""
    from intake.reports.html_report import _chart
    from intake.reports.incidents import chart

    doc = {"entries": [{"kind": "logbook", "instant": "x", "local": x, "flags": [],
                        "claims": [{"chosen": True, "meaning": "happened"}]}
                       for x in ("2024-07-01T21:00:00+02:00", "2024-07-09T08:00:00+02:00")]}
    svg = _chart(chart(doc), "chart")
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
    labels = re.findall(r'<text x="(\d+)" y="(\d+)" text-anchor="(\w+)">([^<]+)</text>', svg)
    axis = [lab for lab in labels if "/" in lab[3]]
    assert [(a, t) for _, _, a, t in axis] == [("start", "W27 01/07/2024"),
                                               ("end", "W28 08/07/2024")]
    (x1, y1, _, t1), (x2, y2, _, t2) = axis
    assert int(y2) > int(y1)  # the second date on its own line
    assert int(x1) + 6 * len(t1) <= width and int(x2) <= width  # inside the picture
    assert int(x2) - 6 * len(t2) >= 0
    # a year of weeks: both dates on one line, far apart
    many = {"entries": [{**doc["entries"][0], "local": x}
                        for x in ("2024-01-01T21:00:00+01:00", "2024-12-20T08:00:00+01:00")]}
    ys = re.findall(r'<text x="\d+" y="(\d+)" text-anchor="(?:start|end)">[^<]*/', _chart(
        chart(many), "chart"))
    assert len(ys) == 2 and ys[0] == ys[1]
