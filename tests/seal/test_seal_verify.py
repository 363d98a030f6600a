"""`intake verify` checks every seal; a changed byte anywhere is found and located."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers.case import ok, run_intake, sha256

from .conftest import copy_case, make_case
from .tsa_server import TestTsa

PHOTO = b"screenshot of the threat, as bytes\n"


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory, tsa: TestTsa) -> Path:
    """One case: two items timestamped at intake, and a sealed chronology in out/."""
    case = make_case(tmp_path_factory.mktemp("sealed") / "c", tsa)
    (case / "inbox" / "threat.txt").write_bytes(PHOTO)
    (case / "inbox" / "call.txt").write_text("he called at 21:15\n")
    assert "tijdstempel gezet: 2 ontvangstbewijzen" in ok(run_intake("ingest", "--in-process", "--case",
                                                      case)).stdout
    ok(run_intake("chronology", "--case", case, "--out", case / "out", "--format",
                  "json,bundle"))
    return case


def _verify(case: Path) -> list[str]:
    r = run_intake("verify", "--json", "--case", case)
    return [p["message"] for p in json.loads(r.stdout)["problems"]]


def test_an_untouched_case_verifies(sealed: Path) -> None:
    assert _verify(sealed) == []


def test_a_changed_exhibit_is_found(sealed: Path, tmp_path: Path) -> None:
    case = copy_case(sealed, tmp_path / "c")
    obj = case / "store" / "a" / "objects" / sha256(PHOTO)[:2] / sha256(PHOTO)
    obj.chmod(0o600)
    obj.write_bytes(PHOTO.replace(b"threat", b"thread"))
    problems = _verify(case)
    assert any("threat.txt" in p and "replica a" in p for p in problems), problems


def test_a_changed_leaf_is_found_and_located(sealed: Path, tmp_path: Path) -> None:
    case = copy_case(sealed, tmp_path / "c")
    path = case / "store" / "b" / "meta" / "seals" / "batch-000001.json"
    doc = json.loads(path.read_text())
    doc["leaves"][1]["received_at"] = "2020-01-01T00:00:00.000Z"  # "it was there in 2020"
    path.write_text(json.dumps(doc))
    problems = _verify(case)
    rid = doc["leaves"][1]["receipt"]
    assert (f"replica b: meta/seals/batch-000001.json (timestamp of batch 1): leaf 2 (receipt "
            f"{rid}, item {doc['leaves'][1]['sha256'][:12]}…) does not match the receipt file"
            in problems), problems
    assert ("replica b: meta/seals/batch-000001.json (timestamp of batch 1): its leaves do not "
            "give the root that was timestamped (a leaf was changed)" in problems)
    assert not any(p.startswith("replica a: meta/seals") for p in problems)


def test_a_changed_token_is_found(sealed: Path, tmp_path: Path) -> None:
    case = copy_case(sealed, tmp_path / "c")
    path = case / "store" / "a" / "meta" / "seals" / "batch-000001.json"
    doc = json.loads(path.read_text())
    der = bytearray(base64.b64decode(doc["token"]))
    der[-20] ^= 0x01  # one bit of the TSA's signature
    doc["token"] = base64.b64encode(bytes(der)).decode()
    path.write_text(json.dumps(doc))
    problems = _verify(case)
    assert ("replica a: meta/seals/batch-000001.json (timestamp of batch 1): the timestamp "
            "token: the TSA's signature on the token does not hold (altered)" in problems), \
        problems


def test_the_chronology_token_checks_with_openssl_and_a_changed_byte_is_found(
        sealed: Path, tmp_path: Path) -> None:
    out = sealed / "out"
    ca = sealed / "config" / "tsa-ca.pem"
    v = subprocess.run(["openssl", "ts", "-verify", "-data", str(out / "chronology.json"),
                        "-in", str(out / "chronology.json.tsr"), "-CAfile", str(ca)],
                       capture_output=True, text=True)
    assert "Verification: OK" in v.stdout, v.stderr
    ok(run_intake("verify", "--case", sealed, "--chronology", out / "chronology.json"))
    # without the case (a recipient): the TSA's CA given on the command line
    alone = tmp_path / "alone"
    alone.mkdir()
    for name in ("chronology.json", "chronology.json.tsr"):
        (alone / name).write_bytes((out / name).read_bytes())
    ok(run_intake("verify", "--case", tmp_path, "--chronology", alone / "chronology.json",
                  "--tsa-ca", ca))
    data = bytearray((alone / "chronology.json").read_bytes())
    data[data.index(b'"name"')+1] = ord("N")
    (alone / "chronology.json").write_bytes(bytes(data))
    r = run_intake("verify", "--case", tmp_path, "--chronology", alone / "chronology.json",
                   "--tsa-ca", ca)
    assert r.returncode != 0
    assert "PROBLEM: chronology.json.tsr: the token is over another value" in r.stdout
    v = subprocess.run(["openssl", "ts", "-verify", "-data", str(alone / "chronology.json"),
                        "-in", str(alone / "chronology.json.tsr"), "-CAfile", str(ca)],
                       capture_output=True, text=True)
    assert v.returncode != 0 and "Verification: OK" not in v.stdout


def test_the_bundle_carries_the_token_and_lists_it(sealed: Path) -> None:
    import zipfile

    with zipfile.ZipFile(sealed / "out" / "evidence-bundle.zip") as z:
        tsr = z.read("evidence-bundle/chronology.json.tsr")
        sums = z.read("evidence-bundle/SHA256SUMS").decode()
        assert z.read("evidence-bundle/chronology.json") == \
            (sealed / "out" / "chronology.json").read_bytes()
    assert f"{sha256(tsr)}  chronology.json.tsr" in sums.splitlines()
    lines = [json.loads(x) for seg in sorted((sealed / "store" / "a" / "custody").glob("*.jsonl"))
             for x in seg.read_text().splitlines()]
    line = [x for x in lines if x["event"] == "chronology-sealed"]
    assert len(line) == 1 and line[0]["files"]["chronology.json.tsr"] == sha256(tsr)


def test_a_token_from_an_untrusted_tsa_is_named(sealed: Path, tmp_path: Path) -> None:
    """Trust is the config's: with another TSA CA, every token of the case is refused."""
    from .tsa_server import make_pki

    case = copy_case(sealed, tmp_path / "c")
    (case / "config" / "tsa-ca.pem").write_bytes(make_pki("Other").ca_pem())
    problems = _verify(case)
    assert problems == [
        f"replica {r}: meta/seals/batch-000001.json (timestamp of batch 1): the timestamp "
        "token: the TSA's certificate 'O=intake tests,CN=Test TSA' does not chain to a trusted "
        "TSA CA ([seal] tsa_ca_files)" for r in ("a", "b")]
