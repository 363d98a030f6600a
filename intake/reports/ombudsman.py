"""The list for the telecom ombudsman: unwanted calls and messages, PDF and CSV.

Rows: every ``call``, ``sms`` and ``mms`` entry that was not sent by the
victim (direction incoming, missed, rejected, blocked or voicemail; an SMS
with no direction counts as received), in chronology order. Dutch and French
are the ombudsman's languages; English is produced on request with a note.

The CSV opens as-is in a Belgian Excel: UTF-8 with BOM, ``;`` between
fields, CRLF line ends, and cells starting with ``= + - @`` (or a tab or
carriage return) prefixed with ``'`` so that no cell is read as a formula.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from intake.chronology.context import ReportContext

from .csv_report import belgian_csv
from .labels import format_date, labels, language, split_local
from .pdf_report import compile_typst, report_timestamp

CSV_NAME = "ombudsman.csv"
PDF_NAME = "ombudsman.pdf"
KINDS = ("call", "sms", "mms")
UNWANTED = ("incoming", "missed", "rejected", "blocked", "voicemail")


def is_unwanted(entry: dict) -> bool:
    if entry.get("kind") not in KINDS:
        return False
    direction = str((entry.get("facts") or {}).get("direction") or "").lower()
    if not direction:
        return entry.get("kind") != "call"  # a message with no direction was received
    return direction in UNWANTED


def _withheld(facts: dict, number: str) -> bool:
    if facts.get("withheld") is True:
        return True
    return number.strip().lower() in ("", "withheld", "private", "unknown", "anonymous",
                                      "-1", "-2", "anoniem", "masqué", "privé")


def ombudsman_rows(chronology: dict, lang: str) -> list[dict[str, str]]:
    """One dict per unwanted call or message, values already as printed."""
    L = labels(lang)
    sha_label = {e["sha256"]: str(e.get("label") or e.get("number"))
                 for e in chronology.get("exhibits") or []}
    rows = []
    for e in list(chronology.get("entries") or []) + list(chronology.get("undated") or []):
        if not is_unwanted(e):
            continue
        facts = e.get("facts") or {}
        kind = str(e.get("kind"))
        direction = str(facts.get("direction") or "").lower()
        d, t, off = split_local(e.get("local") or "", e.get("granularity") or "second")
        raw_number = str(facts.get("number") or "")
        withheld = _withheld(facts, raw_number)
        if withheld:
            number = L["withheld"]
        else:
            number = raw_number
            contact = str(facts.get("contact") or "")
            if contact and contact != raw_number:
                number = f"{raw_number} ({contact})"
        duration = ""
        if kind == "call":
            if direction in ("missed", "rejected", "blocked"):
                duration = "0"
            elif isinstance(facts.get("duration_seconds"), int):
                duration = str(facts["duration_seconds"])
        rings = facts.get("rings")
        kind_label = L.get(f"kind_{kind}", kind)
        if direction and direction != "incoming":
            kind_label += f" ({L.get(f'dir_{direction}', direction)})"
        rows.append({
            "entry": str(e.get("number", "")),
            "kind_code": kind,
            "withheld": "yes" if withheld else "",
            "date": format_date(d, lang),
            "time": t,
            "utc_offset": f"UTC{off}" if off else "",
            "kind": kind_label,
            "number": number,
            "duration": duration,
            "content": str(facts.get("body") or facts.get("text") or "") if kind != "call" else "",
            "rings": str(rings) if isinstance(rings, int) and not isinstance(rings, bool) else "",
            "exhibit": ", ".join(sha_label.get(s, s[:12]) for s in e.get("exhibits") or []),
        })
    return rows


COLUMNS = ("date", "time", "utc_offset", "kind", "number", "duration", "content", "rings",
           "exhibit")
_HEADERS = {"date": "col_date", "time": "col_time", "utc_offset": "col_utc_offset",
            "kind": "col_kind", "number": "col_number", "duration": "col_duration",
            "content": "col_content", "rings": "col_rings", "exhibit": "col_exhibit"}


def headers(lang: str) -> list[str]:
    L = labels(lang)
    out = [L[_HEADERS[c]] for c in COLUMNS]
    out[1] = L["col_time"].split(" (")[0]  # the offset has its own column
    return out


def csv_bytes(rows: list[dict[str, str]], lang: str) -> bytes:
    return belgian_csv([headers(lang)] + [[r[c] for c in COLUMNS] for r in rows])


def write_ombudsman(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write ``ombudsman.csv`` and ``ombudsman.pdf`` (PDF/A-3b) in the case language."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = language(context.language or (chronology.get("case") or {}).get("language"))
    L = labels(lang)
    rows = ombudsman_rows(chronology, lang)

    csv_path = out_dir / CSV_NAME
    csv_path.write_bytes(csv_bytes(rows, lang))

    case = chronology.get("case") or {}
    period = chronology.get("period") or {}
    dates = [r["date"] for r in rows if r["date"]]
    calls = sum(1 for r in rows if r["kind_code"] == "call")
    data = {
        "_timestamp": report_timestamp(chronology, context),
        "lang": lang,
        "labels": L,
        "title": f"{L['omb_title']} – {case.get('name') or context.case_name}",
        "case_name": str(case.get("name") or context.case_name),
        "timezone": str(case.get("timezone") or context.timezone),
        "period": (f"{format_date(str(period.get('from') or ''), lang) or '…'} – "
                   f"{format_date(str(period.get('to') or ''), lang) or L['period_open']}"),
        "first_last": f"{dates[0]} – {dates[-1]}" if dates else "",
        "root_hash": str(chronology.get("root_hash") or ""),
        "counts": {"calls": str(calls), "messages": str(len(rows) - calls),
                   "withheld": str(sum(1 for r in rows if r["withheld"]))},
        "columns": headers(lang),
        "rows": [[r[c] for c in COLUMNS] for r in rows],
    }
    with tempfile.TemporaryDirectory(prefix="intake-omb-") as tmp:
        pdf = compile_typst("ombudsman.typ", Path(tmp), data)
    pdf_path = out_dir / PDF_NAME
    pdf_path.write_bytes(pdf)
    return [csv_path, pdf_path]
