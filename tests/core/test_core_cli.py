"""`intake init`, `--case` on every command, config errors, ingest/status JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    INTAKE,
    add_config,
    drop,
    ok,
    run_intake,
    set_config,
    sha256,
    status,
)

COMMANDS_WITH_CASE = (["watch"], ["ingest"], ["status"], ["verify"], ["repair"], ["reindex"],
                      ["plugins"], ["log", "add"], ["chronology"])


def test_the_cli_is_next_to_python() -> None:
    assert INTAKE.is_file(), INTAKE
    proc = ok(run_intake("--version"))
    assert proc.stdout.strip() == "intake, version 0.1.0"


def test_init_makes_config_inbox_and_two_replicas(tmp_path: Path) -> None:
    target = tmp_path / "new case"
    proc = ok(run_intake("init", target))
    assert f"zet bestanden in: {target / 'inbox'}" in proc.stdout
    assert (target / "config" / "intake.toml").is_file()
    assert (target / "inbox").is_dir()
    for name in ("a", "b"):
        rep = target / "store" / name
        assert rep.is_dir()
        marker = json.loads((rep / "REPLICA.json").read_text(encoding="utf-8"))
        assert marker["replica"] == name and marker["format"] == "intake-replica/1"
    markers = {json.loads((target / "store" / n / "REPLICA.json").read_bytes())["case_id"]
               for n in ("a", "b")}
    assert len(markers) == 1  # both replicas belong to the same case
    assert sorted(p.name for p in (target / "inbox").iterdir()) == []
    assert 'name = "new case"' in (target / "config" / "intake.toml").read_text(encoding="utf-8")

    again = run_intake("init", target)
    assert again.returncode != 0
    assert "is already a case (config/intake.toml exists)" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize("command", COMMANDS_WITH_CASE, ids=lambda c: " ".join(c))
def test_every_command_takes_case(command: list[str]) -> None:
    proc = ok(run_intake(*command, "--help"))
    assert "--case DIRECTORY" in proc.stdout


def test_case_defaults_to_the_current_directory(tmp_path: Path) -> None:
    case = tmp_path / "c"
    ok(run_intake("init", case, cwd=tmp_path))
    set_config(case, "settle_seconds = 1.0", "settle_seconds = 0.2")
    drop(case, "note.txt", b"seen him at the station\n")
    ok(run_intake("ingest", "--in-process", cwd=case))
    here = json.loads(ok(run_intake("status", "--json", cwd=case)).stdout)
    there = json.loads(ok(run_intake("status", "--json", "--case", case, cwd=tmp_path)).stdout)
    for answer in (here, there):  # free space changes between two calls
        for device in answer["copies"]["devices"]:
            assert device.pop("free_bytes") > 0
    assert here == there
    assert here["case_dir"] == str(case) and here["case"] == "c"
    assert here["counts"]["items"] == 1 and here["counts"]["receipts"] == 1
    ok(run_intake("verify", cwd=case))

    # elsewhere, with no case: one plain line naming the missing config
    proc = run_intake("status", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"intake: {tmp_path / 'config' / 'intake.toml'}: no config file here. Is {tmp_path} a "
        "case folder? Make one with 'intake init DIR' or pass --case DIR"]


CONFIG_ERRORS = [
    # (what is changed, into what, key named, what is allowed: in Dutch, the case's language)
    ('language = "nl"', 'language = "nl"\ncolour = "blue"', "case.colour",
     "is onbekend (hier toegelaten: name, timezone, language)"),
    ("settle_seconds = 1.0", 'settle_seconds = "fast"', "inbox.settle_seconds",
     "moet een getal zijn, niet 'fast'"),
    ('timezone = "Europe/Brussels"', 'timezone = "Europe/Brusels"', "case.timezone",
     "is 'Europe/Brusels', wat geen bekende tijdzone is (gebruik een naam zoals "
     '"Europe/Brussels")'),
    ("min_copies = 2 ", "min_copies = 3 ", "store.min_copies",
     "is 3; toegelaten: 1 tot 2 (het aantal replica's)"),
    ("timeout_seconds = 60", "timeout_seconds = true", "plugins.timeout_seconds",
     "moet een getal zijn, niet True"),
]


@pytest.mark.parametrize("old,new,key,allowed", CONFIG_ERRORS, ids=[c[2] for c in CONFIG_ERRORS])
def test_config_error_is_one_plain_line(tmp_path: Path, old: str, new: str, key: str,
                                        allowed: str) -> None:
    from intake.case import init_case

    case = init_case(tmp_path / "case").case_dir
    set_config(case, old, new)
    config = case / "config" / "intake.toml"
    commands = [["status"]] + ([["ingest", "--in-process"]] if key == "case.timezone" else [])
    for command in commands:
        proc = run_intake(*command, "--case", case)
        assert proc.returncode == 2, proc
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert lines == [f"intake: {config}: sleutel '{key}' {allowed}"], lines


def test_ingest_json_outcome_counts(case: Path) -> None:
    data = {"a.txt": b"first\n", "sub/b.txt": b"second\n", "sub/deeper/c.txt": b"third\n"}
    for rel, content in data.items():
        drop(case, rel, content)
    (case / "inbox" / "link.txt").symlink_to(case / "config" / "intake.toml")
    proc = ok(run_intake("ingest", "--json", "--in-process", "--case", case))
    answer = json.loads(proc.stdout)
    assert answer["files"] == 4
    assert answer["outcomes"] == {"settled": 3, "refused": 1}
    by_source = {r["source"]: r for r in answer["results"]}
    for rel, content in data.items():
        assert by_source[f"inbox/{rel}"]["sha256"] == sha256(content)
        assert by_source[f"inbox/{rel}"]["outcome"] == "settled"
    link = by_source["inbox/link.txt"]
    assert link["outcome"] == "refused" and link["sha256"] == ""
    assert "symbolic link" in link["reason"]

    # a second run finds nothing new
    again = json.loads(ok(run_intake("ingest", "--json", "--in-process", "--case", case)).stdout)
    assert again["outcomes"] == {"refused": 1} and again["files"] == 1

    # the people's summary says the same
    drop(case, "d.txt", b"fourth\n")
    text = ok(run_intake("ingest", "--in-process", "--case", case)).stdout
    assert "2 bestanden bekeken: 1 veilig bewaard, 1 niet opgenomen" in text  # a Dutch case

    # in the case's language, with singular and plural as each language has them
    set_config(case, 'language = "nl"', 'language = "fr"')
    drop(case, "e.txt", b"fifth\n")
    text = ok(run_intake("ingest", "--in-process", "--case", case)).stdout
    assert "2 fichiers examinés\u202f: 1 conservé en lieu sûr, 1 non retenu" in text
    set_config(case, 'language = "fr"', 'language = "en"')
    (case / "inbox" / "link.txt").unlink()
    drop(case, "f.txt", b"sixth\n")
    text = ok(run_intake("ingest", "--in-process", "--case", case)).stdout
    assert "1 file looked at: 1 stored safely" in text


def test_status_json_fields(case: Path) -> None:
    drop(case, "one.txt", b"1\n")
    drop(case, "two.txt", b"")
    ok(run_intake("ingest", "--in-process", "--case", case))
    s = status(case)
    assert {"case", "case_dir", "counts", "custody_lines", "min_copies", "replicas",
            "waiting_for_copies", "originals_still_in_inbox", "files_not_taken",
            "items_with_warnings"} <= set(s)
    assert s["case"] == "case" and s["case_dir"] == str(case)
    assert s["counts"] == {"items": 2, "receipts": 2, "derived_items": 0, "events": 2,
                           "items_with_warnings": 1, "files_not_taken": 0}
    assert s["min_copies"] == 2
    assert s["replicas"] == [
        {"name": "a", "path": str(case / "store" / "a"), "available": True, "reason": "",
         "items": 2},
        {"name": "b", "path": str(case / "store" / "b"), "available": True, "reason": "",
         "items": 2}]
    assert s["waiting_for_copies"] == [] and s["originals_still_in_inbox"] == []
    assert s["files_not_taken"] == []
    lines = sum(1 for seg in (case / "store" / "a" / "custody").glob("*.jsonl")
                for _ in seg.read_bytes().splitlines())
    assert s["custody_lines"] == lines


def test_a_second_writer_is_refused_with_one_line(case: Path) -> None:
    from intake.case import Case

    with Case.open(case):
        proc = run_intake("ingest", "--in-process", "--case", case)
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"intake: another intake process (the watcher?) is working on the case {case}; "
        "wait for it or stop it first"]


def test_extra_replica_block_is_checked(case: Path) -> None:
    add_config(case, '[[replicas]]\nname = "c"\npth = "store/c"\n')
    proc = run_intake("status", "--case", case)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"intake: {case / 'config' / 'intake.toml'}: sleutel 'replicas[3].pth' is onbekend "
        "(hier toegelaten: name, kind, path, options)"]


def test_a_config_error_is_said_in_the_language_the_file_asks_for(case: Path) -> None:
    """The config that failed to load is read leniently for its language, even when
    it is no longer valid TOML; French here."""
    config = case / "config" / "intake.toml"
    set_config(case, 'language = "nl"', 'language = "fr"')
    set_config(case, "settle_seconds = 0.2", "settle_seconds = 9000")
    proc = run_intake("status", "--case", case)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        f"intake: {config}\u00a0: la clé 'inbox.settle_seconds' vaut 9000.0\u202f; "
        "permis\u00a0: de 0 à 3600 secondes"]
    add_config(case, "broken = [\n")
    proc = run_intake("status", "--case", case)
    assert proc.returncode == 2 and proc.stderr.strip().startswith(
        f"intake: {config}\u00a0: TOML non valide (")


def test_a_french_case_speaks_french_on_the_command_line(tmp_path: Path) -> None:
    """The lines an adviser reads after log add, category and chronology follow the case."""
    case = tmp_path / "dossier"
    ok(run_intake("init", case))
    set_config(case, 'language = "nl"', 'language = "fr"')
    written = ok(run_intake("--case", case, "log", "add", "--when", "2024-03-01 21:15",
                            "--what", "Il a sonné trois fois"))
    assert written.stdout.startswith("Entrée du journal écrite\u202f: ")
    assert "conservée sous " in written.stdout and "Logbook" not in written.stdout
    made = ok(run_intake("--case", case, "chronology", "--out", tmp_path / "out",
                         "--format", "json"))
    assert made.stdout.strip() == f"écrit\u202f: {tmp_path / 'out' / 'chronology.json'}"
    chosen = ok(run_intake("--case", case, "category", "1", "damage"))
    assert chosen.stdout.startswith("Entrée 1 (e-")
    assert chosen.stdout.rstrip().endswith("\u202f: catégorie fixée à damage.")


def test_status_counts_in_the_singular_and_the_plural(tmp_path: Path) -> None:
    """One item is "1 stuk" (Dutch) and "1 pièce" (French), never "1 stukken"."""
    case = tmp_path / "dossier"
    ok(run_intake("init", case))
    drop(case, "note.txt", b"hij stond weer voor de deur")
    ok(run_intake("ingest", "--case", case))
    said = ok(run_intake("status", "--case", case)).stdout.splitlines()
    assert said[0].startswith("Dossier dossier: 1 stuk (0 gevonden in andere bestanden), "
                              "1 ontvangstbewijs, 1 feit, "), said[0]
    assert said[0].endswith(" regels in het bewaringslogboek")
    assert said[2] == f"  kopie a ({case / 'store' / 'a'}): 1 stuk"
    drop(case, "note2.txt", b"en weer")
    ok(run_intake("ingest", "--case", case))
    said = ok(run_intake("status", "--case", case)).stdout.splitlines()
    assert said[0].startswith("Dossier dossier: 2 stukken (0 gevonden in andere bestanden), "
                              "2 ontvangstbewijzen, 2 feiten, ")
    set_config(case, 'language = "nl"', 'language = "fr"')
    said = ok(run_intake("status", "--case", case)).stdout.splitlines()
    assert said[0].startswith("Dossier dossier\u202f: 2 pièces (0 trouvées dans d'autres "
                              "fichiers), 2 accusés de réception, 2 faits, "), said[0]
    assert said[2] == f"  copie a ({case / 'store' / 'a'})\u00a0: 2 pièces"
