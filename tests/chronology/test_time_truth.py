"""Issue 10, points 3 and 4: the timeline tells the truth about time.

Through the real CLI: a logbook period is no disagreement; an SMS backup's
``readable_date`` across the DST change of 2024-10-27 is read with the offset
that links it to the exact ``date`` (so the second 02:30 is +01:00) and never
flagged as disagreeing; ``intake log add`` refuses an unreadable or impossible
``--when`` with exit non-zero and writes nothing, keeps an explicit offset,
keeps an ambiguous wall time flagged ambiguous, and records when the entry
was noted, the feeling and what it replaces.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

INTAKE = Path(sys.executable).with_name("intake")
FIRST_0230 = 1729989000000  # 2024-10-27T00:30:00Z = 02:30 CEST (+02:00)
SECOND_0230 = 1729992600000  # 2024-10-27T01:30:00Z = 02:30 CET (+01:00)


def intake(case: Path, *args: object, ok: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(INTAKE), "--case", str(case), *map(str, args)],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def new_case(path: Path, language: str = "nl") -> Path:
    subprocess.run([str(INTAKE), "init", str(path), "--name", "Anna"], check=True,
                   capture_output=True)
    config = path / "config" / "intake.toml"
    text = config.read_text(encoding="utf-8")
    if language != "nl":
        assert 'language = "nl"' in text
        config.write_text(text.replace('language = "nl"', f'language = "{language}"'),
                          encoding="utf-8")
    return path


def chronology(case: Path) -> dict:
    out = case / "out"
    intake(case, "chronology", "--out", out, "--format", "json")
    return json.loads((out / "chronology.json").read_text(encoding="utf-8"))


def custody_events(case: Path) -> list[str]:
    lines = []
    for seg in sorted((case / "store" / "a" / "custody").glob("*.jsonl")):
        lines += [json.loads(x)["event"] for x in seg.read_text().splitlines() if x.strip()]
    return lines


def test_sms_readable_date_across_dst_is_no_second_witness(tmp_path):
    case = new_case(tmp_path / "case")
    src = tmp_path / "sms-2024-10-27.xml"
    src.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        '<smses count="3">\n'
        f'<sms protocol="0" address="+32468990123" date="{FIRST_0230}" type="1" '
        'body="Eerste keer half drie" readable_date="Oct 27, 2024 2:30:00 AM" '
        'contact_name="(Unknown)" />\n'
        f'<sms protocol="0" address="+32468990123" date="{SECOND_0230}" type="1" '
        'body="Tweede keer half drie" readable_date="Oct 27, 2024 2:30:00 AM" '
        'contact_name="(Unknown)" />\n'
        f'<sms protocol="0" address="+32468990123" date="{SECOND_0230 + 3600_000}" type="1" '
        'body="Op reis" readable_date="27 Oct 2024 05:30:00" contact_name="(Unknown)" />\n'
        "</smses>\n", encoding="utf-8")
    intake(case, "ingest", "--in-process", src)
    entries = [e for e in chronology(case)["entries"] if e["kind"] == "sms"]
    assert [e["facts"]["body"] for e in entries] == ["Eerste keer half drie",
                                                     "Tweede keer half drie", "Op reis"]
    first, second, abroad = entries
    assert first["instant"] == "2024-10-27T00:30:00Z"
    assert first["local"] == "2024-10-27T02:30:00+02:00"
    assert second["instant"] == "2024-10-27T01:30:00Z"
    assert second["local"] == "2024-10-27T02:30:00+01:00"
    for entry in entries:
        assert "claims-disagree" not in entry["flags"], entry
        assert "dst-ambiguous" not in entry["flags"], entry
    readable = [next(c for c in e["claims"] if c["source"] == "readable_date") for e in entries]
    assert [(c["local"], c["offset"], c["utc"]) for c in readable] == [
        ("2024-10-27T02:30:00", "+02:00", "2024-10-27T00:30:00Z"),
        ("2024-10-27T02:30:00", "+01:00", "2024-10-27T01:30:00Z"),
        ("2024-10-27T05:30:00", "+03:00", "2024-10-27T02:30:00Z"),
    ]
    assert "phone-zone-differs" in readable[2]["flags"]
    assert all(not c["chosen"] for c in readable)  # the epoch date is chosen


def test_logbook_period_is_not_a_disagreement(tmp_path):
    case = new_case(tmp_path / "case")
    src = tmp_path / "logboek.md"
    src.write_text("# Logboek\n\n## Opgewacht\nDatum: 5/3/2024\nTijd: 17:00-18:30\n"
                   "Wat: Hij stond anderhalf uur aan mijn werk.\n"
                   "Genoteerd: 5/3/2024 19:00\n", encoding="utf-8")
    intake(case, "ingest", "--in-process", src)
    (entry,) = [e for e in chronology(case)["entries"] if e["kind"] == "logbook"]
    assert entry["instant"] == "2024-03-05T16:00:00Z"
    happened = [c for c in entry["claims"] if c["meaning"] == "happened"]
    assert [c["utc"] for c in happened] == ["2024-03-05T16:00:00Z", "2024-03-05T17:30:00Z"]
    assert "claims-disagree" not in entry["flags"]


def _inbox_files(case: Path) -> list[str]:
    return sorted(p.relative_to(case).as_posix() for p in (case / "inbox").rglob("*")
                  if p.is_file())


@pytest.mark.parametrize(("language", "when", "words"), [
    ("nl", "2024-13-01 10:00", "kon niet gelezen worden"),
    ("nl", "gisteren 21:00", "kon niet gelezen worden"),
    ("fr", "2024-02-30 10:00", "n'a pas pu être lue"),
    ("fr", "2024-03-01 25:00", "n'est pas une heure qui existe"),
    ("nl", "2024-03-31 02:30", "bestaat niet in de tijdzone"),  # skipped hour (DST)
    ("nl", "2024-03-01 21:15 +15:00", "tijdsverschuiving"),
    ("en", "2999-01-01 10:00", "lies in the future"),
])
def test_log_add_refuses_a_bad_when_and_writes_nothing(tmp_path, language, when, words):
    case = new_case(tmp_path / "case", language)
    before = custody_events(case)
    r = intake(case, "log", "add", "--when", when, "--what", "Hij stond voor de deur", ok=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "written:" not in r.stdout
    assert len(r.stderr.strip().splitlines()) == 1
    assert custody_events(case) == before  # no custody line at all
    assert _inbox_files(case) == []
    assert not list((case / "store" / "a" / "objects").rglob("*")) or \
        not [p for p in (case / "store" / "a" / "objects").rglob("*") if p.is_file()]


def test_log_add_keeps_offsets_ambiguity_feeling_and_corrections(tmp_path):
    case = new_case(tmp_path / "case")
    second = intake(case, "log", "add", "--when", "2024-10-27 02:30 +01:00",
                    "--what", "Tweede keer aan de deur, na het terugzetten van de klok",
                    "--impact", "rust ernstig verstoord, niet meer geslapen",
                    "--exhibit", "IMG-20241027-WA0001.jpg")
    assert "Logboekitem geschreven: " in second.stdout and "bewaard als " in second.stdout
    ambiguous = intake(case, "log", "add", "--when", "2024-10-27 02:30",
                       "--what", "Iemand belde aan")
    assert "+02:00" in ambiguous.stdout and "dubbelzinnig" in ambiguous.stdout
    doc = chronology(case)
    entries = [e for e in doc["entries"] if e["kind"] == "logbook"]
    by_what = {e["facts"]["what"][:8]: e for e in entries}
    kept = by_what["Tweede k"]
    assert kept["instant"] == "2024-10-27T01:30:00Z"
    assert kept["local"] == "2024-10-27T02:30:00+01:00"
    chosen = next(c for c in kept["claims"] if c["chosen"])
    assert (chosen["offset"], chosen["zone"], chosen["meaning"]) == ("+01:00", "explicit",
                                                                     "happened")
    assert "dst-ambiguous" not in kept["flags"]
    assert kept["facts"]["feeling"] == "rust ernstig verstoord, niet meer geslapen"
    assert kept["facts"]["noted_at"][:4] >= "2025"  # the moment it was noted, with its offset
    assert kept["facts"]["noted_at"][-6:] in ("+01:00", "+02:00")
    assert any(c["meaning"] == "recorded" for c in kept["claims"])
    unsure = by_what["Iemand b"]
    assert "dst-ambiguous" in unsure["flags"]
    assert unsure["local"] == "2024-10-27T02:30:00+02:00"  # the earlier reading, flagged

    old_id = kept["facts"]["entry_id"]
    intake(case, "log", "add", "--when", "2024-10-27 02:35 +01:00", "--replaces", old_id,
           "--what", "Correctie: het was 02:35, tweede keer")
    doc = chronology(case)
    entries = {e["facts"]["entry_id"]: e for e in doc["entries"] if e["kind"] == "logbook"}
    old = entries[old_id]
    (new,) = [e for e in entries.values() if e["facts"].get("replaces") == old_id]
    assert "superseded" in old["flags"]  # kept, marked, never overwritten
    assert old["facts"]["what"].startswith("Tweede keer")
    assert {"relation": "correction", "entry": new["number"]} in old["links"]
    assert {"relation": "correction", "entry": old["number"]} in new["links"]
    assert "named-exhibit-not-found" in old["flags"]  # IMG-20241027-WA0001.jpg is not here


def test_logbook_file_keeps_an_offset_and_flags_an_unreadable_date(tmp_path):
    """The same rules in a hand-written logbook: the offset is kept as given."""
    case = new_case(tmp_path / "case")
    src = tmp_path / "logboek.md"
    src.write_text("# Logboek\n\n## Tweede keer\nDatum: 27/10/2024\nTijd: 02:30 +01:00\n"
                   "Wat: Weer aan de deur, na het terugzetten van de klok.\n"
                   "Gevolgen: rust ernstig verstoord\n\n"
                   "## Ergens vorige week\nDatum: vorige week\nWat: Hij stond aan school.\n"
                   "Genoteerd: 2/11/2024 10:00\n", encoding="utf-8")
    intake(case, "ingest", "--in-process", src)
    doc = chronology(case)
    entries = {e["facts"]["title"]: e for e in doc["entries"] if e["kind"] == "logbook"}
    second = entries["Tweede keer"]
    assert (second["instant"], second["local"]) == ("2024-10-27T01:30:00Z",
                                                    "2024-10-27T02:30:00+01:00")
    assert "dst-ambiguous" not in second["flags"]
    assert second["facts"]["feeling"] == "rust ernstig verstoord"
    vague = entries["Ergens vorige week"]
    assert "when-it-happened-unreadable" in vague["flags"]
    assert next(c for c in vague["claims"] if c["chosen"])["meaning"] == "recorded"
