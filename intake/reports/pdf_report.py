"""The PDF for the police and the court: PDF/A-3b, typeset with typst.

Dutch by default, French and English on request (``context.language``).
Contents: case header and period, a summary with incidents per week, the
chronology table, earlier PV numbers, the exhibit index with SHA-256,
thumbnails of photos and screenshots, a page on how to verify, and room for
signatures. chronology.json (its canonical bytes) and every exhibit that a
replica holds are attached to the PDF as PDF/A-3 associated files.

User text never becomes typst markup: everything the template shows comes
from a JSON file it reads with ``json()`` and prints as strings. Characters
the bundled fonts cannot show (emoji, CJK...) would make a PDF/A export
fail, so they are written as ``[U+XXXX]``; the exact text stays in the
attached chronology.json.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import re
import shutil
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake.chronology.canonical import canonical_bytes
from intake.chronology.context import ReportContext
from intake.i18n import N_, translator
from intake.seal.words import how_to_check

from . import entryview as view
from . import incidents as inc
from .curated import curation_lines, for_police, left_out
from .labels import format_date, kind_name, labels, language, split_local
from .ombudsman_words import words

__all__ = ["write_pdf", "build_data", "compile_typst", "exhibit_filename", "safe_text",
           "incidents_chart", "canonical_bytes", "ReportError"]

TEMPLATES = Path(__file__).resolve().parent / "typst"
PDF_NAME = "chronology.pdf"
JSON_NAME = "chronology.json"
THUMB_SIZE = 320
#: At most this many entries are printed in full, and this many exhibits listed
#: and attached: a PDF of 100,000 entries is no document anyone reads, and
#: typesetting it took gigabytes (issue 9, point 10). The PDF says how many it
#: holds; every entry and exhibit stays in the attached chronology.json.
PDF_MAX_ENTRIES = 500
PDF_MAX_EXHIBITS = 500

# The sentences saying so (translated from the catalogues, docs/i18n.md).
_LIMIT_ENTRIES = N_("This PDF prints the first {shown} of {total} entries in full (at most "
                    "{limit} per PDF); all {total} entries, with the {more} not printed here, "
                    "are in the attached chronology.json (and in chronology.csv when it is "
                    "made).")
_LIMIT_EXHIBITS = N_("Exhibits {first} to {last} of {total} are listed and attached here (at "
                     "most {limit} per PDF); the other {more} are listed in the attached "
                     "chronology.json and are in the evidence bundle.")
FONTS = ("Libertinus Serif", "DejaVu Sans Mono", "New Computer Modern")

# Code points the fonts bundled with typst (Libertinus Serif, DejaVu Sans
# Mono, New Computer Modern) can show, found by compiling every candidate
# as PDF/A with typst 0.15. Anything else is written as [U+XXXX].
_SUPPORTED = (
    (0x0020, 0x007E), (0x00A0, 0x00AC), (0x00AE, 0x0377), (0x037A, 0x037F),
    (0x0384, 0x038A), (0x038C, 0x038C), (0x038E, 0x03A1), (0x03A3, 0x0482),
    (0x048A, 0x04FF), (0x0510, 0x0513), (0x051A, 0x051D), (0x0531, 0x0556),
    (0x0559, 0x058A), (0x058D, 0x058F), (0x05D0, 0x05EA), (0x10D0, 0x10FF),
    (0x1E00, 0x1EFF), (0x2000, 0x200A), (0x2010, 0x2027), (0x202F, 0x2040),
    (0x2042, 0x2042), (0x2044, 0x2052), (0x2054, 0x205F), (0x20A0, 0x20C0),
    (0x2100, 0x211E), (0x2120, 0x2120), (0x2122, 0x2122), (0x2124, 0x2124),
    (0x2126, 0x214F), (0x2190, 0x23FF), (0x2500, 0x262F), (0x2638, 0x268B),
    (0x2690, 0x269C), (0x26A0, 0x26A7), (0x26AA, 0x26B2), (0x2701, 0x2704),
    (0x2706, 0x2709), (0x270C, 0x2727), (0x2729, 0x274B), (0x274D, 0x274D),
    (0x274F, 0x2752), (0x2756, 0x2756), (0x2758, 0x275E), (0x2761, 0x277F),
    (0x2794, 0x2794), (0x2798, 0x27AF), (0x27B1, 0x27BF), (0xFB00, 0xFB06),
)
_SUPPORTED_SET = frozenset(c for a, b in _SUPPORTED for c in range(a, b + 1))
# Invisible joiners and variation selectors: dropped, they carry no text.
_INVISIBLE = frozenset({0x200B, 0x200C, 0x200D, 0x2060, 0xFE0E, 0xFE0F, 0x00AD})

_MIME_EXT = {
    "image/jpeg": "jpg", "image/png": "png", "image/heic": "heic", "image/heif": "heif",
    "image/gif": "gif", "image/webp": "webp", "image/tiff": "tif",
    "application/pdf": "pdf", "message/rfc822": "eml", "application/vnd.ms-outlook": "msg",
    "text/plain": "txt", "text/csv": "csv", "text/html": "html", "application/json": "json",
    "application/zip": "zip", "application/xml": "xml", "text/xml": "xml",
    "audio/mpeg": "mp3", "audio/mp4": "m4a", "video/mp4": "mp4", "video/quicktime": "mov",
    "application/octet-stream": "bin",
}


class ReportError(RuntimeError):
    """The PDF could not be made; the message says why, in plain words."""


# --- small helpers shared with the ombudsman list and the bundle -----------


def exhibit_extension(mime: str, names: Iterable[str] = ()) -> str:
    """A file extension for an exhibit: from its MIME type, else its first name."""
    mime = (mime or "").split(";")[0].strip().lower()
    ext = _MIME_EXT.get(mime)
    if ext is None and mime:
        guessed = mimetypes.guess_extension(mime, strict=False)
        ext = guessed.lstrip(".") if guessed else None
    if ext is None:
        for name in names:
            suffix = Path(str(name)).suffix.lstrip(".").lower()
            if re.fullmatch(r"[a-z0-9]{1,10}", suffix):
                ext = suffix
                break
    return ext or "bin"


def exhibit_filename(exhibit: dict) -> str:
    """``<label>-<sha256>.<ext>``: the name of an exhibit's file in the PDF and the bundle."""
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", str(exhibit.get("label") or exhibit.get("number")))
    return f"{label}-{exhibit['sha256']}.{exhibit_extension(exhibit.get('mime', ''), exhibit.get('names', []))}"


