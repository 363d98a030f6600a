"""Sign with the adviser's or the organisation's key: PKCS#12 file or PKCS#11 token (eID).

pyHanko does the signing: PAdES baseline B-T on the police PDF (the TSA's
timestamp inside the signature, a visible box naming the signer) and a
detached CMS signature beside chronology.json. The key comes from
``[seal] signing_key`` (passphrase: ``INTAKE_SIGNING_PASSPHRASE`` or a
prompt) or ``[seal] pkcs11_module`` (PIN: ``INTAKE_PKCS11_PIN`` or a prompt;
a Belgian eID reader with a PIN pad asks on the reader).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from asn1crypto import tsp

from ..config import SealConfig
from ..errors import IntakeError
from . import tsa


def _timestamper(cfg: SealConfig):
    """A pyHanko TimeStamper that asks the case's TSAs through ``tsa.fetch`` (no other HTTP)."""
    from pyhanko.sign.timestamps.api import TimeStamper

    class CaseTsa(TimeStamper):
        async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
            digest = req["message_imprint"]["hashed_message"].native
            der = tsa.fetch(cfg.tsa_urls, digest, cfg.timeout_seconds, request=req)
            return tsp.TimeStampResp.load(der)

    return CaseTsa() if cfg.tsa_urls else None


def load(cfg: SealConfig, ask: Callable[[str], str] | None = None):
    """The signer the config names, or None. `ask(prompt)` reads a secret when no variable has it.

    :raises IntakeError: a wrong passphrase or PIN, a missing token, in one line.
    """
    if cfg.signing_key is not None:
        from pyhanko.sign import signers

        secret = os.environ.get("INTAKE_SIGNING_PASSPHRASE")
        if secret is None and ask is not None:
            secret = ask(f"Passphrase of {cfg.signing_key.name}")
        logging.disable(logging.ERROR)  # pyHanko logs a traceback for what we say in one line
        try:
            signer = signers.SimpleSigner.load_pkcs12(
                str(cfg.signing_key), passphrase=(secret or "").encode() or None)
        except Exception as exc:
            raise IntakeError(f"{cfg.signing_key}: cannot open the signing key (wrong "
                              "passphrase, or not a PKCS#12 file)") from exc
        finally:
            logging.disable(logging.NOTSET)
        if signer is None:
            raise IntakeError(f"{cfg.signing_key}: cannot open the signing key (wrong "
                              "passphrase, or not a PKCS#12 file)")
        return signer
    if cfg.pkcs11_module:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        pin = os.environ.get("INTAKE_PKCS11_PIN")
        if pin is None and ask is not None:
            pin = ask("PIN of the signing card or token")
        try:
            criteria = TokenCriteria(label=cfg.pkcs11_token) if cfg.pkcs11_token else None
            session = open_pkcs11_session(cfg.pkcs11_module, token_criteria=criteria,
                                          user_pin=pin)
            return PKCS11Signer(session, key_label=cfg.pkcs11_key or None,
                                cert_label=cfg.pkcs11_key or None)
        except Exception as exc:
            raise IntakeError(f"the PKCS#11 token could not be used ({exc}); is the card in "
                              "the reader and the PIN right?") from exc
    return None


def sign_detached(signer, data: bytes, cfg: SealConfig, stamp: bool = True) -> bytes:
    """A detached CMS SignedData (DER) over `data`, with the TSA's timestamp when there is one."""
    cms_obj = asyncio.run(signer.async_sign_general_data(
        data, "sha256", detached=True, timestamper=_timestamper(cfg) if stamp else None))
    return cms_obj.dump()


def check_detached(p7s: bytes, data: bytes) -> list[str]:
    """Is the detached signature intact over `data`? (Trust in the signer is the reader's call.)"""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    try:
        signed = cms.ContentInfo.load(p7s)["content"]
        own = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
        logging.disable(logging.ERROR)  # pyHanko logs what we say in one line below
        try:
            status = asyncio.run(async_validate_detached_cms(
                data, signed, signer_validation_context=ValidationContext(trust_roots=own)))
        finally:
            logging.disable(logging.NOTSET)
    except Exception as exc:
        return [f"not a readable signature ({type(exc).__name__})"]
    if not status.intact or not status.valid:
        return ["the signature does not match chronology.json (one of them was changed)"]
    return []


def _box_pdf(text: str, target: Path) -> Path:
    """The signature box's look, typeset by typst: its fonts are embedded, as PDF/A wants."""
    import datetime as dt

    import typst

    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    literal = "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in (text, when))
    src = target.with_suffix(".typ")
    src.write_text('#set page(width: 274pt, height: 70pt, margin: 8pt)\n'
                   '#set text(font: "Libertinus Serif", size: 10pt)\n'
                   f'#align(horizon, text("{literal}"))\n', encoding="utf-8")
    try:
        target.write_bytes(typst.compile(str(src)))
    finally:
        src.unlink(missing_ok=True)
    return target


def signer_name(signer) -> str:
    """The signer's common name (else the whole subject), for the box and the report."""
    subject = signer.signing_cert.subject
    return subject.native.get("common_name") or subject.human_friendly


def sign_pdf(signer, path: Path, cfg: SealConfig, box_text: str, stamp: bool = True) -> None:
    """Sign the PDF at `path` in place: PAdES B-T, a visible box on the last page.

    `stamp=False`: B-B, without the TSA's timestamp (when no TSA answers).
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.stamp import StaticStampStyle

    with open(path, "rb") as f:
        pages = int(PdfFileReader(f).root["/Pages"]["/Count"])
    meta = signers.PdfSignatureMetadata(field_name="intake-signature", md_algorithm="sha256",
                                        subfilter=SigSeedSubFilter.PADES)
    spec = fields.SigFieldSpec("intake-signature", on_page=pages - 1,
                               box=(56, 56, 330, 126))
    box = _box_pdf(box_text, path.with_name(path.name + ".box.pdf"))
    tmp = path.with_name(path.name + ".signing")
    try:  # pyHanko reads the box's PDF while it signs
        style = StaticStampStyle.from_pdf_file(str(box), border_width=1)
        pdf_signer = signers.PdfSigner(meta, signer=signer,
                                       timestamper=_timestamper(cfg) if stamp else None,
                                       stamp_style=style, new_field_spec=spec)
        with open(path, "rb") as inf, open(tmp, "wb") as outf:
            writer = IncrementalPdfFileWriter(inf)
            asyncio.run(pdf_signer.async_sign_pdf(writer, output=outf))
        os.replace(tmp, path)
    finally:
        box.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)  # a signature that failed half-way leaves nothing
