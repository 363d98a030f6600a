"""chronology.xlsx: the chronology for people who open it in Excel or LibreOffice.

Same columns as chronology.csv (``csv_report.entry_rows``), written with
openpyxl. Every cell is typed text (``t="s"``, number format ``@``): nothing a
victim or a suspect wrote can become a formula, and ``+32468990123``,
``0032…``, ``-Goedemorgen`` or ``=SOM(A1)`` are shown exactly as written, with
no ``'`` in front (unlike the CSV, where only the guard protects). Control
and bidirectional characters are written visibly (``[U+202E]``), as in every
report; openpyxl would refuse most of them anyway. Long texts wrap; the
header row stays in view. A second sheet lists the exhibits with their
SHA-256.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from intake.files import atomic_write
from intake.reports.context import ReportContext

from . import entryview as view
from .csv_report import entry_rows
from .labels import labels, language

FILE_NAME = "chronology.xlsx"
#: Column widths (characters) by column key; others get 14.
WIDTHS = {"col_what": 40, "col_text": 80, "col_source": 36, "col_first_sha256": 20,
          "col_feeling": 30, "col_note": 30, "col_witnesses": 24, "col_flags": 24}


def _text_cell(ws, row: int, col: int, value: str):
    cell = ws.cell(row=row, column=col)
    cell.value = value
    cell.data_type = "s"  # typed text: never a formula, never a number
    cell.number_format = "@"
    return cell


def _rows_as_text(ws, rows, header_font, wrap) -> None:
    """The chronology's rows as typed text cells, wrapped, the first row bold.

    Written row by row with one style made once (openpyxl otherwise hashes the
    alignment and number format of every one of 2,000,000 cells for 100,000
    entries); the cells are the same as `_text_cell` makes. Empty cells are
    not written (they read back as empty)."""
    from copy import copy

    from openpyxl.cell.cell import Cell

    body = header = None
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row, 1):
            text = view.visible(value)
            if not text and r > 1:  # an empty cell is left out: about half of them
                continue
            cell = Cell(ws, row=r, column=c)
            if body is None:  # the styles, made on the first cells only
                probe = _text_cell(ws, r, c, "")
                probe.alignment = wrap
                body = copy(probe._style)
                probe.font = header_font
                header = copy(probe._style)
            cell.value = text  # checked as openpyxl checks text
            cell.data_type = "s"  # typed text: never a formula, never a number
            cell._style = copy(header if r == 1 else body)
            cells.append(cell)
        for cell in cells:
            ws._cells[(r, cell.column)] = cell


def workbook_bytes(chronology: dict, lang: str, generated_at: str = "") -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from .csv_report import COLUMNS

    lang = language(lang)
    L = labels(lang)
    wb = Workbook()
    ws = wb.active
    ws.title = L["sheet_chronology"][:31]
    wrap = Alignment(wrap_text=True, vertical="top")
    _rows_as_text(ws, entry_rows(chronology, lang), Font(bold=True), wrap)
    for c, key in enumerate(COLUMNS, 1):
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = WIDTHS.get(key, 14)
    ws.freeze_panes = "A2"

    ex = wb.create_sheet(L["sheet_exhibits"][:31])
    for c, key in enumerate(("col_label", "col_sha256", "col_size", "col_type", "col_name"), 1):
        _text_cell(ex, 1, c, L[key]).font = Font(bold=True)
    for r, x in enumerate(chronology.get("exhibits") or [], 2):
        values = (str(x.get("label") or ""), str(x.get("sha256") or ""), str(x.get("size") or 0),
                  str(x.get("mime") or ""), ", ".join(x.get("names") or []))
        for c, value in enumerate(values, 1):
            _text_cell(ex, r, c, view.visible(value))
    ex.column_dimensions["B"].width = 66
    ex.column_dimensions["E"].width = 40

    try:
        moment = datetime.fromisoformat((generated_at or "").replace("Z", "+00:00"))
    except ValueError:
        moment = datetime(1980, 1, 1, tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = moment
    wb.properties.creator = "intake"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_xlsx(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.xlsx in the context's language."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = context.language or chronology.get("case", {}).get("language", "nl")
    path = out_dir / FILE_NAME
    atomic_write(path, workbook_bytes(chronology, lang, context.generated_at))
    return [path]
