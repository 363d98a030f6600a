"""What the PDF writers (chronology, ombudsman list) and the bundle share.

Exhibit file names, text the bundled fonts can show, the report's timestamp,
and compiling a typst template as PDF/A-3b. Writers depend on this module,
never on each other.
"""

from __future__ import annotations

import json
import mimetypes
import re
import shutil
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .context import ReportContext

TEMPLATES = Path(__file__).resolve().parent / "typst"
JSON_NAME = "chronology.json"
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


def parse_instant(text: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def report_timestamp(chronology: dict, context: ReportContext) -> datetime:
    """The PDF's creation date: when the report is made, else the latest instant."""
    dt = parse_instant(context.generated_at)
    if dt is None:
        instants = [e.get("instant", "") for e in chronology.get("entries", [])]
        dt = parse_instant(max(instants)) if instants else None
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
        clean = _sanitize({k: v for k, v in data.items() if not k.startswith("_")},
                          frozenset(unsupported))
        (root / "data.json").write_text(json.dumps(clean, ensure_ascii=False), encoding="utf-8")
        try:
            pdf = typst.compile(str(root / "report.typ"), root=str(root),
                                pdf_standards=["a-3b"], ignore_system_fonts=True,
                                timestamp=ts)
            return attach_late(pdf, root, data.get("_attach_late") or [], ts)
        except typst.TypstError as exc:
            m = re.search(r'the text `"(.*?)"` could not be displayed', exc.message, re.S)
            missing = set(m.group(1)) - unsupported - {" ", "\\"} if m else set()
            if not missing:
                raise ReportError(f"the PDF could not be typeset: {exc.message}") from exc
            unsupported |= missing
    raise ReportError("the PDF could not be typeset: too many characters the fonts cannot show")


def attach_late(pdf: bytes, root: Path, attachments: list[dict], when: datetime | None) -> bytes:
    """`pdf` with files of `root` attached as typst attaches them (an embedded file
    stream, a file specification in the EmbeddedFiles names and the catalog's /AF,
    as PDF/A-3 wants), each compressed from its file a megabyte at a time.

    Why not typst: it holds an attached file whole in memory beside its compressed
    copy; the chronology.json of a case of 50,000 e-mails (124 MB) took the PDF
    command past 500 MB (issue 9, point 10).
    """
    if not attachments:
        return pdf
    import io
    import zlib

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        names = doc.Root.Names.EmbeddedFiles if "/Names" in doc.Root and \
            "/EmbeddedFiles" in doc.Root.Names else None
        if names is None:
            doc.Root.Names = doc.Root.get("/Names") or pikepdf.Dictionary()
            names = doc.Root.Names.EmbeddedFiles = doc.make_indirect(
                pikepdf.Dictionary(Names=pikepdf.Array()))
        tree = pikepdf.NameTree(names)
        af = doc.Root.get("/AF")
        if af is None:
            af = doc.Root.AF = doc.make_indirect(pikepdf.Array())
        for a in attachments:
            packer, parts, size = zlib.compressobj(6), [], 0
            with open(root / a["path"], "rb") as f:
                while chunk := f.read(1 << 20):
                    size += len(chunk)
                    parts.append(packer.compress(chunk))
            parts.append(packer.flush())
            params = pikepdf.Dictionary(Size=size)
            if when is not None:
                params.ModDate = when.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")
            stream = pikepdf.Stream(doc, b"")
            stream.write(b"".join(parts), filter=pikepdf.Name.FlateDecode)
            del parts
            stream.Type = pikepdf.Name.EmbeddedFile
            stream.Subtype = pikepdf.Name("/" + a["mime"])
            stream.Params = params
            spec = doc.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Filespec, F=pikepdf.String(a["path"]),
                UF=pikepdf.String(a["path"]), Desc=pikepdf.String(a["description"]),
                AFRelationship=pikepdf.Name("/" + a["relationship"].capitalize()),
                EF=pikepdf.Dictionary(F=stream)))
            tree[a["path"]] = spec
            af.append(spec)
        out = io.BytesIO()
        doc.save(out, deterministic_id=True,  # typst's streams copied as they are
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()
