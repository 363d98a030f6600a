"""From the index to the files people hand over: build the chronology, run the writers.

The writers come from the ``intake_report_formats`` hook (the core's own and
any plugin's). Exhibits are handed to writers only as verified copies: a copy
whose SHA-256 does not match is never put in a report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .case import Case
from .chronology.build import build_chronology, inclusion_proof_for
from .chronology.canonical import canonical_bytes
from .chronology.context import ReportContext
from .custody import check_chain
from .errors import IntakeError
from .plugins import merged_mapping
from .store import hash_file
from .types import ItemView


def report_formats(pm) -> dict[str, Callable]:
    return merged_mapping(reversed(pm.hook.intake_report_formats()))


def _context(case: Case, language: str) -> ReportContext:
    verified: dict[str, Path | None] = {}

    def object_path(sha256: str) -> Path | None:
        if sha256 not in verified:
            verified[sha256] = None
            for rep in case.available:
                path = rep.object_path(sha256)
                if path.is_file() and hash_file(path) == sha256:
                    verified[sha256] = path
                    break
        return verified[sha256]

    def thumbnail(sha256: str, size: int) -> bytes | None:
        path = object_path(sha256)
        item = case.index.item(sha256)
        if path is None or item is None or not str(item["mime"]).startswith("image/"):
            return None
        with open(path, "rb") as f:
            head = f.read(8192)
        names = case.index.names(sha256)
        view = ItemView(sha256=sha256, path=path, name=names[0] if names else sha256,
                        size=item["size"], mime=item["mime"], head=head)
        try:
            return case.pm.hook.intake_thumbnail(item=view, size=size)
        except Exception:  # a thumbnail is a courtesy: never let it break a report
            return None

    custody = None
    for rep in case.available:
        chain = check_chain(rep.custody_path)
        if chain.lines and not chain.problem:
            custody = case.config.state_dir / "custody-export.jsonl"
            with open(custody, "wb") as f:  # streamed: the log can be long
                f.writelines(line + b"\n" for line in chain.lines)
            break
    return ReportContext(
        case_name=case.config.name, language=language, timezone=case.config.timezone,
        tool_version=__version__,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        object_path=object_path, thumbnail=thumbnail, custody_log=custody,
        requester=dict(case.config.requester))


def make_reports(case: Case, out_dir: Path, formats: list[str], *, date_from: str | None = None,
                 date_to: str | None = None, language: str | None = None,
                 advance: Callable[[], None] | None = None,
                 proofs: tuple[int, ...] = ()) -> list[Path]:
    writers = report_formats(case.pm)
    unknown = [f for f in formats if f not in writers]
    if unknown:
        raise IntakeError(f"unknown format {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(writers))}")
    language = language or case.config.language
    doc = build_doc(case, language, date_from=date_from, date_to=date_to)
    if advance:
        advance()
    out_dir.mkdir(parents=True, exist_ok=True)
    context = _context(case, language)
    written: list[Path] = []
    for fmt in formats:
        paths = writers[fmt](doc, out_dir, context)
        written.extend(paths)
        if case._lock_fd is not None:
            case.log.event("report-made", format=fmt, root_hash=doc.get("root_hash"),
                           files={p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                                  for p in paths})
            case.index.set_state("custody_seq", str(case.log.seq))
        if advance:
            advance()
    for number in proofs:
        try:
            proof = inclusion_proof_for(doc, number)
        except KeyError as exc:
            raise IntakeError(f"--proof {number}: {exc.args[0]}") from exc
        path = out_dir / f"proof-entry-{number}.json"
        path.write_bytes(canonical_bytes(proof))
        written.append(path)
    return written


def build_doc(case: Case, language: str | None = None, *, date_from: str | None = None,
              date_to: str | None = None) -> dict:
    """The chronology of the case as it stands: items, overrides and curation records."""
    return build_chronology(case.index.item_records(),
                            case={"name": case.config.name, "timezone": case.config.timezone,
                                  "language": language or case.config.language},
                            tool_version=__version__, date_from=date_from, date_to=date_to,
                            curation=case.index.curation_records())


def set_category(case: Case, entry_ref: str, category: str) -> dict:
    """Record the adviser's category for one chronology entry (by id or number).

    Kept as a curation record (intake/curation.py) naming the entry's sources,
    so it follows the entry whatever its number in a later chronology.
    """
    from .curation import check_category, entry_target, resolve_entries, store_record

    entry = resolve_entries(build_doc(case), [entry_ref])[0]
    store_record(case, {"kind": "entry", "action": "category",
                        "value": check_category(category), **entry_target(entry)})
    return entry
