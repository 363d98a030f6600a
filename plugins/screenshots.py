"""Screenshots: the time written in the file name, plus what the file says.

Runs before the photos plugin (``tryfirst``) and takes an image only when its
original name looks like a screenshot name (Android and Xiaomi/MIUI, macOS
old and new, 12 h and 24 h, Windows Snipping Tool and Print Screen, GNOME,
KDE Spectacle, Firefox, the iOS Simulator; English, Dutch and French) or its
metadata says it is one (PNG ``Software: gnome-screenshot``, EXIF/XMP
``UserComment: Screenshot`` as iPhones and Macs write). The name's time is
the device's local wall time: no offset, read by the core in the case's
zone. PNG/EXIF/XMP times are added side by side. The text on the screen is
read by OCR (Tesseract): the status-bar clock becomes a low-confidence claim
on the name's day, phone numbers, addresses and @handles become identifiers,
and the OCR record (text, word boxes, engine) is kept as a derived item. See
docs/plugins/screenshots.md and docs/plugins/ocr.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from intake import N_, Event, Extraction, ItemView, TimeClaim, hookimpl

from . import _imaging as imaging
from . import _medianames as medianames
from . import _ocr as ocr
from . import _ocrtext as ocrtext

__version__ = "0.1.0"

_WORD = (r"(?:Screenshot|Screen Shot|Schermafbeelding|Schermopname|Schermafdruk"
         r"|Capture d'[ée]cran|Bildschirmfoto)")
_AMPM = r"(?P<ampm>[AaPp]\.?\s?[Mm]\b\.?|[vn]m\b\.?)"
_YMD = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"

#: (label, pattern). The first that matches the start of the name wins.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.IGNORECASE)) for label, pattern in (
        ("iOS Simulator screenshot",
         r"^Simulator Screen ?Shot - .{1,80}? - " + _YMD
         + r" at (?P<h>\d{1,2})\.(?P<mi>\d{2})\.(?P<s>\d{2})(?: ?" + _AMPM + ")?"),
        ("Android screenshot",
         r"^Screenshot_(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})-(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})"),
        ("Android or KDE Spectacle screenshot",
         r"^" + _WORD + r"_(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})_(?P<h>\d{2})(?P<mi>\d{2})"
         r"(?P<s>\d{2})"),
        ("Android screenshot (Xiaomi/MIUI style)",
         r"^Screenshot_(?P<y>\d{4})([-_])(?P<mo>\d{2})\2(?P<d>\d{2})\2(?P<h>\d{2})\2(?P<mi>\d{2})"
         r"\2(?P<s>\d{2})(?:\2(?P<ms>\d{2,3}))?(?!\d)"),
        ("GNOME screenshot",
         r"^(?:Screenshot from|Schermafdruk van|Schermafbeelding van|Capture d'[ée]cran d[eu]"
         r"|Bildschirmfoto vom) " + _YMD + r"[ _](?P<h>\d{2})[-:](?P<mi>\d{2})[-:](?P<s>\d{2})"),
        ("macOS screenshot",
         r"^" + _WORD + " " + _YMD + r" (?:at|om|à|a|um) (?P<h>\d{1,2})\.(?P<mi>\d{2})\."
         r"(?P<s>\d{2})(?: ?" + _AMPM + ")?"),
        ("Firefox screenshot",
         r"^" + _WORD + " " + _YMD + r" (?:at|om|à|a|um) (?P<h>\d{1,2})-(?P<mi>\d{2})-"
         r"(?P<s>\d{2})(?: ?" + _AMPM + ")?"),
        ("Windows Snipping Tool screenshot",
         r"^" + _WORD + " " + _YMD + r" (?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})(?!\d)"),
        ("Windows Print Screen screenshot", r"^" + _WORD + r" \(\d+\)"),
        ("screenshot", r"^(?:Simulator )?" + _WORD + r"(?![a-z])"),
    ))

#: Software names (PNG ``Software`` text, EXIF Software) that make screenshots.
SCREENSHOT_SOFTWARE = re.compile(r"screenshot|spectacle|flameshot|greenshot|sharex|snipping",
                                 re.IGNORECASE)


@dataclass(frozen=True)
class NameTime:
    label: str  # which system's pattern matched
    written: str  # the part of the name that matched
    claim: TimeClaim | None  # None when the name carries no time


def normalise_name(name: str) -> str:
    """The base name, NFC, with exotic spaces and apostrophes made plain."""
    base = re.split(r"[/\\]", name)[-1]
    base = unicodedata.normalize("NFC", base)
    for ch in ("\u202f", "\u00a0", "\u2009", "\u2007"):
        base = base.replace(ch, " ")
    base = base.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\.(?:png|jpe?g|heic|heif|webp|gif|bmp|tiff?)$", "", base, flags=re.IGNORECASE)


def name_time(name: str) -> NameTime | None:
    """The screenshot time written in a file name, or None if it is no screenshot name."""
    base = normalise_name(name)
    for label, regex in PATTERNS:
        m = regex.match(base)
        if not m:
            continue
        groups = m.groupdict()
        if "y" not in groups or groups.get("y") is None:
            return NameTime(label, m.group(0), None)
        y, mo, d = int(groups["y"]), int(groups["mo"]), int(groups["d"])
        h, mi, s = int(groups["h"]), int(groups["mi"]), int(groups["s"])
        ampm = (groups.get("ampm") or "").lower().replace(".", "").replace(" ", "")
        if ampm:
            if not 1 <= h <= 12:
                continue
            h = h % 12 + (12 if ampm in ("pm", "nm") else 0)
        local = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
        if not imaging.parse_iso(local):
            continue  # not a real date or time: try the next pattern
        granularity = "second"
        if groups.get("ms"):
            local += "." + groups["ms"]
            granularity = "subsecond"
        written = m.group(0)
        claim = TimeClaim(local=local, offset=None, source=f"file name ({label})",
                          meaning="taken", granularity=granularity, confidence="medium",
                          note=f"as written in the name {written!r}: the device's local time; "
                               "the name says no zone")
        return NameTime(label, written, claim)
    return None


def _looks_like_screenshot(meta: imaging.ImageMeta) -> bool:
    software = " ".join((meta.png_text.get("Software", ""),
                         imaging.clean_text(getattr(meta.exif.get("Image Software"),
                                                    "printable", "")),
                         meta.xmp.get("xmp:CreatorTool", "")))
    comments = (meta.user_comment, meta.xmp.get("exif:UserComment", ""))
    return bool(SCREENSHOT_SOFTWARE.search(software)) or any(
        c.strip().lower() == "screenshot" for c in comments)


@hookimpl(tryfirst=True)
def intake_extract(item: ItemView, case) -> Extraction | None:
    if not imaging.is_image(item.mime):
        return None
    found = name_time(item.name)
    data = item.read_bytes()
    meta = imaging.read_image(data, item.mime)
    if found is None and not _looks_like_screenshot(meta):
        return None
    claims = []
    if found and found.claim:
        claims.append(found.claim)
    claims += imaging.all_claims(meta)
    name_claim = medianames.name_claim(item.name)
    if name_claim:
        claims.append(name_claim)
    facts = imaging.image_facts(meta)
    phash = imaging.perceptual_hash(data)
    if phash:
        facts["phash"] = phash
    warnings = list(dict.fromkeys(meta.warnings))
    read = ocr.read_picture(data, getattr(case, "ocr_languages", ()))
    facts.update(read.facts())
    derived = []
    if read.status == "read":
        clock = ocrtext.status_clock(read.lines, read.size)
        if clock:
            facts["status_bar_clock"] = clock
            clock_claim = ocrtext.clock_claim(clock, claims)
            if clock_claim:
                claims.append(clock_claim)
        found_ids = ocrtext.identifiers(read.text)
        if found_ids:
            facts["ocr_identifiers"] = found_ids
        record = ocr.derived_record(read, item, "screenshot")
        if record:
            derived.append(record)
    elif read.status == "failed":
        warnings.append(f"the text in the picture could not be read: {read.reason}")
    flags: tuple[str, ...] = ()
    if not claims:
        claims = imaging.fs_claims(dict(item.fs_times))
        flags = ("low-confidence-time",)
        if found:
            warnings.append(f"the name ({found.label}) carries no time, and the image "
                            "holds none either; only the file's own times are known")
        else:
            warnings.append("the image holds no time of its own; only the file's own "
                            "times are known")
    if found:
        facts["name_pattern"] = found.label
    system = found.label.replace(" screenshot", "") if found else "recognised from its metadata"
    summary = "Screenshot" if system == "screenshot" else f"Screenshot ({system})"
    message = N_("Screenshot ({name_pattern})") if found else N_("Screenshot")
    event = Event(kind="screenshot", summary=summary, claims=tuple(claims), key="screenshot",
                  facts=dict(facts), flags=flags, message=message)
    return Extraction(events=(event,), warnings=tuple(warnings), facts=facts,
                      kind="screenshot", derived=tuple(derived))
