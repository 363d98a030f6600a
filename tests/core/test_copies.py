"""Issue 18.2 and 18.3: where the copies really are, and adding a USB stick in one command.

"Another disk" is a real tmpfs mounted by the test (skipped, with the reason,
where mounting is not allowed); "one disk" is two folders in tmp_path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    custody_lines,
    drop,
    ingest,
    make_mail,
    ok,
    replica,
    run_intake,
    set_config,
    sha256,
    small_fs,
    status,
    stored_objects,
    verify,
)

WARNING_NL = ("Beide kopieën staan op de schijf van deze computer. Als de computer verloren "
              "gaat of stukgaat, is het bewijs ook weg. Voeg een USB-stick of een archief toe "
              "(zie docs/configuration.md).")
WARNING_EN = ("Both copies are on this computer's disk. If the computer is lost or broken, the "
              "evidence is lost too. Add a USB stick or an archive (see docs/configuration.md).")
WARNING_FR = ("Les deux copies sont sur le disque de cet ordinateur. Si l'ordinateur est perdu "
              "ou en panne, les preuves sont perdues aussi. Ajoutez une clé USB ou une archive "
              "(voir docs/configuration.md).")


@pytest.fixture
def other_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs: a file system of its own, like a USB stick."""
    with small_fs(tmp_path / "usb", 32 * 1024) as mnt:
        assert os.stat(mnt).st_dev != os.stat(tmp_path).st_dev
        yield mnt


def test_one_device_warning_for_two_folders_on_one_disk(case: Path) -> None:
    for i in range(3):
        drop(case, f"f{i}.txt", f"file {i}\n".encode())
    proc = ok(run_intake("ingest", "--in-process", "--case", case))
    assert proc.stderr.count(WARNING_NL) == 1  # once per command, not per file
    shown = ok(run_intake("status", "--case", case)).stdout
    assert shown.count(WARNING_NL) == 1
    s = status(case)
    copies = s["copies"]
    assert copies["one_device"] is True and copies["one_device_acknowledged"] is False
    assert copies["one_device_warning"] == WARNING_EN
    assert copies["one_device_warning_shown"] == WARNING_NL
    [device] = copies["devices"]
    assert device["replicas"] == ["a", "b"] and device["this_computer"] is True
    assert device["where"] == str(_mount_point(case))
    assert device["free_bytes"] > 0
    for lang, text in (("fr", WARNING_FR), ("en", WARNING_EN)):
        set_config(case, 'language = "nl"' if lang == "fr" else 'language = "fr"',
                   f'language = "{lang}"')
        assert ok(run_intake("status", "--case", case)).stdout.count(text) == 1


def test_one_device_ok_acknowledges_it_for_a_test_setup(case: Path) -> None:
    set_config(case, "min_copies = 2 ", "min_copies = 2\none_device_ok = true ")
    out = ok(run_intake("status", "--case", case)).stdout
    assert "kopieën" not in out and "kopie a, b" in out
    copies = status(case)["copies"]
    assert copies["one_device"] is True and copies["one_device_acknowledged"] is True
    assert copies["one_device_warning"] is None


def test_no_warning_when_a_replica_is_on_another_disk(case: Path, other_disk: Path) -> None:
    drop(case, "f.txt", b"one file\n")
    ingest(case)
    added = ok(run_intake("replica", "add", other_disk / "intake-store", "--name", "usb",
                          "--case", case)).stdout
    assert f"Kopie usb toegevoegd in {other_disk / 'intake-store'}" in added
    assert "Ze bevat alles, gecontroleerd met de hash: 1 stuk, 3 metadatabestanden" in added
    out = ok(run_intake("status", "--case", case)).stdout
    assert "kopieën" not in out
    assert f"  op {other_disk}, 0.0 GB vrij: kopie usb" in out
    copies = status(case)["copies"]
    assert copies["one_device"] is False and copies["one_device_warning"] is None
    by_where = {d["where"]: d for d in copies["devices"]}
    assert by_where[str(other_disk)]["replicas"] == ["usb"]
    assert by_where[str(other_disk)]["this_computer"] is False
    assert by_where[str(_mount_point(case))]["replicas"] == ["a", "b"]
    listed = json.loads(ok(run_intake("replica", "list", "--json", "--case", case)).stdout)
    usb = next(r for r in listed["replicas"] if r["name"] == "usb")
    assert usb["device"] == str(other_disk) and 0 < usb["free_bytes"] <= 32 * 2**20
    assert usb["health"] == "holds the one item"
    assert usb["health_shown"] == "bevat het enige stuk"
    assert listed["replicas"][0]["health"] == "holds the one item"


