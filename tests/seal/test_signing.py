"""Signatures: PKCS#12 (`intake keys new`) and PKCS#11 (SoftHSM2 standing in for an eID card).

The police PDF is signed PAdES B-T (the TSA's timestamp in the signature), with
a visible box, and stays PDF/A-3; chronology.json gets a detached CMS signature
that ``openssl cms -verify`` accepts. pyHanko's own validator judges the PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import pem
from asn1crypto import x509 as ax509

from tests.helpers.case import ok, run_intake

from .conftest import make_case
from .tsa_server import TestTsa, make_pki

SOFTHSM = next((p for p in ("/usr/lib/softhsm/libsofthsm2.so",
                            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
                if Path(p).is_file()), None)
PASS = {"INTAKE_SIGNING_PASSPHRASE": "correct horse"}


def _validate(pdf: Path, *roots: Path) -> object:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    anchors = [ax509.Certificate.load(pem.unarmor(r.read_bytes())[2]) for r in roots]
    with open(pdf, "rb") as f:
        sigs = PdfFileReader(f).embedded_signatures
        assert len(sigs) == 1
        return validate_pdf_signature(sigs[0], ValidationContext(trust_roots=anchors))


def _check_outputs(case: Path, out: Path, signer_pem: Path, signer: str) -> None:
    """What every signed chronology must satisfy, whoever the signer."""
    ca = case / "config" / "tsa-ca.pem"
    v = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-content",
                        str(out / "chronology.json"), "-in", str(out / "chronology.json.p7s"),
                        "-CAfile", str(signer_pem), "-out", os.devnull],
                       capture_output=True, text=True)
    assert "Verification successful" in v.stderr, v.stderr
    status = _validate(out / "chronology.pdf", signer_pem, ca)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.timestamp_validity is not None and status.timestamp_validity.valid  # B-T
    assert status.signing_cert.subject.native["common_name"] == signer
    assert str(status.coverage) == "SignatureCoverageLevel.ENTIRE_FILE"
    q = subprocess.run(["qpdf", "--check", str(out / "chronology.pdf")], capture_output=True,
                       text=True)
    assert q.returncode == 0 and "No syntax or stream encoding errors" in q.stdout
    with pikepdf.open(out / "chronology.pdf") as pdf:
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "B")
        names = set(pdf.attachments)
        assert {"chronology.json", "chronology.json.tsr", "chronology.json.p7s"} <= names
        widget = pdf.Root.AcroForm.Fields[0]
        assert str(widget.FT) == "/Sig" and [float(x) for x in widget.Rect] == \
            [56.0, 56.0, 330.0, 126.0]  # a visible box, on the last page
        fonts = subprocess.run(["pdffonts", str(out / "chronology.pdf")], capture_output=True,
                               text=True).stdout.splitlines()[2:]
        assert fonts and all(" yes " in line for line in fonts)  # every font embedded
    text = subprocess.run(["pdftotext", "-f", "5", "-l", "5", str(out / "chronology.pdf"), "-"],
                          capture_output=True, text=True).stdout
    assert f"Digitaal ondertekend door {signer}" in text
    ok(run_intake("verify", "--case", case, "--chronology", out / "chronology.json"))
    data = (out / "chronology.json").read_bytes()
    (out / "chronology.json").write_bytes(data.replace(b'"name"', b'"Name"', 1))
    r = run_intake("verify", "--case", case, "--chronology", out / "chronology.json")
    assert "PROBLEEM: chronology.json.p7s: the signature does not match chronology.json" \
        in r.stdout  # the default case speaks Dutch


@pytest.fixture(scope="module")
def a_case(tmp_path_factory: pytest.TempPathFactory, tsa: TestTsa) -> Path:
    case = make_case(tmp_path_factory.mktemp("signing") / "c", tsa)
    (case / "inbox" / "threat.txt").write_text("I know where you live\n")
    ok(run_intake("ingest", "--in-process", "--case", case))
    return case


def test_pkcs12_keys_new_then_signed_pdf_and_p7s(a_case: Path, tmp_path: Path,
                                                 tsa: TestTsa) -> None:
    case = a_case
    r = ok(run_intake("keys", "new", "--out", case / "config" / "adviser.p12", "--name",
                      "Slachtofferhulp Gent", env=PASS))
    assert "does not prove who that is" in r.stdout
    assert "A qualified certificate (a Belgian eID card" in r.stdout
    assert oct((case / "config" / "adviser.p12").stat().st_mode)[-3:] == "600"
    again = run_intake("keys", "new", "--out", case / "config" / "adviser.p12", "--name", "x",
                       env=PASS)
    assert again.returncode != 0 and "exists already" in again.stderr
    cfg = case / "config" / "intake.toml"
    cfg.write_text(cfg.read_text() + 'signing_key = "config/adviser.p12"\n')
    wrong = run_intake("chronology", "--case", case, "--out", tmp_path / "x", "--format",
                       "json", env={"INTAKE_SIGNING_PASSPHRASE": "wrong"})
    assert wrong.returncode != 0
    assert ("adviser.p12: kan de ondertekeningssleutel niet openen (verkeerde wachtzin"
            in wrong.stderr)  # a Dutch case
    assert "Traceback" not in wrong.stderr  # pyHanko's own log of it is not shown
    out = tmp_path / "out"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json,pdf", env=PASS))
    _check_outputs(case, out, case / "config" / "adviser.pem", "Slachtofferhulp Gent")
    tsa.stop()  # no TSA: signed all the same (B-B), and said
    down = run_intake("chronology", "--case", case, "--out", tmp_path / "down", "--format",
                      "json,pdf", env=PASS)
    assert down.returncode == 1
    said = " ".join(down.stderr.split())  # a Dutch case: every part in Dutch
    assert "chronology.pdf ondertekend zonder tijdstempel (geen TSA antwoordde: geen tijdstempel: http" in said
    assert "chronology.json.tsr niet geschreven: geen tijdstempel: http" in said
    assert ": is niet bereikbaar (" in said and "cannot be reached" not in said
    v = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-content",
                        str(tmp_path / "down" / "chronology.json"), "-in",
                        str(tmp_path / "down" / "chronology.json.p7s"), "-CAfile",
                        str(case / "config" / "adviser.pem"), "-out", os.devnull],
                       capture_output=True, text=True)
    assert "Verification successful" in v.stderr


@pytest.mark.skipif(SOFTHSM is None or not shutil.which("pkcs11-tool"),
                    reason="softhsm2 and opensc are needed (apt-get install softhsm2 opensc)")
def test_pkcs11_token_signs_like_an_eid_card(a_case: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    case = a_case
    conf = tmp_path / "softhsm2.conf"
    (tmp_path / "tokens").mkdir()
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}

    def run(*args: str) -> None:
        subprocess.run(args, env=env, check=True, capture_output=True)

    run("softhsm2-util", "--init-token", "--free", "--label", "BELPIC", "--pin", "1234",
        "--so-pin", "5678")
    pki = make_pki("Citizen", signer="An Peeters (Signature)")  # a CA and its citizen
    key = tmp_path / "key.pem"
    key.write_bytes(pki.tsa_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    cert = tmp_path / "cert.der"
    cert.write_bytes(pki.tsa_cert.public_bytes(serialization.Encoding.DER))
    run("softhsm2-util", "--import", str(key), "--token", "BELPIC", "--label", "Signature",
        "--id", "01", "--pin", "1234")
    run("pkcs11-tool", "--module", SOFTHSM, "--login", "--pin", "1234", "--token-label",
        "BELPIC", "--write-object", str(cert), "--type", "cert", "--label", "Signature",
        "--id", "01")
    cfg = case / "config" / "intake.toml"
    text = cfg.read_text().replace('signing_key = "config/adviser.p12"\n', "")
    cfg.write_text(text + f'pkcs11_module = "{SOFTHSM}"\npkcs11_token_label = "BELPIC"\n'
                          'pkcs11_key_label = "Signature"\n')
    signer_ca = tmp_path / "citizen-ca.pem"
    signer_ca.write_bytes(pki.ca_pem())
    out = tmp_path / "out"
    hsm = {"SOFTHSM2_CONF": str(conf), "INTAKE_PKCS11_PIN": "1234"}
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json,pdf", env=hsm))
    _check_outputs(case, out, signer_ca, "An Peeters (Signature)")
    bad = run_intake("chronology", "--case", case, "--out", tmp_path / "bad", "--format",
                     "json", env={**hsm, "INTAKE_PKCS11_PIN": "0000"})
    assert bad.returncode != 0 and "the PKCS#11 token could not be used" in bad.stderr
