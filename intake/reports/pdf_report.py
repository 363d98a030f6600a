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

import contextlib
import hashlib
import io
import re
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from intake.chronology.canonical import canonical_bytes
from intake.chronology.hashing import canonical_chunks
from intake.i18n import N_, translator
from intake.messages import translate
from intake.reports.context import ReportContext
from intake.seal.words import how_to_check

from . import entryview as view
from . import incidents as inc
from .curated import curation_lines, for_police
from .dates import format_date, split_local
from .labels import kind_name, labels, language
from .ombudsman_words import words
from .typesetting import (
    FONTS,
    JSON_NAME,
    ReportError,
    compile_typst,
    exhibit_filename,
    parse_instant,
    report_timestamp,
    safe_text,
)

__all__ = ["write_pdf", "build_data", "compile_typst", "exhibit_filename", "safe_text",
           "incidents_chart", "canonical_bytes", "ReportError"]

PDF_NAME = "chronology.pdf"
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
# --- the data the template shows ---------------------------------------------


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
        "text": view.visible(view.shown_text(
            entry, lang, labels_[0] if labels_ else "",
            view.OCR_EXCERPT if view.machine_read(entry) else view.TEXT_LIMIT, "ocr_marker_pdf")),
        "details": view.details(entry, lang) + curation_lines(entry, lang),
        "flags": ", ".join(view.flag_words(entry, lang)),
        "source": source,
        "exhibits": ", ".join(labels_),
        "witnesses": view.witnesses(entry),
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


def _bounded(seen: _Pass, exhibits: list[dict], lang: str) -> dict[str, Any]:
    """The entries printed in full and the exhibits listed, within the PDF's limits.

    Dated entries come first, then those with only a copy time, then the
    undated ones. Returns the counts, the printed rows of each part, the
    exhibits to list and attach, and the sentences that say what was left to
    the attached chronology.json.
    """
    n_entries, n_copied, n_undated = (seen.counts[p] for p in PARTS)
    total = n_entries + n_copied + n_undated
    rows = seen.first["entries"][:PDF_MAX_ENTRIES]
    copied_rows = seen.first["copied"][:max(0, PDF_MAX_ENTRIES - len(rows))]
    undated_rows = seen.first["undated"][:max(0, PDF_MAX_ENTRIES - len(rows) - len(copied_rows))]
    shown = len(rows) + len(copied_rows) + len(undated_rows)
    t = translator(lang)
    listed = exhibits[:PDF_MAX_EXHIBITS]
    limits: dict[str, Any] = {
        "entries": n_entries, "copied": n_copied, "undated": n_undated,
        "exhibits": len(exhibits), "listed": listed, "rows": rows, "copied_rows": copied_rows,
        "undated_rows": undated_rows, "entries_note": "", "exhibits_note": ""}
    if shown < total:
        limits["entries_note"] = t.gettext(_LIMIT_ENTRIES,
            shown=_count(shown), total=_count(total), more=_count(total - shown),
            limit=_count(PDF_MAX_ENTRIES))
    if len(listed) < len(exhibits):
        limits["exhibits_note"] = t.gettext(_LIMIT_EXHIBITS,
            first=listed[0].get("label") or "A1", last=listed[-1].get("label") or "",
            total=_count(len(exhibits)), more=_count(len(exhibits) - len(listed)),
            limit=_count(PDF_MAX_EXHIBITS))
    return limits


#: The PDF's three parts, in the order it prints them.
PARTS = ("entries", "copied", "undated")


class _Pass:
    """What the PDF needs of all entries, gathered in one pass over them.

    A sealed chronology decodes its entries one at a time (issue 19, point 4):
    only the entries the PDF prints (at most PDF_MAX_ENTRIES per part) are
    kept; of the others only counts, days and a few texts (issue 9, point 10).
    """

    def __init__(self, chronology: dict, thumb_shas: set[str], lang: str) -> None:
        self.counts = Counter({p: 0 for p in PARTS})
        self.first: dict[str, list[dict]] = {p: [] for p in PARTS}
        self.kinds: Counter = Counter()
        self.left_out = 0
        self.days: list[date] = []  # every dated fact's day (the period of the facts)
        self.incident_days: list[date] = []  # the chart's
        self.pictures: dict[str, dict[str, dict]] = {p: {} for p in PARTS}
        self.pvs: dict[str, list[dict]] = {p: [] for p in PARTS}
        persons = inc.persons_by_id(chronology)
        for e in chronology.get("entries") or []:
            day = inc.fact_date(e)
            if day is not None:
                self.days.append(day)
                if inc.is_incident(e, persons):
                    self.incident_days.append(day)
            self._police(e, "copied" if view.copy_time_only(e) else "entries", thumb_shas, lang)
        for e in chronology.get("undated") or []:
            self._police(e, "undated", thumb_shas, lang)

    def _police(self, e: dict, part: str, thumb_shas: set[str], lang: str) -> None:
        if not for_police([e]):  # excluded by the adviser: left out, and counted so
            self.left_out += 1
            return
        self.counts[part] += 1
        if len(self.first[part]) < PDF_MAX_ENTRIES:
            self.first[part].append(e)
        self.kinds[kind_name(str(e.get("kind") or ""), lang)] += 1
        if e.get("kind") in ("photo", "screenshot", "video"):  # a video: its first picture
            for sha in e.get("exhibits") or []:
                if sha in thumb_shas and sha not in self.pictures[part]:
                    self.pictures[part][sha] = {k: e[k] for k in (
                        "number", "local", "granularity", "instant", "claims") if k in e}
        pv = (e.get("facts") or {}).get("pv_number")
        if pv and len(self.pvs[part]) < PDF_MAX_ENTRIES:
            d, _, _ = split_local(e.get("local") or "", "day")
            self.pvs[part].append({"pv": view.visible(pv), "date": format_date(d, lang),
                                   "entry": str(e.get("number", "")),
                                   "what": view.headline(e, lang)})