def test_replica_add_makes_a_complete_verified_replica(case: Path, tmp_path: Path) -> None:
    files = {"mail.eml": make_mail(attachments=(("map.txt", b"attached map\n", "text/plain"),)),
             "x/one.txt": b"one\n", "photo.jpg": b"\xff\xd8 bytes",
             "empty.txt": b""}
    for rel, data in files.items():
        drop(case, rel, data)
    ingest(case)
    items = set(stored_objects(replica(case, "a")))
    assert len(items) == 5  # four files and the mail's attachment
    config_before = (case / "config" / "intake.toml").read_text("utf-8")

    fresh = tmp_path / "stick" / "intake-store"
    fresh.parent.mkdir()
    proc = ok(run_intake("replica", "add", fresh, "--case", case, "--json"))
    answer = json.loads(proc.stdout)
    assert answer["replica"] == "intake-store" and answer["complete"] is True
    assert answer["lacking"] == [] and answer["items"] == 5 and answer["copied"]["items"] == 5

    held = stored_objects(fresh)
    assert set(held) == items
    assert all(sha256(p) == sha for sha, p in held.items())
    a_meta = {p.relative_to(replica(case, "a")): p.read_bytes()
              for p in (replica(case, "a") / "meta").rglob("*.json")}
    new_meta = {p.relative_to(fresh): p.read_bytes() for p in (fresh / "meta").rglob("*.json")}
    assert new_meta == a_meta
    assert custody_lines(fresh) == custody_lines(replica(case, "a"))
    added = json.loads(custody_lines(fresh)[-1])
    assert added["event"] == "replica-added" and added["replica"] == "intake-store"

    config_after = (case / "config" / "intake.toml").read_text("utf-8")
    assert config_after.startswith(config_before.split("[plugins]")[0])  # comments kept
    assert f'name = "intake-store"\npath = "{fresh}"\n' in config_after
    assert config_after.rstrip().endswith(config_before.split("[plugins]")[1].rstrip())

    checked = ok(verify(case)).stdout
    assert "replica intake-store: 5 van 5 stukken gecontroleerd" in checked
    assert "alles in orde" in checked
    listed = ok(run_intake("replica", "list", "--case", case)).stdout
    assert f"intake-store: {fresh} (op " in listed and "): bevat alle 5 stukken" in listed

    # dropped later: stored in all three
    drop(case, "later.txt", b"later\n")
    ingest(case)
    assert sha256(b"later\n") in stored_objects(fresh)


def test_replica_add_refuses_what_would_harm_and_keeps_the_config(case: Path,
                                                                    tmp_path: Path) -> None:
    config = (case / "config" / "intake.toml").read_bytes()
    busy = tmp_path / "holiday photos"
    busy.mkdir()
    (busy / "beach.jpg").write_bytes(b"not evidence")
    proc = run_intake("replica", "add", busy, "--case", case)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"intake: {busy} already holds other files; give an empty "
                                   "folder (e.g. a new folder on the USB stick)")
    proc = run_intake("replica", "add", case / "inbox" / "copy", "--case", case)
    assert proc.returncode == 2 and "sleutel 'replicas[3].path'" in proc.stderr  # Dutch case
    assert "overlapt met 'inbox.path'" in proc.stderr
    assert not (case / "inbox" / "copy").exists()
    proc = run_intake("replica", "add", case / "store" / "b", "--case", case)
    assert proc.returncode == 1 and "is already a replica of this case" in proc.stderr
    assert (case / "config" / "intake.toml").read_bytes() == config
    assert (busy / "beach.jpg").read_bytes() == b"not evidence"


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path):
        path = path.parent
    return path


def test_replica_list_counts_what_a_replica_lacks_in_the_case_language(case: Path) -> None:
    drop(case, "een.txt", b"een\n")
    drop(case, "twee.txt", b"twee\n")
    ingest(case)
    lost = replica(case, "b") / "objects" / sha256(b"een\n")[:2] / sha256(b"een\n")
    lost.unlink()
    listed = json.loads(ok(run_intake("replica", "list", "--json", "--case", case)).stdout)
    health = {r["name"]: (r["health"], r["health_shown"]) for r in listed["replicas"]}
    assert health["a"] == ("holds all 2 items", "bevat alle 2 stukken")
    assert health["b"] == ("lacks 1 of 2 items", "mist 1 van de 2 stukken")
    set_config(case, 'language = "nl"', 'language = "fr"')
    shown = ok(run_intake("replica", "list", "--case", case)).stdout
    assert "contient les 2 pièces" in shown and "il manque 1 des 2 pièces" in shown
