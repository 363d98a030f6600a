"""Seal chronology.json: a TSA token over its exact bytes, and a detached CMS signature.

``chronology.json.tsr`` is the TimeStampResp exactly as the TSA returned it, so
``openssl ts -verify -data chronology.json -in chronology.json.tsr -CAfile
tsa-ca.pem`` checks it with no intake at all. ``chronology.json.p7s`` is a
detached CMS signature (``openssl cms -verify -binary -inform DER``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import SealConfig
from ..recording import record_line
from . import token, tsa

TSR = "chronology.json.tsr"
P7S = "chronology.json.p7s"


@dataclass
class ChronologySeal:
    """What sealing chronology.json gave: files by name, and what could not be done."""

    files: dict[str, bytes] = field(default_factory=dict)
    tsa_time: str = ""  # the token's time, UTC ISO
    tsa_name: str = ""
    signer: str = ""
    problems: list[str] = field(default_factory=list)


def seal_chronology(cfg: SealConfig, data: bytes, signer: object | None = None) -> ChronologySeal:
    """Timestamp (and sign, with `signer` from ``signing.load``) the bytes of chronology.json.

    A TSA that fails is a problem in the result, never an exception: the
    reports are still written, and the command says what is missing.
    """
    out = ChronologySeal()
    digest = hashlib.sha256(data).digest()
    if cfg.tsa_urls:
        try:
            der = tsa.fetch(cfg.tsa_urls, digest, cfg.timeout_seconds)
            info = token.check(der, digest, token.load_cas(cfg.tsa_ca_files))
            out.files[TSR] = der
            out.tsa_time = info.gen_time.isoformat(timespec="seconds").replace("+00:00", "Z")
            out.tsa_name = info.tsa
        except (tsa.TsaError, token.TokenProblem) as exc:
            out.problems.append(f"{TSR} not written: {exc}")
    if signer is not None:
        from .signing import sign_detached, signer_name

        out.signer = signer_name(signer)
        try:
            out.files[P7S] = _twice(lambda stamp: sign_detached(signer, data, cfg, stamp),
                                    P7S, out.problems)
        except Exception as exc:  # a token pulled out, a wrong PIN: say it, keep the reports
            out.problems.append(f"{P7S} not written: {exc}")
    return out


def _twice(sign, what: str, problems: list[str]):
    """Sign with the TSA's timestamp; if no TSA answers, sign without one and say so."""
    try:
        return sign(True)
    except tsa.TsaError as exc:
        problems.append(f"{what} signed without a timestamp (no TSA answered: {exc})")
        return sign(False)


def write_beside(seal: ChronologySeal, out_dir: Path) -> list[Path]:
    """Write the seal files beside chronology.json."""
    written = []
    for name, data in sorted(seal.files.items()):
        path = Path(out_dir) / name
        path.write_bytes(data)
        written.append(path)
    return written


def check_beside(json_path: Path, anchors_files: tuple[Path, ...] | list[Path]) -> list[str]:
    """``intake verify --chronology``: the .tsr (and .p7s) beside a chronology.json, offline.

    :return: problems, each naming the file; empty when both hold (or are absent).
    """
    problems: list[str] = []
    data = json_path.read_bytes()
    tsr = json_path.with_name(TSR)
    if tsr.is_file():
        if not anchors_files:
            problems.append(f"{tsr.name}: cannot be checked: no TSA CA certificate "
                            "([seal] tsa_ca_files, or --tsa-ca FILE)")
        else:
            try:
                token.check(tsr.read_bytes(), hashlib.sha256(data).digest(),
                            token.load_cas(anchors_files))
            except token.TokenProblem as exc:
                problems.append(f"{tsr.name}: {exc}")
    p7s = json_path.with_name(P7S)
    if p7s.is_file():
        from .signing import check_detached

        problems += [f"{p7s.name}: {p}" for p in check_detached(p7s.read_bytes(), data)]
    return problems


def for_reports(case, doc: dict, context, ask):
    """Seal the chronology about to be written; the context carries the files to embed."""
    from dataclasses import replace

    from ..chronology.canonical import canonical_bytes
    from . import signing
    from .words import signed_by

    cfg = case.config.seal
    signer = signing.load(cfg, ask)
    result = seal_chronology(cfg, canonical_bytes(doc), signer)
    sign = None
    if signer is not None:
        text = signed_by(context.language, result.signer or "?")

        def sign(path: Path) -> None:
            try:
                _twice(lambda stamp: signing.sign_pdf(signer, path, cfg, text, stamp),
                       "chronology.pdf", result.problems)
            except Exception as exc:  # the PDF stays, unsigned; the command says so
                result.problems.append(f"chronology.pdf not signed: {exc}")

    info = {"tsa_time": result.tsa_time, "tsa_name": result.tsa_name, "signer": result.signer}
    return replace(context, seal_files=dict(result.files), seal_info=info,
                   sign_pdf=sign), result


def record(case, doc: dict, seal: ChronologySeal, out_dir: Path, beside: bool) -> list[Path]:
    """Write the seal files beside chronology.json and put them on the custody log."""
    written = write_beside(seal, out_dir) if beside else []
    if seal.files and case._lock_fd is not None:  # the same rule as "report-made"
        record_line(case, "chronology-sealed", root_hash=doc.get("root_hash"),
                    tsa_time=seal.tsa_time, signer=seal.signer,
                    files={n: hashlib.sha256(d).hexdigest() for n, d in seal.files.items()})
    return written
