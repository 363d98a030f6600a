"""chronology.xlsx as a reader sees it (openpyxl): the sheet XML is written by
intake itself (xlsx_report.py), so everything a general writer did for us is
checked here: typed text, formulas never, escaping, visible controls, the
cell limit, styles, widths, the frozen header, the sheet names and headers
in the case's language, undated entries, the document's date.
"""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from intake.chronology.build import build_chronology
from intake.reports.context import ReportContext
from intake.reports.xlsx_report import CELL_MAX, write_xlsx

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
LONG = "Ik blijf je schrijven tot je antwoordt. " * 1000  # 40,000 characters
BODIES = [
    "=SOM(A1)",
    "\uff1d1+1 full-width",
    "+32468990123",
    "-Goedemorgen",
    "@iedereen",
    "hallo \u202eeslav",
    "<b>vet</b> & \"aanhalingstekens\" 'enkele'",
    "  spaties voor en achter  ",
    "regel een\nregel twee\ttab",
    "teken \ufffe dat XML niet kent",
    "\u202e" * 5000,  # 5,000 characters, 40,000 once made visible
    LONG,
    "_x0041_ blijft staan",
]
SHA = "ab" * 32


def _records() -> list[dict]:
    events = []
    for i, body in enumerate(BODIES):
        moment = f"{datetime.fromtimestamp(T0 + 60 * i, tz=UTC):%Y-%m-%dT%H:%M:%S}Z"
        events.append({
            "kind": "sms", "summary": "SMS ontvangen", "key": f"sms-{i}", "who": "+32470000001",
            "facts": {"number": "+32470000001", "direction": "incoming", "body": body},
            "claims": [{"local": "", "offset": "+01:00", "utc": moment, "zone": "explicit",
                        "source": "SMS Backup & Restore date", "meaning": "received",
                        "granularity": "second", "confidence": "high", "note": "",
                        "flags": []}]})
    events.append({"kind": "sms", "summary": "SMS ontvangen", "key": "sms-undated",
                   "who": "+32470000002", "facts": {"body": "zonder datum"}, "claims": []})
    return [{"sha256": SHA, "size": 1234, "mime": "application/xml",
             "names": ["sms=backup.xml"], "parents": [], "warnings": [], "overrides": {},
             "extraction": {"plugin": "sms_backup", "version": "0.1.0", "facts": {},
                            "events": events}}]


@pytest.fixture(scope="module")
def doc():
    return build_chronology(_records(), case={"name": "Blad", "timezone": "Europe/Brussels",
                                              "language": "nl"}, tool_version="0.1.0")


def _write(doc, tmp_path, lang):
    ctx = ReportContext(case_name="Blad", language=lang, generated_at="2024-11-28T10:00:00Z")
    [path] = write_xlsx(doc, tmp_path / lang, ctx)
    return path


@pytest.fixture(scope="module")
def nl_book(doc, tmp_path_factory):
    path = _write(doc, tmp_path_factory.mktemp("xlsx"), "nl")
    return path, load_workbook(path)


def excel_reads(text: str | None) -> str | None:
    """A cell's text as Excel shows it: ``_xHHHH_`` is the character U+HHHH
    (ECMA-376 ST_Xstring); openpyxl leaves it as written."""
    if text is None:
        return None
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text)


def _texts(ws) -> list[str]:
    return [excel_reads(ws.cell(row=r, column=7).value) for r in range(2, ws.max_row + 1)]


def test_dutch_sheet_names_and_headers(nl_book):
    _, wb = nl_book
    assert wb.sheetnames == ["Chronologie", "Bewijsstukken"]
    chron, exhibits = wb.worksheets
    assert [c.value for c in chron[1]] == [
        "Nr.", "Datum", "Uur", "UTC-verschil", "Soort", "Wat", "Volledige tekst", "Wie", "Aan",
        "Plaats", "PV-nummer", "Impact op het slachtoffer", "Categorie", "Labels", "Notitie",
        "Bron van het tijdstip", "Stuk", "SHA-256 van het eerste stuk", "Getuigen",
        "Opmerkingen"]
    assert [c.value for c in exhibits[1]] == ["Stuk", "SHA-256", "Grootte (bytes)", "Soort",
                                              "Oorspronkelijke naam"]
    assert [c.value for c in exhibits[2]] == ["A1", SHA, "1234", "application/xml",
                                              "sms=backup.xml"]


@pytest.mark.parametrize("lang, names, first", [
    ("fr", ["Chronologie", "Pièces"], ["N°", "Date", "Heure", "Décalage UTC"]),
    ("en", ["Chronology", "Exhibits"], ["No.", "Date", "Time", "UTC offset"]),
])
def test_french_and_english_sheets(doc, tmp_path, lang, names, first):
    wb = load_workbook(_write(doc, tmp_path, lang))
    assert wb.sheetnames == names
    assert [c.value for c in wb.worksheets[0][1]][:4] == first


