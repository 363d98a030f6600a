"""Office letters (Word ``.docx``, OpenDocument ``.odt`` and their kin): properties.

The text is not read yet. What is cheap and reliable is the document's own
core properties: ``docProps/core.xml`` (``dcterms:created``,
``dcterms:modified``, ``dc:creator``, ``cp:lastModifiedBy``, ``dc:title``) or
the OpenDocument ``meta.xml`` (``meta:creation-date``, ``dc:date``,
``meta:initial-creator``, ``dc:creator``, ``dc:title``), parsed with
defusedxml (no DTD, no entity). Each date is a claim (meaning ``created`` or
``modified``, confidence ``medium``: the author's computer clock). The item
gets the warning "kept, not read: ..." so that ``status`` and the report say
the text is for a person to read. See docs/plugins/office.md.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from intake import N_, Event, Extraction, ItemView, TimeClaim, hookimpl

from . import _imaging as imaging
from . import _medianames as medianames

__version__ = "0.1.0"

MAX_META = 1024 * 1024
NOT_READ = ("kept, not read: the text of an office document is not read yet; open it "
            "(only its properties are read: created, modified, author)")
NS = {"cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
      "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
      "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
      "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}
#: file in the zip -> (XPath, fact or claim meaning, time source as recorded)
FIELDS = {
    "docProps/core.xml": (("dcterms:created", "created", "docProps/core.xml dcterms:created"),
                          ("dcterms:modified", "modified",
                           "docProps/core.xml dcterms:modified"),
                          ("dc:creator", "author", ""), ("cp:lastModifiedBy", "last_modified_by", ""),
                          ("dc:title", "title", "")),
    "meta.xml": (("office:meta/meta:creation-date", "created", "meta.xml meta:creation-date"),
                 ("office:meta/dc:date", "modified", "meta.xml dc:date"),
                 ("office:meta/meta:initial-creator", "author", ""),
                 ("office:meta/dc:creator", "last_modified_by", ""),
                 ("office:meta/dc:title", "title", "")),
}
OFFICE_MIMES = ("application/vnd.openxmlformats-officedocument.",
                "application/vnd.oasis.opendocument.")


def _meta_member(zf: zipfile.ZipFile) -> str:
    names = set(zf.namelist())
    if "docProps/core.xml" in names and ({"word/document.xml", "xl/workbook.xml",
                                          "ppt/presentation.xml"} & names):
        return "docProps/core.xml"
    if "meta.xml" in names and "content.xml" in names:
        return "meta.xml"
    return ""


def read_properties(path) -> tuple[str, list[TimeClaim], dict, list[str]] | None:
    """(format, claims, facts, warnings); None when it is no office document."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    with zf:
        member = _meta_member(zf)
        if not member:
            return None
        fmt = "OOXML" if member.startswith("docProps") else "OpenDocument"
        info = zf.getinfo(member)
        if info.file_size > MAX_META or info.flag_bits & 0x1:
            return fmt, [], {}, [f"the document properties ({member}) are too large or "
                                 "encrypted and were not read"]
        try:
            root = SafeET.fromstring(zf.read(info), forbid_dtd=True)
        except (ET.ParseError, DefusedXmlException, zipfile.BadZipFile, OSError, ValueError,
                EOFError, RuntimeError, NotImplementedError):
            return fmt, [], {}, [f"the document properties ({member}) could not be read"]
    claims: list[TimeClaim] = []
    facts: dict = {"format": fmt}
    for xpath, name, label in FIELDS[member]:
        elem = root.find(xpath, NS)
        text = (elem.text or "").strip() if elem is not None else ""
        if not text:
            continue
        if name in ("created", "modified"):
            parsed = imaging.parse_iso(text)
            if parsed and not imaging.is_placeholder(parsed[0]):
                local, offset, granularity = parsed
                claims.append(TimeClaim(local=local, offset=offset, meaning=name,
                                        source=label,
                                        granularity=granularity, confidence="medium",
                                        note=f"as written: {text}; the author's computer clock"))
            facts[name] = text
        else:
            facts[name] = text[:200]
    return fmt, claims, facts, []


@hookimpl
def intake_extract(item: ItemView, case) -> Extraction | None:
    if not (item.mime.startswith(OFFICE_MIMES) or item.mime == "application/zip"):
        return None
    found = read_properties(item.path)
    if found is None:
        return None
    fmt, claims, facts, warnings = found
    name_claim = medianames.name_claim(item.name)
    if name_claim:
        claims.append(name_claim)
    flags: tuple[str, ...] = ()
    if not claims:
        claims = imaging.fs_claims(dict(item.fs_times))
        flags = ("low-confidence-time",)
    warnings.append(NOT_READ)
    title = facts.get("title", "")
    summary = "Office document" + (f": {title}" if title else "")
    message = N_("Office document “{title}”") if title else N_("Office document")
    event = Event(kind="letter", summary=summary, claims=tuple(claims), key="document",
                  who=facts.get("author", ""), facts=facts, flags=flags, message=message)
    return Extraction(events=(event,), warnings=tuple(warnings), facts=facts,
                      kind="office-document")
