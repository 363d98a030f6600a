"""chronology.xlsx: the chronology for people who open it in Excel or LibreOffice.

Same columns as chronology.csv (``csv_report.entry_rows``). Every cell is
typed text (an inline string, number format ``@``): nothing a victim or a
suspect wrote can become a formula, and ``+32468990123``, ``0032…``,
``-Goedemorgen``, ``=SOM(A1)`` or ``＝1+1`` are shown exactly as written, with
no ``'`` in front (unlike the CSV, where only the guard protects). Control
and bidirectional characters are written visibly (``[U+202E]``), as in every
report. Long texts wrap; the header row stays in view. A second sheet lists
the exhibits with their SHA-256.

The package (a zip of SpreadsheetML parts, ECMA-376) is written here
directly, row by row as the entries come, and streamed to disk: a general
writer costs 4 to 10 µs per cell (openpyxl, XlsxWriter), and 100,000 entries
are 1.2 million cells (bench/profile-notes.md, session 6). The parts are the
few a workbook of text needs: the two sheets, one style sheet (normal and
bold, wrapped or not, all ``@``), the workbook, its relations and the
document properties.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr

from intake.files import atomic_write
from intake.reports.context import ReportContext

from . import entryview as view
from .csv_report import COLUMNS, entry_rows
from .labels import labels, language

FILE_NAME = "chronology.xlsx"
#: Column widths (characters) by column key; others get 14.
WIDTHS = {"col_what": 40, "col_text": 80, "col_source": 36, "col_first_sha256": 20,
          "col_feeling": 30, "col_note": 30, "col_witnesses": 24, "col_flags": 24}
#: The exhibits sheet's widths by column letter; others get Excel's default.
EXHIBIT_WIDTHS = {2: 66, 5: 40}
#: The most a cell holds, in UTF-16 units (Excel's limit); a longer text is cut
#: and ends with "…" (the text column is cut long before, with where the rest is).
CELL_MAX = 32767

#: Style indexes in styles.xml: text wrapped at the top (the chronology) or not
#: (the exhibits), each plain or bold (the header row).
BODY, HEAD, PLAIN, PLAIN_HEAD = 1, 2, 3, 4

#: Anything that needs a second look before it goes into the XML: what `visible`
#: rewrites, what XML escapes, CR (kept as ``&#13;``), the two non-characters XML refuses.
_SPECIAL = re.compile(view._UNSEEN.pattern[:-1] + "&<>\r\ufffe\uffff]")
_NOT_XML = re.compile("[\ufffe\uffff]")
#: Excel reads ``_xHHHH_`` in any cell text as the character U+HHHH (ECMA-376
#: ST_Xstring), so a message that says "_x0041_" would show "A". Its underscore
#: is written as ``_x005F_``, the escape of "_" itself.
_XSTRING = re.compile("_(?=x[0-9A-Fa-f]{4}_)")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def column_letter(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def as_xstring(s: str) -> str:
    """`s` as Excel must read it back: a literal ``_xHHHH_`` kept as written."""
    return _XSTRING.sub("_x005F_", s) if "_x" in s else s


def cell_text(value: object) -> str:
    """A cell's text as XML character data: made visible, cut to what a cell
    holds, escaped. Nearly every cell needs none of it (one regular expression)."""
    s = "" if value is None else str(value)
    if len(s) <= CELL_MAX // 2 and not _SPECIAL.search(s):
        return as_xstring(s)
    s = _NOT_XML.sub(lambda m: f"[U+{ord(m[0]):04X}]", view.visible(s))  # no surrogate left
    if len(s) > CELL_MAX // 2 and len(s.encode("utf-16-le")) > 2 * CELL_MAX:
        cut = s.encode("utf-16-le")[:2 * (CELL_MAX - 1)]
        s = cut.decode("utf-16-le", errors="ignore") + "…"
    return as_xstring(_escape(s, {"\r": "&#13;"}))


def _rows_xml(rows: Iterable[Iterable[object]], body: int, head: int) -> Iterator[str]:
    """<row> elements, a few hundred at a time; empty cells are left out (they
    read back as empty: about half of a phone backup's cells).

    A row whose texts hold nothing to escape or show and fit a cell (nearly
    all) is written with one test for the whole row."""
    starts: list[str] = []  # '<c r="A', '<c r="B', …
    batch: list[str] = []
    special = _SPECIAL.search
    end = "</t></is></c>"
    for r, row in enumerate(rows, 1):
        row = list(row)
        while len(starts) < len(row):
            starts.append(f'<c r="{column_letter(len(starts) + 1)}')
        mid = f'" s="{head if r == 1 else body}" t="inlineStr"><is><t xml:space="preserve">'
        n = str(r)
        try:
            joined = "".join(row)
        except TypeError:  # not all text: cell by cell
            joined = "&"
        if len(joined) <= CELL_MAX // 2 and not special(joined) and "_x" not in joined:
            cells = [f"{a}{n}{mid}{v}{end}" for a, v in zip(starts, row, strict=False) if v]
        else:
            cells = [f"{a}{n}{mid}{t}{end}" for a, v in zip(starts, row, strict=False)
                     if (t := cell_text(v))]
        batch.append(f'<row r="{n}">{"".join(cells)}</row>')
        if len(batch) >= 500:
            yield "".join(batch)
            batch.clear()
    yield "".join(batch)


def _sheet_xml(rows: Iterable[Iterable[object]], widths: dict[int, float], frozen: bool,
               selected: bool, body: int, head: int) -> Iterator[str]:
    pane = ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>') if frozen else ""
    cols = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                   for c, w in sorted(widths.items()))
    tab = 'tabSelected="1" ' if selected else ""
    yield (f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews>'
           f'<sheetView {tab}workbookViewId="0">{pane}'
           f'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
           + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")
    yield from _rows_xml(rows, body, head)
    yield "</sheetData></worksheet>"


STYLES = (f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
          '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
          '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills>'
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
          '</cellStyleXfs><cellXfs count="5">'
          '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
          ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
          '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
          ' applyFont="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
          '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
          '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
          ' applyFont="1"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
          '</styleSheet>')


def _package_parts(names: tuple[str, str], moment: datetime) -> dict[str, str]:
    """Every part but the two sheets."""
    sheet_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    sheets = "".join(f"<sheet name={quoteattr(n[:31])} sheetId=\"{i}\" r:id=\"rId{i}\"/>"
                     for i, n in enumerate(names, 1))
    return {
        "[Content_Types].xml": (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_ct}"/>'
            f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{sheet_ct}"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
            'package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.extended-properties+xml"/></Types>'),
        "_rels/.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>'),
        "docProps/app.xml": (
            f'{_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>intake</Application></Properties>'),
        "docProps/core.xml": (
            f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>intake</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            '</cp:coreProperties>'),
        "xl/workbook.xml": (
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
            f"</bookViews><sheets>{sheets}</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"),
        "xl/styles.xml": STYLES,
    }


class _Sink:
    """A write-only stream for zipfile (no seek: it writes data descriptors),
    emptied by the caller as the package grows."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self.pending = 0

    def write(self, data: bytes) -> int:
        self.pieces.append(bytes(data))
        self.size += len(data)
        self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self.pieces)
        self.pieces.clear()
        self.pending = 0
        return out