def safe_text(value: str, unsupported: frozenset[str] = frozenset()) -> str:
    """Text the PDF fonts can show: NFC, controls and missing glyphs as [U+XXXX]."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", value):
        cp = ord(ch)
        if ch == "\n":
            out.append(ch)
        elif ch in "\t\r":
            out.append(" ")
        elif cp in _INVISIBLE:
            continue
        elif cp in _SUPPORTED_SET and ch not in unsupported:
            out.append(ch)
        else:
            out.append(f"[U+{cp:04X}]")
    return "".join(out)


def _sanitize(value: Any, unsupported: frozenset[str]) -> Any:
    if isinstance(value, str):
        return safe_text(value, unsupported)
    if isinstance(value, dict):
        return {k: _sanitize(v, unsupported) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitize(v, unsupported) for v in value]
    return value


def _parse_instant(text: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def report_timestamp(chronology: dict, context: ReportContext) -> datetime:
    """The PDF's creation date: when the report is made, else the latest instant."""
    dt = _parse_instant(context.generated_at)
    if dt is None:
        instants = [e.get("instant", "") for e in chronology.get("entries", [])]
        dt = _parse_instant(max(instants)) if instants else None
    return (dt or datetime(1980, 1, 1, tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def compile_typst(template: str, root: Path, data: dict) -> bytes:
    """Compile ``typst/<template>`` as PDF/A-3b with ``data`` as root/data.json.

    If a font lacks a glyph our table thought it had, that character is
    replaced too and the document compiled again (a few times at most).
    """
    import typst

    shutil.copyfile(TEMPLATES / template, root / "report.typ")
    ts = data.get("_timestamp")
    unsupported: set[str] = set()
    for _attempt in range(12):
        clean = _sanitize({k: v for k, v in data.items() if k != "_timestamp"},
                          frozenset(unsupported))
        (root / "data.json").write_text(json.dumps(clean, ensure_ascii=False), encoding="utf-8")
        try:
            return typst.compile(str(root / "report.typ"), root=str(root),
                                 pdf_standards=["a-3b"], ignore_system_fonts=True,
                                 timestamp=ts)
        except typst.TypstError as exc:
            m = re.search(r'the text `"(.*?)"` could not be displayed', exc.message, re.S)
            missing = set(m.group(1)) - unsupported - {" ", "\\"} if m else set()
            if not missing:
                raise ReportError(f"the PDF could not be typeset: {exc.message}") from exc
            unsupported |= missing
    raise ReportError("the PDF could not be typeset: too many characters the fonts cannot show")


# --- the data the template shows ---------------------------------------------


def _witnesses(entry: dict) -> list[str]:
    out = []
    raw = entry.get("witnesses") or (entry.get("facts") or {}).get("witnesses") or []
    for w in raw:
        if isinstance(w, dict):
            name, contact = str(w.get("name") or ""), str(w.get("contact") or "")
            out.append(f"{name} ({contact})" if name and contact else name or contact)
        elif w:
            out.append(str(w))
    return [view.visible(w) for w in out]


def is_incident(entry: dict) -> bool:
    """Counts on page 1 (intake/reports/incidents.py has the rule)."""
    return inc.is_incident(entry)


def incidents_chart(entries: list[dict], lang: str = "nl") -> dict:
    """The chart of page 1 for these entries (intake/reports/incidents.py)."""
    return inc.chart({"entries": entries}, lang)


def _entry_row(entry: dict, sha_label: dict[str, str], lang: str, zone: str) -> dict:
    day, _, _, _ = view.time_parts(entry, zone)
    claim = view.chosen_claim(entry)
    source = view.source_text(claim, lang)
    if claim.get("plugin"):
        source += f" ({claim['plugin']})"
    labels_ = [sha_label.get(s, s[:12]) for s in entry.get("exhibits") or []]
    return {
        "number": str(entry.get("number", "")),
        "date": format_date(day, lang),
        "time": view.time_text(entry, lang, zone),
        "kind": kind_name(str(entry.get("kind") or ""), lang),
        "what": view.headline(entry, lang),
        "text": view.visible(view.shown_text(entry, lang, labels_[0] if labels_ else "")),
        "details": view.details(entry, lang) + curation_lines(entry, lang),
        "flags": ", ".join(view.flag_words(entry, lang)),
        "source": source,
        "exhibits": ", ".join(labels_),
        "witnesses": _witnesses(entry),
    }


def _png(data: bytes | None) -> bytes | None:
    """Re-encode a thumbnail as a plain RGB PNG, or None if it is not a picture."""
    if not data:
        return None
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            im.load()
            im = im.convert("RGB")
            im.thumbnail((THUMB_SIZE, THUMB_SIZE))
            buf = io.BytesIO()
            im.save(buf, format="PNG", optimize=False)
            return buf.getvalue()
    except Exception:  # noqa: BLE001 - a bad thumbnail is left out, never fatal
        return None


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _bounded(entries: list[dict], undated: list[dict], exhibits: list[dict],
             lang: str) -> tuple[list[dict], list[dict], list[dict], dict[str, Any]]:
    """The entries printed in full and the exhibits listed, within the PDF's limits.

    Returns all entries (for the counts, chart and PV list), all undated ones,
    the exhibits to list and attach, and the printed rows with the sentences
    that say what was left to the attached chronology.json.
    """
    total = len(entries) + len(undated)
    rows = entries[:PDF_MAX_ENTRIES]
    undated_rows = undated[:max(0, PDF_MAX_ENTRIES - len(rows))]
    shown = len(rows) + len(undated_rows)
    t = translator(lang)
    listed = exhibits[:PDF_MAX_EXHIBITS]
    limits: dict[str, Any] = {
        "entries": len(entries), "undated": len(undated), "exhibits": len(exhibits),
        "rows": rows, "undated_rows": undated_rows, "entries_note": "", "exhibits_note": ""}
    if shown < total:
        limits["entries_note"] = t.gettext(_LIMIT_ENTRIES,
            shown=_count(shown), total=_count(total), more=_count(total - shown),
            limit=_count(PDF_MAX_ENTRIES))
    if len(listed) < len(exhibits):
        limits["exhibits_note"] = t.gettext(_LIMIT_EXHIBITS,
            first=listed[0].get("label") or "A1", last=listed[-1].get("label") or "",
            total=_count(len(exhibits)), more=_count(len(exhibits) - len(listed)),
            limit=_count(PDF_MAX_EXHIBITS))
    return entries, undated, listed, limits


def build_data(chronology: dict, context: ReportContext, root: Path,
               attach: bool = True) -> dict:
    """Write attachments and thumbnails into `root`; return what the template shows."""
    lang = language(context.language or (chronology.get("case") or {}).get("language"))
    L = labels(lang)
    case = chronology.get("case") or {}
    exhibits = chronology.get("exhibits") or []
    entries = for_police(chronology.get("entries") or [])
    undated = for_police(chronology.get("undated") or [])
    sha_label = {e["sha256"]: str(e.get("label") or e.get("number")) for e in exhibits}

    json_bytes = canonical_bytes(chronology)
    attachments = []
    if attach:
        (root / JSON_NAME).write_bytes(json_bytes)
        attachments.append({"path": JSON_NAME, "mime": "application/json",
                            "relationship": "data", "description": L["attach_json"]})
        for name, blob in sorted(context.seal_files.items()):  # [seal]: token, signature
            (root / name).write_bytes(blob)
            attachments.append({"path": name, "mime": "application/octet-stream",
                                "relationship": "supplement", "description": name})

    entries, undated, exhibits, limits = _bounded(entries, undated, exhibits, lang)
    exhibit_rows, missing = [], []
    for ex in exhibits:
        fname = exhibit_filename(ex)
        attached = False
        if attach:
            src = context.object_path(ex["sha256"])
            if src is not None and Path(src).is_file():
                shutil.copyfile(src, root / fname)
                attached = True
                mime = (ex.get("mime") or "application/octet-stream").split(";")[0].strip()
                if not re.fullmatch(r"[\w.+-]+/[\w.+-]+", mime):
                    mime = "application/octet-stream"
                attachments.append({
                    "path": fname, "mime": mime, "relationship": "source",
                    "description": f"{L['attach_exhibit']} {sha_label[ex['sha256']]}, "
                                   f"SHA-256 {ex['sha256']}"})
            else:
                missing.append(sha_label[ex["sha256"]])
        exhibit_rows.append({
            "label": sha_label[ex["sha256"]], "sha256": ex["sha256"],
            "size": f"{int(ex.get('size') or 0):,}".replace(",", "\u202f"),
            "mime": str(ex.get("mime") or ""),
            "name": str((ex.get("names") or [""])[0]),
            "attached": attached, "file": fname if attached else "",
            "note": "; ".join(str(w) for w in ex.get("warnings") or []
                              if str(w).startswith("not taken:")),
        })

    thumbs = []
    by_sha = {ex["sha256"]: ex for ex in exhibits}
    first_seen: dict[str, dict] = {}
    for e in entries + undated:
        if e.get("kind") in ("photo", "screenshot"):
            for sha in e.get("exhibits") or []:
                first_seen.setdefault(sha, e)
    for ex in exhibits:
        if ex["sha256"] not in first_seen and str(ex.get("mime", "")).startswith("image/"):
            first_seen[ex["sha256"]] = {}
    (root / "thumbs").mkdir(exist_ok=True)
    for sha, e in sorted(first_seen.items(), key=lambda kv: int(by_sha.get(kv[0], {}).get("number") or 0)):
        if sha not in by_sha:
            continue
        png = _png(context.thumbnail(sha, THUMB_SIZE))
        if png is None:
            continue
        path = f"thumbs/{len(thumbs) + 1:05d}.png"
        (root / path).write_bytes(png)
        d, t, off = split_local(e.get("local") or "", e.get("granularity") or "second")
        thumbs.append({"file": path, "label": sha_label[sha],
                       "caption": f"{format_date(d, lang)} {t}".strip(),
                       "entry": str(e.get("number", ""))})

    zone = str(case.get("timezone") or context.timezone)
    pvs = []
    for e in entries + undated:
        pv = (e.get("facts") or {}).get("pv_number")
        if pv and len(pvs) < PDF_MAX_ENTRIES:
            d, _, _ = split_local(e.get("local") or "", "day")
            pvs.append({"pv": view.visible(pv), "date": format_date(d, lang),
                        "entry": str(e.get("number", "")), "what": view.headline(e, lang)})

    period = chronology.get("period") or {}
    p_from = format_date(str(period.get("from") or ""), lang)
    p_to = format_date(str(period.get("to") or ""), lang) or L["period_open"]
    span = inc.facts_span(chronology)
    first_last = ""
    if span:
        first_last = (f"{format_date(span[0].isoformat(), lang, 'long')} – "
                      f"{format_date(span[1].isoformat(), lang, 'long')}")
    kinds = Counter(kind_name(str(e.get("kind") or ""), lang) for e in entries + undated)
    gen = _parse_instant(context.generated_at)
    root_hash = str(chronology.get("root_hash") or "")
    case_name = str(case.get("name") or context.case_name)
    chart = inc.chart(chronology, lang)
    return {
        "_timestamp": report_timestamp(chronology, context),
        "lang": lang,
        "labels": L,
        "fonts": list(FONTS),
        "title": f"{L['title']} – {case_name}",
        "case_name": case_name,
        "timezone": str(case.get("timezone") or context.timezone),
        "period": f"{p_from or '…'} – {p_to}",
        "first_last": first_last,
        "generated": (f"{format_date(gen.date().isoformat(), lang)} "
                      f"{gen.strftime('%H:%M')} UTC") if gen else "",
        "tool": f"{(chronology.get('tool') or {}).get('name', 'intake')} "
                f"{(chronology.get('tool') or {}).get('version', context.tool_version)}",
        "root_hash": root_hash,
        "root_hash_short": root_hash[:16],
        "merkle_root": str(chronology.get("merkle_root") or ""),
        "json_sha256": hashlib.sha256(json_bytes).hexdigest(),
        "custody_head": context.custody_head_text,
        "counts": {"entries": str(limits["entries"]), "undated": str(limits["undated"]),
                   "exhibits": str(limits["exhibits"]), "incidents": str(chart["total"])},
        "limit_entries": limits["entries_note"],
        "limit_exhibits": limits["exhibits_note"],
        "kinds": [{"kind": k, "count": str(n)} for k, n in sorted(kinds.items())],
        "left_out": (words(lang)["left_out"].format(n=n) if (n := left_out(chronology)) else ""),
        "chart": chart,
        "rows": [_entry_row(e, sha_label, lang, zone) for e in limits["rows"]],
        "undated": [_entry_row(e, sha_label, lang, zone) for e in limits["undated_rows"]],
        "legend": [{"flag": f, "text": t}
                   for f, t in view.legend(limits["rows"] + limits["undated_rows"], lang)],
        "incidents_rule": L["incidents_rule"],
        "pvs": pvs,
        "exhibits": exhibit_rows,
        "missing": missing,
        "attach": attach,
        "attachments": attachments,
        "thumbs": thumbs,
        "seal": (how_to_check(lang, context.seal_info, sorted(context.seal_files))
                 if context.seal_files else None),
        "example_file": exhibit_rows[0]["file"] or exhibit_filename(exhibits[0]) if exhibits else "A1-….jpg",
    }


def write_pdf(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write ``out_dir/chronology.pdf`` (PDF/A-3b, exhibits attached)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="intake-pdf-") as tmp:
        root = Path(tmp)
        data = build_data(chronology, context, root)
        pdf = compile_typst("report.typ", root, data)
    target = out_dir / PDF_NAME
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(pdf)
    if context.sign_pdf is not None:  # [seal]: PAdES, an incremental update of the same file
        context.sign_pdf(partial)
    partial.replace(target)
    return [target]
