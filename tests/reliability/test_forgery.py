"""Forgery beyond one field: the index edited on its own, the custody log cut or rewritten.

Each test runs an attack exactly as an adversarial tester ran it against the
landed code (issue 9, points 5 and 6), through the real CLI, and checks that
the forgery neither reaches a report nor passes ``intake verify``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
from pathlib import Path

from tests.helpers import (
    custody_lines,
    drop,
    ingest,
    make_mail,
    meta_dir,
    new_case,
    ok,
    replica,
    run_intake,
)

TRUE_TEXT = "Ik stond aan je deur."
FORGED_TEXT = "Ik heb je nooit iets gestuurd."
TRUE_UTC = "2024-03-01T20:15:00Z"
FORGED_UTC = "2024-06-30T08:00:00Z"


def _mail() -> bytes:
    return make_mail(message_id="<forge-1@example.org>", body=TRUE_TEXT + "\n")


def _case(tmp_path: Path) -> tuple[Path, str]:
    case = new_case(tmp_path / "case")
    drop(case, "mail.eml", _mail())
    drop(case, "note.txt", b"een notitie\n")
    ingest(case)
    return case, hashlib.sha256(_mail()).hexdigest()


def _forge_index(case: Path, sha: str) -> None:
    """What the tester did with the sqlite3 shell: a message's text and date rewritten."""
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    with db:
        db.execute(
            "UPDATE extractions SET data = json_set(data, '$.events[0].facts.excerpt', ?, "
            "'$.events[0].claims[0].utc', ?, '$.events[0].claims[0].local', ?) WHERE sha256=?",
            (FORGED_TEXT, FORGED_UTC, "2024-06-30T10:00:00", sha))
        db.execute("UPDATE events SET utc=? WHERE sha256=?", (FORGED_UTC, sha))
    db.close()


def _chronology(case: Path, out: Path, formats: str = "json,csv"):
    return run_intake("chronology", "--case", case, "--out", out, "--format", formats)


def test_index_edit_of_a_message_never_reaches_a_report_and_fails_verify(tmp_path: Path) -> None:
    case, sha = _case(tmp_path)
    _forge_index(case, sha)
    out = tmp_path / "out"
    ok(_chronology(case, out))
    doc = json.loads((out / "chronology.json").read_bytes())
    mail = next(e for e in doc["entries"] if e["kind"] == "email")
    assert mail["instant"] == TRUE_UTC
    assert mail["facts"]["excerpt"] == TRUE_TEXT
    raw = (out / "chronology.json").read_text(encoding="utf-8")
    assert FORGED_TEXT not in raw and FORGED_UTC not in raw
    csv_text = next(out.glob("*.csv")).read_text(encoding="utf-8-sig")
    assert FORGED_TEXT not in csv_text and "30/06/2024" not in csv_text and "2024-06-30" not in csv_text
    assert any("01/03/2024" in " ".join(r) or "2024-03-01" in " ".join(r)
               for r in csv.reader(csv_text.splitlines(), delimiter=";"))
    ok(run_intake("verify", "--chronology", out / "chronology.json", "--case", case))

    proc = run_intake("verify", "--json", "--case", case)
    assert proc.returncode != 0, proc.stdout
    problems = json.loads(proc.stdout)["problems"]
    index = [p for p in problems if p["what"] == "index"]
    assert index and all(p["sha256"] == sha for p in index), problems
    words = " ".join(p["message"] for p in index)
    assert "mail.eml" in words
    assert "events[0].facts.excerpt" in words and "events[0].claims[0].utc" in words
    assert f"utc (index: '{FORGED_UTC}', evidence: '{TRUE_UTC}')" in words

    # repair rebuilds the cache from the evidence; then all is well again
    ok(run_intake("repair", "--case", case))
    ok(run_intake("verify", "--case", case))
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    (data,) = db.execute("SELECT data FROM extractions WHERE sha256=?", (sha,)).fetchone()
    db.close()
    assert json.loads(data)["events"][0]["facts"]["excerpt"] == TRUE_TEXT


