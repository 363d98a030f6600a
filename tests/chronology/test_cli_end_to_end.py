"""The chronology through the real CLI: determinism, tamper detection, proofs.

Files are made in code, given fixed file times (the clock fixed by the test),
ingested into two cases in opposite orders, and the two chronology.json
files must be byte-identical with the same root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image

INTAKE = Path(sys.executable).with_name("intake")
FIXED = 1_709_300_000  # 2024-03-01T13:33:20Z, the files' times


def intake(case: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(INTAKE), "--case", str(case), *args], capture_output=True,
                       text=True, timeout=600)
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def make_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (64, 48), "navy")
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2024:02:29 22:10:05"}  # DateTimeOriginal, no offset
    img.save(folder / "door.jpg", exif=exif)
    msg = EmailMessage()
    msg["From"] = "X <x@example.org>"
    msg["To"] = "anna@example.be"
    msg["Subject"] = "Ik zie je"
    msg["Date"] = "Fri, 01 Mar 2024 21:15:00 +0100"
    msg["Message-ID"] = "<abc@example.org>"
    msg.set_content("Ik weet waar je woont.")
    (folder / "mail.eml").write_bytes(bytes(msg))
    (folder / "sms.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        '<smses count="2">\n'
        '<sms protocol="0" address="-2" date="1709330000000" type="1" body="Waar ben je?" '
        'read="1" status="-1" contact_name="(Unknown)" />\n'
        '<sms protocol="0" address="+32470123456" date="1709331000000" type="1" '
        'body="Ik sta buiten" read="1" status="-1" contact_name="(Unknown)" />\n'
        "</smses>\n", encoding="utf-8")
    files = sorted(folder.iterdir())
    for f in files:
        os.utime(f, (FIXED, FIXED))
    return files


@pytest.fixture(scope="module")
def two_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("e2e")
    files = make_files(base / "src")
    cases = []
    for name, order in (("one", files), ("two", list(reversed(files)))):
        case = base / name
        subprocess.run([str(INTAKE), "init", str(case), "--name", "Anna"], check=True,
                       capture_output=True)
        for f in order:  # one at a time, in this order
            intake(case, "ingest", "--in-process", str(f))
        cases.append(case)
    return cases[0], cases[1], base


def test_same_files_in_shuffled_order_give_identical_json(two_cases) -> None:
    one, two, base = two_cases
    intake(one, "chronology", "--out", str(base / "o1"), "--format", "json")
    intake(two, "chronology", "--out", str(base / "o2"), "--format", "json")
    a = (base / "o1" / "chronology.json").read_bytes()
    b = (base / "o2" / "chronology.json").read_bytes()
    assert a == b
    doc = json.loads(a)
    # 1 photo + 1 e-mail + 2 SMS, in time order; the SMS from "-2" is withheld
    kinds = [e["kind"] for e in doc["entries"]]
    assert kinds == ["photo", "email", "sms", "sms"]
    photo, mail, withheld, known = doc["entries"]
    assert photo["instant"] == "2024-02-29T21:10:05Z"  # 22:10:05 in Brussels (UTC+1)
    assert photo["local"] == "2024-02-29T22:10:05+01:00"
    assert withheld["facts"]["withheld"] is True
    assert withheld["instant"] == "2024-03-01T21:53:20Z"
    assert mail["instant"] == "2024-03-01T20:15:00Z"
    assert mail["who"].startswith("X")
    assert known["instant"] == "2024-03-01T22:10:00Z"
    assert known["local"] == "2024-03-01T23:10:00+01:00"  # UTC source, shown in the case zone
    assert len(doc["exhibits"]) == 3


def test_tamper_in_json_exhibit_and_bundle_are_each_reported(two_cases) -> None:
    one, _, base = two_cases
    out = base / "all"
    intake(one, "chronology", "--out", str(out), "--format", "json,bundle")
    good = out / "chronology.json"
    assert intake(one, "verify", "--chronology", str(good)).returncode == 0

    # a byte in the JSON: one letter of the e-mail's subject
    data = good.read_bytes()
    i = data.index(b"Ik zie je")
    bad = out / "bad.json"
    bad.write_bytes(data[:i] + b"Ik zag je" + data[i + 9:])
    r = intake(one, "verify", "--chronology", str(bad), ok=False)
    assert r.returncode != 0
    assert "Vermelding 2 is gewijzigd: de inhoud komt niet overeen met de entry_hash." in r.stdout

    # an exhibit in the store: verify --chronology with the case names it
    doc = json.loads(data)
    sha = doc["exhibits"][0]["sha256"]
    stored = next((one / "store" / "a" / "objects").rglob(sha))
    os.chmod(stored, 0o600)
    blob = bytearray(stored.read_bytes())
    blob[-1] ^= 1
    stored.write_bytes(bytes(blob))
    r = intake(one, "verify", "--chronology", str(good), ok=False)
    assert r.returncode != 0 and doc["exhibits"][0]["label"] in r.stdout
    intake(one, "repair")
    intake(one, "verify", "--chronology", str(good))

    # a byte in the bundle: sha256sum -c catches it
    folder = base / "unzipped"
    with zipfile.ZipFile(out / "evidence-bundle.zip") as z:
        z.extractall(folder)
    sums = next(folder.rglob("SHA256SUMS"))
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"],
                          cwd=sums.parent).returncode == 0
    exhibit = next((sums.parent / "exhibits").iterdir())
    exhibit.write_bytes(exhibit.read_bytes() + b"!")
    r = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=sums.parent,
                       capture_output=True, text=True)
    assert r.returncode != 0 and f"{exhibit.name}: FAILED" in r.stdout


def test_inclusion_proof_checks_against_the_root_alone(two_cases) -> None:
    one, _, base = two_cases
    out = base / "proof"
    intake(one, "chronology", "--out", str(out), "--format", "json", "--proof", "2")
    root = json.loads((out / "chronology.json").read_bytes())["merkle_root"]
    proof_file = out / "proof-entry-2.json"
    proof = json.loads(proof_file.read_bytes())
    assert proof["entry"]["number"] == 2 and "entries" not in proof  # the others stay hidden
    r = intake(one, "verify", "--proof", str(proof_file), "--root", root)
    assert "Het bewijs klopt: vermelding 2 hoort bij" in r.stdout  # the case speaks Dutch
    assert intake(one, "verify", "--proof", str(proof_file), "--root", "0" * 64,
                  ok=False).returncode != 0
    proof["entry"]["what"] = proof["entry"]["what"] + "."
    altered = out / "altered.json"
    altered.write_text(json.dumps(proof), encoding="utf-8")
    r = intake(one, "verify", "--proof", str(altered), "--root", root, ok=False)
    assert r.returncode != 0 and "PROBLEEM: vermelding 2: de inhoud komt niet overeen" in r.stdout


def test_adviser_sets_a_category_and_it_survives_reindex(two_cases) -> None:
    _, two, base = two_cases
    r = intake(two, "category", "1", "damage")
    assert "Vermelding 1 (e-" in r.stdout and "categorie is nu damage" in r.stdout
    intake(two, "chronology", "--out", str(base / "cat"), "--format", "json")
    doc = json.loads((base / "cat" / "chronology.json").read_bytes())
    assert doc["entries"][0]["category"] == "damage"
    for p in two.glob(".intake/index.sqlite*"):
        p.unlink()
    intake(two, "reindex")
    intake(two, "chronology", "--out", str(base / "cat2"), "--format", "json")
    assert (base / "cat2" / "chronology.json").read_bytes() == \
        (base / "cat" / "chronology.json").read_bytes()
    assert intake(two, "category", "99", "damage", ok=False).returncode != 0
