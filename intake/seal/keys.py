"""`intake keys new`: a self-signed signing key and certificate, as PKCS#12 and PEM."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ..errors import IntakeError


def new_pkcs12(out: Path, name: str, passphrase: str, years: int = 5) -> Path:
    """Write `out` (PKCS#12: key and certificate) and `out`.pem (the certificate alone).

    Never over an existing file: a signing key is not something to lose by a typo.
    """
    pem = out.with_suffix(".pem")
    for path in (out, pem):
        if path.exists():
            raise IntakeError(f"{path} exists already; choose another name")
    if not 1 <= years <= 30:
        raise IntakeError(f"--years {years}: allowed 1 to 30")
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))
    enc = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
           else serialization.NoEncryption())
    blob = pkcs12.serialize_key_and_certificates(name.encode(), key, cert, None, enc)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pem
