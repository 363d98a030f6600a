"""Issue 18.1: the default case lives in the user's data folder, never in the checkout.

Each test makes a throwaway git repository holding the checkout's pointer
config and .gitignore (never this repository), clones it, and runs the real
``intake`` in the clone with ``INTAKE_HOME`` set to a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from tests.helpers import INTAKE, ok, run_intake, sha256, stored_objects, wait_for

ROOT = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def clone_of_checkout(tmp_path: Path) -> Path:
    """A fresh clone of a minimal checkout: the pointer config and .gitignore, committed."""
    origin = tmp_path / "origin"
    (origin / "config").mkdir(parents=True)
    for rel in ("config/intake.toml", ".gitignore"):
        (origin / rel).write_bytes((ROOT / rel).read_bytes())
    git(origin, "init", "-q")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "checkout")
    git(tmp_path, "clone", "-q", str(origin), "clone")
    return tmp_path / "clone"


def test_git_clean_after_ingest_loses_nothing(tmp_path: Path) -> None:
    checkout = clone_of_checkout(tmp_path)
    home = tmp_path / "home"
    env = {"INTAKE_HOME": str(home)}
    case = home / "cases" / "default"

    first = ok(run_intake("status", cwd=checkout, env=env))
    assert f"Made the default case in {case}" in first.stderr
    assert f"Drop files into {checkout / 'inbox'} (a link to {case / 'inbox'})" in first.stderr
    assert (checkout / "inbox").is_symlink()

    dropped = {"threat.txt": b"you will regret this\n", "photo.jpg": b"\xff\xd8\xff not a photo",
               "sub/letter.eml": b"From: x@example.org\n\nhello\n"}
    for rel, data in dropped.items():
        (checkout / "inbox" / rel).parent.mkdir(parents=True, exist_ok=True)
        (checkout / "inbox" / rel).write_bytes(data)
    time.sleep(1.1)  # the default case's settle_seconds
    out = json.loads(ok(run_intake("ingest", "--json", "--in-process", cwd=checkout,
                                   env=env)).stdout)
    assert out["outcomes"] == {"settled": 3}
    (checkout / "inbox" / "late.txt").write_bytes(b"dropped, not yet taken\n")

    cleaned = git(checkout, "clean", "-fdx")
    assert "Removing inbox" in cleaned
    assert sorted(p.name for p in checkout.iterdir()) == [".git", ".gitignore", "config"]

    expected = {sha256(d) for d in dropped.values()}
    for name in ("a", "b"):
        objects = stored_objects(case / "store" / name)
        assert set(objects) == expected
        assert {sha256(p) for p in objects.values()} == expected
    assert (case / "inbox" / "late.txt").read_bytes() == b"dropped, not yet taken\n"
    assert sorted(p.name for p in (case / "inbox" / "ingested").rglob("*") if p.is_file()) == [
        "letter.eml", "photo.jpg", "threat.txt"]

    again = ok(run_intake("verify", cwd=checkout, env=env))  # the link comes back
    assert "3 items, 6 copies" in again.stdout and "all good" in again.stdout
    assert (checkout / "inbox").resolve() == (case / "inbox").resolve()
    time.sleep(1.1)
    out = json.loads(ok(run_intake("ingest", "--json", "--in-process", cwd=checkout,
                                   env=env)).stdout)
    assert out["results"][0]["sha256"] == sha256(b"dropped, not yet taken\n")


def test_watcher_in_the_checkout_writes_its_chronology_into_the_case(tmp_path: Path) -> None:
    checkout = clone_of_checkout(tmp_path)
    home = tmp_path / "home"
    case = home / "cases" / "default"
    env = dict(os.environ, INTAKE_HOME=str(home))
    env.pop("INTAKE_LOAD_PLUGINS", None)
    log = tmp_path / "watch.log"
    proc = subprocess.Popen([str(INTAKE), "watch", "--rescan", "1"], cwd=checkout,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)
    try:
        wait_for(lambda: (checkout / "inbox").is_symlink(), 60, what="the inbox link")
        (checkout / "inbox" / "note.txt").write_bytes(b"he called at 21:15\n")
        wait_for(lambda: "chronologie bijgewerkt" in log.read_text("utf-8"), 90,
                 what="the chronology")
    finally:
        proc.terminate()
        proc.wait(30)
    out = log.read_text("utf-8")
    assert f"De inbox {case / 'inbox'} wordt bewaakt (Ctrl+C om te stoppen)" in out
    assert f"chronologie bijgewerkt in {case / 'chronology'}" in out
    assert (case / "chronology" / "chronology.json").is_file()
    assert not (checkout / "chronology").exists()
    assert sorted(p.name for p in checkout.iterdir()) == [".git", ".gitignore", "config", "inbox"]
    assert git(checkout, "status", "--porcelain") == ""


def test_an_older_checkout_case_is_moved_unchanged(tmp_path: Path) -> None:
    """Before 0.2 the checkout was the case: its store, state and inbox move to the data folder."""
    checkout = clone_of_checkout(tmp_path)
    pointer = (checkout / "config" / "intake.toml").read_bytes()
    (checkout / "config" / "intake.toml").unlink()
    ok(run_intake("init", checkout, env={"INTAKE_HOME": "/nowhere"}))  # the older layout
    (checkout / "inbox" / "old.txt").write_bytes(b"stored by the older version\n")
    ok(run_intake("ingest", "--in-process", "--case", checkout, env={"INTAKE_HOME": "/nowhere"}))
    (checkout / "config" / "intake.toml").write_bytes(pointer)  # what `git pull` brings

    home = tmp_path / "home"
    case = home / "cases" / "default"
    moved = ok(run_intake("verify", cwd=checkout, env={"INTAKE_HOME": str(home)}))
    assert f"Moved this checkout's case (store/, .intake/, inbox/) to {case}" in moved.stderr
    assert "1 items, 2 copies" in moved.stdout and "all good" in moved.stdout
    assert not (checkout / "store").exists() and not (checkout / ".intake").exists()
    assert (case / "inbox" / "ingested" / "old.txt").read_bytes() == b"stored by the older version\n"
    assert set(stored_objects(case / "store" / "b")) == {sha256(b"stored by the older version\n")}


def test_a_real_inbox_folder_with_files_in_the_checkout_stops_with_a_reason(
        tmp_path: Path) -> None:
    checkout = clone_of_checkout(tmp_path)
    home = tmp_path / "home"
    ok(run_intake("status", cwd=checkout, env={"INTAKE_HOME": str(home)}))
    (checkout / "inbox").unlink()
    (checkout / "inbox").mkdir()
    (checkout / "inbox" / "kept.txt").write_bytes(b"dropped into a plain folder\n")
    proc = run_intake("watch", cwd=checkout, env={"INTAKE_HOME": str(home)})
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"intake: {checkout / 'inbox'} is a folder holding 1 files, not a link to the case's "
        f"inbox: move them into {home / 'cases' / 'default' / 'inbox'}, remove the empty "
        "folder, and run again (nothing was taken or moved)")
    assert (checkout / "inbox" / "kept.txt").read_bytes() == b"dropped into a plain folder\n"


def test_explicit_case_and_init_are_unchanged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"INTAKE_HOME": str(home)}
    ok(run_intake("init", tmp_path / "anna", env=env))
    here = json.loads(ok(run_intake("status", "--json", cwd=tmp_path / "anna", env=env)).stdout)
    there = json.loads(ok(run_intake("status", "--json", "--case", tmp_path / "anna",
                                     env=env)).stdout)
    assert here["case_dir"] == there["case_dir"] == str(tmp_path / "anna")
    assert not home.exists()  # a real case never touches the data folder
    nowhere = run_intake("status", cwd=tmp_path, env=env)
    assert nowhere.returncode == 2 and "no config file here" in nowhere.stderr
