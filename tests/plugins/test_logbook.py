"""The logbook plugin and `intake.logentry` on logbooks written here."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import intake.builtin.logbook as lb
import pytest

from intake.logentry import entry_file_name, render_entry
from intake.testing import run_plugin

MARKDOWN_NL = """# Logboek

<!-- Schrijf elk feit onder een titel die begint met ## -->

## Auto bekrast
Id: 2024-001
Datum: 1/3/2024
Tijd: ca. 21:00
Plaats: Kerkstraat 12, Gent (parking)
Wat: Toen ik buitenkwam stond hij naast mijn auto.
  Er stond een kras over de hele zijkant.
Getuigen:
- Jan Peeters (0470 12 34 56)
- buurvrouw Marie, marie@example.be
PV: GE.12.L1.123456/2024
Bewijs: IMG_1234.jpg, IMG_1235.jpg
Gevoel: Heel bang.
Categorie: schade
Genoteerd: 2/3/2024 08:15

## Opgewacht aan het werk
Datum: 5/3/2024
Tijd: 17:00-17:30
Wat: Hij stond aan de ingang van mijn werk.
Categorie: opwachten
Genoteerd: 5/3/2024

## Correctie
Id: 2024-003
Vervangt: 2024-001
Datum: 1-3-2024
Tijd: 21u15
Wat: Het was 21u15, niet 21u.
Genoteerd: 2024-03-06 10:00:00 +01:00
"""

MARKDOWN_FR = """# Journal de bord

