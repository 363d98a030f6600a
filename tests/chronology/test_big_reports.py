"""Reports of a big chronology (issue 19, point 5): 5,000 entries, every row there.

The chronology is built from 5,000 SMS made here (one a minute from
2023-11-14 22:13:20 UTC); the CSV, XLSX and HTML writers are the CLI's. The
speed is measured by bench/bench_reports.py, never here.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from datetime import UTC, datetime

import pytest

from intake.chronology.build import build_chronology
from intake.reports.context import ReportContext
from intake.reports.csv_report import write_csv
from intake.reports.entryview import _UNSEEN, BIDI, visible
from intake.reports.html_report import write_html
from intake.reports.xlsx_report import write_xlsx

N = 5000
T0 = 1_700_000_000


def _records() -> list[dict]:
    events = []
    for i in range(N):
        moment = f"{datetime.fromtimestamp(T0 + 60 * i, tz=UTC):%Y-%m-%dT%H:%M:%S}Z"
        events.append({
            "kind": "sms", "summary": "SMS ontvangen", "key": f"sms-{i}", "who": "+32470000001",
            "facts": {"number": "+32470000001", "direction": "incoming",
                      "body": f"bericht {i}" + (" \u202eeslav" if i == N - 1 else "")},
            "claims": [{"local": "", "offset": "+01:00", "utc": moment, "zone": "explicit",
                        "source": "SMS Backup & Restore date", "meaning": "received",
                        "granularity": "second", "confidence": "high", "note": "",
                        "flags": []}]})
    return [{"sha256": "ab" * 32, "size": 1, "mime": "application/xml", "names": ["sms.xml"],
             "parents": [], "warnings": [], "overrides": {},
             "extraction": {"plugin": "sms_backup", "version": "0.1.0", "facts": {},
                            "events": events}}]


@pytest.fixture(scope="module")
def big():
    return build_chronology(_records(), case={"name": "Groot dossier",
                                              "timezone": "Europe/Brussels", "language": "nl"},
                            tool_version="0.1.0")


def context() -> ReportContext:
    return ReportContext(case_name="Groot dossier", language="nl",
                         generated_at="2024-11-28T10:00:00Z")


LAST_TEXT = "bericht 4999 [U+202E]eslav"


def test_csv_of_5000_entries(big, tmp_path):
    [path] = write_csv(big, tmp_path, context())
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""),
                           delimiter=";"))
    assert len(rows) == N + 1
    assert rows[1][:4] == ["1", "14/11/2023", "23:13:20", "UTC+01:00"]
    assert rows[1][6] == "bericht 0"
    assert rows[-1][:4] == ["5000", "18/11/2023", "10:32:20", "UTC+01:00"]
    assert rows[-1][6] == LAST_TEXT


def test_xlsx_of_5000_entries(big, tmp_path):
    from openpyxl import load_workbook

    [path] = write_xlsx(big, tmp_path, context())
    ws = load_workbook(path).worksheets[0]
    rows = [[c.value or "" for c in row] for row in ws.iter_rows()]
    assert len(rows) == N + 1
    assert rows[0][0] == "Nr."
    assert rows[1][:4] == ["1", "14/11/2023", "23:13:20", "UTC+01:00"]
    assert rows[1][6] == "bericht 0"
    assert rows[-1][:4] == ["5000", "18/11/2023", "10:32:20", "UTC+01:00"]
    assert rows[-1][6] == LAST_TEXT
    # every written cell is typed text, wrapped, text format; the header bold
    cell = ws.cell(row=N + 1, column=7)
    assert (cell.data_type, cell.number_format, cell.alignment.wrap_text) == ("s", "@", True)
    assert ws.cell(row=1, column=1).font.bold and not cell.font.bold
    assert ws.cell(row=N + 1, column=10).value is None  # no place: the cell is left out


def test_html_of_5000_entries(big, tmp_path):
    [path] = write_html(big, tmp_path, context())
    html = path.read_text("utf-8")
    rows = re.findall(r'<tr id="e(\d+)"><td>\d+</td><td class="nowrap">([^<]*)</td>'
                      r'<td class="nowrap">([^<]*)</td>', html)
    assert len(rows) == N
    assert rows[0] == ("1", "14/11/2023", "23:13:20 +01:00")
    assert rows[-1] == ("5000", "18/11/2023", "10:32:20 +01:00")
    first, last = html.index(">bericht 0<"), html.index(LAST_TEXT)
    assert html.index('<tr id="e1">') < first < html.index('<tr id="e2">')
    assert html.index('<tr id="e5000">') < last
    assert "\u202e" not in html


def test_visible_rewrites_exactly_the_unseen_characters():
    """The quick test `visible` does first agrees with the rule, on every code point."""
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        rewritten = ch not in "\n\t\r" and (
            cp in BIDI or unicodedata.category(ch) in ("Cc", "Cs") or cp in (0x2028, 0x2029))
        assert bool(_UNSEEN.match(ch)) == rewritten, hex(cp)
    assert visible("a\u202eb\x07c\nd") == "a[U+202E]b[U+0007]c\nd"
