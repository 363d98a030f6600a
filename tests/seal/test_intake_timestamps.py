"""Timestamps at intake: batches under a token, a TSA that fails never holds intake up."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from intake.seal.tsa import TsaError, fetch
from tests.helpers.case import INTAKE, ingest, ok, run_intake, sha256

from .conftest import make_case
from .tsa_server import TestTsa, make_pki


def _log(case: Path) -> list[dict]:
    return [json.loads(line) for seg in sorted((case / "store" / "a" / "custody").glob("*.jsonl"))
            for line in seg.read_text().splitlines()]


def _batch(case: Path, replica: str = "a", n: int = 1) -> dict:
    return json.loads((case / "store" / replica / "meta" / "seals" /
                       f"batch-{n:06d}.json").read_text())


def test_a_batch_is_stamped_and_openssl_accepts_the_token(tmp_path: Path, tsa: TestTsa) -> None:
    case = make_case(tmp_path / "c", tsa)
    (case / "inbox" / "a.txt").write_text("first\n")
    (case / "inbox" / "b.txt").write_text("second\n")
    r = ok(run_intake("ingest", "--in-process", "--case", case))
    assert "tijdstempel gezet: 2 ontvangstbewijzen" in r.stdout
    batch = _batch(case)
    assert batch == _batch(case, "b")  # kept in every replica
    assert sorted(leaf["sha256"] for leaf in batch["leaves"]) == \
        sorted(sha256(d) for d in (b"first\n", b"second\n"))
    line = next(x for x in _log(case) if x["event"] == "batch-sealed")
    assert line["root"] == batch["root"]
    assert sorted(line["receipts"]) == sorted(x["receipt"] for x in batch["leaves"])
    assert batch["custody"]["custody_seq"] == line["seq"] - 1  # the head just before
    # the standard tool agrees: the token is over the Merkle root, signed by the test TSA
    tsr = tmp_path / "batch.tsr"
    tsr.write_bytes(base64.b64decode(batch["token"]))
    v = subprocess.run(["openssl", "ts", "-verify", "-digest", batch["root"], "-in", str(tsr),
                        "-CAfile", str(case / "config" / "tsa-ca.pem")],
                       capture_output=True, text=True)
    assert "Verification: OK" in v.stdout, v.stderr
    out = ok(run_intake("verify", "--json", "--case", case)).stdout
    seal = json.loads(out)["summary"]["seal"]
    assert (seal["batches"], seal["timestamped_receipts"], seal["awaiting_timestamp"]) == \
        (1, 2, 0)


def test_tsa_down_then_back_nothing_blocked_nothing_lost(tmp_path: Path, tsa: TestTsa) -> None:
    case = make_case(tmp_path / "c", tsa)
    tsa.stop()
    (case / "inbox" / "threat.txt").write_text("I know where you live\n")
    started = time.monotonic()
    answer = ingest(case)
    assert answer["outcomes"] == {"settled": 1}
    assert time.monotonic() - started < 60
    assert (case / "inbox" / "ingested" / "threat.txt").is_file()
    st = json.loads(ok(run_intake("status", "--json", "--case", case)).stdout)
    assert st["seal"]["awaiting_timestamp"] == 1
    assert st["seal"]["awaiting_since"].startswith("20")
    words = ok(run_intake("status", "--case", case)).stdout
    assert f"(sinds {st['seal']['awaiting_since']})" in words  # the case speaks Dutch
    v = run_intake("verify", "--case", case)
    assert v.returncode == 0  # waiting is not a problem, it is said
    assert "1 wachten erop (sinds " in v.stdout and "nog geen tijdstempel: stuk " in v.stdout
    r = run_intake("seal", "--case", case)
    assert r.returncode == 1 and "cannot be reached" in r.stderr
    tsa.start()  # back (on a new port: the config names the old one)
    cfg = case / "config" / "intake.toml"
    cfg.write_text(cfg.read_text().replace("tsa_urls = [", f'tsa_urls = ["{tsa.url}", '))
    assert "tijdstempel gezet: 1 ontvangstbewijs\n" in ok(run_intake("seal", "--case", case)).stdout
    assert "elk ontvangstbewijs heeft al zijn tijdstempel" in \
        ok(run_intake("seal", "--case", case)).stdout
    seal = json.loads(ok(run_intake("verify", "--json", "--case", case)).stdout)["summary"]["seal"]
    assert (seal["timestamped_receipts"], seal["awaiting_timestamp"]) == (1, 0)


def test_each_bad_answer_is_refused_and_said(tmp_path: Path, tsa: TestTsa) -> None:
    case = make_case(tmp_path / "c", tsa)
    (case / "inbox" / "x.txt").write_text("x\n")
    tsa.mode = "garbage"
    assert "not an RFC 3161 timestamp response" in ingest_words(case)
    tsa.mode = "wrong-imprint"
    r = run_intake("seal", "--case", case)
    assert r.returncode == 1
    assert (f"intake: geen tijdstempel: no timestamp: {tsa.url}: the token is over another "
            "value than the one asked for (wrong imprint)") in r.stderr
    for mode, words in [("refuse", "the TSA refused the request (rejection: policy not "
                                   "accepted)"),
                        ("http-error", "the server answered HTTP 500")]:
        tsa.mode = mode  # the same client, asked in this process (faster than the CLI)
        with pytest.raises(TsaError) as exc:
            fetch([tsa.url], bytes(32), 2)
        assert str(exc.value) == f"no timestamp: {tsa.url}: {words}"
    tsa.mode = "ok"
    good = tsa.pki
    try:
        tsa.use(make_pki("Stranger"))
        r = run_intake("seal", "--case", case)
        assert "does not chain to a trusted TSA CA ([seal] tsa_ca_files)" in r.stderr
        expired = make_pki("Old", expired=True)
        expired.ca_cert = good.ca_cert  # trusted CA, but its TSA certificate has ended
        tsa.use(_reissued(expired, good))
        r = run_intake("seal", "--case", case)
        assert "was not valid at the token's time" in r.stderr, r.stderr
        assert not (case / "store" / "a" / "meta" / "seals").exists()  # nothing kept
        # a TSA whose clock says the item came before it was received: kept, and named
        yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        tsa.use(good, when=yesterday)
        assert "tijdstempel gezet: 1 ontvangstbewijs\n" in ok(run_intake("seal", "--case", case)).stdout
    finally:
        tsa.use(good)
    problems = json.loads(run_intake("verify", "--json", "--case", case).stdout)["problems"]
    assert [p["message"].split(": ", 2)[2][:60] for p in problems] == [
        f"the TSA's time {yesterday:%Y-%m-%d %H:%M:%S} UTC is before a receipt's"] * 2


def test_a_slow_tsa_never_holds_the_watcher(tmp_path: Path, tsa: TestTsa) -> None:
    case = make_case(tmp_path / "c", tsa, "retry_seconds = 0.5\n", timeout=6)
    tsa.mode = "slow"
    tsa.slow_seconds = 30
    before = tsa.requests
    proc = subprocess.Popen([str(INTAKE), "watch", "--no-chronology", "--case", str(case)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        (case / "inbox" / "one.txt").write_text("one\n")
        _wait(lambda: (case / "inbox" / "ingested" / "one.txt").is_file(), 60)
        _wait(lambda: tsa.requests > before, 30)  # the watcher now waits for the TSA...
        asked = time.monotonic()
        (case / "inbox" / "two.txt").write_text("two\n")  # ...and still takes this at once
        _wait(lambda: (case / "inbox" / "ingested" / "two.txt").is_file(), 20)
        assert time.monotonic() - asked < 5  # within the 6 s the TSA is given
        tsa.mode = "ok"  # back: the watcher catches up by itself
        _wait(lambda: sum(len(x["receipts"]) for x in _log(case)
                          if x["event"] == "batch-sealed") == 2, 60)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=60)[0]
    assert "1 ontvangstbewijs wacht op een tijdstempel: " in out and "no answer within 6 seconds" in out
    assert "tijdstempel gezet: 2 ontvangstbewijzen (reeks 1)" in out


def _wait(cond, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def ingest_words(case: Path) -> str:
    r = ok(run_intake("ingest", "--in-process", "--case", case))
    return r.stdout + r.stderr


def _reissued(expired, good):
    """The expired TSA certificate, issued again by the trusted test CA."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    old = expired.tsa_cert
    builder = (x509.CertificateBuilder().subject_name(old.subject)
               .issuer_name(good.ca_cert.subject).public_key(expired.tsa_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(old.not_valid_before_utc)
               .not_valid_after(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
    for ext in old.extensions:
        if not isinstance(ext.value, x509.AuthorityKeyIdentifier):
            builder = builder.add_extension(ext.value, ext.critical)
    expired.tsa_cert = builder.sign(good.ca_key, hashes.SHA256())
    expired.ca_key = good.ca_key
    return expired
