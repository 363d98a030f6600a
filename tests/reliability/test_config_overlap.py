"""Issue 9, point 11: configuration that would destroy a case is refused at load.

Each test first shows the harm (an ``evil.py`` dropped in the inbox, the case's
own config and store, a replica's own objects) and then that intake refuses the
config with one line naming the file, the key and the fix, touching nothing.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import drop, ingest, new_case, replica, run_intake, set_config, stored_objects

EVIL = b"""\
from pathlib import Path
Path(__file__).with_name("EVIL-RAN").write_text("the dropped file ran as code")
"""


def refused(proc, key: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    line = proc.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    # a Dutch case: the reason in Dutch, the keys and paths as written
    assert "config/intake.toml: sleutel '" + key + "'" in line
    assert "geen van beide in de andere" in line
    return line


def test_plugin_folder_inside_the_inbox_is_refused_and_a_dropped_file_never_runs(
        tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    (case / "inbox" / "ingested").mkdir()
    set_config(case, "folders = []", 'folders = ["inbox/ingested"]')
    drop(case, "evil.py", EVIL)
    for command in ("ingest", "status", "plugins"):
        line = refused(run_intake(command, "--case", case), "plugins.folders")
        assert "'inbox/ingested'" in line and "zou als code uitgevoerd worden" in line
    assert not list(case.rglob("EVIL-RAN"))
    assert (case / "inbox" / "evil.py").read_bytes() == EVIL  # left where it was dropped


def test_inbox_that_holds_the_case_itself_is_refused_and_nothing_moves(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    drop(case, "letter.txt", b"a letter")
    set_config(case, 'path = "inbox" ', 'path = "." ')
    config_text = (case / "config" / "intake.toml").read_bytes()
    line = refused(run_intake("ingest", "--in-process", "--case", case), "inbox.path")
    assert "is '.'" in line and "de configuratiemap van de zaak config/" in line
    assert "eigen bestanden van de zaak als nieuw bewijs" in line
    assert (case / "config" / "intake.toml").read_bytes() == config_text
    assert not (case / "ingested").exists()
    assert (case / "inbox" / "letter.txt").read_bytes() == b"a letter"
    assert stored_objects(replica(case, "a")) == {}


def test_replica_inside_the_inbox_is_refused(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    ingest(case)  # the case works as made
    drop(case, "photo.txt", b"first drop")
    set_config(case, 'path = "store/b"', 'path = "inbox/b"')
    line = refused(run_intake("ingest", "--in-process", "--case", case), "replicas[2].path")
    assert "'inbox/b'" in line and "'inbox.path' ('inbox')" in line
    assert not (case / "inbox" / "b").exists()
    assert (case / "inbox" / "photo.txt").read_bytes() == b"first drop"


def test_replica_inside_another_replica_or_the_state_folder_is_refused(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    set_config(case, 'path = "store/b"', 'path = "store/a/b"')
    line = refused(run_intake("status", "--case", case), "replicas[2].path")
    assert "'replicas[1].path' ('store/a')" in line
    set_config(case, 'path = "store/a/b"', 'path = ".intake/b"')
    line = refused(run_intake("status", "--case", case), "replicas[2].path")
    assert "de toestandsmap van de zaak .intake/" in line