def build_data(chronology: dict, context: ReportContext, root: Path,
               attach: bool = True) -> dict:
    """Write attachments and thumbnails into `root`; return what the template shows."""
    lang = language(context.language or (chronology.get("case") or {}).get("language"))
    L = labels(lang)
    case = chronology.get("case") or {}
    exhibits = chronology.get("exhibits") or []
    sha_label = {e["sha256"]: str(e.get("label") or e.get("number")) for e in exhibits}
    seen = _Pass(chronology, {ex["sha256"] for ex in exhibits[:PDF_MAX_EXHIBITS]}, lang)

    json_hash = hashlib.sha256()  # chronology.json streamed out, never held whole
    attachments = []  # attached after typst, never whole in memory (typesetting.attach_late)
    with open(root / JSON_NAME, "wb") if attach else contextlib.nullcontext() as f:
        for chunk in canonical_chunks(chronology):
            json_hash.update(chunk)
            if f is not None:
                f.write(chunk)
    if attach:
        attachments.append({"path": JSON_NAME, "mime": "application/json",
                            "relationship": "data", "description": L["attach_json"]})
        for name, blob in sorted(context.seal_files.items()):  # [seal]: token, signature
            (root / name).write_bytes(blob)
            attachments.append({"path": name, "mime": "application/octet-stream",
                                "relationship": "supplement", "description": name})

    limits = _bounded(seen, exhibits, lang)
    exhibits = limits["listed"]
    exhibit_rows, missing = [], []
    for ex in exhibits:
        fname = exhibit_filename(ex)
        attached = False
        if attach:
            src = context.object_path(ex["sha256"])
            if src is not None and Path(src).is_file():
                attached = True
                mime = (ex.get("mime") or "application/octet-stream").split(";")[0].strip()
                if not re.fullmatch(r"[\w.+-]+/[\w.+-]+", mime):
                    mime = "application/octet-stream"
                attachments.append({
                    "path": fname, "file": str(src), "mime": mime, "relationship": "source",
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
            "note": "; ".join(translate(str(w), lang) for w in ex.get("warnings") or []
                              if str(w).startswith("not taken:")),
        })

    thumbs = []
    by_sha = {ex["sha256"]: ex for ex in exhibits}
    first_seen: dict[str, dict] = {}
    for part in PARTS:
        for sha, e in seen.pictures[part].items():
            first_seen.setdefault(sha, e)
    for ex in exhibits:
        if ex["sha256"] not in first_seen and str(ex.get("mime", "")).startswith(("image/",
                                                                                  "video/")):
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
        caption = (L["thumb_copied"] if view.copy_time_only(e)  # a copy time is no photo's time
                   else f"{format_date(d, lang)} {t}".strip())
        thumbs.append({"file": path, "label": sha_label[sha], "caption": caption,
                       "entry": str(e.get("number", ""))})

    zone = str(case.get("timezone") or context.timezone)
    pvs = [pv for part in PARTS for pv in seen.pvs[part]][:PDF_MAX_ENTRIES]

    period = chronology.get("period") or {}
    p_from = format_date(str(period.get("from") or ""), lang)
    p_to = format_date(str(period.get("to") or ""), lang) or L["period_open"]
    span = inc.span_of_days(seen.days)
    first_last = ""
    if span:
        first_last = (f"{format_date(span[0].isoformat(), lang, 'long')} – "
                      f"{format_date(span[1].isoformat(), lang, 'long')}")
    kinds = seen.kinds
    gen = parse_instant(context.generated_at)
    root_hash = str(chronology.get("root_hash") or "")
    case_name = str(case.get("name") or context.case_name)
    chart = inc.chart_of_days(seen.incident_days, lang)
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
        "json_sha256": json_hash.hexdigest(),
        "custody_head": context.custody_head_text,
        "counts": {"entries": str(limits["entries"]), "undated": str(limits["undated"]),
                   "copied": str(limits["copied"]),
                   "exhibits": str(limits["exhibits"]), "incidents": str(chart["total"])},
        "limit_entries": limits["entries_note"],
        "limit_exhibits": limits["exhibits_note"],
        "kinds": [{"kind": k, "count": str(n)} for k, n in sorted(kinds.items())],
        "left_out": (words(lang)["left_out"].format(n=n) if (n := seen.left_out) else ""),
        "chart": chart,
        "rows": [_entry_row(e, sha_label, lang, zone) for e in limits["rows"]],
        "copied": [_entry_row(e, sha_label, lang, zone) for e in limits["copied_rows"]],
        "undated": [_entry_row(e, sha_label, lang, zone) for e in limits["undated_rows"]],
        "legend": [{"flag": f, "text": t} for f, t in view.legend(
            limits["rows"] + limits["copied_rows"] + limits["undated_rows"], lang)],
        "incidents_rule": L["incidents_rule"],
        "pvs": pvs,
        "exhibits": exhibit_rows,
        "missing": missing,
        "attach": attach,
        "_attach_late": attachments,
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
