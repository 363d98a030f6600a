"""The request to the telecom ombudsman: who called, PDF, spreadsheet and CSV.

The Ombudsdienst voor Telecommunicatie / Service de médiation pour les
télécommunications can ask an operator who is behind malicious calls. It
needs the requester (name, address, the number called, operator, PV number
and police zone, a date and a signature) and, per call or SMS, the date, the
hour to the second, the number (or "anoniem"/"masqué"), whether it was
answered, missed, rejected or blocked, and the duration.

Which lines (``selected_entries``): the adviser's include/exclude for the
ombudsman (curation) decides first; otherwise a call, SMS or MMS is listed
when it reached the victim (incoming, missed, rejected, blocked, voicemail;
an SMS with no direction counts as received) and came from a withheld
number, from a number of a person with role suspect, or from an unknown
number (no person of the case and no contact name in the phone). The
victim's friends (a person of another role, or a contact name in the phone)
are never listed unless included by hand.

Rings: the phone's log records how long a call lasted, not how often it
rang, so the column is left blank for the victim to fill in; a number of
rings the source itself recorded is shown marked as such, never as a count
intake made up. Description: the adviser's note on the entry.

Files: ``ombudsman.pdf`` (PDF/A-3b, typst), ``ombudsman.xlsx`` (every cell a
typed text cell: ``+32…`` and ``=…`` are shown exactly as written, never run
as formulas) and ``ombudsman.csv`` (Belgian Excel form, formula guard).
"""

from __future__ import annotations

import io
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from intake.phones import e164
from intake.reports.context import ReportContext

from .csv_report import belgian_csv
from .dates import format_date, split_local
from .labels import language
from .ombudsman_words import words
from .typesetting import compile_typst, report_timestamp
from .xlsx_report import as_xstring

CSV_NAME = "ombudsman.csv"
PDF_NAME = "ombudsman.pdf"
XLSX_NAME = "ombudsman.xlsx"
KINDS = ("call", "sms", "mms")
INBOUND = ("incoming", "missed", "rejected", "blocked", "voicemail", "answered-externally")
COLUMNS = ("nr", "date", "time", "number", "kind", "status", "duration", "rings",
           "description", "exhibit")


# --------------------------------------------------------------------------- which lines

def _withheld(facts: dict) -> bool:
    if facts.get("withheld") is True:
        return True
    return str(facts.get("number") or "").strip().lower() in (
        "", "withheld", "private", "unknown", "anonymous", "-1", "-2", "-3", "anoniem",
        "masqué", "privé")


def _inbound(entry: dict) -> bool:
    direction = str((entry.get("facts") or {}).get("direction") or "").lower()
    if not direction:
        return entry.get("kind") != "call"  # a message with no direction was received
    return direction in INBOUND


def why_selected(entry: dict, roles: dict[str, str]) -> str:
    """Why the entry is in the request ("included", "withheld", "suspect", "unknown"),
    or "" if it is not. `roles` maps person ids to their roles."""
    if entry.get("kind") not in KINDS:
        return ""
    choice = (entry.get("curation") or {}).get("ombudsman", "")
    if choice == "exclude":
        return ""
    if choice == "include":
        return "included"
    if not _inbound(entry):
        return ""
    facts = entry.get("facts") or {}
    if _withheld(facts):
        return "withheld"
    people = [roles.get(p, "") for p in entry.get("persons") or ()]
    if "suspect" in people:
        return "suspect"
    if people or str(facts.get("contact") or "").strip():
        return ""  # the victim's own people: friends, family, witnesses
    return "unknown"


def selected_entries(chronology: dict) -> list[dict]:
    """The entries the ombudsman request lists, in chronology order."""
    roles = {p["id"]: p.get("role", "") for p in chronology.get("persons") or ()}
    return [e for e in list(chronology.get("entries") or []) + list(chronology.get("undated") or [])
            if why_selected(e, roles)]


# --------------------------------------------------------------------------- the lines

def _duration(seconds: object) -> str:
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


def ombudsman_rows(chronology: dict, lang: str) -> list[dict[str, str]]:
    """One dict per selected call or message, values as printed."""
    W = words(lang)
    sha_label = {e["sha256"]: str(e.get("label") or e.get("number"))
                 for e in chronology.get("exhibits") or []}
    rows = []
    for e in selected_entries(chronology):
        facts = e.get("facts") or {}
        kind = str(e.get("kind"))
        direction = str(facts.get("direction") or "").lower()
        d, t, _off = split_local(e.get("local") or "", e.get("granularity") or "second")
        withheld = _withheld(facts)
        raw = str(facts.get("number") or "")
        number = W["withheld"] if withheld else (e164(raw) or raw)
        if kind == "call":
            status = W.get(f"st_{direction}", direction)
            duration = _duration(facts.get("duration_seconds"))
        else:
            status = W["st_received"] if direction in ("", "incoming") else \
                W.get(f"st_{direction}", direction)
            duration = ""
        rings = facts.get("rings")
        rings_text = (f"{rings} ({W['rings_recorded']})"
                      if isinstance(rings, int) and not isinstance(rings, bool) else "")
        rows.append({
            "nr": str(e.get("number", "")),
            "id": str(e.get("id", "")),
            "kind_code": kind,
            "withheld": "yes" if withheld else "",
            "date": format_date(d, lang),
            "time": t,
            "number": number,
            "kind": W.get(f"kind_{kind}", kind),
            "status": status,
            "duration": duration,
            "rings": rings_text,
            "description": str((e.get("curation") or {}).get("note") or ""),
            "exhibit": ", ".join(sha_label.get(s, s[:12]) for s in e.get("exhibits") or []),
        })
    return rows


