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


def _append_text_rows(ws, rows, header_font, wrap) -> None:
    """Rows as typed text cells (number format ``@``), wrapped, the first row bold,
    appended to a write-only sheet: each row goes to disk as it comes.

    One style is made once and copied to every cell (openpyxl otherwise hashes
    the alignment and number format of each of the 1,000,000s of cells of
    100,000 entries). Empty cells are not written (they read back as empty)."""
    from copy import copy

    from openpyxl.cell import WriteOnlyCell

    body = header = None
    for r, row in enumerate(rows, 1):
        cells = []
        for value in row:
            text = view.visible(value)
            if not text and r > 1:  # an empty cell is left out: about half of them
                cells.append(None)
                continue
            cell = WriteOnlyCell(ws)
            if body is None:  # the styles, made on the first cell only
                cell.number_format = "@"
                if wrap is not None:
                    cell.alignment = wrap
                body = copy(cell._style)
                cell.font = header_font
                header = copy(cell._style)
            cell.value = text  # checked as openpyxl checks text
            cell.data_type = "s"  # typed text: never a formula, never a number
            cell._style = copy(header if r == 1 else body)
            cells.append(cell)
        ws.append(cells)


def workbook_bytes(chronology: dict, lang: str, generated_at: str = "") -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from .csv_report import COLUMNS

    lang = language(lang)
    L = labels(lang)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(L["sheet_chronology"][:31])
    for c, key in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS.get(key, 14)
    ws.freeze_panes = "A2"
    wrap = Alignment(wrap_text=True, vertical="top")
    _append_text_rows(ws, entry_rows(chronology, lang), Font(bold=True), wrap)

    ex = wb.create_sheet(L["sheet_exhibits"][:31])
    ex.column_dimensions["B"].width = 66
    ex.column_dimensions["E"].width = 40
    exhibit_rows = [[L[key] for key in ("col_label", "col_sha256", "col_size", "col_type",
                                        "col_name")]]
    exhibit_rows += [[str(x.get("label") or ""), str(x.get("sha256") or ""),
                      str(x.get("size") or 0), str(x.get("mime") or ""),
                      ", ".join(x.get("names") or [])]
                     for x in chronology.get("exhibits") or []]
    _append_text_rows(ex, exhibit_rows, Font(bold=True), None)

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