## Appels
**Date:** 12/04/2024
**Heure:** vers 22h
**Lieu:** Liège
**Quoi:** Douze appels masqués.
**Témoins:** Sophie (sophie@example.be)
**Catégorie:** appels
**Noté:** 13/04/2024 09:00
"""

CSV_BE = ("Datum;Tijd;Plaats;Wat;Getuigen;PV;Bewijs;Gevoel;Categorie;Genoteerd\r\n"
          "1/3/2024;21:15;Gent;Bekraste auto;Jan (0470 12 34 56);GE.12/2024;IMG_1.jpg;bang;"
          "schade;2/3/2024 8:15\r\n"
          "6/3/2024;vers 9h;Brussel;\"Hij volgde mij; tot aan de tram\";;;;;volgen;6/3/2024\r\n"
          ";;;;;;;;;\r\n")


def write(tmp_path: Path, name: str, text: str, bom: bool = False,
          encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def test_markdown_dutch(tmp_path):
    result = run_plugin(lb, write(tmp_path, "logboek.md", MARKDOWN_NL))
    assert result.warnings == []
    first, waiting, fix = result.events
    assert first.kind == "logbook" and first.key == "entry-2024-001"
    happened, recorded = first.claims
    assert happened.meaning == "happened"
    assert happened.local == "2024-03-01T21:00:00"
    assert happened.offset == "+01:00"
    assert happened.utc == "2024-03-01T20:00:00Z"
    assert happened.confidence == "medium" and "approximate" in happened.flags
    assert recorded.meaning == "recorded"
    assert recorded.utc == "2024-03-02T07:15:00Z"
    facts = first.facts
    assert facts["place"] == "Kerkstraat 12, Gent (parking)"
    assert facts["what"] == ("Toen ik buitenkwam stond hij naast mijn auto.\n"
                             "Er stond een kras over de hele zijkant.")
    assert facts["witnesses"] == [{"name": "Jan Peeters", "contact": "0470 12 34 56"},
                                  {"name": "buurvrouw Marie", "contact": "marie@example.be"}]
    assert facts["pv_number"] == "GE.12.L1.123456/2024"
    assert facts["exhibits"] == ["IMG_1234.jpg", "IMG_1235.jpg"]
    assert facts["feeling"] == "Heel bang."
    assert first.category == "damage"
    assert "superseded" in first.flags
    start, end, _ = waiting.claims
    assert (start.local, end.local) == ("2024-03-05T17:00:00", "2024-03-05T17:30:00")
    assert "period-start" in start.flags and "period-end" in end.flags
    assert waiting.key == "entry-2"
    assert waiting.category == "following-or-waiting"
    assert fix.facts["supersedes"] == "2024-001"
    assert fix.claims[0].local == "2024-03-01T21:15:00" and fix.claims[0].confidence == "high"
    assert fix.claims[1].offset == "+01:00" and fix.claims[1].utc == "2024-03-06T09:00:00Z"


def test_markdown_french_bold_labels(tmp_path):
    result = run_plugin(lb, write(tmp_path, "journal.txt", MARKDOWN_FR))
    (entry,) = result.events
    assert entry.claims[0].local == "2024-04-12T22:00:00"
    assert entry.claims[0].granularity == "hour"
    assert "approximate" in entry.claims[0].flags
    assert entry.facts["place"] == "Liège"
    assert entry.facts["witnesses"] == [{"name": "Sophie", "contact": "sophie@example.be"}]
    assert entry.category == "unwanted-communication"
    assert entry.claims[1].local == "2024-04-13T09:00:00"


def test_csv_belgian_excel(tmp_path):
    result = run_plugin(lb, write(tmp_path, "logboek.csv", CSV_BE, bom=True))
    assert result.extraction.facts["format"] == "csv"
    first, second = result.events
    assert first.claims[0].local == "2024-03-01T21:15:00"
    assert first.claims[0].utc == "2024-03-01T20:15:00Z"
    assert first.claims[1].local == "2024-03-02T08:15:00"
    assert first.facts["witnesses"] == [{"name": "Jan", "contact": "0470 12 34 56"}]
    assert first.facts["pv_number"] == "GE.12/2024"
    assert second.facts["what"] == "Hij volgde mij; tot aan de tram"
    assert second.claims[0].local == "2024-03-06T09:00:00"
    assert second.claims[0].confidence == "medium"
    assert second.category == "following-or-waiting"


def test_csv_comma_and_cp1252(tmp_path):
    text = "Date,Time,Place,What\n2024-04-12,22:00,Liège,appel\n"
    result = run_plugin(lb, write(tmp_path, "log.csv", text, encoding="cp1252"))
    (entry,) = result.events
    assert entry.facts["place"] == "Liège"
    assert entry.claims[0].utc == "2024-04-12T20:00:00Z"


def test_not_a_logbook(tmp_path):
    assert run_plugin(lb, write(tmp_path, "a.md", "# Recepten\n\nSoep\n")).extraction is None
    assert run_plugin(lb, write(tmp_path, "b.csv", "a;b;c\n1;2;3\n")).extraction is None


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_render_entry_round_trip(tmp_path, language):
    written = datetime(2024, 3, 2, 8, 15, 30, tzinfo=timezone(timedelta(hours=1)))
    text = render_entry(datetime(2024, 3, 1, 21, 0), "Hij stond aan mijn deur.\nLang.",
                        place="Gent", witnesses=[("Jan Peeters", "0470 12 34 56"), "Marie"],
                        pv="GE.12/2024", exhibits=["IMG_1.jpg"], feeling="bang",
                        category="following-or-waiting", time_note="ca.",
                        written_at=written, entry_id="20240302-1", supersedes="20240301-9",
                        language=language)
    path = write(tmp_path, entry_file_name("20240302-1"), text)
    assert path.name == "logbook-20240302-1.md"
    result = run_plugin(lb, path)
    assert result.warnings == []
    (entry,) = result.events
    assert entry.key == "entry-20240302-1"
    happened, recorded = entry.claims
    assert happened.local == "2024-03-01T21:00:00" and "approximate" in happened.flags
    assert recorded.local == "2024-03-02T08:15:30" and recorded.offset == "+01:00"
    assert recorded.utc == "2024-03-02T07:15:30Z"
    assert entry.facts["what"] == "Hij stond aan mijn deur.\nLang."
    assert entry.facts["witnesses"] == [{"name": "Jan Peeters", "contact": "0470 12 34 56"},
                                        {"name": "Marie", "contact": ""}]
    assert entry.facts["exhibits"] == ["IMG_1.jpg"]
    assert entry.facts["supersedes"] == "20240301-9"
    assert entry.category == "following-or-waiting"


def test_render_entry_period_and_day(tmp_path):
    text = render_entry((datetime(2024, 3, 5, 17, 0), datetime(2024, 3, 5, 17, 30)), "Wachten",
                        written_at=datetime(2024, 3, 5, 20, 0), entry_id="a")
    start, end, _ = run_plugin(lb, write(tmp_path, "a.md", text)).events[0].claims
    assert (start.local, end.local) == ("2024-03-05T17:00:00", "2024-03-05T17:30:00")
    text = render_entry(date(2024, 3, 5), "Brief", time_note="'s avonds",
                        written_at=datetime(2024, 3, 6, 9, 0), entry_id="b")
    claim = run_plugin(lb, write(tmp_path, "b.md", text)).events[0].claims[0]
    assert claim.local == "2024-03-05" and claim.granularity == "day"


def test_entry_file_name_is_safe():
    assert entry_file_name("../../etc/passwd") == "logbook-etc-passwd.md"


def test_documented_templates_are_read(tmp_path):
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "logbook.md").read_text("utf-8")
    blocks = re.findall(r"```(markdown|csv)\n(.*?)```", doc, re.S)
    assert len(blocks) == 4
    counts = []
    for n, (kind, body) in enumerate(blocks):
        path = write(tmp_path, f"example{n}.{'md' if kind == 'markdown' else 'csv'}", body)
        result = run_plugin(lb, path)
        assert result.warnings == []
        assert all(e.claims and e.claims[0].meaning == "happened" for e in result.events)
        counts.append(len(result.events))
    assert counts == [3, 1, 1, 2]


def test_csv_with_old_mac_line_ends_is_read(tmp_path):
    """A lone \\r ends each line (Excel's "CSV (Macintosh)"): every entry is read."""
    text = "Datum;Uur;Wat\r2024-03-01;20:00;auto voor de deur\r2024-03-02;21:15;bericht\r"
    result = run_plugin(lb, write(tmp_path, "logboek.csv", text))
    assert [e.facts["what"] for e in result.events] == ["auto voor de deur", "bericht"]
    assert [e.claims[0].local for e in result.events] == ["2024-03-01T20:00:00",
                                                            "2024-03-02T21:15:00"]
    assert result.warnings == []


def test_csv_damaged_further_on_keeps_what_was_read_and_says_where(tmp_path):
    """A field the csv module refuses (over its size limit: garbage from a damaged
    file) stops the reading there, with a reason; the entries before it stay."""
    text = ("Datum;Uur;Wat\n2024-03-01;20:00;auto voor de deur\n"
            "2024-03-02;21:15;" + "x" * 200_000 + "\n2024-03-03;08:00;later\n")
    result = run_plugin(lb, write(tmp_path, "logboek.csv", text))
    assert [e.facts["what"] for e in result.events] == ["auto voor de deur"]
    assert result.warnings == ["the logbook could not be read past line 3 (field larger "
                               "than field limit (131072))"]
