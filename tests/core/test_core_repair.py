"""verify, repair and reindex on real damage: flipped bytes, deleted files, lost index."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.helpers import (
    drop,
    flip_byte,
    ingest,
    meta_dir,
    object_path,
    ok,
    problems,
    receipts,
    replica,
    run_intake,
    set_config,
    sha256,
    status,
    verify,
)
from tests.helpers import make_mail as mail

LETTER = b"Official letter from the court, case 2024/123\n" * 40
NOTE = b"He was at the bakery again at 8:10\n"


def setup_two(case: Path) -> tuple[str, str]:
    drop(case, "court/letter.txt", LETTER)
    drop(case, "note.txt", NOTE)
    ingest(case)
    ok(verify(case))
    return sha256(LETTER), sha256(NOTE)


def test_flipped_byte_is_found_and_repaired(case: Path) -> None:
    sha, other = setup_two(case)
    obj_b = object_path(replica(case, "b"), sha)
    damaged = flip_byte(obj_b)

    proc = verify(case)
    assert proc.returncode == 5
    assert "Traceback" not in proc.stderr
    found = problems(proc)
    # the default case speaks Dutch (the --json record stays English)
    assert f"PROBLEEM: replica b: stuk {sha[:12]}… (letter.txt) is beschadigd (de SHA-256 " \
           "klopt niet meer)" in found
    assert all("replica a" not in p for p in found)
    assert all(other[:12] not in p for p in found)
    assert "replica a: 2 van 2 stukken gecontroleerd" in proc.stdout
    assert "replica b: 1 van 2 stukken gecontroleerd" in proc.stdout
    assert f"PROBLEEM: stuk {sha[:12]}… (letter.txt) heeft 1 goede kopieën; 2 zijn vereist" \
        in found
    assert "2 stukken, 4 kopieën en 12 metagegevensbestanden gecontroleerd: 2 problemen." \
        in proc.stdout
    assert "intake: 2 problemen gevonden; 'intake repair' herstelt" in proc.stderr

    rep = ok(run_intake("repair", "--case", case))
    assert f"replica b: stuk {sha[:12]}… (letter.txt) hersteld" in rep.stdout
    ok(verify(case))
    for name in ("a", "b"):
        obj = object_path(replica(case, name), sha)
        assert sha256(obj) == sha
        assert os.stat(obj).st_mode & 0o222 == 0
    # the damaged copy is kept, not deleted
    kept = list((replica(case, "b") / "damaged").iterdir())
    assert len(kept) == 1
    assert kept[0].name.startswith(f"objects__{sha[:2]}__{sha}.")
    assert kept[0].read_bytes() == damaged


def test_damage_in_both_replicas_is_unrecoverable_and_not_papered_over(case: Path) -> None:
    sha, other = setup_two(case)
    bad_a = flip_byte(object_path(replica(case, "a"), sha), 3)
    bad_b = flip_byte(object_path(replica(case, "b"), sha), 200)

    proc = verify(case)
    assert proc.returncode == 5
    found = problems(proc)
    assert f"PROBLEEM: stuk {sha[:12]}… (letter.txt): geen enkele replica heeft een goede " \
           "kopie; het kan niet hersteld worden" in found

    rep = run_intake("repair", "--case", case)
    assert rep.returncode != 0
    assert "Traceback" not in rep.stderr
    assert f"NIET HERSTELD: stuk {sha[:12]}… (letter.txt): geen enkele replica heeft een " \
           "goede kopie; het kan niet hersteld worden" in rep.stdout
    assert "hersteld" not in rep.stdout.replace("NIET HERSTELD", "").replace(
        "niet hersteld worden", "")
    # neither bad copy was "repaired" from the other bad copy
    assert object_path(replica(case, "a"), sha).read_bytes() == bad_a
    assert object_path(replica(case, "b"), sha).read_bytes() == bad_b
    assert not (replica(case, "a") / "damaged").exists()
    assert not (replica(case, "b") / "damaged").exists()
    # the other item is untouched and fine
    for name in ("a", "b"):
        assert sha256(object_path(replica(case, name), other)) == other


def test_deleted_object_is_restored(case: Path) -> None:
    sha, _ = setup_two(case)
    obj = object_path(replica(case, "a"), sha)
    obj.unlink()
    proc = verify(case)
    assert proc.returncode == 5
    assert f"PROBLEEM: replica a: stuk {sha[:12]}… (letter.txt) ontbreekt" in problems(proc)
    ok(run_intake("repair", "--case", case))
    assert sha256(obj) == sha
    assert os.stat(obj).st_mode & 0o222 == 0
    ok(verify(case))


def test_deleted_and_altered_metadata_are_named_and_restored(case: Path) -> None:
    sha, other = setup_two(case)
    item_b = meta_dir(replica(case, "b"), sha) / "item.json"
    good_item = item_b.read_bytes()
    item_b.unlink()
    (receipt_a,) = list((meta_dir(replica(case, "a"), other) / "receipts").glob("*.json"))
    good_receipt = receipt_a.read_bytes()
    os.chmod(receipt_a, 0o600)
    altered = good_receipt.replace(b'"note.txt"', b'"other.txt"')
    assert altered != good_receipt
    receipt_a.write_bytes(altered)

    proc = verify(case)
    assert proc.returncode == 5
    found = problems(proc)
    rel_item = f"{sha[:2]}/{sha}/item.json"
    rel_receipt = f"{other[:2]}/{other}/receipts/{receipt_a.name}"
    assert f"PROBLEEM: replica b: metagegevensbestand meta/{rel_item} ontbreekt" in found
    assert f"PROBLEEM: replica a: metagegevensbestand meta/{rel_receipt} is gewijzigd of " \
           "beschadigd" in found

    rep = ok(run_intake("repair", "--case", case))
    assert f"replica b: metagegevens meta/{rel_item} hersteld" in rep.stdout
    assert f"replica a: metagegevens meta/{rel_receipt} hersteld" in rep.stdout
    assert item_b.read_bytes() == good_item
    assert receipt_a.read_bytes() == good_receipt
    kept = list((replica(case, "a") / "damaged").iterdir())
    assert [k.read_bytes() for k in kept] == [altered]
    ok(verify(case))


def make_mail() -> bytes:
    return mail(sender="Someone <someone@example.org>", subject="I know where you live",
                message_id="<abc123@example.org>", body="I saw you today at the station.",
                attachments=(("map.txt", b"attached map\n", "text/plain"),))


def test_reindex_rebuilds_the_same_counts(case: Path) -> None:
    drop(case, "mail.eml", make_mail())
    drop(case, "x/one.txt", b"one\n")
    drop(case, "y/one again.txt", b"one\n")
    drop(case, "empty.txt", b"")
    ingest(case)
    before = status(case)
    assert before["counts"]["derived_items"] == 1
    assert before["counts"]["items"] == 4  # mail, its attachment, one.txt, empty
    assert before["counts"]["receipts"] == 4
    assert before["counts"]["events"] >= 3

    index = case / ".intake" / "index.sqlite"
    assert index.is_file()
    index.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(index) + suffix).unlink(missing_ok=True)

    proc = ok(run_intake("reindex", "--json", "--case", case))
    counts = json.loads(proc.stdout)
    assert counts["source_replica"] == "a"
    after = status(case)
    for key in ("items", "receipts", "events", "derived_items", "items_with_warnings"):
        assert after["counts"][key] == before["counts"][key], key
    assert after["waiting_for_copies"] == before["waiting_for_copies"] == []
    assert after["originals_still_in_inbox"] == before["originals_still_in_inbox"] == []
    assert after["items_with_warnings"] == before["items_with_warnings"]
    ok(verify(case))
    assert len(receipts(replica(case, "b"), sha256(b"one\n"))) == 2


def test_reindex_from_a_chosen_replica(case: Path) -> None:
    drop(case, "note.txt", NOTE)
    ingest(case)
    before = status(case)
    counts = json.loads(ok(run_intake("reindex", "--json", "--replica", "b", "--case", case))
                        .stdout)
    assert counts["source_replica"] == "b"
    assert counts["items"] == before["counts"]["items"] == 1
    proc = run_intake("reindex", "--replica", "zz", "--case", case)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "intake: replica 'zz' is niet beschikbaar"  # Dutch case
    text = ok(run_intake("reindex", "--case", case)).stdout
    assert text.strip() == "Index opnieuw opgebouwd uit replica a: 1 stuk, 1 " \
        "ontvangstbewijs, 1 feit."


def test_a_french_case_hears_verify_repair_and_reindex_in_french(case: Path) -> None:
    """The lines people read are in the case's language; --json keeps the record's English."""
    set_config(case, 'language = "nl"', 'language = "fr"')
    sha, _ = setup_two(case)
    (meta_dir(replica(case, "b"), sha) / "item.json").unlink()
    proc = verify(case)
    assert proc.returncode == 5
    rel = f"{sha[:2]}/{sha}/item.json"
    assert f"PROBLÈME\u00a0: réplique b\u00a0: le fichier de métadonnées meta/{rel} manque" \
        in problems(proc)
    assert "réplique a\u00a0: 2 pièces sur 2 vérifiées" in proc.stdout
    assert "2 pièces, 4 copies et 12 fichiers de métadonnées vérifiés\u00a0: 1 problème." \
        in proc.stdout
    assert "intake: 1 problème trouvé\u202f; 'intake repair' répare" in proc.stderr
    record = json.loads(run_intake("verify", "--json", "--case", case).stdout)
    assert [p["message"] for p in record["problems"]] == [
        f"replica b: metadata file meta/{rel} is missing"]
    rep = ok(run_intake("repair", "--case", case))
    assert rep.stdout.strip() == f"réplique b\u00a0: métadonnées meta/{rel} restaurées"
    assert "tout est en ordre." in ok(verify(case)).stdout
    text = ok(run_intake("reindex", "--case", case)).stdout
    assert text.startswith("Index reconstruit à partir de la réplique a\u202f: 2 pièces, 2 ")