def test_extraction_json_edited_in_every_replica_and_its_hash_in_the_index(tmp_path: Path) -> None:
    case, sha = _case(tmp_path)
    rel = f"{sha[:2]}/{sha}/extraction.json"
    forged = b""
    for name in ("a", "b"):
        path = meta_dir(replica(case, name), sha) / "extraction.json"
        data = json.loads(path.read_bytes())
        data["events"][0]["facts"]["excerpt"] = FORGED_TEXT
        data["events"][0]["claims"][0]["utc"] = FORGED_UTC
        forged = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1).encode() + b"\n"
        path.chmod(0o600)
        path.write_bytes(forged)
    forged_hash = hashlib.sha256(forged).hexdigest()
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    with db:
        db.execute("UPDATE meta_files SET sha256=? WHERE path=?", (forged_hash, rel))
    db.close()
    _forge_index(case, sha)

    proc = run_intake("verify", "--json", "--case", case)
    assert proc.returncode != 0, proc.stdout
    problems = json.loads(proc.stdout)["problems"]
    damaged = sorted(p["replica"] for p in problems if p["what"] == "damaged-meta"
                     and p["sha256"] == sha and "extraction.json" in p["message"])
    assert damaged == ["a", "b"], problems
    assert any(p["what"] == "index" and f"meta/{rel}" in p["message"] for p in problems)

    out = tmp_path / "out"
    proc = _chronology(case, out)
    assert proc.returncode != 0
    assert f"meta/{rel}" in proc.stderr and "custody log" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / "chronology.json").exists()
    # a writing command rebuilds the index only from what the log vouches for
    ok(run_intake("reindex", "--case", case))
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    assert db.execute("SELECT COUNT(*) FROM extractions WHERE sha256=?", (sha,)).fetchone() == (0,)
    assert db.execute("SELECT sha256 FROM meta_files WHERE path=?", (rel,)).fetchone() != \
        (forged_hash,)
    db.close()
    assert custody_lines(replica(case, "a"))


def test_a_resealed_chronology_with_a_forged_date_fails_verify_with_the_case(
        tmp_path: Path) -> None:
    """What the forged index used to give: a chronology whose hashes are all its own."""
    from intake.chronology.canonical import canonical_bytes
    from intake.chronology.hashing import seal
    from intake.chronology.verify import verify_chronology

    case, sha = _case(tmp_path)
    out = tmp_path / "out"
    ok(_chronology(case, out, "json"))
    doc = json.loads((out / "chronology.json").read_bytes())
    mail = next(e for e in doc["entries"] if e["kind"] == "email")
    mail["facts"]["excerpt"] = FORGED_TEXT
    forged = tmp_path / "forged.json"
    forged.write_bytes(canonical_bytes(seal(doc)))
    assert verify_chronology(forged.read_bytes(), None) == []  # intact on its own
    proc = run_intake("verify", "--chronology", forged, "--case", case)
    assert proc.returncode != 0
    assert f"entry {mail['number']} (email, {TRUE_UTC})" in proc.stdout
    assert "werd gewijzigd" in proc.stdout and "facts" in proc.stdout  # in the case's Dutch
    ok(run_intake("verify", "--chronology", out / "chronology.json", "--case", case))


# --------------------------------------------------------------------------- point 6

def _write_log(rep: Path, lines: list[bytes]) -> None:
    """Replace a replica's custody log by `lines` (one segment), as a forger would."""
    for seg in (rep / "custody").glob("*.jsonl"):
        seg.unlink()
    if lines:
        (rep / "custody" / "0000000001.jsonl").write_bytes(b"\n".join(lines) + b"\n")


