"""Check an RFC 3161 token offline: imprint, CMS signature, chain to the case's TSA CAs.

The checks a court's expert would make with ``openssl ts -verify``, done in
Python so that ``intake verify`` needs no other tool: the token is over the
value we expect, the TSA's signature over it holds, and the TSA's certificate
(allowed to time-stamp) chains to a certificate in ``[seal] tsa_ca_files``
and was valid at the token's time. Revocation is not checked (offline).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..errors import IntakeError

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
           "sha1": hashes.SHA1}


class TokenProblem(IntakeError):
    """A token that does not prove what it should; the words say why."""


@dataclass(frozen=True)
class TokenInfo:
    """What a good token says: when, by whom, over what."""

    gen_time: datetime  # UTC
    tsa: str  # the TSA certificate's subject
    serial: int
    imprint: bytes


def load_cas(paths: tuple[Path, ...] | list[Path]) -> list[x509.Certificate]:
    """The trust anchors: every certificate in the files (PEM, several per file, or DER)."""
    out: list[x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        try:
            out += (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                    else [x509.load_der_x509_certificate(data)])
        except ValueError as exc:
            raise IntakeError(f"{path}: not a certificate (PEM or DER)") from exc
    return out


def _token(der: bytes) -> cms.ContentInfo:
    """The token of a TimeStampResp, or the bytes themselves if they are a bare token."""
    try:
        resp = tsp.TimeStampResp.load(der)
        if resp["status"]["status"].native not in ("granted", "granted_with_mods"):
            raise TokenProblem("the TSA's answer is a refusal, not a token")
        token = resp["time_stamp_token"]
        token["content"]["encap_content_info"]  # noqa: B018  (parse now)
        return token
    except TokenProblem:
        raise
    except (ValueError, TypeError, KeyError):
        pass
    try:
        token = cms.ContentInfo.load(der)
        token["content"]["encap_content_info"]  # noqa: B018
        return token
    except (ValueError, TypeError, KeyError) as exc:
        raise TokenProblem("not a timestamp token (unreadable)") from exc


def _verify_sig(cert: x509.Certificate, signature: bytes, data: bytes, digest: str,
                sig_alg: str) -> None:
    key = cert.public_key()
    algorithm = _HASHES[digest]()
    if isinstance(key, rsa.RSAPublicKey):
        pad = (padding.PSS(padding.MGF1(algorithm), padding.PSS.AUTO)
               if sig_alg == "rsassa_pss" else padding.PKCS1v15())
        key.verify(signature, data, pad, algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise TokenProblem("the TSA's key is of a kind intake cannot check")


def _chain(signer: x509.Certificate, pool: list[x509.Certificate],
           anchors: list[x509.Certificate], when: datetime) -> None:
    """Walk from the TSA's certificate to a trust anchor, each valid at `when`."""
    cert, seen = signer, 0
    while True:
        if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            raise TokenProblem(f"the certificate '{cert.subject.rfc4514_string()}' was not "
                               f"valid at the token's time ({when:%Y-%m-%d %H:%M:%S} UTC; "
                               f"valid {cert.not_valid_before_utc:%Y-%m-%d} to "
                               f"{cert.not_valid_after_utc:%Y-%m-%d})")
        if cert in anchors:
            return
        issuers = [c for c in anchors + pool if c.subject == cert.issuer and c != cert]
        for issuer in issuers:
            try:
                cert.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):
                continue
            if issuer in anchors and issuer.not_valid_before_utc <= when <= \
                    issuer.not_valid_after_utc:
                return
            cert = issuer
            break
        else:
            raise TokenProblem(f"the TSA's certificate '{signer.subject.rfc4514_string()}' "
                               "does not chain to a trusted TSA CA ([seal] tsa_ca_files)")
        seen += 1
        if seen > 8:
            raise TokenProblem("the TSA's certificate chain is too long")


def check(der: bytes, imprint: bytes, anchors: list[x509.Certificate]) -> TokenInfo:
    """Check a TimeStampResp (or bare token) over `imprint` (SHA-256) against `anchors`.

    :raises TokenProblem: the first thing found wrong, in plain words.
    """
    token = _token(der)
    sd = token["content"]
    eci = sd["encap_content_info"]
    if eci["content_type"].native != "tst_info":
        raise TokenProblem("not a timestamp token (it signs something else)")
    tst_bytes = eci["content"].contents
    tst = tsp.TSTInfo.load(tst_bytes)
    mi = tst["message_imprint"]
    if mi["hash_algorithm"]["algorithm"].native != "sha256" or \
            mi["hashed_message"].native != imprint:
        raise TokenProblem("the token is over another value (its imprint "
                           f"{mi['hashed_message'].native.hex()} is not {imprint.hex()})")
    gen_time = tst["gen_time"].native
    signers = sd["signer_infos"]
    if len(signers) != 1:
        raise TokenProblem("the token must have exactly one signer")
    si = signers[0]
    pool = [x509.load_der_x509_certificate(c.chosen.dump()) for c in sd["certificates"] or []
            if c.name == "certificate"]
    sid = si["sid"]
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        issuer_der = sid.chosen["issuer"].dump()
        cands = [c for c in pool + anchors if c.serial_number == serial
                 and c.issuer.public_bytes() == issuer_der]
    else:
        ski = sid.chosen.native
        cands = [c for c in pool + anchors if _ski(c) == ski]
    if not cands:
        raise TokenProblem("the token does not carry the TSA's certificate")
    signer = cands[0]
    digest = si["digest_algorithm"]["algorithm"].native
    if digest not in _HASHES:
        raise TokenProblem(f"the token uses a digest intake does not accept ({digest})")
    attrs = si["signed_attrs"]
    found = {a["type"].native: a["values"][0].native for a in attrs}
    h = hashlib.new(digest, tst_bytes).digest()
    if found.get("message_digest") != h or found.get("content_type") != "tst_info":
        raise TokenProblem("the token's signed data does not match its content (altered)")
    signed = b"\x31" + attrs.dump()[1:]  # signed over the attributes as a SET (RFC 5652 5.4)
    try:
        _verify_sig(signer, si["signature"].native, signed, digest,
                    si["signature_algorithm"].signature_algo)
    except InvalidSignature as exc:
        raise TokenProblem("the TSA's signature on the token does not hold (altered)") from exc
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = []
    if ExtendedKeyUsageOID.TIME_STAMPING not in eku:
        raise TokenProblem(f"the certificate '{signer.subject.rfc4514_string()}' may not "
                           "sign timestamps (no timeStamping key usage)")
    _chain(signer, pool, anchors, gen_time)
    return TokenInfo(gen_time=gen_time, tsa=signer.subject.rfc4514_string(),
                     serial=tst["serial_number"].native, imprint=imprint)


def _ski(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None
