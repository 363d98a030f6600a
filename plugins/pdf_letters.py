"""PDF letters and documents: their dates, makers and earlier revisions.

One ``letter`` event (key ``document``) with the Info ``CreationDate`` and
``ModDate`` and the XMP dates as time claims; title, author, producer,
creator, page count, PDF version and encryption as facts. Earlier revisions
left by incremental updates are evidence: they are counted, reported, and
handed on as derived items. Encrypted files are read as far as the empty
password allows; damaged files give a plain warning. Pages without text of
their own (a scan) are read by OCR: the date written in the letter becomes a
claim. See docs/plugins/pdf.md and docs/plugins/ocr.md.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from intake import N_, DerivedItem, Event, Extraction, ItemView, TimeClaim, hookimpl

from . import _medianames as medianames
from . import _ocrdocs as ocrdocs
from . import _xmp as xmpreader

__version__ = "0.1.0"

PDF_MIME = "application/pdf"
#: Earlier revisions handed on as derived items (a file with hundreds of
#: updates still gets every revision counted, but not hundreds of copies).
MAX_DERIVED_REVISIONS = 20
MAX_XMP = 4 * 1024 * 1024

_PDF_DATE = re.compile(
    r"^(?P<prefix>D:)?(?P<y>\d{4})(?P<m>\d{2})?(?P<d>\d{2})?(?P<H>\d{2})?(?P<M>\d{2})?(?P<S>\d{2})?"
    r"(?P<zone>Z|[+-])?(?:(?P<oh>\d{2})(?:'?(?P<om>\d{2}))?'?)?(?P<rest>.*)$", re.DOTALL)
_XMP_DATE = re.compile(
    r"^(?P<y>-?\d{1,4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T(?P<H>\d{2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?P<frac>\.\d+)?)?)?)?)?\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$")
_EOF = re.compile(rb"%%EOF[ \t]*(?:\r\n|\r|\n)?")
_STARTXREF_BEFORE = re.compile(rb"startxref\s+\d+\s*$")

XMP_DATES = (("xmp:CreateDate", "created"), ("xmp:ModifyDate", "modified"),
             ("xmp:MetadataDate", "modified"))


def _is_pdf(item: ItemView) -> bool:
    # The header may follow a little junk (the spec allows it in the first 1024 bytes).
    return item.mime == PDF_MIME or b"%PDF-" in item.head[:1024]


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if not _is_pdf(item):
        return None
    data = item.read_bytes()
    warnings: list[str] = []
    flags: list[str] = []
    claims: list[TimeClaim] = []
    facts: dict = {"title": None, "author": None, "subject": None, "producer": None,
                   "creator": None, "pages": None, "pdf_version": _header_version(data),
                   "encrypted": False, "encryption": None, "xmp_present": False,
                   "dates_as_written": {}}
    revisions = _revisions(data)
    facts["revisions"] = len(revisions) or 1
    facts["revision_ends"] = revisions
    derived: list[DerivedItem] = []
    if len(revisions) > 1:
        flags.append("incremental-updates")
        earlier = []
        for n, end in enumerate(revisions[:-1], 1):
            chunk = data[:end]
            earlier.append({"number": n, "bytes": end,
                            "sha256": hashlib.sha256(chunk).hexdigest()})
            if n <= MAX_DERIVED_REVISIONS:
                derived.append(DerivedItem(data=chunk, relation="earlier-revision",
                                           name=f"revision {n} of {len(revisions)}.pdf",
                                           event_key="document", mime=PDF_MIME))
        facts["earlier_revisions"] = earlier
        warnings.append(f"the PDF was changed after it was first saved: it holds "
                        f"{len(revisions)} revisions; the earlier ones are kept as evidence")

    try:
        import pikepdf
    except ImportError:
        warnings.append("the PDF could not be read: pikepdf is not installed")
        return _result(item, claims, flags, facts, warnings, derived)

    try:
        pdf = pikepdf.open(item.path)
    except pikepdf.PasswordError:
        facts["encrypted"] = True
        facts["encryption"] = _encryption_from_bytes(data)
        flags.append("password-protected")
        warnings.append("the PDF is protected with a password; its dates could not be read")
        # Metadata streams are often left unencrypted; read the XMP if it shows.
        _xmp_from_bytes(data, claims, facts, warnings)
        return _result(item, claims, flags, facts, warnings, derived)
    except pikepdf.PdfError as exc:
        flags.append("damaged")
        warnings.append(f"the PDF is damaged and could not be opened: {_plain(exc)}")
        return _result(item, claims, flags, facts, warnings, derived)
    except Exception as exc:  # qpdf can fail in other ways on hostile input
        flags.append("damaged")
        warnings.append(f"the PDF could not be opened: {type(exc).__name__}: {_plain(exc)}")
        return _result(item, claims, flags, facts, warnings, derived)

    try:
        _read_open_pdf(pdf, claims, flags, facts, warnings)
    finally:
        try:
            repaired = pdf.get_warnings()
        except Exception:
            repaired = []
        pdf.close()
    if repaired:
        flags.append("repaired")
        seen = list(dict.fromkeys(_plain(w) for w in repaired))
        warnings.append("the PDF has errors; they were repaired while reading: "
                        + "; ".join(seen[:5]) + (f" (and {len(seen) - 5} more)" if len(seen) > 5 else ""))
    scan = ocrdocs.read_pdf(item.path, getattr(case, "ocr_languages", ()))
    if scan is not None:  # pages without text of their own: a scan, read by OCR
        ocrdocs.add_reading(scan, item, "document", claims, facts, derived, warnings)
    return _result(item, claims, flags, facts, warnings, derived)


def _result(item, claims, flags, facts, warnings, derived) -> Extraction:
    title = facts.get("title")
    summary = f"PDF document {title!r}" if title else f"PDF document {item.name}"
    if facts.get("pages"):
        summary += f", {facts['pages']} page" + ("s" if facts["pages"] != 1 else "")
    name_claim = medianames.name_claim(item.name)  # a WhatsApp DOC-… name
    if name_claim:
        claims = [*claims, name_claim]
    if not claims:
        flags.append("no-date")
    facts.setdefault("file_name", item.name)
    event = Event(kind="letter", summary=summary, claims=tuple(claims), key="document",
                  who=facts.get("author") or "", flags=tuple(dict.fromkeys(flags)),
                  facts=dict(facts),
                  message=N_("PDF document “{title}”") if title else N_("PDF document {file_name}"))
    return Extraction(events=(event,), derived=tuple(derived), warnings=tuple(warnings),
                      facts=dict(facts), kind="pdf")


def _plain(exc) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # qpdf prefixes the file path; the stored path means nothing to the reader.
    text = re.sub(r"^.*?\.pdf[^:]*:\s*", "", text) if ".pdf" in text[:300] else text
    return text[:300]


def _header_version(data: bytes) -> str | None:
    m = re.search(rb"%PDF-(\d\.\d)", data[:1024])
    return m.group(1).decode() if m else None


# --- revisions ----------------------------------------------------------------------------


def _revisions(data: bytes) -> list[int]:
    """Byte offsets where each revision ends (just after its ``%%EOF``).

    A marker counts only when a ``startxref`` comes just before it, so that
    ``%%EOF`` inside a stream is not mistaken for one. A linearized file has
    a first-page section ending in its own ``%%EOF``; that one is not a
    revision of its own.
    """
    ends = []
    for m in _EOF.finditer(data):
        before = data[max(0, m.start() - 64):m.start()]
        if _STARTXREF_BEFORE.search(before):
            ends.append(m.end())
    if len(ends) > 1 and b"/Linearized" in data[:2048]:
        ends = ends[1:]
    return ends


# --- an opened PDF -------------------------------------------------------------------------


def _text(value) -> str | None:
    if value is None:
        return None
    try:
        text = str(value)
    except Exception:
        try:
            text = bytes(value).decode("latin-1")
        except Exception:
            return None
    text = text.replace("\x00", "").strip()
    return text[:2000] or None


def _read_open_pdf(pdf, claims, flags, facts, warnings) -> None:
    facts["pdf_version"] = _text(getattr(pdf, "pdf_version", None)) or facts["pdf_version"]
    try:
        facts["pages"] = len(pdf.pages)
    except Exception as exc:
        warnings.append(f"the pages could not be counted: {_plain(exc)}")
    if pdf.is_encrypted:
        facts["encrypted"] = True
        facts["encryption"] = _encryption_info(pdf)
        flags.append("encrypted")
    try:
        info = pdf.docinfo
        items = {str(k): v for k, v in info.items()}
    except Exception as exc:
        items = {}
        warnings.append(f"the document information could not be read: {_plain(exc)}")
    for key, name in (("/Title", "title"), ("/Author", "author"), ("/Subject", "subject"),
                      ("/Producer", "producer"), ("/Creator", "creator")):
        if key in items:
            facts[name] = _text(items[key])
    for key, meaning in (("/CreationDate", "created"), ("/ModDate", "modified")):
        if key in items:
            written = _text(items[key])
            facts["dates_as_written"][f"Info {key[1:]}"] = written
            if written:
                claim, problem = parse_pdf_date(written, f"PDF Info {key[1:]}", meaning)
                if claim:
                    claims.append(claim)
                if problem:
                    flags.append("malformed-date")
                    warnings.append(problem)
    xmp = None
    try:
        metadata = pdf.Root.get("/Metadata")
        if metadata is not None:
            xmp = metadata.read_bytes()[:MAX_XMP]
    except Exception as exc:
        warnings.append(f"the XMP metadata could not be read: {_plain(exc)}")
    if xmp:
        _read_xmp(xmp, claims, facts, warnings)


def _encryption_info(pdf) -> str:
    try:
        enc = pdf.encryption
        method = str(enc.stream_method).rsplit(".", 1)[-1].lower()
        method = {"aesv3": "AES", "aes": "AES"}.get(method, "RC4")
        return f"{method} {enc.bits}-bit (R{enc.R}, V{enc.V})"
    except Exception:
        return "encrypted (details unreadable)"


def _encryption_from_bytes(data: bytes) -> str:
    """What the /Encrypt dictionary says, read from the raw bytes (no password needed)."""
    m = re.search(rb"/Encrypt\s+(\d+)\s+(\d+)\s+R", data)
    body = b""
    if m:
        obj = re.search(rb"(?<!\d)" + m.group(1) + rb"\s+" + m.group(2) + rb"\s+obj(.*?)endobj",
                        data, re.DOTALL)
        body = obj.group(1) if obj else b""
    else:
        m = re.search(rb"/Encrypt\s*<<(.*?)>>", data, re.DOTALL)
        body = m.group(1) if m else b""
    if not body:
        return "encrypted (details unreadable)"

    def num(key: bytes) -> str | None:
        found = re.search(rb"/" + key + rb"\s+(-?\d+)", body)
        return found.group(1).decode() if found else None

    cfm = re.search(rb"/CFM\s*/(\w+)", body)
    v, r, length = num(b"V"), num(b"R"), num(b"Length")
    method = {"AESV3": "AES", "AESV2": "AES", "V2": "RC4"}.get(
        cfm.group(1).decode() if cfm else "", "RC4" if v in ("1", "2") else "unknown")
    bits = {"1": "40", "4": "128", "5": "256"}.get(v or "", length or "40")
    return f"{method} {bits}-bit (R{r or '?'}, V{v or '?'})"


# --- dates --------------------------------------------------------------------------------


def parse_pdf_date(written: str, source: str, meaning: str) -> tuple[TimeClaim | None, str]:
    """A PDF date string (``D:20210411154753+02'00'``) -> (claim or None, problem or "")."""
    text = written.strip()
    m = _PDF_DATE.match(text)
    if not m:
        return None, f"the {source} {written!r} is not a PDF date; left out"
    notes: list[str] = [f"as written: {written}"]
    problems: list[str] = []
    if not m["prefix"]:
        notes.append("written without the D: prefix")
    year = int(m["y"])
    month = int(m["m"] or 1)
    day = int(m["d"] or 1)
    if year == 0:
        return None, f"the {source} {written!r} has year 0000, which is not a real date; left out"
    try:
        datetime.date(year, month, day)
    except ValueError:
        return None, f"the {source} {written!r} is not a real day; left out"
    parts = [m["m"], m["d"], m["H"], m["M"], m["S"]]
    granularity = ("year", "month", "day", "hour", "minute", "second")[
        sum(1 for p in parts if p is not None)]
    hour, minute, second = int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        problems.append("the time of day is out of range; only the day is used")
        granularity = "day"
        hour = minute = second = 0
    local = f"{year:04d}-{month:02d}-{day:02d}"
    if granularity not in ("year", "month", "day"):
        local += f"T{hour:02d}:{minute:02d}:{second:02d}"
    offset = None
    zone, oh, om = m["zone"], m["oh"], m["om"]
    rest = m["rest"] or ""
    if zone == "Z":
        offset = "Z"
        if oh and (int(oh) or int(om or 0)):
            problems.append(f"'Z' (UTC) is followed by an offset {oh}'{om or '00'}'; "
                            f"read as UTC, the offset is ignored")
    elif zone in ("+", "-"):
        if oh is None:
            problems.append("a sign without an offset; read without a zone")
        elif int(oh) > 23 or int(om or 0) > 59:
            problems.append(f"the offset {zone}{oh}'{om or '00'}' is out of range; "
                            f"read without a zone")
        else:
            offset = f"{zone}{oh}:{om or '00'}"
    elif oh is not None:
        rest = (oh + (om or "")) + rest
    if rest.strip():
        problems.append(f"trailing characters {rest.strip()[:40]!r} were ignored")
    if offset is None:
        notes.append("no zone written; read in the case's zone")
    if granularity in ("year", "month", "day"):
        offset = None
    confidence = "high" if offset else "medium"
    flags: tuple[str, ...] = ()
    if problems:
        confidence = "low"
        flags = ("malformed-date",)
    claim = TimeClaim(local=local, offset=offset, source=source, meaning=meaning,
                      granularity=granularity, confidence=confidence,
                      note="; ".join(notes + problems), flags=flags)
    problem = f"the {source} {written!r} is odd: {'; '.join(problems)}" if problems else ""
    return claim, problem


def parse_xmp_date(written: str, source: str, meaning: str) -> tuple[TimeClaim | None, str]:
    """An XMP (ISO 8601) date -> (claim or None, problem or "")."""
    text = written.strip()
    m = _XMP_DATE.match(text)
    if not m:
        return None, f"the {source} {written!r} is not an ISO date; left out"
    year = int(m["y"])
    if year <= 0:
        return None, f"the {source} {written!r} has year {m['y']}, which is not a real date; left out"
    month, day = int(m["m"] or 1), int(m["d"] or 1)
    try:
        datetime.date(year, month, day)
    except ValueError:
        return None, f"the {source} {written!r} is not a real day; left out"
    local = f"{year:04d}-{month:02d}-{day:02d}"
    granularity = "year" if not m["m"] else "month" if not m["d"] else "day"
    if m["H"] is not None:
        hour, minute, second = int(m["H"]), int(m["M"]), int(m["S"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None, f"the {source} {written!r} has a time out of range; left out"
        local += f"T{hour:02d}:{minute:02d}:{second:02d}"
        granularity = "second" if m["S"] is not None else "minute"
        if m["frac"]:
            digits = (m["frac"][1:] + "000")[:3]
            local += f".{digits}"
            granularity = "subsecond"
    offset = None
    if m["zone"] and granularity not in ("year", "month", "day"):
        zone = m["zone"]
        offset = zone if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    notes = [f"as written: {written}"]
    if offset is None and granularity not in ("year", "month", "day"):
        notes.append("no zone written; read in the case's zone")
    return TimeClaim(local=local, offset=offset, source=source, meaning=meaning,
                     granularity=granularity, confidence="high" if offset else "medium",
                     note="; ".join(notes)), ""


# --- XMP ------------------------------------------------------------------------------------


def _xmp_values(packet: bytes) -> dict[str, str]:
    """Prefixed names (xmp:CreateDate, pdf:Producer, dc:title) -> text (plugins/_xmp.py):
    a date its first text, other properties their items joined ("Anna; Kevin")."""
    found = xmpreader.find_packets(packet, 1)
    if not found:
        return {}
    return {name: texts[0] if name.endswith("Date") else "; ".join(texts)
            for name, texts in xmpreader.properties(found[0]).items()}


def _read_xmp(xmp: bytes, claims, facts, warnings) -> None:
    try:
        values = _xmp_values(xmp)
    except xmpreader.XmpError as exc:
        facts["xmp_present"] = True
        warnings.append(f"the XMP metadata is not well-formed XML and was not read: {exc}")
        return
    if not values and b"xmpmeta" not in xmp and b"rdf:RDF" not in xmp:
        return
    facts["xmp_present"] = True
    for name, meaning in XMP_DATES:
        written = values.get(name)
        if not written:
            continue
        facts["dates_as_written"][f"XMP {name}"] = written
        claim, problem = parse_xmp_date(written, f"XMP {name}", meaning)
        if claim:
            claims.append(claim)
        if problem:
            warnings.append(problem)
    for name, key in (("dc:title", "title"), ("dc:creator", "author"), ("pdf:Producer", "producer"),
                      ("xmp:CreatorTool", "creator")):
        if values.get(name) and not facts.get(key):
            facts[key] = values[name][:2000]
    for name, key in (("xmpMM:DocumentID", "xmp_document_id"),
                      ("xmpMM:InstanceID", "xmp_instance_id")):
        if values.get(name):
            facts[key] = values[name][:500]


def _xmp_from_bytes(data: bytes, claims, facts, warnings) -> None:
    packets = xmpreader.find_packets(data, 1)
    if not packets or not packets[0].startswith(b"<x:xmpmeta"):
        return
    _read_xmp(packets[0], claims, facts, warnings)
    if facts.get("xmp_present"):
        facts["xmp_unencrypted"] = True