def _rechain(lines: list[bytes]) -> list[bytes]:
    """Recompute seq and prev on every line: a plain SHA-256 chain anyone can redo."""
    out: list[bytes] = []
    prev = "0" * 64
    for n, line in enumerate(lines, 1):
        rec = json.loads(line)
        rec["seq"], rec["prev"] = n, prev
        new = json.dumps(rec, sort_keys=True, ensure_ascii=False).encode()
        out.append(new)
        prev = hashlib.sha256(new).hexdigest()
    return out


def _remove_item(case: Path, sha: str) -> None:
    for name in ("a", "b"):
        rep = replica(case, name)
        for path in (rep / "objects" / sha[:2] / sha, meta_dir(rep, sha)):
            if path.exists():
                for p in [path, *path.rglob("*")]:
                    p.chmod(0o700 if p.is_dir() else 0o600)
                if path.is_dir():
                    import shutil
                    shutil.rmtree(path)
                else:
                    path.unlink()


def _index_seq(case: Path) -> int:
    db = sqlite3.connect(case / ".intake" / "index.sqlite")
    (value,) = db.execute("SELECT value FROM state WHERE key='custody_seq'").fetchone()
    db.close()
    return int(value)


def test_cut_log_in_every_replica_is_not_rebuilt_silently(tmp_path: Path) -> None:
    case = new_case(tmp_path / "case")
    drop(case, "first.txt", b"first\n")
    ingest(case)
    keep = len(custody_lines(replica(case, "a")))
    drop(case, "second.txt", b"second\n")
    ingest(case)
    full = len(custody_lines(replica(case, "a")))
    assert full > keep
    # the attack: the last lines cut in every replica, and the item they speak of removed
    for name in ("a", "b"):
        _write_log(replica(case, name), custody_lines(replica(case, name))[:keep])
    _remove_item(case, hashlib.sha256(b"second\n").hexdigest())

    drop(case, "third.txt", b"third\n")
    proc = run_intake("ingest", "--case", case, "--in-process")  # any writing command
    assert proc.returncode == 6, (proc.stdout, proc.stderr)
    assert f"the custody log has {keep} lines" in proc.stderr
    assert f"line {full}" in proc.stderr and "cut off" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (case / "inbox" / "third.txt").is_file()  # nothing taken from a cut log
    assert _index_seq(case) == full  # not rebuilt from the shorter log
    assert len(custody_lines(replica(case, "a"))) == keep  # nothing appended either

    proc = run_intake("verify", "--json", "--case", case)
    assert proc.returncode != 0
    problems = json.loads(proc.stdout)["problems"]
    rollback = [p["message"] for p in problems if p["what"] == "rollback"]
    assert rollback and all(f"line {full}" in m for m in rollback), problems
    assert "this computer" in rollback[0] and "replica a" in rollback[0]
    assert any(p["what"] == "index" and "second.txt" in p["message"] for p in problems)
    st = run_intake("status", "--case", case)
    assert f"line {full}" in st.stderr and "cut off" in st.stderr  # the warning
    head = hashlib.sha256(custody_lines(replica(case, "a"))[-1]).hexdigest()
    assert f"{keep}, SHA-256 {head}" in st.stdout  # the log's head, in the case's language
    proc = _chronology(case, tmp_path / "out")
    assert proc.returncode != 0 and "cut off" in proc.stderr

    # the adviser accepts the log as it is: the log itself says so, for good
    ok(run_intake("reindex", "--accept-rollback", "--case", case))
    recs = [json.loads(x) for x in custody_lines(replica(case, "a"))]
    accepted = [r for r in recs if r["event"] == "rollback-accepted"]
    assert len(accepted) == 1 and accepted[0]["log_lines"] == keep
    assert f"line {full}" in accepted[0]["records"][0]
    ok(run_intake("verify", "--case", case))
    ingest(case)
    assert not (case / "inbox" / "third.txt").exists()


