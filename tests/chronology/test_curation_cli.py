"""Persons, curation and the ombudsman request through the real CLI.

A phone backup made in code holds calls from a withheld number, from the
suspect's number written three ways (0…, 0032…, +32…), from a friend
("Mama", a contact in the phone), from an unknown number, and the victim's
own call; an SMS backup holds an SMS from the suspect and one from the friend.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

INTAKE = Path(sys.executable).with_name("intake")
T0 = 1_719_601_445_000  # 2024-06-28T19:04:05Z = 21:04:05 in Brussels


def intake(case: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(INTAKE), "--case", str(case), *args], capture_output=True,
                       text=True, timeout=600)
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def as_json(case: Path, *args: str):
    return json.loads(intake(case, *args, "--json").stdout)


def _call(n: int, number: str, typ: int, duration: int = 0, contact: str = "(Unknown)",
          presentation: str = "1") -> str:
    return (f'<call number="{number}" duration="{duration}" date="{T0 + n * 3_601_000}" '
            f'type="{typ}" presentation="{presentation}" contact_name="{contact}" />\n')


def make_backups(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    calls = folder / "calls-20240630.xml"
    calls.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"7\">\n"
        + _call(0, "", 3, presentation="2")                # 1 withheld, missed
        + _call(1, "0468 99 01 23", 1, 12)                 # 2 suspect, answered (silent)
        + _call(2, "0032 468 99 01 23", 5)                 # 3 suspect, rejected
        + _call(3, "0470 11 22 33", 1, 300, "Mama")        # 4 friend
        + _call(4, "0499 12 34 56", 3)                     # 5 unknown number, missed
        + _call(5, "0470 11 22 33", 2, 60, "Mama")         # 6 the victim calls her mother
        + _call(6, "-2", 6, presentation="2")              # 7 withheld, blocked
        + "</calls>\n", encoding="utf-8")
    sms = folder / "sms-20240630.xml"
    sms.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"2\">\n"
        f'<sms protocol="0" address="+32468990123" date="{T0 + 8 * 3_600_000}" type="1" '
        'body="Ik weet waar je woont" read="1" status="-1" contact_name="(Unknown)" />\n'
        f'<sms protocol="0" address="+32 470 11 22 33" date="{T0 + 9 * 3_600_000}" type="1" '
        'body="Hij stond weer aan de deur" read="1" status="-1" contact_name="Mama" />\n'
        "</smses>\n", encoding="utf-8")
    return calls, sms


REQUESTER = {"address": "Veldstraat 1, 9000 Gent", "operator": "Proximus",
             "pv": "GE.12.L3.012345/24", "police_zone": "PZ Gent", "place": "Gent"}


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("curation")
    case = base / "case"
    subprocess.run([str(INTAKE), "init", str(case), "--name", "Anna"], check=True,
                   capture_output=True)
    config = case / "config" / "intake.toml"
    text = config.read_text(encoding="utf-8")
    for key, value in REQUESTER.items():
        text = text.replace(f'\n{key} = ""', f'\n{key} = "{value}"', 1)
    config.write_text(text, encoding="utf-8")
    for f in make_backups(base / "src"):
        intake(case, "ingest", "--in-process", str(f))
    return case


def numbers(entries: list[dict]) -> list[int]:
    return [e["number"] for e in entries]


def build(case: Path, out: Path, formats: str = "json", lang: str = "nl") -> dict:
    intake(case, "chronology", "--out", str(out), "--format", formats, "--lang", lang)
    return json.loads((out / "chronology.json").read_bytes()) if (out / "chronology.json").exists() \
        else {}


def pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def xlsx_rows(path: Path) -> list[list[str]]:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for row in ws.iter_rows():
        for cell in row:
            assert cell.value is None or cell.data_type == "s", (cell.coordinate, cell.value)
    return [[c.value or "" for c in row] for row in ws.iter_rows()]


def test_1_three_number_forms_are_one_person(case: Path) -> None:
    p = as_json(case, "person", "add", "--role", "suspect", "--name", "Kevin",
                "--phone", "0468 99 01 23")
    assert p["id"] == "p1" and p["identifiers"] == [{"kind": "phone", "value": "+32468990123"}]
    for form in ("0032 468 99 01 23", "+32468990123"):
        p = as_json(case, "person", "add", "--to", "p1", "--phone", form)
    assert p["identifiers"] == [{"kind": "phone", "value": "+32468990123"}]  # still one number
    as_json(case, "person", "add", "--role", "victim", "--name", "Anna Peeters",
            "--phone", "0477 00 00 01")
    people = as_json(case, "person", "list")
    assert [(x["id"], x["role"], x["name"]) for x in people] == [
        ("p1", "suspect", "Kevin"), ("p2", "victim", "Anna Peeters")]
    r = intake(case, "person", "add", "--role", "suspect", "--phone", "not a number", ok=False)
    assert r.returncode != 0 and "is geen telefoonnummer dat intake kan lezen" in r.stderr

    doc = build(case, case.parent / "persons")
    by_number = {e["facts"].get("number"): e for e in doc["entries"]}
    for form in ("0468 99 01 23", "0032 468 99 01 23", "+32468990123"):
        assert by_number[form]["persons"] == ["p1"], form
    assert by_number["0470 11 22 33"]["persons"] == []
    assert [p["id"] for p in doc["persons"]] == ["p1", "p2"]


def test_2_default_rule_lists_withheld_unknown_and_suspect(case: Path) -> None:
    listed = as_json(case, "entry", "list", "--ombudsman")
    # 1 withheld, 2 and 3 suspect, 5 unknown, 7 withheld, 8 suspect's SMS; not the friend
    # (4, 9) nor the victim's own call (6)
    assert numbers(listed) == [1, 2, 3, 5, 7, 8]


def test_3_curation_is_recorded_and_a_later_record_undoes_an_earlier_one(case: Path) -> None:
    entries = as_json(case, "entry", "list")
    ids = {e["number"]: e["id"] for e in entries}
    assert all(i.startswith("e-") and len(i) == 14 for i in ids.values())
    intake(case, "entry", "note", ids[2][:8], "stil")            # a unique start of the id
    intake(case, "entry", "note", "8", "bedreigingen")
    intake(case, "entry", "include", "--for", "ombudsman", ids[9])  # the friend's SMS
    intake(case, "entry", "exclude", "--for", "ombudsman", ids[5])  # the unknown number
    intake(case, "entry", "tag", ids[8], "bedreiging", "woning")
    intake(case, "entry", "untag", ids[8], "woning")
    intake(case, "entry", "star", ids[8], ids[2])
    intake(case, "entry", "unstar", ids[2])                      # undoes the star on 2
    intake(case, "entry", "exclude", "--for", "police", ids[6], ids[4])
    intake(case, "entry", "default", "--for", "police", ids[4])  # undoes the exclusion of 4
    r = intake(case, "entry", "include", "--for", "ombudsman", "e-0000", ok=False)
    assert r.returncode != 0 and "geen vermelding heeft de id e-0000; zie" in r.stderr

    doc = build(case, case.parent / "curated")
    by_id = {e["id"]: e for e in doc["entries"]}
    c2, c8 = by_id[ids[2]]["curation"], by_id[ids[8]]["curation"]
    assert c2["note"] == "stil" and c2["star"] is False and len(c2["records"]) == 3
    assert c8 == {**c8, "note": "bedreigingen", "tags": ["bedreiging"], "star": True}
    assert by_id[ids[9]]["curation"]["ombudsman"] == "include"
    assert by_id[ids[5]]["curation"]["ombudsman"] == "exclude"
    assert by_id[ids[6]]["curation"]["police"] == "exclude"
    assert by_id[ids[4]]["curation"]["police"] == ""
    intake(case, "verify", "--chronology", str(case.parent / "curated" / "chronology.json"))

    listed = as_json(case, "entry", "list", "--ombudsman")
    assert numbers(listed) == [1, 2, 3, 7, 8, 9]  # default rule + include 9 - exclude 5

    # the same decisions as an adviser reads them in this Dutch case
    lines = intake(case, "entry", "list").stdout.splitlines()
    line8 = next(x for x in lines if ids[8] in x)
    assert line8.startswith("*") and "[labels: bedreiging; notitie: bedreigingen]" in line8
    assert "weggelaten uit het rapport voor de politie" in next(x for x in lines if ids[6] in x)
    assert "opgenomen in de aanvraag bij de ombudsdienst" in next(x for x in lines if ids[9] in x)
    assert lines[-1] == f"{len(by_id) + len(doc['undated'])} vermeldingen."
    assert "[tags:" not in "\n".join(lines) and " entries." not in lines[-1]
    people = intake(case, "person", "list").stdout.splitlines()
    assert people[0].startswith("p1  verdachte Kevin: +32468990123")


def test_4_ombudsman_request_in_dutch(case: Path) -> None:
    out = case.parent / "omb-nl"
    build(case, out, "ombudsman", "nl")
    rows = xlsx_rows(out / "ombudsman.xlsx")
    assert rows[0][0] == "Verzoek tot identificatie van de oproeper bij kwaadwillige oproepen"
    block = {r[0]: r[1] for r in rows[4:11]}
    assert block == {"Naam": "Anna Peeters", "Adres": "Veldstraat 1, 9000 Gent",
                     "Nummer waarop de oproepen en berichten binnenkwamen": "+32477000001",
                     "Operator": "Proximus", "Proces-verbaal (PV-nummer)": "GE.12.L3.012345/24",
                     "Politiezone": "PZ Gent", "Datum van het verzoek": block["Datum van het verzoek"]}
    head = rows.index(["Nr.", "Datum", "Uur", "Nummer", "Soort", "Status", "Duur (min:s)",
                       "Beltonen", "Omschrijving", "Stuk"])
    lines = rows[head + 1:]
    assert [r[0] for r in lines] == ["1", "2", "3", "7", "8", "9"]
    assert lines[0][1:8] == ["28/06/2024", "21:04:05", "anoniem", "oproep", "gemist", "0:00", ""]
    assert lines[1][1:9] == ["28/06/2024", "22:04:06", "+32468990123", "oproep", "beantwoord",
                             "0:12", "", "stil"]
    assert lines[2][3:6] == ["+32468990123", "oproep", "geweigerd"]  # written 0032… in the log
    assert lines[3][3:6] == ["anoniem", "oproep", "geblokkeerd"]
    assert lines[4][3:9] == ["+32468990123", "sms", "ontvangen", "", "", "bedreigingen"]
    assert lines[5][3] == "+32470112233"  # the friend's SMS, included by hand
    text = pdf_text(out / "ombudsman.pdf")
    for words in ("Verzoek tot identificatie", "Ombudsdienst voor Telecommunicatie",
                  "Anna Peeters", "Veldstraat 1, 9000 Gent", "Proximus", "GE.12.L3.012345/24",
                  "PZ Gent", "+32477000001", "Handtekening van de aanvrager", "Opgemaakt te Gent",
                  "21:04:05 anoniem oproep gemist", "22:04:06 +32468990123 oproep beantwoord 0:12",
                  "bedreigingen", "Oproepen: 4; berichten: 2; van een verborgen nummer: 2"):
        assert words in text, words
    assert "0499" not in text and "+32499123456" not in text  # excluded by hand
    assert "uitgaand" not in text  # the victim's own call


def test_5_ombudsman_request_in_french(case: Path) -> None:
    out = case.parent / "omb-fr"
    build(case, out, "ombudsman", "fr")
    rows = xlsx_rows(out / "ombudsman.xlsx")
    assert rows[0][0] == "Demande d'identification de l'auteur d'appels malveillants"
    assert ["Adresse", "Veldstraat 1, 9000 Gent"] == rows[5][:2]
    head = next(i for i, r in enumerate(rows) if r[0] == "N°")
    assert rows[head][3] == "Numéro" and [r[0] for r in rows[head + 1:]] == \
        ["1", "2", "3", "7", "8", "9"]
    assert rows[head + 1][3:6] == ["masqué", "appel", "manqué"]
    text = pdf_text(out / "ombudsman.pdf")
    for words in ("Service de médiation pour les télécommunications", "Demandeur",
                  "Zone de police", "PZ Gent", "Signature du demandeur", "Fait à Gent",
                  "21:04:05 masqué appel manqué", "refusé", "bloqué", "reçu", "stil"):
        assert words in text, words


def test_6_police_report_honours_exclude_and_shows_curation(case: Path) -> None:
    out = case.parent / "police"
    build(case, out, "json,pdf,csv")
    rows = [line.split(";") for line in
            (out / "chronology.csv").read_bytes().decode("utf-8-sig").splitlines()]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5", "7", "8", "9"]  # 6 left out
    assert "Mama (0470 11 22 33)" in rows[4][5]  # 4: excluded, then back to the default
    tags, note = rows[0].index("Labels"), rows[0].index("Notitie")
    assert (rows[7][tags], rows[7][note]) == ("bedreiging", "bedreigingen")
    text = pdf_text(out / "chronology.pdf")
    assert "Notitie begeleider: stil" in text and "Labels: bedreiging" in text
    assert "★ belangrijk" in text
    assert "Uitgaande oproep naar Mama" not in text and "02:04:10" not in text
    assert "Door de begeleider weggelaten uit dit verslag: 1" in text
    doc = json.loads((out / "chronology.json").read_bytes())
    assert any("Outgoing call to Mama" in e["what"] for e in doc["entries"])  # kept in the JSON


def test_7_records_in_every_replica_and_the_custody_log(case: Path) -> None:
    files = {}
    for rep in ("a", "b"):
        folder = case / "store" / rep / "meta" / "curation"
        files[rep] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in folder.glob("*.json")}
    assert files["a"] == files["b"] and len(files["a"]) == 16  # 4 person + 12 entry records
    for rep in ("a", "b"):
        lines = [json.loads(line) for seg in sorted((case / "store" / rep / "custody").glob("*"))
                 for line in seg.read_text(encoding="utf-8").splitlines()]
        curated = [x for x in lines if x["event"] == "curated"]
        assert {f"{x['rid']}.json": x["meta"][f"curation/{x['rid']}.json"] for x in curated} \
            == files[rep]
        assert [x["record"]["action"] for x in curated] == ["add"] * 4 + [
            "note", "note", "include", "exclude", "tag", "untag", "star", "star", "unstar",
            "exclude", "exclude", "default"]
    intake(case, "verify")
    # a record file is checked like any metadata file
    victim = next(iter(sorted((case / "store" / "b" / "meta" / "curation").glob("*.json"))))
    victim.chmod(0o600)
    victim.write_bytes(victim.read_bytes().replace(b'"adviser"', b'"someone"'))
    r = intake(case, "verify", ok=False)
    assert r.returncode != 0 and f"meta/curation/{victim.name} is gewijzigd of beschadigd" in r.stdout
    intake(case, "repair")
    intake(case, "verify")


def test_8_curation_survives_reindex(case: Path) -> None:
    before = build(case, case.parent / "before-reindex")
    for p in case.glob(".intake/index.sqlite*"):
        p.unlink()
    intake(case, "reindex")
    build(case, case.parent / "after-reindex")
    a = (case.parent / "before-reindex" / "chronology.json").read_bytes()
    b = (case.parent / "after-reindex" / "chronology.json").read_bytes()
    assert a == b and any(e["curation"]["note"] for e in before["entries"])
    intake(case, "verify", "--chronology", str(case.parent / "after-reindex" / "chronology.json"))


def test_9_ids_survive_new_items_numbers_do_not(case: Path) -> None:
    before = {e["id"]: e for e in as_json(case, "entry", "list")}
    earlier = case.parent / "src" / "sms-20240601.xml"
    earlier.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"1\">\n"
        f'<sms protocol="0" address="0468990123" date="{T0 - 86_400_000}" type="1" '
        'body="Je ontloopt me niet" read="1" status="-1" contact_name="(Unknown)" />\n'
        "</smses>\n", encoding="utf-8")
    intake(case, "ingest", "--in-process", str(earlier))
    after = {e["id"]: e for e in as_json(case, "entry", "list")}
    assert set(before) < set(after) and len(after) == len(before) + 1
    for i, e in before.items():
        assert after[i]["number"] == e["number"] + 1  # every number moved ...
        assert after[i]["curation"] == e["curation"]  # ... the decisions stayed with the id
    new = next(e for i, e in after.items() if i not in before)
    assert new["number"] == 1 and new["persons"] == ["p1"]  # 0468990123 is Kevin too
    r = intake(case, "category", new["id"], "unwanted-communication")
    assert f"Vermelding 1 ({new['id']}): categorie is nu" in r.stdout


def test_a_logbook_entry_is_refused_for_the_ombudsman_in_the_case_language(
        tmp_path: Path) -> None:
    """The refusal names the entry's kind as the reports do ("logboek", "journal")."""
    for lang, words in (("nl", "is van het soort logboek: de aanvraag bij de ombudsdienst "
                               "bevat alleen oproepen, sms en mms"),
                        ("fr", "est du type journal\u202f: la demande au service de médiation "
                               "ne contient que des appels, SMS et MMS")):
        case = tmp_path / lang
        subprocess.run([str(INTAKE), "init", str(case)], check=True, capture_output=True,
                       timeout=120)
        config = case / "config" / "intake.toml"
        config.write_text(config.read_text().replace('language = "nl"', f'language = "{lang}"'))
        intake(case, "log", "add", "--when", "2024-03-01 21:15", "--what", "Auto voor de deur")
        r = intake(case, "entry", "include", "--for", "ombudsman", "1", ok=False)
        assert r.returncode != 0
        assert words in r.stderr, r.stderr
        assert "logbook" not in r.stderr