def _moment(generated_at: str) -> datetime:
    try:
        moment = datetime.fromisoformat((generated_at or "").replace("Z", "+00:00"))
    except ValueError:
        moment = datetime(1980, 1, 1, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment if moment.year >= 1980 else datetime(1980, 1, 1, tzinfo=UTC)


def workbook_chunks(chronology: dict, lang: str, generated_at: str = "",
                    tmp_dir: Path | None = None) -> Iterator[bytes]:
    """The .xlsx file in pieces of about a megabyte; the entries are read once,
    in order, each sheet written to a temporary file in `tmp_dir` as the rows come."""
    lang = language(lang)
    L = labels(lang)
    moment = _moment(generated_at)
    stamp = moment.timetuple()[:6]
    names = (L["sheet_chronology"], L["sheet_exhibits"])
    exhibit_rows = [[L[key] for key in ("col_label", "col_sha256", "col_size", "col_type",
                                        "col_name")]]
    exhibit_rows += [[str(x.get("label") or ""), str(x.get("sha256") or ""),
                      str(x.get("size") or 0), str(x.get("mime") or ""),
                      ", ".join(x.get("names") or [])]
                     for x in chronology.get("exhibits") or []]
    sheets = {
        "xl/worksheets/sheet1.xml": _sheet_xml(
            entry_rows(chronology, lang),
            {c: WIDTHS.get(key, 14) for c, key in enumerate(COLUMNS, 1)},
            frozen=True, selected=True, body=BODY, head=HEAD),
        "xl/worksheets/sheet2.xml": _sheet_xml(exhibit_rows, EXHIBIT_WIDTHS, frozen=False,
                                               selected=False, body=PLAIN, head=PLAIN_HEAD),
    }
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in _package_parts(names, moment).items():
            zf.writestr(zipfile.ZipInfo(name, stamp), text.encode("utf-8"),
                        compress_type=zipfile.ZIP_DEFLATED)
        for name, pieces in sheets.items():
            # The sheet goes to a temporary file first, so that its size is known
            # when it enters the zip: Zip64 only for a sheet over 2 GiB, as openpyxl.
            with tempfile.TemporaryFile(dir=tmp_dir) as tmp:
                for piece in pieces:
                    tmp.write(piece.encode("utf-8"))
                info = zipfile.ZipInfo(name, stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                level = "compress_level" if hasattr(info, "compress_level") else "_compresslevel"
                setattr(info, level, 1)  # fast: the sheet is 90 % markup (3.13 renamed it)
                info.file_size = tmp.tell()
                tmp.seek(0)
                with zf.open(info, "w") as f:
                    while chunk := tmp.read(1 << 20):
                        f.write(chunk)
                        if sink.pending >= 1 << 20:
                            yield sink.drain()
    yield sink.drain()


def workbook_bytes(chronology: dict, lang: str, generated_at: str = "") -> bytes:
    """`workbook_chunks` as one piece of bytes."""
    return b"".join(workbook_chunks(chronology, lang, generated_at))


def write_xlsx(chronology: dict, out_dir: Path, context: ReportContext) -> list[Path]:
    """Write out_dir/chronology.xlsx in the context's language."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = context.language or chronology.get("case", {}).get("language", "nl")
    path = out_dir / FILE_NAME
    atomic_write(path, workbook_chunks(chronology, lang, context.generated_at, out_dir))
    return [path]