def _three_items(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    case = new_case(tmp_path / "case")
    shas = {}
    for name in ("a-first.txt", "b-middle.txt", "c-last.txt"):
        data = f"{name}\n".encode()
        drop(case, name, data)
        ingest(case)
        shas[name] = hashlib.sha256(data).hexdigest()
    return case, shas


def _cut_item_from_the_middle(case: Path, sha: str) -> None:
    for name in ("a", "b"):
        rep = replica(case, name)
        kept = [x for x in custody_lines(rep) if sha.encode() not in x]
        _write_log(rep, _rechain(kept))
    _remove_item(case, sha)


def test_item_removed_from_the_middle_with_the_chain_recomputed(tmp_path: Path) -> None:
    case, shas = _three_items(tmp_path)
    out = tmp_path / "handed-out"
    ok(_chronology(case, out, "json,pdf,bundle"))
    page1 = ""
    import shutil
    if shutil.which("pdftotext"):
        import subprocess
        page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(out / "chronology.pdf"),
                                "-"], capture_output=True, text=True).stdout
        import zipfile
        with zipfile.ZipFile(out / "evidence-bundle.zip") as zf:  # the log as handed out
            handed_log = zf.read("evidence-bundle/custody-log.jsonl").splitlines()
        head_seq = len(handed_log)
        head = hashlib.sha256(handed_log[-1]).hexdigest()
        assert f"{head_seq} · SHA-256" in page1 and head[:24] in page1.replace("\n", "")
    middle = shas["b-middle.txt"]
    _cut_item_from_the_middle(case, middle)

    proc = run_intake("reindex", "--case", case)  # what made it pass verify before
    assert proc.returncode == 6 and "rewritten" in proc.stderr, proc.stderr
    proc = run_intake("verify", "--json", "--case", case)
    assert proc.returncode != 0
    words = [p["message"] for p in json.loads(proc.stdout)["problems"] if p["what"] == "rollback"]
    assert words, proc.stdout
    proc = run_intake("verify", "--chronology", out / "chronology.json", "--case", case)
    assert proc.returncode != 0
    assert "herschreven" in proc.stdout or "afgeknipt" in proc.stdout  # the case's Dutch

    # the forger also deletes every head record: only what was handed out can tell now
    for name in ("a", "b"):
        (replica(case, name) / "custody-head.json").unlink()
    for f in Path(os.environ["XDG_STATE_HOME"]).glob("intake/custody-heads/*.json"):
        data = json.loads(f.read_text())
        data.pop(str(case.resolve()), None)
        f.write_text(json.dumps(data))
    ok(run_intake("reindex", "--case", case))
    ok(run_intake("verify", "--case", case))  # the honest limit: see docs/threat-model.md
    for handed in (out / "evidence-bundle.zip", out / "chronology.json"):
        proc = run_intake("verify", "--json", "--against", handed, "--case", case)
        assert proc.returncode == 5, (handed, proc.stdout, proc.stderr)
        problems = json.loads(proc.stdout)["problems"]
        assert any(middle[:12] in p and "b-middle.txt" in p for p in problems), problems
        assert any("entry" in p and "gone" in p for p in problems), problems
        assert not any(shas["a-first.txt"][:12] in p or shas["c-last.txt"][:12] in p
                       for p in problems), problems
    proc = run_intake("verify", "--json", "--against", out / "evidence-bundle.zip", "--case", case)
    problems = json.loads(proc.stdout)["problems"]
    assert any("not a continuation" in p for p in problems)
    removed = [p for p in problems if p.startswith("custody line") and "was removed" in p]
    assert removed and all(middle[:12] in p for p in removed), problems


def test_verify_against_a_bundle_of_an_untouched_case_passes(tmp_path: Path) -> None:
    case, _ = _three_items(tmp_path)
    out = tmp_path / "handed-out"
    ok(_chronology(case, out, "json,bundle"))
    drop(case, "d-later.txt", b"later\n")
    ingest(case)
    proc = ok(run_intake("verify", "--against", out / "evidence-bundle.zip", "--case", case))
    assert "Niets van wat overhandigd werd, is sindsdien verwijderd of gewijzigd" in proc.stdout
    ok(run_intake("verify", "--against", out / "chronology.json", "--case", case))
