"""chronology.csv: the chronology for Excel and LibreOffice with Belgian settings.

UTF-8 with BOM (so Excel reads the accents), ``;`` as separator, CRLF line
ends, RFC 4180 quoting (fields holding ``;``, ``"``, CR or LF are quoted,
quotes doubled). Dates are ``dd/mm/yyyy``; the time and its UTC offset are
separate columns (the offset written ``UTC+02:00``; an hour that occurs twice
gives both, ``UTC+02:00 of UTC+01:00``). A cell that starts with ``=``,
``+``, ``-``, ``@``, their full-width forms ``＝ ＋ － ＠``, a tab or CR is
prefixed with ``'`` so that no spreadsheet runs it as a formula: the CSV is
for machines and for a quick look; people get chronology.xlsx, whose cells
are typed text and show ``+32…`` and ``-Goedemorgen`` exactly as written.
Control and bidirectional characters are written visibly as ``[U+202E]``.

The columns are the same as chronology.xlsx: number, date, time, offset,
kind, what (the headline), the full text (to ``entryview.CELL_LIMIT``
characters, then where the rest is), who, to, place, PV, impact, category,
tags, note, the source of the time, exhibits, the first exhibit's SHA-256,
witnesses and remarks (flags in words).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

from intake.files import atomic_write
from intake.reports.context import ReportContext
from intake.types import DEFAULT_ZONE

from . import entryview as view
from .curated import police_shows
from .dates import split_local as labels_split_local
from .labels import category_name, kind_name, labels, language

FILE_NAME = "chronology.csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: Column keys (labels in intake/reports/labels.py), in order.
COLUMNS = ("col_nr", "col_date", "col_hour", "col_utc_offset", "col_kind", "col_what",
           "col_text", "col_who", "col_to", "col_place", "col_pv", "col_feeling",
           "col_category", "col_tags", "col_note", "col_source", "col_exhibits",
           "col_first_sha256", "col_witnesses", "col_flags")


def guard(value: object) -> str:
    """A cell as text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def split_local(local: str | None, granularity: str | None) -> tuple[str, str, str]:
    """``2024-07-01T23:30:05+02:00`` -> ("01/07/2024", "23:30:05", "UTC+02:00"):
    `dates.split_local` in the form Belgian spreadsheets read (day and coarser:
    no time; the offset written so that it is not taken for a formula)."""
    gran = granularity or "second"
    date, time, offset = labels_split_local(local or "", gran)
    if not date:
        return "", "", ""
    y, m, d = date.split("-")
    day = {"month": f"{m}/{y}", "year": y}.get(gran, f"{d}/{m}/{y}")
    if gran in ("day", "month", "year") or not time:
        return day, "", ""
    return day, time, "UTC" + (offset or "+00:00")


def entry_rows(chronology: dict, lang: str) -> Iterator[list[str]]:
    """The table as lists of cell texts (not yet guarded), header first, one row
    at a time: the entries are read once, in order, and never all held (100,000
    rows). Shared by chronology.csv and chronology.xlsx."""
    lang = language(lang)
    L = labels(lang)
    zone = (chronology.get("case") or {}).get("timezone") or DEFAULT_ZONE
    sha_label = {x["sha256"]: x["label"] for x in chronology.get("exhibits", ())}
    yield [L[c] for c in COLUMNS]
    # Words that repeat from row to row (kinds, categories, time sources), looked up once.
    kinds: dict[str, str] = {}
    categories: dict[str, str] = {}
    sources: dict[tuple, str] = {}
    unseen = view._UNSEEN.search
    for e in chain(chronology.get("entries", ()), chronology.get("undated", ())):
        if not police_shows(e):
            continue
        day, time, offset = split_local(e.get("local"), e.get("granularity"))
        _, _, _, other = view.time_parts(e, zone)
        if other and offset:
            offset = f"{offset} {L['or']} UTC{other}"
        facts = e.get("facts") or {}
        chosen = view.chosen_claim(e)
        source = ""
        if chosen:
            key = (chosen.get("source"), chosen.get("plugin"))
            if key not in sources:
                sources[key] = f"{view.source_text(chosen, lang)} ({chosen.get('plugin')})"
            source = sources[key]
        kind = str(e.get("kind") or "")
        if kind not in kinds:
            kinds[kind] = kind_name(kind, lang)
        category = str(e.get("category") or "")
        if category not in categories:
            categories[category] = category_name(category, lang)
        exhibits = e.get("exhibits", [])
        names = [sha_label.get(s, s) for s in exhibits]
        cur = view.curation(e)
        row = [
            str(e.get("number", "")), day, time, offset, kinds[kind],
            view.headline(e, lang),
            view.shown_text(e, lang, names[0] if names else "", view.CELL_LIMIT),
            view.who_text(e, lang), ", ".join(str(x) for x in e.get("to") or []),
            str(facts.get("place") or ""), str(facts.get("pv_number") or ""),
            str(facts.get("feeling") or ""), categories[category],
            ", ".join(cur["tags"]), cur["note"], source,
            ", ".join(names), exhibits[0] if exhibits else "",
            ", ".join(view.witnesses(e)), ", ".join(view.flag_words(e, lang)),
        ]
        # `visible` cell by cell only in the rare row that has something to show
        yield [view.visible(x) for x in row] if unseen("".join(row)) else row


def belgian_csv_chunks(rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """Rows as Excel and LibreOffice read them with Belgian settings: UTF-8 with a
    byte order mark, ';' between cells, CRLF, RFC 4180 quoting, formulas defused;
    in pieces of about 1,000 rows, to be written as they come."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", quotechar='"', lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL, doublequote=True)
    yield "\ufeff".encode()
    for n, row in enumerate(rows, 1):
        writer.writerow([guard(cell) for cell in row])
        if n % 1000 == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def belgian_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """`belgian_csv_chunks` as one piece of bytes."""
    return b"".join(belgian_csv_chunks(rows))


def csv_bytes(chronology: dict, lang: str) -> bytes:
    return belgian_csv(entry_rows(chronology, lang))


def write_csv(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.csv in the context's language."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = context.language or chronology.get("case", {}).get("language", "nl")
    path = out_dir / FILE_NAME
    atomic_write(path, belgian_csv_chunks(entry_rows(chronology, lang)))
    return [path]
