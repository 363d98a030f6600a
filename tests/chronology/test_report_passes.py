"""The CSV and XLSX writers read the entries once, in order, and never index
them or keep them: the chronology's entries may be a sequence decoded as it is
read (issue 19). The HTML writer's rows wait in temporary files, which go."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from intake.chronology.build import build_chronology
from intake.reports.context import ReportContext
from intake.reports.csv_report import write_csv
from intake.reports.html_report import write_html
from intake.reports.xlsx_report import write_xlsx

T0 = 1_700_000_000


class OnePass:
    """Entries that can be read through once: a second pass or an index fails."""

    def __init__(self, items: list[dict]) -> None:
        self.items, self.passes = items, 0

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        self.passes += 1
        assert self.passes == 1, "the entries were read twice"
        return iter(self.items)

    def __getitem__(self, i):
        raise AssertionError("the entries were indexed")


def _doc() -> dict:
    events = [{"kind": "sms", "summary": "SMS ontvangen", "key": f"sms-{i}", "who": "+32470000001",
               "facts": {"number": "+32470000001", "direction": "incoming", "body": f"bericht {i}"},
               "claims": [] if i == 3 else [{
                   "local": "", "offset": "+01:00", "zone": "explicit",
                   "utc": f"{datetime.fromtimestamp(T0 + 60 * i, tz=UTC):%Y-%m-%dT%H:%M:%S}Z",
                   "source": "SMS Backup & Restore date", "meaning": "received",
                   "granularity": "second", "confidence": "high", "note": "", "flags": []}]}
              for i in range(4)]
    return build_chronology([{"sha256": "cd" * 32, "size": 1, "mime": "application/xml",
                              "names": ["sms.xml"], "parents": [], "warnings": [],
                              "overrides": {}, "extraction": {"plugin": "sms_backup",
                                                              "version": "0.1.0", "facts": {},
                                                              "events": events}}],
                            case={"name": "Eén keer", "timezone": "Europe/Brussels",
                                  "language": "nl"}, tool_version="0.1.0")


def test_csv_and_xlsx_read_the_entries_once(tmp_path):
    doc = _doc()
    assert len(doc["entries"]) == 3 and len(doc["undated"]) == 1
    ctx = ReportContext(case_name="Eén keer", language="nl", generated_at="2024-11-28T10:00:00Z")
    for writer in (write_csv, write_xlsx):
        [plain] = writer(doc, tmp_path / "lists", ctx)
        once = {**doc, "entries": OnePass(list(doc["entries"])),
                "undated": OnePass(list(doc["undated"]))}
        [streamed] = writer(once, tmp_path / "once", ctx)
        assert once["entries"].passes == once["undated"].passes == 1
        assert hashlib.sha256(streamed.read_bytes()).digest() == \
            hashlib.sha256(plain.read_bytes()).digest(), writer.__name__
    assert sorted(p.name for p in (tmp_path / "once").iterdir()) == \
        ["chronology.csv", "chronology.xlsx"]  # no temporary file left


def test_html_rows_wait_in_files_that_go(tmp_path):
    doc = _doc()
    ctx = ReportContext(case_name="Eén keer", language="nl", generated_at="2024-11-28T10:00:00Z")
    [path] = write_html(doc, tmp_path, ctx)
    assert [p.name for p in tmp_path.iterdir()] == ["chronology.html"]
    page = path.read_text("utf-8")
    rows = [page.index(f'<tr id="e{n}">') for n in (1, 2, 3, 4)]
    assert rows == sorted(rows) and page.index('<section id="undated">') < rows[3]
    assert page.count(">bericht ") == 4