def headers(lang: str) -> list[str]:
    W = words(lang)
    return [W[f"col_{c}"] for c in COLUMNS]


def csv_bytes(rows: list[dict[str, str]], lang: str) -> bytes:
    return belgian_csv([headers(lang)] + [[r[c] for c in COLUMNS] for r in rows])


# --------------------------------------------------------------------------- the requester

def requester_block(chronology: dict, context: ReportContext, lang: str) -> list[list[str]]:
    """(label, value) pairs: the config's ``[requester]``, else what the case knows.

    The name and number default to the person with role victim, the PV number
    to the PV numbers in the logbook; what nobody said stays empty (a line to
    fill in by hand).
    """
    W = words(lang)
    req = dict(context.requester or {})
    victim = next((p for p in chronology.get("persons") or () if p.get("role") == "victim"), {})
    name = req.get("name") or str(victim.get("name") or "")
    phone = req.get("phone") or next((i["value"] for i in victim.get("identifiers") or ()
                                      if i.get("kind") == "phone"), "")
    pvs = []
    for e in list(chronology.get("entries") or []) + list(chronology.get("undated") or []):
        pv = str((e.get("facts") or {}).get("pv_number") or "").strip()
        if pv and pv not in pvs:
            pvs.append(pv)
    pv = req.get("pv") or ", ".join(pvs)
    zone = ZoneInfo(str((chronology.get("case") or {}).get("timezone") or context.timezone))
    made = report_timestamp(chronology, context).astimezone(zone).date().isoformat()
    return [[W["name"], name], [W["address"], req.get("address", "")],
            [W["phone"], phone], [W["operator"], req.get("operator", "")],
            [W["pv"], pv], [W["police_zone"], req.get("police_zone", "")],
            [W["date"], format_date(made, lang)]]


# --------------------------------------------------------------------------- the files

def xlsx_bytes(block: list[list[str]], rows: list[dict[str, str]], lang: str) -> bytes:
    """The request as a spreadsheet: the requester block, then the table; text cells only."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    W = words(lang)
    wb = Workbook()
    ws = wb.active
    ws.title = W["sheet"]
    bold = Font(bold=True)

    def put(r: int, c: int, value: str, strong: bool = False) -> None:
        cell = ws.cell(row=r, column=c)
        cell.value = as_xstring(value)
        cell.data_type = "s"  # text as written: never a number, a date or a formula
        cell.number_format = "@"
        cell.alignment = Alignment(vertical="top", wrap_text=c == COLUMNS.index("description") + 1)
        if strong:
            cell.font = bold

    put(1, 1, W["title"], True)
    put(2, 1, W["to"])
    r = 4
    put(r, 1, W["requester"], True)
    for label, value in block:
        r += 1
        put(r, 1, label, True)
        put(r, 2, value)
    r += 2
    for c, head in enumerate(headers(lang), 1):
        put(r, c, head, True)
    ws.freeze_panes = ws.cell(row=r + 1, column=1)
    for row in rows:
        r += 1
        for c, key in enumerate(COLUMNS, 1):
            put(r, c, row[key])
    for c, width in enumerate((6, 12, 10, 16, 8, 16, 8, 12, 40, 10), 1):
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = width
    wb.properties.creator = "intake"
    wb.properties.created = wb.properties.modified = datetime(1980, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_ombudsman(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write ``ombudsman.pdf``, ``ombudsman.xlsx`` and ``ombudsman.csv`` in the case language."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = language(context.language or (chronology.get("case") or {}).get("language"))
    W = words(lang)
    rows = ombudsman_rows(chronology, lang)
    block = requester_block(chronology, context, lang)

    csv_path = out_dir / CSV_NAME
    csv_path.write_bytes(csv_bytes(rows, lang))
    xlsx_path = out_dir / XLSX_NAME
    xlsx_path.write_bytes(xlsx_bytes(block, rows, lang))

    calls = sum(1 for r in rows if r["kind_code"] == "call")
    case = chronology.get("case") or {}
    data = {
        "_timestamp": report_timestamp(chronology, context),
        "lang": lang,
        "W": W,
        "title": f"{W['title']} – {case.get('name') or context.case_name}",
        "case_name": str(case.get("name") or context.case_name),
        "block": block,
        "place": str((context.requester or {}).get("place") or ""),
        "count": W["count"].format(calls=calls, messages=len(rows) - calls,
                                   withheld=sum(1 for r in rows if r["withheld"])),
        "root_hash": str(chronology.get("root_hash") or ""),
        "columns": headers(lang),
        "rows": [[r[c] for c in COLUMNS] for r in rows],
    }
    with tempfile.TemporaryDirectory(prefix="intake-omb-") as tmp:
        pdf = compile_typst("ombudsman.typ", Path(tmp), data)
    pdf_path = out_dir / PDF_NAME
    pdf_path.write_bytes(pdf)
    return [pdf_path, xlsx_path, csv_path]

