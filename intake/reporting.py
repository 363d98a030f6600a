"""From the index to the files people hand over: build the chronology, run the writers.

The writers come from the ``intake_report_formats`` hook (the core's own and
any plugin's). Exhibits are handed to writers only as verified copies: a copy
whose SHA-256 does not match is never put in a report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from . import __version__, gc_tuning, verified
from .case import Case
from .chronology.build import build_chronology
from .chronology.canonical import canonical_bytes
from .chronology.hashing import inclusion_proof_for
from .errors import IntakeError
from .files import sha256_file
from .index import Index
from .plugin_worker import shared_worker
from .plugins import merged_mapping
from .recording import record_line
from .replica import verified_copy
from .reports.context import ReportContext
from .types import ItemView


def report_formats(pm) -> dict[str, Callable]:
    return merged_mapping(reversed(pm.hook.intake_report_formats()))


def _context(case: Case, language: str, index: Index) -> ReportContext:
    verified: dict[str, Path | None] = {}

    def object_path(sha256: str) -> Path | None:
        if sha256 not in verified:
            verified[sha256] = None
            source = verified_copy(case.available, sha256)
            verified[sha256] = source.object_file(sha256) if source is not None else None
        return verified[sha256]

    def thumbnail(sha256: str, size: int) -> bytes | None:
        return make_thumbnail(case, index, object_path(sha256), sha256, size)

    custody = None
    if case.log.seq:  # the chain the case opened with: every replica's copy was checked
        custody = case.config.state_dir / "custody-export.jsonl"
        with open(custody, "wb") as f:  # streamed from disk: the log can be long
            f.writelines(line + b"\n" for line in case.log.lines)
    return ReportContext(
        case_name=case.config.name, language=language, timezone=case.config.timezone,
        tool_version=__version__,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        object_path=object_path, thumbnail=thumbnail, custody_log=custody,
        requester=dict(case.config.requester),
        custody_seq=case.log.seq, custody_head=case.log.head)


def make_thumbnail(case: Case, index: Index, path: Path | None, sha256: str,
                   size: int) -> bytes | None:
    """A picture's (or a video's first picture's) thumbnail from a verified copy at
    `path`, by the plugins' hook (the reports and ``intake serve`` show the same one);
    None for other items."""
    item = index.item(sha256)
    if path is None or item is None or not str(item["mime"]).startswith(("image/", "video/")):
        return None
    with open(path, "rb") as f:
        head = f.read(8192)
    names = index.names(sha256)
    view = ItemView(sha256=sha256, path=path, name=names[0] if names else sha256,
                    size=item["size"], mime=item["mime"], head=head)
    # decoded in a plugin worker: a crafted picture may hang or crash a decoder
    worker = shared_worker(case.config.plugin_folders, case.config.plugin_timeout)
    png, _warnings = worker.ask("thumbnail", view, size)
    return png  # a thumbnail is a courtesy: without one the report still says everything


def rebuild_chronology(case: Case) -> Path:
    """What the watcher keeps up to date after new items: ``chronology/`` in the case
    folder (JSON, HTML, CSV); ``intake watch`` and ``intake serve --watch`` both call it."""
    out = case.config.case_dir / "chronology"
    make_reports(case, out, ["json", "html", "csv"])
    return out


def make_reports(case: Case, out_dir: Path, formats: list[str], *, date_from: str | None = None,
                 date_to: str | None = None, language: str | None = None,
                 advance: Callable[[], None] | None = None,
                 proofs: tuple[int, ...] = (), sealed: list[str] | None = None,
                 ask: Callable[[str], str] | None = None) -> list[Path]:
    """Write the reports; with `sealed` (a list) and ``[seal]``, also timestamp and sign.

    What could not be sealed (a TSA down) is added to `sealed`; the reports are
    written all the same. `ask(prompt)` reads a passphrase or PIN.
    """
    writers = report_formats(case.pm)
    unknown = [f for f in formats if f not in writers]
    if unknown:
        raise IntakeError(f"unknown format {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(writers))}")
    language = language or case.config.language
    if case.rollback:
        raise IntakeError("no report is made: the custody log was cut short or rewritten: "
                          + "; ".join(case.rollback))
    with verified_records(case) as index:
        doc = build_doc(case, language, date_from=date_from, date_to=date_to, index=index)
        gc_tuning.give_back()  # what the build let go of, back before the writers start
        if advance:
            advance()
        out_dir.mkdir(parents=True, exist_ok=True)
        context = _context(case, language, index)
        seal = None
        if sealed is not None and case.config.seal is not None and \
                {"json", "pdf", "bundle"} & set(formats):  # the formats that carry the seal
            from .seal.chronology import for_reports

            context, seal = for_reports(case, doc, context, ask)
        written = _write(case, doc, out_dir, formats, writers, context, advance, proofs)
        if seal is not None:
            from .seal.chronology import record

            sealed += seal.problems  # the PDF's signature is made while it is written
            written += record(case, doc, seal, out_dir, "json" in formats)
        return written


@contextmanager
def verified_records(case: Case) -> Iterator[Index]:
    """The case's facts from metadata files whose hashes the custody log recorded.

    Never from the case's index: that is a cache anyone with write access can
    edit. A fact that no replica holds a verified copy of stops the report.
    """
    with verified.built(case) as truth:
        if truth.unverified:
            rel, why = sorted(truth.unverified.items())[0]
            more = len(truth.unverified) - 1
            raise IntakeError(f"metadata file meta/{rel}: {why}"
                              + (f" (and {more} more)" if more else "")
                              + "; no report is made from facts that cannot be checked. "
                              "Run 'intake verify' to see every problem")
        yield truth.index


def _write(case: Case, doc: dict, out_dir: Path, formats: list[str], writers: dict,
           context: ReportContext, advance: Callable[[], None] | None,
           proofs: tuple[int, ...]) -> list[Path]:
    written: list[Path] = []
    for fmt in formats:
        paths = writers[fmt](doc, out_dir, context)
        written.extend(paths)
        if case.writing:
            record_line(case, "report-made", format=fmt, root_hash=doc.get("root_hash"),
                        files={p.name: sha256_file(p) for p in paths})
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
              date_to: str | None = None, index: Index | None = None) -> dict:
    """The chronology of the case as it stands: items, overrides and curation records.

    Built from the verified facts (never the case's index, a cache): `index` is
    one from `verified_records`, or one is made here.
    """
    if index is None:
        with verified_records(case) as verified_index:
            return build_doc(case, language, date_from=date_from, date_to=date_to,
                             index=verified_index)
    return build_chronology(index.item_record_texts(),  # each simple event read from its text
                            case={"name": case.config.name, "timezone": case.config.timezone,
                                  "language": language or case.config.language},
                            tool_version=__version__, date_from=date_from, date_to=date_to,
                            curation=index.curation_records())


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