def test_formulas_stay_text_exactly_as_written(nl_book):
    _, wb = nl_book
    ws = wb.worksheets[0]
    texts = _texts(ws)
    for body in ("=SOM(A1)", "\uff1d1+1 full-width", "+32468990123", "-Goedemorgen",
                 "@iedereen", "<b>vet</b> & \"aanhalingstekens\" 'enkele'",
                 "  spaties voor en achter  ", "regel een\nregel twee\ttab",
                 "_x0041_ blijft staan"):
        assert body in texts, body
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for c in cells)
    formula = ws.cell(row=2, column=7)
    assert formula.value == "=SOM(A1)" and formula.number_format == "@"


def test_a_written_x_escape_is_shown_as_written_not_as_its_character(nl_book):
    path, wb = nl_book
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert ">_x005F_x0041_ blijft staan<" in sheet
    texts = _texts(wb.worksheets[0])
    assert "_x0041_ blijft staan" in texts and "A blijft staan" not in texts


def test_controls_are_visible_and_xml_stays_valid(nl_book):
    _, wb = nl_book
    texts = _texts(wb.worksheets[0])
    assert "hallo [U+202E]eslav" in texts
    assert "teken [U+FFFE] dat XML niet kent" in texts
    assert not any("\u202e" in t or "\ufffe" in t for t in texts if t)


def test_cells_hold_at_most_32767_characters(nl_book):
    _, wb = nl_book
    texts = _texts(wb.worksheets[0])
    # the text column: the first 32,000 characters, then where the rest is
    long = next(t for t in texts if t and t.startswith("Ik blijf"))
    assert long.startswith(LONG[:32000]) and "nog 8.000 tekens, volledig in stuk A1" in long
    assert len(long) <= CELL_MAX
    # 5,000 direction marks are 40,000 characters once visible: cut, and says so
    marks = next(t for t in texts if t and t.startswith("[U+202E]"))
    assert len(marks) == CELL_MAX and marks.endswith("…")
    assert ("[U+202E]" * 4096).startswith(marks[:-1])


def test_undated_entry_and_dates(nl_book):
    _, wb = nl_book
    rows = [[c.value for c in row] for row in wb.worksheets[0].iter_rows(min_row=2)]
    assert rows[0][:4] == ["1", "14/11/2023", "23:13:20", "UTC+01:00"]
    undated = rows[-1]
    assert undated[0] == str(len(BODIES) + 1) and undated[6] == "zonder datum"
    assert undated[1:4] == [None, None, None]  # no date, no time: the cells are left out


def test_styles_widths_frozen_header_and_properties(nl_book):
    path, wb = nl_book
    ws, ex = wb.worksheets
    assert ws.freeze_panes == "A2" and ex.freeze_panes is None
    assert ws.column_dimensions["F"].width == 40 and ws.column_dimensions["G"].width == 80
    assert ws.column_dimensions["A"].width == 14 and ws.column_dimensions["P"].width == 36
    assert ex.column_dimensions["B"].width == 66 and ex.column_dimensions["E"].width == 40
    head, body = ws.cell(row=1, column=7), ws.cell(row=3, column=7)
    assert head.font.bold and not body.font.bold
    assert (body.number_format, body.alignment.wrap_text, body.alignment.vertical) == \
        ("@", True, "top")
    ex_body = ex.cell(row=2, column=2)
    assert ex.cell(row=1, column=1).font.bold and not ex_body.font.bold
    assert ex_body.number_format == "@" and not ex_body.alignment.wrap_text
    assert wb.properties.creator == "intake"
    assert wb.properties.created == datetime(2024, 11, 28, 10, 0)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/styles.xml",
                "docProps/core.xml"} <= set(z.namelist())


def test_same_input_same_bytes(doc, tmp_path):
    a = _write(doc, tmp_path / "a", "nl").read_bytes()
    b = _write(doc, tmp_path / "b", "nl").read_bytes()
    assert a == b


def test_a_long_name_with_a_lone_surrogate(doc, tmp_path):
    """A file name read with surrogate escapes (a byte that is not UTF-8), long
    enough to be measured against the cell limit: shown, not a crash."""
    name = "\udcff" + "x" * 20000
    odd = {**doc, "exhibits": [{**doc["exhibits"][0], "names": [name]}]}
    ex = load_workbook(_write(odd, tmp_path, "nl")).worksheets[1]
    assert ex.cell(row=2, column=5).value == "[U+DCFF]" + "x" * 20000
