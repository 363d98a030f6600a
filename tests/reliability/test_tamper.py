"""5. Tamper evidence: every field of the chronology, the bundle and the custody log, in turn.

- chronology.json: every leaf value of a real chronology is changed, then
  written back canonically (as a forger would, recomputing nothing) and also
  as a raw byte edit of the file; ``verify_chronology`` must report each one
  and say where (the entry, the exhibit, or the field / byte offset).
- evidence-bundle.zip: each file inside is altered in turn; ``sha256sum -c
  SHA256SUMS`` must fail on exactly that file.
- the custody log: each field of a line is changed in one replica;
  ``intake verify`` must name the replica and the line.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from intake.chronology.canonical import canonical_bytes
from intake.chronology.verify import verify_chronology
from tests.helpers import (
    FULL,
    drop,
    ingest,
    make_jpeg,
    new_case,
    ok,
    replica,
    run_intake,
    size,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("tamper")
    case = new_case(tmp / "case")
    msg = EmailMessage()
    msg["From"] = "stalker@example.org"
    msg["To"] = "victim@example.org"
    msg["Subject"] = "ik zie je"
    msg["Date"] = "Fri, 01 Mar 2024 21:15:00 +0100"
    msg["Message-ID"] = "<t-1@example.org>"
    msg.set_content("Ik stond aan je deur.\n")
    drop(case, "mail.eml", msg.as_bytes())
    drop(case, "car.jpg", make_jpeg(exif_time="2024:02:28 07:45:00"))
    drop(case, "Screenshot_20240302-101500.png", make_jpeg(color=(1, 2, 3)))
    drop(case, "logboek.md", b"# Logboek\n\n## Deur\nDatum: 03/03/2024\nTijd: 22:00\n"
                             b"Wat: Hij belde aan.\n")
    drop(case, "unknown.bin", b"\x00\x01 nothing anyone can read")
    ingest(case)
    out = tmp / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json,bundle"))
    data = (out / "chronology.json").read_bytes()
    assert verify_chronology(data, None) == []
    return {"case": case, "out": out, "data": data, "doc": json.loads(data)}


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [leaf for k in sorted(node) for leaf in _leaves(node[k], (*path, k))]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*path, i))] or [path]
    return [path]


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> None:
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
            return ("0" if value[0] != "0" else "1") + value[1:]  # a plausible other hash
        return value + "x" if value else "x"
    if value is None:
        return "x"
    if isinstance(value, list):
        return [*value, "x"]
    return value


def _where(doc: dict, path: tuple) -> list[str]:
    """Words one of which a problem must contain to say where the change is."""
    words = [str(path[-1])] if path and isinstance(path[-1], str) else []
    if path[0] in ("entries", "undated") and len(path) > 1:
        number = doc[path[0]][path[1]]["number"]
        words += [f"Entry {number}", f"entry {number}", f"entries {number}"]
    elif path[0] == "exhibits" and len(path) > 1:
        words += [f"Exhibit {doc['exhibits'][path[1]]['label']}", "exhibit"]
    else:
        words += [str(path[0]), "header"]
    return words


def test_every_field_of_the_chronology_is_checked(built: dict[str, Any], figures) -> None:
    doc, data = built["doc"], built["data"]
    leaves = _leaves(doc)
    undetected, unlocated = [], []
    for path in leaves:
        forged = json.loads(data)
        old = _get(forged, path) if path else forged
        _set(forged, path, _changed(old))
        problems = verify_chronology(canonical_bytes(forged), None)
        if not problems:
            undetected.append(path)
        elif not any(w in p for p in problems for w in _where(doc, path)):
            unlocated.append((path, problems[:2]))
    assert undetected == [], undetected
    assert unlocated == [], unlocated[:5]
    figures(chronology_fields_altered=len(leaves), detected=len(leaves), located=len(leaves))


def test_every_raw_byte_edit_of_the_chronology_is_found(built: dict[str, Any], figures) -> None:
    data = built["data"]
    rng = random.Random(3)
    offsets = list(range(len(data))) if FULL else sorted(rng.sample(range(len(data)),
                                                                     min(400, len(data))))
    missed, unlocated = [], []
    for at in offsets:
        old = data[at]
        new = ord("0") if old != ord("0") else ord("1")
        edited = data[:at] + bytes([new]) + data[at + 1:]
        problems = verify_chronology(edited, None)
        if not problems:
            missed.append(at)
        elif not any(w in p for p in problems
                     for w in ("Entry", "entry", "Exhibit", "byte", "root_hash", "header",
                               "schema", "field", "chain")):
            unlocated.append((at, problems[:2]))
    assert missed == [], missed[:20]
    assert unlocated == [], unlocated[:5]
    figures(raw_byte_edits=len(offsets), detected=len(offsets))


def _sha256sum_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                          text=True)


@pytest.mark.skipif(not shutil.which("sha256sum"), reason="sha256sum is not installed")
def test_every_file_of_the_bundle_is_checked(built: dict[str, Any], tmp_path: Path,
                                             figures) -> None:
    bundle = built["out"] / "evidence-bundle.zip"
    clean = tmp_path / "clean"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(clean)
        names = [n.split("/", 1)[1] for n in zf.namelist() if not n.endswith("/")]
    top = clean / "evidence-bundle"
    assert _sha256sum_check(top).returncode == 0
    assert verify_chronology((top / "chronology.json").read_bytes(), None) == []
    altered = 0
    for name in names:
        if name == "SHA256SUMS":
            continue
        for how in ("flip", "truncate", "delete"):
            work = tmp_path / f"w-{altered}"
            shutil.copytree(top, work)
            target = work / name
            if how == "delete":
                target.unlink()
            else:
                raw = bytearray(target.read_bytes())
                if how == "flip":
                    raw[len(raw) // 2] ^= 0x01
                else:
                    del raw[max(0, len(raw) - 1):]
                target.write_bytes(bytes(raw))
            proc = _sha256sum_check(work)
            assert proc.returncode != 0, (name, how)
            failed = [line for line in proc.stdout.splitlines() if "FAILED" in line]
            assert [line.split(":", 1)[0] for line in failed] == [name], (name, how, proc.stdout)
            if name == "chronology.json" and how != "delete":
                assert verify_chronology(target.read_bytes(), None) != []
            shutil.rmtree(work)
            altered += 1
    # SHA256SUMS itself: a changed hash names its file
    sums = (top / "SHA256SUMS").read_text().splitlines()
    for i, line in enumerate(sums):
        work = tmp_path / f"s-{i}"
        shutil.copytree(top, work)
        digest, rel = line.split("  ", 1)
        sums2 = list(sums)
        sums2[i] = ("0" if digest[0] != "0" else "1") + digest[1:] + "  " + rel
        (work / "SHA256SUMS").write_text("\n".join(sums2) + "\n")
        proc = _sha256sum_check(work)
        assert proc.returncode != 0 and f"{rel}: FAILED" in proc.stdout
        shutil.rmtree(work)
        altered += 1
    figures(bundle_files=len(names), bundle_alterations=altered, detected=altered)


def _verify(case: Path) -> list[dict]:
    from intake.case import Case
    from intake.checks import verify

    with Case.open(case, write=False) as c:
        return [p.as_dict() for p in verify(c)[0]]


def test_every_field_of_a_custody_line_is_checked(tmp_path: Path, figures) -> None:
    case = new_case(tmp_path / "case")
    drop(case, "one.txt", b"one\n")
    drop(case, "two.txt", b"two\n")
    ingest(case)
    rep = replica(case, "a")
    segs = sorted((rep / "custody").glob("*.jsonl"))
    lines = [(seg, i, line) for seg in segs
             for i, line in enumerate(seg.read_bytes().splitlines())]
    n_total = len(lines)
    rng = random.Random(11)
    picks = sorted(set([1, n_total // 2, n_total] + rng.sample(range(1, n_total + 1),
                                                                 size(2, n_total) - 0)))
    checked = 0
    for number in picks:
        seg, i, line = lines[number - 1]
        record = json.loads(line)
        for key in sorted(record):
            forged = dict(record)
            forged[key] = _changed(record[key]) if not isinstance(record[key], dict) \
                else {**record[key], "x": 1}
            new_line = json.dumps(forged, sort_keys=True, ensure_ascii=False).encode()
            original = seg.read_bytes()
            seg_lines = original.splitlines()
            seg_lines[i] = new_line
            seg.write_bytes(b"\n".join(seg_lines) + b"\n")
            try:
                problems = _verify(case)  # what `intake verify --json` prints
            finally:
                seg.write_bytes(original)
            custody = [p for p in problems if p["what"] == "custody"]
            assert custody and all(p["replica"] == "a" for p in custody), (number, key, problems)
            assert any(f"line {number}" in p["message"] for p in custody), \
                (number, key, [p["message"] for p in custody])
            checked += 1
    ok(run_intake("verify", "--case", case))
    figures(custody_lines=n_total, lines_altered=len(picks), field_changes=checked,
            detected=checked)
