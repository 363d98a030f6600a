"""A time-stamping authority for the tests: RFC 3161 over HTTP on 127.0.0.1, port 0.

Its own test CA and TSA certificate are made in code (cryptography); the
tokens are signed by pyHanko's DummyTimeStamper (RFC 3161 TSTInfo in CMS,
with the ESS signing-certificate attribute that ``openssl ts -verify``
wants). ``mode`` makes it misbehave the ways a real TSA can.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import core, tsp
from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

NOW = dt.datetime.now(dt.UTC)


@dataclass
class Pki:
    ca_cert: x509.Certificate
    ca_key: rsa.RSAPrivateKey
    tsa_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey

    def ca_pem(self) -> bytes:
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "intake tests")])


def make_pki(label: str = "Test", *, expired: bool = False, signer: str = "") -> Pki:
    """A CA and a TSA certificate it issued (EKU timeStamping, critical).

    `expired`: the TSA certificate ended yesterday (tokens made now are after it).
    `signer`: instead, a person's signing certificate with this name (non-repudiation,
    no EKU, as on a Belgian eID card).
    """
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name(f"{label} TSA CA"))
          .issuer_name(_name(f"{label} TSA CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(NOW - dt.timedelta(days=30))
          .not_valid_after(NOW + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
          .sign(ca_key, hashes.SHA256()))
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    end = NOW - dt.timedelta(days=1) if expired else NOW + dt.timedelta(days=3650)
    tsa = (x509.CertificateBuilder().subject_name(_name(signer or f"{label} TSA"))
           .issuer_name(ca.subject).public_key(tsa_key.public_key())
           .serial_number(x509.random_serial_number())
           .not_valid_before(NOW - dt.timedelta(days=10)).not_valid_after(end)
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                        False), critical=True)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
               ca_key.public_key()), False))
    if not signer:
        tsa = tsa.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                                critical=True)
    tsa = tsa.sign(ca_key, hashes.SHA256())
    return Pki(ca, ca_key, tsa, tsa_key)


def _length(body: bytes) -> bytes:
    n = len(body)
    return bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82]) + n.to_bytes(2)


def _stamper(pki: Pki, when: dt.datetime | None = None) -> DummyTimeStamper:
    cert = ax509.Certificate.load(pki.tsa_cert.public_bytes(serialization.Encoding.DER))
    key = akeys.PrivateKeyInfo.load(pki.tsa_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return DummyTimeStamper(cert, key, fixed_dt=when)


class TestTsa:
    """The server. ``mode``: "ok", "garbage", "refuse", "wrong-imprint", "slow", "http-error"."""

    __test__ = False  # not a test class for pytest

    def __init__(self, pki: Pki | None = None) -> None:
        self.pki = pki or make_pki()
        self.mode = "ok"
        self.slow_seconds = 5.0
        self.requests = 0
        self.stamper = _stamper(self.pki)
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    def use(self, pki: Pki, when: dt.datetime | None = None) -> None:
        """Sign with another PKI from now on (an untrusted or expired TSA), or a clock
        stuck at `when`."""
        self.pki = pki
        self.stamper = _stamper(pki, when)

    def answer(self, body: bytes) -> tuple[int, bytes]:
        self.requests += 1
        if self.mode == "slow":
            time.sleep(self.slow_seconds)
        if self.mode == "garbage":
            return 200, b"<html>this is not a timestamp</html>"
        if self.mode == "http-error":
            return 500, b""
        req = tsp.TimeStampReq.load(body)
        if self.mode == "refuse":
            status = tsp.PKIStatusInfo({"status": "rejection",
                                        "status_string": ["policy not accepted"],
                                        "fail_info": tsp.PKIFailureInfo({"unaccepted_policy"})})
            return 200, core.Sequence.load(b"\x30" + _length(status.dump()) + status.dump()).dump()
        if self.mode == "wrong-imprint":
            imprint = req["message_imprint"].copy()
            imprint["hashed_message"] = bytes(32)
            req = tsp.TimeStampReq({**{k: req[k] for k in ("version", "nonce", "cert_req")},
                                    "message_imprint": imprint})
        resp = asyncio.run(self.stamper.async_request_tsa_response(req))
        return 200, resp.dump()

    def start(self) -> TestTsa:
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                code, data = tsa.answer(body)
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/timestamp-reply")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a slow answer)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port is closed (connections are refused) until `start` again."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def write_ca(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.pki.ca_pem())
        return path
